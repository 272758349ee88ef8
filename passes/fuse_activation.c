/* fuse_activation.c — the fuse-activation pass: `t = conv2d(...); u = relu(t)`
 * becomes `u = conv2d(...) { act = relu }` when t has no other reader.  The
 * activation then costs nothing: in fixed point it is the clamp that
 * requantization applies anyway. */
#include <stdlib.h>

#include "passes.h"

int pass_fuse_activation(Graph *g, const PassOptions *o, Diag *d)
{
	int *uses = ir_xmalloc((size_t)(g->nval ? g->nval : 1) * sizeof *uses);
	int fused = 0;

	(void)o;
	(void)d;
	ir_count_uses(g, uses);
	for (int i = 0; i < g->nnode; i++) {
		Node *n = &g->nodes[i];
		if (n->op != OP_RELU)
			continue;
		int t = n->in[0], p = g->vals[t].def;
		if (p < 0 || uses[t] != 1 || g->vals[t].is_output)
			continue;
		Node *prod = &g->nodes[p];
		if (!(ir_ops[prod->op].flags & OPF_ACT) || prod->a.act != ACT_NONE)
			continue;
		/* in a quantized graph relu keeps its input's parameters, so the
		 * fused clamp gives the same integers */
		prod->a.act = ACT_RELU;
		prod->out = n->out;
		g->vals[n->out].def = p;
		n->op = OP_NONE;
		fused++;
	}
	free(uses);
	if (fused)
		ir_graph_compact(g);
	return 0;
}
