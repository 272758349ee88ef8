/* calibrate.c — the calibrate pass: runs the float reference interpreter over
 * every calibration sample and records, for every value, the smallest and
 * largest number it took (Value.calib).  Those ranges are what quantize turns
 * into scales and zero points.
 *
 * With a calibration method other than minmax (--calibration, or
 * calibrate{method=entropy,percentile=99.9,bins=2048}) the same run also
 * builds each value's |x| histogram (calib_methods.c), and the range the
 * method picks from it is recorded as Value.clip, which quantize prefers.
 * calib keeps what was seen, so a dump shows both.  With minmax no clip is
 * written and the output is what it always was. */
#include <float.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"

typedef struct {
	float *lo, *hi;
	Hist *hist; /* per value; count == NULL where the method is minmax */
} Stats;

static void observe(void *ctx, const Graph *g, int v, const void *data)
{
	Stats *s = ctx;
	const float *x = data;
	int64_t n = ir_shape_numel(&g->vals[v].shape);
	float lo = s->lo[v], hi = s->hi[v];

	for (int64_t i = 0; i < n; i++) {
		if (x[i] < lo)
			lo = x[i];
		if (x[i] > hi)
			hi = x[i];
	}
	s->lo[v] = lo;
	s->hi[v] = hi;
	if (s->hist[v].count)
		calib_hist_add(&s->hist[v], x, n);
}

/* The hook of pass_calib_run's caller, called for f32 values only: an index
 * value (i64: an index input, never quantized) has no range to record, and a
 * u8 mask (a comparison's result) is 0 or 1. */
typedef struct {
	InterpHook fn;
	void *ctx;
} F32Hook;

static void f32_only(void *ctx, const Graph *g, int v, const void *data)
{
	const F32Hook *h = ctx;

	if (g->vals[v].dt == DT_F32)
		h->fn(h->ctx, g, v, data);
}

int pass_calib_run(Graph *g, const PassOptions *o, const char *pass, InterpHook fn, void *ctx,
                   Diag *d)
{
	const CalibData *cd = o->ctx ? o->ctx->calib : NULL;
	char b1[96], b2[96];

	if (!cd) {
		diag_error(d, loc_none(),
		           "%s: no calibration data (pass --calib FILE.npy, "
		           "or --precision f32)",
		           pass);
		return -1;
	}
	if (g->ninput != cd->nin) {
		diag_error(d, loc_file(cd->path),
		           "%s: %d calibration file%s for '%s', which has %d inputs (one --calib "
		           "each)",
		           pass, cd->nin, cd->nin == 1 ? "" : "s", g->name, g->ninput);
		return -1;
	}
	for (int k = 0; k < g->ninput; k++) {
		const Value *in = &g->vals[g->inputs[k]];
		if (in->dt != DT_F32 && in->dt != DT_I64 && in->dt != DT_U8) { /* u8: a mask */
			diag_error(d, in->loc, "%s: input '%s' is already %s", pass, in->name,
			           ir_dtype_name(in->dt));
			return -1;
		}
		if (!ir_shape_eq(&in->shape, &cd->sample[k])) {
			diag_error(
			        d, loc_file(cd->paths[k]),
			        "calibration samples are %s, input '%s' is %s (a calibration file "
			        "holds [S, ...the input's shape] for S samples)",
			        ir_shape_str(&cd->sample[k], b1, sizeof b1), in->name,
			        ir_shape_str(&in->shape, b2, sizeof b2));
			return -1;
		}
	}
	for (int v = 0; v < g->nval; v++)
		if (g->vals[v].kind != VK_CONST && g->vals[v].dt != DT_F32 &&
		    g->vals[v].dt != DT_I64 && g->vals[v].dt != DT_U8) {
			diag_error(d, g->vals[v].loc, "%s: '%s' is not f32", pass, g->vals[v].name);
			return -1;
		}
	Interp *it = ir_interp_new(g, d);
	if (!it)
		return -1;
	F32Hook hook = {fn, ctx};
	ir_interp_set_hook(it, f32_only, &hook);
	int rc = 0;
	Progress pr;
	progress_begin(&pr, d, pass, cd->n);
	for (int64_t i = 0; i < cd->n && !rc; i++) {
		progress_step(&pr, i);
		const void *ins[IR_MAX_IN];
		for (int k = 0; k < cd->nin; k++)
			ins[k] = (const char *)cd->data[k] +
			         i * ir_value_bytes(&g->vals[g->inputs[k]]); /* f32 or i64 */
		void *outs[IR_MAX_IN] = {0};
		float *tmp[8];
		if (g->noutput > 8)
			ICE("%s: more than 8 outputs", pass);
		for (int k = 0; k < g->noutput; k++)
			outs[k] = tmp[k] = ir_xmalloc(
			        (size_t)ir_value_bytes(&g->vals[g->outputs[k]]));
		rc = ir_interp_run(it, ins, outs);
		for (int k = 0; k < g->noutput; k++)
			free(tmp[k]);
	}
	progress_end(&pr);
	ir_interp_free(it);
	return rc ? -1 : 0;
}

/* The run's method (--calibration, --percentile), overridden by the pass's
 * own options. */
static int read_params(const PassOptions *o, CalibParams *p, Diag *d)
{
	char word[32];
	double x;
	int r;

	if (o->ctx && o->ctx->calib)
		*p = o->ctx->calib->params;
	if ((r = pass_opt_str(o, "method", word, sizeof word, d)) < 0)
		return -1;
	if (r) {
		int m = calib_method_from_name(word);
		if (m < 0) {
			diag_error(d, loc_none(),
			           "calibrate: unknown method '%s' (minmax, percentile, "
			           "entropy, mse)",
			           word);
			return -1;
		}
		p->method = (CalibMethod)m;
	}
	if ((r = pass_opt_double(o, "percentile", &x, d)) < 0)
		return -1;
	if (r)
		p->percentile = x;
	if (p->percentile == 0)
		p->percentile = 99.99;
	if (!(p->percentile > 0 && p->percentile <= 100)) {
		diag_error(d, loc_none(), "calibrate: percentile %g is not in (0, 100]",
		           p->percentile);
		return -1;
	}
	if ((r = pass_opt_double(o, "bins", &x, d)) < 0)
		return -1;
	if (r)
		p->bins = x >= 1 && x <= 65536 && x == (int)x ? (int)x : -1;
	if (!p->bins)
		p->bins = 2048;
	if (p->bins < 256 || p->bins > 65536) {
		diag_error(d, loc_none(), "calibrate: bins must be a whole number in [256, 65536]");
		return -1;
	}
	return 0;
}

/* The outputs of relu, maxpool2d, flatten and reshape take their input's
 * parameters: quantize never reads their range, so they get no histogram
 * and no clip. */
static int keeps_input_q(const Graph *g, int v)
{
	int def = g->vals[v].def;
	return def >= 0 && (ir_ops[g->nodes[def].op].flags & OPF_KEEPQ);
}

/* The first per-layer setting (--config) whose pattern matches value name. */
static void override(const PassOptions *o, const char *name, CalibParams *p)
{
	const CalibData *cd = o->ctx ? o->ctx->calib : NULL;

	for (int i = 0; cd && name && i < cd->nlayer; i++) {
		const CalibOverride *l = &cd->layers[i];
		if (strcmp(l->match, name) != 0 && fnmatch(l->match, name, 0) != 0)
			continue;
		if (l->set & CALIB_SET_METHOD)
			p->method = l->params.method;
		if (l->set & CALIB_SET_PERCENTILE)
			p->percentile = l->params.percentile;
		if (l->set & CALIB_SET_BINS)
			p->bins = l->params.bins;
		return;
	}
}

/* The grid value v will be quantized to: that of the layer computing it (an
 * input: of its first reader), per-layer precisions included. */
static DType value_grid(const Graph *g, const Precision *prec, Precision global, int v)
{
	int def = g->vals[v].def, k = 0;
	Precision p = global;

	if (def >= 0 && def < g->nnode)
		p = prec[def];
	else {
		while (k < g->nnode && g->nodes[k].in[0] != v)
			k++;
		if (k < g->nnode)
			p = prec[k];
	}
	return p == PREC_INT16 ? DT_I16 : DT_I8;
}

int pass_calibrate(Graph *g, const PassOptions *o, Diag *d)
{
	CalibParams all = {CALIB_MINMAX, 0, 0};
	if (read_params(o, &all, d))
		return -1;
	Precision *prec = ir_xmalloc((size_t)(g->nnode ? g->nnode : 1) * sizeof *prec);
	pass_node_precisions(g, o->ctx, prec);
	size_t nv = (size_t)(g->nval ? g->nval : 1);
	Stats s = {ir_xmalloc(nv * sizeof(float)), ir_xmalloc(nv * sizeof(float)),
	           ir_xcalloc(nv, sizeof(Hist))};
	/* the method of each value: the one place a per-layer setting plugs in */
	CalibParams *per = ir_xmalloc(nv * sizeof *per);
	for (int v = 0; v < g->nval; v++) {
		s.lo[v] = FLT_MAX;
		s.hi[v] = -FLT_MAX;
		per[v] = all;
		override(o, g->vals[v].name, &per[v]);
		if (g->vals[v].kind != VK_CONST && !keeps_input_q(g, v) &&
		    per[v].method != CALIB_MINMAX)
			calib_hist_init(&s.hist[v], per[v].bins);
	}
	int rc = pass_calib_run(g, o, "calibrate", observe, &s, d);
	for (int v = 0; v < g->nval && !rc; v++) {
		Value *val = &g->vals[v];
		if (val->kind == VK_CONST || s.lo[v] > s.hi[v])
			continue;
		val->has_calib = 1;
		val->calib[0] = s.lo[v];
		val->calib[1] = s.hi[v];
		val->has_clip = 0;
		if (s.hist[v].count && s.hist[v].n > 0) {
			calib_choose_range(
			        &s.hist[v], &per[v],
			        value_grid(g, prec, o->ctx ? o->ctx->precision : PREC_INT8, v),
			        &val->clip[0], &val->clip[1]);
			val->has_clip = 1;
		}
	}
	for (int v = 0; v < g->nval; v++)
		calib_hist_free(&s.hist[v]);
	free(s.hist);
	free(per);
	free(prec);
	free(s.lo);
	free(s.hi);
	return rc;
}
