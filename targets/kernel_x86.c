/* kernel_x86.c — the int8 conv2d kernel for x86-64 with AVX-512 VNNI.
 *
 * LLVM's vectorizer never forms vpdpbusd from plain loops, so this file
 * emits it itself (llvm.x86.avx512.vpdpbusd.512: 16 i32 lanes, each adds the
 * products of 4 unsigned bytes of its second operand with 4 signed bytes of
 * its third, without saturation, so the sum wraps exactly as the
 * interpreter's i32 accumulator).  It takes int8 convolutions with one group
 * or depthwise (below), with an i32 bias (or none); tgt_lower_conv2d falls
 * back to its generic loop nest for everything else.
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
	SCRATCH_MAX = 1 << 16, /* largest padded input copied to the stack (bytes) */
};

typedef struct {
	int64_t N, C, H, W, OC, KH, KW, OH, OW;
	int64_t sh, sw, dh, dw, pt, pl;
	int64_t Cp, C4, Hp, Wp, OCB, P;
	int64_t KWt, xstep; /* taps along x in the tap loop, scratch bytes between them */
	int rowtaps;        /* C = 1: 4 taps along x make the 4-byte group (below) */
	int depthwise; /* groups = C = OC: channels in lanes, no VNNI */
	int pooled;    /* a fused max-pool: P counts pooled pixels, PW wide */
	int64_t pkh, pkw, psh, psw, ppt, ppl, PW;
	int np, nb, ch; /* tile pixels and blocks; pixels per chunk (whole tiles) */
} Geo;

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* The tile: np pixels x nb blocks, and ch = the pixels of a chunk (whole
 * tiles, at most 16).  4 x 4 for row taps and depthwise; else 2 blocks and
 * up to 8 pixels, as many as cover the P pixels with the fewest slots by
 * the estimate tiles * (np + 1): 7 for the CNN's pooled 7x7, exactly 49,
 * where 4 x 4 computed 64 (52 once tiles past P were skipped). */
static void tile_shape(Geo *d)
{
	d->np = 4, d->nb = 4;
	if (!d->rowtaps && !d->depthwise)
		d->nb = 2, d->np = tgt_tile_pixels(d->P, NPIX);
	d->ch = d->np * (16 / d->np);
}

/* The shapes this kernel takes; fills d. */
static int applies(Cg *c, const Node *nd, Geo *d)
{
	const Graph *g = c->g;
	const Value *x = &g->vals[nd->in[0]], *w = &g->vals[nd->in[1]], *y = &g->vals[nd->out];
	const Attrs *a = &nd->a;

	if (!tgt_x86_vnni(c->tm) || x->dt != DT_I8 || w->dt != DT_I8 || y->dt != DT_I8)
		return 0;
	ConvPool pl;
	if (ir_conv_pool(g, nd, &pl) < 0 || pl.dh != 1 || pl.dw != 1)
		return 0; /* pool dilations: the generic loop (lower_conv.c) */
	if (nd->nin > 2 && g->vals[nd->in[2]].dt != DT_I32)
		return 0;
	if (w->kind != VK_CONST || !w->data || (nd->nin > 2 && !g->vals[nd->in[2]].data))
		return 0;
	d->N = x->shape.d[0], d->C = x->shape.d[1], d->H = x->shape.d[2], d->W = x->shape.d[3];
	d->OC = w->shape.d[0], d->KH = w->shape.d[2], d->KW = w->shape.d[3];
	d->OH = pl.ch, d->OW = pl.cw; /* the convolution's own pixels */
	d->sh = a->stride[0], d->sw = a->stride[1], d->dh = a->dilation[0], d->dw = a->dilation[1];
	d->pt = a->pad[0], d->pl = a->pad[1];
	if (d->pt < 0 || d->pl < 0 || d->OH < 1 || d->OW < 1)
		return 0;
	d->depthwise = a->groups > 1 && a->groups == d->C && d->OC == d->C;
	if (a->groups != 1 && !d->depthwise)
		return 0;
	d->OCB = (d->OC + 15) / 16, d->P = y->shape.d[2] * y->shape.d[3];
	d->pooled = ir_has_pool(nd);
	d->pkh = pl.kh, d->pkw = pl.kw, d->psh = pl.sh, d->psw = pl.sw;
	d->ppt = pl.pt, d->ppl = pl.pl, d->PW = y->shape.d[3];
	/* depthwise: a pixel's channels are whole 16-byte blocks */
	d->Cp = d->depthwise ? d->OCB * 16 : (d->C + 3) / 4 * 4, d->C4 = d->Cp / 4;
	d->KWt = d->KW, d->xstep = d->dw * d->Cp;
	/* One input channel would fill a 4-byte group with 3 zero channels; 4
	 * neighbouring taps of a row fill it instead (they are adjacent bytes of
	 * a one-channel scratch row when dw = 1); the taps past KW get weight 0,
	 * so whatever bytes they read add nothing. */
	d->rowtaps = !d->depthwise && d->C == 1 && d->dw == 1;
	if (d->rowtaps)
		d->Cp = 1, d->C4 = 1, d->KWt = (d->KW + 3) / 4, d->xstep = 4;
	d->Hp = max64(d->pt + d->H, (d->OH - 1) * d->sh + (d->KH - 1) * d->dh + 1);
	d->Wp = max64(d->pl + d->W, (d->OW - 1) * d->sw + (d->KW - 1) * d->dw + 1);
	tile_shape(d);
	return d->Hp * d->Wp * d->Cp <= SCRATCH_MAX;
}

/* The depthwise weights, [OCB][KH][KW][16] as i32: one vector per block of
 * 16 channels and tap (zero for the padding channels). */
static unsigned char *pack_depthwise(const int8_t *w, const Geo *d, size_t *len)
{
	int64_t taps = d->KH * d->KW;
	unsigned char *buf;

	*len = (size_t)(d->OCB * taps * 64);
	buf = ir_xcalloc(*len, 1);
	for (int64_t oc = 0; oc < d->OC; oc++)
		for (int64_t t = 0; t < taps; t++) {
			uint32_t v = (uint32_t)(int32_t)w[oc * taps + t];
			unsigned char *q = buf + (((oc / 16) * taps + t) * 16 + oc % 16) * 4;
			for (int b = 0; b < 4; b++)
				q[b] = (unsigned char)(v >> (8 * b));
		}
	return buf;
}

/* The repacked weights (see the header comment). */
static LLVMValueRef pack_weights(Cg *c, const Node *nd, const Geo *d, int n)
{
	const int8_t *w = c->g->vals[nd->in[1]].data;
	size_t len = (size_t)(d->OCB * d->KH * d->KWt * d->C4 * 64);
	unsigned char *buf, *p;
	char name[320];
	LLVMValueRef gv;

	if (d->depthwise)
		buf = pack_depthwise(w, d, &len);
	else if (d->rowtaps) {
		/* [OCB][KH][KWt][16][4]: byte q of group g is tap kx = 4g + q */
		buf = p = ir_xmalloc(len);
		for (int64_t ob = 0; ob < d->OCB; ob++)
			for (int64_t ky = 0; ky < d->KH; ky++)
				for (int64_t g = 0; g < d->KWt; g++)
					for (int64_t l = 0; l < 16; l++)
						for (int64_t q = 0; q < 4; q++) {
							int64_t oc = ob * 16 + l, kx = g * 4 + q;
							*p++ = oc < d->OC && kx < d->KW
							       ? (unsigned char)w[(oc * d->KH + ky) * d->KW + kx]
							       : 0;
						}
	} else {
		buf = p = ir_xmalloc(len);
		for (int64_t ob = 0; ob < d->OCB; ob++)
			for (int64_t ky = 0; ky < d->KH; ky++)
				for (int64_t kx = 0; kx < d->KW; kx++)
					for (int64_t c4 = 0; c4 < d->C4; c4++)
						for (int64_t l = 0; l < 16; l++)
							for (int64_t q = 0; q < 4; q++) {
								int64_t oc = ob * 16 + l, ci = c4 * 4 + q;
								*p++ = oc < d->OC && ci < d->C
								       ? (unsigned char)w[((oc * d->C + ci) * d->KH + ky) * d->KW + kx]
								       : 0;
							}
	}
	snprintf(name, sizeof name, "%s.wvnni%d", c->name, n);
	gv = tgt_const_bytes(c, name, buf, len);
	free(buf);
	return gv;
}

/* bias[oc] - (128 + zx) * sum of w[oc], wrapping, padded to OCB*16 lanes. */
static LLVMValueRef fold_bias(Cg *c, const Node *nd, const Geo *d, int32_t zx, int n)
{
	const Graph *g = c->g;
	const int8_t *w = g->vals[nd->in[1]].data;
	const int32_t *bias = nd->nin > 2 ? g->vals[nd->in[2]].data : NULL;
	int64_t per = (d->depthwise ? 1 : d->C) * d->KH * d->KW;
	unsigned char *buf = ir_xcalloc((size_t)(d->OCB * 16), 4);
	char name[320];
	LLVMValueRef gv;

	for (int64_t oc = 0; oc < d->OC; oc++) {
		uint32_t s = 0, v;
		for (int64_t k = 0; k < per; k++)
			s += (uint32_t)(int32_t)w[oc * per + k];
		v = (bias ? (uint32_t)bias[oc] : 0) - (uint32_t)(128 + zx) * s;
		for (int k = 0; k < 4; k++)
			buf[oc * 4 + k] = (unsigned char)(v >> (8 * k));
	}
	snprintf(name, sizeof name, "%s.bvnni%d", c->name, n);
	gv = tgt_const_bytes(c, name, buf, (size_t)(d->OCB * 16 * 4));
	free(buf);
	return gv;
}

typedef struct {
	const Geo *d;
	Epilogue e;
	LLVMTypeRef tv, tb;  /* <16 x i32>, <16 x i8> */
	LLVMValueRef dpbusd; /* the intrinsics and their types */
	LLVMTypeRef tdp;
	LLVMValueRef mstore;
	LLVMTypeRef tms;
	LLVMValueRef w, bias, mult, shift, fm, s, y, st, nbase;
	LLVMValueRef mx[NPIX][NBLK]; /* a fused pool: the window's max accumulators */
	LLVMValueRef imin[16];       /* 16 x INT32_MIN */
	LLVMValueRef acc[NPIX][NBLK];
} Kern;

static LLVMValueRef load_al(Cg *c, LLVMTypeRef t, LLVMValueRef p, unsigned align)
{
	LLVMValueRef v = LLVMBuildLoad2(c->b, t, p, "");
	LLVMSetAlignment(v, align);
	return v;
}

/* Byte offset into the scratch buffer of the first tap of pixel p. */
static LLVMValueRef pixel_base(Cg *c, const Geo *d, LLVMValueRef p)
{
	LLVMValueRef oy = LLVMBuildUDiv(c->b, p, tgt_cidx(c, d->OW), "");
	LLVMValueRef ox = LLVMBuildURem(c->b, p, tgt_cidx(c, d->OW), "");
	LLVMValueRef row = tgt_mad(c, oy, d->sh * d->Wp, tgt_mad(c, ox, d->sw, NULL));
	return tgt_mad(c, row, d->Cp, NULL);
}

static LLVMValueRef clamp_idx(Cg *c, LLVMValueRef v, int64_t hi)
{
	LLVMBuilderRef b = c->b;
	LLVMValueRef z = tgt_cidx(c, 0), h = tgt_cidx(c, hi);

	v = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, v, z, ""), z, v, "");
	return LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, v, h, ""), h, v, "");
}

/* The scratch offset of the conv pixel at tap (ky, kx) of pooled pixel p's
 * window, clamped into the conv output (header comment: with pool
 * dilation 1 the clamped pixel is a tap of the same window). */
static LLVMValueRef pool_base(Cg *c, const Geo *d, LLVMValueRef p, LLVMValueRef ky, LLVMValueRef kx)
{
	LLVMValueRef py = LLVMBuildUDiv(c->b, p, tgt_cidx(c, d->PW), "");
	LLVMValueRef px = LLVMBuildURem(c->b, p, tgt_cidx(c, d->PW), "");
	LLVMValueRef cy = clamp_idx(c, tgt_mad(c, py, d->psh, LLVMBuildAdd(c->b, ky, tgt_cidx(c, -d->ppt), "")), d->OH - 1);
	LLVMValueRef cx = clamp_idx(c, tgt_mad(c, px, d->psw, LLVMBuildAdd(c->b, kx, tgt_cidx(c, -d->ppl), "")), d->OW - 1);
	LLVMValueRef row = tgt_mad(c, cy, d->sh * d->Wp, tgt_mad(c, cx, d->sw, NULL));
	return tgt_mad(c, row, d->Cp, NULL);
}

/* The 4 bytes at s + off, broadcast to 16 lanes. */
static LLVMValueRef bcast(Cg *c, Kern *k, LLVMValueRef off)
{
	LLVMValueRef v = load_al(c, c->ti32, tgt_gep(c, c->ti8, k->s, off), 1);
	LLVMValueRef one = LLVMBuildInsertElement(c->b, LLVMGetUndef(k->tv), v, tgt_c32(c, 0), "");
	return LLVMBuildShuffleVector(c->b, one, LLVMGetUndef(k->tv), LLVMConstNull(k->tv), "");
}

/* Depthwise taps: for ky, kx, acc += u * w lane by lane (16 channels). */
static void tile_taps_dw(Cg *c, Kern *k, int nb, LLVMValueRef ob0, LLVMValueRef base[NPIX])
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	Loop lky, lkx;
	LLVMValueRef ky = tgt_upto(c, &lky, d->KH);
	LLVMValueRef kx = tgt_upto(c, &lkx, d->KW);
	LLVMValueRef toff = tgt_mad(c, tgt_mad(c, ky, d->dh * d->Wp, tgt_mad(c, kx, d->dw, NULL)), d->Cp, NULL);
	LLVMValueRef tap = tgt_mad(c, ky, d->KW, kx);

	for (int j = 0; j < nb; j++) {
		LLVMValueRef ob = LLVMBuildNSWAdd(b, ob0, tgt_cidx(c, j), "");
		LLVMValueRef wv = load_al(c, k->tv, tgt_gep(c, k->tv, k->w, tgt_mad(c, ob, d->KH * d->KW, tap)), 16);
		LLVMValueRef coff = tgt_mad(c, ob, 16, toff);
		for (int i = 0; i < d->np; i++) {
			LLVMValueRef off = LLVMBuildNSWAdd(b, base[i], coff, "");
			LLVMValueRef u = LLVMBuildZExt(b, load_al(c, k->tb, tgt_gep(c, c->ti8, k->s, off), 1), k->tv, "");
			/* no nsw: the accumulation wraps */
			LLVMValueRef a = LLVMBuildAdd(b, LLVMBuildLoad2(b, k->tv, k->acc[i][j], ""),
			                              LLVMBuildMul(b, u, wv, ""), "");
			LLVMBuildStore(b, a, k->acc[i][j]);
		}
	}
	tgt_loop_close(c, &lkx);
	tgt_loop_close(c, &lky);
}

/* The taps of one tile: for ky, kx, c4, the vpdpbusd of every accumulator. */
static void tile_taps(Cg *c, Kern *k, int nb, LLVMValueRef ob0, LLVMValueRef base[NPIX])
{
	const Geo *d = k->d;
	Loop lky, lkx, lc;
	LLVMValueRef ky = tgt_upto(c, &lky, d->KH);
	LLVMValueRef kx = tgt_upto(c, &lkx, d->KWt);
	LLVMValueRef toff = tgt_mad(c, ky, d->dh * d->Wp * d->Cp, tgt_mad(c, kx, d->xstep, NULL));
	LLVMValueRef tap = tgt_mad(c, ky, d->KWt, kx);
	LLVMValueRef c4 = tgt_upto(c, &lc, d->C4);
	LLVMValueRef coff = LLVMBuildNSWAdd(c->b, toff, tgt_mad(c, c4, 4, NULL), "");
	LLVMValueRef u[NPIX];

	for (int i = 0; i < d->np; i++)
		u[i] = bcast(c, k, LLVMBuildNSWAdd(c->b, base[i], coff, ""));
	for (int b = 0; b < nb; b++) {
		/* vector index ((ob0 + b) * KH*KWt + tap) * C4 + c4 */
		LLVMValueRef ob = LLVMBuildNSWAdd(c->b, ob0, tgt_cidx(c, b), "");
		LLVMValueRef vi = tgt_mad(c, tgt_mad(c, ob, d->KH * d->KWt, tap), d->C4, c4);
		LLVMValueRef wv = load_al(c, k->tv, tgt_gep(c, k->tv, k->w, vi), 16);
		for (int i = 0; i < d->np; i++) {
			LLVMValueRef args[3] = {LLVMBuildLoad2(c->b, k->tv, k->acc[i][b], ""), u[i], wv};
			LLVMBuildStore(c->b, LLVMBuildCall2(c->b, k->tdp, k->dpbusd, args, 3, ""), k->acc[i][b]);
		}
	}
	tgt_loop_close(c, &lc);
	tgt_loop_close(c, &lkx);
	tgt_loop_close(c, &lky);
}

/* The requantized bytes of 16 channels of block ob from accumulator a. */
static LLVMValueRef requant16(Cg *c, Kern *k, LLVMValueRef a, LLVMValueRef ob)
{
	LLVMValueRef r;

	if (k->fm)
		r = tgt_requant_float(c, a, load_al(c, LLVMVectorType(c->tf32, 16),
		                                    tgt_gep(c, LLVMVectorType(c->tf32, 16), k->fm, ob), 16),
		                      &k->e.rq);
	else
		r = tgt_requant(c, a, load_al(c, k->tv, tgt_gep(c, k->tv, k->mult, ob), 16),
		                load_al(c, k->tv, tgt_gep(c, k->tv, k->shift, ob), 16), &k->e.rq);
	return LLVMBuildTrunc(c->b, r, k->tb, "");
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
			LLVMValueRef r = requant16(c, k, LLVMBuildLoad2(b, k->tv, a[i][j], ""), ob);
			LLVMValueRef row = LLVMBuildNSWAdd(b, row0, tgt_cidx(c, i), "");
			LLVMBuildStore(b, r, tgt_gep(c, k->tb, k->st, tgt_mad(c, row, NBLK, tgt_cidx(c, j))));
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
		LLVMValueRef bv = load_al(c, k->tv, tgt_gep(c, k->tv, k->bias,
		                                             LLVMBuildNSWAdd(b, ob0, tgt_cidx(c, j), "")), 16);
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
				a = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, a, m, ""), a, m, "");
				LLVMBuildStore(b, a, k->mx[i][j]);
			}
		return;
	}
	store_rows(c, k, nb, ob0, k->acc, row0);
}

/* One tile: pixels p0 + t*np + i (clamped to P - 1: the duplicates are
 * never stored), blocks ob0 .. ob0 + nb - 1; with a fused pool, every tap
 * of their windows, max-ed (header comment). */
static void tile(Cg *c, Kern *k, int nb, LLVMValueRef ob0, LLVMValueRef p0, LLVMValueRef t)
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	LLVMValueRef p[NPIX], base[NPIX], last = tgt_cidx(c, d->P - 1);
	LLVMValueRef row0 = tgt_mad(c, t, d->np, NULL);
	Loop lky, lkx;

	for (int i = 0; i < d->np; i++) {
		LLVMValueRef q = LLVMBuildNSWAdd(b, p0, LLVMBuildNSWAdd(b, row0, tgt_cidx(c, i), ""), "");
		p[i] = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, q, last, ""), q, last, "");
	}
	if (!d->pooled) {
		for (int i = 0; i < d->np; i++)
			base[i] = pixel_base(c, d, p[i]);
		tile_pixels(c, k, nb, ob0, base, row0);
		return;
	}
	/* the max starts at INT32_MIN, the identity of a max of i32s */
	for (int i = 0; i < d->np; i++)
		for (int j = 0; j < nb; j++)
			LLVMBuildStore(b, LLVMConstVector(k->imin, 16), k->mx[i][j]);
	LLVMValueRef ky = tgt_upto(c, &lky, d->pkh);
	LLVMValueRef kx = tgt_upto(c, &lkx, d->pkw);
	for (int i = 0; i < d->np; i++)
		base[i] = pool_base(c, d, p[i], ky, kx);
	tile_pixels(c, k, nb, ob0, base, row0);
	tgt_loop_close(c, &lkx);
	tgt_loop_close(c, &lky);
	store_rows(c, k, nb, ob0, k->mx, row0);
}

/* Transposes 16 vectors of 16 bytes in place: four rounds of interleaving
 * v[i] with v[i + 8] (each rotates the 8 bits of an element's (vector,
 * lane) index by one, so four swap vector and lane). */
static void transpose16(Cg *c, LLVMValueRef v[16])
{
	LLVMValueRef lo[16], hi[16], nv[16];

	for (int i = 0; i < 8; i++) {
		lo[2 * i] = tgt_c32(c, i), lo[2 * i + 1] = tgt_c32(c, 16 + i);
		hi[2 * i] = tgt_c32(c, 8 + i), hi[2 * i + 1] = tgt_c32(c, 24 + i);
	}
	LLVMValueRef mlo = LLVMConstVector(lo, 16), mhi = LLVMConstVector(hi, 16);
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 8; i++) {
			nv[2 * i] = LLVMBuildShuffleVector(c->b, v[i], v[i + 8], mlo, "");
			nv[2 * i + 1] = LLVMBuildShuffleVector(c->b, v[i], v[i + 8], mhi, "");
		}
		memcpy(v, nv, sizeof nv);
	}
}

/* The chunk's bytes of block ob0 + j, transposed to 16 channels x 16
 * pixels, stored to y where the channel and the pixel exist. */
static void store_block(Cg *c, Kern *k, LLVMValueRef ob0, LLVMValueRef j, LLVMValueRef p0)
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	LLVMValueRef v[16], lanes[16];

	for (int r = 0; r < 16; r++)
		v[r] = LLVMBuildLoad2(b, k->tb, tgt_gep(c, k->tb, k->st, tgt_mad(c, tgt_cidx(c, r), NBLK, j)), "");
	transpose16(c, v);
	for (int l = 0; l < 16; l++)
		lanes[l] = tgt_c32(c, l);
	LLVMValueRef left = LLVMBuildTrunc(b, LLVMBuildNSWSub(b, tgt_cidx(c, d->P), p0, ""), c->ti32, "");
	/* the chunk's pixels: ch <= 16 of the transposed lanes */
	left = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, left, tgt_c32(c, d->ch), ""), left, tgt_c32(c, d->ch), "");
	LLVMValueRef splat = LLVMBuildShuffleVector(b, LLVMBuildInsertElement(b, LLVMGetUndef(LLVMVectorType(c->ti32, 16)), left, tgt_c32(c, 0), ""),
	                                            LLVMGetUndef(LLVMVectorType(c->ti32, 16)), LLVMConstNull(LLVMVectorType(c->ti32, 16)), "");
	LLVMValueRef pmask = LLVMBuildICmp(b, LLVMIntSLT, LLVMConstVector(lanes, 16), splat, "");
	LLVMValueRef oc0 = tgt_mad(c, LLVMBuildNSWAdd(b, ob0, j, ""), 16, NULL);
	for (int r = 0; r < 16; r++) {
		LLVMValueRef oc = LLVMBuildNSWAdd(b, oc0, tgt_cidx(c, r), "");
		LLVMValueRef ok = LLVMBuildICmp(b, LLVMIntSLT, oc, tgt_cidx(c, d->OC), "");
		LLVMValueRef m = LLVMBuildSelect(b, ok, pmask, LLVMConstNull(LLVMTypeOf(pmask)), "");
		/* a channel past OC points nowhere useful: address channel 0 */
		LLVMValueRef row = LLVMBuildSelect(b, ok, oc, tgt_cidx(c, 0), "");
		LLVMValueRef dst = tgt_gep(c, c->ti8, k->y, tgt_mad(c, LLVMBuildNSWAdd(b, k->nbase, row, ""), d->P, p0));
		LLVMValueRef args[4] = {v[r], dst, tgt_c32(c, 1), m};
		LLVMBuildCall2(b, k->tms, k->mstore, args, 4, "");
	}
}

/* Every chunk of ch pixels for the nb blocks starting at block ob0. */
static void tiles(Cg *c, Kern *k, int nb, LLVMValueRef ob0)
{
	const Geo *d = k->d;
	Loop lp, lt, lj;
	LLVMValueRef q = tgt_upto(c, &lp, (d->P + d->ch - 1) / d->ch);
	LLVMValueRef p0 = tgt_mad(c, q, d->ch, NULL);
	LLVMValueRef t = tgt_upto(c, &lt, d->ch / d->np);
	If live;

	/* a tile wholly past P is skipped (its rows are never stored) */
	tgt_if_open(c, &live, LLVMBuildICmp(c->b, LLVMIntSLT, tgt_mad(c, t, d->np, p0), tgt_cidx(c, d->P), ""));
	tile(c, k, nb, ob0, p0, t);
	tgt_if_close(c, &live);
	tgt_loop_close(c, &lt);
	LLVMValueRef j = tgt_upto(c, &lj, nb);
	store_block(c, k, ob0, j, p0);
	tgt_loop_close(c, &lj);
	tgt_loop_close(c, &lp);
}

/* The padded NHWC scratch copy of batch element in: zx + 128 everywhere,
 * then x xor 0x80 at the input's positions. */
static void fill_scratch(Cg *c, Kern *k, LLVMValueRef x, LLVMValueRef in)
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	Loop lc, lh, lw;

	LLVMBuildMemSet(b, k->s, LLVMConstInt(c->ti8, (unsigned long long)(k->e.in_zp + 128), 0),
	                tgt_cidx(c, d->Hp * d->Wp * d->Cp + 4), 64);
	LLVMValueRef ci = tgt_upto(c, &lc, d->C);
	LLVMValueRef plane = tgt_mad(c, tgt_mad(c, in, d->C, ci), d->H, NULL);
	LLVMValueRef h = tgt_upto(c, &lh, d->H);
	LLVMValueRef xrow = tgt_mad(c, LLVMBuildNSWAdd(b, plane, h, ""), d->W, NULL);
	LLVMValueRef srow = tgt_mad(c, h, d->Wp, tgt_cidx(c, d->pt * d->Wp + d->pl));
	LLVMValueRef w = tgt_upto(c, &lw, d->W);
	LLVMValueRef v = tgt_load(c, c->ti8, x, LLVMBuildNSWAdd(b, xrow, w, ""));
	v = LLVMBuildXor(b, v, LLVMConstInt(c->ti8, 0x80, 0), "");
	tgt_store(c, v, k->s, tgt_mad(c, LLVMBuildNSWAdd(b, srow, w, ""), d->Cp, ci));
	tgt_loop_close(c, &lw);
	tgt_loop_close(c, &lh);
	tgt_loop_close(c, &lc);
}

static LLVMValueRef intrinsic(Cg *c, const char *name, LLVMTypeRef t)
{
	LLVMValueRef f = LLVMGetNamedFunction(c->mod, name);

	return f ? f : LLVMAddFunction(c->mod, name, t);
}

static void declare_intrinsics(Cg *c, Kern *k)
{
	LLVMTypeRef ps[3] = {k->tv, k->tv, k->tv};
	LLVMTypeRef ms[4] = {k->tb, c->tptr, c->ti32, LLVMVectorType(c->ti1, 16)};

	k->tdp = LLVMFunctionType(k->tv, ps, 3, 0);
	k->dpbusd = intrinsic(c, "llvm.x86.avx512.vpdpbusd.512", k->tdp);
	k->tms = LLVMFunctionType(c->tvoid, ms, 4, 0);
	k->mstore = intrinsic(c, "llvm.masked.store.v16i8.p0", k->tms);
}

int tgt_conv2d_vnni(Cg *c, int n, LLVMValueRef fn)
{
	const Node *nd = &c->g->nodes[n];
	LLVMContextRef ctx = c->ctx;
	Geo d;
	Kern k;
	Loop ln, lg;

	if (!applies(c, nd, &d))
		return 0;
	memset(&k, 0, sizeof k);
	k.d = &d;
	tgt_epilogue_init(c, n, &k.e);
	if (k.e.acc64)
		ICE("an int8 convolution with a 64-bit accumulator");
	k.tv = LLVMVectorType(c->ti32, 16);
	k.tb = LLVMVectorType(c->ti8, 16);
	for (int i = 0; i < 16; i++)
		k.imin[i] = LLVMConstInt(c->ti32, (unsigned long long)(uint32_t)INT32_MIN, 1);
	declare_intrinsics(c, &k);
	/* 512-bit vectors stay legal where the CPU prefers 256-bit ones */
	LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
	                        LLVMCreateStringAttribute(ctx, "min-legal-vector-width", 22, "512", 3));
	k.w = pack_weights(c, nd, &d, n);
	k.bias = fold_bias(c, nd, &d, k.e.in_zp, n);
	tgt_requant_tables(c, n, d.OC, d.OCB * 16, "vnni", &k.mult, &k.shift, &k.fm);
	/* + 4: a row-taps group may read up to 3 bytes past the last row */
	k.s = tgt_alloca(c, c->ti8, d.Hp * d.Wp * d.Cp + 4);
	LLVMSetAlignment(k.s, 64);
	k.st = tgt_alloca(c, k.tb, 16 * NBLK);
	LLVMSetAlignment(k.st, 64);
	if (d.ch < 16) /* rows ch .. 15 are transposed, never stored: defined */
		LLVMBuildMemSet(c->b, k.st, LLVMConstInt(c->ti8, 0, 0), tgt_cidx(c, 16 * NBLK * 16), 64);
	for (int i = 0; i < NPIX; i++)
		for (int j = 0; j < NBLK; j++)
			k.acc[i][j] = tgt_alloca(c, k.tv, 1), k.mx[i][j] = tgt_alloca(c, k.tv, 1);
	k.y = LLVMGetParam(fn, 1);

	LLVMValueRef in = tgt_upto(c, &ln, d.N);
	k.nbase = tgt_mad(c, in, d.OC, NULL);
	fill_scratch(c, &k, LLVMGetParam(fn, 0), in);
	int64_t full = d.OCB / d.nb, rest = d.OCB % d.nb;
	if (full) {
		LLVMValueRef og = tgt_upto(c, &lg, full);
		tiles(c, &k, d.nb, tgt_mad(c, og, d.nb, NULL));
		tgt_loop_close(c, &lg);
	}
	if (rest)
		tiles(c, &k, (int)rest, tgt_cidx(c, full * d.nb));
	tgt_loop_close(c, &ln);
	return 1;
}
