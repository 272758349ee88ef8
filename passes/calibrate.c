/* calibrate.c — the calibrate pass: runs the float reference interpreter over
 * every calibration sample and records, for every value, the smallest and
 * largest number it took (Value.calib).  Those ranges are what quantize turns
 * into scales and zero points. */
#include <float.h>
#include <stdlib.h>

#include "passes.h"

typedef struct {
	float *lo, *hi;
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
}

int pass_calibrate(Graph *g, const PassOptions *o, Diag *d)
{
	const CalibData *cd = o->ctx ? o->ctx->calib : NULL;
	char b1[96], b2[96];

	if (!cd) {
		diag_error(d, loc_none(), "calibrate: no calibration data (pass --calib FILE.npy, "
		           "or --precision f32)");
		return -1;
	}
	if (g->ninput != 1) {
		diag_error(d, loc_none(), "calibrate: --calib supports models with one input; '%s' has %d",
		           g->name, g->ninput);
		return -1;
	}
	const Value *in = &g->vals[g->inputs[0]];
	if (in->dt != DT_F32) {
		diag_error(d, in->loc, "calibrate: input '%s' is already %s", in->name, ir_dtype_name(in->dt));
		return -1;
	}
	if (!ir_shape_eq(&in->shape, &cd->sample)) {
		diag_error(d, loc_file(cd->path), "calibration samples are %s, input '%s' is %s",
		           ir_shape_str(&cd->sample, b1, sizeof b1), in->name,
		           ir_shape_str(&in->shape, b2, sizeof b2));
		return -1;
	}
	for (int v = 0; v < g->nval; v++)
		if (g->vals[v].kind != VK_CONST && g->vals[v].dt != DT_F32) {
			diag_error(d, g->vals[v].loc, "calibrate: '%s' is not f32", g->vals[v].name);
			return -1;
		}
	Interp *it = ir_interp_new(g, d);
	if (!it)
		return -1;
	Stats s = {ir_xmalloc((size_t)g->nval * sizeof(float)), ir_xmalloc((size_t)g->nval * sizeof(float))};
	for (int v = 0; v < g->nval; v++) {
		s.lo[v] = FLT_MAX;
		s.hi[v] = -FLT_MAX;
	}
	ir_interp_set_hook(it, observe, &s);
	int64_t numel = ir_shape_numel(&cd->sample);
	int rc = 0;
	for (int64_t i = 0; i < cd->n && !rc; i++) {
		const void *ins[1] = {cd->data + i * numel};
		void *outs[IR_MAX_IN] = {0};
		float *tmp[8];
		if (g->noutput > 8)
			ICE("calibrate: more than 8 outputs");
		for (int k = 0; k < g->noutput; k++)
			outs[k] = tmp[k] = ir_xmalloc((size_t)ir_value_bytes(&g->vals[g->outputs[k]]));
		rc = ir_interp_run(it, ins, outs);
		for (int k = 0; k < g->noutput; k++)
			free(tmp[k]);
	}
	for (int v = 0; v < g->nval && !rc; v++) {
		Value *val = &g->vals[v];
		if (val->kind == VK_CONST || s.lo[v] > s.hi[v])
			continue;
		val->has_calib = 1;
		val->calib[0] = s.lo[v];
		val->calib[1] = s.hi[v];
	}
	free(s.lo);
	free(s.hi);
	ir_interp_free(it);
	return rc ? -1 : 0;
}
