/* diag.c — diagnostics in the cproc/chibicc form:
 *   model.qg:12:5: error: conv2d: input has 3 channels, weight expects 1
 *       t1 = conv2d(x, w1, b1)
 *       ^
 */
#include <stdlib.h>
#include <string.h>

#include "ir.h"

/* Prints line `line` of file, and a caret under column col.  Silently does
 * nothing if the file cannot be read (a diagnostic about a missing file). */
static void show_line(FILE *out, const char *file, int line, int col)
{
	const char *why;
	FILE *f = ir_fopen_input(file, &why);
	char buf[512];
	int cur = 1, c, n = 0;

	if (!f)
		return;
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

void diag_warning(Diag *d, Loc loc, const char *fmt, ...)
{
	va_list ap;

	if (d)
		d->nwarnings++;
	if (d && (d->suppressed = d->quiet))
		return;
	va_start(ap, fmt);
	diag_verror(d, loc, "warning", fmt, ap);
	va_end(ap);
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
