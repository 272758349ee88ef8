/* cmd_report.c — `quantc report MODEL --calib C.npy --input X.npy`: how much
 * each layer loses to quantization.
 *
 * Two graphs are built from the same model: the float one (infer-shapes,
 * fuse-activation: the float pipeline minus memory planning, which changes
 * no value) and the quantized one (the default pipeline of --precision, or
 * an already quantized dump given with --quantized).  Both interpreters run
 * every sample of X side by side; a hook on each captures every layer's
 * output.  Layers are matched by value name, which the passes keep (a fused
 * relu hands its name to the conv that absorbs it, in both graphs alike).
 * The quantized output is dequantized (real = scale * (q - zp)) and compared
 * with the float one, accumulated over all samples: SQNR, absolute errors,
 * cosine similarity and the fraction of float values the layer's quantized
 * range cannot hold.  Then the float and quantized argmax of the output are
 * compared.  Output: an aligned table, or JSON (docs/report-json.md), and
 * optionally an SVG bar chart of the SQNR per layer.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"

/* One compared layer: a value present in both graphs. */
typedef struct {
	int qv, fv;    /* value index in the quantized / float graph */
	int64_t numel;
	float *ref;    /* the current sample's float result (float hook) */
	double sig, noise, qq, dot, abs_sum, max_abs;
	int64_t count, clipped;
} Layer;

typedef struct {
	Graph *fg, *qg;
	Layer *l;
	int n;
	int *of_fval, *of_qval; /* value index -> layer, -1 if not compared */
	const char *input;      /* the samples' file */
	const char *prec;       /* "int8", "int16", "f32" */
	int64_t samples, agree; /* samples run, and those with equal argmax */
} Report;

static void float_hook(void *ctx, const Graph *g, int v, const void *data)
{
	Report *r = ctx;
	(void)g;
	if (r->of_fval[v] >= 0) {
		Layer *l = &r->l[r->of_fval[v]];
		memcpy(l->ref, data, (size_t)l->numel * sizeof(float));
	}
}

/* Element i of a value's storage data, in real units. */
static double real_at(const Value *v, const void *data, int64_t i, int64_t inner)
{
	double q;
	switch (v->dt) {
	case DT_F32: return ((const float *)data)[i];
	case DT_I8:  q = ((const int8_t *)data)[i]; break;
	case DT_I16: q = ((const int16_t *)data)[i]; break;
	case DT_I32: q = ((const int32_t *)data)[i]; break;
	case DT_I64: q = (double)((const int64_t *)data)[i]; break;
	case DT_U8:  q = ((const uint8_t *)data)[i]; break;
	default:     return 0;
	}
	if (!v->q.present)
		return q;
	int c = v->q.axis < 0 ? 0 : (int)((i / inner) % v->q.n);
	return (double)v->q.scale[c] * (q - v->q.zp);
}

/* The real interval a quantized value can hold, for channel c. */
static void representable(const Value *v, int c, double *lo, double *hi)
{
	double s = v->q.scale[v->q.axis < 0 ? 0 : c];
	*lo = s * ((double)ir_qmin(v->dt) - v->q.zp);
	*hi = s * ((double)ir_qmax(v->dt) - v->q.zp);
}

/* Is f clipped by the interval [lo, hi] of step s?  Only beyond half a step:
 * nearer values round to the end point as any value rounds to its nearest
 * level (and 1.0 at scale 1/32767 sits a rounding error above 32767 * s). */
static int clips(double f, double lo, double hi, double s)
{
	return f < lo - s / 2 || f > hi + s / 2;
}

/* Elements per step of the quantization axis (1 past the last dim). */
static int64_t inner_size(const Value *v)
{
	int64_t inner = 1;
	if (v->q.present && v->q.axis >= 0)
		for (int k = v->q.axis + 1; k < v->shape.rank; k++)
			inner *= v->shape.d[k];
	return inner;
}

static void quant_hook(void *ctx, const Graph *g, int v, const void *data)
{
	Report *r = ctx;
	if (r->of_qval[v] < 0)
		return;
	Layer *l = &r->l[r->of_qval[v]];
	const Value *val = &g->vals[v];
	int quantized = val->q.present && val->dt != DT_F32;
	int64_t inner = inner_size(val);
	for (int64_t i = 0; i < l->numel; i++) {
		double f = l->ref[i], q = real_at(val, data, i, inner), e = fabs(f - q);
		l->sig += f * f;
		l->noise += e * e;
		l->qq += q * q;
		l->dot += f * q;
		l->abs_sum += e;
		if (e > l->max_abs)
			l->max_abs = e;
		if (quantized) {
			double lo, hi;
			int c = val->q.axis < 0 ? 0 : (int)((i / inner) % val->q.n);
			representable(val, c, &lo, &hi);
			l->clipped += clips(f, lo, hi, val->q.scale[c]);
		}
	}
	l->count += l->numel;
}

static double sqnr_db(const Layer *l)
{
	if (l->noise == 0)
		return INFINITY;
	if (l->sig == 0)
		return -INFINITY;
	return 10 * log10(l->sig / l->noise);
}

static double cosine(const Layer *l)
{
	if (l->sig == 0 && l->qq == 0)
		return 1;
	if (l->sig == 0 || l->qq == 0)
		return 0;
	return l->dot / sqrt(l->sig * l->qq);
}

static double mean_abs(const Layer *l)
{
	return l->count ? l->abs_sum / (double)l->count : 0;
}

static double clipped_fraction(const Layer *l)
{
	return l->count ? (double)l->clipped / (double)l->count : 0;
}

static const char *op_name(const Graph *g, int v)
{
	int def = g->vals[v].def;
	return def >= 0 ? ir_ops[g->nodes[def].op].name : "input";
}

/* "int16" if any activation is int16, else "int8" if any is int8, else
 * "f32": what the quantized graph really is, dump or not. */
static const char *precision_name(const Graph *g)
{
	int i8 = 0;
	for (int v = 0; v < g->nval; v++) {
		if (g->vals[v].kind == VK_CONST || !g->vals[v].has_type)
			continue;
		if (g->vals[v].dt == DT_I16)
			return "int16";
		i8 |= g->vals[v].dt == DT_I8;
	}
	return i8 ? "int8" : "f32";
}

/* Candidate layer k of g: its inputs, then its nodes' results; -1 for a
 * deleted node. */
static int candidate(const Graph *g, int k)
{
	if (k < g->ninput)
		return g->inputs[k];
	const Node *n = &g->nodes[k - g->ninput];
	return n->op == OP_NONE ? -1 : n->out;
}

/* Layers in the quantized graph's order: inputs, then node results, each
 * with a float counterpart of the same name and size. */
static void match_layers(Report *r)
{
	const Graph *qg = r->qg, *fg = r->fg;
	int cap = 0;

	r->of_qval = ir_xmalloc((size_t)qg->nval * sizeof(int));
	r->of_fval = ir_xmalloc((size_t)fg->nval * sizeof(int));
	memset(r->of_qval, -1, (size_t)qg->nval * sizeof(int));
	memset(r->of_fval, -1, (size_t)fg->nval * sizeof(int));
	for (int k = 0; k < qg->ninput + qg->nnode; k++) {
		int qv = candidate(qg, k);
		if (qv < 0)
			continue;
		int fv = ir_value_find(fg, qg->vals[qv].name);
		/* a float constant never reaches the hook: it is no counterpart */
		if (fv < 0 || fg->vals[fv].kind == VK_CONST || fg->vals[fv].dt != DT_F32 || r->of_qval[qv] >= 0 ||
		    ir_shape_numel(&fg->vals[fv].shape) != ir_shape_numel(&qg->vals[qv].shape))
			continue;
		ir_vgrow((void **)&r->l, &cap, r->n, sizeof *r->l);
		Layer *l = &r->l[r->n];
		memset(l, 0, sizeof *l);
		l->qv = qv;
		l->fv = fv;
		l->numel = ir_shape_numel(&qg->vals[qv].shape);
		l->ref = ir_xcalloc((size_t)l->numel, sizeof(float));
		r->of_qval[qv] = r->of_fval[fv] = r->n++;
	}
}

static int64_t argmax(const float *x, int64_t n)
{
	int64_t best = 0;
	for (int64_t i = 1; i < n; i++)
		if (x[i] > x[best])
			best = i;
	return best;
}

/* ---- text ---------------------------------------------------------------- */

static void fmt_sqnr(double s, char *buf, size_t n)
{
	if (isinf(s))
		snprintf(buf, n, "%sinf", s < 0 ? "-" : "");
	else
		snprintf(buf, n, "%.2f", s);
}

static void fmt_scale(const Value *v, char *buf, size_t n)
{
	if (!v->q.present)
		snprintf(buf, n, "-");
	else if (v->q.axis >= 0)
		snprintf(buf, n, "per-channel");
	else
		snprintf(buf, n, "%.6g", (double)v->q.scale[0]);
}

/* The layer with the lowest SQNR, and the one with the most clipping. */
static void worst(const Report *r, int *low, int *clip)
{
	*low = *clip = -1;
	for (int i = 0; i < r->n; i++) {
		if (*low < 0 || sqnr_db(&r->l[i]) < sqnr_db(&r->l[*low]))
			*low = i;
		if (r->l[i].clipped && (*clip < 0 || clipped_fraction(&r->l[i]) > clipped_fraction(&r->l[*clip])))
			*clip = i;
	}
}

static void write_text(FILE *f, const Report *r)
{
	int64_t n = r->samples, agree = r->agree;
	int nw = 5, ow = 2;
	char sq[32], sc[32], zp[16];

	for (int i = 0; i < r->n; i++) {
		int a = (int)strlen(r->qg->vals[r->l[i].qv].name), b = (int)strlen(op_name(r->qg, r->l[i].qv));
		nw = a > nw ? a : nw;
		ow = b > ow ? b : ow;
	}
	fprintf(f, "quantization error of %s (%s) over %lld samples of %s\n\n", r->qg->name, r->prec,
	        (long long)n, r->input);
	fprintf(f, "%-*s  %-*s  %-5s  %-11s  %6s  %8s  %11s  %12s  %8s  %9s\n", nw, "layer", ow, "op",
	        "dtype", "scale", "zp", "SQNR dB", "max abs err", "mean abs err", "cosine", "clipped %");
	for (int i = 0; i < r->n; i++) {
		const Layer *l = &r->l[i];
		const Value *v = &r->qg->vals[l->qv];
		fmt_sqnr(sqnr_db(l), sq, sizeof sq);
		fmt_scale(v, sc, sizeof sc);
		if (v->q.present)
			snprintf(zp, sizeof zp, "%d", (int)v->q.zp);
		else
			snprintf(zp, sizeof zp, "-");
		fprintf(f, "%-*s  %-*s  %-5s  %-11s  %6s  %8s  %11.4g  %12.4g  %8.6f  %9.4f\n", nw, v->name,
		        ow, op_name(r->qg, l->qv), ir_dtype_name(v->dt), sc, zp, sq, l->max_abs,
		        mean_abs(l), cosine(l), 100 * clipped_fraction(l));
	}
	const Value *out = &r->qg->vals[r->qg->outputs[0]];
	fprintf(f, "\ntop-1 agreement: %.4f (%lld of %lld samples: same argmax of %s)\n",
	        n ? (double)agree / (double)n : 0, (long long)agree, (long long)n, out->name);
	int low, clip;
	worst(r, &low, &clip);
	if (low >= 0) {
		const Value *v = &r->qg->vals[r->l[low].qv];
		fmt_sqnr(sqnr_db(&r->l[low]), sq, sizeof sq);
		fprintf(f, "lowest SQNR: %s (%s) %s dB\n", v->name, op_name(r->qg, r->l[low].qv), sq);
	}
	if (clip >= 0) {
		const Value *v = &r->qg->vals[r->l[clip].qv];
		double lo, hi;
		representable(v, 0, &lo, &hi);
		fprintf(f, "most clipped: %s (%s) %.4f%% of its float values outside ", v->name,
		        op_name(r->qg, r->l[clip].qv), 100 * clipped_fraction(&r->l[clip]));
		if (v->q.axis < 0)
			fprintf(f, "[%.6g, %.6g]\n", lo, hi);
		else
			fprintf(f, "its per-channel ranges\n");
	} else
		fprintf(f, "most clipped: none (every float value fits its layer's range)\n");
	int missing = 0;
	for (int k = 0; k < r->qg->ninput + r->qg->nnode; k++) {
		int v = candidate(r->qg, k);
		if (v >= 0 && r->of_qval[v] < 0)
			fprintf(f, "%s %s", missing++ ? "" : "not compared (no float value of the same name and size):",
			        r->qg->vals[v].name);
	}
	if (missing)
		fprintf(f, "\n");
}

/* ---- JSON (docs/report-json.md) ------------------------------------------ */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* JSON has no infinities or NaN: those are null. */
static void json_num(FILE *f, double x)
{
	if (isfinite(x))
		fprintf(f, "%.6g", x);
	else
		fputs("null", f);
}

static void write_json(FILE *f, const Report *r)
{
	int64_t n = r->samples, agree = r->agree;

	fputs("{\n  \"model\": ", f);
	json_str(f, r->qg->name);
	fputs(",\n  \"precision\": ", f);
	json_str(f, r->prec);
	fprintf(f, ",\n  \"samples\": %lld,\n  \"layers\": [", (long long)n);
	for (int i = 0; i < r->n; i++) {
		const Layer *l = &r->l[i];
		const Value *v = &r->qg->vals[l->qv];
		fputs(i ? ",\n    {" : "\n    {", f);
		fputs("\"name\": ", f);
		json_str(f, v->name);
		fputs(", \"op\": ", f);
		json_str(f, op_name(r->qg, l->qv));
		fputs(", \"dtype\": ", f);
		json_str(f, ir_dtype_name(v->dt));
		fputs(", \"scale\": ", f);
		if (!v->q.present)
			fputs("null", f);
		else if (v->q.axis < 0)
			json_num(f, v->q.scale[0]);
		else
			for (int c = 0; c < v->q.n; c++) {
				fputs(c ? ", " : "[", f);
				json_num(f, v->q.scale[c]);
				fputs(c == v->q.n - 1 ? "]" : "", f);
			}
		if (v->q.present)
			fprintf(f, ", \"zero_point\": %d", (int)v->q.zp);
		else
			fputs(", \"zero_point\": null", f);
		fputs(", \"sqnr_db\": ", f);
		json_num(f, sqnr_db(l));
		fputs(", \"max_abs_err\": ", f);
		json_num(f, l->max_abs);
		fputs(", \"mean_abs_err\": ", f);
		json_num(f, mean_abs(l));
		fputs(", \"cosine\": ", f);
		json_num(f, cosine(l));
		fputs(", \"clipped_fraction\": ", f);
		json_num(f, clipped_fraction(l));
		fputs("}", f);
	}
	fputs(r->n ? "\n  ],\n  \"top1_agreement\": " : "],\n  \"top1_agreement\": ", f);
	json_num(f, n ? (double)agree / (double)n : 0);
	fputs("\n}\n", f);
}

/* ---- SVG bar chart ------------------------------------------------------- */

static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:  fputc(*s, f);
		}
}

/* Green at 30 dB and above (error under about 3% of the signal), amber
 * from 20, red below: what a glance should notice. */
static const char *bar_color(double s)
{
	return s >= 30 ? "#4c9a2a" : s >= 20 ? "#e0a030" : "#c8373a";
}

/* The chart's full scale in dB: the largest finite SQNR, but at most what
 * the storage type can give a full-scale signal, 6.02 dB per bit + 1.76,
 * plus a margin (60 dB for int8, 110 for int16).  A nearly exact layer (an
 * input of pixel/255 values sits near 150 dB) then does not squash the bars
 * that matter, and every int8 chart has the same scale; longer bars are cut
 * with a break mark.  Rounded up to the 10 dB grid. */
static double axis_max(const Report *r)
{
	double max = 0, cap = INFINITY;

	if (strcmp(r->prec, "int8") == 0)
		cap = 60;
	else if (strcmp(r->prec, "int16") == 0)
		cap = 110;
	for (int i = 0; i < r->n; i++) {
		double x = sqnr_db(&r->l[i]);
		if (isfinite(x) && x > max)
			max = x;
	}
	if (max > cap)
		max = cap;
	return max <= 0 ? 10 : ceil(max / 10) * 10;
}

static void write_svg(FILE *f, const Report *r)
{
	enum { ROW = 24, BAR = 16, TOP = 62, BARW = 420, CHARW = 7 };
	int64_t n = r->samples, agree = r->agree;
	int namew = 0;
	double max = axis_max(r);
	char sq[32];

	for (int i = 0; i < r->n; i++) {
		int w = (int)(strlen(r->qg->vals[r->l[i].qv].name) + strlen(op_name(r->qg, r->l[i].qv)) + 1);
		namew = w > namew ? w : namew;
	}
	int left = 16 + namew * CHARW, bottom = TOP + r->n * ROW;
	char title[256];
	snprintf(title, sizeof title, "SQNR per layer: %s %s, top-1 agreement %.1f%% over %lld samples",
	         r->qg->name, r->prec, n ? 100.0 * (double)agree / (double)n : 0.0, (long long)n);
	/* wide enough for the bars and for the bold title (about 9 px a letter) */
	int width = left + BARW + 80, height = bottom + 34;
	if (width < 20 + 9 * (int)strlen(title))
		width = 20 + 9 * (int)strlen(title);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	        "viewBox=\"0 0 %d %d\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n",
	        width, height, width, height);
	fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", width, height);
	fputs("<text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">", f);
	xml_text(f, title);
	fputs("</text>\n", f);
	fprintf(f, "<text x=\"10\" y=\"42\" fill=\"#555555\">dB, longer is better: "
	        "<tspan fill=\"%s\">&#8805; 30</tspan>, <tspan fill=\"%s\">20&#8211;30</tspan>, "
	        "<tspan fill=\"%s\">&lt; 20</tspan>; inf: no error at all</text>\n",
	        bar_color(30), bar_color(20), bar_color(0));
	/* a light grid every 10 dB (20 on a wide axis), labelled underneath */
	double step = max > 100 ? 20 : 10;
	for (double g = 0; g <= max + 1e-9; g += step) {
		int x = left + (int)(g / max * BARW + 0.5);
		fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#dddddd\"/>\n", x,
		        TOP - 4, x, bottom);
		fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#555555\" font-size=\"10\" "
		        "text-anchor=\"middle\">%g</text>\n", x, bottom + 14, g);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#555555\" font-size=\"10\" "
	        "text-anchor=\"middle\">SQNR dB</text>\n", left + BARW / 2, bottom + 28);
	for (int i = 0; i < r->n; i++) {
		const Layer *l = &r->l[i];
		const Value *v = &r->qg->vals[l->qv];
		double s = sqnr_db(l);
		int y = TOP + i * ROW, cut = s > max;
		int w = cut ? BARW : s <= 0 ? 0 : (int)(s / max * BARW + 0.5);
		fmt_sqnr(s, sq, sizeof sq);
		fputs("<g><title>", f);
		xml_text(f, v->name);
		fprintf(f, ": %s dB</title>\n", sq);
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 8, y + BAR - 4);
		xml_text(f, v->name);
		fputs(" <tspan fill=\"#777777\">", f);
		xml_text(f, op_name(r->qg, l->qv));
		fputs("</tspan></text>\n", f);
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", left, y,
		        w, BAR, isinf(s) && s > 0 ? "#8fb8de" : bar_color(s));
		if (cut) /* a white slash: the bar is longer than drawn */
			fprintf(f, "<path d=\"M%d %d l6 -%d\" stroke=\"white\" stroke-width=\"3\"/>\n",
			        left + BARW - 24, y + BAR, BAR);
		fprintf(f, "<text x=\"%d\" y=\"%d\">%s</text></g>\n", left + w + 6, y + BAR - 4, sq);
	}
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333333\"/>\n", left,
	        TOP - 4, left, bottom);
	fputs("</svg>\n", f);
}

/* ---- the command --------------------------------------------------------- */

/* The float reference: the float pipeline up to where it would plan memory. */
static Graph *float_graph(const Options *o, Diag *d)
{
	PassContext ctx = {PREC_F32, NULL, NULL, 0, 0};
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
			diag_error(d, loc_file(o->model), "report: '%s' is not a float model (input '%s' is %s)",
			           o->model, g->vals[g->inputs[i]].name,
			           ir_dtype_name(g->vals[g->inputs[i]].dt));
			ir_graph_free(g);
			return NULL;
		}
	return g;
}

/* Checks that the samples fit input 0 of g. */
static int check_samples(const NpyArray *x, const Graph *g, const char *path, Diag *d)
{
	char b1[96], b2[96];
	const Value *in = &g->vals[g->inputs[0]];
	Shape s = x->shape;

	if (x->dt != DT_F32 || s.rank < 1 || s.d[0] < 1) {
		diag_error(d, loc_file(path), "report: samples must be float32 [N, ...] with N >= 1");
		return -1;
	}
	s.d[0] = 1;
	if (!ir_shape_eq(&s, &in->shape)) {
		diag_error(d, loc_file(path), "report: samples are %s, input '%s' is %s",
		           ir_shape_str(&x->shape, b1, sizeof b1), in->name,
		           ir_shape_str(&in->shape, b2, sizeof b2));
		return -1;
	}
	return 0;
}

/* Runs both graphs over every sample, counting equal argmaxes. */
static int compare(Report *r, const NpyArray *x, Diag *d)
{
	Interp *fi = ir_interp_new(r->fg, d), *qi = fi ? ir_interp_new(r->qg, d) : NULL;
	const Value *fo = &r->fg->vals[r->fg->outputs[0]];
	int64_t nin = ir_shape_numel(&r->fg->vals[r->fg->inputs[0]].shape);
	int64_t nout = ir_shape_numel(&fo->shape);
	float *yf = ir_xmalloc((size_t)nout * sizeof *yf), *yq = ir_xmalloc((size_t)nout * sizeof *yq);
	int rc = -1;

	r->agree = 0;
	if (!qi)
		goto out;
	ir_interp_set_hook(fi, float_hook, r);
	ir_interp_set_hook(qi, quant_hook, r);
	Progress pr;
	progress_begin(&pr, d, "report", x->shape.d[0]);
	for (int64_t i = 0; i < x->shape.d[0]; i++) {
		const float *ins[1] = {(const float *)x->data + i * nin};
		float *of[1] = {yf}, *oq[1] = {yq};
		progress_step(&pr, i);
		/* the float run first: the quantized hook compares with its results */
		if (ir_interp_run_f32(fi, ins, of) || ir_interp_run_f32(qi, ins, oq)) {
			progress_end(&pr);
			diag_error(d, loc_none(), "report: the interpreter cannot take float samples for "
			           "this graph's input or output types");
			goto out;
		}
		r->agree += argmax(yf, nout) == argmax(yq, nout);
	}
	progress_end(&pr);
	r->samples = x->shape.d[0];
	rc = 0;
out:
	free(yf);
	free(yq);
	ir_interp_free(fi);
	ir_interp_free(qi);
	return rc;
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
	NpyArray calib = {0}, x = {0};
	int rc;

	if (!o->input) {
		diag_error(d, loc_none(), "report: needs --input X.npy (the samples to compare on)");
		return EXIT_INPUT;
	}
	if (!o->calib_path && !o->quantized && o->precision != PREC_F32) {
		diag_error(d, loc_none(), "report: needs --calib CALIB.npy to quantize the model "
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
	if (r.qg->ninput != 1 || r.qg->noutput != 1 || r.fg->ninput != 1 || r.fg->noutput != 1) {
		diag_error(d, loc_file(o->model), "report: models with one input and one output only");
		goto out;
	}
	if (ir_shape_numel(&r.qg->vals[r.qg->outputs[0]].shape) !=
	    ir_shape_numel(&r.fg->vals[r.fg->outputs[0]].shape)) {
		diag_error(d, loc_file(o->quantized ? o->quantized : o->model),
		           "report: the quantized graph's output differs in size from the model's");
		goto out;
	}
	if (ir_npy_read(o->input, &x, d, loc_file(o->input)) ||
	    check_samples(&x, r.fg, o->input, d) || check_samples(&x, r.qg, o->input, d))
		goto out;
	match_layers(&r);
	if (compare(&r, &x, d))
		goto out;
	r.prec = precision_name(r.qg);
	r.input = o->input;
	if (emit(o->out, o->format && strcmp(o->format, "json") == 0 ? write_json : write_text, &r, d))
		goto out;
	if (o->svg && emit(o->svg, write_svg, &r, d))
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
	ir_npy_free(&x);
	ir_npy_free(&calib);
	return rc;
}
