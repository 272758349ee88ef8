/* auto_precision.c — --precision auto: chooses int8 or int16 for each layer
 * so that the model's output reaches a target SQNR against the float model
 * with the fewest arena plus constant bytes (docs/quantization.md,
 * "Automatic mixed precision").
 *
 * The pipeline is cut at its quantize step.  The part before it (shapes,
 * fusion, ranges, calibrate) runs once; each candidate assignment is a copy
 * of that float graph run through the rest with a per-layer precision list
 * (PassContext.layer_prec), then through the reference interpreter on the
 * first AP_SAMPLES calibration samples.  The search: all int8; else each
 * layer's sensitivity (only it int16); then promote layers by SQNR gained
 * per byte until the target holds, and give back the promotions it holds
 * without.  Everything is deterministic: same inputs, same choice. */
#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"

enum { AP_SAMPLES = 200 };

typedef struct {
	char *a;           /* '0' int8 / '1' int16 per searched layer */
	double sqnr;
	int64_t arena, consts;
} Cand;

typedef struct {
	const PassContext *ctx;  /* the run's: calibration data, --config's list */
	const char *pipeline;
	char *suffix;            /* from the quantize step on */
	int recal;               /* calibrate chose clips, which depend on each value's
	                            precision: candidates rerun the whole pipeline */
	Graph *base, *pre;       /* as parsed; after the prefix (float, calibrated) */
	PipelineOptions po;      /* for the candidates: no printing */
	/* searched layers: node index, escaped name (a literal fnmatch pattern) */
	int nlayer, *node;
	char **match;
	int nnode;               /* of pre */
	int *lead;               /* KEEPQ node fed by an input: the layer it feeds, or -1 */
	char **lead_match;
	LayerPrecision *ents;    /* scratch list for one candidate */
	/* the reference: float outputs of the first ns samples */
	int64_t ns, out_numel;
	float *ref, *y;
	double energy;
	Cand *cache;
	int ncache, capcache;
	Diag *d;
} Search;

/* A value name as an fnmatch pattern matching only itself. */
static char *literal_pattern(const char *s)
{
	char *p = ir_xmalloc(2 * strlen(s) + 1), *q = p;
	for (; *s; s++) {
		if (strchr("*?[]\\", *s))
			*q++ = '\\';
		*q++ = *s;
	}
	*q = 0;
	return p;
}

static int step_at(const char *p, const char *s, size_t n)
{
	return (s == p || s[-1] == ',') && (!s[n] || s[n] == ',' || s[n] == '{');
}

/* The first `quantize` step of pipeline p, or NULL. */
static const char *find_quantize(const char *p)
{
	for (const char *s = p; (s = strstr(s, "quantize")); s++)
		if (step_at(p, s, 8))
			return s;
	return NULL;
}

/* Does --config's list name value name?  (Its entries come first and win.) */
static const LayerPrecision *pinned(const PassContext *ctx, const char *name)
{
	for (int i = 0; i < ctx->nlayer_prec; i++) {
		const char *m = ctx->layer_prec[i].match;
		if (strcmp(m, name) == 0 || fnmatch(m, name, 0) == 0)
			return &ctx->layer_prec[i];
	}
	return NULL;
}

/* The searched layers: every node that is not OPF_KEEPQ (those follow their
 * input) and that --config does not pin.  A KEEPQ chain fed straight by a
 * graph input (mlp's flatten) would otherwise compute in the global int8
 * and make the input int8 even when its first layer is int16: it is given
 * the precision of the layer it feeds. */
static void find_layers(Search *S)
{
	const Graph *g = S->pre;

	S->nnode = g->nnode;
	S->node = ir_xmalloc((size_t)(g->nnode + 1) * sizeof *S->node);
	S->match = ir_xcalloc((size_t)g->nnode + 1, sizeof *S->match);
	S->lead = ir_xmalloc((size_t)(g->nnode + 1) * sizeof *S->lead);
	S->lead_match = ir_xcalloc((size_t)g->nnode + 1, sizeof *S->lead_match);
	for (int i = 0; i < g->nnode; i++) {
		const char *name = g->vals[g->nodes[i].out].name;
		/* an op with no int16 kernel (none today: ops.def's precs) stays int8 */
		if (!(ir_ops[g->nodes[i].op].flags & OPF_KEEPQ) && !pinned(S->ctx, name) &&
		    !pass_stays_int8(g->nodes[i].op)) {
			S->match[S->nlayer] = literal_pattern(name);
			S->node[S->nlayer++] = i;
		}
	}
	/* forwards: which KEEPQ nodes hang off an input; backwards: the layer
	 * each feeds (the first reader of its result, through the chain) */
	int *chain = ir_xcalloc((size_t)g->nnode + 1, sizeof *chain);
	for (int i = 0; i < g->nnode; i++) {
		int x = g->nodes[i].in[0], def = g->vals[x].def;
		chain[i] = (ir_ops[g->nodes[i].op].flags & OPF_KEEPQ) &&
		           (def < 0 ? g->vals[x].kind == VK_INPUT : chain[def]);
	}
	for (int i = g->nnode - 1; i >= 0; i--) {
		S->lead[i] = -1;
		for (int j = i + 1; chain[i] && j < g->nnode; j++)
			if (g->nodes[j].in[0] == g->nodes[i].out) {
				S->lead[i] = chain[j] ? S->lead[j] : j;
				break;
			}
		if (S->lead[i] >= 0)
			S->lead_match[i] = literal_pattern(g->vals[g->nodes[i].out].name);
	}
	free(chain);
}

/* ---- one candidate ------------------------------------------------------- */

/* The precision node i (not KEEPQ) computes in under assignment a. */
static Precision node_prec(const Search *S, const char *a, int i)
{
	for (int k = 0; k < S->nlayer; k++)
		if (S->node[k] == i)
			return a[k] == '1' ? PREC_INT16 : PREC_INT8;
	const LayerPrecision *p = pinned(S->ctx, S->pre->vals[S->pre->nodes[i].out].name);
	return p ? p->precision : S->ctx->precision;
}

/* The run's context with candidate a's list: --config's entries first (the
 * first match wins, so they stay as pinned), then one entry per searched
 * layer, then the input-fed KEEPQ chains. */
static PassContext cand_ctx(Search *S, const char *a)
{
	PassContext c = *S->ctx;
	int n = 0;

	for (int i = 0; i < S->ctx->nlayer_prec; i++)
		S->ents[n++] = S->ctx->layer_prec[i];
	for (int k = 0; k < S->nlayer; k++)
		S->ents[n++] = (LayerPrecision){S->match[k], a[k] == '1' ? PREC_INT16 : PREC_INT8};
	for (int i = 0; i < S->nnode; i++)
		if (S->lead[i] >= 0)
			S->ents[n++] = (LayerPrecision){S->lead_match[i],
			                                node_prec(S, a, S->lead[i])};
	c.layer_prec = S->ents;
	c.nlayer_prec = n;
	return c;
}

/* Runs g on the ns samples, all outputs of sample s at dst + s * out_numel. */
static int run_samples(Search *S, Graph *g, float *dst)
{
	Interp *it = ir_interp_new(g, S->d);
	float **outs = ir_xmalloc((size_t)(g->noutput + 1) * sizeof *outs);
	void *scratch = NULL;
	int64_t ints = 0;
	int rc = 0;

	if (!it) {
		free(outs);
		return -1;
	}
	/* an int64 output (integer arithmetic, the same in every precision)
	 * is not measured: it goes to scratch */
	for (int k = 0; k < g->noutput; k++)
		if (g->vals[g->outputs[k]].dt == DT_I64)
			ints += ir_shape_numel(&g->vals[g->outputs[k]].shape);
	scratch = ir_xmalloc((size_t)(ints + 1) * sizeof(int64_t));
	for (int64_t s = 0; s < S->ns && !rc; s++) {
		const float *ins[IR_MAX_IN];
		for (int k = 0; k < S->ctx->calib->nin; k++)
			ins[k] = S->ctx->calib->data[k] +
			         s * ir_shape_numel(&S->ctx->calib->sample[k]);
		float *o = dst + s * S->out_numel;
		int64_t *io = scratch;
		for (int k = 0; k < g->noutput; k++) {
			int64_t n = ir_shape_numel(&g->vals[g->outputs[k]].shape);
			if (g->vals[g->outputs[k]].dt == DT_I64) {
				outs[k] = (float *)io;
				io += n;
				continue;
			}
			outs[k] = o;
			o += n;
		}
		if ((rc = ir_interp_run_f32(it, ins, (float *const *)outs)))
			diag_error(S->d, loc_file(g->file),
			           "--precision auto: the interpreter cannot "
			           "run '%s' with float inputs and outputs",
			           g->name);
	}
	ir_interp_free(it);
	free(outs);
	free(scratch);
	return rc ? -1 : 0;
}

/* 10 log10(sum ref^2 / sum (ref - y)^2) over everything S->y holds. */
static double sqnr(const Search *S)
{
	double err = 0;
	for (int64_t i = 0; i < S->ns * S->out_numel; i++) {
		double e = (double)S->ref[i] - (double)S->y[i];
		err += e * e;
	}
	return pass_sqnr_db(S->energy, err);
}

/* Arena (planned, else its lower bound) and the bytes of the constants the
 * nodes read (weights, biases). */
static void footprint(const Graph *g, int64_t *arena, int64_t *consts)
{
	int *uses = ir_xmalloc((size_t)(g->nval + 1) * sizeof *uses);

	ir_count_uses(g, uses);
	*arena = g->arena_size ? g->arena_size : pass_arena_lower_bound(g);
	*consts = 0;
	for (int v = 0; v < g->nval; v++)
		if (g->vals[v].kind == VK_CONST && uses[v])
			*consts += ir_value_bytes(&g->vals[v]);
	free(uses);
}

/* "t1=int8 t4=int16 y=int8" for diagnostics (static buffer). */
static const char *describe(const Search *S, const char *a)
{
	static char buf[1024];
	size_t n = 0;

	buf[0] = 0;
	for (int k = 0; k < S->nlayer && n < sizeof buf - 1; k++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s=%s", k ? " " : "",
		                      S->pre->vals[S->pre->nodes[S->node[k]].out].name,
		                      a[k] == '1' ? "int16" : "int8");
	return buf;
}

/* Quantizes a copy of the float graph with assignment a and measures it
 * (once: results are cached).  Returns 0 and *out, or -1 (diagnosed). */
static int eval(Search *S, const char *a, Cand *out)
{
	for (int i = 0; i < S->ncache; i++)
		if (strcmp(S->cache[i].a, a) == 0) {
			*out = S->cache[i];
			return 0;
		}
	Graph *g = ir_graph_clone(S->recal ? S->base : S->pre);
	PassContext c = cand_ctx(S, a);
	/* the passes' warnings were shown once already, by the first run */
	Diag qd = {.out = S->d->out, .quiet = 1};
	int rc = pass_run_pipeline(g, S->recal ? S->pipeline : S->suffix, &c, &S->po, &qd);
	S->d->nerrors += qd.nerrors;
	if (rc || qd.nerrors || run_samples(S, g, S->y)) {
		diag_note(S->d, loc_none(), "--precision auto was trying %s", describe(S, a));
		ir_graph_free(g);
		return -1;
	}
	Cand k = {ir_xstrdup(a), sqnr(S), 0, 0};
	footprint(g, &k.arena, &k.consts);
	ir_graph_free(g);
	ir_vgrow((void **)&S->cache, &S->capcache, S->ncache, sizeof *S->cache);
	S->cache[S->ncache++] = k;
	*out = k;
	return 0;
}

/* ---- the search ---------------------------------------------------------- */

typedef struct {
	int has_sens;
	Cand sens;    /* the model with only this layer int16 */
	int step;     /* promoted as the step-th; 0: never */
	int demoted;  /* promoted, then given back */
} LayerInfo;

typedef struct {
	char *a;      /* the assignment chosen (or all int16 when unreachable) */
	Cand c8, c16; /* all int8; all int16 (has16) */
	int has16;
	LayerInfo *li;
} Choice;

typedef struct {
	int k;
	double gain;   /* dB over all int8 */
	int64_t cost;  /* bytes over all int8 */
} Rank;

static int64_t bytes(const Cand *c)
{
	return c->arena + c->consts;
}

/* Layers that gain come first, most dB per byte first; then the others
 * (which may still help together), cheapest first; ties by gain, then in
 * node order, so the order is deterministic. */
static int by_value(const void *x, const void *y)
{
	const Rank *a = x, *b = y;
	int pa = a->gain > 0, pb = b->gain > 0;

	if (pa != pb)
		return pb - pa;
	if (pa) {
		double ra = a->gain / (double)(a->cost > 0 ? a->cost : 1);
		double rb = b->gain / (double)(b->cost > 0 ? b->cost : 1);
		if (ra != rb)
			return ra < rb ? 1 : -1;
	} else if (a->cost != b->cost)
		return a->cost < b->cost ? -1 : 1;
	if (a->gain != b->gain)
		return a->gain < b->gain ? 1 : -1;
	return a->k - b->k;
}

/* Greedy promotion in the order of `r`, then the promotions the target holds
 * without are given back, first promoted first.  a starts all int8. */
static int promote(Search *S, const Rank *r, double target, Choice *ch)
{
	char *a = ch->a;
	Cand cur = ch->c8, t;
	int np = 0;

	for (int i = 0; i < S->nlayer && cur.sqnr < target; i++) {
		a[r[i].k] = '1';
		ch->li[r[i].k].step = ++np;
		if (eval(S, a, &cur))
			return -1;
	}
	for (int i = 0; i < np; i++) {
		int k = r[i].k;
		a[k] = '0';
		if (eval(S, a, &t))
			return -1;
		if (t.sqnr >= target && bytes(&t) <= bytes(&cur)) {
			cur = t;
			ch->li[k].demoted = 1;
		} else
			a[k] = '1';
	}
	return 0;
}

/* Returns 0 (ch->a meets the target), 1 (even all int16 does not), -1
 * (diagnosed). */
static int search(Search *S, double target, Choice *ch)
{
	int L = S->nlayer, rc = -1;
	char *a = ch->a = ir_xmalloc((size_t)L + 1);
	Rank *r = ir_xmalloc((size_t)(L + 1) * sizeof *r);

	ch->li = ir_xcalloc((size_t)L + 1, sizeof *ch->li);
	memset(a, '0', (size_t)L);
	a[L] = 0;
	if (eval(S, a, &ch->c8))
		goto out;
	rc = 0;
	if (ch->c8.sqnr >= target)
		goto out;
	rc = -1;
	memset(a, '1', (size_t)L);
	if (eval(S, a, &ch->c16))
		goto out;
	ch->has16 = 1;
	rc = 1;
	if (ch->c16.sqnr < target)
		goto out;
	rc = -1;
	for (int k = 0; k < L; k++) {
		memset(a, '0', (size_t)L);
		a[k] = '1';
		if (eval(S, a, &ch->li[k].sens))
			goto out;
		ch->li[k].has_sens = 1;
		double gain = ch->li[k].sens.sqnr - ch->c8.sqnr;
		r[k] = (Rank){k, isnan(gain) ? 0 : gain, bytes(&ch->li[k].sens) - bytes(&ch->c8)};
	}
	qsort(r, (size_t)L, sizeof *r, by_value);
	memset(a, '0', (size_t)L);
	rc = promote(S, r, target, ch);
out:
	free(r);
	return rc;
}

/* ---- the report ---------------------------------------------------------- */

static const char *prec_name(Precision p)
{
	return p == PREC_INT16 ? "int16" : p == PREC_F32 ? "f32" : "int8";
}

static const char *ordinal(int n, char *buf, size_t sz)
{
	const char *suf = n % 100 / 10 == 1 ? "th"
	                  : n % 10 == 1     ? "st"
	                  : n % 10 == 2     ? "nd"
	                  : n % 10 == 3     ? "rd"
	                                    : "th";
	snprintf(buf, sz, "%d%s", n, suf);
	return buf;
}

static void why(const Choice *ch, int k, char *buf, size_t n)
{
	const LayerInfo *l = &ch->li[k];
	char o[16];

	if (!l->has_sens)
		snprintf(buf, n, "all int8 meets the target");
	else if (l->step && l->demoted)
		snprintf(buf, n, "promoted %s, given back: the target holds without it",
		         ordinal(l->step, o, sizeof o));
	else if (l->step && l->sens.sqnr > ch->c8.sqnr)
		snprintf(buf, n, "promoted %s: the most dB per byte left",
		         ordinal(l->step, o, sizeof o));
	else if (l->step)
		snprintf(buf, n, "promoted %s: no gain alone, but the target needs it",
		         ordinal(l->step, o, sizeof o));
	else
		snprintf(buf, n, "not needed: the target was met first");
}

static void summary(FILE *f, const char *what, const Cand *c)
{
	fprintf(f, "  %-9s %8.2f dB  %9lld bytes (arena %lld + constants %lld)\n", what, c->sqnr,
	        (long long)bytes(c), (long long)c->arena, (long long)c->consts);
}

/* One line per layer: its precision, sensitivity (the whole model's SQNR
 * with only this layer int16), the dB and bytes that costs, and why. */
static void print_table(const Search *S, const Choice *ch, double target, int rows, FILE *f)
{
	const Graph *g = S->pre;
	int w = 5, k = 0;
	char b1[32], b2[32], b3[32], reason[160];

	fprintf(f,
	        "quantc: --precision auto: target %.2f dB SQNR (output against f32 on the first "
	        "%lld of %lld calibration samples)\n",
	        target, (long long)S->ns, (long long)S->ctx->calib->n);
	for (int i = 0; i < g->nnode; i++)
		if (!(ir_ops[g->nodes[i].op].flags & OPF_KEEPQ) &&
		    (int)strlen(g->vals[g->nodes[i].out].name) > w)
			w = (int)strlen(g->vals[g->nodes[i].out].name);
	if (rows)
		fprintf(f, "  %-*s %-9s %-9s %11s %9s %9s  %s\n", w, "layer", "op", "precision",
		        "sensitivity", "gain", "+bytes", "why");
	for (int i = 0; i < g->nnode && rows; i++) {
		const char *name = g->vals[g->nodes[i].out].name;
		if (ir_ops[g->nodes[i].op].flags & OPF_KEEPQ)
			continue;
		if (k < S->nlayer && S->node[k] == i) {
			const LayerInfo *l = &ch->li[k];
			strcpy(b1, "-");
			strcpy(b2, "-");
			strcpy(b3, "-");
			if (l->has_sens) {
				snprintf(b1, sizeof b1, "%.2f dB", l->sens.sqnr);
				/* no "-0.00" for a layer that changes nothing */
				double gain = round((l->sens.sqnr - ch->c8.sqnr) * 100) / 100;
				snprintf(b2, sizeof b2, "%+.2f dB", gain == 0 ? 0.0 : gain);
				snprintf(b3, sizeof b3, "%+lld",
				         (long long)(bytes(&l->sens) - bytes(&ch->c8)));
			}
			why(ch, k, reason, sizeof reason);
			fprintf(f, "  %-*s %-9s %-9s %11s %9s %9s  %s\n", w, name,
			        ir_ops[g->nodes[i].op].name, ch->a[k] == '1' ? "int16" : "int8", b1,
			        b2, b3, reason);
			k++;
		} else {
			/* left out of the search: pinned by --config, or an op with
			 * no int16 kernel, which stays int8 (find_layers) */
			const LayerPrecision *p = pinned(S->ctx, name);
			fprintf(f, "  %-*s %-9s %-9s %11s %9s %9s  %s\n", w, name,
			        ir_ops[g->nodes[i].op].name, p ? prec_name(p->precision) : "int8",
			        "-", "-", "-",
			        p ? "set by --config" : "no int16 kernel: stays int8");
		}
	}
	summary(f, "all int8", &ch->c8);
	if (ch->has16)
		summary(f, "all int16", &ch->c16);
	if (S->ctx->nlayer_prec)
		fprintf(f, "  (layers --config sets keep their precision in every line)\n");
}

/* ---- the driver's entry point -------------------------------------------- */

/* Options that make a pipeline run print or write something: the final run
 * then goes through the whole pipeline so that they see every pass. */
static int po_shows(const PipelineOptions *po)
{
	return po->print_after_all || po->print_after || po->print_before || po->dump_dir ||
	       po->time_passes;
}

/* The first part of the search: the float graph through the passes before
 * quantize, and the reference outputs.  Returns 0 or -1 (diagnosed). */
static int prepare(Search *S, const PipelineOptions *po, Diag *d)
{
	const CalibData *cd = S->ctx->calib;
	const char *q = find_quantize(S->pipeline);
	char b1[96], b2[96];

	if (!q) {
		diag_error(d, loc_none(),
		           "--precision auto: the pipeline has no quantize step ('%s')",
		           S->pipeline);
		return -1;
	}
	size_t np = (size_t)(q - S->pipeline);
	char *prefix = ir_xmalloc(np + 1);
	memcpy(prefix, S->pipeline, np);
	prefix[np && prefix[np - 1] == ',' ? np - 1 : np] = 0;
	S->suffix = ir_xstrdup(q);
	S->pre = ir_graph_clone(S->base);
	/* when the final run repeats these passes, it shows their warnings */
	Diag qd = {.out = d->out, .quiet = d->quiet || po_shows(po)};
	int rc = pass_run_pipeline(S->pre, prefix, S->ctx, &S->po, &qd);
	free(prefix);
	d->nerrors += qd.nerrors;
	d->nwarnings += qd.nwarnings;
	if (rc || qd.nerrors)
		return -1;
	const Graph *g = S->pre;
	/* the samples were fitted to the model's inputs (load.c); check it */
	for (int k = 0; k < g->ninput; k++)
		if (g->ninput != cd->nin || !g->vals[g->inputs[k]].has_type ||
		    !ir_shape_eq(&g->vals[g->inputs[k]].shape, &cd->sample[k])) {
			diag_error(d, loc_file(cd->path),
			           "--precision auto: the calibration samples are %s; "
			           "the model needs %d input%s, and input '%s' is %s",
			           ir_shape_str(&cd->sample[k < cd->nin ? k : 0], b1, sizeof b1),
			           g->ninput, g->ninput == 1 ? "" : "s", g->vals[g->inputs[k]].name,
			           ir_shape_str(&g->vals[g->inputs[k]].shape, b2, sizeof b2));
			return -1;
		}
	for (int v = 0; v < g->nval; v++)
		S->recal |= g->vals[v].has_clip;
	S->ns = cd->n < AP_SAMPLES ? cd->n : AP_SAMPLES;
	for (int k = 0; k < g->noutput; k++) /* the float outputs (run_samples) */
		if (g->vals[g->outputs[k]].dt != DT_I64)
			S->out_numel += ir_shape_numel(&g->vals[g->outputs[k]].shape);
	S->ref = ir_xmalloc((size_t)(S->ns * S->out_numel + 1) * sizeof *S->ref);
	S->y = ir_xmalloc((size_t)(S->ns * S->out_numel + 1) * sizeof *S->y);
	if (run_samples(S, S->pre, S->ref))
		return -1;
	for (int64_t i = 0; i < S->ns * S->out_numel; i++)
		S->energy += (double)S->ref[i] * S->ref[i];
	find_layers(S);
	S->ents = ir_xmalloc((size_t)(S->ctx->nlayer_prec + g->nnode + 1) * sizeof *S->ents);
	return 0;
}

/* Compiles the chosen assignment for real, with the caller's pipeline
 * options, and measures it.  Returns the graph, or NULL (diagnosed). */
static Graph *finish(Search *S, const Choice *ch, const PipelineOptions *po, Cand *fin, Diag *d)
{
	PassContext c = cand_ctx(S, ch->a);
	int whole = S->recal || po_shows(po);
	Graph *g = whole ? S->base : S->pre;

	if (whole)
		S->base = NULL;
	else
		S->pre = NULL;
	if (pass_run_pipeline(g, whole ? S->pipeline : S->suffix, &c, po, d) || d->nerrors ||
	    run_samples(S, g, S->y)) {
		ir_graph_free(g);
		return NULL;
	}
	fin->sqnr = sqnr(S);
	footprint(g, &fin->arena, &fin->consts);
	return g;
}

static void search_free(Search *S)
{
	for (int k = 0; k < S->nlayer; k++)
		free(S->match[k]);
	for (int i = 0; S->lead_match && i < S->nnode; i++)
		free(S->lead_match[i]);
	for (int i = 0; i < S->ncache; i++)
		free(S->cache[i].a);
	free(S->cache);
	free(S->match);
	free(S->node);
	free(S->lead);
	free(S->lead_match);
	free(S->ents);
	free(S->ref);
	free(S->y);
	free(S->suffix);
	ir_graph_free(S->pre);
	ir_graph_free(S->base);
}

int pass_auto_precision(Graph **gp, const char *pipeline, const PassContext *ctx,
                        const PipelineOptions *po, double min_sqnr, Diag *d)
{
	Search S = {.ctx = ctx, .pipeline = pipeline, .base = *gp, .d = d};
	Choice ch = {0};
	Cand fin;
	FILE *f = d->out ? d->out : stderr;
	int rc = -1, L = 0;

	*gp = NULL;
	S.po.verify_each = po->verify_each;
	if (!ctx->calib) {
		diag_error(d, loc_none(),
		           "--precision auto needs calibration data (--calib FILE.npy)");
		goto out;
	}
	if (prepare(&S, po, d))
		goto out;
	L = S.nlayer;
	int found = search(&S, min_sqnr, &ch);
	if (found < 0)
		goto out;
	if (!d->quiet)
		print_table(&S, &ch, min_sqnr, found == 0, f);
	if (found > 0) {
		/* layers with no int16 kernel stayed int8 in every candidate */
		int stay8 = 0;
		for (int i = 0; i < S.pre->nnode; i++)
			stay8 |= !(ir_ops[S.pre->nodes[i].op].flags & OPF_KEEPQ) &&
			         !pinned(ctx, S.pre->vals[S.pre->nodes[i].out].name) &&
			         pass_stays_int8(S.pre->nodes[i].op);
		diag_error(d, loc_none(),
		           "--precision auto: no choice of precisions reaches %.2f dB "
		           "SQNR; the best is %.2f dB (%s)",
		           min_sqnr, ch.c16.sqnr > ch.c8.sqnr ? ch.c16.sqnr : ch.c8.sqnr,
		           ch.c16.sqnr > ch.c8.sqnr
		                   ? (stay8 ? "every layer that has an int16 kernel "
		                              "int16"
		                            : "every layer int16")
		                   : "every layer int8");
		goto out;
	}
	if (!(*gp = finish(&S, &ch, po, &fin, d)))
		goto out;
	if (!d->quiet) {
		int n16 = 0;
		for (int k = 0; k < L; k++)
			n16 += ch.a[k] == '1';
		fprintf(f,
		        "  chosen: %d of %d layers int16, %.2f dB >= %.2f dB, %lld bytes (arena %lld + "
		        "constants %lld), %+lld over all int8\n",
		        n16, L, fin.sqnr, min_sqnr, (long long)bytes(&fin), (long long)fin.arena,
		        (long long)fin.consts, (long long)(bytes(&fin) - bytes(&ch.c8)));
	}
	rc = 0;
out:
	free(ch.a);
	free(ch.li);
	search_free(&S);
	return rc;
}
