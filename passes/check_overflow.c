/* check_overflow.c — the check-overflow pass: proves, for every conv2d and
 * dense of a quantized graph, that its integer accumulator cannot overflow,
 * and fails the compile at the layer's line where it cannot prove it.  It
 * only reads the graph.
 *
 * Every output channel c accumulates bias[c] + sum_k (x_k - zp) * w[c,k]
 * (ir/interp.c) in int32 (int64 for int16 activations with an int64 bias).
 * If every x_k lies in [qlo, qhi], then |x_k - zp| <= m = max(qhi - zp,
 * zp - qlo), and every partial sum, in any order, is at most
 *     B_c = |bias[c]| + m * sum_k |w[c,k]|
 * in magnitude; B_c <= INT32_MAX proves that no addition wraps.
 *
 * [qlo, qhi] comes from integer facts that hold for every input, not from
 * the real-valued ranges (which bound the float model; the integer model
 * rounds differently): a graph input can be any integer of its storage
 * type, a conv2d / dense result lies within its clamp (ir_act_bounds: the
 * fused relu raises the floor to the zero point), relu raises the floor to
 * its zero point, and maxpool, flatten, reshape and transpose keep their
 * input's, as does avgpool (widened to the zero point with count_pad; its
 * int32 window sum is proven too), pad adds its quantized value; a
 * quantize result (requantized or from floats) is anywhere in its storage
 * range, and a dequantize result is a float.
 *
 * An int8 layer that fails the proof is an error.  An int16 layer with an
 * int32 bias (what quantize makes) is only warned about: its |x - zp| goes
 * to 32768, so long reductions cannot be proven in int32 — TFLite's 16x8
 * kernels accumulate in int64 (an int64 bias here) for that reason.
 *
 * add and mul have no accumulator but int32 intermediates (check_binary in
 * fam_elementwise.c says why they fit); concat only copies and requantizes.
 *
 * Where requantization multiplies by more than 1 (shift > 0), the
 * accumulator is first shifted left with saturation; that is noted, with
 * whether the bound rules the saturation out.
 *
 * Each family's overflow hook (passes/fam_<family>.c) holds its ops' rules:
 * the proof, and the integers of the result. */
#include <stdlib.h>

#include "pass_rules.h"

static int is_int(DType t)
{
	return t == DT_I8 || t == DT_I16;
}

int pass_check_overflow(Graph *g, const PassOptions *o, Diag *d)
{
	QRange *r = ir_xcalloc((size_t)(g->nval ? g->nval : 1), sizeof *r);
	int rc = 0;

	(void)o;
	/* anything is in its storage range; inputs stay there */
	for (int v = 0; v < g->nval; v++)
		if (g->vals[v].kind != VK_CONST && is_int(g->vals[v].dt))
			r[v] = (QRange){ir_qmin(g->vals[v].dt), ir_qmax(g->vals[v].dt)};
	for (int i = 0; i < g->nnode; i++) {
		const Node *n = &g->nodes[i];
		const Value *x = &g->vals[n->in[0]], *y = &g->vals[n->out];
		if (!is_int(x->dt) || !x->q.present || !y->q.present)
			continue; /* a float layer (or boundary) has no integer accumulator */
		if (pass_rules[ir_ops[n->op].family]->overflow(g, n, r, d))
			rc = -1;
	}
	free(r);
	return rc;
}
