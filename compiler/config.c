/* compiler/config.c — quantc's --config FILE.yaml (docs/configuration.md):
 * reads the file with libyaml's document API into a DrvConfig, checking every
 * key, type and value and reporting each mistake at the file's line and
 * column, and applies the part that needs the model (declared input ranges).
 * It is the driver's: its settings are the passes' (precision, calibration),
 * and the frontend may not include the passes. */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "driver.h"

typedef struct {
	const char *path;
	yaml_document_t *doc;
	DrvConfig *c;
	Diag *d;
} Reader;

/* libyaml's marks count from 0; ours from 1. */
static Loc mark_loc(const char *path, yaml_mark_t m)
{
	Loc l = {path, (int)m.line + 1, (int)m.column + 1};
	return l;
}

static Loc at(const Reader *r, const yaml_node_t *n)
{
	return mark_loc(r->path, n->start_mark);
}

static yaml_node_t *node(const Reader *r, int id)
{
	return yaml_document_get_node(r->doc, id);
}

static const char *text(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static const char *kind_name(yaml_node_type_t t)
{
	switch (t) {
	case YAML_SCALAR_NODE: return "a scalar";
	case YAML_SEQUENCE_NODE: return "a list";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "nothing";
	}
}

/* Checks that n (the value of `what`) is of type t. */
static int want(const Reader *r, const yaml_node_t *n, yaml_node_type_t t, const char *what)
{
	if (n->type == t)
		return 0;
	diag_error(r->d, at(r, n), "%s must be %s, not %s", what, kind_name(t), kind_name(n->type));
	return -1;
}

static int quoted(const yaml_node_t *n)
{
	return n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	       n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
}

/* YAML's null: a plain ~, null, Null or NULL. */
static int is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = {"~", "null", "Null", "NULL"};

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
		if (strcmp(text(n), nulls[i]) == 0)
			return 1;
	return 0;
}

/* A plain (unquoted) scalar that is a finite number. */
static int number(const Reader *r, const yaml_node_t *n, const char *what, double *out)
{
	char *end;

	if (want(r, n, YAML_SCALAR_NODE, what))
		return -1;
	errno = 0;
	*out = strtod(text(n), &end);
	if (quoted(n) || end == text(n) || *end || errno || !isfinite(*out)) {
		diag_error(r->d, at(r, n), "%s must be a number, not '%s'", what, text(n));
		return -1;
	}
	return 0;
}

static int boolean(const Reader *r, const yaml_node_t *n, const char *what, int *out)
{
	if (want(r, n, YAML_SCALAR_NODE, what))
		return -1;
	if (!quoted(n) && (strcmp(text(n), "true") == 0 || strcmp(text(n), "false") == 0)) {
		*out = text(n)[0] == 't';
		return 0;
	}
	diag_error(r->d, at(r, n), "%s must be true or false, not '%s'", what, text(n));
	return -1;
}

/* Which of names[] (n of them, listed in the message) key k is; each at most
 * once (seen).  -1 (diagnosed) for any other key. */
static int key_of(const Reader *r, const yaml_node_t *k, const char *const *names, int n,
                  const char *where, unsigned *seen)
{
	char list[160] = "";

	if (want(r, k, YAML_SCALAR_NODE, "a key"))
		return -1;
	for (int i = 0; i < n; i++) {
		if (strcmp(text(k), names[i]) != 0)
			continue;
		if (*seen & 1u << i) {
			diag_error(r->d, at(r, k), "'%s' is given twice in %s", names[i], where);
			return -1;
		}
		*seen |= 1u << i;
		return i;
	}
	for (int i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
		         names[i]);
	diag_error(r->d, at(r, k), "unknown key '%s' in %s (%s)", text(k), where, list);
	return -1;
}

#define FOR_PAIRS(p, m)                                                                            \
	for (yaml_node_pair_t *p = (m)->data.mapping.pairs.start; p < (m)->data.mapping.pairs.top; \
	     p++)

/* Which of names[] (n of them) scalar v, the value of `what`, is: into *i. */
static int choice(const Reader *r, const yaml_node_t *v, const char *what, const char *const *names,
                  int n, int *i)
{
	char list[80] = "";

	if (want(r, v, YAML_SCALAR_NODE, what))
		return -1;
	for (*i = 0; *i < n; ++*i)
		if (strcmp(text(v), names[*i]) == 0)
			return 0;
	for (int k = 0; k < n; k++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "",
		         names[k]);
	diag_error(r->d, at(r, v), "unknown %s '%s' (%s)", what, text(v), list);
	return -1;
}

static const char *digits(const char *s, long *out)
{
	long v = 0;

	if (*s < '0' || *s > '9')
		return NULL;
	while (*s >= '0' && *s <= '9')
		if ((v = v * 10 + (*s++ - '0')) > 1L << 20)
			return NULL;
	*out = v;
	return s;
}

/* size := WIDTH "x" HEIGHT | N, each side in [1, 16384] (images.c's limit).
 * N alone is N x N for crop, the shorter side (height 0) for resize. */
static int read_size(const Reader *r, const yaml_node_t *v, const char *what, int wh[2])
{
	const char *s;
	long w = 0, h = 0;

	if (want(r, v, YAML_SCALAR_NODE, what))
		return -1;
	s = digits(text(v), &w);
	int by = s && *s == 'x';
	if (by)
		s = digits(s + 1, &h);
	else
		h = strcmp(what, "crop") == 0 ? w : 0;
	if (!s || *s || w < 1 || w > 16384 || h > 16384 || (by && h < 1)) {
		diag_error(r->d, at(r, v),
		           "%s must be WIDTHxHEIGHT (e.g. 28x28) or one whole number "
		           "(%s), sides in [1, 16384], not '%s'",
		           what, strcmp(what, "crop") == 0 ? "a square" : "the shorter side",
		           text(v));
		return -1;
	}
	wh[0] = (int)w;
	wh[1] = (int)h;
	return 0;
}

/* scale := number | number "/" number (1/255), finite and not 0 */
static int read_scale(const Reader *r, const yaml_node_t *v, double *out)
{
	const char *s;
	char *end;
	double a, b = 1;

	if (want(r, v, YAML_SCALAR_NODE, "scale"))
		return -1;
	s = text(v);
	errno = 0;
	a = strtod(s, &end);
	int ok = end != s;
	if (ok && *end == '/') {
		s = end + 1;
		b = strtod(s, &end);
		ok = end != s;
	}
	*out = a / b;
	if (quoted(v) || !ok || *end || errno || !isfinite(*out) || *out == 0) {
		diag_error(r->d, at(r, v),
		           "scale must be a number or a fraction other than 0 (e.g. "
		           "0.00392156862745098 or 1/255), not '%s'",
		           text(v));
		return -1;
	}
	return 0;
}

/* mean, std := number | [number, ...] (1 to 3: one for every channel, or one
 * each); std's must be positive. */
static int read_per_channel(const Reader *r, const yaml_node_t *v, const char *what, double *x,
                            int *n)
{
	yaml_node_item_t *it = NULL;
	int pos = strcmp(what, "std") == 0;

	*n = 1;
	if (v->type != YAML_SCALAR_NODE) {
		if (v->type != YAML_SEQUENCE_NODE) {
			diag_error(r->d, at(r, v), "%s must be a number or a list, not %s", what,
			           kind_name(v->type));
			return -1;
		}
		it = v->data.sequence.items.start;
		*n = (int)(v->data.sequence.items.top - it);
		if (*n < 1 || *n > 3) {
			diag_error(r->d, at(r, v),
			           "%s must be a number or a list of 1 to 3 numbers (one "
			           "per channel); this list has %d",
			           what, *n);
			return -1;
		}
	}
	for (int i = 0; i < *n; i++) {
		const yaml_node_t *e = it ? node(r, it[i]) : v;
		if (number(r, e, what, &x[i]))
			return -1;
		if (pos && !(x[i] > 0)) {
			diag_error(r->d, at(r, e), "std must be positive, not %s", text(e));
			return -1;
		}
	}
	return 0;
}

/* calibration.images: {resize, crop, scale, mean, std, channels, layout},
 * how the images of a folder given to --calib become samples (images.c). */
static int read_images(const Reader *r, const yaml_node_t *m, FeImageOpts *o)
{
	static const char *const names[] = {"resize", "crop",     "scale", "mean",
	                                    "std",    "channels", "layout"};
	static const char *const chans[] = {"gray", "rgb", "bgr"}, *const lays[] = {"nchw", "nhwc"};
	unsigned seen = 0;
	int i = 0, rc = -1;

	fe_image_opts_init(o);
	if (want(r, m, YAML_MAPPING_NODE, "images"))
		return -1;
	FOR_PAIRS(pr, m)
	{
		const yaml_node_t *v = node(r, pr->value);
		int k = key_of(r, node(r, pr->key), names, FE_IMG_NKEYS, "images", &seen);
		switch (k) {
		case FE_IMG_RESIZE: rc = read_size(r, v, "resize", o->resize); break;
		case FE_IMG_CROP: rc = read_size(r, v, "crop", o->crop); break;
		case FE_IMG_SCALE: rc = read_scale(r, v, &o->scale); break;
		case FE_IMG_MEAN: rc = read_per_channel(r, v, "mean", o->mean, &o->nmean); break;
		case FE_IMG_STD: rc = read_per_channel(r, v, "std", o->std, &o->nstd); break;
		case FE_IMG_CHANNELS:
			rc = choice(r, v, "channels", chans, 3, &i);
			o->channels = (FeChannels)(FE_CH_GRAY + i);
			break;
		case FE_IMG_LAYOUT:
			rc = choice(r, v, "layout", lays, 2, &i);
			o->layout = (FeLayout)i;
			break;
		default: return -1;
		}
		if (rc)
			return -1;
		o->loc[k] = at(r, v);
	}
	/* with the channels given, a mean or std of the wrong length is known now */
	int nch = o->channels == FE_CH_GRAY ? 1 : 3;
	for (int k = FE_IMG_MEAN; k <= FE_IMG_STD && o->channels != FE_CH_MODEL; k++) {
		int n = k == FE_IMG_MEAN ? o->nmean : o->nstd;
		if (n > 1 && n != nch) {
			diag_error(r->d, o->loc[k], "%s has %d values; channels: %s has %d",
			           names[k], n, chans[o->channels - FE_CH_GRAY], nch);
			return -1;
		}
	}
	return 0;
}

/* calibration: {method, percentile, bins, images}, into *p with *set saying
 * which; images only at the top (it is the run's, not a layer's). */
static int read_calib(const Reader *r, const yaml_node_t *m, CalibParams *p, unsigned *set)
{
	static const char *const names[] = {"method", "percentile", "bins", "images"};
	int top = p == &r->c->calib;
	unsigned seen = 0;
	double x;

	if (want(r, m, YAML_MAPPING_NODE, "calibration"))
		return -1;
	FOR_PAIRS(pr, m)
	{
		const yaml_node_t *v = node(r, pr->value);
		int m2;
		switch (key_of(r, node(r, pr->key), names, top ? 4 : 3, "calibration", &seen)) {
		case 3:
			if (read_images(r, v, &r->c->images))
				return -1;
			r->c->has_images = 1;
			r->c->images.where = at(r, node(r, pr->key));
			break;
		case 0:
			if (want(r, v, YAML_SCALAR_NODE, "method"))
				return -1;
			if ((m2 = calib_method_from_name(text(v))) < 0) {
				diag_error(r->d, at(r, v),
				           "unknown calibration method '%s' (minmax, "
				           "percentile, entropy, mse)",
				           text(v));
				return -1;
			}
			p->method = (CalibMethod)m2;
			*set |= CALIB_SET_METHOD;
			break;
		case 1:
			if (number(r, v, "percentile", &x))
				return -1;
			if (!(x > 0 && x <= 100)) {
				diag_error(r->d, at(r, v), "percentile %s is not in (0, 100]",
				           text(v));
				return -1;
			}
			p->percentile = x;
			*set |= CALIB_SET_PERCENTILE;
			break;
		case 2:
			if (number(r, v, "bins", &x))
				return -1;
			if (!(x >= 256 && x <= 65536 && x == floor(x))) {
				diag_error(r->d, at(r, v),
				           "bins must be a whole number in [256, 65536], "
				           "not %s",
				           text(v));
				return -1;
			}
			p->bins = (int)x;
			*set |= CALIB_SET_BINS;
			break;
		default: return -1;
		}
	}
	return 0;
}

/* An input's bind: FILE.npy (as --bind; a relative path is relative to the
 * configuration file's folder), stored as "NAME=PATH", --bind's form. */
static int read_bind(const Reader *r, const yaml_node_t *s, const char *name, char **out)
{
	const char *f = text(s), *slash = strrchr(r->path, '/');
	int dir = f[0] != '/' && slash ? (int)(slash - r->path) + 1 : 0;
	size_t n;

	if (want(r, s, YAML_SCALAR_NODE, "bind") || !*f) {
		if (!*f)
			diag_error(r->d, at(r, s), "bind must name a .npy file");
		return -1;
	}
	n = strlen(name) + (size_t)dir + strlen(f) + 2;
	*out = ir_xmalloc(n);
	snprintf(*out, n, "%s=%.*s%s", name, dir, r->path, f);
	return 0;
}

/* inputs: {NAME: {range: [lo, hi]} or {bind: FILE.npy}, ...} */
static int read_inputs(const Reader *r, const yaml_node_t *m)
{
	DrvConfig *c = r->c;

	if (want(r, m, YAML_MAPPING_NODE, "inputs"))
		return -1;
	FOR_PAIRS(pr, m)
	{
		const yaml_node_t *k = node(r, pr->key), *v = node(r, pr->value);
		static const char *const names[] = {"range", "bind"};
		unsigned seen = 0;
		double lo = 0, hi = 0;
		char *bind = NULL;

		if (want(r, k, YAML_SCALAR_NODE, "an input name"))
			return -1;
		for (int i = 0; i < c->ninput; i++)
			if (strcmp(c->inputs[i].name, text(k)) == 0) {
				diag_error(r->d, at(r, k), "input '%s' is given twice", text(k));
				return -1;
			}
		if (want(r, v, YAML_MAPPING_NODE, "an input's settings"))
			return -1;
		if (v->data.mapping.pairs.start == v->data.mapping.pairs.top) {
			diag_error(r->d, at(r, v), "input '%s' needs a range (or a bind)", text(k));
			return -1;
		}
		FOR_PAIRS(q, v)
		{
			const yaml_node_t *s = node(r, q->value);
			int key = key_of(r, node(r, q->key), names, 2, "an input", &seen);
			if (key == 1) {
				if (read_bind(r, s, text(k), &bind))
					return -1;
				continue;
			}
			if (key < 0 || want(r, s, YAML_SEQUENCE_NODE, "range"))
				return -1;
			yaml_node_item_t *it = s->data.sequence.items.start;
			if (s->data.sequence.items.top - it != 2) {
				diag_error(r->d, at(r, s), "range must be [lo, hi]");
				return -1;
			}
			if (number(r, node(r, it[0]), "lo", &lo) ||
			    number(r, node(r, it[1]), "hi", &hi))
				return -1;
			if (lo > hi) {
				diag_error(r->d, at(r, s), "range [%g, %g] is empty (lo > hi)", lo,
				           hi);
				return -1;
			}
			/* ranges are kept as float: a double beyond it would become inf */
			if (!isfinite((float)lo) || !isfinite((float)hi)) {
				diag_error(r->d, at(r, s), "range [%g, %g] does not fit in float32",
				           lo, hi);
				return -1;
			}
		}
		if (seen == 3) {
			free(bind);
			diag_error(r->d, at(r, k),
			           "input '%s': a bound input is a constant, it takes no range",
			           text(k));
			return -1;
		}
		c->inputs = ir_xrealloc(c->inputs, (size_t)(c->ninput + 1) * sizeof *c->inputs);
		c->inputs[c->ninput].bind = bind;
		c->inputs[c->ninput].name = ir_xstrdup(text(k));
		c->inputs[c->ninput].range[0] = (float)lo;
		c->inputs[c->ninput].range[1] = (float)hi;
		c->inputs[c->ninput++].loc = at(r, k);
	}
	return 0;
}

/* One of int8, int16, f32 (the value of `what`), into *p. */
static int read_precision(const Reader *r, const yaml_node_t *v, const char *what, Precision *p)
{
	static const char *const precs[] = {"int8", "int16", "f32"};

	if (want(r, v, YAML_SCALAR_NODE, what))
		return -1;
	for (int i = 0; i < 3; i++)
		if (strcmp(text(v), precs[i]) == 0) {
			*p = (Precision)i;
			return 0;
		}
	diag_error(r->d, at(r, v), "unknown precision '%s' (int8, int16, f32)", text(v));
	return -1;
}

/* A layer entry's precision goes to its own list: an entry that only sets a
 * precision must not hide a later entry's calibration from the layers it
 * matches (the first matching calibration override wins). */
static void add_layer_precision(DrvConfig *c, const char *match, Precision p, Loc loc)
{
	size_t n = (size_t)c->nlayer_prec + 1;

	c->layer_prec = ir_xrealloc(c->layer_prec, n * sizeof *c->layer_prec);
	c->layer_prec_locs = ir_xrealloc(c->layer_prec_locs, n * sizeof *c->layer_prec_locs);
	c->layer_prec[c->nlayer_prec].match = ir_xstrdup(match);
	c->layer_prec[c->nlayer_prec].precision = p;
	c->layer_prec_locs[c->nlayer_prec++] = loc;
}

/* layers: [{match: PATTERN, calibration: {...}, precision: P}, ...] */
static int read_layers(const Reader *r, const yaml_node_t *s)
{
	static const char *const names[] = {"match", "calibration", "precision"};
	DrvConfig *c = r->c;

	if (want(r, s, YAML_SEQUENCE_NODE, "layers"))
		return -1;
	for (yaml_node_item_t *it = s->data.sequence.items.start; it < s->data.sequence.items.top;
	     it++) {
		const yaml_node_t *m = node(r, *it);
		CalibOverride l = {NULL, 0, {CALIB_MINMAX, 0, 0}};
		unsigned seen = 0;
		Loc loc = at(r, m);
		Precision prec = PREC_INT8;

		if (want(r, m, YAML_MAPPING_NODE, "a layer"))
			return -1;
		FOR_PAIRS(pr, m)
		{
			const yaml_node_t *v = node(r, pr->value);
			switch (key_of(r, node(r, pr->key), names, 3, "a layer", &seen)) {
			case 0:
				if (want(r, v, YAML_SCALAR_NODE, "match"))
					return -1;
				if (!*text(v)) {
					diag_error(r->d, at(r, v), "match must not be empty");
					return -1;
				}
				if (is_null(v)) {
					diag_error(r->d, at(r, v),
					           "match must be a value name or pattern, "
					           "not null ('%s'; quote it if it is a name)",
					           text(v));
					return -1;
				}
				l.match = text(v);
				loc = at(r, v);
				break;
			case 1:
				if (read_calib(r, v, &l.params, &l.set))
					return -1;
				break;
			case 2:
				if (read_precision(r, v, "precision", &prec))
					return -1;
				break;
			default: return -1;
			}
		}
		if (!l.match) {
			diag_error(r->d, at(r, m),
			           "a layer needs 'match' (a value name or pattern)");
			return -1;
		}
		if (seen & 4u)
			add_layer_precision(c, l.match, prec, loc);
		if ((seen & 6u) == 4u)
			continue; /* a precision only */
		l.match = ir_xstrdup(l.match);
		c->layers = ir_xrealloc(c->layers, (size_t)(c->nlayer + 1) * sizeof *c->layers);
		c->layer_locs = ir_xrealloc(c->layer_locs,
		                            (size_t)(c->nlayer + 1) * sizeof *c->layer_locs);
		c->layers[c->nlayer] = l;
		c->layer_locs[c->nlayer++] = loc;
	}
	return 0;
}

static int read_top(const Reader *r, const yaml_node_t *m)
{
	static const char *const names[] = {"precision", "calibration", "bias_correction", "inputs",
	                                    "layers",    "min_sqnr",    "requant"};
	static const char *const precs[] = {"int8", "int16", "f32"};
	DrvConfig *c = r->c;
	unsigned seen = 0;

	if (want(r, m, YAML_MAPPING_NODE, "the configuration"))
		return -1;
	FOR_PAIRS(pr, m)
	{
		const yaml_node_t *v = node(r, pr->value);
		int rc = -1;
		switch (key_of(r, node(r, pr->key), names, 7, "the configuration", &seen)) {
		case 0:
			if (want(r, v, YAML_SCALAR_NODE, "precision"))
				return -1;
			for (int i = 0; i < 3; i++)
				if (strcmp(text(v), precs[i]) == 0) {
					c->precision = (Precision)i;
					c->has_precision = 1;
					rc = 0;
				}
			if (strcmp(text(v), "auto") == 0) { /* int8/int16 per layer, for min_sqnr */
				c->precision = PREC_INT8;
				c->has_precision = c->auto_precision = 1;
				rc = 0;
			}
			if (rc)
				diag_error(r->d, at(r, v),
				           "unknown precision '%s' (int8, int16, f32, auto)",
				           text(v));
			break;
		case 6: /* requant: fixed | float (--requant) */
			if (want(r, v, YAML_SCALAR_NODE, "requant"))
				return -1;
			c->has_requant = strcmp(text(v), "fixed") == 0 ||
			                 strcmp(text(v), "float") == 0;
			c->requant = strcmp(text(v), "float") == 0;
			rc = c->has_requant ? 0 : -1;
			if (rc)
				diag_error(r->d, at(r, v), "unknown requant '%s' (fixed, float)",
				           text(v));
			break;
		case 5:
			rc = number(r, v, "min_sqnr", &c->min_sqnr);
			c->has_min_sqnr = 1;
			break;
		case 1: rc = read_calib(r, v, &c->calib, &c->calib_set); break;
		case 2:
			rc = boolean(r, v, "bias_correction", &c->bias_correction);
			c->has_bias_correction = 1;
			break;
		case 3: rc = read_inputs(r, v); break;
		case 4: rc = read_layers(r, v); break;
		default: break;
		}
		if (rc)
			return -1;
	}
	return 0;
}

enum { MAX_CONFIG = 1 << 20, MAX_NEST = 64 };

/* A configuration is a few lines; libyaml takes time quadratic in the
 * nesting of flow collections ("[[[[..."), so both the size and that
 * nesting are bounded before it reads the file.  Brackets in quoted
 * strings and comments do not count.  Leaves f at its start. */
static int check_text(FILE *f, const char *path, Diag *d)
{
	int c, line = 1, col = 0, depth = 0, quote = 0, comment = 0, prev = '\n';
	long n = 0;

	while ((c = getc(f)) != EOF) {
		if (++n > MAX_CONFIG) {
			diag_error(d, loc_file(path),
			           "the file is larger than %d bytes: not a "
			           "configuration",
			           MAX_CONFIG);
			return -1;
		}
		col++;
		if (c == '\n') {
			line++;
			col = 0;
			comment = 0;
		} else if (comment) {
			continue; /* to the end of the line */
		} else if (quote) {
			if (c == quote)
				quote = 0;
			else if (c == '\\' && quote == '"' && getc(f) != EOF)
				n++, col++;
		} else if (c == '"' || c == '\'') {
			quote = c;
		} else if (c == '#' && (prev == ' ' || prev == '\t' || prev == '\n')) {
			comment = 1;
		} else if ((c == '[' || c == '{') && ++depth > MAX_NEST) {
			Loc l = {path, line, col};
			diag_error(d, l, "malformed YAML: collections nested more than %d deep",
			           MAX_NEST);
			return -1;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
		prev = c;
	}
	rewind(f);
	return 0;
}

static void parse_error(const yaml_parser_t *p, const char *path, Diag *d)
{
	if (p->context)
		diag_error(d, mark_loc(path, p->problem_mark), "malformed YAML: %s (%s)",
		           p->problem, p->context);
	else
		diag_error(d, mark_loc(path, p->problem_mark), "malformed YAML: %s",
		           p->problem ? p->problem : "cannot read");
}

/* The events of the file, before its document is loaded: a configuration is
 * one document (a second one, or text after its end marker "...", would be
 * dropped unread) and takes no tags (!!str, !foo: they would change nothing
 * or be ignored).  Leaves f at its start. */
static int check_events(FILE *f, const char *path, Diag *d)
{
	yaml_parser_t p;
	yaml_event_t e;
	int docs = 0, rc = 0, end_explicit = 0;

	if (!yaml_parser_initialize(&p))
		ICE("libyaml: out of memory");
	yaml_parser_set_input_file(&p, f);
	for (;;) {
		if (!yaml_parser_parse(&p, &e)) {
			if (end_explicit) /* libyaml: "did not find expected <document start>" */
				diag_error(
				        d, mark_loc(path, p.problem_mark),
				        "text after the end of the "
				        "document ('...'): a configuration is one YAML document");
			else
				parse_error(&p, path, d);
			rc = -1;
			break;
		}
		const char *tag = NULL;
		if (e.type == YAML_SCALAR_EVENT)
			tag = (const char *)e.data.scalar.tag;
		else if (e.type == YAML_SEQUENCE_START_EVENT)
			tag = (const char *)e.data.sequence_start.tag;
		else if (e.type == YAML_MAPPING_START_EVENT)
			tag = (const char *)e.data.mapping_start.tag;
		if (tag) {
			const char *core = "tag:yaml.org,2002:";
			int is_core = strncmp(tag, core, strlen(core)) == 0;
			diag_error(d, mark_loc(path, e.start_mark),
			           "YAML tags are not supported "
			           "(found %s%s): write the plain value",
			           is_core ? "!!" : "", is_core ? tag + strlen(core) : tag);
			rc = -1;
		} else if (e.type == YAML_DOCUMENT_START_EVENT && ++docs == 2) {
			if (end_explicit)
				diag_error(
				        d, mark_loc(path, e.start_mark),
				        "text after the end of the "
				        "document ('...'): a configuration is one YAML document");
			else
				diag_error(d, mark_loc(path, e.start_mark),
				           "a second YAML document: a "
				           "configuration is one document");
			rc = -1;
		} else if (e.type == YAML_DOCUMENT_END_EVENT) {
			end_explicit = !e.data.document_end.implicit;
		}
		int done = e.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&e);
		if (done || rc)
			break;
	}
	yaml_parser_delete(&p);
	rewind(f);
	return rc;
}

DrvConfig *drv_config_read(const char *path, Diag *d)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	DrvConfig *c = ir_xcalloc(1, sizeof *c);
	Reader r = {path, &doc, c, d};
	int rc = 0;

	c->path = path;
	FILE *f = ir_open_input(path, "cannot open", d, loc_file(path));
	if (!f) {
		free(c);
		return NULL;
	}
	if (check_text(f, path, d) || check_events(f, path, d)) {
		fclose(f);
		free(c);
		return NULL;
	}
	if (!yaml_parser_initialize(&parser))
		ICE("libyaml: out of memory");
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		parse_error(&parser, path, d);
		rc = -1;
	} else {
		/* no root node: an empty file (or only comments) sets nothing */
		const yaml_node_t *root = yaml_document_get_root_node(&doc);
		if (root)
			rc = read_top(&r, root);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	fclose(f);
	if (rc) {
		drv_config_free(c);
		return NULL;
	}
	return c;
}

static int matches_some(const Graph *g, const char *p)
{
	for (int v = 0; v < g->nval; v++)
		if (g->vals[v].kind != VK_CONST && g->vals[v].name &&
		    (strcmp(p, g->vals[v].name) == 0 || fnmatch(p, g->vals[v].name, 0) == 0))
			return 1;
	return 0;
}

/* A layers: pattern that matches no value but names one as the ONNX model
 * spells it (`/c1/Conv_output_0`, fe_onnx_name_is) becomes that value's
 * name, so the passes match it as usual.  Then a warning if nothing does. */
static void resolve_pattern(const Graph *g, const char **p, Loc loc, Diag *d)
{
	if (matches_some(g, *p))
		return;
	for (int v = 0; v < g->nval; v++)
		if (g->vals[v].kind != VK_CONST && g->vals[v].name &&
		    fe_onnx_name_is(g->vals[v].name, *p)) {
			free((char *)*p);
			*p = ir_xstrdup(g->vals[v].name);
			return;
		}
	if (d)
		diag_warning(d, loc, "layer pattern '%s' matches no value of '%s'", *p, g->name);
}

int drv_config_apply(DrvConfig *c, Graph *g, Diag *d)
{
	int rc = 0;

	for (int i = 0; i < c->ninput; i++) {
		const DrvConfigInput *in = &c->inputs[i];
		int found = 0;
		if (in->bind)
			continue; /* bound at import (drv_read_config): no input any more */
		for (int k = 0; k < g->ninput; k++) {
			Value *v = &g->vals[g->inputs[k]];
			if (!fe_onnx_name_is(v->name, in->name))
				continue;
			v->has_range = 1;
			v->range[0] = in->range[0];
			v->range[1] = in->range[1];
			found = 1;
		}
		if (!found) {
			diag_error(d, in->loc, "model '%s' has no input '%s'", g->name, in->name);
			rc = -1;
		}
	}
	for (int i = 0; i < c->nlayer; i++)
		resolve_pattern(g, &c->layers[i].match, c->layer_locs[i], d);
	for (int i = 0; i < c->nlayer_prec; i++) {
		int dup = 0; /* an entry with a calibration too was warned about above */
		for (int k = 0; k < c->nlayer; k++)
			dup |= c->layer_locs[k].line == c->layer_prec_locs[i].line &&
			       c->layer_locs[k].col == c->layer_prec_locs[i].col;
		if (!dup)
			resolve_pattern(g, &c->layer_prec[i].match, c->layer_prec_locs[i], d);
		else
			resolve_pattern(g, &c->layer_prec[i].match, c->layer_prec_locs[i], NULL);
	}
	return rc;
}

void drv_config_free(DrvConfig *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->ninput; i++) {
		free(c->inputs[i].name);
		free(c->inputs[i].bind);
	}
	for (int i = 0; i < c->nlayer; i++)
		free((char *)c->layers[i].match);
	for (int i = 0; i < c->nlayer_prec; i++)
		free((char *)c->layer_prec[i].match);
	free(c->layer_prec);
	free(c->layer_prec_locs);
	free(c->inputs);
	free(c->layers);
	free(c->layer_locs);
	free(c);
}
