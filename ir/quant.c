/* ir/quant.c — the integer arithmetic of docs/requant.md: TFLite's
 * QuantizeMultiplier and MultiplyByQuantizedMultiplier (gemmlowp's
 * SaturatingRoundingDoublingHighMul + RoundingDivideByPOT), the choice of
 * per-tensor quantization parameters, activation clamp bounds, and the
 * per-channel requantization parameters of a weighted node.
 *
 * The reference interpreter, the quantize pass and the LLVM backend all take
 * their numbers from here, so that every part of the compiler agrees with the
 * runtime (runtime/src/requantize.c, quantize.c) bit for bit.
 */
#include <float.h>
#include <math.h>

#include "ir.h"
#include "ir_rules.h"
#include "qrt.h"

void ir_quantize_multiplier(double m, int32_t *mult, int *shift)
{
	int e;
	double q;
	long long qf;

	if (!(m >= 0) || isinf(m))
		ICE("quantize_multiplier: multiplier %g is not a finite m >= 0", m);
	if (m == 0) {
		*mult = 0;
		*shift = 0;
		return;
	}
	q = frexp(m, &e); /* m = q * 2^e, q in [0.5, 1) */
	qf = llround(q * 2147483648.0); /* half away from zero, as std::round */
	if (qf == 2147483648LL) { /* q rounded up to 1.0 */
		qf /= 2;
		e++;
	}
	if (e < -31) { /* below 2^-32: nothing survives the right shift */
		e = 0;
		qf = 0;
	}
	if (e > 30) { /* as TFLite: saturate to the largest representable */
		e = 30;
		qf = 2147483647LL;
	}
	*mult = (int32_t)qf;
	*shift = e;
}

int32_t ir_srdhm(int32_t a, int32_t b)
{
	int64_t ab, nudge;

	if (a == INT32_MIN && b == INT32_MIN)
		return INT32_MAX; /* the one product that does not fit */
	ab = (int64_t)a * (int64_t)b;
	nudge = ab >= 0 ? ((int64_t)1 << 30) : 1 - ((int64_t)1 << 30);
	/* a division, not a shift: gemmlowp truncates toward zero */
	return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

int32_t ir_rdbpot(int32_t x, int exponent)
{
	int32_t mask, remainder, threshold;

	if (exponent < 0 || exponent > 31)
		ICE("rdbpot: exponent %d outside [0, 31]", exponent);
	mask = (int32_t)(((int64_t)1 << exponent) - 1);
	remainder = x & mask;
	threshold = (mask >> 1) + (x < 0 ? 1 : 0);
	/* >> of a negative int32 is arithmetic on every compiler quantc supports */
	return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* The runtime is the single definition (generated code emits the same
 * arithmetic inline); test_requant checks it against ir_srdhm/ir_rdbpot. */
int32_t ir_mbqm(int32_t x, int32_t mult, int shift)
{
	if (shift < -31 || shift > 30)
		ICE("mbqm: shift %d outside [-31, 30]", shift);
	return qrt_requantize(x, mult, shift);
}

/* TFLite's int64 MultiplyByQuantizedMultiplier: the multiplier is reduced to
 * 16 bits and applied with one rounding (half up) right shift of 15 - shift.
 * Where TFLite asserts, quantc saturates: x to TFLite's assumed range
 * [-2^47, 2^47) (so the product fits in int64), the result to int32; and a
 * shift above 14 (M >= 2^14, which no sane model has) becomes an exact left
 * shift. */
int32_t ir_mbqm64(int64_t x, int32_t mult, int shift)
{
	const int64_t lim = (int64_t)1 << 47;
	int64_t rm, p, r;
	int total;

	if (shift < -31 || shift > 30)
		ICE("mbqm64: shift %d outside [-31, 30]", shift);
	if (mult < 0)
		ICE("mbqm64: negative multiplier %d", (int)mult);
	rm = mult < 0x7FFF0000 ? ((int64_t)mult + (1 << 15)) >> 16 : 0x7FFF;
	if (x < -lim)
		x = -lim;
	if (x > lim - 1)
		x = lim - 1;
	p = x * rm; /* |p| <= 2^62 */
	total = 15 - shift;
	if (total > 0) {
		r = (p + ((int64_t)1 << (total - 1))) >> total;
	} else {
		if (p > INT32_MAX)
			return INT32_MAX;
		if (p < INT32_MIN)
			return INT32_MIN;
		r = p * ((int64_t)1 << -total); /* |p| < 2^31, -total <= 15 */
	}
	if (r > INT32_MAX)
		return INT32_MAX;
	if (r < INT32_MIN)
		return INT32_MIN;
	return (int32_t)r;
}

int32_t ir_qmin(DType dt)
{
	switch (dt) {
	case DT_I8: return -128;
	case DT_I16: return -32768;
	case DT_I32: return INT32_MIN;
	default: ICE("qmin: no integer range for %s", ir_dtype_name(dt));
	}
}

int32_t ir_qmax(DType dt)
{
	switch (dt) {
	case DT_I8: return 127;
	case DT_I16: return 32767;
	case DT_I32: return INT32_MAX;
	default: ICE("qmax: no integer range for %s", ir_dtype_name(dt));
	}
}

/* NaN bounds (an empty calibration) count as 0; infinite ones as the
 * largest float, so the scale stays finite. */
static float sane_bound(float x)
{
	if (x != x)
		return 0.0f;
	if (x > FLT_MAX)
		return FLT_MAX;
	if (x < -FLT_MAX)
		return -FLT_MAX;
	return x;
}

/* An all-zero range gets scale 1 and zero point 0: any positive scale would
 * do (every value is 0), and 1 keeps the derived multipliers ordinary.  A
 * range so narrow that its scale underflows gets the smallest normal float,
 * so no later division meets a zero or subnormal scale. */
void ir_choose_qparams(float lo, float hi, DType dt, float *scale, int32_t *zp)
{
	double dlo, dhi, z;
	float s;

	lo = sane_bound(lo);
	hi = sane_bound(hi);
	if (lo > 0)
		lo = 0;
	if (hi < 0)
		hi = 0;
	dlo = lo;
	dhi = hi;
	if (dlo == dhi) {
		*scale = 1.0f;
		*zp = 0;
		return;
	}
	switch (dt) {
	case DT_I8:
		s = (float)((dhi - dlo) / 255.0);
		if (!(s >= FLT_MIN))
			s = FLT_MIN;
		/* the zero point that makes real 0 exactly representable */
		z = -128.0 - dlo / (double)s;
		z = z < 0 ? -floor(-z + 0.5) : floor(z + 0.5);
		if (z < -128)
			z = -128;
		if (z > 127)
			z = 127;
		*scale = s;
		*zp = (int32_t)z;
		return;
	case DT_I16:
		s = (float)((-dlo > dhi ? -dlo : dhi) / 32767.0);
		if (!(s >= FLT_MIN))
			s = FLT_MIN;
		*scale = s;
		*zp = 0;
		return;
	default: ICE("choose_qparams: cannot quantize to %s", ir_dtype_name(dt));
	}
}

int32_t ir_quantize_value(float x, float scale, int32_t zp, DType dt)
{
	return qrt_quantize_one(x, scale, zp, ir_qmin(dt), ir_qmax(dt));
}

void ir_act_bounds(Act act, DType dt, float scale, int32_t zp, int32_t *lo, int32_t *hi)
{
	int32_t qmin = ir_qmin(dt), qmax = ir_qmax(dt), six;

	*lo = qmin;
	*hi = qmax;
	switch (act) {
	case ACT_NONE: return;
	case ACT_RELU6:
		six = ir_quantize_value(6.0f, scale, zp, dt);
		if (six < *hi)
			*hi = six;
		/* fall through */
	case ACT_RELU:
		if (zp > *lo)
			*lo = zp;
		return;
	}
	ICE("act_bounds: unknown activation %d", (int)act);
}

static const QParams *need_q(const Graph *g, const Node *n, int v, const char *what)
{
	const QParams *q = &g->vals[v].q;

	if (!q->present || q->n < 1 || !q->scale)
		ICE("%s: %s %s has no quantization parameters", ir_ops[n->op].name, what,
		    g->vals[v].name);
	return q;
}

void ir_node_requant(const Graph *g, const Node *n, int32_t *mult, int *shift)
{
	const QParams *qi, *qw, *qo;
	int64_t oc, c;
	double s_in, s_w, s_out;

	if (!(ir_ops[n->op].flags & OPF_WEIGHTS))
		ICE("node_requant: %s has no weights", ir_ops[n->op].name);
	qi = need_q(g, n, n->in[0], "input");
	qw = need_q(g, n, n->in[1], "weight");
	qo = need_q(g, n, n->out, "output");
	oc = g->vals[n->in[1]].shape.d[0];
	if (qw->n != 1 && (qw->n != oc || qw->axis != 0))
		ICE("%s: weight %s has %d scales along axis %d, expected 1 or %lld along 0",
		    ir_ops[n->op].name, g->vals[n->in[1]].name, qw->n, qw->axis, (long long)oc);
	s_in = qi->scale[0];
	s_out = qo->scale[0];
	for (c = 0; c < oc; c++) {
		s_w = qw->scale[qw->n == 1 ? 0 : c];
		ir_quantize_multiplier(s_in * s_w / s_out, &mult[c], &shift[c]);
	}
}

/* ---- --requant float: onnxruntime's requantization ------------------------ */

/* 1.5 * 2^23: for |v| < 2^22, (v + MAGIC) - MAGIC is v rounded to an integer
 * in the current rounding mode (to nearest, ties to even), the trick MLAS
 * uses too; no libm, and every target computes it the same way. */
#define RQ_MAGIC 12582912.0f

float ir_requant_float_mult(float s_in, float s_w, float s_out)
{
	float p = s_in * s_w; /* a float32 rounding here, then the division's */
	return p / s_out;
}

int32_t ir_requant_float(int32_t acc, float m, int32_t zp, int32_t lo, int32_t hi)
{
	float v = (float)acc * m;
	float flo = (float)(lo - zp), fhi = (float)(hi - zp);

	/* MLAS clamps before rounding: max first, then min */
	v = v > flo ? v : flo;
	v = v < fhi ? v : fhi;
	v = (v + RQ_MAGIC) - RQ_MAGIC;
	return (int32_t)v + zp;
}

int ir_check_requant_float(const Graph *g, Diag *d)
{
	int bad = 0;

	if (!g->requant_float)
		return 0;
	for (int i = 0; i < g->nnode; i++) {
		const Node *n = &g->nodes[i];
		DType xt = g->vals[n->in[0]].dt;
		int ok;
		if (n->op == OP_NONE)
			continue;
		/* whether it computes without a requantization or with one
		 * that float mode defines: its family's rule */
		ok = (xt == DT_F32 || xt == DT_I8) && ir_rules_of(n->op)->requant_float_ok(g, n);
		if (ok)
			continue;
		diag_error(d, n->loc,
		           "--requant float supports int8 conv2d, dense, quantize (from "
		           "f32), dequantize and the ops that do not requantize (relu, maxpool2d, "
		           "flatten, reshape, clip, pad, transpose, lookup tables, global_avgpool, "
		           "concat of equal parameters); op '%s' ('%s', %s) has no float "
		           "requantization",
		           ir_ops[n->op].name, g->vals[n->out].name, ir_dtype_name(xt));
		bad++;
	}
	return bad;
}
