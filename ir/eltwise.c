/* ir/eltwise.c — broadcasting and the fixed-point parameters of add, sub,
 * mul, div and concat (see eltwise.h). */
#include "eltwise.h"

int ir_broadcast_shape(const Shape *a, const Shape *b, Shape *out)
{
	int r = a->rank > b->rank ? a->rank : b->rank;

	out->rank = r;
	for (int i = 0; i < r; i++) {
		/* axis i of the result counts from the front; operands align at the back */
		int ia = i - (r - a->rank), ib = i - (r - b->rank);
		int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
		if (da != db && da != 1 && db != 1)
			return -1;
		out->d[i] = da == 1 ? db : da;
	}
	return 0;
}

void ir_broadcast_strides(const Shape *in, const Shape *out, int64_t st[IR_MAX_RANK])
{
	int64_t s = 1;

	for (int i = out->rank - 1; i >= 0; i--) {
		int k = i - (out->rank - in->rank);
		int64_t d = k >= 0 ? in->d[k] : 1;
		st[i] = d == 1 ? 0 : s;
		s *= d;
	}
}

int ir_concat_axis(int64_t axis, int rank)
{
	if (axis < 0)
		axis += rank;
	return axis >= 0 && axis < rank ? (int)axis : -1;
}

void ir_binary_params(const Graph *g, const Node *n, IrBinParams *p)
{
	const Value *a = &g->vals[n->in[0]], *b = &g->vals[n->in[1]], *y = &g->vals[n->out];
	double sa = a->q.scale[0], sb = b->q.scale[0], so = y->q.scale[0];

	p->zp[0] = a->q.zp;
	p->zp[1] = b->q.zp;
	p->out_zp = y->q.zp;
	ir_act_bounds(n->a.act, y->dt, y->q.scale[0], y->q.zp, &p->lo, &p->hi);
	if (n->op == OP_MUL) {
		p->left = 0;
		p->mult[0] = p->mult[1] = 0;
		p->shift[0] = p->shift[1] = 0;
		ir_quantize_multiplier(sa * sb / so, &p->out_mult, &p->out_shift);
		return;
	}
	double m = 2.0 * (sa > sb ? sa : sb);
	p->left = a->dt == DT_I16 ? 15 : 20;
	ir_quantize_multiplier(sa / m, &p->mult[0], &p->shift[0]);
	ir_quantize_multiplier(sb / m, &p->mult[1], &p->shift[1]);
	if (n->op == OP_SUB)
		p->mult[1] = -p->mult[1]; /* TFLite's SUB: ADD of -b (mult is never INT32_MIN) */
	ir_quantize_multiplier(m / ((double)(1 << p->left) * so), &p->out_mult, &p->out_shift);
}

#define BAD(...) (diag_error(d, n->loc, __VA_ARGS__), -1)

static int concat_shape(const Graph *g, const Node *n, Shape *out, Diag *d)
{
	const Shape *s0 = &g->vals[n->in[0]].shape;
	int ax = ir_concat_axis(n->a.axis, s0->rank);
	char b0[96], b1[96];

	if (ax < 0)
		return BAD("concat: axis %lld is outside the operands' rank %d", (long long)n->a.axis,
		           s0->rank);
	*out = *s0;
	for (int i = 1; i < n->nin; i++) {
		const Value *x = &g->vals[n->in[i]];
		int ok = x->shape.rank == s0->rank;
		for (int k = 0; ok && k < s0->rank; k++)
			ok = k == ax || x->shape.d[k] == s0->d[k];
		if (!ok)
			return BAD("concat: operand '%s' %s does not fit '%s' %s off axis %d", x->name,
			           ir_shape_str(&x->shape, b1, sizeof b1), g->vals[n->in[0]].name,
			           ir_shape_str(s0, b0, sizeof b0), ax);
		out->d[ax] += x->shape.d[ax]; /* tensors are capped far below overflow */
	}
	return 0;
}

int ir_eltwise_shape(const Graph *g, const Node *n, Shape *out, Diag *d)
{
	const char *op = ir_ops[n->op].name;
	char b0[96], b1[96];

	for (int i = 1; i < n->nin; i++) {
		const Value *x = &g->vals[n->in[i]], *x0 = &g->vals[n->in[0]];
		if (x->dt != x0->dt)
			return BAD("%s: operand '%s' is %s, '%s' is %s", op, x->name, ir_dtype_name(x->dt),
			           x0->name, ir_dtype_name(x0->dt));
	}
	if (n->op == OP_CONCAT)
		return concat_shape(g, n, out, d);
	const Shape *a = &g->vals[n->in[0]].shape, *b = &g->vals[n->in[1]].shape;
	if (ir_broadcast_shape(a, b, out))
		return BAD("%s: shapes %s and %s do not broadcast", op, ir_shape_str(a, b0, sizeof b0),
		           ir_shape_str(b, b1, sizeof b1));
	return 0;
}

int ir_eltwise_ok(const Graph *g, const Node *n)
{
	const Shape *ys = &g->vals[n->out].shape;
	Shape s;
	int64_t sum = 0;

	if (n->op != OP_CONCAT)
		return n->nin == 2 && !ir_broadcast_shape(&g->vals[n->in[0]].shape,
		                                          &g->vals[n->in[1]].shape, &s) &&
		       ir_shape_eq(&s, ys);
	int ax = ir_concat_axis(n->a.axis, ys->rank);
	if (ax < 0)
		return 0;
	for (int i = 0; i < n->nin; i++) {
		const Shape *xs = &g->vals[n->in[i]].shape;
		if (xs->rank != ys->rank)
			return 0;
		for (int k = 0; k < ys->rank; k++)
			if (k != ax && xs->d[k] != ys->d[k])
				return 0;
		sum += xs->d[ax];
	}
	return sum == ys->d[ax];
}
