/* arena.c — the analyses behind plan-memory: which values share one arena
 * slot (in-place ops), when each slot is live, the lower bound no placement
 * can beat, and the placement heuristics plan-memory chooses among.
 *
 * A slot is one value, or several whose bytes may coincide:
 *   - an OPF_VIEW op (reshape, flatten) changes no byte of contiguous data,
 *     so its result always is its input's bytes (the slot lives as long as
 *     either does);
 *   - an OPF_INPLACE op that keeps the storage type (relu, clip, leaky_relu,
 *     sigmoid, tanh, hard_sigmoid, hard_swish) writes each element after
 *     reading only that element, so it may write over its input when that
 *     input's slot is dead after it (no later reader, not a graph output).
 * The backend (targets/lower.c) accepts exactly these equal offsets. */
#include <stdlib.h>

#include "passes.h"

static int64_t aligned(int64_t n)
{
	return (n + IR_ALIGN - 1) / IR_ALIGN * IR_ALIGN;
}

/* a + b, saturating: sizes come from the model */
static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;
	return __builtin_add_overflow(a, b, &r) ? INT64_MAX : r;
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

/* ---- slots ------------------------------------------------------------------ */

/* Node n's result may take its first operand's slot. */
static int may_share(const Graph *g, const ArenaSlots *s, int n)
{
	const Node *nd = &g->nodes[n];
	const Value *x = &g->vals[nd->in[0]], *y = &g->vals[nd->out];

	if (x->kind == VK_CONST || s->of[nd->in[0]] < 0 || ir_value_bytes(x) != ir_value_bytes(y))
		return 0;
	if (ir_ops[nd->op].flags & OPF_VIEW)
		return 1;
	for (int i = 1; i < nd->nin; i++) /* a table operand is a constant */
		if (g->vals[nd->in[i]].kind != VK_CONST)
			return 0;
	return (ir_ops[nd->op].flags & OPF_INPLACE) && x->dt == y->dt &&
	       s->slot[s->of[nd->in[0]]].last == n + 1;
}

static int new_slot(ArenaSlots *s, int v, int64_t size, int first, int last)
{
	ir_vgrow((void **)&s->slot, &s->cap, s->nslot, sizeof *s->slot);
	s->slot[s->nslot] = (ArenaSlot){size, first, last, v};
	s->of[v] = s->nslot;
	return s->nslot++;
}

void pass_arena_slots(const Graph *g, int share, ArenaSlots *s)
{
	int *first = ir_xmalloc((size_t)(g->nval + 1) * sizeof *first);
	int *last = ir_xmalloc((size_t)(g->nval + 1) * sizeof *last);

	*s = (ArenaSlots){0};
	s->nstep = g->nnode + 2;
	s->of = ir_xmalloc((size_t)(g->nval + 1) * sizeof *s->of);
	pass_lifetimes(g, first, last);
	for (int v = 0; v < g->nval; v++)
		s->of[v] = -1;
	for (int i = 0; i < g->ninput; i++) {
		int v = g->inputs[i];
		if (s->of[v] < 0 && first[v] >= 0)
			new_slot(s, v, ir_value_bytes(&g->vals[v]), first[v], last[v]);
	}
	for (int n = 0; n < g->nnode; n++) {
		int y = g->nodes[n].out;
		if (s->of[y] >= 0 || first[y] < 0)
			continue;
		if (share && g->nodes[n].op != OP_NONE && may_share(g, s, n)) {
			ArenaSlot *sl = &s->slot[s->of[g->nodes[n].in[0]]];
			s->of[y] = s->of[g->nodes[n].in[0]];
			if (last[y] > sl->last)
				sl->last = last[y];
		} else
			new_slot(s, y, ir_value_bytes(&g->vals[y]), first[y], last[y]);
	}
	/* values no node defines and no input declares are never touched */
	for (int k = 0; k < s->nslot; k++) {
		int64_t b = s->slot[k].size;
		s->slot[k].size = b > IR_MAX_TENSOR_BYTES ? b : aligned(b);
	}
	free(first);
	free(last);
}

void pass_arena_slots_free(ArenaSlots *s)
{
	free(s->slot);
	free(s->of);
	*s = (ArenaSlots){0};
}

int64_t *pass_arena_live(const ArenaSlots *s)
{
	int64_t *d = ir_xcalloc((size_t)s->nstep + 1, sizeof *d);

	/* a difference array over the steps, then its running sum; a size
	 * beyond any arena counts as 2^36 so that no sum can overflow */
	for (int k = 0; k < s->nslot; k++) {
		int64_t size = s->slot[k].size < ((int64_t)1 << 36) ? s->slot[k].size
		                                                    : (int64_t)1 << 36;
		d[s->slot[k].first] += size;
		d[s->slot[k].last + 1] -= size;
	}
	for (int t = 1; t < s->nstep; t++)
		d[t] += d[t - 1];
	return d;
}

int64_t pass_arena_bound(const ArenaSlots *s)
{
	int64_t *live = pass_arena_live(s), best = 0;

	for (int t = 0; t < s->nstep; t++)
		if (live[t] > best)
			best = live[t];
	free(live);
	return best;
}

int64_t pass_arena_lower_bound(const Graph *g)
{
	ArenaSlots s;

	pass_arena_slots(g, 1, &s);
	int64_t b = pass_arena_bound(&s);
	pass_arena_slots_free(&s);
	return b;
}

/* ---- placement ---------------------------------------------------------------- */

/* An order of the slots, by two keys, larger first, then by index. */
typedef struct {
	int k;
	int64_t key1, key2;
} Key;

static int by_keys(const void *a, const void *b)
{
	const Key *x = a, *y = b;
	if (x->key1 != y->key1)
		return x->key1 < y->key1 ? 1 : -1;
	if (x->key2 != y->key2)
		return x->key2 < y->key2 ? 1 : -1;
	return x->k - y->k;
}

typedef struct {
	int *v;
	int n, cap;
} List;

typedef struct {
	int64_t off, end;
} Span;

/* The state of one placement: the placed slots live at each step, so that
 * a slot meets only those it overlaps in time (a sweep over all placed
 * slots would make planning quadratic in the depth of the graph). */
typedef struct {
	const ArenaSlots *s;
	int64_t *off;
	List *at;   /* s->nstep */
	int *stamp; /* per slot: the slot that last collected it */
	Span *cand;
	int ncand, capcand;
	int64_t work; /* conflicts examined: the cost of placing, for budgets */
} Placer;

static int by_offset(const void *a, const void *b)
{
	const Span *x = a, *y = b;
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

/* The placed slots whose lives overlap slot k's, by offset. */
static void collect(Placer *p, int k)
{
	const ArenaSlot *sl = &p->s->slot[k];

	p->ncand = 0;
	for (int t = sl->first; t <= sl->last; t++, p->work++)
		for (int i = 0; i < p->at[t].n; i++, p->work++) {
			int u = p->at[t].v[i];
			if (p->stamp[u] == k)
				continue;
			p->stamp[u] = k;
			ir_vgrow((void **)&p->cand, &p->capcand, p->ncand, sizeof *p->cand);
			p->cand[p->ncand++] = (Span){p->off[u], p->off[u] + p->s->slot[u].size};
		}
	if (p->ncand > 1) /* cand is NULL before the first: qsort's pointer must not be */
		qsort(p->cand, (size_t)p->ncand, sizeof *p->cand, by_offset);
}

/* Where slot k goes among the slots it overlaps in time: first fit, the
 * lowest gap it fits in; best fit, the smallest such gap (the top of the
 * overlapping slots when no gap is large enough). */
static int64_t fit(Placer *p, int k, int best)
{
	int64_t size = p->s->slot[k].size, top = 0, pick = -1, pick_gap = INT64_MAX;

	collect(p, k);
	for (int i = 0; i < p->ncand; i++) {
		int64_t gap = p->cand[i].off - top;
		if (gap >= size) {
			if (!best)
				return top;
			if (gap < pick_gap) {
				pick = top;
				pick_gap = gap;
			}
		}
		if (p->cand[i].end > top)
			top = p->cand[i].end;
	}
	return pick >= 0 ? pick : top;
}

static void mark_live(Placer *p, int k)
{
	for (int t = p->s->slot[k].first; t <= p->s->slot[k].last; t++) {
		List *l = &p->at[t];
		ir_vgrow((void **)&l->v, &l->cap, l->n, sizeof *l->v);
		l->v[l->n++] = k;
	}
}

/* TFLite's "greedy by breadth": the steps with the most bytes live first,
 * at each the slots live there not yet ordered, largest first. */
static void breadth_order(const ArenaSlots *s, int *order)
{
	int64_t *live = pass_arena_live(s);
	Key *steps = ir_xmalloc((size_t)s->nstep * sizeof *steps);
	Key *keys = ir_xmalloc((size_t)(s->nslot + 1) * sizeof *keys);
	List *at = ir_xcalloc((size_t)s->nstep, sizeof *at);
	char *done = ir_xcalloc((size_t)s->nslot + 1, 1);
	int n = 0;

	for (int k = 0; k < s->nslot; k++)
		for (int t = s->slot[k].first; t <= s->slot[k].last; t++) {
			ir_vgrow((void **)&at[t].v, &at[t].cap, at[t].n, sizeof *at[t].v);
			at[t].v[at[t].n++] = k;
		}
	for (int t = 0; t < s->nstep; t++)
		steps[t] = (Key){t, live[t], -t};
	qsort(steps, (size_t)s->nstep, sizeof *steps, by_keys);
	for (int i = 0; i < s->nstep; i++) {
		const List *l = &at[steps[i].k];
		int m = 0;
		for (int j = 0; j < l->n; j++)
			if (!done[l->v[j]]) {
				done[l->v[j]] = 1;
				keys[m++] = (Key){l->v[j], s->slot[l->v[j]].size,
				                  -s->slot[l->v[j]].first};
			}
		if (m > 1)
			qsort(keys, (size_t)m, sizeof *keys, by_keys);
		for (int j = 0; j < m; j++)
			order[n++] = keys[j].k;
	}
	for (int t = 0; t < s->nstep; t++)
		free(at[t].v);
	free(at);
	free(done);
	free(keys);
	free(steps);
	free(live);
}

/* The orders the strategies try; ARENA_BY_SIZE first fit is TFLite's greedy
 * by size, the baseline. */
enum {
	ARENA_BY_SIZE,
	ARENA_BY_LENGTH,
	ARENA_BY_AREA,
	ARENA_BY_START,
	ARENA_BY_BREADTH,
	ARENA_NORDER
};

static const char *const order_name[ARENA_NORDER] = {"size", "lifetime", "size x lifetime", "start",
                                                     "breadth"};

static void make_order(const ArenaSlots *s, int how, int *order)
{
	if (how == ARENA_BY_BREADTH) {
		breadth_order(s, order);
		return;
	}
	Key *keys = ir_xmalloc((size_t)(s->nslot + 1) * sizeof *keys);
	for (int k = 0; k < s->nslot; k++) {
		const ArenaSlot *sl = &s->slot[k];
		int64_t len = sl->last - sl->first + 1;
		switch (how) {
		case ARENA_BY_SIZE: keys[k] = (Key){k, sl->size, -sl->first}; break;
		case ARENA_BY_LENGTH: keys[k] = (Key){k, len, sl->size}; break;
		case ARENA_BY_AREA:
			keys[k] = (Key){k, sl->size > INT64_MAX / len ? INT64_MAX : sl->size * len,
			                sl->size};
			break;
		default: keys[k] = (Key){k, -sl->first, sl->size}; break;
		}
	}
	if (s->nslot > 1)
		qsort(keys, (size_t)s->nslot, sizeof *keys, by_keys);
	for (int k = 0; k < s->nslot; k++)
		order[k] = keys[k].k;
	free(keys);
}

const int pass_arena_nstrategy = 2 * ARENA_NORDER;

const char *pass_arena_strategy_name(int strategy, char *buf, size_t n)
{
	if (strategy >= pass_arena_nstrategy)
		snprintf(buf, n, "local search over the order");
	else
		snprintf(buf, n, "by %s, %s fit", order_name[strategy / 2],
		         strategy % 2 ? "best" : "first");
	return buf;
}

static void placer_init(Placer *p, const ArenaSlots *s, int64_t *off)
{
	*p = (Placer){s,
	              off,
	              ir_xcalloc((size_t)s->nstep, sizeof *p->at),
	              ir_xmalloc((size_t)(s->nslot + 1) * sizeof *p->stamp),
	              NULL,
	              0,
	              0,
	              0};
}

static void placer_free(Placer *p)
{
	for (int t = 0; t < p->s->nstep; t++)
		free(p->at[t].v);
	free(p->at);
	free(p->stamp);
	free(p->cand);
}

/* Places the slots in this order; returns the arena's size. */
static int64_t place_order(Placer *p, const int *order, int best)
{
	const ArenaSlots *s = p->s;
	int64_t arena = 0;

	for (int t = 0; t < s->nstep; t++)
		p->at[t].n = 0;
	for (int k = 0; k < s->nslot; k++)
		p->stamp[k] = -1;
	for (int i = 0; i < s->nslot; i++) {
		int k = order[i];
		p->off[k] = fit(p, k, best);
		mark_live(p, k);
		if (sat_add(p->off[k], s->slot[k].size) > arena)
			arena = sat_add(p->off[k], s->slot[k].size);
	}
	return arena;
}

int64_t pass_arena_place(const ArenaSlots *s, int strategy, int64_t *off)
{
	Placer p;
	int *order = ir_xmalloc((size_t)(s->nslot + 1) * sizeof *order);

	placer_init(&p, s, off);
	make_order(s, strategy / 2, order);
	int64_t arena = place_order(&p, order, strategy % 2);
	placer_free(&p);
	free(order);
	return arena;
}

/* xorshift32: a fixed sequence, so that plans are reproducible */
static uint32_t next_rand(uint32_t *r)
{
	*r ^= *r << 13;
	*r ^= *r >> 17;
	*r ^= *r << 5;
	return *r;
}

/* From the best order so far, moves one slot to another place in the order
 * and keeps the result when the arena is no larger (sideways moves let the
 * search cross plateaus), until the bound, 3000 tries or the budget of
 * work (conflicts examined, not time, so that plans are reproducible). */
static int64_t local_search(Placer *p, int *order, int fitk, int64_t arena, int64_t bound,
                            int64_t budget, int64_t *best_off)
{
	const ArenaSlots *s = p->s;
	int *cand = ir_xmalloc((size_t)(s->nslot + 1) * sizeof *cand);
	uint32_t r = 2463534242u;

	for (int it = 0; it < 3000 && p->work < budget && arena > bound && s->nslot > 1; it++) {
		int i = (int)(next_rand(&r) % (uint32_t)s->nslot);
		int j = (int)(next_rand(&r) % (uint32_t)s->nslot), k = order[i];
		for (int m = 0; m < s->nslot; m++)
			cand[m] = order[m];
		if (i < j)
			for (int m = i; m < j; m++)
				cand[m] = cand[m + 1];
		else
			for (int m = i; m > j; m--)
				cand[m] = cand[m - 1];
		cand[j] = k;
		int64_t a = place_order(p, cand, fitk);
		if (a <= arena) {
			if (a < arena)
				for (int m = 0; m < s->nslot; m++)
					best_off[m] = p->off[m];
			arena = a;
			for (int m = 0; m < s->nslot; m++)
				order[m] = cand[m];
		}
	}
	free(cand);
	return arena;
}

int64_t pass_arena_plan(const ArenaSlots *s, int64_t *off, int *strategy)
{
	int64_t *tmp = ir_xmalloc((size_t)(s->nslot + 1) * sizeof *tmp);
	int *order = ir_xmalloc((size_t)(s->nslot + 1) * sizeof *order);
	int *best_order = ir_xmalloc((size_t)(s->nslot + 1) * sizeof *best_order);
	int64_t bound = pass_arena_bound(s), arena = INT64_MAX;
	Placer p;

	placer_init(&p, s, tmp);
	*strategy = 0;
	/* greedy by size always; the rest while the work stays below 2e7
	 * conflicts examined (a fraction of a second), or three times greedy's
	 * when greedy alone takes more, so that a large graph costs at most a
	 * few times what greedy does */
	int64_t budget = INT64_MAX;
	for (int st = 0; st < pass_arena_nstrategy && arena > bound && p.work < budget; st++) {
		make_order(s, st / 2, order);
		int64_t a = place_order(&p, order, st % 2);
		if (st == 0)
			budget = p.work > 10000000 ? 3 * p.work : 20000000;
		if (a < arena) {
			arena = a;
			*strategy = st;
			for (int k = 0; k < s->nslot; k++) {
				off[k] = tmp[k];
				best_order[k] = order[k];
			}
		}
	}
	if (arena > bound) {
		int64_t a = local_search(&p, best_order, *strategy % 2, arena, bound, budget, off);
		if (a < arena)
			*strategy = pass_arena_nstrategy;
		arena = a;
	}
	placer_free(&p);
	free(tmp);
	free(order);
	free(best_order);
	return arena;
}
