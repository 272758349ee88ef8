/* quantize_vec.c — the float -> integer quantize (NAME_run's inputs and the
 * quantize nodes from f32) as inline vector code on x86-64, in place of a
 * call to the runtime's scalar loop (qrt_quantize_s8, _s8_even, _s16 in
 * runtime/src/quantize.c, which the interpreter calls too).
 *
 * Each element is computed as those functions compute it, step for step,
 * in IEEE single precision without fast-math (so the bytes are the
 * interpreter's): v = x / scale (a division, as in C: x * (1 / scale) would
 * round differently), then
 *   s8, s16:  NaN -> zp; v clamped to +-2^22; t = (int)v truncated,
 *             frac = v - t (exact), t +- 1 when |frac| >= 0.5 (half away
 *             from zero); clamp(t + zp) to the type's range;
 *   s8_even:  v clamped to [-128 - zp, 127 - zp] by ordered compares (NaN
 *             becomes the low end), rounded half to even by adding and
 *             subtracting 1.5 * 2^23, then + zp.
 * The elements go 16 at a time as <16 x float> (4 SSE2 vectors on the
 * baseline, one zmm on AVX-512; the module's CPU decides), the last n % 16
 * one at a time by the same code on scalars.
 */
#include <string.h>

#include "targets.h"

enum { VL = 16 }; /* elements per vector step */

/* Constant k of type t (f32 or i32), splat to the lanes of `like`'s type. */
static LLVMValueRef splat(Cg *c, LLVMValueRef like, LLVMTypeRef t, double k)
{
	LLVMTypeRef lt = LLVMTypeOf(like);
	LLVMValueRef s = t == c->tf32 ? LLVMConstReal(t, k)
	                              : LLVMConstInt(t, (unsigned long long)(long long)k, 1);
	LLVMValueRef e[VL];

	if (LLVMGetTypeKind(lt) != LLVMVectorTypeKind)
		return s;
	for (unsigned i = 0; i < LLVMGetVectorSize(lt); i++)
		e[i] = s;
	return LLVMConstVector(e, LLVMGetVectorSize(lt));
}

/* The i32 type with x's lanes. */
static LLVMTypeRef i32_like(Cg *c, LLVMValueRef x)
{
	LLVMTypeRef t = LLVMTypeOf(x);

	return LLVMGetTypeKind(t) == LLVMVectorTypeKind
	               ? LLVMVectorType(c->ti32, LLVMGetVectorSize(t))
	               : c->ti32;
}

static LLVMValueRef fsel(Cg *c, LLVMRealPredicate p, LLVMValueRef a, LLVMValueRef b)
{
	return LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, p, a, b, ""), a, b, "");
}

static LLVMValueRef isel(Cg *c, LLVMIntPredicate p, LLVMValueRef a, LLVMValueRef b)
{
	return LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, p, a, b, ""), a, b, "");
}

/* The quantized i32 of x (a float or a vector of floats; header comment). */
static LLVMValueRef quant(Cg *c, LLVMValueRef x, float scale, int32_t zp, int even, int32_t qmin,
                          int32_t qmax)
{
	LLVMBuilderRef b = c->b;
	LLVMTypeRef ti = i32_like(c, x);
	LLVMValueRef v = LLVMBuildFDiv(b, x, splat(c, x, c->tf32, scale), "");

	if (even) {
		LLVMValueRef magic = splat(c, x, c->tf32, 12582912.0);
		v = fsel(c, LLVMRealOGT, v, splat(c, x, c->tf32, (double)(qmin - zp)));
		v = fsel(c, LLVMRealOLT, v, splat(c, x, c->tf32, (double)(qmax - zp)));
		v = LLVMBuildFSub(b, LLVMBuildFAdd(b, v, magic, ""), magic, "");
		return LLVMBuildAdd(b, LLVMBuildFPToSI(b, v, ti, ""), splat(c, x, c->ti32, zp), "");
	}
	LLVMValueRef nan = LLVMBuildFCmp(b, LLVMRealUNO, v, v, "");
	LLVMValueRef zero = splat(c, x, c->tf32, 0);
	/* a NaN lane computes on 0 (fptosi of NaN is poison) and becomes zp */
	v = LLVMBuildSelect(b, nan, zero, v, "");
	v = fsel(c, LLVMRealOLT, v, splat(c, x, c->tf32, 4194304.0));
	v = fsel(c, LLVMRealOGT, v, splat(c, x, c->tf32, -4194304.0));
	LLVMValueRef t = LLVMBuildFPToSI(b, v, ti, "");
	LLVMValueRef frac = LLVMBuildFSub(b, v, LLVMBuildSIToFP(b, t, LLVMTypeOf(v), ""), "");
	LLVMValueRef up = LLVMBuildFCmp(b, LLVMRealOGE, frac, splat(c, x, c->tf32, 0.5), "");
	LLVMValueRef dn = LLVMBuildFCmp(b, LLVMRealOLE, frac, splat(c, x, c->tf32, -0.5), "");
	t = LLVMBuildAdd(b, t, LLVMBuildZExt(b, up, ti, ""), "");
	t = LLVMBuildSub(b, t, LLVMBuildZExt(b, dn, ti, ""), "");
	t = LLVMBuildAdd(b, t, splat(c, x, c->ti32, zp), "");
	t = isel(c, LLVMIntSGT, t, splat(c, x, c->ti32, qmin));
	t = isel(c, LLVMIntSLT, t, splat(c, x, c->ti32, qmax));
	return LLVMBuildSelect(b, nan, splat(c, x, c->ti32, zp), t, "");
}

int tgt_quantize_inline(Cg *c, const char *name, LLVMValueRef from, LLVMValueRef to, const Value *v)
{
	int even = strcmp(name, "qrt_quantize_s8_even") == 0;
	int s16 = strcmp(name, "qrt_quantize_s16") == 0;
	LLVMBuilderRef b = c->b;

	if (!tgt_x86_sse2(c->tm) || (!even && !s16 && strcmp(name, "qrt_quantize_s8") != 0))
		return 0;
	int64_t n = ir_shape_numel(&v->shape), nv = n / VL;
	float scale = v->q.scale[0];
	int32_t zp = v->q.zp, qmin = s16 ? -32768 : -128, qmax = s16 ? 32767 : 127;
	LLVMTypeRef te = s16 ? c->ti16 : c->ti8;
	LLVMTypeRef tf = LLVMVectorType(c->tf32, VL), tq = LLVMVectorType(te, VL);
	LLVMValueRef fn = c->fn;
	Loop l;

	/* the loops' blocks go into the function being built (NAME_run's entry
	 * points do not set c->fn) */
	c->fn = LLVMGetBasicBlockParent(LLVMGetInsertBlock(b));
	if (nv > 0) {
		LLVMValueRef i = tgt_mad(c, tgt_upto(c, &l, nv), VL, NULL);
		LLVMValueRef x = tgt_load_al(c, tf, tgt_gep(c, c->tf32, from, i), 4);
		LLVMValueRef q = LLVMBuildTrunc(b, quant(c, x, scale, zp, even, qmin, qmax), tq,
		                                "");
		LLVMSetAlignment(LLVMBuildStore(b, q, tgt_gep(c, te, to, i)), 1);
		tgt_loop_close(c, &l);
	}
	if (n % VL) {
		LLVMValueRef i = tgt_loop_open(c, &l, tgt_cidx(c, nv * VL), tgt_cidx(c, n));
		LLVMValueRef x = tgt_load(c, c->tf32, from, i);
		tgt_store(c, LLVMBuildTrunc(b, quant(c, x, scale, zp, even, qmin, qmax), te, ""),
		          to, i);
		tgt_loop_close(c, &l);
	}
	c->fn = fn;
	return 1;
}
