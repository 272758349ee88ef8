/* kernel_x86_dw.c — the int8 depthwise conv2d kernel for x86-64 with
 * AVX-512 VNNI (groups = C = OC, dilation 1, any kernel size, stride and
 * padding, a fused activation; no fused max-pool: kernel_x86.c takes that).
 *
 * kernel_x86.c's depthwise path multiplies one tap at a time (zext bytes,
 * vpmulld: 16 MACs an instruction).  Here vpdpbusd sums 4 horizontally
 * neighbouring taps of one channel in each i32 lane, 64 MACs an
 * instruction, with channels in lanes (16 a vector) and output pixels in
 * separate accumulators.
 *
 * The scratch holds one block of 16 channels at a time, padded, in quads:
 * [Hp][Wq][16][4] bytes, byte q of quad m of channel l in row y being
 * u(y, 4m + q) = x + 128 (x xor 0x80; borders and the channels past C hold
 * zx + 128, whose products the folded bias cancels, as in kernel_x86.c).
 * So one aligned 64-byte load gives 16 channels x 4 neighbouring columns.
 *
 * Output pixel ox starts its taps at column x0 = sw * ox, that is at byte
 * r = x0 % 4 of quad x0 / 4; its KW taps of one row span quads x0 / 4 ..
 * (x0 + KW - 1) / 4.  Rather than shifting the data, the weights shift: for
 * each residue r and quad o of a row, a weight vector holds w[ky][4o + q -
 * r] in byte q of each channel's lane (0 outside the kernel), so a pixel's
 * row of taps is (r + KW - 1) / 4 + 1 vpdpbusd of aligned quads (2 for 3x3
 * and 5x5).  Weights are [CB][KH][4 residues][NQ][16][4] bytes.
 *
 * A tile is R output rows x T columns (T in 4, 8, 16; R * T = 16
 * accumulators, the shape wasting fewest pixel slots on the layer); its
 * first column is a multiple of 4, so each pixel's residue is known when
 * the code is built, and the quads and weight vectors a row of the tile
 * needs are loaded once for all its pixels.  Rows past OH are clamped to
 * OH - 1 (computed, never stored), columns past OW read scratch quads that
 * exist (Wq covers them) and are masked off at the store.  The 16
 * accumulators are requantized (tgt_requant, tgt_requant_float) to 16 x 16
 * bytes [pixel][channel], transposed in registers (tgt_transpose16) and
 * stored as one masked T-byte row per channel and tile row of the NCHW
 * output.
 *
 * The scratch copy moves 4 input bytes at a time (one unaligned i32 load,
 * xor 0x80808080, one store into the channel's lane of the quad) where a
 * quad lies wholly inside the input row, and single bytes at the row's
 * edges.
 */
#include <stdlib.h>
#include <string.h>

#include "targets.h"

enum {
	DW8_ACC = 16,               /* accumulators a tile: R rows x T columns */
	DW8_SCRATCH_MAX = 1 << 16, /* largest scratch on the stack (bytes) */
};

typedef struct {
	ConvGeo cg;
	int64_t CB;     /* blocks of 16 channels */
	int64_t T, R;   /* the tile: R rows x T columns */
	int64_t TX, TY; /* tiles along x and y */
	int64_t NQ;     /* weight quads per residue and row: the most a pixel needs */
	int64_t Hp, Wq; /* scratch rows, quads a row */
} Geo;

/* The quads a row of taps at residue r spans. */
static int64_t quads(const Geo *d, int64_t r)
{
	return (r + d->cg.KW - 1) / 4 + 1;
}

/* The stack scratch of one block of 16 channels (bytes). */
static int64_t dw8_scratch_bytes(const Geo *d)
{
	return d->Hp * d->Wq * 64;
}

/* T (and R = 16 / T) with the fewest computed pixel slots, the wider tile
 * on a tie (its row shares more quads). */
static void tile_shape(Geo *d)
{
	int64_t best = -1;

	for (int64_t t = 16; t >= 4; t /= 2) {
		int64_t r = DW8_ACC / t;
		int64_t slots = (d->cg.OW + t - 1) / t * t * ((d->cg.OH + r - 1) / r * r);
		if (best < 0 || slots < best)
			best = slots, d->T = t, d->R = r;
	}
	d->TX = (d->cg.OW + d->T - 1) / d->T, d->TY = (d->cg.OH + d->R - 1) / d->R;
}

static int applies(Cg *c, const Node *nd, Geo *d, const char **why)
{
	int64_t Wp;

	if (tgt_conv_geo(c, nd, &d->cg, why))
		return 0;
	if (d->cg.dh != 1 || d->cg.dw != 1)
		return tgt_decline(why, "dilation not 1");
	if (ir_has_pool(nd))
		return tgt_decline(why, "a fused max-pool");
	/* the tile's quads and weight vectors are named when the code is built */
	if (d->cg.sw > 4 || d->cg.KW > 16 || d->cg.KH > 16)
		return tgt_decline(why, "stride over 4 or kernel over 16");
	d->CB = (d->cg.C + 15) / 16;
	d->NQ = quads(d, 3);
	tile_shape(d);
	tgt_conv_padded(&d->cg, &d->Hp, &Wp);
	/* every quad the last tile's last pixel reads, and the input's */
	d->Wq = (d->cg.sw * (d->TX * d->T - 1) + d->cg.KW - 1) / 4 + 1;
	if (d->Wq < (d->cg.pl + d->cg.W + 3) / 4)
		d->Wq = (d->cg.pl + d->cg.W + 3) / 4;
	return dw8_scratch_bytes(d) <= DW8_SCRATCH_MAX ||
	       tgt_decline(why, "scratch exceeds 64 KiB");
}

/* [CB][KH][4][NQ][16][4]: byte q of quad o of residue r holds tap kx =
 * 4o + q - r of row ky (0 outside the kernel and past C). */
static LLVMValueRef pack_weights(Cg *c, const Node *nd, const Geo *d, int n)
{
	const int8_t *w = c->g->vals[nd->in[1]].data;
	const ConvGeo *g = &d->cg;
	size_t len = (size_t)(d->CB * g->KH * 4 * d->NQ * 64);
	unsigned char *buf = ir_xcalloc(len, 1), *p = buf;

	for (int64_t cb = 0; cb < d->CB; cb++)
		for (int64_t ky = 0; ky < g->KH; ky++)
			for (int64_t r = 0; r < 4; r++)
				for (int64_t o = 0; o < d->NQ; o++)
					for (int64_t l = 0; l < 16; l++)
						for (int64_t q = 0; q < 4; q++, p++) {
							int64_t ch = cb * 16 + l,
							        kx = 4 * o + q - r;
							if (ch < g->C && kx >= 0 && kx < g->KW)
								*p = (unsigned char)
								        w[(ch * g->KH + ky) * g->KW +
								          kx];
						}
	return tgt_const_packed(c, "wdw8", n, buf, len);
}

typedef struct {
	const Geo *d;
	Epilogue e;
	LLVMTypeRef tv, tb; /* <16 x i32>, <16 x i8> */
	LLVMValueRef dpbusd;
	LLVMTypeRef tdp;
	LLVMValueRef mstore; /* llvm.masked.store of T bytes */
	LLVMTypeRef tms;
	Int8Consts q;
	LLVMValueRef w, s;
	LLVMValueRef acc[DW8_ACC];
} Kern;

static void prepare(Cg *c, void *kv, int n)
{
	Kern *k = kv;
	char name[64];
	unsigned T = (unsigned)k->d->T;
	LLVMTypeRef ps[3] = {k->tv, k->tv, k->tv};
	LLVMTypeRef ms[4] = {LLVMVectorType(c->ti8, T), c->tptr, c->ti32,
	                     LLVMVectorType(c->ti1, T)};

	k->tdp = LLVMFunctionType(k->tv, ps, 3, 0);
	k->dpbusd = tgt_intrinsic(c, "llvm.x86.avx512.vpdpbusd.512", k->tdp);
	snprintf(name, sizeof name, "llvm.masked.store.v%ui8.p0", T);
	k->tms = LLVMFunctionType(c->tvoid, ms, 4, 0);
	k->mstore = tgt_intrinsic(c, name, k->tms);
	k->w = pack_weights(c, &c->g->nodes[n], k->d, n);
}

/* The padded scratch of channel block cb of batch element in: zx + 128
 * everywhere, then u = x xor 0x80 of the block's channels. */
static void fill(Cg *c, Kern *k, LLVMValueRef x, LLVMValueRef in, LLVMValueRef cb)
{
	const Geo *d = k->d;
	const ConvGeo *g = &d->cg;
	LLVMBuilderRef b = c->b;
	Loop ll, ly, lx;
	If has;
	/* quads m_lo .. m_hi - 1 lie wholly inside the row: x = 4m - pl .. + 3 */
	int64_t m_lo = (g->pl + 3) / 4, m_hi = (g->pl + g->W) / 4;
	int64_t xa = m_hi > m_lo ? 4 * m_lo - g->pl : g->W;
	int64_t xb = m_hi > m_lo ? 4 * m_hi - g->pl : g->W;

	LLVMBuildMemSet(b, k->s, LLVMConstInt(c->ti8, (unsigned long long)(k->e.in_zp + 128), 0),
	                tgt_cidx(c, dw8_scratch_bytes(d)), 64);
	LLVMValueRef l = tgt_upto(c, &ll, 16);
	LLVMValueRef ch = tgt_mad(c, cb, 16, l);
	tgt_if_open(c, &has, LLVMBuildICmp(b, LLVMIntSLT, ch, tgt_cidx(c, g->C), ""));
	LLVMValueRef y = tgt_upto(c, &ly, g->H);
	LLVMValueRef src = tgt_mad(
	        c, LLVMBuildNSWAdd(b, tgt_mad(c, tgt_mad(c, in, g->C, ch), g->H, NULL), y, ""),
	        g->W, NULL);
	/* the i32 index of quad 0's lane l in scratch row y + pt */
	LLVMValueRef dst = tgt_mad(c, LLVMBuildNSWAdd(b, y, tgt_cidx(c, g->pt), ""), d->Wq * 16, l);
	/* single bytes: the columns [0, xa) and [xb, W) */
	for (int side = 0; side < 2; side++) {
		int64_t lo = side ? xb : 0, hi = side ? g->W : xa;
		if (lo >= hi)
			continue;
		LLVMValueRef xi = tgt_loop_open(c, &lx, tgt_cidx(c, lo), tgt_cidx(c, hi));
		LLVMValueRef col = LLVMBuildNSWAdd(b, xi, tgt_cidx(c, g->pl), "");
		LLVMValueRef q = LLVMBuildLShr(b, col, tgt_cidx(c, 2), "");
		LLVMValueRef at = LLVMBuildNSWAdd(b, tgt_mad(c, tgt_mad(c, q, 16, dst), 4, NULL),
		                                  LLVMBuildAnd(b, col, tgt_cidx(c, 3), ""), "");
		LLVMValueRef v = tgt_load(c, c->ti8, x, LLVMBuildNSWAdd(b, src, xi, ""));
		tgt_store(c, LLVMBuildXor(b, v, LLVMConstInt(c->ti8, 0x80, 0), ""), k->s, at);
		tgt_loop_close(c, &lx);
	}
	/* whole quads: 4 bytes at once */
	if (m_hi > m_lo) {
		LLVMValueRef m = tgt_loop_open(c, &lx, tgt_cidx(c, m_lo), tgt_cidx(c, m_hi));
		LLVMValueRef from = LLVMBuildNSWAdd(b, src, tgt_mad(c, m, 4, tgt_cidx(c, -g->pl)),
		                                    "");
		LLVMValueRef v = tgt_load_al(c, c->ti32, tgt_gep(c, c->ti8, x, from), 1);
		v = LLVMBuildXor(b, v, LLVMConstInt(c->ti32, 0x80808080u, 0), "");
		LLVMBuildStore(b, v, tgt_gep(c, c->ti32, k->s, tgt_mad(c, m, 16, dst)));
		tgt_loop_close(c, &lx);
	}
	tgt_loop_close(c, &ly);
	tgt_if_close(c, &has);
	tgt_loop_close(c, &ll);
}

/* The requantized bytes of the 16 channels of block cb from accumulator a. */
static LLVMValueRef requant16(Cg *c, Kern *k, LLVMValueRef a, LLVMValueRef cb)
{
	LLVMTypeRef tf = LLVMVectorType(c->tf32, 16);
	LLVMValueRef r;

	if (k->q.fm)
		r = tgt_requant_float(c, a, tgt_load_al(c, tf, tgt_gep(c, tf, k->q.fm, cb), 16),
		                      &k->e.rq);
	else
		r = tgt_requant(c, a, tgt_load_al(c, k->tv, tgt_gep(c, k->tv, k->q.mult, cb), 16),
		                tgt_load_al(c, k->tv, tgt_gep(c, k->tv, k->q.shift, cb), 16),
		                &k->e.rq);
	return LLVMBuildTrunc(c->b, r, k->tb, "");
}

/* One row ky of taps for the tile's pixels: each loaded quad and weight
 * vector serves every pixel of the row that uses it. */
static void tile_row(Cg *c, Kern *k, LLVMValueRef cb, int64_t ky, LLVMValueRef rowq[])
{
	const Geo *d = k->d;
	const ConvGeo *g = &d->cg;
	LLVMBuilderRef b = c->b;
	int64_t nu = (g->sw * (d->T - 1) + g->KW - 1) / 4 + 1;
	LLVMValueRef wv[4][8] = {{NULL}}, u[DW8_ACC][32];

	memset(u, 0, sizeof u);
	for (int64_t i = 0; i < d->R; i++)
		for (int64_t j = 0; j < d->T; j++) {
			int64_t x0 = g->sw * j, r = x0 % 4;
			for (int64_t o = 0; o < quads(d, r); o++) {
				int64_t e = x0 / 4 + o;
				if (e >= nu || e >= 32 || o >= 8)
					ICE("dw8: quad %lld out of the tile's %lld", (long long)e,
					    (long long)nu);
				if (!u[i][e])
					u[i][e] = tgt_load_al(
					        c, k->tv,
					        tgt_gep(c, k->tv, k->s,
					                LLVMBuildNSWAdd(b, rowq[i], tgt_cidx(c, e),
					                                "")),
					        64);
				if (!wv[r][o]) {
					LLVMValueRef wi = tgt_mad(
					        c, cb, g->KH * 4 * d->NQ,
					        tgt_cidx(c, (ky * 4 + r) * d->NQ + o));
					wv[r][o] = tgt_load_al(c, k->tv,
					                       tgt_gep(c, k->tv, k->w, wi), 16);
				}
				LLVMValueRef *a = &k->acc[i * d->T + j];
				LLVMValueRef args[3] = {*a, u[i][e], wv[r][o]};
				*a = LLVMBuildCall2(b, k->tdp, k->dpbusd, args, 3, "");
			}
		}
}

/* Tile (ty, tx) of channel block cb: compute, requantize, transpose, store. */
static void tile(Cg *c, Kern *k, LLVMValueRef y, LLVMValueRef in, LLVMValueRef cb, LLVMValueRef ty,
                 LLVMValueRef tx)
{
	const Geo *d = k->d;
	const ConvGeo *g = &d->cg;
	LLVMBuilderRef b = c->b;
	LLVMValueRef oy[DW8_ACC], rowq[DW8_ACC], v[16], jidx[16];
	LLVMValueRef last = tgt_cidx(c, g->OH - 1);
	LLVMValueRef bias = tgt_load_al(c, k->tv, tgt_gep(c, k->tv, k->q.bias, cb), 16);
	/* the first quad of the tile's first column: sw * tx * T / 4 */
	LLVMValueRef q0 = tgt_mad(c, tx, g->sw * d->T / 4, NULL);

	for (int i = 0; i < DW8_ACC; i++)
		k->acc[i] = bias;
	for (int64_t i = 0; i < d->R; i++) {
		LLVMValueRef row = tgt_mad(c, ty, d->R, tgt_cidx(c, i));
		oy[i] = row;
		row = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, row, last, ""), row, last,
		                      "");
		rowq[i] = tgt_mad(c, row, g->sh * d->Wq, q0);
	}
	for (int64_t ky = 0; ky < g->KH; ky++) {
		LLVMValueRef rq[DW8_ACC];
		for (int64_t i = 0; i < d->R; i++)
			rq[i] = LLVMBuildNSWAdd(b, rowq[i], tgt_cidx(c, ky * d->Wq), "");
		tile_row(c, k, cb, ky, rq);
	}
	for (int i = 0; i < 16; i++)
		v[i] = requant16(c, k, k->acc[i], cb);
	tgt_transpose16(c, v); /* v[channel] lanes i * T + j */
	for (int64_t j = 0; j < d->T; j++)
		jidx[j] = tgt_c32(c, j);
	LLVMTypeRef tm = LLVMVectorType(c->ti32, (unsigned)d->T);
	LLVMValueRef ox0 = tgt_mad(c, tx, d->T, NULL);
	LLVMValueRef left = LLVMBuildTrunc(b, LLVMBuildNSWSub(b, tgt_cidx(c, g->OW), ox0, ""),
	                                   c->ti32, "");
	LLVMValueRef splat = LLVMBuildShuffleVector(
	        b, LLVMBuildInsertElement(b, LLVMGetUndef(tm), left, tgt_c32(c, 0), ""),
	        LLVMGetUndef(tm), LLVMConstNull(tm), "");
	LLVMValueRef mask = LLVMBuildICmp(b, LLVMIntSLT, LLVMConstVector(jidx, (unsigned)d->T),
	                                  splat, "");
	for (int64_t i = 0; i < d->R; i++) {
		If live;
		LLVMValueRef lanes[16];
		tgt_if_open(c, &live, LLVMBuildICmp(b, LLVMIntSLT, oy[i], tgt_cidx(c, g->OH), ""));
		for (int64_t j = 0; j < d->T; j++)
			lanes[j] = tgt_c32(c, i * d->T + j);
		LLVMValueRef sel = LLVMConstVector(lanes, (unsigned)d->T);
		for (int l = 0; l < 16; l++) {
			LLVMValueRef ch = tgt_mad(c, cb, 16, tgt_cidx(c, l)), m = mask;
			if (g->C % 16) { /* the last block's channels past C */
				LLVMValueRef ok = LLVMBuildICmp(b, LLVMIntSLT, ch,
				                                tgt_cidx(c, g->C), "");
				m = LLVMBuildSelect(b, ok, mask, LLVMConstNull(LLVMTypeOf(mask)),
				                    "");
				ch = LLVMBuildSelect(b, ok, ch, tgt_cidx(c, 0), "");
			}
			LLVMValueRef at = tgt_mad(
			        c,
			        LLVMBuildNSWAdd(b,
			                        tgt_mad(c, tgt_mad(c, in, g->C, ch), g->OH, NULL),
			                        oy[i], ""),
			        g->OW, ox0);
			LLVMValueRef args[4] = {
			        LLVMBuildShuffleVector(b, v[l], LLVMGetUndef(k->tb), sel, ""),
			        tgt_gep(c, c->ti8, y, at), tgt_c32(c, 1), m};
			LLVMBuildCall2(b, k->tms, k->mstore, args, 4, "");
		}
		tgt_if_close(c, &live);
	}
}

void tgt_conv2d_dw8(Cg *c, int n, LLVMValueRef fn)
{
	Geo d;
	Kern k = {.d = &d, .tv = LLVMVectorType(c->ti32, 16), .tb = LLVMVectorType(c->ti8, 16)};
	Loop ln, lb, lty, ltx;

	applies(c, &c->g->nodes[n], &d, NULL); /* the chooser took the node */
	LLVMAddAttributeAtIndex(
	        fn, LLVMAttributeFunctionIndex,
	        LLVMCreateStringAttribute(c->ctx, "min-legal-vector-width", 22, "512", 3));
	/* u = x xor 0x80 = x + 128: the bias folds zx + 128 */
	Int8Open o = {"dw8", d.CB * 16, 1, 128, prepare, c->ti8, dw8_scratch_bytes(&d), 64};
	k.s = tgt_int8_open(c, n, &o, &k.e, &k.q, &k);
	LLVMValueRef in = tgt_upto(c, &ln, d.cg.N);
	LLVMValueRef cb = tgt_upto(c, &lb, d.CB);
	fill(c, &k, LLVMGetParam(fn, 0), in, cb);
	LLVMValueRef ty = tgt_upto(c, &lty, d.TY);
	LLVMValueRef tx = tgt_upto(c, &ltx, d.TX);
	tile(c, &k, LLVMGetParam(fn, 1), in, cb, ty, tx);
	tgt_loop_close(c, &ltx);
	tgt_loop_close(c, &lty);
	tgt_loop_close(c, &lb);
	tgt_loop_close(c, &ln);
}

TGT_APPLIES(tgt_conv2d_dw8_applies, Geo, applies)
