/* passes/fam_elementwise.c — the elementwise family's pass rules
 * (pass_rules.h): what infer-shapes, propagate-ranges, check-overflow and
 * quantize do with add, sub, mul, div, max, min, prelu, the comparisons,
 * where (NumPy broadcasting) and concat.
 *   shapes      ir_eltwise_shape (ir/fam_elementwise.c)
 *   ranges      add [a+c, b+d]; sub [a-d, b-c]; mul, div: the least and
 *               greatest of the four corners (div unbounded when the
 *               divisor's interval holds 0); max [max(a,c), max(b,d)],
 *               min [min(a,c), min(b,d)]; prelu the hull of [max(a,0), b]
 *               (b >= 0) and the corners of [a, min(b,0)] * slope (a < 0);
 *               all widened by one float rounding, then the fused
 *               activation; concat: each
 *               operand's intervals where its elements go
 *   overflow    add, sub, mul, prelu: their int32 intermediates
 *               (check_binary); div: |(a - zp) * 2^k| < 2^31 by the
 *               choice of k, nothing to prove; max, min and concat only
 *               requantize and copy
 *   quantize    every operand in the layer's type (a u8 mask stays u8);
 *               the result from its range or pin (a comparison's mask:
 *               none)
 *   not, and, or, xor, to_bool   a u8 mask [0, 1], nothing to prove
 *   masks       a comparison's result is [0, 1] (no calibration), where's
 *               the hull of its two operands'; its overflow: add's shifted
 *               operands
 *   powv        x ^ y over the box of the two intervals (powv_interval);
 *               int8 is a table lookup, int16's steps are bounded by
 *               construction (ops.def): nothing to prove; quantize builds
 *               the table
 *   int64       i64 operands (add, sub, mul, div, max, min): an i64 result,
 *               no range (unbounded), nothing to prove (it wraps), never
 *               quantized (quantize keeps the node as it is) */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eltwise.h"
#include "pass_rules.h"
#include "qrt.h"

/* ---- infer-shapes ------------------------------------------------------------- */

static int infer(Graph *g, Node *n, Diag *d, Shape *s, DType *dt)
{
	if (ir_is_compare(n->op) || ir_is_mask_logic(n->op))
		*dt = DT_U8; /* a mask */
	else if (n->op == OP_WHERE)
		*dt = g->vals[n->in[1]].dt; /* the operands' (operand 0 is the mask) */
	return ir_eltwise_shape(g, n, s, d);
}

/* ---- propagate-ranges --------------------------------------------------------- */

static void unbounded(RangeCtx *c, const Node *n)
{
	int64_t len = ir_shape_numel(&c->g->vals[n->out].shape);
	Box *y = pass_box_new(c, n->out);

	for (int64_t i = 0; i < (y->coarse ? 1 : len); i++)
		box_put(y, i, -INFINITY, INFINITY);
}

/* The least and greatest of the four corner results p[0..3] (NaN if any
 * is NaN). */
static void corners(const double *p, double *lo, double *hi)
{
	*lo = *hi = p[0];
	for (int k = 1; k < 4; k++) {
		*lo = isnan(p[k]) || isnan(*lo) ? NAN : fmin(*lo, p[k]);
		*hi = isnan(p[k]) || isnan(*hi) ? NAN : fmax(*hi, p[k]);
	}
}

/* [al, ah] op [bl, bh] before rounding: add [al+bl, ah+bh], sub [al-bh,
 * ah-bl], mul and div the least and greatest corner (a quotient is monotonic
 * in each operand while the divisor keeps its sign); a divisor interval
 * holding 0 gives NaN: unbounded. */
static void interval(Op op, double al, double ah, double bl, double bh, double *lo, double *hi)
{
	switch (op) {
	case OP_ADD:
		*lo = al + bl;
		*hi = ah + bh;
		return;
	case OP_SUB:
		*lo = al - bh;
		*hi = ah - bl;
		return;
	case OP_DIV:
		if (bl <= 0 && bh >= 0) {
			*lo = *hi = NAN;
			return;
		}
		corners((const double[4]){al / bl, al / bh, ah / bl, ah / bh}, lo, hi);
		return;
	case OP_MUL: corners((const double[4]){al * bl, al * bh, ah * bl, ah * bh}, lo, hi); return;
	case OP_MAX:
		*lo = fmax(al, bl);
		*hi = fmax(ah, bh);
		return;
	case OP_MIN:
		*lo = fmin(al, bl);
		*hi = fmin(ah, bh);
		return;
	case OP_PRELU: {
		/* x >= 0 keeps x; x < 0 is scaled by the slope */
		double nl, nh;
		*lo = INFINITY;
		*hi = -INFINITY;
		if (ah >= 0) {
			*lo = fmax(al, 0);
			*hi = ah;
		}
		if (al < 0) {
			double xh = fmin(ah, 0);
			corners((const double[4]){al * bl, al * bh, xh * bl, xh * bh}, &nl, &nh);
			*lo = isnan(nl) ? NAN : fmin(*lo, nl);
			*hi = isnan(nh) ? NAN : fmax(*hi, nh);
		}
		return;
	}
	default: ICE("propagate-ranges: %s is not a binary op", ir_ops[op].name);
	}
}

/* x ^ y over x in [al, ah], y in [bl, bh], as qrt_powf: for x > 0 it is
 * exp(y ln x), y ln x bilinear in (y, ln x), so its extremes are at the
 * corners, and so are their limits at x = 0 unless y < 0 there (a pole).
 * x < 0 takes |x|'s magnitudes with either sign (odd integer exponents
 * negate, the others are NaN).  NaN: unbounded. */
static void powv_interval(double al, double ah, double bl, double bh, double *lo, double *hi)
{
	double ml = al <= 0 && ah >= 0 ? 0 : fmin(fabs(al), fabs(ah)),
	       mh = fmax(fabs(al), fabs(ah));
	double p[4];

	if (isnan(al) || isnan(ah) || isnan(bl) || isnan(bh) || (ml == 0 && bl < 0)) {
		*lo = *hi = NAN;
		return;
	}
	p[0] = qrt_unary(QRT_U_POW, ml, bl, 0);
	p[1] = qrt_unary(QRT_U_POW, ml, bh, 0);
	p[2] = qrt_unary(QRT_U_POW, mh, bl, 0);
	p[3] = qrt_unary(QRT_U_POW, mh, bh, 0);
	corners(p, lo, hi);
	if (al < 0 && !isnan(*hi)) /* an odd exponent may negate any magnitude */
		*lo = -*hi;
}

/* add, sub, mul, div, powv: the interval of interval() (powv_interval),
 * widened by the float roundings of the result (one; qrt_powf is within
 * about an ulp once rounded to float: two), then the fused activation (powv
 * has none); broadcast operands are read at the output's index.  NaN bounds
 * (inf - inf, 0 * inf, inf / inf, a divisor that may be 0, a pole of pow)
 * mean the float result may be NaN or infinite: unbounded, no act (it lets
 * NaN through). */
static void binary(RangeCtx *c, const Node *n)
{
	const Shape *ys = &c->g->vals[n->out].shape;
	int64_t sa[IR_MAX_RANK], sb[IR_MAX_RANK], len = ir_shape_numel(ys);
	const int pow = n->op == OP_POWV;
	Box *y = pass_box_new(c, n->out);

	ir_broadcast_strides(&c->g->vals[n->in[0]].shape, ys, sa);
	ir_broadcast_strides(&c->g->vals[n->in[1]].shape, ys, sb);
	for (int64_t i = 0; i < len; i++) {
		int64_t ia, ib;
		double al, ah, bl, bh, lo, hi;
		ir_broadcast_at(ys, i, sa, sb, &ia, &ib);
		pass_range_opnd(c, n, 0, ia, &al, &ah);
		pass_range_opnd(c, n, 1, ib, &bl, &bh);
		if (pow)
			powv_interval(al, ah, bl, bh, &lo, &hi);
		else
			interval(n->op, al, ah, bl, bh, &lo, &hi);
		if (isnan(lo) || isnan(hi)) {
			box_put(y, i, -INFINITY, INFINITY);
			continue;
		}
		lo -= pass_float_error(1 + pow, fabs(lo));
		hi += pass_float_error(1 + pow, fabs(hi));
		pass_range_act(n->a.act, &lo, &hi);
		box_put(y, i, lo, hi);
	}
}

/* The operands' intervals, placed where concat puts their elements (so the
 * result's hull is the hull of the operands'). */
static void concat_range(RangeCtx *c, const Node *n)
{
	const Shape *ys = &c->g->vals[n->out].shape;
	int ax = ir_concat_axis(n->a.axis, ys->rank);
	int64_t outer = 1, inner = 1, off = 0;
	Box *y = pass_box_new(c, n->out);

	for (int k = 0; k < ax; k++)
		outer *= ys->d[k];
	for (int k = ax + 1; k < ys->rank; k++)
		inner *= ys->d[k];
	for (int i = 0; i < n->nin; i++) {
		int64_t xstep = c->g->vals[n->in[i]].shape.d[ax] * inner;
		for (int64_t o = 0; o < outer; o++)
			for (int64_t j = 0; j < xstep; j++) {
				int64_t yi = o * ys->d[ax] * inner + off + j;
				double lo, hi;
				pass_range_opnd(c, n, i, o * xstep + j, &lo, &hi);
				box_put(y, yi, lo, hi);
			}
		off += xstep;
	}
}

/* A mask is 0 or 1: no calibration. */
static void mask_range(RangeCtx *c, const Node *n)
{
	int64_t len = ir_shape_numel(&c->g->vals[n->out].shape);
	Box *y = pass_box_new(c, n->out);

	for (int64_t i = 0; i < (y->coarse ? 1 : len); i++)
		box_put(y, i, 0, 1);
}

/* where: each element is one of its two operands' elements, so the hull of
 * their intervals there. */
static void where_range(RangeCtx *c, const Node *n)
{
	const Shape *ys = &c->g->vals[n->out].shape;
	int64_t sa[IR_MAX_RANK], sb[IR_MAX_RANK], len = ir_shape_numel(ys);
	Box *y = pass_box_new(c, n->out);

	ir_broadcast_strides(&c->g->vals[n->in[1]].shape, ys, sa);
	ir_broadcast_strides(&c->g->vals[n->in[2]].shape, ys, sb);
	for (int64_t i = 0; i < len; i++) {
		int64_t ia, ib;
		double al, ah, bl, bh;
		ir_broadcast_at(ys, i, sa, sb, &ia, &ib);
		pass_range_opnd(c, n, 1, ia, &al, &ah);
		pass_range_opnd(c, n, 2, ib, &bl, &bh);
		box_put(y, i, fmin(al, bl), fmax(ah, bh));
	}
}

static void range(RangeCtx *c, const Node *n)
{
	if (!ir_eltwise_ok(c->g, n) || c->g->vals[n->out].dt == DT_I64)
		unbounded(c, n); /* shapes infer-shapes would refuse */
	else if (ir_is_compare(n->op) || ir_is_mask_logic(n->op))
		mask_range(c, n);
	else if (n->op == OP_WHERE)
		where_range(c, n);
	else if (n->op == OP_CONCAT)
		concat_range(c, n);
	else
		binary(c, n);
}

/* ---- check-overflow ----------------------------------------------------------- */

/* The largest |q - zp| of operand v: from its integer range, or for a
 * constant from its data. */
static uint64_t max_dev(const Value *v, QRange vr)
{
	int64_t lo = vr.lo, hi = vr.hi;

	if (v->kind == VK_CONST) {
		int64_t cnt = ir_shape_numel(&v->shape);
		lo = hi = v->q.zp;
		for (int64_t i = 0; i < cnt; i++) {
			int64_t q = v->dt == DT_I8 ? ((const int8_t *)v->data)[i]
			                           : ((const int16_t *)v->data)[i];
			lo = q < lo ? q : lo;
			hi = q > hi ? q : hi;
		}
	}
	return (uint64_t)(hi - v->q.zp > v->q.zp - lo ? hi - v->q.zp : v->q.zp - lo);
}

/* add: (q - zp) << left must fit int32, and so must the sum of the two
 * rescaled operands, each at most |(q - zp) << left| * M + 1 with M <= 1/2
 * (a multiplier below one: one rounding adds at most 1).  For int8,
 * |q - zp| <= 255 and 255 << 20 < 2^28, so neither can overflow; for int16,
 * 65535 << 15 < 2^31 - 1 and the two halves add up to less than 2^31 too.
 * mul: |(a - zp_a) * (b - zp_b)| must fit: 255 * 255 < 2^16 for int8, but
 * an int16 operand with a zero point off 0 can exceed 2^31 - 1. */
static int check_binary(const Graph *g, const Node *n, const QRange *r, Diag *d)
{
	const Value *a = &g->vals[n->in[0]], *b = &g->vals[n->in[1]];
	uint64_t ma = max_dev(a, r[n->in[0]]), mb = max_dev(b, r[n->in[1]]);
	const char *op = ir_ops[n->op].name, *out = g->vals[n->out].name;
	IrBinParams p;

	if (!b->q.present || b->q.n != 1 || b->dt != a->dt || !ir_eltwise_ok(g, n))
		return 0; /* not a quantized add / mul the kernels accept: they say so */
	ir_binary_params(g, n, &p);
	if (n->op == OP_MUL || n->op == OP_PRELU) {
		if (ma * mb > (uint64_t)INT32_MAX) {
			diag_error(d, n->loc,
			           "%s '%s': the int32 product (a - zp) * (b - zp) can reach "
			           "%llu * %llu (> 2^31-1)",
			           op, out, (unsigned long long)ma, (unsigned long long)mb);
			return -1;
		}
		return 0;
	}
	double sum = 0;
	for (int k = 0; k < 2; k++) {
		uint64_t sh = (k ? mb : ma) << p.left;
		if (sh > (uint64_t)INT32_MAX) {
			diag_error(d, n->loc,
			           "%s '%s': operand %d shifted left by %d can reach %llu "
			           "(> 2^31-1)",
			           op, out, k, p.left, (unsigned long long)sh);
			return -1;
		}
		/* sub's M_b is negative: its magnitude bounds the rescaled operand */
		sum += (double)sh * ldexp(fabs((double)p.mult[k]), p.shift[k] - 31) + 1.0;
	}
	if (sum > (double)INT32_MAX) {
		diag_error(d, n->loc,
		           "%s '%s': the int32 sum of the rescaled operands can reach %.0f "
		           "(> 2^31-1)",
		           op, out, sum);
		return -1;
	}
	return 0;
}

static int overflow(const Graph *g, const Node *n, QRange *r, Diag *d)
{
	const Value *y = &g->vals[n->out];
	int rc = 0;

	if (y->dt == DT_I64)
		return 0; /* int64 wraps by definition: nothing to prove */
	switch (n->op) {
	case OP_ADD:
	case OP_SUB:
	case OP_MUL:
	case OP_PRELU:
	case OP_DIV: /* div: |(a - zp) * 2^k| < 2^31 by the choice of k */
		rc = n->op == OP_DIV ? 0 : check_binary(g, n, r, d);
		ir_act_bounds(n->a.act, y->dt, y->q.scale[0], y->q.zp, &r[n->out].lo,
		              &r[n->out].hi);
		return rc;
	case OP_EQUAL:
	case OP_LESS:
	case OP_GREATER:
	case OP_LESS_EQUAL:
	case OP_GREATER_EQUAL: /* add's shifted operands, without the sum */
		rc = check_binary(g, n, r, d);
		r[n->out] = (QRange){0, 1};
		return rc;
	case OP_NOT:
	case OP_AND:
	case OP_OR:
	case OP_XOR:
	case OP_TO_BOOL: /* q != zp and logic on 0 / 1: no arithmetic */
		r[n->out] = (QRange){0, 1};
		return 0;
	case OP_WHERE:
	case OP_MAX:
	case OP_MIN:
	case OP_POWV: /* int8 a table; int16 bounded by construction (ops.def) */
	case OP_CONCAT: /* copies and clamped requantizations */
		r[n->out] = (QRange){ir_qmin(y->dt), ir_qmax(y->dt)};
		return 0;
	default: ICE("check-overflow: %s is not an elementwise op", ir_ops[n->op].name);
	}
}

/* ---- quantize ------------------------------------------------------------------ */

/* powv's table, operand 2: int8 the i8[65536] of ir_powv_table, int16 the
 * i32[514] of ir_powv_lut16 (refused when the exponent's scale is outside
 * the range ir_powv_params computes in). */
static int powv_table(QuantCtx *q, Node *n, DType dt)
{
	Graph *g = q->g;
	const Value *a = &g->vals[n->in[0]], *b = &g->vals[n->in[1]], *y = &g->vals[n->out];
	const int64_t len = dt == DT_I8 ? IR_POWV_TABLE_N : IR_POWV_LUT16_N;
	const size_t bytes = (size_t)len * (size_t)ir_dtype_size(dt == DT_I8 ? DT_I8 : DT_I32);
	void *t = ir_xmalloc(bytes);
	char base[256];
	IrPowvParams p;

	if (dt == DT_I8)
		ir_powv_table(a->q.scale[0], a->q.zp, b->q.scale[0], b->q.zp, y->q.scale[0],
		              y->q.zp, t);
	else if (ir_powv_params(a->q.scale[0], a->q.zp, b->q.scale[0], b->q.zp, y->q.scale[0],
	                        y->q.zp, &p)) {
		diag_error(q->d, n->loc,
		           "quantize: powv '%s': the exponent '%s' has the int16 scale %.9g, "
		           "outside [2^-46, 2^14): compute it in int8 or f32",
		           y->name, b->name, (double)b->q.scale[0]);
		free(t);
		return -1;
	} else
		ir_powv_lut16(t);
	snprintf(base, sizeof base, "%s.table", y->name);
	int v = ir_value_new_unique(g, base, VK_CONST, n->loc);
	Value *tv = &g->vals[v];
	tv->has_type = 1;
	tv->dt = dt == DT_I8 ? DT_I8 : DT_I32;
	tv->shape.rank = 1;
	tv->shape.d[0] = len;
	tv->data = ir_alloc(g, bytes);
	memcpy(tv->data, t, bytes);
	free(t);
	n->in[2] = v;
	n->nin = 3;
	return 0;
}

/* The operands are in dt already (convert_all); the result's parameters
 * from its pin or range. */
static int quantize(QuantCtx *q, Node *n, DType dt)
{
	if (ir_is_compare(n->op) || ir_is_mask_logic(n->op)) { /* a mask stays u8 */
		q->g->vals[n->out].dt = DT_U8;
		q->g->vals[n->out].q.present = 0;
		return 0;
	}
	if (pass_result_qparams(q, n, dt))
		return -1;
	return n->op == OP_POWV ? powv_table(q, n, dt) : 0;
}

/* A div's result has no propagated range when its divisor's interval holds
 * 0 (or is unknown): the quotient is unbounded. */
static void why_no_range(const Graph *g, const Node *n, Diag *d)
{
	if (n->op != OP_DIV)
		return;
	const Value *b = &g->vals[n->in[1]];
	if (b->def >= 0 && b->def < g->nnode && g->nodes[b->def].op == OP_DEQUANTIZE)
		b = &g->vals[g->nodes[b->def].in[0]]; /* name the value the user wrote */
	if (b->has_range)
		diag_note(d, n->loc,
		          "the divisor '%s' may be 0 (its range [%g, %g] holds 0): "
		          "the quotient is unbounded; calibrate it (--calib) or clip it",
		          b->name, (double)b->range[0], (double)b->range[1]);
	else
		diag_note(
		        d, n->loc,
		        "the divisor '%s' has no range, so it may be 0: the "
		        "quotient is unbounded; calibrate it (--calib) or declare its input's range",
		        b->name);
}

const PassRules pass_rules_elementwise = {
        .infer = infer,
        .macs = pass_no_macs,
        .range = range,
        .overflow = overflow,
        .convert_all = 1,
        .own_qparams = 0,
        .quantize = quantize,
        .why_no_range = why_no_range,
        .bias_error = NULL,
};
