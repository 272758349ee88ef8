/* graph.c — graphs, values and nodes: creation, lookup by name, and the
 * compaction that follows passes which delete nodes.
 *
 * All memory of a graph (names, constant data, scales) comes from its arena
 * and is released by ir_graph_free; only the growable arrays and the name
 * table are malloc'd. */
#include <stdlib.h>
#include <string.h>

#include "ir.h"

struct ArenaChunk {
	ArenaChunk *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

enum { CHUNK = 1 << 16 };

void *ir_alloc(Graph *g, size_t n)
{
	ArenaChunk *c = g->mem;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->size - c->used < n) {
		size_t sz = n > CHUNK ? n : CHUNK;
		c = ir_xmalloc(sizeof *c + sz);
		c->size = sz;
		c->used = 0;
		/* big blocks go behind the current chunk so its free space stays usable */
		if (g->mem && n > CHUNK) {
			c->next = g->mem->next;
			g->mem->next = c;
		} else {
			c->next = g->mem;
			g->mem = c;
		}
	}
	void *p = c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *ir_strdup(Graph *g, const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(ir_alloc(g, n), s, n);
}

void ir_vgrow(void **p, int *cap, int n, size_t sz)
{
	if (n < *cap)
		return;
	int nc = *cap ? *cap * 2 : 16;
	while (nc <= n)
		nc *= 2;
	*p = ir_xrealloc(*p, (size_t)nc * sz);
	*cap = nc;
}

/* ---- the name table: open addressing, value index + 1 in each slot ---- */

typedef struct {
	int *slot;
	unsigned cap, n;
} Names;

static unsigned hash(const char *s)
{
	unsigned h = 2166136261u;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static void names_rebuild(Graph *g)
{
	Names *t = g->names;
	unsigned cap = 64;

	while (cap < (unsigned)g->nval * 2 + 2)
		cap *= 2;
	free(t->slot);
	t->slot = ir_xcalloc(cap, sizeof *t->slot);
	t->cap = cap;
	t->n = 0;
	for (int v = 0; v < g->nval; v++) {
		unsigned i = hash(g->vals[v].name) & (cap - 1);
		while (t->slot[i])
			i = (i + 1) & (cap - 1);
		t->slot[i] = v + 1;
		t->n++;
	}
}

int ir_value_find(const Graph *g, const char *name)
{
	const Names *t = g->names;

	if (!t->cap)
		return -1;
	for (unsigned i = hash(name) & (t->cap - 1); t->slot[i]; i = (i + 1) & (t->cap - 1))
		if (strcmp(g->vals[t->slot[i] - 1].name, name) == 0)
			return t->slot[i] - 1;
	return -1;
}

Graph *ir_graph_new(const char *name)
{
	Graph *g = ir_xcalloc(1, sizeof *g);
	g->names = ir_xcalloc(1, sizeof(Names));
	g->name = ir_strdup(g, name ? name : "model");
	return g;
}

void ir_graph_free(Graph *g)
{
	if (!g)
		return;
	for (ArenaChunk *c = g->mem, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(((Names *)g->names)->slot);
	free(g->names);
	free(g->vals);
	free(g->nodes);
	free(g->inputs);
	free(g->outputs);
	free(g);
}

/* Copies n bytes at p into c's arena (NULL stays NULL). */
static void *dup_into(Graph *c, const void *p, size_t n)
{
	return p ? memcpy(ir_alloc(c, n ? n : 1), p, n) : NULL;
}

/* Locations point at the graph's own file name; the copy's must point at
 * the copy's, or they would dangle once the original is freed. */
static Loc clone_loc(const Graph *g, Graph *c, Loc l)
{
	if (l.file && l.file == g->file)
		l.file = c->file;
	return l;
}

static void *dup_array(const void *p, int n, size_t sz)
{
	return n ? memcpy(ir_xmalloc((size_t)n * sz), p, (size_t)n * sz) : NULL;
}

Graph *ir_graph_clone(const Graph *g)
{
	Graph *c = ir_graph_new(g->name);

	c->file = g->file ? ir_strdup(c, g->file) : NULL;
	c->arena_size = g->arena_size;
	c->requant_float = g->requant_float;
	c->vals = dup_array(g->vals, g->nval, sizeof *g->vals);
	c->nval = c->capval = g->nval;
	for (int v = 0; v < g->nval; v++) {
		Value *x = &c->vals[v];
		x->name = ir_strdup(c, x->name);
		x->loc = clone_loc(g, c, x->loc);
		if (x->kind == VK_CONST && x->data)
			x->data = dup_into(c, x->data, (size_t)ir_value_bytes(x));
		if (x->q.present)
			x->q.scale = dup_into(c, x->q.scale, (size_t)x->q.n * sizeof *x->q.scale);
	}
	c->nodes = dup_array(g->nodes, g->nnode, sizeof *g->nodes);
	c->nnode = c->capnode = g->nnode;
	for (int n = 0; n < g->nnode; n++)
		c->nodes[n].loc = clone_loc(g, c, c->nodes[n].loc);
	c->inputs = dup_array(g->inputs, g->ninput, sizeof *g->inputs);
	c->ninput = c->capinput = g->ninput;
	c->outputs = dup_array(g->outputs, g->noutput, sizeof *g->outputs);
	c->noutput = c->capoutput = g->noutput;
	names_rebuild(c);
	return c;
}

int ir_value_new(Graph *g, const char *name, ValueKind k, Loc loc)
{
	Names *t = g->names;

	if (ir_value_find(g, name) >= 0)
		return -1;
	ir_vgrow((void **)&g->vals, &g->capval, g->nval, sizeof *g->vals);
	int v = g->nval++;
	Value *val = &g->vals[v];
	memset(val, 0, sizeof *val);
	val->name = ir_strdup(g, name);
	val->loc = loc;
	val->kind = k;
	val->offset = -1;
	val->def = -1;
	val->q.axis = -1;
	if ((t->n + 1) * 2 > t->cap)
		names_rebuild(g);
	else {
		unsigned i = hash(name) & (t->cap - 1);
		while (t->slot[i])
			i = (i + 1) & (t->cap - 1);
		t->slot[i] = v + 1;
		t->n++;
	}
	return v;
}

int ir_value_new_unique(Graph *g, const char *base, ValueKind k, Loc loc)
{
	size_t n = strlen(base) + 24;
	char *buf = ir_xmalloc(n);
	int v = ir_value_new(g, base, k, loc);

	for (int i = 1; v < 0; i++) {
		snprintf(buf, n, "%s.%d", base, i);
		v = ir_value_new(g, buf, k, loc);
	}
	free(buf);
	return v;
}

int ir_node_new(Graph *g, Op op, int out, const int *in, int nin, Loc loc)
{
	if (nin > IR_MAX_IN)
		ICE("node with %d operands", nin);
	ir_vgrow((void **)&g->nodes, &g->capnode, g->nnode, sizeof *g->nodes);
	int n = g->nnode++;
	Node *nd = &g->nodes[n];
	memset(nd, 0, sizeof *nd);
	nd->op = op;
	nd->nin = nin;
	for (int i = 0; i < nin; i++)
		nd->in[i] = in[i];
	nd->out = out;
	nd->loc = loc;
	ir_attrs_default_op(&nd->a, op);
	g->vals[out].def = n;
	return n;
}

void ir_add_input(Graph *g, int v)
{
	ir_vgrow((void **)&g->inputs, &g->capinput, g->ninput, sizeof *g->inputs);
	g->inputs[g->ninput++] = v;
}

void ir_add_output(Graph *g, int v)
{
	ir_vgrow((void **)&g->outputs, &g->capoutput, g->noutput, sizeof *g->outputs);
	g->outputs[g->noutput++] = v;
	g->vals[v].is_output = 1;
}

int64_t ir_value_bytes(const Value *v)
{
	int64_t b;
	return ir_mul_ok(ir_shape_numel(&v->shape), ir_dtype_size(v->dt), &b) ? b : INT64_MAX;
}

void ir_set_qparams(Graph *g, int v, float scale, int32_t zp)
{
	QParams *q = &g->vals[v].q;
	q->present = 1;
	q->axis = -1;
	q->n = 1;
	q->scale = ir_alloc(g, sizeof(float));
	q->scale[0] = scale;
	q->zp = zp;
	q->i16 = 0;
}

void ir_set_qparams_axis(Graph *g, int v, int axis, int n, const float *scale)
{
	QParams *q = &g->vals[v].q;
	q->present = 1;
	q->axis = axis;
	q->n = n;
	q->scale = ir_alloc(g, (size_t)n * sizeof(float));
	memcpy(q->scale, scale, (size_t)n * sizeof(float));
	q->zp = 0;
	q->i16 = 0;
}

void ir_count_uses(const Graph *g, int *uses)
{
	memset(uses, 0, (size_t)g->nval * sizeof *uses);
	for (int n = 0; n < g->nnode; n++)
		if (g->nodes[n].op != OP_NONE)
			for (int i = 0; i < g->nodes[n].nin; i++)
				uses[g->nodes[n].in[i]]++;
	for (int i = 0; i < g->noutput; i++)
		uses[g->outputs[i]]++;
}

void ir_drop_dead(Graph *g)
{
	char *live = ir_xcalloc((size_t)g->nval + 1, 1);

	for (int i = 0; i < g->noutput; i++)
		live[g->outputs[i]] = 1;
	for (int n = g->nnode - 1; n >= 0; n--) {
		Node *nd = &g->nodes[n];
		if (!live[nd->out]) {
			nd->op = OP_NONE;
			continue;
		}
		for (int k = 0; k < nd->nin; k++)
			live[nd->in[k]] = 1;
	}
	free(live);
}

void ir_graph_compact(Graph *g)
{
	int *uses = ir_xmalloc((size_t)(g->nval ? g->nval : 1) * sizeof *uses);
	int *map = ir_xmalloc((size_t)(g->nval ? g->nval : 1) * sizeof *map);
	int nn = 0, nv = 0;

	for (int n = 0; n < g->nnode; n++)
		if (g->nodes[n].op != OP_NONE)
			g->nodes[nn++] = g->nodes[n];
	g->nnode = nn;
	ir_count_uses(g, uses);
	for (int i = 0; i < g->ninput; i++)
		uses[g->inputs[i]]++;
	for (int n = 0; n < g->nnode; n++)
		uses[g->nodes[n].out]++;
	for (int v = 0; v < g->nval; v++) {
		map[v] = uses[v] ? nv : -1;
		if (uses[v])
			g->vals[nv++] = g->vals[v];
	}
	g->nval = nv;
	for (int n = 0; n < g->nnode; n++) {
		Node *nd = &g->nodes[n];
		for (int i = 0; i < nd->nin; i++)
			nd->in[i] = map[nd->in[i]];
		nd->out = map[nd->out];
		g->vals[nd->out].def = n;
	}
	for (int i = 0; i < g->ninput; i++)
		g->inputs[i] = map[g->inputs[i]];
	for (int i = 0; i < g->noutput; i++)
		g->outputs[i] = map[g->outputs[i]];
	names_rebuild(g);
	free(uses);
	free(map);
}
