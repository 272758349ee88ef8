/* ir/print.c — the graph as .qg text, the dump format of every pass.
 *
 * The output is canonical: parsing a dump and printing it again gives the
 * same bytes (a test checks it).  So every attribute the op accepts is
 * printed even when it has its default value, statements come in a fixed
 * order (inputs, constants, nodes, outputs) and floats are printed with
 * "%.9g", which reproduces every float32 exactly.  Large constants go to .npy
 * files beside the dump (npy.c).
 *
 * IR printed for reading (--print-after and co. on stderr, `quantc opt` on a
 * terminal) may be elided instead: a constant or a per-channel scale list of
 * more than IR_INLINE_MAX elements shows its first three and its length.
 * That form does not parse back; a dump is never elided.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"
#include "npy.h"
#include "ir_rules.h"

static void pfloat(FILE *f, float x)
{
	fprintf(f, "%.9g", (double)x);
}

/* A range bound.  An infinite one would not read back as a number: it is
 * printed as the largest float, which says the same for every use. */
static void pbound(FILE *f, float x)
{
	if (isinf(x))
		x = x > 0 ? FLT_MAX : -FLT_MAX;
	pfloat(f, x);
}

/* Shortened forms are for reading only: a dump (npy_dir set) is always whole. */
static int eliding(const PrintOptions *po)
{
	return po->elide_constants && !po->npy_dir;
}

static void ptype(FILE *f, const Value *v, const PrintOptions *po)
{
	fprintf(f, " : %s[", ir_dtype_name(v->dt));
	for (int i = 0; i < v->shape.rank; i++)
		fprintf(f, "%s%lld", i ? "," : "", (long long)v->shape.d[i]);
	fputc(']', f);
	if (!v->q.present)
		return;
	const QParams *q = &v->q;
	if (q->axis < 0) {
		fputs(" q(scale=", f);
		pfloat(f, q->n > 0 ? q->scale[0] : 0);
		fprintf(f, ", zp=%d%s)", (int)q->zp, q->i16 ? ", bits=16" : "");
		return;
	}
	fprintf(f, " q(axis=%d, scale=[", q->axis);
	int shown = eliding(po) && q->n > IR_INLINE_MAX ? 3 : q->n;
	for (int i = 0; i < shown; i++) {
		if (i)
			fputs(", ", f);
		pfloat(f, q->scale[i]);
	}
	if (shown < q->n)
		fprintf(f, ", ... (%d values)", q->n);
	fputs("])", f);
}

/* range [lo, hi] calib [lo, hi] clip [lo, hi] @offset, the parts that are set */
static void pdecor(FILE *f, const Value *v)
{
	if (v->has_range) {
		fputs(" range [", f);
		pbound(f, v->range[0]);
		fputs(", ", f);
		pbound(f, v->range[1]);
		fputc(']', f);
	}
	if (v->has_calib) {
		fputs(" calib [", f);
		pbound(f, v->calib[0]);
		fputs(", ", f);
		pbound(f, v->calib[1]);
		fputc(']', f);
	}
	if (v->has_clip) {
		fputs(" clip [", f);
		pbound(f, v->clip[0]);
		fputs(", ", f);
		pbound(f, v->clip[1]);
		fputc(']', f);
	}
	if (v->offset >= 0 && v->has_type)
		fprintf(f, " @%lld", (long long)v->offset);
}

static void pelem(FILE *f, DType dt, const void *data, int64_t i)
{
	switch (dt) {
	case DT_F32: pfloat(f, ((const float *)data)[i]); break;
	case DT_I8: fprintf(f, "%d", ((const int8_t *)data)[i]); break;
	case DT_U8: fprintf(f, "%d", ((const uint8_t *)data)[i]); break;
	case DT_I16: fprintf(f, "%d", ((const int16_t *)data)[i]); break;
	case DT_I32: fprintf(f, "%d", (int)((const int32_t *)data)[i]); break;
	case DT_I64: fprintf(f, "%lld", (long long)((const int64_t *)data)[i]); break;
	default: fputc('?', f); break;
	}
}

static int has_nonfinite(const Value *v, int64_t numel)
{
	if (v->dt != DT_F32)
		return 0;
	for (int64_t i = 0; i < numel; i++)
		if (!isfinite(((const float *)v->data)[i]))
			return 1;
	return 0;
}

/* Writes v's data to <npy_dir>/<prefix><name>.npy and prints the reference,
 * relative to the dump's folder (npy_dir). */
static int pnpy(FILE *f, const Value *v, const PrintOptions *po, Diag *d)
{
	const char *prefix = po->npy_prefix ? po->npy_prefix : "";
	size_t nd = strlen(po->npy_dir), np = strlen(prefix), nn = strlen(v->name);
	char *path = ir_xmalloc(nd + np + nn + 8);
	char *base = path + nd + 1;

	memcpy(path, po->npy_dir, nd);
	path[nd] = '/';
	memcpy(base, prefix, np);
	/* value names are identifiers already; keep file names tame regardless */
	for (size_t i = 0; i < nn; i++) {
		char c = v->name[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
		base[np + i] = ok ? c : '_';
	}
	strcpy(base + np + nn, ".npy");
	int rc = ir_npy_write(path, v->dt, &v->shape, v->data, d);
	fputs(" = npy(\"", f);
	for (const char *s = base; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputs("\")", f);
	free(path);
	return rc;
}

static int pdata(FILE *f, const Value *v, const PrintOptions *po, Diag *d)
{
	int64_t numel = ir_shape_numel(&v->shape);

	if (!v->data || !v->has_type) {
		fputs(" = <no data>", f);
		return 0;
	}
	if (eliding(po) && numel > IR_INLINE_MAX) {
		fputs(" = [", f);
		for (int i = 0; i < 3; i++) {
			pelem(f, v->dt, v->data, i);
			fputs(", ", f);
		}
		fprintf(f, "... (%lld values)]", (long long)numel);
		return 0;
	}
	if (po->npy_dir && (numel > IR_INLINE_MAX || has_nonfinite(v, numel)))
		return pnpy(f, v, po, d);
	fputs(" = [", f);
	for (int64_t i = 0; i < numel; i++) {
		if (i)
			fputs(", ", f);
		pelem(f, v->dt, v->data, i);
	}
	fputc(']', f);
	return 0;
}

static void pints(FILE *f, const int64_t *v, int n, int list)
{
	if (list)
		fputc('[', f);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s%lld", i ? "," : "", (long long)v[i]);
	if (list)
		fputc(']', f);
}

/* { name = value, ... }: every attribute of the op, in IR_ATTRS order */
static void pattrs(FILE *f, const Node *n)
{
	unsigned mask = ir_ops[n->op].attrs;
	const Attrs *a = &n->a;
	int first = 1;

	for (int ai = 0; ai < AI_COUNT; ai++) {
		if (!(mask & (1u << ai)))
			continue;
		/* attributes added later print only when set (the family's rule) */
		if (ir_rules_of(n->op)->print_attr && !ir_rules_of(n->op)->print_attr(n, ai))
			continue;
		fprintf(f, "%s%s = ", first ? " { " : ", ", ir_attrs[ai].name);
		first = 0;
		switch (ai) {
		case AI_STRIDE: pints(f, a->stride, 2, 1); break;
		case AI_PAD: pints(f, a->pad, 4, 1); break;
		case AI_DILATION: pints(f, a->dilation, 2, 1); break;
		case AI_KERNEL: pints(f, a->kernel, 2, 1); break;
		case AI_GROUPS: pints(f, &a->groups, 1, 0); break;
		case AI_AXIS: pints(f, &a->axis, 1, 0); break;
		case AI_ACT: fputs(ir_act_name(a->act), f); break;
		case AI_SHAPE: pints(f, a->shape, a->nshape, 1); break;
		case AI_COUNT_PAD: pints(f, &a->count_pad, 1, 0); break;
		case AI_PERM: pints(f, a->perm, a->nperm, 1); break;
		case AI_PADS: pints(f, a->pads, a->npads, 1); break;
		case AI_ALPHA: pfloat(f, a->alpha); break;
		case AI_BETA: pfloat(f, a->beta); break;
		case AI_MIN: pfloat(f, a->min); break;
		case AI_MAX: pfloat(f, a->max); break;
		case AI_VALUE: pfloat(f, a->value); break;
		case AI_POOL: pints(f, a->pool, 2, 1); break;
		case AI_POOL_STRIDE: pints(f, a->pool_stride, 2, 1); break;
		case AI_POOL_PAD: pints(f, a->pool_pad, 4, 1); break;
		case AI_POOL_DILATION: pints(f, a->pool_dilation, 2, 1); break;
		case AI_STARTS: pints(f, a->starts, a->nstarts, 1); break;
		case AI_ENDS: pints(f, a->ends, a->nends, 1); break;
		case AI_AXES: pints(f, a->axes, a->naxes, 1); break;
		case AI_STEPS: pints(f, a->steps, a->nsteps, 1); break;
		case AI_MODE: fputs(ir_attr_words(ai)[a->mode], f); break;
		case AI_COORD: fputs(ir_attr_words(ai)[a->coord], f); break;
		case AI_KEEPDIMS: pints(f, &a->keepdims, 1, 0); break;
		case AI_PAD_MODE: fputs(ir_attr_words(ai)[a->pad_mode], f); break;
		default: ICE("attribute %d has no printer", ai);
		}
	}
	if (a->scratch[1] > 0) {
		fprintf(f, "%sscratch = ", first ? " { " : ", ");
		first = 0;
		pints(f, a->scratch, 2, 1);
	}
	if (a->layout == IR_LAYOUT_NHWC) {
		fprintf(f, "%slayout = nhwc", first ? " { " : ", ");
		first = 0;
	}
	if (!first)
		fputs(" }", f);
}

static void pnode(FILE *f, const Graph *g, const Node *n, const PrintOptions *po)
{
	const Value *v = &g->vals[n->out];

	fputs(v->name, f);
	if (v->has_type)
		ptype(f, v, po);
	pdecor(f, v);
	fprintf(f, " = %s(", ir_ops[n->op].name);
	for (int i = 0; i < n->nin; i++)
		fprintf(f, "%s%s", i ? ", " : "", g->vals[n->in[i]].name);
	fputc(')', f);
	pattrs(f, n);
	fputc('\n', f);
}

int ir_print(FILE *f, Graph *g, const PrintOptions *po, Diag *d)
{
	static const PrintOptions none;
	int rc = 0, any;

	if (!po)
		po = &none;
	if (po->heading) {
		fputs("# ", f);
		for (const char *s = po->heading; *s; s++) {
			fputc(*s, f);
			if (*s == '\n' && s[1])
				fputs("# ", f);
		}
		if (po->heading[0] == 0 || po->heading[strlen(po->heading) - 1] != '\n')
			fputc('\n', f);
	}
	fprintf(f, "model %s%s\n", g->name ? g->name : "model",
	        g->requant_float ? " { requant = float }" : "");

	if (g->ninput)
		fputc('\n', f);
	for (int i = 0; i < g->ninput; i++) {
		const Value *v = &g->vals[g->inputs[i]];
		fprintf(f, "input %s", v->name);
		if (v->has_type)
			ptype(f, v, po);
		pdecor(f, v);
		fputc('\n', f);
	}

	any = 0;
	for (int i = 0; i < g->nval; i++) {
		const Value *v = &g->vals[i];
		if (v->kind != VK_CONST)
			continue;
		if (!any++)
			fputc('\n', f);
		fprintf(f, "const %s", v->name);
		if (v->has_type)
			ptype(f, v, po);
		if (pdata(f, v, po, d))
			rc = -1;
		fputc('\n', f);
	}

	any = 0;
	for (int i = 0; i < g->nnode; i++) {
		if (g->nodes[i].op == OP_NONE)
			continue;
		if (!any++)
			fputc('\n', f);
		pnode(f, g, &g->nodes[i], po);
	}

	if (g->noutput) {
		fputs("\noutput ", f);
		for (int i = 0; i < g->noutput; i++)
			fprintf(f, "%s%s", i ? ", " : "", g->vals[g->outputs[i]].name);
		fputc('\n', f);
	}
	return rc;
}
