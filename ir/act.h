/* ir/act.h — the activations and softmax (clip, leaky_relu, sigmoid, tanh,
 * hard_sigmoid, hard_swish, softmax, the unary math ops): their float
 * arithmetic, the int8 and int16 lookup tables the quantize pass builds, and the interpreter's check
 * (ir/fam_activation.c).  The backend (targets/fam_activation.c) emits the same
 * float operations in the same order and indexes the same tables, so the
 * two agree bit for bit. */
#ifndef QUANTC_ACT_H
#define QUANTC_ACT_H

#include "gemmlowp.h"
#include "ir.h"

enum {
	IR_ACT_TABLE_N = 256,      /* one entry per int8 input, index q + 128 */
	IR_ACT_LUT16_N = 513,      /* int16: every 128th input, and the end */
	IR_LSM_LN_N = 257,         /* log_softmax: ln(1 + i/256), i = 0..256 */
	IR_LSM_K_N = 44,           /* log_softmax: k ln 2, k = 0..43 */
	IR_SOFTMAX_ONE = 1 << 20,  /* log_softmax's exp table: exp(0) in fixed point */
};

/* softmax or log_softmax */
int ir_act_is_softmax(Op op);
/* TFLite's int16 LOGISTIC, TANH and SOFTMAX (ops.def's rows): sigmoid, tanh
 * and softmax with an int16 input, which take no table operand (their
 * tables are fixed) and give a result at 1/32768, zero point 0. */
int ir_act_tflite16(Op op, DType dt);
enum { IR_SOFTMAX16_MAX_LEN = 65536 }; /* TFLite's row sum of exps is int32 */
/* int16 sigmoid and tanh: TFLite's input_multiplier and input_left_shift
 * for an input scale s_x (its Prepare: a power-of-two scale 2^-12, tanh
 * also 2^-11, within TFLite's CheckedLog2, gives 3 << shift and 0; any
 * other s_x 12288 s_x doubled up to above 16383.5, at most 31 times). */
void ir_act16_input_scaling(Op op, float sx, int32_t *mult, int *shift);
/* int16 softmax: TFLite's input_multiplier and input_left_shift,
 * QuantizeMultiplier(s_x beta / (10 / 65535)) (in double). */
void ir_softmax16_scaling(float beta, float sx, int32_t *mult, int *shift);
/* int8 softmax: TFLite's PreprocessSoftmaxScaling(beta, s_x, 5), its
 * input_beta_multiplier and input_beta_left_shift of min(beta s_x 2^26,
 * 2^31 - 1) (in double; QuantizeMultiplierGreaterThanOne, shift 1..31), and
 * diff_min = -CalculateInputRadius(5, shift) = -floor(31 * 2^26 / 2^shift).
 * Returns -1 when beta s_x 2^26 is not above 1 (TFLite's check fails). */
int ir_softmax8_scaling(float beta, float sx, int32_t *mult, int *shift, int32_t *diff_min);
/* int8 softmax: exp(beta s_x d) in Q0.31 of one d = x - max in [diff_min,
 * 0]: MultiplyByQuantizedMultiplierGreaterThanOne(d, mult, shift), a Q5.26,
 * through exp_on_negative_values (|d| 2^shift <= 31 * 2^26: no overflow). */
static inline int32_t ir_softmax8_exp(int32_t d, int32_t mult, int shift)
{
	int32_t v = (int32_t)((int64_t)d * ((int64_t)1 << shift));
	return ir_gl_exp_neg(ir_srdhm(v, mult), IR_GL_DIFF_BITS);
}
/* int16 softmax: TFLite's exp_lut (exp on [-10, 0]) and
 * one_over_one_plus_x_lut (1 / (1 + x) on [0, 1]), 513 entries each
 * (IR_ACT_LUT16_N), built as TFLite's LUTPopulate in double. */
void ir_softmax16_luts(int16_t *exp_lut, int16_t *recip_lut);
/* The length of the i32 table of an int8 / int16 log_softmax (softmax
 * takes none: TFLite's kernels): the exp part (int8 256, int16 512), then
 * the ln part, the k ln 2 part and the multiplier s_x / s_o 2^24
 * (ops.def). */
int64_t ir_softmax_table_len(Op op, DType dt);
/* Builds that table; -1 when a log_softmax entry would not fit in int32
 * (s_x / s_o of 128 or more). */
int ir_softmax_table_int(Op op, DType dt, float sx, float so, int32_t *t);
/* exp(-s_x d) * 2^20 for d = m - x >= 0 from the exp part: int8 t[d];
 * int16 (A[d >> 8] * B[d & 255] + 2^19) >> 20. */
uint64_t ir_softmax_exp(DType dt, const int32_t *t, int32_t d);
/* log_softmax: ln(s / 2^20) in units of s_o / 256 from the ln and k ln 2
 * parts (ln points at the ln part), s >= 2^20: k = floor(log2 s), the 8
 * bits after the leading one index ln, the next 8 interpolate. */
int64_t ir_log_softmax_sum(const int32_t *ln, uint64_t s);
/* One of the ops this file owns but relu and abs. */
int ir_act_is_op(Op op);
/* leaky_relu, sigmoid, tanh, hard_sigmoid, hard_swish and the unary math
 * ops: int8 and int16 by a table. */
int ir_act_is_table_op(Op op);
/* The runtime's QRT_U_* number of a unary math op (its f32 kernel is
 * qrt_unaryf(fn, x, alpha, beta)); -1 for the other ops. */
int ir_act_unary_fn(Op op);
/* The length of a table op's table for a quantized input of type dt. */
static inline int64_t ir_act_table_len(DType dt)
{
	return dt == DT_I16 ? IR_ACT_LUT16_N : IR_ACT_TABLE_N;
}
/* TFLite's int16 lookup with interpolation (lut_lookup_with_interpolation),
 * in int32 so that no slope wraps: j = 256 + (x >> 7), the result between
 * t[j] and t[j + 1].  The compiled code does the same. */
static inline int32_t ir_act_lut16(const int16_t *t, int32_t x)
{
	int32_t u = x + 32768, base = t[u >> 7], slope = t[(u >> 7) + 1] - base;
	/* |slope * offset| < 2^23: the bias makes the floor shift unsigned */
	return base + (int32_t)((uint32_t)(slope * (u & 127) + 64 + (1 << 23)) >> 7) - (1 << 16);
}
/* int16 softmax: TFLite's exp of one d = x - max <= 0 from its exp table:
 * d rescaled by mult, shift (MultiplyByQuantizedMultiplier) to steps of
 * 10/65535, + 32767 clamped to int16, looked up as ir_act_lut16. */
static inline int32_t ir_softmax16_exp(const int16_t *exp_lut, int32_t d, int32_t mult, int shift)
{
	int32_t v = ir_mbqm(d, mult, shift) + 32767;
	return ir_act_lut16(exp_lut, v < -32768 ? -32768 : v > 32767 ? 32767 : v);
}
/* Leading zeros of a non-zero 32-bit number. */
static inline int ir_clz32(uint32_t v)
{
	int n = 0;
	while (!(v & 0x80000000u)) {
		v <<= 1;
		n++;
	}
	return n;
}
/* The element function of an element-wise op in f32, as the interpreter and
 * the compiled code compute it (sigmoid and tanh by the runtime's
 * qrt_sigmoidf and qrt_tanhf: no libm in generated code). */
float ir_act_f32(Op op, const Attrs *a, float x);
/* The result parameters fixed by the op (TFLite): int8 sigmoid and softmax
 * 1/256, -128; tanh 1/128, 0; int16 sigmoid and tanh 1/32768, 0.  Returns
 * 0 when the op has none (they come from the result's range). */
int ir_act_fixed_qparams(Op op, DType dt, float *scale, int32_t *zp);
/* The i8[256] table of an element-wise op: t[q + 128] = quantize(f(s_x *
 * (q - zp_x))) at the result's parameters, f in double. */
void ir_act_table_s8(Op op, const Attrs *a, float sx, int32_t zx, float sy, int32_t zy, int8_t *t);
/* The i16[513] table of an element-wise op (ops.def, leaky_relu's row:
 * TFLite's gen_lut at the points -32768 + 128 i of the input). */
void ir_act_table_s16(Op op, const Attrs *a, float sx, int32_t zx, float sy, int32_t zy,
                      int16_t *t);
/* log_softmax's i32[256] exp table: t[d] = round(2^20 * exp(-s_x * d)). */
void ir_softmax_table(float sx, int32_t *t);
/* clip in the quantized domain: [quantize(min), quantize(max)] at the
 * input's parameters, within dt's range. */
void ir_clip_bounds(const Attrs *a, DType dt, float scale, int32_t zp, int32_t *lo, int32_t *hi);
/* softmax's axis as [outer, len, inner] of x's shape (axis normalized). */
void ir_softmax_dims(const Shape *s, int64_t axis, int64_t *outer, int64_t *len, int64_t *inner);

/* The interpreter's check of one of these ops (0, or -1 diagnosed); the
 * backend's too. */
int ir_interp_check_act(const Graph *g, const Node *n, Diag *d);

#endif
