/* frontend/frontend.h — readers of the outside world's formats: the .qg
 * language (lexer.l, parser.y) and numpy's .npy files (npy.c). */
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
	int bias_correction;
	unsigned calib_set;     /* CALIB_SET_* bits of calib the file gave */
	CalibParams calib;
	FeConfigInput *inputs;
	int ninput;
	CalibOverride *layers;  /* layers:, in order (match strings owned) */
	Loc *layer_locs;
	int nlayer;
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
