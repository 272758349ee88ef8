/* targets/fam_convert.c — the convert family (quantize, dequantize) in the
 * targets layer: their checks and kernels.
 */
#include "tgt_rules.h"

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
		tgt_call_edge(c, xv->dt == DT_I8 ? "qrt_dequantize_s8" : "qrt_dequantize_s16", x, y,
		              xv);
		return;
	}
	if (xv->dt == DT_F32) {
		tgt_call_edge(c,
		              yv->dt == DT_I16   ? "qrt_quantize_s16"
		              : g->requant_float ? "qrt_quantize_s8_even"
		                                 : "qrt_quantize_s8",
		              x, y, yv);
		return;
	}
	ir_quantize_multiplier((double)xv->q.scale[0] / (double)yv->q.scale[0], &mult, &shift);
	rq.has_left = shift > 0;
	rq.zp = yv->q.zp;
	rq.lo = ir_qmin(yv->dt);
	rq.hi = ir_qmax(yv->dt);
	LLVMValueRef i = tgt_upto(c, &l, ir_shape_numel(&xv->shape));
	LLVMValueRef v = LLVMBuildSExt(c->b, tgt_load(c, tgt_type(c, xv->dt), x, i), c->ti32, "");
	v = LLVMBuildSub(c->b, v, tgt_c32(c, xv->q.zp), "");
	v = tgt_requant(c, v, tgt_c32(c, mult), tgt_c32(c, shift), &rq);
	tgt_store(c, LLVMBuildTrunc(c->b, v, tgt_type(c, yv->dt), ""), y, i);
	tgt_loop_close(c, &l);
}

static int check(Cg *c, const Node *nd)
{
	const Graph *g = c->g;
	const Value *x = &g->vals[nd->in[0]], *y = &g->vals[nd->out];

	if (tgt_check_fit(c, nd, ir_shape_numel(&x->shape) == ir_shape_numel(&y->shape)))
		return 1;
	switch (nd->op) {
	case OP_QUANTIZE:
		if (!tgt_is_int_q(y) || !(x->dt == DT_F32 || tgt_is_int_q(x)))
			return tgt_bad_types(
			        c, nd,
			        "this conversion (expected f32, i8 or i16 into i8 or i16, "
			        "quantized per tensor)");
		return 0;
	case OP_DEQUANTIZE:
		if (!tgt_is_int_q(x) || y->dt != DT_F32)
			return tgt_bad_types(
			        c, nd,
			        "this conversion (expected i8 or i16 quantized per tensor "
			        "into f32)");
		return 0;
	default: ICE("convert rules: %s", ir_ops[nd->op].name);
	}
}

static void lower(Cg *c, int n, LLVMValueRef fn)
{
	lower_convert(c, n, LLVMGetParam(fn, 0), LLVMGetParam(fn, 1));
}

const TgtRules tgt_rules_convert = {
        .check = check,
        .lower = lower,
};
