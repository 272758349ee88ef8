/* tests/fuzz/fuzz_yaml.c — libFuzzer harness of the --config reader
 * (compiler/config.c, over libyaml) and of what the settings it accepts
 * reach.
 *
 * drv_config_read only reads files, so each input is written to a file
 * first.  A configuration it accepts is applied (drv_config_apply) to a copy
 * of a small fixed model, which then goes through what quantc compile
 * --config does (compiler/load.c): once calibrated (the file's calibration settings and
 * per-layer overrides; with calibration.images, the samples are two small
 * images preprocessed as it says; precision: auto searches per-layer
 * precisions), once without calibration data (ranges from the inputs'
 * declared ranges, which the file may set).  Every IR must verify after every
 * pass; a failure must be diagnosed.  Any violation, or an internal error, is
 * a finding.
 */
#include "fuzz_util.h"
#include "driver.h"

/* flatten -> dense -> relu -> dense, with names the seeds' patterns match */
static const char model[] =
        "model fz\n"
        "input x : f32[1,1,2,2] range [0, 1]\n"
        "const w1 : f32[3,4] = [0.5, -0.25, 1, 0, 0.1, 0.2, -0.3, 0.4, -1, 2, 0, 0.5]\n"
        "const b1 : f32[3] = [0.1, 0, -0.2]\n"
        "const w2 : f32[2,3] = [1, -1, 0.5, 0.25, 0, -2]\n"
        "const b2 : f32[2] = [0, 0.5]\n"
        "t0 = flatten(x) { axis = 1 }\n"
        "t1 = dense(t0, w1, b1)\n"
        "t2 = relu(t1)\n"
        "y = dense(t2, w2, b2)\n"
        "output y\n";

/* four samples of x */
static const float samples[16] = {
        0, 0.5f, 1, 0.25f, 0.9f, 0.1f, 0.3f, 0.7f, 1, 1, 0, 0, 0.01f, 0.99f, 0.5f, 0.5f,
};

static Graph *base;
static char cfg_path[600], img_dir[600];

static void setup(void)
{
	Diag d = {0};
	char path[700];

	fz_path(cfg_path, sizeof cfg_path, fz_dir(), "config.yaml");
	fz_path(img_dir, sizeof img_dir, fz_dir(), "images");
	mkdir(img_dir, 0777);
	/* a 2x2 gray and a 2x2 colour image */
	fz_write(fz_path(path, sizeof path, img_dir, "a.pgm"), "P5 2 2 255\n\x00\x40\x80\xff", 15);
	fz_write(fz_path(path, sizeof path, img_dir, "b.ppm"),
	         "P6 2 2 255\n\x10\x20\x30\x40\x50\x60\x70\x80\x90\xa0\xb0\xc0", 23);
	if (!(base = fe_parse_string(model, sizeof model - 1, "fuzz.qg", "", &d)))
		fz_fail("the fixed model does not parse");
}

/* The driver's pipeline (compiler/load.c), bias-correct inserted before
 * quantize when the file asks for it and there is calibration data (without,
 * the driver refuses: a diagnostic, nothing to fuzz). */
static void pipeline(const DrvConfig *c, const PassContext *ctx, char *buf, size_t n)
{
	Precision p = pass_pipeline_precision(ctx);
	const char *pl = ctx->calib ? pass_default_pipeline(p) : pass_static_pipeline(p);
	const char *q = strstr(pl, "quantize");

	if (c->bias_correction && ctx->calib && q)
		snprintf(buf, n, "%.*sbias-correct,%s", (int)(q - pl), pl, q);
	else
		snprintf(buf, n, "%s", pl);
}

/* The passes over g, as the driver runs them: the search of precision:
 * auto (which needs calibration data and min_sqnr), or the pipeline. */
static int run(const DrvConfig *c, Graph **g, const char *pl, const PassContext *ctx, Diag *d)
{
	PipelineOptions po = {0};

	po.verify_each = 1;
	if (!c->auto_precision)
		return pass_run_pipeline(*g, pl, ctx, &po, d);
	if (!ctx->calib || !c->has_min_sqnr)
		return 0; /* the driver refuses: nothing to fuzz */
	return pass_auto_precision(g, pl, ctx, &po, c->min_sqnr, d);
}

/* A copy of the model with c applied, through the passes, calibrated or not. */
static void compile(const DrvConfig *c, int calibrated)
{
	CalibData cd = {.path = "calib.npy",
	                .n = 4,
	                .nin = 1,
	                .sample = {{4, {1, 1, 2, 2}}},
	                .data = {samples},
	                .paths = {"calib.npy"},
	                .params = {CALIB_MINMAX, 0, 0},
	                .layers = c->layers,
	                .nlayer = c->nlayer};
	PassContext ctx = {.precision = c->has_precision ? c->precision : PREC_INT8,
	                   .calib = calibrated ? &cd : NULL,
	                   .layer_prec = c->layer_prec,
	                   .nlayer_prec = c->nlayer_prec};
	Graph *g = ir_graph_clone(base);
	Diag d = fz_diag();
	NpyArray imgs = {0};
	char pl[512];
	int rc;

	if (c->calib_set & CALIB_SET_METHOD)
		cd.params.method = c->calib.method;
	if (c->calib_set & CALIB_SET_PERCENTILE)
		cd.params.percentile = c->calib.percentile;
	if (c->calib_set & CALIB_SET_BINS)
		cd.params.bins = c->calib.bins;
	if ((rc = drv_config_apply(c, g, &d)) == 0 && calibrated && c->has_images &&
	    (rc = fe_images_read(img_dir, &c->images, &g->vals[g->inputs[0]], &imgs, &d)) == 0) {
		cd.n = imgs.shape.d[0];
		cd.sample[0] = imgs.shape;
		cd.sample[0].d[0] = 1;
		cd.data[0] = imgs.data;
	}
	if (rc == 0) {
		pipeline(c, &ctx, pl, sizeof pl);
		rc = run(c, &g, pl, &ctx, &d);
		if (getenv("QC_FUZZ_VERBOSE"))
			fprintf(stderr, "fuzz: %s%s: %s\n",
			        c->auto_precision ? "auto precision over " : "", pl,
			        rc ? "failed" : "ok");
	}
	if (rc != 0 && d.nerrors == 0)
		fz_fail("%s failed without a diagnostic",
		        c->auto_precision ? "auto precision" : pl);
	ir_npy_free(&imgs);
	ir_graph_free(g);
}

/* Calibration images resized to 5000 pixels a side are allowed, and slow:
 * the harness does not time that. */
static int huge_images(const DrvConfig *c)
{
	return c->has_images && (c->images.resize[0] > 256 || c->images.resize[1] > 256);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Diag d = fz_diag();

	if (!base)
		setup();
	fz_write(cfg_path, data, size);
	DrvConfig *c = drv_config_read(cfg_path, &d);
	if (!c) {
		if (d.nerrors == 0)
			fz_fail("drv_config_read failed without a diagnostic");
		return 0;
	}
	if (!huge_images(c))
		compile(c, 1);
	compile(c, 0);
	drv_config_free(c);
	return 0;
}
