/* options.c — command-line parsing and --help texts (docs/cli.md): the
 * options are the rows of options.def, parsed by one loop. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver.h"

static const char *usage =
        "usage: quantc compile MODEL -o OUT.o [options]     compile to OUT.o and OUT.h\n"
        "       quantc run MODEL --input X.npy -o Y.npy [options]\n"
        "                                                  run the reference interpreter\n"
        "       quantc inspect MODEL [options]             ops, parameters, MACs, arena\n"
        "       quantc opt MODEL --passes P1,P2 [-o OUT.qg] run passes, print the IR\n"
        "       quantc report MODEL --calib C.npy --input X.npy [-o OUT]\n"
        "                                                  per-layer quantization error\n"
        "       quantc trace-diff MODEL TRACE --input X.npy [options]\n"
        "                                                  compare an --instrument trace with\n"
        "                                                  the reference interpreter\n"
        "       quantc --version | --help | COMMAND --help\n"
        "MODEL is a .qg file, an ONNX model (.onnx) or a TFLite model (.tflite)\n";

/* compile -o OUT: the header, .ll and .s take OUT's name with their own
 * suffix, so OUT must not end in one of theirs (one file would replace the
 * other); a suffix other than .o or .obj is probably a slip. */
static int check_out_suffix(const Options *o, Diag *d)
{
	static const struct {
		const char *ext;
		unsigned emit;
	} others[] = {
	        {".h", TGT_EMIT_HEADER},
	        {".ll", TGT_EMIT_LLVM},
	        {".s", TGT_EMIT_ASM},
	};
	const char *slash = strrchr(o->out, '/'), *dot = strrchr(o->out, '.');
	const char *base = slash ? slash + 1 : o->out;

	if (!dot || dot <= base)
		dot = NULL;
	for (size_t i = 0; dot && i < sizeof others / sizeof others[0]; i++)
		if (strcmp(dot, others[i].ext) == 0 && (o->tgt.emit & others[i].emit) &&
		    (o->tgt.emit & TGT_EMIT_OBJ)) {
			diag_error(d, loc_none(),
			           "-o %s: the object would be written where the %s file "
			           "goes (OUT's name with %s); name the object OUT.o",
			           o->out, others[i].ext, others[i].ext);
			return -1;
		}
	if (!(o->tgt.emit & TGT_EMIT_OBJ))
		return 0;
	if (!dot || (strcmp(dot, ".o") != 0 && strcmp(dot, ".obj") != 0)) {
		int n = dot ? (int)(dot - o->out) : (int)strlen(o->out);
		if (o->tgt.emit & TGT_EMIT_HEADER)
			diag_warning(d, loc_none(),
			             "-o %s: an object file's name ends in .o or .obj "
			             "(the object goes to %s, the header to %.*s.h)",
			             o->out, o->out, n, o->out);
		else
			diag_warning(d, loc_none(),
			             "-o %s: an object file's name ends in .o or .obj", o->out);
	}
	return 0;
}

/* Every option --help documents, NULL-terminated, for "did you mean"
 * (malloc'd, like the strings; the process ends soon after). */
static const char **known_options(void)
{
	static const char *const cmds[] = {"compile", "run",    "inspect",
	                                   "opt",     "report", "trace-diff"};
	char *text = NULL;
	size_t len = 0, n = 0;
	FILE *f = open_memstream(&text, &len);
	const char **list;

	if (!f)
		return NULL;
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		drv_help(f, cmds[i]);
	fclose(f);
	list = ir_xcalloc(len / 2 + 4, sizeof *list);
	list[n++] = "-o";
	list[n++] = "-q";
	list[n++] = "-v";
	for (char *p = text; (p = strstr(p, "--"));) {
		size_t k = 2;
		while (p[k] == '-' || (p[k] >= 'a' && p[k] <= 'z'))
			k++;
		int dup = k <= 2 || p[k - 1] == '-';
		char *w = ir_xmalloc(k + 1);
		memcpy(w, p, k);
		w[k] = 0;
		for (size_t j = 0; j < n && !dup; j++)
			dup = strcmp(list[j], w) == 0;
		if (dup)
			free(w);
		else
			list[n++] = w;
		p += k;
	}
	free(text);
	return list;
}

/* Frees what known_options returned (its first three names are literals). */
static void free_known_options(const char **list)
{
	if (!list)
		return;
	for (size_t i = 3; list[i]; i++)
		free((char *)list[i]);
	free(list);
}

/* Takes the value of option argv[*i] ("--opt VALUE" or "--opt=VALUE"). */
static const char *value(int argc, char **argv, int *i, const char *opt, Diag *d)
{
	const char *a = argv[*i];
	size_t n = strlen(opt);
	if (strncmp(a, opt, n) == 0 && a[n] == '=')
		return a + n + 1;
	if (*i + 1 >= argc) {
		diag_error(d, loc_none(), "option '%s' needs a value", opt);
		return NULL;
	}
	return argv[++*i];
}

/* --max-memory BYTES: a positive integer, optionally followed by K, M or G
 * (binary multiples). */
static int parse_bytes(const char *s, int64_t *out, Diag *d)
{
	char *end;
	int shift = 0;

	errno = 0;
	long long n = strtoll(s, &end, 10);
	if (end != s && *end && !end[1]) {
		const char *u = strchr("KMG", *end == 'k'   ? 'K'
		                              : *end == 'm' ? 'M'
		                              : *end == 'g' ? 'G'
		                                            : *end);
		shift = u && *u ? 10 * (int)(u - "KMG" + 1) : -1;
		end += shift > 0;
	}
	if (end == s || *end || errno || n < 1 || shift < 0 || n > (INT64_MAX >> shift)) {
		diag_error(d, loc_none(),
		           "--max-memory: '%s' is not a number of bytes (e.g. 65536, "
		           "64K, 2M, 1G)",
		           s);
		return -1;
	}
	*out = (int64_t)n << shift;
	return 0;
}

static int parse_emit(const char *s, unsigned *out, Diag *d)
{
	static const struct {
		const char *name;
		unsigned bit;
	} kinds[] = {
	        {"obj", TGT_EMIT_OBJ},
	        {"header", TGT_EMIT_HEADER},
	        {"llvm", TGT_EMIT_LLVM},
	        {"asm", TGT_EMIT_ASM},
	};
	unsigned bits = 0;
	while (*s) {
		size_t n = strcspn(s, ",");
		int found = 0;
		for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
			if (strlen(kinds[k].name) == n && strncmp(s, kinds[k].name, n) == 0) {
				bits |= kinds[k].bit;
				found = 1;
			}
		if (!found) {
			diag_error(d, loc_none(),
			           "--emit: unknown kind '%.*s' (obj, header, llvm, asm)", (int)n,
			           s);
			return -1;
		}
		s += n;
		if (*s == ',')
			s++;
	}
	if (!bits) {
		diag_error(d, loc_none(), "--emit: nothing to emit");
		return -1;
	}
	*out = bits;
	return 0;
}

/* Keeps every --input / -o (quantc run takes one per model input/output). */
static int add_io(const char **list, int *n, const char *opt, const char *v, Diag *d)
{
	if (*n >= DRV_MAX_IO) {
		diag_error(d, loc_none(), "%s given more than %d times", opt, DRV_MAX_IO);
		return -1;
	}
	list[(*n)++] = v;
	return 0;
}

/* --precision auto and --min-sqnr go together, with calibration data. */
static int check_auto(const Options *o, Diag *d)
{
	if (o->set_min_sqnr && !o->auto_precision) {
		diag_error(d, loc_none(),
		           "--min-sqnr (min_sqnr:) is the target of --precision auto; "
		           "give both");
		return -1;
	}
	if (o->auto_precision && !o->set_min_sqnr) {
		diag_error(d, loc_none(),
		           "--precision auto needs a target: --min-sqnr DB (or "
		           "min_sqnr: in --config)");
		return -1;
	}
	if (o->auto_precision && !o->calib_path) {
		diag_error(d, loc_none(),
		           "--precision auto needs calibration data (--calib FILE.npy)");
		return -1;
	}
	return 0;
}

/* ---- the options (options.def) ---------------------------------------------- */

/* The handlers of options.def: check and store an option's value (v: NULL
 * for CALL, the whole argument for LEVEL); -1 once reported. */

static int opt_out(Options *o, const char *v, Diag *d)
{
	o->out = v;
	return add_io(o->outs, &o->nouts, "-o", v, d);
}

/* --bind NAME=FILE.npy: input NAME is a constant with the file's value
 * (frontend/bind.c reads and checks it with the model). */
static int opt_bind(Options *o, const char *v, Diag *d)
{
	const char *eq = strchr(v, '=');

	if (!eq || eq == v || !eq[1]) {
		diag_error(d, loc_none(),
		           "--bind %s: give NAME=FILE.npy (the input NAME bound to "
		           "the file's value)",
		           v);
		return -1;
	}
	for (int i = 0; i < o->nbinds; i++)
		if (strncmp(o->binds[i], v, (size_t)(eq - v + 1)) == 0) {
			diag_error(d, loc_none(), "--bind %.*s is given twice", (int)(eq - v), v);
			return -1;
		}
	return add_io(o->binds, &o->nbinds, "--bind", v, d);
}

static int opt_input(Options *o, const char *v, Diag *d)
{
	o->input = v;
	return add_io(o->inputs, &o->ninputs, "--input", v, d);
}

/* --calib FILE, or NAME=FILE for input NAME; once per input (load.c binds
 * them).  calib_path is the first one's file, which the rest of the driver
 * reads (a folder of images, a pipeline with calibrate). */
static int opt_calib(Options *o, const char *v, Diag *d)
{
	const char *eq = strchr(v, '=');

	if (!o->ncalib)
		o->calib_path = eq && access(v, F_OK) != 0 ? eq + 1 : v;
	return add_io(o->calibs, &o->ncalib, "--calib", v, d);
}

static int opt_name(Options *o, const char *v, Diag *d)
{
	(void)d;
	o->name = o->tgt.name = v;
	return 0;
}

static int opt_level(Options *o, const char *v, Diag *d)
{
	(void)d;
	o->tgt.opt_level = v[2] - '0';
	return 0;
}

static int opt_emit(Options *o, const char *v, Diag *d)
{
	return parse_emit(v, &o->tgt.emit, d);
}

static int opt_list_targets(Options *o, const char *v, Diag *d)
{
	(void)o, (void)v, (void)d;
	tgt_list(stdout);
	exit(0);
}

static int opt_help(Options *o, const char *v, Diag *d)
{
	(void)v, (void)d;
	drv_help(stdout, o->cmd);
	exit(0);
}

static int opt_format(Options *o, const char *v, Diag *d)
{
	if (strcmp(v, "text") != 0 && strcmp(v, "json") != 0) {
		diag_error(d, loc_none(), "--format: unknown '%s' (text, json)", v);
		return -1;
	}
	o->format = v;
	return 0;
}

static int opt_precision(Options *o, const char *v, Diag *d)
{
	o->set_precision = 1;
	o->auto_precision = strcmp(v, "auto") == 0;
	if (strcmp(v, "int8") == 0 || o->auto_precision)
		o->precision = PREC_INT8;
	else if (strcmp(v, "int16") == 0)
		o->precision = PREC_INT16;
	else if (strcmp(v, "f32") == 0)
		o->precision = PREC_F32;
	else {
		diag_error(d, loc_none(), "--precision: unknown '%s' (int8, int16, f32, auto)", v);
		return -1;
	}
	return 0;
}

static int opt_min_sqnr(Options *o, const char *v, Diag *d)
{
	char *end;

	o->min_sqnr = strtod(v, &end);
	o->set_min_sqnr = 1;
	if (*end || end == v || !isfinite(o->min_sqnr)) {
		diag_error(d, loc_none(), "--min-sqnr: '%s' is not a number (dB)", v);
		return -1;
	}
	return 0;
}

static int opt_requant(Options *o, const char *v, Diag *d)
{
	if (strcmp(v, "fixed") != 0 && strcmp(v, "float") != 0) {
		diag_error(d, loc_none(), "--requant: unknown '%s' (fixed, float)", v);
		return -1;
	}
	o->requant = strcmp(v, "float") == 0;
	return 0;
}

static int opt_calibration(Options *o, const char *v, Diag *d)
{
	int m = calib_method_from_name(v);

	if (m < 0) {
		diag_error(d, loc_none(),
		           "--calibration: unknown method '%s' (minmax, "
		           "percentile, entropy, mse)",
		           v);
		return -1;
	}
	o->calib_params.method = (CalibMethod)m;
	o->set_method = 1;
	return 0;
}

static int opt_percentile(Options *o, const char *v, Diag *d)
{
	char *end;

	o->calib_params.percentile = strtod(v, &end);
	o->set_percentile = 1;
	if (*end || end == v || !(o->calib_params.percentile > 0) ||
	    o->calib_params.percentile > 100) {
		diag_error(d, loc_none(), "--percentile: '%s' is not a number in (0, 100]", v);
		return -1;
	}
	return 0;
}

static int opt_max_memory(Options *o, const char *v, Diag *d)
{
	return parse_bytes(v, &o->max_memory, d);
}

static int opt_allow_path(Options *o, const char *v, Diag *d)
{
	(void)o;
	return fe_allow_path(v, d) ? -1 : 0;
}

/* Is w one of the space-separated words of list? */
static int word_in(const char *list, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = list; (p = strstr(p, w)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == 0 || p[n] == ' '))
			return 1;
	return 0;
}

enum { ARG_FLAG, ARG_STR, ARG_VALUE, ARG_CALL, ARG_LEVEL };

typedef struct {
	const char *name; /* NULL: a line of help only */
	int arg;          /* ARG_* */
	const char *cmds; /* space-separated; NULL: every subcommand */
	size_t field;     /* ARG_FLAG, ARG_STR: offset of the member of Options */
	int (*handler)(Options *o, const char *v, Diag *d);
	const char *help;
} OptRow;

static const OptRow options[] = {
#define ALL NULL
#define NONE 0
#define FIELD(member) offsetof(Options, member)
#define OPT(name, arg, cmds, field, handler, help) {name, ARG_##arg, cmds, field, handler, help},
#include "options.def"
#undef OPT
#undef FIELD
#undef NONE
#undef ALL
};
enum { NOPTIONS = sizeof options / sizeof options[0] };

void drv_help(FILE *f, const char *cmd)
{
	fputs(usage, f);
	if (!cmd)
		return;
	fprintf(f, "\noptions of quantc %s:\n", cmd);
	/* the subcommand's own options, then those of every subcommand */
	for (int i = 0; i < NOPTIONS; i++)
		if (options[i].help && options[i].cmds && word_in(options[i].cmds, cmd))
			fputs(options[i].help, f);
	for (int i = 0; i < NOPTIONS; i++)
		if (options[i].help && !options[i].cmds)
			fputs(options[i].help, f);
	fputs("\npasses:\n", f);
	for (int i = 0; i < pass_count; i++)
		fprintf(f, "  %-16s %s\n", pass_table[i].name, pass_table[i].help);
}

/* An option argument a (its name: up to '=', "-O" for -O0..-O3) that cmd
 * does not use: diagnosed, returns -1. */
static int check_used(const char *cmd, const char *a, Diag *d)
{
	char name[64], cmds[64] = "", users[64];
	size_t n = strcspn(a, "="), at = 0;
	int known = 0, used = 0;

	if (a[0] == '-' && a[1] == 'O' && a[2])
		n = 2;
	if (n >= sizeof name)
		return 0;
	memcpy(name, a, n);
	name[n] = 0;
	for (int i = 0; i < NOPTIONS; i++) {
		const OptRow *r = &options[i];
		if (!r->name || !r->cmds || strcmp(r->name, name) != 0)
			continue;
		known = 1;
		used |= word_in(r->cmds, cmd);
		if (strlen(cmds) + strlen(r->cmds) + 2 < sizeof cmds) {
			if (cmds[0])
				strcat(cmds, " ");
			strcat(cmds, r->cmds);
		}
	}
	if (!known || used)
		return 0;
	for (const char *c = cmds; *c && at + 3 < sizeof users; c++)
		at += (size_t)snprintf(users + at, sizeof users - at, *c == ' ' ? ", " : "%c", *c);
	diag_error(d, loc_none(),
	           "option '%s' is not used by quantc %s, only by %s (see "
	           "quantc %s --help)",
	           name, cmd, users, cmd);
	return -1;
}

/* The row of option argument a that cmd takes; NULL: none. */
static const OptRow *find_option(const char *cmd, const char *a)
{
	for (int i = 0; i < NOPTIONS; i++) {
		const OptRow *r = &options[i];
		size_t n;
		if (!r->name || (r->cmds && !word_in(r->cmds, cmd)))
			continue;
		switch (r->arg) {
		case ARG_LEVEL:
			if (a[0] == '-' && a[1] == 'O' && a[2] >= '0' && a[2] <= '3' && !a[3])
				return r;
			break;
		case ARG_STR:
		case ARG_VALUE:
			/* --opt=V too */
			n = strlen(r->name);
			if (r->name[1] == '-' && strncmp(a, r->name, n) == 0 && a[n] == '=')
				return r;
			/* fall through */
		default:
			if (strcmp(a, r->name) == 0)
				return r;
		}
	}
	return NULL;
}

/* Does what row r says with argument argv[*i] (and its value); -1 once
 * reported. */
static int apply(const OptRow *r, int argc, char **argv, int *i, Options *o, Diag *d)
{
	const char *v = NULL;

	switch (r->arg) {
	case ARG_FLAG: *(int *)((char *)o + r->field) = 1; return 0;
	case ARG_CALL: return r->handler(o, NULL, d);
	case ARG_LEVEL: return r->handler(o, argv[*i], d);
	}
	if (!(v = value(argc, argv, i, r->name, d)))
		return -1;
	if (r->arg == ARG_STR) {
		*(const char **)((char *)o + r->field) = v;
		return 0;
	}
	return r->handler(o, v, d);
}

int drv_parse_options(int argc, char **argv, Options *o, Diag *d)
{
	o->tgt.opt_level = 2;
	o->tgt.emit = TGT_EMIT_OBJ | TGT_EMIT_HEADER;
	o->precision = PREC_INT8;
	o->requant = -1;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] == '-' && check_used(o->cmd, a, d))
			return EXIT_INPUT;
		const OptRow *r = a[0] == '-' ? find_option(o->cmd, a) : NULL;
		if (r) {
			if (apply(r, argc, argv, &i, o, d))
				return EXIT_INPUT;
		} else if (a[0] == '-' && a[1]) {
			char name[64];
			snprintf(name, sizeof name, "%.*s", (int)strcspn(a, "="), a);
			const char **known = known_options();
			const char *near = known ? ir_suggest(name, known) : NULL;
			if (near)
				diag_error(d, loc_none(),
				           "unknown option '%s'; did you mean '%s'? (see quantc "
				           "%s --help)",
				           a, near, o->cmd);
			else
				diag_error(d, loc_none(),
				           "unknown option '%s' (see quantc %s --help)", a, o->cmd);
			free_known_options(known);
			return EXIT_INPUT;
		} else if (!o->model) {
			o->model = a;
		} else if (!o->trace && strcmp(o->cmd, "trace-diff") == 0) {
			o->trace = a;
		} else {
			diag_error(d, loc_none(), "unexpected argument '%s' (the model is '%s')", a,
			           o->model);
			return EXIT_INPUT;
		}
	}
	if (!o->model) {
		fprintf(stderr, "quantc %s: no model given\n", o->cmd);
		drv_help(stderr, NULL);
		return EXIT_USAGE;
	}
	d->quiet = o->quiet;
	if (strcmp(o->cmd, "compile") == 0 && o->out && check_out_suffix(o, d))
		return EXIT_INPUT;
	/* `quantc opt` on a terminal is for reading: shortened like stderr's IR */
	if (strcmp(o->cmd, "opt") == 0 && !o->out && !o->pipe.print_constants &&
	    isatty(STDOUT_FILENO))
		o->pipe.elide_constants = 1;
	if (o->pipe.elide_constants && o->pipe.print_constants) {
		diag_error(d, loc_none(),
		           "--elide-constants and --print-constants contradict each other");
		return EXIT_INPUT;
	}
	if (o->config && drv_read_config(o, d))
		return EXIT_INPUT;
	if (o->calib_params.method != CALIB_MINMAX && !o->calib_path) {
		diag_error(d, loc_none(),
		           "--calibration %s needs calibration data (--calib FILE.npy)",
		           calib_method_name(o->calib_params.method));
		return EXIT_INPUT;
	}
	if (check_auto(o, d))
		return EXIT_INPUT;
	if (o->passes && pass_check_pipeline(o->passes, d))
		return EXIT_INPUT;
	if (o->pipe.print_after && pass_check_pipeline(o->pipe.print_after, d))
		return EXIT_INPUT;
	if (o->pipe.print_before && pass_check_pipeline(o->pipe.print_before, d))
		return EXIT_INPUT;
	return 0;
}
