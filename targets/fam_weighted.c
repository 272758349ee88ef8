/* targets/fam_weighted.c — the weighted family (conv2d, dense) in the
 * targets layer: the checks of what every kernel of theirs relies on, and
 * the lowering, which the kernel registry's chooser does
 * (tgt_lower_weighted: the kernel of the node's target and types).
 */
#include "tgt_rules.h"

static int is_const(const Value *v, DType dt)
{
	return v->kind == VK_CONST && v->data && v->dt == dt;
}

/* conv2d/dense: f32 everywhere, or int8 activations (per tensor), int8
 * weights (zero point 0, per tensor or per output channel along axis 0) and
 * an int32 bias. */
static int check_types(Cg *c, const Node *nd)
{
	const Graph *g = c->g;
	const Value *x = &g->vals[nd->in[0]], *w = &g->vals[nd->in[1]], *y = &g->vals[nd->out];
	const Value *bias = nd->nin > 2 ? &g->vals[nd->in[2]] : NULL;
	int64_t oc = w->shape.d[0];

	if (y->dt == DT_F32) {
		if (x->dt != DT_F32 || !is_const(w, DT_F32) || (bias && !is_const(bias, DT_F32)))
			return tgt_bad_types(c, nd, "mixed float and integer types");
		return 0;
	}
	if ((y->dt != DT_I8 && y->dt != DT_I16) || x->dt != y->dt || !is_const(w, DT_I8) ||
	    (bias && !is_const(bias, DT_I32) && !(y->dt == DT_I16 && is_const(bias, DT_I64))))
		return tgt_bad_types(
		        c, nd,
		        "this type combination (expected f32; or i8 or i16 activations "
		        "with i8 weights and an i32 bias, i64 allowed for i16)");
	if (!tgt_per_tensor(x) || !tgt_per_tensor(y))
		return tgt_bad_types(c, nd, "activations without per-tensor quantization");
	if (!w->q.present || !w->q.scale || w->q.zp != 0 ||
	    !(w->q.n == 1 || (w->q.n == oc && w->q.axis == 0)))
		return tgt_bad_types(c, nd,
		                     "weights without symmetric per-channel (axis 0) quantization");
	return 0;
}

static int check(Cg *c, const Node *nd)
{
	const Graph *g = c->g;
	const Value *x = &g->vals[nd->in[0]], *y = &g->vals[nd->out], *w = &g->vals[nd->in[1]];
	const Attrs *a = &nd->a;
	int ok;

	switch (nd->op) {
	case OP_CONV2D:
		ok = x->shape.rank == 4 && w->shape.rank == 4 && y->shape.rank == 4 &&
		     a->groups >= 1 && x->shape.d[1] % a->groups == 0 &&
		     w->shape.d[0] % a->groups == 0 && w->shape.d[1] * a->groups == x->shape.d[1] &&
		     y->shape.d[0] == x->shape.d[0] && y->shape.d[1] == w->shape.d[0] &&
		     a->stride[0] >= 1 && a->stride[1] >= 1 && a->dilation[0] >= 1 &&
		     a->dilation[1] >= 1;
		break;
	case OP_DENSE:
		ok = x->shape.rank == 2 && w->shape.rank == 2 && y->shape.rank == 2 &&
		     w->shape.d[1] == x->shape.d[1] && y->shape.d[0] == x->shape.d[0] &&
		     y->shape.d[1] == w->shape.d[0];
		break;
	default: ICE("weighted rules: %s", ir_ops[nd->op].name);
	}
	if (tgt_check_fit(c, nd, ok))
		return 1;
	return check_types(c, nd);
}

static void lower(Cg *c, int n, LLVMValueRef fn)
{
	tgt_lower_weighted(c, n, fn);
}

const TgtRules tgt_rules_weighted = {
        .check = check,
        .lower = lower,
};
