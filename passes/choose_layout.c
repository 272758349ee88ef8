/* choose_layout.c — the choose-layout pass: which rank-4 activations the
 * target stores NHWC (layout = nhwc on the node that defines each).
 *
 * The IR's NCHW is the interface; the x86 convolution kernels compute on
 * pixels of contiguous channels, and with an NCHW input they first copy it
 * transposed into a padded NHWC scratch, then transpose their result back.
 * Between two such kernels both transposes are waste.  So a tensor is
 * stored NHWC when the node that makes it and every node that reads it
 * take NHWC: a convolution whose kernel the target says reads and writes it
 * (the nhwc hook, tgt_node_nhwc), or an element-wise op whose operands are
 * all stored alike (ir_layout_free: a residual add, a requantize, an
 * activation).  Anything else (a pool, a concat, a reshape, the model's
 * inputs and outputs) reads and writes NCHW, and the trunk's first and last
 * convolutions convert as they copy, so there are no conversion nodes:
 * the edges of the trunk are where the layout changes.
 *
 * The sets are found by elimination: every candidate starts NHWC, and a
 * tensor read by a node that cannot take it, or an element-wise result
 * with an NCHW operand, drops to NCHW, until nothing changes (each round
 * only removes, so it ends).  A convolution whose own kernel is NCHW only
 * (the x86 1x1 GEMM) but that a lower-ranked kernel could run NHWC takes
 * NHWC only on both sides: reading NHWC just to write NCHW would trade the
 * better kernel for a cheaper copy (SqueezeNet's expand layers, which feed
 * a concat, ran 1.16x slower that way).  Without a target hook (quantc opt) nothing
 * changes.  The interpreter ignores the layout; compiled objects stay bit
 * for bit equal to it (tests/e2e/layout.sh).
 */
#include <stdlib.h>

#include "passes.h"

int pass_choose_layout(Graph *g, const PassOptions *po, Diag *d)
{
	const PassContext *ctx = po->ctx;
	(void)d;

	if (!ctx || !ctx->nhwc)
		return 0;
	char *kern = ir_xcalloc((size_t)g->nnode + 1, 1); /* the nhwc hook's 0, 1, 2 */
	char *free_ = ir_xcalloc((size_t)g->nnode + 1, 1); /* layout-free */
	char *want = ir_xcalloc((size_t)g->nval + 1, 1);

	for (int n = 0; n < g->nnode; n++) {
		if (g->nodes[n].op == OP_NONE)
			continue;
		free_[n] = (char)ir_layout_free(g, n);
		kern[n] = free_[n] ? 0 : (char)ctx->nhwc(ctx->scratch_tgt, g, n);
		const Value *y = &g->vals[g->nodes[n].out];
		want[g->nodes[n].out] = (kern[n] || free_[n]) && y->kind == VK_TEMP &&
		                        !y->is_output && y->has_type && y->shape.rank == 4;
	}
	for (int changed = 1; changed;) {
		changed = 0;
		for (int n = 0; n < g->nnode; n++) {
			const Node *nd = &g->nodes[n];
			if (nd->op == OP_NONE)
				continue;
			/* a convolution that takes NHWC only through a kernel ranked
			 * lower than its own (a 1x1 GEMM reads NCHW) gives that
			 * kernel up only for NHWC on both sides */
			if (kern[n] == 1 && want[nd->out] && !want[nd->in[0]])
				want[nd->out] = 0, changed = 1;
			for (int i = 0; i < nd->nin; i++) {
				int v = nd->in[i];
				const Value *x = &g->vals[v];
				int ok = (kern[n] == 2 && i == 0) ||
				         (kern[n] == 1 && i == 0 && want[nd->out]) ||
				         (free_[n] && want[nd->out]);
				if (want[v] && !ok)
					want[v] = 0, changed = 1;
				/* an element-wise result goes as its operands go */
				if (free_[n] && want[nd->out] && x->kind != VK_CONST && !want[v])
					want[nd->out] = 0, changed = 1;
			}
		}
	}
	for (int n = 0; n < g->nnode; n++) {
		Node *nd = &g->nodes[n];
		if (nd->op == OP_NONE)
			continue;
		nd->a.layout = want[nd->out] ? IR_LAYOUT_NHWC : IR_LAYOUT_NCHW;
	}
	free(kern);
	free(free_);
	free(want);
	return 0;
}
