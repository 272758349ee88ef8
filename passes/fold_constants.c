/* fold_constants.c — the fold-constants pass: a node of the float graph
 * whose operands are all constants (no graph input reaches it: `t =
 * relu(w)`, a conv2d of two constants, a chain of them) is evaluated once,
 * here, by the reference interpreter, and its result becomes a constant of
 * the same name, type and shape.  The later passes then only ever see nodes
 * that read at least one computed value: a constant result is bit for bit
 * what the float interpreter (and so the f32 object) would compute at run
 * time, and quantized graphs quantize it as they quantize any weight.
 *
 * Nodes are visited in order, so a chain of constant nodes folds in one
 * walk; each is run in a graph of its own that holds just its operands
 * (borrowed, not copied) and itself, so the work is that of the node.
 * Quantized nodes (any operand or the result not f32) are left alone. */
#include <string.h>

#include "passes.h"

static int foldable(const Graph *g, const Node *n)
{
	if (n->op == OP_NONE || ir_ops[n->op].family == FAM_CONVERT)
		return 0;
	if (!g->vals[n->out].has_type || g->vals[n->out].dt != DT_F32)
		return 0;
	for (int k = 0; k < n->nin; k++) {
		const Value *v = &g->vals[n->in[k]];
		if (v->kind != VK_CONST || !v->data || !v->has_type || v->dt != DT_F32)
			return 0;
	}
	return 1;
}

/* Runs node n of g alone; its result's bytes (allocated in g), or NULL
 * (diagnosed) if the interpreter refuses it. */
static void *evaluate(Graph *g, const Node *n, Diag *d)
{
	Graph *m = ir_graph_new(g->name);
	int in[IR_MAX_IN], out;
	void *data = NULL;

	m->file = g->file;
	m->requant_float = g->requant_float;
	for (int k = 0; k < n->nin; k++) {
		const Value *src = &g->vals[n->in[k]];
		/* an operand read twice (add(w, w)) is one value */
		in[k] = ir_value_find(m, src->name);
		if (in[k] >= 0)
			continue;
		in[k] = ir_value_new(m, src->name, VK_CONST, src->loc);
		Value *v = &m->vals[in[k]];
		v->has_type = 1;
		v->dt = src->dt;
		v->shape = src->shape;
		v->data = src->data; /* borrowed: m's arena does not own it */
	}
	const Value *r = &g->vals[n->out];
	out = ir_value_new(m, r->name, VK_TEMP, r->loc);
	m->vals[out].has_type = 1;
	m->vals[out].dt = r->dt;
	m->vals[out].shape = r->shape;
	int node = ir_node_new(m, n->op, out, in, n->nin, n->loc);
	m->nodes[node].a = n->a;
	ir_add_output(m, out);

	Interp *ip = ir_interp_new(m, d);
	if (ip) {
		data = ir_alloc(g, (size_t)ir_value_bytes(r));
		void *outs[1] = {data};
		if (ir_interp_run(ip, NULL, outs) != 0)
			data = NULL;
		ir_interp_free(ip);
	}
	ir_graph_free(m);
	return data;
}

int pass_fold_constants(Graph *g, const PassOptions *o, Diag *d)
{
	int folded = 0;
	int64_t total = 0; /* bytes of constants, given and computed */

	(void)o;
	for (int v = 0; v < g->nval; v++)
		if (g->vals[v].kind == VK_CONST && g->vals[v].has_type)
			total += ir_value_bytes(&g->vals[v]);
	for (int i = 0; i < g->nnode; i++) {
		Node *n = &g->nodes[i];
		if (!foldable(g, n))
			continue;
		/* a folded result is memory of the graph until the end: the limit
		 * on constants holds for them too (operands it replaces count
		 * until then) */
		total += ir_value_bytes(&g->vals[n->out]);
		if (total > IR_MAX_CONST_BYTES) {
			diag_error(
			        d, n->loc,
			        "fold-constants: the constant result '%s' would bring the "
			        "model's constants to %lld bytes, more than the 2 GiB (%lld bytes) they "
			        "may have together (docs/limits.md)",
			        g->vals[n->out].name, (long long)total,
			        (long long)IR_MAX_CONST_BYTES);
			return -1;
		}
		void *data = evaluate(g, n, d);
		if (!data)
			return -1;
		Value *r = &g->vals[n->out];
		r->kind = VK_CONST;
		r->data = data;
		r->def = -1;
		r->has_range = 0; /* a constant's range is its data */
		n->op = OP_NONE;
		folded++;
	}
	if (folded)
		ir_graph_compact(g);
	return 0;
}
