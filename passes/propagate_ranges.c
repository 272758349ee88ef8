/* propagate_ranges.c — the propagate-ranges pass: interval analysis of the
 * float graph.  From the declared range of each input (`range [lo, hi]`) it
 * computes, for every element of every value, an interval that contains
 * that element for every input inside the declared ranges — in the float32
 * arithmetic of the reference interpreter (and so of the compiled f32 code),
 * not just in exact arithmetic — and stores each value's hull in
 * Value.range.  quantize takes an activation's range from there when there
 * is no calibration data.
 *
 * Intervals are kept per element (in double), so a flatten or reshape costs
 * a copy and the border outputs of a padded convolution, which see fewer
 * taps, are bounded as such; but only for values of at most BOX_ELEMS
 * elements while the per-element intervals live at once stay under
 * BOX_BUDGET bytes.  Any other value keeps one interval for the whole
 * tensor (a "coarse" box: the hull of what its elements would have), which
 * every rule reads as the interval of each of its elements: still sound,
 * and the memory of the analysis stays bounded whatever the tensors' sizes
 * (docs/limits.md).  The rules, per op (each family's range hook, in
 * passes/fam_<family>.c):
 *   conv2d, dense   lo = b + sum over the taps in bounds of w*lo_x (w > 0) or
 *                   w*hi_x (w < 0), hi likewise; padded taps add nothing
 *                   (the interpreter skips them), then widened by the float
 *                   rounding error of the sum (pass_float_error), then the
 *                   fused activation
 *   relu            [max(lo, 0), max(hi, 0)]; relu6 also min(., 6)
 *   maxpool2d       [max of the window's lo, max of the window's hi] over
 *                   the in-bound (dilated) taps (padding never wins; an
 *                   empty window is [0, 0], the interpreter's 0)
 *   flatten, reshape   the same intervals, element for element
 *   avgpool2d, global_avgpool   (sum of the window's bounds) / count, widened
 *                   by the rounding of the float sum and division
 *   pad             the pad value outside, the same intervals inside
 *   transpose       the same intervals, permuted
 *   dequantize      the same intervals (the real value does not change)
 *   add             [a+c, b+d]; sub [a-d, b-c]; mul, div: the least and
 *                   greatest of the four corners (div unbounded when the
 *                   divisor's interval holds 0); all widened by one float
 *                   rounding, then the
 *                   fused activation (broadcast operands read at the
 *                   output's index; a constant operand is its own value)
 *   concat          each operand's intervals where its elements go: the hull
 *   quantize        widened by half a step of the result's scale (the
 *                   rounding), then cut to what the result can represent
 * (The last two only exist in quantized graphs, which check_float turns
 * away; the rules say what their results mean all the same.)
 * An input without a declared range is unbounded, and so is everything it
 * reaches until a clamp (relu6) bounds it again; a value whose hull is not
 * finite gets no range.  The ranges of non-input values are recomputed
 * every time (a dump read back gets the same ones). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pass_rules.h"

/* Per-element intervals for values of at most BOX_ELEMS elements (16 MiB of
 * intervals), while those alive at once take at most BOX_BUDGET bytes. */
enum { BOX_ELEMS = 1 << 20 };
#define BOX_BUDGET ((int64_t)256 << 20)

/* Makes b a box of n elements: per element if the limits allow, else
 * coarse (starting empty: [+inf, -inf], widened by every put). */
void pass_box_alloc(RangeCtx *c, Box *b, int64_t n)
{
	int64_t bytes = n * 2 * (int64_t)sizeof(double);

	b->coarse = n > BOX_ELEMS || c->live + bytes > BOX_BUDGET;
	if (b->coarse) {
		b->lo = ir_xmalloc(sizeof *b->lo);
		b->hi = ir_xmalloc(sizeof *b->hi);
		b->lo[0] = INFINITY;
		b->hi[0] = -INFINITY;
		b->bytes = 0;
		return;
	}
	b->lo = ir_xmalloc((size_t)(n ? n : 1) * sizeof *b->lo);
	b->hi = ir_xmalloc((size_t)(n ? n : 1) * sizeof *b->hi);
	b->bytes = bytes;
	c->live += bytes;
}

Box *pass_box_new(RangeCtx *c, int v)
{
	Box *b = &c->box[v];
	pass_box_alloc(c, b, ir_shape_numel(&c->g->vals[v].shape));
	return b;
}

void pass_box_free(RangeCtx *c, Box *b)
{
	free(b->lo);
	free(b->hi);
	b->lo = b->hi = NULL;
	c->live -= b->bytes;
	b->bytes = 0;
}

/* Bound on |fl(s) - s| for a float32 sum s of nterm terms (products rounded
 * once, then added one by one in any order) whose magnitudes add up to at
 * most mag: gamma_n * mag with gamma_n = n*u / (1 - n*u) (Higham, Accuracy
 * and Stability of Numerical Algorithms, 3.1), plus half the smallest
 * subnormal per operation for underflow.  u is float's unit roundoff 2^-24
 * raised by 2^-50, which also covers the double rounding of our own lo, hi
 * and mag (n ops at 2^-53 each, a few times over). */
double pass_float_error(int64_t nterm, double mag)
{
	const double u = 0x1p-24 + 0x1p-50;
	double nu = (double)nterm * u;

	if (nu >= 0.5)
		return INFINITY;
	return nu / (1.0 - nu) * mag + (double)nterm * 0x1p-149;
}

void pass_range_act(Act act, double *lo, double *hi)
{
	if (act == ACT_NONE)
		return;
	*lo = fmax(*lo, 0.0);
	*hi = fmax(*hi, 0.0);
	if (act == ACT_RELU6) {
		*lo = fmin(*lo, 6.0);
		*hi = fmin(*hi, 6.0);
	}
}

void pass_range_max_window(const ConvGeo *cg, const Box *x, Box *y)
{
	const int64_t N = cg->N, C = cg->C, H = cg->H, W = cg->W, OH = cg->OH, OW = cg->OW;

	for (int64_t b = 0; b < N; b++)
		for (int64_t ch = 0; ch < C; ch++)
			for (int64_t oy = 0; oy < OH; oy++)
				for (int64_t ox = 0; ox < OW; ox++) {
					double lo = -INFINITY, hi = -INFINITY;
					int64_t y0 = oy * cg->sh - cg->pt,
					        x0 = ox * cg->sw - cg->pl, ky0, ky1, kx0, kx1;
					ir_tap_range(H, cg->KH, cg->dh, y0, &ky0, &ky1);
					ir_tap_range(W, cg->KW, cg->dw, x0, &kx0, &kx1);
					for (int64_t ky = ky0; ky < ky1; ky++)
						for (int64_t kx = kx0; kx < kx1; kx++) {
							int64_t xi = ((b * C + ch) * H + y0 +
							              ky * cg->dh) *
							                     W +
							             x0 + kx * cg->dw;
							lo = fmax(lo, box_lo(x, xi));
							hi = fmax(hi, box_hi(x, xi));
						}
					int64_t yi = ((b * C + ch) * OH + oy) * OW + ox;
					if (ky0 == ky1 || kx0 == kx1)
						lo = hi =
						        0; /* no tap in bounds: the kernels give 0 */
					box_put(y, yi, lo, hi);
				}
}

/* the same intervals, element for element (flatten, reshape, dequantize) */
void pass_range_same(RangeCtx *c, const Node *n)
{
	int64_t len = ir_shape_numel(&c->g->vals[n->out].shape);
	const Box *x = &c->box[n->in[0]];
	Box *y = pass_box_new(c, n->out);

	if (x->coarse == y->coarse) {
		size_t k = (size_t)(y->coarse ? 1 : len);
		memcpy(y->lo, x->lo, k * sizeof *y->lo);
		memcpy(y->hi, x->hi, k * sizeof *y->hi);
		return;
	}
	for (int64_t i = 0; i < len; i++)
		box_put(y, i, box_lo(x, i), box_hi(x, i));
}

/* The box of constant v: its values. */
static void const_box(RangeCtx *c, int v)
{
	const Value *val = &c->g->vals[v];
	const float *x = val->data;
	int64_t len = ir_shape_numel(&val->shape);
	Box *b = pass_box_new(c, v);

	for (int64_t i = 0; i < len; i++)
		box_put(b, i, x ? x[i] : -INFINITY, x ? x[i] : INFINITY);
}

/* Operand k's interval at element i: its box, or a constant's value. */
void pass_range_opnd(RangeCtx *c, const Node *n, int k, int64_t i, double *lo, double *hi)
{
	const Value *v = &c->g->vals[n->in[k]];

	if (v->kind == VK_CONST) {
		*lo = *hi = ((const float *)v->data)[i];
		return;
	}
	*lo = box_lo(&c->box[n->in[k]], i);
	*hi = box_hi(&c->box[n->in[k]], i);
}

/* The hull of v's intervals rounded outward to float, or no range at all
 * if it is not finite. */
static void store_hull(RangeCtx *c, int v)
{
	Value *val = &c->g->vals[v];
	const Box *b = &c->box[v];
	int64_t len = ir_shape_numel(&val->shape);
	double lo = INFINITY, hi = -INFINITY;

	if (b->coarse)
		len = 1;
	for (int64_t i = 0; i < len; i++) {
		lo = fmin(lo, b->lo[i]);
		hi = fmax(hi, b->hi[i]);
	}
	val->has_range = 0;
	if (!(lo >= -FLT_MAX && hi <= FLT_MAX && lo <= hi))
		return;
	float flo = (float)lo, fhi = (float)hi;
	if ((double)flo > lo)
		flo = nextafterf(flo, -INFINITY);
	if ((double)fhi < hi)
		fhi = nextafterf(fhi, INFINITY);
	if (!(flo >= -FLT_MAX && fhi <= FLT_MAX))
		return;
	val->has_range = 1;
	val->range[0] = flo == 0 ? 0.0f : flo; /* no "-0" in dumps */
	val->range[1] = fhi == 0 ? 0.0f : fhi;
}

static int check_float(Graph *g, Diag *d)
{
	for (int v = 0; v < g->nval; v++) {
		const Value *val = &g->vals[v];
		if (!val->has_type) {
			diag_error(d, val->loc,
			           "propagate-ranges: '%s' has no type (run infer-shapes first)",
			           val->name);
			return -1;
		}
		/* i64: indices (gather's), u8: masks (a comparison's), which are
		 * not quantized */
		if (val->dt != DT_F32 && val->dt != DT_I64 && val->dt != DT_U8) {
			diag_error(d, val->loc,
			           "propagate-ranges: '%s' is %s: the analysis runs on the "
			           "float graph, before quantize",
			           val->name, ir_dtype_name(val->dt));
			return -1;
		}
	}
	return 0;
}

int pass_propagate_ranges(Graph *g, const PassOptions *o, Diag *d)
{
	(void)o;
	if (check_float(g, d))
		return -1;

	RangeCtx c = {g, ir_xcalloc((size_t)(g->nval ? g->nval : 1), sizeof(Box)), 0};
	int *last = ir_xmalloc((size_t)(g->nval ? g->nval : 1) * sizeof *last);
	for (int v = 0; v < g->nval; v++)
		last[v] = -1;
	for (int i = 0; i < g->nnode; i++)
		for (int k = 0; k < g->nodes[i].nin; k++) /* add, mul, concat read several */
			last[g->nodes[i].in[k]] = i;

	for (int i = 0; i < g->ninput; i++) {
		int v = g->inputs[i];
		const Value *val = &g->vals[v];
		int64_t len = ir_shape_numel(&val->shape);
		Box *b = pass_box_new(&c, v);
		for (int64_t k = 0; k < (b->coarse ? 1 : len); k++)
			box_put(b, k, val->has_range ? val->range[0] : -INFINITY,
			        val->has_range ? val->range[1] : INFINITY);
	}
	for (int i = 0; i < g->nnode; i++) {
		const Node *n = &g->nodes[i];
		/* a constant first operand (fold-constants folds such nodes
		 * when all their operands are constants, but it may not have
		 * run): its data, element by element */
		if (n->op != OP_NONE && n->nin > 0 && g->vals[n->in[0]].kind == VK_CONST &&
		    !c.box[n->in[0]].lo)
			const_box(&c, n->in[0]);
		pass_rules[ir_ops[n->op].family]->range(&c, n);
		store_hull(&c, n->out);
		for (int k = 0; k < n->nin; k++)
			if (last[n->in[k]] == i)
				pass_box_free(&c, &c.box[n->in[k]]);
		if (last[n->out] < 0)
			pass_box_free(&c, &c.box[n->out]);
	}
	for (int v = 0; v < g->nval; v++)
		pass_box_free(&c, &c.box[v]);
	free(c.box);
	free(last);
	return 0;
}
