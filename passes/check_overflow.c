/* check_overflow.c — the check-overflow pass: proves, for every conv2d and
 * dense of a quantized graph, that its integer accumulator cannot overflow,
 * and fails the compile at the layer's line where it cannot prove it.  It
 * only reads the graph.
 *
 * Every output channel c accumulates bias[c] + sum_k (x_k - zp) * w[c,k]
 * (ir/interp.c) in int32 (int64 for int16 activations with an int64 bias).
 * If every x_k lies in [qlo, qhi], then |x_k - zp| <= m = max(qhi - zp,
 * zp - qlo), and every partial sum, in any order, is at most
 *     B_c = |bias[c]| + m * sum_k |w[c,k]|
 * in magnitude; B_c <= INT32_MAX proves that no addition wraps.
 *
 * [qlo, qhi] comes from integer facts that hold for every input, not from
 * the real-valued ranges (which bound the float model; the integer model
 * rounds differently): a graph input can be any integer of its storage
 * type, a conv2d / dense result lies within its clamp (ir_act_bounds: the
 * fused relu raises the floor to the zero point), relu raises the floor to
 * its zero point, and maxpool, flatten, reshape and transpose keep their
 * input's, as does avgpool (widened to the zero point with count_pad; its
 * int32 window sum is proven too), pad adds its quantized value; a
 * quantize result (requantized or from floats) is anywhere in its storage
 * range, and a dequantize result is a float.
 *
 * An int8 layer that fails the proof is an error.  An int16 layer with an
 * int32 bias (what quantize makes) is only warned about: its |x - zp| goes
 * to 32768, so long reductions cannot be proven in int32 — TFLite's 16x8
 * kernels accumulate in int64 (an int64 bias here) for that reason.
 *
 * add and mul have no accumulator but int32 intermediates (check_binary
 * says why they fit); concat only copies and requantizes.
 *
 * Where requantization multiplies by more than 1 (shift > 0), the
 * accumulator is first shifted left with saturation; that is noted, with
 * whether the bound rules the saturation out. */
#include <math.h>
#include <stdlib.h>

#include "passes.h"
#include "act_rules.h"
#include "eltwise.h"

typedef struct {
	int32_t lo, hi;
} QRange;

/* The bound of one output channel, in parts for the diagnostic. */
typedef struct {
	uint64_t bias;  /* |bias[c]| */
	uint64_t sumw;  /* sum_k |w[c,k]| */
	uint64_t total; /* bias + m * sumw */
} Bound;

static Bound channel_bound(const Value *w, const Value *b, int64_t c, int64_t k, uint64_t m)
{
	const int8_t *wq = (const int8_t *)w->data + c * k;
	Bound r = {0, 0, 0};

	for (int64_t i = 0; i < k; i++)
		r.sumw += (uint64_t)(wq[i] < 0 ? -wq[i] : wq[i]);
	if (b && b->dt == DT_I64) {
		int64_t v = ((const int64_t *)b->data)[c];
		r.bias = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	} else if (b) {
		int64_t v = ((const int32_t *)b->data)[c];
		r.bias = (uint64_t)(v < 0 ? -v : v);
	}
	/* m <= 2^16 and sumw <= 127 * 2^33 (infer-shapes caps tensors), so the
	 * product fits; the sum saturates */
	uint64_t p = m * r.sumw;
	r.total = r.bias > UINT64_MAX - p ? UINT64_MAX : r.bias + p;
	return r;
}

/* Notes the channels whose requantization shifts left (multiplier > 1). */
static void note_left_shift(const Graph *g, const Node *n, const uint64_t *bound, int acc64, Diag *d)
{
	int64_t oc = g->vals[n->in[1]].shape.d[0], nshift = 0, sat = -1;
	int32_t *mult = ir_xmalloc((size_t)oc * sizeof *mult);
	int *shift = ir_xmalloc((size_t)oc * sizeof *shift), maxs = 0;
	char why[128] = "";

	ir_node_requant(g, n, mult, shift);
	for (int64_t c = 0; c < oc; c++) {
		if (shift[c] <= 0)
			continue;
		nshift++;
		if (shift[c] > maxs)
			maxs = shift[c];
		if (sat < 0 && bound[c] > (uint64_t)INT32_MAX >> shift[c])
			sat = c;
	}
	if (!acc64 && sat < 0)
		snprintf(why, sizeof why, "; the accumulator bound proves that the saturating left "
		         "shift never saturates");
	else if (!acc64)
		snprintf(why, sizeof why, "; for output channel %lld the bound does not rule out that "
		         "the saturating left shift saturates", (long long)sat);
	if (nshift)
		diag_note(d, n->loc, "%s '%s': %lld of %lld output channels requantize with a "
		          "multiplier > 1 (shift up to %d)%s", ir_ops[n->op].name, g->vals[n->out].name,
		          (long long)nshift, (long long)oc, maxs, why);
	free(mult);
	free(shift);
}

/* Proves one conv2d / dense; returns -1 (diagnosed) if it cannot. */
static int check_node(const Graph *g, const Node *n, QRange xr, Diag *d)
{
	const Value *x = &g->vals[n->in[0]], *w = &g->vals[n->in[1]];
	const Value *b = n->nin > 2 ? &g->vals[n->in[2]] : NULL;
	int64_t oc = w->shape.d[0], k = ir_shape_numel(&w->shape) / oc, worst = 0;
	int acc64 = b && b->dt == DT_I64;
	uint64_t limit = acc64 ? (uint64_t)INT64_MAX : (uint64_t)INT32_MAX;
	uint64_t m = (uint64_t)((int64_t)xr.hi - x->q.zp > (int64_t)x->q.zp - xr.lo
	                        ? (int64_t)xr.hi - x->q.zp : (int64_t)x->q.zp - xr.lo);
	uint64_t *bound = ir_xmalloc((size_t)oc * sizeof *bound);
	Bound wb = {0, 0, 0};

	if (w->dt != DT_I8)
		ICE("check-overflow: %s weight %s is %s", ir_ops[n->op].name, w->name,
		    ir_dtype_name(w->dt));
	for (int64_t c = 0; c < oc; c++) {
		Bound r = channel_bound(w, b, c, k, m);
		bound[c] = r.total;
		if (c == 0 || r.total > wb.total) {
			wb = r;
			worst = c;
		}
	}
	int rc = 0, warn = x->dt == DT_I16 && !acc64;
	if (wb.total > limit) {
		char msg[512];
		snprintf(msg, sizeof msg, "%s '%s': the %s accumulator can reach %.3g (> %s) for output "
		         "channel %lld; it adds %lld products (x - zp) * w with |x - zp| <= %llu and "
		         "sum |w| = %llu to |bias| = %llu: %s", ir_ops[n->op].name,
		         g->vals[n->out].name, acc64 ? "int64" : "int32", (double)wb.total,
		         acc64 ? "2^63-1" : "2^31-1", (long long)worst, (long long)k,
		         (unsigned long long)m, (unsigned long long)wb.sumw, (unsigned long long)wb.bias,
		         warn ? "an int16 layer needs an int64 bias to be safe"
		              : "split the layer or narrow its input's range");
		if (warn)
			diag_warning(d, n->loc, "%s", msg);
		else
			diag_error(d, n->loc, "%s", msg);
		rc = warn ? 0 : -1;
	} else
		note_left_shift(g, n, bound, acc64, d);
	free(bound);
	return rc;
}

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
	if (n->op == OP_MUL) {
		if (ma * mb > (uint64_t)INT32_MAX) {
			diag_error(d, n->loc, "mul '%s': the int32 product (a - zp) * (b - zp) can reach "
			           "%llu * %llu (> 2^31-1)", out, (unsigned long long)ma,
			           (unsigned long long)mb);
			return -1;
		}
		return 0;
	}
	double sum = 0;
	for (int k = 0; k < 2; k++) {
		uint64_t sh = (k ? mb : ma) << p.left;
		if (sh > (uint64_t)INT32_MAX) {
			diag_error(d, n->loc, "%s '%s': operand %d shifted left by %d can reach %llu "
			           "(> 2^31-1)", op, out, k, p.left, (unsigned long long)sh);
			return -1;
		}
		/* sub's M_b is negative: its magnitude bounds the rescaled operand */
		sum += (double)sh * ldexp(fabs((double)p.mult[k]), p.shift[k] - 31) + 1.0;
	}
	if (sum > (double)INT32_MAX) {
		diag_error(d, n->loc, "%s '%s': the int32 sum of the rescaled operands can reach %.0f "
		           "(> 2^31-1)", op, out, sum);
		return -1;
	}
	return 0;
}

/* avgpool2d / global_avgpool sum up to count raw integers (and the zero
 * point for padded taps with count_pad) in int32, then add count/2 to round:
 * |acc| + count/2 <= m * count + count/2 must fit.  The average of integers
 * in [lo, hi], rounded, stays in [lo, hi] (with zp too under count_pad). */
static int check_avgpool(const Graph *g, const Node *n, QRange xr, QRange *out, Diag *d)
{
	const Value *x = &g->vals[n->in[0]];
	int glob = n->op == OP_GLOBAL_AVGPOOL, cpad = !glob && n->a.count_pad;
	int64_t count = glob ? x->shape.d[2] * x->shape.d[3] : n->a.kernel[0] * n->a.kernel[1];
	int64_t lo = xr.lo, hi = xr.hi, m;

	if (cpad) {
		lo = lo < x->q.zp ? lo : x->q.zp;
		hi = hi > x->q.zp ? hi : x->q.zp;
	}
	m = -lo > hi ? -lo : hi;
	*out = (QRange){(int32_t)lo, (int32_t)hi};
	if (m * count + count / 2 <= INT32_MAX)
		return 0;
	diag_error(d, n->loc, "%s '%s': the int32 sum of its %lld-element window can reach %lld "
	           "(> 2^31-1): use a smaller window", ir_ops[n->op].name, g->vals[n->out].name,
	           (long long)count, (long long)(m * count + count / 2));
	return -1;
}

static int is_int(DType t)
{
	return t == DT_I8 || t == DT_I16;
}

int pass_check_overflow(Graph *g, const PassOptions *o, Diag *d)
{
	QRange *r = ir_xcalloc((size_t)(g->nval ? g->nval : 1), sizeof *r);
	int rc = 0;

	(void)o;
	/* anything is in its storage range; inputs stay there */
	for (int v = 0; v < g->nval; v++)
		if (g->vals[v].kind != VK_CONST && is_int(g->vals[v].dt))
			r[v] = (QRange){ir_qmin(g->vals[v].dt), ir_qmax(g->vals[v].dt)};
	for (int i = 0; i < g->nnode; i++) {
		const Node *n = &g->nodes[i];
		const Value *x = &g->vals[n->in[0]], *y = &g->vals[n->out];
		QRange xr = r[n->in[0]];
		if (!is_int(x->dt) || !x->q.present || !y->q.present)
			continue; /* a float layer (or boundary) has no integer accumulator */
		/* every op needs a rule here (ir/ops.def says so) */
		switch (n->op) {
		case OP_CONV2D:
		case OP_DENSE:
			if (check_node(g, n, xr, d))
				rc = -1;
			ir_act_bounds(n->a.act, y->dt, y->q.scale[0], y->q.zp, &r[n->out].lo, &r[n->out].hi);
			break;
		case OP_RELU:
			r[n->out] = (QRange){xr.lo > x->q.zp ? xr.lo : x->q.zp, xr.hi > x->q.zp ? xr.hi : x->q.zp};
			break;
		case OP_MAXPOOL2D:
		case OP_FLATTEN:
		case OP_RESHAPE:
		case OP_TRANSPOSE:
			r[n->out] = xr;
			break;
		case OP_AVGPOOL2D:
		case OP_GLOBAL_AVGPOOL:
			if (check_avgpool(g, n, xr, &r[n->out], d))
				rc = -1;
			break;
		case OP_PAD: { /* x's integers and the quantized pad value */
			int32_t v = ir_quantize_value(n->a.value, x->q.scale[0], x->q.zp, x->dt);
			r[n->out] = (QRange){xr.lo < v ? xr.lo : v, xr.hi > v ? xr.hi : v};
			break;
		}
		case OP_ADD:
		case OP_SUB:
		case OP_MUL:
			if (check_binary(g, n, r, d))
				rc = -1;
			ir_act_bounds(n->a.act, y->dt, y->q.scale[0], y->q.zp, &r[n->out].lo, &r[n->out].hi);
			break;
		case OP_DIV: /* f32 only: the kernels refuse an integer div */
		case OP_CONCAT: /* copies and clamped requantizations */
			r[n->out] = (QRange){ir_qmin(y->dt), ir_qmax(y->dt)};
			break;
		case OP_CLIP:
		case OP_LEAKY_RELU:
		case OP_SIGMOID:
		case OP_TANH:
		case OP_HARD_SIGMOID:
		case OP_HARD_SWISH:
		case OP_SOFTMAX:
			pass_act_qrange(g, n, xr.lo, xr.hi, &r[n->out].lo, &r[n->out].hi);
			break;
		case OP_QUANTIZE: /* clamped to the result's storage range: nothing to prove */
			r[n->out] = (QRange){ir_qmin(y->dt), ir_qmax(y->dt)};
			break;
		case OP_DEQUANTIZE: /* a float result (never reached: y has no q) */
			break;
		default:
			ICE("check-overflow: no rule for %s", ir_ops[n->op].name);
		}
	}
	free(r);
	return rc;
}
