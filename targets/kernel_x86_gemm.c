/* kernel_x86_gemm.c — the int8 GEMM-class kernels for x86-64 with AVX-512
 * VNNI: dense (a GEMV at batch 1) and 1x1 convolutions without padding,
 * which are a plain GEMM [OC x C] * [C x OH*OW] on the NCHW input.
 *
 * Both use vpdpbusd as kernel_x86.c does (16 i32 lanes, each adding the
 * products of 4 unsigned bytes with 4 signed bytes, wrapping like the
 * interpreter's i32 accumulator) with the same trick: the activation enters
 * as u = x xor 0x80 = x + 128, and -(128 + zx) * sum w is folded into the
 * bias at compile time (tgt_int8_open), so sum u w + bias' = sum (x - zx) w
 * + bias exactly (mod 2^32).  Sums of integers do not depend on their order,
 * so a sum split over several accumulators is still the interpreter's.
 *
 * Dense: lanes are 16 outputs.  The weights are packed [O/16][I/4][16][4]
 * (zero past O and I), one 64-byte vector per 16 outputs and 4 inputs; the
 * row of u is copied once into the scratch (zero bytes past I: their
 * weights are zero too), and 4 of its bytes are broadcast to the 16 lanes.
 * A tile is up to 4 blocks of 16 outputs; a GEMV has no second pixel to
 * share a weight vector with, so each block splits the inputs over several
 * accumulators (8 chains in all) that hide the vpdpbusd latency, summed
 * before the requantization; the 16 bytes of a block are one masked store.
 *
 * 1x1 convolution: lanes are 16 pixels, so an accumulator is one output
 * channel at 16 consecutive pixels and its requantized bytes are one
 * (masked) 16-byte store into the NCHW output, no transpose.  The weights
 * are [OC][C/4] groups of 4 bytes (zero past C), broadcast to the lanes.
 * The input is packed once per panel of np*16 pixels (all channels) into
 * the scratch as [C/4][np][16 pixels][4 channels] bytes xor 0x80: 4 masked
 * 16-byte loads of 4 channel rows interleaved by one shuffle.  Then every
 * output channel reuses the panel (at most 64 KiB, so it stays in L1/L2
 * while the weights stream): a tile is np pixel vectors x up to 12 output
 * channels (np * nt <= 24 accumulators), each loaded pixel vector feeding
 * nt vpdpbusd and each broadcast weight np.  With a stride > 1 the
 * panel's pixels are not contiguous in the input: their offsets are
 * computed once per panel (after the panel in the scratch) and the pack
 * gathers byte by byte.  Few pixels leave lanes idle: such layers are left
 * to kernel_x86.c (applies).
 *
 * Without VNNI, with AVX2 (x86.avx2.dense), the dense GEMV runs on 8 lanes:
 * the row holds x as i16, a group is 2 inputs (4 bytes, broadcast), the
 * weights are [O/8][I/2][8][2] i16, and vpmaddwd adds the two products of
 * a lane exactly in i32 (vpmaddubsw could saturate); the bias folds zx.
 */
#include <stdlib.h>
#include <string.h>

#include "targets.h"

enum {
	PV_MAX = 4,             /* most pixel vectors (of 16 pixels) of a 1x1 tile */
	OCT_MAX = 12,           /* most output channels of a 1x1 tile */
	DB_MAX = 4,             /* most blocks of 16 outputs of a dense tile */
	DCHAINS = 8,            /* accumulator chains of a dense tile */
	SCRATCH_MAX = 1 << 16,  /* largest panel of the scratch (bytes): it stays in L2 */
};

typedef struct {
	int dense;
	int64_t N, C, C4, OC, OCB, P; /* dense: C inputs, OC outputs, P = 1 */
	int64_t HW, W, OW, sh, sw;    /* 1x1: the input plane, output row, stride */
	int strided;                  /* 1x1: a stride > 1 (the pack gathers) */
	int np, nt;                   /* 1x1: pixel vectors and channels of a tile */
	int nb;         /* dense: blocks of a tile */
	int L;          /* lanes: 16 (VNNI), 8 (the AVX2 dense) */
} Geo;

/* The scratch a layer needs: dense, one row of u (inputs rounded up to 4);
 * a 1x1 convolution, one panel of np*16 pixels x C4 groups of 4 bytes. */
static int64_t gemm8_scratch_bytes(const Geo *d)
{
	/* strided: then the panel's np*16 source offsets (i32) */
	return d->dense ? d->C4 * 4 : d->C4 * d->np * 64 + (d->strided ? d->np * 64 : 0);
}

/* The 1x1 tile: np pixel vectors (no more than P needs, and a panel in
 * the scratch cap), and as many channels as keep np * nt <= 24. */
static void conv_tile(Geo *d)
{
	int64_t need = (d->P + 15) / 16, fit = SCRATCH_MAX / (d->C4 * 64 + 64);

	d->np = (int)(need < PV_MAX ? need : PV_MAX);
	if (d->np > fit)
		d->np = (int)fit;
	d->nt = d->np == 4 ? 6 : d->np == 3 ? 8 : OCT_MAX;
	if (d->nt > d->OC)
		d->nt = (int)d->OC;
}

static int applies_lanes(Cg *c, const Node *nd, Geo *d, const char **why, int L)
{
	const Graph *g = c->g;
	ConvGeo cg;

	memset(d, 0, sizeof *d);
	d->L = L;
	if (nd->op == OP_DENSE) {
		const Value *x = &g->vals[nd->in[0]], *w = &g->vals[nd->in[1]];
		if (x->shape.rank != 2 || w->shape.rank != 2)
			return tgt_decline(why, "operands not of rank 2");
		d->dense = 1, d->N = x->shape.d[0], d->C = x->shape.d[1];
		d->OC = w->shape.d[0], d->P = 1;
		/* a group: 4 bytes of u (VNNI), 2 i16 of x (AVX2) */
		d->C4 = L == 16 ? (d->C + 3) / 4 : (d->C + 1) / 2, d->OCB = (d->OC + L - 1) / L;
		d->nb = (int)(d->OCB < DB_MAX ? d->OCB : DB_MAX);
		return gemm8_scratch_bytes(d) <= SCRATCH_MAX ||
		       tgt_decline(why, "scratch exceeds 64 KiB");
	}
	if (tgt_conv_geo(c, nd, &cg, why))
		return 0;
	if (cg.KH != 1 || cg.KW != 1)
		return tgt_decline(why, "kernel not 1x1");
	if (cg.pt || cg.pl || cg.pb || cg.pr)
		return tgt_decline(why, "padded");
	if (ir_has_pool(nd))
		return tgt_decline(why, "a fused pool");
	d->N = cg.N, d->C = cg.C, d->OC = cg.OC, d->P = cg.OH * cg.OW;
	d->HW = cg.H * cg.W, d->W = cg.W, d->OW = cg.OW, d->sh = cg.sh, d->sw = cg.sw;
	d->strided = cg.sh != 1 || cg.sw != 1;
	d->C4 = (d->C + 3) / 4, d->OCB = d->OC;
	/* Lanes are pixels: a few pixels leave lanes idle, and few pixels with
	 * more output than input channels are faster in kernel_x86.c (measured
	 * on MobileNetV2's 12x12 and 6x6 expansions): that one takes them. */
	if (d->P < (d->strided ? 32 : 64) || (!d->strided && d->P < 256 && d->OC > d->C))
		return tgt_decline(why, "few pixels (lanes over channels fit better)");
	if (d->C4 * 64 + 64 > SCRATCH_MAX)
		return tgt_decline(why, "scratch exceeds 64 KiB");
	conv_tile(d);
	return 1;
}

static int applies(Cg *c, const Node *nd, Geo *d, const char **why)
{
	return applies_lanes(c, nd, d, why, 16);
}

static int applies_avx2(Cg *c, const Node *nd, Geo *d, const char **why)
{
	return applies_lanes(c, nd, d, why, 8);
}

typedef struct {
	const Geo *d;
	Epilogue e;
	Int8Consts q;
	LLVMTypeRef tv, tb, tdp, tms, tml; /* <16 x i32>, <16 x i8>, intrinsics' types */
	LLVMValueRef dpbusd, mstore, mload;
	LLVMValueRef w, s, x, y;
	LLVMValueRef in, p0; /* the batch element; a 1x1 panel's first pixel */
	LLVMValueRef offs;   /* strided: the panel's source offsets */
	LLVMValueRef acc[PV_MAX * OCT_MAX];
} Kern;

/* The packed weights (header comment). */
static LLVMValueRef pack_weights(Cg *c, const Node *nd, const Geo *d, int n)
{
	const int8_t *w = c->g->vals[nd->in[1]].data;
	size_t len = (size_t)(d->dense ? d->OCB * d->L * d->C4 * 4 : d->OC * d->C4 * 4);
	unsigned char *buf = ir_xcalloc(len, 1);

	if (d->L == 8) { /* AVX2: [OCB][C2][8][2] i16 */
		for (int64_t o = 0; o < d->OC; o++)
			for (int64_t i = 0; i < d->C; i++)
				tgt_put_le(buf + (((o / 8) * d->C4 + i / 2) * 8 + o % 8) * 4 +
				                   i % 2 * 2,
				           (uint32_t)(int32_t)w[o * d->C + i], 2);
		return tgt_const_packed(c, "wgemm2_", n, buf, len);
	}

	for (int64_t o = 0; o < d->OC; o++)
		for (int64_t i = 0; i < d->C; i++) {
			size_t at = d->dense ? (size_t)((((o / 16) * d->C4 + i / 4) * 16 + o % 16) *
			                                        4 +
			                                i % 4)
			                     : (size_t)(o * d->C4 * 4 + i);
			buf[at] = (unsigned char)w[o * d->C + i];
		}
	return tgt_const_packed(c, "wgemm", n, buf, len);
}

static void prepare(Cg *c, void *kv, int n)
{
	Kern *k = kv;
	LLVMTypeRef ps[3] = {k->tv, k->tv, k->tv};
	LLVMTypeRef tm = LLVMVectorType(c->ti1, (unsigned)k->d->L);
	LLVMTypeRef ms[4] = {k->tb, c->tptr, c->ti32, tm};
	LLVMTypeRef ls[4] = {c->tptr, c->ti32, tm, k->tb};

	k->tms = LLVMFunctionType(c->tvoid, ms, 4, 0);
	if (k->d->L == 8) {
		LLVMTypeRef th = LLVMVectorType(c->ti16, 16), pw[2] = {th, th};
		k->tdp = LLVMFunctionType(k->tv, pw, 2, 0);
		k->dpbusd = tgt_intrinsic(c, "llvm.x86.avx2.pmadd.wd", k->tdp);
		k->mstore = tgt_intrinsic(c, "llvm.masked.store.v8i8.p0", k->tms);
		k->w = pack_weights(c, &c->g->nodes[n], k->d, n);
		return;
	}
	k->tdp = LLVMFunctionType(k->tv, ps, 3, 0);
	k->dpbusd = tgt_intrinsic(c, "llvm.x86.avx512.vpdpbusd.512", k->tdp);
	k->mstore = tgt_intrinsic(c, "llvm.masked.store.v16i8.p0", k->tms);
	k->tml = LLVMFunctionType(k->tb, ls, 4, 0);
	k->mload = tgt_intrinsic(c, "llvm.masked.load.v16i8.p0", k->tml);
	k->w = pack_weights(c, &c->g->nodes[n], k->d, n);
}

/* v (a scalar of i32 or f32) in all L lanes. */
static LLVMValueRef splat_n(Cg *c, LLVMValueRef v, int L)
{
	LLVMTypeRef t = LLVMVectorType(LLVMTypeOf(v), (unsigned)L);
	LLVMValueRef one = LLVMBuildInsertElement(c->b, LLVMGetUndef(t), v, tgt_c32(c, 0), "");
	return LLVMBuildShuffleVector(c->b, one, LLVMGetUndef(t),
	                              LLVMConstNull(LLVMVectorType(c->ti32, (unsigned)L)), "");
}

static LLVMValueRef splat(Cg *c, LLVMValueRef v)
{
	return splat_n(c, v, 16);
}

/* The lanes l < left (an index value; <= 0: none) of L as an <L x i1> mask. */
static LLVMValueRef lanes_below(Cg *c, LLVMValueRef left, int L)
{
	LLVMValueRef idx[16];

	for (int l = 0; l < L; l++)
		idx[l] = tgt_c32(c, l);
	LLVMValueRef l32 = LLVMBuildTrunc(c->b, left, c->ti32, "");
	l32 = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, l32, tgt_c32(c, L), ""), l32,
	                      tgt_c32(c, L), "");
	return LLVMBuildICmp(c->b, LLVMIntSLT, LLVMConstVector(idx, (unsigned)L),
	                     splat_n(c, l32, L), "");
}

/* The lanes of elements off .. off + 15 of base below end: a masked load
 * (load) or store of v; an access wholly past end addresses base itself
 * (its mask is empty: nothing is touched). */
static LLVMValueRef masked(Cg *c, Kern *k, LLVMValueRef base, LLVMValueRef off, LLVMValueRef end,
                           LLVMValueRef v)
{
	LLVMBuilderRef b = c->b;
	LLVMValueRef left = LLVMBuildNSWSub(b, end, off, "");
	LLVMValueRef m = lanes_below(c, left, k->d->L);
	LLVMValueRef live = LLVMBuildICmp(b, LLVMIntSGT, left, tgt_cidx(c, 0), "");
	LLVMValueRef p = tgt_gep(c, c->ti8, base,
	                         LLVMBuildSelect(b, live, off, tgt_cidx(c, 0), ""));

	if (v) {
		LLVMValueRef args[4] = {v, p, tgt_c32(c, 1), m};
		return LLVMBuildCall2(b, k->tms, k->mstore, args, 4, "");
	}
	LLVMValueRef args[4] = {p, tgt_c32(c, 1), m, LLVMConstNull(k->tb)};
	return LLVMBuildCall2(b, k->tml, k->mload, args, 4, "");
}

/* acc = dpbusd(acc, u, w). */
static void dot(Cg *c, Kern *k, LLVMValueRef slot, LLVMValueRef u, LLVMValueRef w)
{
	LLVMValueRef args[3] = {LLVMBuildLoad2(c->b, k->tv, slot, ""), u, w};

	if (k->d->L == 8) { /* AVX2: acc + pmaddwd(x pair, w pair), exact in i32 */
		LLVMTypeRef th = LLVMVectorType(c->ti16, 16);
		LLVMValueRef pw[2] = {LLVMBuildBitCast(c->b, u, th, ""),
		                      LLVMBuildBitCast(c->b, w, th, "")};
		LLVMValueRef p = LLVMBuildCall2(c->b, k->tdp, k->dpbusd, pw, 2, "");
		LLVMBuildStore(c->b, LLVMBuildAdd(c->b, args[0], p, ""), slot); /* wraps */
		return;
	}

	LLVMBuildStore(c->b, LLVMBuildCall2(c->b, k->tdp, k->dpbusd, args, 3, ""), slot);
}

/* a requantized to bytes with the parameters of channel oc (scalars,
 * broadcast: 1x1) or of the 16 channels of block oc (vectors: dense). */
static LLVMValueRef requant(Cg *c, Kern *k, LLVMValueRef a, LLVMValueRef oc, int vec)
{
	LLVMTypeRef tf = vec ? LLVMVectorType(c->tf32, (unsigned)k->d->L) : c->tf32;
	LLVMTypeRef ti = vec ? k->tv : c->ti32;
	LLVMValueRef r;

	if (k->q.fm) {
		LLVMValueRef m = tgt_load_al(c, tf, tgt_gep(c, tf, k->q.fm, oc), vec ? 16 : 4);
		r = tgt_requant_float(c, a, vec ? m : splat(c, m), &k->e.rq);
	} else {
		LLVMValueRef m = tgt_load_al(c, ti, tgt_gep(c, ti, k->q.mult, oc), vec ? 16 : 4);
		LLVMValueRef s = tgt_load_al(c, ti, tgt_gep(c, ti, k->q.shift, oc), vec ? 16 : 4);
		r = tgt_requant(c, a, vec ? m : splat(c, m), vec ? s : splat(c, s), &k->e.rq);
	}
	return LLVMBuildTrunc(c->b, r, k->tb, "");
}

/* ---- dense ------------------------------------------------------------------ */

/* Blocks ob0 .. ob0 + nb - 1 of batch row k->in: na accumulators per block
 * over the groups c4 = q*na + a, the rest into the first, summed. */
static void dense_group(Cg *c, void *kv, int nb, LLVMValueRef ob0)
{
	Kern *k = kv;
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	int64_t na = DCHAINS / nb;
	Loop lq, lr;

	if (na > d->C4)
		na = d->C4;
	LLVMValueRef ob[DB_MAX];
	for (int j = 0; j < nb; j++) {
		ob[j] = LLVMBuildNSWAdd(b, ob0, tgt_cidx(c, j), "");
		LLVMValueRef bv = tgt_load_al(c, k->tv, tgt_gep(c, k->tv, k->q.bias, ob[j]), 16);
		for (int a = 0; a < na; a++)
			LLVMBuildStore(b, a ? LLVMConstNull(k->tv) : bv, k->acc[j * na + a]);
	}
	int64_t whole = d->C4 / na;
	LLVMValueRef q = tgt_upto(c, &lq, whole);
	for (int a = 0; a < na; a++) {
		LLVMValueRef c4 = tgt_mad(c, q, na, tgt_cidx(c, a));
		LLVMValueRef u = splat_n(
		        c, tgt_load_al(c, c->ti32, tgt_gep(c, c->ti32, k->s, c4), 4), d->L);
		for (int j = 0; j < nb; j++) {
			LLVMValueRef vi = tgt_mad(c, ob[j], d->C4, c4);
			dot(c, k, k->acc[j * na + a], u,
			    tgt_load_al(c, k->tv, tgt_gep(c, k->tv, k->w, vi), 16));
		}
	}
	tgt_loop_close(c, &lq);
	if (d->C4 % na) {
		LLVMValueRef r = tgt_upto(c, &lr, d->C4 % na);
		LLVMValueRef c4 = LLVMBuildNSWAdd(b, r, tgt_cidx(c, whole * na), "");
		LLVMValueRef u = splat_n(
		        c, tgt_load_al(c, c->ti32, tgt_gep(c, c->ti32, k->s, c4), 4), d->L);
		for (int j = 0; j < nb; j++) {
			LLVMValueRef vi = tgt_mad(c, ob[j], d->C4, c4);
			dot(c, k, k->acc[j * na], u,
			    tgt_load_al(c, k->tv, tgt_gep(c, k->tv, k->w, vi), 16));
		}
		tgt_loop_close(c, &lr);
	}
	for (int j = 0; j < nb; j++) {
		LLVMValueRef a = LLVMBuildLoad2(b, k->tv, k->acc[j * na], "");
		for (int i = 1; i < na; i++) /* no nsw: the sums wrap */
			a = LLVMBuildAdd(b, a, LLVMBuildLoad2(b, k->tv, k->acc[j * na + i], ""),
			                 "");
		LLVMValueRef row = tgt_mad(c, k->in, d->OC, NULL);
		masked(c, k, k->y, LLVMBuildNSWAdd(b, row, tgt_mad(c, ob[j], d->L, NULL), ""),
		       LLVMBuildNSWAdd(b, row, tgt_cidx(c, d->OC), ""), requant(c, k, a, ob[j], 1));
	}
}

/* 512-bit vectors stay legal where the CPU prefers 256-bit ones. */
static void wide(Cg *c, LLVMValueRef fn)
{
	LLVMAddAttributeAtIndex(
	        fn, LLVMAttributeFunctionIndex,
	        LLVMCreateStringAttribute(c->ctx, "min-legal-vector-width", 22, "512", 3));
}

/* The opening the kernels share: the constants (bias with zx + 128
 * folded, or zx for the AVX2 dense's x as it is; requant tables of lanes
 * entries), the one scratch buffer, the accumulators. */
static void open_kernel(Cg *c, int n, LLVMValueRef fn, Kern *k, int64_t lanes, int nacc)
{
	const Geo *d = k->d;
	int vnni = d->L == 16;

	if (vnni)
		wide(c, fn);
	k->tv = LLVMVectorType(c->ti32, (unsigned)d->L),
	k->tb = LLVMVectorType(c->ti8, (unsigned)d->L);
	Int8Open o = {vnni ? "gemm" : "gemm2_", lanes, 1, vnni ? 128 : 0, prepare, c->ti8,
	              gemm8_scratch_bytes(d),   64};
	k->s = tgt_int8_open(c, n, &o, &k->e, &k->q, k);
	k->x = LLVMGetParam(fn, 0), k->y = LLVMGetParam(fn, 1);
	for (int i = 0; i < nacc; i++)
		k->acc[i] = tgt_alloca(c, k->tv, 1);
}

/* Both dense kernels: VNNI (lanes 16) and AVX2 (8). */
static void dense(Cg *c, int n, LLVMValueRef fn, int L)
{
	LLVMBuilderRef b = c->b;
	Geo d;
	Kern k = {.d = &d};
	Loop ln, li;

	applies_lanes(c, &c->g->nodes[n], &d, NULL, L); /* the chooser took the node */
	open_kernel(c, n, fn, &k, d.OCB * L, DCHAINS);
	/* the bytes past the inputs stay 0 (their weights are 0 too) */
	LLVMBuildMemSet(b, k.s, LLVMConstInt(c->ti8, 0, 0), tgt_cidx(c, gemm8_scratch_bytes(&d)),
	                64);
	k.in = tgt_upto(c, &ln, d.N);
	LLVMValueRef xrow = tgt_mad(c, k.in, d.C, NULL);
	LLVMValueRef i = tgt_upto(c, &li, d.C);
	LLVMValueRef v = tgt_load(c, c->ti8, k.x, LLVMBuildNSWAdd(b, xrow, i, ""));
	if (L == 8) /* AVX2: x as i16, pairs for vpmaddwd */
		tgt_store(c, LLVMBuildSExt(b, v, c->ti16, ""), k.s, i);
	else
		tgt_store(c, LLVMBuildXor(b, v, LLVMConstInt(c->ti8, 0x80, 0), ""), k.s, i);
	tgt_loop_close(c, &li);
	tgt_block_groups(c, d.OCB, d.nb, dense_group, &k);
	tgt_loop_close(c, &ln);
}

void tgt_dense_vnni(Cg *c, int n, LLVMValueRef fn)
{
	dense(c, n, fn, 16);
}

void tgt_dense_avx2(Cg *c, int n, LLVMValueRef fn)
{
	dense(c, n, fn, 8);
}

/* ---- 1x1 convolution ------------------------------------------------------- */

/* The offsets of the panel's input pixels (stride > 1) after the panel in
 * the scratch, one i32 per pixel (a pixel past P repeats the last). */
static LLVMValueRef panel_offsets(Cg *c, Kern *k)
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	LLVMValueRef offs = tgt_gep(c, c->ti8, k->s, tgt_cidx(c, d->C4 * d->np * 64));
	LLVMValueRef last = tgt_cidx(c, d->P - 1);
	Loop ll;

	LLVMValueRef l = tgt_upto(c, &ll, d->np * 16);
	LLVMValueRef p = LLVMBuildNSWAdd(b, k->p0, l, "");
	p = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, p, last, ""), p, last, "");
	LLVMValueRef oy = LLVMBuildUDiv(b, p, tgt_cidx(c, d->OW), "");
	LLVMValueRef ox = LLVMBuildURem(b, p, tgt_cidx(c, d->OW), "");
	LLVMValueRef src = tgt_mad(c, oy, d->sh * d->W, tgt_mad(c, ox, d->sw, NULL));
	tgt_store(c, LLVMBuildTrunc(b, src, c->ti32, ""), offs, l);
	tgt_loop_close(c, &ll);
	return offs;
}

/* The strided pack of group c4 (rows: its 4 channels' planes): byte by
 * byte from the panel's offsets. */
static void pack_strided(Cg *c, Kern *k, LLVMValueRef c4, LLVMValueRef row[4])
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	Loop ll;

	LLVMValueRef l = tgt_upto(c, &ll, d->np * 16);
	LLVMValueRef src = LLVMBuildSExt(b, tgt_load(c, c->ti32, k->offs, l), c->tidx, "");
	LLVMValueRef at = tgt_mad(c, tgt_mad(c, c4, d->np * 16, l), 4, NULL);
	for (int r = 0; r < 4; r++) {
		LLVMValueRef v = tgt_load(c, c->ti8, k->x, LLVMBuildNSWAdd(b, row[r], src, ""));
		v = LLVMBuildXor(b, v, LLVMConstInt(c->ti8, 0x80, 0), "");
		tgt_store(c, v, k->s, LLVMBuildNSWAdd(b, at, tgt_cidx(c, r), ""));
	}
	tgt_loop_close(c, &ll);
}

/* Packs the panel of pixels p0 .. p0 + np*16 - 1 of batch element in into
 * the scratch: [C4][np][16 pixels][4 channels] bytes of u (a channel past C
 * reads channel C - 1, whose weight is 0; a pixel past P reads 0). */
static void conv_pack(Cg *c, Kern *k)
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	LLVMValueRef lo[32], mix[64], x80[64];
	Loop lc;

	for (int i = 0; i < 32; i++)
		lo[i] = tgt_c32(c, i);
	for (int i = 0; i < 64; i++) /* byte 4p + r: channel r's pixel p */
		mix[i] = tgt_c32(c, (i % 4) * 16 + i / 4), x80[i] = LLVMConstInt(c->ti8, 0x80, 0);
	LLVMTypeRef t64 = LLVMVectorType(c->ti8, 64);
	LLVMValueRef xbase = tgt_mad(c, k->in, d->C * d->HW, NULL);
	LLVMValueRef c4 = tgt_upto(c, &lc, d->C4);
	LLVMValueRef row[4];
	for (int r = 0; r < 4; r++) {
		LLVMValueRef ch = tgt_mad(c, c4, 4, tgt_cidx(c, r));
		if (d->C % 4 && r >= d->C % 4)
			ch = LLVMBuildSelect(
			        b, LLVMBuildICmp(b, LLVMIntSLT, ch, tgt_cidx(c, d->C), ""), ch,
			        tgt_cidx(c, d->C - 1), "");
		row[r] = tgt_mad(c, ch, d->HW, xbase);
	}
	if (d->strided) {
		pack_strided(c, k, c4, row);
		tgt_loop_close(c, &lc);
		return;
	}
	for (int v = 0; v < d->np; v++) {
		LLVMValueRef px = LLVMBuildNSWAdd(b, k->p0, tgt_cidx(c, 16 * v), ""), u[4];
		for (int r = 0; r < 4; r++)
			u[r] = masked(c, k, k->x, LLVMBuildNSWAdd(b, row[r], px, ""),
			              LLVMBuildNSWAdd(b, row[r], tgt_cidx(c, d->HW), ""), NULL);
		LLVMValueRef a = LLVMBuildShuffleVector(b, u[0], u[1], LLVMConstVector(lo, 32), "");
		LLVMValueRef e = LLVMBuildShuffleVector(b, u[2], u[3], LLVMConstVector(lo, 32), "");
		LLVMValueRef m = LLVMBuildShuffleVector(b, a, e, LLVMConstVector(mix, 64), "");
		m = LLVMBuildXor(b, m, LLVMConstVector(x80, 64), "");
		LLVMValueRef at = tgt_gep(c, t64, k->s, tgt_mad(c, c4, d->np, tgt_cidx(c, v)));
		LLVMSetAlignment(LLVMBuildStore(b, m, at), 64);
	}
	tgt_loop_close(c, &lc);
}

/* Output channels oc0 .. oc0 + nt - 1 at the panel's np pixel vectors. */
static void conv_group(Cg *c, void *kv, int nt, LLVMValueRef oc0)
{
	Kern *k = kv;
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	LLVMValueRef oc[OCT_MAX], xv[PV_MAX];
	Loop lc;

	for (int j = 0; j < nt; j++) {
		oc[j] = LLVMBuildNSWAdd(b, oc0, tgt_cidx(c, j), "");
		LLVMValueRef bv = splat(
		        c, tgt_load_al(c, c->ti32, tgt_gep(c, c->ti32, k->q.bias, oc[j]), 4));
		for (int i = 0; i < d->np; i++)
			LLVMBuildStore(b, bv, k->acc[i * nt + j]);
	}
	LLVMValueRef c4 = tgt_upto(c, &lc, d->C4);
	for (int i = 0; i < d->np; i++)
		xv[i] = tgt_load_al(c, k->tv,
		                    tgt_gep(c, k->tv, k->s, tgt_mad(c, c4, d->np, tgt_cidx(c, i))),
		                    64);
	for (int j = 0; j < nt; j++) {
		LLVMValueRef wb = splat(
		        c, tgt_load_al(c, c->ti32,
		                       tgt_gep(c, c->ti32, k->w, tgt_mad(c, oc[j], d->C4, c4)), 4));
		for (int i = 0; i < d->np; i++)
			dot(c, k, k->acc[i * nt + j], xv[i], wb);
	}
	tgt_loop_close(c, &lc);
	for (int j = 0; j < nt; j++) {
		LLVMValueRef yrow = tgt_mad(c, tgt_mad(c, k->in, d->OC, oc[j]), d->P, NULL);
		LLVMValueRef end = LLVMBuildNSWAdd(b, yrow, tgt_cidx(c, d->P), "");
		for (int i = 0; i < d->np; i++) {
			LLVMValueRef a = LLVMBuildLoad2(b, k->tv, k->acc[i * nt + j], "");
			LLVMValueRef px = LLVMBuildNSWAdd(b, k->p0, tgt_cidx(c, 16 * i), "");
			masked(c, k, k->y, LLVMBuildNSWAdd(b, yrow, px, ""), end,
			       requant(c, k, a, oc[j], 0));
		}
	}
}

void tgt_conv1x1_vnni(Cg *c, int n, LLVMValueRef fn)
{
	Geo d;
	Kern k = {.d = &d};
	Loop ln, lq;

	applies(c, &c->g->nodes[n], &d, NULL); /* the chooser took the node */
	open_kernel(c, n, fn, &k, d.OC, d.np * d.nt);
	k.in = tgt_upto(c, &ln, d.N);
	LLVMValueRef q = tgt_upto(c, &lq, (d.P + d.np * 16 - 1) / (d.np * 16));
	k.p0 = tgt_mad(c, q, d.np * 16, NULL);
	if (d.strided)
		k.offs = panel_offsets(c, &k);
	conv_pack(c, &k);
	tgt_block_groups(c, d.OC, d.nt, conv_group, &k);
	tgt_loop_close(c, &lq);
	tgt_loop_close(c, &ln);
}

TGT_APPLIES(tgt_gemm8_vnni_applies, Geo, applies)
TGT_APPLIES(tgt_dense_avx2_applies, Geo, applies_avx2)
TGT_SCRATCH(tgt_gemm8_vnni_scratch, Geo, applies, gemm8_scratch_bytes)
TGT_SCRATCH(tgt_dense_avx2_scratch, Geo, applies_avx2, gemm8_scratch_bytes)
