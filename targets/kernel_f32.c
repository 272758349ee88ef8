/* kernel_f32.c — the f32 conv2d kernel for x86-64 with AVX-512F (16 lanes)
 * or AVX2 (8 lanes), bit for bit the interpreter's.
 *
 * The interpreter fixes every float operation: per output element, acc
 * starts at the bias (or +0) and adds fmul(x, w) over ic, ky, kx in that
 * order, skipping the taps outside the input.  Plain fmul and fadd (no fast
 * math, so LLVM contracts nothing into an FMA and reorders nothing); the
 * only freedom is which output elements are computed side by side.  Here
 * the output channels sit in vector lanes: the weights are repacked at
 * compile time into [OC/L][C][KH][KW][L] (zero in the lanes past OC, which
 * are computed and never stored), and one tap of one pixel is
 * acc = fadd(acc, fmul(splat x, wvec)), x broadcast to the L lanes.  A tile
 * is np output pixels x up to nb blocks of L channels (up to 8 x 2 with
 * AVX-512, 6 x 4 there without a pool where OC >= 64, 4 x 2 with AVX2):
 * np * nb independent accumulator chains (enough to hide the fadd latency),
 * each weight vector feeding np products and each broadcast nb.  np is picked per layer so that the tiles cover the pixels
 * with little waste (7 for the CNN's 49 and 196 pooled pixels, which 8
 * covered with 56 and 200), and smaller when a pool's maxima compete with
 * the accumulators for registers over a short tap loop.
 *
 * Skipped taps.  The input is copied into a zero-padded [C][Hp][Wp] scratch
 * buffer on the stack, so that every tap is uniform (a layer with nothing
 * to pad, a 1x1 convolution without padding for one, reads x itself: no
 * copy and no stack); a tap outside the image
 * then adds the product +0 * w = +-0 instead of nothing.  That changes
 * nothing provided acc is never -0: x + (+-0) = x for every other x
 * (nonzero, +0, infinities, a NaN stays that NaN).  And acc is never -0 if
 * its start is not: a sum is -0 only when both operands are -0 (exact
 * cancellation gives +0 under round to nearest; a nonzero sum is never
 * rounded to zero, subnormals being kept).  So the kernel declines a layer
 * with a -0 (or NaN) bias, and one with a non-finite weight (0 * inf is a
 * NaN); the generic loops take those.
 *
 * A fused max-pool (fuse-pool) is computed per tile: for each pool tap the
 * tile computes the convolution outputs its result pixels read and keeps
 * maxpool2d's maximum (first in-bound value, then each later one greater);
 * overlapping windows recompute their shared outputs, which need no buffer.
 *
 * When every pool window lies inside the convolution's output (no pool
 * padding), the first tap sets the maxima and the bounds are never
 * computed.
 *
 * Epilogue: the fused activation on the vectors (tgt_act_f32), into a chunk
 * of ch <= L pixels (whole tiles) x NBLK blocks on the stack; each L x L
 * block is transposed in registers and stored as L masked rows of ch pixels
 * of the NCHW output.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "targets.h"

enum {
	NPIX_MAX = 8,           /* output pixels per tile */
	NBLK_MAX = 4,           /* blocks of L output channels per tile */
	BAND_MAX = 1 << 16, /* largest band of the padded input copy (bytes): it stays in L2 */
};

typedef struct {
	ConvGeo cg; /* with the fused max-pool; without one the 1x1 identity */
	int64_t Hp, Wp, OCB, P;
	int L, np, nb; /* lanes, tile pixels, tile blocks */
	int ch; /* pixels per chunk: the most whole tiles within L */
	int inside; /* every pool tap of every result pixel is in bound */
	int direct; /* no padding to add: the taps read x itself, no scratch */
	int64_t BR; /* banded (whole copy over the cap): result rows a band */
	int64_t SR; /* banded: scratch rows a band */
	int64_t PB; /* pixels a tile loop covers: P, or BR * OW when banded */
} Geo;

/* Whether a pooled tile's maxima would crowd its accumulators out of the
 * registers where the tap loop is too short to hide the spills: with a
 * pool, np x nb maxima stay live beside np x nb accumulators (the CNN's
 * 1->64 layer: 9 taps, a 2x2 pool). */
static int short_taps(const Geo *d)
{
	return d->cg.pool.kh * d->cg.pool.kw > 1 && d->cg.C * d->cg.KH * d->cg.KW < 64;
}

/* The constants keep acc off -0 (header comment). */
int tgt_f32_constants_ok(const Graph *g, const Node *nd)
{
	const Value *w = &g->vals[nd->in[1]];
	int64_t nw = ir_shape_numel(&w->shape);

	for (int64_t i = 0; i < nw; i++)
		if (!isfinite(((const float *)w->data)[i]))
			return 0;
	if (nd->nin > 2) {
		const Value *b = &g->vals[nd->in[2]];
		for (int64_t i = 0; i < w->shape.d[0]; i++) {
			float v = ((const float *)b->data)[i];
			if (isnan(v) || (v == 0 && signbit(v)))
				return 0;
		}
	}
	return 1;
}

/* The padded input copy's bytes (none when the taps read x directly): the
 * one place the scratch is sized (the arena move). */
static int64_t f32_scratch_bytes(const Geo *d)
{
	return d->direct ? 0 : d->cg.C * (d->BR ? d->SR : d->Hp) * d->Wp * 4;
}

/* Rows of the band scratch for br result rows (pooled, with a pool): the
 * convolution rows their pool windows read, and the input rows those read. */
static int64_t band_rows(const ConvGeo *g, int64_t br)
{
	int64_t cr = (br - 1) * g->pool.sh + (g->pool.kh - 1) * g->pool.dh + 1;

	return (cr - 1) * g->sh + (g->KH - 1) * g->dh + 1;
}

/* A layer whose whole padded copy exceeds the cap is computed in bands of
 * BR result rows (pooled with a pool), each with its own copy of the input
 * rows it reads: the most rows that fit, spread evenly over the bands (the
 * last band ends at the last row and overlaps the one before, recomputing
 * and storing the same bits). */
static void pick_band(Geo *d)
{
	const ConvGeo *g = &d->cg;
	int64_t br = g->pool.oh;

	d->BR = 0, d->PB = d->P;
	if (d->direct || g->C * d->Hp * d->Wp * 4 <= BAND_MAX)
		return;
	while (br > 0 && g->C * band_rows(g, br) * d->Wp * 4 > BAND_MAX)
		br--;
	if (br == 0)
		return;
	int64_t nband = (g->pool.oh + br - 1) / br;
	d->BR = (g->pool.oh + nband - 1) / nband;
	d->SR = band_rows(g, d->BR), d->PB = d->BR * g->pool.ow;
}

/* The layers this kernel takes beyond its registry row (kernels.c); fills d. */
static int applies(Cg *c, const Node *nd, Geo *d, const char **why)
{
	d->L = tgt_f32_lanes(c->tm); /* 4 on AArch64 (kernel_neon_f32.c) */
	if (tgt_conv_geo(c, nd, &d->cg, why))
		return 0;
	if (!tgt_f32_constants_ok(c->g, nd))
		return tgt_decline(why, "weights not finite or bias -0 or NaN");
	/* P counts the result's (pooled) pixels */
	d->OCB = (d->cg.OC + d->L - 1) / d->L, d->P = d->cg.pool.oh * d->cg.pool.ow;
	tgt_conv_padded(&d->cg, &d->Hp, &d->Wp);
	/* AVX-512: 16 accumulators of 32 registers; 8 x 2 rather than 4 x 4,
	 * 2 x 8 or 16 x 1: fewer weight vectors per product, streamed from L2
	 * (295 KB of them on the CNN's 64->128 layer).
	 * AVX2 has 16 registers: 4 x 2, 8 accumulators. */
	d->np = tgt_tile_pixels(d->P, d->L == 16 ? (short_taps(d) ? 4 : 8) : 4), d->nb = 2;
	/* without a pool and with 4 blocks or more, 6 x 4 (24 chains of 32
	 * registers): 10 loads a tap for 24 products rather than 9 for 14 (3%
	 * faster on the DSCNN's 64->64 1x1 layers on a Zen 4) */
	if (d->L == 16 && d->cg.pool.kh * d->cg.pool.kw == 1 && d->OCB >= 4)
		d->np = tgt_tile_pixels(d->P, 6), d->nb = 4;
	/* AArch64's 4 lanes (32 registers): 4 x 4, 16 chains */
	if (d->L == 4 && d->OCB >= 4)
		d->nb = 4;
	d->ch = d->np * (d->L / d->np);
	d->inside = d->cg.pool.pt == 0 && d->cg.pool.pl == 0 &&
	            (d->cg.pool.oh - 1) * d->cg.pool.sh + (d->cg.pool.kh - 1) * d->cg.pool.dh <
	                    d->cg.OH &&
	            (d->cg.pool.ow - 1) * d->cg.pool.sw + (d->cg.pool.kw - 1) * d->cg.pool.dw <
	                    d->cg.OW;
	d->direct = d->cg.pt == 0 && d->cg.pl == 0 && d->Hp == d->cg.H && d->Wp == d->cg.W;
	pick_band(d);
	return 1;
}

static void put_f32(unsigned char *p, float v)
{
	uint32_t u;

	memcpy(&u, &v, 4);
	for (int b = 0; b < 4; b++)
		p[b] = (unsigned char)(u >> (8 * b));
}

/* The weights as [OCB][C][KH][KW][L] floats, zero past OC. */
static LLVMValueRef pack_weights(Cg *c, const Node *nd, const Geo *d, int n)
{
	const float *w = c->g->vals[nd->in[1]].data;
	int64_t per = d->cg.C * d->cg.KH * d->cg.KW;
	size_t len = (size_t)(d->OCB * per * d->L * 4);
	unsigned char *buf = ir_xcalloc(len, 1);

	for (int64_t oc = 0; oc < d->cg.OC; oc++)
		for (int64_t k = 0; k < per; k++) /* k = (ic * KH + ky) * KW + kx */
			put_f32(buf + (((oc / d->L) * per + k) * d->L + oc % d->L) * 4,
			        w[oc * per + k]);
	return tgt_const_packed(c, "wf32k", n, buf, len);
}

/* The bias padded to OCB*L lanes with +0 (no bias: all +0). */
static LLVMValueRef pack_bias(Cg *c, const Node *nd, const Geo *d, int n)
{
	const float *b = nd->nin > 2 ? c->g->vals[nd->in[2]].data : NULL;
	size_t len = (size_t)(d->OCB * d->L * 4);
	unsigned char *buf = ir_xcalloc(len, 1);

	for (int64_t oc = 0; b && oc < d->cg.OC; oc++)
		put_f32(buf + oc * 4, b[oc]);
	return tgt_const_packed(c, "bf32k", n, buf, len);
}

typedef struct {
	const Geo *d;
	Act act;
	LLVMTypeRef tv; /* <L x float> */
	LLVMValueRef mstore; /* llvm.masked.store of tv */
	LLVMTypeRef tms;
	LLVMValueRef w, bias, s, st;
	/* banded: the image, the output, the band's first result row and the
	 * convolution row of its scratch's first row */
	LLVMValueRef x, y, nbase, r0, cb;
	LLVMValueRef acc[NPIX_MAX][NBLK_MAX];
	LLVMValueRef m[NPIX_MAX][NBLK_MAX], seen[NPIX_MAX]; /* the pool's maxima */
} Kern;

static LLVMValueRef splat(Cg *c, LLVMTypeRef tv, LLVMValueRef v)
{
	LLVMValueRef one = LLVMBuildInsertElement(c->b, LLVMGetUndef(tv), v, tgt_c32(c, 0), "");
	unsigned n = LLVMGetVectorSize(tv);

	return LLVMBuildShuffleVector(c->b, one, LLVMGetUndef(tv),
	                              LLVMConstNull(LLVMVectorType(c->ti32, n)), "");
}

/* For result pixel q and pool tap (py, px): whether the convolution pixel
 * it reads is inside the convolution's output (*inb), and the float index
 * into a scratch plane of that pixel's first tap (of pixel 0 when not).
 * Banded (cb not NULL: the convolution row of the band scratch's first
 * row), q counts from the band's first pixel, and the scratch row of the
 * pixel stays inside the band even when the tap is out of bound. */
static LLVMValueRef pixel_base(Cg *c, const Geo *d, LLVMValueRef q, LLVMValueRef py,
                               LLVMValueRef px, LLVMValueRef *inb, LLVMValueRef cb)
{
	LLVMBuilderRef b = c->b;
	const ConvPool *p = &d->cg.pool;
	LLVMValueRef oy = LLVMBuildUDiv(b, q, tgt_cidx(c, p->ow), "");
	LLVMValueRef ox = LLVMBuildURem(b, q, tgt_cidx(c, p->ow), "");

	if (cb) {
		LLVMValueRef crow = tgt_mad(c, oy, p->sh, tgt_mad(c, py, p->dh, NULL));
		LLVMValueRef cx = tgt_mad(c, ox, p->sw, tgt_mad(c, px, p->dw, tgt_cidx(c, -p->pl)));
		if (d->inside) {
			*inb = LLVMConstInt(c->ti1, 1, 0);
		} else {
			LLVMValueRef cy = LLVMBuildNSWAdd(b, crow, cb, "");
			*inb = LLVMBuildAnd(
			        b, LLVMBuildICmp(b, LLVMIntULT, cy, tgt_cidx(c, d->cg.OH), ""),
			        LLVMBuildICmp(b, LLVMIntULT, cx, tgt_cidx(c, d->cg.OW), ""), "");
			cx = LLVMBuildSelect(b, *inb, cx, tgt_cidx(c, 0), "");
		}
		return tgt_mad(c, crow, d->cg.sh * d->Wp, tgt_mad(c, cx, d->cg.sw, NULL));
	}
	LLVMValueRef cy = tgt_mad(c, oy, p->sh, tgt_mad(c, py, p->dh, tgt_cidx(c, -p->pt)));
	LLVMValueRef cx = tgt_mad(c, ox, p->sw, tgt_mad(c, px, p->dw, tgt_cidx(c, -p->pl)));

	if (d->inside) {
		*inb = LLVMConstInt(c->ti1, 1, 0);
		return tgt_mad(c, cy, d->cg.sh * d->Wp, tgt_mad(c, cx, d->cg.sw, NULL));
	}
	*inb = LLVMBuildAnd(b, LLVMBuildICmp(b, LLVMIntULT, cy, tgt_cidx(c, d->cg.OH), ""),
	                    LLVMBuildICmp(b, LLVMIntULT, cx, tgt_cidx(c, d->cg.OW), ""), "");
	cy = LLVMBuildSelect(b, *inb, cy, tgt_cidx(c, 0), "");
	cx = LLVMBuildSelect(b, *inb, cx, tgt_cidx(c, 0), "");
	return tgt_mad(c, cy, d->cg.sh * d->Wp, tgt_mad(c, cx, d->cg.sw, NULL));
}

/* The taps of one tile, in the interpreter's order ic, ky, kx. */
static void tile_taps(Cg *c, Kern *k, int nb, LLVMValueRef ob0, LLVMValueRef base[NPIX_MAX])
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	Loop lc, lky, lkx;
	LLVMValueRef ic = tgt_upto(c, &lc, d->cg.C);
	LLVMValueRef ky = tgt_upto(c, &lky, d->cg.KH);
	LLVMValueRef kx = tgt_upto(c, &lkx, d->cg.KW);
	LLVMValueRef toff = tgt_mad(
	        c, ic, (d->BR ? d->SR : d->Hp) * d->Wp,
	        tgt_mad(c, ky, d->cg.dh * d->Wp, tgt_mad(c, kx, d->cg.dw, NULL)));
	LLVMValueRef tap = tgt_mad(c, tgt_mad(c, ic, d->cg.KH, ky), d->cg.KW, kx);
	LLVMValueRef xs[NPIX_MAX], wv[NBLK_MAX];

	for (int i = 0; i < d->np; i++)
		xs[i] = splat(c, k->tv,
		              tgt_load_al(c, c->tf32,
		                          tgt_gep(c, c->tf32, k->s,
		                                  LLVMBuildNSWAdd(b, base[i], toff, "")),
		                          4));
	for (int j = 0; j < nb; j++) {
		LLVMValueRef ob = LLVMBuildNSWAdd(b, ob0, tgt_cidx(c, j), "");
		wv[j] = tgt_load_al(
		        c, k->tv,
		        tgt_gep(c, k->tv, k->w, tgt_mad(c, ob, d->cg.C * d->cg.KH * d->cg.KW, tap)),
		        16);
	}
	for (int i = 0; i < d->np; i++)
		for (int j = 0; j < nb; j++) {
			/* acc = acc + x * w: separate fmul and fadd, acc first */
			LLVMValueRef p = LLVMBuildFMul(b, xs[i], wv[j], "");
			LLVMValueRef a = LLVMBuildFAdd(
			        b, LLVMBuildLoad2(b, k->tv, k->acc[i][j], ""), p, "");
			LLVMBuildStore(b, a, k->acc[i][j]);
		}
	tgt_loop_close(c, &lkx);
	tgt_loop_close(c, &lky);
	tgt_loop_close(c, &lc);
}

/* Pool tap (py, px) of the tile's result pixels q[]: the convolution
 * outputs it reads (bias, taps, activation), folded into the maxima.  With
 * every tap in bound (d->inside), the first tap (first != 0) sets the
 * maxima and a later one takes v where v > max; otherwise the seen flags
 * and the bounds pick, as tile() says. */
static void conv_pool_tap(Cg *c, Kern *k, int nb, LLVMValueRef ob0, LLVMValueRef q[NPIX_MAX],
                          LLVMValueRef py, LLVMValueRef px, int first)
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	LLVMValueRef base[NPIX_MAX], inb[NPIX_MAX];

	for (int i = 0; i < d->np; i++)
		base[i] = pixel_base(c, d, q[i], py, px, &inb[i], d->BR ? k->cb : NULL);
	for (int j = 0; j < nb; j++) {
		LLVMValueRef ob = LLVMBuildNSWAdd(b, ob0, tgt_cidx(c, j), "");
		LLVMValueRef bv = tgt_load_al(c, k->tv, tgt_gep(c, k->tv, k->bias, ob), 16);
		for (int i = 0; i < d->np; i++)
			LLVMBuildStore(b, bv, k->acc[i][j]);
	}
	tile_taps(c, k, nb, ob0, base);
	for (int i = 0; i < d->np; i++) {
		LLVMTypeRef tm = LLVMVectorType(c->ti1, (unsigned)d->L);
		LLVMValueRef seen = NULL, take0 = NULL, in = NULL;
		if (!d->inside) {
			/* take v where in bound and (first, or v > max) */
			seen = LLVMBuildLoad2(b, c->ti1, k->seen[i], "");
			take0 = splat(c, tm,
			              LLVMBuildAnd(b, inb[i], LLVMBuildNot(b, seen, ""), ""));
			in = splat(c, tm, inb[i]);
		}
		for (int j = 0; j < nb; j++) {
			LLVMValueRef v = tgt_act_f32(c, LLVMBuildLoad2(b, k->tv, k->acc[i][j], ""),
			                             k->act);
			if (d->inside && first) {
				LLVMBuildStore(b, v, k->m[i][j]);
				continue;
			}
			LLVMValueRef m = LLVMBuildLoad2(b, k->tv, k->m[i][j], "");
			LLVMValueRef take = LLVMBuildFCmp(b, LLVMRealOGT, v, m, "");
			if (!d->inside)
				take = LLVMBuildOr(b, take0, LLVMBuildAnd(b, in, take, ""), "");
			LLVMBuildStore(b, LLVMBuildSelect(b, take, v, m, ""), k->m[i][j]);
		}
		if (!d->inside)
			LLVMBuildStore(b, LLVMBuildOr(b, seen, inb[i], ""), k->seen[i]);
	}
}

/* One tile: result pixels p0 + t*np + i (clamped to P - 1: the duplicates
 * are never stored), blocks ob0 .. ob0 + nb - 1, into rows t*np + i of the
 * chunk's [L pixels][NBLK blocks] vectors.  Per pool tap (ky then kx; the
 * 1x1 identity without a pool) the activated convolution outputs of the
 * pixels it reads are computed and pooled as maxpool2d does: the first
 * in-bound one, then each later one > the max so far (ordered compare,
 * lane by lane); an empty window leaves +0.  When every tap is in bound
 * the first is peeled off the loop and no bounds are computed. */
static void tile(Cg *c, void *kv, int nb, LLVMValueRef ob0, LLVMValueRef p0, LLVMValueRef t)
{
	Kern *k = kv;
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	LLVMValueRef q[NPIX_MAX], last = tgt_cidx(c, d->PB - 1);
	LLVMValueRef row0 = tgt_mad(c, t, d->np, NULL);
	int64_t taps = d->cg.pool.kh * d->cg.pool.kw, from = d->inside;
	Loop lt;

	for (int i = 0; i < d->np; i++) {
		q[i] = LLVMBuildNSWAdd(b, p0, LLVMBuildNSWAdd(b, row0, tgt_cidx(c, i), ""), "");
		q[i] = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, q[i], last, ""), q[i], last,
		                       "");
		if (d->inside)
			continue;
		LLVMBuildStore(b, LLVMConstInt(c->ti1, 0, 0), k->seen[i]);
		for (int j = 0; j < nb; j++)
			LLVMBuildStore(b, LLVMConstNull(k->tv), k->m[i][j]);
	}
	if (d->inside)
		conv_pool_tap(c, k, nb, ob0, q, tgt_cidx(c, 0), tgt_cidx(c, 0), 1);
	if (taps > from) {
		LLVMValueRef pt = LLVMBuildNSWAdd(b, tgt_upto(c, &lt, taps - from),
		                                  tgt_cidx(c, from), "");
		LLVMValueRef py = LLVMBuildUDiv(b, pt, tgt_cidx(c, d->cg.pool.kw), "");
		LLVMValueRef px = LLVMBuildURem(b, pt, tgt_cidx(c, d->cg.pool.kw), "");
		conv_pool_tap(c, k, nb, ob0, q, py, px, 0);
		tgt_loop_close(c, &lt);
	}
	for (int i = 0; i < d->np; i++)
		for (int j = 0; j < nb; j++) {
			LLVMValueRef r = LLVMBuildLoad2(b, k->tv, k->m[i][j], "");
			LLVMValueRef row = LLVMBuildNSWAdd(b, row0, tgt_cidx(c, i), "");
			LLVMBuildStore(b, r,
			               tgt_gep(c, k->tv, k->st,
			                       tgt_mad(c, row, NBLK_MAX, tgt_cidx(c, j))));
		}
}

/* Transposes L vectors of L elements in place: log2 L rounds of
 * interleaving v[i] with v[i + L/2] (each rotates the bits of an element's
 * (vector, lane) index by one, so log2 L rounds swap vector and lane). */
static void transpose(Cg *c, LLVMValueRef *v, int L)
{
	LLVMValueRef lo[16], hi[16], nv[16];

	for (int i = 0; i < L / 2; i++) {
		lo[2 * i] = tgt_c32(c, i), lo[2 * i + 1] = tgt_c32(c, L + i);
		hi[2 * i] = tgt_c32(c, L / 2 + i), hi[2 * i + 1] = tgt_c32(c, L + L / 2 + i);
	}
	LLVMValueRef mlo = LLVMConstVector(lo, (unsigned)L), mhi = LLVMConstVector(hi, (unsigned)L);
	for (int bit = 1; bit < L; bit *= 2) {
		for (int i = 0; i < L / 2; i++) {
			nv[2 * i] = LLVMBuildShuffleVector(c->b, v[i], v[i + L / 2], mlo, "");
			nv[2 * i + 1] = LLVMBuildShuffleVector(c->b, v[i], v[i + L / 2], mhi, "");
		}
		memcpy(v, nv, (size_t)L * sizeof *v);
	}
}

/* The zero-padded [C][Hp][Wp] copy of batch element in. */
static void fill_scratch(Cg *c, void *kv, LLVMValueRef x, LLVMValueRef in)
{
	Kern *k = kv;
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	Loop lc, lh;

	if (d->direct) { /* the image is its own padded copy */
		k->s = tgt_gep(c, c->tf32, x, tgt_mad(c, in, d->cg.C * d->cg.H * d->cg.W, NULL));
		return;
	}
	LLVMBuildMemSet(b, k->s, LLVMConstInt(c->ti8, 0, 0),
	                tgt_cidx(c, d->cg.C * d->Hp * d->Wp * 4), 64);
	LLVMValueRef ci = tgt_upto(c, &lc, d->cg.C);
	LLVMValueRef plane = tgt_mad(c, tgt_mad(c, in, d->cg.C, ci), d->cg.H, NULL);
	LLVMValueRef h = tgt_upto(c, &lh, d->cg.H);
	LLVMValueRef src = tgt_gep(c, c->tf32, x,
	                           tgt_mad(c, LLVMBuildNSWAdd(b, plane, h, ""), d->cg.W, NULL));
	LLVMValueRef srow = tgt_mad(c, ci, d->Hp * d->Wp,
	                            tgt_mad(c, h, d->Wp, tgt_cidx(c, d->cg.pt * d->Wp + d->cg.pl)));
	tgt_copy(c, tgt_gep(c, c->tf32, k->s, srow), 4, src, 4, d->cg.W * 4, 0);
	tgt_loop_close(c, &lh);
	tgt_loop_close(c, &lc);
}

/* Banded: the zero-padded [C][SR][Wp] copy of the input rows that result
 * rows r0 .. r0 + BR - 1 read (from convolution row cb), of batch element
 * in. */
static void fill_band(Cg *c, Kern *k, LLVMValueRef in)
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	Loop lc, lr;
	If fy;

	LLVMBuildMemSet(b, k->s, LLVMConstInt(c->ti8, 0, 0), tgt_cidx(c, f32_scratch_bytes(d)), 64);
	LLVMValueRef ci = tgt_upto(c, &lc, d->cg.C);
	LLVMValueRef sr = tgt_upto(c, &lr, d->SR);
	LLVMValueRef iy = tgt_mad(c, k->cb, d->cg.sh,
	                          LLVMBuildNSWAdd(b, sr, tgt_cidx(c, -d->cg.pt), ""));
	tgt_if_open(c, &fy, LLVMBuildICmp(b, LLVMIntULT, iy, tgt_cidx(c, d->cg.H), ""));
	LLVMValueRef src = tgt_gep(
	        c, c->tf32, k->x,
	        tgt_mad(c,
	                LLVMBuildNSWAdd(b, tgt_mad(c, tgt_mad(c, in, d->cg.C, ci), d->cg.H, NULL),
	                                iy, ""),
	                d->cg.W, NULL));
	LLVMValueRef dst = tgt_mad(c, ci, d->SR * d->Wp,
	                           tgt_mad(c, sr, d->Wp, tgt_cidx(c, d->cg.pl)));
	tgt_copy(c, tgt_gep(c, c->tf32, k->s, dst), 4, src, 4, d->cg.W * 4, 0);
	tgt_if_close(c, &fy);
	tgt_loop_close(c, &lr);
	tgt_loop_close(c, &lc);
}

/* Banded: block j's L rows of the chunk from band pixel p0, transposed and
 * stored to the output rows of channels ob0*L.. from pixel r0*OW + p0
 * (rows of P pixels; lanes past the band's PB pixels or the chunk's ch and
 * channels past OC masked off). */
static void band_store(Cg *c, void *kv, LLVMValueRef ob0, LLVMValueRef j, LLVMValueRef p0)
{
	Kern *k = kv;
	const Geo *d = k->d;
	RowStore rs = {d->L, d->P,     d->ch, d->cg.OC, c->tf32,  k->tms,    k->tv, k->mstore,
	               k->y, k->nbase, k->st, 4,        NBLK_MAX, transpose, 0};

	tgt_store_rows(c, &rs, ob0, j, p0, d->PB, tgt_mad(c, k->r0, d->cg.pool.ow, NULL));
}

static void band_group(Cg *c, void *kv, int nb, LLVMValueRef ob0)
{
	Kern *k = kv;

	tgt_chunks(c, k, nb, ob0, k->d->PB, k->d->ch, k->d->np, tile, band_store, NULL);
}

/* Banded: per batch element and band, the band's copy, then its tiles. */
static void bands(Cg *c, Kern *k)
{
	const Geo *d = k->d;
	Loop ln, lb;
	LLVMValueRef in = tgt_upto(c, &ln, d->cg.N);
	int64_t nband = (d->cg.pool.oh + d->BR - 1) / d->BR;

	k->nbase = tgt_mad(c, in, d->cg.OC, NULL);
	LLVMValueRef band = tgt_upto(c, &lb, nband);
	LLVMValueRef r0 = tgt_mad(c, band, d->BR, NULL), rl = tgt_cidx(c, d->cg.pool.oh - d->BR);
	k->r0 = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, r0, rl, ""), r0, rl, "");
	k->cb = tgt_mad(c, k->r0, d->cg.pool.sh, tgt_cidx(c, -d->cg.pool.pt));
	fill_band(c, k, in);
	tgt_block_groups(c, d->OCB, d->nb, band_group, k);
	tgt_loop_close(c, &lb);
	tgt_loop_close(c, &ln);
}

/* The kernel's vector type and its masked store. */
static void declare_mstore(Cg *c, Kern *k)
{
	k->tv = LLVMVectorType(c->tf32, (unsigned)k->d->L);
	LLVMTypeRef ms[4] = {k->tv, c->tptr, c->ti32, LLVMVectorType(c->ti1, (unsigned)k->d->L)};
	char name[40];

	snprintf(name, sizeof name, "llvm.masked.store.v%df32.p0", k->d->L);

	k->tms = LLVMFunctionType(c->tvoid, ms, 4, 0);
	k->mstore = tgt_intrinsic(c, name, k->tms);
}

void tgt_conv2d_f32(Cg *c, int n, LLVMValueRef fn)
{
	const Node *nd = &c->g->nodes[n];
	Geo d;
	Kern k = {.d = &d, .act = nd->a.act};

	applies(c, nd, &d, NULL); /* the chooser took the node */
	declare_mstore(c, &k);
	if (d.L == 16) /* 512-bit vectors stay legal where the CPU prefers 256-bit ones */
		LLVMAddAttributeAtIndex(
		        fn, LLVMAttributeFunctionIndex,
		        LLVMCreateStringAttribute(c->ctx, "min-legal-vector-width", 22, "512", 3));
	k.w = pack_weights(c, nd, &d, n);
	k.bias = pack_bias(c, nd, &d, n);
	if (!d.direct)
		k.s = tgt_arena_scratch(c, 0); /* f32_scratch_bytes */
	k.st = tgt_alloca_al(c, k.tv, d.L * NBLK_MAX, 64);
	if (d.ch < d.L) /* rows ch .. L-1 are transposed, never stored: defined */
		LLVMBuildMemSet(c->b, k.st, LLVMConstInt(c->ti8, 0, 0),
		                tgt_cidx(c, (int64_t)d.L * NBLK_MAX * d.L * 4), 64);
	for (int i = 0; i < d.np; i++)
		for (int j = 0; j < d.nb; j++)
			k.acc[i][j] = tgt_alloca(c, k.tv, 1), k.m[i][j] = tgt_alloca(c, k.tv, 1);
	for (int i = 0; i < d.np; i++)
		k.seen[i] = tgt_alloca(c, c->ti1, 1);
	if (d.BR) {
		k.x = LLVMGetParam(fn, 0), k.y = LLVMGetParam(fn, 1);
		bands(c, &k);
		return;
	}
	/* the chunks of ch pixels: their L rows stored from registers */
	RowStore rs = {
	        d.L,  d.P,  d.ch, d.cg.OC,  c->tf32,   k.tms, k.tv, k.mstore, LLVMGetParam(fn, 1),
	        NULL, k.st, 4,    NBLK_MAX, transpose, 0};
	tgt_conv_rows(c, fn, &d.cg, fill_scratch, d.OCB, d.nb, d.np, tile, &rs, &k);
}

TGT_APPLIES(tgt_conv2d_f32_applies, Geo, applies)
TGT_SCRATCH(tgt_conv2d_f32_scratch, Geo, applies, f32_scratch_bytes)
