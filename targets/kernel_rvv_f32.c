/* kernel_rvv_f32.c — the f32 depthwise conv2d kernel for RISC-V with the
 * V extension (riscv.rvv_f32dw.conv2d), bit for bit the interpreter's.
 *
 * A depthwise layer (groups = C = OC) computes each output element as
 * acc = bias (or +0), then acc = acc + x * w over its KH x KW taps, ky then
 * kx ascending (ir/fam_weighted.c): fmul then fadd, no FMA (the
 * interpreter rounds twice).  Nothing is summed across channels, so the
 * lanes hold 16 channels of one output pixel, and every lane receives its
 * additions in that order.  The code is plain fixed-length LLVM vectors of
 * 16 floats (LMUL 4 at VLEN 128), correct on every VLEN as kernel_rvv.c's.
 *
 * The input is first copied into a zero-padded NHWC scratch in the arena
 * ([Hp][Wp][Cp] floats, C rounded up to 16), 16 channels of a pixel at a
 * time by one strided vector load down the NCHW channel column (vlse32),
 * so that every tap of every output pixel is one contiguous vle32 and
 * needs no bounds test.  A tap outside the image then adds +0 * w = +-0,
 * which changes nothing as long as acc is never -0; that holds when the
 * bias is not -0 or NaN and every weight is finite (kernel_f32.c's header
 * says why), so tgt_f32_constants_ok guards it.  Lanes past C hold zeros
 * and zero weights and are never stored.
 *
 * Weights are packed at compile time as [C/16][KH][KW][16] floats.  A tile
 * is np output pixels (tgt_tile_pixels, at most NP) of one block of 16
 * channels: each weight vector feeds np fmul + fadd pairs; the fused
 * activation (tgt_act_f32) is applied on the vectors, and each pixel's 16
 * channels are stored with one strided store (vsse32) down the NCHW
 * output's channel column, its length the channels that exist.  Layers
 * with a fused max-pool go to the generic loop.
 */
#include <string.h>

#include "targets.h"

enum {
	LANES = 16, /* channels per vector */
	NP = 4,     /* most output pixels per tile: 4 accumulators of 4 registers */
};

typedef struct {
	ConvGeo cg;
	int64_t Hp, Wp, OCB, P, Cp;
	int np;
} Geo;

/* The padded NHWC scratch's bytes: the one place it is sized. */
static int64_t rvvf32_scratch_bytes(const Geo *d)
{
	return d->Hp * d->Wp * d->Cp * 4;
}

static int applies(Cg *c, const Node *nd, Geo *d, const char **why)
{
	memset(d, 0, sizeof *d);
	if (tgt_conv_geo(c, nd, &d->cg, why))
		return 0;
	if (ir_has_pool(nd))
		return tgt_decline(why, "fused max-pool");
	if (!tgt_f32_constants_ok(c->g, nd))
		return tgt_decline(why, "weights not finite or bias -0 or NaN");
	d->OCB = (d->cg.OC + LANES - 1) / LANES, d->Cp = d->OCB * LANES;
	d->P = d->cg.OH * d->cg.OW;
	d->np = tgt_tile_pixels(d->P, NP);
	tgt_conv_padded(&d->cg, &d->Hp, &d->Wp);
	return 1;
}

typedef struct {
	const Geo *d;
	Epilogue e;
	LLVMTypeRef tv, tm, tld, tst; /* <16 x float>, <16 x i1>, the intrinsics' types */
	LLVMValueRef sload, sstore;
	LLVMValueRef w, bias, s, y;
	LLVMValueRef in; /* the batch element */
	LLVMValueRef acc[NP];
} Kern;

/* The weights [C/16][KH][KW][16] and the bias [C/16 * 16] (0 where there
 * is none), zero past C. */
static void pack(Cg *c, int n, Kern *k)
{
	const Node *nd = &c->g->nodes[n];
	const Geo *d = k->d;
	const float *w = c->g->vals[nd->in[1]].data;
	const float *bias = nd->nin > 2 ? c->g->vals[nd->in[2]].data : NULL;
	int64_t taps = d->cg.KH * d->cg.KW;
	size_t wlen = (size_t)(d->OCB * taps * LANES * 4), blen = (size_t)(d->Cp * 4);
	unsigned char *wb = ir_xcalloc(wlen, 1), *bb = ir_xcalloc(blen, 1);

	for (int64_t oc = 0; oc < d->cg.OC; oc++) {
		for (int64_t t = 0; t < taps; t++)
			memcpy(wb + (((oc / LANES) * taps + t) * LANES + oc % LANES) * 4,
			       &w[oc * taps + t], 4);
		if (bias)
			memcpy(bb + oc * 4, &bias[oc], 4);
	}
	k->w = tgt_const_packed(c, "wrvvf", n, wb, wlen);
	k->bias = tgt_const_packed(c, "brvvf", n, bb, blen);
}

/* lanes l < n (an i32) as an <16 x i1> mask. */
static LLVMValueRef lanes_below(Cg *c, LLVMValueRef n)
{
	LLVMValueRef idx[LANES];

	for (int l = 0; l < LANES; l++)
		idx[l] = tgt_c32(c, l);
	LLVMTypeRef t = LLVMVectorType(c->ti32, LANES);
	LLVMValueRef one = LLVMBuildInsertElement(c->b, LLVMGetUndef(t), n, tgt_c32(c, 0), "");
	LLVMValueRef all = LLVMBuildShuffleVector(c->b, one, one, LLVMConstNull(t), "");
	return LLVMBuildICmp(c->b, LLVMIntSLT, LLVMConstVector(idx, LANES), all, "");
}

/* The channels of block cb that exist, min(16, C - 16 cb), as an i32. */
static LLVMValueRef block_len(Cg *c, const Geo *d, LLVMValueRef cb)
{
	LLVMBuilderRef b = c->b;
	LLVMValueRef left = LLVMBuildTrunc(
	        b, LLVMBuildNSWSub(b, tgt_cidx(c, d->cg.C), tgt_mad(c, cb, LANES, NULL), ""),
	        c->ti32, "");

	return LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, left, tgt_c32(c, LANES), ""), left,
	                       tgt_c32(c, LANES), "");
}

/* The scratch of batch element in: zeros, then x at the input's
 * positions, 16 channels of a pixel per strided load (the lanes past C
 * stay +0). */
static void fill(Cg *c, void *kv, LLVMValueRef x, LLVMValueRef in)
{
	Kern *k = kv;
	const Geo *d = k->d;
	const ConvGeo *g = &d->cg;
	LLVMBuilderRef b = c->b;
	Loop lc, lh, lw;

	k->in = in;
	LLVMBuildMemSet(b, k->s, LLVMConstInt(c->ti8, 0, 0), tgt_cidx(c, rvvf32_scratch_bytes(d)),
	                16);
	LLVMValueRef cb = tgt_upto(c, &lc, d->OCB);
	LLVMValueRef c0 = tgt_mad(c, cb, LANES, NULL);
	LLVMValueRef len = block_len(c, d, cb), live = lanes_below(c, len);
	LLVMValueRef plane = tgt_mad(c, tgt_mad(c, in, g->C, c0), g->H * g->W, NULL);
	LLVMValueRef h = tgt_upto(c, &lh, g->H);
	LLVMValueRef src = tgt_mad(c, h, g->W, plane);
	LLVMValueRef dst = tgt_mad(c, LLVMBuildNSWAdd(b, h, tgt_cidx(c, g->pt), ""), d->Wp,
	                           tgt_cidx(c, g->pl));
	LLVMValueRef w = tgt_upto(c, &lw, g->W);
	LLVMValueRef args[4] = {tgt_gep(c, c->tf32, x, LLVMBuildNSWAdd(b, src, w, "")),
	                        tgt_cidx(c, g->H * g->W * 4), LLVMConstAllOnes(k->tm), len};
	LLVMValueRef v = LLVMBuildCall2(b, k->tld, k->sload, args, 4, "");
	v = LLVMBuildSelect(b, live, v, LLVMConstNull(k->tv), "");
	LLVMValueRef at = tgt_mad(c, LLVMBuildNSWAdd(b, dst, w, ""), d->Cp, c0);
	LLVMSetAlignment(LLVMBuildStore(b, v, tgt_gep(c, c->tf32, k->s, at)), 4);
	tgt_loop_close(c, &lw);
	tgt_loop_close(c, &lh);
	tgt_loop_close(c, &lc);
}

/* The taps of block ob for the tile's pixels (scratch element offsets
 * base[]): for ky, kx ascending, the tap's weight vector, then for each
 * pixel acc = acc + x * w (fmul, then fadd).  The loads are 4-aligned
 * (whole floats): LLVM would otherwise split them into byte loads. */
static void taps(Cg *c, Kern *k, LLVMValueRef ob, const LLVMValueRef *base)
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	Taps tp;
	LLVMValueRef toff = tgt_taps_open(c, &tp, &d->cg, d->cg.KW, d->Wp, d->Cp);
	LLVMValueRef tap = tgt_mad(c, tp.ky, d->cg.KW, tp.kx);
	LLVMValueRef wv = tgt_load_al(
	        c, k->tv, tgt_gep(c, k->tv, k->w, tgt_mad(c, ob, d->cg.KH * d->cg.KW, tap)), 4);
	LLVMValueRef coff = tgt_mad(c, ob, LANES, toff);

	for (int i = 0; i < d->np; i++) {
		LLVMValueRef off = LLVMBuildNSWAdd(b, base[i], coff, "");
		LLVMValueRef x = tgt_load_al(c, k->tv, tgt_gep(c, c->tf32, k->s, off), 4);
		LLVMValueRef a = LLVMBuildLoad2(b, k->tv, k->acc[i], "");
		LLVMBuildStore(b, LLVMBuildFAdd(b, a, LLVMBuildFMul(b, x, wv, ""), ""), k->acc[i]);
	}
	tgt_taps_close(c, &tp);
}

/* One tile: pixels p0 + i (clamped to P - 1: a duplicate stores the same
 * bits again) of block ob. */
static void tile(Cg *c, Kern *k, LLVMValueRef ob, LLVMValueRef p0)
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	LLVMValueRef p[NP], base[NP], last = tgt_cidx(c, d->P - 1);

	LLVMValueRef bv = tgt_load_al(c, k->tv, tgt_gep(c, k->tv, k->bias, ob), 4);
	for (int i = 0; i < d->np; i++) {
		LLVMValueRef q = LLVMBuildNSWAdd(b, p0, tgt_cidx(c, i), "");
		p[i] = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, q, last, ""), q, last, "");
		base[i] = tgt_scratch_pixel(c, &d->cg, d->Wp, d->Cp, p[i]);
		LLVMBuildStore(b, bv, k->acc[i]);
	}
	taps(c, k, ob, base);
	LLVMValueRef len = block_len(c, d, ob);
	LLVMValueRef row = tgt_mad(c,
	                           LLVMBuildNSWAdd(b, tgt_mad(c, k->in, d->cg.OC, NULL),
	                                           tgt_mad(c, ob, LANES, NULL), ""),
	                           d->P, NULL);
	for (int i = 0; i < d->np; i++) {
		LLVMValueRef v = tgt_act_f32(c, LLVMBuildLoad2(b, k->tv, k->acc[i], ""), k->e.act);
		LLVMValueRef args[5] = {
		        v, tgt_gep(c, c->tf32, k->y, LLVMBuildNSWAdd(b, row, p[i], "")),
		        tgt_cidx(c, d->P * 4), LLVMConstAllOnes(k->tm), len};
		LLVMBuildCall2(b, k->tst, k->sstore, args, 5, "");
	}
}

/* Every tile of block ob (tgt_block_groups' group of one block). */
static void group(Cg *c, void *kv, int nb, LLVMValueRef ob)
{
	Kern *k = kv;
	Loop lt;

	(void)nb;
	LLVMValueRef t = tgt_upto(c, &lt, (k->d->P + k->d->np - 1) / k->d->np);
	tile(c, k, ob, tgt_mad(c, t, k->d->np, NULL));
	tgt_loop_close(c, &lt);
}

void tgt_conv2d_rvv_f32dw(Cg *c, int n, LLVMValueRef fn)
{
	Geo d;
	Kern k = {.d = &d,
	          .tv = LLVMVectorType(c->tf32, LANES),
	          .tm = LLVMVectorType(c->ti1, LANES)};
	int i64 = LLVMGetIntTypeWidth(c->tidx) == 64;

	applies(c, &c->g->nodes[n], &d, NULL); /* the chooser took the node */
	tgt_epilogue_init(c, n, &k.e);
	pack(c, n, &k);
	LLVMTypeRef pl[4] = {c->tptr, c->tidx, k.tm, c->ti32};
	LLVMTypeRef ps[5] = {k.tv, c->tptr, c->tidx, k.tm, c->ti32};
	k.tld = LLVMFunctionType(k.tv, pl, 4, 0);
	k.tst = LLVMFunctionType(c->tvoid, ps, 5, 0);
	k.sload = tgt_intrinsic(c,
	                        i64 ? "llvm.experimental.vp.strided.load.v16f32.p0.i64"
	                            : "llvm.experimental.vp.strided.load.v16f32.p0.i32",
	                        k.tld);
	k.sstore = tgt_intrinsic(c,
	                         i64 ? "llvm.experimental.vp.strided.store.v16f32.p0.i64"
	                             : "llvm.experimental.vp.strided.store.v16f32.p0.i32",
	                         k.tst);
	k.s = tgt_arena_scratch(c, 0);
	for (int i = 0; i < d.np; i++)
		k.acc[i] = tgt_alloca(c, k.tv, 1);
	k.y = LLVMGetParam(fn, 1);
	tgt_conv_batches(c, fn, &d.cg, NULL, fill, d.OCB, 1, group, &k);
}

TGT_APPLIES(tgt_conv2d_rvv_f32dw_applies, Geo, applies)
TGT_SCRATCH(tgt_conv2d_rvv_f32dw_scratch, Geo, applies, rvvf32_scratch_bytes)
