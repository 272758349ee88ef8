/* frontend/qg_ast.c — the records the .qg grammar builds (qg.h), and the
 * parse context that owns them.
 *
 * Every record lives in the parse's scratch memory, a list of chunks freed
 * in one go with the context; nothing here checks anything (qg_sema.c does,
 * once a whole statement has been read).
 */
#include <stdlib.h>
#include <string.h>

#include "qg.h"

/* ---- scratch memory ------------------------------------------------------- */

struct PChunk {
	PChunk *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

void *pu_alloc(ParseCtx *pc, size_t n)
{
	PChunk *c = pc->mem;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->size - c->used < n) {
		size_t sz = n > 65536 ? n : 65536;
		c = ir_xmalloc(sizeof *c + sz);
		c->size = sz;
		c->used = 0;
		c->next = pc->mem;
		pc->mem = c;
	}
	void *p = c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *pu_strndup(ParseCtx *pc, const char *s, size_t n)
{
	char *p = pu_alloc(pc, n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

/* The growth step of PU_APPEND (qg.h); old copies stay in
 * the scratch memory: lists at most double the memory they need. */
void *pu_grow(ParseCtx *pc, void *p, int n, int *cap, size_t sz)
{
	if (n < *cap)
		return p;
	int nc = *cap ? *cap * 2 : 8;
	void *q = pu_alloc(pc, (size_t)nc * sz);
	if (n)
		memcpy(q, p, (size_t)n * sz);
	*cap = nc;
	return q;
}

/* ---- records ------------------------------------------------------------------ */

TypeAst *pu_type(ParseCtx *pc, Name dtype, NumList *dims)
{
	TypeAst *t = pu_alloc(pc, sizeof *t);
	t->dtype = dtype;
	t->dims = dims;
	return t;
}

TypeQ *pu_typeq(ParseCtx *pc, TypeAst *t, QAst *q)
{
	TypeQ *tq = pu_alloc(pc, sizeof *tq);
	tq->type = t;
	tq->q = q;
	return tq;
}

Pair *pu_pair(ParseCtx *pc, Num lo, Num hi, Loc loc)
{
	Pair *p = pu_alloc(pc, sizeof *p);
	p->lo = lo;
	p->hi = hi;
	p->loc = loc;
	return p;
}

Num *pu_num(ParseCtx *pc, Num x)
{
	Num *p = pu_alloc(pc, sizeof *p);
	*p = x;
	return p;
}

Decor *pu_decor(ParseCtx *pc, Pair *range, Pair *calib, Pair *clip, Num *offset)
{
	Decor *d = pu_alloc(pc, sizeof *d);
	d->range = range;
	d->calib = calib;
	d->clip = clip;
	d->offset = offset;
	return d;
}

InitAst *pu_init(ParseCtx *pc, Name *npy, NumList *vals)
{
	InitAst *in = pu_alloc(pc, sizeof *in);
	if (npy)
		in->npy = *npy;
	in->vals = vals;
	return in;
}
/* ---- the parse context --------------------------------------------------------- */

void pu_ctx_init(ParseCtx *pc, Graph *g, Diag *d, const char *dir)
{
	memset(pc, 0, sizeof *pc);
	pc->g = g;
	pc->d = d;
	pc->file = g->file;
	pc->dir = dir ? dir : "";
	pc->line = pc->col = 1;
	pc->errors0 = d->nerrors; /* earlier errors (another file) are not ours */
}

void pu_ctx_free(ParseCtx *pc)
{
	for (PChunk *c = pc->mem, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	pc->mem = NULL;
	free(pc->npy);
	pc->npy = NULL;
	pc->nnpy = pc->capnpy = 0;
}
