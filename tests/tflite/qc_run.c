/* qc_run.c — the quantc side of tests/e2e/tflite_armnn.sh: runs a compiled
 * model (host object) over samples read from a raw file and writes its
 * outputs, and, when the object was compiled with --instrument, every traced
 * tensor, as raw files the comparison (tests/tflite/compare_armnn.py) reads.
 *
 *   cc -DMODEL=m -DMODEL_UC=M [-DFLOAT_IO] -I<dir of m.h> -I<qrt.h dir>
 *      qc_run.c m.o libqrt.a
 *   qc_run IN.bin N OUT.bin [TRACE.bin]
 *
 * IN.bin holds N samples of input 0, back to back, in the element type of
 * the entry point: MODEL_run_q's storage type (int8 for an int8 model: the
 * model's own quantization) by default, float with -DFLOAT_IO (MODEL_run,
 * which quantizes and dequantizes at the edges).  OUT.bin gets N outputs
 * (output 0) the same way.  TRACE.bin gets every qrt_trace call as a record:
 * uint32 layer id, uint32 byte count, the bytes (docs/trace-format.md's
 * layer ids; little-endian, as every quantc target). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "qrt_select.h"

#ifdef FLOAT_IO
typedef float elem;
#define ENTRY RUN
#else
typedef int8_t elem;
#define ENTRY RUN_Q
#endif

static _Alignas(64) unsigned char arena[ARENA_SIZE + 1];
static FILE *trace;

void qrt_trace(uint32_t layer_id, const void *data, uint32_t bytes)
{
	uint32_t head[2] = {layer_id, bytes};

	if (trace &&
	    (fwrite(head, sizeof head, 1, trace) != 1 || fwrite(data, 1, bytes, trace) != bytes)) {
		fprintf(stderr, "qc_run: cannot write the trace\n");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	static elem x[IN_SIZE], y[OUT_SIZE];
	FILE *in, *out;
	long n, k;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: qc_run IN.bin N OUT.bin [TRACE.bin]\n");
		return 2;
	}
#ifndef FLOAT_IO
	if (INFO.inputs[0].dtype != QRT_I8 || INFO.outputs[0].dtype != QRT_I8) {
		fprintf(stderr,
		        "qc_run: input 0 and output 0 must be int8 (else build with -DFLOAT_IO)\n");
		return 1;
	}
#endif
	n = strtol(argv[2], NULL, 10);
	in = fopen(argv[1], "rb");
	out = fopen(argv[3], "wb");
	trace = argc == 5 ? fopen(argv[4], "wb") : NULL;
	if (!in || !out || (argc == 5 && !trace)) {
		fprintf(stderr, "qc_run: cannot open the files\n");
		return 1;
	}
	for (k = 0; k < n; k++) {
		if (fread(x, sizeof x, 1, in) != 1) {
			fprintf(stderr, "qc_run: %s holds fewer than %ld samples\n", argv[1], n);
			return 1;
		}
		if (ENTRY(x, y, arena) != 0) {
			fprintf(stderr, "qc_run: sample %ld: the run failed\n", k);
			return 1;
		}
		if (fwrite(y, sizeof y, 1, out) != 1) {
			fprintf(stderr, "qc_run: cannot write %s\n", argv[3]);
			return 1;
		}
	}
	if (fclose(out) != 0 || (trace && fclose(trace) != 0)) {
		fprintf(stderr, "qc_run: cannot write the outputs\n");
		return 1;
	}
	fclose(in);
	return 0;
}
