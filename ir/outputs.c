/* outputs.c — every file quantc writes, as one transaction.
 *
 * ir_atomic_open creates a temporary ".qc-XXXXXX" in the output's own folder
 * (a short fixed-length name, so that an output name of up to NAME_MAX bytes
 * still works) and refuses an output that is not a regular file, that is one
 * of the inputs, or that is the same file as another output of the
 * transaction.  ir_atomic_commit checks every write, fflush, fsync and fclose
 * (a full file system, a file size limit) and, inside a transaction, keeps
 * the temporary; ir_outputs_commit renames all of them into place only when
 * every one was written, and puts back the files they replaced should one
 * rename fail.  On any failure, or when the process ends or is interrupted
 * before the commit, the temporaries are removed and the existing files stay
 * as they were.  Outside a transaction ir_atomic_commit renames at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ir.h"

#ifndef NAME_MAX
#define NAME_MAX 255
#endif

/* OPEN: being written; STAGED: written, waiting for the commit; FAILED: its
 * writing failed (diagnosed: the transaction fails); ABORTED: given up by its
 * writer (ir_atomic_abort), as if never opened; DONE: renamed into place. */
enum { OUT_OPEN, OUT_STAGED, OUT_FAILED, OUT_ABORTED, OUT_DONE };

#define LIVE(o) ((o)->state == OUT_OPEN || (o)->state == OUT_STAGED)

typedef struct {
	char *path, *tmp;
	char *backup;     /* during ir_outputs_commit: a link to the file replaced */
	dev_t dev;        /* the output's folder ... */
	ino_t ino;
	char *base;       /* ... and its name there */
	int fd;           /* the temporary, open until ir_atomic_commit */
	/* what was written to the FILE (a memory stream): in a cell of its
	 * own, since the stream keeps these addresses while outs.v may grow */
	struct {
		char *buf;
		size_t len;
	} *mem;
	int state;
} Out;

/* The signal handler reads v[0..n) (the temporaries' names): an entry is
 * filled in before n counts it, and a grown array is in place before the old
 * one is freed. */
static struct {
	Out *volatile v;
	volatile int n;
	int cap, depth, hooked;
} outs;

static const char tmp_name[] = ".qc-XXXXXX";

/* Removes every temporary not yet renamed: at exit (an internal error exits
 * from anywhere) and on a fatal signal. */
static void remove_temporaries(void)
{
	Out *v = outs.v;
	for (int i = 0; i < outs.n; i++) {
		if (v[i].tmp && LIVE(&v[i]))
			unlink(v[i].tmp);
		if (v[i].backup)
			unlink(v[i].backup);
	}
}

static void on_signal(int sig)
{
	remove_temporaries();
	signal(sig, SIG_DFL);
	raise(sig);
}

static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGABRT};

static void hook(void)
{
	if (outs.hooked)
		return;
	outs.hooked = 1;
	atexit(remove_temporaries);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction sa, old;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue; /* keep what the parent asked for (nohup) */
		sigaction(sigs[i], &sa, NULL);
	}
	/* a file size limit (ulimit -f) makes write fail with EFBIG, which is
	 * diagnosed, instead of killing the process */
	signal(SIGXFSZ, SIG_IGN);
}

/* path's folder, as a string ("." for a bare name). */
static char *folder_of(const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');
	char *dir;

	if (!slash) {
		*base = path;
		return ir_xstrdup(".");
	}
	*base = slash + 1;
	if (slash == path)
		return ir_xstrdup("/");
	dir = ir_xmalloc((size_t)(slash - path) + 1);
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = 0;
	return dir;
}

/* A fresh temporary in folder dir: its name, the descriptor in *fd. */
static char *make_temp(const char *dir, int *fd)
{
	size_t n = strlen(dir);
	char *t = ir_xmalloc(n + sizeof tmp_name + 1);

	memcpy(t, dir, n);
	t[n] = '/';
	memcpy(t + n + 1, tmp_name, sizeof tmp_name);
	*fd = mkstemp(t);
	if (*fd < 0) {
		free(t);
		return NULL;
	}
	return t;
}

static void grow(void)
{
	if (outs.n < outs.cap)
		return;
	int cap = outs.cap ? 2 * outs.cap : 16;
	Out *v = ir_xcalloc((size_t)cap, sizeof *v), *old = outs.v;
	if (outs.n)
		memcpy(v, old, (size_t)outs.n * sizeof *v);
	outs.v = v;
	outs.cap = cap;
	free(old);
}

/* Drops the entries from mark on (their temporaries already dealt with). */
static void truncate_to(int mark)
{
	while (outs.n > mark) {
		Out *o = &outs.v[outs.n - 1];
		char *p = o->path, *t = o->tmp, *b = o->backup, *s = o->base;
		outs.n--; /* first, so that the handler no longer looks at it */
		if (o->fd >= 0)
			close(o->fd);
		if (o->mem)
			free(o->mem->buf);
		free(o->mem);
		o->mem = NULL;
		free(p);
		free(t);
		free(b);
		free(s);
	}
}

int ir_outputs_begin(void)
{
	hook();
	outs.depth++;
	return outs.n;
}

void ir_outputs_abort(int mark)
{
	for (int i = mark; i < outs.n; i++)
		if (LIVE(&outs.v[i]))
			unlink(outs.v[i].tmp);
	truncate_to(mark);
	if (outs.depth > 0)
		outs.depth--;
}

/* A link to path's current file, so that it can be put back; NULL when there
 * is no file (or the file system has no hard links: then it cannot be). */
static char *keep_old(const Out *o)
{
	struct stat st;
	const char *base;
	char *dir, *b;
	int fd;

	if (lstat(o->path, &st) != 0)
		return NULL;
	dir = folder_of(o->path, &base);
	for (int tries = 0; tries < 8; tries++) {
		b = make_temp(dir, &fd);
		if (!b)
			break;
		close(fd);
		unlink(b);
		if (link(o->path, b) == 0) {
			free(dir);
			return b;
		}
		free(b);
		if (errno != EEXIST)
			break;
	}
	free(dir);
	return NULL;
}

/* Whether every output from mark on was written (the failures were
 * diagnosed where they happened); if not, they are all removed. */
static int all_staged(int mark)
{
	for (int i = mark; i < outs.n; i++)
		if (outs.v[i].state == OUT_OPEN || outs.v[i].state == OUT_FAILED) {
			for (int k = mark; k < outs.n; k++)
				if (LIVE(&outs.v[k]))
					unlink(outs.v[k].tmp);
			truncate_to(mark);
			return 0;
		}
	return 1;
}

static int rename_all(int mark, Diag *d)
{
	int i, k, bad = 0;
	sigset_t block, old;

	if (!all_staged(mark))
		return -1;
	/* the renames (and putting back) are not interrupted half-way */
	sigemptyset(&block);
	for (size_t j = 0; j < sizeof sigs / sizeof sigs[0]; j++)
		sigaddset(&block, sigs[j]);
	sigprocmask(SIG_BLOCK, &block, &old);
	for (i = mark; i < outs.n; i++)
		if (outs.v[i].state == OUT_STAGED)
			outs.v[i].backup = keep_old(&outs.v[i]);
	for (i = mark; i < outs.n; i++) {
		Out *o = &outs.v[i];
		if (o->state != OUT_STAGED)
			continue;
		if (rename(o->tmp, o->path) != 0) {
			diag_error(d, loc_none(), "cannot write '%s': %s", o->path,
			           strerror(errno));
			bad = 1;
			break;
		}
		o->state = OUT_DONE;
	}
	if (bad) {
		/* put back what the renames so far replaced */
		for (k = mark; k < i; k++) {
			Out *o = &outs.v[k];
			if (o->state != OUT_DONE)
				continue;
			if (o->backup) {
				if (rename(o->backup, o->path) == 0) {
					free(o->backup);
					o->backup = NULL;
				}
			} else {
				unlink(o->path);
			}
		}
		for (k = i; k < outs.n; k++)
			if (LIVE(&outs.v[k]))
				unlink(outs.v[k].tmp);
	}
	for (k = mark; k < outs.n; k++)
		if (outs.v[k].backup)
			unlink(outs.v[k].backup);
	truncate_to(mark);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return bad ? -1 : 0;
}

int ir_outputs_commit(int mark, Diag *d)
{
	if (outs.depth > 0)
		outs.depth--;
	if (outs.depth > 0) /* the enclosing transaction commits them */
		return all_staged(mark) ? 0 : -1;
	return rename_all(mark, d);
}

int ir_outputs_publish(int mark, Diag *d)
{
	if (outs.depth > 0)
		outs.depth--;
	return rename_all(mark, d);
}

int ir_atomic_open(AtomicFile *af, const char *path, Diag *d)
{
	struct stat st, dst;
	const char *base;
	char *dir;
	int fd;

	memset(af, 0, sizeof *af);
	af->slot = -1;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		diag_error(d, loc_none(), "cannot write '%s': not a regular file", path);
		return -1;
	}
	if (ir_path_is_input(path)) {
		diag_error(d, loc_none(),
		           "cannot write '%s': it is one of the input files; "
		           "choose another output",
		           path);
		return -1;
	}
	dir = folder_of(path, &base);
	if (!*base) {
		diag_error(d, loc_none(), "cannot write '%s': not a file name", path);
		free(dir);
		return -1;
	}
	if (strlen(base) > NAME_MAX) {
		diag_error(d, loc_none(),
		           "cannot write '%s': %s (the name has %zu bytes, at most %d)", path,
		           strerror(ENAMETOOLONG), strlen(base), NAME_MAX);
		free(dir);
		return -1;
	}
	if (stat(dir, &dst) != 0) {
		diag_error(d, loc_none(), "cannot write '%s': %s", path, strerror(errno));
		free(dir);
		return -1;
	}
	/* the same file as another output, or as one's temporary */
	for (int i = 0; i < outs.n; i++) {
		const Out *o = &outs.v[i];
		const char *tb = o->tmp ? strrchr(o->tmp, '/') + 1 : "";
		if (!LIVE(o) || o->dev != dst.st_dev || o->ino != dst.st_ino)
			continue;
		if (strcmp(o->base, base) == 0 || strcmp(tb, base) == 0) {
			diag_error(d, loc_none(),
			           "cannot write '%s': it is also the output '%s' "
			           "(two outputs would be one file)",
			           path, o->path);
			free(dir);
			return -1;
		}
	}
	af->tmp = make_temp(dir, &fd);
	free(dir);
	if (!af->tmp) {
		diag_error(d, loc_none(), "cannot write '%s': %s", path, strerror(errno));
		return -1;
	}
	/* mkstemp makes 0600; outputs are ordinary files */
	fchmod(fd, 0644);
	af->path = ir_xstrdup(path);
	grow();
	Out *o = &outs.v[outs.n];
	memset(o, 0, sizeof *o);
	o->path = ir_xstrdup(path);
	o->tmp = ir_xstrdup(af->tmp);
	o->base = ir_xstrdup(base);
	o->dev = dst.st_dev;
	o->ino = dst.st_ino;
	o->fd = fd;
	o->state = OUT_OPEN;
	af->slot = outs.n;
	outs.n++;
	hook();
	/* the FILE writes to memory; ir_atomic_commit writes that to the file
	 * with every error (ENOSPC, EFBIG, EIO) reported as it is */
	o->mem = ir_xcalloc(1, sizeof *o->mem);
	af->f = open_memstream(&o->mem->buf, &o->mem->len);
	if (!af->f) {
		int e = errno;
		ir_atomic_abort(af);
		diag_error(d, loc_none(), "cannot write '%s': %s", path, strerror(e));
		return -1;
	}
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n > (1u << 30) ? (1u << 30) : n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int ir_atomic_commit(AtomicFile *af, Diag *d)
{
	int slot = af->slot, err = 0;
	Out *o = &outs.v[slot];

	/* the memory stream fails only for want of memory; then the file's
	 * bytes, its data on disk (delayed allocation reports ENOSPC at fsync;
	 * EINVAL: a file that cannot be synced), and the close */
	if (ferror(af->f) || fclose(af->f) != 0)
		err = ENOMEM;
	af->f = NULL;
	if (!err && write_all(o->fd, o->mem->buf, o->mem->len) != 0)
		err = errno;
	if (!err && fsync(o->fd) != 0 && errno != EINVAL)
		err = errno;
	if (close(o->fd) != 0 && !err)
		err = errno;
	o->fd = -1;
	free(o->mem->buf);
	free(o->mem);
	o->mem = NULL;
	if (err) {
		diag_error(d, loc_none(), "cannot write '%s': %s", o->path, strerror(err));
		unlink(o->tmp);
		o->state = OUT_FAILED;
	} else {
		o->state = OUT_STAGED;
	}
	free(af->path);
	free(af->tmp);
	memset(af, 0, sizeof *af);
	if (err) {
		if (outs.depth == 0 && slot == outs.n - 1)
			truncate_to(slot);
		af->slot = -1;
		return -1;
	}
	af->slot = -1;
	if (outs.depth == 0) /* no transaction: this file alone */
		return ir_outputs_commit(outs.n - 1, d) ? -1 : 0;
	return 0;
}

void ir_atomic_abort(AtomicFile *af)
{
	if (af->slot >= 0 && af->slot < outs.n) {
		Out *o = &outs.v[af->slot];
		if (af->f)
			fclose(af->f);
		if (o->mem)
			free(o->mem->buf);
		free(o->mem);
		o->mem = NULL;
		if (o->fd >= 0)
			close(o->fd);
		o->fd = -1;
		if (LIVE(o))
			unlink(o->tmp);
		o->state = OUT_ABORTED;
		if (af->slot == outs.n - 1 && outs.depth == 0)
			truncate_to(af->slot);
	}
	free(af->path);
	free(af->tmp);
	memset(af, 0, sizeof *af);
	af->slot = -1;
}
