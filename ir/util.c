/* util.c — memory helpers that never return NULL, overflow-checked sizes,
 * and opening input files (regular files only), which no output may then
 * replace (outputs.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ir.h"

void *ir_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		ICE("out of memory (%zu bytes)", n);
	return p;
}

void *ir_xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);
	if (!p)
		ICE("out of memory (%zu x %zu bytes)", n, sz);
	return p;
}

void *ir_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		ICE("out of memory (%zu bytes)", n);
	return p;
}

char *ir_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(ir_xmalloc(n), s, n);
}

int ir_mul_ok(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;
	if (__builtin_mul_overflow(a, b, &r))
		return 0;
	*out = r;
	return 1;
}

/* ---- input files ---------------------------------------------------------- */

/* The files read so far (device and inode), when ir_protect_inputs is on. */
static struct {
	int on, n, cap;
	struct {
		dev_t dev;
		ino_t ino;
	} *v;
} inputs;

void ir_protect_inputs(void)
{
	inputs.on = 1;
}

static void remember_input(const struct stat *st)
{
	if (!inputs.on)
		return;
	for (int i = 0; i < inputs.n; i++)
		if (inputs.v[i].dev == st->st_dev && inputs.v[i].ino == st->st_ino)
			return;
	ir_vgrow((void **)&inputs.v, &inputs.cap, inputs.n, sizeof *inputs.v);
	inputs.v[inputs.n].dev = st->st_dev;
	inputs.v[inputs.n++].ino = st->st_ino;
}

static int is_input(const struct stat *st)
{
	for (int i = 0; i < inputs.n; i++)
		if (inputs.v[i].dev == st->st_dev && inputs.v[i].ino == st->st_ino)
			return 1;
	return 0;
}

static const char *not_regular(mode_t m)
{
	if (S_ISDIR(m))
		return "it is a directory";
	if (S_ISFIFO(m))
		return "it is a FIFO (named pipe), not a regular file";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "it is a device, not a regular file";
	if (S_ISSOCK(m))
		return "it is a socket, not a regular file";
	return "it is not a regular file";
}

FILE *ir_fopen_input(const char *path, const char **why)
{
	struct stat st;
	FILE *f;
	int fd;

	/* a device is not even opened (opening some has effects); the mode is
	 * checked again on the open descriptor, so it is the file that is read.
	 * O_NONBLOCK: should a FIFO appear in between, opening it must not wait
	 * for a writer. */
	if (stat(path, &st) != 0) {
		*why = strerror(errno);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = not_regular(st.st_mode);
		return NULL;
	}
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0) {
		*why = strerror(errno);
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		*why = "it is not a regular file";
		close(fd);
		return NULL;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl != -1)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	if (!(f = fdopen(fd, "rb"))) {
		*why = strerror(errno);
		close(fd);
		return NULL;
	}
	remember_input(&st);
	return f;
}

FILE *ir_open_input(const char *path, const char *fail, Diag *d, Loc loc)
{
	const char *why = NULL;
	FILE *f = ir_fopen_input(path, &why);

	if (!f)
		diag_error(d, loc, "%s: %s", fail, why);
	return f;
}

int ir_path_is_input(const char *path)
{
	struct stat st;
	return inputs.on && stat(path, &st) == 0 && is_input(&st);
}

/* Optimal string alignment distance (Damerau-Levenshtein without repeated
 * edits of one substring), two rows of the table plus the one before. */
int ir_edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	int *prev2 = ir_xmalloc((m + 1) * sizeof *prev2),
	    *prev = ir_xmalloc((m + 1) * sizeof *prev);
	int *cur = ir_xmalloc((m + 1) * sizeof *cur), d;

	for (size_t j = 0; j <= m; j++)
		prev[j] = (int)j;
	for (size_t i = 1; i <= n; i++) {
		cur[0] = (int)i;
		for (size_t j = 1; j <= m; j++) {
			int cost = a[i - 1] != b[j - 1];
			int best = prev[j - 1] + cost;
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
		}
		int *t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	d = prev[m];
	free(prev2);
	free(prev);
	free(cur);
	return d;
}

void ir_suggest_init(IrSuggest *s, const char *word)
{
	size_t n = strlen(word);
	s->word = word;
	s->best = NULL;
	/* the largest distance that still looks like a typo, plus one */
	s->dist = (n <= 1 ? 0 : n <= 3 ? 1 : n <= 6 ? 2 : 3) + 1;
}

void ir_suggest_add(IrSuggest *s, const char *candidate)
{
	if (!candidate || !*candidate || s->dist == 0)
		return;
	if (strcmp(candidate, s->word) == 0) { /* the word is a candidate: no typo */
		s->best = NULL;
		s->dist = 0;
		return;
	}
	/* a length difference alone already rules it out: skip the table */
	size_t n = strlen(s->word), m = strlen(candidate);
	if ((n > m ? n - m : m - n) >= (size_t)s->dist)
		return;
	int d = ir_edit_distance(s->word, candidate);
	if (d < s->dist) {
		s->dist = d;
		s->best = candidate;
	}
}

const char *ir_suggest(const char *word, const char *const *candidates)
{
	IrSuggest s;

	ir_suggest_init(&s, word);
	for (int i = 0; candidates[i]; i++)
		ir_suggest_add(&s, candidates[i]);
	return s.best;
}
