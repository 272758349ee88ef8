/* kernel_rvv.c — the int8 conv2d kernel for RISC-V with the V extension.
 *
 * It takes int8 convolutions with one group, or depthwise (groups = C = OC),
 * with an i32 bias (or none), on a RISC-V target with V; the chooser
 * (kernels.c) falls back to the generic loop nest for everything else.  The code is
 * plain fixed-length LLVM vectors of 16 lanes: V guarantees VLEN >= 128
 * (zvl128b), so <16 x i32> is one register group of LMUL 4 and the code is
 * correct on every VLEN; LLVM lowers the pattern
 *     acc + sext(<16 x i16> w) * sext(splat(i16 x))
 * to one vwmacc.vx (16-bit operands, 32-bit accumulator).
 *
 * Exactness: x and w are int8, so x * w lies in [-16256, 16384] and the
 * widening multiply-add computes it exactly; vwmacc's i32 sum wraps modulo
 * 2^32 like the interpreter's accumulator (V's integer adds never
 * saturate), and a wrapping sum does not depend on its order.
 *
 * Output channels are in lanes.  Weights are repacked at compile time to
 * i16, [OC/16][KH][KW][C][16] (zero in the padding lanes), so that one tap
 * of one input channel is one vle16 feeding a vwmacc.vx per pixel of the
 * tile.  The input is first copied into a padded NHWC scratch buffer on the
 * stack ([Hp][Wp][C] bytes, borders filled with zx), so every tap is uniform
 * and x - zx needs no instruction: sum (x - zx) w = sum x w - zx sum w,
 * whose last term is folded into the bias at compile time (mod 2^32), and a
 * border tap reads zx, whose term cancels.  With dilation 1 in x, the taps
 * of one kernel row are contiguous in both the scratch and the weights, so
 * the innermost loop runs over KW*C of them at once.
 *
 * A tile is NPIX output pixels x NBLK blocks of 16 channels: 6 accumulator
 * groups of 4 registers plus the weights stay in the 32 vector registers.
 * Each accumulator is requantized as a vector (tgt_requant /
 * tgt_requant_float) and stored with one strided byte store (vsse8) down
 * the NCHW output's channel column, its length the channels that exist.
 *
 * Depthwise convolutions share the folded bias, the tiles and the epilogue
 * with channels in lanes: weights [OC/16][KH][KW][16] i16, and a scratch of
 * i16 (C rounded up to 16; x sign-extended once when it is filled, 16
 * channels of a pixel per strided vector load), so that a tap is one vle16
 * and one vwmacc.vv per pixel and block (acc += x * w lane by lane).
 */
#include <stdlib.h>
#include <string.h>

#include "targets.h"

enum {
	LANES = 16,            /* output channels per vector */
	NPIX = 3,              /* output pixels per tile */
	NBLK = 2,              /* blocks of LANES output channels per tile */
	NPIX_DW = 5,           /* depthwise: output pixels per tile, of one block */
	NPMAX = 5,             /* the most pixels of a tile */
};

typedef struct {
	ConvGeo cg;
	int64_t Cp, Hp, Wp, OCB, P;
	int64_t Cb;      /* bytes of a scratch pixel: Cp, or 2 Cp (depthwise: i16) */
	int64_t nkx, nq; /* kernel columns looped over, and taps per column */
	int depthwise;   /* groups = C = OC: channels in lanes */
	int pooled;      /* a fused max-pool: cg.pool is its geometry */
	int np, nb;      /* a tile's pixels and (most) blocks */
} Geo;

/* The shapes this kernel takes beyond its registry row (kernels.c); fills d. */
static int applies(Cg *c, const Node *nd, Geo *d, const char **why)
{
	if (tgt_conv_geo(c, nd, &d->cg, why))
		return 0;
	/* OH, OW: the convolution's own output, before a fused pool */
	d->pooled = ir_has_pool(nd);
	d->depthwise = d->cg.G > 1;
	d->OCB = (d->cg.OC + LANES - 1) / LANES, d->P = d->cg.OH * d->cg.OW;
	/* depthwise: a pixel's channels are whole blocks of LANES bytes */
	d->Cp = d->depthwise ? d->OCB * LANES : d->cg.C;
	d->Cb = d->depthwise ? 2 * d->Cp : d->Cp;
	/* depthwise: one block, so that 5 pixels share each weight vector and
	 * the accumulators (20 registers) leave room for the i16 taps */
	d->np = d->depthwise ? tgt_tile_pixels(d->P, NPIX_DW) : NPIX;
	d->nb = d->depthwise ? 1 : NBLK;
	/* one loop over a kernel row's KW*C contiguous taps where dw = 1 */
	d->nkx = d->depthwise || d->cg.dw != 1 ? d->cg.KW : 1;
	d->nq = d->depthwise ? 1 : d->cg.dw != 1 ? d->cg.C : d->cg.KW * d->cg.C;
	tgt_conv_padded(&d->cg, &d->Hp, &d->Wp);
	(void)why;
	return 1;
}

/* The padded input's bytes in the arena scratch, 16-aligned. */
static int64_t padded_bytes(const Geo *d)
{
	return (d->Hp * d->Wp * d->Cb + 15) / 16 * 16;
}

/* The arena scratch: the padded input, then (pooled) a block group's
 * convolution output. */
static int64_t rvv_scratch_bytes(const Geo *d)
{
	return padded_bytes(d) + (d->pooled ? NBLK * LANES * d->P : 0);
}

/* The weights as i16 (see the header comment), zero in padding lanes. */
static LLVMValueRef pack_weights(Cg *c, const Node *nd, const Geo *d, int n)
{
	const int8_t *w = c->g->vals[nd->in[1]].data;
	int64_t taps = d->cg.KH * d->cg.KW, per = d->depthwise ? 1 : d->cg.C;
	size_t len = (size_t)(d->OCB * taps * per * LANES * 2);
	unsigned char *buf = ir_xcalloc(len, 1);

	/* w is [OC][per][KH][KW]; the packed vector of (oc/16, tap, ci) */
	for (int64_t oc = 0; oc < d->cg.OC; oc++)
		for (int64_t ci = 0; ci < per; ci++)
			for (int64_t t = 0; t < taps; t++) {
				int64_t v = ((oc / LANES) * taps + t) * per + ci;
				tgt_put_le(buf + (v * LANES + oc % LANES) * 2,
				           (uint32_t)(int32_t)w[(oc * per + ci) * taps + t], 2);
			}
	return tgt_const_packed(c, "wrvv", n, buf, len);
}

typedef struct {
	const Geo *d;
	Epilogue e;
	LLVMTypeRef tv, th, tb; /* <16 x i32>, <16 x i16>, <16 x i8> */
	LLVMValueRef sstore;    /* llvm.experimental.vp.strided.store */
	LLVMTypeRef tss;
	Int8Consts q;
	LLVMValueRef w, s, y, nbase;
	LLVMValueRef out, cbuf, best; /* pooled: y, the conv output buffer, a max */
	LLVMValueRef in;               /* the batch element */
	LLVMValueRef acc[NPMAX][NBLK];
	LLVMValueRef abuf; /* depthwise: the tile's accumulators, for the stores */
} Kern;

/* tgt_int8_open's weights: the kernel's intrinsics, then its packed
 * weights. */
static void prepare(Cg *c, void *kv, int n)
{
	Kern *k = kv;

	LLVMTypeRef ps[5] = {k->tb, c->tptr, c->tidx, LLVMVectorType(c->ti1, LANES), c->ti32};
	const char *name = LLVMGetIntTypeWidth(c->tidx) == 64
	                           ? "llvm.experimental.vp.strided.store.v16i8.p0.i64"
	                           : "llvm.experimental.vp.strided.store.v16i8.p0.i32";

	k->tss = LLVMFunctionType(c->tvoid, ps, 5, 0);
	k->sstore = tgt_intrinsic(c, name, k->tss);
	k->w = pack_weights(c, &c->g->nodes[n], k->d, n);
}

/* The scratch byte at off as an i16 splat widened to <16 x i32>: the form
 * LLVM matches as the scalar operand of vwmacc.vx. */
static LLVMValueRef splat_x(Cg *c, Kern *k, LLVMValueRef off)
{
	LLVMValueRef x = LLVMBuildSExt(
	        c->b, tgt_load_al(c, c->ti8, tgt_gep(c, c->ti8, k->s, off), 1), c->ti16, "");
	LLVMValueRef one = LLVMBuildInsertElement(c->b, LLVMGetUndef(k->th), x, tgt_c32(c, 0), "");
	LLVMValueRef v = LLVMBuildShuffleVector(c->b, one, LLVMGetUndef(k->th),
	                                        LLVMConstNull(LLVMVectorType(c->ti32, LANES)), "");
	return LLVMBuildSExt(c->b, v, k->tv, "");
}

/* acc += xe * sext(wv), wrapping (no nsw). */
static void mac(Cg *c, Kern *k, LLVMValueRef acc, LLVMValueRef xe, LLVMValueRef wv)
{
	LLVMValueRef we = LLVMBuildSExt(c->b, wv, k->tv, "");
	LLVMValueRef a = LLVMBuildAdd(c->b, LLVMBuildLoad2(c->b, k->tv, acc, ""),
	                              LLVMBuildMul(c->b, xe, we, ""), "");
	LLVMBuildStore(c->b, a, acc);
}

/* The taps of one tile: for ky, kx, q, the vwmacc.vx of every accumulator. */
static void tile_taps(Cg *c, Kern *k, int nb, LLVMValueRef ob0, LLVMValueRef base[NPMAX])
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	Loop lq;
	Taps tp;
	LLVMValueRef toff = tgt_taps_open(c, &tp, &d->cg, d->nkx, d->Wp, d->Cp);
	LLVMValueRef ky = tp.ky, kx = tp.kx;
	/* vector index of (block, ky, kx, q): ((ob * KH + ky) * KW + kx) * C + q */
	LLVMValueRef wtap = tgt_mad(c, tgt_mad(c, ky, d->cg.KW, kx), d->cg.C, NULL);
	LLVMValueRef q = tgt_upto(c, &lq, d->nq);
	LLVMValueRef coff = LLVMBuildNSWAdd(b, toff, q, "");
	LLVMValueRef xe[NPIX];

	for (int i = 0; i < NPIX; i++)
		xe[i] = splat_x(c, k, LLVMBuildNSWAdd(b, base[i], coff, ""));
	for (int j = 0; j < nb; j++) {
		LLVMValueRef ob = LLVMBuildNSWAdd(b, ob0, tgt_cidx(c, j), "");
		LLVMValueRef vi = LLVMBuildNSWAdd(
		        b, tgt_mad(c, ob, d->cg.KH * d->cg.KW * d->cg.C, wtap), q, "");
		LLVMValueRef wv = tgt_load_al(c, k->th, tgt_gep(c, k->th, k->w, vi), 2);
		for (int i = 0; i < NPIX; i++)
			mac(c, k, k->acc[i][j], xe[i], wv);
	}
	tgt_loop_close(c, &lq);
	tgt_taps_close(c, &tp);
}

/* A depthwise tap of pixel i, block j: acc += x * w lane by lane (x i16:
 * one vwmacc.vv). */
static void mac_dw(Cg *c, void *kv, int i, int j, LLVMValueRef x, LLVMValueRef wv)
{
	Kern *k = kv;

	mac(c, k, k->acc[i][j], LLVMBuildSExt(c->b, x, k->tv, ""), wv);
}

/* Depthwise taps: for ky, kx, acc += x * w lane by lane (16 channels). */
static void tile_taps_dw(Cg *c, Kern *k, int nb, LLVMValueRef ob0, LLVMValueRef base[NPMAX])
{
	const Geo *d = k->d;
	/* offsets in bytes: a pixel is Cb, a block 2 * LANES */
	DwTaps t = {&d->cg, d->Wp, d->Cb, 2 * LANES, k->th, k->th, 2, k->w, k->s};

	tgt_taps_dw(c, &t, nb, ob0, base, d->np, mac_dw, k);
}

/* Stores the bytes r of block ob at pixel p: a strided store down the
 * channel column of y, as long as the block's channels exist. */
static void store_column(Cg *c, Kern *k, LLVMValueRef r, LLVMValueRef ob, LLVMValueRef p)
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	LLVMValueRef oc0 = tgt_mad(c, ob, LANES, NULL);
	LLVMValueRef left = LLVMBuildNSWSub(b, tgt_cidx(c, d->cg.OC), oc0, "");
	LLVMValueRef full = LLVMBuildICmp(b, LLVMIntSLT, left, tgt_cidx(c, LANES), "");
	LLVMValueRef evl = LLVMBuildTrunc(b, LLVMBuildSelect(b, full, left, tgt_cidx(c, LANES), ""),
	                                  c->ti32, "");
	LLVMValueRef dst = tgt_gep(c, c->ti8, k->y,
	                           tgt_mad(c, LLVMBuildNSWAdd(b, k->nbase, oc0, ""), d->P, p));
	LLVMValueRef args[5] = {r, dst, tgt_cidx(c, d->P),
	                        LLVMConstAllOnes(LLVMVectorType(c->ti1, LANES)), evl};

	LLVMBuildCall2(b, k->tss, k->sstore, args, 5, "");
}

/* The depthwise tile's stores: its np accumulators (one block, ob0) go to
 * a stack buffer, and a loop that is not unrolled requantizes and stores
 * one at a time.  Straight-line code would let LLVM interleave the five
 * requantizations (each with i64 intermediates of 8 registers) and spill
 * most of them: this way one is live at a time. */
static void tile_store_dw(Cg *c, Kern *k, LLVMValueRef ob0, LLVMValueRef p0)
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	Loop lr;

	for (int i = 0; i < d->np; i++)
		tgt_store(c, LLVMBuildLoad2(b, k->tv, k->acc[i][0], ""), k->abuf, tgt_cidx(c, i));
	LLVMValueRef r = tgt_upto(c, &lr, d->np);
	LLVMValueRef q = LLVMBuildNSWAdd(b, p0, r, ""), last = tgt_cidx(c, d->P - 1);
	LLVMValueRef p = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, q, last, ""), q, last, "");
	store_column(c, k,
	             tgt_int8_requant_block(c, &k->q, &k->e.rq, tgt_load(c, k->tv, k->abuf, r), ob0,
	                                    k->tb),
	             ob0, p);
	LLVMBasicBlockRef latch = LLVMGetInsertBlock(b);
	tgt_loop_close(c, &lr);
	tgt_loop_no_unroll(c, LLVMGetBasicBlockTerminator(latch));
}

/* One tile: pixels p0 + i (clamped to P - 1: a duplicate stores the same
 * bytes again), blocks ob0 .. ob0 + nb - 1. */
static void tile(Cg *c, Kern *k, int nb, LLVMValueRef ob0, LLVMValueRef p0)
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	LLVMValueRef p[NPMAX], base[NPMAX], last = tgt_cidx(c, d->P - 1);

	for (int i = 0; i < d->np; i++) {
		LLVMValueRef q = LLVMBuildNSWAdd(b, p0, tgt_cidx(c, i), "");
		p[i] = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, q, last, ""), q, last, "");
		base[i] = tgt_scratch_pixel(c, &d->cg, d->Wp, d->Cb, p[i]);
	}
	for (int j = 0; j < nb; j++) {
		LLVMValueRef ob = LLVMBuildNSWAdd(b, ob0, tgt_cidx(c, j), "");
		LLVMValueRef bv = tgt_load_al(c, k->tv, tgt_gep(c, k->tv, k->q.bias, ob), 16);
		for (int i = 0; i < d->np; i++)
			LLVMBuildStore(b, bv, k->acc[i][j]);
	}
	if (d->depthwise)
		tile_taps_dw(c, k, nb, ob0, base);
	else
		tile_taps(c, k, nb, ob0, base);
	if (d->depthwise) {
		tile_store_dw(c, k, ob0, p0);
		return;
	}
	for (int j = 0; j < nb; j++) {
		LLVMValueRef ob = LLVMBuildNSWAdd(b, ob0, tgt_cidx(c, j), "");
		for (int i = 0; i < d->np; i++)
			store_column(c, k,
			             tgt_int8_requant_block(
			                     c, &k->q, &k->e.rq,
			                     LLVMBuildLoad2(b, k->tv, k->acc[i][j], ""), ob, k->tb),
			             ob, p[i]);
	}
}

/* Every tile of pixels for the nb blocks starting at block ob0. */
static void tiles(Cg *c, Kern *k, int nb, LLVMValueRef ob0)
{
	Loop lt;
	LLVMValueRef t = tgt_upto(c, &lt, (k->d->P + k->d->np - 1) / k->d->np);

	tile(c, k, nb, ob0, tgt_mad(c, t, k->d->np, NULL));
	tgt_loop_close(c, &lt);
}

/* The fused max-pool of channels ob0*16 .. ob0*16 + nb*16 - 1 (those that
 * exist) from the group's conv output in cbuf ([channel][P] bytes) into y
 * (ir_conv_pool): the max over the window's in-bound taps, or the output
 * zero point for an empty window.  -1000 marks "no tap yet": every tap is
 * an int8. */
static void pool_group(Cg *c, Kern *k, int nb, LLVMValueRef ob0, LLVMValueRef in)
{
	const Geo *d = k->d;
	const ConvPool *p = &d->cg.pool;
	LLVMBuilderRef b = c->b;
	Loop lr, loy, lox;
	PoolTaps t;
	LLVMValueRef oc0 = tgt_mad(c, ob0, LANES, NULL);
	LLVMValueRef left = LLVMBuildNSWSub(b, tgt_cidx(c, d->cg.OC), oc0, "");
	LLVMValueRef all = LLVMBuildICmp(b, LLVMIntSLT, left, tgt_cidx(c, nb * LANES), "");
	LLVMValueRef r = tgt_loop_open(c, &lr, tgt_cidx(c, 0),
	                               LLVMBuildSelect(b, all, left, tgt_cidx(c, nb * LANES), ""));
	LLVMValueRef plane = tgt_mad(c, r, d->P, NULL);
	LLVMValueRef oplane = tgt_mad(c, tgt_mad(c, in, d->cg.OC, LLVMBuildNSWAdd(b, oc0, r, "")),
	                              p->oh * p->ow, NULL);
	LLVMValueRef oy = tgt_upto(c, &loy, p->oh);
	LLVMValueRef ox = tgt_upto(c, &lox, p->ow);

	LLVMBuildStore(b, tgt_c32(c, -1000), k->best);
	tgt_pool_taps_open(c, &t, p, oy, ox);
	LLVMValueRef v = LLVMBuildSExt(
	        b,
	        tgt_load(c, c->ti8, k->cbuf,
	                 tgt_mad(c, t.iy, p->cw, LLVMBuildNSWAdd(b, plane, t.ix, ""))),
	        c->ti32, "");
	LLVMValueRef m = LLVMBuildLoad2(b, c->ti32, k->best, "");
	LLVMBuildStore(b, LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, v, m, ""), v, m, ""),
	               k->best);
	tgt_pool_taps_close(c, &t);
	LLVMValueRef m2 = LLVMBuildLoad2(b, c->ti32, k->best, "");
	LLVMValueRef none = LLVMBuildICmp(b, LLVMIntSLT, m2, tgt_c32(c, -128), "");
	LLVMValueRef res = LLVMBuildSelect(b, none, tgt_c32(c, k->e.rq.zp), m2, "");
	tgt_store(c, LLVMBuildTrunc(b, res, c->ti8, ""), k->out,
	          tgt_mad(c, oy, p->ow, LLVMBuildNSWAdd(b, oplane, ox, "")));
	tgt_loop_close(c, &lox);
	tgt_loop_close(c, &loy);
	tgt_loop_close(c, &lr);
}

/* The nb blocks from block ob0 of image in: every tile, straight into y,
 * or through cbuf and the fused pool. */
static void group(Cg *c, void *kv, int nb, LLVMValueRef ob0)
{
	Kern *k = kv;
	LLVMValueRef in = k->in;

	if (!k->d->pooled) {
		k->y = k->out, k->nbase = tgt_mad(c, in, k->d->cg.OC, NULL);
		tiles(c, k, nb, ob0);
		return;
	}
	/* channel oc of the group lands at cbuf + (oc - ob0*16) * P */
	k->y = k->cbuf, k->nbase = tgt_mad(c, ob0, -LANES, NULL);
	tiles(c, k, nb, ob0);
	pool_group(c, k, nb, ob0, in);
}

/* The padded NHWC scratch copy of batch element in: zx everywhere, then x
 * at the input's positions. */
static void fill_scratch(Cg *c, void *kv, LLVMValueRef x, LLVMValueRef in)
{
	Kern *k = kv;
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	ScratchCopy sc;

	k->in = in; /* for group */

	LLVMBuildMemSet(b, k->s, LLVMConstInt(c->ti8, (unsigned long long)k->e.in_zp, 1),
	                tgt_cidx(c, d->Hp * d->Wp * d->Cp), 16);
	LLVMValueRef v = tgt_scratch_open(c, &sc, &d->cg, d->Wp, x, in, 0);
	tgt_store(c, v, k->s, tgt_scratch_at(c, &sc, d->Cp));
	tgt_scratch_close(c, &sc);
}

/* The depthwise scratch of batch element in: [Hp][Wp][Cp] i16 (x
 * sign-extended once here, so that a tap is one vle16 and one vwmacc.vv),
 * zx everywhere, then x at the input's positions, 16 channels of a pixel
 * at a time: one strided byte load down the NCHW channel column (vlse8),
 * its length the block's channels that exist (the lanes past them keep
 * zx; their weights are zero). */
static void fill_dw(Cg *c, void *kv, LLVMValueRef x, LLVMValueRef in)
{
	Kern *k = kv;
	const Geo *d = k->d;
	const ConvGeo *g = &d->cg;
	LLVMBuilderRef b = c->b;
	LLVMTypeRef tm = LLVMVectorType(c->ti1, LANES);
	LLVMValueRef zv[LANES], idx[LANES];
	Loop lz, lc, lh, lw;

	k->in = in; /* for group */
	for (int l = 0; l < LANES; l++)
		zv[l] = LLVMConstInt(c->ti16, (unsigned long long)k->e.in_zp, 1),
		idx[l] = tgt_c32(c, l);
	LLVMValueRef zx = LLVMConstVector(zv, LANES);
	LLVMValueRef z = tgt_upto(c, &lz, d->Hp * d->Wp * d->OCB);
	LLVMSetAlignment(LLVMBuildStore(b, zx, tgt_gep(c, k->th, k->s, z)), 2);
	tgt_loop_close(c, &lz);

	LLVMTypeRef ps[4] = {c->tptr, c->tidx, tm, c->ti32};
	LLVMTypeRef tl = LLVMFunctionType(k->tb, ps, 4, 0);
	LLVMValueRef sload = tgt_intrinsic(
	        c,
	        LLVMGetIntTypeWidth(c->tidx) == 64
	                ? "llvm.experimental.vp.strided.load.v16i8.p0.i64"
	                : "llvm.experimental.vp.strided.load.v16i8.p0.i32",
	        tl);
	LLVMValueRef cb = tgt_upto(c, &lc, d->OCB);
	LLVMValueRef c0 = tgt_mad(c, cb, LANES, NULL);
	LLVMValueRef left = LLVMBuildTrunc(b, LLVMBuildNSWSub(b, tgt_cidx(c, g->C), c0, ""),
	                                   c->ti32, "");
	left = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, left, tgt_c32(c, LANES), ""), left,
	                       tgt_c32(c, LANES), "");
	LLVMValueRef one = LLVMBuildInsertElement(b, LLVMGetUndef(LLVMVectorType(c->ti32, LANES)),
	                                          left, tgt_c32(c, 0), "");
	LLVMValueRef live = LLVMBuildICmp(
	        b, LLVMIntSLT, LLVMConstVector(idx, LANES),
	        LLVMBuildShuffleVector(b, one, one, LLVMConstNull(LLVMVectorType(c->ti32, LANES)),
	                               ""),
	        "");
	LLVMValueRef plane = tgt_mad(c, tgt_mad(c, in, g->C, c0), g->H * g->W, NULL);
	LLVMValueRef h = tgt_upto(c, &lh, g->H);
	LLVMValueRef src = tgt_mad(c, h, g->W, plane);
	LLVMValueRef dst = tgt_mad(c, LLVMBuildNSWAdd(b, h, tgt_cidx(c, g->pt), ""), d->Wp,
	                           tgt_cidx(c, g->pl));
	LLVMValueRef w = tgt_upto(c, &lw, g->W);
	LLVMValueRef args[4] = {tgt_gep(c, c->ti8, x, LLVMBuildNSWAdd(b, src, w, "")),
	                        tgt_cidx(c, g->H * g->W), LLVMConstAllOnes(tm), left};
	LLVMValueRef v = LLVMBuildSExt(b, LLVMBuildCall2(b, tl, sload, args, 4, ""), k->th, "");
	v = LLVMBuildSelect(b, live, v, zx, "");
	LLVMValueRef at = tgt_mad(c, LLVMBuildNSWAdd(b, dst, w, ""), d->Cb,
	                          tgt_mad(c, c0, 2, NULL));
	LLVMSetAlignment(LLVMBuildStore(b, v, tgt_gep(c, c->ti8, k->s, at)), 2);
	tgt_loop_close(c, &lw);
	tgt_loop_close(c, &lh);
	tgt_loop_close(c, &lc);
}

void tgt_conv2d_rvv(Cg *c, int n, LLVMValueRef fn)
{
	Geo d;
	Kern k = {.d = &d,
	          .tv = LLVMVectorType(c->ti32, LANES),
	          .th = LLVMVectorType(c->ti16, LANES),
	          .tb = LLVMVectorType(c->ti8, LANES)};

	applies(c, &c->g->nodes[n], &d, NULL); /* the chooser took the node */
	/* the kernel multiplies x itself: the bias folds zx */
	Int8Open o = {"rvv", d.OCB * LANES, 1, 0, prepare, c->ti8, d.Hp * d.Wp * d.Cb, 16};
	k.s = tgt_int8_open(c, n, &o, &k.e, &k.q, &k);
	for (int i = 0; i < d.np; i++)
		for (int j = 0; j < d.nb; j++)
			k.acc[i][j] = tgt_alloca(c, k.tv, 1);
	k.out = LLVMGetParam(fn, 1);
	if (d.depthwise)
		k.abuf = tgt_alloca(c, k.tv, NPMAX);
	if (d.pooled) {
		k.cbuf = tgt_arena_scratch(c, padded_bytes(&d));
		k.best = tgt_alloca(c, c->ti32, 1);
	}
	tgt_conv_batches(c, fn, &d.cg, NULL, d.depthwise ? fill_dw : fill_scratch, d.OCB, d.nb,
	                 group, &k);
}

TGT_APPLIES(tgt_conv2d_rvv_applies, Geo, applies)
TGT_SCRATCH(tgt_conv2d_rvv_scratch, Geo, applies, rvv_scratch_bytes)
