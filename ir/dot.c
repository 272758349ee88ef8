/* dot.c — the graph as a Graphviz picture (`quantc inspect --dot`, and one
 * NN-pass.dot beside each dump of --dump-dir).
 *
 * One box per op, labelled with the op, its result and the attributes that
 * differ from their defaults; constants are not drawn as nodes of their own
 * but listed in their consumer's box (a conv's weights and bias say more as
 * "w1 i8[64,1,3,3] per-channel" than as two more boxes).  Inputs and outputs
 * are house shapes pointing into and out of the graph.  Every edge carries
 * the value's name, type and quantization, and every box is filled with the
 * colour of its result's storage type, explained by a legend.
 *
 * The output depends on nothing but the graph, so equal graphs give equal
 * files (dumps are diffed and tested byte for byte).
 */
#include <string.h>

#include "ir.h"
#include "ir_rules.h"

/* Fill colours by storage type: float cool, integer warm, wider integers
 * darker.  Values without a type yet (dumps before infer-shapes) are grey. */
static const char *dt_color(int typed, DType dt)
{
	if (!typed)
		return "#e0e0e0";
	switch (dt) {
	case DT_F32: return "#cfe2f3";
	case DT_I8: return "#fde3c3";
	case DT_I16: return "#d5ecc8";
	case DT_I32: return "#e8cfe0";
	default: return "#eeeeee";
	}
}

/* Writes s inside a double-quoted dot string. */
static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
}

/* "i8[1,64,28,28]", or "?" before infer-shapes. */
static void type_str(const Value *v, char *buf, size_t n)
{
	char sh[96];
	if (!v->has_type)
		snprintf(buf, n, "?");
	else
		snprintf(buf, n, "%s%s", ir_dtype_name(v->dt),
		         ir_shape_str(&v->shape, sh, sizeof sh));
}

/* "s=0.00598 zp=-128", "per-channel", or "" when not quantized. */
static void q_str(const Value *v, char *buf, size_t n)
{
	if (!v->q.present)
		buf[0] = 0;
	else if (v->q.axis >= 0)
		snprintf(buf, n, "per-channel");
	else
		snprintf(buf, n, "s=%.4g zp=%d", (double)v->q.scale[0], (int)v->q.zp);
}

/* "name  type  quant" of a value, as one label line (escaped). */
static void value_line(FILE *f, const Value *v)
{
	char t[128], q[64];
	type_str(v, t, sizeof t);
	q_str(v, q, sizeof q);
	esc(f, v->name);
	fprintf(f, " %s%s%s", t, q[0] ? " " : "", q);
}

static void ints(FILE *f, const int64_t *x, int n)
{
	for (int i = 0; i < n; i++)
		fprintf(f, "%s%lld", i ? "," : "", (long long)x[i]);
}

/* The attributes of n that differ from their defaults, "pad 1,1,1,1 act relu". */
static void attrs_line(FILE *f, const Node *n)
{
	Attrs def;
	const Attrs *a = &n->a;
	unsigned mask = ir_ops[n->op].attrs;
	int any = 0;

	ir_attrs_default(&def);
#define SEP() fputs(any++ ? " " : "\\n", f)
	if ((mask & A_KERNEL) && memcmp(a->kernel, def.kernel, sizeof a->kernel)) {
		SEP();
		fputs("kernel ", f);
		ints(f, a->kernel, 2);
	}
	if ((mask & A_STRIDE) && memcmp(a->stride, def.stride, sizeof a->stride)) {
		SEP();
		fputs("stride ", f);
		ints(f, a->stride, 2);
	}
	if ((mask & A_PAD) && memcmp(a->pad, def.pad, sizeof a->pad)) {
		SEP();
		fputs("pad ", f);
		ints(f, a->pad, 4);
	}
	if ((mask & A_DILATION) && memcmp(a->dilation, def.dilation, sizeof a->dilation)) {
		SEP();
		fputs("dilation ", f);
		ints(f, a->dilation, 2);
	}
	if ((mask & A_GROUPS) && a->groups != def.groups) {
		SEP();
		fprintf(f, "groups %lld", (long long)a->groups);
	}
	if ((mask & A_AXIS) && a->axis != def.axis) {
		SEP();
		fprintf(f, "axis %lld", (long long)a->axis);
	}
	if ((mask & A_ACT) && a->act != ACT_NONE) {
		SEP();
		fprintf(f, "act %s", ir_act_name(a->act));
	}
	if (mask & A_SHAPE) {
		SEP();
		fputs("shape ", f);
		ints(f, a->shape, a->nshape);
	}
	if ((mask & A_COUNT_PAD) && a->count_pad) {
		SEP();
		fputs("count_pad 1", f);
	}
	if (mask & A_PERM) {
		SEP();
		fputs("perm ", f);
		ints(f, a->perm, a->nperm);
	}
	if (mask & A_PADS) {
		SEP();
		fputs("pads ", f);
		ints(f, a->pads, a->npads);
		if (a->pad_mode != IR_PAD_CONSTANT)
			fprintf(f, " %s", ir_attr_words(AI_PAD_MODE)[a->pad_mode]);
	}
	if (mask & A_ALPHA) {
		SEP();
		fprintf(f, "alpha %g", (double)a->alpha);
	}
	/* softmax's beta only when it is not its default 1 (the printer's rule) */
	if ((mask & A_BETA) &&
	    (!ir_rules_of(n->op)->print_attr || ir_rules_of(n->op)->print_attr(n, AI_BETA))) {
		SEP();
		fprintf(f, "beta %g", (double)a->beta);
	}
	if (mask & A_MIN) {
		SEP();
		fprintf(f, "min %g", (double)a->min);
	}
	if (mask & A_MAX) {
		SEP();
		fprintf(f, "max %g", (double)a->max);
	}
	if ((mask & A_VALUE) && a->value != 0) {
		SEP();
		fprintf(f, "value %g", (double)a->value);
	}
	if (mask & A_STARTS) { /* slice: [starts, ends) by steps on axes */
		SEP();
		fputs("slice ", f);
		ints(f, a->starts, a->nstarts);
		fputs(" to ", f);
		ints(f, a->ends, a->nends);
		if (a->naxes) {
			fputs(" axes ", f);
			ints(f, a->axes, a->naxes);
		}
		if (a->nsteps) {
			fputs(" steps ", f);
			ints(f, a->steps, a->nsteps);
		}
	}
	if (mask & A_MODE) { /* resize */
		SEP();
		fprintf(f, "%s %s", ir_attr_words(AI_MODE)[a->mode],
		        ir_attr_words(AI_COORD)[a->coord]);
	}
	if ((mask & A_POOL) && ir_has_pool(n)) { /* a line of its own: not the conv's stride */
		fputs("\\nmaxpool ", f);
		ints(f, a->pool, 2);
		any++;
		fputs(" stride ", f);
		ints(f, a->pool_stride, 2);
		if (memcmp(a->pool_pad, def.pool_pad, sizeof a->pool_pad)) {
			fputs(" pad ", f);
			ints(f, a->pool_pad, 4);
		}
		if (memcmp(a->pool_dilation, def.pool_dilation, sizeof a->pool_dilation)) {
			fputs(" dilation ", f);
			ints(f, a->pool_dilation, 2);
		}
	}
#undef SEP
}

/* The dot node that produces value v: an op's box or an input's house;
 * NULL for constants (folded into their consumers). */
static const char *producer(const Graph *g, int v, char *buf, size_t n)
{
	const Value *val = &g->vals[v];
	if (val->def >= 0)
		snprintf(buf, n, "n%d", val->def);
	else if (val->kind == VK_INPUT) {
		for (int i = 0; i < g->ninput; i++)
			if (g->inputs[i] == v)
				snprintf(buf, n, "in%d", i);
	} else
		return NULL;
	return buf;
}

static void edge(FILE *f, const Graph *g, int v, const char *to)
{
	char from[32];
	if (!producer(g, v, from, sizeof from))
		return;
	fprintf(f, "\t%s -> %s [label=\"", from, to);
	const Value *val = &g->vals[v];
	char t[128], q[64];
	type_str(val, t, sizeof t);
	q_str(val, q, sizeof q);
	esc(f, val->name);
	fprintf(f, " %s%s%s\"];\n", t, q[0] ? "\\n" : "", q);
}

static void legend(FILE *f, const Graph *g)
{
	static const DType always[] = {DT_F32, DT_I8, DT_I16};
	int used[DT_COUNT] = {0}, untyped = 0;

	for (size_t i = 0; i < sizeof always / sizeof always[0]; i++)
		used[always[i]] = 1;
	for (int v = 0; v < g->nval; v++) {
		if (g->vals[v].kind == VK_CONST)
			continue;
		if (g->vals[v].has_type)
			used[g->vals[v].dt] = 1;
		else
			untyped = 1;
	}
	/* one row of swatches beside the graph: a cluster ignores rank=same,
	 * the anonymous subgraph inside it does not */
	fputs("\tsubgraph cluster_legend {\n"
	      "\t\tlabel=\"storage type\"; style=dashed; color=\"#999999\";\n"
	      "\t\t{ rank=same;\n",
	      f);
	const char *prev = NULL;
	for (int t = DT_NONE + 1; t < DT_COUNT; t++) {
		if (!used[t])
			continue;
		const char *name = ir_dtype_name((DType)t);
		fprintf(f,
		        "\t\tlegend_%s [label=\"%s\", shape=box, style=\"rounded,filled\", fillcolor=\"%s\"];\n",
		        name, name, dt_color(1, (DType)t));
		/* invisible edges keep the swatches in type order */
		if (prev)
			fprintf(f, "\t\tlegend_%s -> legend_%s [style=invis];\n", prev, name);
		prev = name;
	}
	if (untyped) {
		fputs("\t\tlegend_untyped [label=\"no type yet\", shape=box, style=\"rounded,filled\", "
		      "fillcolor=\"#e0e0e0\"];\n",
		      f);
		fprintf(f, "\t\tlegend_%s -> legend_untyped [style=invis];\n", prev);
	}
	fputs("\t\t}\n\t}\n", f);
}

int ir_print_dot(FILE *f, const Graph *g, const char *title)
{
	char id[32];

	fputs("digraph quantc {\n", f);
	fputs("\tgraph [rankdir=TB, fontname=\"Helvetica\", fontsize=12, labelloc=t, label=\"", f);
	esc(f, title ? title : g->name);
	fputs("\"];\n", f);
	fputs("\tnode [fontname=\"Helvetica\", fontsize=10];\n", f);
	fputs("\tedge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n", f);
	for (int i = 0; i < g->ninput; i++) {
		const Value *v = &g->vals[g->inputs[i]];
		char t[128], q[64];
		type_str(v, t, sizeof t);
		q_str(v, q, sizeof q);
		fprintf(f, "\tin%d [shape=invhouse, style=filled, fillcolor=\"%s\", label=\"input ",
		        i, dt_color(v->has_type, v->dt));
		esc(f, v->name);
		fprintf(f, "\\n%s%s%s", t, q[0] ? " " : "", q);
		if (v->has_range)
			fprintf(f, "\\nrange [%.4g, %.4g]", (double)v->range[0],
			        (double)v->range[1]);
		fputs("\"];\n", f);
	}
	for (int n = 0; n < g->nnode; n++) {
		const Node *nd = &g->nodes[n];
		if (nd->op == OP_NONE)
			continue;
		const Value *out = &g->vals[nd->out];
		fprintf(f,
		        "\tn%d [shape=box, style=\"rounded,filled\", fillcolor=\"%s\", label=\"%s ",
		        n, dt_color(out->has_type, out->dt), ir_ops[nd->op].name);
		esc(f, out->name);
		attrs_line(f, nd);
		for (int k = 0; k < nd->nin; k++) {
			const Value *c = &g->vals[nd->in[k]];
			if (c->kind != VK_CONST)
				continue;
			fputs("\\n", f);
			value_line(f, c);
		}
		fputs("\"];\n", f);
	}
	for (int i = 0; i < g->noutput; i++) {
		const Value *v = &g->vals[g->outputs[i]];
		fprintf(f, "\tout%d [shape=house, style=filled, fillcolor=\"%s\", label=\"output ",
		        i, dt_color(v->has_type, v->dt));
		esc(f, v->name);
		fputs("\"];\n", f);
	}
	for (int n = 0; n < g->nnode; n++) {
		const Node *nd = &g->nodes[n];
		if (nd->op == OP_NONE)
			continue;
		snprintf(id, sizeof id, "n%d", n);
		for (int k = 0; k < nd->nin; k++)
			edge(f, g, nd->in[k], id);
	}
	for (int i = 0; i < g->noutput; i++) {
		snprintf(id, sizeof id, "out%d", i);
		edge(f, g, g->outputs[i], id);
	}
	legend(f, g);
	fputs("}\n", f);
	return ferror(f) ? -1 : 0;
}
