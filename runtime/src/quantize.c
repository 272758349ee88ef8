/* quantize.c — the float edge of a compiled model: quantize inputs,
 * dequantize outputs.  The compiler's reference interpreter calls these same
 * functions, so the edge conversion is identical by construction. */
#include "qrt.h"

/* 2^22: every float of larger magnitude is already an integer and beyond any
 * storage range, so clamping here loses nothing and keeps the conversion to
 * int32 defined. */
#define QRT_BIG 4194304.0f

int32_t qrt_quantize_one(float x, float scale, int32_t zero_point, int32_t qmin, int32_t qmax)
{
	float v = x / scale;
	int32_t t, q;
	float frac;

	if (v != v)
		return zero_point;
	if (v > QRT_BIG)
		v = QRT_BIG;
	if (v < -QRT_BIG)
		v = -QRT_BIG;
	t = (int32_t)v;     /* truncates toward zero */
	frac = v - (float)t; /* exact: |v| < 2^23 */
	if (frac >= 0.5f)
		t++;
	else if (frac <= -0.5f)
		t--;
	q = t + zero_point;
	if (q < qmin)
		q = qmin;
	if (q > qmax)
		q = qmax;
	return q;
}

void qrt_quantize_s8(const float *x, int8_t *q, uint32_t n, float scale, int32_t zero_point)
{
	uint32_t i;
	for (i = 0; i < n; i++)
		q[i] = (int8_t)qrt_quantize_one(x[i], scale, zero_point, -128, 127);
}

void qrt_quantize_s16(const float *x, int16_t *q, uint32_t n, float scale, int32_t zero_point)
{
	uint32_t i;
	for (i = 0; i < n; i++)
		q[i] = (int16_t)qrt_quantize_one(x[i], scale, zero_point, -32768, 32767);
}

void qrt_quantize_s8_even(const float *x, int8_t *q, uint32_t n, float scale, int32_t zero_point)
{
	/* 1.5 * 2^23: (v + M) - M rounds |v| < 2^22 half to even */
	const float magic = 12582912.0f;
	const float lo = (float)(-128 - zero_point), hi = (float)(127 - zero_point);
	uint32_t i;
	for (i = 0; i < n; i++) {
		float v = x[i] / scale;
		v = v > lo ? v : lo;
		v = v < hi ? v : hi;
		v = (v + magic) - magic;
		q[i] = (int8_t)((int32_t)v + zero_point);
	}
}

void qrt_dequantize_s8(const int8_t *q, float *x, uint32_t n, float scale, int32_t zero_point)
{
	uint32_t i;
	for (i = 0; i < n; i++)
		x[i] = (float)((int32_t)q[i] - zero_point) * scale;
}

void qrt_dequantize_s16(const int16_t *q, float *x, uint32_t n, float scale, int32_t zero_point)
{
	uint32_t i;
	for (i = 0; i < n; i++)
		x[i] = (float)((int32_t)q[i] - zero_point) * scale;
}
