/* passes/fam_convert.c — the convert family's pass rules (pass_rules.h): what
 * infer-shapes, propagate-ranges, check-overflow and quantize do with
 * quantize and dequantize, the boundaries between precisions (the
 * quantize pass inserts them; a dump read back has them).
 *   shapes      the input's; quantize's result the storage type it is
 *               declared with, dequantize's f32
 *   ranges      dequantize the same intervals (the real value does not
 *               change); quantize widened by half a step of the result's
 *               scale (the rounding), then cut to what it can represent
 *               (only in quantized graphs, which propagate-ranges turns
 *               away: the rules say what the results mean all the same)
 *   overflow    clamped to the result's storage range: nothing to prove
 *   quantize    never reached: the pass runs on float graphs */
#include <math.h>

#include "pass_rules.h"

/* ---- infer-shapes ------------------------------------------------------------- */

#define ERR(...) (diag_error(d, n->loc, __VA_ARGS__), -1)

static int is_int(DType t)
{
	return t == DT_I8 || t == DT_I16;
}

/* quantize: f32, i8 or i16 into a declared i8 or i16; dequantize: i8 or
 * i16 into f32. */
static int check_types(Graph *g, Node *n, Diag *d)
{
	const Value *x = &g->vals[n->in[0]], *y = &g->vals[n->out];

	if (n->op == OP_DEQUANTIZE) {
		if (!is_int(x->dt))
			return ERR("dequantize: input '%s' is %s, not i8 or i16", x->name,
			           ir_dtype_name(x->dt));
		return 0;
	}
	if (x->dt != DT_F32 && !is_int(x->dt))
		return ERR("quantize: input '%s' is %s, not f32, i8 or i16", x->name,
		           ir_dtype_name(x->dt));
	if (!y->has_type || !is_int(y->dt) || !y->q.present)
		return ERR("quantize: declare the result's type, e.g. '%s : i8[...] q(scale=S, "
		           "zp=Z) = quantize(%s)'",
		           y->name, x->name);
	return 0;
}

/* The dtype: dequantize gives f32; quantize its declared type (its whole
 * meaning: check_types has made sure there is one). */
static int infer(Graph *g, Node *n, Diag *d, Shape *s, DType *dt)
{
	if (check_types(g, n, d))
		return -1;
	*s = g->vals[n->in[0]].shape;
	switch (n->op) {
	case OP_QUANTIZE: *dt = g->vals[n->out].dt; return 0;
	case OP_DEQUANTIZE: *dt = DT_F32; return 0;
	default: ICE("infer-shapes: %s is not a conversion", ir_ops[n->op].name);
	}
}

#undef ERR

/* ---- propagate-ranges --------------------------------------------------------- */

static void quantize_range(RangeCtx *c, const Node *n)
{
	const Value *yv = &c->g->vals[n->out];
	size_t len = (size_t)ir_shape_numel(&yv->shape);
	double s = yv->q.present ? yv->q.scale[0] : 0, lo = -INFINITY, hi = INFINITY;
	Box *y = pass_box_new(c, n->out);

	if (yv->q.present && (yv->dt == DT_I8 || yv->dt == DT_I16)) {
		lo = s * (ir_qmin(yv->dt) - yv->q.zp);
		hi = s * (ir_qmax(yv->dt) - yv->q.zp);
	}
	const Box *x = &c->box[n->in[0]];
	if (x->coarse && y->coarse)
		len = 1;
	for (size_t i = 0; i < len; i++)
		box_put(y, (int64_t)i, fmin(fmax(box_lo(x, (int64_t)i) - s / 2, lo), hi),
		        fmax(fmin(box_hi(x, (int64_t)i) + s / 2, hi), lo));
}

static void range(RangeCtx *c, const Node *n)
{
	switch (n->op) {
	case OP_QUANTIZE: quantize_range(c, n); break;
	case OP_DEQUANTIZE: pass_range_same(c, n); break;
	default: ICE("propagate-ranges: %s is not a conversion", ir_ops[n->op].name);
	}
}

/* ---- check-overflow ----------------------------------------------------------- */

static int overflow(const Graph *g, const Node *n, QRange *r, Diag *d)
{
	const Value *y = &g->vals[n->out];

	(void)d;
	switch (n->op) {
	case OP_QUANTIZE: /* clamped to the result's storage range: nothing to prove */
		r[n->out] = (QRange){ir_qmin(y->dt), ir_qmax(y->dt)};
		return 0;
	case OP_DEQUANTIZE: /* a float result (never reached: y has no q) */ return 0;
	default: ICE("check-overflow: %s is not a conversion", ir_ops[n->op].name);
	}
}

/* ---- quantize ------------------------------------------------------------------ */

/* The quantize pass refuses graphs that hold conversions already (every
 * value must be f32), so no conversion gets here. */
static int quantize(QuantCtx *q, Node *n, DType dt)
{
	(void)q, (void)dt;
	ICE("quantize: no rule for %s", ir_ops[n->op].name);
}

const PassRules pass_rules_convert = {
        .infer = infer,
        .macs = pass_no_macs,
        .range = range,
        .overflow = overflow,
        .convert_all = 0,
        .own_qparams = 0,
        .quantize = quantize,
        .why_no_range = pass_no_note,
        .bias_error = NULL,
};
