/* kernel_armm_dw.c — the int8 depthwise and grouped conv2d kernel for
 * Cortex-M with the DSP extension (thumbv7em+dsp: cortex-m4, cortex-m7).
 *
 * kernel_armm.c's im2col kernel pairs input channels in each SMLAD; a
 * depthwise layer has one input channel per output, so here the pairs are
 * taps of one kernel row instead.  The planes are NCHW: the taps
 * x[iy][ix .. ix+KW-1] of a row are adjacent bytes, and one unaligned word
 * of them (Cortex-M4/M7 LDR allows it; with +strict-align LLVM splits the
 * load) gives, through sxtb16, A = (x0, x2) and, of the word rotated, B =
 * (x1, x3).  The weights of each kernel row are repacked at compile time per
 * word j (taps 4j .. 4j+3, zero past KW) into two words of int16 halves, E =
 * (w0, w2) and O = (w1, w3), so a pixel adds smlad(A, E) + smlad(B, O).
 * With stride 1, the next pixel's taps are the same bytes shifted by one:
 * it adds smlad(B, E) + x2*w1 (smlatb(A, O)) + x4*w3 (smlabt of the next
 * word's A with O), so a pair of pixels shares the loads and sxtb16s: on a
 * 3x3 kernel, per kernel row 1 LDR, 2 SXTB16 and 4 multiply-accumulates
 * give 6 MACs.  Strides above 1 compute one pixel at a time.  Horizontal
 * dilation is declined (the generic loops run); vertical dilation only
 * moves the rows.
 *
 * The zero point: x is used as it is, and -zx * (the sum of the output
 * channel's weights) is folded into its bias at compile time (mod 2^32).
 * The group's input planes are copied into a stack scratch whose border
 * holds zx, so a tap in the padding adds zx*w, which the fold cancels,
 * exactly as the interpreter skips it; bytes read past a row's last tap
 * meet zero weights.  Every product is at most 2^14 in magnitude; SMLAD and
 * SMLAxy write the low 32 bits of the exact sum (an overflow only sets the
 * sticky Q flag, which nothing reads), so the i32 accumulator wraps exactly
 * as the interpreter's, whatever the order of the additions.  The scratch
 * holds, per plane, the input rows of a band of RB conv output rows: the
 * whole plane, in the node's arena scratch (plan-memory's; the stack stays
 * small), so there is one band (the band loop stays general).
 *
 * Depthwise with a multiplier (OC = M*C), grouped layers (Cg input
 * channels per group) and a one-group layer of one input channel, unpooled
 * (kernel_armm.c leaves it here: a depthwise layer of multiplier OC) fall
 * out: each of the group's OC/G output channels
 * sums its Cg*KH kernel rows over the group's planes.  A fused max-pool
 * (ir_conv_pool) computes each window tap's conv pixel alone and keeps the
 * max of the epilogues, as kernel_armm.c does where windows do not
 * overlap.
 */
#include <stdlib.h>
#include <string.h>

#include "targets.h"

enum {
	ROWW_MAX = 32,  /* kernel-row words per output channel (unrolled) */
};

typedef struct {
	ConvGeo cg;      /* with the fused max-pool, or the identity (1x1) */
	int64_t R;       /* kernel rows per output channel: Cg*KH */
	int64_t J;       /* words a pixel reads per kernel row: KW/4 rounded up */
	int64_t JP;      /* words a stride-1 pair reads per row (KW + 1 bytes) */
	int64_t HP, SW;  /* scratch rows per plane (a band's) and bytes per row */
	int64_t RB, NB;  /* conv output rows per band, bands */
	int pooled;
} Dw;

/* llvm.arm.NAME(a, b, acc) on i32: smlad, smlatb, smlabt (acc + the
 * products of the named 16-bit halves), or sxtb16(a) when b is NULL. */
static LLVMValueRef dsp(Cg *c, const char *name, LLVMValueRef a, LLVMValueRef b, LLVMValueRef acc)
{
	LLVMTypeRef a3[3] = {c->ti32, c->ti32, c->ti32};
	LLVMValueRef args[3] = {a, b, acc};
	unsigned n = b ? 3 : 1;
	LLVMTypeRef ft = LLVMFunctionType(c->ti32, a3, n, 0);
	char full[32];

	snprintf(full, sizeof full, "llvm.arm.%s", name);
	LLVMValueRef f = LLVMGetNamedFunction(c->mod, full);
	if (!f)
		f = LLVMAddFunction(c->mod, full, ft);
	return LLVMBuildCall2(c->b, ft, f, args, n, "");
}

/* The shapes this kernel takes beyond its registry row (kernels.c); fills d. */
static int dw_applies(Cg *c, const Node *nd, Dw *d, const char **why)
{
	if (!tgt_armm_conv_geo(c, nd, &d->cg, why))
		return 0;
	d->pooled = ir_has_pool(nd);
	/* one group: only a plain layer of one input channel (a depthwise
	 * layer with a multiplier), which kernel_armm.c leaves to this one */
	if (d->cg.G == 1 && (d->cg.C != 1 || d->pooled))
		return tgt_decline(why, "groups 1 (takes one input channel, unpooled, only)");
	d->R = d->cg.Cg * d->cg.KH, d->J = (d->cg.KW + 3) / 4, d->JP = d->cg.KW / 4 + 1;
	/* the columns any pixel reads, and the copied rows */
	int64_t cols = (d->cg.OW - 1) * d->cg.sw + 4 * d->J;
	if (d->cg.sw == 1 && d->cg.OW >= 2 && d->cg.OW - 2 + 4 * d->JP > cols)
		cols = d->cg.OW - 2 + 4 * d->JP;
	d->SW = cols > d->cg.pl + d->cg.W ? cols : d->cg.pl + d->cg.W;
	d->SW = (d->SW + 3) / 4 * 4;
	/* one band: every conv row, and the input rows they read */
	int64_t span = (d->cg.KH - 1) * d->cg.dh + 1;
	if (d->R * d->JP > ROWW_MAX)
		return tgt_decline(why, "kernel rows exceed 32 words");
	d->RB = d->cg.OH;
	d->HP = (d->RB - 1) * d->cg.sh + span;
	d->NB = (d->cg.OH + d->RB - 1) / d->RB;
	return 1;
}

/* The arena scratch: the group's padded input planes (a band's rows). */
static int64_t dw_scratch_bytes(const Dw *d)
{
	return d->cg.Cg * d->HP * d->SW;
}

/* int16 halves lo, hi as one i32 word. */
static uint32_t halves(int8_t lo, int8_t hi)
{
	return (uint16_t)(int16_t)lo | (uint32_t)(uint16_t)(int16_t)hi << 16;
}

/* [OC][R][J][E, O] words: E = (w[4j], w[4j+2]), O = (w[4j+1], w[4j+3]) of
 * kernel row r, zero past KW. */
static LLVMValueRef dw_weights(Cg *c, const Node *nd, const Dw *d, int id)
{
	const int8_t *w = c->g->vals[nd->in[1]].data;
	size_t len = (size_t)(d->cg.OC * d->R * d->J * 8);
	unsigned char *buf = ir_xcalloc(len, 1);

	for (int64_t oc = 0; oc < d->cg.OC; oc++)
		for (int64_t r = 0; r < d->R; r++)
			for (int64_t j = 0; j < d->J; j++) {
				int8_t t[4] = {0, 0, 0, 0};
				for (int64_t k = 4 * j; k < 4 * j + 4 && k < d->cg.KW; k++)
					t[k - 4 * j] = w[(oc * d->R + r) * d->cg.KW + k];
				unsigned char *q = buf + ((oc * d->R + r) * d->J + j) * 8;
				uint32_t e = halves(t[0], t[2]), o = halves(t[1], t[3]);
				for (int b = 0; b < 4; b++)
					q[b] = (unsigned char)(e >> (8 * b)),
					q[4 + b] = (unsigned char)(o >> (8 * b));
			}
	return tgt_const_packed(c, "wdw", id, buf, len);
}

typedef struct {
	const Dw *d;
	Epilogue e;
	LLVMValueRef x, y, scr, wg, bias;
	LLVMValueRef *wv;   /* this channel's [R][J][2] weight words */
	LLVMValueRef b0;    /* this channel's folded bias */
	LLVMValueRef oc;    /* this output channel */
	LLVMValueRef ybase; /* its first output element */
	LLVMValueRef zp;    /* the output zero point, i8 */
	LLVMValueRef rq;    /* tgt_armm_requant's table, or NULL: tgt_epilogue */
	LLVMValueRef ch[3]; /* this channel's row of it */
} Kern;

/* An unaligned word of the scratch at byte base + off. */
static LLVMValueRef word(Cg *c, Kern *k, LLVMValueRef base, int64_t off)
{
	LLVMValueRef p = tgt_gep(c, c->ti8, k->scr, LLVMBuildAdd(c->b, base, tgt_cidx(c, off), ""));
	LLVMValueRef v = LLVMBuildLoad2(c->b, c->ti32, p, "");

	LLVMSetAlignment(v, 1);
	return v;
}

/* A = sxtb16(v) (bytes 0, 2), B = sxtb16(v ror 8) (bytes 1, 3; the rotation
 * folds into the instruction). */
static void split(Cg *c, LLVMValueRef v, LLVMValueRef *a, LLVMValueRef *b)
{
	LLVMValueRef r = LLVMBuildOr(c->b, LLVMBuildLShr(c->b, v, tgt_c32(c, 8), ""),
	                             LLVMBuildShl(c->b, v, tgt_c32(c, 24), ""), "");

	*a = dsp(c, "sxtb16", v, NULL, NULL);
	*b = dsp(c, "sxtb16", r, NULL, NULL);
}

/* Byte offset of kernel row r (input channel ic, row ky) in the scratch. */
static int64_t row_off(const Dw *d, int64_t r)
{
	return (r / d->cg.KH) * d->HP * d->SW + (r % d->cg.KH) * d->cg.dh * d->SW;
}

/* The accumulator of the pixel whose window starts at scratch byte base. */
static LLVMValueRef pixel(Cg *c, Kern *k, LLVMValueRef base)
{
	const Dw *d = k->d;
	LLVMValueRef acc = k->b0;

	for (int64_t r = 0; r < d->R; r++)
		for (int64_t j = 0; j < d->J; j++) {
			LLVMValueRef a, b, *w = &k->wv[(r * d->J + j) * 2];
			split(c, word(c, k, base, row_off(d, r) + 4 * j), &a, &b);
			acc = dsp(c, "smlad", a, w[0], acc);
			if (4 * j + 1 < d->cg.KW)
				acc = dsp(c, "smlad", b, w[1], acc);
		}
	return acc;
}

/* The accumulators of the stride-1 pixels at base and base + 1 (file
 * comment): P1 = sum of x[k+1] w[k] takes B with E, A's high half with
 * O's low (x[4j+2] w[4j+1]), the next word's low half with O's high. */
static void pair(Cg *c, Kern *k, LLVMValueRef base, LLVMValueRef acc[2])
{
	const Dw *d = k->d;
	LLVMValueRef a[ROWW_MAX + 1], b[ROWW_MAX + 1];

	acc[0] = acc[1] = k->b0;
	for (int64_t r = 0; r < d->R; r++) {
		for (int64_t j = 0; j < d->JP; j++)
			split(c, word(c, k, base, row_off(d, r) + 4 * j), &a[j], &b[j]);
		for (int64_t j = 0; j < d->J; j++) {
			LLVMValueRef *w = &k->wv[(r * d->J + j) * 2];
			acc[0] = dsp(c, "smlad", a[j], w[0], acc[0]);
			acc[1] = dsp(c, "smlad", b[j], w[0], acc[1]);
			if (4 * j + 1 < d->cg.KW) {
				acc[0] = dsp(c, "smlad", b[j], w[1], acc[0]);
				acc[1] = dsp(c, "smlatb", a[j], w[1], acc[1]);
			}
			if (4 * j + 3 < d->cg.KW)
				acc[1] = dsp(c, "smlabt", a[j + 1], w[1], acc[1]);
		}
	}
}

/* Scratch byte where conv pixel (oy, ox)'s window starts. */
static LLVMValueRef at(Cg *c, const Dw *d, LLVMValueRef oy, LLVMValueRef ox)
{
	return tgt_mad(c, oy, d->cg.sh * d->SW, tgt_mad(c, ox, d->cg.sw, NULL));
}

/* The epilogue of acc for this channel. */
static LLVMValueRef epi(Cg *c, Kern *k, LLVMValueRef acc)
{
	return k->rq ? tgt_armm_requant(c, &k->e.rq, acc, k->ch)
	             : tgt_epilogue(c, &k->e, acc, k->oc);
}

static void put(Cg *c, Kern *k, LLVMValueRef acc, LLVMValueRef pos)
{
	tgt_store(c, epi(c, k, acc), k->y, LLVMBuildAdd(c->b, k->ybase, pos, ""));
}

/* The band's nrows conv output rows from oy0 of this channel: pairs of
 * pixels with stride 1 (an odd last one alone), else single pixels; oy
 * below is the row in the band. */
static void plain(Cg *c, Kern *k, LLVMValueRef oy0, LLVMValueRef nrows)
{
	const Dw *d = k->d;
	Loop ly, lx;

	LLVMValueRef oy = tgt_loop_open(c, &ly, tgt_cidx(c, 0), nrows);
	LLVMValueRef row = tgt_mad(c, LLVMBuildAdd(c->b, oy0, oy, ""), d->cg.OW, NULL);
	if (d->cg.sw == 1) {
		LLVMValueRef acc[2];
		LLVMValueRef ox = tgt_mad(c, tgt_upto(c, &lx, d->cg.OW / 2), 2, NULL);
		pair(c, k, at(c, d, oy, ox), acc);
		put(c, k, acc[0], LLVMBuildAdd(c->b, row, ox, ""));
		put(c, k, acc[1],
		    LLVMBuildAdd(c->b, row, LLVMBuildAdd(c->b, ox, tgt_cidx(c, 1), ""), ""));
		tgt_loop_close(c, &lx);
		if (d->cg.OW % 2) {
			LLVMValueRef last = tgt_cidx(c, d->cg.OW - 1);
			put(c, k, pixel(c, k, at(c, d, oy, last)),
			    LLVMBuildAdd(c->b, row, last, ""));
		}
	} else {
		LLVMValueRef ox = tgt_upto(c, &lx, d->cg.OW);
		put(c, k, pixel(c, k, at(c, d, oy, ox)), LLVMBuildAdd(c->b, row, ox, ""));
		tgt_loop_close(c, &lx);
	}
	tgt_loop_close(c, &ly);
}

/* The fused max-pool: per pooled pixel, the max of the epilogues of the
 * window's conv pixels (each computed alone), or the zero point when the
 * window holds none (maxpool2d's empty window); the order of the taps does
 * not matter for an integer max. */
static void pooled(Cg *c, Kern *k)
{
	const Dw *d = k->d;
	const ConvPool *p = &d->cg.pool;
	LLVMBuilderRef b = c->b;
	LLVMValueRef best = tgt_alloca(c, c->ti8, 1);
	Loop lp, lky, lkx;
	If f;

	LLVMValueRef pp = tgt_upto(c, &lp, p->oh * p->ow);
	LLVMValueRef py = LLVMBuildUDiv(b, pp, tgt_cidx(c, p->ow), "");
	LLVMValueRef px = LLVMBuildURem(b, pp, tgt_cidx(c, p->ow), "");
	LLVMValueRef have = tgt_alloca(c, c->ti1, 1);
	LLVMBuildStore(b, LLVMConstInt(c->ti1, 0, 0), have);
	LLVMBuildStore(b, k->zp, best);
	LLVMValueRef ky = tgt_upto(c, &lky, p->kh);
	LLVMValueRef cy = tgt_mad(c, py, p->sh, tgt_mad(c, ky, p->dh, tgt_cidx(c, -p->pt)));
	LLVMValueRef kx = tgt_upto(c, &lkx, p->kw);
	LLVMValueRef cx = tgt_mad(c, px, p->sw, tgt_mad(c, kx, p->dw, tgt_cidx(c, -p->pl)));
	LLVMValueRef ok = LLVMBuildAnd(
	        b, LLVMBuildICmp(b, LLVMIntULT, cy, tgt_cidx(c, d->cg.OH), ""),
	        LLVMBuildICmp(b, LLVMIntULT, cx, tgt_cidx(c, d->cg.OW), ""), "");
	tgt_if_open(c, &f, ok);
	LLVMValueRef r = epi(c, k, pixel(c, k, at(c, d, cy, cx)));
	LLVMValueRef old = LLVMBuildLoad2(b, c->ti8, best, "");
	LLVMValueRef h = LLVMBuildLoad2(b, c->ti1, have, "");
	LLVMValueRef take = LLVMBuildOr(b, LLVMBuildNot(b, h, ""),
	                                LLVMBuildICmp(b, LLVMIntSGT, r, old, ""), "");
	LLVMBuildStore(b, LLVMBuildSelect(b, take, r, old, ""), best);
	LLVMBuildStore(b, LLVMConstInt(c->ti1, 1, 0), have);
	tgt_if_close(c, &f);
	tgt_loop_close(c, &lkx);
	tgt_loop_close(c, &lky);
	tgt_store(c, LLVMBuildLoad2(b, c->ti8, best, ""), k->y, LLVMBuildAdd(b, k->ybase, pp, ""));
	tgt_loop_close(c, &lp);
}

/* n bytes from src to dst, a word at a time (both unaligned), then bytes. */
static void copy_bytes(Cg *c, LLVMValueRef dst, LLVMValueRef src, int64_t n)
{
	Loop l;

	if (n >= 4) {
		LLVMValueRef i = tgt_mad(c, tgt_upto(c, &l, n / 4), 4, NULL);
		LLVMValueRef v = LLVMBuildLoad2(c->b, c->ti32, tgt_gep(c, c->ti8, src, i), "");
		LLVMSetAlignment(v, 1);
		LLVMSetAlignment(LLVMBuildStore(c->b, v, tgt_gep(c, c->ti8, dst, i)), 1);
		tgt_loop_close(c, &l);
	}
	for (int64_t t = n / 4 * 4; t < n; t++)
		tgt_store(c, tgt_load(c, c->ti8, src, tgt_cidx(c, t)), dst, tgt_cidx(c, t));
}

/* words i32 words of zx from word w of the scratch on. */
static void fill_zx(Cg *c, Kern *k, LLVMValueRef w, int64_t words)
{
	uint32_t z = (uint8_t)k->e.in_zp;
	Loop l;

	LLVMValueRef i = LLVMBuildAdd(c->b, w, tgt_upto(c, &l, words), "");
	LLVMValueRef v = LLVMConstInt(c->ti32, z * 0x01010101u, 0);
	LLVMSetAlignment(LLVMBuildStore(c->b, v, tgt_gep(c, c->ti32, k->scr, i)), 4);
	tgt_loop_close(c, &l);
}

/* The input rows of the band from conv row oy0, of the group's Cg planes of
 * image in, into the scratch: scratch row sr holds input row iy = oy0*sh -
 * pt + sr between columns pl and pl + W, or zx throughout when iy is
 * outside the input (the padding columns keep the zx written first). */
static void copy_band(Cg *c, Kern *k, LLVMValueRef in, LLVMValueRef ig, LLVMValueRef oy0)
{
	const Dw *d = k->d;
	LLVMBuilderRef b = c->b;
	Loop li, ly;

	LLVMValueRef ic = tgt_upto(c, &li, d->cg.Cg);
	LLVMValueRef plane = tgt_mad(c, tgt_mad(c, in, d->cg.C, tgt_mad(c, ig, d->cg.Cg, ic)),
	                             d->cg.H, NULL);
	if (d->NB == 1) {
		/* one band: the rows outside the input keep the first zx */
		int64_t rows = d->HP - d->cg.pt < d->cg.H ? d->HP - d->cg.pt : d->cg.H;
		LLVMValueRef iy = tgt_upto(c, &ly, rows);
		LLVMValueRef src = tgt_gep(
		        c, c->ti8, k->x, tgt_mad(c, LLVMBuildAdd(b, plane, iy, ""), d->cg.W, NULL));
		LLVMValueRef to = tgt_mad(
		        c, ic, d->HP * d->SW,
		        tgt_mad(c, iy, d->SW, tgt_cidx(c, d->cg.pt * d->SW + d->cg.pl)));
		copy_bytes(c, tgt_gep(c, c->ti8, k->scr, to), src, d->cg.W);
		tgt_loop_close(c, &ly);
		tgt_loop_close(c, &li);
		return;
	}
	LLVMValueRef sr = tgt_upto(c, &ly, d->HP);
	LLVMValueRef iy = tgt_mad(c, oy0, d->cg.sh,
	                          LLVMBuildAdd(b, sr, tgt_cidx(c, -d->cg.pt), ""));
	LLVMValueRef to = tgt_mad(c, ic, d->HP * d->SW, tgt_mad(c, sr, d->SW, NULL));
	LLVMValueRef in_x = LLVMBuildICmp(b, LLVMIntULT, iy, tgt_cidx(c, d->cg.H), "");
	LLVMBasicBlockRef then = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "row");
	LLVMBasicBlockRef pad = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "padrow");
	LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "rowdone");
	LLVMBuildCondBr(b, in_x, then, pad);
	LLVMPositionBuilderAtEnd(b, then);
	LLVMValueRef src = tgt_gep(c, c->ti8, k->x,
	                           tgt_mad(c, LLVMBuildAdd(b, plane, iy, ""), d->cg.W, NULL));
	copy_bytes(c, tgt_gep(c, c->ti8, k->scr, LLVMBuildAdd(b, to, tgt_cidx(c, d->cg.pl), "")),
	           src, d->cg.W);
	LLVMBuildBr(b, join);
	LLVMPositionBuilderAtEnd(b, pad);
	fill_zx(c, k, LLVMBuildLShr(b, to, tgt_cidx(c, 2), ""), d->SW / 4);
	LLVMBuildBr(b, join);
	LLVMPositionBuilderAtEnd(b, join);
	tgt_loop_close(c, &ly);
	tgt_loop_close(c, &li);
}

void tgt_conv2d_smlad_dw(Cg *c, int n, LLVMValueRef fn)
{
	const Node *nd = &c->g->nodes[n];
	LLVMBuilderRef b = c->b;
	Dw d;
	Kern k = {.d = &d};
	Loop ln, lg, lb, lm;

	dw_applies(c, nd, &d, NULL); /* the chooser took the node */
	tgt_epilogue_init(c, n, &k.e);
	k.rq = tgt_armm_rq_table(c, n, &k.e, d.cg.OC);
	k.wg = dw_weights(c, nd, &d, n);
	k.bias = tgt_fold_bias(c, nd, d.cg.OC, c->g->vals[nd->in[0]].q.zp, "bdw", n);
	int64_t bytes = dw_scratch_bytes(&d);
	k.scr = tgt_arena_scratch(c, 0);
	k.zp = LLVMConstInt(c->ti8, (unsigned long long)(int64_t)k.e.rq.zp, 1);
	k.x = LLVMGetParam(fn, 0), k.y = LLVMGetParam(fn, 1);
	k.wv = ir_xmalloc((size_t)(d.R * d.J * 2) * sizeof *k.wv);
	fill_zx(c, &k, tgt_cidx(c, 0), bytes / 4);

	LLVMValueRef in = tgt_upto(c, &ln, d.cg.N);
	LLVMValueRef ig = tgt_upto(c, &lg, d.cg.G);
	LLVMValueRef band = tgt_upto(c, &lb, d.NB);
	LLVMValueRef oy0 = tgt_mad(c, band, d.RB, NULL);
	/* the last band may be shorter */
	LLVMValueRef nrows = LLVMBuildSelect(
	        b, LLVMBuildICmp(b, LLVMIntEQ, band, tgt_cidx(c, d.NB - 1), ""),
	        tgt_cidx(c, d.cg.OH - (d.NB - 1) * d.RB), tgt_cidx(c, d.RB), "");
	copy_band(c, &k, in, ig, oy0);
	LLVMValueRef m = tgt_upto(c, &lm, d.cg.OCg);
	k.oc = tgt_mad(c, ig, d.cg.OCg, m);
	k.ybase = tgt_mad(c, tgt_mad(c, in, d.cg.OC, k.oc), d.cg.pool.oh * d.cg.pool.ow, NULL);
	k.b0 = tgt_load(c, c->ti32, k.bias, k.oc);
	for (int t = 0; k.rq && t < 3; t++)
		k.ch[t] = tgt_load(c, c->ti32, k.rq, tgt_mad(c, k.oc, 3, tgt_cidx(c, t)));
	LLVMValueRef wrow = tgt_mad(c, k.oc, d.R * d.J * 2, NULL);
	for (int64_t i = 0; i < d.R * d.J * 2; i++)
		k.wv[i] = tgt_load(c, c->ti32, k.wg, LLVMBuildAdd(b, wrow, tgt_cidx(c, i), ""));
	if (d.pooled)
		pooled(c, &k); /* one band: the whole plane */
	else
		plain(c, &k, oy0, nrows);
	tgt_loop_close(c, &lm);
	tgt_loop_close(c, &lb);
	tgt_loop_close(c, &lg);
	tgt_loop_close(c, &ln);
	free(k.wv);
}

TGT_APPLIES(tgt_conv2d_smlad_dw_applies, Dw, dw_applies)
TGT_SCRATCH(tgt_conv2d_smlad_dw_scratch, Dw, dw_applies, dw_scratch_bytes)
