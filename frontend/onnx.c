/* frontend/onnx.c — the ONNX importer: reads a .onnx file (protobuf, decoded
 * by protobuf-c from our subset of onnx.proto) into a float Graph, as the
 * .qg parser would have built it (docs/onnx.md).
 *
 * This file owns reading and decoding the file, the opset check, the table of
 * ONNX tensors (see onnx_import.h), the graph's inputs (a symbolic batch
 * dimension becomes 1, --input-shape overrides) and outputs, the loop over
 * the nodes that hands each one to its row of the op table (onnx_ops.c), and
 * the helpers those rows share.  A binary file has no lines: diagnostics name
 * the node instead, "model.onnx: error: node 'NAME' (OpType): ...".  The
 * first error ends the import (later nodes would only report its echoes),
 * except that every unsupported operator is reported before anything runs.
 *
 * fe_read_model at the end picks the reader from the file name (.onnx,
 * .tflite: tflite.c, else .qg). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "onnx_import.h"

enum { MAX_FILE = 1 << 30 };

/* ---- names --------------------------------------------------------------- */

/* A .qg identifier ([A-Za-z_][A-Za-z0-9_.]*) for an ONNX name, so that dumps
 * parse back: leading separators go ("/c1/Conv_output_0" gives
 * "c1_Conv_output_0"), other bytes become '_', a leading digit gets a 'v'.
 * c_ident: a C identifier (the model name), without '.'.  malloc'd. */
static char *ident(const char *s, int c_ident)
{
	size_t n = strlen(s);
	char *r = ir_xmalloc(n + 2), *p = r;

	while (*s && !(*s == '_' || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
	               (*s >= '0' && *s <= '9')))
		s++;
	if (!*s || (*s >= '0' && *s <= '9'))
		*p++ = 'v';
	for (; *s; s++) {
		int ok = *s == '_' || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		         (*s >= '0' && *s <= '9') || (*s == '.' && !c_ident);
		*p++ = ok ? *s : '_';
	}
	*p = 0;
	return r;
}

static unsigned hash(const char *s)
{
	unsigned h = 2166136261u;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static void rehash(Imp *im)
{
	unsigned cap = im->cap ? im->cap * 2 : 256;
	free(im->slot);
	im->slot = ir_xcalloc(cap, sizeof *im->slot);
	im->cap = cap;
	for (int k = 0; k < im->nt; k++) {
		unsigned i = hash(im->t[k].name) & (cap - 1);
		while (im->slot[i])
			i = (i + 1) & (cap - 1);
		im->slot[i] = k + 1;
	}
}

/* The tensor named name; created (undefined) when create is set. */
static OTensor *lookup(Imp *im, const char *name, int create)
{
	if (im->cap)
		for (unsigned i = hash(name) & (im->cap - 1); im->slot[i];
		     i = (i + 1) & (im->cap - 1))
			if (strcmp(im->t[im->slot[i] - 1].name, name) == 0)
				return &im->t[im->slot[i] - 1];
	if (!create)
		return NULL;
	ir_vgrow((void **)&im->t, &im->capt, im->nt, sizeof *im->t);
	OTensor *t = &im->t[im->nt++];
	memset(t, 0, sizeof *t);
	t->name = ir_xstrdup(name);
	t->v = -1;
	if ((unsigned)im->nt * 2 > im->cap)
		rehash(im);
	else {
		unsigned i = hash(name) & (im->cap - 1);
		while (im->slot[i])
			i = (i + 1) & (im->cap - 1);
		im->slot[i] = im->nt;
	}
	return t;
}

OTensor *oi_find(Imp *im, const char *name)
{
	OTensor *t = name && *name ? lookup(im, name, 0) : NULL;
	return t && t->defined ? t : NULL;
}

/* ---- diagnostics ---------------------------------------------------------- */

/* Names come from the file: keep control bytes and the like off the terminal. */
static void printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 32 || (unsigned char)*s >= 127)
			*s = '?';
}

static const char *str(const char *s)
{
	return s ? s : "";
}

int oi_err(Imp *im, const char *fmt, ...)
{
	char msg[1024], label[300];
	const Onnx__NodeProto *n = im->node;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	printable(msg);
	if (!n) {
		diag_error(im->d, loc_file(im->file), "%s", msg);
		return -1;
	}
	if (n->name && *n->name)
		snprintf(label, sizeof label, "node '%.200s' (%.60s)", n->name, str(n->op_type));
	else
		snprintf(label, sizeof label, "node #%d (%.60s)", im->node_index, str(n->op_type));
	printable(label);
	diag_error(im->d, loc_file(im->file), "%s: %s", label, msg);
	return -1;
}

/* ---- the current node ------------------------------------------------------ */

OTensor *oi_in(Imp *im, int k)
{
	if (k >= (int)im->node->n_input)
		return NULL;
	return oi_find(im, im->node->input[k]);
}

int oi_nin(const Imp *im)
{
	return (int)im->node->n_input;
}

int oi_nout(const Imp *im)
{
	return (int)im->node->n_output;
}

int64_t oi_numel(const OTensor *t)
{
	return ir_shape_numel(&t->shape);
}

const Shape *oi_shape(Imp *im, const OTensor *t)
{
	return t->isconst ? &t->shape : &im->g->vals[t->v].shape;
}

const Onnx__AttributeProto *oi_attr(Imp *im, const char *name)
{
	for (size_t i = 0; i < im->node->n_attribute; i++)
		if (strcmp(str(im->node->attribute[i]->name), name) == 0)
			return im->node->attribute[i];
	return NULL;
}

/* Does attribute a hold type `type`?  Old writers leave the type out. */
static int attr_is(const Onnx__AttributeProto *a, int type)
{
	if (a->has_type)
		return a->type == type;
	switch (type) {
	case OA_INT: return a->has_i;
	case OA_FLOAT: return a->has_f;
	case OA_STRING: return a->has_s;
	case OA_TENSOR: return a->t != NULL;
	case OA_INTS: return a->n_ints > 0 || (!a->has_i && !a->has_f && !a->n_floats);
	default: return 0;
	}
}

int oi_attr_int(Imp *im, const char *name, int64_t *out)
{
	const Onnx__AttributeProto *a = oi_attr(im, name);
	if (!a)
		return 0;
	if (!attr_is(a, OA_INT))
		return oi_err(im, "attribute '%s' must be an integer", name);
	*out = a->i;
	return 1;
}

int oi_attr_float(Imp *im, const char *name, float *out)
{
	const Onnx__AttributeProto *a = oi_attr(im, name);
	if (!a)
		return 0;
	if (!attr_is(a, OA_FLOAT))
		return oi_err(im, "attribute '%s' must be a float", name);
	*out = a->f;
	return 1;
}

int oi_attr_ints(Imp *im, const char *name, int64_t *out, int max, int *n)
{
	const Onnx__AttributeProto *a = oi_attr(im, name);
	*n = -1;
	if (!a)
		return 0;
	if (!attr_is(a, OA_INTS))
		return oi_err(im, "attribute '%s' must be a list of integers", name);
	if (a->n_ints > (size_t)max)
		return oi_err(im, "attribute '%s' has %zu values, at most %d are supported", name,
		              a->n_ints, max);
	*n = (int)a->n_ints;
	if (a->n_ints) /* ints is NULL when the list is empty */
		memcpy(out, a->ints, a->n_ints * sizeof *out);
	return 1;
}

int oi_attr_str(Imp *im, const char *name, char *buf, size_t n)
{
	const Onnx__AttributeProto *a = oi_attr(im, name);
	if (!a)
		return 0;
	if (!attr_is(a, OA_STRING))
		return oi_err(im, "attribute '%s' must be a string", name);
	size_t len = a->s.len < n - 1 ? a->s.len : n - 1;
	if (len)
		memcpy(buf, a->s.data, len);
	buf[len] = 0;
	return 1;
}

/* ---- defining tensors -------------------------------------------------------- */

/* The tensor of output k, NULL if the node leaves it out ("" or missing). */
static OTensor *out_tensor(Imp *im, int k)
{
	if (k >= (int)im->node->n_output || !*str(im->node->output[k]))
		return NULL;
	return lookup(im, im->node->output[k], 1);
}

int oi_out_used(Imp *im, int k)
{
	OTensor *t = out_tensor(im, k);
	return t && t->uses > 0;
}

static int define(Imp *im, OTensor *t)
{
	if (t->defined)
		return oi_err(im, "'%s' is defined twice", t->name);
	t->defined = 1;
	return 0;
}

int oi_def_const(Imp *im, int k, DType dt, int otype, const Shape *s, void *data)
{
	OTensor *t = out_tensor(im, k);
	if (!t) {
		free(data);
		return 0;
	}
	if (define(im, t)) {
		free(data);
		return -1;
	}
	t->isconst = 1;
	t->dt = dt;
	t->otype = otype;
	t->shape = *s;
	t->data = data;
	return 0;
}

int oi_def_value(Imp *im, int k, int v)
{
	OTensor *t = out_tensor(im, k);
	if (!t)
		return 0;
	if (define(im, t))
		return -1;
	t->v = v;
	return 0;
}

int oi_def_alias(Imp *im, int k, OTensor *src)
{
	if (src->isconst) {
		size_t bytes = (size_t)oi_numel(src) * (size_t)ir_dtype_size(src->dt);
		void *data = ir_xmalloc(bytes ? bytes : 1);
		memcpy(data, src->data, bytes);
		return oi_def_const(im, k, src->dt, src->otype, &src->shape, data);
	}
	OTensor *t = out_tensor(im, k);
	if (!t)
		return 0;
	if (define(im, t))
		return -1;
	t->v = src->v;
	/* the IR value now has the readers of both names (less this node) */
	t->uses += src->uses - 1;
	return 0;
}

/* ---- tensors in the file --------------------------------------------------- */

static const char *otype_name(int ot)
{
	static const char *names[] = {"UNDEFINED",  "FLOAT",   "UINT8",  "INT8",   "UINT16",
	                              "INT16",      "INT32",   "INT64",  "STRING", "BOOL",
	                              "FLOAT16",    "DOUBLE",  "UINT32", "UINT64", "COMPLEX64",
	                              "COMPLEX128", "BFLOAT16"};
	return ot >= 0 && ot < (int)(sizeof names / sizeof names[0]) ? names[ot]
	                                                             : "an unknown type";
}

/* Bytes per element in raw_data; 0 for types the importer does not read. */
static int raw_size(int ot)
{
	switch (ot) {
	case OT_UINT8:
	case OT_INT8:
	case OT_BOOL: return 1;
	case OT_UINT16:
	case OT_INT16: return 2;
	case OT_FLOAT:
	case OT_INT32:
	case OT_UINT32: return 4;
	case OT_INT64:
	case OT_DOUBLE:
	case OT_UINT64: return 8;
	default: return 0;
	}
}

/* One little-endian element of type ot at p, into t's element i. */
static void put_raw(OTensor *t, int64_t i, int ot, const uint8_t *p)
{
	uint64_t u = 0;
	for (int b = raw_size(ot) - 1; b >= 0; b--)
		u = u << 8 | p[b];
	int64_t *iv = t->data;
	switch (ot) {
	case OT_FLOAT: {
		uint32_t w = (uint32_t)u;
		memcpy((float *)t->data + i, &w, 4);
		break;
	}
	case OT_DOUBLE: {
		double x;
		memcpy(&x, &u, 8);
		((float *)t->data)[i] = (float)x;
		break;
	}
	case OT_INT8: iv[i] = (int64_t)(u ^ 0x80) - 0x80; break;
	case OT_INT16: iv[i] = (int64_t)(u ^ 0x8000) - 0x8000; break;
	case OT_INT32: iv[i] = (int64_t)(u ^ 0x80000000u) - 0x80000000; break;
	case OT_BOOL: iv[i] = u != 0; break;
	default: iv[i] = (int64_t)u; break; /* unsigned types, INT64 */
	}
}

static int typed_data(Imp *im, const Onnx__TensorProto *tp, OTensor *t, int64_t n, const char *what)
{
	size_t have;
	switch (tp->data_type) {
	case OT_FLOAT: have = tp->n_float_data; break;
	case OT_DOUBLE: have = tp->n_double_data; break;
	case OT_INT64: have = tp->n_int64_data; break;
	case OT_UINT32:
	case OT_UINT64: have = 0; break;
	default: have = tp->n_int32_data; break;
	}
	if (have != (size_t)n)
		return oi_err(im, "%s '%s' [%s, %lld elements] holds %zu values", what,
		              str(tp->name), otype_name(tp->data_type), (long long)n, have);
	for (int64_t i = 0; i < n; i++)
		switch (tp->data_type) {
		case OT_FLOAT: ((float *)t->data)[i] = tp->float_data[i]; break;
		case OT_DOUBLE: ((float *)t->data)[i] = (float)tp->double_data[i]; break;
		case OT_INT64: ((int64_t *)t->data)[i] = tp->int64_data[i]; break;
		default: ((int64_t *)t->data)[i] = tp->int32_data[i]; break;
		}
	return 0;
}

int oi_tensor_read(Imp *im, const Onnx__TensorProto *tp, OTensor *t, const char *what)
{
	const char *name = str(tp->name);
	int ot = tp->has_data_type ? tp->data_type : 0, es = raw_size(ot);
	int64_t n = 1;

	if (tp->has_data_location && tp->data_location == 1) {
		const char *loc = "?";
		for (size_t i = 0; i < tp->n_external_data; i++)
			if (strcmp(str(tp->external_data[i]->key), "location") == 0)
				loc = str(tp->external_data[i]->value);
		return oi_err(im,
		              "%s '%s' keeps its data in another file ('%s'); quantc reads "
		              "self-contained models only (save without external data)",
		              what, name, loc);
	}
	if (!es)
		return oi_err(im, "%s '%s' is of type %s, which quantc does not read", what, name,
		              otype_name(ot));
	if (tp->n_dims > IR_MAX_RANK)
		return oi_err(im, "%s '%s' has rank %zu (at most %d)", what, name, tp->n_dims,
		              IR_MAX_RANK);
	t->shape.rank = (int)tp->n_dims;
	for (size_t i = 0; i < tp->n_dims; i++) {
		if (tp->dims[i] < 0 || !ir_mul_ok(n, tp->dims[i], &n) || n > OI_MAX_ELEMS)
			return oi_err(im, "%s '%s' has a bad or too large dimension %lld", what,
			              name, (long long)tp->dims[i]);
		t->shape.d[i] = tp->dims[i];
	}
	t->isconst = 1;
	t->otype = ot;
	t->dt = ot == OT_FLOAT || ot == OT_DOUBLE ? DT_F32 : DT_I64;
	t->data = ir_xmalloc((size_t)(n ? n : 1) * (size_t)ir_dtype_size(t->dt));
	if (tp->has_raw_data) {
		size_t typed = tp->n_float_data + tp->n_int32_data + tp->n_int64_data +
		               tp->n_double_data;
		if (typed)
			return oi_err(
			        im,
			        "%s '%s' holds both raw_data and %zu typed values "
			        "(float_data, int32_data, ...): a tensor has one or the other",
			        what, name, typed);
	}
	if (!tp->has_raw_data)
		return typed_data(im, tp, t, n, what);
	if (tp->raw_data.len != (size_t)n * (size_t)es)
		return oi_err(im, "%s '%s' [%s, %lld elements] has %zu bytes of data, not %lld",
		              what, name, otype_name(ot), (long long)n, tp->raw_data.len,
		              (long long)(n * es));
	for (int64_t i = 0; i < n; i++)
		put_raw(t, i, ot, tp->raw_data.data + i * es);
	return 0;
}

double oi_getf(const OTensor *t, int64_t i)
{
	return t->dt == DT_F32 ? (double)((const float *)t->data)[i]
	                       : (double)((const int64_t *)t->data)[i];
}

int64_t oi_geti(const OTensor *t, int64_t i)
{
	return t->dt == DT_I64 ? ((const int64_t *)t->data)[i]
	                       : (int64_t)((const float *)t->data)[i];
}

int oi_const_ints(Imp *im, OTensor *t, const char *what, int64_t *out, int max, int *n)
{
	*n = -1;
	if (!t)
		return 0;
	if (!t->isconst)
		return oi_err(im, "%s ('%s') must be a constant; here it is computed at run time",
		              what, t->name);
	if (t->dt != DT_I64 || t->shape.rank > 1)
		return oi_err(im, "%s ('%s') must be a list of integers", what, t->name);
	if (oi_numel(t) > max)
		return oi_err(im, "%s ('%s') has %lld values, at most %d are supported", what,
		              t->name, (long long)oi_numel(t), max);
	*n = (int)oi_numel(t);
	memcpy(out, t->data, (size_t)*n * sizeof *out);
	return 0;
}

/* ---- building the IR ---------------------------------------------------------- */

static int new_value(Imp *im, const char *onnx_name, ValueKind k)
{
	char *base = ident(onnx_name, 0);
	int v = ir_value_new_unique(im->g, base, k, loc_file(im->file));
	free(base);
	return v;
}

int oi_new_const(Imp *im, const char *base, const Shape *s, const float *data)
{
	int v = new_value(im, base, VK_CONST);
	Value *val = &im->g->vals[v];
	size_t bytes = (size_t)ir_shape_numel(s) * sizeof(float);

	val->has_type = 1;
	val->dt = DT_F32;
	val->shape = *s;
	val->data = ir_alloc(im->g, bytes);
	memcpy(val->data, data, bytes);
	return v;
}

int oi_new_const_i64(Imp *im, const char *base, const Shape *s, const int64_t *data)
{
	int v = oi_new_const(im, base, &(Shape){0, {0}}, (const float[1]){0});
	Value *val = &im->g->vals[v];
	size_t bytes = (size_t)ir_shape_numel(s) * sizeof(int64_t);

	val->dt = DT_I64;
	val->shape = *s;
	val->data = ir_alloc(im->g, bytes);
	memcpy(val->data, data, bytes);
	return v;
}

int oi_weight(Imp *im, OTensor *t, const char *what)
{
	/* first: a run-time tensor has a value too, which is no weight */
	if (!t->isconst)
		return oi_err(im,
		              "the %s ('%s') must be a constant (an initializer); here it is "
		              "computed at run time",
		              what, t->name);
	if (t->v >= 0)
		return t->v;
	if (t->dt != DT_F32)
		return oi_err(im, "the %s ('%s') is %s; quantc takes float weights", what, t->name,
		              otype_name(t->otype));
	if (oi_numel(t) == 0)
		return oi_err(im, "the %s ('%s') is empty", what, t->name);
	t->v = oi_new_const(im, t->name, &t->shape, t->data);
	oi_qdq_pin_value(im, t, t->v);
	return t->v;
}

int oi_runtime(Imp *im, int k, OTensor **t)
{
	*t = oi_in(im, k);
	if (!*t)
		return oi_err(im, "input %d is missing", k);
	if ((*t)->isconst)
		return oi_err(im,
		              "input '%s' is a constant; quantc computes %s only on tensors "
		              "that depend on the model's inputs",
		              (*t)->name, str(im->node->op_type));
	if ((*t)->qpend && strcmp(str(im->node->op_type), "DequantizeLinear") != 0)
		return oi_err(
		        im,
		        "input '%s' is the integer output of a QuantizeLinear; quantc "
		        "supports a QuantizeLinear only when DequantizeLinear nodes alone read it",
		        (*t)->name);
	return (*t)->v;
}

/* Runs infer-shapes (FeReadOptions' hook) over the graph (the new node is the only one without a
 * type) with its diagnostics captured, so that a shape error is reported
 * against the ONNX node rather than a line the file does not have. */
static int infer(Imp *im)
{
	char msg[512];

	if (ir_run_captured(im->infer_shapes, im->g, msg, sizeof msg) == 0)
		return 0;
	return oi_err(im, "%s", msg);
}

/* A new IR node of op; its result is named base (made unique). */
static int emit_node(Imp *im, const char *base, Op op, const int *in, int nin, const Attrs *a)
{
	int v = new_value(im, base, VK_TEMP);
	int n = ir_node_new(im->g, op, v, in, nin, loc_file(im->file));

	if (a)
		im->g->nodes[n].a = *a;
	return infer(im) ? -1 : v;
}

int oi_emit(Imp *im, Op op, const int *in, int nin, const Attrs *a)
{
	const char *out = im->node->n_output ? str(im->node->output[0]) : "";
	int v = emit_node(im, *out ? out : str(im->node->op_type), op, in, nin, a);

	if (v < 0 || oi_def_value(im, 0, v))
		return -1;
	return im->g->vals[v].def;
}

int oi_emit_out(Imp *im, int k, Op op, const int *in, int nin, const Attrs *a)
{
	const char *out = (size_t)k < im->node->n_output ? str(im->node->output[k]) : "";
	int v = emit_node(im, *out ? out : str(im->node->op_type), op, in, nin, a);

	if (v < 0 || oi_def_value(im, k, v))
		return -1;
	return im->g->vals[v].def;
}

int oi_emit_tmp(Imp *im, Op op, const int *in, int nin, const Attrs *a)
{
	const char *out = im->node->n_output ? str(im->node->output[0]) : "";
	size_t len = strlen(out) + strlen(str(im->node->op_type)) + 32;
	char *base = ir_xmalloc(len);
	/* "y_reshape": after the ONNX output, which the last node's result takes */
	snprintf(base, len, "%s_%s", *out ? out : str(im->node->op_type), ir_ops[op].name);
	int v = emit_node(im, base, op, in, nin, a);
	free(base);
	return v;
}

int oi_producer(Imp *im, const OTensor *t)
{
	if (t->isconst || t->uses != 1 || t->v < 0)
		return -1;
	return im->g->vals[t->v].def;
}

int oi_retarget(Imp *im, int n)
{
	const char *out = im->node->n_output ? str(im->node->output[0]) : "";
	int old = im->g->nodes[n].out;
	int v = new_value(im, *out ? out : str(im->node->op_type), VK_TEMP);
	Value *nv = &im->g->vals[v], *ov = &im->g->vals[old];

	/* the old result is left without definer or reader: compaction drops it */
	nv->has_type = ov->has_type;
	nv->dt = ov->dt;
	nv->shape = ov->shape;
	nv->q = ov->q; /* a pin (onnx_qdq.c) goes with the result */
	nv->def = n;
	ov->def = -1;
	im->g->nodes[n].out = v;
	return oi_def_value(im, 0, v);
}

const char *oi_const_input(Imp *im, const char *base, DType dt, int otype, const Shape *s,
                           void *data)
{
	size_t len = strlen(base) + 24;
	char *name = ir_xmalloc(len);

	snprintf(name, len, "%s", base);
	for (int k = 1; lookup(im, name, 0); k++)
		snprintf(name, len, "%s_%d", base, k);
	OTensor *t = lookup(im, name, 1);
	free(name);
	t->defined = 1;
	t->uses = 1;
	t->isconst = 1;
	t->dt = dt;
	t->otype = otype;
	t->shape = *s;
	t->data = data;
	return t->name;
}

/* ---- graph inputs and outputs ------------------------------------------------ */

typedef struct {
	char *name;
	Shape s;
	int used;
} ShapeOpt;

/* --input-shape NAME=DxDx..[,NAME=...]: split at the last '=' of each item. */
static int parse_input_shapes(const char *spec, ShapeOpt **out, int *n, Diag *d)
{
	char *copy = ir_xstrdup(spec), *save = NULL;
	int cap = 0;

	*out = NULL;
	*n = 0;
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strrchr(item, '='), *p;
		ShapeOpt so = {0};
		if (!eq || eq == item)
			goto bad;
		*eq = 0;
		p = eq + 1;
		while (*p) {
			char *end;
			errno = 0;
			long long v = strtoll(p, &end, 10);
			if (end == p || v < 1 || v > 1 << 30 || errno || so.s.rank == IR_MAX_RANK ||
			    (*end && *end != 'x'))
				goto bad;
			so.s.d[so.s.rank++] = v;
			p = *end ? end + 1 : end;
			if (*end && !*p)
				goto bad;
		}
		if (!so.s.rank)
			goto bad;
		so.name = ir_xstrdup(item);
		ir_vgrow((void **)out, &cap, *n, sizeof **out);
		(*out)[(*n)++] = so;
		continue;
	bad:
		if (eq)
			*eq = '=';
		diag_error(d, loc_none(),
		           "--input-shape: '%s' is not NAME=DIMS (e.g. x=1x3x224x224, "
		           "each dimension in [1, 2^30], at most %d)",
		           item, IR_MAX_RANK);
		free(copy);
		return -1;
	}
	free(copy);
	return 0;
}

/* The shape of graph input vi: its own, with a symbolic first (batch)
 * dimension made 1, or the --input-shape one (which must agree with every
 * dimension the model fixes). */
static int input_shape(Imp *im, const Onnx__ValueInfoProto *vi, ShapeOpt *so, Shape *s)
{
	const char *name = str(vi->name);
	const Onnx__TypeProto__Tensor *tt = vi->type ? vi->type->tensor_type : NULL;
	const Onnx__TensorShapeProto *ts = tt ? tt->shape : NULL;

	if (!tt)
		return oi_err(im, "input '%s' is not a tensor", name);
	if (!tt->has_elem_type || (tt->elem_type != OT_FLOAT && tt->elem_type != OT_INT64 &&
	                           tt->elem_type != OT_INT32 && tt->elem_type != OT_BOOL))
		return oi_err(im,
		              "input '%s' is %s; quantc's models take float inputs, int64/int32 "
		              "indices or bool masks",
		              name, otype_name(tt->elem_type));
	if (ts && ts->n_dim > IR_MAX_RANK)
		return oi_err(im, "input '%s' has rank %zu (at most %d)", name, ts->n_dim,
		              IR_MAX_RANK);
	if (so) {
		if (ts && (int)ts->n_dim != so->s.rank)
			return oi_err(im, "--input-shape %s: the input has rank %zu, not %d",
			              so->name, ts->n_dim, so->s.rank);
		for (int i = 0; ts && i < so->s.rank; i++) {
			const Onnx__TensorShapeProto__Dimension *dm = ts->dim[i];
			if (dm->value_case ==
			            ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
			    dm->dim_value != so->s.d[i])
				return oi_err(
				        im,
				        "--input-shape %s: dimension %d of input '%s' is %lld in "
				        "the model, not %lld",
				        so->name, i, name, (long long)dm->dim_value,
				        (long long)so->s.d[i]);
		}
		*s = so->s;
		return 0;
	}
	if (!ts)
		return oi_err(im,
		              "input '%s' has no shape in the model; give it with --input-shape "
		              "%s=DxDx...",
		              name, name);
	s->rank = (int)ts->n_dim;
	for (int i = 0; i < s->rank; i++) {
		const Onnx__TensorShapeProto__Dimension *dm = ts->dim[i];
		int fixed = dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
		if (fixed && (dm->dim_value < 1 || dm->dim_value > 1 << 30))
			return oi_err(im, "input '%s': dimension %d is %lld", name, i,
			              (long long)dm->dim_value);
		if (!fixed && i > 0)
			return oi_err(
			        im,
			        "input '%s': dimension %d is symbolic ('%s'); give the shape "
			        "with --input-shape %s=DxDx...",
			        name, i,
			        dm->value_case ==
			                        ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
			                ? str(dm->dim_param)
			                : "?",
			        name);
		/* the batch: quantc's models run one sample at a time */
		s->d[i] = fixed ? dm->dim_value : 1;
	}
	return 0;
}

int fe_onnx_name_is(const char *name, const char *given)
{
	if (strcmp(name, given) == 0)
		return 1;
	char *id = ident(given, 0);
	int hit = strcmp(name, id) == 0;
	free(id);
	return hit;
}

static ShapeOpt *find_shape_opt(ShapeOpt *so, int n, const char *name)
{
	for (int i = 0; i < n; i++) {
		char *id = ident(name, 0);
		/* the model's spelling or quantc's (fe_onnx_name_is, as its value) */
		int hit = strcmp(so[i].name, name) == 0 || fe_onnx_name_is(id, so[i].name);
		free(id);
		if (hit)
			return &so[i];
	}
	return NULL;
}

/* ---- inputs bound at compile time (--bind, bind.c) ---- */

static int onnx_has_input(const void *ctx, const char *name)
{
	const Onnx__GraphProto *gp = ctx;

	for (size_t i = 0; i < gp->n_input; i++)
		if (strcmp(str(gp->input[i]->name), name) == 0)
			return 1;
	return 0;
}

/* Graph input vi bound to a file: t becomes a constant holding the file's
 * value, as if the model had it as an initializer.  The file's type is the
 * input's (float32, int64 or int32), its shape the declared one (a symbolic
 * dimension takes the file's extent). */
static int bind_input(Imp *im, const Onnx__ValueInfoProto *vi, OTensor *t)
{
	const char *name = str(vi->name), *path = fe_bind_file(im->ro, name);
	const Onnx__TypeProto__Tensor *tt = vi->type ? vi->type->tensor_type : NULL;
	const Onnx__TensorShapeProto *ts = tt ? tt->shape : NULL;
	int et = tt && tt->has_elem_type ? tt->elem_type : 0;
	Shape decl = {0, {0}};
	NpyArray a;

	if (et != OT_FLOAT && et != OT_INT64 && et != OT_INT32)
		return oi_err(im,
		              "--bind: input '%s' is %s; a bound input is float, int64 or int32",
		              name, otype_name(et));
	if (!ts || ts->n_dim > IR_MAX_RANK)
		return oi_err(im, "--bind: input '%s' has no shape (or rank above %d) in the model",
		              name, IR_MAX_RANK);
	decl.rank = (int)ts->n_dim;
	for (size_t k = 0; k < ts->n_dim; k++)
		decl.d[k] = ts->dim[k]->value_case ==
		                            ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
		                    ? ts->dim[k]->dim_value
		                    : -1;
	if (fe_bind_read(path, name,
	                 et == OT_FLOAT   ? DT_F32
	                 : et == OT_INT64 ? DT_I64
	                                  : DT_I32,
	                 &decl, &a, im->d))
		return -1;
	int64_t n = ir_shape_numel(&a.shape);
	t->isconst = 1;
	t->defined = 1;
	t->otype = et;
	t->shape = a.shape;
	t->dt = et == OT_FLOAT ? DT_F32 : DT_I64; /* OTensor: every integer type as int64 */
	if (et == OT_INT32) {
		t->data = ir_xmalloc((size_t)n * sizeof(int64_t));
		for (int64_t i = 0; i < n; i++)
			((int64_t *)t->data)[i] = ((const int32_t *)a.data)[i];
		ir_npy_free(&a);
	} else
		t->data = a.data; /* taken over */
	return 0;
}

static int graph_inputs(Imp *im, const Onnx__GraphProto *gp, const char *spec)
{
	if (fe_bind_unknown(im->ro, onnx_has_input, gp, im->d))
		return -1;
	ShapeOpt *so = NULL;
	int nso = 0, rc = 0;

	if (spec && parse_input_shapes(spec, &so, &nso, im->d))
		return -1;
	for (size_t i = 0; i < gp->n_input; i++) {
		ShapeOpt *hit = find_shape_opt(so, nso, str(gp->input[i]->name));
		if (hit)
			hit->used = 1;
	}
	for (int i = 0; i < nso && !rc; i++)
		if (!so[i].used)
			rc = oi_err(im, "--input-shape: the model has no input named '%s'",
			            so[i].name);
	for (size_t i = 0; i < gp->n_input && !rc; i++) {
		const Onnx__ValueInfoProto *vi = gp->input[i];
		OTensor *t = lookup(im, str(vi->name), 1);
		Shape s;
		if (t->defined && t->isconst)
			continue; /* an initializer listed as an input too (IR version < 4) */
		if (!*str(vi->name) || t->defined)
			rc = oi_err(im, "graph input '%s' is unnamed or repeated", str(vi->name));
		else if (fe_bind_file(im->ro, str(vi->name)))
			rc = bind_input(im, vi, t);
		else if (!(rc = input_shape(im, vi, find_shape_opt(so, nso, vi->name), &s))) {
			int v = new_value(im, vi->name, VK_INPUT);
			Value *val = &im->g->vals[v];
			int et = vi->type->tensor_type->elem_type;
			val->has_type = 1;
			/* indices (Gather, embedding ids) stay integers: never quantized */
			val->dt = et == OT_INT64   ? DT_I64
			          : et == OT_INT32 ? DT_I32
			          : et == OT_BOOL  ? DT_U8 /* a mask, 0 or 1 */
			                           : DT_F32;
			val->shape = s;
			ir_add_input(im->g, v);
			t->defined = 1;
			t->v = v;
		}
	}
	for (int i = 0; i < nso; i++)
		free(so[i].name);
	free(so);
	if (!rc && im->g->ninput == 0)
		rc = oi_err(im, "the graph has no inputs (other than initializers)");
	return rc;
}

/* A graph output that is a graph input (or an Identity of one) or another
 * output: a reshape to its own shape copies it into a value of its own,
 * as every output of a compiled model is a buffer of its own. */
static int copy_output(Imp *im, OTensor *t, const char *name)
{
	const Shape *s = &im->g->vals[t->v].shape;
	int in[1] = {t->v};
	Attrs a;

	ir_attrs_default(&a);
	a.nshape = s->rank;
	memcpy(a.shape, s->d, sizeof s->d);
	int v = emit_node(im, name, OP_RESHAPE, in, 1, &a);
	if (v < 0)
		return -1;
	t->v = v;
	return 0;
}

static int graph_outputs(Imp *im, const Onnx__GraphProto *gp)
{
	for (size_t i = 0; i < gp->n_output; i++) {
		const char *name = str(gp->output[i]->name);
		OTensor *t = oi_find(im, name);
		if (!t)
			return oi_err(im, "graph output '%s' is computed by no node", name);
		if (t->isconst)
			return oi_err(im,
			              "graph output '%s' is a constant: it does not depend on the "
			              "inputs",
			              name);
		if (t->qpend)
			return oi_err(
			        im,
			        "graph output '%s' is the integer output of a QuantizeLinear; "
			        "end the graph with its DequantizeLinear (a float output)",
			        name);
		if ((im->g->vals[t->v].kind != VK_TEMP || im->g->vals[t->v].is_output) &&
		    copy_output(im, t, name))
			return -1;
		ir_add_output(im->g, t->v);
	}
	if (!gp->n_output)
		return oi_err(im, "the graph has no outputs");
	return 0;
}

/* ---- the nodes -------------------------------------------------------------- */

static const OnnxOp *find_op(const char *type)
{
	for (int i = 0; i < oi_nops; i++)
		if (strcmp(oi_ops[i].op, type) == 0)
			return &oi_ops[i];
	return NULL;
}

static int std_domain(const char *dom)
{
	return !dom || !*dom || strcmp(dom, "ai.onnx") == 0;
}

/* Every operator the table lacks, reported once per op type, before anything
 * is imported: the user learns all that is missing at once. */
static int check_ops(Imp *im, const Onnx__GraphProto *gp)
{
	int bad = 0;
	for (size_t i = 0; i < gp->n_node; i++) {
		const Onnx__NodeProto *n = gp->node[i];
		const char *op = str(n->op_type);
		int seen = 0, count = 0;
		if (std_domain(n->domain) && find_op(oi_opset_type(op)))
			continue;
		for (size_t j = 0; j < gp->n_node; j++)
			if (strcmp(str(gp->node[j]->op_type), op) == 0 &&
			    strcmp(str(gp->node[j]->domain), str(n->domain)) == 0) {
				seen |= j < i;
				count++;
			}
		if (seen)
			continue;
		im->node = n;
		im->node_index = (int)i;
		if (!std_domain(n->domain))
			oi_err(im, "operators of domain '%s' are not supported", n->domain);
		else
			oi_err(im,
			       "unsupported operator %s%s (docs/onnx.md lists the supported ones)",
			       op, count > 1 ? " (and other nodes of this type)" : "");
		bad++;
	}
	im->node = NULL;
	return bad ? -1 : 0;
}

/* How many outputs op_type has at most (ONNX's operator specifications):
 * one but for these. */
static int max_outputs(const char *op_type)
{
	static const struct {
		const char *op;
		int n;
	} multi[] = {{"BatchNormalization", 5},
	             {"Dropout", 2},
	             {"MaxPool", 2},
	             {"Split", 1 << 20}, /* variadic; lower_split says its limit */
	             {"GRU", 2},
	             {"LSTM", 3},
	             {"RNN", 2},
	             {"LayerNormalization", 3}};

	for (size_t i = 0; i < sizeof multi / sizeof multi[0]; i++)
		if (strcmp(multi[i].op, op_type) == 0)
			return multi[i].n;
	return 1;
}

/* What the specification forbids of any node and a reader could only guess
 * about: an attribute given twice, more outputs than the operator has, a
 * Constant with more than one value. */
static int check_node(Imp *im)
{
	const Onnx__NodeProto *n = im->node;
	static const char *const values[] = {"value",         "value_float", "value_floats",
	                                     "value_int",     "value_ints",  "value_string",
	                                     "value_strings", "sparse_value"};
	const char *first = NULL;
	int max = max_outputs(str(n->op_type));

	for (size_t i = 0; i < n->n_attribute; i++)
		for (size_t k = 0; k < i; k++)
			if (strcmp(str(n->attribute[i]->name), str(n->attribute[k]->name)) == 0)
				return oi_err(
				        im,
				        "attribute '%s' is given twice (attributes %zu and %zu)",
				        str(n->attribute[i]->name), k, i);
	if ((int)n->n_output > max)
		return oi_err(im, "%s has %d output%s, this node names %zu", str(n->op_type), max,
		              max == 1 ? "" : "s", n->n_output);
	if (strcmp(str(n->op_type), "Constant") != 0)
		return 0;
	for (size_t i = 0; i < n->n_attribute; i++)
		for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
			if (strcmp(str(n->attribute[i]->name), values[v]) != 0)
				continue;
			if (first)
				return oi_err(im,
				              "a Constant has exactly one value; this one has both "
				              "'%s' and '%s'",
				              first, values[v]);
			first = values[v];
		}
	return 0;
}

static int import_node(Imp *im, const OnnxOp *op)
{
	const Onnx__NodeProto *n = im->node;
	int allconst = 1, rc;
	OTensor *firstrt = NULL;

	for (size_t k = 0; k < n->n_input; k++) {
		if (!*str(n->input[k]))
			continue;
		OTensor *t = oi_find(im, n->input[k]);
		if (!t)
			return oi_err(im,
			              "input '%s' is computed by no earlier node, and is no "
			              "initializer and no graph input",
			              n->input[k]);
		if (!t->isconst && !firstrt)
			firstrt = t;
		allconst &= t->isconst;
	}
	if (allconst && op->fold)
		rc = op->fold(im);
	else if (op->lower)
		rc = op->lower(im);
	else
		return oi_err(im,
		              "supported only on constants (it is evaluated at import time); "
		              "input '%s' depends on the model's inputs",
		              firstrt ? firstrt->name : "?");
	if (rc)
		return -1;
	for (size_t k = 0; k < n->n_output; k++) {
		OTensor *t = *str(n->output[k]) ? lookup(im, n->output[k], 1) : NULL;
		if (t && !t->defined && t->uses)
			return oi_err(im,
			              "output %zu ('%s') is not supported (only its first output)",
			              k, t->name);
	}
	return 0;
}

/* Creates the tensor table: every name, how many readers it has, and the
 * initializers' values. */
static int scan(Imp *im, const Onnx__GraphProto *gp)
{
	for (size_t i = 0; i < gp->n_node; i++) {
		const Onnx__NodeProto *n = gp->node[i];
		for (size_t k = 0; k < n->n_input; k++)
			if (*str(n->input[k]))
				lookup(im, n->input[k], 1)->uses++;
	}
	for (size_t i = 0; i < gp->n_output; i++)
		lookup(im, str(gp->output[i]->name), 1)->uses++;
	for (size_t i = 0; i < gp->n_initializer; i++) {
		const Onnx__TensorProto *tp = gp->initializer[i];
		OTensor *t = lookup(im, str(tp->name), 1);
		if (!*str(tp->name) || t->defined)
			return oi_err(im, "initializer '%s' is unnamed or repeated", str(tp->name));
		if (oi_tensor_read(im, tp, t, "initializer"))
			return -1;
		t->defined = 1;
	}
	return 0;
}

static int check_opset(Imp *im, const Onnx__ModelProto *m)
{
	int found = 0;
	for (size_t i = 0; i < m->n_opset_import; i++)
		if (std_domain(m->opset_import[i]->domain)) {
			if (found)
				return oi_err(
				        im,
				        "the model imports the standard operator set twice "
				        "(opset_import: versions %lld and %lld); it must name one",
				        (long long)im->opset,
				        (long long)m->opset_import[i]->version);
			found = 1;
			im->opset = m->opset_import[i]->version > 1000
			                    ? 1000
			                    : (int)m->opset_import[i]->version;
		}
	if (!found)
		return oi_err(
		        im,
		        "the model names no version of the standard operator set (opset_import)");
	if (im->opset < 1 || im->opset > 21)
		return oi_err(im,
		              "the model uses opset %d; quantc reads opsets 1 to 21 (re-export "
		              "it, e.g. torch.onnx.export(..., opset_version=17))",
		              im->opset);
	return 0;
}

static void clear_types(Graph *g)
{
	/* as the .qg parser leaves them: infer-shapes, the first pass, types them */
	for (int v = 0; v < g->nval; v++)
		if (g->vals[v].kind == VK_TEMP)
			g->vals[v].has_type = 0;
}

static int import_graph(Imp *im, const Onnx__ModelProto *m, const FeReadOptions *o)
{
	const Onnx__GraphProto *gp = m->graph;

	if (!gp)
		return oi_err(im, "not an ONNX model: it has no graph");
	if (check_opset(im, m) || check_ops(im, gp) || scan(im, gp) ||
	    graph_inputs(im, gp, o ? o->input_shapes : NULL))
		return -1;
	for (size_t i = 0; i < gp->n_node; i++) {
		OiEdit e;
		im->node = gp->node[i];
		im->node_index = (int)i;
		if (check_node(im))
			return -1;
		/* the node in the form of the newest opset (onnx_opset.c) */
		int rc = oi_translate(im, &e) || import_node(im, find_op(e.type));
		oi_edit_free(&e);
		if (rc)
			return -1;
	}
	im->node = NULL;
	if (graph_outputs(im, gp))
		return -1;
	ir_drop_dead(im->g);
	ir_graph_compact(im->g);
	clear_types(im->g);
	return 0;
}

/* ---- the file ---------------------------------------------------------------- */

static uint8_t *read_file(const char *path, size_t *len, Diag *d)
{
	struct stat st;
	FILE *f = ir_open_input(path, "cannot read the model", d, loc_file(path));
	uint8_t *buf;

	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		diag_error(d, loc_file(path), "cannot read the model: not a regular file");
		fclose(f);
		return NULL;
	}
	if (st.st_size > MAX_FILE) {
		diag_error(d, loc_file(path), "file is too large (%lld bytes; the limit is 1 GiB)",
		           (long long)st.st_size);
		fclose(f);
		return NULL;
	}
	*len = (size_t)st.st_size;
	buf = ir_xmalloc(*len ? *len : 1);
	if (fread(buf, 1, *len, f) != *len) {
		diag_error(d, loc_file(path), "cannot read the model: %s", strerror(errno));
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* The model's name: the file's, as a C identifier ("cnn.onnx" gives "cnn");
 * graph names like "torch_jit" say nothing. */
static char *model_name(const char *path)
{
	const char *base = strrchr(path, '/');
	char *s = ir_xstrdup(base ? base + 1 : path), *dot = strrchr(s, '.');
	if (dot && dot != s)
		*dot = 0;
	char *id = ident(s, 1);
	free(s);
	return id;
}

Graph *fe_onnx_read(const char *path, const FeReadOptions *o, Diag *d)
{
	Diag local = {0};
	size_t len = 0;
	Imp im = {0};

	if (!o || !o->infer_shapes)
		ICE("fe_onnx_read: no infer_shapes in the read options");
	if (!d)
		d = &local;
	uint8_t *buf = read_file(path, &len, d);
	if (!buf)
		return NULL;
	if (len == 0) {
		diag_error(d, loc_file(path), "not an ONNX model: the file is empty");
		free(buf);
		return NULL;
	}
	Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, buf);
	free(buf);
	if (!m) {
		diag_error(d, loc_file(path),
		           "not an ONNX model: the protobuf data is malformed or "
		           "truncated");
		return NULL;
	}
	char *name = model_name(path);
	im.file = path;
	im.d = d;
	im.infer_shapes = o->infer_shapes;
	im.ro = o;
	im.g = ir_graph_new(name);
	im.g->file = ir_strdup(im.g, path);
	free(name);
	int rc = import_graph(&im, m, o);
	onnx__model_proto__free_unpacked(m, NULL);
	for (int i = 0; i < im.nt; i++) {
		free(im.t[i].name);
		free(im.t[i].data);
		free(im.t[i].pin_scale);
	}
	free(im.t);
	free(im.slot);
	if (rc || ir_verify(im.g, d) > 0) {
		ir_graph_free(im.g);
		return NULL;
	}
	return im.g;
}

int fe_is_onnx(const char *path)
{
	size_t n = strlen(path);
	return n > 5 && strcasecmp(path + n - 5, ".onnx") == 0;
}

Graph *fe_read_model(const char *path, const FeReadOptions *o, Diag *d)
{
	if (fe_is_onnx(path))
		return fe_onnx_read(path, o, d);
	if (fe_is_tflite(path))
		return fe_tflite_read(path, o, d);
	if (o && o->input_shapes) {
		diag_error(d, loc_none(),
		           "--input-shape applies to ONNX models only (%s is read as .qg, "
		           "whose inputs declare their shapes)",
		           path);
		return NULL;
	}
	Graph *g = fe_parse_file(path, d);
	if (g && fe_bind_qg(g, o, d)) {
		ir_graph_free(g);
		return NULL;
	}
	return g;
}
