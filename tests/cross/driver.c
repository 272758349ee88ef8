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
 * The arena the model gets is exactly NAME_ARENA_SIZE bytes inside a larger
 * static buffer, with guard bytes on both sides (at least 64, filled with a
 * pattern that differs from the arena's fill); the output buffer is guarded
 * the same way.  The arena's address is a multiple of NAME_ARENA_ALIGN but
 * not of twice that, so a model that silently needs more alignment than its
 * header promises faults or computes garbage here.  The guards are checked
 * after every run.  The arena is filled with 0xA5 before every run; image 0
 * is run again at the end with it filled with 0x5A: a model must not depend
 * on what the arena held. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#if defined(__PICOLIBC__) && !defined(__linux__)
#include <semihost.h> /* bare metal: sys_semihost_write0 */
#endif

#if !defined(MODEL) || !defined(MODEL_UC)
#error "define MODEL (the symbol prefix, e.g. cnn) and MODEL_UC (the same in upper case)"
#endif
#include "qrt_select.h"
#include "images.h"

#define GUARD 64u      /* guard bytes after a buffer; before it, GUARD or more */
#define BUF_ALIGN 256u /* of the static buffers */
#define FILL 0xA5      /* the arena's contents before a run */

_Static_assert(IN_SIZE == IMAGE_PIXELS, "images.h does not match the model's input size");
_Static_assert(ARENA_ALIGN > 0 && (ARENA_ALIGN & (ARENA_ALIGN - 1)) == 0,
               "ARENA_ALIGN is not a power of two");
_Static_assert(2 * ARENA_ALIGN <= BUF_ALIGN, "arena alignment above 128 bytes");

/* The arena starts LEAD bytes into its buffer: GUARD or more, a multiple of
 * ARENA_ALIGN and an odd multiple of it, so aligned exactly as promised. */
#define LEAD ((GUARD + 2 * ARENA_ALIGN - 1) / (2 * ARENA_ALIGN) * (2 * ARENA_ALIGN) + ARENA_ALIGN)
#define OUT_BYTES (OUT_SIZE * sizeof(float))

static _Alignas(BUF_ALIGN) unsigned char arena_buf[LEAD + ARENA_SIZE + GUARD];
static _Alignas(BUF_ALIGN) unsigned char ybuf[GUARD + OUT_BYTES + GUARD];
static float x[IN_SIZE];

/* The guard pattern: byte i of a guard holds pattern(i), never FILL, 0x5A or 0 */
static unsigned char pattern(size_t i)
{
	return (unsigned char)(0x11 + (i * 29u) % 61u);
}

static void guard_set(unsigned char *buf, size_t lead, size_t body)
{
	size_t i;
	for (i = 0; i < lead; i++)
		buf[i] = pattern(i);
	for (i = 0; i < GUARD; i++)
		buf[lead + body + i] = pattern(i);
}

/* 0 when the guards of buf (lead bytes before a body of `body` bytes, GUARD
 * after it) hold their pattern; else 1 after naming the first damaged byte */
static int guard_check(const unsigned char *buf, size_t lead, size_t body, uint32_t k,
                       const char *what)
{
	size_t i;
	for (i = 0; i < lead; i++)
		if (buf[i] != pattern(i)) {
			printf("ERROR image %lu: guard damaged: byte %lu before the %s's start was "
			       "written (0x%02x, guard 0x%02x)\n",
			       (unsigned long)k, (unsigned long)(lead - i), what, buf[i],
			       pattern(i));
			return 1;
		}
	for (i = 0; i < GUARD; i++)
		if (buf[lead + body + i] != pattern(i)) {
			printf("ERROR image %lu: guard damaged: byte %lu after the %s's end was "
			       "written (0x%02x, guard 0x%02x)\n",
			       (unsigned long)k, (unsigned long)i, what, buf[lead + body + i],
			       pattern(i));
			return 1;
		}
	return 0;
}

/* The arena is as the header describes it: checked once, before the runs. */
static int arena_as_promised(void)
{
	const unsigned char *a = arena_buf + LEAD;
	int bad = 0;

	if (sizeof arena_buf - LEAD - GUARD != ARENA_SIZE || INFO.arena_size != ARENA_SIZE) {
		printf("ERROR arena: %lu bytes given, header says %lu, model info %lu\n",
		       (unsigned long)(sizeof arena_buf - LEAD - GUARD), (unsigned long)ARENA_SIZE,
		       (unsigned long)INFO.arena_size);
		bad = 1;
	}
	if ((uintptr_t)a % ARENA_ALIGN != 0 || INFO.arena_align != ARENA_ALIGN) {
		printf("ERROR arena: at 0x%lx, not aligned to %lu (model info says %lu)\n",
		       (unsigned long)(uintptr_t)a, (unsigned long)ARENA_ALIGN,
		       (unsigned long)INFO.arena_align);
		bad = 1;
	}
	return bad;
}

/* The output lines, written a few KiB at a time: picolibc's semihosting
 * stdout traps to QEMU once per character, and a layer's 100,000 outputs
 * would take seconds; one SYS_WRITE0 per chunk takes microseconds. */
static char chunk[4096 + 16];
static size_t chunk_len;

static void put_flush(void)
{
	chunk[chunk_len] = 0;
#if defined(__PICOLIBC__) && !defined(__linux__)
	sys_semihost_write0(chunk);
#else
	fputs(chunk, stdout);
	fflush(stdout);
#endif
	chunk_len = 0;
}

/* w as 8 lower-case hex digits, then sep. */
static void put_word(uint32_t w, char sep)
{
	for (int i = 7; i >= 0; i--)
		chunk[chunk_len++] = "0123456789abcdef"[(w >> (4 * i)) & 15];
	chunk[chunk_len++] = sep;
	if (chunk_len >= sizeof chunk - 16)
		put_flush();
}

/* Runs image k with the arena body filled with `fill`; the outputs' bits go
 * to out.  Returns 0, or 1 after printing what went wrong. */
static int run_one(uint32_t k, int fill, uint32_t *out)
{
	size_t i;
	int rc, bad = 0;

	for (i = 0; i < IN_SIZE; i++)
		x[i] = (float)images[k][i] / 255.0f;
	guard_set(arena_buf, LEAD, ARENA_SIZE);
	memset(arena_buf + LEAD, fill, ARENA_SIZE);
	guard_set(ybuf, GUARD, OUT_BYTES);
	memset(ybuf + GUARD, 0, OUT_BYTES);
	rc = RUN(x, (float *)(void *)(ybuf + GUARD), arena_buf + LEAD);
	memcpy(out, ybuf + GUARD, OUT_BYTES);
	if (rc != 0) {
		printf("ERROR image %lu: run returned %d\n", (unsigned long)k, rc);
		bad = 1;
	}
	bad |= guard_check(arena_buf, LEAD, ARENA_SIZE, k, "arena");
	bad |= guard_check(ybuf, GUARD, OUT_BYTES, k, "output");
	return bad;
}

int main(void)
{
	static uint32_t y[OUT_SIZE], first[OUT_SIZE];
	uint32_t k, j;
	int bad = 0;

#ifdef QC_RV_ENABLE_V
	/* bare metal: enable the FPU and the vector unit (mstatus.FS, mstatus.VS) */
	__asm__ volatile(".insn i 0x73, 2, x0, %0, 0x300"
	                 :
	                 : "r"((1u << 13) | (1u << 9))); /* csrs mstatus */
#endif
	printf("model %s: arena %lu bytes aligned to %lu (at +%lu of a %lu-aligned buffer), "
	       "%lu inputs, %lu outputs, %lu images\n",
	       QRT_STR(MODEL), (unsigned long)ARENA_SIZE, (unsigned long)ARENA_ALIGN,
	       (unsigned long)LEAD, (unsigned long)BUF_ALIGN, (unsigned long)IN_SIZE,
	       (unsigned long)OUT_SIZE, (unsigned long)IMAGES_COUNT);
	bad |= arena_as_promised();
	fflush(stdout);   /* what was printed survives a crash or a hang */
	for (k = 0; k < IMAGES_COUNT; k++) {
		bad |= run_one(k, FILL, y);
		for (j = 0; j < OUT_SIZE; j++)
			put_word(y[j], j + 1 < OUT_SIZE ? ' ' : '\n');
		put_flush();
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
