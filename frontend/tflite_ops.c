/* frontend/tflite_ops.c — TFLite operators as IR ops: one check (operand
 * counts, options) and one lowering per operator, and the op table ti_ops
 * that tflite.c walks (docs/tflite.md lists it).
 *
 * Window ops (convolutions, pools) compute in NCHW, the IR's layout for
 * them; an element-wise op computes in NCHW when its 4-D run-time operands
 * have that form already, else in the file's NHWC; RESHAPE, SQUEEZE and
 * FULLY_CONNECTED read NHWC (the order of the file's elements).  Constant
 * weights are rearranged at import: CONV_2D's OHWI filter to OIHW,
 * DEPTHWISE_CONV_2D's [1, KH, KW, C*M] to [C*M, 1, KH, KW] (groups = C). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tflite_import.h"

/* Where NHWC axis k sits in NCHW, and which NHWC axis NCHW axis k is */
static const int nchw_pos[4] = {0, 2, 3, 1};
static const int nhwc_of[4] = {0, 3, 1, 2};

static int opt_i(Tim *im, int field, int size, int64_t def, int64_t *out)
{
	return tfl_opt_int(im->m, im->op, field, size, def, out);
}

/* The operand counts: between mn and mx inputs, and one output. */
static int io(Tim *im, int mn, int mx)
{
	if (im->o->nin < mn || im->o->nin > mx)
		return mn == mx ? ti_err(im, "it has %d inputs; it takes %d", im->o->nin, mn)
		                : ti_err(im, "it has %d inputs; it takes %d to %d", im->o->nin, mn,
		                         mx);
	if (im->o->nout != 1)
		return ti_err(im, "it has %d outputs; it has one", im->o->nout);
	for (int k = 0; k < mn; k++)
		if (im->o->in[k] < 0)
			return ti_err(im, "input %d is omitted; it is required", k);
	return 0;
}

/* A run-time input k (not a constant). */
static int runtime_in(Tim *im, int k)
{
	int t = ti_in(im, k);
	if (t < 0)
		return ti_err(im, "input %d is omitted", k);
	if (ti_is_const(im, t))
		return ti_err(im,
		              "input %d ('%s') is a constant; quantc computes this operator on "
		              "run-time tensors only",
		              k, ti_tensor(im, t)->name);
	return t;
}

static int check_padding(Tim *im, int64_t p)
{
	if (p != 0 && p != 1)
		return ti_err(im, "padding %lld is neither SAME (0) nor VALID (1)", (long long)p);
	return 0;
}

static int check_stride(Tim *im, int64_t sw, int64_t sh, int64_t dw, int64_t dh)
{
	if (sw < 1 || sh < 1 || dw < 1 || dh < 1)
		return ti_err(im, "stride %lldx%lld and dilation %lldx%lld must be at least 1",
		              (long long)sh, (long long)sw, (long long)dh, (long long)dw);
	return 0;
}

/* TFLite's padding arithmetic along one axis (SAME: out = ceil(in / s), the
 * total split with the smaller half first; VALID: none). */
static void padding(int64_t same, int64_t in, int64_t k, int64_t s, int64_t d, int64_t *p0,
                    int64_t *p1)
{
	int64_t eff = (k - 1) * d + 1;

	*p0 = *p1 = 0;
	if (same) {
		int64_t out = (in + s - 1) / s, total = (out - 1) * s + eff - in;
		if (total < 0)
			total = 0;
		*p0 = total / 2;
		*p1 = total - *p0;
	}
}

static Act ir_act(int act)
{
	return act == TFL_ACT_RELU ? ACT_RELU : act == TFL_ACT_RELU6 ? ACT_RELU6 : ACT_NONE;
}

/* ---- weights ------------------------------------------------------------------- */

/* The parameters of a quantized operator's filter w (per channel along
 * qdim, or per tensor) and bias b (int32), or of a float operator's (float,
 * or int8 weights of a hybrid model, dequantized without pins). */
static int check_weights(Tim *im, int q, int w, int b, int qdim)
{
	const TflTensor *wt = ti_tensor(im, w);

	if (!ti_is_const(im, w))
		return ti_err(im, "the filter ('%s') must be a constant", wt->name);
	if (b >= 0 && !ti_is_const(im, b))
		return ti_err(im, "the bias ('%s') must be a constant", ti_tensor(im, b)->name);
	if (!q) {
		if (ti_is_quant(im, ti_out(im, 0)))
			return ti_err(im, "a float input with a quantized output is not supported");
		return 0;
	}
	if (!ti_is_quant(im, w))
		return ti_err(im, "the input is quantized, the filter ('%s', %s) is not", wt->name,
		              tfl_type_name(wt->type));
	if (!ti_is_quant(im, ti_out(im, 0)))
		return ti_err(im, "the input is quantized, the output is not");
	if (wt->nscale == 1 && wt->zp[0] != (wt->type == TFL_UINT8 ? 128 : 0))
		return ti_err(im,
		              "the filter's zero point is %lld; quantc's weights are symmetric "
		              "(zero point 0, or 128 for uint8)",
		              (long long)wt->zp[0]);
	if (wt->nscale > 1) {
		if (wt->qdim != qdim)
			return ti_err(im,
			              "the filter is quantized along dimension %d; quantc needs %d",
			              wt->qdim, qdim);
		for (int c = 0; c < wt->nscale; c++)
			if (wt->zp[c] != (wt->type == TFL_UINT8 ? 128 : 0))
				return ti_err(im, "the filter's per-channel zero points must be 0");
	}
	if (b >= 0) {
		const TflTensor *bt = ti_tensor(im, b);
		if (bt->type != TFL_INT32 || !bt->nscale)
			return ti_err(
			        im,
			        "the bias ('%s') of a quantized operator must be int32 with a "
			        "scale",
			        bt->name);
	}
	return 0;
}

/* A quantized bias is carried as the float (float)q * s, from which the
 * quantize pass takes back round(f / s): q itself for |q| < 2^23.  A larger
 * q (a converter's bias for a channel whose output is constant) may come
 * back as q' != q; that is still exact when every accumulator the channel
 * can have, with q or q', gives the same output (a channel with zero
 * weights, whose output is its bias).  w: the
 * channel's weights (k of them, floats), x: the input tensor. */
static int bias_exact(Tim *im, int b, int64_t c, float f, const float *w, int64_t k, int x)
{
	const TflTensor *bt = ti_tensor(im, b), *wt = ti_tensor(im, ti_in(im, 1));
	float sx, so;
	int32_t zx, zo;
	int32_t q;

	ti_qparams(im, x, &sx, &zx);
	ti_qparams(im, ti_out(im, 0), &so, &zo);
	float sb = bt->scale[bt->nscale > 1 ? c : 0], sw = wt->scale[wt->nscale > 1 ? c : 0];
	memcpy(&q, bt->data + 4 * c, 4);
	double q2 = round((double)f / (double)sb), sum = 0, dx = 128 + fabs((double)zx);
	for (int64_t i = 0; i < k; i++)
		sum += fabs((double)w[i]) / sw;
	double m = (double)sx * (double)sw / (double)so, span = dx * sum + 1;
	double lo = fmin((double)q, q2) - span, hi = fmax((double)q, q2) + span;
	int32_t mult;
	int shift;
	ir_quantize_multiplier(m, &mult, &shift);
	/* the requantization is monotonic: equal at both ends, equal between */
	if (lo >= INT32_MIN && hi <= INT32_MAX) {
		int64_t a = zo + (int64_t)ir_mbqm((int32_t)lo, mult, shift);
		int64_t z = zo + (int64_t)ir_mbqm((int32_t)hi, mult, shift);
		a = a < -128 ? -128 : a > 127 ? 127 : a;
		z = z < -128 ? -128 : z > 127 ? 127 : z;
		if (a == z)
			return 0;
	}
	return ti_err(im,
	              "element %lld of the bias ('%s') is %lld: quantc carries a bias exactly only "
	              "for |q| < 2^23, or when the channel's output is the same whatever the input",
	              (long long)c, bt->name, (long long)q);
}

/* A float f and a scale s within 6 ulps of *s (the quantize pass takes a
 * pinned bias scale within 1e-6 of input scale x weight scale) from which
 * round(f / s) gives back q: for |q| >= 2^24, (float)q * s alone may not.
 * Returns 1 with *f and *s set, 0 if none is found. */
static int bias_fit(int32_t q, float *f, float *s)
{
	float up = *s, down = *s;

	for (int i = 0; i <= 6; i++) {
		float cand[2] = {up, down};
		for (int k = 0; k < 2; k++) {
			float g = (float)((double)q * (double)cand[k]);
			g = nextafterf(nextafterf(g, -INFINITY), -INFINITY);
			for (int j = 0; j < 5; j++, g = nextafterf(g, INFINITY))
				if (round((double)g / (double)cand[k]) == (double)q) {
					*f = g;
					*s = cand[k];
					return 1;
				}
		}
		up = nextafterf(up, INFINITY);
		down = nextafterf(down, 0.0f);
	}
	return 0;
}

/* Bias b as an IR constant of o elements, pinned when q (w: the IR
 * weights, o rows of k): the quantize pass takes back the file's integers
 * exactly (round(f / s) with the pinned scale). */
static int bias_value(Tim *im, int b, int64_t o, int q, const float *w, int64_t k)
{
	Shape s = {1, {o}};
	const TflTensor *bt = ti_tensor(im, b);

	if (ti_shape(im, b).rank != 1 || ti_shape(im, b).d[0] != o)
		return ti_err(im, "the bias ('%s') must have %lld elements", bt->name,
		              (long long)o);
	if (q && bt->nscale != 1 && bt->nscale != o)
		return ti_err(im, "the bias ('%s') has %d scales for %lld elements", bt->name,
		              bt->nscale, (long long)o);
	float *f = ti_const_floats(im, b, "bias");
	if (!f)
		return -1;
	float *sc = ir_xmalloc((size_t)o * sizeof *sc);
	for (int64_t c = 0; q && c < o; c++) {
		int32_t v;
		memcpy(&v, bt->data + 4 * c, 4);
		sc[c] = bt->scale[bt->nscale == 1 ? 0 : c];
		if (round((double)f[c] / (double)sc[c]) == (double)v || bias_fit(v, &f[c], &sc[c]))
			continue;
		if (bias_exact(im, b, c, f[c], w + c * k, k, ti_in(im, 0))) {
			free(sc);
			free(f);
			return -1;
		}
	}
	char *name = ti_out_name(im, ".b");
	int r = ti_new_const(im, name, &s, f);
	free(name);
	free(f);
	if (q)
		ir_set_qparams_axis(im->g, r, 0, (int)o, sc);
	free(sc);
	return r;
}

/* ---- CONV_2D, DEPTHWISE_CONV_2D ---------------------------------------------- */

static int check_conv(Tim *im, int dw)
{
	int64_t p, sw, sh, act, dlw, dlh, mult;

	if (io(im, 2, 3) || opt_i(im, 0, 1, 0, &p) || opt_i(im, 1, 4, 0, &sw) ||
	    opt_i(im, 2, 4, 0, &sh) || opt_i(im, dw ? 4 : 3, 1, 0, &act) ||
	    opt_i(im, dw ? 5 : 4, 4, 1, &dlw) || opt_i(im, dw ? 6 : 5, 4, 1, &dlh) ||
	    (dw && opt_i(im, 3, 4, 1, &mult)))
		return -1;
	return check_padding(im, p) || check_stride(im, sw, sh, dlw, dlh) ||
	       ti_check_act(im, (int)act);
}
static int check_conv2d(Tim *im)
{
	return check_conv(im, 0);
}
static int check_dwconv(Tim *im)
{
	return check_conv(im, 1);
}

static int lower_conv(Tim *im, int dw)
{
	int64_t p, sw, sh, act, dlw, dlh;
	int x = runtime_in(im, 0), w = ti_in(im, 1), b = ti_in(im, 2);

	if (x < 0 || opt_i(im, 0, 1, 0, &p) || opt_i(im, 1, 4, 0, &sw) || opt_i(im, 2, 4, 0, &sh) ||
	    opt_i(im, dw ? 4 : 3, 1, 0, &act) || opt_i(im, dw ? 5 : 4, 4, 1, &dlw) ||
	    opt_i(im, dw ? 6 : 5, 4, 1, &dlh))
		return -1;
	int q = ti_is_quant(im, x);
	if (check_weights(im, q, w, b, dw ? 3 : 0))
		return -1;
	Shape xs = ti_shape(im, x), ws = ti_shape(im, w);
	if (xs.rank != 4 || ws.rank != 4)
		return ti_err(im, "input and filter must be 4-D");
	int64_t C = xs.d[3], KH = ws.d[1], KW = ws.d[2], O, I, groups;
	if (dw) {
		O = ws.d[3];
		I = 1;
		if (ws.d[0] != 1 || O % C)
			return ti_err(
			        im, "the filter [1, KH, KW, C*M] does not fit %lld input channels",
			        (long long)C);
		groups = C;
	} else {
		O = ws.d[0];
		I = ws.d[3];
		if (I < 1 || C % I)
			return ti_err(
			        im,
			        "the filter's %lld input channels do not divide the input's %lld",
			        (long long)I, (long long)C);
		groups = C / I;
	}
	float *f = ti_const_floats(im, w, "filter");
	if (!f)
		return -1;
	/* OHWI (or 1HWO) to OIHW */
	Shape is = {4, {O, I, KH, KW}};
	float *r = ir_xmalloc((size_t)(O * I * KH * KW) * sizeof *r);
	for (int64_t o = 0; o < O; o++)
		for (int64_t i = 0; i < I; i++)
			for (int64_t ky = 0; ky < KH; ky++)
				for (int64_t kx = 0; kx < KW; kx++)
					r[((o * I + i) * KH + ky) * KW + kx] =
					        dw ? f[(ky * KW + kx) * O + o]
					           : f[((o * KH + ky) * KW + kx) * I + i];
	free(f);
	char *name = ti_out_name(im, ".w");
	int wv = ti_new_const(im, name, &is, r);
	free(name);
	if (q)
		ti_pin_const(im, wv, w);
	int in[3] = {ti_nchw(im, x), wv, -1};
	if (in[0] < 0 || (b >= 0 && (in[2] = bias_value(im, b, O, q, r, I * KH * KW)) < 0)) {
		free(r);
		return -1;
	}
	free(r);
	Attrs a;
	ir_attrs_default(&a);
	a.stride[0] = sh;
	a.stride[1] = sw;
	a.dilation[0] = dlh;
	a.dilation[1] = dlw;
	a.groups = groups;
	a.act = ir_act((int)act);
	padding(p == 0, xs.d[1], KH, sh, dlh, &a.pad[0], &a.pad[2]);
	padding(p == 0, xs.d[2], KW, sw, dlw, &a.pad[1], &a.pad[3]);
	int v = ti_emit(im, OP_CONV2D, in, b >= 0 ? 3 : 2, &a);
	if (v < 0 || (act == TFL_ACT_RELU_N1_TO_1 && (v = ti_fused_act(im, v, (int)act)) < 0))
		return -1;
	return ti_def(im, 0, v, 1);
}
static int lower_conv2d(Tim *im)
{
	return lower_conv(im, 0);
}
static int lower_dwconv(Tim *im)
{
	return lower_conv(im, 1);
}

/* ---- FULLY_CONNECTED ------------------------------------------------------------ */

static int check_fc(Tim *im)
{
	int64_t act, fmt, keep;

	if (io(im, 2, 3) || opt_i(im, 0, 1, 0, &act) || opt_i(im, 1, 1, 0, &fmt) ||
	    opt_i(im, 2, 1, 0, &keep) || ti_check_act(im, (int)act))
		return -1;
	if (fmt != 0)
		return ti_err(im,
		              "weights_format %lld (shuffled) is not supported; quantc takes "
		              "DEFAULT weights",
		              (long long)fmt);
	return 0;
}

static int reshape_to(Tim *im, int v, const Shape *s, int pin)
{
	Attrs a;

	if (ir_shape_eq(&im->g->vals[v].shape, s))
		return v;
	ir_attrs_default(&a);
	a.nshape = s->rank;
	memcpy(a.shape, s->d, sizeof a.shape);
	return ti_emit_as(im, OP_RESHAPE, &v, 1, &a, pin);
}

static int lower_fc(Tim *im)
{
	int64_t act, keep;
	int x = runtime_in(im, 0), w = ti_in(im, 1), b = ti_in(im, 2);

	if (x < 0 || opt_i(im, 0, 1, 0, &act) || opt_i(im, 2, 1, 0, &keep))
		return -1;
	int q = ti_is_quant(im, x);
	if (check_weights(im, q, w, b, 0))
		return -1;
	Shape xs = ti_shape(im, x), ws = ti_shape(im, w);
	if (ws.rank != 2)
		return ti_err(im, "the weights must be 2-D [O, I]");
	int64_t O = ws.d[0], I = ws.d[1], n = ir_shape_numel(&xs);
	if (I < 1 || n % I)
		return ti_err(im, "the input's %lld elements are not rows of %lld", (long long)n,
		              (long long)I);
	float *f = ti_const_floats(im, w, "weights");
	if (!f)
		return -1;
	char *name = ti_out_name(im, ".w");
	int wv = ti_new_const(im, name, &ws, f);
	free(name);
	if (q)
		ti_pin_const(im, wv, w);
	Shape flat = {2, {n / I, I}}, out = xs;
	int in[3] = {ti_nhwc(im, x), wv, -1};
	if (in[0] < 0 || (in[0] = reshape_to(im, in[0], &flat, x)) < 0 ||
	    (b >= 0 && (in[2] = bias_value(im, b, O, q, f, I)) < 0)) {
		free(f);
		return -1;
	}
	free(f);
	Attrs a;
	ir_attrs_default(&a);
	a.act = ir_act((int)act);
	int v = ti_emit(im, OP_DENSE, in, b >= 0 ? 3 : 2, &a);
	if (v < 0 || (act == TFL_ACT_RELU_N1_TO_1 && (v = ti_fused_act(im, v, (int)act)) < 0))
		return -1;
	/* keep_num_dims: the input's leading dimensions, the last one O */
	if (keep && out.rank >= 1) {
		out.d[out.rank - 1] = O;
		if ((v = reshape_to(im, v, &out, ti_out(im, 0))) < 0)
			return -1;
	}
	return ti_def(im, 0, v, 0);
}

/* ---- AVERAGE_POOL_2D, MAX_POOL_2D --------------------------------------------------- */

static int check_pool(Tim *im)
{
	int64_t p, sw, sh, fw, fh, act;

	if (io(im, 1, 1) || opt_i(im, 0, 1, 0, &p) || opt_i(im, 1, 4, 0, &sw) ||
	    opt_i(im, 2, 4, 0, &sh) || opt_i(im, 3, 4, 0, &fw) || opt_i(im, 4, 4, 0, &fh) ||
	    opt_i(im, 5, 1, 0, &act))
		return -1;
	if (fw < 1 || fh < 1)
		return ti_err(im, "the filter %lldx%lld must be at least 1x1", (long long)fh,
		              (long long)fw);
	return check_padding(im, p) || check_stride(im, sw, sh, 1, 1) || ti_check_act(im, (int)act);
}

static int lower_pool(Tim *im, Op op)
{
	int64_t p, sw, sh, fw, fh, act;
	int x = runtime_in(im, 0);

	if (x < 0 || opt_i(im, 0, 1, 0, &p) || opt_i(im, 1, 4, 0, &sw) || opt_i(im, 2, 4, 0, &sh) ||
	    opt_i(im, 3, 4, 0, &fw) || opt_i(im, 4, 4, 0, &fh) || opt_i(im, 5, 1, 0, &act))
		return -1;
	Shape xs = ti_shape(im, x);
	if (xs.rank != 4)
		return ti_err(im, "the input must be 4-D");
	if (ti_is_quant(im, x) != ti_is_quant(im, ti_out(im, 0)))
		return ti_err(im, "input and output must both be quantized or both float");
	Attrs a;
	ir_attrs_default(&a);
	a.kernel[0] = fh;
	a.kernel[1] = fw;
	a.stride[0] = sh;
	a.stride[1] = sw;
	a.count_pad = 0; /* TFLite divides by the in-bound taps */
	padding(p == 0, xs.d[1], fh, sh, 1, &a.pad[0], &a.pad[2]);
	padding(p == 0, xs.d[2], fw, sw, 1, &a.pad[1], &a.pad[3]);
	int v = ti_nchw(im, x);
	if (v < 0 || (v = ti_emit_as(im, op, &v, 1, &a, x)) < 0 ||
	    (v = ti_requant_out(im, v, x)) < 0 || (v = ti_fused_act(im, v, (int)act)) < 0)
		return -1;
	return ti_def(im, 0, v, 1);
}
static int lower_avgpool(Tim *im)
{
	return lower_pool(im, OP_AVGPOOL2D);
}
static int lower_maxpool(Tim *im)
{
	return lower_pool(im, OP_MAXPOOL2D);
}

/* ---- ADD, SUB, MUL -------------------------------------------------------------------- */

static int check_binary(Tim *im)
{
	int64_t act;

	if (io(im, 2, 2) || opt_i(im, 0, 1, 0, &act) || ti_check_act(im, (int)act))
		return -1;
	return 0;
}

/* Constant t as an operand of an element-wise op computing in NCHW (nchw)
 * or NHWC: in NCHW a constant of rank < 4 is first given NumPy's broadcast
 * shape [1, ..., dims] and then permuted like the 4-D operands.  Pinned
 * per tensor when quantized. */
static int const_operand(Tim *im, int t, int nchw)
{
	Shape s = ti_shape(im, t);
	const TflTensor *x = ti_tensor(im, t);

	if (x->nscale > 1)
		return ti_err(im,
		              "the constant '%s' is quantized per channel; quantc takes per-tensor "
		              "parameters for it",
		              x->name);
	if (x->type != TFL_FLOAT32 && x->type != TFL_INT8 && x->type != TFL_UINT8)
		return ti_err(im,
		              "the constant '%s' is %s; quantc takes float32, int8 or uint8 here",
		              x->name, tfl_type_name(x->type));
	if (s.rank > 4 && nchw)
		return ti_err(im, "the constant '%s' has rank %d, more than the other operands'",
		              x->name, s.rank);
	float *f = ti_const_floats(im, t, "operand");
	if (!f)
		return -1;
	if (nchw) {
		Shape h = {4, {1, 1, 1, 1}};
		for (int k = 0; k < s.rank; k++)
			h.d[4 - s.rank + k] = s.d[k];
		s = (Shape){4, {h.d[0], h.d[3], h.d[1], h.d[2]}};
		float *r = ir_xmalloc((size_t)(ir_shape_numel(&s) ? ir_shape_numel(&s) : 1) *
		                      sizeof *r);
		int64_t i = 0;
		for (int64_t n = 0; n < s.d[0]; n++)
			for (int64_t c = 0; c < s.d[1]; c++)
				for (int64_t y = 0; y < s.d[2]; y++)
					for (int64_t z = 0; z < s.d[3]; z++)
						r[i++] = f[((n * h.d[1] + y) * h.d[2] + z) * h.d[3] +
						           c];
		free(f);
		f = r;
	}
	int v = ti_new_const(im, x->name, &s, f);
	free(f);
	if (ti_is_quant(im, t))
		ti_pin_const(im, v, t);
	return v;
}

/* Whether the run-time operands among the current operator's inputs are all
 * 4-D with an NCHW form (and there is one). */
static int all_nchw(Tim *im)
{
	int any = 0;

	for (int k = 0; k < im->o->nin; k++) {
		int t = ti_in(im, k);
		if (t < 0 || ti_is_const(im, t))
			continue;
		if (!ti_has_nchw(im, t))
			return 0;
		any = 1;
	}
	return any;
}

/* The operands of an n-ary element-wise op in the layout chosen; 0 or -1. */
static int operands(Tim *im, int *in, int nchw)
{
	int any = 0;

	for (int k = 0; k < im->o->nin; k++) {
		int t = ti_in(im, k);
		if (t < 0)
			return ti_err(im, "input %d is omitted", k);
		if (ti_is_const(im, t))
			in[k] = const_operand(im, t, nchw);
		else {
			any = 1;
			if (ti_is_quant(im, t) != ti_is_quant(im, ti_out(im, 0)))
				return ti_err(im,
				              "input '%s' and the output must both be quantized or "
				              "both float",
				              ti_tensor(im, t)->name);
			in[k] = nchw ? ti_nchw(im, t) : ti_nhwc(im, t);
		}
		if (in[k] < 0)
			return -1;
	}
	if (!any)
		return ti_err(im, "every input is a constant (a converter folds these)");
	return 0;
}

static int lower_binary(Tim *im, Op op)
{
	int64_t act;
	int in[2], nchw = all_nchw(im);

	if (opt_i(im, 0, 1, 0, &act) || operands(im, in, nchw))
		return -1;
	Attrs a;
	ir_attrs_default(&a);
	a.act = ir_act((int)act);
	int v = ti_emit(im, op, in, 2, &a);
	if (v < 0 || (act == TFL_ACT_RELU_N1_TO_1 && (v = ti_fused_act(im, v, (int)act)) < 0))
		return -1;
	return ti_def(im, 0, v, nchw && im->g->vals[v].shape.rank == 4);
}
static int lower_add(Tim *im)
{
	return lower_binary(im, OP_ADD);
}
static int lower_sub(Tim *im)
{
	return lower_binary(im, OP_SUB);
}
static int lower_mul(Tim *im)
{
	return lower_binary(im, OP_MUL);
}

/* ---- RESHAPE, SQUEEZE ------------------------------------------------------------------- */

static int check_reshape(Tim *im)
{
	return io(im, 1, 2);
}

static int lower_reshape(Tim *im)
{
	int x = runtime_in(im, 0), s = ti_in(im, 1);
	int32_t ns[IR_MAX_RANK + 1];
	int64_t dims[IR_MAX_RANK + 1], n = -1;
	int nn;

	if (x < 0)
		return -1;
	if (s >= 0 && ti_is_const(im, s)) {
		int64_t *v = ti_const_ints(im, s, "shape", &n);
		if (!v)
			return -1;
		if (n > IR_MAX_RANK) {
			free(v);
			return ti_err(im, "the shape has %lld dimensions; at most %d", (long long)n,
			              IR_MAX_RANK);
		}
		memcpy(dims, v, (size_t)n * sizeof *v);
		free(v);
	} else {
		if (s >= 0)
			return ti_err(im, "the shape (input 1) must be a constant");
		if (tfl_opt_ints(im->m, im->op, 0, ns, IR_MAX_RANK + 1, &nn))
			return -1;
		if (nn > IR_MAX_RANK)
			return ti_err(im, "new_shape has %d dimensions; at most %d", nn,
			              IR_MAX_RANK);
		n = nn;
		for (int k = 0; k < nn; k++)
			dims[k] = ns[k];
	}
	Shape xs = ti_shape(im, x), out = ti_shape(im, ti_out(im, 0));
	if (n >= 0) {
		/* -1 is what the others leave */
		int64_t known = 1, neg = -1;
		out.rank = (int)n;
		for (int k = 0; k < n; k++) {
			if (dims[k] == -1 && neg < 0)
				neg = k;
			else if (dims[k] < 1)
				return ti_err(im, "the new shape's dimension %d is %lld", k,
				              (long long)dims[k]);
			else
				known *= dims[k];
			out.d[k] = dims[k];
		}
		if (neg >= 0)
			out.d[neg] = known ? ir_shape_numel(&xs) / known : 0;
	}
	if (ir_shape_numel(&out) != ir_shape_numel(&xs))
		return ti_err(im, "the new shape has %lld elements, the input %lld",
		              (long long)ir_shape_numel(&out), (long long)ir_shape_numel(&xs));
	int v = ti_nhwc(im, x);
	Attrs a;
	ir_attrs_default(&a);
	a.nshape = out.rank;
	memcpy(a.shape, out.d, sizeof a.shape);
	if (v < 0 || (v = ti_emit_as(im, OP_RESHAPE, &v, 1, &a, x)) < 0 ||
	    (v = ti_requant_out(im, v, x)) < 0)
		return -1;
	return ti_def(im, 0, v, 0);
}

static int check_squeeze(Tim *im)
{
	return io(im, 1, 1);
}

static int lower_squeeze(Tim *im)
{
	int x = runtime_in(im, 0);
	int32_t sq[IR_MAX_RANK];
	int n;

	if (x < 0 || tfl_opt_ints(im->m, im->op, 0, sq, IR_MAX_RANK, &n))
		return -1;
	Shape xs = ti_shape(im, x), out = {0, {0}};
	int drop[IR_MAX_RANK] = {0};
	for (int k = 0; k < n; k++) {
		int ax = sq[k] < 0 ? sq[k] + xs.rank : sq[k];
		if (ax < 0 || ax >= xs.rank || xs.d[ax] != 1)
			return ti_err(im, "squeeze_dims %d is not an axis of extent 1", (int)sq[k]);
		drop[ax] = 1;
	}
	for (int k = 0; k < xs.rank; k++)
		if (!(n > 0 ? drop[k] : xs.d[k] == 1))
			out.d[out.rank++] = xs.d[k];
	int v = ti_nhwc(im, x);
	Attrs a;
	ir_attrs_default(&a);
	a.nshape = out.rank;
	memcpy(a.shape, out.d, sizeof a.shape);
	if (v < 0 || (v = ti_emit_as(im, OP_RESHAPE, &v, 1, &a, x)) < 0 ||
	    (v = ti_requant_out(im, v, x)) < 0)
		return -1;
	return ti_def(im, 0, v, 0);
}

/* ---- activations ------------------------------------------------------------------------- */

static int check_unary(Tim *im)
{
	return io(im, 1, 1);
}

static int check_softmax(Tim *im)
{
	float beta;

	if (io(im, 1, 1) || tfl_opt_float(im->m, im->op, 0, 0.0f, &beta))
		return -1;
	if (!(beta > 0) || !isfinite(beta))
		return ti_err(im, "beta %g is not a positive finite number", (double)beta);
	return 0;
}

static int check_leaky(Tim *im)
{
	float alpha;

	if (io(im, 1, 1) || tfl_opt_float(im->m, im->op, 0, 0.0f, &alpha))
		return -1;
	if (!isfinite(alpha))
		return ti_err(im, "alpha is %g", (double)alpha);
	return 0;
}

/* The run-time input 0 in the layout it has (NCHW preferred); *nchw says
 * which. */
static int any_layout(Tim *im, int x, int *nchw)
{
	*nchw = ti_has_nchw(im, x);
	return *nchw ? ti_nchw(im, x) : ti_nhwc(im, x);
}

/* An op of the IR that chooses its own result parameters (the activation
 * family: the quantize pass takes no pin on it) computing the current
 * operator's output: v, unpinned, when those are the output's (softmax and
 * sigmoid at 1/256, -128, tanh at 1/128, 0: TFLite's int8 outputs); else a
 * requantizing concat after it, pinned with the output's parameters. */
static int own_params(Tim *im, int v, Op op)
{
	int out = ti_out(im, 0);
	float s;
	int32_t zp;
	Attrs a;

	if (!ti_is_quant(im, out))
		return v;
	ti_qparams(im, out, &s, &zp);
	if ((op == OP_SOFTMAX || op == OP_SIGMOID) && s == 1.0f / 256 && zp == -128)
		return v;
	if (op == OP_TANH && s == 1.0f / 128 && zp == 0)
		return v;
	/* the others choose theirs from a range (clip: the one a calibration
	 * would have chosen, which propagate-ranges leaves alone): the output's,
	 * so that the concat below has (nearly) nothing to do */
	Value *val = &im->g->vals[v];
	val->has_clip = 1;
	val->clip[0] = s * (float)(-128 - zp);
	val->clip[1] = s * (float)(127 - zp);
	ir_attrs_default(&a);
	a.axis = 0;
	return ti_emit(im, OP_CONCAT, &v, 1, &a);
}

/* sigmoid, tanh, hard_swish, leaky_relu */
static int lower_act(Tim *im, Op op, const Attrs *a, int nchw_ok)
{
	int x = runtime_in(im, 0), nchw = 0;

	if (x < 0)
		return -1;
	if (ti_is_quant(im, x) != ti_is_quant(im, ti_out(im, 0)))
		return ti_err(im, "input and output must both be quantized or both float");
	int v = nchw_ok ? any_layout(im, x, &nchw) : ti_nhwc(im, x);
	if (v < 0 || (v = ti_emit_as(im, op, &v, 1, a, -1)) < 0 || (v = own_params(im, v, op)) < 0)
		return -1;
	return ti_def(im, 0, v, nchw);
}
static int lower_logistic(Tim *im)
{
	return lower_act(im, OP_SIGMOID, NULL, 1);
}
static int lower_tanh(Tim *im)
{
	return lower_act(im, OP_TANH, NULL, 1);
}
static int lower_hard_swish(Tim *im)
{
	return lower_act(im, OP_HARD_SWISH, NULL, 1);
}
static int lower_leaky(Tim *im)
{
	Attrs a;

	ir_attrs_default_op(&a, OP_LEAKY_RELU);
	if (tfl_opt_float(im->m, im->op, 0, 0.0f, &a.alpha))
		return -1;
	return lower_act(im, OP_LEAKY_RELU, &a, 1);
}
static int lower_softmax(Tim *im)
{
	int x = runtime_in(im, 0);
	Attrs a;

	if (x < 0)
		return -1;
	ir_attrs_default_op(&a, OP_SOFTMAX);
	if (tfl_opt_float(im->m, im->op, 0, 1.0f, &a.beta))
		return -1;
	/* along the channels: NCHW's axis 1 when only that form exists */
	int nchw = ti_has_nchw(im, x) && im->t[x].nhwc < 0;
	a.axis = nchw ? 1 : -1;
	if (ti_is_quant(im, x) != ti_is_quant(im, ti_out(im, 0)))
		return ti_err(im, "input and output must both be quantized or both float");
	int v = nchw ? ti_nchw(im, x) : ti_nhwc(im, x);
	if (v < 0 || (v = ti_emit_as(im, OP_SOFTMAX, &v, 1, &a, -1)) < 0 ||
	    (v = own_params(im, v, OP_SOFTMAX)) < 0)
		return -1;
	return ti_def(im, 0, v, nchw);
}

/* RELU, RELU6, RELU_N1_TO_1: requantized to the output's parameters first
 * (when they differ), then clamped there, as TFLite's quantized ReluX does:
 * clamp(zp_o + mbqm(x - zp_x, s_x / s_o), act_min, act_max). */
static int lower_relu_family(Tim *im, int kind)
{
	int x = runtime_in(im, 0), nchw;
	Attrs a;

	if (x < 0)
		return -1;
	if (ti_is_quant(im, x) != ti_is_quant(im, ti_out(im, 0)))
		return ti_err(im, "input and output must both be quantized or both float");
	int v = any_layout(im, x, &nchw);
	ir_attrs_default(&a);
	a.min = kind == TFL_ACT_RELU6 ? 0.0f : -1.0f;
	a.max = kind == TFL_ACT_RELU6 ? 6.0f : 1.0f;
	if (v < 0 || (v = ti_requant_out(im, v, x)) < 0 ||
	    (v = ti_emit(im, kind == TFL_ACT_RELU ? OP_RELU : OP_CLIP, &v, 1, &a)) < 0)
		return -1;
	return ti_def(im, 0, v, nchw);
}
static int lower_relu(Tim *im)
{
	return lower_relu_family(im, TFL_ACT_RELU);
}
static int lower_relu6(Tim *im)
{
	return lower_relu_family(im, TFL_ACT_RELU6);
}
static int lower_relu_n1(Tim *im)
{
	return lower_relu_family(im, TFL_ACT_RELU_N1_TO_1);
}

/* ---- PAD, MEAN, CONCATENATION ------------------------------------------------------------- */

static int check_pad(Tim *im)
{
	return io(im, 2, 2);
}

static int lower_pad(Tim *im)
{
	int x = runtime_in(im, 0), pt = ti_in(im, 1);
	int64_t n;

	if (x < 0)
		return -1;
	if (!ti_is_const(im, pt))
		return ti_err(im, "the paddings (input 1) must be a constant");
	Shape xs = ti_shape(im, x);
	int64_t *p = ti_const_ints(im, pt, "paddings", &n);
	if (!p)
		return -1;
	if (n != 2 * xs.rank) {
		free(p);
		return ti_err(im, "the paddings have %lld values; the input of rank %d needs %d",
		              (long long)n, xs.rank, 2 * xs.rank);
	}
	int nchw = xs.rank == 4 && ti_has_nchw(im, x);
	Attrs a;
	ir_attrs_default(&a);
	a.npads = 2 * xs.rank;
	for (int k = 0; k < xs.rank; k++) {
		int s = nchw ? nhwc_of[k] : k;
		a.pads[k] = p[2 * s];
		a.pads[xs.rank + k] = p[2 * s + 1];
	}
	free(p);
	for (int k = 0; k < a.npads; k++)
		if (a.pads[k] < 0)
			return ti_err(im, "a padding is negative");
	int v = nchw ? ti_nchw(im, x) : ti_nhwc(im, x);
	if (v < 0 || (v = ti_emit_as(im, OP_PAD, &v, 1, &a, x)) < 0 ||
	    (v = ti_requant_out(im, v, x)) < 0)
		return -1;
	return ti_def(im, 0, v, nchw);
}

static int check_mean(Tim *im)
{
	int64_t keep;

	return io(im, 2, 2) || opt_i(im, 0, 1, 0, &keep);
}

static int lower_mean(Tim *im)
{
	int x = runtime_in(im, 0), at = ti_in(im, 1);
	int64_t n, keep;

	if (x < 0 || opt_i(im, 0, 1, 0, &keep))
		return -1;
	if (!ti_is_const(im, at))
		return ti_err(im, "the axes (input 1) must be a constant");
	if (ti_is_quant(im, x) != ti_is_quant(im, ti_out(im, 0)))
		return ti_err(im, "input and output must both be quantized or both float");
	Shape xs = ti_shape(im, x);
	int64_t *ax = ti_const_ints(im, at, "axes", &n);
	if (!ax)
		return -1;
	int red[IR_MAX_RANK] = {0};
	for (int64_t k = 0; k < n; k++) {
		int64_t a = ax[k] < 0 ? ax[k] + xs.rank : ax[k];
		if (a < 0 || a >= xs.rank) {
			int64_t bad = ax[k];
			free(ax);
			return ti_err(im, "axis %lld is out of range for rank %d", (long long)bad,
			              xs.rank);
		}
		red[a] = 1;
	}
	free(ax);
	/* NCHW when it exists and the result's axes come out in the same order
	 * (kept, or C reduced, or H and W both reduced) */
	int nchw = xs.rank == 4 && ti_has_nchw(im, x) && (keep || red[3] || (red[1] && red[2]));
	Attrs a;
	ir_attrs_default(&a);
	a.keepdims = keep != 0;
	a.naxes = 0;
	for (int k = 0; k < xs.rank; k++)
		if (red[nchw ? nhwc_of[k] : k])
			a.axes[a.naxes++] = k;
	int v = nchw ? ti_nchw(im, x) : ti_nhwc(im, x);
	if (v < 0 || (v = ti_emit(im, OP_REDUCE_MEAN, &v, 1, &a)) < 0)
		return -1;
	return ti_def(im, 0, v, nchw && im->g->vals[v].shape.rank == 4);
}

static int check_concat(Tim *im)
{
	int64_t axis, act;

	if (im->o->nin < 1 || im->o->nin > IR_MAX_IN)
		return ti_err(im, "it has %d inputs; quantc concatenates 1 to %d", im->o->nin,
		              IR_MAX_IN);
	if (im->o->nout != 1)
		return ti_err(im, "it has %d outputs; it has one", im->o->nout);
	return opt_i(im, 0, 4, 0, &axis) || opt_i(im, 1, 1, 0, &act) || ti_check_act(im, (int)act);
}

static int lower_concat(Tim *im)
{
	int64_t axis, act;
	int in[IR_MAX_IN];

	if (opt_i(im, 0, 4, 0, &axis) || opt_i(im, 1, 1, 0, &act))
		return -1;
	int rank = ti_shape(im, ti_out(im, 0)).rank;
	for (int k = 0; k < im->o->nin; k++)
		if (ti_in(im, k) >= 0 && ti_shape(im, ti_in(im, k)).rank != rank)
			return ti_err(im, "the inputs' ranks differ");
	if (axis < 0)
		axis += rank;
	if (axis < 0 || axis >= rank)
		return ti_err(im, "axis %lld is out of range for rank %d", (long long)axis, rank);
	int nchw = rank == 4 && all_nchw(im);
	if (operands(im, in, nchw))
		return -1;
	Attrs a;
	ir_attrs_default(&a);
	a.axis = nchw ? nchw_pos[axis] : axis;
	int v = ti_emit(im, OP_CONCAT, in, im->o->nin, &a);
	if (v < 0 || (v = ti_fused_act(im, v, (int)act)) < 0)
		return -1;
	return ti_def(im, 0, v, nchw);
}

/* ---- QUANTIZE, DEQUANTIZE ------------------------------------------------------------------ */

static int check_convert(Tim *im)
{
	return io(im, 1, 1);
}

static int lower_quantize(Tim *im)
{
	int x = runtime_in(im, 0), out = ti_out(im, 0), nchw;
	float s;
	int32_t zp;

	if (x < 0)
		return -1;
	if (!ti_is_quant(im, out))
		return ti_err(im, "the output must be int8 or uint8 with a scale");
	if (ti_tensor(im, out)->nscale > 1)
		return ti_err(im, "per-channel quantization of a run-time tensor is not supported");
	ti_qparams(im, out, &s, &zp);
	int v = any_layout(im, x, &nchw);
	if (v < 0)
		return -1;
	if (ti_is_quant(im, x)) { /* int8 to int8: a requantization */
		if ((v = ti_requant_out(im, v, x)) < 0)
			return -1;
		if (v == (nchw ? im->t[x].nchw : im->t[x].nhwc)) {
			im->t[out].nhwc = im->t[x].nhwc;
			im->t[out].nchw = im->t[x].nchw;
			return 0;
		}
		return ti_def(im, 0, v, nchw);
	}
	/* float to int8: the float tensor takes the pin, when this is its
	 * only reader; else a copy of it does */
	TTensor *xt = &im->t[x];
	if (xt->readers == 1 && !im->g->vals[v].q.present) {
		if (xt->nhwc >= 0)
			ir_set_qparams(im->g, xt->nhwc, s, zp);
		if (xt->nchw >= 0)
			ir_set_qparams(im->g, xt->nchw, s, zp);
		im->t[out].nhwc = xt->nhwc;
		im->t[out].nchw = xt->nchw;
		return 0;
	}
	Attrs a;
	ir_attrs_default(&a);
	a.axis = 0;
	if ((v = ti_emit(im, OP_CONCAT, &v, 1, &a)) < 0)
		return -1;
	return ti_def(im, 0, v, nchw);
}

static int lower_dequantize(Tim *im)
{
	int x = ti_in(im, 0), out = ti_out(im, 0);

	if (x < 0)
		return ti_err(im, "input 0 is omitted");
	if (ti_tensor(im, out)->type != TFL_FLOAT32)
		return ti_err(im, "the output must be float32");
	if (ti_is_const(im, x)) { /* a float constant, without pin */
		im->t[out].deq = im->t[x].deq ? im->t[x].deq : x + 1;
		return 0;
	}
	if (!ti_is_quant(im, x))
		return ti_err(im, "the input must be int8 or uint8 with a scale");
	/* the same numbers: the value goes on with its pin, and the quantize
	 * pass dequantizes where a float consumer or the float edge needs it */
	im->t[out].nhwc = im->t[x].nhwc;
	im->t[out].nchw = im->t[x].nchw;
	return 0;
}

/* ---- the table ------------------------------------------------------------------------------ */

const TflOpRow ti_ops[] = {
        {TFL_OP_ADD, 11, check_binary, lower_add, "add (act), clip"},
        {TFL_OP_AVERAGE_POOL_2D, 5, check_pool, lower_avgpool, "avgpool2d, relu, clip"},
        {TFL_OP_CONCATENATION, 10, check_concat, lower_concat, "concat, relu, clip"},
        {TFL_OP_CONV_2D, 1, check_conv2d, lower_conv2d, "conv2d (act), clip"},
        {TFL_OP_DEPTHWISE_CONV_2D, 2, check_dwconv, lower_dwconv, "conv2d (groups = C, act), clip"},
        {TFL_OP_DEQUANTIZE, 0, check_convert, lower_dequantize, ""},
        {TFL_OP_FULLY_CONNECTED, 8, check_fc, lower_fc, "dense (act), reshape, clip"},
        {TFL_OP_LOGISTIC, 0, check_unary, lower_logistic, "sigmoid"},
        {TFL_OP_MAX_POOL_2D, 5, check_pool, lower_maxpool, "maxpool2d, relu, clip"},
        {TFL_OP_MUL, 21, check_binary, lower_mul, "mul (act), clip"},
        {TFL_OP_RELU, 0, check_unary, lower_relu, "relu, concat"},
        {TFL_OP_RELU_N1_TO_1, 0, check_unary, lower_relu_n1, "clip, concat"},
        {TFL_OP_RELU6, 0, check_unary, lower_relu6, "clip, concat"},
        {TFL_OP_RESHAPE, 17, check_reshape, lower_reshape, "reshape"},
        {TFL_OP_SOFTMAX, 9, check_softmax, lower_softmax, "softmax"},
        {TFL_OP_TANH, 0, check_unary, lower_tanh, "tanh"},
        {TFL_OP_PAD, 22, check_pad, lower_pad, "pad"},
        {TFL_OP_MEAN, 27, check_mean, lower_mean, "reduce_mean"},
        {TFL_OP_SUB, 28, check_binary, lower_sub, "sub (act), clip"},
        {TFL_OP_SQUEEZE, 30, check_squeeze, lower_squeeze, "reshape"},
        {TFL_OP_LEAKY_RELU, 75, check_leaky, lower_leaky, "leaky_relu"},
        {TFL_OP_QUANTIZE, 0, check_convert, lower_quantize, "concat (int8 to int8), or a pin"},
        {TFL_OP_HARD_SWISH, 0, check_unary, lower_hard_swish, "hard_swish"},
};
const int ti_nops = sizeof ti_ops / sizeof ti_ops[0];

const TflOpRow *ti_find_op(int code)
{
	for (int i = 0; i < ti_nops; i++)
		if (ti_ops[i].code == code)
			return &ti_ops[i];
	return NULL;
}
