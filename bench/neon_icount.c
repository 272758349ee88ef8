/* neon_icount.c — the program of bench/neon_icount.sh: one run of a
 * quantc-compiled model (MODEL_run, float in and out) on a fixed
 * pseudo-random input in [0, 1), for counting the instructions of the
 * model's own code under qemu-aarch64 (the runtime's quantize and
 * dequantize are outside it).
 *
 *   aarch64-linux-gnu-gcc -O2 -DMODEL=mlp -DMODEL_UC=MLP -I<dir of mlp.h>
 *      -I<qrt.h dir> neon_icount.c mlp.o <runtime objects> -static
 *
 * Prints "ok STATUS" (MODEL_run's result). */
#include <stdint.h>
#include <stdio.h>

#include "qrt_select.h"

static _Alignas(64) unsigned char arena[ARENA_SIZE + 64];
static float x[IN_SIZE], y[OUT_SIZE];

int main(void)
{
	uint32_t s = 2463534242u; /* xorshift32 */

	for (unsigned i = 0; i < IN_SIZE; i++) {
		s ^= s << 13, s ^= s >> 17, s ^= s << 5;
		x[i] = (float)(s >> 8) / 16777216.0f;
	}
	printf("ok %d\n", RUN(x, y, arena));
	return 0;
}
