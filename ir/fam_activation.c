/* ir/fam_activation.c — the activation family (relu, clip, leaky_relu,
 * sigmoid, tanh, hard_sigmoid, hard_swish, softmax, abs and the unary math
 * ops neg ... round and sin ... atanh of ops.def) in the ir layer: the float
 * arithmetic and the compile-time int8 and int16 tables of all but relu,
 * clip, abs and softmax (ir/act.h: the quantize pass and the backend use
 * them too), and the reference interpreter's checks and kernels, every
 * precision.
 *
 * relu: f32 x < 0 ? 0 : x; int max(x, zp) (relu keeps its input's q).
 * abs: f32 x with its sign bit cleared (NaN stays NaN); int
 * clamp(zp_o + mbqm(|x - zp_x|, M)), M = s_x / s_o, at the result's own
 * parameters (TFLite's Requantize, as quantize from i8/i16).
 *
 * int8 element-wise ops other than clip read a 256-entry table the quantize
 * pass stored as their second operand (so the backend indexes the very same
 * bytes); int16 ones a 513-entry table, looked up with TFLite's linear
 * interpolation (ir_act_lut16).  The unary math ops compute f32 by the
 * runtime's qrt_unaryf, which the generated code calls too.  clip keeps its input's parameters and clamps in the quantized
 * domain.  int8 softmax is TFLite's reference kernel (gemmlowp fixed point,
 * ir/gemmlowp.h): no table operand, the check computes its multiplier,
 * shift and diff_min from beta and s_x.  int8 log_softmax (one table of exp
 * in fixed point, an int64 sum, a table of ln) is quantc's own, spelled out
 * in ops.def.  int16 sigmoid, tanh and softmax are TFLite's int16 LOGISTIC,
 * TANH and SoftmaxInt16 instead (ir_act_tflite16): no table operand, the
 * check computes TFLite's input multiplier (and softmax's two fixed
 * tables), sigmoid and tanh run the runtime's qrt_logistic_s16 /
 * qrt_tanh_s16 per element. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "act.h"
#include "qrt.h"
#include "ir_rules.h"

int ir_act_unary_fn(Op op)
{
	switch (op) {
	case OP_NEG: return QRT_U_NEG;
	case OP_SQRT: return QRT_U_SQRT;
	case OP_EXP: return QRT_U_EXP;
	case OP_LOG: return QRT_U_LOG;
	case OP_RECIPROCAL: return QRT_U_RECIPROCAL;
	case OP_SIGN: return QRT_U_SIGN;
	case OP_ELU: return QRT_U_ELU;
	case OP_SELU: return QRT_U_SELU;
	case OP_SOFTPLUS: return QRT_U_SOFTPLUS;
	case OP_SOFTSIGN: return QRT_U_SOFTSIGN;
	case OP_MISH: return QRT_U_MISH;
	case OP_GELU: return QRT_U_GELU;
	case OP_ERF: return QRT_U_ERF;
	case OP_POW: return QRT_U_POW;
	case OP_SHRINK: return QRT_U_SHRINK;
	case OP_CELU: return QRT_U_CELU;
	case OP_THRESHOLDED_RELU: return QRT_U_THRESHOLDED_RELU;
	case OP_FLOOR: return QRT_U_FLOOR;
	case OP_CEIL: return QRT_U_CEIL;
	case OP_ROUND: return QRT_U_ROUND;
	case OP_SIN: return QRT_U_SIN;
	case OP_COS: return QRT_U_COS;
	case OP_TAN: return QRT_U_TAN;
	case OP_ASIN: return QRT_U_ASIN;
	case OP_ACOS: return QRT_U_ACOS;
	case OP_ATAN: return QRT_U_ATAN;
	case OP_SINH: return QRT_U_SINH;
	case OP_COSH: return QRT_U_COSH;
	case OP_ASINH: return QRT_U_ASINH;
	case OP_ACOSH: return QRT_U_ACOSH;
	case OP_ATANH: return QRT_U_ATANH;
	default: return -1;
	}
}

int ir_act_is_softmax(Op op)
{
	return op == OP_SOFTMAX || op == OP_LOG_SOFTMAX;
}

int ir_act_tflite16(Op op, DType dt)
{
	return dt == DT_I16 && (op == OP_SIGMOID || op == OP_TANH || op == OP_SOFTMAX);
}

void ir_act16_input_scaling(Op op, float sx, int32_t *mult, int *shift)
{
	/* TFLite's CheckedLog2, in float: log2 within 1e-3 of an integer */
	float l2 = logf(sx) * (1.0f / logf(2.0f)), r = roundf(l2);
	int ls = 12 + (int)r;
	double m;

	if ((double)fabsf(l2 - r) < 1e-3 && (ls == 0 || (op == OP_TANH && ls == 1))) {
		*mult = 3 << ls;
		*shift = 0;
		return;
	}
	/* the input in steps of 1/(3 * 4096), the multiplier above 2^14 */
	m = (double)sx * 4096.0 * 3.0;
	ls = 0;
	while (m <= 32767.0 / 2.0 && ls <= 30) {
		ls++;
		m = m * 2.0;
	}
	/* TFLite's cast is undefined past int32 (s_x above 174762) */
	*mult = m < 2147483647.0 ? (int32_t)m : INT32_MAX;
	*shift = ls;
}

void ir_softmax16_scaling(float beta, float sx, int32_t *mult, int *shift)
{
	/* d = x - max in [-65535, 0] to steps of 10/65535: the exp table's */
	ir_quantize_multiplier((double)sx * (double)beta / (10.0 / 65535.0), mult, shift);
}

int ir_softmax8_scaling(float beta, float sx, int32_t *mult, int *shift, int32_t *diff_min)
{
	/* beta s_x as a Q5.26 multiplier: d = x - max to Q5.26 by one
	 * multiplication (exact in double: two floats' product) */
	double m = (double)beta * (double)sx * 67108864.0, q;
	long long qf;
	int e;

	if (!(m > 1.0))
		return -1;
	if (m > 2147483647.0) /* exp(-beta s_x) rounds to 0 anyway */
		m = 2147483647.0;
	/* QuantizeMultiplier, without ir_quantize_multiplier's cap of the
	 * shift at 30 (TFLite's double-rounding build: 31 here) */
	q = frexp(m, &e);
	qf = llround(q * 2147483648.0);
	if (qf == 2147483648LL) {
		qf /= 2;
		e++;
	}
	*mult = (int32_t)qf;
	*shift = e;
	/* the largest |d| whose d 2^shift stays within 31 in Q5.26 */
	*diff_min = -(int32_t)floor(31.0 * 67108864.0 / ldexp(1.0, e));
	return 0;
}

static double lut_exp(double v)
{
	return exp(v);
}

static double lut_recip(double v)
{
	return 1.0 / (1.0 + v);
}

/* TFLite's LUTPopulate<int16_t> in double: f at 512 steps over the input
 * range [s_in (-32768 - z_in), s_in (32767 - z_in)], each entry less half
 * the rounded error of interpolating its midpoint, then f at the top, in
 * units of the output range [-32768 s_out, 32767 s_out] / 65536. */
static void lut16_populate(double (*f)(double), double s_in, int32_t z_in, double s_out, int16_t *t)
{
	const double in_min = s_in * (double)(-32768 - z_in),
	             in_max = s_in * (double)(32767 - z_in);
	const double out_min = s_out * -32768.0, out_max = s_out * 32767.0;
	const double step = (in_max - in_min) / 512, half = step / 2;
	const double inv = 65536.0 / (out_max - out_min);
	double v;

	for (int i = 0; i < IR_ACT_LUT16_N - 1; i++) {
		double val = f(in_min + i * step), mid = f(in_min + i * step + half);
		double next = f(in_min + (i + 1) * step);
		double interp = round((next * inv + round(val * inv)) / 2);
		v = round(val * inv) - round((interp - round(mid * inv)) / 2);
		t[i] = (int16_t)(v < -32768 ? -32768 : v > 32767 ? 32767 : v);
	}
	v = round(f(in_max) * inv);
	t[IR_ACT_LUT16_N - 1] = (int16_t)(v < -32768 ? -32768 : v > 32767 ? 32767 : v);
}

void ir_softmax16_luts(int16_t *exp_lut, int16_t *recip_lut)
{
	/* TFLite's SoftmaxPrepare: exp on [-10, 0], 1 / (1 + x) on [0, 1],
	 * both at an output scale of 2 / 65535 */
	lut16_populate(lut_exp, 10.0 / 65535, 32767, 2.0 / 65535, exp_lut);
	lut16_populate(lut_recip, 1.0 / 65535, -32768, 2.0 / 65535, recip_lut);
}

int ir_act_is_table_op(Op op)
{
	return op == OP_LEAKY_RELU || op == OP_SIGMOID || op == OP_TANH || op == OP_HARD_SIGMOID ||
	       op == OP_HARD_SWISH || ir_act_unary_fn(op) >= 0;
}

int ir_act_is_op(Op op)
{
	return op == OP_CLIP || ir_act_is_softmax(op) || ir_act_is_table_op(op);
}

/* The backend emits these operations in this order (targets/fam_activation.c). */
float ir_act_f32(Op op, const Attrs *a, float x)
{
	float t;

	if (ir_act_unary_fn(op) >= 0)
		return qrt_unaryf(ir_act_unary_fn(op), x, a->alpha, a->beta);
	switch (op) {
	case OP_CLIP: t = x < a->min ? a->min : x; return t > a->max ? a->max : t;
	case OP_LEAKY_RELU: return x < 0.0f ? a->alpha * x : x;
	case OP_SIGMOID: return qrt_sigmoidf(x);
	case OP_TANH: return qrt_tanhf(x);
	case OP_HARD_SIGMOID:
		t = a->alpha * x + a->beta;
		t = t < 0.0f ? 0.0f : t;
		return t > 1.0f ? 1.0f : t;
	case OP_HARD_SWISH:
		t = x + 3.0f;
		t = t < 0.0f ? 0.0f : t;
		t = t > 6.0f ? 6.0f : t;
		return x * t / 6.0f;
	default: ICE("act: %s is not element-wise", ir_ops[op].name);
	}
}

/* The exact function, for the tables. */
static double act_f64(Op op, const Attrs *a, double x)
{
	double t;

	if (ir_act_unary_fn(op) >= 0)
		return qrt_unary(ir_act_unary_fn(op), x, a->alpha, a->beta);
	switch (op) {
	case OP_LEAKY_RELU: return x < 0 ? a->alpha * x : x;
	case OP_SIGMOID: return 1.0 / (1.0 + exp(-x));
	case OP_TANH: return tanh(x);
	case OP_HARD_SIGMOID: t = a->alpha * x + a->beta; return t < 0 ? 0 : t > 1 ? 1 : t;
	case OP_HARD_SWISH:
		t = x + 3;
		t = t < 0 ? 0 : t > 6 ? 6 : t;
		return x * t / 6;
	default: ICE("act: %s has no table", ir_ops[op].name);
	}
}

int ir_act_fixed_qparams(Op op, DType dt, float *scale, int32_t *zp)
{
	if (op == OP_LOG_SOFTMAX) { /* TFLite's int8 LOG_SOFTMAX: [-16, 0) */
		*scale = dt == DT_I16 ? 1.0f / 2048 : 16.0f / 256;
		*zp = dt == DT_I16 ? 0 : 127;
		return 1;
	}
	if (dt == DT_I16) {
		if (op != OP_SIGMOID && op != OP_TANH && op != OP_SOFTMAX)
			return 0;
		*scale = 1.0f / 32768; /* TFLite's int16 LOGISTIC, TANH, SOFTMAX */
		*zp = 0;
		return 1;
	}
	switch (op) {
	case OP_SIGMOID:
	case OP_SOFTMAX:
		*scale = 1.0f / 256;
		*zp = -128;
		return 1;
	case OP_TANH:
		*scale = 1.0f / 128;
		*zp = 0;
		return 1;
	default: return 0;
	}
}

void ir_act_table_s8(Op op, const Attrs *a, float sx, int32_t zx, float sy, int32_t zy, int8_t *t)
{
	for (int i = 0; i < IR_ACT_TABLE_N; i++) {
		double x = (double)sx * (double)(i - 128 - zx);
		float y = (float)act_f64(op, a, x);
		t[i] = (int8_t)ir_quantize_value(y, sy, zy, DT_I8);
	}
}

/* f / s_o with NaN as 0 (the zero point, as quantize) and infinities
 * bounded, so the rounding below stays finite */
static double lut_val(Op op, const Attrs *a, double x, double inv)
{
	double v = act_f64(op, a, x) * inv;
	return v != v ? 0.0 : v > 1e9 ? 1e9 : v < -1e9 ? -1e9 : v;
}

void ir_act_table_s16(Op op, const Attrs *a, float sx, int32_t zx, float sy, int32_t zy, int16_t *t)
{
	/* TFLite's gen_lut, with steps of exactly 128 input values as the
	 * lookup indexes them (TFLite's steps of 65535/512 drift by up to one
	 * input value at the top); the last point, 32768, is one past the
	 * input's range */
	const double inv = 1.0 / (double)sy, step = 128.0 * (double)sx;
	const double x0 = (double)sx * (double)(-32768 - zx);

	for (int i = 0; i < IR_ACT_LUT16_N; i++) {
		double x = x0 + step * i;
		double v = round(lut_val(op, a, x, inv));
		if (i < IR_ACT_LUT16_N - 1) {
			/* split the error of the interpolated midpoint between the
			 * two ends */
			double next = lut_val(op, a, x + step, inv);
			double mid = round(lut_val(op, a, x + step / 2, inv));
			v -= round((round((next + v) / 2) - mid) / 2);
		}
		v += zy;
		t[i] = (int16_t)(v < -32768 ? -32768 : v > 32767 ? 32767 : v);
	}
}

void ir_softmax_table(float sx, int32_t *t)
{
	for (int d = 0; d < IR_ACT_TABLE_N; d++)
		t[d] = (int32_t)lround(IR_SOFTMAX_ONE * exp(-(double)sx * d));
}

void ir_clip_bounds(const Attrs *a, DType dt, float scale, int32_t zp, int32_t *lo, int32_t *hi)
{
	*lo = ir_quantize_value(a->min, scale, zp, dt);
	*hi = ir_quantize_value(a->max, scale, zp, dt);
}

int64_t ir_softmax_table_len(Op op, DType dt)
{
	int64_t e = dt == DT_I16 ? 2 * IR_ACT_TABLE_N : IR_ACT_TABLE_N;
	return op == OP_LOG_SOFTMAX ? e + IR_LSM_LN_N + IR_LSM_K_N + 1 : e;
}

int ir_softmax_table_int(Op op, DType dt, float sx, float so, int32_t *t)
{
	int64_t e = dt == DT_I16 ? 2 * IR_ACT_TABLE_N : IR_ACT_TABLE_N;

	if (dt == DT_I16) { /* A[k] = exp(-s_x 256 k), B[r] = exp(-s_x r) */
		ir_softmax_table(256.0f * sx, t);
		ir_softmax_table(sx, t + IR_ACT_TABLE_N);
		/* 256 s_x in float may round: B's step is what is exact; A
		 * from it in double */
		for (int k = 0; k < IR_ACT_TABLE_N; k++)
			t[k] = (int32_t)lround(IR_SOFTMAX_ONE * exp(-(double)sx * 256.0 * k));
	} else {
		ir_softmax_table(sx, t);
	}
	if (op != OP_LOG_SOFTMAX)
		return 0;
	/* ln(1 + i/256) and k ln 2 in units of s_o / 256; s_x / s_o * 2^24 */
	int32_t *ln = t + e, *kt = ln + IR_LSM_LN_N;
	for (int i = 0; i < IR_LSM_LN_N; i++)
		ln[i] = (int32_t)lround(log1p(i / 256.0) / so * 256.0);
	for (int k = 0; k < IR_LSM_K_N; k++) {
		double v = k * 0.69314718055994531 / so * 256.0;
		if (v >= 2147483647.0)
			return -1;
		kt[k] = (int32_t)lround(v);
	}
	double p = (double)sx / so * 16777216.0;
	if (p >= 2147483647.0)
		return -1;
	kt[IR_LSM_K_N] = (int32_t)lround(p);
	return 0;
}

uint64_t ir_softmax_exp(DType dt, const int32_t *t, int32_t d)
{
	if (dt != DT_I16)
		return (uint32_t)t[d];
	uint64_t a = (uint32_t)t[d >> 8], b = (uint32_t)t[IR_ACT_TABLE_N + (d & 255)];
	return (a * b + (1u << 19)) >> 20;
}

int64_t ir_log_softmax_sum(const int32_t *ln, uint64_t s)
{
	int k = 63;
	while (!(s >> k)) /* s >= 2^20: the loop ends */
		k--;
	uint64_t f = s << (63 - k);
	int i = (int)((f >> 55) & 255), r = (int)((f >> 47) & 255);
	int64_t lo = ln[i], d = (int64_t)ln[i + 1] - lo;
	/* ln[] rises: d >= 0 */
	return (int64_t)ln[IR_LSM_LN_N + k - 20] + lo + ((d * r + 128) >> 8);
}

void ir_softmax_dims(const Shape *s, int64_t axis, int64_t *outer, int64_t *len, int64_t *inner)
{
	if (axis < 0)
		axis += s->rank;
	*outer = *inner = 1;
	*len = s->rank ? s->d[axis] : 1;
	for (int i = 0; i < s->rank; i++) {
		if (i < axis)
			*outer *= s->d[i];
		if (i > axis)
			*inner *= s->d[i];
	}
}

/* ---- the interpreter ------------------------------------------------------------ */

/* ---- checks ------------------------------------------------------------------ */

#define BAD IR_BAD

static int check_table(const Graph *g, const Node *n, Diag *d)
{
	const char *op = ir_ops[n->op].name;
	DType xdt = g->vals[n->in[0]].dt;
	DType want = ir_act_is_softmax(n->op) ? DT_I32 : xdt;
	int64_t len = ir_act_is_softmax(n->op) ? ir_softmax_table_len(n->op, xdt)
	                                       : ir_act_table_len(xdt);

	if (n->nin != 2)
		return BAD("%s: a quantized %s needs its table operand (the quantize pass adds it)",
		           op, op);
	const Value *t = &g->vals[n->in[1]];
	if (t->kind != VK_CONST || !t->data || t->dt != want || t->shape.rank != 1 ||
	    t->shape.d[0] != len)
		return BAD("%s: table '%s' must be a constant %s[%lld]", op, t->name,
		           ir_dtype_name(want), (long long)len);
	if (ir_act_is_softmax(n->op)) {
		/* the exp entries are in [0, 2^20] and exp(0)'s is above 0 (it is
		 * in every row's divisor): a row's sum of at most 2^31 stays
		 * below 2^51, each term times 2^15 below 2^35; log_softmax's ln
		 * entries are non-negative and rising, its k ln 2 ones too, so
		 * every sum stays non-negative and inside 64 bits */
		const int32_t *tv = t->data;
		int64_t ne = xdt == DT_I16 ? 2 * IR_ACT_TABLE_N : IR_ACT_TABLE_N;
		for (int64_t i = 0; i < len; i++) {
			int bad = tv[i] < 0 || (i < ne && tv[i] > IR_SOFTMAX_ONE);
			if (i > ne && i < ne + IR_LSM_LN_N)
				bad |= tv[i] < tv[i - 1];
			if (bad) {
				diag_error(d, t->loc,
				           "%s: table '%s'[%lld] is %d: out of its range (ops.def)",
				           op, t->name, (long long)i, (int)tv[i]);
				return -1;
			}
		}
		/* log_softmax's ln of the sum reads k ln 2 from 2^20 up */
		uint64_t e0 = ir_softmax_exp(xdt, tv, 0);
		if (e0 == 0 || (n->op == OP_LOG_SOFTMAX && e0 != IR_SOFTMAX_ONE)) {
			diag_error(d, t->loc, "%s: table '%s' gives exp(0) = %llu", op, t->name,
			           (unsigned long long)e0);
			return -1;
		}
	}
	return 0;
}

/* TFLite's int16 sigmoid, tanh and softmax: no table, the result at its
 * fixed 1/32768, zp 0; a softmax row's int32 sum of at most 32767 per
 * element holds 65536 of them */
static int check_tflite16(const Graph *g, const Node *n, Diag *d)
{
	const Value *x = &g->vals[n->in[0]], *o = &g->vals[n->out];
	const char *op = ir_ops[n->op].name;
	int64_t outer, len, inner;

	if (n->nin != 1)
		return BAD("%s: an int16 %s takes one operand (TFLite's algorithm: its tables are "
		           "fixed)",
		           op, op);
	if (o->q.scale[0] != 1.0f / 32768 || o->q.zp != 0)
		return BAD(
		        "%s: result '%s' must have scale 1/32768 and zero point 0 (TFLite's int16 "
		        "%s), not %.9g and %d",
		        op, o->name, op, (double)o->q.scale[0], (int)o->q.zp);
	if (!(x->q.scale[0] > 0) || isinf(x->q.scale[0]))
		return BAD("%s: input '%s' has scale %.9g", op, x->name, (double)x->q.scale[0]);
	if (n->op == OP_SOFTMAX) {
		ir_softmax_dims(&x->shape, n->a.axis, &outer, &len, &inner);
		if (len > IR_SOFTMAX16_MAX_LEN)
			return BAD(
			        "softmax: an int16 row of %lld elements is over %d (TFLite's sum "
			        "of exps is int32)",
			        (long long)len, IR_SOFTMAX16_MAX_LEN);
	}
	return 0;
}

/* TFLite's int8 softmax: no table, the result at its fixed 1/256, zp -128,
 * beta s_x above 2^-26 (QuantizeMultiplierGreaterThanOne) */
static int check_softmax8(const Graph *g, const Node *n, Diag *d)
{
	const Value *x = &g->vals[n->in[0]], *o = &g->vals[n->out];
	int32_t mult, diff_min;
	int shift;

	if (n->nin != 1)
		return BAD("softmax: an int8 softmax takes one operand (TFLite's algorithm: no "
		           "table)");
	if (o->q.scale[0] != 1.0f / 256 || o->q.zp != -128)
		return BAD("softmax: result '%s' must have scale 1/256 and zero point -128 "
		           "(TFLite's int8 softmax), not %.9g and %d",
		           o->name, (double)o->q.scale[0], (int)o->q.zp);
	if (ir_softmax8_scaling(n->a.beta, x->q.scale[0], &mult, &shift, &diff_min))
		return BAD("softmax: beta %.9g times the scale %.9g of input '%s' is not above "
		           "2^-26 (TFLite's int8 softmax multiplier)",
		           (double)n->a.beta, (double)x->q.scale[0], x->name);
	return 0;
}

int ir_interp_check_act(const Graph *g, const Node *n, Diag *d)
{
	const Value *x = &g->vals[n->in[0]], *o = &g->vals[n->out];
	const char *op = ir_ops[n->op].name;

	if (!ir_shape_eq(&x->shape, &o->shape) || o->dt != x->dt)
		return BAD("%s: result and input differ in type or shape", op);
	if (ir_act_is_softmax(n->op) &&
	    (n->a.axis < -x->shape.rank || n->a.axis >= x->shape.rank || x->shape.rank == 0))
		return BAD("%s: axis %lld is out of range", op, (long long)n->a.axis);
	if (n->op == OP_SOFTMAX && !(n->a.beta > 0 && n->a.beta <= FLT_MAX))
		return BAD("softmax: beta %.9g is not a positive finite number", (double)n->a.beta);
	if (x->dt == DT_F32)
		return n->nin == 1 ? 0 : BAD("%s: a float %s takes one operand", op, op);
	if (n->op == OP_CLIP && (x->dt == DT_I8 || x->dt == DT_I16)) {
		if (!ir_per_tensor_q(x) || !ir_per_tensor_q(o) || x->q.zp != o->q.zp ||
		    x->q.scale[0] != o->q.scale[0])
			return BAD("%s: result '%s' must keep the quantization of '%s'", op,
			           o->name, x->name);
		return 0;
	}
	if (x->dt != DT_I8 && x->dt != DT_I16)
		return BAD("%s: no kernel for %s input", op, ir_dtype_name(x->dt));
	if (!ir_per_tensor_q(x) || !ir_per_tensor_q(o))
		return BAD("%s: quantized operands need per-tensor parameters", op);
	if (ir_act_tflite16(n->op, x->dt))
		return check_tflite16(g, n, d);
	if (n->op == OP_SOFTMAX)
		return check_softmax8(g, n, d);
	return check_table(g, n, d);
}

#undef BAD

/* ---- kernels ------------------------------------------------------------------- */

/* beta (softmax's; log_softmax has none: 1) scales x - m when it is not 1 */
static void softmax_f32(const Shape *s, int64_t axis, int lg, float beta, const float *x, float *y)
{
	int64_t outer, len, inner;

	ir_softmax_dims(s, axis, &outer, &len, &inner);
	for (int64_t o = 0; o < outer; o++)
		for (int64_t i = 0; i < inner; i++) {
			const float *xr = x + o * len * inner + i;
			float *yr = y + o * len * inner + i;
			float m = xr[0], sum = 0.0f;
			for (int64_t k = 1; k < len; k++)
				m = xr[k * inner] > m ? xr[k * inner] : m;
			for (int64_t k = 0; k < len; k++) {
				float v = xr[k * inner] - m;
				yr[k * inner] = qrt_expf(beta != 1.0f ? v * beta : v);
				sum += yr[k * inner];
			}
			if (lg) { /* (x - m) - log(sum) */
				float l = qrt_unaryf(QRT_U_LOG, sum, 0.0f, 0.0f);
				for (int64_t k = 0; k < len; k++)
					yr[k * inner] = (xr[k * inner] - m) - l;
				continue;
			}
			for (int64_t k = 0; k < len; k++)
				yr[k * inner] = yr[k * inner] / sum;
		}
}

/* int8 and int16 log_softmax (ops.def) */
static void log_softmax_int(const Node *n, const Value *x, const Value *o, const void *xb,
                            const int32_t *t, void *yb)
{
	int64_t outer, len, inner;
	const int64_t ne = x->dt == DT_I16 ? 2 * IR_ACT_TABLE_N : IR_ACT_TABLE_N;
	const int64_t p = t[ne + IR_LSM_LN_N + IR_LSM_K_N]; /* s_x / s_o 2^24 */
	const int32_t qmin = ir_qmin(o->dt), qmax = ir_qmax(o->dt);

	ir_softmax_dims(&x->shape, n->a.axis, &outer, &len, &inner);
	for (int64_t r = 0; r < outer; r++)
		for (int64_t i = 0; i < inner; i++) {
			int64_t base = r * len * inner + i;
			int32_t m = ir_load_q(x->dt, xb, base);
			uint64_t sum = 0;
			for (int64_t k = 1; k < len; k++) {
				int32_t v = ir_load_q(x->dt, xb, base + k * inner);
				m = v > m ? v : m;
			}
			for (int64_t k = 0; k < len; k++)
				sum += ir_softmax_exp(x->dt, t,
				                      m - ir_load_q(x->dt, xb, base + k * inner));
			int64_t l = ir_log_softmax_sum(t + ne, sum);
			for (int64_t k = 0; k < len; k++) {
				int32_t dd = m - ir_load_q(x->dt, xb, base + k * inner);
				int64_t v = (((int64_t)dd * p) >> 16) + l;
				int64_t q = o->q.zp - ((v + 128) >> 8);
				q = q < qmin ? qmin : q > qmax ? qmax : q;
				ir_store_q(o->dt, yb, base + k * inner, (int32_t)q);
			}
		}
}

/* TFLite's int8 Softmax (reference_ops, ops.def) along any axis: rt holds
 * the input_beta_multiplier, input_beta_left_shift and diff_min (lo).  The
 * row's sum of exps in Q12.19 saturates (TFLite's int32 wraps past 4095
 * elements at the max), and the final shift, above 31 when the sum is 2^28
 * or more (TFLite's kernel stops on a check there), is the same rounding in
 * int64. */
static void softmax_s8(const Node *n, const Value *x, const NodeRt *rt, const int8_t *xb,
                       int8_t *yb)
{
	const int32_t mult = rt->mult[0], diff_min = rt->lo;
	const int shift = rt->shift[0];
	int64_t outer, len, inner;

	ir_softmax_dims(&x->shape, n->a.axis, &outer, &len, &inner);
	for (int64_t r = 0; r < outer; r++)
		for (int64_t i = 0; i < inner; i++) {
			const int8_t *xr = xb + r * len * inner + i;
			int8_t *yr = yb + r * len * inner + i;
			int32_t m = xr[0], sum = 0;
			for (int64_t k = 1; k < len; k++)
				m = xr[k * inner] > m ? xr[k * inner] : m;
			for (int64_t k = 0; k < len; k++) {
				int32_t dd = xr[k * inner] - m;
				if (dd < diff_min)
					continue;
				int64_t s = (int64_t)sum +
				            ir_gl_mul_pot(ir_softmax8_exp(dd, mult, shift),
				                          -IR_GL_ACCUM_BITS);
				sum = s > INT32_MAX ? INT32_MAX : (int32_t)s;
			}
			/* the max's exp is 2^19 in Q12.19: sum > 0 */
			int bits;
			int32_t scale = ir_gl_reciprocal(sum, IR_GL_ACCUM_BITS, &bits);
			int e = bits + 31 - 8; /* 23 .. 34 */
			for (int64_t k = 0; k < len; k++) {
				int32_t dd = xr[k * inner] - m;
				if (dd < diff_min) {
					yr[k * inner] = -128;
					continue;
				}
				/* scale * exp >= 0: the rounding divide is half up */
				int64_t p = ir_srdhm(scale, ir_softmax8_exp(dd, mult, shift));
				int64_t q = ((p + ((int64_t)1 << (e - 1))) >> e) - 128;
				yr[k * inner] = (int8_t)(q > 127 ? 127 : q);
			}
		}
}

/* TFLite's SoftmaxInt16 (ops.def) along any axis: rt holds the input
 * multiplier and shift, rt->wt the exp and 1 / (1 + x) tables. */
static void softmax_s16(const Node *n, const Value *x, const NodeRt *rt, const int16_t *xb,
                        int16_t *yb)
{
	const int16_t *el = rt->wt, *rl = el + IR_ACT_LUT16_N;
	int64_t outer, len, inner;

	ir_softmax_dims(&x->shape, n->a.axis, &outer, &len, &inner);
	for (int64_t r = 0; r < outer; r++)
		for (int64_t i = 0; i < inner; i++) {
			const int16_t *xr = xb + r * len * inner + i;
			int16_t *yr = yb + r * len * inner + i;
			int32_t m = xr[0], sum = 0; /* sum <= 65536 * 32767 */
			for (int64_t k = 1; k < len; k++)
				m = xr[k * inner] > m ? xr[k * inner] : m;
			for (int64_t k = 0; k < len; k++) {
				int32_t e = ir_softmax16_exp(el, xr[k * inner] - m, rt->mult[0],
				                             rt->shift[0]);
				yr[k * inner] = (int16_t)e; /* kept for the second pass */
				sum += e;
			}
			/* 1 / sum: sum's leading one moved to bit 30, then to 1 + x in
			 * Q16 (x in [0, 1)), x recentred to the table's input */
			int hp1 = ir_clz32((uint32_t)sum);
			int32_t sh = (int32_t)((((int64_t)sum << (hp1 - 1)) + (1 << 13)) >> 14);
			sh -= (1 << 15) + (1 << 16);
			sh = sh < -32768 ? -32768 : sh > 32767 ? 32767 : sh;
			int64_t rcp = ir_act_lut16(rl, sh), rs = 31 - hp1;
			for (int64_t k = 0; k < len; k++) {
				int64_t q = (yr[k * inner] * rcp + ((int64_t)1 << (rs - 1))) >> rs;
				yr[k * inner] = (int16_t)(q < 0 ? 0 : q > 32767 ? 32767 : q);
			}
		}
}

static void clip_int(const Node *n, const Value *x, const void *xb, void *yb)
{
	int64_t cnt = ir_shape_numel(&x->shape);
	int32_t lo, hi;

	ir_clip_bounds(&n->a, x->dt, x->q.scale[0], x->q.zp, &lo, &hi);
	for (int64_t i = 0; i < cnt; i++) {
		int32_t v = x->dt == DT_I8 ? ((const int8_t *)xb)[i] : ((const int16_t *)xb)[i];
		v = v < lo ? lo : v;
		v = v > hi ? hi : v;
		if (x->dt == DT_I8)
			((int8_t *)yb)[i] = (int8_t)v;
		else
			((int16_t *)yb)[i] = (int16_t)v;
	}
}

/* relu: x < 0 ? 0 : x in f32, max(x, zp) in integers; one loop. */
IR_INLINE void relu(Prec p, int64_t cnt, int32_t zp, const void *x, void *out)
{
	for (int64_t i = 0; i < cnt; i++)
		switch (p) {
		case P_F32: {
			const float v = ((const float *)x)[i];
			((float *)out)[i] = v < 0.0f ? 0.0f : v;
			break;
		}
		case P_S8: {
			const int8_t v = ((const int8_t *)x)[i];
			((int8_t *)out)[i] = v < zp ? (int8_t)zp : v;
			break;
		}
		case P_S16: {
			const int16_t v = ((const int16_t *)x)[i];
			((int16_t *)out)[i] = v < zp ? (int16_t)zp : v;
			break;
		}
		}
}

/* abs: f32 the sign bit cleared; int |x - zp_x| requantized to the
 * result's parameters as quantize's i8/i16 Requantize. */
static void run_abs(const NodeRt *rt, const Value *x, const Value *o, const void *xb, void *yb)
{
	const int64_t cnt = ir_shape_numel(&x->shape);

	if (x->dt == DT_F32) {
		for (int64_t i = 0; i < cnt; i++) {
			uint32_t u;
			memcpy(&u, (const float *)xb + i, 4);
			u &= 0x7fffffffu;
			memcpy((float *)yb + i, &u, 4);
		}
		return;
	}
	for (int64_t i = 0; i < cnt; i++) {
		int32_t v = ir_load_q(x->dt, xb, i) - x->q.zp; /* |v| <= 65535 */
		ir_store_q(o->dt, yb, i,
		           ir_requant_acc((uint32_t)(v < 0 ? -v : v), 0, rt->mult[0], rt->shift[0],
		                          o->q.zp, rt->lo, rt->hi));
	}
}

static void run(const Graph *g, const Node *n, const NodeRt *rt, void *const *buf, void *acc)
{
	const Value *x = &g->vals[n->in[0]];
	const void *xb = buf[n->in[0]];
	void *yb = buf[n->out];
	int64_t cnt = ir_shape_numel(&x->shape);

	(void)acc;
	switch (n->op) {
	case OP_RELU:
		switch (rt->prec) {
		case P_F32: relu(P_F32, cnt, x->q.zp, xb, yb); break;
		case P_S8: relu(P_S8, cnt, x->q.zp, xb, yb); break;
		case P_S16: relu(P_S16, cnt, x->q.zp, xb, yb); break;
		}
		return;
	case OP_ABS: run_abs(rt, x, &g->vals[n->out], xb, yb); return;
	case OP_SOFTMAX:
	case OP_LOG_SOFTMAX:
		if (x->dt == DT_F32)
			softmax_f32(&x->shape, n->a.axis, n->op == OP_LOG_SOFTMAX,
			            n->op == OP_SOFTMAX ? n->a.beta : 1.0f, xb, yb);
		else if (ir_act_tflite16(n->op, x->dt))
			softmax_s16(n, x, rt, xb, yb);
		else if (n->op == OP_SOFTMAX)
			softmax_s8(n, x, rt, xb, yb);
		else
			log_softmax_int(n, x, &g->vals[n->out], xb, buf[n->in[1]], yb);
		return;
	case OP_CLIP:
	case OP_LEAKY_RELU:
	case OP_SIGMOID:
	case OP_TANH:
	case OP_HARD_SIGMOID:
	case OP_HARD_SWISH: break;
	default:
		if (ir_act_unary_fn(n->op) < 0)
			ICE("activation rules: %s", ir_ops[n->op].name);
	}
	if (x->dt == DT_F32) {
		for (int64_t i = 0; i < cnt; i++)
			((float *)yb)[i] = ir_act_f32(n->op, &n->a, ((const float *)xb)[i]);
		return;
	}
	if (n->op == OP_CLIP) {
		clip_int(n, x, xb, yb);
		return;
	}
	if (ir_act_tflite16(n->op, x->dt)) { /* TFLite's LOGISTIC, TANH */
		for (int64_t i = 0; i < cnt; i++) {
			int32_t v = ((const int16_t *)xb)[i] - x->q.zp;
			((int16_t *)yb)[i] = n->op == OP_SIGMOID
			                             ? qrt_logistic_s16(v, rt->mult[0],
			                                                rt->shift[0])
			                             : qrt_tanh_s16(v, rt->mult[0], rt->shift[0]);
		}
		return;
	}
	if (x->dt == DT_I16) {
		const int16_t *t16 = buf[n->in[1]];
		for (int64_t i = 0; i < cnt; i++)
			((int16_t *)yb)[i] = (int16_t)ir_act_lut16(t16, ((const int16_t *)xb)[i]);
		return;
	}
	const int8_t *t = buf[n->in[1]];
	for (int64_t i = 0; i < cnt; i++)
		((int8_t *)yb)[i] = t[((const int8_t *)xb)[i] + 128];
}

/* abs: the input's shape and storage type; quantized, its own per-tensor
 * parameters, the requantization's multiplier s_x / s_o in rt. */
static int check_abs(const Graph *g, const Node *n, NodeRt *rt, Diag *d)
{
	const Value *x = &g->vals[n->in[0]], *o = &g->vals[n->out];

	if (!ir_shape_eq(&x->shape, &o->shape) || o->dt != x->dt)
		return IR_BAD("abs: result and input differ in type or shape");
	if (x->dt == DT_F32)
		return 0;
	if (!ir_per_tensor_q(x) || !ir_per_tensor_q(o))
		return IR_BAD("abs: quantized operands need per-tensor parameters");
	rt->lo = ir_qmin(o->dt);
	rt->hi = ir_qmax(o->dt);
	rt->mult = ir_xcalloc(1, sizeof *rt->mult);
	rt->shift = ir_xcalloc(1, sizeof *rt->shift);
	ir_quantize_multiplier((double)x->q.scale[0] / (double)o->q.scale[0], rt->mult, rt->shift);
	return 0;
}

static int check(Graph *g, const Node *n, NodeRt *rt, Diag *d)
{
	const Value *x = &g->vals[n->in[0]], *o = &g->vals[n->out];

	if (n->op == OP_ABS)
		return check_abs(g, n, rt, d);
	if (n->op != OP_RELU) {
		if (ir_interp_check_act(g, n, d))
			return -1;
		if (n->op == OP_SOFTMAX && x->dt == DT_I8) { /* TFLite's int8 parameters */
			rt->mult = ir_xcalloc(1, sizeof *rt->mult);
			rt->shift = ir_xcalloc(1, sizeof *rt->shift);
			ir_softmax8_scaling(n->a.beta, x->q.scale[0], rt->mult, rt->shift, &rt->lo);
			return 0;
		}
		if (!ir_act_tflite16(n->op, x->dt))
			return 0;
		/* TFLite's int16 ops: the input's multiplier and shift; softmax's
		 * two tables */
		rt->mult = ir_xcalloc(1, sizeof *rt->mult);
		rt->shift = ir_xcalloc(1, sizeof *rt->shift);
		if (n->op != OP_SOFTMAX) {
			ir_act16_input_scaling(n->op, x->q.scale[0], rt->mult, rt->shift);
			return 0;
		}
		ir_softmax16_scaling(n->a.beta, x->q.scale[0], rt->mult, rt->shift);
		rt->wt = ir_xcalloc(2 * IR_ACT_LUT16_N, sizeof(int16_t));
		ir_softmax16_luts(rt->wt, (int16_t *)rt->wt + IR_ACT_LUT16_N);
		return 0;
	}
	if (ir_shape_numel(&o->shape) != ir_shape_numel(&x->shape))
		return IR_BAD("relu: result and input differ in size");
	return ir_interp_check_keepq(g, n, rt, d);
}

/* relu and clip keep their parameters, the int8 tables hold float mode's
 * results already; softmax and abs (a fixed-point requantization) have no
 * float mode. */
static int requant_float_ok(const Graph *g, const Node *n)
{
	return (!ir_act_is_softmax(n->op) && n->op != OP_ABS) || g->vals[n->in[0]].dt == DT_F32;
}

static void verify(const Graph *g, const Node *n, Diag *d)
{
	(void)g;
	if (n->op == OP_CLIP && n->a.min > n->a.max)
		diag_error(d, n->loc, "clip: min %.9g is above max %.9g", (double)n->a.min,
		           (double)n->a.max);
	if (n->op == OP_CELU && n->a.alpha == 0)
		diag_error(d, n->loc, "celu: alpha is 0 (celu divides by it)");
	if (n->op == OP_SOFTMAX && !(n->a.beta > 0 && n->a.beta <= FLT_MAX))
		diag_error(d, n->loc, "softmax: beta %.9g is not a positive finite number",
		           (double)n->a.beta);
}

/* softmax's beta came later: 1, TFLite's default, prints nothing. */
static int print_attr(const Node *n, int ai)
{
	return !(ai == AI_BETA && n->op == OP_SOFTMAX && n->a.beta == 1.0f);
}

const IrRules ir_rules_activation = {
        .check = check,
        .run = run,
        .requant_float_ok = requant_float_ok,
        .print_attr = print_attr,
        .verify = verify,
};
