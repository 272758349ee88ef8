/* cmd_run.c — `quantc run MODEL --input X.npy -o Y.npy`: the reference
 * interpreter over N samples; outputs are float32 (dequantized), a mask
 * output numpy bool; a mask input takes bool (or uint8) samples.
 *
 * A model with several inputs or outputs takes one --input per input and
 * one -o per output: in the model's order, or NAME=FILE for the input or
 * output NAME (then in any order); bare files fill the slots no NAME=FILE
 * took, in order.  Every input file holds the same number of samples. */
#include <stdlib.h>
#include <string.h>

#include "driver.h"

/* Reads input file path for model input v: sets *n to its sample count and
 * *stacked as ir_npy_samples does.  A float input takes float32 samples; an
 * index input (i32, i64) takes samples of its own type.  Returns 0, or -1
 * (diagnosed). */
static int read_input(const char *path, const Value *in, NpyArray *x, int64_t *n, int *stacked,
                      Diag *d)
{
	char b1[96], b2[96];
	DType want = in->dt == DT_I64 || in->dt == DT_I32 || in->dt == DT_U8 ? in->dt : DT_F32;

	if (ir_npy_read(path, x, d, loc_file(path)))
		return -1;
	if (x->dt != want || x->shape.rank < 1) {
		diag_error(d, loc_file(path), "run: input samples must be %s [N, ...]%s",
		           want == DT_F32   ? "float32"
		           : want == DT_I64 ? "int64"
		           : want == DT_U8  ? "bool"
		                            : "int32",
		           x->dt != want ? "" : "; this file is a scalar");
		if (x->dt != want)
			diag_note(d, in->loc, "input '%s' is %s; the file is %s", in->name,
			          ir_dtype_name(in->dt), ir_dtype_name(x->dt));
		return -1;
	}
	*n = ir_npy_samples(&x->shape, &in->shape, stacked);
	if (*n < 1) {
		diag_error(d, loc_file(path),
		           "run: samples are %s, input '%s' is %s (give [S, ...its shape] for S "
		           "samples)",
		           ir_shape_str(&x->shape, b1, sizeof b1), in->name,
		           ir_shape_str(&in->shape, b2, sizeof b2));
		return -1;
	}
	return 0;
}

/* The type an output's file holds: int64 for an int64 output, else float32
 * (dequantized). */
static DType out_dtype(const Value *v)
{
	return v->dt == DT_I64 || v->dt == DT_U8 ? v->dt : DT_F32;
}

/* Runs the interpreter over the n samples of x, writing every output:
 * [S, ...output] when the inputs came so (stacked), else along the first
 * axis as before. */
static int run_all(Graph *g, NpyArray *x, int64_t n, int stacked, const char **ofiles, Diag *d)
{
	const float *ins[DRV_MAX_IO];
	float *outs[DRV_MAX_IO] = {0}, *y[DRV_MAX_IO] = {0};
	Interp *it = ir_interp_new(g, d);
	int rc = EXIT_INPUT;
	Progress pr;

	if (!it)
		return EXIT_INPUT;
	/* an int64 output is written as int64, every other one as float32 */
	for (int k = 0; k < g->noutput; k++)
		y[k] = ir_xmalloc((size_t)(n * ir_shape_numel(&g->vals[g->outputs[k]].shape)) *
		                  (size_t)ir_dtype_size(out_dtype(&g->vals[g->outputs[k]])));
	progress_begin(&pr, d, "run", n);
	for (int64_t i = 0; i < n; i++) {
		/* an index input's samples are its own type, not float */
		for (int k = 0; k < g->ninput; k++)
			ins[k] = (const float *)((const char *)x[k].data +
			                         i * ir_shape_numel(&g->vals[g->inputs[k]].shape) *
			                                 ir_dtype_size(x[k].dt));
		for (int k = 0; k < g->noutput; k++)
			outs[k] = (float *)((char *)y[k] +
			                    i * ir_shape_numel(&g->vals[g->outputs[k]].shape) *
			                            ir_dtype_size(
			                                    out_dtype(&g->vals[g->outputs[k]])));
		progress_step(&pr, i);
		if (ir_interp_run_f32(it, ins, outs)) {
			progress_end(&pr);
			goto out;
		}
	}
	progress_end(&pr);
	for (int k = 0; k < g->noutput; k++) {
		Shape ys = g->vals[g->outputs[k]].shape;
		if (stacked && ys.rank < IR_MAX_RANK) {
			memmove(ys.d + 1, ys.d, (size_t)ys.rank * sizeof *ys.d);
			ys.d[0] = n;
			ys.rank++;
		} else {
			ys.d[0] *= n;
			if (ys.rank == 0)
				ys = (Shape){1, {n}};
		}
		if (g->vals[g->outputs[k]].dt == DT_U8
		            ? ir_npy_write_bool(ofiles[k], &ys, (const uint8_t *)y[k], d)
		            : ir_npy_write(ofiles[k], out_dtype(&g->vals[g->outputs[k]]), &ys, y[k],
		                           d))
			goto out;
	}
	rc = 0;
out:
	for (int k = 0; k < g->noutput; k++)
		free(y[k]);
	ir_interp_free(it);
	return rc;
}

int cmd_run(const Options *o, Diag *d)
{
	Graph *g = NULL;
	NpyArray calib = {0}, x[DRV_MAX_IO];
	const char *ifiles[DRV_MAX_IO], *ofiles[DRV_MAX_IO];
	int rc, nread = 0, stacked = 0;
	int64_t n = 0;

	memset(x, 0, sizeof x);
	if (!o->ninputs || !o->nouts) {
		diag_error(d, loc_none(), "run: needs --input X.npy and -o Y.npy");
		return EXIT_USAGE;
	}
	if ((rc = drv_load_and_run(o, &g, &calib, d)))
		goto out;
	rc = EXIT_INPUT;
	if (g->ninput > DRV_MAX_IO || g->noutput > DRV_MAX_IO) {
		diag_error(d, loc_file(o->model), "run: models with at most %d inputs and outputs",
		           DRV_MAX_IO);
		goto out;
	}
	if (drv_bind_files(o, "--input", o->inputs, o->ninputs, g->inputs, g->ninput, ifiles, g,
	                   d) ||
	    drv_bind_files(o, "-o", o->outs, o->nouts, g->outputs, g->noutput, ofiles, g, d))
		goto out;
	for (; nread < g->ninput; nread++) {
		int64_t nk;
		int st;
		if (read_input(ifiles[nread], &g->vals[g->inputs[nread]], &x[nread], &nk, &st, d))
			goto out;
		if (!nread)
			stacked = st;
		if (nread && nk != n) {
			diag_error(d, loc_file(ifiles[nread]), "run: %lld samples, but %s has %lld",
			           (long long)nk, ifiles[0], (long long)n);
			goto out;
		}
		n = nk;
	}
	rc = run_all(g, x, n, stacked, ofiles, d);
out:
	for (int k = 0; k < DRV_MAX_IO; k++)
		ir_npy_free(&x[k]);
	ir_npy_free(&calib);
	ir_graph_free(g);
	return rc;
}
