/* targets/epilogue.c — the shared epilogues of the lowering: fixed-point
 * requantization (docs/requant.md, MultiplyByQuantizedMultiplier and its
 * int64 form), --requant float's, the fused float activations, and the
 * per-channel epilogue of a weighted node (Epilogue).  Each computes what
 * ir/interp.c computes, step for step.
 */
#include <stdlib.h>
#include <string.h>

#include "targets.h"

/* ---- epilogues ------------------------------------------------------------- */

static LLVMValueRef smax(Cg *c, LLVMValueRef a, LLVMValueRef b)
{
	return LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSGT, a, b, ""), a, b, "");
}

static LLVMValueRef smin(Cg *c, LLVMValueRef a, LLVMValueRef b)
{
	return LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, a, b, ""), a, b, "");
}

/* Type t, or a vector of t as long as v when v is a vector (the epilogues
 * take a scalar or a vector of lanes: kernel_x86.c). */
static LLVMTypeRef like(LLVMValueRef v, LLVMTypeRef t)
{
	LLVMTypeRef vt = LLVMTypeOf(v);

	return LLVMGetTypeKind(vt) == LLVMVectorTypeKind ? LLVMVectorType(t, LLVMGetVectorSize(vt))
	                                                 : t;
}

/* Constant k of type t, splat like v. */
static LLVMValueRef kof(LLVMValueRef v, LLVMTypeRef t, long long k)
{
	LLVMTypeRef lt = like(v, t);
	LLVMValueRef s = LLVMGetTypeKind(t) == LLVMFloatTypeKind
	                         ? LLVMConstReal(t, (double)k)
	                         : LLVMConstInt(t, (unsigned long long)k, 1);

	if (lt == t)
		return s;
	unsigned n = LLVMGetVectorSize(lt);
	LLVMValueRef *e = ir_xmalloc(n * sizeof *e);
	for (unsigned i = 0; i < n; i++)
		e[i] = s;
	s = LLVMConstVector(e, n);
	free(e);
	return s;
}

/* floor((x * mult + 2^30) / 2^31) as an i32 (it fits: |mult| < 2^31).
 * (ab + nudge) / 2^31 truncating, nudge = ab >= 0 ? 2^30 : 1 - 2^30, is
 * floor((ab + 2^30) / 2^31) for either sign: for ab < 0 the numerator
 * n = ab + 1 - 2^30 is negative, so it rounds up, and ceil(n / 2^31) =
 * floor((n + 2^31 - 1) / 2^31) = floor((ab + 2^30) / 2^31).  One add
 * and an arithmetic shift, no compare, select or division fix-up.
 *
 * A vector of 8 or 16 lanes on x86-64 with AVX2 takes the even lanes and
 * the odd lanes as two vectors of i64 (vpmuldq multiplies the low 32 bits
 * of each 64-bit lane, signed): the even products shifted right by 31
 * leave the result in their low half, the odd ones shifted left by 1 in
 * their high half, and one blend interleaves them.  Widening every lane to
 * i64 and narrowing back cost twice the instructions. */
static LLVMValueRef high_mul(Cg *c, LLVMValueRef x, LLVMValueRef mult)
{
	LLVMBuilderRef b = c->b;
	LLVMTypeRef vt = LLVMTypeOf(x);
	unsigned n = LLVMGetTypeKind(vt) == LLVMVectorTypeKind ? LLVMGetVectorSize(vt) : 1;

	if ((n == 8 || n == 16) && tgt_has_feature(c->tm, "avx2")) {
		LLVMTypeRef t64 = LLVMVectorType(c->ti64, n / 2);
		LLVMValueRef k32 = kof(LLVMGetUndef(t64), c->ti64, 32);
		LLVMValueRef nudge = kof(LLVMGetUndef(t64), c->ti64, 1 << 30);
		LLVMValueRef xq = LLVMBuildBitCast(b, x, t64, ""),
		             mq = LLVMBuildBitCast(b, mult, t64, "");
		/* the low halves sign-extended (vpmuldq's operands), and the high */
		LLVMValueRef xe = LLVMBuildAShr(b, LLVMBuildShl(b, xq, k32, ""), k32, "");
		LLVMValueRef me = LLVMBuildAShr(b, LLVMBuildShl(b, mq, k32, ""), k32, "");
		LLVMValueRef xo = LLVMBuildAShr(b, xq, k32, ""), mo = LLVMBuildAShr(b, mq, k32, "");
		LLVMValueRef pe = LLVMBuildAdd(b, LLVMBuildMul(b, xe, me, ""), nudge, "");
		LLVMValueRef po = LLVMBuildAdd(b, LLVMBuildMul(b, xo, mo, ""), nudge, "");
		pe = LLVMBuildBitCast(b, LLVMBuildLShr(b, pe, kof(pe, c->ti64, 31), ""), vt, "");
		po = LLVMBuildBitCast(b, LLVMBuildShl(b, po, kof(po, c->ti64, 1), ""), vt, "");
		LLVMValueRef idx[16];
		for (unsigned i = 0; i < n; i++)
			idx[i] = tgt_c32(c, i % 2 ? n + i : i);
		return LLVMBuildShuffleVector(b, pe, po, LLVMConstVector(idx, n), "");
	}
	LLVMTypeRef t64 = like(x, c->ti64);
	LLVMValueRef ab = LLVMBuildMul(b, LLVMBuildSExt(b, x, t64, ""),
	                               LLVMBuildSExt(b, mult, t64, ""), "");
	LLVMValueRef q = LLVMBuildAShr(b, LLVMBuildAdd(b, ab, kof(x, c->ti64, 1 << 30), ""),
	                               kof(x, c->ti64, 31), "");
	return LLVMBuildTrunc(b, q, like(x, c->ti32), "");
}

/* MultiplyByQuantizedMultiplier as runtime/src/requantize.c, then + zp and
 * the clamp.  i64 intermediates keep every step exact on 32-bit targets too
 * (LLVM expands them inline; the division by 2^31 becomes shifts).  acc,
 * mult and shift may be vectors of equal length. */
LLVMValueRef tgt_requant(Cg *c, LLVMValueRef acc, LLVMValueRef mult, LLVMValueRef shift,
                         const Requant *rq)
{
	LLVMBuilderRef b = c->b;
	LLVMTypeRef t64 = like(acc, c->ti64), t32 = like(acc, c->ti32);
	LLVMValueRef zero = kof(acc, c->ti32, 0), x, right, q, mask, rem, thr, r;

	x = acc;
	if (rq->has_left) {
		LLVMValueRef left = smax(c, shift, zero);
		LLVMValueRef x64 = LLVMBuildShl(b, LLVMBuildSExt(b, acc, t64, ""),
		                                LLVMBuildZExt(b, left, t64, ""), "");
		x64 = smin(c, x64, kof(acc, c->ti64, INT32_MAX));
		x64 = smax(c, x64, kof(acc, c->ti64, INT32_MIN));
		x = LLVMBuildTrunc(b, x64, t32, "");
	}
	right = smax(c, LLVMBuildNeg(b, shift, ""), zero);

	/* SaturatingRoundingDoublingHighMul; mult is never INT32_MIN (it lies in
	 * [2^30, 2^31) or is 0), so the one saturating case cannot occur */
	q = high_mul(c, x, mult);

	/* RoundingDivideByPOT.  right <= 31, so the mask fits the i32 bit
	 * pattern: 1 << 31 is 0x80000000, and minus 1 is 0x7fffffff */
	mask = LLVMBuildSub(b, LLVMBuildShl(b, kof(acc, c->ti32, 1), right, ""),
	                    kof(acc, c->ti32, 1), "");
	rem = LLVMBuildAnd(b, q, mask, "");
	/* (q < 0) as 0 or 1: q's sign bit */
	thr = LLVMBuildAdd(b, LLVMBuildAShr(b, mask, kof(acc, c->ti32, 1), ""),
	                   LLVMBuildLShr(b, q, kof(acc, c->ti32, 31), ""), "");
	r = LLVMBuildAdd(b, LLVMBuildAShr(b, q, right, ""),
	                 LLVMBuildZExt(b, LLVMBuildICmp(b, LLVMIntSGT, rem, thr, ""), t32, ""), "");

	r = LLVMBuildAdd(b, r, kof(acc, c->ti32, rq->zp), "");
	r = smax(c, r, kof(acc, c->ti32, rq->lo));
	return smin(c, r, kof(acc, c->ti32, rq->hi));
}

/* ir_requant_float: v = (float)acc * m (plain sitofp and fmul, no
 * fast-math), clamped to [lo - zp, hi - zp] (ordered compares: the max
 * first, then the min, as MLAS), rounded half to even by adding and
 * subtracting 1.5 * 2^23 (no roundeven: targets without the instruction
 * would call libm), converted back and + zp. */
LLVMValueRef tgt_requant_float(Cg *c, LLVMValueRef acc, LLVMValueRef m, const Requant *rq)
{
	LLVMBuilderRef b = c->b;
	LLVMValueRef lo = kof(acc, c->tf32, rq->lo - rq->zp);
	LLVMValueRef hi = kof(acc, c->tf32, rq->hi - rq->zp);
	LLVMValueRef magic = kof(acc, c->tf32, 12582912), v;

	v = LLVMBuildFMul(b, LLVMBuildSIToFP(b, acc, like(acc, c->tf32), ""), m, "");
	v = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, v, lo, ""), v, lo, "");
	v = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, v, hi, ""), v, hi, "");
	v = LLVMBuildFSub(b, LLVMBuildFAdd(b, v, magic, ""), magic, "");
	return LLVMBuildAdd(b, LLVMBuildFPToSI(b, v, like(acc, c->ti32), ""),
	                    kof(acc, c->ti32, rq->zp), "");
}

LLVMValueRef tgt_act_f32(Cg *c, LLVMValueRef acc, Act act)
{
	LLVMValueRef zero = kof(acc, c->tf32, 0), six = kof(acc, c->tf32, 6);

	if (act == ACT_NONE)
		return acc;
	acc = LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOLT, acc, zero, ""), zero, acc, "");
	if (act == ACT_RELU6)
		acc = LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOGT, acc, six, ""), six,
		                      acc, "");
	return acc;
}

static void put_i32le(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static LLVMValueRef i32_array(Cg *c, const char *name, const int32_t *v, int64_t n)
{
	unsigned char *buf = ir_xmalloc((size_t)n * 4);
	LLVMValueRef gv;

	for (int64_t i = 0; i < n; i++)
		put_i32le(buf + 4 * i, (uint32_t)v[i]);
	gv = tgt_const_bytes(c, name, buf, (size_t)n * 4);
	free(buf);
	return gv;
}

/* TFLite's int64 MultiplyByQuantizedMultiplier as ir_mbqm64, with the
 * per-channel 16-bit multiplier rm and total = 15 - shift precomputed. */
static LLVMValueRef requant64(Cg *c, LLVMValueRef acc, LLVMValueRef rm, LLVMValueRef total,
                              const Epilogue *e)
{
	LLVMBuilderRef b = c->b;
	LLVMValueRef lim = LLVMConstInt(c->ti64, 1ULL << 47, 0), one = LLVMConstInt(c->ti64, 1, 0);
	LLVMValueRef i32max = LLVMConstInt(c->ti64, INT32_MAX, 1);
	LLVMValueRef i32min = LLVMConstInt(c->ti64, (unsigned long long)(int64_t)INT32_MIN, 1);
	LLVMValueRef x, p, t, rp, r;

	x = smin(c, acc, LLVMBuildSub(b, lim, one, ""));
	x = smax(c, x, LLVMBuildNeg(b, lim, ""));
	p = LLVMBuildMul(b, x, LLVMBuildSExt(b, rm, c->ti64, ""), "");
	t = LLVMBuildSExt(b, total, c->ti64, "");
	/* total > 0: one rounding (half up) right shift */
	LLVMValueRef tp = smax(c, t, one);
	LLVMValueRef half = LLVMBuildShl(b, one, LLVMBuildSub(b, tp, one, ""), "");
	rp = LLVMBuildAShr(b, LLVMBuildAdd(b, p, half, ""), tp, "");
	if (e->all_right)
		r = rp;
	else {
		/* total <= 0: saturate, then an exact left shift of at most 15 */
		LLVMValueRef k = smax(c, LLVMBuildNeg(b, t, ""), LLVMConstInt(c->ti64, 0, 0));
		LLVMValueRef rn = LLVMBuildShl(b, smax(c, smin(c, p, i32max), i32min), k, "");
		r = LLVMBuildSelect(
		        b, LLVMBuildICmp(b, LLVMIntSGT, t, LLVMConstInt(c->ti64, 0, 0), ""), rp, rn,
		        "");
	}
	r = smax(c, smin(c, r, i32max), i32min);
	r = LLVMBuildAdd(b, LLVMBuildTrunc(b, r, c->ti32, ""), tgt_c32(c, e->rq.zp), "");
	r = smax(c, r, tgt_c32(c, e->rq.lo));
	return smin(c, r, tgt_c32(c, e->rq.hi));
}

int tgt_epilogue_init(Cg *c, int n, Epilogue *e)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *x = &g->vals[nd->in[0]], *y = &g->vals[nd->out];
	int64_t oc = g->vals[nd->in[1]].shape.d[0];
	char name[320];

	memset(e, 0, sizeof *e);
	e->act = nd->a.act;
	e->tacc = c->tf32;
	if (y->dt == DT_F32)
		return 0;
	e->quant = 1;
	e->acc64 = nd->nin > 2 && g->vals[nd->in[2]].dt == DT_I64;
	e->tacc = e->acc64 ? c->ti64 : c->ti32;
	e->tout = tgt_type(c, y->dt);
	e->in_zp = x->q.zp;
	e->rq.zp = y->q.zp;
	ir_act_bounds(nd->a.act, y->dt, y->q.scale[0], y->q.zp, &e->rq.lo, &e->rq.hi);

	int32_t *mult = ir_xmalloc((size_t)oc * sizeof *mult);
	int *shift = ir_xmalloc((size_t)oc * sizeof *shift);
	int32_t *sh32 = ir_xmalloc((size_t)oc * sizeof *sh32);
	ir_node_requant(g, nd, mult, shift);
	e->all_right = 1;
	for (int64_t i = 0; i < oc; i++) {
		if (shift[i] < -31 || shift[i] > 30)
			ICE("requantization shift %d out of range", shift[i]);
		if (shift[i] > 0)
			e->rq.has_left = 1;
		sh32[i] = shift[i];
		if (e->acc64) {
			if (mult[i] < 0)
				ICE("negative multiplier %d", (int)mult[i]);
			/* as ir_mbqm64: the multiplier rounded to 16 bits */
			mult[i] = mult[i] < 0x7FFF0000
			                  ? (int32_t)(((int64_t)mult[i] + (1 << 15)) >> 16)
			                  : 0x7FFF;
			sh32[i] = 15 - shift[i];
			if (sh32[i] <= 0)
				e->all_right = 0;
		}
	}
	if (g->requant_float && !e->acc64) {
		/* the float multipliers, stored as their bit patterns */
		int32_t *bits = ir_xmalloc((size_t)oc * sizeof *bits);
		const QParams *qw = &g->vals[nd->in[1]].q;
		for (int64_t i = 0; i < oc; i++) {
			float m = ir_requant_float_mult(
			        x->q.scale[0], qw->scale[qw->n == 1 ? 0 : i], y->q.scale[0]);
			memcpy(&bits[i], &m, sizeof m);
		}
		snprintf(name, sizeof name, "%s.fmult%d", c->name, n);
		e->fm = i32_array(c, name, bits, oc);
		free(bits);
	}
	snprintf(name, sizeof name, "%s.mult%d", c->name, n);
	e->mult = i32_array(c, name, mult, oc);
	snprintf(name, sizeof name, "%s.shift%d", c->name, n);
	e->shift = i32_array(c, name, sh32, oc);
	free(mult);
	free(shift);
	free(sh32);
	return 0;
}

LLVMValueRef tgt_widen_x(Cg *c, const Epilogue *e, LLVMValueRef x)
{
	if (!e->quant)
		return x;
	return LLVMBuildSub(c->b, LLVMBuildSExt(c->b, x, e->tacc, ""),
	                    LLVMConstInt(e->tacc, (unsigned long long)(int64_t)e->in_zp, 1), "");
}

LLVMValueRef tgt_mac(Cg *c, const Epilogue *e, LLVMValueRef acc, LLVMValueRef x, LLVMValueRef w)
{
	if (!e->quant)
		return LLVMBuildFAdd(c->b, acc, LLVMBuildFMul(c->b, x, w, ""), "");
	/* no nsw: the accumulation wraps */
	return LLVMBuildAdd(c->b, acc,
	                    LLVMBuildMul(c->b, x, LLVMBuildSExt(c->b, w, e->tacc, ""), ""), "");
}

LLVMValueRef tgt_epilogue(Cg *c, const Epilogue *e, LLVMValueRef acc, LLVMValueRef oc)
{
	LLVMValueRef mult, shift, r;

	if (!e->quant)
		return tgt_act_f32(c, acc, e->act);
	if (e->fm) {
		r = tgt_requant_float(c, acc, tgt_load(c, c->tf32, e->fm, oc), &e->rq);
		return LLVMBuildTrunc(c->b, r, e->tout, "");
	}
	mult = tgt_load(c, c->ti32, e->mult, oc);
	shift = tgt_load(c, c->ti32, e->shift, oc);
	r = e->acc64 ? requant64(c, acc, mult, shift, e) : tgt_requant(c, acc, mult, shift, &e->rq);
	return LLVMBuildTrunc(c->b, r, e->tout, "");
}
