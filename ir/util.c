/* util.c — memory helpers that never return NULL, overflow-checked sizes,
 * and atomic output files (a failed compile leaves nothing behind). */
#include <errno.h>
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

int ir_atomic_open(AtomicFile *af, const char *path, Diag *d)
{
	struct stat st;
	size_t n = strlen(path);
	int fd;

	memset(af, 0, sizeof *af);
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		diag_error(d, loc_none(), "cannot write '%s': not a regular file", path);
		return -1;
	}
	af->path = ir_xstrdup(path);
	af->tmp = ir_xmalloc(n + 16);
	memcpy(af->tmp, path, n);
	memcpy(af->tmp + n, ".tmp.XXXXXX", 12);
	fd = mkstemp(af->tmp);
	if (fd < 0) {
		diag_error(d, loc_none(), "cannot write '%s': %s", path, strerror(errno));
		free(af->path);
		free(af->tmp);
		memset(af, 0, sizeof *af);
		return -1;
	}
	/* mkstemp makes 0600; outputs are ordinary files */
	fchmod(fd, 0644);
	af->f = fdopen(fd, "wb");
	if (!af->f) {
		close(fd);
		ir_atomic_abort(af);
		diag_error(d, loc_none(), "cannot write '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int ir_atomic_commit(AtomicFile *af, Diag *d)
{
	int bad = ferror(af->f);

	if (fclose(af->f) != 0)
		bad = 1;
	af->f = NULL;
	if (bad || rename(af->tmp, af->path) != 0) {
		diag_error(d, loc_none(), "cannot write '%s': %s", af->path,
		           bad ? "write failed" : strerror(errno));
		ir_atomic_abort(af);
		return -1;
	}
	free(af->path);
	free(af->tmp);
	memset(af, 0, sizeof *af);
	return 0;
}

void ir_atomic_abort(AtomicFile *af)
{
	if (af->f)
		fclose(af->f);
	if (af->tmp)
		unlink(af->tmp);
	free(af->path);
	free(af->tmp);
	memset(af, 0, sizeof *af);
}
