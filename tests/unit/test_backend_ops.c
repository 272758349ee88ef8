/* test_backend_ops.c — the LLVM backend against the reference interpreter.
 *
 * For many small random configurations of every op (conv2d with strides,
 * asymmetric pads, dilations, groups, depthwise, bias or not, fused
 * activations; dense; maxpool with padding and dilations; relu; flatten; add,
 * sub, mul and div (f32) with broadcasting, concat of 1 to 8 operands; small
 * chains and a two-output
 * graph) in f32, int8 and int16 (16x8), the test builds a graph
 * through the IR API, compiles it with tgt_compile for the host, links the
 * object with a generated C driver (which includes the generated header) and
 * the runtime library (40 cases to one driver program: one cc run), runs
 * it, and compares with ir_interp_run /
 * ir_interp_run_f32: integer outputs byte for byte, float outputs within
 * 1e-5 relative (and counts the bit-identical ones; div's must all be).
 * Also checked: the
 * qrt_model description, the entry points' error codes, undefined symbols,
 * deterministic objects, diagnostics for bad options, atomic outputs, and the
 * ELF header of every cross target.
 *
 * Usage: test_backend_ops [QRT_LIB [QRT_INCLUDE_DIR]]  (or env QRT_LIB,
 * QRT_INCLUDE).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ir.h"
#include "passes.h"
#include "qrt.h"
#include "targets.h"
#include "check.h"
#include "eltwise.h"

static uint64_t rng_state = 20240611;
static uint32_t rnd(void)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng_state >> 33);
}
static float rndf(void) /* [-1, 1) */
{
	return (float)((int32_t)(rnd() % 2000001) - 1000000) / 1000000.0f;
}
static int32_t rndi(int32_t lo, int32_t hi) /* [lo, hi] */
{
	return lo + (int32_t)(rnd() % (uint32_t)((int64_t)hi - lo + 1));
}
static float rndu(float lo, float hi)
{
	return lo + (hi - lo) * (float)(rnd() % 1000001) / 1000000.0f;
}

static const char *qrt_lib, *qrt_inc;
static char dir[64];
static int exact_f32; /* run_case: every float must be bit-identical */
/* run_case: when set, changes the random f32 input (index, elements) */
static void (*special_x)(int i, float *x, int64_t n);

static char *path(const char *name)
{
	static char buf[4][256];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
	return buf[k];
}

/* ---- graph building -------------------------------------------------------- */

static Shape shp(int rank, int64_t a, int64_t b, int64_t c, int64_t d)
{
	Shape s = {rank, {a, b, c, d}};
	return s;
}

static int mkval(Graph *g, const char *name, ValueKind k, DType dt, Shape s)
{
	int v = ir_value_new_unique(g, name, k, loc_none());
	Value *p = &g->vals[v];

	p->has_type = 1;
	p->dt = dt;
	p->shape = s;
	if (k == VK_CONST)
		p->data = ir_alloc(g, (size_t)ir_value_bytes(p));
	return v;
}

static int64_t numel(Graph *g, int v)
{
	return ir_shape_numel(&g->vals[v].shape);
}

/* Random per-tensor parameters of an activation. */
static void act_q(Graph *g, int v)
{
	DType dt = g->vals[v].dt;

	if (dt == DT_I8)
		ir_set_qparams(g, v, rndu(0.005f, 0.05f), rndi(-128, 127));
	else if (dt == DT_I16)
		ir_set_qparams(g, v, rndu(0.0001f, 0.001f), 0);
}

static void copy_q(Graph *g, int to, int from)
{
	if (g->vals[from].q.present)
		ir_set_qparams(g, to, g->vals[from].q.scale[0], g->vals[from].q.zp);
}

/* How a quantized layer's output scale is picked: spanning the range
 * (ordinary), or small enough that the multiplier exceeds 1 (a positive
 * shift, the left-shift path), or far beyond (int16: 15 - shift <= 0). */
enum { SCALE_SPAN, SCALE_LEFT, SCALE_HUGE };

typedef struct {
	DType dt;  /* activations: DT_F32, DT_I8 or DT_I16 */
	int b64;   /* int16 layers: an i64 bias */
	int scale; /* SCALE_* */
} Prec;

/* Fills the weights (and bias) of a weighted layer with k taps per output
 * and quantizes it; sets the output's parameters. */
static void fill_weighted(Graph *g, int x, int w, int b, int y, int64_t k, const Prec *p)
{
	int64_t oc = g->vals[w].shape.d[0], nw = numel(g, w);

	if (p->dt == DT_F32) {
		float *wd = g->vals[w].data;
		for (int64_t i = 0; i < nw; i++)
			wd[i] = rndf();
		if (b >= 0)
			for (int64_t i = 0; i < oc; i++)
				((float *)g->vals[b].data)[i] = rndf();
		return;
	}
	int8_t *wd = g->vals[w].data;
	float *sw = malloc((size_t)oc * sizeof *sw), swm = 0;
	for (int64_t i = 0; i < nw; i++)
		wd[i] = (int8_t)rndi(-127, 127);
	for (int64_t i = 0; i < oc; i++) {
		sw[i] = rndu(0.002f, 0.02f);
		swm += sw[i] / (float)oc;
	}
	if (rnd() % 4 == 0) /* per tensor now and then */
		ir_set_qparams_axis(g, w, 0, 1, sw);
	else
		ir_set_qparams_axis(g, w, 0, (int)oc, sw);
	for (int64_t i = 0; b >= 0 && i < oc; i++) {
		if (g->vals[b].dt == DT_I64) /* now and then beyond TFLite's 2^47 */
			((int64_t *)g->vals[b].data)[i] = rnd() % 5 == 0
			                                          ? (int64_t)rndi(-1, 1) *
			                                                    ((int64_t)1 << 49)
			                                          : (int64_t)rndi(-1000000,
			                                                          1000000);
		else
			((int32_t *)g->vals[b].data)[i] = rndi(-20000, 20000);
	}
	float sx = g->vals[x].q.scale[0], sy;
	/* acc ~ 100 * 73 * sqrt(k) for int8, 19000 * 73 * sqrt(k) for int16 */
	double spread = (p->dt == DT_I8 ? 170.0 : 128.0) * sqrt((double)k) * rndu(0.2f, 3.0f);
	switch (p->scale) {
	case SCALE_LEFT: sy = (float)(sx * swm / rndu(1.5f, 40.0f)); break;
	case SCALE_HUGE: sy = (float)(sx * swm / rndu(20000.0f, 60000.0f)); break;
	default: sy = (float)(sx * swm * spread); break;
	}
	ir_set_qparams(g, y, sy, p->dt == DT_I8 ? rndi(-128, 127) : 0);
	free(sw);
}

typedef struct {
	int64_t n, c, h, w, oc, kh, kw, g, sh, sw, pt, pl, pb, pr, dh, dw;
	int bias;
	Act act;
} ConvCfg;

static int64_t out_dim(int64_t in, int64_t k, int64_t s, int64_t p0, int64_t p1, int64_t d)
{
	return (in + p0 + p1 - d * (k - 1) - 1) / s + 1;
}

static int add_conv(Graph *g, int x, const ConvCfg *k, const Prec *p)
{
	int64_t oh = out_dim(k->h, k->kh, k->sh, k->pt, k->pb, k->dh);
	int64_t ow = out_dim(k->w, k->kw, k->sw, k->pl, k->pr, k->dw);
	DType bt = p->dt == DT_F32 ? DT_F32 : p->b64 ? DT_I64 : DT_I32;
	int w = mkval(g, "w", VK_CONST, p->dt == DT_F32 ? DT_F32 : DT_I8,
	              shp(4, k->oc, k->c / k->g, k->kh, k->kw));
	int b = k->bias ? mkval(g, "b", VK_CONST, bt, shp(1, k->oc, 0, 0, 0)) : -1;
	int y = mkval(g, "t", VK_TEMP, p->dt, shp(4, k->n, k->oc, oh, ow));
	int in[3] = {x, w, b};
	int n = ir_node_new(g, OP_CONV2D, y, in, k->bias ? 3 : 2, loc_none());
	Attrs *a = &g->nodes[n].a;

	a->stride[0] = k->sh, a->stride[1] = k->sw;
	a->pad[0] = k->pt, a->pad[1] = k->pl, a->pad[2] = k->pb, a->pad[3] = k->pr;
	a->dilation[0] = k->dh, a->dilation[1] = k->dw;
	a->groups = k->g;
	a->act = k->act;
	fill_weighted(g, x, w, b, y, k->c / k->g * k->kh * k->kw, p);
	return y;
}

static int add_dense(Graph *g, int x, int64_t o, int bias, Act act, const Prec *p)
{
	int64_t n = g->vals[x].shape.d[0], i = g->vals[x].shape.d[1];
	DType bt = p->dt == DT_F32 ? DT_F32 : p->b64 ? DT_I64 : DT_I32;
	int w = mkval(g, "w", VK_CONST, p->dt == DT_F32 ? DT_F32 : DT_I8, shp(2, o, i, 0, 0));
	int b = bias ? mkval(g, "b", VK_CONST, bt, shp(1, o, 0, 0, 0)) : -1;
	int y = mkval(g, "t", VK_TEMP, p->dt, shp(2, n, o, 0, 0));
	int in[3] = {x, w, b};
	int nd = ir_node_new(g, OP_DENSE, y, in, bias ? 3 : 2, loc_none());

	g->nodes[nd].a.act = act;
	fill_weighted(g, x, w, b, y, i, p);
	return y;
}

static int add_unary(Graph *g, Op op, int x, Shape s)
{
	int y = mkval(g, "t", VK_TEMP, g->vals[x].dt, s);
	int in[1] = {x};

	ir_node_new(g, op, y, in, 1, loc_none());
	copy_q(g, y, x);
	return y;
}

static int add_maxpool_d(Graph *g, int x, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                         const int64_t pad[4], int64_t dh, int64_t dw)
{
	const Shape *s = &g->vals[x].shape;
	int64_t oh = out_dim(s->d[2], kh, sh, pad[0], pad[2], dh);
	int64_t ow = out_dim(s->d[3], kw, sw, pad[1], pad[3], dw);
	int y = add_unary(g, OP_MAXPOOL2D, x, shp(4, s->d[0], s->d[1], oh, ow));
	Attrs *a = &g->nodes[g->nnode - 1].a;

	a->kernel[0] = kh, a->kernel[1] = kw;
	a->stride[0] = sh, a->stride[1] = sw;
	a->dilation[0] = dh, a->dilation[1] = dw;
	for (int i = 0; i < 4; i++)
		a->pad[i] = pad[i];
	return y;
}

static int add_maxpool(Graph *g, int x, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                       const int64_t pad[4])
{
	return add_maxpool_d(g, x, kh, kw, sh, sw, pad, 1, 1);
}

static int add_flatten(Graph *g, int x)
{
	const Shape *s = &g->vals[x].shape;
	int y = add_unary(g, OP_FLATTEN, x, shp(2, s->d[0], numel(g, x) / s->d[0], 0, 0));

	g->nodes[g->nnode - 1].a.axis = 1;
	return y;
}

static Graph *new_graph(const Prec *p, Shape xs, int *x)
{
	Graph *g = ir_graph_new("m");

	*x = mkval(g, "x", VK_INPUT, p->dt, xs);
	act_q(g, *x);
	ir_add_input(g, *x);
	return g;
}

/* Every activation gets its own 16-aligned slot, unless plan-memory packs
 * them (reusing space as the compiler does). */
static void place(Graph *g, int packed)
{
	int64_t off = 0;

	if (packed) {
		Diag d = {.out = NULL};
		if (pass_plan_memory(g, NULL, &d))
			printf("plan-memory failed\n");
		return;
	}
	for (int v = 0; v < g->nval; v++) {
		Value *val = &g->vals[v];
		if (val->kind == VK_CONST)
			continue;
		val->offset = off;
		off += (ir_value_bytes(val) + 15) / 16 * 16;
	}
	g->arena_size = off;
}

/* ---- compile, link, run ------------------------------------------------------- */

static int is_quant(const Graph *g)
{
	return g->vals[g->inputs[0]].dt != DT_F32;
}

static const char *ctype(DType dt)
{
	return dt == DT_I8 ? "int8_t" : dt == DT_I16 ? "int16_t" : "float";
}

static int io_value(const Graph *g, int i)
{
	return i < g->ninput ? g->inputs[i] : g->outputs[i - g->ninput];
}

/* One case of the C driver: reads the float (and storage) inputs, runs
 * cN_run_q and cN_run on a garbage-filled arena, checks the error codes and
 * the header macros, and writes the outputs and the qrt_model description.
 * Returns 0, or the status the driver exits with. */
static void write_case(FILE *f, const Graph *g, int id)
{
	int q = is_quant(g), nio = g->ninput + g->noutput;
	char m[16], M[16];

	snprintf(m, sizeof m, "c%d", id);
	snprintf(M, sizeof M, "C%d", id);
	fprintf(f, "#include \"%s.h\"\n", m);
	fprintf(f, "static int case_%d(FILE *fi, FILE *fo) {\n", id);
	fprintf(f, "\tsize_t asz = (%s_ARENA_SIZE + 15) / 16 * 16 + 16;\n", M);
	fprintf(f, "\tunsigned char *arena = aligned_alloc(%s_ARENA_ALIGN, asz);\n", M);
	for (int i = 0; i < nio; i++) {
		const Value *v = &g->vals[io_value(g, i)];
		int in = i < g->ninput;
		int k = in ? i : i - g->ninput;
		const char *mac = in ? "INPUT" : "OUTPUT";
		fprintf(f, "\tfloat *f%d = malloc(%s_%s%d_SIZE * sizeof(float));\n", i, M, mac, k);
		if (q)
			fprintf(f, "\t%s *q%d = malloc(%s_%s%d_SIZE * sizeof(%s));\n", ctype(v->dt),
			        i, M, mac, k, ctype(v->dt));
		if (in) {
			fprintf(f, "\trd(fi, f%d, %s_INPUT%d_SIZE * sizeof(float));\n", i, M, k);
			if (q)
				fprintf(f, "\trd(fi, q%d, %s_INPUT%d_SIZE * sizeof(%s));\n", i, M,
				        k, ctype(v->dt));
		}
	}
	const char *fn[2] = {"run", "run_q"};
	for (int pass = q ? 1 : 0; pass >= 0; pass--) {
		char a = pass ? 'q' : 'f';
		fprintf(f, "\tmemset(arena, %d, asz);\n", pass ? 0xA5 : 0x5A);
		fprintf(f, "\tif (%s_%s(", m, fn[pass]);
		for (int i = 0; i < nio; i++)
			fprintf(f, "%c%d, ", a, i);
		fprintf(f, "arena) != QRT_OK) return 4;\n");
		/* a NULL in each position, then a misaligned arena */
		for (int k = 0; k <= nio; k++) {
			fprintf(f, "\tif (%s_%s(", m, fn[pass]);
			for (int i = 0; i < nio; i++) {
				if (i == k)
					fprintf(f, "NULL, ");
				else
					fprintf(f, "%c%d, ", a, i);
			}
			fprintf(f, "%s) != QRT_ERR_NULL) return 5;\n", k == nio ? "NULL" : "arena");
		}
		fprintf(f, "\tif (%s_%s(", m, fn[pass]);
		for (int i = 0; i < nio; i++)
			fprintf(f, "%c%d, ", a, i);
		fprintf(f, "arena + 8) != QRT_ERR_ALIGN) return 6;\n");
	}
	for (int i = g->ninput; q && i < nio; i++)
		fprintf(f, "\tfwrite(q%d, sizeof *q%d, %s_OUTPUT%d_SIZE, fo);\n", i, i, M,
		        i - g->ninput);
	for (int i = g->ninput; i < nio; i++)
		fprintf(f, "\tfwrite(f%d, sizeof *f%d, %s_OUTPUT%d_SIZE, fo);\n", i, i, M,
		        i - g->ninput);
	fprintf(f,
	        "\tuint32_t hdr[4] = {%s_model.num_inputs, %s_model.num_outputs, "
	        "%s_model.arena_size, %s_model.arena_align};\n",
	        m, m, m, m);
	fprintf(f,
	        "\tif (%s_model.arena_size != %s_ARENA_SIZE || strcmp(%s_model.name, \"%s\")) return 7;\n",
	        m, M, m, m);
	fprintf(f, "\tfwrite(hdr, 4, 4, fo);\n");
	fprintf(f,
	        "\tfor (uint32_t i = 0; i < %s_model.num_inputs; i++) info(fo, &%s_model.inputs[i]);\n",
	        m, m);
	fprintf(f,
	        "\tfor (uint32_t i = 0; i < %s_model.num_outputs; i++) info(fo, &%s_model.outputs[i]);\n",
	        m, m);
	fprintf(f, "\treturn 0;\n}\n");
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void *slurp(const char *p, size_t *n)
{
	FILE *f = fopen(p, "rb");
	char *buf;
	long len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)len + 1);
	*n = fread(buf, 1, (size_t)len, f);
	fclose(f);
	return buf;
}

static int compile_graph(Graph *g, const char *name, const char *cpu, int opt, Diag *d)
{
	TgtOptions o = {.cpu = cpu,
	                .opt_level = opt,
	                .name = name,
	                .out_obj = path("m.o"),
	                .emit = TGT_EMIT_OBJ | TGT_EMIT_HEADER};
	/* the kernels' scratch, as plan-memory gives it with the target */
	return tgt_append_scratch(g, &o, d) || tgt_compile(g, &o, d);
}

/* Copies file a to b (a missing a leaves b missing: the link fails). */
static void copy_file(const char *a, const char *b)
{
	size_t n;
	char *buf = slurp(a, &n);
	FILE *f;

	unlink(b);
	if (buf && (f = fopen(b, "wb"))) {
		fwrite(buf, 1, n, f);
		fclose(f);
	}
	free(buf);
}

/* Appends the qrt_tensor_info record the driver writes for v. */
static void expect_info(FILE *f, const Value *v)
{
	uint32_t n = (uint32_t)strlen(v->name), rank = (uint32_t)v->shape.rank;
	uint32_t dt = v->dt == DT_F32 ? QRT_F32 : v->dt == DT_I8 ? QRT_I8 : QRT_I16;
	uint32_t size = (uint32_t)ir_shape_numel(&v->shape);
	float scale = v->dt == DT_F32 ? 0.0f : v->q.scale[0];
	int32_t zp = v->dt == DT_F32 ? 0 : v->q.zp;

	fwrite(&n, 4, 1, f), fwrite(v->name, 1, n, f), fwrite(&dt, 4, 1, f), fwrite(&rank, 4, 1, f);
	for (uint32_t k = 0; k < rank; k++) {
		uint32_t e = (uint32_t)v->shape.d[k];
		fwrite(&e, 4, 1, f);
	}
	fwrite(&size, 4, 1, f), fwrite(&scale, 4, 1, f), fwrite(&zp, 4, 1, f);
}

static const char *prec_name(const Prec *p)
{
	if (p->dt == DT_F32)
		return "f32";
	if (p->dt == DT_I8)
		return "int8";
	return p->b64 ? "int16/i64 bias" : "int16";
}

static const char *cpus[] = {NULL, "x86-64", "x86-64-v3"};
static int host_only; /* run_case compiles for the host CPU alone */
static const char *force_cpu; /* run_case compiles for this CPU alone */

/* A sanitizer build's runtime library needs the sanitizers at link time. */
#ifdef __SANITIZE_ADDRESS__
#define DRIVER_FLAGS "-fsanitize=address,undefined"
#else
#define DRIVER_FLAGS ""
#endif

/* A case compiled and interpreted, waiting for its batch's driver: what its
 * output file must hold. */
typedef struct {
	char what[400];
	int id, q, exact;
	unsigned char *qexp; /* the interpreter's storage outputs, concatenated */
	size_t qlen;
	float *fexp; /* its float outputs, concatenated */
	int64_t nf;
	unsigned char *info; /* the header words and qrt_tensor_info records */
	size_t ilen;
} Pending;

/* Cases run in batches: one driver program links BATCH objects (cN.o, model
 * name cN), which costs one cc run instead of BATCH; cc is most of this
 * test's time.  flush_cases() builds and runs it. */
enum { BATCH = 40 };
static Pending pending[BATCH];
static int npending;

/* Builds the batch's driver, runs each case and compares its outputs. */
static void flush_cases(void)
{
	FILE *f;
	char objs[BATCH * 80] = "";

	if (!npending)
		return;
	f = fopen(path("driver.c"), "w");
	fprintf(f,
	        "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include \"qrt.h\"\n");
	fprintf(f,
	        "static void rd(FILE *f, void *p, size_t n) { if (fread(p, 1, n, f) != n) exit(3); }\n");
	fprintf(f,
	        "static void info(FILE *f, const qrt_tensor_info *t) {\n"
	        "\tuint32_t n = (uint32_t)strlen(t->name), dt = (uint32_t)t->dtype;\n"
	        "\tfwrite(&n, 4, 1, f); fwrite(t->name, 1, n, f); fwrite(&dt, 4, 1, f);\n"
	        "\tfwrite(&t->rank, 4, 1, f); fwrite(t->shape, 4, t->rank, f);\n"
	        "\tfwrite(&t->size, 4, 1, f); fwrite(&t->scale, 4, 1, f); fwrite(&t->zero_point, 4, 1, f);\n}\n");
	for (int i = 0; i < npending; i++) {
		char src[32];
		size_t n;
		snprintf(src, sizeof src, "c%d.c", pending[i].id);
		snprintf(objs + strlen(objs), sizeof objs - strlen(objs), " %s/c%d.o", dir,
		         pending[i].id);
		/* write_case wrote cN.c when the case was compiled */
		char *text = slurp(path(src), &n);
		fwrite(text, 1, n, f);
		free(text);
	}
	fprintf(f, "int main(int argc, char **argv) {\n\tif (argc != 4) return 2;\n");
	fprintf(f, "\tFILE *fi = fopen(argv[2], \"rb\"), *fo = fopen(argv[3], \"wb\");\n");
	fprintf(f, "\tint rc = 2;\n\tswitch (atoi(argv[1])) {\n");
	for (int i = 0; i < npending; i++)
		fprintf(f, "\tcase %d: rc = case_%d(fi, fo); break;\n", pending[i].id,
		        pending[i].id);
	fprintf(f, "\t}\n\tif (fclose(fo) != 0 && rc == 0) rc = 1;\n\treturn rc;\n}\n");
	fclose(f);
	if (sh("cc -std=c11 -O1 -Wall -Wextra -Werror " DRIVER_FLAGS
	       " -I%s -I%s %s%s %s -o %s 2>%s",
	       dir, qrt_inc, path("driver.c"), objs, qrt_lib, path("drv"), path("cc.log"))) {
		check(0, "%s and %d more: the driver does not build (see %s)", pending[0].what,
		      npending - 1, path("cc.log"));
		exit(1); /* keep the folder for a look */
	}
	for (int c = 0; c < npending; c++) {
		Pending *pc = &pending[c];
		char in[32], out[32];
		snprintf(in, sizeof in, "in%d.bin", pc->id);
		snprintf(out, sizeof out, "out%d.bin", pc->id);
		/* the driver never frees: no leak report from a sanitized one */
		int rc = sh("ASAN_OPTIONS=detect_leaks=0 %s %d %s %s", path("drv"), pc->id,
		            path(in), path(out));
		if (rc) {
			check(0, "%s: the driver failed with status %d", pc->what, rc);
			goto next;
		}
		size_t len;
		const unsigned char *buf = slurp(path(out), &len), *p = buf;
		int64_t same = 0;
		double worst = 0;
		int ok = len == pc->qlen + 4 * (size_t)pc->nf + pc->ilen;
		if (!ok)
			pc->qlen = pc->ilen = 0, pc->nf = 0;
		ok &= memcmp(p, pc->qexp, pc->qlen) == 0;
		p += pc->qlen;
		for (int64_t k = 0; k < pc->nf; k++) {
			float got, want = pc->fexp[k];
			memcpy(&got, p + 4 * k, 4);
			double diff = fabs((double)got - want);
			double mag = fmax(fabs((double)got), fabs((double)want));
			if (memcmp(&got, &want, 4) == 0)
				same++;
			else if (pc->q || pc->exact || !(diff <= 1e-5 * mag))
				ok = 0;
			if (mag > 0 && diff / mag > worst)
				worst = diff / mag;
		}
		p += 4 * pc->nf;
		int info = len && memcmp(p, pc->info, pc->ilen) == 0;
		ok &= info;
		if (pc->q)
			check(ok, "%s: run_q bytes and run floats equal the interpreter's%s",
			      pc->what, info ? "" : " (qrt_model differs)");
		else
			check(ok,
			      "%s: %lld of %lld floats bit-identical to the interpreter, worst rel %.2g%s",
			      pc->what, (long long)same, (long long)pc->nf, worst,
			      info ? "" : " (qrt_model differs)");
		free((void *)buf);
	next:
		free(pc->qexp), free(pc->fexp), free(pc->info);
	}
	npending = 0;
}

/* Compiles g (into m.o, which the callers may disassemble, and cN.o for the
 * batch), writes its inputs and driver case, and computes the interpreter's
 * outputs; flush_cases() runs the case and compares. */
static void run_case(Graph *g, const char *desc)
{
	static int count;
	int q = is_quant(g), id = count;
	const char *cpu = force_cpu ? force_cpu : host_only ? NULL : cpus[count % 3];
	int opt = count % 7 == 3 ? 0 : count % 7 == 5 ? 3 : count % 7 == 6 ? 1 : 2;
	Diag d = {.out = NULL};
	char name[16], file[32], what[400];
	void **fin = calloc((size_t)g->ninput, sizeof *fin),
	     **qin = calloc((size_t)g->ninput, sizeof *qin);
	void **fout = calloc((size_t)g->noutput, sizeof *fout),
	     **qout = calloc((size_t)g->noutput, sizeof *qout);
	FILE *f;

	count++;
	snprintf(what, sizeof what, "%s [%s -O%d]", desc, cpu ? cpu : "host", opt);
	snprintf(name, sizeof name, "c%d", id);
	unlink(path("m.o"));
	if (compile_graph(g, name, cpu, opt, &d)) {
		check(0, "%s: tgt_compile failed", what);
		goto out;
	}
	snprintf(file, sizeof file, "c%d.o", id);
	copy_file(path("m.o"), path(file));
	snprintf(file, sizeof file, "c%d.h", id);
	copy_file(path("m.h"), path(file));
	snprintf(file, sizeof file, "c%d.c", id);
	f = fopen(path(file), "w");
	write_case(f, g, id);
	fclose(f);
	snprintf(file, sizeof file, "in%d.bin", id);
	f = fopen(path(file), "wb");
	for (int i = 0; i < g->ninput; i++) {
		const Value *v = &g->vals[g->inputs[i]];
		int64_t n = ir_shape_numel(&v->shape);
		float *x = fin[i] = malloc((size_t)n * sizeof(float));
		float lo = -1.5f, hi = 1.5f;
		if (q) { /* a little beyond the representable range */
			lo = v->q.scale[0] * (float)(ir_qmin(v->dt) - v->q.zp) * 1.05f;
			hi = v->q.scale[0] * (float)(ir_qmax(v->dt) - v->q.zp) * 1.05f;
		}
		for (int64_t k = 0; k < n; k++)
			x[k] = rndu(lo, hi);
		if (special_x)
			special_x(i, x, n);
		fwrite(x, sizeof(float), (size_t)n, f);
		if (q) {
			int sz = ir_dtype_size(v->dt);
			unsigned char *s = qin[i] = malloc((size_t)(n * sz));
			for (int64_t k = 0; k < n; k++) {
				int32_t r = rndi(ir_qmin(v->dt), ir_qmax(v->dt));
				if (sz == 1)
					s[k] = (unsigned char)(int8_t)r;
				else {
					int16_t t = (int16_t)r;
					memcpy(s + 2 * k, &t, 2);
				}
			}
			fwrite(s, (size_t)sz, (size_t)n, f);
		}
	}
	fclose(f);

	/* the interpreter, storage edge and float edge */
	Interp *in = ir_interp_new(g, &d);
	if (!in) {
		check(0, "%s: the interpreter refused the graph", what);
		goto out;
	}
	for (int i = 0; i < g->noutput; i++) {
		const Value *v = &g->vals[g->outputs[i]];
		fout[i] = malloc((size_t)ir_shape_numel(&v->shape) * sizeof(float));
		qout[i] = malloc((size_t)ir_value_bytes(v));
	}
	if (q)
		ir_interp_run(in, (const void *const *)qin, qout);
	ir_interp_run_f32(in, (const float *const *)fin, (float *const *)fout);
	ir_interp_free(in);

	/* what the driver must write */
	Pending *pc = &pending[npending++];
	char *buf;
	size_t len;
	memset(pc, 0, sizeof *pc);
	snprintf(pc->what, sizeof pc->what, "%s", what);
	pc->id = id, pc->q = q, pc->exact = exact_f32;
	f = open_memstream(&buf, &len);
	for (int i = 0; q && i < g->noutput; i++)
		fwrite(qout[i], 1, (size_t)ir_value_bytes(&g->vals[g->outputs[i]]), f);
	fclose(f);
	pc->qexp = (unsigned char *)buf, pc->qlen = len;
	f = open_memstream(&buf, &len);
	for (int i = 0; i < g->noutput; i++)
		fwrite(fout[i], 4, (size_t)ir_shape_numel(&g->vals[g->outputs[i]].shape), f);
	fclose(f);
	pc->fexp = (float *)(void *)buf, pc->nf = (int64_t)(len / 4);
	f = open_memstream(&buf, &len);
	uint32_t hdr[4] = {(uint32_t)g->ninput, (uint32_t)g->noutput, (uint32_t)g->arena_size, 16};
	fwrite(hdr, 4, 4, f);
	for (int i = 0; i < g->ninput + g->noutput; i++)
		expect_info(f, &g->vals[io_value(g, i)]);
	fclose(f);
	pc->info = (unsigned char *)buf, pc->ilen = len;
	if (npending == BATCH)
		flush_cases();
out:
	for (int i = 0; i < g->ninput; i++)
		free(fin[i]), free(qin[i]);
	for (int i = 0; i < g->noutput; i++)
		free(fout[i]), free(qout[i]);
	free(fin), free(qin), free(fout), free(qout);
}

/* ---- configurations --------------------------------------------------------------- */

static void conv_desc(char *buf, size_t n, const ConvCfg *k, const Prec *p)
{
	snprintf(buf, n,
	         "conv2d %s x[%lld,%lld,%lld,%lld] oc %lld k %lldx%lld g %lld s %lld,%lld "
	         "pad %lld,%lld,%lld,%lld dil %lld,%lld%s act %s%s",
	         prec_name(p), (long long)k->n, (long long)k->c, (long long)k->h, (long long)k->w,
	         (long long)k->oc, (long long)k->kh, (long long)k->kw, (long long)k->g,
	         (long long)k->sh, (long long)k->sw, (long long)k->pt, (long long)k->pl,
	         (long long)k->pb, (long long)k->pr, (long long)k->dh, (long long)k->dw,
	         k->bias ? " bias" : "", ir_act_name(k->act),
	         p->scale == SCALE_LEFT   ? " (M > 1)"
	         : p->scale == SCALE_HUGE ? " (M >= 2^14)"
	                                  : "");
}

static void test_conv(const ConvCfg *k, const Prec *p)
{
	char desc[300];
	int x;
	Graph *g = new_graph(p, shp(4, k->n, k->c, k->h, k->w), &x);
	int y = add_conv(g, x, k, p);

	ir_add_output(g, y);
	place(g, 0);
	conv_desc(desc, sizeof desc, k, p);
	run_case(g, desc);
	ir_graph_free(g);
}

static void random_conv(ConvCfg *k)
{
	static const int64_t ocgs[] = {1, 2, 3, 4, 5, 8, 13, 16, 33};
	int r = (int)(rnd() % 4);

	memset(k, 0, sizeof *k);
	k->n = 1 + rnd() % 2;
	k->g = r < 2 ? 1 : r == 2 ? 2 : 1 + rnd() % 4;
	k->c = r == 3 ? k->g : k->g * (1 + rnd() % 3);
	k->oc = k->g * ocgs[rnd() % 9];
	do {
		k->kh = 1 + rnd() % 3, k->kw = 1 + rnd() % 3;
		k->sh = 1 + rnd() % 2, k->sw = 1 + rnd() % 2;
		k->dh = 1 + rnd() % 2, k->dw = 1 + rnd() % 2;
		k->pt = rnd() % 3, k->pl = rnd() % 3, k->pb = rnd() % 3, k->pr = rnd() % 3;
		k->h = 2 + rnd() % 9, k->w = 2 + rnd() % 9;
	} while (k->h + k->pt + k->pb - k->dh * (k->kh - 1) - 1 < 0 ||
	         k->w + k->pl + k->pr - k->dw * (k->kw - 1) - 1 < 0);
	k->bias = rnd() % 4 != 0;
	k->act = (Act)(rnd() % 3);
}

/* The AVX-512 VNNI kernel (targets/kernel_x86.c) takes int8 convolutions
 * with one group (and its depthwise sibling) on a host that has it: channel counts that are not
 * multiples of 4 and 16, more than 128 output channels (two tile widths),
 * strides, pads, dilations, odd pixel counts, both requantizations; and
 * one input channel, where 4 taps of a row share a vpdpbusd group. */
static void test_conv_vnni(void)
{
	static const int64_t cs[] = {1, 3, 4, 5, 17, 64, 67};
	static const int64_t ocs[] = {1, 5, 16, 17, 33, 128, 130, 200};
	ConvCfg k;

#if defined(__x86_64__) && defined(__GNUC__)
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx512vnni")) {
		printf("skip: the host has no AVX-512 VNNI: its int8 conv2d kernel is not run\n");
		return;
	}
#else
	printf("skip: not an x86-64 host: the AVX-512 VNNI int8 conv2d kernel is not run\n");
	return;
#endif
	host_only = 1;
	for (int i = 0; i < 42; i++) {
		Prec p = {DT_I8, 0, i % 6 == 5 ? SCALE_LEFT : SCALE_SPAN};
		random_conv(&k);
		k.g = 1;
		k.c = cs[rnd() % 7];
		k.oc = ocs[rnd() % 8];
		if (i >= 24 && i < 34) /* depthwise: groups = C = OC */
			k.g = k.oc = k.c = cs[1 + rnd() % 6];
		if (i >= 34 && i % 2 == 0) { /* one channel, dilation 1: row taps, 1 or 2 groups */
			k.c = 1, k.dw = 1;
			k.kw = 1 + rnd() % 7;
			k.w = k.w > k.kw ? k.w : k.kw;
		} else if (i >= 34) /* one channel, maybe dilated: the same or channel groups */
			k.c = 1;
		char desc[340];
		int x;
		Graph *g = new_graph(&p, shp(4, k.n, k.c, k.h, k.w), &x);
		g->requant_float = i % 4 == 3;
		ir_add_output(g, add_conv(g, x, &k, &p));
		place(g, 0);
		conv_desc(desc, 300, &k, &p);
		strcat(desc, g->requant_float ? " vnni, requant float" : " vnni");
		if (i == 41)
			check(sh("llvm-objdump-19 -d %s | grep -q vpdpbusd", path("m.o")) == 0,
			      "the one-channel int8 conv2d object uses vpdpbusd");
		run_case(g, desc);
		ir_graph_free(g);
		if (i == 23) /* the last one-group case's object: the VNNI kernel */
			check(sh("llvm-objdump-19 -d %s | grep -q vpdpbusd", path("m.o")) == 0,
			      "the host's int8 conv2d object uses vpdpbusd");
	}
	host_only = 0;
}

/* The f32 conv2d kernel (targets/kernel_f32.c) takes one-group f32
 * convolutions on x86-64 with AVX-512F (the host's CPU, 16 lanes) or AVX2
 * (x86-64-v3, 8 lanes): every float bit-identical to the interpreter's, for
 * odd channel counts, strides, pads, dilations, batch 2; with a -0 bias
 * (the kernel declines: the generic loops must be exact too). */
static void test_conv_f32_kernel(void)
{
	static const Prec f32 = {DT_F32, 0, SCALE_SPAN};
	static const int64_t cs[] = {1, 2, 3, 5, 17, 64};
	static const int64_t ocs[] = {1, 5, 8, 16, 17, 33, 64, 70};
	ConvCfg k;

#if defined(__x86_64__) && defined(__GNUC__)
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx2")) {
		printf("skip: the host has no AVX2: its f32 conv2d kernel is not run\n");
		return;
	}
	int avx512 = __builtin_cpu_supports("avx512f");
	if (!avx512)
		printf("skip: the host has no AVX-512F: only the AVX2 f32 conv2d kernel is run\n");
#else
	printf("skip: not an x86-64 host: the f32 conv2d kernel is not run\n");
	return;
#endif
	exact_f32 = 1;
	for (int i = 0; i < 24; i++) {
		char desc[340];
		int x;
		random_conv(&k);
		k.g = 1;
		k.c = cs[rnd() % 6];
		k.oc = ocs[rnd() % 8];
		force_cpu = i % 3 == 2 || !avx512 ? "x86-64-v3" : NULL;
		if (force_cpu == NULL)
			host_only = 1;
		Graph *g = new_graph(&f32, shp(4, k.n, k.c, k.h, k.w), &x);
		int y = add_conv(g, x, &k, &f32);
		int nd = g->nnode - 1; /* the conv2d */
		if (i % 8 == 7 && k.bias) { /* -0 biases, one channel with zero weights */
			const Node *cn = &g->nodes[nd];
			float *b = g->vals[cn->in[2]].data, *w = g->vals[cn->in[1]].data;
			b[0] = -0.0f;
			b[k.oc - 1] = -0.0f;
			memset(w, 0, (size_t)(k.c * k.kh * k.kw) * sizeof *w);
		}
		ir_add_output(g, y);
		place(g, 0);
		conv_desc(desc, 300, &k, &f32);
		strcat(desc, force_cpu ? " f32 kernel, avx2" : " f32 kernel, avx-512");
		run_case(g, desc);
		ir_graph_free(g);
		host_only = 0, force_cpu = NULL;
		if (i == 0)
			check(sh("llvm-objdump-19 -d %s > %s", path("m.o"), path("m.dis")) == 0 &&
			              sh("grep -q 'vmulps.*%%[yz]mm' %s", path("m.dis")) == 0 &&
			              sh("grep -q vfmadd %s", path("m.dis")) != 0,
			      "the host's f32 conv2d object has vmulps and no vfmadd");
	}
	exact_f32 = 0;
}

/* ---- conv2d with a fused max-pool (fuse-pool) ------------------------------ */

/* A random max-pool window over a conv output of ch x cw: windows of 1 to 3
 * taps, strides 1 to 3 (overlapping windows and skipped pixels), dilations
 * 1 to 2, pads up to the span - 1 (windows that run off the edge, some
 * wholly in the padding); 1x1 when nothing fits. */
static void random_pool(int64_t ch, int64_t cw, int64_t k[2], int64_t s[2], int64_t pad[4],
                        int64_t dil[2])
{
	for (int tries = 0; tries < 20; tries++) {
		k[0] = 1 + rnd() % 3, k[1] = 1 + rnd() % 3;
		s[0] = 1 + rnd() % 3, s[1] = 1 + rnd() % 3;
		dil[0] = 1 + rnd() % 4 / 3, dil[1] = 1 + rnd() % 4 / 3;
		int64_t eh = (k[0] - 1) * dil[0] + 1, ew = (k[1] - 1) * dil[1] + 1;
		pad[0] = rnd() % eh, pad[1] = rnd() % ew, pad[2] = rnd() % eh, pad[3] = rnd() % ew;
		if (rnd() % 3 == 0) /* the CNN's 2x2/2 without padding */
			k[0] = k[1] = s[0] = s[1] = 2, dil[0] = dil[1] = 1, eh = ew = 2,
			pad[0] = pad[1] = pad[2] = pad[3] = 0;
		if (ch + pad[0] + pad[2] >= eh && cw + pad[1] + pad[3] >= ew)
			return;
	}
	k[0] = k[1] = s[0] = s[1] = dil[0] = dil[1] = 1;
	pad[0] = pad[1] = pad[2] = pad[3] = 0;
}

/* Random inputs of graph g in their storage types. */
static void **random_inputs(const Graph *g)
{
	void **in = calloc((size_t)g->ninput, sizeof *in);

	for (int i = 0; i < g->ninput; i++) {
		const Value *v = &g->vals[g->inputs[i]];
		int64_t n = ir_shape_numel(&v->shape);
		in[i] = malloc((size_t)ir_value_bytes(v));
		for (int64_t k = 0; k < n; k++) {
			if (v->dt == DT_F32)
				((float *)in[i])[k] = rndu(-1.5f, 1.5f);
			else if (v->dt == DT_I8)
				((int8_t *)in[i])[k] = (int8_t)rndi(-128, 127);
			else
				((int16_t *)in[i])[k] = (int16_t)rndi(-32768, 32767);
		}
	}
	return in;
}

/* The interpreter's result of g's only output on inputs in (malloc'd). */
static void *interp_out(Graph *g, void **in)
{
	Diag d = {.out = NULL};
	Interp *it = ir_interp_new(g, &d);
	void *out = malloc((size_t)ir_value_bytes(&g->vals[g->outputs[0]]));

	if (!it) {
		check(0, "the interpreter refused the graph");
		return out;
	}
	ir_interp_run(it, (const void *const *)in, &out);
	ir_interp_free(it);
	return out;
}

/* conv2d then maxpool2d, then the fuse-pool pass on a copy: it must fold
 * the pool into the conv (one node left), the interpreter must give the
 * fused graph's bits exactly the unfused pair's, and the compiled fused
 * graph the interpreter's (run_case).  vnni: int8 cases the AVX-512 VNNI
 * kernel takes (one group or depthwise), on the host (1), or the AVX2
 * kernel, compiled for haswell (2; odd cases halve the weights: its
 * vpmaddubsw path); fixed: this conv and the CNN's 2x2/2 pool instead of
 * random ones. */
static void test_conv_pool(const Prec *p, int vnni, int requant_float, const ConvCfg *fixed)
{
	static const int64_t cs[] = {1, 3, 4, 5, 17, 64, 67};
	static const int64_t ocs[] = {1, 5, 16, 17, 33, 128, 130, 200};
	int64_t pk[2], ps[2], pp[4], pd[2];
	ConvCfg k;
	Diag d = {.out = NULL};
	char desc[400];
	int x;

	random_conv(&k);
	if (p->b64)
		k.bias = 1;
	if (fixed)
		k = *fixed;
	else if (vnni) {
		k.g = 1, k.c = cs[rnd() % 7], k.oc = ocs[rnd() % 8];
		if (rnd() % 4 == 0)
			k.g = k.oc = k.c = cs[1 + rnd() % 6];
	}
	Graph *g = new_graph(p, shp(4, k.n, k.c, k.h, k.w), &x);
	g->requant_float = requant_float;
	int t = add_conv(g, x, &k, p);
	int halve = vnni == 2 && rnd() % 2;
	if (halve) {
		int8_t *w = g->vals[g->nodes[g->nnode - 1].in[1]].data;
		for (int64_t j = 0; j < k.oc * (k.c / k.g) * k.kh * k.kw; j++)
			w[j] = (int8_t)(w[j] / 2);
	}
	const Shape *ts = &g->vals[t].shape;
	random_pool(ts->d[2], ts->d[3], pk, ps, pp, pd);
	if (fixed)
		pk[0] = pk[1] = ps[0] = ps[1] = 2, pd[0] = pd[1] = 1,
		pp[0] = pp[1] = pp[2] = pp[3] = 0;
	int y = add_maxpool_d(g, t, pk[0], pk[1], ps[0], ps[1], pp, pd[0], pd[1]);
	ir_add_output(g, y);

	Graph *f = ir_graph_clone(g);
	pass_fuse_pool(f, NULL, &d);
	conv_desc(desc, 300, &k, p);
	snprintf(desc + strlen(desc), sizeof desc - strlen(desc),
	         " + maxpool k %lldx%lld s %lld,%lld pad %lld,%lld,%lld,%lld dil %lld,%lld%s%s",
	         (long long)pk[0], (long long)pk[1], (long long)ps[0], (long long)ps[1],
	         (long long)pp[0], (long long)pp[1], (long long)pp[2], (long long)pp[3],
	         (long long)pd[0], (long long)pd[1],
	         vnni == 2 ? halve ? " avx2 (a)" : " avx2"
	         : vnni    ? " vnni"
	                   : "",
	         requant_float ? " requant float" : "");
	check(f->nnode == 1 && f->nodes[0].op == OP_CONV2D && ir_has_pool(&f->nodes[0]),
	      "%s: fuse-pool folds the maxpool into the conv", desc);
	void **in = random_inputs(g);
	void *a = interp_out(g, in), *b = interp_out(f, in);
	check(memcmp(a, b, (size_t)ir_value_bytes(&g->vals[y])) == 0,
	      "%s: the interpreter's fused result is the unfused pair's, bit for bit", desc);
	free(a), free(b);
	for (int i = 0; i < g->ninput; i++)
		free(in[i]);
	free(in);
	host_only = vnni == 1;
	force_cpu = vnni == 2 ? "haswell" : NULL;
	place(f, 0);
	run_case(f, desc);
	host_only = 0, force_cpu = NULL;
	ir_graph_free(f);
	ir_graph_free(g);
}

static int has_vnni_host(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512vnni");
#else
	return 0;
#endif
}

static void test_conv_pools(void)
{
	static const Prec f32 = {DT_F32, 0, SCALE_SPAN};

	for (int i = 0; i < 12; i++) {
		Prec p8 = {DT_I8, 0, i % 6 == 5 ? SCALE_LEFT : SCALE_SPAN};
		Prec p16 = {DT_I16, i % 2, SCALE_SPAN};
		test_conv_pool(&f32, 0, 0, NULL);
		test_conv_pool(&p8, 0, i % 4 == 3, NULL);
		if (i < 6)
			test_conv_pool(&p16, 0, 0, NULL);
	}
	if (!has_vnni_host()) {
		printf("skip: the host has no AVX-512 VNNI: its fused conv+pool kernel is not run\n");
		return;
	}
	for (int i = 0; i < 16; i++) {
		Prec p8 = {DT_I8, 0, i % 6 == 5 ? SCALE_LEFT : SCALE_SPAN};
		test_conv_pool(&p8, 1, i % 4 == 3, NULL);
	}
	/* the CNN's second layer, scaled down: the kernel pools in its tiles */
	ConvCfg cnn2 = {1, 64, 8, 8, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, ACT_RELU};
	Prec p8 = {DT_I8, 0, SCALE_SPAN};
	test_conv_pool(&p8, 1, 0, &cnn2);
	check(sh("llvm-objdump-19 -d %s | grep -q vpdpbusd", path("m.o")) == 0 &&
	              sh("llvm-objdump-19 -d %s | grep -q vpmaxsd", path("m.o")) == 0,
	      "the host's fused conv+pool object uses vpdpbusd and vpmaxsd");
}

/* The AVX2 kernel (targets/kernel_avx2.c) for a CPU with AVX2 and no VNNI
 * (haswell), run on the host: path (a) (vpmaddubsw) with weights that cannot
 * saturate it, |w| <= 63 or every weight +-64 (the bound: 255 * 128), path
 * (b) (vpmaddwd on i16) with weights that would saturate vpmaddubsw (pairs
 * of 127, or one pair 127 and 2 just past the bound); depthwise; odd channel counts,
 * strides, pads, dilations, batch 2 and both requantizations as above. */
static void test_conv_avx2(void)
{
	static const int64_t cs[] = {1, 2, 3, 5, 17, 64, 67};
	static const int64_t ocs[] = {1, 5, 16, 17, 33, 128, 130};
	/* depthwise: vpmaddwd where LLVM sees that the constant weights of a
	 * fully unrolled tap loop fit 16 bits */
	static const char *const want[] = {"vpmaddubsw", "vpmaddwd", "vpmulld\\|vpmaddwd"};
	ConvCfg k;

#if defined(__x86_64__) && defined(__GNUC__)
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx2")) {
		printf("skip: the host has no AVX2: its int8 conv2d kernel is not run\n");
		return;
	}
#else
	printf("skip: not an x86-64 host: the AVX2 int8 conv2d kernel is not run\n");
	return;
#endif
	force_cpu = "haswell";
	for (int i = 0; i < 30; i++) {
		Prec p = {DT_I8, 0, i % 5 == 4 ? SCALE_LEFT : SCALE_SPAN};
		int kind = i >= 24 ? 2 : i % 2; /* 0: (a), 1: (b), 2: depthwise */
		random_conv(&k);
		k.g = 1;
		k.c = kind == 1 ? cs[1 + rnd() % 6] : cs[rnd() % 7];
		k.oc = ocs[rnd() % 7];
		if (kind == 2)
			k.g = k.oc = k.c = cs[1 + rnd() % 6];
		char desc[360];
		int x;
		Graph *g = new_graph(&p, shp(4, k.n, k.c, k.h, k.w), &x);
		g->requant_float = i % 3 == 2;
		int y = add_conv(g, x, &k, &p);
		int8_t *w = g->vals[g->nodes[g->nnode - 1].in[1]].data;
		int64_t nw = k.oc * (k.c / k.g) * k.kh * k.kw, taps = k.kh * k.kw;
		for (int64_t j = 0; kind == 0 && j < nw; j++)
			w[j] = i % 4 == 0 ? (int8_t)(j / (nw / k.oc) % 2 ? -64 : 64)
			                  : (int8_t)(w[j] / 2);
		/* (b): pairs of 127 (signs alternating from pair to pair, so that the
		 * sums stay in range), 127 * (u_a + u_b) > 32767 for most inputs; or
		 * one pair just past the bound, 127 and 2 (output channel 0, tap 0,
		 * input channels 0 and 1) */
		for (int64_t j = 0; kind == 1 && i % 4 == 1 && j < nw; j++) {
			int64_t t = j % taps, ci = j / taps % k.c, oc = j / taps / k.c;
			w[j] = (int8_t)((ci / 2 + t + oc) % 2 ? -127 : 127);
		}
		if (kind == 1 && i % 4 != 1)
			w[0] = 127, w[taps] = 2;
		ir_add_output(g, y);
		place(g, 0);
		conv_desc(desc, 300, &k, &p);
		strcat(desc, kind == 0 ? " avx2 (a)" : kind == 1 ? " avx2 (b)" : " avx2 depthwise");
		strcat(desc, g->requant_float ? ", requant float" : "");
		run_case(g, desc);
		ir_graph_free(g);
		if (kind == 1)
			check(sh("llvm-objdump-19 -d %s | grep -q vpmaddwd && "
			         "! llvm-objdump-19 -d %s | grep -q vpmaddubsw",
			         path("m.o"), path("m.o")) == 0,
			      "  its object uses vpmaddwd and no vpmaddubsw");
		else
			check(sh("llvm-objdump-19 -d %s | grep -q '%s'", path("m.o"), want[kind]) ==
			              0,
			      "  its object uses %s", want[kind]);
	}
	force_cpu = NULL;
}

/* The AVX2 kernel's fused conv+pool (it pools in its tiles as the VNNI one
 * does), compiled for haswell and run on the host.  Called last: the cases
 * before keep their CPUs and optimization levels (run_case's count) and
 * their random numbers. */
static void test_conv_pool_avx2(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx2")) {
		printf("skip: the host has no AVX2: its fused conv+pool kernel is not run\n");
		return;
	}
#else
	printf("skip: not an x86-64 host: the AVX2 fused conv+pool kernel is not run\n");
	return;
#endif
	for (int i = 0; i < 12; i++) {
		Prec p8 = {DT_I8, 0, i % 6 == 5 ? SCALE_LEFT : SCALE_SPAN};
		test_conv_pool(&p8, 2, i % 4 == 3, NULL);
	}
	ConvCfg cnn2 = {1, 64, 8, 8, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, ACT_RELU};
	Prec p8 = {DT_I8, 0, SCALE_SPAN};
	test_conv_pool(&p8, 2, 0, &cnn2);
	check(sh("llvm-objdump-19 -d %s | grep -q vpmaddwd", path("m.o")) == 0 &&
	              sh("llvm-objdump-19 -d %s | grep -q vpmaxsd", path("m.o")) == 0,
	      "the haswell fused conv+pool object uses vpmaddwd and vpmaxsd (the max of the accumulators)");
}

static void test_dense(int64_t n, int64_t i, int64_t o, int bias, Act act, const Prec *p)
{
	char desc[200];
	int x;
	Graph *g = new_graph(p, shp(2, n, i, 0, 0), &x);
	int y = add_dense(g, x, o, bias, act, p);

	ir_add_output(g, y);
	place(g, 0);
	snprintf(desc, sizeof desc, "dense %s x[%lld,%lld] o %lld%s act %s%s", prec_name(p),
	         (long long)n, (long long)i, (long long)o, bias ? " bias" : "", ir_act_name(act),
	         p->scale == SCALE_LEFT   ? " (M > 1)"
	         : p->scale == SCALE_HUGE ? " (M >= 2^14)"
	                                  : "");
	run_case(g, desc);
	ir_graph_free(g);
}

/* x with a quiet NaN at 3 (so every sum is that NaN: one NaN, so its bits
 * cannot depend on the order) and -0 at 0 and 2 */
static void nan_x(int i, float *x, int64_t n)
{
	(void)i;
	x[0] = -0.0f;
	if (n > 2)
		x[2] = -0.0f;
	if (n > 3)
		x[3] = NAN;
}

static void negzero_x(int i, float *x, int64_t n)
{
	(void)i;
	for (int64_t k = 0; k < n; k += 5)
		x[k] = -0.0f;
}

/* The f32 dense (targets/lower_dense_f32.c: 16 partial sums in a vector,
 * G outputs at a time) equals the interpreter bit for bit: I below, at
 * and past multiples of 16 (the masked last block), O from 1 to 20 (full
 * and partial groups), batch 2, relu/relu6, with and without a bias (one
 * of -0), -0 in x and w, an infinity in w, a NaN in x; for the host
 * (AVX-512 here), x86-64-v3 (AVX2) and plain x86-64 (SSE2), -O0 to -O3.
 * The host's object has vaddps on zmm and no FMA. */
static void test_dense_f32_exact(void)
{
	static const Prec f32 = {DT_F32, 0, SCALE_SPAN};
	static const int64_t cases[][3] = {
	        {1, 1, 1},  {1, 15, 3},  {1, 16, 8}, {2, 17, 9},   {1, 33, 20}, {2, 100, 13},
	        {1, 7, 16}, {1, 48, 17}, {2, 31, 4}, {1, 300, 10}, {1, 64, 2},  {2, 5, 11},
	};
	static const char *const cpu[] = {NULL, "x86-64-v3", "x86-64"};
	const int nc = (int)(sizeof cases / sizeof cases[0]);
	int avx512 = 0;

#if defined(__x86_64__) && defined(__GNUC__)
	__builtin_cpu_init();
	avx512 = __builtin_cpu_supports("avx512f");
#endif
	exact_f32 = 1;
	for (int c = 0; c < 2 * nc; c++) {
		int64_t n = cases[c % nc][0], in = cases[c % nc][1], o = cases[c % nc][2];
		int bias = c % 4 != 1, x, special = c / nc; /* second round: special values */
		Act act = (Act)(c % 3);
		char desc[240];
		Graph *g = new_graph(&f32, shp(2, n, in, 0, 0), &x);
		int y = add_dense(g, x, o, bias, act, &f32);
		const Node *nd = &g->nodes[g->nnode - 1];
		float *w = g->vals[nd->in[1]].data;

		if (special) {
			w[0] = -0.0f;
			/* (a -0 in x there makes the only NaN of the sum) */
			w[in * o - 1] = c % 2 ? INFINITY : -INFINITY;
			if (bias)
				((float *)g->vals[nd->in[2]].data)[0] = -0.0f;
			special_x = c % 2 && in > 3 ? nan_x : negzero_x;
			if (special_x == nan_x)
				w[in * o - 1] = 2.0f; /* no inf beside the NaN: one NaN only */
		}
		ir_add_output(g, y);
		place(g, 0);
		force_cpu = cpu[c % 3];
		host_only = force_cpu == NULL;
		snprintf(desc, sizeof desc, "dense f32 exact x[%lld,%lld] o %lld%s act %s%s",
		         (long long)n, (long long)in, (long long)o, bias ? " bias" : "",
		         ir_act_name(act),
		         !special             ? ""
		         : special_x == nan_x ? ", NaN and -0 in x, -0 in w"
		                              : ", -0 in x and w, inf in w");
		run_case(g, desc);
		ir_graph_free(g);
		special_x = NULL, force_cpu = NULL, host_only = 0;
		if (c == 9 && avx512) /* the host */
			check(sh("llvm-objdump-19 -d %s > %s", path("m.o"), path("m.dis")) == 0 &&
			              sh("grep -q 'vaddps.*%%zmm' %s", path("m.dis")) == 0 &&
			              sh("grep -q vfmadd %s", path("m.dis")) != 0,
			      "the host's f32 dense object adds zmm vectors and has no vfmadd");
	}
	exact_f32 = 0;
}

/* The f32 dense's vector fadd and fmul really appear on the cross targets
 * (NEON .4s, FPv4 s registers, RVV), and no fused multiply-add. */
static void test_dense_f32_insns(void)
{
	static const struct {
		const char *triple, *cpu, *features, *mattr, *want, *never;
	} t[] = {
	        {"aarch64-linux-gnu", NULL, NULL, "", "fadd[[:space:]]+v[0-9]+\\.4s", "fmla|fmadd"},
	        {"thumbv7em-none-eabihf", "cortex-m4", NULL, "", "vadd\\.f32", "vfma|vmla"},
	        {"riscv64-linux-gnu", "generic-rv64", "+v", "--mattr=+v", "vfadd\\.vv",
	         "vfmacc|fmadd"},
	};
	static const Prec f32 = {DT_F32, 0, SCALE_SPAN};
	int x;
	Graph *g = new_graph(&f32, shp(2, 1, 40, 0, 0), &x);

	ir_add_output(g, add_dense(g, x, 5, 1, ACT_RELU, &f32));
	place(g, 0);
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		Diag d = {.out = NULL};
		TgtOptions o = {.triple = t[i].triple,
		                .cpu = t[i].cpu,
		                .features = t[i].features,
		                .opt_level = 2,
		                .name = "m",
		                .out_obj = path("x.o"),
		                .emit = TGT_EMIT_OBJ};
		check(tgt_compile(g, &o, &d) == 0 &&
		              sh("llvm-objdump-19 -d %s %s > %s", t[i].mattr, path("x.o"),
		                 path("x.dis")) == 0 &&
		              sh("grep -Eq '%s' %s", t[i].want, path("x.dis")) == 0 &&
		              sh("grep -Eq '%s' %s", t[i].never, path("x.dis")) != 0,
		      "f32 dense for %s%s%s: %s, no %s", t[i].triple, t[i].features ? " " : "",
		      t[i].features ? t[i].features : "", t[i].want, t[i].never);
		unlink(path("x.o"));
	}
	ir_graph_free(g);
}

static void test_maxpool(const Prec *p)
{
	char desc[200];
	int x;
	int64_t kh = 1 + rnd() % 3, kw = 1 + rnd() % 3, s0 = 1 + rnd() % 3, s1 = 1 + rnd() % 3;
	/* pads up to the kernel size: some windows lie wholly in the padding */
	int64_t pad[4] = {rnd() % (kh + 1), rnd() % (kw + 1), rnd() % (kh + 1), rnd() % (kw + 1)};
	int64_t n = 1 + rnd() % 2, c = 1 + rnd() % 4, h = kh + rnd() % 7, w = kw + rnd() % 7;
	Graph *g = new_graph(p, shp(4, n, c, h, w), &x);
	int y = add_maxpool(g, x, kh, kw, s0, s1, pad);

	ir_add_output(g, y);
	place(g, 0);
	snprintf(desc, sizeof desc,
	         "maxpool2d %s x[%lld,%lld,%lld,%lld] k %lldx%lld s %lld,%lld "
	         "pad %lld,%lld,%lld,%lld",
	         prec_name(p), (long long)n, (long long)c, (long long)h, (long long)w,
	         (long long)kh, (long long)kw, (long long)s0, (long long)s1, (long long)pad[0],
	         (long long)pad[1], (long long)pad[2], (long long)pad[3]);
	run_case(g, desc);
	ir_graph_free(g);
}

/* Dilations 1 to 3, pads up to the window's span - 1: some windows have
 * no in-bound tap (0 / zp). */
static void test_maxpool_dilated(const Prec *p)
{
	char desc[200];
	int x;
	int64_t kh = 1 + rnd() % 3, kw = 1 + rnd() % 3, dh = 1 + rnd() % 3, dw = 1 + rnd() % 3;
	int64_t s0 = 1 + rnd() % 3, s1 = 1 + rnd() % 3;
	int64_t eh = (kh - 1) * dh + 1, ew = (kw - 1) * dw + 1;
	int64_t pad[4] = {rnd() % eh, rnd() % ew, rnd() % eh, rnd() % ew};
	int64_t n = 1 + rnd() % 2, c = 1 + rnd() % 3, h = eh + rnd() % 6, w = ew + rnd() % 6;
	Graph *g = new_graph(p, shp(4, n, c, h, w), &x);
	int y = add_maxpool_d(g, x, kh, kw, s0, s1, pad, dh, dw);

	ir_add_output(g, y);
	place(g, 0);
	snprintf(desc, sizeof desc,
	         "maxpool2d %s x[%lld,%lld,%lld,%lld] k %lldx%lld s %lld,%lld "
	         "dilation %lld,%lld pad %lld,%lld,%lld,%lld",
	         prec_name(p), (long long)n, (long long)c, (long long)h, (long long)w,
	         (long long)kh, (long long)kw, (long long)s0, (long long)s1, (long long)dh,
	         (long long)dw, (long long)pad[0], (long long)pad[1], (long long)pad[2],
	         (long long)pad[3]);
	run_case(g, desc);
	ir_graph_free(g);
}

static void test_relu_flatten(const Prec *p)
{
	char desc[200];
	int x;
	int64_t n = 1 + rnd() % 2, c = 1 + rnd() % 5, h = 1 + rnd() % 9, w = 1 + rnd() % 9;
	Graph *g = new_graph(p, shp(4, n, c, h, w), &x);
	int y = add_unary(g, OP_RELU, x, g->vals[x].shape);

	ir_add_output(g, y);
	place(g, 0);
	snprintf(desc, sizeof desc, "relu %s x[%lld,%lld,%lld,%lld]", prec_name(p), (long long)n,
	         (long long)c, (long long)h, (long long)w);
	run_case(g, desc);
	ir_graph_free(g);

	g = new_graph(p, shp(4, n, c, h, w), &x);
	y = add_flatten(g, x);
	ir_add_output(g, y);
	place(g, 0);
	snprintf(desc, sizeof desc, "flatten %s x[%lld,%lld,%lld,%lld]", prec_name(p), (long long)n,
	         (long long)c, (long long)h, (long long)w);
	run_case(g, desc);
	ir_graph_free(g);
}

/* conv -> relu -> maxpool -> flatten -> dense, either packed by plan-memory
 * or with the flatten sharing its input's bytes. */
static void test_chain(const Prec *p, int in_place)
{
	char desc[200];
	int x;
	ConvCfg k = {1, 2, 10, 9, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, ACT_NONE};
	Graph *g = new_graph(p, shp(4, k.n, k.c, k.h, k.w), &x);
	int t1 = add_conv(g, x, &k, p);
	int t2 = add_unary(g, OP_RELU, t1, g->vals[t1].shape);
	int64_t pad[4] = {0, 0, 1, 0};
	int t3 = add_maxpool(g, t2, 2, 2, 2, 2, pad);
	int t4 = add_flatten(g, t3);
	int y = add_dense(g, t4, 7, 1, ACT_RELU6, p);

	ir_add_output(g, y);
	place(g, in_place ? 0 : 1);
	if (in_place) {
		g->vals[t2].offset = g->vals[t1].offset; /* relu over its input */
		g->vals[t4].offset = g->vals[t3].offset; /* flatten without a copy */
	}
	snprintf(desc, sizeof desc, "chain %s conv-relu-maxpool-flatten-dense, %s", prec_name(p),
	         in_place ? "relu and flatten in place" : "arena packed by plan-memory");
	run_case(g, desc);
	ir_graph_free(g);
}

/* Two inputs and two outputs, to check the parameter order. */
static void test_multi(const Prec *p)
{
	int x1, x2;
	Graph *g = new_graph(p, shp(4, 1, 3, 6, 5), &x1);
	ConvCfg k = {1, 3, 6, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, ACT_RELU};

	x2 = mkval(g, "x.2", VK_INPUT, p->dt, shp(2, 2, 11, 0, 0));
	act_q(g, x2);
	ir_add_input(g, x2);
	int y1 = add_conv(g, x1, &k, p);
	int64_t pad[4] = {0, 0, 0, 0};
	int y2 = add_maxpool(g, y1, 2, 2, 1, 1, pad);
	int y3 = add_dense(g, x2, 3, 0, ACT_NONE, p);
	ir_add_output(g, y3);
	ir_add_output(g, y1);
	ir_add_output(g, y2);
	place(g, 1);
	run_case(g, p->dt == DT_F32 ? "two inputs, three outputs f32"
	                            : "two inputs, three outputs int8");
	ir_graph_free(g);
}

/* An output that is a constant (nothing computes it) and a flatten of a
 * constant: both read from globals, not the arena. */
static void test_const_output(const Prec *p)
{
	int x;
	Graph *g = new_graph(p, shp(2, 1, 6, 0, 0), &x);
	int y = add_unary(g, OP_RELU, x, g->vals[x].shape);
	int c = mkval(g, "k", VK_CONST, p->dt, shp(2, 2, 3, 0, 0));
	int f = add_unary(g, OP_FLATTEN, c, shp(2, 1, 6, 0, 0));

	for (int i = 0; i < 6; i++) {
		if (p->dt == DT_F32)
			((float *)g->vals[c].data)[i] = rndf();
		else
			((int8_t *)g->vals[c].data)[i] = (int8_t)rndi(-128, 127);
	}
	act_q(g, c);
	copy_q(g, f, c);
	ir_add_output(g, y);
	ir_add_output(g, c);
	ir_add_output(g, f);
	place(g, 0);
	run_case(g, p->dt == DT_F32 ? "constant output and flatten of a constant f32"
	                            : "constant output and flatten of a constant int8");
	ir_graph_free(g);
}

/* ---- avgpool2d, global_avgpool, pad, transpose (targets/fam_pool.c, fam_shape.c) ------------------ */

static int add_avgpool(Graph *g, int x, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                       const int64_t pad[4], int count_pad)
{
	int y = add_maxpool(g, x, kh, kw, sh, sw, pad);

	g->nodes[g->nnode - 1].op = OP_AVGPOOL2D;
	g->nodes[g->nnode - 1].a.count_pad = count_pad;
	return y;
}

/* Pads below the kernel (infer-shapes' rule), both divisors; now and then a
 * global average over the plane instead. */
static void test_avgpool(const Prec *p, int global)
{
	char desc[200];
	int x, y, cp = (int)(rnd() % 2);
	int64_t kh = 1 + rnd() % 4, kw = 1 + rnd() % 4, s0 = 1 + rnd() % 3, s1 = 1 + rnd() % 3;
	int64_t pad[4] = {rnd() % kh, rnd() % kw, rnd() % kh, rnd() % kw};
	int64_t n = 1 + rnd() % 2, c = 1 + rnd() % 4, h = kh + rnd() % 7, w = kw + rnd() % 7;
	Graph *g = new_graph(p, shp(4, n, c, h, w), &x);

	if (global)
		y = add_unary(g, OP_GLOBAL_AVGPOOL, x, shp(4, n, c, 1, 1));
	else
		y = add_avgpool(g, x, kh, kw, s0, s1, pad, cp);
	ir_add_output(g, y);
	place(g, rnd() % 2);
	if (global)
		snprintf(desc, sizeof desc, "global_avgpool %s x[%lld,%lld,%lld,%lld]",
		         prec_name(p), (long long)n, (long long)c, (long long)h, (long long)w);
	else
		snprintf(desc, sizeof desc,
		         "avgpool2d %s x[%lld,%lld,%lld,%lld] k %lldx%lld s %lld,%lld "
		         "pad %lld,%lld,%lld,%lld count_pad %d",
		         prec_name(p), (long long)n, (long long)c, (long long)h, (long long)w,
		         (long long)kh, (long long)kw, (long long)s0, (long long)s1,
		         (long long)pad[0], (long long)pad[1], (long long)pad[2], (long long)pad[3],
		         cp);
	run_case(g, desc);
	ir_graph_free(g);
}

/* A random rank (1..4) and shape. */
static Shape rnd_shape(void)
{
	Shape s = {1 + (int)(rnd() % 4), {0}};

	for (int k = 0; k < s.rank; k++)
		s.d[k] = 1 + rnd() % 5;
	return s;
}

/* pad with 2 x rank amounts (or the 4-value form), a value that is 0, inside
 * or outside the quantized range; then (chained, now and then) a transpose. */
static void test_pad_transpose(const Prec *p)
{
	char desc[240], b1[64], b2[64];
	Shape xs = rnd_shape(), ps = xs, ts;
	int x, y, four = xs.rank >= 2 && rnd() % 3 == 0, perm[IR_MAX_RANK];
	Graph *g = new_graph(p, xs, &x);
	Attrs a;

	ir_attrs_default(&a);
	a.npads = four ? 4 : 2 * xs.rank;
	for (int k = 0; k < a.npads; k++)
		a.pads[k] = rnd() % 3;
	a.value = rnd() % 3 == 0 ? 0.0f : rndu(-6.0f, 6.0f);
	int64_t begin[IR_MAX_RANK], end[IR_MAX_RANK];
	ir_pad_amounts(&a, xs.rank, begin, end);
	for (int k = 0; k < xs.rank; k++)
		ps.d[k] += begin[k] + end[k];
	y = add_unary(g, OP_PAD, x, ps);
	g->nodes[g->nnode - 1].a = a;
	int chain = rnd() % 2;
	if (chain) {
		ir_attrs_default(&a);
		/* a random permutation, or [] (reversed) */
		a.nperm = rnd() % 4 == 0 ? 0 : ps.rank;
		for (int k = 0; k < a.nperm; k++)
			a.perm[k] = k;
		for (int k = a.nperm - 1; k > 0; k--) {
			int j = (int)(rnd() % (uint32_t)(k + 1));
			int64_t t = a.perm[k];
			a.perm[k] = a.perm[j], a.perm[j] = t;
		}
		ir_transpose_perm(&a, ps.rank, perm);
		ts.rank = ps.rank;
		for (int k = 0; k < ps.rank; k++)
			ts.d[k] = ps.d[perm[k]];
		y = add_unary(g, OP_TRANSPOSE, y, ts);
		g->nodes[g->nnode - 1].a = a;
	}
	ir_add_output(g, y);
	place(g, rnd() % 2);
	snprintf(desc, sizeof desc, "pad%s %s x%s -> %s value %g", chain ? "+transpose" : "",
	         prec_name(p), ir_shape_str(&xs, b1, sizeof b1),
	         ir_shape_str(&g->vals[y].shape, b2, sizeof b2), (double)g->nodes[0].a.value);
	run_case(g, desc);
	ir_graph_free(g);
}

/* The int8 average of random inputs (interpreter) is within half a step
 * (plus rounding slack) of the float average of the dequantized inputs. */
static void test_avgpool_accuracy(void)
{
	Prec p = {DT_I8, 0, SCALE_SPAN};
	int x, bad = 0, cases = 0;

	for (int t = 0; t < 20; t++) {
		int cp = t % 2;
		int64_t pad[4] = {1, 1, 1, 1};
		Graph *g = new_graph(&p, shp(4, 1, 2, 5, 6), &x);
		int y = t < 16 ? add_avgpool(g, x, 3, 3, 1 + t % 2, 2, pad, cp)
		               : add_unary(g, OP_GLOBAL_AVGPOOL, x, shp(4, 1, 2, 1, 1));
		ir_add_output(g, y);
		Diag d = {.out = NULL};
		Interp *in = ir_interp_new(g, &d);
		int8_t xq[60], *yq = malloc((size_t)numel(g, y));
		for (int i = 0; i < 60; i++)
			xq[i] = (int8_t)rndi(-128, 127);
		const void *ins[1] = {xq};
		void *outs[1] = {yq};
		ir_interp_run(in, ins, outs);
		const Value *xv = &g->vals[x], *yv = &g->vals[y];
		float s = xv->q.scale[0];
		int32_t zp = xv->q.zp;
		const Shape *os = &yv->shape;
		const Attrs *a = &g->nodes[0].a;
		int glob = g->nodes[0].op == OP_GLOBAL_AVGPOOL;
		for (int64_t c = 0; c < 2; c++)
			for (int64_t oy = 0; oy < os->d[2]; oy++)
				for (int64_t ox = 0; ox < os->d[3]; ox++) {
					double sum = 0;
					int cnt = 0;
					for (int64_t ky = 0; ky < (glob ? 5 : 3); ky++)
						for (int64_t kx = 0; kx < (glob ? 6 : 3); kx++) {
							int64_t iy = glob ? ky
							                  : oy * a->stride[0] - 1 +
							                             ky;
							int64_t ix = glob ? kx
							                  : ox * a->stride[1] - 1 +
							                             kx;
							if (iy < 0 || iy >= 5 || ix < 0 || ix >= 6)
								continue;
							sum += s * (xq[(c * 5 + iy) * 6 + ix] - zp);
							cnt++;
						}
					double want = sum / (glob ? 30 : cp ? 9 : cnt);
					double got = s *
					             (yq[(c * os->d[2] + oy) * os->d[3] + ox] - zp);
					cases++;
					if (fabs(got - want) > 0.5 * s * 1.0001)
						bad++;
				}
		ir_interp_free(in);
		free(yq);
		ir_graph_free(g);
	}
	check(bad == 0,
	      "avgpool2d / global_avgpool int8: %d of %d results within half a step of "
	      "the float average of the dequantized inputs",
	      cases - bad, cases);
}

/* ---- add, mul, concat (targets/fam_elementwise.c) ------------------------------------------ */

static int add_node(Graph *g, Op op, const int *in, int nin, Shape s)
{
	int y = mkval(g, "t", VK_TEMP, g->vals[in[0]].dt, s);

	ir_node_new(g, op, y, in, nin, loc_none());
	act_q(g, y);
	return y;
}

/* An input, or now and then a random constant, of shape s. */
static int operand(Graph *g, DType dt, Shape s, int konst)
{
	int v = mkval(g, konst ? "k" : "x", konst ? VK_CONST : VK_INPUT, dt, s);
	int64_t n = numel(g, v);

	act_q(g, v);
	if (!konst) {
		ir_add_input(g, v);
		return v;
	}
	for (int64_t i = 0; i < n; i++) {
		if (dt == DT_F32)
			((float *)g->vals[v].data)[i] = rndf();
		else if (dt == DT_I8)
			((int8_t *)g->vals[v].data)[i] = (int8_t)rndi(-128, 127);
		else
			((int16_t *)g->vals[v].data)[i] = (int16_t)rndi(-32768, 32767);
	}
	return v;
}

/* a (op) b with broadcasting: b's shape drops leading axes of a's and sets
 * some to 1 (a's too, now and then), a fused act; b a constant 1 time in 3.
 * mode 1: a tiny output scale (multipliers > 1, saturation). */
static void test_binary(Op op, const Prec *p, int mode)
{
	int64_t d[4] = {1 + rnd() % 3, 1 + rnd() % 4, 1 + rnd() % 5, 1 + rnd() % 6};
	Shape as = shp(4, d[0], d[1], d[2], d[3]), bs = as, ys = as;
	char desc[200], b1[64], b2[64];
	int drop = (int)(rnd() % 3);

	for (int k = 0; k < 4; k++)
		if (rnd() % 3 == 0)
			bs.d[k] = 1;
	if (rnd() % 3 == 0)
		as.d[rnd() % 4] = 1;
	bs.rank = 4 - drop;
	memmove(bs.d, bs.d + drop, (size_t)bs.rank * sizeof bs.d[0]);
	if (rnd() % 2) { /* swap: the broadcast operand first */
		Shape t = as;
		as = bs;
		bs = t;
	}
	int x;
	Graph *g = new_graph(p, as, &x);
	int in[2] = {x, operand(g, p->dt, bs, rnd() % 3 == 0)};
	ir_broadcast_shape(&as, &bs, &ys);
	int y = add_node(g, op, in, 2, ys);
	g->nodes[g->nnode - 1].a.act = (Act)(rnd() % 3);
	if (mode == 1 && p->dt != DT_F32)
		g->vals[y].q.scale[0] = g->vals[x].q.scale[0] *
		                        (op == OP_MUL ? g->vals[in[1]].q.scale[0] : 1) / 50;
	exact_f32 = op == OP_DIV; /* IEEE division: one correctly rounded result */
	ir_add_output(g, y);
	place(g, 1);
	snprintf(desc, sizeof desc, "%s %s %s by %s act %s%s", ir_ops[op].name, prec_name(p),
	         ir_shape_str(&as, b1, sizeof b1), ir_shape_str(&bs, b2, sizeof b2),
	         ir_act_name(g->nodes[g->nnode - 1].a.act),
	         mode == 1 && p->dt != DT_F32 ? " (M > 1)" : "");
	run_case(g, desc);
	exact_f32 = 0;
	ir_graph_free(g);
}

/* 1 to 8 operands along a random axis (negative now and then); some share
 * the result's parameters (copied), some are constants. */
static void test_concat(const Prec *p)
{
	int nin = 1 + (int)(rnd() % 8), ax = (int)(rnd() % 4), x;
	Shape s = shp(4, 1 + rnd() % 2, 1 + rnd() % 3, 1 + rnd() % 4, 1 + rnd() % 5), ys = s;
	int in[8];
	char desc[200];

	Graph *g = new_graph(p, s, &x);
	in[0] = x;
	ys.d[ax] = 0;
	for (int i = 0; i < nin; i++) {
		if (i > 0) {
			s.d[ax] = 1 + rnd() % 3;
			in[i] = operand(g, p->dt, s, rnd() % 4 == 0);
		}
		ys.d[ax] += g->vals[in[i]].shape.d[ax];
	}
	int y = add_node(g, OP_CONCAT, in, nin, ys);
	g->nodes[g->nnode - 1].a.axis = rnd() % 3 == 0 ? ax - 4 : ax;
	for (int i = 0; i < nin; i++)
		if (rnd() % 3 == 0)
			copy_q(g, in[i], y);
	ir_add_output(g, y);
	place(g, 1);
	snprintf(desc, sizeof desc, "concat %s of %d operands, axis %lld", prec_name(p), nin,
	         (long long)g->nodes[g->nnode - 1].a.axis);
	run_case(g, desc);
	ir_graph_free(g);
}

/* ---- properties of the object and of the options ------------------------------------ */

static Graph *small_graph(DType dt)
{
	Prec p = {dt, 0, SCALE_SPAN};
	ConvCfg k = {1, 2, 6, 6, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, ACT_RELU};
	int x;
	Graph *g = new_graph(&p, shp(4, 1, 2, 6, 6), &x);
	int y = add_conv(g, x, &k, &p);

	y = add_flatten(g, y);
	y = add_dense(g, y, 5, 1, ACT_NONE, &p);
	ir_add_output(g, y);
	place(g, 1);
	return g;
}

/* helpers: also the toolchain's support routines (soft float, ...) */
static int only_allowed_undefined(const char *obj, int helpers)
{
	char line[256];
	int ok = 1;
	FILE *f;

	if (sh("nm -u %s > %s", obj, path("nm.txt")))
		return 0;
	f = fopen(path("nm.txt"), "r");
	while (fgets(line, sizeof line, f)) {
		char *s = strrchr(line, ' ');
		s = s ? s + 1 : line;
		s[strcspn(s, "\n")] = 0;
		if (strcmp(s, "memcpy") && strcmp(s, "memset") && strcmp(s, "memmove") &&
		    strncmp(s, "qrt_", 4) && !(helpers && strncmp(s, "__", 2) == 0)) {
			printf("  unexpected undefined symbol %s\n", s);
			ok = 0;
		}
	}
	fclose(f);
	return ok;
}

static void test_object_properties(void)
{
	Graph *g = small_graph(DT_I8);
	Diag d = {.out = NULL};
	size_t n1, n2;
	char *a, *b, obj[256];
	TgtOptions o = {.cpu = "x86-64-v3",
	                .opt_level = 2,
	                .name = "m",
	                .out_obj = obj,
	                .emit = TGT_EMIT_OBJ | TGT_EMIT_HEADER | TGT_EMIT_LLVM | TGT_EMIT_ASM};

	strcpy(obj, path("m.o")); /* path()'s buffers get reused */

	check(tgt_compile(g, &o, &d) == 0, "emit obj,header,llvm,asm succeeds");
	a = slurp(path("m.o"), &n1);
	check(a && access(path("m.h"), F_OK) == 0 && access(path("m.ll"), F_OK) == 0 &&
	              access(path("m.s"), F_OK) == 0,
	      "writes m.o, m.h, m.ll and m.s beside each other");
	check(only_allowed_undefined(path("m.o"), 0),
	      "int8 object: only memcpy/memset/memmove/qrt_* undefined");
	o.emit = TGT_EMIT_OBJ;
	tgt_compile(g, &o, &d);
	b = slurp(path("m.o"), &n2);
	check(a && b && n1 == n2 && memcmp(a, b, n1) == 0,
	      "the object is byte-identical across compiles and --emit sets");
	free(a);
	free(b);
	check(sh("grep -q 'vpmaddwd\\|vpmulld' %s", path("m.s")) == 0,
	      "x86-64-v3: the int8 kernels are vectorized");
	check(sh("grep -q 'writeonly\\|noalias' %s", path("m.ll")) == 0,
	      "the .ll carries alias facts");

	/* a failed compile leaves the old object and no header */
	a = slurp(path("m.o"), &n1);
	unlink(path("m.h"));
	int keep = g->vals[g->inputs[0]].offset;
	g->vals[g->inputs[0]].offset = -1;
	d.out = tmpfile();
	o.emit = TGT_EMIT_OBJ | TGT_EMIT_HEADER;
	int rc = tgt_compile(g, &o, &d);
	b = slurp(path("m.o"), &n2);
	check(rc == 1 && d.nerrors > 0 && n1 == n2 && memcmp(a, b, n1) == 0 &&
	              access(path("m.h"), F_OK) != 0,
	      "a value without an arena offset is an error that writes nothing");
	check(sh("ls %s | grep -q tmp", dir) != 0, "no temporary file is left behind");
	fclose(d.out);
	free(a);
	free(b);
	g->vals[g->inputs[0]].offset = keep;

	Graph *gf = small_graph(DT_F32);
	d.out = NULL;
	check(tgt_compile(gf, &o, &d) == 0 && only_allowed_undefined(path("m.o"), 0),
	      "f32 object: only memcpy/memset/memmove/qrt_* undefined (no libm)");
	check(sh("grep -q 'm_run_q' %s", path("m.h")) != 0, "an f32 model has no m_run_q");
	ir_graph_free(gf);
	ir_graph_free(g);
}

/* Runs tgt_compile with o and expects an error mentioning want. */
static void expect_error(Graph *g, TgtOptions o, const char *want, const char *what)
{
	Diag d = {.out = tmpfile()};
	char buf[4096] = "";
	int rc;

	o.out_obj = path("bad.o");
	o.emit = TGT_EMIT_OBJ | TGT_EMIT_HEADER;
	rc = tgt_compile(g, &o, &d);
	rewind(d.out);
	size_t n = fread(buf, 1, sizeof buf - 1, d.out);
	buf[n] = 0;
	fclose(d.out);
	check(rc == 1 && strstr(buf, want) && access(path("bad.o"), F_OK) != 0, "%s", what);
	if (rc != 1 || !strstr(buf, want))
		printf("  got: %s\n", buf);
}

static void test_bad_options(void)
{
	Graph *g = small_graph(DT_I8);
	TgtOptions o = {.opt_level = 2, .name = "m"};
	TgtOptions t;

	t = o, t.triple = "mips-linux-gnu";
	expect_error(g, t, "riscv32-unknown-elf",
	             "an unknown triple is an error listing the valid ones");
	t = o, t.triple = "aarch64-linux-gnu", t.cpu = "pentium4";
	expect_error(g, t, "cortex-a72", "an unknown CPU is an error listing the valid ones");
	t = o, t.triple = "riscv64-linux-gnu", t.features = "+v,+avx2";
	expect_error(g, t, "zba", "an unknown feature is an error listing the valid ones");
	t = o, t.features = "sse4.2";
	expect_error(g, t, "+name", "a feature without + or - is an error");
	t = o, t.name = "9lives";
	expect_error(g, t, "not a C identifier",
	             "a model name that is not a C identifier is an error");
	t = o, t.opt_level = 4;
	expect_error(g, t, "0..3", "-O4 is an error");
	ir_graph_free(g);
}

typedef struct {
	const char *triple, *cpu;
	int cls, machine;
	uint32_t flags_mask, flags; /* e_flags bits that must be set */
	int vfp_args; /* ARM: floats travel in VFP registers */
} CrossCase;

static void test_cross(void)
{
	static const CrossCase cases[] = {
	        {"x86_64-linux-gnu", NULL, 2, 62, 0, 0, 0},
	        {"aarch64-linux-gnu", NULL, 2, 183, 0, 0, 0},
	        {"aarch64-linux-gnu", "cortex-a76", 2, 183, 0, 0, 0},
	        {"armv7-linux-gnueabihf", NULL, 1, 40, 0xff000000, 0x05000000, 1}, /* EABI5 */
	        {"thumbv7em-none-eabihf", NULL, 1, 40, 0xff000000, 0x05000000, 1},
	        {"thumbv7em-none-eabihf", "cortex-m7", 1, 40, 0xff000000, 0x05000000, 1},
	        {"riscv64-linux-gnu", NULL, 2, 243, 0x6, 0x4, 0}, /* double-float ABI */
	        {"riscv32-unknown-elf", NULL, 1, 243, 0x6, 0x0, 0}, /* soft-float ABI */
	};
	Graph *gq = small_graph(DT_I8), *gf = small_graph(DT_F32);

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const CrossCase *c = &cases[i];
		for (int f = 0; f < 2; f++) {
			Diag d = {.out = NULL};
			TgtOptions o = {.triple = c->triple,
			                .cpu = c->cpu,
			                .opt_level = 2,
			                .name = "m",
			                .out_obj = path("x.o"),
			                .emit = TGT_EMIT_OBJ};
			size_t n = 0;
			unsigned char *e;
			uint16_t machine = 0;
			uint32_t flags = 0;
			int rc = tgt_compile(f ? gf : gq, &o, &d);

			e = rc == 0 ? slurp(path("x.o"), &n) : NULL;
			if (e && n > 52) {
				memcpy(&machine, e + 18, 2);
				memcpy(&flags, e + (e[4] == 2 ? 48 : 36), 4);
			}
			/* hard float shows in the build attributes, not in e_flags */
			int vfp =
			        !c->vfp_args ||
			        sh("llvm-readelf-19 -A %s | grep -A1 ABI_VFP_args | grep -q 'AAPCS VFP'",
			           path("x.o")) == 0;
			check(rc == 0 && e && e[4] == c->cls && machine == c->machine && vfp &&
			              (flags & c->flags_mask) == c->flags &&
			              only_allowed_undefined(path("x.o"), c->machine != 62),
			      "%s %s (%s): ELF%d machine %d, flags 0x%x%s, only allowed undefined symbols",
			      c->triple, f ? "f32" : "int8", c->cpu ? c->cpu : "default",
			      c->cls * 32, c->machine, (unsigned)flags,
			      c->vfp_args ? ", VFP argument passing" : "");
			free(e);
			unlink(path("x.o"));
		}
	}
	ir_graph_free(gq);
	ir_graph_free(gf);
}

int main(int argc, char **argv)
{
	static const Prec f32 = {DT_F32, 0, SCALE_SPAN};
	ConvCfg k;

	qrt_lib = argc > 1 ? argv[1] : getenv("QRT_LIB");
	qrt_inc = argc > 2 ? argv[2] : getenv("QRT_INCLUDE");
	if (!qrt_lib || !qrt_inc) {
		fprintf(stderr,
		        "usage: test_backend_ops QRT_LIB QRT_INCLUDE_DIR (or env QRT_LIB, QRT_INCLUDE)\n");
		return 2;
	}
	strcpy(dir, "/tmp/qc_backend_XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}

	/* the CNN's own layer shapes, scaled down */
	ConvCfg cnn1 = {1, 1, 12, 12, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, ACT_RELU};
	ConvCfg cnn2 = {1, 64, 6, 6, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, ACT_NONE};
	Prec i8 = {DT_I8, 0, SCALE_SPAN};
	test_conv(&cnn1, &f32);
	test_conv(&cnn2, &f32);
	test_conv(&cnn1, &i8);
	test_conv(&cnn2, &i8);
	for (int i = 0; i < 30; i++) {
		random_conv(&k);
		test_conv(&k, &f32);
	}
	for (int i = 0; i < 36; i++) {
		Prec p = {DT_I8, 0, i % 6 == 5 ? SCALE_LEFT : SCALE_SPAN};
		random_conv(&k);
		test_conv(&k, &p);
	}
	test_conv_vnni();
	test_conv_f32_kernel();
	test_conv_pools();
	test_conv_avx2();
	for (int i = 0; i < 8; i++) {
		Prec p = {DT_I16, i % 2, i == 6 ? SCALE_HUGE : i == 7 ? SCALE_LEFT : SCALE_SPAN};
		random_conv(&k);
		if (p.b64)
			k.bias = 1;
		test_conv(&k, &p);
	}
	for (int i = 0; i < 8; i++) {
		int64_t n = 1 + rnd() % 3, in = 1 + rnd() % 60, o = 1 + rnd() % 20;
		Prec p8 = {DT_I8, 0, i % 4 == 3 ? SCALE_LEFT : SCALE_SPAN};
		Prec p16 = {DT_I16, i % 2, i == 5 ? SCALE_HUGE : SCALE_SPAN};
		test_dense(n, in, o, rnd() % 4 != 0, (Act)(rnd() % 3), &f32);
		test_dense(n, in, o, rnd() % 4 != 0, (Act)(rnd() % 3), &p8);
		if (i < 4)
			test_dense(n, in, o, p16.b64 || rnd() % 2, (Act)(rnd() % 3), &p16);
	}
	test_dense_f32_exact();
	test_dense_f32_insns();
	for (int i = 0; i < 8; i++) {
		Prec p = {i % 3 == 0 ? DT_F32 : i % 3 == 1 ? DT_I8 : DT_I16, 0, SCALE_SPAN};
		test_maxpool(&p);
	}
	for (int i = 0; i < 3; i++) {
		Prec p = {i == 0 ? DT_F32 : i == 1 ? DT_I8 : DT_I16, 0, SCALE_SPAN};
		test_relu_flatten(&p);
	}
	for (int i = 0; i < 2; i++) {
		test_chain(&f32, i);
		test_chain(&i8, i);
	}
	test_multi(&f32);
	test_multi(&i8);
	test_const_output(&f32);
	test_const_output(&i8);
	for (int i = 0; i < 12; i++) {
		Prec p = {i % 3 == 0 ? DT_F32 : i % 3 == 1 ? DT_I8 : DT_I16, 0, SCALE_SPAN};
		test_binary(OP_ADD, &p, i % 4 == 2);
		test_binary(OP_MUL, &p, i % 4 == 1);
		if (i < 9)
			test_concat(&p);
	}

	for (int i = 0; i < 6; i++) {
		static const Prec i16p = {DT_I16, 0, SCALE_SPAN};
		const Prec *pp[3] = {&f32, &i8, &i16p};
		test_avgpool(pp[i % 3], i >= 3);
		test_avgpool(pp[(i + 1) % 3], 0);
		test_pad_transpose(pp[i % 3]);
		test_pad_transpose(pp[(i + 2) % 3]);
	}
	test_avgpool_accuracy();
	for (int i = 0; i < 12; i++) {
		Prec p = {i % 3 == 0 ? DT_F32 : i % 3 == 1 ? DT_I8 : DT_I16, 0, SCALE_SPAN};
		test_binary(OP_SUB, &p, i % 4 == 2);
		if (i % 3 == 0)
			test_binary(OP_DIV, &p, 0);
		test_maxpool_dilated(&p);
	}
	test_object_properties();
	test_bad_options();
	test_cross();
	test_conv_pool_avx2();
	flush_cases();

	if (!nfail)
		sh("rm -rf %s", dir);
	else
		printf("files kept in %s\n", dir);
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail != 0;
}
