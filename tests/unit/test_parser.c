/* test_parser.c — the .qg reader: good models build the graph the text
 * describes (values, types, quantization, constants, nodes, attributes,
 * locations), bad ones are rejected with file:line:col diagnostics that say
 * what is wrong, and one run reports several independent errors. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frontend.h"
#include "check.h"

/* drops the last newline, for one-line test reports */
static void chomp(char *s)
{
	size_t n = strlen(s);
	if (n && s[n - 1] == '\n')
		s[n - 1] = 0;
}

/* Parses text; the diagnostics land in *msgs (malloc'd). */
static Graph *parse(const char *text, const char *dir, char **msgs, int *nerr)
{
	size_t n;
	FILE *f = open_memstream(msgs, &n);
	Diag d = {.out = f};
	Graph *g = fe_parse_string(text, strlen(text), "t.qg", dir, &d);
	fclose(f);
	chomp(*msgs);
	*nerr = d.nerrors;
	return g;
}

static int val(const Graph *g, const char *name)
{
	return ir_value_find(g, name);
}

static const char good[] =
        "# a model with every form of statement\n"
        "model tiny\n"
        "input x : i8[1,4] q(scale=0.5, zp=-3) range [0, 1] calib [-1e-05, 2.5E+1] @0\n"
        "input s : f32[] @80\n"
        "const w : i8[2,4] q(axis=0, scale=[0.25, .125]) = [1, 2, 3, 4, -5, -6, -7, -128]\n"
        "const b : i32[2] q(axis=0, scale=[0.5, 1e-3]) = [100000, -100]\n"
        "const f : f32[3] = [1.5, -0, 3e+2]\n"
        "const big : i64[1] = [-9223372036854775808]\n"
        "const u : u8[2] = [0, 255]\n"
        "t1 : i8[1,2] q(scale=0.1, zp=0) calib [0, 6] @16 = dense(x, w, b) { act = relu }\n"
        "t2 : i8[1,2] q(scale=0.1, zp=0) @32 =\n"
        "   relu(t1)\n"
        "t3 : i8[2,1] q(scale=0.1, zp=0) @48 = reshape(t2) { shape = [2, -1] }\n"
        "input z : i8[1,3,4,4] q(scale=0.5, zp=0) @96\n"
        "const wz : i8[3,1,1,1] q(axis=0, scale=[1, 2, 4]) = [1, -1, 127]\n"
        "t4 : i8[1,3,2,2] q(scale=0.1, zp=0) @64 = conv2d(z, wz) {stride=[2,2], groups = 3}\n"
        "output t3, t4\n";

static void test_good(void)
{
	char *msgs;
	int nerr;
	Graph *g = parse(good, NULL, &msgs, &nerr);

	check(g != NULL && nerr == 0, "good model parses (%d errors: %s)", nerr, msgs);
	free(msgs);
	if (!g)
		return;
	check(strcmp(g->name, "tiny") == 0, "model name");
	check(g->file && strcmp(g->file, "t.qg") == 0, "file name");
	check(g->ninput == 3 && g->inputs[0] == val(g, "x") && g->inputs[1] == val(g, "s") &&
	              g->inputs[2] == val(g, "z"),
	      "inputs in order");

	const Value *x = &g->vals[val(g, "x")];
	check(x->kind == VK_INPUT && x->has_type && x->dt == DT_I8 && x->shape.rank == 2 &&
	              x->shape.d[0] == 1 && x->shape.d[1] == 4,
	      "input x : i8[1,4]");
	check(x->q.present && x->q.axis == -1 && x->q.n == 1 && x->q.scale[0] == 0.5f &&
	              x->q.zp == -3,
	      "per-tensor q(scale=0.5, zp=-3)");
	check(x->has_range && x->range[0] == 0 && x->range[1] == 1, "range [0, 1]");
	check(x->has_calib && x->calib[0] == -1e-05f && x->calib[1] == 25.0f,
	      "calib [-1e-05, 2.5E+1] (exponents)");
	check(x->offset == 0, "@0 offset");
	check(x->loc.line == 3 && x->loc.col == 7, "value loc is its name (3:7, got %d:%d)",
	      x->loc.line, x->loc.col);

	const Value *s = &g->vals[val(g, "s")];
	check(s->has_type && s->dt == DT_F32 && s->shape.rank == 0 && s->offset == 80 &&
	              !s->q.present && !s->has_range,
	      "rank-0 input f32[]");

	const Value *w = &g->vals[val(g, "w")];
	const int8_t wd[8] = {1, 2, 3, 4, -5, -6, -7, -128};
	check(w->kind == VK_CONST && w->dt == DT_I8 && w->data && memcmp(w->data, wd, 8) == 0,
	      "inline i8 constant");
	check(w->q.present && w->q.axis == 0 && w->q.n == 2 && w->q.scale[0] == 0.25f &&
	              w->q.scale[1] == 0.125f && w->q.zp == 0,
	      "per-channel q(axis=0, scale=[...])");
	const Value *b = &g->vals[val(g, "b")];
	check(b->dt == DT_I32 && ((int32_t *)b->data)[0] == 100000 &&
	              ((int32_t *)b->data)[1] == -100 && b->q.scale[1] == 1e-3f,
	      "inline i32 constant");
	const Value *f = &g->vals[val(g, "f")];
	const float *fd = f->data;
	check(fd[0] == 1.5f && fd[1] == 0 && signbit(fd[1]) && fd[2] == 300.0f,
	      "inline f32 constant (-0 keeps its sign)");
	check(((int64_t *)g->vals[val(g, "big")].data)[0] == INT64_MIN, "i64 minimum");
	check(((uint8_t *)g->vals[val(g, "u")].data)[1] == 255, "u8 255");

	check(g->nnode == 4, "four nodes (%d)", g->nnode);
	const Node *n0 = &g->nodes[0];
	check(n0->op == OP_DENSE && n0->nin == 3 && n0->in[0] == val(g, "x") &&
	              n0->in[1] == val(g, "w") && n0->in[2] == val(g, "b") &&
	              n0->out == val(g, "t1"),
	      "dense(x, w, b) operands and result");
	check(n0->a.act == ACT_RELU, "act = relu");
	check(n0->loc.line == 10 && n0->loc.col == 1, "node loc is its result name");
	const Value *t1 = &g->vals[val(g, "t1")];
	check(t1->kind == VK_TEMP && t1->has_type && t1->def == 0 && t1->has_calib &&
	              t1->calib[1] == 6 && !t1->has_range && t1->offset == 16,
	      "typed op result with calib and offset");
	check(g->nodes[1].op == OP_RELU && g->nodes[1].loc.line == 11,
	      "a statement may span lines");
	const Node *n2 = &g->nodes[2];
	check(n2->op == OP_RESHAPE && n2->a.nshape == 2 && n2->a.shape[0] == 2 &&
	              n2->a.shape[1] == -1,
	      "shape = [2, -1]");
	const Node *n3 = &g->nodes[3];
	check(n3->op == OP_CONV2D && n3->nin == 2 && n3->a.stride[0] == 2 && n3->a.stride[1] == 2 &&
	              n3->a.groups == 3 && n3->a.pad[0] == 0 && n3->a.dilation[1] == 1 &&
	              n3->a.act == ACT_NONE,
	      "given attributes set, others default");
	check(g->noutput == 2 && g->outputs[0] == val(g, "t3") && g->outputs[1] == val(g, "t4") &&
	              g->vals[val(g, "t3")].is_output && !g->vals[val(g, "t1")].is_output,
	      "outputs");
	check(g->arena_size == 96 + 48, "arena size from offsets (%lld)", (long long)g->arena_size);
	ir_graph_free(g);
}

static void test_untyped(void)
{
	const char text[] =
	        "model m  input x : f32[1,1,28,28]\n"
	        "const w : f32[2,1,1,1] = [1, 2]\n"
	        "t1 = conv2d(x, w) { pad = [1,1,1,1] } t2 = relu(t1) y = flatten(t2) { axis = 1 }\n"
	        "output y";
	char *msgs;
	int nerr;
	Graph *g = parse(text, NULL, &msgs, &nerr);

	check(g != NULL, "statements need no newlines (%s)", msgs);
	free(msgs);
	if (!g)
		return;
	const Value *t1 = &g->vals[val(g, "t1")];
	check(!t1->has_type && t1->offset == -1 && !t1->q.present, "untyped result has_type=0");
	check(g->arena_size == 0, "no offsets, no arena size");
	check(g->nodes[0].a.pad[3] == 1 && g->nodes[2].a.axis == 1, "attributes");
	ir_graph_free(g);
}

static void test_npy_const(void)
{
	char dir[] = "/tmp/qc_parser_XXXXXX", path[64], sub[64], text[256];
	const float data[6] = {1, 2, 3, 4, 5, 6.5f};
	Shape sh = {2, {2, 3}};
	Diag d = {0};
	char *msgs;
	int nerr;

	if (!mkdtemp(dir)) {
		check(0, "mkdtemp");
		return;
	}
	snprintf(sub, sizeof sub, "%s/w", dir);
	snprintf(path, sizeof path, "%s/w/a.npy", dir);
	mkdir(sub, 0755);
	check(ir_npy_write(path, DT_F32, &sh, data, &d) == 0, "write a.npy");

	snprintf(text, sizeof text,
	         "model m\ninput x : f32[3]\n"
	         "const a : f32[2,3] = npy(\"w/a.npy\")\ny = dense(x, a)\noutput y\n");
	Graph *g = parse(text, dir, &msgs, &nerr);
	check(g && memcmp(g->vals[val(g, "a")].data, data, sizeof data) == 0,
	      "npy() const read relative to the model's folder (%s)", msgs);
	free(msgs);
	ir_graph_free(g);

	/* the same through a file: fe_parse_file takes the folder from the path */
	snprintf(path, sizeof path, "%s/m.qg", dir);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	g = fe_parse_file(path, &d);
	check(g && g->vals[val(g, "a")].kind == VK_CONST, "fe_parse_file resolves npy()");
	ir_graph_free(g);

	snprintf(text, sizeof text, "model m\nconst a : f32[3,2] = npy(\"w/a.npy\")\noutput a\n");
	g = parse(text, dir, &msgs, &nerr);
	check(!g && strstr(msgs,
	                   "t.qg:2:26: error: a: npy file has shape [2,3], declared f32[3,2]"),
	      "npy shape mismatch: %s", msgs);
	free(msgs);
	snprintf(text, sizeof text, "model m\nconst a : i8[2,3] = npy(\"w/a.npy\")\noutput a\n");
	g = parse(text, dir, &msgs, &nerr);
	check(!g && strstr(msgs, "t.qg:2:25: error: a: npy file has dtype f32, declared i8[2,3]"),
	      "npy dtype mismatch: %s", msgs);
	free(msgs);
	snprintf(text, sizeof text,
	         "model m\nconst a : f32[2,3] = npy(\"w/none.npy\")\noutput a\n");
	g = parse(text, dir, &msgs, &nerr);
	check(!g && strstr(msgs, "t.qg:2:26: error: ") && strstr(msgs, "w/none.npy") &&
	              strstr(msgs, "No such file"),
	      "missing npy file: %s", msgs);
	free(msgs);

	unlink(path);
	snprintf(path, sizeof path, "%s/w/a.npy", dir);
	unlink(path);
	rmdir(sub);
	rmdir(dir);
}

static const struct {
	const char *name, *text, *expect[3];
	int nerr; /* errors expected; 0: at least one */
} bad[] = {
        {"empty file", "# only a comment\n", {"t.qg: error: empty file"}, 1},
        {"missing model line",
         "input x : f32[1]\noutput x\n",
         {"t.qg:1:1: error: expected 'model NAME'"},
         1},
        {"no output", "model m\ninput x : f32[1]\n", {"t.qg: error: model 'm' has no 'output'"}, 1},
        {"syntax error",
         "model m\ninput x f32[1]\noutput x\n",
         {"t.qg:2:9: error: unexpected name 'f32', expected ':'"},
         0},
        {"unexpected end",
         "model m\ninput x : f32[1]\nt = relu(x\n",
         {"t.qg:3:11: error: unexpected end of file, expected ')' or ','"},
         0},
        {"undefined operand",
         "model m\ninput x : f32[1]\ny = relu(z)\noutput y\n",
         {"t.qg:3:10: error: undefined name 'z'"},
         1},
        {"self reference",
         "model m\ny = relu(y)\noutput y\n",
         {"t.qg:2:10: error: 'y' is used in its own definition"},
         1},
        {"duplicate",
         "model m\ninput x : f32[1]\nx = relu(x)\noutput x\n",
         {"t.qg:3:1: error: duplicate name 'x'", "t.qg:2:7: note: 'x' was first defined here"},
         1},
        {"unknown op",
         "model m\ninput x : f32[1]\ny = frobnicate(x)\noutput y\n",
         {"t.qg:3:5: error: y: unknown op 'frobnicate'"},
         1},
        {"operand count",
         "model m\ninput x : f32[1]\ny = dense(x)\noutput y\n",
         {"t.qg:3:5: error: y: dense takes 2 to 3 operands, got 1"},
         1},
        {"unknown attribute",
         "model m\ninput x : f32[1]\ny = relu(x) { foo = 1 }\noutput y\n",
         {"t.qg:3:15: error: y: unknown attribute 'foo'"},
         1},
        {"attribute not of op",
         "model m\ninput x : f32[1]\ny = relu(x) { act = relu }\noutput y\n",
         {"t.qg:3:15: error: y: relu has no attribute 'act'"},
         1},
        {"attribute arity",
         "model m\ninput x : f32[1,1,4,4]\ny = maxpool2d(x) { kernel = [2] }\noutput y\n",
         {"t.qg:3:20: error: y: 'kernel' takes 2 integers, got 1"},
         1},
        {"attribute twice",
         "model m\ninput x : f32[1,4]\ny = flatten(x) { axis = 1, axis = 1 }\noutput y\n",
         {"t.qg:3:28: error: y: attribute 'axis' given twice"},
         1},
        {"bad act",
         "model m\ninput x : f32[1,4]\nconst w : f32[1,4] = [1,2,3,4]\n"
         "y = dense(x, w) { act = tanh }\noutput y\n",
         {"t.qg:4:19: error: y: 'act' takes none, relu or relu6"},
         1},
        {"non-integer attribute",
         "model m\ninput x : f32[1,4]\ny = flatten(x) { axis = 1.5 }\noutput y\n",
         {"t.qg:3:25: error: y: axis must be an integer, not '1.5'"},
         1},
        {"float attribute list",
         "model m\ninput x : f32[1,4]\ny = leaky_relu(x) { alpha = [1] }\noutput y\n",
         {"t.qg:3:21: error: y: 'alpha' takes one number"},
         1},
        {"float attribute name",
         "model m\ninput x : f32[1,4]\ny = leaky_relu(x) { alpha = relu }\noutput y\n",
         {"t.qg:3:21: error: y: 'alpha' takes one number"},
         1},
        {"float attribute overflow",
         "model m\ninput x : f32[1,4]\ny = clip(x) { min = 1e39 }\noutput y\n",
         {"t.qg:3:21: error: y: min '1e39' is not a finite f32"},
         1},
        {"bad dtype",
         "model m\ninput x : f16[1]\noutput x\n",
         {"t.qg:2:11: error: x: unknown dtype 'f16'"},
         1},
        {"zero dim",
         "model m\ninput x : f32[1,0]\noutput x\n",
         {"t.qg:2:17: error: x: a dimension must be an integer >= 1, not '0'"},
         1},
        {"rank 7",
         "model m\ninput x : f32[1,1,1,1,1,1,1]\noutput x\n",
         {"t.qg:2:27: error: x: rank 7 is more than 6"},
         1},
        {"too many elements",
         "model m\ninput x : f32[65536,65536]\noutput x\n",
         {"t.qg:2:11: error: x: shape [65536,65536] has more than 2^31 elements"},
         1},
        {"dims overflow",
         "model m\ninput x : f32[4294967296,4294967296,4294967296]\noutput x\n",
         {"t.qg:2:11: error: x: shape [4294967296,4294967296,4294967296] has more than 2^31"},
         1},
        {"q without scale",
         "model m\ninput x : i8[1] q(zp=1)\noutput x\n",
         {"t.qg:2:17: error: x: q(...) needs a scale"},
         1},
        {"q zero scale",
         "model m\ninput x : i8[1] q(scale=0, zp=1)\noutput x\n",
         {"t.qg:2:25: error: x: scale must be positive and finite, not '0'"},
         1},
        {"q huge scale",
         "model m\ninput x : i8[1] q(scale=1e39, zp=1)\noutput x\n",
         {"t.qg:2:25: error: x: scale must be positive and finite, not '1e39'"},
         1},
        {"q zp range",
         "model m\ninput x : i8[1] q(scale=1, zp=128)\noutput x\n",
         {"t.qg:2:31: error: x: zero point 128 is out of range [-128, 127]"},
         1},
        {"q axis range",
         "model m\nconst w : i8[2] q(axis=1, scale=[1,1]) = [1,2]\noutput w\n",
         {"t.qg:2:24: error: w: q axis 1 is out of range [0, 0]"},
         1},
        {"q scale count",
         "model m\nconst w : i8[2] q(axis=0, scale=[1,1,1]) = [1,2]\noutput w\n",
         {"t.qg:2:33: error: w: 3 scales given, but dimension 0 of [2] is 2"},
         1},
        {"q unknown key",
         "model m\ninput x : i8[1] q(scale=1, type=8)\noutput x\n",
         {"t.qg:2:28: error: x: unknown q parameter 'type'"},
         1},
        {"inline count",
         "model m\nconst w : f32[2,2] = [1, 2, 3]\noutput w\n",
         {"t.qg:2:22: error: w: 3 values given, f32[2,2] needs 4"},
         1},
        {"inline i8 range",
         "model m\nconst w : i8[2] = [1, -129]\noutput w\n",
         {"t.qg:2:23: error: w: i8 -129 is out of range [-128, 127]"},
         1},
        {"inline int not integer",
         "model m\nconst w : i32[2] = [1, 2.5]\noutput w\n",
         {"t.qg:2:24: error: w: i32 must be an integer, not '2.5'"},
         1},
        {"inline f32 overflow",
         "model m\nconst w : f32[1] = [-1e39]\noutput w\n",
         {"t.qg:2:21: error: w: value '-1e39' is not a finite f32"},
         1},
        {"empty range",
         "model m\ninput x : f32[1] range [1, 0]\noutput x\n",
         {"t.qg:2:18: error: x: range [1, 0] is empty"},
         1},
        {"negative offset",
         "model m\ninput x : f32[1] @-16\noutput x\n",
         {"t.qg:2:19: error: x: offset -16 is out of range"},
         1},
        {"offset without type",
         "model m\ninput x : f32[1] @0\ny @16 = relu(x)\noutput y\n",
         {"t.qg:3:4: error: y: an @offset needs a type"},
         1},
        {"output undefined",
         "model m\ninput x : f32[1]\noutput y\n",
         {"t.qg:3:8: error: undefined name 'y'"},
         1},
        {"output twice",
         "model m\ninput x : f32[1]\noutput x, x\n",
         {"t.qg:3:11: error: 'x' is already an output"},
         1},
        {"stray character",
         "model m\ninput x : f32[1] $\noutput x\n",
         {"t.qg:2:18: error: stray character '$'"},
         1},
        {"non-ASCII",
         "model m\ninput x\xc3\xa9 : f32[1]\noutput x\n",
         {"t.qg:2:8: error: stray byte 0xc3"},
         0},
        {"NUL byte", "model m\ninput x : f32[1]\noutput x\n\0", {"stray byte 0x00"}, 1},
        {"malformed number",
         "model m\ninput x : f32[1x]\noutput x\n",
         {"t.qg:2:15: error: malformed number '1x'"},
         0},
        {"unterminated string",
         "model m\nconst c : f32[1] = npy(\"abc\noutput c\n",
         {"t.qg:2:24: error: unterminated string"},
         0},
        {"keyword where a name is ambiguous",
         "model m\ninput x : f32[1]\noutput range # c\n"
         "= relu(x)\n",
         {"t.qg:3:8: error: undefined name 'range'", "t.qg:4:1: error: unexpected '='"},
         0},
        {"unexpected keyword",
         "model m\ninput x : f32[1] q range\n",
         {"t.qg:2:20: error: unexpected 'range', expected '('"},
         0},
};

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *msgs;
		int nerr;
		size_t len = strlen(bad[i].text);
		if (strcmp(bad[i].name, "NUL byte") == 0)
			len++; /* the NUL itself */
		FILE *f = open_memstream(&msgs, &(size_t){0});
		Diag d = {.out = f};
		Graph *g = fe_parse_string(bad[i].text, len, "t.qg", NULL, &d);
		fclose(f);
		chomp(msgs);
		nerr = d.nerrors;
		int ok = !g && nerr > 0 && (bad[i].nerr == 0 || nerr == bad[i].nerr);
		for (int k = 0; k < 3 && bad[i].expect[k]; k++)
			ok = ok && strstr(msgs, bad[i].expect[k]);
		check(ok, "rejects %s: %s%s", bad[i].name, ok ? bad[i].expect[0] : msgs,
		      ok ? "" : "(unexpected message or count)");
		free(msgs);
		ir_graph_free(g);
	}
}

/* One run reports the independent errors of a file, and a syntax error does
 * not turn the rest of the file into noise. */
static void test_recovery(void)
{
	const char text[] =
	        "model m\n"
	        "input x : f32[1,4]\n"
	        "t1 = relu(x { }\n"               /* syntax error: t1 is broken */
	        "t2 = relu(t1)\n"                 /* no "undefined t1" */
	        "t3 = flatten(t2) { axis = [1,2] }\n" /* semantic error */
	        "t4 = relu(nothere)\n"            /* undefined */
	        "t5 = dense(t4 t3)\n"             /* syntax error mid-statement */
	        "t6 : f32[1,4] calib x = relu(t2)\n" /* the rest looks like a statement */
	        "output t2, t4\n";
	char *msgs;
	int nerr;
	Graph *g = parse(text, NULL, &msgs, &nerr);

	check(!g && nerr == 5, "recovery: 5 errors reported (%d)", nerr);
	check(strstr(msgs, "t.qg:3:13: error: unexpected '{'") != NULL, "first syntax error");
	check(!strstr(msgs, "'t1'"), "no cascade from a broken statement");
	check(strstr(msgs, "t.qg:5:20: error: t3: 'axis' takes 1 integer, got 2") != NULL,
	      "semantic error after a syntax error");
	check(strstr(msgs, "t.qg:6:11: error: undefined name 'nothere'") != NULL,
	      "undefined name after recovery");
	check(strstr(msgs, "t.qg:7:15: error: unexpected name 't3'") != NULL,
	      "second syntax error");
	check(strstr(msgs, "t.qg:8:21: error: unexpected name 'x', expected '['") != NULL,
	      "third syntax error");
	check(!strstr(msgs, "duplicate") && !strstr(msgs, "undefined name 't"),
	      "no fragment statements, no cascades");
	free(msgs);
}

/* Keywords are names wherever that is unambiguous (ONNX exports call their
 * tensors "input" and "output"). */
static void test_keywords(void)
{
	const char text[] = "model input\n"
	                    "input input : f32[1,4]\n"
	                    "const const : f32[4,4] = [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]\n"
	                    "output = dense(input, const)\n"
	                    "range : f32[1,4] range [0, 1] = relu(output)\n"
	                    "q = relu(range) model = relu(q)\n"
	                    "npy\n  = relu(model)\n"
	                    "output output, range, npy\n";
	char *msgs;
	int nerr;
	Graph *g = parse(text, NULL, &msgs, &nerr);

	check(g != NULL, "keywords as names (%s)", msgs);
	free(msgs);
	if (!g)
		return;
	check(strcmp(g->name, "input") == 0 && g->vals[val(g, "input")].kind == VK_INPUT &&
	              g->vals[val(g, "const")].kind == VK_CONST && g->nnode == 5 &&
	              g->nodes[0].out == val(g, "output") &&
	              g->nodes[1].in[0] == val(g, "output") && g->vals[val(g, "range")].has_range &&
	              g->noutput == 3 && g->outputs[2] == val(g, "npy"),
	      "keyword-named values are wired right");
	check(g->vals[val(g, "npy")].loc.line == 7 && g->vals[val(g, "npy")].loc.col == 1,
	      "a keyword-name's location");
	ir_graph_free(g);
}

static void test_misc(void)
{
	char *msgs;
	int nerr;
	Diag d = {0};
	FILE *f = open_memstream(&msgs, &(size_t){0});

	d.out = f;
	Graph *g = fe_parse_file("/nonexistent/dir/m.qg", &d);
	g = g ? g : fe_parse_file("/tmp", &d);
	fclose(f);
	chomp(msgs);
	check(!g && d.nerrors == 2 && strstr(msgs, "/nonexistent/dir/m.qg: error: cannot read") &&
	              strstr(msgs, "/tmp: error: cannot read the model: it is a directory"),
	      "missing file and directory are reported: %s", msgs);
	free(msgs);

	/* earlier errors in the same Diag do not fail a good parse */
	Diag d2 = {.nerrors = 5};
	const char text[] = "model m\ninput x : f32[1]\noutput x\n";
	g = fe_parse_string(text, strlen(text), "t.qg", NULL, &d2);
	check(g != NULL && d2.nerrors == 5, "earlier errors in the Diag are not ours");
	ir_graph_free(g);

	/* comments anywhere, strings with escapes */
	const char text2[] = "model m # c\n# c2\ninput x#c3\n: f32[2]#\noutput x";
	g = parse(text2, NULL, &msgs, &nerr);
	check(g != NULL, "comments between tokens (%s)", msgs);
	free(msgs);
	ir_graph_free(g);
}

int main(void)
{
	test_good();
	test_untyped();
	test_npy_const();
	test_bad();
	test_recovery();
	test_keywords();
	test_misc();
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail != 0;
}
