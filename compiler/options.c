/* options.c — command-line parsing and --help texts (docs/cli.md). */
#include <errno.h>
#include <math.h>
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
	"       quantc --version | --help | COMMAND --help\n";

static const char *common_help =
	"  --precision int8|int16|f32  int8 (default): per-channel int8 weights, int8 activations;\n"
	"                              f32: no quantization\n"
	"  --precision auto --min-sqnr DB\n"
	"                              int8 or int16 per layer, the fewest bytes for an output\n"
	"                              SQNR of DB dB against f32 on the --calib samples;\n"
	"                              prints the choice per layer (docs/quantization.md)\n"
	"  --calib FILE.npy|DIR        calibration inputs, float32 [N, ...] (the input's shape\n"
	"                              with the batch axis replaced by N), or a folder of PNG,\n"
	"                              PGM or PPM images, one sample each, preprocessed as the\n"
	"                              --config's calibration.images says; without it, int8/int16\n"
	"                              ranges are proven from the inputs' declared `range [lo, hi]`\n"
	"  --requant fixed|float       how int8 conv2d/dense requantize: fixed (default,\n"
	"                              TFLite's fixed point, integer-only) or float\n"
	"                              (onnxruntime's float32 multiply, round half to even;\n"
	"                              needs an FPU; docs/requant.md)\n"
	"  --calibration METHOD        how observations become each activation's range:\n"
	"                              minmax (default), percentile, entropy, mse\n"
	"  --percentile P              the percentile of |x| kept by --calibration\n"
	"                              percentile (default 99.99)\n"
	"  --bias-correction           fold the mean error of weight quantization into\n"
	"                              each bias (runs pass bias-correct before quantize)\n"
	"  --config FILE.yaml          quantization settings: method, input ranges, per-layer\n"
	"                              methods (docs/configuration.md); flags win over it\n"
	"  --input-shape NAME=DxDx..   ONNX models: the shape of input NAME (comma-separate\n"
	"                              several); a symbolic batch dimension is otherwise 1\n"
	"  --passes P1,P2{opt=v},...   run this pipeline instead of the default\n"
	"  --print-after-all           print the IR after every pass (to stderr)\n"
	"  --print-after PASS[,PASS]   print the IR after these passes\n"
	"  --print-before PASS[,PASS]  print the IR before these passes\n"
	"  --dump-dir DIR              write the IR before and after every pass, one numbered\n"
	"                              file per pass (large constants as .npy beside them),\n"
	"                              each with a Graphviz picture NN-pass.dot beside it\n"
	"  --print-constants           print large constants and per-channel scale lists\n"
	"                              whole in the IR printed to stderr or to a terminal\n"
	"                              (shortened there by default; dumps are always whole)\n"
	"  --elide-constants           shorten them in `quantc opt` output to a file or pipe too\n"
	"                              (not parseable)\n"
	"  --verify-each               run the IR verifier after every pass\n"
	"  --max-memory BYTES          the largest arena plan-memory may make (suffix K, M or\n"
	"                              G: KiB, MiB, GiB; default and most 4G - 1; docs/limits.md)\n"
	"  --allow-path DIR            the model may read files in DIR too (npy(...) paths\n"
	"                              must otherwise stay in the model's folder); repeatable\n"
	"  --time-passes               print the time each pass took\n"
	"  -q, -v                      -q: no warnings, no progress bar; -v: print the passes run\n";

static const char *compile_help =
	"  -o OUT.o                    object to write; the header goes to OUT.h\n"
	"  --target TRIPLE             target triple (default: the host); see --list-targets\n"
	"  --mcpu CPU, --mattr +a,-b   as clang/llc\n"
	"  --name NAME                 C prefix of generated symbols (default: the model name)\n"
	"  -O0 .. -O3                  LLVM optimization level (default -O2)\n"
	"  --emit obj,header,llvm,asm  what to write (default obj,header)\n"
	"  --list-targets              print the supported targets\n"
	"  --instrument                call qrt_trace after every layer (the debug twin;\n"
	"                              see quantc trace-diff)\n";

void drv_help(FILE *f, const char *cmd)
{
	fputs(usage, f);
	if (!cmd)
		return;
	fprintf(f, "\noptions of quantc %s:\n", cmd);
	if (strcmp(cmd, "compile") == 0)
		fputs(compile_help, f);
	if (strcmp(cmd, "run") == 0)
		fputs("  --input X.npy               input samples, float32 [N, ...]; once per model\n"
		      "                              input, in the model's order, or NAME=X.npy\n"
		      "  -o Y.npy                    outputs, float32 [N, ...]; once per model output,\n"
		      "                              in order, or NAME=Y.npy\n", f);
	if (strcmp(cmd, "trace-diff") == 0)
		fputs("  TRACE                       the trace an --instrument object printed\n"
		      "                              (docs/trace-format.md)\n"
		      "  --input X.npy               the samples it ran, float32 [N, ...]; give the\n"
		      "                              pipeline options the object was compiled with\n", f);
	if (strcmp(cmd, "opt") == 0)
		fputs("  -o OUT.qg                   write the IR there (large constants as .npy beside it)\n"
		      "                              instead of standard output\n", f);
	if (strcmp(cmd, "inspect") == 0)
		fputs("  --target TRIPLE             (footprint figures are for this target)\n"
		      "  --dot OUT.dot               also draw the graph after the pipeline (Graphviz)\n", f);
	if (strcmp(cmd, "report") == 0)
		fputs("  --input X.npy               samples to compare on, float32 [N, ...]\n"
		      "  --format text|json          the report's form (default text; docs/report-json.md)\n"
		      "  -o OUT                      write the report there instead of standard output\n"
		      "  --svg OUT.svg               also draw per-layer SQNR as a bar chart\n"
		      "  --quantized DUMP.qg         compare MODEL against this already quantized graph\n"
		      "                              (a dump, run through --passes, default none)\n"
		      "                              instead of quantizing MODEL with --calib\n", f);
	fputs(common_help, f);
	fputs("\npasses:\n", f);
	for (int i = 0; i < pass_count; i++)
		fprintf(f, "  %-16s %s\n", pass_table[i].name, pass_table[i].help);
}

/* The options only some subcommands use (the others, common_help's, every
 * subcommand uses), and those subcommands: any other one refuses them, as
 * it refuses an unknown option, rather than ignore them silently. */
static const struct {
	const char *name;
	const char *cmds; /* space-separated */
} cmd_opts[] = {
	{"-o", "compile run opt report"},
	{"--input", "run report trace-diff"},
	{"--target", "compile inspect"},
	{"--mcpu", "compile inspect"},
	{"--mattr", "compile inspect"},
	{"--name", "compile trace-diff"},
	{"-O", "compile"},
	{"--emit", "compile"},
	{"--list-targets", "compile"},
	{"--instrument", "compile"},
	{"--dot", "inspect"},
	{"--format", "report"},
	{"--svg", "report"},
	{"--quantized", "report"},
};

static int word_in(const char *list, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = list; (p = strstr(p, w)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == 0 || p[n] == ' '))
			return 1;
	return 0;
}

/* An option argument a (its name: up to '=', "-O" for -O0..-O3) that cmd
 * does not use: diagnosed, returns -1. */
static int check_used(const char *cmd, const char *a, Diag *d)
{
	char name[64];
	size_t n = strcspn(a, "=");

	if (a[0] == '-' && a[1] == 'O' && a[2])
		n = 2;
	if (n >= sizeof name)
		return 0;
	memcpy(name, a, n);
	name[n] = 0;
	for (size_t i = 0; i < sizeof cmd_opts / sizeof cmd_opts[0]; i++)
		if (strcmp(cmd_opts[i].name, name) == 0 && !word_in(cmd_opts[i].cmds, cmd)) {
			char users[64];
			size_t at = 0;
			for (const char *c = cmd_opts[i].cmds; *c && at + 3 < sizeof users; c++)
				at += (size_t)snprintf(users + at, sizeof users - at, *c == ' ' ? ", " : "%c", *c);
			diag_error(d, loc_none(), "option '%s' is not used by quantc %s, only by %s (see "
			           "quantc %s --help)", name, cmd, users, cmd);
			return -1;
		}
	return 0;
}

/* compile -o OUT: the header, .ll and .s take OUT's name with their own
 * suffix, so OUT must not end in one of theirs (one file would replace the
 * other); a suffix other than .o or .obj is probably a slip. */
static int check_out_suffix(const Options *o, Diag *d)
{
	static const struct { const char *ext; unsigned emit; } others[] = {
		{".h", TGT_EMIT_HEADER}, {".ll", TGT_EMIT_LLVM}, {".s", TGT_EMIT_ASM},
	};
	const char *slash = strrchr(o->out, '/'), *dot = strrchr(o->out, '.');
	const char *base = slash ? slash + 1 : o->out;

	if (!dot || dot <= base)
		dot = NULL;
	for (size_t i = 0; dot && i < sizeof others / sizeof others[0]; i++)
		if (strcmp(dot, others[i].ext) == 0 && (o->tgt.emit & others[i].emit) &&
		    (o->tgt.emit & TGT_EMIT_OBJ)) {
			diag_error(d, loc_none(), "-o %s: the object would be written where the %s file "
			           "goes (OUT's name with %s); name the object OUT.o", o->out,
			           others[i].ext, others[i].ext);
			return -1;
		}
	if (!(o->tgt.emit & TGT_EMIT_OBJ))
		return 0;
	if (!dot || (strcmp(dot, ".o") != 0 && strcmp(dot, ".obj") != 0)) {
		int n = dot ? (int)(dot - o->out) : (int)strlen(o->out);
		if (o->tgt.emit & TGT_EMIT_HEADER)
			diag_warning(d, loc_none(), "-o %s: an object file's name ends in .o or .obj "
			             "(the object goes to %s, the header to %.*s.h)", o->out, o->out, n,
			             o->out);
		else
			diag_warning(d, loc_none(), "-o %s: an object file's name ends in .o or .obj",
			             o->out);
	}
	return 0;
}

/* Every option --help documents, NULL-terminated, for "did you mean"
 * (malloc'd, like the strings; the process ends soon after). */
static const char **known_options(void)
{
	static const char *const cmds[] = {"compile", "run", "inspect", "opt", "report", "trace-diff"};
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

static int is_opt(const char *a, const char *opt)
{
	size_t n = strlen(opt);
	return strncmp(a, opt, n) == 0 && (a[n] == 0 || a[n] == '=');
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
		const char *u = strchr("KMG", *end == 'k' ? 'K' : *end == 'm' ? 'M' : *end == 'g' ? 'G' : *end);
		shift = u && *u ? 10 * (int)(u - "KMG" + 1) : -1;
		end += shift > 0;
	}
	if (end == s || *end || errno || n < 1 || shift < 0 || n > (INT64_MAX >> shift)) {
		diag_error(d, loc_none(), "--max-memory: '%s' is not a number of bytes (e.g. 65536, "
		           "64K, 2M, 1G)", s);
		return -1;
	}
	*out = (int64_t)n << shift;
	return 0;
}

static int parse_emit(const char *s, unsigned *out, Diag *d)
{
	static const struct { const char *name; unsigned bit; } kinds[] = {
		{"obj", TGT_EMIT_OBJ}, {"header", TGT_EMIT_HEADER},
		{"llvm", TGT_EMIT_LLVM}, {"asm", TGT_EMIT_ASM},
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
			diag_error(d, loc_none(), "--emit: unknown kind '%.*s' (obj, header, llvm, asm)", (int)n, s);
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
		diag_error(d, loc_none(), "--min-sqnr (min_sqnr:) is the target of --precision auto; "
		           "give both");
		return -1;
	}
	if (o->auto_precision && !o->set_min_sqnr) {
		diag_error(d, loc_none(), "--precision auto needs a target: --min-sqnr DB (or "
		           "min_sqnr: in --config)");
		return -1;
	}
	if (o->auto_precision && !o->calib_path) {
		diag_error(d, loc_none(), "--precision auto needs calibration data (--calib FILE.npy)");
		return -1;
	}
	return 0;
}

int drv_parse_options(int argc, char **argv, Options *o, Diag *d)
{
	const char *v;

	o->tgt.opt_level = 2;
	o->tgt.emit = TGT_EMIT_OBJ | TGT_EMIT_HEADER;
	o->precision = PREC_INT8;
	o->requant = -1;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
#define VAL(opt) if (!(v = value(argc, argv, &i, opt, d))) return EXIT_INPUT
		if (a[0] == '-' && check_used(o->cmd, a, d))
			return EXIT_INPUT;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			drv_help(stdout, o->cmd);
			exit(0);
		} else if (strcmp(a, "-o") == 0) {
			VAL("-o");
			o->out = v;
			if (add_io(o->outs, &o->nouts, "-o", v, d))
				return EXIT_INPUT;
		} else if (is_opt(a, "--input")) {
			VAL("--input");
			o->input = v;
			if (add_io(o->inputs, &o->ninputs, "--input", v, d))
				return EXIT_INPUT;
		} else if (is_opt(a, "--calib")) {
			VAL("--calib");
			o->calib_path = v;
		} else if (is_opt(a, "--calibration")) {
			VAL("--calibration");
			int m = calib_method_from_name(v);
			if (m < 0) {
				diag_error(d, loc_none(), "--calibration: unknown method '%s' (minmax, "
				           "percentile, entropy, mse)", v);
				return EXIT_INPUT;
			}
			o->calib_params.method = (CalibMethod)m;
			o->set_method = 1;
		} else if (is_opt(a, "--percentile")) {
			char *end;
			VAL("--percentile");
			o->calib_params.percentile = strtod(v, &end);
			o->set_percentile = 1;
			if (*end || end == v || !(o->calib_params.percentile > 0) ||
			    o->calib_params.percentile > 100) {
				diag_error(d, loc_none(), "--percentile: '%s' is not a number in (0, 100]", v);
				return EXIT_INPUT;
			}
		} else if (strcmp(a, "--bias-correction") == 0) {
			o->bias_correction = 1;
		} else if (is_opt(a, "--config")) {
			VAL("--config");
			o->config = v;
		} else if (is_opt(a, "--passes")) {
			VAL("--passes");
			o->passes = v;
		} else if (is_opt(a, "--input-shape")) {
			VAL("--input-shape");
			o->input_shape = v;
		} else if (is_opt(a, "--dot")) {
			VAL("--dot");
			o->dot = v;
		} else if (is_opt(a, "--svg")) {
			VAL("--svg");
			o->svg = v;
		} else if (is_opt(a, "--quantized")) {
			VAL("--quantized");
			o->quantized = v;
		} else if (is_opt(a, "--format")) {
			VAL("--format");
			if (strcmp(v, "text") != 0 && strcmp(v, "json") != 0) {
				diag_error(d, loc_none(), "--format: unknown '%s' (text, json)", v);
				return EXIT_INPUT;
			}
			o->format = v;
		} else if (is_opt(a, "--name")) {
			VAL("--name");
			o->name = o->tgt.name = v;
		} else if (is_opt(a, "--target")) {
			VAL("--target");
			o->tgt.triple = v;
		} else if (is_opt(a, "--mcpu")) {
			VAL("--mcpu");
			o->tgt.cpu = v;
		} else if (is_opt(a, "--mattr")) {
			VAL("--mattr");
			o->tgt.features = v;
		} else if (is_opt(a, "--precision")) {
			VAL("--precision");
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
				return EXIT_INPUT;
			}
		} else if (is_opt(a, "--requant")) {
			VAL("--requant");
			if (strcmp(v, "fixed") != 0 && strcmp(v, "float") != 0) {
				diag_error(d, loc_none(), "--requant: unknown '%s' (fixed, float)", v);
				return EXIT_INPUT;
			}
			o->requant = strcmp(v, "float") == 0;
		} else if (is_opt(a, "--min-sqnr")) {
			char *end;
			VAL("--min-sqnr");
			o->min_sqnr = strtod(v, &end);
			o->set_min_sqnr = 1;
			if (*end || end == v || !isfinite(o->min_sqnr)) {
				diag_error(d, loc_none(), "--min-sqnr: '%s' is not a number (dB)", v);
				return EXIT_INPUT;
			}
		} else if (is_opt(a, "--emit")) {
			VAL("--emit");
			if (parse_emit(v, &o->tgt.emit, d))
				return EXIT_INPUT;
		} else if (a[0] == '-' && a[1] == 'O' && a[2] >= '0' && a[2] <= '3' && !a[3]) {
			o->tgt.opt_level = a[2] - '0';
		} else if (strcmp(a, "--print-after-all") == 0) {
			o->pipe.print_after_all = 1;
		} else if (is_opt(a, "--print-after")) {
			VAL("--print-after");
			o->pipe.print_after = v;
		} else if (is_opt(a, "--print-before")) {
			VAL("--print-before");
			o->pipe.print_before = v;
		} else if (is_opt(a, "--dump-dir")) {
			VAL("--dump-dir");
			o->pipe.dump_dir = v;
		} else if (is_opt(a, "--max-memory")) {
			VAL("--max-memory");
			if (parse_bytes(v, &o->max_memory, d))
				return EXIT_INPUT;
		} else if (is_opt(a, "--allow-path")) {
			VAL("--allow-path");
			if (fe_allow_path(v, d))
				return EXIT_INPUT;
		} else if (strcmp(a, "--verify-each") == 0) {
			o->pipe.verify_each = 1;
		} else if (strcmp(a, "--elide-constants") == 0) {
			o->pipe.elide_constants = 1;
		} else if (strcmp(a, "--print-constants") == 0) {
			o->pipe.print_constants = 1;
		} else if (strcmp(a, "--time-passes") == 0) {
			o->pipe.time_passes = 1;
		} else if (strcmp(a, "--instrument") == 0) {
			o->tgt.instrument = 1;
		} else if (strcmp(a, "--list-targets") == 0) {
			tgt_list(stdout);
			exit(0);
		} else if (strcmp(a, "-q") == 0) {
			o->quiet = 1;
		} else if (strcmp(a, "-v") == 0) {
			o->verbose = 1;
		} else if (a[0] == '-' && a[1]) {
			char name[64];
			snprintf(name, sizeof name, "%.*s", (int)strcspn(a, "="), a);
			const char **known = known_options();
			const char *near = known ? ir_suggest(name, known) : NULL;
			if (near)
				diag_error(d, loc_none(), "unknown option '%s'; did you mean '%s'? (see quantc "
				           "%s --help)", a, near, o->cmd);
			else
				diag_error(d, loc_none(), "unknown option '%s' (see quantc %s --help)", a,
				           o->cmd);
			free_known_options(known);
			return EXIT_INPUT;
		} else if (!o->model) {
			o->model = a;
		} else if (!o->trace && strcmp(o->cmd, "trace-diff") == 0) {
			o->trace = a;
		} else {
			diag_error(d, loc_none(), "unexpected argument '%s' (the model is '%s')", a, o->model);
			return EXIT_INPUT;
		}
#undef VAL
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
		diag_error(d, loc_none(), "--elide-constants and --print-constants contradict each other");
		return EXIT_INPUT;
	}
	if (o->config && drv_read_config(o, d))
		return EXIT_INPUT;
	if (o->calib_params.method != CALIB_MINMAX && !o->calib_path) {
		diag_error(d, loc_none(), "--calibration %s needs calibration data (--calib FILE.npy)",
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
