/* tests/fuzz/fuzz_npy.c — libFuzzer harness of the .npy reader (ir/npy.c).
 *
 * ir_npy_read only reads files, so each input is written to a file first.
 * An array it accepts must be whole (data for every element), and writing it
 * with ir_npy_write and reading that back must give the same dtype, shape and
 * bytes.  Any violation abort()s.
 */
#include "fuzz_util.h"

static char in_path[600], out_path[600];

/* Odd-sized inputs are read as if npy("...") of a .qg file named them, so
 * both ways of placing a diagnostic run. */
static Loc where(size_t size)
{
	Loc l = {"model.qg", 3, 7};
	return size & 1 ? l : loc_file(in_path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	NpyArray a, b;
	Diag d = fz_diag();

	if (!in_path[0]) {
		fz_path(in_path, sizeof in_path, fz_dir(), "in.npy");
		fz_path(out_path, sizeof out_path, fz_dir(), "out.npy");
	}
	fz_write(in_path, data, size);
	if (ir_npy_read(in_path, &a, &d, where(size)) != 0) {
		if (a.data)
			fz_fail("a failed read left data behind");
		if (d.nerrors == 0)
			fz_fail("a failed read reported no error");
		return 0;
	}
	int64_t bytes = ir_shape_numel(&a.shape) * ir_dtype_size(a.dt);
	if (bytes < 0 || (uint64_t)bytes > size)
		fz_fail("%lld bytes of data from a %zu-byte file", (long long)bytes, size);
	if (ir_npy_write(out_path, a.dt, &a.shape, a.data, &d) != 0)
		fz_fail("cannot write back what was read");
	if (ir_npy_read(out_path, &b, &d, loc_file(out_path)) != 0)
		fz_fail("what ir_npy_write wrote does not read back");
	if (b.dt != a.dt || !ir_shape_eq(&a.shape, &b.shape) ||
	    (bytes && memcmp(a.data, b.data, (size_t)bytes) != 0))
		fz_fail("the array read back differs from the one written");
	ir_npy_free(&a);
	ir_npy_free(&b);
	return 0;
}
