/* compiler/driver.h — the quantc command-line driver: options shared by the
 * subcommands (options.c) and one file per subcommand (cmd_*.c). */
#ifndef QUANTC_DRIVER_H
#define QUANTC_DRIVER_H

#include "../frontend/frontend.h"
#include "../ir/ir.h"
#include "../passes/passes.h"
#include "../targets/targets.h"

enum { EXIT_INPUT = 1, EXIT_USAGE = 2, EXIT_INTERNAL = 70 };
enum { DRV_MAX_IO = 32 }; /* run: the most --input / -o arguments */

typedef struct {
	const char *cmd;
	const char *model;
	const char *out;
	const char *input;     /* run: --input (the last one given) */
	const char *inputs[DRV_MAX_IO], *outs[DRV_MAX_IO]; /* run: every --input, -o */
	int ninputs, nouts;
	const char *trace;     /* trace-diff: the trace file (second argument) */
	const char *calib_path;
	const char *config;
	const char *passes;    /* NULL: the default pipeline */
	const char *name;
	const char *dot;       /* inspect: --dot OUT.dot */
	const char *input_shape; /* --input-shape NAME=DxD..[,...] (ONNX models) */
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
	const FeConfig *cfg;      /* --config, read (drv_read_config) */
	TgtOptions tgt;
	PipelineOptions pipe;
	int quiet, verbose;
} Options;

/* Parses argv[2..] of subcommand cmd into o.  Returns 0, or the exit status
 * (a diagnostic or usage was printed). */
int drv_parse_options(int argc, char **argv, Options *o, Diag *d);
void drv_help(FILE *f, const char *cmd);

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
