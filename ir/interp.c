/* ir/interp.c — the reference interpreter's driver: runs a graph, float or
 * quantized, one node after another.  It holds the buffers, the per-node
 * state, the hooks and the float edge; each op's check and kernel, every
 * precision, are its family's rules (ir/ir_rules.h, ir/fam_<family>.c).  Those
 * kernels ARE the semantics of the ops (docs/requant.md): the LLVM backend
 * must reproduce every integer, and every float of an f32 graph, bit for bit.
 *
 * Style of TFLM's reference kernels: plain loops with named indices,
 * parameters copied into locals at the top.
 */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "qrt.h"
#include "eltwise.h"
#include "ir_rules.h"

struct Interp {
	Graph *g;
	void **buf;      /* per value; constants alias Value.data */
	NodeRt *rt;      /* per node */
	void *acc;       /* scratch of the kernels (conv2d's accumulators) */
	InterpHook hook;
	void *ctx;
};

/* ---- checks at ir_interp_new ----------------------------------------------- */

/* Everything run_node relies on, so that a graph the verifier and
 * infer-shapes missed something in is diagnosed instead of read out of
 * bounds (the family's check).  Returns 0 or -1 (diagnosed). */

int ir_interp_check_keepq(const Graph *g, const Node *n, const NodeRt *rt, Diag *d)
{
	const Value *x = &g->vals[n->in[0]], *o = &g->vals[n->out];
	const char *op = ir_ops[n->op].name;

	if (o->dt != x->dt)
		return IR_BAD("%s: result type %s differs from the input's %s", op,
		              ir_dtype_name(o->dt), ir_dtype_name(x->dt));
	if (rt->prec != P_F32 && !(ir_ops[n->op].flags & OPF_VIEW) && !ir_per_tensor_q(x))
		return IR_BAD("%s: quantized input '%s' needs per-tensor parameters", op, x->name);
	if (rt->prec != P_F32 && (x->q.present || o->q.present) && !ir_same_q(&x->q, &o->q))
		return IR_BAD("%s: result '%s' must keep the quantization of '%s'", op, o->name,
		              x->name);
	return 0;
}

static int check_node(Interp *in, int ni, Diag *d)
{
	Graph *g = in->g;
	const Node *n = &g->nodes[ni];
	NodeRt *rt = &in->rt[ni];
	const Value *x = &g->vals[n->in[0]];

	if (x->dt == DT_U8 && n->nin > 1)
		x = &g->vals[n->in[1]]; /* where: the mask, then the data */
	switch (x->dt) {
	case DT_F32: rt->prec = P_F32; break;
	case DT_I8: rt->prec = P_S8; break;
	case DT_I16: rt->prec = P_S16; break;
	case DT_I64:
		/* int64 arithmetic (never quantized): the elementwise family's
		 * check and kernel go by the values' type */
		if (ir_ops[n->op].family == FAM_ELEMENTWISE) {
			rt->prec = P_F32;
			break;
		}
		/* fall through */
	case DT_U8: /* not, and, or, xor: masks only, one kernel for every precision */
		if (ir_is_mask_logic(n->op)) {
			rt->prec = P_F32;
			break;
		}
		/* fall through */
	default:
		return IR_BAD("%s: the interpreter has no kernel for %s input", ir_ops[n->op].name,
		              ir_dtype_name(x->dt));
	}
	return ir_rules_of(n->op)->check(g, n, rt, d);
}

/* ---- the interface --------------------------------------------------------- */

void ir_interp_free(Interp *in)
{
	if (!in)
		return;
	for (int v = 0; v < in->g->nval; v++)
		if (in->g->vals[v].kind != VK_CONST)
			free(in->buf[v]);
	for (int n = 0; n < in->g->nnode; n++) {
		free(in->rt[n].mult);
		free(in->rt[n].shift);
		free(in->rt[n].fm);
		free(in->rt[n].wt);
		free(in->rt[n].pre);
	}
	free(in->buf);
	free(in->rt);
	free(in->acc);
	free(in);
}

Interp *ir_interp_new(Graph *g, Diag *d)
{
	Interp *in = ir_xcalloc(1, sizeof *in);
	int64_t accbytes = 0;
	int bad = 0;

	in->g = g;
	in->buf = ir_xcalloc((size_t)g->nval, sizeof *in->buf);
	in->rt = ir_xcalloc((size_t)g->nnode, sizeof *in->rt);
	for (int v = 0; v < g->nval; v++) {
		Value *val = &g->vals[v];
		if (!val->has_type) {
			diag_error(d, val->loc, "'%s' has no type (run infer-shapes first)",
			           val->name);
			bad = 1;
		} else if (val->kind == VK_CONST && !val->data) {
			diag_error(d, val->loc, "constant '%s' has no data", val->name);
			bad = 1;
		} else if (val->q.present && (val->dt == DT_I8 || val->dt == DT_I16) &&
		           (val->q.zp < ir_qmin(val->dt) || val->q.zp > ir_qmax(val->dt))) {
			diag_error(d, val->loc, "'%s': zero point %d outside %s", val->name,
			           (int)val->q.zp, ir_dtype_name(val->dt));
			bad = 1;
		}
	}
	if (bad || ir_check_requant_float(g, d)) {
		ir_interp_free(in);
		return NULL;
	}
	for (int v = 0; v < g->nval; v++)
		in->buf[v] = g->vals[v].kind == VK_CONST
		                     ? g->vals[v].data
		                     : ir_xcalloc(1, (size_t)ir_value_bytes(&g->vals[v]));
	for (int i = 0; i < g->nnode; i++) {
		const Node *n = &g->nodes[i];
		if (n->op == OP_NONE)
			continue;
		if (check_node(in, i, d)) {
			bad = 1;
			continue;
		}
		if (ir_rules_of(n->op)->prepare) {
			int64_t b = ir_rules_of(n->op)->prepare(g, n, &in->rt[i]);
			if (b > accbytes)
				accbytes = b;
		}
	}
	if (bad) {
		ir_interp_free(in);
		return NULL;
	}
	in->acc = ir_xmalloc((size_t)accbytes);
	return in;
}

int ir_interp_check(Graph *g, Diag *d)
{
	Interp *in = ir_xcalloc(1, sizeof *in);
	int before = d->nerrors;

	in->g = g;
	in->buf = ir_xcalloc((size_t)g->nval + 1, sizeof *in->buf);
	in->rt = ir_xcalloc((size_t)g->nnode + 1, sizeof *in->rt);
	if (!ir_check_requant_float(g, d))
		for (int i = 0; i < g->nnode; i++)
			if (g->nodes[i].op != OP_NONE)
				check_node(in, i, d);
	ir_interp_free(in);
	return d->nerrors - before;
}

void ir_interp_set_hook(Interp *in, InterpHook fn, void *ctx)
{
	in->hook = fn;
	in->ctx = ctx;
}

/* Runs the nodes on inputs already in place. */
static void run_nodes(Interp *in)
{
	const Graph *g = in->g;

	if (in->hook)
		for (int i = 0; i < g->ninput; i++)
			in->hook(in->ctx, g, g->inputs[i], in->buf[g->inputs[i]]);
	for (int i = 0; i < g->nnode; i++) {
		if (g->nodes[i].op == OP_NONE)
			continue;
		const Node *n = &g->nodes[i];
		ir_rules_of(n->op)->run(g, n, &in->rt[i], in->buf, in->acc);
		if (in->hook)
			in->hook(in->ctx, g, g->nodes[i].out, in->buf[g->nodes[i].out]);
	}
}

int ir_interp_run(Interp *in, const void *const *inputs, void *const *outputs)
{
	const Graph *g = in->g;

	for (int i = 0; i < g->ninput; i++) {
		int v = g->inputs[i];
		memcpy(in->buf[v], inputs[i], (size_t)ir_value_bytes(&g->vals[v]));
	}
	run_nodes(in);
	for (int i = 0; i < g->noutput; i++) {
		int v = g->outputs[i];
		memcpy(outputs[i], in->buf[v], (size_t)ir_value_bytes(&g->vals[v]));
	}
	return 0;
}

/* Returns -1 if an input or output has a storage type the float edge does not
 * convert (anything but f32, i8, i16; an i32 or i64 index input and a u8
 * mask input or output are copied as they are, so inputs[i] / outputs[i]
 * then point at that type's elements, and so is an i64 output: outputs[i]
 * then points at int64_t elements). */
int ir_interp_run_f32(Interp *in, const float *const *inputs, float *const *outputs)
{
	const Graph *g = in->g;

	for (int i = 0; i < g->ninput; i++) {
		const Value *v = &g->vals[g->inputs[i]];
		void *b = in->buf[g->inputs[i]];
		uint32_t cnt = (uint32_t)ir_shape_numel(&v->shape);
		if (v->dt == DT_F32)
			memcpy(b, inputs[i], (size_t)cnt * sizeof(float));
		else if (v->dt == DT_I8 && ir_per_tensor_q(v) && g->requant_float)
			qrt_quantize_s8_even(inputs[i], b, cnt, v->q.scale[0], v->q.zp);
		else if (v->dt == DT_I8 && ir_per_tensor_q(v))
			qrt_quantize_s8(inputs[i], b, cnt, v->q.scale[0], v->q.zp);
		else if (v->dt == DT_I16 && ir_per_tensor_q(v))
			qrt_quantize_s16(inputs[i], b, cnt, v->q.scale[0], v->q.zp);
		else if (v->dt == DT_I64 || v->dt == DT_I32 || v->dt == DT_U8)
			memcpy(b, inputs[i],
			       (size_t)ir_value_bytes(v)); /* indices, masks: as given */
		else
			return -1;
	}
	for (int i = 0; i < g->noutput; i++) {
		const Value *v = &g->vals[g->outputs[i]];
		if (!(v->dt == DT_F32 || v->dt == DT_U8 || v->dt == DT_I64 ||
		      ((v->dt == DT_I8 || v->dt == DT_I16) && ir_per_tensor_q(v))))
			return -1;
	}
	run_nodes(in);
	for (int i = 0; i < g->noutput; i++) {
		const Value *v = &g->vals[g->outputs[i]];
		const void *b = in->buf[g->outputs[i]];
		uint32_t cnt = (uint32_t)ir_shape_numel(&v->shape);
		if (v->dt == DT_F32)
			memcpy(outputs[i], b, (size_t)cnt * sizeof(float));
		else if (v->dt == DT_U8) /* a mask: its bytes */
			memcpy(outputs[i], b, (size_t)cnt);
		else if (v->dt == DT_I64) /* an integer output: as computed */
			memcpy(outputs[i], b, (size_t)ir_value_bytes(v));
		else if (v->dt == DT_I8)
			qrt_dequantize_s8(b, outputs[i], cnt, v->q.scale[0], v->q.zp);
		else
			qrt_dequantize_s16(b, outputs[i], cnt, v->q.scale[0], v->q.zp);
	}
	return 0;
}

const void *ir_interp_value(Interp *in, int v)
{
	return in->buf[v];
}
