/* targets/fam_elementwise.c — the elementwise family (add, sub, mul, div,
 * max, min, prelu, the comparisons, where, concat) in the targets layer: their checks and kernels.
 * Unlike the other kernels they read several tensors: their function is
 * void(ptr a, ptr y, ptr b, ...), operand 0 first, then the result, then
 * operands 1.. in order (TgtRules.nary; module.c passes one pointer per
 * parameter).  The arithmetic is that of ir/fam_elementwise.c, step for
 * step, with the fixed-point parameters of ir/fam_elementwise.c: the same function
 * computes them for both.  i64 operands (integer tensors, never quantized)
 * take lower_i64: plain LLVM i64 arithmetic. */
#include <string.h>

#include "eltwise.h"
#include "tgt_rules.h"

/* The kernel parameter holding operand k. */
static LLVMValueRef opnd_ptr(LLVMValueRef fn, int k)
{
	return LLVMGetParam(fn, k == 0 ? 0 : (unsigned)k + 1);
}

/* mbqm(v, mult, shift) + zp clamped to [lo, hi], as i32 (tgt_requant). */
static LLVMValueRef rescale(Cg *c, LLVMValueRef v, int32_t mult, int shift, int32_t zp, int32_t lo,
                            int32_t hi)
{
	Requant rq = {shift > 0, zp, lo, hi};

	return tgt_requant(c, v, tgt_c32(c, mult), tgt_c32(c, shift), &rq);
}

/* x - zp widened to i32. */
static LLVMValueRef centered(Cg *c, LLVMValueRef x, int32_t zp)
{
	return LLVMBuildSub(c->b, LLVMBuildSExt(c->b, x, c->ti32, ""), tgt_c32(c, zp), "");
}

/* ir/fam_elementwise.c's div_int: |n| + |d|/2 < 2^31 (k's choice), so
 * the quotient is an unsigned i32 division (no 64-bit division, which
 * 32-bit targets would call a library for). */
static LLVMValueRef div_int(Cg *c, const IrBinParams *p, LLVMValueRef av, LLVMValueRef bv)
{
	LLVMBuilderRef bd = c->b;
	LLVMValueRef zero = tgt_c32(c, 0);
	LLVMValueRef num = LLVMBuildShl(bd, av, tgt_c32(c, p->left), "");
	LLVMValueRef nneg = LLVMBuildICmp(bd, LLVMIntSLT, num, zero, "");
	LLVMValueRef dneg = LLVMBuildICmp(bd, LLVMIntSLT, bv, zero, "");
	LLVMValueRef dz = LLVMBuildICmp(bd, LLVMIntEQ, bv, zero, "");
	LLVMValueRef an = LLVMBuildSelect(bd, nneg, LLVMBuildNeg(bd, num, ""), num, "");
	LLVMValueRef ad = LLVMBuildSelect(bd, dneg, LLVMBuildNeg(bd, bv, ""), bv, "");
	LLVMValueRef ad1 = LLVMBuildSelect(bd, dz, tgt_c32(c, 1), ad, "");
	LLVMValueRef q = LLVMBuildUDiv(
	        bd, LLVMBuildAdd(bd, an, LLVMBuildLShr(bd, ad, tgt_c32(c, 1), ""), ""), ad1, "");
	q = LLVMBuildSelect(bd, LLVMBuildXor(bd, nneg, dneg, ""), LLVMBuildNeg(bd, q, ""), q, "");
	LLVMValueRef r = rescale(c, q, p->out_mult, p->out_shift, p->out_zp, p->lo, p->hi);
	int32_t z = p->out_zp < p->lo ? p->lo : p->out_zp > p->hi ? p->hi : p->out_zp;
	LLVMValueRef sat = LLVMBuildSelect(
	        bd, nneg, tgt_c32(c, p->lo),
	        LLVMBuildSelect(bd, LLVMBuildICmp(bd, LLVMIntSGT, num, zero, ""), tgt_c32(c, p->hi),
	                        tgt_c32(c, z), ""),
	        "");
	return LLVMBuildSelect(bd, dz, sat, r, "");
}

static LLVMValueRef binary_int(Cg *c, const Node *nd, const IrBinParams *p, LLVMValueRef a,
                               LLVMValueRef b)
{
	LLVMBuilderRef bd = c->b;
	LLVMValueRef av = centered(c, a, p->zp[0]), bv = centered(c, b, p->zp[1]), r;

	switch (nd->op) {
	case OP_DIV: return div_int(c, p, av, bv);
	case OP_MAX:
	case OP_MIN: {
		LLVMValueRef ra = rescale(c, av, p->mult[0], p->shift[0], p->out_zp, p->lo, p->hi);
		LLVMValueRef rb = rescale(c, bv, p->mult[1], p->shift[1], p->out_zp, p->lo, p->hi);
		LLVMValueRef gt = LLVMBuildICmp(bd, nd->op == OP_MAX ? LLVMIntSGT : LLVMIntSLT, ra,
		                                rb, "");
		return LLVMBuildSelect(bd, gt, ra, rb, "");
	}
	case OP_PRELU: {
		LLVMValueRef pos = rescale(c, av, p->mult[0], p->shift[0], p->out_zp, p->lo, p->hi);
		LLVMValueRef neg = rescale(c, LLVMBuildMul(bd, av, bv, ""), p->out_mult,
		                           p->out_shift, p->out_zp, p->lo, p->hi);
		return LLVMBuildSelect(bd, LLVMBuildICmp(bd, LLVMIntSGE, av, tgt_c32(c, 0), ""),
		                       pos, neg, "");
	}
	default: break;
	}

	/* no nsw / nuw anywhere: the interpreter's int32 arithmetic wraps */
	if (nd->op == OP_MUL)
		r = LLVMBuildMul(bd, av, bv, "");
	else {
		LLVMValueRef sa = LLVMBuildShl(bd, av, tgt_c32(c, p->left), "");
		LLVMValueRef sb = LLVMBuildShl(bd, bv, tgt_c32(c, p->left), "");
		sa = rescale(c, sa, p->mult[0], p->shift[0], 0, INT32_MIN, INT32_MAX);
		sb = rescale(c, sb, p->mult[1], p->shift[1], 0, INT32_MIN, INT32_MAX);
		r = LLVMBuildAdd(bd, sa, sb, "");
	}
	return rescale(c, r, p->out_mult, p->out_shift, p->out_zp, p->lo, p->hi);
}

static LLVMValueRef binary_f32(Cg *c, Op op, LLVMValueRef a, LLVMValueRef b)
{
	switch (op) {
	case OP_SUB: return LLVMBuildFSub(c->b, a, b, "");
	case OP_MUL: return LLVMBuildFMul(c->b, a, b, "");
	case OP_DIV: return LLVMBuildFDiv(c->b, a, b, "");
	case OP_ADD: return LLVMBuildFAdd(c->b, a, b, "");
	case OP_MAX:
	case OP_MIN: {
		/* isnan(a) || a > b ? a : b (< for min) */
		LLVMValueRef nan = LLVMBuildFCmp(c->b, LLVMRealUNO, a, a, "");
		LLVMValueRef cmp = LLVMBuildFCmp(c->b, op == OP_MAX ? LLVMRealOGT : LLVMRealOLT, a,
		                                 b, "");
		return LLVMBuildSelect(c->b, LLVMBuildOr(c->b, nan, cmp, ""), a, b, "");
	}
	case OP_PRELU:
		return LLVMBuildSelect(
		        c->b, LLVMBuildFCmp(c->b, LLVMRealOLT, a, LLVMConstReal(c->tf32, 0.0), ""),
		        LLVMBuildFMul(c->b, b, a, ""), a, "");
	default: ICE("elementwise rules: %s", ir_ops[op].name);
	}
}

/* One loop per result axis; each operand's index advances by its broadcast
 * stride (0 along a broadcast axis). */
static void lower_binary(Cg *c, int n, LLVMValueRef fn)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *av = &g->vals[nd->in[0]], *bv = &g->vals[nd->in[1]], *yv = &g->vals[nd->out];
	const Shape *ys = &yv->shape;
	int64_t sa[IR_MAX_RANK], sb[IR_MAX_RANK];
	LLVMValueRef oi = NULL, ai = NULL, bi = NULL;
	Loop l[IR_MAX_RANK];
	IrBinParams p;

	ir_broadcast_strides(&av->shape, ys, sa);
	ir_broadcast_strides(&bv->shape, ys, sb);
	if (yv->dt != DT_F32)
		ir_binary_params(g, nd, &p);
	for (int k = 0; k < ys->rank; k++) {
		LLVMValueRef i = tgt_upto(c, &l[k], ys->d[k]);
		oi = oi ? tgt_mad(c, oi, ys->d[k], i) : i;
		if (sa[k])
			ai = tgt_mad(c, i, sa[k], ai);
		if (sb[k])
			bi = tgt_mad(c, i, sb[k], bi);
	}
	oi = oi ? oi : tgt_cidx(c, 0);
	ai = ai ? ai : tgt_cidx(c, 0);
	bi = bi ? bi : tgt_cidx(c, 0);
	LLVMValueRef a = tgt_load(c, tgt_type(c, av->dt), opnd_ptr(fn, 0), ai);
	LLVMValueRef b = tgt_load(c, tgt_type(c, bv->dt), opnd_ptr(fn, 1), bi), r;
	if (yv->dt == DT_F32) {
		r = tgt_act_f32(c, binary_f32(c, nd->op, a, b), nd->a.act);
	} else
		r = LLVMBuildTrunc(c->b, binary_int(c, nd, &p, a, b), tgt_type(c, yv->dt), "");
	tgt_store(c, r, LLVMGetParam(fn, 1), oi);
	for (int k = ys->rank - 1; k >= 0; k--)
		tgt_loop_close(c, &l[k]);
}

/* A comparison's predicate: ordered float (NaN compares false, as C), and
 * signed integer. */
static LLVMRealPredicate cmp_real(Op op)
{
	switch (op) {
	case OP_EQUAL: return LLVMRealOEQ;
	case OP_LESS: return LLVMRealOLT;
	case OP_GREATER: return LLVMRealOGT;
	case OP_LESS_EQUAL: return LLVMRealOLE;
	default: return LLVMRealOGE;
	}
}

static LLVMIntPredicate cmp_int(Op op)
{
	switch (op) {
	case OP_EQUAL: return LLVMIntEQ;
	case OP_LESS: return LLVMIntSLT;
	case OP_GREATER: return LLVMIntSGT;
	case OP_LESS_EQUAL: return LLVMIntSLE;
	default: return LLVMIntSGE;
	}
}

/* The comparisons (a u8 mask) and where (operand 0 the mask): one loop per
 * result axis as lower_binary, each operand at its broadcast stride. */
static void lower_mask(Cg *c, int n, LLVMValueRef fn)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *yv = &g->vals[nd->out];
	const Shape *ys = &yv->shape;
	const int w = nd->op == OP_WHERE;
	int64_t st[3][IR_MAX_RANK];
	LLVMValueRef oi = NULL, xi[3] = {NULL, NULL, NULL}, x[3], r;
	LLVMBuilderRef bd = c->b;
	Loop l[IR_MAX_RANK];
	IrBinParams p;

	for (int j = 0; j < nd->nin; j++)
		ir_broadcast_strides(&g->vals[nd->in[j]].shape, ys, st[j]);
	const DType xdt = g->vals[nd->in[w]].dt; /* the compared or chosen operands' */
	if (xdt != DT_F32)
		ir_binary_params(g, nd, &p);
	for (int k = 0; k < ys->rank; k++) {
		LLVMValueRef i = tgt_upto(c, &l[k], ys->d[k]);
		oi = oi ? tgt_mad(c, oi, ys->d[k], i) : i;
		for (int j = 0; j < nd->nin; j++)
			if (st[j][k])
				xi[j] = tgt_mad(c, i, st[j][k], xi[j]);
	}
	oi = oi ? oi : tgt_cidx(c, 0);
	for (int j = 0; j < nd->nin; j++)
		x[j] = tgt_load(c, tgt_type(c, g->vals[nd->in[j]].dt), opnd_ptr(fn, j),
		                xi[j] ? xi[j] : tgt_cidx(c, 0));
	if (w) {
		LLVMValueRef a = x[1], b = x[2];
		if (xdt != DT_F32) {
			a = LLVMBuildTrunc(bd,
			                   rescale(c, centered(c, a, p.zp[0]), p.mult[0],
			                           p.shift[0], p.out_zp, p.lo, p.hi),
			                   tgt_type(c, yv->dt), "");
			b = LLVMBuildTrunc(bd,
			                   rescale(c, centered(c, b, p.zp[1]), p.mult[1],
			                           p.shift[1], p.out_zp, p.lo, p.hi),
			                   tgt_type(c, yv->dt), "");
		}
		LLVMValueRef cond = LLVMBuildICmp(bd, LLVMIntNE, x[0], LLVMConstInt(c->ti8, 0, 0),
		                                  "");
		r = LLVMBuildSelect(bd, cond, a, b, "");
	} else if (xdt == DT_F32) {
		r = LLVMBuildZExt(bd, LLVMBuildFCmp(bd, cmp_real(nd->op), x[0], x[1], ""), c->ti8,
		                  "");
	} else {
		/* add's common scale, as ir_binary_int */
		LLVMValueRef sa = LLVMBuildShl(bd, centered(c, x[0], p.zp[0]), tgt_c32(c, p.left),
		                               "");
		LLVMValueRef sb = LLVMBuildShl(bd, centered(c, x[1], p.zp[1]), tgt_c32(c, p.left),
		                               "");
		sa = rescale(c, sa, p.mult[0], p.shift[0], 0, INT32_MIN, INT32_MAX);
		sb = rescale(c, sb, p.mult[1], p.shift[1], 0, INT32_MIN, INT32_MAX);
		r = LLVMBuildZExt(bd, LLVMBuildICmp(bd, cmp_int(nd->op), sa, sb, ""), c->ti8, "");
	}
	tgt_store(c, r, LLVMGetParam(fn, 1), oi);
	for (int k = ys->rank - 1; k >= 0; k--)
		tgt_loop_close(c, &l[k]);
}

static int same_params(const Value *x, const Value *y)
{
	return x->dt == y->dt &&
	       (y->dt == DT_F32 || (x->q.zp == y->q.zp && x->q.scale[0] == y->q.scale[0]));
}

/* Operand by operand: per outer index, its slab copied, or requantized
 * element by element. */
static void lower_concat(Cg *c, int n, LLVMValueRef fn)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *yv = &g->vals[nd->out];
	int ax = ir_concat_axis(nd->a.axis, yv->shape.rank);
	int64_t outer = 1, inner = 1, off = 0, es = ir_dtype_size(yv->dt);
	LLVMTypeRef t = tgt_type(c, yv->dt);
	LLVMValueRef y = LLVMGetParam(fn, 1);

	for (int k = 0; k < ax; k++)
		outer *= yv->shape.d[k];
	for (int k = ax + 1; k < yv->shape.rank; k++)
		inner *= yv->shape.d[k];
	const int64_t ystep = yv->shape.d[ax] * inner;
	for (int i = 0; i < nd->nin; i++) {
		const Value *xv = &g->vals[nd->in[i]];
		const int64_t xstep = xv->shape.d[ax] * inner;
		LLVMValueRef x = opnd_ptr(fn, i);
		Loop lo, lj;
		if (xstep == 0)
			continue;
		LLVMValueRef o = tgt_upto(c, &lo, outer);
		LLVMValueRef yb = tgt_mad(c, o, ystep, tgt_cidx(c, off));
		LLVMValueRef xb = tgt_mad(c, o, xstep, NULL);
		if (same_params(xv, yv))
			tgt_copy(c, tgt_gep(c, t, y, yb), (unsigned)es, tgt_gep(c, t, x, xb),
			         (unsigned)es, xstep * es, 0);
		else {
			int32_t mult;
			int shift;
			ir_quantize_multiplier((double)xv->q.scale[0] / (double)yv->q.scale[0],
			                       &mult, &shift);
			LLVMValueRef j = tgt_upto(c, &lj, xstep);
			LLVMValueRef v = centered(
			        c, tgt_load(c, t, x, LLVMBuildNSWAdd(c->b, xb, j, "")), xv->q.zp);
			v = rescale(c, v, mult, shift, yv->q.zp, ir_qmin(yv->dt), ir_qmax(yv->dt));
			tgt_store(c, LLVMBuildTrunc(c->b, v, t, ""), y,
			          LLVMBuildNSWAdd(c->b, yb, j, ""));
			tgt_loop_close(c, &lj);
		}
		tgt_loop_close(c, &lo);
		off += xstep;
	}
}

/* ---- int64 ---------------------------------------------------------------- */

/* ir_binary_i64: wrapping i64 arithmetic (no nsw), div truncating with
 * x / 0 = 0 and INT64_MIN / -1 = INT64_MIN (a select keeps sdiv from
 * those two, where LLVM's result is undefined). */
static LLVMValueRef binary_i64(Cg *c, Op op, LLVMValueRef a, LLVMValueRef b)
{
	LLVMBuilderRef bd = c->b;
	LLVMTypeRef t = c->ti64;

	switch (op) {
	case OP_ADD: return LLVMBuildAdd(bd, a, b, "");
	case OP_SUB: return LLVMBuildSub(bd, a, b, "");
	case OP_MUL: return LLVMBuildMul(bd, a, b, "");
	case OP_MAX:
	case OP_MIN:
		return LLVMBuildSelect(
		        bd, LLVMBuildICmp(bd, op == OP_MAX ? LLVMIntSGT : LLVMIntSLT, a, b, ""), a,
		        b, "");
	case OP_DIV: {
		LLVMValueRef zero = LLVMConstInt(t, 0, 0), one = LLVMConstInt(t, 1, 0);
		LLVMValueRef m1 = LLVMConstInt(t, (unsigned long long)-1, 1);
		LLVMValueRef bz = LLVMBuildICmp(bd, LLVMIntEQ, b, zero, "");
		LLVMValueRef bm1 = LLVMBuildICmp(bd, LLVMIntEQ, b, m1, "");
		LLVMValueRef safe = LLVMBuildSelect(bd, LLVMBuildOr(bd, bz, bm1, ""), one, b, "");
		LLVMValueRef q = LLVMBuildSDiv(bd, a, safe, "");
		q = LLVMBuildSelect(bd, bm1, LLVMBuildSub(bd, zero, a, ""), q, "");
		return LLVMBuildSelect(bd, bz, zero, q, "");
	}
	default: ICE("elementwise rules: %s has no int64 form", ir_ops[op].name);
	}
}

/* lower_binary's loops over i64 operands. */
static void lower_i64(Cg *c, int n, LLVMValueRef fn)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Shape *ys = &g->vals[nd->out].shape;
	int64_t sa[IR_MAX_RANK], sb[IR_MAX_RANK];
	LLVMValueRef oi = NULL, ai = NULL, bi = NULL;
	Loop l[IR_MAX_RANK];

	ir_broadcast_strides(&g->vals[nd->in[0]].shape, ys, sa);
	ir_broadcast_strides(&g->vals[nd->in[1]].shape, ys, sb);
	for (int k = 0; k < ys->rank; k++) {
		LLVMValueRef i = tgt_upto(c, &l[k], ys->d[k]);
		oi = oi ? tgt_mad(c, oi, ys->d[k], i) : i;
		if (sa[k])
			ai = tgt_mad(c, i, sa[k], ai);
		if (sb[k])
			bi = tgt_mad(c, i, sb[k], bi);
	}
	LLVMValueRef a = tgt_load(c, c->ti64, opnd_ptr(fn, 0), ai ? ai : tgt_cidx(c, 0));
	LLVMValueRef b = tgt_load(c, c->ti64, opnd_ptr(fn, 1), bi ? bi : tgt_cidx(c, 0));
	tgt_store(c, binary_i64(c, nd->op, a, b), LLVMGetParam(fn, 1), oi ? oi : tgt_cidx(c, 0));
	for (int k = ys->rank - 1; k >= 0; k--)
		tgt_loop_close(c, &l[k]);
}

static void lower(Cg *c, int n, LLVMValueRef fn)
{
	if (c->g->vals[c->g->nodes[n].out].dt == DT_I64) {
		lower_i64(c, n, fn);
		return;
	}
	switch (c->g->nodes[n].op) {
	case OP_ADD:
	case OP_SUB:
	case OP_MUL:
	case OP_DIV:
	case OP_MAX:
	case OP_MIN:
	case OP_PRELU: lower_binary(c, n, fn); break;
	case OP_EQUAL:
	case OP_LESS:
	case OP_GREATER:
	case OP_LESS_EQUAL:
	case OP_GREATER_EQUAL:
	case OP_WHERE: lower_mask(c, n, fn); break;
	case OP_CONCAT: lower_concat(c, n, fn); break;
	default: ICE("elementwise rules: %s", ir_ops[c->g->nodes[n].op].name);
	}
}

/* ---- checks --------------------------------------------------------------- */

static int bad(Cg *c, const Node *nd, const char *why)
{
	diag_error(c->d, nd->loc, "%s '%s': cannot compile %s", ir_ops[nd->op].name,
	           c->g->vals[nd->out].name, why);
	return 1;
}

static int per_tensor(const Value *v)
{
	return v->q.present && v->q.n == 1 && v->q.scale && v->q.scale[0] > 0;
}

static int overlap(const Value *a, const Value *b)
{
	return a->kind != VK_CONST && a->offset < b->offset + ir_value_bytes(b) &&
	       b->offset < a->offset + ir_value_bytes(a);
}

static int check_concat(Cg *c, const Node *nd)
{
	const Shape *ys = &c->g->vals[nd->out].shape;
	int ax = ir_concat_axis(nd->a.axis, ys->rank);
	int64_t sum = 0;

	if (ax < 0)
		return bad(c, nd, "an axis outside the result's rank");
	for (int i = 0; i < nd->nin; i++) {
		const Shape *xs = &c->g->vals[nd->in[i]].shape;
		if (xs->rank != ys->rank)
			return bad(c, nd, "operands of another rank than the result");
		for (int k = 0; k < ys->rank; k++)
			if (k != ax && xs->d[k] != ys->d[k])
				return bad(c, nd, "operand shapes that differ off the axis");
		sum += xs->d[ax];
	}
	return sum != ys->d[ax] ? bad(c, nd, "a result that is not the operands joined") : 0;
}

/* The comparisons: two f32, i8 or i16 operands of one type and a u8 mask;
 * where: a u8 mask, then operands of the result's type. */
static int check_mask(Cg *c, const Node *nd)
{
	const Graph *g = c->g;
	const Value *y = &g->vals[nd->out];
	const int w = nd->op == OP_WHERE;
	const Value *a = &g->vals[nd->in[w]];
	Shape s;

	if (w ? ir_where_shape(g, nd, &s)
	      : ir_broadcast_shape(&a->shape, &g->vals[nd->in[1]].shape, &s))
		return bad(c, nd, "operands that do not broadcast");
	if (!ir_shape_eq(&s, &y->shape))
		return bad(c, nd, "a result that is not the operands' broadcast shape");
	if (w && g->vals[nd->in[0]].dt != DT_U8)
		return bad(c, nd, "a condition that is not a u8 mask");
	if (!w && y->dt != DT_U8)
		return bad(c, nd, "a result that is not a u8 mask");
	if (a->dt != DT_F32 && a->dt != DT_I8 && a->dt != DT_I16)
		return bad(c, nd, "these operand types (expected f32, i8 or i16)");
	if (w && (y->dt != a->dt || (a->dt != DT_F32 && !per_tensor(y))))
		return bad(c, nd, "a result of another type than the operands, or unquantized");
	for (int i = 0; i < nd->nin; i++) {
		const Value *x = &g->vals[nd->in[i]];
		if (i >= w && (x->dt != a->dt || (a->dt != DT_F32 && !per_tensor(x))))
			return bad(c, nd, "operands of two types, or unquantized");
		if (x->kind == VK_CONST && !x->data)
			return bad(c, nd, "a constant without data");
		if (overlap(x, y))
			return bad(c, nd, "an operand that shares arena bytes with the result");
	}
	return 0;
}

/* int64: add, sub, mul, div, max, min of i64 operands into an i64 result. */
static int check_i64(Cg *c, const Node *nd)
{
	const Graph *g = c->g;
	Shape s;

	if (!ir_is_i64_op(nd->op) || nd->a.act != ACT_NONE)
		return bad(c, nd, "int64 operands (only add, sub, mul, div, max, min, no act)");
	if (nd->nin != 2 ||
	    ir_broadcast_shape(&g->vals[nd->in[0]].shape, &g->vals[nd->in[1]].shape, &s) ||
	    !ir_shape_eq(&s, &g->vals[nd->out].shape))
		return bad(c, nd, "a result that is not the operands' broadcast shape");
	for (int i = -1; i < nd->nin; i++) {
		const Value *x = &g->vals[i < 0 ? nd->out : nd->in[i]];
		if (x->dt != DT_I64)
			return bad(c, nd, "int64 mixed with another type");
		if (x->kind == VK_CONST && !x->data)
			return bad(c, nd, "a constant without data");
		if (i >= 0 && overlap(x, &g->vals[nd->out]))
			return bad(c, nd, "an operand that shares arena bytes with the result");
	}
	return 0;
}

static int check(Cg *c, const Node *nd)
{
	const Graph *g = c->g;
	const Value *y = &g->vals[nd->out];

	if (y->dt == DT_I64 || g->vals[nd->in[0]].dt == DT_I64)
		return check_i64(c, nd);

	if (nd->op == OP_CONCAT) {
		if (check_concat(c, nd))
			return 1;
	} else if (nd->op == OP_WHERE || ir_is_compare(nd->op))
		return check_mask(c, nd);
	else {
		Shape s;
		if (nd->nin != 2 ||
		    ir_broadcast_shape(&g->vals[nd->in[0]].shape, &g->vals[nd->in[1]].shape, &s) ||
		    !ir_shape_eq(&s, &y->shape))
			return bad(c, nd, "a result that is not the operands' broadcast shape");
	}
	if (y->dt != DT_F32 && y->dt != DT_I8 && y->dt != DT_I16)
		return bad(c, nd, "this result type (expected f32, i8 or i16)");
	if (y->dt != DT_F32 && !per_tensor(y))
		return bad(c, nd, "a result without per-tensor quantization");
	for (int i = 0; i < nd->nin; i++) {
		const Value *x = &g->vals[nd->in[i]];
		if (x->dt != y->dt)
			return bad(c, nd, "operands of another type than the result");
		if (y->dt != DT_F32 && !per_tensor(x))
			return bad(c, nd, "an operand without per-tensor quantization");
		if (x->kind == VK_CONST && !x->data)
			return bad(c, nd, "a constant without data");
		if (overlap(x, y))
			return bad(c, nd, "an operand that shares arena bytes with the result");
	}
	return 0;
}

const TgtRules tgt_rules_elementwise = {
        .check = check,
        .lower = lower,
        .nary = 1,
};
