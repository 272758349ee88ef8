/* ir/gemmlowp.c — gemmlowp's fixed-point functions on int32 (gemmlowp.h):
 * the exp and reciprocal TFLite's int8 softmax computes with. */
#include "gemmlowp.h"
#include "ir.h"

/* int32 addition and subtraction that wrap, as gemmlowp's raw Add and Sub
 * on two's complement hardware (the callers' values never overflow). */
static int32_t add(int32_t a, int32_t b)
{
	return (int32_t)((uint32_t)a + (uint32_t)b);
}

static int32_t sub(int32_t a, int32_t b)
{
	return (int32_t)((uint32_t)a - (uint32_t)b);
}

int32_t ir_gl_mul_pot(int32_t x, int e)
{
	if (e < -31 || e > 31)
		ICE("gemmlowp: power of two %d outside [-31, 31]", e);
	if (e < 0)
		return ir_rdbpot(x, -e);
	if (e == 0)
		return x;
	int32_t lim = (int32_t)(((int64_t)1 << (31 - e)) - 1);
	if (x > lim)
		return INT32_MAX;
	if (x < -lim)
		return INT32_MIN;
	return (int32_t)((uint32_t)x << e);
}

int32_t ir_gl_half_sum(int32_t a, int32_t b)
{
	int64_t s = (int64_t)a + b;
	/* a division, not a shift: it truncates toward zero */
	return (int32_t)((s + (s >= 0 ? 1 : -1)) / 2);
}

int32_t ir_gl_exp_quarter(int32_t a)
{
	const int32_t e18 = 1895147668; /* exp(-1/8) */
	const int32_t third = 715827883; /* 1/3 */
	int32_t x = add(a, 1 << 28);     /* around -1/8: x = a + 1/8 */
	int32_t x2 = ir_srdhm(x, x), x3 = ir_srdhm(x2, x), x4 = ir_srdhm(x2, x2);
	int32_t x4_4 = ir_gl_mul_pot(x4, -2);
	/* x^4/24 + x^3/6 + x^2/2 */
	int32_t poly = ir_gl_mul_pot(add(ir_srdhm(add(x4_4, x3), third), x2), -1);
	return add(e18, ir_srdhm(e18, add(x, poly)));
}

int32_t ir_gl_exp_neg(int32_t a, int int_bits)
{
	/* exp(-2^k) in Q0.31 for k = -2 .. 4 */
	static const int32_t mul[7] = {1672461947, 1302514674, 790015084, 290630308,
	                               39332535,   720401,     242};
	if (int_bits < 0 || int_bits > 29)
		ICE("gemmlowp: exp of Q%d", int_bits);
	const int frac = 31 - int_bits;
	const int32_t quarter = (int32_t)1 << (frac - 2);
	/* a = r + rest: r in [-1/4, 0), rest the multiples of 1/4 */
	int32_t r = sub(a & (quarter - 1), quarter);
	int32_t result = ir_gl_exp_quarter(ir_gl_mul_pot(r, int_bits));
	int32_t rest = sub(r, a);

	for (int k = -2; k <= 4; k++)
		if (int_bits > k && ((uint32_t)rest & (1u << (frac + k))))
			result = ir_srdhm(result, mul[k + 2]);
	if (int_bits > 5 && a < -((int32_t)1 << (36 - int_bits)))
		result = 0; /* below -32 */
	return a == 0 ? INT32_MAX : result;
}

int32_t ir_gl_one_over_one_plus_x(int32_t a)
{
	const int32_t one2 = 1 << 29; /* 1.0 in Q2.29 */
	int32_t d = ir_gl_half_sum(a, INT32_MAX); /* (1 + a) / 2 in Q0.31 */
	/* 48/17 - 32/17 d, Q2.29 */
	int32_t x = add(1515870810, ir_srdhm(d, -1010580540));

	for (int i = 0; i < 3; i++) {
		int32_t dx = ir_srdhm(d, x); /* Q2.29 */
		/* x += x (1 - d x): a Q4.27 product back to Q2.29 */
		x = add(x, ir_gl_mul_pot(ir_srdhm(x, sub(one2, dx)), 2));
	}
	/* x / 2 as Q1.30, then to Q0.31 */
	return ir_gl_mul_pot(x, 1);
}

int32_t ir_gl_reciprocal(int32_t x, int int_digits, int *bits)
{
	if (x <= 0)
		ICE("gemmlowp: reciprocal of %d", (int)x);
	int h = 0;
	while (!((uint32_t)x << h & 0x80000000u))
		h++;
	*bits = int_digits - h;
	/* x 2^h in [1, 2) as Q1.31 unsigned, less 1.0: a Q0.31 in [0, 1) */
	return ir_gl_one_over_one_plus_x((int32_t)(((uint32_t)x << h) - 0x80000000u));
}
