/* diag.c — diagnostics in the cproc/chibicc form:
 *   model.qg:12:5: error: conv2d: input has 3 channels, weight expects 1
 *       t1 = conv2d(x, w1, b1)
 *       ^
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "ir.h"

/* Where the lines of a file start, so that a diagnostic does not rescan the
 * file from its first byte (a config with 50,000 unmatched entries gave
 * 50,000 rescans).  A file is read once, at its first diagnostic, and a
 * checkpoint (line number, byte offset) kept at the first line start after
 * every SPAN bytes: memory is 16 bytes per SPAN bytes of file, and showing a
 * line reads at most SPAN bytes before it.  A file that changed since (a
 * harness rewriting one path) is indexed again: the entry remembers which
 * file, of which size and time, it describes. */
enum { SPAN = 1 << 16, MAX_FILES = 16 };

typedef struct {
	char *path;
	struct stat st;      /* the file indexed */
	int64_t *line, *off; /* checkpoints, ascending; line[0] = 1 at off 0 */
	int n, cap;
	int lines;           /* lines in the file */
} LineIndex;

static struct {
	LineIndex f[MAX_FILES];
	int n, next; /* next: the entry to replace when all are taken */
} lines_cache;

static void add_mark(LineIndex *x, int64_t line, int64_t off)
{
	ir_vgrow((void **)&x->line, &x->cap, x->n, sizeof *x->line);
	x->off = ir_xrealloc(x->off, (size_t)x->cap * sizeof *x->off);
	x->line[x->n] = line;
	x->off[x->n++] = off;
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static const LineIndex *line_index(const char *path)
{
	LineIndex *x = NULL;
	const char *why;
	struct stat st;
	FILE *f;
	int64_t line = 1, off = 0, next = SPAN;
	int c;

	if (!(f = ir_fopen_input(path, &why)))
		return NULL;
	if (fstat(fileno(f), &st) != 0) {
		fclose(f);
		return NULL;
	}
	for (int i = 0; i < lines_cache.n; i++)
		if (strcmp(lines_cache.f[i].path, path) == 0) {
			x = &lines_cache.f[i];
			if (same_file(&x->st, &st)) {
				fclose(f);
				return x;
			}
			break; /* changed: index it again in the same entry */
		}
	if (!x && lines_cache.n < MAX_FILES)
		x = &lines_cache.f[lines_cache.n++];
	else if (!x) {
		x = &lines_cache.f[lines_cache.next];
		lines_cache.next = (lines_cache.next + 1) % MAX_FILES;
	}
	free(x->path);
	free(x->line);
	free(x->off);
	memset(x, 0, sizeof *x);
	x->path = ir_xstrdup(path);
	x->st = st;
	add_mark(x, 1, 0);
	while ((c = getc(f)) != EOF) {
		off++;
		if (c != '\n')
			continue;
		line++;
		if (off >= next) {
			add_mark(x, line, off);
			next = off + SPAN;
		}
	}
	fclose(f);
	x->lines = line > INT32_MAX ? INT32_MAX : (int)line;
	return x;
}

/* Prints line `line` of file, and a caret under column col.  Silently does
 * nothing if the file cannot be read (a diagnostic about a missing file). */
static void show_line(FILE *out, const char *file, int line, int col)
{
	const LineIndex *x = line_index(file);
	const char *why;
	FILE *f;
	char buf[512];
	int64_t cur;
	int c, n = 0, lo = 0, hi;

	if (!x || line > x->lines || !(f = ir_fopen_input(file, &why)))
		return;
	for (hi = x->n - 1; lo < hi;) { /* the last checkpoint at or before line */
		int mid = (lo + hi + 1) / 2;
		if (x->line[mid] <= line)
			lo = mid;
		else
			hi = mid - 1;
	}
	cur = x->line[lo];
	if (fseeko(f, (off_t)x->off[lo], SEEK_SET) != 0) {
		fclose(f);
		return;
	}
	while (cur < line && (c = getc(f)) != EOF)
		if (c == '\n')
			cur++;
	if (cur != line) {
		fclose(f);
		return;
	}
	while ((c = getc(f)) != EOF && c != '\n' && n < (int)sizeof buf - 1)
		buf[n++] = (char)c;
	fclose(f);
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = 0;
	/* only printable ASCII goes to the terminal; the rest shows as '?' */
	for (int i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 32 && buf[i] != '\t')
			buf[i] = ' ';
		else if ((unsigned char)buf[i] >= 127)
			buf[i] = '?';
	fprintf(out, "    %s\n    ", buf);
	for (int i = 1; i < col && i <= n; i++)
		putc(buf[i - 1] == '\t' ? '\t' : ' ', out);
	fprintf(out, "^\n");
}

enum { MAX_MESSAGE = 16384 }; /* bytes of one message shown; the rest is "..." */

/* Prints the message; its text may quote a model's strings, so control
 * characters (a terminal's escape sequences) are shown as \xNN, and a name
 * of a megabyte is cut short. */
static void put_clean(FILE *out, const char *fmt, va_list ap)
{
	char *msg = ir_xmalloc(MAX_MESSAGE + 1);
	int n = vsnprintf(msg, MAX_MESSAGE + 1, fmt, ap);

	if (n < 0)
		n = 0;
	for (int i = 0; i < n && i < MAX_MESSAGE; i++) {
		unsigned char c = (unsigned char)msg[i];
		if ((c < 32 && c != '\n' && c != '\t') || c == 127)
			fprintf(out, "\\x%02x", c);
		else
			putc(c, out);
	}
	if (n > MAX_MESSAGE)
		fputs("...", out);
	free(msg);
}

void diag_verror(Diag *d, Loc loc, const char *kind, const char *fmt, va_list ap)
{
	FILE *out = d && d->out ? d->out : stderr;

	if (loc.file && !*loc.file) /* an empty name given on the command line */
		loc.file = "''";
	if (loc.file && loc.line > 0)
		fprintf(out, "%s:%d:%d: %s: ", loc.file, loc.line, loc.col, kind);
	else if (loc.file)
		fprintf(out, "%s: %s: ", loc.file, kind);
	else
		fprintf(out, "quantc: %s: ", kind);
	put_clean(out, fmt, ap);
	fputc('\n', out);
	if (loc.file && loc.line > 0)
		show_line(out, loc.file, loc.line, loc.col);
	fflush(out);
}

enum { MAX_ERRORS = 50 }; /* then one more line, and silence (as clang's -ferror-limit) */

void diag_error(Diag *d, Loc loc, const char *fmt, ...)
{
	va_list ap;

	if (d && d->nerrors >= MAX_ERRORS) {
		if (d->nerrors++ == MAX_ERRORS)
			fprintf(d->out ? d->out : stderr,
			        "quantc: error: too many errors (%d); stopping here\n", MAX_ERRORS);
		d->suppressed = 1;
		return;
	}
	if (d)
		d->suppressed = 0;
	va_start(ap, fmt);
	diag_verror(d, loc, "error", fmt, ap);
	va_end(ap);
	if (d)
		d->nerrors++;
}

/* Warnings have a cap too: past it they are counted, not shown, and
 * diag_finish says how many were left out. */
enum { MAX_WARNINGS = 50 };

void diag_warning(Diag *d, Loc loc, const char *fmt, ...)
{
	va_list ap;

	if (d)
		d->nwarnings++;
	if (d && (d->suppressed = d->quiet))
		return;
	if (d && d->nshown_warnings >= MAX_WARNINGS) {
		d->nhidden_warnings++;
		d->suppressed = 1;
		return;
	}
	if (d)
		d->nshown_warnings++;
	va_start(ap, fmt);
	diag_verror(d, loc, "warning", fmt, ap);
	va_end(ap);
}

void diag_finish(Diag *d)
{
	if (!d || !d->nhidden_warnings)
		return;
	fprintf(d->out ? d->out : stderr,
	        "quantc: note: %d more warning%s not shown (only the "
	        "first %d are)\n",
	        d->nhidden_warnings, d->nhidden_warnings == 1 ? "" : "s", MAX_WARNINGS);
	d->nhidden_warnings = 0;
}

void diag_note(Diag *d, Loc loc, const char *fmt, ...)
{
	va_list ap;

	if (d && d->suppressed)
		return;
	va_start(ap, fmt);
	diag_verror(d, loc, "note", fmt, ap);
	va_end(ap);
}

_Noreturn void ir_ice(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "quantc: internal error: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(70);
}

int ir_run_captured(int (*fn)(Graph *g, Diag *d), Graph *g, char *msg, size_t n)
{
	Diag cap = {0};
	char *buf = NULL;
	size_t len = 0;

	cap.out = open_memstream(&buf, &len);
	fn(g, &cap);
	if (cap.out)
		fclose(cap.out);
	if (cap.nerrors) {
		const char *m = buf ? strstr(buf, "error: ") : NULL;
		m = m ? m + 7 : "cannot infer the result's shape";
		snprintf(msg, n, "%.*s", (int)strcspn(m, "\n"), m);
	}
	free(buf);
	return cap.nerrors ? -1 : 0;
}
