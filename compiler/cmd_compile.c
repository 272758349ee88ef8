/* cmd_compile.c — `quantc compile MODEL -o OUT.o`: the whole pipeline, then
 * the LLVM backend. */
#include "driver.h"

/* --passes ran as given: what the object needs and the graph lacks is named
 * with the passes to add.  Returns 0, or -1 (diagnosed). */
static int drv_check_planned(const Options *o, const Graph *g, Diag *d)
{
	const char *need = NULL;

	for (int v = 0; v < g->nval && !need; v++)
		if (!g->vals[v].has_type)
			need = "infer-shapes,plan-memory";
	if (!need && g->arena_size <= 0 && g->nval > 0)
		need = "plan-memory";
	if (!need)
		return 0;
	const char *lacks = need[0] == 'i' ? "no types (shapes) and no memory plan"
	                                   : "no memory plan";
	if (!o->passes[0])
		diag_error(d, loc_file(o->model), "the graph has %s: add --passes %s", lacks, need);
	else
		diag_error(d, loc_file(o->model),
		           "the graph has %s: add %s to --passes "
		           "(--passes %s,%s)",
		           lacks, need, o->passes, need);
	return -1;
}

int cmd_compile(const Options *o, Diag *d)
{
	Graph *g;
	NpyArray calib;
	int rc;

	if (!o->out) {
		diag_error(d, loc_none(), "compile: no output given (-o OUT.o)");
		return EXIT_USAGE;
	}
	/* what can be checked before the model is read */
	if ((o->tgt.name && tgt_check_name(o->tgt.name, 1, loc_none(), d)) ||
	    tgt_check_output(o->out, o->tgt.emit, d))
		return EXIT_INPUT;
	if ((rc = drv_load_and_run(o, &g, &calib, d)))
		goto out;
	/* the model's own name, diagnosed at the model */
	if ((!o->tgt.name && tgt_check_name(g->name, 0, loc_file(o->model), d)) ||
	    (o->passes && drv_check_planned(o, g, d))) {
		rc = EXIT_INPUT;
		ir_graph_free(g);
		goto out;
	}
	TgtOptions t = o->tgt;
	t.out_obj = o->out;
	if (tgt_compile(g, &t, d))
		rc = EXIT_INPUT;
	ir_graph_free(g);
out:
	ir_npy_free(&calib);
	return rc;
}
