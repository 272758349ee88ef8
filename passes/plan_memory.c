/* plan_memory.c — the plan-memory pass: gives every non-constant value an
 * offset in one arena.  Values that may share bytes (in-place ops, see
 * arena.c) form one slot; the slots are placed by each of arena.c's
 * heuristics (greedy by size as TFLite's planner, by lifetime, by breadth,
 * first and best fit) and the smallest arena wins, the first tried on a
 * tie; above the lower bound (the most bytes live at one step), a local
 * search over the order with a fixed seed follows, so the plan is
 * deterministic.  Planning stops at the bound: nothing can beat it.
 * A node whose target kernel needs scratch (the target's hook in
 * PassContext) gets one more slot, live at its own step only: the kernel's
 * scratch shares bytes with tensors dead then, and the arena is the
 * model's whole RAM besides a small stack (docs/abi.md).
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

/* The slots of g, then one per node with scratch (head -1 - n), live only
 * at the node's step. */
static void slots_with_scratch(const Graph *g, int share, ArenaSlots *s)
{
	pass_arena_slots(g, share, s);
	for (int n = 0; n < g->nnode; n++) {
		int64_t b = g->nodes[n].a.scratch[1];
		if (b <= 0 || g->nodes[n].op == OP_NONE)
			continue;
		ir_vgrow((void **)&s->slot, &s->cap, s->nslot, sizeof *s->slot);
		s->slot[s->nslot++] = (ArenaSlot){(b + IR_ALIGN - 1) / IR_ALIGN * IR_ALIGN, n + 1,
		                                  n + 1, -1 - n};
	}
}

int64_t pass_arena_scratch_max(const Graph *g)
{
	int64_t m = 0;

	for (int n = 0; n < g->nnode; n++)
		if (g->nodes[n].op != OP_NONE && g->nodes[n].a.scratch[1] > m)
			m = g->nodes[n].a.scratch[1];
	return m;
}

static void too_large(const Graph *g, const PassOptions *o, int v, int64_t off, int64_t size,
                      int64_t bound, Diag *d)
{
	int64_t limit = arena_limit(o);
	const int by_option = o && o->ctx && o->ctx->max_memory > 0 &&
	                      o->ctx->max_memory < IR_MAX_ARENA_BYTES;
	char b[96];

	if (v < 0) {
		const Node *nd = &g->nodes[-1 - v];
		diag_error(d, nd->loc,
		           "plan-memory: the scratch of '%s' (%s, %lld bytes) does not fit in "
		           "%s of %lld bytes: it would end at byte %lld of the arena "
		           "(docs/limits.md)",
		           g->vals[nd->out].name, ir_ops[nd->op].name, (long long)size,
		           by_option ? "--max-memory" : "the largest arena", (long long)limit,
		           (long long)(off + size));
		diag_note(d, loc_file(g->file),
		          "at least %lld bytes of tensors and scratch are live at the same time",
		          (long long)bound);
		return;
	}
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
	/* the target's scratch (none without a target) */
	for (int n = 0; n < g->nnode; n++) {
		const PassContext *ctx = o ? o->ctx : NULL;
		int64_t b = ctx && ctx->scratch && g->nodes[n].op != OP_NONE
		                    ? ctx->scratch(ctx->scratch_tgt, g, n)
		                    : 0;
		g->nodes[n].a.scratch[0] = 0;
		g->nodes[n].a.scratch[1] = b;
	}
	slots_with_scratch(g, 1, &s);
	off = ir_xcalloc((size_t)s.nslot + 1, sizeof *off);
	int64_t arena = plan(&s, arena_limit(o), off);
	if (arena > arena_limit(o))
		over_limit(g, o, &s, off, d);
	else {
		for (int v = 0; v < g->nval; v++)
			g->vals[v].offset = s.of[v] >= 0 ? off[s.of[v]] : -1;
		for (int k = 0; k < s.nslot; k++)
			if (s.slot[k].head < 0)
				g->nodes[-1 - s.slot[k].head].a.scratch[0] = off[k];
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

	slots_with_scratch(g, share, &s);
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
	st->top_scratch = 0;
	if (st->arena <= st->bound)
		return;
	for (int v = 0; v < g->nval; v++) {
		int k = s->of[v];
		if (k >= 0 && g->vals[v].offset >= 0 && g->vals[v].offset + s->slot[k].size > end) {
			end = g->vals[v].offset + s->slot[k].size;
			st->top = v;
		}
	}
	/* or a kernel's scratch (slots_with_scratch's, after the values') */
	for (int k = 0; k < s->nslot; k++) {
		const ArenaSlot *sl = &s->slot[k];
		const Node *nd = sl->head < 0 ? &g->nodes[-1 - sl->head] : NULL;
		if (nd && nd->a.scratch[0] + sl->size > end) {
			end = nd->a.scratch[0] + sl->size;
			st->top = nd->out, st->top_scratch = 1, st->top_step = sl->first;
		}
	}
	if (st->top < 0 || st->top_scratch)
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
	slots_with_scratch(g, 1, &s);
	st->live = pass_arena_live(&s);
	find_top(g, &s, st);
	pass_arena_slots_free(&s);
}

void pass_arena_stats_free(PassArenaStats *st)
{
	free(st->live);
	st->live = NULL;
}
