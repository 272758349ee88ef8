/* ir/geometry.c — the geometry of window ops, in one place: the output
 * extent of a window along an axis, conv2d's / maxpool2d's / avgpool2d's
 * dimensions and attributes as one ConvGeo, the fused max-pool of a conv2d,
 * the in-bound taps of a window, and how pad's, transpose's, slice's,
 * gather's, expand's and resize's attributes and operands read.  The interpreter, the passes and every target kernel use these, so
 * that they agree on every shape by construction.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ir.h"

int64_t ir_out_dim(int64_t in, int64_t k, int64_t s, int64_t p0, int64_t p1, int64_t d)
{
	int64_t span = d * (k - 1) + 1;

	if (in + p0 + p1 < span)
		return -1;
	return (in + p0 + p1 - span) / s + 1;
}

void ir_tap_range(int64_t n, int64_t nk, int64_t d, int64_t off, int64_t *k0, int64_t *k1)
{
	int64_t lo = off >= 0 ? 0 : (-off + d - 1) / d;
	int64_t hi = n - 1 - off < 0 ? 0 : (n - 1 - off) / d + 1;

	if (hi > nk)
		hi = nk;
	if (lo > hi)
		lo = hi;
	*k0 = lo;
	*k1 = hi;
}

int ir_pad_amounts(const Attrs *a, int rank, int64_t *begin, int64_t *end)
{
	for (int k = 0; k < rank; k++)
		begin[k] = end[k] = 0;
	if (a->npads == 2 * rank) {
		for (int k = 0; k < rank; k++) {
			begin[k] = a->pads[k];
			end[k] = a->pads[rank + k];
		}
	} else if (a->npads == 4 && rank >= 2) {
		/* top, left, bottom, right of the last two axes, as conv2d's pad */
		begin[rank - 2] = a->pads[0];
		begin[rank - 1] = a->pads[1];
		end[rank - 2] = a->pads[2];
		end[rank - 1] = a->pads[3];
	} else
		return -1;
	for (int k = 0; k < rank; k++)
		if (begin[k] < 0 || end[k] < 0 || begin[k] > IR_MAX_TENSOR_BYTES ||
		    end[k] > IR_MAX_TENSOR_BYTES)
			return -1;
	return 0;
}

const char *ir_pad_mode_bad(const Attrs *a, const Shape *x, const int64_t *begin,
                            const int64_t *end, char *buf, size_t n)
{
	const char *const *w = ir_attr_words(AI_PAD_MODE);

	if (a->pad_mode < IR_PAD_CONSTANT || a->pad_mode > IR_PAD_SYMMETRIC) {
		snprintf(buf, n, "pad_mode %lld is not one of its words", (long long)a->pad_mode);
		return buf;
	}
	if (a->pad_mode == IR_PAD_CONSTANT)
		return NULL;
	if (a->value != 0) {
		snprintf(buf, n, "'value' is for pad_mode constant only, not %s", w[a->pad_mode]);
		return buf;
	}
	for (int k = 0; k < x->rank; k++) {
		/* the most each mode defines: one reflection or one period */
		int64_t d = x->d[k], most = a->pad_mode == IR_PAD_REFLECT ? d - 1
		                            : a->pad_mode == IR_PAD_EDGE  ? (d > 0 ? INT64_MAX : 0)
		                                                          : d;
		int64_t p = begin[k] > end[k] ? begin[k] : end[k];
		if (p > most) {
			snprintf(buf, n,
			         "pad_mode %s pads axis %d (of size %lld) by %lld: at most %lld "
			         "(%s)",
			         w[a->pad_mode], k, (long long)d, (long long)p, (long long)most,
			         a->pad_mode == IR_PAD_REFLECT ? "the axis's size - 1"
			         : a->pad_mode == IR_PAD_EDGE  ? "an empty axis has no edge"
			                                       : "the axis's size");
			return buf;
		}
	}
	return NULL;
}

/* Within ir_pad_mode_bad's bounds these agree with numpy.pad's modes
 * (whose repeated reflections beyond them are not a period). */
int64_t ir_pad_source(int64_t mode, int64_t i, int64_t n)
{
	int64_t p, j;

	switch (mode) {
	case IR_PAD_EDGE: return i < 0 ? 0 : i >= n ? n - 1 : i;
	case IR_PAD_WRAP: return ((i % n) + n) % n;
	case IR_PAD_REFLECT: /* period 2(n - 1): 0 1 .. n-1 n-2 .. 1 */
		if (n == 1)
			return 0;
		p = 2 * (n - 1);
		j = ((i % p) + p) % p;
		return j < n ? j : p - j;
	case IR_PAD_SYMMETRIC: /* period 2n: 0 1 .. n-1 n-1 .. 0 */
		p = 2 * n;
		j = ((i % p) + p) % p;
		return j < n ? j : p - 1 - j;
	default: return i >= 0 && i < n ? i : -1; /* constant */
	}
}

int ir_transpose_perm(const Attrs *a, int rank, int *perm)
{
	int seen[IR_MAX_RANK] = {0};

	if (a->nperm == 0) {
		for (int k = 0; k < rank; k++)
			perm[k] = rank - 1 - k;
		return 0;
	}
	if (a->nperm != rank)
		return -1;
	for (int k = 0; k < rank; k++) {
		if (a->perm[k] < 0 || a->perm[k] >= rank || seen[a->perm[k]])
			return -1;
		seen[a->perm[k]] = 1;
		perm[k] = (int)a->perm[k];
	}
	return 0;
}

/* One sliced axis of size dim: the first index and the count (ONNX Slice's
 * clamping). */
static void slice_axis(int64_t dim, int64_t start, int64_t end, int64_t step, int64_t *first,
                       int64_t *count)
{
	start = start < 0 ? start + dim : start; /* no overflow: dim > 0 */
	end = end < 0 ? end + dim : end;
	if (step > 0) {
		start = start < 0 ? 0 : start > dim ? dim : start;
		end = end < 0 ? 0 : end > dim ? dim : end;
		*count = end > start ? (end - start - 1) / step + 1 : 0;
	} else {
		start = start < 0 ? 0 : start > dim - 1 ? dim - 1 : start;
		end = end < -1 ? -1 : end > dim - 1 ? dim - 1 : end;
		*count = start > end ? (start - end - 1) / -step + 1 : 0;
	}
	*first = start;
}

int ir_slice_geo(const Attrs *a, const Shape *x, int64_t *first, int64_t *step, Shape *out)
{
	int seen[IR_MAX_RANK] = {0};

	*out = *x;
	for (int k = 0; k < x->rank; k++) {
		first[k] = 0;
		step[k] = 1;
	}
	if (a->nends != a->nstarts || a->nstarts > x->rank ||
	    (a->naxes && a->naxes != a->nstarts) || (a->nsteps && a->nsteps != a->nstarts))
		return -1;
	for (int i = 0; i < a->nstarts; i++) {
		int64_t ax = a->naxes ? a->axes[i] : i, sp = a->nsteps ? a->steps[i] : 1;
		if (ax < -x->rank || ax >= x->rank)
			return -1;
		int k = (int)(ax < 0 ? ax + x->rank : ax);
		if (seen[k]++ || sp == 0)
			return -1;
		slice_axis(x->d[k], a->starts[i], a->ends[i], sp, &first[k], &out->d[k]);
		step[k] = sp;
	}
	return 0;
}

int ir_gather_geo(const Shape *x, const Shape *idx, int64_t axis, int64_t *outer, int64_t *n,
                  int64_t *inner, Shape *out)
{
	if (axis < -x->rank || axis >= x->rank || x->rank - 1 + idx->rank > IR_MAX_RANK)
		return -1;
	int a = (int)(axis < 0 ? axis + x->rank : axis);
	*outer = *inner = 1;
	out->rank = 0;
	for (int k = 0; k < a; k++) {
		*outer *= x->d[k];
		out->d[out->rank++] = x->d[k];
	}
	for (int k = 0; k < idx->rank; k++)
		out->d[out->rank++] = idx->d[k];
	for (int k = a + 1; k < x->rank; k++) {
		*inner *= x->d[k];
		out->d[out->rank++] = x->d[k];
	}
	*n = x->d[a];
	return a;
}

int ir_expand_strides(const Shape *x, const Shape *out, int64_t *xst)
{
	int64_t m = 1;

	if (x->rank > out->rank)
		return -1;
	for (int k = out->rank - 1; k >= 0; k--) {
		int j = k - (out->rank - x->rank); /* x's axis, aligned at the end */
		if (j < 0) {
			xst[k] = 0;
			continue;
		}
		if (x->d[j] != 1 && x->d[j] != out->d[k])
			return -1;
		xst[k] = x->d[j] == 1 ? 0 : m;
		m *= x->d[j];
	}
	return 0;
}

/* ---- resize ------------------------------------------------------------------ */

const char *ir_resize_bad(const Attrs *a, const Shape *x, const Shape *out, const Value *s)
{
	const int r = x->rank;

	if (a->mode < 0 || a->mode > IR_RESIZE_LINEAR || a->coord < 0 ||
	    a->coord > IR_COORD_TF_HALF_PIXEL_FOR_NN)
		return "its mode or coord is out of range";
	if (s->kind != VK_CONST || !s->data || s->dt != DT_F32 || s->shape.rank != 1 ||
	    s->shape.d[0] != r)
		return "operand 1 must be a constant f32 tensor of one scale per axis";
	if (out->rank != r)
		return "'shape' must give the result's size on every axis";
	for (int k = 0; k < r; k++) {
		float sk = ((const float *)s->data)[k];
		if (!(sk >= 1.0f / 65536 && sk <= 65536))
			return "a scale lies outside [2^-16, 2^16]";
		if (out->d[k] < 1)
			return "the result would be empty";
	}
	if (a->mode != IR_RESIZE_LINEAR)
		return NULL;
	if (r < 2)
		return "linear interpolates the last two axes: the input needs rank 2 or more";
	if (a->coord == IR_COORD_TF_HALF_PIXEL_FOR_NN)
		return "coord tf_half_pixel_for_nn is for nearest only";
	for (int k = 0; k < r - 2; k++)
		if (out->d[k] != x->d[k] || ((const float *)s->data)[k] != 1)
			return "linear interpolates the last two axes only: the others must keep "
			       "their size at scale 1";
	return NULL;
}

float ir_resize_coord(const Attrs *a, int64_t i, int64_t n, int64_t m, float s)
{
	const float fi = (float)i;
	/* the resized length: ONNX's n * s, which is m when s came from m */
	const float len = (float)m / (float)n == s ? (float)m : (float)n * s;

	switch (a->coord) {
	case IR_COORD_ASYMMETRIC: return fi / s;
	case IR_COORD_ALIGN_CORNERS: return len == 1 ? 0.0f : fi * (float)(n - 1) / (len - 1);
	case IR_COORD_PYTORCH_HALF_PIXEL: return len == 1 ? 0.0f : (fi + 0.5f) / s - 0.5f;
	case IR_COORD_TF_HALF_PIXEL_FOR_NN: return (fi + 0.5f) / s;
	default: return (fi + 0.5f) / s - 0.5f; /* half_pixel */
	}
}

int64_t ir_resize_nearest(const Attrs *a, int64_t i, int64_t n, int64_t m, float s)
{
	float c = ir_resize_coord(a, i, n, m, s), f = floorf(c), r;

	switch (a->mode) {
	case IR_RESIZE_NEAREST_FLOOR: r = f; break;
	case IR_RESIZE_NEAREST_CEIL: r = ceilf(c); break;
	case IR_RESIZE_NEAREST_PREFER_CEIL: r = c - f >= 0.5f ? f + 1 : f; break;
	default: r = c - f > 0.5f ? f + 1 : f; break; /* halves down */
	}
	return r<0 ? 0 : r>(float)(n - 1) ? n - 1 : (int64_t)r;
}

void ir_resize_linear(const Attrs *a, int64_t i, int64_t n, int64_t m, float s, int64_t *i0,
                      int64_t *i1, float *w0, float *w1)
{
	float c = ir_resize_coord(a, i, n, m, s);

	c = c<0 ? 0.0f : c>(float)(n - 1) ? (float)(n - 1) : c;
	*i0 = (int64_t)c;
	*i1 = *i0 + 1 < n ? *i0 + 1 : n - 1;
	if (*i0 == *i1) {
		*w0 = *w1 = 0.5f;
		return;
	}
	*w1 = fabsf(c - (float)*i0);
	*w0 = fabsf(c - (float)*i1);
}

void ir_resize_linear_q(const Attrs *a, int64_t i, int64_t n, int64_t m, float s, int64_t *i0,
                        int64_t *i1, int32_t *w0, int32_t *w1)
{
	int64_t S, v;

	if (a->coord == IR_COORD_ALIGN_CORNERS && m > 1)
		S = (1024 * (n - 1) + (m - 1) / 2) / (m - 1);
	else if ((float)m / (float)n == s)
		S = (1024 * n + m / 2) / m;
	else
		S = (int64_t)floor(1024.0 / (double)s + 0.5);
	v = i * S;
	if (a->coord == IR_COORD_HALF_PIXEL || a->coord == IR_COORD_PYTORCH_HALF_PIXEL)
		v += S / 2 - 512;
	if (a->coord == IR_COORD_PYTORCH_HALF_PIXEL && m == 1)
		v = 0;
	*i0 = v / 1024 < 0 ? 0 : v / 1024 > n - 1 ? n - 1 : v / 1024;
	*i1 = (v + 1023) / 1024 < n - 1 ? (v + 1023) / 1024 : n - 1;
	*w1 = (int32_t)(v - 1024 * *i0);
	*w0 = 1024 - *w1;
}

/* ---- conv2d's fused max-pool ----------------------------------------------- */

static int in_range(int64_t v, int64_t lo)
{
	return v >= lo && v <= 1 << 16;
}

int ir_conv_pool(const Graph *g, const Node *n, ConvPool *p)
{
	const Shape *x = &g->vals[n->in[0]].shape, *w = &g->vals[n->in[1]].shape;
	const Attrs *a = &n->a;
	static const int64_t one[2] = {1, 1}, zero[4] = {0, 0, 0, 0};

	if (n->op != OP_CONV2D || x->rank != 4 || w->rank != 4 || a->stride[0] < 1 ||
	    a->stride[1] < 1 || a->dilation[0] < 1 || a->dilation[1] < 1)
		return -1;
	p->ch = ir_out_dim(x->d[2], w->d[2], a->stride[0], a->pad[0], a->pad[2], a->dilation[0]);
	p->cw = ir_out_dim(x->d[3], w->d[3], a->stride[1], a->pad[1], a->pad[3], a->dilation[1]);
	if (!ir_has_pool(n)) {
		*p = (ConvPool){p->ch, p->cw, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, p->ch, p->cw};
		if (memcmp(a->pool_stride, one, sizeof one) ||
		    memcmp(a->pool_dilation, one, sizeof one) ||
		    memcmp(a->pool_pad, zero, sizeof zero))
			return -1; /* pool_* without a pool */
		return p->ch < 1 || p->cw < 1 ? -1 : 0;
	}
	p->kh = a->pool[0];
	p->kw = a->pool[1];
	p->sh = a->pool_stride[0];
	p->sw = a->pool_stride[1];
	p->pt = a->pool_pad[0];
	p->pl = a->pool_pad[1];
	p->pb = a->pool_pad[2];
	p->pr = a->pool_pad[3];
	p->dh = a->pool_dilation[0];
	p->dw = a->pool_dilation[1];
	p->oh = p->ow = -1;
	if (p->ch < 1 || p->cw < 1)
		return -1;
	for (int i = 0; i < 2; i++)
		if (!in_range(a->pool[i], 1) || !in_range(a->pool_stride[i], 1) ||
		    !in_range(a->pool_dilation[i], 1))
			return -1;
	for (int i = 0; i < 4; i++)
		if (!in_range(a->pool_pad[i], 0))
			return -1;
	/* maxpool2d's rule: each pad smaller than the window's span */
	int64_t spanh = (p->kh - 1) * p->dh + 1, spanw = (p->kw - 1) * p->dw + 1;
	if (p->pt >= spanh || p->pb >= spanh || p->pl >= spanw || p->pr >= spanw)
		return -1;
	p->oh = ir_out_dim(p->ch, p->kh, p->sh, p->pt, p->pb, p->dh);
	p->ow = ir_out_dim(p->cw, p->kw, p->sw, p->pl, p->pr, p->dw);
	return p->oh < 1 || p->ow < 1 ? -1 : 1;
}

int ir_conv_geo(const Graph *g, const Node *n, ConvGeo *cg)
{
	const Shape *x = &g->vals[n->in[0]].shape, *o = &g->vals[n->out].shape;
	const Attrs *a = &n->a;
	int conv = n->op == OP_CONV2D;

	memset(cg, 0, sizeof *cg);
	if (x->rank != 4 || o->rank != 4)
		return -1;
	cg->N = x->d[0], cg->C = x->d[1], cg->H = x->d[2], cg->W = x->d[3];
	cg->sh = a->stride[0], cg->sw = a->stride[1];
	cg->dh = a->dilation[0], cg->dw = a->dilation[1];
	cg->pt = a->pad[0], cg->pl = a->pad[1], cg->pb = a->pad[2], cg->pr = a->pad[3];
	if (conv) {
		const Shape *w = &g->vals[n->in[1]].shape;
		if (w->rank != 4 || a->groups < 1)
			return -1;
		cg->OC = w->d[0], cg->Cg = w->d[1], cg->KH = w->d[2], cg->KW = w->d[3];
		cg->G = a->groups, cg->OCg = cg->OC / cg->G;
		if (ir_conv_pool(g, n, &cg->pool) < 0)
			return -1;
		cg->OH = cg->pool.ch, cg->OW = cg->pool.cw;
		return 0;
	}
	/* maxpool2d, avgpool2d (dilation 1): one channel per group */
	cg->OC = cg->C, cg->G = cg->C, cg->Cg = cg->OCg = 1;
	cg->KH = a->kernel[0], cg->KW = a->kernel[1];
	if (n->op == OP_AVGPOOL2D)
		cg->dh = cg->dw = 1;
	if (cg->sh < 1 || cg->sw < 1 || cg->dh < 1 || cg->dw < 1)
		return -1;
	cg->OH = ir_out_dim(cg->H, cg->KH, cg->sh, cg->pt, cg->pb, cg->dh);
	cg->OW = ir_out_dim(cg->W, cg->KW, cg->sw, cg->pl, cg->pr, cg->dw);
	cg->pool = (ConvPool){cg->OH, cg->OW, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, cg->OH, cg->OW};
	return cg->OH < 1 || cg->OW < 1 ? -1 : 0;
}

void ir_conv_pool_geo(const ConvGeo *cg, ConvGeo *pm)
{
	const ConvPool *p = &cg->pool;

	*pm = (ConvGeo){.N = cg->N,
	                .C = cg->OC,
	                .H = p->ch,
	                .W = p->cw,
	                .OC = cg->OC,
	                .G = cg->OC,
	                .Cg = 1,
	                .OCg = 1,
	                .KH = p->kh,
	                .KW = p->kw,
	                .sh = p->sh,
	                .sw = p->sw,
	                .dh = p->dh,
	                .dw = p->dw,
	                .pt = p->pt,
	                .pl = p->pl,
	                .pb = p->pb,
	                .pr = p->pr,
	                .OH = p->oh,
	                .OW = p->ow};
	pm->pool = (ConvPool){pm->OH, pm->OW, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, pm->OH, pm->OW};
}
