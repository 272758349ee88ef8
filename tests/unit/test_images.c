/* test_images.c — the image readers and the preprocessing of --calib DIR
 * (frontend/images.c): PNG of every colour type libpng hands us (written
 * here with libpng), PGM/PPM in ascii and binary, corrupt files, and the
 * exact values fe_images_read makes: channel order, layout, scale, mean,
 * std, bilinear enlarging and area shrinking. */
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frontend.h"
#include "check.h"

static char dir[] = "/tmp/qc_images_XXXXXX";
static char path[1024];

static const char *file(const char *name)
{
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

static const char *write_bytes(const char *name, const void *b, size_t n)
{
	FILE *f = fopen(file(name), "wb");
	fwrite(b, 1, n, f);
	fclose(f);
	return path;
}

/* A w x h PNG of colour type ct and bit depth bd whose packed rows are px
 * (an error in the test's own writing aborts: no setjmp here). */
static const char *write_png(const char *name, int w, int h, int ct, int bd, int interlace,
                             const unsigned char *px, const png_color *pal, int npal)
{
	FILE *f = fopen(file(name), "wb");
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	int ch = ct == PNG_COLOR_TYPE_RGB          ? 3
	         : ct == PNG_COLOR_TYPE_RGBA       ? 4
	         : ct == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
	                                           : 1;
	size_t rowbytes = ((size_t)w * ch * bd + 7) / 8;
	png_bytep *rows = malloc(h * sizeof *rows);

	for (int y = 0; y < h; y++)
		rows[y] = (png_bytep)px + y * rowbytes;
	png_init_io(png, f);
	png_set_IHDR(png, info, w, h, bd, ct, interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
	             PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (pal)
		png_set_PLTE(png, info, pal, npal);
	png_write_info(png, info);
	png_write_image(png, rows);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	free(rows);
	fclose(f);
	return path;
}

static int read_quiet(const char *p, FeImage *im, char *msg, size_t n)
{
	FILE *f = fmemopen(msg, n, "w");
	Diag d = {.out = f};
	int rc = fe_image_read(p, im, &d);
	fclose(f);
	return rc;
}

/* im is w x h x c with samples want[] */
static void expect(const char *what, const char *p, int w, int h, int c, const double *want)
{
	FeImage im;
	char msg[512] = "";
	int ok = read_quiet(p, &im, msg, sizeof msg) == 0 && im.w == w && im.h == h && im.c == c;

	for (int i = 0; ok && i < w * h * c; i++)
		ok = im.px[i] == want[i];
	check(ok, "%s: %dx%d, %d channel%s, samples as written %s", what, w, h, c, c > 1 ? "s" : "",
	      msg);
	fe_image_free(&im);
}

static void expect_error(const char *what, const char *p, const char *msg_part)
{
	FeImage im;
	char msg[512] = "";
	int rc = read_quiet(p, &im, msg, sizeof msg);

	msg[strcspn(msg, "\n")] = 0;
	check(rc != 0 && im.px == NULL && strstr(msg, msg_part), "rejects %s: %s", what, msg);
}

static void test_png(void)
{
	const unsigned char gray[6] = {0, 1, 127, 128, 254, 255};
	const double g6[6] = {0, 1, 127, 128, 254, 255};
	expect("8-bit gray PNG",
	       write_png("g8.png", 3, 2, PNG_COLOR_TYPE_GRAY, 8, 0, gray, NULL, 0), 3, 2, 1, g6);
	expect("interlaced (Adam7) gray PNG",
	       write_png("gi.png", 3, 2, PNG_COLOR_TYPE_GRAY, 8, 1, gray, NULL, 0), 3, 2, 1, g6);

	const unsigned char bits[2] = {0xA0, 0x40}; /* rows 1,0,1 and 0,1,0 */
	const double b6[6] = {255, 0, 255, 0, 255, 0};
	expect("1-bit gray PNG, expanded to 0 and 255",
	       write_png("g1.png", 3, 2, PNG_COLOR_TYPE_GRAY, 1, 0, bits, NULL, 0), 3, 2, 1, b6);

	const unsigned char g16[4] = {0x12, 0x34, 0xff, 0xfe};
	const double w16[2] = {0x1234, 0xfffe};
	expect("16-bit gray PNG, samples not rescaled",
	       write_png("g16.png", 2, 1, PNG_COLOR_TYPE_GRAY, 16, 0, g16, NULL, 0), 2, 1, 1, w16);

	const unsigned char ga[4] = {10, 0, 20, 255};
	const double wga[2] = {10, 20};
	expect("gray+alpha PNG, alpha dropped",
	       write_png("ga.png", 2, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 8, 0, ga, NULL, 0), 2, 1, 1,
	       wga);

	const unsigned char rgba[8] = {1, 2, 3, 0, 4, 5, 6, 99};
	const double wrgb[6] = {1, 2, 3, 4, 5, 6};
	expect("RGBA PNG, alpha dropped",
	       write_png("rgba.png", 2, 1, PNG_COLOR_TYPE_RGBA, 8, 0, rgba, NULL, 0), 2, 1, 3,
	       wrgb);

	const png_color pal[2] = {{1, 2, 3}, {4, 5, 6}};
	const unsigned char idx[2] = {0, 1};
	expect("palette PNG, expanded to RGB",
	       write_png("pal.png", 2, 1, PNG_COLOR_TYPE_PALETTE, 8, 0, idx, pal, 2), 2, 1, 3,
	       wrgb);

	/* the same file cut short, and with its IHDR's CRC broken */
	FILE *f = fopen(file("g8.png"), "rb");
	unsigned char b[4096];
	size_t n = fread(b, 1, sizeof b, f);
	fclose(f);
	expect_error("a PNG cut in its IDAT", write_bytes("cut.png", b, n - 20),
	             "corrupt PNG: the file ends too early");
	b[29] ^= 1;
	expect_error("a PNG whose IHDR's CRC is wrong", write_bytes("crc.png", b, n),
	             "corrupt PNG: ");
	expect_error("the PNG signature alone", write_bytes("sig.png", b, 8), "corrupt PNG: ");
}

static void test_pnm(void)
{
	const char p3[] = "P3 # colour\n2 1\n# comment line\n15\n1 2 3\n4 5 15\n";
	const double w3[6] = {1, 2, 3, 4, 5, 15};
	expect("PPM P3 with comments", write_bytes("a.ppm", p3, strlen(p3)), 2, 1, 3, w3);
	const char p6[] = "P6\n1 1\n65535\n\x01\x02\x03\x04\x05\x06";
	const double w6[3] = {0x0102, 0x0304, 0x0506};
	expect("PPM P6, maxval 65535", write_bytes("b.ppm", p6, sizeof p6 - 1), 1, 1, 3, w6);
	const char p5[] = "P5 2 1 255\n\x00\xff";
	const double w5[2] = {0, 255};
	expect("PGM P5 on one line", write_bytes("c.pgm", p5, sizeof p5 - 1), 2, 1, 1, w5);

	expect_error("maxval 0", write_bytes("d.pgm", "P5 1 1 0\n\x00", 10), "maxval 0 is not in");
	expect_error("maxval 65536", write_bytes("e.pgm", "P2 1 1 65536\n0", 14), "maxval 65536");
	expect_error("a size 0", write_bytes("f.pgm", "P2 0 1 255\n", 11), "image size 0x1");
	expect_error("a word in a P2 raster", write_bytes("g.pgm", "P2 2 1 255\n1 x\n", 15),
	             "sample 2 of 2 is missing or not a number");
	expect_error("P4 (bitmaps)", write_bytes("h.pbm", "P4 1 1\n\x80", 8), "not an image");
	expect_error("an empty file", write_bytes("i.pgm", "", 0), "not an image");
	FeImage im;
	char msg[256] = "";
	int rc = read_quiet(file("missing.png"), &im, msg, sizeof msg);
	msg[strcspn(msg, "\n")] = 0;
	check(rc != 0 && strstr(msg, "cannot open"), "a missing file: %s", msg);
}

/* A folder holding one PPM of w x h RGB pixels (r, g, b) = (p, p + 1, p + 2)
 * with p = 10 * (y * w + x). */
static void rgb_folder(const char *name, int w, int h)
{
	char sub[1100], p[1200];
	snprintf(sub, sizeof sub, "%s/%s", dir, name);
	mkdir(sub, 0755);
	snprintf(p, sizeof p, "%s/img.ppm", sub);
	FILE *f = fopen(p, "wb");
	fprintf(f, "P6\n%d %d\n255\n", w, h);
	for (int i = 0; i < w * h; i++)
		for (int c = 0; c < 3; c++)
			fputc(10 * i + c, f);
	fclose(f);
}

static Value input(int rank, const int64_t *dims)
{
	Value v;
	memset(&v, 0, sizeof v);
	v.name = "x";
	v.dt = DT_F32;
	v.shape.rank = rank;
	for (int i = 0; i < rank; i++)
		v.shape.d[i] = dims[i];
	return v;
}

static int run(const char *name, const FeImageOpts *o, const Value *in, NpyArray *out, char *msg,
               size_t n)
{
	char sub[1100];
	FILE *f = fmemopen(msg, n, "w");
	Diag d = {.out = f};
	snprintf(sub, sizeof sub, "%s/%s", dir, name);
	int rc = fe_images_read(sub, o, in, out, &d);
	fclose(f);
	return rc;
}

static void test_preprocess(void)
{
	FeImageOpts o;
	NpyArray a;
	char msg[512] = "";

	rgb_folder("rgb", 2, 2);
	const int64_t nchw[4] = {1, 3, 2, 2}, nhwc[4] = {1, 2, 2, 3};
	Value in = input(4, nchw);
	fe_image_opts_init(&o);
	int rc = run("rgb", &o, &in, &a, msg, sizeof msg);
	const float want_chw[12] = {0, 10, 20, 30, 1, 11, 21, 31, 2, 12, 22, 32};
	check(rc == 0 && a.shape.rank == 4 && a.shape.d[0] == 1 && a.shape.d[1] == 3 &&
	              memcmp(a.data, want_chw, sizeof want_chw) == 0,
	      "an RGB image into [1,3,2,2] (nchw, rgb by default): planes R, G, B %s", msg);
	ir_npy_free(&a);

	/* bgr, nhwc, scale, per-channel mean and std: ((v * 0.5) - mean) / std */
	in = input(4, nhwc);
	o.channels = FE_CH_BGR;
	o.layout = FE_NHWC;
	o.scale = 0.5;
	o.nmean = o.nstd = 3;
	const double mean[3] = {1, 2, 3}, std[3] = {2, 4, 8};
	memcpy(o.mean, mean, sizeof mean);
	memcpy(o.std, std, sizeof std);
	rc = run("rgb", &o, &in, &a, msg, sizeof msg);
	int ok = rc == 0;
	for (int px = 0; ok && px < 4; px++)
		for (int c = 0; c < 3; c++) {
			double v = 10 * px + (2 - c); /* bgr: channel 0 is blue */
			ok &= ((float *)a.data)[px * 3 + c] ==
			      (float)((v * 0.5 - mean[c]) / std[c]);
		}
	check(ok, "bgr, nhwc, scale 0.5, mean [1,2,3], std [2,4,8]: (v scale - mean) / std %s",
	      msg);
	ir_npy_free(&a);

	/* gray by luma, into [1,H,W] */
	const int64_t hw[3] = {1, 2, 2};
	in = input(3, hw);
	fe_image_opts_init(&o);
	rc = run("rgb", &o, &in, &a, msg, sizeof msg);
	ok = rc == 0;
	for (int px = 0; ok && px < 4; px++)
		ok = ((float *)a.data)[px] ==
		     (float)(0.299 * (10 * px) + 0.587 * (10 * px + 1) + 0.114 * (10 * px + 2));
	check(ok, "an RGB image into [1,2,2]: its luma 0.299 R + 0.587 G + 0.114 B %s", msg);
	ir_npy_free(&a);

	/* resizing: a 2x1 gray row [0, 100] enlarged to 4x1 is bilinear with
	 * half-pixel centres, edges clamped: 0, 25, 75, 100 */
	char sub[1100];
	snprintf(sub, sizeof sub, "%s/row", dir);
	mkdir(sub, 0755);
	write_bytes("row/a.pgm", "P5 2 1 255\n\x00\x64", 13);
	const int64_t row4[4] = {1, 1, 1, 4};
	in = input(4, row4);
	o.resize[0] = 4;
	o.resize[1] = 1;
	rc = run("row", &o, &in, &a, msg, sizeof msg);
	const float lin[4] = {0, 25, 75, 100};
	check(rc == 0 && memcmp(a.data, lin, sizeof lin) == 0,
	      "enlarging 2 -> 4 interpolates: "
	      "0 25 75 100 %s",
	      msg);
	ir_npy_free(&a);

	/* shrinking 3 -> 2 averages what each output pixel covers:
	 * [0, 30, 60] -> [(0 + 30/2) / 1.5, (30/2 + 60) / 1.5] = [10, 50] */
	snprintf(sub, sizeof sub, "%s/row3", dir);
	mkdir(sub, 0755);
	write_bytes("row3/a.pgm", "P5 3 1 255\n\x00\x1e\x3c", 14);
	const int64_t row2[4] = {1, 1, 1, 2};
	in = input(4, row2);
	o.resize[0] = 2;
	rc = run("row3", &o, &in, &a, msg, sizeof msg);
	ok = rc == 0 && fabsf(((float *)a.data)[0] - 10) < 1e-5f &&
	     fabsf(((float *)a.data)[1] - 50) < 1e-5f;
	check(ok, "shrinking 3 -> 2 averages by area: 10 50 %s", msg);
	ir_npy_free(&a);

	/* errors about the model or the folder */
	const int64_t flat[2] = {1, 12};
	in = input(2, flat);
	fe_image_opts_init(&o);
	msg[0] = 0;
	rc = run("rgb", &o, &in, &a, msg, sizeof msg);
	check(rc && !a.data && strstr(msg, "need an input shaped [1,C,H,W]"),
	      "rejects a [1,12] "
	      "input: %.*s",
	      (int)strcspn(msg, "\n"), msg);
	in = input(4, nchw);
	o.nmean = 2;
	rc = run("rgb", &o, &in, &a, msg, sizeof msg);
	check(rc && strstr(msg, "mean has 2 values; input 'x' has 3 channels"),
	      "rejects 2 means "
	      "for 3 channels: %.*s",
	      (int)strcspn(msg, "\n"), msg);
	o.nmean = 0;
	rc = run("nothere", &o, &in, &a, msg, sizeof msg);
	check(rc && strstr(msg, "cannot open folder"), "a missing folder: %.*s",
	      (int)strcspn(msg, "\n"), msg);
}

static void cleanup(void)
{
	char cmd[1100];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_png();
	test_pnm();
	test_preprocess();
	cleanup();
	return check_report();
}
