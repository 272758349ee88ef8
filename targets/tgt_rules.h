/* targets/tgt_rules.h — the targets layer's rules of the op families: one
 * TgtRules per family (targets/fam_<family>.c), found through
 * tgt_rules[ir_ops[op].family].  tgt_lower_node (lower.c) is the generic
 * caller: it checks the node with the family's check, settles whether the
 * kernel may write over its input (OPF_INPLACE, OPF_VIEW), opens the kernel
 * function and lets the family's lower emit its body.  Private to targets/.
 */
#ifndef QUANTC_TGT_RULES_H
#define QUANTC_TGT_RULES_H

#include "targets.h"

typedef struct TgtRules {
	/* lowering */
	/* Whether node nd can be compiled (operand shapes, storage types,
	 * quantization: all the kernel relies on); 0, or 1 after a diagnostic. */
	int (*check)(Cg *c, const Node *nd);
	/* Emits the body of node n's kernel fn, on every target: fn is
	 * void(ptr x, ptr y), or with nary set void(ptr in0, ptr y, ptr in1,
	 * ...) (one pointer per operand). */
	void (*lower)(Cg *c, int n, LLVMValueRef fn);
	/* The kernel reads several tensors: one pointer parameter per operand
	 * plus the result's (tgt_kernel_begin_n), not just x and y. */
	int nary;
	/* As nary, for a node one of whose operands past the first is computed
	 * at run time (gather's run-time indices); else void(ptr x, ptr y). */
	int nary_runtime;
} TgtRules;

extern const TgtRules tgt_rules_weighted, tgt_rules_activation, tgt_rules_pool, tgt_rules_shape,
        tgt_rules_elementwise, tgt_rules_convert, tgt_rules_reduce, tgt_rules_matmul;
extern const TgtRules *const tgt_rules[FAM_COUNT];

/* conv2d or dense: the chosen kernel's body in fn (the kernel registry;
 * until it is merged, a temporary definition at the end of lower.c). */
int tgt_lower_weighted(Cg *c, int n, LLVMValueRef fn);

/* ---- checks shared by the family files (lower.c) ------------------------------ */

/* "OP 'y': cannot compile WHY (operands ...; result ...)"; returns 1. */
int tgt_bad_types(Cg *c, const Node *nd, const char *why);
/* The end of every shape check but the pool, shape and elementwise
 * families' own: ok (the op's own rule) and, with a second operand, its
 * rank >= 1 and a bias of one element per row of it; diagnoses "operand
 * shapes do not fit together" and returns 1 when that fails. */
int tgt_check_fit(Cg *c, const Node *nd, int ok);
/* The end of the shape family's and avgpool's checks: ok (the op's shape
 * rule), then an f32 or a per-tensor i8/i16 operand whose type and
 * quantization the result keeps; 0, or 1 after a diagnostic. */
int tgt_check_keepq(Cg *c, const Node *nd, int ok);
/* v quantized with one scale and zero point. */
int tgt_per_tensor(const Value *v);
/* v is i8 or i16, quantized per tensor. */
int tgt_is_int_q(const Value *v);

#endif
