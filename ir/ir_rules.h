/* ir/ir_rules.h — the ir layer's rules of the op families: one IrRules per
 * family (ir/fam_<family>.c), found through ir_rules[ir_ops[op].family].
 * They hold the reference interpreter's check and run of every op, each
 * precision (ir/interp.c is the driver: buffers, hooks, the node loop, the
 * float edge), and every other rule in ir/ that depends on the op.
 *
 * Also the interpreter's per-node state and the small helpers the family
 * files share: private to ir/.
 */
#ifndef QUANTC_IR_RULES_H
#define QUANTC_IR_RULES_H

#include <float.h>

#include "ir.h"

/* The precision of a node, from its input's storage type. */
typedef enum { P_F32, P_S8, P_S16 } Prec;

/* What a node needs at run time beyond the graph. */
typedef struct {
	Prec prec;
	int acc64;       /* int16 layer with an int64 bias */
	int32_t *mult;   /* per output channel (weighted ops) */
	int *shift;
	float *fm;       /* --requant float: per output channel (ir_requant_float) */
	int32_t lo, hi;  /* clamp of the quantized result */
	void *wt;        /* conv2d weights as [G][C/G][KH][KW][OC/G] */
	void *pre;       /* conv2d with a fused pool: the unpooled output */
} NodeRt;

typedef struct IrRules {
	/* interpreter */
	/* Everything run relies on (shapes, attributes, storage types,
	 * quantization), so that a bad graph is diagnosed instead of read out
	 * of bounds; rt->prec is set, the rest of rt may be filled here.
	 * Returns 0, or -1 after a diagnostic at the node. */
	int (*check)(Graph *g, const Node *n, NodeRt *rt, Diag *d);
	/* After a successful check, when an interpreter is built (not for
	 * ir_interp_check): precompute what run reads (conv2d's transposed
	 * weights, its pooling scratch); returns the bytes of the shared
	 * scratch run needs.  NULL: nothing to prepare. */
	int64_t (*prepare)(const Graph *g, const Node *n, NodeRt *rt);
	/* Run node n: buf[v] is the storage of value v, acc the scratch. */
	void (*run)(const Graph *g, const Node *n, const NodeRt *rt, void *const *buf, void *acc);

	/* --requant float (ir/quant.c) */
	/* Whether node n, its first operand f32 or i8, computes without a
	 * requantization or with one that float mode defines. */
	int (*requant_float_ok)(const Graph *g, const Node *n);

	/* printer (ir/print.c) */
	/* Whether attribute ai (AI_*, one the op's row accepts) prints: 0 for
	 * one added later whose default older dumps omit.  NULL: all print. */
	int (*print_attr)(const Node *n, int ai);

	/* verifier (ir/verify.c) */
	/* Checks of the attributes' values beyond their presence; diagnoses
	 * into d.  NULL: none. */
	void (*verify)(const Graph *g, const Node *n, Diag *d);
} IrRules;

extern const IrRules ir_rules_weighted, ir_rules_activation, ir_rules_pool, ir_rules_shape,
        ir_rules_elementwise, ir_rules_convert, ir_rules_reduce, ir_rules_matmul;
extern const IrRules *const ir_rules[FAM_COUNT];

static inline const IrRules *ir_rules_of(Op op)
{
	return ir_rules[ir_ops[op].family];
}

/* ---- shared by the family files ------------------------------------------------ */

#ifdef __GNUC__
#define IR_INLINE static inline __attribute__((always_inline))
#else
#define IR_INLINE static inline
#endif

/* Diagnose at node n (a variable of that name in scope) and return -1. */
#define IR_BAD(...) (diag_error(d, n->loc, __VA_ARGS__), -1)

static inline int ir_good_scale(float s)
{
	return s > 0 && s <= FLT_MAX;
}

static inline int ir_per_tensor_q(const Value *v)
{
	return v->q.present && v->q.n == 1 && v->q.scale && ir_good_scale(v->q.scale[0]);
}

static inline int ir_same_q(const QParams *a, const QParams *b)
{
	return a->present && b->present && a->n == 1 && b->n == 1 && a->zp == b->zp &&
	       a->scale[0] == b->scale[0];
}

static inline int32_t ir_clamp32(int32_t v, int32_t lo, int32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* int32 addition that wraps (two's complement), as the compiled code's. */
static inline int32_t ir_wadd(int32_t a, int32_t b)
{
	return (int32_t)((uint32_t)a + (uint32_t)b);
}

/* Element i of an i8 or i16 buffer, and the store of one. */
static inline int32_t ir_load_q(DType dt, const void *p, int64_t i)
{
	return dt == DT_I8 ? ((const int8_t *)p)[i] : ((const int16_t *)p)[i];
}

static inline void ir_store_q(DType dt, void *p, int64_t i, int32_t v)
{
	if (dt == DT_I8)
		((int8_t *)p)[i] = (int8_t)v;
	else
		((int16_t *)p)[i] = (int16_t)v;
}

/* A fused activation on a float result. */
static inline float ir_act_apply_f32(float v, Act act)
{
	if (act == ACT_NONE)
		return v;
	v = v < 0.0f ? 0.0f : v;
	if (act == ACT_RELU6)
		v = v > 6.0f ? 6.0f : v;
	return v;
}

/* The shared epilogue of quantized weighted ops and of i8/i16 quantize:
 * wrapping accumulator in, clamped output integer out. */
static inline int32_t ir_requant_acc(uint64_t acc, int acc64, int32_t mult, int shift, int32_t zp,
                                     int32_t lo, int32_t hi)
{
	int32_t v;

	if (acc64)
		v = ir_mbqm64((int64_t)acc, mult, shift);
	else
		v = ir_mbqm((int32_t)(uint32_t)acc, mult, shift);
	return ir_clamp32(ir_wadd(v, zp), lo, hi);
}

/* The rule of the ops whose result keeps the input's storage type and
 * quantization (relu, maxpool2d, avgpool, pad, transpose; flatten and
 * reshape, views, need no parameters): 0, or -1 diagnosed (interp.c). */
int ir_interp_check_keepq(const Graph *g, const Node *n, const NodeRt *rt, Diag *d);

/* A window op's geometry (conv2d, maxpool2d) checked against its result's
 * shape; 0, or -1 diagnosed (fam_pool.c). */
int ir_interp_check_window(const Graph *g, const Node *n, Diag *d);
/* maxpool2d over x in geometry cg (one channel per group; an empty window
 * gives 0 or zp), the kernel conv2d's fused pool runs too (fam_pool.c). */
void ir_interp_maxpool(const ConvGeo *cg, Prec prec, int32_t zp, const void *x, void *out);

#endif
