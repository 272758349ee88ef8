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

/* The values already placed that are live at each time step, so that a
 * value meets only the values it overlaps in time (a sweep over all placed
 * values made plan-memory quadratic in the depth of the graph). */
typedef struct {
	int *v;
	int n, cap;
} Live;

typedef struct {
	int64_t off, end;
} Span;

typedef struct {
	const Graph *g;
	const int *first, *last;
	Live *at;       /* g->nnode + 2 time steps */
	int *stamp;     /* per value: the item that last collected it */
	Span *cand;     /* scratch: where the values overlapping the current one are */
	int ncand, capcand;
} Plan;

static int by_offset(const void *a, const void *b)
{
	const Span *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* The lowest 16-aligned offset where size bytes fit beside every placed
 * value live at the same time as v (the placed values are 16-aligned). */
static int64_t lowest_gap(Plan *p, int v, int64_t size, int item)
{
	const Graph *g = p->g;
	int64_t off = 0;

	p->ncand = 0;
	for (int t = p->first[v]; t <= p->last[v]; t++)
		for (int k = 0; k < p->at[t].n; k++) {
			int u = p->at[t].v[k];
			if (p->stamp[u] == item)
				continue;
			p->stamp[u] = item;
			ir_vgrow((void **)&p->cand, &p->capcand, p->ncand, sizeof *p->cand);
			p->cand[p->ncand++] = (Span){g->vals[u].offset,
			                             g->vals[u].offset + aligned(ir_value_bytes(&g->vals[u]))};
		}
	if (p->ncand > 1) /* cand is NULL before the first: qsort's pointer must not be */
		qsort(p->cand, (size_t)p->ncand, sizeof *p->cand, by_offset);
	for (int k = 0; k < p->ncand && p->cand[k].off < off + size; k++)
		if (p->cand[k].end > off)
			off = p->cand[k].end;
	return off;
}

static void mark_live(Plan *p, int v)
{
	for (int t = p->first[v]; t <= p->last[v]; t++) {
		Live *l = &p->at[t];
		ir_vgrow((void **)&l->v, &l->cap, l->n, sizeof *l->v);
		l->v[l->n++] = v;
	}
}

/* The most arena bytes this run may plan: --max-memory, at most what
 * qrt_model.arena_size holds. */
static int64_t arena_limit(const PassOptions *o)
{
	int64_t m = o && o->ctx ? o->ctx->max_memory : 0;
	return m > 0 && m < IR_MAX_ARENA_BYTES ? m : IR_MAX_ARENA_BYTES;
}

static void too_large(const Graph *g, const PassOptions *o, int v, int64_t off, int64_t size,
                      Diag *d)
{
	int64_t limit = arena_limit(o);
	const int by_option = o && o->ctx && o->ctx->max_memory > 0 &&
	                      o->ctx->max_memory < IR_MAX_ARENA_BYTES;
	char b[96];

	diag_error(d, g->vals[v].loc, "plan-memory: '%s' (%s%s, %lld bytes) does not fit in "
	           "%s of %lld bytes: it would end at byte %lld of the arena (docs/limits.md)",
	           g->vals[v].name, ir_dtype_name(g->vals[v].dt),
	           ir_shape_str(&g->vals[v].shape, b, sizeof b), (long long)ir_value_bytes(&g->vals[v]),
	           by_option ? "--max-memory" : "the largest arena", (long long)limit,
	           (long long)(off + size));
	diag_note(d, loc_file(g->file), "at least %lld bytes of tensors are live at the same time",
	          (long long)pass_arena_lower_bound(g));
}

int pass_plan_memory(Graph *g, const PassOptions *o, Diag *d)
{
	int *first = ir_xmalloc((size_t)(g->nval + 1) * sizeof *first);
	int *last = ir_xmalloc((size_t)(g->nval + 1) * sizeof *last);
	Item *items = ir_xmalloc((size_t)(g->nval + 1) * sizeof *items);
	Plan p = {g, first, last, ir_xcalloc((size_t)g->nnode + 2, sizeof *p.at),
	          ir_xmalloc((size_t)(g->nval + 1) * sizeof *p.stamp), NULL, 0, 0};
	int ni = 0;
	int64_t arena = 0, limit = arena_limit(o);

	for (int v = 0; v < g->nval; v++)
		if (g->vals[v].kind != VK_CONST && !g->vals[v].has_type) {
			diag_error(d, g->vals[v].loc, "plan-memory: '%s' has no type (run infer-shapes first)",
			           g->vals[v].name);
			goto out;
		}
	pass_lifetimes(g, first, last);
	for (int v = 0; v < g->nval; v++) {
		g->vals[v].offset = -1;
		p.stamp[v] = -1;
		if (first[v] >= 0) {
			int64_t b = ir_value_bytes(&g->vals[v]);
			items[ni++] = (Item){v, b > IR_MAX_TENSOR_BYTES ? b : aligned(b)};
		}
	}
	qsort(items, (size_t)ni, sizeof *items, by_size);
	for (int i = 0; i < ni; i++) {
		int v = items[i].v;
		/* a tensor over the limit cannot be placed at all (and its size
		 * could overflow the sums below) */
		int64_t off = items[i].size > limit ? 0 : lowest_gap(&p, v, items[i].size, i);
		if (items[i].size > limit || off + items[i].size > limit) {
			too_large(g, o, v, off, items[i].size, d);
			goto out;
		}
		g->vals[v].offset = off;
		mark_live(&p, v);
		if (off + items[i].size > arena)
			arena = off + items[i].size;
	}
	g->arena_size = arena;
out:
	for (int t = 0; t < g->nnode + 2; t++)
		free(p.at[t].v);
	free(p.at);
	free(p.stamp);
	free(p.cand);
	free(first);
	free(last);
	free(items);
	return d->nerrors ? -1 : 0;
}
