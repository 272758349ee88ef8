/* conv_common.c — what the target conv2d kernels (kernel_*.c) share: the
 * geometry checks, the padded scratch (its size, the copy of the input, a
 * pixel's offset in it), the int8 kernels' opening (epilogue, folded bias,
 * requant tables, scratch), the packed constant globals, the batch loop,
 * the tap loops (a fused pool's too), the chunks of pixels with their
 * transposed masked row stores, the groups of output channel blocks, and
 * small builders (aligned loads and stack slots, intrinsics, a 16 x 16
 * transpose).  Each kernel keeps its own tile and inner loop.  Every helper
 * emits the instructions, in the order, that the kernels emitted before
 * they shared it: the objects stay the same.
 */
#include <stdlib.h>
#include <string.h>

#include <llvm-c/DebugInfo.h>

#include "targets.h"

int tgt_conv_geo(Cg *c, const Node *nd, ConvGeo *g, const char **why)
{
	if (ir_conv_geo(c->g, nd, g) < 0)
		return !tgt_decline(why, "invalid geometry");
	if (g->pt < 0 || g->pl < 0)
		return !tgt_decline(why, "negative padding");
	return 0;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

void tgt_conv_padded(const ConvGeo *g, int64_t *Hp, int64_t *Wp)
{
	*Hp = max64(g->pt + g->H, (g->OH - 1) * g->sh + (g->KH - 1) * g->dh + 1);
	*Wp = max64(g->pl + g->W, (g->OW - 1) * g->sw + (g->KW - 1) * g->dw + 1);
}

LLVMValueRef tgt_const_packed(Cg *c, const char *tag, int n, unsigned char *buf, size_t len)
{
	char name[320];
	LLVMValueRef gv;

	snprintf(name, sizeof name, "%s.%s%d", c->name, tag, n);
	gv = tgt_const_bytes(c, name, buf, len);
	free(buf);
	return gv;
}

void tgt_put_le(unsigned char *p, uint32_t v, int bytes)
{
	for (int b = 0; b < bytes; b++)
		p[b] = (unsigned char)(v >> (8 * b));
}

LLVMValueRef tgt_fold_bias(Cg *c, const Node *nd, int64_t lanes, int64_t k, const char *tag, int n)
{
	const Graph *g = c->g;
	const Value *wv = &g->vals[nd->in[1]];
	const int8_t *w = wv->data;
	const int32_t *bias = nd->nin > 2 ? g->vals[nd->in[2]].data : NULL;
	int64_t O = wv->shape.d[0], per = ir_shape_numel(&wv->shape) / O;
	unsigned char *buf = ir_xcalloc((size_t)lanes, 4);

	for (int64_t o = 0; o < O; o++) {
		uint32_t s = 0;
		for (int64_t i = 0; k && i < per; i++)
			s += (uint32_t)(int32_t)w[o * per + i];
		tgt_put_le(buf + 4 * o, (bias ? (uint32_t)bias[o] : 0) - (uint32_t)k * s, 4);
	}
	return tgt_const_packed(c, tag, n, buf, (size_t)lanes * 4);
}

LLVMValueRef tgt_load_al(Cg *c, LLVMTypeRef t, LLVMValueRef p, unsigned align)
{
	LLVMValueRef v = LLVMBuildLoad2(c->b, t, p, "");

	LLVMSetAlignment(v, align);
	return v;
}

/* ---- the padded NHWC scratch --------------------------------------------- */

LLVMValueRef tgt_scratch_open(Cg *c, ScratchCopy *s, const ConvGeo *g, int64_t Wp, LLVMValueRef x,
                              LLVMValueRef in, int nhwc)
{
	LLVMBuilderRef b = c->b;
	LLVMValueRef xi;

	s->nhwc = nhwc;
	if (s->nhwc) {
		/* x[((in * H + h) * W + w) * C + ci]: the channels innermost */
		LLVMValueRef h = tgt_upto(c, &s->lh, g->H);
		s->srow = tgt_mad(c, h, Wp, tgt_cidx(c, g->pt * Wp + g->pl));
		s->w = tgt_upto(c, &s->lw, g->W);
		s->ci = tgt_upto(c, &s->lc, g->C);
		LLVMValueRef pix = tgt_mad(c, tgt_mad(c, in, g->H, h), g->W, s->w);
		xi = tgt_mad(c, pix, g->C, s->ci);
	} else {
		s->ci = tgt_upto(c, &s->lc, g->C);
		LLVMValueRef plane = tgt_mad(c, tgt_mad(c, in, g->C, s->ci), g->H, NULL);
		LLVMValueRef h = tgt_upto(c, &s->lh, g->H);
		LLVMValueRef xrow = tgt_mad(c, LLVMBuildNSWAdd(b, plane, h, ""), g->W, NULL);
		s->srow = tgt_mad(c, h, Wp, tgt_cidx(c, g->pt * Wp + g->pl));
		s->w = tgt_upto(c, &s->lw, g->W);
		xi = LLVMBuildNSWAdd(b, xrow, s->w, "");
	}
	return tgt_load(c, c->ti8, x, xi);
}

LLVMValueRef tgt_scratch_at(Cg *c, const ScratchCopy *s, int64_t Cp)
{
	return tgt_mad(c, LLVMBuildNSWAdd(c->b, s->srow, s->w, ""), Cp, s->ci);
}

void tgt_scratch_close(Cg *c, ScratchCopy *s)
{
	if (s->nhwc) {
		tgt_loop_close(c, &s->lc);
		tgt_loop_close(c, &s->lw);
		tgt_loop_close(c, &s->lh);
		return;
	}
	tgt_loop_close(c, &s->lw);
	tgt_loop_close(c, &s->lh);
	tgt_loop_close(c, &s->lc);
}

LLVMValueRef tgt_scratch_pixel(Cg *c, const ConvGeo *g, int64_t Wp, int64_t Cp, LLVMValueRef p)
{
	LLVMValueRef oy = LLVMBuildUDiv(c->b, p, tgt_cidx(c, g->OW), "");
	LLVMValueRef ox = LLVMBuildURem(c->b, p, tgt_cidx(c, g->OW), "");
	LLVMValueRef row = tgt_mad(c, oy, g->sh * Wp, tgt_mad(c, ox, g->sw, NULL));
	return tgt_mad(c, row, Cp, NULL);
}

static LLVMValueRef clamp_idx(Cg *c, LLVMValueRef v, int64_t hi)
{
	LLVMBuilderRef b = c->b;
	LLVMValueRef z = tgt_cidx(c, 0), h = tgt_cidx(c, hi);

	v = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, v, z, ""), z, v, "");
	return LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, v, h, ""), h, v, "");
}

LLVMValueRef tgt_scratch_pool_pixel(Cg *c, const ConvGeo *g, int64_t Wp, int64_t Cp, LLVMValueRef p,
                                    LLVMValueRef ky, LLVMValueRef kx)
{
	LLVMBuilderRef b = c->b;
	const ConvPool *pl = &g->pool;
	LLVMValueRef py = LLVMBuildUDiv(b, p, tgt_cidx(c, pl->ow), "");
	LLVMValueRef px = LLVMBuildURem(b, p, tgt_cidx(c, pl->ow), "");
	LLVMValueRef cy = clamp_idx(
	        c, tgt_mad(c, py, pl->sh, LLVMBuildAdd(b, ky, tgt_cidx(c, -pl->pt), "")),
	        g->OH - 1);
	LLVMValueRef cx = clamp_idx(
	        c, tgt_mad(c, px, pl->sw, LLVMBuildAdd(b, kx, tgt_cidx(c, -pl->pl), "")),
	        g->OW - 1);
	LLVMValueRef row = tgt_mad(c, cy, g->sh * Wp, tgt_mad(c, cx, g->sw, NULL));
	return tgt_mad(c, row, Cp, NULL);
}

/* ---- chunks of pixels ----------------------------------------------------- */

/* RowStore s with an NHWC y: each pixel of the chunk that exists stores
 * its L channels of block j, the channels past OC masked off. */
static void store_pixels(Cg *c, const RowStore *s, LLVMValueRef ob0, LLVMValueRef j,
                         LLVMValueRef p0, int64_t np, LLVMValueRef pofs)
{
	LLVMBuilderRef b = c->b;
	LLVMTypeRef ti = LLVMVectorType(c->ti32, (unsigned)s->L);
	LLVMValueRef idx[16];

	for (int l = 0; l < s->L; l++)
		idx[l] = tgt_c32(c, l);
	LLVMValueRef oc0 = tgt_mad(c, LLVMBuildNSWAdd(b, ob0, j, ""), s->L, NULL);
	LLVMValueRef left = LLVMBuildTrunc(b, LLVMBuildNSWSub(b, tgt_cidx(c, s->OC), oc0, ""),
	                                   c->ti32, "");
	LLVMValueRef splat = LLVMBuildShuffleVector(
	        b, LLVMBuildInsertElement(b, LLVMGetUndef(ti), left, tgt_c32(c, 0), ""),
	        LLVMGetUndef(ti), LLVMConstNull(ti), "");
	LLVMValueRef cmask = LLVMBuildICmp(b, LLVMIntSLT, LLVMConstVector(idx, (unsigned)s->L),
	                                   splat, "");
	/* the batch element's first pixel: nbase = in * OC */
	LLVMValueRef base = LLVMBuildNSWMul(b, s->nbase, tgt_cidx(c, s->P), "");
	LLVMValueRef px0 = pofs ? LLVMBuildNSWAdd(b, pofs, p0, "") : p0;

	for (int r = 0; r < s->ch; r++) {
		If live;
		LLVMValueRef p = LLVMBuildNSWAdd(b, p0, tgt_cidx(c, r), "");
		tgt_if_open(c, &live, LLVMBuildICmp(b, LLVMIntSLT, p, tgt_cidx(c, np), ""));
		LLVMValueRef v = LLVMBuildLoad2(
		        b, s->tv, tgt_gep(c, s->tv, s->st, tgt_mad(c, tgt_cidx(c, r), s->nblk, j)),
		        "");
		LLVMValueRef px = LLVMBuildNSWAdd(b, px0, tgt_cidx(c, r), "");
		LLVMValueRef dst = tgt_gep(
		        c, s->te, s->y, LLVMBuildNSWAdd(b, base, tgt_mad(c, px, s->OC, oc0), ""));
		LLVMValueRef args[4] = {v, dst, tgt_c32(c, (int64_t)s->align), cmask};
		LLVMBuildCall2(b, s->tms, s->mstore, args, 4, "");
		tgt_if_close(c, &live);
	}
}

void tgt_store_rows(Cg *c, const RowStore *s, LLVMValueRef ob0, LLVMValueRef j, LLVMValueRef p0,
                    int64_t np, LLVMValueRef pofs)
{
	LLVMBuilderRef b = c->b;
	LLVMTypeRef ti = LLVMVectorType(c->ti32, (unsigned)s->L);
	LLVMValueRef v[16], idx[16];

	if (s->nhwc) {
		store_pixels(c, s, ob0, j, p0, np, pofs);
		return;
	}
	for (int r = 0; r < s->L; r++)
		v[r] = LLVMBuildLoad2(
		        b, s->tv, tgt_gep(c, s->tv, s->st, tgt_mad(c, tgt_cidx(c, r), s->nblk, j)),
		        "");
	if (s->transpose)
		s->transpose(c, v, s->L);
	else
		tgt_transpose16(c, v);
	for (int l = 0; l < s->L; l++)
		idx[l] = tgt_c32(c, l);
	LLVMValueRef left = LLVMBuildTrunc(b, LLVMBuildNSWSub(b, tgt_cidx(c, np), p0, ""), c->ti32,
	                                   "");
	/* the chunk's pixels: ch <= L of the transposed lanes */
	left = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, left, tgt_c32(c, s->ch), ""), left,
	                       tgt_c32(c, s->ch), "");
	LLVMValueRef one = LLVMBuildInsertElement(b, LLVMGetUndef(ti), left, tgt_c32(c, 0), "");
	LLVMValueRef splat = LLVMBuildShuffleVector(b, one, LLVMGetUndef(ti), LLVMConstNull(ti),
	                                            "");
	LLVMValueRef pmask = LLVMBuildICmp(b, LLVMIntSLT, LLVMConstVector(idx, (unsigned)s->L),
	                                   splat, "");
	LLVMValueRef oc0 = tgt_mad(c, LLVMBuildNSWAdd(b, ob0, j, ""), s->L, NULL);
	LLVMValueRef px = pofs ? LLVMBuildNSWAdd(b, pofs, p0, "") : p0;
	for (int r = 0; r < s->L; r++) {
		LLVMValueRef oc = LLVMBuildNSWAdd(b, oc0, tgt_cidx(c, r), "");
		LLVMValueRef ok = LLVMBuildICmp(b, LLVMIntSLT, oc, tgt_cidx(c, s->OC), "");
		LLVMValueRef m = LLVMBuildSelect(b, ok, pmask, LLVMConstNull(LLVMTypeOf(pmask)),
		                                 "");
		/* a channel past OC points nowhere useful: address channel 0 */
		LLVMValueRef row = LLVMBuildSelect(b, ok, oc, tgt_cidx(c, 0), "");
		LLVMValueRef dst = tgt_gep(
		        c, s->te, s->y,
		        tgt_mad(c, LLVMBuildNSWAdd(b, s->nbase, row, ""), s->P, px));
		LLVMValueRef args[4] = {v[r], dst, tgt_c32(c, (int64_t)s->align), m};
		LLVMBuildCall2(b, s->tms, s->mstore, args, 4, "");
	}
}

void tgt_chunks(Cg *c, void *k, int nb, LLVMValueRef ob0, int64_t P, int64_t ch, int64_t np,
                TgtTile tile, TgtStore store, const RowStore *rs)
{
	Loop lp, lt, lj;
	If live;
	LLVMValueRef q = tgt_upto(c, &lp, (P + ch - 1) / ch);
	LLVMValueRef p0 = tgt_mad(c, q, ch, NULL);
	LLVMValueRef t = tgt_upto(c, &lt, ch / np);

	/* a tile wholly past the last pixel computes nothing that is stored
	 * (its rows go to lanes the last chunk's masked store leaves out):
	 * skip it; with a pool every pixel of it would cost a whole window */
	tgt_if_open(c, &live,
	            LLVMBuildICmp(c->b, LLVMIntSLT, tgt_mad(c, t, np, p0), tgt_cidx(c, P), ""));
	tile(c, k, nb, ob0, p0, t);
	tgt_if_close(c, &live);
	tgt_loop_close(c, &lt);
	LLVMValueRef j = tgt_upto(c, &lj, nb);
	if (store)
		store(c, k, ob0, j, p0);
	else
		tgt_store_rows(c, rs, ob0, j, p0, rs->P, NULL);
	tgt_loop_close(c, &lj);
	tgt_loop_close(c, &lp);
}

LLVMValueRef tgt_taps_open(Cg *c, Taps *t, const ConvGeo *g, int64_t nkx, int64_t Wp, int64_t Cp)
{
	t->ky = tgt_upto(c, &t->lky, g->KH);
	t->kx = tgt_upto(c, &t->lkx, nkx);
	return tgt_mad(c, tgt_mad(c, t->ky, g->dh * Wp, tgt_mad(c, t->kx, g->dw, NULL)), Cp, NULL);
}

void tgt_taps_close(Cg *c, Taps *t)
{
	tgt_loop_close(c, &t->lkx);
	tgt_loop_close(c, &t->lky);
}

void tgt_pool_taps_open(Cg *c, PoolTaps *t, const ConvPool *p, LLVMValueRef oy, LLVMValueRef ox)
{
	LLVMBuilderRef b = c->b;

	LLVMValueRef ky = tgt_upto(c, &t->lky, p->kh);
	t->iy = tgt_mad(c, oy, p->sh, tgt_mad(c, ky, p->dh, tgt_cidx(c, -p->pt)));
	tgt_if_open(c, &t->fy, LLVMBuildICmp(b, LLVMIntULT, t->iy, tgt_cidx(c, p->ch), ""));
	LLVMValueRef kx = tgt_upto(c, &t->lkx, p->kw);
	t->ix = tgt_mad(c, ox, p->sw, tgt_mad(c, kx, p->dw, tgt_cidx(c, -p->pl)));
	tgt_if_open(c, &t->fx, LLVMBuildICmp(b, LLVMIntULT, t->ix, tgt_cidx(c, p->cw), ""));
}

void tgt_pool_taps_close(Cg *c, PoolTaps *t)
{
	tgt_if_close(c, &t->fx);
	tgt_loop_close(c, &t->lkx);
	tgt_if_close(c, &t->fy);
	tgt_loop_close(c, &t->lky);
}

void tgt_block_groups(Cg *c, int64_t OCB, int nb, TgtGroup f, void *k)
{
	Loop lg;
	int64_t full = OCB / nb, rest = OCB % nb;

	if (full) {
		LLVMValueRef og = tgt_upto(c, &lg, full);
		f(c, k, nb, tgt_mad(c, og, nb, NULL));
		tgt_loop_close(c, &lg);
	}
	if (rest)
		f(c, k, (int)rest, tgt_cidx(c, full * nb));
}

LLVMValueRef tgt_intrinsic(Cg *c, const char *name, LLVMTypeRef t)
{
	LLVMValueRef f = LLVMGetNamedFunction(c->mod, name);

	return f ? f : LLVMAddFunction(c->mod, name, t);
}

/* Four rounds of interleaving v[i] with v[i + 8]: each rotates the 8 bits
 * of an element's (vector, lane) index by one, so four swap vector and
 * lane. */
void tgt_transpose16(Cg *c, LLVMValueRef v[16])
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

void tgt_int8_epilogue(Cg *c, int n, Epilogue *e)
{
	tgt_epilogue_init(c, n, e);
	if (e->acc64)
		ICE("an int8 convolution with a 64-bit accumulator");
}

LLVMValueRef tgt_int8_open(Cg *c, int n, const Int8Open *o, Epilogue *e, Int8Consts *q, void *k)
{
	const Node *nd = &c->g->nodes[n];
	char btag[32];

	tgt_int8_epilogue(c, n, e);
	o->weights(c, k, n);
	snprintf(btag, sizeof btag, "b%s", o->tag);
	q->bias = tgt_fold_bias(c, nd, o->lanes, (o->fold_zx ? e->in_zp : 0) + o->fold_add, btag,
	                        n);
	tgt_requant_tables(c, n, c->g->vals[nd->in[1]].shape.d[0], o->lanes, o->tag, &q->mult,
	                   &q->shift, &q->fm);
	if (o->scratch_align > TGT_SCRATCH_ALIGN ||
	    (int64_t)LLVMABISizeOfType(c->td, o->scratch_t) * o->scratch_n + TGT_SCRATCH_ALIGN -
	                    IR_ALIGN >
	            nd->a.scratch[1])
		ICE("%s: the padded input needs more than the planned scratch", o->tag);
	return tgt_arena_scratch(c, 0);
}

LLVMValueRef tgt_int8_requant_block(Cg *c, const Int8Consts *q, const Requant *rq, LLVMValueRef a,
                                    LLVMValueRef blk, LLVMTypeRef tb)
{
	unsigned lanes = LLVMGetVectorSize(LLVMTypeOf(a));
	LLVMTypeRef tf = LLVMVectorType(c->tf32, lanes), ti = LLVMVectorType(c->ti32, lanes);
	LLVMValueRef r;

	if (q->fm)
		r = tgt_requant_float(c, a, tgt_load_al(c, tf, tgt_gep(c, tf, q->fm, blk), 16), rq);
	else
		r = tgt_requant(c, a, tgt_load_al(c, ti, tgt_gep(c, ti, q->mult, blk), 16),
		                tgt_load_al(c, ti, tgt_gep(c, ti, q->shift, blk), 16), rq);
	return LLVMBuildTrunc(c->b, r, tb, "");
}

LLVMValueRef tgt_arena_scratch(Cg *c, int64_t off)
{
	LLVMBuilderRef ab = LLVMCreateBuilderInContext(c->ctx);
	LLVMValueRef p = LLVMGetParam(c->fn, LLVMCountParams(c->fn) - 1);

	/* in the entry block, computed once per use; the arena is aligned to
	 * IR_ALIGN only, so the start is rounded up at run time (plan-memory
	 * planned the bytes for it) */
	LLVMPositionBuilderAtEnd(ab, c->entry);
	LLVMValueRef a = LLVMBuildPtrToInt(ab, p, c->tidx, "");
	LLVMValueRef pad = LLVMBuildAnd(ab, LLVMBuildNeg(ab, a, ""),
	                                LLVMConstInt(c->tidx, TGT_SCRATCH_ALIGN - 1, 0), "");
	p = LLVMBuildGEP2(ab, c->ti8, p, &pad, 1, "scratch");
	if (off) {
		LLVMValueRef o = LLVMConstInt(c->tidx, (unsigned long long)off, 0);
		p = LLVMBuildGEP2(ab, c->ti8, p, &o, 1, "");
	}
	LLVMDisposeBuilder(ab);
	return p;
}

LLVMValueRef tgt_alloca_al(Cg *c, LLVMTypeRef t, int64_t n, unsigned align)
{
	LLVMValueRef p = tgt_alloca(c, t, n);

	LLVMSetAlignment(p, align);
	return p;
}

/* tgt_conv_batches with the groups' own state gk (the fill's is k). */
static void batches(Cg *c, LLVMValueRef fn, const ConvGeo *g, LLVMValueRef *nbase, TgtFill fill,
                    void *k, int64_t OCB, int nb, TgtGroup group, void *gk)
{
	Loop ln;
	LLVMValueRef in = tgt_upto(c, &ln, g->N);

	if (nbase)
		*nbase = tgt_mad(c, in, g->OC, NULL);
	fill(c, k, LLVMGetParam(fn, 0), in);
	tgt_block_groups(c, OCB, nb, group, gk);
	tgt_loop_close(c, &ln);
}

void tgt_conv_batches(Cg *c, LLVMValueRef fn, const ConvGeo *g, LLVMValueRef *nbase, TgtFill fill,
                      int64_t OCB, int nb, TgtGroup group, void *k)
{
	batches(c, fn, g, nbase, fill, k, OCB, nb, group, k);
}

/* The group of tgt_conv_rows: its chunks with rs's stores. */
typedef struct {
	void *k;
	int64_t np;
	TgtTile tile;
	const RowStore *rs;
} RowGroups;

static void row_group(Cg *c, void *v, int nb, LLVMValueRef ob0)
{
	const RowGroups *r = v;

	tgt_chunks(c, r->k, nb, ob0, r->rs->P, r->rs->ch, r->np, r->tile, NULL, r->rs);
}

void tgt_conv_rows(Cg *c, LLVMValueRef fn, const ConvGeo *g, TgtFill fill, int64_t OCB, int nb,
                   int64_t np, TgtTile tile, RowStore *rs, void *k)
{
	RowGroups r = {k, np, tile, rs};

	batches(c, fn, g, &rs->nbase, fill, k, OCB, nb, row_group, &r);
}

void tgt_taps_dw(Cg *c, const DwTaps *t, int nb, LLVMValueRef ob0, const LLVMValueRef *base, int np,
                 TgtDwMac mac, void *k)
{
	const ConvGeo *g = t->g;
	LLVMBuilderRef b = c->b;
	Taps tp;
	LLVMValueRef toff = tgt_taps_open(c, &tp, g, g->KW, t->Wp, t->Cp);
	LLVMValueRef tap = tgt_mad(c, tp.ky, g->KW, tp.kx);

	for (int j = 0; j < nb; j++) {
		LLVMValueRef ob = LLVMBuildNSWAdd(b, ob0, tgt_cidx(c, j), "");
		LLVMValueRef wv = tgt_load_al(
		        c, t->tw, tgt_gep(c, t->tw, t->w, tgt_mad(c, ob, g->KH * g->KW, tap)),
		        t->walign);
		LLVMValueRef coff = tgt_mad(c, ob, t->lanes, toff);
		for (int i = 0; i < np; i++) {
			LLVMValueRef off = LLVMBuildNSWAdd(b, base[i], coff, "");
			mac(c, k, i, j, tgt_load_al(c, t->tx, tgt_gep(c, c->ti8, t->s, off), 1),
			    wv);
		}
	}
	tgt_taps_close(c, &tp);
}

/* br's loop id: a node naming itself (operand 0, as LoopInfo expects),
 * then the one property given (with its i32 value when value >= 0) */
static void loop_md(Cg *c, LLVMValueRef br, const char *key, int value)
{
	LLVMMetadataRef tmp = LLVMTemporaryMDNode(c->ctx, NULL, 0);
	LLVMMetadataRef prop[2] = {LLVMMDStringInContext2(c->ctx, key, strlen(key)),
	                           LLVMValueAsMetadata(tgt_c32(c, value))};
	LLVMMetadataRef ops[2] = {tmp, LLVMMDNodeInContext2(c->ctx, prop, value >= 0 ? 2 : 1)};
	LLVMMetadataRef id = LLVMMDNodeInContext2(c->ctx, ops, 2);

	LLVMMetadataReplaceAllUsesWith(tmp, id);
	LLVMSetMetadata(br, LLVMGetMDKindIDInContext(c->ctx, "llvm.loop", 9),
	                LLVMMetadataAsValue(c->ctx, id));
}

void tgt_loop_no_unroll(Cg *c, LLVMValueRef br)
{
	loop_md(c, br, "llvm.loop.unroll.disable", -1);
}

void tgt_loop_interleave(Cg *c, LLVMValueRef br, int n)
{
	loop_md(c, br, "llvm.loop.interleave.count", n);
}
