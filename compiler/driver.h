/* compiler/driver.h — the quantc command-line driver: options shared by the
 * subcommands (options.c), the --config reader (config.c) and one file per
 * subcommand (cmd_*.c).  The top layer: it may include every other. */
#ifndef QUANTC_DRIVER_H
#define QUANTC_DRIVER_H

#include "frontend.h"
#include "ir.h"
#include "npy.h"
#include "passes.h"
#include "targets.h"

enum { EXIT_INPUT = 1, EXIT_USAGE = 2, EXIT_INTERNAL = 70 };
enum { DRV_MAX_IO = 32 }; /* run: the most --input / -o arguments */

/* ---- config.c ------------------------------------------------------------ */

/* A --config FILE.yaml (docs/configuration.md); the has_* flags say which
 * settings the file gave.  Every Loc points into the file. */
typedef struct {
	char *name;
	float range[2];
	char *bind; /* bind: FILE.npy as "NAME=PATH" (--bind's form), or NULL (a range) */
	Loc loc;
} DrvConfigInput;

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
	DrvConfigInput *inputs;
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
} DrvConfig;

/* Reads and checks a configuration file.  NULL (diagnosed at the file's
 * line and column) on any error; an empty file is an empty configuration. */
DrvConfig *drv_config_read(const char *path, Diag *d);
/* Puts the declared input ranges into g's inputs (an unknown input is an
 * error) and warns of layer patterns that match no value of g.  An input or
 * a layer may be named as the ONNX model spells it (fe_onnx_name_is); such a
 * pattern is rewritten to the value's name.  Returns 0, or -1 (diagnosed). */
int drv_config_apply(DrvConfig *c, Graph *g, Diag *d);
void drv_config_free(DrvConfig *c);

typedef struct {
	const char *cmd;
	const char *model;
	const char *out;
	const char *input;     /* run: --input (the last one given) */
	const char *inputs[DRV_MAX_IO], *outs[DRV_MAX_IO]; /* run: every --input, -o */
	int ninputs, nouts;
	const char *trace;     /* trace-diff: the trace file (second argument) */
	const char *calib_path;  /* the first --calib's file */
	const char *calibs[DRV_MAX_IO]; /* every --calib, as given (NAME=FILE or FILE) */
	int ncalib;
	const char *config;
	const char *passes;    /* NULL: the default pipeline */
	const char *name;
	const char *dot;       /* inspect: --dot OUT.dot */
	const char *input_shape; /* --input-shape NAME=DxD..[,...] (ONNX models) */
	const char *binds[DRV_MAX_IO]; /* --bind NAME=FILE.npy: inputs bound at compile time */
	int nbinds;
	const char *format;    /* report: --format text|json (NULL: text) */
	const char *svg;       /* report: --svg OUT.svg */
	const char *quantized; /* report: --quantized DUMP.qg */
	Precision precision;
	int requant;              /* --requant: 1 float, 0 fixed, -1 the model's own */
	CalibParams calib_params; /* --calibration, --percentile */
	int bias_correction;      /* --bias-correction */
	int64_t max_memory;       /* --max-memory BYTES (0: none) */
	int auto_precision;       /* --precision auto: int8/int16 per layer (auto_precision.c) */
	double min_sqnr;          /* --min-sqnr DB: its target */
	int set_min_sqnr;
	/* given on the command line: they win over --config's */
	int set_precision, set_method, set_percentile;
	const DrvConfig *cfg;      /* --config, read (drv_read_config) */
	TgtOptions tgt;
	PipelineOptions pipe;
	int quiet, verbose;
} Options;

/* Parses argv[2..] of subcommand cmd into o.  Returns 0, or the exit status
 * (a diagnostic or usage was printed). */
int drv_parse_options(int argc, char **argv, Options *o, Diag *d);
void drv_help(FILE *f, const char *cmd);

/* Binds the nargs files given with option opt (run's --input and -o, every
 * command's --calib) to the n values vals (the model's inputs or outputs):
 * files[k] for value k.  A file is given as NAME=FILE for the value NAME
 * (fe_onnx_name_is: as quantc or the ONNX model spells it), or bare; bare
 * files fill the slots no NAME=FILE took, in order.  Returns 0, or -1
 * (diagnosed against the model). */
int drv_bind_files(const Options *o, const char *opt, const char *const *args, int nargs,
                   const int *vals, int n, const char **files, const Graph *g, Diag *d);
/* Reads o->model, a .qg or ONNX file (fe_read_model, with --input-shape).
 * NULL (diagnosed) on any error. */
Graph *drv_read_model(const Options *o, Diag *d);
/* Reads the model and the calibration data and runs the pipeline: the common
 * front half of compile, run and inspect.  On success *g holds the graph and
 * *calib must be released with drv_free_calib. */
int drv_load_and_run(const Options *o, Graph **g, NpyArray *calib, Diag *d);
/* Reads --config into o->cfg and takes its settings where the command line
 * gave none.  Returns 0, or -1 (diagnosed). */
int drv_read_config(Options *o, Diag *d);
/* The pipeline it runs: --passes, or the default with or without --calib. */
const char *drv_pipeline(const Options *o);

int cmd_compile(const Options *o, Diag *d);
int cmd_run(const Options *o, Diag *d);
int cmd_inspect(const Options *o, Diag *d);
int cmd_opt(const Options *o, Diag *d);
int cmd_trace_diff(const Options *o, Diag *d);
int cmd_report(const Options *o, Diag *d);

#endif
