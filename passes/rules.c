/* passes/rules.c — pass_rules[], the passes layer's op rules per family
 * (pass_rules.h; each family's rules are in passes/fam_<family>.c), and the
 * shared rules of families without MACs or notes. */
#include "pass_rules.h"

int64_t pass_no_macs(const Graph *g, const Node *n)
{
	(void)g, (void)n;
	return 0;
}

void pass_no_note(const Graph *g, const Node *n, Diag *d)
{
	(void)g, (void)n, (void)d;
}

const PassRules *const pass_rules[FAM_COUNT] = {
        [FAM_WEIGHTED] = &pass_rules_weighted,
        [FAM_ACTIVATION] = &pass_rules_activation,
        [FAM_POOL] = &pass_rules_pool,
        [FAM_SHAPE] = &pass_rules_shape,
        [FAM_ELEMENTWISE] = &pass_rules_elementwise,
        [FAM_CONVERT] = &pass_rules_convert,
        [FAM_REDUCE] = &pass_rules_reduce,
        [FAM_MATMUL] = &pass_rules_matmul,
};
