/* ir/ir.h — the graph IR shared by the frontend, the passes and the targets.
 *
 * A Graph owns arrays of Values and Nodes that refer to each other by index
 * (never by pointer: the arrays grow).  Nodes are kept in topological order.
 * Everything a graph allocates lives in its own arena and is released at once
 * by ir_graph_free (QBE style: nothing is freed piece by piece).
 *
 * Sections follow the file that defines each export.
 */
#ifndef QUANTC_IR_H
#define QUANTC_IR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum {
	IR_MAX_RANK = 6,
	IR_MAX_IN = 64, /* concat's operands (DenseNet blocks join up to ~64) */
	IR_ALIGN = 16, /* arena alignment of every tensor, bytes */
};

/* ---- diag.c: diagnostics ------------------------------------------------ */

/* A source position.  line == 0 means "the file as a whole" (printed as
 * "file: error: ..."); file == NULL means no file at all ("quantc: error:"). */
typedef struct {
	const char *file;
	int line, col;
} Loc;

typedef struct {
	int nerrors;
	int nwarnings;
	FILE *out;     /* NULL: stderr */
	int quiet;     /* -q: warnings (and their notes) and progress are not shown */
	int suppressed; /* the last warning was not shown: neither are its notes */
	int nshown_warnings;  /* warnings shown: at most 50, like errors */
	int nhidden_warnings; /* ... and those left out past that, for diag_finish */
} Diag;

/* file:line:col: error: message, then the source line and a caret. */
void diag_error(Diag *d, Loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_warning(Diag *d, Loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_note(Diag *d, Loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_verror(Diag *d, Loc loc, const char *kind, const char *fmt, va_list ap);
/* At the end of a run: "quantc: note: N more warnings not shown" if the cap
 * left some out. */
void diag_finish(Diag *d);
/* An internal bug: "quantc: internal error: file.c:88: ..." and exit(70). */
_Noreturn void ir_ice(const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
#define ICE(...) ir_ice(__FILE__, __LINE__, __VA_ARGS__)
/* A progress bar on stderr for a step over `total` items ("calibrate
 * 312/1000 [=====     ]"), drawn only when stderr is a terminal, the Diag is
 * not quiet and the step has already taken half a second; erased at the end. */
typedef struct {
	const char *what;
	int64_t total;
	int on;        /* may draw at all */
	int drawn;     /* something is on the terminal line */
	double t0, last;
} Progress;
void progress_begin(Progress *p, const Diag *d, const char *what, int64_t total);
void progress_step(Progress *p, int64_t done);
void progress_end(Progress *p);
static inline Loc loc_none(void)
{
	Loc l = {0, 0, 0};
	return l;
}
static inline Loc loc_file(const char *f)
{
	Loc l = {f, 0, 0};
	return l;
}

/* ---- types.c: data types and shapes -------------------------------------- */

/* DT(id, name, bytes) */
#define IR_DTYPES(DT)     \
	DT(F32, "f32", 4) \
	DT(I8, "i8", 1)   \
	DT(I16, "i16", 2) \
	DT(I32, "i32", 4) \
	DT(I64, "i64", 8) \
	DT(U8, "u8", 1)

typedef enum {
	DT_NONE,
#define DT(id, name, bytes) DT_##id,
	IR_DTYPES(DT)
#undef DT
	        DT_COUNT
} DType;

typedef struct {
	int rank;
	int64_t d[IR_MAX_RANK];
} Shape;

const char *ir_dtype_name(DType t);      /* "f32"; "?" for DT_NONE */
int ir_dtype_size(DType t);              /* bytes per element */
DType ir_dtype_from_name(const char *s); /* DT_NONE if unknown */
int64_t ir_shape_numel(const Shape *s);  /* product of dims; 1 for rank 0;
                                            INT64_MAX if it overflows */
int ir_shape_eq(const Shape *a, const Shape *b);
/* "[1,64,28,28]" into buf; returns buf. */
char *ir_shape_str(const Shape *s, char *buf, size_t n);

/* ---- the op table (ops.def) ---------------------------------------------- */

typedef enum {
	OP_NONE, /* a deleted node; ir_graph_compact removes it */
#define OP(id, name, mn, mx, attrs, flags, fam, precs, meaning) OP_##id,
#include "ops.def"
#undef OP
	OP_COUNT
} Op;

/* Attributes.  AT(id, name, count): count is the number of integers it takes,
 * 0 for an identifier (act), -1 for a variable-length list (shape),
 * IR_ATTR_F32 for one f32 (printed "%.9g", so it reads back bit for bit),
 * IR_ATTR_WORD for one of a list of words. */
#define IR_ATTR_F32 (-2)
/* IR_ATTR_WORD: one word of a list (ir_attr_words), stored as its index. */
#define IR_ATTR_WORD (-3)
#define IR_ATTRS(AT)                                                          \
	AT(STRIDE, "stride", 2)                                               \
	AT(PAD, "pad", 4) /* top, left, bottom, right */                      \
	AT(DILATION, "dilation", 2)                                           \
	AT(KERNEL, "kernel", 2)                                               \
	AT(GROUPS, "groups", 1)                                               \
	AT(AXIS, "axis", 1)                                                   \
	AT(ACT, "act", 0)                                                     \
	AT(SHAPE, "shape", -1)                                                \
	AT(ALPHA, "alpha", IR_ATTR_F32)                                       \
	AT(BETA, "beta", IR_ATTR_F32)                                         \
	AT(MIN, "min", IR_ATTR_F32)                                           \
	AT(MAX, "max", IR_ATTR_F32)                                           \
	AT(COUNT_PAD, "count_pad", 1)                                         \
	AT(PERM, "perm", -1)                                                  \
	AT(PADS, "pads", -1) /* begin..., end...: up to 2 * IR_MAX_RANK */    \
	AT(VALUE, "value", IR_ATTR_F32)                                       \
	AT(POOL, "pool", 2) /* conv2d: a fused max-pool window; 0,0 = none */ \
	AT(POOL_STRIDE, "pool_stride", 2)                                     \
	AT(POOL_PAD, "pool_pad", 4)                                           \
	AT(POOL_DILATION, "pool_dilation", 2)                                 \
	AT(STARTS, "starts", -1) /* slice: per sliced axis */                 \
	AT(ENDS, "ends", -1)                                                  \
	AT(AXES, "axes", -1) /* slice, reduce_*: the axes ([]: all) */        \
	AT(STEPS, "steps", -1)                                                \
	AT(MODE, "mode", IR_ATTR_WORD) /* resize */                           \
	AT(COORD, "coord", IR_ATTR_WORD)                                      \
	AT(KEEPDIMS, "keepdims", 1) /* reduce_* */                            \
	AT(PAD_MODE, "pad_mode", IR_ATTR_WORD) /* pad: IR_PAD_* */

enum {
#define AT(id, name, n) AI_##id,
	IR_ATTRS(AT)
#undef AT
	        AI_COUNT
};
enum {
#define AT(id, name, n) A_##id = 1 << AI_##id,
	IR_ATTRS(AT)
#undef AT
};

enum {
	OPF_ACT = 1 << 0,
	OPF_KEEPQ = 1 << 1,
	OPF_WEIGHTS = 1 << 2,
	OPF_INPLACE = 1 << 3,
	OPF_VIEW = 1 << 4,
};

/* The op families (ops.def's family column).  Each family has one file per
 * layer holding its ops' rules for that layer's stages. */
#define IR_FAMILIES(F)                                                          \
	F(WEIGHTED, "weighted")       /* conv2d, dense: weights per output channel */ \
	F(ACTIVATION, "activation")   /* one element in, one out (and softmax) */ \
	F(POOL, "pool")               /* windows over NCHW planes */                          \
	F(SHAPE, "shape")             /* moves elements: reshape, pad, transpose */         \
	F(ELEMENTWISE, "elementwise") /* several operands, broadcast */         \
	F(CONVERT, "convert")         /* quantize, dequantize */                        \
	F(REDUCE, "reduce")           /* reduce_*: over a set of axes */                  \
	F(MATMUL, "matmul")           /* two run-time operands contracted: matmul */

typedef enum {
#define F(id, name) FAM_##id,
	IR_FAMILIES(F)
#undef F
	        FAM_COUNT
} Family;
extern const char *const ir_family_names[FAM_COUNT];

/* The precisions an op has kernels in (ops.def's precs column). */
enum {
	PR_F32 = 1 << 0,
	PR_I8 = 1 << 1,
	PR_I16 = 1 << 2,
	PR_ALL = PR_F32 | PR_I8 | PR_I16,
};

typedef struct {
	const char *name;
	int min_in, max_in;
	unsigned attrs; /* A_* */
	unsigned flags; /* OPF_* */
	Family family;
	unsigned precs; /* PR_* */
	const char *meaning;
} OpInfo;

typedef struct {
	const char *name;
	int count;
} AttrInfo;

extern const OpInfo ir_ops[OP_COUNT];
extern const AttrInfo ir_attrs[AI_COUNT];
Op ir_op_from_name(const char *s); /* OP_NONE if unknown */

typedef enum { ACT_NONE, ACT_RELU, ACT_RELU6 } Act;
const char *ir_act_name(Act a);      /* "none", "relu", "relu6" */
int ir_act_from_name(const char *s); /* -1 if unknown */

/* Every node carries every attribute; ir_attrs_default fills the defaults and
 * the op's A_* mask says which ones are meaningful (and printed). */
typedef struct {
	int64_t stride[2];   /* default 1,1 */
	int64_t pad[4];      /* top, left, bottom, right; default 0 */
	int64_t dilation[2]; /* default 1,1 */
	int64_t kernel[2];   /* maxpool window; default 1,1 */
	int64_t groups;      /* default 1 */
	int64_t axis;        /* default 1 */
	Act act;             /* default ACT_NONE */
	int nshape;          /* reshape target */
	int64_t shape[IR_MAX_RANK];
	float alpha, beta;   /* default 0.2, 0.5 (leaky_relu: alpha 0.01) */
	float min, max;      /* clip bounds; default -FLT_MAX, FLT_MAX */
	int64_t count_pad;   /* avgpool2d: 1 = padding counts in the divisor; default 0 */
	int nperm;           /* transpose: out axis i is input axis perm[i] */
	int64_t perm[IR_MAX_RANK];
	int npads;           /* pad: begin per axis, then end per axis (4: the
	                        last two axes, top, left, bottom, right) */
	int64_t pads[2 * IR_MAX_RANK];
	float value;         /* pad: the constant; default 0 */
	/* conv2d's fused max-pool (the fuse-pool pass; ir_conv_pool reads
	 * them): maxpool2d's kernel, stride, pad and dilation, applied to the
	 * activated, requantized convolution output.  pool = 0,0 (the
	 * default): none, and the other three keep their defaults (1,1;
	 * 0,0,0,0; 1,1). */
	int64_t pool[2];
	int64_t pool_stride[2];
	int64_t pool_pad[4];
	int64_t pool_dilation[2];
	/* slice (ONNX Slice, ir_slice_geo reads them): starts, ends, and the
	 * axes they apply to (none: 0, 1, ...) with their steps (none: 1) */
	int nstarts, nends, naxes, nsteps;
	int64_t starts[IR_MAX_RANK], ends[IR_MAX_RANK], axes[IR_MAX_RANK], steps[IR_MAX_RANK];
	/* resize: the interpolation (IR_RESIZE_*) and the coordinate
	 * transformation (IR_COORD_*); default nearest, half_pixel */
	int64_t mode, coord;
	/* reduce_*: whether the result keeps the reduced axes (axes above)
	 * as extent 1; default 1 */
	int64_t keepdims;
	/* pad: where the padding's elements come from (IR_PAD_*); default
	 * constant (the value) */
	int64_t pad_mode;
	/* any op: the arena bytes its target kernel uses as scratch while it
	 * runs, at arena offset scratch[0], scratch[1] bytes (plan-memory with
	 * the target's hook sets them; 0 bytes: none).  Printed
	 * "scratch = [OFF,BYTES]" when set; the interpreter ignores it. */
	int64_t scratch[2];
	/* any op whose result has rank 4: how its result is stored (IR_LAYOUT_*;
	 * the choose-layout pass sets it for the target's kernels).  The
	 * shape stays NCHW, the interface; the interpreter computes on NCHW,
	 * the target stores the tensor NHWC.  Printed "layout = nhwc" when
	 * set. */
	int64_t layout;
} Attrs;

enum { IR_LAYOUT_NCHW, IR_LAYOUT_NHWC };

/* resize's mode: linear, or nearest with ONNX's rounding of the source
 * coordinate (round_prefer_floor, round_prefer_ceil, floor, ceil) */
enum {
	IR_RESIZE_NEAREST,
	IR_RESIZE_NEAREST_PREFER_CEIL,
	IR_RESIZE_NEAREST_FLOOR,
	IR_RESIZE_NEAREST_CEIL,
	IR_RESIZE_LINEAR
};
/* resize's coordinate transformations (ONNX's names) */
enum {
	IR_COORD_HALF_PIXEL,
	IR_COORD_ASYMMETRIC,
	IR_COORD_ALIGN_CORNERS,
	IR_COORD_PYTORCH_HALF_PIXEL,
	IR_COORD_TF_HALF_PIXEL_FOR_NN
};
/* pad's modes: the value (constant), or an element of x (ir_pad_source) */
enum { IR_PAD_CONSTANT, IR_PAD_REFLECT, IR_PAD_EDGE, IR_PAD_WRAP, IR_PAD_SYMMETRIC };
/* The words of an IR_ATTR_WORD attribute, NULL-terminated, in the order of
 * their values. */
const char *const *ir_attr_words(int ai);

void ir_attrs_default(Attrs *a);
/* The defaults of op's attributes where they differ by op (leaky_relu's
 * alpha, softmax's axis = -1: the last); what the parser and importers use. */
void ir_attrs_default_op(Attrs *a, Op op);

/* ---- graph.c: values, nodes, graphs --------------------------------------- */

/* Quantization parameters: real = scale * (q - zp).  Per tensor (axis = -1,
 * n = 1) or per channel along axis (n = shape[axis], zp = 0). */
typedef struct {
	int present;
	int axis;
	int n;
	float *scale;
	int32_t zp;
	int i16; /* a pin (on an f32 value) asking for int16, zp 0: q(..., bits=16) */
} QParams;

typedef enum { VK_TEMP, VK_INPUT, VK_CONST } ValueKind;

typedef struct {
	char *name;
	Loc loc;
	ValueKind kind;
	int has_type; /* dt and shape are known (given, or by infer-shapes) */
	DType dt;
	Shape shape;
	QParams q;
	int has_range; /* declared or proven interval, real units */
	float range[2];
	int has_calib; /* observed by calibrate, real units */
	float calib[2];
	int has_clip;  /* the range a calibration method chose inside calib */
	float clip[2];
	void *data;     /* VK_CONST: numel * dtype_size bytes, host order, C order */
	int64_t offset; /* arena byte offset from plan-memory; -1 = none */
	int def;        /* index of the defining node; -1 for inputs and consts */
	int is_output;
} Value;

typedef struct {
	Op op;
	int nin;
	int in[IR_MAX_IN]; /* value indices */
	int out;           /* value index */
	Attrs a;
	Loc loc;
} Node;

typedef struct ArenaChunk ArenaChunk;

typedef struct {
	char *name;   /* model name */
	char *file;   /* source path (for diagnostics), may be NULL */
	Value *vals;
	int nval, capval;
	Node *nodes;
	int nnode, capnode;
	int *inputs; /* value indices, in declaration order */
	int ninput, capinput;
	int *outputs;
	int noutput, capoutput;
	int64_t arena_size; /* set by plan-memory (and recomputed by the parser
	                       from @offsets); 0 = not planned */
	ArenaChunk *mem;
	void *names; /* name -> value index hash table (graph.c) */
	int requant_float; /* --requant float: conv2d/dense requantize as
	                      onnxruntime does (ir_requant_float), the float
	                      edge rounds half to even; printed
	                      "model NAME { requant = float }" */
} Graph;

Graph *ir_graph_new(const char *name);
/* Runs fn(g, d) with its diagnostics captured rather than printed; when it
 * reports an error, the first error's message (after "error: ", to the end
 * of its line) goes to msg, for an importer to report against its own node.
 * Returns 0, or -1 on an error. */
int ir_run_captured(int (*fn)(Graph *g, Diag *d), Graph *g, char *msg, size_t n);
void ir_graph_free(Graph *g);
/* A deep copy of g (values, nodes, constant data, quantization parameters,
 * names, memory plan) that lives and dies on its own. */
Graph *ir_graph_clone(const Graph *g);
void *ir_alloc(Graph *g, size_t n); /* zeroed, 16-aligned, lives with g */
char *ir_strdup(Graph *g, const char *s);
/* Generic growable array: makes room for n+1 elements of size sz. */
void ir_vgrow(void **p, int *cap, int n, size_t sz);

/* New value named name (must not exist yet; returns -1 if it does). */
int ir_value_new(Graph *g, const char *name, ValueKind k, Loc loc);
/* A fresh value named after base ("t1.q", "t1.q1", ...). */
int ir_value_new_unique(Graph *g, const char *base, ValueKind k, Loc loc);
int ir_value_find(const Graph *g, const char *name); /* -1 if none */
/* Appends a node; sets vals[out].def.  Returns the node index. */
int ir_node_new(Graph *g, Op op, int out, const int *in, int nin, Loc loc);
void ir_add_input(Graph *g, int v);
void ir_add_output(Graph *g, int v);
int64_t ir_value_bytes(const Value *v); /* numel * dtype size; INT64_MAX on overflow */

/* ---- layout.c: how a tensor is stored --------------------------------------- */

/* IR_LAYOUT_* of value v: its defining node's layout; inputs and constants
 * are NCHW. */
int ir_value_layout(const Graph *g, int v);
/* 1 when node n is element-wise over operands of its result's shape (and
 * constants of one element, a unary op's lookup table), all per tensor:
 * it computes the same whatever the layout, if every operand shares it. */
int ir_layout_free(const Graph *g, int n);
/* 1 when every non-constant operand of n is stored in n's own layout. */
int ir_layout_free_ok(const Graph *g, int n);
/* Sets v's quantization to per-tensor (scale, zp). */
void ir_set_qparams(Graph *g, int v, float scale, int32_t zp);
/* Sets v's quantization to per-channel along axis (n scales, zp 0). */
void ir_set_qparams_axis(Graph *g, int v, int axis, int n, const float *scale);
/* Removes OP_NONE nodes and values that nothing refers to; renumbers. */
void ir_graph_compact(Graph *g);
/* Makes OP_NONE every node whose result reaches no graph output (an unused
 * branch of an imported model: it would cost time and arena); compaction
 * then drops them.  Nodes must be in topological order. */
void ir_drop_dead(Graph *g);
/* Recomputes use counts: uses[v] = number of node operands reading v
 * (+1 if v is an output).  uses must hold g->nval ints. */
void ir_count_uses(const Graph *g, int *uses);

/* ---- verify.c ------------------------------------------------------------ */

/* Structural checks (operand counts, topological order, types present where
 * required, constant data, quantization consistency).  Reports through d;
 * returns the number of errors. */
int ir_verify(Graph *g, Diag *d);

/* ---- print.c / frontend parser: the text form ---------------------------- */

typedef struct {
	const char *heading;  /* printed as "# heading" first line, or NULL */
	int elide_constants;  /* large constants and long per-channel scale lists
	                         printed as "..." (not parseable); ignored with
	                         npy_dir: a dump is always whole */
	const char *npy_dir;  /* write large constants as npy files here ... */
	const char *npy_prefix; /* ... named <prefix><value>.npy, referenced
	                           relative to the dump's folder */
} PrintOptions;

enum { IR_INLINE_MAX = 16 }; /* constants up to this many elements are inline */

/* Prints g in .qg syntax.  Returns 0, or -1 if an npy file could not be
 * written (reported through d). */
int ir_print(FILE *f, Graph *g, const PrintOptions *po, Diag *d);

/* ---- dot.c: the graph as a Graphviz picture ------------------------------- */

/* Writes g as a dot digraph titled title (NULL: the model name): one box per
 * op with its constants folded in, edges labelled with type and quantization,
 * fill colours by storage type.  Deterministic.  Returns -1 on a write error. */
int ir_print_dot(FILE *f, const Graph *g, const char *title);

/* ---- quant.c: integer arithmetic of docs/requant.md ------------------------ */

/* TFLite QuantizeMultiplier: m = mult * 2^(shift - 31), mult in [2^30, 2^31). */
void ir_quantize_multiplier(double m, int32_t *mult, int *shift);
int32_t ir_srdhm(int32_t a, int32_t b);             /* SaturatingRoundingDoublingHighMul */
int32_t ir_rdbpot(int32_t x, int exponent);         /* RoundingDivideByPOT, 0..31 */
int32_t ir_mbqm(int32_t x, int32_t mult, int shift); /* MultiplyByQuantizedMultiplier */
/* The int64-accumulator MultiplyByQuantizedMultiplier of TFLite's 16x8
 * kernels (int16 activations with an int64 bias): multiplier rounded to 16
 * bits, one rounding shift; x saturated to [-2^47, 2^47), result to int32. */
int32_t ir_mbqm64(int64_t x, int32_t mult, int shift);
/* Asymmetric per-tensor parameters for [lo, hi] (widened to contain 0) in
 * storage type dt (DT_I8: asymmetric [-128,127]; DT_I16: symmetric). */
void ir_choose_qparams(float lo, float hi, DType dt, float *scale, int32_t *zp);
int32_t ir_qmin(DType dt);
int32_t ir_qmax(DType dt);
/* Clamp bounds of a quantized output with fused activation act. */
void ir_act_bounds(Act act, DType dt, float scale, int32_t zp, int32_t *lo, int32_t *hi);
/* Per-output-channel requantization of a weighted node (conv2d/dense) whose
 * input, weights and output are quantized.  mult/shift hold OC entries. */
void ir_node_requant(const Graph *g, const Node *n, int32_t *mult, int *shift);
/* Round half away from zero of x / scale plus zp, saturated to dt's range;
 * NaN gives zp.  Same arithmetic as the runtime's qrt_quantize_*. */
int32_t ir_quantize_value(float x, float scale, int32_t zp, DType dt);
/* --requant float (docs/requant.md), onnxruntime's arithmetic: the float32
 * multiplier (s_in * s_w) / s_out, two float32 roundings in that order ... */
float ir_requant_float_mult(float s_in, float s_w, float s_out);
/* ... applied to an int32 accumulator: v = (float)acc * m, clamped to
 * [lo - zp, hi - zp], rounded half to even, + zp. */
int32_t ir_requant_float(int32_t acc, float m, int32_t zp, int32_t lo, int32_t hi);
/* A graph in float requantization mode holds only ops it defines
 * (conv2d, dense, quantize from f32, and the ops that do not requantize);
 * anything else is diagnosed.  Returns the number of errors. */
int ir_check_requant_float(const Graph *g, Diag *d);
/* global_avgpool's float multiplier over n pixels (fam_pool.c):
 * s_in / (s_out * (float)n), two float32 roundings, as onnxruntime. */
float ir_gavg_float_mult(float s_in, float s_out, int64_t n);

/* ---- interp.c: the reference interpreter ---------------------------------- */

typedef struct Interp Interp;
/* Called after each value is produced (inputs first, then every node's
 * output, in order), with the value index and its storage-type data. */
typedef void (*InterpHook)(void *ctx, const Graph *g, int v, const void *data);

Interp *ir_interp_new(Graph *g, Diag *d); /* NULL (diagnosed) on failure */
/* The checks of ir_interp_new alone (types, quantization, tables, geometry
 * of every node), without allocating buffers: the number of errors.  The
 * verifier runs them on quantized or planned graphs, so that `run` and
 * `compile` accept the same dumps. */
int ir_interp_check(Graph *g, Diag *d);
void ir_interp_free(Interp *in);
void ir_interp_set_hook(Interp *in, InterpHook fn, void *ctx);
/* Runs one sample.  inputs[i] / outputs[i] are in the storage type of
 * graph input / output i (float for f32 graphs, int8 for quantized ones). */
int ir_interp_run(Interp *in, const void *const *inputs, void *const *outputs);
/* Float edge: quantizes float inputs and dequantizes outputs exactly as the
 * generated NAME_run does. */
int ir_interp_run_f32(Interp *in, const float *const *inputs, float *const *outputs);
/* The buffer holding value v after a run (storage type). */
const void *ir_interp_value(Interp *in, int v);

/* ---- geometry.c: window ops, pad and transpose ----------------------------- */

/* pad's amounts per axis of a rank-d operand from its 'pads' (2 x rank
 * values, begin then end; or 4: the last two axes, top, left, bottom,
 * right).  Returns -1 if they do not fit the rank or one is negative. */
int ir_pad_amounts(const Attrs *a, int rank, int64_t *begin, int64_t *end);
/* Why pad's mode cannot pad an operand of shape x by begin / end (NULL: it
 * can; else the reason, written into buf): a mode outside IR_PAD_*, a value
 * other than 0 outside constant mode, or a pad beyond what the mode defines
 * (reflect: n - 1, wrap and symmetric: n, edge: any on a non-empty axis). */
const char *ir_pad_mode_bad(const Attrs *a, const Shape *x, const int64_t *begin,
                            const int64_t *end, char *buf, size_t n);
/* The index along an axis of size n that pad's mode copies to the place i
 * (the result's index minus begin; in [-pad, n + pad) within the bounds
 * above); -1 for constant mode's padding. */
int64_t ir_pad_source(int64_t mode, int64_t i, int64_t n);
/* transpose's permutation (an empty 'perm': the axes reversed).  Returns -1
 * unless it is a permutation of 0 .. rank-1. */
int ir_transpose_perm(const Attrs *a, int rank, int *perm);

/* slice's element walk of a rank-d operand of shape x (ONNX Slice: each
 * sliced axis's negative start / end counts from the end; both are then
 * clamped, to [0, dim] for a positive step, to [0, dim-1] and [-1, dim-1]
 * for a negative one).  Per axis of the result: out->d[k] elements, the
 * first at index first[k] of x, then every step[k] (negative: backwards);
 * axes not sliced are whole.  Returns -1 if the attributes do not fit x
 * (lengths differ, an axis out of range or repeated, a step of 0). */
int ir_slice_geo(const Attrs *a, const Shape *x, int64_t *first, int64_t *step, Shape *out);

/* gather's walk: x of shape x gathered along axis (negative: from the end)
 * by indices of shape idx is [outer, n, inner] read as [outer, ni, inner]
 * (ni = numel(idx)); *out is the result's shape.  Returns the axis made
 * non-negative, or -1 if it is out of range or the result's rank exceeds
 * IR_MAX_RANK. */
int ir_gather_geo(const Shape *x, const Shape *idx, int64_t axis, int64_t *outer, int64_t *n,
                  int64_t *inner, Shape *out);
/* expand's walk: per axis k of the result out, the stride xst[k] (in
 * elements) of the x element it reads; 0 where x is broadcast.  Returns -1
 * unless x broadcasts to out (x's rank at most out's, each of x's axes,
 * aligned at the end, of size 1 or out's). */
int ir_expand_strides(const Shape *x, const Shape *out, int64_t *xst);

/* resize (ops.def's row says what they compute), along one axis of input
 * size n and output size m at scale s, for output index i: */
/* ... the reason a resize of x to out with scales s (operand 1, which must
 * be an f32 constant of rank(x) positive scales) is invalid, or NULL */
const char *ir_resize_bad(const Attrs *a, const Shape *x, const Shape *out, const Value *s);
/* ... the source coordinate (f32 arithmetic) */
float ir_resize_coord(const Attrs *a, int64_t i, int64_t n, int64_t m, float s);
/* ... nearest: the source index */
int64_t ir_resize_nearest(const Attrs *a, int64_t i, int64_t n, int64_t m, float s);
/* ... linear in f32: the two source indices and their weights */
void ir_resize_linear(const Attrs *a, int64_t i, int64_t n, int64_t m, float s, int64_t *i0,
                      int64_t *i1, float *w0, float *w1);
/* ... linear on integers (TFLite RESIZE_BILINEAR): indices and weights in
 * 1/1024 */
void ir_resize_linear_q(const Attrs *a, int64_t i, int64_t n, int64_t m, float s, int64_t *i0,
                        int64_t *i1, int32_t *w0, int32_t *w1);

/* The geometry of a conv2d's fused max-pool.  The node's result (its value's
 * shape) is the pooled tensor [N, OC, oh, ow]; the convolution's own output
 * [N, OC, ch, cw] never exists as a value.  The pool reads that output
 * exactly as maxpool2d reads its input: for each (n, oc, oy, ox) the max
 * over the in-bound taps y = oy*sh - pt + ky*dh, x = ox*sw - pl + kx*dw
 * (0 <= y < ch, 0 <= x < cw) of the activated, requantized conv output;
 * an empty window gives 0 (f32) or the output zero point. */
typedef struct {
	int64_t ch, cw;           /* the convolution's output height and width */
	int64_t kh, kw;           /* window */
	int64_t sh, sw;           /* stride */
	int64_t pt, pl, pb, pr;   /* padding: top, left, bottom, right */
	int64_t dh, dw;           /* dilation */
	int64_t oh, ow;           /* the pooled height and width (the result's) */
} ConvPool;

/* Whether conv2d node n carries a fused max-pool (pool != 0,0). */
static inline int ir_has_pool(const Node *n)
{
	return n->a.pool[0] != 0 || n->a.pool[1] != 0;
}
/* Fills p for conv2d node n from its operands' shapes and attributes (the
 * result's shape is not read: infer-shapes uses this too).  Without a
 * fused pool p is the identity (1x1 window, stride 1, oh = ch, ow = cw).
 * Returns 1 with a pool, 0 without, -1 if the geometry is invalid (a
 * window that does not fit, padding not smaller than the window's span,
 * a non-positive window, stride or dilation; conv dims < 1). */
int ir_conv_pool(const Graph *g, const Node *n, ConvPool *p);

/* A window's output extent along one axis: (in + p0 + p1 - span) / s + 1,
 * span = d * (k - 1) + 1 (floor division, as ONNX without ceil_mode); -1 if
 * the window does not fit the padded input. */
int64_t ir_out_dim(int64_t in, int64_t k, int64_t s, int64_t p0, int64_t p1, int64_t d);
/* The taps k in [*k0, *k1) (k < nk) whose input coordinate off + k*d lies
 * in [0, n): the in-bound part of a window, so no tap needs a test. */
void ir_tap_range(int64_t n, int64_t nk, int64_t d, int64_t off, int64_t *k0, int64_t *k1);

/* The geometry of a window op (conv2d, maxpool2d, avgpool2d), NCHW: what
 * every kernel of them reads.  Pools are a grouped convolution with one
 * channel per group (G = C, Cg = OCg = 1) and their kernel as the window. */
typedef struct {
	int64_t N, C, H, W;      /* input */
	int64_t OC, G, Cg, OCg;  /* output channels, groups, channels per group in and out */
	int64_t KH, KW;          /* window: conv2d's weights' [KH, KW], a pool's kernel */
	int64_t sh, sw;          /* stride */
	int64_t dh, dw;          /* dilation */
	int64_t pt, pl, pb, pr;  /* padding: top, left, bottom, right */
	int64_t OH, OW;          /* the window op's own output (conv2d: before a fused pool) */
	ConvPool pool;           /* conv2d's fused max-pool; the identity without one */
} ConvGeo;
/* Fills cg for node n from its operands' shapes and attributes (the
 * result's shape is read only for its rank).  Returns 0, or -1 if the
 * geometry is invalid (as ir_conv_pool). */
int ir_conv_geo(const Graph *g, const Node *n, ConvGeo *cg);
/* The geometry of conv2d's fused max-pool (cg->pool) as a maxpool2d over
 * the convolution's own output [N, OC, ch, cw]: one channel per group. */
void ir_conv_pool_geo(const ConvGeo *cg, ConvGeo *pm);

/* ---- util.c -------------------------------------------------------------- */

/* Output files (outputs.c).  Open with ir_atomic_open, write to the FILE,
 * then ir_atomic_commit (or ir_atomic_abort on failure).  The data goes to a
 * temporary beside path; the commit checks every write (ENOSPC, EFBIG) and
 * renames it over path, or, inside a transaction, leaves that to
 * ir_outputs_commit.  An output that is not a regular file, is an input, or
 * is the same file as another output of the transaction is refused. */
typedef struct {
	FILE *f;
	char *path, *tmp;
	int slot;
} AtomicFile;
int ir_atomic_open(AtomicFile *af, const char *path, Diag *d);
int ir_atomic_commit(AtomicFile *af, Diag *d);
void ir_atomic_abort(AtomicFile *af);
/* A transaction: the files committed after ir_outputs_begin (which returns
 * its mark) are renamed into place by ir_outputs_commit(mark) all together,
 * only when every one of them was written, or none is (the files they would
 * replace stay as they were; a failure is diagnosed).  ir_outputs_abort(mark)
 * removes them.  Transactions nest: an inner commit leaves its files to the
 * enclosing transaction, while ir_outputs_publish renames them at once (the
 * --dump-dir files, wanted even when the command later fails).  Temporaries
 * left when the process exits or is killed by a signal are removed. */
int ir_outputs_begin(void);
int ir_outputs_commit(int mark, Diag *d);
int ir_outputs_publish(int mark, Diag *d);
void ir_outputs_abort(int mark);
/* Whether path is a file ir_fopen_input has read (after ir_protect_inputs). */
int ir_path_is_input(const char *path);
void *ir_xmalloc(size_t n);                 /* aborts (ICE) on exhaustion */
void *ir_xcalloc(size_t n, size_t sz);
void *ir_xrealloc(void *p, size_t n);
char *ir_xstrdup(const char *s);
/* Overflow-checked products; return 0 on overflow. */
int ir_mul_ok(int64_t a, int64_t b, int64_t *out);
/* "Did you mean": the candidate closest to a mistyped word, by edit
 * distance (insertions, deletions, substitutions and swaps of two
 * neighbours, each 1), if it is close enough to be a typo: at most 1 for
 * words of 2 or 3 characters, 2 up to 6, 3 beyond (none for one character).
 * Feed the candidates one by one (the first of equally close ones wins),
 * then read best (NULL: none is close, or the word itself is a candidate). */
typedef struct {
	const char *word;
	const char *best;
	int dist;
} IrSuggest;
void ir_suggest_init(IrSuggest *s, const char *word);
void ir_suggest_add(IrSuggest *s, const char *candidate);
/* The best of a NULL-terminated list, or NULL. */
const char *ir_suggest(const char *word, const char *const *candidates);
int ir_edit_distance(const char *a, const char *b);
/* Opens an input file for reading.  Only a regular file is read: a
 * directory, FIFO, device or socket could block, never end or be endless
 * (it is opened with O_NONBLOCK, so even a FIFO without a writer does not
 * hang).  Returns NULL with *why set to the reason ("it is a FIFO", an
 * strerror text).  Every file quantc reads goes through here. */
FILE *ir_fopen_input(const char *path, const char **why);
/* The same, diagnosed at loc as "<fail>: <why>" (fail e.g. "cannot read the
 * model"). */
FILE *ir_open_input(const char *path, const char *fail, Diag *d, Loc loc);
/* Once called (by the driver), ir_atomic_open refuses to replace a file
 * that ir_fopen_input has opened: an output never overwrites an input. */
void ir_protect_inputs(void);
/* The limits of docs/limits.md: bytes of one tensor (2 GiB), and of the
 * arena (4 GiB - 1, what qrt_model.arena_size holds; --max-memory lowers it). */
#define IR_MAX_TENSOR_BYTES ((int64_t)1 << 31)
/* ... and of all the constants of a model together (2 GiB too). */
#define IR_MAX_CONST_BYTES ((int64_t)1 << 31)
#define IR_MAX_ARENA_BYTES ((int64_t)UINT32_MAX)
/* The partial sums of an f32 dense (ir/interp.c's definition): a power of
 * two; the compiled kernels hold them in one <16 x float> vector. */
#define IR_DENSE_F32_PARTS 16

#endif
