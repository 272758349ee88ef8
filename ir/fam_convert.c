/* ir/fam_convert.c — the convert family (quantize, dequantize), the
 * boundaries of per-layer precision, in the ir layer: the reference
 * interpreter's checks and kernels.
 *
 *   quantize   from f32 the float edge's qrt_quantize_*; from i8/i16
 *           TFLite's Requantize: clamp(mbqm(x - zp_in, mult, shift) + zp_out)
 *           to the result's storage range, M = s_in / s_out, the addition
 *           wrapping like the weighted ops' epilogue.
 *   dequantize   qrt_dequantize_*: (float)(x - zp) * scale.
 */
#include "qrt.h"
#include "ir_rules.h"

static void quantize_any(const NodeRt *rt, int even, const Value *x, const Value *o, const void *xb,
                         void *ob)
{
	const uint32_t cnt = (uint32_t)ir_shape_numel(&x->shape);
	const int32_t xzp = x->q.zp, ozp = o->q.zp;

	if (x->dt == DT_F32) {
		if (o->dt == DT_I8 && even)
			qrt_quantize_s8_even(xb, ob, cnt, o->q.scale[0], ozp);
		else if (o->dt == DT_I8)
			qrt_quantize_s8(xb, ob, cnt, o->q.scale[0], ozp);
		else
			qrt_quantize_s16(xb, ob, cnt, o->q.scale[0], ozp);
		return;
	}
	for (uint32_t i = 0; i < cnt; i++) {
		uint32_t acc = (uint32_t)(ir_load_q(x->dt, xb, i) - xzp);
		ir_store_q(o->dt, ob, i,
		           ir_requant_acc(acc, 0, rt->mult[0], rt->shift[0], ozp, rt->lo, rt->hi));
	}
}

static void dequantize_any(const Value *x, const void *xb, float *ob)
{
	const uint32_t cnt = (uint32_t)ir_shape_numel(&x->shape);

	if (x->dt == DT_I8)
		qrt_dequantize_s8(xb, ob, cnt, x->q.scale[0], x->q.zp);
	else
		qrt_dequantize_s16(xb, ob, cnt, x->q.scale[0], x->q.zp);
}

static void run(const Graph *g, const Node *n, const NodeRt *rt, void *const *buf, void *acc)
{
	const Value *x = &g->vals[n->in[0]], *o = &g->vals[n->out];

	(void)acc;
	switch (n->op) {
	case OP_QUANTIZE:
		quantize_any(rt, g->requant_float, x, o, buf[n->in[0]], buf[n->out]);
		return;
	case OP_DEQUANTIZE: dequantize_any(x, buf[n->in[0]], buf[n->out]); return;
	default: ICE("convert rules: %s", ir_ops[n->op].name);
	}
}

#define BAD IR_BAD

/* quantize: a per-tensor quantized i8/i16 result of any f32, i8 or i16
 * input (quantized per tensor too); dequantize: such an input, f32 result. */
static int check(Graph *g, const Node *n, NodeRt *rt, Diag *d)
{
	const Value *x = &g->vals[n->in[0]], *o = &g->vals[n->out];
	const char *op = ir_ops[n->op].name;
	int xint = x->dt == DT_I8 || x->dt == DT_I16, oint = o->dt == DT_I8 || o->dt == DT_I16;

	if (ir_shape_numel(&o->shape) != ir_shape_numel(&x->shape) ||
	    ir_shape_numel(&x->shape) > UINT32_MAX)
		return BAD("%s: result and input differ in size", op);
	switch (n->op) {
	case OP_DEQUANTIZE:
		if (!xint || !ir_per_tensor_q(x) || o->dt != DT_F32)
			return BAD(
			        "dequantize: needs an i8/i16 input quantized per tensor and an f32 result");
		return 0;
	case OP_QUANTIZE: break;
	default: ICE("convert rules: %s", ir_ops[n->op].name);
	}
	if (!oint || !ir_per_tensor_q(o))
		return BAD("quantize: the result '%s' must be i8 or i16 quantized per tensor",
		           o->name);
	if (xint && !ir_per_tensor_q(x))
		return BAD("quantize: input '%s' needs per-tensor parameters", x->name);
	rt->lo = ir_qmin(o->dt);
	rt->hi = ir_qmax(o->dt);
	if (xint) {
		rt->mult = ir_xcalloc(1, sizeof *rt->mult);
		rt->shift = ir_xcalloc(1, sizeof *rt->shift);
		ir_quantize_multiplier((double)x->q.scale[0] / (double)o->q.scale[0], rt->mult,
		                       rt->shift);
	}
	return 0;
}

#undef BAD

/* dequantize's float edge is float mode's; quantize only from f32 into
 * int8 (round half to even), an int8 -> int8 requantize has no float mode. */
static int requant_float_ok(const Graph *g, const Node *n)
{
	switch (n->op) {
	case OP_DEQUANTIZE: return 1;
	case OP_QUANTIZE: return g->vals[n->in[0]].dt == DT_F32 && g->vals[n->out].dt == DT_I8;
	default: ICE("convert rules: %s", ir_ops[n->op].name);
	}
}

const IrRules ir_rules_convert = {
        .check = check,
        .run = run,
        .requant_float_ok = requant_float_ok,
};
