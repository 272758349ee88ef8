/* passes/act_rules.h — the pass rules of clip, leaky_relu, sigmoid, tanh,
 * hard_sigmoid, hard_swish and softmax (passes/act_rules.c), called from
 * the switches of infer-shapes, propagate-ranges, check-overflow and from
 * quantize. */
#ifndef QUANTC_ACT_RULES_H
#define QUANTC_ACT_RULES_H

#include "passes.h"

/* infer-shapes: checks n's operands and attributes and gives its shape
 * (softmax's negative axis is made non-negative); 0 or -1 (diagnosed). */
int pass_act_infer(Graph *g, Node *n, Diag *d, Shape *s);
/* propagate-ranges: the interval of one result element from its input's
 * [lo, hi], widened for float rounding. */
void pass_act_interval(const Node *n, double *lo, double *hi);
/* check-overflow: the integers of the result given the input's [lo, hi]. */
void pass_act_qrange(const Graph *g, const Node *n, int32_t xlo, int32_t xhi, int32_t *lo,
                     int32_t *hi);
/* The ops of this family that have an int8 kernel but no int16 one (all
 * but clip): --precision auto leaves them int8. */
int pass_act_int8_only(Op op);
/* quantize: the result parameters and table of an int8 op computing in dt
 * (non-OPF_KEEPQ ones); 0 or -1 (diagnosed). */
int pass_quantize_act(Graph *g, Node *n, DType dt, Diag *d);

#endif
