/* quantize.c — the quantize pass: turns a float graph into the fixed-point
 * graph of docs/requant.md, layer by layer in the precision each layer
 * computes in (PassContext: the global precision and per-layer entries,
 * see LayerPrecision in passes.h).
 *   activations: per-tensor int8 (asymmetric) or int16 (symmetric), from the
 *                clipping range a calibration method chose, else the
 *                observed range (or the declared range of an input);
 *                ops flagged OPF_KEEPQ reuse their input's parameters;
 *                f32 layers keep float results
 *   weights:     int8, symmetric, one scale per output channel (f32 layers
 *                keep float weights and bias); a weight several layers
 *                share is quantized once, each layer has its own bias
 *   bias:        int32 at scale input_scale * weight_scale[c], zero point 0
 *                (int64 for int16 layers: TFLite's 16x8 scheme)
 *   boundaries:  where a layer reads a value of another storage type than
 *                its own, a quantize (f32 -> int, or i8 <-> i16
 *                requantization) or dequantize (int -> f32) node is put
 *                before it, one per value and type, whatever the number of
 *                readers.  A graph input takes the precision of its first
 *                reader; an output keeps its producer's.
 *   pins:        a float value may carry the parameters it must get (a
 *                pre-quantized ONNX model's QuantizeLinear/DequantizeLinear,
 *                or q(...) on an f32 value in .qg): int8 activations take
 *                them instead of a range (no calibration needed); weights
 *                are quantized with their pinned per-channel scales and
 *                must give back integers exactly; a bias keeps the integers
 *                its pinned scale gives.  An OPF_KEEPQ op's pin must equal
 *                its input's parameters.  A pin is int8 or int16
 *                (q(..., bits=16): a TFLite 16x8 model's); a layer whose
 *                result is pinned int16 computes in int16 unless the config
 *                names it or the precision is f32, and a layer's pin must be of its precision; a
 *                layer left in f32 drops them (docs/requant.md). */
#include <float.h>
#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pass_rules.h"

int pass_act_range(const Value *v, float *lo, float *hi)
{
	if (v->has_clip) {
		*lo = v->clip[0];
		*hi = v->clip[1];
		return 0;
	}
	if (v->has_calib) {
		*lo = v->calib[0];
		*hi = v->calib[1];
		return 0;
	}
	if (v->has_range) {
		*lo = v->range[0];
		*hi = v->range[1];
		return 0;
	}
	return -1;
}

float pass_quantize_channel(const float *w, int64_t n, int8_t *q)
{
	float m = 0, sc;

	for (int64_t i = 0; i < n; i++)
		if (fabsf(w[i]) > m)
			m = fabsf(w[i]);
	/* an all-zero channel gets scale 1: any scale represents it exactly;
	 * one whose scale would underflow (|w| < 127 x the smallest normal
	 * float) gets that smallest normal, as activations do
	 * (ir_choose_qparams): never a zero or subnormal scale */
	sc = m > 0 ? (float)((double)m / 127.0) : 1.0f;
	if (!(sc >= FLT_MIN))
		sc = FLT_MIN;
	for (int64_t i = 0; i < n; i++) {
		q[i] = (int8_t)ir_quantize_value(w[i], sc, 0, DT_I8);
		if (q[i] < -127)
			q[i] = -127;
	}
	return sc;
}

/* ---- which layer computes in which precision -------------------------- */

static int layer_match(const LayerPrecision *l, const char *name)
{
	return name && (strcmp(l->match, name) == 0 || fnmatch(l->match, name, 0) == 0);
}

/* The per-layer entry naming value name, or NULL. */
static const LayerPrecision *find_layer(const PassContext *ctx, const char *name)
{
	for (int i = 0; ctx && i < ctx->nlayer_prec; i++)
		if (layer_match(&ctx->layer_prec[i], name))
			return &ctx->layer_prec[i];
	return NULL;
}

void pass_node_precisions(const Graph *g, const PassContext *ctx, Precision *prec)
{
	Precision global = ctx ? ctx->precision : PREC_INT8;

	for (int i = 0; i < g->nnode; i++) {
		const Node *n = &g->nodes[i];
		const LayerPrecision *l = find_layer(ctx, g->vals[n->out].name);
		int def = g->vals[n->in[0]].def;

		if (g->vals[n->out].dt == DT_I64)
			prec[i] = PREC_F32; /* integer arithmetic: never quantized */
		else if (l)
			prec[i] = l->precision;
		else if (global != PREC_F32 && g->vals[n->out].dt == DT_F32 &&
		         g->vals[n->out].q.present && g->vals[n->out].q.i16)
			prec[i] = PREC_INT16; /* pinned int16: a 16x8 model's layer */
		else if (global != PREC_F32 && !g->vals[n->out].q.present &&
		         g->vals[n->in[0]].dt == DT_F32 && g->vals[n->in[0]].q.present &&
		         g->vals[n->in[0]].q.i16)
			prec[i] = PREC_INT16; /* unpinned (an op choosing its own
			                         parameters) on an int16 pinned value */
		else if ((ir_ops[n->op].flags & OPF_KEEPQ) && def >= 0 && def < i)
			prec[i] = prec[def];
		else
			prec[i] = global;
	}
}

int pass_stays_int8(Op op)
{
	return (ir_ops[op].precs & PR_I8) && !(ir_ops[op].precs & PR_I16);
}

Precision pass_pipeline_precision(const PassContext *ctx)
{
	if (!ctx)
		return PREC_INT8;
	if (ctx->precision != PREC_F32)
		return ctx->precision;
	for (int i = 0; i < ctx->nlayer_prec; i++)
		if (ctx->layer_prec[i].precision != PREC_F32)
			return PREC_INT8;
	return PREC_F32;
}

static DType prec_dtype(Precision p)
{
	return p == PREC_F32 ? DT_F32 : p == PREC_INT16 ? DT_I16 : DT_I8;
}

/* The storage type a pin asks for: int16 (bits=16) or int8. */
static DType pin_dtype(const QParams *pin)
{
	return pin->i16 ? DT_I16 : DT_I8;
}

static const char *pin_name(const QParams *pin)
{
	return pin->i16 ? "int16" : "int8";
}

/* ---- the pass ----------------------------------------------------------- */

/* QuantCtx (pass_rules.h): the graph, the conversions made so far, the uses. */

static int slot(DType dt)
{
	return dt == DT_F32 ? 0 : dt == DT_I8 ? 1 : 2;
}

/* The real interval value v stands for: its clipping, observed or declared
 * range; for a quantized value without one, what its parameters represent. */
static int value_range(const Value *v, float *lo, float *hi)
{
	if (v->dt == DT_F32 && v->q.present)
		return 1; /* pinned: convert takes its parameters */
	if (!pass_act_range(v, lo, hi))
		return 0;
	if (v->q.present && v->q.n == 1 && (v->dt == DT_I8 || v->dt == DT_I16)) {
		*lo = v->q.scale[0] * (float)(ir_qmin(v->dt) - v->q.zp);
		*hi = v->q.scale[0] * (float)(ir_qmax(v->dt) - v->q.zp);
		return 0;
	}
	return -1;
}

/* Why v has no range, if its producer's family can say (a div's divisor
 * may be 0). */
static void note_no_range(const Graph *g, int v, Diag *d)
{
	int def = g->vals[v].def;

	if (def >= 0 && def < g->nnode && g->nodes[def].op != OP_NONE)
		pass_rules[ir_ops[g->nodes[def].op].family]->why_no_range(g, &g->nodes[def], d);
}

/* v in storage type dt: v itself, or the result of a quantize / dequantize
 * node appended now (once per value and type). */
static int convert(QuantCtx *q, int v, DType dt, Loc at)
{
	Graph *g = q->g;
	int *c;
	float lo = 0, hi = 0, s;
	int32_t zp;
	char base[256];

	if (g->vals[v].dt == dt || g->vals[v].dt == DT_U8 || g->vals[v].dt == DT_I64)
		return v; /* a u8 mask, an int64 tensor are never quantized */
	if (v >= q->nval0)
		ICE("quantize: converting '%s', a value the pass made", g->vals[v].name);
	c = &q->conv[v * 3 + slot(dt)];
	if (*c >= 0)
		return *c;
	const QParams pin = g->vals[v].dt == DT_F32 ? g->vals[v].q : (QParams){0};
	if (pin.present && dt != pin_dtype(&pin) && dt != DT_F32) {
		diag_error(q->d, g->vals[v].loc,
		           "quantize: '%s' is pinned to %s parameters but "
		           "read by a layer computing in %s",
		           g->vals[v].name, pin_name(&pin), ir_dtype_name(dt));
		return -1;
	}
	if (dt != DT_F32 && !pin.present && value_range(&g->vals[v], &lo, &hi)) {
		diag_error(q->d, g->vals[v].loc,
		           "quantize: '%s' has no range to quantize it to %s "
		           "with: run calibrate first",
		           g->vals[v].name, ir_dtype_name(dt));
		note_no_range(g, v, q->d);
		return -1;
	}
	snprintf(base, sizeof base, "%s.%s", g->vals[v].name, ir_dtype_name(dt));
	int t = ir_value_new_unique(g, base, VK_TEMP, at);
	Value *src = &g->vals[v], *dst = &g->vals[t]; /* after the value array grew */
	dst->has_type = 1;
	dst->dt = dt;
	dst->shape = src->shape;
	dst->has_range = src->has_range;
	memcpy(dst->range, src->range, sizeof dst->range);
	dst->has_calib = src->has_calib;
	memcpy(dst->calib, src->calib, sizeof dst->calib);
	if (pin.present && dt != DT_F32)
		ir_set_qparams(g, t, pin.scale[0], pin.zp);
	else if (dt != DT_F32) {
		ir_choose_qparams(lo, hi, dt, &s, &zp);
		ir_set_qparams(g, t, s, zp);
	}
	ir_node_new(g, dt == DT_F32 ? OP_DEQUANTIZE : OP_QUANTIZE, t, &v, 1, at);
	*c = t;
	return t;
}

/* ---- add, mul, concat: every operand in the layer's type -------------- */

/* Constant operand v quantized per tensor to dt over its own [min, max]
 * (widened to contain 0): in place when this is its only reader, else into
 * a new constant made once per type.  Returns the value, or -1. */
static int quantize_const(QuantCtx *q, int v, DType dt, Loc at)
{
	Graph *g = q->g;
	int64_t cnt = ir_shape_numel(&g->vals[v].shape);
	const float *src = g->vals[v].data;
	float lo = 0, hi = 0, s;
	int32_t zp;
	int t = v;
	char base[256];

	if (q->conv[v * 3 + slot(dt)] >= 0)
		return q->conv[v * 3 + slot(dt)];
	for (int64_t i = 0; i < cnt; i++) {
		if (!isfinite(src[i])) {
			diag_error(q->d, g->vals[v].loc,
			           "quantize: constant '%s' holds a non-finite value",
			           g->vals[v].name);
			return -1;
		}
		lo = fminf(lo, src[i]);
		hi = fmaxf(hi, src[i]);
	}
	if (q->uses[v] != 1) {
		snprintf(base, sizeof base, "%s.%s", g->vals[v].name, ir_dtype_name(dt));
		t = ir_value_new_unique(g, base, VK_CONST, at);
		g->vals[t].has_type = 1;
		g->vals[t].shape = g->vals[v].shape;
	}
	void *data = ir_alloc(g, (size_t)(cnt ? cnt : 1) * (size_t)ir_dtype_size(dt));
	ir_choose_qparams(lo, hi, dt, &s, &zp);
	for (int64_t i = 0; i < cnt; i++) {
		int32_t qv = ir_quantize_value(src[i], s, zp, dt);
		if (dt == DT_I8)
			((int8_t *)data)[i] = (int8_t)qv;
		else
			((int16_t *)data)[i] = (int16_t)qv;
	}
	g->vals[t].data = data;
	g->vals[t].dt = dt;
	ir_set_qparams(g, t, s, zp);
	q->conv[v * 3 + slot(dt)] = t;
	return t;
}

/* Every operand of add, mul and concat in dt: values converted, constants
 * quantized. */
static int convert_rest(QuantCtx *q, Node *n, DType dt)
{
	for (int k = 0; k < n->nin; k++) {
		int v = n->in[k], x;
		if (q->g->vals[v].kind == VK_CONST && v < q->nval0 && dt != DT_F32 &&
		    q->g->vals[v].dt == DT_F32)
			x = quantize_const(q, v, dt, n->loc);
		else
			x = convert(q, v, dt, n->loc);
		if (x < 0)
			return -1;
		n->in[k] = x;
	}
	return 0;
}

int pass_result_qparams(QuantCtx *q, Node *n, DType dt)
{
	Value *y = &q->g->vals[n->out];
	float lo, hi, s;
	int32_t zp;

	if (y->q.present) /* a pin (checked by quantize_result) */
		ir_set_qparams(q->g, n->out, y->q.scale[0], y->q.zp);
	else if (pass_act_range(y, &lo, &hi)) {
		diag_error(q->d, y->loc,
		           "quantize: '%s' has no observed range: run calibrate first", y->name);
		return -1;
	} else {
		ir_choose_qparams(lo, hi, dt, &s, &zp);
		ir_set_qparams(q->g, n->out, s, zp);
	}
	return 0;
}

/* The op has no kernel in dt: "op X has no int16 kernel".  An op with no
 * integer kernel at all is refused before the pass changes anything (see
 * pass_quantize); one with another integer kernel here, when its layer
 * comes. */
static int no_kernel(QuantCtx *q, const Node *n, DType dt)
{
	diag_error(q->d, n->loc, "quantize: op %s has no %s kernel (compute '%s' in int8 or f32)",
	           ir_ops[n->op].name, ir_dtype_name(dt), q->g->vals[n->out].name);
	return -1;
}

static unsigned dtype_prec(DType dt)
{
	return dt == DT_F32 ? PR_F32 : dt == DT_I8 ? PR_I8 : PR_I16;
}

/* The result of a layer computing in dt from x (already in dt): what all
 * ops share, then the family's rule. */
static int quantize_result(QuantCtx *q, Node *n, DType dt)
{
	Graph *g = q->g;
	Value *x = &g->vals[n->in[0]], *y = &g->vals[n->out];
	const PassRules *r = pass_rules[ir_ops[n->op].family];

	const QParams pin = y->q;
	if (y->dt == DT_I64)
		return 0; /* int64 arithmetic: no parameters */
	y->dt = dt;
	if (dt == DT_F32)
		return 0; /* float weights and bias stay as they are */
	if (pin.present && (dt != pin_dtype(&pin) || pin.n != 1)) {
		diag_error(q->d, y->loc,
		           "quantize: '%s' is pinned to %s per-tensor parameters but "
		           "computes in %s",
		           y->name, pin_name(&pin), ir_dtype_name(dt));
		return -1;
	}
	if (ir_ops[n->op].flags & OPF_KEEPQ) {
		if (pin.present && (pin.zp != x->q.zp || pin.scale[0] != x->q.scale[0])) {
			diag_error(
			        q->d, n->loc,
			        "quantize: %s keeps its input's parameters (scale %g, "
			        "zero point %d) but its result '%s' is pinned to scale %g, zero point %d",
			        ir_ops[n->op].name, (double)x->q.scale[0], (int)x->q.zp, y->name,
			        (double)pin.scale[0], (int)pin.zp);
			return -1;
		}
		ir_set_qparams(g, n->out, x->q.scale[0], x->q.zp);
		return r->quantize(q, n, dt);
	}
	if (r->own_qparams && pin.present) {
		diag_error(q->d, n->loc,
		           "quantize: %s chooses its own result parameters; the pin "
		           "on '%s' is not supported",
		           ir_ops[n->op].name, y->name);
		return -1;
	}
	if (!(ir_ops[n->op].precs & dtype_prec(dt)))
		return no_kernel(q, n, dt);
	return r->quantize(q, n, dt);
}

/* Element i of a tensor of shape s as "[a,b,c]". */
static const char *index_str(const Shape *s, int64_t i, char *buf, size_t n)
{
	int64_t idx[IR_MAX_RANK];
	size_t k = 0;

	for (int a = s->rank - 1; a >= 0; a--) {
		idx[a] = s->d[a] ? i % s->d[a] : 0;
		i = s->d[a] ? i / s->d[a] : 0;
	}
	k += (size_t)snprintf(buf, n, "[");
	for (int a = 0; a < s->rank && k < n; a++)
		k += (size_t)snprintf(buf + k, n - k, "%s%lld", a ? "," : "", (long long)idx[a]);
	if (k < n)
		snprintf(buf + k, n - k, "]");
	return buf;
}

/* Every float constant a layer computing in integers reads (weights,
 * biases, constant operands) must be finite: a NaN or an infinity has no
 * quantized form, and it would otherwise surface later as a range that
 * cannot be observed or a bias that does not fit.  Checked before anything
 * is quantized, so that this is the error the user sees. */
static int check_finite_consts(const Graph *g, const Precision *prec, Diag *d)
{
	int bad = 0;
	char b1[96];
	char *seen = ir_xcalloc((size_t)g->nval + 1, 1);

	for (int i = 0; i < g->nnode; i++) {
		const Node *n = &g->nodes[i];
		if (n->op == OP_NONE || prec[i] == PREC_F32)
			continue;
		for (int k = 0; k < n->nin; k++) {
			const Value *c = &g->vals[n->in[k]];
			if (c->kind != VK_CONST || c->dt != DT_F32 || !c->data || seen[n->in[k]]++)
				continue;
			int64_t cnt = ir_shape_numel(&c->shape), nbad = 0, first = -1;
			for (int64_t e = 0; e < cnt; e++)
				if (!isfinite(((const float *)c->data)[e]) && nbad++ == 0)
					first = e;
			if (!nbad)
				continue;
			float v = ((const float *)c->data)[first];
			diag_error(d, c->loc,
			           "quantize: constant '%s' holds %s at element %s (%lld "
			           "non-finite value%s): '%s' (%s) computes in %s, and a NaN or an "
			           "infinity has no quantized form",
			           c->name,
			           isnan(v) ? "NaN"
			           : v > 0  ? "+inf"
			                    : "-inf",
			           index_str(&c->shape, first, b1, sizeof b1), (long long)nbad,
			           nbad == 1 ? "" : "s", g->vals[n->out].name, ir_ops[n->op].name,
			           prec[i] == PREC_INT16 ? "int16" : "int8");
			bad = 1;
		}
	}
	free(seen);
	return bad ? -1 : 0;
}

/* Who reads each constant as the weight or the bias of a layer computing in
 * integers (QuantCtx.wq...): what lets several layers share one weight. */
static void count_layer_uses(QuantCtx *q, const Precision *prec)
{
	const Graph *g = q->g;
	size_t nv = (size_t)(g->nval ? g->nval : 1);

	q->wq = ir_xmalloc(nv * sizeof *q->wq);
	q->wint = ir_xcalloc(nv, sizeof *q->wint);
	q->bint = ir_xcalloc(nv, sizeof *q->bint);
	q->bleft = ir_xcalloc(nv, sizeof *q->bleft);
	for (int v = 0; v < g->nval; v++)
		q->wq[v] = -1;
	for (int i = 0; i < g->nnode; i++) {
		const Node *n = &g->nodes[i];
		if (n->op == OP_NONE || prec[i] == PREC_F32 || !(ir_ops[n->op].flags & OPF_WEIGHTS))
			continue;
		q->wint[n->in[1]]++;
		if (n->nin > 2) {
			q->bint[n->in[2]]++;
			q->bleft[n->in[2]]++;
		}
	}
}

/* A graph input's type: that of the first layer reading it. */
static int quantize_inputs(QuantCtx *q, const Precision *prec, Precision global)
{
	Graph *g = q->g;

	for (int i = 0; i < g->ninput; i++) {
		int v = g->inputs[i], k = 0;
		Value *val = &g->vals[v];
		float lo, hi, s;
		int32_t zp;

		if (val->dt == DT_I64 || val->dt == DT_U8)
			continue; /* an index input (gather's), a mask: never quantized */
		while (k < g->nnode && g->nodes[k].in[0] != v)
			k++;
		DType dt = prec_dtype(k < g->nnode ? prec[k] : global);
		if (dt == DT_F32)
			continue;
		if (val->q.present) {
			/* int8 and int16 pins mixed: the input keeps its own, its
			 * reader (pinned to the other) requantizes it */
			const Value *r = k < g->nnode ? &g->vals[g->nodes[k].out] : NULL;
			if (dt != DT_F32 && r && r->dt == DT_F32 && r->q.present &&
			    pin_dtype(&r->q) == dt)
				dt = pin_dtype(&val->q);
			if (dt != pin_dtype(&val->q) || val->q.n != 1) {
				diag_error(
				        q->d, val->loc,
				        "quantize: input '%s' is pinned to %s "
				        "per-tensor parameters but read by a layer computing in %s",
				        val->name, pin_name(&val->q), ir_dtype_name(dt));
				return -1;
			}
			val->dt = dt;
			val->q.i16 = 0; /* an int16 value now, no longer a pin */
			continue;
		}
		if (pass_act_range(val, &lo, &hi)) {
			diag_error(q->d, val->loc,
			           "quantize: input '%s' has no range: calibrate it "
			           "(--calib) or declare one (range [lo, hi])",
			           val->name);
			return -1;
		}
		ir_choose_qparams(lo, hi, dt, &s, &zp);
		val->dt = dt;
		ir_set_qparams(g, v, s, zp);
	}
	return 0;
}

/* Appends the nodes again in order, each preceded by the conversions its
 * first operand needs (nothing moves when no layer needs one). */
static int rebuild(QuantCtx *q, const Precision *prec)
{
	Graph *g = q->g;
	int nold = g->nnode, rc = 0;
	Node *old = ir_xmalloc((size_t)(nold ? nold : 1) * sizeof *old);

	memcpy(old, g->nodes, (size_t)nold * sizeof *old);
	g->nnode = 0;
	for (int i = 0; i < nold; i++) {
		Node n = old[i];
		DType dt = prec_dtype(prec[i]);
		int all = n.op != OP_NONE && pass_rules[ir_ops[n.op].family]->convert_all;
		if (n.op != OP_NONE && rc == 0 && !all) {
			/* a constant a data move reads (gather's embedding table) is
			 * quantized per tensor like a weight; the result keeps its
			 * parameters */
			int x = g->vals[n.in[0]].kind == VK_CONST &&
			                        (ir_ops[n.op].flags & OPF_KEEPQ) && dt != DT_F32
			                ? quantize_const(q, n.in[0], dt, n.loc)
			                : convert(q, n.in[0], dt, n.loc);
			if (x < 0)
				rc = -1;
			else
				n.in[0] = x;
		}
		if (n.op != OP_NONE && rc == 0 && all && convert_rest(q, &n, dt))
			rc = -1;
		int def = g->vals[n.out].def;
		int k = ir_node_new(g, n.op, n.out, n.in, n.nin, n.loc);
		g->nodes[k].a = n.a;
		if (n.op == OP_NONE)
			g->vals[n.out].def = def; /* a fused relu's result is its producer's */
		if (n.op != OP_NONE && rc == 0 && quantize_result(q, &g->nodes[k], dt))
			rc = -1;
	}
	free(old);
	return rc;
}

/* Values left in f32 drop their pins (they compute in float: a pin means
 * nothing there); the number dropped. */
int pass_drop_pins(Graph *g)
{
	int n = 0;

	for (int v = 0; v < g->nval; v++)
		if (g->vals[v].dt == DT_F32 && g->vals[v].q.present) {
			g->vals[v].q.present = 0;
			n++;
		}
	return n;
}

int pass_quantize(Graph *g, const PassOptions *o, Diag *d)
{
	const PassContext *ctx = o->ctx;
	Precision global = ctx ? ctx->precision : PREC_INT8;
	Precision *prec = ir_xmalloc((size_t)(g->nnode ? g->nnode : 1) * sizeof *prec);
	int any = 0, rc = -1;
	QuantCtx q = {g, d, g->nval, NULL, NULL, NULL, NULL, NULL, NULL};

	pass_node_precisions(g, ctx, prec);
	for (int i = 0; i < g->nnode; i++)
		any |= prec[i] != PREC_F32;
	/* an op with no integer kernel (div: TFLite has none) must compute in
	 * f32: said before anything changes */
	for (int i = 0; i < g->nnode; i++) {
		const Node *n = &g->nodes[i];
		if (n->op != OP_NONE && prec[i] != PREC_F32 &&
		    !(ir_ops[n->op].precs & (PR_I8 | PR_I16))) {
			diag_error(d, n->loc,
			           "quantize: op %s ('%s') has no %s kernel; give the "
			           "layer precision: f32 in the config",
			           ir_ops[n->op].name, g->vals[n->out].name,
			           prec[i] == PREC_INT16 ? "int16" : "int8");
			free(prec);
			return -1;
		}
	}
	if (!any && (global == PREC_F32 || g->nnode > 0)) {
		free(prec);
		if (pass_drop_pins(g))
			diag_note(
			        d, loc_file(g->file),
			        "the model's quantization parameters "
			        "(QuantizeLinear/DequantizeLinear or q(...)) are ignored: it computes in f32");
		return 0; /* nothing computes in integers */
	}
	for (int v = 0; v < g->nval; v++)
		if (g->vals[v].kind != VK_CONST &&
		    (!g->vals[v].has_type || (g->vals[v].dt != DT_F32 && g->vals[v].dt != DT_I64 &&
		                              g->vals[v].dt != DT_U8))) {
			diag_error(d, g->vals[v].loc,
			           "quantize: '%s' is not an f32 value (run infer-shapes "
			           "on a float graph first)",
			           g->vals[v].name);
			goto out;
		}
	q.uses = ir_xmalloc((size_t)(g->nval ? g->nval : 1) * sizeof *q.uses);
	q.conv = ir_xmalloc((size_t)(g->nval ? g->nval : 1) * 3 * sizeof *q.conv);
	for (int i = 0; i < g->nval * 3; i++)
		q.conv[i] = -1;
	ir_count_uses(g, q.uses);
	count_layer_uses(&q, prec);
	if (check_finite_consts(g, prec, d) || quantize_inputs(&q, prec, global) ||
	    rebuild(&q, prec))
		goto out;
	pass_drop_pins(g);
	rc = 0;
out:
	free(q.uses);
	free(q.conv);
	free(q.wq);
	free(q.wint);
	free(q.bint);
	free(q.bleft);
	free(prec);
	return rc;
}
