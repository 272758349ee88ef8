/* driver.c — the target half of the debug-twin tests: runs a model compiled
 * with `quantc compile --instrument` on the images of images.h (made by
 * tests/cross/xtool) and prints its trace in the text form of
 * docs/trace-format.md with printf alone, so that one source serves the host
 * and bare-metal firmware (picolibc, semihosting).
 *
 *   cc -DMODEL=cnn -DMODEL_UC=CNN -I<dir of cnn.h and images.h> -I<qrt.h dir>
 *      driver.c cnn.o <runtime>
 *
 * Output: "H <model> <layers>", then per image "S <k>" and the T records
 * qrt_trace prints, interleaved with the program's own lines ("y <k>: " and
 * the output floats' bits, "class <k>: <c>") that a trace reader must skip;
 * at the end "DONE <images>".  With -DNO_TRACE the program defines no
 * qrt_trace (the runtime's weak no-op is used), which also builds with an
 * uninstrumented object: then only the program's own lines are printed.
 * A failed run, or a write outside the arena (caught by guard bytes around
 * it), prints an "ERROR image <k>: ..." line and makes the exit status 1. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#if !defined(MODEL) || !defined(MODEL_UC)
#error "define MODEL (the symbol prefix, e.g. cnn) and MODEL_UC (the same in upper case)"
#endif
#include "qrt_select.h"
#include "images.h"

_Static_assert(IN_SIZE == IMAGE_PIXELS, "images.h does not match the model's input size");

/* The arena lies between two guards of GUARD bytes holding GUARD_BYTE,
 * checked after every run: the model writes nowhere else. */
#define GUARD 64u
#define GUARD_BYTE 0x3c
_Static_assert(GUARD % QRT_CAT(MODEL_UC, _ARENA_ALIGN) == 0, "arena alignment above 64 bytes");
static _Alignas(64) unsigned char arena_buf[GUARD + ARENA_SIZE + GUARD];
#define arena (arena_buf + GUARD)
static float x[IN_SIZE], y[OUT_SIZE];

#ifndef NO_TRACE
_Static_assert(QRT_CAT(MODEL_UC, _TRACE_LAYERS) > 0, "compile the model with --instrument");

/* "T <layer_id> <bytes> <hex>": the hex goes out in chunks, so that a slow
 * console gets few, long writes. */
void qrt_trace(uint32_t layer_id, const void *data, uint32_t bytes)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = data;
	char chunk[129];
	uint32_t i;
	size_t n = 0;

	printf("T %lu %lu ", (unsigned long)layer_id, (unsigned long)bytes);
	for (i = 0; i < bytes; i++) {
		chunk[n++] = digits[p[i] >> 4];
		chunk[n++] = digits[p[i] & 15];
		if (n == sizeof chunk - 1 || i + 1 == bytes) {
			chunk[n] = 0;
			fputs(chunk, stdout);
			n = 0;
		}
	}
	putchar('\n');
}
#endif

/* 1 when both guards still hold GUARD_BYTE */
static int guards_intact(void)
{
	uint32_t i;
	for (i = 0; i < GUARD; i++)
		if (arena_buf[i] != GUARD_BYTE || arena_buf[GUARD + ARENA_SIZE + i] != GUARD_BYTE)
			return 0;
	return 1;
}

int main(void)
{
	uint32_t k, j, best;
	int bad = 0;

#ifndef NO_TRACE
	printf("H %s %lu\n", INFO.name, (unsigned long)QRT_CAT(MODEL_UC, _TRACE_LAYERS));
#endif
	for (k = 0; k < IMAGES_COUNT; k++) {
		for (j = 0; j < IN_SIZE; j++)
			x[j] = (float)images[k][j] / 255.0f;
#ifndef NO_TRACE
		printf("S %lu\n", (unsigned long)k);
#endif
		memset(arena_buf, GUARD_BYTE, sizeof arena_buf);
		if (RUN(x, y, arena) != 0) {
			printf("ERROR image %lu: run failed\n", (unsigned long)k);
			bad = 1;
		}
		if (!guards_intact()) {
			printf("ERROR image %lu: guard damaged: bytes outside the arena were written\n",
			       (unsigned long)k);
			bad = 1;
		}
		printf("y %lu:", (unsigned long)k);
		for (j = 0, best = 0; j < OUT_SIZE; j++) {
			uint32_t bits;
			memcpy(&bits, &y[j], sizeof bits);
			printf(" %08lx", (unsigned long)bits);
			if (y[j] > y[best])
				best = j;
		}
		printf("\nclass %lu: %lu\n", (unsigned long)k, (unsigned long)best);
		fflush(stdout);
	}
	printf("DONE %lu\n", (unsigned long)IMAGES_COUNT);
	return bad;
}
