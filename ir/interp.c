/* ir/interp.c — the reference interpreter: runs a graph, float or quantized,
 * one node after another.  Its kernels ARE the semantics of the ops
 * (docs/requant.md): the LLVM backend must reproduce every integer, and every float
 * of an f32 graph, bit for bit.
 *
 * Style of TFLM's reference kernels: one function per op and precision, plain
 * loops with named indices, parameters copied into locals at the top.
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
 *   relu    f32 x < 0 ? 0 : x; int max(x, zp) (relu keeps its input's q).
 *   maxpool the first in-bound element of the (dilated) window (ky, then
 *           kx), then every later one that is > it; an empty window gives
 *           0 / zp.
 *   conv2d with a fused max-pool (pool = [kh,kw], fuse-pool): the conv2d
 *           above into a scratch tensor of the convolution's own shape,
 *           then the maxpool above over it with the pool_* attributes;
 *           exactly the unfused pair, so the bits cannot differ.
 *   flatten, reshape   the bytes, unchanged.
 *   quantize   from f32 the float edge's qrt_quantize_*; from i8/i16
 *           TFLite's Requantize: clamp(mbqm(x - zp_in, mult, shift) + zp_out)
 *           to the result's storage range, M = s_in / s_out, the addition
 *           wrapping like the weighted ops' epilogue.
 *   dequantize   qrt_dequantize_*: (float)(x - zp) * scale.
 *   avgpool2d, global_avgpool, pad, transpose   ir/interp_pool.c.
 *
 * For speed the convolution kernels put the output channels of a group in
 * the innermost loop (weights transposed once), so one input element updates
 * many accumulators at a time.  Each accumulator still receives its additions
 * in the order above, so the float results are those of the per-output loop,
 * bit for bit; the integer sums wrap, so their order could not matter anyway.
 */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"
#include "interp_eltwise.h"
#include "act.h"
#include "interp_pool.h"
#include "qrt.h"

#ifdef __clang__
/* acc + x*w must not become a fused multiply-add (GCC does not contract in
 * the ISO C mode the project builds in) */
#pragma STDC FP_CONTRACT OFF
#endif

/* The precision of a node, from its input's storage type. */
typedef enum { P_F32, P_S8, P_S16 } Prec;

/* What a node needs at run time beyond the graph. */
typedef struct {
	Prec prec;
	int acc64;       /* int16 layer with an int64 bias */
	int32_t *mult;   /* per output channel (weighted ops) */
	int *shift;
	float *fm;       /* --requant float: per output channel (ir_requant_float) */
	int32_t lo, hi;  /* clamp of the quantized result */
	void *wt;        /* conv2d weights as [G][C/G][KH][KW][OC/G] */
	void *pre;       /* conv2d with a fused pool: the unpooled output */
} NodeRt;

struct Interp {
	Graph *g;
	void **buf;      /* per value; constants alias Value.data */
	NodeRt *rt;      /* per node */
	void *acc;       /* accumulators, one per output channel of a group */
	InterpHook hook;
	void *ctx;
};

/* Geometry of a window op (conv2d, maxpool2d), NCHW. */
typedef struct {
	int64_t n, c, h, w;       /* input */
	int64_t oc, oh, ow;       /* output */
	int64_t kh, kw;
	int64_t icg, ocg;         /* channels per group, in and out */
	int64_t sh, sw, pt, pl, dh, dw;
} Geom;

/* The taps k in [*k0, *k1) (k < nk) whose input coordinate off + k*d lies
 * in [0, n): the in-bound part of a window, so no tap needs a test. */
static void tap_range(int64_t n, int64_t nk, int64_t d, int64_t off, int64_t *k0, int64_t *k1)
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

static int32_t clamp32(int32_t v, int32_t lo, int32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* The shared epilogue of every quantized weighted op: wrapping accumulator
 * in, clamped output integer out. */
static int32_t requant(uint64_t acc, int acc64, int32_t mult, int shift, int32_t zp,
		       int32_t lo, int32_t hi)
{
	int32_t v;

	if (acc64)
		v = ir_mbqm64((int64_t)acc, mult, shift);
	else
		v = ir_mbqm((int32_t)(uint32_t)acc, mult, shift);
	return clamp32((int32_t)((uint32_t)v + (uint32_t)zp), lo, hi);
}

static float act_f32(float v, Act act)
{
	if (act == ACT_NONE)
		return v;
	v = v < 0.0f ? 0.0f : v;
	if (act == ACT_RELU6)
		v = v > 6.0f ? 6.0f : v;
	return v;
}

/* ---- conv2d ---------------------------------------------------------------- */

/* The conv kernels take their weights transposed to [G][C/G][KH][KW][OC/G]
 * (transpose_weights, once per interpreter) and run the output channels of a
 * group innermost: every tap then updates OC/G independent accumulators,
 * each of which still receives its additions in (ic, ky, kx) order.  The
 * axpy helpers work in blocks of 16 because a fixed trip count is what GCC's
 * -O2 vectorizer accepts; a tail loop takes the rest. */

enum { BLK = 16 };

/* Sanitizer checks inside these three loops keep GCC from vectorizing them,
 * which made sanitized test runs (the seed CNN over 10,000 images) far
 * slower.  They touch only the interpreter's own buffers, sized together
 * from the same shapes: the accumulators and the transposed weights.  Every
 * read of a graph value stays in the checked callers. */
#if defined(__GNUC__) || defined(__clang__)
#define NO_SANITIZE __attribute__((no_sanitize("address", "undefined")))
#else
#define NO_SANITIZE
#endif

/* On x86-64 the three loops are also compiled for AVX2 and the loader picks
 * that copy where the CPU has it (an ifunc): twice the lanes, the same
 * results, since every lane is its own accumulator and ISO C mode contracts
 * no multiply-add into an FMA (nor does plain AVX2 have one).  GCC only:
 * clang refuses target_clones beside no_sanitize. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__ELF__)
#define LANES __attribute__((target_clones("avx2", "default")))
#else
#define LANES
#endif

NO_SANITIZE LANES static void axpy_f32(float *restrict acc, float xv, const float *restrict w, int64_t n)
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

/* |xv| <= 255 (an int8 minus an int8 zero point) and |w| <= 128, so every
 * product fits in 16 bits, which lets the vectorizer multiply in 16-bit lanes. */
NO_SANITIZE LANES static void axpy_s8(uint32_t *restrict acc, int16_t xv, const int8_t *restrict w, int64_t n)
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

NO_SANITIZE LANES static void axpy_s16(uint32_t *restrict acc, int32_t xv, const int8_t *restrict w, int64_t n)
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
NO_SANITIZE LANES static void axpy_s16_narrow(uint32_t *restrict acc, int16_t xv, const int8_t *restrict w, int64_t n)
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

static void conv2d_f32(const Geom *gm, Act act, const float *x, const float *wt,
		       const float *bias, float *acc, float *out)
{
	const int64_t N = gm->n, C = gm->c, H = gm->h, W = gm->w;
	const int64_t OC = gm->oc, OH = gm->oh, OW = gm->ow, KH = gm->kh, KW = gm->kw;
	const int64_t icg = gm->icg, ocg = gm->ocg, G = OC / ocg;
	const int64_t sh = gm->sh, sw = gm->sw, pt = gm->pt, pl = gm->pl, dh = gm->dh, dw = gm->dw;

	for (int64_t b = 0; b < N; b++)
	for (int64_t oy = 0; oy < OH; oy++)
	for (int64_t ox = 0; ox < OW; ox++) {
		int64_t ky0, ky1, kx0, kx1;
		tap_range(H, KH, dh, oy * sh - pt, &ky0, &ky1); /* the in-bound taps */
		tap_range(W, KW, dw, ox * sw - pl, &kx0, &kx1);
		for (int64_t g = 0; g < G; g++) {
			for (int64_t j = 0; j < ocg; j++)
				acc[j] = bias ? bias[g * ocg + j] : 0.0f;
			for (int64_t ic = 0; ic < icg; ic++) {
				const float *xc = x + (b * C + g * icg + ic) * H * W;
				for (int64_t ky = ky0; ky < ky1; ky++) {
					const float *xr = xc + (oy * sh - pt + ky * dh) * W;
					for (int64_t kx = kx0; kx < kx1; kx++)
						axpy_f32(acc, xr[ox * sw - pl + kx * dw],
						         wt + (((g * icg + ic) * KH + ky) * KW + kx) * ocg, ocg);
				}
			}
			for (int64_t j = 0; j < ocg; j++)
				out[((b * OC + g * ocg + j) * OH + oy) * OW + ox] = act_f32(acc[j], act);
		}
	}
}

static void conv2d_s8(const Geom *gm, const NodeRt *rt, const int8_t *x, int32_t xzp,
		      const int8_t *wt, const int32_t *bias, int32_t ozp, uint32_t *acc, int8_t *out)
{
	const int64_t N = gm->n, C = gm->c, H = gm->h, W = gm->w;
	const int64_t OC = gm->oc, OH = gm->oh, OW = gm->ow, KH = gm->kh, KW = gm->kw;
	const int64_t icg = gm->icg, ocg = gm->ocg, G = OC / ocg;
	const int64_t sh = gm->sh, sw = gm->sw, pt = gm->pt, pl = gm->pl, dh = gm->dh, dw = gm->dw;

	for (int64_t b = 0; b < N; b++)
	for (int64_t oy = 0; oy < OH; oy++)
	for (int64_t ox = 0; ox < OW; ox++) {
		int64_t ky0, ky1, kx0, kx1;
		tap_range(H, KH, dh, oy * sh - pt, &ky0, &ky1);
		tap_range(W, KW, dw, ox * sw - pl, &kx0, &kx1);
		for (int64_t g = 0; g < G; g++) {
			for (int64_t j = 0; j < ocg; j++)
				acc[j] = bias ? (uint32_t)bias[g * ocg + j] : 0;
			for (int64_t ic = 0; ic < icg; ic++) {
				const int8_t *xc = x + (b * C + g * icg + ic) * H * W;
				for (int64_t ky = ky0; ky < ky1; ky++) {
					const int8_t *xr = xc + (oy * sh - pt + ky * dh) * W;
					for (int64_t kx = kx0; kx < kx1; kx++)
						axpy_s8(acc, (int16_t)(xr[ox * sw - pl + kx * dw] - xzp),
						        wt + (((g * icg + ic) * KH + ky) * KW + kx) * ocg, ocg);
				}
			}
			for (int64_t j = 0; j < ocg; j++) {
				const int64_t oc = g * ocg + j;
				out[((b * OC + oc) * OH + oy) * OW + ox] = (int8_t)(rt->fm
					? ir_requant_float((int32_t)acc[j], rt->fm[oc], ozp, rt->lo, rt->hi)
					: requant(acc[j], 0, rt->mult[oc], rt->shift[oc], ozp, rt->lo, rt->hi));
			}
		}
	}
}

/* int16 activations, int8 weights (TFLite 16x8).  The sum runs in 64 bits;
 * with an int32 bias (or none) only its low 32 bits count, which is exactly a
 * wrapping int32 accumulation.  acc holds OC/G 64-bit sums followed by OC/G
 * 32-bit partial sums (axpy_s16). */
static void conv2d_s16(const Geom *gm, const NodeRt *rt, const int16_t *x, int32_t xzp,
		       const int8_t *wt, const void *bias, int32_t ozp, uint64_t *acc, int16_t *out)
{
	uint32_t *part = (uint32_t *)(acc + gm->ocg);

	const int64_t N = gm->n, C = gm->c, H = gm->h, W = gm->w;
	const int64_t OC = gm->oc, OH = gm->oh, OW = gm->ow, KH = gm->kh, KW = gm->kw;
	const int64_t icg = gm->icg, ocg = gm->ocg, G = OC / ocg;
	const int64_t sh = gm->sh, sw = gm->sw, pt = gm->pt, pl = gm->pl, dh = gm->dh, dw = gm->dw;

	for (int64_t b = 0; b < N; b++)
	for (int64_t oy = 0; oy < OH; oy++)
	for (int64_t ox = 0; ox < OW; ox++) {
		int64_t ky0, ky1, kx0, kx1;
		tap_range(H, KH, dh, oy * sh - pt, &ky0, &ky1);
		tap_range(W, KW, dw, ox * sw - pl, &kx0, &kx1);
		for (int64_t g = 0; g < G; g++) {
			int taps = 0;
			for (int64_t j = 0; j < ocg; j++) {
				const int64_t oc = g * ocg + j;
				acc[j] = !bias ? 0 : rt->acc64 ? (uint64_t)((const int64_t *)bias)[oc]
				                               : (uint64_t)(int64_t)((const int32_t *)bias)[oc];
				part[j] = 0;
			}
			for (int64_t ic = 0; ic < icg; ic++) {
				const int16_t *xc = x + (b * C + g * icg + ic) * H * W;
				for (int64_t ky = ky0; ky < ky1; ky++) {
					const int16_t *xr = xc + (oy * sh - pt + ky * dh) * W;
					for (int64_t kx = kx0; kx < kx1; kx++) {
						const int32_t xv = xr[ox * sw - pl + kx * dw] - xzp;
						const int8_t *wk = wt + (((g * icg + ic) * KH + ky) * KW + kx) * ocg;
						if (xv == (int16_t)xv)
							axpy_s16_narrow(part, (int16_t)xv, wk, ocg);
						else
							axpy_s16(part, xv, wk, ocg);
						if (++taps == S16_TAPS) {
							widen_s16(acc, part, ocg);
							taps = 0;
						}
					}
				}
			}
			widen_s16(acc, part, ocg);
			for (int64_t j = 0; j < ocg; j++) {
				const int64_t oc = g * ocg + j;
				out[((b * OC + oc) * OH + oy) * OW + ox] = (int16_t)requant(acc[j], rt->acc64,
					rt->mult[oc], rt->shift[oc], ozp, rt->lo, rt->hi);
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

static void dense_f32(int64_t N, int64_t I, int64_t O, Act act, const float *x, const float *w,
		      const float *bias, float *out)
{
	for (int64_t b = 0; b < N; b++)
	for (int64_t o = 0; o < O; o++) {
		float acc = dense_f32_sum(I, x + b * I, w + o * I);
		if (bias)
			acc = acc + bias[o];
		out[b * O + o] = act_f32(acc, act);
	}
}

static void dense_s8(int64_t N, int64_t I, int64_t O, const NodeRt *rt, const int8_t *x,
		     int32_t xzp, const int8_t *w, const int32_t *bias, int32_t ozp, int8_t *out)
{
	const uint32_t uzp = (uint32_t)xzp;

	for (int64_t b = 0; b < N; b++)
	for (int64_t o = 0; o < O; o++) {
		const int8_t *xr = x + b * I, *wr = w + o * I;
		uint32_t acc = bias ? (uint32_t)bias[o] : 0;
		for (int64_t i = 0; i < I; i++)
			acc += ((uint32_t)xr[i] - uzp) * (uint32_t)wr[i];
		out[b * O + o] = (int8_t)(rt->fm
			? ir_requant_float((int32_t)acc, rt->fm[o], ozp, rt->lo, rt->hi)
			: requant(acc, 0, rt->mult[o], rt->shift[o], ozp, rt->lo, rt->hi));
	}
}

static void dense_s16(int64_t N, int64_t I, int64_t O, const NodeRt *rt, const int16_t *x,
		      int32_t xzp, const int8_t *w, const void *bias, int32_t ozp, int16_t *out)
{
	const uint64_t uzp = (uint64_t)(int64_t)xzp;

	for (int64_t b = 0; b < N; b++)
	for (int64_t o = 0; o < O; o++) {
		const int16_t *xr = x + b * I;
		const int8_t *wr = w + o * I;
		uint64_t acc = 0;
		if (bias)
			acc = rt->acc64 ? (uint64_t)((const int64_t *)bias)[o]
			                : (uint64_t)(int64_t)((const int32_t *)bias)[o];
		for (int64_t i = 0; i < I; i++)
			acc += ((uint64_t)(int64_t)xr[i] - uzp) * (uint64_t)(int64_t)wr[i];
		out[b * O + o] = (int16_t)requant(acc, rt->acc64, rt->mult[o], rt->shift[o], ozp,
		                                  rt->lo, rt->hi);
	}
}

/* ---- relu, maxpool2d ------------------------------------------------------- */

static void relu_f32(int64_t n, const float *x, float *out)
{
	for (int64_t i = 0; i < n; i++)
		out[i] = x[i] < 0.0f ? 0.0f : x[i];
}

static void relu_s8(int64_t n, int32_t zp, const int8_t *x, int8_t *out)
{
	for (int64_t i = 0; i < n; i++)
		out[i] = x[i] < zp ? (int8_t)zp : x[i];
}

static void relu_s16(int64_t n, int32_t zp, const int16_t *x, int16_t *out)
{
	for (int64_t i = 0; i < n; i++)
		out[i] = x[i] < zp ? (int16_t)zp : x[i];
}

static void maxpool2d_f32(const Geom *gm, const float *x, float *out)
{
	const int64_t NC = gm->n * gm->c, H = gm->h, W = gm->w, OH = gm->oh, OW = gm->ow;
	const int64_t KH = gm->kh, KW = gm->kw, sh = gm->sh, sw = gm->sw, pt = gm->pt, pl = gm->pl;
	const int64_t dh = gm->dh, dw = gm->dw;

	for (int64_t nc = 0; nc < NC; nc++)
	for (int64_t oy = 0; oy < OH; oy++)
	for (int64_t ox = 0; ox < OW; ox++) {
		const float *xc = x + nc * H * W;
		int64_t ky0, ky1, kx0, kx1;
		int first = 1;
		float m = 0.0f;
		tap_range(H, KH, dh, oy * sh - pt, &ky0, &ky1);
		tap_range(W, KW, dw, ox * sw - pl, &kx0, &kx1);
		for (int64_t ky = ky0; ky < ky1; ky++)
			for (int64_t kx = kx0; kx < kx1; kx++) {
				const float v = xc[(oy * sh - pt + ky * dh) * W + ox * sw - pl + kx * dw];
				if (first || v > m)
					m = v;
				first = 0;
			}
		out[(nc * OH + oy) * OW + ox] = m;
	}
}

static void maxpool2d_s8(const Geom *gm, int32_t zp, const int8_t *x, int8_t *out)
{
	const int64_t NC = gm->n * gm->c, H = gm->h, W = gm->w, OH = gm->oh, OW = gm->ow;
	const int64_t KH = gm->kh, KW = gm->kw, sh = gm->sh, sw = gm->sw, pt = gm->pt, pl = gm->pl;
	const int64_t dh = gm->dh, dw = gm->dw;

	for (int64_t nc = 0; nc < NC; nc++)
	for (int64_t oy = 0; oy < OH; oy++)
	for (int64_t ox = 0; ox < OW; ox++) {
		const int8_t *xc = x + nc * H * W;
		int64_t ky0, ky1, kx0, kx1;
		int32_t m = INT32_MIN;
		tap_range(H, KH, dh, oy * sh - pt, &ky0, &ky1);
		tap_range(W, KW, dw, ox * sw - pl, &kx0, &kx1);
		for (int64_t ky = ky0; ky < ky1; ky++)
			for (int64_t kx = kx0; kx < kx1; kx++) {
				const int32_t v = xc[(oy * sh - pt + ky * dh) * W + ox * sw - pl + kx * dw];
				if (v > m)
					m = v;
			}
		out[(nc * OH + oy) * OW + ox] = (int8_t)(m == INT32_MIN ? zp : m);
	}
}

static void maxpool2d_s16(const Geom *gm, int32_t zp, const int16_t *x, int16_t *out)
{
	const int64_t NC = gm->n * gm->c, H = gm->h, W = gm->w, OH = gm->oh, OW = gm->ow;
	const int64_t KH = gm->kh, KW = gm->kw, sh = gm->sh, sw = gm->sw, pt = gm->pt, pl = gm->pl;
	const int64_t dh = gm->dh, dw = gm->dw;

	for (int64_t nc = 0; nc < NC; nc++)
	for (int64_t oy = 0; oy < OH; oy++)
	for (int64_t ox = 0; ox < OW; ox++) {
		const int16_t *xc = x + nc * H * W;
		int64_t ky0, ky1, kx0, kx1;
		int32_t m = INT32_MIN;
		tap_range(H, KH, dh, oy * sh - pt, &ky0, &ky1);
		tap_range(W, KW, dw, ox * sw - pl, &kx0, &kx1);
		for (int64_t ky = ky0; ky < ky1; ky++)
			for (int64_t kx = kx0; kx < kx1; kx++) {
				const int32_t v = xc[(oy * sh - pt + ky * dh) * W + ox * sw - pl + kx * dw];
				if (v > m)
					m = v;
			}
		out[(nc * OH + oy) * OW + ox] = (int16_t)(m == INT32_MIN ? zp : m);
	}
}

/* ---- quantize, dequantize ---------------------------------------------------- */

static int32_t load_int(DType dt, const void *p, int64_t i)
{
	return dt == DT_I8 ? ((const int8_t *)p)[i] : ((const int16_t *)p)[i];
}

static void quantize_any(const NodeRt *rt, int even, const Value *x, const Value *o,
			 const void *xb, void *ob)
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
		uint32_t acc = (uint32_t)(load_int(x->dt, xb, i) - xzp);
		int32_t v = requant(acc, 0, rt->mult[0], rt->shift[0], ozp, rt->lo, rt->hi);
		if (o->dt == DT_I8)
			((int8_t *)ob)[i] = (int8_t)v;
		else
			((int16_t *)ob)[i] = (int16_t)v;
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

/* ---- dispatch -------------------------------------------------------------- */

static void geom(const Graph *g, const Node *n, Geom *gm)
{
	const Shape *x = &g->vals[n->in[0]].shape, *o = &g->vals[n->out].shape;

	gm->n = x->d[0];
	gm->c = x->d[1];
	gm->h = x->d[2];
	gm->w = x->d[3];
	gm->oc = o->d[1];
	gm->oh = o->d[2];
	gm->ow = o->d[3];
	if (n->op == OP_CONV2D) {
		ConvPool p;
		ir_conv_pool(g, n, &p); /* checked by check_geom */
		gm->oh = p.ch;
		gm->ow = p.cw;
	}
	gm->sh = n->a.stride[0];
	gm->sw = n->a.stride[1];
	gm->pt = n->a.pad[0];
	gm->pl = n->a.pad[1];
	if (n->op == OP_CONV2D) {
		const Shape *w = &g->vals[n->in[1]].shape;
		gm->kh = w->d[2];
		gm->kw = w->d[3];
		gm->icg = w->d[1];
		gm->ocg = gm->oc / n->a.groups;
		gm->dh = n->a.dilation[0];
		gm->dw = n->a.dilation[1];
	} else {
		gm->kh = n->a.kernel[0];
		gm->kw = n->a.kernel[1];
		gm->icg = gm->ocg = 1;
		gm->dh = n->a.dilation[0];
		gm->dw = n->a.dilation[1];
	}
}

/* The maxpool geometry of a conv2d's fused pool over its unpooled output. */
static void pool_geom(const Graph *g, const Node *n, Geom *gm)
{
	const Shape *o = &g->vals[n->out].shape;
	ConvPool p;

	ir_conv_pool(g, n, &p);
	*gm = (Geom){.n = o->d[0], .c = o->d[1], .h = p.ch, .w = p.cw, .oc = o->d[1],
	             .oh = p.oh, .ow = p.ow, .kh = p.kh, .kw = p.kw, .icg = 1, .ocg = 1,
	             .sh = p.sh, .sw = p.sw, .pt = p.pt, .pl = p.pl, .dh = p.dh, .dw = p.dw};
}

/* conv2d with a fused max-pool: the convolution into rt->pre, then the
 * maxpool over it, the unfused pair's kernels in the unfused order. */
static void conv2d_pooled(const Graph *g, const Node *n, const NodeRt *rt, void *acc,
			  const void *xb, const void *bb, void *ob)
{
	const int32_t xzp = g->vals[n->in[0]].q.zp, ozp = g->vals[n->out].q.zp;
	Geom gm, pm;

	geom(g, n, &gm);
	pool_geom(g, n, &pm);
	switch (rt->prec) {
	case P_F32:
		conv2d_f32(&gm, n->a.act, xb, rt->wt, bb, acc, rt->pre);
		maxpool2d_f32(&pm, rt->pre, ob);
		return;
	case P_S8:
		conv2d_s8(&gm, rt, xb, xzp, rt->wt, bb, ozp, acc, rt->pre);
		maxpool2d_s8(&pm, ozp, rt->pre, ob);
		return;
	case P_S16:
		conv2d_s16(&gm, rt, xb, xzp, rt->wt, bb, ozp, acc, rt->pre);
		maxpool2d_s16(&pm, ozp, rt->pre, ob);
		return;
	}
}

static void run_node(Interp *in, int ni)
{
	const Graph *g = in->g;
	const Node *n = &g->nodes[ni];
	const NodeRt *rt = &in->rt[ni];
	const Value *x = &g->vals[n->in[0]], *o = &g->vals[n->out];
	const void *xb = in->buf[n->in[0]];
	const void *wb = n->nin > 1 ? in->buf[n->in[1]] : NULL;
	const void *bb = n->nin > 2 ? in->buf[n->in[2]] : NULL;
	void *ob = in->buf[n->out];
	const int32_t xzp = x->q.zp, ozp = o->q.zp;
	Geom gm;

	switch (n->op) {
	case OP_CONV2D:
		if (rt->pre) {
			conv2d_pooled(g, n, rt, in->acc, xb, bb, ob);
			return;
		}
		geom(g, n, &gm);
		switch (rt->prec) {
		case P_F32: conv2d_f32(&gm, n->a.act, xb, rt->wt, bb, in->acc, ob); return;
		case P_S8: conv2d_s8(&gm, rt, xb, xzp, rt->wt, bb, ozp, in->acc, ob); return;
		case P_S16: conv2d_s16(&gm, rt, xb, xzp, rt->wt, bb, ozp, in->acc, ob); return;
		}
		break;
	case OP_DENSE: {
		const int64_t N = x->shape.d[0], I = x->shape.d[1], O = o->shape.d[1];
		switch (rt->prec) {
		case P_F32: dense_f32(N, I, O, n->a.act, xb, wb, bb, ob); return;
		case P_S8: dense_s8(N, I, O, rt, xb, xzp, wb, bb, ozp, ob); return;
		case P_S16: dense_s16(N, I, O, rt, xb, xzp, wb, bb, ozp, ob); return;
		}
		break;
	}
	case OP_RELU: {
		const int64_t cnt = ir_shape_numel(&x->shape);
		switch (rt->prec) {
		case P_F32: relu_f32(cnt, xb, ob); return;
		case P_S8: relu_s8(cnt, xzp, xb, ob); return;
		case P_S16: relu_s16(cnt, xzp, xb, ob); return;
		}
		break;
	}
	case OP_MAXPOOL2D:
		geom(g, n, &gm);
		switch (rt->prec) {
		case P_F32: maxpool2d_f32(&gm, xb, ob); return;
		case P_S8: maxpool2d_s8(&gm, xzp, xb, ob); return;
		case P_S16: maxpool2d_s16(&gm, xzp, xb, ob); return;
		}
		break;
	case OP_FLATTEN:
	case OP_RESHAPE:
		memcpy(ob, xb, (size_t)ir_value_bytes(x));
		return;
	case OP_ADD:
	case OP_SUB:
	case OP_MUL:
	case OP_DIV:
	case OP_CONCAT:
		ir_interp_run_eltwise(g, n, in->buf);
		return;
	case OP_AVGPOOL2D:
	case OP_GLOBAL_AVGPOOL: interp_avgpool(g, n, xb, ob); return;
	case OP_PAD: interp_pad(g, n, xb, ob); return;
	case OP_TRANSPOSE: interp_transpose(g, n, xb, ob); return;
	case OP_CLIP:
	case OP_LEAKY_RELU:
	case OP_SIGMOID:
	case OP_TANH:
	case OP_HARD_SIGMOID:
	case OP_HARD_SWISH:
	case OP_SOFTMAX:
		ir_interp_run_act(g, n, in->buf);
		return;
	case OP_QUANTIZE:
		quantize_any(rt, g->requant_float, x, o, xb, ob);
		return;
	case OP_DEQUANTIZE:
		dequantize_any(x, xb, ob);
		return;
	default:
		break;
	}
	ICE("interp: no kernel for %s", ir_ops[n->op].name);
}

/* ---- checks at ir_interp_new ----------------------------------------------- */

/* Everything run_node relies on, so that a graph the verifier and
 * infer-shapes missed something in is diagnosed instead of read out of
 * bounds.  Returns 0 or -1 (diagnosed). */

#define BAD(...) (diag_error(d, n->loc, __VA_ARGS__), -1)

static int same_q(const QParams *a, const QParams *b)
{
	return a->present && b->present && a->n == 1 && b->n == 1 && a->zp == b->zp &&
	       a->scale[0] == b->scale[0];
}

static int good_scale(float s)
{
	return s > 0 && s <= FLT_MAX;
}

static int per_tensor_q(const Value *v)
{
	return v->q.present && v->q.n == 1 && v->q.scale && good_scale(v->q.scale[0]);
}

static int check_geom(const Graph *g, const Node *n, Diag *d)
{
	const Shape *x = &g->vals[n->in[0]].shape, *o = &g->vals[n->out].shape;
	const char *op = ir_ops[n->op].name;
	int64_t kh, kw, dh = 1, dw = 1, oc = x->d[1];

	if (x->rank != 4 || o->rank != 4)
		return BAD("%s: input and result must be 4-d (NCHW)", op);
	for (int i = 0; i < 2; i++)
		if (n->a.stride[i] < 1 || n->a.dilation[i] < 1 || n->a.kernel[i] < 1)
			return BAD("%s: strides, dilations and kernel sizes must be positive", op);
	for (int i = 0; i < 4; i++)
		if (n->a.pad[i] < 0)
			return BAD("%s: negative padding", op);
	if (n->op == OP_CONV2D) {
		const Shape *w = &g->vals[n->in[1]].shape;
		int64_t G = n->a.groups;
		if (w->rank != 4)
			return BAD("conv2d: weight must be 4-d [OC, C/G, KH, KW]");
		oc = w->d[0];
		if (G < 1 || x->d[1] % G || oc % G || w->d[1] * G != x->d[1])
			return BAD("conv2d: channels and groups do not agree");
		if (n->nin > 2 && ir_shape_numel(&g->vals[n->in[2]].shape) != oc)
			return BAD("conv2d: bias must have %lld elements", (long long)oc);
		kh = w->d[2];
		kw = w->d[3];
	} else {
		kh = n->a.kernel[0];
		kw = n->a.kernel[1];
	}
	dh = n->a.dilation[0];
	dw = n->a.dilation[1];
	int64_t sh = x->d[2] + n->a.pad[0] + n->a.pad[2] - dh * (kh - 1) - 1;
	int64_t sw = x->d[3] + n->a.pad[1] + n->a.pad[3] - dw * (kw - 1) - 1;
	if (sh < 0 || sw < 0)
		return BAD("%s: result shape does not match the operands", op);
	int64_t eh = sh / n->a.stride[0] + 1, ew = sw / n->a.stride[1] + 1;
	ConvPool p;
	if (n->op == OP_CONV2D) {
		if (ir_conv_pool(g, n, &p) < 0)
			return BAD("conv2d: the fused max-pool's attributes do not fit");
		eh = p.oh;
		ew = p.ow;
	}
	if (o->d[0] != x->d[0] || o->d[1] != oc || o->d[2] != eh || o->d[3] != ew)
		return BAD("%s: result shape does not match the operands", op);
	return 0;
}

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
static int check_weighted(Graph *g, const Node *n, NodeRt *rt, Diag *d)
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
		return BAD("%s: a quantized layer needs i8 weights and a result of the input's type", op);
	if (b && b->dt != DT_I32 && !(rt->prec == P_S16 && b->dt == DT_I64))
		return BAD("%s: bias '%s' must be i32%s", op, b->name, rt->prec == P_S16 ? " or i64" : "");
	rt->acc64 = b && b->dt == DT_I64;
	if (!per_tensor_q(x) || !per_tensor_q(o))
		return BAD("%s: input and result need per-tensor quantization parameters", op);
	if (!w->q.present || w->q.zp != 0 ||
	    !(w->q.n == 1 || (w->q.n == oc && w->q.axis == 0)))
		return BAD("%s: weight '%s' needs symmetric per-tensor or axis-0 per-channel "
		           "quantization", op, w->name);
	for (int i = 0; i < w->q.n; i++)
		if (!good_scale(w->q.scale[i]))
			return BAD("%s: weight '%s' has a scale that is not positive and finite", op, w->name);
	rt->mult = ir_xcalloc((size_t)oc, sizeof *rt->mult);
	rt->shift = ir_xcalloc((size_t)oc, sizeof *rt->shift);
	ir_node_requant(g, n, rt->mult, rt->shift);
	ir_act_bounds(n->a.act, o->dt, o->q.scale[0], o->q.zp, &rt->lo, &rt->hi);
	if (g->requant_float && rt->prec == P_S8) {
		rt->fm = ir_xcalloc((size_t)oc, sizeof *rt->fm);
		for (int64_t c = 0; c < oc; c++)
			rt->fm[c] = ir_requant_float_mult(x->q.scale[0],
			                                  w->q.scale[w->q.n == 1 ? 0 : c], o->q.scale[0]);
	}
	return 0;
}

/* quantize: a per-tensor quantized i8/i16 result of any f32, i8 or i16
 * input (quantized per tensor too); dequantize: such an input, f32 result. */
static int check_convert(const Node *n, NodeRt *rt, const Value *x, const Value *o, Diag *d)
{
	const char *op = ir_ops[n->op].name;
	int xint = x->dt == DT_I8 || x->dt == DT_I16, oint = o->dt == DT_I8 || o->dt == DT_I16;

	if (ir_shape_numel(&o->shape) != ir_shape_numel(&x->shape) ||
	    ir_shape_numel(&x->shape) > UINT32_MAX)
		return BAD("%s: result and input differ in size", op);
	if (n->op == OP_DEQUANTIZE) {
		if (!xint || !per_tensor_q(x) || o->dt != DT_F32)
			return BAD("dequantize: needs an i8/i16 input quantized per tensor and an f32 result");
		return 0;
	}
	if (!oint || !per_tensor_q(o))
		return BAD("quantize: the result '%s' must be i8 or i16 quantized per tensor", o->name);
	if (xint && !per_tensor_q(x))
		return BAD("quantize: input '%s' needs per-tensor parameters", x->name);
	rt->lo = ir_qmin(o->dt);
	rt->hi = ir_qmax(o->dt);
	if (xint) {
		rt->mult = ir_xcalloc(1, sizeof *rt->mult);
		rt->shift = ir_xcalloc(1, sizeof *rt->shift);
		ir_quantize_multiplier((double)x->q.scale[0] / (double)o->q.scale[0], rt->mult, rt->shift);
	}
	return 0;
}

static int check_node(Interp *in, int ni, Diag *d)
{
	Graph *g = in->g;
	const Node *n = &g->nodes[ni];
	NodeRt *rt = &in->rt[ni];
	const Value *x = &g->vals[n->in[0]], *o = &g->vals[n->out];
	const char *op = ir_ops[n->op].name;

	switch (x->dt) {
	case DT_F32: rt->prec = P_F32; break;
	case DT_I8: rt->prec = P_S8; break;
	case DT_I16: rt->prec = P_S16; break;
	default: return BAD("%s: the interpreter has no kernel for %s input", op, ir_dtype_name(x->dt));
	}
	switch (n->op) {
	case OP_CONV2D:
		if (n->nin < 2 || check_geom(g, n, d))
			return -1;
		return check_weighted(g, n, rt, d);
	case OP_DENSE:
		if (n->nin < 2 || check_dense(g, n, d))
			return -1;
		return check_weighted(g, n, rt, d);
	case OP_MAXPOOL2D:
		if (check_geom(g, n, d))
			return -1;
		break;
	case OP_RELU:
	case OP_FLATTEN:
	case OP_RESHAPE:
		if (ir_shape_numel(&o->shape) != ir_shape_numel(&x->shape))
			return BAD("%s: result and input differ in size", op);
		break;
	case OP_ADD:
	case OP_SUB:
	case OP_MUL:
	case OP_DIV:
	case OP_CONCAT:
		return ir_interp_check_eltwise(g, n, d);
	case OP_AVGPOOL2D:
	case OP_GLOBAL_AVGPOOL:
	case OP_PAD:
	case OP_TRANSPOSE:
		if (interp_check_pool(g, n, d))
			return -1;
		break;
	case OP_CLIP:
	case OP_LEAKY_RELU:
	case OP_SIGMOID:
	case OP_TANH:
	case OP_HARD_SIGMOID:
	case OP_HARD_SWISH:
	case OP_SOFTMAX:
		return ir_interp_check_act(g, n, d);
	case OP_QUANTIZE:
	case OP_DEQUANTIZE:
		return check_convert(n, rt, x, o, d);
	default:
		return BAD("%s: the interpreter has no kernel for it", op);
	}
	/* the rest keep their input's storage type and quantization */
	if (o->dt != x->dt)
		return BAD("%s: result type %s differs from the input's %s", op,
		           ir_dtype_name(o->dt), ir_dtype_name(x->dt));
	if (rt->prec != P_F32 && n->op != OP_FLATTEN && n->op != OP_RESHAPE && !per_tensor_q(x))
		return BAD("%s: quantized input '%s' needs per-tensor parameters", op, x->name);
	if (rt->prec != P_F32 && (x->q.present || o->q.present) && !same_q(&x->q, &o->q))
		return BAD("%s: result '%s' must keep the quantization of '%s'", op, o->name, x->name);
	return 0;
}

#undef BAD

/* conv2d weights [OC][C/G][KH][KW] as [G][C/G][KH][KW][OC/G]: the kernels
 * run the output channels of a group in the innermost loop. */
static void *transpose_weights(const Graph *g, const Node *n)
{
	const Value *w = &g->vals[n->in[1]];
	const int64_t OC = w->shape.d[0], icg = w->shape.d[1], KH = w->shape.d[2], KW = w->shape.d[3];
	const int64_t ocg = OC / n->a.groups, taps = icg * KH * KW;
	const size_t es = (size_t)ir_dtype_size(w->dt);
	const unsigned char *src = w->data;
	unsigned char *dst = ir_xmalloc((size_t)(OC * taps) * es);

	for (int64_t oc = 0; oc < OC; oc++)
		for (int64_t t = 0; t < taps; t++) {
			int64_t grp = oc / ocg, j = oc % ocg;
			memcpy(dst + ((grp * taps + t) * ocg + j) * es, src + (oc * taps + t) * es, es);
		}
	return dst;
}

/* ---- the interface --------------------------------------------------------- */

void ir_interp_free(Interp *in)
{
	if (!in)
		return;
	for (int v = 0; v < in->g->nval; v++)
		if (in->g->vals[v].kind != VK_CONST)
			free(in->buf[v]);
	for (int n = 0; n < in->g->nnode; n++) {
		free(in->rt[n].mult);
		free(in->rt[n].shift);
		free(in->rt[n].fm);
		free(in->rt[n].wt);
		free(in->rt[n].pre);
	}
	free(in->buf);
	free(in->rt);
	free(in->acc);
	free(in);
}

Interp *ir_interp_new(Graph *g, Diag *d)
{
	Interp *in = ir_xcalloc(1, sizeof *in);
	int64_t accbytes = 0;
	int bad = 0;

	in->g = g;
	in->buf = ir_xcalloc((size_t)g->nval, sizeof *in->buf);
	in->rt = ir_xcalloc((size_t)g->nnode, sizeof *in->rt);
	for (int v = 0; v < g->nval; v++) {
		Value *val = &g->vals[v];
		if (!val->has_type) {
			diag_error(d, val->loc, "'%s' has no type (run infer-shapes first)", val->name);
			bad = 1;
		} else if (val->kind == VK_CONST && !val->data) {
			diag_error(d, val->loc, "constant '%s' has no data", val->name);
			bad = 1;
		} else if (val->q.present && (val->dt == DT_I8 || val->dt == DT_I16) &&
		           (val->q.zp < ir_qmin(val->dt) || val->q.zp > ir_qmax(val->dt))) {
			diag_error(d, val->loc, "'%s': zero point %d outside %s", val->name,
			           (int)val->q.zp, ir_dtype_name(val->dt));
			bad = 1;
		}
	}
	if (bad || ir_check_requant_float(g, d)) {
		ir_interp_free(in);
		return NULL;
	}
	for (int v = 0; v < g->nval; v++)
		in->buf[v] = g->vals[v].kind == VK_CONST ? g->vals[v].data
		           : ir_xcalloc(1, (size_t)ir_value_bytes(&g->vals[v]));
	for (int i = 0; i < g->nnode; i++) {
		const Node *n = &g->nodes[i];
		if (n->op == OP_NONE)
			continue;
		if (check_node(in, i, d)) {
			bad = 1;
			continue;
		}
		if (n->op == OP_CONV2D) {
			int64_t b = g->vals[n->out].shape.d[1] * 12; /* conv2d_s16's two sums */
			if (b > accbytes)
				accbytes = b;
			in->rt[i].wt = transpose_weights(g, n);
			if (ir_has_pool(n)) {
				ConvPool p;
				const Value *o = &g->vals[n->out];
				ir_conv_pool(g, n, &p);
				in->rt[i].pre = ir_xmalloc((size_t)(o->shape.d[0] * o->shape.d[1] * p.ch *
				                           p.cw * ir_dtype_size(o->dt)));
			}
		}
	}
	if (bad) {
		ir_interp_free(in);
		return NULL;
	}
	in->acc = ir_xmalloc((size_t)accbytes);
	return in;
}

int ir_interp_check(Graph *g, Diag *d)
{
	Interp *in = ir_xcalloc(1, sizeof *in);
	int before = d->nerrors;

	in->g = g;
	in->buf = ir_xcalloc((size_t)g->nval + 1, sizeof *in->buf);
	in->rt = ir_xcalloc((size_t)g->nnode + 1, sizeof *in->rt);
	if (!ir_check_requant_float(g, d))
		for (int i = 0; i < g->nnode; i++)
			if (g->nodes[i].op != OP_NONE)
				check_node(in, i, d);
	ir_interp_free(in);
	return d->nerrors - before;
}

void ir_interp_set_hook(Interp *in, InterpHook fn, void *ctx)
{
	in->hook = fn;
	in->ctx = ctx;
}

/* Runs the nodes on inputs already in place. */
static void run_nodes(Interp *in)
{
	const Graph *g = in->g;

	if (in->hook)
		for (int i = 0; i < g->ninput; i++)
			in->hook(in->ctx, g, g->inputs[i], in->buf[g->inputs[i]]);
	for (int i = 0; i < g->nnode; i++) {
		if (g->nodes[i].op == OP_NONE)
			continue;
		run_node(in, i);
		if (in->hook)
			in->hook(in->ctx, g, g->nodes[i].out, in->buf[g->nodes[i].out]);
	}
}

int ir_interp_run(Interp *in, const void *const *inputs, void *const *outputs)
{
	const Graph *g = in->g;

	for (int i = 0; i < g->ninput; i++) {
		int v = g->inputs[i];
		memcpy(in->buf[v], inputs[i], (size_t)ir_value_bytes(&g->vals[v]));
	}
	run_nodes(in);
	for (int i = 0; i < g->noutput; i++) {
		int v = g->outputs[i];
		memcpy(outputs[i], in->buf[v], (size_t)ir_value_bytes(&g->vals[v]));
	}
	return 0;
}

/* Returns -1 if an input or output has a storage type the float edge does not
 * convert (anything but f32, i8, i16). */
int ir_interp_run_f32(Interp *in, const float *const *inputs, float *const *outputs)
{
	const Graph *g = in->g;

	for (int i = 0; i < g->ninput; i++) {
		const Value *v = &g->vals[g->inputs[i]];
		void *b = in->buf[g->inputs[i]];
		uint32_t cnt = (uint32_t)ir_shape_numel(&v->shape);
		if (v->dt == DT_F32)
			memcpy(b, inputs[i], (size_t)cnt * sizeof(float));
		else if (v->dt == DT_I8 && per_tensor_q(v) && g->requant_float)
			qrt_quantize_s8_even(inputs[i], b, cnt, v->q.scale[0], v->q.zp);
		else if (v->dt == DT_I8 && per_tensor_q(v))
			qrt_quantize_s8(inputs[i], b, cnt, v->q.scale[0], v->q.zp);
		else if (v->dt == DT_I16 && per_tensor_q(v))
			qrt_quantize_s16(inputs[i], b, cnt, v->q.scale[0], v->q.zp);
		else
			return -1;
	}
	for (int i = 0; i < g->noutput; i++) {
		const Value *v = &g->vals[g->outputs[i]];
		if (!(v->dt == DT_F32 || ((v->dt == DT_I8 || v->dt == DT_I16) && per_tensor_q(v))))
			return -1;
	}
	run_nodes(in);
	for (int i = 0; i < g->noutput; i++) {
		const Value *v = &g->vals[g->outputs[i]];
		const void *b = in->buf[g->outputs[i]];
		uint32_t cnt = (uint32_t)ir_shape_numel(&v->shape);
		if (v->dt == DT_F32)
			memcpy(outputs[i], b, (size_t)cnt * sizeof(float));
		else if (v->dt == DT_I8)
			qrt_dequantize_s8(b, outputs[i], cnt, v->q.scale[0], v->q.zp);
		else
			qrt_dequantize_s16(b, outputs[i], cnt, v->q.scale[0], v->q.zp);
	}
	return 0;
}

const void *ir_interp_value(Interp *in, int v)
{
	return in->buf[v];
}
