/* pipeline.c — runs a pipeline given as text ("infer-shapes,quantize{k=v}"),
 * printing, dumping, verifying and timing around each pass as asked. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "passes.h"

const char *pass_default_pipeline(Precision p)
{
	if (p == PREC_F32)
		return "infer-shapes,fold-constants,fuse-activation,fuse-pool,choose-layout,plan-memory";
	return "infer-shapes,fold-constants,fuse-activation,propagate-ranges,calibrate,quantize,check-overflow,fuse-pool,choose-layout,plan-memory";
}

/* Without calibration data quantize takes every range from propagate-ranges
 * (with it, the proven ranges are only shown beside the observed ones). */
const char *pass_static_pipeline(Precision p)
{
	if (p == PREC_F32)
		return pass_default_pipeline(p);
	return "infer-shapes,fold-constants,fuse-activation,propagate-ranges,quantize,check-overflow,fuse-pool,choose-layout,plan-memory";
}

/* What g already shows of the default pipeline's work: observed ranges
 * (calibrate ran), integer values with quantization parameters (quantize
 * ran), an arena plan (plan-memory ran). */
GraphState pass_graph_state(const Graph *g)
{
	GraphState s = {0, 0, g->arena_size > 0};

	for (int v = 0; v < g->nval; v++) {
		const Value *val = &g->vals[v];
		s.calibrated |= val->has_calib;
		s.quantized |= val->kind != VK_CONST && val->has_type && val->q.present &&
		               (val->dt == DT_I8 || val->dt == DT_I16 || val->dt == DT_U8);
	}
	return s;
}

/* Is step `name` (a whole pass name) the step at p? */
static int step_is(const char *p, size_t n, const char *name)
{
	return strlen(name) == n && strncmp(p, name, n) == 0;
}

char *pass_resume_pipeline(const Graph *g, const char *pipeline, char *skipped, size_t nskipped)
{
	/* the passes whose work each state shows (a planned graph is also one
	 * nothing may rewrite any more: the plan holds for these nodes only) */
	static const char *const quantized[] = {"propagate-ranges", "calibrate", "bias-correct",
	                                        "quantize", NULL};
	static const char *const planned[] = {"fuse-activation", "fuse-pool", "plan-memory", NULL};
	GraphState st = pass_graph_state(g);
	char *out = ir_xmalloc(strlen(pipeline) + 1);
	size_t at = 0, sk = 0;

	if (nskipped)
		skipped[0] = 0;
	for (const char *p = pipeline; *p;) {
		size_t n = strcspn(p, ",{"), len = strcspn(p, ",");
		int drop = 0;
		if (p[n] == '{') { /* options: the step runs to its '}' */
			const char *e = strchr(p + n, '}');
			len = e ? (size_t)(e - p) + 1 : strlen(p);
		}
		drop |= st.calibrated && step_is(p, n, "calibrate");
		for (int i = 0; st.quantized && quantized[i]; i++)
			drop |= step_is(p, n, quantized[i]);
		for (int i = 0; st.planned && planned[i]; i++)
			drop |= step_is(p, n, planned[i]);
		if (drop) {
			if (sk + n + 2 < nskipped)
				sk += (size_t)snprintf(skipped + sk, nskipped - sk, "%s%.*s",
				                       sk ? "," : "", (int)n, p);
		} else {
			if (at)
				out[at++] = ',';
			memcpy(out + at, p, len);
			at += len;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	out[at] = 0;
	return out;
}

typedef struct {
	char name[64];
	char *args; /* malloc'd, or NULL */
} Step;

/* pipeline := step (',' step)* ; step := NAME ('{' ARGS '}')? */
static int split(const char *p, Step **out, int *n, Diag *d)
{
	Step *s = NULL;
	int cap = 0, k = 0;

	while (*p) {
		const char *b = p;
		while (*p && *p != ',' && *p != '{')
			p++;
		if ((size_t)(p - b) >= sizeof s->name || p == b) {
			diag_error(d, loc_none(),
			           "--passes: empty or overlong pass name near '%.20s'", b);
			goto fail;
		}
		ir_vgrow((void **)&s, &cap, k, sizeof *s);
		memcpy(s[k].name, b, (size_t)(p - b));
		s[k].name[p - b] = 0;
		s[k].args = NULL;
		if (*p == '{') {
			const char *a = ++p;
			while (*p && *p != '}')
				p++;
			if (!*p) {
				k++;
				diag_error(d, loc_none(),
				           "--passes: missing '}' after options of '%s'",
				           s[k - 1].name);
				goto fail;
			}
			s[k].args = ir_xmalloc((size_t)(p - a) + 1);
			memcpy(s[k].args, a, (size_t)(p - a));
			s[k].args[p - a] = 0;
			p++;
		}
		k++;
		if (*p == ',')
			p++;
		else if (*p) {
			diag_error(d, loc_none(), "--passes: expected ',' after '%s'",
			           s[k - 1].name);
			goto fail;
		}
	}
	*out = s;
	*n = k;
	return 0;
fail:
	for (int i = 0; i < k; i++)
		free(s[i].args);
	free(s);
	return -1;
}

static void free_steps(Step *s, int n)
{
	for (int i = 0; i < n; i++)
		free(s[i].args);
	free(s);
}

int pass_check_pipeline(const char *pipeline, Diag *d)
{
	Step *s;
	int n, bad = 0;

	if (split(pipeline, &s, &n, d))
		return -1;
	for (int i = 0; i < n; i++)
		if (!pass_find(s[i].name)) {
			IrSuggest sg;
			ir_suggest_init(&sg, s[i].name);
			for (int k = 0; k < pass_count; k++)
				ir_suggest_add(&sg, pass_table[k].name);
			if (sg.best)
				diag_error(d, loc_none(), "unknown pass '%s'; did you mean '%s'?",
				           s[i].name, sg.best);
			else
				diag_error(d, loc_none(), "unknown pass '%s'", s[i].name);
			bad = 1;
		}
	if (bad) {
		fprintf(d->out ? d->out : stderr, "quantc: note: passes are:");
		for (int i = 0; i < pass_count; i++)
			fprintf(d->out ? d->out : stderr, " %s", pass_table[i].name);
		fprintf(d->out ? d->out : stderr, "\n");
	}
	free_steps(s, n);
	return bad ? -1 : 0;
}

/* Is name in the comma list? */
static int listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t k = e ? (size_t)(e - p) : strlen(p);
		if (k == n && strncmp(p, name, n) == 0)
			return 1;
		p = e ? e + 1 : NULL;
	}
	return 0;
}

static int print_to(FILE *f, Graph *g, const char *heading, const PipelineOptions *po,
                    const char *npy_dir, const char *npy_prefix, Diag *d)
{
	PrintOptions pr = {heading, po->elide_constants || (!npy_dir && !po->print_constants),
	                   npy_dir, npy_prefix};
	return ir_print(f, g, &pr, d);
}

/* NN-pass.qg with its .npy side files and NN-pass.dot: renamed into place at
 * once, together (they are wanted even when a later step fails). */
static int dump_file(Graph *g, const char *dir, int idx, const char *what, const char *heading,
                     const PipelineOptions *po, Diag *d)
{
	char path[4096], prefix[128];
	AtomicFile af;
	int mark = ir_outputs_begin();

	snprintf(prefix, sizeof prefix, "%02d-%s.", idx, what);
	snprintf(path, sizeof path, "%s/%02d-%s.qg", dir, idx, what);
	if (ir_atomic_open(&af, path, d))
		goto fail;
	if (print_to(af.f, g, heading, po, dir, prefix, d)) {
		ir_atomic_abort(&af);
		goto fail;
	}
	if (ir_atomic_commit(&af, d))
		goto fail;
	/* the same graph as a picture, NN-pass.dot beside NN-pass.qg */
	snprintf(path, sizeof path, "%s/%02d-%s.dot", dir, idx, what);
	if (ir_atomic_open(&af, path, d))
		goto fail;
	if (ir_print_dot(af.f, g, heading)) {
		ir_atomic_abort(&af);
		goto fail;
	}
	if (ir_atomic_commit(&af, d))
		goto fail;
	return ir_outputs_publish(mark, d);
fail:
	ir_outputs_abort(mark);
	return -1;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int pass_run_pipeline(Graph *g, const char *pipeline, const PassContext *ctx,
                      const PipelineOptions *po, Diag *d)
{
	Step *s;
	int n, rc = 0;
	char heading[160];
	double *secs;

	if (pass_check_pipeline(pipeline, d) || split(pipeline, &s, &n, d))
		return -1;
	secs = ir_xcalloc((size_t)n + 1, sizeof *secs);
	if (po->dump_dir) {
		if (mkdir(po->dump_dir, 0755) != 0 && errno != EEXIST) {
			diag_error(d, loc_none(), "cannot create dump folder '%s': %s",
			           po->dump_dir, strerror(errno));
			rc = -1;
			goto out;
		}
		snprintf(heading, sizeof heading, "quantc IR of %s before any pass", g->name);
		if (dump_file(g, po->dump_dir, 0, "input", heading, po, d)) {
			rc = -1;
			goto out;
		}
	}
	for (int i = 0; i < n; i++) {
		const PassInfo *p = pass_find(s[i].name);
		PassOptions o = {ctx, s[i].args};
		if (po->print_before && listed(po->print_before, p->name)) {
			snprintf(heading, sizeof heading, "quantc IR before pass %d %s", i + 1,
			         p->name);
			print_to(stderr, g, heading, po, NULL, NULL, d);
		}
		double t0 = now();
		if (p->fn(g, &o, d) || d->nerrors) {
			rc = -1;
			goto out;
		}
		secs[i] = now() - t0;
		if (po->verify_each) {
			Diag vd = {.out = d->out};
			if (ir_verify(g, &vd))
				ICE("the IR does not verify after pass '%s'", p->name);
		}
		snprintf(heading, sizeof heading, "quantc IR after pass %d %s", i + 1, p->name);
		if (po->print_after_all || (po->print_after && listed(po->print_after, p->name)))
			print_to(stderr, g, heading, po, NULL, NULL, d);
		if (po->dump_dir && dump_file(g, po->dump_dir, i + 1, p->name, heading, po, d)) {
			rc = -1;
			goto out;
		}
	}
	if (po->time_passes) {
		double total = 0;
		fprintf(stderr, "quantc: pass timing\n");
		for (int i = 0; i < n; i++) {
			fprintf(stderr, "  %10.3f ms  %s\n", secs[i] * 1e3, s[i].name);
			total += secs[i];
		}
		fprintf(stderr, "  %10.3f ms  total\n", total * 1e3);
	}
out:
	free(secs);
	free_steps(s, n);
	return rc;
}

/* The value of "key=value" in a pass's "k=v,k=v" options: *len bytes at the
 * returned pointer, or NULL when the key is absent. */
static const char *find_opt(const PassOptions *o, const char *key, size_t *len)
{
	size_t k = strlen(key);
	for (const char *p = o->args; p && *p;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n > k && strncmp(p, key, k) == 0 && p[k] == '=') {
			*len = n - k - 1;
			return p + k + 1;
		}
		p = e ? e + 1 : NULL;
	}
	return NULL;
}

int pass_opt_double(const PassOptions *o, const char *key, double *out, Diag *d)
{
	char buf[64], *end;
	size_t vl;
	const char *v = find_opt(o, key, &vl);

	if (!v)
		return 0;
	if (vl == 0 || vl >= sizeof buf)
		goto bad;
	memcpy(buf, v, vl);
	buf[vl] = 0;
	*out = strtod(buf, &end);
	if (*end)
		goto bad;
	return 1;
bad:
	diag_error(d, loc_none(), "pass option '%s' needs a number", key);
	return -1;
}

int pass_opt_str(const PassOptions *o, const char *key, char *buf, size_t n, Diag *d)
{
	size_t vl;
	const char *v = find_opt(o, key, &vl);

	if (!v)
		return 0;
	if (vl == 0 || vl >= n) {
		diag_error(d, loc_none(), "pass option '%s' needs a word of at most %zu characters",
		           key, n - 1);
		return -1;
	}
	memcpy(buf, v, vl);
	buf[vl] = 0;
	return 1;
}
