/* config.c — quantc's --config FILE.yaml (docs/configuration.md): reads the
 * file with libyaml's document API into an FeConfig, checking every key, type
 * and value and reporting each mistake at the file's line and column, and
 * applies the part that needs the model (declared input ranges). */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "frontend.h"

typedef struct {
	const char *path;
	yaml_document_t *doc;
	FeConfig *c;
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
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", names[i]);
	diag_error(r->d, at(r, k), "unknown key '%s' in %s (%s)", text(k), where, list);
	return -1;
}

#define FOR_PAIRS(p, m) \
	for (yaml_node_pair_t *p = (m)->data.mapping.pairs.start; p < (m)->data.mapping.pairs.top; p++)

/* calibration: {method, percentile, bins}, into *p with *set saying which. */
static int read_calib(const Reader *r, const yaml_node_t *m, CalibParams *p, unsigned *set)
{
	static const char *const names[] = {"method", "percentile", "bins"};
	unsigned seen = 0;
	double x;

	if (want(r, m, YAML_MAPPING_NODE, "calibration"))
		return -1;
	FOR_PAIRS(pr, m) {
		const yaml_node_t *v = node(r, pr->value);
		int m2;
		switch (key_of(r, node(r, pr->key), names, 3, "calibration", &seen)) {
		case 0:
			if (want(r, v, YAML_SCALAR_NODE, "method"))
				return -1;
			if ((m2 = calib_method_from_name(text(v))) < 0) {
				diag_error(r->d, at(r, v), "unknown calibration method '%s' (minmax, "
				           "percentile, entropy, mse)", text(v));
				return -1;
			}
			p->method = (CalibMethod)m2;
			*set |= CALIB_SET_METHOD;
			break;
		case 1:
			if (number(r, v, "percentile", &x))
				return -1;
			if (!(x > 0 && x <= 100)) {
				diag_error(r->d, at(r, v), "percentile %s is not in (0, 100]", text(v));
				return -1;
			}
			p->percentile = x;
			*set |= CALIB_SET_PERCENTILE;
			break;
		case 2:
			if (number(r, v, "bins", &x))
				return -1;
			if (!(x >= 256 && x <= 65536 && x == floor(x))) {
				diag_error(r->d, at(r, v), "bins must be a whole number in [256, 65536], "
				           "not %s", text(v));
				return -1;
			}
			p->bins = (int)x;
			*set |= CALIB_SET_BINS;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

/* inputs: {NAME: {range: [lo, hi]}, ...} */
static int read_inputs(const Reader *r, const yaml_node_t *m)
{
	FeConfig *c = r->c;

	if (want(r, m, YAML_MAPPING_NODE, "inputs"))
		return -1;
	FOR_PAIRS(pr, m) {
		const yaml_node_t *k = node(r, pr->key), *v = node(r, pr->value);
		static const char *const names[] = {"range"};
		unsigned seen = 0;
		double lo = 0, hi = 0;

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
			diag_error(r->d, at(r, v), "input '%s' needs a range", text(k));
			return -1;
		}
		FOR_PAIRS(q, v) {
			const yaml_node_t *s = node(r, q->value);
			if (key_of(r, node(r, q->key), names, 1, "an input", &seen) < 0 ||
			    want(r, s, YAML_SEQUENCE_NODE, "range"))
				return -1;
			yaml_node_item_t *it = s->data.sequence.items.start;
			if (s->data.sequence.items.top - it != 2) {
				diag_error(r->d, at(r, s), "range must be [lo, hi]");
				return -1;
			}
			if (number(r, node(r, it[0]), "lo", &lo) || number(r, node(r, it[1]), "hi", &hi))
				return -1;
			if (lo > hi) {
				diag_error(r->d, at(r, s), "range [%g, %g] is empty (lo > hi)", lo, hi);
				return -1;
			}
		}
		c->inputs = ir_xrealloc(c->inputs, (size_t)(c->ninput + 1) * sizeof *c->inputs);
		c->inputs[c->ninput].name = ir_xstrdup(text(k));
		c->inputs[c->ninput].range[0] = (float)lo;
		c->inputs[c->ninput].range[1] = (float)hi;
		c->inputs[c->ninput++].loc = at(r, k);
	}
	return 0;
}

/* layers: [{match: PATTERN, calibration: {...}}, ...] */
static int read_layers(const Reader *r, const yaml_node_t *s)
{
	static const char *const names[] = {"match", "calibration"};
	FeConfig *c = r->c;

	if (want(r, s, YAML_SEQUENCE_NODE, "layers"))
		return -1;
	for (yaml_node_item_t *it = s->data.sequence.items.start; it < s->data.sequence.items.top; it++) {
		const yaml_node_t *m = node(r, *it);
		CalibOverride l = {NULL, 0, {CALIB_MINMAX, 0, 0}};
		unsigned seen = 0;
		Loc loc = at(r, m);

		if (want(r, m, YAML_MAPPING_NODE, "a layer"))
			return -1;
		FOR_PAIRS(pr, m) {
			const yaml_node_t *v = node(r, pr->value);
			switch (key_of(r, node(r, pr->key), names, 2, "a layer", &seen)) {
			case 0:
				if (want(r, v, YAML_SCALAR_NODE, "match"))
					return -1;
				if (!*text(v)) {
					diag_error(r->d, at(r, v), "match must not be empty");
					return -1;
				}
				l.match = text(v);
				loc = at(r, v);
				break;
			case 1:
				if (read_calib(r, v, &l.params, &l.set))
					return -1;
				break;
			default:
				return -1;
			}
		}
		if (!l.match) {
			diag_error(r->d, at(r, m), "a layer needs 'match' (a value name or pattern)");
			return -1;
		}
		l.match = ir_xstrdup(l.match);
		c->layers = ir_xrealloc(c->layers, (size_t)(c->nlayer + 1) * sizeof *c->layers);
		c->layer_locs = ir_xrealloc(c->layer_locs, (size_t)(c->nlayer + 1) * sizeof *c->layer_locs);
		c->layers[c->nlayer] = l;
		c->layer_locs[c->nlayer++] = loc;
	}
	return 0;
}

static int read_top(const Reader *r, const yaml_node_t *m)
{
	static const char *const names[] = {"precision", "calibration", "bias_correction",
	                                    "inputs", "layers"};
	static const char *const precs[] = {"int8", "int16", "f32"};
	FeConfig *c = r->c;
	unsigned seen = 0;

	if (want(r, m, YAML_MAPPING_NODE, "the configuration"))
		return -1;
	FOR_PAIRS(pr, m) {
		const yaml_node_t *v = node(r, pr->value);
		int rc = -1;
		switch (key_of(r, node(r, pr->key), names, 5, "the configuration", &seen)) {
		case 0:
			if (want(r, v, YAML_SCALAR_NODE, "precision"))
				return -1;
			for (int i = 0; i < 3; i++)
				if (strcmp(text(v), precs[i]) == 0) {
					c->precision = (Precision)i;
					c->has_precision = 1;
					rc = 0;
				}
			if (rc)
				diag_error(r->d, at(r, v), "unknown precision '%s' (int8, int16, f32)", text(v));
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

FeConfig *fe_config_read(const char *path, Diag *d)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	FeConfig *c = ir_xcalloc(1, sizeof *c);
	Reader r = {path, &doc, c, d};
	int rc = 0;

	c->path = path;
	FILE *f = fopen(path, "rb");
	if (!f) {
		diag_error(d, loc_file(path), "cannot open: %s", strerror(errno));
		free(c);
		return NULL;
	}
	if (!yaml_parser_initialize(&parser))
		ICE("libyaml: out of memory");
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		if (parser.context)
			diag_error(d, mark_loc(path, parser.problem_mark), "malformed YAML: %s (%s)",
			           parser.problem, parser.context);
		else
			diag_error(d, mark_loc(path, parser.problem_mark), "malformed YAML: %s",
			           parser.problem ? parser.problem : "cannot read");
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
		fe_config_free(c);
		return NULL;
	}
	return c;
}

int fe_config_apply(const FeConfig *c, Graph *g, Diag *d)
{
	int rc = 0;

	for (int i = 0; i < c->ninput; i++) {
		const FeConfigInput *in = &c->inputs[i];
		int found = 0;
		for (int k = 0; k < g->ninput; k++) {
			Value *v = &g->vals[g->inputs[k]];
			if (strcmp(v->name, in->name) != 0)
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
	for (int i = 0; i < c->nlayer; i++) {
		const char *p = c->layers[i].match;
		int n = 0;
		for (int v = 0; v < g->nval; v++)
			if (g->vals[v].kind != VK_CONST && g->vals[v].name &&
			    (strcmp(p, g->vals[v].name) == 0 || fnmatch(p, g->vals[v].name, 0) == 0))
				n++;
		if (!n)
			diag_warning(d, c->layer_locs[i], "layer pattern '%s' matches no value of '%s'",
			             p, g->name);
	}
	return rc;
}

void fe_config_free(FeConfig *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->ninput; i++)
		free(c->inputs[i].name);
	for (int i = 0; i < c->nlayer; i++)
		free((char *)c->layers[i].match);
	free(c->inputs);
	free(c->layers);
	free(c->layer_locs);
	free(c);
}
