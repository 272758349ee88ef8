/* targets/fam_matmul.c — the matmul family (matmul) in the targets layer:
 * its check and its kernel, plain LLVM IR for every target.  The kernel
 * reads two tensors: void(ptr a, ptr y, ptr b) (TgtRules.nary).  The
 * arithmetic is ir/fam_matmul.c's step for step: per output element a sum
 * over k ascending (f32 multiply then add; int8 wrapping int32, int16
 * wrapping int64), then TFLite's requantization with the parameters
 * ir_matmul_params computes for the interpreter too. */
#include <stdio.h>
#include <string.h>

#include "matmul.h"
#include "tgt_rules.h"

/* ---- check --------------------------------------------------------------------- */

static int check(Cg *c, const Node *nd)
{
	const Graph *g = c->g;
	const Value *a = &g->vals[nd->in[0]], *b = &g->vals[nd->in[1]], *y = &g->vals[nd->out];
	MatGeo mg;
	Shape s;

	if (nd->op != OP_MATMUL)
		ICE("matmul rules: %s", ir_ops[nd->op].name);
	if (nd->nin != 2 || ir_matmul_geo(&a->shape, &b->shape, &mg, &s) ||
	    !ir_shape_eq(&s, &y->shape)) {
		diag_error(c->d, nd->loc, "matmul '%s': operand shapes do not fit together",
		           y->name);
		return 1;
	}
	if (a->dt != y->dt || b->dt != y->dt)
		return tgt_bad_types(c, nd, "operands of another type than the result's");
	if (y->dt == DT_F32)
		return 0;
	if (!tgt_is_int_q(a) || !tgt_is_int_q(b) || !tgt_is_int_q(y))
		return tgt_bad_types(c, nd,
		                     "this type combination (expected f32, or i8 or i16 "
		                     "quantized per tensor)");
	return 0;
}

/* ---- the kernel ----------------------------------------------------------------- */

/* A one-element i32 global holding v (the epilogue loads its parameters
 * from globals, per channel for the weighted ops). */
static LLVMValueRef one_i32(Cg *c, const char *what, int n, int32_t v)
{
	unsigned char bytes[4];
	char name[320];
	uint32_t u = (uint32_t)v;

	for (int i = 0; i < 4; i++)
		bytes[i] = (unsigned char)(u >> (8 * i));
	snprintf(name, sizeof name, "%s.mm%s%d", c->name, what, n);
	return tgt_const_bytes(c, name, bytes, sizeof bytes);
}

/* The weighted ops' epilogue (tgt_epilogue) with matmul's one multiplier:
 * mbqm (int8) or ir_mbqm64 (int16, its 16-bit multiplier and 15 - shift). */
static void epilogue(Cg *c, int n, Epilogue *e)
{
	const Graph *g = c->g;
	const Value *y = &g->vals[g->nodes[n].out];
	IrMatParams p;

	memset(e, 0, sizeof *e);
	e->act = ACT_NONE;
	e->tacc = c->tf32;
	if (y->dt == DT_F32)
		return;
	ir_matmul_params(g, &g->nodes[n], &p);
	e->quant = 1;
	e->acc64 = p.acc64;
	e->tacc = p.acc64 ? c->ti64 : c->ti32;
	e->tout = tgt_type(c, y->dt);
	e->rq = (Requant){p.shift > 0, p.zp_o, p.lo, p.hi};
	int32_t mult = p.mult, sh = p.shift;
	e->all_right = 1;
	if (p.acc64) {
		/* as ir_mbqm64 (and epilogue.c for the weighted ops) */
		mult = mult < 0x7FFF0000 ? (int32_t)(((int64_t)mult + (1 << 15)) >> 16) : 0x7FFF;
		sh = 15 - p.shift;
		e->all_right = sh > 0;
	}
	e->mult = one_i32(c, "m", n, mult);
	e->shift = one_i32(c, "s", n, sh);
}

/* x - zp widened to the accumulator (floats pass through). */
static LLVMValueRef centered(Cg *c, const Epilogue *e, LLVMValueRef x, int32_t zp)
{
	if (!e->quant)
		return x;
	return LLVMBuildSub(c->b, LLVMBuildSExt(c->b, x, e->tacc, ""),
	                    LLVMConstInt(e->tacc, (unsigned long long)(int64_t)zp, 1), "");
}

/* for each batch (one loop per batch axis), m, n: the sum over k in a stack
 * slot (registers after LLVM's mem2reg), then the epilogue. */
static void lower(Cg *c, int n, LLVMValueRef fn)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *av = &g->vals[nd->in[0]], *bv = &g->vals[nd->in[1]];
	LLVMValueRef pa = LLVMGetParam(fn, 0), py = LLVMGetParam(fn, 1), pb = LLVMGetParam(fn, 2);
	LLVMBuilderRef b = c->b;
	LLVMValueRef oa = tgt_cidx(c, 0), ob = tgt_cidx(c, 0), ot = tgt_cidx(c, 0);
	Loop lb[IR_MAX_RANK], lm, ln, lk;
	MatGeo mg;
	Shape s;
	Epilogue e;
	int32_t zpa = av->q.zp, zpb = bv->q.zp;

	ir_matmul_geo(&av->shape, &bv->shape, &mg, &s); /* checked */
	epilogue(c, n, &e);
	LLVMValueRef slot = tgt_alloca(c, e.tacc, 1);
	for (int k = 0; k < mg.nb; k++) {
		LLVMValueRef i = tgt_upto(c, &lb[k], mg.bd[k]);
		oa = tgt_mad(c, i, mg.sa[k], oa);
		ob = tgt_mad(c, i, mg.sb[k], ob);
		ot = tgt_mad(c, ot, mg.bd[k], i);
	}
	LLVMValueRef im = tgt_upto(c, &lm, mg.M);
	LLVMValueRef arow = tgt_mad(c, im, mg.K, oa);
	LLVMValueRef yrow = tgt_mad(c, tgt_mad(c, ot, mg.M, im), mg.N, NULL);
	LLVMValueRef in = tgt_upto(c, &ln, mg.N);
	LLVMValueRef bcol = LLVMBuildNSWAdd(b, ob, in, "");
	LLVMBuildStore(b, LLVMConstNull(e.tacc), slot);
	LLVMValueRef ik = tgt_upto(c, &lk, mg.K);
	LLVMValueRef x = tgt_load(c, tgt_type(c, av->dt), pa, LLVMBuildNSWAdd(b, arow, ik, ""));
	LLVMValueRef w = tgt_load(c, tgt_type(c, bv->dt), pb, tgt_mad(c, ik, mg.N, bcol));
	x = centered(c, &e, x, zpa);
	w = centered(c, &e, w, zpb);
	LLVMValueRef acc = LLVMBuildLoad2(b, e.tacc, slot, "");
	/* no nsw: the integer sums wrap as the interpreter's; f32 multiply then add */
	acc = e.quant ? LLVMBuildAdd(b, acc, LLVMBuildMul(b, x, w, ""), "")
	              : LLVMBuildFAdd(b, acc, LLVMBuildFMul(b, x, w, ""), "");
	LLVMBuildStore(b, acc, slot);
	tgt_loop_close(c, &lk);
	acc = tgt_epilogue(c, &e, LLVMBuildLoad2(b, e.tacc, slot, ""), tgt_cidx(c, 0));
	tgt_store(c, acc, py, LLVMBuildNSWAdd(b, yrow, in, ""));
	tgt_loop_close(c, &ln);
	tgt_loop_close(c, &lm);
	for (int k = mg.nb - 1; k >= 0; k--)
		tgt_loop_close(c, &lb[k]);
}

const TgtRules tgt_rules_matmul = {
        .check = check,
        .lower = lower,
        .nary = 1,
};
