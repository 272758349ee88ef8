/* emit.c — tgt_compile: check the graph, build the module, verify it,
 * optimize it (LLVMRunPasses "default<ON>"), and write the requested outputs
 * (object, header, LLVM IR, assembly).  Everything is produced in memory
 * first and only then written, each file atomically, so a failed compile
 * leaves no partial output and never clobbers an existing file.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* Writes every file; inside the driver's output transaction they are
 * renamed into place together, only once all of them were written. */
static int write_all(OutFile *f, int n, Diag *d)
{
	int mark = ir_outputs_begin();

	for (int i = 0; i < n; i++) {
		AtomicFile af;
		if (ir_atomic_open(&af, f[i].path, d))
			goto fail;
		if (fwrite(f[i].data, 1, f[i].len, af.f) != f[i].len) {
			diag_error(d, loc_none(), "cannot write '%s': out of memory", f[i].path);
			ir_atomic_abort(&af);
			goto fail;
		}
		if (ir_atomic_commit(&af, d))
			goto fail;
	}
	return ir_outputs_commit(mark, d) ? 1 : 0;
fail:
	ir_outputs_abort(mark);
	return 1;
}

int tgt_check_name(const char *name, int given, Loc loc, Diag *d)
{
	const char *hint = given ? "" : " (use --name)";
	char up[5] = {0};

	if (!tgt_is_identifier(name)) {
		diag_error(d, loc, "model name '%s' is not a C identifier%s", name, hint);
		return -1;
	}
	if (strlen(name) > 255) {
		diag_error(d, loc, "model name '%s' is longer than 255 characters", name);
		return -1;
	}
	for (const char *const *k = tgt_c_keywords; *k; k++)
		if (strcmp(name, *k) == 0) {
			diag_error(d, loc, "model name '%s' is a C keyword%s", name, hint);
			return -1;
		}
	if (name[0] == '_' && (name[1] == '_' || (name[1] >= 'A' && name[1] <= 'Z'))) {
		diag_error(d, loc,
		           "model name '%s' is reserved in C (it begins with "
		           "__ or _ and a capital letter)%s",
		           name, hint);
		return -1;
	}
	/* the runtime's names are qrt_* and its macros QRT_*; NAME_model,
	 * NAME_run and NAME_ARENA_SIZE must not fall among them */
	for (int i = 0; i < 4 && name[i]; i++)
		up[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
	if (strncmp(up, "QRT", 3) == 0 && (up[3] == 0 || up[3] == '_')) {
		if (strcmp(name, "qrt") == 0)
			diag_error(d, loc,
			           "model name 'qrt' is reserved for the quantc runtime: "
			           "its qrt_model would be the runtime's type qrt_model%s",
			           hint);
		else
			diag_error(d, loc,
			           "model name '%s' is reserved for the quantc runtime: "
			           "the names qrt, qrt_* and QRT_* are the runtime's%s",
			           name, hint);
		return -1;
	}
	return 0;
}

/* The file name of path (after the last '/'). */
static const char *file_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

int tgt_check_output(const char *obj, unsigned emit, Diag *d)
{
	static const char *const runtime_headers[] = {"qrt.h", "qrt_select.h", NULL};

	if (!obj || !*obj) {
		diag_error(d, loc_none(), "no output file given");
		return -1;
	}
	if (!(emit & TGT_EMIT_HEADER))
		return 0;
	char *h = derive(obj, ".h");
	for (const char *const *r = runtime_headers; *r; r++)
		if (strcasecmp(file_name(h), *r) == 0) {
			diag_error(d, loc_none(),
			           "cannot write '%s': the header would shadow the "
			           "runtime's %s, which it includes (choose another -o)",
			           h, *r);
			free(h);
			return -1;
		}
	free(h);
	return 0;
}

static int check_options(const Graph *g, const TgtOptions *o, const char *name, Diag *d)
{
	if (tgt_check_name(name, o->name != NULL, loc_none(), d) ||
	    tgt_check_output(o->out_obj, o->emit, d))
		return 1;
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
