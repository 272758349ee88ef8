/* passes/fam_activation.c — the activation family's pass rules (pass_rules.h):
 * what infer-shapes, propagate-ranges, check-overflow and quantize do with
 * relu, clip, leaky_relu, sigmoid, tanh, hard_sigmoid, hard_swish,
 * softmax, abs and the unary math ops (neg ... round).  The arithmetic itself is in ir/fam_activation.c.
 *   shapes      the input's; softmax's axis must name one of its dims
 *   ranges      relu [max(lo, 0), max(hi, 0)];
 *               monotone ops map [lo, hi] to [f(lo), f(hi)] (leaky_relu
 *               and hard_sigmoid with a negative alpha swap them);
 *               hard_swish has its minimum -0.375 at x = -1.5; softmax
 *               is in [0, 1], log_softmax in [lo - hi - log(len), 0]; the unary math ops: f at the ends and at
 *               the interior extremes and jumps (unary_interval); all
 *               widened by float rounding
 *   overflow    (the log_softmax sums: ir/fam_activation.c's check_table;
 *               int8 softmax's Q12.19 sum saturates, ops.def)
 *               no accumulator: relu raises the floor to the zero point,
 *               clip clamps, the tables give any int8; the int16 lookup's
 *               slope * offset is below 65535 * 127 < 2^23 in int32
 *   quantize    relu and clip are OPF_KEEPQ; sigmoid, tanh and softmax take
 *               TFLite's fixed int8 parameters, the others their result's range;
 *               each but relu and clip gets its table as a second operand
 *               (int16: the i16[513] interpolated table); int16 sigmoid,
 *               tanh and softmax at TFLite's 1/32768, 0 and no table
 *               (TFLite's int16 algorithms, fixed tables); int8 softmax
 *               TFLite's gemmlowp kernel, no table either; log_softmax an
 *               i32 table of exp and ln in fixed point, at TFLite's 16/256,
 *               127 (int16 2^-11, 0) */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "act.h"
#include "pass_rules.h"
#include "qrt.h"

/* ---- infer-shapes ------------------------------------------------------------- */

#define ERR(...) (diag_error(d, n->loc, __VA_ARGS__), -1)

static int infer(Graph *g, Node *n, Diag *d, Shape *s, DType *dt)
{
	const Value *x = &g->vals[n->in[0]];
	const char *op = ir_ops[n->op].name;

	(void)dt; /* the input's */
	*s = x->shape;
	if ((n->op == OP_RELU || n->op == OP_ABS) &&
	    (x->dt == DT_F32 || x->dt == DT_I8 || x->dt == DT_I16))
		return 0; /* no table; other types meet the check below */
	if (n->op == OP_CLIP && !(n->a.min <= n->a.max))
		return ERR("clip: min %.9g is above max %.9g", (double)n->a.min, (double)n->a.max);
	if (ir_act_is_softmax(n->op)) {
		int64_t r = x->shape.rank;
		if (r == 0 || n->a.axis < -r || n->a.axis >= r)
			return ERR("%s: axis %lld is out of range for '%s' of rank %lld", op,
			           (long long)n->a.axis, x->name, (long long)r);
		if (n->a.axis < 0)
			n->a.axis += r;
	}
	if (x->dt == DT_F32) {
		if (n->nin > 1)
			return ERR("%s: a float %s takes one operand (the table is for int8)", op,
			           op);
		return 0;
	}
	if (n->op == OP_CLIP && (x->dt == DT_I8 || x->dt == DT_I16))
		return 0;
	if (x->dt != DT_I8 && x->dt != DT_I16)
		return ERR("%s: input '%s' is %s: %s computes in f32, i8 or i16", op, x->name,
		           ir_dtype_name(x->dt), op);
	if (n->op == OP_SOFTMAX)
		return 0; /* int8 and int16: TFLite's algorithms, no table operand */
	if (ir_act_tflite16(n->op, x->dt)) {
		if (n->nin > 1)
			return ERR("%s: an int16 %s takes one operand (TFLite's algorithm: its "
			           "tables are fixed)",
			           op, op);
		return 0;
	}
	DType want = ir_act_is_softmax(n->op) ? DT_I32 : x->dt;
	int64_t len = ir_act_is_softmax(n->op) ? ir_softmax_table_len(n->op, x->dt)
	                                       : ir_act_table_len(x->dt);
	const Value *t = n->nin > 1 ? &g->vals[n->in[1]] : NULL;
	if (!t || t->kind != VK_CONST || t->dt != want || t->shape.rank != 1 ||
	    t->shape.d[0] != len)
		return ERR("%s: a quantized %s needs a constant %s[%lld] table as its second "
		           "operand (the quantize pass builds it)",
		           op, op, ir_dtype_name(want), (long long)len);
	return 0;
}

#undef ERR

/* ---- propagate-ranges --------------------------------------------------------- */

/* One float operation is within half an ulp, the runtime's exp within two
 * and its tanh within 2^-23 absolute: 2^-20 relative plus 2^-22 covers
 * them all with room. */
static double widen(double v, int up)
{
	double e = fabs(v) * 0x1p-20 + 0x1p-22;
	return up ? v + e : v - e;
}

static double clamp_d(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static const double PI_D = 3.14159265358979323846;

/* sin and cos: the extremes inside [l, h] at off + k pi (sin: off = pi/2,
 * cos: 0), 1 for even k and -1 for odd k; with three or more inside, both */
static void periodic_extremes(double off, double l, double h, double *cand, int *nc)
{
	double k0 = ceil((l - off) / PI_D), k1 = floor((h - off) / PI_D);

	if (k1 - k0 >= 2) {
		cand[(*nc)++] = -1;
		cand[(*nc)++] = 1;
		return;
	}
	for (double k = k0; k <= k1; k++)
		cand[(*nc)++] = fmod(k, 2.0) == 0 ? 1 : -1;
}

/* A unary math op's interval: f at both ends and at the points inside
 * where it has an extreme or a jump (the value on either side); NaN
 * results (log, sqrt below 0) are left out, a pole (reciprocal, log,
 * negative powers at 0) gives an unbounded side. */
static void unary_interval(const Node *n, double *lo, double *hi)
{
	const Attrs *a = &n->a;
	int fn = ir_act_unary_fn(n->op);
	double l = *lo, h = *hi, cand[8];
	int nc = 0;

#define F(x) qrt_unary(fn, (x), a->alpha, a->beta)
#define INSIDE(x) ((x) > l && (x) < h)
	cand[nc++] = F(l);
	cand[nc++] = F(h);
	switch (n->op) {
	case OP_MISH: /* minimum -0.3088 at -1.1924 */
	case OP_GELU: /* minimum -0.1700 at -0.7518 */
		if (INSIDE(n->op == OP_MISH ? -1.19237 : -0.751791))
			cand[nc++] = n->op == OP_MISH ? -0.308840 : -0.169972;
		break;
	case OP_SQRT:
	case OP_LOG:
		if (l < 0)
			cand[0] = F(0.0);
		break;
	case OP_RECIPROCAL:
		if (l <= 0 && h >= 0)
			cand[nc++] = -INFINITY, cand[nc++] = INFINITY;
		break;
	case OP_POW:
		if (l < 0 && h > 0)
			cand[nc++] = F(0.0);
		if (a->alpha < 0 && l <= 0 && h >= 0)
			cand[nc++] = -INFINITY, cand[nc++] = INFINITY;
		if (l < 0 && a->alpha != floorf(a->alpha)) /* NaN below 0 */
			cand[0] = F(0.0);
		break;
	case OP_SIGN:
		if (INSIDE(0.0))
			cand[nc++] = 0;
		break;
	case OP_SHRINK: /* jumps at -lambd and lambd */
		if (l <= a->alpha && h >= -a->alpha)
			cand[nc++] = 0;
		if (l < -a->alpha && h >= -a->alpha)
			cand[nc++] = -a->alpha + a->beta;
		if (l <= a->alpha && h > a->alpha)
			cand[nc++] = a->alpha - a->beta;
		break;
	case OP_THRESHOLDED_RELU: /* a jump at alpha */
		if (l <= a->alpha && h > a->alpha)
			cand[nc++] = a->alpha, cand[nc++] = 0;
		break;
	case OP_SIN: /* extremes at pi/2 + k pi */
	case OP_COS: /* at k pi */
		periodic_extremes(n->op == OP_SIN ? PI_D / 2 : 0.0, l, h, cand, &nc);
		break;
	case OP_TAN: /* poles at pi/2 + k pi */
		if (floor((l - PI_D / 2) / PI_D) != floor((h - PI_D / 2) / PI_D))
			cand[nc++] = -INFINITY, cand[nc++] = INFINITY;
		break;
	case OP_ASIN: /* monotone on their domains: NaN outside */
	case OP_ACOS:
	case OP_ATANH:
		cand[0] = F(fmax(l, -1.0));
		cand[1] = F(fmin(h, 1.0));
		break;
	case OP_ACOSH: cand[0] = F(fmax(l, 1.0)); break;
	case OP_COSH: /* minimum 1 at 0 */
		if (INSIDE(0.0))
			cand[nc++] = 1;
		break;
	case OP_ELU: /* monotone for alpha >= 0; else a maximum at 0 */
	case OP_CELU:
	case OP_SELU:
		if (INSIDE(0.0))
			cand[nc++] = 0;
		break;
	default: break; /* monotone */
	}
#undef F
#undef INSIDE
	*lo = INFINITY;
	*hi = -INFINITY;
	for (int i = 0; i < nc; i++)
		if (cand[i] == cand[i]) {
			*lo = fmin(*lo, cand[i]);
			*hi = fmax(*hi, cand[i]);
		}
	if (*lo > *hi) /* all NaN */
		*lo = *hi = 0;
	/* neg and floor-like results are exact; the others within an ulp */
	*lo = widen(*lo, 0);
	*hi = widen(*hi, 1);
}

/* One element's interval from its input's [*lo, *hi]. */
static void interval(const Node *n, double *lo, double *hi)
{
	const Attrs *a = &n->a;
	double l = *lo, h = *hi, t;

	if (ir_act_unary_fn(n->op) >= 0) {
		unary_interval(n, lo, hi);
		return;
	}
	switch (n->op) {
	case OP_RELU: pass_range_act(ACT_RELU, lo, hi); return;
	case OP_CLIP: /* min and max are exact: no rounding */
		*lo = clamp_d(l, a->min, a->max);
		*hi = clamp_d(h, a->min, a->max);
		return;
	case OP_LEAKY_RELU:
		l = l < 0 ? a->alpha * l : l;
		h = h < 0 ? a->alpha * h : h;
		if (a->alpha < 0) { /* not monotone: the extremes are at the ends or 0 */
			t = fmax(l, h);
			l = fmin(fmin(l, h), 0);
			h = fmax(t, 0);
		}
		break;
	case OP_SIGMOID:
		l = 1 / (1 + exp(-l));
		h = 1 / (1 + exp(-h));
		break;
	case OP_TANH:
		l = tanh(l);
		h = tanh(h);
		break;
	case OP_HARD_SIGMOID:
		l = clamp_d(a->alpha * l + a->beta, 0, 1);
		h = clamp_d(a->alpha * h + a->beta, 0, 1);
		if (l > h) {
			t = l;
			l = h;
			h = t;
		}
		break;
	case OP_HARD_SWISH: {
		double fl = l * clamp_d(l + 3, 0, 6) / 6, fh = h * clamp_d(h + 3, 0, 6) / 6;
		/* decreasing below -1.5, increasing above */
		l = l <= -1.5 && h >= -1.5 ? -0.375 : fmin(fl, fh);
		h = fmax(fl, fh);
		break;
	}
	case OP_SOFTMAX:
		*lo = 0;
		*hi = 1;
		return;
	case OP_ABS: /* exact: no rounding; a NaN (unbounded) bound stays */
		if (l >= 0)
			return;
		if (h <= 0) {
			*lo = -h;
			*hi = -l;
		} else if (l < 0 && h > 0) {
			*lo = 0;
			*hi = fmax(-l, h);
		}
		return;
	default: ICE("propagate-ranges: %s is not an activation", ir_ops[n->op].name);
	}
	l = widen(l, 0);
	h = widen(h, 1);
	if (n->op == OP_SIGMOID || n->op == OP_HARD_SIGMOID) {
		l = clamp_d(l, 0, 1);
		h = clamp_d(h, 0, 1);
	} else if (n->op == OP_TANH) {
		l = clamp_d(l, -1, 1);
		h = clamp_d(h, -1, 1);
	}
	*lo = l;
	*hi = h;
}

/* log_softmax: x - m - log(sum exp(x - m)) is at most 0 and at least
 * lo - hi - log(len) over the whole input */
static void range_log_softmax(RangeCtx *c, const Node *n)
{
	const Value *xv = &c->g->vals[n->in[0]];
	int64_t cnt = ir_shape_numel(&xv->shape), outer, len, inner;
	const Box *x = &c->box[n->in[0]];
	Box *y = pass_box_new(c, n->out);
	double lo = INFINITY, hi = -INFINITY;

	for (int64_t i = 0; i < (x->coarse ? 1 : cnt); i++) {
		lo = fmin(lo, box_lo(x, i));
		hi = fmax(hi, box_hi(x, i));
	}
	ir_softmax_dims(&xv->shape, n->a.axis, &outer, &len, &inner);
	lo = widen(lo - hi - log((double)len), 0);
	for (int64_t i = 0; i < (y->coarse ? 1 : cnt); i++)
		box_put(y, i, lo, 0);
}

static void range(RangeCtx *c, const Node *n)
{
	int64_t len = ir_shape_numel(&c->g->vals[n->out].shape);
	const Box *x = &c->box[n->in[0]];
	Box *y;

	if (n->op == OP_LOG_SOFTMAX) {
		range_log_softmax(c, n);
		return;
	}
	y = pass_box_new(c, n->out);

	if (x->coarse && y->coarse)
		len = 1;
	for (int64_t i = 0; i < len; i++) {
		double lo = box_lo(x, i), hi = box_hi(x, i);
		interval(n, &lo, &hi);
		box_put(y, i, lo, hi);
	}
}

/* ---- check-overflow ------------------------------------------------------------ */

static int overflow(const Graph *g, const Node *n, QRange *r, Diag *d)
{
	const Value *x = &g->vals[n->in[0]], *y = &g->vals[n->out];
	QRange xr = r[n->in[0]], *out = &r[n->out];

	(void)d;
	if (n->op == OP_RELU) {
		*out = (QRange){xr.lo > x->q.zp ? xr.lo : x->q.zp,
		                xr.hi > x->q.zp ? xr.hi : x->q.zp};
		return 0;
	}
	out->lo = ir_qmin(y->dt);
	out->hi = ir_qmax(y->dt);
	if (n->op == OP_CLIP) {
		int32_t cl, ch;
		ir_clip_bounds(&n->a, x->dt, x->q.scale[0], x->q.zp, &cl, &ch);
		out->lo = xr.lo > cl ? (xr.lo < ch ? xr.lo : ch) : cl;
		out->hi = xr.hi < ch ? (xr.hi > cl ? xr.hi : cl) : ch;
	}
	/* the tables and the softmaxes produce any int8; the log_softmax sum
	 * is at most 2^20 per element in int64, int8 softmax's saturates: no
	 * accumulator to prove */
	return 0;
}

/* ---- quantize ---------------------------------------------------------------------- */

static int add_table(Graph *g, Node *n, DType dt, int64_t len, const void *data)
{
	char base[256];
	snprintf(base, sizeof base, "%s.table", g->vals[n->out].name);
	int t = ir_value_new_unique(g, base, VK_CONST, n->loc);
	Value *tv = &g->vals[t];
	size_t bytes = (size_t)len * (size_t)ir_dtype_size(dt);

	tv->has_type = 1;
	tv->dt = dt;
	tv->shape.rank = 1;
	tv->shape.d[0] = len;
	tv->data = ir_alloc(g, bytes);
	memcpy(tv->data, data, bytes);
	n->in[1] = t;
	n->nin = 2;
	return 0;
}

/* relu and clip keep their input's parameters (OPF_KEEPQ, set by the
 * caller); abs takes its own from its range; the others their own
 * parameters and, but softmax and TFLite's int16 ops, a table. */
static int quantize(QuantCtx *q, Node *n, DType dt)
{
	Graph *g = q->g;
	Diag *d = q->d;
	const Value *x, *y = &g->vals[n->out];
	float lo, hi, s;
	int32_t zp;

	if (ir_ops[n->op].flags & OPF_KEEPQ)
		return 0;
	if (!ir_act_fixed_qparams(n->op, dt, &s, &zp)) {
		if (pass_act_range(y, &lo, &hi)) {
			diag_error(d, y->loc,
			           "quantize: '%s' has no observed range: run calibrate first",
			           y->name);
			return -1;
		}
		ir_choose_qparams(lo, hi, dt, &s, &zp);
	}
	ir_set_qparams(g, n->out, s, zp);
	if (n->op == OP_ABS || n->op == OP_SOFTMAX || ir_act_tflite16(n->op, dt))
		return 0; /* requantizes |x - zp_x|; TFLite's softmax (gemmlowp fixed
		             point) and fixed tables: no table */
	x = &g->vals[n->in[0]];
	if (ir_act_is_softmax(n->op)) {
		int32_t t[4 * IR_ACT_TABLE_N];
		if (ir_softmax_table_int(n->op, dt, x->q.scale[0], s, t)) {
			diag_error(d, n->loc,
			           "quantize: %s '%s': the input's scale %.9g is 128 or more times "
			           "the result's %.9g: calibrate the input's range tighter",
			           ir_ops[n->op].name, y->name, (double)x->q.scale[0], (double)s);
			return -1;
		}
		return add_table(g, n, DT_I32, ir_softmax_table_len(n->op, dt), t);
	}
	if (dt == DT_I16) {
		int16_t t16[IR_ACT_LUT16_N];
		ir_act_table_s16(n->op, &n->a, x->q.scale[0], x->q.zp, s, zp, t16);
		return add_table(g, n, DT_I16, IR_ACT_LUT16_N, t16);
	}
	int8_t t[IR_ACT_TABLE_N];
	ir_act_table_s8(n->op, &n->a, x->q.scale[0], x->q.zp, s, zp, t);
	return add_table(g, n, DT_I8, IR_ACT_TABLE_N, t);
}

const PassRules pass_rules_activation = {
        .infer = infer,
        .macs = pass_no_macs,
        .range = range,
        .overflow = overflow,
        .convert_all = 0,
        .own_qparams = 1,
        .quantize = quantize,
        .why_no_range = pass_no_note,
        .bias_error = NULL,
};
