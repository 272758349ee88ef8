/* load.c — the front half every subcommand shares: read the calibration
 * data and the model, then run the pass pipeline. */
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

int drv_load_and_run(const Options *o, Graph **out, NpyArray *calib, Diag *d)
{
	CalibData cd;
	PassContext ctx = {o->precision, NULL};
	const char *pipeline = o->passes ? o->passes : pass_default_pipeline(o->precision);

	memset(calib, 0, sizeof *calib);
	*out = NULL;
	if (o->config) {
		diag_error(d, loc_file(o->config), "--config is not supported yet");
		return EXIT_INPUT;
	}
	if (o->calib_path) {
		if (load_calib(o->calib_path, calib, &cd, d))
			return EXIT_INPUT;
		ctx.calib = &cd;
	}
	Graph *g = fe_parse_file(o->model, d);
	if (!g)
		return EXIT_INPUT;
	if (pass_run_pipeline(g, pipeline, &ctx, &o->pipe, d)) {
		ir_graph_free(g);
		return EXIT_INPUT;
	}
	*out = g;
	return 0;
}
