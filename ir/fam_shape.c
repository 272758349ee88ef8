/* ir/fam_shape.c — the shape family (flatten, reshape, pad, transpose,
 * slice, gather, expand, resize) in the ir layer: the reference interpreter's checks and kernels, every
 * precision at once (they move bytes: a quantized result keeps its input's
 * scale and zero point, OPF_KEEPQ).  Their attributes are read by
 * ir/geometry.c, as every pass and the backend read them.
 *
 * The definitions, per output element (targets/fam_shape.c computes the
 * same bits):
 *   flatten, reshape   the bytes, unchanged (OPF_VIEW).
 *   pad        constant mode: every element the value (int: quantized with
 *              the input's parameters, saturating: ir_quantize_value), then
 *              x copied to offset begin; the other modes: out[o] =
 *              x[ir_pad_source(o - begin)] per axis.
 *   transpose  out[i0..ik] = x[j] with j's axis perm[k] index = ik.
 *   slice      out[i0..ik] = x[first0 + i0*step0, ..., firstk + ik*stepk]
 *              (ir_slice_geo).
 *   gather     x as [outer, n, inner], out as [outer, ni, inner]:
 *              out[o, j, i] = x[o, k(idx[j]), i], k(v) = v < 0 ? v + n : v
 *              (a run-time index is clamped to [0, n-1] then).
 *   expand     out[i] = x[sum ik * xst[k]] (ir_expand_strides: 0 where x
 *              is broadcast).
 *   resize     nearest: per axis the source index of ir_resize_nearest;
 *              linear: ir_resize_linear's (f32) or ir_resize_linear_q's
 *              (int) indices and weights on the last two axes, combined as
 *              ops.def's row says.
 */
#include <string.h>

#include "ir_rules.h"

/* ---- pad, transpose ------------------------------------------------------- */

/* C-order strides of a shape, in elements. */
static void strides(const Shape *s, int64_t *st)
{
	int64_t m = 1;

	for (int k = s->rank - 1; k >= 0; k--) {
		st[k] = m;
		m *= s->d[k];
	}
}

/* The bytes of one padding element in dt. */
static void pad_element(const Value *x, float value, unsigned char *e)
{
	if (x->dt == DT_F32) {
		memcpy(e, &value, 4);
	} else if (x->dt == DT_I8) {
		int8_t q = (int8_t)ir_quantize_value(value, x->q.scale[0], x->q.zp, DT_I8);
		memcpy(e, &q, 1);
	} else {
		int16_t q = (int16_t)ir_quantize_value(value, x->q.scale[0], x->q.zp, DT_I16);
		memcpy(e, &q, 2);
	}
}

/* pad's modes other than constant: idx walks out in C order, each axis's
 * index mapped into x by ir_pad_source. */
static void run_pad_from_x(const Graph *g, const Node *n, const void *x, void *out,
                           const int64_t *begin)
{
	const Value *xv = &g->vals[n->in[0]], *ov = &g->vals[n->out];
	const int rank = xv->shape.rank;
	const size_t es = (size_t)ir_dtype_size(xv->dt);
	int64_t xst[IR_MAX_RANK], idx[IR_MAX_RANK] = {0};

	strides(&xv->shape, xst);
	for (int64_t i = 0, cnt = ir_shape_numel(&ov->shape); i < cnt; i++) {
		int64_t j = 0;
		for (int k = 0; k < rank; k++)
			j += ir_pad_source(n->a.pad_mode, idx[k] - begin[k], xv->shape.d[k]) *
			     xst[k];
		memcpy((unsigned char *)out + (size_t)i * es,
		       (const unsigned char *)x + (size_t)j * es, es);
		for (int k = rank - 1; k >= 0 && ++idx[k] == ov->shape.d[k]; k--)
			idx[k] = 0;
	}
}

static void run_pad(const Graph *g, const Node *n, const void *x, void *out)
{
	const Value *xv = &g->vals[n->in[0]], *ov = &g->vals[n->out];
	const int rank = xv->shape.rank;
	const size_t es = (size_t)ir_dtype_size(xv->dt);
	const int64_t cnt = ir_shape_numel(&xv->shape), ocnt = ir_shape_numel(&ov->shape);
	int64_t begin[IR_MAX_RANK], end[IR_MAX_RANK], ost[IR_MAX_RANK], idx[IR_MAX_RANK] = {0};
	unsigned char e[4];

	ir_pad_amounts(&n->a, rank, begin, end);
	if (n->a.pad_mode != IR_PAD_CONSTANT) {
		run_pad_from_x(g, n, x, out, begin);
		return;
	}
	strides(&ov->shape, ost);
	pad_element(xv, n->a.value, e);
	for (int64_t i = 0; i < ocnt; i++)
		memcpy((unsigned char *)out + (size_t)i * es, e, es);
	/* idx walks x in C order */
	for (int64_t i = 0; i < cnt; i++) {
		int64_t o = 0;
		for (int k = 0; k < rank; k++)
			o += (idx[k] + begin[k]) * ost[k];
		memcpy((unsigned char *)out + (size_t)o * es,
		       (const unsigned char *)x + (size_t)i * es, es);
		for (int k = rank - 1; k >= 0 && ++idx[k] == xv->shape.d[k]; k--)
			idx[k] = 0;
	}
}

static void run_transpose(const Graph *g, const Node *n, const void *x, void *out)
{
	const Value *xv = &g->vals[n->in[0]], *ov = &g->vals[n->out];
	const int rank = xv->shape.rank;
	const size_t es = (size_t)ir_dtype_size(xv->dt);
	const int64_t cnt = ir_shape_numel(&ov->shape);
	int64_t xst[IR_MAX_RANK], idx[IR_MAX_RANK] = {0};
	int perm[IR_MAX_RANK];

	ir_transpose_perm(&n->a, rank, perm);
	strides(&xv->shape, xst);
	/* idx walks out in C order; out axis k is x axis perm[k] */
	for (int64_t i = 0; i < cnt; i++) {
		int64_t j = 0;
		for (int k = 0; k < rank; k++)
			j += idx[k] * xst[perm[k]];
		memcpy((unsigned char *)out + (size_t)i * es,
		       (const unsigned char *)x + (size_t)j * es, es);
		for (int k = rank - 1; k >= 0 && ++idx[k] == ov->shape.d[k]; k--)
			idx[k] = 0;
	}
}

static void run_slice(const Graph *g, const Node *n, const void *x, void *out)
{
	const Value *xv = &g->vals[n->in[0]];
	const int rank = xv->shape.rank;
	const size_t es = (size_t)ir_dtype_size(xv->dt);
	int64_t xst[IR_MAX_RANK], first[IR_MAX_RANK], step[IR_MAX_RANK], idx[IR_MAX_RANK] = {0};
	Shape os;

	ir_slice_geo(&n->a, &xv->shape, first, step, &os);
	strides(&xv->shape, xst);
	/* idx walks out in C order */
	for (int64_t i = 0, cnt = ir_shape_numel(&os); i < cnt; i++) {
		int64_t j = 0;
		for (int k = 0; k < rank; k++)
			j += (first[k] + idx[k] * step[k]) * xst[k];
		memcpy((unsigned char *)out + (size_t)i * es,
		       (const unsigned char *)x + (size_t)j * es, es);
		for (int k = rank - 1; k >= 0 && ++idx[k] == os.d[k]; k--)
			idx[k] = 0;
	}
}

/* A gather index made an index of an axis of size n (clamped: a run-time
 * index may be anything; a constant one was checked). */
static int64_t gather_index(int64_t v, int64_t n)
{
	v = v < 0 ? v + n : v;
	return v < 0 ? 0 : v >= n ? n - 1 : v;
}

static void run_gather(const Graph *g, const Node *nd, const void *x, const int64_t *idx, void *out)
{
	const Value *xv = &g->vals[nd->in[0]], *iv = &g->vals[nd->in[1]];
	const size_t es = (size_t)ir_dtype_size(xv->dt);
	const int64_t ni = ir_shape_numel(&iv->shape);
	int64_t outer, n, inner;
	Shape os;

	ir_gather_geo(&xv->shape, &iv->shape, nd->a.axis, &outer, &n, &inner, &os);
	for (int64_t o = 0; o < outer; o++)
		for (int64_t j = 0; j < ni; j++)
			memcpy((unsigned char *)out + (size_t)((o * ni + j) * inner) * es,
			       (const unsigned char *)x +
			               (size_t)((o * n + gather_index(idx[j], n)) * inner) * es,
			       (size_t)inner * es);
}

static void run_expand(const Graph *g, const Node *n, const void *x, void *out)
{
	const Value *xv = &g->vals[n->in[0]], *ov = &g->vals[n->out];
	const size_t es = (size_t)ir_dtype_size(xv->dt);
	int64_t xst[IR_MAX_RANK], idx[IR_MAX_RANK] = {0};
	const int rank = ov->shape.rank;

	ir_expand_strides(&xv->shape, &ov->shape, xst);
	for (int64_t i = 0, cnt = ir_shape_numel(&ov->shape); i < cnt; i++) {
		int64_t j = 0;
		for (int k = 0; k < rank; k++)
			j += idx[k] * xst[k];
		memcpy((unsigned char *)out + (size_t)i * es,
		       (const unsigned char *)x + (size_t)j * es, es);
		for (int k = rank - 1; k >= 0 && ++idx[k] == ov->shape.d[k]; k--)
			idx[k] = 0;
	}
}

static void run_resize_nearest(const Graph *g, const Node *n, const void *x, void *out)
{
	const Value *xv = &g->vals[n->in[0]], *ov = &g->vals[n->out];
	const float *s = g->vals[n->in[1]].data;
	const size_t es = (size_t)ir_dtype_size(xv->dt);
	const int rank = xv->shape.rank;
	int64_t xst[IR_MAX_RANK], idx[IR_MAX_RANK] = {0};

	strides(&xv->shape, xst);
	for (int64_t i = 0, cnt = ir_shape_numel(&ov->shape); i < cnt; i++) {
		int64_t j = 0;
		for (int k = 0; k < rank; k++)
			j += ir_resize_nearest(&n->a, idx[k], xv->shape.d[k], ov->shape.d[k],
			                       s[k]) *
			     xst[k];
		memcpy((unsigned char *)out + (size_t)i * es,
		       (const unsigned char *)x + (size_t)j * es, es);
		for (int k = rank - 1; k >= 0 && ++idx[k] == ov->shape.d[k]; k--)
			idx[k] = 0;
	}
}

/* The four source elements of one result element: offsets in a plane. */
typedef struct {
	int64_t o00, o01, o10, o11;
} Taps4;

static void run_resize_linear(const Graph *g, const Node *n, Prec prec, const void *x, void *out)
{
	const Value *xv = &g->vals[n->in[0]], *ov = &g->vals[n->out];
	const float *s = g->vals[n->in[1]].data;
	const int r = xv->shape.rank;
	const int64_t H = xv->shape.d[r - 2], W = xv->shape.d[r - 1];
	const int64_t OH = ov->shape.d[r - 2], OW = ov->shape.d[r - 1];
	const int64_t planes = ir_shape_numel(&xv->shape) / (H * W);

	for (int64_t p = 0; p < planes; p++)
		for (int64_t oy = 0; oy < OH; oy++)
			for (int64_t ox = 0; ox < OW; ox++) {
				int64_t y0, y1, x0, x1, o = (p * OH + oy) * OW + ox;
				if (prec == P_F32) {
					const float *xp = (const float *)x + p * H * W;
					float wy0, wy1, wx0, wx1;
					ir_resize_linear(&n->a, oy, H, OH, s[r - 2], &y0, &y1, &wy0,
					                 &wy1);
					ir_resize_linear(&n->a, ox, W, OW, s[r - 1], &x0, &x1, &wx0,
					                 &wx1);
					((float *)out)[o] = wx0 * wy0 * xp[y0 * W + x0] +
					                    wx1 * wy0 * xp[y0 * W + x1] +
					                    wx0 * wy1 * xp[y1 * W + x0] +
					                    wx1 * wy1 * xp[y1 * W + x1];
					continue;
				}
				int32_t wy0, wy1, wx0, wx1;
				ir_resize_linear_q(&n->a, oy, H, OH, s[r - 2], &y0, &y1, &wy0,
				                   &wy1);
				ir_resize_linear_q(&n->a, ox, W, OW, s[r - 1], &x0, &x1, &wx0,
				                   &wx1);
				Taps4 t = {y0 * W + x0, y0 * W + x1, y1 * W + x0, y1 * W + x1};
				int64_t q00, q01, q10, q11;
				if (prec == P_S8) {
					const int8_t *xp = (const int8_t *)x + p * H * W;
					q00 = xp[t.o00], q01 = xp[t.o01], q10 = xp[t.o10],
					q11 = xp[t.o11];
				} else {
					const int16_t *xp = (const int16_t *)x + p * H * W;
					q00 = xp[t.o00], q01 = xp[t.o01], q10 = xp[t.o10],
					q11 = xp[t.o11];
				}
				int64_t acc = q00 * wy0 * wx0 + q01 * wy0 * wx1 + q10 * wy1 * wx0 +
				              q11 * wy1 * wx1;
				int64_t v = (acc + (acc > 0 ? 1 << 19 : -(1 << 19))) / (1 << 20);
				if (prec == P_S8)
					((int8_t *)out)[o] = (int8_t)v;
				else
					((int16_t *)out)[o] = (int16_t)v;
			}
}

static void run(const Graph *g, const Node *n, const NodeRt *rt, void *const *buf, void *acc)
{
	const void *x = buf[n->in[0]];
	void *out = buf[n->out];

	(void)acc;
	switch (n->op) {
	case OP_FLATTEN:
	case OP_RESHAPE: memcpy(out, x, (size_t)ir_value_bytes(&g->vals[n->in[0]])); return;
	case OP_PAD: run_pad(g, n, x, out); return;
	case OP_TRANSPOSE: run_transpose(g, n, x, out); return;
	case OP_SLICE: run_slice(g, n, x, out); return;
	case OP_GATHER: run_gather(g, n, x, buf[n->in[1]], out); return;
	case OP_EXPAND: run_expand(g, n, x, out); return;
	case OP_RESIZE:
		if (n->a.mode == IR_RESIZE_LINEAR)
			run_resize_linear(g, n, rt->prec, x, out);
		else
			run_resize_nearest(g, n, x, out);
		return;
	default: ICE("shape rules: %s", ir_ops[n->op].name);
	}
}

/* ---- checks ---------------------------------------------------------------- */

#define BAD IR_BAD

static int check_gather(const Graph *g, const Node *n, Diag *d)
{
	const Value *x = &g->vals[n->in[0]], *iv = &g->vals[n->in[1]];
	int64_t outer, m, inner;
	Shape s;

	if (iv->dt != DT_I64)
		return BAD("gather: the indices '%s' must be i64", iv->name);
	if (ir_gather_geo(&x->shape, &iv->shape, n->a.axis, &outer, &m, &inner, &s) < 0)
		return BAD("gather: axis %lld does not fit the operand (or the result's rank "
		           "exceeds %d)",
		           (long long)n->a.axis, IR_MAX_RANK);
	if (!ir_shape_eq(&g->vals[n->out].shape, &s))
		return BAD("gather: result shape does not match the operands");
	if (iv->kind == VK_CONST && iv->data)
		for (int64_t j = 0, ni = ir_shape_numel(&iv->shape); j < ni; j++) {
			int64_t v = ((const int64_t *)iv->data)[j];
			if (v < -m || v >= m)
				return BAD("gather: index %lld (element %lld of '%s') is out of "
				           "range [%lld, %lld)",
				           (long long)v, (long long)j, iv->name, (long long)-m,
				           (long long)m);
		}
	return 0;
}

static int check_shape(const Graph *g, const Node *n, Diag *d)
{
	const Shape *x = &g->vals[n->in[0]].shape, *o = &g->vals[n->out].shape;
	int64_t begin[IR_MAX_RANK], end[IR_MAX_RANK];
	int perm[IR_MAX_RANK];
	const char *why;
	char buf[160];
	Shape s;

	switch (n->op) {
	case OP_FLATTEN:
	case OP_RESHAPE:
		if (ir_shape_numel(o) != ir_shape_numel(x))
			return BAD("%s: result and input differ in size", ir_ops[n->op].name);
		return 0;
	case OP_PAD:
		if (o->rank != x->rank || ir_pad_amounts(&n->a, x->rank, begin, end))
			return BAD("pad: 'pads' must hold 2 x rank (or 4) non-negative integers");
		for (int k = 0; k < x->rank; k++)
			if (o->d[k] != x->d[k] + begin[k] + end[k])
				return BAD("pad: result shape does not match the operand");
		if ((why = ir_pad_mode_bad(&n->a, x, begin, end, buf, sizeof buf)))
			return BAD("pad: %s", why);
		return 0;
	case OP_TRANSPOSE:
		if (o->rank != x->rank || ir_transpose_perm(&n->a, x->rank, perm))
			return BAD("transpose: 'perm' must be a permutation of the input's axes");
		for (int k = 0; k < x->rank; k++)
			if (o->d[k] != x->d[perm[k]])
				return BAD("transpose: result shape does not match the operand");
		return 0;
	case OP_SLICE:
		if (ir_slice_geo(&n->a, x, begin, end, &s))
			return BAD(
			        "slice: 'starts', 'ends', 'axes' and 'steps' do not fit the operand");
		if (!ir_shape_eq(o, &s))
			return BAD("slice: result shape does not match the operand");
		return 0;
	case OP_GATHER: return check_gather(g, n, d);
	case OP_RESIZE: {
		const char *why = ir_resize_bad(&n->a, x, o, &g->vals[n->in[1]]);
		if (why)
			return BAD("resize: %s", why);
		for (int k = 0; k < n->a.nshape || k < o->rank; k++)
			if (k >= n->a.nshape || n->a.shape[k] != o->d[k])
				return BAD("resize: the result's shape is not 'shape'");
		return 0;
	}
	case OP_EXPAND:
		if (ir_expand_strides(x, o, begin))
			return BAD("expand: the operand does not broadcast to the result's shape");
		return 0;
	default: ICE("shape rules: %s", ir_ops[n->op].name);
	}
}

#undef BAD

static int check(Graph *g, const Node *n, NodeRt *rt, Diag *d)
{
	if (check_shape(g, n, d))
		return -1;
	return ir_interp_check_keepq(g, n, rt, d);
}

/* Moving bytes needs no requantization. */
static int requant_float_ok(const Graph *g, const Node *n)
{
	(void)g;
	(void)n;
	return 1;
}

/* slice's optional lists print only when given; pad's mode only when not
 * constant, and then without the value it does not use. */
static int print_attr(const Node *n, int ai)
{
	const int constant = n->a.pad_mode == IR_PAD_CONSTANT;

	return !(ai == AI_AXES && !n->a.naxes) && !(ai == AI_STEPS && !n->a.nsteps) &&
	       !(ai == AI_PAD_MODE && constant) && !(ai == AI_VALUE && !constant);
}

const IrRules ir_rules_shape = {
        .check = check,
        .run = run,
        .requant_float_ok = requant_float_ok,
        .print_attr = print_attr,
};
