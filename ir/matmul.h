/* ir/matmul.h — the geometry and the fixed-point parameters of matmul (a
 * [.., M, K] times b [.., K, N], batch axes broadcast), shared by
 * infer-shapes, propagate-ranges, check-overflow, the reference interpreter
 * (ir/fam_matmul.c, where they live) and the backend (targets/fam_matmul.c),
 * so that all of them walk the batches and requantize alike. */
#ifndef QUANTC_MATMUL_H
#define QUANTC_MATMUL_H

#include "ir.h"

typedef struct {
	int64_t M, K, N;
	int nb;             /* batch axes of the result: its rank - 2 */
	int64_t bd[IR_MAX_RANK];   /* their extents */
	int64_t nbatch;            /* their product */
	/* per batch axis, the element offset of one step in a and in b: a
	 * multiple of M*K (K*N), 0 along an axis the operand broadcasts */
	int64_t sa[IR_MAX_RANK], sb[IR_MAX_RANK];
} MatGeo;

/* The geometry of a (shape a) times b, and the result's shape out.  Ranks 2
 * to IR_MAX_RANK, a's last extent equal to b's second to last, the batch
 * axes broadcasting.  Returns 0, or -1 when the shapes do not fit. */
int ir_matmul_geo(const Shape *a, const Shape *b, MatGeo *mg, Shape *out);

/* Offsets of a's and b's matrices for batch number i (0 .. nbatch - 1, the
 * result's batch axes in row-major order). */
void ir_matmul_batch(const MatGeo *mg, int64_t i, int64_t *oa, int64_t *ob);

/* The requantization of a quantized matmul node n (per-tensor a, b and
 * result): M = s_a * s_b / s_o as ir_quantize_multiplier's mult and shift,
 * the clamp [lo, hi] (the result's storage range), and whether it sums in
 * int64 (an int16 layer, TFLite's 16-bit scheme: ir_mbqm64). */
typedef struct {
	int32_t mult;
	int shift;
	int32_t zp_a, zp_b, zp_o, lo, hi;
	int acc64;
} IrMatParams;
void ir_matmul_params(const Graph *g, const Node *n, IrMatParams *p);

#endif
