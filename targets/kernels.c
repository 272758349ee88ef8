/* kernels.c — the kernel registry and the one chooser of conv2d and dense.
 *
 * A kernel is a row of data (TgtKernel): the op it takes, the dtypes of x,
 * w, y and the bias, the conv2d shape classes (groups = 1, depthwise,
 * grouped; a pool dilation, a dilation along x), whether the constants
 * need data, the CPU feature it needs, and three functions: applies_more
 * for what data cannot say, emit, and scratch: the arena bytes emit uses,
 * which plan-memory plans (tgt_node_scratch) and the chooser then checks.
 * Each row of target.c lists its kernels in order of preference; the
 * chooser takes the first whose data and applies_more accept the node, else
 * the generic loop (lower_conv.c, lower_dense.c), and can say why each
 * kernel before it declined (quantc inspect).
 */
#include <stdarg.h>
#include <string.h>

#include "targets.h"

const TgtKernel tgt_k_vnni_conv2d = {
        "x86.vnni.conv2d",
        OP_CONV2D,
        DT_I8,
        DT_I8,
        DT_I8,
        DT_I32,
        TK_PLAIN | TK_DEPTHWISE | TK_DIL_X | TK_CONST,
        "avx512vnni",
        tgt_conv2d_vnni_applies,
        tgt_conv2d_vnni,
        tgt_conv2d_vnni_scratch,
        TL_NHWC,
};
const TgtKernel tgt_k_vnni_dw8_conv2d = {
        "x86.vnni_dw8.conv2d",
        OP_CONV2D,
        DT_I8,
        DT_I8,
        DT_I8,
        DT_I32,
        TK_DEPTHWISE | TK_CONST,
        "avx512vnni",
        tgt_conv2d_dw8_applies,
        tgt_conv2d_dw8,
        tgt_conv2d_dw8_scratch,
        TL_NHWC,
};
const TgtKernel tgt_k_avx2_dw8_conv2d = {
        "x86.avx2_dw8.conv2d",
        OP_CONV2D,
        DT_I8,
        DT_I8,
        DT_I8,
        DT_I32,
        TK_DEPTHWISE | TK_CONST,
        "avx2",
        tgt_conv2d_dw8_avx2_applies,
        tgt_conv2d_dw8_avx2,
        tgt_conv2d_dw8_avx2_scratch,
        TL_NHWC,
};
const TgtKernel tgt_k_avx2_conv2d = {
        "x86.avx2.conv2d",
        OP_CONV2D,
        DT_I8,
        DT_I8,
        DT_I8,
        DT_I32,
        TK_PLAIN | TK_DEPTHWISE | TK_DIL_X | TK_CONST,
        "avx2",
        tgt_conv2d_avx2_applies,
        tgt_conv2d_avx2,
        tgt_conv2d_avx2_scratch,
        TL_NHWC,
};
const TgtKernel tgt_k_sse2_conv2d = {
        "x86.sse2.conv2d",
        OP_CONV2D,
        DT_I8,
        DT_I8,
        DT_I8,
        DT_I32,
        TK_PLAIN | TK_DEPTHWISE | TK_DIL_X | TK_CONST,
        "sse2",
        tgt_conv2d_sse2_applies,
        tgt_conv2d_sse2,
        tgt_conv2d_sse2_scratch,
        TL_NHWC,
};
const TgtKernel tgt_k_sse2_dense = {
        "x86.sse2.dense",
        OP_DENSE,
        DT_I8,
        DT_I8,
        DT_I8,
        DT_I32,
        TK_CONST,
        "sse2",
        tgt_dense_sse2_applies,
        tgt_dense_sse2,
        tgt_dense_sse2_scratch,
        0,
};
const TgtKernel tgt_k_f32_conv2d = {
        "x86.f32.conv2d",
        OP_CONV2D,
        DT_F32,
        DT_F32,
        DT_F32,
        DT_F32,
        TK_PLAIN | TK_POOL_DIL | TK_DIL_X | TK_CONST,
        "avx2|avx512f",
        tgt_conv2d_f32_applies,
        tgt_conv2d_f32,
        tgt_conv2d_f32_scratch,
        0,
};
const TgtKernel tgt_k_f32_dw_conv2d = {
        "x86.f32dw.conv2d",
        OP_CONV2D,
        DT_F32,
        DT_F32,
        DT_F32,
        DT_F32,
        TK_DEPTHWISE | TK_DIL_X | TK_CONST,
        "avx2|avx512f",
        tgt_conv2d_f32_dw_applies,
        tgt_conv2d_f32_dw,
        tgt_conv2d_f32_dw_scratch,
        0,
};
const TgtKernel tgt_k_neon_conv2d = {
        "arm64.neon.conv2d",
        OP_CONV2D,
        DT_I8,
        DT_I8,
        DT_I8,
        DT_I32,
        TK_PLAIN | TK_DEPTHWISE | TK_POOL_DIL | TK_DIL_X | TK_CONST,
        "neon",
        tgt_conv2d_neon_applies,
        tgt_conv2d_neon,
        tgt_conv2d_neon_scratch,
        0,
};
const TgtKernel tgt_k_rvv_conv2d = {
        "riscv.rvv.conv2d",
        OP_CONV2D,
        DT_I8,
        DT_I8,
        DT_I8,
        DT_I32,
        TK_PLAIN | TK_DEPTHWISE | TK_POOL_DIL | TK_DIL_X | TK_CONST,
        "v",
        tgt_conv2d_rvv_applies,
        tgt_conv2d_rvv,
        tgt_conv2d_rvv_scratch,
        0,
};
const TgtKernel tgt_k_smlad_conv2d = {
        "armm.smlad.conv2d",
        OP_CONV2D,
        DT_I8,
        DT_I8,
        DT_I8,
        DT_I32,
        TK_PLAIN | TK_POOL_DIL | TK_DIL_X | TK_CONST,
        "dsp",
        tgt_conv2d_smlad_applies,
        tgt_conv2d_smlad,
        tgt_conv2d_smlad_scratch,
        0,
};
const TgtKernel tgt_k_smlad_dw_conv2d = {
        "armm.smlad_dw.conv2d",
        OP_CONV2D,
        DT_I8,
        DT_I8,
        DT_I8,
        DT_I32,
        TK_PLAIN | TK_DEPTHWISE | TK_GROUPED | TK_POOL_DIL | TK_CONST,
        "dsp",
        tgt_conv2d_smlad_dw_applies,
        tgt_conv2d_smlad_dw,
        tgt_conv2d_smlad_dw_scratch,
        0,
};
const TgtKernel tgt_k_smlad_dense = {
        "armm.smlad.dense",      OP_DENSE,        DT_I8, DT_I8, DT_I8, DT_I32, TK_CONST, "dsp",
        tgt_dense_smlad_applies, tgt_dense_smlad, NULL,  0,
};
/* kernel_x86_gemm.c: 1x1 stride-1 unpadded convolutions as a GEMM, and dense */
const TgtKernel tgt_k_vnni_conv1x1 = {
        "x86.vnni.conv1x1",
        OP_CONV2D,
        DT_I8,
        DT_I8,
        DT_I8,
        DT_I32,
        TK_PLAIN | TK_DIL_X | TK_CONST,
        "avx512vnni",
        tgt_gemm8_vnni_applies,
        tgt_conv1x1_vnni,
        tgt_gemm8_vnni_scratch,
        0,
};
const TgtKernel tgt_k_vnni_dense = {
        "x86.vnni.dense",
        OP_DENSE,
        DT_I8,
        DT_I8,
        DT_I8,
        DT_I32,
        TK_CONST,
        "avx512vnni",
        tgt_gemm8_vnni_applies,
        tgt_dense_vnni,
        tgt_gemm8_vnni_scratch,
        0,
};
const TgtKernel tgt_k_avx2_dense = {
        "x86.avx2.dense",
        OP_DENSE,
        DT_I8,
        DT_I8,
        DT_I8,
        DT_I32,
        TK_CONST,
        "avx2",
        tgt_dense_avx2_applies,
        tgt_dense_avx2,
        tgt_dense_avx2_scratch,
        0,
};
/* kernel_rvv_gemm.c: the int8 dense as a register-blocked GEMV on RISC-V V */
const TgtKernel tgt_k_rvv_dense = {
        "riscv.rvv.dense",     OP_DENSE,      DT_I8, DT_I8, DT_I8, DT_I32, TK_CONST, "v",
        tgt_dense_rvv_applies, tgt_dense_rvv, NULL,  0,
};
/* kernel_rvv_f32.c: the f32 depthwise conv2d on RISC-V V */
const TgtKernel tgt_k_rvv_f32dw_conv2d = {
        "riscv.rvv_f32dw.conv2d",
        OP_CONV2D,
        DT_F32,
        DT_F32,
        DT_F32,
        DT_F32,
        TK_DEPTHWISE | TK_DIL_X | TK_CONST,
        "v",
        tgt_conv2d_rvv_f32dw_applies,
        tgt_conv2d_rvv_f32dw,
        tgt_conv2d_rvv_f32dw_scratch,
        0,
};
/* kernel_neon_gemm.c: dense on AArch64, sdot or smull/smlal */
const TgtKernel tgt_k_neon_dense = {
        "arm64.neon.dense",
        OP_DENSE,
        DT_I8,
        DT_I8,
        DT_I8,
        DT_I32,
        TK_CONST,
        "neon",
        tgt_dense_neon_applies,
        tgt_dense_neon,
        tgt_dense_neon_scratch,
        0,
};
const TgtKernel tgt_k_neon_conv1x1 = {
        "arm64.neon.conv1x1",
        OP_CONV2D,
        DT_I8,
        DT_I8,
        DT_I8,
        DT_I32,
        TK_PLAIN | TK_CONST,
        "neon",
        tgt_conv1x1_neon_applies,
        tgt_conv1x1_neon,
        tgt_conv1x1_neon_scratch,
        0,
};
/* kernel_f32_dw.c's f32 depthwise kernel on NEON's 4 lanes (kernel_neon_f32.c) */
const TgtKernel tgt_k_neon_f32_dw_conv2d = {
        "arm64.neon.f32dw.conv2d",
        OP_CONV2D,
        DT_F32,
        DT_F32,
        DT_F32,
        DT_F32,
        TK_DEPTHWISE | TK_DIL_X | TK_CONST,
        "neon",
        tgt_conv2d_f32_dw_applies,
        tgt_conv2d_f32_dw,
        tgt_conv2d_f32_dw_scratch,
        0,
};
/* kernel_f32.c's f32 conv2d kernel on NEON's 4 lanes (kernel_neon_f32.c) */
const TgtKernel tgt_k_neon_f32_conv2d = {
        "arm64.neon.f32.conv2d",
        OP_CONV2D,
        DT_F32,
        DT_F32,
        DT_F32,
        DT_F32,
        TK_PLAIN | TK_POOL_DIL | TK_DIL_X | TK_CONST,
        "neon",
        tgt_conv2d_f32_applies,
        tgt_conv2d_f32,
        tgt_conv2d_f32_scratch,
        0,
};
/* every target's: the interpreter's order of f32 additions, vectorized */
const TgtKernel tgt_k_f32_dense = {
        "any.f32.dense", OP_DENSE, DT_F32, DT_NONE, DT_NONE, DT_NONE, 0, NULL, NULL,
        tgt_dense_f32,   NULL,     0,
};

int tgt_has_feature(const TgtMachine *m, const char *name)
{
	if (strcmp(name, "avx512vnni") == 0)
		return tgt_x86_vnni(m);
	if (strcmp(name, "avx2") == 0)
		return tgt_x86_avx2(m);
	if (strcmp(name, "sse2") == 0)
		return tgt_x86_sse2(m);
	if (strcmp(name, "avx2|avx512f") == 0)
		return tgt_x86_f32_lanes(m) > 0;
	if (strcmp(name, "neon") == 0)
		return tgt_neon_variant(m) >= 0;
	if (strcmp(name, "v") == 0)
		return tgt_rvv(m);
	if (strcmp(name, "dsp") == 0)
		return tgt_armm_dsp(m);
	return 0;
}

/* Formats a reason into buf; returns buf. */
static const char *say(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return buf;
}

static int has_data(const Value *v)
{
	return v->kind == VK_CONST && v->data;
}

/* What k's data says of node nd on m: NULL when it takes it, else the
 * reason (in buf or a literal). */
static const char *data_declines(const TgtKernel *k, const TgtMachine *m, const Graph *g,
                                 const Node *nd, char *buf, size_t n)
{
	const Value *x = &g->vals[nd->in[0]], *w = &g->vals[nd->in[1]], *y = &g->vals[nd->out];
	const Value *b = nd->nin > 2 ? &g->vals[nd->in[2]] : NULL;
	const struct {
		const char *what;
		DType want, have;
	} dts[] = {
	        {"x", k->x, x->dt},
	        {"weights", k->w, w->dt},
	        {"y", k->y, y->dt},
	        {"bias", k->bias, b ? b->dt : k->bias},
	};

	if (k->feature && !tgt_has_feature(m, k->feature)) {
		const char *alt = strchr(k->feature, '|'); /* "a|b": either */
		if (alt)
			return say(buf, n, "needs %.*s or %s", (int)(alt - k->feature), k->feature,
			           alt + 1);
		return say(buf, n, "needs %s", k->feature);
	}
	for (size_t i = 0; i < sizeof dts / sizeof dts[0]; i++)
		if (dts[i].want != DT_NONE && dts[i].have != dts[i].want)
			return say(buf, n, "%s %s not %s", dts[i].what, ir_dtype_name(dts[i].have),
			           ir_dtype_name(dts[i].want));
	if ((k->shapes & TK_CONST) && (!has_data(w) || (b && !b->data)))
		return "constants without data";
	if (nd->op != OP_CONV2D)
		return NULL;
	ConvGeo cg;
	if (ir_conv_geo(g, nd, &cg) < 0)
		return "invalid geometry";
	int depthwise = cg.G > 1 && cg.G == cg.C && cg.OC == cg.C;
	unsigned cls = cg.G == 1 ? TK_PLAIN : depthwise ? TK_DEPTHWISE : TK_GROUPED;
	if (!(k->shapes & cls))
		return cg.G == 1   ? "groups 1 (takes groups > 1 only)"
		       : depthwise ? "depthwise (takes groups 1 only)"
		                   : say(buf, n, "groups %lld not 1 or depthwise", (long long)cg.G);
	if ((cg.pool.dh != 1 || cg.pool.dw != 1) && !(k->shapes & TK_POOL_DIL))
		return "pool dilation not 1";
	if (cg.dw != 1 && !(k->shapes & TK_DIL_X))
		return say(buf, n, "dilation %lld along x not 1", (long long)cg.dw);
	return NULL;
}

/* 1 when nd's result or its input is stored NHWC (or c asks for it). */
static int touches_nhwc(const Cg *c, const Node *nd)
{
	return c->want_nhwc || nd->a.layout == IR_LAYOUT_NHWC ||
	       ir_value_layout(c->g, nd->in[0]) == IR_LAYOUT_NHWC;
}

/* Whether the arena scratch plan-memory gave nd holds what k needs: NULL,
 * or the reason (planning, the chooser ignores the plan). */
static const char *scratch_declines(Cg *c, const TgtKernel *k, const Node *nd, char *buf, size_t n)
{
	int64_t need = k->scratch ? k->scratch(c, nd) : 0;

	if (need <= 0 || c->planning || need + TGT_SCRATCH_ALIGN - IR_ALIGN <= nd->a.scratch[1])
		return NULL;
	return say(buf, n, "needs %lld bytes of arena scratch, %lld planned", (long long)need,
	           (long long)nd->a.scratch[1]);
}

/* Appends "name: reason" to why (whylen bytes; "; " between entries). */
static void note(char *why, size_t whylen, size_t *used, const char *name, const char *r)
{
	if (!why || *used >= whylen)
		return;
	int k = snprintf(why + *used, whylen - *used, "%s%s: %s", *used ? "; " : "", name, r);
	*used += k > 0 ? (size_t)k : 0;
}

/* The chooser: the first kernel of c->tm's list that takes node nd, or NULL
 * (the generic loop).  why, when not NULL, receives each other kernel of
 * the op with the reason it declined, or "also fits, ranked lower". */
static const TgtKernel *choose(Cg *c, const Node *nd, char *why, size_t whylen)
{
	const TgtKernel *const *ks = c->tm->kernels;
	const TgtKernel *pick = NULL;
	size_t used = 0;
	char buf[96];

	if (why && whylen)
		why[0] = 0;
	for (int i = 0; ks && ks[i]; i++) {
		const TgtKernel *k = ks[i];
		const char *r;
		if (k->op != nd->op)
			continue;
		r = data_declines(k, c->tm, c->g, nd, buf, sizeof buf);
		if (!r && touches_nhwc(c, nd) && !(k->layouts & TL_NHWC))
			r = "reads and writes NCHW only (the tensors are NHWC)";
		/* the scratch is planned for the kernel picked: the ones after
		 * it "also fit" without theirs */
		if (!r && (!k->applies_more || k->applies_more(c, nd, &r)) &&
		    (pick || !(r = scratch_declines(c, k, nd, buf, sizeof buf)))) {
			if (!pick)
				pick = k;
			else
				note(why, whylen, &used, k->name, "also fits, ranked lower");
			if (!why)
				break;
			continue;
		}
		note(why, whylen, &used, k->name, r ? r : "declines");
	}
	return pick;
}

int tgt_lower_weighted(Cg *c, int n, LLVMValueRef fn)
{
	const Node *nd = &c->g->nodes[n];
	const TgtKernel *k = choose(c, nd, NULL, 0);

	if (k)
		k->emit(c, n, fn);
	else if (nd->op == OP_CONV2D)
		tgt_conv2d_generic(c, n, fn);
	else
		tgt_dense_generic(c, n, fn);
	return 0;
}

const char *tgt_choose_kernel(const TgtMachine *m, const Graph *g, int n, char *why, size_t whylen)
{
	const Node *nd = &g->nodes[n];
	Cg c;

	if (why && whylen)
		why[0] = 0;
	if (nd->op != OP_CONV2D && nd->op != OP_DENSE)
		return NULL;
	/* applies_more reads only the graph and the machine */
	memset(&c, 0, sizeof c);
	c.g = (Graph *)g;
	c.tm = m;
	const TgtKernel *k = choose(&c, nd, why, whylen);
	return k ? k->name : nd->op == OP_CONV2D ? "generic.conv2d" : "generic.dense";
}

/* The scratch of the kernel machine m (one ISA) picks for nd. */
static int64_t scratch_on(const TgtMachine *m, const Graph *g, const Node *nd)
{
	Cg c;

	memset(&c, 0, sizeof c);
	c.g = (Graph *)g;
	c.tm = m;
	c.planning = 1;
	const TgtKernel *k = choose(&c, nd, NULL, 0);
	int64_t need = k && k->scratch             ? k->scratch(&c, nd)
	               : !k && nd->op == OP_CONV2D ? tgt_conv2d_generic_scratch(&c, nd)
	                                           : 0;
	return need > 0 ? need + TGT_SCRATCH_ALIGN - IR_ALIGN : 0;
}

int64_t tgt_node_scratch(const void *tgt, const Graph *g, int n)
{
	const TgtMachine *m = tgt;
	const Node *nd = &g->nodes[n];
	int64_t most = 0;

	if (nd->op != OP_CONV2D && nd->op != OP_DENSE)
		return 0;
	if (!m->nlevels)
		return scratch_on(m, g, nd);
	for (int i = 0; i < m->nlevels; i++) {
		int64_t b = scratch_on(&m->levels[i], g, nd);
		most = b > most ? b : most;
	}
	return most;
}

int tgt_node_nhwc(const void *tgt, const Graph *g, int n)
{
	const TgtMachine *m = tgt;
	const Node *nd = &g->nodes[n];
	int nl = m->nlevels ? m->nlevels : 1, best = 2;

	if (nd->op != OP_CONV2D)
		return 0;
	for (int i = 0; i < nl; i++) {
		Cg c;
		memset(&c, 0, sizeof c);
		c.g = (Graph *)g;
		c.tm = m->nlevels ? &m->levels[i] : m;
		c.planning = 1;
		const TgtKernel *pref = choose(&c, nd, NULL, 0);
		c.want_nhwc = 1;
		const TgtKernel *k = choose(&c, nd, NULL, 0);
		if (!k)
			return 0;
		if (k != pref)
			best = 1;
	}
	return best;
}

int tgt_layout_declines(Cg *c, int n)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	int nhwc = nd->a.layout == IR_LAYOUT_NHWC;

	for (int i = 0; i < nd->nin; i++)
		nhwc |= ir_value_layout(g, nd->in[i]) == IR_LAYOUT_NHWC;
	if (!nhwc)
		return 0;
	if (nd->op == OP_CONV2D) {
		const TgtKernel *k = choose(c, nd, NULL, 0);
		int in_ok = 1;
		for (int i = 1; i < nd->nin; i++)
			in_ok &= ir_value_layout(g, nd->in[i]) == IR_LAYOUT_NCHW;
		if (k && (k->layouts & TL_NHWC) && in_ok)
			return 0;
	} else if (ir_layout_free(g, n) && ir_layout_free_ok(g, n))
		return 0;
	diag_error(c->d, nd->loc,
	           "%s '%s': no kernel of this target takes its layout (an NHWC tensor "
	           "where it reads or writes NCHW only)",
	           ir_ops[nd->op].name, g->vals[nd->out].name);
	return 1;
}

int tgt_append_scratch(Graph *g, const TgtOptions *o, Diag *d)
{
	TgtMachine m;

	if (tgt_machine_new(&m, o, d))
		return 1;
	for (int n = 0; n < g->nnode; n++) {
		int64_t b = tgt_node_scratch(&m, g, n);
		if (b <= g->nodes[n].a.scratch[1])
			continue;
		g->arena_size = (g->arena_size + IR_ALIGN - 1) / IR_ALIGN * IR_ALIGN;
		g->nodes[n].a.scratch[0] = g->arena_size;
		g->nodes[n].a.scratch[1] = b;
		g->arena_size += (b + IR_ALIGN - 1) / IR_ALIGN * IR_ALIGN;
	}
	tgt_machine_free(&m);
	return 0;
}
