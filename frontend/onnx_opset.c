/* frontend/onnx_opset.c — reading the operator sets 1 to 21: the nodes of
 * operators whose meaning changed between opsets are rewritten at import,
 * one node at a time, into the form the op table (onnx_ops.c) reads, so
 * that its handlers know one form of each operator.
 *
 * One table (at the end): {op type, the opsets a rewrite applies to, the
 * rewrite}.  Mostly an attribute of an older opset became an input (Slice's
 * starts, Pad's pads, Squeeze's axes, ...): the rewrite turns the attribute
 * into a constant input (oi_const_input, a constant under a new name) and
 * the handlers' constant-input code does the rest.  A few rewrites rename
 * the operator (Upsample is Resize) or say what an old default meant; where
 * an old form means something the new form cannot say, the node is refused
 * with the reason (docs/onnx.md, "What is read"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "onnx_import.h"

/* ---- editing the node ------------------------------------------------------- */

static const char *str(const char *s)
{
	return s ? s : "";
}

/* Attribute `name` taken off the node (the pointer, NULL if absent). */
static const Onnx__AttributeProto *take(OiEdit *e, const char *name)
{
	for (size_t i = 0; i < e->n.n_attribute; i++)
		if (strcmp(str(e->n.attribute[i]->name), name) == 0) {
			const Onnx__AttributeProto *a = e->n.attribute[i];
			memmove(e->n.attribute + i, e->n.attribute + i + 1,
			        (e->n.n_attribute - i - 1) * sizeof *e->n.attribute);
			e->n.n_attribute--;
			return a;
		}
	return NULL;
}

static const Onnx__AttributeProto *find(const OiEdit *e, const char *name)
{
	for (size_t i = 0; i < e->n.n_attribute; i++)
		if (strcmp(str(e->n.attribute[i]->name), name) == 0)
			return e->n.attribute[i];
	return NULL;
}

/* A new attribute (replacing one of the same name); name and s are
 * literals that outlive the node. */
static Onnx__AttributeProto *add_attr(OiEdit *e, const char *name)
{
	if (e->nadd == OI_EDIT_ATTRS)
		ICE("onnx_opset: more than %d new attributes on one node", OI_EDIT_ATTRS);
	take(e, name);
	Onnx__AttributeProto *a = &e->add[e->nadd++];
	*a = (Onnx__AttributeProto)ONNX__ATTRIBUTE_PROTO__INIT;
	a->name = (char *)name;
	e->n.attribute[e->n.n_attribute++] = a;
	return a;
}

static void add_int(OiEdit *e, const char *name, int64_t v)
{
	Onnx__AttributeProto *a = add_attr(e, name);
	a->has_type = 1;
	a->type = OA_INT;
	a->has_i = 1;
	a->i = v;
}

static void add_str(OiEdit *e, const char *name, const char *v)
{
	Onnx__AttributeProto *a = add_attr(e, name);
	a->has_type = 1;
	a->type = OA_STRING;
	a->has_s = 1;
	a->s.len = strlen(v);
	a->s.data = (uint8_t *)v;
}

/* Input k becomes the tensor `name` (inputs before it, if missing, ""). */
static void set_input(OiEdit *e, int k, const char *name)
{
	if (k >= OI_EDIT_INPUTS)
		ICE("onnx_opset: input %d of a rewritten node", k);
	while ((int)e->n.n_input <= k)
		e->n.input[e->n.n_input++] = "";
	e->n.input[k] = (char *)name;
}

/* The base of a new constant's name: "<first output>_<what>". */
static const char *base_name(Imp *im, const char *what, char *buf, size_t n)
{
	const Onnx__NodeProto *nd = im->node;
	const char *out = nd->n_output && *str(nd->output[0]) ? nd->output[0] : str(nd->op_type);
	snprintf(buf, n, "%.200s_%s", out, what);
	return buf;
}

/* Input k as a new 1-D int64 constant v[0..n). */
static void ints_input(Imp *im, OiEdit *e, int k, const char *what, const int64_t *v, int n)
{
	char buf[256];
	Shape s = {1, {n}};
	int64_t *d = ir_xmalloc((size_t)(n ? n : 1) * sizeof *d);
	if (n)
		memcpy(d, v, (size_t)n * sizeof *d);
	set_input(
	        e, k,
	        oi_const_input(im, base_name(im, what, buf, sizeof buf), DT_I64, OT_INT64, &s, d));
}

/* Input k as a new float scalar (rank 0). */
static void float_input(Imp *im, OiEdit *e, int k, const char *what, float v)
{
	char buf[256];
	Shape s = {0, {0}};
	float *d = ir_xmalloc(sizeof *d);
	*d = v;
	set_input(
	        e, k,
	        oi_const_input(im, base_name(im, what, buf, sizeof buf), DT_F32, OT_FLOAT, &s, d));
}

/* Attribute `name` (a list of integers), taken off the node and made input
 * k; absent, input k stays as it is. */
static int ints_attr_to_input(Imp *im, OiEdit *e, const char *name, int k)
{
	int64_t v[2 * IR_MAX_RANK];
	int n;

	if (oi_attr_ints(im, name, v, 2 * IR_MAX_RANK, &n) < 0)
		return -1;
	if (take(e, name))
		ints_input(im, e, k, name, v, n);
	return 0;
}

/* The shape of input k, NULL if it is not defined (the handler says so). */
static const Shape *in_shape(Imp *im, int k)
{
	OTensor *t = oi_in(im, k);
	return t ? oi_shape(im, t) : NULL;
}

/* ---- the rewrites ------------------------------------------------------------ */

/* Opsets 1-5: consumed_inputs, a hint for in-place execution, means nothing
 * to the result. */
static int drop_consumed(Imp *im, OiEdit *e)
{
	(void)im;
	take(e, "consumed_inputs");
	return 0;
}

/* Add, Sub, Mul, Div, Pow, And, Or, Xor, Equal, Greater, Less before 7:
 * broadcast = 1 lets B's shape match A's from `axis` on (default: at the
 * end, as NumPy's rule); from 7 the rule is NumPy's.  B aligned at an axis
 * is NumPy's rule once B gets trailing 1s, which a constant B can have. */
static int legacy_broadcast(Imp *im, OiEdit *e)
{
	int64_t bc = 0, axis = 0;
	int has_axis;

	if (oi_attr_int(im, "broadcast", &bc) < 0 ||
	    (has_axis = oi_attr_int(im, "axis", &axis)) < 0)
		return -1;
	take(e, "broadcast");
	take(e, "axis");
	const Shape *as = in_shape(im, 0);
	OTensor *b = oi_in(im, 1);
	if (!bc || !has_axis || !as || !b)
		return 0;
	const Shape bsv = *oi_shape(im, b), *bs = &bsv;
	if (axis < 0)
		axis += as->rank;
	int ones = as->rank - (int)axis - bs->rank;
	if (axis < 0 || ones < 0)
		return oi_err(im, "broadcast axis %lld does not fit operands of rank %d and %d",
		              (long long)axis, as->rank, bs->rank);
	if (!ones)
		return 0;
	if (!b->isconst)
		return oi_err(im,
		              "broadcast = 1 with axis %lld of a run-time B ('%s') is not "
		              "supported (only of a constant)",
		              (long long)axis, b->name);
	char buf[256];
	Shape s = *bs;
	size_t bytes = (size_t)oi_numel(b) * (size_t)ir_dtype_size(b->dt);
	void *d = ir_xmalloc(bytes ? bytes : 1);
	memcpy(d, b->data, bytes);
	for (int i = 0; i < ones; i++)
		s.d[s.rank++] = 1;
	set_input(e, 1,
	          oi_const_input(im, base_name(im, "broadcast", buf, sizeof buf), b->dt, b->otype,
	                         &s, d));
	return 0;
}

/* Gemm before 7: broadcast says whether C broadcasts; from 7 it always may
 * (unidirectionally), which includes C of the full shape. */
static int gemm_broadcast(Imp *im, OiEdit *e)
{
	(void)im;
	take(e, "broadcast");
	return 0;
}

/* PRelu before 7: a slope of C values is one per channel (axis 1); from 7
 * the slope broadcasts as NumPy's rule, which wants it [C, 1, ..., 1]. */
static int prelu_channels(Imp *im, OiEdit *e)
{
	const Shape *xs = in_shape(im, 0);
	OTensor *sl = oi_in(im, 1);

	if (!xs || !sl || xs->rank < 3 || sl->shape.rank != 1 || oi_numel(sl) <= 1)
		return 0;
	if (!sl->isconst)
		return oi_err(im,
		              "a run-time slope before opset 7 (one per channel) is not supported");
	char buf[256];
	Shape s = {xs->rank - 1, {sl->shape.d[0], 1, 1, 1, 1, 1}};
	size_t bytes = (size_t)oi_numel(sl) * (size_t)ir_dtype_size(sl->dt);
	void *d = ir_xmalloc(bytes);
	memcpy(d, sl->data, bytes);
	set_input(e, 1,
	          oi_const_input(im, base_name(im, "slope", buf, sizeof buf), sl->dt, sl->otype, &s,
	                         d));
	return 0;
}

/* The names of a node's outputs that are not "". */
static int named_outputs(const Onnx__NodeProto *n)
{
	int k = 0;
	for (size_t i = 0; i < n->n_output; i++)
		k += *str(n->output[i]) != 0;
	return k;
}

/* BatchNormalization before 14: more than one output (the batch's mean and
 * variance) is training, as is is_test = 0 (opset 6) said outright: that is
 * training_mode = 1 now.  spatial = 0 (opsets 6-8: statistics per
 * activation, not per channel) is the same only for [N, C] inputs. */
static int batchnorm_mode(Imp *im, OiEdit *e)
{
	int64_t is_test = 1, spatial = 1;
	const Shape *xs = in_shape(im, 0);

	if (oi_attr_int(im, "is_test", &is_test) < 0 || oi_attr_int(im, "spatial", &spatial) < 0)
		return -1;
	take(e, "is_test");
	take(e, "spatial");
	if (!spatial && xs && xs->rank > 2)
		return oi_err(im, "spatial = 0 (mean and variance per activation, not per channel) "
		                  "is not supported");
	if (!is_test || named_outputs(im->node) > 1)
		add_int(e, "training_mode", 1);
	return 0;
}

/* Dropout before 12: ratio was an attribute, and opset 6's is_test = 0
 * meant training; an inference Dropout passes its input on, so only the
 * training one needs its ratio and training_mode as inputs. */
static int dropout_inputs(Imp *im, OiEdit *e)
{
	int64_t is_test = 1;
	float ratio = 0.5f;

	if (oi_attr_int(im, "is_test", &is_test) < 0 || oi_attr_float(im, "ratio", &ratio) < 0)
		return -1;
	take(e, "is_test");
	take(e, "ratio");
	if (is_test)
		return 0;
	char buf[256];
	Shape s = {0, {0}};
	int64_t *t = ir_xmalloc(sizeof *t);
	*t = 1;
	float_input(im, e, 1, "ratio", ratio);
	set_input(e, 2,
	          oi_const_input(im, base_name(im, "training_mode", buf, sizeof buf), DT_I64,
	                         OT_BOOL, &s, t));
	return 0;
}

/* Clip before 11: min and max were attributes. */
static int clip_inputs(Imp *im, OiEdit *e)
{
	float lo, hi;
	int has_lo, has_hi;

	if ((has_lo = oi_attr_float(im, "min", &lo)) < 0 ||
	    (has_hi = oi_attr_float(im, "max", &hi)) < 0)
		return -1;
	take(e, "min");
	take(e, "max");
	if (has_lo)
		float_input(im, e, 1, "min", lo);
	if (has_hi)
		float_input(im, e, 2, "max", hi);
	return 0;
}

/* Pad before 11: pads (opset 1: paddings) and value were attributes. */
static int pad_inputs(Imp *im, OiEdit *e)
{
	float value = 0;
	int has_value;
	const char *name = oi_attr(im, "pads") ? "pads" : "paddings";

	if (!oi_attr(im, name))
		return oi_err(im, "the attribute 'pads' is missing");
	if ((has_value = oi_attr_float(im, "value", &value)) < 0 ||
	    ints_attr_to_input(im, e, name, 1))
		return -1;
	take(e, "value");
	if (has_value)
		float_input(im, e, 2, "value", value);
	return 0;
}

/* Pad from 18: the optional axes input says which axes pads covers; the
 * others are not padded, which is pads with zeros for them. */
static int pad_axes(Imp *im, OiEdit *e)
{
	int64_t axes[IR_MAX_RANK], pads[2 * IR_MAX_RANK], full[2 * IR_MAX_RANK] = {0};
	int na, np;
	const Shape *xs = in_shape(im, 0);

	if (!oi_in(im, 3) || !xs)
		return 0;
	if (oi_const_ints(im, oi_in(im, 3), "axes", axes, IR_MAX_RANK, &na) ||
	    oi_const_ints(im, oi_in(im, 1), "pads", pads, 2 * IR_MAX_RANK, &np))
		return -1;
	if (np != 2 * na)
		return oi_err(im, "pads has %d values for %d axes", np, na);
	for (int i = 0; i < na; i++) {
		int64_t a = axes[i] < 0 ? axes[i] + xs->rank : axes[i];
		if (a < 0 || a >= xs->rank)
			return oi_err(im, "axis %lld is out of range for rank %d",
			              (long long)axes[i], xs->rank);
		full[a] = pads[i];
		full[a + xs->rank] = pads[i + na];
	}
	ints_input(im, e, 1, "pads", full, 2 * xs->rank);
	e->n.n_input = 3; /* axes go: pads covers every axis */
	return 0;
}

/* Slice before 10: starts, ends and axes were attributes. */
static int slice_inputs(Imp *im, OiEdit *e)
{
	if (!oi_attr(im, "starts") || !oi_attr(im, "ends"))
		return oi_err(im, "the attributes 'starts' and 'ends' are required");
	return ints_attr_to_input(im, e, "starts", 1) || ints_attr_to_input(im, e, "ends", 2) ||
	                       ints_attr_to_input(im, e, "axes", 3)
	               ? -1
	               : 0;
}

/* Split before 13: the sizes were the attribute split. */
static int split_input(Imp *im, OiEdit *e)
{
	return ints_attr_to_input(im, e, "split", 1);
}

/* Split from 18: num_outputs parts, each ceil(d / n) long but the last
 * (shorter); given as the sizes input that opset 13 reads. */
static int split_num_outputs(Imp *im, OiEdit *e)
{
	int64_t n, axis = 0, sizes[64];
	const Shape *xs = in_shape(im, 0);
	int has = oi_attr_int(im, "num_outputs", &n);

	if (has <= 0 || !xs)
		return has < 0 ? -1 : 0;
	if (oi_attr_int(im, "axis", &axis) < 0)
		return -1;
	take(e, "num_outputs");
	if (oi_in(im, 1))
		return oi_err(im, "has both num_outputs and the split input");
	if (n < 1 || n > 64 || n != (int64_t)im->node->n_output)
		return oi_err(im, "num_outputs is %lld, the node has %zu outputs", (long long)n,
		              im->node->n_output);
	if (axis < -xs->rank || axis >= xs->rank)
		return oi_err(im, "axis %lld is out of range for rank %d", (long long)axis,
		              xs->rank);
	int64_t d = xs->d[axis < 0 ? axis + xs->rank : axis], part = (d + n - 1) / n;
	for (int64_t i = 0; i < n; i++) {
		int64_t left = d - i * part;
		sizes[i] = left < 0 ? 0 : left < part ? left : part;
	}
	ints_input(im, e, 1, "split", sizes, (int)n);
	return 0;
}

/* Squeeze, Unsqueeze before 13; ReduceSum before 13, the other reductions
 * before 18: the axes were an attribute (absent: every axis, for both). */
static int axes_input(Imp *im, OiEdit *e)
{
	return ints_attr_to_input(im, e, "axes", 1);
}

/* Reshape before 5: the shape was an attribute. */
static int reshape_input(Imp *im, OiEdit *e)
{
	return ints_attr_to_input(im, e, "shape", 1);
}

/* TopK before 10: k was an attribute. */
static int topk_input(Imp *im, OiEdit *e)
{
	int64_t k;
	int has = oi_attr_int(im, "k", &k);
	if (has < 0)
		return -1;
	take(e, "k");
	if (has)
		ints_input(im, e, 1, "k", &k, 1);
	return 0;
}

/* Concat before 4: axis was optional, default 1. */
static int concat_axis(Imp *im, OiEdit *e)
{
	if (!oi_attr(im, "axis"))
		add_int(e, "axis", 1);
	return 0;
}

/* Cast before 6 named the type: to = "FLOAT"; an integer from 6. */
static int cast_to(Imp *im, OiEdit *e)
{
	static const char *const types[] = {"",        "FLOAT",  "UINT8",  "INT8",   "UINT16",
	                                    "INT16",   "INT32",  "INT64",  "STRING", "BOOL",
	                                    "FLOAT16", "DOUBLE", "UINT32", "UINT64"};
	const Onnx__AttributeProto *a = find(e, "to");
	char name[32];

	if (!a || !a->has_s)
		return 0;
	if (oi_attr_str(im, "to", name, sizeof name) < 0)
		return -1;
	for (size_t t = 1; t < sizeof types / sizeof types[0]; t++)
		if (strcasecmp(name, types[t]) == 0) {
			add_int(e, "to", (int64_t)t);
			return 0;
		}
	return oi_err(im, "to = '%s' is no data type quantc knows", name);
}

/* Softmax, LogSoftmax, Hardmax before 13: the input is seen as a matrix,
 * the dimensions before axis (default 1) the rows, those from it on the
 * row; from 13 the operator works along one axis.  The two agree when at
 * most one dimension from axis on is not 1: that one is the axis. */
static int softmax_axis(Imp *im, OiEdit *e)
{
	int64_t axis = 1;
	const Shape *xs = in_shape(im, 0);

	if (oi_attr_int(im, "axis", &axis) < 0)
		return -1;
	if (!xs)
		return 0;
	if (axis < -xs->rank || axis >= xs->rank)
		return oi_err(im, "axis %lld is out of range for rank %d", (long long)axis,
		              xs->rank);
	if (axis < 0)
		axis += xs->rank;
	int one = xs->rank - 1, n = 0;
	for (int i = (int)axis; i < xs->rank; i++)
		if (xs->d[i] != 1) {
			one = i;
			n++;
		}
	if (n > 1)
		return oi_err(im,
		              "before opset 13, %s normalizes over dimensions %lld to %d together "
		              "(the input flattened at axis %lld); quantc normalizes along one "
		              "axis, so only where at most one of them is not 1 (e.g. axis = the "
		              "last)",
		              str(im->node->op_type), (long long)axis, xs->rank - 1,
		              (long long)axis);
	add_int(e, "axis", one);
	return 0;
}

/* Upsample (opsets 7-9; opset 1's experimental form with height_scale and
 * width_scale) is Resize with coordinate_transformation_mode asymmetric
 * and, for nearest, nearest_mode floor: out[i] = in[floor(i / scale)].
 * Scales were an attribute before 9. */
static int upsample_resize(Imp *im, OiEdit *e)
{
	char mode[32] = "nearest";
	float sc[2 * IR_MAX_RANK];
	int n = -1;
	const Onnx__AttributeProto *a;

	if (oi_attr_str(im, "mode", mode, sizeof mode) < 0)
		return -1;
	if (strcmp(mode, "bilinear") == 0) /* opset 1 */
		strcpy(mode, "linear");
	if (strcmp(mode, "nearest") != 0 && strcmp(mode, "linear") != 0)
		return oi_err(im, "mode '%s' is not supported (nearest or linear)", mode);
	if ((a = oi_attr(im, "scales"))) {
		if (a->n_floats > 2 * IR_MAX_RANK)
			return oi_err(im, "attribute 'scales' has %zu values", a->n_floats);
		n = (int)a->n_floats;
		for (int i = 0; i < n; i++)
			sc[i] = a->floats[i];
	} else if (oi_attr(im, "height_scale") || oi_attr(im, "width_scale")) {
		const Shape *xs = in_shape(im, 0);
		if (xs && xs->rank != 4)
			return oi_err(im, "height_scale and width_scale need a 4-D input");
		n = 4;
		sc[0] = sc[1] = sc[2] = sc[3] = 1;
		if (oi_attr_float(im, "height_scale", &sc[2]) < 0 ||
		    oi_attr_float(im, "width_scale", &sc[3]) < 0)
			return -1;
	}
	take(e, "scales");
	take(e, "height_scale");
	take(e, "width_scale");
	if (n >= 0) {
		char buf[256];
		Shape s = {1, {n}};
		float *d = ir_xmalloc((size_t)(n ? n : 1) * sizeof *d);
		memcpy(d, sc, (size_t)n * sizeof *d);
		set_input(e, 2,
		          oi_const_input(im, base_name(im, "scales", buf, sizeof buf), DT_F32,
		                         OT_FLOAT, &s, d));
	} else if (oi_nin(im) >= 2) {
		set_input(e, 2, e->n.input[1]);
	} else
		return oi_err(im, "the scales are missing");
	set_input(e, 1, ""); /* roi: Resize's tf_crop_and_resize only */
	e->n.n_input = 3;
	add_str(e, "mode", strcmp(mode, "nearest") == 0 ? "nearest" : "linear");
	add_str(e, "coordinate_transformation_mode", "asymmetric");
	if (strcmp(mode, "nearest") == 0)
		add_str(e, "nearest_mode", "floor");
	e->type = "Resize";
	return 0;
}

/* Resize 10 took (X, scales) and meant what Upsample did. */
static int resize10(Imp *im, OiEdit *e)
{
	return upsample_resize(im, e);
}

/* QuantizeLinear, DequantizeLinear from 21: block_size > 0 quantizes
 * blocks of an axis with a scale each, which quantc does not; a
 * QuantizeLinear's output_dtype without a zero point is the type of a zero
 * zero point. */
static int qdq_blocks(Imp *im, OiEdit *e)
{
	int64_t bs = 0, ot = 0;
	int has_ot;

	if (oi_attr_int(im, "block_size", &bs) < 0 ||
	    (has_ot = oi_attr_int(im, "output_dtype", &ot)) < 0)
		return -1;
	if (bs)
		return oi_err(im, "blocked quantization (block_size = %lld) is not supported",
		              (long long)bs);
	take(e, "block_size");
	take(e, "output_dtype");
	if (has_ot && ot && !oi_in(im, 2) &&
	    strcmp(str(im->node->op_type), "QuantizeLinear") == 0) {
		char buf[256];
		Shape s = {0, {0}};
		int64_t *z = ir_xcalloc(1, sizeof *z);
		set_input(e, 2,
		          oi_const_input(im, base_name(im, "zero_point", buf, sizeof buf), DT_I64,
		                         (int)ot, &s, z));
	}
	return 0;
}

/* ---- the table ----------------------------------------------------------------- */

typedef struct {
	const char *op;   /* "" for every operator */
	int from, below;  /* the model's opsets the rewrite applies to */
	int (*rewrite)(Imp *im, OiEdit *e);
} Rewrite;

static const Rewrite rewrites[] = {
        {"", 1, 6, drop_consumed},
        {"Add", 1, 7, legacy_broadcast},
        {"And", 1, 7, legacy_broadcast},
        {"BatchNormalization", 1, 14, batchnorm_mode},
        {"Cast", 1, 6, cast_to},
        {"Clip", 1, 11, clip_inputs},
        {"Concat", 1, 4, concat_axis},
        {"DequantizeLinear", 21, 22, qdq_blocks},
        {"Div", 1, 7, legacy_broadcast},
        {"Dropout", 1, 12, dropout_inputs},
        {"Equal", 1, 7, legacy_broadcast},
        {"Gemm", 1, 7, gemm_broadcast},
        {"Greater", 1, 7, legacy_broadcast},
        {"Hardmax", 1, 13, softmax_axis},
        {"Less", 1, 7, legacy_broadcast},
        {"LogSoftmax", 1, 13, softmax_axis},
        {"Mul", 1, 7, legacy_broadcast},
        {"Or", 1, 7, legacy_broadcast},
        {"Pad", 1, 11, pad_inputs},
        {"Pad", 18, 22, pad_axes},
        {"Pow", 1, 7, legacy_broadcast},
        {"PRelu", 1, 7, prelu_channels},
        {"QuantizeLinear", 21, 22, qdq_blocks},
        {"ReduceL1", 1, 18, axes_input},
        {"ReduceL2", 1, 18, axes_input},
        {"ReduceLogSum", 1, 18, axes_input},
        {"ReduceLogSumExp", 1, 18, axes_input},
        {"ReduceMax", 1, 18, axes_input},
        {"ReduceMean", 1, 18, axes_input},
        {"ReduceMin", 1, 18, axes_input},
        {"ReduceProd", 1, 18, axes_input},
        {"ReduceSum", 1, 13, axes_input},
        {"ReduceSumSquare", 1, 18, axes_input},
        {"Reshape", 1, 5, reshape_input},
        {"Resize", 10, 11, resize10},
        {"Slice", 1, 10, slice_inputs},
        {"Softmax", 1, 13, softmax_axis},
        {"Split", 1, 13, split_input},
        {"Split", 18, 22, split_num_outputs},
        {"Squeeze", 1, 13, axes_input},
        {"Sub", 1, 7, legacy_broadcast},
        {"TopK", 1, 10, topk_input},
        {"Unsqueeze", 1, 13, axes_input},
        {"Upsample", 1, 22, upsample_resize},
        {"Xor", 1, 7, legacy_broadcast},
};

const char *oi_opset_type(const char *op_type)
{
	return strcmp(op_type, "Upsample") == 0 ? "Resize" : op_type;
}

int oi_translate(Imp *im, OiEdit *e)
{
	const Onnx__NodeProto *n = im->node;
	const char *op = str(n->op_type);

	memset(e, 0, sizeof *e);
	e->n = *n;
	e->in = ir_xmalloc((n->n_input + OI_EDIT_INPUTS) * sizeof *e->in);
	e->attr = ir_xmalloc((n->n_attribute + OI_EDIT_ATTRS) * sizeof *e->attr);
	if (n->n_input)
		memcpy(e->in, n->input, n->n_input * sizeof *e->in);
	if (n->n_attribute)
		memcpy(e->attr, n->attribute, n->n_attribute * sizeof *e->attr);
	e->n.input = e->in;
	e->n.attribute = e->attr;
	e->type = op;
	for (size_t i = 0; i < sizeof rewrites / sizeof rewrites[0]; i++) {
		const Rewrite *r = &rewrites[i];
		if ((!*r->op || strcmp(r->op, op) == 0) && im->opset >= r->from &&
		    im->opset < r->below && r->rewrite(im, e))
			return -1;
	}
	im->node = &e->n;
	return 0;
}

void oi_edit_free(OiEdit *e)
{
	free(e->in);
	free(e->attr);
	e->in = NULL;
	e->attr = NULL;
}
