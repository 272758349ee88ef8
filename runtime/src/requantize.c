/* requantize.c — TFLite's fixed-point requantization (docs/requant.md),
 * for programs that post-process int8 outputs themselves.  Generated code
 * emits the same arithmetic inline. */
#include "qrt.h"

static int32_t srdhm(int32_t a, int32_t b)
{
	int64_t ab, nudge;

	if (a == b && a == INT32_MIN)
		return INT32_MAX;
	ab = (int64_t)a * (int64_t)b;
	nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
	/* division, not a shift: gemmlowp truncates toward zero */
	return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

static int32_t rdbpot(int32_t x, int exponent)
{
	int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
	int32_t remainder = x & mask;
	int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
	return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

int32_t qrt_requantize(int32_t acc, int32_t mult, int32_t shift)
{
	int left = shift > 0 ? shift : 0;
	int right = shift > 0 ? 0 : -shift;
	int64_t x = (int64_t)acc * ((int64_t)1 << left);

	/* TFLite leaves the left shift's overflow undefined; quantc saturates */
	if (x > INT32_MAX)
		x = INT32_MAX;
	if (x < INT32_MIN)
		x = INT32_MIN;
	return rdbpot(srdhm((int32_t)x, mult), right);
}

uint32_t qrt_argmax_s8(const int8_t *x, uint32_t n)
{
	uint32_t i, best = 0;
	for (i = 1; i < n; i++)
		if (x[i] > x[best])
			best = i;
	return best;
}

uint32_t qrt_argmax_f32(const float *x, uint32_t n)
{
	uint32_t i, best = 0;
	for (i = 1; i < n; i++)
		if (x[i] > x[best])
			best = i;
	return best;
}

const char *qrt_version(void)
{
	return "1.0.0";
}
