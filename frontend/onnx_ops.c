/* frontend/onnx_ops.c — ONNX operators on run-time tensors, mapped to IR
 * nodes, and the op table (at the end) that the importer dispatches from.
 *
 * Adding an operator: write its handler here (read attributes with
 * oi_attr_*, inputs with oi_runtime / oi_in, weights with oi_weight, emit
 * with oi_emit) and add its row to the table; a folder for constant inputs
 * goes in onnx_fold.c.  Some operators fold into the IR node that computes
 * their input instead of adding one (BatchNormalization into Conv, a bias
 * Add into MatMul, Clip [0, 6] into a fused relu6): oi_producer finds that
 * node when nothing else reads its result, oi_retarget renames it. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_import.h"

/* ---- Conv, MaxPool ------------------------------------------------------- */

/* Two values of a 2-D window attribute (strides, dilations), default 1. */
static int pair(Imp *im, const char *name, int64_t *out)
{
	int64_t v[IR_MAX_RANK];
	int n;
	out[0] = out[1] = 1;
	if (oi_attr_ints(im, name, v, IR_MAX_RANK, &n) < 0)
		return -1;
	if (n >= 0 && n != 2)
		return oi_err(im, "attribute '%s' has %d values; 2-D windows take 2", name, n);
	for (int i = 0; n == 2 && i < 2; i++) {
		if (v[i] < 1 || v[i] > 1 << 16)
			return oi_err(im, "attribute '%s' holds %lld", name, (long long)v[i]);
		out[i] = v[i];
	}
	return 0;
}

/* Stride, dilation and padding of a 2-D window of size k over input x:
 * auto_pad NOTSET takes the pads attribute ([top, left, bottom, right] in
 * ONNX as in the IR), VALID none, SAME_UPPER / SAME_LOWER as much as keeps
 * ceil(in / stride) outputs (the odd one at the end / the beginning). */
static int window(Imp *im, const Shape *x, const int64_t *k, Attrs *a)
{
	char mode[32] = "NOTSET";
	int64_t pads[IR_MAX_RANK];
	int n;

	if (pair(im, "strides", a->stride) || pair(im, "dilations", a->dilation) ||
	    oi_attr_str(im, "auto_pad", mode, sizeof mode) < 0 ||
	    oi_attr_ints(im, "pads", pads, IR_MAX_RANK, &n) < 0)
		return -1;
	if (strcmp(mode, "NOTSET") == 0) {
		if (n >= 0 && n != 4)
			return oi_err(im, "attribute 'pads' has %d values; 2-D windows take 4", n);
		for (int i = 0; n == 4 && i < 4; i++) {
			if (pads[i] < 0 || pads[i] > 1 << 16)
				return oi_err(im, "attribute 'pads' holds %lld",
				              (long long)pads[i]);
			a->pad[i] = pads[i];
		}
		return 0;
	}
	if (strcmp(mode, "VALID") == 0)
		return 0;
	int upper = strcmp(mode, "SAME_UPPER") == 0;
	if (!upper && strcmp(mode, "SAME_LOWER") != 0)
		return oi_err(im, "auto_pad '%s' is not NOTSET, VALID, SAME_UPPER or SAME_LOWER",
		              mode);
	for (int i = 0; i < 2; i++) {
		int64_t in = x->d[2 + i], s = a->stride[i], out = (in + s - 1) / s;
		int64_t total = (out - 1) * s + (k[i] - 1) * a->dilation[i] + 1 - in;
		total = total > 0 ? total : 0;
		a->pad[i] = upper ? total / 2 : total - total / 2;
		a->pad[i + 2] = total - a->pad[i];
	}
	return 0;
}

/* A 1-D window (Conv1d, ConvTranspose1d) as the second axis of a 2-D one:
 * strides, dilations and pads ([b, e] -> [0, b, 0, e]) of 1 value each;
 * auto_pad SAME_* pads an input of length in for a window of k taps. */
static int window1d(Imp *im, int64_t in, int64_t k, Attrs *a)
{
	char mode[32] = "NOTSET";
	int64_t v[IR_MAX_RANK], pads[IR_MAX_RANK];
	int ns, nd, np;

	if (oi_attr_ints(im, "strides", v, 1, &ns) < 0)
		return -1;
	if (ns == 1 && (v[0] < 1 || v[0] > 1 << 16))
		return oi_err(im, "attribute 'strides' holds %lld", (long long)v[0]);
	a->stride[1] = ns == 1 ? v[0] : 1;
	if (oi_attr_ints(im, "dilations", v, 1, &nd) < 0)
		return -1;
	if (nd == 1 && (v[0] < 1 || v[0] > 1 << 16))
		return oi_err(im, "attribute 'dilations' holds %lld", (long long)v[0]);
	a->dilation[1] = nd == 1 ? v[0] : 1;
	if (oi_attr_ints(im, "pads", pads, 2, &np) < 0 ||
	    oi_attr_str(im, "auto_pad", mode, sizeof mode) < 0)
		return -1;
	if (strcmp(mode, "NOTSET") == 0) {
		if (np >= 0 && (np != 2 || pads[0] < 0 || pads[1] < 0 || pads[0] > 1 << 16 ||
		                pads[1] > 1 << 16))
			return oi_err(im, "a 1-D window needs pads of 2 values, not negative");
		a->pad[1] = np == 2 ? pads[0] : 0;
		a->pad[3] = np == 2 ? pads[1] : 0;
	} else if (strcmp(mode, "SAME_UPPER") == 0 || strcmp(mode, "SAME_LOWER") == 0) {
		int64_t s = a->stride[1], out = (in + s - 1) / s;
		int64_t total = (out - 1) * s + (k - 1) * a->dilation[1] + 1 - in;
		total = total > 0 ? total : 0;
		a->pad[1] = mode[5] == 'U' ? total / 2 : total - total / 2;
		a->pad[3] = total - a->pad[1];
	} else if (strcmp(mode, "VALID") != 0)
		return oi_err(im, "auto_pad '%s' is not NOTSET, VALID, SAME_UPPER or SAME_LOWER",
		              mode);
	return 0;
}

/* A constant [A, B, K] weight as the IR value [A, B, 1, K] (same bytes; a
 * QDQ pin along axis 0 or 1 stays where it is). */
static int weight1d(Imp *im, OTensor *w)
{
	OTensor w4 = *w;

	w4.v = -1;
	w4.shape = (Shape){4, {w->shape.d[0], w->shape.d[1], 1, w->shape.d[2]}};
	return oi_weight(im, &w4, "weight");
}

/* 1-D Conv (input [N, C, L], weight [OC, C/G, K]): the conv2d of
 * [N, C, 1, L] with a [1, K] window, between two reshapes, as 1-D pooling. */
static int lower_conv1d(Imp *im, int x, const Shape *xs, OTensor *w, OTensor *b)
{
	int64_t ks[IR_MAX_RANK], group = 1;
	int in[3], nin = 2, nk;
	Attrs a, r;

	ir_attrs_default(&a);
	ir_attrs_default(&r);
	if (oi_attr_ints(im, "kernel_shape", ks, IR_MAX_RANK, &nk) < 0 ||
	    oi_attr_int(im, "group", &group) < 0)
		return -1;
	if (nk >= 0 && (nk != 1 || ks[0] != w->shape.d[2]))
		return oi_err(im, "kernel_shape disagrees with the weight '%s'", w->name);
	if (window1d(im, xs->d[2], w->shape.d[2], &a))
		return -1;
	a.groups = group;
	r.nshape = 4;
	memcpy(r.shape, (int64_t[4]){xs->d[0], xs->d[1], 1, xs->d[2]}, 4 * sizeof *r.shape);
	in[0] = x;
	if ((in[1] = weight1d(im, w)) < 0 || (b && (in[nin++] = oi_weight(im, b, "bias")) < 0))
		return -1;
	if ((in[0] = oi_emit_tmp(im, OP_RESHAPE, in, 1, &r)) < 0 ||
	    (in[0] = oi_emit_tmp(im, OP_CONV2D, in, nin, &a)) < 0)
		return -1;
	const Shape *ys = &im->g->vals[in[0]].shape;
	r.nshape = 3;
	memcpy(r.shape, (int64_t[3]){ys->d[0], ys->d[1], ys->d[3]}, 3 * sizeof *r.shape);
	return oi_emit(im, OP_RESHAPE, in, 1, &r) < 0 ? -1 : 0;
}

static int lower_conv(Imp *im)
{
	OTensor *x, *w = oi_in(im, 1), *b = oi_in(im, 2);
	int64_t ks[IR_MAX_RANK], group = 1;
	int in[3], nin = 2, nk;
	Attrs a;

	ir_attrs_default(&a);
	if ((in[0] = oi_runtime(im, 0, &x)) < 0)
		return -1;
	if (!w)
		return oi_err(im, "the weight (input 1) is missing");
	if (!w->isconst)
		return oi_weight(im, w, "weight");
	const Shape xsv = *oi_shape(im, x), *xs = &xsv;
	if (xs->rank == 5)
		return oi_err(im, "3-D convolution (rank-5 input) is not supported");
	if (xs->rank == 3 && w->shape.rank == 3)
		return lower_conv1d(im, in[0], xs, w, b);
	if (w->shape.rank != 4 || xs->rank != 4)
		return oi_err(im,
		              "only 1-D and 2-D convolutions are supported (input of rank %d, "
		              "weight of rank %d; 3 and 3, or 4 and 4 expected)",
		              xs->rank, w->shape.rank);
	if (oi_attr_ints(im, "kernel_shape", ks, IR_MAX_RANK, &nk) < 0 ||
	    oi_attr_int(im, "group", &group) < 0)
		return -1;
	if (nk >= 0 && (nk != 2 || ks[0] != w->shape.d[2] || ks[1] != w->shape.d[3]))
		return oi_err(im, "kernel_shape disagrees with the weight '%s'", w->name);
	if (window(im, xs, w->shape.d + 2, &a))
		return -1;
	a.groups = group;
	if ((in[1] = oi_weight(im, w, "weight")) < 0)
		return -1;
	if (b && (in[nin++] = oi_weight(im, b, "bias")) < 0)
		return -1;
	return oi_emit(im, OP_CONV2D, in, nin, &a) < 0 ? -1 : 0;
}

/* ConvTranspose, 1-D and 2-D, as conv2d over the input with s - 1 zeros
 * between its elements (along each axis of stride s) and the weight flipped:
 * out[oy] = sum_ky x[iy] * w[ky] over oy = iy * s - pb + ky * d is the
 * stride-1 convolution, at dilation d, of that stretched input padded by
 * d * (k - 1) - pb at the start with the window reversed.  The same taps
 * meet the same weights, so every precision sums exactly what a direct
 * transposed convolution would (the inserted zeros are the input's zero
 * point: they add nothing).  The zeros come from a pad of the input viewed
 * as [N, C, H, 1, W, 1]: `a` before each element and s - 1 - a after it,
 * `a` chosen so that the convolution's own padding is not negative where it
 * can be; pads beyond d * (k - 1) (and output_padding or output_shape that
 * end before the last tap) crop: a slice of the convolution's result. */
typedef struct {
	int64_t in, k, s, d, op, pb, pe, out; /* per spatial axis */
} TAxis;

/* The padding of one axis: from pads, or from output_shape / auto_pad
 * (ONNX: total = s * (in - 1) + op + (k - 1) * d + 1 - out, SAME_UPPER puts
 * floor(total / 2) first, the others put it last). */
static int tconv_pads(Imp *im, TAxis *t, const char *mode, int64_t out_shape)
{
	if (out_shape < 0 && strcmp(mode, "SAME_UPPER") && strcmp(mode, "SAME_LOWER"))
		return 0; /* pads as given (VALID: none) */
	int64_t want = out_shape >= 0 ? out_shape : t->in * t->s;
	int64_t total = t->s * (t->in - 1) + t->op + (t->k - 1) * t->d + 1 - want;
	/* floor(total / 2), as ONNX's reference; a negative total (an
	 * output_shape beyond the last tap) pads with outputs no tap reaches */
	int64_t half = total >= 0 ? total / 2 : -((1 - total) / 2);
	if (want < 1 || want > 1 << 24)
		return oi_err(im, "output_shape holds %lld", (long long)want);
	t->pb = strcmp(mode, "SAME_UPPER") == 0 ? half : total - half;
	t->pe = total - t->pb;
	return 0;
}

/* Reads the attributes of a ConvTranspose with r (1 or 2) spatial axes into
 * ax[2 - r ..] (a 1-D one leaves ax[0] a window of 1). */
static int tconv_attrs(Imp *im, int r, const Shape *xs, const Shape *ws, TAxis *ax, int64_t *group)
{
	char mode[32] = "NOTSET";
	static const char *names[4] = {"strides", "dilations", "output_padding", "output_shape"};
	int64_t v[4][IR_MAX_RANK], pads[2 * IR_MAX_RANK], ks[IR_MAX_RANK];
	int n[4], np, nk;

	if (oi_attr_str(im, "auto_pad", mode, sizeof mode) < 0 ||
	    oi_attr_ints(im, "pads", pads, 2 * IR_MAX_RANK, &np) < 0 ||
	    oi_attr_ints(im, "kernel_shape", ks, IR_MAX_RANK, &nk) < 0 ||
	    oi_attr_int(im, "group", group) < 0)
		return -1;
	if (strcmp(mode, "NOTSET") && strcmp(mode, "VALID") && strcmp(mode, "SAME_UPPER") &&
	    strcmp(mode, "SAME_LOWER"))
		return oi_err(im, "auto_pad '%s' is not NOTSET, VALID, SAME_UPPER or SAME_LOWER",
		              mode);
	if (np >= 0 && np != 2 * r)
		return oi_err(im, "attribute 'pads' has %d values; %d expected", np, 2 * r);
	for (int i = 0; i < 4; i++) {
		if (oi_attr_ints(im, names[i], v[i], IR_MAX_RANK, &n[i]) < 0)
			return -1;
		if (i == 3 && n[i] == r + 2) /* the whole [N, OC, ...] shape */
			memmove(v[i], v[i] + 2, (size_t)r * sizeof **v);
		else if (n[i] >= 0 && n[i] != r)
			return oi_err(im, "attribute '%s' has %d values; %d expected", names[i],
			              n[i], r);
	}
	for (int i = 0; i < 2; i++)
		ax[i] = (TAxis){1, 1, 1, 1, 0, 0, 0, 1}; /* a window of 1: out 1 */
	for (int i = 0; i < r; i++) {
		TAxis *t = &ax[2 - r + i];
		t->in = xs->d[2 + i];
		t->k = ws->d[4 - r + i];
		t->s = n[0] >= 0 ? v[0][i] : 1;
		t->d = n[1] >= 0 ? v[1][i] : 1;
		t->op = n[2] >= 0 ? v[2][i] : 0;
		t->pb = np >= 0 ? pads[i] : 0;
		t->pe = np >= 0 ? pads[r + i] : 0;
		if (nk >= 0 && (nk != r || ks[i] != t->k))
			return oi_err(im, "kernel_shape disagrees with the weight");
		if (t->s < 1 || t->s > 1 << 16 || t->d < 1 || t->d > 1 << 16)
			return oi_err(im, "strides and dilations must be 1 to 65536");
		if (t->op < 0 || (t->op >= t->s && t->op >= t->d))
			return oi_err(
			        im, "output_padding %lld must be below the stride or the dilation",
			        (long long)t->op);
		if (t->pb < 0 || t->pe < 0 || t->pb > 1 << 16 || t->pe > 1 << 16)
			return oi_err(im, "attribute 'pads' holds a negative or huge value");
		if (tconv_pads(im, t, mode, n[3] >= 0 ? v[3][i] : -1))
			return -1;
		t->out = (t->in - 1) * t->s + t->op + (t->k - 1) * t->d + 1 - t->pb - t->pe;
		if (t->out < 1)
			return oi_err(im, "the padding leaves no output");
	}
	return 0;
}

/* The conv2d weight [OC, C/G, KH, KW] of ONNX's [C, OC/G, KH, KW] (k1 = 1,
 * rank 3, for 1-D): channels regrouped, the window reversed. */
static int tconv_weight(Imp *im, OTensor *w, int64_t G, int64_t kh, int64_t kw)
{
	int64_t C = w->shape.d[0], OCg = w->shape.d[1], Cg = C / G, OC = OCg * G;
	const float *src = w->data;
	float *t = ir_xmalloc((size_t)(OC * Cg * kh * kw) * sizeof *t);
	Shape s = {4, {OC, Cg, kh, kw}};

	for (int64_t g = 0; g < G; g++)
		for (int64_t o = 0; o < OCg; o++)
			for (int64_t ic = 0; ic < Cg; ic++)
				for (int64_t y = 0; y < kh; y++)
					for (int64_t x = 0; x < kw; x++)
						t[(((g * OCg + o) * Cg + ic) * kh + y) * kw + x] =
						        src[(((g * Cg + ic) * OCg + o) * kh + kh - 1 -
						             y) * kw +
						            kw - 1 - x];
	int v = oi_new_const(im, w->name, &s, t);
	free(t);
	if (v >= 0 && w->pin_n == 1) /* QDQ per-tensor parameters stay valid */
		oi_qdq_pin_value(im, w, v);
	return v;
}

static int lower_conv_transpose(Imp *im)
{
	OTensor *x, *w = oi_in(im, 1), *b = oi_in(im, 2);
	int64_t group = 1;
	int in[3], nin = 2;
	TAxis ax[2];
	Attrs a, r;

	ir_attrs_default(&a);
	ir_attrs_default(&r);
	if ((in[0] = oi_runtime(im, 0, &x)) < 0)
		return -1;
	if (!w)
		return oi_err(im, "the weight (input 1) is missing");
	if (!w->isconst)
		return oi_weight(im, w, "weight");
	/* a copy: emitting nodes below grows the value array oi_shape points into */
	const Shape xshape = *oi_shape(im, x), *xs = &xshape;
	if (xs->rank == 5)
		return oi_err(im, "3-D transposed convolution (rank-5 input) is not supported");
	if ((xs->rank != 3 && xs->rank != 4) || w->shape.rank != xs->rank)
		return oi_err(im,
		              "only 1-D and 2-D transposed convolutions are supported (input of "
		              "rank %d, weight of rank %d)",
		              xs->rank, w->shape.rank);
	if (w->dt != DT_F32 || !oi_numel(w))
		return oi_weight(im, w, "weight");
	int rk = xs->rank - 2;
	Shape ws = w->shape;
	if (rk == 1)
		ws = (Shape){4, {w->shape.d[0], w->shape.d[1], 1, w->shape.d[2]}};
	if (tconv_attrs(im, rk, xs, &ws, ax, &group))
		return -1;
	if (group < 1 || ws.d[0] % group || xs->d[1] != ws.d[0])
		return oi_err(
		        im,
		        "the input's %lld channels do not match the weight [%lld, ...] in %lld groups",
		        (long long)xs->d[1], (long long)ws.d[0], (long long)group);
	if (w->pin_n > 1)
		return oi_err(im, "a per-channel quantized ConvTranspose weight is not supported");
	if (b && b->isconst && oi_numel(b) != ws.d[1] * group)
		return oi_err(im, "the bias must have %lld values", (long long)(ws.d[1] * group));
	/* the view [N, C, H, 1, W, 1], padded to [N, C, H, sh, W, sw] */
	int64_t H = ax[0].in, W = ax[1].in;
	r.nshape = 4;
	memcpy(r.shape, (int64_t[4]){xs->d[0], xs->d[1], H, W}, sizeof(int64_t[4]));
	if (rk == 1 && (in[0] = oi_emit_tmp(im, OP_RESHAPE, in, 1, &r)) < 0)
		return -1;
	int64_t lead[2], crop[2];
	int cropped = 0;
	for (int i = 0; i < 2; i++) {
		TAxis *t = &ax[i];
		int64_t reach = (t->k - 1) * t->d;
		lead[i] = reach - t->pb < t->s - 1 ? reach - t->pb : t->s - 1;
		lead[i] = lead[i] > 0 ? lead[i] : 0;
		a.pad[i] = reach - t->pb - lead[i];
		a.pad[i + 2] = reach - t->pe + t->op - (t->s - 1 - lead[i]);
		/* pads beyond the window: the convolution pads nothing there and a
		 * slice crops its result to the outputs that remain */
		crop[i] = a.pad[i] < 0 ? -a.pad[i] : 0;
		cropped |= a.pad[i] < 0 || a.pad[i + 2] < 0;
		a.pad[i] += crop[i];
		a.pad[i + 2] = a.pad[i + 2] > 0 ? a.pad[i + 2] : 0;
		a.dilation[i] = t->d;
	}
	if (ax[0].s > 1 || ax[1].s > 1) {
		Attrs p;
		ir_attrs_default(&p);
		r.nshape = 6;
		memcpy(r.shape, (int64_t[6]){xs->d[0], xs->d[1], H, 1, W, 1}, sizeof(int64_t[6]));
		p.npads = 12;
		p.pads[3] = lead[0];
		p.pads[5] = lead[1];
		p.pads[9] = ax[0].s - 1 - lead[0];
		p.pads[11] = ax[1].s - 1 - lead[1];
		if ((in[0] = oi_emit_tmp(im, OP_RESHAPE, in, 1, &r)) < 0 ||
		    (in[0] = oi_emit_tmp(im, OP_PAD, in, 1, &p)) < 0)
			return -1;
		r.nshape = 4;
		memcpy(r.shape, (int64_t[4]){xs->d[0], xs->d[1], H * ax[0].s, W * ax[1].s},
		       sizeof(int64_t[4]));
		if ((in[0] = oi_emit_tmp(im, OP_RESHAPE, in, 1, &r)) < 0)
			return -1;
	}
	a.groups = group;
	if ((in[1] = tconv_weight(im, w, group, ws.d[2], ws.d[3])) < 0 ||
	    (b && (in[nin++] = oi_weight(im, b, "bias")) < 0))
		return -1;
	if (rk == 2 && !cropped)
		return oi_emit(im, OP_CONV2D, in, nin, &a) < 0 ? -1 : 0;
	if ((in[0] = oi_emit_tmp(im, OP_CONV2D, in, nin, &a)) < 0)
		return -1;
	if (cropped) {
		Attrs c;
		ir_attrs_default(&c);
		c.nstarts = c.nends = c.naxes = 2;
		for (int i = 0; i < 2; i++) {
			c.axes[i] = 2 + i;
			c.starts[i] = crop[i];
			c.ends[i] = crop[i] + ax[i].out;
		}
		if (rk == 2)
			return oi_emit(im, OP_SLICE, in, 1, &c) < 0 ? -1 : 0;
		if ((in[0] = oi_emit_tmp(im, OP_SLICE, in, 1, &c)) < 0)
			return -1;
	}
	r.nshape = 3;
	memcpy(r.shape, (int64_t[3]){xs->d[0], ws.d[1] * group, ax[1].out}, sizeof(int64_t[3]));
	return oi_emit(im, OP_RESHAPE, in, 1, &r) < 0 ? -1 : 0;
}

/* ceil_mode: one more output where a last window starts inside the input
 * (or its leading padding) but runs past the end; extra end padding gives it,
 * as padding never wins a max.  k is the window's span, (kernel - 1) *
 * dilation + 1. */
static int ceil_pads(Imp *im, const Shape *x, Attrs *a)
{
	for (int i = 0; i < 2; i++) {
		int64_t in = x->d[2 + i], k = (a->kernel[i] - 1) * a->dilation[i] + 1,
		        s = a->stride[i];
		int64_t span = in + a->pad[i] + a->pad[i + 2];
		if (span < k)
			continue;
		int64_t out = (span - k + s - 1) / s + 1;
		if ((out - 1) * s >= in + a->pad[i])
			out--;
		int64_t need = (out - 1) * s + k - span;
		if (need > 0)
			a->pad[i + 2] += need;
		if (a->pad[i + 2] >= k)
			return oi_err(im, "ceil_mode needs more padding than the window is wide");
	}
	return 0;
}

/* 1-D pooling (input [N, C, L]): the 2-D pool of [N, C, 1, L] with window
 * [1, k], between two reshapes.  The 1-D attributes become the second axis
 * of the 2-D ones (pads [b, e] -> [0, b, 0, e]). */
static int pool1d_attrs(Imp *im, const Shape *x4, Attrs *a)
{
	char mode[32] = "NOTSET";
	int64_t v[IR_MAX_RANK], pads[IR_MAX_RANK];
	int nk, ns, nd, np;

	if (oi_attr_ints(im, "kernel_shape", v, 1, &nk) < 0)
		return -1;
	if (nk != 1 || v[0] < 1 || v[0] > 1 << 16)
		return oi_err(im, "1-D pooling needs a kernel_shape of 1 value");
	a->kernel[1] = v[0];
	if (oi_attr_ints(im, "strides", v, 1, &ns) < 0)
		return -1;
	if (ns == 1 && (v[0] < 1 || v[0] > 1 << 16))
		return oi_err(im, "attribute 'strides' holds %lld", (long long)v[0]);
	a->stride[1] = ns == 1 ? v[0] : 1;
	if (oi_attr_ints(im, "dilations", v, 1, &nd) < 0)
		return -1;
	if (nd == 1 && (v[0] < 1 || v[0] > 1 << 16))
		return oi_err(im, "attribute 'dilations' holds %lld", (long long)v[0]);
	a->dilation[1] = nd == 1 ? v[0] : 1;
	if (oi_attr_ints(im, "pads", pads, 2, &np) < 0 ||
	    oi_attr_str(im, "auto_pad", mode, sizeof mode) < 0)
		return -1;
	if (strcmp(mode, "NOTSET") == 0) {
		if (np >= 0 && (np != 2 || pads[0] < 0 || pads[1] < 0 || pads[0] > 1 << 16 ||
		                pads[1] > 1 << 16))
			return oi_err(im, "1-D pooling needs pads of 2 values, not negative");
		a->pad[1] = np == 2 ? pads[0] : 0;
		a->pad[3] = np == 2 ? pads[1] : 0;
	} else if (strcmp(mode, "SAME_UPPER") == 0 || strcmp(mode, "SAME_LOWER") == 0) {
		int64_t in = x4->d[3], s = a->stride[1], out = (in + s - 1) / s;
		int64_t total = (out - 1) * s + (a->kernel[1] - 1) * a->dilation[1] + 1 - in;
		total = total > 0 ? total : 0;
		a->pad[1] = mode[5] == 'U' ? total / 2 : total - total / 2;
		a->pad[3] = total - a->pad[1];
	} else if (strcmp(mode, "VALID") != 0)
		return oi_err(im, "auto_pad '%s' is not NOTSET, VALID, SAME_UPPER or SAME_LOWER",
		              mode);
	return 0;
}

static int lower_pool1d(Imp *im, Op op)
{
	OTensor *x;
	int64_t ceil_mode = 0, cip = 0;
	int in[1];
	Attrs a, r;

	ir_attrs_default(&a);
	ir_attrs_default(&r);
	if ((in[0] = oi_runtime(im, 0, &x)) < 0 || oi_attr_int(im, "ceil_mode", &ceil_mode) < 0 ||
	    oi_attr_int(im, "count_include_pad", &cip) < 0)
		return -1;
	const Shape xsv = *oi_shape(im, x), *xs = &xsv;
	Shape x4 = {4, {xs->d[0], xs->d[1], 1, xs->d[2]}};
	if (pool1d_attrs(im, &x4, &a))
		return -1;
	if (op == OP_AVGPOOL2D && a.dilation[1] != 1)
		return oi_err(im, "dilated average pooling is not supported");
	if (op == OP_AVGPOOL2D && ceil_mode && cip)
		return oi_err(im, "ceil_mode with count_include_pad is not supported");
	a.count_pad = op == OP_AVGPOOL2D && cip;
	if (ceil_mode && ceil_pads(im, &x4, &a))
		return -1;
	r.nshape = 4;
	memcpy(r.shape, x4.d, 4 * sizeof *r.shape);
	if ((in[0] = oi_emit_tmp(im, OP_RESHAPE, in, 1, &r)) < 0 ||
	    (in[0] = oi_emit_tmp(im, op, in, 1, &a)) < 0)
		return -1;
	r.nshape = 3;
	r.shape[2] = im->g->vals[in[0]].shape.d[3];
	return oi_emit(im, OP_RESHAPE, in, 1, &r) < 0 ? -1 : 0;
}

static int lower_maxpool(Imp *im)
{
	OTensor *x;
	int64_t ceil_mode = 0;
	int in[1], nk;
	Attrs a;

	ir_attrs_default(&a);
	if ((in[0] = oi_runtime(im, 0, &x)) < 0)
		return -1;
	const Shape xsv = *oi_shape(im, x), *xs = &xsv;
	if (xs->rank == 3)
		return lower_pool1d(im, OP_MAXPOOL2D);
	if (xs->rank != 4)
		return oi_err(im, "only 1-D and 2-D pooling are supported (the input has rank %d)",
		              xs->rank);
	if (oi_attr_ints(im, "kernel_shape", a.kernel, 2, &nk) < 0 ||
	    oi_attr_int(im, "ceil_mode", &ceil_mode) < 0)
		return -1;
	if (nk != 2)
		return oi_err(im, "kernel_shape must give 2 values");
	if (a.kernel[0] < 1 || a.kernel[1] < 1 || a.kernel[0] > 1 << 16 || a.kernel[1] > 1 << 16)
		return oi_err(im, "bad kernel_shape");
	if (window(im, xs, a.kernel, &a))
		return -1;
	if (ceil_mode && ceil_pads(im, xs, &a))
		return -1;
	return oi_emit(im, OP_MAXPOOL2D, in, 1, &a) < 0 ? -1 : 0;
}

/* AveragePool: count_include_pad maps to count_pad; ceil_mode's extra end
 * padding only works where padding is not counted. */
static int lower_avgpool(Imp *im)
{
	OTensor *x;
	int64_t ceil_mode = 0, cip = 0;
	int in[1], nk;
	Attrs a;

	ir_attrs_default(&a);
	if ((in[0] = oi_runtime(im, 0, &x)) < 0)
		return -1;
	const Shape xsv = *oi_shape(im, x), *xs = &xsv;
	if (xs->rank == 3)
		return lower_pool1d(im, OP_AVGPOOL2D);
	if (xs->rank != 4)
		return oi_err(im, "only 1-D and 2-D pooling are supported (the input has rank %d)",
		              xs->rank);
	if (oi_attr_ints(im, "kernel_shape", a.kernel, 2, &nk) < 0 ||
	    oi_attr_int(im, "ceil_mode", &ceil_mode) < 0 ||
	    oi_attr_int(im, "count_include_pad", &cip) < 0)
		return -1;
	if (nk != 2)
		return oi_err(im, "kernel_shape must give 2 values");
	if (a.kernel[0] < 1 || a.kernel[1] < 1 || a.kernel[0] > 1 << 16 || a.kernel[1] > 1 << 16)
		return oi_err(im, "bad kernel_shape");
	if (window(im, xs, a.kernel, &a))
		return -1;
	if (a.dilation[0] != 1 || a.dilation[1] != 1)
		return oi_err(im, "dilated pooling is not supported");
	a.count_pad = cip != 0;
	if (ceil_mode && cip)
		return oi_err(im, "ceil_mode with count_include_pad is not supported");
	if (ceil_mode && ceil_pads(im, xs, &a))
		return -1;
	return oi_emit(im, OP_AVGPOOL2D, in, 1, &a) < 0 ? -1 : 0;
}

static int lower_global_avgpool(Imp *im)
{
	OTensor *x;
	int in[1];

	if ((in[0] = oi_runtime(im, 0, &x)) < 0)
		return -1;
	if (oi_shape(im, x)->rank != 4)
		return oi_err(im, "only 2-D pooling is supported (the input has rank %d)",
		              oi_shape(im, x)->rank);
	return oi_emit(im, OP_GLOBAL_AVGPOOL, in, 1, NULL) < 0 ? -1 : 0;
}

/* The channel axis of x, the result of reshape r of weighted node w's
 * result, when the reshape keeps the channels whole: conv2d's [N, C, ...]
 * as [N, C, ...] (Conv1d's import), dense's [M, O] as [..., O] (MatMul
 * of rank > 2); else -1. */
static int reshaped_channels(const Graph *g, const Node *w, const Node *r)
{
	const Shape *ws = &g->vals[w->out].shape, *xs = &g->vals[r->out].shape;

	if (w->op == OP_CONV2D && xs->rank >= 2 && xs->d[0] == ws->d[0] && xs->d[1] == ws->d[1])
		return 1;
	if (w->op == OP_DENSE && xs->rank >= 2 && xs->d[xs->rank - 1] == ws->d[1])
		return xs->rank - 1;
	return -1;
}

/* The IR nodes reading value v. */
static int readers(const Graph *g, int v)
{
	int k = 0;

	for (int i = 0; i < g->nnode; i++)
		for (int j = 0; j < g->nodes[i].nin; j++)
			k += g->nodes[i].op != OP_NONE && g->nodes[i].in[j] == v;
	return k;
}

/* The conv2d or dense node computing x that the current node can fold
 * into (x read by nothing else, no activation fused yet); else -1, and why
 * not in why (n bytes).  x may also be a reshape of its result that keeps
 * the channels whole (the reshapes around a Conv1d or a MatMul of rank >
 * 2): *top is then the reshape, else the node itself, whose result the
 * current node's output becomes (oi_retarget); *axis x's channel axis. */
static int foldable(Imp *im, const OTensor *x, char *why, size_t n, int *top, int *axis)
{
	const Graph *g = im->g;
	int p = x->isconst ? -1 : g->vals[x->v].def, q = p;

	*top = p;
	*axis = 1;
	if (p >= 0 && g->nodes[p].op == OP_RESHAPE && g->vals[g->nodes[p].in[0]].def >= 0) {
		const Node *r = &g->nodes[p];
		int t = r->in[0], w = g->vals[t].def;
		if ((g->nodes[w].op == OP_CONV2D || g->nodes[w].op == OP_DENSE) &&
		    !g->vals[t].is_output && readers(g, t) == 1 &&
		    (*axis = reshaped_channels(g, &g->nodes[w], r)) >= 0)
			q = w;
		else
			*axis = 1;
	}
	if (x->isconst)
		snprintf(why, n, "'%s' is a constant", x->name);
	else if (p < 0)
		snprintf(why, n, "'%s' is a graph input", x->name);
	else if (g->nodes[q].op != OP_CONV2D && g->nodes[q].op != OP_DENSE)
		snprintf(why, n, "'%s' is computed by a %s", x->name, ir_ops[g->nodes[p].op].name);
	else if (oi_producer(im, x) < 0)
		snprintf(why, n, "other nodes read '%s' too", x->name);
	else if (g->nodes[q].a.act != ACT_NONE)
		snprintf(why, n, "'%s' already has a %s fused", x->name,
		         ir_act_name(g->nodes[q].a.act));
	else
		return q;
	return -1;
}

/* ---- Gemm, MatMul, and a bias Add ----------------------------------------- */

/* c as a bias of n elements: a scalar or one value per output, along the
 * last axis with every other dimension 1 ([n], [1, n]), or along axis
 * `axis` of a rank-`rank` result ([1, C, 1, 1] for a convolution).  NULL
 * (not diagnosed) if it is neither; malloc'd floats otherwise. */
static float *bias_values(const OTensor *c, int64_t n, int rank, int axis)
{
	int64_t total = oi_numel(c);
	int where = -1;

	if (c->dt != DT_F32 || (total != 1 && total != n) || c->shape.rank > rank)
		return NULL;
	for (int i = 0; i < c->shape.rank; i++)
		if (c->shape.d[i] != 1)
			where = i + rank - c->shape.rank;
	if (total == n && n > 1 && where != axis)
		return NULL;
	float *b = ir_xmalloc((size_t)n * sizeof *b);
	for (int64_t i = 0; i < n; i++)
		b[i] = ((const float *)c->data)[total == 1 ? 0 : i];
	return b;
}

/* Gemm whose C is no per-output bias (an [M, N] matrix, say): dense without
 * bias, then an add of beta * C (broadcast as ONNX's unidirectional rule,
 * which NumPy's includes; the add's shape check rejects the rest). */
static int gemm_matrix_bias(Imp *im, int *in, const OTensor *c, float beta)
{
	int64_t n = oi_numel(c);
	float *cb = ir_xmalloc((size_t)(n ? n : 1) * sizeof *cb);

	for (int64_t i = 0; i < n; i++)
		cb[i] = beta * ((const float *)c->data)[i];
	int cv = n ? oi_new_const(im, c->name, &c->shape, cb) : -1;
	free(cb);
	if (cv < 0)
		return n ? -1 : oi_err(im, "C ('%s') is empty", c->name);
	if ((in[0] = oi_emit_tmp(im, OP_DENSE, in, 2, NULL)) < 0)
		return -1;
	in[1] = cv;
	return oi_emit(im, OP_ADD, in, 2, NULL) < 0 ? -1 : 0;
}

static int emit_matmul(Imp *im, int a, const Shape *as, int b, const Shape *bs, int last);

/* Gemm with a run-time B: alpha * A' B' + beta * C as matmul (A' and B' the
 * transposes where transA / transB say), then a mul by alpha unless it is 1,
 * then an add of beta * C (a constant; a run-time C when beta is 1). */
static int gemm_runtime(Imp *im, int a, int64_t ta, int64_t tb, float alpha, float beta)
{
	OTensor *bt = oi_in(im, 1), *c = oi_in(im, 2);
	int in[2] = {a, bt->v};
	Attrs t;

	ir_attrs_default(&t);
	if (oi_shape(im, bt)->rank != 2 || im->g->vals[a].shape.rank != 2)
		return oi_err(im, "A and B must be matrices; they have rank %d and %d",
		              im->g->vals[a].shape.rank, oi_shape(im, bt)->rank);
	if (c && beta == 0)
		c = NULL;
	if (c && !c->isconst && beta != 1)
		return oi_err(im, "a run-time C with beta = %g is not supported", (double)beta);
	if (ta && (in[0] = oi_emit_tmp(im, OP_TRANSPOSE, in, 1, &t)) < 0)
		return -1;
	if (tb && (in[1] = oi_emit_tmp(im, OP_TRANSPOSE, in + 1, 1, &t)) < 0)
		return -1;
	int more = alpha != 1 || c;
	const Shape as = im->g->vals[in[0]].shape, bs = im->g->vals[in[1]].shape;
	if ((in[0] = emit_matmul(im, in[0], &as, in[1], &bs, !more)) < 0 || !more)
		return in[0] < 0 ? -1 : 0;
	if (alpha != 1) {
		Shape one = {1, {1}};
		if ((in[1] = oi_new_const(im, "alpha", &one, &alpha)) < 0)
			return -1;
		if (!c)
			return oi_emit(im, OP_MUL, in, 2, NULL) < 0 ? -1 : 0;
		if ((in[0] = oi_emit_tmp(im, OP_MUL, in, 2, NULL)) < 0)
			return -1;
	}
	if (!c->isconst)
		in[1] = c->v;
	else {
		int64_t n = oi_numel(c);
		if (c->dt != DT_F32 || !n)
			return oi_err(im, "C ('%s') must be a float constant or a run-time tensor",
			              c->name);
		float *cb = ir_xmalloc((size_t)n * sizeof *cb);
		for (int64_t i = 0; i < n; i++)
			cb[i] = beta * ((const float *)c->data)[i];
		in[1] = oi_new_const(im, c->name, &c->shape, cb);
		free(cb);
	}
	return in[1] < 0 || oi_emit(im, OP_ADD, in, 2, NULL) < 0 ? -1 : 0;
}

static int lower_gemm(Imp *im)
{
	OTensor *x, *w = oi_in(im, 1), *c = oi_in(im, 2);
	int64_t ta = 0, tb = 0;
	float alpha = 1, beta = 1;
	int in[3], nin = 2;

	if ((in[0] = oi_runtime(im, 0, &x)) < 0)
		return -1;
	if (oi_attr_int(im, "transA", &ta) < 0 || oi_attr_int(im, "transB", &tb) < 0 ||
	    oi_attr_float(im, "alpha", &alpha) < 0 || oi_attr_float(im, "beta", &beta) < 0)
		return -1;
	if (w && !w->isconst)
		return gemm_runtime(im, in[0], ta, tb, alpha, beta);
	if (!w || w->shape.rank != 2 || w->dt != DT_F32 || !oi_numel(w))
		return oi_err(im, "B must be a float matrix");
	if (oi_shape(im, x)->rank != 2)
		return oi_err(im, "A must be a matrix; it has rank %d", oi_shape(im, x)->rank);
	if (ta) { /* A is [K, M]: a transpose gives dense its [M, K] */
		Attrs t;
		ir_attrs_default(&t);
		if ((in[0] = oi_emit_tmp(im, OP_TRANSPOSE, in, 1, &t)) < 0)
			return -1;
	}
	int64_t N = tb ? w->shape.d[0] : w->shape.d[1], K = tb ? w->shape.d[1] : w->shape.d[0];
	if (tb && alpha == 1)
		in[1] = oi_weight(im, w, "weight"); /* already the IR's [N, K] */
	else {
		/* the IR's dense takes [N, K]: transpose B, and fold alpha in */
		const float *src = w->data;
		float *t = ir_xmalloc((size_t)(N * K) * sizeof *t);
		Shape s = {2, {N, K}};
		for (int64_t n = 0; n < N; n++)
			for (int64_t k = 0; k < K; k++)
				t[n * K + k] = alpha * (tb ? src[n * K + k] : src[k * N + n]);
		in[1] = oi_new_const(im, w->name, &s, t);
		free(t);
	}
	if (in[1] < 0)
		return -1;
	if (c && beta != 0) {
		float *b = c->isconst ? bias_values(c, N, 2, 1) : NULL;
		if (!b && c->isconst && c->dt == DT_F32)
			return gemm_matrix_bias(im, in, c, beta);
		if (!b)
			return oi_err(im,
			              "C ('%s') must be a constant with 1 or %lld values along the "
			              "output axis",
			              c->name, (long long)N);
		Shape s = {1, {N}};
		if (beta != 1 || c->shape.rank != 1 || oi_numel(c) != N) {
			for (int64_t n = 0; n < N; n++)
				b[n] *= beta;
			in[nin++] = oi_new_const(im, c->name, &s, b);
		} else
			in[nin++] = oi_weight(im, c, "bias");
		free(b);
		if (in[2] < 0)
			return -1;
	}
	return oi_emit(im, OP_DENSE, in, nin, NULL) < 0 ? -1 : 0;
}

/* The IR value of a matrix product's operand: a run-time tensor's, or a
 * float constant made an IR constant. */
static int mm_operand(Imp *im, OTensor *t)
{
	return t->isconst ? oi_weight(im, t, "constant operand") : t->v;
}

/* IR values a (shape as) times b (shape bs) as ONNX MatMul (NumPy's
 * matmul): the IR matmul of rank 2 and more, a 1-D a taken as [1, K] and a
 * 1-D b as [K, 1], the axis they gained dropped from the result.  Defines
 * output 0 when last, else returns the result as a temporary. */
static int emit_matmul(Imp *im, int a, const Shape *as, int b, const Shape *bs, int last)
{
	Attrs r;
	int in[2] = {a, b};

	if (as->rank < 1 || bs->rank < 1 || as->rank > IR_MAX_RANK || bs->rank > IR_MAX_RANK)
		return oi_err(im, "MatMul takes operands of rank 1 to %d (here %d and %d)",
		              IR_MAX_RANK, as->rank, bs->rank);
	if (as->rank == 1 && bs->rank == 1)
		return oi_err(im, "the product of two vectors is a scalar (rank 0), which quantc's "
		                  "tensors cannot be");
	ir_attrs_default(&r);
	if (as->rank == 1) {
		r.nshape = 2;
		memcpy(r.shape, (int64_t[2]){1, as->d[0]}, sizeof(int64_t[2]));
		if ((in[0] = oi_emit_tmp(im, OP_RESHAPE, in, 1, &r)) < 0)
			return -1;
	}
	if (bs->rank == 1) {
		r.nshape = 2;
		memcpy(r.shape, (int64_t[2]){bs->d[0], 1}, sizeof(int64_t[2]));
		if ((in[1] = oi_emit_tmp(im, OP_RESHAPE, in + 1, 1, &r)) < 0)
			return -1;
	}
	if (as->rank > 1 && bs->rank > 1)
		return last ? oi_emit(im, OP_MATMUL, in, 2, NULL)
		            : oi_emit_tmp(im, OP_MATMUL, in, 2, NULL);
	if ((in[0] = oi_emit_tmp(im, OP_MATMUL, in, 2, NULL)) < 0)
		return -1;
	const Shape *ys = &im->g->vals[in[0]].shape;
	r.nshape = 0;
	for (int i = 0; i < ys->rank; i++)
		if (!((as->rank == 1 && i == ys->rank - 2) || (bs->rank == 1 && i == ys->rank - 1)))
			r.shape[r.nshape++] = ys->d[i];
	return last ? oi_emit(im, OP_RESHAPE, in, 1, &r) : oi_emit_tmp(im, OP_RESHAPE, in, 1, &r);
}

/* x [.., K] (rank 1, or above 2) times a constant [K, N]: dense over the
 * rows [prod(..), K], between two reshapes. */
static int matmul_rows(Imp *im, int x, const Shape *xs, int w)
{
	Attrs r;
	int in[2] = {x, w};
	int64_t rows = 1, K = xs->d[xs->rank - 1];

	ir_attrs_default(&r);
	for (int i = 0; i < xs->rank - 1; i++)
		rows *= xs->d[i];
	r.nshape = 2;
	memcpy(r.shape, (int64_t[2]){rows, K}, sizeof(int64_t[2]));
	if ((in[0] = oi_emit_tmp(im, OP_RESHAPE, in, 1, &r)) < 0 ||
	    (in[0] = oi_emit_tmp(im, OP_DENSE, in, 2, NULL)) < 0)
		return -1;
	r.nshape = xs->rank;
	memcpy(r.shape, xs->d, (size_t)xs->rank * sizeof *r.shape);
	r.shape[xs->rank - 1] = im->g->vals[in[0]].shape.d[1];
	return oi_emit(im, OP_RESHAPE, in, 1, &r) < 0 ? -1 : 0;
}

/* MatMul: times a constant float [K, N] matrix, dense (its weights [N, K]);
 * any other product (a run-time or a batched second operand), matmul. */
static int lower_matmul(Imp *im)
{
	OTensor *x = oi_in(im, 0), *w = oi_in(im, 1);
	int in[2];

	if (!x || !w)
		return oi_err(im, "needs two inputs");
	if (x->isconst && w->isconst)
		return oi_err(im, "both inputs are constants");
	const Shape xsv = *oi_shape(im, x), wsv = *oi_shape(im, w), *xs = &xsv, *ws = &wsv;
	if (x->isconst || !w->isconst || w->shape.rank != 2 || w->dt != DT_F32 || !oi_numel(w)) {
		if ((in[0] = mm_operand(im, x)) < 0 || (in[1] = mm_operand(im, w)) < 0)
			return -1;
		return emit_matmul(im, in[0], xs, in[1], ws, 1) < 0 ? -1 : 0;
	}
	in[0] = x->v;
	int64_t K = w->shape.d[0], N = w->shape.d[1];
	const float *src = w->data;
	float *t = ir_xmalloc((size_t)(N * K) * sizeof *t);
	Shape s = {2, {N, K}};
	for (int64_t n = 0; n < N; n++)
		for (int64_t k = 0; k < K; k++)
			t[n * K + k] = src[k * N + n];
	in[1] = oi_new_const(im, w->name, &s, t);
	free(t);
	if (xs->rank != 2)
		return matmul_rows(im, in[0], xs, in[1]);
	return oi_emit(im, OP_DENSE, in, 2, NULL) < 0 ? -1 : 0;
}

/* ---- Add, Mul, Concat -------------------------------------------------------- */

/* Operand k of an elementwise op or Concat: a run-time tensor's value, or a
 * float constant made an IR constant. */
static int operand_value(Imp *im, int k)
{
	OTensor *t = oi_in(im, k);

	if (!t)
		return oi_err(im, "input %d is missing", k);
	return t->isconst ? oi_weight(im, t, "constant operand") : t->v;
}

/* ---- int64 arithmetic ---- */

/* Whether a run-time operand of the node is int64: the node is then integer
 * arithmetic (an int64 input and what is computed from it), never
 * quantized. */
static int int64_node(Imp *im)
{
	for (int k = 0; k < oi_nin(im); k++) {
		OTensor *t = oi_in(im, k);
		if (t && !t->isconst && t->v >= 0 && im->g->vals[t->v].dt == DT_I64)
			return 1;
	}
	return 0;
}

/* Operand k of int64 arithmetic: a run-time int64 value, or an integer
 * constant made an i64 IR constant (made anew for each reader: a constant
 * also read as a float weight keeps its float value). */
static int i64_operand(Imp *im, int k)
{
	OTensor *t = oi_in(im, k);

	if (!t)
		return oi_err(im, "input %d is missing", k);
	if (!t->isconst) {
		if (im->g->vals[t->v].dt != DT_I64)
			return oi_err(im, "input '%s' is %s while another input is int64", t->name,
			              ir_dtype_name(im->g->vals[t->v].dt));
		return t->v;
	}
	if (t->dt != DT_I64)
		return oi_err(im, "the constant '%s' is float while another input is int64",
		              t->name);
	return oi_new_const_i64(im, t->name, &t->shape, t->data);
}

/* IR add / mul with NumPy broadcasting (ONNX's multidirectional one); on
 * int64 operands the integer op (wrapping; div truncates). */
static int lower_binary(Imp *im, Op op)
{
	int in[2], i64 = int64_node(im);

	for (int k = 0; k < 2 && i64; k++)
		if ((in[k] = i64_operand(im, k)) < 0)
			return -1;
	if (i64)
		return oi_emit(im, op, in, 2, NULL) < 0 ? -1 : 0;
	for (int k = 0; k < 2; k++)
		if ((in[k] = operand_value(im, k)) < 0)
			return -1;
	return oi_emit(im, op, in, 2, NULL) < 0 ? -1 : 0;
}

static int lower_mul(Imp *im)
{
	return lower_binary(im, OP_MUL);
}

/* Sub and Div of run-time tensors (all-constant ones fold).  A constant
 * divisor stays a div: x * (1 / c) is not x / c bit for bit in general. */
static int lower_sub(Imp *im)
{
	return lower_binary(im, OP_SUB);
}

static int lower_div(Imp *im)
{
	return lower_binary(im, OP_DIV);
}

static int lower_concat(Imp *im)
{
	int in[IR_MAX_IN], n = oi_nin(im);
	int64_t axis;
	Attrs a;

	if (n < 1 || n > IR_MAX_IN)
		return oi_err(im, "has %d inputs; quantc's concat takes 1 to %d", n, IR_MAX_IN);
	if (oi_attr_int(im, "axis", &axis) != 1)
		return oi_err(im, "needs its attribute 'axis'");
	for (int k = 0; k < n; k++)
		if ((in[k] = operand_value(im, k)) < 0)
			return -1;
	ir_attrs_default(&a);
	a.axis = axis;
	return oi_emit(im, OP_CONCAT, in, n, &a) < 0 ? -1 : 0;
}

/* Add of a constant to the result of a conv2d or dense that nothing else
 * reads: the constant joins the bias.  Other Adds become an IR add. */
static int lower_add(Imp *im)
{
	OTensor *a = oi_in(im, 0), *b = oi_in(im, 1);
	if (!a || !b)
		return oi_err(im, "needs two inputs");
	OTensor *x = a->isconst ? b : a, *c = a->isconst ? a : b;
	char why[300] = "both inputs are computed at run time";
	int top, axis;
	int n = c->isconst ? foldable(im, x, why, sizeof why, &top, &axis) : -1;
	Graph *g = im->g;

	if (n < 0)
		return lower_binary(im, OP_ADD);
	const Value *w = &g->vals[g->nodes[n].in[1]];
	int64_t oc = w->shape.d[0];
	float *bias = bias_values(c, oc, g->vals[g->nodes[top].out].shape.rank, axis);
	if (!bias) /* not a per-channel bias: an elementwise add */
		return lower_binary(im, OP_ADD);
	if (g->nodes[n].nin > 2)
		for (int64_t i = 0; i < oc; i++)
			bias[i] += ((const float *)g->vals[g->nodes[n].in[2]].data)[i];
	Shape s = {1, {oc}};
	int bv = oi_new_const(im, c->name, &s, bias);
	free(bias);
	g->nodes[n].in[2] = bv;
	g->nodes[n].nin = 3;
	return oi_retarget(im, top);
}

/* ---- BatchNormalization ------------------------------------------------------ */

/* BatchNormalization that cannot be folded (on a graph input, after a
 * Relu): x * s + t per channel (axis 1), s = gamma / sqrt(var + eps) and
 * t = beta - mean * s, as an IR mul and add with [C, 1, ..] constants. */
static int batchnorm_affine(Imp *im, OTensor *x, float eps)
{
	static const char *what[4] = {"scale", "bias", "mean", "var"};
	const Shape xsv = *oi_shape(im, x), *xs = &xsv;
	OTensor *p[4];

	if (xs->rank < 2)
		return oi_err(im, "the input has rank %d; BatchNormalization needs [N, C, ...]",
		              xs->rank);
	int64_t C = xs->d[1];
	for (int i = 0; i < 4; i++) {
		p[i] = oi_in(im, i + 1);
		if (!p[i] || !p[i]->isconst || oi_numel(p[i]) != C)
			return oi_err(im, "%s must be a constant of %lld values", what[i],
			              (long long)C);
	}
	float *sc = ir_xmalloc((size_t)C * sizeof *sc), *sh = ir_xmalloc((size_t)C * sizeof *sh);
	for (int64_t c = 0; c < C; c++) {
		double s = oi_getf(p[0], c) / sqrt(oi_getf(p[3], c) + (double)eps);
		sc[c] = (float)s;
		sh[c] = (float)(oi_getf(p[1], c) - oi_getf(p[2], c) * s);
	}
	Shape cs = {xs->rank - 1, {C, 1, 1, 1, 1, 1}};
	int in[2] = {x->v, oi_new_const(im, p[0]->name, &cs, sc)};
	int tv = oi_new_const(im, p[1]->name, &cs, sh);
	free(sc);
	free(sh);
	if (in[1] < 0 || tv < 0 || (in[0] = oi_emit_tmp(im, OP_MUL, in, 2, NULL)) < 0)
		return -1;
	in[1] = tv;
	return oi_emit(im, OP_ADD, in, 2, NULL) < 0 ? -1 : 0;
}

/* Inference BatchNormalization after a conv2d or dense, folded into its
 * weights and bias: with s = gamma / sqrt(var + eps) per channel,
 * w' = w * s and b' = (b - mean) * s + beta (in double, rounded once). */
static int lower_batchnorm(Imp *im)
{
	OTensor *x, *p[4];
	float eps = 1e-5f;
	int64_t training = 0;
	Graph *g = im->g;
	static const char *what[4] = {"scale", "bias", "mean", "var"};

	if (oi_runtime(im, 0, &x) < 0 || oi_attr_float(im, "epsilon", &eps) < 0 ||
	    oi_attr_int(im, "training_mode", &training) < 0)
		return -1;
	if (training)
		return oi_err(im,
		              "training_mode = 1 is not supported (export the model in eval mode)");
	char why[300];
	int top, axis;
	int n = foldable(im, x, why, sizeof why, &top, &axis);
	if (n < 0 || axis != 1) /* BatchNormalization's channels are axis 1 */
		return batchnorm_affine(im, x, eps);
	Node *nd = &g->nodes[n];
	const Value *w = &g->vals[nd->in[1]];
	int64_t oc = w->shape.d[0], per = ir_shape_numel(&w->shape) / oc;
	for (int i = 0; i < 4; i++) {
		p[i] = oi_in(im, i + 1);
		if (!p[i] || !p[i]->isconst || p[i]->dt != DT_F32 || oi_numel(p[i]) != oc)
			return oi_err(im, "%s must be a constant of %lld floats", what[i],
			              (long long)oc);
	}
	float *nw = ir_xmalloc((size_t)(oc * per) * sizeof *nw),
	      *nb = ir_xmalloc((size_t)oc * sizeof *nb);
	const float *ow = w->data, *ob = nd->nin > 2 ? g->vals[nd->in[2]].data : NULL;
	for (int64_t c = 0; c < oc; c++) {
		double gam = oi_getf(p[0], c), beta = oi_getf(p[1], c), mean = oi_getf(p[2], c);
		double s = gam / sqrt(oi_getf(p[3], c) + (double)eps);
		for (int64_t i = 0; i < per; i++)
			nw[c * per + i] = (float)(ow[c * per + i] * s);
		nb[c] = (float)(((ob ? ob[c] : 0.0) - mean) * s + beta);
	}
	/* named after what they replace: "c1.weight_bn", "c1.bias_bn" */
	Shape bs = {1, {oc}}, ws = w->shape;
	size_t len = strlen(w->name) + (ob ? strlen(g->vals[nd->in[2]].name) : 0) + 16;
	char *wname = ir_xmalloc(len), *bname = ir_xmalloc(len);
	snprintf(wname, len, "%s_bn", w->name);
	snprintf(bname, len, "%s_bn", ob ? g->vals[nd->in[2]].name : p[1]->name);
	int wv = oi_new_const(im, wname, &ws, nw);
	int bv = oi_new_const(im, bname, &bs, nb);
	free(wname);
	free(bname);
	free(nw);
	free(nb);
	nd = &g->nodes[n];
	nd->in[1] = wv;
	nd->in[2] = bv;
	nd->nin = 3;
	return oi_retarget(im, top);
}

/* ---- activations and data movement --------------------------------------------- */

static int lower_relu(Imp *im)
{
	OTensor *x;
	int in[1];
	if ((in[0] = oi_runtime(im, 0, &x)) < 0)
		return -1;
	return oi_emit(im, OP_RELU, in, 1, NULL) < 0 ? -1 : 0;
}

/* Clip to [0, inf) is a relu; to [0, 6] the relu6 activation of the
 * Conv/Gemm/MatMul that computes its input when it can be folded; anything
 * else a clip node. */
static int lower_clip(Imp *im)
{
	OTensor *x, *lo = oi_in(im, 1), *hi = oi_in(im, 2);
	double min = -INFINITY, max = INFINITY;
	int in[1];

	if ((in[0] = oi_runtime(im, 0, &x)) < 0)
		return -1;
	if ((lo && (!lo->isconst || oi_numel(lo) != 1)) ||
	    (hi && (!hi->isconst || oi_numel(hi) != 1)))
		return oi_err(im, "min and max must be constant scalars");
	if (lo)
		min = oi_getf(lo, 0);
	if (hi)
		max = oi_getf(hi, 0);
	if (min == 0 && max == INFINITY)
		return oi_emit(im, OP_RELU, in, 1, NULL) < 0 ? -1 : 0;
	char why[300];
	int top, axis;
	int n = min == 0 && max == 6 ? foldable(im, x, why, sizeof why, &top, &axis) : -1;
	if (n >= 0) {
		im->g->nodes[n].a.act = ACT_RELU6;
		return oi_retarget(im, top);
	}
	/* any other bounds: a clip node (an infinite bound is the largest float) */
	Attrs a;
	ir_attrs_default_op(&a, OP_CLIP);
	if (min > -FLT_MAX)
		a.min = (float)min;
	if (max < FLT_MAX)
		a.max = (float)max;
	return oi_emit(im, OP_CLIP, in, 1, &a) < 0 ? -1 : 0;
}

/* LeakyRelu, Sigmoid, Tanh, HardSigmoid, HardSwish: one run-time input and
 * the float attributes alpha, beta (ONNX defaults = the IR's). */
static int lower_act(Imp *im, Op op)
{
	OTensor *x;
	Attrs a;
	int in[1];

	ir_attrs_default_op(&a, op);
	if ((in[0] = oi_runtime(im, 0, &x)) < 0 || oi_attr_float(im, "alpha", &a.alpha) < 0 ||
	    oi_attr_float(im, "beta", &a.beta) < 0)
		return -1;
	return oi_emit(im, op, in, 1, &a) < 0 ? -1 : 0;
}

static int lower_leaky_relu(Imp *im)
{
	return lower_act(im, OP_LEAKY_RELU);
}
static int lower_sigmoid(Imp *im)
{
	return lower_act(im, OP_SIGMOID);
}
static int lower_tanh(Imp *im)
{
	return lower_act(im, OP_TANH);
}
static int lower_hard_sigmoid(Imp *im)
{
	return lower_act(im, OP_HARD_SIGMOID);
}
static int lower_hard_swish(Imp *im)
{
	return lower_act(im, OP_HARD_SWISH);
}
static int lower_abs(Imp *im)
{
	return lower_act(im, OP_ABS);
}

/* Softmax: along `axis` (default -1), opset 13's meaning (onnx_opset.c
 * rewrites older nodes into it, or refuses them). */
static int lower_softmax(Imp *im)
{
	OTensor *x;
	Attrs a;
	int in[1];

	ir_attrs_default_op(&a, OP_SOFTMAX);
	if ((in[0] = oi_runtime(im, 0, &x)) < 0 || oi_attr_int(im, "axis", &a.axis) < 0)
		return -1;
	int64_t r = oi_shape(im, x)->rank;
	if (a.axis < -r || a.axis >= r)
		return oi_err(im, "axis %lld is out of range for rank %lld", (long long)a.axis,
		              (long long)r);
	return oi_emit(im, OP_SOFTMAX, in, 1, &a) < 0 ? -1 : 0;
}

/* Identity, Dropout (inference): the same tensor under another name; when
 * the input is a result only this node reads, the result takes the name. */
static int lower_identity(Imp *im)
{
	OTensor *x = oi_in(im, 0);
	if (!x)
		return oi_err(im, "input 0 is missing");
	int n = oi_producer(im, x);
	return n >= 0 ? oi_retarget(im, n) : oi_def_alias(im, 0, x);
}

/* Dropout in training mode drops at random, unless its ratio is 0. */
static int lower_dropout(Imp *im)
{
	OTensor *ratio = oi_in(im, 1), *train = oi_in(im, 2);

	if (train && !train->isconst)
		return oi_err(im, "training_mode must be a constant");
	if (train && oi_numel(train) == 1 && oi_getf(train, 0) != 0 &&
	    (!ratio || !ratio->isconst || oi_numel(ratio) != 1 || oi_getf(ratio, 0) != 0))
		return oi_err(im, "training_mode = true (random dropout) is not supported");
	return lower_identity(im);
}

static int lower_mask_to_float(Imp *im, int m); /* comparisons and masks, below */
static int lower_cast_to_bool(Imp *im, OTensor *x);

static int lower_cast(Imp *im)
{
	OTensor *x;
	int64_t to = 0;
	if (oi_runtime(im, 0, &x) < 0 || oi_attr_int(im, "to", &to) < 0)
		return -1;
	if (to == OT_FLOAT && im->g->vals[x->v].dt == DT_U8)
		return lower_mask_to_float(im, x->v); /* a comparison's mask */
	if (to == OT_BOOL)
		return lower_cast_to_bool(im, x);
	if (im->g->vals[x->v].dt == DT_U8)
		return oi_err(im,
		              "casting a bool mask to data type %lld is not supported (only to "
		              "FLOAT and BOOL)",
		              (long long)to);
	if (to != OT_FLOAT)
		return oi_err(im,
		              "casting a run-time tensor to data type %lld is not supported "
		              "(only to FLOAT, which does nothing)",
		              (long long)to);
	return lower_identity(im);
}

static int lower_flatten(Imp *im)
{
	OTensor *x;
	Shape s;
	Attrs a;
	int in[1];

	ir_attrs_default(&a);
	if ((in[0] = oi_runtime(im, 0, &x)) < 0 ||
	    oi_flatten_target(im, oi_shape(im, x), &s, &a.axis))
		return -1;
	return oi_emit(im, OP_FLATTEN, in, 1, &a) < 0 ? -1 : 0;
}

/* Reshape, Squeeze and Unsqueeze of a run-time tensor: an IR reshape to the
 * shape their rules give (known now that every shape is). */
static int emit_reshape(Imp *im, int (*target)(Imp *, const Shape *, Shape *))
{
	OTensor *x;
	Shape s;
	Attrs a;
	int in[1];

	ir_attrs_default(&a);
	if ((in[0] = oi_runtime(im, 0, &x)) < 0 || target(im, oi_shape(im, x), &s))
		return -1;
	a.nshape = s.rank;
	memcpy(a.shape, s.d, sizeof s.d);
	return oi_emit(im, OP_RESHAPE, in, 1, &a) < 0 ? -1 : 0;
}

static int lower_reshape(Imp *im)
{
	return emit_reshape(im, oi_reshape_target);
}

static int lower_squeeze(Imp *im)
{
	return emit_reshape(im, oi_squeeze_target);
}

static int lower_unsqueeze(Imp *im)
{
	return emit_reshape(im, oi_unsqueeze_target);
}

/* Pad (opset 11+): pads and constant_value are constant inputs, in the IR's
 * order (begin per axis, then end per axis); mode constant, reflect, edge or
 * wrap (pad's pad_mode).  Negative pads crop: a slice before the pad, as
 * onnxruntime crops first (wrap, edge and reflect read the cropped tensor). */
static int lower_pad(Imp *im)
{
	OTensor *x, *cv = oi_in(im, 2);
	char mode[32] = "constant";
	const char *const *w = ir_attr_words(AI_PAD_MODE);
	int in[1], n, r, crop = 0, grow = 0;
	Attrs a, sl;

	ir_attrs_default(&a);
	if ((in[0] = oi_runtime(im, 0, &x)) < 0 || oi_attr_str(im, "mode", mode, sizeof mode) < 0)
		return -1;
	/* ONNX's modes are pad_mode's words but symmetric (TFLite's) */
	while (w[a.pad_mode] &&
	       (strcmp(w[a.pad_mode], mode) != 0 || a.pad_mode == IR_PAD_SYMMETRIC))
		a.pad_mode++;
	if (!w[a.pad_mode])
		return oi_err(im, "mode '%s' is not constant, reflect, edge or wrap", mode);
	if (oi_in(im, 3))
		return oi_err(im, "the axes input is not supported");
	if (!oi_in(im, 1) || !oi_in(im, 1)->isconst)
		return oi_err(im, "pads must be a constant");
	if (oi_const_ints(im, oi_in(im, 1), "pads", a.pads, 2 * IR_MAX_RANK, &n) < 0)
		return -1;
	r = oi_shape(im, x)->rank;
	if (n != 2 * r)
		return oi_err(im, "pads has %d values for an input of rank %d", n, r);
	ir_attrs_default(&sl);
	for (int k = 0; k < n; k++) {
		/* no padded tensor can be that large (ir_pad_amounts' bound) */
		if (a.pads[k] > IR_MAX_TENSOR_BYTES || a.pads[k] < -IR_MAX_TENSOR_BYTES)
			return oi_err(im, "pads[%d] = %lld is out of range: a pad is at most 2^31",
			              k, (long long)a.pads[k]);
		crop |= a.pads[k] < 0;
		grow |= a.pads[k] > 0;
	}
	if (crop) { /* the slice [-begin, d + end) of each cropped axis */
		const Shape xsv = *oi_shape(im, x), *xs = &xsv;
		for (int k = 0; k < r; k++) {
			int64_t b = a.pads[k] < 0 ? -a.pads[k] : 0,
			        e = a.pads[r + k] < 0 ? a.pads[r + k] : 0;
			if (b == 0 && e == 0)
				continue;
			if (b - e >= xs->d[k])
				return oi_err(im, "pads crop all %lld elements of axis %d",
				              (long long)xs->d[k], k);
			sl.axes[sl.naxes++] = k;
			sl.starts[sl.nstarts++] = b;
			sl.ends[sl.nends++] = xs->d[k] + e;
		}
		for (int k = 0; k < n; k++)
			a.pads[k] = a.pads[k] < 0 ? 0 : a.pads[k];
		if (!grow)
			return oi_emit(im, OP_SLICE, in, 1, &sl) < 0 ? -1 : 0;
		if ((in[0] = oi_emit_tmp(im, OP_SLICE, in, 1, &sl)) < 0)
			return -1;
	}
	a.npads = n;
	if (cv && (!cv->isconst || oi_numel(cv) != 1))
		return oi_err(im, "constant_value must be a constant scalar");
	/* the other modes take no value (onnxruntime ignores it) */
	if (cv && a.pad_mode == IR_PAD_CONSTANT)
		a.value = (float)oi_getf(cv, 0);
	return oi_emit(im, OP_PAD, in, 1, &a) < 0 ? -1 : 0;
}

/* Transpose of a run-time tensor; no perm reverses the axes, as the IR's []. */
static int lower_transpose(Imp *im)
{
	OTensor *x;
	int in[1], n;
	Attrs a;

	ir_attrs_default(&a);
	if ((in[0] = oi_runtime(im, 0, &x)) < 0 ||
	    oi_attr_ints(im, "perm", a.perm, IR_MAX_RANK, &n) < 0)
		return -1;
	a.nperm = n < 0 ? 0 : n;
	return oi_emit(im, OP_TRANSPOSE, in, 1, &a) < 0 ? -1 : 0;
}

/* ---- elementwise and reductions ---- */

/* Max, Min, Sum, Mean of 1 to n inputs (NumPy broadcasting): a chain of
 * binary max / min / add from the left; Mean multiplies the sum by 1/n.
 * One input is that input. */
static int lower_variadic(Imp *im, Op op, int mean)
{
	int n = oi_nin(im), acc, in[2], i64 = int64_node(im);

	if (n < 1)
		return oi_err(im, "needs at least one input");
	if (i64 && mean)
		return oi_err(im, "Mean of int64 tensors is not supported");
	if ((acc = i64 ? i64_operand(im, 0) : operand_value(im, 0)) < 0)
		return -1;
	if (n == 1)
		return oi_def_alias(im, 0, oi_in(im, 0));
	for (int k = 1; k < n; k++) {
		in[0] = acc;
		if ((in[1] = i64 ? i64_operand(im, k) : operand_value(im, k)) < 0)
			return -1;
		if (k == n - 1 && !mean)
			return oi_emit(im, op, in, 2, NULL) < 0 ? -1 : 0;
		if ((acc = oi_emit_tmp(im, op, in, 2, NULL)) < 0)
			return -1;
	}
	float inv = 1.0f / (float)n;
	Shape s = {0, {0}};
	in[0] = acc;
	if ((in[1] = oi_new_const(im, "mean_scale", &s, &inv)) < 0)
		return -1;
	return oi_emit(im, OP_MUL, in, 2, NULL) < 0 ? -1 : 0;
}

static int lower_max(Imp *im)
{
	return lower_variadic(im, OP_MAX, 0);
}
static int lower_min(Imp *im)
{
	return lower_variadic(im, OP_MIN, 0);
}
static int lower_sum(Imp *im)
{
	return lower_variadic(im, OP_ADD, 0);
}
static int lower_mean(Imp *im)
{
	return lower_variadic(im, OP_ADD, 1);
}

/* PRelu: the slope (a constant, or a run-time tensor) broadcast against x. */
static int lower_prelu(Imp *im)
{
	OTensor *x;
	int in[2];

	if ((in[0] = oi_runtime(im, 0, &x)) < 0 || (in[1] = operand_value(im, 1)) < 0)
		return -1;
	return oi_emit(im, OP_PRELU, in, 2, NULL) < 0 ? -1 : 0;
}

/* Reduce*: axes from the attribute (older opsets) or the constant input 1
 * (ReduceSum from opset 13, the others from 18); keepdims (default 1); no
 * axes reduce every axis, unless noop_with_empty_axes = 1: then the input
 * itself (*noop set).  Returns x's value with the attributes in *a, or -1. */
static int reduce_attrs(Imp *im, Attrs *a, int *noop)
{
	OTensor *x;
	int v, n = -1, got;
	int64_t nop = 0;

	ir_attrs_default(a);
	if ((v = oi_runtime(im, 0, &x)) < 0 ||
	    (got = oi_attr_ints(im, "axes", a->axes, IR_MAX_RANK, &n)) < 0 ||
	    oi_attr_int(im, "keepdims", &a->keepdims) < 0 ||
	    oi_attr_int(im, "noop_with_empty_axes", &nop) < 0)
		return -1;
	if (!got && oi_in(im, 1)) {
		if (!oi_in(im, 1)->isconst)
			return oi_err(im, "axes computed at run time are not supported (only a "
			                  "constant)");
		if (oi_const_ints(im, oi_in(im, 1), "axes", a->axes, IR_MAX_RANK, &n) < 0)
			return -1;
	}
	a->naxes = n < 0 ? 0 : n;
	if (a->keepdims != 0 && a->keepdims != 1)
		return oi_err(im, "keepdims is %lld; it must be 0 or 1", (long long)a->keepdims);
	int rank = oi_shape(im, x)->rank;
	for (int k = 0; k < a->naxes; k++)
		if (a->axes[k] < -rank || a->axes[k] >= rank)
			return oi_err(im, "axis %lld is out of range for rank %d",
			              (long long)a->axes[k], rank);
	*noop = a->naxes == 0 && nop;
	return v;
}

/* A Reduce*: pre is an op applied to x first (ReduceSumSquare: x * x,
 * ReduceL1: |x|), OP_NONE for none. */
static int lower_reduce(Imp *im, Op op, Op pre)
{
	int in[2], noop;
	Attrs a;

	if ((in[0] = reduce_attrs(im, &a, &noop)) < 0)
		return -1;
	if (noop)
		return oi_def_alias(im, 0, oi_in(im, 0));
	if (pre == OP_MUL) {
		int sq[2] = {in[0], in[0]};
		if ((in[0] = oi_emit_tmp(im, OP_MUL, sq, 2, NULL)) < 0)
			return -1;
	} else if (pre != OP_NONE && (in[0] = oi_emit_tmp(im, pre, in, 1, NULL)) < 0)
		return -1;
	return oi_emit(im, op, in, 1, &a) < 0 ? -1 : 0;
}

/* ReduceLogSum: log(reduce_sum(x)).  ReduceLogSumExp, kept finite for
 * large x: m = reduce_max(x) (axes kept), log(reduce_sum(exp(x - m))) + m
 * (m of the result's shape, a second reduce_max, when keepdims is 0). */
static int lower_reduce_log(Imp *im, int exp)
{
	int in[2], noop, m = -1, v, x;
	Attrs a, k;

	if ((x = v = reduce_attrs(im, &a, &noop)) < 0)
		return -1;
	if (noop)
		return oi_def_alias(im, 0, oi_in(im, 0));
	if (exp) {
		k = a;
		k.keepdims = 1;
		in[0] = v;
		if ((m = oi_emit_tmp(im, OP_REDUCE_MAX, in, 1, &k)) < 0)
			return -1;
		in[1] = m;
		if ((in[0] = oi_emit_tmp(im, OP_SUB, in, 2, NULL)) < 0 ||
		    (v = oi_emit_tmp(im, OP_EXP, in, 1, NULL)) < 0)
			return -1;
	}
	in[0] = v;
	if ((v = oi_emit_tmp(im, OP_REDUCE_SUM, in, 1, &a)) < 0)
		return -1;
	in[0] = v;
	if (!exp)
		return oi_emit(im, OP_LOG, in, 1, NULL) < 0 ? -1 : 0;
	if ((in[0] = oi_emit_tmp(im, OP_LOG, in, 1, NULL)) < 0)
		return -1;
	in[1] = m;
	if (!a.keepdims && (in[1] = oi_emit_tmp(im, OP_REDUCE_MAX, &x, 1, &a)) < 0)
		return -1;
	return oi_emit(im, OP_ADD, in, 2, NULL) < 0 ? -1 : 0;
}

static int lower_reduce_log_sum(Imp *im)
{
	return lower_reduce_log(im, 0);
}
static int lower_reduce_log_sum_exp(Imp *im)
{
	return lower_reduce_log(im, 1);
}

static int lower_reduce_mean(Imp *im)
{
	return lower_reduce(im, OP_REDUCE_MEAN, OP_NONE);
}
static int lower_reduce_sum(Imp *im)
{
	return lower_reduce(im, OP_REDUCE_SUM, OP_NONE);
}
static int lower_reduce_max(Imp *im)
{
	return lower_reduce(im, OP_REDUCE_MAX, OP_NONE);
}
static int lower_reduce_min(Imp *im)
{
	return lower_reduce(im, OP_REDUCE_MIN, OP_NONE);
}
static int lower_reduce_prod(Imp *im)
{
	return lower_reduce(im, OP_REDUCE_PROD, OP_NONE);
}
static int lower_reduce_l2(Imp *im)
{
	return lower_reduce(im, OP_REDUCE_L2, OP_NONE);
}
static int lower_reduce_l1(Imp *im)
{
	return lower_reduce(im, OP_REDUCE_SUM, OP_ABS);
}
static int lower_reduce_sum_square(Imp *im)
{
	return lower_reduce(im, OP_REDUCE_SUM, OP_MUL);
}

/* GlobalMaxPool: reduce_max over every axis after the channels, kept. */
static int lower_global_maxpool(Imp *im)
{
	OTensor *x;
	int in[1];
	Attrs a;

	if ((in[0] = oi_runtime(im, 0, &x)) < 0)
		return -1;
	int rank = oi_shape(im, x)->rank;
	if (rank < 3)
		return oi_err(im, "needs an input of rank 3 or more (N, C, spatial...), not %d",
		              rank);
	ir_attrs_default(&a);
	for (int k = 2; k < rank; k++)
		a.axes[a.naxes++] = k;
	return oi_emit(im, OP_REDUCE_MAX, in, 1, &a) < 0 ? -1 : 0;
}

/* ---- unary math ---------------------------------------------------------------- */

/* Neg, Sqrt, Exp, Log, Reciprocal, Sign, Elu, Selu, Softplus, Softsign,
 * Mish, Gelu, Erf, Shrink, Celu, ThresholdedRelu, Floor, Ceil, Round: one
 * run-time input; the IR keeps selu's gamma and shrink's bias in beta,
 * shrink's lambd in alpha (ops.def). */
static int lower_unary(Imp *im, Op op)
{
	OTensor *x;
	Attrs a;
	int in[1];

	ir_attrs_default_op(&a, op);
	if ((in[0] = oi_runtime(im, 0, &x)) < 0)
		return -1;
	if ((op == OP_ELU || op == OP_SELU || op == OP_CELU || op == OP_THRESHOLDED_RELU) &&
	    oi_attr_float(im, "alpha", &a.alpha) < 0)
		return -1;
	if (op == OP_SELU && oi_attr_float(im, "gamma", &a.beta) < 0)
		return -1;
	if (op == OP_SHRINK &&
	    (oi_attr_float(im, "lambd", &a.alpha) < 0 || oi_attr_float(im, "bias", &a.beta) < 0))
		return -1;
	if (op == OP_CELU && a.alpha == 0)
		return oi_err(im, "alpha = 0: Celu divides by alpha");
	if (op == OP_GELU) {
		char mode[16] = "none";
		if (oi_attr_str(im, "approximate", mode, sizeof mode) < 0)
			return -1;
		if (strcmp(mode, "none") != 0)
			return oi_err(
			        im,
			        "approximate = '%s' is not supported (only 'none', the erf form)",
			        mode);
	}
	return oi_emit(im, op, in, 1, &a) < 0 ? -1 : 0;
}

#define UNARY(fn, op)                       \
	static int fn(Imp *im)              \
	{                                   \
		return lower_unary(im, op); \
	}
UNARY(lower_neg, OP_NEG)
UNARY(lower_sqrt, OP_SQRT)
UNARY(lower_exp, OP_EXP)
UNARY(lower_log, OP_LOG)
UNARY(lower_reciprocal, OP_RECIPROCAL)
UNARY(lower_sign, OP_SIGN)
UNARY(lower_elu, OP_ELU)
UNARY(lower_selu, OP_SELU)
UNARY(lower_softplus, OP_SOFTPLUS)
UNARY(lower_softsign, OP_SOFTSIGN)
UNARY(lower_mish, OP_MISH)
UNARY(lower_gelu, OP_GELU)
UNARY(lower_erf, OP_ERF)
UNARY(lower_shrink, OP_SHRINK)
UNARY(lower_celu, OP_CELU)
UNARY(lower_thresholded_relu, OP_THRESHOLDED_RELU)
UNARY(lower_floor, OP_FLOOR)
UNARY(lower_ceil, OP_CEIL)
UNARY(lower_round, OP_ROUND)
UNARY(lower_sin, OP_SIN)
UNARY(lower_cos, OP_COS)
UNARY(lower_tan, OP_TAN)
UNARY(lower_asin, OP_ASIN)
UNARY(lower_acos, OP_ACOS)
UNARY(lower_atan, OP_ATAN)
UNARY(lower_sinh, OP_SINH)
UNARY(lower_cosh, OP_COSH)
UNARY(lower_asinh, OP_ASINH)
UNARY(lower_acosh, OP_ACOSH)
UNARY(lower_atanh, OP_ATANH)
#undef UNARY

/* Pow with a constant scalar exponent: pow { alpha = exponent }; with a
 * run-time or per-element one (or a constant base): powv(x, y). */
static int lower_pow(Imp *im)
{
	OTensor *x = oi_in(im, 0), *e = oi_in(im, 1);
	Attrs a;
	int in[1];

	if (!x || !e)
		return oi_err(im, "needs two inputs");
	if (x->isconst || !e->isconst || oi_numel(e) != 1)
		return lower_binary(im, OP_POWV);
	if ((in[0] = oi_runtime(im, 0, &x)) < 0)
		return -1;
	ir_attrs_default_op(&a, OP_POW);
	a.alpha = (float)oi_getf(e, 0);
	if ((double)a.alpha != oi_getf(e, 0))
		return oi_err(im, "the exponent %.17g is not a float", oi_getf(e, 0));
	return oi_emit(im, OP_POW, in, 1, &a) < 0 ? -1 : 0;
}

/* LogSoftmax: as Softmax, along `axis` (default -1) from opset 13; before,
 * only over the last axis (where the old flattening meaning agrees). */
static int lower_log_softmax(Imp *im)
{
	OTensor *x;
	Attrs a;
	int in[1];

	ir_attrs_default_op(&a, OP_LOG_SOFTMAX);
	if (im->opset < 13)
		a.axis = 1;
	if ((in[0] = oi_runtime(im, 0, &x)) < 0 || oi_attr_int(im, "axis", &a.axis) < 0)
		return -1;
	int64_t r = oi_shape(im, x)->rank;
	if (a.axis < -r || a.axis >= r)
		return oi_err(im, "axis %lld is out of range for rank %lld", (long long)a.axis,
		              (long long)r);
	if (im->opset < 13 && (a.axis < 0 ? a.axis + r : a.axis) != r - 1)
		return oi_err(im,
		              "LogSoftmax before opset 13 is supported only over the last axis");
	return oi_emit(im, OP_LOG_SOFTMAX, in, 1, &a) < 0 ? -1 : 0;
}

/* Value v is a run-time tensor that exactly one ONNX node reads (and no
 * graph output), so the node computing it may be dropped or rewritten. */
static int read_once(Imp *im, int v)
{
	int found = 0;

	for (int i = 0; i < im->nt; i++)
		if (!im->t[i].isconst && im->t[i].defined && im->t[i].v == v) {
			if (im->t[i].uses != 1)
				return 0;
			found = 1;
		}
	return found;
}

/* The node computing v when it is op (no fused activation) and read once;
 * else -1. */
static int made_by(Imp *im, int v, Op op)
{
	int n = v >= 0 ? im->g->vals[v].def : -1;

	if (n < 0 || im->g->nodes[n].op != op || im->g->nodes[n].a.act != ACT_NONE ||
	    !read_once(im, v))
		return -1;
	return n;
}

/* Value v is a constant scalar equal to k (f32, any rank of one element). */
static int const_is(const Graph *g, int v, float k)
{
	const Value *c = &g->vals[v];
	return c->kind == VK_CONST && c->data && c->dt == DT_F32 &&
	       ir_shape_numel(&c->shape) == 1 && ((const float *)c->data)[0] == k;
}

/* r = clip(add(x, 3), 0, 6) (either add order): x, else -1 */
static int relu6_x_plus_3(Imp *im, int r)
{
	const Graph *g = im->g;
	int c = made_by(im, r, OP_CLIP), ad;

	if (c < 0 || g->nodes[c].a.min != 0 || g->nodes[c].a.max != 6 ||
	    (ad = made_by(im, g->nodes[c].in[0], OP_ADD)) < 0)
		return -1;
	for (int k = 0; k < 2; k++)
		if (const_is(g, g->nodes[ad].in[1 - k], 3.0f) &&
		    ir_shape_eq(&g->vals[g->nodes[ad].in[k]].shape, &g->vals[r].shape))
			return g->nodes[ad].in[k];
	return -1;
}

/* h = x / 6 + 1/2 clamped to [0, 1], as hard_sigmoid{alpha = 1/6} (what
 * PyTorch exports for Hardsigmoid) or relu6(x + 3) / 6: x, else -1 */
static int hard_sigmoid_of(Imp *im, int h)
{
	const Graph *g = im->g;
	int n = made_by(im, h, OP_HARD_SIGMOID);

	if (n >= 0)
		return g->nodes[n].a.alpha == 1.0f / 6 && g->nodes[n].a.beta == 0.5f
		               ? g->nodes[n].in[0]
		               : -1;
	n = made_by(im, h, OP_DIV);
	if (n >= 0 && const_is(g, g->nodes[n].in[1], 6.0f))
		return relu6_x_plus_3(im, g->nodes[n].in[0]);
	return -1;
}

/* The node n computing the current node's output becomes hard_swish(x). */
static int to_hard_swish(Imp *im, int n, int x)
{
	Node *nd = &im->g->nodes[n];

	nd->op = OP_HARD_SWISH;
	ir_attrs_default_op(&nd->a, OP_HARD_SWISH);
	nd->in[0] = x;
	nd->nin = 1;
	return oi_retarget(im, n); /* what computed the old inputs is dead now */
}

/* Mul: x * hard_sigmoid(x) (either order; hard_sigmoid as PyTorch exports
 * it for nn.Hardswish below opset 14, or as relu6(x + 3) / 6) is one
 * hard_swish node; any other Mul an IR mul. */
static int lower_mul_pattern(Imp *im)
{
	OTensor *a = oi_in(im, 0), *b = oi_in(im, 1);

	for (int k = 0; a && b && !a->isconst && !b->isconst && k < 2; k++) {
		OTensor *x = k ? b : a, *h = k ? a : b;
		if (hard_sigmoid_of(im, h->v) == x->v &&
		    ir_shape_eq(oi_shape(im, x), oi_shape(im, h)))
			return to_hard_swish(im, im->g->vals[h->v].def, x->v);
	}
	return lower_mul(im);
}

/* Div: (x * relu6(x + 3)) / 6 (either order in both) is one hard_swish
 * node; a division by a constant scalar power of two is a mul by its
 * reciprocal (exact: both round the same real quotient); others a div. */
static int lower_div_pattern(Imp *im)
{
	OTensor *num = oi_in(im, 0), *den = oi_in(im, 1);
	const Graph *g = im->g;

	if (!num || !den || num->isconst || !den->isconst || oi_numel(den) != 1 || int64_node(im))
		return lower_div(im); /* int64: an integer division, never a mul */
	double c = oi_getf(den, 0);
	int m = c == 6 ? made_by(im, num->v, OP_MUL) : -1;
	for (int k = 0; m >= 0 && k < 2; k++) {
		int x = g->nodes[m].in[k], r = g->nodes[m].in[1 - k];
		if (relu6_x_plus_3(im, r) == x && ir_shape_eq(&g->vals[x].shape, &g->vals[r].shape))
			return to_hard_swish(im, m, x);
	}
	int e;
	double f = frexp(c, &e);
	if ((f == 0.5 || f == -0.5) && e - 1 > -126 && e - 1 < 127) {
		Shape s = {0, {0}};
		float r = (float)(1.0 / c);
		int in[2] = {num->v, oi_new_const(im, den->name, &s, &r)};
		return oi_emit(im, OP_MUL, in, 2, NULL) < 0 ? -1 : 0;
	}
	return lower_div(im);
}

/* ---- shape ops on run-time tensors ---- */

/* Slice (opset 10+) of a run-time tensor: starts, ends, axes and steps are
 * constant inputs, kept as they are (the IR's slice clamps as ONNX does). */
static int lower_slice(Imp *im)
{
	OTensor *x;
	int in[1];
	Attrs a;

	ir_attrs_default(&a);
	if ((in[0] = oi_runtime(im, 0, &x)) < 0)
		return -1;
	if (oi_const_ints(im, oi_in(im, 1), "starts", a.starts, IR_MAX_RANK, &a.nstarts) ||
	    oi_const_ints(im, oi_in(im, 2), "ends", a.ends, IR_MAX_RANK, &a.nends) ||
	    oi_const_ints(im, oi_in(im, 3), "axes", a.axes, IR_MAX_RANK, &a.naxes) ||
	    oi_const_ints(im, oi_in(im, 4), "steps", a.steps, IR_MAX_RANK, &a.nsteps))
		return -1;
	if (a.nstarts < 0 || a.nends < 0)
		return oi_err(im, "starts and ends are required");
	a.naxes = a.naxes < 0 ? 0 : a.naxes;
	a.nsteps = a.nsteps < 0 ? 0 : a.nsteps;
	return oi_emit(im, OP_SLICE, in, 1, &a) < 0 ? -1 : 0;
}

/* A slice of x (IR value v) on one axis: [start, start + len). */
static int emit_axis_slice(Imp *im, int k, int v, int axis, int64_t start, int64_t len)
{
	Attrs a;

	ir_attrs_default(&a);
	a.nstarts = a.nends = a.naxes = 1;
	a.starts[0] = start;
	a.ends[0] = start + len;
	a.axes[0] = axis;
	return oi_emit_out(im, k, OP_SLICE, &v, 1, &a) < 0 ? -1 : 0;
}

/* Split: one slice per output.  The sizes are input 1 (opset 13+), the
 * attribute 'split' (before), or equal parts: num_outputs of them (opset
 * 18: the last one smaller when the axis does not divide), else one per
 * output (the axis must divide). */
static int lower_split(Imp *im)
{
	OTensor *x;
	int64_t axis = 0, sizes[IR_MAX_IN * 8], nparts = 0, off = 0;
	int v, n = -1, nout = oi_nout(im);

	if ((v = oi_runtime(im, 0, &x)) < 0 || oi_attr_int(im, "axis", &axis) < 0)
		return -1;
	const Shape xsv = *oi_shape(im, x), *xs = &xsv;
	if (axis < -xs->rank || axis >= xs->rank)
		return oi_err(im, "axis %lld is out of range for rank %d", (long long)axis,
		              xs->rank);
	int ax = (int)(axis < 0 ? axis + xs->rank : axis);
	int64_t d = xs->d[ax];
	if (nout > (int)(sizeof sizes / sizeof *sizes))
		return oi_err(im, "has %d outputs; at most %d are supported", nout,
		              (int)(sizeof sizes / sizeof *sizes));
	if (oi_in(im, 1)) {
		if (oi_const_ints(im, oi_in(im, 1), "split", sizes, nout, &n))
			return -1;
	} else if (oi_attr_ints(im, "split", sizes, nout, &n) < 0)
		return -1;
	if (n < 0) {
		if (oi_attr_int(im, "num_outputs", &nparts) < 0)
			return -1;
		if (nparts && nparts != nout)
			return oi_err(im, "num_outputs is %lld but the node has %d outputs",
			              (long long)nparts, nout);
		int64_t part = nparts ? (d + nout - 1) / nout : d / nout;
		if (!nparts && d % nout)
			return oi_err(im, "axis %d (size %lld) does not split into %d equal parts",
			              ax, (long long)d, nout);
		for (int k = 0; k < nout; k++)
			sizes[k] = k < nout - 1 ? part : d - part * (nout - 1);
		n = nout;
	}
	if (n != nout)
		return oi_err(im, "split has %d sizes for %d outputs", n, nout);
	for (int k = 0; k < nout; k++) {
		if (sizes[k] < 0 || sizes[k] > d - off)
			return oi_err(im, "the sizes of split do not add up to axis %d's %lld", ax,
			              (long long)d);
		off += sizes[k];
	}
	if (off != d)
		return oi_err(im, "the sizes of split add up to %lld, not axis %d's %lld",
		              (long long)off, ax, (long long)d);
	off = 0;
	for (int k = 0; k < nout; off += sizes[k++]) {
		if (!oi_out_used(im, k))
			continue; /* nothing reads it */
		if (!sizes[k])
			return oi_err(im, "output %d ('%s') is empty", k, im->node->output[k]);
		if (emit_axis_slice(im, k, v, ax, off, sizes[k]))
			return -1;
	}
	return 0;
}

/* Gather: constant indices become an i64 IR constant, run-time ones must be
 * i64 values; a constant table (an embedding) becomes an f32 IR constant,
 * which quantize makes an integer constant per tensor like a weight. */
static int lower_gather(Imp *im)
{
	OTensor *x = oi_in(im, 0), *ix = oi_in(im, 1);
	int in[2];
	Attrs a;

	ir_attrs_default_op(&a, OP_GATHER);
	if (!x || !ix)
		return oi_err(im, "needs data and indices");
	if (oi_attr_int(im, "axis", &a.axis) < 0)
		return -1;
	in[0] = x->v;
	if (x->isconst) { /* an embedding table: an f32 IR constant */
		if (x->dt != DT_F32)
			return oi_err(im, "gathering from a constant of %s is not supported",
			              ir_dtype_name(x->dt));
		in[0] = oi_new_const(im, x->name, &x->shape, x->data);
	}
	if (ix->isconst) {
		if (ix->dt != DT_I64)
			return oi_err(im, "the indices must be integers");
		if (oi_numel(ix) < 1)
			return oi_err(im, "the indices are empty");
		in[1] = oi_new_const_i64(im, ix->name, &ix->shape, ix->data);
	} else {
		in[1] = ix->v;
		if (im->g->vals[in[1]].dt != DT_I64)
			return oi_err(im, "the indices '%s' must be int64", ix->name);
	}
	return oi_emit(im, OP_GATHER, in, 2, &a) < 0 ? -1 : 0;
}

/* Expand: shape and x broadcast both ways (ONNX); the IR's expand takes the
 * result's shape.  Expanding to x's own shape is x. */
static int lower_expand(Imp *im)
{
	OTensor *x;
	int64_t shape[IR_MAX_RANK];
	int in[1], n;
	Attrs a;

	ir_attrs_default(&a);
	if ((in[0] = oi_runtime(im, 0, &x)) < 0 ||
	    oi_const_ints(im, oi_in(im, 1), "shape", shape, IR_MAX_RANK, &n))
		return -1;
	if (n < 0)
		return oi_err(im, "input 1 (shape) is missing");
	const Shape xsv = *oi_shape(im, x), *xs = &xsv;
	a.nshape = n > xs->rank ? n : xs->rank;
	for (int k = 0; k < a.nshape; k++) {
		int i = k - (a.nshape - xs->rank), j = k - (a.nshape - n);
		int64_t dx = i >= 0 ? xs->d[i] : 1, ds = j >= 0 ? shape[j] : 1;
		if (dx != ds && dx != 1 && ds != 1)
			return oi_err(
			        im,
			        "dimension %lld of the input and %lld of shape do not broadcast",
			        (long long)dx, (long long)ds);
		if (ds < 1 && dx != 1)
			return oi_err(im, "shape holds %lld", (long long)ds);
		a.shape[k] = dx == 1 ? ds : dx;
		if (a.shape[k] < 1)
			return oi_err(im, "the result would be empty");
	}
	Shape s = {a.nshape, {0}};
	memcpy(s.d, a.shape, sizeof s.d);
	if (ir_shape_eq(&s, xs))
		return lower_identity(im);
	return oi_emit(im, OP_EXPAND, in, 1, &a) < 0 ? -1 : 0;
}

/* Tile along one axis k of cur (of rank r): cur as [A, d*B] (A the axes
 * before k, d axis k's size, B those after) reshaped to [A, 1, d*B],
 * expanded to [A, rep, d*B] and reshaped to cur with axis k times rep.  The
 * last step (last) defines the node's output. */
static int tile_axis(Imp *im, int *v, Shape *cur, int k, int64_t rep, int last)
{
	int64_t A = 1, dB = 1;
	Attrs a, e;

	for (int j = 0; j < cur->rank; j++)
		*(j < k ? &A : &dB) *= cur->d[j];
	ir_attrs_default(&a);
	ir_attrs_default(&e);
	a.nshape = e.nshape = 3;
	a.shape[0] = e.shape[0] = A;
	a.shape[1] = 1;
	e.shape[1] = rep;
	a.shape[2] = e.shape[2] = dB;
	if ((*v = oi_emit_tmp(im, OP_RESHAPE, v, 1, &a)) < 0 ||
	    (*v = oi_emit_tmp(im, OP_EXPAND, v, 1, &e)) < 0)
		return -1;
	cur->d[k] *= rep;
	a.nshape = cur->rank;
	memcpy(a.shape, cur->d, sizeof cur->d);
	if (last)
		return oi_emit(im, OP_RESHAPE, v, 1, &a) < 0 ? -1 : 0;
	return (*v = oi_emit_tmp(im, OP_RESHAPE, v, 1, &a)) < 0 ? -1 : 0;
}

/* Tile: each repeated axis of size d gets an axis of 1 before it, which an
 * expand makes the repeat count, and a reshape merges the pair:
 * [d] -> [1, d] -> [r, d] -> [r * d].  When those axes would exceed the
 * IR's rank, one axis at a time (tile_axis). */
static int lower_tile(Imp *im)
{
	OTensor *x;
	int64_t rep[IR_MAX_RANK];
	int v, n, nrep = 0;
	Attrs a, e;

	ir_attrs_default(&a);
	ir_attrs_default(&e);
	if ((v = oi_runtime(im, 0, &x)) < 0 ||
	    oi_const_ints(im, oi_in(im, 1), "repeats", rep, IR_MAX_RANK, &n))
		return -1;
	const Shape xsv = *oi_shape(im, x), *xs = &xsv;
	if (n != xs->rank)
		return oi_err(im, "repeats has %d values for an input of rank %d", n, xs->rank);
	Shape out = *xs;
	for (int k = 0; k < n; k++) {
		if (rep[k] < 1)
			return oi_err(im, "repeats[%d] = %lld; it must be at least 1", k,
			              (long long)rep[k]);
		if (!ir_mul_ok(out.d[k], rep[k], &out.d[k]) || ir_shape_numel(&out) > OI_MAX_ELEMS)
			return oi_err(im, "the result would be too large");
		nrep += rep[k] > 1;
	}
	if (!nrep)
		return lower_identity(im); /* every repeat is 1 */
	if (n + nrep > IR_MAX_RANK) {
		Shape cur = *xs;
		for (int k = 0, done = 0; k < n; k++)
			if (rep[k] > 1 && tile_axis(im, &v, &cur, k, rep[k], ++done == nrep))
				return -1;
		return 0;
	}
	for (int k = 0; k < n; k++) {
		if (rep[k] > 1) {
			a.shape[a.nshape] = 1;
			e.shape[a.nshape++] = rep[k];
		}
		a.shape[a.nshape] = e.shape[a.nshape] = xs->d[k];
		a.nshape++;
	}
	e.nshape = a.nshape;
	if ((v = oi_emit_tmp(im, OP_RESHAPE, &v, 1, &a)) < 0 ||
	    (v = oi_emit_tmp(im, OP_EXPAND, &v, 1, &e)) < 0)
		return -1;
	a.nshape = out.rank;
	memcpy(a.shape, out.d, sizeof out.d);
	return oi_emit(im, OP_RESHAPE, &v, 1, &a) < 0 ? -1 : 0;
}

/* DepthToSpace and SpaceToDepth (NCHW, blocksize b): a reshape, a
 * transpose and a reshape, as the ONNX specification defines them. */
static int lower_space_depth(Imp *im, int to_space)
{
	OTensor *x;
	int64_t b = 0;
	char mode[16] = "DCR";
	int v;
	Attrs r, t;

	ir_attrs_default(&r);
	ir_attrs_default(&t);
	if ((v = oi_runtime(im, 0, &x)) < 0 || oi_attr_int(im, "blocksize", &b) < 0 ||
	    oi_attr_str(im, "mode", mode, sizeof mode) < 0)
		return -1;
	const Shape xsv = *oi_shape(im, x), *xs = &xsv;
	if (xs->rank != 4)
		return oi_err(im, "the input must have rank 4 (NCHW), not %d", xs->rank);
	int64_t N = xs->d[0], C = xs->d[1], H = xs->d[2], W = xs->d[3];
	if (b < 1)
		return oi_err(im, "blocksize must be at least 1");
	int crd = to_space && strcmp(mode, "CRD") == 0;
	if (to_space && !crd && strcmp(mode, "DCR") != 0)
		return oi_err(im, "mode '%s' is not DCR or CRD", mode);
	r.nshape = t.nperm = 6;
	if (to_space) {
		if (C % (b * b))
			return oi_err(im, "%lld channels do not divide by blocksize^2 = %lld",
			              (long long)C, (long long)(b * b));
		int64_t c = C / (b * b);
		const int64_t dcr[6] = {N, b, b, c, H, W}, crs[6] = {N, c, b, b, H, W};
		const int64_t pdcr[6] = {0, 3, 4, 1, 5, 2}, pcrd[6] = {0, 1, 4, 2, 5, 3};
		memcpy(r.shape, crd ? crs : dcr, sizeof dcr);
		memcpy(t.perm, crd ? pcrd : pdcr, sizeof pdcr);
	} else {
		if (H % b || W % b)
			return oi_err(im,
			              "height %lld and width %lld must divide by blocksize %lld",
			              (long long)H, (long long)W, (long long)b);
		const int64_t sh[6] = {N, C, H / b, b, W / b, b}, p[6] = {0, 3, 5, 1, 2, 4};
		memcpy(r.shape, sh, sizeof sh);
		memcpy(t.perm, p, sizeof p);
	}
	if ((v = oi_emit_tmp(im, OP_RESHAPE, &v, 1, &r)) < 0 ||
	    (v = oi_emit_tmp(im, OP_TRANSPOSE, &v, 1, &t)) < 0)
		return -1;
	r.nshape = 4;
	const int64_t sp[4] = {N, C / (b * b), H * b, W * b}, dp[4] = {N, C * b * b, H / b, W / b};
	memcpy(r.shape, to_space ? sp : dp, sizeof sp);
	return oi_emit(im, OP_RESHAPE, &v, 1, &r) < 0 ? -1 : 0;
}

static int lower_depth_to_space(Imp *im)
{
	return lower_space_depth(im, 1);
}

static int lower_space_to_depth(Imp *im)
{
	return lower_space_depth(im, 0);
}

/* Index of word in a NULL-terminated list, or -1. */
static int word_index(const char *const *list, const char *word)
{
	for (int k = 0; list[k]; k++)
		if (strcmp(list[k], word) == 0)
			return k;
	return -1;
}

/* Resize (opset 11+: X, roi, scales, sizes; scales or sizes constant):
 * nearest and linear; the IR's resize takes the scales as an f32 constant
 * and the result's shape (from sizes, or floor(n * scale) as f32). */
static int lower_resize(Imp *im)
{
	OTensor *x, *sc = oi_in(im, 2), *sz = oi_in(im, 3);
	char mode[32] = "nearest", coord[32] = "half_pixel", nearest[32] = "round_prefer_floor";
	int64_t sizes[IR_MAX_RANK], iv;
	float scales[IR_MAX_RANK];
	int in[2], ns = -1;
	Attrs a;

	ir_attrs_default(&a);
	if ((in[0] = oi_runtime(im, 0, &x)) < 0 || oi_attr_str(im, "mode", mode, sizeof mode) < 0 ||
	    oi_attr_str(im, "coordinate_transformation_mode", coord, sizeof coord) < 0 ||
	    oi_attr_str(im, "nearest_mode", nearest, sizeof nearest) < 0)
		return -1;
	const Shape xsv = *oi_shape(im, x), *xs = &xsv;
	if (strcmp(mode, "cubic") == 0)
		return oi_err(im, "mode 'cubic' is not supported (only nearest and linear)");
	if (strcmp(mode, "nearest") != 0 && strcmp(mode, "linear") != 0)
		return oi_err(im, "mode '%s' is not nearest, linear or cubic", mode);
	if (strcmp(coord, "tf_crop_and_resize") == 0)
		return oi_err(im, "coordinate_transformation_mode 'tf_crop_and_resize' is not "
		                  "supported");
	if ((a.coord = word_index(ir_attr_words(AI_COORD), coord)) < 0)
		return oi_err(im, "coordinate_transformation_mode '%s' is unknown", coord);
	static const char *const rounding[] = {"round_prefer_floor", "round_prefer_ceil", "floor",
	                                       "ceil", NULL};
	int r = word_index(rounding, nearest);
	if (r < 0)
		return oi_err(im, "nearest_mode '%s' is unknown", nearest);
	/* IR_RESIZE_NEAREST.. are the roundings in ONNX's order */
	a.mode = strcmp(mode, "linear") == 0 ? IR_RESIZE_LINEAR : r;
	if ((oi_attr_int(im, "antialias", &iv) > 0 && iv) || oi_attr(im, "axes") ||
	    (oi_attr(im, "keep_aspect_ratio_policy") &&
	     oi_attr_str(im, "keep_aspect_ratio_policy", nearest, sizeof nearest) >= 0 &&
	     strcmp(nearest, "stretch") != 0))
		return oi_err(im, "the attributes antialias, axes and keep_aspect_ratio_policy are "
		                  "not supported");
	if (sc && sc->isconst && oi_numel(sc) == 0)
		sc = NULL; /* an empty scales: the sizes count */
	if (sz && sz->isconst && oi_numel(sz) == 0)
		sz = NULL;
	if (!sc == !sz)
		return oi_err(im, "exactly one of scales and sizes must be given");
	if (sz) {
		if (oi_const_ints(im, sz, "sizes", sizes, IR_MAX_RANK, &ns))
			return -1;
	} else {
		if (!sc->isconst)
			return oi_err(im, "scales ('%s') must be a constant", sc->name);
		if (sc->dt != DT_F32 || sc->shape.rank != 1)
			return oi_err(im, "scales ('%s') must be a list of floats", sc->name);
		ns = (int)oi_numel(sc);
	}
	if (ns != xs->rank)
		return oi_err(im, "%s has %d values for an input of rank %d",
		              sz ? "sizes" : "scales", ns, xs->rank);
	a.nshape = xs->rank;
	for (int k = 0; k < xs->rank; k++) {
		if (sz) {
			if (sizes[k] < 1)
				return oi_err(im, "sizes[%d] = %lld", k, (long long)sizes[k]);
			a.shape[k] = sizes[k];
			scales[k] = (float)sizes[k] / (float)xs->d[k];
		} else {
			scales[k] = (float)oi_getf(sc, k);
			if (!(scales[k] > 0 && scales[k] <= 65536))
				return oi_err(im, "scales[%d] = %g", k, (double)scales[k]);
			a.shape[k] = (int64_t)floorf(scales[k] * (float)xs->d[k]);
			if (a.shape[k] < 1)
				return oi_err(im, "scales[%d] = %g gives an empty result", k,
				              (double)scales[k]);
		}
	}
	Shape s1 = {1, {xs->rank}};
	in[1] = oi_new_const(im, "scales", &s1, scales);
	return oi_emit(im, OP_RESIZE, in, 2, &a) < 0 ? -1 : 0;
}

/* ---- comparisons and masks ------------------------------------------------ */

/* Equal, Less, Greater, LessOrEqual, GreaterOrEqual: a u8 mask (ONNX's
 * bool) from two float operands that broadcast. */
static int lower_equal(Imp *im)
{
	return lower_binary(im, OP_EQUAL);
}
static int lower_less(Imp *im)
{
	return lower_binary(im, OP_LESS);
}
static int lower_greater(Imp *im)
{
	return lower_binary(im, OP_GREATER);
}
static int lower_less_equal(Imp *im)
{
	return lower_binary(im, OP_LESS_EQUAL);
}
static int lower_greater_equal(Imp *im)
{
	return lower_binary(im, OP_GREATER_EQUAL);
}

/* Where(cond, a, b): cond must be a mask a comparison made; a and b float
 * tensors or constants. */
static int lower_where(Imp *im)
{
	int in[3];

	for (int k = 0; k < 3; k++)
		if ((in[k] = operand_value(im, k)) < 0)
			return -1;
	if (im->g->vals[in[0]].dt != DT_U8)
		return oi_err(im, "the condition must be a comparison's result (a bool mask "
		                  "computed at run time)");
	return oi_emit(im, OP_WHERE, in, 3, NULL) < 0 ? -1 : 0;
}

/* Cast of a mask to FLOAT: where(m, 1, 0). */
static int lower_mask_to_float(Imp *im, int m)
{
	Shape s0 = {0, {0}};
	int in[3] = {m, oi_new_const(im, "one", &s0, (const float[1]){1.0f}),
	             oi_new_const(im, "zero", &s0, (const float[1]){0.0f})};

	return oi_emit(im, OP_WHERE, in, 3, NULL) < 0 ? -1 : 0;
}

/* Cast to BOOL: a mask stays itself; a float tensor becomes to_bool(x)
 * (x != 0, exact in int8 too: q != zp). */
static int lower_cast_to_bool(Imp *im, OTensor *x)
{
	DType dt = im->g->vals[x->v].dt;

	if (dt == DT_U8)
		return lower_identity(im);
	if (dt != DT_F32)
		return oi_err(im,
		              "casting a %s tensor to BOOL is not supported (only FLOAT and BOOL)",
		              ir_dtype_name(dt));
	return oi_emit(im, OP_TO_BOOL, &x->v, 1, NULL) < 0 ? -1 : 0;
}

/* Not, And, Or, Xor: u8 masks (a comparison's result or a BOOL input) in
 * and out; And, Or, Xor broadcast. */
static int lower_logic(Imp *im, Op op, int nin)
{
	int in[2];

	for (int k = 0; k < nin; k++) {
		OTensor *t;
		if ((in[k] = oi_runtime(im, k, &t)) < 0)
			return -1;
		if (im->g->vals[in[k]].dt != DT_U8)
			return oi_err(im,
			              "input %d must be a bool mask computed at run time (a "
			              "comparison's result or a BOOL input), not %s",
			              k, ir_dtype_name(im->g->vals[in[k]].dt));
	}
	return oi_emit(im, op, in, nin, NULL) < 0 ? -1 : 0;
}
static int lower_not(Imp *im)
{
	return lower_logic(im, OP_NOT, 1);
}
static int lower_and(Imp *im)
{
	return lower_logic(im, OP_AND, 2);
}
static int lower_or(Imp *im)
{
	return lower_logic(im, OP_OR, 2);
}
static int lower_xor(Imp *im)
{
	return lower_logic(im, OP_XOR, 2);
}

/* ---- the table -------------------------------------------------------------------- */

/* Sorted by op type; docs/onnx.md lists the same operators. */
const OnnxOp oi_ops[] = {
        /* op type              fold (constant inputs)      lower (run-time inputs) */
        {"Abs", NULL, lower_abs, "abs"},
        {"Add", oi_fold_binary, lower_add, "add"},
        {"And", NULL, lower_and, "and"},
        {"AveragePool", NULL, lower_avgpool, "avgpool2d, reshape"},
        {"BatchNormalization", NULL, lower_batchnorm, "mul, add"},
        {"Cast", oi_fold_cast, lower_cast, "where, to_bool"},
        {"Ceil", NULL, lower_ceil, "ceil"},
        {"Celu", NULL, lower_celu, "celu"},
        {"Clip", NULL, lower_clip, "relu, clip"},
        {"Concat", oi_fold_concat, lower_concat, "concat"},
        {"Constant", oi_fold_constant, NULL, ""},
        {"ConstantOfShape", oi_fold_constant_of_shape, NULL, ""},
        {"Conv", NULL, lower_conv, "conv2d, reshape"},
        {"ConvTranspose", NULL, lower_conv_transpose, "reshape, pad, conv2d, slice"},
        {"DepthToSpace", NULL, lower_depth_to_space, "reshape, transpose"},
        {"DequantizeLinear", oi_fold_dequantize, oi_lower_dequantize, ""},
        {"Div", oi_fold_binary, lower_div_pattern, "div, mul, hard_swish"},
        {"Dropout", oi_fold_identity, lower_dropout, ""},
        {"Elu", NULL, lower_elu, "elu"},
        {"Equal", NULL, lower_equal, "equal"},
        {"Erf", NULL, lower_erf, "erf"},
        {"Exp", NULL, lower_exp, "exp"},
        {"Expand", oi_fold_expand, lower_expand, "expand"},
        {"Flatten", oi_fold_flatten, lower_flatten, "flatten"},
        {"Floor", NULL, lower_floor, "floor"},
        {"GRU", NULL, oi_lower_gru,
         "dense, slice, add, sub, mul, sigmoid, tanh, concat, reshape, transpose"},
        {"Gather", oi_fold_gather, lower_gather, "gather"},
        {"Gelu", NULL, lower_gelu, "gelu"},
        {"Gemm", NULL, lower_gemm, "dense, matmul, transpose, mul, add"},
        {"GlobalAveragePool", NULL, lower_global_avgpool, "global_avgpool"},
        {"GlobalMaxPool", NULL, lower_global_maxpool, "reduce_max"},
        {"Greater", NULL, lower_greater, "greater"},
        {"GreaterOrEqual", NULL, lower_greater_equal, "greater_equal"},
        {"GroupNormalization", NULL, oi_lower_group_norm,
         "reshape, reduce_mean, sub, mul, add, sqrt, reciprocal"},
        {"HardSigmoid", NULL, lower_hard_sigmoid, "hard_sigmoid"},
        {"HardSwish", NULL, lower_hard_swish, "hard_swish"},
        {"Identity", oi_fold_identity, lower_identity, ""},
        {"InstanceNormalization", NULL, oi_lower_instance_norm,
         "reduce_mean, sub, mul, add, sqrt, reciprocal"},
        {"LSTM", NULL, oi_lower_lstm,
         "dense, slice, add, mul, sigmoid, tanh, concat, reshape, transpose"},
        {"LayerNormalization", NULL, oi_lower_layer_norm,
         "reduce_mean, sub, mul, add, sqrt, reciprocal"},
        {"LeakyRelu", NULL, lower_leaky_relu, "leaky_relu"},
        {"Less", NULL, lower_less, "less"},
        {"LessOrEqual", NULL, lower_less_equal, "less_equal"},
        {"Log", NULL, lower_log, "log"},
        {"LogSoftmax", NULL, lower_log_softmax, "log_softmax"},
        {"MatMul", NULL, lower_matmul, "dense, matmul, reshape"},
        {"Max", NULL, lower_max, "max"},
        {"MaxPool", NULL, lower_maxpool, "maxpool2d, reshape"},
        {"Mean", NULL, lower_mean, "add, mul"},
        {"Min", NULL, lower_min, "min"},
        {"Mish", NULL, lower_mish, "mish"},
        {"Mul", oi_fold_binary, lower_mul_pattern, "mul, hard_swish"},
        {"Neg", NULL, lower_neg, "neg"},
        {"Not", NULL, lower_not, "not"},
        {"Or", NULL, lower_or, "or"},
        {"PRelu", NULL, lower_prelu, "prelu"},
        {"Pad", NULL, lower_pad, "slice, pad"},
        {"Pow", NULL, lower_pow, "pow, powv"},
        {"QuantizeLinear", oi_fold_quantize, oi_lower_quantize, ""},
        {"RNN", NULL, oi_lower_rnn, "dense, slice, add, tanh, concat, reshape, transpose"},
        {"Reciprocal", NULL, lower_reciprocal, "reciprocal"},
        {"ReduceL1", NULL, lower_reduce_l1, "abs, reduce_sum"},
        {"ReduceL2", NULL, lower_reduce_l2, "reduce_l2"},
        {"ReduceMax", NULL, lower_reduce_max, "reduce_max"},
        {"ReduceMean", NULL, lower_reduce_mean, "reduce_mean"},
        {"ReduceMin", NULL, lower_reduce_min, "reduce_min"},
        {"ReduceProd", NULL, lower_reduce_prod, "reduce_prod"},
        {"ReduceSum", NULL, lower_reduce_sum, "reduce_sum"},
        {"ReduceSumSquare", NULL, lower_reduce_sum_square, "mul, reduce_sum"},
        {"Relu", NULL, lower_relu, "relu"},
        {"Reshape", oi_fold_reshape, lower_reshape, "reshape"},
        {"Resize", NULL, lower_resize, "resize"},
        {"Round", NULL, lower_round, "round"},
        {"Selu", NULL, lower_selu, "selu"},
        {"Shape", oi_fold_shape, oi_fold_shape, ""},
        {"Shrink", NULL, lower_shrink, "shrink"},
        {"Sigmoid", NULL, lower_sigmoid, "sigmoid"},
        {"Sign", NULL, lower_sign, "sign"},
        {"Slice", oi_fold_slice, lower_slice, "slice"},
        {"Softmax", NULL, lower_softmax, "softmax"},
        {"Softplus", NULL, lower_softplus, "softplus"},
        {"Softsign", NULL, lower_softsign, "softsign"},
        {"SpaceToDepth", NULL, lower_space_to_depth, "reshape, transpose"},
        {"Split", NULL, lower_split, "slice"},
        {"Sqrt", NULL, lower_sqrt, "sqrt"},
        {"Squeeze", oi_fold_squeeze, lower_squeeze, "reshape"},
        {"Sub", oi_fold_binary, lower_sub, "sub"},
        {"Sum", NULL, lower_sum, "add"},
        {"Tanh", NULL, lower_tanh, "tanh"},
        {"ThresholdedRelu", NULL, lower_thresholded_relu, "thresholded_relu"},
        {"Tile", NULL, lower_tile, "reshape, expand"},
        {"Transpose", oi_fold_transpose, lower_transpose, "transpose"},
        {"Unsqueeze", oi_fold_unsqueeze, lower_unsqueeze, "reshape"},
        {"Where", NULL, lower_where, "where"},
        {"Xor", NULL, lower_xor, "xor"},
        /* ---- trig (issue 18) ---- */
        {"Sin", NULL, lower_sin, "sin"},
        {"Cos", NULL, lower_cos, "cos"},
        {"Tan", NULL, lower_tan, "tan"},
        {"Asin", NULL, lower_asin, "asin"},
        {"Acos", NULL, lower_acos, "acos"},
        {"Atan", NULL, lower_atan, "atan"},
        {"Sinh", NULL, lower_sinh, "sinh"},
        {"Cosh", NULL, lower_cosh, "cosh"},
        {"Asinh", NULL, lower_asinh, "asinh"},
        {"Acosh", NULL, lower_acosh, "acosh"},
        {"Atanh", NULL, lower_atanh, "atanh"},
        /* ---- log-sum reductions (issue 18) ---- */
        {"ReduceLogSum", NULL, lower_reduce_log_sum, "reduce_sum, log"},
        {"ReduceLogSumExp", NULL, lower_reduce_log_sum_exp,
         "reduce_max, sub, exp, reduce_sum, log, add"},
};
const int oi_nops = sizeof oi_ops / sizeof oi_ops[0];
