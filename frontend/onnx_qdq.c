/* frontend/onnx_qdq.c — QuantizeLinear and DequantizeLinear: how a
 * pre-quantized (QDQ) ONNX model becomes a float graph whose values carry
 * the int8 parameters the quantize pass must use ("pins", docs/requant.md).
 *
 *   DequantizeLinear of a constant     a float constant, (float)(q - zp) * s
 *                                      as onnxruntime computes it, pinned
 *                                      with (s, zp) per tensor or per axis
 *                                      (weights; int32 biases)
 *   QuantizeLinear -> DequantizeLinear on a run-time tensor
 *                                      nothing computes: the tensor stays
 *                                      float and is pinned with (s, zp)
 *   QuantizeLinear of a constant       folded (round half to even, as ONNX)
 *
 * uint8 parameters map exactly onto int8 ones: q_u8 - 128 with zero point
 * zp_u8 - 128 stands for the same real numbers.  A QuantizeLinear output may
 * be read only by DequantizeLinear nodes with the same parameters (onnx.c
 * refuses any other reader), so the int8 tensors of the ONNX graph never
 * reach the IR. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_import.h"

/* The parameters of a QuantizeLinear / DequantizeLinear node. */
typedef struct {
	int n;          /* scales: 1, or x's dimension along axis */
	int axis;       /* -1: per tensor */
	float *scale;   /* malloc'd */
	int64_t *zp;    /* malloc'd, n of them (0 when absent) */
	int otype;      /* the integer type: that of the zero point (UINT8 if none) */
} QdqParams;

static void params_free(QdqParams *p)
{
	free(p->scale);
	free(p->zp);
}

/* Scale (input 1) and zero point (input 2) for an x of shape xs. */
static int read_params(Imp *im, const Shape *xs, QdqParams *p)
{
	OTensor *s = oi_in(im, 1), *z = oi_in(im, 2);
	int64_t axis = 1;

	memset(p, 0, sizeof *p);
	if (!s)
		return oi_err(im, "the scale (input 1) is missing");
	if (!s->isconst || s->dt != DT_F32)
		return oi_err(im, "the scale ('%s') must be a constant float tensor", s->name);
	if (z && !z->isconst)
		return oi_err(im, "the zero point ('%s') must be a constant", z->name);
	if (oi_attr_int(im, "axis", &axis) < 0)
		return -1;
	int64_t n = oi_numel(s);
	if (s->shape.rank > 1 || n < 1 || (z && oi_numel(z) != n))
		return oi_err(im,
		              "scale and zero point must be scalars or 1-D tensors of one size");
	p->n = (int)n;
	p->axis = -1;
	if (s->shape.rank == 1 && (n > 1 || xs->rank > 0)) {
		if (axis < 0)
			axis += xs->rank;
		if (axis < 0 || axis >= xs->rank || (n > 1 && xs->d[axis] != n))
			return oi_err(im,
			              "axis %lld does not fit %lld scales and an input of rank %d",
			              (long long)axis, (long long)n, xs->rank);
		if (n > 1)
			p->axis = (int)axis;
	}
	p->otype = z ? z->otype : OT_UINT8;
	p->scale = ir_xmalloc((size_t)n * sizeof *p->scale);
	p->zp = ir_xcalloc((size_t)n, sizeof *p->zp);
	for (int64_t i = 0; i < n; i++) {
		p->scale[i] = (float)oi_getf(s, i);
		if (z)
			p->zp[i] = oi_geti(z, i);
		if (!(p->scale[i] > 0) || isinf(p->scale[i])) {
			double bad = p->scale[i]; /* the message needs it after the free */
			params_free(p);
			return oi_err(im, "scale %lld is %g: it must be positive and finite",
			              (long long)i, bad);
		}
	}
	return 0;
}

static void type_range(int otype, int64_t *lo, int64_t *hi)
{
	*lo = otype == OT_INT8 ? -128 : otype == OT_INT32 ? INT32_MIN : 0;
	*hi = otype == OT_INT8 ? 127 : otype == OT_INT32 ? INT32_MAX : 255;
}

/* The int8 zero point standing for zero point zp of type otype. */
static int32_t zp_int8(int otype, int64_t zp)
{
	return (int32_t)(otype == OT_UINT8 ? zp - 128 : zp);
}

/* Element i's index along axis (p->axis >= 0) of a tensor of shape s. */
static int64_t channel(const QdqParams *p, const Shape *s, int64_t i)
{
	int64_t inner = 1;

	if (p->axis < 0)
		return 0;
	for (int k = p->axis + 1; k < s->rank; k++)
		inner *= s->d[k];
	return (i / inner) % s->d[p->axis];
}

/* The current node's tensor output 0, once defined; NULL when the node
 * has no named output (nothing to record). */
static OTensor *out0(Imp *im)
{
	if (!im->node->n_output || !*im->node->output[0])
		return NULL;
	return oi_find(im, im->node->output[0]);
}

/* ---- QuantizeLinear ------------------------------------------------------- */

int oi_fold_quantize(Imp *im)
{
	OTensor *x = oi_in(im, 0);
	QdqParams p;
	int64_t lo, hi;

	if (!x)
		return oi_err(im, "input 0 is missing");
	if (x->dt != DT_F32)
		return oi_err(im, "input '%s' must be float", x->name);
	if (read_params(im, &x->shape, &p))
		return -1;
	if (p.otype != OT_INT8 && p.otype != OT_UINT8) {
		params_free(&p);
		return oi_err(im, "the zero point must be int8 or uint8");
	}
	type_range(p.otype, &lo, &hi);
	int64_t n = oi_numel(x);
	int64_t *q = ir_xmalloc((size_t)(n ? n : 1) * sizeof *q);
	for (int64_t i = 0; i < n; i++) {
		int64_t c = channel(&p, &x->shape, i);
		float v = rintf((float)oi_getf(x, i) / p.scale[c]) + (float)p.zp[c];
		q[i] = v != v ? lo : v<(float)lo ? lo : v>(float) hi ? hi : (int64_t)v;
	}
	int otype = p.otype;
	Shape s = x->shape;
	params_free(&p);
	return oi_def_const(im, 0, DT_I64, otype, &s, q);
}

int oi_lower_quantize(Imp *im)
{
	OTensor *x;
	QdqParams p;

	if (oi_runtime(im, 0, &x) < 0 || read_params(im, oi_shape(im, x), &p))
		return -1;
	int xi = (int)(x - im->t), v = x->v;
	if (p.n != 1 || (p.otype != OT_INT8 && p.otype != OT_UINT8)) {
		params_free(&p);
		return oi_err(im, "quantc supports QuantizeLinear of a run-time tensor per tensor "
		                  "into int8 or uint8 only");
	}
	float s = p.scale[0];
	int32_t zp = zp_int8(p.otype, p.zp[0]);
	params_free(&p);
	if (oi_def_value(im, 0, v))
		return -1;
	OTensor *t = out0(im);
	if (!t)
		return 0;
	t->qpend = 1;
	t->qsrc = xi;
	t->pin_n = 1;
	t->pin_axis = -1;
	t->pin_zp = zp;
	t->pin_scale = ir_xmalloc(sizeof *t->pin_scale);
	t->pin_scale[0] = s;
	return 0;
}

/* ---- DequantizeLinear --------------------------------------------------------- */

int oi_fold_dequantize(Imp *im)
{
	OTensor *x = oi_in(im, 0);
	QdqParams p;

	if (!x)
		return oi_err(im, "input 0 is missing");
	if (x->otype != OT_INT8 && x->otype != OT_UINT8 && x->otype != OT_INT32)
		return oi_err(im, "input '%s' must be int8, uint8 or int32", x->name);
	if (read_params(im, &x->shape, &p))
		return -1;
	if (oi_in(im, 2) && p.otype != x->otype) {
		params_free(&p);
		return oi_err(im, "the zero point's type differs from the input's");
	}
	int otype = x->otype;
	for (int i = 1; i < p.n; i++)
		if (p.zp[i] != p.zp[0]) {
			params_free(&p);
			return oi_err(im, "per-axis zero points must be equal (quantc pins one)");
		}
	int32_t zp = zp_int8(otype, p.zp[0]);
	if (p.axis >= 0 && zp != 0) {
		params_free(&p);
		return oi_err(im, "per-axis parameters need zero point 0 (int8) or 128 (uint8)");
	}
	int64_t n = oi_numel(x);
	float *f = ir_xmalloc((size_t)(n ? n : 1) * sizeof *f);
	for (int64_t i = 0; i < n; i++) {
		int64_t c = channel(&p, &x->shape, i);
		int64_t d = oi_geti(x, i) - p.zp[c];
		/* an int32 (a bias) must come back exactly from the float */
		if (otype == OT_INT32 && !(d > -(1 << 23) && d < (1 << 23))) {
			free(f);
			params_free(&p);
			return oi_err(
			        im,
			        "element %lld (%lld) is too large for quantc to carry exactly "
			        "(|q - zero point| < 2^23 needed)",
			        (long long)i, (long long)d);
		}
		f[i] = (float)(int32_t)d * p.scale[c];
	}
	Shape s = x->shape;
	QdqParams keep = p;
	if (oi_def_const(im, 0, DT_F32, OT_FLOAT, &s, f)) {
		params_free(&keep);
		return -1;
	}
	OTensor *t = out0(im);
	if (!t) {
		params_free(&keep);
		return 0;
	}
	t->pin_n = keep.n;
	t->pin_axis = keep.axis;
	t->pin_zp = otype == OT_INT32 ? 0 : zp;
	t->pin_scale = keep.scale;
	free(keep.zp);
	return 0;
}

/* Pins IR value v with (s, zp) per tensor; a value pinned already must
 * agree.  Returns 0 or -1 (diagnosed). */
static int pin(Imp *im, int v, float s, int32_t zp)
{
	Value *val = &im->g->vals[v];

	if (val->q.present && (val->q.n != 1 || val->q.scale[0] != s || val->q.zp != zp))
		return oi_err(im,
		              "'%s' is quantized twice, with scale %g, zero point %d and with "
		              "scale %g, zero point %d: quantc keeps one",
		              val->name, (double)val->q.scale[0], (int)val->q.zp, (double)s,
		              (int)zp);
	ir_set_qparams(im->g, v, s, zp);
	return 0;
}

int oi_lower_dequantize(Imp *im)
{
	OTensor *q;
	QdqParams p;

	if (oi_runtime(im, 0, &q) < 0)
		return -1;
	if (!q->qpend)
		return oi_err(im,
		              "input '%s' is a run-time integer tensor; quantc dequantizes only "
		              "constants and the output of a QuantizeLinear",
		              q->name);
	if (read_params(im, oi_shape(im, q), &p))
		return -1;
	int same = p.n == 1 && p.scale[0] == q->pin_scale[0] &&
	           zp_int8(p.otype, p.zp[0]) == q->pin_zp && p.otype != OT_INT32;
	params_free(&p);
	if (!same)
		return oi_err(im,
		              "its scale and zero point differ from those of the QuantizeLinear "
		              "computing '%s' (quantc needs them equal)",
		              q->name);
	float s = q->pin_scale[0];
	int32_t zp = q->pin_zp;
	int xuses = im->t[q->qsrc].uses, v = q->v, n = im->g->vals[v].def;
	/* a result that only this pair reads takes the DequantizeLinear's name
	 * (a graph output's, at the end of the model) */
	if (q->uses == 1 && xuses == 1 && n >= 0 && im->g->vals[v].kind == VK_TEMP &&
	    !im->g->vals[v].q.present) {
		if (oi_retarget(im, n))
			return -1;
		return pin(im, im->g->nodes[n].out, s, zp);
	}
	/* else the DequantizeLinear's output names the tensor too; its readers
	 * join those of the quantized tensor, less the QuantizeLinear (as
	 * oi_def_alias counts them) */
	if (pin(im, v, s, zp) || oi_def_value(im, 0, v))
		return -1;
	OTensor *t = out0(im);
	if (t)
		t->uses += xuses - 1;
	return 0;
}

void oi_qdq_pin_value(Imp *im, const OTensor *t, int v)
{
	if (!t->pin_n)
		return;
	if (t->pin_n == 1)
		ir_set_qparams(im->g, v, t->pin_scale[0], t->pin_zp);
	else
		ir_set_qparams_axis(im->g, v, t->pin_axis, t->pin_n, t->pin_scale);
}
