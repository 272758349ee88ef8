/* frontend/tflite_read.h — the .tflite reader (tflite_read.c): a FlatBuffers
 * file of TFLite's schema (version 3) decoded into plain C structs, every
 * offset, length and vtable entry checked against the file first.  The
 * importer (tflite.c) builds the IR from a TflModel and never touches the
 * file's bytes except through what is here.
 *
 * FlatBuffers in brief (what the reader checks): a file starts with a
 * uoffset (uint32, little-endian) to the root table; a table starts with a
 * soffset (int32) back to its vtable; a vtable is uint16 [vtable bytes,
 * table bytes, field offsets...] with 0 meaning "absent, default"; a field
 * holding a table, vector or string holds a uoffset relative to the field's
 * own position; a vector is a uint32 length then its elements; a string is a
 * vector of bytes followed by a 0 byte.  A union field takes two ids: the
 * type (ubyte) then the value (a table). */
#ifndef QUANTC_TFLITE_READ_H
#define QUANTC_TFLITE_READ_H

#include <stddef.h>
#include <stdint.h>

#include "ir.h"

/* TFLite's TensorType values */
enum {
	TFL_FLOAT32 = 0,
	TFL_FLOAT16 = 1,
	TFL_INT32 = 2,
	TFL_UINT8 = 3,
	TFL_INT64 = 4,
	TFL_STRING = 5,
	TFL_BOOL = 6,
	TFL_INT16 = 7,
	TFL_INT8 = 9,
	TFL_FLOAT64 = 10,
};

/* The most dimensions a tensor may have here (the IR's limit) */
enum { TFL_MAX_RANK = IR_MAX_RANK };

/* A table of the file: where it is and its vtable, both checked. */
typedef struct {
	uint32_t pos;    /* the table's offset in the file; 0: no table */
	uint32_t vt;     /* its vtable's offset */
	uint16_t nfield; /* fields the vtable lists */
} TflTable;

typedef struct {
	char *name;     /* malloc'd; "" when the file gives none */
	int type;       /* TFL_* */
	int rank;
	int32_t dims[TFL_MAX_RANK]; /* as in the file (may be -1 in shape_signature
	                             * only; dims here are the `shape` field) */
	uint32_t buffer;        /* index into TflModel.buf; 0: no data */
	const uint8_t *data;    /* the buffer's bytes (inside TflModel.file,
	                         * unaligned: read with memcpy), or NULL */
	size_t nbytes;          /* their length; 0 when data is NULL */
	/* quantization: nscale scales (0: not quantized), as many zero points */
	int nscale;
	float *scale;           /* malloc'd */
	int64_t *zp;            /* malloc'd (zeros when the file gives none) */
	int qdim;               /* quantized_dimension */
	int has_minmax;         /* min/max given (a float model's fake-quant ranges) */
	int is_variable;        /* refused by the importer */
	int has_sparsity;       /* refused by the importer */
} TflTensor;

typedef struct {
	int code;            /* BuiltinOperator: max(deprecated_builtin_code, builtin_code) */
	char *custom;        /* custom_code (malloc'd) for CUSTOM (32), else NULL */
	int version;
} TflOpcode;

typedef struct {
	int opcode;          /* index into TflModel.opcode (checked) */
	int nin, nout;
	int32_t *in, *out;   /* malloc'd tensor indices, each -1 (an omitted
	                      * optional input) or checked < ntensors */
	int opt_type;        /* builtin_options_type (BuiltinOptions union tag) */
	TflTable opt;        /* builtin_options (pos 0 when absent) */
	int has_custom_options;
	int nintermediates;
} TflOp;

typedef struct {
	char *name;          /* malloc'd, "" when none */
	int ntensors, nops, nin, nout;
	TflTensor *t;        /* malloc'd arrays */
	TflOp *op;
	int32_t *in, *out;   /* checked < ntensors */
} TflSubgraph;

typedef struct {
	const char *path;    /* for diagnostics (not owned) */
	uint8_t *file;       /* the whole file (malloc'd) */
	size_t size;
	uint32_t version;    /* the schema version (3) */
	char *description;   /* malloc'd, may be "" */
	int nopcodes, nsubgraphs, nbuffers;
	TflOpcode *opcode;
	TflSubgraph *sg;     /* every subgraph, decoded the same way */
	Diag *d;
} TflModel;

/* Reads and decodes path.  Returns 0, or -1 after "path: error: ..." (the
 * model is freed then).  The checks: every uoffset, soffset, vtable, vector
 * and string lies inside the file and is aligned as its type needs; vector
 * lengths times element sizes do not overflow; tensor and opcode indices are
 * in range; a tensor's data (a buffer's `data` vector, or its offset/size
 * pair) lies inside the file and has exactly numel * element size bytes
 * when the tensor has data; shapes have rank <= TFL_MAX_RANK and dims >= 0;
 * quantization scales are finite and > 0, zero points fit int32 (an int8
 * or uint8 tensor's fit its type), and a per-channel count equals the
 * tensor's dimension along qdim; the schema version is 3. */
int tfl_read(const char *path, TflModel *m, Diag *d);
/* Same from memory (copied); name is used in diagnostics. */
int tfl_read_mem(const void *buf, size_t len, const char *name, TflModel *m, Diag *d);
void tfl_free(TflModel *m);

/* Fields of an options table (an operator's builtin_options), by field id
 * (the order of the schema's fields, from 0; a union takes two ids).  Each
 * returns 0 and sets *out (to def when the field is absent), or -1 after
 * "path: error: operator K (NAME): ..." when the field's bytes are out of
 * the file or misaligned.  op is the operator's index in subgraph 0, for
 * the message. */
int tfl_opt_int(TflModel *m, int op, int field, int size, int64_t def, int64_t *out);
int tfl_opt_float(TflModel *m, int op, int field, float def, float *out);
/* A vector of int32 (ReshapeOptions.new_shape, SqueezeOptions.squeeze_dims):
 * up to max values into out, *n their count (-1 when absent). */
int tfl_opt_ints(TflModel *m, int op, int field, int32_t *out, int max, int *n);

/* TFLite's name of a builtin operator code ("CONV_2D"), or NULL when the
 * code is past the table's end. */
const char *tfl_op_name(int code);
/* An operator's name for messages: the builtin name, the custom code, or
 * "BUILTIN_<code>". */
const char *tfl_opcode_name(const TflModel *m, const TflOp *op);
/* "float32", "int8", ... */
const char *tfl_type_name(int type);
/* Bytes per element of a type; 0 for STRING and unknown types. */
int tfl_type_size(int type);

#endif
