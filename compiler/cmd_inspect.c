/* cmd_inspect.c — `quantc inspect MODEL`: what the pipeline made of a model,
 * layer by layer: output type, quantization, MACs, parameter bytes, arena
 * placement and the bytes live while the layer runs; then the arena size
 * beside its lower bound and greedy by size, the code and data bytes of
 * the object compiled for the target, and the kernel each conv2d and dense
 * layer gets there (targets/kernels.c's chooser) with why the others
 * declined. */
#include <string.h>

#include "driver.h"

static void qstr(const Value *v, char *buf, size_t n)
{
	if (!v->q.present)
		snprintf(buf, n, "-");
	else if (v->q.axis < 0)
		snprintf(buf, n, "s=%.4g zp=%d", (double)v->q.scale[0], (int)v->q.zp);
	else
		snprintf(buf, n, "per-channel(%d)", v->q.n);
}

/* --dot: the graph the table describes, as a Graphviz picture. */
static int write_dot(const Options *o, const Graph *g, Diag *d)
{
	char title[512];
	AtomicFile af;

	snprintf(title, sizeof title, "%s after %s", g->name, drv_pipeline(o));
	if (ir_atomic_open(&af, o->dot, d))
		return -1;
	if (ir_print_dot(af.f, g, title)) {
		ir_atomic_abort(&af);
		return -1;
	}
	return ir_atomic_commit(&af, d);
}

static void range_str(int has, const float *r, char *buf, size_t n)
{
	if (has)
		snprintf(buf, n, "[%.4g, %.4g]", (double)r[0], (double)r[1]);
	else
		snprintf(buf, n, "-");
}

/* The range each activation was observed in (calibrate) beside the one
 * propagate-ranges proved, and how much wider the proof is. */
static void print_ranges(const Graph *g)
{
	char b1[64], b2[64], b3[32];
	int any = 0;

	for (int v = 0; v < g->nval; v++)
		any |= g->vals[v].kind != VK_CONST &&
		       (g->vals[v].has_calib || g->vals[v].has_range);
	if (!any)
		return;
	printf("\nranges (real units): calib = from the --calib samples (calibrate), static = "
	       "proven from the declared input ranges (propagate-ranges)\n");
	printf("%-10s %-26s %-26s %s\n", "value", "calib [lo, hi]", "static [lo, hi]",
	       "static/calib width");
	for (int v = 0; v < g->nval; v++) {
		const Value *val = &g->vals[v];
		if (val->kind == VK_CONST)
			continue;
		double wc = (double)val->calib[1] - val->calib[0];
		double ws = (double)val->range[1] - val->range[0];
		range_str(val->has_calib, val->calib, b1, sizeof b1);
		range_str(val->has_range, val->range, b2, sizeof b2);
		if (val->has_calib && val->has_range && wc > 0)
			snprintf(b3, sizeof b3, "%.3g", ws / wc);
		else
			snprintf(b3, sizeof b3, "-");
		printf("%-10s %-26s %-26s %s\n", val->name, b1, b2, b3);
	}
}

/* The precision a layer computes in (its result's storage type); for a
 * boundary the conversion, "i16>f32". */
static const char *prec_str(const Graph *g, const Node *nd, char *buf, size_t n)
{
	DType x = g->vals[nd->in[0]].dt, y = g->vals[nd->out].dt;

	if (nd->op == OP_QUANTIZE || nd->op == OP_DEQUANTIZE)
		snprintf(buf, n, "%s>%s", ir_dtype_name(x), ir_dtype_name(y));
	else
		snprintf(buf, n, "%s",
		         y == DT_I8    ? "int8"
		         : y == DT_I16 ? "int16"
		                       : ir_dtype_name(y));
	return buf;
}

/* The arena beside its lower bound (with the in-place sharing plan-memory
 * does) and TFLite's greedy by size, with and without that sharing; above
 * the bound, where the gaps are. */
static void print_arena(const Graph *g, const PassArenaStats *st)
{
	printf("arena: %lld bytes (lower bound %lld bytes: the largest set of simultaneously "
	       "live tensors; %.1f%% above it)\n",
	       (long long)st->arena, (long long)st->bound,
	       st->bound ? 100.0 * (double)(st->arena - st->bound) / (double)st->bound : 0.0);
	printf("arena baselines: greedy by size %lld bytes; without in-place ops greedy by size "
	       "%lld bytes, lower bound %lld bytes\n",
	       (long long)st->greedy, (long long)st->plain_greedy, (long long)st->plain_bound);
	if (st->top < 0 || st->top_step < 0)
		return;
	const Value *v = &g->vals[st->top];
	const char *at = st->top_step == 0         ? "the inputs"
	                 : st->top_step > g->nnode ? "the end"
	                                           : g->vals[g->nodes[st->top_step - 1].out].name;
	printf("arena above the bound: fragmentation; %s'%s' ends at byte %lld, but while it is "
	       "live at most %lld bytes are (step %d, %s): the rest are gaps\n",
	       st->top_scratch ? "the kernel scratch of " : "", v->name, (long long)st->arena,
	       (long long)st->live[st->top_step], st->top_step, at);
}

/* The kernels of one machine (one ISA level). */
static void print_kernels_of(const TgtMachine *m, const Graph *g)
{
	char why[1024];

	for (int n = 0; n < g->nnode; n++) {
		const char *k = tgt_choose_kernel(m, g, n, why, sizeof why);
		if (!k)
			continue;
		printf("%-3d %-10s %-10s %s\n", n, g->vals[g->nodes[n].out].name,
		       ir_ops[g->nodes[n].op].name, k);
		/* choose-layout's choice, where it is not the interface's NCHW */
		int lin = ir_value_layout(g, g->nodes[n].in[0]), lout = (int)g->nodes[n].a.layout;
		if (lin == IR_LAYOUT_NHWC || lout == IR_LAYOUT_NHWC)
			printf("      layout: reads %s, writes %s\n", lin ? "NHWC" : "NCHW",
			       lout ? "NHWC" : "NCHW");
		for (char *p = why, *e; *p; p = e) {
			e = strstr(p, "; ");
			int len = e ? (int)(e - p) : (int)strlen(p);
			printf("      %.*s\n", len, p);
			e = e ? e + 2 : p + len;
		}
	}
}

/* Which kernel each conv2d and dense layer gets on the target, and why the
 * others of the target's list declined; per level of a multi-ISA object. */
static int print_kernels(const Options *o, const Graph *g, Diag *d)
{
	TgtMachine m;
	int any = 0;

	for (int n = 0; n < g->nnode; n++)
		any |= g->nodes[n].op == OP_CONV2D || g->nodes[n].op == OP_DENSE;
	if (!any)
		return 0;
	if (tgt_machine_new(&m, &o->tgt, d))
		return -1;
	for (int l = 0; l < (m.nlevels ? m.nlevels : 1); l++) {
		const TgtMachine *lm = m.nlevels ? &m.levels[l] : &m;
		printf("\nkernels on %s, cpu %s%s%s (first of the target's list that takes the layer, "
		       "else the generic loop; below it, the others):\n",
		       m.row, lm->cpu, *lm->features ? " " : "", lm->features);
		print_kernels_of(lm, g);
	}
	tgt_machine_free(&m);
	return 0;
}

int cmd_inspect(const Options *o, Diag *d)
{
	Graph *g;
	NpyArray calib;
	int rc;
	int64_t macs = 0, params = 0;
	char b1[96], b2[64], b3[16];
	PassArenaStats st;

	if ((rc = drv_load_and_run(o, &g, &calib, d)))
		goto out;
	if (o->dot && write_dot(o, g, d)) {
		rc = EXIT_INPUT;
		ir_graph_free(g);
		goto out;
	}
	printf("model %s: %d inputs, %d outputs, %d layers%s\n\n", g->name, g->ninput, g->noutput,
	       g->nnode, g->requant_float ? "; requantization: float (--requant float)" : "");
	pass_arena_stats(g, &st);
	printf("%-3s %-10s %-10s %-6s %-7s %-3s %-16s %-22s %12s %10s %10s %10s\n", "#", "value",
	       "op", "act", "prec", "dt", "shape", "quantization", "MACs", "params B", "arena @",
	       "live B");
	for (int i = 0; i < g->ninput; i++) {
		const Value *v = &g->vals[g->inputs[i]];
		qstr(v, b2, sizeof b2);
		printf("%-3s %-10s %-10s %-6s %-7s %-3s %-16s %-22s %12s %10s %10lld %10lld\n",
		       "in", v->name, "input", "", "", ir_dtype_name(v->dt),
		       ir_shape_str(&v->shape, b1, sizeof b1), b2, "", "", (long long)v->offset,
		       (long long)st.live[0]);
	}
	for (int n = 0; n < g->nnode; n++) {
		const Node *nd = &g->nodes[n];
		const Value *v = &g->vals[nd->out];
		int64_t m = pass_node_macs(g, nd), p = 0;
		for (int k = 1; k < nd->nin; k++)
			if (g->vals[nd->in[k]].kind == VK_CONST)
				p += ir_value_bytes(&g->vals[nd->in[k]]);
		/* sizes come from the model: saturate rather than wrap */
		if (__builtin_add_overflow(macs, m, &macs))
			macs = INT64_MAX;
		if (__builtin_add_overflow(params, p, &params))
			params = INT64_MAX;
		qstr(v, b2, sizeof b2);
		printf("%-3d %-10s %-10s %-6s %-7s %-3s %-16s %-22s %12lld %10lld %10lld %10lld\n",
		       n, v->name, ir_ops[nd->op].name,
		       ir_ops[nd->op].flags & OPF_ACT ? ir_act_name(nd->a.act) : "",
		       prec_str(g, nd, b3, sizeof b3), ir_dtype_name(v->dt),
		       ir_shape_str(&v->shape, b1, sizeof b1), b2, (long long)m, (long long)p,
		       (long long)v->offset, (long long)st.live[n + 1]);
	}
	printf("\ntotal: %lld MACs, %lld parameter bytes\n", (long long)macs, (long long)params);
	if (g->arena_size) {
		print_arena(g, &st);
		TgtFootprint fp;
		if (tgt_footprint(g, &o->tgt, &fp, d) == 0)
			printf("footprint on %s%s%s: code %lld bytes, read-only data %lld bytes (weights "
			       "%lld), other data %lld bytes, arena %lld bytes\n",
			       o->tgt.triple ? o->tgt.triple : "the host", o->tgt.cpu ? " " : "",
			       o->tgt.cpu ? o->tgt.cpu : "", (long long)fp.code,
			       (long long)fp.rodata, (long long)fp.weights,
			       (long long)(fp.data + fp.bss), (long long)fp.arena);
		else
			rc = EXIT_INPUT;
		if (rc == 0 && print_kernels(o, g, d))
			rc = EXIT_INPUT;
	} else
		printf("arena: not planned (the pipeline has no plan-memory)\n");
	print_ranges(g);
	pass_arena_stats_free(&st);
	ir_graph_free(g);
out:
	ir_npy_free(&calib);
	return rc;
}
