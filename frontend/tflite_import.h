/* frontend/tflite_import.h — private to the TFLite importer: the state shared
 * by tflite.c (the subgraph walk, tensors as IR values, pins, layout,
 * refusals) and tflite_ops.c (one function per TFLite operator and the op
 * table).
 *
 * Every tensor of subgraph 0 gets one TTensor.  A constant (a tensor with a
 * buffer) becomes an IR constant only when an operator takes it, in the
 * layout that operator needs.  A run-time tensor may have two IR values: its
 * NHWC form (the file's layout) and, for a 4-D tensor, its NCHW form (what
 * the IR's window ops take); asking for the missing one emits one transpose,
 * remembered, so a chain of convolutions has no transposes between them. */
#ifndef QUANTC_TFLITE_IMPORT_H
#define QUANTC_TFLITE_IMPORT_H

#include "frontend.h"
#include "tflite_read.h"

/* TFLite's BuiltinOperator codes the importer maps */
enum {
	TFL_OP_ADD = 0,
	TFL_OP_AVERAGE_POOL_2D = 1,
	TFL_OP_CONCATENATION = 2,
	TFL_OP_CONV_2D = 3,
	TFL_OP_DEPTHWISE_CONV_2D = 4,
	TFL_OP_DEQUANTIZE = 6,
	TFL_OP_FULLY_CONNECTED = 9,
	TFL_OP_LOGISTIC = 14,
	TFL_OP_MAX_POOL_2D = 17,
	TFL_OP_MUL = 18,
	TFL_OP_RELU = 19,
	TFL_OP_RELU_N1_TO_1 = 20,
	TFL_OP_RELU6 = 21,
	TFL_OP_RESHAPE = 22,
	TFL_OP_SOFTMAX = 25,
	TFL_OP_TANH = 28,
	TFL_OP_PAD = 34,
	TFL_OP_MEAN = 40,
	TFL_OP_SUB = 41,
	TFL_OP_SQUEEZE = 43,
	TFL_OP_LEAKY_RELU = 97,
	TFL_OP_QUANTIZE = 114,
	TFL_OP_HARD_SWISH = 117,
};

/* ActivationFunctionType */
enum {
	TFL_ACT_NONE,
	TFL_ACT_RELU,
	TFL_ACT_RELU_N1_TO_1,
	TFL_ACT_RELU6,
	TFL_ACT_TANH,
	TFL_ACT_SIGN_BIT
};

typedef struct {
	int nhwc, nchw; /* IR values of the tensor in each layout; -1: none yet.
	                 * A tensor of rank other than 4 uses nhwc alone. */
	int readers;    /* operators reading it, +1 if it is a graph output */
	int deq;        /* a DEQUANTIZE of constant deq - 1: a float constant */
} TTensor;

typedef struct {
	const char *file;
	Graph *g;
	Diag *d;
	TflModel *m;
	TflSubgraph *sg;
	TTensor *t;
	int op;        /* the operator being imported (index in subgraph 0) */
	const TflOp *o;
	int (*infer_shapes)(Graph *g, Diag *d);
} Tim;

/* One row of the op table (tflite_ops.c).  check runs for every operator
 * before anything is built (so that every refusal is reported at once): the
 * operand counts, the options, the types; lower builds the IR.  Both return
 * 0, or -1 after ti_err. */
typedef int (*TiFn)(Tim *im);
typedef struct {
	int code;       /* BuiltinOperator */
	int opts;       /* its BuiltinOptions type when it has options (0: none
	                 * read); an operator whose options are of another
	                 * type is refused */
	TiFn check, lower;
	const char *ir; /* the IR ops it becomes ("conv2d, transpose") */
} TflOpRow;

extern const TflOpRow ti_ops[];
extern const int ti_nops;
const TflOpRow *ti_find_op(int code);

/* ---- tflite.c ------------------------------------------------------------- */

/* "model.tflite: error: operator K (NAME, output 'name'): ..." about the
 * current operator; returns -1. */
int ti_err(Tim *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Tensor index of the current operator's input k / output k; -1 if absent. */
int ti_in(const Tim *im, int k);
int ti_out(const Tim *im, int k);
const TflTensor *ti_tensor(const Tim *im, int t);
int ti_is_const(const Tim *im, int t);
/* Whether a tensor holds int8 numbers with parameters (int8, or uint8 read
 * as int8 with zero point - 128): an activation the IR pins. */
int ti_is_quant(const Tim *im, int t);
/* The per-tensor parameters of tensor t (uint8: zero point - 128). */
void ti_qparams(const Tim *im, int t, float *scale, int32_t *zp);
/* A constant as floats ((q - zp) * s for integer types; per channel along
 * quantized_dimension), malloc'd, numel elements in the file's order; NULL
 * after ti_err.  what names it in messages. */
float *ti_const_floats(Tim *im, int t, const char *what);
/* A constant of an integer type as int64s (shapes, axes, paddings);
 * malloc'd, NULL after ti_err. */
int64_t *ti_const_ints(Tim *im, int t, const char *what, int64_t *n);
/* A new f32 IR constant of shape s named after base, holding data (copied). */
int ti_new_const(Tim *im, const char *base, const Shape *s, const float *data);
/* The name of the current operator's output (its first part) followed by
 * suffix (".w": its weights), malloc'd. */
char *ti_out_name(const Tim *im, const char *suffix);
/* The file's shape of tensor t. */
Shape ti_shape(const Tim *im, int t);

/* Run-time tensor t in NHWC (the file's layout) / NCHW (4-D only); emits
 * the transpose the first time.  -1 after ti_err. */
int ti_nhwc(Tim *im, int t);
int ti_nchw(Tim *im, int t);
/* Whether t is 4-D and has its NCHW value already. */
int ti_has_nchw(const Tim *im, int t);
/* Constant t as an f32 IR value (4-D: in NCHW order when nchw is set), not
 * pinned.  -1 after ti_err. */
int ti_const_value(Tim *im, int t, int nchw);

/* Appends an IR node computing an intermediate or the current operator's
 * output 0: a new value named after the output tensor, typed by
 * infer-shapes (a shape error is reported against the operator), pinned
 * with the output tensor's parameters when it is quantized.  Returns the
 * value, or -1. */
int ti_emit(Tim *im, Op op, const int *in, int nin, const Attrs *a);
/* As ti_emit, pinned with tensor pin's parameters instead (-1: none): an
 * op that keeps its input's parameters. */
int ti_emit_as(Tim *im, Op op, const int *in, int nin, const Attrs *a, int pin);
/* Defines the current operator's output k as IR value v, in NCHW (nchw
 * set, 4-D only) or NHWC. */
int ti_def(Tim *im, int k, int v, int nchw);
/* v with TFLite's fused activation act applied (relu and relu6 go into the
 * node's act attribute when it takes one, by the caller; RELU_N1_TO_1 and
 * ops without act are followed by a clip).  Returns v or the new value. */
int ti_fused_act(Tim *im, int v, int act);
/* A fused activation the IR supports? (check step) */
int ti_check_act(Tim *im, int act);
/* Pins IR constant v with tensor t's parameters: per channel (t's
 * quantized dimension, which the caller has made axis 0 of v) or per
 * tensor. */
void ti_pin_const(Tim *im, int v, int t);
/* v (holding input tensor tin's numbers, with its parameters) brought to
 * the current operator's output parameters: v itself when they are equal,
 * else a one-operand concat that requantizes, pinned with them. */
int ti_requant_out(Tim *im, int v, int tin);

#endif
