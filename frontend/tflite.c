/* frontend/tflite.c — the TFLite importer: subgraph 0 of a .tflite model
 * (decoded by tflite_read.c) into a float Graph whose int8 tensors carry
 * their parameters as pins (docs/tflite.md, docs/requant.md).
 *
 * This file owns the walk: the refusals, all reported before anything is
 * built (other subgraphs, variable and sparse tensors, types the IR lacks,
 * operators and options quantc does not support), the graph's inputs and
 * outputs in the file's NHWC layout, the tensor table with each tensor's
 * NHWC and NCHW IR values (tflite_import.h), constants, pins, and the
 * helpers the operators of tflite_ops.c share. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tflite_import.h"

enum { NAME_MAX_LEN = 96 };

/* A .qg identifier for a TFLite tensor name: the converter joins the names
 * of fused layers with ';' ("model/conv2d/Relu;model/bn/FusedBatchNormV3;
 * ..."), so the first of them (last: the last, for constants, whose first
 * is often their layer's output's), at most NAME_MAX_LEN bytes (value names
 * become file names in dumps); other bytes become '_', a leading digit or
 * nothing gets a 'v'.  c_ident: a C identifier, without '.'.  malloc'd. */
static char *ident_part(const char *s, int c_ident, int last)
{
	const char *semi = last ? strrchr(s, ';') : NULL;
	if (semi && semi[1])
		s = semi + 1;
	size_t n = strcspn(s, ";");
	char *r = ir_xmalloc(n + 2), *p = r;
	const char *end = s + n;

	while (s < end && !(*s == '_' || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
	                    (*s >= '0' && *s <= '9')))
		s++;
	if (s >= end || (*s >= '0' && *s <= '9'))
		*p++ = 'v';
	for (; s < end && p - r < NAME_MAX_LEN; s++) {
		int ok = *s == '_' || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		         (*s >= '0' && *s <= '9') || (*s == '.' && !c_ident);
		*p++ = ok ? *s : '_';
	}
	*p = 0;
	return r;
}

static char *ident(const char *s, int c_ident)
{
	return ident_part(s, c_ident, 0);
}

/* ---- diagnostics ----------------------------------------------------------- */

static const char *tname(const Tim *im, int t)
{
	return t >= 0 && t < im->sg->ntensors ? im->sg->t[t].name : "";
}

int ti_err(Tim *im, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (im->o) {
		int out = im->o->nout > 0 ? im->o->out[0] : -1;
		diag_error(im->d, loc_file(im->file), "operator %d (%s, output '%s'): %s", im->op,
		           tfl_opcode_name(im->m, im->o), tname(im, out), msg);
	} else
		diag_error(im->d, loc_file(im->file), "%s", msg);
	return -1;
}

/* ---- tensors ----------------------------------------------------------------- */

int ti_in(const Tim *im, int k)
{
	return k < im->o->nin ? im->o->in[k] : -1;
}

int ti_out(const Tim *im, int k)
{
	return k < im->o->nout ? im->o->out[k] : -1;
}

const TflTensor *ti_tensor(const Tim *im, int t)
{
	return &im->sg->t[t];
}

int ti_is_const(const Tim *im, int t)
{
	return im->sg->t[t].data != NULL || im->t[t].deq;
}

int ti_is_quant(const Tim *im, int t)
{
	const TflTensor *x = &im->sg->t[t];
	return (x->type == TFL_INT8 || x->type == TFL_UINT8 || x->type == TFL_INT16) &&
	       x->nscale > 0;
}

void ti_pin_value(Tim *im, int v, int t)
{
	float s;
	int32_t zp;

	ti_qparams(im, t, &s, &zp);
	ir_set_qparams(im->g, v, s, zp);
	im->g->vals[v].q.i16 = im->sg->t[t].type == TFL_INT16;
}

void ti_qparams(const Tim *im, int t, float *scale, int32_t *zp)
{
	const TflTensor *x = &im->sg->t[t];

	*scale = x->nscale ? x->scale[0] : 1.0f;
	*zp = (int32_t)(x->nscale ? x->zp[0] : 0) - (x->type == TFL_UINT8 ? 128 : 0);
}

Shape ti_shape(const Tim *im, int t)
{
	const TflTensor *x = &im->sg->t[t];
	Shape s = {x->rank, {0}};

	for (int k = 0; k < x->rank; k++)
		s.d[k] = x->dims[k];
	return s;
}

static int64_t numel(const TflTensor *x)
{
	int64_t n = 1;
	for (int k = 0; k < x->rank; k++)
		n *= x->dims[k];
	return n;
}

/* Element i of constant x as an integer (the reader checked the size). */
static int64_t get_int(const TflTensor *x, int64_t i)
{
	const uint8_t *p = x->data + i * tfl_type_size(x->type);
	switch (x->type) {
	case TFL_INT8: return (int8_t)p[0];
	case TFL_UINT8: return p[0];
	case TFL_INT16: {
		int16_t v;
		memcpy(&v, p, 2);
		return v;
	}
	case TFL_INT32: {
		int32_t v;
		memcpy(&v, p, 4);
		return v;
	}
	case TFL_INT64: {
		int64_t v;
		memcpy(&v, p, 8);
		return v;
	}
	}
	ICE("tflite: get_int of type %d", x->type);
}

float *ti_const_floats(Tim *im, int t, const char *what)
{
	if (im->t[t].deq)
		t = im->t[t].deq - 1;
	const TflTensor *x = &im->sg->t[t];
	int64_t n = numel(x), inner = 1;
	float *f = ir_xmalloc((size_t)(n ? n : 1) * sizeof *f);

	if (x->nscale > 1)
		for (int k = x->qdim + 1; k < x->rank; k++)
			inner *= x->dims[k];
	for (int64_t i = 0; i < n; i++) {
		if (x->type == TFL_FLOAT32) {
			memcpy(&f[i], x->data + 4 * i, 4);
			continue;
		}
		if (x->type != TFL_INT8 && x->type != TFL_UINT8 && x->type != TFL_INT32 &&
		    x->type != TFL_INT64) {
			free(f);
			ti_err(im,
			       "the %s ('%s') is %s; quantc takes float32, int8, uint8, int32 or "
			       "int64 constants here",
			       what, x->name, tfl_type_name(x->type));
			return NULL;
		}
		int64_t c = x->nscale > 1 ? (i / inner) % x->dims[x->qdim] : 0;
		int64_t d = get_int(x, i) - (x->nscale ? x->zp[c] : 0);
		f[i] = x->nscale ? (float)(int32_t)d * x->scale[c] : (float)d;
	}
	return f;
}

int64_t *ti_const_ints(Tim *im, int t, const char *what, int64_t *n)
{
	if (im->t[t].deq)
		t = im->t[t].deq - 1;
	const TflTensor *x = &im->sg->t[t];

	if (x->type != TFL_INT32 && x->type != TFL_INT64) {
		ti_err(im, "the %s ('%s') must be an int32 or int64 constant", what, x->name);
		return NULL;
	}
	*n = numel(x);
	int64_t *v = ir_xmalloc((size_t)(*n ? *n : 1) * sizeof *v);
	for (int64_t i = 0; i < *n; i++)
		v[i] = get_int(x, i);
	return v;
}

char *ti_out_name(const Tim *im, const char *suffix)
{
	const char *s = tname(im, ti_out(im, 0));
	size_t n = strcspn(s, ";");
	char *r = ir_xmalloc(n + strlen(suffix) + 1);

	memcpy(r, s, n);
	strcpy(r + n, suffix);
	return r;
}

int ti_new_const(Tim *im, const char *base, const Shape *s, const float *data)
{
	char *b = ident_part(base, 0, 1);
	int v = ir_value_new_unique(im->g, b, VK_CONST, loc_file(im->file));
	free(b);
	Value *val = &im->g->vals[v];
	size_t bytes = (size_t)ir_shape_numel(s) * sizeof(float);

	val->has_type = 1;
	val->dt = DT_F32;
	val->shape = *s;
	val->data = ir_alloc(im->g, bytes ? bytes : 4);
	memcpy(val->data, data, bytes);
	return v;
}

/* NHWC position k of a 4-D index in NCHW: N C H W reads N H W C's 0 3 1 2 */
static const int to_nchw[4] = {0, 3, 1, 2};
static const int to_nhwc[4] = {0, 2, 3, 1};

int ti_const_value(Tim *im, int t, int nchw)
{
	const TflTensor *x = &im->sg->t[t];
	float *f = ti_const_floats(im, t, "operand");
	Shape s = ti_shape(im, t);

	if (!f)
		return -1;
	if (nchw && s.rank == 4) {
		Shape o = {4, {s.d[0], s.d[3], s.d[1], s.d[2]}};
		float *r = ir_xmalloc((size_t)(ir_shape_numel(&s) ? ir_shape_numel(&s) : 1) *
		                      sizeof *r);
		int64_t i = 0;
		for (int64_t n = 0; n < o.d[0]; n++)
			for (int64_t c = 0; c < o.d[1]; c++)
				for (int64_t h = 0; h < o.d[2]; h++)
					for (int64_t w = 0; w < o.d[3]; w++)
						r[i++] = f[((n * s.d[1] + h) * s.d[2] + w) * s.d[3] +
						           c];
		free(f);
		f = r;
		s = o;
	}
	int v = ti_new_const(im, x->name, &s, f);
	free(f);
	return v;
}

/* ---- IR nodes ------------------------------------------------------------------ */

/* Runs infer-shapes over the graph (the new node is the only one without a
 * type) with its diagnostics captured, so that a shape error is reported
 * against the operator. */
static int infer(Tim *im)
{
	char msg[512];

	if (ir_run_captured(im->infer_shapes, im->g, msg, sizeof msg) == 0)
		return 0;
	return ti_err(im, "%s", msg);
}

/* A new node of op whose result is named base; pinned as tensor pin when
 * that is quantized (pin < 0: not pinned). */
static int emit_named(Tim *im, const char *base, Op op, const int *in, int nin, const Attrs *a,
                      int pin)
{
	char *b = ident(*base ? base : ir_ops[op].name, 0);
	int v = ir_value_new_unique(im->g, b, VK_TEMP, loc_file(im->file));
	free(b);
	int n = ir_node_new(im->g, op, v, in, nin, loc_file(im->file));

	if (a)
		im->g->nodes[n].a = *a;
	if (infer(im))
		return -1;
	if (pin >= 0 && ti_is_quant(im, pin))
		ti_pin_value(im, v, pin);
	return v;
}

int ti_emit(Tim *im, Op op, const int *in, int nin, const Attrs *a)
{
	int out = ti_out(im, 0);
	return emit_named(im, tname(im, out), op, in, nin, a, out);
}

int ti_emit_as(Tim *im, Op op, const int *in, int nin, const Attrs *a, int pin)
{
	return emit_named(im, tname(im, ti_out(im, 0)), op, in, nin, a, pin);
}

/* A transpose of the run-time value v of tensor t: perm. */
static int transpose(Tim *im, int t, int v, const int *perm, const char *suffix)
{
	Attrs a;
	size_t len = strlen(tname(im, t)) + 16;
	char *base = ir_xmalloc(len);

	ir_attrs_default(&a);
	a.nperm = 4;
	for (int k = 0; k < 4; k++)
		a.perm[k] = perm[k];
	snprintf(base, len, "%s%s", tname(im, t), suffix);
	int r = emit_named(im, base, OP_TRANSPOSE, &v, 1, &a, t);
	free(base);
	return r;
}

int ti_has_nchw(const Tim *im, int t)
{
	return im->sg->t[t].rank == 4 && im->t[t].nchw >= 0;
}

int ti_nhwc(Tim *im, int t)
{
	TTensor *x = &im->t[t];

	if (x->nhwc < 0 && x->nchw >= 0)
		x->nhwc = transpose(im, t, x->nchw, to_nhwc, "_nhwc");
	if (x->nhwc < 0 && x->nchw < 0)
		return ti_err(im, "tensor '%s' is read before anything computes it", tname(im, t));
	return x->nhwc;
}

int ti_nchw(Tim *im, int t)
{
	TTensor *x = &im->t[t];

	if (im->sg->t[t].rank != 4)
		return ti_err(im, "tensor '%s' must be 4-D (NHWC) here; it has rank %d",
		              tname(im, t), im->sg->t[t].rank);
	if (x->nchw < 0 && x->nhwc >= 0)
		x->nchw = transpose(im, t, x->nhwc, to_nchw, "_nchw");
	if (x->nchw < 0 && x->nhwc < 0)
		return ti_err(im, "tensor '%s' is read before anything computes it", tname(im, t));
	return x->nchw;
}

int ti_def(Tim *im, int k, int v, int nchw)
{
	int t = ti_out(im, k);
	char a[64], b[64];

	if (t < 0)
		return 0;
	/* the file's shape of the output must be what the IR computes */
	Shape fs = ti_shape(im, t), vs = im->g->vals[v].shape;
	if (nchw && vs.rank == 4)
		vs = (Shape){4, {vs.d[0], vs.d[2], vs.d[3], vs.d[1]}};
	if (!ir_shape_eq(&fs, &vs) && !(fs.rank == 0 && ir_shape_numel(&vs) == 1))
		return ti_err(im, "the result's shape is %s here, the file says %s",
		              ir_shape_str(&vs, a, sizeof a), ir_shape_str(&fs, b, sizeof b));
	if (nchw && im->sg->t[t].rank == 4)
		im->t[t].nchw = v;
	else
		im->t[t].nhwc = v;
	return 0;
}

int ti_check_act(Tim *im, int act)
{
	if (act >= TFL_ACT_NONE && act <= TFL_ACT_RELU6)
		return 0;
	return ti_err(im,
	              "the fused activation %s is not supported (quantc fuses NONE, RELU, "
	              "RELU_N1_TO_1 and RELU6)",
	              act == TFL_ACT_TANH       ? "TANH"
	              : act == TFL_ACT_SIGN_BIT ? "SIGN_BIT"
	                                        : "?");
}

int ti_fused_act(Tim *im, int v, int act)
{
	Attrs a;

	if (act == TFL_ACT_NONE)
		return v;
	ir_attrs_default(&a);
	if (act == TFL_ACT_RELU)
		return ti_emit(im, OP_RELU, &v, 1, NULL);
	a.min = act == TFL_ACT_RELU6 ? 0.0f : -1.0f;
	a.max = act == TFL_ACT_RELU6 ? 6.0f : 1.0f;
	return ti_emit(im, OP_CLIP, &v, 1, &a);
}

void ti_pin_const(Tim *im, int v, int t)
{
	const TflTensor *x = &im->sg->t[t];
	float s;
	int32_t zp;

	if (!x->nscale)
		return;
	if (x->nscale > 1) {
		ir_set_qparams_axis(im->g, v, 0, x->nscale, x->scale);
		return;
	}
	ti_qparams(im, t, &s, &zp);
	ir_set_qparams(im->g, v, s, x->type == TFL_INT32 || x->type == TFL_INT64 ? 0 : zp);
}

int ti_requant_out(Tim *im, int v, int tin)
{
	int out = ti_out(im, 0);
	float si, so;
	int32_t zi, zo;
	Attrs a;

	if (!ti_is_quant(im, tin) || !ti_is_quant(im, out))
		return v;
	ti_qparams(im, tin, &si, &zi);
	ti_qparams(im, out, &so, &zo);
	if (si == so && zi == zo)
		return v;
	ir_attrs_default(&a);
	a.axis = 0;
	return ti_emit(im, OP_CONCAT, &v, 1, &a);
}

/* ---- refusals, all before building --------------------------------------------- */

static int type_ok(int type)
{
	return type == TFL_FLOAT32 || type == TFL_INT8 || type == TFL_UINT8 || type == TFL_INT32 ||
	       type == TFL_INT64;
}

static int check_model(Tim *im)
{
	int bad = 0;

	if (im->m->nsubgraphs < 1) {
		diag_error(im->d, loc_file(im->file), "the model has no subgraph");
		return -1;
	}
	if (im->m->nsubgraphs > 1) {
		diag_error(im->d, loc_file(im->file),
		           "the model has %d subgraphs; quantc compiles models of one subgraph "
		           "(control flow such as WHILE and IF calls others)",
		           im->m->nsubgraphs);
		bad++;
	}
	for (int t = 0; t < im->sg->ntensors; t++) {
		const TflTensor *x = &im->sg->t[t];
		if (x->is_variable) {
			diag_error(
			        im->d, loc_file(im->file),
			        "tensor %d ('%s') is a variable tensor (state kept between runs); "
			        "quantc compiles stateless models",
			        t, x->name);
			bad++;
		}
		if (x->has_sparsity) {
			diag_error(im->d, loc_file(im->file),
			           "tensor %d ('%s') is sparse; quantc takes dense tensors", t,
			           x->name);
			bad++;
		}
		if (x->type == TFL_INT16 && (x->data || x->nscale != 1 || x->zp[0] != 0)) {
			/* a 16x8 model's activations: symmetric per tensor (its
			 * weights are int8, its biases int64) */
			diag_error(im->d, loc_file(im->file),
			           "tensor %d ('%s') is int16 %s; quantc takes int16 run-time "
			           "tensors quantized per tensor with zero point 0 (16x8 models)",
			           t, x->name,
			           x->data          ? "constant"
			           : x->nscale == 0 ? "without quantization parameters"
			           : x->nscale > 1  ? "quantized per channel"
			                            : "with a nonzero zero point");
			bad++;
		} else if (x->type != TFL_INT16 && !type_ok(x->type)) {
			diag_error(im->d, loc_file(im->file),
			           "tensor %d ('%s') is %s, a type quantc does not have (float32, "
			           "int8, uint8, and int32 / int64 constants)",
			           t, x->name, tfl_type_name(x->type));
			bad++;
		} else if ((x->type == TFL_INT32 || x->type == TFL_INT64) && !x->data) {
			diag_error(
			        im->d, loc_file(im->file),
			        "tensor %d ('%s') is a run-time %s tensor; quantc computes float32 "
			        "and int8 tensors (integer tensors only as constants)",
			        t, x->name, tfl_type_name(x->type));
			bad++;
		}
	}
	for (int k = 0; k < im->sg->nops; k++) {
		im->op = k;
		im->o = &im->sg->op[k];
		const TflOpcode *oc = &im->m->opcode[im->o->opcode];
		const TflOpRow *row = oc->custom ? NULL : ti_find_op(oc->code);
		if (!row) {
			if (oc->custom)
				ti_err(im, "the custom operator '%s' is not supported", oc->custom);
			else
				ti_err(im,
				       "%s (builtin code %d) is not supported (docs/tflite.md lists "
				       "the operators quantc imports)",
				       tfl_opcode_name(im->m, im->o), oc->code);
			bad++;
			continue;
		}
		for (int j = 0; j < im->o->nout; j++)
			if (im->o->out[j] < 0) {
				ti_err(im, "output %d is omitted", j);
				bad++;
			}
		if (row->opts && im->o->opt.pos && im->o->opt_type != row->opts) {
			ti_err(im, "its options are of type %d, not %d", im->o->opt_type,
			       row->opts);
			bad++;
			continue;
		}
		if (row->check && row->check(im))
			bad++;
	}
	im->o = NULL;
	return bad ? -1 : 0;
}

/* ---- inputs and outputs ---------------------------------------------------------- */

static int graph_inputs(Tim *im)
{
	for (int i = 0; i < im->sg->nin; i++) {
		int t = im->sg->in[i];
		const TflTensor *x = &im->sg->t[t];
		if (x->data)
			continue; /* an input with data is a constant */
		if (x->type != TFL_FLOAT32 && !ti_is_quant(im, t))
			return ti_err(im,
			              "input '%s' is %s; quantc takes float32 inputs and int8 / "
			              "uint8 inputs with quantization parameters",
			              x->name, tfl_type_name(x->type));
		if (x->nscale > 1)
			return ti_err(im, "input '%s' is quantized per channel", x->name);
		char *name = ident(x->name, 0);
		int v = ir_value_new_unique(im->g, name, VK_INPUT, loc_file(im->file));
		free(name);
		Value *val = &im->g->vals[v];
		val->has_type = 1;
		val->dt = DT_F32;
		val->shape = ti_shape(im, t);
		for (int k = 0; k < val->shape.rank; k++)
			if (val->shape.d[k] < 1)
				return ti_err(im, "input '%s' has a dimension of %lld", x->name,
				              (long long)val->shape.d[k]);
		if (ti_is_quant(im, t))
			ti_pin_value(im, v, t);
		ir_add_input(im->g, v);
		im->t[t].nhwc = v;
	}
	return 0;
}

static int graph_outputs(Tim *im)
{
	if (!im->sg->nout)
		return ti_err(im, "the model has no outputs");
	for (int i = 0; i < im->sg->nout; i++) {
		int t = im->sg->out[i];
		if (ti_is_const(im, t))
			return ti_err(im,
			              "output '%s' is a constant: it does not depend on the inputs",
			              tname(im, t));
		int v = ti_nhwc(im, t);
		if (v < 0)
			return -1;
		Value *val = &im->g->vals[v];
		if (val->kind != VK_TEMP || val->is_output) {
			/* an input, or an output twice: a copy of its own */
			Attrs a;
			ir_attrs_default(&a);
			a.nshape = val->shape.rank;
			memcpy(a.shape, val->shape.d, sizeof a.shape);
			if ((v = emit_named(im, tname(im, t), OP_RESHAPE, &v, 1, &a, t)) < 0)
				return -1;
		}
		ir_add_output(im->g, v);
	}
	return 0;
}

/* ---- the walk --------------------------------------------------------------------- */

static int import(Tim *im)
{
	im->sg = im->m->nsubgraphs > 0 ? &im->m->sg[0] : NULL;
	if (!im->sg) {
		diag_error(im->d, loc_file(im->file), "the model has no subgraph");
		return -1;
	}
	im->t = ir_xcalloc((size_t)im->sg->ntensors + 1, sizeof *im->t);
	for (int t = 0; t < im->sg->ntensors; t++)
		im->t[t].nhwc = im->t[t].nchw = -1;
	for (int k = 0; k < im->sg->nops; k++)
		for (int j = 0; j < im->sg->op[k].nin; j++)
			if (im->sg->op[k].in[j] >= 0)
				im->t[im->sg->op[k].in[j]].readers++;
	for (int i = 0; i < im->sg->nout; i++)
		im->t[im->sg->out[i]].readers++;
	if (check_model(im) || graph_inputs(im))
		return -1;
	for (int k = 0; k < im->sg->nops; k++) {
		im->op = k;
		im->o = &im->sg->op[k];
		const TflOpRow *row = ti_find_op(im->m->opcode[im->o->opcode].code);
		if (row->lower(im))
			return -1;
	}
	im->o = NULL;
	if (graph_outputs(im))
		return -1;
	ir_drop_dead(im->g);
	ir_graph_compact(im->g);
	/* as the .qg parser leaves them: infer-shapes, the first pass, types them */
	for (int v = 0; v < im->g->nval; v++)
		if (im->g->vals[v].kind == VK_TEMP)
			im->g->vals[v].has_type = 0;
	return 0;
}

/* The model's name: the file's, as a C identifier. */
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

Graph *fe_tflite_read(const char *path, const FeReadOptions *o, Diag *d)
{
	Diag local = {0};
	TflModel m;
	Tim im = {0};

	if (!o || !o->infer_shapes)
		ICE("fe_tflite_read: no infer_shapes in the read options");
	if (!d)
		d = &local;
	if (o->input_shapes) {
		diag_error(d, loc_none(),
		           "--input-shape applies to ONNX models only (a .tflite model's inputs "
		           "have their shapes)");
		return NULL;
	}
	if (o->nbinds) {
		diag_error(d, loc_none(), "--bind applies to .qg and ONNX models only");
		return NULL;
	}
	if (tfl_read(path, &m, d))
		return NULL;
	char *name = model_name(path);
	im.file = path;
	im.d = d;
	im.m = &m;
	im.infer_shapes = o->infer_shapes;
	im.g = ir_graph_new(name);
	im.g->file = ir_strdup(im.g, path);
	free(name);
	int rc = import(&im);
	free(im.t);
	tfl_free(&m);
	if (rc || ir_verify(im.g, d) > 0) {
		ir_graph_free(im.g);
		return NULL;
	}
	return im.g;
}

int fe_is_tflite(const char *path)
{
	size_t n = strlen(path);
	return n > 7 && strcasecmp(path + n - 7, ".tflite") == 0;
}
