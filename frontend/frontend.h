/* frontend/frontend.h — readers of the outside world's formats: the .qg
 * language (lexer.l, parser.y), ONNX models (onnx*.c) and folders of
 * images (images.c).  The layer above ir/, beside passes/ and targets/: it
 * includes none of them. */
#ifndef QUANTC_FRONTEND_H
#define QUANTC_FRONTEND_H

#include "ir.h"
#include "npy.h"

/* ---- parser.y ------------------------------------------------------------ */

/* Parses a .qg file into a new graph (npy(...) paths are relative to the
 * file's folder).  On any error, diagnoses all it can and returns NULL.
 * The result is verified (ir_verify). */
Graph *fe_parse_file(const char *path, Diag *d);
/* Same for text in memory; name is used in diagnostics, dir resolves npy(). */
Graph *fe_parse_string(const char *text, size_t len, const char *name, const char *dir, Diag *d);

/* ---- onnx.c: the ONNX importer (docs/onnx.md) ------------------------------ */

typedef struct {
	/* --input-shape "NAME=1x3x224x224[,NAME=...]": ONNX input shapes, or NULL */
	const char *input_shapes;
	/* Types g's untyped node results, 0 or -1 (diagnosed in d): the ONNX
	 * importer needs the shape of every node it adds.  Required for ONNX;
	 * the caller gives the passes' infer-shapes, which the frontend, a layer
	 * beside the passes, cannot call itself. */
	int (*infer_shapes)(Graph *g, Diag *d);
	/* --bind NAME=FILE.npy, nbinds of them: inputs bound at compile time
	 * (bind.c) */
	const char *const *binds;
	int nbinds;
} FeReadOptions;

/* Reads an ONNX model (opsets 1-21) into a new float graph: shape
 * subgraphs folded, BatchNormalization folded into its Conv, names kept (made
 * .qg identifiers).  Diagnoses "model.onnx: error: node 'N' (Op): ..." and
 * returns NULL on any error.  The result is verified. */
Graph *fe_onnx_read(const char *path, const FeReadOptions *o, Diag *d);
int fe_is_onnx(const char *path); /* the name ends in .onnx */
/* Does the value named `name` answer to `given`: the same, or `given` is an
 * ONNX name that quantc's sanitizing makes `name` (docs/onnx.md, "Names":
 * `x:0` for x_0, `/a/b` for a_b)?  --input-shape, --config's inputs: and
 * layers:, and run's NAME=FILE look names up through it. */
int fe_onnx_name_is(const char *name, const char *given);
/* ---- tflite.c: the TFLite importer (docs/tflite.md) ---------------------- */

/* Reads subgraph 0 of a .tflite model (tflite_read.c decodes the file) into a
 * new graph: NHWC at the interface, NCHW inside; an int8 model's scales and
 * zero points become pins (docs/requant.md), so it compiles without
 * --calib.  Diagnoses "model.tflite: error: ..." and returns NULL on any
 * error.  The result is verified. */
Graph *fe_tflite_read(const char *path, const FeReadOptions *o, Diag *d);
int fe_is_tflite(const char *path); /* the name ends in .tflite */

/* A model file: ONNX for a .onnx name, TFLite for .tflite, else .qg
 * (fe_parse_file).  o may be NULL for a .qg file. */
Graph *fe_read_model(const char *path, const FeReadOptions *o, Diag *d);

/* ---- bind.c: inputs bound at compile time (--bind NAME=FILE.npy) ---------- */

/* The file bound to the input called name, or NULL. */
const char *fe_bind_file(const FeReadOptions *o, const char *name);
/* Every --bind must name an input: has(ctx, NAME) says whether the model has
 * one so called.  Returns 0, or -1 (diagnosed). */
int fe_bind_unknown(const FeReadOptions *o, int (*has)(const void *ctx, const char *name),
                    const void *ctx, Diag *d);
/* Reads the file bound to input name into *a: its element type must be dt
 * and its shape decl (a dimension < 0 in decl: any extent).  Returns 0, or
 * -1 ("FILE.npy: error: ..."; nothing to free). */
int fe_bind_read(const char *path, const char *name, DType dt, const Shape *decl, NpyArray *a,
                 Diag *d);
/* A .qg model's bound inputs made constants with their files' values (the
 * model loses those inputs).  Returns 0, or -1 (diagnosed). */
int fe_bind_qg(Graph *g, const FeReadOptions *o, Diag *d);

/* ---- paths.c: the files a model may name (docs/limits.md) ---------------- */

/* Lets models read files under dir too (--allow-path DIR, repeatable).
 * Returns 0, or -1 (diagnosed) if dir is not a folder. */
int fe_allow_path(const char *dir, Diag *d);
/* The file that path ref, written in a model in folder dir ("": the working
 * directory), names: ref joined to dir (malloc'd), if after resolving
 * symbolic links and ".." it is inside dir or an allowed folder (a missing
 * file is left to the reader to report).  NULL, diagnosed at loc as
 * "<what> 'ref' is outside the model's folder ...", otherwise. */
char *fe_model_path(const char *dir, const char *ref, const char *what, Diag *d, Loc loc);

/* ---- images.c ------------------------------------------------------------ */

/* A folder of images as calibration data (--calib DIR): how each image
 * becomes one sample, from --config's calibration.images
 * (docs/configuration.md, "Calibration images"). */
typedef enum { FE_CH_MODEL, FE_CH_GRAY, FE_CH_RGB, FE_CH_BGR } FeChannels;
typedef enum { FE_NCHW, FE_NHWC } FeLayout;
/* calibration.images' keys, in the order compiler/config.c lists them */
enum {
	FE_IMG_RESIZE,
	FE_IMG_CROP,
	FE_IMG_SCALE,
	FE_IMG_MEAN,
	FE_IMG_STD,
	FE_IMG_CHANNELS,
	FE_IMG_LAYOUT,
	FE_IMG_NKEYS
};
typedef struct {
	int resize[2];        /* width, height; height 0: shorter side to width; 0: none */
	int crop[2];          /* width, height of the centre crop; 0: none */
	double scale;         /* pixel values are multiplied by it (default 1) */
	double mean[3], std[3];
	int nmean, nstd;      /* 0 (none), 1 (every channel) or one per channel */
	FeChannels channels;  /* FE_CH_MODEL: gray for 1 input channel, rgb for 3 */
	FeLayout layout;      /* of the model's input (default NCHW) */
	Loc loc[FE_IMG_NKEYS]; /* where each key's value is (line 0: not given) */
	Loc where;             /* the images: key */
} FeImageOpts;

void fe_image_opts_init(FeImageOpts *o);

/* One decoded image: h rows of w pixels of c (1 or 3) samples, row-major,
 * each the file's sample value (0..255, 0..65535 for 16-bit PNG, 0..maxval
 * for PGM/PPM). */
typedef struct {
	int w, h, c;
	double *px;
} FeImage;

/* Reads a PNG, PGM (P2, P5) or PPM (P3, P6) file, recognized by its
 * content.  Palette and 1/2/4-bit gray PNGs are expanded to 8 bits, alpha
 * dropped.  Returns 0, or -1 (diagnosed at the file). */
int fe_image_read(const char *path, FeImage *im, Diag *d);
void fe_image_free(FeImage *im);
/* Whether path names a folder (--calib DIR rather than FILE.npy). */
int fe_is_dir(const char *path);
/* Reads every image of folder dir, in byte order of the names (hidden
 * files skipped), as samples shaped like input (batch 1) preprocessed by o:
 * *out is f32 [N, ...input's dims...].  Returns 0, or -1 (diagnosed). */
int fe_images_read(const char *dir, const FeImageOpts *o, const Value *input, NpyArray *out,
                   Diag *d);

#endif
