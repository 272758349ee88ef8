/* passes/fam_shape.c — the shape family's pass rules (pass_rules.h): what
 * infer-shapes, propagate-ranges, check-overflow and quantize do with
 * flatten, reshape, pad, transpose, slice, gather, expand and resize,
 * which move elements (pad adds its value; resize's linear mode computes
 * between its inputs).
 *   shapes      flatten, reshape: the same elements; the others: their
 *               attributes as ir/geometry.c reads them
 *   ranges      the same intervals where the elements go (pad: its value
 *               outside in constant mode; linear resize: the hull of its four inputs,
 *               widened by the f32 rounding)
 *   overflow    the input's integers (constant pad: and its quantized value)
 *   quantize    OPF_KEEPQ: the input's parameters; pad warns when its
 *               value saturates in them */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pass_rules.h"

/* ---- infer-shapes ------------------------------------------------------------- */

#define ERR(...) (diag_error(d, n->loc, __VA_ARGS__), -1)

static const char *sh(const Value *v, char *buf)
{
	return ir_shape_str(&v->shape, buf, 96);
}

static int flatten(Graph *g, Node *n, Diag *d, Shape *out)
{
	const Value *x = &g->vals[n->in[0]];
	int64_t ax = n->a.axis, lo = 1, hi = 1;
	if (ax < 0 || ax > x->shape.rank)
		return ERR("flatten: axis %lld out of range [0, %d]", (long long)ax, x->shape.rank);
	for (int i = 0; i < x->shape.rank; i++)
		*(i < ax ? &lo : &hi) *= x->shape.d[i];
	*out = (Shape){2, {lo, hi}};
	return 0;
}

static int reshape(Graph *g, Node *n, Diag *d, Shape *out)
{
	const Attrs *a = &n->a;
	const Value *x = &g->vals[n->in[0]];
	int64_t known = 1, total = ir_shape_numel(&x->shape);
	int infer = -1;
	char b[96];

	if (a->nshape < 1)
		return ERR("reshape: needs a shape attribute");
	out->rank = a->nshape;
	for (int i = 0; i < a->nshape; i++) {
		out->d[i] = a->shape[i];
		if (a->shape[i] == -1 && infer < 0)
			infer = i;
		else if (a->shape[i] < 1)
			return ERR("reshape: bad target dimension %lld", (long long)a->shape[i]);
		else if (!ir_mul_ok(known, a->shape[i], &known))
			return ERR("reshape: target shape overflows");
	}
	if (infer >= 0) {
		if (total % known)
			return ERR(
			        "reshape: cannot reshape %s into a shape with %lld-element blocks",
			        sh(x, b), (long long)known);
		out->d[infer] = total / known;
	} else if (known != total)
		return ERR("reshape: %s has %lld elements, the target shape %lld", sh(x, b),
		           (long long)total, (long long)known);
	return 0;
}

static int pad(Graph *g, Node *n, Diag *d, Shape *out)
{
	const Value *x = &g->vals[n->in[0]];
	int64_t begin[IR_MAX_RANK], end[IR_MAX_RANK];

	if (ir_pad_amounts(&n->a, x->shape.rank, begin, end))
		return ERR("pad: 'pads' must hold %d integers for the rank-%d input '%s' (begin "
		           "per axis, then end per axis%s), each in [0, 2^31]",
		           2 * x->shape.rank, x->shape.rank, x->name,
		           x->shape.rank >= 2 ? "; or 4: top, left, bottom, "
		                                "right of the last two axes"
		                              : "");
	const char *why;
	char buf[160];
	if ((why = ir_pad_mode_bad(&n->a, &x->shape, begin, end, buf, sizeof buf)))
		return ERR("pad: %s", why);
	*out = x->shape;
	for (int k = 0; k < x->shape.rank; k++)
		out->d[k] += begin[k] + end[k];
	return 0;
}

static int transpose(Graph *g, Node *n, Diag *d, Shape *out)
{
	const Value *x = &g->vals[n->in[0]];
	int perm[IR_MAX_RANK];

	if (ir_transpose_perm(&n->a, x->shape.rank, perm))
		return ERR("transpose: 'perm' must be a permutation of the %d axes of '%s' (or [] "
		           "to reverse them)",
		           x->shape.rank, x->name);
	out->rank = x->shape.rank;
	for (int k = 0; k < x->shape.rank; k++)
		out->d[k] = x->shape.d[perm[k]];
	return 0;
}

static int slice(Graph *g, Node *n, Diag *d, Shape *out)
{
	const Value *x = &g->vals[n->in[0]];
	int64_t first[IR_MAX_RANK], step[IR_MAX_RANK];
	char b[96];

	if (ir_slice_geo(&n->a, &x->shape, first, step, out))
		return ERR("slice: 'starts' and 'ends' (and 'axes', 'steps' if given) must have "
		           "the same length, at most the rank %d of '%s', name each axis once "
		           "and have no step 0",
		           x->shape.rank, x->name);
	for (int k = 0; k < out->rank; k++)
		if (out->d[k] == 0)
			return ERR("slice: axis %d of %s '%s' keeps no element (an empty result)",
			           k, sh(x, b), x->name);
	return 0;
}

static int gather(Graph *g, Node *n, Diag *d, Shape *out)
{
	const Value *x = &g->vals[n->in[0]], *iv = &g->vals[n->in[1]];
	int64_t outer, m, inner;
	char b[96];

	if (iv->dt != DT_I64)
		return ERR("gather: the indices '%s' are %s; they must be i64", iv->name,
		           ir_dtype_name(iv->dt));
	if (ir_gather_geo(&x->shape, &iv->shape, n->a.axis, &outer, &m, &inner, out) < 0)
		return ERR("gather: axis %lld is out of range for %s '%s' (or the result's rank "
		           "would exceed %d)",
		           (long long)n->a.axis, sh(x, b), x->name, IR_MAX_RANK);
	if (iv->kind == VK_CONST && iv->data)
		for (int64_t j = 0, ni = ir_shape_numel(&iv->shape); j < ni; j++) {
			int64_t v = ((const int64_t *)iv->data)[j];
			if (v < -m || v >= m)
				return ERR(
				        "gather: index %lld of '%s' is out of range [%lld, %lld) "
				        "for axis %lld of %s",
				        (long long)v, iv->name, (long long)-m, (long long)m,
				        (long long)n->a.axis, sh(x, b));
		}
	return 0;
}

static int expand(Graph *g, Node *n, Diag *d, Shape *out)
{
	const Value *x = &g->vals[n->in[0]];
	int64_t xst[IR_MAX_RANK];
	char b[96];

	out->rank = n->a.nshape;
	for (int k = 0; k < n->a.nshape; k++) {
		out->d[k] = n->a.shape[k];
		if (out->d[k] < 1)
			return ERR("expand: bad target dimension %lld", (long long)out->d[k]);
	}
	if (ir_expand_strides(&x->shape, out, xst))
		return ERR("expand: %s '%s' does not broadcast to the shape %s", sh(x, b), x->name,
		           ir_shape_str(out, (char[96]){0}, 96));
	return 0;
}

static int resize(Graph *g, Node *n, Diag *d, Shape *out)
{
	const Value *x = &g->vals[n->in[0]];
	char b[96];

	out->rank = n->a.nshape;
	memcpy(out->d, n->a.shape, sizeof out->d);
	const char *why = ir_resize_bad(&n->a, &x->shape, out, &g->vals[n->in[1]]);
	if (why)
		return ERR("resize of %s '%s' to %s: %s", sh(x, b), x->name,
		           ir_shape_str(out, (char[96]){0}, 96), why);
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d, Shape *s, DType *dt)
{
	(void)dt; /* the input's */
	switch (n->op) {
	case OP_FLATTEN: return flatten(g, n, d, s);
	case OP_RESHAPE: return reshape(g, n, d, s);
	case OP_PAD: return pad(g, n, d, s);
	case OP_TRANSPOSE: return transpose(g, n, d, s);
	case OP_SLICE: return slice(g, n, d, s);
	case OP_GATHER: return gather(g, n, d, s);
	case OP_EXPAND: return expand(g, n, d, s);
	case OP_RESIZE: return resize(g, n, d, s);
	default: ICE("infer-shapes: %s is not a shape op", ir_ops[n->op].name);
	}
}

#undef ERR

/* ---- propagate-ranges --------------------------------------------------------- */

/* pad's other modes: each element's interval is that of the element of x
 * it copies (ir_pad_source per axis); y is the result's box, allocated. */
static void pad_range_from_x(RangeCtx *c, const Node *n, const int64_t *begin, Box *y)
{
	const Shape *xs = &c->g->vals[n->in[0]].shape, *ys = &c->g->vals[n->out].shape;
	const Box *x = &c->box[n->in[0]];
	int64_t xst[IR_MAX_RANK], idx[IR_MAX_RANK] = {0}, m = 1;

	if (y->coarse) { /* the hull of x's: every element of x is copied */
		for (int64_t j = 0, cnt = ir_shape_numel(xs); j < cnt; j++)
			box_put(y, 0, box_lo(x, j), box_hi(x, j));
		return;
	}
	for (int k = xs->rank - 1; k >= 0; k--) {
		xst[k] = m;
		m *= xs->d[k];
	}
	for (int64_t i = 0, cnt = ir_shape_numel(ys); i < cnt; i++) {
		int64_t j = 0;
		for (int k = 0; k < xs->rank; k++)
			j += ir_pad_source(n->a.pad_mode, idx[k] - begin[k], xs->d[k]) * xst[k];
		box_put(y, i, box_lo(x, j), box_hi(x, j));
		for (int k = xs->rank - 1; k >= 0 && ++idx[k] == ys->d[k]; k--)
			idx[k] = 0;
	}
}

/* pad: the value where padding goes (NaN: anything), x's bounds inside. */
static void pad_range(RangeCtx *c, const Node *n)
{
	const Shape *xs = &c->g->vals[n->in[0]].shape, *ys = &c->g->vals[n->out].shape;
	const Box *x = &c->box[n->in[0]];
	Box *y = pass_box_new(c, n->out);
	int64_t begin[IR_MAX_RANK], end[IR_MAX_RANK], ost[IR_MAX_RANK], idx[IR_MAX_RANK] = {0};
	int64_t cnt = ir_shape_numel(xs), ocnt = ir_shape_numel(ys), m = 1;
	double v = n->a.value;

	ir_pad_amounts(&n->a, xs->rank, begin, end);
	if (n->a.pad_mode != IR_PAD_CONSTANT) {
		pad_range_from_x(c, n, begin, y);
		return;
	}
	for (int k = ys->rank - 1; k >= 0; k--) {
		ost[k] = m;
		m *= ys->d[k];
	}
	/* a coarse result holds the pad value only if there is padding */
	for (int64_t i = 0; i < (y->coarse ? ocnt > cnt : ocnt); i++)
		box_put(y, i, isnan(v) ? -INFINITY : v, isnan(v) ? INFINITY : v);
	for (int64_t i = 0; i < cnt; i++) {
		int64_t o = 0;
		for (int k = 0; k < xs->rank; k++)
			o += (idx[k] + begin[k]) * ost[k];
		box_put(y, o, box_lo(x, i), box_hi(x, i));
		for (int k = xs->rank - 1; k >= 0 && ++idx[k] == xs->d[k]; k--)
			idx[k] = 0;
	}
}

/* transpose: the same intervals, moved as the elements are. */
static void transpose_range(RangeCtx *c, const Node *n)
{
	const Shape *xs = &c->g->vals[n->in[0]].shape, *ys = &c->g->vals[n->out].shape;
	const Box *x = &c->box[n->in[0]];
	Box *y = pass_box_new(c, n->out);
	int64_t xst[IR_MAX_RANK], idx[IR_MAX_RANK] = {0}, cnt = ir_shape_numel(ys), m = 1;
	int perm[IR_MAX_RANK];

	ir_transpose_perm(&n->a, xs->rank, perm);
	for (int k = xs->rank - 1; k >= 0; k--) {
		xst[k] = m;
		m *= xs->d[k];
	}
	for (int64_t i = 0; i < cnt; i++) {
		int64_t j = 0;
		for (int k = 0; k < ys->rank; k++)
			j += idx[k] * xst[perm[k]];
		box_put(y, i, box_lo(x, j), box_hi(x, j));
		for (int k = ys->rank - 1; k >= 0 && ++idx[k] == ys->d[k]; k--)
			idx[k] = 0;
	}
}

/* slice: the intervals of the elements it keeps. */
static void slice_range(RangeCtx *c, const Node *n)
{
	const Shape *xs = &c->g->vals[n->in[0]].shape;
	const Box *x = &c->box[n->in[0]];
	Box *y = pass_box_new(c, n->out);
	int64_t xst[IR_MAX_RANK], first[IR_MAX_RANK], step[IR_MAX_RANK], idx[IR_MAX_RANK] = {0};
	int64_t m = 1;
	Shape ys;

	ir_slice_geo(&n->a, xs, first, step, &ys);
	for (int k = xs->rank - 1; k >= 0; k--) {
		xst[k] = m;
		m *= xs->d[k];
	}
	for (int64_t i = 0, cnt = ir_shape_numel(&ys); i < cnt; i++) {
		int64_t j = 0;
		for (int k = 0; k < ys.rank; k++)
			j += (first[k] + idx[k] * step[k]) * xst[k];
		box_put(y, i, box_lo(x, j), box_hi(x, j));
		for (int k = ys.rank - 1; k >= 0 && ++idx[k] == ys.d[k]; k--)
			idx[k] = 0;
	}
}

/* gather: with constant indices the intervals of the elements they pick;
 * else the hull of x everywhere. */
static void gather_range(RangeCtx *c, const Node *n)
{
	const Value *xv = &c->g->vals[n->in[0]], *iv = &c->g->vals[n->in[1]];
	const Box *x = &c->box[n->in[0]];
	Box *y = pass_box_new(c, n->out);
	int64_t outer, m, inner, ni = ir_shape_numel(&iv->shape);
	Shape ys;

	ir_gather_geo(&xv->shape, &iv->shape, n->a.axis, &outer, &m, &inner, &ys);
	if (iv->kind != VK_CONST || !iv->data) {
		double lo = INFINITY, hi = -INFINITY;
		for (int64_t i = 0, cnt = x->coarse ? 1 : ir_shape_numel(&xv->shape); i < cnt;
		     i++) {
			lo = fmin(lo, box_lo(x, i));
			hi = fmax(hi, box_hi(x, i));
		}
		for (int64_t i = 0, cnt = y->coarse ? 1 : ir_shape_numel(&ys); i < cnt; i++)
			box_put(y, i, lo, hi);
		return;
	}
	for (int64_t o = 0; o < outer; o++)
		for (int64_t j = 0; j < ni; j++) {
			int64_t k = ((const int64_t *)iv->data)[j];
			k = k < 0 ? k + m : k;
			for (int64_t i = 0; i < inner; i++) {
				int64_t src = (o * m + k) * inner + i;
				box_put(y, (o * ni + j) * inner + i, box_lo(x, src),
				        box_hi(x, src));
			}
		}
}

/* expand: each element's interval where it is copied. */
static void expand_range(RangeCtx *c, const Node *n)
{
	const Shape *xs = &c->g->vals[n->in[0]].shape, *ys = &c->g->vals[n->out].shape;
	const Box *x = &c->box[n->in[0]];
	Box *y = pass_box_new(c, n->out);
	int64_t xst[IR_MAX_RANK], idx[IR_MAX_RANK] = {0};

	ir_expand_strides(xs, ys, xst);
	for (int64_t i = 0, cnt = ir_shape_numel(ys); i < cnt; i++) {
		int64_t j = 0;
		for (int k = 0; k < ys->rank; k++)
			j += idx[k] * xst[k];
		box_put(y, i, box_lo(x, j), box_hi(x, j));
		for (int k = ys->rank - 1; k >= 0 && ++idx[k] == ys->d[k]; k--)
			idx[k] = 0;
	}
}

/* resize: nearest moves the intervals; linear's f32 result lies in the
 * hull of its four inputs up to the rounding of the weights (each within
 * an ulp of its exact value, summing to 1) and of three sums: 2^-19 of the
 * largest magnitude bounds it.  Its integer result lies in the hull. */
static void resize_range(RangeCtx *c, const Node *n)
{
	const Shape *xs = &c->g->vals[n->in[0]].shape, *ys = &c->g->vals[n->out].shape;
	const float *s = c->g->vals[n->in[1]].data;
	const Box *x = &c->box[n->in[0]];
	Box *y = pass_box_new(c, n->out);
	int64_t xst[IR_MAX_RANK], idx[IR_MAX_RANK] = {0}, m = 1;
	const int r = xs->rank;

	for (int k = r - 1; k >= 0; k--) {
		xst[k] = m;
		m *= xs->d[k];
	}
	for (int64_t i = 0, cnt = ir_shape_numel(ys); i < cnt; i++) {
		int64_t j = 0;
		if (n->a.mode != IR_RESIZE_LINEAR) {
			for (int k = 0; k < r; k++)
				j += ir_resize_nearest(&n->a, idx[k], xs->d[k], ys->d[k], s[k]) *
				     xst[k];
			box_put(y, i, box_lo(x, j), box_hi(x, j));
		} else {
			int64_t y0, y1, x0, x1;
			float w[4];
			for (int k = 0; k < r - 2; k++)
				j += idx[k] * xst[k];
			ir_resize_linear(&n->a, idx[r - 2], xs->d[r - 2], ys->d[r - 2], s[r - 2],
			                 &y0, &y1, &w[0], &w[1]);
			ir_resize_linear(&n->a, idx[r - 1], xs->d[r - 1], ys->d[r - 1], s[r - 1],
			                 &x0, &x1, &w[2], &w[3]);
			const int64_t t[4] = {y0 * xst[r - 2] + x0, y0 * xst[r - 2] + x1,
			                      y1 * xst[r - 2] + x0, y1 * xst[r - 2] + x1};
			double lo = INFINITY, hi = -INFINITY;
			for (int q = 0; q < 4; q++) {
				lo = fmin(lo, box_lo(x, j + t[q]));
				hi = fmax(hi, box_hi(x, j + t[q]));
			}
			double e = fmax(fabs(lo), fabs(hi)) * 0x1p-19;
			box_put(y, i, lo - e, hi + e);
		}
		for (int k = r - 1; k >= 0 && ++idx[k] == ys->d[k]; k--)
			idx[k] = 0;
	}
}

static void range(RangeCtx *c, const Node *n)
{
	switch (n->op) {
	case OP_FLATTEN:
	case OP_RESHAPE: pass_range_same(c, n); break;
	case OP_PAD: pad_range(c, n); break;
	case OP_TRANSPOSE: transpose_range(c, n); break;
	case OP_SLICE: slice_range(c, n); break;
	case OP_GATHER: gather_range(c, n); break;
	case OP_EXPAND: expand_range(c, n); break;
	case OP_RESIZE: resize_range(c, n); break;
	default: ICE("propagate-ranges: %s is not a shape op", ir_ops[n->op].name);
	}
}

/* ---- check-overflow ----------------------------------------------------------- */

static int overflow(const Graph *g, const Node *n, QRange *r, Diag *d)
{
	const Value *x = &g->vals[n->in[0]];
	QRange xr = r[n->in[0]];

	(void)d;
	switch (n->op) {
	case OP_FLATTEN:
	case OP_RESHAPE:
	case OP_TRANSPOSE:
	case OP_SLICE:
	case OP_GATHER:
	case OP_EXPAND:
	case OP_RESIZE: r[n->out] = xr; return 0; /* linear: within its inputs */
	case OP_PAD: { /* x's integers and the quantized pad value */
		if (n->a.pad_mode != IR_PAD_CONSTANT) {
			r[n->out] = xr; /* x's elements only */
			return 0;
		}
		int32_t v = ir_quantize_value(n->a.value, x->q.scale[0], x->q.zp, x->dt);
		r[n->out] = (QRange){xr.lo < v ? xr.lo : v, xr.hi > v ? xr.hi : v};
		return 0;
	}
	default: ICE("check-overflow: %s is not a shape op", ir_ops[n->op].name);
	}
}

/* ---- quantize ------------------------------------------------------------------ */

/* pad keeps its input's parameters (TFLite): a value they cannot represent
 * saturates, which the user should hear about. */
static void warn_pad_value(QuantCtx *q, const Node *n)
{
	const Value *x = &q->g->vals[n->in[0]];
	float s = x->q.scale[0], v = n->a.value;
	float lo = s * (float)(ir_qmin(x->dt) - x->q.zp),
	      hi = s * (float)(ir_qmax(x->dt) - x->q.zp);

	if (v >= lo - s / 2 && v <= hi + s / 2)
		return;
	diag_warning(q->d, n->loc,
	             "pad: value %g lies outside [%g, %g], what '%s' (whose "
	             "quantization the result keeps) represents: it saturates to %g",
	             (double)v, (double)lo, (double)hi, x->name,
	             (double)(s * (float)(ir_quantize_value(v, s, x->q.zp, x->dt) - x->q.zp)));
}

/* OPF_KEEPQ: the caller has given the result its input's parameters. */
static int quantize(QuantCtx *q, Node *n, DType dt)
{
	(void)dt;
	if (n->op == OP_PAD && n->a.pad_mode == IR_PAD_CONSTANT)
		warn_pad_value(q, n);
	return 0;
}

const PassRules pass_rules_shape = {
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
