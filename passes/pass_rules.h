/* passes/pass_rules.h — the op rules of the passes layer: one PassRules per op
 * family (ir/ops.def's family column), each in passes/fam_<family>.c, and
 * the table pass_rules[] (passes/rules.c) the passes look them up in:
 *     pass_rules[ir_ops[n->op].family]->infer(...)
 * The passes (infer_shapes.c, propagate_ranges.c, check_overflow.c,
 * quantize.c, bias_correct.c) keep their driver loops and generic logic;
 * what an op does in a stage is its family's hook.  Data that ops.def
 * already says is not repeated here: plan-memory's in-place rule reads
 * OPF_INPLACE and OPF_VIEW, --precision auto and quantize read precs.
 *
 * A new op: its family's file (a case in each of that file's switches).
 * A new family: a fam_<family>.c defining its PassRules and its row in
 * passes/rules.c.
 *
 * Also here: the parts of the passes the hooks share (a window op's
 * attribute checks, propagate-ranges' interval boxes, check-overflow's
 * integer ranges, quantize's context). */
#ifndef QUANTC_PASS_RULES_H
#define QUANTC_PASS_RULES_H

#include <math.h>

#include "passes.h"

/* ---- infer-shapes (infer_shapes.c) ----------------------------------------- */

/* Checks that operand i of n has the given rank ("input", "weight"); 0 or
 * -1 (diagnosed). */
int pass_need_rank(const Graph *g, const Node *n, int i, int rank, const char *what, Diag *d);
/* Checks a window op's stride, dilation, padding (and kernel when
 * use_kernel) are in range; 0 or -1 (diagnosed). */
int pass_window_attrs(const Node *n, int use_kernel, Diag *d);

/* ---- propagate-ranges (propagate_ranges.c) --------------------------------- */

/* The intervals of one value: one per element, or one for the whole tensor
 * (coarse: every element's interval is the hull). */
typedef struct {
	double *lo, *hi; /* numel entries each (one if coarse); NULL when not
	                    (or no longer) held */
	int coarse;      /* one interval, the hull, for every element */
	int64_t bytes;   /* of per-element intervals */
} Box;

typedef struct {
	Graph *g;
	Box *box;        /* per value */
	int64_t live;    /* bytes of per-element intervals held */
} RangeCtx;

/* Element i's interval. */
static inline double box_lo(const Box *b, int64_t i)
{
	return b->lo[b->coarse ? 0 : i];
}

static inline double box_hi(const Box *b, int64_t i)
{
	return b->hi[b->coarse ? 0 : i];
}

/* Sets element i's interval (a coarse box takes the hull; fmin and fmax
 * drop a NaN bound as the hull stored in Value.range does). */
static inline void box_put(Box *b, int64_t i, double lo, double hi)
{
	if (b->coarse) {
		b->lo[0] = fmin(b->lo[0], lo);
		b->hi[0] = fmax(b->hi[0], hi);
		return;
	}
	b->lo[i] = lo;
	b->hi[i] = hi;
}

/* Makes b a box of n elements, per element if the memory limits allow. */
void pass_box_alloc(RangeCtx *c, Box *b, int64_t n);
/* The box of value v, made now (its elements to be put). */
Box *pass_box_new(RangeCtx *c, int v);
void pass_box_free(RangeCtx *c, Box *b);
/* Bound on the rounding error of a float32 sum of nterm terms whose
 * magnitudes add up to at most mag. */
double pass_float_error(int64_t nterm, double mag);
/* A fused activation (relu, relu6) applied to [lo, hi]. */
void pass_range_act(Act act, double *lo, double *hi);
/* Operand k's interval at element i: its box, or a constant's value. */
void pass_range_opnd(RangeCtx *c, const Node *n, int k, int64_t i, double *lo, double *hi);
/* The result of n holds its first operand's intervals, element for element. */
void pass_range_same(RangeCtx *c, const Node *n);
/* A max-pool window (geometry cg: N, C, H, W, OH, OW, KH, KW, strides,
 * pads, dilations) over box x into y: [max of the window's lo, max of its
 * hi] over the in-bound taps (padding never wins; no tap: [0, 0]). */
void pass_range_max_window(const ConvGeo *cg, const Box *x, Box *y);

/* ---- check-overflow (check_overflow.c) ------------------------------------- */

/* The integers a quantized value can hold. */
typedef struct {
	int32_t lo, hi;
} QRange;

/* ---- quantize (quantize.c) ------------------------------------------------- */

typedef struct {
	Graph *g;
	Diag *d;
	int nval0;   /* values before the pass: the ones that may be converted */
	int *conv;   /* [nval0][3]: the value holding v as f32 / i8 / i16, or -1 */
	int *uses;
	/* [nval0]: constants several conv2d/dense layers share (fam_weighted.c).
	 * wq: the int8 weight made of v, or -1; wint: the integer layers reading
	 * v as their weight; bint, bleft: as their bias, and those not quantized
	 * yet.  A constant only such layers read is quantized in place (the
	 * weight by its first reader, a bias by its last), else copied. */
	int *wq, *wint, *bint, *bleft;
} QuantCtx;

/* The real interval of an activation: its clipping, observed or declared
 * range; -1 if it has none. */
int pass_act_range(const Value *v, float *lo, float *hi);
/* n's result parameters: its pin, else chosen from its range; 0 or -1
 * (diagnosed: no range). */
int pass_result_qparams(QuantCtx *q, Node *n, DType dt);

/* ---- the rules ------------------------------------------------------------- */

typedef struct PassRules {
	/* infer-shapes */
	/* checks n's operands and attributes and sets *s to its result's shape
	 * and *dt to its storage type (preset to operand 0's); 0, or -1
	 * (diagnosed at n's line) */
	int (*infer)(Graph *g, Node *n, Diag *d, Shape *s, DType *dt);
	/* the multiply-accumulates of n (pass_node_macs; INT64_MAX if they
	 * overflow; pass_no_macs: none) */
	int64_t (*macs)(const Graph *g, const Node *n);

	/* propagate-ranges */
	/* fills the box of n's result (pass_box_new) from its operands' boxes:
	 * an interval holding each element for every float32 evaluation */
	void (*range)(RangeCtx *c, const Node *n);

	/* check-overflow */
	/* proves that n's integer arithmetic cannot overflow, given the
	 * integer ranges r[] of the values so far, and sets r[n->out]; 0, or
	 * -1 (diagnosed) */
	int (*overflow)(const Graph *g, const Node *n, QRange *r, Diag *d);

	/* quantize */
	/* 1: every operand is converted to the layer's storage type (or a
	 * constant quantized to it); 0: only the first */
	int convert_all;
	/* 1: the op chooses its result's parameters itself (a pin on it is an
	 * error) */
	int own_qparams;
	/* quantizes n computing in dt (i8 or i16, one of n's precs) once its
	 * operands are converted: the result's parameters (an OPF_KEEPQ op's
	 * are set already), tables, weights; 0 or -1 (diagnosed) */
	int (*quantize)(QuantCtx *q, Node *n, DType dt);
	/* notes at n why its result has no range to quantize it with, if the
	 * op can say (pass_no_note: nothing to add) */
	void (*why_no_range)(const Graph *g, const Node *n, Diag *d);

	/* bias-correct (NULL in families without OPF_WEIGHTS ops) */
	/* err[o]: the mean over the calibration data (mean: n's mean input) of
	 * output channel o's change when n's weights change by dw */
	void (*bias_error)(const Graph *g, const Node *n, const double *dw, const double *mean,
	                   double *err);
} PassRules;

/* The rules of families whose ops have no MACs, nothing to note (rules.c). */
int64_t pass_no_macs(const Graph *g, const Node *n);
void pass_no_note(const Graph *g, const Node *n, Diag *d);

extern const PassRules pass_rules_weighted, pass_rules_activation, pass_rules_pool,
        pass_rules_shape, pass_rules_elementwise, pass_rules_convert, pass_rules_reduce,
        pass_rules_matmul;
extern const PassRules *const pass_rules[FAM_COUNT];

#endif
