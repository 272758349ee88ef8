/* driver.c — runs a quantc-compiled model under valgrind's memcheck, so that
 * any access of the generated code outside the memory it was given, or any
 * use of a byte it never wrote, is reported.  Every buffer the model sees is
 * its own heap block of exactly the documented size: the arena is
 * NAME_ARENA_SIZE bytes from malloc (aligned_alloc when NAME_ARENA_ALIGN is
 * more than malloc guarantees), fresh (undefined to memcheck) for every run;
 * the inputs and outputs are exactly NAME_INPUT0_SIZE / NAME_OUTPUT0_SIZE
 * elements.  Memcheck's red zones around each block then catch a write or
 * read one byte past its end.
 *
 *   cc -DMODEL=cnn -DMODEL_UC=CNN [-DQTYPE=int8_t] -I<dir of cnn.h and
 *      images.h> -I<qrt.h dir> driver.c cnn.o <runtime> -o drv
 *   valgrind --error-exitcode=99 --leak-check=full ./drv
 *
 * images.h comes from tests/cross/xtool.  For every image the model runs
 * through NAME_run and, with QTYPE (the storage type of a quantized model's
 * I/O), through NAME_run_q on the input quantized with the model's own
 * parameters; NAME_run's outputs must equal NAME_run_q's dequantized.
 * Output: one line per image of the float outputs' "%08x" bit patterns (the
 * format tests/cross/xtool compares with the interpreter), then "DONE k".
 * A failure prints an "ERROR" line and makes the exit status 1. */
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif
#endif
#ifndef VALGRIND_CHECK_MEM_IS_DEFINED
#define VALGRIND_CHECK_MEM_IS_DEFINED(p, n) 0
#endif

#if !defined(MODEL) || !defined(MODEL_UC)
#error "define MODEL (the symbol prefix, e.g. cnn) and MODEL_UC (the same in upper case)"
#endif
#include "qrt_select.h"
#include "images.h"

_Static_assert(IN_SIZE == IMAGE_PIXELS, "images.h does not match the model's input size");
_Static_assert((ARENA_ALIGN & (ARENA_ALIGN - 1)) == 0, "ARENA_ALIGN is not a power of two");

static unsigned long image; /* for messages */

static int error(const char *what)
{
	printf("ERROR image %lu: %s\n", image, what);
	return 1;
}

/* An arena of exactly ARENA_SIZE bytes, aligned as the header says. */
static void *arena_alloc(void)
{
	size_t n = ARENA_SIZE ? ARENA_SIZE : 1;
	if (ARENA_ALIGN <= alignof(max_align_t))
		return malloc(n);
	/* aligned_alloc wants a multiple of the alignment; glibc does not */
	return aligned_alloc(ARENA_ALIGN, n);
}

/* 0 when memcheck holds all n bytes at p defined, else 1 after saying so */
static int defined(const void *p, size_t n, const char *what)
{
	size_t bad = (size_t)VALGRIND_CHECK_MEM_IS_DEFINED(p, n);
	if (bad == 0)
		return 0;
	printf("ERROR image %lu: byte %lu of %s is undefined\n", image,
	       (unsigned long)(bad - (size_t)p), what);
	return 1;
}

/* NAME_run on x; the outputs go to out.  0 or 1. */
static int run_float(const float *src, float *out)
{
	float *x = malloc(IN_SIZE * sizeof *x), *y = malloc(OUT_SIZE * sizeof *y);
	void *arena = arena_alloc();
	int bad = 0;

	if (!x || !y || !arena) {
		bad = error("out of memory");
		goto out;
	}
	if ((uintptr_t)arena % ARENA_ALIGN) {
		bad = error("the allocator returned a misaligned arena");
		goto out;
	}
	memcpy(x, src, IN_SIZE * sizeof *x);
	int rc = RUN(x, y, arena);
	if (rc != 0) {
		printf("ERROR image %lu: " QRT_STR(RUN) " returned %d\n", image, rc);
		bad = 1;
		goto out;
	}
	bad |= defined(y, OUT_SIZE * sizeof *y, QRT_STR(RUN) "'s output");
	memcpy(out, y, OUT_SIZE * sizeof *y);
out:
	free(x);
	free(y);
	free(arena);
	return bad;
}

#ifdef QTYPE
/* NAME_run_q on x quantized with the model's input parameters; its outputs
 * dequantized must equal want (NAME_run's).  0 or 1. */
static int run_quantized(const float *src, const float *want)
{
	const qrt_tensor_info *in = &INFO.inputs[0], *o = &INFO.outputs[0];
	QTYPE *x = malloc(IN_SIZE * sizeof *x), *y = malloc(OUT_SIZE * sizeof *y);
	float got[OUT_SIZE];
	void *arena = arena_alloc();
	int bad = 0;

	if (!x || !y || !arena) {
		bad = error("out of memory");
		goto out;
	}
	if (sizeof(QTYPE) == 1) {
		qrt_quantize_s8(src, (int8_t *)(void *)x, IN_SIZE, in->scale, in->zero_point);
	} else {
		qrt_quantize_s16(src, (int16_t *)(void *)x, IN_SIZE, in->scale, in->zero_point);
	}
	int rc = RUN_Q(x, y, arena);
	if (rc != 0) {
		printf("ERROR image %lu: " QRT_STR(RUN_Q) " returned %d\n", image, rc);
		bad = 1;
		goto out;
	}
	if (defined(y, OUT_SIZE * sizeof *y, QRT_STR(RUN_Q) "'s output")) {
		bad = 1;
		goto out;
	}
	if (sizeof(QTYPE) == 1)
		qrt_dequantize_s8((const int8_t *)(void *)y, got, OUT_SIZE, o->scale,
		                  o->zero_point);
	else
		qrt_dequantize_s16((const int16_t *)(void *)y, got, OUT_SIZE, o->scale,
		                   o->zero_point);
	if (memcmp(got, want, sizeof got))
		bad = error(QRT_STR(RUN_Q) "'s outputs dequantized differ from " QRT_STR(RUN) "'s");
out:
	free(x);
	free(y);
	free(arena);
	return bad;
}
#endif

/* The model's description agrees with its header. */
static int info_matches(void)
{
	int bad = 0;
	if (INFO.arena_size != ARENA_SIZE || INFO.arena_align != ARENA_ALIGN)
		bad = error(
		        QRT_STR(INFO) ".arena_size/arena_align differ from the header's macros");
	if (INFO.num_inputs != 1 || INFO.num_outputs != 1 || INFO.inputs[0].size != IN_SIZE ||
	    INFO.outputs[0].size != OUT_SIZE)
		bad = error(QRT_STR(INFO) "'s inputs/outputs differ from the header's macros");
#ifdef QTYPE
	if (INFO.inputs[0].dtype != (sizeof(QTYPE) == 1 ? QRT_I8 : QRT_I16))
		bad = error("QTYPE is not the model's input storage type");
#endif
	return bad;
}

int main(void)
{
	static float x[IN_SIZE], y[OUT_SIZE];
	uint32_t k, j;
	int bad = info_matches();

	printf("model %s: arena %lu bytes aligned to %lu, %lu images%s\n", QRT_STR(MODEL),
	       (unsigned long)ARENA_SIZE, (unsigned long)ARENA_ALIGN, (unsigned long)IMAGES_COUNT,
#ifdef QTYPE
	       ", _run and _run_q"
#else
	       ", _run"
#endif
	);
	for (k = 0; k < IMAGES_COUNT; k++) {
		image = k;
		for (j = 0; j < IN_SIZE; j++)
			x[j] = (float)images[k][j] / 255.0f;
		bad |= run_float(x, y);
#ifdef QTYPE
		bad |= run_quantized(x, y);
#endif
		for (j = 0; j < OUT_SIZE; j++) {
			uint32_t bits;
			memcpy(&bits, &y[j], sizeof bits);
			printf("%08lx%c", (unsigned long)bits, j + 1 < OUT_SIZE ? ' ' : '\n');
		}
	}
	printf("DONE %lu\n", (unsigned long)IMAGES_COUNT);
	return bad;
}
