/* npytool.c — compares .npy files for the script tests.
 *   npytool exact A.npy B.npy          same dtype, shape and bytes
 *   npytool rtol TOL A.npy B.npy       f32, |a-b| <= TOL * max(|a|,|b|, 1e-6)
 *   npytool correct LOGITS.npy LABELS.npy   prints the number of rows whose
 *                                          argmax equals the label
 *   npytool head N IN.npy OUT.npy     the first N rows of IN
 * Prints what it found; exit 0 when the property holds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../frontend/frontend.h"

static int load(const char *p, NpyArray *a)
{
	Diag d = {0};
	return fe_npy_read(p, a, &d, loc_file(p));
}

int main(int argc, char **argv)
{
	NpyArray a = {0}, b = {0};
	char s1[96], s2[96];

	if (argc < 4)
		return 2;
	const char *mode = argv[1];
	if (strcmp(mode, "head") == 0) {
		Diag d = {0};
		NpyArray in = {0};
		int64_t rows = atoll(argv[2]);
		if (load(argv[3], &in) || rows < 1 || rows > in.shape.d[0])
			return 2;
		in.shape.d[0] = rows;
		return fe_npy_write(argv[4], in.dt, &in.shape, in.data, &d) ? 2 : 0;
	}
	if (load(argv[argc - 2], &a) || load(argv[argc - 1], &b))
		return 2;
	int64_t n = ir_shape_numel(&a.shape);
	if (strcmp(mode, "correct") == 0) {
		int64_t rows = a.shape.d[0], k = n / rows, ok = 0;
		if (a.dt != DT_F32 || b.dt != DT_I32 || ir_shape_numel(&b.shape) != rows)
			return 2;
		for (int64_t r = 0; r < rows; r++) {
			const float *x = (const float *)a.data + r * k;
			int64_t best = 0;
			for (int64_t j = 1; j < k; j++)
				if (x[j] > x[best])
					best = j;
			ok += best == ((const int32_t *)b.data)[r];
		}
		printf("%lld\n", (long long)ok);
		return 0;
	}
	if (a.dt != b.dt || !ir_shape_eq(&a.shape, &b.shape)) {
		printf("differ: %s%s vs %s%s\n", ir_dtype_name(a.dt), ir_shape_str(&a.shape, s1, 96),
		       ir_dtype_name(b.dt), ir_shape_str(&b.shape, s2, 96));
		return 1;
	}
	if (strcmp(mode, "exact") == 0) {
		size_t es = (size_t)ir_dtype_size(a.dt);
		for (int64_t i = 0; i < n; i++)
			if (memcmp((char *)a.data + i * es, (char *)b.data + i * es, es)) {
				printf("differ: first at element %lld of %lld\n", (long long)i, (long long)n);
				return 1;
			}
		printf("identical: %lld elements of %s%s\n", (long long)n, ir_dtype_name(a.dt), s1);
		return 0;
	}
	if (strcmp(mode, "rtol") == 0 && argc == 5 && a.dt == DT_F32) {
		double tol = atof(argv[2]), worst = 0;
		const float *x = a.data, *y = b.data;
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
	return 2;
}
