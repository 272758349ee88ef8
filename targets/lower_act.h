/* targets/lower_act.h — the backend's clip, leaky_relu, sigmoid, tanh,
 * hard_sigmoid, hard_swish and softmax (targets/lower_act.c), called from
 * targets/lower.c's dispatch. */
#ifndef QUANTC_LOWER_ACT_H
#define QUANTC_LOWER_ACT_H

#include "targets.h"

/* What the kernel relies on (types, table, parameters); 0, or 1 after a
 * diagnostic. */
int tgt_check_act(Cg *c, const Node *nd);
/* The kernel of node n: void(ptr x, ptr y); the table is a global. */
void tgt_lower_act(Cg *c, int n, LLVMValueRef x, LLVMValueRef y);

#endif
