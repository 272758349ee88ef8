/* driver.c — the generic host program of the ONNX conformance runner: links
 * with any object `quantc compile --name model --precision f32` produced,
 * reads one raw file per model input and writes one per output: float32,
 * or int64 for an int64 input or output (int32 for an int32 index input),
 * uint8_t for a bool mask.
 *   usage: driver IN_0.raw .. IN_n-1.raw OUT_0.raw .. OUT_m-1.raw
 * The sizes come from model_model (qrt_model), so no generated header is
 * needed; the entry point's arity is chosen at run time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qrt.h"

#define MAXIO 4

extern const qrt_model model_model;
/* Declared without a prototype: its parameter count depends on the model. */
int model_run();

typedef const float *In;
typedef float *Out;

/* Reads n elements of esz bytes (index inputs are int64 or int32, the others
 * float32). */
static int read_raw(const char *path, void *buf, uint32_t n, uint32_t esz)
{
	FILE *f = fopen(path, "rb");
	long len;

	if (!f) {
		fprintf(stderr, "driver: cannot open %s\n", path);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	if (len != (long)n * esz || fread(buf, esz, n, f) != n) {
		fprintf(stderr, "driver: %s has %ld bytes, the model wants %u elements of %u\n",
		        path, len, n, esz);
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

/* The bytes of one element of a model input or output: index inputs are
 * int64 (or int32), bool masks uint8_t, the others float32. */
static uint32_t elem_size(qrt_dtype dt)
{
	return dt == QRT_I64 ? 8 : dt == QRT_U8 ? 1 : 4;
}

static int write_raw(const char *path, const void *buf, uint32_t n, uint32_t esz)
{
	FILE *f = fopen(path, "wb");
	int bad;

	if (!f)
		return -1;
	bad = fwrite(buf, esz, n, f) != n;
	return (fclose(f) || bad) ? -1 : 0;
}

/* Calls model_run with ni inputs and no outputs (cases are ni * 10 + no). */
static int call(int ni, int no, In *x, Out *y, void *a)
{
	switch (ni * 10 + no) {
	case 11: return ((int (*)(In, Out, void *))model_run)(x[0], y[0], a);
	case 12: return ((int (*)(In, Out, Out, void *))model_run)(x[0], y[0], y[1], a);
	case 13: return ((int (*)(In, Out, Out, Out, void *))model_run)(x[0], y[0], y[1], y[2], a);
	case 14:
		return ((int (*)(In, Out, Out, Out, Out, void *))model_run)(x[0], y[0], y[1], y[2],
		                                                            y[3], a);
	case 21: return ((int (*)(In, In, Out, void *))model_run)(x[0], x[1], y[0], a);
	case 22: return ((int (*)(In, In, Out, Out, void *))model_run)(x[0], x[1], y[0], y[1], a);
	case 23:
		return ((int (*)(In, In, Out, Out, Out, void *))model_run)(x[0], x[1], y[0], y[1],
		                                                           y[2], a);
	case 24:
		return ((int (*)(In, In, Out, Out, Out, Out, void *))model_run)(
		        x[0], x[1], y[0], y[1], y[2], y[3], a);
	case 31: return ((int (*)(In, In, In, Out, void *))model_run)(x[0], x[1], x[2], y[0], a);
	case 32:
		return ((int (*)(In, In, In, Out, Out, void *))model_run)(x[0], x[1], x[2], y[0],
		                                                          y[1], a);
	case 33:
		return ((int (*)(In, In, In, Out, Out, Out, void *))model_run)(x[0], x[1], x[2],
		                                                               y[0], y[1], y[2], a);
	case 34:
		return ((int (*)(In, In, In, Out, Out, Out, Out, void *))model_run)(
		        x[0], x[1], x[2], y[0], y[1], y[2], y[3], a);
	case 41:
		return ((int (*)(In, In, In, In, Out, void *))model_run)(x[0], x[1], x[2], x[3],
		                                                         y[0], a);
	case 42:
		return ((int (*)(In, In, In, In, Out, Out, void *))model_run)(x[0], x[1], x[2],
		                                                              x[3], y[0], y[1], a);
	case 43:
		return ((int (*)(In, In, In, In, Out, Out, Out, void *))model_run)(
		        x[0], x[1], x[2], x[3], y[0], y[1], y[2], a);
	case 44:
		return ((int (*)(In, In, In, In, Out, Out, Out, Out, void *))model_run)(
		        x[0], x[1], x[2], x[3], y[0], y[1], y[2], y[3], a);
	}
	fprintf(stderr, "driver: %d inputs and %d outputs are not handled\n", ni, no);
	return -1;
}

int main(int argc, char **argv)
{
	const qrt_model *m = &model_model;
	int ni = (int)m->num_inputs, no = (int)m->num_outputs, rc = 1;
	float *x[MAXIO] = {0}, *y[MAXIO] = {0};
	void *arena = NULL;

	if (argc != 1 + ni + no || ni > MAXIO || no > MAXIO) {
		fprintf(stderr, "driver: the model has %d inputs and %d outputs, got %d files\n",
		        ni, no, argc - 1);
		return 2;
	}
	for (int k = 0; k < ni; k++) {
		uint32_t esz = elem_size(m->inputs[k].dtype);
		if (!(x[k] = malloc(m->inputs[k].size * esz + 8)) ||
		    read_raw(argv[1 + k], x[k], m->inputs[k].size, esz))
			goto out;
	}
	for (int k = 0; k < no; k++)
		if (!(y[k] = calloc(m->outputs[k].size + 1,
		                    m->outputs[k].dtype == QRT_I64 ? 8 : 4)))
			goto out;
	/* aligned_alloc wants a size that is a multiple of the alignment */
	size_t align = m->arena_align ? m->arena_align : 16;
	size_t asz = ((size_t)m->arena_size + align) / align * align;
	if (!(arena = aligned_alloc(align, asz)))
		goto out;
	int st = call(ni, no, (In *)x, y, arena);
	if (st != QRT_OK) {
		fprintf(stderr, "driver: model_run returned %d\n", st);
		goto out;
	}
	for (int k = 0; k < no; k++)
		if (write_raw(argv[1 + ni + k], y[k], m->outputs[k].size,
		              elem_size(m->outputs[k].dtype)))
			goto out;
	rc = 0;
out:
	for (int k = 0; k < MAXIO; k++) {
		free(x[k]);
		free(y[k]);
	}
	free(arena);
	return rc;
}
