/* bias_correct.c — the bias-correct pass (--bias-correction): removes the mean
 * error that weight quantization puts into each conv2d/dense output channel.
 *
 * Quantized weights W' = s_w[c] * q differ from the float W by dW = W - W'.
 * For the same input x the layer's pre-activation output moves by dW x, whose
 * mean over the calibration data is dW E[x] (the layer is linear; for conv2d
 * the mean is also over output positions, padding reading zeros).  Adding
 * that to the float bias makes E[W' x + b'] = E[W x + b] channel by channel;
 * quantize then rounds b' to int32 as any bias.  E[x] comes from one run of
 * the float interpreter over --calib, and W' from pass_quantize_channel, the
 * rule quantize itself applies, so the pass sits between calibrate and
 * quantize (it needs the float weights, which quantize replaces).  The
 * mean error of each op is its family's bias_error hook (fam_weighted.c).  Only
 * constants change: the interpreter and the object stay bit-exact.  Layers
 * without a bias are left alone. */
#include <math.h>
#include <stdlib.h>

#include "pass_rules.h"

typedef struct {
	double **sum; /* per value: elementwise sum over samples, or NULL */
	int64_t *runs;
} Sums;

static void accumulate(void *ctx, const Graph *g, int v, const void *data)
{
	Sums *s = ctx;
	const float *x = data;

	if (!s->sum[v])
		return;
	int64_t n = ir_shape_numel(&g->vals[v].shape);
	for (int64_t i = 0; i < n; i++)
		s->sum[v][i] += x[i];
	s->runs[v]++;
}

/* Folds the mean error of node n's weight quantization into its bias. */
static void correct(Graph *g, const Node *n, const double *mean, Diag *d)
{
	Value *wv = &g->vals[n->in[1]], *bv = &g->vals[n->in[2]];
	int64_t oc = wv->shape.d[0], per = ir_shape_numel(&wv->shape) / oc;
	const float *w = wv->data, *b = bv->data;
	double *dw = ir_xmalloc((size_t)(oc * per) * sizeof *dw);
	double *err = ir_xmalloc((size_t)oc * sizeof *err);
	int8_t *q = ir_xmalloc((size_t)per);

	for (int64_t o = 0; o < oc; o++) {
		double s = pass_quantize_channel(w + o * per, per, q);
		for (int64_t i = 0; i < per; i++)
			dw[o * per + i] = (double)w[o * per + i] - s * q[i];
	}
	pass_rules[ir_ops[n->op].family]->bias_error(g, n, dw, mean, err);
	float *nb = ir_alloc(g, (size_t)oc * sizeof *nb);
	int ok = 1;
	for (int64_t o = 0; o < oc; o++) {
		nb[o] = (float)((double)b[o] + err[o]);
		ok &= isfinite(nb[o]) != 0;
	}
	if (ok)
		bv->data = nb;
	else
		diag_warning(d, bv->loc,
		             "bias-correct: the corrected bias '%s' is not finite; "
		             "left as it was",
		             bv->name);
	free(q);
	free(err);
	free(dw);
}

/* A layer the pass corrects: weights and bias still float, the bias its own
 * (the weight may be shared: the correction changes only the bias), and to
 * be quantized (prec: its precision; an f32 layer keeps its weights exact). */
static int eligible(const Graph *g, const Node *n, const int *uses, Precision prec)
{
	if (!(ir_ops[n->op].flags & OPF_WEIGHTS) || n->nin < 3 || prec == PREC_F32)
		return 0;
	for (int k = 1; k < 3; k++) {
		const Value *c = &g->vals[n->in[k]];
		if (c->kind != VK_CONST || c->dt != DT_F32 || !c->data ||
		    (k == 2 && uses[n->in[k]] != 1))
			return 0;
	}
	return 1;
}

int pass_bias_correct(Graph *g, const PassOptions *o, Diag *d)
{
	size_t nv = (size_t)(g->nval ? g->nval : 1);
	int *uses = ir_xmalloc(nv * sizeof *uses);
	Sums s = {ir_xcalloc(nv, sizeof(double *)), ir_xcalloc(nv, sizeof(int64_t))};
	int rc = 0;

	Precision *prec = ir_xmalloc((size_t)(g->nnode ? g->nnode : 1) * sizeof *prec);
	int any = 0;

	pass_node_precisions(g, o->ctx, prec);
	for (int i = 0; i < g->nnode; i++)
		any |= prec[i] != PREC_F32;
	if (!any)
		goto out; /* nothing will be quantized */
	ir_count_uses(g, uses);
	for (int i = 0; i < g->nnode; i++) {
		const Node *n = &g->nodes[i];
		int x = n->in[0];
		if (n->op != OP_NONE && eligible(g, n, uses, prec[i]) && !s.sum[x])
			s.sum[x] = ir_xcalloc((size_t)ir_shape_numel(&g->vals[x].shape),
			                      sizeof(double));
	}
	if ((rc = pass_calib_run(g, o, "bias-correct", accumulate, &s, d)))
		goto out;
	for (int i = 0; i < g->nnode; i++) {
		const Node *n = &g->nodes[i];
		int x = n->in[0];
		if (n->op == OP_NONE || !eligible(g, n, uses, prec[i]) || !s.runs[x])
			continue;
		int64_t numel = ir_shape_numel(&g->vals[x].shape);
		double *mean = ir_xmalloc((size_t)numel * sizeof *mean);
		for (int64_t k = 0; k < numel; k++)
			mean[k] = s.sum[x][k] / (double)s.runs[x];
		correct(g, n, mean, d);
		free(mean);
	}
out:
	for (int v = 0; v < g->nval; v++)
		free(s.sum[v]);
	free(s.sum);
	free(s.runs);
	free(uses);
	free(prec);
	return rc;
}
