/* run_q.c — runs an object compiled with `quantc compile M.tflite --name
 * model` through its storage-type entry point model_run_q on N int8
 * samples, for tests/e2e/tflite_import.sh: a model of one input and one
 * output, int8 in and int8 out, as the .tflite file has them.
 *   usage: run_q N IN.raw OUT.raw
 * IN holds N samples of int8, OUT gets N samples of int8.  Prints the
 * input's and output's scale and zero point from model_model, which the
 * test compares with the file's. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "qrt.h"

extern const qrt_model model_model;
int model_run_q(const int8_t *x, int8_t *y, void *arena);

int main(int argc, char **argv)
{
	const qrt_model *m = &model_model;
	long n = argc == 4 ? strtol(argv[1], NULL, 10) : 0;

	if (n < 1 || m->num_inputs != 1 || m->num_outputs != 1) {
		fprintf(stderr, "run_q: usage: run_q N IN.raw OUT.raw (a model of one input and "
		                "one output)\n");
		return 2;
	}
	size_t ni = m->inputs[0].size, no = m->outputs[0].size;
	size_t align = m->arena_align ? m->arena_align : 16;
	size_t asz = ((size_t)m->arena_size + align) / align * align;
	int8_t *x = malloc(ni * (size_t)n), *y = malloc(no);
	void *arena = aligned_alloc(align, asz);
	FILE *in = fopen(argv[2], "rb"), *out = fopen(argv[3], "wb");
	int rc = 1;

	if (!x || !y || !arena || !in || !out || fread(x, 1, ni * (size_t)n, in) != ni * (size_t)n)
		goto done;
	for (long s = 0; s < n; s++) {
		if (model_run_q(x + (size_t)s * ni, y, arena) != QRT_OK ||
		    fwrite(y, 1, no, out) != no)
			goto done;
	}
	printf("in %.9g %d out %.9g %d\n", (double)m->inputs[0].scale, (int)m->inputs[0].zero_point,
	       (double)m->outputs[0].scale, (int)m->outputs[0].zero_point);
	rc = 0;
done:
	if (in)
		fclose(in);
	if (out && fclose(out))
		rc = 1;
	free(x);
	free(y);
	free(arena);
	return rc;
}
