/* targets/fam_shape.c — the shape family (flatten, reshape, pad,
 * transpose, slice, gather, expand, resize) in the targets layer: their checks and kernels.  flatten and
 * reshape are views (OPF_VIEW): no code when the result already is the
 * operand's bytes, a copy otherwise.  The others move elements as
 * integers of the element's size, so a float's bits (NaN payloads too) are
 * copied as they are; ir/fam_shape.c's definitions.  Index maps known at
 * compile time (gather's constant indices, resize's source coordinates and
 * weights, pad's source indices outside constant mode, computed by the same ir/geometry.c functions as the interpreter
 * uses) become constant tables the loops read.
 */
#include <stdlib.h>
#include <string.h>

#include "tgt_rules.h"

/* The integer type as wide as one element of dt. */
static LLVMTypeRef elem_type(Cg *c, DType dt)
{
	switch (ir_dtype_size(dt)) {
	case 1: return c->ti8;
	case 2: return c->ti16;
	case 4: return c->ti32;
	default: return c->ti64;
	}
}

/* A constant table of cnt elements of size es (host order) named after
 * node n and tag. */
static LLVMValueRef table(Cg *c, int n, const char *tag, const void *data, int64_t cnt, size_t es)
{
	char name[320];

	snprintf(name, sizeof name, "%s.%s%d.%s", c->name, ir_ops[c->g->nodes[n].op].name, n, tag);
	return tgt_const_bytes(c, name, data, (size_t)cnt * es);
}

/* A table of cnt element offsets in the target's index type (c->tidx: 32
 * bits on 32-bit targets, where every offset fits). */
static LLVMValueRef index_table(Cg *c, int n, const char *tag, const int64_t *off, int64_t cnt)
{
	if (LLVMGetIntTypeWidth(c->tidx) == 64)
		return table(c, n, tag, off, cnt, 8);
	int32_t *o32 = ir_xmalloc((size_t)cnt * 4);
	for (int64_t i = 0; i < cnt; i++)
		o32[i] = (int32_t)off[i];
	LLVMValueRef t = table(c, n, tag, o32, cnt, 4);
	free(o32);
	return t;
}

static void lower_copy(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	const Graph *g = c->g;
	const Value *xv = &g->vals[g->nodes[n].in[0]];
	const Value *yv = &g->vals[g->nodes[n].out];
	int64_t bytes = ir_value_bytes(xv);

	tgt_copy(c, y, 16, x, 16, bytes,
	         xv->kind != VK_CONST && yv->offset < xv->offset + bytes &&
	                 xv->offset < yv->offset + bytes);
}

/* ---- pad, transpose ---------------------------------------------------------- */

/* The bits of pad's value as one element of x's storage type. */
static LLVMValueRef pad_element(Cg *c, const Value *xv, float value)
{
	uint32_t bits;

	if (xv->dt == DT_F32) {
		memcpy(&bits, &value, 4);
		return LLVMConstInt(c->ti32, bits, 0);
	}
	int32_t q = ir_quantize_value(value, xv->q.scale[0], xv->q.zp, xv->dt);
	return LLVMConstInt(elem_type(c, xv->dt), (unsigned long long)(int64_t)q, 1);
}

/* pad's other modes: per axis of the result a table of x's offsets along it
 * (ir_pad_source times the stride), one loop per axis, as resize nearest. */
static void lower_pad_from_x(Cg *c, int n, LLVMValueRef x, LLVMValueRef y, const int64_t *begin)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *xv = &g->vals[nd->in[0]], *yv = &g->vals[nd->out];
	const int rank = xv->shape.rank;
	LLVMTypeRef te = elem_type(c, xv->dt);
	int64_t xst[IR_MAX_RANK], m = 1;
	Loop l[IR_MAX_RANK];
	LLVMValueRef in = tgt_cidx(c, 0), out = tgt_cidx(c, 0), tab[IR_MAX_RANK];

	for (int k = rank - 1; k >= 0; k--) {
		xst[k] = m;
		m *= xv->shape.d[k];
	}
	for (int k = 0; k < rank; k++) {
		const int64_t len = yv->shape.d[k];
		int64_t *off = ir_xmalloc((size_t)len * sizeof *off);
		for (int64_t i = 0; i < len; i++)
			off[i] = ir_pad_source(nd->a.pad_mode, i - begin[k], xv->shape.d[k]) *
			         xst[k];
		char tag[16];
		snprintf(tag, sizeof tag, "axis%d", k);
		/* an axis not padded is walked as it is */
		tab[k] = len == xv->shape.d[k] ? NULL : index_table(c, n, tag, off, len);
		free(off);
	}
	for (int k = 0; k < rank; k++) {
		LLVMValueRef ik = tgt_upto(c, &l[k], yv->shape.d[k]);
		in = tab[k] ? LLVMBuildNSWAdd(c->b, in, tgt_load(c, c->tidx, tab[k], ik), "")
		            : tgt_mad(c, ik, xst[k], in);
		out = tgt_mad(c, out, yv->shape.d[k], ik);
	}
	tgt_store(c, tgt_load(c, te, x, in), y, out);
	for (int k = rank - 1; k >= 0; k--)
		tgt_loop_close(c, &l[k]);
}

static void lower_pad(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *xv = &g->vals[nd->in[0]], *yv = &g->vals[nd->out];
	const int rank = xv->shape.rank;
	LLVMTypeRef te = elem_type(c, xv->dt);
	int64_t begin[IR_MAX_RANK], end[IR_MAX_RANK];
	Loop lf, l[IR_MAX_RANK];
	LLVMValueRef in = tgt_cidx(c, 0), out = tgt_cidx(c, 0);

	ir_pad_amounts(&nd->a, rank, begin, end);
	if (nd->a.pad_mode != IR_PAD_CONSTANT) {
		lower_pad_from_x(c, n, x, y, begin);
		return;
	}
	LLVMValueRef i = tgt_upto(c, &lf, ir_shape_numel(&yv->shape));
	tgt_store(c, pad_element(c, xv, nd->a.value), y, i);
	tgt_loop_close(c, &lf);
	/* one loop per axis of x; in and out are the running linear indices */
	for (int k = 0; k < rank; k++) {
		LLVMValueRef ik = tgt_upto(c, &l[k], xv->shape.d[k]);
		in = tgt_mad(c, in, xv->shape.d[k], ik);
		out = tgt_mad(c, out, yv->shape.d[k],
		              LLVMBuildNSWAdd(c->b, ik, tgt_cidx(c, begin[k]), ""));
	}
	tgt_store(c, tgt_load(c, te, x, in), y, out);
	for (int k = rank - 1; k >= 0; k--)
		tgt_loop_close(c, &l[k]);
}

static void lower_transpose(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *xv = &g->vals[nd->in[0]], *yv = &g->vals[nd->out];
	const int rank = xv->shape.rank;
	LLVMTypeRef te = elem_type(c, xv->dt);
	int64_t xst[IR_MAX_RANK], m = 1;
	int perm[IR_MAX_RANK];
	Loop l[IR_MAX_RANK];
	LLVMValueRef in = tgt_cidx(c, 0), out = tgt_cidx(c, 0);

	ir_transpose_perm(&nd->a, rank, perm);
	for (int k = rank - 1; k >= 0; k--) {
		xst[k] = m;
		m *= xv->shape.d[k];
	}
	/* one loop per axis of the result: out axis k walks x's axis perm[k] */
	for (int k = 0; k < rank; k++) {
		LLVMValueRef ik = tgt_upto(c, &l[k], yv->shape.d[k]);
		in = tgt_mad(c, ik, xst[perm[k]], in);
		out = tgt_mad(c, out, yv->shape.d[k], ik);
	}
	tgt_store(c, tgt_load(c, te, x, in), y, out);
	for (int k = rank - 1; k >= 0; k--)
		tgt_loop_close(c, &l[k]);
}

static void lower_slice(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *xv = &g->vals[nd->in[0]];
	const int rank = xv->shape.rank;
	LLVMTypeRef te = elem_type(c, xv->dt);
	int64_t xst[IR_MAX_RANK], first[IR_MAX_RANK], step[IR_MAX_RANK], base = 0, m = 1;
	Loop l[IR_MAX_RANK];
	Shape ys;

	ir_slice_geo(&nd->a, &xv->shape, first, step, &ys);
	for (int k = rank - 1; k >= 0; k--) {
		xst[k] = m;
		m *= xv->shape.d[k];
		base += first[k] * xst[k];
	}
	LLVMValueRef in = tgt_cidx(c, base), out = tgt_cidx(c, 0);
	/* one loop per axis of the result, stepping through x by step[k] */
	for (int k = 0; k < rank; k++) {
		LLVMValueRef ik = tgt_upto(c, &l[k], ys.d[k]);
		in = tgt_mad(c, ik, step[k] * xst[k], in);
		out = tgt_mad(c, out, ys.d[k], ik);
	}
	tgt_store(c, tgt_load(c, te, x, in), y, out);
	for (int k = rank - 1; k >= 0; k--)
		tgt_loop_close(c, &l[k]);
}

/* gather with constant indices: a table of the source offsets on the axis
 * (idx[j] made non-negative, times inner) drives the copy. */
static void lower_gather(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *xv = &g->vals[nd->in[0]], *iv = &g->vals[nd->in[1]];
	LLVMTypeRef te = elem_type(c, xv->dt);
	const int64_t ni = ir_shape_numel(&iv->shape);
	int64_t outer, m, inner;
	Loop lo, lj, li;
	Shape ys;

	ir_gather_geo(&xv->shape, &iv->shape, nd->a.axis, &outer, &m, &inner, &ys);
	int64_t *off = ir_xmalloc((size_t)ni * sizeof *off);
	for (int64_t j = 0; j < ni; j++) {
		int64_t k = ((const int64_t *)iv->data)[j];
		off[j] = (k < 0 ? k + m : k) * inner;
	}
	LLVMValueRef tab = index_table(c, n, "off", off, ni);
	free(off);
	LLVMValueRef o = tgt_upto(c, &lo, outer);
	LLVMValueRef j = tgt_upto(c, &lj, ni);
	LLVMValueRef src = LLVMBuildNSWAdd(c->b, tgt_mad(c, o, m * inner, NULL),
	                                   tgt_load(c, c->tidx, tab, j), "");
	LLVMValueRef dst = tgt_mad(c, tgt_mad(c, o, ni, j), inner, NULL);
	LLVMValueRef i = tgt_upto(c, &li, inner);
	tgt_store(c, tgt_load(c, te, x, LLVMBuildNSWAdd(c->b, src, i, "")), y,
	          LLVMBuildNSWAdd(c->b, dst, i, ""));
	tgt_loop_close(c, &li);
	tgt_loop_close(c, &lj);
	tgt_loop_close(c, &lo);
}

/* gather with run-time indices (fn's third parameter, i64): each index is
 * made an index of the axis as the interpreter does (d added to a negative
 * one, then clamped to [0, d-1]) before it drives the copy. */
static void lower_gather_rt(Cg *c, int n, LLVMValueRef x, LLVMValueRef y, LLVMValueRef idx)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *xv = &g->vals[nd->in[0]], *iv = &g->vals[nd->in[1]];
	LLVMTypeRef te = elem_type(c, xv->dt);
	const int64_t ni = ir_shape_numel(&iv->shape);
	int64_t outer, m, inner;
	Loop lo, lj, li;
	Shape ys;

	ir_gather_geo(&xv->shape, &iv->shape, nd->a.axis, &outer, &m, &inner, &ys);
	LLVMValueRef o = tgt_upto(c, &lo, outer);
	LLVMValueRef j = tgt_upto(c, &lj, ni);
	LLVMValueRef k = tgt_load(c, c->ti64, idx, j), zero = LLVMConstInt(c->ti64, 0, 0);
	LLVMValueRef neg = LLVMBuildICmp(c->b, LLVMIntSLT, k, zero, "");
	k = LLVMBuildSelect(
	        c->b, neg, LLVMBuildAdd(c->b, k, LLVMConstInt(c->ti64, (uint64_t)m, 0), ""), k, "");
	k = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, k, zero, ""), zero, k, "");
	LLVMValueRef top = LLVMConstInt(c->ti64, (uint64_t)(m - 1), 0);
	k = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSGT, k, top, ""), top, k, "");
	k = LLVMBuildIntCast2(c->b, k, c->tidx, 1, "");
	LLVMValueRef src = tgt_mad(c, o, m * inner, tgt_mad(c, k, inner, NULL));
	LLVMValueRef dst = tgt_mad(c, tgt_mad(c, o, ni, j), inner, NULL);
	LLVMValueRef i = tgt_upto(c, &li, inner);
	tgt_store(c, tgt_load(c, te, x, LLVMBuildNSWAdd(c->b, src, i, "")), y,
	          LLVMBuildNSWAdd(c->b, dst, i, ""));
	tgt_loop_close(c, &li);
	tgt_loop_close(c, &lj);
	tgt_loop_close(c, &lo);
}

static void lower_expand(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *xv = &g->vals[nd->in[0]], *yv = &g->vals[nd->out];
	const int rank = yv->shape.rank;
	LLVMTypeRef te = elem_type(c, xv->dt);
	int64_t xst[IR_MAX_RANK];
	Loop l[IR_MAX_RANK];
	LLVMValueRef in = tgt_cidx(c, 0), out = tgt_cidx(c, 0);

	ir_expand_strides(&xv->shape, &yv->shape, xst);
	/* one loop per axis of the result; a broadcast axis does not move in x */
	for (int k = 0; k < rank; k++) {
		LLVMValueRef ik = tgt_upto(c, &l[k], yv->shape.d[k]);
		if (xst[k])
			in = tgt_mad(c, ik, xst[k], in);
		out = tgt_mad(c, out, yv->shape.d[k], ik);
	}
	tgt_store(c, tgt_load(c, te, x, in), y, out);
	for (int k = rank - 1; k >= 0; k--)
		tgt_loop_close(c, &l[k]);
}

/* nearest: per result axis, x's offset along it from a table (none where
 * the axis is copied as it is). */
static void lower_resize_nearest(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *xv = &g->vals[nd->in[0]], *yv = &g->vals[nd->out];
	const float *s = g->vals[nd->in[1]].data;
	const int rank = xv->shape.rank;
	LLVMTypeRef te = elem_type(c, xv->dt);
	int64_t xst[IR_MAX_RANK], m = 1;
	Loop l[IR_MAX_RANK];
	LLVMValueRef in = tgt_cidx(c, 0), out = tgt_cidx(c, 0), tab[IR_MAX_RANK];

	for (int k = rank - 1; k >= 0; k--) {
		xst[k] = m;
		m *= xv->shape.d[k];
	}
	for (int k = 0; k < rank; k++) {
		const int64_t len = yv->shape.d[k];
		int64_t *off = ir_xmalloc((size_t)len * sizeof *off), same = len == xv->shape.d[k];
		for (int64_t i = 0; i < len; i++) {
			off[i] = ir_resize_nearest(&nd->a, i, xv->shape.d[k], len, s[k]) * xst[k];
			same = same && off[i] == i * xst[k];
		}
		char tag[16];
		snprintf(tag, sizeof tag, "axis%d", k);
		tab[k] = same ? NULL : index_table(c, n, tag, off, len);
		free(off);
	}
	for (int k = 0; k < rank; k++) {
		LLVMValueRef ik = tgt_upto(c, &l[k], yv->shape.d[k]);
		in = tab[k] ? LLVMBuildNSWAdd(c->b, in, tgt_load(c, c->tidx, tab[k], ik), "")
		            : tgt_mad(c, ik, xst[k], in);
		out = tgt_mad(c, out, yv->shape.d[k], ik);
	}
	tgt_store(c, tgt_load(c, te, x, in), y, out);
	for (int k = rank - 1; k >= 0; k--)
		tgt_loop_close(c, &l[k]);
}

/* One axis of a linear resize: tables of the two source offsets (index
 * times stride) and of their weights (f32, or i32 in 1/1024). */
typedef struct {
	LLVMValueRef off0, off1, w0, w1;
} LinAxis;

static LinAxis linear_axis(Cg *c, int n, int quant, int64_t in, int64_t len, float s,
                           int64_t stride, const char *tag)
{
	const Attrs *a = &c->g->nodes[n].a;
	int64_t *o0 = ir_xmalloc((size_t)len * 8), *o1 = ir_xmalloc((size_t)len * 8);
	float *f0 = ir_xmalloc((size_t)len * 4), *f1 = ir_xmalloc((size_t)len * 4);
	int32_t *q0 = ir_xmalloc((size_t)len * 4), *q1 = ir_xmalloc((size_t)len * 4);
	char name[32];
	LinAxis r;

	for (int64_t i = 0; i < len; i++) {
		if (quant)
			ir_resize_linear_q(a, i, in, len, s, &o0[i], &o1[i], &q0[i], &q1[i]);
		else
			ir_resize_linear(a, i, in, len, s, &o0[i], &o1[i], &f0[i], &f1[i]);
		o0[i] *= stride;
		o1[i] *= stride;
	}
	snprintf(name, sizeof name, "%s.off0", tag);
	r.off0 = index_table(c, n, name, o0, len);
	snprintf(name, sizeof name, "%s.off1", tag);
	r.off1 = index_table(c, n, name, o1, len);
	snprintf(name, sizeof name, "%s.w0", tag);
	r.w0 = table(c, n, name, quant ? (void *)q0 : (void *)f0, len, 4);
	snprintf(name, sizeof name, "%s.w1", tag);
	r.w1 = table(c, n, name, quant ? (void *)q1 : (void *)f1, len, 4);
	free(o0);
	free(o1);
	free(f0);
	free(f1);
	free(q0);
	free(q1);
	return r;
}

/* linear: planes, then rows and columns of the result; the arithmetic of
 * ir/fam_shape.c's run_resize_linear, operation for operation. */
static void lower_resize_linear(Cg *c, int n, LLVMValueRef x, LLVMValueRef y)
{
	const Graph *g = c->g;
	const Node *nd = &g->nodes[n];
	const Value *xv = &g->vals[nd->in[0]], *yv = &g->vals[nd->out];
	const float *s = g->vals[nd->in[1]].data;
	const int r = xv->shape.rank, quant = xv->dt != DT_F32;
	const int64_t H = xv->shape.d[r - 2], W = xv->shape.d[r - 1];
	const int64_t OH = yv->shape.d[r - 2], OW = yv->shape.d[r - 1];
	LLVMTypeRef te = elem_type(c, xv->dt), tw = quant ? c->ti32 : c->tf32;
	LinAxis ay = linear_axis(c, n, quant, H, OH, s[r - 2], W, "y");
	LinAxis ax = linear_axis(c, n, quant, W, OW, s[r - 1], 1, "x");
	Loop lp, ly, lx;

	LLVMValueRef p = tgt_upto(c, &lp, ir_shape_numel(&xv->shape) / (H * W));
	LLVMValueRef base = tgt_mad(c, p, H * W, NULL);
	LLVMValueRef oy = tgt_upto(c, &ly, OH);
	LLVMValueRef ry0 = LLVMBuildNSWAdd(c->b, base, tgt_load(c, c->tidx, ay.off0, oy), "");
	LLVMValueRef ry1 = LLVMBuildNSWAdd(c->b, base, tgt_load(c, c->tidx, ay.off1, oy), "");
	LLVMValueRef wy0 = tgt_load(c, tw, ay.w0, oy), wy1 = tgt_load(c, tw, ay.w1, oy);
	LLVMValueRef ox = tgt_upto(c, &lx, OW);
	LLVMValueRef x0 = tgt_load(c, c->tidx, ax.off0, ox), x1 = tgt_load(c, c->tidx, ax.off1, ox);
	LLVMValueRef wx0 = tgt_load(c, tw, ax.w0, ox), wx1 = tgt_load(c, tw, ax.w1, ox);
	LLVMValueRef q[4] = {
	        tgt_load(c, te, x, LLVMBuildNSWAdd(c->b, ry0, x0, "")),
	        tgt_load(c, te, x, LLVMBuildNSWAdd(c->b, ry0, x1, "")),
	        tgt_load(c, te, x, LLVMBuildNSWAdd(c->b, ry1, x0, "")),
	        tgt_load(c, te, x, LLVMBuildNSWAdd(c->b, ry1, x1, "")),
	};
	LLVMValueRef wxs[4] = {wx0, wx1, wx0, wx1}, wys[4] = {wy0, wy0, wy1, wy1}, v = NULL;
	LLVMValueRef o = tgt_mad(c, tgt_mad(c, p, OH, oy), OW, ox);
	if (!quant) {
		/* (wx * wy) * q, summed left to right */
		for (int k = 0; k < 4; k++) {
			LLVMValueRef t = LLVMBuildFMul(
			        c->b, LLVMBuildFMul(c->b, wxs[k], wys[k], ""),
			        LLVMBuildBitCast(c->b, q[k], c->tf32, ""), "");
			v = v ? LLVMBuildFAdd(c->b, v, t, "") : t;
		}
		tgt_store(c, LLVMBuildBitCast(c->b, v, c->ti32, ""), y, o);
	} else {
		/* q * wy * wx in int64, rounded half away from zero by 2^20 */
		for (int k = 0; k < 4; k++) {
			LLVMValueRef t = LLVMBuildMul(
			        c->b,
			        LLVMBuildMul(c->b, LLVMBuildSExt(c->b, q[k], c->ti64, ""),
			                     LLVMBuildSExt(c->b, wys[k], c->ti64, ""), ""),
			        LLVMBuildSExt(c->b, wxs[k], c->ti64, ""), "");
			v = v ? LLVMBuildAdd(c->b, v, t, "") : t;
		}
		LLVMValueRef pos = LLVMBuildICmp(c->b, LLVMIntSGT, v, LLVMConstInt(c->ti64, 0, 0),
		                                 "");
		LLVMValueRef half = LLVMBuildSelect(
		        c->b, pos, LLVMConstInt(c->ti64, 1 << 19, 1),
		        LLVMConstInt(c->ti64, (unsigned long long)-(1 << 19), 1), "");
		v = LLVMBuildSDiv(c->b, LLVMBuildAdd(c->b, v, half, ""),
		                  LLVMConstInt(c->ti64, 1 << 20, 0), "");
		tgt_store(c, LLVMBuildTrunc(c->b, v, te, ""), y, o);
	}
	tgt_loop_close(c, &lx);
	tgt_loop_close(c, &ly);
	tgt_loop_close(c, &lp);
}

/* ---- rules -------------------------------------------------------------------- */

/* pad, transpose, slice, gather, expand, resize: their shapes and types. */
static int check_moves(Cg *c, const Node *nd)
{
	const Graph *g = c->g;
	const Value *x = &g->vals[nd->in[0]], *y = &g->vals[nd->out];
	const Shape *xs = &x->shape, *ys = &y->shape;
	int64_t begin[IR_MAX_RANK], end[IR_MAX_RANK];
	int perm[IR_MAX_RANK], ok = ys->rank == xs->rank;
	Shape s;

	switch (nd->op) {
	case OP_PAD:
		ok = ok && !ir_pad_amounts(&nd->a, xs->rank, begin, end);
		for (int k = 0; ok && k < xs->rank; k++)
			ok = ys->d[k] == xs->d[k] + begin[k] + end[k];
		{
			char buf[160];
			ok = ok && !ir_pad_mode_bad(&nd->a, xs, begin, end, buf, sizeof buf);
		}
		break;
	case OP_TRANSPOSE:
		ok = ok && !ir_transpose_perm(&nd->a, xs->rank, perm);
		for (int k = 0; ok && k < xs->rank; k++)
			ok = ys->d[k] == xs->d[perm[k]];
		break;
	case OP_SLICE:
		ok = ok && !ir_slice_geo(&nd->a, xs, begin, end, &s) && ir_shape_eq(&s, ys);
		break;
	case OP_GATHER: {
		const Value *iv = &g->vals[nd->in[1]];
		int64_t m, inner;
		ok = (iv->kind != VK_CONST || iv->data) && iv->dt == DT_I64 &&
		     ir_gather_geo(xs, &iv->shape, nd->a.axis, begin, &m, &inner, &s) >= 0 &&
		     ir_shape_eq(&s, ys);
		break;
	}
	case OP_EXPAND: ok = !ir_expand_strides(xs, ys, begin); break;
	case OP_RESIZE: ok = ok && !ir_resize_bad(&nd->a, xs, ys, &g->vals[nd->in[1]]); break;
	default: ICE("shape rules: %s", ir_ops[nd->op].name);
	}
	return tgt_check_keepq(c, nd, ok);
}

static int check(Cg *c, const Node *nd)
{
	const Graph *g = c->g;
	const Value *x = &g->vals[nd->in[0]], *y = &g->vals[nd->out];

	switch (nd->op) {
	case OP_FLATTEN:
	case OP_RESHAPE:
		if (tgt_check_fit(c, nd, ir_value_bytes(x) == ir_value_bytes(y)))
			return 1;
		if (x->dt != y->dt)
			return tgt_bad_types(c, nd, "a change of type");
		return 0;
	case OP_PAD:
	case OP_TRANSPOSE:
	case OP_SLICE:
	case OP_GATHER:
	case OP_EXPAND:
	case OP_RESIZE: return check_moves(c, nd);
	default: ICE("shape rules: %s", ir_ops[nd->op].name);
	}
}

static void lower(Cg *c, int n, LLVMValueRef fn)
{
	LLVMValueRef x = LLVMGetParam(fn, 0), y = LLVMGetParam(fn, 1);

	switch (c->g->nodes[n].op) {
	case OP_FLATTEN:
	case OP_RESHAPE: lower_copy(c, n, x, y); break;
	case OP_PAD: lower_pad(c, n, x, y); break;
	case OP_TRANSPOSE: lower_transpose(c, n, x, y); break;
	case OP_SLICE: lower_slice(c, n, x, y); break;
	case OP_GATHER:
		if (c->g->vals[c->g->nodes[n].in[1]].kind == VK_CONST)
			lower_gather(c, n, x, y);
		else /* its indices are fn's third parameter (nary_runtime) */
			lower_gather_rt(c, n, x, y, LLVMGetParam(fn, 2));
		break;
	case OP_EXPAND: lower_expand(c, n, x, y); break;
	case OP_RESIZE:
		if (c->g->nodes[n].a.mode == IR_RESIZE_LINEAR)
			lower_resize_linear(c, n, x, y);
		else
			lower_resize_nearest(c, n, x, y);
		break;
	default: ICE("shape rules: %s", ir_ops[c->g->nodes[n].op].name);
	}
}

const TgtRules tgt_rules_shape = {
        .check = check,
        .lower = lower,
        .nary_runtime = 1,
};
