/* frontend/tflite_read.c — decodes a .tflite file (TFLite's FlatBuffers
 * schema, version 3) into a TflModel (tflite_read.h).  Nothing here trusts
 * the file: every position is checked against its size before a byte is
 * read, and every read goes through memcpy (a file may be unaligned in
 * memory).  The field ids below are the order of the fields in TFLite's
 * schema (tensorflow/lite/schema/schema.fbs), a union counting twice. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tflite_read.h"

/* field ids */
enum {
	MODEL_VERSION = 0,
	MODEL_OPCODES = 1,
	MODEL_SUBGRAPHS = 2,
	MODEL_DESC = 3,
	MODEL_BUFFERS = 4
};
enum { OPC_DEPRECATED = 0, OPC_CUSTOM = 1, OPC_VERSION = 2, OPC_BUILTIN = 3 };
enum { SG_TENSORS = 0, SG_INPUTS = 1, SG_OUTPUTS = 2, SG_OPERATORS = 3, SG_NAME = 4 };
enum {
	TEN_SHAPE = 0,
	TEN_TYPE = 1,
	TEN_BUFFER = 2,
	TEN_NAME = 3,
	TEN_QUANT = 4,
	TEN_VARIABLE = 5,
	TEN_SPARSITY = 6,
};
enum { Q_MIN = 0, Q_MAX = 1, Q_SCALE = 2, Q_ZP = 3, Q_DETAILS_TYPE = 4, Q_DIM = 6 };
enum {
	OP_OPCODE = 0,
	OP_INPUTS = 1,
	OP_OUTPUTS = 2,
	OP_OPT_TYPE = 3,
	OP_OPT = 4,
	OP_CUSTOM_OPT = 5,
	OP_INTERMEDIATES = 8,
};
enum { BUF_DATA = 0, BUF_OFFSET = 1, BUF_SIZE = 2 };

/* A checked vector: count elements of elsize bytes at pos. */
typedef struct {
	uint32_t pos, n;
} Vec;

/* The buffers table, decoded once: where each buffer's bytes are. */
typedef struct {
	const uint8_t *p;
	size_t n;
} Buf;

static int fail(TflModel *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(TflModel *m, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* diag_error counts the error (diag_verror only prints it) */
	diag_error(m->d, loc_file(m->path), "%s", msg);
	return -1;
}

static uint32_t rd32(const TflModel *m, uint64_t at)
{
	uint32_t v;
	memcpy(&v, m->file + at, 4);
	return v;
}

static uint16_t rd16(const TflModel *m, uint64_t at)
{
	uint16_t v;
	memcpy(&v, m->file + at, 2);
	return v;
}

/* Whether [at, at + n) lies in the file. */
static int inside(const TflModel *m, uint64_t at, uint64_t n)
{
	return at <= m->size && n <= m->size - at;
}

/* The table at pos: its vtable found and checked.  what names it. */
static int table_at(TflModel *m, uint64_t pos, TflTable *t, const char *what)
{
	if (pos % 4 || !inside(m, pos, 4))
		return fail(m, "%s: table at byte %llu is %s", what, (unsigned long long)pos,
		            inside(m, pos, 4) ? "misaligned" : "outside the file");
	int32_t back;
	memcpy(&back, m->file + pos, 4);
	int64_t vt = (int64_t)pos - back;
	if (vt < 0 || vt % 2 || !inside(m, (uint64_t)vt, 4))
		return fail(m, "%s: the vtable of the table at byte %llu is %s", what,
		            (unsigned long long)pos,
		            vt >= 0 && inside(m, (uint64_t)vt, 4) ? "misaligned"
		                                                  : "outside the file");
	uint16_t vlen = rd16(m, (uint64_t)vt), tlen = rd16(m, (uint64_t)vt + 2);
	if (vlen < 4 || vlen % 2 || !inside(m, (uint64_t)vt, vlen))
		return fail(m, "%s: the vtable at byte %lld has a bad length %u", what,
		            (long long)vt, vlen);
	if (tlen < 4 || !inside(m, pos, tlen))
		return fail(m,
		            "%s: the table at byte %llu (%u bytes) runs past the end of the file",
		            what, (unsigned long long)pos, tlen);
	t->pos = (uint32_t)pos;
	t->vt = (uint32_t)vt;
	t->nfield = (uint16_t)((vlen - 4) / 2);
	return 0;
}

/* The position of field id holding size bytes, or 0 when absent; -1 when
 * the vtable says the field lies outside its table. */
static int64_t field(TflModel *m, const TflTable *t, int id, int size, const char *what)
{
	if (!t->pos || id >= t->nfield)
		return 0;
	uint16_t off = rd16(m, t->vt + 4 + 2 * (uint64_t)id);
	if (!off)
		return 0;
	uint16_t tlen = rd16(m, t->vt + 2);
	if (off < 4 || off + size > tlen)
		return fail(m, "%s: field %d lies outside its table", what, id);
	return (int64_t)t->pos + off;
}

/* Scalar fields: *out = the field, or def when absent. */
static int get_int(TflModel *m, const TflTable *t, int id, int size, int64_t def, int64_t *out,
                   const char *what)
{
	int64_t at = field(m, t, id, size, what);
	if (at < 0)
		return -1;
	*out = def;
	if (!at)
		return 0;
	switch (size) {
	case 1: {
		int8_t v;
		memcpy(&v, m->file + at, 1);
		*out = v;
		break;
	}
	case 2: {
		int16_t v;
		memcpy(&v, m->file + at, 2);
		*out = v;
		break;
	}
	case 4: {
		int32_t v;
		memcpy(&v, m->file + at, 4);
		*out = v;
		break;
	}
	default: memcpy(out, m->file + at, 8);
	}
	return 0;
}

/* The uoffset in field id, followed: *to = the target's position (0 when
 * the field is absent). */
static int get_ref(TflModel *m, const TflTable *t, int id, uint64_t *to, const char *what)
{
	int64_t at = field(m, t, id, 4, what);
	*to = 0;
	if (at <= 0)
		return (int)at;
	if (at % 4)
		return fail(m, "%s: field %d is misaligned", what, id);
	*to = (uint64_t)at + rd32(m, (uint64_t)at);
	if (*to >= m->size)
		return fail(m, "%s: field %d points past the end of the file", what, id);
	return 0;
}

/* A vector at pos of elements of elsize bytes (aligned to min(elsize, 4)
 * and, for 8-byte elements, to 8). */
static int vec_at(TflModel *m, uint64_t pos, int elsize, Vec *v, const char *what)
{
	if (pos % 4 || !inside(m, pos, 4))
		return fail(m, "%s: vector at byte %llu is %s", what, (unsigned long long)pos,
		            inside(m, pos, 4) ? "misaligned" : "outside the file");
	uint32_t n = rd32(m, pos);
	if (!inside(m, pos + 4, (uint64_t)n * (uint64_t)elsize))
		return fail(m,
		            "%s: vector of %u elements at byte %llu runs past the end of the file",
		            what, n, (unsigned long long)pos);
	if (elsize == 8 && n && (pos + 4) % 8)
		return fail(m, "%s: vector of 8-byte elements at byte %llu is misaligned", what,
		            (unsigned long long)pos);
	v->pos = (uint32_t)(pos + 4);
	v->n = n;
	return 0;
}

/* Field id as a vector (absent: 0 elements). */
static int get_vec(TflModel *m, const TflTable *t, int id, int elsize, Vec *v, const char *what)
{
	uint64_t to;
	v->pos = 0;
	v->n = 0;
	if (get_ref(m, t, id, &to, what) < 0)
		return -1;
	return to ? vec_at(m, to, elsize, v, what) : 0;
}

/* Element i of a vector of tables. */
static int vec_table(TflModel *m, const Vec *v, uint32_t i, TflTable *t, const char *what)
{
	uint64_t at = v->pos + 4 * (uint64_t)i;
	return table_at(m, at + rd32(m, at), t, what);
}

/* Field id as a string (absent: ""), malloc'd into *out. */
static int get_str(TflModel *m, const TflTable *t, int id, char **out, const char *what)
{
	uint64_t to;
	Vec v;
	*out = NULL;
	if (get_ref(m, t, id, &to, what) < 0)
		return -1;
	if (!to) {
		*out = ir_xstrdup("");
		return 0;
	}
	if (vec_at(m, to, 1, &v, what) < 0)
		return -1;
	if (!inside(m, (uint64_t)v.pos + v.n, 1) || m->file[v.pos + v.n])
		return fail(m, "%s: string at byte %llu has no terminating 0", what,
		            (unsigned long long)to);
	*out = ir_xmalloc((size_t)v.n + 1);
	memcpy(*out, m->file + v.pos, v.n);
	(*out)[v.n] = 0;
	return 0;
}

/* A vector of int32 field, malloc'd into *out (NULL, n 0 when absent). */
static int get_i32s(TflModel *m, const TflTable *t, int id, int32_t **out, int *n, const char *what)
{
	Vec v;
	*out = NULL;
	*n = 0;
	if (get_vec(m, t, id, 4, &v, what) < 0)
		return -1;
	if (v.n > (1u << 24))
		return fail(m, "%s: %u indices is more than quantc reads", what, v.n);
	*out = ir_xmalloc(((size_t)v.n + 1) * sizeof **out);
	memcpy(*out, m->file + v.pos, (size_t)v.n * 4);
	*n = (int)v.n;
	return 0;
}

/* ---- names -------------------------------------------------------------- */

/* BuiltinOperator by code (schema.fbs, up to RIGHT_SHIFT) */
static const char *const op_names[] = {
        "ADD",
        "AVERAGE_POOL_2D",
        "CONCATENATION",
        "CONV_2D",
        "DEPTHWISE_CONV_2D",
        "DEPTH_TO_SPACE",
        "DEQUANTIZE",
        "EMBEDDING_LOOKUP",
        "FLOOR",
        "FULLY_CONNECTED",
        "HASHTABLE_LOOKUP",
        "L2_NORMALIZATION",
        "L2_POOL_2D",
        "LOCAL_RESPONSE_NORMALIZATION",
        "LOGISTIC",
        "LSH_PROJECTION",
        "LSTM",
        "MAX_POOL_2D",
        "MUL",
        "RELU",
        "RELU_N1_TO_1",
        "RELU6",
        "RESHAPE",
        "RESIZE_BILINEAR",
        "RNN",
        "SOFTMAX",
        "SPACE_TO_DEPTH",
        "SVDF",
        "TANH",
        "CONCAT_EMBEDDINGS",
        "SKIP_GRAM",
        "CALL",
        "CUSTOM",
        "EMBEDDING_LOOKUP_SPARSE",
        "PAD",
        "UNIDIRECTIONAL_SEQUENCE_RNN",
        "GATHER",
        "BATCH_TO_SPACE_ND",
        "SPACE_TO_BATCH_ND",
        "TRANSPOSE",
        "MEAN",
        "SUB",
        "DIV",
        "SQUEEZE",
        "UNIDIRECTIONAL_SEQUENCE_LSTM",
        "STRIDED_SLICE",
        "BIDIRECTIONAL_SEQUENCE_RNN",
        "EXP",
        "TOPK_V2",
        "SPLIT",
        "LOG_SOFTMAX",
        "DELEGATE",
        "BIDIRECTIONAL_SEQUENCE_LSTM",
        "CAST",
        "PRELU",
        "MAXIMUM",
        "ARG_MAX",
        "MINIMUM",
        "LESS",
        "NEG",
        "PADV2",
        "GREATER",
        "GREATER_EQUAL",
        "LESS_EQUAL",
        "SELECT",
        "SLICE",
        "SIN",
        "TRANSPOSE_CONV",
        "SPARSE_TO_DENSE",
        "TILE",
        "EXPAND_DIMS",
        "EQUAL",
        "NOT_EQUAL",
        "LOG",
        "SUM",
        "SQRT",
        "RSQRT",
        "SHAPE",
        "POW",
        "ARG_MIN",
        "FAKE_QUANT",
        "REDUCE_PROD",
        "REDUCE_MAX",
        "PACK",
        "LOGICAL_OR",
        "ONE_HOT",
        "LOGICAL_AND",
        "LOGICAL_NOT",
        "UNPACK",
        "REDUCE_MIN",
        "FLOOR_DIV",
        "REDUCE_ANY",
        "SQUARE",
        "ZEROS_LIKE",
        "FILL",
        "FLOOR_MOD",
        "RANGE",
        "RESIZE_NEAREST_NEIGHBOR",
        "LEAKY_RELU",
        "SQUARED_DIFFERENCE",
        "MIRROR_PAD",
        "ABS",
        "SPLIT_V",
        "UNIQUE",
        "CEIL",
        "REVERSE_V2",
        "ADD_N",
        "GATHER_ND",
        "COS",
        "WHERE",
        "RANK",
        "ELU",
        "REVERSE_SEQUENCE",
        "MATRIX_DIAG",
        "QUANTIZE",
        "MATRIX_SET_DIAG",
        "ROUND",
        "HARD_SWISH",
        "IF",
        "WHILE",
        "NON_MAX_SUPPRESSION_V4",
        "NON_MAX_SUPPRESSION_V5",
        "SCATTER_ND",
        "SELECT_V2",
        "DENSIFY",
        "SEGMENT_SUM",
        "BATCH_MATMUL",
        "PLACEHOLDER_FOR_GREATER_OP_CODES",
        "CUMSUM",
        "CALL_ONCE",
        "BROADCAST_TO",
        "RFFT2D",
        "CONV_3D",
        "IMAG",
        "REAL",
        "COMPLEX_ABS",
        "HASHTABLE",
        "HASHTABLE_FIND",
        "HASHTABLE_IMPORT",
        "HASHTABLE_SIZE",
        "REDUCE_ALL",
        "CONV_3D_TRANSPOSE",
        "VAR_HANDLE",
        "READ_VARIABLE",
        "ASSIGN_VARIABLE",
        "BROADCAST_ARGS",
        "RANDOM_STANDARD_NORMAL",
        "BUCKETIZE",
        "RANDOM_UNIFORM",
        "MULTINOMIAL",
        "GELU",
        "DYNAMIC_UPDATE_SLICE",
        "RELU_0_TO_1",
        "UNSORTED_SEGMENT_PROD",
        "UNSORTED_SEGMENT_MAX",
        "UNSORTED_SEGMENT_SUM",
        "ATAN2",
        "UNSORTED_SEGMENT_MIN",
        "SIGN",
        "BITCAST",
        "BITWISE_XOR",
        "RIGHT_SHIFT",
};

const char *tfl_op_name(int code)
{
	if (code < 0 || code >= (int)(sizeof op_names / sizeof *op_names))
		return NULL;
	return op_names[code];
}

const char *tfl_opcode_name(const TflModel *m, const TflOp *op)
{
	static char buf[32];
	const TflOpcode *c = &m->opcode[op->opcode];
	if (c->custom)
		return c->custom;
	const char *s = tfl_op_name(c->code);
	if (s)
		return s;
	snprintf(buf, sizeof buf, "BUILTIN_%d", c->code);
	return buf;
}

static const char *const type_names[] = {"float32", "float16",    "int32",  "uint8",     "int64",
                                         "string",  "bool",       "int16",  "complex64", "int8",
                                         "float64", "complex128", "uint64", "resource",  "variant",
                                         "uint32",  "uint16",     "int4"};

const char *tfl_type_name(int type)
{
	if (type < 0 || type >= (int)(sizeof type_names / sizeof *type_names))
		return "unknown";
	return type_names[type];
}

int tfl_type_size(int type)
{
	switch (type) {
	case TFL_BOOL:
	case TFL_UINT8:
	case TFL_INT8: return 1;
	case TFL_FLOAT16:
	case TFL_INT16:
	case 16: /* UINT16 */ return 2;
	case TFL_FLOAT32:
	case TFL_INT32:
	case 15: /* UINT32 */ return 4;
	case TFL_INT64:
	case TFL_FLOAT64:
	case 8:  /* COMPLEX64 */
	case 12: /* UINT64 */ return 8;
	case 11: /* COMPLEX128 */ return 16;
	}
	return 0;
}

/* ---- decoding ------------------------------------------------------------ */

static int read_buffers(TflModel *m, const TflTable *root, Buf **out)
{
	Vec v;
	*out = NULL;
	if (get_vec(m, root, MODEL_BUFFERS, 4, &v, "buffers") < 0)
		return -1;
	m->nbuffers = (int)v.n;
	if (v.n > (1u << 24))
		return fail(m, "buffers: %u buffers is more than quantc reads", v.n);
	Buf *b = *out = ir_xcalloc((size_t)v.n + 1, sizeof *b);
	for (uint32_t i = 0; i < v.n; i++) {
		TflTable t;
		Vec data;
		int64_t off, size;
		char what[48];
		snprintf(what, sizeof what, "buffer %u", i);
		if (vec_table(m, &v, i, &t, what) < 0 ||
		    get_vec(m, &t, BUF_DATA, 1, &data, what) < 0 ||
		    get_int(m, &t, BUF_OFFSET, 8, 0, &off, what) < 0 ||
		    get_int(m, &t, BUF_SIZE, 8, 0, &size, what) < 0)
			return -1;
		if (data.n) {
			b[i].p = m->file + data.pos;
			b[i].n = data.n;
		} else if ((uint64_t)off > 1) {
			/* a model over 2 GB keeps its data after the FlatBuffer,
			 * offset from the start of the file */
			if (!inside(m, (uint64_t)off, (uint64_t)size))
				return fail(
				        m,
				        "%s: %lld bytes at offset %lld run past the end of the file",
				        what, (long long)size, (long long)off);
			b[i].p = m->file + off;
			b[i].n = (size_t)size;
		}
	}
	return 0;
}

static int read_quant(TflModel *m, const TflTable *q, TflTensor *t, const char *what)
{
	Vec scale, zp, mn;
	int64_t dim, details;
	if (get_vec(m, q, Q_SCALE, 4, &scale, what) < 0 || get_vec(m, q, Q_ZP, 8, &zp, what) < 0 ||
	    get_vec(m, q, Q_MIN, 4, &mn, what) < 0 ||
	    get_int(m, q, Q_DETAILS_TYPE, 1, 0, &details, what) < 0 ||
	    get_int(m, q, Q_DIM, 4, 0, &dim, what) < 0)
		return -1;
	t->has_minmax = mn.n > 0;
	if (details)
		return fail(m, "%s: custom quantization details are not supported", what);
	if (!scale.n)
		return 0;
	if (zp.n && zp.n != scale.n)
		return fail(m, "%s: %u scales but %u zero points", what, scale.n, zp.n);
	if (scale.n > 1) {
		if (dim < 0 || dim >= t->rank)
			return fail(
			        m,
			        "%s: quantized_dimension %lld is not an axis of a rank-%d tensor",
			        what, (long long)dim, t->rank);
		if ((int64_t)scale.n != t->dims[dim])
			return fail(m, "%s: %u scales for the %d entries of axis %lld", what,
			            scale.n, t->dims[dim], (long long)dim);
	}
	t->nscale = (int)scale.n;
	t->qdim = (int)dim;
	t->scale = ir_xmalloc(scale.n * sizeof *t->scale);
	t->zp = ir_xcalloc(scale.n, sizeof *t->zp);
	memcpy(t->scale, m->file + scale.pos, scale.n * sizeof *t->scale);
	if (zp.n)
		memcpy(t->zp, m->file + zp.pos, zp.n * sizeof *t->zp);
	for (uint32_t i = 0; i < scale.n; i++) {
		if (!isfinite(t->scale[i]) || !(t->scale[i] > 0))
			return fail(m, "%s: scale %u is %g (a scale must be finite and > 0)", what,
			            i, t->scale[i]);
		if (t->zp[i] < INT32_MIN || t->zp[i] > INT32_MAX)
			return fail(m, "%s: zero point %u (%lld) does not fit int32", what, i,
			            (long long)t->zp[i]);
		/* an 8-bit tensor's zero point is one of its values */
		if ((t->type == TFL_INT8 && (t->zp[i] < -128 || t->zp[i] > 127)) ||
		    (t->type == TFL_UINT8 && (t->zp[i] < 0 || t->zp[i] > 255)))
			return fail(m, "%s: zero point %u (%lld) is outside %s", what, i,
			            (long long)t->zp[i], tfl_type_name(t->type));
	}
	return 0;
}

static int read_tensor(TflModel *m, const TflTable *tt, TflTensor *t, const Buf *bufs, int sg,
                       int k)
{
	char what[64];
	Vec shape;
	int64_t type, buffer, variable;
	uint64_t qpos, spos;
	snprintf(what, sizeof what, "subgraph %d: tensor %d", sg, k);
	if (get_str(m, tt, TEN_NAME, &t->name, what) < 0)
		return -1;
	/* messages name the tensor from here */
	snprintf(what, sizeof what, "tensor %d ('%.32s')", k, t->name);
	if (get_vec(m, tt, TEN_SHAPE, 4, &shape, what) < 0 ||
	    get_int(m, tt, TEN_TYPE, 1, 0, &type, what) < 0 ||
	    get_int(m, tt, TEN_BUFFER, 4, 0, &buffer, what) < 0 ||
	    get_int(m, tt, TEN_VARIABLE, 1, 0, &variable, what) < 0 ||
	    get_ref(m, tt, TEN_QUANT, &qpos, what) < 0 ||
	    get_ref(m, tt, TEN_SPARSITY, &spos, what) < 0)
		return -1;
	if (shape.n > TFL_MAX_RANK)
		return fail(m, "%s: rank %u is more than quantc's %d", what, shape.n, TFL_MAX_RANK);
	t->rank = (int)shape.n;
	int64_t numel = 1;
	for (int i = 0; i < t->rank; i++) {
		memcpy(&t->dims[i], m->file + shape.pos + 4 * (size_t)i, 4);
		if (t->dims[i] < 0)
			return fail(m, "%s: dimension %d is %d", what, i, t->dims[i]);
		if (!ir_mul_ok(numel, t->dims[i], &numel) || numel > ((int64_t)1 << 40))
			return fail(m, "%s: too many elements", what);
	}
	t->type = (int)type;
	t->buffer = (uint32_t)buffer;
	t->is_variable = variable != 0;
	t->has_sparsity = spos != 0;
	if (t->buffer >= (uint32_t)m->nbuffers && t->buffer)
		return fail(m, "%s: buffer %u is past the model's %d buffers", what, t->buffer,
		            m->nbuffers);
	if (qpos) {
		TflTable q;
		if (table_at(m, qpos, &q, what) < 0 || read_quant(m, &q, t, what) < 0)
			return -1;
	}
	if (t->buffer && bufs[t->buffer].n) {
		int es = tfl_type_size(t->type);
		int64_t want;
		if (!t->has_sparsity && es &&
		    (!ir_mul_ok(numel, es, &want) || (uint64_t)want != bufs[t->buffer].n))
			return fail(
			        m,
			        "%s: its %s[%lld elements] needs %lld bytes but buffer %u has %zu",
			        what, tfl_type_name(t->type), (long long)numel,
			        (long long)numel * es, t->buffer, bufs[t->buffer].n);
		t->data = bufs[t->buffer].p;
		t->nbytes = bufs[t->buffer].n;
	}
	return 0;
}

static int check_indices(TflModel *m, const int32_t *ix, int n, int ntensors, int optional,
                         const char *what)
{
	for (int i = 0; i < n; i++)
		if (ix[i] >= ntensors || ix[i] < (optional ? -1 : 0))
			return fail(m,
			            "%s: tensor index %d is not one of the subgraph's %d tensors",
			            what, ix[i], ntensors);
	return 0;
}

static int read_operator(TflModel *m, const TflTable *ot, TflOp *op, int ntensors, int k)
{
	char what[48];
	int64_t opcode, opt_type;
	uint64_t opt;
	Vec custom;
	int32_t *inter;
	snprintf(what, sizeof what, "operator %d", k);
	if (get_int(m, ot, OP_OPCODE, 4, 0, &opcode, what) < 0)
		return -1;
	if ((uint32_t)opcode >= (uint32_t)m->nopcodes)
		return fail(m, "%s: opcode index %u is past the model's %d operator codes", what,
		            (uint32_t)opcode, m->nopcodes);
	op->opcode = (int)(uint32_t)opcode;
	if (get_i32s(m, ot, OP_INPUTS, &op->in, &op->nin, what) < 0 ||
	    get_i32s(m, ot, OP_OUTPUTS, &op->out, &op->nout, what) < 0 ||
	    get_int(m, ot, OP_OPT_TYPE, 1, 0, &opt_type, what) < 0 ||
	    get_ref(m, ot, OP_OPT, &opt, what) < 0 ||
	    get_vec(m, ot, OP_CUSTOM_OPT, 1, &custom, what) < 0 ||
	    get_i32s(m, ot, OP_INTERMEDIATES, &inter, &op->nintermediates, what) < 0)
		return -1;
	free(inter);
	op->opt_type = (int)(uint8_t)opt_type;
	op->has_custom_options = custom.n > 0;
	if (opt && table_at(m, opt, &op->opt, what) < 0)
		return -1;
	if (check_indices(m, op->in, op->nin, ntensors, 1, what) < 0 ||
	    check_indices(m, op->out, op->nout, ntensors, 0, what) < 0)
		return -1;
	return 0;
}

static int read_subgraph(TflModel *m, const TflTable *st, TflSubgraph *s, const Buf *bufs, int k)
{
	char what[32];
	Vec tensors, ops;
	snprintf(what, sizeof what, "subgraph %d", k);
	if (get_str(m, st, SG_NAME, &s->name, what) < 0 ||
	    get_vec(m, st, SG_TENSORS, 4, &tensors, what) < 0 ||
	    get_vec(m, st, SG_OPERATORS, 4, &ops, what) < 0 ||
	    get_i32s(m, st, SG_INPUTS, &s->in, &s->nin, what) < 0 ||
	    get_i32s(m, st, SG_OUTPUTS, &s->out, &s->nout, what) < 0)
		return -1;
	if (tensors.n > (1u << 20) || ops.n > (1u << 20))
		return fail(m, "%s: %u tensors and %u operators are more than quantc reads", what,
		            tensors.n, ops.n);
	s->t = ir_xcalloc((size_t)tensors.n + 1, sizeof *s->t);
	s->ntensors = (int)tensors.n;
	for (uint32_t i = 0; i < tensors.n; i++) {
		TflTable tt;
		if (vec_table(m, &tensors, i, &tt, what) < 0 ||
		    read_tensor(m, &tt, &s->t[i], bufs, k, (int)i) < 0)
			return -1;
	}
	if (check_indices(m, s->in, s->nin, s->ntensors, 0, what) < 0 ||
	    check_indices(m, s->out, s->nout, s->ntensors, 0, what) < 0)
		return -1;
	s->op = ir_xcalloc((size_t)ops.n + 1, sizeof *s->op);
	s->nops = (int)ops.n;
	for (uint32_t i = 0; i < ops.n; i++) {
		TflTable ot;
		if (vec_table(m, &ops, i, &ot, what) < 0 ||
		    read_operator(m, &ot, &s->op[i], s->ntensors, (int)i) < 0)
			return -1;
	}
	return 0;
}

static int read_opcodes(TflModel *m, const TflTable *root)
{
	Vec v;
	if (get_vec(m, root, MODEL_OPCODES, 4, &v, "operator codes") < 0)
		return -1;
	if (v.n > (1u << 16))
		return fail(m, "operator codes: %u codes is more than quantc reads", v.n);
	m->opcode = ir_xcalloc((size_t)v.n + 1, sizeof *m->opcode);
	m->nopcodes = (int)v.n;
	for (uint32_t i = 0; i < v.n; i++) {
		TflTable t;
		int64_t dep, code, version;
		char what[40];
		snprintf(what, sizeof what, "operator code %u", i);
		if (vec_table(m, &v, i, &t, what) < 0 ||
		    get_int(m, &t, OPC_DEPRECATED, 1, 0, &dep, what) < 0 ||
		    get_int(m, &t, OPC_BUILTIN, 4, 0, &code, what) < 0 ||
		    get_int(m, &t, OPC_VERSION, 4, 1, &version, what) < 0)
			return -1;
		/* files before the 32-bit field have the code in the byte only;
		 * newer ones have 127 (the placeholder) in the byte */
		m->opcode[i].code = (int)(dep > code ? dep : code);
		m->opcode[i].version = (int)version;
		if (m->opcode[i].code == 32) {
			char *s;
			if (get_str(m, &t, OPC_CUSTOM, &s, what) < 0)
				return -1;
			m->opcode[i].custom = s;
		}
	}
	return 0;
}

static int decode(TflModel *m)
{
	TflTable root;
	Vec sgs;
	Buf *bufs = NULL;
	int64_t version;
	if (m->size < 8)
		return fail(m, "a .tflite file is at least 8 bytes; this one has %zu", m->size);
	if (table_at(m, rd32(m, 0), &root, "the model") < 0 ||
	    get_int(m, &root, MODEL_VERSION, 4, 0, &version, "the model") < 0)
		return -1;
	m->version = (uint32_t)version;
	if (m->version != 3)
		return fail(m, "schema version %u: quantc reads TFLite's version 3", m->version);
	if (get_str(m, &root, MODEL_DESC, &m->description, "the description") < 0 ||
	    read_opcodes(m, &root) < 0 || read_buffers(m, &root, &bufs) < 0 ||
	    get_vec(m, &root, MODEL_SUBGRAPHS, 4, &sgs, "subgraphs") < 0)
		goto bad;
	if (!sgs.n) {
		fail(m, "the model has no subgraph");
		goto bad;
	}
	if (sgs.n > 1024) {
		fail(m, "%u subgraphs is more than quantc reads", sgs.n);
		goto bad;
	}
	m->sg = ir_xcalloc(sgs.n, sizeof *m->sg);
	m->nsubgraphs = (int)sgs.n;
	for (uint32_t i = 0; i < sgs.n; i++) {
		TflTable st;
		if (vec_table(m, &sgs, i, &st, "subgraphs") < 0 ||
		    read_subgraph(m, &st, &m->sg[i], bufs, (int)i) < 0)
			goto bad;
	}
	free(bufs);
	return 0;
bad:
	free(bufs);
	return -1;
}

int tfl_read_mem(const void *buf, size_t len, const char *name, TflModel *m, Diag *d)
{
	memset(m, 0, sizeof *m);
	m->path = name;
	m->d = d;
	m->size = len;
	m->file = ir_xmalloc(len ? len : 1);
	memcpy(m->file, buf, len);
	if (decode(m) < 0) {
		tfl_free(m);
		return -1;
	}
	return 0;
}

int tfl_read(const char *path, TflModel *m, Diag *d)
{
	FILE *f = ir_open_input(path, "cannot read the model", d, loc_file(path));
	memset(m, 0, sizeof *m);
	if (!f)
		return -1;
	size_t cap = 1 << 16, n = 0;
	uint8_t *b = ir_xmalloc(cap);
	for (;;) {
		if (n == cap) {
			if (cap >= ((size_t)1 << 31)) {
				fclose(f);
				free(b);
				diag_error(d, loc_file(path), "the model is larger than 2 GB");
				return -1;
			}
			cap *= 2;
			b = ir_xrealloc(b, cap);
		}
		size_t r = fread(b + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	int err = ferror(f);
	fclose(f);
	if (err) {
		free(b);
		diag_error(d, loc_file(path), "cannot read the model: %s", strerror(EIO));
		return -1;
	}
	m->path = path;
	m->d = d;
	m->size = n;
	m->file = b;
	if (decode(m) < 0) {
		tfl_free(m);
		return -1;
	}
	return 0;
}

void tfl_free(TflModel *m)
{
	for (int s = 0; m->sg && s < m->nsubgraphs; s++) {
		TflSubgraph *sg = &m->sg[s];
		for (int i = 0; sg->t && i < sg->ntensors; i++) {
			free(sg->t[i].name);
			free(sg->t[i].scale);
			free(sg->t[i].zp);
		}
		for (int i = 0; sg->op && i < sg->nops; i++) {
			free(sg->op[i].in);
			free(sg->op[i].out);
		}
		free(sg->t);
		free(sg->op);
		free(sg->in);
		free(sg->out);
		free(sg->name);
	}
	for (int i = 0; m->opcode && i < m->nopcodes; i++)
		free(m->opcode[i].custom);
	free(m->opcode);
	free(m->sg);
	free(m->description);
	free(m->file);
	memset(m, 0, sizeof *m);
}

/* ---- options ------------------------------------------------------------- */

static const TflTable *opt_table(TflModel *m, int op, char *what, size_t n)
{
	const TflOp *o = &m->sg[0].op[op];
	snprintf(what, n, "operator %d (%s)", op, tfl_opcode_name(m, o));
	return &o->opt;
}

int tfl_opt_int(TflModel *m, int op, int fieldid, int size, int64_t def, int64_t *out)
{
	char what[80];
	const TflTable *t = opt_table(m, op, what, sizeof what);
	return get_int(m, t, fieldid, size, def, out, what);
}

int tfl_opt_float(TflModel *m, int op, int fieldid, float def, float *out)
{
	char what[80];
	const TflTable *t = opt_table(m, op, what, sizeof what);
	int64_t at = field(m, t, fieldid, 4, what);
	*out = def;
	if (at > 0)
		memcpy(out, m->file + at, 4);
	return at < 0 ? -1 : 0;
}

int tfl_opt_ints(TflModel *m, int op, int fieldid, int32_t *out, int max, int *n)
{
	char what[80];
	const TflTable *t = opt_table(m, op, what, sizeof what);
	uint64_t to;
	Vec v;
	*n = -1;
	if (get_ref(m, t, fieldid, &to, what) < 0)
		return -1;
	if (!to)
		return 0;
	if (vec_at(m, to, 4, &v, what) < 0)
		return -1;
	if (v.n > (uint32_t)max)
		return fail(m, "%s: %u values where at most %d are allowed", what, v.n, max);
	memcpy(out, m->file + v.pos, (size_t)v.n * 4);
	*n = (int)v.n;
	return 0;
}
