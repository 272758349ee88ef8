/* plan_memory.c — the plan-memory pass: gives every non-constant value an
 * offset in one arena.  Values that may share bytes (in-place ops, see
 * arena.c) form one slot; the slots are placed by each of arena.c's
 * heuristics (greedy by size as TFLite's planner, by lifetime, by breadth,
 * first and best fit) and the smallest arena wins, the first tried on a
 * tie; above the lower bound (the most bytes live at one step), a local
 * search over the order with a fixed seed follows, so the plan is
 * deterministic.  Planning stops at the bound: nothing can beat it.
 * Also what `quantc inspect` reports of a plan (pass_arena_stats). */
#include <stdlib.h>

#include "passes.h"

/* The most arena bytes this run may plan: --max-memory, at most what
 * qrt_model.arena_size holds. */
static int64_t arena_limit(const PassOptions *o)
{
	int64_t m = o && o->ctx ? o->ctx->max_memory : 0;
	return m > 0 && m < IR_MAX_ARENA_BYTES ? m : IR_MAX_ARENA_BYTES;
}

static void too_large(const Graph *g, const PassOptions *o, int v, int64_t off, int64_t size,
                      int64_t bound, Diag *d)
{
	int64_t limit = arena_limit(o);
	const int by_option = o && o->ctx && o->ctx->max_memory > 0 &&
	                      o->ctx->max_memory < IR_MAX_ARENA_BYTES;
	char b[96];

	diag_error(d, g->vals[v].loc,
	           "plan-memory: '%s' (%s%s, %lld bytes) does not fit in "
	           "%s of %lld bytes: it would end at byte %lld of the arena (docs/limits.md)",
	           g->vals[v].name, ir_dtype_name(g->vals[v].dt),
	           ir_shape_str(&g->vals[v].shape, b, sizeof b),
	           (long long)ir_value_bytes(&g->vals[v]),
	           by_option ? "--max-memory" : "the largest arena", (long long)limit,
	           (long long)(off + size));
	diag_note(d, loc_file(g->file), "at least %lld bytes of tensors are live at the same time",
	          (long long)bound);
}

/* The plan over the limit: names the slot with the lowest offset among
 * those that end past it (a slot too large on its own first). */
static void over_limit(const Graph *g, const PassOptions *o, const ArenaSlots *s,
                       const int64_t *off, Diag *d)
{
	int64_t limit = arena_limit(o), bound = pass_arena_bound(s);
	int pick = -1;

	for (int k = 0; k < s->nslot; k++)
		if (s->slot[k].size > limit) {
			too_large(g, o, s->slot[k].head, 0, s->slot[k].size, bound, d);
			return;
		}
	for (int k = 0; k < s->nslot; k++)
		if (off[k] + s->slot[k].size > limit && (pick < 0 || off[k] < off[pick]))
			pick = k;
	if (pick < 0)
		ICE("plan-memory: an arena over the limit with no slot past it");
	too_large(g, o, s->slot[pick].head, off[pick], s->slot[pick].size, bound, d);
}

/* Sizes over the limit could overflow the sums of placement. */
static int64_t plan(const ArenaSlots *s, int64_t limit, int64_t *off)
{
	int strategy;

	for (int k = 0; k < s->nslot; k++)
		if (s->slot[k].size > limit)
			return INT64_MAX;
	return pass_arena_plan(s, off, &strategy);
}

int pass_plan_memory(Graph *g, const PassOptions *o, Diag *d)
{
	ArenaSlots s;
	int64_t *off;

	for (int v = 0; v < g->nval; v++)
		if (g->vals[v].kind != VK_CONST && !g->vals[v].has_type) {
			diag_error(d, g->vals[v].loc,
			           "plan-memory: '%s' has no type (run infer-shapes first)",
			           g->vals[v].name);
			return -1;
		}
	pass_arena_slots(g, 1, &s);
	off = ir_xcalloc((size_t)s.nslot + 1, sizeof *off);
	int64_t arena = plan(&s, arena_limit(o), off);
	if (arena > arena_limit(o))
		over_limit(g, o, &s, off, d);
	else {
		for (int v = 0; v < g->nval; v++)
			g->vals[v].offset = s.of[v] >= 0 ? off[s.of[v]] : -1;
		/* a graph whose values are all constants (folded) still gets
		 * an arena: 0 would read as "not planned" */
		g->arena_size = arena > 0 ? arena : IR_ALIGN;
	}
	free(off);
	pass_arena_slots_free(&s);
	return d->nerrors ? -1 : 0;
}

/* ---- what inspect reports ------------------------------------------------------ */

static int64_t greedy_by_size(const Graph *g, int share, int64_t *bound)
{
	ArenaSlots s;

	pass_arena_slots(g, share, &s);
	int64_t *off = ir_xcalloc((size_t)s.nslot + 1, sizeof *off);
	int64_t a = pass_arena_place(&s, 0, off);
	*bound = pass_arena_bound(&s);
	free(off);
	pass_arena_slots_free(&s);
	return a;
}

/* When the arena is above the bound, the bytes between them are gaps: the
 * value at the arena's top and the fullest step of its slot's life show
 * where (at that step fewer bytes are live than the placement spans). */
static void find_top(const Graph *g, const ArenaSlots *s, PassArenaStats *st)
{
	int64_t end = -1;

	st->top = st->top_step = -1;
	if (st->arena <= st->bound)
		return;
	for (int v = 0; v < g->nval; v++) {
		int k = s->of[v];
		if (k >= 0 && g->vals[v].offset >= 0 && g->vals[v].offset + s->slot[k].size > end) {
			end = g->vals[v].offset + s->slot[k].size;
			st->top = v;
		}
	}
	if (st->top < 0)
		return;
	const ArenaSlot *sl = &s->slot[s->of[st->top]];
	for (int t = sl->first; t <= sl->last; t++)
		if (st->top_step < 0 || st->live[t] > st->live[st->top_step])
			st->top_step = t;
}

void pass_arena_stats(const Graph *g, PassArenaStats *st)
{
	ArenaSlots s;

	st->arena = g->arena_size;
	st->greedy = greedy_by_size(g, 1, &st->bound);
	st->plain_greedy = greedy_by_size(g, 0, &st->plain_bound);
	pass_arena_slots(g, 1, &s);
	st->live = pass_arena_live(&s);
	find_top(g, &s, st);
	pass_arena_slots_free(&s);
}

void pass_arena_stats_free(PassArenaStats *st)
{
	free(st->live);
	st->live = NULL;
}
