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
 * its zero point, and maxpool, flatten and reshape keep their input's.
 *
 * An int8 layer that fails the proof is an error.  An int16 layer with an
 * int32 bias (what quantize makes) is only warned about: its |x - zp| goes
 * to 32768, so long reductions cannot be proven in int32 — TFLite's 16x8
 * kernels accumulate in int64 (an int64 bias here) for that reason.
 *
 * Where requantization multiplies by more than 1 (shift > 0), the
 * accumulator is first shifted left with saturation; that is noted, with
 * whether the bound rules the saturation out. */
#include <stdlib.h>

#include "passes.h"

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
			continue; /* a float layer has no integer accumulator */
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
			r[n->out] = xr;
			break;
		default:
			ICE("check-overflow: no rule for %s", ir_ops[n->op].name);
		}
	}
	free(r);
	return rc;
}
