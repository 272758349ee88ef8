/* fuse_pool.c — the fuse-pool pass: `t = conv2d(...); u = maxpool2d(t)`
 * becomes `u = conv2d(...) { pool = ..., pool_stride = ..., pool_pad = ...,
 * pool_dilation = ... }` when t has no other reader and is not a graph
 * output.  The convolution's output then never exists as a tensor: a kernel
 * pools each window as it produces it, and plan-memory has one tensor less
 * to place (the seed CNN's arena peak was conv1's output plus the pool's).
 *
 * It is sound at every precision because the fused node means exactly the
 * unfused pair (ir/interp.c runs it that way): maxpool2d keeps its input's
 * storage type and quantization (OPF_KEEPQ), so the pool's result is the
 * conv's result type, and max commutes with nothing it needs to.  The pass
 * checks the types and parameters agree anyway (a hand-written graph could
 * say otherwise) and leaves such a pair alone.  It runs after quantize
 * (calibrate and quantize then see the plain graph) and before
 * plan-memory. */
#include <stdlib.h>
#include <string.h>

#include "passes.h"

static int same_q(const QParams *a, const QParams *b)
{
	if (!a->present || !b->present)
		return a->present == b->present;
	return a->n == 1 && b->n == 1 && a->zp == b->zp && a->scale[0] == b->scale[0];
}

/* Whether maxpool node mp may be folded into conv node cv (its producer). */
static int fusable(const Graph *g, const Node *cv, const Node *mp)
{
	const Value *t = &g->vals[cv->out], *u = &g->vals[mp->out];

	if (cv->op != OP_CONV2D || ir_has_pool(cv) || t->is_output)
		return 0;
	if (!t->has_type || !u->has_type || t->dt != u->dt || !same_q(&t->q, &u->q))
		return 0;
	return t->shape.rank == 4 && u->shape.rank == 4;
}

/* Moves mp's window into cv's pool attributes; keeps them only if the
 * geometry gives mp's result shape (it always should). */
static int absorb(Graph *g, Node *cv, const Node *mp)
{
	const Attrs keep = cv->a;
	const Shape *u = &g->vals[mp->out].shape;
	ConvPool p;

	memcpy(cv->a.pool, mp->a.kernel, sizeof cv->a.pool);
	memcpy(cv->a.pool_stride, mp->a.stride, sizeof cv->a.pool_stride);
	memcpy(cv->a.pool_pad, mp->a.pad, sizeof cv->a.pool_pad);
	memcpy(cv->a.pool_dilation, mp->a.dilation, sizeof cv->a.pool_dilation);
	if (ir_conv_pool(g, cv, &p) <= 0 || p.oh != u->d[2] || p.ow != u->d[3]) {
		cv->a = keep;
		return 0;
	}
	return 1;
}

int pass_fuse_pool(Graph *g, const PassOptions *o, Diag *d)
{
	int *uses = ir_xmalloc((size_t)(g->nval ? g->nval : 1) * sizeof *uses);
	int fused = 0;

	(void)o;
	(void)d;
	ir_count_uses(g, uses);
	for (int i = 0; i < g->nnode; i++) {
		Node *n = &g->nodes[i];
		if (n->op != OP_MAXPOOL2D)
			continue;
		int t = n->in[0], p = g->vals[t].def;
		if (p < 0 || uses[t] != 1 || !fusable(g, &g->nodes[p], n))
			continue;
		Node *prod = &g->nodes[p];
		if (!absorb(g, prod, n))
			continue;
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
