/* tests/fuzz/fuzz_image.c — libFuzzer harness of the calibration image
 * readers (images.c: PNG through libpng, PGM and PPM parsed there) and of
 * the preprocessing of calibration.images.
 *
 * Each input is written as the one file of a folder, which fe_images_read
 * reads as calibration data for an 8x8 input: the shorter side resized to 8,
 * a centre crop of 8x8, scaled, mean and std applied.  Odd-sized inputs feed
 * a gray [1,8,8] input, even-sized ones an rgb [1,3,8,8] one.  A sample it
 * accepts must be finite everywhere.  Any violation abort()s.
 */
#include <math.h>

#include "fuzz_util.h"

static char dir[600], in_path[700];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Diag d = fz_diag();
	FeImageOpts o;
	Value in;
	NpyArray a;

	if (!dir[0]) {
		fz_path(dir, sizeof dir, fz_dir(), "images");
		mkdir(dir, 0777);
		fz_path(in_path, sizeof in_path, dir, "image");
	}
	fz_write(in_path, data, size);
	fe_image_opts_init(&o);
	o.resize[0] = 8;
	o.crop[0] = o.crop[1] = 8;
	o.scale = 1.0 / 255;
	o.mean[0] = 0.5;
	o.std[0] = 0.25;
	o.nmean = o.nstd = 1;
	memset(&in, 0, sizeof in);
	in.name = "x";
	in.has_type = 1;
	in.dt = DT_F32;
	in.shape = size & 1 ? (Shape){3, {1, 8, 8}} : (Shape){4, {1, 3, 8, 8}};
	if (fe_images_read(dir, &o, &in, &a, &d) != 0) {
		if (d.nerrors == 0)
			fz_fail("fe_images_read failed without a diagnostic");
		return 0;
	}
	int64_t n = ir_shape_numel(&a.shape);
	if (a.dt != DT_F32 || a.shape.d[0] != 1 || n != ir_shape_numel(&in.shape))
		fz_fail("one image gave a sample set of %lld values", (long long)n);
	for (int64_t i = 0; i < n; i++)
		if (!isfinite(((const float *)a.data)[i]))
			fz_fail("sample value %lld is not finite", (long long)i);
	ir_npy_free(&a);
	return 0;
}
