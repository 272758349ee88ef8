/* npytool.c — .npy helpers for the script tests.
 *   npytool exact A.npy B.npy          same dtype, shape and bytes
 *   npytool rtol TOL A.npy B.npy       f32, |a-b| <= TOL * max(|a|,|b|, 1e-6)
 *   npytool correct LOGITS.npy LABELS.npy   prints the number of rows whose
 *                                           argmax equals the label
 *   npytool head N IN.npy OUT.npy      the first N rows of IN
 * Prints what it found; exit 0 when the property holds, 1 when it does not,
 * 2 on bad usage or unreadable files. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "npy.h"

static int load(const char *p, NpyArray *a)
{
	Diag d = {0};
	return ir_npy_read(p, a, &d, loc_file(p));
}

static int head(int64_t rows, const char *in, const char *out, NpyArray *a)
{
	Diag d = {0};
	if (load(in, a) || a->shape.rank < 1 || rows < 1 || rows > a->shape.d[0])
		return 2;
	a->shape.d[0] = rows;
	return ir_npy_write(out, a->dt, &a->shape, a->data, &d) ? 2 : 0;
}

static int correct(const NpyArray *a, const NpyArray *b)
{
	int64_t n = ir_shape_numel(&a->shape), rows = a->shape.d[0], k = n / rows, ok = 0;
	if (a->dt != DT_F32 || b->dt != DT_I32 || ir_shape_numel(&b->shape) != rows)
		return 2;
	for (int64_t r = 0; r < rows; r++) {
		const float *x = (const float *)a->data + r * k;
		int64_t best = 0;
		for (int64_t j = 1; j < k; j++)
			if (x[j] > x[best])
				best = j;
		ok += best == ((const int32_t *)b->data)[r];
	}
	printf("%lld\n", (long long)ok);
	return 0;
}

static int exact(const NpyArray *a, const NpyArray *b)
{
	char s[96];
	int64_t n = ir_shape_numel(&a->shape);
	size_t es = (size_t)ir_dtype_size(a->dt);
	for (int64_t i = 0; i < n; i++)
		if (memcmp((char *)a->data + i * es, (char *)b->data + i * es, es)) {
			printf("differ: first at element %lld of %lld\n", (long long)i,
			       (long long)n);
			return 1;
		}
	printf("identical: %lld elements of %s%s\n", (long long)n, ir_dtype_name(a->dt),
	       ir_shape_str(&a->shape, s, sizeof s));
	return 0;
}

static int rtol(double tol, const NpyArray *a, const NpyArray *b)
{
	int64_t n = ir_shape_numel(&a->shape);
	const float *x = a->data, *y = b->data;
	double worst = 0;
	if (a->dt != DT_F32)
		return 2;
	for (int64_t i = 0; i < n; i++) {
		double m = fmax(fmax(fabs(x[i]), fabs(y[i])), 1e-6);
		double r = fabs((double)x[i] - (double)y[i]) / m;
		if (!(r <= worst))
			worst = r;
	}
	printf("%s: %lld elements, worst relative difference %.3g (tolerance %g)\n",
	       worst <= tol ? "close" : "differ", (long long)n, worst, tol);
	return worst <= tol ? 0 : 1;
}

static int run(int argc, char **argv, NpyArray *a, NpyArray *b)
{
	char s1[96], s2[96];
	const char *mode = argc > 1 ? argv[1] : "";

	if (strcmp(mode, "head") == 0 && argc == 5)
		return head(atoll(argv[2]), argv[3], argv[4], a);
	if (argc < 4 || load(argv[argc - 2], a) || load(argv[argc - 1], b))
		return 2;
	if (strcmp(mode, "correct") == 0)
		return correct(a, b);
	if (a->dt != b->dt || !ir_shape_eq(&a->shape, &b->shape)) {
		printf("differ: %s%s vs %s%s\n", ir_dtype_name(a->dt),
		       ir_shape_str(&a->shape, s1, 96), ir_dtype_name(b->dt),
		       ir_shape_str(&b->shape, s2, 96));
		return 1;
	}
	if (strcmp(mode, "exact") == 0)
		return exact(a, b);
	if (strcmp(mode, "rtol") == 0 && argc == 5)
		return rtol(atof(argv[2]), a, b);
	return 2;
}

int main(int argc, char **argv)
{
	NpyArray a = {0}, b = {0};
	int rc = run(argc, argv, &a, &b);
	ir_npy_free(&a);
	ir_npy_free(&b);
	return rc;
}
