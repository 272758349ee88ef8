/* kernel_x86_dw.c — the int8 depthwise conv2d kernels for x86-64, one for
 * AVX-512 VNNI and one for AVX2 (groups = C = OC, dilation 1, kernels up to
 * 16 x 16, strides up to 4 along x, any padding, a fused activation; no
 * fused max-pool: kernel_x86.c and kernel_avx2.c take that).
 *
 * kernel_x86.c's depthwise path multiplies one tap at a time (zext bytes,
 * vpmulld: 16 MACs an instruction).  Here vpdpbusd sums 4 horizontally
 * neighbouring taps of one channel in each i32 lane, 64 MACs an
 * instruction, with channels in lanes (16 a vector) and output pixels in
 * separate accumulators.
 *
 * The scratch holds one block of L channels at a time (16 with VNNI, 8
 * with AVX2) and one band of rows (the input rows of as many rows of tiles
 * as fit 64 KiB; the next band copies its own, the overlap twice), padded,
 * in quads: [Hs][Wq][L][4] bytes, byte q of quad m of channel l in row y
 * being u(y, 4m + q) = x + 128 (x xor 0x80; borders and the channels past C hold
 * zx + 128, whose products the folded bias cancels, as in kernel_x86.c).
 * So one aligned load gives L channels x 4 neighbouring columns.
 *
 * Output pixel ox starts its taps at column x0 = sw * ox, that is at byte
 * r = x0 % 4 of quad x0 / 4; its KW taps of one row span quads x0 / 4 ..
 * (x0 + KW - 1) / 4.  Rather than shifting the data, the weights shift: for
 * each residue r and quad o of a row, a weight vector holds w[ky][4o + q -
 * r] in byte q of each channel's lane (0 outside the kernel), so a pixel's
 * row of taps is (r + KW - 1) / 4 + 1 vpdpbusd of aligned quads (2 for 3x3
 * and 5x5).  Weights are [CB][KH][4 residues][NQ][L][4] bytes.
 *
 * AVX2 has no vpdpbusd, and vpmaddubsw's i16 pair sums saturate for u up to
 * 255; so there the quad's bytes are widened to i16 (once per quad and tile
 * row) and multiplied by i16 weights with vpmaddwd (exact: |u w| < 2^15,
 * a pair < 2^16), each i32 lane adding 2 taps; the accumulator keeps the
 * [L][2] pair sums and adds the pairs once, after the taps.
 *
 * A tile is R output rows x T columns (VNNI: T in 4, 8, 16 and R * T = 16
 * accumulators, the shape wasting fewest pixel slots on the layer; AVX2,
 * with 16 ymm registers: 1 x 4, 8 ymm of accumulators); its
 * first column is a multiple of 4, so each pixel's residue is known when
 * the code is built, and the quads and weight vectors a row of the tile
 * needs are loaded once for all its pixels.  Rows past OH are clamped to
 * OH - 1 (computed, never stored), columns past OW read scratch quads that
 * exist (Wq covers them) and are masked off at the store.  The
 * accumulators are requantized (tgt_requant, whose high multiply runs
 * on i64 lanes in place, or tgt_requant_float) to bytes [pixel][channel],
 * transposed in registers (tgt_transpose16 for 16 x 16) and stored as one
 * T-byte row per channel and tile row of the NCHW output (a masked store
 * for the last tile of a row that OW does not fill).
 *
 * The scratch copy moves 4 input bytes at a time (one unaligned i32 load,
 * xor 0x80808080, one store into the channel's lane of the quad) where a
 * quad lies wholly inside the input row, one load shifted into place at
 * the row's edges, single bytes for rows narrower than 4; the copy's row
 * loop is kept from the vectorizer, whose gathers and scatters are slower.
 *
 * NHWC (TL_NHWC: the choose-layout pass stores the input or the result so;
 * Geo.in_nhwc, out_nhwc): a pixel's L channels of a block are contiguous,
 * so the copy loads 4 columns' L bytes (one vector each; past C masked)
 * and two shuffles interleave them into the quad's [L][4] bytes, one
 * store; and the result needs no transpose: the tile's requantized
 * vectors are already pixels of L channels, one (masked past OC) store a
 * pixel.  The NCHW code is unchanged.
 */
#include <stdlib.h>
#include <string.h>

#include <llvm-c/DebugInfo.h>

#include "targets.h"

enum {
	DW8_ACC = 16,              /* most accumulators a tile: R rows x T columns */
	DW8_SCRATCH_MAX = 1 << 16, /* largest band of the scratch (bytes): it stays in L2 */
};

typedef struct {
	ConvGeo cg;
	int avx2;       /* the AVX2 kernel (else VNNI) */
	int64_t L;      /* channels a block: 16 (VNNI) or 8 (AVX2) */
	int64_t CB;     /* blocks of L channels */
	int64_t A;      /* accumulators a tile: 16 (VNNI) or 4 (AVX2) */
	int64_t T, R;   /* the tile: R rows x T columns, R * T = A */
	int64_t TX, TY; /* tiles along x and y */
	int64_t NQ;     /* weight quads per residue and row: the most a pixel needs */
	int64_t TYB, NB; /* a band: TYB rows of tiles; NB bands */
	int64_t Hs, Wq;  /* scratch rows (a band's), quads a row */
	int in_nhwc, out_nhwc; /* the input, the result stored NHWC (choose-layout) */
} Geo;

/* The quads a row of taps at residue r spans. */
static int64_t quads(const Geo *d, int64_t r)
{
	return (r + d->cg.KW - 1) / 4 + 1;
}

/* The stack scratch of one block of L channels (bytes). */
static int64_t dw8_scratch_bytes(const Geo *d)
{
	return d->Hs * d->Wq * d->L * 4;
}

/* T (and R = A / T) with the fewest computed pixel slots, the wider tile
 * on a tie (its row shares more quads). */
static void tile_shape(Geo *d)
{
	int64_t best = -1;

	for (int64_t t = d->A; t >= 4; t /= 2) {
		int64_t r = d->A / t;
		int64_t slots = (d->cg.OW + t - 1) / t * t * ((d->cg.OH + r - 1) / r * r);
		if (best < 0 || slots < best)
			best = slots, d->T = t, d->R = r;
	}
	d->TX = (d->cg.OW + d->T - 1) / d->T, d->TY = (d->cg.OH + d->R - 1) / d->R;
}

static int applies(Cg *c, const Node *nd, Geo *d, int avx2, const char **why)
{
	if (tgt_conv_geo(c, nd, &d->cg, why))
		return 0;
	if (d->cg.dh != 1 || d->cg.dw != 1)
		return tgt_decline(why, "dilation not 1");
	if (ir_has_pool(nd))
		return tgt_decline(why, "a fused max-pool");
	/* the tile's quads and weight vectors are named when the code is built */
	if (d->cg.sw > 4 || d->cg.KW > 16 || d->cg.KH > 16)
		return tgt_decline(why, "stride over 4 or kernel over 16");
	/* rows narrower than a quad copy single bytes: kernel_avx2.c's 4 x 4
	 * tiles measured faster there (mobilenet_v2's 3x3 layers) */
	if (avx2 && d->cg.W < 4)
		return tgt_decline(why, "input narrower than 4 columns");
	d->avx2 = avx2, d->L = avx2 ? 8 : 16, d->A = avx2 ? 4 : 16;
	d->CB = (d->cg.C + d->L - 1) / d->L;
	d->NQ = quads(d, 3);
	tile_shape(d);
	/* every quad the last tile's last pixel reads, and the input's */
	d->Wq = (d->cg.sw * (d->TX * d->T - 1) + d->cg.KW - 1) / 4 + 1;
	if (d->Wq < (d->cg.pl + d->cg.W + 3) / 4)
		d->Wq = (d->cg.pl + d->cg.W + 3) / 4;
	/* the most rows of tiles whose input rows fit the scratch */
	for (d->TYB = d->TY; d->TYB > 0; d->TYB--) {
		d->Hs = (d->TYB * d->R - 1) * d->cg.sh + d->cg.KH;
		if (dw8_scratch_bytes(d) <= DW8_SCRATCH_MAX)
			break;
	}
	d->NB = d->TYB ? (d->TY + d->TYB - 1) / d->TYB : 0;
	d->in_nhwc = ir_value_layout(c->g, nd->in[0]) == IR_LAYOUT_NHWC;
	d->out_nhwc = nd->a.layout == IR_LAYOUT_NHWC;
	return d->TYB > 0 || tgt_decline(why, "scratch of one row of tiles exceeds 64 KiB");
}

static int applies_vnni(Cg *c, const Node *nd, Geo *d, const char **why)
{
	return applies(c, nd, d, 0, why);
}

static int applies_avx2(Cg *c, const Node *nd, Geo *d, const char **why)
{
	return applies(c, nd, d, 1, why);
}

/* [CB][KH][4][NQ][L][4]: element q of quad o of residue r holds tap kx =
 * 4o + q - r of row ky (0 outside the kernel and past C); bytes, or i16
 * for AVX2's vpmaddwd. */
static LLVMValueRef pack_weights(Cg *c, const Node *nd, const Geo *d, int n)
{
	const int8_t *w = c->g->vals[nd->in[1]].data;
	const ConvGeo *g = &d->cg;
	int es = d->avx2 ? 2 : 1;
	size_t len = (size_t)(d->CB * g->KH * 4 * d->NQ * d->L * 4 * es);
	unsigned char *buf = ir_xcalloc(len, 1), *p = buf;

	for (int64_t cb = 0; cb < d->CB; cb++)
		for (int64_t ky = 0; ky < g->KH; ky++)
			for (int64_t r = 0; r < 4; r++)
				for (int64_t o = 0; o < d->NQ; o++)
					for (int64_t l = 0; l < d->L; l++)
						for (int64_t q = 0; q < 4; q++, p += es) {
							int64_t ch = cb * d->L + l,
							        kx = 4 * o + q - r;
							if (ch < g->C && kx >= 0 && kx < g->KW)
								tgt_put_le(p,
								           (uint32_t)(int32_t)
								                   w[(ch * g->KH +
								                      ky) * g->KW +
								                     kx],
								           es);
						}
	return tgt_const_packed(c, "wdw8", n, buf, len);
}

typedef struct {
	const Geo *d;
	Epilogue e;
	LLVMTypeRef tv, tb; /* <L x i32>, <L x i8> */
	LLVMTypeRef tq;     /* a quad vector: <16 x i32> (VNNI), <32 x i8> (AVX2) */
	LLVMTypeRef tw;     /* a weight vector: <16 x i32>, <32 x i16> */
	LLVMTypeRef ta;     /* an accumulator: <16 x i32>, <16 x i32> ([8][2] pair sums) */
	LLVMValueRef dot;   /* vpdpbusd or vpmaddwd */
	LLVMTypeRef tdot;
	LLVMValueRef mstore; /* llvm.masked.store of T bytes */
	LLVMTypeRef tms;
	/* NHWC with C % L: llvm.masked.load and .store of a pixel's L bytes,
	 * and the lanes of block cb below C (else NULL: every lane is) */
	LLVMValueRef cload, cstore, cmask;
	LLVMTypeRef tcl, tcs;
	Int8Consts q;
	LLVMValueRef w, s;
	LLVMValueRef acc[DW8_ACC];
} Kern;

static void prepare(Cg *c, void *kv, int n)
{
	Kern *k = kv;
	char name[64];
	unsigned T = (unsigned)k->d->T;
	LLVMTypeRef ms[4] = {LLVMVectorType(c->ti8, T), c->tptr, c->ti32,
	                     LLVMVectorType(c->ti1, T)};

	if (k->d->avx2) {
		LLVMTypeRef th = LLVMVectorType(c->ti16, 16), ps[2] = {th, th};
		k->tdot = LLVMFunctionType(LLVMVectorType(c->ti32, 8), ps, 2, 0);
		k->dot = tgt_intrinsic(c, "llvm.x86.avx2.pmadd.wd", k->tdot);
	} else {
		LLVMTypeRef ps[3] = {k->ta, k->ta, k->ta};
		k->tdot = LLVMFunctionType(k->ta, ps, 3, 0);
		k->dot = tgt_intrinsic(c, "llvm.x86.avx512.vpdpbusd.512", k->tdot);
	}
	snprintf(name, sizeof name, "llvm.masked.store.v%ui8.p0", T);
	k->tms = LLVMFunctionType(c->tvoid, ms, 4, 0);
	k->mstore = tgt_intrinsic(c, name, k->tms);
	if (k->d->cg.C % k->d->L && (k->d->in_nhwc || k->d->out_nhwc)) {
		LLVMTypeRef tm = LLVMVectorType(c->ti1, (unsigned)k->d->L);
		LLVMTypeRef ls[4] = {c->tptr, c->ti32, tm, k->tb},
		            ss[4] = {k->tb, c->tptr, c->ti32, tm};
		k->tcl = LLVMFunctionType(k->tb, ls, 4, 0);
		k->tcs = LLVMFunctionType(c->tvoid, ss, 4, 0);
		snprintf(name, sizeof name, "llvm.masked.load.v%di8.p0", (int)k->d->L);
		k->cload = tgt_intrinsic(c, name, k->tcl);
		snprintf(name, sizeof name, "llvm.masked.store.v%di8.p0", (int)k->d->L);
		k->cstore = tgt_intrinsic(c, name, k->tcs);
	}
	k->w = pack_weights(c, &c->g->nodes[n], k->d, n);
}

/* Marks the back branch br llvm.loop.vectorize.enable false: the scratch
 * copy's strided stores vectorize into gathers and scatters, slower on
 * every x86 core than the scalar copies. */
static void no_vectorize(Cg *c, LLVMValueRef br)
{
	LLVMMetadataRef tmp = LLVMTemporaryMDNode(c->ctx, NULL, 0);
	LLVMMetadataRef opt[2] = {LLVMMDStringInContext2(c->ctx, "llvm.loop.vectorize.enable", 26),
	                          LLVMValueAsMetadata(LLVMConstInt(c->ti1, 0, 0))};
	LLVMMetadataRef ops[2] = {tmp, LLVMMDNodeInContext2(c->ctx, opt, 2)};
	LLVMMetadataRef id = LLVMMDNodeInContext2(c->ctx, ops, 2);

	/* the loop id names itself (operand 0), as LoopInfo expects */
	LLVMMetadataReplaceAllUsesWith(tmp, id);
	LLVMSetMetadata(br, LLVMGetMDKindIDInContext(c->ctx, "llvm.loop", 9),
	                LLVMMetadataAsValue(c->ctx, id));
}

/* The padded scratch of channel block cb of batch element in, the band
 * whose scratch row 0 is input row y0 (negative: padding): zx + 128
 * everywhere, then u = x xor 0x80 of the block's channels. */
static void fill(Cg *c, Kern *k, LLVMValueRef x, LLVMValueRef in, LLVMValueRef cb, LLVMValueRef y0)
{
	const Geo *d = k->d;
	const ConvGeo *g = &d->cg;
	LLVMBuilderRef b = c->b;
	Loop ll, ly, lx;
	If has;
	/* quads m_lo .. m_hi - 1 lie wholly inside the row: x = 4m - pl .. + 3 */
	int64_t m_lo = (g->pl + 3) / 4, m_hi = (g->pl + g->W) / 4;

	LLVMBuildMemSet(b, k->s, LLVMConstInt(c->ti8, (unsigned long long)(k->e.in_zp + 128), 0),
	                tgt_cidx(c, dw8_scratch_bytes(d)), 64);
	LLVMValueRef l = tgt_upto(c, &ll, d->L);
	LLVMValueRef ch = tgt_mad(c, cb, d->L, l);
	tgt_if_open(c, &has, LLVMBuildICmp(b, LLVMIntSLT, ch, tgt_cidx(c, g->C), ""));
	/* the input rows in the band: max(y0, 0) .. min(y0 + Hs, H) - 1 */
	LLVMValueRef zero = tgt_cidx(c, 0), H = tgt_cidx(c, g->H);
	LLVMValueRef yend = LLVMBuildNSWAdd(b, y0, tgt_cidx(c, d->Hs), "");
	LLVMValueRef y = tgt_loop_open(
	        c, &ly,
	        LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, y0, zero, ""), zero, y0, ""),
	        LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, yend, H, ""), yend, H, ""));
	LLVMValueRef src = tgt_mad(
	        c, LLVMBuildNSWAdd(b, tgt_mad(c, tgt_mad(c, in, g->C, ch), g->H, NULL), y, ""),
	        g->W, NULL);
	/* the i32 index of quad 0's lane l in scratch row y - y0 */
	LLVMValueRef dst = tgt_mad(c, LLVMBuildNSWSub(b, y, y0, ""), d->Wq * d->L, l);
	/* the quads at the row's edges, part input, part padding: one i32
	 * load inside the row, shifted into place, the padding bytes set */
	for (int64_t m = g->pl / 4; g->W >= 4 && m <= (g->pl + g->W - 1) / 4; m++) {
		int64_t a0 = 4 * m - g->pl, p = a0 < 0 ? 0 : a0 > g->W - 4 ? g->W - 4 : a0;
		uint32_t keep = 0, pad = 0;
		if (m >= m_lo && m < m_hi)
			continue;
		for (int64_t q = 0; q < 4; q++)
			if (a0 + q >= 0 && a0 + q < g->W)
				keep |= 0xffu << (8 * q);
			else
				pad |= (uint32_t)(uint8_t)(k->e.in_zp + 128) << (8 * q);
		LLVMValueRef v = tgt_load_al(
		        c, c->ti32,
		        tgt_gep(c, c->ti8, x, LLVMBuildNSWAdd(b, src, tgt_cidx(c, p), "")), 1);
		v = LLVMBuildXor(b, v, LLVMConstInt(c->ti32, 0x80808080u, 0), "");
		if (p > a0) /* byte j is column p + j, wanted at q = j + p - a0 */
			v = LLVMBuildShl(
			        b, v, LLVMConstInt(c->ti32, (unsigned long long)(8 * (p - a0)), 0),
			        "");
		else if (p < a0)
			v = LLVMBuildLShr(
			        b, v, LLVMConstInt(c->ti32, (unsigned long long)(8 * (a0 - p)), 0),
			        "");
		v = LLVMBuildOr(b, LLVMBuildAnd(b, v, LLVMConstInt(c->ti32, keep, 0), ""),
		                LLVMConstInt(c->ti32, pad, 0), "");
		LLVMBuildStore(b, v,
		               tgt_gep(c, c->ti32, k->s, tgt_mad(c, tgt_cidx(c, m), d->L, dst)));
	}
	/* rows narrower than a quad: single bytes */
	if (g->W < 4) {
		LLVMValueRef xi = tgt_upto(c, &lx, g->W);
		LLVMValueRef col = LLVMBuildNSWAdd(b, xi, tgt_cidx(c, g->pl), "");
		LLVMValueRef q = LLVMBuildLShr(b, col, tgt_cidx(c, 2), "");
		LLVMValueRef at = LLVMBuildNSWAdd(b, tgt_mad(c, tgt_mad(c, q, d->L, dst), 4, NULL),
		                                  LLVMBuildAnd(b, col, tgt_cidx(c, 3), ""), "");
		LLVMValueRef v = tgt_load(c, c->ti8, x, LLVMBuildNSWAdd(b, src, xi, ""));
		tgt_store(c, LLVMBuildXor(b, v, LLVMConstInt(c->ti8, 0x80, 0), ""), k->s, at);
		tgt_loop_close(c, &lx);
	}
	/* whole quads: 4 bytes at once, unrolled when the code is built */
	for (int64_t m = m_lo; m < m_hi; m++) {
		LLVMValueRef from = LLVMBuildNSWAdd(b, src, tgt_cidx(c, 4 * m - g->pl), "");
		LLVMValueRef v = tgt_load_al(c, c->ti32, tgt_gep(c, c->ti8, x, from), 1);
		v = LLVMBuildXor(b, v, LLVMConstInt(c->ti32, 0x80808080u, 0), "");
		LLVMBuildStore(b, v,
		               tgt_gep(c, c->ti32, k->s, tgt_mad(c, tgt_cidx(c, m), d->L, dst)));
	}
	LLVMBasicBlockRef latch = LLVMGetInsertBlock(b);
	tgt_loop_close(c, &ly);
	no_vectorize(c, LLVMGetBasicBlockTerminator(latch));
	tgt_if_close(c, &has);
	tgt_loop_close(c, &ll);
}

/* Lanes lo .. lo + n - 1 of v (n of them; a concatenation when v2). */
static LLVMValueRef lanes(Cg *c, LLVMValueRef v, LLVMValueRef v2, int lo, int n, int step)
{
	LLVMValueRef idx[64];

	for (int i = 0; i < n; i++)
		idx[i] = tgt_c32(c, lo + i * step);
	return LLVMBuildShuffleVector(c->b, v, v2 ? v2 : LLVMGetUndef(LLVMTypeOf(v)),
	                              LLVMConstVector(idx, (unsigned)n), "");
}

/* The byte v in n lanes, a constant. */
static LLVMValueRef splat8(Cg *c, unsigned n, int64_t v)
{
	LLVMValueRef e[16];

	for (unsigned i = 0; i < n; i++)
		e[i] = LLVMConstInt(c->ti8, (unsigned long long)(uint8_t)v, 0);
	return LLVMConstVector(e, n);
}

/* The L bytes of one pixel of block cb (NHWC: channels contiguous) at
 * element at of x, as u = x xor 0x80; lanes past C masked off. */
static LLVMValueRef nhwc_pixel(Cg *c, Kern *k, LLVMValueRef x, LLVMValueRef at)
{
	LLVMBuilderRef b = c->b;
	LLVMValueRef p = tgt_gep(c, c->ti8, x, at), v;

	if (k->cmask) {
		LLVMValueRef args[4] = {p, tgt_c32(c, 1), k->cmask, LLVMConstNull(k->tb)};
		v = LLVMBuildCall2(b, k->tcl, k->cload, args, 4, "");
	} else
		v = tgt_load_al(c, k->tb, p, 1);
	return LLVMBuildXor(b, v, splat8(c, (unsigned)k->d->L, 0x80), "");
}

/* Quad m of a scratch row from an NHWC row (src: its pixel 0, channel
 * cb * L; dst: the row's first i32 in the scratch): the 4 columns' L bytes
 * interleaved to [L][4] by two shuffles, one store.  col0 is the quad's
 * first input column; edge: a0 is it too, known when the code is built,
 * and the columns outside the row are the padding zx + 128. */
static void nhwc_quad(Cg *c, Kern *k, LLVMValueRef x, LLVMValueRef src, LLVMValueRef dst,
                      LLVMValueRef m, LLVMValueRef col0, int edge, int64_t a0)
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	unsigned L = (unsigned)d->L;
	LLVMValueRef v[4], idx[64];

	for (int64_t q = 0; q < 4; q++) {
		if (edge && (a0 + q < 0 || a0 + q >= d->cg.W)) {
			v[q] = splat8(c, L, k->e.in_zp + 128);
			continue;
		}
		LLVMValueRef col = LLVMBuildNSWAdd(b, col0, tgt_cidx(c, q), "");
		v[q] = nhwc_pixel(c, k, x, tgt_mad(c, col, d->cg.C, src));
	}
	LLVMValueRef lo = lanes(c, v[0], v[1], 0, 2 * (int)L, 1);
	LLVMValueRef hi = lanes(c, v[2], v[3], 0, 2 * (int)L, 1);
	/* byte 4l + q is column q's channel l: lane qL + l of lo:hi */
	for (unsigned l = 0; l < L; l++)
		for (unsigned q = 0; q < 4; q++)
			idx[4 * l + q] = tgt_c32(c, q * L + l);
	LLVMValueRef u = LLVMBuildShuffleVector(b, lo, hi, LLVMConstVector(idx, 4 * L), "");
	LLVMValueRef st = LLVMBuildStore(b, u, tgt_gep(c, c->ti32, k->s, tgt_mad(c, m, d->L, dst)));
	LLVMSetAlignment(st, 4 * L);
}

/* fill for an NHWC input: the band's rows, each quad wholly inside the row
 * in a loop, the quads at its edges (part padding) unrolled. */
static void fill_nhwc(Cg *c, Kern *k, LLVMValueRef x, LLVMValueRef in, LLVMValueRef cb,
                      LLVMValueRef y0)
{
	const Geo *d = k->d;
	const ConvGeo *g = &d->cg;
	LLVMBuilderRef b = c->b;
	Loop ly, lm;
	int64_t m_lo = (g->pl + 3) / 4, m_hi = (g->pl + g->W) / 4;

	LLVMBuildMemSet(b, k->s, LLVMConstInt(c->ti8, (unsigned long long)(k->e.in_zp + 128), 0),
	                tgt_cidx(c, dw8_scratch_bytes(d)), 64);
	LLVMValueRef zero = tgt_cidx(c, 0), H = tgt_cidx(c, g->H);
	LLVMValueRef yend = LLVMBuildNSWAdd(b, y0, tgt_cidx(c, d->Hs), "");
	LLVMValueRef y = tgt_loop_open(
	        c, &ly,
	        LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, y0, zero, ""), zero, y0, ""),
	        LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, yend, H, ""), yend, H, ""));
	/* x[((in * H + y) * W + 0) * C + cb * L] */
	LLVMValueRef src = tgt_mad(c, tgt_mad(c, tgt_mad(c, in, g->H, y), g->W, NULL), g->C,
	                           tgt_mad(c, cb, d->L, NULL));
	LLVMValueRef dst = tgt_mad(c, LLVMBuildNSWSub(b, y, y0, ""), d->Wq * d->L, NULL);
	for (int64_t m = g->pl / 4; m <= (g->pl + g->W - 1) / 4; m++)
		if (m < m_lo || m >= m_hi)
			nhwc_quad(c, k, x, src, dst, tgt_cidx(c, m), tgt_cidx(c, 4 * m - g->pl), 1,
			          4 * m - g->pl);
	if (m_hi > m_lo) {
		LLVMValueRef m = tgt_loop_open(c, &lm, tgt_cidx(c, m_lo), tgt_cidx(c, m_hi));
		nhwc_quad(c, k, x, src, dst, m, tgt_mad(c, m, 4, tgt_cidx(c, -g->pl)), 0, 0);
		LLVMBasicBlockRef latch = LLVMGetInsertBlock(b);
		tgt_loop_close(c, &lm);
		no_vectorize(c, LLVMGetBasicBlockTerminator(latch));
	}
	LLVMBasicBlockRef latch = LLVMGetInsertBlock(b);
	tgt_loop_close(c, &ly);
	no_vectorize(c, LLVMGetBasicBlockTerminator(latch));
}

/* A quad as the dot product's unsigned operand: VNNI, as loaded; AVX2,
 * its 32 bytes widened to 2 x 16 i16 (the halves in one <32 x i16>). */
static LLVMValueRef quad(Cg *c, Kern *k, LLVMValueRef at)
{
	LLVMValueRef v = tgt_load_al(c, k->tq, tgt_gep(c, k->tq, k->s, at), 32);

	if (!k->d->avx2)
		return v;
	return LLVMBuildZExt(c->b, v, LLVMVectorType(c->ti16, 32), "");
}

/* acc + the 4-tap dot products of quad u and weight vector w, lane by lane. */
static LLVMValueRef dot(Cg *c, Kern *k, LLVMValueRef acc, LLVMValueRef u, LLVMValueRef w)
{
	if (!k->d->avx2) {
		LLVMValueRef args[3] = {acc, u, w};
		return LLVMBuildCall2(c->b, k->tdot, k->dot, args, 3, "");
	}
	LLVMValueRef h[2];
	for (int i = 0; i < 2; i++) {
		LLVMValueRef args[2] = {lanes(c, u, NULL, 16 * i, 16, 1),
		                        lanes(c, w, NULL, 16 * i, 16, 1)};
		h[i] = LLVMBuildCall2(c->b, k->tdot, k->dot, args, 2, "");
	}
	/* no nsw: the accumulation wraps, as the interpreter's */
	return LLVMBuildAdd(c->b, acc, lanes(c, h[0], h[1], 0, 16, 1), "");
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
					u[i][e] = quad(
					        c, k,
					        LLVMBuildNSWAdd(b, rowq[i], tgt_cidx(c, e), ""));
				if (!wv[r][o]) {
					LLVMValueRef wi = tgt_mad(
					        c, cb, g->KH * 4 * d->NQ,
					        tgt_cidx(c, (ky * 4 + r) * d->NQ + o));
					wv[r][o] = tgt_load_al(c, k->tw,
					                       tgt_gep(c, k->tw, k->w, wi), 16);
				}
				LLVMValueRef *a = &k->acc[i * d->T + j];
				*a = dot(c, k, *a, u[i][e], wv[r][o]);
			}
		}
}

/* The transposed bytes: v[p] (A pixels of L channels) to L vectors of the
 * A pixels of one channel each, in t. */
static void transpose(Cg *c, Kern *k, LLVMValueRef v[], LLVMValueRef t[])
{
	const Geo *d = k->d;
	LLVMValueRef cat[DW8_ACC];
	int n = (int)d->A;

	if (d->A == 16 && d->L == 16) {
		memcpy(t, v, 16 * sizeof *v);
		tgt_transpose16(c, t);
		return;
	}
	/* concatenate the rows, then pick lane p * L + l for each channel l */
	memcpy(cat, v, (size_t)n * sizeof *v);
	for (int w = (int)d->L; n > 1; n /= 2, w *= 2)
		for (int i = 0; i < n / 2; i++)
			cat[i] = lanes(c, cat[2 * i], cat[2 * i + 1], 0, 2 * w, 1);
	for (int l = 0; l < d->L; l++)
		t[l] = lanes(c, cat[0], NULL, l, (int)d->A, (int)d->L);
}

/* Row i of the tile, t[channel] lanes i * T .. + T - 1, to output row oy
 * from column ox0: a plain store per channel, or (left: the columns
 * left, fewer than T) a masked one. */
static void store_row(Cg *c, Kern *k, LLVMValueRef y, LLVMValueRef in, LLVMValueRef cb,
                      LLVMValueRef oy, LLVMValueRef ox0, LLVMValueRef t[], int64_t i,
                      LLVMValueRef left)
{
	const Geo *d = k->d;
	const ConvGeo *g = &d->cg;
	LLVMBuilderRef b = c->b;
	LLVMValueRef mask = NULL, jidx[16];

	if (left) {
		LLVMTypeRef tm = LLVMVectorType(c->ti32, (unsigned)d->T);
		for (int64_t j = 0; j < d->T; j++)
			jidx[j] = tgt_c32(c, j);
		LLVMValueRef splat = LLVMBuildShuffleVector(
		        b, LLVMBuildInsertElement(b, LLVMGetUndef(tm), left, tgt_c32(c, 0), ""),
		        LLVMGetUndef(tm), LLVMConstNull(tm), "");
		mask = LLVMBuildICmp(b, LLVMIntSLT, LLVMConstVector(jidx, (unsigned)d->T), splat,
		                     "");
	}
	for (int l = 0; l < d->L; l++) {
		LLVMValueRef ch = tgt_mad(c, cb, d->L, tgt_cidx(c, l));
		If in_c;
		if (g->C % d->L) /* the last block's channels past C */
			tgt_if_open(c, &in_c,
			            LLVMBuildICmp(b, LLVMIntSLT, ch, tgt_cidx(c, g->C), ""));
		LLVMValueRef at = tgt_mad(
		        c,
		        LLVMBuildNSWAdd(b, tgt_mad(c, tgt_mad(c, in, g->C, ch), g->OH, NULL), oy,
		                        ""),
		        g->OW, ox0);
		LLVMValueRef row = d->R == 1 ? t[l]
		                             : lanes(c, t[l], NULL, (int)(i * d->T), (int)d->T, 1);
		LLVMValueRef p = tgt_gep(c, c->ti8, y, at);
		if (mask) {
			LLVMValueRef args[4] = {row, p, tgt_c32(c, 1), mask};
			LLVMBuildCall2(b, k->tms, k->mstore, args, 4, "");
		} else {
			LLVMValueRef st = LLVMBuildStore(b, row, p);
			LLVMSetAlignment(st, 1);
		}
		if (g->C % d->L)
			tgt_if_close(c, &in_c);
	}
}

/* Pixel (oy, ox) of the tile, v (its L channels of block cb), to the NHWC
 * output at y[((in * OH + oy) * OW + ox) * OC + cb * L]: no transpose;
 * lanes past OC masked off. */
static void store_pixel(Cg *c, Kern *k, LLVMValueRef y, LLVMValueRef in, LLVMValueRef cb,
                        LLVMValueRef oy, LLVMValueRef ox, LLVMValueRef v)
{
	const Geo *d = k->d;
	const ConvGeo *g = &d->cg;
	LLVMValueRef at = tgt_mad(c, tgt_mad(c, tgt_mad(c, in, g->OH, oy), g->OW, ox), g->OC,
	                          tgt_mad(c, cb, d->L, NULL));
	LLVMValueRef p = tgt_gep(c, c->ti8, y, at);

	if (k->cmask) {
		LLVMValueRef args[4] = {v, p, tgt_c32(c, 1), k->cmask};
		LLVMBuildCall2(c->b, k->tcs, k->cstore, args, 4, "");
	} else
		LLVMSetAlignment(LLVMBuildStore(c->b, v, p), 1);
}

/* Row i of the tile (v[i * T + j]: pixel j's L channels) to NHWC output row
 * oy from column ox0: every pixel, or (left: the columns left, fewer
 * than T) those below left. */
static void store_pixels(Cg *c, Kern *k, LLVMValueRef y, LLVMValueRef in, LLVMValueRef cb,
                         LLVMValueRef oy, LLVMValueRef ox0, LLVMValueRef v[], int64_t i,
                         LLVMValueRef left)
{
	LLVMBuilderRef b = c->b;

	for (int64_t j = 0; j < k->d->T; j++) {
		If in_w;
		LLVMValueRef ox = LLVMBuildNSWAdd(b, ox0, tgt_cidx(c, j), "");
		if (left && j)
			tgt_if_open(c, &in_w,
			            LLVMBuildICmp(b, LLVMIntSLT, tgt_c32(c, j), left, ""));
		store_pixel(c, k, y, in, cb, oy, ox, v[i * k->d->T + j]);
		if (left && j)
			tgt_if_close(c, &in_w);
	}
}

/* Tile (ty, tx) of channel block cb, in the band whose first output row is
 * oyb: compute, requantize, transpose, store. */
static void tile(Cg *c, Kern *k, LLVMValueRef y, LLVMValueRef in, LLVMValueRef cb, LLVMValueRef oyb,
                 LLVMValueRef ty, LLVMValueRef tx)
{
	const Geo *d = k->d;
	const ConvGeo *g = &d->cg;
	LLVMBuilderRef b = c->b;
	LLVMValueRef oy[DW8_ACC], rowq[DW8_ACC], v[DW8_ACC], t[16];
	LLVMValueRef last = tgt_cidx(c, g->OH - 1);
	LLVMValueRef bias = tgt_load_al(c, k->tv, tgt_gep(c, k->tv, k->q.bias, cb), 16);
	/* the first quad of the tile's first column: sw * tx * T / 4 */
	LLVMValueRef q0 = tgt_mad(c, tx, g->sw * d->T / 4, NULL);

	/* AVX2's pair sums start at 0, the bias is added with the pairs */
	for (int i = 0; i < d->A; i++)
		k->acc[i] = d->avx2 ? LLVMConstNull(k->ta) : bias;
	for (int64_t i = 0; i < d->R; i++) {
		LLVMValueRef row = tgt_mad(c, ty, d->R, tgt_cidx(c, i));
		oy[i] = row;
		row = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, row, last, ""), row, last,
		                      "");
		rowq[i] = tgt_mad(c, LLVMBuildNSWSub(b, row, oyb, ""), g->sh * d->Wq, q0);
	}
	for (int64_t ky = 0; ky < g->KH; ky++) {
		LLVMValueRef rq[DW8_ACC];
		for (int64_t i = 0; i < d->R; i++)
			rq[i] = LLVMBuildNSWAdd(b, rowq[i], tgt_cidx(c, ky * d->Wq), "");
		tile_row(c, k, cb, ky, rq);
	}
	for (int i = 0; i < d->A; i++) {
		LLVMValueRef a = k->acc[i];
		if (d->avx2) /* no nsw: wraps */
			a = LLVMBuildAdd(b,
			                 LLVMBuildAdd(b, lanes(c, a, NULL, 0, 8, 2),
			                              lanes(c, a, NULL, 1, 8, 2), ""),
			                 bias, "");
		v[i] = tgt_int8_requant_block(c, &k->q, &k->e.rq, a, cb, k->tb);
	}
	if (!d->out_nhwc)
		transpose(c, k, v, t); /* t[channel] lanes i * T + j */
	LLVMValueRef ox0 = tgt_mad(c, tx, d->T, NULL);
	LLVMValueRef left = LLVMBuildTrunc(b, LLVMBuildNSWSub(b, tgt_cidx(c, g->OW), ox0, ""),
	                                   c->ti32, "");
	LLVMValueRef full = LLVMBuildICmp(b, LLVMIntSGE, left, tgt_c32(c, d->T), "");
	for (int64_t i = 0; i < d->R; i++) {
		If live, fl, part;
		tgt_if_open(c, &live, LLVMBuildICmp(b, LLVMIntSLT, oy[i], tgt_cidx(c, g->OH), ""));
		/* a whole tile row: plain stores (AVX2 has no byte-masked store) */
		tgt_if_open(c, &fl, full);
		if (d->out_nhwc)
			store_pixels(c, k, y, in, cb, oy[i], ox0, v, i, NULL);
		else
			store_row(c, k, y, in, cb, oy[i], ox0, t, i, NULL);
		tgt_if_close(c, &fl);
		if (g->OW % d->T) {
			tgt_if_open(c, &part, LLVMBuildNot(b, full, ""));
			if (d->out_nhwc)
				store_pixels(c, k, y, in, cb, oy[i], ox0, v, i, left);
			else
				store_row(c, k, y, in, cb, oy[i], ox0, t, i, left);
			tgt_if_close(c, &part);
		}
		tgt_if_close(c, &live);
	}
}

static void emit(Cg *c, int n, LLVMValueRef fn, int avx2)
{
	Geo d;
	Kern k = {.d = &d};
	Loop ln, lb, lband, lty, ltx;

	applies(c, &c->g->nodes[n], &d, avx2, NULL); /* the chooser took the node */
	k.tv = LLVMVectorType(c->ti32, (unsigned)d.L), k.tb = LLVMVectorType(c->ti8, (unsigned)d.L);
	k.ta = LLVMVectorType(c->ti32, 16);
	k.tq = avx2 ? LLVMVectorType(c->ti8, 32) : k.ta;
	k.tw = avx2 ? LLVMVectorType(c->ti16, 32) : k.ta;
	if (!avx2) /* 512-bit vectors stay legal where the CPU prefers 256-bit ones */
		LLVMAddAttributeAtIndex(
		        fn, LLVMAttributeFunctionIndex,
		        LLVMCreateStringAttribute(c->ctx, "min-legal-vector-width", 22, "512", 3));
	/* u = x xor 0x80 = x + 128: the bias folds zx + 128 */
	Int8Open o = {avx2 ? "dw8a" : "dw8", d.CB * d.L, 1, 128, prepare, c->ti8,
	              dw8_scratch_bytes(&d), 64};
	k.s = tgt_int8_open(c, n, &o, &k.e, &k.q, &k);
	LLVMValueRef in = tgt_upto(c, &ln, d.cg.N);
	LLVMValueRef cb = tgt_upto(c, &lb, d.CB);
	if (k.cload) { /* NHWC: the block's lanes below C */
		LLVMValueRef idx[16],
		        left = LLVMBuildTrunc(c->b,
		                              LLVMBuildNSWSub(c->b, tgt_cidx(c, d.cg.C),
		                                              tgt_mad(c, cb, d.L, NULL), ""),
		                              c->ti32, "");
		for (int l = 0; l < d.L; l++)
			idx[l] = tgt_c32(c, l);
		LLVMValueRef sp = LLVMBuildShuffleVector(
		        c->b,
		        LLVMBuildInsertElement(c->b, LLVMGetUndef(k.tv), left, tgt_c32(c, 0), ""),
		        LLVMGetUndef(k.tv), LLVMConstNull(k.tv), "");
		k.cmask = LLVMBuildICmp(c->b, LLVMIntSLT, LLVMConstVector(idx, (unsigned)d.L), sp,
		                        "");
	}
	/* bands of TYB rows of tiles, each with its scratch rows */
	LLVMValueRef band = tgt_upto(c, &lband, d.NB);
	LLVMValueRef ty0 = tgt_mad(c, band, d.TYB, NULL), oyb = tgt_mad(c, ty0, d.R, NULL);
	LLVMValueRef y0 = tgt_mad(c, oyb, d.cg.sh, tgt_cidx(c, -d.cg.pt));
	if (d.in_nhwc)
		fill_nhwc(c, &k, LLVMGetParam(fn, 0), in, cb, y0);
	else
		fill(c, &k, LLVMGetParam(fn, 0), in, cb, y0);
	LLVMValueRef tyend = LLVMBuildNSWAdd(c->b, ty0, tgt_cidx(c, d.TYB), ""),
	             TY = tgt_cidx(c, d.TY);
	LLVMValueRef ty = tgt_loop_open(
	        c, &lty, ty0,
	        LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, tyend, TY, ""), tyend, TY,
	                        ""));
	LLVMValueRef tx = tgt_upto(c, &ltx, d.TX);
	tile(c, &k, LLVMGetParam(fn, 1), in, cb, oyb, ty, tx);
	tgt_loop_close(c, &ltx);
	tgt_loop_close(c, &lty);
	tgt_loop_close(c, &lband);
	tgt_loop_close(c, &lb);
	tgt_loop_close(c, &ln);
}

void tgt_conv2d_dw8(Cg *c, int n, LLVMValueRef fn)
{
	emit(c, n, fn, 0);
}

void tgt_conv2d_dw8_avx2(Cg *c, int n, LLVMValueRef fn)
{
	emit(c, n, fn, 1);
}

TGT_APPLIES(tgt_conv2d_dw8_applies, Geo, applies_vnni)
TGT_APPLIES(tgt_conv2d_dw8_avx2_applies, Geo, applies_avx2)
TGT_SCRATCH(tgt_conv2d_dw8_scratch, Geo, applies_vnni, dw8_scratch_bytes)
TGT_SCRATCH(tgt_conv2d_dw8_avx2_scratch, Geo, applies_avx2, dw8_scratch_bytes)
