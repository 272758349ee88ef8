/* passes/fam_pool.c — the pool family's pass rules (pass_rules.h): what
 * infer-shapes, propagate-ranges, check-overflow and quantize do with
 * maxpool2d, avgpool2d and global_avgpool (windows over NCHW planes, the
 * geometry of ir/geometry.c).
 *   shapes      the window (ir_out_dim): in range, fitting the padded
 *               input, each pad smaller than the window
 *   ranges      maxpool2d [max of the window's lo, max of its hi] over the
 *               in-bound taps (padding never wins; an empty window is
 *               [0, 0], the interpreter's 0); avgpool2d, global_avgpool
 *               (sum of the window's bounds) / count, widened by the
 *               rounding of the float sum and division
 *   overflow    maxpool2d keeps its input's integers; the avgpools' int32
 *               window sum is proven
 *   quantize    OPF_KEEPQ: the input's parameters */
#include <math.h>

#include "pass_rules.h"

/* ---- infer-shapes ------------------------------------------------------------- */

#define ERR(...) (diag_error(d, n->loc, __VA_ARGS__), -1)

static int maxpool2d(Graph *g, Node *n, Diag *d, Shape *out)
{
	const Attrs *a = &n->a;
	if (pass_need_rank(g, n, 0, 4, "input", d) || pass_window_attrs(n, 1, d))
		return -1;
	const Value *x = &g->vals[n->in[0]];
	int64_t oh = ir_out_dim(x->shape.d[2], a->kernel[0], a->stride[0], a->pad[0], a->pad[2],
	                        a->dilation[0]);
	int64_t ow = ir_out_dim(x->shape.d[3], a->kernel[1], a->stride[1], a->pad[1], a->pad[3],
	                        a->dilation[1]);
	/* the window's span: (k - 1) * dilation + 1 */
	int64_t sh = (a->kernel[0] - 1) * a->dilation[0] + 1,
	        sw = (a->kernel[1] - 1) * a->dilation[1] + 1;
	if (oh < 1 || ow < 1)
		return ERR("maxpool2d: the %lldx%lld window does not fit the padded input",
		           (long long)sh, (long long)sw);
	if (a->pad[0] >= sh || a->pad[2] >= sh || a->pad[1] >= sw || a->pad[3] >= sw)
		return ERR("maxpool2d: padding must be smaller than the window");
	*out = (Shape){4, {x->shape.d[0], x->shape.d[1], oh, ow}};
	return 0;
}

/* avgpool2d: maxpool2d's window rules, plus a window of fewer than 2^31 taps
 * (the integer kernel divides in int32) and count_pad 0 or 1. */
static int avgpool2d(Graph *g, Node *n, Diag *d, Shape *out)
{
	const Attrs *a = &n->a;
	if (pass_need_rank(g, n, 0, 4, "input", d) || pass_window_attrs(n, 1, d))
		return -1;
	const Value *x = &g->vals[n->in[0]];
	int64_t oh = ir_out_dim(x->shape.d[2], a->kernel[0], a->stride[0], a->pad[0], a->pad[2], 1);
	int64_t ow = ir_out_dim(x->shape.d[3], a->kernel[1], a->stride[1], a->pad[1], a->pad[3], 1);
	if (oh < 1 || ow < 1)
		return ERR("avgpool2d: the %lldx%lld window does not fit the padded input",
		           (long long)a->kernel[0], (long long)a->kernel[1]);
	if (a->pad[0] >= a->kernel[0] || a->pad[2] >= a->kernel[0] || a->pad[1] >= a->kernel[1] ||
	    a->pad[3] >= a->kernel[1])
		return ERR("avgpool2d: padding must be smaller than the window");
	if (a->kernel[0] * a->kernel[1] > INT32_MAX)
		return ERR("avgpool2d: the window must have fewer than 2^31 elements");
	if (a->count_pad != 0 && a->count_pad != 1)
		return ERR("avgpool2d: count_pad must be 0 (divide by the elements inside the "
		           "input) or 1 (by the whole window)");
	*out = (Shape){4, {x->shape.d[0], x->shape.d[1], oh, ow}};
	return 0;
}

static int global_avgpool(Graph *g, Node *n, Diag *d, Shape *out)
{
	if (pass_need_rank(g, n, 0, 4, "input", d))
		return -1;
	const Value *x = &g->vals[n->in[0]];
	*out = (Shape){4, {x->shape.d[0], x->shape.d[1], 1, 1}};
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d, Shape *s, DType *dt)
{
	(void)dt; /* the input's */
	switch (n->op) {
	case OP_MAXPOOL2D: return maxpool2d(g, n, d, s);
	case OP_AVGPOOL2D: return avgpool2d(g, n, d, s);
	case OP_GLOBAL_AVGPOOL: return global_avgpool(g, n, d, s);
	default: ICE("infer-shapes: %s is not a pool", ir_ops[n->op].name);
	}
}

#undef ERR

/* ---- propagate-ranges --------------------------------------------------------- */

/* The window of node n: maxpool2d's and avgpool2d's from ir_conv_geo,
 * global_avgpool's the whole plane. */
static void window(const RangeCtx *c, const Node *n, ConvGeo *cg)
{
	if (n->op != OP_GLOBAL_AVGPOOL) {
		if (ir_conv_geo(c->g, n, cg))
			ICE("propagate-ranges: %s '%s' has an invalid geometry", ir_ops[n->op].name,
			    c->g->vals[n->out].name);
		return;
	}
	const Shape *xs = &c->g->vals[n->in[0]].shape;
	*cg = (ConvGeo){.N = xs->d[0],
	                .C = xs->d[1],
	                .H = xs->d[2],
	                .W = xs->d[3],
	                .KH = xs->d[2],
	                .KW = xs->d[3],
	                .sh = 1,
	                .sw = 1,
	                .dh = 1,
	                .dw = 1,
	                .OH = 1,
	                .OW = 1};
}

/* avgpool2d, global_avgpool: per output element, (sum of the in-bound
 * taps' bounds) / count, widened by the float rounding of the sum
 * (pass_float_error) and of the division (half an ulp, relative). */
static void avgpool(RangeCtx *c, const Node *n, const ConvGeo *cg)
{
	const Box *x = &c->box[n->in[0]];
	Box *y = pass_box_new(c, n->out);
	int glob = n->op == OP_GLOBAL_AVGPOOL;
	int64_t NC = cg->N * cg->C, H = cg->H, W = cg->W, OH = cg->OH, OW = cg->OW;

	for (int64_t nc = 0; nc < NC; nc++)
		for (int64_t oy = 0; oy < OH; oy++)
			for (int64_t ox = 0; ox < OW; ox++) {
				double lo = 0, hi = 0, mag = 0;
				int64_t y0 = oy * cg->sh - cg->pt, x0 = ox * cg->sw - cg->pl, ky0,
				        ky1, kx0, kx1;
				ir_tap_range(H, cg->KH, 1, y0, &ky0, &ky1);
				ir_tap_range(W, cg->KW, 1, x0, &kx0, &kx1);
				for (int64_t ky = ky0; ky < ky1; ky++)
					for (int64_t kx = kx0; kx < kx1; kx++) {
						int64_t xi = (nc * H + y0 + ky) * W + x0 + kx;
						lo += box_lo(x, xi);
						hi += box_hi(x, xi);
						mag += fmax(fabs(box_lo(x, xi)),
						            fabs(box_hi(x, xi)));
					}
				int64_t taps = (ky1 - ky0) * (kx1 - kx0);
				double cnt = (double)(!glob && n->a.count_pad ? cg->KH * cg->KW
				                                              : taps),
				       e;
				e = pass_float_error(taps, mag);
				lo = (lo - e) / cnt;
				hi = (hi + e) / cnt;
				int64_t yi = (nc * OH + oy) * OW + ox;
				box_put(y, yi, lo - fabs(lo) * 0x1p-23 - 0x1p-149,
				        hi + fabs(hi) * 0x1p-23 + 0x1p-149);
			}
}

static void range(RangeCtx *c, const Node *n)
{
	ConvGeo cg;

	window(c, n, &cg);
	switch (n->op) {
	case OP_MAXPOOL2D:
		pass_range_max_window(&cg, &c->box[n->in[0]], pass_box_new(c, n->out));
		break;
	case OP_AVGPOOL2D:
	case OP_GLOBAL_AVGPOOL: avgpool(c, n, &cg); break;
	default: ICE("propagate-ranges: %s is not a pool", ir_ops[n->op].name);
	}
}

/* ---- check-overflow ----------------------------------------------------------- */

/* avgpool2d / global_avgpool sum up to count raw integers (and the zero
 * point for padded taps with count_pad) in int32, then add count/2 to round:
 * |acc| + count/2 <= m * count + count/2 must fit.  The average of integers
 * in [lo, hi], rounded, stays in [lo, hi] (with zp too under count_pad). */
static int avgpool_overflow(const Graph *g, const Node *n, QRange xr, QRange *out, Diag *d)
{
	const Value *x = &g->vals[n->in[0]];
	int glob = n->op == OP_GLOBAL_AVGPOOL, cpad = !glob && n->a.count_pad;
	int64_t count = glob ? x->shape.d[2] * x->shape.d[3] : n->a.kernel[0] * n->a.kernel[1];
	int64_t lo = xr.lo, hi = xr.hi, m;

	if (cpad) {
		lo = lo < x->q.zp ? lo : x->q.zp;
		hi = hi > x->q.zp ? hi : x->q.zp;
	}
	m = -lo > hi ? -lo : hi;
	*out = (QRange){(int32_t)lo, (int32_t)hi};
	if (m * count + count / 2 <= INT32_MAX)
		return 0;
	diag_error(d, n->loc,
	           "%s '%s': the int32 sum of its %lld-element window can reach %lld "
	           "(> 2^31-1): use a smaller window",
	           ir_ops[n->op].name, g->vals[n->out].name, (long long)count,
	           (long long)(m * count + count / 2));
	return -1;
}

static int overflow(const Graph *g, const Node *n, QRange *r, Diag *d)
{
	switch (n->op) {
	case OP_MAXPOOL2D: r[n->out] = r[n->in[0]]; return 0;
	case OP_AVGPOOL2D:
	case OP_GLOBAL_AVGPOOL: return avgpool_overflow(g, n, r[n->in[0]], &r[n->out], d);
	default: ICE("check-overflow: %s is not a pool", ir_ops[n->op].name);
	}
}

/* ---- quantize ------------------------------------------------------------------ */

/* OPF_KEEPQ: the caller has given the result its input's parameters. */
static int quantize(QuantCtx *q, Node *n, DType dt)
{
	(void)q, (void)n, (void)dt;
	return 0;
}

const PassRules pass_rules_pool = {
        .infer = infer,
        .macs = pass_no_macs,
        .range = range,
        .overflow = overflow,
        .convert_all = 0,
        .own_qparams = 0,
        .quantize = quantize,
        .why_no_range = pass_no_note,
        .bias_error = NULL,
};
