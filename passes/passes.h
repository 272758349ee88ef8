/* passes/passes.h — the pass registry, the pipeline runner and the passes.
 * One pass per file; each is `int pass_x(Graph *, const PassOptions *, Diag *)`
 * returning 0 on success (errors are reported through the Diag). */
#ifndef QUANTC_PASSES_H
#define QUANTC_PASSES_H

#include "../ir/ir.h"

typedef enum { PREC_INT8, PREC_INT16, PREC_F32 } Precision;

/* A calibration data set: N samples, each shaped like the model's input. */
typedef struct {
	const char *path;
	int64_t n;            /* samples */
	Shape sample;         /* shape of one sample (batch axis = 1) */
	const float *data;    /* n * numel(sample) floats */
} CalibData;

/* Settings shared by every pass of one run. */
typedef struct {
	Precision precision;
	const CalibData *calib; /* NULL: none */
} PassContext;

/* What one pass sees: the run's context, and its own "k=v;k=v" options from
 * `--passes name{k=v,...}` (NULL if none). */
typedef struct {
	const PassContext *ctx;
	const char *args;
} PassOptions;

typedef int (*PassFn)(Graph *, const PassOptions *, Diag *);

#define PASS(name, fn, help) int fn(Graph *, const PassOptions *, Diag *);
#include "passes.def"
#undef PASS

typedef struct {
	const char *name;
	PassFn fn;
	const char *help;
} PassInfo;

extern const PassInfo pass_table[];
extern const int pass_count;
const PassInfo *pass_find(const char *name);

/* ---- pipeline.c ---------------------------------------------------------- */

typedef struct {
	int print_after_all;
	const char *print_after;  /* comma list of pass names, or NULL */
	const char *print_before;
	const char *dump_dir;     /* one numbered file per pass */
	int verify_each;
	int elide_constants;
	int time_passes;
} PipelineOptions;

/* The default pipeline for a precision, as a --passes string. */
const char *pass_default_pipeline(Precision p);
/* Checks a --passes string (names exist, options well formed); reports at the
 * command line.  Returns 0 if it is valid. */
int pass_check_pipeline(const char *pipeline, Diag *d);
/* Runs the passes of `pipeline` in order over g. */
int pass_run_pipeline(Graph *g, const char *pipeline, const PassContext *ctx,
                      const PipelineOptions *po, Diag *d);
/* Parses one integer/float option "key=value" from a pass's args; returns 1
 * and sets *out if present, 0 if absent, -1 (diagnosed) if malformed. */
int pass_opt_double(const PassOptions *o, const char *key, double *out, Diag *d);

/* ---- plan_memory.c ------------------------------------------------------- */

/* Live interval of every non-constant value in node time: inputs are born at
 * 0, node n's result at n + 1; a value dies after its last reader (outputs
 * live to the end).  first/last hold g->nval entries (-1 for constants). */
void pass_lifetimes(const Graph *g, int *first, int *last);
/* Largest total of 16-aligned sizes of values live at the same time: no
 * arena can be smaller. */
int64_t pass_arena_lower_bound(const Graph *g);

/* ---- infer_shapes.c ------------------------------------------------------ */

/* Multiply-accumulates of node n (0 for ops without weights). */
int64_t pass_node_macs(const Graph *g, const Node *n);

#endif
