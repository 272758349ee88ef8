/* targets/fam_activation.c — the activation family (relu, clip, leaky_relu,
 * sigmoid, tanh, hard_sigmoid, hard_swish, softmax, abs and the unary math
 * ops neg ... round) in the targets layer: their checks and kernels.  relu is max(x, 0) / max(x, zp) as a
 * select; abs is described at lower_abs.  The others emit the float
 * operations of ir_act_f32 / the interpreter's softmax in the same order
 * (sigmoid, tanh and exp inline copies of the runtime's qrt_sigmoidf,
 * qrt_tanhf, qrt_expf, which the interpreter calls, so that their loops
 * vectorize; the unary math ops one call of qrt_unaryf per element), and in int8 index the table operand
 * the quantize pass built (int16: TFLite's interpolated lookup, as
 * ir_act_lut16), so interpreter and object agree bit for bit.  int16
 * sigmoid, tanh and softmax are TFLite's algorithms (elem_act16,
 * softmax_row_s16), their fixed tables emitted as constants of the module;
 * int8 softmax is TFLite's reference kernel (softmax_row_s8), gemmlowp's
 * exp and reciprocal two straight-line functions of the module. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "act.h"
#include "qrt.h"
#include "tgt_rules.h"

static LLVMValueRef f32c(Cg *c, float v)
{
	return LLVMConstReal(c->tf32, (double)v);
}

/* qrt_unaryf(fn, x, alpha, beta): a unary math op's f32 element */
static LLVMValueRef call_unary(Cg *c, const Node *nd, LLVMValueRef x)
{
	LLVMTypeRef ps[4] = {c->ti32, c->tf32, c->tf32, c->tf32};
	LLVMTypeRef ft = LLVMFunctionType(c->tf32, ps, 4, 0);
	LLVMValueRef fn = LLVMGetNamedFunction(c->mod, "qrt_unaryf");
	LLVMValueRef args[4] = {tgt_c32(c, ir_act_unary_fn(nd->op)), x, f32c(c, nd->a.alpha),
	                        f32c(c, nd->a.beta)};

	if (!fn) {
		fn = LLVMAddFunction(c->mod, "qrt_unaryf", ft);
		tgt_add_attr(c, fn, LLVMAttributeFunctionIndex, "nounwind", 0);
	}
	return LLVMBuildCall2(c->b, ft, fn, args, 4, "");
}

/* c ? a : b with the comparison of the C source: `x < k`, `x > k` */
static LLVMValueRef sel_lt(Cg *c, LLVMValueRef x, LLVMValueRef k, LLVMValueRef a, LLVMValueRef b)
{
	return LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOLT, x, k, ""), a, b, "");
}

static LLVMValueRef sel_gt(Cg *c, LLVMValueRef x, LLVMValueRef k, LLVMValueRef a, LLVMValueRef b)
{
	return LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOGT, x, k, ""), a, b, "");
}

/* qrt_expf (runtime/src/act.c) inline, operation for operation, so that the
 * loop vectorizer turns a sigmoid, tanh or softmax loop into vector code
 * with the runtime's results bit for bit: the range tests become selects on
 * an input clamped into [-104, 88.8] (the arm that computes never sees a
 * NaN or a k out of range), kf + 0.5 or kf - 0.5 truncated, the two-part
 * ln2, the degree-7 Horner chain as separate multiplies and adds (no
 * contraction, like the runtime's ISO C), 2^k as two halves built from
 * their bits.  The constants are the C file's float expressions, folded
 * here in float. */
static LLVMValueRef elem_expf(Cg *c, LLVMValueRef x)
{
	static const float poly[8] = {1.0f / 5040.0f, 1.0f / 720.0f, 1.0f / 120.0f, 1.0f / 24.0f,
	                              1.0f / 6.0f,    0.5f,          1.0f,          1.0f};
	LLVMBuilderRef b = c->b;
	LLVMValueRef hi = f32c(c, 88.8f), lo = f32c(c, -104.0f), half = f32c(c, 0.5f);
	LLVMValueRef nan = LLVMBuildFCmp(b, LLVMRealUNO, x, x, "");
	LLVMValueRef big = LLVMBuildFCmp(b, LLVMRealOGT, x, hi, "");
	LLVMValueRef small = LLVMBuildFCmp(b, LLVMRealOLT, x, lo, "");
	LLVMValueRef xc = LLVMBuildSelect(b, big, hi, LLVMBuildSelect(b, small, lo, x, ""), "");
	xc = LLVMBuildSelect(b, nan, f32c(c, 0.0f), xc, "");

	LLVMValueRef kf = LLVMBuildFMul(b, xc, f32c(c, 1.44269504f), "");
	LLVMValueRef kr = sel_lt(c, kf, f32c(c, 0.0f), LLVMBuildFSub(b, kf, half, ""),
	                         LLVMBuildFAdd(b, kf, half, ""));
	LLVMValueRef k = LLVMBuildFPToSI(b, kr, c->ti32, "");
	LLVMValueRef fk = LLVMBuildSIToFP(b, k, c->tf32, "");
	LLVMValueRef r = LLVMBuildFSub(b, xc, LLVMBuildFMul(b, fk, f32c(c, 0.693145752f), ""), "");
	r = LLVMBuildFSub(b, r, LLVMBuildFMul(b, fk, f32c(c, 1.42860677e-06f), ""), "");
	LLVMValueRef p = f32c(c, poly[0]);
	for (int i = 1; i < 8; i++)
		p = LLVMBuildFAdd(b, LLVMBuildFMul(b, p, r, ""), f32c(c, poly[i]), "");
	/* pow2i(k1) * pow2i(k - k1), k1 = k / 2 (C's truncating division) */
	LLVMValueRef k1 = LLVMBuildSDiv(b, k, tgt_c32(c, 2), "");
	LLVMValueRef k2 = LLVMBuildSub(b, k, k1, "");
	LLVMValueRef e1 = LLVMBuildShl(b, LLVMBuildAdd(b, k1, tgt_c32(c, 127), ""), tgt_c32(c, 23),
	                               "");
	LLVMValueRef e2 = LLVMBuildShl(b, LLVMBuildAdd(b, k2, tgt_c32(c, 127), ""), tgt_c32(c, 23),
	                               "");
	p = LLVMBuildFMul(b, p, LLVMBuildBitCast(b, e1, c->tf32, ""), "");
	p = LLVMBuildFMul(b, p, LLVMBuildBitCast(b, e2, c->tf32, ""), "");
	p = LLVMBuildSelect(b, small, f32c(c, 0.0f), p, "");
	p = LLVMBuildSelect(b, big, f32c(c, INFINITY), p, "");
	return LLVMBuildSelect(b, nan, x, p, "");
}

/* qrt_sigmoidf: 1 / (1 + e^-x) */
static LLVMValueRef elem_sigmoidf(Cg *c, LLVMValueRef x)
{
	LLVMValueRef one = f32c(c, 1.0f);
	LLVMValueRef e = elem_expf(c, LLVMBuildFNeg(c->b, x, ""));
	return LLVMBuildFDiv(c->b, one, LLVMBuildFAdd(c->b, one, e, ""), "");
}

/* qrt_tanhf: a = |x|, t = a > 9 ? 1 : 1 - 2 / (e^2a + 1), the sign of x */
static LLVMValueRef elem_tanhf(Cg *c, LLVMValueRef x)
{
	LLVMBuilderRef b = c->b;
	LLVMValueRef zero = f32c(c, 0.0f), one = f32c(c, 1.0f);
	LLVMValueRef a = sel_lt(c, x, zero, LLVMBuildFNeg(b, x, ""), x);
	LLVMValueRef e = elem_expf(c, LLVMBuildFMul(b, f32c(c, 2.0f), a, ""));
	LLVMValueRef t = LLVMBuildFSub(
	        b, one, LLVMBuildFDiv(b, f32c(c, 2.0f), LLVMBuildFAdd(b, e, one, ""), ""), "");
	t = sel_gt(c, a, f32c(c, 9.0f), one, t);
	return sel_lt(c, x, zero, LLVMBuildFNeg(b, t, ""), t);
}

/* ir_act_f32, operation for operation */
static LLVMValueRef elem_f32(Cg *c, const Node *nd, LLVMValueRef x)
{
	const Attrs *a = &nd->a;
	LLVMBuilderRef b = c->b;
	LLVMValueRef t, zero = f32c(c, 0.0f), one = f32c(c, 1.0f), lo, hi;

	if (ir_act_unary_fn(nd->op) >= 0)
		return call_unary(c, nd, x);
	switch (nd->op) {
	case OP_CLIP:
		lo = f32c(c, a->min);
		hi = f32c(c, a->max);
		t = sel_lt(c, x, lo, lo, x);
		return sel_gt(c, t, hi, hi, t);
	case OP_LEAKY_RELU:
		return sel_lt(c, x, zero, LLVMBuildFMul(b, f32c(c, a->alpha), x, ""), x);
	case OP_SIGMOID: return elem_sigmoidf(c, x);
	case OP_TANH: return elem_tanhf(c, x);
	case OP_HARD_SIGMOID:
		t = LLVMBuildFAdd(b, LLVMBuildFMul(b, f32c(c, a->alpha), x, ""), f32c(c, a->beta),
		                  "");
		t = sel_lt(c, t, zero, zero, t);
		return sel_gt(c, t, one, one, t);
	case OP_HARD_SWISH:
		hi = f32c(c, 6.0f);
		t = LLVMBuildFAdd(b, x, f32c(c, 3.0f), "");
		t = sel_lt(c, t, zero, zero, t);
		t = sel_gt(c, t, hi, hi, t);
		return LLVMBuildFDiv(b, LLVMBuildFMul(b, x, t, ""), hi, "");
	default: ICE("activation rules: %s is not element-wise", ir_ops[nd->op].name);
	}
}

/* clip of i8/i16: clamp to the quantized bounds */
static LLVMValueRef elem_clip_int(Cg *c, const Node *nd, const Value *xv, LLVMValueRef x)
{
	int32_t lo, hi;
	LLVMBuilderRef b = c->b;

	ir_clip_bounds(&nd->a, xv->dt, xv->q.scale[0], xv->q.zp, &lo, &hi);
	LLVMValueRef v = LLVMBuildSExt(b, x, c->ti32, "");
	v = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, v, tgt_c32(c, lo), ""), tgt_c32(c, lo),
	                    v, "");
	v = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, v, tgt_c32(c, hi), ""), tgt_c32(c, hi),
	                    v, "");
	return LLVMBuildTrunc(b, v, LLVMTypeOf(x), "");
}

/* ir_act_lut16: u = x + 32768, j = u >> 7, t[j] + ((t[j + 1] - t[j]) *
 * (u & 127) + 64) >> 7 (arithmetic: the floor), in i32 */
static LLVMValueRef elem_lut16(Cg *c, LLVMValueRef table, LLVMValueRef x)
{
	LLVMBuilderRef b = c->b;
	LLVMValueRef u = LLVMBuildAdd(b, LLVMBuildSExt(b, x, c->ti32, ""), tgt_c32(c, 32768), "");
	LLVMValueRef j = LLVMBuildZExt(b, LLVMBuildLShr(b, u, tgt_c32(c, 7), ""), c->tidx, "");
	LLVMValueRef j1 = LLVMBuildAdd(b, j, tgt_cidx(c, 1), "");
	LLVMValueRef t0 = LLVMBuildSExt(b, tgt_load(c, c->ti16, table, j), c->ti32, "");
	LLVMValueRef t1 = LLVMBuildSExt(b, tgt_load(c, c->ti16, table, j1), c->ti32, "");
	LLVMValueRef d = LLVMBuildMul(b, LLVMBuildSub(b, t1, t0, ""),
	                              LLVMBuildAnd(b, u, tgt_c32(c, 127), ""), "");
	d = LLVMBuildAShr(b, LLVMBuildAdd(b, d, tgt_c32(c, 64), ""), tgt_c32(c, 7), "");
	return LLVMBuildTrunc(b, LLVMBuildAdd(b, t0, d, ""), c->ti16, "");
}

/* cnt int16 values as a private constant of the module, little-endian as
 * every target is */
static LLVMValueRef const_i16(Cg *c, const char *tag, int n, const void *vals, int cnt)
{
	unsigned char *buf = ir_xmalloc((size_t)cnt * 2);
	char name[320];

	for (int i = 0; i < cnt; i++)
		tgt_put_le(buf + 2 * i, ((const uint16_t *)vals)[i], 2);
	snprintf(name, sizeof name, "%s.%s%d", c->name, tag, n);
	LLVMValueRef gv = tgt_const_bytes(c, name, buf, (size_t)cnt * 2);
	free(buf);
	return gv;
}

static LLVMValueRef c64(Cg *c, int64_t v)
{
	return LLVMConstInt(c->ti64, (unsigned long long)v, 1);
}

static LLVMValueRef sel(Cg *c, LLVMIntPredicate p, LLVMValueRef a, LLVMValueRef b, LLVMValueRef t,
                        LLVMValueRef f)
{
	return LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, p, a, b, ""), t, f, "");
}

/* TFLite's int16 LOGISTIC and TANH of one element, as the runtime's
 * qrt_logistic_s16 / qrt_tanh_s16 (the interpreter's): v = (x - zp) * mult
 * + round >> shift in i64, |v| indexes the sigmoid table in steps of 2^9
 * (tanh 2^8), interpolated on the bits below, saturated from 255 steps. */
static LLVMValueRef elem_act16(Cg *c, const Node *nd, const Value *xv, LLVMValueRef table,
                               LLVMValueRef x)
{
	LLVMBuilderRef b = c->b;
	const int sig = nd->op == OP_SIGMOID, k = sig ? 9 : 8;
	int32_t mult;
	int shift;

	ir_act16_input_scaling(nd->op, xv->q.scale[0], &mult, &shift);
	LLVMValueRef d = LLVMBuildSub(b, LLVMBuildSExt(b, x, c->ti32, ""), tgt_c32(c, xv->q.zp),
	                              "");
	LLVMValueRef p = LLVMBuildMul(b, LLVMBuildSExt(b, d, c->ti64, ""), c64(c, mult), "");
	p = LLVMBuildAdd(b, p, c64(c, shift > 0 ? (int64_t)1 << (shift - 1) : 0), "");
	LLVMValueRef v = LLVMBuildAShr(b, p, c64(c, shift), "");
	LLVMValueRef neg = LLVMBuildICmp(b, LLVMIntSLT, v, c64(c, 0), "");
	LLVMValueRef a = LLVMBuildSelect(b, neg, LLVMBuildNeg(b, v, ""), v, "");
	LLVMValueRef sat = LLVMBuildICmp(b, LLVMIntUGE, a, c64(c, 255 << k), "");
	/* a saturated |v| reads entry 0: the select below drops it */
	LLVMValueRef a32 = LLVMBuildTrunc(b, LLVMBuildSelect(b, sat, c64(c, 0), a, ""), c->ti32,
	                                  "");
	LLVMValueRef uh = LLVMBuildLShr(b, a32, tgt_c32(c, k), "");
	LLVMValueRef j = LLVMBuildZExt(b, uh, c->tidx, "");
	LLVMValueRef ua = LLVMBuildZExt(b, tgt_load(c, c->ti16, table, j), c->ti32, "");
	LLVMValueRef ub = LLVMBuildZExt(
	        b, tgt_load(c, c->ti16, table, LLVMBuildAdd(b, j, tgt_cidx(c, 1), "")), c->ti32,
	        "");
	LLVMValueRef ut = LLVMBuildAnd(b, a32, tgt_c32(c, (1 << k) - 1), "");
	LLVMValueRef r = LLVMBuildAdd(b, LLVMBuildShl(b, ua, tgt_c32(c, k), ""),
	                              LLVMBuildMul(b, ut, LLVMBuildSub(b, ub, ua, ""), ""), "");
	if (sig) { /* r + 2^9, or 2^25 - r + 2^9 - 1; >> 10 unsigned */
		r = LLVMBuildSelect(b, sat, tgt_c32(c, 0x7fff << 10), r, "");
		r = LLVMBuildSelect(b, neg,
		                    LLVMBuildSub(b, tgt_c32(c, (1 << 25) + (1 << 9) - 1), r, ""),
		                    LLVMBuildAdd(b, r, tgt_c32(c, 1 << 9), ""), "");
		r = LLVMBuildLShr(b, r, tgt_c32(c, 10), "");
	} else { /* r - 2^23 + 2^7, or -r + 2^23 + 2^7 - 1; >> 8 arithmetic */
		r = LLVMBuildSelect(b, sat, tgt_c32(c, 0xffff << 8), r, "");
		r = LLVMBuildSelect(b, neg,
		                    LLVMBuildSub(b, tgt_c32(c, (1 << 23) + (1 << 7) - 1), r, ""),
		                    LLVMBuildAdd(b, r, tgt_c32(c, (1 << 7) - (1 << 23)), ""), "");
		r = LLVMBuildAShr(b, r, tgt_c32(c, 8), "");
	}
	return LLVMBuildTrunc(b, r, c->ti16, "");
}

/* 64 bytes of value v */
static LLVMValueRef splat8(Cg *c, unsigned v)
{
	LLVMValueRef k[64];

	for (int i = 0; i < 64; i++)
		k[i] = LLVMConstInt(c->ti8, v, 0);
	return LLVMConstVector(k, 64);
}

/* AVX-512BW without VBMI: u = x + 128 (x xor 0x80) split into nibbles; for
 * each high nibble h, vpshufb looks the low one up in the 16 entries
 * table[16 h ...] (a constant, the same in the 4 lanes) and a byte compare
 * keeps it where u's high nibble is h: 16 shuffles and compares per 64
 * bytes, against a scalar load per byte. */
static LLVMValueRef lut8_bw(Cg *c, const int8_t *tab, LLVMValueRef v)
{
	LLVMBuilderRef b = c->b;
	LLVMTypeRef tv = LLVMVectorType(c->ti8, 64);
	LLVMTypeRef ps[2] = {tv, tv};
	LLVMTypeRef ft = LLVMFunctionType(tv, ps, 2, 0);
	LLVMValueRef shuf = tgt_intrinsic(c, "llvm.x86.avx512.pshuf.b.512", ft);
	LLVMValueRef u = LLVMBuildXor(b, v, splat8(c, 0x80), ""), e[64];
	LLVMValueRef lo = LLVMBuildAnd(b, u, splat8(c, 15), "");
	LLVMValueRef hi = LLVMBuildLShr(b, u, splat8(c, 4), "");
	LLVMValueRef r = LLVMConstNull(tv);

	for (int h = 0; h < 16; h++) {
		for (int i = 0; i < 64; i++)
			e[i] = LLVMConstInt(c->ti8,
			                    (unsigned long long)(uint8_t)tab[16 * h + i % 16], 0);
		LLVMValueRef args[2] = {LLVMConstVector(e, 64), lo};
		LLVMValueRef s = LLVMBuildCall2(b, ft, shuf, args, 2, "");
		LLVMValueRef m = LLVMBuildICmp(b, LLVMIntEQ, hi, splat8(c, (unsigned)h), "");
		r = LLVMBuildSelect(b, m, s, r, "");
	}
	return r;
}

/* The int8 table's lookup y[i] = table[x[i] + 128] (tab: the table's 256
 * bytes) 64 bytes at a time with AVX-512 VBMI: vpermi2b indexes a 128-byte
 * table by the low 7 bits of each byte, which for x < 0 are those of
 * x + 128 (the table's first half) and for x >= 0 those of x (its second
 * half); the sign picks the half.  With AVX-512BW alone, lut8_bw.  Returns
 * how many elements it did (whole vectors; 0 without either), the scalar
 * loop does the rest. */
static int64_t lut8_vec(Cg *c, const int8_t *tab, LLVMValueRef table, LLVMValueRef x,
                        LLVMValueRef y, int64_t n)
{
	LLVMBuilderRef b = c->b;
	LLVMTypeRef tv = LLVMVectorType(c->ti8, 64);
	LLVMTypeRef ps[3] = {tv, tv, tv};
	LLVMTypeRef ft = LLVMFunctionType(tv, ps, 3, 0);
	LLVMValueRef half[4], perm = NULL, r;
	Loop l;

	if (n < 64 || !tgt_x86_avx512bw(c->tm))
		return 0;
	LLVMAddAttributeAtIndex(
	        LLVMGetBasicBlockParent(LLVMGetInsertBlock(b)), LLVMAttributeFunctionIndex,
	        LLVMCreateStringAttribute(c->ctx, "min-legal-vector-width", 22, "512", 3));
	if (tgt_x86_vbmi(c->tm)) {
		perm = tgt_intrinsic(c, "llvm.x86.avx512.vpermi2var.qi.512", ft);
		for (int k = 0; k < 4; k++)
			half[k] = tgt_load_al(c, tv, tgt_gep(c, c->ti8, table, tgt_cidx(c, 64 * k)),
			                      1);
	}
	LLVMValueRef i = tgt_upto(c, &l, n / 64);
	LLVMValueRef v = tgt_load_al(c, tv, tgt_gep(c, tv, x, i), 1);
	if (perm) {
		LLVMValueRef lo[3] = {half[0], v, half[1]}, hi[3] = {half[2], v, half[3]};
		LLVMValueRef neg = LLVMBuildICmp(b, LLVMIntSLT, v, LLVMConstNull(tv), "");
		r = LLVMBuildSelect(b, neg, LLVMBuildCall2(b, ft, perm, lo, 3, ""),
		                    LLVMBuildCall2(b, ft, perm, hi, 3, ""), "");
	} else
		r = lut8_bw(c, tab, v);
	LLVMBuildStore(b, r, tgt_gep(c, tv, y, i));
	LLVMSetAlignment(LLVMGetLastInstruction(LLVMGetInsertBlock(b)), 1);
	tgt_loop_close(c, &l);
	return n / 64 * 64;
}

static void lower_elementwise(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	const Node *nd = &c->g->nodes[n];
	const Value *xv = &c->g->vals[nd->in[0]];
	LLVMTypeRef t = tgt_type(c, xv->dt);
	LLVMValueRef table = NULL;
	const int t16 = ir_act_tflite16(nd->op, xv->dt);
	Loop l;

	if (t16) /* TFLite's table, from the runtime's */
		table = const_i16(c, "sig", n, qrt_sigmoid_u16, 256);
	else if ((xv->dt == DT_I8 || xv->dt == DT_I16) && nd->op != OP_CLIP)
		table = tgt_const_value(c, nd->in[1], NULL, "t", n);
	const int64_t numel = ir_shape_numel(&xv->shape);
	const int64_t done = xv->dt == DT_I8 && table && !t16
	                             ? lut8_vec(c, c->g->vals[nd->in[1]].data, table, x, y, numel)
	                             : 0;
	LLVMValueRef i = tgt_loop_open(c, &l, tgt_cidx(c, done), tgt_cidx(c, numel));
	LLVMValueRef v = tgt_load(c, t, x, i);
	if (t16)
		v = elem_act16(c, nd, xv, table, v);
	else if (xv->dt == DT_F32)
		v = elem_f32(c, nd, v);
	else if (nd->op == OP_CLIP)
		v = elem_clip_int(c, nd, xv, v);
	else if (xv->dt == DT_I16)
		v = elem_lut16(c, table, v);
	else {
		LLVMValueRef k = LLVMBuildNSWAdd(c->b, LLVMBuildSExt(c->b, v, c->tidx, ""),
		                                 tgt_cidx(c, 128), "");
		v = tgt_load(c, c->ti8, table, k);
	}
	tgt_store(c, v, y, i);
	LLVMBasicBlockRef latch = LLVMGetInsertBlock(c->b);
	tgt_loop_close(c, &l);
	if (xv->dt == DT_F32 && (nd->op == OP_SIGMOID || nd->op == OP_TANH)) {
		/* about 50 vector instructions an element: the widest vectors,
		 * 4 of them at a time */
		tgt_loop_interleave(c, LLVMGetBasicBlockTerminator(latch), 4);
		if (tgt_f32_lanes(c->tm) == 16)
			LLVMAddAttributeAtIndex(
			        LLVMGetBasicBlockParent(latch), LLVMAttributeFunctionIndex,
			        LLVMCreateStringAttribute(c->ctx, "prefer-vector-width", 19, "512",
			                                  3));
	}
}

/* ---- softmax ------------------------------------------------------------------------ */

/* One row: len elements inner apart from base.  The max by `v > m`, from
 * the first element. */
static LLVMValueRef row_max(Cg *c, LLVMTypeRef t, LLVMValueRef x, LLVMValueRef base, int64_t len,
                            int64_t inner, int f32)
{
	LLVMValueRef slot = tgt_alloca(c, t, 1);
	Loop l;

	LLVMBuildStore(c->b, tgt_load(c, t, x, base), slot);
	LLVMValueRef k = tgt_loop_open(c, &l, tgt_cidx(c, 1), tgt_cidx(c, len));
	LLVMValueRef v = tgt_load(c, t, x, tgt_mad(c, k, inner, base));
	LLVMValueRef m = LLVMBuildLoad2(c->b, t, slot, "");
	LLVMValueRef gt = f32 ? LLVMBuildFCmp(c->b, LLVMRealOGT, v, m, "")
	                      : LLVMBuildICmp(c->b, LLVMIntSGT, v, m, "");
	LLVMBuildStore(c->b, LLVMBuildSelect(c->b, gt, v, m, ""), slot);
	tgt_loop_close(c, &l);
	return LLVMBuildLoad2(c->b, t, slot, "");
}

/* beta: softmax's, multiplied in only when it is not 1 (as the
 * interpreter's softmax_f32) */
static void softmax_row_f32(Cg *c, LLVMValueRef x, LLVMValueRef y, LLVMValueRef base, int64_t len,
                            int64_t inner, int lg, float beta)
{
	LLVMBuilderRef b = c->b;
	LLVMValueRef m = row_max(c, c->tf32, x, base, len, inner, 1);
	LLVMValueRef sum = tgt_alloca(c, c->tf32, 1);
	Loop l1, l2;

	LLVMBuildStore(b, f32c(c, 0.0f), sum);
	LLVMValueRef k = tgt_upto(c, &l1, len);
	LLVMValueRef at = tgt_mad(c, k, inner, base);
	LLVMValueRef v = LLVMBuildFSub(b, tgt_load(c, c->tf32, x, at), m, "");
	if (beta != 1.0f)
		v = LLVMBuildFMul(b, v, f32c(c, beta), "");
	LLVMValueRef e = elem_expf(c, v);
	tgt_store(c, e, y, at);
	LLVMBuildStore(b, LLVMBuildFAdd(b, LLVMBuildLoad2(b, c->tf32, sum, ""), e, ""), sum);
	tgt_loop_close(c, &l1);
	LLVMValueRef s = LLVMBuildLoad2(b, c->tf32, sum, "");
	if (lg) { /* (x - m) - qrt_unaryf(log, sum) */
		LLVMTypeRef ps[4] = {c->ti32, c->tf32, c->tf32, c->tf32};
		LLVMTypeRef ft = LLVMFunctionType(c->tf32, ps, 4, 0);
		LLVMValueRef fn = LLVMGetNamedFunction(c->mod, "qrt_unaryf");
		LLVMValueRef args[4] = {tgt_c32(c, ir_act_unary_fn(OP_LOG)), s, f32c(c, 0.0f),
		                        f32c(c, 0.0f)};
		if (!fn) {
			fn = LLVMAddFunction(c->mod, "qrt_unaryf", ft);
			tgt_add_attr(c, fn, LLVMAttributeFunctionIndex, "nounwind", 0);
		}
		LLVMValueRef lv = LLVMBuildCall2(b, ft, fn, args, 4, "");
		k = tgt_upto(c, &l2, len);
		at = tgt_mad(c, k, inner, base);
		LLVMValueRef v = LLVMBuildFSub(b, tgt_load(c, c->tf32, x, at), m, "");
		tgt_store(c, LLVMBuildFSub(b, v, lv, ""), y, at);
		tgt_loop_close(c, &l2);
		return;
	}
	k = tgt_upto(c, &l2, len);
	at = tgt_mad(c, k, inner, base);
	tgt_store(c, LLVMBuildFDiv(b, tgt_load(c, c->tf32, y, at), s, ""), y, at);
	tgt_loop_close(c, &l2);
}

/* ir_softmax_exp(m - x) as an unsigned 64-bit number */
static LLVMValueRef exp_at(Cg *c, DType dt, LLVMValueRef table, LLVMValueRef m, LLVMValueRef xq)
{
	LLVMBuilderRef b = c->b;
	LLVMValueRef d = LLVMBuildNSWSub(b, m, LLVMBuildSExt(b, xq, c->ti32, ""), "");
	if (dt != DT_I16) {
		LLVMValueRef t = tgt_load(c, c->ti32, table, LLVMBuildZExt(b, d, c->tidx, ""));
		return LLVMBuildZExt(b, t, c->ti64, "");
	}
	LLVMValueRef hi = LLVMBuildZExt(b, LLVMBuildLShr(b, d, tgt_c32(c, 8), ""), c->tidx, "");
	LLVMValueRef lo = LLVMBuildAdd(
	        b, LLVMBuildZExt(b, LLVMBuildAnd(b, d, tgt_c32(c, 255), ""), c->tidx, ""),
	        tgt_cidx(c, IR_ACT_TABLE_N), "");
	LLVMValueRef ta = LLVMBuildZExt(b, tgt_load(c, c->ti32, table, hi), c->ti64, "");
	LLVMValueRef tb = LLVMBuildZExt(b, tgt_load(c, c->ti32, table, lo), c->ti64, "");
	LLVMValueRef p = LLVMBuildAdd(b, LLVMBuildMul(b, ta, tb, ""), c64(c, 1 << 19), "");
	return LLVMBuildLShr(b, p, c64(c, 20), "");
}

/* sext(t[i]) as i64, i an index of any integer type */
static LLVMValueRef t64(Cg *c, LLVMValueRef table, LLVMValueRef i)
{
	i = LLVMBuildIntCast2(c->b, i, c->tidx, 0, "");
	return LLVMBuildSExt(c->b, tgt_load(c, c->ti32, table, i), c->ti64, "");
}

/* ir_log_softmax_sum: k = 63 - ctlz(s), the bits after the leading one
 * index ln and interpolate */
static LLVMValueRef log_sum(Cg *c, LLVMValueRef ln, LLVMValueRef s)
{
	LLVMBuilderRef b = c->b;
	unsigned id = LLVMLookupIntrinsicID("llvm.ctlz", 9);
	LLVMTypeRef ty = c->ti64;
	LLVMValueRef fn = LLVMGetIntrinsicDeclaration(c->mod, id, &ty, 1);
	LLVMTypeRef ft = LLVMIntrinsicGetType(c->ctx, id, &ty, 1);
	LLVMValueRef args[2] = {s, LLVMConstInt(c->ti1, 0, 0)};
	LLVMValueRef z = LLVMBuildCall2(b, ft, fn, args, 2, "");
	LLVMValueRef f = LLVMBuildShl(b, s, z, "");
	LLVMValueRef i = LLVMBuildAnd(b, LLVMBuildLShr(b, f, c64(c, 55), ""), c64(c, 255), "");
	LLVMValueRef r = LLVMBuildAnd(b, LLVMBuildLShr(b, f, c64(c, 47), ""), c64(c, 255), "");
	/* K[k - 20] = ln[IR_LSM_LN_N + 43 - ctlz] */
	LLVMValueRef ki = LLVMBuildSub(b, c64(c, IR_LSM_LN_N + 63 - 20), z, "");
	LLVMValueRef lo = t64(c, ln, i);
	LLVMValueRef d = LLVMBuildSub(b, t64(c, ln, LLVMBuildAdd(b, i, c64(c, 1), "")), lo, "");
	d = LLVMBuildAShr(b, LLVMBuildAdd(b, LLVMBuildMul(b, d, r, ""), c64(c, 128), ""), c64(c, 8),
	                  "");
	return LLVMBuildAdd(b, LLVMBuildAdd(b, t64(c, ln, ki), lo, ""), d, "");
}

/* int8 / int16 log_softmax of one row, as the interpreter's
 * log_softmax_int */
static void log_softmax_row_int(Cg *c, const Node *nd, LLVMValueRef x, LLVMValueRef y,
                                LLVMValueRef table, LLVMValueRef base, int64_t len, int64_t inner)
{
	LLVMBuilderRef b = c->b;
	const Value *xv = &c->g->vals[nd->in[0]], *yv = &c->g->vals[nd->out];
	const int64_t ne = xv->dt == DT_I16 ? 2 * IR_ACT_TABLE_N : IR_ACT_TABLE_N;
	LLVMTypeRef tx = tgt_type(c, xv->dt);
	LLVMValueRef m = LLVMBuildSExt(b, row_max(c, tx, x, base, len, inner, 0), c->ti32, "");
	LLVMValueRef sum = tgt_alloca(c, c->ti64, 1);
	Loop l1, l2;

	LLVMBuildStore(b, c64(c, 0), sum);
	LLVMValueRef k = tgt_upto(c, &l1, len);
	LLVMValueRef e = exp_at(c, xv->dt, table, m,
	                        tgt_load(c, tx, x, tgt_mad(c, k, inner, base)));
	LLVMBuildStore(b, LLVMBuildAdd(b, LLVMBuildLoad2(b, c->ti64, sum, ""), e, ""), sum);
	tgt_loop_close(c, &l1);
	LLVMValueRef s = LLVMBuildLoad2(b, c->ti64, sum, "");
	LLVMValueRef ln = LLVMBuildGEP2(b, c->ti32, table, (LLVMValueRef[]){tgt_cidx(c, ne)}, 1,
	                                "");
	LLVMValueRef lsum = log_sum(c, ln, s);
	LLVMValueRef p = t64(c, table, tgt_cidx(c, ne + IR_LSM_LN_N + IR_LSM_K_N));
	k = tgt_upto(c, &l2, len);
	LLVMValueRef at = tgt_mad(c, k, inner, base);
	LLVMValueRef xq = tgt_load(c, tx, x, at);
	/* zp - ((((d * P) >> 16) + L + 128) >> 8) */
	LLVMValueRef d = LLVMBuildSub(b, m, LLVMBuildSExt(b, xq, c->ti32, ""), "");
	LLVMValueRef v = LLVMBuildMul(b, LLVMBuildSExt(b, d, c->ti64, ""), p, "");
	v = LLVMBuildAdd(b, LLVMBuildAShr(b, v, c64(c, 16), ""), lsum, "");
	v = LLVMBuildAShr(b, LLVMBuildAdd(b, v, c64(c, 128), ""), c64(c, 8), "");
	LLVMValueRef q = LLVMBuildSub(b, c64(c, yv->q.zp), v, "");
	LLVMValueRef lo = c64(c, ir_qmin(yv->dt)), hi = c64(c, ir_qmax(yv->dt));
	q = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, q, lo, ""), lo, q, "");
	q = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, q, hi, ""), hi, q, "");
	tgt_store(c, LLVMBuildTrunc(b, q, tgt_type(c, yv->dt), ""), y, at);
	tgt_loop_close(c, &l2);
}

/* ir_softmax16_exp of one element: an i16 (as i32) */
static LLVMValueRef exp16_at(Cg *c, LLVMValueRef el, LLVMValueRef m, LLVMValueRef xq, int32_t mult,
                             int shift)
{
	LLVMBuilderRef b = c->b;
	Requant rq = {.has_left = shift > 0, .zp = 32767, .lo = -32768, .hi = 32767};
	LLVMValueRef d = LLVMBuildSub(b, LLVMBuildSExt(b, xq, c->ti32, ""), m, "");
	LLVMValueRef v = tgt_requant(c, d, tgt_c32(c, mult), tgt_c32(c, shift), &rq);
	v = elem_lut16(c, el, LLVMBuildTrunc(b, v, c->ti16, ""));
	return LLVMBuildSExt(b, v, c->ti32, "");
}

/* TFLite's SoftmaxInt16 of one row, as the interpreter's softmax_s16 */
static void softmax_row_s16(Cg *c, int n, LLVMValueRef x, LLVMValueRef y, LLVMValueRef base,
                            int64_t len, int64_t inner)
{
	LLVMBuilderRef b = c->b;
	const Value *xv = &c->g->vals[c->g->nodes[n].in[0]];
	int16_t luts[2 * IR_ACT_LUT16_N];
	int32_t mult;
	int shift;
	Loop l1, l2;

	ir_softmax16_scaling(c->g->nodes[n].a.beta, xv->q.scale[0], &mult, &shift);
	ir_softmax16_luts(luts, luts + IR_ACT_LUT16_N);
	LLVMValueRef el = const_i16(c, "exp", n, luts, IR_ACT_LUT16_N);
	LLVMValueRef rl = const_i16(c, "rcp", n, luts + IR_ACT_LUT16_N, IR_ACT_LUT16_N);
	LLVMValueRef m = LLVMBuildSExt(b, row_max(c, c->ti16, x, base, len, inner, 0), c->ti32, "");
	LLVMValueRef sum = tgt_alloca(c, c->ti32, 1);
	LLVMBuildStore(b, tgt_c32(c, 0), sum);
	LLVMValueRef k = tgt_upto(c, &l1, len);
	LLVMValueRef e = exp16_at(c, el, m, tgt_load(c, c->ti16, x, tgt_mad(c, k, inner, base)),
	                          mult, shift);
	LLVMBuildStore(b, LLVMBuildAdd(b, LLVMBuildLoad2(b, c->ti32, sum, ""), e, ""), sum);
	tgt_loop_close(c, &l1);
	LLVMValueRef s = LLVMBuildLoad2(b, c->ti32, sum, "");
	/* hp1 = clz(sum) >= 1; ((sum << (hp1 - 1)) + 2^13) >> 14, recentred */
	unsigned id = LLVMLookupIntrinsicID("llvm.ctlz", 9);
	LLVMTypeRef ty = c->ti32;
	LLVMValueRef args[2] = {s, LLVMConstInt(c->ti1, 0, 0)};
	LLVMValueRef hp1 = LLVMBuildCall2(b, LLVMIntrinsicGetType(c->ctx, id, &ty, 1),
	                                  LLVMGetIntrinsicDeclaration(c->mod, id, &ty, 1), args, 2,
	                                  "");
	LLVMValueRef h64 = LLVMBuildZExt(b, hp1, c->ti64, "");
	LLVMValueRef sh = LLVMBuildShl(b, LLVMBuildSExt(b, s, c->ti64, ""),
	                               LLVMBuildSub(b, h64, c64(c, 1), ""), "");
	sh = LLVMBuildAShr(b, LLVMBuildAdd(b, sh, c64(c, 1 << 13), ""), c64(c, 14), "");
	sh = LLVMBuildSub(b, LLVMBuildTrunc(b, sh, c->ti32, ""), tgt_c32(c, (1 << 15) + (1 << 16)),
	                  "");
	sh = sel(c, LLVMIntSLT, sh, tgt_c32(c, -32768), tgt_c32(c, -32768), sh);
	sh = sel(c, LLVMIntSGT, sh, tgt_c32(c, 32767), tgt_c32(c, 32767), sh);
	LLVMValueRef rcp = LLVMBuildSExt(b, elem_lut16(c, rl, LLVMBuildTrunc(b, sh, c->ti16, "")),
	                                 c->ti64, "");
	LLVMValueRef rs = LLVMBuildSub(b, c64(c, 31), h64, "");
	LLVMValueRef rnd = LLVMBuildShl(b, c64(c, 1), LLVMBuildSub(b, rs, c64(c, 1), ""), "");
	k = tgt_upto(c, &l2, len);
	LLVMValueRef at = tgt_mad(c, k, inner, base);
	e = exp16_at(c, el, m, tgt_load(c, c->ti16, x, at), mult, shift);
	LLVMValueRef q = LLVMBuildMul(b, LLVMBuildSExt(b, e, c->ti64, ""), rcp, "");
	q = LLVMBuildAShr(b, LLVMBuildAdd(b, q, rnd, ""), rs, "");
	q = sel(c, LLVMIntSLT, q, c64(c, 0), c64(c, 0), q);
	q = sel(c, LLVMIntSGT, q, c64(c, 32767), c64(c, 32767), q);
	tgt_store(c, LLVMBuildTrunc(b, q, c->ti16, ""), y, at);
	tgt_loop_close(c, &l2);
}

/* ---- int8 softmax: TFLite's reference kernel (ir/gemmlowp.h) ------------------------- */

/* ir_srdhm: floor((a b + 2^30) / 2^31) in i64 (gemmlowp's nudge and
 * truncating division give the same for either sign), 2^31 - 1 for the
 * one product that does not fit (it folds away when an operand is a
 * constant) */
static LLVMValueRef gl_srdhm(Cg *c, LLVMValueRef a, LLVMValueRef bv)
{
	LLVMBuilderRef b = c->b;
	LLVMValueRef ab = LLVMBuildMul(b, LLVMBuildSExt(b, a, c->ti64, ""),
	                               LLVMBuildSExt(b, bv, c->ti64, ""), "");
	LLVMValueRef q = LLVMBuildAShr(b, LLVMBuildAdd(b, ab, c64(c, 1 << 30), ""), c64(c, 31), "");
	q = LLVMBuildTrunc(b, q, c->ti32, "");
	LLVMValueRef ov = LLVMBuildAnd(b, LLVMBuildICmp(b, LLVMIntEQ, a, tgt_c32(c, INT32_MIN), ""),
	                               LLVMBuildICmp(b, LLVMIntEQ, bv, tgt_c32(c, INT32_MIN), ""),
	                               "");
	return LLVMBuildSelect(b, ov, tgt_c32(c, INT32_MAX), q, "");
}

/* ir_gl_mul_pot(x, e), e a constant: a left shift saturating to int32, or
 * ir_rdbpot(x, -e): (x >> e) + (x & mask > mask / 2 + (x < 0)) */
static LLVMValueRef gl_mul_pot(Cg *c, LLVMValueRef x, int e)
{
	LLVMBuilderRef b = c->b;

	if (e > 0) {
		int32_t lim = (int32_t)(((int64_t)1 << (31 - e)) - 1);
		LLVMValueRef r = LLVMBuildShl(b, x, tgt_c32(c, e), "");
		r = sel(c, LLVMIntSGT, x, tgt_c32(c, lim), tgt_c32(c, INT32_MAX), r);
		return sel(c, LLVMIntSLT, x, tgt_c32(c, -lim), tgt_c32(c, INT32_MIN), r);
	}
	if (e == 0)
		return x;
	int32_t mask = (int32_t)(((int64_t)1 << -e) - 1);
	LLVMValueRef rem = LLVMBuildAnd(b, x, tgt_c32(c, mask), "");
	LLVMValueRef thr = LLVMBuildAdd(
	        b, tgt_c32(c, mask >> 1),
	        LLVMBuildZExt(b, LLVMBuildICmp(b, LLVMIntSLT, x, tgt_c32(c, 0), ""), c->ti32, ""),
	        "");
	LLVMValueRef up = LLVMBuildZExt(b, LLVMBuildICmp(b, LLVMIntSGT, rem, thr, ""), c->ti32, "");
	return LLVMBuildAdd(b, LLVMBuildAShr(b, x, tgt_c32(c, -e), ""), up, "");
}

/* A private i32(i32) function of the module, NAME.<tag> (one per ISA level
 * of a multi-ISA object), built once by body(c, argument) with the
 * builder, which is then back where it was. */
static LLVMValueRef gl_function(Cg *c, const char *tag, LLVMValueRef (*body)(Cg *c, LLVMValueRef a))
{
	char name[320];
	LLVMTypeRef ft = LLVMFunctionType(c->ti32, &c->ti32, 1, 0);

	snprintf(name, sizeof name, "%s.%s", c->name, tag);
	LLVMValueRef fn = LLVMGetNamedFunction(c->mod, name);
	if (fn)
		return fn;
	fn = LLVMAddFunction(c->mod, name, ft);
	LLVMSetLinkage(fn, LLVMPrivateLinkage);
	tgt_add_attr(c, fn, LLVMAttributeFunctionIndex, "nounwind", 0);
	LLVMBasicBlockRef back = LLVMGetInsertBlock(c->b);
	LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, fn, "entry"));
	LLVMBuildRet(c->b, body(c, LLVMGetParam(fn, 0)));
	LLVMPositionBuilderAtEnd(c->b, back);
	return fn;
}

/* ir_gl_exp_neg(a, 5), straight-line: exp of a's residue in [-1/4, 0)
 * (ir_gl_exp_quarter), then a select per bit of the rest */
static LLVMValueRef gl_exp5_body(Cg *c, LLVMValueRef a)
{
	static const int32_t mul[7] = {1672461947, 1302514674, 790015084, 290630308,
	                               39332535,   720401,     242};
	const int32_t e18 = 1895147668, third = 715827883, quarter = 1 << 24;
	LLVMBuilderRef b = c->b;
	LLVMValueRef r = LLVMBuildSub(b, LLVMBuildAnd(b, a, tgt_c32(c, quarter - 1), ""),
	                              tgt_c32(c, quarter), "");
	LLVMValueRef x = LLVMBuildAdd(b, gl_mul_pot(c, r, IR_GL_DIFF_BITS), tgt_c32(c, 1 << 28),
	                              "");
	LLVMValueRef x2 = gl_srdhm(c, x, x), x3 = gl_srdhm(c, x2, x), x4 = gl_srdhm(c, x2, x2);
	LLVMValueRef t = LLVMBuildAdd(b, gl_mul_pot(c, x4, -2), x3, "");
	t = LLVMBuildAdd(b, gl_srdhm(c, t, tgt_c32(c, third)), x2, "");
	t = gl_mul_pot(c, t, -1);
	LLVMValueRef res = LLVMBuildAdd(
	        b, tgt_c32(c, e18), gl_srdhm(c, tgt_c32(c, e18), LLVMBuildAdd(b, x, t, "")), "");
	LLVMValueRef rest = LLVMBuildSub(b, r, a, "");
	for (int k = -2; k <= 4; k++) {
		LLVMValueRef bit = LLVMBuildAnd(b, rest, tgt_c32(c, 1 << (26 + k)), "");
		res = sel(c, LLVMIntNE, bit, tgt_c32(c, 0),
		          gl_srdhm(c, res, tgt_c32(c, mul[k + 2])), res);
	}
	return sel(c, LLVMIntEQ, a, tgt_c32(c, 0), tgt_c32(c, INT32_MAX), res);
}

/* ir_gl_one_over_one_plus_x, straight-line (three Newton-Raphson steps) */
static LLVMValueRef gl_recip_body(Cg *c, LLVMValueRef a)
{
	LLVMBuilderRef b = c->b;
	/* RoundingHalfSum(a, 2^31 - 1): (s + sign(s)) / 2 truncating */
	LLVMValueRef s = LLVMBuildAdd(b, LLVMBuildSExt(b, a, c->ti64, ""), c64(c, INT32_MAX), "");
	LLVMValueRef sg = sel(c, LLVMIntSGE, s, c64(c, 0), c64(c, 1), c64(c, -1));
	LLVMValueRef d = LLVMBuildTrunc(
	        b, LLVMBuildSDiv(b, LLVMBuildAdd(b, s, sg, ""), c64(c, 2), ""), c->ti32, "");
	LLVMValueRef x = LLVMBuildAdd(b, tgt_c32(c, 1515870810),
	                              gl_srdhm(c, d, tgt_c32(c, -1010580540)), "");
	for (int i = 0; i < 3; i++) {
		LLVMValueRef om = LLVMBuildSub(b, tgt_c32(c, 1 << 29), gl_srdhm(c, d, x), "");
		x = LLVMBuildAdd(b, x, gl_mul_pot(c, gl_srdhm(c, x, om), 2), "");
	}
	return gl_mul_pot(c, x, 1);
}

static LLVMValueRef call1(Cg *c, LLVMValueRef fn, LLVMValueRef a)
{
	return LLVMBuildCall2(c->b, LLVMGlobalGetValueType(fn), fn, &a, 1, "");
}

/* ir_softmax8_exp of x - m (i32), and whether x - m >= diff_min */
static LLVMValueRef exp8_at(Cg *c, LLVMValueRef fexp, LLVMValueRef m, LLVMValueRef xq, int32_t mult,
                            int shift, int32_t diff_min, LLVMValueRef *in)
{
	LLVMBuilderRef b = c->b;
	LLVMValueRef d = LLVMBuildSub(b, LLVMBuildSExt(b, xq, c->ti32, ""), m, "");
	*in = LLVMBuildICmp(b, LLVMIntSGE, d, tgt_c32(c, diff_min), "");
	/* wraps only for the d below diff_min, whose exp is not used */
	LLVMValueRef v = LLVMBuildShl(b, d, tgt_c32(c, shift), "");
	return call1(c, fexp, gl_srdhm(c, v, tgt_c32(c, mult)));
}

/* TFLite's int8 Softmax of one row, as the interpreter's softmax_s8 */
static void softmax_row_s8(Cg *c, int n, LLVMValueRef x, LLVMValueRef y, LLVMValueRef base,
                           int64_t len, int64_t inner)
{
	LLVMBuilderRef b = c->b;
	const Node *nd = &c->g->nodes[n];
	int32_t mult, diff_min;
	int shift;
	Loop l1, l2;

	if (ir_softmax8_scaling(nd->a.beta, c->g->vals[nd->in[0]].q.scale[0], &mult, &shift,
	                        &diff_min))
		ICE("softmax: the check let a bad beta through");
	LLVMValueRef fexp = gl_function(c, "gl_exp5", gl_exp5_body);
	LLVMValueRef frcp = gl_function(c, "gl_recip", gl_recip_body);
	LLVMValueRef m = LLVMBuildSExt(b, row_max(c, c->ti8, x, base, len, inner, 0), c->ti32, "");
	LLVMValueRef sum = tgt_alloca(c, c->ti32, 1), in;
	LLVMBuildStore(b, tgt_c32(c, 0), sum);
	LLVMValueRef k = tgt_upto(c, &l1, len);
	LLVMValueRef e = exp8_at(c, fexp, m, tgt_load(c, c->ti8, x, tgt_mad(c, k, inner, base)),
	                         mult, shift, diff_min, &in);
	/* + exp in Q12.19, saturating at 2^31 - 1 */
	e = LLVMBuildSelect(b, in, gl_mul_pot(c, e, -IR_GL_ACCUM_BITS), tgt_c32(c, 0), "");
	LLVMValueRef s = LLVMBuildAdd(
	        b, LLVMBuildSExt(b, LLVMBuildLoad2(b, c->ti32, sum, ""), c->ti64, ""),
	        LLVMBuildSExt(b, e, c->ti64, ""), "");
	s = sel(c, LLVMIntSGT, s, c64(c, INT32_MAX), c64(c, INT32_MAX), s);
	LLVMBuildStore(b, LLVMBuildTrunc(b, s, c->ti32, ""), sum);
	tgt_loop_close(c, &l1);
	/* ir_gl_reciprocal: h = clz(sum) (sum >= 2^19), the scale of sum 2^h
	 * less 1.0, the final shift 12 - h + 31 - 8 */
	s = LLVMBuildLoad2(b, c->ti32, sum, "");
	unsigned id = LLVMLookupIntrinsicID("llvm.ctlz", 9);
	LLVMTypeRef ty = c->ti32;
	LLVMValueRef args[2] = {s, LLVMConstInt(c->ti1, 0, 0)};
	LLVMValueRef h = LLVMBuildCall2(b, LLVMIntrinsicGetType(c->ctx, id, &ty, 1),
	                                LLVMGetIntrinsicDeclaration(c->mod, id, &ty, 1), args, 2,
	                                "");
	LLVMValueRef scale = call1(
	        c, frcp, LLVMBuildSub(b, LLVMBuildShl(b, s, h, ""), tgt_c32(c, INT32_MIN), ""));
	LLVMValueRef sh = LLVMBuildSub(b, c64(c, IR_GL_ACCUM_BITS + 31 - 8),
	                               LLVMBuildZExt(b, h, c->ti64, ""), "");
	LLVMValueRef rnd = LLVMBuildShl(b, c64(c, 1), LLVMBuildSub(b, sh, c64(c, 1), ""), "");
	k = tgt_upto(c, &l2, len);
	LLVMValueRef at = tgt_mad(c, k, inner, base);
	e = exp8_at(c, fexp, m, tgt_load(c, c->ti8, x, at), mult, shift, diff_min, &in);
	/* scale * exp >= 0: the rounding divide by 2^sh is half up */
	LLVMValueRef q = LLVMBuildSExt(b, gl_srdhm(c, scale, e), c->ti64, "");
	q = LLVMBuildAShr(b, LLVMBuildAdd(b, q, rnd, ""), sh, "");
	q = LLVMBuildSub(b, q, c64(c, 128), "");
	q = sel(c, LLVMIntSGT, q, c64(c, 127), c64(c, 127), q);
	q = LLVMBuildSelect(b, in, q, c64(c, -128), "");
	tgt_store(c, LLVMBuildTrunc(b, q, c->ti8, ""), y, at);
	tgt_loop_close(c, &l2);
}

static void lower_softmax(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	const Node *nd = &c->g->nodes[n];
	const Value *xv = &c->g->vals[nd->in[0]];
	int64_t outer, len, inner;
	Loop lo, li;

	ir_softmax_dims(&xv->shape, nd->a.axis, &outer, &len, &inner);
	const int t16 = ir_act_tflite16(nd->op, xv->dt),
	          s8 = nd->op == OP_SOFTMAX && xv->dt == DT_I8;
	LLVMValueRef table = xv->dt != DT_F32 && !t16 && !s8
	                             ? tgt_const_value(c, nd->in[1], NULL, "t", n)
	                             : NULL;
	LLVMValueRef o = tgt_upto(c, &lo, outer);
	LLVMValueRef i = tgt_upto(c, &li, inner);
	LLVMValueRef base = tgt_mad(c, o, len * inner, i);
	if (xv->dt == DT_F32)
		softmax_row_f32(c, x, y, base, len, inner, nd->op == OP_LOG_SOFTMAX,
		                nd->op == OP_SOFTMAX ? nd->a.beta : 1.0f);
	else if (t16)
		softmax_row_s16(c, n, x, y, base, len, inner);
	else if (s8)
		softmax_row_s8(c, n, x, y, base, len, inner);
	else
		log_softmax_row_int(c, nd, x, y, table, base, len, inner);
	tgt_loop_close(c, &li);
	tgt_loop_close(c, &lo);
}

static void lower_relu(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	const Graph *g = c->g;
	const Value *xv = &g->vals[g->nodes[n].in[0]];
	LLVMTypeRef t = tgt_type(c, xv->dt);
	Loop l;
	LLVMValueRef i = tgt_upto(c, &l, ir_shape_numel(&xv->shape));
	LLVMValueRef v = tgt_load(c, t, x, i), lo, lt;

	if (xv->dt == DT_F32) {
		lo = LLVMConstReal(c->tf32, 0.0);
		lt = LLVMBuildFCmp(c->b, LLVMRealOLT, v, lo, "");
	} else {
		lo = LLVMConstInt(t, (unsigned long long)xv->q.zp, 1);
		lt = LLVMBuildICmp(c->b, LLVMIntSLT, v, lo, "");
	}
	tgt_store(c, LLVMBuildSelect(c->b, lt, lo, v, ""), y, i);
	tgt_loop_close(c, &l);
}

/* abs: f32 the sign bit cleared by an integer and (NaN stays NaN, no libm,
 * no FPU instruction needed); int |x - zp_x| requantized to the result's
 * parameters as quantize's i8/i16 Requantize (fam_convert.c). */
static void lower_abs(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *xv = &g->vals[nd->in[0]], *yv = &g->vals[nd->out];
	LLVMBuilderRef b = c->b;
	Loop l;

	LLVMValueRef i = tgt_upto(c, &l, ir_shape_numel(&xv->shape));
	if (xv->dt == DT_F32) {
		LLVMValueRef v = LLVMBuildBitCast(b, tgt_load(c, c->tf32, x, i), c->ti32, "");
		v = LLVMBuildAnd(b, v, tgt_c32(c, 0x7fffffff), "");
		tgt_store(c, LLVMBuildBitCast(b, v, c->tf32, ""), y, i);
	} else {
		int32_t mult;
		int shift;
		Requant rq;
		ir_quantize_multiplier((double)xv->q.scale[0] / (double)yv->q.scale[0], &mult,
		                       &shift);
		rq.has_left = shift > 0;
		rq.zp = yv->q.zp;
		rq.lo = ir_qmin(yv->dt);
		rq.hi = ir_qmax(yv->dt);
		LLVMValueRef v = LLVMBuildSExt(b, tgt_load(c, tgt_type(c, xv->dt), x, i), c->ti32,
		                               "");
		v = LLVMBuildSub(b, v, tgt_c32(c, xv->q.zp), "");
		LLVMValueRef neg = LLVMBuildICmp(b, LLVMIntSLT, v, tgt_c32(c, 0), "");
		v = LLVMBuildSelect(b, neg, LLVMBuildSub(b, tgt_c32(c, 0), v, ""), v, "");
		v = tgt_requant(c, v, tgt_c32(c, mult), tgt_c32(c, shift), &rq);
		tgt_store(c, LLVMBuildTrunc(b, v, tgt_type(c, yv->dt), ""), y, i);
	}
	tgt_loop_close(c, &l);
}

/* ---- rules ------------------------------------------------------------------------------ */

static int check(Cg *c, const Node *nd)
{
	const Graph *g = c->g;
	const Value *x = &g->vals[nd->in[0]], *y = &g->vals[nd->out];

	if (tgt_check_fit(c, nd, ir_value_bytes(x) == ir_value_bytes(y)))
		return 1;
	if (nd->op != OP_RELU && nd->op != OP_ABS)
		return ir_interp_check_act(c->g, nd, c->d) ? 1 : 0;
	if (x->dt != y->dt || (x->dt != DT_F32 && x->dt != DT_I8 && x->dt != DT_I16))
		return tgt_bad_types(c, nd, "these types");
	if (x->dt != DT_F32 && !tgt_per_tensor(x))
		return tgt_bad_types(c, nd, "an input without per-tensor quantization");
	if (nd->op == OP_ABS && x->dt != DT_F32 && !tgt_per_tensor(y))
		return tgt_bad_types(c, nd, "a result without per-tensor quantization");
	return 0;
}

static void lower(Cg *c, int n, LLVMValueRef fn)
{
	LLVMValueRef x = LLVMGetParam(fn, 0), y = LLVMGetParam(fn, 1);

	/* in place (the same address at run time): one pointer, so that LLVM
	 * vectorizes without an overlap test, which would fail */
	if (tgt_in_place(c, c->g->nodes[n].in[0], c->g->nodes[n].out))
		y = x;
	switch (c->g->nodes[n].op) {
	case OP_RELU: lower_relu(c, n, x, y); break;
	case OP_ABS: lower_abs(c, n, x, y); break;
	case OP_SOFTMAX:
	case OP_LOG_SOFTMAX: lower_softmax(c, n, x, y); break;
	case OP_CLIP:
	case OP_LEAKY_RELU:
	case OP_SIGMOID:
	case OP_TANH:
	case OP_HARD_SIGMOID:
	case OP_HARD_SWISH: lower_elementwise(c, n, x, y); break;
	default:
		if (ir_act_unary_fn(c->g->nodes[n].op) < 0)
			ICE("activation rules: %s", ir_ops[c->g->nodes[n].op].name);
		lower_elementwise(c, n, x, y);
	}
}

const TgtRules tgt_rules_activation = {
        .check = check,
        .lower = lower,
};
