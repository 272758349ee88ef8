/* tests/fuzz/fuzz_qg.c — libFuzzer harness of the .qg reader (lexer.l,
 * parser.y, qg_*.c) and of what runs on every graph it accepts.
 *
 * Each input is parsed twice, from memory (fe_parse_string) and from a file
 * (fe_parse_file, which scans in place), and both must agree.  An accepted
 * graph must verify; it is printed and must parse back, and printing that
 * must give the same bytes (print.c promises a canonical form); infer-shapes
 * runs on it and, if it succeeds, the typed graph must verify, print, parse
 * back and infer again.  Any violation abort()s.
 *
 * npy("...") reads files: the harness works in a private folder holding
 * small fixtures under the names the seed corpus uses (data/w23.npy,
 * weights/mlp/fc1.weight.npy, ...), and skips inputs whose strings could
 * leave that folder (absolute paths, "..").
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <math.h>

#include "fuzz_util.h"

static char in_dir[600], in_path[700], out_dir[600];

/* A .npy file with the given header fields and nbytes of data (fewer than
 * the shape needs makes a truncated file). */
static void put_npy(const char *rel, const char *descr, const char *order, const char *shape,
                    size_t nbytes, const void *data)
{
	char path[800], hdr[256];
	unsigned char *buf;
	int n = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }",
	                 descr, order, shape);

	while ((10 + n + 1) % 64)
		hdr[n++] = ' ';
	hdr[n++] = '\n';
	buf = malloc(10 + (size_t)n + nbytes);
	memcpy(buf, "\x93NUMPY\x01\x00", 8);
	buf[8] = (unsigned char)(n & 0xff);
	buf[9] = (unsigned char)(n >> 8);
	memcpy(buf + 10, hdr, (size_t)n);
	for (size_t i = 0; i < nbytes; i++) /* small positive floats, or the data given */
		buf[10 + n + i] = data ? ((const unsigned char *)data)[i]
		                       : (unsigned char)(i * 7 % 61);
	fz_write(fz_path(path, sizeof path, in_dir, rel), buf, 10 + (size_t)n + nbytes);
	free(buf);
}

static void make_fixtures(void)
{
	static const float odd[6] = {NAN, INFINITY, -INFINITY, -0.0f, 1e-45f, 3e38f};
	static const float tiny[4] = {1e-45f, 1e-40f, -1.17549421e-38f, 1.17549435e-38f};
	static const char *const dirs[] = {"data", "weights", "weights/mlp", "weights/cnn"};
	char path[800];

	snprintf(in_dir, sizeof in_dir, "%s/in", fz_dir());
	snprintf(out_dir, sizeof out_dir, "%s/out", fz_dir());
	snprintf(in_path, sizeof in_path, "%s/model.qg", in_dir);
	mkdir(in_dir, 0777);
	mkdir(out_dir, 0777);
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		mkdir(fz_path(path, sizeof path, in_dir, dirs[i]), 0777);
	/* tests/bad's fixtures (tests/bad/data/make_npy.py) */
	put_npy("data/w23.npy", "<f4", "False", "(2, 3)", 24, NULL);
	put_npy("data/be.npy", ">f4", "False", "(2, 3)", 24, NULL);
	put_npy("data/f64.npy", "<f8", "False", "(2, 3)", 48, NULL);
	put_npy("data/fortran.npy", "<f4", "True", "(2, 3)", 24, NULL);
	put_npy("data/trunc.npy", "<f4", "False", "(2, 3)", 20, NULL);
	fz_write(fz_path(path, sizeof path, in_dir, "data/notnpy.npy"), "PK\x03\x04 not npy\n", 14);
	/* more dtypes and the floats a printer must take care of */
	put_npy("data/odd.npy", "<f4", "False", "(6,)", sizeof odd, odd);
	put_npy("data/odd23.npy", "<f4", "False", "(2, 3)", sizeof odd, odd);
	put_npy("data/tiny.npy", "<f4", "False", "(4,)", sizeof tiny, tiny); /* subnormal */
	put_npy("data/i8.npy", "|i1", "False", "(2, 3)", 6, NULL);
	put_npy("data/u8.npy", "|u1", "False", "(4,)", 4, NULL);
	put_npy("data/i16.npy", "<i2", "False", "(2, 3)", 12, NULL);
	put_npy("data/i32.npy", "<i4", "False", "(3,)", 12, NULL);
	put_npy("data/i64.npy", "<i8", "False", "(2,)", 16, NULL);
	put_npy("data/scalar.npy", "<f4", "False", "()", 4, NULL);
	/* examples/fashion_mnist's weights, at the smaller size of the seeds
	 * (tests/fuzz/make_corpus.sh) */
	put_npy("weights/mlp/fc1.weight.npy", "<f4", "False", "(8, 16)", 8 * 16 * 4, NULL);
	put_npy("weights/mlp/fc1.bias.npy", "<f4", "False", "(8,)", 8 * 4, NULL);
	put_npy("weights/mlp/fc2.weight.npy", "<f4", "False", "(10, 8)", 10 * 8 * 4, NULL);
	put_npy("weights/mlp/fc2.bias.npy", "<f4", "False", "(10,)", 10 * 4, NULL);
	put_npy("weights/cnn/c1.weight.npy", "<f4", "False", "(4, 1, 3, 3)", 4 * 9 * 4, NULL);
	put_npy("weights/cnn/c1.bias.npy", "<f4", "False", "(4,)", 4 * 4, NULL);
	put_npy("weights/cnn/c2.weight.npy", "<f4", "False", "(8, 4, 3, 3)", 8 * 4 * 9 * 4, NULL);
	put_npy("weights/cnn/c2.bias.npy", "<f4", "False", "(8,)", 8 * 4, NULL);
	put_npy("weights/cnn/fc.weight.npy", "<f4", "False", "(10, 32)", 10 * 32 * 4, NULL);
	put_npy("weights/cnn/fc.bias.npy", "<f4", "False", "(10,)", 10 * 4, NULL);
}

/* Could a string of this input name a file outside in_dir?  A string body
 * starts right after '"'; "\x" reads as x, so "/" and "." may be escaped. */
static int may_escape(const uint8_t *data, size_t size)
{
	static const char *const bad[] = {"\"/", "\\/", "..", "\\."};

	if (!memmem(data, size, "npy", 3))
		return 0;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (memmem(data, size, bad[i], 2))
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (may_escape(data, size))
		return -1; /* not added to the corpus */
	if (!ready) {
		make_fixtures();
		ready = 1;
	}
	fz_write(in_path, data, size);
	Diag d1 = fz_diag(), d2 = fz_diag();
	/* no such file: diagnostics of the string show no source line (reading
	 * it for every error is the slowest part); those of the file do */
	Graph *g = fe_parse_string((const char *)data, size, "<fuzz>", in_dir, &d1);
	Graph *g2 = fe_parse_file(in_path, &d2);
	if (!g != !g2 || d1.nerrors != d2.nerrors)
		fz_fail("fe_parse_string: %s with %d errors, fe_parse_file: %s with %d errors",
		        g ? "graph" : "NULL", d1.nerrors, g2 ? "graph" : "NULL", d2.nerrors);
	ir_graph_free(g2);
	if (!g)
		return 0;
	fz_check_verifies(g, "parsed");
	ir_graph_free(fz_round_trip(g, "parsed", out_dir));
	if (fz_infer(g) == 0) {
		fz_check_verifies(g, "shape-inferred");
		Graph *h = fz_round_trip(g, "shape-inferred", out_dir);
		if (fz_infer(h) != 0)
			fz_fail("infer-shapes fails on its own output read back");
		ir_graph_free(h);
	}
	ir_graph_free(g);
	return 0;
}
