/* test_calib_methods.c — the growing |x| histogram and the calibration
 * methods of passes/calib_methods.c: the histogram built in one pass with
 * merges equals the one built with the final width from the start, and each
 * method picks what it should on distributions whose answer is known. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"
#include "check.h"

static uint64_t rng_state = 99;
static double uniform(void) /* [0, 1) */
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (double)(rng_state >> 11) / 9007199254740992.0;
}

static double gauss(void)
{
	double u = uniform(), v = uniform();
	return sqrt(-2 * log(1 - u)) * cos(6.283185307179586 * v);
}

static float range_of(CalibMethod m, double pct, const Hist *h, DType grid, float *hi)
{
	CalibParams p = {m, pct, h->nbins};
	float lo;
	calib_choose_range(h, &p, grid, &lo, hi);
	return lo;
}

/* Adding data in small buffers (the width doubling many times) gives the
 * histogram of adding it in one buffer whose max fixes the width at once. */
static void growth(void)
{
	enum { N = 20000 };
	float *x = malloc(N * sizeof *x);
	Hist a, b;
	int same = 1;

	for (int i = 0; i < N; i++)
		x[i] = (float)(gauss() * ldexp(1, i / 2000)); /* later values larger */
	calib_hist_init(&a, 512);
	calib_hist_init(&b, 512);
	for (int i = 0; i < N; i += 100)
		calib_hist_add(&a, x + i, 100);
	calib_hist_add(&b, x, N);
	same = a.exp == b.exp && a.n == b.n && a.lo == b.lo && a.hi == b.hi;
	for (int k = 0; k < 512 && same; k++)
		same = a.count[k] == b.count[k];
	check(same, "histogram grown by merges equals the one built at its final width");
	check(b.n == N && a.exp > -20, "every value counted once (n = %.0f)", a.n);
	double amax = fmax(-a.lo, a.hi);
	check(amax < ldexp(512, a.exp) && amax >= ldexp(256, a.exp),
	      "max|x| lies in the upper half of the bins (width 2^%d, max %g)", a.exp, amax);
	calib_hist_free(&a);
	calib_hist_free(&b);
	free(x);
}

static void non_finite(void)
{
	float x[6] = {1, NAN, -2, INFINITY, 0, -INFINITY};
	Hist h;
	float hi, lo;

	calib_hist_init(&h, 2048);
	calib_hist_add(&h, x, 6);
	check(h.n == 3 && h.zeros == 1 && h.lo == -2 && h.hi == 1,
	      "NaN and infinities are left out of the histogram and its extremes");
	lo = range_of(CALIB_MSE, 0, &h, DT_I8, &hi);
	check(isfinite(lo) && isfinite(hi) && lo >= -2 && hi <= 1, "the range stays finite");
	calib_hist_free(&h);

	float z[4] = {0, 0, 0, 0};
	calib_hist_init(&h, 2048);
	calib_hist_add(&h, z, 4);
	lo = range_of(CALIB_ENTROPY, 0, &h, DT_I8, &hi);
	check(lo == 0 && hi == 0, "an all-zero tensor keeps the range [0, 0]");
	calib_hist_free(&h);
}

/* Uniform |x| on [0, 1): the P-th percentile is P/100. */
static void percentile(void)
{
	enum { N = 100000 };
	float *x = malloc(N * sizeof *x);
	Hist h;
	float lo, hi;

	for (int i = 0; i < N; i++)
		x[i] = (float)(uniform() * (i & 1 ? 1 : -1));
	calib_hist_init(&h, 2048);
	calib_hist_add(&h, x, N);
	lo = range_of(CALIB_PERCENTILE, 90, &h, DT_I8, &hi);
	check(fabs(hi - 0.9) < 0.005 && fabs(lo + 0.9) < 0.005,
	      "percentile 90 of uniform |x| clips to about [-0.9, 0.9] (got [%g, %g])", lo, hi);
	lo = range_of(CALIB_PERCENTILE, 100, &h, DT_I8, &hi);
	check(lo == h.lo && hi == h.hi, "percentile 100 keeps the observed range");
	lo = range_of(CALIB_MINMAX, 0, &h, DT_I8, &hi);
	check(lo == h.lo && hi == h.hi, "minmax is the observed range");
	calib_hist_free(&h);
	free(x);
}

/* A unit Gaussian with two outliers at about +-big. */
static void gaussian(Hist *h, float *x, int n, float big, int relu)
{
	rng_state = 7;
	for (int i = 0; i < n; i++)
		x[i] = (float)gauss();
	x[10] = big;
	x[20] = -big * 0.9f;
	for (int i = 0; i < n && relu; i++)
		x[i] = x[i] > 0 ? x[i] : 0;
	calib_hist_init(h, 2048);
	calib_hist_add(h, x, n);
}

/* Entropy clips far outliers; mse weighs the squared error of clipping them
 * against the coarser step they force on everything else: it clips outliers
 * at 10 but not, all the way, at 60 (two values at 60 cost 56^2 + 50^2 when
 * clipped at 4, more than the step 120/255 costs 200000 values). */
static void outliers(void)
{
	enum { N = 200000 };
	float *x = malloc(N * sizeof *x);
	Hist h;
	float lo, hi;

	gaussian(&h, x, N, 60, 0);
	lo = range_of(CALIB_ENTROPY, 0, &h, DT_I8, &hi);
	check(hi > 2.5f && hi < 10 && lo == -hi,
	      "entropy clips outliers at 60 to a symmetric range beyond 2.5 sigma (got [%g, %g])",
	      lo, hi);
	lo = range_of(CALIB_MSE, 0, &h, DT_I8, &hi);
	check(hi > 20 && hi < 54 && lo == -hi,
	      "mse clips outliers at 60 only partly (got [%g, %g])", lo, hi);
	lo = range_of(CALIB_MSE, 0, &h, DT_I16, &hi);
	check(hi == 60 && lo == -54, "mse keeps them whole when the grid is int16 (got [%g, %g])",
	      lo, hi);
	calib_hist_free(&h);

	gaussian(&h, x, N, 10, 0);
	lo = range_of(CALIB_MSE, 0, &h, DT_I8, &hi);
	check(hi > 2.5f && hi < 9 && lo == -hi,
	      "mse clips outliers at 10 to a symmetric range beyond 2.5 sigma (got [%g, %g])", lo,
	      hi);
	calib_hist_free(&h);

	/* post-ReLU: half exact zeros; the range starts at 0 */
	gaussian(&h, x, N, 10, 1);
	lo = range_of(CALIB_ENTROPY, 0, &h, DT_I8, &hi);
	check(lo == 0 && hi > 2.5f && hi < 9, "entropy on a post-ReLU tensor gives [0, t] (t = %g)",
	      hi);
	lo = range_of(CALIB_MSE, 0, &h, DT_I8, &hi);
	check(lo == 0 && hi > 2.5f && hi < 10, "mse on a post-ReLU tensor gives [0, t] (t = %g)",
	      hi);
	lo = range_of(CALIB_PERCENTILE, 99.99, &h, DT_I8, &hi);
	check(lo == 0 && hi > 3 && hi < 9, "percentile 99.99 on it gives [0, t] (t = %g)", hi);
	calib_hist_free(&h);
	free(x);
}

/* 65536 bins (the most allowed): the search tries a coarse grid of the
 * 32,000-odd candidates and refines around the best, and lands where the
 * default 2048 bins do, within a few percent (both outlier cases). */
static void many_bins(void)
{
	enum { N = 200000 };
	float *x = malloc(N * sizeof *x);
	Hist h, big;
	float lo, hi, hi_big;

	for (int k = 0; k < 2; k++) {
		float far = k ? 60 : 10;
		gaussian(&h, x, N, far, 0);
		calib_hist_init(&big, 65536);
		calib_hist_add(&big, x, N);
		for (int m = CALIB_ENTROPY; m <= CALIB_MSE; m++) {
			lo = range_of((CalibMethod)m, 0, &h, DT_I8, &hi);
			lo = range_of((CalibMethod)m, 0, &big, DT_I8, &hi_big);
			check(fabsf(hi_big - hi) <= 0.05f * hi,
			      "%s, outliers at %g: 65536 bins clip at %g, 2048 bins at %g (within 5%%)",
			      calib_method_name((CalibMethod)m), far, hi_big, hi);
		}
		calib_hist_free(&big);
		calib_hist_free(&h);
	}
	(void)lo;
	free(x);
}

static void names(void)
{
	int ok = 1;
	for (int m = CALIB_MINMAX; m <= CALIB_MSE; m++)
		ok &= calib_method_from_name(calib_method_name((CalibMethod)m)) == m;
	check(ok, "method names read back");
	check(calib_method_from_name("kl") == -1, "an unknown method name is refused");
}

int main(void)
{
	growth();
	non_finite();
	percentile();
	outliers();
	many_bins();
	names();
	return check_report();
}
