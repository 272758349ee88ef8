/* passes/fam_reduce.c — the reduce family's pass rules (pass_rules.h):
 * what infer-shapes, propagate-ranges, check-overflow and quantize do with
 * reduce_sum, reduce_mean, reduce_max, reduce_min, reduce_prod, reduce_l2.
 *   shapes      ir_reduce_geo (ir/fam_reduce.c): the input with the
 *               reduced axes set to 1 (keepdims) or dropped
 *   ranges      per output element, from its input elements' intervals:
 *               sum [sum lo, sum hi]; mean that / count; max [max lo, max
 *               hi]; min [min lo, min hi]; prod the hull of the corner
 *               products, element by element; l2 [sqrt(sum of the least
 *               x^2), sqrt(sum of the greatest x^2)]; each widened by the
 *               rounding of the float arithmetic
 *   overflow    sum, mean: count * max|x - zp| fits int32; l2: the rounded
 *               square root of count * max|x - zp|^2 fits int32; prod: the
 *               int64 product acc * (x - zp) below 2^47 (where ir_mbqm64
 *               would saturate) at every step, acc bounded
 *               step by step (|acc_0| <= m, |acc'| <= |acc| * m * C + 1,
 *               m = max|x - zp|); max, min keep
 *               the input's integers
 *   quantize    max, min keep the input's parameters (OPF_KEEPQ); the
 *               others from their range or pin */
#include <math.h>

#include "eltwise.h"
#include "pass_rules.h"

/* ---- infer-shapes ------------------------------------------------------------- */

static int infer(Graph *g, Node *n, Diag *d, Shape *s, DType *dt)
{
	const Value *x = &g->vals[n->in[0]];
	IrReduceGeo rg;

	(void)dt; /* the input's */
	if (n->a.keepdims != 0 && n->a.keepdims != 1) {
		diag_error(d, n->loc, "%s: keepdims must be 0 or 1", ir_ops[n->op].name);
		return -1;
	}
	if (ir_reduce_geo(&x->shape, &n->a, &rg, s)) {
		diag_error(d, n->loc, "%s: axes out of range or repeated for an input of rank %d",
		           ir_ops[n->op].name, x->shape.rank);
		return -1;
	}
	return 0;
}

/* ---- propagate-ranges --------------------------------------------------------- */

static void range(RangeCtx *c, const Node *n)
{
	const Value *x = &c->g->vals[n->in[0]];
	Box *y = pass_box_new(c, n->out);
	IrReduceGeo rg;
	Shape s;

	if (ir_reduce_geo(&x->shape, &n->a, &rg, &s) ||
	    !ir_shape_eq(&s, &c->g->vals[n->out].shape)) {
		for (int64_t i = 0; i < (y->coarse ? 1 : ir_shape_numel(&c->g->vals[n->out].shape));
		     i++)
			box_put(y, i, -INFINITY, INFINITY);
		return;
	}
	for (int64_t o = 0; o < rg.nout; o++) {
		int64_t base = ir_reduce_base(&rg, o);
		double lo = 0, hi = 0, mag = 0;
		switch (n->op) {
		case OP_REDUCE_MAX:
		case OP_REDUCE_MIN: lo = hi = n->op == OP_REDUCE_MAX ? -INFINITY : INFINITY; break;
		case OP_REDUCE_PROD: lo = hi = 1; break;
		default: break;
		}
		for (int64_t r = 0; r < rg.count; r++) {
			int64_t off = base, rr = r;
			double l, h;
			for (int k = rg.nr - 1; k >= 0; k--) {
				off += rr % rg.rd[k] * rg.rs[k];
				rr /= rg.rd[k];
			}
			pass_range_opnd(c, n, 0, off, &l, &h);
			switch (n->op) {
			case OP_REDUCE_SUM:
			case OP_REDUCE_MEAN:
				lo += l;
				hi += h;
				mag += fmax(fabs(l), fabs(h));
				break;
			case OP_REDUCE_MAX:
				lo = fmax(lo, l);
				hi = fmax(hi, h);
				break;
			case OP_REDUCE_MIN:
				lo = fmin(lo, l);
				hi = fmin(hi, h);
				break;
			case OP_REDUCE_PROD: {
				double p[4] = {lo * l, lo * h, hi * l, hi * h};
				lo = hi = p[0];
				for (int k = 1; k < 4; k++) {
					lo = isnan(p[k]) || isnan(lo) ? NAN : fmin(lo, p[k]);
					hi = isnan(p[k]) || isnan(hi) ? NAN : fmax(hi, p[k]);
				}
				mag = fmax(fabs(lo), fabs(hi));
				break;
			}
			case OP_REDUCE_L2: {
				double a = fabs(l), b = fabs(h), big = fmax(a, b);
				double small = l <= 0 && h >= 0 ? 0 : fmin(a, b);
				lo += small * small;
				hi += big * big;
				mag = hi;
				break;
			}
			default: ICE("propagate-ranges: %s is not a reduction", ir_ops[n->op].name);
			}
		}
		if (isnan(lo) || isnan(hi)) {
			box_put(y, o, -INFINITY, INFINITY);
			continue;
		}
		if (n->op != OP_REDUCE_MAX && n->op != OP_REDUCE_MIN) {
			/* count roundings (two per element for l2), then the division or sqrt */
			double e = pass_float_error(n->op == OP_REDUCE_L2 ? 2 * rg.count : rg.count,
			                            mag);
			lo -= e;
			hi += e;
			if (n->op == OP_REDUCE_MEAN) {
				lo /= (double)rg.count;
				hi /= (double)rg.count;
			}
			if (n->op == OP_REDUCE_L2) {
				lo = sqrt(fmax(lo, 0));
				hi = sqrt(hi);
			}
			lo -= fabs(lo) * 0x1p-23 + 0x1p-149;
			hi += fabs(hi) * 0x1p-23 + 0x1p-149;
			if (n->op == OP_REDUCE_L2)
				lo = fmax(lo, 0);
		}
		box_put(y, o, lo, hi);
	}
}

/* ---- check-overflow ----------------------------------------------------------- */

static int overflow(const Graph *g, const Node *n, QRange *r, Diag *d)
{
	const Value *x = &g->vals[n->in[0]], *y = &g->vals[n->out];
	const char *op = ir_ops[n->op].name;
	QRange xr = r[n->in[0]];
	int64_t m = (int64_t)xr.hi - x->q.zp > (int64_t)x->q.zp - xr.lo ? (int64_t)xr.hi - x->q.zp
	                                                                : (int64_t)x->q.zp - xr.lo;
	IrReduceGeo rg;
	Shape s;

	if (ir_reduce_geo(&x->shape, &n->a, &rg, &s))
		return 0; /* the kernels refuse it */
	r[n->out] = (QRange){ir_qmin(y->dt), ir_qmax(y->dt)};
	switch (n->op) {
	case OP_REDUCE_MAX:
	case OP_REDUCE_MIN: r[n->out] = xr; return 0;
	case OP_REDUCE_SUM:
	case OP_REDUCE_MEAN:
		if ((double)m * (double)rg.count <= INT32_MAX)
			return 0;
		diag_error(d, n->loc,
		           "%s '%s': the int32 sum of %lld elements (x - zp) can reach %.0f "
		           "(> 2^31-1)",
		           op, y->name, (long long)rg.count, (double)m * (double)rg.count);
		return -1;
	case OP_REDUCE_L2: {
		/* count * m^2 < 2^63 for the uint64 sum, its root + 1 < 2^31 */
		double sq = (double)m * (double)m * (double)rg.count;
		if (sq < 0x1p62 && sqrt(sq) + 1 <= INT32_MAX)
			return 0;
		diag_error(d, n->loc,
		           "%s '%s': the square root of the sum of %lld squares can reach %.0f "
		           "(> 2^31-1)",
		           op, y->name, (long long)rg.count, sqrt(sq));
		return -1;
	}
	case OP_REDUCE_PROD: {
		int32_t mult;
		int shift;
		double acc = (double)m, cm;
		ir_reduce_params(g, n, &mult, &shift);
		cm = ldexp((double)mult, shift - 31);
		for (int64_t i = 1; i < rg.count; i++) {
			if (acc * (double)m >= 0x1p47) {
				diag_error(d, n->loc,
				           "%s '%s': the product acc * (x - zp) at element "
				           "%lld of %lld can reach %.0f (>= 2^47)",
				           op, y->name, (long long)i + 1, (long long)rg.count,
				           acc * (double)m);
				return -1;
			}
			/* mbqm64's 16-bit multiplier is at most 2^-15 above C */
			acc = fmin(floor(acc * (double)m * cm * (1 + 0x1p-15)) + 1, INT32_MAX);
		}
		return 0;
	}
	default: ICE("check-overflow: %s is not a reduction", op);
	}
}

/* ---- quantize ------------------------------------------------------------------ */

/* max, min: OPF_KEEPQ, the caller has given the result its input's
 * parameters; the others from their range or pin. */
static int quantize(QuantCtx *q, Node *n, DType dt)
{
	if (ir_ops[n->op].flags & OPF_KEEPQ)
		return 0;
	return pass_result_qparams(q, n, dt);
}

const PassRules pass_rules_reduce = {
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
