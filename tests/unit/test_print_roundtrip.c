/* test_print_roundtrip.c — the printer's text parses back to the same graph:
 * print(parse(print(parse(text)))) == print(parse(text)) byte for byte, with
 * constants inline and written to .npy files; floats survive bit for bit;
 * the canonical form is what DESIGN section 2 shows. */
#include <math.h>
#include <float.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frontend.h"
#include "check.h"

/* Diagnostics of the cases that are meant to fail would only be noise. */
static FILE *quiet(void)
{
	static FILE *null;
	if (!null)
		null = fopen("/dev/null", "w");
	return null;
}

static Graph *parse(const char *text, const char *name)
{
	Diag d = {.out = quiet()};
	Graph *g = fe_parse_string(text, strlen(text), name, NULL, &d);
	if (!g && strcmp(name, "elided.qg") != 0) {
		d.out = NULL; /* unexpected: show why */
		ir_graph_free(fe_parse_string(text, strlen(text), name, NULL, &d));
	}
	return g;
}

/* ir_print into a malloc'd string */
static char *print(Graph *g, const PrintOptions *po, int *rc)
{
	char *s;
	size_t n;
	FILE *f = open_memstream(&s, &n);
	Diag d = {.out = quiet()};
	int r = ir_print(f, g, po, &d);

	fclose(f);
	if (rc)
		*rc = r;
	return s;
}

static const char float_model[] =
        "# a float model as a user writes it\n"
        "model cnn\n"
        "input x : f32[1,1,4,4] range [0, 1]\n"
        "const w1 : f32[2,1,3,3] = [0.1, -0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9,\n"
        "                           1, 2, 3, 4, 5, 6, 7, 8, 9]\n"
        "const b1 : f32[2] = [0.5, -0.5]\n"
        "const wf : f32[3,8] = [1,2,3,4,5,6,7,8, 1,2,3,4,5,6,7,8, 1,2,3,4,5,6,7,8]\n"
        "t1 = conv2d(x, w1, b1)   { stride = [1,1], pad = [1,1,1,1] }\n"
        "t2 = relu(t1)\n"
        "t3 = maxpool2d(t2)       { kernel = [2,2], stride = [2,2] }\n"
        "t4 = flatten(t3)         { axis = 1 }\n"
        "t5 = reshape(t4)         { shape = [1, -1] }\n"
        "y  = dense(t5, wf)\n"
        "output y\n";

static const char quant_model[] =
        "model q\n"
        "input x : i8[1,1,4,4] q(scale=0.00392156886, zp=-128) range [0, 1] calib [0, 1] @0\n"
        "const w1 : i8[2,1,3,3] q(axis=0, scale=[0.0123, 0.0456]) = "
        "[1,-5,3,4,5,6,7,8,9,-1,-2,-3,-4,-5,-6,-7,-8,-127]\n"
        "const b1 : i32[2] q(axis=0, scale=[4.8235e-05, 0.000178823]) = [1000, -70000]\n"
        "t1 : i8[1,2,4,4] q(scale=0.0235, zp=-128) calib [0, 6.01] @32 = conv2d(x, w1, b1) "
        "{ stride = [1,1], pad = [1,1,1,1], act = relu6 }\n"
        "t2 : i8[1,2,2,2] q(scale=0.0235, zp=-128) @64 = maxpool2d(t1) { kernel = [2,2], stride = [2,2] }\n"
        "y : i8[1,8] q(scale=0.0235, zp=-128) range [-1e+30, 3.40282347e+38] @80 = flatten(t2)\n"
        "output y, t2\n";

/* the canonical text of quant_model */
static const char quant_canon[] =
        "model q\n"
        "\n"
        "input x : i8[1,1,4,4] q(scale=0.00392156886, zp=-128) range [0, 1] calib [0, 1] @0\n"
        "\n"
        "const w1 : i8[2,1,3,3] q(axis=0, scale=[0.0122999996, 0.0456000008]) = "
        "[1, -5, 3, 4, 5, 6, 7, 8, 9, -1, -2, -3, -4, -5, -6, -7, -8, -127]\n"
        "const b1 : i32[2] q(axis=0, scale=[4.82350006e-05, 0.000178823]) = [1000, -70000]\n"
        "\n"
        "t1 : i8[1,2,4,4] q(scale=0.0234999992, zp=-128) calib [0, 6.01000023] @32 = "
        "conv2d(x, w1, b1) { stride = [1,1], pad = [1,1,1,1], dilation = [1,1], groups = 1, "
        "act = relu6 }\n"
        "t2 : i8[1,2,2,2] q(scale=0.0234999992, zp=-128) @64 = maxpool2d(t1) "
        "{ stride = [2,2], pad = [0,0,0,0], kernel = [2,2] }\n"
        "y : i8[1,8] q(scale=0.0234999992, zp=-128) range [-1.00000002e+30, 3.40282347e+38] @80 "
        "= flatten(t2) { axis = 1 }\n"
        "\n"
        "output y, t2\n";

static void roundtrip(const char *what, const char *text)
{
	Graph *g1 = parse(text, "in.qg");

	check(g1 != NULL, "%s: parses", what);
	if (!g1)
		return;
	char *s1 = print(g1, NULL, NULL);
	Graph *g2 = parse(s1, "dump.qg");
	check(g2 != NULL, "%s: its dump parses", what);
	if (g2) {
		char *s2 = print(g2, NULL, NULL);
		check(strcmp(s1, s2) == 0, "%s: print(parse(print(G))) == print(G)", what);
		free(s2);
	}
	free(s1);
	ir_graph_free(g1);
	ir_graph_free(g2);
}

static void test_canonical(void)
{
	Graph *g = parse(quant_model, "q.qg");
	char *s = print(g, NULL, NULL);

	int same = strcmp(s, quant_canon) == 0;
	check(same, "canonical form of a quantized model%s%s", same ? "" : ":\n", same ? "" : s);
	check(g->arena_size == 96, "arena size from offsets (%lld)", (long long)g->arena_size);
	free(s);

	PrintOptions po = {.heading = "after quantize\nsecond line"};
	s = print(g, &po, NULL);
	const char *head = "# after quantize\n# second line\nmodel q\n";
	check(strncmp(s, head, strlen(head)) == 0, "heading lines are comments");
	free(s);
	ir_graph_free(g);

	g = parse(float_model, "f.qg");
	s = print(g, NULL, NULL);
	check(strstr(s, "\nt2 = relu(t1)\n") && strstr(s, "\ny = dense(t5, wf) { act = none }\n") &&
	              strstr(s, "input x : f32[1,1,4,4] range [0, 1]\n") &&
	              strstr(s, "t5 = reshape(t4) { shape = [1,-1] }\n"),
	      "untyped results, every attribute printed");
	check(strstr(s, "const wf : f32[3,8] = [1, 2, 3, 4, 5, 6, 7, 8, 1,") != NULL,
	      "constants over the inline limit stay inline without npy_dir");
	free(s);

	po = (PrintOptions){.elide_constants = 1};
	s = print(g, &po, NULL);
	check(strstr(s, "const wf : f32[3,8] = [1, 2, 3, ... (24 values)]\n") &&
	              strstr(s, "const b1 : f32[2] = [0.5, -0.5]\n"),
	      "elide_constants shortens only big constants");
	check(parse(s, "elided.qg") == NULL, "an elided dump does not parse");
	free(s);
	ir_graph_free(g);
}

/* Every float32 bit pattern class comes back exactly through "%.9g". */
static void test_float_bits(void)
{
	enum { N = 4096 };
	Graph *g = ir_graph_new("bits");
	Loc l = loc_none();
	int v = ir_value_new(g, "c", VK_CONST, l);
	Value *c = &g->vals[v];
	uint32_t seed = 12345;
	float *x;

	c->has_type = 1;
	c->dt = DT_F32;
	c->shape.rank = 1;
	c->shape.d[0] = N;
	x = c->data = ir_alloc(g, N * sizeof(float));
	for (int i = 0; i < N; i++) {
		uint32_t b;
		do {
			seed = seed * 1664525u + 1013904223u;
			b = seed ^ (seed >> 13) * 2654435761u;
		} while (((b >> 23) & 0xff) == 0xff); /* finite only */
		memcpy(&x[i], &b, 4);
	}
	x[0] = FLT_MAX;
	x[1] = -FLT_MIN;
	x[2] = 1e-45f; /* smallest denormal */
	x[3] = -0.0f;
	x[4] = 0.1f;
	x[5] = 16777217.0f;
	ir_add_output(g, v);

	char *s = print(g, NULL, NULL);
	Graph *g2 = parse(s, "bits.qg");
	check(g2 && memcmp(g2->vals[0].data, x, N * sizeof(float)) == 0,
	      "%d float32 values (denormals, -0, FLT_MAX) round-trip bit for bit", N);
	free(s);
	ir_graph_free(g2);
	ir_graph_free(g);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = malloc((size_t)n + 1);
	s[fread(s, 1, (size_t)n, f)] = 0;
	fclose(f);
	return s;
}

/* Dump with npy_dir: big constants go to .npy files that the dump names
 * relative to itself; reading the dump back gives the same graph. */
static void test_npy_dir(void)
{
	char d1[] = "/tmp/qc_print_XXXXXX", d2[] = "/tmp/qc_print_XXXXXX";
	char p1[128], p2[128], npy[128];
	Diag d = {0};
	int rc;

	if (!mkdtemp(d1) || !mkdtemp(d2)) {
		check(0, "mkdtemp");
		return;
	}
	Graph *g = parse(float_model, "f.qg");
	PrintOptions po = {.npy_dir = d1, .npy_prefix = "cnn."};
	snprintf(p1, sizeof p1, "%s/dump.qg", d1);
	snprintf(p2, sizeof p2, "%s/dump.qg", d2);

	FILE *f = fopen(p1, "w");
	rc = ir_print(f, g, &po, &d);
	fclose(f);
	char *s1 = slurp(p1);
	snprintf(npy, sizeof npy, "%s/cnn.w1.npy", d1);
	check(rc == 0 && strstr(s1, "const w1 : f32[2,1,3,3] = npy(\"cnn.w1.npy\")\n") &&
	              strstr(s1, "const wf : f32[3,8] = npy(\"cnn.wf.npy\")\n") &&
	              strstr(s1, "const b1 : f32[2] = [0.5, -0.5]\n") && access(npy, R_OK) == 0,
	      "npy_dir: big constants written as <prefix><name>.npy, small ones inline");

	/* from another working folder: the dump finds its .npy beside itself */
	Graph *g2 = fe_parse_file(p1, &d);
	check(g2 != NULL, "the dump with npy() parses");
	if (g2) {
		po.npy_dir = d2;
		f = fopen(p2, "w");
		ir_print(f, g2, &po, &d);
		fclose(f);
		char *s2 = slurp(p2);
		check(s2 && strcmp(s1, s2) == 0, "npy dump: print(parse(print(G))) == print(G)");
		free(s2);
		char *a = print(g, NULL, NULL), *b = print(g2, NULL, NULL);
		check(strcmp(a, b) == 0, "constants read from the .npy files are the same");
		free(a);
		free(b);
	}
	free(s1);
	ir_graph_free(g2);

	/* an npy_dir that cannot be written: reported, -1 */
	po.npy_dir = "/nonexistent/dir";
	char *s = print(g, &po, &rc);
	check(rc == -1, "ir_print returns -1 when an npy file cannot be written");
	free(s);
	ir_graph_free(g);

	const char *names[] = {"cnn.w1.npy", "cnn.wf.npy", "dump.qg"};
	for (int i = 0; i < 3; i++) {
		snprintf(npy, sizeof npy, "%s/%s", d1, names[i]);
		unlink(npy);
		snprintf(npy, sizeof npy, "%s/%s", d2, names[i]);
		unlink(npy);
	}
	rmdir(d1);
	rmdir(d2);
}

int main(void)
{
	roundtrip("float model", float_model);
	roundtrip("quantized model", quant_model);
	roundtrip("keywords as names",
	          "model q\ninput input : f32[1,4] range [0, 1]\n"
	          "const const : f32[4,4] = [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]\n"
	          "range = dense(input, const) output : f32[1,4] = relu(range)\n"
	          "npy = relu(output) q range [0, 1] = relu(npy) model calib [-1, 1] = relu(q)\n"
	          "calib range [0, 1] calib [0, 2] = relu(model)\n"
	          "output output, calib, range\n");
	roundtrip(
	        "no nodes",
	        "model m input a : i16[2,2] q(scale=1e-3, zp=0) @16 "
	        "const k : u8[] = [7] const e : i64[2] = [-1, 9223372036854775807] output a, k, e");
	test_canonical();
	test_float_bits();
	test_npy_dir();
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail != 0;
}
