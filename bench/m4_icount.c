/* m4_icount.c — the firmware of bench/cortex_m4_icount.sh: counts the
 * instructions one inference of a quantc-compiled model takes on the
 * mps2-an386 board (Cortex-M4) that QEMU emulates with -icount shift=0.
 *
 *   arm-none-eabi-gcc <boards.sh flags> -DMODEL=cnn -I<dir of cnn.h, images.h>
 *      -I<qrt.h dir> m4_icount.c cnn.o <runtime objects> -o fw.elf
 *   arm-none-eabi-gcc <boards.sh flags> -DMODEL=kws -DMODEL_UC=KWS -DQINPUT=3
 *      -I<dir of kws.h> -I<qrt.h dir> m4_icount.c kws.o <runtime objects> -o fw.elf
 *
 * The first form runs MODEL_run (float in, float out) on the Fashion-MNIST
 * images of images.h.  With QINPUT=N (a model with an int8 input and
 * output, such as an imported int8 TFLite model) it runs MODEL_run_q, int8
 * in and int8 out as TFLite Micro would, on N pseudo-random int8 inputs:
 * the xorshift32 streams of tests/cross/qdriver.c.
 *
 * With -icount shift=0 QEMU's virtual clock advances exactly 1 ns per guest
 * instruction, and the board's CMSDK APB timer 0 (0x40000000, a 32-bit down
 * counter at the 25 MHz peripheral clock) runs on that virtual clock: each
 * of its ticks is a fixed number of instructions (40 there).  The firmware
 * measures that number itself, with a loop of known length (2 instructions
 * per iteration, subs + bne), so that the result does not rest on the
 * board's clock settings; then the ticks of MODEL_run on each image of
 * images.h.  Output (semihosting, to QEMU's stderr):
 *   calib ITERS1 TICKS1 ITERS2 TICKS2     the loop, at two lengths
 *   empty TICKS                           two timer reads back to back
 *   arena BYTES                           the model's NAME_ARENA_SIZE
 *   image K ticks TICKS class C stack S   one inference, K = 0, 1, ...; S the
 *                                         bytes of stack the call used (the
 *                                         stack painted before it, outside
 *                                         the timed part)
 *   layer ID TICKS                        with -DPER_LAYER (an object compiled
 *                                         with --instrument), after image 0:
 *                                         the ticks of each layer
 *   DONE
 * Instructions per tick = 2 (ITERS2 - ITERS1) / (TICKS2 - TICKS1); an
 * inference's count is known to within one tick. */
#include <stdint.h>
#include <stdio.h>

#if !defined(MODEL)
#error "define MODEL, the model's C prefix"
#endif
#include "qrt_select.h"
#ifdef QINPUT
#define IMAGES_COUNT QINPUT
#else
#include "images.h"
#endif

/* CMSDK APB timer 0 of the MPS2 boards: CTRL, VALUE, RELOAD (word offsets) */
#define TIMER0 ((volatile uint32_t *)0x40000000u)
#define T_CTRL 0
#define T_VALUE 1
#define T_RELOAD 2

#define ITERS1 200000u
#define ITERS2 1200000u

static void timer_start(void)
{
	TIMER0[T_CTRL] = 0;
	TIMER0[T_RELOAD] = 0xffffffffu;
	TIMER0[T_VALUE] = 0xffffffffu;
	TIMER0[T_CTRL] = 1; /* enable, no interrupt */
}

static uint32_t timer_now(void)
{
	return TIMER0[T_VALUE];
}

/* n iterations of two instructions, n >= 1 */
static void __attribute__((noinline)) spin(uint32_t n)
{
	__asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
}

static uint32_t ticks_of_spin(uint32_t n)
{
	uint32_t a = timer_now();
	spin(n);
	return a - timer_now(); /* the timer counts down */
}

#ifdef PER_LAYER
/* -DPER_LAYER, with an object compiled with --instrument: the timer at
 * every layer's end (qrt_trace), printed after image 0 as "layer ID TICKS"
 * (the ticks since the previous layer's end, or the call's start) */
#define LAYERS_MAX 1024u
static uint32_t layer_t[LAYERS_MAX], layer_id[LAYERS_MAX], layers;

void qrt_trace(uint32_t id, const void *data, uint32_t bytes)
{
	(void)data, (void)bytes;
	if (layers < LAYERS_MAX)
		layer_t[layers] = TIMER0[T_VALUE], layer_id[layers++] = id;
}
#endif

#define ARENA_MAX (1024u * 1024u) /* of the board's 4 MiB of RAM */
static _Alignas(64) unsigned char arena[ARENA_MAX];
#ifdef QINPUT
#define IMAGE_PIXELS IN_SIZE
static int8_t x[IN_SIZE];
static int8_t y[OUT_SIZE];

/* input k: tests/cross/qdriver.c's bytes */
static void make_input(uint32_t k)
{
	uint32_t s = 0x9E3779B9u * (k + 1), i;
	for (i = 0; i < IN_SIZE; i++) {
		s ^= s << 13;
		s ^= s >> 17;
		s ^= s << 5;
		x[i] = (int8_t)(uint8_t)(s >> 24);
	}
}
#else
static float x[IMAGE_PIXELS];
static float y[16];
#endif

/* Stack: paint STACK_PROBE bytes below main's stack pointer before a call,
 * find the deepest word the call changed after it (nothing else runs). */
#define STACK_PROBE 65536u
#define PAINT 0xDEADBEEFu

static inline __attribute__((always_inline)) uintptr_t stack_pointer(void)
{
	uintptr_t sp;
	__asm__ volatile("mov %0, sp" : "=r"(sp));
	return sp;
}

static inline __attribute__((always_inline)) void paint_stack(uintptr_t sp)
{
	volatile uint32_t *p = (volatile uint32_t *)(sp - STACK_PROBE);
	uint32_t i;
	for (i = 0; i < STACK_PROBE / 4; i++)
		p[i] = PAINT;
}

static uint32_t stack_used(uintptr_t sp)
{
	volatile uint32_t *p = (volatile uint32_t *)(sp - STACK_PROBE);
	uint32_t i = 0;
	while (i < STACK_PROBE / 4 && p[i] == PAINT)
		i++;
	return STACK_PROBE - i * 4;
}

int main(void)
{
	const qrt_model *m = &INFO;
	uint32_t k, i, c;
	uintptr_t sp;

	if (m->outputs[0].size > sizeof y / sizeof y[0] || m->inputs[0].size != IMAGE_PIXELS ||
	    m->arena_size > ARENA_MAX || m->arena_align > 64) {
		printf("ERROR model %s: input %lu, output %lu elements, arena %lu bytes\n", m->name,
		       (unsigned long)m->inputs[0].size, (unsigned long)m->outputs[0].size,
		       (unsigned long)m->arena_size);
		return 1;
	}
	timer_start();
	uint32_t t1 = ticks_of_spin(ITERS1), t2 = ticks_of_spin(ITERS2);
	printf("calib %lu %lu %lu %lu\n", (unsigned long)ITERS1, (unsigned long)t1,
	       (unsigned long)ITERS2, (unsigned long)t2);
	uint32_t a = timer_now(), b = timer_now();
	printf("empty %lu\n", (unsigned long)(a - b));
	printf("arena %lu\n", (unsigned long)m->arena_size);
	for (k = 0; k < IMAGES_COUNT; k++) {
#ifdef QINPUT
		make_input(k);
#else
		for (i = 0; i < IMAGE_PIXELS; i++)
			x[i] = (float)images[k][i] / 255.0f;
#endif
		sp = stack_pointer();
		paint_stack(sp);
#ifdef PER_LAYER
		layers = 0;
#endif
		a = timer_now();
#ifdef QINPUT
		int rc = RUN_Q(x, y, arena);
#else
		int rc = RUN(x, y, arena);
#endif
		b = timer_now();
		if (rc != QRT_OK) {
			printf("ERROR image %lu: run returned %d\n", (unsigned long)k, rc);
			return 1;
		}
#ifdef QINPUT
		for (i = 1, c = 0; i < OUT_SIZE; i++)
			if (y[i] > y[c])
				c = i;
#else
		c = qrt_argmax_f32(y, m->outputs[0].size);
#endif
		printf("image %lu ticks %lu class %lu stack %lu\n", (unsigned long)k,
		       (unsigned long)(a - b), (unsigned long)c, (unsigned long)stack_used(sp));
#ifdef PER_LAYER
		for (i = 0; k == 0 && i < layers; i++)
			printf("layer %lu %lu\n", (unsigned long)layer_id[i],
			       (unsigned long)((i ? layer_t[i - 1] : a) - layer_t[i]));
#endif
	}
	printf("DONE\n");
	return 0;
}
