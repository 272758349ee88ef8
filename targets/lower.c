/* lower.c — op lowering: builder helpers (counted loops, constants, stack
 * slots), the shared epilogues (fixed-point requantization, fused float
 * activations), and the kernels of dense, relu, maxpool2d, flatten,
 * reshape, quantize and dequantize.  conv2d lives in lower_conv.c; avgpool2d,
 * global_avgpool, pad and transpose in lower_pool.c.
 *
 * Every kernel is a private function void(ptr x, ptr y) over the operand's
 * and the result's tensors in the arena; the body calls them in node order.
 * The arithmetic is that of ir/interp.c, step for step: float accumulation
 * in the same order with plain fmul/fadd (no fast-math, so no contraction),
 * integer accumulation in wrapping i32.
 */
#include <stdlib.h>
#include <string.h>

#include "targets.h"
#include "lower_act.h"

/* ---- builder helpers ------------------------------------------------------ */

LLVMValueRef tgt_cidx(Cg *c, int64_t v)
{
	return LLVMConstInt(c->tidx, (unsigned long long)v, 1);
}

LLVMValueRef tgt_c32(Cg *c, int64_t v)
{
	return LLVMConstInt(c->ti32, (unsigned long long)v, 1);
}

static LLVMBasicBlockRef new_block(Cg *c, const char *name)
{
	return LLVMAppendBasicBlockInContext(c->ctx, c->fn, name);
}

/* Rotated and guarded, the shape LLVM's loop passes expect: the guard folds
 * away when the bounds are constants. */
LLVMValueRef tgt_loop_open(Cg *c, Loop *l, LLVMValueRef lo, LLVMValueRef hi)
{
	LLVMBasicBlockRef pre = LLVMGetInsertBlock(c->b);

	l->hi = hi;
	l->body = new_block(c, "loop");
	l->exit = new_block(c, "done");
	LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, lo, hi, ""), l->body, l->exit);
	LLVMPositionBuilderAtEnd(c->b, l->body);
	l->i = LLVMBuildPhi(c->b, c->tidx, "i");
	LLVMAddIncoming(l->i, &lo, &pre, 1);
	return l->i;
}

void tgt_loop_close(Cg *c, Loop *l)
{
	LLVMBasicBlockRef latch = LLVMGetInsertBlock(c->b);
	LLVMValueRef next = LLVMBuildNSWAdd(c->b, l->i, tgt_cidx(c, 1), "");

	LLVMAddIncoming(l->i, &next, &latch, 1);
	LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, next, l->hi, ""), l->body, l->exit);
	LLVMPositionBuilderAtEnd(c->b, l->exit);
}

LLVMValueRef tgt_upto(Cg *c, Loop *l, int64_t n)
{
	return tgt_loop_open(c, l, tgt_cidx(c, 0), tgt_cidx(c, n));
}

LLVMValueRef tgt_mad(Cg *c, LLVMValueRef a, int64_t k, LLVMValueRef b)
{
	LLVMValueRef p = LLVMBuildNSWMul(c->b, a, tgt_cidx(c, k), "");
	return b ? LLVMBuildNSWAdd(c->b, p, b, "") : p;
}

void tgt_if_open(Cg *c, If *f, LLVMValueRef cond)
{
	f->then = new_block(c, "then");
	f->join = new_block(c, "join");
	LLVMBuildCondBr(c->b, cond, f->then, f->join);
	LLVMPositionBuilderAtEnd(c->b, f->then);
}

void tgt_if_close(Cg *c, If *f)
{
	LLVMBuildBr(c->b, f->join);
	LLVMPositionBuilderAtEnd(c->b, f->join);
}

LLVMValueRef tgt_gep(Cg *c, LLVMTypeRef t, LLVMValueRef base, LLVMValueRef i)
{
	return LLVMBuildInBoundsGEP2(c->b, t, base, &i, 1, "");
}

LLVMValueRef tgt_load(Cg *c, LLVMTypeRef t, LLVMValueRef base, LLVMValueRef i)
{
	return LLVMBuildLoad2(c->b, t, tgt_gep(c, t, base, i), "");
}

void tgt_store(Cg *c, LLVMValueRef v, LLVMValueRef base, LLVMValueRef i)
{
	LLVMBuildStore(c->b, v, tgt_gep(c, LLVMTypeOf(v), base, i));
}

LLVMValueRef tgt_alloca(Cg *c, LLVMTypeRef t, int64_t n)
{
	LLVMBuilderRef ab = LLVMCreateBuilderInContext(c->ctx);
	LLVMValueRef p;

	LLVMPositionBuilderAtEnd(ab, c->entry);
	p = LLVMBuildAlloca(ab, n == 1 ? t : LLVMArrayType2(t, (uint64_t)n), "");
	/* at least 16, and a vector's own alignment: its plain loads and stores
	 * assume it (a 64-byte vmovaps at -O0, where the slot stays in memory) */
	unsigned al = LLVMABIAlignmentOfType(c->td, t);
	LLVMSetAlignment(p, al > 16 ? al : 16);
	LLVMDisposeBuilder(ab);
	return p;
}

int tgt_tile_pixels(int64_t P, int max)
{
	int best = max;
	int64_t cost = -1;

	for (int np = max; np > max / 2; np--) {
		int64_t t = (P + np - 1) / np * (np + 1);
		if (cost < 0 || t < cost)
			best = np, cost = t;
	}
	return best;
}

void tgt_requant_tables(Cg *c, int n, int64_t oc, int64_t len, const char *tag,
                        LLVMValueRef *mult, LLVMValueRef *shift, LLVMValueRef *fm)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	int32_t *m = ir_xcalloc((size_t)len, sizeof *m), *sh = ir_xcalloc((size_t)len, sizeof *sh);
	int *shifts = ir_xcalloc((size_t)len, sizeof *shifts);
	unsigned char *buf = ir_xmalloc((size_t)len * 4);
	char name[320];

	ir_node_requant(g, nd, m, shifts);
	for (int64_t i = 0; i < oc; i++)
		sh[i] = shifts[i];
	if (g->requant_float) {
		const Value *x = &g->vals[nd->in[0]], *y = &g->vals[nd->out];
		const QParams *qw = &g->vals[nd->in[1]].q;
		for (int64_t i = 0; i < oc; i++) {
			float f = ir_requant_float_mult(x->q.scale[0], qw->scale[qw->n == 1 ? 0 : i],
			                                y->q.scale[0]);
			memcpy(&m[i], &f, sizeof f);
		}
	}
	for (int pass = 0; pass < (g->requant_float ? 1 : 2); pass++) {
		const int32_t *v = pass ? sh : m;
		for (int64_t i = 0; i < len; i++)
			for (int b = 0; b < 4; b++)
				buf[4 * i + b] = (unsigned char)((uint32_t)v[i] >> (8 * b));
		snprintf(name, sizeof name, "%s.%s%s%d", c->name,
		         g->requant_float ? "fm" : pass ? "sh" : "m", tag, n);
		LLVMValueRef gv = tgt_const_bytes(c, name, buf, (size_t)len * 4);
		*(g->requant_float ? fm : pass ? shift : mult) = gv;
	}
	free(m), free(sh), free(shifts), free(buf);
}

/* The constants a multi-ISA object's levels share (Cg.share_consts): an
 * open-addressing table of the globals tgt_const_bytes made, by a hash of
 * their bytes. */
struct TgtConst {
	uint64_t hash;
	size_t len;
	LLVMValueRef gv; /* NULL: an empty slot */
};

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3u;
	return h;
}

/* gv holds exactly the n bytes (LLVM keeps an all-zero array as a
 * zeroinitializer, which has no string form) */
static int holds(LLVMValueRef gv, const unsigned char *bytes, size_t n)
{
	LLVMValueRef init = LLVMGetInitializer(gv);
	const char *s;
	size_t len;

	if (LLVMIsAConstantAggregateZero(init)) {
		for (size_t i = 0; i < n; i++)
			if (bytes[i])
				return 0;
		return 1;
	}
	s = LLVMGetAsString(init, &len);
	return len == n && memcmp(s, bytes, n) == 0;
}

/* The slot of the constant with these bytes, or the empty slot where it
 * goes. */
static struct TgtConst *const_slot(Cg *c, uint64_t h, const unsigned char *bytes, size_t n)
{
	size_t i = (size_t)h & (c->capconst - 1);

	for (;; i = (i + 1) & (c->capconst - 1)) {
		struct TgtConst *e = &c->consts[i];
		if (!e->gv || (e->hash == h && e->len == n && holds(e->gv, bytes, n)))
			return e;
	}
}

static void const_grow(Cg *c)
{
	struct TgtConst *old = c->consts;
	size_t oldcap = c->capconst;

	c->capconst = oldcap ? 2 * oldcap : 256;
	c->consts = ir_xcalloc(c->capconst, sizeof *c->consts);
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].gv) {
			size_t k = (size_t)old[i].hash & (c->capconst - 1);
			while (c->consts[k].gv)
				k = (k + 1) & (c->capconst - 1);
			c->consts[k] = old[i];
		}
	free(old);
}

LLVMValueRef tgt_const_bytes(Cg *c, const char *name, const void *bytes, size_t n)
{
	struct TgtConst *slot = NULL;
	uint64_t h = 0;

	if (c->share_consts) {
		if (2 * (c->nconst + 1) > c->capconst)
			const_grow(c);
		h = fnv1a(bytes, n);
		slot = const_slot(c, h, bytes, n);
		if (slot->gv)
			return slot->gv;
	}

	LLVMValueRef init = LLVMConstStringInContext2(c->ctx, bytes, n, 1);
	LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMTypeOf(init), name);

	LLVMSetInitializer(gv, init);
	LLVMSetGlobalConstant(gv, 1);
	LLVMSetLinkage(gv, LLVMPrivateLinkage);
	LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
	LLVMSetAlignment(gv, 16);
	if (slot) {
		slot->hash = h;
		slot->len = n;
		slot->gv = gv;
		c->nconst++;
	}
	return gv;
}

void tgt_copy(Cg *c, LLVMValueRef dst, unsigned dalign, LLVMValueRef src, unsigned salign,
              int64_t n, int move)
{
	const char *name = move ? "memmove" : "memcpy";
	LLVMTypeRef p[3] = {c->tptr, c->tptr, c->tidx}, ft;
	LLVMValueRef fn, args[3] = {dst, src, tgt_cidx(c, n)}, call;

	if (!c->tm->plain_mem) {
		if (move)
			LLVMBuildMemMove(c->b, dst, dalign, src, salign, args[2]);
		else
			LLVMBuildMemCpy(c->b, dst, dalign, src, salign, args[2]);
		return;
	}
	ft = LLVMFunctionType(c->tptr, p, 3, 0);
	fn = LLVMGetNamedFunction(c->mod, name);
	if (!fn) {
		fn = LLVMAddFunction(c->mod, name, ft);
		tgt_add_attr(c, fn, LLVMAttributeFunctionIndex, "nounwind", 0);
	}
	call = LLVMBuildCall2(c->b, ft, fn, args, 3, "");
	/* not a builtin: stays a call to this very symbol */
	LLVMAddCallSiteAttribute(call, LLVMAttributeFunctionIndex,
	                         LLVMCreateEnumAttribute(c->ctx,
	                                                 LLVMGetEnumAttributeKindForName("nobuiltin", 9), 0));
}

LLVMTypeRef tgt_type(Cg *c, DType dt)
{
	switch (dt) {
	case DT_F32: return c->tf32;
	case DT_I8: case DT_U8: return c->ti8;
	case DT_I16: return c->ti16;
	case DT_I32: return c->ti32;
	case DT_I64: return c->ti64;
	default: ICE("no LLVM type for dtype %d", (int)dt);
	}
}

void tgt_add_attr(Cg *c, LLVMValueRef fn, unsigned idx, const char *attr, uint64_t val)
{
	unsigned kind = LLVMGetEnumAttributeKindForName(attr, strlen(attr));

	if (!kind)
		ICE("unknown LLVM attribute %s", attr);
	LLVMAddAttributeAtIndex(fn, idx, LLVMCreateEnumAttribute(c->ctx, kind, val));
}

LLVMValueRef tgt_kernel_begin(Cg *c, const char *name, int noalias)
{
	return tgt_kernel_begin_n(c, name, noalias, 2);
}

/* noalias holds for several operand pointers to one tensor too: the kernel
 * only reads them, and it writes y, which overlaps none of them. */
LLVMValueRef tgt_kernel_begin_n(Cg *c, const char *name, int noalias, int nptr)
{
	LLVMTypeRef params[1 + IR_MAX_IN];
	LLVMValueRef fn;

	for (int i = 0; i < nptr; i++)
		params[i] = c->tptr;
	fn = LLVMAddFunction(c->mod, name, LLVMFunctionType(c->tvoid, params, (unsigned)nptr, 0));
	LLVMSetLinkage(fn, LLVMPrivateLinkage);
	tgt_add_attr(c, fn, LLVMAttributeFunctionIndex, "nounwind", 0);
	for (unsigned i = 1; i <= (unsigned)nptr; i++) {
		tgt_add_attr(c, fn, i, "nocapture", 0);
		tgt_add_attr(c, fn, i, "nonnull", 0);
		if (noalias)
			tgt_add_attr(c, fn, i, "noalias", 0);
	}
	c->fn = fn;
	c->entry = new_block(c, "entry");
	c->start = new_block(c, "start");
	LLVMPositionBuilderAtEnd(c->b, c->start);
	return fn;
}

void tgt_kernel_end(Cg *c)
{
	LLVMBuildRetVoid(c->b);
	LLVMPositionBuilderAtEnd(c->b, c->entry);
	LLVMBuildBr(c->b, c->start);
}

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

	return LLVMGetTypeKind(vt) == LLVMVectorTypeKind ? LLVMVectorType(t, LLVMGetVectorSize(vt)) : t;
}

/* Constant k of type t, splat like v. */
static LLVMValueRef kof(LLVMValueRef v, LLVMTypeRef t, long long k)
{
	LLVMTypeRef lt = like(v, t);
	LLVMValueRef s = LLVMGetTypeKind(t) == LLVMFloatTypeKind ? LLVMConstReal(t, (double)k)
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

/* MultiplyByQuantizedMultiplier as runtime/src/requantize.c, then + zp and
 * the clamp.  i64 intermediates keep every step exact on 32-bit targets too
 * (LLVM expands them inline; the division by 2^31 becomes shifts).  acc,
 * mult and shift may be vectors of equal length. */
LLVMValueRef tgt_requant(Cg *c, LLVMValueRef acc, LLVMValueRef mult, LLVMValueRef shift,
                         const Requant *rq)
{
	LLVMBuilderRef b = c->b;
	LLVMTypeRef t64 = like(acc, c->ti64), t32 = like(acc, c->ti32);
	LLVMValueRef zero = kof(acc, c->ti32, 0), x, right, ab, q, mask, rem, thr, r;

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
	ab = LLVMBuildMul(b, LLVMBuildSExt(b, x, t64, ""), LLVMBuildSExt(b, mult, t64, ""), "");
	/* (ab + nudge) / 2^31 truncating, nudge = ab >= 0 ? 2^30 : 1 - 2^30, is
	 * floor((ab + 2^30) / 2^31) for either sign: for ab < 0 the numerator
	 * n = ab + 1 - 2^30 is negative, so it rounds up, and ceil(n / 2^31) =
	 * floor((n + 2^31 - 1) / 2^31) = floor((ab + 2^30) / 2^31).  One add
	 * and an arithmetic shift, no compare, select or division fix-up. */
	q = LLVMBuildAShr(b, LLVMBuildAdd(b, ab, kof(acc, c->ti64, 1 << 30), ""), kof(acc, c->ti64, 31), "");
	q = LLVMBuildTrunc(b, q, t32, "");

	/* RoundingDivideByPOT; the mask is built in i64 because right may be 31 */
	mask = LLVMBuildSub(b, LLVMBuildShl(b, kof(acc, c->ti64, 1),
	                                    LLVMBuildZExt(b, right, t64, ""), ""),
	                    kof(acc, c->ti64, 1), "");
	mask = LLVMBuildTrunc(b, mask, t32, "");
	rem = LLVMBuildAnd(b, q, mask, "");
	thr = LLVMBuildAdd(b, LLVMBuildAShr(b, mask, kof(acc, c->ti32, 1), ""),
	                   LLVMBuildZExt(b, LLVMBuildICmp(b, LLVMIntSLT, q, zero, ""), t32, ""), "");
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
	return LLVMBuildAdd(b, LLVMBuildFPToSI(b, v, like(acc, c->ti32), ""), kof(acc, c->ti32, rq->zp), "");
}

LLVMValueRef tgt_act_f32(Cg *c, LLVMValueRef acc, Act act)
{
	LLVMValueRef zero = kof(acc, c->tf32, 0), six = kof(acc, c->tf32, 6);

	if (act == ACT_NONE)
		return acc;
	acc = LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOLT, acc, zero, ""), zero, acc, "");
	if (act == ACT_RELU6)
		acc = LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOGT, acc, six, ""), six, acc, "");
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
		r = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, t, LLVMConstInt(c->ti64, 0, 0), ""),
		                    rp, rn, "");
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
			mult[i] = mult[i] < 0x7FFF0000 ? (int32_t)(((int64_t)mult[i] + (1 << 15)) >> 16) : 0x7FFF;
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
			float m = ir_requant_float_mult(x->q.scale[0], qw->scale[qw->n == 1 ? 0 : i],
			                                y->q.scale[0]);
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
	return LLVMBuildAdd(c->b, acc, LLVMBuildMul(c->b, x, LLVMBuildSExt(c->b, w, e->tacc, ""), ""), "");
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

/* ---- constants ------------------------------------------------------------- */

/* Writes n elements of dt little-endian into dst (host order may differ). */
static void put_le(unsigned char *dst, const void *src, DType dt, int64_t n)
{
	int sz = ir_dtype_size(dt);

	for (int64_t i = 0; i < n; i++) {
		const unsigned char *s = (const unsigned char *)src + i * sz;
		uint64_t v = 0;

		switch (sz) {
		case 1: v = s[0]; break;
		case 2: { uint16_t t; memcpy(&t, s, 2); v = t; break; }
		case 4: { uint32_t t; memcpy(&t, s, 4); v = t; break; }
		case 8: memcpy(&v, s, 8); break;
		}
		for (int k = 0; k < sz; k++)
			dst[i * sz + k] = (unsigned char)(v >> (8 * k));
	}
}

LLVMValueRef tgt_const_value(Cg *c, int v, const int64_t *perm, const char *tag, int n)
{
	const Value *val = &c->g->vals[v];
	int64_t cnt = ir_shape_numel(&val->shape);
	int sz = ir_dtype_size(val->dt);
	unsigned char *buf = ir_xmalloc((size_t)(cnt * sz));
	char name[320];
	LLVMValueRef gv;

	if (perm) {
		for (int64_t i = 0; i < cnt; i++)
			put_le(buf + i * sz, (const unsigned char *)val->data + perm[i] * sz, val->dt, 1);
	} else
		put_le(buf, val->data, val->dt, cnt);
	snprintf(name, sizeof name, "%s.%s%d", c->name, tag, n);
	gv = tgt_const_bytes(c, name, buf, (size_t)(cnt * sz));
	free(buf);
	return gv;
}

/* ---- kernels --------------------------------------------------------------- */

static int64_t numel(const Value *v)
{
	return ir_shape_numel(&v->shape);
}

/* out[n,o] = act(b[o] + sum_i x[n,i] * w[o,i]) in integers; the sum is a
 * reduction over i (the weight row is contiguous), which LLVM vectorizes.
 * Every f32 dense goes to lower_dense_f32.c (its own order of additions). */
static void lower_dense(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *xv = &g->vals[nd->in[0]], *wv = &g->vals[nd->in[1]];
	int64_t N = xv->shape.d[0], I = xv->shape.d[1], O = wv->shape.d[0];
	LLVMValueRef w = tgt_const_value(c, nd->in[1], NULL, "w", n), bias = NULL, slot, init;
	LLVMBuilderRef b = c->b;
	Epilogue e;
	Loop ln, lo, li;

	tgt_epilogue_init(c, n, &e);
	if (nd->nin > 2)
		bias = tgt_const_value(c, nd->in[2], NULL, "b", n);
	slot = tgt_alloca(c, e.tacc, 1);
	LLVMValueRef in = tgt_upto(c, &ln, N);
	LLVMValueRef io = tgt_upto(c, &lo, O);
	if (!bias)
		init = LLVMConstNull(e.tacc);
	else {
		/* an i32 bias of an int16 layer starts the i32 accumulator as is */
		init = tgt_load(c, tgt_type(c, g->vals[nd->in[2]].dt), bias, io);
	}
	LLVMBuildStore(b, init, slot);
	LLVMValueRef xrow = tgt_mad(c, in, I, NULL);
	LLVMValueRef wrow = tgt_mad(c, io, I, NULL);
	LLVMValueRef ii = tgt_upto(c, &li, I);
	LLVMValueRef xe = tgt_load(c, tgt_type(c, xv->dt), x, LLVMBuildNSWAdd(b, xrow, ii, ""));
	LLVMValueRef we = tgt_load(c, tgt_type(c, wv->dt), w, LLVMBuildNSWAdd(b, wrow, ii, ""));
	LLVMValueRef a = LLVMBuildLoad2(b, e.tacc, slot, "");
	LLVMBuildStore(b, tgt_mac(c, &e, a, tgt_widen_x(c, &e, xe), we), slot);
	tgt_loop_close(c, &li);
	a = tgt_epilogue(c, &e, LLVMBuildLoad2(b, e.tacc, slot, ""), io);
	tgt_store(c, a, y, tgt_mad(c, in, O, io));
	tgt_loop_close(c, &lo);
	tgt_loop_close(c, &ln);
}

static void lower_relu(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	const Graph *g = c->g;
	const Value *xv = &g->vals[g->nodes[n].in[0]];
	LLVMTypeRef t = tgt_type(c, xv->dt);
	Loop l;
	LLVMValueRef i = tgt_upto(c, &l, numel(xv));
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

static void lower_copy(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	const Graph *g = c->g;
	const Value *xv = &g->vals[g->nodes[n].in[0]];
	const Value *yv = &g->vals[g->nodes[n].out];
	int64_t bytes = ir_value_bytes(xv);

	tgt_copy(c, y, 16, x, 16, bytes, xv->kind != VK_CONST && yv->offset < xv->offset + bytes &&
	                                 xv->offset < yv->offset + bytes);
}

/* The boundaries of per-layer precision.  Between floats and integers they
 * call the runtime's edge helpers, so they compute exactly what the
 * interpreter (which calls the same functions) and NAME_run's edge do;
 * i8 <-> i16 is TFLite's Requantize, inline and integer-only:
 * clamp(mbqm(x - zp_in, M) + zp_out), M = s_in / s_out. */
static void lower_convert(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *xv = &g->vals[nd->in[0]], *yv = &g->vals[nd->out];
	int32_t mult;
	int shift;
	Requant rq;
	Loop l;

	if (nd->op == OP_DEQUANTIZE) {
		tgt_call_edge(c, xv->dt == DT_I8 ? "qrt_dequantize_s8" : "qrt_dequantize_s16", x, y, xv);
		return;
	}
	if (xv->dt == DT_F32) {
		tgt_call_edge(c, yv->dt == DT_I16 ? "qrt_quantize_s16" : g->requant_float
		              ? "qrt_quantize_s8_even" : "qrt_quantize_s8", x, y, yv);
		return;
	}
	ir_quantize_multiplier((double)xv->q.scale[0] / (double)yv->q.scale[0], &mult, &shift);
	rq.has_left = shift > 0;
	rq.zp = yv->q.zp;
	rq.lo = ir_qmin(yv->dt);
	rq.hi = ir_qmax(yv->dt);
	LLVMValueRef i = tgt_upto(c, &l, numel(xv));
	LLVMValueRef v = LLVMBuildSExt(c->b, tgt_load(c, tgt_type(c, xv->dt), x, i), c->ti32, "");
	v = LLVMBuildSub(c->b, v, tgt_c32(c, xv->q.zp), "");
	v = tgt_requant(c, v, tgt_c32(c, mult), tgt_c32(c, shift), &rq);
	tgt_store(c, LLVMBuildTrunc(c->b, v, tgt_type(c, yv->dt), ""), y, i);
	tgt_loop_close(c, &l);
}

/* ---- checks and dispatch ---------------------------------------------------- */

static int bad_types(Cg *c, const Node *nd, const char *why)
{
	const Graph *g = c->g;
	char buf[256];
	size_t k = 0;

	for (int i = 0; i < nd->nin && k < sizeof buf; i++)
		k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s:%s", i ? ", " : "",
		                      g->vals[nd->in[i]].name, ir_dtype_name(g->vals[nd->in[i]].dt));
	diag_error(c->d, nd->loc, "%s '%s': cannot compile %s (operands %s; result %s)",
	           ir_ops[nd->op].name, g->vals[nd->out].name, why, buf,
	           ir_dtype_name(g->vals[nd->out].dt));
	return 1;
}

static int per_tensor(const Value *v)
{
	return v->q.present && v->q.n == 1 && v->q.scale;
}

static int is_int_q(const Value *v)
{
	return (v->dt == DT_I8 || v->dt == DT_I16) && per_tensor(v);
}

static int is_const(const Value *v, DType dt)
{
	return v->kind == VK_CONST && v->data && v->dt == dt;
}

/* conv2d/dense: f32 everywhere, or int8 activations (per tensor), int8
 * weights (zero point 0, per tensor or per output channel along axis 0) and
 * an int32 bias. */
static int check_weighted(Cg *c, const Node *nd)
{
	const Graph *g = c->g;
	const Value *x = &g->vals[nd->in[0]], *w = &g->vals[nd->in[1]], *y = &g->vals[nd->out];
	const Value *bias = nd->nin > 2 ? &g->vals[nd->in[2]] : NULL;
	int64_t oc = w->shape.d[0];

	if (y->dt == DT_F32) {
		if (x->dt != DT_F32 || !is_const(w, DT_F32) || (bias && !is_const(bias, DT_F32)))
			return bad_types(c, nd, "mixed float and integer types");
		return 0;
	}
	if ((y->dt != DT_I8 && y->dt != DT_I16) || x->dt != y->dt || !is_const(w, DT_I8) ||
	    (bias && !is_const(bias, DT_I32) && !(y->dt == DT_I16 && is_const(bias, DT_I64))))
		return bad_types(c, nd, "this type combination (expected f32; or i8 or i16 activations "
		                 "with i8 weights and an i32 bias, i64 allowed for i16)");
	if (!per_tensor(x) || !per_tensor(y))
		return bad_types(c, nd, "activations without per-tensor quantization");
	if (!w->q.present || !w->q.scale || w->q.zp != 0 ||
	    !(w->q.n == 1 || (w->q.n == oc && w->q.axis == 0)))
		return bad_types(c, nd, "weights without symmetric per-channel (axis 0) quantization");
	return 0;
}

static int check_shapes(Cg *c, const Node *nd)
{
	const Graph *g = c->g;
	const Value *x = &g->vals[nd->in[0]], *y = &g->vals[nd->out];
	const Value *w = nd->nin > 1 ? &g->vals[nd->in[1]] : NULL;
	const Value *bias = nd->nin > 2 ? &g->vals[nd->in[2]] : NULL;
	const Attrs *a = &nd->a;
	int ok = 1;

	switch (nd->op) {
	case OP_CONV2D:
		ok = x->shape.rank == 4 && w->shape.rank == 4 && y->shape.rank == 4 && a->groups >= 1 &&
		     x->shape.d[1] % a->groups == 0 && w->shape.d[0] % a->groups == 0 &&
		     w->shape.d[1] * a->groups == x->shape.d[1] && y->shape.d[0] == x->shape.d[0] &&
		     y->shape.d[1] == w->shape.d[0] && a->stride[0] >= 1 && a->stride[1] >= 1 &&
		     a->dilation[0] >= 1 && a->dilation[1] >= 1;
		break;
	case OP_DENSE:
		ok = x->shape.rank == 2 && w->shape.rank == 2 && y->shape.rank == 2 &&
		     w->shape.d[1] == x->shape.d[1] && y->shape.d[0] == x->shape.d[0] &&
		     y->shape.d[1] == w->shape.d[0];
		break;
	case OP_MAXPOOL2D:
		ok = x->shape.rank == 4 && y->shape.rank == 4 && y->shape.d[0] == x->shape.d[0] &&
		     y->shape.d[1] == x->shape.d[1] && a->stride[0] >= 1 && a->stride[1] >= 1 &&
		     a->kernel[0] >= 1 && a->kernel[1] >= 1 && a->dilation[0] >= 1 &&
		     a->dilation[1] >= 1;
		break;
	case OP_QUANTIZE:
	case OP_DEQUANTIZE:
		ok = ir_shape_numel(&x->shape) == ir_shape_numel(&y->shape);
		break;
	case OP_ADD:
	case OP_SUB:
	case OP_MUL:
	case OP_DIV:
	case OP_CONCAT:
		return tgt_check_eltwise(c, nd);
	case OP_AVGPOOL2D:
	case OP_GLOBAL_AVGPOOL:
	case OP_PAD:
	case OP_TRANSPOSE:
		return tgt_check_pool(c, nd);
	default:
		ok = ir_value_bytes(x) == ir_value_bytes(y);
		break;
	}
	if (ok && bias)
		ok = ir_shape_numel(&bias->shape) == w->shape.d[0];
	if (ok && w)
		ok = w->shape.rank >= 1;
	if (!ok)
		diag_error(c->d, nd->loc, "%s '%s': operand shapes do not fit together",
		           ir_ops[nd->op].name, y->name);
	return !ok;
}

static int check_node(Cg *c, const Node *nd)
{
	const Graph *g = c->g;
	const Value *x = &g->vals[nd->in[0]], *y = &g->vals[nd->out];

	if (check_shapes(c, nd))
		return 1;
	switch (nd->op) {
	case OP_CONV2D:
	case OP_DENSE:
		return check_weighted(c, nd);
	case OP_RELU:
	case OP_MAXPOOL2D:
		if (x->dt != y->dt || (x->dt != DT_F32 && x->dt != DT_I8 && x->dt != DT_I16))
			return bad_types(c, nd, "these types");
		if (x->dt != DT_F32 && !per_tensor(x))
			return bad_types(c, nd, "an input without per-tensor quantization");
		return 0;
	case OP_FLATTEN:
	case OP_RESHAPE:
		if (x->dt != y->dt)
			return bad_types(c, nd, "a change of type");
		return 0;
	case OP_ADD:
	case OP_SUB:
	case OP_MUL:
	case OP_DIV:
	case OP_CONCAT:
		return 0; /* tgt_check_eltwise, from check_shapes */
	case OP_AVGPOOL2D:
	case OP_GLOBAL_AVGPOOL:
	case OP_PAD:
	case OP_TRANSPOSE:
		return 0; /* tgt_check_pool, from check_shapes */
	case OP_CLIP:
	case OP_LEAKY_RELU:
	case OP_SIGMOID:
	case OP_TANH:
	case OP_HARD_SIGMOID:
	case OP_HARD_SWISH:
	case OP_SOFTMAX:
		return tgt_check_act(c, nd);
	case OP_QUANTIZE:
		if (!is_int_q(y) || !(x->dt == DT_F32 || is_int_q(x)))
			return bad_types(c, nd, "this conversion (expected f32, i8 or i16 into i8 or i16, "
			                 "quantized per tensor)");
		return 0;
	case OP_DEQUANTIZE:
		if (!is_int_q(x) || y->dt != DT_F32)
			return bad_types(c, nd, "this conversion (expected i8 or i16 quantized per tensor "
			                 "into f32)");
		return 0;
	default:
		diag_error(c->d, nd->loc, "the backend cannot compile %s yet", ir_ops[nd->op].name);
		return 1;
	}
}

/* The element-wise ops whose kernels may write over their input. */
static int in_place_ok(Op op)
{
	return op == OP_RELU || op == OP_CLIP || op == OP_LEAKY_RELU || op == OP_SIGMOID ||
	       op == OP_TANH || op == OP_HARD_SIGMOID || op == OP_HARD_SWISH;
}

/* Two tensors' arena ranges overlap. */
static int overlap(const Value *a, const Value *b)
{
	return a->offset < b->offset + ir_value_bytes(b) && b->offset < a->offset + ir_value_bytes(a);
}

int tgt_lower_node(Cg *c, int n, LLVMValueRef *kernel)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *x = &g->vals[nd->in[0]], *y = &g->vals[nd->out];
	char name[320];
	LLVMValueRef fn;
	int apart = x->kind == VK_CONST || !overlap(x, y); /* a constant is a global */

	*kernel = NULL;
	if (check_node(c, nd))
		return 1;
	if ((nd->op == OP_FLATTEN || nd->op == OP_RESHAPE) && x->kind != VK_CONST &&
	    x->offset == y->offset)
		return 0; /* already in place */
	/* element-wise ops that keep the storage type may run in place (each
	 * element is read before it is written; plan-memory shares them,
	 * passes/arena.c), copies use memmove; nothing else may share bytes
	 * between input and output */
	if (!apart && !(in_place_ok(nd->op) && x->offset == y->offset && x->dt == y->dt) &&
	    nd->op != OP_FLATTEN && nd->op != OP_RESHAPE) {
		diag_error(c->d, nd->loc, "%s '%s': its input and output share arena bytes",
		           ir_ops[nd->op].name, y->name);
		return 1;
	}
	snprintf(name, sizeof name, "%s.%s%d", c->name, ir_ops[nd->op].name, n);
	if (nd->op == OP_ADD || nd->op == OP_SUB || nd->op == OP_MUL || nd->op == OP_DIV ||
	    nd->op == OP_CONCAT)
		fn = tgt_kernel_begin_n(c, name, apart, nd->nin + 1);
	else
		fn = tgt_kernel_begin(c, name, apart);
	LLVMValueRef px = LLVMGetParam(fn, 0), py = LLVMGetParam(fn, 1);
	switch (nd->op) {
	case OP_CONV2D: tgt_lower_conv2d(c, n, fn); break;
	case OP_ADD:
	case OP_SUB:
	case OP_MUL:
	case OP_DIV:
	case OP_CONCAT: tgt_lower_eltwise(c, n, fn); break;
	case OP_DENSE:
		if (!tgt_dense_smlad(c, n, px, py) &&
		    !tgt_dense_f32(c, n, px, py)) /* kernel_armm.c, lower_dense_f32.c */
			lower_dense(c, n, px, py);
		break;
	case OP_CLIP:
	case OP_LEAKY_RELU:
	case OP_SIGMOID:
	case OP_TANH:
	case OP_HARD_SIGMOID:
	case OP_HARD_SWISH:
	case OP_SOFTMAX: tgt_lower_act(c, n, px, py); break;
	case OP_RELU: lower_relu(c, n, px, py); break;
	case OP_MAXPOOL2D: lower_maxpool(c, n, px, py); break;
	case OP_AVGPOOL2D:
	case OP_GLOBAL_AVGPOOL:
	case OP_PAD:
	case OP_TRANSPOSE: tgt_lower_pool(c, n, px, py); break;
	case OP_QUANTIZE:
	case OP_DEQUANTIZE: lower_convert(c, n, px, py); break;
	default: lower_copy(c, n, px, py); break;
	}
	tgt_kernel_end(c);
	*kernel = fn;
	return 0;
}
