/* lower_dense.c — the generic integer dense: the loop the chooser
 * (kernels.c) falls back to when no target kernel takes the layer. */
#include "targets.h"

/* out[n,o] = act(b[o] + sum_i x[n,i] * w[o,i]) in integers; the sum is a
 * reduction over i (the weight row is contiguous), which LLVM vectorizes.
 * Every f32 dense goes to lower_dense_f32.c (its own order of additions);
 * the target kernels (kernels.c chooses) go first. */
void tgt_dense_generic(Cg *c, int n, LLVMValueRef fn)
{
	LLVMValueRef x = LLVMGetParam(fn, 0), y = LLVMGetParam(fn, 1);
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
