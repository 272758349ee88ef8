/* infer_shapes.c — the infer-shapes pass: computes the type of every node
 * result from its operands and checks that operands fit the op.  A result
 * that already has a type (a dump read back) must agree with the inference.
 * Shape errors are diagnosed at the node's line. */
#include <stdio.h>
#include <string.h>

#include "passes.h"
#include "act_rules.h"
#include "eltwise.h"

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
	ConvPool p;
	if (ir_conv_pool(c->g, c->n, &p) < 0)
		return ERR(c, "conv2d: the fused max-pool (pool = [%lld,%lld]) needs windows, strides "
		           "and dilations in [1, 65536], each pad smaller than the window's span, "
		           "and a window that fits the padded %lldx%lld convolution output",
		           (long long)a->pool[0], (long long)a->pool[1], (long long)oh, (long long)ow);
	*out = (Shape){4, {x->shape.d[0], OC, p.oh, p.ow}};
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
	int64_t oh = out_dim(x->shape.d[2], a->kernel[0], a->stride[0], a->pad[0], a->pad[2],
	                     a->dilation[0]);
	int64_t ow = out_dim(x->shape.d[3], a->kernel[1], a->stride[1], a->pad[1], a->pad[3],
	                     a->dilation[1]);
	/* the window's span: (k - 1) * dilation + 1 */
	int64_t sh = (a->kernel[0] - 1) * a->dilation[0] + 1, sw = (a->kernel[1] - 1) * a->dilation[1] + 1;
	if (oh < 1 || ow < 1)
		return ERR(c, "maxpool2d: the %lldx%lld window does not fit the padded input",
		           (long long)sh, (long long)sw);
	if (a->pad[0] >= sh || a->pad[2] >= sh || a->pad[1] >= sw || a->pad[3] >= sw)
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

/* avgpool2d: maxpool2d's window rules, plus a window of fewer than 2^31 taps
 * (the integer kernel divides in int32) and count_pad 0 or 1. */
static int avgpool2d(Ctx *c, Shape *out)
{
	const Attrs *a = &c->n->a;
	if (need_rank(c, 0, 4, "input") || window_attrs(c, 1))
		return -1;
	const Value *x = opnd(c, 0);
	int64_t oh = out_dim(x->shape.d[2], a->kernel[0], a->stride[0], a->pad[0], a->pad[2], 1);
	int64_t ow = out_dim(x->shape.d[3], a->kernel[1], a->stride[1], a->pad[1], a->pad[3], 1);
	if (oh < 1 || ow < 1)
		return ERR(c, "avgpool2d: the %lldx%lld window does not fit the padded input",
		           (long long)a->kernel[0], (long long)a->kernel[1]);
	if (a->pad[0] >= a->kernel[0] || a->pad[2] >= a->kernel[0] ||
	    a->pad[1] >= a->kernel[1] || a->pad[3] >= a->kernel[1])
		return ERR(c, "avgpool2d: padding must be smaller than the window");
	if (a->kernel[0] * a->kernel[1] > INT32_MAX)
		return ERR(c, "avgpool2d: the window must have fewer than 2^31 elements");
	if (a->count_pad != 0 && a->count_pad != 1)
		return ERR(c, "avgpool2d: count_pad must be 0 (divide by the elements inside the "
		           "input) or 1 (by the whole window)");
	*out = (Shape){4, {x->shape.d[0], x->shape.d[1], oh, ow}};
	return 0;
}

static int global_avgpool(Ctx *c, Shape *out)
{
	if (need_rank(c, 0, 4, "input"))
		return -1;
	const Value *x = opnd(c, 0);
	*out = (Shape){4, {x->shape.d[0], x->shape.d[1], 1, 1}};
	return 0;
}

static int pad(Ctx *c, Shape *out)
{
	const Value *x = opnd(c, 0);
	int64_t begin[IR_MAX_RANK], end[IR_MAX_RANK];

	if (ir_pad_amounts(&c->n->a, x->shape.rank, begin, end))
		return ERR(c, "pad: 'pads' must hold %d integers for the rank-%d input '%s' (begin "
		           "per axis, then end per axis%s), each in [0, 2^31]", 2 * x->shape.rank,
		           x->shape.rank, x->name, x->shape.rank >= 2 ? "; or 4: top, left, bottom, "
		           "right of the last two axes" : "");
	*out = x->shape;
	for (int k = 0; k < x->shape.rank; k++)
		out->d[k] += begin[k] + end[k];
	return 0;
}

static int transpose(Ctx *c, Shape *out)
{
	const Value *x = opnd(c, 0);
	int perm[IR_MAX_RANK];

	if (ir_transpose_perm(&c->n->a, x->shape.rank, perm))
		return ERR(c, "transpose: 'perm' must be a permutation of the %d axes of '%s' (or [] "
		           "to reverse them)", x->shape.rank, x->name);
	out->rank = x->shape.rank;
	for (int k = 0; k < x->shape.rank; k++)
		out->d[k] = x->shape.d[perm[k]];
	return 0;
}

/* The dtype of a result: activations keep the input's storage type;
 * dequantize gives f32; quantize gives its declared type (its whole
 * meaning: check_convert_types has made sure there is one). */
static DType result_dtype(Ctx *c)
{
	if (c->n->op == OP_DEQUANTIZE)
		return DT_F32;
	if (c->n->op == OP_QUANTIZE)
		return c->g->vals[c->n->out].dt;
	return opnd(c, 0)->dt;
}

static int is_int(DType t)
{
	return t == DT_I8 || t == DT_I16;
}

/* quantize: f32, i8 or i16 into a declared i8 or i16; dequantize: i8 or
 * i16 into f32. */
static int check_convert_types(Ctx *c)
{
	const Value *x = opnd(c, 0), *y = &c->g->vals[c->n->out];

	if (c->n->op == OP_DEQUANTIZE) {
		if (!is_int(x->dt))
			return ERR(c, "dequantize: input '%s' is %s, not i8 or i16", x->name,
			           ir_dtype_name(x->dt));
		return 0;
	}
	if (x->dt != DT_F32 && !is_int(x->dt))
		return ERR(c, "quantize: input '%s' is %s, not f32, i8 or i16", x->name,
		           ir_dtype_name(x->dt));
	if (!y->has_type || !is_int(y->dt) || !y->q.present)
		return ERR(c, "quantize: declare the result's type, e.g. '%s : i8[...] q(scale=S, "
		           "zp=Z) = quantize(%s)'", y->name, x->name);
	return 0;
}

static int check_operand_types(Ctx *c)
{
	const Value *x = opnd(c, 0);
	const char *op = ir_ops[c->n->op].name;
	if (c->n->op == OP_QUANTIZE || c->n->op == OP_DEQUANTIZE)
		return check_convert_types(c);
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
		case OP_AVGPOOL2D: rc = avgpool2d(&c, &s); break;
		case OP_GLOBAL_AVGPOOL: rc = global_avgpool(&c, &s); break;
		case OP_PAD: rc = pad(&c, &s); break;
		case OP_TRANSPOSE: rc = transpose(&c, &s); break;
		case OP_FLATTEN: rc = flatten(&c, &s); break;
		case OP_RESHAPE: rc = reshape(&c, &s); break;
		case OP_ADD:
		case OP_SUB:
		case OP_MUL:
		case OP_DIV:
		case OP_CONCAT: rc = ir_eltwise_shape(g, n, &s, d); break;
		case OP_CLIP:
		case OP_LEAKY_RELU:
		case OP_SIGMOID:
		case OP_TANH:
		case OP_HARD_SIGMOID:
		case OP_HARD_SWISH:
		case OP_SOFTMAX: rc = pass_act_infer(g, n, d, &s); break;
		case OP_QUANTIZE:
		case OP_DEQUANTIZE: s = opnd(&c, 0)->shape; break;
		default: ICE("infer-shapes: no rule for %s", ir_ops[n->op].name);
		}
		if (rc)
			continue;
		Value *out = &g->vals[n->out];
		DType dt = result_dtype(&c);
		int64_t bytes;
		if (!ir_mul_ok(ir_shape_numel(&s), ir_dtype_size(dt), &bytes) ||
		    bytes > IR_MAX_TENSOR_BYTES) {
			char b[96], nb[32] = "more than 2^63";
			if (ir_shape_numel(&s) < INT64_MAX &&
			    ir_mul_ok(ir_shape_numel(&s), ir_dtype_size(dt), &bytes))
				snprintf(nb, sizeof nb, "%lld", (long long)bytes);
			diag_error(d, n->loc, "%s: its result '%s' %s%s would have %s bytes, more than "
			           "the 2 GiB a tensor may have (docs/limits.md)", ir_ops[n->op].name,
			           out->name, ir_dtype_name(dt), ir_shape_str(&s, b, sizeof b), nb);
			continue;
		}
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
	int64_t m = 0;

	if (!out->has_type)
		return 0;
	if (n->op == OP_CONV2D) {
		const Shape *w = &g->vals[n->in[1]].shape;
		ConvPool p;
		int64_t conv_out = ir_shape_numel(&out->shape);
		/* a fused pool: the MACs of the convolution's own output */
		if (ir_has_pool(n) && ir_conv_pool(g, n, &p) > 0 &&
		    (!ir_mul_ok(conv_out / (p.oh * p.ow), p.ch * p.cw, &conv_out)))
			return INT64_MAX;
		if (!ir_mul_ok(conv_out, w->d[1], &m) || !ir_mul_ok(m, w->d[2], &m) ||
		    !ir_mul_ok(m, w->d[3], &m))
			return INT64_MAX;
	}
	if (n->op == OP_DENSE && !ir_mul_ok(ir_shape_numel(&out->shape),
	                                    g->vals[n->in[1]].shape.d[1], &m))
		return INT64_MAX;
	return m;
}
