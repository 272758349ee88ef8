/* ir/fam_pool.c — the pool family (maxpool2d, avgpool2d, global_avgpool)
 * in the ir layer: the reference interpreter's checks and kernels, every
 * precision, and the window check and maxpool kernel conv2d shares
 * (ir/fam_weighted.c: its fused pool; ir/ir_rules.h).
 *
 * The definitions, per output element (targets/fam_pool.c computes the
 * same bits):
 *   maxpool2d  the first in-bound element of the (dilated) window (ky, then
 *              kx), then every later one that is > it; an empty window gives
 *              0 / zp.
 *   avgpool2d  over the window's in-bound taps, ky then kx ascending:
 *              f32: acc = acc + x (from 0.0f), out = acc / (float)count;
 *              int: acc = acc + q (wrapping int32), plus zp for every padded
 *              tap when count_pad = 1; then TFLite AveragePool's rounding
 *              out = (acc > 0 ? acc + count/2 : acc - count/2) / count (C
 *              division, truncating; int32, wrapping), clamped to the storage
 *              range.  count = the in-bound taps, or kh*kw with count_pad.
 *              Padding adds nothing in f32 (0 is the identity of the sum).
 *   global_avgpool   avgpool2d with the whole H x W plane as its window.
 * Quantized results keep the input's scale and zero point (OPF_KEEPQ), so
 * no pool requantizes (but global_avgpool under --requant float).
 *
 * Each kernel is one loop for all precisions, the per-precision steps in
 * small inline helpers (see ir/fam_weighted.c).
 */
#include <string.h>

#include "ir_rules.h"

/* ---- maxpool2d ------------------------------------------------------------- */

/* One element in a register: float, or an integer of any width. */
typedef union {
	float f;
	int32_t i;
} Elem;

IR_INLINE Elem elem_load(Prec p, const void *x, int64_t i)
{
	Elem e;

	switch (p) {
	case P_F32: e.f = ((const float *)x)[i]; break;
	case P_S8: e.i = ((const int8_t *)x)[i]; break;
	default: e.i = ((const int16_t *)x)[i]; break;
	}
	return e;
}

IR_INLINE int elem_gt(Prec p, Elem a, Elem b)
{
	return p == P_F32 ? a.f > b.f : a.i > b.i;
}

IR_INLINE void elem_store(Prec p, void *out, int64_t o, Elem e)
{
	switch (p) {
	case P_F32: ((float *)out)[o] = e.f; break;
	case P_S8: ((int8_t *)out)[o] = (int8_t)e.i; break;
	case P_S16: ((int16_t *)out)[o] = (int16_t)e.i; break;
	}
}

/* The first in-bound element, then every later one that is greater: no
 * arithmetic on the values, so NaNs and signed zeros come out as they went
 * in; an empty window leaves 0 / zp. */
IR_INLINE void maxpool(Prec p, const ConvGeo *cg, int32_t zp, const void *x, void *out)
{
	const int64_t NC = cg->N * cg->C, H = cg->H, W = cg->W, OH = cg->OH, OW = cg->OW;
	const int64_t KH = cg->KH, KW = cg->KW, sh = cg->sh, sw = cg->sw, pt = cg->pt, pl = cg->pl;
	const int64_t dh = cg->dh, dw = cg->dw;
	Elem empty;

	if (p == P_F32)
		empty.f = 0.0f;
	else
		empty.i = zp;
	for (int64_t nc = 0; nc < NC; nc++)
		for (int64_t oy = 0; oy < OH; oy++) {
			int64_t ky0, ky1;
			ir_tap_range(H, KH, dh, oy * sh - pt, &ky0, &ky1);
			for (int64_t ox = 0; ox < OW; ox++) {
				int64_t kx0, kx1;
				int have = 0;
				Elem m = empty;
				ir_tap_range(W, KW, dw, ox * sw - pl, &kx0, &kx1);
				for (int64_t ky = ky0; ky < ky1; ky++) {
					const int64_t row = (nc * H + oy * sh - pt + ky * dh) * W +
					                    ox * sw - pl;
					for (int64_t kx = kx0; kx < kx1; kx++) {
						const Elem v = elem_load(p, x, row + kx * dw);
						if (!have || elem_gt(p, v, m))
							m = v;
						have = 1;
					}
				}
				elem_store(p, out, (nc * OH + oy) * OW + ox, m);
			}
		}
}

void ir_interp_maxpool(const ConvGeo *cg, Prec prec, int32_t zp, const void *x, void *out)
{
	switch (prec) {
	case P_F32: maxpool(P_F32, cg, zp, x, out); break;
	case P_S8: maxpool(P_S8, cg, zp, x, out); break;
	case P_S16: maxpool(P_S16, cg, zp, x, out); break;
	}
}

/* ---- avgpool2d, global_avgpool -------------------------------------------- */

/* The window of a pooling node; global_avgpool's is the whole plane. */
typedef struct {
	int64_t nc, h, w, oh, ow, kh, kw, sh, sw, pt, pl;
	int count_pad;
} Pool;

static void pool_of(const Graph *g, const Node *n, Pool *p)
{
	const Shape *x = &g->vals[n->in[0]].shape, *o = &g->vals[n->out].shape;

	p->nc = x->d[0] * x->d[1];
	p->h = x->d[2];
	p->w = x->d[3];
	p->oh = o->d[2];
	p->ow = o->d[3];
	if (n->op == OP_GLOBAL_AVGPOOL) {
		p->kh = p->h;
		p->kw = p->w;
		p->sh = p->sw = 1;
		p->pt = p->pl = 0;
		p->count_pad = 0;
		return;
	}
	p->kh = n->a.kernel[0];
	p->kw = n->a.kernel[1];
	p->sh = n->a.stride[0];
	p->sw = n->a.stride[1];
	p->pt = n->a.pad[0];
	p->pl = n->a.pad[1];
	p->count_pad = n->a.count_pad != 0;
}

/* TFLite's rounding division of an int32 sum by a positive count, in
 * wrapping int32 as the backend computes it. */
static int32_t round_div(uint32_t acc, int64_t count)
{
	const int32_t c = (int32_t)(uint32_t)(count > 0 ? count : 1), h = c / 2;
	const int32_t a = (int32_t)acc;

	return a > 0 ? (int32_t)(acc + (uint32_t)h) / c : (int32_t)(acc - (uint32_t)h) / c;
}

/* A window's sum: float, or wrapping int32. */
typedef union {
	float f;
	uint32_t u;
} AvgAcc;

IR_INLINE void avg_add(Prec p, AvgAcc *acc, const void *x, int64_t i)
{
	if (p == P_F32)
		acc->f = acc->f + ((const float *)x)[i];
	else
		acc->u += (uint32_t)ir_load_q(p == P_S8 ? DT_I8 : DT_I16, x, i);
}

/* The average of `taps` in-bound elements of a kh*kw window. */
IR_INLINE void avg_store(Prec p, const Pool *pl, AvgAcc acc, int64_t taps, int32_t zp, void *out,
                         int64_t o)
{
	const int64_t full = pl->kh * pl->kw;

	if (p == P_F32) {
		int64_t count = pl->count_pad ? full : taps;
		((float *)out)[o] = acc.f / (float)(count > 0 ? count : 1);
		return;
	}
	const DType dt = p == P_S8 ? DT_I8 : DT_I16;
	if (pl->count_pad) {
		/* a padded tap is a real 0, the zero point */
		acc.u += (uint32_t)zp * (uint32_t)(full - taps);
		taps = full;
	}
	ir_store_q(dt, out, o, ir_clamp32(round_div(acc.u, taps), ir_qmin(dt), ir_qmax(dt)));
}

IR_INLINE void avgpool(Prec p, const Pool *pl, int32_t zp, const void *x, void *out)
{
	for (int64_t nc = 0; nc < pl->nc; nc++)
		for (int64_t oy = 0; oy < pl->oh; oy++)
			for (int64_t ox = 0; ox < pl->ow; ox++) {
				const int64_t iy0 = oy * pl->sh - pl->pt,
				              ix0 = ox * pl->sw - pl->pl;
				int64_t ky0, ky1, kx0, kx1;
				AvgAcc acc;
				if (p == P_F32)
					acc.f = 0.0f;
				else
					acc.u = 0;
				ir_tap_range(pl->h, pl->kh, 1, iy0, &ky0, &ky1);
				ir_tap_range(pl->w, pl->kw, 1, ix0, &kx0, &kx1);
				for (int64_t ky = ky0; ky < ky1; ky++)
					for (int64_t kx = kx0; kx < kx1; kx++)
						avg_add(p, &acc, x,
						        (nc * pl->h + iy0 + ky) * pl->w + ix0 + kx);
				avg_store(p, pl, acc, (ky1 - ky0) * (kx1 - kx0), zp, out,
				          (nc * pl->oh + oy) * pl->ow + ox);
			}
}

/* --requant float: onnxruntime's QLinearGlobalAveragePool (MLAS, x86):
 * v = (float)(sum - zp_in * N) * (s_in / (s_out * (float)N)), each step in
 * float32, then ir_requant_float's clamp, round half to even and + zp. */
float ir_gavg_float_mult(float s_in, float s_out, int64_t n)
{
	float den = s_out * (float)n;
	return s_in / den;
}

static void gavg_float(const Pool *p, const Value *xv, const Value *ov, const int8_t *x,
                       int8_t *out)
{
	const int64_t n = p->h * p->w;
	const float m = ir_gavg_float_mult(xv->q.scale[0], ov->q.scale[0], n);

	for (int64_t nc = 0; nc < p->nc; nc++) {
		uint32_t acc = 0;
		for (int64_t i = 0; i < n; i++)
			acc += (uint32_t)(int32_t)x[nc * n + i];
		acc -= (uint32_t)xv->q.zp * (uint32_t)n;
		out[nc] = (int8_t)ir_requant_float((int32_t)acc, m, ov->q.zp, -128, 127);
	}
}

static void run_avgpool(const Graph *g, const Node *n, const NodeRt *rt, const void *x, void *out)
{
	const Value *xv = &g->vals[n->in[0]];
	Pool p;

	pool_of(g, n, &p);
	if (g->requant_float && n->op == OP_GLOBAL_AVGPOOL && xv->dt == DT_I8) {
		gavg_float(&p, xv, &g->vals[n->out], x, out);
		return;
	}
	switch (rt->prec) {
	case P_F32: avgpool(P_F32, &p, xv->q.zp, x, out); break;
	case P_S8: avgpool(P_S8, &p, xv->q.zp, x, out); break;
	case P_S16: avgpool(P_S16, &p, xv->q.zp, x, out); break;
	}
}

static void run(const Graph *g, const Node *n, const NodeRt *rt, void *const *buf, void *acc)
{
	(void)acc;
	switch (n->op) {
	case OP_MAXPOOL2D: {
		ConvGeo cg;
		ir_conv_geo(g, n, &cg); /* checked by ir_interp_check_window */
		ir_interp_maxpool(&cg, rt->prec, g->vals[n->in[0]].q.zp, buf[n->in[0]],
		                  buf[n->out]);
		return;
	}
	case OP_AVGPOOL2D:
	case OP_GLOBAL_AVGPOOL: run_avgpool(g, n, rt, buf[n->in[0]], buf[n->out]); return;
	default: ICE("pool rules: %s", ir_ops[n->op].name);
	}
}

/* ---- checks ---------------------------------------------------------------- */

#define BAD IR_BAD

static int check_avgpool(const Graph *g, const Node *n, Diag *d)
{
	const Shape *x = &g->vals[n->in[0]].shape, *o = &g->vals[n->out].shape;
	const Attrs *a = &n->a;

	if (x->rank != 4 || o->rank != 4 || o->d[0] != x->d[0] || o->d[1] != x->d[1])
		return BAD("%s: input and result must be 4-d (NCHW) with the same N and C",
		           ir_ops[n->op].name);
	if (n->op == OP_GLOBAL_AVGPOOL) {
		if (o->d[2] != 1 || o->d[3] != 1 || x->d[2] < 1 || x->d[3] < 1)
			return BAD("global_avgpool: the result must be [N, C, 1, 1]");
		return 0;
	}
	for (int i = 0; i < 2; i++)
		if (a->stride[i] < 1 || a->kernel[i] < 1 || a->kernel[i] > 1 << 16)
			return BAD("avgpool2d: strides and kernel sizes must be positive");
	for (int i = 0; i < 4; i++)
		if (a->pad[i] < 0 || a->pad[i] >= a->kernel[i % 2])
			return BAD("avgpool2d: padding must be in [0, kernel)");
	if (a->kernel[0] * a->kernel[1] > INT32_MAX || (a->count_pad != 0 && a->count_pad != 1))
		return BAD(
		        "avgpool2d: the window must have fewer than 2^31 taps, count_pad be 0 or 1");
	int64_t sh = x->d[2] + a->pad[0] + a->pad[2] - a->kernel[0];
	int64_t sw = x->d[3] + a->pad[1] + a->pad[3] - a->kernel[1];
	if (sh < 0 || sw < 0 || o->d[2] != sh / a->stride[0] + 1 ||
	    o->d[3] != sw / a->stride[1] + 1)
		return BAD("avgpool2d: result shape does not match the operands");
	return 0;
}

int ir_interp_check_window(const Graph *g, const Node *n, Diag *d)
{
	const Shape *x = &g->vals[n->in[0]].shape, *o = &g->vals[n->out].shape;
	const char *op = ir_ops[n->op].name;
	int64_t kh, kw, dh = 1, dw = 1, oc = x->d[1];
	int conv = ir_ops[n->op].flags & OPF_WEIGHTS;

	if (x->rank != 4 || o->rank != 4)
		return BAD("%s: input and result must be 4-d (NCHW)", op);
	for (int i = 0; i < 2; i++)
		if (n->a.stride[i] < 1 || n->a.dilation[i] < 1 || n->a.kernel[i] < 1)
			return BAD("%s: strides, dilations and kernel sizes must be positive", op);
	for (int i = 0; i < 4; i++)
		if (n->a.pad[i] < 0)
			return BAD("%s: negative padding", op);
	if (conv) {
		const Shape *w = &g->vals[n->in[1]].shape;
		int64_t G = n->a.groups;
		if (w->rank != 4)
			return BAD("conv2d: weight must be 4-d [OC, C/G, KH, KW]");
		oc = w->d[0];
		if (G < 1 || x->d[1] % G || oc % G || w->d[1] * G != x->d[1])
			return BAD("conv2d: channels and groups do not agree");
		if (n->nin > 2 && ir_shape_numel(&g->vals[n->in[2]].shape) != oc)
			return BAD("conv2d: bias must have %lld elements", (long long)oc);
		kh = w->d[2];
		kw = w->d[3];
	} else {
		kh = n->a.kernel[0];
		kw = n->a.kernel[1];
	}
	dh = n->a.dilation[0];
	dw = n->a.dilation[1];
	int64_t sh = x->d[2] + n->a.pad[0] + n->a.pad[2] - dh * (kh - 1) - 1;
	int64_t sw = x->d[3] + n->a.pad[1] + n->a.pad[3] - dw * (kw - 1) - 1;
	if (sh < 0 || sw < 0)
		return BAD("%s: result shape does not match the operands", op);
	int64_t eh = sh / n->a.stride[0] + 1, ew = sw / n->a.stride[1] + 1;
	ConvPool p;
	if (conv) {
		if (ir_conv_pool(g, n, &p) < 0)
			return BAD("conv2d: the fused max-pool's attributes do not fit");
		eh = p.oh;
		ew = p.ow;
	}
	if (o->d[0] != x->d[0] || o->d[1] != oc || o->d[2] != eh || o->d[3] != ew)
		return BAD("%s: result shape does not match the operands", op);
	return 0;
}

static int check(Graph *g, const Node *n, NodeRt *rt, Diag *d)
{
	switch (n->op) {
	case OP_MAXPOOL2D:
		if (ir_interp_check_window(g, n, d))
			return -1;
		break;
	case OP_AVGPOOL2D:
	case OP_GLOBAL_AVGPOOL:
		if (check_avgpool(g, n, d))
			return -1;
		break;
	default: ICE("pool rules: %s", ir_ops[n->op].name);
	}
	return ir_interp_check_keepq(g, n, rt, d);
}

#undef BAD

/* maxpool2d moves values; global_avgpool requantizes as onnxruntime's
 * QLinearGlobalAveragePool (int8 result); avgpool2d has no float mode. */
static int requant_float_ok(const Graph *g, const Node *n)
{
	const Value *x = &g->vals[n->in[0]], *o = &g->vals[n->out];

	switch (n->op) {
	case OP_MAXPOOL2D: return 1;
	case OP_AVGPOOL2D: return x->dt == DT_F32;
	case OP_GLOBAL_AVGPOOL: return x->dt == DT_F32 || o->dt == DT_I8;
	default: ICE("pool rules: %s", ir_ops[n->op].name);
	}
}

/* maxpool2d's dilation came later: dumps without one stay as they were. */
static int print_attr(const Node *n, int ai)
{
	return !(ai == AI_DILATION && n->op == OP_MAXPOOL2D && n->a.dilation[0] == 1 &&
	         n->a.dilation[1] == 1);
}

const IrRules ir_rules_pool = {
        .check = check,
        .run = run,
        .requant_float_ok = requant_float_ok,
        .print_attr = print_attr,
};
