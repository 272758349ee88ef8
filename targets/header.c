/* header.c — the C header of a compiled model (docs/abi.md): arena and
 * tensor size macros, the entry point prototypes with parameters named after
 * the model's inputs and outputs, and the NAME_model declaration; for an
 * instrumented object also the table of traced layers.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "targets.h"

/* The keywords of C89 to C23 (the reserved _Xxx ones aside). */
const char *const tgt_c_keywords[] = {
        "auto",    "break",  "case",          "char",   "const",    "continue",      "default",
        "do",      "double", "else",          "enum",   "extern",   "float",         "for",
        "goto",    "if",     "inline",        "int",    "long",     "register",      "restrict",
        "return",  "short",  "signed",        "sizeof", "static",   "struct",        "switch",
        "typedef", "union",  "unsigned",      "void",   "volatile", "while",         "alignas",
        "alignof", "bool",   "constexpr",     "false",  "nullptr",  "static_assert", "thread_local",
        "true",    "typeof", "typeof_unqual", NULL};

/* What else a parameter name may not be: C++ keywords (the header is usable
 * from C++) and the entry points' last parameter. */
static const char *const cxx_and_params[] = {
        "class",     "new",     "delete",   "this",      "template", "private", "public",
        "protected", "virtual", "operator", "namespace", "arena",    NULL};

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* A C identifier spelling name: other characters become '_', a leading
 * digit gets a '_' before it, keywords (and "arena", the last parameter)
 * get one after. */
static char *sanitize(const char *name)
{
	size_t n = strlen(name);
	char *s = ir_xmalloc(n + 3), *p = s;

	if (!*name || isdigit((unsigned char)*name))
		*p++ = '_';
	for (const char *q = name; *q; q++)
		*p++ = isalnum((unsigned char)*q) && !((unsigned char)*q & 0x80) ? *q : '_';
	*p = 0;
	if (in_list(s, tgt_c_keywords) || in_list(s, cxx_and_params))
		strcat(s, "_");
	return s;
}

static int io_value(const Graph *g, int i)
{
	return i < g->ninput ? g->inputs[i] : g->outputs[i - g->ninput];
}

char **tgt_param_names(const Graph *g)
{
	int np = g->ninput + g->noutput;
	char **names = ir_xcalloc((size_t)np + 1, sizeof *names);

	for (int i = 0; i < np; i++) {
		char *s = sanitize(g->vals[io_value(g, i)].name);

		/* a clash with an earlier parameter: append the position, again if
		 * that clashes too */
		for (int k = 0; k < i; k++)
			if (strcmp(s, names[k]) == 0) {
				char *u = ir_xmalloc(strlen(s) + 24);
				sprintf(u, "%s_%d", s, i);
				free(s);
				s = u;
				k = -1;
			}
		names[i] = s;
	}
	return names;
}

void tgt_free_names(char **names)
{
	for (char **p = names; *p; p++)
		free(*p);
	free(names);
}

/* Text inside a C comment: no "*" + "/" and only printable ASCII. */
static void comment_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		int ch = (unsigned char)*s;
		if (ch < 32 || ch > 126 || (ch == '*' && s[1] == '/'))
			ch = '?';
		fputc(ch, f);
	}
}

static const char *ctype(DType dt)
{
	switch (dt) {
	case DT_I8: return "int8_t";
	case DT_I16: return "int16_t";
	case DT_I32: return "int32_t";
	case DT_I64: return "int64_t";
	case DT_U8: return "uint8_t";
	default: return "float";
	}
}

static void prototype(FILE *f, const Graph *g, const char *name, const char *fn, int storage)
{
	int np = g->ninput + g->noutput;
	char **pn = tgt_param_names(g);

	fprintf(f, "int %s_%s(", name, fn);
	for (int i = 0; i < np; i++) {
		const Value *v = &g->vals[io_value(g, i)];

		/* an index input (i32, i64) and an int64 output are their own type
		 * in both entry points */
		int idx = (i < g->ninput && v->dt == DT_I32) || v->dt == DT_I64;
		/* a bool mask (input or output) is uint8_t in both */
		idx |= v->dt == DT_U8;
		fprintf(f, "%s%s *%s, ", i < g->ninput ? "const " : "",
		        storage || idx ? ctype(v->dt) : "float", pn[i]);
	}
	tgt_free_names(pn);
	fprintf(f, "void *arena);\n");
}

/* The layer table of an instrumented object: a comment listing layer id ->
 * value, then NAME_TRACE_LAYERS. */
static void trace_layers(FILE *f, const Graph *g, const char *up)
{
	int *vals = ir_xmalloc(((size_t)g->ninput + (size_t)g->nnode + 1) * sizeof *vals);
	int n = tgt_trace_layers(g, vals);
	char shape[96];

	fprintf(f, "\n/* Instrumented (quantc compile --instrument): every run calls\n"
	           " * qrt_trace(layer_id, data, bytes) once per input after its quantization\n"
	           " * and once after every layer, with the tensor in the arena (storage type,\n"
	           " * C order); see qrt.h and docs/trace-format.md.  Layers:\n"
	           " *    id  value        op         type                    bytes\n");
	for (int id = 0; id < n; id++) {
		const Value *v = &g->vals[vals[id]];
		char type[112];
		int pad = 12 - (int)strlen(v->name);

		snprintf(type, sizeof type, "%s%s", ir_dtype_name(v->dt),
		         ir_shape_str(&v->shape, shape, sizeof shape));
		fprintf(f, " *  %4d  ", id);
		comment_text(f, v->name);
		fprintf(f, "%*s %-10s %-20s %8lld\n", pad > 0 ? pad : 0, "",
		        v->def >= 0 ? ir_ops[g->nodes[v->def].op].name : "input", type,
		        (long long)ir_value_bytes(v));
	}
	fprintf(f, " */\n#define %s_TRACE_LAYERS %du /* layer ids 0 .. %s_TRACE_LAYERS - 1 */\n",
	        up, n, up);
	free(vals);
}

char *tgt_header(const Graph *g, const char *name, int instrument, size_t *len)
{
	char *buf = NULL, *up = ir_xstrdup(name);
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	int storage = 0;

	if (!f)
		ICE("open_memstream failed");
	for (char *p = up; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	for (int i = 0; i < g->ninput + g->noutput; i++) {
		DType dt = g->vals[io_value(g, i)].dt;
		storage |= dt != DT_F32 && dt != DT_U8 && dt != DT_I64 &&
		           !(i < g->ninput && dt == DT_I32);
	}

	fprintf(f, "/* Generated by quantc from model '");
	comment_text(f, g->name);
	fprintf(f, "'; do not edit.\n * Link with the object file of the same name and "
	           "the quantc runtime (qrt). */\n");
	fprintf(f, "#ifndef %s_QUANTC_H\n#define %s_QUANTC_H\n\n", up, up);
	fprintf(f, "#include \"qrt.h\"\n#include <stdint.h>\n\n");
	fprintf(f, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
	fprintf(f,
	        "#define %s_ARENA_SIZE %lldu /* bytes of scratch memory the caller provides */\n",
	        up, (long long)g->arena_size);
	fprintf(f, "#define %s_ARENA_ALIGN %du /* its required alignment, bytes */\n", up,
	        IR_ALIGN);
	if (g->requant_float)
		fprintf(f,
		        "#define %s_REQUANT_FLOAT 1 /* --requant float: layers requantize in "
		        "float32, as onnxruntime */\n",
		        up);
	for (int i = 0; i < g->ninput + g->noutput; i++) {
		const Value *v = &g->vals[io_value(g, i)];
		int in = i < g->ninput;

		fprintf(f, "#define %s_%s%d_SIZE %lldu /* elements of %s %d (", up,
		        in ? "INPUT" : "OUTPUT", in ? i : i - g->ninput,
		        (long long)ir_shape_numel(&v->shape), in ? "input" : "output",
		        in ? i : i - g->ninput);
		comment_text(f, v->name);
		if (in && (v->dt == DT_I64 || v->dt == DT_I32))
			fprintf(f, "; %s indices, never quantized",
			        v->dt == DT_I64 ? "int64_t" : "int32_t");
		else if (v->dt == DT_U8)
			fprintf(f, "; uint8_t bool mask, 0 or 1, never quantized");
		else if (v->dt == DT_I64)
			fprintf(f, "; int64_t, never quantized");
		fprintf(f, ") */\n");
	}
	if (instrument)
		trace_layers(f, g, up);
	fprintf(f,
	        "\n/* float in, float out: quantizes the inputs and dequantizes the outputs "
	        "itself.\n * arena: %s_ARENA_SIZE bytes aligned to %s_ARENA_ALIGN.  Returns "
	        "QRT_OK, QRT_ERR_NULL\n * (a NULL pointer) or QRT_ERR_ALIGN (a misaligned arena). */\n",
	        up, up);
	prototype(f, g, name, "run", 0);
	if (storage) {
		fprintf(f,
		        "/* storage-type I/O (int8_t / int16_t; float for an f32 one), in the "
		        "quantization\n * of %s_model; same arena and return values. */\n",
		        name);
		prototype(f, g, name, "run_q", 1);
	}
	fprintf(f, "/* names, shapes, dtypes, scales and zero points, arena size */\n");
	fprintf(f, "extern const qrt_model %s_model;\n", name);
	fprintf(f, "\n#ifdef __cplusplus\n}\n#endif\n#endif\n");
	fclose(f);
	free(up);
	*len = n;
	return buf;
}
