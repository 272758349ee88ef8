/* act.c — exp, sigmoid and tanh in float for the f32 kernels of sigmoid,
 * tanh and softmax.  The generated code calls these (docs/abi.md: no
 * libm) and the reference interpreter calls the same functions, so the two
 * agree bit for bit.  Plain float operations in a fixed order; within a few
 * ulps of the exact functions (tanh within 2^-23 absolute). */
#include "qrt.h"

/* 2^k for k in [-126, 127], built from its bits. */
static float pow2i(int32_t k)
{
	union {
		uint32_t u;
		float f;
	} v;
	v.u = (uint32_t)(k + 127) << 23;
	return v.f;
}

/* exp(x) = 2^k * exp(r), x = k ln2 + r, |r| <= ln2/2 (Cody and Waite's
 * two-part ln2 keeps r exact enough), exp(r) by its degree-7 Taylor
 * polynomial in Horner form. */
float qrt_expf(float x)
{
	const float ln2_hi = 0.693145752f, ln2_lo = 1.42860677e-06f;
	float kf, r, p;
	int32_t k, k1;

	if (x != x)
		return x;
	if (x > 88.8f)
		return pow2i(127) * 2.0f; /* overflows to +inf */
	if (x < -104.0f)
		return 0.0f;
	kf = x * 1.44269504f;
	k = (int32_t)(kf < 0.0f ? kf - 0.5f : kf + 0.5f);
	r = (x - (float)k * ln2_hi) - (float)k * ln2_lo;
	p = 1.0f / 5040.0f;
	p = p * r + 1.0f / 720.0f;
	p = p * r + 1.0f / 120.0f;
	p = p * r + 1.0f / 24.0f;
	p = p * r + 1.0f / 6.0f;
	p = p * r + 0.5f;
	p = p * r + 1.0f;
	p = p * r + 1.0f;
	/* two factors keep each power of two normal down to 2^-150 */
	k1 = k / 2;
	return p * pow2i(k1) * pow2i(k - k1);
}

float qrt_sigmoidf(float x)
{
	return 1.0f / (1.0f + qrt_expf(-x));
}

/* tanh |x| = 1 - 2 / (exp(2|x|) + 1), saturated to 1 past 9 (where the
 * formula is 1 in float anyway); the sign restored. */
float qrt_tanhf(float x)
{
	float a = x < 0.0f ? -x : x, t;

	if (a > 9.0f)
		t = 1.0f;
	else
		t = 1.0f - 2.0f / (qrt_expf(2.0f * a) + 1.0f);
	return x < 0.0f ? -t : t;
}
