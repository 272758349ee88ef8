/* time_model.c — bench/run.sh's timing driver: the single-thread, batch-1
 * latency of one quantc-compiled model on the host, and the CPU's clock.
 *
 *   quantc compile cnn.qg --calib calib.npy --name cnn_i8 -o cnn_i8.o
 *   cc -O2 -DMODEL=cnn_i8 -I. -I<quantc>/runtime/include \
 *      bench/time_model.c cnn_i8.o libqrt.a -o time_cnn_i8
 *   ./time_cnn_i8 [-t SECONDS] [-l] INPUT.f32     latency
 *   ./time_cnn_i8 -c                              clock calibration
 *
 * MODEL is the model's C prefix (quantc --name); MODEL.h is included and
 * MODEL_run called with one float input and one float output (every model
 * bench/run.sh measures has one of each; the sizes come from MODEL_model).
 * INPUT.f32 holds exactly the input's floats, raw, host byte order.
 *
 * Latency: warm-up for a quarter of the time budget (at least 20 runs), then
 * timed runs, each alone between two clock_gettime(CLOCK_MONOTONIC) calls,
 * for about SECONDS (default 1; at least 50 runs, at most 200000).  Prints
 *   median_us M min_us m runs N class C
 * (C: the index of the largest output, a check that every engine ran the same
 * model on the same image).  With -l, for an object compiled with
 * --instrument, this program's qrt_trace() (which replaces the runtime's
 * weak one; its qrt_trace_nhwc() replaces the runtime's transposing one)
 * timestamps every trace call, and one more line per trace id
 * gives the median time from the previous call (or from the start of the
 * run, for id 0) to this one: that layer's time:
 *   layer ID median_us M
 * and "layer end median_us M" is the time from the last call to the return
 * (the outputs' dequantization).
 *
 * -c prints the clock frequency measured by a calibrated busy loop (x86-64
 * only: a chain of dependent register-to-register adds, one per cycle on
 * every x86 core since the Pentium Pro, and a chain of dependent imuls,
 * three cycles each, as a cross-check; the best of many short tries, in
 * thread CPU time).  The adds take their step from a register: Intel's
 * cores since Golden Cove fold an add of an immediate at renaming, so a
 * chain of `add $1` ran 6 times faster than the clock on a Xeon here:
 *   clock_add_hz F clock_imul_hz G
 * or "clock unknown" on other machines.
 *
 * -p measures the core's peak in the same way, so that MACs per cycle have a
 * measured denominator rather than a datasheet's: the best rate of 24
 * independent vpdpbusd zmm chains (AVX-512 VNNI: 64 int8 MACs each), and of
 * 16 vmulps zmm beside 16 independent vaddps zmm chains (one f32 multiply
 * and one add per lane: the unfused MAC the f32 kernels must use), per
 * cycle of the add-chain clock.  Enough chains to cover the latencies: with
 * 12 vpdpbusd and 8 vaddps chains this read 1.6 and 1.43 a cycle on a Zen 5
 * core whose f32 conv kernel sustains 1.79 pairs a cycle:
 *   peak_vpdpbusd_per_cycle X peak_mulps_addps_per_cycle Y
 * ("peak unknown" without AVX-512 VNNI). */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef MODEL
#error "define MODEL, the model's C prefix (quantc compile --name)"
#endif
#include "qrt_select.h"

#define MAX_IDS 256       /* trace ids recorded per run */
#define MIN_RUNS 50
#define MAX_RUNS 200000

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Trace timestamps of the current run; recording only while `tracing` */
static int tracing;
static double stamp[MAX_IDS];
static uint32_t max_id_seen;

void qrt_trace(uint32_t layer_id, const void *data, uint32_t bytes)
{
	(void)data;
	(void)bytes;
	if (!tracing || layer_id >= MAX_IDS)
		return;
	stamp[layer_id] = now_s();
	if (layer_id + 1 > max_id_seen)
		max_id_seen = layer_id + 1;
}

/* An NHWC layer (quantc's layout = nhwc): the runtime's version transposes
 * it to NCHW for the trace; timing needs no bytes, so this one replaces it
 * and the layer's time is its kernel's alone. */
void qrt_trace_nhwc(uint32_t layer_id, const void *data, uint32_t bytes, void *buf,
                    uint32_t channels, uint32_t pixels, uint32_t elem_bytes)
{
	(void)buf;
	(void)channels;
	(void)pixels;
	(void)elem_bytes;
	qrt_trace(layer_id, data, bytes);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, long n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "time_model: out of memory\n");
		exit(1);
	}
	return p;
}

static float *read_input(const char *path, uint32_t n)
{
	FILE *f = fopen(path, "rb");
	float *x = xmalloc(n * sizeof *x);
	if (!f || fread(x, sizeof *x, n, f) != n || fgetc(f) != EOF) {
		fprintf(stderr, "%s: not %u raw floats (the model's input)\n", path, n);
		exit(1);
	}
	fclose(f);
	return x;
}

static void run_checked(const float *x, float *y, void *arena)
{
	int rc = RUN(x, y, arena);
	if (rc != QRT_OK) {
		fprintf(stderr, "%s_run failed: %d\n", INFO.name, rc);
		exit(1);
	}
}

/* Per-layer medians from `runs` rows of `ids + 1` durations (the last
 * column: trace end to return) */
static void print_layers(double *lay, long runs, uint32_t ids)
{
	double *col = xmalloc((size_t)runs * sizeof *col);
	for (uint32_t j = 0; j <= ids; j++) {
		for (long r = 0; r < runs; r++)
			col[r] = lay[(size_t)r * (ids + 1) + j];
		double m = median(col, runs) * 1e6;
		if (j < ids)
			printf("layer %u median_us %.3f\n", j, m);
		else
			printf("layer end median_us %.3f\n", m);
	}
	free(col);
}

static int latency(const char *input, double budget, int layers)
{
	const qrt_model *m = &INFO;
	if (m->num_inputs != 1 || m->num_outputs != 1) {
		fprintf(stderr, "time_model: %s has %u inputs and %u outputs; one of each wanted\n",
		        m->name, m->num_inputs, m->num_outputs);
		return 1;
	}
	float *x = read_input(input, m->inputs[0].size);
	float *y = xmalloc(m->outputs[0].size * sizeof *y);
	size_t asize = (m->arena_size + m->arena_align - 1) / m->arena_align * m->arena_align;
	void *arena = aligned_alloc(m->arena_align, asize ? asize : m->arena_align);
	if (!arena) {
		fprintf(stderr, "time_model: out of memory\n");
		return 1;
	}

	/* warm-up: caches, branch predictors, page faults, the clock's ramp */
	long warm = 0;
	double t0 = now_s(), t;
	while ((t = now_s()) - t0 < budget / 4 || warm < 20) {
		run_checked(x, y, arena);
		warm++;
	}
	double per = (t - t0) / (double)warm;
	long runs = (long)(budget / (per > 1e-9 ? per : 1e-9));
	runs = runs < MIN_RUNS ? MIN_RUNS : runs > MAX_RUNS ? MAX_RUNS : runs;

	double *d = xmalloc((size_t)runs * sizeof *d);
	uint32_t ids = 0;
	double *lay = NULL;
	if (layers) {
		/* one traced run to learn how many ids there are */
		tracing = 1;
		run_checked(x, y, arena);
		ids = max_id_seen;
		if (ids == 0) {
			fprintf(stderr, "time_model: -l: the object makes no qrt_trace calls "
			                "(compile it with --instrument)\n");
			return 1;
		}
		lay = xmalloc((size_t)runs * (ids + 1) * sizeof *lay);
	}
	for (long r = 0; r < runs; r++) {
		double a = now_s();
		run_checked(x, y, arena);
		double b = now_s();
		d[r] = b - a;
		if (layers) {
			double *row = lay + (size_t)r * (ids + 1);
			for (uint32_t j = 0; j < ids; j++)
				row[j] = stamp[j] - (j ? stamp[j - 1] : a);
			row[ids] = b - stamp[ids - 1];
		}
	}
	tracing = 0;
	double lo = d[0];
	for (long r = 1; r < runs; r++)
		lo = d[r] < lo ? d[r] : lo;
	printf("median_us %.3f min_us %.3f runs %ld class %u\n", median(d, runs) * 1e6, lo * 1e6,
	       runs, qrt_argmax_f32(y, m->outputs[0].size));
	if (layers)
		print_layers(lay, runs, ids);
	free(lay);
	free(d);
	free(arena);
	free(y);
	free(x);
	return 0;
}

#if defined(__x86_64__)
#include <immintrin.h>

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Thread CPU seconds for `reps` blocks of 1000 dependent adds (imul: 1000
 * imuls): CPU time, not wall time, so that another process sharing the
 * core does not make the clock look slower */
static double chain_s(long reps, int imul)
{
	uint64_t r = 1, step = 1;
	double t0 = cpu_s();
	for (long i = 0; i < reps; i++) {
		if (imul)
			__asm__ volatile(".rept 1000\n\timul %0, %0\n\t.endr" : "+r"(r));
		else
			__asm__ volatile(".rept 1000\n\tadd %1, %0\n\t.endr" : "+r"(r) : "r"(step));
	}
	return cpu_s() - t0;
}

/* The best of many short tries (about 0.3 ms each): most of them run
 * without an interrupt, at the clock the core runs the benchmark at */
static int clock_rate(void)
{
	double add = 0, mul = 0;
	chain_s(100000, 0); /* let the clock ramp up */
	for (int k = 0; k < 300; k++) {
		double a = 1000.0 * 1000 / chain_s(1000, 0);
		double b = 3 * 1000.0 * 350 / chain_s(350, 1);
		add = a > add ? a : add;
		mul = b > mul ? b : mul;
	}
	printf("clock_add_hz %.0f clock_imul_hz %.0f\n", add, mul);
	return 0;
}

/* Thread CPU seconds for reps blocks of 10 x 24 independent vpdpbusd (f32:
 * 10 x 16 vmulps and 16 vaddps, the adds in 16 chains); the operands are
 * 1.0f (no denormals) */
__attribute__((target("avx512f,avx512vnni"))) static double vec_s(long reps, int f32)
{
	__m512 one = _mm512_set1_ps(1.0f);
	double t0 = cpu_s();
	for (long i = 0; i < reps; i++) {
		if (f32)
			__asm__ volatile(".rept 10\n\t"
			                 ".irp r,0,1,2,3,4,5,6,7\n\t"
			                 "vmulps %0, %0, %%zmm\\r\n\t"
			                 "vaddps %0, %%zmm1\\r, %%zmm1\\r\n\t"
			                 "vmulps %0, %0, %%zmm\\r\n\t"
			                 "vaddps %0, %%zmm2\\r, %%zmm2\\r\n\t"
			                 ".endr\n\t.endr"
			                 :
			                 : "v"(one)
			                 : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
			                   "xmm7", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
			                   "xmm15", "xmm16", "xmm17", "xmm20", "xmm21", "xmm22",
			                   "xmm23", "xmm24", "xmm25", "xmm26", "xmm27");
		else
			__asm__ volatile(
			        ".rept 10\n\t"
			        ".irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23\n\t"
			        "vpdpbusd %0, %0, %%zmm\\r\n\t"
			        ".endr\n\t.endr"
			        :
			        : "v"(one)
			        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
			          "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
			          "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21",
			          "xmm22", "xmm23");
	}
	return cpu_s() - t0;
}

static int peak_rate(void)
{
	double add = 0, dp = 0, fm = 0;

	if (!__builtin_cpu_supports("avx512vnni")) {
		printf("peak unknown\n");
		return 0;
	}
	vec_s(20000, 0); /* let the clock ramp up */
	for (int k = 0; k < 300; k++) {
		double a = 1000.0 * 1000 / chain_s(1000, 0);
		double b = 240.0 * 300 / vec_s(300, 0);
		double c = 160.0 * 300 / vec_s(300, 1);
		add = a > add ? a : add;
		dp = b > dp ? b : dp;
		fm = c > fm ? c : fm;
	}
	printf("peak_vpdpbusd_per_cycle %.3f peak_mulps_addps_per_cycle %.3f\n", dp / add,
	       fm / add);
	return 0;
}
#else
static int clock_rate(void)
{
	printf("clock unknown\n");
	return 0;
}

static int peak_rate(void)
{
	printf("peak unknown\n");
	return 0;
}
#endif

int main(int argc, char **argv)
{
	double budget = 1.0;
	int layers = 0;
	const char *input = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-c"))
			return clock_rate();
		else if (!strcmp(argv[i], "-p"))
			return peak_rate();
		else if (!strcmp(argv[i], "-l"))
			layers = 1;
		else if (!strcmp(argv[i], "-t") && i + 1 < argc)
			budget = atof(argv[++i]);
		else if (argv[i][0] != '-' && !input)
			input = argv[i];
		else
			input = NULL, i = argc;
	}
	if (!input || !(budget > 0)) {
		fprintf(stderr, "usage: %s [-t SECONDS] [-l] INPUT.f32 | -c | -p\n", argv[0]);
		return 2;
	}
	return latency(input, budget, layers);
}
