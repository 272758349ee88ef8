/* frontend/onnx_norm.c — the ONNX normalizations InstanceNormalization,
 * LayerNormalization and GroupNormalization, lowered at import into IR ops
 * that already have f32, int8 and int16 kernels:
 *
 *   m = reduce_mean(x, axes, keepdims=1)     d = sub(x, m)
 *   v = reduce_mean(mul(d, d), axes, keepdims=1)
 *   y = mul(d, reciprocal(sqrt(add(v, epsilon))))
 *
 * then mul by the scale constant and add the bias constant, each skipped
 * when it is all ones / all zeros.  LayerNormalization's optional outputs
 * Mean and InvStdDev are m and the reciprocal.  GroupNormalization normalizes x
 * reshaped to [N, G, -1] and reshapes back before its per-channel scale. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_import.h"

static int emit1(Imp *im, Op op, int x, const Attrs *a)
{
	Attrs d;
	if (!a) {
		ir_attrs_default_op(&d, op);
		a = &d;
	}
	return x < 0 ? -1 : oi_emit_tmp(im, op, &x, 1, a);
}

static int emit2(Imp *im, Op op, int a, int b)
{
	int in[2] = {a, b};
	return a < 0 || b < 0 ? -1 : oi_emit_tmp(im, op, in, 2, NULL);
}

static int reshape_to(Imp *im, int v, const Shape *s)
{
	Attrs a;
	ir_attrs_default(&a);
	a.nshape = s->rank;
	memcpy(a.shape, s->d, (size_t)s->rank * sizeof *s->d);
	return emit1(im, OP_RESHAPE, v, &a);
}

/* op on x, as output k of the node (named after it) when a later node or
 * the graph reads output k, else as an intermediate value */
static int emit_as(Imp *im, int k, Op op, int x, const Attrs *a)
{
	if (x < 0 || !oi_out_used(im, k))
		return emit1(im, op, x, a);
	Attrs d;
	if (!a) {
		ir_attrs_default_op(&d, op);
		a = &d;
	}
	int n = oi_emit_out(im, k, op, &x, 1, a);
	return n < 0 ? -1 : im->g->nodes[n].out;
}

/* (x - mean) / sqrt(var + eps) over axes first..rank-1 of x.  With outs,
 * mean and 1 / sqrt(var + eps) (reduced axes kept as 1) also define the
 * node's outputs 1 and 2 (LayerNormalization's Mean and InvStdDev). */
static int normalize(Imp *im, int x, int first, int rank, float eps, int outs)
{
	Attrs r;
	ir_attrs_default_op(&r, OP_REDUCE_MEAN);
	r.keepdims = 1;
	r.naxes = rank - first;
	for (int k = first; k < rank; k++)
		r.axes[k - first] = k;
	int m = outs ? emit_as(im, 1, OP_REDUCE_MEAN, x, &r) : emit1(im, OP_REDUCE_MEAN, x, &r);
	int d = emit2(im, OP_SUB, x, m);
	int v = emit1(im, OP_REDUCE_MEAN, emit2(im, OP_MUL, d, d), &r);
	int e = oi_new_const(im, "epsilon", &(Shape){1, {1}}, &eps);
	int q = emit1(im, OP_SQRT, emit2(im, OP_ADD, v, e), NULL);
	int s = outs ? emit_as(im, 2, OP_RECIPROCAL, q, NULL) : emit1(im, OP_RECIPROCAL, q, NULL);
	return emit2(im, OP_MUL, d, s);
}

/* The constant input k as n floats (a [n] or broadcastable tensor), or NULL
 * (absent: *got 0) */
static float *const_floats(Imp *im, int k, const char *what, int64_t *n, int *bad)
{
	OTensor *t = oi_in(im, k);
	*bad = 0;
	if (!t)
		return NULL;
	if (!t->isconst) {
		*bad = 1;
		oi_err(im, "%s computed at run time is not supported (only a constant)", what);
		return NULL;
	}
	*n = oi_numel(t);
	float *f = ir_xmalloc((size_t)(*n ? *n : 1) * sizeof *f);
	for (int64_t i = 0; i < *n; i++)
		f[i] = (float)oi_getf(t, i);
	return f;
}

static int all_eq(const float *f, int64_t n, float c)
{
	for (int64_t i = 0; f && i < n; i++)
		if (f[i] != c)
			return 0;
	return 1;
}

/* y * scale + bias with constants of shape cs (either may be NULL); the last
 * op emitted defines the node's output 0. */
static int affine(Imp *im, int y, const Shape *cs, float *scale, float *bias)
{
	int64_t n = ir_shape_numel(cs);
	int mul = scale && !all_eq(scale, n, 1), add = bias && !all_eq(bias, n, 0), rc = -1;

	if (y < 0)
		goto out;
	if (mul) {
		int in[2] = {y, oi_new_const(im, "scale", cs, scale)};
		y = add ? oi_emit_tmp(im, OP_MUL, in, 2, NULL) : oi_emit(im, OP_MUL, in, 2, NULL);
		if (y < 0)
			goto out;
	}
	if (add) {
		int in[2] = {y, oi_new_const(im, "bias", cs, bias)};
		rc = oi_emit(im, OP_ADD, in, 2, NULL) < 0 ? -1 : 0;
	} else if (!mul) /* identity affine: the normalized value is the output */
		rc = oi_def_value(im, 0, y);
	else
		rc = 0;
out:
	free(scale);
	free(bias);
	return rc;
}

/* [C] constants as [C, 1, ..] for an input of rank rank */
static Shape channel_shape(int64_t C, int rank)
{
	Shape s = {rank - 1, {C}};
	for (int k = 1; k < rank - 1; k++)
		s.d[k] = 1;
	return s;
}

int oi_lower_instance_norm(Imp *im)
{
	OTensor *x;
	float eps = 1e-5f;
	int64_t ns = 0, nb = 0;
	int v, bad;

	if ((v = oi_runtime(im, 0, &x)) < 0 || oi_attr_float(im, "epsilon", &eps) < 0)
		return -1;
	const Shape xs = *oi_shape(im, x);
	if (xs.rank < 3)
		return oi_err(im, "input has rank %d; it needs [N, C, D1, ...]", xs.rank);
	float *scale = const_floats(im, 1, "scale", &ns, &bad);
	if (bad)
		return -1;
	float *bias = const_floats(im, 2, "B", &nb, &bad);
	if (bad || (scale && ns != xs.d[1]) || (bias && nb != xs.d[1])) {
		free(scale);
		free(bias);
		return bad ? -1
		           : oi_err(im, "scale and B must have C = %lld values",
		                    (long long)xs.d[1]);
	}
	Shape cs = channel_shape(xs.d[1], xs.rank);
	return affine(im, normalize(im, v, 2, xs.rank, eps, 0), &cs, scale, bias);
}

int oi_lower_layer_norm(Imp *im)
{
	OTensor *x;
	float eps = 1e-5f;
	int64_t axis = -1, stash = 1, ns = 0, nb = 0;
	int v, bad;

	if ((v = oi_runtime(im, 0, &x)) < 0 || oi_attr_float(im, "epsilon", &eps) < 0 ||
	    oi_attr_int(im, "axis", &axis) < 0 || oi_attr_int(im, "stash_type", &stash) < 0)
		return -1;
	const Shape xs = *oi_shape(im, x);
	if (axis < -xs.rank || axis >= xs.rank)
		return oi_err(im, "axis %lld is out of range for rank %d", (long long)axis,
		              xs.rank);
	if (stash != 1)
		return oi_err(im, "stash_type %lld is not supported (only 1: float)",
		              (long long)stash);
	int first = (int)(axis < 0 ? axis + xs.rank : axis);
	Shape cs = {xs.rank - first, {0}};
	memcpy(cs.d, xs.d + first, (size_t)cs.rank * sizeof *cs.d);
	int64_t n = ir_shape_numel(&cs);
	float *scale = const_floats(im, 1, "Scale", &ns, &bad);
	if (bad)
		return -1;
	float *bias = const_floats(im, 2, "B", &nb, &bad);
	if (bad || !scale || ns != n || (bias && nb != n)) {
		free(scale);
		free(bias);
		return bad ? -1
		           : oi_err(im,
		                    "Scale (and B) must be constants of the normalized "
		                    "shape, %lld values",
		                    (long long)n);
	}
	return affine(im, normalize(im, v, first, xs.rank, eps, 1), &cs, scale, bias);
}

/* GroupNormalization: opset 18 gives scale and bias per group, 21 per
 * channel; a per-group value is repeated for the group's C / G channels. */
int oi_lower_group_norm(Imp *im)
{
	OTensor *x;
	float eps = 1e-5f;
	int64_t G = 0, ns = 0, nb = 0, stash = 1;
	int v, bad;

	if ((v = oi_runtime(im, 0, &x)) < 0 || oi_attr_float(im, "epsilon", &eps) < 0 ||
	    oi_attr_int(im, "stash_type", &stash) < 0)
		return -1;
	if (oi_attr_int(im, "num_groups", &G) != 1)
		return oi_err(im, "needs its attribute 'num_groups'");
	if (stash != 1)
		return oi_err(im, "stash_type %lld is not supported (only 1: float)",
		              (long long)stash);
	const Shape xs = *oi_shape(im, x);
	if (xs.rank < 3)
		return oi_err(im, "input has rank %d; it needs [N, C, D1, ...]", xs.rank);
	int64_t C = xs.d[1];
	if (G < 1 || C % G)
		return oi_err(im, "num_groups %lld does not divide the %lld channels", (long long)G,
		              (long long)C);
	float *scale = const_floats(im, 1, "scale", &ns, &bad);
	if (bad)
		return -1;
	float *bias = const_floats(im, 2, "bias", &nb, &bad);
	if (bad || !scale || !bias || (ns != C && ns != G) || nb != ns) {
		free(scale);
		free(bias);
		return bad ? -1
		           : oi_err(im,
		                    "scale and bias must be constants of %lld (per "
		                    "channel) or %lld (per group) values",
		                    (long long)C, (long long)G);
	}
	if (ns != C) { /* per group: repeat each value for its channels */
		float *s = ir_xmalloc((size_t)C * sizeof *s),
		      *b = ir_xmalloc((size_t)C * sizeof *b);
		for (int64_t c = 0; c < C; c++) {
			s[c] = scale[c / (C / G)];
			b[c] = bias[c / (C / G)];
		}
		free(scale);
		free(bias);
		scale = s;
		bias = b;
	}
	Shape gs = {3, {xs.d[0], G, ir_shape_numel(&xs) / xs.d[0] / G}};
	int y = normalize(im, reshape_to(im, v, &gs), 2, 3, eps, 0);
	Shape cs = channel_shape(C, xs.rank);
	return affine(im, y < 0 ? -1 : reshape_to(im, y, &xs), &cs, scale, bias);
}
