/* passes/fam_weighted.c — the weighted family's pass rules (pass_rules.h): what
 * infer-shapes, propagate-ranges, check-overflow, quantize and bias-correct
 * do with conv2d and dense, whose operand 1 is a weight tensor (one row per
 * output channel) and operand 2 an optional bias.
 *   shapes      conv2d: groups, channels, the window (ir_out_dim) and the
 *               fused max-pool (ir_conv_pool); dense: [N, I] x [O, I]
 *   ranges      b + sum of w * x's bound per tap in bounds, widened by the
 *               float rounding of the sum, then the fused activation (and
 *               the fused max-pool's rule)
 *   overflow    the accumulator bound |bias| + max |x - zp| * sum |w|
 *               (check_overflow.c says why it suffices)
 *   quantize    the result from its range or pin; weights int8 per output
 *               channel (once for the layers sharing them), the bias int32
 *               (int64 for int16 layers), each layer its own
 *   bias        the mean output change the weights' quantization causes */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pass_rules.h"

/* ---- infer-shapes ------------------------------------------------------------- */

#define ERR(...) (diag_error(d, n->loc, __VA_ARGS__), -1)

static const char *sh(const Value *v, char *buf)
{
	return ir_shape_str(&v->shape, buf, 96);
}

/* The weight and bias are constants of the layer's kind: f32 in a float
 * layer, i8 weights and an i32 (or i64) bias in a quantized one. */
static int operand_types(Graph *g, Node *n, Diag *d)
{
	const Value *x = &g->vals[n->in[0]], *w = &g->vals[n->in[1]];
	const Value *b = n->nin > 2 ? &g->vals[n->in[2]] : NULL;
	const char *op = ir_ops[n->op].name;

	if (w->kind != VK_CONST)
		return ERR("%s: weight '%s' must be a constant", op, w->name);
	if (b && b->kind != VK_CONST)
		return ERR("%s: bias '%s' must be a constant", op, b->name);
	if (x->dt == DT_F32) {
		for (int i = 1; i < n->nin; i++)
			if (g->vals[n->in[i]].dt != DT_F32)
				return ERR("%s: '%s' is %s in a float layer", op,
				           g->vals[n->in[i]].name,
				           ir_dtype_name(g->vals[n->in[i]].dt));
	} else if (x->dt == DT_I8 || x->dt == DT_I16) {
		if (w->dt != DT_I8 || (b && b->dt != DT_I32 && b->dt != DT_I64))
			return ERR("%s: a quantized layer needs i8 weights and an i32 bias", op);
	} else
		return ERR("%s: unsupported input type %s", op, ir_dtype_name(x->dt));
	return 0;
}

static int conv2d(Graph *g, Node *n, Diag *d, Shape *out)
{
	const Attrs *a = &n->a;
	char b1[96], b2[96];

	if (pass_need_rank(g, n, 0, 4, "input", d) || pass_need_rank(g, n, 1, 4, "weight", d) ||
	    pass_window_attrs(n, 0, d))
		return -1;
	const Value *x = &g->vals[n->in[0]], *w = &g->vals[n->in[1]];
	int64_t C = x->shape.d[1], OC = w->shape.d[0], G = a->groups;
	if (G < 1 || C % G || OC % G)
		return ERR("conv2d: groups = %lld must divide the input channels (%lld) and the "
		           "output channels (%lld)",
		           (long long)G, (long long)C, (long long)OC);
	if (w->shape.d[1] != C / G)
		return ERR("conv2d: input '%s' %s has %lld channels%s, weight '%s' %s expects %lld",
		           x->name, sh(x, b1), (long long)C, G > 1 ? " (per group: fewer)" : "",
		           w->name, sh(w, b2), (long long)(w->shape.d[1] * G));
	if (n->nin > 2) {
		const Value *b = &g->vals[n->in[2]];
		if (b->shape.rank != 1 || b->shape.d[0] != OC)
			return ERR("conv2d: bias '%s' %s must be [%lld]", b->name, sh(b, b1),
			           (long long)OC);
	}
	int64_t oh = ir_out_dim(x->shape.d[2], w->shape.d[2], a->stride[0], a->pad[0], a->pad[2],
	                        a->dilation[0]);
	int64_t ow = ir_out_dim(x->shape.d[3], w->shape.d[3], a->stride[1], a->pad[1], a->pad[3],
	                        a->dilation[1]);
	if (oh < 1 || ow < 1)
		return ERR(
		        "conv2d: the %lldx%lld kernel (dilated) does not fit the padded %lldx%lld input",
		        (long long)w->shape.d[2], (long long)w->shape.d[3],
		        (long long)x->shape.d[2], (long long)x->shape.d[3]);
	ConvPool p;
	if (ir_conv_pool(g, n, &p) < 0)
		return ERR("conv2d: the fused max-pool (pool = [%lld,%lld]) needs windows, strides "
		           "and dilations in [1, 65536], each pad smaller than the window's span, "
		           "and a window that fits the padded %lldx%lld convolution output",
		           (long long)a->pool[0], (long long)a->pool[1], (long long)oh,
		           (long long)ow);
	*out = (Shape){4, {x->shape.d[0], OC, p.oh, p.ow}};
	return 0;
}

static int dense(Graph *g, Node *n, Diag *d, Shape *out)
{
	char b1[96], b2[96];
	const Value *x = &g->vals[n->in[0]], *w = &g->vals[n->in[1]];

	if (x->shape.rank != 2)
		return ERR("dense: input '%s' must be [N, I], it is %s (flatten it first)", x->name,
		           sh(x, b1));
	if (pass_need_rank(g, n, 1, 2, "weight", d))
		return -1;
	if (w->shape.d[1] != x->shape.d[1])
		return ERR("dense: input '%s' %s has %lld features, weight '%s' %s expects %lld",
		           x->name, sh(x, b1), (long long)x->shape.d[1], w->name, sh(w, b2),
		           (long long)w->shape.d[1]);
	if (n->nin > 2) {
		const Value *b = &g->vals[n->in[2]];
		if (b->shape.rank != 1 || b->shape.d[0] != w->shape.d[0])
			return ERR("dense: bias '%s' %s must be [%lld]", b->name, sh(b, b1),
			           (long long)w->shape.d[0]);
	}
	*out = (Shape){2, {x->shape.d[0], w->shape.d[0]}};
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d, Shape *s, DType *dt)
{
	(void)dt; /* the input's */
	switch (n->op) {
	case OP_CONV2D: return operand_types(g, n, d) || conv2d(g, n, d, s) ? -1 : 0;
	case OP_DENSE: return operand_types(g, n, d) || dense(g, n, d, s) ? -1 : 0;
	default: ICE("infer-shapes: %s is not a weighted op", ir_ops[n->op].name);
	}
}

#undef ERR

/* The multiply-accumulates of n; INT64_MAX if they overflow. */
static int64_t macs(const Graph *g, const Node *n)
{
	const Value *out = &g->vals[n->out];
	int64_t m = 0;

	switch (n->op) {
	case OP_CONV2D: {
		const Shape *w = &g->vals[n->in[1]].shape;
		ConvPool p;
		int64_t conv_out = ir_shape_numel(&out->shape);
		/* a fused pool: the MACs of the convolution's own output */
		if (ir_has_pool(n) && ir_conv_pool(g, n, &p) > 0 &&
		    (!ir_mul_ok(conv_out / (p.oh * p.ow), p.ch * p.cw, &conv_out)))
			return INT64_MAX;
		if (!ir_mul_ok(conv_out, w->d[1], &m) || !ir_mul_ok(m, w->d[2], &m) ||
		    !ir_mul_ok(m, w->d[3], &m))
			return INT64_MAX;
		return m;
	}
	case OP_DENSE:
		if (!ir_mul_ok(ir_shape_numel(&out->shape), g->vals[n->in[1]].shape.d[1], &m))
			return INT64_MAX;
		return m;
	default: ICE("macs: %s is not a weighted op", ir_ops[n->op].name);
	}
}

/* ---- propagate-ranges --------------------------------------------------------- */

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
	double e = pass_float_error(s->n, s->mag);
	double lo = s->lo - e, hi = s->hi + e;
	if (s->wild) {
		lo = -INFINITY; /* no act either: it lets NaN through */
		hi = INFINITY;
	} else
		pass_range_act(act, &lo, &hi);
	box_put(y, i, lo, hi);
}

static const float *bias_of(const RangeCtx *c, const Node *n)
{
	return n->nin > 2 ? c->g->vals[n->in[2]].data : NULL;
}

/* conv2d: per output element the sum over its in-bound taps (ir_tap_range:
 * padded taps add nothing, as in the interpreter).  A fused max-pool
 * (pool = [kh,kw]): the convolution's intervals at its own shape, then
 * maxpool2d's rule over them with the pool_* attributes. */
static void conv2d_range(RangeCtx *c, const Node *n)
{
	const float *w = c->g->vals[n->in[1]].data, *bias = bias_of(c, n);
	const Box *x = &c->box[n->in[0]];
	ConvGeo cg;
	if (ir_conv_geo(c->g, n, &cg))
		ICE("propagate-ranges: conv2d '%s' has an invalid geometry",
		    c->g->vals[n->out].name);
	const int64_t N = cg.N, C = cg.C, H = cg.H, W = cg.W, OC = cg.OC, OH = cg.OH, OW = cg.OW;
	const int64_t KH = cg.KH, KW = cg.KW, icg = cg.Cg, ocg = cg.OCg;
	Box pre = {0}, *y = &pre;
	if (ir_has_pool(n))
		pass_box_alloc(c, &pre, N * OC * OH * OW);
	else
		y = pass_box_new(c, n->out);

	for (int64_t b = 0; b < N; b++)
		for (int64_t oc = 0; oc < OC; oc++)
			for (int64_t oy = 0; oy < OH; oy++)
				for (int64_t ox = 0; ox < OW; ox++) {
					int64_t y0 = oy * cg.sh - cg.pt, x0 = ox * cg.sw - cg.pl,
					        ky0, ky1, kx0, kx1;
					ir_tap_range(H, KH, cg.dh, y0, &ky0, &ky1);
					ir_tap_range(W, KW, cg.dw, x0, &kx0, &kx1);
					Sum s;
					sum_start(&s, bias, oc);
					for (int64_t ic = 0; ic < icg; ic++) {
						int64_t cin = oc / ocg * icg + ic;
						for (int64_t ky = ky0; ky < ky1; ky++)
							for (int64_t kx = kx0; kx < kx1; kx++) {
								int64_t xi = ((b * C + cin) * H +
								              y0 + ky * cg.dh) *
								                     W +
								             x0 + kx * cg.dw;
								sum_tap(&s,
								        w[((oc * icg + ic) * KH +
								           ky) * KW +
								          kx],
								        box_lo(x, xi),
								        box_hi(x, xi));
							}
					}
					int64_t yi = ((b * OC + oc) * OH + oy) * OW + ox;
					sum_finish(&s, n->a.act, y, yi);
				}
	if (ir_has_pool(n)) {
		ConvGeo pg;
		ir_conv_pool_geo(&cg, &pg);
		pass_range_max_window(&pg, &pre, pass_box_new(c, n->out));
		pass_box_free(c, &pre);
	}
}

static void dense_range(RangeCtx *c, const Node *n)
{
	const Shape *ws = &c->g->vals[n->in[1]].shape;
	const float *w = c->g->vals[n->in[1]].data, *bias = bias_of(c, n);
	const Box *x = &c->box[n->in[0]];
	Box *y = pass_box_new(c, n->out);
	int64_t N = c->g->vals[n->in[0]].shape.d[0], O = ws->d[0], I = ws->d[1];

	for (int64_t b = 0; b < N; b++)
		for (int64_t o = 0; o < O; o++) {
			Sum s;
			sum_start(&s, bias, o);
			for (int64_t i = 0; i < I; i++)
				sum_tap(&s, w[o * I + i], box_lo(x, b * I + i),
				        box_hi(x, b * I + i));
			sum_finish(&s, n->a.act, y, b * O + o);
		}
}

static void range(RangeCtx *c, const Node *n)
{
	switch (n->op) {
	case OP_CONV2D: conv2d_range(c, n); break;
	case OP_DENSE: dense_range(c, n); break;
	default: ICE("propagate-ranges: %s is not a weighted op", ir_ops[n->op].name);
	}
}

/* ---- check-overflow ----------------------------------------------------------- */

/* The bound of one output channel, in parts for the diagnostic. */
typedef struct {
	uint64_t bias;  /* |bias[c]| */
	uint64_t sumw;  /* sum_k |w[c,k]| */
	uint64_t total; /* bias + m * sumw */
} Bound;

static Bound channel_bound(const Value *w, const Value *b, int64_t c, int64_t k, uint64_t m)
{
	const int8_t *wq = (const int8_t *)w->data + c * k;
	Bound r = {0, 0, 0};

	for (int64_t i = 0; i < k; i++)
		r.sumw += (uint64_t)(wq[i] < 0 ? -wq[i] : wq[i]);
	if (b && b->dt == DT_I64) {
		int64_t v = ((const int64_t *)b->data)[c];
		r.bias = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	} else if (b) {
		int64_t v = ((const int32_t *)b->data)[c];
		r.bias = (uint64_t)(v < 0 ? -v : v);
	}
	/* m <= 2^16 and sumw <= 127 * 2^33 (infer-shapes caps tensors), so the
	 * product fits; the sum saturates */
	uint64_t p = m * r.sumw;
	r.total = r.bias > UINT64_MAX - p ? UINT64_MAX : r.bias + p;
	return r;
}

/* Notes the channels whose requantization shifts left (multiplier > 1). */
static void note_left_shift(const Graph *g, const Node *n, const uint64_t *bound, int acc64,
                            Diag *d)
{
	int64_t oc = g->vals[n->in[1]].shape.d[0], nshift = 0, sat = -1;
	int32_t *mult = ir_xmalloc((size_t)oc * sizeof *mult);
	int *shift = ir_xmalloc((size_t)oc * sizeof *shift), maxs = 0;
	char why[128] = "";

	ir_node_requant(g, n, mult, shift);
	for (int64_t c = 0; c < oc; c++) {
		if (shift[c] <= 0)
			continue;
		nshift++;
		if (shift[c] > maxs)
			maxs = shift[c];
		if (sat < 0 && bound[c] > (uint64_t)INT32_MAX >> shift[c])
			sat = c;
	}
	if (!acc64 && sat < 0)
		snprintf(why, sizeof why,
		         "; the accumulator bound proves that the saturating left "
		         "shift never saturates");
	else if (!acc64)
		snprintf(why, sizeof why,
		         "; for output channel %lld the bound does not rule out that "
		         "the saturating left shift saturates",
		         (long long)sat);
	if (nshift)
		diag_note(d, n->loc,
		          "%s '%s': %lld of %lld output channels requantize with a "
		          "multiplier > 1 (shift up to %d)%s",
		          ir_ops[n->op].name, g->vals[n->out].name, (long long)nshift,
		          (long long)oc, maxs, why);
	free(mult);
	free(shift);
}

/* Proves one conv2d / dense (check_overflow.c says how) and sets its
 * result's integers: within the clamp of its fused activation; returns -1
 * (diagnosed) if it cannot prove it. */
static int overflow(const Graph *g, const Node *n, QRange *r, Diag *d)
{
	const Value *x = &g->vals[n->in[0]], *w = &g->vals[n->in[1]], *y = &g->vals[n->out];
	const Value *b = n->nin > 2 ? &g->vals[n->in[2]] : NULL;
	int64_t oc = w->shape.d[0], k = ir_shape_numel(&w->shape) / oc, worst = 0;
	QRange xr = r[n->in[0]];
	int acc64 = b && b->dt == DT_I64;
	uint64_t limit = acc64 ? (uint64_t)INT64_MAX : (uint64_t)INT32_MAX;
	uint64_t m = (uint64_t)((int64_t)xr.hi - x->q.zp > (int64_t)x->q.zp - xr.lo
	                                ? (int64_t)xr.hi - x->q.zp
	                                : (int64_t)x->q.zp - xr.lo);
	uint64_t *bound = ir_xmalloc((size_t)oc * sizeof *bound);
	Bound wb = {0, 0, 0};

	ir_act_bounds(n->a.act, y->dt, y->q.scale[0], y->q.zp, &r[n->out].lo, &r[n->out].hi);

	if (w->dt != DT_I8)
		ICE("check-overflow: %s weight %s is %s", ir_ops[n->op].name, w->name,
		    ir_dtype_name(w->dt));
	for (int64_t c = 0; c < oc; c++) {
		Bound cb = channel_bound(w, b, c, k, m);
		bound[c] = cb.total;
		if (c == 0 || cb.total > wb.total) {
			wb = cb;
			worst = c;
		}
	}
	int rc = 0, warn = x->dt == DT_I16 && !acc64;
	if (wb.total > limit) {
		char msg[512];
		snprintf(
		        msg, sizeof msg,
		        "%s '%s': the %s accumulator can reach %.3g (> %s) for output "
		        "channel %lld; it adds %lld products (x - zp) * w with |x - zp| <= %llu and "
		        "sum |w| = %llu to |bias| = %llu: %s",
		        ir_ops[n->op].name, g->vals[n->out].name, acc64 ? "int64" : "int32",
		        (double)wb.total, acc64 ? "2^63-1" : "2^31-1", (long long)worst,
		        (long long)k, (unsigned long long)m, (unsigned long long)wb.sumw,
		        (unsigned long long)wb.bias,
		        warn ? "an int16 layer needs an int64 bias to be safe"
		             : "split the layer or narrow its input's range");
		if (warn)
			diag_warning(d, n->loc, "%s", msg);
		else
			diag_error(d, n->loc, "%s", msg);
		rc = warn ? 0 : -1;
	} else
		note_left_shift(g, n, bound, acc64, d);
	free(bound);
	return rc;
}

/* ---- quantize ------------------------------------------------------------------ */

/* Pinned weights: w[c][i] / s[c] must be an integer in [-128, 127] that
 * gives back w exactly (w was dequantized as (float)q * s). */
static int quantize_pinned_weights(Graph *g, int wv, float **scales, Diag *d)
{
	Value *w = &g->vals[wv];
	int64_t oc = w->shape.d[0], per = ir_shape_numel(&w->shape) / oc;
	const float *src = w->data;
	int8_t *q = ir_alloc(g, (size_t)(oc * per));
	float *sc = ir_xmalloc((size_t)oc * sizeof *sc);

	if (w->q.zp != 0 || !(w->q.n == 1 || (w->q.n == oc && w->q.axis == 0))) {
		diag_error(
		        d, w->loc,
		        "quantize: weight '%s' is pinned with a zero point or along an "
		        "axis other than 0 (per-tensor or per-output-channel, zero point 0, expected)",
		        w->name);
		free(sc);
		return -1;
	}
	for (int64_t c = 0; c < oc; c++) {
		sc[c] = w->q.scale[w->q.n == 1 ? 0 : c];
		for (int64_t i = 0; i < per; i++) {
			float v = src[c * per + i], r = rintf(v / sc[c]);
			if (!(r >= -128 && r <= 127) || r * sc[c] != v) {
				diag_error(d, w->loc,
				           "quantize: weight '%s'[%lld] = %g is not an int8 "
				           "multiple of its pinned scale %g",
				           w->name, (long long)(c * per + i), (double)v,
				           (double)sc[c]);
				free(sc);
				return -1;
			}
			q[c * per + i] = (int8_t)r;
		}
	}
	w->data = q;
	w->dt = DT_I8;
	ir_set_qparams_axis(g, wv, 0, (int)oc, sc);
	*scales = sc;
	return 0;
}

static int quantize_weights(Graph *g, int wv, float **scales, Diag *d)
{
	Value *w = &g->vals[wv];
	int64_t oc = w->shape.d[0], per = ir_shape_numel(&w->shape) / oc;
	const float *src = w->data;
	int8_t *q = ir_alloc(g, (size_t)(oc * per));
	float *sc = ir_xmalloc((size_t)oc * sizeof *sc);

	for (int64_t i = 0; i < oc * per; i++)
		if (!isfinite(src[i])) {
			diag_error(d, w->loc, "quantize: weight '%s' holds a non-finite value",
			           w->name);
			free(sc);
			return -1;
		}
	for (int64_t c = 0; c < oc; c++)
		sc[c] = pass_quantize_channel(src + c * per, per, q + c * per);
	w->data = q;
	w->dt = DT_I8;
	ir_set_qparams_axis(g, wv, 0, (int)oc, sc);
	*scales = sc;
	return 0;
}

/* The bias at scale s_in * s_w[c]: int32 for int8 layers; int64 for int16
 * layers (TFLite's 16x8 scheme), whose accumulator then runs in 64 bits. */
static int quantize_bias(Graph *g, int bv, int wv, float s_in, const float *s_w, DType bdt, Diag *d)
{
	Value *b = &g->vals[bv];
	int64_t n = b->shape.d[0];
	const float *src = b->data;
	void *q = ir_alloc(g, (size_t)n * (size_t)ir_dtype_size(bdt));
	float *sc = ir_xmalloc((size_t)n * sizeof *sc);
	double limit = bdt == DT_I64 ? 9.2e18 : 2147483647.0;
	int pinned = b->q.present, warned = 0;

	for (int64_t c = 0; c < n; c++) {
		double s = (double)s_in * (double)s_w[c];
		if (pinned) {
			/* the model's integers, whatever the scale it gave them: the
			 * accumulator's is s_in * s_w[c] (as onnxruntime adds them) */
			float ps = b->q.scale[b->q.n == 1 ? 0 : c];
			if (!warned && fabs((double)ps - (double)(float)s) > 1e-6 * s) {
				diag_warning(
				        d, b->loc,
				        "quantize: bias '%s' is pinned at scale %g, not "
				        "input scale x weight scale = %g: its integers are used as given",
				        b->name, (double)ps, s);
				warned = 1;
			}
			s = ps;
		}
		double r = round((double)src[c] / s);
		if (!(fabs(r) <= limit)) {
			char why[320] = "";
			if (!pinned && s_w[c] <= FLT_MIN)
				snprintf(
				        why, sizeof why,
				        " = input scale %g x weight scale %.9g: the weights "
				        "of '%s' channel %lld are all below 127 x %.9g in magnitude (subnormal "
				        "or nearly), so their int8 scale underflows float32 and was raised to "
				        "the smallest normal float",
				        (double)s_in, (double)FLT_MIN, g->vals[wv].name,
				        (long long)c, (double)FLT_MIN);
			else if (!pinned)
				snprintf(why, sizeof why,
				         " = input scale %g x weight '%s' channel %lld's "
				         "scale %g",
				         (double)s_in, g->vals[wv].name, (long long)c,
				         (double)s_w[c]);
			diag_error(d, b->loc,
			           "quantize: bias '%s'[%lld] = %g does not fit %s at scale %g%s",
			           b->name, (long long)c, (double)src[c], ir_dtype_name(bdt), s,
			           why);
			free(sc);
			return -1;
		}
		if (bdt == DT_I64)
			((int64_t *)q)[c] = (int64_t)r;
		else
			((int32_t *)q)[c] = (int32_t)r;
		sc[c] = (float)((double)s_in * (double)s_w[c]);
	}
	b->data = q;
	b->dt = bdt;
	ir_set_qparams_axis(g, bv, 0, (int)n, sc);
	free(sc);
	return 0;
}

/* A new constant holding what constant v holds (its float data, its pin),
 * named after it: a shared constant's own copy for one layer. */
static int copy_const(Graph *g, int v, Loc at)
{
	char base[256];

	snprintf(base, sizeof base, "%s", g->vals[v].name);
	int t = ir_value_new_unique(g, base, VK_CONST, at);
	Value *src = &g->vals[v], *dst = &g->vals[t]; /* after the value array grew */
	dst->has_type = 1;
	dst->dt = src->dt;
	dst->shape = src->shape;
	dst->data = src->data;
	dst->q = src->q;
	return t;
}

/* n's weight in int8 per output channel, and its scales (*sw, malloc'd).
 * Several layers may share one weight (an unrolled RNN's recurrent weight):
 * it depends on nothing but the weight, so it is quantized once, by the
 * first reader, and the others read that value.  In place when integer
 * layers alone read it; else a copy, and the float constant stays for
 * its other readers. */
static int layer_weight(QuantCtx *q, Node *n, float **sw)
{
	Graph *g = q->g;
	int v = n->in[1], t = q->wq[v];

	if (t < 0) {
		t = q->uses[v] == q->wint[v] ? v : copy_const(g, v, n->loc);
		if ((g->vals[t].q.present ? quantize_pinned_weights : quantize_weights)(g, t, sw,
		                                                                        q->d))
			return -1;
		q->wq[v] = t;
	} else {
		const Value *w = &g->vals[t];
		*sw = ir_xmalloc((size_t)w->q.n * sizeof **sw);
		memcpy(*sw, w->q.scale, (size_t)w->q.n * sizeof **sw);
	}
	n->in[1] = t;
	return 0;
}

/* The result's parameters from its pin or range; the weights int8 per
 * output channel (layer_weight), the bias at input scale x weight scale in
 * int32, or int64 for an int16 layer.  The bias is the layer's own: a bias
 * several layers read is copied for each but the last (its scale depends
 * on the layer's input scale). */
/* A float bias too large for int32 at input scale x weight scale (a channel
 * whose weights are all but zero beside a sizable bias, as training can
 * leave a dead filter): the channel's weight scale is raised until the bias
 * fits with room to spare (|b| / (s_in s_w) <= 2^30), its int8 weights
 * requantized to the new scale (round half away from zero of q s_old /
 * s_new; they were tiny, so they mostly become 0).  As TFLite's converter
 * does.  Only for a weight this layer alone reads, not pinned: a shared
 * weight's scales are fixed by its first reader, a pinned one by the
 * model. */
static void fit_bias_scales(QuantCtx *q, Node *n, int wsrc, float *sw)
{
	Graph *g = q->g;
	Value *w = &g->vals[n->in[1]];
	const Value *b = &g->vals[n->in[2]];
	double s_in = g->vals[n->in[0]].q.scale[0];
	int64_t oc = w->shape.d[0], per = ir_shape_numel(&w->shape) / oc;

	if (b->q.present || b->dt != DT_F32 || q->uses[wsrc] != 1 || w->q.n != oc)
		return;
	for (int64_t c = 0; c < oc; c++) {
		double need = fabs((double)((const float *)b->data)[c]) / (s_in * 1073741824.0);
		if (!(need > sw[c]) || !isfinite(need) || need > FLT_MAX)
			continue;
		float ns = (float)need;
		int8_t *qw = (int8_t *)w->data + c * per;
		for (int64_t i = 0; i < per; i++)
			qw[i] = (int8_t)ir_quantize_value((float)((double)qw[i] * sw[c] / ns), 1.0f,
			                                  0, DT_I8);
		sw[c] = ns;
		w->q.scale[c] = ns;
	}
}

static int quantize(QuantCtx *q, Node *n, DType dt)
{
	Graph *g = q->g;
	const int wsrc = n->in[1];
	float *sw;

	if (pass_result_qparams(q, n, dt) || layer_weight(q, n, &sw))
		return -1;
	if (n->nin > 2 && dt == DT_I8)
		fit_bias_scales(q, n, wsrc, sw);
	if (n->nin > 2) {
		int b = n->in[2];
		if (--q->bleft[b] > 0 || q->uses[b] != q->bint[b])
			n->in[2] = copy_const(g, b, n->loc);
	}
	int brc = n->nin > 2 ? quantize_bias(g, n->in[2], n->in[1], g->vals[n->in[0]].q.scale[0],
	                                     sw, dt == DT_I16 ? DT_I64 : DT_I32, q->d)
	                     : 0;
	free(sw);
	return brc;
}

/* ---- bias-correct ----------------------------------------------------------------- */

/* err[o] = mean over batch of sum_i dw[o,i] * x[b,i] */
static void dense_error(const Graph *g, const Node *n, const double *dw, const double *mean,
                        double *err)
{
	const Shape *xs = &g->vals[n->in[0]].shape, *ws = &g->vals[n->in[1]].shape;
	int64_t oc = ws->d[0], in = ws->d[1], batch = ir_shape_numel(xs) / in;

	for (int64_t o = 0; o < oc; o++) {
		double e = 0;
		for (int64_t b = 0; b < batch; b++)
			for (int64_t i = 0; i < in; i++)
				e += dw[o * in + i] * mean[b * in + i];
		err[o] = e / (double)batch;
	}
}

/* The mean over batch and output positions of conv2d(x, dw) per channel.
 * Sums each input channel's tap (ky, kx) over the output positions first, so
 * the cost is that of one conv2d output pixel per channel, not a full conv.
 * A fused pool: the error is the convolution's. */
static void conv_error(const Graph *g, const Node *n, const double *dw, const double *mean,
                       double *err)
{
	ConvGeo cg;
	if (ir_conv_geo(g, n, &cg))
		ICE("bias-correct: conv2d '%s' has an invalid geometry", g->vals[n->out].name);
	const int64_t batch = cg.N, c = cg.C, h = cg.H, w = cg.W, oc = cg.OC, cgr = cg.Cg;
	const int64_t kh = cg.KH, kw = cg.KW, oh = cg.OH, ow = cg.OW, ocg = cg.OCg;
	double *tap = ir_xcalloc((size_t)(c * kh * kw), sizeof *tap);

	for (int64_t b = 0; b < batch; b++)
		for (int64_t ic = 0; ic < c; ic++)
			for (int64_t ky = 0; ky < kh; ky++)
				for (int64_t kx = 0; kx < kw; kx++) {
					/* the output positions whose tap (ky, kx) is in bounds */
					int64_t y0 = ky * cg.dh - cg.pt, x0 = kx * cg.dw - cg.pl,
					        oy0, oy1, ox0, ox1;
					double s = 0;
					ir_tap_range(h, oh, cg.sh, y0, &oy0, &oy1);
					ir_tap_range(w, ow, cg.sw, x0, &ox0, &ox1);
					for (int64_t oy = oy0; oy < oy1; oy++)
						for (int64_t ox = ox0; ox < ox1; ox++)
							s += mean[((b * c + ic) * h + y0 +
							           oy * cg.sh) *
							                  w +
							          x0 + ox * cg.sw];
					tap[(ic * kh + ky) * kw + kx] += s;
				}
	for (int64_t o = 0; o < oc; o++) {
		const double *t = tap + (o / ocg) * cgr * kh * kw;
		double e = 0;
		for (int64_t k = 0; k < cgr * kh * kw; k++)
			e += dw[o * cgr * kh * kw + k] * t[k];
		err[o] = e / (double)(batch * oh * ow);
	}
	free(tap);
}

static void bias_error(const Graph *g, const Node *n, const double *dw, const double *mean,
                       double *err)
{
	switch (n->op) {
	case OP_DENSE: dense_error(g, n, dw, mean, err); break;
	case OP_CONV2D: conv_error(g, n, dw, mean, err); break;
	default: ICE("bias-correct: no rule for %s", ir_ops[n->op].name);
	}
}

const PassRules pass_rules_weighted = {
        .infer = infer,
        .macs = macs,
        .range = range,
        .overflow = overflow,
        .convert_all = 0,
        .own_qparams = 0,
        .quantize = quantize,
        .why_no_range = pass_no_note,
        .bias_error = bias_error,
};
