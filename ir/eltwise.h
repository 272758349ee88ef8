/* ir/eltwise.h — the arithmetic of add, sub, mul, div and concat shared by
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

/* The quantized add / sub / mul of node n (operands and result per tensor;
 * div has no integer kernel):
 *   add (TFLite's ADD): with m = 2 * max(s_a, s_b),
 *       a' = mbqm((a - zp_a) << left, M_a, shift_a),   M_a = s_a / m
 *       b' = mbqm((b - zp_b) << left, M_b, shift_b),   M_b = s_b / m
 *       out = clamp(mbqm(a' + b', M_o, shift_o) + zp_o), M_o = m / (2^left * s_o)
 *     left = 20 for int8 inputs, 15 for int16 (TFLite's 16x8 general ADD).
 *   sub (TFLite's SUB): add's parameters with M_b negated.
 *   mul: out = clamp(mbqm((a - zp_a) * (b - zp_b), M_o, shift_o) + zp_o),
 *       M_o = s_a * s_b / s_o.
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

#endif
