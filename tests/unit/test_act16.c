/* test_act16.c — TFLite's int16 LOGISTIC, TANH and SOFTMAX (ops.def's
 * sigmoid, tanh and softmax rows) on values worked out by hand from the
 * algorithm: the input multipliers of TFLite's Prepare, the runtime's
 * element functions, the fixed tables, and the interpreter's kernels
 * (logistic(0) = 16384, saturation at both ends, softmax of n equal inputs =
 * 32768/n as TFLite rounds it), and the checks that refuse what the
 * algorithm cannot compute.  Cost: well under 0.1 s. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act.h"
#include "ir.h"
#include "ir_rules.h"
#include "qrt.h"
#include "check.h"

/* ---- TFLite's Prepare: input_multiplier, input_left_shift ---------------- */

static void test_scaling(void)
{
	static const struct {
		Op op;
		float sx;
		int32_t mult;
		int shift;
		const char *why;
	} cs[] = {
	        {OP_SIGMOID, 0x1p-12f, 3, 0, "2^-12: the power-of-two case, 3 << 0"},
	        {OP_TANH, 0x1p-11f, 6, 0, "2^-11: tanh's second power-of-two case, 3 << 1"},
	        {OP_SIGMOID, 0x1p-11f, 24576, 12, "2^-11: not sigmoid's: 6 doubled 12 times"},
	        {OP_SIGMOID, 1e-4f, 20132, 14, "1e-4: 1.2288 doubled 14 times, truncated"},
	        {OP_TANH, 4.0f / 32767, 24576, 14, "4/32767: 1.50004 doubled 14 times"},
	};
	for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
		int32_t m;
		int s;
		ir_act16_input_scaling(cs[i].op, cs[i].sx, &m, &s);
		check(m == cs[i].mult && s == cs[i].shift, "%s input scale %s: mult %d shift %d",
		      ir_ops[cs[i].op].name, cs[i].why, (int)m, s);
	}
}

/* ---- the runtime's elements and table ------------------------------------- */

static void test_elements(void)
{
	/* input scale 2^-12: mult 3, shift 0; x = 4096 is 1.0 */
	static const int32_t xs[] = {0, 1, -1, 4096, -4096, 32767, -32768};
	static const int16_t sig[] = {16384, 16386, 16382, 23956, 8812, 32757, 11};
	static const int16_t th[] = {0, 8, -8, 24956, -24956, 32767, -32767};
	int ok_s = 1, ok_t = 1;

	for (int i = 0; i < 7; i++) {
		ok_s &= qrt_logistic_s16(xs[i], 3, 0) == sig[i];
		ok_t &= qrt_tanh_s16(xs[i], 3, 0) == th[i];
	}
	check(ok_s, "logistic at 2^-12 of 0, +-1, +-4096 (1.0), 32767, -32768: 16384, 16386, "
	            "16382, 23956 (0.73106), 8812, 32757, 11");
	check(ok_t, "tanh at 2^-12 of the same: 0, 8, -8, 24956 (0.76159), -24956, 32767, -32767");
	/* 2^-11 through the general path: 6x reaches 255 steps of 2^9 */
	check(qrt_logistic_s16(32767, 24576, 12) == 32767 &&
	              qrt_logistic_s16(-32768, 24576, 12) == 1,
	      "logistic saturates to 32767 and (TFLite's rounding) 1");
	check(qrt_tanh_s16(32767, 6, 0) == 32767 && qrt_tanh_s16(-32768, 6, 0) == -32767 &&
	              qrt_tanh_s16(100, 6, 0) == 1599,
	      "tanh at 2^-11 saturates to +-32767; tanh(100/2048) = 1599");

	/* the table: TFLite's data, each within one of the rounded sigmoid */
	int near = 1, mono = 1;
	for (int i = 0; i < 256; i++) {
		double r = floor(65536.0 / (1.0 + exp(-i / 24.0)) + 0.5);
		r = r > 65535 ? 65535 : r;
		near &= fabs(qrt_sigmoid_u16[i] - r) <= 1;
		mono &= i == 0 || qrt_sigmoid_u16[i] >= qrt_sigmoid_u16[i - 1];
	}
	check(near && mono && qrt_sigmoid_u16[0] == 32768 && qrt_sigmoid_u16[1] == 33451 &&
	              qrt_sigmoid_u16[128] == 65221 && qrt_sigmoid_u16[255] == 65535,
	      "qrt_sigmoid_u16: rising, within 1 of round(65536 sigmoid(i/24)), [0] 32768, [1] "
	      "33451, [128] 65221, [255] 65535");
}

/* ---- softmax's tables ------------------------------------------------------- */

static void test_luts(void)
{
	int16_t e[IR_ACT_LUT16_N], r[IR_ACT_LUT16_N];

	ir_softmax16_luts(e, r);
	check(e[0] == 2 && e[256] == 221 && e[511] == 32133 && e[512] == 32767,
	      "exp table: exp(-10), exp(-5), exp(-10/512) and exp(0) clamped in Q15: 2, 221, "
	      "32133, 32767 (got %d %d %d %d)",
	      e[0], e[256], e[511], e[512]);
	check(r[0] == 32767 && r[256] == 21845 && r[512] == 16384,
	      "1/(1+x) table: x = 0 clamped, 1/2, 1: 32767, 21845, 16384 (got %d %d %d)", r[0],
	      r[256], r[512]);
	check(ir_act_lut16(e, 32767) == 32762,
	      "exp(0) interpolated at 32767: 32133 + ((634 * 127 + 64) >> 7) = 32762");
}

/* ---- the interpreter -------------------------------------------------------- */

static Graph *one_op(Op op, int64_t n, float sx, float sy, int *yv)
{
	Graph *g = ir_graph_new("act16");
	int xv = ir_value_new(g, "x", VK_INPUT, loc_none());

	*yv = ir_value_new(g, "y", VK_TEMP, loc_none());
	for (int v = xv; v <= *yv; v++) {
		g->vals[v].has_type = 1;
		g->vals[v].dt = DT_I16;
		g->vals[v].shape = (Shape){2, {1, n}};
	}
	ir_set_qparams(g, xv, sx, 0);
	ir_set_qparams(g, *yv, sy, 0);
	int nd = ir_node_new(g, op, *yv, &xv, 1, loc_none());
	g->nodes[nd].a.axis = -1;
	ir_add_input(g, xv);
	ir_add_output(g, *yv);
	return g;
}

/* y = op(x) by the interpreter; 0 if it refused the graph */
static int run(Op op, int64_t n, float sx, const int16_t *x, int16_t *y)
{
	int yv;
	Graph *g = one_op(op, n, sx, 1.0f / 32768, &yv);
	Diag d = {.out = NULL};
	Interp *in = ir_interp_new(g, &d);
	const void *ins[1] = {x};
	void *outs[1] = {y};

	if (in)
		ir_interp_run(in, ins, outs);
	ir_interp_free(in);
	ir_graph_free(g);
	return in != NULL;
}

static void test_interp(void)
{
	static const int ns[] = {2, 3, 4, 10, 100};
	static const int16_t want[] = {16384, 10922, 8192, 3277, 328};
	int16_t x[100] = {0}, y[100];

	for (int i = 0; i < 5; i++) {
		for (int k = 0; k < ns[i]; k++)
			x[k] = 123;
		int ok = run(OP_SOFTMAX, ns[i], 1e-3f, x, y);
		for (int k = 0; k < ns[i]; k++)
			ok &= y[k] == want[i];
		check(ok, "softmax of %d equal inputs: %d each (32768/%d as TFLite rounds it)",
		      ns[i], want[i], ns[i]);
	}
	int16_t a[3] = {100, 0, -100}, b[2] = {32767, -32768};
	check(run(OP_SOFTMAX, 3, 1e-2f, a, y) && y[0] == 21798 && y[1] == 8020 && y[2] == 2950,
	      "softmax of [1, 0, -1] (scale 0.01): 21798, 8020, 2950 (exact 21793, 8018, 2950)");
	check(run(OP_SOFTMAX, 2, 1e-3f, b, y) && y[0] == 32766 && y[1] == 2,
	      "softmax of [32.8, -32.8]: 32766 and 2 (the exp table's floor, exp(-10))");
	int16_t s[4] = {0, 4096, -32768, 32767};
	check(run(OP_SIGMOID, 4, 0x1p-12f, s, y) && y[0] == 16384 && y[1] == 23956 && y[2] == 11 &&
	              y[3] == 32757,
	      "the interpreter's sigmoid at 2^-12: 16384, 23956, 11, 32757");
	check(run(OP_TANH, 4, 0x1p-12f, s, y) && y[0] == 0 && y[1] == 24956 && y[2] == -32767 &&
	              y[3] == 32767,
	      "the interpreter's tanh at 2^-12: 0, 24956, -32767, 32767");
}

/* what the check refuses, with a reason */
static void test_refusals(void)
{
	int yv;
	char buf[512];
	Graph *g = one_op(OP_SIGMOID, 4, 1e-3f, 1.0f / 256, &yv);
	Diag d = {.out = tmpfile()};

	check(ir_interp_check(g, &d) == 1, "sigmoid int16 with a result at 1/256: refused");
	rewind(d.out);
	size_t n = fread(buf, 1, sizeof buf - 1, d.out);
	buf[n] = 0;
	fclose(d.out);
	check(strstr(buf, "must have scale 1/32768 and zero point 0") != NULL,
	      "... saying the result must be at 1/32768, zp 0");
	ir_graph_free(g);

	g = one_op(OP_SOFTMAX, 70000, 1e-3f, 1.0f / 32768, &yv);
	d.out = tmpfile();
	check(ir_interp_check(g, &d) == 1, "softmax int16 over a row of 70000: refused");
	rewind(d.out);
	n = fread(buf, 1, sizeof buf - 1, d.out);
	buf[n] = 0;
	fclose(d.out);
	check(strstr(buf, "sum of exps is int32") != NULL, "... naming TFLite's int32 sum");
	ir_graph_free(g);
}

int main(void)
{
	test_scaling();
	test_elements();
	test_luts();
	test_interp();
	test_refusals();
	return check_report();
}
