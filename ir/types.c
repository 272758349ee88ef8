/* types.c — data types, shapes, the op and attribute tables. */
#include <float.h>
#include <string.h>

#include "ir.h"

static const struct {
	const char *name;
	int bytes;
} dtypes[DT_COUNT] = {[DT_NONE] = {"?", 0},
#define DT(id, name, bytes) [DT_##id] = {name, bytes},
                      IR_DTYPES(DT)
#undef DT
};

const OpInfo ir_ops[OP_COUNT] = {
        [OP_NONE] = {.name = "<deleted>", .meaning = "a deleted node"},
#define OP(id, name, mn, mx, attrs, flags, fam, precs, meaning) \
	[OP_##id] = {name, mn, mx, attrs, flags, fam, precs, meaning},
#include "ops.def"
#undef OP
};

const AttrInfo ir_attrs[AI_COUNT] = {
#define AT(id, name, n) [AI_##id] = {name, n},
        IR_ATTRS(AT)
#undef AT
};

const char *ir_dtype_name(DType t)
{
	return t > DT_NONE && t < DT_COUNT ? dtypes[t].name : "?";
}

int ir_dtype_size(DType t)
{
	return t > DT_NONE && t < DT_COUNT ? dtypes[t].bytes : 0;
}

DType ir_dtype_from_name(const char *s)
{
	for (int t = DT_NONE + 1; t < DT_COUNT; t++)
		if (strcmp(dtypes[t].name, s) == 0)
			return (DType)t;
	return DT_NONE;
}

int64_t ir_shape_numel(const Shape *s)
{
	int64_t n = 1;
	/* shapes come from files: saturate rather than wrap, so that every size
	 * check downstream sees "too large" */
	for (int i = 0; i < s->rank; i++)
		if (__builtin_mul_overflow(n, s->d[i], &n))
			return INT64_MAX;
	return n;
}

int ir_shape_eq(const Shape *a, const Shape *b)
{
	if (a->rank != b->rank)
		return 0;
	for (int i = 0; i < a->rank; i++)
		if (a->d[i] != b->d[i])
			return 0;
	return 1;
}

char *ir_shape_str(const Shape *s, char *buf, size_t n)
{
	size_t k = 0;

	k += (size_t)snprintf(buf + k, n - k, "[");
	for (int i = 0; i < s->rank && k < n; i++)
		k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? "," : "", (long long)s->d[i]);
	if (k < n)
		snprintf(buf + k, n - k, "]");
	return buf;
}

Op ir_op_from_name(const char *s)
{
	for (int o = OP_NONE + 1; o < OP_COUNT; o++)
		if (strcmp(ir_ops[o].name, s) == 0)
			return (Op)o;
	return OP_NONE;
}

static const char *act_names[] = {"none", "relu", "relu6"};

const char *const *ir_attr_words(int ai)
{
	static const char *const mode[] = {
	        "nearest", "nearest_prefer_ceil", "nearest_floor", "nearest_ceil", "linear", NULL};
	static const char *const coord[] = {"half_pixel",           "asymmetric",
	                                    "align_corners",        "pytorch_half_pixel",
	                                    "tf_half_pixel_for_nn", NULL};
	static const char *const pad_mode[] = {"constant", "reflect",   "edge",
	                                       "wrap",     "symmetric", NULL};
	switch (ai) {
	case AI_MODE: return mode;
	case AI_COORD: return coord;
	case AI_PAD_MODE: return pad_mode;
	default: ICE("attribute %d takes no word", ai);
	}
}

const char *ir_act_name(Act a)
{
	return (unsigned)a < 3 ? act_names[a] : "?";
}

int ir_act_from_name(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(act_names[i], s) == 0)
			return i;
	return -1;
}

void ir_attrs_default(Attrs *a)
{
	memset(a, 0, sizeof *a);
	a->stride[0] = a->stride[1] = 1;
	a->dilation[0] = a->dilation[1] = 1;
	a->kernel[0] = a->kernel[1] = 1;
	a->groups = 1;
	a->axis = 1;
	a->act = ACT_NONE;
	a->alpha = 0.2f;
	a->beta = 0.5f;
	a->min = -FLT_MAX;
	a->max = FLT_MAX;
	a->pool_stride[0] = a->pool_stride[1] = 1;
	a->pool_dilation[0] = a->pool_dilation[1] = 1;
	a->keepdims = 1;
}

void ir_attrs_default_op(Attrs *a, Op op)
{
	ir_attrs_default(a);
	if (op == OP_LEAKY_RELU)
		a->alpha = 0.01f; /* ONNX LeakyRelu */
	if (op == OP_SOFTMAX || op == OP_LOG_SOFTMAX)
		a->axis = -1;
	if (op == OP_SOFTMAX)
		a->beta = 1.0f; /* TFLite's SoftmaxOptions.beta */
	/* the unary math ops: ONNX's defaults (selu's gamma in beta, shrink's
	 * lambd and bias in alpha and beta, pow's exponent in alpha) */
	if (op == OP_ELU || op == OP_CELU || op == OP_THRESHOLDED_RELU || op == OP_POW)
		a->alpha = 1.0f;
	if (op == OP_SELU) {
		a->alpha = 1.67326319f;
		a->beta = 1.05070102f;
	}
	if (op == OP_SHRINK) {
		a->alpha = 0.5f;
		a->beta = 0.0f;
	}
	if (op == OP_GATHER)
		a->axis = 0; /* ONNX Gather */
}

const char *const ir_family_names[FAM_COUNT] = {
#define F(id, name) [FAM_##id] = name,
        IR_FAMILIES(F)
#undef F
};
