/* frontend/onnx_import.h — private to the ONNX importer: the state shared by
 * onnx.c (reading the file, the tensor table, the node loop, diagnostics),
 * onnx_fold.c (operators evaluated at import time on constants) and
 * onnx_ops.c (operators mapped to IR nodes, and the op table).
 *
 * Every ONNX tensor name gets one OTensor.  A tensor is either a constant
 * the importer holds itself (initializers, Constant nodes and everything
 * folded from them: shapes, indices, weights) or a run-time tensor, which is
 * an IR value.  Constants become IR values only when an IR node takes them
 * as weights (oi_weight), so shape arithmetic never reaches the graph. */
#ifndef QUANTC_ONNX_IMPORT_H
#define QUANTC_ONNX_IMPORT_H

#include "frontend.h"
#include "onnx.pb-c.h"

/* ONNX TensorProto data types the importer knows by name */
enum {
	OT_FLOAT = 1,
	OT_UINT8 = 2,
	OT_INT8 = 3,
	OT_UINT16 = 4,
	OT_INT16 = 5,
	OT_INT32 = 6,
	OT_INT64 = 7,
	OT_STRING = 8,
	OT_BOOL = 9,
	OT_FLOAT16 = 10,
	OT_DOUBLE = 11,
	OT_UINT32 = 12,
	OT_UINT64 = 13,
};

/* AttributeProto types */
enum { OA_FLOAT = 1, OA_INT = 2, OA_STRING = 3, OA_TENSOR = 4, OA_FLOATS = 6, OA_INTS = 7 };

/* The largest constant the importer builds (elements): folding a small shape
 * tensor must not be able to ask for gigabytes. */
enum { OI_MAX_ELEMS = 1 << 28 };

typedef struct {
	char *name;   /* the ONNX name (malloc'd) */
	int defined;  /* an initializer, a graph input or an earlier node's output */
	int uses;     /* ONNX nodes reading it, +1 per graph output naming it */
	int isconst;
	/* a constant: */
	DType dt;     /* DT_F32 (float, double) or DT_I64 (every integer type, bool) */
	int otype;    /* its ONNX data type (OT_*) */
	Shape shape;  /* dims may be 0 here (empty tensors), unlike in the IR */
	void *data;   /* malloc'd, numel elements of dt */
	/* a run-time tensor, or a constant made an IR value: */
	int v;        /* -1: none yet */
	/* QDQ (onnx_qdq.c): a pin is the int8 parameters a DequantizeLinear gave
	 * a constant (pin_n scales along pin_axis, or 1), which its IR value
	 * carries; qpend marks a QuantizeLinear's output, which only a
	 * DequantizeLinear may read (qsrc: the quantized tensor's index) */
	int pin_n, pin_axis, qpend, qsrc;
	int32_t pin_zp;
	float *pin_scale; /* malloc'd */
} OTensor;

typedef struct {
	const char *file;
	Graph *g;
	Diag *d;
	int opset;                  /* of the standard domain */
	OTensor *t;
	int nt, capt;
	int *slot;                  /* name -> index + 1, open addressing */
	unsigned cap;
	const Onnx__NodeProto *node; /* the node being imported */
	int node_index;
	int (*infer_shapes)(Graph *g, Diag *d); /* FeReadOptions' */
	const FeReadOptions *ro;    /* the options (--bind: bind.c) */
} Imp;

/* One row of the op table (onnx_ops.c): fold runs when every input present
 * is a constant, lower otherwise; either may be NULL.  Both define the node's
 * outputs (oi_def_*) and return 0, or report (oi_err) and return -1. */
typedef int (*OiFn)(Imp *im);
typedef struct {
	const char *op;
	OiFn fold, lower;
	/* the IR ops it becomes, comma-separated ("dense, transpose, add"), or
	 * "" when it leaves no node (folded at import); docs/onnx.md's operator
	 * table is generated from it (tests/tools/onnx_table.c), which refuses a
	 * row without it */
	const char *ir;
} OnnxOp;

extern const OnnxOp oi_ops[];
extern const int oi_nops;

/* ---- onnx.c -------------------------------------------------------------- */

/* "model.onnx: error: node 'NAME' (OpType): ..." about the current node;
 * returns -1. */
int oi_err(Imp *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Input k of the current node; NULL when it is absent or "" (optional). */
OTensor *oi_in(Imp *im, int k);
int oi_nin(const Imp *im);
int oi_nout(const Imp *im);
OTensor *oi_find(Imp *im, const char *name);
int64_t oi_numel(const OTensor *t);
/* The shape of any defined tensor (a run-time one's from its IR value). */
const Shape *oi_shape(Imp *im, const OTensor *t);

/* Attributes of the current node.  Each returns 0 when the attribute is
 * absent (leaving the default), 1 when present, -1 (diagnosed) when it has
 * the wrong type or too many values. */
const Onnx__AttributeProto *oi_attr(Imp *im, const char *name);
int oi_attr_int(Imp *im, const char *name, int64_t *out);
int oi_attr_float(Imp *im, const char *name, float *out);
int oi_attr_ints(Imp *im, const char *name, int64_t *out, int max, int *n);
int oi_attr_str(Imp *im, const char *name, char *buf, size_t n);

/* Defines output k of the current node as a constant (takes data) or as IR
 * value v.  Returns 0, or -1 (diagnosed). */
int oi_def_const(Imp *im, int k, DType dt, int otype, const Shape *s, void *data);
int oi_def_value(Imp *im, int k, int v);
/* Whether a later node or the graph's outputs read output k. */
int oi_out_used(Imp *im, int k);
/* Output k as the same tensor as src (Identity, Dropout, Cast to itself). */
int oi_def_alias(Imp *im, int k, OTensor *src);

/* Reads a TensorProto into a constant (t->name is left alone).  what names
 * it in messages. */
int oi_tensor_read(Imp *im, const Onnx__TensorProto *tp, OTensor *t, const char *what);
/* A constant integer tensor of rank 0 or 1 as up to max int64s: shapes,
 * axes, pads given as inputs.  Absent (t NULL) gives *n = -1. */
int oi_const_ints(Imp *im, OTensor *t, const char *what, int64_t *out, int max, int *n);
/* Element i of a constant, as double / int64. */
double oi_getf(const OTensor *t, int64_t i);
int64_t oi_geti(const OTensor *t, int64_t i);

/* A constant tensor as an f32 IR constant (made once, named after it). */
int oi_weight(Imp *im, OTensor *t, const char *what);
/* A new f32 IR constant named after base, holding a copy of data. */
int oi_new_const(Imp *im, const char *base, const Shape *s, const float *data);
/* The same with int64 elements (gather's indices). */
int oi_new_const_i64(Imp *im, const char *base, const Shape *s, const int64_t *data);
/* A run-time input k, or -1 (diagnosed) if it is absent or a constant. */
int oi_runtime(Imp *im, int k, OTensor **t);
/* Appends an IR node computing output 0 of the current node (named after
 * it), infers its type (shape errors are reported against the ONNX node)
 * and defines output 0.  Returns the node index, or -1. */
int oi_emit(Imp *im, Op op, const int *in, int nin, const Attrs *a);
/* As oi_emit, for output k (Split's outputs). */
int oi_emit_out(Imp *im, int k, Op op, const int *in, int nin, const Attrs *a);
/* As oi_emit, but defines no ONNX tensor: an intermediate result of a node
 * lowered to several IR nodes.  Returns the IR value, or -1. */
int oi_emit_tmp(Imp *im, Op op, const int *in, int nin, const Attrs *a);
/* The IR node that computes t, when t is a run-time tensor that the current
 * node alone reads (so the current node can be folded into it); else -1. */
int oi_producer(Imp *im, const OTensor *t);
/* Makes IR node n compute output 0 of the current node instead of its own
 * ONNX output (which nothing else reads): the node keeps its place, its
 * result takes the current node's output name.  Returns 0 or -1. */
int oi_retarget(Imp *im, int n);
/* A new constant tensor (takes data) under a name made from base that the
 * model does not use; returns the name (owned by the tensor table).  For
 * an attribute of an old opset that is an input now (onnx_opset.c). */
const char *oi_const_input(Imp *im, const char *base, DType dt, int otype, const Shape *s,
                           void *data);

/* ---- onnx_qdq.c: QuantizeLinear / DequantizeLinear ------------------------ */

int oi_fold_quantize(Imp *im);
int oi_lower_quantize(Imp *im);
int oi_fold_dequantize(Imp *im);
int oi_lower_dequantize(Imp *im);
/* IR value v (made from constant t) takes t's pin, if it has one. */
void oi_qdq_pin_value(Imp *im, const OTensor *t, int v);

/* ---- onnx_fold.c: operators on constants -------------------------------- */

int oi_fold_constant(Imp *im);
int oi_fold_identity(Imp *im);
int oi_fold_shape(Imp *im);
int oi_fold_gather(Imp *im);
int oi_fold_unsqueeze(Imp *im);
int oi_fold_squeeze(Imp *im);
int oi_fold_reshape(Imp *im);
int oi_fold_flatten(Imp *im);
int oi_fold_concat(Imp *im);
int oi_fold_constant_of_shape(Imp *im);
int oi_fold_cast(Imp *im);
int oi_fold_slice(Imp *im);
int oi_fold_transpose(Imp *im);
int oi_fold_binary(Imp *im);
/* The target shape of Reshape / Unsqueeze / Squeeze / Flatten for an input
 * of shape in (ONNX rules: 0 copies a dimension, -1 is inferred, negative
 * axes count from the end).  Shared by the folders and the lowerings.
 * Returns 0, or -1 (diagnosed). */
int oi_reshape_target(Imp *im, const Shape *in, Shape *out);
int oi_unsqueeze_target(Imp *im, const Shape *in, Shape *out);
int oi_squeeze_target(Imp *im, const Shape *in, Shape *out);
int oi_flatten_target(Imp *im, const Shape *in, Shape *out, int64_t *axis);

/* ---- onnx_opset.c: older opsets ------------------------------------------ */

enum { OI_EDIT_INPUTS = 8, OI_EDIT_ATTRS = 4 };

/* A node rewritten into the form of the newest opset (see onnx_opset.c):
 * a shallow copy of the file's node with its own input and attribute
 * arrays. */
typedef struct {
	Onnx__NodeProto n;
	char **in;
	Onnx__AttributeProto **attr;
	Onnx__AttributeProto add[OI_EDIT_ATTRS]; /* new attributes */
	int nadd;
	const char *type; /* the op type whose row imports it ("Resize" for Upsample) */
} OiEdit;

/* Rewrites the current node for the model's opset into e and makes it the
 * current node; returns 0, or -1 (diagnosed: what the node's old form
 * means that quantc cannot read).  oi_edit_free after either. */
int oi_translate(Imp *im, OiEdit *e);
void oi_edit_free(OiEdit *e);
/* The op type an operator is imported as, in any opset. */
const char *oi_opset_type(const char *op_type);

/* ---- onnx_rnn.c: RNN, GRU, LSTM unrolled over their time steps ------------ */

int oi_lower_rnn(Imp *im);
int oi_lower_gru(Imp *im);
int oi_lower_lstm(Imp *im);
/* onnx_fold.c: Expand of a constant (PyTorch's zero initial state) */
int oi_fold_expand(Imp *im);

/* ---- onnx_norm.c: Instance-, Layer-, GroupNormalization as IR ops -------- */

int oi_lower_instance_norm(Imp *im);
int oi_lower_layer_norm(Imp *im);
int oi_lower_group_norm(Imp *im);

#endif
