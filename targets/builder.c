/* targets/builder.c — the LLVM builder helpers every lowering file uses:
 * counted loops and ifs, index arithmetic, loads and stores, stack slots,
 * kernel functions, and the constant globals (shared among equal contents
 * in a multi-level object).
 */
#include <stdlib.h>
#include <string.h>

#include "targets.h"

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

void tgt_requant_tables(Cg *c, int n, int64_t oc, int64_t len, const char *tag, LLVMValueRef *mult,
                        LLVMValueRef *shift, LLVMValueRef *fm)
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
			float f = ir_requant_float_mult(
			        x->q.scale[0], qw->scale[qw->n == 1 ? 0 : i], y->q.scale[0]);
			memcpy(&m[i], &f, sizeof f);
		}
	}
	for (int pass = 0; pass < (g->requant_float ? 1 : 2); pass++) {
		const int32_t *v = pass ? sh : m;
		for (int64_t i = 0; i < len; i++)
			for (int b = 0; b < 4; b++)
				buf[4 * i + b] = (unsigned char)((uint32_t)v[i] >> (8 * b));
		snprintf(name, sizeof name, "%s.%s%s%d", c->name,
		         g->requant_float ? "fm"
		         : pass           ? "sh"
		                          : "m",
		         tag, n);
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

LLVMValueRef tgt_const_of(Cg *c, int v, const char *name, const void *bytes, size_t n)
{
	int share = c->share_consts;

	/* the table shares by contents: only what shared values make goes in
	 * (or everything, in a multi-ISA object), so no other global merges */
	if (c->readers && c->readers[v] > 1)
		c->share_consts = 1;
	LLVMValueRef gv = tgt_const_bytes(c, name, bytes, n);
	c->share_consts = share;
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
	LLVMAddCallSiteAttribute(
	        call, LLVMAttributeFunctionIndex,
	        LLVMCreateEnumAttribute(c->ctx, LLVMGetEnumAttributeKindForName("nobuiltin", 9),
	                                0));
}

LLVMTypeRef tgt_type(Cg *c, DType dt)
{
	switch (dt) {
	case DT_F32: return c->tf32;
	case DT_I8:
	case DT_U8: return c->ti8;
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
	LLVMTypeRef params[2 + IR_MAX_IN];
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
		case 2: {
			uint16_t t;
			memcpy(&t, s, 2);
			v = t;
			break;
		}
		case 4: {
			uint32_t t;
			memcpy(&t, s, 4);
			v = t;
			break;
		}
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
			put_le(buf + i * sz, (const unsigned char *)val->data + perm[i] * sz,
			       val->dt, 1);
	} else
		put_le(buf, val->data, val->dt, cnt);
	snprintf(name, sizeof name, "%s.%s%d", c->name, tag, n);
	gv = tgt_const_of(c, v, name, buf, (size_t)(cnt * sz));
	free(buf);
	return gv;
}

int tgt_in_place(const Cg *c, int in, int out)
{
	const Value *x = &c->g->vals[in], *y = &c->g->vals[out];

	return x->kind != VK_CONST && y->kind != VK_CONST && x->offset >= 0 &&
	       x->offset == y->offset && ir_value_bytes(x) == ir_value_bytes(y);
}
