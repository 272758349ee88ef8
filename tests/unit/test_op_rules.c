/* test_op_rules.c — every op of ir/ops.def has a rule for every stage it
 * goes through, in each of the three layers' family tables:
 *   ir       ir_rules[family]    the interpreter's check and run, the
 *                                --requant float rule
 *   passes   pass_rules[family]  infer-shapes, propagate-ranges, and, when
 *                                the op has an integer precision,
 *                                check-overflow and quantize; bias-correct
 *                                for ops with weights
 *   targets  tgt_rules[family]   the lowering check and the lowering
 * A stage an op's row declares unsupported (its precs lack every integer
 * precision: no overflow proof or quantization rule needed) may have no
 * rule; those stages refuse the op by name (tests/e2e/op_stages.sh checks
 * the messages).  Optional hooks (the interpreter's prepare, the verifier's
 * extra checks) are NULL when a family has nothing to do there, and are
 * not counted.  Also: every family is used by some op and every table row
 * points at a rules struct; every op has a family in range. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "ir_rules.h"
#include "pass_rules.h"
#include "tgt_rules.h"

int main(void)
{
	int used[FAM_COUNT] = {0};
	int nstage = 0;

	for (int f = 0; f < FAM_COUNT; f++)
		check(ir_rules[f] && pass_rules[f] && tgt_rules[f],
		      "family %s has a rules struct in ir, passes and targets", ir_family_names[f]);
	for (int op = 1; op < OP_COUNT; op++) {
		const OpInfo *oi = &ir_ops[op];
		int f = oi->family;
		int integer = (oi->precs & (PR_I8 | PR_I16)) != 0;

		if (f < 0 || f >= FAM_COUNT || !ir_rules[f] || !pass_rules[f] || !tgt_rules[f]) {
			check(0, "%s: family %d is a family with rules in every layer", oi->name,
			      f);
			continue;
		}
		used[f] = 1;
		const IrRules *ir = ir_rules[f];
		const PassRules *pr = pass_rules[f];
		const TgtRules *tr = tgt_rules[f];
		struct {
			const char *stage;
			int needed, present;
		} st[] = {
		        {"ir: interpreter check", 1, ir->check != NULL},
		        {"ir: interpreter run", 1, ir->run != NULL},
		        {"ir: --requant float rule", 1, ir->requant_float_ok != NULL},
		        {"passes: infer-shapes", 1, pr->infer != NULL},
		        {"passes: propagate-ranges", 1, pr->range != NULL},
		        {"passes: check-overflow", integer, pr->overflow != NULL},
		        {"passes: quantize", integer, pr->quantize != NULL},
		        {"passes: bias-correct", (oi->flags & OPF_WEIGHTS) != 0,
		         pr->bias_error != NULL},
		        {"targets: lowering check", 1, tr->check != NULL},
		        {"targets: lowering", 1, tr->lower != NULL},
		};
		int missing = 0;
		char which[512] = "";
		for (size_t i = 0; i < sizeof st / sizeof st[0]; i++) {
			if (!st[i].needed)
				continue;
			nstage++;
			if (!st[i].present) {
				missing++;
				snprintf(which + strlen(which), sizeof which - strlen(which),
				         "%s%s", *which ? ", " : "", st[i].stage);
			}
		}
		check(!missing, "%s (%s, precisions%s%s%s): every stage has its rule%s%s", oi->name,
		      ir_family_names[f], oi->precs & PR_F32 ? " f32" : "",
		      oi->precs & PR_I8 ? " int8" : "", oi->precs & PR_I16 ? " int16" : "",
		      missing ? "; missing: " : "", which);
		check(oi->precs != 0 && (oi->precs & ~(unsigned)PR_ALL) == 0,
		      "%s: its row declares the precisions it has kernels in", oi->name);
	}
	for (int f = 0; f < FAM_COUNT; f++)
		check(used[f], "family %s has an op", ir_family_names[f]);
	printf("%d ops, %d families, %d op stages checked\n", OP_COUNT - 1, FAM_COUNT, nstage);
	return check_report();
}
