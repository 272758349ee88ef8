/* kernel_dense_f32.c — the f32 dense (fully connected) kernel for x86-64
 * with AVX-512F or AVX2, bit for bit the interpreter's.
 *
 * The interpreter adds x[i] * w[o][i] for i ascending into one accumulator
 * per output: done one output at a time, that is a chain of I dependent
 * fadds (the example CNN's 6272-input layer waited on fadd latency for
 * 36 us).  The order per output is fixed, but the outputs are independent:
 * here they sit in vector lanes, the weights repacked at compile time into
 * [O/L][I][L] (zero past O), so that acc[b] = fadd(acc[b], fmul(splat x[i],
 * w[b][i])) advances L outputs per instruction and up to NBLK chains run
 * side by side.  No tap is ever skipped, so any bias is fine.  The lanes
 * past O are computed and never stored (masked store).
 */
#include <stdlib.h>
#include <string.h>

#include "targets.h"

enum { NBLK = 8 };

typedef struct {
	int64_t N, I, O, OB;
	int L;
	LLVMTypeRef tv, tms;
	LLVMValueRef mstore, w, bias, x, y;
	LLVMValueRef acc[NBLK];
} Dense;

static void put_f32(unsigned char *p, float v)
{
	uint32_t u;

	memcpy(&u, &v, 4);
	for (int b = 0; b < 4; b++)
		p[b] = (unsigned char)(u >> (8 * b));
}

/* The weights as [OB][I][L] and the bias as [OB][L], zero past O. */
static void pack(Cg *c, const Node *nd, Dense *k, int n)
{
	const float *w = c->g->vals[nd->in[1]].data;
	const float *bias = nd->nin > 2 ? c->g->vals[nd->in[2]].data : NULL;
	size_t wlen = (size_t)(k->OB * k->I * k->L * 4), blen = (size_t)(k->OB * k->L * 4);
	unsigned char *wb = ir_xcalloc(wlen, 1), *bb = ir_xcalloc(blen, 1);
	char name[320];

	for (int64_t o = 0; o < k->O; o++) {
		for (int64_t i = 0; i < k->I; i++)
			put_f32(wb + (((o / k->L) * k->I + i) * k->L + o % k->L) * 4, w[o * k->I + i]);
		if (bias)
			put_f32(bb + o * 4, bias[o]);
	}
	snprintf(name, sizeof name, "%s.wdf32k%d", c->name, n);
	k->w = tgt_const_bytes(c, name, wb, wlen);
	snprintf(name, sizeof name, "%s.bdf32k%d", c->name, n);
	k->bias = tgt_const_bytes(c, name, bb, blen);
	free(wb), free(bb);
}

static LLVMValueRef load_al(Cg *c, LLVMTypeRef t, LLVMValueRef p, unsigned align)
{
	LLVMValueRef v = LLVMBuildLoad2(c->b, t, p, "");
	LLVMSetAlignment(v, align);
	return v;
}

static LLVMValueRef splat(Cg *c, LLVMTypeRef tv, LLVMValueRef v)
{
	LLVMValueRef one = LLVMBuildInsertElement(c->b, LLVMGetUndef(tv), v, tgt_c32(c, 0), "");

	return LLVMBuildShuffleVector(c->b, one, LLVMGetUndef(tv),
	                              LLVMConstNull(LLVMVectorType(c->ti32, LLVMGetVectorSize(tv))), "");
}

/* Blocks ob0 .. ob0 + nb - 1 of row in: the accumulation, then the
 * activation and the masked stores. */
static void blocks(Cg *c, Dense *k, Act act, int nb, LLVMValueRef in, LLVMValueRef ob0)
{
	LLVMBuilderRef b = c->b;
	LLVMValueRef idx[16];
	Loop li;

	for (int j = 0; j < nb; j++) {
		LLVMValueRef ob = LLVMBuildNSWAdd(b, ob0, tgt_cidx(c, j), "");
		LLVMBuildStore(b, load_al(c, k->tv, tgt_gep(c, k->tv, k->bias, ob), 16), k->acc[j]);
	}
	LLVMValueRef i = tgt_upto(c, &li, k->I);
	LLVMValueRef xs = splat(c, k->tv, tgt_load(c, c->tf32, k->x, tgt_mad(c, in, k->I, i)));
	for (int j = 0; j < nb; j++) {
		LLVMValueRef ob = LLVMBuildNSWAdd(b, ob0, tgt_cidx(c, j), "");
		LLVMValueRef wv = load_al(c, k->tv, tgt_gep(c, k->tv, k->w, tgt_mad(c, ob, k->I, i)), 16);
		/* acc = acc + x * w: separate fmul and fadd, as the interpreter */
		LLVMValueRef a = LLVMBuildFAdd(b, LLVMBuildLoad2(b, k->tv, k->acc[j], ""),
		                               LLVMBuildFMul(b, xs, wv, ""), "");
		LLVMBuildStore(b, a, k->acc[j]);
	}
	tgt_loop_close(c, &li);
	for (int l = 0; l < k->L; l++)
		idx[l] = tgt_c32(c, l);
	for (int j = 0; j < nb; j++) {
		LLVMValueRef ob = LLVMBuildNSWAdd(b, ob0, tgt_cidx(c, j), "");
		LLVMValueRef o0 = tgt_mad(c, ob, k->L, NULL);
		LLVMValueRef left = LLVMBuildTrunc(b, LLVMBuildNSWSub(b, tgt_cidx(c, k->O), o0, ""), c->ti32, "");
		LLVMValueRef m = LLVMBuildICmp(b, LLVMIntSLT, LLVMConstVector(idx, (unsigned)k->L),
		                               splat(c, LLVMVectorType(c->ti32, (unsigned)k->L), left), "");
		LLVMValueRef r = tgt_act_f32(c, LLVMBuildLoad2(b, k->tv, k->acc[j], ""), act);
		LLVMValueRef args[4] = {r, tgt_gep(c, c->tf32, k->y, tgt_mad(c, in, k->O, o0)), tgt_c32(c, 4), m};
		LLVMBuildCall2(b, k->tms, k->mstore, args, 4, "");
	}
}

int tgt_dense_f32(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *xv = &g->vals[nd->in[0]], *wv = &g->vals[nd->in[1]], *yv = &g->vals[nd->out];
	Dense k;
	Loop ln, lg;

	memset(&k, 0, sizeof k);
	k.L = tgt_x86_f32_lanes(c->tm);
	if (!k.L || xv->dt != DT_F32 || wv->dt != DT_F32 || yv->dt != DT_F32 || wv->kind != VK_CONST ||
	    !wv->data || (nd->nin > 2 && (g->vals[nd->in[2]].dt != DT_F32 || !g->vals[nd->in[2]].data)))
		return 0;
	k.N = xv->shape.d[0], k.I = xv->shape.d[1], k.O = wv->shape.d[0];
	k.OB = (k.O + k.L - 1) / k.L;
	k.x = x, k.y = y;
	k.tv = LLVMVectorType(c->tf32, (unsigned)k.L);
	LLVMTypeRef ms[4] = {k.tv, c->tptr, c->ti32, LLVMVectorType(c->ti1, (unsigned)k.L)};
	const char *name = k.L == 16 ? "llvm.masked.store.v16f32.p0" : "llvm.masked.store.v8f32.p0";
	k.tms = LLVMFunctionType(c->tvoid, ms, 4, 0);
	k.mstore = LLVMGetNamedFunction(c->mod, name);
	if (!k.mstore)
		k.mstore = LLVMAddFunction(c->mod, name, k.tms);
	if (k.L == 16) /* 512-bit vectors stay legal where the CPU prefers 256-bit ones */
		LLVMAddAttributeAtIndex(c->fn, LLVMAttributeFunctionIndex,
		                        LLVMCreateStringAttribute(c->ctx, "min-legal-vector-width", 22, "512", 3));
	pack(c, nd, &k, n);
	for (int j = 0; j < NBLK; j++)
		k.acc[j] = tgt_alloca(c, k.tv, 1);

	LLVMValueRef in = tgt_upto(c, &ln, k.N);
	int64_t full = k.OB / NBLK, rest = k.OB % NBLK;
	if (full) {
		LLVMValueRef og = tgt_upto(c, &lg, full);
		blocks(c, &k, nd->a.act, NBLK, in, tgt_mad(c, og, NBLK, NULL));
		tgt_loop_close(c, &lg);
	}
	if (rest)
		blocks(c, &k, nd->a.act, (int)rest, in, tgt_cidx(c, full * NBLK));
	tgt_loop_close(c, &ln);
	return 1;
}
