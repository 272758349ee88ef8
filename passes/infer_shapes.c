/* infer_shapes.c — the infer-shapes pass: computes the type of every node
 * result from its operands and checks that operands fit the op (each
 * family's infer hook, passes/fam_<family>.c).  A result that already has a
 * type (a dump read back) must agree with the inference.  Shape errors are
 * diagnosed at the node's line. */
#include <stdio.h>
#include <string.h>

#include "pass_rules.h"

static const char *sh(const Value *v, char *buf)
{
	return ir_shape_str(&v->shape, buf, 96);
}

#define ERR(...) (diag_error(d, n->loc, __VA_ARGS__), -1)

int pass_need_rank(const Graph *g, const Node *n, int i, int rank, const char *what, Diag *d)
{
	char b[96];
	const Value *v = &g->vals[n->in[i]];
	if (v->shape.rank != rank)
		return ERR("%s: %s '%s' must have rank %d, it is %s %s", ir_ops[n->op].name, what,
		           v->name, rank, ir_dtype_name(v->dt), sh(v, b));
	return 0;
}

int pass_window_attrs(const Node *n, int use_kernel, Diag *d)
{
	const Attrs *a = &n->a;
	for (int i = 0; i < 2; i++) {
		if (a->stride[i] < 1 || a->stride[i] > 1 << 16)
			return ERR("%s: stride must be in [1, 65536]", ir_ops[n->op].name);
		if (a->dilation[i] < 1 || a->dilation[i] > 1 << 16)
			return ERR("%s: dilation must be in [1, 65536]", ir_ops[n->op].name);
		if (use_kernel && (a->kernel[i] < 1 || a->kernel[i] > 1 << 16))
			return ERR("%s: kernel must be in [1, 65536]", ir_ops[n->op].name);
	}
	for (int i = 0; i < 4; i++)
		if (a->pad[i] < 0 || a->pad[i] > 1 << 16)
			return ERR("%s: padding must be in [0, 65536]", ir_ops[n->op].name);
	return 0;
}

int pass_infer_shapes(Graph *g, const PassOptions *o, Diag *d)
{
	(void)o;
	for (int i = 0; i < g->nnode; i++) {
		Node *n = &g->nodes[i];
		Shape s = {0, {0}};
		int missing = 0;

		for (int k = 0; k < n->nin; k++)
			if (!g->vals[n->in[k]].has_type)
				missing = 1;
		if (missing)
			continue; /* its producer failed and was diagnosed */
		/* the result keeps the first operand's storage type unless the
		 * family says otherwise */
		DType dt = g->vals[n->in[0]].dt;
		if (pass_rules[ir_ops[n->op].family]->infer(g, n, d, &s, &dt))
			continue;
		Value *out = &g->vals[n->out];
		int64_t bytes;
		if (!ir_mul_ok(ir_shape_numel(&s), ir_dtype_size(dt), &bytes) ||
		    bytes > IR_MAX_TENSOR_BYTES) {
			char b[96], nb[32] = "more than 2^63";
			if (ir_shape_numel(&s) < INT64_MAX &&
			    ir_mul_ok(ir_shape_numel(&s), ir_dtype_size(dt), &bytes))
				snprintf(nb, sizeof nb, "%lld", (long long)bytes);
			diag_error(d, n->loc,
			           "%s: its result '%s' %s%s would have %s bytes, more than "
			           "the 2 GiB a tensor may have (docs/limits.md)",
			           ir_ops[n->op].name, out->name, ir_dtype_name(dt),
			           ir_shape_str(&s, b, sizeof b), nb);
			continue;
		}
		if (out->has_type) {
			char b1[96], b2[96];
			if (!ir_shape_eq(&out->shape, &s) || out->dt != dt)
				diag_error(d, out->loc, "'%s' is declared %s%s but %s gives %s%s",
				           out->name, ir_dtype_name(out->dt),
				           ir_shape_str(&out->shape, b1, sizeof b1),
				           ir_ops[n->op].name, ir_dtype_name(dt),
				           ir_shape_str(&s, b2, sizeof b2));
			continue;
		}
		/* a quantized result needs its scale and zero point: from its
		 * declaration, or from the quantize pass on a float graph */
		if ((dt == DT_I8 || dt == DT_I16) && !out->q.present) {
			char b[96];
			diag_error(d, n->loc,
			           "%s: its result '%s' is %s but has no quantization parameters: "
			           "declare them ('%s : %s%s q(scale=S, zp=Z) = ...'), or give the "
			           "graph float inputs and let quantize choose them",
			           ir_ops[n->op].name, out->name, ir_dtype_name(dt), out->name,
			           ir_dtype_name(dt), ir_shape_str(&s, b, sizeof b));
			continue;
		}
		out->has_type = 1;
		out->dt = dt;
		out->shape = s;
	}
	return d->nerrors ? -1 : 0;
}

int64_t pass_node_macs(const Graph *g, const Node *n)
{
	if (n->op == OP_NONE || !g->vals[n->out].has_type)
		return 0;
	return pass_rules[ir_ops[n->op].family]->macs(g, n);
}
