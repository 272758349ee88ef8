/* ir/eltwise.h — the arithmetic of add, sub, mul, div, max, min, prelu,
 * the comparisons, where and concat, and the geometry and parameters of the reduce family, shared by
 * infer-shapes, propagate-ranges, check-overflow, the reference interpreter
 * (ir/fam_elementwise.c, where it lives) and the backend (targets/fam_elementwise.c): the
 * broadcasting rule, and the fixed-point parameters of the quantized
 * kernels, computed in one place so that interpreter and backend agree by
 * construction. */
#ifndef QUANTC_ELTWISE_H
#define QUANTC_ELTWISE_H

#include "ir.h"

/* NumPy / ONNX multidirectional broadcasting: shapes aligned on their last
 * axis, each pair of extents equal or one of them 1.  Returns 0 and the
 * result's shape, or -1 if they do not broadcast. */
int ir_broadcast_shape(const Shape *a, const Shape *b, Shape *out);
/* The element strides of operand shape in, aligned to the result shape out
 * (rank out->rank): 0 along the axes in broadcasts (extent 1 or missing). */
void ir_broadcast_strides(const Shape *in, const Shape *out, int64_t st[IR_MAX_RANK]);
/* Walking the result of shape out element by element: the next index idx
 * (odometer style, the last axis fastest), the offsets *ia and *ib of two
 * operands of strides sa and sb following it. */
void ir_broadcast_next(const Shape *out, int64_t idx[IR_MAX_RANK], const int64_t *sa,
                       const int64_t *sb, int64_t *ia, int64_t *ib);
/* The offsets *ia and *ib of result element i in two operands of strides sa
 * and sb. */
void ir_broadcast_at(const Shape *out, int64_t i, const int64_t *sa, const int64_t *sb, int64_t *ia,
                     int64_t *ib);
/* equal, less, greater, less_equal, greater_equal: a u8 mask result. */
int ir_is_compare(Op op);
/* not, and, or, xor (u8 masks in, a u8 mask out) and to_bool (any operand
 * in, a u8 mask out): ops whose result is a mask but that are no
 * comparison. */
int ir_is_mask_logic(Op op);
/* where's result shape: its three operands broadcast; -1 if they do not. */
int ir_where_shape(const Graph *g, const Node *n, Shape *out);
/* concat's axis in [0, rank): a negative axis counts from the end.  -1 if
 * it is out of range. */
int ir_concat_axis(int64_t axis, int rank);

/* infer-shapes' rule for add, sub, mul, div and concat: operands of one storage
 * type; the broadcast shape, or the operands joined along axis.  Returns 0,
 * or -1 after a diagnostic at the node. */
int ir_eltwise_shape(const Graph *g, const Node *n, Shape *out, Diag *d);

/* The result's shape is the one ir_eltwise_shape gives (a dump read back
 * without infer-shapes may declare another): the passes that trust shapes
 * check it first. */
int ir_eltwise_ok(const Graph *g, const Node *n);

/* The quantized binary ops of node n (operands and result per tensor):
 *   add (TFLite's ADD): with m = 2 * max(s_a, s_b),
 *       a' = mbqm((a - zp_a) << left, M_a, shift_a),   M_a = s_a / m
 *       b' = mbqm((b - zp_b) << left, M_b, shift_b),   M_b = s_b / m
 *       out = clamp(mbqm(a' + b', M_o, shift_o) + zp_o), M_o = m / (2^left * s_o)
 *     left = 20 for int8 inputs, 15 for int16 (TFLite's 16x8 general ADD).
 *   sub (TFLite's SUB): add's parameters with M_b negated.
 *   mul: out = clamp(mbqm((a - zp_a) * (b - zp_b), M_o, shift_o) + zp_o),
 *       M_o = s_a * s_b / s_o.
 *   div: left = k (16 for int8, 15 for int16), M_o = s_a / (s_b * s_o * 2^k)
 *       (ops.def has the rest).
 *   max, min: mult/shift[i] = s_i / s_o, each operand requantized to the
 *       result's parameters (out_mult unused).
 *   prelu: mult/shift[0] = M1 = s_x / s_o, out_mult/out_shift = M2 =
 *       s_x * s_slope / s_o.
 * lo, hi: the clamp (the result's storage range narrowed by a fused act). */
typedef struct {
	int left;
	int32_t mult[2];
	int shift[2];
	int32_t out_mult;
	int out_shift;
	int32_t zp[2], out_zp;
	int32_t lo, hi;
} IrBinParams;
void ir_binary_params(const Graph *g, const Node *n, IrBinParams *p);
/* One quantized element of binary node n (every op above): the clamped
 * result integer from operand integers a and b, as the interpreter
 * computes it (the backend emits the same steps). */
int32_t ir_binary_int(const Node *n, const IrBinParams *p, int32_t a, int32_t b);

/* powv's int8 table (ops.def): t[(qx + 128) * 256 + (qy + 128)] =
 * quantize((float)pow(s_x (qx - zp_x), s_y (qy - zp_y))) at (so, zo), pow
 * the runtime's in double (qrt_unary). */
enum { IR_POWV_TABLE_N = 65536 };
void ir_powv_table(float sx, int32_t zx, float sy, int32_t zy, float so, int32_t zo, int8_t *t);
/* powv's int16 table (ops.def), i32[514]: LG[i] = round(2^16 log2(1 +
 * i/256)), i = 0..256, then EX[j] = round(2^15 2^(j/256)), j = 0..256. */
enum { IR_POWV_LUT16_N = 514 };
void ir_powv_lut16(int32_t *t);
/* The constants of an int16 powv node (ops.def): cx = round(2^16 log2
 * s_x), co = round(2^16 log2 s_o), s_y = sy 2^-ysh (sy in [2^30, 2^31]),
 * half = round(2^15 s_y), one = quantize(1) at the result's parameters.
 * Returns -1 when s_y is outside [2^-46, 2^14) (ysh - 16 outside [1, 62]). */
typedef struct {
	int32_t zp_x, zp_y, zp_o, one;
	int32_t cx, co;
	int64_t sy, half;
	int ysh;
} IrPowvParams;
int ir_powv_params(float sx, int32_t zx, float sy, int32_t zy, float so, int32_t zo,
                   IrPowvParams *p);
/* One int16 powv element from the operand integers x and y, as ops.def
 * says (the backend emits the same steps); t the i32[514] table. */
int32_t ir_powv_s16(const IrPowvParams *p, const int32_t *t, int32_t x, int32_t y);

/* int64 (integer tensors, never quantized): whether op has an int64 form
 * (add, sub, mul, div, max, min), and one element of it: wrapping two's
 * complement; div truncates toward zero, x / 0 = 0, INT64_MIN / -1 =
 * INT64_MIN. */
int ir_is_i64_op(Op op);
int64_t ir_binary_i64(Op op, int64_t a, int64_t b);

/* ---- the reduce family (ir/fam_reduce.c) ---- */

/* A reduction of an input of shape x over the axes of attributes a: the
 * kept axes (extents kd, input element strides ks, in order) and the
 * reduced ones (rd, rs); output element o (row-major over the kept axes)
 * reduces the count elements base(o) + sum r_k * rs[k], taken in
 * increasing input index. */
typedef struct {
	int nk, nr;
	int64_t kd[IR_MAX_RANK], ks[IR_MAX_RANK];
	int64_t rd[IR_MAX_RANK], rs[IR_MAX_RANK];
	int64_t count, nout;
} IrReduceGeo;
/* Fills rg and the result's shape out; -1 when an axis is out of range or
 * repeated. */
int ir_reduce_geo(const Shape *x, const Attrs *a, IrReduceGeo *rg, Shape *out);
/* The input offset of the first element of output o. */
int64_t ir_reduce_base(const IrReduceGeo *rg, int64_t o);
/* The requantization of a quantized reduce_sum / mean / l2 (M) or
 * reduce_prod (C) node, per ops.def. */
void ir_reduce_params(const Graph *g, const Node *n, int32_t *mult, int *shift);
/* The rounded integer square root of ops.def's reduce_l2. */
uint32_t ir_isqrt_round(uint64_t v);

#endif
