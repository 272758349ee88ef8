/* infer_shapes.c — the infer-shapes pass: computes the type of every node
 * result from its operands and checks that operands fit the op.  A result
 * that already has a type (a dump read back) must agree with the inference.
 * Shape errors are diagnosed at the node's line. */
#include <string.h>

#include "passes.h"

typedef struct {
	Graph *g;
	Node *n;
	Diag *d;
} Ctx;

static const Value *opnd(Ctx *c, int i)
{
	return &c->g->vals[c->n->in[i]];
}

static const char *sh(const Value *v, char *buf)
{
	return ir_shape_str(&v->shape, buf, 96);
}

#define ERR(c, ...) (diag_error((c)->d, (c)->n->loc, __VA_ARGS__), -1)

static int need_rank(Ctx *c, int i, int rank, const char *what)
{
	char b[96];
	const Value *v = opnd(c, i);
	if (v->shape.rank != rank)
		return ERR(c, "%s: %s '%s' must have rank %d, it is %s %s", ir_ops[c->n->op].name,
		           what, v->name, rank, ir_dtype_name(v->dt), sh(v, b));
	return 0;
}

/* Output extent of a window op along one axis; -1 if the window does not fit. */
static int64_t out_dim(int64_t in, int64_t k, int64_t s, int64_t p0, int64_t p1, int64_t dil)
{
	int64_t span = dil * (k - 1) + 1;
	if (in + p0 + p1 < span)
		return -1;
	return (in + p0 + p1 - span) / s + 1;
}

static int window_attrs(Ctx *c, int use_kernel)
{
	const Attrs *a = &c->n->a;
	for (int i = 0; i < 2; i++) {
		if (a->stride[i] < 1 || a->stride[i] > 1 << 16)
			return ERR(c, "%s: stride must be in [1, 65536]", ir_ops[c->n->op].name);
		if (a->dilation[i] < 1 || a->dilation[i] > 1 << 16)
			return ERR(c, "%s: dilation must be in [1, 65536]", ir_ops[c->n->op].name);
		if (use_kernel && (a->kernel[i] < 1 || a->kernel[i] > 1 << 16))
			return ERR(c, "%s: kernel must be in [1, 65536]", ir_ops[c->n->op].name);
	}
	for (int i = 0; i < 4; i++)
		if (a->pad[i] < 0 || a->pad[i] > 1 << 16)
			return ERR(c, "%s: padding must be in [0, 65536]", ir_ops[c->n->op].name);
	return 0;
}

static int conv2d(Ctx *c, Shape *out)
{
	const Attrs *a = &c->n->a;
	char b1[96], b2[96];

	if (need_rank(c, 0, 4, "input") || need_rank(c, 1, 4, "weight") || window_attrs(c, 0))
		return -1;
	const Value *x = opnd(c, 0), *w = opnd(c, 1);
	int64_t C = x->shape.d[1], OC = w->shape.d[0], G = a->groups;
	if (G < 1 || C % G || OC % G)
		return ERR(c, "conv2d: groups = %lld must divide the input channels (%lld) and the "
		           "output channels (%lld)", (long long)G, (long long)C, (long long)OC);
	if (w->shape.d[1] != C / G)
		return ERR(c, "conv2d: input '%s' %s has %lld channels%s, weight '%s' %s expects %lld",
		           x->name, sh(x, b1), (long long)C, G > 1 ? " (per group: fewer)" : "",
		           w->name, sh(w, b2), (long long)(w->shape.d[1] * G));
	if (c->n->nin > 2) {
		const Value *b = opnd(c, 2);
		if (b->shape.rank != 1 || b->shape.d[0] != OC)
			return ERR(c, "conv2d: bias '%s' %s must be [%lld]", b->name, sh(b, b1), (long long)OC);
	}
	int64_t oh = out_dim(x->shape.d[2], w->shape.d[2], a->stride[0], a->pad[0], a->pad[2], a->dilation[0]);
	int64_t ow = out_dim(x->shape.d[3], w->shape.d[3], a->stride[1], a->pad[1], a->pad[3], a->dilation[1]);
	if (oh < 1 || ow < 1)
		return ERR(c, "conv2d: the %lldx%lld kernel (dilated) does not fit the padded %lldx%lld input",
		           (long long)w->shape.d[2], (long long)w->shape.d[3],
		           (long long)x->shape.d[2], (long long)x->shape.d[3]);
	*out = (Shape){4, {x->shape.d[0], OC, oh, ow}};
	return 0;
}

static int dense(Ctx *c, Shape *out)
{
	char b1[96], b2[96];
	const Value *x = opnd(c, 0), *w = opnd(c, 1);

	if (x->shape.rank != 2)
		return ERR(c, "dense: input '%s' must be [N, I], it is %s (flatten it first)",
		           x->name, sh(x, b1));
	if (need_rank(c, 1, 2, "weight"))
		return -1;
	if (w->shape.d[1] != x->shape.d[1])
		return ERR(c, "dense: input '%s' %s has %lld features, weight '%s' %s expects %lld",
		           x->name, sh(x, b1), (long long)x->shape.d[1], w->name, sh(w, b2),
		           (long long)w->shape.d[1]);
	if (c->n->nin > 2) {
		const Value *b = opnd(c, 2);
		if (b->shape.rank != 1 || b->shape.d[0] != w->shape.d[0])
			return ERR(c, "dense: bias '%s' %s must be [%lld]", b->name, sh(b, b1),
			           (long long)w->shape.d[0]);
	}
	*out = (Shape){2, {x->shape.d[0], w->shape.d[0]}};
	return 0;
}

static int maxpool2d(Ctx *c, Shape *out)
{
	const Attrs *a = &c->n->a;
	if (need_rank(c, 0, 4, "input") || window_attrs(c, 1))
		return -1;
	const Value *x = opnd(c, 0);
	int64_t oh = out_dim(x->shape.d[2], a->kernel[0], a->stride[0], a->pad[0], a->pad[2], 1);
	int64_t ow = out_dim(x->shape.d[3], a->kernel[1], a->stride[1], a->pad[1], a->pad[3], 1);
	if (oh < 1 || ow < 1)
		return ERR(c, "maxpool2d: the %lldx%lld window does not fit the padded input",
		           (long long)a->kernel[0], (long long)a->kernel[1]);
	if (a->pad[0] >= a->kernel[0] || a->pad[2] >= a->kernel[0] ||
	    a->pad[1] >= a->kernel[1] || a->pad[3] >= a->kernel[1])
		return ERR(c, "maxpool2d: padding must be smaller than the window");
	*out = (Shape){4, {x->shape.d[0], x->shape.d[1], oh, ow}};
	return 0;
}

static int flatten(Ctx *c, Shape *out)
{
	const Value *x = opnd(c, 0);
	int64_t ax = c->n->a.axis, lo = 1, hi = 1;
	if (ax < 0 || ax > x->shape.rank)
		return ERR(c, "flatten: axis %lld out of range [0, %d]", (long long)ax, x->shape.rank);
	for (int i = 0; i < x->shape.rank; i++)
		*(i < ax ? &lo : &hi) *= x->shape.d[i];
	*out = (Shape){2, {lo, hi}};
	return 0;
}

static int reshape(Ctx *c, Shape *out)
{
	const Attrs *a = &c->n->a;
	const Value *x = opnd(c, 0);
	int64_t known = 1, total = ir_shape_numel(&x->shape);
	int infer = -1;
	char b[96];

	if (a->nshape < 1)
		return ERR(c, "reshape: needs a shape attribute");
	out->rank = a->nshape;
	for (int i = 0; i < a->nshape; i++) {
		out->d[i] = a->shape[i];
		if (a->shape[i] == -1 && infer < 0)
			infer = i;
		else if (a->shape[i] < 1)
			return ERR(c, "reshape: bad target dimension %lld", (long long)a->shape[i]);
		else if (!ir_mul_ok(known, a->shape[i], &known))
			return ERR(c, "reshape: target shape overflows");
	}
	if (infer >= 0) {
		if (total % known)
			return ERR(c, "reshape: cannot reshape %s into a shape with %lld-element blocks",
			           sh(x, b), (long long)known);
		out->d[infer] = total / known;
	} else if (known != total)
		return ERR(c, "reshape: %s has %lld elements, the target shape %lld", sh(x, b),
		           (long long)total, (long long)known);
	return 0;
}

/* The dtype of a result: activations keep the input's storage type. */
static DType result_dtype(Ctx *c)
{
	return opnd(c, 0)->dt;
}

static int check_operand_types(Ctx *c)
{
	const Value *x = opnd(c, 0);
	const char *op = ir_ops[c->n->op].name;
	if (!(ir_ops[c->n->op].flags & OPF_WEIGHTS))
		return 0;
	const Value *w = opnd(c, 1);
	if (w->kind != VK_CONST)
		return ERR(c, "%s: weight '%s' must be a constant", op, w->name);
	if (c->n->nin > 2 && opnd(c, 2)->kind != VK_CONST)
		return ERR(c, "%s: bias '%s' must be a constant", op, opnd(c, 2)->name);
	if (x->dt == DT_F32) {
		for (int i = 1; i < c->n->nin; i++)
			if (opnd(c, i)->dt != DT_F32)
				return ERR(c, "%s: '%s' is %s in a float layer", op, opnd(c, i)->name,
				           ir_dtype_name(opnd(c, i)->dt));
	} else if (x->dt == DT_I8 || x->dt == DT_I16) {
		if (w->dt != DT_I8 || (c->n->nin > 2 && opnd(c, 2)->dt != DT_I32 && opnd(c, 2)->dt != DT_I64))
			return ERR(c, "%s: a quantized layer needs i8 weights and an i32 bias", op);
	} else
		return ERR(c, "%s: unsupported input type %s", op, ir_dtype_name(x->dt));
	return 0;
}

int pass_infer_shapes(Graph *g, const PassOptions *o, Diag *d)
{
	(void)o;
	for (int i = 0; i < g->nnode; i++) {
		Ctx c = {g, &g->nodes[i], d};
		Node *n = c.n;
		Shape s = {0, {0}};
		int rc = 0, missing = 0;

		for (int k = 0; k < n->nin; k++)
			if (!opnd(&c, k)->has_type)
				missing = 1;
		if (missing)
			continue; /* its producer failed and was diagnosed */
		if (check_operand_types(&c))
			continue;
		switch (n->op) {
		case OP_CONV2D: rc = conv2d(&c, &s); break;
		case OP_DENSE: rc = dense(&c, &s); break;
		case OP_RELU: s = opnd(&c, 0)->shape; break;
		case OP_MAXPOOL2D: rc = maxpool2d(&c, &s); break;
		case OP_FLATTEN: rc = flatten(&c, &s); break;
		case OP_RESHAPE: rc = reshape(&c, &s); break;
		default: ICE("infer-shapes: no rule for %s", ir_ops[n->op].name);
		}
		if (rc)
			continue;
		int64_t bytes;
		if (!ir_mul_ok(ir_shape_numel(&s), 16, &bytes) || bytes > (int64_t)1 << 33) {
			diag_error(d, n->loc, "%s: result is too large", ir_ops[n->op].name);
			continue;
		}
		Value *out = &g->vals[n->out];
		DType dt = result_dtype(&c);
		if (out->has_type) {
			char b1[96], b2[96];
			if (!ir_shape_eq(&out->shape, &s) || out->dt != dt)
				diag_error(d, out->loc, "'%s' is declared %s%s but %s gives %s%s", out->name,
				           ir_dtype_name(out->dt), ir_shape_str(&out->shape, b1, sizeof b1),
				           ir_ops[n->op].name, ir_dtype_name(dt), ir_shape_str(&s, b2, sizeof b2));
			continue;
		}
		out->has_type = 1;
		out->dt = dt;
		out->shape = s;
	}
	return d->nerrors ? -1 : 0;
}

int64_t pass_node_macs(const Graph *g, const Node *n)
{
	const Value *out = &g->vals[n->out];
	if (!out->has_type)
		return 0;
	if (n->op == OP_CONV2D) {
		const Shape *w = &g->vals[n->in[1]].shape;
		return ir_shape_numel(&out->shape) * w->d[1] * w->d[2] * w->d[3];
	}
	if (n->op == OP_DENSE)
		return ir_shape_numel(&out->shape) * g->vals[n->in[1]].shape.d[1];
	return 0;
}
