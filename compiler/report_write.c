/* report_write.c — the writers of `quantc report`: an aligned text table,
 * JSON (docs/report-json.md) and an SVG bar chart of the SQNR per layer. */
#include <math.h>
#include <string.h>

#include "report.h"

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

void drv_report_text(FILE *f, const Report *r)
{
	int64_t n = r->samples, agree = r->agree;
	int nw = 5, ow = 2;
	char sq[32], sc[32], zp[16];

	for (int i = 0; i < r->n; i++) {
		int a = (int)strlen(r->qg->vals[r->l[i].qv].name);
		int b = (int)strlen(drv_layer_op(r->qg, r->l[i].qv));
		nw = a > nw ? a : nw;
		ow = b > ow ? b : ow;
	}
	fprintf(f, "quantization error of %s (%s) over %lld samples of %s\n\n", r->qg->name,
	        r->prec, (long long)n, r->input);
	fprintf(f, "%-*s  %-*s  %-5s  %-11s  %6s  %8s  %11s  %12s  %8s  %9s\n", nw, "layer", ow,
	        "op", "dtype", "scale", "zp", "SQNR dB", "max abs err", "mean abs err", "cosine",
	        "clipped %");
	for (int i = 0; i < r->n; i++) {
		const Layer *l = &r->l[i];
		const Value *v = &r->qg->vals[l->qv];
		fmt_sqnr(drv_layer_sqnr(l), sq, sizeof sq);
		fmt_scale(v, sc, sizeof sc);
		if (v->q.present)
			snprintf(zp, sizeof zp, "%d", (int)v->q.zp);
		else
			snprintf(zp, sizeof zp, "-");
		fprintf(f, "%-*s  %-*s  %-5s  %-11s  %6s  %8s  %11.4g  %12.4g  %8.6f  %9.4f\n", nw,
		        v->name, ow, drv_layer_op(r->qg, l->qv), ir_dtype_name(v->dt), sc, zp, sq,
		        l->max_abs, drv_layer_mean_abs(l), drv_layer_cosine(l),
		        100 * drv_layer_clipped(l));
	}
	const Value *out = &r->qg->vals[r->qg->outputs[0]];
	fprintf(f, "\ntop-1 agreement: %.4f (%lld of %lld samples: same argmax of %s)\n",
	        n ? (double)agree / (double)n : 0, (long long)agree, (long long)n, out->name);
	int low, clip;
	drv_report_worst(r, &low, &clip);
	if (low >= 0) {
		const Value *v = &r->qg->vals[r->l[low].qv];
		fmt_sqnr(drv_layer_sqnr(&r->l[low]), sq, sizeof sq);
		fprintf(f, "lowest SQNR: %s (%s) %s dB\n", v->name,
		        drv_layer_op(r->qg, r->l[low].qv), sq);
	}
	if (clip >= 0) {
		const Value *v = &r->qg->vals[r->l[clip].qv];
		double lo, hi;
		drv_representable(v, 0, &lo, &hi);
		fprintf(f, "most clipped: %s (%s) %.4f%% of its float values outside ", v->name,
		        drv_layer_op(r->qg, r->l[clip].qv), 100 * drv_layer_clipped(&r->l[clip]));
		if (v->q.axis < 0)
			fprintf(f, "[%.6g, %.6g]\n", lo, hi);
		else
			fprintf(f, "its per-channel ranges\n");
	} else
		fprintf(f, "most clipped: none (every float value fits its layer's range)\n");
	int missing = 0;
	for (int k = 0; k < r->qg->ninput + r->qg->nnode; k++) {
		int v = drv_report_candidate(r->qg, k);
		if (v >= 0 && r->of_qval[v] < 0)
			fprintf(f, "%s %s",
			        missing++
			                ? ""
			                : "not compared (no float value of the same name and size):",
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

void drv_report_json(FILE *f, const Report *r)
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
		json_str(f, drv_layer_op(r->qg, l->qv));
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
		json_num(f, drv_layer_sqnr(l));
		fputs(", \"max_abs_err\": ", f);
		json_num(f, l->max_abs);
		fputs(", \"mean_abs_err\": ", f);
		json_num(f, drv_layer_mean_abs(l));
		fputs(", \"cosine\": ", f);
		json_num(f, drv_layer_cosine(l));
		fputs(", \"clipped_fraction\": ", f);
		json_num(f, drv_layer_clipped(l));
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
		default: fputc(*s, f);
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
		double x = drv_layer_sqnr(&r->l[i]);
		if (isfinite(x) && x > max)
			max = x;
	}
	if (max > cap)
		max = cap;
	return max <= 0 ? 10 : ceil(max / 10) * 10;
}

void drv_report_svg(FILE *f, const Report *r)
{
	enum { ROW = 24, BAR = 16, TOP = 62, BARW = 420, CHARW = 7 };
	int64_t n = r->samples, agree = r->agree;
	int namew = 0;
	double max = axis_max(r);
	char sq[32];

	for (int i = 0; i < r->n; i++) {
		int w = (int)(strlen(r->qg->vals[r->l[i].qv].name) +
		              strlen(drv_layer_op(r->qg, r->l[i].qv)) + 1);
		namew = w > namew ? w : namew;
	}
	int left = 16 + namew * CHARW, bottom = TOP + r->n * ROW;
	char title[256];
	snprintf(title, sizeof title,
	         "SQNR per layer: %s %s, top-1 agreement %.1f%% over %lld samples", r->qg->name,
	         r->prec, n ? 100.0 * (double)agree / (double)n : 0.0, (long long)n);
	/* wide enough for the bars and for the bold title (about 9 px a letter) */
	int width = left + BARW + 80, height = bottom + 34;
	if (width < 20 + 9 * (int)strlen(title))
		width = 20 + 9 * (int)strlen(title);
	fprintf(f,
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	        "viewBox=\"0 0 %d %d\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n",
	        width, height, width, height);
	fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", width, height);
	fputs("<text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">", f);
	xml_text(f, title);
	fputs("</text>\n", f);
	fprintf(f,
	        "<text x=\"10\" y=\"42\" fill=\"#555555\">dB, longer is better: "
	        "<tspan fill=\"%s\">&#8805; 30</tspan>, <tspan fill=\"%s\">20&#8211;30</tspan>, "
	        "<tspan fill=\"%s\">&lt; 20</tspan>; inf: no error at all</text>\n",
	        bar_color(30), bar_color(20), bar_color(0));
	/* a light grid every 10 dB (20 on a wide axis), labelled underneath */
	double step = max > 100 ? 20 : 10;
	for (double g = 0; g <= max + 1e-9; g += step) {
		int x = left + (int)(g / max * BARW + 0.5);
		fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#dddddd\"/>\n",
		        x, TOP - 4, x, bottom);
		fprintf(f,
		        "<text x=\"%d\" y=\"%d\" fill=\"#555555\" font-size=\"10\" "
		        "text-anchor=\"middle\">%g</text>\n",
		        x, bottom + 14, g);
	}
	fprintf(f,
	        "<text x=\"%d\" y=\"%d\" fill=\"#555555\" font-size=\"10\" "
	        "text-anchor=\"middle\">SQNR dB</text>\n",
	        left + BARW / 2, bottom + 28);
	for (int i = 0; i < r->n; i++) {
		const Layer *l = &r->l[i];
		const Value *v = &r->qg->vals[l->qv];
		double s = drv_layer_sqnr(l);
		int y = TOP + i * ROW, cut = s > max;
		int w = cut ? BARW : s <= 0 ? 0 : (int)(s / max * BARW + 0.5);
		fmt_sqnr(s, sq, sizeof sq);
		fputs("<g><title>", f);
		xml_text(f, v->name);
		fprintf(f, ": %s dB</title>\n", sq);
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 8, y + BAR - 4);
		xml_text(f, v->name);
		fputs(" <tspan fill=\"#777777\">", f);
		xml_text(f, drv_layer_op(r->qg, l->qv));
		fputs("</tspan></text>\n", f);
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n",
		        left, y, w, BAR, isinf(s) && s > 0 ? "#8fb8de" : bar_color(s));
		if (cut) /* a white slash: the bar is longer than drawn */
			fprintf(f,
			        "<path d=\"M%d %d l6 -%d\" stroke=\"white\" stroke-width=\"3\"/>\n",
			        left + BARW - 24, y + BAR, BAR);
		fprintf(f, "<text x=\"%d\" y=\"%d\">%s</text></g>\n", left + w + 6, y + BAR - 4,
		        sq);
	}
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333333\"/>\n", left,
	        TOP - 4, left, bottom);
	fputs("</svg>\n", f);
}
