/* kernel_rvv_gemm.c — the int8 dense kernel for RISC-V with the V
 * extension (riscv.rvv.dense): a register-blocked GEMV, one batch row at a
 * time.
 *
 * Like kernel_rvv.c it is plain fixed-length LLVM vectors, correct on every
 * VLEN (V guarantees VLEN >= 128): lanes are L consecutive outputs (32,
 * or 16 for a layer of at most 16), an accumulator <L x i32> (LMUL 8 or
 * 4 at VLEN 128), and LLVM lowers
 *     acc + sext(<L x i16> w) * sext(splat(i16 x))
 * to one vwmacc.vx (16-bit operands, 32-bit accumulator).  x and w are
 * int8, so each product lies in [-16256, 16384] and is exact; the i32 sum
 * wraps modulo 2^32 like the interpreter's accumulator, and a wrapping sum
 * does not depend on its order.
 *
 * x is read as it is, one scalar byte per input (lb), with nothing copied:
 * sum (x - zx) w = sum x w - zx sum w, whose last term is folded into the
 * bias at compile time (tgt_fold_bias, mod 2^32).  The weights are packed
 * at compile time to i16, [O/L][I][L] (zero past O), so that the weights
 * of one block of L outputs at one input are one contiguous vle16.
 *
 * A tile is nb blocks of L outputs (at most DB): each input byte is loaded
 * once per tile and feeds nb vwmacc.vx, the accumulators staying in vector
 * registers (DB groups of LMUL 8 at VLEN 128, plus the weights, fit the 32
 * registers).  The input loop is unrolled by UNROLL.  Each
 * accumulator is then requantized as a vector (tgt_requant /
 * tgt_requant_float), one at a time, and its bytes stored with one
 * vp.store (vse8) whose length is the block's outputs that exist.
 */
#include <stdlib.h>
#include <string.h>

#include "targets.h"

enum {
	DB = 3,     /* most blocks of a tile */
	UNROLL = 4, /* inputs per pass of the input loop */
};

typedef struct {
	int64_t N, I, O, OCB;
	int L;  /* outputs per vector: 16, or 32 */
	int nb; /* blocks of a tile */
} Geo;

/* The shapes this kernel takes beyond its registry row (kernels.c); fills d. */
static int applies(Cg *c, const Node *nd, Geo *d, const char **why)
{
	const Value *x = &c->g->vals[nd->in[0]], *w = &c->g->vals[nd->in[1]];

	memset(d, 0, sizeof *d);
	if (x->shape.rank != 2 || w->shape.rank != 2)
		return tgt_decline(why, "operands not of rank 2");
	d->N = x->shape.d[0], d->I = x->shape.d[1], d->O = w->shape.d[0];
	if (d->I < 1 || d->O < 1)
		return tgt_decline(why, "no inputs or outputs");
	/* 32 lanes (LMUL 8 at VLEN 128) where there are more than 16 outputs:
	 * one vle16 and one vwmacc.vx cover twice the outputs, so the scalar
	 * work per input (its load, the addresses, the loop) halves, and a
	 * machine with VLEN >= 256 fills its registers */
	d->L = d->O > 16 ? 32 : 16;
	d->OCB = (d->O + d->L - 1) / d->L;
	/* the blocks split into tiles of at most DB, as evenly as they go */
	int64_t tiles = (d->OCB + DB - 1) / DB;
	d->nb = (int)((d->OCB + tiles - 1) / tiles);
	return 1;
}

typedef struct {
	const Geo *d;
	Epilogue e;
	Int8Consts q;
	LLVMTypeRef tv, th, tb, tst; /* <L x i32>, <L x i16>, <L x i8>, vp.store's type */
	LLVMValueRef store;          /* llvm.vp.store */
	LLVMValueRef w, x, y, in;
	LLVMValueRef acc[DB];
	LLVMValueRef abuf; /* the tile's accumulators, for the stores */
} Kern;

/* The weights as i16, [O/L][I][L], zero past O. */
static LLVMValueRef pack_weights(Cg *c, const Node *nd, const Geo *d, int n)
{
	const int8_t *w = c->g->vals[nd->in[1]].data;
	int64_t L = d->L;
	size_t len = (size_t)(d->OCB * d->I * L * 2);
	unsigned char *buf = ir_xcalloc(len, 1);

	for (int64_t o = 0; o < d->O; o++)
		for (int64_t i = 0; i < d->I; i++)
			tgt_put_le(buf + (((o / L) * d->I + i) * L + o % L) * 2,
			           (uint32_t)(int32_t)w[o * d->I + i], 2);
	return tgt_const_packed(c, "wrvvd", n, buf, len);
}

/* Input i of the batch row as an i16 splat widened to <L x i32>: the form
 * LLVM matches as the scalar operand of vwmacc.vx. */
static LLVMValueRef splat_x(Cg *c, Kern *k, LLVMValueRef i)
{
	LLVMValueRef at = tgt_mad(c, k->in, k->d->I, i);
	LLVMValueRef x = LLVMBuildSExt(c->b, tgt_load(c, c->ti8, k->x, at), c->ti16, "");
	LLVMValueRef one = LLVMBuildInsertElement(c->b, LLVMGetUndef(k->th), x, tgt_c32(c, 0), "");
	LLVMValueRef v = LLVMBuildShuffleVector(
	        c->b, one, LLVMGetUndef(k->th),
	        LLVMConstNull(LLVMVectorType(c->ti32, (unsigned)k->d->L)), "");
	return LLVMBuildSExt(c->b, v, k->tv, "");
}

/* Inputs i0 .. i0 + cnt - 1 into the nb accumulators of blocks ob[]. */
static void inputs(Cg *c, Kern *k, int nb, const LLVMValueRef *ob, LLVMValueRef i0, int cnt)
{
	LLVMBuilderRef b = c->b;

	for (int u = 0; u < cnt; u++) {
		LLVMValueRef i = LLVMBuildNSWAdd(b, i0, tgt_cidx(c, u), "");
		LLVMValueRef xe = splat_x(c, k, i);
		for (int j = 0; j < nb; j++) {
			LLVMValueRef vi = tgt_mad(c, ob[j], k->d->I, i);
			LLVMValueRef we = LLVMBuildSExt(
			        b, tgt_load_al(c, k->th, tgt_gep(c, k->th, k->w, vi), 16), k->tv,
			        "");
			/* wrapping: no nsw */
			LLVMValueRef a = LLVMBuildAdd(b, LLVMBuildLoad2(b, k->tv, k->acc[j], ""),
			                              LLVMBuildMul(b, xe, we, ""), "");
			LLVMBuildStore(b, a, k->acc[j]);
		}
	}
}

/* Stores the bytes r of block ob into the batch row, as many as the
 * block's outputs that exist (the vp.store's explicit length). */
static void store_block(Cg *c, Kern *k, LLVMValueRef r, LLVMValueRef ob)
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	int L = d->L;
	LLVMValueRef o0 = tgt_mad(c, ob, L, NULL);
	LLVMValueRef left = LLVMBuildNSWSub(b, tgt_cidx(c, d->O), o0, "");
	LLVMValueRef full = LLVMBuildICmp(b, LLVMIntSLT, left, tgt_cidx(c, L), "");
	LLVMValueRef evl = LLVMBuildTrunc(b, LLVMBuildSelect(b, full, left, tgt_cidx(c, L), ""),
	                                  c->ti32, "");
	LLVMValueRef dst = tgt_gep(c, c->ti8, k->y, tgt_mad(c, k->in, d->O, o0));
	LLVMValueRef args[4] = {r, dst, LLVMConstAllOnes(LLVMVectorType(c->ti1, (unsigned)L)), evl};

	LLVMBuildCall2(b, k->tst, k->store, args, 4, "");
}

/* One tile: blocks ob0 .. ob0 + nb - 1 of the batch row k->in. */
static void tile(Cg *c, void *kv, int nb, LLVMValueRef ob0)
{
	Kern *k = kv;
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	LLVMValueRef ob[DB];
	Loop lq, lr;

	for (int j = 0; j < nb; j++) {
		ob[j] = LLVMBuildNSWAdd(b, ob0, tgt_cidx(c, j), "");
		LLVMBuildStore(b, tgt_load_al(c, k->tv, tgt_gep(c, k->tv, k->q.bias, ob[j]), 16),
		               k->acc[j]);
	}
	int64_t whole = d->I / UNROLL, rest = d->I % UNROLL;
	if (whole) {
		LLVMValueRef q = tgt_upto(c, &lq, whole);
		inputs(c, k, nb, ob, tgt_mad(c, q, UNROLL, NULL), UNROLL);
		tgt_loop_close(c, &lq);
	}
	if (rest) {
		LLVMValueRef r = tgt_upto(c, &lr, rest);
		inputs(c, k, nb, ob, LLVMBuildNSWAdd(b, r, tgt_cidx(c, whole * UNROLL), ""), 1);
		tgt_loop_close(c, &lr);
	}
	/* the requantizations one at a time: the accumulators to a stack
	 * buffer, then a loop that is not unrolled (straight-line code lets
	 * LLVM interleave them, and their i64 intermediates of 8 registers
	 * each spill) */
	for (int j = 0; j < nb; j++)
		tgt_store(c, LLVMBuildLoad2(b, k->tv, k->acc[j], ""), k->abuf, tgt_cidx(c, j));
	LLVMValueRef r = tgt_upto(c, &lr, nb);
	LLVMValueRef obr = LLVMBuildNSWAdd(b, ob0, r, "");
	store_block(c, k,
	            tgt_int8_requant_block(c, &k->q, &k->e.rq, tgt_load(c, k->tv, k->abuf, r), obr,
	                                   k->tb),
	            obr);
	LLVMBasicBlockRef latch = LLVMGetInsertBlock(b);
	tgt_loop_close(c, &lr);
	tgt_loop_no_unroll(c, LLVMGetBasicBlockTerminator(latch));
}

void tgt_dense_rvv(Cg *c, int n, LLVMValueRef fn)
{
	const Node *nd = &c->g->nodes[n];
	Geo d;
	Kern k = {.d = &d};
	Loop ln;

	applies(c, nd, &d, NULL); /* the chooser took the node */
	int L = d.L;
	k.tv = LLVMVectorType(c->ti32, (unsigned)L), k.th = LLVMVectorType(c->ti16, (unsigned)L);
	k.tb = LLVMVectorType(c->ti8, (unsigned)L);
	tgt_int8_epilogue(c, n, &k.e);
	k.w = pack_weights(c, nd, &d, n);
	/* the kernel multiplies x itself: the bias folds zx */
	k.q.bias = tgt_fold_bias(c, nd, d.OCB * L, k.e.in_zp, "brvvd", n);
	tgt_requant_tables(c, n, d.O, d.OCB * L, "rvvd", &k.q.mult, &k.q.shift, &k.q.fm);
	LLVMTypeRef ps[4] = {k.tb, c->tptr, LLVMVectorType(c->ti1, (unsigned)L), c->ti32};
	k.tst = LLVMFunctionType(c->tvoid, ps, 4, 0);
	k.store = tgt_intrinsic(c, L == 32 ? "llvm.vp.store.v32i8.p0" : "llvm.vp.store.v16i8.p0",
	                        k.tst);
	for (int j = 0; j < DB; j++)
		k.acc[j] = tgt_alloca(c, k.tv, 1);
	k.abuf = tgt_alloca(c, k.tv, DB);
	k.x = LLVMGetParam(fn, 0), k.y = LLVMGetParam(fn, 1);

	k.in = tgt_upto(c, &ln, d.N);
	tgt_block_groups(c, d.OCB, d.nb, tile, &k);
	tgt_loop_close(c, &ln);
}

TGT_APPLIES(tgt_dense_rvv_applies, Geo, applies)
