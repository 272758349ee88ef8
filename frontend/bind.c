/* frontend/bind.c — inputs bound at compile time (--bind NAME=FILE.npy,
 * docs/cli.md): the option's NAME=FILE form, the check of a file against the
 * input it binds (element type and shape), and for a .qg model the input made
 * a constant.  A bound input is a constant from the start: the model has one
 * input fewer, and what is computed from it folds (an AOT compiler takes a
 * shape given as an input this way).  The ONNX importer binds an input as it
 * reads the graph's inputs (onnx.c), before any node, so that its import-time
 * folding sees the value. */
#include <string.h>

#include "frontend.h"

const char *fe_bind_file(const FeReadOptions *o, const char *name)
{
	size_t n = strlen(name);

	for (int i = 0; o && i < o->nbinds; i++)
		if (strncmp(o->binds[i], name, n) == 0 && o->binds[i][n] == '=')
			return o->binds[i] + n + 1;
	return NULL;
}

int fe_bind_unknown(const FeReadOptions *o, int (*has)(const void *ctx, const char *name),
                    const void *ctx, Diag *d)
{
	int bad = 0;

	for (int i = 0; o && i < o->nbinds; i++) {
		const char *eq = strchr(o->binds[i], '=');
		char name[256];
		snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - o->binds[i]) : 0, o->binds[i]);
		if (!has(ctx, name)) {
			diag_error(d, loc_none(), "--bind %s: the model has no input named '%s'",
			           o->binds[i], name);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

/* "f32[1,3]" into buf. */
static const char *type_str(DType dt, const Shape *s, char *buf, size_t n)
{
	char sh[96];

	snprintf(buf, n, "%s%s", ir_dtype_name(dt), ir_shape_str(s, sh, sizeof sh));
	return buf;
}

int fe_bind_read(const char *path, const char *name, DType dt, const Shape *decl, NpyArray *a,
                 Diag *d)
{
	char b1[128], b2[128];
	int ok;

	if (ir_npy_read(path, a, d, loc_file(path)))
		return -1;
	ok = a->dt == dt && a->shape.rank == decl->rank;
	for (int k = 0; ok && k < decl->rank; k++)
		ok = decl->d[k] < 0 ? a->shape.d[k] >= 1 : a->shape.d[k] == decl->d[k];
	if (!ok) {
		/* a symbolic dimension (-1) reads "-1": any extent of at least 1 */
		diag_error(d, loc_file(path),
		           "--bind: input '%s' is %s, the file holds %s (the type and shape must "
		           "be the input's)",
		           name, type_str(dt, decl, b1, sizeof b1),
		           type_str(a->dt, &a->shape, b2, sizeof b2));
		ir_npy_free(a);
		return -1;
	}
	return 0;
}

static int qg_has(const void *ctx, const char *name)
{
	const Graph *g = ctx;
	int v = ir_value_find(g, name);

	return v >= 0 && g->vals[v].kind == VK_INPUT;
}

int fe_bind_qg(Graph *g, const FeReadOptions *o, Diag *d)
{
	if (!o || !o->nbinds)
		return 0;
	if (fe_bind_unknown(o, qg_has, g, d))
		return -1;
	for (int i = 0; i < g->ninput; i++) {
		int v = g->inputs[i];
		Value *val = &g->vals[v];
		const char *path = fe_bind_file(o, val->name);
		NpyArray a;
		if (!path)
			continue;
		if (fe_bind_read(path, val->name, val->dt, &val->shape, &a, d))
			return -1;
		val->kind = VK_CONST;
		val->data = ir_alloc(g, (size_t)ir_value_bytes(val));
		memcpy(val->data, a.data, (size_t)ir_value_bytes(val));
		val->has_range = 0; /* a constant's range is its data */
		ir_npy_free(&a);
		memmove(&g->inputs[i], &g->inputs[i + 1],
		        (size_t)(g->ninput - i - 1) * sizeof *g->inputs);
		g->ninput--;
		i--;
	}
	if (g->ninput == 0) {
		diag_error(d, loc_file(g->file),
		           "--bind: every input of the model is bound; a model needs one input "
		           "at least");
		return -1;
	}
	return 0;
}
