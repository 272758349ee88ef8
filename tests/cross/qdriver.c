/* qdriver.c — runs a quantc-compiled int8 model through NAME_run_q on
 * SAMPLES pseudo-random int8 inputs and prints every output byte, so that
 * the host can compare them with the reference interpreter bit for bit.
 * For models whose interface is int8 (a pre-quantized TFLite model: its own
 * int8 input and output tensors are the NAME_run_q interface).  One source
 * for every target: bare metal (picolibc, semihosting) and Linux.
 *
 *   cc -DMODEL=kws -DMODEL_UC=KWS [-DSAMPLES=3] -I<dir of kws.h> -I<qrt.h dir>
 *      qdriver.c kws.o <runtime objects>
 *
 * Input k (k = 0 .. SAMPLES-1) is the byte stream of an xorshift32 generator
 * seeded with 0x9E3779B9 * (k + 1): each byte is the top 8 bits of the next
 * state, read as int8.  tests/cross/qtool.py makes the same bytes on the
 * host.  Output (stdout; semihosting on bare metal):
 *   in i8 SCALE_BITS ZERO_POINT SHAPE        the input's quantization and shape
 *   out i8 SCALE_BITS ZERO_POINT SHAPE       the output's
 *   y K HEX...                               output bytes of input K, 2 hex digits each
 *   DONE SAMPLES
 * SCALE_BITS is the float scale's bit pattern in hex, SHAPE the dimensions
 * joined by commas (1,49,10,1).  A failed run, a write
 * outside the arena or the output, or outputs that change with the arena's
 * initial contents print an "ERROR" line and make the exit status 1. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#if !defined(MODEL) || !defined(MODEL_UC)
#error "define MODEL (the symbol prefix, e.g. kws) and MODEL_UC (the same in upper case)"
#endif
#include "qrt_select.h"

#ifndef SAMPLES
#define SAMPLES 3
#endif
#define GUARD 64u /* guard bytes on both sides of the arena and the output */

static _Alignas(64) unsigned char arena_buf[GUARD + ARENA_SIZE + GUARD];
static _Alignas(64) int8_t ybuf[GUARD + OUT_SIZE + GUARD];
static int8_t x[IN_SIZE];
static int8_t first[OUT_SIZE];

_Static_assert(GUARD % ARENA_ALIGN == 0, "arena alignment above 64 bytes");

static uint32_t xorshift32(uint32_t s)
{
	s ^= s << 13;
	s ^= s >> 17;
	s ^= s << 5;
	return s;
}

static void make_input(uint32_t k)
{
	uint32_t s = 0x9E3779B9u * (k + 1), i;
	for (i = 0; i < IN_SIZE; i++) {
		s = xorshift32(s);
		x[i] = (int8_t)(uint8_t)(s >> 24);
	}
}

static unsigned char guard_byte(uint32_t i)
{
	return (unsigned char)(0x11 + (i * 29u) % 61u);
}

static void guards_set(unsigned char *b, uint32_t body)
{
	uint32_t i;
	for (i = 0; i < GUARD; i++)
		b[i] = b[GUARD + body + i] = guard_byte(i);
}

static int guards_ok(const unsigned char *b, uint32_t body)
{
	uint32_t i;
	for (i = 0; i < GUARD; i++)
		if (b[i] != guard_byte(i) || b[GUARD + body + i] != guard_byte(i))
			return 0;
	return 1;
}

static uint32_t bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	return u;
}

static void print_info(const char *what, const qrt_tensor_info *t)
{
	uint32_t d;
	printf("%s i8 %08lx %ld ", what, (unsigned long)bits(t->scale), (long)t->zero_point);
	for (d = 0; d < t->rank; d++)
		printf("%s%lu", d ? "," : "", (unsigned long)t->shape[d]);
	printf("\n");
}

/* runs input k with the arena filled with `fill`; 0 or 1 after an ERROR line */
static int run_one(uint32_t k, int fill)
{
	int8_t *y = ybuf + GUARD;
	int rc;

	make_input(k);
	guards_set(arena_buf, ARENA_SIZE);
	memset(arena_buf + GUARD, fill, ARENA_SIZE);
	guards_set((unsigned char *)ybuf, OUT_SIZE);
	memset(y, 0, OUT_SIZE);
	rc = RUN_Q(x, y, arena_buf + GUARD);
	if (rc != QRT_OK) {
		printf("ERROR input %lu: %s_run_q returned %d\n", (unsigned long)k, INFO.name, rc);
		return 1;
	}
	if (!guards_ok(arena_buf, ARENA_SIZE) || !guards_ok((unsigned char *)ybuf, OUT_SIZE)) {
		printf("ERROR input %lu: a write outside the arena or the output\n",
		       (unsigned long)k);
		return 1;
	}
	return 0;
}

int main(void)
{
	const qrt_tensor_info *in = &INFO.inputs[0], *out = &INFO.outputs[0];
	uint32_t k, j;
	int bad = 0;

	if (INFO.num_inputs != 1 || INFO.num_outputs != 1 || in->dtype != QRT_I8 ||
	    out->dtype != QRT_I8) {
		printf("ERROR model %s: this driver takes one int8 input and one int8 output\n",
		       INFO.name);
		return 1;
	}
	print_info("in", in);
	print_info("out", out);
	fflush(stdout);
	for (k = 0; k < SAMPLES; k++) {
		if (run_one(k, 0xA5)) {
			bad = 1;
			continue;
		}
		printf("y %lu ", (unsigned long)k);
		for (j = 0; j < OUT_SIZE; j++)
			printf("%02x", (unsigned)(uint8_t)ybuf[GUARD + j]);
		printf("\n");
		fflush(stdout);
		if (k == 0)
			memcpy(first, ybuf + GUARD, OUT_SIZE);
	}
	/* a model must not depend on what the arena held */
	bad |= run_one(0, 0x5A);
	if (!bad && memcmp(first, ybuf + GUARD, OUT_SIZE)) {
		printf("ERROR input 0: outputs change with the arena's initial contents\n");
		bad = 1;
	}
	printf("DONE %u\n", (unsigned)SAMPLES);
	return bad;
}
