/* ir/npy.c — numpy's .npy files: weights referenced by npy("...") in a
 * .qg file, calibration data, and the inputs and outputs of `quantc run`.
 *
 * The format (numpy/lib/format.py): the magic "\x93NUMPY", a major and minor
 * version byte, the header length (2 bytes little-endian in version 1.0, 4
 * bytes in 2.0 and 3.0), then the header: a Python dict literal with the keys
 * 'descr', 'fortran_order' and 'shape', padded with spaces and ended by '\n';
 * the raw array follows.  We read little-endian C-order arrays of the six
 * dtypes the IR knows and say plainly what else was found.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "npy.h"

enum {
	MAX_HEADER = 1 << 16, /* numpy itself refuses headers over 10000 bytes */
	ALIGN_DATA = 64,      /* numpy pads the header so the data is 64-aligned */
};

static const struct {
	const char *descr;
	DType dt;
} descrs[] = {
        {"<f4", DT_F32}, {"|i1", DT_I8}, {"<i1", DT_I8}, {"<i2", DT_I16}, {"<i4", DT_I32},
        {"<i8", DT_I64}, {"|u1", DT_U8}, {"<u1", DT_U8}, {"|b1", DT_U8}, /* numpy bool: a mask's bytes */
};

static const char supported[] = "supported: <f4, |i1, <i2, <i4, <i8, |u1, |b1";

static const char *descr_of(DType dt)
{
	switch (dt) {
	case DT_F32: return "<f4";
	case DT_I8: return "|i1";
	case DT_I16: return "<i2";
	case DT_I32: return "<i4";
	case DT_I64: return "<i8";
	case DT_U8: return "|u1";
	default: return NULL;
	}
}

static int host_is_big_endian(void)
{
	const uint16_t one = 1;
	return *(const unsigned char *)&one == 0;
}

/* Reverses the bytes of each element (only ever needed on a big-endian host). */
static void swap_bytes(void *data, int64_t numel, int size)
{
	unsigned char *p = data;
	for (int64_t i = 0; i < numel; i++, p += size)
		for (int a = 0, b = size - 1; a < b; a++, b--) {
			unsigned char t = p[a];
			p[a] = p[b];
			p[b] = t;
		}
}

/* ---- reading ------------------------------------------------------------- */

typedef struct {
	const char *path;
	Diag *d;
	Loc loc;
	int name_path; /* the message must name the file (loc is elsewhere) */
	const char *p, *end; /* header cursor */
	const char *hdr;
	int show; /* length of hdr to quote in messages (no padding) */
} Reader;

static void rerr(Reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void rerr(Reader *r, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (r->name_path)
		diag_error(r->d, r->loc, "%s: %s", r->path, msg);
	else
		diag_error(r->d, r->loc, "%s", msg);
}

static void skip_space(Reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int expect(Reader *r, char c)
{
	skip_space(r);
	if (r->p < r->end && *r->p == c) {
		r->p++;
		return 1;
	}
	rerr(r, "malformed .npy header: expected '%c' at byte %d of \"%.*s\"", c,
	     (int)(r->p - r->hdr), r->show, r->hdr);
	return 0;
}

/* A Python string literal in '...' or "..." (numpy writes no escapes). */
static int read_str(Reader *r, char *out, size_t cap)
{
	size_t n = 0;

	skip_space(r);
	if (r->p >= r->end || (*r->p != '\'' && *r->p != '"'))
		return 0;
	char q = *r->p++;
	while (r->p < r->end && *r->p != q) {
		if (n + 1 < cap)
			out[n++] = *r->p;
		r->p++;
	}
	if (r->p >= r->end)
		return 0;
	r->p++;
	out[n] = 0;
	return 1;
}

/* (), (5,), (2, 3), also Python 2's (5L,) */
static int read_shape(Reader *r, Shape *s)
{
	memset(s, 0, sizeof *s);
	if (!expect(r, '('))
		return 0;
	for (;;) {
		skip_space(r);
		if (r->p < r->end && *r->p == ')') {
			r->p++;
			return 1;
		}
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			break;
		int64_t v = 0;
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
			if (v > (INT64_MAX - 9) / 10) {
				rerr(r, "dimension in the .npy header is too large");
				return 0;
			}
			v = v * 10 + (*r->p++ - '0');
		}
		if (r->p < r->end && *r->p == 'L')
			r->p++;
		if (s->rank == IR_MAX_RANK) {
			rerr(r, "array has more than %d dimensions", IR_MAX_RANK);
			return 0;
		}
		s->d[s->rank++] = v;
		skip_space(r);
		if (r->p < r->end && *r->p == ',')
			r->p++;
		else if (r->p >= r->end || *r->p != ')')
			break;
	}
	rerr(r, "malformed .npy header: bad shape tuple in \"%.*s\"", r->show, r->hdr);
	return 0;
}

/* {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } in any order */
static int read_header(Reader *r, NpyArray *out)
{
	char key[32], descr[64];
	int have_descr = 0, have_order = 0, have_shape = 0;

	if (!expect(r, '{'))
		return 0;
	for (;;) {
		skip_space(r);
		if (r->p < r->end && *r->p == '}') {
			r->p++;
			break;
		}
		if (!read_str(r, key, sizeof key)) {
			rerr(r, "malformed .npy header: expected a key in \"%.*s\"", r->show,
			     r->hdr);
			return 0;
		}
		if (!expect(r, ':'))
			return 0;
		skip_space(r);
		if (strcmp(key, "descr") == 0) {
			if (!read_str(r, descr, sizeof descr)) {
				rerr(r,
				     "unsupported dtype: structured arrays are not supported (%s)",
				     supported);
				return 0;
			}
			have_descr = 1;
		} else if (strcmp(key, "fortran_order") == 0) {
			if (r->end - r->p >= 5 && memcmp(r->p, "False", 5) == 0) {
				r->p += 5;
			} else if (r->end - r->p >= 4 && memcmp(r->p, "True", 4) == 0) {
				rerr(r, "array is in Fortran order; only C order is supported "
				        "(save np.ascontiguousarray(a))");
				return 0;
			} else {
				rerr(r,
				     "malformed .npy header: fortran_order is not True or False");
				return 0;
			}
			have_order = 1;
		} else if (strcmp(key, "shape") == 0) {
			if (!read_shape(r, &out->shape))
				return 0;
			have_shape = 1;
		} else {
			rerr(r, "malformed .npy header: unexpected key '%s'", key);
			return 0;
		}
		skip_space(r);
		if (r->p < r->end && *r->p == ',')
			r->p++;
		else if (!(r->p < r->end && *r->p == '}')) {
			expect(r, '}');
			return 0;
		}
	}
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
		r->p++;
	if (r->p != r->end) {
		rerr(r, "malformed .npy header: text after the dictionary");
		return 0;
	}
	if (!have_descr || !have_order || !have_shape) {
		rerr(r, "malformed .npy header: no '%s' key",
		     !have_descr   ? "descr"
		     : !have_order ? "fortran_order"
		                   : "shape");
		return 0;
	}
	for (size_t i = 0; i < sizeof descrs / sizeof descrs[0]; i++)
		if (strcmp(descr, descrs[i].descr) == 0) {
			out->dt = descrs[i].dt;
			return 1;
		}
	if (descr[0] == '>')
		rerr(r,
		     "big-endian dtype '%s' is not supported (%s; save with "
		     "a.astype(a.dtype.newbyteorder('<')))",
		     descr, supported);
	else
		rerr(r, "unsupported dtype '%s' (%s)", descr, supported);
	return 0;
}

static uint32_t le(const unsigned char *b, int n)
{
	uint32_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

int ir_npy_read(const char *path, NpyArray *out, Diag *d, Loc loc)
{
	Reader r = {path, d, loc, 1, NULL, NULL, NULL, 0};
	unsigned char pre[12];
	struct stat st;
	char *hdr = NULL;
	char sbuf[160];
	FILE *f;

	memset(out, 0, sizeof *out);
	if (loc.line == 0 && (!loc.file || strcmp(loc.file, path) == 0)) {
		r.loc = loc_file(path);
		r.name_path = 0;
	}
	const char *why;
	if (!(f = ir_fopen_input(path, &why))) {
		rerr(&r, "cannot read .npy file: %s", why);
		return -1;
	}
	if (fstat(fileno(f), &st) != 0)
		memset(&st, 0, sizeof st);
	size_t got = fread(pre, 1, 10, f);
	if (got < 8 || memcmp(pre, "\x93NUMPY", 6) != 0) {
		rerr(&r, "not a .npy file (bad magic)");
		goto fail;
	}
	int major = pre[6], minor = pre[7], lenbytes = major == 1 ? 2 : 4;
	if ((major < 1 || major > 3) || minor != 0) {
		rerr(&r, "unsupported .npy version %d.%d (supported: 1.0, 2.0, 3.0)", major, minor);
		goto fail;
	}
	if (lenbytes == 4)
		got += fread(pre + 10, 1, 2, f);
	if (got < (size_t)(8 + lenbytes)) {
		rerr(&r, "truncated .npy file (no header length)");
		goto fail;
	}
	uint32_t hlen = le(pre + 8, lenbytes);
	if (hlen > MAX_HEADER) {
		rerr(&r, ".npy header too long (%u bytes; at most %d)", (unsigned)hlen, MAX_HEADER);
		goto fail;
	}
	hdr = ir_xmalloc(hlen + 1);
	if (fread(hdr, 1, hlen, f) != hlen) {
		rerr(&r, "truncated .npy header (%u bytes announced)", (unsigned)hlen);
		goto fail;
	}
	hdr[hlen] = 0;
	r.hdr = r.p = hdr;
	r.end = hdr + hlen;
	r.show = (int)hlen;
	while (r.show > 0 && (hdr[r.show - 1] == ' ' || hdr[r.show - 1] == '\n'))
		r.show--;
	if (r.show > 200)
		r.show = 200;
	/* numpy ends the header with '\n' and pads it with spaces; a NUL
	 * anywhere in it is no part of the format */
	const char *nul = memchr(hdr, 0, hlen);
	if (nul) {
		rerr(&r,
		     "malformed .npy header: a NUL byte at byte %d of the header (file offset %d)",
		     (int)(nul - hdr), (int)(nul - hdr) + 8 + lenbytes);
		goto fail;
	}
	if (!read_header(&r, out))
		goto fail;
	if (hdr[hlen - 1] != '\n') {
		rerr(&r,
		     "malformed .npy header: it does not end with a newline (byte %u of the file)",
		     (unsigned)(8 + lenbytes + hlen - 1));
		goto fail;
	}

	int size = ir_dtype_size(out->dt);
	int64_t numel = 1, bytes;
	for (int i = 0; i < out->shape.rank; i++)
		if (!ir_mul_ok(numel, out->shape.d[i], &numel))
			numel = -1;
	if (numel < 0 || !ir_mul_ok(numel, size, &bytes) || bytes > ((int64_t)1 << 40)) {
		rerr(&r, "array of shape %s is too large",
		     ir_shape_str(&out->shape, sbuf, sizeof sbuf));
		goto fail;
	}
	int64_t start = 8 + lenbytes + (int64_t)hlen;
	if (S_ISREG(st.st_mode) && st.st_size - start < bytes) {
		rerr(&r, "file has %lld bytes of data, shape %s of %s needs %lld",
		     (long long)(st.st_size - start), ir_shape_str(&out->shape, sbuf, sizeof sbuf),
		     ir_dtype_name(out->dt), (long long)bytes);
		goto fail;
	}
	out->data = ir_xmalloc((size_t)bytes);
	size_t n = fread(out->data, 1, (size_t)bytes, f);
	if (n != (size_t)bytes) {
		rerr(&r, "file has %zu bytes of data, shape %s of %s needs %lld", n,
		     ir_shape_str(&out->shape, sbuf, sizeof sbuf), ir_dtype_name(out->dt),
		     (long long)bytes);
		goto fail;
	}
	if (fgetc(f) != EOF) {
		long long extra = S_ISREG(st.st_mode) ? (long long)(st.st_size - start - bytes) : 0;
		if (extra > 0)
			rerr(&r,
			     "%lld bytes of trailing data after the array (file offset %lld; shape "
			     "%s of %s is %lld bytes)",
			     extra, (long long)(start + bytes),
			     ir_shape_str(&out->shape, sbuf, sizeof sbuf), ir_dtype_name(out->dt),
			     (long long)bytes);
		else
			rerr(&r, "trailing data after the array's %lld bytes (file offset %lld)",
			     (long long)bytes, (long long)(start + bytes));
		goto fail;
	}
	if (host_is_big_endian() && size > 1)
		swap_bytes(out->data, numel, size);
	free(hdr);
	fclose(f);
	return 0;
fail:
	free(hdr);
	fclose(f);
	ir_npy_free(out);
	memset(out, 0, sizeof *out);
	return -1;
}

void ir_npy_free(NpyArray *a)
{
	free(a->data);
	a->data = NULL;
}

/* ---- writing ------------------------------------------------------------- */

static int write_descr(const char *path, const char *descr, DType dt, const Shape *s,
                       const void *data, Diag *d);

int ir_npy_write(const char *path, DType dt, const Shape *s, const void *data, Diag *d)
{
	return write_descr(path, descr_of(dt), dt, s, data, d);
}

int ir_npy_write_bool(const char *path, const Shape *s, const uint8_t *data, Diag *d)
{
	return write_descr(path, "|b1", DT_U8, s, data, d);
}

static int write_descr(const char *path, const char *descr, DType dt, const Shape *s,
                       const void *data, Diag *d)
{
	char hdr[256];
	int n, size = ir_dtype_size(dt);
	int64_t numel = ir_shape_numel(s);
	AtomicFile af;

	if (!descr || s->rank < 0 || s->rank > IR_MAX_RANK)
		ICE("ir_npy_write: dtype %d rank %d", dt, s->rank);
	n = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
	for (int i = 0; i < s->rank; i++)
		n += snprintf(hdr + n, sizeof hdr - (size_t)n, "%s%lld", i ? ", " : "",
		              (long long)s->d[i]);
	n += snprintf(hdr + n, sizeof hdr - (size_t)n, "%s), }", s->rank == 1 ? "," : "");
	/* pad with spaces so that magic + version + length + header is a
	 * multiple of 64, the header ending in '\n' (as numpy writes it) */
	while ((10 + n + 1) % ALIGN_DATA)
		hdr[n++] = ' ';
	hdr[n++] = '\n';

	if (ir_atomic_open(&af, path, d))
		return -1;
	unsigned char pre[10] = {0x93,
	                         'N',
	                         'U',
	                         'M',
	                         'P',
	                         'Y',
	                         1,
	                         0,
	                         (unsigned char)(n & 0xff),
	                         (unsigned char)(n >> 8)};
	fwrite(pre, 1, sizeof pre, af.f);
	fwrite(hdr, 1, (size_t)n, af.f);
	if (host_is_big_endian() && size > 1) {
		const unsigned char *p = data;
		unsigned char e[8];
		for (int64_t i = 0; i < numel; i++, p += size) {
			for (int k = 0; k < size; k++)
				e[k] = p[size - 1 - k];
			fwrite(e, 1, (size_t)size, af.f);
		}
	} else if (numel > 0) {
		fwrite(data, (size_t)size, (size_t)numel, af.f);
	}
	return ir_atomic_commit(&af, d);
}

int64_t ir_npy_samples(const Shape *data, const Shape *in, int *stacked)
{
	int rest = 1; /* data's dimensions after the first are in's after the first */

	*stacked = 0;
	if (data->rank == in->rank + 1 && data->d[0] >= 1) {
		for (int i = 0; i < in->rank; i++)
			if (data->d[i + 1] != in->d[i])
				return 0;
		*stacked = 1;
		return data->d[0];
	}
	if (data->rank != in->rank || data->rank < 1 || data->d[0] < 1)
		return 0;
	for (int i = 1; i < in->rank; i++)
		rest &= data->d[i] == in->d[i];
	if (!rest)
		return 0;
	if (data->d[0] == in->d[0])
		return 1;
	return in->d[0] == 1 ? data->d[0] : 0;
}
