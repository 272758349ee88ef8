/* test_interp.c — the reference interpreter against naive formulas written
 * here: float kernels bit for bit (same addition order, one branch per tap),
 * quantized kernels exactly against the TFLite arithmetic and within 1 of a
 * double-precision requantization, plus hand-computed cases, the float
 * edge, the hook, diagnostics, and the time of a CNN-sized graph. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ir.h"
#include "qrt.h"
#include "check.h"

static uint64_t rng_state = 12345;
static uint32_t rnd(void)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng_state >> 33);
}
static float rndf(void) /* [-1, 1) */
{
	return (float)((int32_t)(rnd() % 2000001) - 1000000) / 1000000.0f;
}
static int32_t rndi(int32_t lo, int32_t hi) /* [lo, hi] */
{
	return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1));
}

static Shape shp(int rank, int64_t a, int64_t b, int64_t c, int64_t d)
{
	Shape s = {rank, {a, b, c, d}};
	return s;
}

/* A typed value; constants get zeroed data to fill in. */
static int mkval(Graph *g, const char *name, ValueKind k, DType dt, Shape s)
{
	int v = ir_value_new(g, name, k, loc_none());
	Value *p = &g->vals[v];

	p->has_type = 1;
	p->dt = dt;
	p->shape = s;
	if (k == VK_CONST)
		p->data = ir_alloc(g, (size_t)ir_value_bytes(p));
	return v;
}

static void *vdata(Graph *g, int v)
{
	return g->vals[v].data;
}

static Interp *interp_or_die(Graph *g)
{
	Diag d = {.out = NULL};
	Interp *in = ir_interp_new(g, &d);

	if (!in) {
		printf("FAIL: ir_interp_new refused a valid graph\n");
		exit(1);
	}
	return in;
}

/* ---- conv2d ---------------------------------------------------------------- */

typedef struct {
	const char *name;
	int64_t n, c, h, w, oc, kh, kw, g, sh, sw, pt, pl, pb, pr, dh, dw;
	int bias;
	Act act;
} ConvCase;

static const ConvCase conv_cases[] = {
        {"3x3 pad 1 (the CNN's)", 1, 3, 9, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, ACT_NONE},
        {"stride 2, asymmetric padding", 1, 2, 11, 10, 3, 3, 3, 1, 2, 2, 1, 0, 2, 1, 1, 1, 1,
         ACT_NONE},
        {"stride (2,1), 2x3 kernel, pad (0,2,1,0)", 1, 2, 7, 9, 3, 2, 3, 1, 2, 1, 0, 2, 1, 0, 1, 1,
         1, ACT_RELU},
        {"dilation 2", 1, 2, 10, 9, 3, 3, 3, 1, 1, 1, 2, 2, 2, 2, 2, 2, 1, ACT_NONE},
        {"dilation (2,3), stride 3, odd padding", 1, 2, 13, 14, 2, 3, 2, 1, 3, 3, 1, 3, 0, 2, 2, 3,
         1, ACT_RELU6},
        {"groups 2", 2, 4, 6, 7, 6, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, ACT_RELU},
        {"depthwise (groups = C = OC)", 1, 5, 8, 8, 5, 3, 3, 5, 1, 1, 1, 1, 1, 1, 1, 1, 1,
         ACT_NONE},
        {"depthwise multiplier 2, stride 2", 1, 3, 9, 9, 6, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0,
         ACT_NONE},
        {"batch 3, no bias, relu6", 3, 3, 5, 6, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, ACT_RELU6},
        {"kernel larger than the input, padded", 1, 1, 2, 3, 2, 5, 5, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1,
         ACT_NONE},
        {"1x1, stride 2", 1, 4, 6, 6, 3, 1, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1, ACT_NONE},
};

static int64_t out_dim(int64_t in, int64_t k, int64_t s, int64_t p0, int64_t p1, int64_t d)
{
	return (in + p0 + p1 - d * (k - 1) - 1) / s + 1;
}

/* Builds y = conv2d(x, w[, b]) with storage types xt (activations), wt, bt. */
static Graph *conv_graph(const ConvCase *k, DType xt, DType wt, DType bt, int *xv, int *wv, int *bv,
                         int *yv)
{
	Graph *g = ir_graph_new("conv");
	int64_t oh = out_dim(k->h, k->kh, k->sh, k->pt, k->pb, k->dh);
	int64_t ow = out_dim(k->w, k->kw, k->sw, k->pl, k->pr, k->dw);
	int in[3], n;

	*xv = mkval(g, "x", VK_INPUT, xt, shp(4, k->n, k->c, k->h, k->w));
	*wv = mkval(g, "w", VK_CONST, wt, shp(4, k->oc, k->c / k->g, k->kh, k->kw));
	*bv = k->bias ? mkval(g, "b", VK_CONST, bt, shp(1, k->oc, 0, 0, 0)) : -1;
	*yv = mkval(g, "y", VK_TEMP, xt, shp(4, k->n, k->oc, oh, ow));
	in[0] = *xv;
	in[1] = *wv;
	in[2] = *bv;
	n = ir_node_new(g, OP_CONV2D, *yv, in, k->bias ? 3 : 2, loc_none());
	Attrs *a = &g->nodes[n].a;
	a->stride[0] = k->sh;
	a->stride[1] = k->sw;
	a->pad[0] = k->pt;
	a->pad[1] = k->pl;
	a->pad[2] = k->pb;
	a->pad[3] = k->pr;
	a->dilation[0] = k->dh;
	a->dilation[1] = k->dw;
	a->groups = k->g;
	a->act = k->act;
	ir_add_input(g, *xv);
	ir_add_output(g, *yv);
	return g;
}

/* Calls fn(ctx, b, oc, oy, ox, ci, iy, ix, widx) for every in-bound tap of
 * every output, in the defining order, then done(ctx, b, oc, oy, ox). */
typedef struct {
	void (*tap)(void *ctx, int64_t xi, int64_t wi);
	void (*start)(void *ctx, int64_t oc);
	void (*done)(void *ctx, int64_t yi, int64_t oc);
	void *ctx;
} Visit;

static void naive_conv(const ConvCase *k, const Visit *vis)
{
	int64_t oh = out_dim(k->h, k->kh, k->sh, k->pt, k->pb, k->dh);
	int64_t ow = out_dim(k->w, k->kw, k->sw, k->pl, k->pr, k->dw);
	int64_t icg = k->c / k->g, ocg = k->oc / k->g;

	for (int64_t b = 0; b < k->n; b++)
		for (int64_t oc = 0; oc < k->oc; oc++)
			for (int64_t oy = 0; oy < oh; oy++)
				for (int64_t ox = 0; ox < ow; ox++) {
					int64_t grp = oc / ocg;
					vis->start(vis->ctx, oc);
					for (int64_t ic = 0; ic < icg; ic++)
						for (int64_t ky = 0; ky < k->kh; ky++)
							for (int64_t kx = 0; kx < k->kw; kx++) {
								int64_t iy = oy * k->sh - k->pt +
								             ky * k->dh;
								int64_t ix = ox * k->sw - k->pl +
								             kx * k->dw;
								if (iy < 0 || iy >= k->h ||
								    ix < 0 || ix >= k->w)
									continue;
								vis->tap(vis->ctx,
								         ((b * k->c + grp * icg +
								           ic) * k->h +
								          iy) * k->w +
								                 ix,
								         ((oc * icg + ic) * k->kh +
								          ky) * k->kw +
								                 kx);
							}
					vis->done(vis->ctx, ((b * k->oc + oc) * oh + oy) * ow + ox,
					          oc);
				}
}

typedef struct {
	const float *x, *w, *b;
	float *y;
	float acc;
	Act act;
} FCtx;

static void f_start(void *c, int64_t oc)
{
	FCtx *f = c;
	f->acc = f->b ? f->b[oc] : 0.0f;
}
static void f_tap(void *c, int64_t xi, int64_t wi)
{
	FCtx *f = c;
	float p = f->x[xi] * f->w[wi];
	f->acc = f->acc + p;
}
static void f_done(void *c, int64_t yi, int64_t oc)
{
	FCtx *f = c;
	float v = f->acc;
	(void)oc;
	if (f->act != ACT_NONE && v < 0.0f)
		v = 0.0f;
	if (f->act == ACT_RELU6 && v > 6.0f)
		v = 6.0f;
	f->y[yi] = v;
}

static void test_conv_f32(const ConvCase *k)
{
	int xv, wv, bv, yv;
	Graph *g = conv_graph(k, DT_F32, DT_F32, DT_F32, &xv, &wv, &bv, &yv);
	int64_t nx = ir_shape_numel(&g->vals[xv].shape), ny = ir_shape_numel(&g->vals[yv].shape);
	int64_t nw = ir_shape_numel(&g->vals[wv].shape);
	float *x = malloc((size_t)nx * sizeof *x), *y = malloc((size_t)ny * sizeof *y);
	float *want = malloc((size_t)ny * sizeof *want), *w = vdata(g, wv);
	float *b = bv >= 0 ? vdata(g, bv) : NULL;

	for (int64_t i = 0; i < nx; i++)
		x[i] = rndf() * 2;
	for (int64_t i = 0; i < nw; i++)
		w[i] = rndf();
	for (int64_t i = 0; b && i < k->oc; i++)
		b[i] = rndf();
	FCtx fc = {x, w, b, want, 0, k->act};
	Visit vis = {f_tap, f_start, f_done, &fc};
	naive_conv(k, &vis);

	Interp *in = interp_or_die(g);
	const void *ins[1] = {x};
	void *outs[1] = {y};
	ir_interp_run(in, ins, outs);
	check(memcmp(y, want, (size_t)ny * sizeof *y) == 0,
	      "conv2d f32 %s: bit-identical to the naive loop (%lld outputs)", k->name,
	      (long long)ny);
	ir_interp_free(in);
	ir_graph_free(g);
	free(x);
	free(y);
	free(want);
}

typedef struct {
	const void *x; /* int8_t or int16_t */
	int x16;
	const int8_t *w;
	const void *b; /* int32_t or int64_t */
	int b64;
	int32_t xzp;
	int64_t acc;
	int64_t *accs; /* per output */
} QCtx;

static void q_start(void *c, int64_t oc)
{
	QCtx *q = c;
	q->acc = !q->b ? 0 : q->b64 ? ((const int64_t *)q->b)[oc] : ((const int32_t *)q->b)[oc];
}
static void q_tap(void *c, int64_t xi, int64_t wi)
{
	QCtx *q = c;
	int32_t xv = q->x16 ? ((const int16_t *)q->x)[xi] : ((const int8_t *)q->x)[xi];
	q->acc += (int64_t)(xv - q->xzp) * q->w[wi];
}
static void q_done(void *c, int64_t yi, int64_t oc)
{
	QCtx *q = c;
	(void)oc;
	q->accs[yi] = q->acc;
}

/* The quantized result of one accumulator: exactly TFLite's arithmetic, and a
 * double-precision rounding of acc * M for the +-1 check. */
static int32_t q_exact(int64_t acc, int acc64, double m, int32_t zp, int32_t lo, int32_t hi)
{
	int32_t mult, v;
	int shift;
	ir_quantize_multiplier(m, &mult, &shift);
	v = acc64 ? ir_mbqm64(acc, mult, shift) : ir_mbqm((int32_t)acc, mult, shift);
	v += zp;
	return v < lo ? lo : v > hi ? hi : v;
}
static int32_t q_double(int64_t acc, double m, int32_t zp, int32_t lo, int32_t hi)
{
	double r = floor((double)acc * m + 0.5) + zp;
	return r < lo ? lo : r > hi ? hi : (int32_t)r;
}

/* An integer conv: int8 (xt DT_I8, bias i32) or 16x8 (xt DT_I16, bias bt). */
static void test_conv_q(const ConvCase *k, DType xt, DType bt)
{
	int xv, wv, bv, yv;
	Graph *g = conv_graph(k, xt, DT_I8, bt, &xv, &wv, &bv, &yv);
	int64_t nx = ir_shape_numel(&g->vals[xv].shape), ny = ir_shape_numel(&g->vals[yv].shape);
	int64_t nw = ir_shape_numel(&g->vals[wv].shape);
	int x16 = xt == DT_I16, b64 = bt == DT_I64 && k->bias; /* no bias: int32, as TFLM */
	int esz = x16 ? 2 : 1;
	void *x = malloc((size_t)(nx * esz)), *y = malloc((size_t)(ny * esz));
	int64_t *accs = malloc((size_t)ny * sizeof *accs);
	int8_t *w = vdata(g, wv);
	void *b = bv >= 0 ? vdata(g, bv) : NULL;
	float sx = x16 ? 0.0003f : 0.02f, *sw = malloc((size_t)k->oc * sizeof *sw);
	int32_t xzp = x16 ? 0 : rndi(-20, 20), lo, hi;
	int32_t xmax = x16 ? 32767 : 127, xmin = x16 ? -32768 : -128;
	double rmin = 0, rmax = 0;

	for (int64_t i = 0; i < nx; i++) {
		int32_t v = rndi(xmin, xmax);
		if (x16)
			((int16_t *)x)[i] = (int16_t)v;
		else
			((int8_t *)x)[i] = (int8_t)v;
	}
	for (int64_t i = 0; i < nw; i++)
		w[i] = (int8_t)rndi(-127, 127);
	for (int64_t c = 0; c < k->oc; c++)
		sw[c] = 0.001f * (float)(1 + rnd() % 50);
	for (int64_t c = 0; b && c < k->oc; c++) {
		int32_t v = rndi(-5000, 5000);
		if (b64)
			((int64_t *)b)[c] = v * 1000LL;
		else
			((int32_t *)b)[c] = v;
	}
	ir_set_qparams(g, xv, sx, xzp);
	ir_set_qparams_axis(g, wv, 0, (int)k->oc, sw);
	QCtx qc = {x, x16, w, b, b64, xzp, 0, accs};
	Visit vis = {q_tap, q_start, q_done, &qc};
	naive_conv(k, &vis);
	/* an output scale that makes the results span the range */
	int64_t per = ny / (k->n * k->oc);
	for (int64_t i = 0; i < ny; i++) {
		double r = (double)accs[i] * sx * sw[(i / per) % k->oc];
		rmin = r < rmin ? r : rmin;
		rmax = r > rmax ? r : rmax;
	}
	float sy;
	int32_t yzp;
	ir_choose_qparams((float)rmin * 0.8f, (float)rmax * 0.8f, xt, &sy, &yzp);
	ir_set_qparams(g, yv, sy, yzp);
	ir_act_bounds(k->act, xt, sy, yzp, &lo, &hi);

	Interp *in = interp_or_die(g);
	const void *ins[1] = {x};
	void *outs[1] = {y};
	ir_interp_run(in, ins, outs);
	int exact = 1, near = 1, clamped = 0;
	for (int64_t i = 0; i < ny; i++) {
		int64_t oc = (i / per) % k->oc;
		double m = (double)sx * (double)sw[oc] / (double)sy;
		int32_t got = x16 ? ((int16_t *)y)[i] : ((int8_t *)y)[i];
		int32_t e = q_exact(accs[i], b64, m, yzp, lo, hi);
		int32_t dbl = q_double(accs[i], m, yzp, lo, hi);
		if (got != e && exact)
			printf("  output %lld: %d, expected %d (acc %lld)\n", (long long)i,
			       (int)got, (int)e, (long long)accs[i]);
		exact = exact && got == e;
		near = near && abs(got - dbl) <= (b64 ? 2 : 1);
		clamped += got == lo || got == hi;
	}
	const char *kind = x16 ? (b64 ? "16x8/i64 bias" : "16x8/i32 bias") : "int8";
	check(exact, "conv2d %s %s: equals the naive loop with TFLite requantization", kind,
	      k->name);
	check(near, "conv2d %s %s: within %d of round(acc * M) in double (%lld of %lld clamped)",
	      kind, k->name, b64 ? 2 : 1, (long long)clamped, (long long)ny);
	ir_interp_free(in);
	ir_graph_free(g);
	free(x);
	free(y);
	free(accs);
	free(sw);
}

/* A hand-computed int8 conv: x = [1 2; 3 4] (zp 0), w = all ones, M = s_out
 * chosen per case. */
static int hand_conv(float sy, int32_t yzp, Act act, int32_t bias, int32_t xzp)
{
	ConvCase k = {"hand", 1, 1, 2, 2, 1, 2, 2, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, act};
	int xv, wv, bv, yv;
	Graph *g = conv_graph(&k, DT_I8, DT_I8, DT_I32, &xv, &wv, &bv, &yv);
	int8_t x[4] = {1, 2, 3, 4}, y = 0;
	float one = 1.0f;

	for (int i = 0; i < 4; i++) {
		((int8_t *)vdata(g, wv))[i] = 1;
		x[i] = (int8_t)(x[i] + xzp);
	}
	((int32_t *)vdata(g, bv))[0] = bias;
	ir_set_qparams(g, xv, 1.0f, xzp);
	ir_set_qparams_axis(g, wv, 0, 1, &one);
	ir_set_qparams(g, yv, sy, yzp);
	Interp *in = interp_or_die(g);
	const void *ins[1] = {x};
	void *outs[1] = {&y};
	ir_interp_run(in, ins, outs);
	ir_interp_free(in);
	ir_graph_free(g);
	return y;
}

static void test_conv_hand(void)
{
	check(hand_conv(1.0f, 0, ACT_NONE, 0, 0) == 10,
	      "conv2d int8 by hand: 1+2+3+4 = 10 with M = 1");
	check(hand_conv(1.0f, 0, ACT_NONE, 0, -7) == 10,
	      "conv2d int8 by hand: the input zero point (-7) is subtracted");
	check(hand_conv(4.0f, 0, ACT_NONE, 0, 0) == 3,
	      "conv2d int8 by hand: 10 * 0.25 = 2.5 rounds to 3 (srdhm 5, then rdbpot 2.5 away from 0)");
	check(hand_conv(4.0f, 0, ACT_NONE, -20, 0) == -3,
	      "conv2d int8 by hand: (10 - 20) * 0.25 = -2.5 rounds to -3");
	check(hand_conv(4.0f, -100, ACT_NONE, 0, 0) == -97,
	      "conv2d int8 by hand: output zero point -100 is added");
	check(hand_conv(0.1f, 0, ACT_RELU6, 0, 0) == 60,
	      "conv2d int8 by hand: 10 / 0.1 = 100 clamped by relu6 to q(6.0) = 60");
	check(hand_conv(0.1f, 0, ACT_NONE, 0, 0) == 100,
	      "conv2d int8 by hand: 10 / 0.1 = 100 without relu6");
	check(hand_conv(1.0f, 5, ACT_RELU, -100, 0) == 5,
	      "conv2d int8 by hand: relu clamps -90 to the zero point 5");
	check(hand_conv(1.0f, 0, ACT_NONE, -1000, 0) == -128,
	      "conv2d int8 by hand: -990 saturates to -128");
	/* INT32_MAX - 5 + 10 wraps to INT32_MIN + 4: the accumulator is modular */
	check(hand_conv(ldexpf(1.0f, 24), 0, ACT_NONE, INT32_MAX - 5, 0) == -128,
	      "conv2d int8 by hand: the int32 accumulator wraps (INT32_MAX - 5 + 10 -> -2^31 + 4 -> -128)");
}

/* ---- dense ------------------------------------------------------------------ */

static Graph *dense_graph(int64_t n, int64_t i, int64_t o, DType xt, DType wt, DType bt, int bias,
                          Act act, int *xv, int *wv, int *bv, int *yv)
{
	Graph *g = ir_graph_new("dense");
	int in[3];

	*xv = mkval(g, "x", VK_INPUT, xt, shp(2, n, i, 0, 0));
	*wv = mkval(g, "w", VK_CONST, wt, shp(2, o, i, 0, 0));
	*bv = bias ? mkval(g, "b", VK_CONST, bt, shp(1, o, 0, 0, 0)) : -1;
	*yv = mkval(g, "y", VK_TEMP, xt, shp(2, n, o, 0, 0));
	in[0] = *xv;
	in[1] = *wv;
	in[2] = *bv;
	int nd = ir_node_new(g, OP_DENSE, *yv, in, bias ? 3 : 2, loc_none());
	g->nodes[nd].a.act = act;
	ir_add_input(g, *xv);
	ir_add_output(g, *yv);
	return g;
}

static void test_dense(void)
{
	enum { N = 3, I = 37, O = 7 };
	int xv, wv, bv, yv;

	for (int pass = 0; pass < 3; pass++) {
		Act act = pass == 0 ? ACT_NONE : pass == 1 ? ACT_RELU : ACT_RELU6;
		Graph *g = dense_graph(N, I, O, DT_F32, DT_F32, DT_F32, pass != 2, act, &xv, &wv,
		                       &bv, &yv);
		float x[N * I], y[N * O], want[N * O], *w = vdata(g, wv);
		float *b = bv >= 0 ? vdata(g, bv) : NULL;
		for (int i = 0; i < N * I; i++)
			x[i] = rndf() * 3;
		for (int i = 0; i < O * I; i++)
			w[i] = rndf();
		for (int i = 0; b && i < O; i++)
			b[i] = rndf();
		for (int n = 0; n < N; n++)
			for (int o = 0; o < O; o++) {
				/* the f32 definition: 16 partial sums, the tree, the bias */
				float part[16] = {0}, acc;
				for (int i = 0; i < I; i++) {
					float p = x[n * I + i] * w[o * I + i];
					part[i % 16] = part[i % 16] + p;
				}
				for (int h = 8; h >= 1; h /= 2)
					for (int s = 0; s < h; s++)
						part[s] = part[s] + part[s + h];
				acc = b ? part[0] + b[o] : part[0];
				if (act != ACT_NONE)
					acc = acc < 0 ? 0 : acc;
				if (act == ACT_RELU6)
					acc = acc > 6 ? 6 : acc;
				want[n * O + o] = acc;
			}
		Interp *in = interp_or_die(g);
		const void *ins[1] = {x};
		void *outs[1] = {y};
		ir_interp_run(in, ins, outs);
		check(memcmp(y, want, sizeof y) == 0,
		      "dense f32 (%s, %s): bit-identical to the 16-partial definition",
		      ir_act_name(act), b ? "bias" : "no bias");
		ir_interp_free(in);
		ir_graph_free(g);
	}

	for (int pass = 0; pass < 3; pass++) {
		DType xt = pass == 0 ? DT_I8 : DT_I16, bt = pass == 2 ? DT_I64 : DT_I32;
		Act act = pass == 1 ? ACT_RELU : ACT_NONE;
		Graph *g = dense_graph(N, I, O, xt, DT_I8, bt, 1, act, &xv, &wv, &bv, &yv);
		int16_t x[N * I], y[N * O];
		int8_t x8[N * I], y8[N * O], *w = vdata(g, wv);
		void *b = vdata(g, bv);
		int32_t xzp = xt == DT_I8 ? 17 : 0, lo, hi;
		float sw[O], sx = xt == DT_I8 ? 0.05f : 0.0004f, sy = xt == DT_I8 ? 0.3f : 0.002f;
		int32_t yzp = xt == DT_I8 ? -9 : 0;
		int exact = 1, near = 1;
		for (int i = 0; i < N * I; i++) {
			x[i] = (int16_t)(xt == DT_I8 ? rndi(-128, 127) : rndi(-32768, 32767));
			x8[i] = (int8_t)x[i];
		}
		for (int i = 0; i < O * I; i++)
			w[i] = (int8_t)rndi(-127, 127);
		for (int o = 0; o < O; o++) {
			sw[o] = 0.002f * (float)(1 + o);
			if (bt == DT_I64)
				((int64_t *)b)[o] = rndi(-100000, 100000) * 7LL;
			else
				((int32_t *)b)[o] = rndi(-3000, 3000);
		}
		ir_set_qparams(g, xv, sx, xzp);
		ir_set_qparams_axis(g, wv, 0, O, sw);
		ir_set_qparams(g, yv, sy, yzp);
		ir_act_bounds(act, xt, sy, yzp, &lo, &hi);
		Interp *in = interp_or_die(g);
		const void *ins[1] = {xt == DT_I8 ? (void *)x8 : (void *)x};
		void *outs[1] = {xt == DT_I8 ? (void *)y8 : (void *)y};
		ir_interp_run(in, ins, outs);
		for (int n = 0; n < N; n++)
			for (int o = 0; o < O; o++) {
				int64_t acc = bt == DT_I64 ? ((int64_t *)b)[o] : ((int32_t *)b)[o];
				double m = (double)sx * sw[o] / sy;
				for (int i = 0; i < I; i++)
					acc += (int64_t)(x[n * I + i] - xzp) * w[o * I + i];
				int32_t got = xt == DT_I8 ? y8[n * O + o] : y[n * O + o];
				exact = exact && got == q_exact(acc, bt == DT_I64, m, yzp, lo, hi);
				near = near && abs(got - q_double(acc, m, yzp, lo, hi)) <=
				                       (bt == DT_I64 ? 2 : 1);
			}
		const char *kind = pass == 0   ? "int8"
		                   : pass == 1 ? "16x8/i32 bias, relu"
		                               : "16x8/i64 bias";
		check(exact, "dense %s: equals the naive sum with TFLite requantization", kind);
		check(near, "dense %s: within %d of round(acc * M) in double", kind,
		      bt == DT_I64 ? 2 : 1);
		ir_interp_free(in);
		ir_graph_free(g);
	}
}

/* ---- maxpool, relu, flatten, reshape --------------------------------------- */

static Graph *unary_graph(Op op, DType dt, Shape xs, Shape ys, int *xv, int *yv)
{
	Graph *g = ir_graph_new("unary");

	*xv = mkval(g, "x", VK_INPUT, dt, xs);
	*yv = mkval(g, "y", VK_TEMP, dt, ys);
	ir_node_new(g, op, *yv, xv, 1, loc_none());
	ir_add_input(g, *xv);
	ir_add_output(g, *yv);
	return g;
}

typedef struct {
	const char *name;
	int64_t kh, kw, sh, sw, pt, pl, pb, pr;
} PoolCase;

static void test_maxpool(void)
{
	static const PoolCase cases[] = {
	        {"2x2 stride 2 (the CNN's)", 2, 2, 2, 2, 0, 0, 0, 0},
	        {"3x3 stride 2 pad 1", 3, 3, 2, 2, 1, 1, 1, 1},
	        {"3x2 stride (1,2), pad (2,0,1,1)", 3, 2, 1, 2, 2, 0, 1, 1},
	        {"2x2 stride 1", 2, 2, 1, 1, 0, 0, 0, 0},
	};
	enum { N = 2, C = 3, H = 7, W = 8 };

	for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
		const PoolCase *k = &cases[ci];
		int64_t oh = out_dim(H, k->kh, k->sh, k->pt, k->pb, 1);
		int64_t ow = out_dim(W, k->kw, k->sw, k->pl, k->pr, 1);
		for (int prec = 0; prec < 3; prec++) {
			DType dt = prec == 0 ? DT_F32 : prec == 1 ? DT_I8 : DT_I16;
			int xv, yv, ok = 1;
			Graph *g = unary_graph(OP_MAXPOOL2D, dt, shp(4, N, C, H, W),
			                       shp(4, N, C, oh, ow), &xv, &yv);
			Attrs *a = &g->nodes[0].a;
			float xf[N * C * H * W], yf[N * C * 32 * 32];
			int8_t x8[N * C * H * W], y8[N * C * 32 * 32];
			int16_t x16[N * C * H * W], y16[N * C * 32 * 32];
			a->kernel[0] = k->kh;
			a->kernel[1] = k->kw;
			a->stride[0] = k->sh;
			a->stride[1] = k->sw;
			a->pad[0] = k->pt;
			a->pad[1] = k->pl;
			a->pad[2] = k->pb;
			a->pad[3] = k->pr;
			if (dt != DT_F32) {
				ir_set_qparams(g, xv, 0.1f, 40);
				ir_set_qparams(g, yv, 0.1f, 40);
			}
			/* all negative: padding (0 or the zero point 40) must never win */
			for (int i = 0; i < N * C * H * W; i++) {
				xf[i] = -1.0f - (float)(rnd() % 1000) / 100.0f;
				x8[i] = (int8_t)rndi(-128, 39);
				x16[i] = (int16_t)rndi(-32768, 39);
			}
			Interp *in = interp_or_die(g);
			const void *ins[1] = {dt == DT_F32  ? (void *)xf
			                      : dt == DT_I8 ? (void *)x8
			                                    : (void *)x16};
			void *outs[1] = {dt == DT_F32  ? (void *)yf
			                 : dt == DT_I8 ? (void *)y8
			                               : (void *)y16};
			ir_interp_run(in, ins, outs);
			for (int64_t nc = 0; nc < N * C; nc++)
				for (int64_t oy = 0; oy < oh; oy++)
					for (int64_t ox = 0; ox < ow; ox++) {
						double m = -INFINITY;
						for (int64_t ky = 0; ky < k->kh; ky++)
							for (int64_t kx = 0; kx < k->kw; kx++) {
								int64_t iy = oy * k->sh - k->pt +
								             ky,
								        ix = ox * k->sw - k->pl +
								             kx;
								if (iy < 0 || iy >= H || ix < 0 ||
								    ix >= W)
									continue;
								int64_t xi = (nc * H + iy) * W + ix;
								double v = dt == DT_F32  ? xf[xi]
								           : dt == DT_I8 ? x8[xi]
								                         : x16[xi];
								m = v > m ? v : m;
							}
						int64_t yi = (nc * oh + oy) * ow + ox;
						double got = dt == DT_F32  ? yf[yi]
						             : dt == DT_I8 ? y8[yi]
						                           : y16[yi];
						ok = ok && got == m;
					}
			check(ok,
			      "maxpool2d %s %s: the max of the in-bound elements (padding never wins)",
			      ir_dtype_name(dt), k->name);
			ir_interp_free(in);
			ir_graph_free(g);
		}
	}
}

/* The float maxpool's definition on the values where "max" is ambiguous:
 * the first in-bound element, then any later one that is > it. */
static void test_maxpool_special(void)
{
	int xv, yv;
	Graph *g = unary_graph(OP_MAXPOOL2D, DT_F32, shp(4, 1, 4, 1, 2), shp(4, 1, 4, 1, 1), &xv,
	                       &yv);
	Attrs *a = &g->nodes[0].a;
	float x[8] = {0.0f, -0.0f, -0.0f, 0.0f, NAN, 5.0f, -1.0f, NAN}, y[4];

	a->kernel[0] = 1;
	a->kernel[1] = 2;
	a->stride[0] = a->stride[1] = 2;
	Interp *in = interp_or_die(g);
	const void *ins[1] = {x};
	void *outs[1] = {y};
	ir_interp_run(in, ins, outs);
	check(y[0] == 0 && !signbit(y[0]) && y[1] == 0 && signbit(y[1]),
	      "maxpool2d f32: of +0 and -0 the first one wins (comparison is >)");
	check(isnan(y[2]) && y[3] == -1.0f,
	      "maxpool2d f32: a leading NaN wins, a later NaN never does");
	ir_interp_free(in);
	ir_graph_free(g);
}

static void test_relu_flatten(void)
{
	int xv, yv;
	Graph *g = unary_graph(OP_RELU, DT_F32, shp(2, 2, 3, 0, 0), shp(2, 2, 3, 0, 0), &xv, &yv);
	float x[6] = {-1.5f, 0.0f, -0.0f, 2.5f, NAN, -INFINITY}, y[6];
	Interp *in = interp_or_die(g);
	const void *ins[1] = {x};
	void *outs[1] = {y};

	ir_interp_run(in, ins, outs);
	check(y[0] == 0 && !signbit(y[0]) && y[1] == 0 && signbit(y[2]) && y[3] == 2.5f &&
	              isnan(y[4]) && y[5] == 0,
	      "relu f32 is x < 0 ? 0 : x (-0.0 and NaN pass through)");
	ir_interp_free(in);
	ir_graph_free(g);

	g = unary_graph(OP_RELU, DT_I8, shp(1, 6, 0, 0, 0), shp(1, 6, 0, 0, 0), &xv, &yv);
	ir_set_qparams(g, xv, 0.5f, -3);
	ir_set_qparams(g, yv, 0.5f, -3);
	int8_t x8[6] = {-128, -4, -3, -2, 0, 127}, y8[6];
	in = interp_or_die(g);
	ins[0] = x8;
	outs[0] = y8;
	ir_interp_run(in, ins, outs);
	check(y8[0] == -3 && y8[1] == -3 && y8[2] == -3 && y8[3] == -2 && y8[4] == 0 &&
	              y8[5] == 127,
	      "relu int8 is max(x, zp) with zp -3");
	ir_interp_free(in);
	ir_graph_free(g);

	g = unary_graph(OP_RELU, DT_I16, shp(1, 4, 0, 0, 0), shp(1, 4, 0, 0, 0), &xv, &yv);
	ir_set_qparams(g, xv, 0.5f, 0);
	ir_set_qparams(g, yv, 0.5f, 0);
	int16_t x16[4] = {-32768, -1, 0, 32767}, y16[4];
	in = interp_or_die(g);
	ins[0] = x16;
	outs[0] = y16;
	ir_interp_run(in, ins, outs);
	check(y16[0] == 0 && y16[1] == 0 && y16[2] == 0 && y16[3] == 32767,
	      "relu int16 is max(x, 0)");
	ir_interp_free(in);
	ir_graph_free(g);

	g = unary_graph(OP_FLATTEN, DT_F32, shp(4, 2, 3, 2, 2), shp(2, 2, 12, 0, 0), &xv, &yv);
	float xf[24], yf[24];
	for (int i = 0; i < 24; i++)
		xf[i] = (float)i * 0.5f - 3;
	in = interp_or_die(g);
	ins[0] = xf;
	outs[0] = yf;
	ir_interp_run(in, ins, outs);
	check(memcmp(xf, yf, sizeof xf) == 0, "flatten f32 copies the elements in C order");
	ir_interp_free(in);
	ir_graph_free(g);

	g = unary_graph(OP_RESHAPE, DT_I8, shp(2, 4, 6, 0, 0), shp(3, 2, 3, 4, 0), &xv, &yv);
	ir_set_qparams(g, xv, 0.5f, 1);
	ir_set_qparams(g, yv, 0.5f, 1);
	int8_t xr[24], yr[24];
	for (int i = 0; i < 24; i++)
		xr[i] = (int8_t)(i * 11 - 128);
	in = interp_or_die(g);
	ins[0] = xr;
	outs[0] = yr;
	ir_interp_run(in, ins, outs);
	check(memcmp(xr, yr, sizeof xr) == 0, "reshape int8 copies the bytes");
	ir_interp_free(in);
	ir_graph_free(g);
}

/* ---- a whole CNN-shaped graph: hook, float edge, timing -------------------- */

typedef struct {
	int order[32];
	int n;
	const void *last;
} HookLog;

static void hook(void *ctx, const Graph *g, int v, const void *data)
{
	HookLog *h = ctx;
	(void)g;
	if (h->n < 32)
		h->order[h->n++] = v;
	h->last = data;
}

/* x[1,1,28,28] -> conv 3x3 64 relu -> pool 2 -> conv 3x3 128 relu -> pool 2
 * -> flatten -> dense 10: the seed CNN with random weights. */
static Graph *cnn_graph(int quant, int *vals)
{
	Graph *g = ir_graph_new("cnn");
	DType at = quant ? DT_I8 : DT_F32, wt = quant ? DT_I8 : DT_F32,
	      bt = quant ? DT_I32 : DT_F32;
	int x = mkval(g, "x", VK_INPUT, at, shp(4, 1, 1, 28, 28));
	int w1 = mkval(g, "w1", VK_CONST, wt, shp(4, 64, 1, 3, 3));
	int b1 = mkval(g, "b1", VK_CONST, bt, shp(1, 64, 0, 0, 0));
	int w2 = mkval(g, "w2", VK_CONST, wt, shp(4, 128, 64, 3, 3));
	int b2 = mkval(g, "b2", VK_CONST, bt, shp(1, 128, 0, 0, 0));
	int wf = mkval(g, "wf", VK_CONST, wt, shp(2, 10, 6272, 0, 0));
	int bf = mkval(g, "bf", VK_CONST, bt, shp(1, 10, 0, 0, 0));
	int t1 = mkval(g, "t1", VK_TEMP, at, shp(4, 1, 64, 28, 28));
	int t3 = mkval(g, "t3", VK_TEMP, at, shp(4, 1, 64, 14, 14));
	int t4 = mkval(g, "t4", VK_TEMP, at, shp(4, 1, 128, 14, 14));
	int t6 = mkval(g, "t6", VK_TEMP, at, shp(4, 1, 128, 7, 7));
	int t7 = mkval(g, "t7", VK_TEMP, at, shp(2, 1, 6272, 0, 0));
	int y = mkval(g, "y", VK_TEMP, at, shp(2, 1, 10, 0, 0));
	int n;

	const int c1[3] = {x, w1, b1}, p1[1] = {t1}, c2[3] = {t3, w2, b2}, p2[1] = {t4};
	const int fl[1] = {t6}, de[3] = {t7, wf, bf};
	n = ir_node_new(g, OP_CONV2D, t1, c1, 3, loc_none());
	g->nodes[n].a.pad[0] = g->nodes[n].a.pad[1] = g->nodes[n].a.pad[2] = g->nodes[n].a.pad[3] =
	        1;
	g->nodes[n].a.act = ACT_RELU;
	n = ir_node_new(g, OP_MAXPOOL2D, t3, p1, 1, loc_none());
	g->nodes[n].a.kernel[0] = g->nodes[n].a.kernel[1] = 2;
	g->nodes[n].a.stride[0] = g->nodes[n].a.stride[1] = 2;
	n = ir_node_new(g, OP_CONV2D, t4, c2, 3, loc_none());
	g->nodes[n].a.pad[0] = g->nodes[n].a.pad[1] = g->nodes[n].a.pad[2] = g->nodes[n].a.pad[3] =
	        1;
	g->nodes[n].a.act = ACT_RELU;
	n = ir_node_new(g, OP_MAXPOOL2D, t6, p2, 1, loc_none());
	g->nodes[n].a.kernel[0] = g->nodes[n].a.kernel[1] = 2;
	g->nodes[n].a.stride[0] = g->nodes[n].a.stride[1] = 2;
	ir_node_new(g, OP_FLATTEN, t7, fl, 1, loc_none());
	ir_node_new(g, OP_DENSE, y, de, 3, loc_none());
	ir_add_input(g, x);
	ir_add_output(g, y);

	const int ws[3] = {w1, w2, wf}, bs[3] = {b1, b2, bf};
	for (int l = 0; l < 3; l++) {
		int64_t nw = ir_shape_numel(&g->vals[ws[l]].shape), oc = g->vals[ws[l]].shape.d[0];
		float fan = (float)(nw / oc);
		for (int64_t i = 0; i < nw; i++) {
			if (quant)
				((int8_t *)vdata(g, ws[l]))[i] = (int8_t)rndi(-127, 127);
			else
				((float *)vdata(g, ws[l]))[i] = rndf() * 2.0f / sqrtf(fan);
		}
		for (int64_t i = 0; i < oc; i++) {
			if (quant)
				((int32_t *)vdata(g, bs[l]))[i] = rndi(-2000, 2000);
			else
				((float *)vdata(g, bs[l]))[i] = rndf() * 0.1f;
		}
	}
	if (quant) {
		float s1[64], s2[128], sf[10];
		for (int i = 0; i < 64; i++)
			s1[i] = 0.004f + 0.0001f * (float)i;
		for (int i = 0; i < 128; i++)
			s2[i] = 0.0005f + 0.00001f * (float)i;
		for (int i = 0; i < 10; i++)
			sf[i] = 0.0003f;
		ir_set_qparams(g, x, 1.0f / 255, -128);
		ir_set_qparams_axis(g, w1, 0, 64, s1);
		ir_set_qparams(g, t1, 0.01f, -128);
		ir_set_qparams(g, t3, 0.01f, -128);
		ir_set_qparams_axis(g, w2, 0, 128, s2);
		ir_set_qparams(g, t4, 0.02f, -128);
		ir_set_qparams(g, t6, 0.02f, -128);
		ir_set_qparams(g, t7, 0.02f, -128);
		ir_set_qparams_axis(g, wf, 0, 10, sf);
		ir_set_qparams(g, y, 0.05f, 3);
	}
	vals[0] = x;
	vals[1] = y;
	vals[2] = t4;
	return g;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* the machine may be shared */
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void test_cnn(int quant, int reps)
{
	int vals[3];
	Graph *g = cnn_graph(quant, vals);
	Interp *in = interp_or_die(g);
	float x[784], y[10], y2[10];
	int8_t xq[784], yq[10];
	HookLog log = {{0}, 0, NULL};
	const char *kind = quant ? "int8" : "f32";

	for (int i = 0; i < 784; i++)
		x[i] = (float)(rnd() % 256) / 255.0f;
	ir_interp_set_hook(in, hook, &log);
	const float *fin[1] = {x};
	float *fout[1] = {y};
	int rc = ir_interp_run_f32(in, fin, fout);
	/* the hook saw x, then every node's result in order */
	int order_ok = log.n == 7 && log.order[0] == vals[0] && log.order[6] == vals[1] &&
	               log.last == ir_interp_value(in, vals[1]);
	for (int i = 1; i < 7 && order_ok; i++)
		order_ok = log.order[i] == g->nodes[i - 1].out;
	check(rc == 0 && order_ok,
	      "cnn %s: the hook sees the input, then each node's result in order", kind);

	/* the float edge is quantize -> run -> dequantize */
	if (quant) {
		const Value *xv = &g->vals[vals[0]], *yv = &g->vals[vals[1]];
		qrt_quantize_s8(x, xq, 784, xv->q.scale[0], xv->q.zp);
		const void *qin[1] = {xq};
		void *qout[1] = {yq};
		ir_interp_set_hook(in, NULL, NULL);
		ir_interp_run(in, qin, qout);
		qrt_dequantize_s8(yq, y2, 10, yv->q.scale[0], yv->q.zp);
		int spread = 0;
		for (int i = 1; i < 10; i++)
			spread |= yq[i] != yq[0];
		check(memcmp(y, y2, sizeof y) == 0 && spread,
		      "cnn int8: run_f32 = qrt_quantize_s8, run, qrt_dequantize_s8 (outputs not all equal)");
		const int8_t *t4 = ir_interp_value(in, vals[2]);
		int lo = 127;
		for (int i = 0; i < 128 * 14 * 14; i++)
			lo = t4[i] < lo ? t4[i] : lo;
		check(lo >= -128, "cnn int8: ir_interp_value reads an intermediate (t4 min %d)",
		      lo);
	} else {
		const void *qin[1] = {x};
		void *qout[1] = {y2};
		ir_interp_set_hook(in, NULL, NULL);
		ir_interp_run(in, qin, qout);
		check(memcmp(y, y2, sizeof y) == 0, "cnn f32: run_f32 equals run on an f32 graph");
	}

	ir_interp_set_hook(in, NULL, NULL);
	double t0 = now();
	for (int r = 0; r < reps; r++) {
		x[r % 784] = (float)(r % 256) / 255.0f;
		ir_interp_run_f32(in, fin, fout);
	}
	double ms = (now() - t0) * 1e3 / reps;
	printf("info: cnn %s: %.2f ms CPU per image (%d images, 15.0 M MACs each)\n", kind, ms,
	       reps);
	ir_interp_free(in);
	ir_graph_free(g);
}

/* ---- diagnostics ------------------------------------------------------------ */

static void test_errors(void)
{
	FILE *sink = fopen("/dev/null", "w");
	Diag d = {.out = sink};
	int xv, yv;
	Graph *g = unary_graph(OP_RELU, DT_F32, shp(1, 4, 0, 0, 0), shp(1, 4, 0, 0, 0), &xv, &yv);

	g->vals[yv].has_type = 0;
	check(ir_interp_new(g, &d) == NULL && d.nerrors == 1,
	      "interp_new diagnoses a value without a type");
	ir_graph_free(g);

	d.nerrors = 0;
	g = unary_graph(OP_RELU, DT_I8, shp(1, 4, 0, 0, 0), shp(1, 4, 0, 0, 0), &xv, &yv);
	ir_set_qparams(g, xv, 0.5f, 0);
	ir_set_qparams(g, yv, 0.25f, 0);
	check(ir_interp_new(g, &d) == NULL && d.nerrors == 1,
	      "interp_new diagnoses an int8 relu that changes the quantization");
	ir_graph_free(g);

	d.nerrors = 0;
	ConvCase k = conv_cases[0];
	int wv, bv;
	g = conv_graph(&k, DT_I8, DT_I8, DT_I32, &xv, &wv, &bv, &yv);
	ir_set_qparams(g, xv, 0.5f, 0);
	ir_set_qparams(g, yv, 0.5f, 0);
	check(ir_interp_new(g, &d) == NULL && d.nerrors == 1,
	      "interp_new diagnoses int8 weights without quantization parameters");
	ir_graph_free(g);

	d.nerrors = 0;
	g = conv_graph(&k, DT_F32, DT_F32, DT_F32, &xv, &wv, &bv, &yv);
	g->vals[yv].shape.d[3]++;
	check(ir_interp_new(g, &d) == NULL && d.nerrors == 1,
	      "interp_new diagnoses a conv2d result shape that does not match");
	ir_graph_free(g);

	d.nerrors = 0;
	g = conv_graph(&k, DT_F32, DT_F32, DT_F32, &xv, &wv, &bv, &yv);
	g->vals[wv].data = NULL;
	check(ir_interp_new(g, &d) == NULL && d.nerrors == 1,
	      "interp_new diagnoses a constant without data");
	ir_graph_free(g);
	fclose(sink);
}

int main(int argc, char **argv)
{
	int reps = argc > 1 && strcmp(argv[1], "--bench") == 0 ? 200 : 10;
	size_t nc = sizeof conv_cases / sizeof conv_cases[0];

	for (size_t i = 0; i < nc; i++)
		test_conv_f32(&conv_cases[i]);
	for (size_t i = 0; i < nc; i++)
		test_conv_q(&conv_cases[i], DT_I8, DT_I32);
	for (size_t i = 0; i < nc; i++)
		test_conv_q(&conv_cases[i], DT_I16, i % 2 ? DT_I64 : DT_I32);
	test_conv_hand();
	test_dense();
	test_maxpool();
	test_maxpool_special();
	test_relu_flatten();
	test_errors();
	test_cnn(0, reps);
	test_cnn(1, reps);
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail ? 1 : 0;
}
