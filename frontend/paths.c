/* frontend/paths.c — which files a model may make quantc read.
 *
 * A model names other files: the .qg language's npy("...") weights (and,
 * in ONNX, external-data locations).  A model from elsewhere must not be
 * able to read /etc/passwd, ~/.ssh or a device into a compiled object, so
 * such a path must lead, after resolving symbolic links and "..", to a
 * file inside the model's own folder, or inside a folder the user allowed
 * with --allow-path DIR (docs/limits.md, "Files").
 *
 * The list of allowed folders is the run's: the driver fills it from the
 * command line before reading the model.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "frontend.h"

static struct {
	char **v; /* realpath'd */
	int n, cap;
} allowed;

int fe_allow_path(const char *dir, Diag *d)
{
	struct stat st;
	char *real = NULL;

	if (stat(dir, &st) != 0 || (S_ISDIR(st.st_mode) && !(real = realpath(dir, NULL)))) {
		diag_error(d, loc_none(), "--allow-path: '%s': %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		diag_error(d, loc_none(), "--allow-path: '%s' is not a folder", dir);
		return -1;
	}
	ir_vgrow((void **)&allowed.v, &allowed.cap, allowed.n, sizeof *allowed.v);
	allowed.v[allowed.n++] = real;
	return 0;
}

/* Whether real (resolved) is dir itself or below it. */
static int inside(const char *real, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return 1;
	return strncmp(real, dir, n) == 0 && (real[n] == '/' || real[n] == 0);
}

static int has_dotdot(const char *p)
{
	for (const char *s = p; (s = strstr(s, "..")); s += 2)
		if ((s == p || s[-1] == '/') && (s[2] == '/' || s[2] == 0))
			return 1;
	return 0;
}

static int allowed_anywhere(const char *real)
{
	for (int i = 0; i < allowed.n; i++)
		if (inside(real, allowed.v[i]))
			return 1;
	return 0;
}

char *fe_model_path(const char *dir, const char *ref, const char *what, Diag *d, Loc loc)
{
	const char *base = dir && dir[0] ? dir : ".";
	size_t nb = strlen(base), nr = strlen(ref);
	char *full, *real, *root;

	if (ref[0] == '/') {
		full = ir_xstrdup(ref);
	} else {
		full = ir_xmalloc(nb + nr + 2);
		memcpy(full, base, nb);
		full[nb] = '/';
		memcpy(full + nb + 1, ref, nr + 1);
	}
	root = realpath(base, NULL);
	real = realpath(full, NULL);
	if (!real && allowed.n == 0 && (ref[0] == '/' || has_dotdot(ref))) {
		/* nothing there; the spelling alone says it is outside */
	} else if (!real || !root) {
		/* a missing file (or folder) is for the reader to report */
		free(real);
		free(root);
		return full;
	} else if (inside(real, root) || allowed_anywhere(real)) {
		free(real);
		free(root);
		return full;
	}
	diag_error(d, loc,
	           "%s '%s' is outside the model's folder%s%s%s (%s); "
	           "--allow-path DIR lets a model read the files in DIR",
	           what, ref, root ? " '" : "", root ? root : "", root ? "'" : "",
	           ref[0] == '/'     ? "an absolute path"
	           : has_dotdot(ref) ? "'..' leads out of it"
	                             : "a symbolic link leads out of it");
	free(real);
	free(root);
	free(full);
	return NULL;
}
