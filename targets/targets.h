/* targets/targets.h — the LLVM backend: turns a planned graph (every value
 * typed, every activation at an arena offset) into an object file, a C
 * header, and optionally LLVM IR or assembly, for one of the target triples
 * of docs/targets.md.  The generated ABI is docs/abi.md; the integer
 * arithmetic is docs/requant.md, equal bit for bit to ir/interp.c.
 *
 * Sections follow the file that defines each export.
 */
#ifndef QUANTC_TARGETS_H
#define QUANTC_TARGETS_H

#include <stdio.h>

#include <llvm-c/Core.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>

#include "ir.h"

/* ---- the public interface ------------------------------------------------ */

enum {
	TGT_EMIT_OBJ = 1 << 0,
	TGT_EMIT_HEADER = 1 << 1,
	TGT_EMIT_LLVM = 1 << 2,
	TGT_EMIT_ASM = 1 << 3,
};

/* Graphs with more nodes keep their kernels out of line (module.c's
 * build_body), and emit.c merges the identical ones (constmerge,
 * mergefunc) before optimizing: a chain of 100,000 layers of a few kinds
 * is then optimized and compiled as a few functions, not 100,000. */
enum { TGT_INLINE_MAX_NODES = 64 };

typedef struct {
	const char *triple;   /* NULL: host (LLVMGetDefaultTargetTriple) */
	const char *cpu;      /* NULL: the target's default (host: LLVMGetHostCPUName) */
	const char *features; /* "+a,-b" or NULL */
	int opt_level;        /* 0..3 */
	const char *name;     /* C prefix of symbols; NULL: g->name */
	const char *out_obj; /* path of OUT.o; header/ll/asm are derived: same basename .h/.ll/.s */
	unsigned emit; /* TGT_EMIT_OBJ|TGT_EMIT_HEADER|TGT_EMIT_LLVM|TGT_EMIT_ASM */
	int instrument; /* call qrt_trace after every layer (the debug twin) */
} TgtOptions;

/* Compiles g into the files o->emit asks for.  Returns 0, or 1 after
 * reporting through d; on failure no file is written. */
int tgt_compile(Graph *g, const TgtOptions *o, Diag *d);
/* Prints the supported triples with their default CPU and features. */
int tgt_list(FILE *f);
/* Compiles g to an object file in memory (*obj malloc'd) without writing
 * anything. Returns 0, or 1 after a diagnostic. */
int tgt_compile_object(Graph *g, const TgtOptions *o, char **obj, size_t *len, Diag *d);

/* What a compiled model costs on its target, from the object's sections. */
typedef struct {
	int64_t code; /* executable sections (.text*) */
	int64_t rodata; /* read-only data: weights, requantization tables, names */
	int64_t data; /* writable or relocated data (.data*, .data.rel.ro*: the
	                   qrt_model tables on PIC targets) */
	int64_t bss; /* zero-initialized writable data (should be 0) */
	int64_t weights; /* bytes of the graph's constants (part of rodata) */
	int64_t arena; /* the arena the caller provides (RAM) */
} TgtFootprint;
int tgt_footprint(Graph *g, const TgtOptions *o, TgtFootprint *fp, Diag *d);

/* ---- target.c: the target table and the TargetMachine ---------------------- */

typedef struct TgtMachine {
	char *triple; /* normalized */
	char *cpu;
	char *features; /* what the TargetMachine gets: row defaults, then the user's */
	const char *abi; /* "" when the triple decides */
	int riscv; /* RISC-V: i32 arguments travel sign-extended on RV64 */
	int plain_mem; /* copies call memcpy/memmove themselves and every
	                   function is "no-builtins": LLVM would otherwise call
	                   __aeabi_memcpy & co., which docs/abi.md excludes */
	int ptr_bits;
	const char *row; /* the table's spelling of the triple, for messages */
	int fpu; /* hardware floating point: without it the target is
	                     integer-only (a quantized model may hold no f32
	                     layer; a whole f32 model uses soft-float helpers) */
	LLVMTargetMachineRef tm;
	/* x86-64's default object (no --mcpu, no --mattr) carries one body per
	 * level and chooses at run time (module.c); the machine's own cpu and
	 * features are then the lowest level's.  nlevels 0: one ISA. */
	int nlevels;
	struct TgtMachine *levels; /* ascending; each with its own cpu and
	                              features, tm NULL, the rest the machine's */
	int qrt_level; /* a level: the least qrt_x86_level() that runs it */
	const char *tag; /* a level: its part of the private symbols' names */
	/* the row's kernels in order of preference, NULL-terminated (kernels.c) */
	const struct TgtKernel *const *kernels;
} TgtMachine;

/* Resolves o's triple/cpu/features against the table and creates the
 * TargetMachine.  Returns 0, or 1 after a diagnostic. */
int tgt_machine_new(TgtMachine *m, const TgtOptions *o, Diag *d);
void tgt_machine_free(TgtMachine *m);

/* ---- module.c: the LLVM module (globals, entry points, qrt_model) -------- */

/* Code generation state shared by module.c and the lowering files. */
typedef struct {
	Graph *g;
	Diag *d;
	const char *name; /* C prefix */
	const TgtMachine *tm;
	LLVMContextRef ctx;
	LLVMModuleRef mod;
	LLVMBuilderRef b;
	LLVMTargetDataRef td;
	LLVMTypeRef tvoid, ti1, ti8, ti16, ti32, ti64, tf32, tptr;
	LLVMTypeRef tidx; /* index arithmetic: the pointer-sized integer */
	LLVMValueRef fn; /* the function being built */
	LLVMBasicBlockRef entry; /* its first block: allocas only */
	LLVMBasicBlockRef start; /* the block the entry branches to */
	LLVMValueRef *cglob; /* per value: its constant global, once made */
	/* tgt_const_bytes shares one global among equal contents when set (the
	 * levels of a multi-ISA object): a hash table of the globals made */
	int share_consts;
	struct TgtConst *consts;
	size_t nconst, capconst;
	int *readers; /* per value: the nodes reading it (tgt_const_of) */
	int instrument; /* TgtOptions.instrument */
	int planning; /* tgt_node_scratch: the chooser ignores the planned scratch */
	int want_nhwc; /* tgt_node_nhwc: the chooser takes TL_NHWC kernels only */
} Cg;

/* True when name is a C identifier ([A-Za-z_][A-Za-z0-9_]*). */
int tgt_is_identifier(const char *name);
/* The keywords of C89 to C23, NULL-terminated (header.c). */
extern const char *const tgt_c_keywords[];
/* Whether name can be the C prefix of a compiled model: an identifier of at
 * most 255 characters, not a C keyword or reserved identifier, not qrt or
 * qrt_* / QRT_* (the runtime's).  given: it is --name's (else the model's,
 * and the message suggests --name); the diagnostic is at loc.  Returns 0, or
 * -1 (diagnosed). */
int tgt_check_name(const char *name, int given, Loc loc, Diag *d);
/* Whether OUT.o can be the -o of a compile emitting emit (TGT_EMIT_*): its
 * header must not be named like a runtime header (qrt.h).  0 or -1. */
int tgt_check_output(const char *obj, unsigned emit, Diag *d);
/* Checks the graph is one the backend can compile (types, offsets, arena),
 * reporting every problem.  Returns the number of errors. */
int tgt_check_graph(const Graph *g, int ptr_bits, Diag *d);
/* Builds the whole module into c->mod (created by the caller).  Returns 0, or
 * 1 after a diagnostic. */
int tgt_build_module(Cg *c);
/* A call of the runtime's edge helper qrt_{quantize,dequantize}_s{8,16}
 * (from, to, elements of v, v's scale and zero point); on x86-64 the
 * quantizes are inline vector code instead (tgt_quantize_inline). */
void tgt_call_edge(Cg *c, const char *name, LLVMValueRef from, LLVMValueRef to, const Value *v);
/* quantize_vec.c: the quantize edge helper `name` (qrt_quantize_s8, _s8_even,
 * _s16) as inline vector code computing the same bytes; 0 (nothing built)
 * for another name or a target other than x86-64. */
int tgt_quantize_inline(Cg *c, const char *name, LLVMValueRef from, LLVMValueRef to,
                        const Value *v);
/* The layers an instrumented object traces, by layer id: the graph's inputs
 * (ids 0 .. ninput-1), then every node's output in node order.  Fills
 * vals[id] with the value index when vals is not NULL (it must hold
 * ninput + nnode entries) and returns the number of layers. */
int tgt_trace_layers(const Graph *g, int *vals);

/* ---- lower.c, lower_conv.c, lower_dense.c, builder.c, epilogue.c: op lowering */

/* Emits the kernel of node n as a private function void(ptr x, ptr y) that
 * reads x (operand 0's tensor) and writes y (the output's tensor); constants
 * come from globals.  *kernel is NULL when the node needs no code (a reshape
 * in place).  Returns 0, or 1 after a diagnostic. */
int tgt_lower_node(Cg *c, int n, LLVMValueRef *kernel);
/* conv2d and dense: the kernel the chooser picks (kernels.c), else the
 * generic loop (lower_conv.c's, lower_dense.c's) over the parameters of fn
 * (x, y).  Returns 0. */
int tgt_lower_weighted(Cg *c, int n, LLVMValueRef fn);
/* lower_conv.c, lower_dense.c: the generic loops, for any type and target. */
void tgt_conv2d_generic(Cg *c, int n, LLVMValueRef fn);
/* The arena scratch the generic conv2d loop uses when it is planned (its
 * accumulator rows; without it they go on the stack). */
int64_t tgt_conv2d_generic_scratch(Cg *c, const Node *nd);
void tgt_dense_generic(Cg *c, int n, LLVMValueRef fn);

/* The other ops' checks and kernels: their families' rules (tgt_rules.h,
 * fam_<family>.c). */

/* Builder helpers shared by the lowering files. */
typedef struct {
	LLVMValueRef i, hi;
	LLVMBasicBlockRef body, exit;
} Loop;
typedef struct {
	LLVMBasicBlockRef then, join;
} If;

LLVMValueRef tgt_cidx(Cg *c, int64_t v);
LLVMValueRef tgt_c32(Cg *c, int64_t v);
/* for (i = lo; i < hi; i++): returns i; the body follows until loop_close. */
LLVMValueRef tgt_loop_open(Cg *c, Loop *l, LLVMValueRef lo, LLVMValueRef hi);
void tgt_loop_close(Cg *c, Loop *l);
LLVMValueRef tgt_upto(Cg *c, Loop *l, int64_t n); /* for (i = 0; i < n; i++) */
/* Index arithmetic a*k + b (b may be NULL), no wrap: every index of a
 * tensor fits the pointer-sized integer (tgt_check_graph). */
LLVMValueRef tgt_mad(Cg *c, LLVMValueRef a, int64_t k, LLVMValueRef b);
void tgt_if_open(Cg *c, If *f, LLVMValueRef cond);
void tgt_if_close(Cg *c, If *f);
/* An element pointer: base + i elements of type t. */
LLVMValueRef tgt_gep(Cg *c, LLVMTypeRef t, LLVMValueRef base, LLVMValueRef i);
LLVMValueRef tgt_load(Cg *c, LLVMTypeRef t, LLVMValueRef base, LLVMValueRef i);
/* Whether plan-memory placed value out on value in's bytes (an in-place
 * op: the same arena offset, neither a constant), so that a kernel may
 * store out through in's pointer. */
int tgt_in_place(const Cg *c, int in, int out);
void tgt_store(Cg *c, LLVMValueRef v, LLVMValueRef base, LLVMValueRef i);
/* A stack slot of n elements of t in the current function's entry block. */
LLVMValueRef tgt_alloca(Cg *c, LLVMTypeRef t, int64_t n);
/* A target kernel's per-channel requantization tables for conv node n (oc
 * channels, zero-padded to len lanes: the padding requantizes to bytes that
 * are never stored), as globals NAME.{m,sh,fm}<tag><n>: the i32 multipliers
 * and shifts (*mult, *shift), or --requant float's f32 multipliers (*fm). */
void tgt_requant_tables(Cg *c, int n, int64_t oc, int64_t len, const char *tag, LLVMValueRef *mult,
                        LLVMValueRef *shift, LLVMValueRef *fm);
/* A kernel tile's pixel count, from max down to max/2 + 1, for P pixels:
 * the fewest tiles * (np + 1), an estimate of the cycles (np products per
 * loaded weight vector plus the tap's fixed work); a tile past the last
 * pixel recomputes it, so 7 covers a 7x7 exactly where 8 computes 56. */
int tgt_tile_pixels(int64_t P, int max);
/* A private constant global holding n bytes (little-endian data), align 16. */
LLVMValueRef tgt_const_bytes(Cg *c, const char *name, const void *bytes, size_t n);
/* tgt_const_bytes of bytes made from constant value v alone (v's data,
 * permuted or packed): when several nodes read v (a weight that layers
 * share), one global per distinct contents serves them all. */
LLVMValueRef tgt_const_of(Cg *c, int v, const char *name, const void *bytes, size_t n);
/* A global holding constant value v named NAME.<tag><n>, elements permuted:
 * element i of the global is element perm[i] of v (perm NULL: identity). */
LLVMValueRef tgt_const_value(Cg *c, int v, const int64_t *perm, const char *tag, int n);
/* Copies n bytes (memmove when move): llvm.memcpy, or a plain call where
 * the target's libcall names differ from memcpy/memmove. */
void tgt_copy(Cg *c, LLVMValueRef dst, unsigned dalign, LLVMValueRef src, unsigned salign,
              int64_t n, int move);
/* The storage LLVM type of a dtype. */
LLVMTypeRef tgt_type(Cg *c, DType dt);
/* A private nounwind function void(ptr, ptr) with its entry and start blocks;
 * the builder is left in the start block. */
LLVMValueRef tgt_kernel_begin(Cg *c, const char *name, int noalias);
/* The same with nptr pointer parameters (a multi-operand kernel). */
LLVMValueRef tgt_kernel_begin_n(Cg *c, const char *name, int noalias, int nptr);
void tgt_kernel_end(Cg *c);
void tgt_add_attr(Cg *c, LLVMValueRef fn, unsigned idx, const char *attr, uint64_t val);

/* The requantization epilogue of docs/requant.md for an i32 accumulator:
 * MultiplyByQuantizedMultiplier(acc, mult, shift) + zp clamped to [lo, hi],
 * as i32.  mult and shift are i32 values; has_left says whether any shift of
 * the layer is positive (otherwise the left shift is omitted). */
typedef struct {
	int has_left;
	int32_t zp, lo, hi;
} Requant;
LLVMValueRef tgt_requant(Cg *c, LLVMValueRef acc, LLVMValueRef mult, LLVMValueRef shift,
                         const Requant *rq);
/* --requant float's epilogue (ir_requant_float): acc i32, m f32, result i32. */
LLVMValueRef tgt_requant_float(Cg *c, LLVMValueRef acc, LLVMValueRef m, const Requant *rq);
/* The fused activation on an f32 accumulator (scalar or vector): relu
 * acc < 0 ? 0 : acc, relu6 then acc > 6 ? 6 : acc (fcmp + select, so no
 * libm call can appear). */
LLVMValueRef tgt_act_f32(Cg *c, LLVMValueRef acc, Act act);

/* The parameters of a weighted node's epilogue, with the constant globals
 * holding per-channel requantization parameters (quantized case).  int16
 * layers with an int64 bias accumulate in i64 and requantize as
 * ir_mbqm64; every other integer layer accumulates in wrapping i32. */
typedef struct {
	int quant; /* 0: f32 */
	int acc64;
	LLVMTypeRef tacc; /* f32, i32 or i64 */
	LLVMTypeRef tout; /* the result's storage type */
	LLVMValueRef mult, shift; /* [OC x i32] globals: mult/shift, or for
	                             acc64 the 16-bit multiplier and 15 - shift */
	int all_right; /* acc64: every 15 - shift is positive */
	LLVMValueRef fm; /* --requant float: [OC x float] multipliers, else NULL */
	Requant rq;
	int32_t in_zp;
	Act act;
} Epilogue;
int tgt_epilogue_init(Cg *c, int n, Epilogue *e);
/* x - in_zp widened to the accumulator type (floats pass through). */
LLVMValueRef tgt_widen_x(Cg *c, const Epilogue *e, LLVMValueRef x);
/* acc + x * w in the accumulator type; x from tgt_widen_x, w in storage type. */
LLVMValueRef tgt_mac(Cg *c, const Epilogue *e, LLVMValueRef acc, LLVMValueRef x, LLVMValueRef w);
/* Epilogue of output channel oc (idx value) applied to acc; returns the value
 * in the output's storage type. */
LLVMValueRef tgt_epilogue(Cg *c, const Epilogue *e, LLVMValueRef acc, LLVMValueRef oc);

/* ---- kernels.c: the kernel registry and the chooser ------------------------ */

/* The shape classes of a conv2d a kernel takes (TgtKernel.shapes). */
enum {
	TK_PLAIN = 1 << 0, /* groups = 1 */
	TK_DEPTHWISE = 1 << 1, /* groups = C = OC > 1 */
	TK_GROUPED = 1 << 2, /* any other groups > 1 */
	TK_POOL_DIL = 1 << 3, /* a fused max-pool with dilation > 1 */
	TK_DIL_X = 1 << 4, /* dilation > 1 along x */
	TK_CONST = 1 << 5, /* (any op) the weights and bias need constant data */
};

/* A target kernel, as data: what it takes, and its code.  The chooser
 * (tgt_lower_weighted) checks the data, then applies_more (may be NULL: the
 * conditions data cannot state), then calls emit. */
typedef struct TgtKernel {
	const char *name; /* "x86.vnni.conv2d": ISA, variant, op */
	Op op; /* OP_CONV2D or OP_DENSE */
	DType x, w, y, bias; /* DT_NONE: any; bias: what a bias must be (none is fine) */
	unsigned shapes; /* TK_* (conv2d); a fused pool of dilation 1 is always fine */
	const char *feature; /* what the CPU needs (tgt_has_feature), NULL: nothing */
	/* 1 when the node fits; else 0 and *why (when why is not NULL) a
	 * short reason, e.g. "fewer than 4 pixels" */
	int (*applies_more)(Cg *c, const Node *nd, const char **why);
	void (*emit)(Cg *c, int n, LLVMValueRef fn);
	/* the bytes of arena scratch emit uses (tgt_arena_scratch), given that
	 * the kernel applies; NULL: none.  plan-memory plans them (with
	 * TGT_SCRATCH_ALIGN - IR_ALIGN bytes more for the alignment) */
	int64_t (*scratch)(Cg *c, const Node *nd);
	/* TL_NHWC: emit reads an NHWC input and writes an NHWC result, each
	 * when its value is stored so (choose-layout); 0: NCHW only */
	unsigned layouts;
} TgtKernel;

enum { TL_NHWC = 1 };

/* A kernel's exported applies_more, name, from its static applies(c, nd,
 * &geo, why) that fills a Geo (its own geometry type) the chooser drops. */
#define TGT_APPLIES(name, Geo, applies)                   \
	int name(Cg *c, const Node *nd, const char **why) \
	{                                                 \
		Geo d;                                    \
		return applies(c, nd, &d, why);           \
	}

/* A kernel's exported scratch function, name: bytes(&geo) of the Geo its
 * applies fills (0 when it declines). */
#define TGT_SCRATCH(name, Geo, applies, bytes)                   \
	int64_t name(Cg *c, const Node *nd)                      \
	{                                                        \
		Geo d;                                           \
		return applies(c, nd, &d, NULL) ? bytes(&d) : 0; \
	}

/* For applies_more: declines with reason r. */
static inline int tgt_decline(const char **why, const char *r)
{
	if (why)
		*why = r;
	return 0;
}

/* Every kernel; target.c's rows list theirs by these, in order of preference. */
extern const TgtKernel tgt_k_vnni_conv2d, tgt_k_avx2_conv2d, tgt_k_f32_conv2d, tgt_k_neon_conv2d,
        tgt_k_rvv_conv2d, tgt_k_smlad_conv2d, tgt_k_smlad_dw_conv2d, tgt_k_smlad_dense,
        tgt_k_f32_dense;
extern const TgtKernel tgt_k_vnni_dw8_conv2d, tgt_k_avx2_dw8_conv2d;
extern const TgtKernel tgt_k_vnni_conv1x1, tgt_k_vnni_dense, tgt_k_avx2_dense;
extern const TgtKernel tgt_k_sse2_conv2d, tgt_k_sse2_dense;
extern const TgtKernel tgt_k_f32_dw_conv2d;
extern const TgtKernel tgt_k_rvv_dense;
extern const TgtKernel tgt_k_rvv_f32dw_conv2d;

/* Whether m has the CPU feature name: "avx512vnni", "avx2", "sse2", "avx2|avx512f"
 * (vector f32), "neon", "v" (RISC-V V), "dsp" (Armv7E-M DSP). */
int tgt_has_feature(const TgtMachine *m, const char *name);
/* The kernel node n of g gets on m (a machine of one ISA: a level of a
 * multi-ISA one), without building code: its name, or "generic.conv2d" /
 * "generic.dense" (the generic loop); NULL for any other op.  why (whylen
 * bytes, may be NULL) receives every other kernel of m's list for the op
 * with its reason, "x86.vnni.conv2d: needs avx512vnni; x86.f32.conv2d: x
 * i8 not f32", or "also fits, ranked lower" after the chosen one; "" when
 * there is none. */
const char *tgt_choose_kernel(const TgtMachine *m, const Graph *g, int n, char *why, size_t whylen);
/* plan-memory's target hook (PassContext.scratch): the arena scratch
 * bytes node n of g needs on machine m (a TgtMachine; the most of its
 * levels'), 0 when its kernel needs none.  The chooser at emission takes a
 * kernel only when the node's planned scratch holds what it needs. */
int64_t tgt_node_scratch(const void *m, const Graph *g, int n);
/* choose-layout's target hook: whether, on every ISA level of machine m,
 * a kernel takes weighted node n reading and writing NHWC (TL_NHWC): 2 when
 * it is the kernel the node gets anyway, 1 when only one ranked lower
 * takes it (the 1x1 GEMM reads NCHW), 0 when none does. */
int tgt_node_nhwc(const void *m, const Graph *g, int n);
/* 1 when node n of c's graph touches an NHWC tensor (its result or an
 * operand) that its lowering cannot take, after a diagnostic. */
int tgt_layout_declines(Cg *c, int n);
/* For a caller that placed g's tensors itself (not plan-memory): every node
 * whose kernel on o's target needs more scratch than it holds gets a block
 * of its own at the arena's end.  Returns 0, or 1 after a diagnostic. */
int tgt_append_scratch(Graph *g, const TgtOptions *o, Diag *d);
/* Scratch is aligned to this at run time (the arena is aligned to IR_ALIGN). */
enum { TGT_SCRATCH_ALIGN = 64 };

/* The kernels (kernel_*.c, lower_dense_f32.c): applies and emit of each. */
/* The kernels' scratch functions (TgtKernel.scratch). */
int64_t tgt_conv2d_vnni_scratch(Cg *c, const Node *nd);
int64_t tgt_conv2d_sse2_scratch(Cg *c, const Node *nd);
int64_t tgt_conv2d_dw8_scratch(Cg *c, const Node *nd);
int64_t tgt_conv2d_dw8_avx2_scratch(Cg *c, const Node *nd);
int64_t tgt_gemm8_vnni_scratch(Cg *c, const Node *nd);
int64_t tgt_dense_avx2_scratch(Cg *c, const Node *nd);
int64_t tgt_dense_sse2_scratch(Cg *c, const Node *nd);
int64_t tgt_conv2d_f32_dw_scratch(Cg *c, const Node *nd);
int64_t tgt_conv2d_avx2_scratch(Cg *c, const Node *nd);
int64_t tgt_conv2d_f32_scratch(Cg *c, const Node *nd);
int64_t tgt_conv2d_neon_scratch(Cg *c, const Node *nd);
int64_t tgt_conv2d_rvv_scratch(Cg *c, const Node *nd);
int64_t tgt_conv2d_smlad_scratch(Cg *c, const Node *nd);
int64_t tgt_conv2d_smlad_dw_scratch(Cg *c, const Node *nd);
int tgt_conv2d_vnni_applies(Cg *c, const Node *nd, const char **why);
void tgt_conv2d_vnni(Cg *c, int n, LLVMValueRef fn);
int tgt_conv2d_avx2_applies(Cg *c, const Node *nd, const char **why);
void tgt_conv2d_avx2(Cg *c, int n, LLVMValueRef fn);
int tgt_conv2d_sse2_applies(Cg *c, const Node *nd, const char **why);
void tgt_conv2d_sse2(Cg *c, int n, LLVMValueRef fn);
int tgt_dense_sse2_applies(Cg *c, const Node *nd, const char **why);
void tgt_dense_sse2(Cg *c, int n, LLVMValueRef fn);
int tgt_conv2d_f32_applies(Cg *c, const Node *nd, const char **why);
void tgt_conv2d_f32(Cg *c, int n, LLVMValueRef fn);
int tgt_conv2d_f32_dw_applies(Cg *c, const Node *nd, const char **why);
void tgt_conv2d_f32_dw(Cg *c, int n, LLVMValueRef fn);
/* kernel_f32.c: whether an f32 conv2d's constants keep every accumulator
 * off -0 (finite weights, a bias neither -0 nor NaN), so that a padded tap
 * adding +0 * w changes nothing. */
int tgt_f32_constants_ok(const Graph *g, const Node *nd);
int tgt_conv2d_neon_applies(Cg *c, const Node *nd, const char **why);
void tgt_conv2d_neon(Cg *c, int n, LLVMValueRef fn);
int tgt_conv2d_rvv_applies(Cg *c, const Node *nd, const char **why);
void tgt_conv2d_rvv(Cg *c, int n, LLVMValueRef fn);
int tgt_conv2d_smlad_applies(Cg *c, const Node *nd, const char **why);
void tgt_conv2d_smlad(Cg *c, int n, LLVMValueRef fn);
int tgt_conv2d_smlad_dw_applies(Cg *c, const Node *nd, const char **why);
void tgt_conv2d_smlad_dw(Cg *c, int n, LLVMValueRef fn);
int tgt_dense_smlad_applies(Cg *c, const Node *nd, const char **why);
void tgt_dense_smlad(Cg *c, int n, LLVMValueRef fn);
void tgt_dense_f32(Cg *c, int n, LLVMValueRef fn);
int tgt_conv2d_dw8_applies(Cg *c, const Node *nd, const char **why);
void tgt_conv2d_dw8(Cg *c, int n, LLVMValueRef fn);
int tgt_conv2d_dw8_avx2_applies(Cg *c, const Node *nd, const char **why);
void tgt_conv2d_dw8_avx2(Cg *c, int n, LLVMValueRef fn);
/* kernel_x86_gemm.c: one applies_more for both (it tells them apart by op) */
int tgt_gemm8_vnni_applies(Cg *c, const Node *nd, const char **why);
void tgt_conv1x1_vnni(Cg *c, int n, LLVMValueRef fn);
void tgt_dense_vnni(Cg *c, int n, LLVMValueRef fn);
int tgt_dense_avx2_applies(Cg *c, const Node *nd, const char **why);
void tgt_dense_avx2(Cg *c, int n, LLVMValueRef fn);
/* kernel_rvv_gemm.c: the int8 dense on RISC-V V */
int tgt_dense_rvv_applies(Cg *c, const Node *nd, const char **why);
void tgt_dense_rvv(Cg *c, int n, LLVMValueRef fn);
/* kernel_rvv_f32.c: the f32 depthwise conv2d on RISC-V V */
int tgt_conv2d_rvv_f32dw_applies(Cg *c, const Node *nd, const char **why);
void tgt_conv2d_rvv_f32dw(Cg *c, int n, LLVMValueRef fn);
int64_t tgt_conv2d_rvv_f32dw_scratch(Cg *c, const Node *nd);
/* kernel_neon_gemm.c: int8 dense on AArch64 */
extern const TgtKernel tgt_k_neon_dense;
int tgt_dense_neon_applies(Cg *c, const Node *nd, const char **why);
void tgt_dense_neon(Cg *c, int n, LLVMValueRef fn);
int64_t tgt_dense_neon_scratch(Cg *c, const Node *nd);
/* kernel_neon_gemm.c: int8 1x1 stride-1 unpadded conv2d with dotprod */
extern const TgtKernel tgt_k_neon_conv1x1;
int tgt_conv1x1_neon_applies(Cg *c, const Node *nd, const char **why);
void tgt_conv1x1_neon(Cg *c, int n, LLVMValueRef fn);
int64_t tgt_conv1x1_neon_scratch(Cg *c, const Node *nd);
/* kernel_neon_f32.c: the f32 vector lanes of m (kernel_f32_dw.c): 16 or 8
 * on x86-64 (tgt_x86_f32_lanes), 4 on AArch64 with NEON, else 0 */
int tgt_f32_lanes(const TgtMachine *m);
/* kernel_neon.c: MultiplyByQuantizedMultiplier + zp, clamped, of 4 i32
 * lanes in sqshl/sqrdmulh/sqadd/srshl (bit-exact: its comment says why) */
LLVMValueRef tgt_neon_requant(Cg *c, const Requant *rq, LLVMValueRef acc, LLVMValueRef mult,
                              LLVMValueRef shift);
extern const TgtKernel tgt_k_neon_f32_dw_conv2d, tgt_k_neon_f32_conv2d;

/* ---- conv_common.c: what the conv2d kernels share ------------------------ */

/* Fills g for conv2d node nd (ir_conv_geo).  Returns 0, or 1 (declined:
 * *why says why, when why is not NULL) for an invalid geometry or a
 * negative pad. */
int tgt_conv_geo(Cg *c, const Node *nd, ConvGeo *g, const char **why);
/* The rows and columns of the input copied with its padding into a scratch
 * buffer so that every tap of every output pixel lies inside it. */
void tgt_conv_padded(const ConvGeo *g, int64_t *Hp, int64_t *Wp);
/* A constant global NAME.<tag><n> of the len bytes of buf (malloc'd; freed). */
LLVMValueRef tgt_const_packed(Cg *c, const char *tag, int n, unsigned char *buf, size_t len);
/* v's low bytes, little-endian, at p. */
void tgt_put_le(unsigned char *p, uint32_t v, int bytes);
/* An int8 weighted node's i32 bias (or 0) minus k times the sum of each
 * output channel's weights, wrapping (mod 2^32 like the accumulation),
 * zero-padded to lanes entries: the constant global NAME.<tag><n>.  A
 * kernel that multiplies x + k' instead of x - zx passes k = zx + k' (zx for
 * x as it is, 128 + zx for x xor 0x80); 0 gives the bias alone. */
LLVMValueRef tgt_fold_bias(Cg *c, const Node *nd, int64_t lanes, int64_t k, const char *tag, int n);
/* A load of t at p with the given alignment. */
LLVMValueRef tgt_load_al(Cg *c, LLVMTypeRef t, LLVMValueRef p, unsigned align);

/* The copy of batch element in of x (int8 NCHW, or NHWC: s->nhwc) into a padded NHWC scratch
 * of Wp columns: tgt_scratch_open opens the loops over channel ci, row h
 * and column w and returns x[in, ci, h, w] (i8); the kernel converts it and
 * stores it at tgt_scratch_at (Cp elements a pixel); tgt_scratch_close. */
typedef struct {
	Loop lc, lh, lw;
	LLVMValueRef ci, srow, w;
	int nhwc; /* x is stored NHWC: the loops run over h, w, ci (the reads
	             are contiguous) */
} ScratchCopy;
LLVMValueRef tgt_scratch_open(Cg *c, ScratchCopy *s, const ConvGeo *g, int64_t Wp, LLVMValueRef x,
                              LLVMValueRef in, int nhwc);
LLVMValueRef tgt_scratch_at(Cg *c, const ScratchCopy *s, int64_t Cp);
void tgt_scratch_close(Cg *c, ScratchCopy *s);
/* The scratch element offset of the first tap of conv output pixel p. */
LLVMValueRef tgt_scratch_pixel(Cg *c, const ConvGeo *g, int64_t Wp, int64_t Cp, LLVMValueRef p);
/* The same for the conv pixel at tap (ky, kx) of pooled pixel p's window,
 * clamped into the conv output (with pool dilation 1 the clamped pixel is
 * a tap of the same window, so a max needs no mask). */
LLVMValueRef tgt_scratch_pool_pixel(Cg *c, const ConvGeo *g, int64_t Wp, int64_t Cp, LLVMValueRef p,
                                    LLVMValueRef ky, LLVMValueRef kx);
/* A chunk's stored rows: the L rows of block j (L lanes, the chunk's
 * pixels) at st[r * nblk + j] (type tv), transposed in registers
 * (transpose, NULL: tgt_transpose16) to L channels of L pixels, and stored
 * to y[nbase + channel][P] from pixel p0 through a masked store (mstore,
 * its type tms, elements te aligned to align): lanes past P or past the
 * chunk's ch pixels and channels past OC are masked off. */
typedef struct {
	int L;
	int64_t P, ch, OC;
	LLVMTypeRef te, tms, tv;
	LLVMValueRef mstore, y, nbase, st;
	unsigned align;
	int nblk;
	void (*transpose)(Cg *c, LLVMValueRef *v, int L);
	/* y is stored NHWC: no transpose; each of the chunk's pixels stores
	 * its L channels of block j at y[(nbase * P + pixel) ... ]: element
	 * (nbase / OC * P + pixel) * OC + channel, lanes past OC masked off */
	int nhwc;
} RowStore;
/* The chunk's rows of block j (RowStore s) from pixel p0 of a region of np
 * pixels (lanes past np masked off) that starts at output pixel pofs of
 * each row (NULL: 0; tgt_chunks passes P and NULL), transposed and stored. */
void tgt_store_rows(Cg *c, const RowStore *s, LLVMValueRef ob0, LLVMValueRef j, LLVMValueRef p0,
                    int64_t np, LLVMValueRef pofs);
/* The chunks of ch pixels (whole tiles of np) of P for the nb blocks from
 * ob0: for q, p0 = q*ch: tile(c, k, nb, ob0, p0, t) for each tile t of the
 * chunk that starts before P, then for each block j < nb store(c, k, ob0,
 * j, p0), or with store NULL rs's rows. */
typedef void (*TgtTile)(Cg *c, void *k, int nb, LLVMValueRef ob0, LLVMValueRef p0, LLVMValueRef t);
typedef void (*TgtStore)(Cg *c, void *k, LLVMValueRef ob0, LLVMValueRef j, LLVMValueRef p0);
void tgt_chunks(Cg *c, void *k, int nb, LLVMValueRef ob0, int64_t P, int64_t ch, int64_t np,
                TgtTile tile, TgtStore store, const RowStore *rs);

/* The tap loops: for ky < KH, kx < nkx; returns the scratch offset of tap
 * (ky, kx), (ky*dh*Wp + kx*dw) * Cp; the taps' code follows until
 * tgt_taps_close. */
typedef struct {
	Loop lky, lkx;
	LLVMValueRef ky, kx;
} Taps;
LLVMValueRef tgt_taps_open(Cg *c, Taps *t, const ConvGeo *g, int64_t nkx, int64_t Wp, int64_t Cp);
void tgt_taps_close(Cg *c, Taps *t);
/* The in-bound taps of a fused pool's window at pooled pixel (oy, ox): the
 * loops over ky < kh, kx < kw with the conv output pixel (iy, ix) of the
 * tap, inside it (ch x cw) only; the tap's code follows until
 * tgt_pool_taps_close. */
typedef struct {
	Loop lky, lkx;
	If fy, fx;
	LLVMValueRef iy, ix;
} PoolTaps;
void tgt_pool_taps_open(Cg *c, PoolTaps *t, const ConvPool *p, LLVMValueRef oy, LLVMValueRef ox);
void tgt_pool_taps_close(Cg *c, PoolTaps *t);

/* Depthwise taps (channels in lanes): for ky, kx and each block j < nb
 * from ob0, wv = the block's weight vector at the tap (type tw, aligned to
 * walign, at w[(ob * KH * KW + tap)]), then for each pixel i < np the
 * scratch vector (type tx) at base[i] + the tap's and block's offset, and
 * mac(c, k, i, j, x, wv) accumulates. */
typedef void (*TgtDwMac)(Cg *c, void *k, int i, int j, LLVMValueRef x, LLVMValueRef w);
typedef struct {
	const ConvGeo *g;
	int64_t Wp, Cp, lanes;
	LLVMTypeRef tw, tx;
	unsigned walign;
	LLVMValueRef w, s;
} DwTaps;
void tgt_taps_dw(Cg *c, const DwTaps *t, int nb, LLVMValueRef ob0, const LLVMValueRef *base, int np,
                 TgtDwMac mac, void *k);
/* The output channel blocks OCB in groups of nb: f(c, k, nb, ob0) inside a
 * loop over the whole groups, then f(c, k, OCB % nb, ...) for the rest. */
typedef void (*TgtGroup)(Cg *c, void *k, int nb, LLVMValueRef ob0);
void tgt_block_groups(Cg *c, int64_t OCB, int nb, TgtGroup f, void *k);
/* A conv kernel's batch loop, the end of its emit: for each batch element
 * in of g->N, *nbase = in * g->OC (when nbase is not NULL: the first output
 * channel's row), fill(c, k, x, in) copies it from x (fn's parameter 0) into
 * the kernel's scratch, then the blocks of tgt_block_groups(OCB, nb, group).
 * k is the kernel's state. */
typedef void (*TgtFill)(Cg *c, void *k, LLVMValueRef x, LLVMValueRef in);
void tgt_conv_batches(Cg *c, LLVMValueRef fn, const ConvGeo *g, LLVMValueRef *nbase, TgtFill fill,
                      int64_t OCB, int nb, TgtGroup group, void *k);
/* The same for a kernel whose groups are tgt_chunks of rs->ch of the
 * rs->P pixels, tiles of np, that store rs's rows (store NULL); rs->nbase
 * is set for each batch element. */
void tgt_conv_rows(Cg *c, LLVMValueRef fn, const ConvGeo *g, TgtFill fill, int64_t OCB, int nb,
                   int64_t np, TgtTile tile, RowStore *rs, void *k);

/* tgt_epilogue_init for an int8 kernel, whose accumulator is i32. */
void tgt_int8_epilogue(Cg *c, int n, Epilogue *e);
/* The opening the int8 kernels (kernel_avx2, _x86, _neon, _rvv.c) share,
 * in the order of the globals it makes: the epilogue e of node n
 * (tgt_int8_epilogue), weights(c, k, n) (the kernel's own intrinsics
 * and packed weights), then q: the folded bias NAME.b<tag><n>
 * (tgt_fold_bias with k = x's zero point when fold_zx, plus fold_add) and
 * the requant tables of tag (tgt_requant_tables), lanes entries each (the
 * output channels padded to whole blocks).  Returns the padded scratch:
 * scratch_n elements of scratch_t aligned to scratch_align.  k is the
 * kernel's state. */
typedef struct {
	LLVMValueRef bias, mult, shift, fm;
} Int8Consts;
typedef struct {
	const char *tag; /* "avx2": NAME.bavx2<n>, NAME.mavx2<n>, ... */
	int64_t lanes;
	int fold_zx, fold_add;
	void (*weights)(Cg *c, void *k, int n);
	LLVMTypeRef scratch_t;
	int64_t scratch_n;
	unsigned scratch_align;
} Int8Open;
LLVMValueRef tgt_int8_open(Cg *c, int n, const Int8Open *o, Epilogue *e, Int8Consts *q, void *k);
/* Block blk of an int8 kernel's output: the accumulator vector a (i32,
 * one lane per output channel of the block) requantized with q's tables
 * at blk (tgt_requant, or tgt_requant_float under --requant float), then
 * truncated to tb. */
LLVMValueRef tgt_int8_requant_block(Cg *c, const Int8Consts *q, const Requant *rq, LLVMValueRef a,
                                    LLVMValueRef blk, LLVMTypeRef tb);
/* The kernel's arena scratch (its function's last parameter, the arena
 * bytes plan-memory gave the node) rounded up to TGT_SCRATCH_ALIGN, plus
 * off bytes; the kernel's scratch function said how many it uses. */
LLVMValueRef tgt_arena_scratch(Cg *c, int64_t off);
/* tgt_alloca aligned to align (a small buffer on the stack). */
LLVMValueRef tgt_alloca_al(Cg *c, LLVMTypeRef t, int64_t n, unsigned align);
/* The function name of type t in the module, declared if not yet (an
 * intrinsic). */
LLVMValueRef tgt_intrinsic(Cg *c, const char *name, LLVMTypeRef t);
/* Marks the loop whose back branch is br llvm.loop.unroll.disable (one
 * requantization live at a time, where unrolling would spill them). */
void tgt_loop_no_unroll(Cg *c, LLVMValueRef br);
/* Asks the vectorizer to interleave the loop whose back branch is br n
 * times (a long dependent chain per element, such as exp's polynomial,
 * runs n vectors at once). */
void tgt_loop_interleave(Cg *c, LLVMValueRef br, int n);
/* Transposes 16 vectors of 16 elements in place (shuffles). */
void tgt_transpose16(Cg *c, LLVMValueRef v[16]);

/* ---- x86_isa.c: the instruction sets the kernels need -------------------- */

/* The sign of the last "+name" or "-name" in the feature list fs: 1, 0, or
 * -1 when it is not there. */
int tgt_feature_sign(const char *fs, const char *name);
/* Whether cpu is one of the NULL-terminated list. */
int tgt_cpu_in(const char *cpu, const char *const *list);
/* Whether m is x86-64 with AVX-512 VNNI / with AVX2. */
int tgt_x86_vnni(const TgtMachine *m);
int tgt_x86_avx2(const TgtMachine *m);
/* AVX-512 VBMI (vpermi2b: a 128-byte table lookup of 64 bytes) */
int tgt_x86_vbmi(const TgtMachine *m);
/* AVX-512BW (byte vectors of 64: vpshufb zmm) */
int tgt_x86_avx512bw(const TgtMachine *m);
/* Whether m is x86-64 with SSE2 (every x86-64 unless "-sse2") / with
 * SSSE3 (pmaddubsw). */
int tgt_x86_sse2(const TgtMachine *m);
int tgt_x86_ssse3(const TgtMachine *m);
/* The vector lanes m's CPU gives the f32 kernels: 16 with AVX-512F, 8 with
 * AVX2, 0 otherwise (not x86-64: the generic loops). */
int tgt_x86_f32_lanes(const TgtMachine *m);
/* AArch64: 1 with sdot (dotprod), 0 with NEON only (smlal), -1 without NEON. */
int tgt_neon_variant(const TgtMachine *m);
/* RISC-V with V; thumbv7em with the DSP extension. */
int tgt_rvv(const TgtMachine *m);
int tgt_armm_dsp(const TgtMachine *m);
/* Makes m (an x86-64 machine, its other fields set) the default
 * multi-ISA machine: its levels (x86-64, x86-64-v3, x86-64-v4 with
 * AVX512_VNNI), the lowest as m's own cpu and features. */
void tgt_x86_levels(TgtMachine *m);
/* The levels' CPUs for messages: "x86-64, x86-64-v3, x86-64-v4+avx512vnni". */
extern const char tgt_x86_levels_text[];
/* kernel_armm.c, for the DSP kernels' applies_more: whether x - zx fits an
 * int16 half (1), else 0 with *why. */
int tgt_armm_zx_ok(Cg *c, const Node *nd, const char **why);
/* The same, then fills g (ir_conv_geo) for conv2d node nd: 1, or 0 with
 * *why for an invalid geometry. */
int tgt_armm_conv_geo(Cg *c, const Node *nd, ConvGeo *g, const char **why);
/* kernel_armm.c: the shortened exact requantization of the DSP kernels.
 * tgt_armm_rq_table: a conv2d node's per-channel table ({m, 2^(e-2), e-1}
 * for OCP >= OC channels), or NULL when the node needs tgt_epilogue;
 * tgt_armm_requant: the int8 result of acc with the three words ch of its
 * channel's row. */
LLVMValueRef tgt_armm_rq_table(Cg *c, int n, const Epilogue *e, int64_t OCP);
LLVMValueRef tgt_armm_requant(Cg *c, const Requant *rq, LLVMValueRef acc, LLVMValueRef ch[3]);
/* ---- header.c ------------------------------------------------------------ */

/* The C header of docs/abi.md, malloc'd, NUL-terminated; instrumented,
 * it also lists the traced layers and defines NAME_TRACE_LAYERS. */
char *tgt_header(const Graph *g, const char *name, int instrument, size_t *len);
/* The C parameter names of the graph's inputs then outputs, unique and
 * never "arena"; a NULL-terminated malloc'd array for tgt_free_names. */
char **tgt_param_names(const Graph *g);
void tgt_free_names(char **names);

#endif
