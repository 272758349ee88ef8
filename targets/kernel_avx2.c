/* kernel_avx2.c — the int8 conv2d kernel for x86-64 without AVX-512 VNNI
 * (kernel_x86.c is tried first and takes the node when it can), in two
 * vector widths: 256 bits for AVX2 (tgt_conv2d_avx2) and 128 bits for the
 * x86-64 baseline, SSE2 (tgt_conv2d_sse2; pmaddubsw where the machine has
 * SSSE3).  The code is the same but for the width: a block of 16 output
 * channels is nh = 2 parts of 8 i32 lanes (AVX2) or nh = 4 parts of 4.
 *
 * The scheme is kernel_x86.c's: the activation shifted to unsigned,
 * u = x + 128, with (128 + zx) * sum w folded into the bias at compile time
 * (mod 2^32); a padded NHWC scratch copy of the input on the stack whose
 * border holds zx + 128 (its products cancel, so every tap is uniform);
 * weights repacked at compile time; register tiles of output pixels x
 * output channels; a vector requantization (tgt_requant / tgt_requant_float
 * on 16 lanes) into chunks of 16 pixels x 16 channels, transposed in
 * registers and stored as 16-byte rows of the NCHW output.
 *
 * AVX2 has no vpdpbusd.  Its byte dot product, vpmaddubsw
 * (llvm.x86.avx2.pmadd.ub.sw: unsigned bytes of the first operand times
 * signed bytes of the second, adjacent pairs added into an i16) SATURATES,
 * and the interpreter's accumulator wraps, never saturates.  So the layer
 * picks one of two paths at compile time from its actual weights:
 *
 *  (a) pmadd.ub.sw, when the machine has SSSE3 (AVX2 has it) and every pair of weights sharing an i16 lane (input
 *      channels 2k, 2k+1 of one output channel and tap; a padding channel
 *      weighs 0) has |w_a| + |w_b| <= 128.  Then, as 0 <= u <= 255,
 *      |u_a w_a + u_b w_b| <= 255 (|w_a| + |w_b|) <= 255 * 128 = 32640
 *      < 32767: the i16 sum is exact and saturation never happens.  A
 *      vpmaddwd with ones (llvm.x86.avx2.pmadd.wd) adds adjacent i16 pairs
 *      into i32 (|sum| <= 65280, exact), i.e. 4 input channels per i32 lane
 *      as with VNNI, then a wrapping vpaddd into the accumulator.
 *  (b) otherwise pmadd.wd on i16 operands: the scratch holds u as i16 and
 *      the weights are stored widened to i16 at compile time; an i32 lane
 *      adds u_a w_a + u_b w_b, with |u w| <= 255 * 128, so the sum (at most
 *      65280 in magnitude) is exact; vpmaddwd's only wrapping case, all four
 *      operands -32768, cannot occur.  2 input channels per i32 lane.
 *
 * First layers with one input channel always take (a) (the other weight of
 * each pair is padding).  Trained layers with several channels usually take
 * (b): per-channel scales put some weight of every output channel at +-127.
 *
 * Depthwise convolutions (groups = C = OC) keep channels in lanes, as in
 * kernel_x86.c: acc += zext(8 or 4 bytes of u) * w, exact mod 2^32 (a
 * vpmulld on AVX2; SSE2 has no pmulld, and LLVM builds the product from
 * pmuludq).
 *
 * AVX2 has no byte-masked store (llvm.masked.store of bytes is scalarized),
 * so a row of a chunk whose 16 pixels all exist is a plain 16-byte store;
 * only the last, partial chunk of a layer uses the masked store.
 *
 * A fused max-pool (pool = [kh,kw], fuse-pool) is taken as in kernel_x86.c:
 * the chunks run over pooled output pixels; a tile loops over the window's
 * taps, computes the conv pixels at that tap and keeps the max of their
 * accumulators (vpmaxsd; SSE2 compares and selects), which start at
 * INT32_MIN, then requantizes the max once: the epilogue is non-decreasing
 * in the accumulator (positive multipliers), so that is the max of the
 * requantized pixels, at a quarter of the requantizations of a 2x2 pool.
 * A tap in the pool's padding is clamped to the nearest conv row or column;
 * with pool dilation 1 that is another tap of the same window (every
 * window's span holds a conv pixel: pads < span), and max(a, a) = a, so no
 * tap needs a mask and the max is the interpreter's (a max of integers does
 * not depend on its order).  Pool dilations > 1 fall back to the generic
 * loop.  Overlapping windows recompute their shared conv pixels.
 */
#include <stdlib.h>
#include <string.h>

#include "targets.h"

enum {
	NPIX = 4,              /* output pixels per tile, at most (Kern.npix) */
	NBLK = 1,              /* blocks of 16 output channels per tile */
};

typedef enum { PATH_UBSW, PATH_WD, PATH_DW } Path;

typedef struct {
	ConvGeo cg;
	int64_t Cp, Hp, Wp, OCB, P;
	int64_t cs, steps; /* input channels per i32 lane (4 or 2), Cp / cs */
	int64_t es;        /* bytes per scratch element: 2 for (b), else 1 */
	Path path;
	int pooled;        /* a fused max-pool: P counts pooled pixels */
	int in_nhwc, out_nhwc; /* the input, the result stored NHWC (choose-layout) */
} Geo;

/* Path (a)'s condition (header comment): every i16 pair of weights has
 * |w_a| + |w_b| <= 128. */
static int pairs_fit(const int8_t *w, const Geo *d)
{
	int64_t taps = d->cg.KH * d->cg.KW;

	for (int64_t oc = 0; oc < d->cg.OC; oc++)
		for (int64_t ci = 0; ci < d->cg.C; ci += 2)
			for (int64_t t = 0; t < taps; t++) {
				int a = w[(oc * d->cg.C + ci) * taps + t];
				int b = ci + 1 < d->cg.C ? w[(oc * d->cg.C + ci + 1) * taps + t]
				                         : 0;
				if (abs(a) + abs(b) > 128)
					return 0;
			}
	return 1;
}

/* The padded NHWC scratch of one batch element, in bytes (either width). */
static int64_t sse_scratch_bytes(const Geo *d)
{
	return d->Hp * d->Wp * d->Cp * d->es;
}

/* The shapes this kernel takes beyond its registry row (kernels.c); fills d. */
static int applies(Cg *c, const Node *nd, Geo *d, const char **why)
{
	if (tgt_conv_geo(c, nd, &d->cg, why))
		return 0;
	d->OCB = (d->cg.OC + 15) / 16, d->P = d->cg.pool.oh * d->cg.pool.ow;
	d->pooled = ir_has_pool(nd);
	if (d->cg.G > 1) /* depthwise */
		d->path = PATH_DW, d->Cp = d->OCB * 16, d->cs = 1, d->es = 1;
	else if (tgt_x86_ssse3(c->tm) && pairs_fit(c->g->vals[nd->in[1]].data, d))
		d->path = PATH_UBSW, d->Cp = (d->cg.C + 3) / 4 * 4, d->cs = 4, d->es = 1;
	else
		d->path = PATH_WD, d->Cp = (d->cg.C + 1) / 2 * 2, d->cs = 2, d->es = 2;
	d->steps = d->Cp / d->cs;
	tgt_conv_padded(&d->cg, &d->Hp, &d->Wp);
	d->in_nhwc = ir_value_layout(c->g, nd->in[0]) == IR_LAYOUT_NHWC;
	d->out_nhwc = nd->a.layout == IR_LAYOUT_NHWC;
	return 1;
}

/* The repacked weights: [OCB][KH][KW][steps][16][cs] elements of es bytes
 * (depthwise: [OCB][KH][KW][16] of es_dw bytes, i32 or SSE2's i16), zero for padding channels, so that
 * each part of a block (8 or 4 output channels) is one vector. */
static LLVMValueRef pack_weights(Cg *c, const Node *nd, const Geo *d, int n, const char *tag,
                                 int64_t es_dw)
{
	const int8_t *w = c->g->vals[nd->in[1]].data;
	int64_t taps = d->cg.KH * d->cg.KW, es = d->path == PATH_DW ? es_dw : d->es;
	int64_t cs = d->path == PATH_DW ? 1 : d->cs, steps = d->path == PATH_DW ? 1 : d->steps;
	size_t len = (size_t)(d->OCB * taps * steps * 16 * cs * es);
	unsigned char *buf = ir_xcalloc(len, 1);

	for (int64_t oc = 0; oc < d->cg.OC; oc++)
		for (int64_t t = 0; t < taps; t++)
			for (int64_t ci = 0; ci < (d->path == PATH_DW ? 1 : d->cg.C); ci++) {
				int64_t s = ci / cs, q = ci % cs;
				int64_t e = ((((oc / 16) * taps + t) * steps + s) * 16 + oc % 16) *
				                    cs +
				            q;
				int32_t v =
				        w[(oc * (d->path == PATH_DW ? 1 : d->cg.C) + ci) * taps + t];
				tgt_put_le(buf + e * es, (uint32_t)v, (int)es);
			}
	return tgt_const_packed(c, tag, n, buf, len);
}

typedef struct {
	const Geo *d;
	int lanes, nh;                /* i32 lanes of a vector (8 or 4), 16 / lanes */
	int npix;              /* output pixels per tile: npix * nh accumulators
	                                 fit the 16 vector registers */
	Epilogue e;
	LLVMTypeRef tv, tv16, tb, th; /* <lanes x i32>, <16 x i32>, <16 x i8>,
	                                 <lanes x i8> */
	LLVMTypeRef tu, tw;           /* the operands of the dot product: <4 lanes x
	                                 i8> (a) or <2 lanes x i16> (b) */
	LLVMValueRef ubsw, wd, mstore; /* the intrinsics and their types */
	LLVMTypeRef tubsw, twd, tms;
	LLVMValueRef ones;             /* <16 x i16> of 1 */
	LLVMValueRef lowest;           /* <lanes x i32> of INT32_MIN */
	Int8Consts q;
	LLVMValueRef w, s, y, st, nbase;
	LLVMValueRef msk, pw; /* requant_sse2's tables, or NULL */
	LLVMValueRef acc[NPIX][NBLK][4];
	LLVMValueRef mx[NPIX][NBLK][4]; /* a fused pool's maxima of acc */
} Kern;

/* tgt_int8_open's weights: the kernel's intrinsics, then its packed
 * weights. */
static void prepare(Cg *c, void *kv, int n)
{
	Kern *k = kv;

	unsigned l = (unsigned)k->lanes;
	LLVMTypeRef tb32 = LLVMVectorType(c->ti8, 4 * l), th16 = LLVMVectorType(c->ti16, 2 * l);
	LLVMTypeRef pb[2] = {tb32, tb32}, ph[2] = {th16, th16};
	LLVMTypeRef ms[4] = {k->tb, c->tptr, c->ti32, LLVMVectorType(c->ti1, 16)};
	LLVMValueRef one[16];
	int avx2 = k->lanes == 8;

	k->tubsw = LLVMFunctionType(th16, pb, 2, 0);
	k->ubsw = tgt_intrinsic(
	        c, avx2 ? "llvm.x86.avx2.pmadd.ub.sw" : "llvm.x86.ssse3.pmadd.ub.sw.128", k->tubsw);
	k->twd = LLVMFunctionType(k->tv, ph, 2, 0);
	k->wd = tgt_intrinsic(c, avx2 ? "llvm.x86.avx2.pmadd.wd" : "llvm.x86.sse2.pmadd.wd",
	                      k->twd);
	k->tms = LLVMFunctionType(c->tvoid, ms, 4, 0);
	k->mstore = tgt_intrinsic(c, "llvm.masked.store.v16i8.p0", k->tms);
	for (int i = 0; i < 16; i++)
		one[i] = LLVMConstInt(c->ti16, 1, 0);
	k->ones = LLVMConstVector(one, 2 * l);
	for (int i = 0; i < k->lanes; i++)
		one[i] = LLVMConstInt(c->ti32, 0x80000000u, 0);
	k->lowest = LLVMConstVector(one, (unsigned)k->lanes);
	k->tu = k->tw = k->d->path == PATH_WD ? th16 : tb32;
	k->w = pack_weights(c, &c->g->nodes[n], k->d, n, avx2 ? "wavx2" : "wsse2", avx2 ? 4 : 2);
}

/* The 4 bytes at element off of the scratch, broadcast to every lane, as the
 * dot product's unsigned operand. */
static LLVMValueRef bcast(Cg *c, Kern *k, LLVMValueRef off)
{
	LLVMValueRef p = tgt_gep(c, c->ti8, k->s, tgt_mad(c, off, k->d->es, NULL));
	LLVMValueRef v = tgt_load_al(c, c->ti32, p, 1);
	LLVMValueRef one = LLVMBuildInsertElement(c->b, LLVMGetUndef(k->tv), v, tgt_c32(c, 0), "");
	one = LLVMBuildShuffleVector(c->b, one, LLVMGetUndef(k->tv), LLVMConstNull(k->tv), "");
	return LLVMBuildBitCast(c->b, one, k->tu, "");
}

/* The i32 sums of u times one weight vector (header comment: (a) or (b)). */
static LLVMValueRef dot(Cg *c, Kern *k, LLVMValueRef u, LLVMValueRef wv)
{
	LLVMValueRef args[2] = {u, wv};

	if (k->d->path == PATH_WD)
		return LLVMBuildCall2(c->b, k->twd, k->wd, args, 2, "");
	args[0] = LLVMBuildCall2(c->b, k->tubsw, k->ubsw, args, 2, "");
	args[1] = k->ones;
	return LLVMBuildCall2(c->b, k->twd, k->wd, args, 2, "");
}

/* acc[i][j][h] += v, wrapping (no nsw: the accumulation wraps). */
static void accumulate(Cg *c, Kern *k, int i, int j, int h, LLVMValueRef v)
{
	LLVMValueRef p = k->acc[i][j][h];

	LLVMBuildStore(c->b, LLVMBuildAdd(c->b, LLVMBuildLoad2(c->b, k->tv, p, ""), v, ""), p);
}

/* Depthwise taps: for ky, kx, acc += u * w lane by lane (lanes channels a
 * part). */
static void tile_taps_dw(Cg *c, Kern *k, int nb, LLVMValueRef ob0, LLVMValueRef base[NPIX])
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	Taps tp;
	LLVMValueRef toff = tgt_taps_open(c, &tp, &d->cg, d->cg.KW, d->Wp, d->Cp);
	LLVMValueRef ky = tp.ky, kx = tp.kx;
	LLVMValueRef tap = tgt_mad(c, ky, d->cg.KW, kx);

	for (int j = 0; j < nb; j++)
		for (int h = 0; h < k->nh; h++) {
			LLVMValueRef ob = LLVMBuildNSWAdd(b, ob0, tgt_cidx(c, j), "");
			LLVMValueRef vi = tgt_mad(c, tgt_mad(c, ob, d->cg.KH * d->cg.KW, tap),
			                          k->nh, tgt_cidx(c, h));
			LLVMValueRef wv;
			if (k->lanes == 8)
				wv = tgt_load_al(c, k->tv, tgt_gep(c, k->tv, k->w, vi), 16);
			else { /* i16 weights: LLVM makes the i32 product a pmaddwd */
				LLVMTypeRef tw = LLVMVectorType(c->ti16, (unsigned)k->lanes);
				wv = tgt_load_al(c, tw, tgt_gep(c, tw, k->w, vi), 8);
				wv = LLVMBuildSExt(b, wv, k->tv, "");
			}
			LLVMValueRef coff = tgt_mad(
			        c, ob, 16, LLVMBuildNSWAdd(b, toff, tgt_cidx(c, k->lanes * h), ""));
			for (int i = 0; i < k->npix; i++) {
				LLVMValueRef off = LLVMBuildNSWAdd(b, base[i], coff, "");
				LLVMValueRef u = tgt_load_al(c, k->th,
				                             tgt_gep(c, c->ti8, k->s, off), 1);
				accumulate(c, k, i, j, h,
				           LLVMBuildMul(b, LLVMBuildZExt(b, u, k->tv, ""), wv, ""));
			}
		}
	tgt_taps_close(c, &tp);
}

/* The taps of one tile: for ky, kx and each step of cs input channels, the
 * dot products of every accumulator. */
static void tile_taps(Cg *c, Kern *k, int nb, LLVMValueRef ob0, LLVMValueRef base[NPIX])
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	Loop ls;
	Taps tp;
	LLVMValueRef toff = tgt_taps_open(c, &tp, &d->cg, d->cg.KW, d->Wp, d->Cp);
	LLVMValueRef ky = tp.ky, kx = tp.kx;
	LLVMValueRef tap = tgt_mad(c, ky, d->cg.KW, kx);
	LLVMValueRef s = tgt_upto(c, &ls, d->steps);
	LLVMValueRef coff = LLVMBuildNSWAdd(b, toff, tgt_mad(c, s, d->cs, NULL), "");
	LLVMValueRef u[NPIX];

	for (int i = 0; i < k->npix; i++)
		u[i] = bcast(c, k, LLVMBuildNSWAdd(b, base[i], coff, ""));
	for (int j = 0; j < nb; j++)
		for (int h = 0; h < k->nh; h++) {
			/* vector index (((ob0 + j) * KH*KW + tap) * steps + s) * nh + h */
			LLVMValueRef ob = LLVMBuildNSWAdd(b, ob0, tgt_cidx(c, j), "");
			LLVMValueRef vi = tgt_mad(c, tgt_mad(c, ob, d->cg.KH * d->cg.KW, tap),
			                          d->steps, s);
			LLVMValueRef wv = tgt_load_al(
			        c, k->tw,
			        tgt_gep(c, k->tw, k->w, tgt_mad(c, vi, k->nh, tgt_cidx(c, h))), 16);
			for (int i = 0; i < k->npix; i++)
				accumulate(c, k, i, j, h, dot(c, k, u[i], wv));
		}
	tgt_loop_close(c, &ls);
	tgt_taps_close(c, &tp);
}

/* The n parts v of l lanes each, concatenated (n a power of 2). */
static LLVMValueRef concat(Cg *c, const LLVMValueRef *v, int n, int l)
{
	LLVMValueRef lanes[16];

	if (n == 1)
		return v[0];
	for (int i = 0; i < n * l; i++)
		lanes[i] = tgt_c32(c, i);
	LLVMValueRef lo = concat(c, v, n / 2, l), hi = concat(c, v + n / 2, n / 2, l);
	return LLVMBuildShuffleVector(c->b, lo, hi, LLVMConstVector(lanes, (unsigned)(n * l)), "");
}

/* Lane by lane, zext(a) * zext(b) + add, then >> 31 (logical) and
 * truncated: i64 products of unsigned i32s, which SSE2's pmuludq makes. */
static LLVMValueRef mulhi31(Cg *c, LLVMValueRef a, LLVMValueRef b, long long add)
{
	LLVMBuilderRef bl = c->b;
	LLVMTypeRef t64 = LLVMVectorType(c->ti64, 16), t32 = LLVMVectorType(c->ti32, 16);
	LLVMValueRef e[16], k31[16];

	for (int i = 0; i < 16; i++)
		e[i] = LLVMConstInt(c->ti64, (unsigned long long)add, 0),
		k31[i] = LLVMConstInt(c->ti64, 31, 0);
	LLVMValueRef p = LLVMBuildMul(bl, LLVMBuildZExt(bl, a, t64, ""),
	                              LLVMBuildZExt(bl, b, t64, ""), "");
	p = LLVMBuildLShr(bl, LLVMBuildAdd(bl, p, LLVMConstVector(e, 16), ""),
	                  LLVMConstVector(k31, 16), "");
	return LLVMBuildTrunc(bl, p, t32, "");
}

/* tgt_requant's result (MultiplyByQuantizedMultiplier without a left
 * shift, + zp, clamped) for SSE2, which has no signed 32 x 32 -> 64
 * multiply, no 64-bit arithmetic shift and no per-lane shift, all of which
 * tgt_requant's i64 form needs (LLVM expands them into long sequences).
 * Exact mod 2^32, with m >= 0 and r = right in [0, 31]:
 *   SaturatingRoundingDoublingHighMul: with xu = x as unsigned,
 *     xu m = x m + 2^32 m [x < 0], so
 *     q = ((xu m + 2^30) >> 31) - 2m [x < 0]   (xu m + 2^30 < 2^64);
 *   RoundingDivideByPOT: q >> r (arithmetic) = ((qu 2^(31-r)) >> 31)
 *     - 2^(32-r) [q < 0], the same identity with pw = 2^(31-r) from a
 *     table (2 pw wraps to 0 for r = 0: then it is q itself), and the
 *     mask 2^r - 1 from a table too;
 * so every product is a pmuludq and every shift a constant one. */
static LLVMValueRef requant_sse2(Cg *c, Kern *k, LLVMValueRef x, LLVMValueRef ob)
{
	LLVMBuilderRef b = c->b;
	LLVMTypeRef t = k->tv16;
	LLVMValueRef m = tgt_load_al(c, t, tgt_gep(c, t, k->q.mult, ob), 16);
	LLVMValueRef msk = tgt_load_al(c, t, tgt_gep(c, t, k->msk, ob), 16);
	LLVMValueRef pw = tgt_load_al(c, t, tgt_gep(c, t, k->pw, ob), 16);
	LLVMValueRef zero = LLVMConstNull(t), e[16], one, q, rem, thr, r;

	for (int i = 0; i < 16; i++)
		e[i] = tgt_c32(c, 1);
	one = LLVMConstVector(e, 16);
	/* twice v where cond, else 0 */
	LLVMValueRef x_neg = LLVMBuildICmp(b, LLVMIntSLT, x, zero, "");
	q = LLVMBuildSub(b, mulhi31(c, x, m, 1 << 30),
	                 LLVMBuildSelect(b, x_neg, LLVMBuildShl(b, m, one, ""), zero, ""), "");
	LLVMValueRef q_neg = LLVMBuildICmp(b, LLVMIntSLT, q, zero, "");
	rem = LLVMBuildAnd(b, q, msk, "");
	thr = LLVMBuildAdd(b, LLVMBuildLShr(b, msk, one, ""), LLVMBuildZExt(b, q_neg, t, ""), "");
	r = LLVMBuildSub(b, mulhi31(c, q, pw, 0),
	                 LLVMBuildSelect(b, q_neg, LLVMBuildShl(b, pw, one, ""), zero, ""), "");
	r = LLVMBuildAdd(b, r, LLVMBuildZExt(b, LLVMBuildICmp(b, LLVMIntSGT, rem, thr, ""), t, ""),
	                 "");
	for (int i = 0; i < 16; i++)
		e[i] = tgt_c32(c, k->e.rq.zp);
	r = LLVMBuildAdd(b, r, LLVMConstVector(e, 16), "");
	for (int i = 0; i < 16; i++)
		e[i] = tgt_c32(c, k->e.rq.lo);
	LLVMValueRef lo = LLVMConstVector(e, 16);
	r = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, r, lo, ""), r, lo, "");
	for (int i = 0; i < 16; i++)
		e[i] = tgt_c32(c, k->e.rq.hi);
	LLVMValueRef hi = LLVMConstVector(e, 16);
	return LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, r, hi, ""), r, hi, "");
}

/* requant_sse2's tables for node n: per output channel (padded to OCB
 * blocks), the mask 2^right - 1 and 2^(31 - right), right = max(-shift, 0);
 * left NULL (tgt_requant then) with --requant float or a left shift. */
static void sse2_tables(Cg *c, Kern *k, int n)
{
	const Node *nd = &c->g->nodes[n];
	int64_t len = k->d->OCB * 16;
	int32_t *m = ir_xcalloc((size_t)len, sizeof *m);
	int *sh = ir_xcalloc((size_t)len, sizeof *sh);
	unsigned char *bm = ir_xcalloc((size_t)len, 4), *bp = ir_xcalloc((size_t)len, 4);

	if (k->lanes == 4 && !c->g->requant_float && !k->e.rq.has_left) {
		ir_node_requant(c->g, nd, m, sh);
		for (int64_t i = 0; i < k->d->cg.OC; i++)
			if (sh[i] < -31) /* beyond tgt_requant's range too; keep its code */
				goto out;
		for (int64_t i = 0; i < len; i++) {
			int right = i < k->d->cg.OC && sh[i] < 0 ? -sh[i] : 0;
			tgt_put_le(bm + 4 * i, (uint32_t)((1ull << right) - 1), 4);
			tgt_put_le(bp + 4 * i, (uint32_t)(1ull << (31 - right)), 4);
		}
		k->msk = tgt_const_packed(c, "msse2", n, bm, (size_t)len * 4);
		k->pw = tgt_const_packed(c, "psse2", n, bp, (size_t)len * 4);
		bm = bp = NULL; /* tgt_const_packed freed them */
	}
out:
	free(bm), free(bp);
	free(m), free(sh);
}

/* The requantized bytes of the 16 channels of block ob from its nh parts. */
static LLVMValueRef requant16(Cg *c, Kern *k, const LLVMValueRef *part, LLVMValueRef ob)
{
	LLVMValueRef a = concat(c, part, k->nh, k->lanes);

	if (k->msk)
		return LLVMBuildTrunc(c->b, requant_sse2(c, k, a, ob), k->tb, "");
	return tgt_int8_requant_block(c, &k->q, &k->e.rq, a, ob, k->tb);
}

/* The accumulators of the pixels at base[i] for blocks ob0 .. ob0 + nb - 1:
 * the bias, then every tap. */
static void tile_acc(Cg *c, Kern *k, int nb, LLVMValueRef ob0, LLVMValueRef base[NPIX])
{
	LLVMBuilderRef b = c->b;

	for (int j = 0; j < nb; j++)
		for (int h = 0; h < k->nh; h++) {
			LLVMValueRef ob = LLVMBuildNSWAdd(b, ob0, tgt_cidx(c, j), "");
			LLVMValueRef bv = tgt_load_al(
			        c, k->tv,
			        tgt_gep(c, k->tv, k->q.bias, tgt_mad(c, ob, k->nh, tgt_cidx(c, h))),
			        16);
			for (int i = 0; i < k->npix; i++)
				LLVMBuildStore(b, bv, k->acc[i][j][h]);
		}
	if (k->d->path == PATH_DW)
		tile_taps_dw(c, k, nb, ob0, base);
	else
		tile_taps(c, k, nb, ob0, base);
}

/* The sums in v (k->acc or k->mx) requantized into rows row0 + i of the
 * chunk's [16 pixels][NBLK blocks] byte vectors. */
static void tile_store(Cg *c, Kern *k, int nb, LLVMValueRef ob0, LLVMValueRef row0,
                       LLVMValueRef v[NPIX][NBLK][4])
{
	LLVMBuilderRef b = c->b;

	for (int i = 0; i < k->npix; i++)
		for (int j = 0; j < nb; j++) {
			LLVMValueRef ob = LLVMBuildNSWAdd(b, ob0, tgt_cidx(c, j), "");
			LLVMValueRef part[4];
			for (int h = 0; h < k->nh; h++)
				part[h] = LLVMBuildLoad2(b, k->tv, v[i][j][h], "");
			LLVMValueRef row = LLVMBuildNSWAdd(b, row0, tgt_cidx(c, i), "");
			LLVMBuildStore(
			        b, requant16(c, k, part, ob),
			        tgt_gep(c, k->tb, k->st, tgt_mad(c, row, NBLK, tgt_cidx(c, j))));
		}
}

/* One tile: pixels p0 + t*npix + i (clamped to P - 1: the duplicates are
 * never stored), blocks ob0 .. ob0 + nb - 1, into rows t*npix + i of the
 * chunk; with a fused pool, the max of the accumulators over every tap of
 * their windows, requantized once (header comment). */
static void tile(Cg *c, void *kv, int nb, LLVMValueRef ob0, LLVMValueRef p0, LLVMValueRef t)
{
	Kern *k = kv;
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	LLVMValueRef p[NPIX], base[NPIX], last = tgt_cidx(c, d->P - 1);
	LLVMValueRef row0 = tgt_mad(c, t, k->npix, NULL);
	Loop lky, lkx;

	for (int i = 0; i < k->npix; i++) {
		LLVMValueRef q = LLVMBuildNSWAdd(b, p0,
		                                 LLVMBuildNSWAdd(b, row0, tgt_cidx(c, i), ""), "");
		p[i] = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, q, last, ""), q, last, "");
	}
	if (!d->pooled) {
		for (int i = 0; i < k->npix; i++)
			base[i] = tgt_scratch_pixel(c, &d->cg, d->Wp, d->Cp, p[i]);
		tile_acc(c, k, nb, ob0, base);
		tile_store(c, k, nb, ob0, row0, k->acc);
		return;
	}
	/* the maxima start at INT32_MIN, the identity of a max of i32s */
	for (int i = 0; i < k->npix; i++)
		for (int j = 0; j < nb; j++)
			for (int h = 0; h < k->nh; h++)
				LLVMBuildStore(b, k->lowest, k->mx[i][j][h]);
	LLVMValueRef ky = tgt_upto(c, &lky, d->cg.pool.kh);
	LLVMValueRef kx = tgt_upto(c, &lkx, d->cg.pool.kw);
	for (int i = 0; i < k->npix; i++)
		base[i] = tgt_scratch_pool_pixel(c, &d->cg, d->Wp, d->Cp, p[i], ky, kx);
	tile_acc(c, k, nb, ob0, base);
	for (int i = 0; i < k->npix; i++)
		for (int j = 0; j < nb; j++)
			for (int h = 0; h < k->nh; h++) {
				LLVMValueRef a = LLVMBuildLoad2(b, k->tv, k->acc[i][j][h], "");
				LLVMValueRef m = LLVMBuildLoad2(b, k->tv, k->mx[i][j][h], "");
				LLVMBuildStore(
				        b,
				        LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, a, m, ""),
				                        a, m, ""),
				        k->mx[i][j][h]);
			}
	tgt_loop_close(c, &lkx);
	tgt_loop_close(c, &lky);
	tile_store(c, k, nb, ob0, row0, k->mx);
}

/* The mask of the first `left` of 16 lanes. */
static LLVMValueRef first_lanes(Cg *c, LLVMValueRef left)
{
	LLVMBuilderRef b = c->b;
	LLVMTypeRef t = LLVMVectorType(c->ti32, 16);
	LLVMValueRef lanes[16];

	for (int l = 0; l < 16; l++)
		lanes[l] = tgt_c32(c, l);
	left = LLVMBuildTrunc(b, left, c->ti32, "");
	LLVMValueRef splat = LLVMBuildShuffleVector(
	        b, LLVMBuildInsertElement(b, LLVMGetUndef(t), left, tgt_c32(c, 0), ""),
	        LLVMGetUndef(t), LLVMConstNull(t), "");
	return LLVMBuildICmp(b, LLVMIntSLT, LLVMConstVector(lanes, 16), splat, "");
}

/* The chunk's bytes of block ob0 + j, transposed to 16 channels x 16
 * pixels, stored to y where the channel exists: whole rows when the 16
 * pixels exist, else masked. */
static void store_block(Cg *c, void *kv, LLVMValueRef ob0, LLVMValueRef j, LLVMValueRef p0)
{
	Kern *k = kv;
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	LLVMValueRef v[16];

	if (d->out_nhwc) {
		RowStore rs = {16,   d->P,     16,    d->cg.OC, c->ti8, k->tms, k->tb, k->mstore,
		               k->y, k->nbase, k->st, 1,        NBLK,   NULL,   1};
		tgt_store_rows(c, &rs, ob0, j, p0, d->P, NULL);
		return;
	}
	for (int r = 0; r < 16; r++)
		v[r] = LLVMBuildLoad2(b, k->tb,
		                      tgt_gep(c, k->tb, k->st, tgt_mad(c, tgt_cidx(c, r), NBLK, j)),
		                      "");
	tgt_transpose16(c, v);
	LLVMValueRef left = LLVMBuildNSWSub(b, tgt_cidx(c, d->P), p0, "");
	LLVMValueRef full = LLVMBuildICmp(b, LLVMIntSGE, left, tgt_cidx(c, 16), "");
	LLVMValueRef pmask = first_lanes(c, left);
	LLVMValueRef oc0 = tgt_mad(c, LLVMBuildNSWAdd(b, ob0, j, ""), 16, NULL);
	for (int r = 0; r < 16; r++) {
		LLVMValueRef oc = LLVMBuildNSWAdd(b, oc0, tgt_cidx(c, r), "");
		LLVMValueRef ok = LLVMBuildICmp(b, LLVMIntSLT, oc, tgt_cidx(c, d->cg.OC), "");
		If whole, part;
		tgt_if_open(c, &whole, LLVMBuildAnd(b, ok, full, ""));
		LLVMValueRef dst = tgt_gep(
		        c, c->ti8, k->y,
		        tgt_mad(c, LLVMBuildNSWAdd(b, k->nbase, oc, ""), d->P, p0));
		LLVMSetAlignment(LLVMBuildStore(b, v[r], dst), 1);
		tgt_if_close(c, &whole);
		tgt_if_open(c, &part, LLVMBuildAnd(b, ok, LLVMBuildNot(b, full, ""), ""));
		dst = tgt_gep(c, c->ti8, k->y,
		              tgt_mad(c, LLVMBuildNSWAdd(b, k->nbase, oc, ""), d->P, p0));
		LLVMValueRef args[4] = {v[r], dst, tgt_c32(c, 1), pmask};
		LLVMBuildCall2(b, k->tms, k->mstore, args, 4, "");
		tgt_if_close(c, &part);
	}
}

/* Every chunk of 16 pixels for the nb blocks starting at block ob0. */
static void tiles(Cg *c, void *k, int nb, LLVMValueRef ob0)
{
	const Geo *d = ((Kern *)k)->d;

	tgt_chunks(c, k, nb, ob0, d->P, 16, ((Kern *)k)->npix, tile, store_block, NULL);
}

/* The padded NHWC scratch copy of batch element in: zx + 128 everywhere,
 * then x xor 0x80 at the input's positions; as i16 for path (b). */
static void fill_scratch(Cg *c, void *kv, LLVMValueRef x, LLVMValueRef in)
{
	Kern *k = kv;
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	LLVMTypeRef te = d->es == 2 ? c->ti16 : c->ti8;
	Loop lf;
	ScratchCopy sc;
	int64_t n = d->Hp * d->Wp * d->Cp;

	if (d->es == 1)
		LLVMBuildMemSet(b, k->s,
		                LLVMConstInt(c->ti8, (unsigned long long)(k->e.in_zp + 128), 0),
		                tgt_cidx(c, n), 32);
	else {
		LLVMValueRef i = tgt_upto(c, &lf, n);
		tgt_store(c, LLVMConstInt(te, (unsigned long long)(k->e.in_zp + 128), 0), k->s, i);
		tgt_loop_close(c, &lf);
	}
	LLVMValueRef v = tgt_scratch_open(c, &sc, &d->cg, d->Wp, x, in, d->in_nhwc);
	v = LLVMBuildXor(b, v, LLVMConstInt(c->ti8, 0x80, 0), "");
	tgt_store(c, LLVMBuildZExt(b, v, te, ""), k->s, tgt_scratch_at(c, &sc, d->Cp));
	tgt_scratch_close(c, &sc);
}

/* The kernel with vectors of `lanes` i32 (8: AVX2, 4: SSE2). */
static void emit(Cg *c, int n, LLVMValueRef fn, int lanes, const char *tag)
{
	Geo d;
	Kern k = {.d = &d,
	          .lanes = lanes,
	          .nh = 16 / lanes,
	          .npix = lanes == 8 ? 4 : 2,
	          .tv = LLVMVectorType(c->ti32, (unsigned)lanes),
	          .tv16 = LLVMVectorType(c->ti32, 16),
	          .tb = LLVMVectorType(c->ti8, 16),
	          .th = LLVMVectorType(c->ti8, (unsigned)lanes)};

	applies(c, &c->g->nodes[n], &d, NULL); /* the chooser took the node */
	/* x xor 0x80 is x + 128 unsigned: the bias folds zx + 128 */
	Int8Open o = {tag, d.OCB * 16, 1, 128, prepare, c->ti8, sse_scratch_bytes(&d), 32};
	k.s = tgt_int8_open(c, n, &o, &k.e, &k.q, &k);
	sse2_tables(c, &k, n);
	k.st = tgt_alloca_al(c, k.tb, 16 * NBLK, 32);
	for (int i = 0; i < k.npix; i++)
		for (int j = 0; j < NBLK; j++)
			for (int h = 0; h < k.nh; h++) {
				k.acc[i][j][h] = tgt_alloca(c, k.tv, 1);
				k.mx[i][j][h] = d.pooled ? tgt_alloca(c, k.tv, 1) : NULL;
			}
	k.y = LLVMGetParam(fn, 1);
	tgt_conv_batches(c, fn, &d.cg, &k.nbase, fill_scratch, d.OCB, NBLK, tiles, &k);
}

void tgt_conv2d_avx2(Cg *c, int n, LLVMValueRef fn)
{
	emit(c, n, fn, 8, "avx2");
}

void tgt_conv2d_sse2(Cg *c, int n, LLVMValueRef fn)
{
	emit(c, n, fn, 4, "sse2");
}

TGT_APPLIES(tgt_conv2d_avx2_applies, Geo, applies)
TGT_APPLIES(tgt_conv2d_sse2_applies, Geo, applies)
TGT_SCRATCH(tgt_conv2d_avx2_scratch, Geo, applies, sse_scratch_bytes)
TGT_SCRATCH(tgt_conv2d_sse2_scratch, Geo, applies, sse_scratch_bytes)
