/* load.c — the front half every subcommand shares: read the calibration
 * data and the model, then run the pass pipeline. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver.h"

/* The slot of the value named by arg's "NAME=" prefix, or -1 (a bare file). */
static int named_slot(const Graph *g, const int *vals, int n, const char *arg)
{
	const char *eq = strchr(arg, '=');
	if (!eq)
		return -1;
	for (int k = 0; k < n; k++) {
		const char *name = g->vals[vals[k]].name;
		char given[256];
		snprintf(given, sizeof given, "%.*s", (int)(eq - arg), arg);
		if (fe_onnx_name_is(name, given))
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
int drv_bind_files(const Options *o, const char *opt, const char *const *args, int nargs,
                   const int *vals, int n, const char **files, const Graph *g, Diag *d)
{
	char list[512];
	int next = 0;

	names(g, vals, n, list, sizeof list);
	if (nargs != n) {
		diag_error(d, loc_file(o->model),
		           "%s: %d %s file%s given; the model has %d (%s), one "
		           "%s each",
		           o->cmd, nargs, opt, nargs == 1 ? "" : "s", n, list, opt);
		return -1;
	}
	for (int k = 0; k < n; k++)
		files[k] = NULL;
	for (int i = 0; i < nargs; i++) {
		int k = named_slot(g, vals, n, args[i]);
		if (k < 0)
			continue;
		if (files[k]) {
			diag_error(d, loc_file(o->model), "%s: %s '%s' given twice", o->cmd, opt,
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

/* Reads one --calib file: float32, at least one sample, every number
 * finite.  Returns 0, or -1 (diagnosed). */
static int load_calib(const char *path, NpyArray *a, Diag *d)
{
	if (ir_npy_read(path, a, d, loc_file(path)))
		return -1;
	if (a->dt != DT_F32 && a->dt != DT_I64 && a->dt != DT_U8) {
		diag_error(d, loc_file(path),
		           "calibration data must be float32 (int64 for an index input, bool for a "
		           "mask input), not %s",
		           ir_dtype_name(a->dt));
		return -1;
	}
	if (a->shape.rank < 1 || a->shape.d[0] < 1) {
		diag_error(d, loc_file(path),
		           "calibration data needs at least one sample along axis 0");
		return -1;
	}
	/* a NaN or an infinity has no place in a range; every method would
	 * skip or be skewed by it, silently (docs/limits.md) */
	int64_t n = ir_shape_numel(&a->shape), per = n / a->shape.d[0];
	for (int64_t i = 0; i < n && a->dt == DT_F32; i++)
		if (!isfinite(((const float *)a->data)[i])) {
			diag_error(d, loc_file(path),
			           "calibration sample %lld has %s at element %lld",
			           (long long)(i / per),
			           isnan(((const float *)a->data)[i]) ? "a NaN" : "an infinity",
			           (long long)(i % per));
			return -1;
		}
	return 0;
}

/* A calibration file's numbers are of input in's type: float32 for a float
 * input, int64 for an index one.  Returns 0, or -1 (diagnosed). */
static int calib_type_ok(const char *path, const NpyArray *a, const Value *in, Diag *d)
{
	/* an index input takes its own integer type; any other input float32
	 * samples, also one a quantized dump holds (calibrate then warns that
	 * it has nothing to do) */
	int index = in->dt == DT_I64 || in->dt == DT_I32 || in->dt == DT_U8; /* or a mask */
	DType want = index ? in->dt : DT_F32;

	if (!in->has_type || a->dt == want)
		return 0;
	diag_error(d, loc_file(path), "calibration data for input '%s' (%s) must be %s, not %s",
	           in->name, ir_dtype_name(in->dt),
	           !index             ? "float32"
	           : in->dt == DT_I64 ? "int64"
	           : in->dt == DT_U8  ? "bool"
	                              : "int32",
	           ir_dtype_name(a->dt));
	return -1;
}

/* The file part of --calib argument i (NAME=FILE or FILE, as opt_calib). */
static const char *calib_file(const Options *o, int i)
{
	const char *eq = strchr(o->calibs[i], '=');
	return eq && access(o->calibs[i], F_OK) != 0 ? eq + 1 : o->calibs[i];
}

/* Once the model is read: binds the --calib arrays a[] (in the order given)
 * to g's inputs and counts the samples (ir_npy_samples: [S, ...input] for
 * any batch size, or [S, ...] along a batch of 1).  One file for a model
 * with one input: shapes that do not fit keep the file's own first axis,
 * and calibrate says so if it runs.  Several: each must fit, now. */
static int fit_calib(const Options *o, const Graph *g, const NpyArray *a, CalibData *cd, Diag *d)
{
	const char *files[DRV_MAX_IO];
	char b1[96], b2[96];
	int stacked;

	cd->nin = 1;
	cd->paths[0] = cd->path = calib_file(o, 0);
	cd->data[0] = a[0].data;
	cd->n = a[0].shape.d[0];
	cd->sample[0] = a[0].shape;
	cd->sample[0].d[0] = 1;
	if (o->ncalib == 1 && g->ninput == 1 && !strchr(o->calibs[0], '=')) {
		if (calib_type_ok(cd->path, &a[0], &g->vals[g->inputs[0]], d))
			return -1;
		int64_t n = g->vals[g->inputs[0]].has_type
		                    ? ir_npy_samples(&a[0].shape, &g->vals[g->inputs[0]].shape,
		                                     &stacked)
		                    : 0;
		if (n >= 1) {
			cd->n = n;
			cd->sample[0] = g->vals[g->inputs[0]].shape;
		}
		return 0;
	}
	if (g->ninput > IR_MAX_IN) {
		diag_error(d, loc_file(o->model), "--calib: models with at most %d inputs",
		           IR_MAX_IN);
		return -1;
	}
	if (drv_bind_files(o, "--calib", o->calibs, o->ncalib, g->inputs, g->ninput, files, g, d))
		return -1;
	cd->nin = g->ninput;
	for (int k = 0; k < g->ninput; k++) {
		const Value *in = &g->vals[g->inputs[k]];
		int i = 0; /* the argument files[k] points into */
		while (i < o->ncalib && !(files[k] >= o->calibs[i] &&
		                          files[k] <= o->calibs[i] + strlen(o->calibs[i])))
			i++;
		if (i == o->ncalib)
			ICE("--calib file %s is none of those given", files[k]);
		files[k] = calib_file(o, i);
		if (calib_type_ok(files[k], &a[i], in, d))
			return -1;
		int64_t n = in->has_type ? ir_npy_samples(&a[i].shape, &in->shape, &stacked) : 0;
		if (n < 1) {
			diag_error(
			        d, loc_file(files[k]),
			        "calibration samples are %s, input '%s' is %s (a calibration file "
			        "holds [S, ...the input's shape] for S samples)",
			        ir_shape_str(&a[i].shape, b1, sizeof b1), in->name,
			        ir_shape_str(&in->shape, b2, sizeof b2));
			return -1;
		}
		if (k && n != cd->n) {
			diag_error(d, loc_file(files[k]),
			           "%lld calibration samples for input '%s', but %lld for '%s'",
			           (long long)n, in->name, (long long)cd->n,
			           g->vals[g->inputs[0]].name);
			return -1;
		}
		cd->n = n;
		cd->paths[k] = files[k];
		cd->sample[k] = in->shape;
		cd->data[k] = a[i].data;
	}
	cd->path = cd->paths[0];
	return 0;
}

/* --calib DIR: the folder's images (docs/configuration.md), preprocessed
 * as --config's calibration.images says into samples shaped like g's input;
 * so it is read after the model. */
static int load_calib_images(const Options *o, const Graph *g, NpyArray *a, CalibData *cd, Diag *d)
{
	FeImageOpts def;

	fe_image_opts_init(&def);
	if (g->ninput != 1) {
		diag_error(d, loc_file(o->calib_path),
		           "a calibration folder needs a model with one "
		           "input; '%s' has %d",
		           g->name, g->ninput);
		return -1;
	}
	if (fe_images_read(o->calib_path, o->cfg && o->cfg->has_images ? &o->cfg->images : &def,
	                   &g->vals[g->inputs[0]], a, d))
		return -1;
	cd->path = cd->paths[0] = o->calib_path;
	cd->nin = 1;
	cd->n = a->shape.d[0];
	cd->sample[0] = a->shape;
	cd->sample[0].d[0] = 1;
	cd->data[0] = a->data;
	cd->params = o->calib_params;
	cd->layers = o->cfg ? o->cfg->layers : NULL;
	cd->nlayer = o->cfg ? o->cfg->nlayer : 0;
	return 0;
}

/* Calibration data outside the input's declared range [lo, hi] are most
 * likely preprocessed otherwise than the model expects (0..255 for 0..1):
 * a warning with the extremes and how many samples stray. */
static void check_calib_range(const Graph *g, const CalibData *cd, Diag *d)
{
	if (g->ninput != 1 || !cd || cd->nin != 1 || !cd->data[0])
		return;
	const Value *in = &g->vals[g->inputs[0]];
	int64_t per = ir_shape_numel(&cd->sample[0]), bad = 0;
	float lo = INFINITY, hi = -INFINITY;
	if (!in->has_range || per <= 0 || in->dt != DT_F32)
		return;
	for (int64_t k = 0; k < cd->n; k++) {
		const float *x = cd->data[0] + k * per;
		int out = 0;
		for (int64_t i = 0; i < per; i++) {
			lo = fminf(lo, x[i]);
			hi = fmaxf(hi, x[i]);
			out |= x[i] < in->range[0] || x[i] > in->range[1];
		}
		bad += out;
	}
	if (!bad)
		return;
	diag_warning(d, loc_file(cd->path),
	             "%lld of %lld calibration samples leave input '%s''s "
	             "declared range [%g, %g] (they span [%g, %g]): are they preprocessed as the "
	             "model expects?",
	             (long long)bad, (long long)cd->n, in->name, (double)in->range[0],
	             (double)in->range[1], (double)lo, (double)hi);
	diag_note(d, in->loc, "the range of '%s' is declared here", in->name);
}

/* Does the model carry quantization parameters of its own (a QDQ model's
 * pins: q(...) on float values)?  Then fewer ranges rest on the proof. */
static int has_pins(const Graph *g)
{
	for (int v = 0; v < g->nval; v++)
		if (g->vals[v].q.present && g->vals[v].dt == DT_F32 && g->vals[v].kind != VK_CONST)
			return 1;
	return 0;
}

/* The passes' infer-shapes for the ONNX importer (FeReadOptions). */
static int infer_shapes(Graph *g, Diag *d)
{
	PassContext ctx = {.precision = PREC_F32};
	PassOptions po = {&ctx, NULL};

	return pass_infer_shapes(g, &po, d);
}

Graph *drv_read_model(const Options *o, Diag *d)
{
	FeReadOptions ro = {o->input_shape, infer_shapes, o->binds, o->nbinds};

	return fe_read_model(o->model, &ro, d);
}

/* The calibration arrays of a second and further --calib (several inputs;
 * slot 0 is unused: the caller owns the first); owned here, as config. */
static NpyArray more_calib[DRV_MAX_IO];

/* The configuration read; owned here for the whole run. */
static DrvConfig *config;

int drv_read_config(Options *o, Diag *d)
{
	drv_config_free(config);
	if (!(o->cfg = config = drv_config_read(o->config, d)))
		return -1;
	if (config->has_precision && !o->set_precision) {
		o->precision = config->precision;
		o->auto_precision = config->auto_precision;
	}
	/* only auto reads it: a command-line --precision int8 turns both off */
	if (config->has_min_sqnr && !o->set_min_sqnr && o->auto_precision) {
		o->min_sqnr = config->min_sqnr;
		o->set_min_sqnr = 1;
	}
	if (config->has_requant && o->requant < 0)
		o->requant = config->requant;
	if ((config->calib_set & CALIB_SET_METHOD) && !o->set_method)
		o->calib_params.method = config->calib.method;
	if ((config->calib_set & CALIB_SET_PERCENTILE) && !o->set_percentile)
		o->calib_params.percentile = config->calib.percentile;
	if (config->calib_set & CALIB_SET_BINS)
		o->calib_params.bins = config->calib.bins;
	if (config->has_bias_correction && !o->bias_correction)
		o->bias_correction = config->bias_correction;
	/* an input's bind: as --bind, unless the command line binds it */
	for (int i = 0; i < config->ninput; i++) {
		const char *b = config->inputs[i].bind;
		size_t n = b ? strlen(config->inputs[i].name) + 1 : 0;
		int given = 0;
		for (int k = 0; b && k < o->nbinds; k++)
			given |= strncmp(o->binds[k], b, n) == 0;
		if (b && !given) {
			if (o->nbinds >= DRV_MAX_IO) {
				diag_error(d, config->inputs[i].loc, "more than %d bound inputs",
				           DRV_MAX_IO);
				return -1;
			}
			o->binds[o->nbinds++] = b;
		}
	}
	if (config->has_images && o->calib_path && !fe_is_dir(o->calib_path) &&
	    access(o->calib_path, F_OK) == 0)
		diag_warning(d, config->images.where,
		             "calibration.images is ignored: --calib %s is not "
		             "a folder of images",
		             o->calib_path);
	return 0;
}

const char *drv_pipeline(const Options *o)
{
	/* an f32 model with integer layers (--config) still needs quantize */
	PassContext ctx = {.precision = o->precision,
	                   .layer_prec = o->cfg ? o->cfg->layer_prec : NULL,
	                   .nlayer_prec = o->cfg ? o->cfg->nlayer_prec : 0};
	Precision p = pass_pipeline_precision(&ctx);

	if (o->passes)
		return o->passes;
	return o->calib_path ? pass_default_pipeline(p) : pass_static_pipeline(p);
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
		diag_error(d, loc_none(),
		           "--bias-correction: the pipeline has no quantize step "
		           "('%s')",
		           p);
		return NULL;
	}
	s = ir_xmalloc(strlen(p) + sizeof "bias-correct,");
	memcpy(s, p, (size_t)(q - p));
	strcpy(s + (q - p), "bias-correct,");
	strcat(s, q);
	return s;
}

/* The pipeline; with --precision auto, the search that runs it once per
 * candidate and then with its choice (it replaces *g). */
static int run_passes(const Options *o, Graph **g, const char *p, const PassContext *ctx, Diag *d)
{
	if (o->auto_precision)
		return pass_auto_precision(g, p, ctx, &o->pipe, o->min_sqnr, d);
	return pass_run_pipeline(*g, p, ctx, &o->pipe, d);
}

/* compile and inspect plan the target's kernel scratch into the arena
 * (PassContext.scratch): the target machine of --target/--mcpu, made
 * quietly (an invalid target is diagnosed where it was before, by the
 * backend), or 0 without one. */
static int scratch_machine(const Options *o, TgtMachine *m)
{
	if (strcmp(o->cmd, "compile") != 0 && strcmp(o->cmd, "inspect") != 0)
		return 0;
	Diag quiet;
	memset(&quiet, 0, sizeof quiet);
	quiet.out = fopen("/dev/null", "w");
	if (!quiet.out)
		return 0;
	int bad = tgt_machine_new(m, &o->tgt, &quiet);
	fclose(quiet.out);
	return !bad;
}

/* A dump planned without this target's scratch (quantc opt's, or another
 * target's) is planned again when a kernel needs more than it holds. */
static int replan_scratch(Graph *g, const PassContext *ctx, Diag *d)
{
	int short_of = 0;

	if (!ctx->scratch || g->arena_size <= 0)
		return 0;
	for (int n = 0; n < g->nnode && !short_of; n++)
		short_of = g->nodes[n].op != OP_NONE &&
		           ctx->scratch(ctx->scratch_tgt, g, n) > g->nodes[n].a.scratch[1];
	if (!short_of)
		return 0;
	PassOptions po = {ctx, NULL};
	return pass_plan_memory(g, &po, d);
}

static int load_and_run(const Options *o, Graph **out, NpyArray *calib, PassContext *ctx, Diag *d);

/* An instrumented object's scratch: the kernel's, and at least a node's
 * whole result when choose-layout stored it NHWC (module.c traces it as
 * NCHW through that scratch). */
static int64_t scratch_traced(const void *tgt, const Graph *g, int n)
{
	int64_t k = tgt_node_scratch(tgt, g, n);
	const Node *nd = &g->nodes[n];

	if (nd->a.layout == IR_LAYOUT_NHWC && ir_value_bytes(&g->vals[nd->out]) > k)
		k = ir_value_bytes(&g->vals[nd->out]);
	return k;
}

int drv_load_and_run(const Options *o, Graph **out, NpyArray *calib, Diag *d)
{
	PassContext ctx = {.precision = o->precision,
	                   .layer_prec = o->cfg ? o->cfg->layer_prec : NULL,
	                   .nlayer_prec = o->cfg ? o->cfg->nlayer_prec : 0,
	                   .max_memory = o->max_memory};
	TgtMachine m;
	int have = scratch_machine(o, &m);

	if (have) {
		ctx.scratch = tgt_node_scratch;
		ctx.scratch_tgt = &m;
		ctx.nhwc = tgt_node_nhwc;
		/* the debug twin traces an NHWC tensor as the model's NCHW,
		 * transposed in its node's scratch */
		if (o->tgt.instrument)
			ctx.scratch = scratch_traced;
	}
	int rc = load_and_run(o, out, calib, &ctx, d);
	if (!rc && *out && !o->passes && replan_scratch(*out, &ctx, d)) {
		ir_graph_free(*out);
		*out = NULL;
		rc = EXIT_INPUT;
	}
	if (have)
		tgt_machine_free(&m);
	return rc;
}

static int load_and_run(const Options *o, Graph **out, NpyArray *calib, PassContext *pctx, Diag *d)
{
	CalibData cd;
	PassContext ctx = *pctx;
	const char *pipeline = drv_pipeline(o);

	memset(calib, 0, sizeof *calib);
	*out = NULL;
	for (int i = 0; i < DRV_MAX_IO; i++)
		ir_npy_free(&more_calib[i]);
	if (o->calib_path && !fe_is_dir(o->calib_path)) {
		for (int i = 0; i < o->ncalib; i++)
			if (load_calib(calib_file(o, i), i ? &more_calib[i] : calib, d))
				return EXIT_INPUT;
		cd.params = o->calib_params;
		cd.layers = o->cfg ? o->cfg->layers : NULL;
		cd.nlayer = o->cfg ? o->cfg->nlayer : 0;
		ctx.calib = &cd;
	}
	Graph *g = drv_read_model(o, d);
	if (!g)
		return EXIT_INPUT;
	if (o->requant >= 0)
		g->requant_float = o->requant;
	if (pass_pipeline_precision(&ctx) == PREC_F32 && !o->passes && pass_drop_pins(g))
		diag_note(
		        d, loc_file(o->model),
		        "the model's quantization parameters "
		        "(QuantizeLinear/DequantizeLinear or q(...)) are ignored: it computes in f32");
	if (o->cfg && drv_config_apply(config, g, d)) {
		ir_graph_free(g);
		return EXIT_INPUT;
	}
	if (ctx.calib) {
		more_calib[0] = *calib; /* the arrays in the order given */
		int rc = fit_calib(o, g, more_calib, &cd, d);
		memset(&more_calib[0], 0, sizeof more_calib[0]);
		if (rc) {
			ir_graph_free(g);
			return EXIT_INPUT;
		}
	}
	if (o->calib_path && fe_is_dir(o->calib_path)) {
		if (load_calib_images(o, g, calib, &cd, d)) {
			ir_graph_free(g);
			return EXIT_INPUT;
		}
		ctx.calib = &cd;
	}
	check_calib_range(g, ctx.calib, d);
	/* a dump read back resumes where it stands (not for --passes: as given) */
	char *resumed = NULL;
	if (!o->passes) {
		char skipped[256];
		resumed = pass_resume_pipeline(g, pipeline, skipped, sizeof skipped);
		if (skipped[0]) {
			pipeline = resumed;
			GraphState st = pass_graph_state(g);
			if (o->calib_path && (st.quantized || st.calibrated) &&
			    !find_step(pipeline, "calibrate") &&
			    !(o->bias_correction && !st.quantized))
				diag_warning(
				        d, loc_file(o->calib_path),
				        "--calib is not used: '%s' is "
				        "already %s",
				        o->model,
				        st.quantized
				                ? "quantized"
				                : "calibrated (its calib [lo, hi] ranges are kept)");
			if (o->verbose)
				fprintf(stderr,
				        "quantc: %s already shows the work of %s: they do not run\n",
				        o->model, skipped);
		}
	}
	if (!o->calib_path && !o->passes && strcmp(o->cmd, "compile") == 0 &&
	    pass_pipeline_precision(&ctx) != PREC_F32 && !pass_graph_state(g).quantized &&
	    !pass_graph_state(g).calibrated && !has_pins(g))
		diag_warning(d, loc_file(o->model),
		             "no --calib: the %s ranges are proven from the "
		             "inputs' declared ranges, not measured; proven ranges are wider than "
		             "the values that occur and can cost much accuracy (the example CNN: "
		             "68.57%% instead of 91.63%%, docs/quantization.md)",
		             pass_pipeline_precision(&ctx) == PREC_INT16 ? "int16" : "int8");
	char *bc = o->bias_correction && !pass_graph_state(g).quantized
	                   ? with_bias_correct(pipeline, d)
	                   : NULL;
	if (o->verbose && (bc || !o->bias_correction || pass_graph_state(g).quantized))
		fprintf(stderr, "quantc: passes %s\n", bc ? bc : pipeline);
	if ((o->bias_correction && !bc && !pass_graph_state(g).quantized) ||
	    run_passes(o, &g, bc ? bc : pipeline, &ctx, d)) {
		free(bc);
		free(resumed);
		ir_graph_free(g);
		return EXIT_INPUT;
	}
	free(bc);
	free(resumed);
	*out = g;
	return 0;
}
