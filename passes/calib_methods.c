/* calib_methods.c — the calibration methods: the histogram calibrate builds
 * for each value, and the rules that turn it into a clipping range.
 *
 * The histogram counts |x| in nbins bins of width w = 2^exp from 0.  Nobody
 * knows a tensor's range before the data has gone by, and the data goes by
 * once, so the histogram grows: when a value falls at or beyond nbins * w,
 * neighbouring bins merge in pairs and w doubles, until it fits.  Because w
 * is a power of two the merged bins are exactly the bins the wider histogram
 * would have had; nothing is split or estimated.  The first nonzero value
 * sets the starting width (the smallest power of two whose nbins bins hold
 * the largest |x| of the first buffer), so at the end between nbins/2 and
 * nbins bins lie below max|x|.
 *
 * Every method picks a threshold t on |x| and clips to [max(lo, -t),
 * min(hi, t)], lo and hi being the observed extremes: a post-ReLU tensor
 * (lo = 0) gets [0, t], a two-signed one is clipped on both sides by the same
 * t.  Candidate thresholds are bin edges t = i * w, i = 128 .. the bin
 * holding max|x| (the last is clamped to max|x|, so "no clipping" is always
 * a candidate).
 *
 *   percentile  t = the P-th percentile of |x|, linear inside its bin.
 *   entropy     TensorRT's KL-divergence search: P = bins [0, i) with the
 *               mass beyond folded into bin i-1; Q = the same bins (without
 *               the fold) merged into 128 groups (int8's levels on one side
 *               of a symmetric grid; 32768 for int16), each group's mass
 *               spread evenly over its bins that P holds something in; both
 *               normalized, Q given eps = 1e-4 where it is empty but P is
 *               not; t minimizes KL(P || Q).  Exact zeros are left out of
 *               bin 0: they sit on every grid, and ReLU's spike of them would
 *               outweigh the shape of the rest.  A one-signed tensor really
 *               gets 256 levels on [0, t] from the asymmetric grid, but with
 *               256 groups over a 2048-bin histogram the groups alternate
 *               between one and two bins near the low candidates and the KL
 *               curve has deep aliasing dips there (the CNN's first layer
 *               came out clipped at a fifth of its range, 2 points of
 *               accuracy lost); 128 is TensorRT's choice and behaves.
 *   mse         t minimizes the expected squared error: values beyond t
 *               cost (|x| - t)^2 (bin centres), values inside step^2 / 12
 *               with the step quantize will really use for that range (int8
 *               asymmetric: 255 steps over [min(lo', 0), max(hi', 0)]; int16
 *               symmetric: 32767 over [0, max|.|]), exact zeros nothing (0 is
 *               always on the grid).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"

enum { FIRST_CANDIDATE = 128 };

/* Up to this many candidate thresholds are all tried (every one the
 * default 2048 bins give).  With more bins (up to 65536) the search tries
 * every step-th candidate, step = ceil(candidates / COARSE_CANDIDATES), and
 * then every candidate within a step of the best of those: the cost is
 * that of about COARSE_CANDIDATES + 2 * step candidates, not of all of
 * them, so it grows linearly with the bins instead of quadratically. */
enum { MAX_EXHAUSTIVE = 2048, COARSE_CANDIDATES = 1024 };

/* The candidate i in [first, last] with the least cost(ctx, i), the first
 * on a tie (as trying them in order would); -1 if no cost is finite. */
static int search(int first, int last, double (*cost)(void *, int), void *ctx)
{
	int n = last - first + 1, bi = -1, step;
	double best = INFINITY;

	if (n <= MAX_EXHAUSTIVE) {
		for (int i = first; i <= last; i++) {
			double v = cost(ctx, i);
			if (v < best) {
				best = v;
				bi = i;
			}
		}
		return bi;
	}
	step = (n + COARSE_CANDIDATES - 1) / COARSE_CANDIDATES;
	for (int i = first;; i += step) {
		if (i > last)
			i = last; /* "no clipping" is always tried */
		double v = cost(ctx, i);
		if (v < best) {
			best = v;
			bi = i;
		}
		if (i == last)
			break;
	}
	if (bi < 0)
		return -1;
	int lo = bi - step + 1 > first ? bi - step + 1 : first;
	int hi = bi + step - 1 < last ? bi + step - 1 : last;
	int coarse = bi;
	for (int i = lo; i <= hi; i++) {
		if (i == coarse)
			continue;
		double v = cost(ctx, i);
		if (v < best || (v == best && i < bi)) {
			best = v;
			bi = i;
		}
	}
	return bi;
}

static const char *const method_names[] = {"minmax", "percentile", "entropy", "mse"};

int calib_method_from_name(const char *s)
{
	for (int m = 0; m < (int)(sizeof method_names / sizeof method_names[0]); m++)
		if (strcmp(s, method_names[m]) == 0)
			return m;
	return -1;
}

const char *calib_method_name(CalibMethod m)
{
	return method_names[m];
}

void calib_hist_init(Hist *h, int nbins)
{
	memset(h, 0, sizeof *h);
	h->nbins = nbins;
	h->count = ir_xcalloc((size_t)nbins, sizeof *h->count);
	h->lo = INFINITY;
	h->hi = -INFINITY;
}

void calib_hist_free(Hist *h)
{
	free(h->count);
	h->count = NULL;
}

/* Has a nonzero value come?  Until then exp means nothing (zeros go to bin 0
 * whatever the width). */
static int started(const Hist *h)
{
	return h->n > h->zeros;
}

/* Doubles the bin width: bin k of the new histogram is bins 2k and 2k+1. */
static void merge_pairs(Hist *h)
{
	for (int k = 0; k < h->nbins; k++) {
		double c = h->count[k];
		h->count[k] = 0;
		h->count[k / 2] += c;
	}
	h->exp++;
}

void calib_hist_add(Hist *h, const float *x, int64_t n)
{
	float amax = 0;

	for (int64_t i = 0; i < n; i++)
		if (isfinite(x[i]) && fabsf(x[i]) > amax)
			amax = fabsf(x[i]);
	if (amax > 0) {
		/* the first width: the smallest 2^exp with amax < nbins * 2^exp */
		if (!started(h))
			frexp((double)amax / h->nbins, &h->exp);
		while (ldexp(h->nbins, h->exp) <= amax)
			merge_pairs(h);
	}
	double inv = ldexp(1, -h->exp);
	for (int64_t i = 0; i < n; i++) {
		float a = fabsf(x[i]);
		if (!isfinite(x[i]))
			continue;
		if (x[i] < h->lo)
			h->lo = x[i];
		if (x[i] > h->hi)
			h->hi = x[i];
		h->n++;
		if (a == 0)
			h->zeros++;
		int k = (int)((double)a * inv);
		h->count[k < h->nbins ? k : h->nbins - 1]++;
	}
}

/* The quantization step quantize will use for the range a threshold t keeps. */
static double grid_step(const Hist *h, double t, DType grid)
{
	double lo = h->lo < -t ? -t : h->lo, hi = h->hi > t ? t : h->hi;

	if (lo > 0)
		lo = 0;
	if (hi < 0)
		hi = 0;
	if (grid == DT_I16)
		return (-lo > hi ? -lo : hi) / 32767.0;
	return (hi - lo) / 255.0;
}

static double pick_percentile(const Hist *h, double w, double pct)
{
	double target = h->n * pct / 100.0, cum = 0;

	for (int k = 0; k < h->nbins; k++) {
		double c = h->count[k];
		if (c > 0 && cum + c >= target)
			return w * (k + (target - cum) / c);
		cum += c;
	}
	return INFINITY;
}

/* KL(P || Q) for threshold bin i with nq grid levels on [0, t], over counts
 * c; tail[i] is the sum of c[i..] (counts are whole numbers, so it is the
 * same sum in any order); p and q are scratch of i doubles. */
static double divergence(const double *c, const double *tail, int i, int nq, double *p, double *q)
{
	double outliers = tail[i], psum = 0, qsum = 0, kl = 0;
	int empty = 0;
	const double eps = 1e-4;

	memcpy(p, c, (size_t)i * sizeof *p);
	p[i - 1] += outliers;
	if (nq > i)
		nq = i;
	for (int j = 0; j < nq; j++) {
		int b = (int)((int64_t)j * i / nq), e = (int)((int64_t)(j + 1) * i / nq), nz = 0;
		double mass = 0;
		for (int k = b; k < e; k++) {
			mass += c[k];
			nz += p[k] > 0;
		}
		for (int k = b; k < e; k++)
			q[k] = p[k] > 0 ? mass / nz : 0;
	}
	for (int k = 0; k < i; k++) {
		psum += p[k];
		qsum += q[k];
	}
	if (psum <= 0 || qsum <= 0)
		return INFINITY;
	/* where P has mass and Q none, Q gets eps (then renormalized): the
	 * divergence stays finite and still charges the loss heavily */
	for (int k = 0; k < i; k++)
		empty += p[k] > 0 && q[k] == 0;
	for (int k = 0; k < i; k++) {
		if (p[k] == 0)
			continue;
		double pk = p[k] / psum;
		double qk = (q[k] == 0 ? eps : q[k] / qsum) / (1 + eps * empty);
		kl += pk * log(pk / qk);
	}
	return kl;
}

typedef struct {
	const double *c, *tail;
	double *p, *q;
	int levels;
} EntropyCtx;

static double entropy_cost(void *ctx, int i)
{
	EntropyCtx *e = ctx;
	return divergence(e->c, e->tail, i, e->levels, e->p, e->q);
}

static double pick_entropy(const Hist *h, double w, double amax, int last, DType grid)
{
	double *p = ir_xmalloc((size_t)last * sizeof *p), *q = ir_xmalloc((size_t)last * sizeof *q);
	double *c = ir_xmalloc((size_t)h->nbins * sizeof *c);
	double *tail = ir_xmalloc(((size_t)h->nbins + 1) * sizeof *tail);
	EntropyCtx e = {c, tail, p, q, grid == DT_I16 ? 32768 : 128};

	/* exact zeros (ReLU's, mostly) sit on the grid whatever t is, and as a
	 * spike in bin 0 they would outweigh the shape of the rest */
	memcpy(c, h->count, (size_t)h->nbins * sizeof *c);
	c[0] -= h->zeros;
	tail[h->nbins] = 0;
	for (int k = h->nbins - 1; k >= 0; k--)
		tail[k] = tail[k + 1] + c[k];

	int i = search(FIRST_CANDIDATE < last ? FIRST_CANDIDATE : last, last, entropy_cost, &e);
	free(c);
	free(p);
	free(q);
	free(tail);
	return i >= 0 && i * w < amax ? i * w : amax;
}

typedef struct {
	const Hist *h;
	double w, amax;
	DType grid;
} MseCtx;

static double mse_cost(void *ctx, int i)
{
	const MseCtx *m = ctx;
	const Hist *h = m->h;
	double w = m->w, t = i * w < m->amax ? i * w : m->amax, s = grid_step(h, t, m->grid);
	double inside = 0, err = 0;

	for (int k = 0; k < i; k++)
		inside += h->count[k];
	inside -= h->zeros;
	err = inside * s * s / 12;
	for (int k = i; k < h->nbins; k++) {
		double dx = (k + 0.5) * w - t;
		err += h->count[k] * dx * dx;
	}
	return err;
}

static double pick_mse(const Hist *h, double w, double amax, int last, DType grid)
{
	MseCtx m = {h, w, amax, grid};
	int i = search(FIRST_CANDIDATE < last ? FIRST_CANDIDATE : last, last, mse_cost, &m);
	return i >= 0 && i * w < amax ? i * w : amax;
}

void calib_choose_range(const Hist *h, const CalibParams *p, DType grid, float *lo, float *hi)
{
	double amax, w, t;
	int last;

	*lo = h->lo;
	*hi = h->hi;
	if (p->method == CALIB_MINMAX || !started(h))
		return;
	amax = -(double)h->lo > h->hi ? -(double)h->lo : h->hi;
	w = ldexp(1, h->exp);
	/* the bin holding amax, counted from 1: candidates end there */
	last = (int)(amax / w) + 1;
	if (last > h->nbins)
		last = h->nbins;
	switch (p->method) {
	case CALIB_PERCENTILE:
		t = pick_percentile(h, w, p->percentile > 0 ? p->percentile : 99.99);
		break;
	case CALIB_ENTROPY: t = pick_entropy(h, w, amax, last, grid); break;
	case CALIB_MSE: t = pick_mse(h, w, amax, last, grid); break;
	default: ICE("calibration method %d has no rule", (int)p->method);
	}
	if (!(t < amax))
		return;
	if (*lo < -t)
		*lo = (float)-t;
	if (*hi > t)
		*hi = (float)t;
}
