/* onnx_table.c — writes docs/onnx.md's operator table from the data it
 * describes, so that the table cannot drift from the code:
 *   the rows       frontend/onnx_ops.c's oi_ops (each ONNX operator and, in
 *                  its 4th field, the IR ops it becomes);
 *   precisions     each IR op's precs column of ir/ops.def;
 *   targets        the rows of `quantc compile --list-targets` (tgt_list),
 *                  and whether the op's family has a lowering (tgt_rules);
 *   supported      docs/onnx-notes.txt, one line per operator.
 *
 *   onnx_table NOTES ONNX_MD            exit 0 when ONNX_MD holds the table
 *                                       between its markers, else 1
 *   onnx_table NOTES ONNX_MD --update   writes the table into ONNX_MD
 *
 * A row without its IR ops, an IR op ops.def lacks, an operator without
 * notes or notes for no operator: an error naming it (exit 2). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_import.h"
#include "tgt_rules.h"

#define BEGIN "<!-- BEGIN onnx-ops-table"
#define END "<!-- END onnx-ops-table -->"

enum { MAX_TARGETS = 32, MAX_NOTES = 512 };

static char *targets[MAX_TARGETS];
static int ntarget;
static char *note_op[MAX_NOTES], *note_text[MAX_NOTES];
static int nnote, note_used[MAX_NOTES];
static int bad;

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0, got;

	if (!f)
		die(path);
	do {
		if (cap - n < 4096 && !(buf = realloc(buf, cap = cap * 2 + 4096)))
			die("realloc");
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got);
	fclose(f);
	buf[n] = 0;
	return buf;
}

/* The first word of every line tgt_list prints: the target triples. */
static void read_targets(void)
{
	char *text = NULL, *save;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		die("open_memstream");
	tgt_list(f);
	fclose(f);
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (ntarget == MAX_TARGETS) {
			fprintf(stderr, "onnx_table: more than %d targets\n", MAX_TARGETS);
			exit(2);
		}
		targets[ntarget++] = strndup(line, strcspn(line, " "));
	}
	free(text);
}

/* NOTES: "Op: text" lines; '#' lines and blank lines are comments. */
static void read_notes(const char *path)
{
	char *text = slurp(path), *save;
	int lineno = 0;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');
		lineno++;
		if (!*line || *line == '#')
			continue;
		if (!colon || nnote == MAX_NOTES) {
			fprintf(stderr, "%s: error: '%s' is not 'Op: notes'\n", path, line);
			exit(2);
		}
		note_op[nnote] = strndup(line, (size_t)(colon - line));
		note_text[nnote++] = strdup(colon[1] == ' ' ? colon + 2 : colon + 1);
	}
	free(text);
}

static const char *notes_of(const char *op)
{
	for (int i = 0; i < nnote; i++)
		if (strcmp(note_op[i], op) == 0) {
			note_used[i] = 1;
			return note_text[i];
		}
	fprintf(stderr,
	        "onnx_table: error: ONNX operator '%s' has no line in docs/onnx-notes.txt "
	        "(add '%s: what is supported')\n",
	        op, op);
	bad = 1;
	return "";
}

static const char *prec_text(unsigned precs, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s%s%s", precs & PR_F32 ? "f32" : "",
	         (precs & PR_F32) && (precs & (PR_I8 | PR_I16)) ? ", " : "",
	         precs & PR_I8 ? "int8" : "", (precs & PR_I8) && (precs & PR_I16) ? ", " : "",
	         precs & PR_I16 ? "int16" : "");
	return buf;
}

/* The IR op named s[0..n), or -1. */
static int ir_op(const char *s, size_t n)
{
	for (int k = 0; k < OP_COUNT; k++)
		if (ir_ops[k].name && strlen(ir_ops[k].name) == n &&
		    strncmp(ir_ops[k].name, s, n) == 0)
			return k;
	return -1;
}

/* Every target compiles op k when its family has a lowering: the lowering is
 * target-independent LLVM IR (docs/architecture.md), the kernels of the
 * registry are preferences on top of it. */
static int lowers_everywhere(int k)
{
	const TgtRules *r = tgt_rules[ir_ops[k].family];
	return r && r->check && r->lower && ntarget > 0;
}

/* One row of the table for oi_ops[i]. */
static void row(FILE *f, const OnnxOp *o)
{
	int ops[IR_MAX_IN * 2], n = 0, same = 1, all = 1;
	char buf[64];
	const char *nt = notes_of(o->op);

	if (!o->ir) {
		fprintf(stderr,
		        "onnx_table: error: frontend/onnx_ops.c: the row of '%s' has no IR ops "
		        "(its 4th field: \"conv2d\", \"dense, add\", or \"\" when nothing is left "
		        "after import)\n",
		        o->op);
		bad = 1;
		return;
	}
	for (const char *p = o->ir; *p;) {
		size_t len = strcspn(p, ", ");
		int k = ir_op(p, len);
		if (k < 0 || n == (int)(sizeof ops / sizeof *ops)) {
			fprintf(stderr,
			        "onnx_table: error: '%s' becomes '%.*s', which ir/ops.def lacks\n",
			        o->op, (int)len, p);
			bad = 1;
			return;
		}
		ops[n++] = k;
		p += len;
		p += strspn(p, ", ");
	}
	fprintf(f, "| `%s` | ", o->op);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s`%s`", i ? ", " : "", ir_ops[ops[i]].name);
	fprintf(f, "%s | ", n ? "" : "nothing (no node)");
	for (int i = 1; i < n; i++)
		same &= ir_ops[ops[i]].precs == ir_ops[ops[0]].precs;
	if (!n)
		fprintf(f, "-");
	else if (same)
		fprintf(f, "%s", prec_text(ir_ops[ops[0]].precs, buf, sizeof buf));
	else
		for (int i = 0; i < n; i++)
			fprintf(f, "%s`%s` %s", i ? "; " : "", ir_ops[ops[i]].name,
			        prec_text(ir_ops[ops[i]].precs, buf, sizeof buf));
	fprintf(f, " | ");
	for (int i = 0; i < n; i++)
		all &= lowers_everywhere(ops[i]);
	if (!n)
		fprintf(f, "-");
	else if (all)
		fprintf(f, "all");
	else
		for (int i = 0; i < n; i++)
			fprintf(f, "%s`%s` %s", i ? "; " : "", ir_ops[ops[i]].name,
			        lowers_everywhere(ops[i]) ? "all" : "none");
	fprintf(f, " |%s%s |\n", *nt ? " " : "", nt);
}

static char *table(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		die("open_memstream");
	fprintf(f, BEGIN ": generated by tests/tools/onnx_table.c from frontend/onnx_ops.c, "
	                 "ir/ops.def, the targets and docs/onnx-notes.txt; do not edit -->\n");
	fprintf(f,
	        "Precisions are those of the IR ops (ir/ops.def's precs column); \"all\" "
	        "targets means the %d of `quantc compile --list-targets`:",
	        ntarget);
	for (int i = 0; i < ntarget; i++)
		fprintf(f, "%s `%s`", i ? "," : "", targets[i]);
	fprintf(f, ".\n\n| ONNX | quantc IR | precisions | targets | supported |\n"
	           "|---|---|---|---|---|\n");
	for (int i = 0; i < oi_nops; i++)
		row(f, &oi_ops[i]);
	fprintf(f, END "\n");
	fclose(f);
	for (int i = 0; i < nnote; i++)
		if (!note_used[i]) {
			fprintf(stderr,
			        "onnx_table: error: docs/onnx-notes.txt has notes for '%s', which "
			        "frontend/onnx_ops.c's table lacks\n",
			        note_op[i]);
			bad = 1;
		}
	if (bad)
		exit(2);
	return text;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "--update") != 0)) {
		fprintf(stderr, "usage: onnx_table NOTES ONNX_MD [--update]\n");
		return 2;
	}
	read_targets();
	read_notes(argv[1]);
	char *want = table(), *doc = slurp(argv[2]);
	char *b = strstr(doc, BEGIN), *e = b ? strstr(b, END) : NULL;
	if (!b || !e) {
		fprintf(stderr, "onnx_table: error: %s has no '%s' ... '%s' markers\n", argv[2],
		        BEGIN, END);
		free(want);
		free(doc);
		return 2;
	}
	e += strlen(END) + (e[strlen(END)] == '\n');
	size_t have = (size_t)(e - b);
	if (argc == 3) {
		int same = have == strlen(want) && memcmp(b, want, have) == 0;
		printf("%s: the operator table (%d ONNX operators, %d targets) %s the one "
		       "generated from the op tables\n",
		       argv[2], oi_nops, ntarget, same ? "is" : "is NOT");
		if (!same)
			printf("update it with: %s %s %s --update\n", argv[0], argv[1], argv[2]);
		free(want);
		free(doc);
		return same ? 0 : 1;
	}
	FILE *f = fopen(argv[2], "wb");
	if (!f)
		die(argv[2]);
	fwrite(doc, 1, (size_t)(b - doc), f);
	fputs(want, f);
	fputs(e, f);
	if (fclose(f))
		die(argv[2]);
	printf("%s: wrote the operator table (%d ONNX operators)\n", argv[2], oi_nops);
	free(want);
	free(doc);
	return 0;
}
