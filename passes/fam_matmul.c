/* passes/fam_matmul.c — the matmul family's pass rules (pass_rules.h): what
 * infer-shapes, propagate-ranges, check-overflow and quantize do with
 * matmul, the product of two run-time tensors.
 *   shapes      ir_matmul_geo (ir/fam_matmul.c): [.., M, K] x [.., K, N],
 *               the batch axes broadcast
 *   ranges      per output element, the sum over k of the product
 *               intervals of a[m,k] and b[k,n], widened by the float
 *               rounding of a K-term sum
 *   overflow    |acc| <= K * max |a - zp_a| * max |b - zp_b| must fit int32
 *               (int8) or the 2^47 that ir_mbqm64 takes (int16)
 *   quantize    both operands in the layer's type (per tensor), the result
 *               from its range or pin (TFLite BATCH_MATMUL) */
#include <math.h>

#include "matmul.h"
#include "pass_rules.h"

/* ---- infer-shapes ------------------------------------------------------------- */

static int infer(Graph *g, Node *n, Diag *d, Shape *s, DType *dt)
{
	const Value *a = &g->vals[n->in[0]], *b = &g->vals[n->in[1]];
	char b0[96], b1[96];
	MatGeo mg;

	(void)dt; /* the first operand's */
	if (a->dt != b->dt)
		return diag_error(d, n->loc, "matmul: operand '%s' is %s, '%s' is %s", a->name,
		                  ir_dtype_name(a->dt), b->name, ir_dtype_name(b->dt)),
		       -1;
	if (a->dt != DT_F32 && a->dt != DT_I8 && a->dt != DT_I16)
		return diag_error(d, n->loc, "matmul: unsupported operand type %s",
		                  ir_dtype_name(a->dt)),
		       -1;
	if (ir_matmul_geo(&a->shape, &b->shape, &mg, s))
		return diag_error(d, n->loc,
		                  "matmul: '%s' %s times '%s' %s: operands must be [.., M, K] and "
		                  "[.., K, N] (rank 2 or more) with broadcasting batch axes",
		                  a->name, ir_shape_str(&a->shape, b0, sizeof b0), b->name,
		                  ir_shape_str(&b->shape, b1, sizeof b1)),
		       -1;
	return 0;
}

static int64_t macs(const Graph *g, const Node *n)
{
	int64_t m;

	if (!ir_mul_ok(ir_shape_numel(&g->vals[n->out].shape),
	               g->vals[n->in[0]].shape.d[g->vals[n->in[0]].shape.rank - 1], &m))
		return INT64_MAX;
	return m;
}

/* ---- propagate-ranges --------------------------------------------------------- */

/* The least and greatest product of [al, ah] and [bl, bh] (NaN if 0 * inf). */
static void product(double al, double ah, double bl, double bh, double *lo, double *hi)
{
	double p[4] = {al * bl, al * bh, ah * bl, ah * bh};

	*lo = *hi = p[0];
	for (int k = 1; k < 4; k++) {
		*lo = isnan(p[k]) || isnan(*lo) ? NAN : fmin(*lo, p[k]);
		*hi = isnan(p[k]) || isnan(*hi) ? NAN : fmax(*hi, p[k]);
	}
}

static void range(RangeCtx *c, const Node *n)
{
	const Graph *g = c->g;
	MatGeo mg;
	Shape s;
	Box *y = pass_box_new(c, n->out);

	if (ir_matmul_geo(&g->vals[n->in[0]].shape, &g->vals[n->in[1]].shape, &mg, &s) ||
	    !ir_shape_eq(&s, &g->vals[n->out].shape)) {
		/* shapes infer-shapes would refuse */
		for (int64_t i = 0; i < (y->coarse ? 1 : ir_shape_numel(&g->vals[n->out].shape));
		     i++)
			box_put(y, i, -INFINITY, INFINITY);
		return;
	}
	for (int64_t t = 0; t < mg.nbatch; t++) {
		int64_t oa, ob;
		ir_matmul_batch(&mg, t, &oa, &ob);
		for (int64_t m = 0; m < mg.M; m++)
			for (int64_t j = 0; j < mg.N; j++) {
				double lo = 0, hi = 0, mag = 0;
				for (int64_t k = 0; k < mg.K; k++) {
					double al, ah, bl, bh, pl, ph;
					pass_range_opnd(c, n, 0, oa + m * mg.K + k, &al, &ah);
					pass_range_opnd(c, n, 1, ob + k * mg.N + j, &bl, &bh);
					product(al, ah, bl, bh, &pl, &ph);
					lo += pl;
					hi += ph;
					mag += fmax(fabs(pl), fabs(ph));
				}
				int64_t yi = (t * mg.M + m) * mg.N + j;
				if (isnan(lo) || isnan(hi)) {
					box_put(y, yi, -INFINITY, INFINITY);
					continue;
				}
				double e = pass_float_error(mg.K, mag);
				box_put(y, yi, lo - e, hi + e);
			}
	}
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

/* Each product is at most ma * mb (<= 65535^2 < 2^33), so K of them at most
 * K * ma * mb: int8 layers need that below 2^31, int16 ones below 2^47,
 * where ir_mbqm64 would start to saturate its input. */
static int overflow(const Graph *g, const Node *n, QRange *r, Diag *d)
{
	const Value *a = &g->vals[n->in[0]], *b = &g->vals[n->in[1]], *y = &g->vals[n->out];
	uint64_t ma = max_dev(a, r[n->in[0]]), mb = max_dev(b, r[n->in[1]]);
	uint64_t K = (uint64_t)a->shape.d[a->shape.rank - 1];
	int acc64 = y->dt == DT_I16;
	double bound = (double)K * (double)ma * (double)mb;
	double limit = acc64 ? ldexp(1, 47) - 1 : (double)INT32_MAX;

	r[n->out] = (QRange){ir_qmin(y->dt), ir_qmax(y->dt)};
	if (bound > limit) {
		diag_error(
		        d, n->loc,
		        "matmul '%s': the %s accumulator can reach %.3g (> %s): it adds %llu "
		        "products (a - zp) * (b - zp) with |a - zp| <= %llu and |b - zp| <= %llu",
		        y->name, acc64 ? "int64" : "int32", bound, acc64 ? "2^47" : "2^31-1",
		        (unsigned long long)K, (unsigned long long)ma, (unsigned long long)mb);
		return -1;
	}
	return 0;
}

/* ---- quantize ------------------------------------------------------------------ */

/* Both operands are in dt already (convert_all); the result's parameters
 * from its pin or range. */
static int quantize(QuantCtx *q, Node *n, DType dt)
{
	return pass_result_qparams(q, n, dt);
}

const PassRules pass_rules_matmul = {
        .infer = infer,
        .macs = macs,
        .range = range,
        .overflow = overflow,
        .convert_all = 1,
        .own_qparams = 0,
        .quantize = quantize,
        .why_no_range = pass_no_note,
        .bias_error = NULL,
};
