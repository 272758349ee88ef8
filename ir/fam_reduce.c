/* ir/fam_reduce.c — the reduce family (reduce_sum, reduce_mean, reduce_max,
 * reduce_min, reduce_prod, reduce_l2) in the ir layer: the geometry of a
 * reduction and its fixed-point parameters (eltwise.h: the passes and the
 * backend use them too), and the reference interpreter's checks and
 * kernels in f32, int8 and int16.  Each output element reduces its input
 * elements in increasing input index; the arithmetic per op is its ops.def
 * row's. */
#include <math.h>
#include <string.h>

#include "eltwise.h"
#include "ir_rules.h"

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

/* ---- geometry, parameters (eltwise.h) ------------------------------------------ */

int ir_reduce_geo(const Shape *x, const Attrs *a, IrReduceGeo *rg, Shape *out)
{
	int red[IR_MAX_RANK] = {0};
	int64_t st[IR_MAX_RANK], s = 1;

	if (a->naxes < 0 || a->naxes > IR_MAX_RANK)
		return -1;
	for (int i = 0; i < a->naxes; i++) {
		int64_t ax = a->axes[i] < 0 ? a->axes[i] + x->rank : a->axes[i];
		if (ax < 0 || ax >= x->rank || red[ax])
			return -1;
		red[ax] = 1;
	}
	for (int k = x->rank - 1; k >= 0; k--) {
		st[k] = s;
		s *= x->d[k];
	}
	memset(rg, 0, sizeof *rg);
	rg->count = rg->nout = 1;
	out->rank = 0;
	for (int k = 0; k < x->rank; k++) {
		int r = a->naxes == 0 || red[k];
		if (r) {
			rg->rd[rg->nr] = x->d[k];
			rg->rs[rg->nr++] = st[k];
			rg->count *= x->d[k];
			if (a->keepdims)
				out->d[out->rank++] = 1;
		} else {
			rg->kd[rg->nk] = x->d[k];
			rg->ks[rg->nk++] = st[k];
			rg->nout *= x->d[k];
			out->d[out->rank++] = x->d[k];
		}
	}
	return 0;
}

int64_t ir_reduce_base(const IrReduceGeo *rg, int64_t o)
{
	int64_t b = 0;

	for (int k = rg->nk - 1; k >= 0; k--) {
		b += o % rg->kd[k] * rg->ks[k];
		o /= rg->kd[k];
	}
	return b;
}

void ir_reduce_params(const Graph *g, const Node *n, int32_t *mult, int *shift)
{
	const Value *x = &g->vals[n->in[0]], *y = &g->vals[n->out];
	double sx = x->q.scale[0], so = y->q.scale[0], m;
	IrReduceGeo rg;
	Shape s;

	ir_reduce_geo(&x->shape, &n->a, &rg, &s);
	switch (n->op) {
	case OP_REDUCE_SUM:
	case OP_REDUCE_L2: m = sx / so; break;
	case OP_REDUCE_MEAN: m = sx / ((double)(rg.count > 0 ? rg.count : 1) * so); break;
	case OP_REDUCE_PROD: m = sx / pow(so, 1.0 / (double)(rg.count > 0 ? rg.count : 1)); break;
	default: m = 0; break; /* max, min: no requantization */
	}
	ir_quantize_multiplier(m, mult, shift);
}

/* Bit by bit: floor(sqrt(v)) and its remainder; rounded to nearest. */
uint32_t ir_isqrt_round(uint64_t v)
{
	uint64_t rem = v, res = 0, bit = (uint64_t)1 << 62;

	for (int i = 0; i < 32; i++) {
		if (rem >= res + bit) {
			rem -= res + bit;
			res = (res >> 1) + bit;
		} else
			res >>= 1;
		bit >>= 2;
	}
	return (uint32_t)(rem > res ? res + 1 : res);
}

/* ---- interpreter ------------------------------------------------------------------ */

static float reduce_f32(Op op, const float *x, int64_t base, const IrReduceGeo *rg)
{
	int64_t idx[IR_MAX_RANK] = {0}, off = base;
	float acc = op == OP_REDUCE_PROD  ? 1.0f
	            : op == OP_REDUCE_MAX ? -INFINITY
	            : op == OP_REDUCE_MIN ? INFINITY
	                                  : 0.0f;

	for (int64_t i = 0; i < rg->count; i++) {
		float v = x[off];
		switch (op) {
		case OP_REDUCE_SUM:
		case OP_REDUCE_MEAN: acc = acc + v; break;
		case OP_REDUCE_PROD: acc = acc * v; break;
		case OP_REDUCE_L2: acc = acc + v * v; break;
		case OP_REDUCE_MAX: acc = v > acc || v != v ? v : acc; break;
		case OP_REDUCE_MIN: acc = v < acc || v != v ? v : acc; break;
		default: ICE("reduce rules: %s", ir_ops[op].name);
		}
		for (int k = rg->nr - 1; k >= 0; k--) {
			off += rg->rs[k];
			if (++idx[k] < rg->rd[k])
				break;
			off -= rg->rs[k] * idx[k];
			idx[k] = 0;
		}
	}
	if (op == OP_REDUCE_MEAN)
		return acc / (float)rg->count;
	if (op == OP_REDUCE_L2)
		return sqrtf(acc);
	return acc;
}

static int32_t reduce_int(const Node *n, DType dt, const void *x, int64_t base,
                          const IrReduceGeo *rg, int32_t zp, int32_t mult, int shift, int32_t ozp)
{
	const Op op = n->op;
	int64_t idx[IR_MAX_RANK] = {0}, off = base;
	int32_t acc = op == OP_REDUCE_MAX ? ir_qmin(dt) : op == OP_REDUCE_MIN ? ir_qmax(dt) : 0;
	uint64_t sq = 0;

	for (int64_t i = 0; i < rg->count; i++) {
		int32_t q = ir_load_q(dt, x, off), d = q - zp;
		switch (op) {
		case OP_REDUCE_SUM:
		case OP_REDUCE_MEAN: acc = ir_wadd(acc, d); break;
		case OP_REDUCE_PROD:
			/* the first element unscaled, each further one rescaled by C */
			acc = i == 0 ? d : ir_mbqm64((int64_t)acc * d, mult, shift);
			break;
		case OP_REDUCE_L2: sq += (uint64_t)((int64_t)d * d); break;
		case OP_REDUCE_MAX: acc = q > acc ? q : acc; break;
		case OP_REDUCE_MIN: acc = q < acc ? q : acc; break;
		default: ICE("reduce rules: %s", ir_ops[op].name);
		}
		for (int k = rg->nr - 1; k >= 0; k--) {
			off += rg->rs[k];
			if (++idx[k] < rg->rd[k])
				break;
			off -= rg->rs[k] * idx[k];
			idx[k] = 0;
		}
	}
	switch (op) {
	case OP_REDUCE_MAX:
	case OP_REDUCE_MIN: return acc;
	case OP_REDUCE_L2: acc = (int32_t)ir_isqrt_round(sq); break;
	default: break;
	}
	return ir_clamp32(ir_wadd(ir_mbqm(acc, mult, shift), ozp), ir_qmin(dt), ir_qmax(dt));
}

static void run(const Graph *g, const Node *n, const NodeRt *rt, void *const *buf, void *acc)
{
	const Value *x = &g->vals[n->in[0]], *y = &g->vals[n->out];
	const void *px = buf[n->in[0]];
	void *py = buf[n->out];
	int32_t mult = 0;
	int shift = 0;
	IrReduceGeo rg;
	Shape s;

	(void)rt;
	(void)acc;
	ir_reduce_geo(&x->shape, &n->a, &rg, &s);
	if (y->dt != DT_F32)
		ir_reduce_params(g, n, &mult, &shift);
	for (int64_t o = 0; o < rg.nout; o++) {
		int64_t base = ir_reduce_base(&rg, o);
		if (y->dt == DT_F32)
			((float *)py)[o] = reduce_f32(n->op, px, base, &rg);
		else
			ir_store_q(
			        y->dt, py, o,
			        reduce_int(n, y->dt, px, base, &rg, x->q.zp, mult, shift, y->q.zp));
	}
}

/* ---- checks ------------------------------------------------------------------ */

#define BAD IR_BAD

static int check(Graph *g, const Node *n, NodeRt *rt, Diag *d)
{
	const Value *x = &g->vals[n->in[0]], *y = &g->vals[n->out];
	const char *op = ir_ops[n->op].name;
	IrReduceGeo rg;
	Shape s;

	(void)rt;
	if (ir_reduce_geo(&x->shape, &n->a, &rg, &s))
		return BAD("%s: axes out of range or repeated for an input of rank %d", op,
		           x->shape.rank);
	if (!ir_shape_eq(&s, &y->shape))
		return BAD("%s: the result's shape is not the input reduced over its axes", op);
	if (y->dt != DT_F32 && y->dt != DT_I8 && y->dt != DT_I16)
		return BAD("%s: the interpreter has no kernel for a %s result", op,
		           ir_dtype_name(y->dt));
	if (x->dt != y->dt)
		return BAD("%s: operand '%s' is %s, the result %s", op, x->name,
		           ir_dtype_name(x->dt), ir_dtype_name(y->dt));
	if (y->dt != DT_F32 && (!ir_per_tensor_q(x) || !ir_per_tensor_q(y)))
		return BAD("%s: operand and result need per-tensor quantization parameters", op);
	if ((ir_ops[n->op].flags & OPF_KEEPQ) && y->dt != DT_F32 && !ir_same_q(&x->q, &y->q))
		return BAD("%s: the result must keep its input's quantization", op);
	return 0;
}

#undef BAD

/* max and min do not requantize; the others only in fixed point */
static int requant_float_ok(const Graph *g, const Node *n)
{
	return g->vals[n->in[0]].dt == DT_F32 || (ir_ops[n->op].flags & OPF_KEEPQ);
}

static void verify(const Graph *g, const Node *n, Diag *d)
{
	(void)g;
	if (n->a.keepdims != 0 && n->a.keepdims != 1)
		diag_error(d, n->loc, "%s: keepdims must be 0 or 1", ir_ops[n->op].name);
}

const IrRules ir_rules_reduce = {
        .check = check,
        .run = run,
        .requant_float_ok = requant_float_ok,
        .verify = verify,
};
