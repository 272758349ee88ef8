/* frontend/onnx_rnn.c — the recurrent ONNX operators RNN, GRU and LSTM (one
 * layer), lowered at import by unrolling their T time steps (T is fixed in
 * the model) into IR ops that already have every precision: dense, add, sub,
 * mul, sigmoid, tanh, slice, concat, reshape and transpose.
 *
 * For each direction, one dense computes the input projections of every
 * step at once (X as [T*B, I] times the direction's W, with the biases that
 * sit outside the gates' products); each step then slices its [B, H] block
 * of each gate out of that and adds h R_g^T (one dense per gate, so that
 * each gate's result gets its own quantization; every step reads the same
 * constants of R, so the weights do not grow with T).
 * The first step of a direction without an initial state skips the products
 * with the zero state.  The per-step hidden states are then put together as
 * Y, Y_h and Y_c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "onnx_import.h"

typedef enum { CELL_RNN, CELL_GRU, CELL_LSTM } Cell;

enum { RNN_MAX_T = 4096 }; /* unrolled steps: each adds 4 to 20 nodes per direction */
/* concat_all joins at most 8 values per concat node: the grouping RNN models
 * were compiled with before concat took more operands (same objects) */
enum { RNN_CONCAT_GROUP = 8 };

typedef struct {
	Imp *im;
	Cell cell;
	int G;             /* gates: 1, 3 (z, r, h), 4 (i, o, f, c) */
	int64_t T, B, I, H;
	int nd, reverse, layout, lbr;
	OTensor *W, *R, *Bi, *h0, *c0;
	int xs; /* IR value: X as [T*B, I] */
} Rnn;

/* ---- small builders ------------------------------------------------------ */

static int reshape_to(Imp *im, int v, int rank, const int64_t *d)
{
	Attrs a;
	ir_attrs_default(&a);
	a.nshape = rank;
	memcpy(a.shape, d, (size_t)rank * sizeof *d);
	return oi_emit_tmp(im, OP_RESHAPE, &v, 1, &a);
}

static int transpose_to(Imp *im, int v, int rank, const int64_t *perm)
{
	Attrs a;
	ir_attrs_default(&a);
	a.nperm = rank;
	memcpy(a.perm, perm, (size_t)rank * sizeof *perm);
	return oi_emit_tmp(im, OP_TRANSPOSE, &v, 1, &a);
}

/* v[r0:r1, c0:c1] of a rank-2 value */
static int slice2(Imp *im, int v, int64_t r0, int64_t r1, int64_t c0, int64_t c1)
{
	Attrs a;
	ir_attrs_default(&a);
	a.nstarts = a.nends = a.naxes = a.nsteps = 2;
	a.starts[0] = r0;
	a.ends[0] = r1;
	a.axes[0] = 0;
	a.steps[0] = 1;
	a.starts[1] = c0;
	a.ends[1] = c1;
	a.axes[1] = 1;
	a.steps[1] = 1;
	return oi_emit_tmp(im, OP_SLICE, &v, 1, &a);
}

static int binary(Imp *im, Op op, int a, int b)
{
	int in[2] = {a, b};
	return a < 0 || b < 0 ? -1 : oi_emit_tmp(im, op, in, 2, NULL);
}

static int unary(Imp *im, Op op, int x)
{
	Attrs a;
	ir_attrs_default_op(&a, op);
	return x < 0 ? -1 : oi_emit_tmp(im, op, &x, 1, &a);
}

/* dense(x, w, b): w an IR constant [O, I], b one or -1 */
static int dense(Imp *im, int x, int w, int b)
{
	int in[3] = {x, w, b};
	return x < 0 ? -1 : oi_emit_tmp(im, OP_DENSE, in, b < 0 ? 2 : 3, NULL);
}

/* vals[0..n) joined along axis, in groups of RNN_CONCAT_GROUP */
static int concat_all(Imp *im, int *vals, int n, int axis)
{
	Attrs a;
	ir_attrs_default(&a);
	a.axis = axis;
	while (n > 1) {
		int m = 0;
		for (int i = 0; i < n; i += RNN_CONCAT_GROUP) {
			int k = n - i < RNN_CONCAT_GROUP ? n - i : RNN_CONCAT_GROUP;
			vals[m] = k == 1 ? vals[i] : oi_emit_tmp(im, OP_CONCAT, vals + i, k, &a);
			if (vals[m++] < 0)
				return -1;
		}
		n = m;
	}
	return vals[0];
}

/* An IR constant named "<base>_<what>" holding n floats of data. */
static int const_of(Imp *im, const char *base, const char *what, int rank, const int64_t *d,
                    const float *data)
{
	Shape s = {rank, {0}};
	size_t len = strlen(base) + strlen(what) + 2;
	char *name = ir_xmalloc(len);
	memcpy(s.d, d, (size_t)rank * sizeof *d);
	snprintf(name, len, "%s_%s", base, what);
	int v = oi_new_const(im, name, &s, data);
	free(name);
	return v;
}

static int all_zero(const OTensor *t)
{
	for (int64_t i = 0; i < oi_numel(t); i++)
		if (oi_getf(t, i) != 0)
			return 0;
	return 1;
}

/* ---- attributes and inputs ----------------------------------------------- */

/* activations: absent, or the defaults (per direction) by name */
static int check_activations(Rnn *r)
{
	static const char *const defs[3][3] = {{"Tanh"},
	                                       {"Sigmoid", "Tanh"},
	                                       {"Sigmoid", "Tanh", "Tanh"}};
	const Onnx__AttributeProto *at = oi_attr(r->im, "activations");
	int per = r->cell == CELL_RNN ? 1 : r->cell == CELL_GRU ? 2 : 3;

	if (!at)
		return 0;
	if (at->n_strings != (size_t)(per * r->nd))
		return oi_err(r->im, "activations has %zu names; %d expected", at->n_strings,
		              per * r->nd);
	for (size_t k = 0; k < at->n_strings; k++) {
		char name[64];
		size_t len = at->strings[k].len < sizeof name - 1 ? at->strings[k].len
		                                                  : sizeof name - 1;
		memcpy(name, at->strings[k].data, len);
		name[len] = 0;
		const char *want = defs[r->cell][k % per];
		if (strcasecmp(name, want) != 0)
			return oi_err(
			        r->im,
			        "activation %zu is '%s'; only the defaults (%s) are supported", k,
			        name,
			        per == 1   ? "Tanh"
			        : per == 2 ? "Sigmoid, Tanh"
			                   : "Sigmoid, Tanh, Tanh");
	}
	return 0;
}

static int read_attrs(Rnn *r)
{
	Imp *im = r->im;
	char dir[32] = "forward";
	int64_t hs = -1, lbr = 0, ifg = 0, layout = 0;

	if (oi_attr_str(im, "direction", dir, sizeof dir) < 0 ||
	    oi_attr_int(im, "hidden_size", &hs) < 0 || oi_attr_int(im, "layout", &layout) < 0 ||
	    oi_attr_int(im, "linear_before_reset", &lbr) < 0 ||
	    oi_attr_int(im, "input_forget", &ifg) < 0)
		return -1;
	if (strcmp(dir, "forward") == 0 || strcmp(dir, "reverse") == 0)
		r->nd = 1;
	else if (strcmp(dir, "bidirectional") == 0)
		r->nd = 2;
	else
		return oi_err(im, "direction '%s' is not forward, reverse or bidirectional", dir);
	r->reverse = strcmp(dir, "reverse") == 0;
	if (layout != 0 && layout != 1)
		return oi_err(im, "layout %lld is not 0 or 1", (long long)layout);
	r->layout = (int)layout;
	r->lbr = lbr != 0;
	if (ifg)
		return oi_err(im, "input_forget = %lld is not supported (only 0)", (long long)ifg);
	if (oi_attr(im, "clip"))
		return oi_err(im, "attribute 'clip' (cell clipping) is not supported");
	if (oi_attr(im, "activation_alpha") || oi_attr(im, "activation_beta"))
		return oi_err(im, "activation_alpha and activation_beta are not supported");
	r->H = hs;
	return check_activations(r);
}

/* a constant float input of the given shape */
static int const_input(Rnn *r, int k, const char *what, int rank, const int64_t *d, OTensor **out)
{
	OTensor *t = oi_in(r->im, k);
	*out = t;
	if (!t)
		return 0;
	if (!t->isconst || t->dt != DT_F32)
		return oi_err(r->im, "%s ('%s') must be a constant float tensor", what, t->name);
	int ok = t->shape.rank == rank;
	for (int i = 0; ok && i < rank; i++)
		ok = t->shape.d[i] == d[i];
	if (!ok) {
		char want[96] = "", *p = want;
		for (int i = 0; i < rank; i++)
			p += snprintf(p, (size_t)(want + sizeof want - p), "%s%lld", i ? ", " : "",
			              (long long)d[i]);
		return oi_err(r->im, "%s ('%s') must be [%s]", what, t->name, want);
	}
	return 0;
}

/* An initial state (initial_h, initial_c): absent or all zero (-> NULL),
 * a constant, or a run-time tensor, [nd, B, H] (layout 1: [B, nd, H]). */
static int state_input(Rnn *r, int k, const char *what, OTensor **out)
{
	OTensor *t = oi_in(r->im, k);
	int64_t d[3] = {r->nd, r->B, r->H};
	*out = NULL;
	if (!t)
		return 0;
	if (r->layout) {
		d[0] = r->B;
		d[1] = r->nd;
	}
	const Shape sv = *oi_shape(r->im, t), *s = &sv;
	if (s->rank != 3 || s->d[0] != d[0] || s->d[1] != d[1] || s->d[2] != d[2])
		return oi_err(r->im, "%s ('%s') must be [%lld, %lld, %lld]", what, t->name,
		              (long long)d[0], (long long)d[1], (long long)d[2]);
	if (t->isconst && t->dt != DT_F32)
		return oi_err(r->im, "%s ('%s') must be float", what, t->name);
	if (!t->isconst || !all_zero(t))
		*out = t;
	return 0;
}

static int read_inputs(Rnn *r)
{
	Imp *im = r->im;
	OTensor *x, *sl;
	int64_t d[3];

	if (oi_runtime(im, 0, &x) < 0)
		return -1;
	const Shape xsv = *oi_shape(im, x), *xs = &xsv;
	if (xs->rank != 3)
		return oi_err(im, "X has rank %d; [seq_length, batch, input_size] expected",
		              xs->rank);
	r->T = xs->d[r->layout ? 1 : 0];
	r->B = xs->d[r->layout ? 0 : 1];
	r->I = xs->d[2];
	if (r->T > RNN_MAX_T)
		return oi_err(im, "%lld time steps; quantc unrolls at most %d", (long long)r->T,
		              RNN_MAX_T);
	OTensor *w = oi_in(im, 1);
	if (!w || !w->isconst || w->shape.rank != 3)
		return oi_err(im,
		              "W must be a constant [num_directions, %d*hidden_size, "
		              "input_size]",
		              r->G);
	if (r->H < 0)
		r->H = w->shape.d[1] / r->G;
	if (r->H < 1 || r->H > 1 << 16)
		return oi_err(im, "hidden_size %lld is out of range", (long long)r->H);
	d[0] = r->nd;
	d[1] = r->G * r->H;
	d[2] = r->I;
	if (const_input(r, 1, "W", 3, d, &r->W))
		return -1;
	d[2] = r->H;
	if (const_input(r, 2, "R", 3, d, &r->R))
		return -1;
	if (!r->R)
		return oi_err(im, "R (input 2) is missing");
	d[1] = 2 * r->G * r->H;
	if (const_input(r, 3, "B", 2, d, &r->Bi))
		return -1;
	if ((sl = oi_in(im, 4))) {
		if (!sl->isconst)
			return oi_err(im, "sequence_lens must be a constant (every sequence of "
			                  "length seq_length)");
		for (int64_t i = 0; i < oi_numel(sl); i++)
			if (oi_geti(sl, i) != r->T)
				return oi_err(
				        im,
				        "sequence_lens[%lld] = %lld; only sequences of the full "
				        "length %lld are supported",
				        (long long)i, (long long)oi_geti(sl, i), (long long)r->T);
	}
	if (state_input(r, 5, "initial_h", &r->h0))
		return -1;
	if (r->cell == CELL_LSTM) {
		if (state_input(r, 6, "initial_c", &r->c0))
			return -1;
		if (oi_in(im, 7))
			return oi_err(im, "peepholes (input P) are not supported");
	}
	/* X as [T*B, I]: time-major rows (layout 1 is batch-major) */
	int64_t d2[2] = {r->T * r->B, r->I}, perm[3] = {1, 0, 2};
	r->xs = x->v;
	if (r->layout && r->B > 1 && (r->xs = transpose_to(im, r->xs, 3, perm)) < 0)
		return -1;
	return (r->xs = reshape_to(im, r->xs, 2, d2)) < 0 ? -1 : 0;
}

/* Direction dir's initial state from t as an IR value [B, H], or -1 for a
 * zero one (sets *err on failure). */
static int initial_state(Rnn *r, OTensor *t, int dir, int *err)
{
	Imp *im = r->im;
	int64_t d2[2] = {r->B, r->H};

	if (!t)
		return -1;
	if (t->isconst) {
		float *buf = ir_xmalloc((size_t)(r->B * r->H) * sizeof *buf);
		for (int64_t b = 0; b < r->B; b++)
			for (int64_t h = 0; h < r->H; h++) {
				int64_t i = r->layout ? (b * r->nd + dir) * r->H + h
				                      : (dir * r->B + b) * r->H + h;
				buf[b * r->H + h] = (float)oi_getf(t, i);
			}
		int v = const_of(im, t->name, dir ? "reverse" : "forward", 2, d2, buf);
		free(buf);
		return v;
	}
	int v = t->v;
	if (r->nd > 1) {
		/* the direction's [1, B, H] (layout 1: [B, 1, H]) */
		Attrs a;
		ir_attrs_default(&a);
		a.nstarts = a.nends = a.naxes = a.nsteps = 1;
		a.starts[0] = dir;
		a.ends[0] = dir + 1;
		a.axes[0] = r->layout ? 1 : 0;
		a.steps[0] = 1;
		v = oi_emit_tmp(im, OP_SLICE, &v, 1, &a);
	}
	if (v >= 0)
		v = reshape_to(im, v, 2, d2);
	if (v < 0)
		*err = 1;
	return v;
}

/* ---- one direction ------------------------------------------------------- */

/* The per-direction constants: W_d [G*H, I] and its bias (the biases outside
 * the gate products) go into one dense over all steps; R_d's gates [H, H]
 * and GRU's Rb_h (linear_before_reset: it multiplies with r) are IR
 * constants made once and read by every step (the quantize pass quantizes
 * a weight that several layers share once; each layer gets its own bias). */
typedef struct {
	int xw;    /* dense(X, W_d, bias): [T*B, G*H] */
	int rg[4]; /* R_d's gate g: an IR constant [H, H] */
	int rbh;   /* Rb_h [H], or -1 (no bias, or all zero) */
} Dir;

/* R_d's gate g, or Rb_h (g = -1; -1 if it is zero) */
static int rconst(const Dir *o, int g)
{
	return g < 0 ? o->rbh : o->rg[g];
}

static int direction_consts(Rnn *r, int dir, Dir *o)
{
	Imp *im = r->im;
	int64_t GH = r->G * r->H, H = r->H;
	const float *w = (const float *)r->W->data + dir * GH * r->I;
	const float *rd = (const float *)r->R->data + dir * GH * H;
	float *bias = ir_xcalloc((size_t)GH, sizeof *bias);
	float *rbh = ir_xcalloc((size_t)H, sizeof *rbh);
	const char *base = dir ? "reverse" : "forward";
	int has_rbh = 0, rc = -1;
	char what[64];

	if (r->Bi) {
		const float *wb = (const float *)r->Bi->data + dir * 2 * GH, *rb = wb + GH;
		for (int64_t i = 0; i < GH; i++) {
			/* GRU's h gate with linear_before_reset: Rb_h stays inside r * (...) */
			if (r->cell == CELL_GRU && r->lbr && i >= 2 * H) {
				bias[i] = wb[i];
				rbh[i - 2 * H] = rb[i];
				has_rbh |= rb[i] != 0;
			} else
				bias[i] = wb[i] + rb[i];
		}
	}
	int64_t dw[2] = {GH, r->I}, db[1] = {GH}, dr[2] = {H, H}, dh[1] = {H};
	o->rbh = -1;
	for (int g = 0; g < r->G; g++) {
		snprintf(what, sizeof what, "%s_%d", base, g);
		if ((o->rg[g] = const_of(im, r->R->name, what, 2, dr, rd + g * H * H)) < 0)
			goto out;
	}
	snprintf(what, sizeof what, "%s_rbh", base);
	if (has_rbh && (o->rbh = const_of(im, r->Bi->name, what, 1, dh, rbh)) < 0)
		goto out;
	snprintf(what, sizeof what, "%s_bias", base);
	int wv = const_of(im, r->W->name, base, 2, dw, w);
	int bv = r->Bi ? const_of(im, r->Bi->name, what, 1, db, bias) : -1;
	o->xw = dense(im, r->xs, wv, bv);
	rc = o->xw < 0 ? -1 : 0;
out:
	free(bias);
	free(rbh);
	return rc;
}

/* gate g's pre-activation at step t: x_t W_g^T (+ biases) + h R_g^T */
static int gate(Rnn *r, const Dir *o, int g, int64_t t, int h)
{
	int x = slice2(r->im, o->xw, t * r->B, (t + 1) * r->B, g * r->H, (g + 1) * r->H);
	return h < 0 ? x : binary(r->im, OP_ADD, x, dense(r->im, h, rconst(o, g), -1));
}

/* One GRU step: z = σ(.), r = σ(.), n = tanh(x_h + r * (h R_h^T + Rb_h))
 * (linear_before_reset) or tanh(x_h + (r * h) R_h^T), h' = n + z * (h - n)
 * (= (1 - z) * n + z * h; with h zero: n - z * n). */
static int gru_step(Rnn *r, const Dir *o, int64_t t, int h)
{
	Imp *im = r->im;
	int z = unary(im, OP_SIGMOID, gate(r, o, 0, t, h));
	int rs = unary(im, OP_SIGMOID, gate(r, o, 1, t, h));
	int xh = slice2(im, o->xw, t * r->B, (t + 1) * r->B, 2 * r->H, 3 * r->H);
	int inner = -1;
	if (r->lbr && (h >= 0 || o->rbh >= 0)) {
		int hr = h >= 0 ? dense(im, h, rconst(o, 2), rconst(o, -1)) : rconst(o, -1);
		if ((inner = binary(im, OP_MUL, rs, hr)) < 0)
			return -1;
	} else if (!r->lbr && h >= 0) {
		if ((inner = dense(im, binary(im, OP_MUL, rs, h), rconst(o, 2), -1)) < 0)
			return -1;
	}
	int n = unary(im, OP_TANH, inner >= 0 ? binary(im, OP_ADD, xh, inner) : xh);
	if (h < 0)
		return binary(im, OP_SUB, n, binary(im, OP_MUL, z, n));
	return binary(im, OP_ADD, n, binary(im, OP_MUL, z, binary(im, OP_SUB, h, n)));
}

/* One LSTM step: i, o, f = σ(.), g = tanh(.), c' = f * c + i * g,
 * h' = o * tanh(c') (with c zero: c' = i * g).  Returns h', sets *c. */
static int lstm_step(Rnn *r, const Dir *o, int64_t t, int h, int *c)
{
	Imp *im = r->im;
	int i = unary(im, OP_SIGMOID, gate(r, o, 0, t, h));
	int og = unary(im, OP_SIGMOID, gate(r, o, 1, t, h));
	int f = *c >= 0 ? unary(im, OP_SIGMOID, gate(r, o, 2, t, h)) : -1;
	int g = unary(im, OP_TANH, gate(r, o, 3, t, h));
	int ig = binary(im, OP_MUL, i, g);
	*c = *c >= 0 ? binary(im, OP_ADD, binary(im, OP_MUL, f, *c), ig) : ig;
	return binary(im, OP_MUL, og, unary(im, OP_TANH, *c));
}

/* Runs direction dir over the T steps: hs[t] = its hidden state after
 * input t (in time order, whichever way it runs); *hl, *cl the last. */
static int run_direction(Rnn *r, int dir, int *hs, int *hl, int *cl)
{
	Dir o;
	int err = 0;
	int h = initial_state(r, r->h0, dir, &err);
	int c = initial_state(r, r->c0, dir, &err);
	int back = r->reverse || dir == 1;

	if (err || direction_consts(r, dir, &o))
		return -1;
	for (int64_t s = 0; s < r->T; s++) {
		int64_t t = back ? r->T - 1 - s : s;
		if (r->cell == CELL_GRU)
			h = gru_step(r, &o, t, h);
		else if (r->cell == CELL_LSTM)
			h = lstm_step(r, &o, t, h, &c);
		else
			h = unary(r->im, OP_TANH, gate(r, &o, 0, t, h));
		if (h < 0)
			return -1;
		hs[t] = h;
	}
	*hl = h;
	*cl = c;
	return 0;
}

/* ---- outputs ------------------------------------------------------------- */

/* Output k as IR value v (already its final shape) */
static int define_out(Imp *im, int k, int v)
{
	return v < 0 ? -1 : oi_def_value(im, k, v);
}

/* Y: [T, nd, B, H] (layout 1: [B, T, nd, H]) from hs[dir][t] */
static int output_y(Rnn *r, int **hs)
{
	Imp *im = r->im;
	int per[2];
	int64_t d4[4] = {1, 1, r->B, r->H}, perm[4] = {2, 0, 1, 3};

	for (int dir = 0; dir < r->nd; dir++) {
		int *v = ir_xmalloc((size_t)r->T * sizeof *v);
		for (int64_t t = 0; t < r->T; t++)
			if ((v[t] = reshape_to(im, hs[dir][t], 4, d4)) < 0) {
				free(v);
				return -1;
			}
		per[dir] = concat_all(im, v, (int)r->T, 0);
		free(v);
		if (per[dir] < 0)
			return -1;
	}
	int y = concat_all(im, per, r->nd, 1);
	if (y >= 0 && r->layout)
		y = r->B == 1 ? reshape_to(im, y, 4, (int64_t[4]){1, r->T, r->nd, r->H})
		              : transpose_to(im, y, 4, perm);
	return define_out(im, 0, y);
}

/* Y_h, Y_c: [nd, B, H] (layout 1: [B, nd, H]) from each direction's last */
static int output_last(Rnn *r, int k, const int *last)
{
	int64_t d3[3] = {1, r->B, r->H};
	int v[2];

	if (r->layout) {
		d3[0] = r->B;
		d3[1] = 1;
	}
	for (int dir = 0; dir < r->nd; dir++)
		if ((v[dir] = reshape_to(r->im, last[dir], 3, d3)) < 0)
			return -1;
	return define_out(r->im, k, concat_all(r->im, v, r->nd, r->layout ? 1 : 0));
}

static int wanted(Imp *im, int k)
{
	return k < oi_nout(im) && im->node->output[k] && *im->node->output[k];
}

static int lower_recurrent(Imp *im, Cell cell)
{
	static const int gates[3] = {1, 3, 4};
	Rnn r = {.im = im, .cell = cell, .G = gates[cell]};
	int *hs[2] = {NULL, NULL}, hl[2], cl[2], rc = -1;

	if (read_attrs(&r) || read_inputs(&r))
		return -1;
	for (int dir = 0; dir < r.nd; dir++) {
		hs[dir] = ir_xmalloc((size_t)r.T * sizeof **hs);
		if (run_direction(&r, dir, hs[dir], &hl[dir], &cl[dir]))
			goto out;
	}
	if ((wanted(im, 0) && output_y(&r, hs)) || (wanted(im, 1) && output_last(&r, 1, hl)) ||
	    (cell == CELL_LSTM && wanted(im, 2) && output_last(&r, 2, cl)))
		goto out;
	rc = 0;
out:
	free(hs[0]);
	free(hs[1]);
	return rc;
}

int oi_lower_rnn(Imp *im)
{
	return lower_recurrent(im, CELL_RNN);
}

int oi_lower_gru(Imp *im)
{
	return lower_recurrent(im, CELL_GRU);
}

int oi_lower_lstm(Imp *im)
{
	return lower_recurrent(im, CELL_LSTM);
}
