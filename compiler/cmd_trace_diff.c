/* cmd_trace_diff.c — `quantc trace-diff MODEL TRACE --input X.npy`: the host
 * half of the debug twin.  Runs the pipeline and the reference interpreter on
 * the samples of X, captures every traced value's bytes through an
 * InterpHook, and compares them record by record with the trace an
 * --instrument object printed (docs/trace-format.md).  Prints the first
 * sample, layer and element whose bytes differ, with both values, then a
 * per-layer summary.  Exit 0 when everything matches, 1 on a difference or a
 * malformed trace (diagnosed at TRACE:line:col).
 *
 * The trace is read one line at a time and each sample is checked as it
 * arrives, so a trace of any length never has to fit in memory.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"

typedef struct {
	int v;        /* the traced value */
	int64_t bytes;
	unsigned char *ref;  /* the interpreter's bytes for the current sample */
	unsigned char *got;  /* the trace's */
	int64_t nsamples;    /* samples in which some element differs */
	int64_t nelems;      /* differing elements, over all samples */
	int64_t nfirst;      /* samples in which it is the first layer to differ */
	double maxdiff;      /* largest |trace - reference|, storage units */
} Layer;

typedef struct {
	const Options *o;
	Graph *g;
	Diag *d;
	Interp *it;
	const float *x;      /* the samples of --input */
	int64_t nx, nin;     /* how many; elements of one */
	const char *name;    /* the model name the trace must carry */
	Layer *l;
	int nl;
	int *layer_of;       /* value index -> layer id, or -1 */
	/* where the reader is */
	const char *path;
	int line;
	int header;          /* an H line was read */
	int64_t sample;      /* the sample being read, -1 before the first */
	int next;            /* the layer id its next T record must carry */
	int sample_differs;
	unsigned char *seen; /* per sample of X: present in the trace */
	int64_t nsamples;    /* samples read */
	int64_t ndiffer;     /* samples with a difference */
	int shown;           /* the first difference was printed */
} TraceDiff;

static void capture(void *ctx, const Graph *g, int v, const void *data)
{
	TraceDiff *t = ctx;
	int id = t->layer_of[v];

	if (id >= 0)
		memcpy(t->l[id].ref, data, (size_t)ir_value_bytes(&g->vals[v]));
}

static Loc at(const TraceDiff *t, const char *line, const char *p)
{
	Loc l = {t->path, t->line, (int)(p - line) + 1};
	return l;
}

/* A decimal number after optional blanks; NULL when there is none. */
static const char *number(const char *p, uint64_t *out)
{
	uint64_t v = 0;

	p += strspn(p, " \t");
	if (*p < '0' || *p > '9')
		return NULL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return NULL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p && *p != ' ' && *p != '\t')
		return NULL;
	*out = v;
	return p;
}

/* The rest of a record must be blank. */
static int at_end(const char *p)
{
	return p[strspn(p, " \t")] == 0;
}

/* ---- values ---------------------------------------------------------------- */

/* Element e of a tensor of type dt, as a number (host byte order: quantc's
 * targets and hosts are all little-endian). */
static double elem(DType dt, const unsigned char *p)
{
	int8_t i8;
	int16_t i16;
	int32_t i32;
	int64_t i64;
	float f;

	switch (dt) {
	case DT_I8: memcpy(&i8, p, 1); return i8;
	case DT_U8: return *p;
	case DT_I16: memcpy(&i16, p, 2); return i16;
	case DT_I32: memcpy(&i32, p, 4); return i32;
	case DT_I64: memcpy(&i64, p, 8); return (double)i64;
	case DT_F32: memcpy(&f, p, 4); return f;
	default: ICE("no element of type %s", ir_dtype_name(dt));
	}
}

/* The coordinates of element e in v's shape, "[0,5,1,6]", into buf. */
static char *coords(const Value *v, int64_t e, int64_t *c, char *buf, size_t n)
{
	size_t k = 0;

	for (int i = v->shape.rank - 1; i >= 0; i--) {
		c[i] = v->shape.d[i] ? e % v->shape.d[i] : 0;
		e = v->shape.d[i] ? e / v->shape.d[i] : 0;
	}
	k += (size_t)snprintf(buf, n, "[");
	for (int i = 0; i < v->shape.rank && k < n; i++)
		k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? "," : "", (long long)c[i]);
	if (k < n)
		snprintf(buf + k, n - k, "]");
	return buf;
}

static void print_value(const Value *v, const int64_t *c, const unsigned char *p)
{
	double x = elem(v->dt, p);

	if (v->dt == DT_F32) {
		uint32_t bits;
		memcpy(&bits, p, 4);
		printf("%.9g (bits %08lx)", x, (unsigned long)bits);
	} else
		printf("%.0f", x);
	if (v->q.present && v->dt != DT_F32 && v->q.n >= 1) {
		int ch = v->q.axis >= 0 && v->q.axis < v->shape.rank ? (int)c[v->q.axis] : 0;
		float s = v->q.scale[ch < v->q.n ? ch : 0];
		printf(" (real %.6g)", (double)s * (x - v->q.zp));
	}
	printf("\n");
}

static const char *op_of(const Graph *g, const Value *v)
{
	return v->def >= 0 ? ir_ops[g->nodes[v->def].op].name : "input";
}

static void show_first(TraceDiff *t, int id, int64_t e)
{
	const Layer *l = &t->l[id];
	const Value *v = &t->g->vals[l->v];
	int es = ir_dtype_size(v->dt);
	int64_t c[IR_MAX_RANK];
	char cs[160], shape[96];

	printf("first difference: sample %lld, layer %d (%s = %s, %s%s), element %lld %s\n",
	       (long long)t->sample, id, v->name, op_of(t->g, v), ir_dtype_name(v->dt),
	       ir_shape_str(&v->shape, shape, sizeof shape), (long long)e,
	       coords(v, e, c, cs, sizeof cs));
	printf("  at %s:%d\n", t->path, t->line);
	printf("  trace:     ");
	print_value(v, c, l->got + e * es);
	printf("  reference: ");
	print_value(v, c, l->ref + e * es);
	t->shown = 1;
}

/* Compares layer id of the current sample, element by element. */
static void compare(TraceDiff *t, int id)
{
	Layer *l = &t->l[id];
	const Value *v = &t->g->vals[l->v];
	int es = ir_dtype_size(v->dt);
	int64_t n = l->bytes / es, bad = 0;

	if (memcmp(l->got, l->ref, (size_t)l->bytes) == 0)
		return;
	for (int64_t e = 0; e < n; e++) {
		const unsigned char *a = l->got + e * es, *b = l->ref + e * es;
		double diff;

		if (memcmp(a, b, (size_t)es) == 0)
			continue;
		if (!t->shown)
			show_first(t, id, e);
		diff = fabs(elem(v->dt, a) - elem(v->dt, b));
		if (!(diff == diff))
			diff = INFINITY; /* a NaN on one side */
		if (diff > l->maxdiff)
			l->maxdiff = diff;
		bad++;
	}
	l->nelems += bad;
	l->nsamples++;
	if (!t->sample_differs)
		l->nfirst++;
	t->sample_differs = 1;
}

/* ---- records ----------------------------------------------------------------- */

/* H <model> <layers> */
static int header(TraceDiff *t, const char *line)
{
	const char *p = line + 2, *q;
	uint64_t n;
	size_t len;

	p += strspn(p, " \t");
	len = strcspn(p, " \t");
	if (!len || !(q = number(p + len, &n)) || !at_end(q)) {
		diag_error(t->d, at(t, line, p), "malformed header: expected 'H <model> <layers>'");
		return 1;
	}
	if (len != strlen(t->name) || strncmp(p, t->name, len) != 0) {
		diag_error(t->d, at(t, line, p),
		           "the trace is of model '%.*s', not '%s' (give --name "
		           "if the object was compiled with it)",
		           (int)len, p, t->name);
		return 1;
	}
	if (n != (uint64_t)t->nl) {
		diag_error(t->d, at(t, line, p + len),
		           "the trace has %llu layers, %s has %d after this "
		           "pipeline (compile and trace-diff need the same pipeline options)",
		           (unsigned long long)n, t->name, t->nl);
		return 1;
	}
	t->header = 1;
	return 0;
}

/* The current sample must hold every layer. */
static int end_sample(TraceDiff *t, const char *line, const char *p)
{
	if (t->sample < 0 || t->next == t->nl)
		return 0;
	diag_error(
	        t->d, line ? at(t, line, p) : loc_file(t->path),
	        "sample %lld ends after %d of its %d layers (the next record would be layer %d, %s)",
	        (long long)t->sample, t->next, t->nl, t->next, t->g->vals[t->l[t->next].v].name);
	return 1;
}

/* Runs the interpreter on sample k of X; the hook captures the layers. */
static int run_sample(TraceDiff *t, int64_t k)
{
	const Graph *g = t->g;
	const float *in[1] = {t->x + k * t->nin};
	float **out = ir_xcalloc((size_t)g->noutput, sizeof *out);
	int rc;

	for (int i = 0; i < g->noutput; i++) /* 8 bytes an element: an int64 output too */
		out[i] = ir_xmalloc((size_t)ir_shape_numel(&g->vals[g->outputs[i]].shape) *
		                    sizeof(int64_t));
	rc = ir_interp_run_f32(t->it, in, out);
	for (int i = 0; i < g->noutput; i++)
		free(out[i]);
	free(out);
	if (rc)
		diag_error(t->d, loc_file(t->o->model),
		           "the float edge cannot convert this model's "
		           "inputs or outputs (f32, or i8/i16 quantized per tensor)");
	return rc != 0;
}

/* S <index>: runs the interpreter on that sample of X. */
static int sample(TraceDiff *t, const char *line)
{
	const char *p = line + 2, *q;
	uint64_t k;

	if (!t->header) {
		diag_error(t->d, at(t, line, line),
		           "sample before the header line 'H <model> <layers>'");
		return 1;
	}
	if (end_sample(t, line, line))
		return 1;
	if (!(q = number(p, &k)) || !at_end(q)) {
		diag_error(t->d, at(t, line, p), "malformed sample line: expected 'S <index>'");
		return 1;
	}
	if (k >= (uint64_t)t->nx) {
		diag_error(t->d, at(t, line, p), "sample %llu, but %s holds %lld samples",
		           (unsigned long long)k, t->o->input, (long long)t->nx);
		return 1;
	}
	if (t->seen[k]) {
		diag_error(t->d, at(t, line, p), "sample %llu appears twice",
		           (unsigned long long)k);
		return 1;
	}
	t->seen[k] = 1;
	t->sample = (int64_t)k;
	t->next = 0;
	t->sample_differs = 0;
	t->nsamples++;
	return run_sample(t, (int64_t)k);
}

/* The hex digits after p, blanks allowed anywhere, into got. */
static int hexbytes(TraceDiff *t, const char *line, const char *p, Layer *l)
{
	const char *start = p + strspn(p, " \t");
	int64_t nd = 0, want = 2 * l->bytes;

	for (; *p; p++) {
		int h;

		if (*p == ' ' || *p == '\t')
			continue;
		if (*p >= '0' && *p <= '9')
			h = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			h = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			h = *p - 'A' + 10;
		else {
			diag_error(t->d, at(t, line, p),
			           "'%c' in the bytes of layer %d: hex digits expected", *p,
			           t->next);
			return 1;
		}
		if (nd == want) {
			diag_error(t->d, at(t, line, p), "layer %d holds more than its %lld bytes",
			           t->next, (long long)l->bytes);
			return 1;
		}
		if (nd % 2 == 0)
			l->got[nd / 2] = (unsigned char)(h << 4);
		else
			l->got[nd / 2] |= (unsigned char)h;
		nd++;
	}
	if (nd != want) {
		diag_error(t->d, at(t, line, start),
		           "layer %d has %lld hex digits, its %lld bytes need %lld", t->next,
		           (long long)nd, (long long)l->bytes, (long long)want);
		return 1;
	}
	return 0;
}

/* T <layer_id> <bytes> <hex> */
static int tensor(TraceDiff *t, const char *line)
{
	const char *p = line + 2, *q, *r;
	uint64_t id, bytes;
	Layer *l;

	if (t->sample < 0) {
		diag_error(t->d, at(t, line, line),
		           "tensor record before the first sample line 'S <index>'");
		return 1;
	}
	if (!(q = number(p, &id)) || !(r = number(q, &bytes))) {
		diag_error(t->d, at(t, line, p),
		           "malformed tensor record: expected "
		           "'T <layer_id> <bytes> <hex bytes>'");
		return 1;
	}
	if (id != (uint64_t)t->next) {
		diag_error(t->d, at(t, line, p),
		           "sample %lld: layer %llu where layer %d was expected "
		           "(records come in layer order, each once)",
		           (long long)t->sample, (unsigned long long)id, t->next);
		return 1;
	}
	l = &t->l[id];
	if (bytes != (uint64_t)l->bytes) {
		diag_error(t->d, at(t, line, q), "layer %llu (%s) has %lld bytes, not %llu",
		           (unsigned long long)id, t->g->vals[l->v].name, (long long)l->bytes,
		           (unsigned long long)bytes);
		return 1;
	}
	if (hexbytes(t, line, r, l))
		return 1;
	compare(t, t->next++);
	if (t->next == t->nl && t->sample_differs)
		t->ndiffer++;
	return 0;
}

/* Reads the whole trace; 0 when it is well formed. */
static int read_trace(TraceDiff *t)
{
	FILE *f = ir_open_input(t->path, "cannot open the trace", t->d, loc_file(t->path));
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int bad = 0;

	if (!f)
		return 1;
	while (!bad && (n = getline(&line, &cap, f)) >= 0) {
		t->line++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		/* anything else is the program's own output, or the trace's future */
		if (n < 1 || line[1] != ' ')
			continue;
		if (line[0] == 'H')
			bad = header(t, line);
		else if (line[0] == 'S')
			bad = sample(t, line);
		else if (line[0] == 'T')
			bad = tensor(t, line);
	}
	free(line);
	if (ferror(f)) {
		diag_error(t->d, loc_file(t->path), "read error");
		bad = 1;
	}
	fclose(f);
	if (bad || end_sample(t, NULL, NULL))
		return 1;
	if (!t->header || !t->nsamples) {
		diag_error(
		        t->d, loc_file(t->path),
		        "no %s: an --instrument object's trace starts with "
		        "'H <model> <layers>', then 'S <index>' and 'T' records (docs/trace-format.md)",
		        t->header ? "samples" : "header line");
		return 1;
	}
	for (int64_t k = 0; k < t->nx; k++)
		if (!t->seen[k]) {
			diag_error(t->d, loc_file(t->path),
			           "the trace holds %lld of the %lld samples of %s "
			           "(sample %lld is missing)",
			           (long long)t->nsamples, (long long)t->nx, t->o->input,
			           (long long)k);
			return 1;
		}
	return 0;
}

/* ---- the command ------------------------------------------------------------------ */

static void summary(const TraceDiff *t)
{
	char shape[96], type[112];

	printf("\nper layer, over %lld samples:\n", (long long)t->nsamples);
	printf("  %-3s %-12s %-10s %-20s %9s %10s %10s %6s\n", "id", "value", "op", "type",
	       "samples", "elements", "max|diff|", "first");
	for (int id = 0; id < t->nl; id++) {
		const Layer *l = &t->l[id];
		const Value *v = &t->g->vals[l->v];

		snprintf(type, sizeof type, "%s%s", ir_dtype_name(v->dt),
		         ir_shape_str(&v->shape, shape, sizeof shape));
		printf("  %-3d %-12s %-10s %-20s %9lld %10lld %10.4g %6lld\n", id, v->name,
		       op_of(t->g, v), type, (long long)l->nsamples, (long long)l->nelems,
		       l->maxdiff, (long long)l->nfirst);
	}
	printf("(samples: in how many samples the layer differs; elements: how many differ in "
	       "all; first: in how many\n samples it is the first layer to differ, while its "
	       "inputs still matched)\n");
}

/* Checks the graph and X and sets up the interpreter and the layers. */
static int setup(TraceDiff *t, NpyArray *x)
{
	const Graph *g = t->g;
	char b1[96], b2[96];

	if (g->ninput != 1 || g->noutput < 1) {
		diag_error(t->d, loc_file(t->o->model), "trace-diff: models with one input only");
		return 1;
	}
	if (ir_npy_read(t->o->input, x, t->d, loc_file(t->o->input)))
		return 1;
	const Value *in = &g->vals[g->inputs[0]];
	int stacked;
	if (x->dt != DT_F32 || x->shape.rank < 1) {
		diag_error(t->d, loc_file(t->o->input),
		           "trace-diff: input samples must be float32 [N, ...]");
		return 1;
	}
	/* the samples as quantc run takes them (ir_npy_samples) */
	t->nx = ir_npy_samples(&x->shape, &in->shape, &stacked);
	if (t->nx < 1) {
		diag_error(t->d, loc_file(t->o->input),
		           "trace-diff: samples are %s, input '%s' is %s (give [S, ...its shape] "
		           "for S samples)",
		           ir_shape_str(&x->shape, b1, sizeof b1), in->name,
		           ir_shape_str(&in->shape, b2, sizeof b2));
		return 1;
	}
	t->x = x->data;
	t->nin = ir_shape_numel(&in->shape);
	t->seen = ir_xcalloc((size_t)t->nx + 1, 1);
	if (!(t->it = ir_interp_new(t->g, t->d)))
		return 1;
	int *vals = ir_xmalloc(((size_t)g->ninput + (size_t)g->nnode + 1) * sizeof *vals);
	t->nl = tgt_trace_layers(g, vals);
	t->l = ir_xcalloc((size_t)t->nl + 1, sizeof *t->l);
	t->layer_of = ir_xmalloc(((size_t)g->nval + 1) * sizeof *t->layer_of);
	for (int v = 0; v < g->nval; v++)
		t->layer_of[v] = -1;
	for (int id = 0; id < t->nl; id++) {
		Layer *l = &t->l[id];
		l->v = vals[id];
		l->bytes = ir_value_bytes(&g->vals[l->v]);
		l->ref = ir_xmalloc((size_t)l->bytes + 1);
		l->got = ir_xmalloc((size_t)l->bytes + 1);
		t->layer_of[l->v] = id;
	}
	free(vals);
	ir_interp_set_hook(t->it, capture, t);
	return 0;
}

int cmd_trace_diff(const Options *o, Diag *d)
{
	TraceDiff t = {0};
	NpyArray calib, x = {0};
	int rc;

	if (!o->trace || !o->input) {
		diag_error(d, loc_none(), "trace-diff: needs MODEL, TRACE and --input X.npy");
		return EXIT_USAGE;
	}
	t.o = o;
	t.d = d;
	t.path = o->trace;
	t.sample = -1;
	if ((rc = drv_load_and_run(o, &t.g, &calib, d)))
		goto out;
	t.name = o->name ? o->name : t.g->name;
	rc = EXIT_INPUT;
	if (setup(&t, &x) || read_trace(&t))
		goto out;
	if (t.ndiffer) {
		summary(&t);
		printf("trace differs: %lld of %lld samples\n", (long long)t.ndiffer,
		       (long long)t.nsamples);
		goto out;
	}
	if (o->verbose)
		summary(&t);
	printf("trace matches: %lld samples, %d layers\n", (long long)t.nsamples, t.nl);
	rc = 0;
out:
	for (int id = 0; id < t.nl; id++) {
		free(t.l[id].ref);
		free(t.l[id].got);
	}
	free(t.l);
	free(t.layer_of);
	free(t.seen);
	ir_interp_free(t.it);
	ir_npy_free(&x);
	ir_npy_free(&calib);
	ir_graph_free(t.g);
	return rc;
}
