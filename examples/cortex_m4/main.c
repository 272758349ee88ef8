/* main.c — bare-metal Cortex-M4 firmware: classifies the Fashion-MNIST test
 * images embedded in flash (images.h) with a model compiled by quantc, and
 * prints each prediction and the accuracy through semihosting.
 *
 * Everything is static: the weights are in the model's .rodata (flash), the
 * arena and the input/output buffers in .bss (RAM); no heap.  run.sh builds
 * and runs it under QEMU; see README.md. */
#include <stdint.h>
#include <stdio.h>

#ifndef MODEL
#define MODEL cnn
#define MODEL_UC CNN
#endif
#include "qrt_select.h"
#include "images.h"

_Static_assert(IN_SIZE == IMAGE_PIXELS, "images.h does not match the model's input");
_Static_assert(OUT_SIZE == 10, "expected the ten Fashion-MNIST classes");

static const char *const classes[10] = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                        "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                        "Bag",         "Ankle boot"};

static _Alignas(ARENA_ALIGN) uint8_t arena[ARENA_SIZE];
static float x[IN_SIZE], y[OUT_SIZE];

/* Stack measurement: paint the STACK_PROBE bytes below the caller's frame
 * with a pattern, run the model, and find the deepest word it changed.
 * Nothing else runs (no interrupts), so that is the model's peak stack. */
#define STACK_PROBE 16384u
#define PAINT 0xDEADBEEFu

static __attribute__((noinline)) volatile uint32_t *paint_stack(void)
{
	volatile uint32_t *top = (volatile uint32_t *)__builtin_frame_address(0) - 64;
	uint32_t i;
	for (i = 1; i <= STACK_PROBE / 4; i++)
		top[-(int32_t)i] = PAINT;
	return top;
}

static uint32_t stack_used(volatile uint32_t *top)
{
	uint32_t i = STACK_PROBE / 4;
	while (i > 0 && top[-(int32_t)i] == PAINT)
		i--;
	return i * 4;
}

int main(void)
{
	uint32_t i, k, correct = 0, stack = 0;
	volatile uint32_t *top;

	printf("%s on Cortex-M4: %lu bytes of arena, %lu test images\n", INFO.name,
	       (unsigned long)INFO.arena_size, (unsigned long)IMAGES_COUNT);
	for (k = 0; k < IMAGES_COUNT; k++) {
		/* the model was trained on pixel / 255 */
		for (i = 0; i < IN_SIZE; i++)
			x[i] = (float)images[k][i] / 255.0f;
		top = paint_stack();
		int rc = RUN(x, y, arena);
		if (stack_used(top) > stack)
			stack = stack_used(top);
		if (rc != QRT_OK) {
			printf("image %lu: %s_run failed with status %d\n", (unsigned long)k,
			       INFO.name, rc);
			return 1;
		}
		uint32_t pred = qrt_argmax_f32(y, OUT_SIZE), label = image_labels[k];
		correct += pred == label;
		printf("image %3lu: %-11s (label %-11s)%s\n", (unsigned long)k, classes[pred],
		       classes[label], pred == label ? "" : "  <- wrong");
	}
	printf("peak stack of %s_run: about %lu bytes (of %u measured)\n", INFO.name,
	       (unsigned long)stack, STACK_PROBE);
	printf("accuracy: %lu of %lu correct (%lu.%lu%%)\n", (unsigned long)correct,
	       (unsigned long)IMAGES_COUNT, (unsigned long)(correct * 100 / IMAGES_COUNT),
	       (unsigned long)(correct * 1000 / IMAGES_COUNT % 10));
	return 0;
}
