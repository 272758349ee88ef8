/* frontend/onnx_fold.c — ONNX operators the importer evaluates itself, on
 * constants: what exporters emit to compute shapes at run time (Shape,
 * Gather, Unsqueeze, Concat, Reshape, Slice, Cast, arithmetic...), which
 * folds away once the batch dimension is fixed (docs/onnx.md).  Also the
 * target-shape rules of Reshape, Flatten, Squeeze and Unsqueeze, which
 * onnx_ops.c shares when the data is a run-time tensor.
 *
 * Constants hold float32 (DT_F32) or int64 (DT_I64) elements; every rule
 * here follows the ONNX operator specification of the opsets it reads (the rewrites of onnx_opset.c bring older forms to the newest). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_import.h"

static void *elems(int64_t n, DType dt)
{
	return ir_xmalloc((size_t)(n > 0 ? n : 1) * (size_t)ir_dtype_size(dt));
}

/* Output k as a 1-D int64 constant holding v[0..n). */
static int def_ints(Imp *im, int k, const int64_t *v, int n)
{
	Shape s = {1, {n}};
	int64_t *data = elems(n, DT_I64);
	memcpy(data, v, (size_t)n * sizeof *v);
	return oi_def_const(im, k, DT_I64, OT_INT64, &s, data);
}

/* Row-major strides of s, in elements. */
static void strides(const Shape *s, int64_t *st)
{
	int64_t m = 1;
	for (int i = s->rank - 1; i >= 0; i--) {
		st[i] = m;
		m *= s->d[i];
	}
}

/* Advances multi-index idx over shape s; 0 when it wraps around. */
static int next_index(const Shape *s, int64_t *idx)
{
	for (int i = s->rank - 1; i >= 0; i--) {
		if (++idx[i] < s->d[i])
			return 1;
		idx[i] = 0;
	}
	return 0;
}

/* An axis attribute or value in [-rank, rank) made non-negative; -1 if out
 * of range (diagnosed). */
static int norm_axis(Imp *im, int64_t axis, int rank, const char *what)
{
	if (axis < -rank || axis >= rank) {
		oi_err(im, "%s %lld is out of range for rank %d", what, (long long)axis, rank);
		return -1;
	}
	return (int)(axis < 0 ? axis + rank : axis);
}

static int check_size(Imp *im, const Shape *s)
{
	int64_t n = 1;
	for (int i = 0; i < s->rank; i++)
		if (s->d[i] < 0 || !ir_mul_ok(n, s->d[i], &n) || n > OI_MAX_ELEMS)
			return oi_err(im, "the result would be too large");
	return 0;
}

/* ---- Constant, Identity, Shape -------------------------------------------- */

int oi_fold_constant(Imp *im)
{
	const Onnx__AttributeProto *a;
	OTensor t = {0};

	if ((a = oi_attr(im, "value"))) {
		if (!a->t)
			return oi_err(im, "attribute 'value' must be a tensor");
		if (oi_tensor_read(im, a->t, &t, "value")) {
			free(t.data);
			return -1;
		}
		return oi_def_const(im, 0, t.dt, t.otype, &t.shape, t.data);
	}
	if ((a = oi_attr(im, "value_float")) || (a = oi_attr(im, "value_floats"))) {
		int scalar = strcmp(a->name, "value_float") == 0;
		int64_t n = scalar ? 1 : (int64_t)a->n_floats;
		Shape s = {scalar ? 0 : 1, {n}};
		float *d = elems(n, DT_F32);
		if (scalar)
			d[0] = a->f;
		else if (n)
			memcpy(d, a->floats, (size_t)n * sizeof *d);
		return oi_def_const(im, 0, DT_F32, OT_FLOAT, &s, d);
	}
	if ((a = oi_attr(im, "value_int")) || (a = oi_attr(im, "value_ints"))) {
		int scalar = strcmp(a->name, "value_int") == 0;
		int64_t n = scalar ? 1 : (int64_t)a->n_ints;
		Shape s = {scalar ? 0 : 1, {n}};
		int64_t *d = elems(n, DT_I64);
		if (scalar)
			d[0] = a->i;
		else if (n)
			memcpy(d, a->ints, (size_t)n * sizeof *d);
		return oi_def_const(im, 0, DT_I64, OT_INT64, &s, d);
	}
	return oi_err(im,
	              "only the attributes value, value_float(s) and value_int(s) are supported");
}

int oi_fold_identity(Imp *im)
{
	if (!oi_in(im, 0))
		return oi_err(im, "input 0 is missing");
	return oi_def_alias(im, 0, oi_in(im, 0));
}

/* Shape of any tensor: a run-time one's shape is fixed once the batch is. */
int oi_fold_shape(Imp *im)
{
	OTensor *x = oi_in(im, 0);
	if (!x)
		return oi_err(im, "input 0 is missing");
	const Shape sv = *oi_shape(im, x), *s = &sv;
	int64_t start = 0, end = s->rank;
	if (oi_attr_int(im, "start", &start) < 0 || oi_attr_int(im, "end", &end) < 0)
		return -1;
	start = start < 0 ? start + s->rank : start;
	end = end < 0 ? end + s->rank : end;
	start = start < 0 ? 0 : start > s->rank ? s->rank : start;
	end = end < 0 ? 0 : end > s->rank ? s->rank : end;
	if (end < start)
		end = start;
	return def_ints(im, 0, s->d + start, (int)(end - start));
}

/* ---- target shapes ------------------------------------------------------- */

int oi_reshape_target(Imp *im, const Shape *in, Shape *out)
{
	int64_t want[IR_MAX_RANK], allowzero = 0, known = 1, total = ir_shape_numel(in);
	int n, infer = -1;

	if (oi_const_ints(im, oi_in(im, 1), "the target shape", want, IR_MAX_RANK, &n) ||
	    oi_attr_int(im, "allowzero", &allowzero) < 0)
		return -1;
	if (n < 0)
		return oi_err(im, "the target shape (input 1) is missing");
	out->rank = n;
	for (int i = 0; i < n; i++) {
		int64_t v = want[i];
		if (v == 0 && !allowzero) {
			if (i >= in->rank)
				return oi_err(
				        im,
				        "target dimension %d is 0 (copy the input's), but the input "
				        "has rank %d",
				        i, in->rank);
			v = in->d[i];
		}
		if (v == -1) {
			if (infer >= 0)
				return oi_err(im, "the target shape has more than one -1");
			infer = i;
			continue;
		}
		if (v < 0 || !ir_mul_ok(known, v, &known))
			return oi_err(im, "bad target dimension %lld", (long long)want[i]);
		out->d[i] = v;
	}
	if (infer >= 0) {
		if (known == 0 || total % known)
			return oi_err(im, "cannot reshape %lld elements into blocks of %lld",
			              (long long)total, (long long)known);
		out->d[infer] = total / known;
	} else if (known != total)
		return oi_err(im, "the input has %lld elements, the target shape %lld",
		              (long long)total, (long long)known);
	return 0;
}

/* The axes of Unsqueeze/Squeeze: input 1 from opset 13, an attribute before. */
static int axes_of(Imp *im, int64_t *axes, int *n)
{
	if (oi_nin(im) > 1)
		return oi_const_ints(im, oi_in(im, 1), "axes", axes, IR_MAX_RANK, n);
	return oi_attr_ints(im, "axes", axes, IR_MAX_RANK, n) < 0 ? -1 : 0;
}

int oi_unsqueeze_target(Imp *im, const Shape *in, Shape *out)
{
	int64_t axes[IR_MAX_RANK];
	int n, mark[IR_MAX_RANK] = {0};

	if (axes_of(im, axes, &n))
		return -1;
	if (n < 0)
		return oi_err(im, "the axes are missing");
	if (in->rank + n > IR_MAX_RANK)
		return oi_err(im, "the result would have rank %d (at most %d)", in->rank + n,
		              IR_MAX_RANK);
	out->rank = in->rank + n;
	for (int i = 0; i < n; i++) {
		int a = norm_axis(im, axes[i], out->rank, "axis");
		if (a < 0)
			return -1;
		if (mark[a]++)
			return oi_err(im, "axis %lld is repeated", (long long)axes[i]);
	}
	for (int i = 0, j = 0; i < out->rank; i++)
		out->d[i] = mark[i] ? 1 : in->d[j++];
	return 0;
}

int oi_squeeze_target(Imp *im, const Shape *in, Shape *out)
{
	int64_t axes[IR_MAX_RANK];
	int n, drop[IR_MAX_RANK] = {0};

	if (axes_of(im, axes, &n))
		return -1;
	for (int i = 0; i < n; i++) {
		int a = norm_axis(im, axes[i], in->rank, "axis");
		if (a < 0)
			return -1;
		if (in->d[a] != 1)
			return oi_err(im, "axis %d has size %lld, not 1", a, (long long)in->d[a]);
		drop[a] = 1;
	}
	out->rank = 0;
	for (int i = 0; i < in->rank; i++)
		if (!(n < 0 ? in->d[i] == 1 : drop[i]))
			out->d[out->rank++] = in->d[i];
	return 0;
}

int oi_flatten_target(Imp *im, const Shape *in, Shape *out, int64_t *axis)
{
	int64_t lo = 1, hi = 1;
	*axis = 1;
	if (oi_attr_int(im, "axis", axis) < 0)
		return -1;
	if (*axis < -in->rank || *axis > in->rank)
		return oi_err(im, "axis %lld is out of range for rank %d", (long long)*axis,
		              in->rank);
	if (*axis < 0)
		*axis += in->rank;
	for (int i = 0; i < in->rank; i++)
		*(i < *axis ? &lo : &hi) *= in->d[i];
	*out = (Shape){2, {lo, hi}};
	return 0;
}

/* A constant with the same elements in another shape. */
static int def_reshaped(Imp *im, const OTensor *x, const Shape *s)
{
	size_t bytes = (size_t)oi_numel(x) * (size_t)ir_dtype_size(x->dt);
	void *data = elems(oi_numel(x), x->dt);
	memcpy(data, x->data, bytes);
	return oi_def_const(im, 0, x->dt, x->otype, s, data);
}

int oi_fold_reshape(Imp *im)
{
	OTensor *x = oi_in(im, 0);
	Shape s;

	if (!x)
		return oi_err(im, "input 0 is missing");
	return oi_reshape_target(im, &x->shape, &s) ? -1 : def_reshaped(im, x, &s);
}

int oi_fold_unsqueeze(Imp *im)
{
	OTensor *x = oi_in(im, 0);
	Shape s;

	if (!x)
		return oi_err(im, "input 0 is missing");
	return oi_unsqueeze_target(im, &x->shape, &s) ? -1 : def_reshaped(im, x, &s);
}

int oi_fold_squeeze(Imp *im)
{
	OTensor *x = oi_in(im, 0);
	Shape s;

	if (!x)
		return oi_err(im, "input 0 is missing");
	return oi_squeeze_target(im, &x->shape, &s) ? -1 : def_reshaped(im, x, &s);
}

int oi_fold_flatten(Imp *im)
{
	OTensor *x = oi_in(im, 0);
	Shape s;

	if (!x)
		return oi_err(im, "input 0 is missing");
	int64_t axis;
	return oi_flatten_target(im, &x->shape, &s, &axis) ? -1 : def_reshaped(im, x, &s);
}

/* ---- Gather, Concat, Slice, Transpose --------------------------------------- */

int oi_fold_gather(Imp *im)
{
	OTensor *x = oi_in(im, 0), *ix = oi_in(im, 1);
	int64_t axis = 0, outer = 1, inner = 1;
	Shape s = {0, {0}};

	if (!x || !ix)
		return oi_err(im, "needs data and indices");
	if (oi_attr_int(im, "axis", &axis) < 0)
		return -1;
	if (x->shape.rank < 1)
		return oi_err(im, "the data is a scalar");
	int a = norm_axis(im, axis, x->shape.rank, "axis");
	if (a < 0)
		return -1;
	if (ix->dt != DT_I64)
		return oi_err(im, "the indices must be integers");
	if (x->shape.rank - 1 + ix->shape.rank > IR_MAX_RANK)
		return oi_err(im, "the result would have rank > %d", IR_MAX_RANK);
	for (int i = 0; i < a; i++)
		outer *= x->shape.d[i];
	for (int i = a + 1; i < x->shape.rank; i++)
		inner *= x->shape.d[i];
	for (int i = 0; i < a; i++)
		s.d[s.rank++] = x->shape.d[i];
	for (int i = 0; i < ix->shape.rank; i++)
		s.d[s.rank++] = ix->shape.d[i];
	for (int i = a + 1; i < x->shape.rank; i++)
		s.d[s.rank++] = x->shape.d[i];
	if (check_size(im, &s))
		return -1;
	int64_t n = x->shape.d[a], ni = oi_numel(ix);
	size_t es = (size_t)ir_dtype_size(x->dt);
	char *out = elems(ir_shape_numel(&s), x->dt), *p = out;
	for (int64_t o = 0; o < outer; o++)
		for (int64_t j = 0; j < ni; j++) {
			int64_t k = oi_geti(ix, j);
			if (k < -n || k >= n) {
				free(out);
				return oi_err(im, "index %lld is out of range [%lld, %lld)",
				              (long long)k, (long long)-n, (long long)n);
			}
			k = k < 0 ? k + n : k;
			memcpy(p, (char *)x->data + ((o * n + k) * inner) * (int64_t)es,
			       (size_t)inner * es);
			p += inner * (int64_t)es;
		}
	return oi_def_const(im, 0, x->dt, x->otype, &s, out);
}

int oi_fold_concat(Imp *im)
{
	OTensor *x0 = oi_in(im, 0);
	int64_t axis, outer = 1, inner = 1;
	int nin = oi_nin(im);

	if (!x0)
		return oi_err(im, "input 0 is missing");
	if (oi_attr_int(im, "axis", &axis) <= 0)
		return oi_attr(im, "axis") ? -1 : oi_err(im, "attribute 'axis' is missing");
	int a = norm_axis(im, axis, x0->shape.rank, "axis");
	if (a < 0)
		return -1;
	Shape s = x0->shape;
	s.d[a] = 0;
	for (int k = 0; k < nin; k++) {
		OTensor *x = oi_in(im, k);
		if (!x)
			return oi_err(im, "input %d is missing", k);
		if (x->dt != x0->dt || x->shape.rank != s.rank)
			return oi_err(im, "input '%s' differs from input 0 in type or rank",
			              x->name);
		for (int i = 0; i < s.rank; i++)
			if (i != a && x->shape.d[i] != s.d[i])
				return oi_err(im, "input '%s' differs from input 0 in dimension %d",
				              x->name, i);
		s.d[a] += x->shape.d[a];
	}
	if (check_size(im, &s))
		return -1;
	for (int i = 0; i < a; i++)
		outer *= s.d[i];
	for (int i = a + 1; i < s.rank; i++)
		inner *= s.d[i];
	size_t es = (size_t)ir_dtype_size(x0->dt);
	char *out = elems(ir_shape_numel(&s), x0->dt), *p = out;
	for (int64_t o = 0; o < outer; o++)
		for (int k = 0; k < nin; k++) {
			OTensor *x = oi_in(im, k);
			size_t chunk = (size_t)(x->shape.d[a] * inner) * es;
			memcpy(p, (char *)x->data + (size_t)o * chunk, chunk);
			p += chunk;
		}
	return oi_def_const(im, 0, x0->dt, x0->otype, &s, out);
}

/* Slice's start and count along one axis of size dim (ONNX clamping rules). */
static void slice_axis(int64_t dim, int64_t start, int64_t end, int64_t step, int64_t *first,
                       int64_t *count)
{
	start = start < 0 ? start + dim : start;
	end = end < 0 ? end + dim : end;
	/* |step| beyond the dimension takes one element, like any larger one */
	step = step > dim ? dim + 1 : step < -dim - 1 ? -dim - 1 : step;
	if (step > 0) {
		start = start < 0 ? 0 : start > dim ? dim : start;
		end = end < 0 ? 0 : end > dim ? dim : end;
		*count = end > start ? (end - start - 1) / step + 1 : 0;
	} else {
		start = start < 0 ? 0 : start > dim - 1 ? dim - 1 : start;
		end = end < -1 ? -1 : end > dim - 1 ? dim - 1 : end;
		*count = start > end ? (start - end - 1) / -step + 1 : 0;
	}
	*first = start;
}

int oi_fold_slice(Imp *im)
{
	OTensor *x = oi_in(im, 0);
	int64_t starts[IR_MAX_RANK], ends[IR_MAX_RANK], axes[IR_MAX_RANK], steps[IR_MAX_RANK];
	int64_t first[IR_MAX_RANK], step[IR_MAX_RANK], st[IR_MAX_RANK], idx[IR_MAX_RANK] = {0};
	int ns, ne, na, nst, seen[IR_MAX_RANK] = {0};
	Shape s;

	if (!x)
		return oi_err(im, "input 0 is missing");
	s = x->shape;
	if (oi_const_ints(im, oi_in(im, 1), "starts", starts, IR_MAX_RANK, &ns) ||
	    oi_const_ints(im, oi_in(im, 2), "ends", ends, IR_MAX_RANK, &ne) ||
	    oi_const_ints(im, oi_in(im, 3), "axes", axes, IR_MAX_RANK, &na) ||
	    oi_const_ints(im, oi_in(im, 4), "steps", steps, IR_MAX_RANK, &nst))
		return -1;
	if (ns < 0 || ne != ns || (na >= 0 && na != ns) || (nst >= 0 && nst != ns))
		return oi_err(im, "starts, ends, axes and steps must have the same length");
	for (int i = 0; i < s.rank; i++) {
		first[i] = 0;
		step[i] = 1;
	}
	for (int i = 0; i < ns; i++) {
		int a = norm_axis(im, na >= 0 ? axes[i] : i, s.rank, "axis");
		int64_t sp = nst >= 0 ? steps[i] : 1;
		if (a < 0)
			return -1;
		if (seen[a]++)
			return oi_err(im, "axis %d is sliced twice", a);
		if (sp == 0)
			return oi_err(im, "a step is 0");
		slice_axis(x->shape.d[a], starts[i], ends[i], sp, &first[a], &s.d[a]);
		step[a] = sp;
	}
	strides(&x->shape, st);
	size_t es = (size_t)ir_dtype_size(x->dt);
	int64_t n = ir_shape_numel(&s);
	char *out = elems(n, x->dt);
	for (int64_t j = 0; j < n; j++, next_index(&s, idx)) {
		int64_t off = 0;
		for (int i = 0; i < s.rank; i++)
			off += (first[i] + idx[i] * step[i]) * st[i];
		memcpy(out + (size_t)j * es, (char *)x->data + (size_t)off * es, es);
	}
	return oi_def_const(im, 0, x->dt, x->otype, &s, out);
}

int oi_fold_transpose(Imp *im)
{
	OTensor *x = oi_in(im, 0);
	int64_t perm[IR_MAX_RANK], st[IR_MAX_RANK], idx[IR_MAX_RANK] = {0};
	int np, r = x ? x->shape.rank : 0, seen[IR_MAX_RANK] = {0};
	Shape s = {r, {0}};

	if (!x)
		return oi_err(im, "input 0 is missing");
	if (oi_attr_ints(im, "perm", perm, IR_MAX_RANK, &np) < 0)
		return -1;
	if (np < 0)
		for (int i = 0; i < r; i++)
			perm[i] = r - 1 - i;
	else if (np != r)
		return oi_err(im, "perm has %d entries for rank %d", np, r);
	for (int i = 0; i < r; i++) {
		if (perm[i] < 0 || perm[i] >= r || seen[perm[i]]++)
			return oi_err(im, "perm is not a permutation of 0..%d", r - 1);
		s.d[i] = x->shape.d[perm[i]];
	}
	strides(&x->shape, st);
	size_t es = (size_t)ir_dtype_size(x->dt);
	int64_t n = oi_numel(x);
	char *out = elems(n, x->dt);
	for (int64_t j = 0; j < n; j++, next_index(&s, idx)) {
		int64_t off = 0;
		for (int i = 0; i < r; i++)
			off += idx[i] * st[perm[i]];
		memcpy(out + (size_t)j * es, (char *)x->data + (size_t)off * es, es);
	}
	return oi_def_const(im, 0, x->dt, x->otype, &s, out);
}

/* ---- ConstantOfShape, Cast ---------------------------------------------------- */

int oi_fold_constant_of_shape(Imp *im)
{
	int64_t dims[IR_MAX_RANK];
	int n;
	const Onnx__AttributeProto *a = oi_attr(im, "value");
	OTensor v = {0};
	Shape s;

	if (oi_const_ints(im, oi_in(im, 0), "the shape", dims, IR_MAX_RANK, &n))
		return -1;
	if (n < 0)
		return oi_err(im, "input 0 (the shape) is missing");
	s.rank = n;
	memcpy(s.d, dims, (size_t)s.rank * sizeof *dims);
	if (check_size(im, &s))
		return -1;
	if (a && (!a->t || oi_tensor_read(im, a->t, &v, "value") || oi_numel(&v) != 1)) {
		free(v.data);
		return oi_err(im, "attribute 'value' must be a tensor of one element");
	}
	DType dt = a ? v.dt : DT_F32;
	int64_t count = ir_shape_numel(&s);
	char *out = elems(count, dt);
	size_t es = (size_t)ir_dtype_size(dt);
	float zero = 0;
	for (int64_t i = 0; i < count; i++)
		memcpy(out + (size_t)i * es, a ? v.data : (void *)&zero, es);
	free(v.data);
	return oi_def_const(im, 0, dt, a ? v.otype : OT_FLOAT, &s, out);
}

/* An integer as ONNX type ot stores it (wrapping, as C's conversions do). */
static int64_t wrap(int64_t v, int ot)
{
	switch (ot) {
	case OT_INT8: return (int64_t)(int8_t)(uint8_t)v;
	case OT_UINT8: return (uint8_t)v;
	case OT_INT16: return (int64_t)(int16_t)(uint16_t)v;
	case OT_UINT16: return (uint16_t)v;
	case OT_INT32: return (int64_t)(int32_t)(uint32_t)v;
	case OT_UINT32: return (uint32_t)v;
	case OT_BOOL: return v != 0;
	default: return v;
	}
}

int oi_fold_cast(Imp *im)
{
	OTensor *x = oi_in(im, 0);
	int64_t to = 0, n = x ? oi_numel(x) : 0;

	if (!x)
		return oi_err(im, "input 0 is missing");
	if (oi_attr_int(im, "to", &to) <= 0)
		return oi_attr(im, "to") ? -1 : oi_err(im, "attribute 'to' is missing");
	int isfloat = to == OT_FLOAT || to == OT_DOUBLE;
	int isint = to == OT_UINT8 || to == OT_INT8 || to == OT_UINT16 || to == OT_INT16 ||
	            to == OT_INT32 || to == OT_INT64 || to == OT_BOOL || to == OT_UINT32 ||
	            to == OT_UINT64;
	if (!isfloat && !isint)
		return oi_err(im, "casting to data type %lld is not supported", (long long)to);
	DType dt = isfloat ? DT_F32 : DT_I64;
	void *out = elems(n, dt);
	for (int64_t i = 0; i < n; i++) {
		if (isfloat) {
			((float *)out)[i] = (float)oi_getf(x, i);
			continue;
		}
		double f = oi_getf(x, i);
		if (x->dt == DT_F32 && to != OT_BOOL && !(fabs(f) < 9.2e18)) {
			free(out);
			return oi_err(im, "%g does not fit an integer", f);
		}
		int64_t v = x->dt == DT_I64 ? oi_geti(x, i) : to == OT_BOOL ? f != 0 : (int64_t)f;
		((int64_t *)out)[i] = wrap(v, (int)to);
	}
	return oi_def_const(im, 0, dt, (int)to, &x->shape, out);
}

/* ---- Add, Sub, Mul, Div -------------------------------------------------------- */

/* The shape numpy-style broadcasting gives a and b; -1 if they do not fit. */
static int broadcast(const Shape *a, const Shape *b, Shape *out)
{
	out->rank = a->rank > b->rank ? a->rank : b->rank;
	for (int i = 0; i < out->rank; i++) {
		int ia = i - (out->rank - a->rank), ib = i - (out->rank - b->rank);
		int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
		if (da != db && da != 1 && db != 1)
			return -1;
		out->d[i] = da == 1 ? db : da;
	}
	return 0;
}

/* The element of x (shape broadcast to s) at multi-index idx of s. */
static int64_t bcast_offset(const Shape *x, const Shape *s, const int64_t *idx)
{
	int64_t off = 0, m = 1;
	for (int i = x->rank - 1; i >= 0; i--) {
		int j = i + s->rank - x->rank;
		off += (x->d[i] == 1 ? 0 : idx[j]) * m;
		m *= x->d[i];
	}
	return off;
}

static int int_op(Imp *im, char op, int64_t a, int64_t b, int64_t *r)
{
	uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
	switch (op) {
	case '+': *r = (int64_t)(ua + ub); return 0;
	case '-': *r = (int64_t)(ua - ub); return 0;
	case '*': *r = (int64_t)(ua * ub); return 0;
	default:
		if (b == 0 || (a == INT64_MIN && b == -1))
			return oi_err(im, "integer division %lld / %lld", (long long)a,
			              (long long)b);
		*r = a / b;
		return 0;
	}
}

int oi_fold_binary(Imp *im)
{
	OTensor *a = oi_in(im, 0), *b = oi_in(im, 1);
	const char *type = im->node->op_type;
	char op = strcmp(type, "Add") == 0   ? '+'
	          : strcmp(type, "Sub") == 0 ? '-'
	          : strcmp(type, "Mul") == 0 ? '*'
	                                     : '/';
	int64_t idx[IR_MAX_RANK] = {0};
	Shape s;

	if (!a || !b)
		return oi_err(im, "needs two inputs");
	if (a->dt != b->dt)
		return oi_err(im, "the inputs differ in type");
	if (broadcast(&a->shape, &b->shape, &s))
		return oi_err(im, "the inputs' shapes do not broadcast");
	if (check_size(im, &s))
		return -1;
	int64_t n = ir_shape_numel(&s);
	void *out = elems(n, a->dt);
	for (int64_t j = 0; j < n; j++, next_index(&s, idx)) {
		int64_t ia = bcast_offset(&a->shape, &s, idx),
		        ib = bcast_offset(&b->shape, &s, idx);
		if (a->dt == DT_F32) {
			float x = ((float *)a->data)[ia], y = ((float *)b->data)[ib];
			((float *)out)[j] = op == '+'   ? x + y
			                    : op == '-' ? x - y
			                    : op == '*' ? x * y
			                                : x / y;
		} else if (int_op(im, op, oi_geti(a, ia), oi_geti(b, ib), (int64_t *)out + j)) {
			free(out);
			return -1;
		}
	}
	return oi_def_const(im, 0, a->dt, a->otype, &s, out);
}

/* Expand of a constant (the zero initial state PyTorch computes for a GRU or
 * LSTM from the input's shape): ONNX's bidirectional broadcast of the input
 * to the constant shape. */
int oi_fold_expand(Imp *im)
{
	OTensor *x = oi_in(im, 0);
	int64_t dims[IR_MAX_RANK], idx[IR_MAX_RANK] = {0};
	int n;
	Shape to, s;

	if (!x)
		return oi_err(im, "input 0 is missing");
	if (oi_const_ints(im, oi_in(im, 1), "shape", dims, IR_MAX_RANK, &n) < 0)
		return -1;
	if (n < 0)
		return oi_err(im, "the shape (input 1) is missing");
	to.rank = n;
	for (int i = 0; i < n; i++) {
		if (dims[i] < 0)
			return oi_err(im, "shape[%d] = %lld is negative", i, (long long)dims[i]);
		to.d[i] = dims[i];
	}
	if (broadcast(&x->shape, &to, &s))
		return oi_err(im, "the input's shape does not broadcast to the shape");
	if (check_size(im, &s))
		return -1;
	int64_t total = ir_shape_numel(&s);
	size_t es = (size_t)ir_dtype_size(x->dt);
	char *out = elems(total, x->dt);
	for (int64_t j = 0; j < total; j++, next_index(&s, idx))
		memcpy(out + (size_t)j * es,
		       (const char *)x->data + (size_t)bcast_offset(&x->shape, &s, idx) * es, es);
	return oi_def_const(im, 0, x->dt, x->otype, &s, out);
}
