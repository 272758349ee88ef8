/* ir/act.h — the activations and softmax (clip, leaky_relu, sigmoid, tanh,
 * hard_sigmoid, hard_swish, softmax): their float arithmetic, the int8
 * lookup tables the quantize pass builds, and the interpreter's check
 * (ir/fam_activation.c).  The backend (targets/fam_activation.c) emits the same
 * float operations in the same order and indexes the same tables, so the
 * two agree bit for bit. */
#ifndef QUANTC_ACT_H
#define QUANTC_ACT_H

#include "ir.h"

enum {
	IR_ACT_TABLE_N = 256,      /* one entry per int8 input, index q + 128 */
	IR_SOFTMAX_ONE = 1 << 20,  /* softmax table: exp(0) in fixed point */
};

/* One of the seven ops this file owns. */
int ir_act_is_op(Op op);
/* leaky_relu, sigmoid, tanh, hard_sigmoid, hard_swish: int8 by a table. */
int ir_act_is_table_op(Op op);
/* The element function of an element-wise op in f32, as the interpreter and
 * the compiled code compute it (sigmoid and tanh by the runtime's
 * qrt_sigmoidf and qrt_tanhf: no libm in generated code). */
float ir_act_f32(Op op, const Attrs *a, float x);
/* The int8 result parameters fixed by the op (TFLite): sigmoid and softmax
 * 1/256, -128; tanh 1/128, 0.  Returns 0 when the op has none (they come
 * from the result's range). */
int ir_act_fixed_qparams(Op op, float *scale, int32_t *zp);
/* The i8[256] table of an element-wise op: t[q + 128] = quantize(f(s_x *
 * (q - zp_x))) at the result's parameters, f in double. */
void ir_act_table_s8(Op op, const Attrs *a, float sx, int32_t zx, float sy, int32_t zy, int8_t *t);
/* The i32[256] softmax table: t[d] = round(2^20 * exp(-s_x * d)). */
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
