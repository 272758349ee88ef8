/* ir/fam_shape.c — the shape family (flatten, reshape, pad, transpose,
 * slice) in the ir layer: the reference interpreter's checks and kernels, every
 * precision at once (they move bytes: a quantized result keeps its input's
 * scale and zero point, OPF_KEEPQ).  pad's, transpose's and slice's
 * attributes are read by ir/geometry.c, as every pass and the backend read
 * them.
 *
 * The definitions, per output element (targets/fam_shape.c computes the
 * same bits):
 *   flatten, reshape   the bytes, unchanged (OPF_VIEW).
 *   pad        every element the value (int: quantized with the input's
 *              parameters, saturating: ir_quantize_value), then x copied to
 *              offset begin.
 *   transpose  out[i0..ik] = x[j] with j's axis perm[k] index = ik.
 *   slice      out[i0..ik] = x[first0 + i0*step0, ..., firstk + ik*stepk]
 *              (ir_slice_geo).
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

static void run_pad(const Graph *g, const Node *n, const void *x, void *out)
{
	const Value *xv = &g->vals[n->in[0]], *ov = &g->vals[n->out];
	const int rank = xv->shape.rank;
	const size_t es = (size_t)ir_dtype_size(xv->dt);
	const int64_t cnt = ir_shape_numel(&xv->shape), ocnt = ir_shape_numel(&ov->shape);
	int64_t begin[IR_MAX_RANK], end[IR_MAX_RANK], ost[IR_MAX_RANK], idx[IR_MAX_RANK] = {0};
	unsigned char e[4];

	ir_pad_amounts(&n->a, rank, begin, end);
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

static void run(const Graph *g, const Node *n, const NodeRt *rt, void *const *buf, void *acc)
{
	const void *x = buf[n->in[0]];
	void *out = buf[n->out];

	(void)rt;
	(void)acc;
	switch (n->op) {
	case OP_FLATTEN:
	case OP_RESHAPE: memcpy(out, x, (size_t)ir_value_bytes(&g->vals[n->in[0]])); return;
	case OP_PAD: run_pad(g, n, x, out); return;
	case OP_TRANSPOSE: run_transpose(g, n, x, out); return;
	case OP_SLICE: run_slice(g, n, x, out); return;
	default: ICE("shape rules: %s", ir_ops[n->op].name);
	}
}

/* ---- checks ---------------------------------------------------------------- */

#define BAD IR_BAD

static int check_shape(const Graph *g, const Node *n, Diag *d)
{
	const Shape *x = &g->vals[n->in[0]].shape, *o = &g->vals[n->out].shape;
	int64_t begin[IR_MAX_RANK], end[IR_MAX_RANK];
	int perm[IR_MAX_RANK];
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

/* slice's optional lists print only when given. */
static int print_attr(const Node *n, int ai)
{
	return !(ai == AI_AXES && !n->a.naxes) && !(ai == AI_STEPS && !n->a.nsteps);
}

const IrRules ir_rules_shape = {
        .check = check,
        .run = run,
        .requant_float_ok = requant_float_ok,
        .print_attr = print_attr,
};
