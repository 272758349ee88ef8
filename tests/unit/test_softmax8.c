/* test_softmax8.c — int8 softmax is TFLite's reference kernel (ops.def's
 * softmax row): gemmlowp's exp and 1 / (1 + x) (ir/gemmlowp.c), Prepare's
 * multiplier, shift and diff_min, and the interpreter's outputs, against the
 * values of softmax8_cases.h, which softmax8_ref.py computes with a Python
 * transcription of TFLite's kernel (nothing of quantc); also values worked
 * out by hand (n equal inputs give round(256 / n) - 128; 0.1 as a Q5.26
 * multiplier), the beta attribute (printed only when not 1, parsed back)
 * and the refusals.  The compiled object against the interpreter:
 * test_backend_act's softmax cases.  Cost: well under 0.1 s. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act.h"
#include "frontend.h"
#include "gemmlowp.h"
#include "ir.h"
#include "check.h"
#include "softmax8_cases.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_gemmlowp(void)
{
	int ok = 1, near = 1;

	for (size_t i = 0; i < N(gl_exp_in); i++) {
		int32_t v = ir_gl_exp_neg(gl_exp_in[i], IR_GL_DIFF_BITS);
		ok &= v == gl_exp_out[i];
		/* within 2^-21 of exp in double (gemmlowp is good to about 2^-22) */
		near &= fabs(v / 2147483648.0 - exp(gl_exp_in[i] / 67108864.0)) < 0x1p-21;
	}
	check(ok, "exp_on_negative_values (Q5.26) of %zu points equals the transcription's",
	      N(gl_exp_in));
	check(near && ir_gl_exp_neg(0, 5) == INT32_MAX,
	      "... within 2^-21 of exp, exp(0) = 2^31 - 1 exactly (%d)", (int)ir_gl_exp_neg(0, 5));
	ok = near = 1;
	for (size_t i = 0; i < N(gl_rcp_in); i++) {
		int32_t v = ir_gl_one_over_one_plus_x(gl_rcp_in[i]);
		ok &= v == gl_rcp_out[i];
		near &= fabs(v / 2147483648.0 - 1 / (1 + gl_rcp_in[i] / 2147483648.0)) < 0x1p-28;
	}
	check(ok && near,
	      "one_over_one_plus_x of %zu points equals the transcription's, within "
	      "2^-28 of 1 / (1 + x)",
	      N(gl_rcp_in));
	int bits;
	int32_t r = ir_gl_reciprocal(3 << 19, IR_GL_ACCUM_BITS, &bits);
	check(bits == 1 && r == ir_gl_one_over_one_plus_x(1 << 30),
	      "GetReciprocal of 1.5 in Q12.19: one bit over 1.0, the scale of 1 / (1 + 0.5)");
}

static void test_prepare(void)
{
	int32_t m, dm;
	int s;

	for (size_t i = 0; i < N(prep); i++) {
		int bad = ir_softmax8_scaling(prep[i].beta, prep[i].sx, &m, &s, &dm);
		check(!bad && m == prep[i].mult && s == prep[i].shift && dm == prep[i].diff_min,
		      "Prepare of beta %g, s_x %.9g: multiplier %d, shift %d, diff_min %d",
		      (double)prep[i].beta, (double)prep[i].sx, (int)prep[i].mult, prep[i].shift,
		      (int)prep[i].diff_min);
	}
	/* by hand: 0.1f = 13421773 2^-27, times 2^26 is 6710886.5 = 0.8 2^23:
	 * 6710886.5 * 2^8 = 1717986944; radius floor(31 2^26 / 2^23) = 248 */
	ir_softmax8_scaling(1.0f, 0.1f, &m, &s, &dm);
	check(m == 1717986944 && s == 23 && dm == -248,
	      "s_x 0.1 by hand: 6710886.5 = (1717986944 / 2^31) 2^23, diff_min -248");
	check(ir_softmax8_scaling(1.0f, 0x1p-27f, &m, &s, &dm) == -1 &&
	              ir_softmax8_scaling(1.0f, 0x1p-26f, &m, &s, &dm) == -1,
	      "beta s_x of 2^-27 and 2^-26 (the multiplier not above 1): refused");
}

/* x -> y = softmax(x) {beta} over the last axis, int8 at (sx, 0) -> (1/256,
 * -128), or the result parameters given */
static Graph *one_op_dt(DType dt, int64_t n, float beta, float sx, float sy, int32_t zy)
{
	Graph *g = ir_graph_new("sm8");
	int xv = ir_value_new(g, "x", VK_INPUT, loc_none());
	int yv = ir_value_new(g, "y", VK_TEMP, loc_none());

	for (int v = xv; v <= yv; v++) {
		g->vals[v].has_type = 1;
		g->vals[v].dt = dt;
		g->vals[v].shape = (Shape){2, {1, n}};
	}
	ir_set_qparams(g, xv, sx, 0);
	ir_set_qparams(g, yv, sy, zy);
	int nd = ir_node_new(g, OP_SOFTMAX, yv, &xv, 1, loc_none());
	g->nodes[nd].a.beta = beta;
	ir_add_input(g, xv);
	ir_add_output(g, yv);
	return g;
}

static Graph *one_op(int64_t n, float beta, float sx, float sy, int32_t zy)
{
	return one_op_dt(DT_I8, n, beta, sx, sy, zy);
}

/* y = softmax(x) by the interpreter; 0 if it refused the graph */
static int run(Graph *g, const void *x, void *y)
{
	Diag d = {.out = NULL};
	Interp *in = ir_interp_new(g, &d);
	const void *ins[1] = {x};
	void *outs[1] = {y};
	int ok = in && ir_interp_run(in, ins, outs) == 0;

	ir_interp_free(in);
	ir_graph_free(g);
	return ok;
}

/* int16 (TFLite's SoftmaxInt16) folds beta into its multiplier as TFLite
 * does: beta 2 at s_x equals beta 1 at 2 s_x (both exact in float) */
static void test_int16_beta(void)
{
	int16_t x[40], a[40], b[40], c[40];

	for (int i = 0; i < 40; i++)
		x[i] = (int16_t)(i * 1637 - 32000);
	int ok = run(one_op_dt(DT_I16, 40, 2.0f, 1e-4f, 1.0f / 32768, 0), x, a) &&
	         run(one_op_dt(DT_I16, 40, 1.0f, 2e-4f, 1.0f / 32768, 0), x, b) &&
	         run(one_op_dt(DT_I16, 40, 1.0f, 1e-4f, 1.0f / 32768, 0), x, c);
	check(ok && memcmp(a, b, sizeof a) == 0 && memcmp(a, c, sizeof a) != 0,
	      "int16: beta 2 at s_x 1e-4 gives the bytes of beta 1 at 2e-4 (not those of 1e-4)");
}

static void test_rows(void)
{
	int8_t y[5000];

	for (size_t i = 0; i < N(rows); i++) {
		Graph *g = one_op(rows[i].n, rows[i].beta, rows[i].sx, 1.0f / 256, -128);
		Diag d = {.out = NULL};
		Interp *in = ir_interp_new(g, &d);
		const void *ins[1] = {rows[i].x};
		void *outs[1] = {y};
		int ok = in && ir_interp_run(in, ins, outs) == 0 &&
		         memcmp(y, rows[i].y, (size_t)rows[i].n) == 0;
		check(ok, "%s: the interpreter's %d outputs equal TFLite's (%d %d ...)",
		      rows[i].what, rows[i].n, rows[i].y[0], rows[i].n > 1 ? rows[i].y[1] : 0);
		ir_interp_free(in);
		ir_graph_free(g);
	}
	/* n equal inputs by hand: round(256 / n) - 128 */
	static const int ns[] = {1, 2, 3, 4, 5, 7, 10, 100, 256};
	int ok = 1;
	for (size_t i = 0; i < N(ns); i++) {
		int want = (int)lround(256.0 / ns[i]) - 128;
		ok &= rows[i].n == ns[i] && rows[i].y[0] == (want > 127 ? 127 : want);
	}
	check(ok, "n equal inputs give round(256 / n) - 128 (1: 127, 2: 0, 3: -43, 10: -102)");
}

static int refused(Graph *g, const char *want)
{
	char buf[512];
	Diag d = {.out = tmpfile()};
	int r = ir_interp_check(g, &d);

	rewind(d.out);
	size_t n = fread(buf, 1, sizeof buf - 1, d.out);
	buf[n] = 0;
	fclose(d.out);
	ir_graph_free(g);
	return r == 1 && strstr(buf, want) != NULL;
}

static void test_refusals(void)
{
	check(refused(one_op(4, 1.0f, 0.1f, 1.0f / 128, 0), "must have scale 1/256 and zero point "
	                                                    "-128"),
	      "a result at 1/128, 0: refused, naming TFLite's 1/256, -128");
	check(refused(one_op(4, 1.0f, 0x1p-27f, 1.0f / 256, -128), "is not above 2^-26"),
	      "beta s_x of 2^-27: refused, naming the multiplier's bound");
	check(refused(one_op(4, 0.0f, 0.1f, 1.0f / 256, -128), "beta 0 is not a positive"),
	      "beta 0: refused");
}

/* beta prints only when it is not 1, and parses back */
static void test_text(void)
{
	static const char *src[] = {
	        "model m\ninput x : f32[2,5]\ny = softmax(x) { beta = 2.5 }\noutput y\n",
	        "model m\ninput x : f32[2,5]\ny = softmax(x)\noutput y\n",
	        "model m\ninput x : f32[2,5]\nconst t : i32[1] = [1]\ny = softmax(x, t)\noutput "
	        "y\n",
	};
	char buf[2048];

	for (int i = 0; i < 3; i++) {
		Diag d = {.out = tmpfile()};
		Graph *g = fe_parse_string(src[i], strlen(src[i]), "t.qg", NULL, &d);
		FILE *f = tmpfile();
		size_t n = 0;
		if (g && ir_print(f, g, &(PrintOptions){0}, &d) == 0) {
			rewind(f);
			n = fread(buf, 1, sizeof buf - 1, f);
		} else {
			rewind(d.out);
			n = fread(buf, 1, sizeof buf - 1, d.out);
		}
		buf[n] = 0;
		fclose(f);
		fclose(d.out);
		if (i == 0) {
			Diag d2 = {.out = NULL};
			Graph *g2 = fe_parse_string(buf, n, "back.qg", NULL, &d2);
			check(g && strstr(buf, "softmax(x) { axis = -1, beta = 2.5 }") && g2 &&
			              g2->nodes[0].a.beta == 2.5f,
			      "softmax { beta = 2.5 } prints beta and parses back to 2.5");
			ir_graph_free(g2);
		} else if (i == 1) {
			check(g && g->nodes[0].a.beta == 1.0f && !strstr(buf, "beta"),
			      "softmax without beta: 1 (TFLite's default), not printed");
		} else {
			check(!g && strstr(buf, "softmax"),
			      "softmax with a second operand (an old dump's table): refused");
		}
		ir_graph_free(g);
	}
}

int main(void)
{
	test_gemmlowp();
	test_prepare();
	test_rows();
	test_int16_beta();
	test_refusals();
	test_text();
	return check_report();
}
