/* driver.c — a host or qemu-user program that runs any object compiled with
 * `quantc compile --name model` (float in, float out, any precision) on N
 * samples, for the bit-exactness checks of tests/e2e/op_exact.sh and
 * tests/zoo/run.sh.
 *   usage: driver N IN_0.raw .. IN_n-1.raw OUT_0.raw .. OUT_m-1.raw
 * Each IN file holds N samples of the input, float32, sample after sample;
 * each OUT file gets N samples of the output. The sizes come from
 * model_model, so the generated header is not needed; the entry point's
 * arity is chosen at run time (at most 4 inputs and 4 outputs). */
#include <stdio.h>
#include <stdlib.h>

#include "qrt.h"

#define MAXIO 4

extern const qrt_model model_model;
/* Declared without a prototype: its parameter count depends on the model. */
int model_run();

typedef void *P;

/* Calls model_run on one sample: its parameters are the inputs, the outputs
 * and the arena, all pointers, so the call is chosen by their count alone. */
static int run_one(int n, P *a)
{
	switch (n) {
	case 3: return ((int (*)(P, P, P))model_run)(a[0], a[1], a[2]);
	case 4: return ((int (*)(P, P, P, P))model_run)(a[0], a[1], a[2], a[3]);
	case 5: return ((int (*)(P, P, P, P, P))model_run)(a[0], a[1], a[2], a[3], a[4]);
	case 6: return ((int (*)(P, P, P, P, P, P))model_run)(a[0], a[1], a[2], a[3], a[4], a[5]);
	case 7:
		return ((int (*)(P, P, P, P, P, P, P))model_run)(a[0], a[1], a[2], a[3], a[4], a[5],
		                                                 a[6]);
	case 8:
		return ((int (*)(P, P, P, P, P, P, P, P))model_run)(a[0], a[1], a[2], a[3], a[4],
		                                                    a[5], a[6], a[7]);
	case 9:
		return ((int (*)(P, P, P, P, P, P, P, P, P))model_run)(a[0], a[1], a[2], a[3], a[4],
		                                                       a[5], a[6], a[7], a[8]);
	}
	fprintf(stderr, "driver: %d parameters are not handled\n", n);
	return -1;
}

/* Reads exactly n floats from path into a new buffer, or returns NULL. */
static float *read_raw(const char *path, size_t n)
{
	FILE *f = fopen(path, "rb");
	float *buf = malloc(n * 4 + 4);
	int ok = f && buf && fread(buf, 4, n, f) == n && fgetc(f) == EOF;

	if (f)
		fclose(f);
	if (!ok) {
		fprintf(stderr, "driver: %s does not hold exactly %zu floats\n", path, n);
		free(buf);
		return NULL;
	}
	return buf;
}

int main(int argc, char **argv)
{
	const qrt_model *m = &model_model;
	int ni = (int)m->num_inputs, no = (int)m->num_outputs, rc = 1;
	float *x[MAXIO] = {0}, *y[MAXIO] = {0};
	FILE *out[MAXIO] = {0};
	void *arena = NULL;
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;

	if (argc != 2 + ni + no || n < 1 || ni > MAXIO || no > MAXIO) {
		fprintf(stderr, "driver: usage: driver N, then %d input and %d output files\n", ni,
		        no);
		return 2;
	}
	for (int k = 0; k < ni; k++)
		if (!(x[k] = read_raw(argv[2 + k], (size_t)n * m->inputs[k].size)))
			goto done;
	for (int k = 0; k < no; k++)
		if (!(y[k] = calloc(m->outputs[k].size + 1, 4)) ||
		    !(out[k] = fopen(argv[2 + ni + k], "wb")))
			goto done;
	/* aligned_alloc wants a size that is a multiple of the alignment */
	size_t align = m->arena_align ? m->arena_align : 16;
	size_t asz = ((size_t)m->arena_size + align) / align * align;
	if (!(arena = aligned_alloc(align, asz)))
		goto done;
	for (long s = 0; s < n; s++) {
		P a[2 * MAXIO + 1];
		for (int k = 0; k < ni; k++)
			a[k] = x[k] + (size_t)s * m->inputs[k].size;
		for (int k = 0; k < no; k++)
			a[ni + k] = y[k];
		a[ni + no] = arena;
		int st = run_one(ni + no + 1, a);
		if (st != QRT_OK) {
			fprintf(stderr, "driver: model_run returned %d on sample %ld\n", st, s);
			goto done;
		}
		for (int k = 0; k < no; k++)
			if (fwrite(y[k], 4, m->outputs[k].size, out[k]) != m->outputs[k].size)
				goto done;
	}
	rc = 0;
done:
	for (int k = 0; k < MAXIO; k++) {
		free(x[k]);
		free(y[k]);
		if (out[k] && fclose(out[k]))
			rc = 1;
	}
	free(arena);
	return rc;
}
