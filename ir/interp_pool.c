/* ir/interp_pool.c — the reference kernels of avgpool2d, global_avgpool,
 * pad and transpose (ir/interp.c dispatches to them), the checks the
 * interpreter makes before running them (pad's and transpose's attributes
 * are read by ir/geometry.c, as every pass and the backend read them).
 *
 * The definitions, per output element (targets/lower_pool.c computes the
 * same bits):
 *   avgpool2d  over the window's in-bound taps, ky then kx ascending:
 *              f32: acc = acc + x (from 0.0f), out = acc / (float)count;
 *              int: acc = acc + q (wrapping int32), plus zp for every padded
 *              tap when count_pad = 1; then TFLite AveragePool's rounding
 *              out = (acc > 0 ? acc + count/2 : acc - count/2) / count (C
 *              division, truncating; int32, wrapping), clamped to the storage
 *              range.  count = the in-bound taps, or kh*kw with count_pad.
 *              Padding adds nothing in f32 (0 is the identity of the sum).
 *   global_avgpool   avgpool2d with the whole H x W plane as its window.
 *   pad        every element the value (int: quantized with the input's
 *              parameters, saturating: ir_quantize_value), then x copied to
 *              offset begin.
 *   transpose  out[i0..ik] = x[j] with j's axis perm[k] index = ik.
 * Quantized results keep the input's scale and zero point (OPF_KEEPQ), so
 * pad and transpose move bytes and avgpool needs no requantization.
 */
#include <string.h>

#include "interp_pool.h"

/* ---- avgpool2d, global_avgpool -------------------------------------------- */

/* The window of a pooling node; global_avgpool's is the whole plane. */
typedef struct {
	int64_t nc, h, w, oh, ow, kh, kw, sh, sw, pt, pl;
	int count_pad;
} Pool;

static void pool_of(const Graph *g, const Node *n, Pool *p)
{
	const Shape *x = &g->vals[n->in[0]].shape, *o = &g->vals[n->out].shape;

	p->nc = x->d[0] * x->d[1];
	p->h = x->d[2];
	p->w = x->d[3];
	p->oh = o->d[2];
	p->ow = o->d[3];
	if (n->op == OP_GLOBAL_AVGPOOL) {
		p->kh = p->h;
		p->kw = p->w;
		p->sh = p->sw = 1;
		p->pt = p->pl = 0;
		p->count_pad = 0;
		return;
	}
	p->kh = n->a.kernel[0];
	p->kw = n->a.kernel[1];
	p->sh = n->a.stride[0];
	p->sw = n->a.stride[1];
	p->pt = n->a.pad[0];
	p->pl = n->a.pad[1];
	p->count_pad = n->a.count_pad != 0;
}

/* The in-bound taps [*k0, *k1) of a window starting at off over n. */
static void taps(int64_t n, int64_t nk, int64_t off, int64_t *k0, int64_t *k1)
{
	*k0 = off < 0 ? -off : 0;
	*k1 = n - off < nk ? n - off : nk;
	if (*k1 < *k0)
		*k1 = *k0;
}

static void avgpool_f32(const Pool *p, const float *x, float *out)
{
	for (int64_t nc = 0; nc < p->nc; nc++)
	for (int64_t oy = 0; oy < p->oh; oy++)
	for (int64_t ox = 0; ox < p->ow; ox++) {
		const int64_t iy0 = oy * p->sh - p->pt, ix0 = ox * p->sw - p->pl;
		int64_t ky0, ky1, kx0, kx1;
		float acc = 0.0f;
		taps(p->h, p->kh, iy0, &ky0, &ky1);
		taps(p->w, p->kw, ix0, &kx0, &kx1);
		for (int64_t ky = ky0; ky < ky1; ky++)
			for (int64_t kx = kx0; kx < kx1; kx++)
				acc = acc + x[(nc * p->h + iy0 + ky) * p->w + ix0 + kx];
		int64_t count = p->count_pad ? p->kh * p->kw : (ky1 - ky0) * (kx1 - kx0);
		out[(nc * p->oh + oy) * p->ow + ox] = acc / (float)(count > 0 ? count : 1);
	}
}

/* TFLite's rounding division of an int32 sum by a positive count, in
 * wrapping int32 as the backend computes it. */
static int32_t round_div(uint32_t acc, int64_t count)
{
	const int32_t c = (int32_t)(uint32_t)(count > 0 ? count : 1), h = c / 2;
	const int32_t a = (int32_t)acc;

	return a > 0 ? (int32_t)(acc + (uint32_t)h) / c : (int32_t)(acc - (uint32_t)h) / c;
}

static int32_t load_q(DType dt, const void *x, int64_t i)
{
	return dt == DT_I8 ? ((const int8_t *)x)[i] : ((const int16_t *)x)[i];
}

static void avgpool_int(const Pool *p, DType dt, int32_t zp, const void *x, void *out)
{
	const int32_t lo = ir_qmin(dt), hi = ir_qmax(dt);

	for (int64_t nc = 0; nc < p->nc; nc++)
	for (int64_t oy = 0; oy < p->oh; oy++)
	for (int64_t ox = 0; ox < p->ow; ox++) {
		const int64_t iy0 = oy * p->sh - p->pt, ix0 = ox * p->sw - p->pl;
		int64_t ky0, ky1, kx0, kx1, count;
		uint32_t acc = 0;
		taps(p->h, p->kh, iy0, &ky0, &ky1);
		taps(p->w, p->kw, ix0, &kx0, &kx1);
		for (int64_t ky = ky0; ky < ky1; ky++)
			for (int64_t kx = kx0; kx < kx1; kx++)
				acc += (uint32_t)load_q(dt, x, (nc * p->h + iy0 + ky) * p->w + ix0 + kx);
		count = (ky1 - ky0) * (kx1 - kx0);
		if (p->count_pad) {
			/* a padded tap is a real 0, the zero point */
			acc += (uint32_t)zp * (uint32_t)(p->kh * p->kw - count);
			count = p->kh * p->kw;
		}
		int32_t v = round_div(acc, count);
		v = v < lo ? lo : v > hi ? hi : v;
		int64_t o = (nc * p->oh + oy) * p->ow + ox;
		if (dt == DT_I8)
			((int8_t *)out)[o] = (int8_t)v;
		else
			((int16_t *)out)[o] = (int16_t)v;
	}
}

/* --requant float: onnxruntime's QLinearGlobalAveragePool (MLAS, x86):
 * v = (float)(sum - zp_in * N) * (s_in / (s_out * (float)N)), each step in
 * float32, then ir_requant_float's clamp, round half to even and + zp. */
float ir_gavg_float_mult(float s_in, float s_out, int64_t n)
{
	float den = s_out * (float)n;
	return s_in / den;
}

static void gavg_float(const Pool *p, const Value *xv, const Value *ov, const int8_t *x,
		       int8_t *out)
{
	const int64_t n = p->h * p->w;
	const float m = ir_gavg_float_mult(xv->q.scale[0], ov->q.scale[0], n);

	for (int64_t nc = 0; nc < p->nc; nc++) {
		uint32_t acc = 0;
		for (int64_t i = 0; i < n; i++)
			acc += (uint32_t)(int32_t)x[nc * n + i];
		acc -= (uint32_t)xv->q.zp * (uint32_t)n;
		out[nc] = (int8_t)ir_requant_float((int32_t)acc, m, ov->q.zp, -128, 127);
	}
}

void interp_avgpool(const Graph *g, const Node *n, const void *x, void *out)
{
	const Value *xv = &g->vals[n->in[0]];
	Pool p;

	pool_of(g, n, &p);
	if (g->requant_float && n->op == OP_GLOBAL_AVGPOOL && xv->dt == DT_I8)
		gavg_float(&p, xv, &g->vals[n->out], x, out);
	else if (xv->dt == DT_F32)
		avgpool_f32(&p, x, out);
	else
		avgpool_int(&p, xv->dt, xv->q.zp, x, out);
}

/* ---- pad, transpose ------------------------------------------------------- */

/* C-order strides of a shape, in elements. */
static void strides(const Shape *s, int64_t *st)
{
	int64_t m = 1;

	for (int k = s->rank - 1; k >= 0; k--) {
		st[k] = m;
		m *= s->d[k];
	}
}

/* The bytes of one padding element in dt. */
static void pad_element(const Value *x, float value, unsigned char *e)
{
	if (x->dt == DT_F32) {
		memcpy(e, &value, 4);
	} else if (x->dt == DT_I8) {
		int8_t q = (int8_t)ir_quantize_value(value, x->q.scale[0], x->q.zp, DT_I8);
		memcpy(e, &q, 1);
	} else {
		int16_t q = (int16_t)ir_quantize_value(value, x->q.scale[0], x->q.zp, DT_I16);
		memcpy(e, &q, 2);
	}
}

void interp_pad(const Graph *g, const Node *n, const void *x, void *out)
{
	const Value *xv = &g->vals[n->in[0]], *ov = &g->vals[n->out];
	const int rank = xv->shape.rank;
	const size_t es = (size_t)ir_dtype_size(xv->dt);
	const int64_t cnt = ir_shape_numel(&xv->shape), ocnt = ir_shape_numel(&ov->shape);
	int64_t begin[IR_MAX_RANK], end[IR_MAX_RANK], ost[IR_MAX_RANK], idx[IR_MAX_RANK] = {0};
	unsigned char e[4];

	ir_pad_amounts(&n->a, rank, begin, end);
	strides(&ov->shape, ost);
	pad_element(xv, n->a.value, e);
	for (int64_t i = 0; i < ocnt; i++)
		memcpy((unsigned char *)out + (size_t)i * es, e, es);
	/* idx walks x in C order */
	for (int64_t i = 0; i < cnt; i++) {
		int64_t o = 0;
		for (int k = 0; k < rank; k++)
			o += (idx[k] + begin[k]) * ost[k];
		memcpy((unsigned char *)out + (size_t)o * es, (const unsigned char *)x + (size_t)i * es, es);
		for (int k = rank - 1; k >= 0 && ++idx[k] == xv->shape.d[k]; k--)
			idx[k] = 0;
	}
}

void interp_transpose(const Graph *g, const Node *n, const void *x, void *out)
{
	const Value *xv = &g->vals[n->in[0]], *ov = &g->vals[n->out];
	const int rank = xv->shape.rank;
	const size_t es = (size_t)ir_dtype_size(xv->dt);
	const int64_t cnt = ir_shape_numel(&ov->shape);
	int64_t xst[IR_MAX_RANK], idx[IR_MAX_RANK] = {0};
	int perm[IR_MAX_RANK];

	ir_transpose_perm(&n->a, rank, perm);
	strides(&xv->shape, xst);
	/* idx walks out in C order; out axis k is x axis perm[k] */
	for (int64_t i = 0; i < cnt; i++) {
		int64_t j = 0;
		for (int k = 0; k < rank; k++)
			j += idx[k] * xst[perm[k]];
		memcpy((unsigned char *)out + (size_t)i * es, (const unsigned char *)x + (size_t)j * es, es);
		for (int k = rank - 1; k >= 0 && ++idx[k] == ov->shape.d[k]; k--)
			idx[k] = 0;
	}
}

/* ---- checks ---------------------------------------------------------------- */

#define BAD(...) (diag_error(d, n->loc, __VA_ARGS__), -1)

static int check_avgpool(const Graph *g, const Node *n, Diag *d)
{
	const Shape *x = &g->vals[n->in[0]].shape, *o = &g->vals[n->out].shape;
	const Attrs *a = &n->a;

	if (x->rank != 4 || o->rank != 4 || o->d[0] != x->d[0] || o->d[1] != x->d[1])
		return BAD("%s: input and result must be 4-d (NCHW) with the same N and C",
		           ir_ops[n->op].name);
	if (n->op == OP_GLOBAL_AVGPOOL) {
		if (o->d[2] != 1 || o->d[3] != 1 || x->d[2] < 1 || x->d[3] < 1)
			return BAD("global_avgpool: the result must be [N, C, 1, 1]");
		return 0;
	}
	for (int i = 0; i < 2; i++)
		if (a->stride[i] < 1 || a->kernel[i] < 1 || a->kernel[i] > 1 << 16)
			return BAD("avgpool2d: strides and kernel sizes must be positive");
	for (int i = 0; i < 4; i++)
		if (a->pad[i] < 0 || a->pad[i] >= a->kernel[i % 2])
			return BAD("avgpool2d: padding must be in [0, kernel)");
	if (a->kernel[0] * a->kernel[1] > INT32_MAX || (a->count_pad != 0 && a->count_pad != 1))
		return BAD("avgpool2d: the window must have fewer than 2^31 taps, count_pad be 0 or 1");
	int64_t sh = x->d[2] + a->pad[0] + a->pad[2] - a->kernel[0];
	int64_t sw = x->d[3] + a->pad[1] + a->pad[3] - a->kernel[1];
	if (sh < 0 || sw < 0 || o->d[2] != sh / a->stride[0] + 1 || o->d[3] != sw / a->stride[1] + 1)
		return BAD("avgpool2d: result shape does not match the operands");
	return 0;
}

int interp_check_pool(const Graph *g, const Node *n, Diag *d)
{
	const Shape *x = &g->vals[n->in[0]].shape, *o = &g->vals[n->out].shape;
	int64_t begin[IR_MAX_RANK], end[IR_MAX_RANK];
	int perm[IR_MAX_RANK];

	switch (n->op) {
	case OP_AVGPOOL2D:
	case OP_GLOBAL_AVGPOOL:
		return check_avgpool(g, n, d);
	case OP_PAD:
		if (o->rank != x->rank || ir_pad_amounts(&n->a, x->rank, begin, end))
			return BAD("pad: 'pads' must hold 2 x rank (or 4) non-negative integers");
		for (int k = 0; k < x->rank; k++)
			if (o->d[k] != x->d[k] + begin[k] + end[k])
				return BAD("pad: result shape does not match the operand");
		return 0;
	case OP_TRANSPOSE:
		if (o->rank != x->rank || ir_transpose_perm(&n->a, x->rank, perm))
			return BAD("transpose: 'perm' must be a permutation of the input's axes");
		for (int k = 0; k < x->rank; k++)
			if (o->d[k] != x->d[perm[k]])
				return BAD("transpose: result shape does not match the operand");
		return 0;
	default:
		ICE("interp_check_pool: %s", ir_ops[n->op].name);
	}
}
