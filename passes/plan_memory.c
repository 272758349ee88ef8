/* plan_memory.c — the plan-memory pass: gives every non-constant value an
 * offset in one arena.  Greedy by size (as TFLite's arena planner): the
 * largest values are placed first, each at the lowest 16-aligned offset that
 * does not overlap any already placed value whose lifetime overlaps its own. */
#include <stdlib.h>

#include "passes.h"

static int64_t aligned(int64_t n)
{
	return (n + IR_ALIGN - 1) / IR_ALIGN * IR_ALIGN;
}

void pass_lifetimes(const Graph *g, int *first, int *last)
{
	for (int v = 0; v < g->nval; v++)
		first[v] = last[v] = -1;
	for (int i = 0; i < g->ninput; i++)
		first[g->inputs[i]] = last[g->inputs[i]] = 0;
	for (int n = 0; n < g->nnode; n++) {
		const Node *nd = &g->nodes[n];
		for (int i = 0; i < nd->nin; i++)
			if (g->vals[nd->in[i]].kind != VK_CONST)
				last[nd->in[i]] = n + 1;
		first[nd->out] = last[nd->out] = n + 1;
	}
	for (int i = 0; i < g->noutput; i++)
		last[g->outputs[i]] = g->nnode + 1;
}

int64_t pass_arena_lower_bound(const Graph *g)
{
	int *first = ir_xmalloc((size_t)(g->nval + 1) * sizeof *first);
	int *last = ir_xmalloc((size_t)(g->nval + 1) * sizeof *last);
	int64_t *live = ir_xcalloc((size_t)g->nnode + 2, sizeof *live), best = 0;

	pass_lifetimes(g, first, last);
	/* difference array over time steps */
	for (int v = 0; v < g->nval; v++)
		if (first[v] >= 0) {
			int64_t sz = aligned(ir_value_bytes(&g->vals[v]));
			live[first[v]] += sz;
			if (last[v] + 1 <= g->nnode + 1)
				live[last[v] + 1] -= sz;
		}
	int64_t cur = 0;
	for (int t = 0; t <= g->nnode + 1; t++) {
		cur += live[t];
		if (cur > best)
			best = cur;
	}
	free(first);
	free(last);
	free(live);
	return best;
}

typedef struct {
	int v;
	int64_t size;
} Item;

static int by_size(const void *a, const void *b)
{
	const Item *x = a, *y = b;
	if (x->size != y->size)
		return x->size < y->size ? 1 : -1;
	return x->v - y->v; /* deterministic */
}

int pass_plan_memory(Graph *g, const PassOptions *o, Diag *d)
{
	int *first = ir_xmalloc((size_t)(g->nval + 1) * sizeof *first);
	int *last = ir_xmalloc((size_t)(g->nval + 1) * sizeof *last);
	Item *items = ir_xmalloc((size_t)(g->nval + 1) * sizeof *items);
	int *placed = ir_xmalloc((size_t)(g->nval + 1) * sizeof *placed);
	int ni = 0, np = 0;
	int64_t arena = 0;

	(void)o;
	for (int v = 0; v < g->nval; v++)
		if (g->vals[v].kind != VK_CONST && !g->vals[v].has_type) {
			diag_error(d, g->vals[v].loc, "plan-memory: '%s' has no type (run infer-shapes first)",
			           g->vals[v].name);
			goto out;
		}
	pass_lifetimes(g, first, last);
	for (int v = 0; v < g->nval; v++) {
		g->vals[v].offset = -1;
		if (first[v] >= 0)
			items[ni++] = (Item){v, aligned(ir_value_bytes(&g->vals[v]))};
	}
	qsort(items, (size_t)ni, sizeof *items, by_size);
	for (int i = 0; i < ni; i++) {
		int v = items[i].v;
		int64_t off = 0;
		/* Find the lowest gap: scan placed values that overlap in time, sorted
		 * by offset; a simple repeated sweep keeps this obviously correct. */
		for (int moved = 1; moved;) {
			moved = 0;
			for (int k = 0; k < np; k++) {
				int u = placed[k];
				if (last[u] < first[v] || last[v] < first[u])
					continue;
				int64_t uo = g->vals[u].offset, ue = uo + aligned(ir_value_bytes(&g->vals[u]));
				if (uo < off + items[i].size && off < ue) {
					off = ue;
					moved = 1;
				}
			}
		}
		g->vals[v].offset = off;
		placed[np++] = v;
		if (off + items[i].size > arena)
			arena = off + items[i].size;
	}
	g->arena_size = arena;
out:
	free(first);
	free(last);
	free(items);
	free(placed);
	return d->nerrors ? -1 : 0;
}
