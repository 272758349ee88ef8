/* lower_conv.c — conv2d lowering.
 *
 * Semantics (ir/interp.c): for each n, oc, oy, ox the accumulator starts at
 * the bias and adds x*w over ic, ky, kx in that order, skipping taps outside
 * the input.  The loop nest keeps that order per output element but puts the
 * output channels innermost: the weights are stored transposed to
 * [G][C/G][KH][KW][OC/G], so for one output position and one tap the update
 * acc[j] += x * w[j] runs over contiguous weights and a stack accumulator.
 * That loop has no reduction and no per-element branch, so LLVM vectorizes it
 * for floats (no reassociation needed) and integers alike, and the border
 * tests happen once per tap, outside it.
 *
 * A fused max-pool (pool = [kh,kw], the fuse-pool pass) is the same loop
 * nest one level further in: for each pooled output pixel, for each in-bound
 * window tap (ky then kx, as maxpool2d scans them) the convolution output
 * pixel at that tap is accumulated for the group's channels, put through the
 * epilogue, and max-ed into a per-channel stack row (the first tap taken as
 * it is, then every later one that is greater: a float NaN behaves as in
 * the interpreter's unfused pair); the row is stored once.  Overlapping
 * windows recompute conv pixels: the generic loop is for correctness, the
 * target kernels (kernels.c chooses) for speed.
 */
#include <stdlib.h>

#include "targets.h"

/* What the loops share: the node, its dims, the weights, the epilogue. */
typedef struct {
	const Node *nd;
	ConvGeo d; /* OH, OW: the convolution's, before any pool */
	DType xdt;
	LLVMTypeRef tw;
	LLVMValueRef x, y, w, bias, acc;
	Epilogue e;
} Conv;

/* The accumulator row (8 bytes an output channel of a group: the widest
 * accumulator) and, with a fused pool, the row of maxima (4 bytes each):
 * in the node's arena scratch when plan-memory planned it (kernels.c asks
 * this for a conv2d no kernel takes), else on the stack. */
static int64_t acc_row_bytes(const ConvGeo *d)
{
	return (d->OCg * 8 + 15) / 16 * 16;
}

int64_t tgt_conv2d_generic_scratch(Cg *c, const Node *nd)
{
	ConvGeo d;

	if (ir_conv_geo(c->g, nd, &d) < 0)
		return 0;
	return acc_row_bytes(&d) + (ir_has_pool(nd) ? d.OCg * 4 : 0);
}

/* n elements of t at byte off of the arena scratch, or on the stack. */
static LLVMValueRef row(Cg *c, const Node *nd, LLVMTypeRef t, int64_t n, int64_t off)
{
	int64_t need = tgt_conv2d_generic_scratch(c, nd);

	if (need + TGT_SCRATCH_ALIGN - IR_ALIGN <= nd->a.scratch[1])
		return tgt_arena_scratch(c, off);
	return tgt_alloca(c, t, n);
}

/* perm[i]: source index in [OC][Cg][KH][KW] of element i of the transposed
 * [G][Cg][KH][KW][OCg] weights. */
static int64_t *weight_perm(const ConvGeo *d)
{
	int64_t *perm = ir_xmalloc((size_t)(d->OC * d->Cg * d->KH * d->KW) * sizeof *perm);
	int64_t i = 0, taps = d->KH * d->KW;

	for (int64_t g = 0; g < d->G; g++)
		for (int64_t ic = 0; ic < d->Cg; ic++)
			for (int64_t k = 0; k < taps; k++)
				for (int64_t j = 0; j < d->OCg; j++)
					perm[i++] = ((g * d->OCg + j) * d->Cg + ic) * taps + k;
	return perm;
}

/* acc[j] = the accumulator of output channel oc0 + j at conv output pixel
 * (oy, ox) of image in: bias, then x*w over ic, ky, kx ascending. */
static void conv_pixel(Cg *c, const Conv *cv, LLVMValueRef in, LLVMValueRef ig, LLVMValueRef oc0,
                       LLVMValueRef oy, LLVMValueRef ox)
{
	const ConvGeo *d = &cv->d;
	LLVMBuilderRef b = c->b;
	LLVMTypeRef tacc = cv->e.tacc;
	Loop lj, lic, lky, lkx, lt;
	If fy, fx;

	/* acc[j] = bias[oc0 + j] or 0 */
	LLVMValueRef j = tgt_upto(c, &lj, d->OCg);
	LLVMValueRef init = cv->bias ? tgt_load(c, tgt_type(c, c->g->vals[cv->nd->in[2]].dt),
	                                        cv->bias, LLVMBuildNSWAdd(b, oc0, j, ""))
	                             : LLVMConstNull(tacc);
	tgt_store(c, init, cv->acc, j);
	tgt_loop_close(c, &lj);

	/* input channel ci = g*Cg + ic: its x plane (n, ci) and weights (g, ic) */
	LLVMValueRef ic = tgt_upto(c, &lic, d->Cg);
	LLVMValueRef ci = tgt_mad(c, ig, d->Cg, ic);
	LLVMValueRef xplane = tgt_mad(c, tgt_mad(c, in, d->C, ci), d->H, NULL);
	LLVMValueRef wplane = tgt_mad(c, ci, d->KH, NULL);
	LLVMValueRef ky = tgt_upto(c, &lky, d->KH);
	/* iy = oy*sh - pt + ky*dh, skipped unless 0 <= iy < H */
	LLVMValueRef iy = tgt_mad(c, oy, d->sh, tgt_mad(c, ky, d->dh, tgt_cidx(c, -d->pt)));
	tgt_if_open(c, &fy, LLVMBuildICmp(b, LLVMIntULT, iy, tgt_cidx(c, d->H), ""));
	LLVMValueRef xrow = tgt_mad(c, LLVMBuildNSWAdd(b, xplane, iy, ""), d->W, NULL);
	LLVMValueRef wrow = tgt_mad(c, LLVMBuildNSWAdd(b, wplane, ky, ""), d->KW, NULL);
	LLVMValueRef kx = tgt_upto(c, &lkx, d->KW);
	LLVMValueRef ix = tgt_mad(c, ox, d->sw, tgt_mad(c, kx, d->dw, tgt_cidx(c, -d->pl)));
	tgt_if_open(c, &fx, LLVMBuildICmp(b, LLVMIntULT, ix, tgt_cidx(c, d->W), ""));
	LLVMValueRef xe = tgt_load(c, tgt_type(c, cv->xdt), cv->x,
	                           LLVMBuildNSWAdd(b, xrow, ix, ""));
	xe = tgt_widen_x(c, &cv->e, xe);
	LLVMValueRef wp = tgt_gep(c, cv->tw, cv->w,
	                          tgt_mad(c, LLVMBuildNSWAdd(b, wrow, kx, ""), d->OCg, NULL));
	/* the vectorizable loop: acc[t] += x * w[t] */
	LLVMValueRef t = tgt_upto(c, &lt, d->OCg);
	LLVMValueRef we = tgt_load(c, cv->tw, wp, t);
	LLVMValueRef ap = tgt_gep(c, tacc, cv->acc, t);
	LLVMBuildStore(b, tgt_mac(c, &cv->e, LLVMBuildLoad2(b, tacc, ap, ""), xe, we), ap);
	tgt_loop_close(c, &lt);
	tgt_if_close(c, &fx);
	tgt_loop_close(c, &lkx);
	tgt_if_close(c, &fy);
	tgt_loop_close(c, &lky);
	tgt_loop_close(c, &lic);
}

/* y[n, oc0 + j, oy, ox] = epilogue(acc[j]), over the conv's own pixels. */
static void conv_plain(Cg *c, const Conv *cv, LLVMValueRef in, LLVMValueRef ig, LLVMValueRef oc0)
{
	const ConvGeo *d = &cv->d;
	LLVMBuilderRef b = c->b;
	Loop loy, lox, le;

	LLVMValueRef oy = tgt_upto(c, &loy, d->OH);
	LLVMValueRef ox = tgt_upto(c, &lox, d->OW);
	conv_pixel(c, cv, in, ig, oc0, oy, ox);
	LLVMValueRef pos = tgt_mad(c, oy, d->OW, ox);
	LLVMValueRef jj = tgt_upto(c, &le, d->OCg);
	LLVMValueRef oc = LLVMBuildNSWAdd(b, oc0, jj, "");
	LLVMValueRef r = tgt_epilogue(c, &cv->e, tgt_load(c, cv->e.tacc, cv->acc, jj), oc);
	tgt_store(c, r, cv->y, tgt_mad(c, tgt_mad(c, in, d->OC, oc), d->OH * d->OW, pos));
	tgt_loop_close(c, &le);
	tgt_loop_close(c, &lox);
	tgt_loop_close(c, &loy);
}

/* The fused max-pool: per pooled pixel, the max over its window's conv
 * output pixels of their epilogues, in maxpool2d's order (file comment). */
static void conv_pooled(Cg *c, const Conv *cv, LLVMValueRef in, LLVMValueRef ig, LLVMValueRef oc0)
{
	const ConvGeo *d = &cv->d;
	const Value *yv = &c->g->vals[cv->nd->out];
	LLVMBuilderRef b = c->b;
	LLVMTypeRef t = tgt_type(c, yv->dt);
	int f32 = !cv->e.quant;
	LLVMValueRef best = row(c, cv->nd, t, d->OCg, acc_row_bytes(d));
	LLVMValueRef have = tgt_alloca(c, c->ti1, 1);
	LLVMValueRef empty = f32 ? LLVMConstReal(c->tf32, 0.0)
	                         : LLVMConstInt(t, (unsigned long long)yv->q.zp, 1);
	Loop lpy, lpx, lb, lky, lkx, lm, ls;
	If fy, fx;
	const ConvPool p = d->pool;

	LLVMValueRef py = tgt_upto(c, &lpy, p.oh);
	LLVMValueRef px = tgt_upto(c, &lpx, p.ow);
	LLVMBuildStore(b, LLVMConstInt(c->ti1, 0, 0), have);
	LLVMValueRef j0 = tgt_upto(c, &lb, d->OCg);
	tgt_store(c, empty, best, j0);
	tgt_loop_close(c, &lb);
	/* cy = py*sh - pt + ky*dh, skipped unless 0 <= cy < OH; cx likewise */
	LLVMValueRef ky = tgt_upto(c, &lky, p.kh);
	LLVMValueRef cy = tgt_mad(c, py, p.sh, tgt_mad(c, ky, p.dh, tgt_cidx(c, -p.pt)));
	tgt_if_open(c, &fy, LLVMBuildICmp(b, LLVMIntULT, cy, tgt_cidx(c, d->OH), ""));
	LLVMValueRef kx = tgt_upto(c, &lkx, p.kw);
	LLVMValueRef cx = tgt_mad(c, px, p.sw, tgt_mad(c, kx, p.dw, tgt_cidx(c, -p.pl)));
	tgt_if_open(c, &fx, LLVMBuildICmp(b, LLVMIntULT, cx, tgt_cidx(c, d->OW), ""));
	conv_pixel(c, cv, in, ig, oc0, cy, cx);
	LLVMValueRef h = LLVMBuildLoad2(b, c->ti1, have, "");
	LLVMValueRef jm = tgt_upto(c, &lm, d->OCg);
	LLVMValueRef v = tgt_epilogue(c, &cv->e, tgt_load(c, cv->e.tacc, cv->acc, jm),
	                              LLVMBuildNSWAdd(b, oc0, jm, ""));
	LLVMValueRef cur = tgt_load(c, t, best, jm);
	LLVMValueRef gt = f32 ? LLVMBuildFCmp(b, LLVMRealOGT, v, cur, "")
	                      : LLVMBuildICmp(b, LLVMIntSGT, v, cur, "");
	LLVMValueRef take = LLVMBuildOr(b, LLVMBuildNot(b, h, ""), gt, "");
	tgt_store(c, LLVMBuildSelect(b, take, v, cur, ""), best, jm);
	tgt_loop_close(c, &lm);
	LLVMBuildStore(b, LLVMConstInt(c->ti1, 1, 0), have);
	tgt_if_close(c, &fx);
	tgt_loop_close(c, &lkx);
	tgt_if_close(c, &fy);
	tgt_loop_close(c, &lky);
	/* best still holds the empty value when no tap was in bounds */
	LLVMValueRef pos = tgt_mad(c, py, p.ow, px);
	LLVMValueRef js = tgt_upto(c, &ls, d->OCg);
	LLVMValueRef oc = LLVMBuildNSWAdd(b, oc0, js, "");
	tgt_store(c, tgt_load(c, t, best, js), cv->y,
	          tgt_mad(c, tgt_mad(c, in, d->OC, oc), p.oh * p.ow, pos));
	tgt_loop_close(c, &ls);
	tgt_loop_close(c, &lpx);
	tgt_loop_close(c, &lpy);
}

void tgt_conv2d_generic(Cg *c, int n, LLVMValueRef fn)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *xv = &g->vals[nd->in[0]], *wv = &g->vals[nd->in[1]];
	Conv cv = {.nd = nd, .xdt = xv->dt, .tw = tgt_type(c, wv->dt)};
	ConvGeo *d = &cv.d;
	Loop ln, lg;

	ir_conv_geo(g, nd, d);

	int64_t *perm = weight_perm(d);
	cv.w = tgt_const_value(c, nd->in[1], perm, "w", n);
	free(perm);
	if (nd->nin > 2)
		cv.bias = tgt_const_value(c, nd->in[2], NULL, "b", n);
	tgt_epilogue_init(c, n, &cv.e);
	cv.acc = row(c, nd, cv.e.tacc, d->OCg, 0);
	cv.x = LLVMGetParam(fn, 0);
	cv.y = LLVMGetParam(fn, 1);

	LLVMValueRef in = tgt_upto(c, &ln, d->N);
	LLVMValueRef ig = tgt_upto(c, &lg, d->G);
	LLVMValueRef oc0 = tgt_mad(c, ig, d->OCg, NULL);
	if (ir_has_pool(nd))
		conv_pooled(c, &cv, in, ig, oc0);
	else
		conv_plain(c, &cv, in, ig, oc0);
	tgt_loop_close(c, &lg);
	tgt_loop_close(c, &ln);
}
