/* quantize.c — the quantize pass: turns a float graph into the fixed-point
 * graph of DESIGN section 5.
 *   activations: per-tensor int8 (asymmetric) or int16 (symmetric), from the
 *                clipping range a calibration method chose, else the
 *                observed range (or the declared range of an input);
 *                ops flagged OPF_KEEPQ reuse their input's parameters
 *   weights:     int8, symmetric, one scale per output channel
 *   bias:        int32 at scale input_scale * weight_scale[c], zero point 0 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"

static int act_range(const Value *v, float *lo, float *hi)
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
	/* an all-zero channel gets scale 1: any scale represents it exactly */
	sc = m > 0 ? (float)((double)m / 127.0) : 1.0f;
	for (int64_t i = 0; i < n; i++) {
		q[i] = (int8_t)ir_quantize_value(w[i], sc, 0, DT_I8);
		if (q[i] < -127)
			q[i] = -127;
	}
	return sc;
}

static int quantize_weights(Graph *g, int wv, float **scales, Diag *d)
{
	Value *w = &g->vals[wv];
	int64_t oc = w->shape.d[0], per = ir_shape_numel(&w->shape) / oc;
	const float *src = w->data;
	int8_t *q = ir_alloc(g, (size_t)(oc * per));
	float *sc = ir_xmalloc((size_t)oc * sizeof *sc);

	for (int64_t i = 0; i < oc * per; i++)
		if (!isfinite(src[i])) {
			diag_error(d, w->loc, "quantize: weight '%s' holds a non-finite value", w->name);
			free(sc);
			return -1;
		}
	for (int64_t c = 0; c < oc; c++)
		sc[c] = pass_quantize_channel(src + c * per, per, q + c * per);
	w->data = q;
	w->dt = DT_I8;
	ir_set_qparams_axis(g, wv, 0, (int)oc, sc);
	*scales = sc;
	return 0;
}

/* The bias at scale s_in * s_w[c]: int32 for int8 layers; int64 for int16
 * layers (TFLite's 16x8 scheme), whose accumulator then runs in 64 bits. */
static int quantize_bias(Graph *g, int bv, float s_in, const float *s_w, DType bdt, Diag *d)
{
	Value *b = &g->vals[bv];
	int64_t n = b->shape.d[0];
	const float *src = b->data;
	void *q = ir_alloc(g, (size_t)n * (size_t)ir_dtype_size(bdt));
	float *sc = ir_xmalloc((size_t)n * sizeof *sc);
	double limit = bdt == DT_I64 ? 9.2e18 : 2147483647.0;

	for (int64_t c = 0; c < n; c++) {
		double s = (double)s_in * (double)s_w[c];
		double r = round((double)src[c] / s);
		if (!(fabs(r) <= limit)) {
			diag_error(d, b->loc, "quantize: bias '%s'[%lld] = %g does not fit %s at scale %g",
			           b->name, (long long)c, (double)src[c], ir_dtype_name(bdt), s);
			free(sc);
			return -1;
		}
		if (bdt == DT_I64)
			((int64_t *)q)[c] = (int64_t)r;
		else
			((int32_t *)q)[c] = (int32_t)r;
		sc[c] = (float)s;
	}
	b->data = q;
	b->dt = bdt;
	ir_set_qparams_axis(g, bv, 0, (int)n, sc);
	free(sc);
	return 0;
}

int pass_quantize(Graph *g, const PassOptions *o, Diag *d)
{
	Precision p = o->ctx ? o->ctx->precision : PREC_INT8;
	DType adt = p == PREC_INT16 ? DT_I16 : DT_I8;
	int *uses = ir_xmalloc((size_t)(g->nval ? g->nval : 1) * sizeof *uses);
	int rc = -1;

	if (p == PREC_F32) {
		free(uses);
		return 0;
	}
	ir_count_uses(g, uses);
	for (int v = 0; v < g->nval; v++)
		if (g->vals[v].kind != VK_CONST && (!g->vals[v].has_type || g->vals[v].dt != DT_F32)) {
			diag_error(d, g->vals[v].loc, "quantize: '%s' is not an f32 value (run infer-shapes "
			           "on a float graph first)", g->vals[v].name);
			goto out;
		}
	for (int i = 0; i < g->ninput; i++) {
		Value *v = &g->vals[g->inputs[i]];
		float lo, hi, s;
		int32_t zp;
		if (act_range(v, &lo, &hi)) {
			diag_error(d, v->loc, "quantize: input '%s' has no range: calibrate it (--calib) "
			           "or declare one (range [lo, hi])", v->name);
			goto out;
		}
		ir_choose_qparams(lo, hi, adt, &s, &zp);
		v->dt = adt;
		ir_set_qparams(g, g->inputs[i], s, zp);
	}
	for (int i = 0; i < g->nnode; i++) {
		Node *n = &g->nodes[i];
		Value *x = &g->vals[n->in[0]], *y = &g->vals[n->out];
		if (ir_ops[n->op].flags & OPF_KEEPQ) {
			y->dt = x->dt;
			ir_set_qparams(g, n->out, x->q.scale[0], x->q.zp);
			continue;
		}
		float lo, hi, s;
		int32_t zp;
		if (act_range(y, &lo, &hi)) {
			diag_error(d, y->loc, "quantize: '%s' has no observed range: run calibrate first",
			           y->name);
			goto out;
		}
		ir_choose_qparams(lo, hi, adt, &s, &zp);
		y->dt = adt;
		ir_set_qparams(g, n->out, s, zp);
		if (!(ir_ops[n->op].flags & OPF_WEIGHTS))
			ICE("quantize: no rule for %s", ir_ops[n->op].name);
		for (int k = 1; k < n->nin; k++)
			if (uses[n->in[k]] != 1) {
				diag_error(d, n->loc, "quantize: constant '%s' is shared by several layers "
				           "(not supported yet)", g->vals[n->in[k]].name);
				goto out;
			}
		float *sw;
		if (quantize_weights(g, n->in[1], &sw, d))
			goto out;
		int brc = n->nin > 2 ? quantize_bias(g, n->in[2], x->q.scale[0], sw,
		                                         adt == DT_I16 ? DT_I64 : DT_I32, d) : 0;
		free(sw);
		if (brc)
			goto out;
	}
	rc = 0;
out:
	free(uses);
	return rc;
}
