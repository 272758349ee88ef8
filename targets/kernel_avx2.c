/* kernel_avx2.c — the int8 conv2d kernel for x86-64 with AVX2 and without
 * AVX-512 VNNI (kernel_x86.c is tried first and takes the node when it can).
 *
 * The scheme is kernel_x86.c's: the activation shifted to unsigned,
 * u = x + 128, with (128 + zx) * sum w folded into the bias at compile time
 * (mod 2^32); a padded NHWC scratch copy of the input on the stack whose
 * border holds zx + 128 (its products cancel, so every tap is uniform);
 * weights repacked at compile time; register tiles of output pixels x
 * output channels; a vector requantization (tgt_requant / tgt_requant_float
 * on 16 lanes) into chunks of 16 pixels x 16 channels, transposed in
 * registers and stored as 16-byte rows of the NCHW output.  Vectors are
 * 256 bits: a block of 16 output channels is two halves of 8 i32 lanes.
 *
 * AVX2 has no vpdpbusd.  Its byte dot product, vpmaddubsw
 * (llvm.x86.avx2.pmadd.ub.sw: unsigned bytes of the first operand times
 * signed bytes of the second, adjacent pairs added into an i16) SATURATES,
 * and the interpreter's accumulator wraps, never saturates.  So the layer
 * picks one of two paths at compile time from its actual weights:
 *
 *  (a) pmadd.ub.sw, when every pair of weights sharing an i16 lane (input
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
 * kernel_x86.c: acc += zext(8 bytes of u) * w, vpmulld, exact mod 2^32.
 *
 * AVX2 has no byte-masked store (llvm.masked.store of bytes is scalarized),
 * so a row of a chunk whose 16 pixels all exist is a plain 16-byte store;
 * only the last, partial chunk of a layer uses the masked store.
 *
 * A fused max-pool (pool = [kh,kw], fuse-pool) is taken as in kernel_x86.c:
 * the chunks run over pooled output pixels; a tile loops over the window's
 * taps, computes the conv pixels at that tap, requantizes them and takes
 * the signed byte max (vpmaxsb, an AVX2 instruction on 16 bytes too) into
 * the chunk's rows, which start at -128 (the identity of a max of int8s).
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
	NPIX = 4,              /* output pixels per tile */
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

/* The shapes this kernel takes beyond its registry row (kernels.c); fills d. */
static int applies(Cg *c, const Node *nd, Geo *d, const char **why)
{
	if (tgt_conv_geo(c, nd, &d->cg, why))
		return 0;
	d->OCB = (d->cg.OC + 15) / 16, d->P = d->cg.pool.oh * d->cg.pool.ow;
	d->pooled = ir_has_pool(nd);
	if (d->cg.G > 1) /* depthwise */
		d->path = PATH_DW, d->Cp = d->OCB * 16, d->cs = 1, d->es = 1;
	else if (pairs_fit(c->g->vals[nd->in[1]].data, d))
		d->path = PATH_UBSW, d->Cp = (d->cg.C + 3) / 4 * 4, d->cs = 4, d->es = 1;
	else
		d->path = PATH_WD, d->Cp = (d->cg.C + 1) / 2 * 2, d->cs = 2, d->es = 2;
	d->steps = d->Cp / d->cs;
	tgt_conv_padded(&d->cg, &d->Hp, &d->Wp);
	return 1;
}

/* The arena scratch: the padded input. */
static int64_t avx2_scratch_bytes(const Geo *d)
{
	return d->Hp * d->Wp * d->Cp * d->es;
}

/* The repacked weights: [OCB][KH][KW][steps][16][cs] elements of es bytes
 * (depthwise: [OCB][KH][KW][16] i32), zero for padding channels, so that
 * each half block of 8 output channels is one 32-byte vector. */
static LLVMValueRef pack_weights(Cg *c, const Node *nd, const Geo *d, int n)
{
	const int8_t *w = c->g->vals[nd->in[1]].data;
	int64_t taps = d->cg.KH * d->cg.KW, es = d->path == PATH_DW ? 4 : d->es;
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
	return tgt_const_packed(c, "wavx2", n, buf, len);
}

typedef struct {
	const Geo *d;
	Epilogue e;
	LLVMTypeRef tv, tv16, tb, th; /* <8 x i32>, <16 x i32>, <16 x i8>, <8 x i8> */
	LLVMTypeRef tu, tw;           /* the operands of the dot product: <32 x i8>
	                                 (a) or <16 x i16> (b) */
	LLVMValueRef ubsw, wd, mstore; /* the intrinsics and their types */
	LLVMTypeRef tubsw, twd, tms;
	LLVMValueRef ones;             /* <16 x i16> of 1 */
	LLVMValueRef lowest;           /* <16 x i8> of -128 */
	Int8Consts q;
	LLVMValueRef w, s, y, st, nbase;
	LLVMValueRef acc[NPIX][NBLK][2];
} Kern;

/* tgt_int8_open's weights: the kernel's intrinsics, then its packed
 * weights. */
static void prepare(Cg *c, void *kv, int n)
{
	Kern *k = kv;

	LLVMTypeRef tb32 = LLVMVectorType(c->ti8, 32), th16 = LLVMVectorType(c->ti16, 16);
	LLVMTypeRef pb[2] = {tb32, tb32}, ph[2] = {th16, th16};
	LLVMTypeRef ms[4] = {k->tb, c->tptr, c->ti32, LLVMVectorType(c->ti1, 16)};
	LLVMValueRef one[16];

	k->tubsw = LLVMFunctionType(th16, pb, 2, 0);
	k->ubsw = tgt_intrinsic(c, "llvm.x86.avx2.pmadd.ub.sw", k->tubsw);
	k->twd = LLVMFunctionType(k->tv, ph, 2, 0);
	k->wd = tgt_intrinsic(c, "llvm.x86.avx2.pmadd.wd", k->twd);
	k->tms = LLVMFunctionType(c->tvoid, ms, 4, 0);
	k->mstore = tgt_intrinsic(c, "llvm.masked.store.v16i8.p0", k->tms);
	for (int i = 0; i < 16; i++)
		one[i] = LLVMConstInt(c->ti16, 1, 0);
	k->ones = LLVMConstVector(one, 16);
	for (int i = 0; i < 16; i++)
		one[i] = LLVMConstInt(c->ti8, 0x80, 0);
	k->lowest = LLVMConstVector(one, 16);
	k->tu = k->tw = k->d->path == PATH_WD ? th16 : tb32;
	k->w = pack_weights(c, &c->g->nodes[n], k->d, n);
}

/* The 4 bytes at element off of the scratch, broadcast to 8 lanes, as the
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

/* Depthwise taps: for ky, kx, acc += u * w lane by lane (8 channels a half). */
static void tile_taps_dw(Cg *c, Kern *k, int nb, LLVMValueRef ob0, LLVMValueRef base[NPIX])
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	Taps tp;
	LLVMValueRef toff = tgt_taps_open(c, &tp, &d->cg, d->cg.KW, d->Wp, d->Cp);
	LLVMValueRef ky = tp.ky, kx = tp.kx;
	LLVMValueRef tap = tgt_mad(c, ky, d->cg.KW, kx);

	for (int j = 0; j < nb; j++)
		for (int h = 0; h < 2; h++) {
			LLVMValueRef ob = LLVMBuildNSWAdd(b, ob0, tgt_cidx(c, j), "");
			LLVMValueRef vi = tgt_mad(c, tgt_mad(c, ob, d->cg.KH * d->cg.KW, tap), 2,
			                          tgt_cidx(c, h));
			LLVMValueRef wv = tgt_load_al(c, k->tv, tgt_gep(c, k->tv, k->w, vi), 16);
			LLVMValueRef coff = tgt_mad(
			        c, ob, 16, LLVMBuildNSWAdd(b, toff, tgt_cidx(c, 8 * h), ""));
			for (int i = 0; i < NPIX; i++) {
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

	for (int i = 0; i < NPIX; i++)
		u[i] = bcast(c, k, LLVMBuildNSWAdd(b, base[i], coff, ""));
	for (int j = 0; j < nb; j++)
		for (int h = 0; h < 2; h++) {
			/* vector index (((ob0 + j) * KH*KW + tap) * steps + s) * 2 + h */
			LLVMValueRef ob = LLVMBuildNSWAdd(b, ob0, tgt_cidx(c, j), "");
			LLVMValueRef vi = tgt_mad(c, tgt_mad(c, ob, d->cg.KH * d->cg.KW, tap),
			                          d->steps, s);
			LLVMValueRef wv = tgt_load_al(
			        c, k->tw,
			        tgt_gep(c, k->tw, k->w, tgt_mad(c, vi, 2, tgt_cidx(c, h))), 16);
			for (int i = 0; i < NPIX; i++)
				accumulate(c, k, i, j, h, dot(c, k, u[i], wv));
		}
	tgt_loop_close(c, &ls);
	tgt_taps_close(c, &tp);
}

/* The requantized bytes of the 16 channels of block ob from the halves lo
 * and hi. */
static LLVMValueRef requant16(Cg *c, Kern *k, LLVMValueRef lo, LLVMValueRef hi, LLVMValueRef ob)
{
	LLVMValueRef lanes[16], a, r;
	LLVMTypeRef tf = LLVMVectorType(c->tf32, 16);

	for (int l = 0; l < 16; l++)
		lanes[l] = tgt_c32(c, l);
	a = LLVMBuildShuffleVector(c->b, lo, hi, LLVMConstVector(lanes, 16), "");
	if (k->q.fm)
		r = tgt_requant_float(c, a, tgt_load_al(c, tf, tgt_gep(c, tf, k->q.fm, ob), 16),
		                      &k->e.rq);
	else
		r = tgt_requant(
		        c, a, tgt_load_al(c, k->tv16, tgt_gep(c, k->tv16, k->q.mult, ob), 16),
		        tgt_load_al(c, k->tv16, tgt_gep(c, k->tv16, k->q.shift, ob), 16), &k->e.rq);
	return LLVMBuildTrunc(c->b, r, k->tb, "");
}

/* The conv pixels at base[i] for blocks ob0 .. ob0 + nb - 1, requantized
 * into rows row0 + i of the chunk's [16 pixels][NBLK blocks] byte vectors,
 * or max-ed into them (a fused pool). */
static void tile_pixels(Cg *c, Kern *k, int nb, LLVMValueRef ob0, LLVMValueRef base[NPIX],
                        LLVMValueRef row0)
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;

	for (int j = 0; j < nb; j++)
		for (int h = 0; h < 2; h++) {
			LLVMValueRef ob = LLVMBuildNSWAdd(b, ob0, tgt_cidx(c, j), "");
			LLVMValueRef bv = tgt_load_al(
			        c, k->tv,
			        tgt_gep(c, k->tv, k->q.bias, tgt_mad(c, ob, 2, tgt_cidx(c, h))),
			        16);
			for (int i = 0; i < NPIX; i++)
				LLVMBuildStore(b, bv, k->acc[i][j][h]);
		}
	if (d->path == PATH_DW)
		tile_taps_dw(c, k, nb, ob0, base);
	else
		tile_taps(c, k, nb, ob0, base);
	for (int i = 0; i < NPIX; i++)
		for (int j = 0; j < nb; j++) {
			LLVMValueRef ob = LLVMBuildNSWAdd(b, ob0, tgt_cidx(c, j), "");
			LLVMValueRef r = requant16(
			        c, k, LLVMBuildLoad2(b, k->tv, k->acc[i][j][0], ""),
			        LLVMBuildLoad2(b, k->tv, k->acc[i][j][1], ""), ob);
			LLVMValueRef row = LLVMBuildNSWAdd(b, row0, tgt_cidx(c, i), "");
			LLVMValueRef dst = tgt_gep(c, k->tb, k->st,
			                           tgt_mad(c, row, NBLK, tgt_cidx(c, j)));
			if (d->pooled) { /* vpmaxsb */
				LLVMValueRef cur = LLVMBuildLoad2(b, k->tb, dst, "");
				r = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, r, cur, ""), r,
				                    cur, "");
			}
			LLVMBuildStore(b, r, dst);
		}
}

/* One tile: pixels p0 + t*NPIX + i (clamped to P - 1: the duplicates are
 * never stored), blocks ob0 .. ob0 + nb - 1, into rows t*NPIX + i of the
 * chunk; with a fused pool, every tap of their windows, max-ed (header
 * comment). */
static void tile(Cg *c, void *kv, int nb, LLVMValueRef ob0, LLVMValueRef p0, LLVMValueRef t)
{
	Kern *k = kv;
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	LLVMValueRef p[NPIX], base[NPIX], last = tgt_cidx(c, d->P - 1);
	LLVMValueRef row0 = tgt_mad(c, t, NPIX, NULL);
	Loop lky, lkx;

	for (int i = 0; i < NPIX; i++) {
		LLVMValueRef q = LLVMBuildNSWAdd(b, p0,
		                                 LLVMBuildNSWAdd(b, row0, tgt_cidx(c, i), ""), "");
		p[i] = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, q, last, ""), q, last, "");
	}
	if (!d->pooled) {
		for (int i = 0; i < NPIX; i++)
			base[i] = tgt_scratch_pixel(c, &d->cg, d->Wp, d->Cp, p[i]);
		tile_pixels(c, k, nb, ob0, base, row0);
		return;
	}
	/* the rows start at -128: max(-128, r) = r */
	for (int i = 0; i < NPIX; i++)
		for (int j = 0; j < nb; j++) {
			LLVMValueRef row = LLVMBuildNSWAdd(b, row0, tgt_cidx(c, i), "");
			LLVMBuildStore(
			        b, k->lowest,
			        tgt_gep(c, k->tb, k->st, tgt_mad(c, row, NBLK, tgt_cidx(c, j))));
		}
	LLVMValueRef ky = tgt_upto(c, &lky, d->cg.pool.kh);
	LLVMValueRef kx = tgt_upto(c, &lkx, d->cg.pool.kw);
	for (int i = 0; i < NPIX; i++)
		base[i] = tgt_scratch_pool_pixel(c, &d->cg, d->Wp, d->Cp, p[i], ky, kx);
	tile_pixels(c, k, nb, ob0, base, row0);
	tgt_loop_close(c, &lkx);
	tgt_loop_close(c, &lky);
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

	tgt_chunks(c, k, nb, ob0, d->P, 16, NPIX, tile, store_block, NULL);
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
	LLVMValueRef v = tgt_scratch_open(c, &sc, &d->cg, d->Wp, x, in);
	v = LLVMBuildXor(b, v, LLVMConstInt(c->ti8, 0x80, 0), "");
	tgt_store(c, LLVMBuildZExt(b, v, te, ""), k->s, tgt_scratch_at(c, &sc, d->Cp));
	tgt_scratch_close(c, &sc);
}

void tgt_conv2d_avx2(Cg *c, int n, LLVMValueRef fn)
{
	Geo d;
	Kern k = {.d = &d,
	          .tv = LLVMVectorType(c->ti32, 8),
	          .tv16 = LLVMVectorType(c->ti32, 16),
	          .tb = LLVMVectorType(c->ti8, 16),
	          .th = LLVMVectorType(c->ti8, 8)};

	applies(c, &c->g->nodes[n], &d, NULL); /* the chooser took the node */
	/* x xor 0x80 is x + 128 unsigned: the bias folds zx + 128 */
	Int8Open o = {"avx2", d.OCB * 16, 1, 128, prepare, c->ti8, avx2_scratch_bytes(&d), 32};
	k.s = tgt_int8_open(c, n, &o, &k.e, &k.q, &k);
	k.st = tgt_alloca_al(c, k.tb, 16 * NBLK, 32);
	for (int i = 0; i < NPIX; i++)
		for (int j = 0; j < NBLK; j++)
			for (int h = 0; h < 2; h++)
				k.acc[i][j][h] = tgt_alloca(c, k.tv, 1);
	k.y = LLVMGetParam(fn, 1);
	tgt_conv_batches(c, fn, &d.cg, &k.nbase, fill_scratch, d.OCB, NBLK, tiles, &k);
}

TGT_APPLIES(tgt_conv2d_avx2_applies, Geo, applies)
TGT_SCRATCH(tgt_conv2d_avx2_scratch, Geo, applies, avx2_scratch_bytes)
