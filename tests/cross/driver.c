/* driver.c — runs a quantc-compiled model on the test images embedded in
 * images.h and prints every output's bit pattern, so that the host can
 * compare them with the reference interpreter bit for bit.  One source for
 * every target: bare metal (picolibc, output through semihosting) and Linux
 * (qemu-user).
 *
 *   cc -DMODEL=cnn -DMODEL_UC=CNN -I<dir of cnn.h and images.h> -I<qrt.h dir>
 *      driver.c cnn.o <runtime objects>
 *
 * Output: one line per image of "%08x" words (the float outputs' bits), then
 * "DONE k".  A failed run or a write outside the arena or the output buffer
 * prints an "ERROR" line and makes the exit status 1.
 *
 * Before every run the arena and guard bytes around it are filled with 0xA5,
 * and checked afterwards.  Image 0 is run again at the end with the arena
 * filled with 0x5A: a model must not depend on what the arena held. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#if !defined(MODEL) || !defined(MODEL_UC)
#error "define MODEL (the symbol prefix, e.g. cnn) and MODEL_UC (the same in upper case)"
#endif
#define STR2(x) #x
#define STR(x) STR2(x)
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#include STR(MODEL.h)
#include "images.h"

#define RUN CAT(MODEL, _run)
#define ARENA_SIZE CAT(MODEL_UC, _ARENA_SIZE)
#define IN_SIZE CAT(MODEL_UC, _INPUT0_SIZE)
#define OUT_SIZE CAT(MODEL_UC, _OUTPUT0_SIZE)

#define GUARD 64u   /* guard bytes each side; a multiple of the arena alignment */
#define FILL 0xA5

_Static_assert(IN_SIZE == IMAGE_PIXELS, "images.h does not match the model's input size");
_Static_assert(GUARD % CAT(MODEL_UC, _ARENA_ALIGN) == 0, "arena alignment above 64 bytes");

static _Alignas(64) unsigned char arena[GUARD + ARENA_SIZE + GUARD];
static _Alignas(64) unsigned char ybuf[GUARD + OUT_SIZE * sizeof(float) + GUARD];
static float x[IN_SIZE];

static int guards_intact(const unsigned char *p, size_t body)
{
	size_t i;
	for (i = 0; i < GUARD; i++)
		if (p[i] != FILL || p[GUARD + body + i] != FILL)
			return 0;
	return 1;
}

/* Runs image k with the arena body filled with `fill`; the outputs' bits go
 * to out.  Returns 0, or 1 after printing what went wrong. */
static int run_one(uint32_t k, int fill, uint32_t *out)
{
	size_t i;
	int rc;

	for (i = 0; i < IN_SIZE; i++)
		x[i] = (float)images[k][i] / 255.0f;
	memset(arena, FILL, sizeof arena);
	memset(arena + GUARD, fill, ARENA_SIZE);
	memset(ybuf, FILL, sizeof ybuf);
	rc = RUN(x, (float *)(void *)(ybuf + GUARD), arena + GUARD);
	memcpy(out, ybuf + GUARD, OUT_SIZE * sizeof(float));
	if (rc != 0) {
		printf("ERROR image %lu: run returned %d\n", (unsigned long)k, rc);
		return 1;
	}
	if (!guards_intact(arena, ARENA_SIZE)) {
		printf("ERROR image %lu: bytes outside the arena were written\n", (unsigned long)k);
		return 1;
	}
	if (!guards_intact(ybuf, OUT_SIZE * sizeof(float))) {
		printf("ERROR image %lu: bytes outside the output were written\n", (unsigned long)k);
		return 1;
	}
	return 0;
}

int main(void)
{
	static uint32_t y[OUT_SIZE], first[OUT_SIZE];
	uint32_t k, j;
	int bad = 0;

	printf("model %s: arena %lu bytes, %lu inputs, %lu outputs, %lu images\n", STR(MODEL),
	       (unsigned long)ARENA_SIZE, (unsigned long)IN_SIZE, (unsigned long)OUT_SIZE,
	       (unsigned long)IMAGES_COUNT);
	fflush(stdout);   /* what was printed survives a crash or a hang */
	for (k = 0; k < IMAGES_COUNT; k++) {
		bad |= run_one(k, FILL, y);
		for (j = 0; j < OUT_SIZE; j++)
			printf("%08lx%c", (unsigned long)y[j], j + 1 < OUT_SIZE ? ' ' : '\n');
		fflush(stdout);
		if (k == 0)
			memcpy(first, y, sizeof first);
	}
	bad |= run_one(0, 0x5A, y);
	if (memcmp(y, first, sizeof y)) {
		printf("ERROR image 0: outputs change with the arena's initial contents\n");
		bad = 1;
	}
	printf("DONE %lu\n", (unsigned long)IMAGES_COUNT);
	return bad;
}
