/* act.c — exp, sigmoid and tanh in float for the f32 kernels of sigmoid,
 * tanh and softmax; TFLite's int16 LOGISTIC and TANH (their fixed table and
 * one element each, at the end).  The generated code calls these (docs/abi.md: no
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

/* ---- TFLite's int16 LOGISTIC and TANH -------------------------------------- */

/* sigmoid(i / 24) in 0.16 fixed point, i = 0..255: the 256 values of
 * TFLite's sigmoid_table_uint16, which its int16 LOGISTIC and TANH
 * interpolate (each within one of round(65536 sigmoid(i / 24)), 65535 for
 * the last).  They are data, not a formula: tests/unit/test_act16.c checks
 * the bound and the values that pin them. */
const uint16_t qrt_sigmoid_u16[256] = {
        32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794,
        41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369, 47911, 48443,
        48964, 49475, 49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169, 53581, 53983, 54374,
        54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433, 57724, 58007, 58280, 58544,
        58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110, 61279,
        61441, 61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886, 62990,
        63090, 63186, 63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835, 63903, 63968, 64030,
        64090, 64148, 64204, 64257, 64308, 64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652,
        64687, 64721, 64754, 64786, 64816, 64845, 64873, 64900, 64926, 64950, 64974, 64997, 65019,
        65039, 65060, 65079, 65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234,
        65246, 65258, 65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360,
        65367, 65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433,
        65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474, 65476,
        65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498, 65500, 65501,
        65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513, 65514, 65515, 65516,
        65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524,
        65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529, 65529,
        65529, 65530, 65530, 65530, 65530, 65531, 65531, 65531, 65531, 65531, 65532, 65532, 65532,
        65532, 65532, 65532, 65533, 65533, 65533, 65533, 65533, 65533, 65533, 65533, 65534, 65534,
        65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65535,
};

/* v = (x * mult + round) >> shift, TFLite's rescaling of the input to
 * steps of 1/(3 * 4096), in 64 bits: TFLite's int32 product is the same
 * wherever it does not overflow (mult < 2^16, |x| <= 2^15). */
static int64_t act16_in(int32_t x, int32_t mult, int32_t shift)
{
	int64_t r = shift > 0 ? (int64_t)1 << (shift - 1) : 0;
	int64_t p = (int64_t)x * mult + r;
	/* a floor shift of a non-negative number: |p| < 2^63 - 2^62 */
	return p >= 0 ? p >> shift : -((-p + ((int64_t)1 << shift) - 1) >> shift);
}

int16_t qrt_logistic_s16(int32_t x, int32_t mult, int32_t shift)
{
	int64_t v = act16_in(x, mult, shift);
	uint64_t a = v < 0 ? (uint64_t)-v : (uint64_t)v;
	uint32_t r;

	if (a >= 255u << 9) {
		r = 0x7fffu << 10; /* saturated */
	} else { /* a / 2^9 in steps of 1/24, interpolated on the low 9 bits */
		uint32_t uh = (uint32_t)a >> 9, ua = qrt_sigmoid_u16[uh];
		uint32_t ub = qrt_sigmoid_u16[uh + 1];
		r = (ua << 9) + ((uint32_t)a & 0x1ff) * (ub - ua);
	}
	/* sigmoid(-x) = 1 - sigmoid(x); 0.25 fixed point back to Q15, rounded */
	r = v >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1;
	return (int16_t)(r >> 10);
}

int16_t qrt_tanh_s16(int32_t x, int32_t mult, int32_t shift)
{
	int64_t v = act16_in(x, mult, shift);
	uint64_t a = v < 0 ? (uint64_t)-v : (uint64_t)v;
	int32_t r;

	if (a >= 255u << 8) {
		r = 0xffff << 8; /* saturated */
	} else { /* tanh(x) = 2 sigmoid(2x) - 1: a / 2^8 in steps of 1/24 */
		uint32_t uh = (uint32_t)a >> 8, ua = qrt_sigmoid_u16[uh];
		uint32_t ub = qrt_sigmoid_u16[uh + 1];
		r = (int32_t)((ua << 8) + ((uint32_t)a & 0xff) * (ub - ua));
	}
	r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
	/* r >> 8 rounding down (r > -2^24): biased so the shift is unsigned */
	return (int16_t)((int32_t)((uint32_t)(r + (1 << 24)) >> 8) - (1 << 16));
}
