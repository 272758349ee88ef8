/* images.c — a folder of images as calibration data (--calib DIR).  Reads
 * PNG (with libpng) and the netpbm formats PGM and PPM (P2, P3, P5, P6;
 * parsed here), and turns each image into one sample shaped like the model's
 * input by the preprocessing --config's calibration.images declares
 * (docs/configuration.md, "Calibration images"): channels, resize, centre
 * crop, scale, mean, std, layout.  All arithmetic is in double, rounded to
 * float once at the end, so a sample equals x / 255 computed in float32
 * (numpy's usual `img.astype(np.float32) / 255`) bit for bit. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "frontend.h"

/* Larger images are refused before anything is allocated for them. */
enum { MAX_SIDE = 16384, MAX_PIXELS = 1 << 25 };

void fe_image_opts_init(FeImageOpts *o)
{
	memset(o, 0, sizeof *o);
	o->scale = 1;
	o->channels = FE_CH_MODEL;
	o->layout = FE_NCHW;
}

void fe_image_free(FeImage *im)
{
	free(im->px);
	im->px = NULL;
}

int fe_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int size_ok(const char *path, long w, long h, Diag *d)
{
	if (w < 1 || h < 1 || w > MAX_SIDE || h > MAX_SIDE || w * h > MAX_PIXELS) {
		diag_error(d, loc_file(path),
		           "image size %ldx%ld is not supported (1 to %d pixels a "
		           "side, %d in all)",
		           w, h, MAX_SIDE, MAX_PIXELS);
		return -1;
	}
	return 0;
}

/* ---- PGM and PPM --------------------------------------------------------- */

/* The first character after whitespace and '#' comments. */
static int pnm_skip(FILE *f)
{
	int c;
	while ((c = getc(f)) != EOF) {
		if (c == '#')
			while ((c = getc(f)) != EOF && c != '\n' && c != '\r')
				;
		else if (!isspace(c))
			break;
	}
	return c;
}

/* number := whitespace-or-comments digits (whitespace | EOF)
 * The one whitespace character after the digits is consumed: in P5/P6 it
 * is the single separator before the raster. */
static int pnm_number(FILE *f, long *out)
{
	int c = pnm_skip(f);
	long v = 0;

	if (c < '0' || c > '9')
		return -1;
	for (; c >= '0' && c <= '9'; c = getc(f))
		if ((v = v * 10 + (c - '0')) > 1L << 30)
			return -1;
	if (c != EOF && !isspace(c))
		return -1;
	*out = v;
	return 0;
}

/* The raster of a P2/P3 (ascii) or P5/P6 (binary: one byte a sample, two
 * big-endian bytes when maxval > 255). */
static int pnm_raster(FILE *f, const char *path, const char *fmt, int ascii, long maxval,
                      FeImage *im, Diag *d)
{
	size_t n = (size_t)im->w * im->h * im->c;

	for (size_t i = 0; i < n; i++) {
		long v;
		if (ascii) {
			if (pnm_number(f, &v)) {
				diag_error(d, loc_file(path),
				           "corrupt %s: sample %zu of %zu is missing or "
				           "not a number",
				           fmt, i + 1, n);
				return -1;
			}
		} else {
			int hi = maxval > 255 ? getc(f) : 0, lo = getc(f);
			if (hi == EOF || lo == EOF) {
				diag_error(d, loc_file(path),
				           "corrupt %s: truncated after %zu of %zu samples", fmt, i,
				           n);
				return -1;
			}
			v = hi << 8 | lo;
		}
		if (v > maxval) {
			diag_error(d, loc_file(path), "corrupt %s: sample %ld is above maxval %ld",
			           fmt, v, maxval);
			return -1;
		}
		im->px[i] = (double)v;
	}
	return 0;
}

/* pnm := "P" (2|3|5|6) width height maxval raster; the magic is read. */
static int read_pnm(FILE *f, const char *path, int kind, FeImage *im, Diag *d)
{
	const char *fmt = kind == '2' || kind == '5' ? "PGM" : "PPM";
	long w, h, maxval;

	if (pnm_number(f, &w) || pnm_number(f, &h) || pnm_number(f, &maxval)) {
		diag_error(d, loc_file(path), "corrupt %s: bad header (P%c WIDTH HEIGHT MAXVAL)",
		           fmt, kind);
		return -1;
	}
	if (maxval < 1 || maxval > 65535) {
		diag_error(d, loc_file(path), "corrupt %s: maxval %ld is not in [1, 65535]", fmt,
		           maxval);
		return -1;
	}
	if (size_ok(path, w, h, d))
		return -1;
	im->w = (int)w;
	im->h = (int)h;
	im->c = fmt[1] == 'G' ? 1 : 3;
	im->px = ir_xmalloc((size_t)w * h * im->c * sizeof *im->px);
	if (pnm_raster(f, path, fmt, kind == '2' || kind == '3', maxval, im, d)) {
		fe_image_free(im);
		return -1;
	}
	return 0;
}

/* ---- PNG ----------------------------------------------------------------- */

/* What read_png shares with libpng's error handler.  It lives on the heap:
 * what changes between setjmp and longjmp must not be a non-volatile local
 * of the function that called setjmp. */
typedef struct {
	char msg[160];
	unsigned char *buf;  /* the decoded rows */
	png_bytep *rows;
	png_uint_32 w, h;
	int c, depth;
} PngRead;

static void png_on_error(png_structp png, png_const_charp msg)
{
	PngRead *s = png_get_error_ptr(png);
	snprintf(s->msg, sizeof s->msg, "%s", msg);
	png_longjmp(png, 1);
}

/* libpng's own reader says only "Read Error" when a file is cut short. */
static void png_on_read(png_structp png, png_bytep data, size_t n)
{
	if (fread(data, 1, n, png_get_io_ptr(png)) != n)
		png_error(png, "the file ends too early (truncated)");
}

/* libpng's warnings (an sRGB profile it dislikes, ...) say nothing about the
 * samples we read. */
static void png_on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

/* Everything that may longjmp: decodes the whole image into s->buf as gray or
 * RGB samples of 8 or 16 bits, no gamma or colour correction applied. */
static void png_decode(png_structp png, png_infop info, PngRead *s)
{
	int depth, ctype;

	png_set_user_limits(png, MAX_SIDE, MAX_SIDE);
	png_read_info(png, info);
	png_get_IHDR(png, info, &s->w, &s->h, &depth, &ctype, NULL, NULL, NULL);
	if ((double)s->w * s->h > MAX_PIXELS)
		png_error(png, "image too large");
	if (ctype == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(png);
	if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8)
		png_set_expand_gray_1_2_4_to_8(png);
	if (ctype & PNG_COLOR_MASK_ALPHA)
		png_set_strip_alpha(png);
	png_set_interlace_handling(png);
	png_read_update_info(png, info);
	s->c = png_get_channels(png, info);
	s->depth = png_get_bit_depth(png, info);
	if ((s->c != 1 && s->c != 3) || (s->depth != 8 && s->depth != 16))
		png_error(png, "unexpected sample format");
	size_t rowbytes = png_get_rowbytes(png, info);
	s->buf = ir_xmalloc(rowbytes * s->h);
	s->rows = ir_xmalloc(s->h * sizeof *s->rows);
	for (png_uint_32 y = 0; y < s->h; y++)
		s->rows[y] = s->buf + y * rowbytes;
	png_read_image(png, s->rows);
	png_read_end(png, NULL);
}

static int read_png(FILE *f, const char *path, FeImage *im, Diag *d)
{
	PngRead *s = ir_xcalloc(1, sizeof *s);
	png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, s, png_on_error,
	                                         png_on_warning);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	int rc = 0;

	if (!info)
		ICE("libpng: out of memory");
	if (setjmp(png_jmpbuf(png))) {
		diag_error(d, loc_file(path), "corrupt PNG: %s", s->msg);
		rc = -1;
	} else {
		png_set_read_fn(png, f, png_on_read);
		png_decode(png, info, s);
		size_t n = (size_t)s->w * s->h * s->c;
		im->w = (int)s->w;
		im->h = (int)s->h;
		im->c = s->c;
		im->px = ir_xmalloc(n * sizeof *im->px);
		for (size_t i = 0; i < n; i++)
			im->px[i] = s->depth == 16 ? s->buf[2 * i] << 8 | s->buf[2 * i + 1]
			                           : s->buf[i];
	}
	png_destroy_read_struct(&png, &info, NULL);
	free(s->buf);
	free(s->rows);
	free(s);
	return rc;
}

int fe_image_read(const char *path, FeImage *im, Diag *d)
{
	unsigned char magic[8];
	FILE *f = ir_open_input(path, "cannot open", d, loc_file(path));
	int rc = -1;

	memset(im, 0, sizeof *im);
	if (!f)
		return -1;
	size_t n = fread(magic, 1, sizeof magic, f);
	rewind(f);
	if (n == sizeof magic && png_sig_cmp(magic, 0, sizeof magic) == 0)
		rc = read_png(f, path, im, d);
	else if (n >= 3 && magic[0] == 'P' && magic[1] && strchr("2356", magic[1]) &&
	         isspace(magic[2])) {
		fseek(f, 2, SEEK_SET);
		rc = read_pnm(f, path, magic[1], im, d);
	} else
		diag_error(d, loc_file(path),
		           "not an image: calibration folders hold PNG, PGM (P2, "
		           "P5) and PPM (P3, P6) files");
	fclose(f);
	return rc;
}

/* ---- preprocessing ------------------------------------------------------- */

/* Gray <-> colour: gray becomes R = G = B; colour becomes its luma
 * 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601, as PIL's convert("L") without
 * the rounding); bgr swaps R and B. */
static void convert_channels(FeImage *im, FeChannels to)
{
	int want = to == FE_CH_GRAY ? 1 : 3;
	size_t npx = (size_t)im->w * im->h;
	double *p = im->px, *q = ir_xmalloc(npx * want * sizeof *q);

	for (size_t i = 0; i < npx; i++) {
		if (im->c == 1 && want == 3)
			q[3 * i] = q[3 * i + 1] = q[3 * i + 2] = p[i];
		else if (im->c == 3 && want == 1)
			q[i] = 0.299 * p[3 * i] + 0.587 * p[3 * i + 1] + 0.114 * p[3 * i + 2];
		else
			memcpy(q + want * i, p + want * i, want * sizeof *q);
		if (to == FE_CH_BGR) {
			double r = q[3 * i];
			q[3 * i] = q[3 * i + 2];
			q[3 * i + 2] = r;
		}
	}
	free(p);
	im->px = q;
	im->c = want;
}

/* How one axis of n_in pixels becomes n_out: output i is the sum over k <
 * count[i] of w[i * maxk + k] times input first[i] + k. */
typedef struct {
	int *first, *count, maxk;
	double *w;
} Taps;

/* Shrinking averages the input pixels output pixel i covers, [i s, (i+1) s)
 * with s = n_in / n_out, each weighted by the part of it covered (OpenCV's
 * INTER_AREA); enlarging interpolates between the two nearest input pixel
 * centres, x = (i + 0.5) s - 0.5, clamped at the edges (INTER_LINEAR). */
static void taps_make(Taps *t, int n_in, int n_out)
{
	double s = (double)n_in / n_out;

	t->maxk = n_out < n_in ? (int)ceil(s) + 1 : 2;
	t->first = ir_xmalloc((size_t)n_out * sizeof *t->first);
	t->count = ir_xmalloc((size_t)n_out * sizeof *t->count);
	t->w = ir_xcalloc((size_t)n_out * t->maxk, sizeof *t->w);
	for (int i = 0; i < n_out; i++) {
		double *w = t->w + (size_t)i * t->maxk;
		if (n_out < n_in) {
			double lo = (double)i * n_in / n_out, hi = (double)(i + 1) * n_in / n_out;
			int j0 = (int)floor(lo), j1 = (int)ceil(hi);
			if (j1 > n_in)
				j1 = n_in;
			t->first[i] = j0;
			t->count[i] = j1 - j0;
			for (int j = j0; j < j1; j++)
				w[j - j0] = (fmin(hi, j + 1) - fmax(lo, j)) / (hi - lo);
		} else {
			double x = fmin(fmax((i + 0.5) * s - 0.5, 0), n_in - 1);
			int j = (int)floor(x);
			t->first[i] = j;
			t->count[i] = j + 1 < n_in ? 2 : 1;
			w[0] = 1 - (x - j);
			w[1] = x - j;
		}
	}
}

static void taps_free(Taps *t)
{
	free(t->first);
	free(t->count);
	free(t->w);
}

/* Resizes to w x h, one axis after the other (width first). */
static void resize(FeImage *im, int w, int h)
{
	Taps tx, ty;
	int c = im->c;
	double *mid = ir_xcalloc((size_t)im->h * w * c, sizeof *mid);
	double *out = ir_xcalloc((size_t)h * w * c, sizeof *out);

	taps_make(&tx, im->w, w);
	taps_make(&ty, im->h, h);
	for (int y = 0; y < im->h; y++)
		for (int x = 0; x < w; x++)
			for (int k = 0; k < tx.count[x]; k++)
				for (int ch = 0; ch < c; ch++)
					mid[((size_t)y * w + x) * c + ch] +=
					        tx.w[(size_t)x * tx.maxk + k] *
					        im->px[((size_t)y * im->w + tx.first[x] + k) * c +
					               ch];
	for (int y = 0; y < h; y++)
		for (int k = 0; k < ty.count[y]; k++)
			for (size_t i = 0; i < (size_t)w * c; i++)
				out[(size_t)y * w * c + i] +=
				        ty.w[(size_t)y * ty.maxk + k] *
				        mid[(size_t)(ty.first[y] + k) * w * c + i];
	taps_free(&tx);
	taps_free(&ty);
	free(mid);
	free(im->px);
	im->px = out;
	im->w = w;
	im->h = h;
}

/* Keeps the w x h rectangle at the centre (left and top margins rounded
 * down); the image is at least that large. */
static void crop(FeImage *im, int w, int h)
{
	int x0 = (im->w - w) / 2, y0 = (im->h - h) / 2, c = im->c;
	double *out = ir_xmalloc((size_t)w * h * c * sizeof *out);

	for (int y = 0; y < h; y++)
		memcpy(out + (size_t)y * w * c, im->px + ((size_t)(y0 + y) * im->w + x0) * c,
		       (size_t)w * c * sizeof *out);
	free(im->px);
	im->px = out;
	im->w = w;
	im->h = h;
}

/* ---- the folder ---------------------------------------------------------- */

/* What the model's input asks of each image. */
typedef struct {
	const FeImageOpts *o;
	const char *dir;
	FeChannels ch;
	int c, h, w;
} Want;

/* Where to report a problem with key k: at its value in the configuration,
 * else at the input's declaration. */
static Loc key_loc(const Want *t, int k, const Value *in)
{
	return t->o->loc[k].line ? t->o->loc[k] : in->loc;
}

static int check_count(const Want *t, const Value *in, int k, int n, const char *what, Diag *d)
{
	if (n == 0 || n == 1 || n == t->c)
		return 0;
	diag_error(d, key_loc(t, k, in),
	           "%s has %d values; input '%s' has %d channel%s: give one "
	           "value%s",
	           what, n, in->name, t->c, t->c == 1 ? "" : "s",
	           t->c == 1 ? "" : ", or one per channel");
	return -1;
}

/* Channels, height and width from the input's shape: [1,C,H,W] (nchw),
 * [1,H,W,C] (nhwc) or [1,H,W] (one channel). */
static int want_of(const FeImageOpts *o, const Value *in, Want *t, Diag *d)
{
	const Shape *s = &in->shape;
	char b[96];

	if ((s->rank != 3 && s->rank != 4) || s->d[0] != 1) {
		diag_error(d, in->loc,
		           "calibration images need an input shaped [1,C,H,W], [1,H,W,C] "
		           "or [1,H,W]; '%s' is %s",
		           in->name, ir_shape_str(s, b, sizeof b));
		return -1;
	}
	int nhwc = s->rank == 4 && o->layout == FE_NHWC;
	t->c = s->rank == 3 ? 1 : (int)s->d[nhwc ? 3 : 1];
	t->h = (int)s->d[nhwc || s->rank == 3 ? 1 : 2];
	t->w = (int)s->d[nhwc || s->rank == 3 ? 2 : 3];
	if (t->c != 1 && t->c != 3) {
		diag_error(d, key_loc(t, FE_IMG_LAYOUT, in),
		           "layout %s: input '%s' %s has %d "
		           "channels; images give 1 (gray) or 3 (rgb, bgr)",
		           nhwc ? "nhwc" : "nchw", in->name, ir_shape_str(s, b, sizeof b), t->c);
		return -1;
	}
	t->ch = o->channels != FE_CH_MODEL ? o->channels : t->c == 1 ? FE_CH_GRAY : FE_CH_RGB;
	if ((t->ch == FE_CH_GRAY) != (t->c == 1)) {
		diag_error(d, key_loc(t, FE_IMG_CHANNELS, in),
		           "channels: %s gives %d channel%s; input "
		           "'%s' has %d",
		           t->ch == FE_CH_GRAY  ? "gray"
		           : t->ch == FE_CH_RGB ? "rgb"
		                                : "bgr",
		           t->ch == FE_CH_GRAY ? 1 : 3, t->ch == FE_CH_GRAY ? "" : "s", in->name,
		           t->c);
		return -1;
	}
	if (check_count(t, in, FE_IMG_MEAN, o->nmean, "mean", d) ||
	    check_count(t, in, FE_IMG_STD, o->nstd, "std", d))
		return -1;
	/* a fixed final size that cannot be the input's is the configuration's fault */
	int k = o->crop[0] ? FE_IMG_CROP : FE_IMG_RESIZE;
	const int *fix = o->crop[0] ? o->crop : o->resize[1] ? o->resize : NULL;
	if (fix && (fix[0] != t->w || fix[1] != t->h)) {
		diag_error(d, key_loc(t, k, in),
		           "%s %dx%d: input '%s' takes %dx%d images (width x "
		           "height)",
		           k == FE_IMG_CROP ? "crop" : "resize", fix[0], fix[1], in->name, t->w,
		           t->h);
		return -1;
	}
	return 0;
}

/* Brings one image to the input's channels and size: -1 (diagnosed at the
 * file) when its size does not fit. */
static int fit(const Want *t, const char *path, FeImage *im, Diag *d)
{
	const FeImageOpts *o = t->o;
	int w0 = im->w, h0 = im->h;

	convert_channels(im, t->ch);
	if (o->resize[1])
		resize(im, o->resize[0], o->resize[1]);
	else if (o->resize[0]) {
		/* the shorter side becomes resize[0], the other keeps the aspect ratio
		 * (rounded down, as torchvision's Resize(N)) */
		int64_t n = o->resize[0], lw = im->w >= im->h ? n * im->w / im->h : n;
		int64_t lh = im->w >= im->h ? n : n * im->h / im->w;
		if (size_ok(path, (long)lw, (long)lh, d))
			return -1;
		resize(im, (int)lw, (int)lh);
	}
	if (o->crop[0]) {
		if (im->w < o->crop[0] || im->h < o->crop[1]) {
			char after[48] = "";
			if (o->resize[0])
				snprintf(after, sizeof after, ", %dx%d after resize", im->w, im->h);
			diag_error(d, loc_file(path), "image is %dx%d%s, smaller than crop %dx%d",
			           w0, h0, after, o->crop[0], o->crop[1]);
			return -1;
		}
		crop(im, o->crop[0], o->crop[1]);
	}
	if (im->w != t->w || im->h != t->h) {
		diag_error(
		        d, loc_file(path),
		        "image is %dx%d (width x height), the model's input takes "
		        "%dx%d; give calibration.images a resize or crop (docs/configuration.md)",
		        im->w, im->h, t->w, t->h);
		return -1;
	}
	return 0;
}

/* Writes the sample: (x scale - mean[c]) / std[c], in the input's layout. */
static void store(const Want *t, const FeImage *im, float *out)
{
	const FeImageOpts *o = t->o;
	int nhwc = o->layout == FE_NHWC;

	for (int y = 0; y < t->h; y++)
		for (int x = 0; x < t->w; x++)
			for (int c = 0; c < t->c; c++) {
				double v = im->px[((size_t)y * t->w + x) * t->c + c] * o->scale;
				if (o->nmean)
					v -= o->mean[o->nmean == 1 ? 0 : c];
				if (o->nstd)
					v /= o->std[o->nstd == 1 ? 0 : c];
				size_t i = nhwc ? ((size_t)y * t->w + x) * t->c + c
				                : ((size_t)c * t->h + y) * t->w + x;
				out[i] = (float)v;
			}
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir not starting with '.', sorted bytewise, into *names (*n
 * of them, at least one).  -1 (diagnosed) when there are none. */
static int list_dir(const char *dir, char ***names, int *n, Diag *d)
{
	DIR *dp = opendir(dir);
	struct dirent *e;

	*names = NULL;
	*n = 0;
	if (!dp) {
		diag_error(d, loc_file(dir), "cannot open folder: %s", strerror(errno));
		return -1;
	}
	while ((e = readdir(dp))) {
		if (e->d_name[0] == '.')
			continue;
		*names = ir_xrealloc(*names, (size_t)(*n + 1) * sizeof **names);
		(*names)[(*n)++] = ir_xstrdup(e->d_name);
	}
	closedir(dp);
	if (!*n) {
		diag_error(d, loc_file(dir), "no images in the calibration folder");
		return -1;
	}
	qsort(*names, (size_t)*n, sizeof **names, by_name);
	return 0;
}

/* Reads, fits and stores image `name` of the folder as sample out. */
static int one_image(const Want *t, const char *name, float *out, Diag *d)
{
	size_t len = strlen(t->dir) + strlen(name) + 2;
	char *path = ir_xmalloc(len);
	FeImage im;
	struct stat st;
	int rc = -1;

	snprintf(path, len, "%s/%s", t->dir, name);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		diag_error(d, loc_file(path), "not a file: calibration folders hold only images");
	else if (fe_image_read(path, &im, d) == 0) {
		if ((rc = fit(t, path, &im, d)) == 0)
			store(t, &im, out);
		fe_image_free(&im);
	}
	free(path);
	return rc;
}

int fe_images_read(const char *dir, const FeImageOpts *o, const Value *input, NpyArray *out,
                   Diag *d)
{
	Want t = {o, dir, FE_CH_GRAY, 0, 0, 0};
	char **names;
	int n, rc = 0;

	memset(out, 0, sizeof *out);
	if (want_of(o, input, &t, d) || list_dir(dir, &names, &n, d))
		return -1;
	int64_t numel = ir_shape_numel(&input->shape);
	float *data = ir_xmalloc((size_t)n * numel * sizeof *data);
	for (int i = 0; i < n; i++) {
		if (!rc)
			rc = one_image(&t, names[i], data + i * numel, d);
		free(names[i]);
	}
	free(names);
	if (rc) {
		free(data);
		return -1;
	}
	out->dt = DT_F32;
	out->shape = input->shape;
	out->shape.d[0] = n;
	out->data = data;
	return 0;
}
