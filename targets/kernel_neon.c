/* kernel_neon.c — the int8 conv2d kernel for AArch64 NEON: sdot where the
 * target has the dot-product extension, smlal everywhere else.
 *
 * LLVM vectorizes the generic loop nest (lower_conv.c) to smull/saddw at
 * best and never forms sdot, so this file emits the multiply-accumulates
 * itself.  It takes int8 convolutions with one group or depthwise (below)
 * and an i32 bias (or none); the chooser (kernels.c) falls back
 * to the generic loops for the rest.
 * Both variants share the structure of kernel_x86.c: a padded NHWC copy of
 * one batch element's input in the node's arena scratch (plan-memory's),
 * weights repacked at compile time, register tiles of
 * NPIX output pixels x 16 output channels (NPIX*4 accumulators of 4 i32
 * lanes), and a vector epilogue (tgt_requant / tgt_requant_float on the 4
 * lanes) whose bytes are transposed in registers to 4 consecutive pixels of
 * each output channel, stored as one 32-bit word into the NCHW output.
 *
 * sdot (llvm.aarch64.neon.sdot.v4i32.v16i8): each i32 lane adds the 4
 * products of 4 signed bytes of both operands, without saturation, so the
 * sums wrap exactly as the interpreter's i32 accumulator.  Both operands are
 * signed, so x - zx cannot be formed in a byte: the kernel computes
 * sum x w - zx sum w, the last term folded into the bias per output channel
 * at compile time (mod 2^32, like the accumulation).  Padding taps and the
 * channels past C read zx from the scratch copy (their x - zx is 0; the
 * padding channels also have zero weights).  Scratch [Hp][Wp][C4*4] bytes;
 * weights [OC/16][KH][KW][C4][16 oc][4 ic] bytes: one 64-byte step per 4
 * input channels of a tap, dotted with the 4 input bytes of each pixel:
 * when C4 is a multiple of 4, one 16-byte load per pixel serves 4 steps
 * through the lane-indexed sdot v.4s, v.16b, v.4b[q]; otherwise the 4
 * bytes are broadcast (ld1r).
 *
 * smlal (llvm.aarch64.neon.smull.v4i32 + add): the scratch copy holds
 * x - zx as i16 (in [-255, 255]; padding 0) and the weights are widened to
 * i16, [OC/16][KH][KW][C][16 oc].  smull multiplies i16 by i16 into i32,
 * which is exact for every i16 pair, and the following add (LLVM folds the
 * pair into smlal) wraps mod 2^32 like the interpreter.  No bias folding
 * is needed.  When C is a multiple of 8, one 16-byte load per pixel serves
 * 8 input channels through the lane-indexed smlal v.4s, v.4h, v.h[q].
 *
 * Depthwise convolutions (groups = C = OC) take the smlal variant on both
 * targets (sdot has no 4-deep sum to reduce there), with channels in lanes:
 * the i16 scratch rounds C up to 16, the weights are [OC/16][KH][KW][16]
 * i16, and a tap is acc += (x - zx) * w for 4 vectors of 4 channels per
 * pixel (smlal by vector); the tiles and the epilogue are shared.
 *
 * A fused max-pool (conv2d's pool attributes) sends the tiles' stores to
 * a second buffer holding one batch element's whole convolution
 * output [OC][OH][OW], which a scalar loop then pools into y exactly as
 * maxpool2d (both buffers in the node's arena scratch): the convolution,
 * not the pool, is where the time goes.
 *
 * Tiles whose pixels would run past P = OH*OW are moved back to end at P
 * (they recompute pixels an earlier tile already stored, with the same
 * bytes), so every store is a whole 32-bit word; outputs with fewer than
 * NPIX pixels are declined.  Output channels past OC (OC rounded up to 16)
 * compute from zero weights and are stored to a dummy stack word.
 */
#include <stdlib.h>
#include <string.h>

#include "targets.h"

enum {
	NPIX = 4,              /* output pixels per tile (one 32-bit store) */
	NBLK = 4,              /* blocks of 4 output channels per tile */
	OCG = NBLK * 4,        /* output channels per tile */
};

typedef struct {
	ConvGeo cg;
	int64_t Cp, Hp, Wp, OG, P;
	int dot; /* sdot (Cp = C rounded up to 4, bytes) or smlal (Cp = C, i16) */
	int depthwise; /* groups = C = OC: smlal by vector, Cp = OG*16, i16 */
	int pool;      /* a fused max-pool (geometry cg.pool): the convolution
	                  goes to a stack buffer [OC][OH][OW] first */
} Geo;

/* The shapes this kernel takes beyond its registry row (kernels.c); fills d. */
static int applies(Cg *c, const Node *nd, Geo *d, const char **why)
{
	if (tgt_conv_geo(c, nd, &d->cg, why))
		return 0;
	d->depthwise = d->cg.G > 1;
	d->dot = tgt_neon_variant(c->tm) == 1 && !d->depthwise; /* sdot */
	d->pool = ir_has_pool(nd);
	d->P = d->cg.OH * d->cg.OW;
	if (d->P < NPIX)
		return tgt_decline(why, "fewer than 4 pixels");
	d->OG = (d->cg.OC + OCG - 1) / OCG;
	d->Cp = d->depthwise ? d->OG * OCG : d->dot ? (d->cg.C + 3) / 4 * 4 : d->cg.C;
	tgt_conv_padded(&d->cg, &d->Hp, &d->Wp);
	return 1;
}

/* The padded input's bytes in the arena scratch, 16-aligned: the pooled
 * convolution's buffer follows. */
static int64_t padded_bytes(const Geo *d)
{
	return (d->Hp * d->Wp * d->Cp * (d->dot ? 1 : 2) + 15) / 16 * 16;
}

/* The arena scratch: the padded input, then with a fused max-pool the
 * convolution's output [OC][OH][OW]. */
static int64_t neon_scratch_bytes(const Geo *d)
{
	return padded_bytes(d) + (d->pool ? d->cg.OC * d->P : 0);
}

/* The repacked weights (see the header comment): element (og, ky, kx, ci,
 * oc % 16) of [OG][KH][KW][Cp][16], bytes for sdot (then reordered so that
 * 4 input channels of one output channel are adjacent), i16 for smlal. */
static LLVMValueRef pack_weights(Cg *c, const Node *nd, const Geo *d, int n)
{
	const int8_t *w = c->g->vals[nd->in[1]].data;
	int esz = d->dot ? 1 : 2;
	size_t len = (size_t)(d->OG * d->cg.KH * d->cg.KW * (d->depthwise ? 1 : d->Cp) * OCG * esz);
	unsigned char *buf = ir_xcalloc(len, 1);

	for (int64_t oc = 0; oc < d->cg.OC; oc++)
		for (int64_t ci = 0; ci < (d->depthwise ? 1 : d->cg.C); ci++)
			for (int64_t ky = 0; ky < d->cg.KH; ky++)
				for (int64_t kx = 0; kx < d->cg.KW; kx++) {
					int8_t v = w[((oc * (d->depthwise ? 1 : d->cg.C) + ci) *
					                      d->cg.KH +
					              ky) * d->cg.KW +
					             kx];
					int64_t step = ((oc / OCG) * d->cg.KH + ky) * d->cg.KW + kx,
					        l = oc % OCG;
					if (d->dot) {
						/* [step][C4][16 oc][4 ic] */
						buf[((step * (d->Cp / 4) + ci / 4) * OCG + l) * 4 +
						    ci % 4] = (unsigned char)v;
					} else {
						/* [step][C][16 oc] of little-endian i16
						 * (depthwise: [step][16 oc]) */
						uint16_t u = (uint16_t)(int16_t)v;
						size_t at = (size_t)(((step * (d->depthwise
						                                       ? 1
						                                       : d->Cp) +
						                       ci) * OCG +
						                      l) *
						                     2);
						buf[at] = (unsigned char)u,
						buf[at + 1] = (unsigned char)(u >> 8);
					}
				}
	return tgt_const_packed(c, "wneon", n, buf, len);
}

typedef struct {
	const Geo *d;
	Epilogue e;
	LLVMTypeRef tv, tb, th; /* <4 x i32>, <16 x i8>, <4 x i16> */
	LLVMValueRef mac;       /* sdot or smull */
	LLVMTypeRef tmac;
	Int8Consts q;
	LLVMValueRef w, s, y, dummy, nbase;
	LLVMValueRef acc[NPIX][NBLK];
} Kern;

/* tgt_int8_open's weights: the kernel's intrinsics, then its packed
 * weights. */
static void prepare(Cg *c, void *kv, int n)
{
	Kern *k = kv;

	if (k->d->dot) {
		LLVMTypeRef ps[3] = {k->tv, k->tb, k->tb};
		k->tmac = LLVMFunctionType(k->tv, ps, 3, 0);
		k->mac = tgt_intrinsic(c, "llvm.aarch64.neon.sdot.v4i32.v16i8", k->tmac);
	} else {
		LLVMTypeRef ps[2] = {k->th, k->th};
		k->tmac = LLVMFunctionType(k->tv, ps, 2, 0);
		k->mac = tgt_intrinsic(c, "llvm.aarch64.neon.smull.v4i32", k->tmac);
	}
	k->w = pack_weights(c, &c->g->nodes[n], k->d, n);
}

static LLVMValueRef splat(Cg *c, LLVMValueRef v, LLVMTypeRef tvec)
{
	LLVMValueRef one = LLVMBuildInsertElement(c->b, LLVMGetUndef(tvec), v, tgt_c32(c, 0), "");
	return LLVMBuildShuffleVector(
	        c->b, one, LLVMGetUndef(tvec),
	        LLVMConstNull(LLVMVectorType(c->ti32, LLVMGetVectorSize(tvec))), "");
}

/* Lane q of v, in every lane of a vector of n lanes. */
static LLVMValueRef dup_lane(Cg *c, LLVMValueRef v, int q, unsigned n)
{
	LLVMValueRef m[8];

	for (unsigned i = 0; i < n; i++)
		m[i] = tgt_c32(c, q);
	return LLVMBuildShuffleVector(c->b, v, LLVMGetUndef(LLVMTypeOf(v)), LLVMConstVector(m, n),
	                              "");
}

/* acc[i][j] += the products of weight vector w and input vector u: sdot
 * (4 bytes of w by the 4 bytes of u per lane) or smull (4 i16 by 4 i16)
 * then a wrapping add, which LLVM fuses into smlal. */
static void mac(Cg *c, Kern *k, int i, int j, LLVMValueRef w, LLVMValueRef u)
{
	LLVMValueRef a = LLVMBuildLoad2(c->b, k->tv, k->acc[i][j], "");

	if (k->d->dot) {
		LLVMValueRef args[3] = {a, w, u};
		a = LLVMBuildCall2(c->b, k->tmac, k->mac, args, 3, "");
	} else {
		LLVMValueRef args[2] = {w, u};
		/* no nsw: the accumulation wraps */
		a = LLVMBuildAdd(c->b, a, LLVMBuildCall2(c->b, k->tmac, k->mac, args, 2, ""), "");
	}
	LLVMBuildStore(c->b, a, k->acc[i][j]);
}

/* One step of the reduction (4 input channels for sdot, 1 for smlal):
 * weight vector index vi .. vi + NBLK - 1 against the input u[i] of each
 * pixel. */
static void step_macs(Cg *c, Kern *k, LLVMValueRef vi, LLVMValueRef u[NPIX])
{
	LLVMTypeRef tw = k->d->dot ? k->tb : k->th;
	LLVMValueRef wv[NBLK];

	for (int j = 0; j < NBLK; j++)
		wv[j] = tgt_load_al(
		        c, tw, tgt_gep(c, tw, k->w, LLVMBuildNSWAdd(c->b, vi, tgt_cidx(c, j), "")),
		        k->d->dot ? 16 : 8);
	for (int i = 0; i < NPIX; i++)
		for (int j = 0; j < NBLK; j++)
			mac(c, k, i, j, wv[j], u[i]);
}

/* The taps: for ky, kx and each group of G reduction steps (G = 4 for
 * sdot: 16 input channels; 8 for smlal: 8 input channels, when the
 * channels divide so; otherwise G = 1), the input of each pixel for the
 * group is one 16-byte load, and each step uses one of its lanes
 * (the indexed forms sdot v.4s, v.16b, v.4b[q] and smlal v.4s, v.4h,
 * v.h[q]); with G = 1, a broadcast load (ld1r). */
static void taps(Cg *c, Kern *k, LLVMValueRef og, LLVMValueRef base[NPIX])
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	int64_t steps = d->dot ? d->Cp / 4 : d->cg.C; /* per tap */
	int64_t per = d->dot ? 4 : 1;              /* scratch elements per step */
	int G = d->dot ? 4 : 8;
	LLVMTypeRef te = d->dot ? c->ti32 : c->ti16; /* one step's input */
	Loop lc;
	Taps tp;

	if (steps % G)
		G = 1;
	LLVMValueRef toff = tgt_taps_open(c, &tp, &d->cg, d->cg.KW, d->Wp, d->Cp);
	LLVMValueRef ky = tp.ky, kx = tp.kx;
	LLVMValueRef tap = tgt_mad(c, tgt_mad(c, og, d->cg.KH, ky), d->cg.KW, kx);
	LLVMValueRef g = tgt_upto(c, &lc, steps / G);
	LLVMValueRef coff = tgt_mad(c, g, G * per, toff);
	LLVMValueRef st0 = tgt_mad(c, tap, steps, tgt_mad(c, g, G, NULL));
	LLVMValueRef xv[NPIX], u[NPIX];
	LLVMTypeRef tg = LLVMVectorType(te, (unsigned)G);

	for (int i = 0; i < NPIX; i++) {
		LLVMValueRef p = tgt_gep(c, d->dot ? c->ti8 : c->ti16, k->s,
		                         LLVMBuildNSWAdd(b, base[i], coff, ""));
		xv[i] = tgt_load_al(c, G > 1 ? tg : te, p, 1);
	}
	for (int q = 0; q < G; q++) {
		for (int i = 0; i < NPIX; i++) {
			u[i] = G > 1 ? dup_lane(c, xv[i], q, 4)
			             : splat(c, xv[i], d->dot ? k->tv : k->th);
			if (d->dot)
				u[i] = LLVMBuildBitCast(b, u[i], k->tb, "");
		}
		LLVMValueRef vi = tgt_mad(c, LLVMBuildNSWAdd(b, st0, tgt_cidx(c, q), ""), NBLK,
		                          NULL);
		step_macs(c, k, vi, u);
	}
	tgt_loop_close(c, &lc);
	tgt_taps_close(c, &tp);
}

/* Depthwise taps: for ky, kx, acc += (x - zx) * w lane by lane, the 16
 * channels of the tile in 4 vectors of 4 i16 per pixel (smlal by vector). */
static void taps_dw(Cg *c, Kern *k, LLVMValueRef og, LLVMValueRef base[NPIX])
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	Taps tp;
	LLVMValueRef toff = tgt_taps_open(c, &tp, &d->cg, d->cg.KW, d->Wp, d->Cp);
	LLVMValueRef ky = tp.ky, kx = tp.kx;
	LLVMValueRef tap = tgt_mad(c, tgt_mad(c, og, d->cg.KH, ky), d->cg.KW, kx);
	LLVMValueRef coff = tgt_mad(c, og, OCG, toff);

	for (int j = 0; j < NBLK; j++) {
		LLVMValueRef wv = tgt_load_al(
		        c, k->th, tgt_gep(c, k->th, k->w, tgt_mad(c, tap, NBLK, tgt_cidx(c, j))),
		        8);
		for (int i = 0; i < NPIX; i++) {
			LLVMValueRef off = LLVMBuildNSWAdd(b, base[i],
			                                   tgt_mad(c, tgt_cidx(c, j), 4, coff), "");
			mac(c, k, i, j, wv,
			    tgt_load_al(c, k->th, tgt_gep(c, c->ti16, k->s, off), 8));
		}
	}
	tgt_taps_close(c, &tp);
}

/* A call of the <4 x i32> (<4 x i32>, <4 x i32>) intrinsic name. */
static LLVMValueRef call2(Cg *c, Kern *k, const char *name, LLVMValueRef a, LLVMValueRef b)
{
	LLVMTypeRef ps[2] = {k->tv, k->tv};
	LLVMTypeRef t = LLVMFunctionType(k->tv, ps, 2, 0);
	LLVMValueRef f = LLVMGetNamedFunction(c->mod, name), args[2] = {a, b};

	if (!f)
		f = LLVMAddFunction(c->mod, name, t);
	return LLVMBuildCall2(c->b, t, f, args, 2, "");
}

static LLVMValueRef splat32(Cg *c, Kern *k, int32_t v)
{
	return splat(c, LLVMConstInt(c->ti32, (unsigned long long)(int64_t)v, 1), k->tv);
}

/* MultiplyByQuantizedMultiplier + zp, clamped (tgt_requant's result) in
 * four NEON instructions instead of i64 arithmetic:
 * - the left shift max(shift, 0) clamped to i32 is sqshl (saturating);
 * - SaturatingRoundingDoublingHighMul(x, m) = trunc((x*m + nudge) / 2^31),
 *   nudge 2^30 or 1 - 2^30 by the sign of x*m, is sqrdmulh, which gives
 *   floor((x*m + 2^30) / 2^31): for x*m >= 0 the two agree, and for
 *   x*m = -k < 0, trunc((1 - 2^30 - k) / 2^31) = -floor((k + 2^30 - 1) / 2^31)
 *   = -ceil((k - 2^30) / 2^31) = floor((2^30 - k) / 2^31).  It saturates only
 *   for x = m = INT32_MIN, and m is 0 or in [2^30, 2^31);
 * - RoundingDivideByPOT(q, e), e = max(-shift, 0) (halves away from zero),
 *   is srshl by -e (halves up, computed without overflow) of q - 1 for
 *   negative q when e > 0: with q = 2^e * f + r, 0 <= r < 2^e, both give
 *   f + (r > 2^(e-1)) for q < 0.  The -1 is a saturating add (sqadd), and
 *   q = INT32_MIN, kept, still gives f = -2^(31-e), as the reference.
 * This is gemmlowp's own NEON form of the same functions. */
static LLVMValueRef requant_fixed(Cg *c, Kern *k, LLVMValueRef acc, LLVMValueRef mult,
                                  LLVMValueRef shift)
{
	LLVMBuilderRef b = c->b;
	LLVMValueRef zero = LLVMConstNull(k->tv), x = acc, q, negr, fix, r;
	const Requant *rq = &k->e.rq;

	if (rq->has_left) {
		LLVMValueRef left = LLVMBuildSelect(
		        b, LLVMBuildICmp(b, LLVMIntSGT, shift, zero, ""), shift, zero, "");
		x = call2(c, k, "llvm.aarch64.neon.sqshl.v4i32", x, left);
	}
	q = call2(c, k, "llvm.aarch64.neon.sqrdmulh.v4i32", x, mult);
	negr = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, shift, zero, ""), shift, zero, "");
	/* -1 where q < 0 and e > 0 (both sign bits set), else 0 */
	fix = LLVMBuildAShr(b, LLVMBuildAnd(b, q, negr, ""), splat32(c, k, 31), "");
	q = call2(c, k, "llvm.aarch64.neon.sqadd.v4i32", q, fix);
	r = call2(c, k, "llvm.aarch64.neon.srshl.v4i32", q, negr);
	r = LLVMBuildAdd(b, r, splat32(c, k, rq->zp), "");
	r = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, r, splat32(c, k, rq->lo), ""), r,
	                    splat32(c, k, rq->lo), "");
	return LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, r, splat32(c, k, rq->hi), ""), r,
	                       splat32(c, k, rq->hi), "");
}

/* requant_fixed for the other AArch64 kernels (kernel_neon_gemm.c). */
LLVMValueRef tgt_neon_requant(Cg *c, const Requant *rq, LLVMValueRef acc, LLVMValueRef mult,
                              LLVMValueRef shift)
{
	Kern k = {.tv = LLVMVectorType(c->ti32, 4)};

	k.e.rq = *rq;
	return requant_fixed(c, &k, acc, mult, shift);
}

/* The requantized 4 channels of block ob from accumulator a, as i32. */
static LLVMValueRef requant4(Cg *c, Kern *k, LLVMValueRef a, LLVMValueRef ob)
{
	if (k->q.fm)
		return tgt_requant_float(
		        c, a,
		        tgt_load_al(c, LLVMVectorType(c->tf32, 4),
		                    tgt_gep(c, LLVMVectorType(c->tf32, 4), k->q.fm, ob), 16),
		        &k->e.rq);
	return requant_fixed(c, k, a, tgt_load_al(c, k->tv, tgt_gep(c, k->tv, k->q.mult, ob), 16),
	                     tgt_load_al(c, k->tv, tgt_gep(c, k->tv, k->q.shift, ob), 16));
}

/* A shuffle mask of n lanes from idx. */
static LLVMValueRef mask(Cg *c, const int *idx, int n)
{
	LLVMValueRef m[32];

	for (int i = 0; i < n; i++)
		m[i] = tgt_c32(c, idx[i]);
	return LLVMConstVector(m, (unsigned)n);
}

/* The tile's bytes, pixel-major r[i] (16 channels of pixel i), as 4
 * vectors q[v] holding channels 4v..4v+3, each 4 pixels (channel-major):
 * element 4*ch + px of the 64 bytes is r[px][ch]. */
static void transpose(Cg *c, LLVMValueRef r[NPIX], LLVMValueRef q[NBLK])
{
	int lo[32], m[16];
	LLVMValueRef t01, t23;

	/* t01: interleave r0, r1 -> pairs (r0[ch], r1[ch]); t23 alike */
	for (int i = 0; i < 16; i++)
		lo[2 * i] = i, lo[2 * i + 1] = 16 + i;
	t01 = LLVMBuildShuffleVector(c->b, r[0], r[1], mask(c, lo, 32), "");
	t23 = LLVMBuildShuffleVector(c->b, r[2], r[3], mask(c, lo, 32), "");
	for (int v = 0; v < NBLK; v++) {
		for (int e = 0; e < 16; e++) {
			int ch = 4 * v + e / 4, px = e % 4;
			m[e] = px < 2 ? 2 * ch + px : 32 + 2 * ch + px - 2;
		}
		q[v] = LLVMBuildShuffleVector(c->b, t01, t23, mask(c, m, 16), "");
	}
}

/* Requantizes the tile and stores its 4 pixels (from p0) of each of its 16
 * channels (from block og*4) as one word of y; channels past OC go to the
 * dummy word. */
static void store_tile(Cg *c, Kern *k, LLVMValueRef og, LLVMValueRef p0)
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	LLVMValueRef r[NPIX], q[NBLK], ob[NBLK];
	int cat[16];

	for (int j = 0; j < NBLK; j++)
		ob[j] = tgt_mad(c, og, NBLK, tgt_cidx(c, j));
	for (int e = 0; e < 16; e++)
		cat[e] = e;
	for (int i = 0; i < NPIX; i++) {
		LLVMValueRef v[NBLK];
		for (int j = 0; j < NBLK; j++)
			v[j] = LLVMBuildTrunc(
			        b,
			        requant4(c, k, LLVMBuildLoad2(b, k->tv, k->acc[i][j], ""), ob[j]),
			        LLVMVectorType(c->ti8, 4), "");
		int c8[8] = {0, 1, 2, 3, 4, 5, 6, 7};
		LLVMValueRef a = LLVMBuildShuffleVector(b, v[0], v[1], mask(c, c8, 8), "");
		LLVMValueRef z = LLVMBuildShuffleVector(b, v[2], v[3], mask(c, c8, 8), "");
		r[i] = LLVMBuildShuffleVector(b, a, z, mask(c, cat, 16), "");
	}
	transpose(c, r, q);
	for (int v = 0; v < NBLK; v++) {
		LLVMValueRef words = LLVMBuildBitCast(b, q[v], k->tv, "");
		for (int l = 0; l < 4; l++) {
			LLVMValueRef oc = tgt_mad(c, og, OCG, tgt_cidx(c, 4 * v + l));
			LLVMValueRef dst = tgt_gep(
			        c, c->ti8, k->y,
			        tgt_mad(c, LLVMBuildNSWAdd(b, k->nbase, oc, ""), d->P, p0));
			if ((d->cg.OC % OCG) != 0)
				dst = LLVMBuildSelect(
				        b,
				        LLVMBuildICmp(b, LLVMIntSLT, oc, tgt_cidx(c, d->cg.OC), ""),
				        dst, k->dummy, "");
			LLVMValueRef st = LLVMBuildStore(
			        b, LLVMBuildExtractElement(b, words, tgt_c32(c, l), ""), dst);
			LLVMSetAlignment(st, 1);
		}
	}
}

/* One tile: pixels p0 .. p0 + NPIX - 1, channels og*16 .. og*16 + 15. */
static void tile(Cg *c, Kern *k, LLVMValueRef og, LLVMValueRef p0)
{
	LLVMBuilderRef b = c->b;
	LLVMValueRef base[NPIX];

	for (int i = 0; i < NPIX; i++)
		base[i] = tgt_scratch_pixel(c, &k->d->cg, k->d->Wp, k->d->Cp,
		                            LLVMBuildNSWAdd(b, p0, tgt_cidx(c, i), ""));
	for (int j = 0; j < NBLK; j++) {
		LLVMValueRef bv = tgt_load_al(
		        c, k->tv,
		        tgt_gep(c, k->tv, k->q.bias, tgt_mad(c, og, NBLK, tgt_cidx(c, j))), 16);
		for (int i = 0; i < NPIX; i++)
			LLVMBuildStore(b, bv, k->acc[i][j]);
	}
	if (k->d->depthwise)
		taps_dw(c, k, og, base);
	else
		taps(c, k, og, base);
	store_tile(c, k, og, p0);
}

/* The padded NHWC scratch copy of batch element in: sdot, zx everywhere
 * then x; smlal, 0 everywhere then x - zx as i16. */
static void fill_scratch(Cg *c, Kern *k, LLVMValueRef x, LLVMValueRef in)
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	int64_t n = d->Hp * d->Wp * d->Cp;
	ScratchCopy sc;

	if (d->dot)
		LLVMBuildMemSet(b, k->s, LLVMConstInt(c->ti8, (unsigned long long)k->e.in_zp, 0),
		                tgt_cidx(c, n), 16);
	else
		LLVMBuildMemSet(b, k->s, LLVMConstInt(c->ti8, 0, 0), tgt_cidx(c, 2 * n), 16);
	LLVMValueRef v = tgt_scratch_open(c, &sc, &d->cg, d->Wp, x, in, 0);
	if (!d->dot) /* x - zx lies in [-255, 255]: exact in i16 */
		v = LLVMBuildNSWSub(b, LLVMBuildSExt(b, v, c->ti16, ""),
		                    LLVMConstInt(c->ti16, (unsigned long long)k->e.in_zp, 1), "");
	tgt_store(c, v, k->s, tgt_scratch_at(c, &sc, d->Cp));
	tgt_scratch_close(c, &sc);
}

/* Every tile of batch element in: channel groups outside, pixels inside
 * (the group's weights stay in cache while the input streams). */
static void tiles(Cg *c, Kern *k)
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	Loop lg, lp;
	LLVMValueRef og = tgt_upto(c, &lg, d->OG);
	LLVMValueRef t = tgt_upto(c, &lp, (d->P + NPIX - 1) / NPIX);
	LLVMValueRef p0 = tgt_mad(c, t, NPIX, NULL), last = tgt_cidx(c, d->P - NPIX);

	/* the last tile ends at P: it may redo pixels of the one before */
	p0 = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, p0, last, ""), p0, last, "");
	tile(c, k, og, p0);
	tgt_loop_close(c, &lp);
	tgt_loop_close(c, &lg);
}

/* The fused max-pool of batch element in, from the convolution's bytes in
 * k->y to y, as maxpool2d: the max of the in-bound window taps, the output
 * zero point for an empty window. */
static void pool_out(Cg *c, Kern *k, LLVMValueRef y, LLVMValueRef in, int32_t zp)
{
	const Geo *d = k->d;
	const ConvPool *p = &d->cg.pool;
	LLVMBuilderRef b = c->b;
	LLVMValueRef m = tgt_alloca(c, c->ti8, 1), any = tgt_alloca(c, c->ti1, 1);
	Loop lc, ly, lx;
	PoolTaps t;

	LLVMValueRef oc = tgt_upto(c, &lc, d->cg.OC);
	LLVMValueRef oy = tgt_upto(c, &ly, p->oh);
	LLVMValueRef ox = tgt_upto(c, &lx, p->ow);
	LLVMBuildStore(b, LLVMConstInt(c->ti8, (unsigned long long)-128, 1), m);
	LLVMBuildStore(b, LLVMConstInt(c->ti1, 0, 0), any);
	tgt_pool_taps_open(c, &t, p, oy, ox);
	LLVMValueRef v = tgt_load(c, c->ti8, k->y,
	                          tgt_mad(c, tgt_mad(c, oc, p->ch, t.iy), p->cw, t.ix));
	LLVMValueRef old = LLVMBuildLoad2(b, c->ti8, m, "");
	/* every byte is >= -128: starting there, the max of the taps is exact */
	LLVMBuildStore(b, LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, v, old, ""), v, old, ""),
	               m);
	LLVMBuildStore(b, LLVMConstInt(c->ti1, 1, 0), any);
	tgt_pool_taps_close(c, &t);
	LLVMValueRef r = LLVMBuildSelect(b, LLVMBuildLoad2(b, c->ti1, any, ""),
	                                 LLVMBuildLoad2(b, c->ti8, m, ""),
	                                 LLVMConstInt(c->ti8, (unsigned long long)zp, 1), "");
	LLVMValueRef at = tgt_mad(
	        c,
	        tgt_mad(c, LLVMBuildNSWAdd(b, tgt_mad(c, in, d->cg.OC, NULL), oc, ""), p->oh, oy),
	        p->ow, ox);
	tgt_store(c, r, y, at);
	tgt_loop_close(c, &lx);
	tgt_loop_close(c, &ly);
	tgt_loop_close(c, &lc);
}

void tgt_conv2d_neon(Cg *c, int n, LLVMValueRef fn)
{
	const Node *nd = &c->g->nodes[n];
	Geo d;
	Kern k = {.d = &d,
	          .tv = LLVMVectorType(c->ti32, 4),
	          .tb = LLVMVectorType(c->ti8, 16),
	          .th = LLVMVectorType(c->ti16, 4)};
	Loop ln;

	applies(c, nd, &d, NULL); /* the chooser took the node */
	/* sdot multiplies x itself (the bias folds zx), smlal x - zx */
	Int8Open o = {
	        "neon", d.OG * OCG, d.dot, 0, prepare, d.dot ? c->ti8 : c->ti16, d.Hp * d.Wp * d.Cp,
	        16};
	k.s = tgt_int8_open(c, n, &o, &k.e, &k.q, &k);
	k.dummy = tgt_alloca(c, c->ti32, 1);
	for (int i = 0; i < NPIX; i++)
		for (int j = 0; j < NBLK; j++)
			k.acc[i][j] = tgt_alloca(c, k.tv, 1);
	k.y = LLVMGetParam(fn, 1);
	if (d.pool)
		k.y = tgt_arena_scratch(c, padded_bytes(&d));

	LLVMValueRef in = tgt_upto(c, &ln, d.cg.N);
	k.nbase = d.pool ? tgt_cidx(c, 0) : tgt_mad(c, in, d.cg.OC, NULL);
	fill_scratch(c, &k, LLVMGetParam(fn, 0), in);
	tiles(c, &k);
	if (d.pool)
		pool_out(c, &k, LLVMGetParam(fn, 1), in, c->g->vals[nd->out].q.zp);
	tgt_loop_close(c, &ln);
}

TGT_APPLIES(tgt_conv2d_neon_applies, Geo, applies)
TGT_SCRATCH(tgt_conv2d_neon_scratch, Geo, applies, neon_scratch_bytes)
