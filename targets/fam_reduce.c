/* targets/fam_reduce.c — the reduce family (reduce_sum, reduce_mean,
 * reduce_max, reduce_min, reduce_prod, reduce_l2) in the targets layer:
 * their check and kernel, void(ptr x, ptr y).  One loop per kept axis,
 * inside them one per reduced axis in input order, so every output element
 * takes its input elements in the interpreter's order; the arithmetic is
 * ir/fam_reduce.c's step for step, with its parameters (ir_reduce_params). */
#include <math.h>

#include "eltwise.h"
#include "tgt_rules.h"

static LLVMValueRef f32c(Cg *c, double v)
{
	return LLVMConstReal(c->tf32, v);
}

static LLVMValueRef clamp64(Cg *c, LLVMValueRef v, int64_t lo, int64_t hi)
{
	LLVMValueRef l = LLVMConstInt(c->ti64, (uint64_t)lo, 1),
	             h = LLVMConstInt(c->ti64, (uint64_t)hi, 1);

	v = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, v, l, ""), l, v, "");
	return LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSGT, v, h, ""), h, v, "");
}

/* ir_mbqm64(x, mult, shift) of the i64 x, mult and shift known: an i32 */
static LLVMValueRef mbqm64(Cg *c, LLVMValueRef x, int32_t mult, int shift)
{
	LLVMBuilderRef b = c->b;
	int64_t rm = mult < 0x7FFF0000 ? ((int64_t)mult + (1 << 15)) >> 16 : 0x7FFF;
	int total = 15 - shift;
	LLVMValueRef p, r;

	x = clamp64(c, x, -((int64_t)1 << 47), ((int64_t)1 << 47) - 1);
	p = LLVMBuildMul(b, x, LLVMConstInt(c->ti64, (uint64_t)rm, 1), "");
	if (total > 0)
		r = LLVMBuildAShr(b,
		                  LLVMBuildAdd(b, p,
		                               LLVMConstInt(c->ti64, (uint64_t)1 << (total - 1), 0),
		                               ""),
		                  LLVMConstInt(c->ti64, (uint64_t)total, 0), "");
	else
		r = LLVMBuildShl(b, clamp64(c, p, INT32_MIN, INT32_MAX),
		                 LLVMConstInt(c->ti64, (uint64_t)-total, 0), "");
	return LLVMBuildTrunc(b, clamp64(c, r, INT32_MIN, INT32_MAX), c->ti32, "");
}

/* ir_isqrt_round of the i64 v, bit by bit over 32 rounds; an i32 result */
static LLVMValueRef isqrt_round(Cg *c, LLVMValueRef v)
{
	LLVMBuilderRef b = c->b;
	LLVMValueRef rem = tgt_alloca(c, c->ti64, 1), res = tgt_alloca(c, c->ti64, 1);
	LLVMValueRef bit = tgt_alloca(c, c->ti64, 1), one = LLVMConstInt(c->ti64, 1, 0);
	Loop l;

	LLVMBuildStore(b, v, rem);
	LLVMBuildStore(b, LLVMConstInt(c->ti64, 0, 0), res);
	LLVMBuildStore(b, LLVMConstInt(c->ti64, (uint64_t)1 << 62, 0), bit);
	tgt_upto(c, &l, 32);
	LLVMValueRef rm = LLVMBuildLoad2(b, c->ti64, rem, ""),
	             rs = LLVMBuildLoad2(b, c->ti64, res, "");
	LLVMValueRef bt = LLVMBuildLoad2(b, c->ti64, bit, "");
	LLVMValueRef t = LLVMBuildAdd(b, rs, bt, "");
	LLVMValueRef ge = LLVMBuildICmp(b, LLVMIntUGE, rm, t, "");
	LLVMValueRef half = LLVMBuildLShr(b, rs, one, "");
	LLVMBuildStore(b, LLVMBuildSelect(b, ge, LLVMBuildSub(b, rm, t, ""), rm, ""), rem);
	LLVMBuildStore(b, LLVMBuildSelect(b, ge, LLVMBuildAdd(b, half, bt, ""), half, ""), res);
	LLVMBuildStore(b, LLVMBuildLShr(b, bt, LLVMConstInt(c->ti64, 2, 0), ""), bit);
	tgt_loop_close(c, &l);
	rm = LLVMBuildLoad2(b, c->ti64, rem, "");
	rs = LLVMBuildLoad2(b, c->ti64, res, "");
	LLVMValueRef up = LLVMBuildICmp(b, LLVMIntUGT, rm, rs, "");
	rs = LLVMBuildSelect(b, up, LLVMBuildAdd(b, rs, one, ""), rs, "");
	return LLVMBuildTrunc(b, rs, c->ti32, "");
}

static void lower(Cg *c, int n, LLVMValueRef fn)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *xv = &g->vals[nd->in[0]], *yv = &g->vals[nd->out];
	const Op op = nd->op;
	const int f32 = yv->dt == DT_F32;
	LLVMBuilderRef b = c->b;
	LLVMValueRef x = LLVMGetParam(fn, 0), y = LLVMGetParam(fn, 1);
	LLVMTypeRef t = tgt_type(c, xv->dt), tacc = f32 ? c->tf32 : c->ti32;
	LLVMValueRef acc = tgt_alloca(c, tacc, 1), sq = tgt_alloca(c, c->ti64, 1);
	LLVMValueRef first = tgt_alloca(c, c->ti1, 1);
	LLVMValueRef base = NULL, oi = NULL, off;
	Loop lk[IR_MAX_RANK], lr[IR_MAX_RANK];
	int32_t mult = 0;
	int shift = 0;
	IrReduceGeo rg;
	Shape s;

	ir_reduce_geo(&xv->shape, &nd->a, &rg, &s);
	if (!f32)
		ir_reduce_params(g, nd, &mult, &shift);
	for (int k = 0; k < rg.nk; k++) {
		LLVMValueRef i = tgt_upto(c, &lk[k], rg.kd[k]);
		oi = oi ? tgt_mad(c, oi, rg.kd[k], i) : i;
		base = tgt_mad(c, i, rg.ks[k], base);
	}
	oi = oi ? oi : tgt_cidx(c, 0);
	off = base ? base : tgt_cidx(c, 0);
	LLVMValueRef init;
	switch (op) {
	case OP_REDUCE_PROD: init = f32 ? f32c(c, 1.0) : tgt_c32(c, 0); break;
	case OP_REDUCE_MAX: init = f32 ? f32c(c, -INFINITY) : tgt_c32(c, ir_qmin(yv->dt)); break;
	case OP_REDUCE_MIN: init = f32 ? f32c(c, INFINITY) : tgt_c32(c, ir_qmax(yv->dt)); break;
	default: init = LLVMConstNull(tacc); break;
	}
	LLVMBuildStore(b, init, acc);
	LLVMBuildStore(b, LLVMConstInt(c->ti64, 0, 0), sq);
	LLVMBuildStore(b, LLVMConstInt(c->ti1, 1, 0), first);
	for (int k = 0; k < rg.nr; k++) {
		LLVMValueRef r = tgt_upto(c, &lr[k], rg.rd[k]);
		off = tgt_mad(c, r, rg.rs[k], off);
	}
	LLVMValueRef v = tgt_load(c, t, x, off), a = LLVMBuildLoad2(b, tacc, acc, ""), r = NULL;
	if (f32) {
		switch (op) {
		case OP_REDUCE_SUM:
		case OP_REDUCE_MEAN: r = LLVMBuildFAdd(b, a, v, ""); break;
		case OP_REDUCE_PROD: r = LLVMBuildFMul(b, a, v, ""); break;
		case OP_REDUCE_L2: r = LLVMBuildFAdd(b, a, LLVMBuildFMul(b, v, v, ""), ""); break;
		case OP_REDUCE_MAX:
		case OP_REDUCE_MIN: {
			/* v > acc || isnan(v) ? v : acc (< for min) */
			LLVMValueRef cmp = LLVMBuildFCmp(
			        b, op == OP_REDUCE_MAX ? LLVMRealOGT : LLVMRealOLT, v, a, "");
			LLVMValueRef nan = LLVMBuildFCmp(b, LLVMRealUNO, v, v, "");
			r = LLVMBuildSelect(b, LLVMBuildOr(b, cmp, nan, ""), v, a, "");
			break;
		}
		default: ICE("reduce rules: %s", ir_ops[op].name);
		}
	} else {
		LLVMValueRef q = LLVMBuildSExt(b, v, c->ti32, "");
		LLVMValueRef d = LLVMBuildSub(b, q, tgt_c32(c, xv->q.zp), "");
		/* no nsw anywhere: the interpreter's int32 arithmetic wraps */
		switch (op) {
		case OP_REDUCE_SUM:
		case OP_REDUCE_MEAN: r = LLVMBuildAdd(b, a, d, ""); break;
		case OP_REDUCE_PROD:
			/* the first element unscaled, each further one rescaled by C */
			r = mbqm64(c,
			           LLVMBuildMul(b, LLVMBuildSExt(b, a, c->ti64, ""),
			                        LLVMBuildSExt(b, d, c->ti64, ""), ""),
			           mult, shift);
			r = LLVMBuildSelect(b, LLVMBuildLoad2(b, c->ti1, first, ""), d, r, "");
			LLVMBuildStore(b, LLVMConstInt(c->ti1, 0, 0), first);
			break;
		case OP_REDUCE_L2: {
			/* |d| <= 65535: d * d fits an unsigned i32 */
			LLVMValueRef dd = LLVMBuildZExt(b, LLVMBuildMul(b, d, d, ""), c->ti64, "");
			LLVMBuildStore(
			        b, LLVMBuildAdd(b, LLVMBuildLoad2(b, c->ti64, sq, ""), dd, ""), sq);
			r = a;
			break;
		}
		case OP_REDUCE_MAX:
		case OP_REDUCE_MIN:
			r = LLVMBuildSelect(
			        b,
			        LLVMBuildICmp(b, op == OP_REDUCE_MAX ? LLVMIntSGT : LLVMIntSLT, q,
			                      a, ""),
			        q, a, "");
			break;
		default: ICE("reduce rules: %s", ir_ops[op].name);
		}
	}
	LLVMBuildStore(b, r, acc);
	for (int k = rg.nr - 1; k >= 0; k--)
		tgt_loop_close(c, &lr[k]);
	a = LLVMBuildLoad2(b, tacc, acc, "");
	if (f32) {
		if (op == OP_REDUCE_MEAN)
			a = LLVMBuildFDiv(b, a, f32c(c, (double)(float)rg.count), "");
		if (op == OP_REDUCE_L2) {
			LLVMTypeRef ft = LLVMFunctionType(c->tf32, &c->tf32, 1, 0);
			a = LLVMBuildCall2(b, ft, tgt_intrinsic(c, "llvm.sqrt.f32", ft), &a, 1, "");
		}
	} else {
		Requant rq = {shift > 0, yv->q.zp, ir_qmin(yv->dt), ir_qmax(yv->dt)};
		if (op == OP_REDUCE_L2)
			a = isqrt_round(c, LLVMBuildLoad2(b, c->ti64, sq, ""));
		switch (op) {
		case OP_REDUCE_MAX:
		case OP_REDUCE_MIN: break;
		default: a = tgt_requant(c, a, tgt_c32(c, mult), tgt_c32(c, shift), &rq); break;
		}
		a = LLVMBuildTrunc(b, a, t, "");
	}
	tgt_store(c, a, y, oi);
	for (int k = rg.nk - 1; k >= 0; k--)
		tgt_loop_close(c, &lk[k]);
}

static int check(Cg *c, const Node *nd)
{
	const Value *x = &c->g->vals[nd->in[0]], *y = &c->g->vals[nd->out];
	IrReduceGeo rg;
	Shape s;
	int ok = !ir_reduce_geo(&x->shape, &nd->a, &rg, &s) && ir_shape_eq(&s, &y->shape);

	if (!ok) {
		diag_error(
		        c->d, nd->loc,
		        "%s '%s': cannot compile a result that is not the input reduced over its axes",
		        ir_ops[nd->op].name, y->name);
		return 1;
	}
	if (x->dt != y->dt || (x->dt != DT_F32 && x->dt != DT_I8 && x->dt != DT_I16))
		return tgt_bad_types(c, nd, "these types");
	if (x->dt != DT_F32 && (!tgt_per_tensor(x) || !tgt_per_tensor(y)))
		return tgt_bad_types(c, nd, "an operand or result without per-tensor quantization");
	return 0;
}

const TgtRules tgt_rules_reduce = {
        .check = check,
        .lower = lower,
};
