/* kernel_sse.c — the int8 dense of the x86-64 baseline (SSE2, no AVX2):
 * x86.sse2.dense.  (The baseline's int8 conv2d is kernel_avx2.c at 128
 * bits.)
 *
 * out[n,o] = requant(b'[o] + sum_i x[n,i] w[o,i]), with the input's zero
 * point folded into the bias at compile time (tgt_fold_bias: b' = b -
 * zx sum_i w[o,i], mod 2^32), so x is used as it is.  Per batch row, x is
 * widened once to i16 into a stack scratch of I rounded up to 8 elements
 * (zeros past I); the weights are repacked at compile time into rows of
 * that length (zeros past I, and zero rows up to a multiple of 4 rows).
 * Four output rows at a time, each step of 8 inputs is one load of x and,
 * per row, a load of 8 weight bytes, sign-extended to i16, and one pmaddwd
 * (llvm.x86.sse2.pmadd.wd: adjacent i16 products added into i32; |x w| <=
 * 128 * 128, so a pair is exact) added into the row's <4 x i32>
 * accumulator, wrapping as the interpreter's i32 sum does (the order of
 * wrapping additions does not change the result mod 2^32).  The four
 * lanes are then added, and the scalar epilogue (tgt_epilogue) requantizes
 * as the generic loop does.
 */
#include "targets.h"

enum {
	ROWS = 4,              /* output rows per block */
	STEP = 8,              /* inputs per pmaddwd */
};

/* The inputs of a row rounded up to whole steps. */
static int64_t padded_inputs(const Node *nd, const Graph *g)
{
	return (g->vals[nd->in[0]].shape.d[1] + STEP - 1) / STEP * STEP;
}

/* The widened input row, in bytes. */
static int64_t sse_scratch_bytes(const Node *nd, const Graph *g)
{
	return padded_inputs(nd, g) * 2;
}

/* Levels without AVX2 only: on this Zen 4 at the VNNI level the kernel
 * beat the generic loop (vectorized at 512 bits) on the MLP's 784 -> 128
 * (whole MLP 4.5 -> 3.7 us) but lost on the CNN's 6272 -> 10 (1.8 -> 2.5
 * us); the wider levels are left to kernels of their width. */
int tgt_dense_sse2_applies(Cg *c, const Node *nd, const char **why)
{
	(void)nd; /* the kernel registry's row says the rest */
	if (tgt_x86_avx2(c->tm))
		return tgt_decline(why, "has avx2 (wider kernels and loops)");
	return 1;
}

/* TgtKernel.scratch: the widened input row, arena scratch. */
int64_t tgt_dense_sse2_scratch(Cg *c, const Node *nd)
{
	return tgt_dense_sse2_applies(c, nd, NULL) ? sse_scratch_bytes(nd, c->g) : 0;
}

/* The weights as [O rounded to ROWS][Ip] bytes, zero-padded. */
static LLVMValueRef pack(Cg *c, const Node *nd, int n, int64_t Op, int64_t Ip)
{
	const Value *wv = &c->g->vals[nd->in[1]];
	const int8_t *w = wv->data;
	int64_t O = wv->shape.d[0], I = wv->shape.d[1];
	unsigned char *buf = ir_xcalloc((size_t)(Op * Ip), 1);

	for (int64_t o = 0; o < O; o++)
		for (int64_t i = 0; i < I; i++)
			buf[o * Ip + i] = (unsigned char)w[o * I + i];
	return tgt_const_packed(c, "wsse2d", n, buf, (size_t)(Op * Ip));
}

void tgt_dense_sse2(Cg *c, int n, LLVMValueRef fn)
{
	LLVMValueRef x = LLVMGetParam(fn, 0), y = LLVMGetParam(fn, 1);
	const Node *nd = &c->g->nodes[n];
	const Value *xv = &c->g->vals[nd->in[0]];
	LLVMBuilderRef b = c->b;
	int64_t N = xv->shape.d[0], I = xv->shape.d[1], O = c->g->vals[nd->in[1]].shape.d[0];
	int64_t Ip = padded_inputs(nd, c->g), Op = (O + ROWS - 1) / ROWS * ROWS;
	LLVMTypeRef tv = LLVMVectorType(c->ti32, 4), th = LLVMVectorType(c->ti16, STEP);
	LLVMTypeRef tb = LLVMVectorType(c->ti8, STEP), pt[2] = {th, th};
	LLVMTypeRef twd = LLVMFunctionType(tv, pt, 2, 0);
	LLVMValueRef wd = tgt_intrinsic(c, "llvm.x86.sse2.pmadd.wd", twd);
	LLVMValueRef acc[ROWS];
	Epilogue e;
	Loop ln, lx, lo, ls;

	tgt_int8_epilogue(c, n, &e);
	LLVMValueRef w = pack(c, nd, n, Op, Ip);
	LLVMValueRef bias = tgt_fold_bias(c, nd, Op, xv->q.zp, "bsse2d", n);
	LLVMValueRef xs = tgt_arena_scratch(c, 0); /* sse_scratch_bytes */
	for (int r = 0; r < ROWS; r++)
		acc[r] = tgt_alloca(c, tv, 1);

	LLVMValueRef in = tgt_upto(c, &ln, N);
	/* the widened row: zeros, then x */
	LLVMBuildMemSet(b, xs, LLVMConstInt(c->ti8, 0, 0), tgt_cidx(c, Ip * 2), 16);
	LLVMValueRef i = tgt_upto(c, &lx, I);
	LLVMValueRef xe = tgt_load(c, c->ti8, x, tgt_mad(c, in, I, i));
	tgt_store(c, LLVMBuildSExt(b, xe, c->ti16, ""), xs, i);
	tgt_loop_close(c, &lx);

	LLVMValueRef ob = tgt_upto(c, &lo, Op / ROWS);
	for (int r = 0; r < ROWS; r++)
		LLVMBuildStore(b, LLVMConstNull(tv), acc[r]);
	LLVMValueRef s = tgt_upto(c, &ls, Ip / STEP);
	LLVMValueRef xvv = tgt_load_al(c, th, tgt_gep(c, th, xs, s), 16);
	for (int r = 0; r < ROWS; r++) {
		LLVMValueRef row = tgt_mad(c, ob, ROWS, tgt_cidx(c, r));
		LLVMValueRef wi = tgt_mad(c, row, Ip / STEP, s);
		LLVMValueRef wv = tgt_load_al(c, tb, tgt_gep(c, tb, w, wi), 8);
		LLVMValueRef args[2] = {xvv, LLVMBuildSExt(b, wv, th, "")};
		LLVMValueRef p = LLVMBuildCall2(b, twd, wd, args, 2, "");
		LLVMBuildStore(b, LLVMBuildAdd(b, LLVMBuildLoad2(b, tv, acc[r], ""), p, ""),
		               acc[r]);
	}
	tgt_loop_close(c, &ls);
	for (int r = 0; r < ROWS; r++) {
		LLVMValueRef o = tgt_mad(c, ob, ROWS, tgt_cidx(c, r));
		If f;
		tgt_if_open(c, &f, LLVMBuildICmp(b, LLVMIntSLT, o, tgt_cidx(c, O), ""));
		LLVMValueRef a = LLVMBuildLoad2(b, tv, acc[r], "");
		LLVMValueRef sum = tgt_load(c, c->ti32, bias, o);
		for (int l = 0; l < 4; l++)
			sum = LLVMBuildAdd(b, sum, LLVMBuildExtractElement(b, a, tgt_c32(c, l), ""),
			                   "");
		tgt_store(c, tgt_epilogue(c, &e, sum, o), y, tgt_mad(c, in, O, o));
		tgt_if_close(c, &f);
	}
	tgt_loop_close(c, &lo);
	tgt_loop_close(c, &ln);
}
