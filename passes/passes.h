/* passes/passes.h — the pass registry, the pipeline runner and the passes.
 * One pass per file; each is `int pass_x(Graph *, const PassOptions *, Diag *)`
 * returning 0 on success (errors are reported through the Diag). */
#ifndef QUANTC_PASSES_H
#define QUANTC_PASSES_H

#include "ir.h"

typedef enum { PREC_INT8, PREC_INT16, PREC_F32 } Precision;

/* How calibrate turns what it observed of a value into its clipping range
 * (calib_methods.c; docs/quantization.md). */
typedef enum { CALIB_MINMAX, CALIB_PERCENTILE, CALIB_ENTROPY, CALIB_MSE } CalibMethod;

typedef struct {
	CalibMethod method;
	double percentile; /* CALIB_PERCENTILE: P of |x|, in (0, 100]; 0: 99.99 */
	int bins;          /* histogram bins; 0: 2048 */
} CalibParams;

/* A per-layer calibration setting (--config's layers:): a value whose name
 * is `match`, or matches it as an fnmatch glob, takes the fields of params
 * flagged in `set`.  The first matching override wins. */
enum { CALIB_SET_METHOD = 1, CALIB_SET_PERCENTILE = 2, CALIB_SET_BINS = 4 };
typedef struct {
	const char *match;
	unsigned set;
	CalibParams params;
} CalibOverride;

/* A calibration data set: n samples, each the model's whole input: one
 * array per model input (nin of them, in the model's input order). */
typedef struct {
	const char *path;     /* input 0's file, for messages */
	int64_t n;            /* samples */
	int nin;              /* arrays: the model's inputs (1 until bound) */
	Shape sample[IR_MAX_IN];       /* shape of one sample of input k */
	const float *data[IR_MAX_IN];  /* n * numel(sample[k]) floats */
	const char *paths[IR_MAX_IN];  /* input k's file */
	CalibParams params;   /* the method (--calibration, --percentile) */
	const CalibOverride *layers; /* per-layer methods (--config), or NULL */
	int nlayer;
} CalibData;

/* Per-layer precision (issue 5): --config's `layers: [{match: t5,
 * precision: f32}]`, or a list --precision auto builds programmatically.
 * A layer is named by its result value: entry i applies to the node whose
 * output value's name equals `match` or matches it as an fnmatch(3) glob;
 * the first matching entry wins.  A node no entry matches computes in
 * PassContext.precision, except an OPF_KEEPQ op (relu, maxpool2d, flatten,
 * reshape), which follows its input's precision.  quantize (quantize.c)
 * honours the list: f32 layers keep float weights, bias and output; int16
 * layers use the 16x8 scheme; it inserts quantize/dequantize nodes wherever
 * an operand's dtype differs from what its consumer computes in.  Graph
 * inputs take the precision of their first consumer.  See
 * pass_node_precisions and pass_pipeline_precision below. */
typedef struct {
	const char *match;   /* value name or glob; not owned */
	Precision precision;
} LayerPrecision;

/* Settings shared by every pass of one run. */
typedef struct {
	Precision precision;    /* global (--precision): layers no entry names */
	const CalibData *calib; /* NULL: none */
	const LayerPrecision *layer_prec; /* per-layer precisions, or NULL */
	int nlayer_prec;
	int64_t max_memory;     /* --max-memory: arena bytes plan-memory may use
	                           (0: IR_MAX_ARENA_BYTES; docs/limits.md) */
	/* plan-memory's target hook: the arena scratch bytes node n's kernel
	 * needs on target tgt (tgt_node_scratch); NULL: no target, none */
	int64_t (*scratch)(const void *tgt, const Graph *g, int n);
	const void *scratch_tgt; /* the target of both hooks */
	/* choose-layout's target hook (tgt_node_nhwc): 2 when weighted node n's
	 * kernel on scratch_tgt reads and writes NHWC, 1 when only a kernel
	 * ranked lower does, 0 when none; NULL: no target, every tensor stays
	 * NCHW */
	int (*nhwc)(const void *tgt, const Graph *g, int n);
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
	int print_constants; /* --print-constants: the IR printed to stderr keeps
	                        them whole (it is elided by default; dumps never are) */
	int time_passes;
} PipelineOptions;

/* The default pipeline for a precision, as a --passes string. */
const char *pass_default_pipeline(Precision p);
/* The default when there is no calibration data (ranges from the inputs'). */
const char *pass_static_pipeline(Precision p);
/* What a graph shows of the default pipeline's work (a dump read back). */
typedef struct {
	int calibrated; /* observed ranges (calib [lo, hi]) */
	int quantized; /* integer values with quantization parameters */
	int planned;   /* an arena plan (offsets) */
} GraphState;
GraphState pass_graph_state(const Graph *g);
/* The default pipeline `pipeline` resumed where g stands: without the passes
 * whose work g already shows (a calibrated graph: calibrate; a quantized
 * one: propagate-ranges,
 * calibrate, bias-correct, quantize; a planned one also fuse-activation,
 * fuse-pool and plan-memory).  Malloc'd; the steps left out are written,
 * comma-separated, to skipped (nskipped bytes; "" if none). */
char *pass_resume_pipeline(const Graph *g, const char *pipeline, char *skipped, size_t nskipped);
/* Checks a --passes string (names exist, options well formed); reports at the
 * command line.  Returns 0 if it is valid. */
int pass_check_pipeline(const char *pipeline, Diag *d);
/* Runs the passes of `pipeline` in order over g. */
int pass_run_pipeline(Graph *g, const char *pipeline, const PassContext *ctx,
                      const PipelineOptions *po, Diag *d);
/* Parses one integer/float option "key=value" from a pass's args; returns 1
 * and sets *out if present, 0 if absent, -1 (diagnosed) if malformed. */
int pass_opt_double(const PassOptions *o, const char *key, double *out, Diag *d);
/* The same for a word option "key=word": copies it to buf (n bytes). */
int pass_opt_str(const PassOptions *o, const char *key, char *buf, size_t n, Diag *d);

/* ---- arena.c: what plan-memory plans -------------------------------------- */

/* Live interval of every non-constant value in node time: inputs are born at
 * 0, node n's result at n + 1; a value dies after its last reader (outputs
 * live to the end).  first/last hold g->nval entries (-1 for constants). */
void pass_lifetimes(const Graph *g, int *first, int *last);

/* One place in the arena: a value, or values whose bytes coincide (a
 * reshape/flatten and its input; an element-wise op that keeps the storage
 * type and the input it overwrites, the input dead after it). */
typedef struct {
	int64_t size;    /* 16-aligned bytes */
	int first, last; /* steps it is live: the union of its values' lives */
	int head;        /* its first value */
} ArenaSlot;

typedef struct {
	ArenaSlot *slot;
	int nslot, cap;
	int *of;   /* per value: its slot; -1 for constants and values never touched */
	int nstep; /* g->nnode + 2: step 0 the inputs, node n at n + 1, the end */
} ArenaSlots;

/* The slots of g; share = 0 gives every value its own (no in-place). */
void pass_arena_slots(const Graph *g, int share, ArenaSlots *s);
void pass_arena_slots_free(ArenaSlots *s);
/* Bytes live at each step (nstep entries, malloc'd). */
int64_t *pass_arena_live(const ArenaSlots *s);
/* The most bytes live at one step: no placement of these slots is smaller. */
int64_t pass_arena_bound(const ArenaSlots *s);
/* The bound of g's slots with in-place sharing: no arena can be smaller. */
int64_t pass_arena_lower_bound(const Graph *g);
/* Places every slot (off: nslot offsets) with one of pass_arena_nstrategy
 * heuristics; returns the arena's size.  Strategy 0 is greedy by size, first
 * fit (TFLite's arena planner). */
extern const int pass_arena_nstrategy;
int64_t pass_arena_place(const ArenaSlots *s, int strategy, int64_t *off);
const char *pass_arena_strategy_name(int strategy, char *buf, size_t n);
/* What plan-memory places: every strategy until one reaches the bound, the
 * smallest arena winning (the first on a tie); still above the bound, a
 * local search over the winner's order (bounded work, fixed seed).  Returns
 * the arena's size, *strategy the winner (pass_arena_nstrategy: the search). */
int64_t pass_arena_plan(const ArenaSlots *s, int64_t *off, int *strategy);

/* ---- plan_memory.c ------------------------------------------------------- */

/* What inspect reports of a planned graph's arena. */
typedef struct {
	int64_t arena;        /* g->arena_size */
	int64_t bound;        /* the lower bound, with in-place sharing */
	int64_t greedy;       /* greedy by size over the same slots */
	int64_t plain_bound;  /* the lower bound without in-place sharing */
	int64_t plain_greedy; /* greedy by size, a slot per value (TFLite) */
	int64_t *live;        /* bytes live at each step (g->nnode + 2), malloc'd */
	int top;              /* arena > bound: the value ending at the arena's top */
	int top_step;         /* ... and the step in its life with the most bytes live */
	int top_scratch;      /* 1: it is the scratch of top's node (its kernel's) */
} PassArenaStats;
void pass_arena_stats(const Graph *g, PassArenaStats *st);
/* The most scratch bytes one node of g uses (its scratch attribute). */
int64_t pass_arena_scratch_max(const Graph *g);
void pass_arena_stats_free(PassArenaStats *st);

/* ---- infer_shapes.c ------------------------------------------------------ */

/* Multiply-accumulates of node n (0 for ops without weights; INT64_MAX if
 * the count overflows). */
int64_t pass_node_macs(const Graph *g, const Node *n);

/* ---- calibrate.c ---------------------------------------------------------- */

/* Runs the float interpreter over every calibration sample of o's context
 * with hook fn watching every value (checks first that g is a float graph
 * with one input shaped like the samples).  Returns 0, or -1 (diagnosed). */
int pass_calib_run(Graph *g, const PassOptions *o, const char *pass, InterpHook fn, void *ctx,
                   Diag *d);

/* ---- calib_methods.c ------------------------------------------------------ */

/* The histogram of |x| over everything one value took: nbins bins of width
 * 2^exp, starting at 0; the width doubles (bins merge in pairs) whenever a
 * value falls beyond the last bin, so it is built in one pass over data
 * whose range nobody knows beforehand. */
typedef struct {
	int nbins;
	int exp;          /* bin width 2^exp; set by the first nonzero |x| */
	double *count;    /* nbins */
	double zeros;     /* exact zeros (counted in bin 0 too) */
	double n;         /* finite values seen */
	float lo, hi;     /* smallest and largest finite value */
} Hist;

void calib_hist_init(Hist *h, int nbins);
void calib_hist_free(Hist *h);
/* Adds n values (non-finite ones are left out). */
void calib_hist_add(Hist *h, const float *x, int64_t n);
int calib_method_from_name(const char *s); /* a CalibMethod, or -1 */
const char *calib_method_name(CalibMethod m);
/* The clipping range method p picks for a value with histogram h whose
 * quantized form will be of type grid (DT_I8 asymmetric, DT_I16 symmetric):
 * [max(lo, -t), min(hi, t)] for a threshold t on |x|; [lo, hi] for minmax.
 * h must hold at least one finite value (h->n > 0). */
void calib_choose_range(const Hist *h, const CalibParams *p, DType grid, float *lo, float *hi);

/* ---- quantize.c ------------------------------------------------------------ */

/* The precision each node of g computes in under ctx (NULL: all int8), by
 * the rules of LayerPrecision above: prec[i] for node i (g->nnode entries).
 * Needs no types; nodes must be in topological order. */
void pass_node_precisions(const Graph *g, const PassContext *ctx, Precision *prec);
/* Whether op has an int8 kernel but no int16 one (ops.def's precs):
 * --precision auto leaves such a layer int8. */
int pass_stays_int8(Op op);
/* The precision to pick the default pipeline with: ctx->precision, except
 * PREC_INT8 when that is f32 but some per-layer entry asks for an integer
 * precision (the graph then needs calibrate and quantize). */
Precision pass_pipeline_precision(const PassContext *ctx);

/* Quantizes one output channel of weights the way quantize does: symmetric
 * int8 in [-127, 127], scale max|w| / 127 (1 for an all-zero channel).
 * Returns the scale. */
float pass_quantize_channel(const float *w, int64_t n, int8_t *q);

/* ---- auto_precision.c ------------------------------------------------------ */

/* --precision auto (docs/quantization.md): runs `pipeline` over the float
 * graph *g (taken over) choosing int8 or int16 for every layer that ctx's
 * per-layer list does not pin, so that the output's SQNR against the float
 * model on the first calibration samples (ctx->calib) reaches min_sqnr dB
 * with the fewest arena plus constant bytes; prints the choice per layer to
 * stderr unless d->quiet.  Returns 0 with *g the graph compiled with the
 * choice, or -1 (diagnosed, *g NULL), also when no choice reaches it. */
int pass_auto_precision(Graph **g, const char *pipeline, const PassContext *ctx,
                        const PipelineOptions *po, double min_sqnr, Diag *d);

/* sqnr.c: 10 log10(signal / noise) in dB, from the energy (sum of squares)
 * of the reference and of its error; inf without error, -inf when the
 * reference is all zero (or not a number). */
double pass_sqnr_db(double signal, double noise);

/* quantize.c: clears the pins (quantization parameters a pre-quantized
 * model gave its f32 values) of every value still f32; returns how many. */
int pass_drop_pins(Graph *g);

#endif
