/* kernel_armm.c — int8 conv2d and dense kernels for Cortex-M with the DSP
 * extension (thumbv7em with +dsp: cortex-m4, cortex-m7).
 *
 * LLVM does not form SMLAD from plain loops, so this file emits it itself:
 * llvm.arm.smlad(a, b, acc) = acc + lo(a)*lo(b) + hi(a)*hi(b) on signed
 * 16-bit halves.  The ARM ARM computes that sum exactly and writes its low
 * 32 bits (an overflow only sets the sticky Q flag, which nothing reads), so
 * it wraps exactly as the interpreter's i32 accumulator: the order of the
 * additions does not matter modulo 2^32.  llvm.arm.sxtb16(v) sign-extends
 * bytes 0 and 2 of v into the two halves; of v rotated right by 8 it
 * extends bytes 1 and 3.
 *
 * conv2d (int8, one group): per pair of output pixels, an im2col column of
 * x - zx as int16 is built on the stack for each pixel, in the weights'
 * [C][KH][KW] order (a tap outside the input is 0, the padding of K up to a
 * multiple of 4 too), so no zero point correction remains: |x - zx| <= 255,
 * |w| <= 128, one SMLAD adds at most 2 * 255 * 128 < 2^16 to the exact sum.
 * The two columns share one buffer, [K/4][2 pixels][4 halves], so that one
 * pointer walks both.  Weights are repacked at compile time per pair of
 * output channels to [OC/2][K/4][2 channels][4 bytes], the bytes of
 * k .. k+3 stored as w[k], w[k+2], w[k+1], w[k+3]: sxtb16 of the word gives
 * (w[k], w[k+1]), matching the column word (c[k], c[k+1]), and sxtb16 of it
 * rotated gives (w[k+2], w[k+3]).  The inner loop is a 2 channels x 2
 * pixels register tile: 4 loads, 4 sxtb16, 8 SMLAD per 16 MACs.  An odd OC
 * gets a zero weight row whose result is not stored; an odd pixel count
 * computes the last pixel twice.  The columns take 4 * roundup(K, 4) bytes
 * of the node's arena scratch (plan-memory's; the stack stays small).
 *
 * A fused max-pool (ir_conv_pool) wraps the same steps: the pair of pooled
 * pixels walks its window taps, each tap builds the columns of the two conv
 * pixels and runs the tiles, and the pooled output itself holds the running
 * max of the epilogues (without a pool, the window is 1x1).
 *
 * dense (int8): the activations are used as they are, x*w with x and w both
 * int8, and -zx * sum of w[o] is folded into the bias at compile time
 * (mod 2^32).  One word of x, unaligned (Cortex-M4/M7 LDR allows it; with
 * +strict-align LLVM splits the load), gives (x0, x2) and (x1, x3) through
 * sxtb16; the weight rows, stored in order and padded to a multiple of 4
 * bytes, give (w0, w2) and (w1, w3) the same way.  DR = 4 output rows per
 * loop share the x word (its two sxtb16); in the last group the rows past O
 * read row O - 1 again and are not stored.  The I % 4 last inputs are a
 * scalar tail.  Every product is at most 2^14 in magnitude.
 */
#include <stdlib.h>
#include <string.h>

#include <llvm-c/DebugInfo.h>

#include "targets.h"

enum {
	DR = 4,         /* dense: output rows per loop, sharing each x word */
};

int tgt_armm_zx_ok(Cg *c, const Node *nd, const char **why)
{
	int32_t zx = c->g->vals[nd->in[0]].q.zp;

	/* x - zx must fit an int16 half */
	return (zx >= -128 && zx <= 127) || tgt_decline(why, "x zero point not int8");
}

int tgt_armm_conv_geo(Cg *c, const Node *nd, ConvGeo *g, const char **why)
{
	const Value *y = &c->g->vals[nd->out];

	if (!tgt_armm_zx_ok(c, nd, why))
		return 0;
	if (ir_conv_geo(c->g, nd, g) < 0 || y->shape.d[2] != g->pool.oh ||
	    y->shape.d[3] != g->pool.ow)
		return tgt_decline(why, "invalid geometry");
	return 1;
}

typedef struct {
	LLVMValueRef smlad, sxtb16;
	LLVMTypeRef tsmlad, tsxtb16;
} Dsp;

static void dsp_init(Cg *c, Dsp *p)
{
	LLVMTypeRef a3[3] = {c->ti32, c->ti32, c->ti32};

	p->tsmlad = LLVMFunctionType(c->ti32, a3, 3, 0);
	p->smlad = tgt_intrinsic(c, "llvm.arm.smlad", p->tsmlad);
	p->tsxtb16 = LLVMFunctionType(c->ti32, a3, 1, 0);
	p->sxtb16 = tgt_intrinsic(c, "llvm.arm.sxtb16", p->tsxtb16);
}

/* acc + lo(a)*lo(b) + hi(a)*hi(b), wrapping. */
static LLVMValueRef smlad(Cg *c, const Dsp *p, LLVMValueRef a, LLVMValueRef b, LLVMValueRef acc)
{
	LLVMValueRef args[3] = {a, b, acc};

	return LLVMBuildCall2(c->b, p->tsmlad, p->smlad, args, 3, "");
}

/* sxtb16 of v (odd = 0: bytes 0 and 2) or of v rotated right by 8 (odd = 1:
 * bytes 1 and 3; the rotation folds into the instruction's ror #8). */
static LLVMValueRef sxtb16(Cg *c, const Dsp *p, LLVMValueRef v, int odd)
{
	if (odd)
		v = LLVMBuildOr(c->b, LLVMBuildLShr(c->b, v, LLVMConstInt(c->ti32, 8, 0), ""),
		                LLVMBuildShl(c->b, v, LLVMConstInt(c->ti32, 24, 0), ""), "");
	return LLVMBuildCall2(c->b, p->tsxtb16, p->sxtb16, &v, 1, "");
}

/* t at element i of base, aligned to al. */
static LLVMValueRef load_at(Cg *c, LLVMTypeRef t, LLVMValueRef base, LLVMValueRef i, unsigned al)
{
	return tgt_load_al(c, t, tgt_gep(c, t, base, i), al);
}

/* Marks the back branch br llvm.loop.unroll.disable. */
static void no_unroll(Cg *c, LLVMValueRef br)
{
	LLVMMetadataRef tmp = LLVMTemporaryMDNode(c->ctx, NULL, 0);
	LLVMMetadataRef dis = LLVMMDStringInContext2(c->ctx, "llvm.loop.unroll.disable", 24);
	LLVMMetadataRef ops[2] = {tmp, LLVMMDNodeInContext2(c->ctx, &dis, 1)};
	LLVMMetadataRef id = LLVMMDNodeInContext2(c->ctx, ops, 2);

	/* the loop id names itself (operand 0), as LoopInfo expects */
	LLVMMetadataReplaceAllUsesWith(tmp, id);
	LLVMSetMetadata(br, LLVMGetMDKindIDInContext(c->ctx, "llvm.loop", 9),
	                LLVMMetadataAsValue(c->ctx, id));
}

/* ---- conv2d ---------------------------------------------------------------- */

typedef struct {
	ConvGeo cg;         /* with the fused max-pool, or the identity (1x1) */
	int64_t K, K4, OC2; /* K = C*KH*KW; K4 words of 4; OC2 channel pairs */
	int pooled;
	int64_t P;          /* result pixels: pool.oh * pool.ow */
} Geo;

/* The shapes the im2col kernel takes beyond its registry row (kernels.c);
 * fills d. */
static int conv_applies(Cg *c, const Node *nd, Geo *d, const char **why)
{
	if (!tgt_armm_conv_geo(c, nd, &d->cg, why))
		return 0;
	d->pooled = ir_has_pool(nd);
	d->K = d->cg.C * d->cg.KH * d->cg.KW, d->K4 = (d->K + 3) / 4;
	d->OC2 = (d->cg.OC + 1) / 2, d->P = d->cg.pool.oh * d->cg.pool.ow;
	if (d->P < 1)
		return tgt_decline(why, "no pixels");
	return 1;
}

/* The arena scratch: the two im2col columns, K4 words of 2 i16 each. */
static int64_t smlad_scratch_bytes(const Geo *d)
{
	return d->K4 * 16;
}

TGT_APPLIES(tgt_conv2d_smlad_applies, Geo, conv_applies)
TGT_SCRATCH(tgt_conv2d_smlad_scratch, Geo, conv_applies, smlad_scratch_bytes)

/* [OC2][K4][2][4] bytes, each word's bytes in the order k, k+2, k+1, k+3. */
static LLVMValueRef conv_weights(Cg *c, const Node *nd, const Geo *d, int id)
{
	const int8_t *w = c->g->vals[nd->in[1]].data;
	size_t len = (size_t)(d->OC2 * d->K4 * 8);
	unsigned char *buf = ir_xcalloc(len, 1);
	static const int slot[4] = {0, 2, 1, 3};

	for (int64_t oc = 0; oc < d->cg.OC; oc++)
		for (int64_t k = 0; k < d->K; k++) {
			int64_t word = ((oc / 2) * d->K4 + k / 4) * 2 + oc % 2;
			buf[word * 4 + slot[k % 4]] = (unsigned char)w[oc * d->K + k];
		}
	return tgt_const_packed(c, "wsmlad", id, buf, len);
}

typedef struct {
	const Geo *d;
	Dsp dsp;
	Epilogue e;
	LLVMValueRef x, y, w, bias, col, acc[2][2], xbase, ybase;
	LLVMValueRef have[2]; /* pooled: i1, a tap of pixel i was stored */
	LLVMValueRef valid[2], first[2]; /* pooled: this tap is in the conv output; none before */
	LLVMValueRef zp;      /* the output zero point, i8 */
} Kern;

/* Column pix (0, 1) of conv output pixel (oy, ox), which may lie outside
 * the output (a pool tap that is not used; every load stays in x): element k = (ci*KH + ky)*KW + kx is
 * x - zx, or 0 for a tap outside the input (its load reads element 0
 * instead), at int16 index (k/4)*8 + pix*4 + k%4 of the shared buffer: the
 * two pixels' words of one k/4 are adjacent, one pointer walks both. */
static void build_col(Cg *c, Kern *k, int pix, LLVMValueRef oy, LLVMValueRef ox)
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	Loop lc, ly, lx;
	LLVMValueRef ci = tgt_upto(c, &lc, d->cg.C);
	LLVMValueRef plane = tgt_mad(c, ci, d->cg.H, k->xbase);
	LLVMValueRef ky = tgt_upto(c, &ly, d->cg.KH);
	LLVMValueRef iy = tgt_mad(c, oy, d->cg.sh,
	                          tgt_mad(c, ky, d->cg.dh, tgt_cidx(c, -d->cg.pt)));
	LLVMValueRef oky = LLVMBuildICmp(b, LLVMIntULT, iy, tgt_cidx(c, d->cg.H), "");
	LLVMValueRef row = tgt_mad(c, LLVMBuildAdd(b, plane, iy, ""), d->cg.W, NULL);
	LLVMValueRef kx = tgt_upto(c, &lx, d->cg.KW);
	LLVMValueRef ix = tgt_mad(c, ox, d->cg.sw,
	                          tgt_mad(c, kx, d->cg.dw, tgt_cidx(c, -d->cg.pl)));
	LLVMValueRef ok = LLVMBuildAnd(
	        b, oky, LLVMBuildICmp(b, LLVMIntULT, ix, tgt_cidx(c, d->cg.W), ""), "");
	LLVMValueRef at = LLVMBuildSelect(b, ok, LLVMBuildAdd(b, row, ix, ""), tgt_cidx(c, 0), "");
	LLVMValueRef v = LLVMBuildSExt(b, tgt_load(c, c->ti8, k->x, at), c->ti16, "");
	v = LLVMBuildSub(b, v, LLVMConstInt(c->ti16, (unsigned long long)(int64_t)k->e.in_zp, 1),
	                 "");
	v = LLVMBuildSelect(b, ok, v, LLVMConstNull(c->ti16), "");
	LLVMValueRef kk = tgt_mad(c, tgt_mad(c, ci, d->cg.KH, ky), d->cg.KW, kx);
	LLVMValueRef at4 = LLVMBuildAnd(b, kk, tgt_cidx(c, 3), "");
	LLVMValueRef ci8 = tgt_mad(c, LLVMBuildLShr(b, kk, tgt_cidx(c, 2), ""), 8,
	                           tgt_cidx(c, pix * 4));
	tgt_store(c, v, k->col, LLVMBuildAdd(b, ci8, at4, ""));
	tgt_loop_close(c, &lx);
	tgt_loop_close(c, &ly);
	tgt_loop_close(c, &lc);
}

/* One step of a pointer phi: p + by bytes. */
static LLVMValueRef step(Cg *c, LLVMValueRef p, int64_t by)
{
	LLVMValueRef off = tgt_cidx(c, by);

	return LLVMBuildInBoundsGEP2(c->b, c->ti8, p, &off, 1, "");
}

/* The 2x2 tile of channel pair q over the two columns: acc[pixel][channel]
 * = bias + the SMLADs of every word of the column and the weights.  The
 * loop walks two pointers, by 16 bytes over the columns' 4 words and by 8
 * over the channel pair's 2 weight words, and counts down, K4 >= 1 times,
 * not unrolled (unrolled, it needs more than the 13 registers and spills). */
static void tile(Cg *c, Kern *k, LLVMValueRef q)
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	LLVMBasicBlockRef pre = LLVMGetInsertBlock(b);
	LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "smlad");
	LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "smlad.done");
	LLVMValueRef p0[3], ph[3], nx[3];

	for (int j = 0; j < 2; j++) {
		LLVMValueRef bv = load_at(c, c->ti32, k->bias, tgt_mad(c, q, 2, tgt_cidx(c, j)), 4);
		for (int i = 0; i < 2; i++)
			LLVMBuildStore(b, bv, k->acc[i][j]);
	}
	p0[0] = k->col;
	p0[1] = tgt_gep(c, c->ti8, k->w, tgt_mad(c, q, d->K4 * 8, NULL));
	p0[2] = tgt_cidx(c, d->K4);
	LLVMBuildBr(b, body);
	LLVMPositionBuilderAtEnd(b, body);
	for (int i = 0; i < 3; i++) {
		ph[i] = LLVMBuildPhi(b, i < 2 ? c->tptr : c->tidx, "");
		LLVMAddIncoming(ph[i], &p0[i], &pre, 1);
	}
	/* halves h = 0, 1 of the words in turn, so that fewer values are live */
	for (int h = 0; h < 2; h++) {
		LLVMValueRef wp[2], xp[2];
		for (int j = 0; j < 2; j++)
			wp[j] = sxtb16(c, &k->dsp, load_at(c, c->ti32, ph[1], tgt_cidx(c, j), 4),
			               h);
		for (int i = 0; i < 2; i++)
			xp[i] = load_at(c, c->ti32, ph[0], tgt_cidx(c, 2 * i + h), 4);
		for (int i = 0; i < 2; i++)
			for (int j = 0; j < 2; j++) {
				LLVMValueRef a = LLVMBuildLoad2(b, c->ti32, k->acc[i][j], "");
				LLVMBuildStore(b, smlad(c, &k->dsp, xp[i], wp[j], a), k->acc[i][j]);
			}
	}
	nx[0] = step(c, ph[0], 16);
	nx[1] = step(c, ph[1], 8);
	nx[2] = LLVMBuildNSWSub(b, ph[2], tgt_cidx(c, 1), "");
	LLVMBasicBlockRef latch = LLVMGetInsertBlock(b);
	for (int i = 0; i < 3; i++)
		LLVMAddIncoming(ph[i], &nx[i], &latch, 1);
	LLVMValueRef br = LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntNE, nx[2], tgt_cidx(c, 0), ""),
	                                  body, done);
	no_unroll(c, br);
	LLVMPositionBuilderAtEnd(b, done);
}

/* y[n, oc, p] = epilogue(acc) for the tile's channels below OC; pooled,
 * y[n, oc, p] takes the max with it when the tap is in the output (the
 * first such tap stores it as is): the pooled output is its own running
 * max, the order of the taps does not matter for an integer max. */
static void store_tile(Cg *c, Kern *k, LLVMValueRef q, LLVMValueRef p[2])
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;

	for (int j = 0; j < 2; j++) {
		LLVMValueRef oc = tgt_mad(c, q, 2, tgt_cidx(c, j));
		If f;
		/* only the last pair of an odd OC has a channel to skip */
		if (j == 1 && d->cg.OC % 2)
			tgt_if_open(c, &f,
			            LLVMBuildICmp(b, LLVMIntULT, oc, tgt_cidx(c, d->cg.OC), ""));
		for (int i = 0; i < 2; i++) {
			LLVMValueRef r = tgt_epilogue(
			        c, &k->e, LLVMBuildLoad2(b, c->ti32, k->acc[i][j], ""), oc);
			LLVMValueRef at = tgt_mad(c, LLVMBuildAdd(b, k->ybase, oc, ""), d->P, p[i]);
			if (d->pooled) {
				LLVMValueRef old = tgt_load(c, c->ti8, k->y, at);
				LLVMValueRef gt = LLVMBuildOr(
				        b, k->first[i], LLVMBuildICmp(b, LLVMIntSGT, r, old, ""),
				        "");
				r = LLVMBuildSelect(b, LLVMBuildAnd(b, k->valid[i], gt, ""), r, old,
				                    "");
			}
			tgt_store(c, r, k->y, at);
		}
		if (j == 1 && d->cg.OC % 2)
			tgt_if_close(c, &f);
	}
}

/* The columns of the two conv pixels at window tap (ky, kx) of result
 * pixels p (the identity pool: the pixels themselves), and every channel
 * pair's tile and epilogue. */
static void window_tap(Cg *c, Kern *k, LLVMValueRef p[2], LLVMValueRef ky, LLVMValueRef kx)
{
	const Geo *d = k->d;
	const ConvPool *pl = &d->cg.pool;
	LLVMBuilderRef b = c->b;
	Loop lq;

	for (int i = 0; i < 2; i++) {
		LLVMValueRef py = LLVMBuildUDiv(b, p[i], tgt_cidx(c, pl->ow), "");
		LLVMValueRef px = LLVMBuildURem(b, p[i], tgt_cidx(c, pl->ow), "");
		LLVMValueRef cy = tgt_mad(c, py, pl->sh,
		                          tgt_mad(c, ky, pl->dh, tgt_cidx(c, -pl->pt)));
		LLVMValueRef cx = tgt_mad(c, px, pl->sw,
		                          tgt_mad(c, kx, pl->dw, tgt_cidx(c, -pl->pl)));
		if (d->pooled) {
			LLVMValueRef h = LLVMBuildLoad2(b, c->ti1, k->have[i], "");
			k->valid[i] = LLVMBuildAnd(
			        b, LLVMBuildICmp(b, LLVMIntULT, cy, tgt_cidx(c, d->cg.OH), ""),
			        LLVMBuildICmp(b, LLVMIntULT, cx, tgt_cidx(c, d->cg.OW), ""), "");
			k->first[i] = LLVMBuildNot(b, h, "");
			LLVMBuildStore(b, LLVMBuildOr(b, h, k->valid[i], ""), k->have[i]);
		}
		build_col(c, k, i, cy, cx);
	}
	LLVMValueRef q = tgt_upto(c, &lq, d->OC2);
	tile(c, k, q);
	store_tile(c, k, q, p);
	tgt_loop_close(c, &lq);
}

/* Pooled: a result pixel whose window held no conv pixel is the zero point
 * (maxpool2d's empty window). */
static void empty_windows(Cg *c, Kern *k, LLVMValueRef p[2])
{
	const Geo *d = k->d;

	for (int i = 0; i < 2; i++) {
		If f;
		Loop lo;
		tgt_if_open(c, &f,
		            LLVMBuildNot(c->b, LLVMBuildLoad2(c->b, c->ti1, k->have[i], ""), ""));
		LLVMValueRef oc = tgt_upto(c, &lo, d->cg.OC);
		tgt_store(c, k->zp, k->y,
		          tgt_mad(c, LLVMBuildAdd(c->b, k->ybase, oc, ""), d->P, p[i]));
		tgt_loop_close(c, &lo);
		tgt_if_close(c, &f);
	}
}

void tgt_conv2d_smlad(Cg *c, int n, LLVMValueRef fn)
{
	const Node *nd = &c->g->nodes[n];
	Geo d;
	Kern k = {.d = &d};
	Loop ln, lp, lky, lkx;

	conv_applies(c, nd, &d, NULL); /* the chooser took the node */
	tgt_epilogue_init(c, n, &k.e);
	dsp_init(c, &k.dsp);
	k.w = conv_weights(c, nd, &d, n);
	k.bias = tgt_fold_bias(c, nd, d.OC2 * 2, 0, "bsmlad", n);
	k.col = tgt_arena_scratch(c, 0); /* smlad_scratch_bytes */
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			k.acc[i][j] = tgt_alloca(c, c->ti32, 1);
	for (int i = 0; d.pooled && i < 2; i++)
		k.have[i] = tgt_alloca(c, c->ti1, 1);
	k.zp = LLVMConstInt(c->ti8, (unsigned long long)(int64_t)k.e.rq.zp, 1);
	k.x = LLVMGetParam(fn, 0), k.y = LLVMGetParam(fn, 1);
	/* the columns' padding words stay 0 */
	LLVMBuildMemSet(c->b, k.col, LLVMConstInt(c->ti8, 0, 0), tgt_cidx(c, d.K4 * 16), 8);

	LLVMValueRef in = tgt_upto(c, &ln, d.cg.N);
	k.xbase = tgt_mad(c, in, d.cg.C * d.cg.H, NULL);
	k.ybase = tgt_mad(c, in, d.cg.OC, NULL);
	LLVMValueRef pp = tgt_upto(c, &lp, (d.P + 1) / 2);
	LLVMValueRef p[2], last = tgt_cidx(c, d.P - 1);
	p[0] = tgt_mad(c, pp, 2, NULL);
	p[1] = LLVMBuildAdd(c->b, p[0], tgt_cidx(c, 1), "");
	p[1] = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntULT, p[1], last, ""), p[1], last,
	                       "");
	for (int i = 0; d.pooled && i < 2; i++)
		LLVMBuildStore(c->b, LLVMConstInt(c->ti1, 0, 0), k.have[i]);
	LLVMValueRef ky = tgt_upto(c, &lky, d.cg.pool.kh);
	LLVMValueRef kx = tgt_upto(c, &lkx, d.cg.pool.kw);
	window_tap(c, &k, p, ky, kx);
	tgt_loop_close(c, &lkx);
	tgt_loop_close(c, &lky);
	if (d.pooled)
		empty_windows(c, &k, p);
	tgt_loop_close(c, &lp);
	tgt_loop_close(c, &ln);
}

/* ---- dense ----------------------------------------------------------------- */

/* Rows [O][I rounded up to 4] bytes, zero-padded. */
static LLVMValueRef dense_weights(Cg *c, const Node *nd, int64_t I4, int id)
{
	const Value *wv = &c->g->vals[nd->in[1]];
	const int8_t *w = wv->data;
	int64_t O = wv->shape.d[0], I = wv->shape.d[1];
	unsigned char *buf = ir_xcalloc((size_t)(O * I4 * 4), 1);

	for (int64_t o = 0; o < O; o++)
		for (int64_t i = 0; i < I; i++)
			buf[o * I4 * 4 + i] = (unsigned char)w[o * I + i];
	char name[320];
	snprintf(name, sizeof name, "%s.wsmlad%d", c->name, id);
	LLVMValueRef gv = tgt_const_of(c, nd->in[1], name, buf, (size_t)(O * I4 * 4));
	free(buf);
	return gv;
}

int tgt_dense_smlad_applies(Cg *c, const Node *nd, const char **why)
{
	return tgt_armm_zx_ok(c, nd, why);
}

void tgt_dense_smlad(Cg *c, int n, LLVMValueRef fn)
{
	LLVMValueRef x = LLVMGetParam(fn, 0), y = LLVMGetParam(fn, 1);
	const Node *nd = &c->g->nodes[n];
	const Value *xv = &c->g->vals[nd->in[0]];
	LLVMBuilderRef b = c->b;
	Dsp dsp;
	Epilogue e;
	Loop ln, lo, li, lt;
	LLVMValueRef acc[DR];

	int64_t N = xv->shape.d[0], I = xv->shape.d[1], O = c->g->vals[nd->in[1]].shape.d[0];
	int64_t OR = (O + DR - 1) / DR, I4 = (I + 3) / 4, stride = I4 * 4;
	tgt_epilogue_init(c, n, &e);
	dsp_init(c, &dsp);
	LLVMValueRef w = dense_weights(c, nd, I4, n);
	LLVMValueRef bias = tgt_fold_bias(c, nd, OR * DR, xv->q.zp, "bsmlad", n);
	for (int j = 0; j < DR; j++)
		acc[j] = tgt_alloca(c, c->ti32, 1);

	LLVMValueRef in = tgt_upto(c, &ln, N);
	LLVMValueRef xrow = tgt_mad(c, in, I, NULL);
	LLVMValueRef q = tgt_upto(c, &lo, OR);
	LLVMValueRef wrow[DR];
	for (int j = 0; j < DR; j++) {
		LLVMValueRef o = tgt_mad(c, q, DR, tgt_cidx(c, j));
		/* a padding row (o >= O) reuses row O - 1: its sums are not stored */
		LLVMValueRef ow = o;
		if (j >= O % DR && O % DR)
			ow = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntULT, o, tgt_cidx(c, O), ""),
			                     o, tgt_cidx(c, O - 1), "");
		wrow[j] = tgt_mad(c, ow, stride, NULL);
		LLVMBuildStore(b, load_at(c, c->ti32, bias, o, 4), acc[j]);
	}
	/* whole words of x: (x0, x2) and (x1, x3) against the same of w */
	LLVMValueRef i4 = tgt_upto(c, &li, I / 4);
	LLVMValueRef xw = load_at(c, c->ti32, tgt_gep(c, c->ti8, x, xrow), i4, 1);
	LLVMValueRef xe = sxtb16(c, &dsp, xw, 0), xo = sxtb16(c, &dsp, xw, 1);
	for (int j = 0; j < DR; j++) {
		LLVMValueRef ww = load_at(c, c->ti32, tgt_gep(c, c->ti8, w, wrow[j]), i4, 4);
		LLVMValueRef a = LLVMBuildLoad2(b, c->ti32, acc[j], "");
		a = smlad(c, &dsp, xe, sxtb16(c, &dsp, ww, 0), a);
		a = smlad(c, &dsp, xo, sxtb16(c, &dsp, ww, 1), a);
		LLVMBuildStore(b, a, acc[j]);
	}
	LLVMBasicBlockRef latch = LLVMGetInsertBlock(b);
	tgt_loop_close(c, &li);
	no_unroll(c, LLVMGetBasicBlockTerminator(latch));
	if (I % 4) {
		/* the last I % 4 inputs, one by one */
		LLVMValueRef t = tgt_upto(c, &lt, I % 4);
		LLVMValueRef i = LLVMBuildAdd(b, t, tgt_cidx(c, I / 4 * 4), "");
		LLVMValueRef xs = LLVMBuildSExt(
		        b, tgt_load(c, c->ti8, x, LLVMBuildAdd(b, xrow, i, "")), c->ti32, "");
		for (int j = 0; j < DR; j++) {
			LLVMValueRef ws = tgt_load(c, c->ti8, w, LLVMBuildAdd(b, wrow[j], i, ""));
			LLVMValueRef p = LLVMBuildMul(b, xs, LLVMBuildSExt(b, ws, c->ti32, ""), "");
			LLVMBuildStore(
			        b, LLVMBuildAdd(b, LLVMBuildLoad2(b, c->ti32, acc[j], ""), p, ""),
			        acc[j]);
		}
		tgt_loop_close(c, &lt);
	}
	for (int j = 0; j < DR; j++) {
		LLVMValueRef o = tgt_mad(c, q, DR, tgt_cidx(c, j));
		If f;
		if (j >= O % DR && O % DR)
			tgt_if_open(c, &f, LLVMBuildICmp(b, LLVMIntULT, o, tgt_cidx(c, O), ""));
		LLVMValueRef r = tgt_epilogue(c, &e, LLVMBuildLoad2(b, c->ti32, acc[j], ""), o);
		tgt_store(c, r, y, tgt_mad(c, in, O, o));
		if (j >= O % DR && O % DR)
			tgt_if_close(c, &f);
	}
	tgt_loop_close(c, &lo);
	tgt_loop_close(c, &ln);
}
