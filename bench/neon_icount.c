/* neon_icount.c — the program of bench/neon_icount.sh: one run of a
 * quantc-compiled model (MODEL_run_q, int8 in and out, so that only the
 * model's layers run) on a fixed pseudo-random input, for counting the
 * instructions of the model's own code under qemu-aarch64.
 *
 *   aarch64-linux-gnu-gcc -O2 -DMODEL=mlp -DMODEL_UC=MLP -I<dir of mlp.h>
 *      -I<qrt.h dir> neon_icount.c mlp.o <runtime objects> -static
 *
 * Prints "ok STATUS" (MODEL_run_q's result). */
#include <stdint.h>
#include <stdio.h>

#include "qrt_select.h"

static _Alignas(64) unsigned char arena[ARENA_SIZE + 64];
static int8_t x[IN_SIZE], y[OUT_SIZE];

int main(void)
{
	uint32_t s = 2463534242u; /* xorshift32 */

	for (unsigned i = 0; i < IN_SIZE; i++) {
		s ^= s << 13, s ^= s >> 17, s ^= s << 5;
		x[i] = (int8_t)(s >> 24);
	}
	printf("ok %d\n", RUN_Q(x, y, arena));
	return 0;
}
