/* frontend/frontend.h — readers of the outside world's formats: the .qg
 * language (lexer.l, parser.y), numpy's .npy files (npy.c), folders of
 * images (images.c) and the YAML configuration (config.c). */
#ifndef QUANTC_FRONTEND_H
#define QUANTC_FRONTEND_H

#include "../ir/ir.h"
#include "../passes/passes.h"

/* ---- parser.y ------------------------------------------------------------ */

/* Parses a .qg file into a new graph (npy(...) paths are relative to the
 * file's folder).  On any error, diagnoses all it can and returns NULL.
 * The result is verified (ir_verify). */
Graph *fe_parse_file(const char *path, Diag *d);
/* Same for text in memory; name is used in diagnostics, dir resolves npy(). */
Graph *fe_parse_string(const char *text, size_t len, const char *name,
                       const char *dir, Diag *d);

/* ---- onnx.c: the ONNX importer (docs/onnx.md) ------------------------------ */

typedef struct {
	/* --input-shape "NAME=1x3x224x224[,NAME=...]": ONNX input shapes, or NULL */
	const char *input_shapes;
} FeReadOptions;

/* Reads an ONNX model (opsets 11-17) into a new float graph: shape
 * subgraphs folded, BatchNormalization folded into its Conv, names kept (made
 * .qg identifiers).  Diagnoses "model.onnx: error: node 'N' (Op): ..." and
 * returns NULL on any error.  The result is verified. */
Graph *fe_onnx_read(const char *path, const FeReadOptions *o, Diag *d);
int fe_is_onnx(const char *path); /* the name ends in .onnx */
/* A model file: ONNX for a .onnx name, else .qg (fe_parse_file).  o may be
 * NULL. */
Graph *fe_read_model(const char *path, const FeReadOptions *o, Diag *d);

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

/* ---- npy.c --------------------------------------------------------------- */

typedef struct {
	DType dt;
	Shape shape;
	void *data; /* ir_xmalloc'd, numel * dtype size, host (little-endian) order */
} NpyArray;

/* Reads a version 1.0/2.0/3.0 .npy: dtypes <f4 (f32), |i1 (i8), <i2, <i4,
 * <i8, |u1; fortran_order False; little-endian.  Anything else is an error
 * reported at loc (or at the file when loc.line == 0). Returns 0 on success. */
int fe_npy_read(const char *path, NpyArray *out, Diag *d, Loc loc);
int fe_npy_write(const char *path, DType dt, const Shape *s, const void *data, Diag *d);
void fe_npy_free(NpyArray *a);

/* ---- images.c ------------------------------------------------------------ */

/* A folder of images as calibration data (--calib DIR): how each image
 * becomes one sample, from --config's calibration.images
 * (docs/configuration.md, "Calibration images"). */
typedef enum { FE_CH_MODEL, FE_CH_GRAY, FE_CH_RGB, FE_CH_BGR } FeChannels;
typedef enum { FE_NCHW, FE_NHWC } FeLayout;
/* calibration.images' keys, in the order config.c lists them */
enum { FE_IMG_RESIZE, FE_IMG_CROP, FE_IMG_SCALE, FE_IMG_MEAN, FE_IMG_STD, FE_IMG_CHANNELS,
       FE_IMG_LAYOUT, FE_IMG_NKEYS };
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
int fe_images_read(const char *dir, const FeImageOpts *o, const Value *input,
                   NpyArray *out, Diag *d);

/* ---- config.c ------------------------------------------------------------ */

/* A --config FILE.yaml (docs/configuration.md); the has_* flags say which
 * settings the file gave.  Every Loc points into the file. */
typedef struct {
	char *name;
	float range[2];
	Loc loc;
} FeConfigInput;

typedef struct {
	const char *path;
	int has_precision, has_bias_correction;
	Precision precision;
	int auto_precision;     /* precision: auto (precision is then int8) */
	int has_min_sqnr;       /* min_sqnr: DB, the target of precision: auto */
	int has_requant, requant; /* requant: fixed (0) | float (1) */
	double min_sqnr;
	int bias_correction;
	unsigned calib_set;     /* CALIB_SET_* bits of calib the file gave */
	CalibParams calib;
	FeConfigInput *inputs;
	int ninput;
	CalibOverride *layers;  /* layers: with a calibration (or nothing else), in
	                           order (match strings owned) */
	Loc *layer_locs;
	int nlayer;
	LayerPrecision *layer_prec; /* layers: with a precision, in order (match
	                               strings owned); for PassContext */
	Loc *layer_prec_locs;
	int nlayer_prec;
	int has_images;         /* calibration.images: for a folder given to --calib */
	FeImageOpts images;
} FeConfig;

/* Reads and checks a configuration file.  NULL (diagnosed at the file's
 * line and column) on any error; an empty file is an empty configuration. */
FeConfig *fe_config_read(const char *path, Diag *d);
/* Puts the declared input ranges into g's inputs (an unknown input is an
 * error) and warns of layer patterns that match no value of g.  Returns 0,
 * or -1 (diagnosed). */
int fe_config_apply(const FeConfig *c, Graph *g, Diag *d);
void fe_config_free(FeConfig *c);

#endif
