/* test_graph_clone.c — ir_graph_clone makes a deep copy: the copy prints
 * the same as the original (float, and quantized with a memory plan), still
 * does after the original is freed, and changing one changes nothing in the
 * other (constant data, quantization scales, names, new values). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend.h"
#include "passes.h"
#include "check.h"

/* ir_print into a malloc'd string */
static char *print(Graph *g)
{
	char *s;
	size_t n;
	FILE *f = open_memstream(&s, &n);
	Diag d = {0};
	PrintOptions po = {0};

	ir_print(f, g, &po, &d);
	fclose(f);
	return s;
}

/* Clones g, checks both print the same, frees g; returns the clone. */
static Graph *clone_and_free(Graph *g, const char *what)
{
	char *a = print(g);
	Graph *c = ir_graph_clone(g);
	char *b = print(c);

	check(strcmp(a, b) == 0, "%s: the clone prints as the original (%zu bytes)", what,
	      strlen(a));
	check(c->nval == g->nval && c->nnode == g->nnode && c->arena_size == g->arena_size,
	      "%s: same values (%d), nodes (%d), arena (%lld)", what, c->nval, c->nnode,
	      (long long)c->arena_size);
	ir_graph_free(g);
	free(b);
	b = print(c);
	check(strcmp(a, b) == 0, "%s: ... and still does once the original is freed", what);
	free(a);
	free(b);
	return c;
}

int main(int argc, char **argv)
{
	char path[4096];
	Diag d = {0};

	snprintf(path, sizeof path, "%s/../examples/fashion_mnist/cnn.qg",
	         argc > 3 ? argv[3] : "tests");
	Graph *g = fe_parse_file(path, &d);
	check(g != NULL, "parse %s", path);
	if (!g)
		return check_report();
	g = clone_and_free(g, "cnn as parsed");

	PassContext ctx = {.precision = PREC_INT8};
	PipelineOptions po = {0};
	int rc = pass_run_pipeline(g, pass_static_pipeline(PREC_INT8), &ctx, &po, &d);
	check(rc == 0 && g->arena_size > 0, "quantize cnn from its declared input range");
	g = clone_and_free(g, "cnn quantized and planned");

	/* independence: edit the copy, the original does not move */
	Graph *c = ir_graph_clone(g);
	char *before = print(g);
	int w = ir_value_find(c, "w1");
	check(w >= 0 && c->vals[w].q.present && c->vals[w].kind == VK_CONST,
	      "the copy has w1, quantized");
	if (w >= 0) {
		((int8_t *)c->vals[w].data)[0] ^= 1;
		c->vals[w].q.scale[0] *= 2;
		c->vals[w].name[0] = 'v';
	}
	check(ir_value_new(c, "extra", VK_TEMP, loc_none()) >= 0 && ir_value_find(g, "extra") < 0,
	      "a value added to the copy is not in the original");
	char *after = print(g);
	check(strcmp(before, after) == 0, "the original is unchanged by edits of the copy's data, "
	                                  "scales and names");
	check(ir_value_find(g, "w1") >= 0 && ir_value_find(c, "extra") >= 0,
	      "each graph's name table finds its own values");
	free(before);
	free(after);
	ir_graph_free(c);
	ir_graph_free(g);

	Graph *e = ir_graph_new("empty");
	Graph *ec = ir_graph_clone(e);
	check(ec->nval == 0 && ec->nnode == 0 && strcmp(ec->name, "empty") == 0,
	      "an empty graph clones");
	ir_graph_free(e);
	ir_graph_free(ec);
	return check_report();
}
