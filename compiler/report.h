/* report.h — `quantc report` inside the driver: the comparison of a float
 * and a quantized graph layer by layer (report.c) and its writers
 * (report_write.c); cmd_report.c is the command. */
#ifndef QUANTC_REPORT_H
#define QUANTC_REPORT_H

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

/* ---- report.c: the analysis ------------------------------------------------ */

/* Layers in the quantized graph's order: inputs, then node results, each
 * with a float counterpart of the same name and size. */
void drv_report_match(Report *r);
/* Runs both graphs over every sample of x (x[k]: input k's samples, shaped
 * [S, ...input]), accumulating each layer's error and counting equal
 * argmaxes; -1 once reported. */
int drv_report_compare(Report *r, const NpyArray *x, Diag *d);
/* "int16", "int8" or "f32": what the quantized graph really is. */
const char *drv_report_precision(const Graph *g);
/* Candidate layer k of g (inputs, then node results); -1: a deleted node. */
int drv_report_candidate(const Graph *g, int k);
/* The layer with the lowest SQNR, and the one with the most clipping (-1: none). */
void drv_report_worst(const Report *r, int *low, int *clip);

/* one layer's measures, over all samples */
double drv_layer_sqnr(const Layer *l); /* dB (pass_sqnr_db) */
double drv_layer_cosine(const Layer *l);
double drv_layer_mean_abs(const Layer *l);
double drv_layer_clipped(const Layer *l); /* fraction of float values out of range */
const char *drv_layer_op(const Graph *g, int v); /* the op that computes v, or "input" */
/* The real interval quantized value v can hold, for channel c. */
void drv_representable(const Value *v, int c, double *lo, double *hi);

/* ---- report_write.c: the writers ----------------------------------------- */

void drv_report_text(FILE *f, const Report *r); /* an aligned table */
void drv_report_json(FILE *f, const Report *r); /* docs/report-json.md */
void drv_report_svg(FILE *f, const Report *r);  /* SQNR per layer, a bar chart */

#endif
