/* passes/rules.c — pass_rules[], the passes layer's op rules per family
 * (rules.h; each family's rules are in passes/fam_<family>.c). */
#include "rules.h"

const PassRules *const pass_rules[FAM_COUNT] = {
	[FAM_WEIGHTED] = &pass_rules_weighted,
	[FAM_ACTIVATION] = &pass_rules_activation,
	[FAM_POOL] = &pass_rules_pool,
	[FAM_SHAPE] = &pass_rules_shape,
	[FAM_ELEMENTWISE] = &pass_rules_elementwise,
	[FAM_CONVERT] = &pass_rules_convert,
};
