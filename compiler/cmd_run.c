/* cmd_run.c — `quantc run MODEL --input X.npy -o Y.npy`: the reference
 * interpreter over N samples; outputs are float32 (dequantized).
 *
 * A model with several inputs or outputs takes one --input per input and
 * one -o per output: in the model's order, or NAME=FILE for the input or
 * output NAME (then in any order); bare files fill the slots no NAME=FILE
 * took, in order.  Every input file holds the same number of samples. */
#include <stdlib.h>
#include <string.h>

#include "driver.h"

/* The slot of the value named by arg's "NAME=" prefix, or -1 (a bare file). */
static int named_slot(const Graph *g, const int *vals, int n, const char *arg)
{
	const char *eq = strchr(arg, '=');
	if (!eq)
		return -1;
	for (int k = 0; k < n; k++) {
		const char *name = g->vals[vals[k]].name;
		if (strlen(name) == (size_t)(eq - arg) &&
		    strncmp(name, arg, (size_t)(eq - arg)) == 0)
			return k;
	}
	return -1;
}

/* The model's value names, comma-separated, for messages. */
static void names(const Graph *g, const int *vals, int n, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = 0;
	for (int k = 0; k < n && at < len; k++)
		at += (size_t)snprintf(buf + at, len - at, "%s'%s'", k ? ", " : "",
		                       g->vals[vals[k]].name);
}

/* Binds the nargs files given with option opt to the n values vals (the
 * model's inputs or outputs): files[k] for value k.  Returns 0, or -1
 * (diagnosed against the model). */
static int bind(const Options *o, const char *opt, const char *const *args, int nargs,
                const int *vals, int n, const char **files, const Graph *g, Diag *d)
{
	char list[512];
	int next = 0;

	names(g, vals, n, list, sizeof list);
	if (nargs != n) {
		diag_error(d, loc_file(o->model),
		           "run: %d %s file%s given; the model has %d (%s), one "
		           "%s each",
		           nargs, opt, nargs == 1 ? "" : "s", n, list, opt);
		return -1;
	}
	for (int k = 0; k < n; k++)
		files[k] = NULL;
	for (int i = 0; i < nargs; i++) {
		int k = named_slot(g, vals, n, args[i]);
		if (k < 0)
			continue;
		if (files[k]) {
			diag_error(d, loc_file(o->model), "run: %s '%s' given twice", opt,
			           g->vals[vals[k]].name);
			return -1;
		}
		files[k] = strchr(args[i], '=') + 1;
	}
	for (int i = 0; i < nargs; i++) {
		if (named_slot(g, vals, n, args[i]) >= 0)
			continue;
		while (next < n && files[next])
			next++;
		files[next] = args[i]; /* nargs == n: a slot is left for every bare file */
	}
	return 0;
}

/* Reads input file path for model input v: sets *n to its sample count
 * (exactly the input's shape is one sample, whatever its first dimension).
 * Returns 0, or -1 (diagnosed). */
static int read_input(const char *path, const Value *in, NpyArray *x, int64_t *n, Diag *d)
{
	char b1[96], b2[96];

	if (ir_npy_read(path, x, d, loc_file(path)))
		return -1;
	Shape sample = x->shape;
	if (x->dt != DT_F32 || sample.rank < 1) {
		diag_error(d, loc_file(path), "run: input samples must be float32 [N, ...]");
		return -1;
	}
	sample.d[0] = 1;
	int whole = ir_shape_eq(&x->shape, &in->shape);
	if (!whole && !ir_shape_eq(&sample, &in->shape)) {
		diag_error(d, loc_file(path), "run: samples are %s, input '%s' is %s",
		           ir_shape_str(&x->shape, b1, sizeof b1), in->name,
		           ir_shape_str(&in->shape, b2, sizeof b2));
		return -1;
	}
	*n = whole ? 1 : x->shape.d[0];
	return 0;
}

/* Runs the interpreter over the n samples of x, writing every output. */
static int run_all(Graph *g, NpyArray *x, int64_t n, const char **ofiles, Diag *d)
{
	const float *ins[DRV_MAX_IO];
	float *outs[DRV_MAX_IO] = {0}, *y[DRV_MAX_IO] = {0};
	Interp *it = ir_interp_new(g, d);
	int rc = EXIT_INPUT;
	Progress pr;

	if (!it)
		return EXIT_INPUT;
	for (int k = 0; k < g->noutput; k++)
		y[k] = ir_xmalloc((size_t)(n * ir_shape_numel(&g->vals[g->outputs[k]].shape)) *
		                  sizeof **y);
	progress_begin(&pr, d, "run", n);
	for (int64_t i = 0; i < n; i++) {
		for (int k = 0; k < g->ninput; k++)
			ins[k] = (const float *)x[k].data +
			         i * ir_shape_numel(&g->vals[g->inputs[k]].shape);
		for (int k = 0; k < g->noutput; k++)
			outs[k] = y[k] + i * ir_shape_numel(&g->vals[g->outputs[k]].shape);
		progress_step(&pr, i);
		if (ir_interp_run_f32(it, ins, outs)) {
			progress_end(&pr);
			goto out;
		}
	}
	progress_end(&pr);
	for (int k = 0; k < g->noutput; k++) {
		Shape ys = g->vals[g->outputs[k]].shape;
		ys.d[0] *= n;
		if (ys.rank == 0)
			ys = (Shape){1, {n}};
		if (ir_npy_write(ofiles[k], DT_F32, &ys, y[k], d))
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
	int rc, nread = 0;
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
	if (bind(o, "--input", o->inputs, o->ninputs, g->inputs, g->ninput, ifiles, g, d) ||
	    bind(o, "-o", o->outs, o->nouts, g->outputs, g->noutput, ofiles, g, d))
		goto out;
	for (; nread < g->ninput; nread++) {
		int64_t nk;
		if (read_input(ifiles[nread], &g->vals[g->inputs[nread]], &x[nread], &nk, d))
			goto out;
		if (nread && nk != n) {
			diag_error(d, loc_file(ifiles[nread]), "run: %lld samples, but %s has %lld",
			           (long long)nk, ifiles[0], (long long)n);
			goto out;
		}
		n = nk;
	}
	rc = run_all(g, x, n, ofiles, d);
out:
	for (int k = 0; k < DRV_MAX_IO; k++)
		ir_npy_free(&x[k]);
	ir_npy_free(&calib);
	ir_graph_free(g);
	return rc;
}
