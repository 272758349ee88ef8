/* unary.c — the unary math functions of the activation family (neg, sqrt,
 * exp, log, reciprocal, sign, elu, selu, softplus, softsign, mish, gelu,
 * erf, pow, shrink, celu, thresholded_relu, floor, ceil, round, and the
 * trigonometric sin ... atanh) without libm.  qrt_unaryf is the f32 kernel of every one of them: the generated
 * code calls it per element and the interpreter calls it too, so the two
 * agree bit for bit.  qrt_unary is the same function in double, which the
 * quantize pass samples for the int8 and int16 lookup tables.
 *
 * The transcendental parts are computed in double (exp and log by range
 * reduction and a polynomial, erf by its Taylor series below 2 and by the
 * continued fraction of erfc above; sin, cos, tan by reduction modulo
 * pi/2, exact for every float, and their Taylor series; atan by its series
 * after reduction to |t| <= tan(pi/8); the others from these, exp and log)
 * and rounded to float once, so each f32 result is within about an ulp of
 * the exact one. */
#include "qrt.h"

typedef union {
	uint64_t u;
	double d;
} dbits;

typedef union {
	uint32_t u;
	float f;
} fbits;

static const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;

/* 2^k for k in [-1022, 1023], built from its bits */
static double pow2d(int32_t k)
{
	dbits v;
	v.u = (uint64_t)(k + 1023) << 52;
	return v.d;
}

static double inf_d(void)
{
	return pow2d(1023) * 2.0;
}

static double nan_d(void)
{
	dbits v;
	v.u = 0x7ff8000000000000ull;
	return v.d;
}

/* exp(x) = 2^k exp(r), x = k ln2 + r, |r| <= ln2/2, exp(r) by its
 * degree-13 Taylor polynomial (truncation below 2^-57). */
static double exp_d(double x)
{
	double kf, r, p;
	int32_t k, k1;

	if (x != x)
		return x;
	if (x > 709.5)
		return inf_d();
	if (x < -745.5)
		return 0.0;
	kf = x * 1.4426950408889634;
	k = (int32_t)(kf < 0.0 ? kf - 0.5 : kf + 0.5);
	r = (x - (double)k * ln2_hi) - (double)k * ln2_lo;
	p = 1.0 / 6227020800.0;
	p = p * r + 1.0 / 479001600.0;
	p = p * r + 1.0 / 39916800.0;
	p = p * r + 1.0 / 3628800.0;
	p = p * r + 1.0 / 362880.0;
	p = p * r + 1.0 / 40320.0;
	p = p * r + 1.0 / 5040.0;
	p = p * r + 1.0 / 720.0;
	p = p * r + 1.0 / 120.0;
	p = p * r + 1.0 / 24.0;
	p = p * r + 1.0 / 6.0;
	p = p * r + 0.5;
	p = p * r + 1.0;
	p = p * r + 1.0;
	/* two factors keep each power of two normal */
	k1 = k / 2;
	return p * pow2d(k1) * pow2d(k - k1);
}

/* exp(x) - 1 without the cancellation near 0 */
static double expm1_d(double x)
{
	if (x > -1e-5 && x < 1e-5)
		return x + x * x / 2.0 + x * x * x / 6.0;
	return exp_d(x) - 1.0;
}

/* log(x) = k ln2 + log(m), m in [sqrt(1/2), sqrt(2)), log(m) = 2 atanh(s),
 * s = (m - 1) / (m + 1), by its series to s^21. */
static double log_d(double x)
{
	dbits v;
	int32_t k;
	double m, s, z, p;

	if (x != x || x < 0.0)
		return nan_d();
	if (x == 0.0)
		return -inf_d();
	if (x > 1.7976931348623157e308)
		return x;
	k = 0;
	if (x < 2.2250738585072014e-308) { /* subnormal: scale up */
		x *= 18014398509481984.0;  /* 2^54 */
		k = -54;
	}
	v.d = x;
	k += (int32_t)((v.u >> 52) & 0x7ff) - 1023;
	v.u = (v.u & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
	m = v.d;
	if (m > 1.4142135623730951) {
		m = m / 2.0;
		k++;
	}
	s = (m - 1.0) / (m + 1.0);
	z = s * s;
	p = 1.0 / 21.0;
	p = p * z + 1.0 / 19.0;
	p = p * z + 1.0 / 17.0;
	p = p * z + 1.0 / 15.0;
	p = p * z + 1.0 / 13.0;
	p = p * z + 1.0 / 11.0;
	p = p * z + 1.0 / 9.0;
	p = p * z + 1.0 / 7.0;
	p = p * z + 1.0 / 5.0;
	p = p * z + 1.0 / 3.0;
	p = p * z + 1.0;
	return (double)k * ln2_hi + (2.0 * s * p + (double)k * ln2_lo);
}

/* log(1 + e), e >= 0, with the rounding of 1 + e corrected */
static double log1p_d(double e)
{
	double u = 1.0 + e;

	if (u == 1.0)
		return e;
	return log_d(u) - ((u - 1.0) - e) / u;
}

/* erf(a), 0 <= a < 2: sum (-1)^n a^(2n+1) / (n! (2n+1)) * 2/sqrt(pi) */
static double erf_series(double a)
{
	double z = a * a, term = a, sum = a;

	for (int n = 1; n < 60; n++) {
		term = -term * z / (double)n;
		sum += term / (double)(2 * n + 1);
	}
	return sum * 1.1283791670955126;
}

/* erfc(a), a >= 2: exp(-a^2) / sqrt(pi) / (a + (1/2) / (a + 1 / (a + (3/2)
 * / (a + ...)))), the continued fraction evaluated from 80 levels down */
static double erfc_cf(double a)
{
	double k = a;

	if (a > 27.0)
		return 0.0;
	for (int n = 80; n >= 1; n--)
		k = a + ((double)n / 2.0) / k;
	return exp_d(-a * a) * 0.5641895835477563 / k;
}

/* erfc(|x|) for the side of x >= 0 */
static double erfc_pos(double a)
{
	return a < 2.0 ? 1.0 - erf_series(a) : erfc_cf(a);
}

static double erf_d(double x)
{
	double a = x < 0.0 ? -x : x, r;

	if (x != x)
		return x;
	r = a < 2.0 ? erf_series(a) : 1.0 - erfc_cf(a);
	return x < 0.0 ? -r : r;
}

/* tanh(y), y >= 0 */
static double tanh_pos(double y)
{
	double e;

	if (y < 1e-5)
		return y - y * y * y / 3.0;
	e = exp_d(-2.0 * y);
	return (1.0 - e) / (1.0 + e);
}

/* log(1 + exp(x)), stable for either sign */
static double softplus_d(double x)
{
	if (x != x)
		return x;
	return x > 0.0 ? x + log1p_d(exp_d(-x)) : log1p_d(exp_d(x));
}

/* x^p as C's pow (C99 F.9.4.4): exponents that fit int32 by repeated
 * squaring (any sign of x), others by exp(p log |x|); below 0 a
 * non-integer exponent gives NaN, an odd integer one the sign of x;
 * pow(1, p) and pow(x, 0) are 1 even for NaN, pow(-1, +-inf) is 1. */
static double pow_d(double x, double p)
{
	double ax = x < 0.0 ? -x : x, ap = p < 0.0 ? -p : p, r;
	int integral, odd = 0;

	if (p == 0.0 || x == 1.0)
		return 1.0;
	if (x != x || p != p)
		return nan_d();
	if (p >= -2147483647.0 && p <= 2147483647.0 && p == (double)(int32_t)p) {
		uint32_t n = (uint32_t)(p < 0.0 ? -p : p);
		double b = x;
		r = 1.0;
		while (n) {
			if (n & 1)
				r *= b;
			b *= b;
			n >>= 1;
		}
		return p < 0.0 ? 1.0 / r : r;
	}
	if (ap > 1.7976931348623157e308) /* +-inf: 0, 1 or inf by |x| */
		return ax == 1.0 ? 1.0 : (ax < 1.0) != (p < 0.0) ? 0.0 : inf_d();
	/* |p| >= 2^52 is an integer, and even from 2^53 */
	integral = ap >= 4503599627370496.0 || p == (double)(int64_t)p;
	if (integral && ap < 9007199254740992.0)
		odd = (int)((uint64_t)(int64_t)ap & 1);
	if (ax > 1.7976931348623157e308) /* +-inf: no NaN, the sign if odd */
		r = p > 0.0 ? ax : 0.0;
	else if (x < 0.0 && !integral)
		return nan_d();
	else if (ax == 0.0)
		r = p > 0.0 ? 0.0 : inf_d();
	else
		r = exp_d(p * log_d(ax));
	return x < 0.0 && odd ? -r : r;
}

/* ---- trigonometric and hyperbolic functions (issue 18) ---- */

/* pi/2 in four parts: three of 24 bits (k * part is exact for |k| < 2^29)
 * and the rest */
static const double pio2_1 = 0x1.921fb4p+0, pio2_2 = 0x1.4442dp-24, pio2_3 = 0x1.846988p-48,
                    pio2_4 = 0x1.8cc51701b839ap-72;
static const double pio2_d = 1.5707963267948966, pi_d = 3.141592653589793;

/* 2/pi in binary, 32 bits a word: 2/pi = sum w[j] 2^(-32 (j + 1)) */
static const uint32_t two_over_pi[7] = {0xa2f9836e, 0x4e441529, 0xfc2757d1, 0xf534ddc0,
                                        0xdb629599, 0x3c439041, 0xfe5163ab};

/* x = n pi/2 + r, |r| <= pi/4 (about), for |x| >= 2^25 a float: x = m 2^e
 * (m of 24 bits, e >= 2) times 2/pi from the words of 2/pi that do not
 * give a multiple of 4 (Payne and Hanek's reduction), 128 bits of the
 * product: bits s and s + 1 are n mod 4, the s below them the fraction. */
static int32_t rem_pio2_large(float x, double *r)
{
	fbits v;
	v.f = x;
	uint64_t m = (v.u & 0x7fffff) | 0x800000, c = 0, hi, lo, fh, fl;
	int32_t e = (int32_t)((v.u >> 23) & 0xff) - 150, j0 = (e - 2) / 32, s, n;
	uint32_t limb[4];

	for (int32_t j = 3; j >= 0; j--) { /* m * w[j0 .. j0+3], mod 2^128 */
		c += m * two_over_pi[j0 + j];
		limb[j] = (uint32_t)c;
		c >>= 32;
	}
	hi = (uint64_t)limb[0] << 32 | limb[1];
	lo = (uint64_t)limb[2] << 32 | limb[3];
	s = 32 * (j0 + 4) - e; /* in [95, 126] */
	n = (int32_t)(hi >> (s - 64)) & 3;
	fh = hi << (128 - s) | lo >> (s - 64); /* the fraction, from its top bit */
	fl = lo << (128 - s);
	if (fh >> 63) { /* fraction >= 1/2: 1 - fraction, n + 1 */
		fh = ~fh;
		fl = ~fl + 1;
		if (!fl)
			fh++;
		n++;
		*r = -((double)fh * 0x1p-64 + (double)fl * 0x1p-128) * pio2_d;
	} else {
		*r = ((double)fh * 0x1p-64 + (double)fl * 0x1p-128) * pio2_d;
	}
	if (x < 0.0f) { /* the product was of |x| */
		*r = -*r;
		n = -n;
	}
	return n;
}

/* x = n pi/2 + r; returns n (only n mod 4 matters).  Below 2^25 by
 * Cody and Waite's subtraction of k times pi/2's parts; above, x is
 * reduced as the float it rounds to (every f32 input is one). */
static int32_t rem_pio2(double x, double *r)
{
	double a = x < 0.0 ? -x : x, kf;
	int32_t k;

	if (a >= 33554432.0)
		return rem_pio2_large((float)x, r);
	kf = x * 0.63661977236758134;
	k = (int32_t)(kf < 0.0 ? kf - 0.5 : kf + 0.5);
	*r = (((x - (double)k * pio2_1) - (double)k * pio2_2) - (double)k * pio2_3) -
	     (double)k * pio2_4;
	return k;
}

/* sin(r) = r (1 - z/(2 3) (1 - z/(4 5) (1 - ...))), z = r^2, |r| <= pi/4:
 * to r^23 (the next term below 2^-60 relative) */
static double sin_k(double r)
{
	double z = r * r, t = 0.0;

	for (int32_t n = 11; n >= 1; n--)
		t = z / (double)(2 * n * (2 * n + 1)) * (1.0 - t);
	return r * (1.0 - t);
}

/* cos(r) = 1 - z/(1 2) (1 - z/(3 4) (1 - ...)) */
static double cos_k(double r)
{
	double z = r * r, t = 0.0;

	for (int32_t n = 11; n >= 1; n--)
		t = z / (double)((2 * n - 1) * 2 * n) * (1.0 - t);
	return 1.0 - t;
}

/* fn QRT_U_SIN, QRT_U_COS or QRT_U_TAN of x */
static double trig_d(int32_t fn, double x)
{
	double r, s, c;
	int32_t n;

	if (x != x || x - x != 0.0) /* NaN, +-inf */
		return nan_d();
	if (x == 0.0 && fn != QRT_U_COS)
		return x; /* keeps -0 */
	n = rem_pio2(x, &r) & 3;
	s = sin_k(r);
	c = cos_k(r);
	if (fn == QRT_U_TAN)
		return n & 1 ? -c / s : s / c;
	if (fn == QRT_U_COS)
		n++; /* cos x = sin(x + pi/2) */
	switch (n & 3) {
	case 0: return s;
	case 1: return c;
	case 2: return -s;
	default: return -c;
	}
}

/* atan(x): |x| > 1 by pi/2 - atan(1/|x|), then above tan(pi/8) by
 * pi/4 + atan((a - 1) / (a + 1)), then the series t - t^3/3 + ... to
 * t^49 (|t| <= 0.4143: the rest below 2^-60) */
static double atan_d(double x)
{
	double a = x < 0.0 ? -x : x, t, z, p = 0.0, base = 0.0, sg = 1.0;

	if (x != x || x == 0.0)
		return x;
	if (a > 1.0) {
		a = 1.0 / a; /* inf gives 0 */
		base = pio2_d;
		sg = -1.0;
	}
	t = a;
	if (a > 0.41421356237309503) {
		t = (a - 1.0) / (a + 1.0);
		base += sg * 0.78539816339744831;
	}
	z = t * t;
	for (int32_t n = 24; n >= 0; n--)
		p = p * -z + 1.0 / (double)(2 * n + 1);
	a = base + sg * t * p;
	return x < 0.0 ? -a : a;
}

/* sqrt in double: exp(log(x) / 2) refined by one Newton step */
static double sqrt_d(double x)
{
	double y;

	if (x != x || x < 0.0)
		return nan_d();
	if (x == 0.0 || x > 1.7976931348623157e308)
		return x;
	y = exp_d(0.5 * log_d(x));
	return 0.5 * (y + x / y);
}

/* asin(x) = atan(x / sqrt(1 - x^2)), |x| <= 1/2 */
static double asin_small(double x)
{
	return atan_d(x / sqrt_d((1.0 - x) * (1.0 + x)));
}

/* asin, and acos(x) = pi/2 - asin(x); beyond 1/2 from 2 asin(sqrt((1 - |x|)
 * / 2)), which does not lose the bits of x near 1 */
static double asin_acos_d(int32_t acos, double x)
{
	double a = x < 0.0 ? -x : x, h;

	if (x != x || a > 1.0)
		return nan_d();
	if (a <= 0.5)
		return acos ? pio2_d - asin_small(x) : asin_small(x);
	h = 2.0 * asin_small(sqrt_d((1.0 - a) * 0.5)); /* = pi/2 - asin(|x|) */
	if (acos)
		return x > 0.0 ? h : pi_d - h;
	return x > 0.0 ? pio2_d - h : h - pio2_d;
}

/* sinh, cosh, asinh, acosh, atanh of x */
static double hyp_d(int32_t fn, double x)
{
	double a = x < 0.0 ? -x : x, e, r;

	if (x != x)
		return x;
	switch (fn) {
	case QRT_U_SINH: /* (E + E / (E + 1)) / 2, E = exp(|x|) - 1 */
		if (x == 0.0)
			return x;
		e = expm1_d(a);
		r = e > 1e300 ? 0.5 * e : 0.5 * (e + e / (e + 1.0)); /* inf / inf */
		return x < 0.0 ? -r : r;
	case QRT_U_COSH: e = exp_d(a); return 0.5 * (e + 1.0 / e);
	case QRT_U_ASINH: /* log1p(a + a^2 / (1 + sqrt(1 + a^2))) */
		if (x == 0.0)
			return x;
		r = a > 268435456.0 ? log_d(a) + ln2_hi + ln2_lo
		                    : log1p_d(a + a * a / (1.0 + sqrt_d(1.0 + a * a)));
		return x < 0.0 ? -r : r;
	case QRT_U_ACOSH: /* log1p(t + sqrt(2t + t^2)), t = x - 1 */
		if (x < 1.0)
			return nan_d();
		if (x > 268435456.0)
			return log_d(x) + ln2_hi + ln2_lo;
		e = x - 1.0;
		return log1p_d(e + sqrt_d(2.0 * e + e * e));
	case QRT_U_ATANH: /* log1p(2a / (1 - a)) / 2 */
		if (a > 1.0)
			return nan_d();
		if (x == 0.0)
			return x;
		r = a == 1.0 ? inf_d() : 0.5 * log1p_d(2.0 * a / (1.0 - a));
		return x < 0.0 ? -r : r;
	default: return nan_d();
	}
}

double qrt_unary(int32_t fn, double x, double a, double b)
{
	switch (fn) {
	case QRT_U_NEG: return -x;
	case QRT_U_SQRT: return x < 0.0 ? nan_d() : x == 0.0 ? x : exp_d(0.5 * log_d(x));
	case QRT_U_EXP: return exp_d(x);
	case QRT_U_LOG: return log_d(x);
	case QRT_U_RECIPROCAL: return 1.0 / x;
	case QRT_U_SIGN: return x > 0.0 ? 1.0 : x < 0.0 ? -1.0 : x;
	case QRT_U_ELU: return x < 0.0 ? a * expm1_d(x) : x;
	case QRT_U_SELU: return x > 0.0 ? b * x : b * (a * exp_d(x) - a);
	case QRT_U_SOFTPLUS: return softplus_d(x);
	case QRT_U_SOFTSIGN: return x / (1.0 + (x < 0.0 ? -x : x));
	case QRT_U_MISH: return x * tanh_pos(softplus_d(x));
	case QRT_U_GELU: /* x/2 (1 + erf(x / sqrt 2)), erfc for x < 0 */
		return x >= 0.0 ? 0.5 * x * (2.0 - erfc_pos(x * 0.7071067811865476))
		                : 0.5 * x * erfc_pos(-x * 0.7071067811865476);
	case QRT_U_ERF: return erf_d(x);
	case QRT_U_POW: return pow_d(x, a);
	case QRT_U_SHRINK: return x < -a ? x + b : x > a ? x - b : 0.0;
	case QRT_U_CELU: /* max(0, x) + min(0, a (exp(x / a) - 1)) */
		return x > 0.0 ? x : a * expm1_d(x / a);
	case QRT_U_THRESHOLDED_RELU: return x > a ? x : 0.0;
	case QRT_U_FLOOR:
	case QRT_U_CEIL:
	case QRT_U_ROUND: return (double)qrt_unaryf(fn, (float)x, (float)a, (float)b);
	case QRT_U_SIN:
	case QRT_U_COS:
	case QRT_U_TAN: return trig_d(fn, x);
	case QRT_U_ASIN: return asin_acos_d(0, x);
	case QRT_U_ACOS: return asin_acos_d(1, x);
	case QRT_U_ATAN: return atan_d(x);
	case QRT_U_SINH:
	case QRT_U_COSH:
	case QRT_U_ASINH:
	case QRT_U_ACOSH:
	case QRT_U_ATANH: return hyp_d(fn, x);
	default: return nan_d();
	}
}

/* The correctly rounded square root: the integer square root of the
 * 24-bit significand shifted to 48 bits, rounded to nearest by its
 * remainder (no tie is possible). */
static float sqrt_f(float x)
{
	fbits v;
	int32_t e;
	uint32_t m;
	uint64_t n, r = 0, bit = 1ull << 46;

	if (x != x || x == 0.0f || x > 3.40282347e38f)
		return x;
	if (x < 0.0f)
		return (float)nan_d();
	v.f = x;
	e = (int32_t)((v.u >> 23) & 0xff);
	m = v.u & 0x7fffff;
	if (e == 0) { /* subnormal: normalize */
		e = 1;
		while (!(m & 0x800000)) {
			m <<= 1;
			e--;
		}
	} else {
		m |= 0x800000;
	}
	e -= 127; /* x = m 2^(e - 23) */
	if (e & 1) {
		m <<= 1;
		e--;
	}
	n = (uint64_t)m << 23; /* in [2^46, 2^48): the root in [2^23, 2^24) */
	while (bit > n)
		bit >>= 2;
	while (bit) {
		if (n >= r + bit) {
			n -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
		bit >>= 2;
	}
	if (n > r)
		r++; /* 2^24 carries into the exponent below */
	v.u = ((uint32_t)(e / 2 + 126) << 23) + (uint32_t)r;
	return v.f;
}

/* floor (mode 0), ceil (1) or round half to even (2) of a float; |x| >=
 * 2^23 is integral already; a zero result keeps x's sign, as C's */
static float to_int_f(float x, int mode)
{
	float t, d;
	fbits v;

	if (x != x || x >= 8388608.0f || x <= -8388608.0f || x == 0.0f)
		return x;
	t = (float)(int32_t)x; /* toward zero */
	if (t > x)
		t -= 1.0f; /* t = floor(x) */
	d = x - t;         /* exact */
	if (mode == 1 && d > 0.0f)
		t += 1.0f;
	if (mode == 2 && (d > 0.5f || (d == 0.5f && ((int32_t)t & 1))))
		t += 1.0f;
	if (t == 0.0f) {
		v.f = x;
		v.u &= 0x80000000u;
		return v.f;
	}
	return t;
}

float qrt_unaryf(int32_t fn, float x, float a, float b)
{
	switch (fn) {
	case QRT_U_NEG: return -x;
	case QRT_U_SQRT: return sqrt_f(x);
	case QRT_U_RECIPROCAL: return 1.0f / x;
	case QRT_U_SIGN: return x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : x;
	case QRT_U_SHRINK: return x < -a ? x + b : x > a ? x - b : 0.0f;
	case QRT_U_THRESHOLDED_RELU: return x > a ? x : 0.0f;
	case QRT_U_FLOOR: return to_int_f(x, 0);
	case QRT_U_CEIL: return to_int_f(x, 1);
	case QRT_U_ROUND: return to_int_f(x, 2);
	case QRT_U_POW:
		if (a == 0.5f && x >= -3.40282347e38f) /* pow(-inf, 0.5) is +inf */
			return x == 0.0f ? 0.0f : sqrt_f(x); /* pow(-0, 0.5) is +0 */
		return (float)qrt_unary(fn, x, a, b);
	default: return (float)qrt_unary(fn, x, a, b);
	}
}

float qrt_powf(float x, float y)
{
	return qrt_unaryf(QRT_U_POW, x, y, 0.0f);
}
