/* load.c — the front half every subcommand shares: read the calibration
 * data and the model, then run the pass pipeline. */
#include <stdlib.h>
#include <string.h>

#include "driver.h"

static int load_calib(const char *path, NpyArray *a, CalibData *cd, Diag *d)
{
	if (fe_npy_read(path, a, d, loc_file(path)))
		return -1;
	if (a->dt != DT_F32) {
		diag_error(d, loc_file(path), "calibration data must be float32, not %s",
		           ir_dtype_name(a->dt));
		return -1;
	}
	if (a->shape.rank < 1 || a->shape.d[0] < 1) {
		diag_error(d, loc_file(path), "calibration data needs at least one sample along axis 0");
		return -1;
	}
	cd->path = path;
	cd->n = a->shape.d[0];
	cd->sample = a->shape;
	cd->sample.d[0] = 1;
	cd->data = a->data;
	return 0;
}

/* The configuration read; owned here for the whole run. */
static FeConfig *config;

int drv_read_config(Options *o, Diag *d)
{
	fe_config_free(config);
	if (!(o->cfg = config = fe_config_read(o->config, d)))
		return -1;
	if (config->has_precision && !o->set_precision)
		o->precision = config->precision;
	if ((config->calib_set & CALIB_SET_METHOD) && !o->set_method)
		o->calib_params.method = config->calib.method;
	if ((config->calib_set & CALIB_SET_PERCENTILE) && !o->set_percentile)
		o->calib_params.percentile = config->calib.percentile;
	if (config->calib_set & CALIB_SET_BINS)
		o->calib_params.bins = config->calib.bins;
	if (config->has_bias_correction && !o->bias_correction)
		o->bias_correction = config->bias_correction;
	return 0;
}

const char *drv_pipeline(const Options *o)
{
	if (o->passes)
		return o->passes;
	return o->calib_path ? pass_default_pipeline(o->precision) : pass_static_pipeline(o->precision);
}

/* Where is step `name` in pipeline p?  NULL if it has none. */
static const char *find_step(const char *p, const char *name)
{
	size_t n = strlen(name);
	for (const char *s = p; (s = strstr(s, name)); s += n)
		if ((s == p || s[-1] == ',') && (!s[n] || s[n] == ',' || s[n] == '{'))
			return s;
	return NULL;
}

/* --bias-correction: pipeline p with bias-correct just before its quantize
 * (malloc'd), or NULL (diagnosed) when it quantizes nothing. */
static char *with_bias_correct(const char *p, Diag *d)
{
	const char *q = find_step(p, "quantize");
	char *s;

	if (find_step(p, "bias-correct"))
		return ir_xstrdup(p);
	if (!q) {
		diag_error(d, loc_none(), "--bias-correction: the pipeline has no quantize step "
		           "('%s')", p);
		return NULL;
	}
	s = ir_xmalloc(strlen(p) + sizeof "bias-correct,");
	memcpy(s, p, (size_t)(q - p));
	strcpy(s + (q - p), "bias-correct,");
	strcat(s, q);
	return s;
}

int drv_load_and_run(const Options *o, Graph **out, NpyArray *calib, Diag *d)
{
	CalibData cd;
	PassContext ctx = {o->precision, NULL};
	const char *pipeline = drv_pipeline(o);

	memset(calib, 0, sizeof *calib);
	*out = NULL;
	if (o->calib_path) {
		if (load_calib(o->calib_path, calib, &cd, d))
			return EXIT_INPUT;
		cd.params = o->calib_params;
		cd.layers = o->cfg ? o->cfg->layers : NULL;
		cd.nlayer = o->cfg ? o->cfg->nlayer : 0;
		ctx.calib = &cd;
	}
	Graph *g = fe_parse_file(o->model, d);
	if (!g)
		return EXIT_INPUT;
	if (o->cfg && fe_config_apply(o->cfg, g, d)) {
		ir_graph_free(g);
		return EXIT_INPUT;
	}
	char *bc = o->bias_correction ? with_bias_correct(pipeline, d) : NULL;
	if (o->verbose && (bc || !o->bias_correction))
		fprintf(stderr, "quantc: passes %s\n", bc ? bc : pipeline);
	if ((o->bias_correction && !bc) || pass_run_pipeline(g, bc ? bc : pipeline, &ctx, &o->pipe, d)) {
		free(bc);
		ir_graph_free(g);
		return EXIT_INPUT;
	}
	free(bc);
	*out = g;
	return 0;
}
