/* kernel_x86.c — the int8 conv2d kernel for x86-64 with AVX-512 VNNI.
 *
 * LLVM's vectorizer never forms vpdpbusd from plain loops, so this file
 * emits it itself (llvm.x86.avx512.vpdpbusd.512: 16 i32 lanes, each adds the
 * products of 4 unsigned bytes of its second operand with 4 signed bytes of
 * its third, without saturation, so the sum wraps exactly as the
 * interpreter's i32 accumulator).  It takes int8 convolutions with one group
 * or depthwise (below), with an i32 bias (or none); the chooser (kernels.c)
 * falls back to the generic loop nest for everything else.
 *
 * The unsigned operand is the activation shifted: u = x + 128 (x xor 0x80).
 * Then sum (x - zx) w = sum u w - (128 + zx) sum w, and the last term, per
 * output channel, is folded into the bias at compile time (mod 2^32, like the
 * accumulation).  A tap outside the input reads u = zx + 128, whose product
 * cancels, so every tap is uniform: the input is first copied into a padded
 * NHWC scratch buffer on the stack, [Hp][Wp][Cp] bytes (C rounded up to 4,
 * borders and extra channels filled with zx + 128), so that the 4 channels of
 * one tap are one 32-bit load, broadcast to the 16 lanes.
 *
 * Weights are repacked into [OC/16][KH][KW][Cp/4][16][4] bytes (zero for the
 * padding channels and rows), one 64-byte vector per 16 output channels and
 * 4 input channels of a tap.  A tile is 4 output pixels x up to 4 blocks of
 * 16 output channels: 16 zmm accumulators, each weight vector feeding 4
 * vpdpbusd and each broadcast 4.  (2 pixels x 8 blocks, the first shape,
 * streamed all 128 channels' weights per pixel pair from L2 and could not
 * keep the core's vpdpbusd units busy.)  Layers with several input
 * channels take up to 8 pixels x 2 blocks instead (tile_shape: the pixel
 * count that wastes fewest slots, 14 accumulators for the CNN's 7x7),
 * and a chunk is then the whole tiles that fit in 16 pixels.
 *
 * Each accumulator is requantized as a vector (tgt_requant and
 * tgt_requant_float take vectors, with per-lane parameters padded to whole
 * blocks) into a chunk of up to 16 pixels x 16 channels of bytes; a chunk is
 * transposed in registers and stored as 16 masked 16-byte rows of the NCHW
 * output (scattering single bytes cost more than the dot products did on the
 * first layer).
 *
 * One input channel (the first layer of an image model) would leave 3 of
 * the 4 bytes of a group zero; with dilation 1 along x, 4 neighbouring taps
 * of a row are adjacent bytes of a one-channel scratch row, so they make
 * the group instead (weights [OC/16][KH][(KW+3)/4][16][4], the taps past KW
 * zero).
 *
 * Depthwise convolutions (groups = C = OC) share the scratch copy, the
 * folded bias, the tiles and the epilogue, with channels in lanes: the
 * scratch rounds C up to 16, the weights are [OC/16][KH][KW][16] i32, and a
 * tap is acc += zext(16 bytes of u) * w (vpmulld: no 4-deep sum to feed
 * vpdpbusd with).
 *
 * A fused max-pool (pool = [kh,kw], fuse-pool) keeps all of that and changes
 * what a pixel is: the chunks run over pooled output pixels, and a tile
 * loops over the window's taps, computing its conv pixels at that tap and
 * keeping the signed max of their i32 accumulators (vpmaxsd); after the
 * window, the max is requantized once into the chunk's rows.  That is the
 * max of the requantized pixels because the whole epilogue is
 * non-decreasing in the accumulator: the left shift saturates, the
 * multiplier is >= 0 (0 or in [2^30, 2^31)), the nudged high multiply, the
 * rounding right shift, + zp, the clamps of the activation and the int8
 * range all are; --requant float's float(acc) * m (m >= 0), clamp and
 * round half to even too.  (The first version requantized every tap and
 * took the byte max: one requantization per conv pixel, not per pooled
 * one.)  A
 * tap in the pool's padding is clamped to the nearest conv row or column:
 * with pool dilation 1 that is another tap of the same window (every
 * window's span holds a conv pixel: pads < span), and max(a, a) = a, so
 * no tap needs a mask and the max is that of the in-bound taps, which is
 * the interpreter's (integers: the order of a max does not matter).  Pool
 * dilations > 1 fall back to the generic loop.  Overlapping windows
 * recompute their shared conv pixels; the CNN's 2x2/2 pools have none, and
 * the conv's output tensor and the maxpool's pass over it are gone.
 */
#include <stdlib.h>
#include <string.h>

#include "targets.h"

enum {
	NPIX = 8,              /* most output pixels per tile */
	NBLK = 4,              /* most blocks of 16 output channels per tile */
};

typedef struct {
	ConvGeo cg;
	int64_t Cp, C4, Hp, Wp, OCB, P;
	int64_t KWt, xstep; /* taps along x in the tap loop, scratch bytes between them */
	int rowtaps;        /* C = 1: 4 taps along x make the 4-byte group (below) */
	int depthwise; /* groups = C = OC: channels in lanes, no VNNI */
	int pooled;    /* a fused max-pool: P counts pooled pixels */
	int np, nb, ch; /* tile pixels and blocks; pixels per chunk (whole tiles) */
	int in_nhwc, out_nhwc; /* the input, the result stored NHWC (choose-layout) */
} Geo;

/* The tile: np pixels x nb blocks, and ch = the pixels of a chunk (whole
 * tiles, at most 16).  4 x 4 for row taps and depthwise.  Else the shape
 * of the fewest instructions over the layer: for nb = 2..4 blocks, np
 * pixels as many as fit the 32 zmm registers beside them (nb * np
 * accumulators, np broadcasts, a weight vector: np <= 31 / (nb + 1), at
 * most 8) and cover the P pixels with the fewest slots (tgt_tile_pixels),
 * a step of a tap costs nb * np vpdpbusd, np broadcasts, nb weight loads
 * and about 4 of the loop, per group of blocks (the last one maybe
 * smaller) and tile.  The CNN's pooled 64 -> 128 layer (8 blocks, 49
 * pixels) takes 5 x 4: 10% faster than 7 x 2 on a Xeon with two
 * vpdpbusd units (bench/README.md), where 7 x 2 stayed at 65% of the
 * peak. */
static void tile_shape(Geo *d)
{
	d->np = 4, d->nb = 4;
	if (!d->rowtaps && !d->depthwise) {
		int64_t best = -1;
		for (int nb = 2; nb <= NBLK; nb++) {
			int fit = 31 / (nb + 1) < NPIX ? 31 / (nb + 1) : NPIX;
			int np = tgt_tile_pixels(d->P, fit);
			int64_t tiles = (d->P + np - 1) / np, cost = 0;
			for (int64_t ob = 0; ob < d->OCB; ob += nb) {
				int64_t g = d->OCB - ob < nb ? d->OCB - ob : nb;
				cost += tiles * (g * np + np + g + 4);
			}
			if (best < 0 || cost < best)
				best = cost, d->nb = nb, d->np = np;
		}
	}
	d->ch = d->np * (16 / d->np);
}

/* The shapes this kernel takes beyond its registry row (kernels.c); fills d. */
static int applies(Cg *c, const Node *nd, Geo *d, const char **why)
{
	if (tgt_conv_geo(c, nd, &d->cg, why))
		return 0;
	d->depthwise = d->cg.G > 1;
	d->OCB = (d->cg.OC + 15) / 16, d->P = d->cg.pool.oh * d->cg.pool.ow;
	d->pooled = ir_has_pool(nd);
	/* depthwise: a pixel's channels are whole 16-byte blocks */
	d->Cp = d->depthwise ? d->OCB * 16 : (d->cg.C + 3) / 4 * 4, d->C4 = d->Cp / 4;
	d->KWt = d->cg.KW, d->xstep = d->cg.dw * d->Cp;
	/* One input channel would fill a 4-byte group with 3 zero channels; 4
	 * neighbouring taps of a row fill it instead (they are adjacent bytes of
	 * a one-channel scratch row when dw = 1); the taps past KW get weight 0,
	 * so whatever bytes they read add nothing. */
	d->rowtaps = !d->depthwise && d->cg.C == 1 && d->cg.dw == 1;
	if (d->rowtaps)
		d->Cp = 1, d->C4 = 1, d->KWt = (d->cg.KW + 3) / 4, d->xstep = 4;
	tgt_conv_padded(&d->cg, &d->Hp, &d->Wp);
	tile_shape(d);
	d->in_nhwc = ir_value_layout(c->g, nd->in[0]) == IR_LAYOUT_NHWC;
	d->out_nhwc = nd->a.layout == IR_LAYOUT_NHWC;
	(void)why;
	return 1;
}

/* The arena scratch: the padded input, + 4: a row-taps group may read up
 * to 3 bytes past the last row. */
static int64_t vnni_scratch_bytes(const Geo *d)
{
	return d->Hp * d->Wp * d->Cp + 4;
}

/* The depthwise weights, [OCB][KH][KW][16] as i32: one vector per block of
 * 16 channels and tap (zero for the padding channels). */
static unsigned char *pack_depthwise(const int8_t *w, const Geo *d, size_t *len)
{
	int64_t taps = d->cg.KH * d->cg.KW;
	unsigned char *buf;

	*len = (size_t)(d->OCB * taps * 64);
	buf = ir_xcalloc(*len, 1);
	for (int64_t oc = 0; oc < d->cg.OC; oc++)
		for (int64_t t = 0; t < taps; t++) {
			tgt_put_le(buf + (((oc / 16) * taps + t) * 16 + oc % 16) * 4,
			           (uint32_t)(int32_t)w[oc * taps + t], 4);
		}
	return buf;
}

/* The repacked weights (see the header comment). */
static LLVMValueRef pack_weights(Cg *c, const Node *nd, const Geo *d, int n)
{
	const int8_t *w = c->g->vals[nd->in[1]].data;
	size_t len = (size_t)(d->OCB * d->cg.KH * d->KWt * d->C4 * 64);
	unsigned char *buf, *p;

	if (d->depthwise)
		buf = pack_depthwise(w, d, &len);
	else if (d->rowtaps) {
		/* [OCB][KH][KWt][16][4]: byte q of group g is tap kx = 4g + q */
		buf = p = ir_xmalloc(len);
		for (int64_t ob = 0; ob < d->OCB; ob++)
			for (int64_t ky = 0; ky < d->cg.KH; ky++)
				for (int64_t g = 0; g < d->KWt; g++)
					for (int64_t l = 0; l < 16; l++)
						for (int64_t q = 0; q < 4; q++) {
							int64_t oc = ob * 16 + l, kx = g * 4 + q;
							*p++ = oc < d->cg.OC && kx < d->cg.KW
							               ? (unsigned char)
							                         w[(oc * d->cg.KH +
							                            ky) * d->cg.KW +
							                           kx]
							               : 0;
						}
	} else {
		buf = p = ir_xmalloc(len);
		for (int64_t ob = 0; ob < d->OCB; ob++)
			for (int64_t ky = 0; ky < d->cg.KH; ky++)
				for (int64_t kx = 0; kx < d->cg.KW; kx++)
					for (int64_t c4 = 0; c4 < d->C4; c4++)
						for (int64_t l = 0; l < 16; l++)
							for (int64_t q = 0; q < 4; q++) {
								int64_t oc = ob * 16 + l,
								        ci = c4 * 4 + q;
								*p++ = oc < d->cg.OC && ci < d->cg.C
								               ? (unsigned char)w
								                         [((oc * d->cg.C +
								                            ci) *
								                                   d->cg.KH +
								                           ky) *
								                                  d->cg.KW +
								                          kx]
								               : 0;
							}
	}
	return tgt_const_packed(c, "wvnni", n, buf, len);
}

typedef struct {
	const Geo *d;
	Epilogue e;
	LLVMTypeRef tv, tb;  /* <16 x i32>, <16 x i8> */
	LLVMValueRef dpbusd; /* the intrinsics and their types */
	LLVMTypeRef tdp;
	LLVMValueRef mstore;
	LLVMTypeRef tms;
	Int8Consts q;
	LLVMValueRef w, s, st;
	LLVMValueRef mx[NPIX][NBLK]; /* a fused pool: the window's max accumulators */
	LLVMValueRef imin[16];       /* 16 x INT32_MIN */
	LLVMValueRef acc[NPIX][NBLK];
} Kern;

/* tgt_int8_open's weights: the kernel's constants and intrinsics, then its
 * packed weights. */
static void prepare(Cg *c, void *kv, int n)
{
	Kern *k = kv;

	for (int i = 0; i < 16; i++)
		k->imin[i] = LLVMConstInt(c->ti32, (unsigned long long)(uint32_t)INT32_MIN, 1);
	LLVMTypeRef ps[3] = {k->tv, k->tv, k->tv};
	LLVMTypeRef ms[4] = {k->tb, c->tptr, c->ti32, LLVMVectorType(c->ti1, 16)};

	k->tdp = LLVMFunctionType(k->tv, ps, 3, 0);
	k->dpbusd = tgt_intrinsic(c, "llvm.x86.avx512.vpdpbusd.512", k->tdp);
	k->tms = LLVMFunctionType(c->tvoid, ms, 4, 0);
	k->mstore = tgt_intrinsic(c, "llvm.masked.store.v16i8.p0", k->tms);
	k->w = pack_weights(c, &c->g->nodes[n], k->d, n);
}

/* The 4 bytes at s + off, broadcast to 16 lanes. */
static LLVMValueRef bcast(Cg *c, Kern *k, LLVMValueRef off)
{
	LLVMValueRef v = tgt_load_al(c, c->ti32, tgt_gep(c, c->ti8, k->s, off), 1);
	LLVMValueRef one = LLVMBuildInsertElement(c->b, LLVMGetUndef(k->tv), v, tgt_c32(c, 0), "");
	return LLVMBuildShuffleVector(c->b, one, LLVMGetUndef(k->tv), LLVMConstNull(k->tv), "");
}

/* A depthwise tap of pixel i, block j: acc += u * w lane by lane. */
static void mac_dw(Cg *c, void *kv, int i, int j, LLVMValueRef x, LLVMValueRef wv)
{
	Kern *k = kv;
	LLVMBuilderRef b = c->b;
	LLVMValueRef u = LLVMBuildZExt(b, x, k->tv, "");
	/* no nsw: the accumulation wraps */
	LLVMValueRef a = LLVMBuildAdd(b, LLVMBuildLoad2(b, k->tv, k->acc[i][j], ""),
	                              LLVMBuildMul(b, u, wv, ""), "");

	LLVMBuildStore(b, a, k->acc[i][j]);
}

/* Depthwise taps: for ky, kx, acc += u * w lane by lane (16 channels). */
static void tile_taps_dw(Cg *c, Kern *k, int nb, LLVMValueRef ob0, LLVMValueRef base[NPIX])
{
	const Geo *d = k->d;
	DwTaps t = {&d->cg, d->Wp, d->Cp, 16, k->tv, k->tb, 16, k->w, k->s};

	tgt_taps_dw(c, &t, nb, ob0, base, d->np, mac_dw, k);
}

/* The taps of one tile: for ky, kx, c4, the vpdpbusd of every accumulator. */
static void tile_taps(Cg *c, Kern *k, int nb, LLVMValueRef ob0, LLVMValueRef base[NPIX])
{
	const Geo *d = k->d;
	Loop lky, lkx, lc;
	LLVMValueRef ky = tgt_upto(c, &lky, d->cg.KH);
	LLVMValueRef kx = tgt_upto(c, &lkx, d->KWt);
	LLVMValueRef toff = tgt_mad(c, ky, d->cg.dh * d->Wp * d->Cp,
	                            tgt_mad(c, kx, d->xstep, NULL));
	LLVMValueRef tap = tgt_mad(c, ky, d->KWt, kx);
	LLVMValueRef c4 = tgt_upto(c, &lc, d->C4);
	LLVMValueRef coff = LLVMBuildNSWAdd(c->b, toff, tgt_mad(c, c4, 4, NULL), "");
	LLVMValueRef u[NPIX];

	for (int i = 0; i < d->np; i++)
		u[i] = bcast(c, k, LLVMBuildNSWAdd(c->b, base[i], coff, ""));
	for (int b = 0; b < nb; b++) {
		/* vector index ((ob0 + b) * KH*KWt + tap) * C4 + c4 */
		LLVMValueRef ob = LLVMBuildNSWAdd(c->b, ob0, tgt_cidx(c, b), "");
		LLVMValueRef vi = tgt_mad(c, tgt_mad(c, ob, d->cg.KH * d->KWt, tap), d->C4, c4);
		LLVMValueRef wv = tgt_load_al(c, k->tv, tgt_gep(c, k->tv, k->w, vi), 16);
		for (int i = 0; i < d->np; i++) {
			LLVMValueRef args[3] = {LLVMBuildLoad2(c->b, k->tv, k->acc[i][b], ""), u[i],
			                        wv};
			LLVMBuildStore(c->b, LLVMBuildCall2(c->b, k->tdp, k->dpbusd, args, 3, ""),
			               k->acc[i][b]);
		}
	}
	tgt_loop_close(c, &lc);
	tgt_loop_close(c, &lkx);
	tgt_loop_close(c, &lky);
}

/* Accumulators a[i][j] requantized into rows row0 + i of the chunk's byte
 * vectors, blocks ob0 .. ob0 + nb - 1. */
static void store_rows(Cg *c, Kern *k, int nb, LLVMValueRef ob0, LLVMValueRef a[NPIX][NBLK],
                       LLVMValueRef row0)
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;

	for (int i = 0; i < d->np; i++)
		for (int j = 0; j < nb; j++) {
			LLVMValueRef ob = LLVMBuildNSWAdd(b, ob0, tgt_cidx(c, j), "");
			LLVMValueRef r = tgt_int8_requant_block(
			        c, &k->q, &k->e.rq, LLVMBuildLoad2(b, k->tv, a[i][j], ""), ob,
			        k->tb);
			LLVMValueRef row = LLVMBuildNSWAdd(b, row0, tgt_cidx(c, i), "");
			LLVMBuildStore(
			        b, r,
			        tgt_gep(c, k->tb, k->st, tgt_mad(c, row, NBLK, tgt_cidx(c, j))));
		}
}

/* The conv pixels at base[i] for blocks ob0 .. ob0 + nb - 1, requantized
 * into rows row0 + i of the chunk's [ch pixels][NBLK blocks] byte vectors,
 * or max-ed into them (a fused pool). */
static void tile_pixels(Cg *c, Kern *k, int nb, LLVMValueRef ob0, LLVMValueRef base[NPIX],
                        LLVMValueRef row0)
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;

	for (int j = 0; j < nb; j++) {
		LLVMValueRef bv = tgt_load_al(
		        c, k->tv,
		        tgt_gep(c, k->tv, k->q.bias, LLVMBuildNSWAdd(b, ob0, tgt_cidx(c, j), "")),
		        16);
		for (int i = 0; i < d->np; i++)
			LLVMBuildStore(b, bv, k->acc[i][j]);
	}
	if (d->depthwise)
		tile_taps_dw(c, k, nb, ob0, base);
	else
		tile_taps(c, k, nb, ob0, base);
	if (d->pooled) { /* vpmaxsd into the window's max; requantized after it */
		for (int i = 0; i < d->np; i++)
			for (int j = 0; j < nb; j++) {
				LLVMValueRef a = LLVMBuildLoad2(b, k->tv, k->acc[i][j], "");
				LLVMValueRef m = LLVMBuildLoad2(b, k->tv, k->mx[i][j], "");
				a = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, a, m, ""), a, m,
				                    "");
				LLVMBuildStore(b, a, k->mx[i][j]);
			}
		return;
	}
	store_rows(c, k, nb, ob0, k->acc, row0);
}

/* One tile: pixels p0 + t*np + i (clamped to P - 1: the duplicates are
 * never stored), blocks ob0 .. ob0 + nb - 1; with a fused pool, every tap
 * of their windows, max-ed (header comment). */
static void tile(Cg *c, void *kv, int nb, LLVMValueRef ob0, LLVMValueRef p0, LLVMValueRef t)
{
	Kern *k = kv;
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	LLVMValueRef p[NPIX], base[NPIX], last = tgt_cidx(c, d->P - 1);
	LLVMValueRef row0 = tgt_mad(c, t, d->np, NULL);
	Loop lky, lkx;

	for (int i = 0; i < d->np; i++) {
		LLVMValueRef q = LLVMBuildNSWAdd(b, p0,
		                                 LLVMBuildNSWAdd(b, row0, tgt_cidx(c, i), ""), "");
		p[i] = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, q, last, ""), q, last, "");
	}
	if (!d->pooled) {
		for (int i = 0; i < d->np; i++)
			base[i] = tgt_scratch_pixel(c, &d->cg, d->Wp, d->Cp, p[i]);
		tile_pixels(c, k, nb, ob0, base, row0);
		return;
	}
	/* the max starts at INT32_MIN, the identity of a max of i32s */
	for (int i = 0; i < d->np; i++)
		for (int j = 0; j < nb; j++)
			LLVMBuildStore(b, LLVMConstVector(k->imin, 16), k->mx[i][j]);
	LLVMValueRef ky = tgt_upto(c, &lky, d->cg.pool.kh);
	LLVMValueRef kx = tgt_upto(c, &lkx, d->cg.pool.kw);
	for (int i = 0; i < d->np; i++)
		base[i] = tgt_scratch_pool_pixel(c, &d->cg, d->Wp, d->Cp, p[i], ky, kx);
	tile_pixels(c, k, nb, ob0, base, row0);
	tgt_loop_close(c, &lkx);
	tgt_loop_close(c, &lky);
	store_rows(c, k, nb, ob0, k->mx, row0);
}

/* The padded NHWC scratch copy of batch element in: zx + 128 everywhere,
 * then x xor 0x80 at the input's positions. */
static void fill_scratch(Cg *c, void *kv, LLVMValueRef x, LLVMValueRef in)
{
	Kern *k = kv;
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	ScratchCopy sc;

	LLVMBuildMemSet(b, k->s, LLVMConstInt(c->ti8, (unsigned long long)(k->e.in_zp + 128), 0),
	                tgt_cidx(c, d->Hp * d->Wp * d->Cp + 4), 64);
	LLVMValueRef v = tgt_scratch_open(c, &sc, &d->cg, d->Wp, x, in, d->in_nhwc);
	v = LLVMBuildXor(b, v, LLVMConstInt(c->ti8, 0x80, 0), "");
	tgt_store(c, v, k->s, tgt_scratch_at(c, &sc, d->Cp));
	tgt_scratch_close(c, &sc);
}

void tgt_conv2d_vnni(Cg *c, int n, LLVMValueRef fn)
{
	Geo d;
	Kern k = {.d = &d, .tv = LLVMVectorType(c->ti32, 16), .tb = LLVMVectorType(c->ti8, 16)};

	applies(c, &c->g->nodes[n], &d, NULL); /* the chooser took the node */
	/* 512-bit vectors stay legal where the CPU prefers 256-bit ones */
	LLVMAddAttributeAtIndex(
	        fn, LLVMAttributeFunctionIndex,
	        LLVMCreateStringAttribute(c->ctx, "min-legal-vector-width", 22, "512", 3));
	/* x xor 0x80 is x + 128 unsigned: the bias folds zx + 128; + 4 in the
	 * scratch: a row-taps group may read up to 3 bytes past the last row */
	Int8Open o = {"vnni", d.OCB * 16, 1, 128, prepare, c->ti8, vnni_scratch_bytes(&d), 64};
	k.s = tgt_int8_open(c, n, &o, &k.e, &k.q, &k);
	k.st = tgt_alloca_al(c, k.tb, 16 * NBLK, 64);
	if (d.ch < 16) /* rows ch .. 15 are transposed, never stored: defined */
		LLVMBuildMemSet(c->b, k.st, LLVMConstInt(c->ti8, 0, 0), tgt_cidx(c, 16 * NBLK * 16),
		                64);
	for (int i = 0; i < NPIX; i++)
		for (int j = 0; j < NBLK; j++)
			k.acc[i][j] = tgt_alloca(c, k.tv, 1), k.mx[i][j] = tgt_alloca(c, k.tv, 1);
	/* the chunks of ch pixels: their 16 rows stored from registers */
	RowStore rs = {
	        16,   d.P,  d.ch, d.cg.OC, c->ti8, k.tms,     k.tb, k.mstore, LLVMGetParam(fn, 1),
	        NULL, k.st, 1,    NBLK,    NULL,   d.out_nhwc};
	tgt_conv_rows(c, fn, &d.cg, fill_scratch, d.OCB, d.nb, d.np, tile, &rs, &k);
}

TGT_APPLIES(tgt_conv2d_vnni_applies, Geo, applies)
TGT_SCRATCH(tgt_conv2d_vnni_scratch, Geo, applies, vnni_scratch_bytes)
