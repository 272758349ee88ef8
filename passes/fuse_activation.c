/* fuse_activation.c — the fuse-activation pass: `t = conv2d(...); u = relu(t)`
 * becomes `u = conv2d(...) { act = relu }` when t has no other reader (and
 * `clip(t) { min = 0, max = 6 }` becomes act = relu6, also after a fused
 * relu: PyTorch exports ReLU6 as Relu then Clip(0, 6)); also through a
 * reshape, `u = relu(reshape(t))` (Conv1d and MatMul of rank > 2 import as
 * reshape, conv2d / dense, reshape).  The activation then costs nothing: in fixed point it is the clamp that
 * requantization applies anyway. */
#include <float.h>
#include <stdlib.h>

#include "passes.h"

/* relu; clip 0..6 is relu6 (clip keeps its input's parameters and clamps
 * to [quantize(0), quantize(6)] = [zp, quantize(6)], ir_act_bounds'
 * relu6) and clip from 0 without a top is relu. */
static Act fusable_act(const Node *n)
{
	if (n->op == OP_RELU)
		return ACT_RELU;
	if (n->op == OP_CLIP && n->a.min == 0.0f && n->a.max == 6.0f)
		return ACT_RELU6;
	if (n->op == OP_CLIP && n->a.min == 0.0f && n->a.max == FLT_MAX)
		return ACT_RELU;
	return ACT_NONE;
}

/* prod's activation `first` followed by `then`, as one activation; ACT_NONE
 * when they do not make one.  relu then relu6 (or relu) is the second. */
static Act compose(Act first, Act then)
{
	if (first == ACT_NONE)
		return then;
	if (first == ACT_RELU && (then == ACT_RELU || then == ACT_RELU6))
		return then;
	return ACT_NONE;
}

/* The node computing t when nothing else reads t and it is no output; -1
 * otherwise. */
static int single_def(const Graph *g, const int *uses, int t)
{
	int p = g->vals[t].def;

	return p < 0 || uses[t] != 1 || g->vals[t].is_output ? -1 : p;
}

int pass_fuse_activation(Graph *g, const PassOptions *o, Diag *d)
{
	int *uses = ir_xmalloc((size_t)(g->nval ? g->nval : 1) * sizeof *uses);
	int fused = 0;

	(void)o;
	(void)d;
	ir_count_uses(g, uses);
	for (int i = 0; i < g->nnode; i++) {
		Node *n = &g->nodes[i];
		Act act = fusable_act(n);
		if (act == ACT_NONE)
			continue;
		int t = n->in[0], p = single_def(g, uses, t);
		if (p < 0)
			continue;
		/* through a reshape (Conv1d's and MatMul's imports put conv2d and
		 * dense between two): reshape(conv2d(x)) then relu is
		 * reshape(conv2d(x) { act = relu }), the same elements */
		int r = -1;
		if (g->nodes[p].op == OP_RESHAPE) {
			int w = single_def(g, uses, g->nodes[p].in[0]);
			if (w < 0 || !(ir_ops[g->nodes[w].op].flags & OPF_ACT))
				continue;
			r = p;
			p = w;
		}
		Node *prod = &g->nodes[p];
		if (!(ir_ops[prod->op].flags & OPF_ACT) ||
		    (act = compose(prod->a.act, act)) == ACT_NONE)
			continue;
		/* in a quantized graph relu keeps its input's parameters (and so
		 * does reshape), so the fused clamp gives the same integers */
		prod->a.act = act;
		if (r >= 0)
			p = r; /* the reshape's result is now the activation's */
		g->nodes[p].out = n->out;
		g->vals[n->out].def = p;
		n->op = OP_NONE;
		fused++;
	}
	free(uses);
	if (fused)
		ir_graph_compact(g);
	return 0;
}
