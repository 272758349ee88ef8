/* ir/fam_elementwise.c — the elementwise family (add, sub, mul, div, max,
 * min, prelu, concat) in the ir layer: broadcasting and the fixed-point
 * parameters (eltwise.h: the passes and the backend use them too), and the
 * reference interpreter's checks and kernels, in f32 and in integers (int8,
 * int16).  Their definitions, per output element (the fixed-point
 * parameters are ir_binary_params's below; max, min, prelu and integer div
 * as their ops.def rows say):
 *   add, sub, mul, div   broadcasting as NumPy: each operand element is
 *              read at the output's index, broadcast axes fixed at 0.
 *              f32: act(a + b), act(a - b), act(a * b), act(a / b) in
 *              float (IEEE, no contraction).
 *              add, sub int: a' = mbqm((a - zp_a) << left, M_a), b' likewise
 *              (M_b negative for sub), out = clamp(mbqm(a' + b', M_o) + zp_o)
 *              (TFLite's ADD and SUB);
 *              mul int: out = clamp(mbqm((a - zp_a) * (b - zp_b), M_o) + zp_o).
 *              Shifts, sums and products wrap in int32 like the weighted
 *              ops' accumulators (check-overflow proves they never do for
 *              int8), the clamp is that of the fused activation.
 *   concat     the operands one after another along axis.  f32, or an
 *              operand with the result's storage type, scale and zero point:
 *              the elements unchanged; otherwise requantized as the quantize
 *              op does: clamp(mbqm(x - zp_x, M) + zp_o), M = s_x / s_o.
 *   equal, less, greater, less_equal, greater_equal   a u8 mask (0 or 1):
 *              f32 compares the floats; i8 TFLite's scaled a' and b'
 *              (compare_params), i16 of one scale the stored values.
 *   where      cond != 0 ? a : b, the three broadcast; int: the chosen
 *              operand requantized to the result's parameters.
 *   not, and, or, xor   u8 masks in and out, the same in every precision.
 *   to_bool    x != 0 as a u8 mask (ONNX Cast to BOOL); int: q != zp.
 *   powv       x ^ y broadcast as add: f32 qrt_powf (the runtime's, which
 *              the objects call too); int8 a lookup in its i8[65536]
 *              table (operand 2, built by ir_powv_table).
 *   int64      add, sub, mul, div, max, min of i64 operands (integer
 *              tensors of the model, never quantized): ir_binary_i64.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "eltwise.h"
#include "ir_rules.h"
#include "qrt.h"

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

/* ---- broadcasting, fixed-point parameters (eltwise.h) ------------------------ */

int ir_broadcast_shape(const Shape *a, const Shape *b, Shape *out)
{
	int r = a->rank > b->rank ? a->rank : b->rank;

	out->rank = r;
	for (int i = 0; i < r; i++) {
		/* axis i of the result counts from the front; operands align at the back */
		int ia = i - (r - a->rank), ib = i - (r - b->rank);
		int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
		if (da != db && da != 1 && db != 1)
			return -1;
		out->d[i] = da == 1 ? db : da;
	}
	return 0;
}

void ir_broadcast_strides(const Shape *in, const Shape *out, int64_t st[IR_MAX_RANK])
{
	int64_t s = 1;

	for (int i = out->rank - 1; i >= 0; i--) {
		int k = i - (out->rank - in->rank);
		int64_t d = k >= 0 ? in->d[k] : 1;
		st[i] = d == 1 ? 0 : s;
		s *= d;
	}
}

void ir_broadcast_next(const Shape *out, int64_t idx[IR_MAX_RANK], const int64_t *sa,
                       const int64_t *sb, int64_t *ia, int64_t *ib)
{
	for (int k = out->rank - 1; k >= 0; k--) {
		*ia += sa[k];
		*ib += sb[k];
		if (++idx[k] < out->d[k])
			return;
		*ia -= sa[k] * idx[k];
		*ib -= sb[k] * idx[k];
		idx[k] = 0;
	}
}

void ir_broadcast_at(const Shape *out, int64_t i, const int64_t *sa, const int64_t *sb, int64_t *ia,
                     int64_t *ib)
{
	*ia = *ib = 0;
	for (int k = out->rank - 1; k >= 0; k--) {
		*ia += i % out->d[k] * sa[k];
		*ib += i % out->d[k] * sb[k];
		i /= out->d[k];
	}
}

int ir_concat_axis(int64_t axis, int rank)
{
	if (axis < 0)
		axis += rank;
	return axis >= 0 && axis < rank ? (int)axis : -1;
}

/* TFLite's quantized comparison (ops.def's equal): i8 scales each operand
 * by its own scale after a left shift of 8; i16 operands of one scale are
 * compared as they are (a multiplier of exactly 1).  Returns 0 for i16
 * operands of two scales, which go on add's common scale. */
static int compare_params(const Value *a, const Value *b, IrBinParams *p)
{
	if (a->dt == DT_I8) {
		p->left = 8;
		ir_quantize_multiplier(a->q.scale[0], &p->mult[0], &p->shift[0]);
		ir_quantize_multiplier(b->q.scale[0], &p->mult[1], &p->shift[1]);
		return 1;
	}
	if (a->q.scale[0] != b->q.scale[0])
		return 0;
	ir_quantize_multiplier(1.0, &p->mult[0], &p->shift[0]);
	ir_quantize_multiplier(1.0, &p->mult[1], &p->shift[1]);
	return 1;
}

void ir_binary_params(const Graph *g, const Node *n, IrBinParams *p)
{
	/* where's operands 1 and 2 take the places of a and b */
	const int w = n->op == OP_WHERE;
	const Value *a = &g->vals[n->in[w]], *b = &g->vals[n->in[w + 1]], *y = &g->vals[n->out];
	/* a comparison's mask result has no parameters: add's common scale */
	double sa = a->q.scale[0], sb = b->q.scale[0],
	       so = ir_is_compare(n->op) ? 1 : y->q.scale[0];

	p->zp[0] = a->q.zp;
	p->zp[1] = b->q.zp;
	p->out_zp = y->q.zp;
	if (ir_is_compare(n->op))
		p->out_zp = 0, p->lo = 0, p->hi = 1;
	else
		ir_act_bounds(n->a.act, y->dt, y->q.scale[0], y->q.zp, &p->lo, &p->hi);
	p->left = 0;
	p->mult[0] = p->mult[1] = p->out_mult = 0;
	p->shift[0] = p->shift[1] = p->out_shift = 0;
	if (ir_is_compare(n->op) && compare_params(a, b, p))
		return;
	switch (n->op) {
	case OP_DIV:
		p->left = a->dt == DT_I16 ? 15 : 16;
		ir_quantize_multiplier(sa / (sb * so * (double)(1 << p->left)), &p->out_mult,
		                       &p->out_shift);
		return;
	case OP_WHERE:
	case OP_MAX:
	case OP_MIN:
		ir_quantize_multiplier(sa / so, &p->mult[0], &p->shift[0]);
		ir_quantize_multiplier(sb / so, &p->mult[1], &p->shift[1]);
		return;
	case OP_PRELU:
		ir_quantize_multiplier(sa / so, &p->mult[0], &p->shift[0]);
		ir_quantize_multiplier(sa * sb / so, &p->out_mult, &p->out_shift);
		return;
	default: break;
	}
	if (n->op == OP_MUL) {
		p->left = 0;
		p->mult[0] = p->mult[1] = 0;
		p->shift[0] = p->shift[1] = 0;
		ir_quantize_multiplier(sa * sb / so, &p->out_mult, &p->out_shift);
		return;
	}
	double m = 2.0 * (sa > sb ? sa : sb);
	p->left = a->dt == DT_I16 ? 15 : 20;
	ir_quantize_multiplier(sa / m, &p->mult[0], &p->shift[0]);
	ir_quantize_multiplier(sb / m, &p->mult[1], &p->shift[1]);
	if (n->op == OP_SUB)
		p->mult[1] = -p->mult[1]; /* TFLite's SUB: ADD of -b (mult is never INT32_MIN) */
	ir_quantize_multiplier(m / ((double)(1 << p->left) * so), &p->out_mult, &p->out_shift);
}

int ir_is_compare(Op op)
{
	switch (op) {
	case OP_EQUAL:
	case OP_LESS:
	case OP_GREATER:
	case OP_LESS_EQUAL:
	case OP_GREATER_EQUAL: return 1;
	default: return 0;
	}
}

int ir_is_mask_logic(Op op)
{
	switch (op) {
	case OP_NOT:
	case OP_AND:
	case OP_OR:
	case OP_XOR:
	case OP_TO_BOOL: return 1;
	default: return 0;
	}
}

int ir_where_shape(const Graph *g, const Node *n, Shape *out)
{
	Shape t;

	return n->nin != 3 ||
	       ir_broadcast_shape(&g->vals[n->in[0]].shape, &g->vals[n->in[1]].shape, &t) ||
	       ir_broadcast_shape(&t, &g->vals[n->in[2]].shape, out);
}

#define BAD(...) (diag_error(d, n->loc, __VA_ARGS__), -1)

static int concat_shape(const Graph *g, const Node *n, Shape *out, Diag *d)
{
	const Shape *s0 = &g->vals[n->in[0]].shape;
	int ax = ir_concat_axis(n->a.axis, s0->rank);
	char b0[96], b1[96];

	if (ax < 0)
		return BAD("concat: axis %lld is outside the operands' rank %d",
		           (long long)n->a.axis, s0->rank);
	*out = *s0;
	for (int i = 1; i < n->nin; i++) {
		const Value *x = &g->vals[n->in[i]];
		int ok = x->shape.rank == s0->rank;
		for (int k = 0; ok && k < s0->rank; k++)
			ok = k == ax || x->shape.d[k] == s0->d[k];
		if (!ok)
			return BAD("concat: operand '%s' %s does not fit '%s' %s off axis %d",
			           x->name, ir_shape_str(&x->shape, b1, sizeof b1),
			           g->vals[n->in[0]].name, ir_shape_str(s0, b0, sizeof b0), ax);
		out->d[ax] += x->shape.d[ax]; /* tensors are capped far below overflow */
	}
	return 0;
}

/* where: a u8 mask, then two operands of one type; the three broadcast. */
static int where_shape(const Graph *g, const Node *n, Shape *out, Diag *d)
{
	const Value *c = &g->vals[n->in[0]], *a = &g->vals[n->in[1]], *b = &g->vals[n->in[2]];
	char b0[96], b1[96], b2[96];

	if (c->dt != DT_U8)
		return BAD("where: the condition '%s' is %s, not a u8 mask", c->name,
		           ir_dtype_name(c->dt));
	if (a->dt != b->dt)
		return BAD("where: operand '%s' is %s, '%s' is %s", a->name, ir_dtype_name(a->dt),
		           b->name, ir_dtype_name(b->dt));
	if (ir_where_shape(g, n, out))
		return BAD("where: shapes %s, %s and %s do not broadcast",
		           ir_shape_str(&c->shape, b0, sizeof b0),
		           ir_shape_str(&a->shape, b1, sizeof b1),
		           ir_shape_str(&b->shape, b2, sizeof b2));
	return 0;
}

/* not, and, or, xor: u8 masks (and, or, xor broadcast); to_bool: x's
 * shape. */
static int logic_shape(const Graph *g, const Node *n, Shape *out, Diag *d)
{
	const char *op = ir_ops[n->op].name;
	char b0[96], b1[96];

	for (int i = 0; i < n->nin && n->op != OP_TO_BOOL; i++)
		if (g->vals[n->in[i]].dt != DT_U8)
			return BAD("%s: operand '%s' is %s, not a u8 mask", op,
			           g->vals[n->in[i]].name, ir_dtype_name(g->vals[n->in[i]].dt));
	if (n->nin == 1) {
		*out = g->vals[n->in[0]].shape;
		return 0;
	}
	const Shape *a = &g->vals[n->in[0]].shape, *b = &g->vals[n->in[1]].shape;
	if (ir_broadcast_shape(a, b, out))
		return BAD("%s: shapes %s and %s do not broadcast", op,
		           ir_shape_str(a, b0, sizeof b0), ir_shape_str(b, b1, sizeof b1));
	return 0;
}

int ir_eltwise_shape(const Graph *g, const Node *n, Shape *out, Diag *d)
{
	const char *op = ir_ops[n->op].name;
	char b0[96], b1[96];

	if (n->op == OP_WHERE)
		return where_shape(g, n, out, d);
	if (ir_is_mask_logic(n->op))
		return logic_shape(g, n, out, d);
	/* powv's table (operand 2) is checked by the interpreter's check */
	for (int i = 1; i < (n->op == OP_POWV ? 2 : n->nin); i++) {
		const Value *x = &g->vals[n->in[i]], *x0 = &g->vals[n->in[0]];
		if (x->dt != x0->dt)
			return BAD("%s: operand '%s' is %s, '%s' is %s", op, x->name,
			           ir_dtype_name(x->dt), x0->name, ir_dtype_name(x0->dt));
	}
	if (n->op == OP_CONCAT)
		return concat_shape(g, n, out, d);
	const Shape *a = &g->vals[n->in[0]].shape, *b = &g->vals[n->in[1]].shape;
	if (ir_broadcast_shape(a, b, out))
		return BAD("%s: shapes %s and %s do not broadcast", op,
		           ir_shape_str(a, b0, sizeof b0), ir_shape_str(b, b1, sizeof b1));
	return 0;
}

#undef BAD

int ir_eltwise_ok(const Graph *g, const Node *n)
{
	const Shape *ys = &g->vals[n->out].shape;
	Shape s;
	int64_t sum = 0;

	if (n->op == OP_WHERE)
		return !ir_where_shape(g, n, &s) && ir_shape_eq(&s, ys);
	if (n->nin == 1 && ir_is_mask_logic(n->op)) /* not, to_bool */
		return ir_shape_eq(&g->vals[n->in[0]].shape, ys);
	if (n->op != OP_CONCAT)
		return (n->nin == 2 || n->op == OP_POWV) &&
		       !ir_broadcast_shape(&g->vals[n->in[0]].shape, &g->vals[n->in[1]].shape,
		                           &s) &&
		       ir_shape_eq(&s, ys);
	int ax = ir_concat_axis(n->a.axis, ys->rank);
	if (ax < 0)
		return 0;
	for (int i = 0; i < n->nin; i++) {
		const Shape *xs = &g->vals[n->in[i]].shape;
		if (xs->rank != ys->rank)
			return 0;
		for (int k = 0; k < ys->rank; k++)
			if (k != ax && xs->d[k] != ys->d[k])
				return 0;
		sum += xs->d[ax];
	}
	return sum == ys->d[ax];
}

/* ---- add, sub, mul, div ------------------------------------------------------ */

static float binary_f32(Op op, float a, float b)
{
	switch (op) {
	case OP_SUB: return a - b;
	case OP_MUL: return a * b;
	case OP_DIV: return a / b;
	case OP_ADD: return a + b;
	case OP_MAX: return a != a || a > b ? a : b;
	case OP_MIN: return a != a || a < b ? a : b;
	case OP_PRELU: return a < 0 ? b * a : a;
	case OP_EQUAL: return a == b;
	case OP_LESS: return a < b;
	case OP_GREATER: return a > b;
	case OP_LESS_EQUAL: return a <= b;
	case OP_GREATER_EQUAL: return a >= b;
	default: ICE("elementwise rules: %s", ir_ops[op].name);
	}
}

/* a comparison of two integers on one scale: 1 or 0 */
static int32_t compare_int(Op op, int32_t a, int32_t b)
{
	switch (op) {
	case OP_EQUAL: return a == b;
	case OP_LESS: return a < b;
	case OP_GREATER: return a > b;
	case OP_LESS_EQUAL: return a <= b;
	default: return a >= b; /* greater_equal */
	}
}

/* integer div's quotient and its division by zero (ops.def) */
static int32_t div_int(const IrBinParams *p, int32_t av, int32_t bv)
{
	int64_t num = (int64_t)av * ((int64_t)1 << p->left), ad = bv < 0 ? -(int64_t)bv : bv;

	if (bv == 0)
		return num > 0 ? p->hi : num < 0 ? p->lo : ir_clamp32(p->out_zp, p->lo, p->hi);
	/* |num| + |d|/2 < 2^32: k keeps |q| <= |num| < 2^31 */
	int64_t q = ((num < 0 ? -num : num) + ad / 2) / ad;
	if ((num < 0) != (bv < 0))
		q = -q;
	return ir_clamp32(ir_wadd(ir_mbqm((int32_t)q, p->out_mult, p->out_shift), p->out_zp), p->lo,
	                  p->hi);
}

int32_t ir_binary_int(const Node *n, const IrBinParams *p, int32_t a, int32_t b)
{
	int32_t av = a - p->zp[0], bv = b - p->zp[1], r;

	switch (n->op) {
	case OP_DIV: return div_int(p, av, bv);
	case OP_MAX:
	case OP_MIN: {
		int32_t ra = ir_clamp32(ir_wadd(ir_mbqm(av, p->mult[0], p->shift[0]), p->out_zp),
		                        p->lo, p->hi);
		int32_t rb = ir_clamp32(ir_wadd(ir_mbqm(bv, p->mult[1], p->shift[1]), p->out_zp),
		                        p->lo, p->hi);
		return n->op == OP_MAX ? (ra > rb ? ra : rb) : (ra < rb ? ra : rb);
	}
	case OP_PRELU:
		r = av >= 0 ? ir_mbqm(av, p->mult[0], p->shift[0])
		            : ir_mbqm((int32_t)((uint32_t)av * (uint32_t)bv), p->out_mult,
		                      p->out_shift);
		return ir_clamp32(ir_wadd(r, p->out_zp), p->lo, p->hi);
	default: break;
	}
	if (n->op == OP_MUL)
		r = (int32_t)((uint32_t)av * (uint32_t)bv);
	else {
		int32_t sa = ir_mbqm((int32_t)((uint32_t)av << p->left), p->mult[0], p->shift[0]);
		int32_t sb = ir_mbqm((int32_t)((uint32_t)bv << p->left), p->mult[1], p->shift[1]);
		if (ir_is_compare(n->op))
			return compare_int(n->op, sa, sb);
		r = ir_wadd(sa, sb);
	}
	return ir_clamp32(ir_wadd(ir_mbqm(r, p->out_mult, p->out_shift), p->out_zp), p->lo, p->hi);
}

static void run_binary(const Graph *g, const Node *n, void *const *buf)
{
	const Value *a = &g->vals[n->in[0]], *b = &g->vals[n->in[1]], *y = &g->vals[n->out];
	const Shape *ys = &y->shape;
	const void *pa = buf[n->in[0]], *pb = buf[n->in[1]];
	void *py = buf[n->out];
	int64_t sa[IR_MAX_RANK], sb[IR_MAX_RANK], idx[IR_MAX_RANK] = {0};
	int64_t total = ir_shape_numel(ys), ia = 0, ib = 0;
	IrBinParams p;

	ir_broadcast_strides(&a->shape, ys, sa);
	ir_broadcast_strides(&b->shape, ys, sb);
	if (a->dt != DT_F32)
		ir_binary_params(g, n, &p);
	for (int64_t i = 0; i < total; i++) {
		if (ir_is_compare(n->op))
			((uint8_t *)py)[i] =
			        (uint8_t)(a->dt == DT_F32
			                          ? binary_f32(n->op, ((const float *)pa)[ia],
			                                       ((const float *)pb)[ib]) != 0
			                          : ir_binary_int(n, &p, ir_load_q(a->dt, pa, ia),
			                                          ir_load_q(b->dt, pb, ib)));
		else if (y->dt == DT_F32) {
			float x0 = ((const float *)pa)[ia], x1 = ((const float *)pb)[ib];
			((float *)py)[i] = ir_act_apply_f32(binary_f32(n->op, x0, x1), n->a.act);
		} else
			ir_store_q(y->dt, py, i,
			           ir_binary_int(n, &p, ir_load_q(a->dt, pa, ia),
			                         ir_load_q(b->dt, pb, ib)));
		ir_broadcast_next(ys, idx, sa, sb, &ia, &ib);
	}
}

/* ---- where -------------------------------------------------------------------- */

static void run_where(const Graph *g, const Node *n, void *const *buf)
{
	const Value *y = &g->vals[n->out];
	const Shape *ys = &y->shape;
	const uint8_t *pc = buf[n->in[0]];
	int64_t st[3][IR_MAX_RANK], idx[IR_MAX_RANK] = {0}, off[3] = {0};
	int64_t total = ir_shape_numel(ys);
	IrBinParams p;

	for (int k = 0; k < 3; k++)
		ir_broadcast_strides(&g->vals[n->in[k]].shape, ys, st[k]);
	if (y->dt != DT_F32)
		ir_binary_params(g, n, &p);
	for (int64_t i = 0; i < total; i++) {
		int k = pc[off[0]] ? 1 : 2; /* the chosen operand */
		const Value *x = &g->vals[n->in[k]];
		if (y->dt == DT_F32)
			((float *)buf[n->out])[i] = ((const float *)buf[n->in[k]])[off[k]];
		else {
			int32_t v = ir_mbqm(ir_load_q(x->dt, buf[n->in[k]], off[k]) - p.zp[k - 1],
			                    p.mult[k - 1], p.shift[k - 1]);
			ir_store_q(y->dt, buf[n->out], i,
			           ir_clamp32(ir_wadd(v, p.out_zp), p.lo, p.hi));
		}
		for (int r = ys->rank - 1; r >= 0; r--) {
			for (int j = 0; j < 3; j++)
				off[j] += st[j][r];
			if (++idx[r] < ys->d[r])
				break;
			for (int j = 0; j < 3; j++)
				off[j] -= st[j][r] * idx[r];
			idx[r] = 0;
		}
	}
}

/* ---- not, and, or, xor, to_bool ------------------------------------------------ */

/* x != 0 for one element of to_bool's operand: f32 compares the float (NaN
 * is not 0), i8 and i16 the stored integer with the zero point. */
static int to_bool_at(const Value *x, const void *p, int64_t i)
{
	if (x->dt == DT_F32)
		return ((const float *)p)[i] != 0.0f;
	return ir_load_q(x->dt, p, i) != x->q.zp;
}

static void run_logic(const Graph *g, const Node *n, void *const *buf)
{
	const Value *y = &g->vals[n->out], *a = &g->vals[n->in[0]];
	const Shape *ys = &y->shape;
	const uint8_t *pa = buf[n->in[0]], *pb = n->nin > 1 ? buf[n->in[1]] : NULL;
	uint8_t *py = buf[n->out];
	int64_t sa[IR_MAX_RANK], sb[IR_MAX_RANK] = {0}, idx[IR_MAX_RANK] = {0}, ia = 0, ib = 0;
	int64_t total = ir_shape_numel(ys);

	if (n->nin == 1) {
		for (int64_t i = 0; i < total; i++)
			py[i] = (uint8_t)(n->op == OP_NOT ? pa[i] == 0 : to_bool_at(a, pa, i));
		return;
	}
	ir_broadcast_strides(&a->shape, ys, sa);
	ir_broadcast_strides(&g->vals[n->in[1]].shape, ys, sb);
	for (int64_t i = 0; i < total; i++) {
		int x = pa[ia] != 0, z = pb[ib] != 0;
		switch (n->op) {
		case OP_AND: py[i] = (uint8_t)(x && z); break;
		case OP_OR: py[i] = (uint8_t)(x || z); break;
		case OP_XOR: py[i] = (uint8_t)(x != z); break;
		default: ICE("elementwise rules: %s", ir_ops[n->op].name);
		}
		ir_broadcast_next(ys, idx, sa, sb, &ia, &ib);
	}
}

/* ---- powv ------------------------------------------------------------------- */

void ir_powv_table(float sx, int32_t zx, float sy, int32_t zy, float so, int32_t zo, int8_t *t)
{
	for (int i = 0; i < 256; i++)
		for (int j = 0; j < 256; j++) {
			double x = (double)sx * (double)(i - 128 - zx);
			double y = (double)sy * (double)(j - 128 - zy), n = nearbyint(y);
			double p = qrt_unary(QRT_U_POW, x < 0 ? -x : x, y, 0.0);
			/* below 0, y within half a step of an integer n is n: a
			 * grid that misses the integers still gets their signs */
			if (x < 0)
				p = fabs(y - n) > 0.5 * (double)sy ? NAN
				    : fmod(n, 2.0) != 0            ? -p
				                                   : p;
			float v = (float)p;
			t[i * 256 + j] = (int8_t)ir_quantize_value(v, so, zo, DT_I8);
		}
}

void ir_powv_lut16(int32_t *t)
{
	for (int i = 0; i <= 256; i++) {
		t[i] = (int32_t)lround(65536.0 * log2(1.0 + i / 256.0));
		t[257 + i] = (int32_t)lround(32768.0 * exp2(i / 256.0));
	}
}

int ir_powv_params(float sx, int32_t zx, float sy, int32_t zy, float so, int32_t zo,
                   IrPowvParams *p)
{
	int e;
	double f = frexp((double)sy, &e); /* s_y = f 2^e, f in [0.5, 1) */

	p->zp_x = zx;
	p->zp_y = zy;
	p->zp_o = zo;
	p->one = ir_quantize_value(1.0f, so, zo, DT_I16);
	p->cx = (int32_t)lround(65536.0 * log2((double)sx));
	p->co = (int32_t)lround(65536.0 * log2((double)so));
	p->sy = llround(ldexp(f, 31)); /* 2^31 at most: sy 2^-ysh is s_y within 2^-32 */
	p->ysh = 31 - e;
	p->half = llround(32768.0 * (double)sy);
	return p->ysh - 16 >= 1 && p->ysh - 16 <= 62 ? 0 : -1;
}

int32_t ir_powv_s16(const IrPowvParams *p, const int32_t *t, int32_t x, int32_t y)
{
	const int32_t dx = x - p->zp_x, dy = y - p->zp_y;
	const int32_t zo = ir_clamp32(p->zp_o, -32768, 32767);
	const int sh = p->ysh - 16;
	int32_t mag;
	int k = 0;

	if (dx == 0) /* 0^y: 0, 1 (y = 0) or inf */
		return dy > 0 ? zo : dy == 0 ? p->one : 32767;
	/* L = 2^16 log2 |dx|: the leading one's place k, then the 16 bits after
	 * it, 8 indexing LG and 8 interpolating */
	uint32_t m = (uint32_t)(dx < 0 ? -dx : dx);
	while (m >> (k + 1))
		k++;
	int32_t f = (int32_t)((m << (16 - k)) - 65536), i = f >> 8, r = f & 255;
	int32_t l = k * 65536 + t[i] + (((t[i + 1] - t[i]) * r + 128) >> 8);
	/* yq = 2^16 y, rounded half up; |dy * sy| < 2^47 */
	int64_t yq = ((int64_t)dy * p->sy + ((int64_t)1 << (sh - 1))) >> sh;
	yq = yq<-((int64_t)1 << 31) ? -((int64_t)1 << 31) : yq>((int64_t)1 << 31)
	             ? ((int64_t)1 << 31)
	             : yq;
	/* T = 2^16 log2(|x^y| / s_o); |yq (l + cx)| < 2^31 2^25 */
	int64_t tt = ((yq * (int64_t)(l + p->cx) + 32768) >> 16) - p->co;
	if (tt >= 16 * 65536)
		mag = 65536; /* beyond the storage range: the clamp */
	else if (tt < -65536)
		mag = 0; /* below half a step */
	else {
		int32_t e = (int32_t)(tt >> 16), g = (int32_t)(tt & 65535), j = 257 + (g >> 8);
		int32_t ex = t[j] + (((t[j + 1] - t[j]) * (g & 255) + 128) >> 8);
		mag = ((ex << 1) + (1 << (15 - e))) >> (16 - e);
	}
	if (dx < 0) { /* an integer y: the sign of (-1)^n; any other: NaN */
		int64_t n = (yq + 32768) >> 16, d = yq - n * 65536;
		if (d < -p->half || d > p->half)
			return zo;
		if (n & 1)
			mag = -mag;
	}
	return ir_clamp32(zo + mag, -32768, 32767);
}

/* add's broadcasting loop; f32 by qrt_powf, int8 and int16 by the tables */
static void run_powv(const Graph *g, const Node *n, void *const *buf)
{
	const Value *a = &g->vals[n->in[0]], *b = &g->vals[n->in[1]], *y = &g->vals[n->out];
	const Shape *ys = &y->shape;
	int64_t sa[IR_MAX_RANK], sb[IR_MAX_RANK], idx[IR_MAX_RANK] = {0};
	int64_t total = ir_shape_numel(ys), ia = 0, ib = 0;

	IrPowvParams p;

	ir_broadcast_strides(&a->shape, ys, sa);
	ir_broadcast_strides(&b->shape, ys, sb);
	if (y->dt == DT_I16)
		ir_powv_params(a->q.scale[0], a->q.zp, b->q.scale[0], b->q.zp, y->q.scale[0],
		               y->q.zp, &p);
	for (int64_t i = 0; i < total; i++) {
		if (y->dt == DT_F32)
			((float *)buf[n->out])[i] = qrt_powf(((const float *)buf[n->in[0]])[ia],
			                                     ((const float *)buf[n->in[1]])[ib]);
		else if (y->dt == DT_I16)
			((int16_t *)buf[n->out])[i] = (int16_t)ir_powv_s16(
			        &p, buf[n->in[2]], ((const int16_t *)buf[n->in[0]])[ia],
			        ((const int16_t *)buf[n->in[1]])[ib]);
		else {
			int32_t qx = ((const int8_t *)buf[n->in[0]])[ia];
			int32_t qy = ((const int8_t *)buf[n->in[1]])[ib];
			((int8_t *)buf[n->out])[i] = ((
			        const int8_t *)buf[n->in[2]])[(qx + 128) * 256 + qy + 128];
		}
		ir_broadcast_next(ys, idx, sa, sb, &ia, &ib);
	}
}

/* ---- concat ------------------------------------------------------------------ */

static int same_params(const Value *x, const Value *y)
{
	return x->dt == y->dt &&
	       (y->dt == DT_F32 || (x->q.zp == y->q.zp && x->q.scale[0] == y->q.scale[0]));
}

static void run_concat(const Graph *g, const Node *n, void *const *buf)
{
	const Value *y = &g->vals[n->out];
	int ax = ir_concat_axis(n->a.axis, y->shape.rank);
	int64_t outer = 1, inner = 1, off = 0;
	size_t es = (size_t)ir_dtype_size(y->dt);

	for (int k = 0; k < ax; k++)
		outer *= y->shape.d[k];
	for (int k = ax + 1; k < y->shape.rank; k++)
		inner *= y->shape.d[k];
	const int64_t ystep = y->shape.d[ax] * inner;
	for (int i = 0; i < n->nin; i++) {
		const Value *x = &g->vals[n->in[i]];
		const unsigned char *px = buf[n->in[i]];
		unsigned char *py = buf[n->out];
		const int64_t xstep = x->shape.d[ax] * inner;
		int32_t mult = 0;
		int shift = 0;
		int copy = same_params(x, y);
		if (!copy)
			ir_quantize_multiplier((double)x->q.scale[0] / (double)y->q.scale[0], &mult,
			                       &shift);
		for (int64_t o = 0; o < outer; o++) {
			if (copy) {
				memcpy(py + (size_t)(o * ystep + off) * es,
				       px + (size_t)(o * xstep) * es, (size_t)xstep * es);
				continue;
			}
			for (int64_t j = 0; j < xstep; j++) {
				int32_t v = ir_mbqm(ir_load_q(x->dt, px, o * xstep + j) - x->q.zp,
				                    mult, shift);
				ir_store_q(y->dt, py, o * ystep + off + j,
				           ir_clamp32(ir_wadd(v, y->q.zp), ir_qmin(y->dt),
				                      ir_qmax(y->dt)));
			}
		}
		off += xstep;
	}
}

/* ---- int64 ------------------------------------------------------------------- */

int64_t ir_binary_i64(Op op, int64_t a, int64_t b)
{
	/* two's complement, wrapping: the arithmetic runs on uint64_t */
	uint64_t ua = (uint64_t)a, ub = (uint64_t)b;

	switch (op) {
	case OP_ADD: return (int64_t)(ua + ub);
	case OP_SUB: return (int64_t)(ua - ub);
	case OP_MUL: return (int64_t)(ua * ub);
	case OP_MAX: return a > b ? a : b;
	case OP_MIN: return a < b ? a : b;
	case OP_DIV:
		/* truncation toward zero (ONNX, C); x / 0 is 0, INT64_MIN / -1
		 * wraps to INT64_MIN (both undefined in C) */
		if (b == 0)
			return 0;
		if (b == -1)
			return (int64_t)(0 - ua);
		return a / b;
	default: ICE("elementwise rules: %s has no int64 form", ir_ops[op].name);
	}
}

int ir_is_i64_op(Op op)
{
	switch (op) {
	case OP_ADD:
	case OP_SUB:
	case OP_MUL:
	case OP_DIV:
	case OP_MAX:
	case OP_MIN: return 1;
	default: return 0;
	}
}

static void run_i64(const Graph *g, const Node *n, void *const *buf)
{
	const Shape *ys = &g->vals[n->out].shape;
	const int64_t *pa = buf[n->in[0]], *pb = buf[n->in[1]];
	int64_t *py = buf[n->out];
	int64_t sa[IR_MAX_RANK], sb[IR_MAX_RANK], idx[IR_MAX_RANK] = {0};
	int64_t total = ir_shape_numel(ys), ia = 0, ib = 0;

	ir_broadcast_strides(&g->vals[n->in[0]].shape, ys, sa);
	ir_broadcast_strides(&g->vals[n->in[1]].shape, ys, sb);
	for (int64_t i = 0; i < total; i++) {
		py[i] = ir_binary_i64(n->op, pa[ia], pb[ib]);
		ir_broadcast_next(ys, idx, sa, sb, &ia, &ib);
	}
}

static void run(const Graph *g, const Node *n, const NodeRt *rt, void *const *buf, void *acc)
{
	if (g->vals[n->out].dt == DT_I64) {
		run_i64(g, n, buf);
		return;
	}
	(void)rt;
	(void)acc;
	switch (n->op) {
	case OP_ADD:
	case OP_SUB:
	case OP_MUL:
	case OP_DIV:
	case OP_MAX:
	case OP_MIN:
	case OP_PRELU:
	case OP_EQUAL:
	case OP_LESS:
	case OP_GREATER:
	case OP_LESS_EQUAL:
	case OP_GREATER_EQUAL: run_binary(g, n, buf); return;
	case OP_WHERE: run_where(g, n, buf); return;
	case OP_NOT:
	case OP_AND:
	case OP_OR:
	case OP_XOR:
	case OP_TO_BOOL: run_logic(g, n, buf); return;
	case OP_POWV: run_powv(g, n, buf); return;
	case OP_CONCAT: run_concat(g, n, buf); return;
	default: ICE("elementwise rules: %s", ir_ops[n->op].name);
	}
}

/* ---- checks ------------------------------------------------------------------ */

#define BAD IR_BAD

/* not, and, or, xor: u8 masks in and out; to_bool: an f32 operand, or an
 * i8 / i16 one quantized per tensor, and a u8 mask. */
static int check_logic_types(const Graph *g, const Node *n, Diag *d)
{
	const Value *y = &g->vals[n->out], *x = &g->vals[n->in[0]];
	const char *op = ir_ops[n->op].name;

	if (y->dt != DT_U8)
		return BAD("%s: the result '%s' must be a u8 mask", op, y->name);
	if (n->op != OP_TO_BOOL) {
		for (int i = 0; i < n->nin; i++)
			if (g->vals[n->in[i]].dt != DT_U8)
				return BAD("%s: operand '%s' must be a u8 mask", op,
				           g->vals[n->in[i]].name);
		return 0;
	}
	if (x->dt != DT_F32 && x->dt != DT_I8 && x->dt != DT_I16)
		return BAD("to_bool: operand '%s' is %s (expected f32, i8 or i16)", x->name,
		           ir_dtype_name(x->dt));
	if (x->dt != DT_F32 && !ir_per_tensor_q(x))
		return BAD("to_bool: operand '%s' needs per-tensor quantization parameters",
		           x->name);
	return 0;
}

/* int64: add, sub, mul, div, max, min of i64 operands, an i64 result, no
 * fused activation. */
static int check_i64(const Graph *g, const Node *n, Diag *d)
{
	const char *op = ir_ops[n->op].name;

	if (!ir_is_i64_op(n->op))
		return BAD("%s: the interpreter has no int64 kernel for it", op);
	if (n->a.act != ACT_NONE)
		return BAD("%s: an int64 result takes no fused activation", op);
	for (int i = -1; i < n->nin; i++) {
		const Value *x = &g->vals[i < 0 ? n->out : n->in[i]];
		if (x->dt != DT_I64)
			return BAD("%s: '%s' is %s, not i64 like its other operands", op, x->name,
			           ir_dtype_name(x->dt));
	}
	return 0;
}

/* Every operand and the result: all f32, or all of one integer type with
 * per-tensor parameters. */
static int check_types(const Graph *g, const Node *n, Diag *d)
{
	const Value *y = &g->vals[n->out];
	const char *op = ir_ops[n->op].name;

	if (ir_is_compare(n->op)) {
		const Value *a = &g->vals[n->in[0]], *b = &g->vals[n->in[1]];
		if (y->dt != DT_U8)
			return BAD("%s: the result '%s' must be a u8 mask", op, y->name);
		if (a->dt != b->dt || (a->dt != DT_F32 && a->dt != DT_I8 && a->dt != DT_I16))
			return BAD(
			        "%s: operands '%s' (%s) and '%s' (%s) must be both f32, i8 or i16",
			        op, a->name, ir_dtype_name(a->dt), b->name, ir_dtype_name(b->dt));
		if (a->dt != DT_F32 && (!ir_per_tensor_q(a) || !ir_per_tensor_q(b)))
			return BAD("%s: its operands need per-tensor quantization parameters", op);
		return 0;
	}
	if (ir_is_mask_logic(n->op))
		return check_logic_types(g, n, d);
	if (n->op == OP_WHERE && g->vals[n->in[0]].dt != DT_U8)
		return BAD("where: the condition '%s' must be a u8 mask", g->vals[n->in[0]].name);
	if (y->dt == DT_I64 || g->vals[n->in[0]].dt == DT_I64)
		return check_i64(g, n, d);

	if (y->dt != DT_F32 && y->dt != DT_I8 && y->dt != DT_I16)
		return BAD("%s: the interpreter has no kernel for a %s result", op,
		           ir_dtype_name(y->dt));
	if (y->dt != DT_F32 && !ir_per_tensor_q(y))
		return BAD("%s: result '%s' needs per-tensor quantization parameters", op, y->name);
	for (int i = n->op == OP_WHERE; i < n->nin; i++) {
		const Value *x = &g->vals[n->in[i]];
		if (x->dt != y->dt)
			return BAD("%s: operand '%s' is %s, the result %s", op, x->name,
			           ir_dtype_name(x->dt), ir_dtype_name(y->dt));
		if (y->dt != DT_F32 && !ir_per_tensor_q(x))
			return BAD("%s: operand '%s' needs per-tensor quantization parameters", op,
			           x->name);
	}
	return 0;
}

static int check_concat_shapes(const Graph *g, const Node *n, Diag *d)
{
	const Shape *ys = &g->vals[n->out].shape;
	int ax = ir_concat_axis(n->a.axis, ys->rank);
	int64_t sum = 0;

	if (ax < 0)
		return BAD("concat: axis %lld is outside the result's rank %d",
		           (long long)n->a.axis, ys->rank);
	for (int i = 0; i < n->nin; i++) {
		const Shape *xs = &g->vals[n->in[i]].shape;
		if (xs->rank != ys->rank)
			return BAD("concat: operands and result must have one rank");
		for (int k = 0; k < ys->rank; k++)
			if (k != ax && xs->d[k] != ys->d[k])
				return BAD("concat: operand shapes differ off the axis");
		sum += xs->d[ax];
	}
	if (sum != ys->d[ax])
		return BAD("concat: the result's extent along the axis is not the operands' sum");
	return 0;
}

/* powv: f32 x, y and result, or i8 / i16 ones (per-tensor parameters)
 * with the i8[65536] / i32[514] table as operand 2. */
static int check_powv(const Graph *g, const Node *n, Diag *d)
{
	const Value *a = &g->vals[n->in[0]], *b = &g->vals[n->in[1]], *y = &g->vals[n->out];
	Shape s;

	if (ir_broadcast_shape(&a->shape, &b->shape, &s) || !ir_shape_eq(&s, &y->shape))
		return BAD("powv: the result's shape is not the operands' broadcast shape");
	if (y->dt == DT_F32) {
		if (a->dt != DT_F32 || b->dt != DT_F32 || n->nin != 2)
			return BAD("powv: a float powv takes two f32 operands (the table is for "
			           "int8)");
		return 0;
	}
	if (y->dt != DT_I8 && y->dt != DT_I16)
		return BAD("powv: the interpreter has no kernel for a %s result (f32, i8, i16)",
		           ir_dtype_name(y->dt));
	if (a->dt != y->dt || b->dt != y->dt || !ir_per_tensor_q(a) || !ir_per_tensor_q(b) ||
	    !ir_per_tensor_q(y))
		return BAD("powv: a quantized powv needs operands of its result's type, all with "
		           "per-tensor quantization parameters");
	const Value *t = n->nin == 3 ? &g->vals[n->in[2]] : NULL;
	const DType tdt = y->dt == DT_I8 ? DT_I8 : DT_I32;
	const int64_t tn = y->dt == DT_I8 ? IR_POWV_TABLE_N : IR_POWV_LUT16_N;
	if (!t || t->kind != VK_CONST || t->dt != tdt || t->shape.rank != 1 ||
	    t->shape.d[0] != tn || !t->data)
		return BAD("powv: a quantized powv needs a constant %s[%lld] table as its third "
		           "operand",
		           ir_dtype_name(tdt), (long long)tn);
	IrPowvParams p;
	if (y->dt == DT_I16 && ir_powv_params(a->q.scale[0], a->q.zp, b->q.scale[0], b->q.zp,
	                                      y->q.scale[0], y->q.zp, &p))
		return BAD("powv: the exponent's scale %.9g is outside [2^-46, 2^14)",
		           (double)b->q.scale[0]);
	return 0;
}

static int check(Graph *g, const Node *n, NodeRt *rt, Diag *d)
{
	(void)rt;
	if (n->op == OP_POWV)
		return check_powv(g, n, d);
	if (n->op == OP_CONCAT) {
		if (check_concat_shapes(g, n, d))
			return -1;
	} else if (n->nin == 1 && ir_is_mask_logic(n->op)) {
		if (!ir_shape_eq(&g->vals[n->in[0]].shape, &g->vals[n->out].shape))
			return BAD("%s: the result's shape is not the operand's",
			           ir_ops[n->op].name);
	} else if (n->op == OP_WHERE) {
		Shape s;
		if (ir_where_shape(g, n, &s) || !ir_shape_eq(&s, &g->vals[n->out].shape))
			return BAD(
			        "where: the result's shape is not the operands' broadcast shape");
	} else {
		Shape s;
		if (n->nin != 2 ||
		    ir_broadcast_shape(&g->vals[n->in[0]].shape, &g->vals[n->in[1]].shape, &s) ||
		    !ir_shape_eq(&s, &g->vals[n->out].shape))
			return BAD("%s: the result's shape is not the operands' broadcast shape",
			           ir_ops[n->op].name);
	}
	return check_types(g, n, d);
}

#undef BAD

/* concat of operands with the result's parameters copies bytes; add, sub,
 * mul requantize in fixed point only. */
static int requant_float_ok(const Graph *g, const Node *n)
{
	const Value *o = &g->vals[n->out];

	if (g->vals[n->in[n->op == OP_WHERE]].dt == DT_F32 || o->dt == DT_I64)
		return 1; /* float, or int64 (never quantized) */
	switch (n->op) {
	case OP_ADD:
	case OP_SUB:
	case OP_MUL:
	case OP_DIV:
	case OP_MAX:
	case OP_MIN:
	case OP_PRELU:
	case OP_EQUAL:
	case OP_LESS:
	case OP_GREATER:
	case OP_LESS_EQUAL:
	case OP_GREATER_EQUAL:
	case OP_WHERE: return 0;
	case OP_NOT:
	case OP_AND:
	case OP_OR:
	case OP_XOR:
	case OP_TO_BOOL: return 1; /* no requantization */
	case OP_POWV: return 1; /* a table lookup: no requantization */
	case OP_CONCAT:
		for (int k = 0; k < n->nin; k++)
			if (!ir_same_q(&g->vals[n->in[k]].q, &o->q))
				return 0;
		return 1;
	default: ICE("elementwise rules: %s", ir_ops[n->op].name);
	}
}

const IrRules ir_rules_elementwise = {
        .check = check,
        .run = run,
        .requant_float_ok = requant_float_ok,
};
