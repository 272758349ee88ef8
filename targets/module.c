/* module.c — the LLVM module of a compiled model (docs/abi.md): the
 * private body that runs the kernels in node order over the arena, the
 * entry points NAME_run (float edge) and NAME_run_q (storage-type edge), and
 * the constant NAME_model description with the exact layout of qrt_model.
 * Also the checks that the graph is one the backend can compile (and that
 * a quantized model keeps its layers integer on a target without an FPU), the
 * instrumentation of the debug twin (--instrument: a qrt_trace call after
 * every layer; without it the module is exactly what it would be otherwise).
 *
 * The module has no writable global and no undefined symbol besides the
 * qrt_* edge helpers (and qrt_trace when instrumented, qrt_x86_level in the
 * multi-ISA x86-64 object: build_levels) and memcpy/memmove (see tgt_copy).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "targets.h"

int tgt_is_identifier(const char *s)
{
	if (!s || !(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return 0;
	for (s++; *s; s++)
		if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9')))
			return 0;
	return 1;
}

/* An index input (i32, i64: embedding ids, Gather indices) is never
 * quantized: both entry points take it as it is (docs/abi.md); so is an
 * int64 output (integer arithmetic of the model). */
static int index_input(const Value *v)
{
	return v->kind == VK_INPUT && (v->dt == DT_I64 || v->dt == DT_I32);
}

/* A u8 mask input or output (ONNX bool, 0 or 1) and an int64 output are
 * never quantized either: uint8_t / int64_t in both entry points. */
static int raw_io(const Value *v)
{
	return index_input(v) || v->dt == DT_U8 || v->dt == DT_I64;
}
static int io_dtype_ok(const Value *v)
{
	if (v->dt == DT_F32 || raw_io(v))
		return 1;
	return (v->dt == DT_I8 || v->dt == DT_I16) && v->q.present && v->q.n == 1 && v->q.scale;
}

static int check_io(const Graph *g, int v, const char *what, Diag *d)
{
	const Value *val = &g->vals[v];

	if (!io_dtype_ok(val)) {
		diag_error(d, val->loc,
		           "%s '%s' is %s%s; the generated interface takes f32, or i8/i16 "
		           "quantized per tensor%s",
		           what, val->name, ir_dtype_name(val->dt),
		           val->dt == DT_F32 || val->q.present ? "" : " without quantization",
		           val->kind == VK_INPUT ? " (or i32/i64 indices, u8 masks)"
		                                 : " (or i64, u8 masks)");
		return 1;
	}
	if (val->shape.rank > IR_MAX_RANK || ir_shape_numel(&val->shape) > UINT32_MAX) {
		diag_error(d, val->loc, "%s '%s' is too large", what, val->name);
		return 1;
	}
	return 0;
}

int tgt_check_graph(const Graph *g, int ptr_bits, Diag *d)
{
	int before = d->nerrors;
	int64_t limit = ptr_bits == 32 ? INT32_MAX : UINT32_MAX;

	if (g->arena_size <= 0 && g->nval > 0) {
		diag_error(d, loc_file(g->file),
		           "the graph has no memory plan (run plan-memory first)");
		return 1;
	}
	if (g->arena_size > limit) {
		diag_error(d, loc_file(g->file),
		           "the arena needs %lld bytes, more than this target "
		           "addresses (%lld)",
		           (long long)g->arena_size, (long long)limit);
		return 1;
	}
	for (int v = 0; v < g->nval; v++) {
		const Value *val = &g->vals[v];
		int64_t bytes;

		if (!val->has_type) {
			diag_error(d, val->loc, "'%s' has no type (run infer-shapes first)",
			           val->name);
			continue;
		}
		bytes = ir_value_bytes(val);
		if (val->q.present && (val->dt == DT_I8 || val->dt == DT_I16)) {
			int bad = !val->q.scale || val->q.n < 1 || val->q.zp < ir_qmin(val->dt) ||
			          val->q.zp > ir_qmax(val->dt);
			for (int i = 0; !bad && i < val->q.n; i++)
				bad = !(val->q.scale[i] > 0) || isinf(val->q.scale[i]);
			if (bad)
				diag_error(
				        d, val->loc,
				        "'%s' has invalid quantization parameters (a scale "
				        "that is not positive and finite, or a zero point outside %s)",
				        val->name, ir_dtype_name(val->dt));
		}
		if (val->kind == VK_CONST) {
			if (!val->data)
				diag_error(d, val->loc, "constant '%s' has no data", val->name);
			else if (bytes > limit)
				diag_error(d, val->loc,
				           "constant '%s' is too large for this target", val->name);
			continue;
		}
		if (val->def < 0 && val->kind != VK_INPUT)
			continue; /* unused; never touched */
		if (val->offset < 0 || val->offset % IR_ALIGN ||
		    val->offset + bytes > g->arena_size)
			diag_error(d, val->loc,
			           "'%s' has no valid arena offset (offset %lld, %lld bytes, "
			           "arena %lld)",
			           val->name, (long long)val->offset, (long long)bytes,
			           (long long)g->arena_size);
	}
	for (int n = 0; n < g->nnode; n++) {
		const int64_t *s = g->nodes[n].a.scratch;
		if (s[1] > 0 && (s[0] % IR_ALIGN || s[0] + s[1] > g->arena_size))
			diag_error(d, g->nodes[n].loc,
			           "'%s': its scratch is no valid arena place (offset %lld, "
			           "%lld bytes, arena %lld)",
			           g->vals[g->nodes[n].out].name, (long long)s[0], (long long)s[1],
			           (long long)g->arena_size);
	}
	if (d->nerrors != before)
		return d->nerrors - before;
	for (int i = 0; i < g->ninput; i++)
		check_io(g, g->inputs[i], "input", d);
	for (int i = 0; i < g->noutput; i++)
		check_io(g, g->outputs[i], "output", d);
	return d->nerrors - before;
}

/* ---- the body ---------------------------------------------------------------- */

/* Where value v lives: its arena slot, or for a constant (an output or
 * an operand that no pass folded) a private global, made once. */
static LLVMValueRef arena_ptr(Cg *c, LLVMValueRef arena, int v)
{
	if (c->g->vals[v].kind == VK_CONST) {
		if (!c->cglob[v])
			c->cglob[v] = tgt_const_value(c, v, NULL, "c", v);
		return c->cglob[v];
	}
	return tgt_gep(c, c->ti8, arena, tgt_cidx(c, c->g->vals[v].offset));
}

int tgt_trace_layers(const Graph *g, int *vals)
{
	int n = 0;

	for (int i = 0; i < g->ninput; i++, n++)
		if (vals)
			vals[n] = g->inputs[i];
	for (int i = 0; i < g->nnode; i++)
		if (g->nodes[i].op != OP_NONE) {
			if (vals)
				vals[n] = g->nodes[i].out;
			n++;
		}
	return n;
}

/* void qrt_trace(uint32_t layer_id, const void *data, uint32_t bytes).  Its
 * contract (qrt.h) lets data be nocapture readonly: the arena stays noalias
 * in the body. */
static LLVMValueRef trace_fn(Cg *c)
{
	LLVMTypeRef p[3] = {c->ti32, c->tptr, c->ti32};
	LLVMValueRef fn = LLVMGetNamedFunction(c->mod, "qrt_trace");

	if (fn) /* declared by an earlier level's body */
		return fn;
	fn = LLVMAddFunction(c->mod, "qrt_trace", LLVMFunctionType(c->tvoid, p, 3, 0));

	tgt_add_attr(c, fn, LLVMAttributeFunctionIndex, "nounwind", 0);
	tgt_add_attr(c, fn, 2, "nocapture", 0);
	tgt_add_attr(c, fn, 2, "readonly", 0);
	if (c->tm->riscv && c->tm->ptr_bits == 64) {
		tgt_add_attr(c, fn, 1, "signext", 0);
		tgt_add_attr(c, fn, 3, "signext", 0);
	}
	return fn;
}

/* qrt_trace_nhwc(id, v's bytes, its node's scratch, C, H*W, element
 * bytes): v stored NHWC, traced as the model's NCHW (plan-memory gave the
 * node scratch for it: load.c). */
static void call_trace_nhwc(Cg *c, LLVMValueRef arena, int id, int v)
{
	const Value *val = &c->g->vals[v];
	const Node *nd = &c->g->nodes[val->def];
	LLVMTypeRef p[7] = {c->ti32, c->tptr, c->ti32, c->tptr, c->ti32, c->ti32, c->ti32};
	LLVMTypeRef ft = LLVMFunctionType(c->tvoid, p, 7, 0);
	LLVMValueRef fn = tgt_intrinsic(c, "qrt_trace_nhwc", ft);
	int64_t bytes = ir_value_bytes(val);

	if (nd->a.scratch[1] < bytes)
		ICE("'%s': no scratch to trace its NHWC bytes in", val->name);
	LLVMValueRef args[7] = {
	        tgt_c32(c, id),
	        arena_ptr(c, arena, v),
	        tgt_c32(c, bytes),
	        tgt_gep(c, c->ti8, arena, tgt_cidx(c, nd->a.scratch[0])),
	        tgt_c32(c, val->shape.d[1]),
	        tgt_c32(c, val->shape.d[2] * val->shape.d[3]),
	        tgt_c32(c, bytes / ir_shape_numel(&val->shape)),
	};
	LLVMValueRef call = LLVMBuildCall2(c->b, ft, fn, args, 7, "");
	if (c->tm->riscv && c->tm->ptr_bits == 64) {
		unsigned k = LLVMGetEnumAttributeKindForName("signext", 7);
		for (unsigned i = 1; i <= 7; i++)
			if (i != 2 && i != 4)
				LLVMAddCallSiteAttribute(call, i,
				                         LLVMCreateEnumAttribute(c->ctx, k, 0));
	}
}

/* qrt_trace(id, v's bytes in the arena): the instrumented object's report
 * that layer id, value v, is complete. */
static void call_trace(Cg *c, LLVMValueRef fn, LLVMValueRef arena, int id, int v)
{
	LLVMValueRef args[3] = {
	        tgt_c32(c, id),
	        arena_ptr(c, arena, v),
	        tgt_c32(c, ir_value_bytes(&c->g->vals[v])),
	};
	LLVMValueRef call = LLVMBuildCall2(c->b, LLVMGlobalGetValueType(fn), fn, args, 3, "");

	if (c->tm->riscv && c->tm->ptr_bits == 64) {
		unsigned k = LLVMGetEnumAttributeKindForName("signext", 7);
		LLVMAddCallSiteAttribute(call, 1, LLVMCreateEnumAttribute(c->ctx, k, 0));
		LLVMAddCallSiteAttribute(call, 3, LLVMCreateEnumAttribute(c->ctx, k, 0));
	}
}

/* A private void f(ptr arena) with the arena's attributes; the builder at
 * its entry. */
static LLVMValueRef body_fn(Cg *c, const char *name)
{
	LLVMTypeRef ft = LLVMFunctionType(c->tvoid, &c->tptr, 1, 0);
	LLVMValueRef fn = LLVMAddFunction(c->mod, name, ft);

	LLVMSetLinkage(fn, LLVMPrivateLinkage);
	tgt_add_attr(c, fn, LLVMAttributeFunctionIndex, "nounwind", 0);
	tgt_add_attr(c, fn, 1, "noalias", 0);
	tgt_add_attr(c, fn, 1, "nocapture", 0);
	tgt_add_attr(c, fn, 1, "nonnull", 0);
	tgt_add_attr(c, fn, 1, "align", IR_ALIGN);
	LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, fn, "entry"));
	return fn;
}

/* A graph with more than TGT_INLINE_MAX_NODES nodes runs its kernels from
 * parts of BODY_PART nodes each, which the body calls in order: one
 * function of 100,000 calls made the code generator superlinear. */
enum { BODY_PART = 256 };

/* The kernels in node order.  Instrumented, the body first traces the
 * inputs (the entry points have quantized them into the arena by then) and
 * then every node's output right after its kernel, before a later kernel
 * may reuse the bytes; the layer ids are those of tgt_trace_layers. */
static LLVMValueRef build_body(Cg *c, LLVMValueRef *kernels)
{
	char name[320];
	LLVMValueRef fn, part = NULL, arena, body_arena, trace = NULL;
	int id = 0, split = c->g->nnode > TGT_INLINE_MAX_NODES;

	snprintf(name, sizeof name, "%s_body", c->name);
	fn = body_fn(c, name);
	body_arena = arena = LLVMGetParam(fn, 0);
	if (c->instrument) {
		trace = trace_fn(c);
		LLVMPositionBuilderAtEnd(c->b, LLVMGetEntryBasicBlock(fn));
		for (int i = 0; i < c->g->ninput; i++)
			call_trace(c, trace, arena, id++, c->g->inputs[i]);
	}
	for (int n = 0; n < c->g->nnode; n++) {
		const Node *nd = &c->g->nodes[n];
		LLVMValueRef args[2 + IR_MAX_IN];

		if (split && n % BODY_PART == 0) {
			/* the previous part is complete; the body calls the next */
			if (part)
				LLVMBuildRetVoid(c->b);
			snprintf(name, sizeof name, "%s_body.%d", c->name, n / BODY_PART);
			part = body_fn(c, name);
			tgt_add_attr(c, part, LLVMAttributeFunctionIndex, "noinline", 0);
			LLVMPositionBuilderAtEnd(c->b, LLVMGetLastBasicBlock(fn));
			LLVMBuildCall2(c->b, LLVMGlobalGetValueType(part), part, &body_arena, 1,
			               "");
			LLVMPositionBuilderAtEnd(c->b, LLVMGetEntryBasicBlock(part));
			arena = LLVMGetParam(part, 0);
		}
		if (kernels[n]) {
			/* inlined into one function, thousands of kernels make LLVM's
			 * SLP vectorizer superlinear in their number;
			 * kept apart, each is optimized on its own, in linear time */
			if (split)
				tgt_add_attr(c, kernels[n], LLVMAttributeFunctionIndex, "noinline",
				             0);
			/* operand 0, the result, then operands 1.. for a kernel that
			 * takes them (add, mul, concat: fam_elementwise.c) */
			unsigned np = LLVMCountParams(kernels[n]), scr = nd->a.scratch[1] > 0;
			args[0] = arena_ptr(c, arena, nd->in[0]);
			args[1] = arena_ptr(c, arena, nd->out);
			for (unsigned k = 2; k < np - scr; k++)
				args[k] = arena_ptr(c, arena, nd->in[k - 1]);
			/* then its scratch (plan-memory's, tgt_scratch_at) */
			if (scr)
				args[np - 1] = tgt_gep(c, c->ti8, arena,
				                       tgt_cidx(c, nd->a.scratch[0]));
			LLVMBuildCall2(c->b, LLVMGlobalGetValueType(kernels[n]), kernels[n], args,
			               np, "");
		}
		if (trace && nd->op != OP_NONE && nd->a.layout == IR_LAYOUT_NHWC)
			call_trace_nhwc(c, arena, id++, nd->out);
		else if (trace && nd->op != OP_NONE)
			call_trace(c, trace, arena, id++, nd->out);
	}
	if (part)
		LLVMBuildRetVoid(c->b);
	LLVMPositionBuilderAtEnd(c->b, LLVMGetLastBasicBlock(fn));
	LLVMBuildRetVoid(c->b);
	return fn;
}

/* ---- entry points -------------------------------------------------------------- */

/* void qrt_{quantize,dequantize}_s{8,16}(ptr, ptr, uint32_t n, float scale,
 * int32_t zp); RV64 passes 32-bit integers sign-extended. */
static LLVMValueRef edge_fn(Cg *c, const char *name)
{
	LLVMValueRef fn = LLVMGetNamedFunction(c->mod, name);
	LLVMTypeRef p[5] = {c->tptr, c->tptr, c->ti32, c->tf32, c->ti32};

	if (fn)
		return fn;
	fn = LLVMAddFunction(c->mod, name, LLVMFunctionType(c->tvoid, p, 5, 0));
	tgt_add_attr(c, fn, LLVMAttributeFunctionIndex, "nounwind", 0);
	if (c->tm->riscv && c->tm->ptr_bits == 64) {
		tgt_add_attr(c, fn, 3, "signext", 0);
		tgt_add_attr(c, fn, 5, "signext", 0);
	}
	return fn;
}

void tgt_call_edge(Cg *c, const char *name, LLVMValueRef from, LLVMValueRef to, const Value *v)
{
	if (tgt_quantize_inline(c, name, from, to, v)) /* vector code, same bytes */
		return;
	LLVMValueRef fn = edge_fn(c, name);
	LLVMValueRef args[5] = {
	        from,
	        to,
	        tgt_c32(c, ir_shape_numel(&v->shape)),
	        LLVMConstReal(c->tf32, v->q.scale[0]),
	        tgt_c32(c, v->q.zp),
	};
	LLVMValueRef call = LLVMBuildCall2(c->b, LLVMGlobalGetValueType(fn), fn, args, 5, "");

	if (c->tm->riscv && c->tm->ptr_bits == 64) {
		unsigned k = LLVMGetEnumAttributeKindForName("signext", 7);
		LLVMAddCallSiteAttribute(call, 3, LLVMCreateEnumAttribute(c->ctx, k, 0));
		LLVMAddCallSiteAttribute(call, 5, LLVMCreateEnumAttribute(c->ctx, k, 0));
	}
}

static void copy_in_out(Cg *c, LLVMValueRef arena, int vi, LLVMValueRef user, int in)
{
	const Value *v = &c->g->vals[vi];
	LLVMValueRef slot = arena_ptr(c, arena, vi);
	unsigned ua = (unsigned)ir_dtype_size(v->dt);

	if (in)
		tgt_copy(c, slot, IR_ALIGN, user, ua, ir_value_bytes(v), 0);
	else
		tgt_copy(c, user, ua, slot, IR_ALIGN, ir_value_bytes(v), 0);
}

/* int NAME_run(in..., out..., arena), or NAME_run_q with storage types. */
static void build_run(Cg *c, LLVMValueRef body, int storage)
{
	const Graph *g = c->g;
	int np = g->ninput + g->noutput + 1;
	LLVMTypeRef *pt = ir_xmalloc((size_t)np * sizeof *pt);
	char name[320];
	LLVMValueRef fn, arena, bad;
	LLVMBasicBlockRef entry, fail_null, check_align, fail_align, go;
	LLVMBuilderRef b = c->b;

	for (int i = 0; i < np; i++)
		pt[i] = c->tptr;
	snprintf(name, sizeof name, "%s_%s", c->name, storage ? "run_q" : "run");
	fn = LLVMAddFunction(c->mod, name, LLVMFunctionType(c->ti32, pt, (unsigned)np, 0));
	free(pt);
	tgt_add_attr(c, fn, LLVMAttributeFunctionIndex, "nounwind", 0);
	if (c->tm->riscv && c->tm->ptr_bits == 64)
		tgt_add_attr(c, fn, LLVMAttributeReturnIndex, "signext", 0);
	arena = LLVMGetParam(fn, (unsigned)np - 1);
	entry = LLVMAppendBasicBlockInContext(c->ctx, fn, "entry");
	fail_null = LLVMAppendBasicBlockInContext(c->ctx, fn, "null");
	check_align = LLVMAppendBasicBlockInContext(c->ctx, fn, "check_align");
	fail_align = LLVMAppendBasicBlockInContext(c->ctx, fn, "misaligned");
	go = LLVMAppendBasicBlockInContext(c->ctx, fn, "go");

	LLVMPositionBuilderAtEnd(b, entry);
	bad = LLVMConstInt(c->ti1, 0, 0);
	for (int i = 0; i < np; i++)
		bad = LLVMBuildOr(b, bad, LLVMBuildIsNull(b, LLVMGetParam(fn, (unsigned)i), ""),
		                  "");
	LLVMBuildCondBr(b, bad, fail_null, check_align);
	LLVMPositionBuilderAtEnd(b, fail_null);
	LLVMBuildRet(b, tgt_c32(c, 1)); /* QRT_ERR_NULL */
	LLVMPositionBuilderAtEnd(b, check_align);
	LLVMValueRef low = LLVMBuildAnd(b, LLVMBuildPtrToInt(b, arena, c->tidx, ""),
	                                tgt_cidx(c, IR_ALIGN - 1), "");
	LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntNE, low, tgt_cidx(c, 0), ""), fail_align, go);
	LLVMPositionBuilderAtEnd(b, fail_align);
	LLVMBuildRet(b, tgt_c32(c, 2)); /* QRT_ERR_ALIGN */

	LLVMPositionBuilderAtEnd(b, go);
	for (int i = 0; i < g->ninput; i++) {
		const Value *v = &g->vals[g->inputs[i]];
		LLVMValueRef user = LLVMGetParam(fn, (unsigned)i);

		if (storage || v->dt == DT_F32 || raw_io(v))
			copy_in_out(c, arena, g->inputs[i], user, 1);
		else
			tgt_call_edge(c,
			              v->dt == DT_I16    ? "qrt_quantize_s16"
			              : g->requant_float ? "qrt_quantize_s8_even"
			                                 : "qrt_quantize_s8",
			              user, arena_ptr(c, arena, g->inputs[i]), v);
	}
	LLVMBuildCall2(b, LLVMGlobalGetValueType(body), body, &arena, 1, "");
	for (int i = 0; i < g->noutput; i++) {
		const Value *v = &g->vals[g->outputs[i]];
		LLVMValueRef user = LLVMGetParam(fn, (unsigned)(g->ninput + i));

		if (storage || v->dt == DT_F32 || raw_io(v))
			copy_in_out(c, arena, g->outputs[i], user, 0);
		else
			tgt_call_edge(c,
			              v->dt == DT_I8 ? "qrt_dequantize_s8" : "qrt_dequantize_s16",
			              arena_ptr(c, arena, g->outputs[i]), user, v);
	}
	LLVMBuildRet(b, tgt_c32(c, 0));
}

/* ---- NAME_model ------------------------------------------------------------------ */

static LLVMValueRef const_global(Cg *c, LLVMValueRef init, const char *name)
{
	LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMTypeOf(init), name);

	LLVMSetInitializer(gv, init);
	LLVMSetGlobalConstant(gv, 1);
	LLVMSetLinkage(gv, LLVMPrivateLinkage);
	LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
	return gv;
}

static LLVMValueRef cstring(Cg *c, const char *s, const char *name)
{
	return const_global(c, LLVMConstStringInContext2(c->ctx, s, strlen(s), 0), name);
}

static int qrt_dtype_of(DType dt)
{
	switch (dt) {
	case DT_F32: return 0;
	case DT_I8: return 1;
	case DT_I16: return 2;
	case DT_I32: return 3;
	case DT_I64: return 4;
	case DT_U8: return 5;
	default: ICE("no qrt_dtype for %s", ir_dtype_name(dt));
	}
}

/* const qrt_tensor_info[n] for the values vs, or a null pointer if n == 0. */
static LLVMValueRef tensor_infos(Cg *c, LLVMTypeRef tinfo, const int *vs, int n, const char *what)
{
	LLVMValueRef *elts, arr, gv;
	char name[320];

	if (n == 0)
		return LLVMConstPointerNull(c->tptr);
	elts = ir_xmalloc((size_t)n * sizeof *elts);
	for (int i = 0; i < n; i++) {
		const Value *v = &c->g->vals[vs[i]];
		LLVMValueRef dims[IR_MAX_RANK], f[7], shape;
		int quant = v->dt != DT_F32 && !raw_io(v);

		for (int k = 0; k < v->shape.rank; k++)
			dims[k] = tgt_c32(c, v->shape.d[k]);
		snprintf(name, sizeof name, "%s.%s%d.shape", c->name, what, i);
		shape = LLVMConstPointerNull(c->tptr);
		if (v->shape.rank)
			shape = const_global(
			        c, LLVMConstArray2(c->ti32, dims, (uint64_t)v->shape.rank), name);
		snprintf(name, sizeof name, "%s.%s%d.name", c->name, what, i);
		f[0] = cstring(c, v->name, name);
		f[1] = tgt_c32(c, qrt_dtype_of(v->dt));
		f[2] = tgt_c32(c, v->shape.rank);
		f[3] = shape;
		f[4] = tgt_c32(c, ir_shape_numel(&v->shape));
		f[5] = LLVMConstReal(c->tf32, quant ? v->q.scale[0] : 0.0);
		f[6] = tgt_c32(c, quant ? v->q.zp : 0);
		elts[i] = LLVMConstNamedStruct(tinfo, f, 7);
	}
	arr = LLVMConstArray2(tinfo, elts, (uint64_t)n);
	free(elts);
	snprintf(name, sizeof name, "%s.%ss", c->name, what);
	gv = const_global(c, arr, name);
	return gv;
}

static void build_model_info(Cg *c)
{
	const Graph *g = c->g;
	LLVMTypeRef tinfo = LLVMStructCreateNamed(c->ctx, "qrt_tensor_info");
	LLVMTypeRef tmodel = LLVMStructCreateNamed(c->ctx, "qrt_model");
	LLVMTypeRef fi[7] = {c->tptr, c->ti32, c->ti32, c->tptr, c->ti32, c->tf32, c->ti32};
	LLVMTypeRef fm[7] = {c->tptr, c->ti32, c->ti32, c->tptr, c->tptr, c->ti32, c->ti32};
	LLVMValueRef f[7], gv;
	char name[320];

	LLVMStructSetBody(tinfo, fi, 7, 0);
	LLVMStructSetBody(tmodel, fm, 7, 0);
	snprintf(name, sizeof name, "%s.name", c->name);
	f[0] = cstring(c, c->name, name);
	f[1] = tgt_c32(c, g->ninput);
	f[2] = tgt_c32(c, g->noutput);
	f[3] = tensor_infos(c, tinfo, g->inputs, g->ninput, "input");
	f[4] = tensor_infos(c, tinfo, g->outputs, g->noutput, "output");
	f[5] = tgt_c32(c, g->arena_size);
	f[6] = tgt_c32(c, IR_ALIGN);
	snprintf(name, sizeof name, "%s_model", c->name);
	gv = LLVMAddGlobal(c->mod, tmodel, name);
	LLVMSetInitializer(gv, LLVMConstNamedStruct(tmodel, f, 7));
	LLVMSetGlobalConstant(gv, 1);
}

/* Every defined function carries the CPU and features, so a written .ll
 * compiles with llc exactly as quantc compiled it: those of c->tm, for the
 * functions not marked yet (a multi-ISA object marks each level's as it
 * builds them). */
static void mark_functions(Cg *c)
{
	for (LLVMValueRef fn = LLVMGetFirstFunction(c->mod); fn; fn = LLVMGetNextFunction(fn)) {
		if (LLVMIsDeclaration(fn) ||
		    LLVMGetStringAttributeAtIndex(fn, LLVMAttributeFunctionIndex, "target-cpu", 10))
			continue;
		LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
		                        LLVMCreateStringAttribute(c->ctx, "target-cpu", 10,
		                                                  c->tm->cpu,
		                                                  (unsigned)strlen(c->tm->cpu)));
		if (*c->tm->features)
			LLVMAddAttributeAtIndex(
			        fn, LLVMAttributeFunctionIndex,
			        LLVMCreateStringAttribute(c->ctx, "target-features", 15,
			                                  c->tm->features,
			                                  (unsigned)strlen(c->tm->features)));
		/* no loop becomes a memcpy/memset call behind our back */
		if (c->tm->plain_mem)
			LLVMAddAttributeAtIndex(
			        fn, LLVMAttributeFunctionIndex,
			        LLVMCreateStringAttribute(c->ctx, "no-builtins", 11, "", 0));
	}
}

/* An integer-only target (no FPU) runs a whole f32 model through the
 * toolchain's soft-float helpers (docs/abi.md), but a quantized model
 * must stay integer-only there: an f32 layer inside one is refused, named
 * (the first weighted one, else the first one). */
static int check_integer_only(Cg *c)
{
	const Graph *g = c->g;
	int quant = 0, f32 = -1;

	if (c->tm->fpu)
		return 0;
	for (int n = 0; n < g->nnode; n++) {
		const Node *nd = &g->nodes[n];
		const Value *y = &g->vals[nd->out];
		if (nd->op == OP_NONE)
			continue;
		if (y->dt == DT_I8 || y->dt == DT_I16)
			quant = 1;
		else if (y->dt == DT_F32 &&
		         (f32 < 0 || ((ir_ops[nd->op].flags & OPF_WEIGHTS) &&
		                      !(ir_ops[g->nodes[f32].op].flags & OPF_WEIGHTS))))
			f32 = n;
	}
	if (!quant || f32 < 0)
		return 0;
	diag_error(c->d, g->nodes[f32].loc,
	           "layer '%s' computes in f32 but target %s has no "
	           "floating-point unit (integer-only); give it precision int8 or int16 (--config "
	           "layers:), or compile the whole model with --precision f32 (soft float)",
	           g->vals[g->nodes[f32].out].name, c->tm->row);
	return 1;
}

/* The kernels of every node and the body that runs them, for c->tm.
 * Returns 0, or 1 after a diagnostic. */
static int build_kernels(Cg *c, LLVMValueRef *body)
{
	const Graph *g = c->g;
	LLVMValueRef *kernels = ir_xcalloc((size_t)g->nnode + 1, sizeof *kernels);
	int bad = 0;

	for (int n = 0; n < g->nnode; n++)
		bad |= tgt_lower_node(c, n, &kernels[n]);
	if (!bad)
		*body = build_body(c, kernels);
	free(kernels);
	return bad;
}

/* The multi-ISA object (x86-64 without --mcpu or --mattr): the kernels and
 * the body once per level of c->tm, each function marked with its level's
 * CPU and features (LLVM then selects each for its own ISA and never
 * inlines one level into another), private names NAME.<tag>.*, the
 * constants that several levels make alike shared.  NAME_body, marked as
 * the lowest level, asks the runtime's qrt_x86_level() which level the CPU
 * has (CPUID on its first call, then a cached int) and calls the highest
 * body it runs: a CPU that can run the machine code never sees an
 * instruction it lacks.  Returns 0, or 1 after a diagnostic. */
static int build_levels(Cg *c, LLVMValueRef *body)
{
	const TgtMachine *top = c->tm;
	const char *name = c->name;
	LLVMValueRef *bodies = ir_xcalloc((size_t)top->nlevels, sizeof *bodies);
	char lname[320], bname[320];
	int bad = 0;

	c->share_consts = 1;
	for (int k = 0; k < top->nlevels && !bad; k++) {
		c->tm = &top->levels[k];
		snprintf(lname, sizeof lname, "%s.%s", name, c->tm->tag);
		c->name = lname;
		bad = build_kernels(c, &bodies[k]);
		mark_functions(c);
	}
	c->tm = top;
	c->name = name;
	if (bad) {
		free(bodies);
		return 1;
	}

	LLVMTypeRef ft = LLVMFunctionType(c->tvoid, &c->tptr, 1, 0);
	LLVMTypeRef lt = LLVMFunctionType(c->ti32, NULL, 0, 0);
	LLVMValueRef level = LLVMAddFunction(c->mod, "qrt_x86_level", lt), fn, arena, l;
	LLVMBuilderRef b = c->b;

	tgt_add_attr(c, level, LLVMAttributeFunctionIndex, "nounwind", 0);
	snprintf(bname, sizeof bname, "%s_body", name);
	fn = body_fn(c, bname);
	arena = LLVMGetParam(fn, 0);
	l = LLVMBuildCall2(b, lt, level, NULL, 0, "level");
	for (int k = top->nlevels - 1; k >= 0; k--) {
		LLVMBasicBlockRef run = LLVMAppendBasicBlockInContext(c->ctx, fn,
		                                                      top->levels[k].tag);
		LLVMBasicBlockRef next = k ? LLVMAppendBasicBlockInContext(c->ctx, fn, "lower")
		                           : NULL;

		if (k)
			LLVMBuildCondBr(b,
			                LLVMBuildICmp(b, LLVMIntSGE, l,
			                              tgt_c32(c, top->levels[k].qrt_level), ""),
			                run, next);
		else
			LLVMBuildBr(b, run);
		LLVMPositionBuilderAtEnd(b, run);
		LLVMBuildCall2(b, ft, bodies[k], &arena, 1, "");
		LLVMBuildRetVoid(b);
		if (next)
			LLVMPositionBuilderAtEnd(b, next);
	}
	free(bodies);
	*body = fn;
	return 0;
}

int tgt_build_module(Cg *c)
{
	const Graph *g = c->g;
	LLVMValueRef body;
	int bad = 0, storage = 0;

	if (check_integer_only(c) || ir_check_requant_float(g, c->d))
		return 1;
	if (g->requant_float && !c->tm->fpu) {
		/* float requantization multiplies in float32 inside every layer:
		 * the integer-only targets keep the fixed-point default */
		diag_error(c->d, loc_none(),
		           "--requant float needs a floating-point unit, which target "
		           "%s lacks (integer-only): use the default --requant fixed",
		           c->tm->row);
		return 1;
	}
	c->cglob = ir_xcalloc((size_t)g->nval + 1, sizeof *c->cglob);
	c->readers = ir_xcalloc((size_t)g->nval + 1, sizeof *c->readers);
	for (int i = 0; i < g->nnode; i++)
		for (int k = 0; k < g->nodes[i].nin; k++)
			c->readers[g->nodes[i].in[k]]++;
	bad = c->tm->nlevels ? build_levels(c, &body) : build_kernels(c, &body);
	free(c->readers);
	c->readers = NULL;
	free(c->consts); /* the levels' shared constants: the entry points share none */
	c->consts = NULL;
	c->nconst = c->capconst = 0;
	c->share_consts = 0;
	if (bad) {
		free(c->cglob);
		return 1;
	}
	for (int i = 0; i < g->ninput; i++) /* an index input is the same in both */
		storage |= g->vals[g->inputs[i]].dt != DT_F32 && !raw_io(&g->vals[g->inputs[i]]);
	for (int i = 0; i < g->noutput; i++) /* a mask output is the same in both */
		storage |= g->vals[g->outputs[i]].dt != DT_F32 && !raw_io(&g->vals[g->outputs[i]]);
	build_run(c, body, 0);
	if (storage)
		build_run(c, body, 1);
	build_model_info(c);
	if (*c->tm->abi) {
		LLVMMetadataRef abi = LLVMMDStringInContext2(c->ctx, c->tm->abi,
		                                             strlen(c->tm->abi));
		LLVMAddModuleFlag(c->mod, LLVMModuleFlagBehaviorError, "target-abi", 10, abi);
	}
	mark_functions(c);
	free(c->cglob);
	return 0;
}
