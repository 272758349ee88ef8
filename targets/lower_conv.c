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
 */
#include <stdlib.h>

#include "targets.h"

typedef struct {
	int64_t N, C, H, W;    /* input */
	int64_t OC, Cg, KH, KW; /* weights */
	int64_t G, OCg, OH, OW;
} ConvDims;

/* perm[i]: source index in [OC][Cg][KH][KW] of element i of the transposed
 * [G][Cg][KH][KW][OCg] weights. */
static int64_t *weight_perm(const ConvDims *d)
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

int tgt_lower_conv2d(Cg *c, int n, LLVMValueRef fn)
{
	if (tgt_conv2d_vnni(c, n, fn))
		return 0; /* a target kernel (kernel_x86.c) */
	if (tgt_conv2d_f32(c, n, fn))
		return 0; /* kernel_f32.c */

	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *xv = &g->vals[nd->in[0]], *wv = &g->vals[nd->in[1]], *yv = &g->vals[nd->out];
	const Attrs *a = &nd->a;
	LLVMBuilderRef b = c->b;
	LLVMValueRef x = LLVMGetParam(fn, 0), y = LLVMGetParam(fn, 1), w, bias = NULL, acc;
	LLVMTypeRef tacc, tw = tgt_type(c, wv->dt);
	ConvDims d;
	Epilogue e;
	Loop ln, lg, loy, lox, lj, lic, lky, lkx, lt, le;
	If fy, fx;

	d.N = xv->shape.d[0], d.C = xv->shape.d[1], d.H = xv->shape.d[2], d.W = xv->shape.d[3];
	d.OC = wv->shape.d[0], d.Cg = wv->shape.d[1], d.KH = wv->shape.d[2], d.KW = wv->shape.d[3];
	d.G = a->groups, d.OCg = d.OC / d.G, d.OH = yv->shape.d[2], d.OW = yv->shape.d[3];

	int64_t *perm = weight_perm(&d);
	w = tgt_const_value(c, nd->in[1], perm, "w", n);
	free(perm);
	if (nd->nin > 2)
		bias = tgt_const_value(c, nd->in[2], NULL, "b", n);
	tgt_epilogue_init(c, n, &e);
	tacc = e.tacc;
	acc = tgt_alloca(c, tacc, d.OCg);

	LLVMValueRef in = tgt_upto(c, &ln, d.N);
	LLVMValueRef ig = tgt_upto(c, &lg, d.G);
	LLVMValueRef oc0 = tgt_mad(c, ig, d.OCg, NULL);
	LLVMValueRef oy = tgt_upto(c, &loy, d.OH);
	LLVMValueRef ox = tgt_upto(c, &lox, d.OW);

	/* acc[j] = bias[oc0 + j] or 0 */
	LLVMValueRef j = tgt_upto(c, &lj, d.OCg);
	LLVMValueRef init = bias ? tgt_load(c, tgt_type(c, g->vals[nd->in[2]].dt), bias,
	                                    LLVMBuildNSWAdd(b, oc0, j, ""))
	                         : LLVMConstNull(tacc);
	tgt_store(c, init, acc, j);
	tgt_loop_close(c, &lj);

	/* input channel ci = g*Cg + ic: its x plane (n, ci) and weights (g, ic) */
	LLVMValueRef ic = tgt_upto(c, &lic, d.Cg);
	LLVMValueRef ci = tgt_mad(c, ig, d.Cg, ic);
	LLVMValueRef xplane = tgt_mad(c, tgt_mad(c, in, d.C, ci), d.H, NULL);
	LLVMValueRef wplane = tgt_mad(c, ci, d.KH, NULL);
	LLVMValueRef ky = tgt_upto(c, &lky, d.KH);
	/* iy = oy*sh - pt + ky*dh, skipped unless 0 <= iy < H */
	LLVMValueRef iy = tgt_mad(c, oy, a->stride[0],
	                          tgt_mad(c, ky, a->dilation[0], tgt_cidx(c, -a->pad[0])));
	tgt_if_open(c, &fy, LLVMBuildICmp(b, LLVMIntULT, iy, tgt_cidx(c, d.H), ""));
	LLVMValueRef xrow = tgt_mad(c, LLVMBuildNSWAdd(b, xplane, iy, ""), d.W, NULL);
	LLVMValueRef wrow = tgt_mad(c, LLVMBuildNSWAdd(b, wplane, ky, ""), d.KW, NULL);
	LLVMValueRef kx = tgt_upto(c, &lkx, d.KW);
	LLVMValueRef ix = tgt_mad(c, ox, a->stride[1],
	                          tgt_mad(c, kx, a->dilation[1], tgt_cidx(c, -a->pad[1])));
	tgt_if_open(c, &fx, LLVMBuildICmp(b, LLVMIntULT, ix, tgt_cidx(c, d.W), ""));
	LLVMValueRef xe = tgt_load(c, tgt_type(c, xv->dt), x, LLVMBuildNSWAdd(b, xrow, ix, ""));
	xe = tgt_widen_x(c, &e, xe);
	LLVMValueRef wp = tgt_gep(c, tw, w, tgt_mad(c, LLVMBuildNSWAdd(b, wrow, kx, ""), d.OCg, NULL));
	/* the vectorizable loop: acc[t] += x * w[t] */
	LLVMValueRef t = tgt_upto(c, &lt, d.OCg);
	LLVMValueRef we = tgt_load(c, tw, wp, t);
	LLVMValueRef ap = tgt_gep(c, tacc, acc, t);
	LLVMBuildStore(b, tgt_mac(c, &e, LLVMBuildLoad2(b, tacc, ap, ""), xe, we), ap);
	tgt_loop_close(c, &lt);
	tgt_if_close(c, &fx);
	tgt_loop_close(c, &lkx);
	tgt_if_close(c, &fy);
	tgt_loop_close(c, &lky);
	tgt_loop_close(c, &lic);

	/* y[n, oc0 + j, oy, ox] = epilogue(acc[j]) */
	LLVMValueRef pos = tgt_mad(c, oy, d.OW, ox);
	LLVMValueRef jj = tgt_upto(c, &le, d.OCg);
	LLVMValueRef oc = LLVMBuildNSWAdd(b, oc0, jj, "");
	LLVMValueRef r = tgt_epilogue(c, &e, tgt_load(c, tacc, acc, jj), oc);
	tgt_store(c, r, y, tgt_mad(c, tgt_mad(c, in, d.OC, oc), d.OH * d.OW, pos));
	tgt_loop_close(c, &le);

	tgt_loop_close(c, &lox);
	tgt_loop_close(c, &loy);
	tgt_loop_close(c, &lg);
	tgt_loop_close(c, &ln);
	return 0;
}
