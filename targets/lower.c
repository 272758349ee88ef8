/* lower.c — op lowering: the generic checks of a node and its dispatch to
 * its family's rules (targets/rules.h, targets/fam_<family>.c), and the
 * generic integer dense loop.  conv2d's kernels live in lower_conv.c and
 * kernel_*.c, f32 dense in lower_dense_f32.c, the builder helpers in
 * builder.c, the epilogues in epilogue.c.
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

#include "rules.h"

/* ---- kernels --------------------------------------------------------------- */

/* out[n,o] = act(b[o] + sum_i x[n,i] * w[o,i]) in integers; the sum is a
 * reduction over i (the weight row is contiguous), which LLVM vectorizes.
 * Every f32 dense goes to lower_dense_f32.c (its own order of additions). */
static void lower_dense(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *xv = &g->vals[nd->in[0]], *wv = &g->vals[nd->in[1]];
	int64_t N = xv->shape.d[0], I = xv->shape.d[1], O = wv->shape.d[0];
	LLVMValueRef w = tgt_const_value(c, nd->in[1], NULL, "w", n), bias = NULL, slot, init;
	LLVMBuilderRef b = c->b;
	Epilogue e;
	Loop ln, lo, li;

	tgt_epilogue_init(c, n, &e);
	if (nd->nin > 2)
		bias = tgt_const_value(c, nd->in[2], NULL, "b", n);
	slot = tgt_alloca(c, e.tacc, 1);
	LLVMValueRef in = tgt_upto(c, &ln, N);
	LLVMValueRef io = tgt_upto(c, &lo, O);
	if (!bias)
		init = LLVMConstNull(e.tacc);
	else {
		/* an i32 bias of an int16 layer starts the i32 accumulator as is */
		init = tgt_load(c, tgt_type(c, g->vals[nd->in[2]].dt), bias, io);
	}
	LLVMBuildStore(b, init, slot);
	LLVMValueRef xrow = tgt_mad(c, in, I, NULL);
	LLVMValueRef wrow = tgt_mad(c, io, I, NULL);
	LLVMValueRef ii = tgt_upto(c, &li, I);
	LLVMValueRef xe = tgt_load(c, tgt_type(c, xv->dt), x, LLVMBuildNSWAdd(b, xrow, ii, ""));
	LLVMValueRef we = tgt_load(c, tgt_type(c, wv->dt), w, LLVMBuildNSWAdd(b, wrow, ii, ""));
	LLVMValueRef a = LLVMBuildLoad2(b, e.tacc, slot, "");
	LLVMBuildStore(b, tgt_mac(c, &e, a, tgt_widen_x(c, &e, xe), we), slot);
	tgt_loop_close(c, &li);
	a = tgt_epilogue(c, &e, LLVMBuildLoad2(b, e.tacc, slot, ""), io);
	tgt_store(c, a, y, tgt_mad(c, in, O, io));
	tgt_loop_close(c, &lo);
	tgt_loop_close(c, &ln);
}

/* ---- checks shared by the families -------------------------------------------- */

int tgt_bad_types(Cg *c, const Node *nd, const char *why)
{
	const Graph *g = c->g;
	char buf[256];
	size_t k = 0;

	for (int i = 0; i < nd->nin && k < sizeof buf; i++)
		k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s:%s", i ? ", " : "",
		                      g->vals[nd->in[i]].name, ir_dtype_name(g->vals[nd->in[i]].dt));
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

/* ---- dispatch ---------------------------------------------------------------- */

const TgtRules *const tgt_rules[FAM_COUNT] = {
	[FAM_WEIGHTED] = &tgt_rules_weighted,
	[FAM_ACTIVATION] = &tgt_rules_activation,
	[FAM_POOL] = &tgt_rules_pool,
	[FAM_SHAPE] = &tgt_rules_shape,
	[FAM_ELEMENTWISE] = &tgt_rules_elementwise,
	[FAM_CONVERT] = &tgt_rules_convert,
};

/* Two tensors' arena ranges overlap. */
static int overlap(const Value *a, const Value *b)
{
	return a->offset < b->offset + ir_value_bytes(b) && b->offset < a->offset + ir_value_bytes(a);
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
	if (r->check(c, nd))
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
	if (r->nary)
		fn = tgt_kernel_begin_n(c, name, apart, nd->nin + 1);
	else
		fn = tgt_kernel_begin(c, name, apart);
	r->lower(c, n, fn);
	tgt_kernel_end(c);
	*kernel = fn;
	return 0;
}

/* TEMPORARY until wip/kernels is merged */
int tgt_lower_weighted(Cg *c, int n, LLVMValueRef fn)
{
	LLVMValueRef px = LLVMGetParam(fn, 0), py = LLVMGetParam(fn, 1);

	if (c->g->nodes[n].op == OP_CONV2D)
		return tgt_lower_conv2d(c, n, fn);
	if (!tgt_dense_smlad(c, n, px, py) &&
	    !tgt_dense_f32(c, n, px, py)) /* kernel_armm.c, lower_dense_f32.c */
		lower_dense(c, n, px, py);
	return 0;
}
