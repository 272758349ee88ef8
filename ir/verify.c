/* verify.c — the IR verifier (QBE's ssacheck in spirit).  Runs after parsing
 * and, with --verify-each, after every pass.  It checks structure, not
 * semantics of shapes (infer-shapes owns those). */
#include <math.h>

#include "ir.h"
#include "ir_rules.h"

static int check_type(Graph *g, int v, Diag *d)
{
	Value *val = &g->vals[v];
	int bad = 0;

	if (!val->has_type)
		return 0;
	if (val->dt <= DT_NONE || val->dt >= DT_COUNT) {
		diag_error(d, val->loc, "'%s' has no valid data type", val->name);
		return 1;
	}
	if (val->shape.rank < 0 || val->shape.rank > IR_MAX_RANK) {
		diag_error(d, val->loc, "'%s' has rank %d (at most %d)", val->name, val->shape.rank,
		           IR_MAX_RANK);
		return 1;
	}
	for (int i = 0; i < val->shape.rank; i++)
		if (val->shape.d[i] < 1) {
			diag_error(d, val->loc, "'%s' has dimension %d of size %lld", val->name, i,
			           (long long)val->shape.d[i]);
			bad = 1;
		}
	if (!val->q.present)
		return bad;
	const QParams *q = &val->q;
	if (q->axis < -1 || q->axis >= val->shape.rank) {
		diag_error(d, val->loc, "'%s': quantization axis %d out of range for rank %d",
		           val->name, q->axis, val->shape.rank);
		return 1;
	}
	int64_t want = q->axis < 0 ? 1 : val->shape.d[q->axis];
	if (q->n != want) {
		diag_error(d, val->loc, "'%s': %d quantization scales, expected %lld", val->name,
		           q->n, (long long)want);
		return 1;
	}
	for (int i = 0; i < q->n; i++)
		if (!(q->scale[i] > 0) || !isfinite(q->scale[i])) {
			diag_error(d, val->loc,
			           "'%s': scale %d is %g (must be positive and finite)", val->name,
			           i, (double)q->scale[i]);
			return 1;
		}
	if (val->dt == DT_F32) {
		/* a pin (pre-quantized models): the int8 parameters quantize
		 * must use; per channel only with zero point 0 */
		if (q->zp < -128 || q->zp > 127 || (q->n > 1 && q->zp != 0)) {
			diag_error(d, val->loc, "'%s': pinned zero point %d is not an int8 one%s",
			           val->name, (int)q->zp, q->n > 1 ? " of 0 (per channel)" : "");
			bad = 1;
		}
	} else if ((val->dt == DT_I8 || val->dt == DT_I16) &&
	           (q->zp < ir_qmin(val->dt) || q->zp > ir_qmax(val->dt))) {
		diag_error(d, val->loc, "'%s': zero point %d outside %s", val->name, (int)q->zp,
		           ir_dtype_name(val->dt));
		bad = 1;
	}
	return bad;
}

/* Two values' arena bytes overlap. */
static int overlap(const Value *a, const Value *b)
{
	return a->offset < b->offset + ir_value_bytes(b) &&
	       b->offset < a->offset + ir_value_bytes(a);
}

/* The ops whose result may take its operand's place: those that move
 * nothing, and the element-wise ones that keep the storage type (each
 * element is read before it is written). */
static int shares_ok(const Graph *g, const Node *nd)
{
	const Value *x = &g->vals[nd->in[0]], *y = &g->vals[nd->out];

	if (ir_ops[nd->op].flags & OPF_VIEW)
		return x->offset == y->offset;
	return (ir_ops[nd->op].flags & OPF_INPLACE) && x->offset == y->offset && x->dt == y->dt;
}

/* Every value typed, and some computed value in an integer type (a
 * quantized graph) or an arena plan (a float graph ready to compile): what
 * `run` and `compile` take with no further pass, and what the
 * interpreter's checks cover whole.  (A float graph without a plan is left
 * to infer-shapes, whose messages say more.) */
static int runnable(const Graph *g, int planned)
{
	int q = planned;

	for (int v = 0; v < g->nval; v++) {
		const Value *val = &g->vals[v];
		if (!val->has_type)
			return 0;
		if (val->kind != VK_CONST && (val->dt == DT_I8 || val->dt == DT_I16))
			q = 1;
	}
	return q;
}

int ir_verify(Graph *g, Diag *d)
{
	int before = d->nerrors;
	int any_offset = 0;

	for (int v = 0; v < g->nval; v++) {
		Value *val = &g->vals[v];
		check_type(g, v, d);
		if (val->kind == VK_CONST && (!val->has_type || !val->data))
			diag_error(d, val->loc, "constant '%s' has no type or data", val->name);
		if (val->kind == VK_INPUT && !val->has_type)
			diag_error(d, val->loc, "input '%s' has no type", val->name);
		if (val->kind != VK_CONST && val->has_type &&
		    (val->dt == DT_I8 || val->dt == DT_I16) && !val->q.present)
			diag_error(d, val->loc, "'%s' is %s but has no quantization parameters",
			           val->name, ir_dtype_name(val->dt));
		if (val->has_range && !(val->range[0] <= val->range[1]))
			diag_error(d, val->loc, "'%s': empty range", val->name);
		if (val->offset >= 0)
			any_offset = 1;
	}
	for (int n = 0; n < g->nnode; n++) {
		Node *nd = &g->nodes[n];
		if (nd->op <= OP_NONE || nd->op >= OP_COUNT) {
			diag_error(d, nd->loc, "node %d has no valid op", n);
			continue;
		}
		const OpInfo *oi = &ir_ops[nd->op];
		if (nd->nin < oi->min_in || nd->nin > oi->max_in)
			diag_error(d, nd->loc, "%s takes %d to %d operands, not %d", oi->name,
			           oi->min_in, oi->max_in, nd->nin);
		if (nd->out < 0 || nd->out >= g->nval || g->vals[nd->out].def != n ||
		    g->vals[nd->out].kind != VK_TEMP) {
			diag_error(d, nd->loc, "%s: bad result value", oi->name);
			continue;
		}
		for (int i = 0; i < nd->nin; i++) {
			int v = nd->in[i];
			if (v < 0 || v >= g->nval) {
				diag_error(d, nd->loc, "%s: operand %d is not a value", oi->name,
				           i);
				continue;
			}
			if (g->vals[v].kind == VK_TEMP &&
			    !(g->vals[v].def >= 0 && g->vals[v].def < n))
				diag_error(d, nd->loc, "'%s' is used before it is defined",
				           g->vals[v].name);
		}
		if (nd->a.layout == IR_LAYOUT_NHWC) {
			const Value *y = &g->vals[nd->out];
			if (y->is_output || !y->has_type || y->shape.rank != 4)
				diag_error(
				        d, nd->loc,
				        "%s '%s': layout nhwc needs a rank-4 result that is not a "
				        "model output",
				        oi->name, y->name);
		}
		if (nd->a.act != ACT_NONE && !(oi->flags & OPF_ACT))
			diag_error(d, nd->loc, "%s cannot carry a fused activation", oi->name);
		if (ir_rules_of(nd->op)->verify)
			ir_rules_of(nd->op)->verify(g, nd, d);
	}
	for (int v = 0; v < g->nval; v++)
		if (g->vals[v].kind == VK_TEMP &&
		    (g->vals[v].def < 0 || g->vals[v].def >= g->nnode))
			diag_error(d, g->vals[v].loc, "'%s' is never defined", g->vals[v].name);
	if (g->noutput == 0)
		diag_error(d, loc_file(g->file), "model '%s' has no output", g->name);
	if (any_offset) {
		for (int v = 0; v < g->nval; v++) {
			Value *val = &g->vals[v];
			if (val->kind == VK_CONST)
				continue;
			if (val->offset < 0 || val->offset % IR_ALIGN ||
			    val->offset + ir_value_bytes(val) > g->arena_size)
				diag_error(d, val->loc,
				           "'%s': arena offset %lld is not a %d-aligned place "
				           "inside the %lld-byte arena",
				           val->name, (long long)val->offset, IR_ALIGN,
				           (long long)g->arena_size);
		}
		/* what the backend can compile: an operand and its result share
		 * bytes only where the op allows it (a constant is not in the arena) */
		for (int n = 0; n < g->nnode && d->nerrors == before; n++) {
			const Node *nd = &g->nodes[n];
			const Value *x = &g->vals[nd->in[0]], *y = &g->vals[nd->out];
			if (x->kind != VK_CONST && x->offset >= 0 && y->offset >= 0 &&
			    overlap(x, y) && !shares_ok(g, nd))
				diag_error(
				        d, nd->loc,
				        "%s '%s': its arena bytes @%lld overlap those of its "
				        "operand '%s' @%lld (only flatten and reshape at the same offset, "
				        "and relu, clip and the element-wise lookup ops in place, may share)",
				        ir_ops[nd->op].name, y->name, (long long)y->offset, x->name,
				        (long long)x->offset);
		}
	}
	/* a quantized or planned dump runs (`run`) and compiles (`compile`)
	 * with no further pass: its parameters, tables, node types and shapes
	 * are checked here, by the interpreter's own rules, for both */
	if (d->nerrors == before && runnable(g, any_offset))
		ir_interp_check(g, d);
	return d->nerrors - before;
}
