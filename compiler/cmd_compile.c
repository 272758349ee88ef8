/* cmd_compile.c — `quantc compile MODEL -o OUT.o`: the whole pipeline, then
 * the LLVM backend. */
#include "driver.h"

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
	if (!o->tgt.name && tgt_check_name(g->name, 0, loc_file(o->model), d)) {
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
	fe_npy_free(&calib);
	return rc;
}
