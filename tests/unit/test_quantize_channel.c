/* test_quantize_channel.c — pass_quantize_channel (passes/quantize.c), the
 * int8 weight scale of one output channel: max|w| / 127, 1 for an all-zero
 * channel, and never a zero or subnormal scale: a channel whose max|w| / 127
 * underflows float32 gets the smallest normal float (it used to get a
 * subnormal scale, or 0 for weights below about 1.8e-43, which the verifier
 * then refused as "invalid quantization parameters"). */
#include <float.h>
#include <math.h>

#include "check.h"
#include "passes.h"

static float channel(float v, int8_t *q)
{
	float w[4] = {v, -v / 2, v / 4, 0};
	return pass_quantize_channel(w, 4, q);
}

int main(void)
{
	int8_t q[4];
	float s;

	s = channel(0.5f, q);
	check(s == (float)(0.5 / 127.0) && q[0] == 127 && q[1] == -64,
	      "max|w| 0.5: scale 0.5/127 (%g), q[0] 127, q[1] -64 (got %d, %d)", (double)s, q[0],
	      q[1]);
	s = channel(0, q);
	check(s == 1.0f && q[0] == 0, "an all-zero channel: scale 1 (got %g)", (double)s);
	s = channel(127 * FLT_MIN, q);
	check(s == FLT_MIN && q[0] == 127,
	      "max|w| 127 x FLT_MIN: scale FLT_MIN exactly (got %g), q[0] 127 (got %d)", (double)s,
	      q[0]);
	const float tiny[] = {1e-37f, 1e-38f, 1e-40f, 1e-43f, 1e-45f};
	for (int i = 0; i < (int)(sizeof tiny / sizeof *tiny); i++) {
		s = channel(tiny[i], q);
		check(s >= FLT_MIN && isfinite(s) && q[0] == (int8_t)lrintf(tiny[i] / FLT_MIN),
		      "max|w| %g: scale %g is a normal float (>= %g), q[0] = %d = w / scale rounded",
		      (double)tiny[i], (double)s, (double)FLT_MIN, q[0]);
	}
	return check_report();
}
