/* ir/fam_matmul.c — the matmul family (matmul: the product of two run-time
 * tensors, ONNX MatMul with a computed second operand) in the ir layer: its
 * geometry and fixed-point parameters (matmul.h: the passes and the backend
 * use them too), and the reference interpreter's check and kernel in f32,
 * int8 and int16.  The definition, per output element (batch, m, n), a's
 * matrix and b's chosen by the broadcast batch index:
 *   f32   acc = +0; for k ascending acc = acc + a[m,k] * b[k,n] (float,
 *         multiply then add, never fused).
 *   int8  TFLite BATCH_MATMUL: acc = sum_k (a - zp_a) * (b - zp_b) in
 *         wrapping int32, out = clamp(mbqm(acc, M) + zp_o) (the zero-point
 *         addition wrapping as the weighted ops'), M = s_a * s_b / s_o.
 *   int16 the same sum in wrapping int64, requantized by ir_mbqm64.
 * check-overflow proves that neither sum wraps. */
#include "ir_rules.h"
#include "matmul.h"
#include "eltwise.h"

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

/* ---- geometry, parameters (matmul.h) ------------------------------------------ */

int ir_matmul_geo(const Shape *a, const Shape *b, MatGeo *mg, Shape *out)
{
	Shape ba = *a, bb = *b, bo;
	int64_t st[IR_MAX_RANK];

	if (a->rank < 2 || b->rank < 2 || a->d[a->rank - 1] != b->d[b->rank - 2])
		return -1;
	mg->M = a->d[a->rank - 2];
	mg->K = a->d[a->rank - 1];
	mg->N = b->d[b->rank - 1];
	ba.rank -= 2;
	bb.rank -= 2;
	if (ir_broadcast_shape(&ba, &bb, &bo))
		return -1;
	mg->nb = bo.rank;
	mg->nbatch = 1;
	for (int i = 0; i < bo.rank; i++) {
		mg->bd[i] = bo.d[i];
		mg->nbatch *= bo.d[i];
	}
	ir_broadcast_strides(&ba, &bo, st);
	for (int i = 0; i < bo.rank; i++)
		mg->sa[i] = st[i] * mg->M * mg->K;
	ir_broadcast_strides(&bb, &bo, st);
	for (int i = 0; i < bo.rank; i++)
		mg->sb[i] = st[i] * mg->K * mg->N;
	*out = bo;
	out->rank = bo.rank + 2;
	out->d[bo.rank] = mg->M;
	out->d[bo.rank + 1] = mg->N;
	return 0;
}

void ir_matmul_batch(const MatGeo *mg, int64_t i, int64_t *oa, int64_t *ob)
{
	*oa = *ob = 0;
	for (int k = mg->nb - 1; k >= 0; k--) {
		int64_t j = i % mg->bd[k];
		*oa += j * mg->sa[k];
		*ob += j * mg->sb[k];
		i /= mg->bd[k];
	}
}

void ir_matmul_params(const Graph *g, const Node *n, IrMatParams *p)
{
	const Value *a = &g->vals[n->in[0]], *b = &g->vals[n->in[1]], *y = &g->vals[n->out];

	p->zp_a = a->q.zp;
	p->zp_b = b->q.zp;
	p->zp_o = y->q.zp;
	p->acc64 = y->dt == DT_I16;
	ir_act_bounds(ACT_NONE, y->dt, y->q.scale[0], y->q.zp, &p->lo, &p->hi);
	ir_quantize_multiplier((double)a->q.scale[0] * (double)b->q.scale[0] /
	                               (double)y->q.scale[0],
	                       &p->mult, &p->shift);
}

/* ---- the kernel ------------------------------------------------------------------- */

static void run(const Graph *g, const Node *n, const NodeRt *rt, void *const *buf, void *acc)
{
	const Value *a = &g->vals[n->in[0]], *b = &g->vals[n->in[1]], *y = &g->vals[n->out];
	const void *pa = buf[n->in[0]], *pb = buf[n->in[1]];
	void *py = buf[n->out];
	MatGeo mg;
	Shape os;
	IrMatParams p = {0};

	(void)acc;
	ir_matmul_geo(&a->shape, &b->shape, &mg, &os); /* checked */
	if (rt->prec != P_F32)
		ir_matmul_params(g, n, &p);
	const int64_t M = mg.M, K = mg.K, N = mg.N;
	for (int64_t t = 0; t < mg.nbatch; t++) {
		int64_t oa, ob;
		ir_matmul_batch(&mg, t, &oa, &ob);
		for (int64_t m = 0; m < M; m++)
			for (int64_t j = 0; j < N; j++) {
				const int64_t ai = oa + m * K, bi = ob + j,
				              yi = (t * M + m) * N + j;
				if (rt->prec == P_F32) {
					const float *fa = pa, *fb = pb;
					float s = 0.0f;
					for (int64_t k = 0; k < K; k++) {
						const float q = fa[ai + k] * fb[bi + k * N];
						s = s + q;
					}
					((float *)py)[yi] = s;
					continue;
				}
				uint64_t s = 0; /* wraps as the int32 (int64) sum */
				for (int64_t k = 0; k < K; k++)
					s += (uint64_t)(int64_t)(ir_load_q(a->dt, pa, ai + k) -
					                         p.zp_a) *
					     (uint64_t)(int64_t)(ir_load_q(b->dt, pb, bi + k * N) -
					                         p.zp_b);
				if (!p.acc64)
					s = (uint64_t)(int64_t)(int32_t)(uint32_t)s;
				ir_store_q(y->dt, py, yi,
				           ir_requant_acc(s, p.acc64, p.mult, p.shift, p.zp_o, p.lo,
				                          p.hi));
			}
	}
}

/* ---- check ------------------------------------------------------------------------- */

#define BAD IR_BAD

static int check(Graph *g, const Node *n, NodeRt *rt, Diag *d)
{
	const Value *a = &g->vals[n->in[0]], *b = &g->vals[n->in[1]], *y = &g->vals[n->out];
	MatGeo mg;
	Shape s;

	if (n->op != OP_MATMUL)
		ICE("matmul rules: %s", ir_ops[n->op].name);
	if (n->nin != 2 || ir_matmul_geo(&a->shape, &b->shape, &mg, &s) ||
	    !ir_shape_eq(&s, &y->shape))
		return BAD("matmul: shapes must be a [.., M, K], b [.., K, N] (batch axes "
		           "broadcasting), result [.., M, N]");
	if (a->dt != y->dt || b->dt != y->dt)
		return BAD("matmul: operands and result must have one storage type");
	if (rt->prec == P_F32)
		return 0;
	if (!ir_per_tensor_q(a) || !ir_per_tensor_q(b) || !ir_per_tensor_q(y))
		return BAD("matmul: operands and result need per-tensor quantization parameters");
	return 0;
}

#undef BAD

/* Its requantization is fixed point only (TFLite's). */
static int requant_float_ok(const Graph *g, const Node *n)
{
	return g->vals[n->in[0]].dt == DT_F32;
}

const IrRules ir_rules_matmul = {
        .check = check,
        .run = run,
        .requant_float_ok = requant_float_ok,
};
