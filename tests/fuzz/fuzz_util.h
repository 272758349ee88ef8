/* tests/fuzz/fuzz_util.h — what the libFuzzer harnesses share: a private
 * scratch folder, writing the input to a file (for readers that only read
 * files), a Diag that prints nowhere, a property check that aborts (a
 * finding for libFuzzer) with a message, and the checks every accepted graph
 * goes through (verifies; prints, parses back, prints the same; infer-shapes).
 *
 * Set QC_FUZZ_VERBOSE=1 to see the diagnostics while reproducing a case. */
#ifndef QUANTC_FUZZ_UTIL_H
#define QUANTC_FUZZ_UTIL_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frontend.h"
#include "passes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A folder of this process under $TMPDIR, made on first use and left behind
 * (run.sh points TMPDIR at a folder it removes). */
static inline const char *fz_dir(void)
{
	static char path[512];

	if (!path[0]) {
		const char *t = getenv("TMPDIR");
		snprintf(path, sizeof path, "%s/qc-fuzz-XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(path)) {
			perror("fuzz: mkdtemp");
			abort();
		}
	}
	return path;
}

/* dir/name, into buf */
static inline char *fz_path(char *buf, size_t n, const char *dir, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
	return buf;
}

static inline void fz_write(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "wb");

	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

/* Where diagnostics go: nowhere, unless QC_FUZZ_VERBOSE is set. */
static inline Diag fz_diag(void)
{
	static FILE *sink;
	Diag d = {0};

	if (getenv("QC_FUZZ_VERBOSE"))
		return d; /* stderr */
	if (!sink && !(sink = fopen("/dev/null", "w"))) {
		perror("/dev/null");
		abort();
	}
	d.out = sink;
	d.quiet = 1;
	return d;
}

/* A property of the code under test failed: say which, then abort(). */
static inline void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static inline void fz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz property violated: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* g printed (large and non-finite constants go to npy files in out_dir);
 * malloc'd. */
static inline char *fz_print(Graph *g, size_t *len, const char *out_dir)
{
	PrintOptions po = {NULL, 0, out_dir, NULL};
	Diag d = fz_diag();
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f)
		abort();
	if (ir_print(f, g, &po, &d) != 0)
		fz_fail("ir_print failed (writing an npy file to %s)", out_dir);
	fclose(f);
	return text;
}

/* The printed form of g (the `what` graph) must parse back and print the
 * same bytes (print.c promises a canonical form); returns the graph read
 * back. */
static inline Graph *fz_round_trip(Graph *g, const char *what, const char *out_dir)
{
	size_t n1, n2;
	char *t1 = fz_print(g, &n1, out_dir);
	Diag d = fz_diag();
	Graph *h = fe_parse_string(t1, n1, "<printed>", out_dir, &d);

	if (!h) {
		Diag loud = {0};
		fprintf(stderr, "---- printed %s graph:\n%s----\n", what, t1);
		ir_graph_free(fe_parse_string(t1, n1, "<printed>", out_dir, &loud));
		fz_fail("the printed %s graph does not parse back", what);
	}
	char *t2 = fz_print(h, &n2, out_dir);
	if (n1 != n2 || memcmp(t1, t2, n1) != 0) {
		fprintf(stderr, "---- printed %s graph:\n%s---- printed again:\n%s----\n", what, t1,
		        t2);
		fz_fail("printing the %s graph read back gives other text", what);
	}
	free(t1);
	free(t2);
	return h;
}

/* infer-shapes as the driver gives it to the ONNX importer (FeReadOptions) */
static inline int fz_infer_hook(Graph *g, Diag *d)
{
	PassContext ctx = {.precision = PREC_F32};
	PassOptions o = {&ctx, NULL};

	return pass_infer_shapes(g, &o, d);
}

/* infer-shapes on g: 0, or -1 (its diagnostics go nowhere) */
static inline int fz_infer(Graph *g)
{
	PassContext ctx = {.precision = PREC_INT8};
	PassOptions o = {&ctx, NULL};
	Diag d = fz_diag();

	return pass_infer_shapes(g, &o, &d);
}

static inline void fz_check_verifies(Graph *g, const char *what)
{
	Diag d = fz_diag();

	if (ir_verify(g, &d)) {
		Diag loud = {0};
		ir_verify(g, &loud);
		fz_fail("the %s graph does not verify", what);
	}
}

#endif
