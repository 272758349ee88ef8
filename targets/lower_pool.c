/* lower_pool.c — lowering of avgpool2d, global_avgpool, pad and transpose.
 *
 * The arithmetic is ir/interp_pool.c's, step for step: the average sums the
 * in-bound taps ky then kx (fadd from 0.0, or wrapping i32 add of the raw
 * integers plus the zero point per padded tap under count_pad), then divides
 * (fdiv by the count converted to f32, or TFLite's rounding
 * (acc +- count/2) sdiv count, clamped).  pad and transpose move elements as
 * integers of the element's size, so a float's bits (NaN payloads too) are
 * copied as they are.
 */
#include <string.h>

#include "targets.h"

/* The integer type as wide as one element of dt. */
static LLVMTypeRef elem_type(Cg *c, DType dt)
{
	switch (ir_dtype_size(dt)) {
	case 1: return c->ti8;
	case 2: return c->ti16;
	case 4: return c->ti32;
	default: return c->ti64;
	}
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
		/* as interp_pool.c's gavg_float: (sum - zp * N) in wrapping i32 */
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
	a = f32 ? LLVMBuildFAdd(b, a, v, "") : LLVMBuildAdd(b, a, LLVMBuildSExt(b, v, c->ti32, ""), "");
	LLVMBuildStore(b, a, acc);
	LLVMBuildStore(b, LLVMBuildNSWAdd(b, LLVMBuildLoad2(b, c->tidx, cnt, ""), tgt_cidx(c, 1), ""), cnt);
	tgt_if_close(c, &fx);
	tgt_loop_close(c, &lkx);
	tgt_if_close(c, &fy);
	tgt_loop_close(c, &lky);
	LLVMValueRef out = tgt_mad(c, nc, p.oh * p.ow, tgt_mad(c, oy, p.ow, ox));
	tgt_store(c, average(c, &p, xv, LLVMBuildLoad2(b, tacc, acc, ""),
	                     LLVMBuildLoad2(b, c->tidx, cnt, "")), y, out);
	tgt_loop_close(c, &lox);
	tgt_loop_close(c, &loy);
	tgt_loop_close(c, &lnc);
}

/* ---- pad, transpose ---------------------------------------------------------- */

/* The bits of pad's value as one element of x's storage type. */
static LLVMValueRef pad_element(Cg *c, const Value *xv, float value)
{
	uint32_t bits;

	if (xv->dt == DT_F32) {
		memcpy(&bits, &value, 4);
		return LLVMConstInt(c->ti32, bits, 0);
	}
	int32_t q = ir_quantize_value(value, xv->q.scale[0], xv->q.zp, xv->dt);
	return LLVMConstInt(elem_type(c, xv->dt), (unsigned long long)(int64_t)q, 1);
}

static void lower_pad(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *xv = &g->vals[nd->in[0]], *yv = &g->vals[nd->out];
	const int rank = xv->shape.rank;
	LLVMTypeRef te = elem_type(c, xv->dt);
	int64_t begin[IR_MAX_RANK], end[IR_MAX_RANK];
	Loop lf, l[IR_MAX_RANK];
	LLVMValueRef in = tgt_cidx(c, 0), out = tgt_cidx(c, 0);

	ir_pad_amounts(&nd->a, rank, begin, end);
	LLVMValueRef i = tgt_upto(c, &lf, ir_shape_numel(&yv->shape));
	tgt_store(c, pad_element(c, xv, nd->a.value), y, i);
	tgt_loop_close(c, &lf);
	/* one loop per axis of x; in and out are the running linear indices */
	for (int k = 0; k < rank; k++) {
		LLVMValueRef ik = tgt_upto(c, &l[k], xv->shape.d[k]);
		in = tgt_mad(c, in, xv->shape.d[k], ik);
		out = tgt_mad(c, out, yv->shape.d[k],
		              LLVMBuildNSWAdd(c->b, ik, tgt_cidx(c, begin[k]), ""));
	}
	tgt_store(c, tgt_load(c, te, x, in), y, out);
	for (int k = rank - 1; k >= 0; k--)
		tgt_loop_close(c, &l[k]);
}

static void lower_transpose(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *xv = &g->vals[nd->in[0]], *yv = &g->vals[nd->out];
	const int rank = xv->shape.rank;
	LLVMTypeRef te = elem_type(c, xv->dt);
	int64_t xst[IR_MAX_RANK], m = 1;
	int perm[IR_MAX_RANK];
	Loop l[IR_MAX_RANK];
	LLVMValueRef in = tgt_cidx(c, 0), out = tgt_cidx(c, 0);

	ir_transpose_perm(&nd->a, rank, perm);
	for (int k = rank - 1; k >= 0; k--) {
		xst[k] = m;
		m *= xv->shape.d[k];
	}
	/* one loop per axis of the result: out axis k walks x's axis perm[k] */
	for (int k = 0; k < rank; k++) {
		LLVMValueRef ik = tgt_upto(c, &l[k], yv->shape.d[k]);
		in = tgt_mad(c, ik, xst[perm[k]], in);
		out = tgt_mad(c, out, yv->shape.d[k], ik);
	}
	tgt_store(c, tgt_load(c, te, x, in), y, out);
	for (int k = rank - 1; k >= 0; k--)
		tgt_loop_close(c, &l[k]);
}

/* ---- checks and dispatch ------------------------------------------------------ */

int tgt_check_pool(Cg *c, const Node *nd)
{
	const Graph *g = c->g;
	const Value *x = &g->vals[nd->in[0]], *y = &g->vals[nd->out];
	const Shape *xs = &x->shape, *ys = &y->shape;
	int64_t begin[IR_MAX_RANK], end[IR_MAX_RANK];
	int perm[IR_MAX_RANK], ok = ys->rank == xs->rank;

	switch (nd->op) {
	case OP_AVGPOOL2D:
	case OP_GLOBAL_AVGPOOL:
		ok = ok && xs->rank == 4 && ys->d[0] == xs->d[0] && ys->d[1] == xs->d[1] &&
		     (nd->op == OP_GLOBAL_AVGPOOL ||
		      (nd->a.stride[0] >= 1 && nd->a.stride[1] >= 1 && nd->a.kernel[0] >= 1 &&
		       nd->a.kernel[1] >= 1 && nd->a.kernel[0] * nd->a.kernel[1] <= INT32_MAX));
		break;
	case OP_PAD:
		ok = ok && !ir_pad_amounts(&nd->a, xs->rank, begin, end);
		for (int k = 0; ok && k < xs->rank; k++)
			ok = ys->d[k] == xs->d[k] + begin[k] + end[k];
		break;
	case OP_TRANSPOSE:
		ok = ok && !ir_transpose_perm(&nd->a, xs->rank, perm);
		for (int k = 0; ok && k < xs->rank; k++)
			ok = ys->d[k] == xs->d[perm[k]];
		break;
	default:
		ICE("tgt_check_pool: %s", ir_ops[nd->op].name);
	}
	if (!ok) {
		diag_error(c->d, nd->loc, "%s '%s': operand shapes do not fit together",
		           ir_ops[nd->op].name, y->name);
		return 1;
	}
	if (x->dt != y->dt || (x->dt != DT_F32 && x->dt != DT_I8 && x->dt != DT_I16) ||
	    (x->dt != DT_F32 && !(x->q.present && x->q.n == 1 && x->q.scale))) {
		diag_error(c->d, nd->loc, "%s '%s': cannot compile %s (expected f32, or i8 or i16 "
		           "quantized per tensor, kept by the result)", ir_ops[nd->op].name, y->name,
		           ir_dtype_name(x->dt));
		return 1;
	}
	return 0;
}

void tgt_lower_pool(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	switch (c->g->nodes[n].op) {
	case OP_AVGPOOL2D:
	case OP_GLOBAL_AVGPOOL: lower_avgpool(c, n, x, y); break;
	case OP_PAD: lower_pad(c, n, x, y); break;
	case OP_TRANSPOSE: lower_transpose(c, n, x, y); break;
	default: ICE("tgt_lower_pool: %s", ir_ops[c->g->nodes[n].op].name);
	}
}
