/* emit.c — tgt_compile: check the graph, build the module, verify it,
 * optimize it (LLVMRunPasses "default<ON>"), and write the requested outputs
 * (object, header, LLVM IR, assembly).  Everything is produced in memory
 * first and only then written, each file atomically, so a failed compile
 * leaves no partial output and never clobbers an existing file.
 */
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/ErrorHandling.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "targets.h"

typedef struct {
	char *path;
	char *data; /* malloc'd */
	size_t len;
} OutFile;

static void llvm_fatal(const char *reason)
{
	ICE("LLVM: %s", reason);
}

/* OUT.o -> OUT<ext>: the last extension of the file name is replaced. */
static char *derive(const char *obj, const char *ext)
{
	const char *slash = strrchr(obj, '/'), *dot = strrchr(obj, '.');
	size_t n = strlen(obj);
	char *s;

	if (dot && (!slash || dot > slash + 1))
		n = (size_t)(dot - obj);
	s = ir_xmalloc(n + strlen(ext) + 1);
	memcpy(s, obj, n);
	strcpy(s + n, ext);
	return s;
}

static int emit_code(LLVMTargetMachineRef tm, LLVMModuleRef mod, LLVMCodeGenFileType kind,
                     OutFile *out, Diag *d)
{
	/* codegen rewrites the IR it runs on; a clone keeps each output
	 * independent of which others were asked for */
	LLVMModuleRef clone = LLVMCloneModule(mod);
	LLVMMemoryBufferRef buf = NULL;
	char *err = NULL;

	if (LLVMTargetMachineEmitToMemoryBuffer(tm, clone, kind, &err, &buf)) {
		diag_error(d, loc_none(), "LLVM code generation failed: %s", err ? err : "?");
		LLVMDisposeMessage(err);
		LLVMDisposeModule(clone);
		return 1;
	}
	out->len = LLVMGetBufferSize(buf);
	out->data = ir_xmalloc(out->len + 1);
	memcpy(out->data, LLVMGetBufferStart(buf), out->len);
	LLVMDisposeMemoryBuffer(buf);
	LLVMDisposeModule(clone);
	return 0;
}

/* merge: first fold identical private constants (a sigmoid's lookup table
 * repeated by every layer with the same scales) and then identical
 * functions (kernels that differ only by the buffers the body passes
 * them): every later pass and the code generator work once per distinct
 * kernel.  Only for graphs whose kernels are out of line: smaller ones
 * compile exactly as without it. */
static void optimize(LLVMModuleRef mod, LLVMTargetMachineRef tm, int level, int merge)
{
	LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
	char pipeline[64];
	LLVMErrorRef err;

	snprintf(pipeline, sizeof pipeline, "%sdefault<O%d>", merge ? "constmerge,mergefunc," : "",
	         level);
	LLVMPassBuilderOptionsSetLoopVectorization(po, level >= 2);
	LLVMPassBuilderOptionsSetSLPVectorization(po, level >= 2);
	LLVMPassBuilderOptionsSetLoopInterleaving(po, level >= 2);
	LLVMPassBuilderOptionsSetLoopUnrolling(po, level >= 1);
	err = LLVMRunPasses(mod, pipeline, tm, po);
	LLVMDisposePassBuilderOptions(po);
	if (err) {
		char *msg = LLVMGetErrorMessage(err);
		ICE("LLVM optimization failed: %s", msg);
	}
}

static void init_types(Cg *c)
{
	c->tvoid = LLVMVoidTypeInContext(c->ctx);
	c->ti1 = LLVMInt1TypeInContext(c->ctx);
	c->ti8 = LLVMInt8TypeInContext(c->ctx);
	c->ti16 = LLVMInt16TypeInContext(c->ctx);
	c->ti32 = LLVMInt32TypeInContext(c->ctx);
	c->ti64 = LLVMInt64TypeInContext(c->ctx);
	c->tf32 = LLVMFloatTypeInContext(c->ctx);
	c->tptr = LLVMPointerTypeInContext(c->ctx, 0);
	c->tidx = LLVMIntPtrTypeInContext(c->ctx, c->td);
}

/* Opens every file, writes it, and commits them only when all were written. */
static int write_all(OutFile *f, int n, Diag *d)
{
	AtomicFile af[4];
	int i, k, bad = 0;

	for (i = 0; i < n; i++) {
		if (ir_atomic_open(&af[i], f[i].path, d)) {
			bad = 1;
			break;
		}
		if (fwrite(f[i].data, 1, f[i].len, af[i].f) != f[i].len || fflush(af[i].f)) {
			diag_error(d, loc_none(), "cannot write '%s'", f[i].path);
			ir_atomic_abort(&af[i]);
			bad = 1;
			break;
		}
	}
	if (bad) {
		for (k = 0; k < i; k++)
			ir_atomic_abort(&af[k]);
		return 1;
	}
	for (i = 0; i < n; i++)
		if (ir_atomic_commit(&af[i], d))
			bad = 1;
	return bad;
}

static int check_options(const Graph *g, const TgtOptions *o, const char *name, Diag *d)
{
	if (!tgt_is_identifier(name)) {
		diag_error(d, loc_none(), "model name '%s' is not a C identifier (use --name)", name);
		return 1;
	}
	if (strlen(name) > 255) {
		diag_error(d, loc_none(), "model name '%s' is longer than 255 characters", name);
		return 1;
	}
	if (!o->out_obj || !*o->out_obj) {
		diag_error(d, loc_none(), "no output file given");
		return 1;
	}
	if (o->opt_level < 0 || o->opt_level > 3) {
		diag_error(d, loc_none(), "optimization level %d is not 0..3", o->opt_level);
		return 1;
	}
	if (!(o->emit & (TGT_EMIT_OBJ | TGT_EMIT_HEADER | TGT_EMIT_LLVM | TGT_EMIT_ASM))) {
		diag_error(d, loc_none(), "nothing to emit");
		return 1;
	}
	(void)g;
	return 0;
}

static int build_and_emit(Graph *g, const TgtOptions *o, const char *name, const TgtMachine *m,
                          OutFile *out, int *nout, Diag *d)
{
	Cg c;
	char *msg = NULL;
	int bad = 1;

	memset(&c, 0, sizeof c);
	c.g = g;
	c.d = d;
	c.name = name;
	c.tm = m;
	c.instrument = o->instrument;
	c.ctx = LLVMContextCreate();
	c.mod = LLVMModuleCreateWithNameInContext(name, c.ctx);
	LLVMSetSourceFileName(c.mod, name, strlen(name));
	LLVMSetTarget(c.mod, m->triple);
	c.td = LLVMCreateTargetDataLayout(m->tm);
	LLVMSetModuleDataLayout(c.mod, c.td);
	c.b = LLVMCreateBuilderInContext(c.ctx);
	init_types(&c);

	if (tgt_build_module(&c))
		goto out;
	if (LLVMVerifyModule(c.mod, LLVMReturnStatusAction, &msg))
		ICE("the generated LLVM module is invalid: %s", msg);
	LLVMDisposeMessage(msg);
	optimize(c.mod, m->tm, o->opt_level, g->nnode > TGT_INLINE_MAX_NODES);

	if (o->emit & TGT_EMIT_OBJ) {
		out[*nout].path = ir_xstrdup(o->out_obj);
		if (emit_code(m->tm, c.mod, LLVMObjectFile, &out[(*nout)++], d))
			goto out;
	}
	if (o->emit & TGT_EMIT_ASM) {
		out[*nout].path = derive(o->out_obj, ".s");
		if (emit_code(m->tm, c.mod, LLVMAssemblyFile, &out[(*nout)++], d))
			goto out;
	}
	if (o->emit & TGT_EMIT_LLVM) {
		char *s = LLVMPrintModuleToString(c.mod);
		out[*nout].path = derive(o->out_obj, ".ll");
		out[*nout].len = strlen(s);
		out[(*nout)++].data = ir_xstrdup(s);
		LLVMDisposeMessage(s);
	}
	if (o->emit & TGT_EMIT_HEADER) {
		out[*nout].path = derive(o->out_obj, ".h");
		out[*nout].data = tgt_header(g, name, o->instrument, &out[*nout].len);
		(*nout)++;
	}
	bad = 0;
out:
	LLVMDisposeBuilder(c.b);
	LLVMDisposeTargetData(c.td);
	LLVMDisposeModule(c.mod);
	LLVMContextDispose(c.ctx);
	return bad;
}

int tgt_compile(Graph *g, const TgtOptions *o, Diag *d)
{
	const char *name = o->name ? o->name : g->name;
	TgtMachine m;
	OutFile out[4];
	int nout = 0, bad;

	memset(out, 0, sizeof out);
	if (check_options(g, o, name, d))
		return 1;
	LLVMInstallFatalErrorHandler(llvm_fatal);
	if (tgt_machine_new(&m, o, d))
		return 1;
	bad = tgt_check_graph(g, m.ptr_bits, d) != 0;
	if (!bad)
		bad = build_and_emit(g, o, name, &m, out, &nout, d);
	if (!bad)
		bad = write_all(out, nout, d);
	for (int i = 0; i < nout; i++) {
		free(out[i].path);
		free(out[i].data);
	}
	tgt_machine_free(&m);
	return bad;
}

int tgt_compile_object(Graph *g, const TgtOptions *o, char **obj, size_t *len, Diag *d)
{
	TgtOptions oo = *o;
	const char *name = o->name ? o->name : g->name;
	TgtMachine m;
	OutFile out[4];
	int nout = 0, bad;

	memset(out, 0, sizeof out);
	oo.emit = TGT_EMIT_OBJ;
	oo.out_obj = "memory.o";
	if (check_options(g, &oo, name, d))
		return 1;
	LLVMInstallFatalErrorHandler(llvm_fatal);
	if (tgt_machine_new(&m, &oo, d))
		return 1;
	bad = tgt_check_graph(g, m.ptr_bits, d) != 0;
	if (!bad)
		bad = build_and_emit(g, &oo, name, &m, out, &nout, d);
	if (!bad) {
		*obj = out[0].data;
		*len = out[0].len;
		out[0].data = NULL;
	}
	for (int i = 0; i < nout; i++) {
		free(out[i].path);
		free(out[i].data);
	}
	tgt_machine_free(&m);
	return bad;
}
