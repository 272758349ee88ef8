/* report.c — the analysis of `quantc report`: how much each layer loses to
 * quantization.
 *
 * Both interpreters, float and quantized, run every sample side by side; a
 * hook on each captures every layer's output.  Layers are matched by value
 * name, which the passes keep (a fused relu hands its name to the conv that
 * absorbs it, in both graphs alike).  The quantized output is dequantized
 * (real = scale * (q - zp)) and compared with the float one, accumulated
 * over all samples: SQNR, absolute errors, cosine similarity and the
 * fraction of float values the layer's quantized range cannot hold.  Then
 * the float and quantized argmax of the output are compared.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static void float_hook(void *ctx, const Graph *g, int v, const void *data)
{
	Report *r = ctx;
	(void)g;
	if (r->of_fval[v] >= 0) {
		Layer *l = &r->l[r->of_fval[v]];
		memcpy(l->ref, data, (size_t)l->numel * sizeof(float));
	}
}

/* Element i of a value's storage data, in real units. */
static double real_at(const Value *v, const void *data, int64_t i, int64_t inner)
{
	double q;
	switch (v->dt) {
	case DT_F32: return ((const float *)data)[i];
	case DT_I8: q = ((const int8_t *)data)[i]; break;
	case DT_I16: q = ((const int16_t *)data)[i]; break;
	case DT_I32: q = ((const int32_t *)data)[i]; break;
	case DT_I64: q = (double)((const int64_t *)data)[i]; break;
	case DT_U8: q = ((const uint8_t *)data)[i]; break;
	default: return 0;
	}
	if (!v->q.present)
		return q;
	int c = v->q.axis < 0 ? 0 : (int)((i / inner) % v->q.n);
	return (double)v->q.scale[c] * (q - v->q.zp);
}

/* The real interval a quantized value can hold, for channel c. */
void drv_representable(const Value *v, int c, double *lo, double *hi)
{
	double s = v->q.scale[v->q.axis < 0 ? 0 : c];
	*lo = s * ((double)ir_qmin(v->dt) - v->q.zp);
	*hi = s * ((double)ir_qmax(v->dt) - v->q.zp);
}

/* Is f clipped by the interval [lo, hi] of step s?  Only beyond half a step:
 * nearer values round to the end point as any value rounds to its nearest
 * level (and 1.0 at scale 1/32767 sits a rounding error above 32767 * s). */
static int clips(double f, double lo, double hi, double s)
{
	return f < lo - s / 2 || f > hi + s / 2;
}

/* Elements per step of the quantization axis (1 past the last dim). */
static int64_t inner_size(const Value *v)
{
	int64_t inner = 1;
	if (v->q.present && v->q.axis >= 0)
		for (int k = v->q.axis + 1; k < v->shape.rank; k++)
			inner *= v->shape.d[k];
	return inner;
}

static void quant_hook(void *ctx, const Graph *g, int v, const void *data)
{
	Report *r = ctx;
	if (r->of_qval[v] < 0)
		return;
	Layer *l = &r->l[r->of_qval[v]];
	const Value *val = &g->vals[v];
	int quantized = val->q.present && val->dt != DT_F32;
	int64_t inner = inner_size(val);
	for (int64_t i = 0; i < l->numel; i++) {
		double f = l->ref[i], q = real_at(val, data, i, inner), e = fabs(f - q);
		l->sig += f * f;
		l->noise += e * e;
		l->qq += q * q;
		l->dot += f * q;
		l->abs_sum += e;
		if (e > l->max_abs)
			l->max_abs = e;
		if (quantized) {
			double lo, hi;
			int c = val->q.axis < 0 ? 0 : (int)((i / inner) % val->q.n);
			drv_representable(val, c, &lo, &hi);
			l->clipped += clips(f, lo, hi, val->q.scale[c]);
		}
	}
	l->count += l->numel;
}

double drv_layer_sqnr(const Layer *l)
{
	return pass_sqnr_db(l->sig, l->noise);
}

double drv_layer_cosine(const Layer *l)
{
	if (l->sig == 0 && l->qq == 0)
		return 1;
	if (l->sig == 0 || l->qq == 0)
		return 0;
	return l->dot / sqrt(l->sig * l->qq);
}

double drv_layer_mean_abs(const Layer *l)
{
	return l->count ? l->abs_sum / (double)l->count : 0;
}

double drv_layer_clipped(const Layer *l)
{
	return l->count ? (double)l->clipped / (double)l->count : 0;
}

const char *drv_layer_op(const Graph *g, int v)
{
	int def = g->vals[v].def;
	return def >= 0 ? ir_ops[g->nodes[def].op].name : "input";
}

/* "int16" if any activation is int16, else "int8" if any is int8, else
 * "f32": what the quantized graph really is, dump or not. */
const char *drv_report_precision(const Graph *g)
{
	int i8 = 0;
	for (int v = 0; v < g->nval; v++) {
		if (g->vals[v].kind == VK_CONST || !g->vals[v].has_type)
			continue;
		if (g->vals[v].dt == DT_I16)
			return "int16";
		i8 |= g->vals[v].dt == DT_I8;
	}
	return i8 ? "int8" : "f32";
}

/* Candidate layer k of g: its inputs, then its nodes' results; -1 for a
 * deleted node. */
int drv_report_candidate(const Graph *g, int k)
{
	if (k < g->ninput)
		return g->inputs[k];
	const Node *n = &g->nodes[k - g->ninput];
	return n->op == OP_NONE ? -1 : n->out;
}

/* Layers in the quantized graph's order: inputs, then node results, each
 * with a float counterpart of the same name and size. */
void drv_report_match(Report *r)
{
	const Graph *qg = r->qg, *fg = r->fg;
	int cap = 0;

	r->of_qval = ir_xmalloc((size_t)qg->nval * sizeof(int));
	r->of_fval = ir_xmalloc((size_t)fg->nval * sizeof(int));
	memset(r->of_qval, -1, (size_t)qg->nval * sizeof(int));
	memset(r->of_fval, -1, (size_t)fg->nval * sizeof(int));
	for (int k = 0; k < qg->ninput + qg->nnode; k++) {
		int qv = drv_report_candidate(qg, k);
		if (qv < 0)
			continue;
		int fv = ir_value_find(fg, qg->vals[qv].name);
		/* a float constant never reaches the hook: it is no counterpart */
		if (fv < 0 || fg->vals[fv].kind == VK_CONST || fg->vals[fv].dt != DT_F32 ||
		    r->of_qval[qv] >= 0 ||
		    ir_shape_numel(&fg->vals[fv].shape) != ir_shape_numel(&qg->vals[qv].shape))
			continue;
		ir_vgrow((void **)&r->l, &cap, r->n, sizeof *r->l);
		Layer *l = &r->l[r->n];
		memset(l, 0, sizeof *l);
		l->qv = qv;
		l->fv = fv;
		l->numel = ir_shape_numel(&qg->vals[qv].shape);
		l->ref = ir_xcalloc((size_t)l->numel, sizeof(float));
		r->of_qval[qv] = r->of_fval[fv] = r->n++;
	}
}

static int64_t argmax(const float *x, int64_t n)
{
	int64_t best = 0;
	for (int64_t i = 1; i < n; i++)
		if (x[i] > x[best])
			best = i;
	return best;
}

/* The layer with the lowest SQNR, and the one with the most clipping. */
void drv_report_worst(const Report *r, int *low, int *clip)
{
	*low = *clip = -1;
	for (int i = 0; i < r->n; i++) {
		if (*low < 0 || drv_layer_sqnr(&r->l[i]) < drv_layer_sqnr(&r->l[*low]))
			*low = i;
		if (r->l[i].clipped &&
		    (*clip < 0 || drv_layer_clipped(&r->l[i]) > drv_layer_clipped(&r->l[*clip])))
			*clip = i;
	}
}

/* Runs both graphs over every sample, counting equal argmaxes. */
int drv_report_compare(Report *r, const NpyArray *x, Diag *d)
{
	Interp *fi = ir_interp_new(r->fg, d), *qi = fi ? ir_interp_new(r->qg, d) : NULL;
	const Value *fo = &r->fg->vals[r->fg->outputs[0]];
	int64_t nout = ir_shape_numel(&fo->shape);
	float *yf = ir_xmalloc((size_t)nout * sizeof *yf),
	      *yq = ir_xmalloc((size_t)nout * sizeof *yq);
	int rc = -1;

	r->agree = 0;
	if (!qi)
		goto out;
	ir_interp_set_hook(fi, float_hook, r);
	ir_interp_set_hook(qi, quant_hook, r);
	Progress pr;
	progress_begin(&pr, d, "report", x->shape.d[0]);
	for (int64_t i = 0; i < x->shape.d[0]; i++) {
		const float *ins[IR_MAX_IN]; /* x[k]: input k's samples, [S, ...its shape] */
		for (int k = 0; k < r->fg->ninput; k++)
			ins[k] = (const float *)x[k].data +
			         i * ir_shape_numel(&r->fg->vals[r->fg->inputs[k]].shape);
		float *of[1] = {yf}, *oq[1] = {yq};
		progress_step(&pr, i);
		/* the float run first: the quantized hook compares with its results */
		if (ir_interp_run_f32(fi, ins, of) || ir_interp_run_f32(qi, ins, oq)) {
			progress_end(&pr);
			diag_error(d, loc_none(),
			           "report: the interpreter cannot take float samples for "
			           "this graph's input or output types");
			goto out;
		}
		r->agree += argmax(yf, nout) == argmax(yq, nout);
	}
	progress_end(&pr);
	r->samples = x->shape.d[0];
	rc = 0;
out:
	free(yf);
	free(yq);
	ir_interp_free(fi);
	ir_interp_free(qi);
	return rc;
}
