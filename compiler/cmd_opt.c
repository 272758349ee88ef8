/* cmd_opt.c — `quantc opt MODEL --passes P1,P2 [-o OUT.qg]`: parse, run
 * exactly the given passes (none by default), verify, print the IR.  With
 * -o, large constants are written as OUT.<name>.npy beside OUT.qg. */
#include <stdlib.h>
#include <string.h>

#include "driver.h"

int cmd_opt(const Options *o, Diag *d)
{
	Options oo = *o;
	Graph *g;
	NpyArray calib;
	int rc;

	if (!oo.passes && !o->auto_precision) /* auto needs quantize: the default */
		oo.passes = "";
	if ((rc = drv_load_and_run(&oo, &g, &calib, d)))
		goto out;
	if (ir_verify(g, d)) {
		rc = EXIT_INTERNAL;
		goto free;
	}
	if (!o->out) {
		PrintOptions po = {NULL, o->pipe.elide_constants, NULL, NULL};
		rc = ir_print(stdout, g, &po, d) ? EXIT_INPUT : 0;
		goto free;
	}
	/* OUT.qg's constants go beside it, named after its basename */
	char *dir = ir_xstrdup(o->out), *slash = strrchr(dir, '/');
	const char *base = slash ? slash + 1 : o->out;
	char *prefix = ir_xmalloc(strlen(base) + 2);
	strcpy(prefix, base);
	char *dot = strrchr(prefix, '.');
	if (dot)
		*dot = 0;
	strcat(prefix, ".");
	if (slash)
		*slash = 0;
	else
		strcpy(dir, ".");
	PrintOptions po = {NULL, o->pipe.elide_constants, dir, prefix};
	AtomicFile af;
	rc = EXIT_INPUT;
	if (ir_atomic_open(&af, o->out, d) == 0) {
		if (ir_print(af.f, g, &po, d) == 0 && ir_atomic_commit(&af, d) == 0)
			rc = 0;
		else
			ir_atomic_abort(&af);
	}
	free(dir);
	free(prefix);
free:
	ir_graph_free(g);
out:
	ir_npy_free(&calib);
	return rc;
}
