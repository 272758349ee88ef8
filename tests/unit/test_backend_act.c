/* test_backend_act.c — clip, leaky_relu, sigmoid, tanh, hard_sigmoid,
 * hard_swish and softmax: the compiled object against the reference
 * interpreter, and both against the functions themselves.
 *
 * Every case is a one-op model written in .qg text, run through the default
 * static pipeline of its precision (infer-shapes ... quantize ... plan-memory),
 * compiled for the host with tgt_compile, linked with a small C driver and
 * the runtime, and run on random inputs (int8: random bytes, so every table
 * entry and many softmax maxima are used; f32: values around the declared
 * range plus large ones that take exp to its overflow and underflow paths).
 * Checked per case: the object's output bytes equal the interpreter's (f32
 * too: bit for bit); f32 results are within 1e-6 + 1e-5 |ref| of the
 * function in double; int8 results are within one output step of the
 * function of the dequantized input (clamped to what the output can
 * represent; int16 softmax two).  Also: the int16 error of the table ops, clip in int16, the
 * object's undefined symbols (no libm), the fused clip -> relu6.
 *
 * Cost: about 3.5 s of CPU (one compile and link per case; the five
 * softmax cases of beta and long rows about 0.6 s of it).
 *
 * Usage: test_backend_act [QRT_LIB [QRT_INCLUDE_DIR]]  (or env QRT_LIB,
 * QRT_INCLUDE). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ir.h"
#include "frontend.h"
#include "passes.h"
#include "targets.h"
#include "check.h"

static uint64_t rng_state = 20261126;
static uint32_t rnd(void)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng_state >> 33);
}

static const char *qrt_lib, *qrt_inc, *cflags;
static char dir[64];

static char *path(const char *name)
{
	static char buf[4][256];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
	return buf[k];
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	return system(cmd);
}

typedef struct {
	const char *op;
	const char *attrs; /* "" or " { ... }" */
	const char *shape; /* "2,5" */
	float lo, hi;      /* the input's declared range */
	Precision prec;
} Case;

/* The model of c, through its precision's static pipeline; NULL (diagnosed
 * into d) on failure. */
static Graph *build(const Case *c, Diag *d)
{
	char text[512];
	PassContext ctx = {.precision = c->prec};
	PipelineOptions po = {0};

	snprintf(text, sizeof text,
	         "model m\ninput x : f32[%s] range [%.9g, %.9g]\n"
	         "y = %s(x)%s\noutput y\n",
	         c->shape, (double)c->lo, (double)c->hi, c->op, c->attrs);
	Graph *g = fe_parse_string(text, strlen(text), "case.qg", NULL, d);
	if (!g)
		return NULL;
	if (pass_run_pipeline(g, pass_static_pipeline(c->prec), &ctx, &po, d)) {
		ir_graph_free(g);
		return NULL;
	}
	return g;
}

/* ---- the functions, in double -------------------------------------------------- */

static double ref1(const Node *n, double x)
{
	const Attrs *a = &n->a;
	double t;

	switch (n->op) {
	case OP_CLIP: return x < a->min ? a->min : x > a->max ? a->max : x;
	case OP_LEAKY_RELU: return x < 0 ? a->alpha * x : x;
	case OP_SIGMOID: return 1 / (1 + exp(-x));
	case OP_TANH: return tanh(x);
	case OP_HARD_SIGMOID: t = a->alpha * x + a->beta; return t < 0 ? 0 : t > 1 ? 1 : t;
	case OP_HARD_SWISH:
		t = x + 3;
		t = t < 0 ? 0 : t > 6 ? 6 : t;
		return x * t / 6;
	default: return NAN;
	}
}

/* ref[i] for every element of x (n elements, shape s) */
static void reference(const Node *n, const Shape *s, const double *x, double *ref)
{
	int64_t cnt = ir_shape_numel(s);

	if (n->op != OP_SOFTMAX) {
		for (int64_t i = 0; i < cnt; i++)
			ref[i] = ref1(n, x[i]);
		return;
	}
	int64_t axis = n->a.axis < 0 ? n->a.axis + s->rank : n->a.axis, inner = 1;
	for (int i = (int)axis + 1; i < s->rank; i++)
		inner *= s->d[i];
	int64_t len = s->d[axis];
	for (int64_t i = 0; i < cnt; i++) {
		int64_t o = i / (len * inner), r = i % inner;
		double m = -INFINITY, sum = 0, beta = n->a.beta;
		for (int64_t k = 0; k < len; k++)
			m = fmax(m, x[(o * len + k) * inner + r]);
		for (int64_t k = 0; k < len; k++)
			sum += exp(beta * (x[(o * len + k) * inner + r] - m));
		ref[i] = exp(beta * (x[i] - m)) / sum;
	}
}

/* ---- compile, run, compare --------------------------------------------------------- */

static const char *ctype(DType dt)
{
	return dt == DT_I8 ? "int8_t" : dt == DT_I16 ? "int16_t" : "float";
}

/* reads x, runs m_run_q (or m_run for floats), writes y */
static void write_driver(const Value *x, const Value *y)
{
	FILE *f = fopen(path("driver.c"), "w");
	int q = x->dt != DT_F32;

	fprintf(f,
	        "#include <stdio.h>\n#include <stdlib.h>\n#include \"m.h\"\n"
	        "int main(int argc, char **argv) {\n"
	        "\tstatic %s x[M_INPUT0_SIZE], y[M_OUTPUT0_SIZE];\n"
	        "\tvoid *arena = aligned_alloc(16, (M_ARENA_SIZE + 15) / 16 * 16);\n"
	        "\tFILE *fi = fopen(argv[1], \"rb\"), *fo = fopen(argv[2], \"wb\");\n"
	        "\tif (argc != 3 || !fi || !fo || !arena) return 2;\n"
	        "\tif (fread(x, sizeof x, 1, fi) != 1) return 3;\n"
	        "\tif (%s(x, y, arena) != QRT_OK) return 4;\n"
	        "\tfwrite(y, sizeof y, 1, fo);\n\treturn fclose(fo) != 0;\n}\n",
	        ctype(x->dt), q ? "m_run_q" : "m_run");
	(void)y;
	fclose(f);
}

/* random storage-type input: all of the int8 range; floats around [lo, hi]
 * with some far outside */
static void fill_input(const Value *x, const Case *c, void *buf)
{
	int64_t cnt = ir_shape_numel(&x->shape);
	for (int64_t i = 0; i < cnt; i++) {
		if (x->dt == DT_I8)
			((int8_t *)buf)[i] = (int8_t)(rnd() & 0xff);
		else if (x->dt == DT_I16)
			((int16_t *)buf)[i] = (int16_t)(rnd() & 0xffff);
		else {
			float u = (float)(rnd() % 1000001) / 1000000.0f, v;
			v = c->lo + (c->hi - c->lo) * (u * 1.4f - 0.2f);
			if (rnd() % 16 == 0)
				v = (rnd() % 2 ? 1 : -1) *
				    (float)(rnd() % 200); /* exp's far ends */
			((float *)buf)[i] = v;
		}
	}
}

static double deq(const Value *v, const void *buf, int64_t i)
{
	if (v->dt == DT_F32)
		return ((const float *)buf)[i];
	int32_t q = v->dt == DT_I8 ? ((const int8_t *)buf)[i] : ((const int16_t *)buf)[i];
	return (double)v->q.scale[0] * (q - v->q.zp);
}

/* the worst error of y against the function, in units of the allowance */
static double accuracy(const Node *n, const Value *x, const Value *y, const void *xb,
                       const void *yb)
{
	int64_t cnt = ir_shape_numel(&x->shape);
	double *xd = malloc((size_t)cnt * sizeof *xd), *ref = malloc((size_t)cnt * sizeof *ref);
	double worst = 0;

	for (int64_t i = 0; i < cnt; i++)
		xd[i] = deq(x, xb, i);
	reference(n, &x->shape, xd, ref);
	for (int64_t i = 0; i < cnt; i++) {
		double r = ref[i], allow;
		if (y->dt == DT_F32)
			allow = 1e-6 + 1e-5 * fabs(r);
		else {
			double s = y->q.scale[0];
			double lo = s * (ir_qmin(y->dt) - y->q.zp),
			       hi = s * (ir_qmax(y->dt) - y->q.zp);
			r = r < lo ? lo : r > hi ? hi : r;
			/* TFLite's int16 softmax interpolates two tables: two steps */
			allow = s * (1 + 1e-6) * (n->op == OP_SOFTMAX && y->dt == DT_I16 ? 2 : 1);
		}
		double e = fabs(deq(y, yb, i) - r) / allow;
		if (!(e <= worst))
			worst = e; /* NaN sticks */
	}
	free(xd);
	free(ref);
	return worst;
}

static int compile(Graph *g)
{
	Diag d = {.out = NULL};
	TgtOptions o = {.opt_level = 2,
	                .name = "m",
	                .out_obj = path("m.o"),
	                .emit = TGT_EMIT_OBJ | TGT_EMIT_HEADER};
	return tgt_compile(g, &o, &d);
}

static int only_allowed_undefined(void)
{
	return sh("nm -u %s | awk '{print $NF}' | grep -v '^\\(memcpy\\|memset\\|memmove\\|qrt_.*\\)$' "
	          ">/dev/null",
	          path("m.o")) != 0;
}

static void run_case(const Case *c)
{
	char what[256];
	Diag d = {.out = NULL};

	snprintf(what, sizeof what, "%s%s %s[%s]", c->op, c->attrs,
	         c->prec == PREC_F32     ? "f32"
	         : c->prec == PREC_INT16 ? "i16"
	                                 : "i8",
	         c->shape);
	Graph *g = build(c, &d);
	if (!g) {
		check(0, "%s: the pipeline fails", what);
		return;
	}
	const Value *x = &g->vals[g->inputs[0]], *y = &g->vals[g->outputs[0]];
	const Node *n = &g->nodes[y->def];
	size_t xbytes = (size_t)ir_value_bytes(x), ybytes = (size_t)ir_value_bytes(y);
	void *xb = malloc(xbytes), *want = malloc(ybytes), *got = malloc(ybytes);
	int ok = 0;

	if (compile(g)) {
		check(0, "%s: tgt_compile fails", what);
		goto out;
	}
	write_driver(x, y);
	if (sh("cc -std=c11 -O1 -Wall -Wextra -Werror %s -I%s -I%s %s %s %s -o %s 2>%s", cflags,
	       dir, qrt_inc, path("driver.c"), path("m.o"), qrt_lib, path("drv"), path("cc.log"))) {
		check(0, "%s: the driver does not build (see %s)", what, path("cc.log"));
		exit(1);
	}
	for (int round = 0; round < 4; round++) {
		fill_input(x, c, xb);
		FILE *f = fopen(path("in.bin"), "wb");
		fwrite(xb, 1, xbytes, f);
		fclose(f);
		if (sh("ASAN_OPTIONS=detect_leaks=0 %s %s %s", path("drv"), path("in.bin"),
		       path("out.bin"))) {
			check(0, "%s: the driver fails", what);
			goto out;
		}
		f = fopen(path("out.bin"), "rb");
		size_t r = fread(got, 1, ybytes, f);
		fclose(f);
		Interp *in = ir_interp_new(g, &d);
		const void *ins[1] = {xb};
		void *outs[1] = {want};
		if (!in || ir_interp_run(in, ins, outs)) {
			check(0, "%s: the interpreter fails", what);
			ir_interp_free(in);
			goto out;
		}
		ir_interp_free(in);
		if (r != ybytes || memcmp(got, want, ybytes)) {
			check(0, "%s: round %d: the object's output differs from the interpreter's",
			      what, round);
			goto out;
		}
		double e = accuracy(n, x, y, xb, want);
		if (!(e <= 1)) {
			check(0, "%s: round %d: off the function by %.3g allowances", what, round,
			      e);
			goto out;
		}
	}
	ok = 1;
	check(ok, "%s: object == interpreter bit for bit, within %s of the function", what,
	      c->prec == PREC_F32 ? "1e-5 relative" : "one output step");
out:
	free(xb);
	free(want);
	free(got);
	ir_graph_free(g);
}

/* ---- the cases ---------------------------------------------------------------------------- */

static const Case cases[] = {
        {"clip", " { min = -1.5, max = 2.25 }", "2,33", -4, 4, PREC_F32},
        {"clip", " { min = -1.5, max = 2.25 }", "2,33", -4, 4, PREC_INT8},
        {"clip", " { min = 0, max = 6 }", "3,40", -8, 9, PREC_INT8},
        {"clip", " { min = -0.5, max = 0.5 }", "3,40", -2, 2, PREC_INT16},
        {"leaky_relu", "", "4,31", -3, 5, PREC_F32},
        {"leaky_relu", " { alpha = 0.2 }", "4,31", -3, 5, PREC_INT8},
        {"sigmoid", "", "5,37", -6, 6, PREC_F32},
        {"sigmoid", "", "5,37", -6, 6, PREC_INT8},
        {"sigmoid", "", "64", -20, 3, PREC_INT8},
        {"tanh", "", "5,37", -3, 3, PREC_F32},
        {"tanh", "", "5,37", -3, 3, PREC_INT8},
        {"hard_sigmoid", "", "2,45", -4, 4, PREC_F32},
        {"hard_sigmoid", " { alpha = 0.166666672, beta = 0.5 }", "2,45", -4, 4, PREC_INT8},
        {"hard_swish", "", "2,45", -5, 5, PREC_F32},
        {"hard_swish", "", "2,45", -5, 5, PREC_INT8},
        {"softmax", "", "3,10", -5, 5, PREC_F32},
        {"softmax", "", "3,10", -5, 5, PREC_INT8},
        {"softmax", " { axis = 1 }", "2,3,4,5", -3, 3, PREC_F32},
        {"softmax", " { axis = 1 }", "2,3,4,5", -3, 3, PREC_INT8},
        {"softmax", " { axis = 0 }", "7,6", -10, 10, PREC_INT8},
        {"softmax", "", "2,300", -1, 1, PREC_INT8},
        {"softmax", "", "1,1000", -20, 20, PREC_F32},
        /* beta (TFLite's SoftmaxOptions): f32 scales x - max, int8 and
         * int16 fold it into the input multiplier */
        {"softmax", " { beta = 0.5 }", "3,10", -5, 5, PREC_F32},
        {"softmax", " { beta = 2.5 }", "3,10", -2, 2, PREC_INT8},
        {"softmax", " { beta = 1.75 }", "2,20", -3, 3, PREC_INT16},
        /* int8 rows whose sum of exps passes 2^28 (final shift above 31)
         * and 2^31 (the sum saturates) */
        {"softmax", "", "2,700", -0.05f, 0.05f, PREC_INT8},
        {"softmax", "", "1,5000", -0.02f, 0.02f, PREC_INT8},
};

/* every activation has int16 kernels now (issue 18); what quantize refuses
 * is a log_softmax whose input steps are 128 output steps or more (its
 * fixed-point multiplier would not fit) */
static void test_quantize_error(void)
{
	Case c = {"log_softmax", "", "2,3", -1000, 1100, PREC_INT8};
	Diag d = {.out = tmpfile()};
	char buf[512] = "";

	Graph *g = build(&c, &d);
	rewind(d.out);
	size_t n = fread(buf, 1, sizeof buf - 1, d.out);
	buf[n] = 0;
	fclose(d.out);
	check(!g && strstr(buf, "error: quantize: log_softmax 'y': the input's scale"),
	      "int8 log_softmax of [-1000, 1100]: quantize refuses the input's scale");
	ir_graph_free(g);
}

/* f32 sigmoid, tanh and softmax repeat the runtime's qrt_expf inline (so
 * their loops vectorize): no call of qrt_tanhf, nor of libm */
static void test_symbols(void)
{
	Case c = {"tanh", "", "4", -1, 1, PREC_F32};
	Diag d = {.out = NULL};
	Graph *g = build(&c, &d);

	check(g && compile(g) == 0 && only_allowed_undefined() &&
	              sh("nm -u %s | grep -q -e qrt_tanhf -e qrt_expf -e tanh", path("m.o")) != 0,
	      "f32 tanh: the object computes it inline (no qrt_tanhf, qrt_expf or libm); only "
	      "memcpy/memset/memmove/qrt_* undefined");
	ir_graph_free(g);
}

/* fuse-activation folds clip 0..6 after dense into act = relu6 */
static void test_fuse(void)
{
	const char *text = "model m\ninput x : f32[1,2]\nconst w : f32[2,2] = [1, 2, 3, 4]\n"
	                   "t = dense(x, w)\ny = clip(t) { min = 0, max = 6 }\noutput y\n";
	Diag d = {.out = NULL};
	PassContext ctx = {.precision = PREC_F32};
	PipelineOptions po = {0};
	Graph *g = fe_parse_string(text, strlen(text), "fuse.qg", NULL, &d);
	int ok = g && pass_run_pipeline(g, "infer-shapes,fuse-activation", &ctx, &po, &d) == 0 &&
	         g->nnode == 1 && g->nodes[0].op == OP_DENSE && g->nodes[0].a.act == ACT_RELU6;
	check(ok, "fuse-activation: dense then clip 0..6 becomes dense { act = relu6 }");
	ir_graph_free(g);
}

int main(int argc, char **argv)
{
	qrt_lib = argc > 1 ? argv[1] : getenv("QRT_LIB");
	qrt_inc = argc > 2 ? argv[2] : getenv("QRT_INCLUDE");
	cflags = getenv("QC_CFLAGS") ? getenv("QC_CFLAGS") : "";
	if (!qrt_lib || !qrt_inc) {
		fprintf(stderr, "usage: test_backend_act QRT_LIB QRT_INCLUDE_DIR\n");
		return 2;
	}
	strcpy(dir, "/tmp/qc_act_XXXXXX");
	if (!mkdtemp(dir))
		return 2;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		run_case(&cases[i]);
	test_quantize_error();
	test_symbols();
	test_fuse();
	sh("rm -rf %s", dir);
	return check_report();
}
