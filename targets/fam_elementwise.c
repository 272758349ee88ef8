/* targets/fam_elementwise.c — the elementwise family (add, sub, mul, div,
 * max, min, prelu, the comparisons, where, not, and, or, xor, to_bool,
 * powv, concat) in the targets layer: their checks and kernels.
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

/* The loops of a broadcast: the result's axes with sizes d and the
 * operands' broadcast strides sa, sb (0 along a broadcast axis), with the
 * axes of size 1 dropped and each axis merged into the one before it where
 * that is one axis for the result and both operands (the outer stride is
 * the inner one times its size, or both are 0): same-shape operands take
 * one loop over every element, a [1,C,H,W] * [1,C,1,1] two, C and H*W, so
 * that the inner loop is long enough for the vectorizer.  Returns the
 * number of loops. */
static int merged_axes(const Shape *ys, const int64_t *sa0, const int64_t *sb0, int64_t *d,
                       int64_t *sa, int64_t *sb)
{
	int n = 0;

	for (int k = 0; k < ys->rank; k++) {
		if (ys->d[k] == 1)
			continue;
		if (n && sa[n - 1] == sa0[k] * ys->d[k] && sb[n - 1] == sb0[k] * ys->d[k]) {
			d[n - 1] *= ys->d[k];
			sa[n - 1] = sa0[k], sb[n - 1] = sb0[k];
			continue;
		}
		d[n] = ys->d[k], sa[n] = sa0[k], sb[n] = sb0[k];
		n++;
	}
	return n;
}

/* One loop per merged axis (merged_axes); each operand's index advances by
 * its broadcast stride. */
static void lower_binary(Cg *c, int n, LLVMValueRef fn)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *av = &g->vals[nd->in[0]], *bv = &g->vals[nd->in[1]], *yv = &g->vals[nd->out];
	const Shape *ys = &yv->shape;
	int64_t sa0[IR_MAX_RANK], sb0[IR_MAX_RANK], d[IR_MAX_RANK], sa[IR_MAX_RANK],
	        sb[IR_MAX_RANK];
	LLVMValueRef oi = NULL, ai = NULL, bi = NULL;
	Loop l[IR_MAX_RANK];
	IrBinParams p;

	ir_broadcast_strides(&av->shape, ys, sa0);
	ir_broadcast_strides(&bv->shape, ys, sb0);
	if (yv->dt != DT_F32)
		ir_binary_params(g, nd, &p);
	int rank = merged_axes(ys, sa0, sb0, d, sa, sb);
	for (int k = 0; k < rank; k++) {
		LLVMValueRef i = tgt_upto(c, &l[k], d[k]);
		oi = oi ? tgt_mad(c, oi, d[k], i) : i;
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
	for (int k = rank - 1; k >= 0; k--)
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

/* not, and, or, xor (u8 masks) and to_bool: one loop per result axis as
 * lower_mask, each operand at its broadcast stride; the same arithmetic as
 * ir/fam_elementwise.c's run_logic (every mask byte other than 0 is true). */
static void lower_logic(Cg *c, int n, LLVMValueRef fn)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *xv = &g->vals[nd->in[0]];
	const Shape *ys = &g->vals[nd->out].shape;
	int64_t st[2][IR_MAX_RANK];
	LLVMValueRef oi = NULL, xi[2] = {NULL, NULL}, x[2], r;
	LLVMBuilderRef bd = c->b;
	Loop l[IR_MAX_RANK];

	for (int j = 0; j < nd->nin; j++)
		ir_broadcast_strides(&g->vals[nd->in[j]].shape, ys, st[j]);
	for (int k = 0; k < ys->rank; k++) {
		LLVMValueRef i = tgt_upto(c, &l[k], ys->d[k]);
		oi = oi ? tgt_mad(c, oi, ys->d[k], i) : i;
		for (int j = 0; j < nd->nin; j++)
			if (st[j][k])
				xi[j] = tgt_mad(c, i, st[j][k], xi[j]);
	}
	oi = oi ? oi : tgt_cidx(c, 0);
	for (int j = 0; j < nd->nin; j++) {
		LLVMTypeRef t = tgt_type(c, g->vals[nd->in[j]].dt);
		x[j] = tgt_load(c, t, opnd_ptr(fn, j), xi[j] ? xi[j] : tgt_cidx(c, 0));
		if (nd->op == OP_TO_BOOL)
			x[j] = xv->dt == DT_F32 /* unordered: NaN is not 0 */
			               ? LLVMBuildFCmp(bd, LLVMRealUNE, x[j],
			                               LLVMConstReal(c->tf32, 0.0), "")
			               : LLVMBuildICmp(bd, LLVMIntNE, x[j],
			                               LLVMConstInt(t, (uint64_t)xv->q.zp, 1), "");
		else
			x[j] = LLVMBuildICmp(bd, LLVMIntNE, x[j], LLVMConstInt(t, 0, 0), "");
	}
	switch (nd->op) {
	case OP_TO_BOOL: r = x[0]; break;
	case OP_NOT: r = LLVMBuildNot(bd, x[0], ""); break;
	case OP_AND: r = LLVMBuildAnd(bd, x[0], x[1], ""); break;
	case OP_OR: r = LLVMBuildOr(bd, x[0], x[1], ""); break;
	case OP_XOR: r = LLVMBuildXor(bd, x[0], x[1], ""); break;
	default: ICE("elementwise rules: %s", ir_ops[nd->op].name);
	}
	tgt_store(c, LLVMBuildZExt(bd, r, c->ti8, ""), LLVMGetParam(fn, 1), oi);
	for (int k = ys->rank - 1; k >= 0; k--)
		tgt_loop_close(c, &l[k]);
}

/* ---- powv ------------------------------------------------------------------- */

static LLVMValueRef c64(Cg *c, int64_t v)
{
	return LLVMConstInt(c->ti64, (uint64_t)v, 1);
}

/* v clamped to [lo, hi] (signed, v's type) */
static LLVMValueRef clamp_s(Cg *c, LLVMValueRef v, LLVMValueRef lo, LLVMValueRef hi)
{
	v = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, v, lo, ""), lo, v, "");
	return LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSGT, v, hi, ""), hi, v, "");
}

/* table[i] + ((table[i + 1] - table[i]) * r + 128) >> 8, i32 */
static LLVMValueRef lerp256(Cg *c, LLVMValueRef table, LLVMValueRef i, LLVMValueRef r)
{
	LLVMBuilderRef bd = c->b;
	LLVMValueRef t0 = tgt_load(c, c->ti32, table, LLVMBuildZExt(bd, i, c->tidx, ""));
	LLVMValueRef i1 = LLVMBuildAdd(bd, i, tgt_c32(c, 1), "");
	LLVMValueRef t1 = tgt_load(c, c->ti32, table, LLVMBuildZExt(bd, i1, c->tidx, ""));
	LLVMValueRef d = LLVMBuildMul(bd, LLVMBuildSub(bd, t1, t0, ""), r, "");
	d = LLVMBuildAShr(bd, LLVMBuildAdd(bd, d, tgt_c32(c, 128), ""), tgt_c32(c, 8), "");
	return LLVMBuildAdd(bd, t0, d, "");
}

/* ir_powv_s16 step for step, without branches: every path computed on
 * operands kept in range, the result selected */
static LLVMValueRef powv_s16(Cg *c, const IrPowvParams *p, LLVMValueRef table, LLVMValueRef x,
                             LLVMValueRef y)
{
	LLVMBuilderRef bd = c->b;
	const int sh = p->ysh - 16;
	const int32_t zo = p->zp_o < -32768 ? -32768 : p->zp_o > 32767 ? 32767 : p->zp_o;
	LLVMValueRef dx = centered(c, x, p->zp_x), dy = centered(c, y, p->zp_y);
	LLVMValueRef dxz = LLVMBuildICmp(bd, LLVMIntEQ, dx, tgt_c32(c, 0), "");
	LLVMValueRef dxn = LLVMBuildICmp(bd, LLVMIntSLT, dx, tgt_c32(c, 0), "");
	LLVMValueRef m = LLVMBuildSelect(bd, dxn, LLVMBuildNeg(bd, dx, ""), dx, "");
	m = LLVMBuildSelect(bd, dxz, tgt_c32(c, 1), m, ""); /* log2 of 0 is not used */

	/* l = 2^16 log2 m: k = 31 - ctlz(m), f the 16 bits after the leading one */
	unsigned id = LLVMLookupIntrinsicID("llvm.ctlz", 9);
	LLVMTypeRef ty = c->ti32;
	LLVMValueRef ctlz = LLVMGetIntrinsicDeclaration(c->mod, id, &ty, 1);
	LLVMValueRef args[2] = {m, LLVMConstInt(c->ti1, 0, 0)};
	LLVMValueRef z = LLVMBuildCall2(bd, LLVMIntrinsicGetType(c->ctx, id, &ty, 1), ctlz, args, 2,
	                                "");
	LLVMValueRef k = LLVMBuildSub(bd, tgt_c32(c, 31), z, "");
	LLVMValueRef f = LLVMBuildShl(bd, m, LLVMBuildSub(bd, z, tgt_c32(c, 15), ""), "");
	f = LLVMBuildSub(bd, f, tgt_c32(c, 65536), "");
	LLVMValueRef l = lerp256(c, table, LLVMBuildLShr(bd, f, tgt_c32(c, 8), ""),
	                         LLVMBuildAnd(bd, f, tgt_c32(c, 255), ""));
	l = LLVMBuildAdd(bd, LLVMBuildShl(bd, k, tgt_c32(c, 16), ""), l, "");

	/* yq = 2^16 y, clamped to +-2^31 */
	LLVMValueRef yq = LLVMBuildMul(bd, LLVMBuildSExt(bd, dy, c->ti64, ""), c64(c, p->sy), "");
	yq = LLVMBuildAShr(bd, LLVMBuildAdd(bd, yq, c64(c, (int64_t)1 << (sh - 1)), ""), c64(c, sh),
	                   "");
	yq = clamp_s(c, yq, c64(c, -((int64_t)1 << 31)), c64(c, (int64_t)1 << 31));

	/* tt = 2^16 log2(|x^y| / s_o) */
	LLVMValueRef a = LLVMBuildSExt(bd, LLVMBuildAdd(bd, l, tgt_c32(c, p->cx), ""), c->ti64, "");
	LLVMValueRef tt = LLVMBuildAdd(bd, LLVMBuildMul(bd, yq, a, ""), c64(c, 32768), "");
	tt = LLVMBuildSub(bd, LLVMBuildAShr(bd, tt, c64(c, 16), ""), c64(c, p->co), "");
	LLVMValueRef tc = clamp_s(c, tt, c64(c, -65536), c64(c, 16 * 65536 - 1));
	tc = LLVMBuildTrunc(bd, tc, c->ti32, "");
	LLVMValueRef e = LLVMBuildAShr(bd, tc, tgt_c32(c, 16), "");
	LLVMValueRef g = LLVMBuildAnd(bd, tc, tgt_c32(c, 65535), "");
	LLVMValueRef j = LLVMBuildAdd(bd, tgt_c32(c, 257), LLVMBuildLShr(bd, g, tgt_c32(c, 8), ""),
	                              "");
	LLVMValueRef ex = lerp256(c, table, j, LLVMBuildAnd(bd, g, tgt_c32(c, 255), ""));
	LLVMValueRef half = LLVMBuildShl(bd, tgt_c32(c, 1), LLVMBuildSub(bd, tgt_c32(c, 15), e, ""),
	                                 "");
	LLVMValueRef mag = LLVMBuildAdd(bd, LLVMBuildShl(bd, ex, tgt_c32(c, 1), ""), half, "");
	mag = LLVMBuildAShr(bd, mag, LLVMBuildSub(bd, tgt_c32(c, 16), e, ""), "");
	mag = LLVMBuildSelect(bd, LLVMBuildICmp(bd, LLVMIntSLT, tt, c64(c, -65536), ""),
	                      tgt_c32(c, 0), mag, "");
	mag = LLVMBuildSelect(bd, LLVMBuildICmp(bd, LLVMIntSGE, tt, c64(c, 16 * 65536), ""),
	                      tgt_c32(c, 65536), mag, "");

	/* x < 0: y's nearest integer n, and whether y is within half a step */
	LLVMValueRef n = LLVMBuildAdd(bd, yq, c64(c, 32768), "");
	n = LLVMBuildAShr(bd, n, c64(c, 16), "");
	LLVMValueRef d = LLVMBuildSub(bd, yq, LLVMBuildShl(bd, n, c64(c, 16), ""), "");
	LLVMValueRef nonint = LLVMBuildOr(
	        bd, LLVMBuildICmp(bd, LLVMIntSLT, d, c64(c, -p->half), ""),
	        LLVMBuildICmp(bd, LLVMIntSGT, d, c64(c, p->half), ""), "");
	LLVMValueRef odd = LLVMBuildAnd(bd, dxn, LLVMBuildTrunc(bd, n, c->ti1, ""), "");
	mag = LLVMBuildSelect(bd, odd, LLVMBuildNeg(bd, mag, ""), mag, "");
	LLVMValueRef r = clamp_s(c, LLVMBuildAdd(bd, tgt_c32(c, zo), mag, ""), tgt_c32(c, -32768),
	                         tgt_c32(c, 32767));
	r = LLVMBuildSelect(bd, LLVMBuildAnd(bd, dxn, nonint, ""), tgt_c32(c, zo), r, "");
	/* 0^y: 0, 1 (y = 0) or inf */
	LLVMValueRef r0 = LLVMBuildSelect(bd, LLVMBuildICmp(bd, LLVMIntEQ, dy, tgt_c32(c, 0), ""),
	                                  tgt_c32(c, p->one), tgt_c32(c, 32767), "");
	r0 = LLVMBuildSelect(bd, LLVMBuildICmp(bd, LLVMIntSGT, dy, tgt_c32(c, 0), ""),
	                     tgt_c32(c, zo), r0, "");
	return LLVMBuildSelect(bd, dxz, r0, r, "");
}

/* powv: add's loops; f32 calls the runtime's qrt_powf (as the
 * interpreter), int8 loads T[(x + 128) * 256 + (y + 128)] from the table,
 * operand 2, int16 is powv_s16 with the i32[514] table. */
static void lower_powv(Cg *c, int n, LLVMValueRef fn)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *av = &g->vals[nd->in[0]], *bv = &g->vals[nd->in[1]], *yv = &g->vals[nd->out];
	const Shape *ys = &yv->shape;
	int64_t sa[IR_MAX_RANK], sb[IR_MAX_RANK];
	LLVMValueRef oi = NULL, ai = NULL, bi = NULL, r;
	LLVMBuilderRef bd = c->b;
	Loop l[IR_MAX_RANK];

	ir_broadcast_strides(&av->shape, ys, sa);
	ir_broadcast_strides(&bv->shape, ys, sb);
	for (int k = 0; k < ys->rank; k++) {
		LLVMValueRef i = tgt_upto(c, &l[k], ys->d[k]);
		oi = oi ? tgt_mad(c, oi, ys->d[k], i) : i;
		if (sa[k])
			ai = tgt_mad(c, i, sa[k], ai);
		if (sb[k])
			bi = tgt_mad(c, i, sb[k], bi);
	}
	oi = oi ? oi : tgt_cidx(c, 0);
	LLVMTypeRef t = tgt_type(c, yv->dt);
	LLVMValueRef a = tgt_load(c, t, opnd_ptr(fn, 0), ai ? ai : tgt_cidx(c, 0));
	LLVMValueRef b = tgt_load(c, t, opnd_ptr(fn, 1), bi ? bi : tgt_cidx(c, 0));
	if (yv->dt == DT_F32) {
		LLVMTypeRef ps[2] = {c->tf32, c->tf32};
		LLVMTypeRef ft = LLVMFunctionType(c->tf32, ps, 2, 0);
		LLVMValueRef f = LLVMGetNamedFunction(c->mod, "qrt_powf"), args[2] = {a, b};
		if (!f) {
			f = LLVMAddFunction(c->mod, "qrt_powf", ft);
			tgt_add_attr(c, f, LLVMAttributeFunctionIndex, "nounwind", 0);
		}
		r = LLVMBuildCall2(bd, ft, f, args, 2, "");
	} else if (yv->dt == DT_I16) {
		IrPowvParams p;
		ir_powv_params(av->q.scale[0], av->q.zp, bv->q.scale[0], bv->q.zp, yv->q.scale[0],
		               yv->q.zp, &p);
		r = LLVMBuildTrunc(bd, powv_s16(c, &p, opnd_ptr(fn, 2), a, b), t, "");
	} else {
		LLVMValueRef k128 = tgt_c32(c, 128);
		LLVMValueRef ia = LLVMBuildAdd(bd, LLVMBuildSExt(bd, a, c->ti32, ""), k128, "");
		LLVMValueRef ib = LLVMBuildAdd(bd, LLVMBuildSExt(bd, b, c->ti32, ""), k128, "");
		LLVMValueRef k = LLVMBuildAdd(bd, LLVMBuildShl(bd, ia, tgt_c32(c, 8), ""), ib, "");
		r = tgt_load(c, c->ti8, opnd_ptr(fn, 2), LLVMBuildZExt(bd, k, c->tidx, ""));
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
	case OP_NOT:
	case OP_AND:
	case OP_OR:
	case OP_XOR:
	case OP_TO_BOOL: lower_logic(c, n, fn); break;
	case OP_POWV: lower_powv(c, n, fn); break;
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
	}
	return 0;
}

/* not, and, or, xor: u8 masks that broadcast to the result; to_bool: an
 * f32 operand or a per-tensor i8 / i16 one of the result's shape; a u8
 * mask result. */
static int check_logic(Cg *c, const Node *nd)
{
	const Graph *g = c->g;
	const Value *y = &g->vals[nd->out], *a = &g->vals[nd->in[0]];
	Shape s = a->shape;

	if (nd->nin == 2 && ir_broadcast_shape(&a->shape, &g->vals[nd->in[1]].shape, &s))
		return bad(c, nd, "operands that do not broadcast");
	if (!ir_shape_eq(&s, &y->shape))
		return bad(c, nd, "a result that is not the operands' broadcast shape");
	if (y->dt != DT_U8)
		return bad(c, nd, "a result that is not a u8 mask");
	for (int i = 0; i < nd->nin; i++) {
		const Value *x = &g->vals[nd->in[i]];
		if (nd->op != OP_TO_BOOL && x->dt != DT_U8)
			return bad(c, nd, "an operand that is not a u8 mask");
		if (nd->op == OP_TO_BOOL && x->dt != DT_F32 &&
		    ((x->dt != DT_I8 && x->dt != DT_I16) || !per_tensor(x)))
			return bad(c, nd, "an operand that is not f32 or per-tensor i8 / i16");
	}
	return 0;
}

/* powv: f32 x, y and result, or i8 / i16 ones per tensor and the
 * i8[65536] / i32[514] table. */
static int check_powv(Cg *c, const Node *nd)
{
	const Graph *g = c->g;
	const Value *y = &g->vals[nd->out];
	Shape s;

	if (ir_broadcast_shape(&g->vals[nd->in[0]].shape, &g->vals[nd->in[1]].shape, &s) ||
	    !ir_shape_eq(&s, &y->shape))
		return bad(c, nd, "a result that is not the operands' broadcast shape");
	if (y->dt != DT_F32 && y->dt != DT_I8 && y->dt != DT_I16)
		return bad(c, nd, "this result type (expected f32, i8 or i16)");
	if (nd->nin != (y->dt == DT_F32 ? 2 : 3))
		return bad(c, nd, "without its table (int8, int16) or with one (f32)");
	const DType tdt = y->dt == DT_I16 ? DT_I32 : y->dt;
	const int64_t tn = y->dt == DT_I16 ? IR_POWV_LUT16_N : IR_POWV_TABLE_N;
	IrPowvParams p;
	for (int i = 0; i < nd->nin; i++) {
		const Value *x = &g->vals[nd->in[i]];
		if (x->dt != (i < 2 ? y->dt : tdt) || (i < 2 && y->dt != DT_F32 && !per_tensor(x)))
			return bad(c, nd,
			           "operands of another type than the result, or unquantized");
	}
	if (y->dt != DT_F32 && (!per_tensor(y) || g->vals[nd->in[2]].kind != VK_CONST ||
	                        ir_shape_numel(&g->vals[nd->in[2]].shape) != tn))
		return bad(c, nd, "an unquantized result or a table of another size");
	if (y->dt == DT_I16 &&
	    ir_powv_params(g->vals[nd->in[0]].q.scale[0], g->vals[nd->in[0]].q.zp,
	                   g->vals[nd->in[1]].q.scale[0], g->vals[nd->in[1]].q.zp, y->q.scale[0],
	                   y->q.zp, &p))
		return bad(c, nd, "an exponent scale outside [2^-46, 2^14)");
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
	}
	return 0;
}

/* Every operand: a constant has its data, and none shares arena bytes
 * with the result (the kernels read operands after writing results). */
static int check_stored(Cg *c, const Node *nd)
{
	const Value *y = &c->g->vals[nd->out];

	for (int i = 0; i < nd->nin; i++) {
		const Value *x = &c->g->vals[nd->in[i]];
		if (x->kind == VK_CONST && !x->data)
			return bad(c, nd, "a constant without data");
		if (overlap(x, y))
			return bad(c, nd, "an operand that shares arena bytes with the result");
	}
	return 0;
}

static int check_types(Cg *c, const Node *nd)
{
	const Graph *g = c->g;
	const Value *y = &g->vals[nd->out];

	if (nd->op == OP_POWV)
		return check_powv(c, nd);
	if (y->dt == DT_I64 || g->vals[nd->in[0]].dt == DT_I64)
		return check_i64(c, nd);

	if (nd->op == OP_CONCAT) {
		if (check_concat(c, nd))
			return 1;
	} else if (nd->op == OP_WHERE || ir_is_compare(nd->op))
		return check_mask(c, nd);
	else if (ir_is_mask_logic(nd->op))
		return check_logic(c, nd);
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
	}
	return 0;
}

static int check(Cg *c, const Node *nd)
{
	return check_types(c, nd) || check_stored(c, nd);
}

const TgtRules tgt_rules_elementwise = {
        .check = check,
        .lower = lower,
        .nary = 1,
};
