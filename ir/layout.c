/* layout.c — how a tensor is stored (Attrs.layout), as the IR sees it.
 *
 * A value's shape is always NCHW: that is the interface, and what the
 * interpreter computes on.  The choose-layout pass may store a rank-4
 * activation NHWC instead (layout = nhwc on the node that defines it) where
 * the target's kernels read and write that layout directly.  Besides the
 * weighted ops (whose kernels the target asks), an element-wise op does not
 * care how its operands are stored, as long as all of them are stored
 * alike: that is ir_layout_free.
 */
#include "ir_rules.h"

int ir_value_layout(const Graph *g, int v)
{
	const Value *val = &g->vals[v];

	if (val->kind != VK_TEMP || val->def < 0)
		return IR_LAYOUT_NCHW;
	return (int)g->nodes[val->def].a.layout;
}

/* The element-wise ops: each result element is a function of the operand
 * elements at the same index (and of constants): the unary ops that may run
 * in place, and the element-wise and conversion families (whose operands
 * ir_layout_free then requires to have the result's shape: that leaves out
 * a concat and any broadcast). */
static int elementwise(Op op)
{
	Family f = ir_ops[op].family;

	return (ir_ops[op].flags & OPF_INPLACE) || f == FAM_ELEMENTWISE || f == FAM_CONVERT;
}

/* Per tensor, or none: a per-channel scale is indexed by the NCHW channel. */
static int flat_q(const Value *v)
{
	return !v->q.present || v->q.n <= 1;
}

int ir_layout_free(const Graph *g, int n)
{
	const Node *nd = &g->nodes[n];
	const Value *y = &g->vals[nd->out];

	if (!elementwise(nd->op) || !y->has_type || y->shape.rank != 4 || !flat_q(y))
		return 0;
	for (int i = 0; i < nd->nin; i++) {
		const Value *x = &g->vals[nd->in[i]];
		if (!x->has_type || !flat_q(x))
			return 0;
		/* a constant of one element, or a unary op's lookup table */
		if (x->kind == VK_CONST &&
		    (ir_shape_numel(&x->shape) == 1 ||
		     (i == 1 && ir_ops[nd->op].max_in == 2 && ir_ops[nd->op].min_in == 1)))
			continue;
		if (x->kind == VK_CONST || !ir_shape_eq(&x->shape, &y->shape))
			return 0;
	}
	return 1;
}

int ir_layout_free_ok(const Graph *g, int n)
{
	const Node *nd = &g->nodes[n];
	int l = (int)nd->a.layout;

	for (int i = 0; i < nd->nin; i++)
		if (g->vals[nd->in[i]].kind != VK_CONST && ir_value_layout(g, nd->in[i]) != l)
			return 0;
	return 1;
}
