/* frontend/qg.h — private to the .qg reader: the parse context shared by
 * lexer.l, parser.y and the qg_*.c files, the small syntax records the
 * grammar builds, and the pu_* helpers its actions call.
 *
 *   qg_ast.c   the records, their scratch memory and the parse context
 *   qg_sema.c  the semantic checks, statement by statement, that build the graph
 *   qg_read.c  the entry points (fe_parse_file, fe_parse_string), diagnostics
 *              and the lexer's helpers
 *
 * The grammar only collects text (names, number spellings, locations); every
 * check and every conversion happens in qg_sema.c, once a whole statement
 * has been read, so that messages can name the value they are about. */
#ifndef QUANTC_QG_H
#define QUANTC_QG_H

#include "frontend.h"

#ifndef YY_TYPEDEF_YY_SCANNER_T
#define YY_TYPEDEF_YY_SCANNER_T
typedef void *yyscan_t;
#endif

/* An identifier or a string (unescaped), and where it starts. */
typedef struct {
	char *s;
	Loc loc;
} Name;

/* A number as spelled; converted by its user (strtof for f32 values keeps
 * every printed float exact). */
typedef struct {
	const char *text;
	Loc loc;
} Num;

typedef struct {
	Num *v;
	int n, cap;
	Loc loc; /* the '[' */
} NumList;

typedef struct {
	Name *v;
	int n, cap;
} NameList;

/* dtype '[' dims ']' */
typedef struct {
	Name dtype;
	NumList *dims;
} TypeAst;

/* one item of q(...): key = num | key = [nums] */
typedef struct {
	Name key;
	Num num;
	NumList *list; /* non-NULL for the bracketed form */
} QItem;

typedef struct {
	QItem *v;
	int n, cap;
	Loc loc; /* the 'q' */
} QAst;

typedef struct {
	TypeAst *type;
	QAst *q; /* NULL: none */
} TypeQ;

/* range [a, b] / calib [a, b] / clip [a, b] */
typedef struct {
	Num lo, hi;
	Loc loc;
} Pair;

typedef struct {
	Pair *range, *calib, *clip; /* NULL: absent */
	Num *offset;         /* NULL: absent */
} Decor;

enum { AV_NUM, AV_LIST, AV_IDENT };

typedef struct {
	Name key;
	int kind; /* AV_* */
	Num num;
	NumList *list; /* AV_LIST: NULL for [] */
	Name ident;
} AttrAst;

typedef struct {
	AttrAst *v;
	int n, cap;
} AttrList;

typedef struct {
	Name npy;      /* npy("path"): npy.s != NULL */
	NumList *vals; /* inline values otherwise */
} InitAst;

typedef struct PChunk PChunk;

typedef struct {
	Graph *g;
	Diag *d;
	int errors0;      /* d->nerrors when the parse started */
	const char *file; /* g->file: the name used in diagnostics */
	const char *dir;  /* folder that npy() paths are relative to */
	PChunk *mem;      /* scratch memory of this parse */
	int ntokens;      /* tokens seen so far */
	Loc first_loc;    /* location of the first token */
	int line, col;    /* lexer position of the next byte */
	int saw_output;   /* an 'output' keyword was read */
	const char *last_text; /* spelling of the last name, number or string */
	int tok_line;     /* line of the last token */
	int tok_bol;      /* the last token was the first of its line */
	Loc err_loc;      /* the last syntax error (line 0: none) */
	int err_bol;      /* ... was at a token that starts a line */
	Name pending;     /* value name of the statement being read */
	NameList broken;  /* names whose statement had a syntax error */
	/* npy("...") constants, read by pu_finish once every declaration is
	 * known: constants over IR_MAX_CONST_BYTES in all are refused before
	 * a byte of them is read */
	struct PendingNpy {
		int v;
		Name path;
	} *npy;
	int nnpy, capnpy;
	int64_t const_bytes; /* declared so far */
	int const_over;      /* ... over the limit (reported) */
} ParseCtx;

/* scratch memory, released with the parse */
void *pu_alloc(ParseCtx *pc, size_t n);
char *pu_strndup(ParseCtx *pc, const char *s, size_t n);

/* Makes room for element n of the array p with *cap slots; returns the
 * array (a new one in the scratch memory when it grows). */
void *pu_grow(ParseCtx *pc, void *p, int n, int *cap, size_t sz);

/* Appends x to the list l: any record with the fields v, n and cap (NumList,
 * NameList, QAst, AttrList).  l is an lvalue; when it is NULL, a new empty
 * list is made first. */
#define PU_APPEND(pc, l, x)                                                        \
	do {                                                                       \
		if (!(l))                                                          \
			(l) = pu_alloc((pc), sizeof *(l));                         \
		(l)->v = pu_grow((pc), (l)->v, (l)->n, &(l)->cap, sizeof *(l)->v); \
		(l)->v[(l)->n++] = (x);                                            \
	} while (0)

/* an error at loc (the one way the reader reports) */
void pu_error(ParseCtx *pc, Loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* lexer support */
void pu_advance(ParseCtx *pc, int *line, int *col, const char *text, size_t n);
char *pu_unescape(ParseCtx *pc, const char *text, size_t n, Loc loc);

/* record builders used by the grammar */
TypeAst *pu_type(ParseCtx *pc, Name dtype, NumList *dims);
TypeQ *pu_typeq(ParseCtx *pc, TypeAst *t, QAst *q);
Pair *pu_pair(ParseCtx *pc, Num lo, Num hi, Loc loc);
Num *pu_num(ParseCtx *pc, Num x);
Decor *pu_decor(ParseCtx *pc, Pair *range, Pair *calib, Pair *clip, Num *offset);
InitAst *pu_init(ParseCtx *pc, Name *npy, NumList *vals);

/* statements; start is the location of the statement's first token */
void pu_model(ParseCtx *pc, Name name);
/* model NAME { key = value }: requant = fixed | float */
void pu_model_opt(ParseCtx *pc, Name key, Name value);
void pu_no_model(ParseCtx *pc);
void pu_pending(ParseCtx *pc, Name name);
void pu_input(ParseCtx *pc, Loc start, Name name, TypeQ *tq, Decor *dc);
void pu_const(ParseCtx *pc, Loc start, Name name, TypeQ *tq, InitAst *init);
void pu_op(ParseCtx *pc, Name name, TypeQ *tq, Decor *dc, Name op, NameList *args, AttrList *attrs);
void pu_output(ParseCtx *pc, Loc start, NameList *names);
void pu_syntax_error(ParseCtx *pc, Loc loc, const char *msg);

/* the driver: pu_scan (lexer.l) runs the grammar (parser.y) over len bytes;
 * with in_place the text is followed by two NUL bytes and not copied. */
int pu_scan(ParseCtx *pc, char *text, size_t len, int in_place);
void pu_ctx_init(ParseCtx *pc, Graph *g, Diag *d, const char *dir);
void pu_ctx_free(ParseCtx *pc);
/* Checks that need the whole file; returns the number of errors so far. */
int pu_finish(ParseCtx *pc);

#endif
