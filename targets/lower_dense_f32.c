/* lower_dense_f32.c — every f32 dense (fully connected) layer, on every
 * target, bit for bit the interpreter's.
 *
 * The interpreter defines the f32 sum of one output as 16 interleaved
 * partial sums, p[i % 16] += x[i] * w[o][i] for i ascending, then a fixed
 * tree (8, 4, 2, 1) and the bias (ir/interp.c).  Here the 16 partials are
 * the lanes of one <16 x float> accumulator: each block of 16 inputs is
 * acc = fadd(acc, fmul(x[i..i+15], w[o][i..i+15])), lane l receiving its
 * additions in the interpreter's order, and the tree is the same shuffles
 * and fadds (lanes s and s + h, the low half first).  LLVM legalizes the
 * vector for each target: one zmm with AVX-512, two ymm with AVX2, four q
 * registers on NEON, RVV registers with V, scalars on Cortex-M and other
 * RISC-V.
 *
 * The weights are repacked at compile time into rows padded with +0 to a
 * multiple of 16, interleaved per group of outputs so that the kernel
 * reads them as one sequential stream, not one stream per row; the last
 * block of x is a masked load with +0 in the lanes past I (never reading
 * beyond x).  A padded lane adds +0 * +0 = +0 to its partial, which
 * starts at +0 and so is never -0 (in round-to-nearest a sum is -0 only
 * when both addends are): adding +0 leaves it unchanged, NaN and
 * infinities included.  Where two
 * different NaNs meet, which one comes out is not pinned down (LLVM may
 * commute an fadd, as a C compiler may in the interpreter); every other
 * bit is.
 *
 * G outputs share each x load and give G independent chains (the fadd
 * latency, no longer a chain of I additions, is then hidden); G only
 * groups the outputs, it never changes any output's arithmetic.
 */
#include <stdlib.h>
#include <string.h>

#include "targets.h"

enum { P = IR_DENSE_F32_PARTS, GMAX = 8 };

typedef struct {
	int64_t N, I, O, IB; /* IB: blocks of P inputs, the last maybe partial */
	int64_t tail;        /* inputs in a partial last block, 0 when none */
	int G;        /* outputs per group (group()) */
	LLVMTypeRef tv;
	LLVMValueRef w, bias, x, y;
	LLVMValueRef acc[GMAX];
} Dense;

static void put_f32(unsigned char *p, float v)
{
	uint32_t u;

	memcpy(&u, &v, 4);
	for (int b = 0; b < 4; b++)
		p[b] = (unsigned char)(u >> (8 * b));
}

/* The weights in the order the kernel reads them, one sequential stream:
 * for each group of g outputs from o0, block after block, the g rows'
 * blocks of P: element (o0 * IB + blk * g + j) * P + l is w[o0 + j][blk * P
 * + l], +0 past I. */
static void pack(Cg *c, const Node *nd, Dense *k, int n)
{
	const float *w = c->g->vals[nd->in[1]].data;
	size_t len = (size_t)(k->O * k->IB * P * 4);
	unsigned char *wb = ir_xcalloc(len ? len : 1, 1);
	int64_t full = k->O / k->G * k->G;
	char name[320];

	for (int64_t o = 0; o < k->O; o++) {
		int64_t j = o < full ? o % k->G : o - full, g = o < full ? k->G : k->O - full;
		for (int64_t i = 0; i < k->I; i++)
			put_f32(wb + (((o - j) * k->IB + i / P * g + j) * P + i % P) * 4,
			        w[o * k->I + i]);
	}
	snprintf(name, sizeof name, "%s.wdf32_%d", c->name, n);
	k->w = tgt_const_of(c, nd->in[1], name, wb, len ? len : 1);
	LLVMSetAlignment(k->w, 64); /* rows of 64 bytes: aligned vector loads */
	free(wb);
}

/* How many outputs share an x load: enough independent chains to cover
 * the fadd latency, few enough that the accumulators (16 floats each) stay
 * in registers. */
static int group(const TgtMachine *m)
{
	int lanes = tgt_x86_f32_lanes(m);

	if (strncmp(m->triple, "x86_64", 6) == 0)
		return lanes == 16 ? 8 : lanes == 8 ? 4 : 2; /* 32 zmm; 16 ymm; 16 xmm */
	if (strncmp(m->triple, "aarch64", 7) == 0)
		return 4; /* 32 q registers, 4 per accumulator */
	return 1; /* 32-bit targets: one accumulator fills the FP registers */
}

/* x[row + P*blk ..] with +0 past the first `live` lanes (live < P): a masked
 * load, so no byte past x is read. */
static LLVMValueRef load_tail(Cg *c, Dense *k, LLVMValueRef at, int64_t live)
{
	LLVMTypeRef tm = LLVMVectorType(c->ti1, P);
	LLVMTypeRef ps[4] = {c->tptr, c->ti32, tm, k->tv};
	LLVMTypeRef ft = LLVMFunctionType(k->tv, ps, 4, 0);
	const char *name = "llvm.masked.load.v16f32.p0";
	LLVMValueRef fn = LLVMGetNamedFunction(c->mod, name), m[P];

	if (!fn)
		fn = LLVMAddFunction(c->mod, name, ft);
	for (int l = 0; l < P; l++)
		m[l] = LLVMConstInt(c->ti1, l < live, 0);
	LLVMValueRef args[4] = {at, tgt_c32(c, 4), LLVMConstVector(m, P), LLVMConstNull(k->tv)};
	return LLVMBuildCall2(c->b, ft, fn, args, 4, "");
}

/* acc[j] = acc[j] + xv * w[o0 + j][blk] for j < g: a separate fmul and
 * fadd (never an FMA), as the interpreter. */
static void step(Cg *c, Dense *k, int g, LLVMValueRef o0, LLVMValueRef blk, LLVMValueRef xv)
{
	LLVMBuilderRef b = c->b;

	for (int j = 0; j < g; j++) {
		LLVMValueRef row = tgt_mad(c, o0, k->IB, tgt_mad(c, blk, g, tgt_cidx(c, j)));
		LLVMValueRef wv = tgt_load_al(c, k->tv, tgt_gep(c, k->tv, k->w, row), 64);
		LLVMValueRef a = LLVMBuildFAdd(b, LLVMBuildLoad2(b, k->tv, k->acc[j], ""),
		                               LLVMBuildFMul(b, xv, wv, ""), "");
		LLVMBuildStore(b, a, k->acc[j]);
	}
}

static LLVMValueRef half(Cg *c, LLVMValueRef v, int h, int hi)
{
	LLVMValueRef idx[P];

	for (int l = 0; l < h; l++)
		idx[l] = tgt_c32(c, l + (hi ? h : 0));
	return LLVMBuildShuffleVector(c->b, v, LLVMGetUndef(LLVMTypeOf(v)),
	                              LLVMConstVector(idx, (unsigned)h), "");
}

/* The tree: for h = 8, 4, 2, 1, p[s] = p[s] + p[s + h] for s < h. */
static LLVMValueRef reduce(Cg *c, LLVMValueRef v)
{
	for (int h = P / 2; h >= 2; h /= 2)
		v = LLVMBuildFAdd(c->b, half(c, v, h, 0), half(c, v, h, 1), "");
	return LLVMBuildFAdd(c->b, LLVMBuildExtractElement(c->b, v, tgt_c32(c, 0), ""),
	                     LLVMBuildExtractElement(c->b, v, tgt_c32(c, 1), ""), "");
}

/* Outputs o0 .. o0 + g - 1 of row in. */
static void outputs(Cg *c, Dense *k, Act act, int g, LLVMValueRef in, LLVMValueRef o0)
{
	LLVMBuilderRef b = c->b;
	LLVMValueRef xrow = tgt_mad(c, in, k->I, NULL);
	int64_t full = k->IB - (k->tail != 0);
	Loop lb;

	for (int j = 0; j < g; j++)
		LLVMBuildStore(b, LLVMConstNull(k->tv), k->acc[j]);
	if (full) {
		LLVMValueRef blk = tgt_upto(c, &lb, full);
		LLVMValueRef at = tgt_gep(c, c->tf32, k->x, tgt_mad(c, blk, P, xrow));
		step(c, k, g, o0, blk, tgt_load_al(c, k->tv, at, 4));
		tgt_loop_close(c, &lb);
	}
	if (k->tail) {
		LLVMValueRef at = tgt_gep(c, c->tf32, k->x,
		                          LLVMBuildNSWAdd(b, xrow, tgt_cidx(c, full * P), ""));
		step(c, k, g, o0, tgt_cidx(c, full), load_tail(c, k, at, k->tail));
	}
	for (int j = 0; j < g; j++) {
		LLVMValueRef o = LLVMBuildNSWAdd(b, o0, tgt_cidx(c, j), "");
		LLVMValueRef acc = reduce(c, LLVMBuildLoad2(b, k->tv, k->acc[j], ""));
		if (k->bias)
			acc = LLVMBuildFAdd(b, acc, tgt_load(c, c->tf32, k->bias, o), "");
		tgt_store(c, tgt_act_f32(c, acc, act), k->y, tgt_mad(c, in, k->O, o));
	}
}

void tgt_dense_f32(Cg *c, int n, LLVMValueRef fn)
{
	LLVMValueRef x = LLVMGetParam(fn, 0), y = LLVMGetParam(fn, 1);
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *xv = &g->vals[nd->in[0]], *wv = &g->vals[nd->in[1]];
	Dense k;
	Loop ln, lg;

	memset(&k, 0, sizeof k);
	k.N = xv->shape.d[0], k.I = xv->shape.d[1], k.O = wv->shape.d[0];
	k.IB = (k.I + P - 1) / P, k.tail = k.I % P;
	k.x = x, k.y = y;
	k.tv = LLVMVectorType(c->tf32, P);
	if (tgt_x86_f32_lanes(c->tm) ==
	    16) /* 512-bit vectors stay legal where the CPU prefers 256-bit ones */
		LLVMAddAttributeAtIndex(
		        c->fn, LLVMAttributeFunctionIndex,
		        LLVMCreateStringAttribute(c->ctx, "min-legal-vector-width", 22, "512", 3));
	int G = k.G = group(c->tm);
	pack(c, nd, &k, n);
	if (nd->nin > 2)
		k.bias = tgt_const_value(c, nd->in[2], NULL, "bdf32_", n);
	for (int j = 0; j < G; j++)
		k.acc[j] = tgt_alloca(c, k.tv, 1);

	LLVMValueRef in = tgt_upto(c, &ln, k.N);
	int64_t full = k.O / G, rest = k.O % G;
	if (full) {
		LLVMValueRef og = tgt_upto(c, &lg, full);
		outputs(c, &k, nd->a.act, G, in, tgt_mad(c, og, G, NULL));
		tgt_loop_close(c, &lg);
	}
	if (rest)
		outputs(c, &k, nd->a.act, (int)rest, in, tgt_cidx(c, full * G));
	tgt_loop_close(c, &ln);
}
