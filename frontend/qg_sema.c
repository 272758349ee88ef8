/* frontend/qg_sema.c — the semantic half of the .qg reader.
 *
 * parser.y reads a statement into the records of qg.h; the pu_* statement
 * functions here check it against the op table and the types, report what
 * is wrong (naming the value, at the offending token), and add what is
 * right to the graph.  A statement with an error still defines its name, so
 * one mistake does not cascade into "undefined name" everywhere; the graph
 * of a file with errors is thrown away (qg_read.c).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qg.h"

static const int64_t MAX_NUMEL = (int64_t)1 << 31; /* elements of one tensor */
static const int64_t MAX_OFFSET = (int64_t)1 << 48;

/* ---- numbers ----------------------------------------------------------------- */

enum { NUM_OK, NUM_NOT_INT, NUM_RANGE };

/* An integer literal (no '.', no exponent) that fits int64. */
static int num_int(const Num *x, int64_t *out)
{
	char *end;

	if (strpbrk(x->text, ".eE"))
		return NUM_NOT_INT;
	errno = 0;
	long long v = strtoll(x->text, &end, 10);
	if (errno == ERANGE || *end)
		return NUM_RANGE;
	*out = v;
	return NUM_OK;
}

/* A float, read directly as f32 (reading a double first could round twice,
 * and "%.9g" dumps must come back bit for bit).  Only overflow fails. */
static int num_f32(const Num *x, float *out)
{
	float f = strtof(x->text, NULL);
	if (isinf(f) || isnan(f))
		return 0;
	*out = f;
	return 1;
}

/* The integers dt can hold (zero points of f32 values are i32 in range). */
static void int_limits(DType dt, int64_t *lo, int64_t *hi)
{
	switch (dt) {
	case DT_I8:
		*lo = INT8_MIN;
		*hi = INT8_MAX;
		break;
	case DT_I16:
		*lo = INT16_MIN;
		*hi = INT16_MAX;
		break;
	case DT_U8:
		*lo = 0;
		*hi = UINT8_MAX;
		break;
	case DT_I64:
		*lo = INT64_MIN;
		*hi = INT64_MAX;
		break;
	default:
		*lo = INT32_MIN;
		*hi = INT32_MAX;
		break;
	}
}

/* Reads x as an integer in [lo, hi]; reports "vname: what ..." otherwise. */
static int want_int(ParseCtx *pc, const Num *x, int64_t lo, int64_t hi, const char *vname,
                    const char *what, int64_t *out)
{
	int r = num_int(x, out);

	if (r == NUM_NOT_INT)
		pu_error(pc, x->loc, "%s: %s must be an integer, not '%s'", vname, what, x->text);
	else if (r == NUM_RANGE || *out < lo || *out > hi)
		pu_error(pc, x->loc, "%s: %s %s is out of range [%lld, %lld]", vname, what, x->text,
		         (long long)lo, (long long)hi);
	else
		return 1;
	return 0;
}

static int want_f32(ParseCtx *pc, const Num *x, const char *vname, const char *what, float *out)
{
	if (num_f32(x, out))
		return 1;
	pu_error(pc, x->loc, "%s: %s '%s' is not a finite f32", vname, what, x->text);
	return 0;
}

/* ---- names ------------------------------------------------------------------- */

static int is_broken(ParseCtx *pc, const char *s)
{
	for (int i = 0; i < pc->broken.n; i++)
		if (strcmp(pc->broken.v[i].s, s) == 0)
			return 1;
	return 0;
}

static void mark_broken(ParseCtx *pc, Name n)
{
	NameList *broken = &pc->broken;

	if (!is_broken(pc, n.s))
		PU_APPEND(pc, broken, n);
}

/* A new value called n; -1 (reported) if the name is taken. */
static int define(ParseCtx *pc, Name n, ValueKind k)
{
	int v = ir_value_find(pc->g, n.s);

	if (v >= 0) {
		pu_error(pc, n.loc, "duplicate name '%s'", n.s);
		diag_note(pc->d, pc->g->vals[v].loc, "'%s' was first defined here", n.s);
		return -1;
	}
	return ir_value_new(pc->g, n.s, k, n.loc);
}

/* The value an operand or output names; -1 if there is none (reported,
 * unless the name belongs to a statement that already had a syntax error). */
static int use(ParseCtx *pc, Name n)
{
	int v = ir_value_find(pc->g, n.s);

	if (v < 0 && !is_broken(pc, n.s)) {
		IrSuggest sg;
		ir_suggest_init(&sg, n.s);
		for (int i = 0; i < pc->g->nval; i++)
			ir_suggest_add(&sg, pc->g->vals[i].name);
		if (sg.best)
			pu_error(pc, n.loc, "undefined name '%s'; did you mean '%s'?", n.s,
			         sg.best);
		else
			pu_error(pc, n.loc, "undefined name '%s'", n.s);
	}
	return v;
}

/* After a syntax error the parser resynchronizes on a name, which may be an
 * operand in the middle of the broken statement: a "statement" that starts
 * on the line of the error, after it or at it (unless the error was at the
 * line's first token), is a fragment, not the user's. */
static int fragment(ParseCtx *pc, Loc start, const Name *defines)
{
	Loc e = pc->err_loc;

	pc->pending.s = NULL;
	if (e.line && start.line == e.line &&
	    (start.col > e.col || (start.col == e.col && !pc->err_bol))) {
		if (defines)
			mark_broken(pc, *defines);
		return 1;
	}
	return 0;
}

void pu_pending(ParseCtx *pc, Name name)
{
	pc->pending = name;
}

void pu_syntax_error(ParseCtx *pc, Loc loc, const char *msg)
{
	pu_error(pc, loc, "%s", msg);
	pc->err_loc = loc;
	pc->err_bol = pc->tok_bol;
	if (pc->pending.s)
		mark_broken(pc, pc->pending);
	pc->pending.s = NULL;
}

/* ---- types, quantization, decorations ------------------------------------------ */

/* type : IDENT '[' INT (',' INT)* ']' */
static int check_type(ParseCtx *pc, const char *vname, const TypeAst *t, DType *dt, Shape *sh)
{
	int rank = t->dims ? t->dims->n : 0, ok = 1, big = 0;
	int64_t numel = 1;

	*dt = ir_dtype_from_name(t->dtype.s);
	if (*dt == DT_NONE) {
		pu_error(pc, t->dtype.loc,
		         "%s: unknown dtype '%s' (expected f32, i8, i16, i32, i64 or u8)", vname,
		         t->dtype.s);
		ok = 0;
	}
	if (rank > IR_MAX_RANK) {
		pu_error(pc, t->dims->v[IR_MAX_RANK].loc, "%s: rank %d is more than %d", vname,
		         rank, IR_MAX_RANK);
		return 0;
	}
	memset(sh, 0, sizeof *sh);
	sh->rank = rank;
	for (int i = 0; i < rank; i++) {
		const Num *x = &t->dims->v[i];
		if (num_int(x, &sh->d[i]) != NUM_OK || sh->d[i] < 1) {
			pu_error(pc, x->loc, "%s: a dimension must be an integer >= 1, not '%s'",
			         vname, x->text);
			ok = 0;
			continue;
		}
		if (!ir_mul_ok(numel, sh->d[i], &numel))
			big = 1;
	}
	if (ok && (big || numel > MAX_NUMEL)) {
		char buf[160];
		pu_error(pc, t->dtype.loc, "%s: shape %s has more than 2^31 elements", vname,
		         ir_shape_str(sh, buf, sizeof buf));
		ok = 0;
	} else if (ok && numel * ir_dtype_size(*dt) > IR_MAX_TENSOR_BYTES) {
		char buf[160];
		pu_error(pc, t->dtype.loc,
		         "%s: %s%s has %lld bytes, more than the 2 GiB a tensor may "
		         "have (docs/limits.md)",
		         vname, t->dtype.s, ir_shape_str(sh, buf, sizeof buf),
		         (long long)(numel * ir_dtype_size(*dt)));
		ok = 0;
	}
	return ok;
}

/* qparams : 'q' '(' qitem (',' qitem)* ')'
 * qitem   : scale = NUM | scale = '[' NUM, ... ']' | zp = INT | axis = INT
 *         | bits = 16 (an int16 pin on an f32 value: TFLite's 16x8 scheme) */
static int check_q(ParseCtx *pc, int v, const QAst *q)
{
	Value *val = &pc->g->vals[v];
	const char *vname = val->name;
	const QItem *scale = NULL, *zp = NULL, *axis = NULL, *bits = NULL;
	int64_t z = 0, ax = -1, lo, hi, nb = 8;
	int ok = 1;

	for (int i = 0; i < q->n; i++) {
		const QItem *it = &q->v[i];
		const QItem **slot = strcmp(it->key.s, "scale") == 0  ? &scale
		                     : strcmp(it->key.s, "zp") == 0   ? &zp
		                     : strcmp(it->key.s, "axis") == 0 ? &axis
		                     : strcmp(it->key.s, "bits") == 0 ? &bits
		                                                      : NULL;
		if (!slot) {
			pu_error(pc, it->key.loc,
			         "%s: unknown q parameter '%s' (expected scale, zp, axis or bits)",
			         vname, it->key.s);
			ok = 0;
		} else if (*slot) {
			pu_error(pc, it->key.loc, "%s: q parameter '%s' given twice", vname,
			         it->key.s);
			ok = 0;
		} else if (slot != &scale && it->list) {
			pu_error(pc, it->list->loc, "%s: q parameter '%s' takes one integer", vname,
			         it->key.s);
			ok = 0;
		} else {
			*slot = it;
		}
	}
	if (!ok)
		return 0;
	if (!scale) {
		pu_error(pc, q->loc, "%s: q(...) needs a scale", vname);
		return 0;
	}
	int_limits(val->dt, &lo, &hi);
	if (zp && !want_int(pc, &zp->num, lo > INT32_MIN ? lo : INT32_MIN,
	                    hi < INT32_MAX ? hi : INT32_MAX, vname, "zero point", &z))
		ok = 0;
	if (axis && !want_int(pc, &axis->num, 0, val->shape.rank - 1, vname, "q axis", &ax))
		return 0;
	if (bits && !want_int(pc, &bits->num, 8, 16, vname, "q bits", &nb))
		return 0;
	if (bits && nb != 8 && nb != 16) {
		pu_error(pc, bits->num.loc, "%s: q bits is 8 or 16, not %lld", vname,
		         (long long)nb);
		return 0;
	}
	if (nb == 16 && (val->dt != DT_F32 || axis || z != 0)) {
		pu_error(pc, bits->num.loc,
		         "%s: bits=16 pins an f32 value per tensor with zero point 0", vname);
		return 0;
	}
	if (!axis && scale->list) {
		pu_error(pc, scale->list->loc,
		         "%s: a list of scales needs an axis (per-channel "
		         "quantization)",
		         vname);
		return 0;
	}
	if (axis && !scale->list) {
		pu_error(pc, scale->num.loc,
		         "%s: per-channel quantization (axis=%lld) needs a list "
		         "of scales",
		         vname, (long long)ax);
		return 0;
	}
	if (axis && z != 0) {
		pu_error(pc, zp->num.loc, "%s: per-channel quantization has zero point 0", vname);
		return 0;
	}
	int n = scale->list ? scale->list->n : 1;
	const Num *nums = scale->list ? scale->list->v : &scale->num;
	if (axis && n != val->shape.d[ax]) {
		char buf[160];
		pu_error(pc, scale->list->loc,
		         "%s: %d scales given, but dimension %lld of %s is %lld", vname, n,
		         (long long)ax, ir_shape_str(&val->shape, buf, sizeof buf),
		         (long long)val->shape.d[ax]);
		return 0;
	}
	float *s = pu_alloc(pc, (size_t)n * sizeof *s);
	for (int i = 0; i < n && ok; i++)
		if (!num_f32(&nums[i], &s[i]) || !(s[i] > 0)) {
			pu_error(pc, nums[i].loc, "%s: scale must be positive and finite, not '%s'",
			         vname, nums[i].text);
			ok = 0;
		}
	if (!ok)
		return 0;
	if (axis)
		ir_set_qparams_axis(pc->g, v, (int)ax, n, s);
	else
		ir_set_qparams(pc->g, v, s[0], (int32_t)z);
	val->q.i16 = nb == 16;
	return 1;
}

/* ':' type qparams? */
static int apply_typeq(ParseCtx *pc, int v, const TypeQ *tq)
{
	DType dt;
	Shape sh;

	if (!check_type(pc, pc->g->vals[v].name, tq->type, &dt, &sh))
		return 0;
	Value *val = &pc->g->vals[v];
	val->has_type = 1;
	val->dt = dt;
	val->shape = sh;
	return tq->q ? check_q(pc, v, tq->q) : 1;
}

/* range / calib / clip : '[' NUM ',' NUM ']' */
static int check_pair(ParseCtx *pc, const char *vname, const Pair *p, const char *what,
                      float out[2])
{
	if (!want_f32(pc, &p->lo, vname, what, &out[0]) ||
	    !want_f32(pc, &p->hi, vname, what, &out[1]))
		return 0;
	if (out[0] > out[1]) {
		pu_error(pc, p->loc, "%s: %s [%s, %s] is empty (low bound above high bound)", vname,
		         what, p->lo.text, p->hi.text);
		return 0;
	}
	return 1;
}

/* range? calib? clip? offset? */
static int apply_decor(ParseCtx *pc, int v, const Decor *dc)
{
	Value *val = &pc->g->vals[v];
	int ok = 1;

	if (dc->range) {
		if (check_pair(pc, val->name, dc->range, "range", val->range))
			val->has_range = 1;
		else
			ok = 0;
	}
	if (dc->calib) {
		if (check_pair(pc, val->name, dc->calib, "calib", val->calib))
			val->has_calib = 1;
		else
			ok = 0;
	}
	if (dc->clip) {
		if (check_pair(pc, val->name, dc->clip, "clip", val->clip))
			val->has_clip = 1;
		else
			ok = 0;
	}
	if (dc->offset) {
		if (!want_int(pc, dc->offset, 0, MAX_OFFSET, val->name, "offset", &val->offset)) {
			val->offset = -1;
			ok = 0;
		} else if (!val->has_type) {
			pu_error(pc, dc->offset->loc,
			         "%s: an @offset needs a type (': dtype[dims]')", val->name);
			ok = 0;
		}
	}
	return ok;
}

/* ---- constant data ------------------------------------------------------------------ */

/* init : '[' NUM (',' NUM)* ']' */
static void *inline_data(ParseCtx *pc, const Value *val, const NumList *l)
{
	int64_t numel = ir_shape_numel(&val->shape), lo, hi;
	char buf[160];

	if (l->n != numel) {
		pu_error(pc, l->loc, "%s: %d value%s given, %s%s needs %lld", val->name, l->n,
		         l->n == 1 ? "" : "s", ir_dtype_name(val->dt),
		         ir_shape_str(&val->shape, buf, sizeof buf), (long long)numel);
		return NULL;
	}
	unsigned char *data = ir_alloc(pc->g, (size_t)numel * (size_t)ir_dtype_size(val->dt));
	int_limits(val->dt, &lo, &hi);
	for (int64_t i = 0; i < numel; i++) {
		const Num *x = &l->v[i];
		float f;
		int64_t k;
		if (val->dt == DT_F32) {
			if (!want_f32(pc, x, val->name, "value", &f))
				return NULL;
			memcpy(data + 4 * i, &f, 4);
			continue;
		}
		if (!want_int(pc, x, lo, hi, val->name, ir_dtype_name(val->dt), &k))
			return NULL;
		switch (val->dt) {
		case DT_I8: ((int8_t *)data)[i] = (int8_t)k; break;
		case DT_U8: ((uint8_t *)data)[i] = (uint8_t)k; break;
		case DT_I16: ((int16_t *)data)[i] = (int16_t)k; break;
		case DT_I32: ((int32_t *)data)[i] = (int32_t)k; break;
		case DT_I64: ((int64_t *)data)[i] = k; break;
		default: ICE("dtype %d", val->dt);
		}
	}
	return data;
}

/* init : 'npy' '(' STRING ')' — the path is relative to the .qg file */
static void *npy_data(ParseCtx *pc, const Value *val, Name path)
{
	NpyArray a;
	char b1[160], b2[160];
	/* a bare file name is shown as written (the folder is then ".") */
	char *full = fe_model_path(pc->dir, path.s, "npy path", pc->d, path.loc);

	if (!full)
		return NULL;
	int rc = ir_npy_read(pc->dir[0] || path.s[0] == '/' ? full : path.s, &a, pc->d, path.loc);
	free(full);
	if (rc)
		return NULL;
	void *data = NULL;
	if (a.dt != val->dt || !ir_shape_eq(&a.shape, &val->shape))
		pu_error(pc, path.loc, "%s: npy file has %s %s, declared %s%s", val->name,
		         a.dt != val->dt ? "dtype" : "shape",
		         a.dt != val->dt ? ir_dtype_name(a.dt)
		                         : ir_shape_str(&a.shape, b1, sizeof b1),
		         ir_dtype_name(val->dt), ir_shape_str(&val->shape, b2, sizeof b2));
	else
		data = memcpy(ir_alloc(pc->g, (size_t)ir_value_bytes(val)), a.data,
		              (size_t)ir_value_bytes(val));
	ir_npy_free(&a);
	return data;
}

/* ---- statements -------------------------------------------------------------------- */

/* file : 'model' IDENT stmt* */
void pu_model(ParseCtx *pc, Name name)
{
	pc->g->name = ir_strdup(pc->g, name.s);
}

void pu_model_opt(ParseCtx *pc, Name key, Name value)
{
	if (strcmp(key.s, "requant") != 0)
		pu_error(pc, key.loc, "unknown model setting '%s' (expected requant)", key.s);
	else if (strcmp(value.s, "float") == 0 || strcmp(value.s, "fixed") == 0)
		pc->g->requant_float = value.s[1] == 'l';
	else
		pu_error(pc, value.loc, "requant must be fixed or float, not '%s'", value.s);
}

void pu_no_model(ParseCtx *pc)
{
	if (pc->ntokens == 0)
		pu_error(pc, loc_file(pc->file), "empty file: expected 'model NAME'");
	else
		pu_error(pc, pc->first_loc, "expected 'model NAME' before the first statement");
}

/* stmt : 'input' IDENT ':' type qparams? range? calib? clip? offset? */
void pu_input(ParseCtx *pc, Loc start, Name name, TypeQ *tq, Decor *dc)
{
	if (fragment(pc, start, &name))
		return;
	int v = define(pc, name, VK_INPUT);
	if (v < 0)
		return;
	if (apply_typeq(pc, v, tq))
		apply_decor(pc, v, dc);
	ir_add_input(pc->g, v);
}

/* stmt : 'const' IDENT ':' type qparams? '=' init */
void pu_const(ParseCtx *pc, Loc start, Name name, TypeQ *tq, InitAst *init)
{
	if (fragment(pc, start, &name))
		return;
	int v = define(pc, name, VK_CONST);
	if (v < 0 || !apply_typeq(pc, v, tq))
		return;
	Value *val = &pc->g->vals[v];
	int64_t bytes = ir_value_bytes(val);
	char b[160];
	pc->const_bytes += bytes; /* each at most 2 GiB: no overflow */
	if (pc->const_bytes > IR_MAX_CONST_BYTES && !pc->const_over) {
		pc->const_over = 1;
		pu_error(pc, name.loc,
		         "%s: %s%s brings the model's constants to %lld bytes, more than the "
		         "2 GiB (%lld bytes) they may have together (docs/limits.md)",
		         val->name, ir_dtype_name(val->dt), ir_shape_str(&val->shape, b, sizeof b),
		         (long long)pc->const_bytes, (long long)IR_MAX_CONST_BYTES);
	}
	if (init->npy.s) {
		ir_vgrow((void **)&pc->npy, &pc->capnpy, pc->nnpy, sizeof *pc->npy);
		pc->npy[pc->nnpy].v = v;
		pc->npy[pc->nnpy++].path = init->npy;
		return;
	}
	if (!pc->const_over)
		pc->g->vals[v].data = inline_data(pc, val, init->vals);
}

static int attr_index(const char *s)
{
	for (int i = 0; i < AI_COUNT; i++)
		if (strcmp(ir_attrs[i].name, s) == 0)
			return i;
	return -1;
}

/* Where the integers of attribute ai live. */
static int64_t *attr_ints(Attrs *a, int ai)
{
	switch (ai) {
	case AI_STRIDE: return a->stride;
	case AI_PAD: return a->pad;
	case AI_DILATION: return a->dilation;
	case AI_KERNEL: return a->kernel;
	case AI_GROUPS: return &a->groups;
	case AI_AXIS: return &a->axis;
	case AI_SHAPE: return a->shape;
	case AI_COUNT_PAD: return &a->count_pad;
	case AI_PERM: return a->perm;
	case AI_PADS: return a->pads;
	case AI_POOL: return a->pool;
	case AI_POOL_STRIDE: return a->pool_stride;
	case AI_POOL_PAD: return a->pool_pad;
	case AI_POOL_DILATION: return a->pool_dilation;
	case AI_STARTS: return a->starts;
	case AI_ENDS: return a->ends;
	case AI_AXES: return a->axes;
	case AI_STEPS: return a->steps;
	case AI_MODE: return &a->mode;
	case AI_COORD: return &a->coord;
	case AI_KEEPDIMS: return &a->keepdims;
	case AI_PAD_MODE: return &a->pad_mode;
	default: return NULL;
	}
}

/* Where the f32 of attribute ai lives. */
static float *attr_f32(Attrs *a, int ai)
{
	switch (ai) {
	case AI_ALPHA: return &a->alpha;
	case AI_BETA: return &a->beta;
	case AI_MIN: return &a->min;
	case AI_MAX: return &a->max;
	case AI_VALUE: return &a->value;
	default: ICE("attribute %d is not an f32", ai);
	}
}

/* alpha = 0.2: one number, read as f32 exactly as the printer wrote it. */
static int apply_f32_attr(ParseCtx *pc, const char *vname, Attrs *a, int ai, const AttrAst *at)
{
	if (at->kind != AV_NUM) {
		pu_error(pc, at->key.loc, "%s: '%s' takes one number", vname, at->key.s);
		return 0;
	}
	return want_f32(pc, &at->num, vname, at->key.s, attr_f32(a, ai));
}

/* scratch = [OFF,BYTES] (any op): the kernel's arena scratch that a planned
 * dump records (plan-memory) */
static int apply_scratch(ParseCtx *pc, const char *vname, Attrs *a, const AttrAst *at)
{
	if (at->kind != AV_LIST || !at->list || at->list->n != 2) {
		pu_error(pc, at->key.loc, "%s: scratch takes [offset,bytes]", vname);
		return 0;
	}
	if (!want_int(pc, &at->list->v[0], 0, MAX_OFFSET, vname, "scratch offset",
	              &a->scratch[0]) ||
	    !want_int(pc, &at->list->v[1], 0, MAX_OFFSET, vname, "scratch bytes", &a->scratch[1]))
		return 0;
	if (a->scratch[0] % IR_ALIGN) {
		pu_error(pc, at->list->v[0].loc, "%s: scratch offset %lld is not a multiple of %d",
		         vname, (long long)a->scratch[0], IR_ALIGN);
		return 0;
	}
	return 1;
}

/* layout = nchw | nhwc (any op of a rank-4 result): how the target stores
 * it (choose-layout) */
static int apply_layout(ParseCtx *pc, const char *vname, Attrs *a, const AttrAst *at)
{
	if (at->kind == AV_IDENT && strcmp(at->ident.s, "nchw") == 0)
		a->layout = IR_LAYOUT_NCHW;
	else if (at->kind == AV_IDENT && strcmp(at->ident.s, "nhwc") == 0)
		a->layout = IR_LAYOUT_NHWC;
	else {
		pu_error(pc, at->key.loc, "%s: layout takes nchw or nhwc", vname);
		return 0;
	}
	return 1;
}

/* attrs : '{' IDENT '=' aval (',' IDENT '=' aval)* '}'
 * aval  : INT | '[' INT (',' INT)* ']' | IDENT */
static int apply_attrs(ParseCtx *pc, const char *vname, Op op, Attrs *a, const AttrList *l)
{
	const OpInfo *oi = &ir_ops[op];
	unsigned seen = 0;
	int ok = 1;

	for (int i = 0; i < l->n; i++) {
		const AttrAst *at = &l->v[i];
		if (strcmp(at->key.s, "scratch") == 0) {
			ok &= apply_scratch(pc, vname, a, at);
			continue;
		}
		if (strcmp(at->key.s, "layout") == 0) {
			ok &= apply_layout(pc, vname, a, at);
			continue;
		}
		int ai = attr_index(at->key.s);
		if (ai < 0 || !(oi->attrs & (1u << ai))) {
			/* the nearest attribute this op has */
			IrSuggest sg;
			ir_suggest_init(&sg, at->key.s);
			for (int k = 0; k < AI_COUNT; k++)
				if (oi->attrs & (1u << k))
					ir_suggest_add(&sg, ir_attrs[k].name);
			char hint[96] = "";
			if (sg.best)
				snprintf(hint, sizeof hint, "; did you mean '%s'?", sg.best);
			if (ai < 0)
				pu_error(pc, at->key.loc, "%s: unknown attribute '%s'%s", vname,
				         at->key.s, hint);
			else
				pu_error(pc, at->key.loc, "%s: %s has no attribute '%s'%s", vname,
				         oi->name, at->key.s, hint);
			ok = 0;
			continue;
		}
		if (seen & (1u << ai)) {
			pu_error(pc, at->key.loc, "%s: attribute '%s' given twice", vname,
			         at->key.s);
			ok = 0;
			continue;
		}
		seen |= 1u << ai;
		int want = ir_attrs[ai].count;
		if (want == 0) {
			int act = at->kind == AV_IDENT ? ir_act_from_name(at->ident.s) : -1;
			if (act < 0 || (act != ACT_NONE && !(oi->flags & OPF_ACT))) {
				pu_error(pc, at->key.loc, "%s: '%s' takes none, relu or relu6",
				         vname, at->key.s);
				ok = 0;
			} else {
				a->act = (Act)act;
			}
			continue;
		}
		if (want == IR_ATTR_WORD) {
			const char *const *w = ir_attr_words(ai);
			int k = 0;
			while (w[k] && !(at->kind == AV_IDENT && strcmp(w[k], at->ident.s) == 0))
				k++;
			if (!w[k]) {
				char list[256] = "";
				for (int j = 0; w[j]; j++)
					snprintf(list + strlen(list), sizeof list - strlen(list),
					         "%s%s", j ? ", " : "", w[j]);
				pu_error(pc, at->key.loc, "%s: '%s' takes one of %s", vname,
				         at->key.s, list);
				ok = 0;
			} else
				*attr_ints(a, ai) = k;
			continue;
		}
		if (want == IR_ATTR_F32) {
			if (!apply_f32_attr(pc, vname, a, ai, at))
				ok = 0;
			continue;
		}
		if (at->kind == AV_IDENT) {
			pu_error(pc, at->ident.loc, "%s: '%s' takes integers, not a name", vname,
			         at->key.s);
			ok = 0;
			continue;
		}
		if (want == 1 && at->kind == AV_LIST && at->list && at->list->n == 1) {
			/* [1] where 1 is meant (other lengths: the count below) */
			pu_error(pc, at->list->loc, "%s: '%s' takes one integer, not a list", vname,
			         at->key.s);
			ok = 0;
			continue;
		}
		int n = at->kind != AV_LIST ? 1 : at->list ? at->list->n : 0;
		const Num *nums = at->kind != AV_LIST ? &at->num : at->list ? at->list->v : NULL;
		int most = ai == AI_PADS ? 2 * IR_MAX_RANK : IR_MAX_RANK; /* a list's longest */
		if ((want > 0 && n != want) || (want < 0 && n > most)) {
			if (want > 0)
				pu_error(pc, at->key.loc, "%s: '%s' takes %d integer%s, got %d",
				         vname, at->key.s, want, want == 1 ? "" : "s", n);
			else
				pu_error(pc, at->key.loc,
				         "%s: '%s' takes at most %d integers, got %d", vname,
				         at->key.s, most, n);
			ok = 0;
			continue;
		}
		int64_t *dst = attr_ints(a, ai);
		for (int k = 0; k < n; k++)
			if (!want_int(pc, &nums[k], INT64_MIN, INT64_MAX, vname, at->key.s,
			              &dst[k])) {
				ok = 0;
				break;
			}
		if (ai == AI_SHAPE)
			a->nshape = n;
		if (ai == AI_PERM)
			a->nperm = n;
		if (ai == AI_PADS)
			a->npads = n;
		if (ai == AI_STARTS)
			a->nstarts = n;
		if (ai == AI_ENDS)
			a->nends = n;
		if (ai == AI_AXES)
			a->naxes = n;
		if (ai == AI_STEPS)
			a->nsteps = n;
	}
	return ok;
}

/* stmt : IDENT (':' type qparams?)? range? calib? clip? offset?
 *        '=' IDENT '(' IDENT (',' IDENT)* ')' attrs? */
void pu_op(ParseCtx *pc, Name name, TypeQ *tq, Decor *dc, Name opname, NameList *args,
           AttrList *attrs)
{
	int in[IR_MAX_IN], ok = 1;
	Attrs a;

	if (fragment(pc, name.loc, &name))
		return;
	int v = define(pc, name, VK_TEMP);
	if (v < 0)
		return;
	if (tq && !apply_typeq(pc, v, tq))
		ok = 0;
	if (ok && !apply_decor(pc, v, dc))
		ok = 0;
	Op op = ir_op_from_name(opname.s);
	if (op == OP_NONE) {
		IrSuggest sg;
		ir_suggest_init(&sg, opname.s);
		for (int k = 1; k < OP_COUNT; k++)
			ir_suggest_add(&sg, ir_ops[k].name);
		if (sg.best)
			pu_error(pc, opname.loc, "%s: unknown op '%s'; did you mean '%s'?", name.s,
			         opname.s, sg.best);
		else
			pu_error(pc, opname.loc, "%s: unknown op '%s'", name.s, opname.s);
		ok = 0;
	}
	for (int i = 0; i < args->n; i++) {
		int u = use(pc, args->v[i]);
		if (u == v) {
			pu_error(pc, args->v[i].loc, "'%s' is used in its own definition", name.s);
			u = -1;
		}
		if (u < 0)
			ok = 0;
		else if (i < IR_MAX_IN)
			in[i] = u;
	}
	if (op != OP_NONE && (args->n < ir_ops[op].min_in || args->n > ir_ops[op].max_in)) {
		const OpInfo *oi = &ir_ops[op];
		if (oi->min_in == oi->max_in)
			pu_error(pc, opname.loc, "%s: %s takes %d operand%s, got %d", name.s,
			         oi->name, oi->min_in, oi->min_in == 1 ? "" : "s", args->n);
		else
			pu_error(pc, opname.loc, "%s: %s takes %d to %d operands, got %d", name.s,
			         oi->name, oi->min_in, oi->max_in, args->n);
		ok = 0;
	}
	ir_attrs_default_op(&a, op);
	if (op != OP_NONE && attrs && !apply_attrs(pc, name.s, op, &a, attrs))
		ok = 0;
	if (!ok)
		return;
	int n = ir_node_new(pc->g, op, v, in, args->n, name.loc);
	pc->g->nodes[n].a = a;
}

/* stmt : 'output' IDENT (',' IDENT)* */
void pu_output(ParseCtx *pc, Loc start, NameList *names)
{
	if (fragment(pc, start, NULL))
		return;
	for (int i = 0; i < names->n; i++) {
		int v = use(pc, names->v[i]);
		if (v < 0)
			continue;
		if (pc->g->vals[v].is_output)
			pu_error(pc, names->v[i].loc, "'%s' is already an output", names->v[i].s);
		else
			ir_add_output(pc->g, v);
	}
}

/* ---- checks of the whole file ----------------------------------------------------- */

int pu_finish(ParseCtx *pc)
{
	Graph *g = pc->g;
	int64_t end = 0;

	/* the npy constants, in order of declaration, unless there are too
	 * many bytes of them */
	for (int i = 0; i < pc->nnpy && !pc->const_over; i++) {
		Value *val = &g->vals[pc->npy[i].v];
		val->data = npy_data(pc, val, pc->npy[i].path);
	}
	if (pc->ntokens > 0 && !pc->saw_output)
		pu_error(pc, loc_file(pc->file), "model '%s' has no 'output' statement", g->name);
	if (pc->d->nerrors > pc->errors0)
		return pc->d->nerrors - pc->errors0;
	/* the arena a planned dump describes: every tensor, rounded to IR_ALIGN */
	for (int v = 0; v < g->nval; v++) {
		const Value *val = &g->vals[v];
		if (val->offset < 0 || !val->has_type)
			continue;
		int64_t bytes = (ir_value_bytes(val) + IR_ALIGN - 1) / IR_ALIGN * IR_ALIGN;
		if (val->offset + bytes > end)
			end = val->offset + bytes;
	}
	for (int n = 0; n < g->nnode; n++) {
		const int64_t *s = g->nodes[n].a.scratch;
		if (s[1] > 0 && s[0] + (s[1] + IR_ALIGN - 1) / IR_ALIGN * IR_ALIGN > end)
			end = s[0] + (s[1] + IR_ALIGN - 1) / IR_ALIGN * IR_ALIGN;
	}
	if (end > 0)
		g->arena_size = end;
	return 0;
}
