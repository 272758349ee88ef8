/* rvv_icount.c — the program of bench/rvv_icount.sh: runs a quantc-compiled
 * model K times (argv[1], default 1) on a fixed input, so that the
 * difference of QEMU's instruction counts of two values of K is what K
 * inferences cost, without the program's start and exit.
 *
 *   riscv64-linux-gnu-gcc -O2 -static -DHDR='"m.h"' -DARENA=M_ARENA_SIZE
 *      -DNIN=... -DNOUT=... -DRUN=m_run_q [-DT=float] rvv_icount.c m.o <runtime>
 *
 * RUN is NAME_run_q (int8 in and out, T int8_t, the default) or NAME_run
 * (T float); NIN and NOUT are the input's and output's elements. */
#include <stdint.h>
#include <stdlib.h>

#include HDR

#ifndef T
#define T int8_t
#endif

static _Alignas(64) unsigned char arena[ARENA];
static T x[NIN], y[NOUT];

int main(int argc, char **argv)
{
	int k = argc > 1 ? atoi(argv[1]) : 1;

	for (int i = 0; i < NIN; i++) /* a fixed pattern over the int8 range */
		x[i] = (T)(int8_t)(i * 37 + 11);
	for (int i = 0; i < k; i++)
		RUN(x, y, arena);
	return (int)y[0] & 1;
}
