/* lower.c — op lowering: the checks and the dispatch of a node to its
 * kernel, and the kernels of dense, relu, maxpool2d, flatten, reshape,
 * quantize and dequantize.  conv2d lives in lower_conv.c; avgpool2d,
 * global_avgpool, pad and transpose in lower_pool.c; the builder helpers in
 * builder.c, the epilogues in epilogue.c.
 *
 * Every kernel is a private function void(ptr x, ptr y) over the operand's
 * and the result's tensors in the arena; the body calls them in node order.
 * The arithmetic is that of ir/interp.c, step for step: float accumulation
 * in the same order with plain fmul/fadd (no fast-math, so no contraction),
 * integer accumulation in wrapping i32.
 */
#include <stdlib.h>
#include <string.h>

#include "targets.h"
#include "lower_act.h"

/* ---- kernels --------------------------------------------------------------- */

static int64_t numel(const Value *v)
{
	return ir_shape_numel(&v->shape);
}

static void lower_relu(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	const Graph *g = c->g;
	const Value *xv = &g->vals[g->nodes[n].in[0]];
	LLVMTypeRef t = tgt_type(c, xv->dt);
	Loop l;
	LLVMValueRef i = tgt_upto(c, &l, numel(xv));
	LLVMValueRef v = tgt_load(c, t, x, i), lo, lt;

	if (xv->dt == DT_F32) {
		lo = LLVMConstReal(c->tf32, 0.0);
		lt = LLVMBuildFCmp(c->b, LLVMRealOLT, v, lo, "");
	} else {
		lo = LLVMConstInt(t, (unsigned long long)xv->q.zp, 1);
		lt = LLVMBuildICmp(c->b, LLVMIntSLT, v, lo, "");
	}
	tgt_store(c, LLVMBuildSelect(c->b, lt, lo, v, ""), y, i);
	tgt_loop_close(c, &l);
}

/* The max over the in-bound window positions scanned ky then kx, starting
 * from the first in-bound one (so a float NaN behaves as in the
 * interpreter); an empty window gives 0 (f32) or the zero point. */
static void lower_maxpool(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *xv = &g->vals[nd->in[0]], *yv = &g->vals[nd->out];
	const Attrs *a = &nd->a;
	int64_t N = xv->shape.d[0], C = xv->shape.d[1], H = xv->shape.d[2], W = xv->shape.d[3];
	int64_t OH = yv->shape.d[2], OW = yv->shape.d[3];
	int f32 = xv->dt == DT_F32;
	LLVMTypeRef t = tgt_type(c, xv->dt);
	LLVMValueRef best = tgt_alloca(c, t, 1), have = tgt_alloca(c, c->ti1, 1);
	LLVMValueRef empty = f32 ? LLVMConstReal(c->tf32, 0.0)
	                         : LLVMConstInt(t, (unsigned long long)xv->q.zp, 1);
	LLVMBuilderRef b = c->b;
	Loop lnc, loy, lox, lky, lkx;
	If fy, fx;

	LLVMValueRef nc = tgt_upto(c, &lnc, N * C);
	LLVMValueRef plane = tgt_mad(c, nc, H * W, NULL);
	LLVMValueRef oy = tgt_upto(c, &loy, OH);
	LLVMValueRef ox = tgt_upto(c, &lox, OW);
	LLVMBuildStore(b, LLVMConstInt(c->ti1, 0, 0), have);
	LLVMBuildStore(b, empty, best);
	/* iy = oy*sh - pt + ky*dh, skipped unless 0 <= iy < H; ix likewise */
	LLVMValueRef ky = tgt_upto(c, &lky, a->kernel[0]);
	LLVMValueRef iy = tgt_mad(c, oy, a->stride[0],
	                          tgt_mad(c, ky, a->dilation[0], tgt_cidx(c, -a->pad[0])));
	tgt_if_open(c, &fy, LLVMBuildICmp(b, LLVMIntULT, iy, tgt_cidx(c, H), ""));
	LLVMValueRef row = tgt_mad(c, iy, W, plane);
	LLVMValueRef kx = tgt_upto(c, &lkx, a->kernel[1]);
	LLVMValueRef ix = tgt_mad(c, ox, a->stride[1],
	                          tgt_mad(c, kx, a->dilation[1], tgt_cidx(c, -a->pad[1])));
	tgt_if_open(c, &fx, LLVMBuildICmp(b, LLVMIntULT, ix, tgt_cidx(c, W), ""));
	LLVMValueRef v = tgt_load(c, t, x, LLVMBuildNSWAdd(b, row, ix, ""));
	LLVMValueRef cur = LLVMBuildLoad2(b, t, best, "");
	LLVMValueRef gt = f32 ? LLVMBuildFCmp(b, LLVMRealOGT, v, cur, "")
	                      : LLVMBuildICmp(b, LLVMIntSGT, v, cur, "");
	LLVMValueRef h = LLVMBuildLoad2(b, c->ti1, have, "");
	LLVMValueRef take = LLVMBuildOr(b, LLVMBuildNot(b, h, ""), gt, "");
	LLVMBuildStore(b, LLVMBuildSelect(b, take, v, cur, ""), best);
	LLVMBuildStore(b, LLVMConstInt(c->ti1, 1, 0), have);
	tgt_if_close(c, &fx);
	tgt_loop_close(c, &lkx);
	tgt_if_close(c, &fy);
	tgt_loop_close(c, &lky);
	/* best still holds the empty value when nothing was in bounds */
	LLVMValueRef out = tgt_mad(c, nc, OH * OW, tgt_mad(c, oy, OW, ox));
	tgt_store(c, LLVMBuildLoad2(b, t, best, ""), y, out);
	tgt_loop_close(c, &lox);
	tgt_loop_close(c, &loy);
	tgt_loop_close(c, &lnc);
}

static void lower_copy(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	const Graph *g = c->g;
	const Value *xv = &g->vals[g->nodes[n].in[0]];
	const Value *yv = &g->vals[g->nodes[n].out];
	int64_t bytes = ir_value_bytes(xv);

	tgt_copy(c, y, 16, x, 16, bytes, xv->kind != VK_CONST && yv->offset < xv->offset + bytes &&
	                                 xv->offset < yv->offset + bytes);
}

/* The boundaries of per-layer precision.  Between floats and integers they
 * call the runtime's edge helpers, so they compute exactly what the
 * interpreter (which calls the same functions) and NAME_run's edge do;
 * i8 <-> i16 is TFLite's Requantize, inline and integer-only:
 * clamp(mbqm(x - zp_in, M) + zp_out), M = s_in / s_out. */
static void lower_convert(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *xv = &g->vals[nd->in[0]], *yv = &g->vals[nd->out];
	int32_t mult;
	int shift;
	Requant rq;
	Loop l;

	if (nd->op == OP_DEQUANTIZE) {
		tgt_call_edge(c, xv->dt == DT_I8 ? "qrt_dequantize_s8" : "qrt_dequantize_s16", x, y, xv);
		return;
	}
	if (xv->dt == DT_F32) {
		tgt_call_edge(c, yv->dt == DT_I16 ? "qrt_quantize_s16" : g->requant_float
		              ? "qrt_quantize_s8_even" : "qrt_quantize_s8", x, y, yv);
		return;
	}
	ir_quantize_multiplier((double)xv->q.scale[0] / (double)yv->q.scale[0], &mult, &shift);
	rq.has_left = shift > 0;
	rq.zp = yv->q.zp;
	rq.lo = ir_qmin(yv->dt);
	rq.hi = ir_qmax(yv->dt);
	LLVMValueRef i = tgt_upto(c, &l, numel(xv));
	LLVMValueRef v = LLVMBuildSExt(c->b, tgt_load(c, tgt_type(c, xv->dt), x, i), c->ti32, "");
	v = LLVMBuildSub(c->b, v, tgt_c32(c, xv->q.zp), "");
	v = tgt_requant(c, v, tgt_c32(c, mult), tgt_c32(c, shift), &rq);
	tgt_store(c, LLVMBuildTrunc(c->b, v, tgt_type(c, yv->dt), ""), y, i);
	tgt_loop_close(c, &l);
}

/* ---- checks and dispatch ---------------------------------------------------- */

static int bad_types(Cg *c, const Node *nd, const char *why)
{
	const Graph *g = c->g;
	char buf[256];
	size_t k = 0;

	for (int i = 0; i < nd->nin && k < sizeof buf; i++)
		k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s:%s", i ? ", " : "",
		                      g->vals[nd->in[i]].name, ir_dtype_name(g->vals[nd->in[i]].dt));
	diag_error(c->d, nd->loc, "%s '%s': cannot compile %s (operands %s; result %s)",
	           ir_ops[nd->op].name, g->vals[nd->out].name, why, buf,
	           ir_dtype_name(g->vals[nd->out].dt));
	return 1;
}

static int per_tensor(const Value *v)
{
	return v->q.present && v->q.n == 1 && v->q.scale;
}

static int is_int_q(const Value *v)
{
	return (v->dt == DT_I8 || v->dt == DT_I16) && per_tensor(v);
}

static int is_const(const Value *v, DType dt)
{
	return v->kind == VK_CONST && v->data && v->dt == dt;
}

/* conv2d/dense: f32 everywhere, or int8 activations (per tensor), int8
 * weights (zero point 0, per tensor or per output channel along axis 0) and
 * an int32 bias. */
static int check_weighted(Cg *c, const Node *nd)
{
	const Graph *g = c->g;
	const Value *x = &g->vals[nd->in[0]], *w = &g->vals[nd->in[1]], *y = &g->vals[nd->out];
	const Value *bias = nd->nin > 2 ? &g->vals[nd->in[2]] : NULL;
	int64_t oc = w->shape.d[0];

	if (y->dt == DT_F32) {
		if (x->dt != DT_F32 || !is_const(w, DT_F32) || (bias && !is_const(bias, DT_F32)))
			return bad_types(c, nd, "mixed float and integer types");
		return 0;
	}
	if ((y->dt != DT_I8 && y->dt != DT_I16) || x->dt != y->dt || !is_const(w, DT_I8) ||
	    (bias && !is_const(bias, DT_I32) && !(y->dt == DT_I16 && is_const(bias, DT_I64))))
		return bad_types(c, nd, "this type combination (expected f32; or i8 or i16 activations "
		                 "with i8 weights and an i32 bias, i64 allowed for i16)");
	if (!per_tensor(x) || !per_tensor(y))
		return bad_types(c, nd, "activations without per-tensor quantization");
	if (!w->q.present || !w->q.scale || w->q.zp != 0 ||
	    !(w->q.n == 1 || (w->q.n == oc && w->q.axis == 0)))
		return bad_types(c, nd, "weights without symmetric per-channel (axis 0) quantization");
	return 0;
}

static int check_shapes(Cg *c, const Node *nd)
{
	const Graph *g = c->g;
	const Value *x = &g->vals[nd->in[0]], *y = &g->vals[nd->out];
	const Value *w = nd->nin > 1 ? &g->vals[nd->in[1]] : NULL;
	const Value *bias = nd->nin > 2 ? &g->vals[nd->in[2]] : NULL;
	const Attrs *a = &nd->a;
	int ok = 1;

	switch (nd->op) {
	case OP_CONV2D:
		ok = x->shape.rank == 4 && w->shape.rank == 4 && y->shape.rank == 4 && a->groups >= 1 &&
		     x->shape.d[1] % a->groups == 0 && w->shape.d[0] % a->groups == 0 &&
		     w->shape.d[1] * a->groups == x->shape.d[1] && y->shape.d[0] == x->shape.d[0] &&
		     y->shape.d[1] == w->shape.d[0] && a->stride[0] >= 1 && a->stride[1] >= 1 &&
		     a->dilation[0] >= 1 && a->dilation[1] >= 1;
		break;
	case OP_DENSE:
		ok = x->shape.rank == 2 && w->shape.rank == 2 && y->shape.rank == 2 &&
		     w->shape.d[1] == x->shape.d[1] && y->shape.d[0] == x->shape.d[0] &&
		     y->shape.d[1] == w->shape.d[0];
		break;
	case OP_MAXPOOL2D:
		ok = x->shape.rank == 4 && y->shape.rank == 4 && y->shape.d[0] == x->shape.d[0] &&
		     y->shape.d[1] == x->shape.d[1] && a->stride[0] >= 1 && a->stride[1] >= 1 &&
		     a->kernel[0] >= 1 && a->kernel[1] >= 1 && a->dilation[0] >= 1 &&
		     a->dilation[1] >= 1;
		break;
	case OP_QUANTIZE:
	case OP_DEQUANTIZE:
		ok = ir_shape_numel(&x->shape) == ir_shape_numel(&y->shape);
		break;
	case OP_ADD:
	case OP_SUB:
	case OP_MUL:
	case OP_DIV:
	case OP_CONCAT:
		return tgt_check_eltwise(c, nd);
	case OP_AVGPOOL2D:
	case OP_GLOBAL_AVGPOOL:
	case OP_PAD:
	case OP_TRANSPOSE:
		return tgt_check_pool(c, nd);
	default:
		ok = ir_value_bytes(x) == ir_value_bytes(y);
		break;
	}
	if (ok && bias)
		ok = ir_shape_numel(&bias->shape) == w->shape.d[0];
	if (ok && w)
		ok = w->shape.rank >= 1;
	if (!ok)
		diag_error(c->d, nd->loc, "%s '%s': operand shapes do not fit together",
		           ir_ops[nd->op].name, y->name);
	return !ok;
}

static int check_node(Cg *c, const Node *nd)
{
	const Graph *g = c->g;
	const Value *x = &g->vals[nd->in[0]], *y = &g->vals[nd->out];

	if (check_shapes(c, nd))
		return 1;
	switch (nd->op) {
	case OP_CONV2D:
	case OP_DENSE:
		return check_weighted(c, nd);
	case OP_RELU:
	case OP_MAXPOOL2D:
		if (x->dt != y->dt || (x->dt != DT_F32 && x->dt != DT_I8 && x->dt != DT_I16))
			return bad_types(c, nd, "these types");
		if (x->dt != DT_F32 && !per_tensor(x))
			return bad_types(c, nd, "an input without per-tensor quantization");
		return 0;
	case OP_FLATTEN:
	case OP_RESHAPE:
		if (x->dt != y->dt)
			return bad_types(c, nd, "a change of type");
		return 0;
	case OP_ADD:
	case OP_SUB:
	case OP_MUL:
	case OP_DIV:
	case OP_CONCAT:
		return 0; /* tgt_check_eltwise, from check_shapes */
	case OP_AVGPOOL2D:
	case OP_GLOBAL_AVGPOOL:
	case OP_PAD:
	case OP_TRANSPOSE:
		return 0; /* tgt_check_pool, from check_shapes */
	case OP_CLIP:
	case OP_LEAKY_RELU:
	case OP_SIGMOID:
	case OP_TANH:
	case OP_HARD_SIGMOID:
	case OP_HARD_SWISH:
	case OP_SOFTMAX:
		return tgt_check_act(c, nd);
	case OP_QUANTIZE:
		if (!is_int_q(y) || !(x->dt == DT_F32 || is_int_q(x)))
			return bad_types(c, nd, "this conversion (expected f32, i8 or i16 into i8 or i16, "
			                 "quantized per tensor)");
		return 0;
	case OP_DEQUANTIZE:
		if (!is_int_q(x) || y->dt != DT_F32)
			return bad_types(c, nd, "this conversion (expected i8 or i16 quantized per tensor "
			                 "into f32)");
		return 0;
	default:
		diag_error(c->d, nd->loc, "the backend cannot compile %s yet", ir_ops[nd->op].name);
		return 1;
	}
}

/* The element-wise ops whose kernels may write over their input. */
static int in_place_ok(Op op)
{
	return op == OP_RELU || op == OP_CLIP || op == OP_LEAKY_RELU || op == OP_SIGMOID ||
	       op == OP_TANH || op == OP_HARD_SIGMOID || op == OP_HARD_SWISH;
}

/* Two tensors' arena ranges overlap. */
static int overlap(const Value *a, const Value *b)
{
	return a->offset < b->offset + ir_value_bytes(b) && b->offset < a->offset + ir_value_bytes(a);
}

int tgt_lower_node(Cg *c, int n, LLVMValueRef *kernel)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *x = &g->vals[nd->in[0]], *y = &g->vals[nd->out];
	char name[320];
	LLVMValueRef fn;
	int apart = x->kind == VK_CONST || !overlap(x, y); /* a constant is a global */

	*kernel = NULL;
	if (check_node(c, nd))
		return 1;
	if ((nd->op == OP_FLATTEN || nd->op == OP_RESHAPE) && x->kind != VK_CONST &&
	    x->offset == y->offset)
		return 0; /* already in place */
	/* element-wise ops that keep the storage type may run in place (each
	 * element is read before it is written; plan-memory shares them,
	 * passes/arena.c), copies use memmove; nothing else may share bytes
	 * between input and output */
	if (!apart && !(in_place_ok(nd->op) && x->offset == y->offset && x->dt == y->dt) &&
	    nd->op != OP_FLATTEN && nd->op != OP_RESHAPE) {
		diag_error(c->d, nd->loc, "%s '%s': its input and output share arena bytes",
		           ir_ops[nd->op].name, y->name);
		return 1;
	}
	snprintf(name, sizeof name, "%s.%s%d", c->name, ir_ops[nd->op].name, n);
	if (nd->op == OP_ADD || nd->op == OP_SUB || nd->op == OP_MUL || nd->op == OP_DIV ||
	    nd->op == OP_CONCAT)
		fn = tgt_kernel_begin_n(c, name, apart, nd->nin + 1);
	else
		fn = tgt_kernel_begin(c, name, apart);
	LLVMValueRef px = LLVMGetParam(fn, 0), py = LLVMGetParam(fn, 1);
	switch (nd->op) {
	case OP_CONV2D: tgt_lower_weighted(c, n, fn); break;
	case OP_ADD:
	case OP_SUB:
	case OP_MUL:
	case OP_DIV:
	case OP_CONCAT: tgt_lower_eltwise(c, n, fn); break;
	case OP_DENSE: tgt_lower_weighted(c, n, fn); break;
	case OP_CLIP:
	case OP_LEAKY_RELU:
	case OP_SIGMOID:
	case OP_TANH:
	case OP_HARD_SIGMOID:
	case OP_HARD_SWISH:
	case OP_SOFTMAX: tgt_lower_act(c, n, px, py); break;
	case OP_RELU: lower_relu(c, n, px, py); break;
	case OP_MAXPOOL2D: lower_maxpool(c, n, px, py); break;
	case OP_AVGPOOL2D:
	case OP_GLOBAL_AVGPOOL:
	case OP_PAD:
	case OP_TRANSPOSE: tgt_lower_pool(c, n, px, py); break;
	case OP_QUANTIZE:
	case OP_DEQUANTIZE: lower_convert(c, n, px, py); break;
	default: lower_copy(c, n, px, py); break;
	}
	tgt_kernel_end(c);
	*kernel = fn;
	return 0;
}
