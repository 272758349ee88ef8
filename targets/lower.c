/* lower.c — op lowering: the generic checks of a node and its dispatch to
 * its family's rules (targets/tgt_rules.h, targets/fam_<family>.c).  conv2d and
 * dense go through the kernel registry (kernels.c: the target kernels
 * kernel_*.c, the generic loops lower_conv.c and lower_dense.c); the
 * builder helpers are in builder.c, the epilogues in epilogue.c.
 *
 * Every kernel is a private function void(ptr x, ptr y) over the operand's
 * and the result's tensors in the arena (the elementwise family's take one
 * pointer per operand); the body calls them in node order.  The arithmetic
 * is that of the interpreter (ir/fam_<family>.c), step for step: float
 * accumulation in the same order with plain fmul/fadd (no fast-math, so no
 * contraction), integer accumulation in wrapping i32.
 */
#include <stdlib.h>
#include <string.h>

#include "tgt_rules.h"

/* ---- checks shared by the families -------------------------------------------- */

int tgt_bad_types(Cg *c, const Node *nd, const char *why)
{
	const Graph *g = c->g;
	char buf[256];
	size_t k = 0;

	for (int i = 0; i < nd->nin && k < sizeof buf; i++)
		k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s:%s", i ? ", " : "",
		                      g->vals[nd->in[i]].name,
		                      ir_dtype_name(g->vals[nd->in[i]].dt));
	diag_error(c->d, nd->loc, "%s '%s': cannot compile %s (operands %s; result %s)",
	           ir_ops[nd->op].name, g->vals[nd->out].name, why, buf,
	           ir_dtype_name(g->vals[nd->out].dt));
	return 1;
}

int tgt_per_tensor(const Value *v)
{
	return v->q.present && v->q.n == 1 && v->q.scale;
}

int tgt_is_int_q(const Value *v)
{
	return (v->dt == DT_I8 || v->dt == DT_I16) && tgt_per_tensor(v);
}

int tgt_check_fit(Cg *c, const Node *nd, int ok)
{
	const Graph *g = c->g;
	const Value *w = nd->nin > 1 ? &g->vals[nd->in[1]] : NULL;
	const Value *bias = nd->nin > 2 ? &g->vals[nd->in[2]] : NULL;

	if (ok && bias)
		ok = ir_shape_numel(&bias->shape) == w->shape.d[0];
	if (ok && w)
		ok = w->shape.rank >= 1;
	if (!ok)
		diag_error(c->d, nd->loc, "%s '%s': operand shapes do not fit together",
		           ir_ops[nd->op].name, g->vals[nd->out].name);
	return !ok;
}

/* The end of the check of an op whose result keeps its input's storage
 * type and quantization (avgpool2d, pad, transpose): the op's shape rule
 * ok, then f32, or i8 or i16 quantized per tensor, the same on both sides. */
int tgt_check_keepq(Cg *c, const Node *nd, int ok)
{
	const Value *x = &c->g->vals[nd->in[0]], *y = &c->g->vals[nd->out];

	if (!ok) {
		diag_error(c->d, nd->loc, "%s '%s': operand shapes do not fit together",
		           ir_ops[nd->op].name, y->name);
		return 1;
	}
	if (x->dt != y->dt || (x->dt != DT_F32 && x->dt != DT_I8 && x->dt != DT_I16) ||
	    (x->dt != DT_F32 && !(x->q.present && x->q.n == 1 && x->q.scale))) {
		diag_error(c->d, nd->loc,
		           "%s '%s': cannot compile %s (expected f32, or i8 or i16 "
		           "quantized per tensor, kept by the result)",
		           ir_ops[nd->op].name, y->name, ir_dtype_name(x->dt));
		return 1;
	}
	return 0;
}

/* ---- dispatch ---------------------------------------------------------------- */

const TgtRules *const tgt_rules[FAM_COUNT] = {
        [FAM_WEIGHTED] = &tgt_rules_weighted,
        [FAM_ACTIVATION] = &tgt_rules_activation,
        [FAM_POOL] = &tgt_rules_pool,
        [FAM_SHAPE] = &tgt_rules_shape,
        [FAM_ELEMENTWISE] = &tgt_rules_elementwise,
        [FAM_CONVERT] = &tgt_rules_convert,
        [FAM_REDUCE] = &tgt_rules_reduce,
        [FAM_MATMUL] = &tgt_rules_matmul,
};

/* Two tensors' arena ranges overlap. */
static int overlap(const Value *a, const Value *b)
{
	return a->offset < b->offset + ir_value_bytes(b) &&
	       b->offset < a->offset + ir_value_bytes(a);
}

int tgt_lower_node(Cg *c, int n, LLVMValueRef *kernel)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *x = &g->vals[nd->in[0]], *y = &g->vals[nd->out];
	const TgtRules *r = tgt_rules[ir_ops[nd->op].family];
	const unsigned flags = ir_ops[nd->op].flags;
	char name[320];
	LLVMValueRef fn;
	int apart = x->kind == VK_CONST || !overlap(x, y); /* a constant is a global */

	*kernel = NULL;
	if (r->check(c, nd) || tgt_layout_declines(c, n))
		return 1;
	if ((flags & OPF_VIEW) && x->kind != VK_CONST && x->offset == y->offset)
		return 0; /* already in place */
	/* element-wise ops that keep the storage type may run in place (each
	 * element is read before it is written; plan-memory shares them,
	 * passes/arena.c), copies use memmove; nothing else may share bytes
	 * between input and output */
	if (!apart && !((flags & OPF_INPLACE) && x->offset == y->offset && x->dt == y->dt) &&
	    !(flags & OPF_VIEW)) {
		diag_error(c->d, nd->loc, "%s '%s': its input and output share arena bytes",
		           ir_ops[nd->op].name, y->name);
		return 1;
	}
	snprintf(name, sizeof name, "%s.%s%d", c->name, ir_ops[nd->op].name, n);
	int nary = r->nary;
	for (int i = 1; i < nd->nin && r->nary_runtime; i++)
		nary |= g->vals[nd->in[i]].kind != VK_CONST;
	/* a kernel with arena scratch (plan-memory's) takes it last */
	int scr = nd->a.scratch[1] > 0;
	if (nary || scr)
		fn = tgt_kernel_begin_n(c, name, apart, (nary ? nd->nin + 1 : 2) + scr);
	else
		fn = tgt_kernel_begin(c, name, apart);
	r->lower(c, n, fn);
	tgt_kernel_end(c);
	*kernel = fn;
	return 0;
}
