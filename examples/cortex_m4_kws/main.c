/* main.c — bare-metal Cortex-M4 firmware: keyword spotting with the MLPerf
 * Tiny DS-CNN (kws_ref_model.tflite) compiled by quantc.  Runs one
 * inference per test vector of kws_inputs.h (int8 MFCC features, made by
 * make_inputs.py) through kws_run_q, int8 in and int8 out, and prints the
 * class, its score, every int8 output, and the RAM the model uses (arena,
 * and the stack measured around the call); run.sh prints the flash.
 *
 * Everything is static: the weights are in the model's .rodata (flash), the
 * arena in .bss (RAM); no heap, no floating point in the inference (only in
 * printing the scores).  run.sh builds and runs it under QEMU; see
 * README.md. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kws.h"
#include "kws_inputs.h"

_Static_assert(KWS_INPUT0_SIZE == KWS_INPUT_VALUES,
               "kws_inputs.h does not match the model's input");
_Static_assert(KWS_OUTPUT0_SIZE == 12, "expected the twelve classes of the MLPerf Tiny KWS model");

/* the model's output order (the MLPerf Tiny keyword-spotting training labels) */
static const char *const labels[12] = {"down",  "go",   "left", "no",  "off",     "on",
                                       "right", "stop", "up",   "yes", "silence", "unknown"};

static _Alignas(KWS_ARENA_ALIGN) uint8_t arena[KWS_ARENA_SIZE];
static int8_t y[KWS_OUTPUT0_SIZE];

/* Stack measurement: main paints the STACK_PROBE bytes below its own stack
 * pointer with a pattern, calls the model, and finds the deepest word it
 * changed; the model's peak stack is the distance from main's stack pointer
 * to that word (the call's own frame included).  Nothing else runs (no
 * interrupts), and the painting is inlined into main and touches only
 * memory below its stack pointer, which no live frame uses. */
#define STACK_PROBE 16384u
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

static uint32_t float_bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	return u;
}

/* v with `digits` decimals (1..6); picolibc's printf here is integer-only */
static void print_fixed(float v, int digits)
{
	uint32_t scale = 1, whole, frac;
	int d;
	if (v < 0) {
		printf("-");
		v = -v;
	}
	for (d = 0; d < digits; d++)
		scale *= 10;
	uint32_t all = (uint32_t)(v * (float)scale + 0.5f);
	whole = all / scale;
	frac = all % scale;
	printf("%lu.%0*lu", (unsigned long)whole, digits, (unsigned long)frac);
}

static void print_tensor(const char *what, const qrt_tensor_info *t)
{
	uint32_t d;
	printf("%s int8 [", what);
	for (d = 0; d < t->rank; d++)
		printf("%s%lu", d ? "," : "", (unsigned long)t->shape[d]);
	printf("]: scale ");
	print_fixed(t->scale, 6);
	printf(" (float bits %08lx), zero point %ld\n", (unsigned long)float_bits(t->scale),
	       (long)t->zero_point);
}

int main(void)
{
	const qrt_tensor_info *in = &kws_model.inputs[0], *out = &kws_model.outputs[0];
	uint32_t k, i, stack = 0;
	uintptr_t sp;

	printf("kws on Cortex-M4: %lu test vectors of %lu int8 MFCC values\n",
	       (unsigned long)KWS_INPUTS_COUNT, (unsigned long)KWS_INPUT_VALUES);
	print_tensor("input", in);
	print_tensor("output", out);
	/* the vectors were quantized for the model's own input quantization */
	if (in->dtype != QRT_I8 || out->dtype != QRT_I8 || in->scale != KWS_INPUT_SCALE ||
	    in->zero_point != KWS_INPUT_ZERO_POINT) {
		printf("ERROR: kws_inputs.h was made for scale %08lx, zero point %d; run "
		       "make_inputs.py for this model\n",
		       (unsigned long)float_bits(KWS_INPUT_SCALE), KWS_INPUT_ZERO_POINT);
		return 1;
	}
	for (k = 0; k < KWS_INPUTS_COUNT; k++) {
		sp = stack_pointer();
		paint_stack(sp);
		int rc = kws_run_q(kws_inputs[k], y, arena);
		if (stack_used(sp) > stack)
			stack = stack_used(sp);
		if (rc != QRT_OK) {
			printf("vector %lu: kws_run_q failed with status %d\n", (unsigned long)k,
			       rc);
			return 1;
		}
		uint32_t best = 0; /* the first of equal maxima, as numpy's argmax */
		for (i = 1; i < KWS_OUTPUT0_SIZE; i++)
			if (y[i] > y[best])
				best = i;
		printf("vector %lu (%s): class %lu (%s), score %d = ", (unsigned long)k,
		       kws_input_names[k], (unsigned long)best, labels[best], y[best]);
		print_fixed((float)(y[best] - out->zero_point) * out->scale, 3);
		printf("\n  int8 outputs:");
		for (i = 0; i < KWS_OUTPUT0_SIZE; i++)
			printf(" %d", y[i]);
		printf("\n");
	}
	printf("peak stack of kws_run_q: %lu bytes (of %u bytes measured)\n", (unsigned long)stack,
	       STACK_PROBE);
	printf("RAM of the model: %lu bytes of arena + %lu bytes of stack = %lu bytes\n",
	       (unsigned long)KWS_ARENA_SIZE, (unsigned long)stack,
	       (unsigned long)(KWS_ARENA_SIZE + stack));
	return 0;
}
