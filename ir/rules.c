/* ir/rules.c — the ir layer's table of family rules (ir/ir_rules.h), indexed
 * by ir_ops[op].family. */
#include "ir_rules.h"

const IrRules *const ir_rules[FAM_COUNT] = {
        [FAM_WEIGHTED] = &ir_rules_weighted,
        [FAM_ACTIVATION] = &ir_rules_activation,
        [FAM_POOL] = &ir_rules_pool,
        [FAM_SHAPE] = &ir_rules_shape,
        [FAM_ELEMENTWISE] = &ir_rules_elementwise,
        [FAM_CONVERT] = &ir_rules_convert,
        [FAM_REDUCE] = &ir_rules_reduce,
        [FAM_MATMUL] = &ir_rules_matmul,
};
