/* ir/fam_weighted.c — the weighted family (conv2d, dense) in the ir layer:
 * the reference interpreter's checks and kernels, every precision.  Their
 * kernels ARE the semantics of the ops (docs/requant.md): the LLVM backend
 * must reproduce every integer, and every float of an f32 graph, bit for bit.
 *
 * The definitions, per output element:
 *   conv2d  acc = bias[oc] (or 0); then for ic, ky, kx ascending, over the
 *           taps whose input position is inside the image (padding adds
 *           nothing; in integers it is the input zero point, (zp - zp)*w = 0):
 *             f32: acc = acc + x*w        (float, in exactly this order)
 *             int: acc = acc + (x - zp_in) * w   (wrapping, two's complement)
 *           f32: relu acc < 0 ? 0 : acc, relu6 then acc > 6 ? 6 : acc.
 *           int: out = clamp(mbqm(acc, mult[oc], shift[oc]) + zp_out) to the
 *           act bounds of quant.c, the zero-point addition wrapping in int32
 *           like the accumulation (as TFLite's and CMSIS-NN's kernels do on
 *           real hardware).  int16 activations with an int64 bias accumulate
 *           in int64 (wrapping) and requantize with ir_mbqm64 (TFLite 16x8).
 *   dense   int: the same with one input row, i ascending.  f32 (not
 *           one chain of I dependent additions, which would bound every
 *           compiled dense by the fadd latency): 16 partial sums
 *           p[0..15], each +0 at first; for i ascending
 *             p[i % 16] = p[i % 16] + x[i]*w[o][i]   (fmul then fadd)
 *           then the tree: for h = 8, 4, 2, 1, for s < h:
 *             p[s] = p[s] + p[s + h];
 *           acc = bias ? p[0] + bias[o] : p[0]; then relu / relu6 as
 *           conv2d.  A partial starts at +0 and a float sum is -0 only
 *           when both addends are, so no partial is ever -0: adding an
 *           exact +0 (a zero x times a zero w) leaves it as it is, which
 *           lets compiled code pad I to a multiple of 16 with zeros.
 *   conv2d with a fused max-pool (pool = [kh,kw], fuse-pool): the conv2d
 *           above into a scratch tensor of the convolution's own shape,
 *           then maxpool2d (fam_pool.c) over it with the pool_* attributes;
 *           exactly the unfused pair, so the bits cannot differ.
 *
 * Each kernel is one loop for all precisions: the loop over windows and
 * taps is written once, the per-precision load, accumulation and epilogue
 * are small inline helpers switching on a precision that is a constant in
 * each of the three copies the compiler makes (IR_INLINE).
 *
 * For speed the convolution puts the output channels of a group in the
 * innermost loop (weights transposed once), so one input element updates
 * many accumulators at a time.  Each accumulator still receives its additions
 * in the order above, so the float results are those of the per-output loop,
 * bit for bit; the integer sums wrap, so their order could not matter anyway.
 */
#include <stdlib.h>
#include <string.h>

#include "ir_rules.h"

#ifdef __clang__
/* acc + x*w must not become a fused multiply-add (GCC does not contract in
 * the ISO C mode the project builds in) */
#pragma STDC FP_CONTRACT OFF
#endif

/* ---- the axpy helpers ---------------------------------------------------------- */

/* The conv kernel takes its weights transposed to [G][C/G][KH][KW][OC/G]
 * (transpose_weights, once per interpreter) and runs the output channels of
 * a group innermost: every tap then updates OC/G independent accumulators,
 * each of which still receives its additions in (ic, ky, kx) order.  The
 * axpy helpers work in blocks of 16 because a fixed trip count is what GCC's
 * -O2 vectorizer accepts; a tail loop takes the rest. */

enum { BLK = 16 };

/* Sanitizer checks inside these loops keep GCC from vectorizing them,
 * which made sanitized test runs (the seed CNN over 10,000 images) far
 * slower.  They touch only the interpreter's own buffers, sized together
 * from the same shapes: the accumulators and the transposed weights.  Every
 * read of a graph value stays in the checked callers. */
#if defined(__GNUC__) || defined(__clang__)
#define NO_SANITIZE __attribute__((no_sanitize("address", "undefined")))
#else
#define NO_SANITIZE
#endif

/* On x86-64 the loops are also compiled for AVX2 and the loader picks
 * that copy where the CPU has it (an ifunc): twice the lanes, the same
 * results, since every lane is its own accumulator and ISO C mode contracts
 * no multiply-add into an FMA (nor does plain AVX2 have one).  GCC only:
 * clang refuses target_clones beside no_sanitize. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__ELF__)
#define LANES __attribute__((target_clones("avx2", "default")))
#else
#define LANES
#endif

NO_SANITIZE LANES static void axpy_f32(float *restrict acc, float xv, const float *restrict w,
                                       int64_t n)
{
	int64_t j = 0;

	for (; j + BLK <= n; j += BLK)
		for (int k = 0; k < BLK; k++) {
			const float p = xv * w[j + k];
			acc[j + k] = acc[j + k] + p;
		}
	for (; j < n; j++) {
		const float p = xv * w[j];
		acc[j] = acc[j] + p;
	}
}

/* axpy_f32 for NPX output pixels at once, acc + k * n holding pixel k's
 * accumulators: each weight is loaded once for all of them (the f32
 * convolution is bound by reading its weights, not by the arithmetic).
 * Every accumulator still gets the same additions in the same order. */
enum { NPX = 4 };

NO_SANITIZE LANES static void axpy4_f32(float *restrict a0, float *restrict a1, float *restrict a2,
                                        float *restrict a3, const float *xv,
                                        const float *restrict w, int64_t n)
{
	const float x0 = xv[0], x1 = xv[1], x2 = xv[2], x3 = xv[3];
	int64_t j = 0;

	for (; j + BLK <= n; j += BLK)
		for (int k = 0; k < BLK; k++) {
			a0[j + k] = a0[j + k] + x0 * w[j + k];
			a1[j + k] = a1[j + k] + x1 * w[j + k];
			a2[j + k] = a2[j + k] + x2 * w[j + k];
			a3[j + k] = a3[j + k] + x3 * w[j + k];
		}
	for (; j < n; j++) {
		a0[j] = a0[j] + x0 * w[j];
		a1[j] = a1[j] + x1 * w[j];
		a2[j] = a2[j] + x2 * w[j];
		a3[j] = a3[j] + x3 * w[j];
	}
}

/* |xv| <= 255 (an int8 minus an int8 zero point) and |w| <= 128, so every
 * product fits in 16 bits, which lets the vectorizer multiply in 16-bit lanes. */
NO_SANITIZE LANES static void axpy_s8(uint32_t *restrict acc, int16_t xv, const int8_t *restrict w,
                                      int64_t n)
{
	int64_t j = 0;

	for (; j + BLK <= n; j += BLK)
		for (int k = 0; k < BLK; k++)
			acc[j + k] += (uint32_t)(int32_t)(int16_t)(xv * w[j + k]);
	for (; j < n; j++)
		acc[j] += (uint32_t)(int32_t)(int16_t)(xv * w[j]);
}

/* |xv| <= 65535 and |w| <= 128: the product fits in 24 bits, and a sum of
 * up to S16_TAPS of them in 32, so the int16 conv sums its taps in 32-bit
 * lanes (twice as many per vector as 64-bit ones) and widens every S16_TAPS
 * taps into the 64-bit accumulator: the same sum, exactly. */
enum { S16_TAPS = 255 }; /* 255 * 65535 * 128 < 2^31 */

NO_SANITIZE LANES static void axpy_s16(uint32_t *restrict acc, int32_t xv, const int8_t *restrict w,
                                       int64_t n)
{
	int64_t j = 0;

	for (; j + BLK <= n; j += BLK)
		for (int k = 0; k < BLK; k++)
			acc[j + k] += (uint32_t)(xv * w[j + k]);
	for (; j < n; j++)
		acc[j] += (uint32_t)(xv * w[j]);
}

/* The same for an xv that fits in 16 bits (always, with the symmetric int16
 * activations quantc makes): a 16 x 16 -> 32-bit multiply, which vectorizes
 * to cheaper instructions than a 32-bit one. */
NO_SANITIZE LANES static void axpy_s16_narrow(uint32_t *restrict acc, int16_t xv,
                                              const int8_t *restrict w, int64_t n)
{
	int64_t j = 0;

	for (; j + BLK <= n; j += BLK)
		for (int k = 0; k < BLK; k++)
			acc[j + k] += (uint32_t)((int32_t)xv * (int16_t)w[j + k]);
	for (; j < n; j++)
		acc[j] += (uint32_t)((int32_t)xv * (int16_t)w[j]);
}

/* acc += the signed 32-bit partial sums in part, which restart at 0. */
static void widen_s16(uint64_t *acc, uint32_t *part, int64_t n)
{
	for (int64_t j = 0; j < n; j++) {
		acc[j] += (uint64_t)(int64_t)(int32_t)part[j];
		part[j] = 0;
	}
}

/* ---- conv2d ---------------------------------------------------------------- */

/* The accumulators of one group's OCg outputs: f32 floats, s8 uint32s; s16
 * OCg uint64 sums followed by OCg uint32 partial sums (axpy_s16).  int16
 * activations, int8 weights (TFLite 16x8): the sum runs in 64 bits; with an
 * int32 bias (or none) only its low 32 bits count, which is exactly a
 * wrapping int32 accumulation. */
IR_INLINE void conv_init(Prec p, void *acc, int64_t ocg, const NodeRt *rt, const void *bias,
                         int64_t oc0)
{
	for (int64_t j = 0; j < ocg; j++) {
		const int64_t oc = oc0 + j;
		switch (p) {
		case P_F32: ((float *)acc)[j] = bias ? ((const float *)bias)[oc] : 0.0f; break;
		case P_S8:
			((uint32_t *)acc)[j] = bias ? (uint32_t)((const int32_t *)bias)[oc] : 0;
			break;
		case P_S16:
			((uint64_t *)acc)[j] = !bias       ? 0
			                       : rt->acc64 ? (uint64_t)((const int64_t *)bias)[oc]
			                                   : (uint64_t)(int64_t)((
			                                             const int32_t *)bias)[oc];
			((uint32_t *)((uint64_t *)acc + ocg))[j] = 0;
			break;
		}
	}
}

/* acc += (x[xi] - zp) * the tap's OCg weights at wt + wi. */
IR_INLINE void conv_tap(Prec p, void *acc, int64_t ocg, const void *x, int64_t xi, int32_t xzp,
                        const void *wt, int64_t wi, int *taps)
{
	switch (p) {
	case P_F32: axpy_f32(acc, ((const float *)x)[xi], (const float *)wt + wi, ocg); break;
	case P_S8:
		axpy_s8(acc, (int16_t)(((const int8_t *)x)[xi] - xzp), (const int8_t *)wt + wi,
		        ocg);
		break;
	case P_S16: {
		uint32_t *part = (uint32_t *)((uint64_t *)acc + ocg);
		const int32_t xv = ((const int16_t *)x)[xi] - xzp;
		const int8_t *wk = (const int8_t *)wt + wi;
		if (xv == (int16_t)xv)
			axpy_s16_narrow(part, (int16_t)xv, wk, ocg);
		else
			axpy_s16(part, xv, wk, ocg);
		if (++*taps == S16_TAPS) {
			widen_s16(acc, part, ocg);
			*taps = 0;
		}
		break;
	}
	}
}

/* The OCg results of one group at out[o0 + j * ostep]. */
IR_INLINE void conv_store(Prec p, void *acc, int64_t ocg, const NodeRt *rt, Act act, int32_t ozp,
                          int64_t oc0, void *out, int64_t o0, int64_t ostep)
{
	if (p == P_S16)
		widen_s16(acc, (uint32_t *)((uint64_t *)acc + ocg), ocg);
	for (int64_t j = 0; j < ocg; j++) {
		const int64_t oc = oc0 + j, o = o0 + j * ostep;
		switch (p) {
		case P_F32: ((float *)out)[o] = ir_act_apply_f32(((float *)acc)[j], act); break;
		case P_S8: {
			const uint32_t a = ((uint32_t *)acc)[j];
			((int8_t *)out)[o] = (int8_t)(rt->fm ? ir_requant_float((int32_t)a,
			                                                        rt->fm[oc], ozp,
			                                                        rt->lo, rt->hi)
			                                     : ir_requant_acc(a, 0, rt->mult[oc],
			                                                      rt->shift[oc], ozp,
			                                                      rt->lo, rt->hi));
			break;
		}
		case P_S16:
			((int16_t *)out)[o] = (int16_t)ir_requant_acc(
			        ((uint64_t *)acc)[j], rt->acc64, rt->mult[oc], rt->shift[oc], ozp,
			        rt->lo, rt->hi);
			break;
		}
	}
}

/* The f32 outputs of pixels ox .. ox + NPX - 1 of row oy, whose windows
 * have every column in bounds and rows ky0 .. ky1 - 1: conv2d's loop, NPX
 * pixels a tap (axpy4_f32). */
static void conv_f32_px(const ConvGeo *cg, const NodeRt *rt, Act act, const void *x,
                        const void *bias, void *acc, void *out, int64_t b, int64_t oy, int64_t ox,
                        int64_t ky0, int64_t ky1)
{
	const int64_t C = cg->C, H = cg->H, W = cg->W, OC = cg->OC, OH = cg->OH, OW = cg->OW;
	const int64_t KH = cg->KH, KW = cg->KW, icg = cg->Cg, ocg = cg->OCg;
	const int64_t sh = cg->sh, sw = cg->sw, pt = cg->pt, pl = cg->pl, dh = cg->dh, dw = cg->dw;
	const float *xf = x;
	float *a = acc, xv[NPX];

	for (int64_t g = 0; g < cg->G; g++) {
		for (int k = 0; k < NPX; k++)
			conv_init(P_F32, a + k * ocg, ocg, rt, bias, g * ocg);
		for (int64_t ic = 0; ic < icg; ic++) {
			const int64_t xc = (b * C + g * icg + ic) * H * W;
			for (int64_t ky = ky0; ky < ky1; ky++) {
				const int64_t xr = xc + (oy * sh - pt + ky * dh) * W + ox * sw - pl;
				const int64_t wr = ((g * icg + ic) * KH + ky) * KW;
				for (int64_t kx = 0; kx < KW; kx++) {
					for (int k = 0; k < NPX; k++)
						xv[k] = xf[xr + kx * dw + k * sw];
					axpy4_f32(a, a + ocg, a + 2 * ocg, a + 3 * ocg, xv,
					          (const float *)rt->wt + (wr + kx) * ocg, ocg);
				}
			}
		}
		for (int k = 0; k < NPX; k++)
			conv_store(P_F32, a + k * ocg, ocg, rt, act, 0, g * ocg, out,
			           ((b * OC + g * ocg) * OH + oy) * OW + ox + k, OH * OW);
	}
}

IR_INLINE void conv2d(Prec p, const ConvGeo *cg, const NodeRt *rt, Act act, const void *x,
                      int32_t xzp, const void *bias, int32_t ozp, void *acc, void *out)
{
	const int64_t N = cg->N, C = cg->C, H = cg->H, W = cg->W;
	const int64_t OC = cg->OC, OH = cg->OH, OW = cg->OW, KH = cg->KH, KW = cg->KW;
	const int64_t icg = cg->Cg, ocg = cg->OCg, G = cg->G;
	const int64_t sh = cg->sh, sw = cg->sw, pt = cg->pt, pl = cg->pl, dh = cg->dh, dw = cg->dw;

	for (int64_t b = 0; b < N; b++)
		for (int64_t oy = 0; oy < OH; oy++) {
			int64_t ky0, ky1;
			ir_tap_range(H, KH, dh, oy * sh - pt, &ky0, &ky1); /* the in-bound taps */
			for (int64_t ox = 0; ox < OW; ox++) {
				int64_t kx0, kx1;
				if (p == P_F32 && ox + NPX <= OW && ox * sw - pl >= 0 &&
				    (ox + NPX - 1) * sw - pl + (KW - 1) * dw < W) {
					/* NPX pixels whose windows lie inside the row */
					conv_f32_px(cg, rt, act, x, bias, acc, out, b, oy, ox, ky0,
					            ky1);
					ox += NPX - 1;
					continue;
				}
				ir_tap_range(W, KW, dw, ox * sw - pl, &kx0, &kx1);
				for (int64_t g = 0; g < G; g++) {
					int taps = 0;
					conv_init(p, acc, ocg, rt, bias, g * ocg);
					for (int64_t ic = 0; ic < icg; ic++) {
						const int64_t xc = (b * C + g * icg + ic) * H * W;
						for (int64_t ky = ky0; ky < ky1; ky++) {
							const int64_t xr =
							        xc + (oy * sh - pt + ky * dh) * W +
							        ox * sw - pl;
							const int64_t wr = ((g * icg + ic) * KH +
							                    ky) *
							                   KW;
							for (int64_t kx = kx0; kx < kx1; kx++)
								conv_tap(p, acc, ocg, x,
								         xr + kx * dw, xzp, rt->wt,
								         (wr + kx) * ocg, &taps);
						}
					}
					conv_store(p, acc, ocg, rt, act, ozp, g * ocg, out,
					           ((b * OC + g * ocg) * OH + oy) * OW + ox,
					           OH * OW);
				}
			}
		}
}

/* ---- dense ----------------------------------------------------------------- */

/* The f32 sum of one output in IR_DENSE_F32_PARTS interleaved partial sums
 * and a fixed tree (the definition in the header comment): a compiled
 * target keeps the partials in vector lanes, so no chain of I dependent
 * additions bounds it. */
static float dense_f32_sum(int64_t I, const float *xr, const float *wr)
{
	float p[IR_DENSE_F32_PARTS];

	for (int s = 0; s < IR_DENSE_F32_PARTS; s++)
		p[s] = 0.0f;
	for (int64_t i = 0; i < I; i++) {
		const float t = xr[i] * wr[i];
		p[i % IR_DENSE_F32_PARTS] = p[i % IR_DENSE_F32_PARTS] + t;
	}
	for (int h = IR_DENSE_F32_PARTS / 2; h >= 1; h /= 2)
		for (int s = 0; s < h; s++)
			p[s] = p[s] + p[s + h];
	return p[0];
}

/* Output o of row b: the sum, the bias, the epilogue. */
IR_INLINE void dense_out(Prec p, int64_t I, int64_t O, int64_t b, int64_t o, const NodeRt *rt,
                         Act act, const void *x, int32_t xzp, const void *w, const void *bias,
                         int32_t ozp, void *out)
{
	switch (p) {
	case P_F32: {
		float acc = dense_f32_sum(I, (const float *)x + b * I, (const float *)w + o * I);
		if (bias)
			acc = acc + ((const float *)bias)[o];
		((float *)out)[b * O + o] = ir_act_apply_f32(acc, act);
		return;
	}
	case P_S8: {
		const int8_t *xr = (const int8_t *)x + b * I, *wr = (const int8_t *)w + o * I;
		const uint32_t uzp = (uint32_t)xzp;
		uint32_t acc = bias ? (uint32_t)((const int32_t *)bias)[o] : 0;
		for (int64_t i = 0; i < I; i++)
			acc += ((uint32_t)xr[i] - uzp) * (uint32_t)wr[i];
		((int8_t *)out)[b * O + o] = (int8_t)(rt->fm ? ir_requant_float((int32_t)acc,
		                                                                rt->fm[o], ozp,
		                                                                rt->lo, rt->hi)
		                                             : ir_requant_acc(acc, 0, rt->mult[o],
		                                                              rt->shift[o], ozp,
		                                                              rt->lo, rt->hi));
		return;
	}
	case P_S16: {
		const int16_t *xr = (const int16_t *)x + b * I;
		const int8_t *wr = (const int8_t *)w + o * I;
		const uint64_t uzp = (uint64_t)(int64_t)xzp;
		uint64_t acc = 0;
		if (bias)
			acc = rt->acc64 ? (uint64_t)((const int64_t *)bias)[o]
			                : (uint64_t)(int64_t)((const int32_t *)bias)[o];
		for (int64_t i = 0; i < I; i++)
			acc += ((uint64_t)(int64_t)xr[i] - uzp) * (uint64_t)(int64_t)wr[i];
		((int16_t *)out)[b * O + o] = (int16_t)ir_requant_acc(
		        acc, rt->acc64, rt->mult[o], rt->shift[o], ozp, rt->lo, rt->hi);
		return;
	}
	}
}

IR_INLINE void dense(Prec p, int64_t N, int64_t I, int64_t O, const NodeRt *rt, Act act,
                     const void *x, int32_t xzp, const void *w, const void *bias, int32_t ozp,
                     void *out)
{
	for (int64_t b = 0; b < N; b++)
		for (int64_t o = 0; o < O; o++)
			dense_out(p, I, O, b, o, rt, act, x, xzp, w, bias, ozp, out);
}

/* ---- run ------------------------------------------------------------------- */

static void run_conv2d(const Graph *g, const Node *n, const NodeRt *rt, void *const *buf, void *acc)
{
	const int32_t xzp = g->vals[n->in[0]].q.zp, ozp = g->vals[n->out].q.zp;
	const void *xb = buf[n->in[0]], *bb = n->nin > 2 ? buf[n->in[2]] : NULL;
	void *ob = buf[n->out], *co = rt->pre ? rt->pre : ob;
	ConvGeo cg;

	ir_conv_geo(g, n, &cg); /* checked by ir_interp_check_window */
	switch (rt->prec) {
	case P_F32: conv2d(P_F32, &cg, rt, n->a.act, xb, xzp, bb, ozp, acc, co); break;
	case P_S8: conv2d(P_S8, &cg, rt, n->a.act, xb, xzp, bb, ozp, acc, co); break;
	case P_S16: conv2d(P_S16, &cg, rt, n->a.act, xb, xzp, bb, ozp, acc, co); break;
	}
	if (rt->pre) {
		/* the fused max-pool: the unfused pair's kernels in the unfused order */
		ConvGeo pm;
		ir_conv_pool_geo(&cg, &pm);
		ir_interp_maxpool(&pm, rt->prec, ozp, rt->pre, ob);
	}
}

static void run_dense(const Graph *g, const Node *n, const NodeRt *rt, void *const *buf)
{
	const Value *x = &g->vals[n->in[0]], *o = &g->vals[n->out];
	const int64_t N = x->shape.d[0], I = x->shape.d[1], O = o->shape.d[1];
	const void *xb = buf[n->in[0]], *wb = buf[n->in[1]];
	const void *bb = n->nin > 2 ? buf[n->in[2]] : NULL;
	void *ob = buf[n->out];

	switch (rt->prec) {
	case P_F32: dense(P_F32, N, I, O, rt, n->a.act, xb, x->q.zp, wb, bb, o->q.zp, ob); break;
	case P_S8: dense(P_S8, N, I, O, rt, n->a.act, xb, x->q.zp, wb, bb, o->q.zp, ob); break;
	case P_S16: dense(P_S16, N, I, O, rt, n->a.act, xb, x->q.zp, wb, bb, o->q.zp, ob); break;
	}
}

static void run(const Graph *g, const Node *n, const NodeRt *rt, void *const *buf, void *acc)
{
	switch (n->op) {
	case OP_CONV2D: run_conv2d(g, n, rt, buf, acc); return;
	case OP_DENSE: run_dense(g, n, rt, buf); return;
	default: ICE("weighted rules: %s", ir_ops[n->op].name);
	}
}

/* ---- checks ------------------------------------------------------------------ */

#define BAD IR_BAD

static int check_dense(const Graph *g, const Node *n, Diag *d)
{
	const Shape *x = &g->vals[n->in[0]].shape, *w = &g->vals[n->in[1]].shape;
	const Shape *o = &g->vals[n->out].shape;

	if (x->rank != 2 || w->rank != 2 || o->rank != 2 || w->d[1] != x->d[1] ||
	    o->d[0] != x->d[0] || o->d[1] != w->d[0])
		return BAD("dense: shapes must be x [N, I], w [O, I], result [N, O]");
	if (n->nin > 2 && ir_shape_numel(&g->vals[n->in[2]].shape) != w->d[0])
		return BAD("dense: bias must have %lld elements", (long long)w->d[0]);
	return 0;
}

/* The storage types and quantization of a conv2d / dense; sets rt. */
static int check_types(Graph *g, const Node *n, NodeRt *rt, Diag *d)
{
	const Value *x = &g->vals[n->in[0]], *w = &g->vals[n->in[1]], *o = &g->vals[n->out];
	const Value *b = n->nin > 2 ? &g->vals[n->in[2]] : NULL;
	const char *op = ir_ops[n->op].name;
	int64_t oc = w->shape.d[0];

	if (w->kind != VK_CONST)
		return BAD("%s: weight '%s' must be a constant", op, w->name);
	if (rt->prec == P_F32) {
		if (w->dt != DT_F32 || o->dt != DT_F32 || (b && b->dt != DT_F32))
			return BAD("%s: a float layer needs f32 weights, bias and result", op);
		return 0;
	}
	if (w->dt != DT_I8 || o->dt != x->dt)
		return BAD(
		        "%s: a quantized layer needs i8 weights and a result of the input's type",
		        op);
	if (b && b->dt != DT_I32 && !(rt->prec == P_S16 && b->dt == DT_I64))
		return BAD("%s: bias '%s' must be i32%s", op, b->name,
		           rt->prec == P_S16 ? " or i64" : "");
	rt->acc64 = b && b->dt == DT_I64;
	if (!ir_per_tensor_q(x) || !ir_per_tensor_q(o))
		return BAD("%s: input and result need per-tensor quantization parameters", op);
	if (!w->q.present || w->q.zp != 0 || !(w->q.n == 1 || (w->q.n == oc && w->q.axis == 0)))
		return BAD("%s: weight '%s' needs symmetric per-tensor or axis-0 per-channel "
		           "quantization",
		           op, w->name);
	for (int i = 0; i < w->q.n; i++)
		if (!ir_good_scale(w->q.scale[i]))
			return BAD("%s: weight '%s' has a scale that is not positive and finite",
			           op, w->name);
	rt->mult = ir_xcalloc((size_t)oc, sizeof *rt->mult);
	rt->shift = ir_xcalloc((size_t)oc, sizeof *rt->shift);
	ir_node_requant(g, n, rt->mult, rt->shift);
	ir_act_bounds(n->a.act, o->dt, o->q.scale[0], o->q.zp, &rt->lo, &rt->hi);
	if (g->requant_float && rt->prec == P_S8) {
		rt->fm = ir_xcalloc((size_t)oc, sizeof *rt->fm);
		for (int64_t c = 0; c < oc; c++)
			rt->fm[c] = ir_requant_float_mult(
			        x->q.scale[0], w->q.scale[w->q.n == 1 ? 0 : c], o->q.scale[0]);
	}
	return 0;
}

static int check(Graph *g, const Node *n, NodeRt *rt, Diag *d)
{
	switch (n->op) {
	case OP_CONV2D:
		if (n->nin < 2 || ir_interp_check_window(g, n, d))
			return -1;
		return check_types(g, n, rt, d);
	case OP_DENSE:
		if (n->nin < 2 || check_dense(g, n, d))
			return -1;
		return check_types(g, n, rt, d);
	default: ICE("weighted rules: %s", ir_ops[n->op].name);
	}
}

#undef BAD

/* conv2d weights [OC][C/G][KH][KW] as [G][C/G][KH][KW][OC/G]: the kernel
 * runs the output channels of a group in the innermost loop. */
static void *transpose_weights(const Graph *g, const Node *n)
{
	const Value *w = &g->vals[n->in[1]];
	const int64_t OC = w->shape.d[0], icg = w->shape.d[1], KH = w->shape.d[2],
	              KW = w->shape.d[3];
	const int64_t ocg = OC / n->a.groups, taps = icg * KH * KW;
	const size_t es = (size_t)ir_dtype_size(w->dt);
	const unsigned char *src = w->data;
	unsigned char *dst = ir_xmalloc((size_t)(OC * taps) * es);

	for (int64_t oc = 0; oc < OC; oc++)
		for (int64_t t = 0; t < taps; t++) {
			int64_t grp = oc / ocg, j = oc % ocg;
			memcpy(dst + ((grp * taps + t) * ocg + j) * es, src + (oc * taps + t) * es,
			       es);
		}
	return dst;
}

/* conv2d: the transposed weights, the unpooled scratch of a fused pool, and
 * the accumulators (conv_init's, at most OC 64-bit sums and 32-bit parts). */
static int64_t prepare(const Graph *g, const Node *n, NodeRt *rt)
{
	if (n->op != OP_CONV2D)
		return 0;
	rt->wt = transpose_weights(g, n);
	if (ir_has_pool(n)) {
		ConvPool p;
		const Value *o = &g->vals[n->out];
		ir_conv_pool(g, n, &p);
		rt->pre = ir_xmalloc((size_t)(o->shape.d[0] * o->shape.d[1] * p.ch * p.cw *
		                              ir_dtype_size(o->dt)));
	}
	/* s16: 8 + 4 bytes an output channel; f32: NPX pixels of 4 */
	return g->vals[n->out].shape.d[1] * 4 * NPX;
}

/* int8 conv2d and dense requantize in float mode (onnxruntime's). */
static int requant_float_ok(const Graph *g, const Node *n)
{
	(void)g;
	(void)n;
	return 1;
}

/* A conv2d without a fused pool prints as it did before fuse-pool. */
static int print_attr(const Node *n, int ai)
{
	return !((ai == AI_POOL || ai == AI_POOL_STRIDE || ai == AI_POOL_PAD ||
	          ai == AI_POOL_DILATION) &&
	         !ir_has_pool(n));
}

const IrRules ir_rules_weighted = {
        .check = check,
        .prepare = prepare,
        .run = run,
        .requant_float_ok = requant_float_ok,
        .print_attr = print_attr,
};
