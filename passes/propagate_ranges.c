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
 * (docs/limits.md).  The rules, per op:
 *   conv2d, dense   lo = b + sum over the taps in bounds of w*lo_x (w > 0) or
 *                   w*hi_x (w < 0), hi likewise; padded taps add nothing
 *                   (the interpreter skips them), then widened by the float
 *                   rounding error of the sum (float_error), then the fused
 *                   activation
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

#include "passes.h"
#include "act_rules.h"
#include "eltwise.h"

/* Per-element intervals for values of at most BOX_ELEMS elements (16 MiB of
 * intervals), while those alive at once take at most BOX_BUDGET bytes. */
enum { BOX_ELEMS = 1 << 20 };
#define BOX_BUDGET ((int64_t)256 << 20)

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
} Ctx;

/* Makes b a box of n elements: per element if the limits allow, else
 * coarse (starting empty: [+inf, -inf], widened by every put). */
static void alloc_box(Ctx *c, Box *b, int64_t n)
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

static Box *new_box(Ctx *c, int v)
{
	Box *b = &c->box[v];
	alloc_box(c, b, ir_shape_numel(&c->g->vals[v].shape));
	return b;
}

static void free_box(Ctx *c, Box *b)
{
	free(b->lo);
	free(b->hi);
	b->lo = b->hi = NULL;
	c->live -= b->bytes;
	b->bytes = 0;
}

/* Element i's interval. */
static inline double LO(const Box *b, int64_t i)
{
	return b->lo[b->coarse ? 0 : i];
}

static inline double HI(const Box *b, int64_t i)
{
	return b->hi[b->coarse ? 0 : i];
}

/* Sets element i's interval (a coarse box takes the hull; fmin and fmax
 * drop a NaN bound as store_hull does). */
static inline void put(Box *b, int64_t i, double lo, double hi)
{
	if (b->coarse) {
		b->lo[0] = fmin(b->lo[0], lo);
		b->hi[0] = fmax(b->hi[0], hi);
		return;
	}
	b->lo[i] = lo;
	b->hi[i] = hi;
}

/* Bound on |fl(s) - s| for a float32 sum s of nterm terms (products rounded
 * once, then added one by one in any order) whose magnitudes add up to at
 * most mag: gamma_n * mag with gamma_n = n*u / (1 - n*u) (Higham, Accuracy
 * and Stability of Numerical Algorithms, 3.1), plus half the smallest
 * subnormal per operation for underflow.  u is float's unit roundoff 2^-24
 * raised by 2^-50, which also covers the double rounding of our own lo, hi
 * and mag (n ops at 2^-53 each, a few times over). */
static double float_error(int64_t nterm, double mag)
{
	const double u = 0x1p-24 + 0x1p-50;
	double nu = (double)nterm * u;

	if (nu >= 0.5)
		return INFINITY;
	return nu / (1.0 - nu) * mag + (double)nterm * 0x1p-149;
}

static void apply_act(Act act, double *lo, double *hi)
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

/* One output element of conv2d or dense: the running sum of w*x over its
 * taps; finish() turns it into an interval. */
typedef struct {
	double lo, hi, mag;
	int64_t n;
	int wild; /* a constant is not finite: the result can be anything, NaN too */
} Sum;

static void sum_start(Sum *s, const float *bias, int64_t oc)
{
	double b = bias ? bias[oc] : 0.0;
	*s = (Sum){b, b, fabs(b), 1, !isfinite(b)};
}

static void sum_tap(Sum *s, double w, double xl, double xh)
{
	if (!isfinite(w))
		s->wild = 1;
	if (w == 0 || s->wild)
		return; /* 0 * x is exactly 0 for every finite x */
	if (w > 0) {
		s->lo += w * xl;
		s->hi += w * xh;
	} else {
		s->lo += w * xh;
		s->hi += w * xl;
	}
	s->mag += fabs(w) * fmax(fabs(xl), fabs(xh));
	s->n++;
}

static void sum_finish(const Sum *s, Act act, Box *y, int64_t i)
{
	double e = float_error(s->n, s->mag);
	double lo = s->lo - e, hi = s->hi + e;
	if (s->wild) {
		lo = -INFINITY; /* no act either: it lets NaN through */
		hi = INFINITY;
	} else
		apply_act(act, &lo, &hi);
	put(y, i, lo, hi);
}

static const float *bias_of(Ctx *c, const Node *n)
{
	return n->nin > 2 ? c->g->vals[n->in[2]].data : NULL;
}

/* A max-pool window over box x [N, C, H, W] into y [N, C, OH, OW]:
 * [max of the window's lo, max of the window's hi] over the in-bound taps. */
typedef struct {
	int64_t N, C, H, W, OH, OW;
	const int64_t *kernel, *stride, *pad, *dilation;
} Window;

static void max_window(const Window *wn, const Box *x, Box *y)
{
	const int64_t N = wn->N, C = wn->C, H = wn->H, W = wn->W, OH = wn->OH, OW = wn->OW;

	for (int64_t b = 0; b < N; b++)
		for (int64_t ch = 0; ch < C; ch++)
			for (int64_t oy = 0; oy < OH; oy++)
				for (int64_t ox = 0; ox < OW; ox++) {
					double lo = -INFINITY, hi = -INFINITY;
					int taps = 0;
					for (int64_t ky = 0; ky < wn->kernel[0]; ky++) {
						int64_t iy = oy * wn->stride[0] - wn->pad[0] + ky * wn->dilation[0];
						for (int64_t kx = 0; kx < wn->kernel[1]; kx++) {
							int64_t ix = ox * wn->stride[1] - wn->pad[1] + kx * wn->dilation[1];
							if (iy < 0 || iy >= H || ix < 0 || ix >= W)
								continue;
							int64_t xi = ((b * C + ch) * H + iy) * W + ix;
							lo = fmax(lo, LO(x, xi));
							hi = fmax(hi, HI(x, xi));
							taps = 1;
						}
					}
					int64_t yi = ((b * C + ch) * OH + oy) * OW + ox;
					if (!taps)
						lo = hi = 0; /* no tap in bounds: the kernels give 0 */
					put(y, yi, lo, hi);
				}
}

/* A fused max-pool (pool = [kh,kw]): the convolution's intervals at its own
 * shape, then maxpool2d's rule over them with the pool_* attributes. */
static void conv2d(Ctx *c, const Node *n)
{
	const Shape *xs = &c->g->vals[n->in[0]].shape, *ws = &c->g->vals[n->in[1]].shape;
	const Shape *ys = &c->g->vals[n->out].shape;
	const float *w = c->g->vals[n->in[1]].data, *bias = bias_of(c, n);
	const Box *x = &c->box[n->in[0]];
	const Attrs *a = &n->a;
	ConvPool p;
	ir_conv_pool(c->g, n, &p);
	int64_t N = xs->d[0], C = xs->d[1], H = xs->d[2], W = xs->d[3];
	int64_t OC = ys->d[1], OH = p.ch, OW = p.cw, KH = ws->d[2], KW = ws->d[3];
	Box pre = {0}, *y = &pre;
	if (ir_has_pool(n))
		alloc_box(c, &pre, N * OC * OH * OW);
	else
		y = new_box(c, n->out);
	int64_t icg = C / a->groups, ocg = OC / a->groups;

	for (int64_t b = 0; b < N; b++)
		for (int64_t oc = 0; oc < OC; oc++)
			for (int64_t oy = 0; oy < OH; oy++)
				for (int64_t ox = 0; ox < OW; ox++) {
					Sum s;
					sum_start(&s, bias, oc);
					for (int64_t ic = 0; ic < icg; ic++) {
						int64_t cin = oc / ocg * icg + ic;
						for (int64_t ky = 0; ky < KH; ky++) {
							int64_t iy = oy * a->stride[0] - a->pad[0] + ky * a->dilation[0];
							if (iy < 0 || iy >= H)
								continue;
							for (int64_t kx = 0; kx < KW; kx++) {
								int64_t ix = ox * a->stride[1] - a->pad[1] + kx * a->dilation[1];
								if (ix < 0 || ix >= W)
									continue;
								int64_t xi = ((b * C + cin) * H + iy) * W + ix;
								sum_tap(&s, w[((oc * icg + ic) * KH + ky) * KW + kx],
								        LO(x, xi), HI(x, xi));
							}
						}
					}
					int64_t yi = ((b * OC + oc) * OH + oy) * OW + ox;
					sum_finish(&s, a->act, y, yi);
				}
	if (ir_has_pool(n)) {
		Window wn = {N, OC, OH, OW, p.oh, p.ow, a->pool, a->pool_stride, a->pool_pad,
		             a->pool_dilation};
		max_window(&wn, &pre, new_box(c, n->out));
		free_box(c, &pre);
	}
}

static void dense(Ctx *c, const Node *n)
{
	const Shape *ws = &c->g->vals[n->in[1]].shape;
	const float *w = c->g->vals[n->in[1]].data, *bias = bias_of(c, n);
	const Box *x = &c->box[n->in[0]];
	Box *y = new_box(c, n->out);
	int64_t N = c->g->vals[n->in[0]].shape.d[0], O = ws->d[0], I = ws->d[1];

	for (int64_t b = 0; b < N; b++)
		for (int64_t o = 0; o < O; o++) {
			Sum s;
			sum_start(&s, bias, o);
			for (int64_t i = 0; i < I; i++)
				sum_tap(&s, w[o * I + i], LO(x, b * I + i), HI(x, b * I + i));
			sum_finish(&s, n->a.act, y, b * O + o);
		}
}

static void relu(Ctx *c, const Node *n)
{
	int64_t len = ir_shape_numel(&c->g->vals[n->out].shape);
	const Box *x = &c->box[n->in[0]];
	Box *y = new_box(c, n->out);

	if (x->coarse && y->coarse)
		len = 1;
	for (int64_t i = 0; i < len; i++) {
		double lo = LO(x, i), hi = HI(x, i);
		apply_act(ACT_RELU, &lo, &hi);
		put(y, i, lo, hi);
	}
}

static void maxpool2d(Ctx *c, const Node *n)
{
	const Shape *xs = &c->g->vals[n->in[0]].shape, *ys = &c->g->vals[n->out].shape;
	const Attrs *a = &n->a;
	Window wn = {xs->d[0], xs->d[1], xs->d[2], xs->d[3], ys->d[2], ys->d[3], a->kernel,
	             a->stride, a->pad, a->dilation};

	max_window(&wn, &c->box[n->in[0]], new_box(c, n->out));
}

/* avgpool2d, global_avgpool: per output element, (sum of the in-bound
 * taps' bounds) / count, widened by the float rounding of the sum
 * (float_error) and of the division (half an ulp, relative). */
static void avgpool(Ctx *c, const Node *n)
{
	const Shape *xs = &c->g->vals[n->in[0]].shape, *ys = &c->g->vals[n->out].shape;
	const Box *x = &c->box[n->in[0]];
	Box *y = new_box(c, n->out);
	const Attrs *a = &n->a;
	int glob = n->op == OP_GLOBAL_AVGPOOL;
	int64_t NC = xs->d[0] * xs->d[1], H = xs->d[2], W = xs->d[3], OH = ys->d[2], OW = ys->d[3];
	int64_t KH = glob ? H : a->kernel[0], KW = glob ? W : a->kernel[1];
	int64_t sh = glob ? 1 : a->stride[0], sw = glob ? 1 : a->stride[1];
	int64_t pt = glob ? 0 : a->pad[0], pl = glob ? 0 : a->pad[1];

	for (int64_t nc = 0; nc < NC; nc++)
		for (int64_t oy = 0; oy < OH; oy++)
			for (int64_t ox = 0; ox < OW; ox++) {
				double lo = 0, hi = 0, mag = 0;
				int64_t taps = 0;
				for (int64_t ky = 0; ky < KH; ky++) {
					int64_t iy = oy * sh - pt + ky;
					for (int64_t kx = 0; kx < KW && iy >= 0 && iy < H; kx++) {
						int64_t ix = ox * sw - pl + kx;
						if (ix < 0 || ix >= W)
							continue;
						int64_t xi = (nc * H + iy) * W + ix;
						lo += LO(x, xi);
						hi += HI(x, xi);
						mag += fmax(fabs(LO(x, xi)), fabs(HI(x, xi)));
						taps++;
					}
				}
				double cnt = (double)(!glob && a->count_pad ? KH * KW : taps), e;
				e = float_error(taps, mag);
				lo = (lo - e) / cnt;
				hi = (hi + e) / cnt;
				int64_t yi = (nc * OH + oy) * OW + ox;
				put(y, yi, lo - fabs(lo) * 0x1p-23 - 0x1p-149, hi + fabs(hi) * 0x1p-23 + 0x1p-149);
			}
}

/* pad: the value where padding goes (NaN: anything), x's bounds inside. */
static void pad(Ctx *c, const Node *n)
{
	const Shape *xs = &c->g->vals[n->in[0]].shape, *ys = &c->g->vals[n->out].shape;
	const Box *x = &c->box[n->in[0]];
	Box *y = new_box(c, n->out);
	int64_t begin[IR_MAX_RANK], end[IR_MAX_RANK], ost[IR_MAX_RANK], idx[IR_MAX_RANK] = {0};
	int64_t cnt = ir_shape_numel(xs), ocnt = ir_shape_numel(ys), m = 1;
	double v = n->a.value;

	ir_pad_amounts(&n->a, xs->rank, begin, end);
	for (int k = ys->rank - 1; k >= 0; k--) {
		ost[k] = m;
		m *= ys->d[k];
	}
	/* a coarse result holds the pad value only if there is padding */
	for (int64_t i = 0; i < (y->coarse ? ocnt > cnt : ocnt); i++)
		put(y, i, isnan(v) ? -INFINITY : v, isnan(v) ? INFINITY : v);
	for (int64_t i = 0; i < cnt; i++) {
		int64_t o = 0;
		for (int k = 0; k < xs->rank; k++)
			o += (idx[k] + begin[k]) * ost[k];
		put(y, o, LO(x, i), HI(x, i));
		for (int k = xs->rank - 1; k >= 0 && ++idx[k] == xs->d[k]; k--)
			idx[k] = 0;
	}
}

/* transpose: the same intervals, moved as the elements are. */
static void transpose(Ctx *c, const Node *n)
{
	const Shape *xs = &c->g->vals[n->in[0]].shape, *ys = &c->g->vals[n->out].shape;
	const Box *x = &c->box[n->in[0]];
	Box *y = new_box(c, n->out);
	int64_t xst[IR_MAX_RANK], idx[IR_MAX_RANK] = {0}, cnt = ir_shape_numel(ys), m = 1;
	int perm[IR_MAX_RANK];

	ir_transpose_perm(&n->a, xs->rank, perm);
	for (int k = xs->rank - 1; k >= 0; k--) {
		xst[k] = m;
		m *= xs->d[k];
	}
	for (int64_t i = 0; i < cnt; i++) {
		int64_t j = 0;
		for (int k = 0; k < ys->rank; k++)
			j += idx[k] * xst[perm[k]];
		put(y, i, LO(x, j), HI(x, j));
		for (int k = ys->rank - 1; k >= 0 && ++idx[k] == ys->d[k]; k--)
			idx[k] = 0;
	}
}

static void same(Ctx *c, const Node *n)
{
	int64_t len = ir_shape_numel(&c->g->vals[n->out].shape);
	const Box *x = &c->box[n->in[0]];
	Box *y = new_box(c, n->out);

	if (x->coarse == y->coarse) {
		size_t k = (size_t)(y->coarse ? 1 : len);
		memcpy(y->lo, x->lo, k * sizeof *y->lo);
		memcpy(y->hi, x->hi, k * sizeof *y->hi);
		return;
	}
	for (int64_t i = 0; i < len; i++)
		put(y, i, LO(x, i), HI(x, i));
}

/* the element-wise rule of act_rules.c, element by element */
static void act(Ctx *c, const Node *n)
{
	int64_t len = ir_shape_numel(&c->g->vals[n->out].shape);
	const Box *x = &c->box[n->in[0]];
	Box *y = new_box(c, n->out);

	if (x->coarse && y->coarse)
		len = 1;
	for (int64_t i = 0; i < len; i++) {
		double lo = LO(x, i), hi = HI(x, i);
		pass_act_interval(n, &lo, &hi);
		put(y, i, lo, hi);
	}
}

static void quantize(Ctx *c, const Node *n)
{
	const Value *yv = &c->g->vals[n->out];
	size_t len = (size_t)ir_shape_numel(&yv->shape);
	double s = yv->q.present ? yv->q.scale[0] : 0, lo = -INFINITY, hi = INFINITY;
	Box *y = new_box(c, n->out);

	if (yv->q.present && (yv->dt == DT_I8 || yv->dt == DT_I16)) {
		lo = s * (ir_qmin(yv->dt) - yv->q.zp);
		hi = s * (ir_qmax(yv->dt) - yv->q.zp);
	}
	const Box *x = &c->box[n->in[0]];
	if (x->coarse && y->coarse)
		len = 1;
	for (size_t i = 0; i < len; i++)
		put(y, (int64_t)i, fmin(fmax(LO(x, (int64_t)i) - s / 2, lo), hi),
		    fmax(fmin(HI(x, (int64_t)i) + s / 2, hi), lo));
}

static void unbounded(Ctx *c, const Node *n)
{
	int64_t len = ir_shape_numel(&c->g->vals[n->out].shape);
	Box *y = new_box(c, n->out);

	for (int64_t i = 0; i < (y->coarse ? 1 : len); i++)
		put(y, i, -INFINITY, INFINITY);
}

/* The box of constant v: its values. */
static void const_box(Ctx *c, int v)
{
	const Value *val = &c->g->vals[v];
	const float *x = val->data;
	int64_t len = ir_shape_numel(&val->shape);
	Box *b = new_box(c, v);

	for (int64_t i = 0; i < len; i++)
		put(b, i, x ? x[i] : -INFINITY, x ? x[i] : INFINITY);
}

/* Operand k's interval at element i: its box, or a constant's value. */
static void opnd_at(Ctx *c, const Node *n, int k, int64_t i, double *lo, double *hi)
{
	const Value *v = &c->g->vals[n->in[k]];

	if (v->kind == VK_CONST) {
		*lo = *hi = ((const float *)v->data)[i];
		return;
	}
	*lo = LO(&c->box[n->in[k]], i);
	*hi = HI(&c->box[n->in[k]], i);
}

/* The least and greatest of the four corner results p[0..3] (NaN if any
 * is NaN). */
static void corners(const double *p, double *lo, double *hi)
{
	*lo = *hi = p[0];
	for (int k = 1; k < 4; k++) {
		*lo = isnan(p[k]) || isnan(*lo) ? NAN : fmin(*lo, p[k]);
		*hi = isnan(p[k]) || isnan(*hi) ? NAN : fmax(*hi, p[k]);
	}
}

/* [al, ah] op [bl, bh] before rounding: add [al+bl, ah+bh], sub [al-bh,
 * ah-bl], mul and div the least and greatest corner (a quotient is monotonic
 * in each operand while the divisor keeps its sign); a divisor interval
 * holding 0 gives NaN: unbounded. */
static void interval(Op op, double al, double ah, double bl, double bh, double *lo, double *hi)
{
	switch (op) {
	case OP_ADD:
		*lo = al + bl;
		*hi = ah + bh;
		return;
	case OP_SUB:
		*lo = al - bh;
		*hi = ah - bl;
		return;
	case OP_DIV:
		if (bl <= 0 && bh >= 0) {
			*lo = *hi = NAN;
			return;
		}
		corners((const double[4]){al / bl, al / bh, ah / bl, ah / bh}, lo, hi);
		return;
	default:
		corners((const double[4]){al * bl, al * bh, ah * bl, ah * bh}, lo, hi);
		return;
	}
}

/* add, sub, mul, div: the interval of interval(), widened by one float
 * rounding, then the fused activation; broadcast operands are read at the
 * output's index.  NaN bounds (inf - inf, 0 * inf, inf / inf, a divisor
 * that may be 0) mean the float result may be NaN or infinite: unbounded,
 * no act (it lets NaN through). */
static void binary(Ctx *c, const Node *n)
{
	const Shape *ys = &c->g->vals[n->out].shape;
	int64_t sa[IR_MAX_RANK], sb[IR_MAX_RANK], len = ir_shape_numel(ys);
	Box *y = new_box(c, n->out);

	ir_broadcast_strides(&c->g->vals[n->in[0]].shape, ys, sa);
	ir_broadcast_strides(&c->g->vals[n->in[1]].shape, ys, sb);
	for (int64_t i = 0; i < len; i++) {
		int64_t ia = 0, ib = 0, r = i;
		double al, ah, bl, bh, lo, hi;
		for (int k = ys->rank - 1; k >= 0; k--) {
			ia += r % ys->d[k] * sa[k];
			ib += r % ys->d[k] * sb[k];
			r /= ys->d[k];
		}
		opnd_at(c, n, 0, ia, &al, &ah);
		opnd_at(c, n, 1, ib, &bl, &bh);
		interval(n->op, al, ah, bl, bh, &lo, &hi);
		if (isnan(lo) || isnan(hi)) {
			put(y, i, -INFINITY, INFINITY);
			continue;
		}
		lo -= float_error(1, fabs(lo));
		hi += float_error(1, fabs(hi));
		apply_act(n->a.act, &lo, &hi);
		put(y, i, lo, hi);
	}
}

/* The operands' intervals, placed where concat puts their elements (so the
 * result's hull is the hull of the operands'). */
static void concat(Ctx *c, const Node *n)
{
	const Shape *ys = &c->g->vals[n->out].shape;
	int ax = ir_concat_axis(n->a.axis, ys->rank);
	int64_t outer = 1, inner = 1, off = 0;
	Box *y = new_box(c, n->out);

	for (int k = 0; k < ax; k++)
		outer *= ys->d[k];
	for (int k = ax + 1; k < ys->rank; k++)
		inner *= ys->d[k];
	for (int i = 0; i < n->nin; i++) {
		int64_t xstep = c->g->vals[n->in[i]].shape.d[ax] * inner;
		for (int64_t o = 0; o < outer; o++)
			for (int64_t j = 0; j < xstep; j++) {
				int64_t yi = o * ys->d[ax] * inner + off + j;
				double lo, hi;
				opnd_at(c, n, i, o * xstep + j, &lo, &hi);
				put(y, yi, lo, hi);
			}
		off += xstep;
	}
}

/* The hull of v's intervals rounded outward to float, or no range at all
 * if it is not finite. */
static void store_hull(Ctx *c, int v)
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
			diag_error(d, val->loc, "propagate-ranges: '%s' has no type (run infer-shapes first)",
			           val->name);
			return -1;
		}
		if (val->dt != DT_F32) {
			diag_error(d, val->loc, "propagate-ranges: '%s' is %s: the analysis runs on the "
			           "float graph, before quantize", val->name, ir_dtype_name(val->dt));
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

	Ctx c = {g, ir_xcalloc((size_t)(g->nval ? g->nval : 1), sizeof(Box)), 0};
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
		Box *b = new_box(&c, v);
		for (int64_t k = 0; k < (b->coarse ? 1 : len); k++)
			put(b, k, val->has_range ? val->range[0] : -INFINITY,
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
		/* every op needs a rule here (ir/ops.def says so) */
		switch (n->op) {
		case OP_CONV2D: conv2d(&c, n); break;
		case OP_DENSE: dense(&c, n); break;
		case OP_RELU: relu(&c, n); break;
		case OP_MAXPOOL2D: maxpool2d(&c, n); break;
		case OP_AVGPOOL2D:
		case OP_GLOBAL_AVGPOOL: avgpool(&c, n); break;
		case OP_PAD: pad(&c, n); break;
		case OP_TRANSPOSE: transpose(&c, n); break;
		case OP_FLATTEN:
		case OP_RESHAPE:
		case OP_DEQUANTIZE: same(&c, n); break;
		case OP_QUANTIZE: quantize(&c, n); break;
		case OP_CLIP:
		case OP_LEAKY_RELU:
		case OP_SIGMOID:
		case OP_TANH:
		case OP_HARD_SIGMOID:
		case OP_HARD_SWISH:
		case OP_SOFTMAX: act(&c, n); break;
		case OP_ADD:
		case OP_SUB:
		case OP_MUL:
		case OP_DIV:
		case OP_CONCAT:
			if (!ir_eltwise_ok(g, n))
				unbounded(&c, n); /* shapes infer-shapes would refuse */
			else if (n->op == OP_CONCAT)
				concat(&c, n);
			else
				binary(&c, n);
			break;
		default: ICE("propagate-ranges: no rule for %s", ir_ops[n->op].name);
		}
		store_hull(&c, n->out);
		for (int k = 0; k < n->nin; k++)
			if (last[n->in[k]] == i)
				free_box(&c, &c.box[n->in[k]]);
		if (last[n->out] < 0)
			free_box(&c, &c.box[n->out]);
	}
	for (int v = 0; v < g->nval; v++)
		free_box(&c, &c.box[v]);
	free(c.box);
	free(last);
	return 0;
}
