/* cmd_report.c — `quantc report MODEL --calib C.npy --input X.npy`: how much
 * each layer loses to quantization.
 *
 * Two graphs are built from the same model: the float one (infer-shapes,
 * fuse-activation: the float pipeline minus memory planning, which changes
 * no value) and the quantized one (the default pipeline of --precision, or
 * an already quantized dump given with --quantized).  report.c compares them
 * layer by layer; report_write.c writes the result as an aligned table or
 * JSON, and optionally an SVG bar chart of the SQNR per layer.
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* The float reference: the float pipeline up to where it would plan memory. */
static Graph *float_graph(const Options *o, Diag *d)
{
	PassContext ctx = {.precision = PREC_F32};
	PipelineOptions po = {0};
	Graph *g = drv_read_model(o, d);

	if (!g)
		return NULL;
	if (pass_run_pipeline(g, "infer-shapes,fuse-activation", &ctx, &po, d)) {
		ir_graph_free(g);
		return NULL;
	}
	for (int i = 0; i < g->ninput; i++)
		if (g->vals[g->inputs[i]].dt != DT_F32) {
			diag_error(d, loc_file(o->model),
			           "report: '%s' is not a float model (input '%s' is %s)", o->model,
			           g->vals[g->inputs[i]].name,
			           ir_dtype_name(g->vals[g->inputs[i]].dt));
			ir_graph_free(g);
			return NULL;
		}
	for (int i = 0; i < g->noutput; i++)
		if (g->vals[g->outputs[i]].dt != DT_F32) {
			diag_error(d, loc_file(o->model),
			           "report: output '%s' is %s; report compares float outputs",
			           g->vals[g->outputs[i]].name,
			           ir_dtype_name(g->vals[g->outputs[i]].dt));
			ir_graph_free(g);
			return NULL;
		}
	return g;
}

/* Checks that the samples fit input k of g (ir_npy_samples), and gives x the
 * shape [S, ...input] the comparison steps through. */
static int check_samples(NpyArray *x, const Graph *g, int k, const char *path, Diag *d)
{
	char b1[96], b2[96];
	const Value *in = &g->vals[g->inputs[k]];
	int stacked;
	int64_t n;

	if (x->dt != DT_F32 || x->shape.rank < 1 || x->shape.d[0] < 1) {
		diag_error(d, loc_file(path),
		           "report: samples must be float32 [N, ...] with N >= 1");
		return -1;
	}
	n = ir_npy_samples(&x->shape, &in->shape, &stacked);
	if (n < 1) {
		diag_error(d, loc_file(path),
		           "report: samples are %s, input '%s' is %s (give [S, ...its shape] "
		           "for S samples)",
		           ir_shape_str(&x->shape, b1, sizeof b1), in->name,
		           ir_shape_str(&in->shape, b2, sizeof b2));
		return -1;
	}
	if (in->shape.rank < IR_MAX_RANK) {
		x->shape.rank = in->shape.rank + 1;
		x->shape.d[0] = n;
		memcpy(x->shape.d + 1, in->shape.d, (size_t)in->shape.rank * sizeof *x->shape.d);
	} else {
		x->shape.d[0] = n; /* S steps of the input's numel all the same */
	}
	return 0;
}

typedef void (*Writer)(FILE *, const Report *);

/* Writes through w to path atomically, or to stdout when path is NULL. */
static int emit(const char *path, Writer w, const Report *r, Diag *d)
{
	AtomicFile af;
	if (!path) {
		w(stdout, r);
		return fflush(stdout) ? -1 : 0;
	}
	if (ir_atomic_open(&af, path, d))
		return -1;
	w(af.f, r);
	return ir_atomic_commit(&af, d);
}

int cmd_report(const Options *o, Diag *d)
{
	Report r = {0};
	NpyArray calib = {0}, x[DRV_MAX_IO];
	const char *files[DRV_MAX_IO];
	int rc;

	memset(x, 0, sizeof x);

	if (!o->input) {
		diag_error(d, loc_none(),
		           "report: needs --input X.npy (the samples to compare on)");
		return EXIT_INPUT;
	}
	if (!o->calib_path && !o->quantized && o->precision != PREC_F32) {
		diag_error(d, loc_none(),
		           "report: needs --calib CALIB.npy to quantize the model "
		           "(or --quantized DUMP.qg, a graph already quantized)");
		return EXIT_INPUT;
	}
	if (o->quantized) {
		Options oq = *o;
		oq.model = o->quantized;
		oq.passes = o->passes ? o->passes : "";
		if (!fe_is_onnx(oq.model)) /* the ONNX model's --input-shape is not the dump's */
			oq.input_shape = NULL;
		rc = drv_load_and_run(&oq, &r.qg, &calib, d);
	} else
		rc = drv_load_and_run(o, &r.qg, &calib, d);
	if (rc)
		goto out;
	rc = EXIT_INPUT;
	if (!(r.fg = float_graph(o, d)))
		goto out;
	if (r.qg->noutput != 1 || r.fg->noutput != 1 || r.qg->ninput != r.fg->ninput ||
	    r.fg->ninput > IR_MAX_IN) {
		diag_error(d, loc_file(o->model),
		           "report: models with one output (and at most %d inputs) only",
		           IR_MAX_IN);
		goto out;
	}
	if (ir_shape_numel(&r.qg->vals[r.qg->outputs[0]].shape) !=
	    ir_shape_numel(&r.fg->vals[r.fg->outputs[0]].shape)) {
		diag_error(d, loc_file(o->quantized ? o->quantized : o->model),
		           "report: the quantized graph's output differs in size from the model's");
		goto out;
	}
	/* one --input per model input, as quantc run takes them */
	if (drv_bind_files(o, "--input", o->inputs, o->ninputs, r.fg->inputs, r.fg->ninput, files,
	                   r.fg, d))
		goto out;
	for (int k = 0; k < r.fg->ninput; k++) {
		if (ir_npy_read(files[k], &x[k], d, loc_file(files[k])) ||
		    check_samples(&x[k], r.fg, k, files[k], d) ||
		    check_samples(&x[k], r.qg, k, files[k], d))
			goto out;
		if (k && x[k].shape.d[0] != x[0].shape.d[0]) {
			diag_error(d, loc_file(files[k]), "report: %lld samples, but %s has %lld",
			           (long long)x[k].shape.d[0], files[0],
			           (long long)x[0].shape.d[0]);
			goto out;
		}
	}
	drv_report_match(&r);
	if (drv_report_compare(&r, x, d))
		goto out;
	r.prec = drv_report_precision(r.qg);
	r.input = files[0];
	if (emit(o->out,
	         o->format && strcmp(o->format, "json") == 0 ? drv_report_json : drv_report_text,
	         &r, d))
		goto out;
	if (o->svg && emit(o->svg, drv_report_svg, &r, d))
		goto out;
	rc = 0;
out:
	for (int i = 0; i < r.n; i++)
		free(r.l[i].ref);
	free(r.l);
	free(r.of_fval);
	free(r.of_qval);
	ir_graph_free(r.fg);
	ir_graph_free(r.qg);
	for (int k = 0; k < DRV_MAX_IO; k++)
		ir_npy_free(&x[k]);
	ir_npy_free(&calib);
	return rc;
}
