/* frontend/parser.y — the grammar of the .qg language (docs/language.md).
 *
 * The actions only collect what they read; qg_sema.c checks and builds
 * the graph one statement at a time.  The language is not line-oriented, so
 * after a syntax error the parser resynchronizes on the next token that can
 * start a statement (the `stmts error` rule) and goes on, reporting every
 * error of the file in one run.
 *
 * Keywords are not reserved: `name` accepts them where only a name can come,
 * and the lexer turns a keyword that is followed by ':', '=' or a range into
 * a plain name, so `output = dense(x, w)` defines a value called output.
 */
%define api.pure full
%define api.prefix {qg}
%define parse.error custom
%locations
%lex-param {yyscan_t scanner}
%parse-param {yyscan_t scanner} {ParseCtx *pc}

%code requires {
#include "qg.h"
}

%code {
int qglex(QGSTYPE *lval, QGLTYPE *lloc, yyscan_t scanner);
static void qgerror(QGLTYPE *lloc, yyscan_t scanner, ParseCtx *pc, const char *msg);

static Loc mkloc(ParseCtx *pc, QGLTYPE l)
{
	Loc loc = {pc->file, l.first_line, l.first_column};
	return loc;
}
#define LOC(l) mkloc(pc, (l))
}

%union {
	Name name;
	Num num;
	NumList *nums;
	NameList *names;
	TypeAst *type;
	TypeQ *tq;
	QAst *q;
	QItem qitem;
	Pair *pair;
	Num *pnum;
	Decor *decor;
	AttrList *attrs;
	AttrAst attr;
	InitAst *init;
}

%token <name> IDENT "name"
%token <num> NUM "number"
%token <name> STRING "string"
%token <name> MODEL "model" INPUT "input" CONST "const" OUTPUT "output"
%token <name> Q "q" RANGE "range" CALIB "calib" CLIP "clip" NPY "npy"

%type <name> defname declname name opname
%type <nums> nums dims
%type <names> names
%type <type> type
%type <tq> typeq opttype
%type <q> qparams qitems
%type <qitem> qitem
%type <pair> optrange optcalib optclip
%type <pnum> optoffset
%type <decor> decor
%type <attrs> optattrs attrs
%type <attr> attr
%type <init> init

%%

file	: header stmts
	;

header	: MODEL name			{ pu_model(pc, $2); }
	| MODEL name '{' IDENT '=' IDENT '}'	{ pu_model(pc, $2); pu_model_opt(pc, $4, $6); }
	| MODEL error
	| %empty			{ pu_no_model(pc); }
	;

stmts	: %empty
	| stmts stmt
	| stmts error
	;

stmt	: INPUT declname ':' typeq decor	{ pu_input(pc, LOC(@1), $2, $4, $5); }
	| CONST declname ':' typeq '=' init
					{ pu_const(pc, LOC(@1), $2, $4, $6); }
	| defname opttype decor '=' opname '(' names ')' optattrs
					{ pu_op(pc, $1, $2, $3, $5, $7, $9); }
	| OUTPUT names			{ pu_output(pc, LOC(@1), $2); }
	;

/* an op's name; clip is also the keyword of the clip decoration */
opname	: IDENT | CLIP
	;

/* the name a statement defines, remembered in case the statement breaks */
defname	: IDENT				{ pu_pending(pc, $1); $$ = $1; }
	;

declname
	: name				{ pu_pending(pc, $1); $$ = $1; }
	;

/* a keyword is a name wherever a name is all that can come */
name	: IDENT | MODEL | INPUT | CONST | OUTPUT | Q | RANGE | CALIB | CLIP | NPY
	;

opttype	: %empty			{ $$ = NULL; }
	| ':' typeq			{ $$ = $2; }
	;

typeq	: type				{ $$ = pu_typeq(pc, $1, NULL); }
	| type qparams			{ $$ = pu_typeq(pc, $1, $2); }
	;

type	: IDENT '[' dims ']'		{ $$ = pu_type(pc, $1, $3); }
	| IDENT '[' ']'			{ $$ = pu_type(pc, $1, NULL); }
	;

dims	: NUM				{ $$ = NULL; PU_APPEND(pc, $$, $1); }
	| dims ',' NUM			{ $$ = $1; PU_APPEND(pc, $$, $3); }
	;

qparams	: Q '(' qitems ')'		{ $$ = $3; $$->loc = LOC(@1); }
	;

qitems	: qitem				{ $$ = NULL; PU_APPEND(pc, $$, $1); }
	| qitems ',' qitem		{ $$ = $1; PU_APPEND(pc, $$, $3); }
	;

qitem	: IDENT '=' NUM			{ $$ = (QItem){$1, $3, NULL}; }
	| IDENT '=' '[' nums ']'	{ $$ = (QItem){$1, {0}, $4}; $4->loc = LOC(@3); }
	;

decor	: optrange optcalib optclip optoffset	{ $$ = pu_decor(pc, $1, $2, $3, $4); }
	;

optrange
	: %empty			{ $$ = NULL; }
	| RANGE '[' NUM ',' NUM ']'	{ $$ = pu_pair(pc, $3, $5, LOC(@1)); }
	;

optcalib
	: %empty			{ $$ = NULL; }
	| CALIB '[' NUM ',' NUM ']'	{ $$ = pu_pair(pc, $3, $5, LOC(@1)); }
	;

optclip
	: %empty			{ $$ = NULL; }
	| CLIP '[' NUM ',' NUM ']'	{ $$ = pu_pair(pc, $3, $5, LOC(@1)); }
	;

optoffset
	: %empty			{ $$ = NULL; }
	| '@' NUM			{ $$ = pu_num(pc, $2); }
	;

init	: NPY '(' STRING ')'		{ $$ = pu_init(pc, &$3, NULL); }
	| '[' nums ']'			{ $2->loc = LOC(@1); $$ = pu_init(pc, NULL, $2); }
	;

nums	: NUM				{ $$ = NULL; PU_APPEND(pc, $$, $1); }
	| nums ',' NUM			{ $$ = $1; PU_APPEND(pc, $$, $3); }
	;

names	: name				{ $$ = NULL; PU_APPEND(pc, $$, $1); }
	| names ',' name		{ $$ = $1; PU_APPEND(pc, $$, $3); }
	;

optattrs
	: %empty			{ $$ = NULL; }
	| '{' attrs '}'			{ $$ = $2; }
	;

attrs	: attr				{ $$ = NULL; PU_APPEND(pc, $$, $1); }
	| attrs ',' attr		{ $$ = $1; PU_APPEND(pc, $$, $3); }
	;

attr	: IDENT '=' NUM
		{ $$ = (AttrAst){.key = $1, .kind = AV_NUM, .num = $3}; }
	| IDENT '=' '[' nums ']'
		{ $$ = (AttrAst){.key = $1, .kind = AV_LIST, .list = $4}; $4->loc = LOC(@3); }
	| IDENT '=' IDENT
		{ $$ = (AttrAst){.key = $1, .kind = AV_IDENT, .ident = $3}; }
	| IDENT '=' '[' ']'		/* shape = []: reshape to a scalar */
		{ $$ = (AttrAst){.key = $1, .kind = AV_LIST, .list = NULL}; }
	;

%%

/* How a token is named in "unexpected X, expected Y": names, numbers and
 * strings by kind, everything else quoted as written. */
static const char *spell(yysymbol_kind_t k, char *buf, size_t n)
{
	switch (k) {
	case YYSYMBOL_IDENT:
		return "a name";
	case YYSYMBOL_NUM:
		return "a number";
	case YYSYMBOL_STRING:
		return "a string";
	case YYSYMBOL_MODEL: case YYSYMBOL_INPUT: case YYSYMBOL_CONST: case YYSYMBOL_OUTPUT:
	case YYSYMBOL_Q: case YYSYMBOL_RANGE: case YYSYMBOL_CALIB: case YYSYMBOL_CLIP:
	case YYSYMBOL_NPY:
		snprintf(buf, n, "'%s'", yysymbol_name(k));
		return buf;
	default:
		return yysymbol_name(k); /* "end of file", "':'" */
	}
}

static int is_keyword(yysymbol_kind_t k)
{
	return k >= YYSYMBOL_MODEL && k <= YYSYMBOL_NPY;
}

static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner, ParseCtx *pc)
{
	enum { MAXEXP = 5 };
	yysymbol_kind_t all[YYNTOKENS], exp[MAXEXP], tok = yypcontext_token(ctx);
	char msg[512], buf[64];
	size_t k = 0;
	int nall = yypcontext_expected_tokens(ctx, all, YYNTOKENS), n = 0, name = 0;

	(void)scanner;
	for (int i = 0; i < nall; i++)
		name |= all[i] == YYSYMBOL_IDENT;
	/* where a name may come, keywords are names too: say "a name" once
	 * (but a statement may also start with input, const or output) */
	for (int i = 0; i < nall; i++) {
		yysymbol_kind_t t = all[i];
		if (name && is_keyword(t) && t != YYSYMBOL_INPUT && t != YYSYMBOL_CONST &&
		    t != YYSYMBOL_OUTPUT)
			continue;
		if (n < MAXEXP)
			exp[n] = t;
		n++;
	}
	if (tok == YYSYMBOL_IDENT || tok == YYSYMBOL_NUM)
		k += (size_t)snprintf(msg, sizeof msg, "unexpected %s '%.40s'",
		                      tok == YYSYMBOL_IDENT ? "name" : "number",
		                      pc->last_text ? pc->last_text : "?");
	else if (tok == YYSYMBOL_STRING)
		k += (size_t)snprintf(msg, sizeof msg, "unexpected string");
	else
		k += (size_t)snprintf(msg, sizeof msg, "unexpected %s", spell(tok, buf, sizeof buf));
	/* a long list of alternatives helps nobody */
	for (int i = 0; i < n && n <= MAXEXP && k < sizeof msg; i++)
		k += (size_t)snprintf(msg + k, sizeof msg - k, "%s%s",
		                      i == 0 ? ", expected " : i == n - 1 ? " or " : ", ",
		                      spell(exp[i], buf, sizeof buf));
	pu_syntax_error(pc, mkloc(pc, *yypcontext_location(ctx)), msg);
	return 0;
}

static void qgerror(QGLTYPE *lloc, yyscan_t scanner, ParseCtx *pc, const char *msg)
{
	(void)scanner;
	pu_syntax_error(pc, mkloc(pc, *lloc), msg);
}
