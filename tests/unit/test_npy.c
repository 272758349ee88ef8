/* test_npy.c — the .npy reader and writer.  The files are made byte by byte
 * here, in the layouts numpy writes (versions 1.0, 2.0, 3.0; header padded to
 * 64 bytes), so the test needs no Python; a numpy cross-check was run by hand
 * (see the end of this file). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "npy.h"
#include "check.h"

static char dir[] = "/tmp/qc_npy_XXXXXX";
static char path[1024];

static const char *file(const char *name)
{
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

/* A .npy of the given version whose header is hdr (padded like numpy's),
 * followed by n bytes of data. */
static const char *make(const char *name, int major, const char *hdr, const void *data, size_t n)
{
	int lenbytes = major == 1 ? 2 : 4;
	size_t h = strlen(hdr), pre = 8 + (size_t)lenbytes, pad = 64 - (pre + h + 1) % 64;
	FILE *f = fopen(file(name), "wb");
	unsigned char b[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', (unsigned char)major, 0};
	size_t hl = h + (pad % 64) + 1;

	for (int i = 0; i < lenbytes; i++)
		b[8 + i] = (unsigned char)(hl >> (8 * i));
	fwrite(b, 1, pre, f);
	fputs(hdr, f);
	for (size_t i = 0; i < pad % 64; i++)
		fputc(' ', f);
	fputc('\n', f);
	if (n)
		fwrite(data, 1, n, f);
	fclose(f);
	return path;
}

static const char *make_bytes(const char *name, const void *bytes, size_t n)
{
	FILE *f = fopen(file(name), "wb");
	fwrite(bytes, 1, n, f);
	fclose(f);
	return path;
}

/* Reads p, expecting failure with every expect[] string in the message. */
static void expect_error(const char *what, const char *p, Loc loc, const char *e1, const char *e2)
{
	char *msgs;
	size_t len;
	FILE *f = open_memstream(&msgs, &len);
	Diag d = {.out = f};
	NpyArray a;
	int rc = ir_npy_read(p, &a, &d, loc);

	fclose(f);
	int ok = rc != 0 && d.nerrors == 1 && a.data == NULL && strstr(msgs, e1) &&
	         (!e2 || strstr(msgs, e2));
	check(ok, "rejects %s: %.*s", what, (int)(len && msgs[len - 1] == '\n' ? len - 1 : len),
	      msgs);
	free(msgs);
}

/* s occurs in the n bytes at p */
static int has(const char *p, size_t n, const char *s, size_t k)
{
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(p + i, s, k) == 0)
			return 1;
	return 0;
}

static int read_ok(const char *p, NpyArray *a)
{
	Diag d = {0};
	return ir_npy_read(p, a, &d, loc_file(p)) == 0 && d.nerrors == 0;
}

static void test_write_read(void)
{
	const float f[6] = {1.5f, -2, 0, 3.25e-10f, -1e30f, 7};
	const int8_t i8[5] = {-128, -1, 0, 1, 127};
	const int16_t i16[3] = {-32768, 1, 32767};
	const int32_t i32[4] = {INT32_MIN, -1, 65536, INT32_MAX};
	const int64_t i64[2] = {INT64_MIN, INT64_MAX};
	const uint8_t u8[2] = {0, 255};
	const float scalar = 42.5f;
	const struct {
		DType dt;
		Shape s;
		const void *data;
		const char *descr;
	} cases[] = {
	        {DT_F32, {2, {2, 3}}, f, "'descr': '<f4'"},
	        {DT_I8, {1, {5}}, i8, "'descr': '|i1'"},
	        {DT_I16, {3, {1, 3, 1}}, i16, "'descr': '<i2'"},
	        {DT_I32, {4, {1, 2, 2, 1}}, i32, "'descr': '<i4'"},
	        {DT_I64, {1, {2}}, i64, "'descr': '<i8'"},
	        {DT_U8, {2, {1, 2}}, u8, "'descr': '|u1'"},
	        {DT_F32, {0, {0}}, &scalar, "'shape': ()"},
	};
	char buf[512];
	Diag d = {0};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		NpyArray a;
		char sb[64];
		int64_t bytes = ir_shape_numel(&cases[i].s) * ir_dtype_size(cases[i].dt);
		snprintf(buf, sizeof buf, "w%zu.npy", i);
		const char *p = file(buf);
		int rc = ir_npy_write(p, cases[i].dt, &cases[i].s, cases[i].data, &d);
		ir_shape_str(&cases[i].s, sb, sizeof sb);
		check(rc == 0 && read_ok(p, &a) && a.dt == cases[i].dt &&
		              ir_shape_eq(&a.shape, &cases[i].s) &&
		              memcmp(a.data, cases[i].data, (size_t)bytes) == 0,
		      "write then read %s%s", ir_dtype_name(cases[i].dt), sb);
		ir_npy_free(&a);
		check(a.data == NULL, "ir_npy_free clears the pointer");

		/* the header as numpy writes it */
		FILE *f = fopen(p, "rb");
		size_t n = fread(buf, 1, sizeof buf, f);
		fclose(f);
		unsigned hl = (unsigned char)buf[8] | (unsigned char)buf[9] << 8;
		check(n >= 10 && memcmp(buf, "\x93NUMPY\x01\x00", 8) == 0 && (10 + hl) % 64 == 0 &&
		              buf[10 + hl - 1] == '\n' &&
		              has(buf, 10 + hl, cases[i].descr, strlen(cases[i].descr)) &&
		              has(buf, 10 + hl, "'fortran_order': False", 22) &&
		              (size_t)(10 + hl + bytes) == (size_t)n,
		      "header of %s%s: version 1.0, 64-byte aligned, %s, ends in newline",
		      ir_dtype_name(cases[i].dt), sb, cases[i].descr);
	}
	/* 1-d tuples need the trailing comma */
	FILE *fp = fopen(file("w1.npy"), "rb");
	size_t n = fread(buf, 1, sizeof buf - 1, fp);
	fclose(fp);
	buf[n] = 0;
	check(strstr(buf + 10, "'shape': (5,)") != NULL, "1-d shape written as (5,)");
}

static void test_read_forms(void)
{
	const float f6[6] = {1, 2, 3, 4, 5, 6};
	const int32_t i3[3] = {7, -8, 9};
	NpyArray a;

	make("v1.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f6, 24);
	check(read_ok(path, &a) && a.dt == DT_F32 && a.shape.rank == 2 && a.shape.d[0] == 2 &&
	              a.shape.d[1] == 3 && memcmp(a.data, f6, 24) == 0,
	      "version 1.0");
	ir_npy_free(&a);
	make("v2.npy", 2, "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", i3, 12);
	check(read_ok(path, &a) && a.dt == DT_I32 && a.shape.rank == 1 && a.shape.d[0] == 3 &&
	              memcmp(a.data, i3, 12) == 0,
	      "version 2.0 (4-byte header length)");
	ir_npy_free(&a);
	make("v3.npy", 3, "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", i3, 12);
	check(read_ok(path, &a) && a.dt == DT_I32, "version 3.0");
	ir_npy_free(&a);
	make("order.npy", 1, "{\"shape\": (3,) ,'fortran_order':False,  'descr':'<i4'}", i3, 12);
	check(read_ok(path, &a) && a.dt == DT_I32 && a.shape.d[0] == 3,
	      "keys in any order, either quote, any spacing, no trailing comma");
	ir_npy_free(&a);
	make("scalar.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", f6, 4);
	check(read_ok(path, &a) && a.shape.rank == 0 && ((float *)a.data)[0] == 1,
	      "0-d array, shape ()");
	ir_npy_free(&a);
	make("long.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }", f6,
	     24);
	check(read_ok(path, &a) && a.shape.d[1] == 3, "Python 2 long dims (2L, 3L)");
	ir_npy_free(&a);
	make("i1.npy", 1, "{'descr': '<i1', 'fortran_order': False, 'shape': (4,), }", f6, 4);
	check(read_ok(path, &a) && a.dt == DT_I8, "<i1 read as i8");
	ir_npy_free(&a);
	make("u1.npy", 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 4), }",
	     f6, 4);
	check(read_ok(path, &a) && a.dt == DT_U8 && a.shape.rank == 6, "|u1, rank 6");
	ir_npy_free(&a);
}

static void test_errors(void)
{
	const float f[40] = {0};
	Loc none = loc_none();
	Loc at = {"m.qg", 7, 31};

	expect_error("trailing bytes after the data",
	             make("extra.npy", 1,
	                  "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", f, 24),
	             none, "4 bytes of trailing data after the array (file offset 148", NULL);
	expect_error("big-endian",
	             make("be.npy", 1,
	                  "{'descr': '>f4', 'fortran_order': False, "
	                  "'shape': (2,), }",
	                  f, 8),
	             none, "big-endian dtype '>f4'", "supported: <f4");
	expect_error("fortran order",
	             make("fo.npy", 1,
	                  "{'descr': '<f4', 'fortran_order': True, "
	                  "'shape': (2, 2), }",
	                  f, 16),
	             none, "Fortran order", NULL);
	expect_error("float64",
	             make("f8.npy", 1,
	                  "{'descr': '<f8', 'fortran_order': False, "
	                  "'shape': (2,), }",
	                  f, 16),
	             none, "unsupported dtype '<f8'", "supported:");
	expect_error("object arrays",
	             make("obj.npy", 1,
	                  "{'descr': '|O', 'fortran_order': False, "
	                  "'shape': (2,), }",
	                  f, 16),
	             none, "unsupported dtype '|O'", NULL);
	expect_error("structured dtypes",
	             make("st.npy", 1,
	                  "{'descr': [('a', '<f4')], "
	                  "'fortran_order': False, 'shape': (2,), }",
	                  f, 16),
	             none, "structured", NULL);
	expect_error("truncated data",
	             make("tr.npy", 1,
	                  "{'descr': '<f4', 'fortran_order': False, "
	                  "'shape': (10, 3), }",
	                  f, 100),
	             none, "file has 100 bytes of data, shape [10,3] of f32 needs 120", NULL);
	expect_error("rank 7",
	             make("r7.npy", 1,
	                  "{'descr': '<f4', 'fortran_order': False, "
	                  "'shape': (1, 1, 1, 1, 1, 1, 1), }",
	                  f, 4),
	             none, "more than 6 dimensions", NULL);
	expect_error("missing key", make("mk.npy", 1, "{'descr': '<f4', 'shape': (1,), }", f, 4),
	             none, "no 'fortran_order' key", NULL);
	expect_error("unknown key",
	             make("uk.npy", 1,
	                  "{'descr': '<f4', 'fortran_order': False, "
	                  "'shape': (1,), 'x': 1}",
	                  f, 4),
	             none, "unexpected key 'x'", NULL);
	expect_error("malformed shape",
	             make("ms.npy", 1,
	                  "{'descr': '<f4', 'fortran_order': False, "
	                  "'shape': (1 2), }",
	                  f, 8),
	             none, "bad shape tuple", NULL);
	expect_error("text after the dict",
	             make("ta.npy", 1,
	                  "{'descr': '<f4', 'fortran_order': "
	                  "False, 'shape': (1,), } x",
	                  f, 4),
	             none, "text after the dictionary", NULL);
	expect_error("bad magic", make_bytes("bm.npy", "\x93NUMPX\x01\x00\x00\x00", 10), none,
	             "not a .npy file (bad magic)", NULL);
	expect_error("empty file", make_bytes("ef.npy", "", 0), none, "bad magic", NULL);
	expect_error("version 4.0", make_bytes("v4.npy", "\x93NUMPY\x04\x00\x10\x00", 10), none,
	             "unsupported .npy version 4.0", NULL);
	expect_error("header too long",
	             make_bytes("hl.npy", "\x93NUMPY\x02\x00\x00\x00\x00\x10", 12), none,
	             "header too long", NULL);
	expect_error("truncated header", make_bytes("th.npy", "\x93NUMPY\x01\x00\x40\x00{'de", 14),
	             none, "truncated .npy header", NULL);
	expect_error("a directory", dir, none, "it is a directory", NULL);
	expect_error("a missing file", file("nothere.npy"), none, "No such file", NULL);

	/* where the message goes: at the file itself, or at a .qg location
	 * naming the file */
	char want[1200];
	make("loc.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", f, 8);
	snprintf(want, sizeof want, "%s: error: unsupported dtype", path);
	expect_error("with the file as location", path, loc_file(path), want, NULL);
	snprintf(want, sizeof want, "m.qg:7:31: error: %s: unsupported dtype", path);
	expect_error("at a model location, naming the file", path, at, want, NULL);
}

static void test_write_fail(void)
{
	char *msgs;
	size_t len;
	FILE *f = open_memstream(&msgs, &len);
	Diag d = {.out = f};
	Shape s = {1, {2}};
	const float x[2] = {1, 2};
	struct stat st;

	int rc = ir_npy_write(file("nodir/x.npy"), DT_F32, &s, x, &d);
	fclose(f);
	check(rc != 0 && d.nerrors == 1 && strstr(msgs, "cannot write") && stat(path, &st) != 0,
	      "write into a missing folder fails cleanly: %s", msgs);
	free(msgs);

	/* overwriting keeps the file whole and replaces it */
	Diag d2 = {0};
	ir_npy_write(file("ow.npy"), DT_F32, &s, x, &d2);
	s.d[0] = 1;
	rc = ir_npy_write(path, DT_F32, &s, x, &d2);
	NpyArray a;
	check(rc == 0 && read_ok(path, &a) && a.shape.d[0] == 1, "overwrite an existing .npy");
	ir_npy_free(&a);
}

static void cleanup(void)
{
	static const char *names[] = {
	        "w0.npy", "w1.npy",    "w2.npy", "w3.npy",    "w4.npy",     "w5.npy",   "w6.npy",
	        "v1.npy", "v2.npy",    "v3.npy", "order.npy", "scalar.npy", "long.npy", "i1.npy",
	        "u1.npy", "extra.npy", "be.npy", "fo.npy",    "f8.npy",     "obj.npy",  "st.npy",
	        "tr.npy", "r7.npy",    "mk.npy", "uk.npy",    "ms.npy",     "ta.npy",   "bm.npy",
	        "ef.npy", "v4.npy",    "hl.npy", "th.npy",    "loc.npy",    "ow.npy",
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		unlink(file(names[i]));
	rmdir(dir);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_write_read();
	test_read_forms();
	test_errors();
	test_write_fail();
	cleanup();
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail != 0;
}

/* Cross-check with numpy, run by hand (Debian's /usr/bin/python3):
 *   np.save of float32 [2,3], int8 [5], int32 [4], a 0-d and a 1-d array,
 *   int16, int64, uint8 -> ir_npy_read gives the same dtype, shape, bytes;
 *   files written by ir_npy_write -> np.load gives the same arrays, and the
 *   header bytes equal numpy's own for the same array. */
