/* ir/npy.h — numpy's .npy files (npy.c): the tensor file format of weights
 * named by a model, calibration data, `quantc run`'s inputs and outputs and
 * the dumps' large constants.  It sits in ir/ because the IR printer writes
 * it; every layer above may read and write it. */
#ifndef QUANTC_NPY_H
#define QUANTC_NPY_H

#include "ir.h"

typedef struct {
	DType dt;
	Shape shape;
	void *data; /* ir_xmalloc'd, numel * dtype size, host (little-endian) order */
} NpyArray;

/* Reads a version 1.0/2.0/3.0 .npy: dtypes <f4 (f32), |i1 (i8), <i2, <i4,
 * <i8, |u1; fortran_order False; little-endian.  Anything else is an error
 * reported at loc (or at the file when loc.line == 0). Returns 0 on success. */
int ir_npy_read(const char *path, NpyArray *out, Diag *d, Loc loc);
int ir_npy_write(const char *path, DType dt, const Shape *s, const void *data, Diag *d);
/* As ir_npy_write, a u8 mask (bytes 0 or 1) as numpy bool ('|b1'). */
int ir_npy_write_bool(const char *path, const Shape *s, const uint8_t *data, Diag *d);
void ir_npy_free(NpyArray *a);

/* Samples for a model input: how many samples an array shaped `data` holds
 * for an input shaped `in` (docs/onnx.md, "The batch dimension"):
 *   - [S, ...in]: S samples, each the model's whole input (any batch size);
 *   - exactly `in`: one sample;
 *   - `in` with its first dimension 1 and the array's first dimension S
 *     ([S,3,7,5] for [1,3,7,5]): S samples, one along the batch axis.
 * Returns S >= 1 and sets *stacked to 1 for the first form (the outputs then
 * stack the same way: [S, ...out]), or returns 0 when the shapes do not fit. */
int64_t ir_npy_samples(const Shape *data, const Shape *in, int *stacked);

#endif
