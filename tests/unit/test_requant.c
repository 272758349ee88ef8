/* test_requant.c — the fixed-point arithmetic of ir/quant.c (DESIGN section
 * 5) against independent formulations: exact 128-bit integer arithmetic for
 * SRDHM, RDBPOT and MultiplyByQuantizedMultiplier, and double arithmetic for
 * QuantizeMultiplier and the choice of quantization parameters. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "ir.h"
#include "qrt.h"

typedef __int128 i128;

static int nfail, npass;

static void check(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	if (ok)
		npass++;
	else
		nfail++;
}

/* A reproducible 64-bit generator (splitmix64). */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* An int32 with every magnitude equally likely (small values matter most). */
static int32_t rnd_i32(void)
{
	int bits = (int)(rnd() % 32);
	int64_t v = (int64_t)(rnd() & (((uint64_t)1 << bits) - 1));
	if (bits == 31 && (rnd() & 1))
		return INT32_MIN;
	return (int32_t)(rnd() & 1 ? -v : v);
}

/* floor(a / 2^e) for any sign, exactly. */
static i128 floor_pot(i128 a, int e)
{
	i128 d = (i128)1 << e;
	i128 q = a / d;
	if (a % d != 0 && a < 0)
		q--;
	return q;
}

/* SRDHM as a real formula: round(a*b / 2^31) with ties toward +infinity,
 * saturated (only INT32_MIN * INT32_MIN overflows). */
static int32_t ref_srdhm(int32_t a, int32_t b)
{
	i128 r = floor_pot((i128)a * b + ((i128)1 << 30), 31);
	return r > INT32_MAX ? INT32_MAX : (int32_t)r;
}

/* RDBPOT as a real formula: x / 2^e rounded half away from zero. */
static int32_t ref_rdbpot(int32_t x, int e)
{
	i128 m = x < 0 ? -(i128)x : (i128)x;
	i128 r = e ? (m + ((i128)1 << (e - 1))) >> e : m;
	return (int32_t)(x < 0 ? -r : r);
}

/* MBQM: saturating left shift, then the two roundings. */
static int32_t ref_mbqm(int32_t x, int32_t mult, int shift)
{
	i128 v = (i128)x * ((i128)1 << (shift > 0 ? shift : 0));
	if (v > INT32_MAX)
		v = INT32_MAX;
	if (v < INT32_MIN)
		v = INT32_MIN;
	return ref_rdbpot(ref_srdhm((int32_t)v, mult), shift > 0 ? 0 : -shift);
}

/* x * mult * 2^(shift - 31) rounded to nearest, exactly. */
static i128 ref_single_round(int32_t x, int32_t mult, int shift)
{
	i128 p = (i128)x * mult;
	int e = 31 - shift;
	if (e <= 0)
		return p * ((i128)1 << -e);
	return floor_pot(p + ((i128)1 << (e - 1)), e);
}

static void test_srdhm(void)
{
	int ok;

	check(ir_srdhm(INT32_MIN, INT32_MIN) == INT32_MAX,
	      "srdhm(INT32_MIN, INT32_MIN) saturates to INT32_MAX");
	check(ir_srdhm(INT32_MIN, INT32_MAX) == -INT32_MAX,
	      "srdhm(INT32_MIN, INT32_MAX) = -INT32_MAX");
	check(ir_srdhm(INT32_MAX, INT32_MAX) == INT32_MAX - 1,
	      "srdhm(INT32_MAX, INT32_MAX) = INT32_MAX - 1");
	/* a*b = +-2^30 is exactly half of the output unit */
	check(ir_srdhm(1 << 15, 1 << 15) == 1, "srdhm rounds the tie +0.5 up to 1");
	check(ir_srdhm(-(1 << 15), 1 << 15) == 0, "srdhm rounds the tie -0.5 up to 0");
	check(ir_srdhm(-(3 << 15), 1 << 15) == -1, "srdhm rounds the tie -1.5 up to -1");
	check(ir_srdhm(3 << 15, 1 << 15) == 2, "srdhm rounds the tie +1.5 up to 2");
	check(ir_srdhm((1 << 15) + 1, 1 << 15) == 1 && ir_srdhm(-(1 << 15) - 1, 1 << 15) == -1,
	      "srdhm just past a tie rounds away from zero");
	check(ir_srdhm(-5, 1 << 30) == -2 && ir_srdhm(5, 1 << 30) == 3,
	      "srdhm(+-5, 2^30) = 3 / -2 (2.5 and -2.5 both round up)");
	ok = 1;
	for (int i = 0; i < 1000000 && ok; i++) {
		int32_t a = rnd_i32(), b = rnd_i32();
		ok = ir_srdhm(a, b) == ref_srdhm(a, b);
		if (!ok)
			printf("  srdhm(%d, %d) = %d, expected %d\n", (int)a, (int)b,
			       (int)ir_srdhm(a, b), (int)ref_srdhm(a, b));
	}
	check(ok, "srdhm equals floor(a*b/2^31 + 1/2) on 10^6 random pairs (128-bit reference)");
}

static void test_rdbpot(void)
{
	int ok;

	check(ir_rdbpot(-3, 1) == -2 && ir_rdbpot(3, 1) == 2,
	      "rdbpot(+-3, 1) = +-2 (ties away from zero)");
	check(ir_rdbpot(-1, 1) == -1 && ir_rdbpot(1, 1) == 1, "rdbpot(+-1, 1) = +-1");
	check(ir_rdbpot(-5, 2) == -1 && ir_rdbpot(5, 2) == 1, "rdbpot(+-5, 2) = +-1 (1.25)");
	check(ir_rdbpot(-6, 2) == -2 && ir_rdbpot(6, 2) == 2, "rdbpot(+-6, 2) = +-2 (tie 1.5)");
	check(ir_rdbpot(-7, 2) == -2 && ir_rdbpot(7, 2) == 2, "rdbpot(+-7, 2) = +-2 (1.75)");
	check(ir_rdbpot(12345, 0) == 12345 && ir_rdbpot(INT32_MIN, 0) == INT32_MIN &&
	              ir_rdbpot(INT32_MAX, 0) == INT32_MAX,
	      "rdbpot with exponent 0 is the identity");
	check(ir_rdbpot(INT32_MIN, 31) == -1 && ir_rdbpot(INT32_MAX, 31) == 1 &&
	              ir_rdbpot(1 << 30, 31) == 1 && ir_rdbpot(-(1 << 30), 31) == -1 &&
	              ir_rdbpot((1 << 30) - 1, 31) == 0 && ir_rdbpot(-(1 << 30) + 1, 31) == 0,
	      "rdbpot with exponent 31 (extremes and the +-0.5 ties)");
	ok = 1;
	for (int i = 0; i < 1000000 && ok; i++) {
		int32_t x = rnd_i32();
		int e = (int)(rnd() % 32);
		ok = ir_rdbpot(x, e) == ref_rdbpot(x, e);
		if (!ok)
			printf("  rdbpot(%d, %d) = %d, expected %d\n", (int)x, e,
			       (int)ir_rdbpot(x, e), (int)ref_rdbpot(x, e));
	}
	check(ok, "rdbpot equals round-half-away(x / 2^e) on 10^6 random pairs");
}

static void test_mbqm(void)
{
	int ok, ok2, ok3;

	check(ir_mbqm(100, 1 << 30, 0) == 50, "mbqm(100, 2^30, 0) = 50 (M = 0.5)");
	check(ir_mbqm(-3, 1 << 30, 0) == -1, "mbqm(-3, 2^30, 0): -1.5 -> srdhm rounds up to -1");
	check(ir_mbqm(-3, 1 << 30, -1) == -1,
	      "mbqm(-3, 2^30, -1) = -1 (double rounding: -1.5 -> -1 -> -0.5 -> -1)");
	check(ir_mbqm(5, 1 << 30, -1) == 2,
	      "mbqm(5, 2^30, -1) = 2: double rounding 2.5 -> 3 -> 1.5 -> 2 (x*M = 1.25)");
	check(ir_mbqm(7, 1 << 30, 2) == 14, "mbqm(7, 2^30, 2) = 14 (left shift, M = 2)");
	check(ir_mbqm(INT32_MAX, 1 << 30, 1) == 1 << 30,
	      "mbqm left shift saturates: INT32_MAX << 1 -> INT32_MAX, then * 0.5");
	check(ir_mbqm(INT32_MIN, INT32_MAX, 30) == -INT32_MAX,
	      "mbqm left shift saturates negatively: INT32_MIN << 30 -> INT32_MIN");
	check(ir_mbqm(1 << 20, INT32_MAX, 30) == INT32_MAX - 1,
	      "mbqm with shift 30 saturates large inputs (then srdhm(MAX, MAX))");
	check(ir_mbqm(INT32_MAX, 1 << 30, -31) == 1 && ir_mbqm(INT32_MIN, 1 << 30, -31) == -1 &&
	              ir_mbqm(INT32_MIN, INT32_MAX, -31) == -1 &&
	              ir_mbqm(1 << 29, 1 << 30, -31) == 0,
	      "mbqm with shift -31 (the largest right shift)");
	check(ir_mbqm(123456, 0, 0) == 0 && ir_mbqm(-123456, 0, -31) == 0,
	      "mbqm with multiplier 0 gives 0");
	ok = ok2 = ok3 = 1;
	for (int i = 0; i < 1000000 && ok && ok2 && ok3; i++) {
		int32_t x = rnd_i32();
		int32_t mult = (int32_t)((1u << 30) + (uint32_t)(rnd() % (1u << 30)));
		int shift = (int)(rnd() % 62) - 31;
		int32_t got = ir_mbqm(x, mult, shift);
		int32_t r = ref_mbqm(x, mult, shift);
		ok = got == r;
		ok2 = got == qrt_requantize(x, mult, shift);
		if (!ok)
			printf("  mbqm(%d, %d, %d) = %d, expected %d\n", (int)x, (int)mult, shift,
			       (int)got, (int)r);
		/* where nothing saturates, double rounding is within 1 of rounding once */
		i128 single = ref_single_round(x, mult, shift);
		if (single > INT32_MIN + 1 && single < INT32_MAX - 1 &&
		    (i128)x * ((i128)1 << (shift > 0 ? shift : 0)) <= INT32_MAX &&
		    (i128)x * ((i128)1 << (shift > 0 ? shift : 0)) >= INT32_MIN) {
			i128 diff = (i128)got - single;
			ok3 = diff >= -1 && diff <= 1;
			if (!ok3)
				printf("  mbqm(%d, %d, %d) = %d, x*M rounds to %lld\n", (int)x,
				       (int)mult, shift, (int)got, (long long)single);
		}
	}
	check(ok,
	      "mbqm equals rdbpot(srdhm(sat(x << left), m), right) on 10^6 random triples (128-bit reference)");
	check(ok2, "ir_mbqm equals the runtime's qrt_requantize on the same triples");
	check(ok3, "mbqm is within 1 of round(x * M) wherever nothing saturates");
}

/* TFLite's int64 MultiplyByQuantizedMultiplier, written out in 128 bits. */
static int32_t ref_mbqm64(int64_t x, int32_t mult, int shift)
{
	i128 rm = mult < 0x7FFF0000 ? ((i128)mult + (1 << 15)) >> 16 : 0x7FFF;
	i128 lim = (i128)1 << 47, xs = x, r;
	int t = 15 - shift;
	if (xs < -lim)
		xs = -lim;
	if (xs >= lim)
		xs = lim - 1;
	r = t > 0 ? floor_pot(xs * rm + ((i128)1 << (t - 1)), t) : xs * rm * ((i128)1 << -t);
	return r > INT32_MAX ? INT32_MAX : r < INT32_MIN ? INT32_MIN : (int32_t)r;
}

static void test_mbqm64(void)
{
	int ok = 1;

	check(ir_mbqm64(1000, 1 << 30, 0) == 500, "mbqm64(1000, 2^30, 0) = 500");
	check(ir_mbqm64(-3, 1 << 30, 0) == -1 && ir_mbqm64(3, 1 << 30, 0) == 2,
	      "mbqm64 rounds ties up (-1.5 -> -1, 1.5 -> 2), as TFLite's 16x8 kernels");
	check(ir_mbqm64((int64_t)1 << 40, 1 << 30, 0) == INT32_MAX &&
	              ir_mbqm64(-((int64_t)1 << 40), 1 << 30, 0) == INT32_MIN,
	      "mbqm64 saturates the result to int32");
	check(ir_mbqm64(INT64_MAX, 1 << 30, -31) == 32768 &&
	              ir_mbqm64(INT64_MIN, 1 << 30, -31) == -32768,
	      "mbqm64 saturates x to [-2^47, 2^47) before scaling");
	check(ir_mbqm64(3, 1 << 30, 20) == 3 << 19,
	      "mbqm64 with shift > 14 is an exact left shift");
	check(ir_mbqm64(0x7FFFFFFF, 0x7FFFFFFF, 0) == 2147418111,
	      "mbqm64 reduces a multiplier >= 0x7FFF0000 to 0x7FFF");
	for (int i = 0; i < 1000000 && ok; i++) {
		int64_t x = (int64_t)(rnd() >> (rnd() % 64)) * (rnd() & 1 ? -1 : 1);
		int32_t mult = (int32_t)((1u << 30) + (uint32_t)(rnd() % (1u << 30)));
		int shift = (int)(rnd() % 62) - 31;
		ok = ir_mbqm64(x, mult, shift) == ref_mbqm64(x, mult, shift);
		if (!ok)
			printf("  mbqm64(%lld, %d, %d) = %d, expected %d\n", (long long)x,
			       (int)mult, shift, (int)ir_mbqm64(x, mult, shift),
			       (int)ref_mbqm64(x, mult, shift));
	}
	check(ok, "mbqm64 equals TFLite's formula on 10^6 random triples (128-bit reference)");
}

static int qm_is(double m, int32_t want_mult, int want_shift)
{
	int32_t mult;
	int shift;
	ir_quantize_multiplier(m, &mult, &shift);
	if (mult != want_mult || shift != want_shift)
		printf("  quantize_multiplier(%.17g) = (%d, %d), expected (%d, %d)\n", m, (int)mult,
		       shift, (int)want_mult, want_shift);
	return mult == want_mult && shift == want_shift;
}

static void test_quantize_multiplier(void)
{
	int ok = 1;

	check(qm_is(0.0, 0, 0), "quantize_multiplier(0) = (0, 0)");
	check(qm_is(ldexp(1, -33), 0, 0) && qm_is(ldexp(1.9, -34), 0, 0),
	      "quantize_multiplier below 2^-32 flushes to (0, 0)");
	check(qm_is(ldexp(1, -32), 1 << 30, -31),
	      "quantize_multiplier(2^-32) = (2^30, -31), the smallest kept");
	check(qm_is(0.5, 1 << 30, 0), "quantize_multiplier(0.5) = (2^30, 0)");
	check(qm_is(1.0, 1 << 30, 1), "quantize_multiplier(1.0) = (2^30, 1)");
	check(qm_is(1.5, 1610612736, 1), "quantize_multiplier(1.5) = (3*2^29, 1)");
	check(qm_is(1.0 - ldexp(1, -40), 1 << 30, 1) && qm_is(0.5 - ldexp(1, -41), 1 << 30, 0),
	      "quantize_multiplier: q rounding up to 2^31 becomes (2^30, shift + 1)");
	check(qm_is(1.0 - ldexp(1, -31), 2147483647, 0),
	      "quantize_multiplier(1 - 2^-31) = (2^31 - 1, 0), no carry");
	check(qm_is(ldexp(1, 31), 2147483647, 30) && qm_is(1e30, 2147483647, 30),
	      "quantize_multiplier saturates above 2^30 to (2^31 - 1, 30)");
	check(qm_is(ldexp(0.75, 30), 1610612736, 30),
	      "quantize_multiplier(0.75 * 2^30) = (3*2^29, 30)");
	/* 2^-31 * (2^30 + 0.5) is a tie in the last bit: rounds away from zero */
	check(qm_is(ldexp((1 << 30) + 0.5, -31), (1 << 30) + 1, 0),
	      "quantize_multiplier rounds a half-unit tie away from zero");
	for (int i = 0; i < 100000 && ok; i++) {
		double m = ldexp((double)(rnd() >> 11) / 9007199254740992.0 + 0.5,
		                 (int)(rnd() % 50) - 30);
		int32_t mult;
		int shift;
		ir_quantize_multiplier(m, &mult, &shift);
		double back = ldexp((double)mult, shift - 31);
		ok = mult >= (1 << 30) && shift >= -31 && shift <= 30 &&
		     fabs(back - m) <= ldexp(m, -31) * 1.0000001;
		if (!ok)
			printf("  quantize_multiplier(%.17g) = (%d, %d) = %.17g\n", m, (int)mult,
			       shift, back);
	}
	check(ok,
	      "quantize_multiplier: mult in [2^30, 2^31) and mult*2^(shift-31) within 2^-31 relative of m (10^5 random m)");
}

static void test_qparams(void)
{
	float s;
	int32_t z;
	int ok = 1;

	ir_choose_qparams(0.0f, 6.0f, DT_I8, &s, &z);
	check(s == (float)(6.0 / 255) && z == -128, "choose_qparams i8 [0, 6] = (6/255, -128)");
	ir_choose_qparams(-6.0f, 0.0f, DT_I8, &s, &z);
	check(s == (float)(6.0 / 255) && z == 127, "choose_qparams i8 [-6, 0] = (6/255, 127)");
	ir_choose_qparams(-1.0f, 1.0f, DT_I8, &s, &z);
	check(s == (float)(2.0 / 255) && z == -1, "choose_qparams i8 [-1, 1] = (2/255, -1)");
	ir_choose_qparams(2.0f, 5.0f, DT_I8, &s, &z);
	check(s == (float)(5.0 / 255) && z == -128, "choose_qparams i8 [2, 5] widens to [0, 5]");
	ir_choose_qparams(-7.0f, -3.0f, DT_I8, &s, &z);
	check(s == (float)(7.0 / 255) && z == 127, "choose_qparams i8 [-7, -3] widens to [-7, 0]");
	ir_choose_qparams(0.0f, 0.0f, DT_I8, &s, &z);
	check(s == 1.0f && z == 0, "choose_qparams i8 [0, 0] = (1, 0) (documented choice)");
	ir_choose_qparams(0.0f, 0.0f, DT_I16, &s, &z);
	check(s == 1.0f && z == 0, "choose_qparams i16 [0, 0] = (1, 0)");
	ir_choose_qparams(0.0f, 1e-44f, DT_I8, &s, &z);
	check(s == FLT_MIN && z == -128, "choose_qparams: an underflowing scale becomes FLT_MIN");
	ir_choose_qparams(NAN, INFINITY, DT_I8, &s, &z);
	check(isfinite(s) && s > 0 && z == -128,
	      "choose_qparams: NaN low and infinite high give a finite scale");
	ir_choose_qparams(-INFINITY, INFINITY, DT_I8, &s, &z);
	check(isfinite(s) && s > 0 && z >= -128 && z <= 127,
	      "choose_qparams: (-inf, inf) gives a finite scale");
	ir_choose_qparams(-3.0f, 2.0f, DT_I16, &s, &z);
	check(s == (float)(3.0 / 32767) && z == 0,
	      "choose_qparams i16 [-3, 2] = (3/32767, 0), symmetric");
	ir_choose_qparams(-1.0f, 4.0f, DT_I16, &s, &z);
	check(s == (float)(4.0 / 32767) && z == 0, "choose_qparams i16 [-1, 4] = (4/32767, 0)");
	for (int i = 0; i < 100000 && ok; i++) {
		float lo = -(float)ldexp((double)(rnd() % 1000000), (int)(rnd() % 40) - 40);
		float hi = (float)ldexp((double)(rnd() % 1000000), (int)(rnd() % 40) - 40);
		DType dt = rnd() & 1 ? DT_I8 : DT_I16;
		float back0;
		int32_t q0, qlo, qhi;
		int8_t q8 = 0;
		if (rnd() % 4 == 0)
			lo = 0;
		ir_choose_qparams(lo, hi, dt, &s, &z);
		q0 = ir_quantize_value(0.0f, s, z, dt);
		if (dt == DT_I8) {
			q8 = (int8_t)z;
			qrt_dequantize_s8(&q8, &back0, 1, s, z);
		} else {
			int16_t q16 = (int16_t)z;
			qrt_dequantize_s16(&q16, &back0, 1, s, z);
		}
		qlo = ir_quantize_value(lo, s, z, dt);
		qhi = ir_quantize_value(hi, s, z, dt);
		ok = s > 0 && isfinite(s) && z >= ir_qmin(dt) && z <= ir_qmax(dt) && q0 == z &&
		     back0 == 0.0f &&
		     (dt == DT_I16 || ((lo == 0 || qlo <= ir_qmin(dt) + 1) &&
		                       (hi == 0 || qhi >= ir_qmax(dt) - 1))) &&
		     (dt == DT_I8 || lo == hi || -qlo >= ir_qmax(dt) - 1 ||
		      qhi >= ir_qmax(dt) - 1) &&
		     (lo == hi || (double)(qhi - qlo) * s >= (double)(hi - lo) * 0.99);
		if (dt == DT_I16)
			ok = ok && z == 0;
		if (!ok)
			printf("  choose_qparams(%g, %g, %s) = (%g, %d): q(0) = %d, q(lo) = %d, q(hi) = %d\n",
			       (double)lo, (double)hi, ir_dtype_name(dt), (double)s, (int)z,
			       (int)q0, (int)qlo, (int)qhi);
	}
	check(ok,
	      "choose_qparams on 10^5 random ranges: 0.0 quantizes to zp, zp dequantizes to exactly 0, "
	      "lo and hi reach the ends of the integer range");
}

static void test_bounds(void)
{
	int32_t lo, hi;

	check(ir_qmin(DT_I8) == -128 && ir_qmax(DT_I8) == 127 && ir_qmin(DT_I16) == -32768 &&
	              ir_qmax(DT_I16) == 32767 && ir_qmin(DT_I32) == INT32_MIN &&
	              ir_qmax(DT_I32) == INT32_MAX,
	      "qmin/qmax of i8, i16, i32");
	ir_act_bounds(ACT_NONE, DT_I8, 0.1f, 3, &lo, &hi);
	check(lo == -128 && hi == 127, "act_bounds none i8 = [-128, 127]");
	ir_act_bounds(ACT_RELU, DT_I8, 0.1f, -5, &lo, &hi);
	check(lo == -5 && hi == 127, "act_bounds relu i8 zp -5 = [-5, 127]");
	ir_act_bounds(ACT_RELU, DT_I8, 0.1f, -128, &lo, &hi);
	check(lo == -128 && hi == 127, "act_bounds relu i8 zp -128 = [-128, 127]");
	ir_act_bounds(ACT_RELU6, DT_I8, 0.1f, 0, &lo, &hi);
	check(lo == 0 && hi == 60, "act_bounds relu6 i8 scale 0.1 zp 0 = [0, 60]");
	ir_act_bounds(ACT_RELU6, DT_I8, (float)(6.0 / 255), -128, &lo, &hi);
	check(lo == -128 && hi == 127, "act_bounds relu6 i8 scale 6/255 zp -128 = [-128, 127]");
	ir_act_bounds(ACT_RELU6, DT_I8, 0.01f, -128, &lo, &hi);
	check(lo == -128 && hi == 127, "act_bounds relu6 with 6 beyond the range clamps to qmax");
	ir_act_bounds(ACT_RELU6, DT_I8, 0.05f, 10, &lo, &hi);
	check(lo == 10 && hi == 127,
	      "act_bounds relu6 i8 scale 0.05 zp 10: 6.0 -> 130 clamps to 127");
	ir_act_bounds(ACT_RELU6, DT_I16, 0.001f, 0, &lo, &hi);
	check(lo == 0 && hi == 6000, "act_bounds relu6 i16 scale 0.001 = [0, 6000]");
	ir_act_bounds(ACT_NONE, DT_I16, 0.001f, 0, &lo, &hi);
	check(lo == -32768 && hi == 32767, "act_bounds none i16 = [-32768, 32767]");
	check(ir_quantize_value(0.25f, 0.5f, 3, DT_I8) == 4 &&
	              ir_quantize_value(-0.25f, 0.5f, 3, DT_I8) == 2,
	      "quantize_value rounds half away from zero");
	check(ir_quantize_value(NAN, 0.5f, 3, DT_I8) == 3, "quantize_value(NaN) = zp");
	check(ir_quantize_value(1e30f, 0.5f, 3, DT_I8) == 127 &&
	              ir_quantize_value(-INFINITY, 0.5f, 3, DT_I16) == -32768,
	      "quantize_value saturates to the storage range");
}

/* A weighted node's multipliers: per channel and per tensor. */
static void test_node_requant(void)
{
	Graph *g = ir_graph_new("rq");
	int x = ir_value_new(g, "x", VK_INPUT, loc_none());
	int w = ir_value_new(g, "w", VK_CONST, loc_none());
	int y = ir_value_new(g, "y", VK_TEMP, loc_none());
	int in[2] = {x, w};
	float ws[3] = {0.01f, 0.02f, 0.5f};
	int32_t mult[3];
	int shift[3], ok = 1;

	g->vals[w].has_type = 1;
	g->vals[w].dt = DT_I8;
	g->vals[w].shape = (Shape){2, {3, 4}};
	int n = ir_node_new(g, OP_DENSE, y, in, 2, loc_none());
	ir_set_qparams(g, x, 0.1f, 5);
	ir_set_qparams(g, y, 0.25f, -3);
	ir_set_qparams_axis(g, w, 0, 3, ws);
	ir_node_requant(g, &g->nodes[n], mult, shift);
	for (int c = 0; c < 3; c++) {
		int32_t m;
		int s;
		ir_quantize_multiplier((double)0.1f * (double)ws[c] / (double)0.25f, &m, &s);
		ok = ok && m == mult[c] && s == shift[c];
	}
	check(ok, "node_requant per channel: M[c] = s_in * s_w[c] / s_out, in double");
	ir_set_qparams(g, w, 0.02f, 0);
	ir_node_requant(g, &g->nodes[n], mult, shift);
	check(mult[0] == mult[2] && shift[0] == shift[2] && mult[0] == mult[1],
	      "node_requant per tensor: one multiplier for every channel");
	ir_graph_free(g);
}

int main(void)
{
	test_srdhm();
	test_rdbpot();
	test_mbqm();
	test_mbqm64();
	test_quantize_multiplier();
	test_qparams();
	test_bounds();
	test_node_requant();
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail ? 1 : 0;
}
