/* kernel_f32_dw.c — the f32 depthwise conv2d kernel for x86-64 with
 * AVX-512F (16 lanes) or AVX2 (8 lanes), bit for bit the interpreter's.
 *
 * A depthwise layer (groups = C = OC) has one input channel per output
 * channel, so each output element is acc = bias, then acc = acc + x * w over
 * its KH x KW taps, ky then kx ascending (ir/fam_weighted.c).  Nothing is
 * reduced across channels, so the vector lanes hold output pixels along a
 * row: V consecutive ox of one oy, one channel.  V is the machine's lanes,
 * halved (down to 4) while half still covers the row, so that the 6- and
 * 3-pixel rows of a small feature map waste fewer lanes.
 *
 * Per channel the input plane is copied into a zero-padded scratch plane
 * (arena scratch, its size from f32dw_scratch_bytes), its columns split by
 * stride phase: padded column j goes to phase j % sw, index j / sw.  Tap
 * (ky, kx) of output pixels ox .. ox+V-1 then reads V consecutive floats,
 * phase (kx*dw) % sw from index ox + (kx*dw) / sw, for any stride: one
 * unaligned vector load a tap and vector, no gather.  The stride-2 split
 * is vector code too (split2: masked loads of 2V columns, two shuffles,
 * masked stores); other strides copy element by element.  The pad cells are
 * zeroed once a call and never written, so a tap outside the image adds
 * +0 * w = +-0, which changes nothing as long as acc is never -0; that
 * holds when the bias is not -0 or NaN and every weight is finite
 * (kernel_f32.c's header says why), so tgt_f32_constants_ok guards it.
 *
 * A tile is R output rows x XT vectors of one channel (R * XT accumulator
 * chains, enough to hide the fadd latency); per tap (a loop) a broadcast
 * weight times a loaded vector, fmul then fadd (no FMA: the interpreter
 * rounds twice).  The last tile of the rows or of the vectors is moved
 * back to end at the last one (it recomputes some of the tile before and
 * stores the same bits again), so that a tile's loads are one base address
 * plus constants.  The fused
 * activation is applied on the vectors; lanes past OW are masked off the
 * store.  Layers with a fused max-pool go to the generic loop.
 */
#include <string.h>

#include "targets.h"

enum {
	XT_MAX = 4,            /* vectors along a row per tile */
	R_MAX = 12,            /* rows per tile */
};

typedef struct {
	ConvGeo cg;
	int L, V;           /* machine lanes; lanes used (V <= L) */
	int64_t XV;         /* vectors per output row */
	int64_t Hs, PW, RS; /* scratch rows, phase width, row stride (sw * PW) */
	int R, XT;          /* tile: rows x vectors */
} Geo;

/* The scratch plane's bytes: one call, one place (the arena move). */
static int64_t f32dw_scratch_bytes(const Geo *d)
{
	return d->Hs * d->RS * 4;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static int applies(Cg *c, const Node *nd, Geo *d, const char **why)
{
	int64_t Hp, Wp;

	d->L = tgt_f32_lanes(c->tm); /* 4 on AArch64 (kernel_neon_f32.c) */
	if (tgt_conv_geo(c, nd, &d->cg, why))
		return 0;
	if (ir_has_pool(nd))
		return tgt_decline(why, "fused max-pool");
	if (!tgt_f32_constants_ok(c->g, nd))
		return tgt_decline(why, "weights not finite or bias -0 or NaN");
	d->V = d->L;
	while (d->V > 4 && d->V / 2 >= d->cg.OW)
		d->V /= 2;
	d->XV = (d->cg.OW + d->V - 1) / d->V;
	tgt_conv_padded(&d->cg, &Hp, &Wp);
	d->Hs = Hp;
	d->PW = max64((Wp + d->cg.sw - 1) / d->cg.sw,
	              d->XV * d->V + (d->cg.KW - 1) * d->cg.dw / d->cg.sw);
	d->RS = d->cg.sw * d->PW;
	/* 8 chains (AVX2's 16 registers), 12 with AVX-512's 32 */
	/* 8 chains (AVX2's 16 registers), 12 with AVX-512's 32; tiles that
	 * cover the rows and the vectors with little overlap */
	d->XT = d->XV < XT_MAX ? (int)d->XV : tgt_tile_pixels(d->XV, XT_MAX);
	int rmax = (d->L == 8 ? 8 : 12) / d->XT; /* 32 registers but AVX2 */
	if (rmax > d->cg.OH)
		rmax = (int)d->cg.OH;
	d->R = tgt_tile_pixels(d->cg.OH, rmax < 1 ? 1 : rmax);
	return 1;
}

static LLVMValueRef splat(Cg *c, LLVMTypeRef tv, LLVMValueRef v)
{
	LLVMValueRef one = LLVMBuildInsertElement(c->b, LLVMGetUndef(tv), v, tgt_c32(c, 0), "");
	unsigned n = LLVMGetVectorSize(tv);

	return LLVMBuildShuffleVector(c->b, one, LLVMGetUndef(tv),
	                              LLVMConstNull(LLVMVectorType(c->ti32, n)), "");
}

/* min(v, hi) for indices: the last tile overlaps the one before. */
static LLVMValueRef clamp_hi(Cg *c, LLVMValueRef v, int64_t hi)
{
	LLVMValueRef h = tgt_cidx(c, hi);

	return LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, v, h, ""), v, h, "");
}

/* A V-lane mask: lanes l < n (an index value). */
static LLVMValueRef lanes_below(Cg *c, const Geo *d, LLVMValueRef n)
{
	LLVMTypeRef ti = LLVMVectorType(c->ti32, (unsigned)d->V);
	LLVMValueRef idx[16];

	for (int l = 0; l < d->V; l++)
		idx[l] = tgt_c32(c, l);
	return LLVMBuildICmp(c->b, LLVMIntSLT, LLVMConstVector(idx, (unsigned)d->V),
	                     splat(c, ti, LLVMBuildTrunc(c->b, n, c->ti32, "")), "");
}

/* Stride 2: one input row (src) split into its even and odd columns with
 * vector shuffles, 2V columns at a time: column ix goes to phase
 * (pl + ix) % 2, index (pl + ix) / 2 of scratch row drow.  Masked loads
 * and stores: nothing past the row is read, no pad cell is written. */
static void split2(Cg *c, const Geo *d, LLVMValueRef s, LLVMValueRef src, LLVMValueRef drow)
{
	const ConvGeo *g = &d->cg;
	LLVMBuilderRef b = c->b;
	int V = d->V;
	LLVMTypeRef tv = LLVMVectorType(c->tf32, (unsigned)V);
	LLVMTypeRef tm = LLVMVectorType(c->ti1, (unsigned)V);
	LLVMTypeRef lt[4] = {c->tptr, c->ti32, tm, tv}, st[4] = {tv, c->tptr, c->ti32, tm};
	LLVMTypeRef tml = LLVMFunctionType(tv, lt, 4, 0),
	            tms = LLVMFunctionType(c->tvoid, st, 4, 0);
	char nl[40], ns[40];
	snprintf(nl, sizeof nl, "llvm.masked.load.v%df32.p0", V);
	snprintf(ns, sizeof ns, "llvm.masked.store.v%df32.p0", V);
	LLVMValueRef fl = tgt_intrinsic(c, nl, tml), fs = tgt_intrinsic(c, ns, tms);
	LLVMValueRef ev[16], od[16];
	Loop lq;

	for (int l = 0; l < V; l++)
		ev[l] = tgt_c32(c, 2 * l), od[l] = tgt_c32(c, 2 * l + 1);
	LLVMValueRef q = tgt_upto(c, &lq, (g->W + 2 * V - 1) / (2 * V));
	LLVMValueRef ix = tgt_mad(c, q, 2 * V, NULL);
	LLVMValueRef left = LLVMBuildNSWSub(b, tgt_cidx(c, g->W), ix, ""); /* > 0 */
	LLVMValueRef half[2];
	for (int i = 0; i < 2; i++) {
		LLVMValueRef at = LLVMBuildNSWAdd(b, ix, tgt_cidx(c, i * V), "");
		LLVMValueRef args[4] = {
		        tgt_gep(c, c->tf32, src, at), tgt_c32(c, 4),
		        lanes_below(c, d, LLVMBuildNSWSub(b, left, tgt_cidx(c, i * V), "")),
		        LLVMConstNull(tv)};
		half[i] = LLVMBuildCall2(b, tml, fl, args, 4, "");
	}
	/* even columns: (left + 1) / 2 of them here, odd: left / 2 (at most V) */
	for (int o = 0; o < 2; o++) {
		LLVMValueRef v = LLVMBuildShuffleVector(
		        b, half[0], half[1], LLVMConstVector(o ? od : ev, (unsigned)V), "");
		LLVMValueRef n = LLVMBuildSDiv(b, LLVMBuildNSWAdd(b, left, tgt_cidx(c, 1 - o), ""),
		                               tgt_cidx(c, 2), "");
		LLVMValueRef at = LLVMBuildNSWAdd(
		        b, drow,
		        tgt_mad(c, q, V, tgt_cidx(c, ((g->pl + o) % 2) * d->PW + (g->pl + o) / 2)),
		        "");
		LLVMValueRef args[4] = {v, tgt_gep(c, c->tf32, s, at), tgt_c32(c, 4),
		                        lanes_below(c, d, n)};
		LLVMBuildCall2(b, tms, fs, args, 4, "");
	}
	tgt_loop_close(c, &lq);
}

/* Copies plane (x + plane * H * W) into the scratch's interior, by phase. */
static void fill_plane(Cg *c, const Geo *d, LLVMValueRef s, LLVMValueRef x, LLVMValueRef plane)
{
	const ConvGeo *g = &d->cg;
	LLVMBuilderRef b = c->b;
	Loop lh, lk;
	LLVMValueRef h = tgt_upto(c, &lh, g->H);
	LLVMValueRef src = tgt_mad(c, tgt_mad(c, plane, g->H, h), g->W, NULL);
	LLVMValueRef drow = tgt_mad(c, h, d->RS, tgt_cidx(c, g->pt * d->RS));

	if (g->sw == 2) {
		split2(c, d, s, tgt_gep(c, c->tf32, x, src), drow);
	} else if (g->sw == 1) {
		tgt_copy(c,
		         tgt_gep(c, c->tf32, s, LLVMBuildNSWAdd(b, drow, tgt_cidx(c, g->pl), "")),
		         4, tgt_gep(c, c->tf32, x, src), 4, g->W * 4, 0);
	} else {
		/* phase ph holds the columns ix = ix0 + k*sw, at index (pl + ix0) / sw + k */
		for (int64_t ph = 0; ph < g->sw; ph++) {
			int64_t ix0 = ((ph - g->pl) % g->sw + g->sw) % g->sw;
			if (ix0 >= g->W)
				continue;
			int64_t cnt = (g->W - ix0 + g->sw - 1) / g->sw;
			LLVMValueRef k = tgt_upto(c, &lk, cnt);
			LLVMValueRef v = tgt_load(
			        c, c->tf32, x,
			        tgt_mad(c, k, g->sw,
			                LLVMBuildNSWAdd(b, src, tgt_cidx(c, ix0), "")));
			tgt_store(c, v, s,
			          tgt_mad(c, k, 1,
			                  LLVMBuildNSWAdd(
			                          b, drow,
			                          tgt_cidx(c, ph * d->PW + (g->pl + ix0) / g->sw),
			                          "")));
			tgt_loop_close(c, &lk);
		}
	}
	tgt_loop_close(c, &lh);
}

void tgt_conv2d_f32_dw(Cg *c, int n, LLVMValueRef fn)
{
	const Node *nd = &c->g->nodes[n];
	const ConvGeo *g;
	LLVMBuilderRef b = c->b;
	Geo d;
	Loop ln, lc, lr, lx, lt;

	applies(c, nd, &d, NULL); /* the chooser took the node */
	g = &d.cg;
	if (d.V == 16) /* 512-bit vectors stay legal where the CPU prefers 256-bit ones */
		LLVMAddAttributeAtIndex(
		        fn, LLVMAttributeFunctionIndex,
		        LLVMCreateStringAttribute(c->ctx, "min-legal-vector-width", 22, "512", 3));
	LLVMTypeRef tv = LLVMVectorType(c->tf32, (unsigned)d.V);
	LLVMTypeRef tm = LLVMVectorType(c->ti1, (unsigned)d.V);
	LLVMTypeRef tvi = LLVMVectorType(c->ti32, (unsigned)d.V);
	LLVMTypeRef ms[4] = {tv, c->tptr, c->ti32, tm};
	LLVMTypeRef tms = LLVMFunctionType(c->tvoid, ms, 4, 0);
	char mname[40];
	snprintf(mname, sizeof mname, "llvm.masked.store.v%df32.p0", d.V);
	LLVMValueRef mstore = tgt_intrinsic(c, mname, tms);
	LLVMValueRef x = LLVMGetParam(fn, 0), y = LLVMGetParam(fn, 1);
	LLVMValueRef w = tgt_const_value(c, nd->in[1], NULL, "wdw", n);
	LLVMValueRef bias = nd->nin > 2 ? tgt_const_value(c, nd->in[2], NULL, "bdw", n) : NULL;
	LLVMValueRef s = tgt_arena_scratch(c, 0); /* f32dw_scratch_bytes */
	int64_t taps = g->KH * g->KW;
	LLVMValueRef lane[16];

	for (int i = 0; i < d.V; i++)
		lane[i] = tgt_c32(c, i);
	LLVMValueRef iota = LLVMConstVector(lane, (unsigned)d.V);
	LLVMValueRef acc[R_MAX][XT_MAX];
	for (int i = 0; i < d.R; i++)
		for (int j = 0; j < d.XT; j++)
			acc[i][j] = tgt_alloca(c, tv, 1);
	LLVMBuildMemSet(b, s, LLVMConstInt(c->ti8, 0, 0), tgt_cidx(c, f32dw_scratch_bytes(&d)), 64);

	LLVMValueRef in = tgt_upto(c, &ln, g->N);
	LLVMValueRef ch = tgt_upto(c, &lc, g->C);
	LLVMValueRef plane = tgt_mad(c, in, g->C, ch);
	fill_plane(c, &d, s, x, plane);
	LLVMValueRef bv = splat(c, tv,
	                        bias ? tgt_load(c, c->tf32, bias, ch) : LLVMConstReal(c->tf32, 0));
	LLVMValueRef wch = tgt_mad(c, ch, taps, NULL);
	LLVMValueRef rt = tgt_upto(c, &lr, (g->OH + d.R - 1) / d.R);
	LLVMValueRef xt = tgt_upto(c, &lx, (d.XV + d.XT - 1) / d.XT);
	LLVMValueRef oy[R_MAX], xv[XT_MAX];
	LLVMValueRef r0 = clamp_hi(c, tgt_mad(c, rt, d.R, NULL), g->OH - d.R);
	LLVMValueRef v0 = clamp_hi(c, tgt_mad(c, xt, d.XT, NULL), d.XV - d.XT);
	for (int i = 0; i < d.R; i++)
		oy[i] = LLVMBuildNSWAdd(b, r0, tgt_cidx(c, i), "");
	for (int j = 0; j < d.XT; j++) {
		xv[j] = LLVMBuildNSWAdd(b, v0, tgt_cidx(c, j), "");
		for (int i = 0; i < d.R; i++)
			LLVMBuildStore(b, bv, acc[i][j]);
	}
	/* tap t = (ky, kx), ascending: a loop, so that the products of one tap
	 * are scheduled with their additions (unrolled, LLVM hoists them all
	 * and spills) */
	LLVMValueRef t = tgt_upto(c, &lt, taps);
	LLVMValueRef ky = LLVMBuildUDiv(b, t, tgt_cidx(c, g->KW), "");
	LLVMValueRef col = tgt_mad(c, LLVMBuildURem(b, t, tgt_cidx(c, g->KW), ""), g->dw, NULL);
	LLVMValueRef off = tgt_mad(
	        c, LLVMBuildURem(b, col, tgt_cidx(c, g->sw), ""), d.PW,
	        tgt_mad(c, ky, g->dh * d.RS, LLVMBuildUDiv(b, col, tgt_cidx(c, g->sw), "")));
	LLVMValueRef wt = splat(c, tv, tgt_load(c, c->tf32, w, LLVMBuildNSWAdd(b, wch, t, "")));
	for (int i = 0; i < d.R; i++) {
		/* scratch row oy*sh + ky*dh */
		LLVMValueRef row = tgt_mad(c, oy[i], g->sh * d.RS, off);
		for (int j = 0; j < d.XT; j++) {
			LLVMValueRef p = tgt_gep(c, c->tf32, s, tgt_mad(c, xv[j], d.V, row));
			LLVMValueRef xs = tgt_load_al(c, tv, p, 4);
			/* acc = acc + x * w: separate fmul and fadd, acc first */
			LLVMBuildStore(b,
			               LLVMBuildFAdd(b, LLVMBuildLoad2(b, tv, acc[i][j], ""),
			                             LLVMBuildFMul(b, xs, wt, ""), ""),
			               acc[i][j]);
		}
	}
	tgt_loop_close(c, &lt);
	for (int i = 0; i < d.R; i++) {
		LLVMValueRef yrow = tgt_mad(
		        c, LLVMBuildNSWAdd(b, tgt_mad(c, plane, g->OH, NULL), oy[i], ""), g->OW,
		        NULL);
		for (int j = 0; j < d.XT; j++) {
			LLVMValueRef x0 = tgt_mad(c, xv[j], d.V, NULL);
			/* lanes with x0 + lane < OW */
			LLVMValueRef left = LLVMBuildTrunc(
			        b, LLVMBuildSub(b, tgt_cidx(c, g->OW), x0, ""), c->ti32, "");
			LLVMValueRef mask = LLVMBuildICmp(b, LLVMIntSLT, iota, splat(c, tvi, left),
			                                  "");
			LLVMValueRef args[4] = {
			        tgt_act_f32(c, LLVMBuildLoad2(b, tv, acc[i][j], ""), nd->a.act),
			        tgt_gep(c, c->tf32, y, LLVMBuildNSWAdd(b, yrow, x0, "")),
			        tgt_c32(c, 4), mask};
			LLVMBuildCall2(b, tms, mstore, args, 4, "");
		}
	}
	tgt_loop_close(c, &lx);
	tgt_loop_close(c, &lr);
	tgt_loop_close(c, &lc);
	tgt_loop_close(c, &ln);
}

TGT_APPLIES(tgt_conv2d_f32_dw_applies, Geo, applies)
TGT_SCRATCH(tgt_conv2d_f32_dw_scratch, Geo, applies, f32dw_scratch_bytes)
