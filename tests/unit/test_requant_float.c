/* test_requant_float.c — the arithmetic of --requant float (docs/requant.md):
 * ir_requant_float and ir_requant_float_mult (the interpreter's, which the
 * backend's tgt_requant_float mirrors: tests/e2e/requant_float.sh compares
 * them on random models) and the runtime's qrt_quantize_s8_even, against
 * a plain reference written with libm's rintf (round half to even in the
 * default rounding mode), on chosen ties and on random values.
 * The backend side is compared in tests/e2e/requant_float.sh. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "ir.h"
#include "qrt.h"
#include "check.h"

static uint64_t state = 20261126;
static uint32_t rnd(void)
{
	state = state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(state >> 33);
}

/* onnxruntime's MlasRequantizeOutput, one value */
static int32_t ref_requant(int32_t acc, float m, int32_t zp, int32_t lo, int32_t hi)
{
	float v = (float)acc * m;
	v = fmaxf(v, (float)(lo - zp));
	v = fminf(v, (float)(hi - zp));
	return (int32_t)rintf(v) + zp;
}

/* onnxruntime's QuantizeLinear into int8, one value */
static int32_t ref_quantize(float x, float s, int32_t zp)
{
	float v = x / s;
	if (isnan(v))
		return -128;
	v = fmaxf(v, (float)(-128 - zp));
	v = fminf(v, (float)(127 - zp));
	return (int32_t)rintf(v) + zp;
}

static void test_ties(void)
{
	static const struct {
		int32_t acc;
		float m;
		int32_t want;
	} t[] = {
	        {3, 0.5f, 2},      {5, 0.5f, 2},        {7, 0.5f, 4},     {-3, 0.5f, -2},
	        {-5, 0.5f, -2},    {1, 0.5f, 0},        {-1, 0.5f, 0},    {9, 0.25f, 2},
	        {10, 0.25f, 2},    {-10, 0.25f, -2},    {253, 0.5f, 126}, {255, 0.5f, 127},
	        {1000, 1.0f, 127}, {-1000, 1.0f, -128},
	};
	int ok = 1;

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		int32_t r = ir_requant_float(t[i].acc, t[i].m, 0, -128, 127);
		if (r != t[i].want) {
			printf("  acc %d * %g: %d, expected %d\n", (int)t[i].acc, (double)t[i].m,
			       (int)r, (int)t[i].want);
			ok = 0;
		}
	}
	check(ok, "ir_requant_float: halves round to even, results saturate to int8");
	check(ir_requant_float(5, 0.5f, -128, -128, 127) == -126 &&
	              ir_requant_float(-7, 0.5f, -128, -128, 127) == -128 &&
	              ir_requant_float(600, 0.5f, -128, -128, 127) == 127,
	      "ir_requant_float: zero point -128 (relu) clamps at both ends, ties to even before + zp");
	check(ir_requant_float(3, 0.5f, 3, 3, 127) == 5 &&
	              ir_requant_float(-9, 1.0f, 3, 3, 127) == 3,
	      "ir_requant_float: a fused activation's bounds (lo = zp) clamp");
}

static void test_random(void)
{
	int bad = 0, n = 1000000;

	for (int i = 0; i < n; i++) {
		float s_in = ldexpf((float)(rnd() % 1000 + 1) / 1000.0f, -(int)(rnd() % 10));
		float s_w = ldexpf((float)(rnd() % 1000 + 1) / 1000.0f, -(int)(rnd() % 10));
		float s_out = ldexpf((float)(rnd() % 1000 + 1) / 1000.0f, -(int)(rnd() % 8));
		float m = ir_requant_float_mult(s_in, s_w, s_out);
		volatile float p = s_in * s_w; /* one float32 rounding, then the division's */
		int32_t acc = (int32_t)(rnd() % 2000001) - 1000000;
		int32_t zp = (int32_t)(rnd() % 256) - 128;
		if (i % 4 == 0)
			acc = (int32_t)(rnd() % 41) - 20, m = 0.5f; /* ties */
		if (i % 4 != 0 && m != p / s_out)
			bad++;
		else if (ir_requant_float(acc, m, zp, -128, 127) !=
		         ref_requant(acc, m, zp, -128, 127))
			bad++;
	}
	check(bad == 0,
	      "ir_requant_float_mult and ir_requant_float equal the float32 reference on "
	      "%d random cases (%d differ)",
	      n, bad);
}

static void test_quantize(void)
{
	float x[] = {2.5f,   -2.5f,   3.5f, 0.5f,     -0.5f,     1.5f, 127.5f,
	             300.0f, -300.0f, NAN,  INFINITY, -INFINITY, 0.0f};
	int8_t want[] = {2, -2, 4, 0, 0, 2, 127, 127, -128, -128, 127, -128, 0};
	int8_t q[13];
	int ok = 1, bad = 0, n = 1000000;

	qrt_quantize_s8_even(x, q, 13, 1.0f, 0);
	for (int i = 0; i < 13; i++)
		ok &= q[i] == want[i];
	check(ok, "qrt_quantize_s8_even: halves to even, saturation, NaN to -128");
	for (int i = 0; i < n; i++) {
		float s = ldexpf((float)(rnd() % 1000 + 1) / 1000.0f, -(int)(rnd() % 10));
		float v = ((float)(rnd() % 2000001) - 1000000.0f) / 1000000.0f;
		int32_t zp = (int32_t)(rnd() % 256) - 128;
		int8_t r;
		if (i % 4 == 0)
			v = s * ((float)(int32_t)(rnd() % 101 - 50) + 0.5f); /* near ties */
		qrt_quantize_s8_even(&v, &r, 1, s, zp);
		bad += r != ref_quantize(v, s, zp);
	}
	check(bad == 0,
	      "qrt_quantize_s8_even equals x / s rounded half to even on %d random values "
	      "(%d differ)",
	      n, bad);
}

int main(void)
{
	test_ties();
	test_random();
	test_quantize();
	return check_report();
}
