/* cmd_run.c — `quantc run MODEL --input X.npy -o Y.npy`: the reference
 * interpreter over N samples; outputs are float32 (dequantized). */
#include <stdlib.h>
#include <string.h>

#include "driver.h"

int cmd_run(const Options *o, Diag *d)
{
	Graph *g = NULL;
	NpyArray calib, x = {0};
	Interp *it = NULL;
	float *y = NULL;
	int rc;
	char b1[96], b2[96];

	if (!o->input || !o->out) {
		diag_error(d, loc_none(), "run: needs --input X.npy and -o Y.npy");
		return EXIT_USAGE;
	}
	if ((rc = drv_load_and_run(o, &g, &calib, d)))
		goto out;
	rc = EXIT_INPUT;
	if (g->ninput != 1 || g->noutput != 1) {
		diag_error(d, loc_file(o->model), "run: models with one input and one output only");
		goto out;
	}
	if (fe_npy_read(o->input, &x, d, loc_file(o->input)))
		goto out;
	const Value *in = &g->vals[g->inputs[0]], *ov = &g->vals[g->outputs[0]];
	Shape sample = x.shape;
	if (x.dt != DT_F32 || sample.rank < 1) {
		diag_error(d, loc_file(o->input), "run: input samples must be float32 [N, ...]");
		goto out;
	}
	sample.d[0] = 1;
	/* exactly the input's shape is one sample, whatever its first dimension */
	int whole = ir_shape_eq(&x.shape, &in->shape);
	if (!whole && !ir_shape_eq(&sample, &in->shape)) {
		diag_error(d, loc_file(o->input), "run: samples are %s, input '%s' is %s",
		           ir_shape_str(&x.shape, b1, sizeof b1), in->name,
		           ir_shape_str(&in->shape, b2, sizeof b2));
		goto out;
	}
	if (!(it = ir_interp_new(g, d)))
		goto out;
	int64_t n = whole ? 1 : x.shape.d[0], nin = ir_shape_numel(&in->shape), nout = ir_shape_numel(&ov->shape);
	y = ir_xmalloc((size_t)(n * nout) * sizeof *y);
	Progress pr;
	progress_begin(&pr, d, "run", n);
	for (int64_t i = 0; i < n; i++) {
		const float *ins[1] = {(const float *)x.data + i * nin};
		float *outs[1] = {y + i * nout};
		progress_step(&pr, i);
		if (ir_interp_run_f32(it, ins, outs)) {
			progress_end(&pr);
			goto out;
		}
	}
	progress_end(&pr);
	Shape ys = ov->shape;
	ys.d[0] *= n;
	if (ys.rank == 0)
		ys = (Shape){1, {n}};
	if (fe_npy_write(o->out, DT_F32, &ys, y, d))
		goto out;
	rc = 0;
out:
	free(y);
	ir_interp_free(it);
	fe_npy_free(&x);
	fe_npy_free(&calib);
	ir_graph_free(g);
	return rc;
}
