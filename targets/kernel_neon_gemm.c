/* kernel_neon_gemm.c — the int8 dense kernel for AArch64 NEON
 * ("arm64.neon.dense"): a register-blocked GEMV per batch row, sdot where
 * the target has the dot-product extension, smull/smlal (i16 products)
 * everywhere else.  LLVM vectorizes the generic loop (lower_dense.c) to
 * widening multiplies of 16 bytes at best and never forms sdot.
 *
 * Both variants multiply x itself (signed bytes) by the weights, so
 * sum (x - zx) w = sum x w - zx sum w: the last term is folded into the
 * bias per output at compile time (tgt_int8_open's fold_zx), mod 2^32 like
 * the interpreter's wrapping i32 accumulator.  Sums of integers do not
 * depend on their order, so splitting them over lanes and accumulators is
 * still the interpreter's sum.  The inputs are taken 16 at a time (C16 = C
 * rounded up to 16); a row whose C is not a multiple of 16 is copied into
 * the arena scratch first with zero bytes after it (their weights are zero
 * too), else it is read in place.
 *
 * sdot (llvm.aarch64.neon.sdot.v4i32.v16i8): an accumulator is 4 outputs
 * (a block); each i32 lane adds the 4 products of 4 weight bytes with 4
 * input bytes, exactly (no saturation).  The weights are packed
 * [OB][C16/4][4 outputs][4 inputs], one 16-byte vector per block and 4
 * inputs, so a block's stream is contiguous; the 16 input bytes are loaded
 * once and each group of 4 is taken by the lane-indexed form sdot v.4s,
 * v.16b, v.4b[q].  A tile is up to 8 blocks (32 outputs, 8 independent
 * accumulator chains that hide the sdot latency).
 *
 * smlal (no dotprod): an accumulator is 4 i32 partial sums of one output.
 * Per 16 inputs, smull multiplies the low 8 input bytes by the low 8
 * weight bytes into 8 i16 products, smlal2 adds the high 8 products to
 * them, and sadalp adds adjacent i16 pairs into the 4 i32 lanes.  The i16
 * sum of two products is exact when no weight is -128 (|x w| <= 128 * 127,
 * two of them <= 32512): the kernel checks the layer's weights at compile
 * time, and for a layer with a -128 weight it pairs each product vector
 * into the i32 lanes on its own (sadalp twice, no i16 sum).  The weights
 * are the rows [OB*4][C16] (zero past O and C).  A tile is up to 2 blocks
 * (8 outputs); after the inputs, addp reduces the 4 lanes of the 4
 * accumulators of a block into one vector of its 4 outputs, and the folded
 * bias is added.
 *
 * The epilogue requantizes each block of 4 outputs (kernel_neon.c's
 * tgt_neon_requant, or tgt_requant_float, on 4 lanes) and stores its 4
 * bytes as one word: to the output row when O is a multiple of 4, else to
 * a row in the scratch (after the input copy) that is copied to y
 * afterwards.
 *
 * 1x1 convolutions of stride 1 without padding ("arm64.neon.conv1x1",
 * with dotprod) are a GEMM [OC x C] * [C x P] on the NCHW input: lanes are
 * pixels, so an accumulator is 4 consecutive pixels of one output channel
 * and its requantized bytes go straight to the NCHW output, with no
 * transpose and no padded NHWC copy.  Per block of 16 pixels (the last one
 * moved back to end at P: it recomputes pixels with the same bytes, so
 * P >= 16), the input is packed into the scratch as [C16/4 groups][16
 * pixels][4 channels] bytes: per group 4 loads of 16 bytes (one per
 * channel row; a channel past C reads channel C - 1, whose weights are
 * zero; the groups past C stay zero) interleaved by shuffles.  Then every
 * tile of 4 output channels reads the block: per 16 input channels, one
 * 16-byte weight vector per channel ([OC][C16] bytes, zero past C), one
 * ld1 of 4 registers per group (16 pixels x 4 channels), and 16 lane-
 * indexed sdot (pixels x channels), 16 accumulators in all.  The bias is
 * folded as the dense one's; the requantization is per channel.
 */
#include <stdlib.h>
#include <string.h>

#include "targets.h"

/* ---- dense ------------------------------------------------------------------ */

enum {
	DOT_NB = 8,  /* blocks of 4 outputs of an sdot tile */
	MULL_NB = 2, /* blocks of 4 outputs of an smlal tile */
};

typedef struct {
	int64_t N, C, O, C16, OB;
	int dot;     /* sdot, else smull/smlal */
	int pair16;  /* smlal: no weight is -128 (two products sum in i16) */
	int copy;    /* C % 16: the row goes through the scratch */
	int nb;      /* blocks of a tile */
} Geo;

/* The arena scratch: the padded input row, then (O % 4) the output row;
 * at least 16 bytes (tgt_int8_open's check wants a planned block). */
static int64_t dense_scratch_bytes(const Geo *d)
{
	int64_t n = (d->copy ? d->C16 : 0) + (d->O % 4 ? d->OB * 4 : 0);
	return n > 16 ? n : 16;
}

static int applies(Cg *c, const Node *nd, Geo *d, const char **why)
{
	const Graph *g = c->g;
	const Value *x = &g->vals[nd->in[0]], *w = &g->vals[nd->in[1]];

	memset(d, 0, sizeof *d);
	if (x->shape.rank != 2 || w->shape.rank != 2)
		return tgt_decline(why, "operands not of rank 2");
	d->N = x->shape.d[0], d->C = x->shape.d[1], d->O = w->shape.d[0];
	d->C16 = (d->C + 15) / 16 * 16, d->OB = (d->O + 3) / 4;
	d->copy = d->C % 16 != 0;
	d->dot = tgt_neon_variant(c->tm) == 1;
	d->nb = d->dot ? DOT_NB : MULL_NB;
	if (d->nb > d->OB)
		d->nb = (int)d->OB;
	d->pair16 = 1;
	if (w->data)
		for (int64_t i = 0; i < d->O * d->C; i++)
			if (((const int8_t *)w->data)[i] == -128)
				d->pair16 = 0;
	return 1;
}

typedef struct {
	const Geo *d;
	Epilogue e;
	Int8Consts q;
	LLVMTypeRef tv, tb, t8, th; /* <4 x i32>, <16 x i8>, <8 x i8>, <8 x i16> */
	LLVMTypeRef tmac, tld4, tmul, tpair, tred;
	LLVMValueRef mac, ld4, mul, pair, red; /* sdot, ld1x4; smull, saddlp, addp */
	LLVMValueRef w, s, x, y;
	LLVMValueRef xrow, orow; /* the batch row's input, its outputs */
	LLVMValueRef acc[4 * MULL_NB > DOT_NB ? 4 * MULL_NB : DOT_NB];
} Kern;

/* The packed weights (header comment). */
static LLVMValueRef pack_weights(Cg *c, const Node *nd, const Geo *d, int n)
{
	const int8_t *w = c->g->vals[nd->in[1]].data;
	size_t len = (size_t)(d->OB * 4 * d->C16);
	unsigned char *buf = ir_xcalloc(len, 1);

	for (int64_t o = 0; o < d->O; o++)
		for (int64_t i = 0; i < d->C; i++) {
			/* sdot: block ob's tile starts at block ob0 = ob - ob % nb
			 * and has nw blocks (nb, or fewer in the last tile):
			 * [tile][C16/16][nw blocks][4 groups][4 outputs][4 inputs] */
			int64_t ob = o / 4, j = ob % d->nb, ob0 = ob - j;
			int64_t nw = d->OB - ob0 < d->nb ? d->OB - ob0 : d->nb;
			int64_t v = ob0 * (d->C16 / 4) + (i / 16) * 4 * nw + j * 4 + i / 4 % 4;
			size_t at = d->dot ? (size_t)((v * 4 + o % 4) * 4 + i % 4)
			                   : (size_t)(o * d->C16 + i);
			buf[at] = (unsigned char)w[o * d->C + i];
		}
	return tgt_const_packed(c, "wneong", n, buf, len);
}

static void prepare(Cg *c, void *kv, int n)
{
	Kern *k = kv;

	if (k->d->dot) {
		LLVMTypeRef ps[3] = {k->tv, k->tb, k->tb};
		k->tmac = LLVMFunctionType(k->tv, ps, 3, 0);
		k->mac = tgt_intrinsic(c, "llvm.aarch64.neon.sdot.v4i32.v16i8", k->tmac);
		LLVMTypeRef t4[4] = {k->tb, k->tb, k->tb, k->tb};
		k->tld4 = LLVMFunctionType(LLVMStructTypeInContext(c->ctx, t4, 4, 0), &c->tptr, 1,
		                           0);
		k->ld4 = tgt_intrinsic(c, "llvm.aarch64.neon.ld1x4.v16i8.p0", k->tld4);
	} else {
		LLVMTypeRef pm[2] = {k->t8, k->t8}, pr[2] = {k->tv, k->tv};
		k->tmul = LLVMFunctionType(k->th, pm, 2, 0);
		k->mul = tgt_intrinsic(c, "llvm.aarch64.neon.smull.v8i16", k->tmul);
		k->tpair = LLVMFunctionType(k->tv, &k->th, 1, 0);
		k->pair = tgt_intrinsic(c, "llvm.aarch64.neon.saddlp.v4i32.v8i16", k->tpair);
		k->tred = LLVMFunctionType(k->tv, pr, 2, 0);
		k->red = tgt_intrinsic(c, "llvm.aarch64.neon.addp.v4i32", k->tred);
	}
	k->w = pack_weights(c, &c->g->nodes[n], k->d, n);
}

/* A shuffle of v (n lanes of result) by the constant lanes idx. */
static LLVMValueRef pick(Cg *c, LLVMValueRef v, const int *idx, unsigned n)
{
	LLVMValueRef m[16];

	for (unsigned i = 0; i < n; i++)
		m[i] = tgt_c32(c, idx[i]);
	return LLVMBuildShuffleVector(c->b, v, LLVMGetUndef(LLVMTypeOf(v)), LLVMConstVector(m, n),
	                              "");
}

/* A shuffle of u and v by the constant lanes idx (n lanes). */
static LLVMValueRef pick2(Cg *c, LLVMValueRef u, LLVMValueRef v, const int *idx, unsigned n)
{
	LLVMValueRef m[16];

	for (unsigned i = 0; i < n; i++)
		m[i] = tgt_c32(c, idx[i]);
	return LLVMBuildShuffleVector(c->b, u, v, LLVMConstVector(m, n), "");
}

/* The scalar v (i32 or f32) in 4 lanes. */
static LLVMValueRef splat4(Cg *c, LLVMValueRef v)
{
	LLVMTypeRef t = LLVMVectorType(LLVMTypeOf(v), 4);
	LLVMValueRef one = LLVMBuildInsertElement(c->b, LLVMGetUndef(t), v, tgt_c32(c, 0), "");

	return LLVMBuildShuffleVector(c->b, one, LLVMGetUndef(t),
	                              LLVMConstNull(LLVMVectorType(c->ti32, 4)), "");
}

/* The 16-byte weight vector vi. */
static LLVMValueRef wvec(Cg *c, Kern *k, LLVMValueRef vi)
{
	return tgt_load_al(c, k->tb, tgt_gep(c, k->tb, k->w, vi), 16);
}

/* sdot: blocks ob0 .. ob0 + nb - 1 += the 16 inputs of group gi (xv); a
 * block's 4 weight vectors are adjacent: one ld1 of 4 registers. */
static void group_dot(Cg *c, Kern *k, int nb, LLVMValueRef ob0, LLVMValueRef gi, LLVMValueRef xv)
{
	LLVMBuilderRef b = c->b;
	LLVMValueRef words = LLVMBuildBitCast(b, xv, k->tv, ""), u[4];

	for (int q = 0; q < 4; q++) {
		int lane[4] = {q, q, q, q};
		u[q] = LLVMBuildBitCast(b, pick(c, words, lane, 4), k->tb, "");
	}
	for (int j = 0; j < nb; j++) {
		LLVMValueRef v0 = tgt_mad(c, ob0, k->d->C16 / 4,
		                          tgt_mad(c, gi, 4 * nb, tgt_cidx(c, 4 * j)));
		LLVMValueRef p = tgt_gep(c, k->tb, k->w, v0);
		LLVMValueRef w4 = LLVMBuildCall2(b, k->tld4, k->ld4, &p, 1, "");
		LLVMValueRef a = LLVMBuildLoad2(b, k->tv, k->acc[j], "");
		for (int q = 0; q < 4; q++) {
			LLVMValueRef args[3] = {a, LLVMBuildExtractValue(b, w4, (unsigned)q, ""),
			                        u[q]};
			a = LLVMBuildCall2(b, k->tmac, k->mac, args, 3, "");
		}
		LLVMBuildStore(b, a, k->acc[j]);
	}
}

/* smlal: the 4 outputs of each of blocks ob0 .. += the 16 inputs of group
 * gi (xv): smull of the low halves, smlal2 of the high ones (pair16), then
 * sadalp into the output's 4 lanes. */
static void group_mull(Cg *c, Kern *k, int nb, LLVMValueRef ob0, LLVMValueRef gi, LLVMValueRef xv)
{
	LLVMBuilderRef b = c->b;
	int lo[8], hi[8];

	for (int i = 0; i < 8; i++)
		lo[i] = i, hi[i] = 8 + i;
	LLVMValueRef xl = pick(c, xv, lo, 8), xh = pick(c, xv, hi, 8);
	for (int t = 0; t < 4 * nb; t++) {
		LLVMValueRef o = tgt_mad(c, ob0, 4, tgt_cidx(c, t));
		LLVMValueRef wv = wvec(c, k, tgt_mad(c, o, k->d->C16 / 16, gi));
		LLVMValueRef al[2] = {xl, pick(c, wv, lo, 8)}, ah[2] = {xh, pick(c, wv, hi, 8)};
		LLVMValueRef pl = LLVMBuildCall2(b, k->tmul, k->mul, al, 2, "");
		LLVMValueRef ph = LLVMBuildCall2(b, k->tmul, k->mul, ah, 2, "");
		LLVMValueRef a = LLVMBuildLoad2(b, k->tv, k->acc[t], "");
		/* no nsw: the i32 accumulation wraps */
		if (k->d->pair16) { /* exact: no weight is -128 */
			LLVMValueRef p = LLVMBuildAdd(b, pl, ph, "");
			a = LLVMBuildAdd(b, a, LLVMBuildCall2(b, k->tpair, k->pair, &p, 1, ""), "");
		} else {
			a = LLVMBuildAdd(b, a, LLVMBuildCall2(b, k->tpair, k->pair, &pl, 1, ""),
			                 "");
			a = LLVMBuildAdd(b, a, LLVMBuildCall2(b, k->tpair, k->pair, &ph, 1, ""),
			                 "");
		}
		LLVMBuildStore(b, a, k->acc[t]);
	}
}

/* The requantized 4 outputs of block ob from accumulator a, as 4 bytes. */
static LLVMValueRef requant4(Cg *c, Kern *k, LLVMValueRef a, LLVMValueRef ob)
{
	LLVMTypeRef tf = LLVMVectorType(c->tf32, 4);
	LLVMValueRef r;

	if (k->q.fm)
		r = tgt_requant_float(c, a, tgt_load_al(c, tf, tgt_gep(c, tf, k->q.fm, ob), 16),
		                      &k->e.rq);
	else
		r = tgt_neon_requant(c, &k->e.rq, a,
		                     tgt_load_al(c, k->tv, tgt_gep(c, k->tv, k->q.mult, ob), 16),
		                     tgt_load_al(c, k->tv, tgt_gep(c, k->tv, k->q.shift, ob), 16));
	return LLVMBuildTrunc(c->b, r, LLVMVectorType(c->ti8, 4), "");
}

/* One tile: blocks ob0 .. ob0 + nb - 1 of the batch row. */
static void dense_group(Cg *c, void *kv, int nb, LLVMValueRef ob0)
{
	Kern *k = kv;
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	int nacc = d->dot ? nb : 4 * nb;
	Loop lg;

	for (int j = 0; j < nacc; j++) {
		LLVMValueRef v = LLVMConstNull(k->tv);
		if (d->dot) /* sdot starts from the folded bias */
			v = tgt_load_al(c, k->tv,
			                tgt_gep(c, k->tv, k->q.bias,
			                        LLVMBuildNSWAdd(b, ob0, tgt_cidx(c, j), "")),
			                16);
		LLVMBuildStore(b, v, k->acc[j]);
	}
	LLVMValueRef gi = tgt_upto(c, &lg, d->C16 / 16);
	LLVMValueRef xv = tgt_load_al(c, k->tb, tgt_gep(c, k->tb, k->xrow, gi), d->copy ? 16 : 1);
	if (d->dot)
		group_dot(c, k, nb, ob0, gi, xv);
	else
		group_mull(c, k, nb, ob0, gi, xv);
	tgt_loop_close(c, &lg);
	for (int j = 0; j < nb; j++) {
		LLVMValueRef ob = LLVMBuildNSWAdd(b, ob0, tgt_cidx(c, j), "");
		LLVMValueRef a;
		if (d->dot) {
			a = LLVMBuildLoad2(b, k->tv, k->acc[j], "");
		} else { /* lane t of a: the sum of the 4 lanes of output 4j + t */
			LLVMValueRef r[4];
			for (int t = 0; t < 4; t++)
				r[t] = LLVMBuildLoad2(b, k->tv, k->acc[4 * j + t], "");
			LLVMValueRef p01[2] = {r[0], r[1]}, p23[2] = {r[2], r[3]};
			LLVMValueRef s[2] = {LLVMBuildCall2(b, k->tred, k->red, p01, 2, ""),
			                     LLVMBuildCall2(b, k->tred, k->red, p23, 2, "")};
			a = LLVMBuildCall2(b, k->tred, k->red, s, 2, "");
			a = LLVMBuildAdd(
			        b, a, tgt_load_al(c, k->tv, tgt_gep(c, k->tv, k->q.bias, ob), 16),
			        "");
		}
		LLVMValueRef st = LLVMBuildStore(
		        b, LLVMBuildBitCast(b, requant4(c, k, a, ob), c->ti32, ""),
		        tgt_gep(c, c->ti8, k->orow, tgt_mad(c, ob, 4, NULL)));
		LLVMSetAlignment(st, d->O % 4 ? 4 : 1);
	}
}

void tgt_dense_neon(Cg *c, int n, LLVMValueRef fn)
{
	LLVMBuilderRef b = c->b;
	Geo d;
	Kern k = {.d = &d,
	          .tv = LLVMVectorType(c->ti32, 4),
	          .tb = LLVMVectorType(c->ti8, 16),
	          .t8 = LLVMVectorType(c->ti8, 8),
	          .th = LLVMVectorType(c->ti16, 8)};
	Loop ln;

	applies(c, &c->g->nodes[n], &d, NULL); /* the chooser took the node */
	Int8Open o = {"neong", d.OB * 4, 1, 0, prepare, c->ti8, dense_scratch_bytes(&d), 16};
	k.s = tgt_int8_open(c, n, &o, &k.e, &k.q, &k);
	k.x = LLVMGetParam(fn, 0), k.y = LLVMGetParam(fn, 1);
	for (int i = 0; i < (d.dot ? d.nb : 4 * d.nb); i++)
		k.acc[i] = tgt_alloca(c, k.tv, 1);
	/* the bytes past the inputs stay 0 (their weights are 0 too) */
	if (d.copy)
		LLVMBuildMemSet(b, k.s, LLVMConstInt(c->ti8, 0, 0), tgt_cidx(c, d.C16), 16);
	LLVMValueRef in = tgt_upto(c, &ln, d.N);
	k.xrow = tgt_gep(c, c->ti8, k.x, tgt_mad(c, in, d.C, NULL));
	if (d.copy) {
		tgt_copy(c, k.s, 16, k.xrow, 1, d.C, 0);
		k.xrow = k.s;
	}
	LLVMValueRef yrow = tgt_gep(c, c->ti8, k.y, tgt_mad(c, in, d.O, NULL));
	k.orow = d.O % 4 ? tgt_gep(c, c->ti8, k.s, tgt_cidx(c, d.copy ? d.C16 : 0)) : yrow;
	tgt_block_groups(c, d.OB, d.nb, dense_group, &k);
	if (d.O % 4)
		tgt_copy(c, yrow, 1, k.orow, 4, d.O, 0);
	tgt_loop_close(c, &ln);
}

/* ---- 1x1 convolution ------------------------------------------------------- */

enum {
	PB = 16, /* pixels of a block: 4 vectors of 4 */
	NT = 4,  /* output channels of a tile */
};

typedef struct {
	int64_t N, C, OC, C16, P;
} Geo1;

/* The packed block: C16/4 groups of 64 bytes. */
static int64_t conv1x1_scratch_bytes(const Geo1 *d)
{
	return d->C16 * PB;
}

static int applies1(Cg *c, const Node *nd, Geo1 *d, const char **why)
{
	ConvGeo cg;

	memset(d, 0, sizeof *d);
	if (tgt_neon_variant(c->tm) != 1)
		return tgt_decline(why, "no dotprod (arm64.neon.conv2d's smlal takes it)");
	if (tgt_conv_geo(c, nd, &cg, why))
		return 0;
	if (cg.KH != 1 || cg.KW != 1)
		return tgt_decline(why, "kernel not 1x1");
	if (cg.pt || cg.pl || cg.pb || cg.pr)
		return tgt_decline(why, "padded");
	if (cg.sh != 1 || cg.sw != 1)
		return tgt_decline(why, "strided");
	if (ir_has_pool(nd))
		return tgt_decline(why, "a fused pool");
	d->N = cg.N, d->C = cg.C, d->OC = cg.OC, d->P = cg.OH * cg.OW;
	d->C16 = (d->C + 15) / 16 * 16;
	if (d->P < PB)
		return tgt_decline(why, "fewer than 16 pixels");
	return 1;
}

typedef struct {
	const Geo1 *d;
	Epilogue e;
	Int8Consts q;
	LLVMTypeRef tv, tb, tmac, tld4;
	LLVMValueRef mac, ld4, w, s, x, y;
	LLVMValueRef in, p0; /* the batch element, the block's first pixel */
	LLVMValueRef acc[4][NT];
} Kern1;

static void prepare1(Cg *c, void *kv, int n)
{
	Kern1 *k = kv;
	const Geo1 *d = k->d;
	const int8_t *w = c->g->vals[c->g->nodes[n].in[1]].data;
	size_t len = (size_t)(d->OC * d->C16);
	unsigned char *buf = ir_xcalloc(len, 1);
	LLVMTypeRef ps[3] = {k->tv, k->tb, k->tb}, t4[4] = {k->tb, k->tb, k->tb, k->tb};

	k->tmac = LLVMFunctionType(k->tv, ps, 3, 0);
	k->mac = tgt_intrinsic(c, "llvm.aarch64.neon.sdot.v4i32.v16i8", k->tmac);
	k->tld4 = LLVMFunctionType(LLVMStructTypeInContext(c->ctx, t4, 4, 0), &c->tptr, 1, 0);
	k->ld4 = tgt_intrinsic(c, "llvm.aarch64.neon.ld1x4.v16i8.p0", k->tld4);
	for (int64_t o = 0; o < d->OC; o++)
		for (int64_t i = 0; i < d->C; i++)
			buf[o * d->C16 + i] = (unsigned char)w[o * d->C + i];
	k->w = tgt_const_packed(c, "wneon1x1_", n, buf, len);
}

/* Packs the 16 pixels from k->p0 of batch element k->in (header comment). */
static void pack_block(Cg *c, Kern1 *k)
{
	const Geo1 *d = k->d;
	LLVMBuilderRef b = c->b;
	LLVMValueRef lo[32], mix[64], row[4], u[4];
	Loop lg;

	for (int i = 0; i < 32; i++)
		lo[i] = tgt_c32(c, i);
	for (int i = 0; i < 64; i++) /* byte 4p + r: channel r's pixel p */
		mix[i] = tgt_c32(c, (i % 4) * 16 + i / 4);
	LLVMValueRef grp = tgt_upto(c, &lg, (d->C + 3) / 4);
	for (int r = 0; r < 4; r++) {
		LLVMValueRef ch = tgt_mad(c, grp, 4, tgt_cidx(c, r));
		if (d->C % 4 && r >= d->C % 4)
			ch = LLVMBuildSelect(
			        b, LLVMBuildICmp(b, LLVMIntSLT, ch, tgt_cidx(c, d->C), ""), ch,
			        tgt_cidx(c, d->C - 1), "");
		row[r] = tgt_mad(c, LLVMBuildNSWAdd(b, tgt_mad(c, k->in, d->C, NULL), ch, ""), d->P,
		                 k->p0);
		u[r] = tgt_load_al(c, k->tb, tgt_gep(c, c->ti8, k->x, row[r]), 1);
	}
	LLVMValueRef a = LLVMBuildShuffleVector(b, u[0], u[1], LLVMConstVector(lo, 32), "");
	LLVMValueRef e = LLVMBuildShuffleVector(b, u[2], u[3], LLVMConstVector(lo, 32), "");
	LLVMValueRef m = LLVMBuildShuffleVector(b, a, e, LLVMConstVector(mix, 64), "");
	LLVMTypeRef t64 = LLVMVectorType(c->ti8, 64);
	LLVMSetAlignment(LLVMBuildStore(b, m, tgt_gep(c, t64, k->s, grp)), 16);
	tgt_loop_close(c, &lg);
}

/* Output channels oc0 .. oc0 + nt - 1 at the block's 16 pixels. */
static void conv_group(Cg *c, void *kv, int nt, LLVMValueRef oc0)
{
	Kern1 *k = kv;
	const Geo1 *d = k->d;
	LLVMBuilderRef b = c->b;
	LLVMValueRef oc[NT], wv[NT];
	Loop lg;

	for (int t = 0; t < nt; t++) {
		oc[t] = LLVMBuildNSWAdd(b, oc0, tgt_cidx(c, t), "");
		LLVMValueRef bv = splat4(c, tgt_load(c, c->ti32, k->q.bias, oc[t]));
		for (int i = 0; i < 4; i++)
			LLVMBuildStore(b, bv, k->acc[i][t]);
	}
	LLVMValueRef g = tgt_upto(c, &lg, d->C16 / 16);
	for (int t = 0; t < nt; t++)
		wv[t] = LLVMBuildBitCast(
		        b,
		        tgt_load_al(c, k->tb,
		                    tgt_gep(c, k->tb, k->w, tgt_mad(c, oc[t], d->C16 / 16, g)), 16),
		        k->tv, "");
	for (int q = 0; q < 4; q++) {
		LLVMValueRef p = tgt_gep(c, LLVMVectorType(c->ti8, 64), k->s,
		                         tgt_mad(c, g, 4, tgt_cidx(c, q)));
		LLVMValueRef x4 = LLVMBuildCall2(b, k->tld4, k->ld4, &p, 1, "");
		int lane[4] = {q, q, q, q};
		for (int t = 0; t < nt; t++) {
			LLVMValueRef u = LLVMBuildBitCast(b, pick(c, wv[t], lane, 4), k->tb, "");
			for (int i = 0; i < 4; i++) {
				LLVMValueRef args[3] = {
				        LLVMBuildLoad2(b, k->tv, k->acc[i][t], ""),
				        LLVMBuildExtractValue(b, x4, (unsigned)i, ""), u};
				LLVMBuildStore(b, LLVMBuildCall2(b, k->tmac, k->mac, args, 3, ""),
				               k->acc[i][t]);
			}
		}
	}
	tgt_loop_close(c, &lg);
	for (int t = 0; t < nt; t++) {
		LLVMValueRef r[4];
		for (int i = 0; i < 4; i++) {
			LLVMValueRef a = LLVMBuildLoad2(b, k->tv, k->acc[i][t], "");
			if (k->q.fm)
				a = tgt_requant_float(
				        c, a, splat4(c, tgt_load(c, c->tf32, k->q.fm, oc[t])),
				        &k->e.rq);
			else
				a = tgt_neon_requant(
				        c, &k->e.rq, a,
				        splat4(c, tgt_load(c, c->ti32, k->q.mult, oc[t])),
				        splat4(c, tgt_load(c, c->ti32, k->q.shift, oc[t])));
			r[i] = LLVMBuildTrunc(b, a, LLVMVectorType(c->ti8, 4), "");
		}
		/* the 16 bytes of pixels p0 .. p0 + 15 of channel oc[t] */
		int c8[8] = {0, 1, 2, 3, 4, 5, 6, 7}, c16[16];
		for (int i = 0; i < 16; i++)
			c16[i] = i;
		LLVMValueRef lo8 = pick2(c, r[0], r[1], c8, 8), hi8 = pick2(c, r[2], r[3], c8, 8);
		LLVMValueRef at = tgt_mad(
		        c, LLVMBuildNSWAdd(b, tgt_mad(c, k->in, d->OC, NULL), oc[t], ""), d->P,
		        k->p0);
		LLVMSetAlignment(LLVMBuildStore(b, pick2(c, lo8, hi8, c16, 16),
		                                tgt_gep(c, c->ti8, k->y, at)),
		                 1);
	}
}

void tgt_conv1x1_neon(Cg *c, int n, LLVMValueRef fn)
{
	LLVMBuilderRef b = c->b;
	Geo1 d;
	Kern1 k = {.d = &d, .tv = LLVMVectorType(c->ti32, 4), .tb = LLVMVectorType(c->ti8, 16)};
	Loop ln, lb;

	applies1(c, &c->g->nodes[n], &d, NULL); /* the chooser took the node */
	Int8Open o = {"neon1x1_", d.OC, 1, 0, prepare1, c->ti8, conv1x1_scratch_bytes(&d), 16};
	k.s = tgt_int8_open(c, n, &o, &k.e, &k.q, &k);
	k.x = LLVMGetParam(fn, 0), k.y = LLVMGetParam(fn, 1);
	for (int i = 0; i < 4; i++)
		for (int t = 0; t < NT; t++)
			k.acc[i][t] = tgt_alloca(c, k.tv, 1);
	/* the groups past C stay 0 (their weights are 0 too) */
	LLVMBuildMemSet(b, k.s, LLVMConstInt(c->ti8, 0, 0), tgt_cidx(c, conv1x1_scratch_bytes(&d)),
	                16);
	k.in = tgt_upto(c, &ln, d.N);
	LLVMValueRef blk = tgt_upto(c, &lb, (d.P + PB - 1) / PB);
	LLVMValueRef p0 = tgt_mad(c, blk, PB, NULL), last = tgt_cidx(c, d.P - PB);
	/* the last block ends at P: it may redo pixels of the one before */
	k.p0 = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, p0, last, ""), p0, last, "");
	pack_block(c, &k);
	tgt_block_groups(c, d.OC, NT, conv_group, &k);
	tgt_loop_close(c, &lb);
	tgt_loop_close(c, &ln);
}

TGT_APPLIES(tgt_dense_neon_applies, Geo, applies)
TGT_SCRATCH(tgt_dense_neon_scratch, Geo, applies, dense_scratch_bytes)
TGT_APPLIES(tgt_conv1x1_neon_applies, Geo1, applies1)
TGT_SCRATCH(tgt_conv1x1_neon_scratch, Geo1, applies1, conv1x1_scratch_bytes)
