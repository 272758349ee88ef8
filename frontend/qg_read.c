/* frontend/qg_read.c — the entry points of the .qg reader, fe_parse_file and
 * fe_parse_string, and the helpers lexer.l calls.
 *
 * lexer.l (pu_scan) runs the grammar of parser.y over the text; the grammar
 * builds the records of qg_ast.c and hands each statement to qg_sema.c,
 * which adds it to the graph; pu_finish then does the checks that need the
 * whole file.  A file with errors gives no graph.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "qg.h"

enum {
	MAX_FILE = 1 << 30,        /* bytes of .qg text we accept */
};

/* ---- diagnostics and lexer support ------------------------------------------ */

void pu_error(ParseCtx *pc, Loc loc, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	diag_error(pc->d, loc, "%s", msg);
}

void pu_advance(ParseCtx *pc, int *line, int *col, const char *text, size_t n)
{
	(void)pc;
	for (size_t i = 0; i < n; i++)
		if (text[i] == '\n') {
			++*line;
			*col = 1;
		} else {
			++*col;
		}
}

/* The body of a string literal: \" and \\ are the only escapes. */
char *pu_unescape(ParseCtx *pc, const char *text, size_t n, Loc loc)
{
	char *s = pu_alloc(pc, n + 1), *p = s;

	for (size_t i = 0; i < n; i++) {
		if (text[i] == 0) {
			pu_error(pc, loc, "string contains a NUL byte");
			break;
		}
		if (text[i] == '\\' && i + 1 < n) {
			i++;
			if (text[i] != '"' && text[i] != '\\')
				pu_error(pc, loc,
				         "unknown escape '\\%c' in string (only \\\" and \\\\)",
				         text[i]);
		}
		*p++ = text[i];
	}
	*p = 0;
	return s;
}

/* ---- the entry points ---------------------------------------------------------------- */

static Graph *parse(const char *name, const char *dir, char *text, size_t len, int in_place,
                    Diag *d)
{
	Graph *g = ir_graph_new(NULL);
	ParseCtx pc;

	g->file = ir_strdup(g, name);
	pu_ctx_init(&pc, g, d, dir);
	if (pu_scan(&pc, text, len, in_place) != 0 && d->nerrors == pc.errors0)
		pu_error(&pc, loc_file(g->file), "cannot parse the file");
	int failed = pu_finish(&pc) > 0;
	pu_ctx_free(&pc);
	if (!failed)
		failed = ir_verify(g, d) > 0;
	if (failed) {
		ir_graph_free(g);
		return NULL;
	}
	return g;
}

Graph *fe_parse_string(const char *text, size_t len, const char *name, const char *dir, Diag *d)
{
	Diag local = {0};

	if (!d)
		d = &local;
	if (!name)
		name = "<string>";
	if (len > MAX_FILE) {
		diag_error(d, loc_file(name), "file is too large (%zu bytes; the limit is 1 GiB)",
		           len);
		return NULL;
	}
	return parse(name, dir, (char *)text, len, 0, d);
}

/* The folder part of path ("" for a bare name: npy paths are then used as
 * given, relative to the working directory, like the file itself). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;
	char *dir = ir_xmalloc(n + 2);

	if (slash && n == 0)
		n = 1; /* "/model.qg": the root */
	memcpy(dir, path, n);
	dir[n] = 0;
	return dir;
}

Graph *fe_parse_file(const char *path, Diag *d)
{
	Diag local = {0};
	struct stat st;
	size_t len = 0, cap;
	FILE *f;

	if (!d)
		d = &local;
	if (!(f = ir_open_input(path, "cannot read the model", d, loc_file(path))))
		return NULL;
	if (fstat(fileno(f), &st) != 0)
		memset(&st, 0, sizeof st);
	if (S_ISREG(st.st_mode) && st.st_size > MAX_FILE) {
		diag_error(d, loc_file(path), "file is too large (%lld bytes; the limit is 1 GiB)",
		           (long long)st.st_size);
		fclose(f);
		return NULL;
	}
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 2 : 4096;
	char *buf = ir_xmalloc(cap);
	for (;;) {
		if (len + 2 >= cap) {
			cap *= 2;
			buf = ir_xrealloc(buf, cap);
		}
		size_t got = fread(buf + len, 1, cap - 2 - len, f);
		len += got;
		if (len > MAX_FILE) {
			diag_error(d, loc_file(path), "file is too large (the limit is 1 GiB)");
			break;
		}
		if (got == 0)
			break;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad)
		diag_error(d, loc_file(path), "cannot read the model: read error");
	if (bad || len > MAX_FILE) {
		free(buf);
		return NULL;
	}
	buf[len] = buf[len + 1] = 0;
	char *dir = dir_of(path);
	Graph *g = parse(path, dir, buf, len, 1, d);
	free(dir);
	free(buf);
	return g;
}
