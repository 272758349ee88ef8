/* targets/fam_pool.c — the pool family (maxpool2d, avgpool2d,
 * global_avgpool) in the targets layer: their checks and kernels.
 *
 * The arithmetic is ir/fam_pool.c's, step for step: maxpool2d keeps the
 * first in-bound element and every later greater one; the average sums the
 * in-bound taps ky then kx (fadd from 0.0, or wrapping i32 add of the raw
 * integers plus the zero point per padded tap under count_pad), then divides
 * (fdiv by the count converted to f32, or TFLite's rounding
 * (acc +- count/2) sdiv count, clamped).
 */
#include <string.h>

#include "tgt_rules.h"

/* ---- maxpool2d ------------------------------------------------------------------ */

/* The max over the in-bound window positions scanned ky then kx, starting
 * from the first in-bound one (so a float NaN behaves as in the
 * interpreter); an empty window gives 0 (f32) or the zero point. */
static void lower_maxpool(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *xv = &g->vals[nd->in[0]], *yv = &g->vals[nd->out];
	const Attrs *a = &nd->a;
	int64_t N = xv->shape.d[0], C = xv->shape.d[1], H = xv->shape.d[2], W = xv->shape.d[3];
	int64_t OH = yv->shape.d[2], OW = yv->shape.d[3];
	int f32 = xv->dt == DT_F32;
	LLVMTypeRef t = tgt_type(c, xv->dt);
	LLVMValueRef best = tgt_alloca(c, t, 1), have = tgt_alloca(c, c->ti1, 1);
	LLVMValueRef empty = f32 ? LLVMConstReal(c->tf32, 0.0)
	                         : LLVMConstInt(t, (unsigned long long)xv->q.zp, 1);
	LLVMBuilderRef b = c->b;
	Loop lnc, loy, lox, lky, lkx;
	If fy, fx;

	LLVMValueRef nc = tgt_upto(c, &lnc, N * C);
	LLVMValueRef plane = tgt_mad(c, nc, H * W, NULL);
	LLVMValueRef oy = tgt_upto(c, &loy, OH);
	LLVMValueRef ox = tgt_upto(c, &lox, OW);
	LLVMBuildStore(b, LLVMConstInt(c->ti1, 0, 0), have);
	LLVMBuildStore(b, empty, best);
	/* iy = oy*sh - pt + ky*dh, skipped unless 0 <= iy < H; ix likewise */
	LLVMValueRef ky = tgt_upto(c, &lky, a->kernel[0]);
	LLVMValueRef iy = tgt_mad(c, oy, a->stride[0],
	                          tgt_mad(c, ky, a->dilation[0], tgt_cidx(c, -a->pad[0])));
	tgt_if_open(c, &fy, LLVMBuildICmp(b, LLVMIntULT, iy, tgt_cidx(c, H), ""));
	LLVMValueRef row = tgt_mad(c, iy, W, plane);
	LLVMValueRef kx = tgt_upto(c, &lkx, a->kernel[1]);
	LLVMValueRef ix = tgt_mad(c, ox, a->stride[1],
	                          tgt_mad(c, kx, a->dilation[1], tgt_cidx(c, -a->pad[1])));
	tgt_if_open(c, &fx, LLVMBuildICmp(b, LLVMIntULT, ix, tgt_cidx(c, W), ""));
	LLVMValueRef v = tgt_load(c, t, x, LLVMBuildNSWAdd(b, row, ix, ""));
	LLVMValueRef cur = LLVMBuildLoad2(b, t, best, "");
	LLVMValueRef gt = f32 ? LLVMBuildFCmp(b, LLVMRealOGT, v, cur, "")
	                      : LLVMBuildICmp(b, LLVMIntSGT, v, cur, "");
	LLVMValueRef h = LLVMBuildLoad2(b, c->ti1, have, "");
	LLVMValueRef take = LLVMBuildOr(b, LLVMBuildNot(b, h, ""), gt, "");
	LLVMBuildStore(b, LLVMBuildSelect(b, take, v, cur, ""), best);
	LLVMBuildStore(b, LLVMConstInt(c->ti1, 1, 0), have);
	tgt_if_close(c, &fx);
	tgt_loop_close(c, &lkx);
	tgt_if_close(c, &fy);
	tgt_loop_close(c, &lky);
	/* best still holds the empty value when nothing was in bounds */
	LLVMValueRef out = tgt_mad(c, nc, OH * OW, tgt_mad(c, oy, OW, ox));
	tgt_store(c, LLVMBuildLoad2(b, t, best, ""), y, out);
	tgt_loop_close(c, &lox);
	tgt_loop_close(c, &loy);
	tgt_loop_close(c, &lnc);
}

/* ---- avgpool2d, global_avgpool --------------------------------------------- */

typedef struct {
	int64_t nc, h, w, oh, ow, kh, kw, sh, sw, pt, pl;
	int count_pad;
	float fm;      /* --requant float global_avgpool: its multiplier, else 0 */
	int32_t fzp;   /* ... and the result's zero point */
} Pool;

static void pool_of(const Graph *g, const Node *nd, Pool *p)
{
	const Shape *x = &g->vals[nd->in[0]].shape, *o = &g->vals[nd->out].shape;
	int glob = nd->op == OP_GLOBAL_AVGPOOL;

	p->nc = x->d[0] * x->d[1];
	p->h = x->d[2];
	p->w = x->d[3];
	p->oh = o->d[2];
	p->ow = o->d[3];
	p->kh = glob ? p->h : nd->a.kernel[0];
	p->kw = glob ? p->w : nd->a.kernel[1];
	p->sh = glob ? 1 : nd->a.stride[0];
	p->sw = glob ? 1 : nd->a.stride[1];
	p->pt = glob ? 0 : nd->a.pad[0];
	p->pl = glob ? 0 : nd->a.pad[1];
	p->count_pad = !glob && nd->a.count_pad;
	p->fm = 0;
	p->fzp = 0;
	if (glob && g->requant_float && g->vals[nd->in[0]].dt == DT_I8) {
		const Value *xv = &g->vals[nd->in[0]], *yv = &g->vals[nd->out];
		p->fm = ir_gavg_float_mult(xv->q.scale[0], yv->q.scale[0], p->h * p->w);
		p->fzp = yv->q.zp;
	}
}

/* The average of one window from its sum acc and in-bound taps cnt (tidx). */
static LLVMValueRef average(Cg *c, const Pool *p, const Value *xv, LLVMValueRef acc,
                            LLVMValueRef cnt)
{
	LLVMBuilderRef b = c->b;
	const int64_t kk = p->kh * p->kw;

	if (xv->dt == DT_F32) {
		LLVMValueRef div;
		if (p->count_pad)
			div = LLVMConstReal(c->tf32, (double)(float)kk);
		else {
			/* an empty window (never, after infer-shapes) divides by 1, as the interpreter */
			LLVMValueRef zero = LLVMBuildICmp(b, LLVMIntEQ, cnt, tgt_cidx(c, 0), "");
			cnt = LLVMBuildSelect(b, zero, tgt_cidx(c, 1), cnt, "");
			div = LLVMBuildSIToFP(b, cnt, c->tf32, "");
		}
		return LLVMBuildFDiv(b, acc, div, "");
	}
	if (p->fm != 0) {
		/* as ir/fam_pool.c's gavg_float: (sum - zp * N) in wrapping i32 */
		Requant rq = {0, p->fzp, -128, 127};
		int32_t zn = (int32_t)((uint32_t)xv->q.zp * (uint32_t)(p->h * p->w));
		acc = LLVMBuildSub(b, acc, tgt_c32(c, zn), "");
		acc = tgt_requant_float(c, acc, LLVMConstReal(c->tf32, (double)p->fm), &rq);
		return LLVMBuildTrunc(b, acc, tgt_type(c, xv->dt), "");
	}
	LLVMValueRef cnt32 = LLVMBuildIntCast2(b, cnt, c->ti32, 1, ""), n32, half, r;
	if (p->count_pad) {
		/* every padded tap is the zero point (a real 0); wrapping i32 */
		LLVMValueRef missing = LLVMBuildSub(b, tgt_c32(c, kk), cnt32, "");
		acc = LLVMBuildAdd(b, acc, LLVMBuildMul(b, tgt_c32(c, xv->q.zp), missing, ""), "");
		n32 = tgt_c32(c, kk);
	} else {
		LLVMValueRef zero = LLVMBuildICmp(b, LLVMIntEQ, cnt32, tgt_c32(c, 0), "");
		n32 = LLVMBuildSelect(b, zero, tgt_c32(c, 1), cnt32, "");
	}
	half = LLVMBuildSDiv(b, n32, tgt_c32(c, 2), "");
	r = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, acc, tgt_c32(c, 0), ""),
	                    LLVMBuildAdd(b, acc, half, ""), LLVMBuildSub(b, acc, half, ""), "");
	r = LLVMBuildSDiv(b, r, n32, "");
	LLVMValueRef lo = tgt_c32(c, ir_qmin(xv->dt)), hi = tgt_c32(c, ir_qmax(xv->dt));
	r = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, r, lo, ""), lo, r, "");
	r = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, r, hi, ""), hi, r, "");
	return LLVMBuildTrunc(b, r, tgt_type(c, xv->dt), "");
}

/* f32 global_avgpool: each channel's sum is one chain of float adds in
 * the plane's order (the interpreter's), 4 cycles an add; GAVG_CHAINS
 * channels at a time keep that many chains in flight.  The rest of the
 * channels one at a time. */
enum { GAVG_CHAINS = 8 };

static void gavg_f32_channels(Cg *c, const Pool *p, const Value *xv, LLVMValueRef x, LLVMValueRef y,
                              LLVMValueRef c0, int nch)
{
	LLVMBuilderRef b = c->b;
	const int64_t hw = p->h * p->w;
	LLVMValueRef acc[GAVG_CHAINS];
	Loop li;

	for (int k = 0; k < nch; k++) {
		acc[k] = tgt_alloca(c, c->tf32, 1);
		LLVMBuildStore(b, LLVMConstNull(c->tf32), acc[k]);
	}
	LLVMValueRef i = tgt_upto(c, &li, hw);
	for (int k = 0; k < nch; k++) {
		LLVMValueRef ch = LLVMBuildNSWAdd(b, c0, tgt_cidx(c, k), "");
		LLVMValueRef v = tgt_load(c, c->tf32, x, tgt_mad(c, ch, hw, i));
		LLVMBuildStore(b, LLVMBuildFAdd(b, LLVMBuildLoad2(b, c->tf32, acc[k], ""), v, ""),
		               acc[k]);
	}
	tgt_loop_close(c, &li);
	for (int k = 0; k < nch; k++)
		tgt_store(
		        c,
		        average(c, p, xv, LLVMBuildLoad2(b, c->tf32, acc[k], ""), tgt_cidx(c, hw)),
		        y, LLVMBuildNSWAdd(b, c0, tgt_cidx(c, k), ""));
}

static void lower_gavg_f32(Cg *c, const Pool *p, const Value *xv, LLVMValueRef x, LLVMValueRef y)
{
	const int64_t full = p->nc / GAVG_CHAINS * GAVG_CHAINS;
	Loop l;

	if (full) {
		LLVMValueRef cb = tgt_upto(c, &l, full / GAVG_CHAINS);
		gavg_f32_channels(c, p, xv, x, y, tgt_mad(c, cb, GAVG_CHAINS, NULL), GAVG_CHAINS);
		tgt_loop_close(c, &l);
	}
	if (p->nc > full) {
		LLVMValueRef ch = tgt_loop_open(c, &l, tgt_cidx(c, full), tgt_cidx(c, p->nc));
		gavg_f32_channels(c, p, xv, x, y, ch, 1);
		tgt_loop_close(c, &l);
	}
}

static void lower_avgpool(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *xv = &g->vals[nd->in[0]];
	int f32 = xv->dt == DT_F32;
	LLVMTypeRef t = tgt_type(c, xv->dt), tacc = f32 ? c->tf32 : c->ti32;
	LLVMValueRef acc = tgt_alloca(c, tacc, 1), cnt = tgt_alloca(c, c->tidx, 1);
	LLVMBuilderRef b = c->b;
	Loop lnc, loy, lox, lky, lkx;
	If fy, fx;
	Pool p;

	pool_of(g, nd, &p);
	if (f32 && nd->op == OP_GLOBAL_AVGPOOL) {
		lower_gavg_f32(c, &p, xv, x, y);
		return;
	}
	LLVMValueRef nc = tgt_upto(c, &lnc, p.nc);
	LLVMValueRef plane = tgt_mad(c, nc, p.h * p.w, NULL);
	LLVMValueRef oy = tgt_upto(c, &loy, p.oh);
	LLVMValueRef ox = tgt_upto(c, &lox, p.ow);
	LLVMBuildStore(b, LLVMConstNull(tacc), acc);
	LLVMBuildStore(b, tgt_cidx(c, 0), cnt);
	/* iy = oy*sh - pt + ky, skipped unless 0 <= iy < H; ix likewise */
	LLVMValueRef ky = tgt_upto(c, &lky, p.kh);
	LLVMValueRef iy = tgt_mad(c, oy, p.sh, LLVMBuildNSWSub(b, ky, tgt_cidx(c, p.pt), ""));
	tgt_if_open(c, &fy, LLVMBuildICmp(b, LLVMIntULT, iy, tgt_cidx(c, p.h), ""));
	LLVMValueRef row = tgt_mad(c, iy, p.w, plane);
	LLVMValueRef kx = tgt_upto(c, &lkx, p.kw);
	LLVMValueRef ix = tgt_mad(c, ox, p.sw, LLVMBuildNSWSub(b, kx, tgt_cidx(c, p.pl), ""));
	tgt_if_open(c, &fx, LLVMBuildICmp(b, LLVMIntULT, ix, tgt_cidx(c, p.w), ""));
	LLVMValueRef v = tgt_load(c, t, x, LLVMBuildNSWAdd(b, row, ix, ""));
	LLVMValueRef a = LLVMBuildLoad2(b, tacc, acc, "");
	/* no nsw on the integer sum: it wraps as the interpreter's */
	a = f32 ? LLVMBuildFAdd(b, a, v, "")
	        : LLVMBuildAdd(b, a, LLVMBuildSExt(b, v, c->ti32, ""), "");
	LLVMBuildStore(b, a, acc);
	LLVMBuildStore(b,
	               LLVMBuildNSWAdd(b, LLVMBuildLoad2(b, c->tidx, cnt, ""), tgt_cidx(c, 1), ""),
	               cnt);
	tgt_if_close(c, &fx);
	tgt_loop_close(c, &lkx);
	tgt_if_close(c, &fy);
	tgt_loop_close(c, &lky);
	LLVMValueRef out = tgt_mad(c, nc, p.oh * p.ow, tgt_mad(c, oy, p.ow, ox));
	tgt_store(c,
	          average(c, &p, xv, LLVMBuildLoad2(b, tacc, acc, ""),
	                  LLVMBuildLoad2(b, c->tidx, cnt, "")),
	          y, out);
	tgt_loop_close(c, &lox);
	tgt_loop_close(c, &loy);
	tgt_loop_close(c, &lnc);
}

/* ---- rules -------------------------------------------------------------------- */

/* avgpool2d, global_avgpool: their shapes and types. */
static int check_avgpool(Cg *c, const Node *nd)
{
	const Graph *g = c->g;
	const Value *x = &g->vals[nd->in[0]], *y = &g->vals[nd->out];
	const Shape *xs = &x->shape, *ys = &y->shape;
	int ok = ys->rank == xs->rank;

	switch (nd->op) {
	case OP_AVGPOOL2D:
	case OP_GLOBAL_AVGPOOL:
		ok = ok && xs->rank == 4 && ys->d[0] == xs->d[0] && ys->d[1] == xs->d[1] &&
		     (nd->op == OP_GLOBAL_AVGPOOL ||
		      (nd->a.stride[0] >= 1 && nd->a.stride[1] >= 1 && nd->a.kernel[0] >= 1 &&
		       nd->a.kernel[1] >= 1 && nd->a.kernel[0] * nd->a.kernel[1] <= INT32_MAX));
		break;
	default: ICE("pool rules: %s", ir_ops[nd->op].name);
	}
	return tgt_check_keepq(c, nd, ok);
}

static int check(Cg *c, const Node *nd)
{
	const Graph *g = c->g;
	const Value *x = &g->vals[nd->in[0]], *y = &g->vals[nd->out];
	const Attrs *a = &nd->a;
	int ok;

	if (nd->op != OP_MAXPOOL2D)
		return check_avgpool(c, nd);
	ok = x->shape.rank == 4 && y->shape.rank == 4 && y->shape.d[0] == x->shape.d[0] &&
	     y->shape.d[1] == x->shape.d[1] && a->stride[0] >= 1 && a->stride[1] >= 1 &&
	     a->kernel[0] >= 1 && a->kernel[1] >= 1 && a->dilation[0] >= 1 && a->dilation[1] >= 1;
	if (tgt_check_fit(c, nd, ok))
		return 1;
	if (x->dt != y->dt || (x->dt != DT_F32 && x->dt != DT_I8 && x->dt != DT_I16))
		return tgt_bad_types(c, nd, "these types");
	if (x->dt != DT_F32 && !tgt_per_tensor(x))
		return tgt_bad_types(c, nd, "an input without per-tensor quantization");
	return 0;
}

static void lower(Cg *c, int n, LLVMValueRef fn)
{
	LLVMValueRef x = LLVMGetParam(fn, 0), y = LLVMGetParam(fn, 1);

	switch (c->g->nodes[n].op) {
	case OP_MAXPOOL2D: lower_maxpool(c, n, x, y); break;
	case OP_AVGPOOL2D:
	case OP_GLOBAL_AVGPOOL: lower_avgpool(c, n, x, y); break;
	default: ICE("pool rules: %s", ir_ops[c->g->nodes[n].op].name);
	}
}

const TgtRules tgt_rules_pool = {
        .check = check,
        .lower = lower,
};
