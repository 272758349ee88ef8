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
 * pixels register tile: 4 loads, 4 sxtb16, 8 SMLAD per 16 MACs, written as
 * inline assembly (tile_step says why).  A layer of at most WIDE_MAX int8
 * weights stores them as int16 instead, [OC2][K4][2 channels][4 halves],
 * which pair with the column words as they are: 3 ldrd and 8 SMLAD per 16
 * MACs (tile_step_wide), for twice the weight bytes in flash.  The requantization is
 * tgt_armm_requant's where the layer allows (below).  An odd OC
 * gets a zero weight row whose result is not stored; an odd pixel count
 * computes the last pixel twice.  The columns take 4 * roundup(K, 4) bytes
 * of the node's arena scratch (plan-memory's; the stack stays small).
 *
 * A fused max-pool (ir_conv_pool) with windows that do not overlap (2x2
 * stride 2) walks the window taps of each pair of pooled pixels, and the
 * pooled output holds the running max of the epilogues; overlapping
 * windows (3x3 stride 2) would compute conv pixels twice that way, so
 * there each conv row is computed once, into arena scratch, and pooled
 * from a ring of the rows' horizontal maxima (pool_rows).
 *
 * dense (int8): the activations are used as they are, x*w with x and w both
 * int8, and -zx * sum of w[o] is folded into the bias at compile time
 * (mod 2^32).  One word of x, unaligned (Cortex-M4/M7 LDR allows it; with
 * +strict-align LLVM splits the load), gives (x0, x2) and (x1, x3) through
 * sxtb16; the weight rows, stored in order and padded to a multiple of 4
 * bytes, give (w0, w2) and (w1, w3) the same way.  DR = 4 output rows per
 * loop share the x word (its two sxtb16), in inline assembly (dense_steps)
 * when O >= 4 and the rows' offsets fit an ldr immediate: then the last
 * group is rows O - 4 .. O - 1 (some computed and stored twice, the same
 * bytes); else, in the last group the rows past O read row O - 1 again and
 * are not stored.  The I % 4 last inputs are a scalar tail.  Every product
 * is at most 2^14 in magnitude.
 */
#include <stdlib.h>
#include <string.h>

#include "targets.h"

enum {
	DR = 4,         /* dense: output rows per loop, sharing each x word */
	WIDE_MAX = 16384, /* conv2d: int8 weight bytes up to this stored as int16 */
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

/* ---- conv2d ---------------------------------------------------------------- */

typedef struct {
	ConvGeo cg;         /* with the fused max-pool, or the identity (1x1) */
	int64_t K, K4, OC2; /* K = C*KH*KW; K4 words of 4; OC2 channel pairs */
	int wide;           /* the weights stored as int16 (WIDE_MAX) */
	int pooled;
	int ring;           /* pooled with overlapping windows: conv rows once */
	int64_t P;          /* result pixels: pool.oh * pool.ow */
	int64_t RS;         /* pooled: conv rows in the ring, (kh - 1) * dh + 1 */
	int64_t ROW, RING;  /* pooled: scratch offsets of the conv row and ring */
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
	d->wide = d->OC2 * 2 * d->K4 * 4 <= WIDE_MAX;
	d->RS = (d->cg.pool.kh - 1) * d->cg.pool.dh + 1;
	d->ring = d->pooled && (d->RS > d->cg.pool.sh ||
	                        (d->cg.pool.kw - 1) * d->cg.pool.dw + 1 > d->cg.pool.sw);
	d->ROW = d->K4 * 16;
	d->RING = d->ROW + (d->cg.OC * d->cg.OW + 3) / 4 * 4;
	if (d->P < 1)
		return tgt_decline(why, "no pixels");
	/* one input channel, unpooled, no dilation along x: kernel_armm_dw.c's
	 * taps in pairs beat an im2col column of KH*KW taps padded to a
	 * multiple of 4 */
	if (d->cg.C == 1 && !d->pooled && d->cg.dw == 1 && tgt_conv2d_smlad_dw_applies(c, nd, NULL))
		return tgt_decline(why, "one input channel (armm.smlad_dw takes it)");
	return 1;
}

/* The arena scratch: the two im2col columns, K4 words of 2 i16 each;
 * pooled, then one conv output row [OC][OW] and the ring of RS rows of
 * its horizontal maxima [RS][OC][pool.ow]. */
static int64_t smlad_scratch_bytes(const Geo *d)
{
	if (!d->ring)
		return d->K4 * 16;
	return d->RING + d->RS * d->cg.OC * d->cg.pool.ow;
}

TGT_APPLIES(tgt_conv2d_smlad_applies, Geo, conv_applies)
TGT_SCRATCH(tgt_conv2d_smlad_scratch, Geo, conv_applies, smlad_scratch_bytes)

/* [OC2][K4][2][4] bytes, each word's bytes in the order k, k+2, k+1, k+3;
 * wide, [OC2][K4][2][4] int16 halves in the order k .. k+3. */
static LLVMValueRef conv_weights(Cg *c, const Node *nd, const Geo *d, int id)
{
	const int8_t *w = c->g->vals[nd->in[1]].data;
	int hw = d->wide ? 2 : 1; /* bytes per weight */
	size_t len = (size_t)(d->OC2 * d->K4 * 8 * hw);
	unsigned char *buf = ir_xcalloc(len, 1);
	static const int slot[4] = {0, 2, 1, 3};

	for (int64_t oc = 0; oc < d->cg.OC; oc++)
		for (int64_t k = 0; k < d->K; k++) {
			int64_t word = ((oc / 2) * d->K4 + k / 4) * 2 + oc % 2;
			if (d->wide)
				tgt_put_le(buf + word * 8 + k % 4 * 2,
				           (uint16_t)(int16_t)w[oc * d->K + k], 2);
			else
				buf[word * 4 + slot[k % 4]] = (unsigned char)w[oc * d->K + k];
		}
	return tgt_const_packed(c, "wsmlad", id, buf, len);
}

typedef struct {
	const Geo *d;
	Dsp dsp;
	Epilogue e;
	LLVMValueRef x, y, w, bias, col, acc[2][2], xbase, ybase;
	LLVMValueRef row, ring; /* ring: the conv row and the ring (scratch) */
	LLVMValueRef have[2]; /* pooled, no ring: i1, a tap of pixel i was stored */
	LLVMValueRef valid[2], first[2]; /* this tap is in the conv output; none before */
	LLVMValueRef zp;      /* the output zero point, i8 */
	LLVMValueRef rq;      /* tgt_armm_requant's table, or NULL: tgt_epilogue */
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
	/* without padding or a pool every tap of an output pixel is inside */
	if (!d->pooled && !d->cg.pt && !d->cg.pl && !d->cg.pb && !d->cg.pr)
		ok = LLVMConstInt(c->ti1, 1, 0);
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

/* One step of the 2x2 tile, 16 MACs in 16 instructions, as Thumb-2
 * assembly: loop strength reduction rewrites the two pointers of an IR loop
 * into a frame offset plus an index, re-adds sp in every iteration and
 * splits the 64-bit loads, 23 instructions where 16 do.  Operands: $0-$3
 * the accumulators [pixel][channel] (00, 01, 10, 11), $4 the column pointer
 * (16 bytes a step: pixel 0's two words, then pixel 1's), $5 the weight
 * pointer (8 bytes: the two channels' words), $6-$11 temporaries.  sxtb16
 * of a weight word pairs with the column word of halves (k, k+1), of the
 * word rotated by 8 with that of (k+2, k+3) (conv_weights' byte order).
 * 12 registers, so that the loop's end pointer fits beside them in the 13
 * a Thumb function has free. */
static const char tile_step[] = "ldrd $6, $7, [$5], #8\n\t"
                                "ldrd $8, $9, [$4], #16\n\t"
                                "sxtb16 $10, $6\n\t"
                                "sxtb16 $11, $7\n\t"
                                "smlad $0, $8, $10, $0\n\t"
                                "smlad $1, $8, $11, $1\n\t"
                                "ldr $8, [$4, #-8]\n\t"
                                "smlad $2, $8, $10, $2\n\t"
                                "smlad $3, $8, $11, $3\n\t"
                                "sxtb16 $10, $6, ror #8\n\t"
                                "sxtb16 $11, $7, ror #8\n\t"
                                "smlad $0, $9, $10, $0\n\t"
                                "smlad $1, $9, $11, $1\n\t"
                                "ldr $9, [$4, #-4]\n\t"
                                "smlad $2, $9, $10, $2\n\t"
                                "smlad $3, $9, $11, $3\n\t";

/* The step with int16 weights (wide), 16 MACs in 12 instructions: $5
 * walks 16 bytes a step, the two channels' 4 halves each, which pair with
 * the column words as they are. */
static const char tile_step_wide[] = "ldrd $6, $7, [$4], #16\n\t"
                                     "ldrd $8, $9, [$5], #16\n\t"
                                     "ldrd $10, $11, [$5, #-8]\n\t"
                                     "smlad $0, $6, $8, $0\n\t"
                                     "smlad $0, $7, $9, $0\n\t"
                                     "smlad $1, $6, $10, $1\n\t"
                                     "smlad $1, $7, $11, $1\n\t"
                                     "ldrd $6, $7, [$4, #-8]\n\t"
                                     "smlad $2, $6, $8, $2\n\t"
                                     "smlad $2, $7, $9, $2\n\t"
                                     "smlad $3, $6, $10, $3\n\t"
                                     "smlad $3, $7, $11, $3\n\t";

enum {
	TU = 4,          /* tile steps per loop iteration (and per asm block) */
	UNROLL_MAX = 16, /* K4 up to this: no loop (1 KiB of code at most) */
};

/* The inline assembly text on v = 4 i32 accumulators and 2 pointers, in
 * place: its first 6 outputs are tied to them (cons "...,0,1,2,3,4,5"),
 * the other nout - 6 are temporaries. */
static void asm_in_place(Cg *c, const char *text, const char *cons, int nout, LLVMValueRef v[6])
{
	LLVMTypeRef el[12];

	for (int i = 0; i < nout; i++)
		el[i] = i == 4 || i == 5 ? c->tptr : c->ti32;
	LLVMTypeRef rt = LLVMStructTypeInContext(c->ctx, el, (unsigned)nout, 0);
	LLVMTypeRef ft = LLVMFunctionType(rt, el, 6, 0);
	LLVMValueRef asm_ = LLVMGetInlineAsm(ft, text, strlen(text), (char *)cons, strlen(cons), 0,
	                                     0, LLVMInlineAsmDialectATT, 0);
	LLVMValueRef r = LLVMBuildCall2(c->b, ft, asm_, v, 6, "");
	for (int i = 0; i < 6; i++)
		v[i] = LLVMBuildExtractValue(c->b, r, (unsigned)i, "");
}

/* steps tile steps on v = {acc 00, 01, 10, 11, column, weights}, in place. */
static void tile_steps(Cg *c, LLVMValueRef v[6], int steps, int wide)
{
	char text[TU * sizeof tile_step];

	text[0] = 0;
	for (int i = 0; i < steps; i++)
		strcat(text, wide ? tile_step_wide : tile_step);
	/* ~{memory}: the step reads the columns, stored just before */
	asm_in_place(c, text, "=r,=r,=r,=r,=r,=r,=&r,=&r,=&r,=&r,=&r,=&r,0,1,2,3,4,5,~{memory}", 12,
	             v);
}

/* The 2x2 tile of channel pair q over the two columns: acc[pixel][channel]
 * = bias + the SMLADs of every word of the column and the weights: the
 * first K4 % TU steps (all K4, when at most UNROLL_MAX) run straight, then
 * a loop of TU steps while the weight pointer has not reached the pair's
 * end. */
static void tile(Cg *c, Kern *k, LLVMValueRef q)
{
	const Geo *d = k->d;
	LLVMBuilderRef b = c->b;
	LLVMValueRef v[6];

	for (int j = 0; j < 2; j++) {
		LLVMValueRef bv = load_at(c, c->ti32, k->bias, tgt_mad(c, q, 2, tgt_cidx(c, j)), 4);
		v[j] = v[2 + j] = bv;
	}
	v[4] = k->col;
	int64_t wstep = d->wide ? 16 : 8; /* weight bytes a step */
	v[5] = tgt_gep(c, c->ti8, k->w, tgt_mad(c, q, d->K4 * wstep, NULL));
	LLVMValueRef wend = step(c, v[5], d->K4 * wstep);
	/* up to UNROLL_MAX steps run straight, without the loop's compare and
	 * branch */
	int64_t straight = d->K4 <= UNROLL_MAX ? d->K4 : d->K4 % TU;
	for (int64_t i = 0; i < straight; i += TU)
		tile_steps(c, v, straight - i < TU ? (int)(straight - i) : TU, d->wide);
	if (d->K4 > straight) {
		LLVMBasicBlockRef pre = LLVMGetInsertBlock(b);
		LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "smlad");
		LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "smlad.done");
		LLVMValueRef ph[6];
		LLVMBuildBr(b, body);
		LLVMPositionBuilderAtEnd(b, body);
		for (int i = 0; i < 6; i++) {
			ph[i] = LLVMBuildPhi(b, LLVMTypeOf(v[i]), "");
			LLVMAddIncoming(ph[i], &v[i], &pre, 1);
		}
		LLVMValueRef nx[6];
		memcpy(nx, ph, sizeof nx);
		tile_steps(c, nx, TU, d->wide);
		LLVMBasicBlockRef latch = LLVMGetInsertBlock(b);
		for (int i = 0; i < 6; i++)
			LLVMAddIncoming(ph[i], &nx[i], &latch, 1);
		LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntNE, nx[5], wend, ""), body, done);
		LLVMPositionBuilderAtEnd(b, done);
		for (int i = 0; i < 4; i++) {
			v[i] = LLVMBuildPhi(b, c->ti32, "");
			LLVMAddIncoming(v[i], &nx[i], &latch, 1);
		}
	}
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			LLVMBuildStore(b, v[2 * i + j], k->acc[i][j]);
}

/* ---- the requantization, shortened --------------------------------------- */

/* The table of tgt_armm_requant for a conv2d node of OC output channels (padded
 * to OCP), or NULL when the node needs tgt_epilogue: the float or int64
 * forms, a left shift, or a right shift below 2.  Per channel three words:
 * the multiplier m, 2^(e-2) and e-1, e the right shift. */
LLVMValueRef tgt_armm_rq_table(Cg *c, int n, const Epilogue *e, int64_t OCP)
{
	const Node *nd = &c->g->nodes[n];
	int64_t OC = c->g->vals[nd->in[1]].shape.d[0];

	if (!e->quant || e->fm || e->acc64 || e->rq.has_left || e->tout != c->ti8)
		return NULL;
	int32_t *mult = ir_xmalloc((size_t)OC * sizeof *mult);
	int *shift = ir_xmalloc((size_t)OC * sizeof *shift);
	unsigned char *buf = ir_xcalloc((size_t)OCP * 12, 1);
	int ok = 1;
	ir_node_requant(c->g, nd, mult, shift);
	for (int64_t o = 0; o < OCP; o++) {
		int32_t m = o < OC ? mult[o] : 0;
		int r = o < OC ? -shift[o] : 2;
		ok &= r >= 2 && r <= 31;
		tgt_put_le(buf + o * 12, (uint32_t)m, 4);
		tgt_put_le(buf + o * 12 + 4, ok ? 1u << (r - 2) : 0, 4);
		tgt_put_le(buf + o * 12 + 8, (uint32_t)(r - 1), 4);
	}
	free(mult);
	free(shift);
	if (!ok) {
		free(buf);
		return NULL;
	}
	return tgt_const_packed(c, "rqsmlad", n, buf, (size_t)OCP * 12);
}

/* MultiplyByQuantizedMultiplier(acc, m, -e) + zp, clamped, for 2 <= e <=
 * 31, in fewer steps than tgt_requant's.  With P = acc * m, y = P + 2^30
 * and q = floor(y / 2^31) (SaturatingRoundingDoublingHighMul, as
 * tgt_requant computes it), RoundingDivideByPOT(q, e) = floor((q + 2^(e-1)
 * - [q < 0]) / 2^e), and nested floors of integers merge: it is floor((y +
 * 2^(30+e) - [y < 0] 2^31) / 2^(31+e)), all in 64 bits (|P| < 2^62), and
 * [q < 0] = [y < 0].  m is 0 or at least 2^30, so [y < 0] = [acc < 0]
 * except for acc = -1, m = 2^30 (y = 0), where both corrections give 0.
 * So, with t = acc >> 31 (0 or -1), the addend of P is one 64-bit word,
 * low half (t << 31) | 2^30, high half 2^(e-2) + t (2^(30+e) is a multiple
 * of 2^32), one SMLAL; the result is the high word shifted right by e - 1.
 * (A brute-force check against qrt_requantize: 20 million random, edge and
 * tie cases, none differ.)  ch: the channel's {m, 2^(e-2), e-1}. */
LLVMValueRef tgt_armm_requant(Cg *c, const Requant *rq, LLVMValueRef acc, LLVMValueRef ch[3])
{
	LLVMBuilderRef b = c->b;
	LLVMValueRef t = LLVMBuildAShr(b, acc, tgt_c32(c, 31), "");
	LLVMValueRef low = LLVMBuildOr(b, LLVMBuildShl(b, t, tgt_c32(c, 31), ""),
	                               tgt_c32(c, 1u << 30), "");
	LLVMValueRef hi = LLVMBuildAdd(b, t, ch[1], "");
	LLVMValueRef add = LLVMBuildOr(b,
	                               LLVMBuildShl(b, LLVMBuildZExt(b, hi, c->ti64, ""),
	                                            LLVMConstInt(c->ti64, 32, 0), ""),
	                               LLVMBuildZExt(b, low, c->ti64, ""), "");
	LLVMValueRef y = LLVMBuildAdd(b,
	                              LLVMBuildMul(b, LLVMBuildSExt(b, acc, c->ti64, ""),
	                                           LLVMBuildSExt(b, ch[0], c->ti64, ""), ""),
	                              add, "");
	LLVMValueRef top = LLVMBuildTrunc(b, LLVMBuildLShr(b, y, LLVMConstInt(c->ti64, 32, 0), ""),
	                                  c->ti32, "");
	LLVMValueRef r = LLVMBuildAShr(b, top, ch[2], "");
	r = LLVMBuildAdd(b, r, LLVMConstInt(c->ti32, (unsigned long long)(int64_t)rq->zp, 1), "");
	LLVMValueRef lo = LLVMConstInt(c->ti32, (unsigned long long)(int64_t)rq->lo, 1);
	LLVMValueRef up = LLVMConstInt(c->ti32, (unsigned long long)(int64_t)rq->hi, 1);
	r = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, r, lo, ""), r, lo, "");
	r = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, r, up, ""), r, up, "");
	return LLVMBuildTrunc(b, r, c->ti8, "");
}

/* y[n, oc, p] = epilogue(acc) for the tile's channels below OC; pooled
 * without the ring, y[n, oc, p] takes the max with it when the tap is in
 * the output (the first such tap stores it as is): the pooled output is
 * its own running max, the order of the taps does not matter for an
 * integer max; with the ring (k->row set), row[oc][p] of the conv row
 * being computed. */
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
		LLVMValueRef ch[3];
		for (int t = 0; k->rq && t < 3; t++)
			ch[t] = load_at(c, c->ti32, k->rq, tgt_mad(c, oc, 3, tgt_cidx(c, t)), 4);
		for (int i = 0; i < 2; i++) {
			LLVMValueRef a = LLVMBuildLoad2(b, c->ti32, k->acc[i][j], "");
			LLVMValueRef r = k->rq ? tgt_armm_requant(c, &k->e.rq, a, ch)
			                       : tgt_epilogue(c, &k->e, a, oc);
			if (k->row) {
				tgt_store(c, r, k->row, tgt_mad(c, oc, d->cg.OW, p[i]));
				continue;
			}
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

/* The columns of conv pixels (oy[i], ox[i]), and every channel pair's tile
 * and epilogue, stored at pixel p[i] (store_tile). */
static void pixel_pair(Cg *c, Kern *k, LLVMValueRef oy[2], LLVMValueRef ox[2], LLVMValueRef p[2])
{
	Loop lq;

	for (int i = 0; i < 2; i++)
		build_col(c, k, i, oy[i], ox[i]);
	LLVMValueRef q = tgt_upto(c, &lq, k->d->OC2);
	tile(c, k, q);
	store_tile(c, k, q, p);
	tgt_loop_close(c, &lq);
}

/* ---- the fused max-pool ---------------------------------------------------- */

/* Windows that do not overlap (2x2 stride 2): each result pixel pair walks
 * its window taps, the conv pixels of each tap computed once, and the
 * pooled output holds the running max (store_tile); a window with no conv
 * pixel in it gives the zero point (maxpool2d's empty window). */
static void window_tap(Cg *c, Kern *k, LLVMValueRef p[2], LLVMValueRef ky, LLVMValueRef kx)
{
	const ConvPool *pl = &k->d->cg.pool;
	LLVMBuilderRef b = c->b;
	LLVMValueRef oy[2], ox[2];

	for (int i = 0; i < 2; i++) {
		LLVMValueRef py = LLVMBuildUDiv(b, p[i], tgt_cidx(c, pl->ow), "");
		LLVMValueRef px = LLVMBuildURem(b, p[i], tgt_cidx(c, pl->ow), "");
		oy[i] = tgt_mad(c, py, pl->sh, tgt_mad(c, ky, pl->dh, tgt_cidx(c, -pl->pt)));
		ox[i] = tgt_mad(c, px, pl->sw, tgt_mad(c, kx, pl->dw, tgt_cidx(c, -pl->pl)));
		LLVMValueRef h = LLVMBuildLoad2(b, c->ti1, k->have[i], "");
		k->valid[i] = LLVMBuildAnd(
		        b, LLVMBuildICmp(b, LLVMIntULT, oy[i], tgt_cidx(c, k->d->cg.OH), ""),
		        LLVMBuildICmp(b, LLVMIntULT, ox[i], tgt_cidx(c, k->d->cg.OW), ""), "");
		k->first[i] = LLVMBuildNot(b, h, "");
		LLVMBuildStore(b, LLVMBuildOr(b, h, k->valid[i], ""), k->have[i]);
	}
	pixel_pair(c, k, oy, ox, p);
}

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

/* Overlapping windows (3x3 stride 2): each conv row is computed once, into
 * the scratch row [OC][OW]; its horizontal window maxima go to slot cy % RS of a ring of RS rows
 * [OC][pool.ow]; a pooled row takes the max of its window's ring rows.  A
 * window with no conv pixel in it gives the zero point (maxpool2d's empty
 * window): a row's horizontal maximum is zp where no column is inside, a
 * pooled pixel is zp where no row is. */

/* max(a, b) of i8 values. */
static LLVMValueRef max8(Cg *c, LLVMValueRef a, LLVMValueRef b)
{
	return LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSGT, a, b, ""), a, b, "");
}

/* Conv row cy into the scratch row, a pair of pixels at a time (an odd
 * last one twice), then its horizontal maxima into the ring. */
static void conv_row(Cg *c, Kern *k, LLVMValueRef cy)
{
	const Geo *d = k->d;
	const ConvPool *pl = &d->cg.pool;
	LLVMBuilderRef b = c->b;
	Loop lx, lo, lp;

	LLVMValueRef j = tgt_upto(c, &lx, (d->cg.OW + 1) / 2);
	LLVMValueRef ox[2], oy[2] = {cy, cy};
	ox[0] = tgt_mad(c, j, 2, NULL);
	ox[1] = LLVMBuildAdd(b, ox[0], tgt_cidx(c, 1), "");
	LLVMValueRef last = tgt_cidx(c, d->cg.OW - 1);
	ox[1] = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntULT, ox[1], last, ""), ox[1], last, "");
	pixel_pair(c, k, oy, ox, ox);
	tgt_loop_close(c, &lx);

	LLVMValueRef slot = LLVMBuildURem(b, cy, tgt_cidx(c, d->RS), "");
	LLVMValueRef ring = tgt_mad(c, slot, d->cg.OC * pl->ow, NULL);
	LLVMValueRef oc = tgt_upto(c, &lo, d->cg.OC);
	LLVMValueRef src = tgt_mad(c, oc, d->cg.OW, NULL);
	LLVMValueRef dst = tgt_mad(c, oc, pl->ow, ring);
	LLVMValueRef px = tgt_upto(c, &lp, pl->ow);
	LLVMValueRef m = LLVMConstInt(c->ti8, (unsigned long long)-128, 1);
	LLVMValueRef any = LLVMConstInt(c->ti1, 0, 0);
	for (int64_t kx = 0; kx < pl->kw; kx++) {
		LLVMValueRef cx = tgt_mad(c, px, pl->sw, tgt_cidx(c, kx * pl->dw - pl->pl));
		LLVMValueRef in = LLVMBuildICmp(b, LLVMIntULT, cx, tgt_cidx(c, d->cg.OW), "");
		LLVMValueRef at = LLVMBuildSelect(b, in, cx, tgt_cidx(c, 0), "");
		LLVMValueRef v = tgt_load(c, c->ti8, k->row, LLVMBuildAdd(b, src, at, ""));
		m = LLVMBuildSelect(b, in, max8(c, m, v), m, "");
		any = LLVMBuildOr(b, any, in, "");
	}
	tgt_store(c, LLVMBuildSelect(b, any, m, k->zp, ""), k->ring, LLVMBuildAdd(b, dst, px, ""));
	tgt_loop_close(c, &lp);
	tgt_loop_close(c, &lo);
}

/* The pooled rows of image n: per pooled row py, the conv rows of its
 * window not computed yet (done: the last one computed; windows move down),
 * then the max of the window's ring rows. */
static void pool_rows(Cg *c, Kern *k, LLVMValueRef done)
{
	const Geo *d = k->d;
	const ConvPool *pl = &d->cg.pool;
	LLVMBuilderRef b = c->b;
	Loop ly, lo, lp;
	LLVMValueRef *cy = ir_xmalloc((size_t)pl->kh * sizeof *cy);
	LLVMValueRef *in = ir_xmalloc((size_t)pl->kh * sizeof *in);

	LLVMBuildStore(b, tgt_cidx(c, -1), done);
	LLVMValueRef py = tgt_upto(c, &ly, pl->oh);
	for (int64_t ky = 0; ky < pl->kh; ky++) {
		If f;
		cy[ky] = tgt_mad(c, py, pl->sh, tgt_cidx(c, ky * pl->dh - pl->pt));
		in[ky] = LLVMBuildICmp(b, LLVMIntULT, cy[ky], tgt_cidx(c, d->cg.OH), "");
		LLVMValueRef fresh = LLVMBuildICmp(b, LLVMIntSGT, cy[ky],
		                                   LLVMBuildLoad2(b, c->tidx, done, ""), "");
		tgt_if_open(c, &f, LLVMBuildAnd(b, in[ky], fresh, ""));
		conv_row(c, k, cy[ky]);
		LLVMBuildStore(b, cy[ky], done);
		tgt_if_close(c, &f);
	}
	LLVMValueRef oc = tgt_upto(c, &lo, d->cg.OC);
	LLVMValueRef yrow = tgt_mad(c, LLVMBuildAdd(b, k->ybase, oc, ""), d->P,
	                            tgt_mad(c, py, pl->ow, NULL));
	LLVMValueRef px = tgt_upto(c, &lp, pl->ow);
	LLVMValueRef m = LLVMConstInt(c->ti8, (unsigned long long)-128, 1);
	LLVMValueRef any = LLVMConstInt(c->ti1, 0, 0);
	for (int64_t ky = 0; ky < pl->kh; ky++) {
		LLVMValueRef at = LLVMBuildSelect(b, in[ky], cy[ky], tgt_cidx(c, 0), "");
		LLVMValueRef slot = LLVMBuildURem(b, at, tgt_cidx(c, d->RS), "");
		LLVMValueRef v = tgt_load(
		        c, c->ti8, k->ring,
		        tgt_mad(c, slot, d->cg.OC * pl->ow, tgt_mad(c, oc, pl->ow, px)));
		m = LLVMBuildSelect(b, in[ky], max8(c, m, v), m, "");
		any = LLVMBuildOr(b, any, in[ky], "");
	}
	tgt_store(c, LLVMBuildSelect(b, any, m, k->zp, ""), k->y, LLVMBuildAdd(b, yrow, px, ""));
	tgt_loop_close(c, &lp);
	tgt_loop_close(c, &lo);
	tgt_loop_close(c, &ly);
	free(cy);
	free(in);
}

void tgt_conv2d_smlad(Cg *c, int n, LLVMValueRef fn)
{
	const Node *nd = &c->g->nodes[n];
	Geo d;
	Kern k = {.d = &d};
	Loop ln, lp;

	conv_applies(c, nd, &d, NULL); /* the chooser took the node */
	tgt_epilogue_init(c, n, &k.e);
	dsp_init(c, &k.dsp);
	k.rq = tgt_armm_rq_table(c, n, &k.e, d.OC2 * 2);
	k.w = conv_weights(c, nd, &d, n);
	k.bias = tgt_fold_bias(c, nd, d.OC2 * 2, 0, "bsmlad", n);
	k.col = tgt_arena_scratch(c, 0); /* smlad_scratch_bytes */
	if (d.ring) {
		k.row = tgt_arena_scratch(c, d.ROW);
		k.ring = tgt_arena_scratch(c, d.RING);
	}
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			k.acc[i][j] = tgt_alloca(c, c->ti32, 1);
	LLVMValueRef done = tgt_alloca(c, c->tidx, 1);
	for (int i = 0; d.pooled && !d.ring && i < 2; i++)
		k.have[i] = tgt_alloca(c, c->ti1, 1);
	k.zp = LLVMConstInt(c->ti8, (unsigned long long)(int64_t)k.e.rq.zp, 1);
	k.x = LLVMGetParam(fn, 0), k.y = LLVMGetParam(fn, 1);
	/* the columns' padding words stay 0 */
	LLVMBuildMemSet(c->b, k.col, LLVMConstInt(c->ti8, 0, 0), tgt_cidx(c, d.K4 * 16), 8);

	LLVMValueRef in = tgt_upto(c, &ln, d.cg.N);
	k.xbase = tgt_mad(c, in, d.cg.C * d.cg.H, NULL);
	k.ybase = tgt_mad(c, in, d.cg.OC, NULL);
	if (d.ring) {
		pool_rows(c, &k, done);
		tgt_loop_close(c, &ln);
		return;
	}
	LLVMValueRef pp = tgt_upto(c, &lp, (d.P + 1) / 2);
	LLVMValueRef p[2], oy[2], ox[2], last = tgt_cidx(c, d.P - 1);
	p[0] = tgt_mad(c, pp, 2, NULL);
	p[1] = LLVMBuildAdd(c->b, p[0], tgt_cidx(c, 1), "");
	p[1] = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntULT, p[1], last, ""), p[1], last,
	                       "");
	if (d.pooled) {
		Loop lky, lkx;
		for (int i = 0; i < 2; i++)
			LLVMBuildStore(c->b, LLVMConstInt(c->ti1, 0, 0), k.have[i]);
		LLVMValueRef ky = tgt_upto(c, &lky, d.cg.pool.kh);
		LLVMValueRef kx = tgt_upto(c, &lkx, d.cg.pool.kw);
		window_tap(c, &k, p, ky, kx);
		tgt_loop_close(c, &lkx);
		tgt_loop_close(c, &lky);
		empty_windows(c, &k, p);
	} else {
		for (int i = 0; i < 2; i++) {
			oy[i] = LLVMBuildUDiv(c->b, p[i], tgt_cidx(c, d.cg.OW), "");
			ox[i] = LLVMBuildURem(c->b, p[i], tgt_cidx(c, d.cg.OW), "");
		}
		pixel_pair(c, &k, oy, ox, p);
	}
	tgt_loop_close(c, &lp);
	tgt_loop_close(c, &ln);
}

/* ---- dense ----------------------------------------------------------------- */

/* Rows [rows][I rounded up to 4] bytes, zero-padded. */
static LLVMValueRef dense_weights(Cg *c, const Node *nd, int64_t I4, int64_t rows, int id)
{
	const Value *wv = &c->g->vals[nd->in[1]];
	const int8_t *w = wv->data;
	int64_t O = wv->shape.d[0], I = wv->shape.d[1];
	unsigned char *buf = ir_xcalloc((size_t)(rows * I4 * 4), 1);

	for (int64_t o = 0; o < O; o++)
		for (int64_t i = 0; i < I; i++)
			buf[o * I4 * 4 + i] = (unsigned char)w[o * I + i];
	char name[320];
	snprintf(name, sizeof name, "%s.wsmlad%d", c->name, id);
	LLVMValueRef gv = tgt_const_of(c, nd->in[1], name, buf, (size_t)(rows * I4 * 4));
	free(buf);
	return gv;
}

/* dense's step as Thumb-2 assembly, for the same reason as tile_step: one
 * word of x (4 inputs, unaligned) against the word at the same place of 4
 * weight rows, stride bytes apart: 23 instructions for 16 MACs (LLVM's
 * loop took 27).  Operands: $0-$3 the rows' accumulators, $4 the x
 * pointer, $5 row 0's weight pointer (each 4 bytes a step), $6-$9
 * temporaries; the rows below are at offsets stride - 4 etc. of the
 * stepped pointer. */
static void dense_steps(Cg *c, LLVMValueRef v[6], int steps, int64_t stride)
{
	char one[640], text[TU * sizeof one];
	int len = snprintf(one, sizeof one,
	                   "ldr $6, [$4], #4\n\t"
	                   "ldr $8, [$5], #4\n\t"
	                   "sxtb16 $7, $6, ror #8\n\t"
	                   "sxtb16 $6, $6\n\t"
	                   "sxtb16 $9, $8\n\t"
	                   "sxtb16 $8, $8, ror #8\n\t"
	                   "smlad $0, $6, $9, $0\n\t"
	                   "smlad $0, $7, $8, $0\n\t");
	for (int j = 1; j < DR; j++)
		len += snprintf(one + len, sizeof one - (size_t)len,
		                "ldr $8, [$5, #%lld]\n\t"
		                "sxtb16 $9, $8\n\t"
		                "sxtb16 $8, $8, ror #8\n\t"
		                "smlad $%d, $6, $9, $%d\n\t"
		                "smlad $%d, $7, $8, $%d\n\t",
		                (long long)(j * stride - 4), j, j, j, j);
	text[0] = 0;
	for (int i = 0; i < steps; i++)
		strcat(text, one);
	asm_in_place(c, text, "=r,=r,=r,=r,=r,=r,=&r,=&r,=&r,=&r,0,1,2,3,4,5,~{memory}", 10, v);
}

/* n >= 1 dense steps on v: the first n % TU straight, then a loop of TU
 * steps while the x pointer has not reached its end. */
static void dense_run(Cg *c, LLVMValueRef v[6], int64_t n, int64_t stride)
{
	LLVMBuilderRef b = c->b;
	LLVMValueRef xend = step(c, v[4], n * 4);

	if (n % TU)
		dense_steps(c, v, (int)(n % TU), stride);
	if (n < TU)
		return;
	LLVMBasicBlockRef pre = LLVMGetInsertBlock(b);
	LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "dsmlad");
	LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "dsmlad.done");
	LLVMValueRef ph[6], nx[6];
	LLVMBuildBr(b, body);
	LLVMPositionBuilderAtEnd(b, body);
	for (int i = 0; i < 6; i++) {
		ph[i] = LLVMBuildPhi(b, LLVMTypeOf(v[i]), "");
		LLVMAddIncoming(ph[i], &v[i], &pre, 1);
	}
	memcpy(nx, ph, sizeof nx);
	dense_steps(c, nx, TU, stride);
	LLVMBasicBlockRef latch = LLVMGetInsertBlock(b);
	for (int i = 0; i < 6; i++)
		LLVMAddIncoming(ph[i], &nx[i], &latch, 1);
	LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntNE, nx[4], xend, ""), body, done);
	LLVMPositionBuilderAtEnd(b, done);
	for (int i = 0; i < 4; i++) {
		v[i] = LLVMBuildPhi(b, c->ti32, "");
		LLVMAddIncoming(v[i], &nx[i], &latch, 1);
	}
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
	/* the assembly step reads 4 rows at one stride: the last group starts
	 * at row O - DR instead (recomputing rows of the group before it).  Not
	 * on small layers (under 4096 MACs): there it saves little, and on the
	 * KWS DS-CNN its block cost 5% more instructions in the other layers
	 * of the inlined body (register allocation) */
	int fast = I / 4 >= 1 && 3 * stride - 4 <= 4095 && O >= DR && I * O >= 4096;
	LLVMValueRef w = dense_weights(c, nd, I4, O, n);
	LLVMValueRef bias = tgt_fold_bias(c, nd, OR * DR, xv->q.zp, "bsmlad", n);
	for (int j = 0; j < DR; j++)
		acc[j] = tgt_alloca(c, c->ti32, 1);

	LLVMValueRef in = tgt_upto(c, &ln, N);
	LLVMValueRef xrow = tgt_mad(c, in, I, NULL);
	LLVMValueRef q = tgt_upto(c, &lo, OR);
	LLVMValueRef wrow[DR], base = tgt_mad(c, q, DR, NULL);
	if (fast && O % DR)
		base = LLVMBuildSelect(b,
		                       LLVMBuildICmp(b, LLVMIntULT, base, tgt_cidx(c, O - DR), ""),
		                       base, tgt_cidx(c, O - DR), "");
	for (int j = 0; j < DR; j++) {
		LLVMValueRef o = LLVMBuildAdd(b, base, tgt_cidx(c, j), "");
		/* a padding row (o >= O) reuses row O - 1: its sums are not stored */
		LLVMValueRef ow = o;
		if (!fast && j >= O % DR && O % DR)
			ow = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntULT, o, tgt_cidx(c, O), ""),
			                     o, tgt_cidx(c, O - 1), "");
		wrow[j] = tgt_mad(c, ow, stride, NULL);
		LLVMBuildStore(b, load_at(c, c->ti32, bias, o, 4), acc[j]);
	}
	if (fast) {
		/* the rows' word offsets fit ldr's 12-bit immediate */
		LLVMValueRef v[6];
		for (int j = 0; j < DR; j++)
			v[j] = LLVMBuildLoad2(b, c->ti32, acc[j], "");
		v[4] = tgt_gep(c, c->ti8, x, xrow);
		v[5] = tgt_gep(c, c->ti8, w, tgt_mad(c, base, stride, NULL));
		dense_run(c, v, I / 4, stride);
		for (int j = 0; j < DR; j++)
			LLVMBuildStore(b, v[j], acc[j]);
	} else {
		/* whole words of x: (x0, x2) and (x1, x3) against the same of w */
		LLVMValueRef i4 = tgt_upto(c, &li, I / 4);
		LLVMValueRef xw = load_at(c, c->ti32, tgt_gep(c, c->ti8, x, xrow), i4, 1);
		LLVMValueRef xe = sxtb16(c, &dsp, xw, 0), xo = sxtb16(c, &dsp, xw, 1);
		for (int j = 0; j < DR; j++) {
			LLVMValueRef ww = load_at(c, c->ti32, tgt_gep(c, c->ti8, w, wrow[j]), i4,
			                          4);
			LLVMValueRef a = LLVMBuildLoad2(b, c->ti32, acc[j], "");
			a = smlad(c, &dsp, xe, sxtb16(c, &dsp, ww, 0), a);
			a = smlad(c, &dsp, xo, sxtb16(c, &dsp, ww, 1), a);
			LLVMBuildStore(b, a, acc[j]);
		}
		LLVMBasicBlockRef latch = LLVMGetInsertBlock(b);
		tgt_loop_close(c, &li);
		tgt_loop_no_unroll(c, LLVMGetBasicBlockTerminator(latch));
	}
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
		LLVMValueRef o = LLVMBuildAdd(b, base, tgt_cidx(c, j), "");
		int pad = !fast && j >= O % DR && O % DR;
		If f;
		if (pad)
			tgt_if_open(c, &f, LLVMBuildICmp(b, LLVMIntULT, o, tgt_cidx(c, O), ""));
		LLVMValueRef r = tgt_epilogue(c, &e, LLVMBuildLoad2(b, c->ti32, acc[j], ""), o);
		tgt_store(c, r, y, tgt_mad(c, in, O, o));
		if (pad)
			tgt_if_close(c, &f);
	}
	tgt_loop_close(c, &lo);
	tgt_loop_close(c, &ln);
}
