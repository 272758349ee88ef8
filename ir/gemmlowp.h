/* ir/gemmlowp.h — gemmlowp's fixed-point functions (its fixedpoint.h) on
 * scalar int32, as TFLite's int8 softmax (reference_ops::Softmax) calls
 * them.  A fixed-point number with I integer bits is an int32 raw value r
 * standing for r / 2^(31 - I) ("Q I.(31-I)").  The product of two is
 * ir_srdhm of their raws (the integer bits add up), a sum the plain int32
 * sum.  The backend (targets/fam_activation.c) emits the same operations in
 * the same order, so the two agree bit for bit; tests/unit/test_softmax8.c
 * checks them against a transcription of TFLite's kernel. */
#ifndef QUANTC_GEMMLOWP_H
#define QUANTC_GEMMLOWP_H

#include <stdint.h>

/* SaturatingRoundingMultiplyByPOT<e>: e > 0 a left shift saturating to
 * int32; e < 0 ir_rdbpot(x, -e); e = 0 x.  |e| <= 31. */
int32_t ir_gl_mul_pot(int32_t x, int e);
/* RoundingHalfSum: (a + b) / 2 rounded half away from zero, in int64. */
int32_t ir_gl_half_sum(int32_t a, int32_t b);
/* exp_on_interval_between_negative_one_quarter_and_0_excl: exp(a) for a in
 * [-1/4, 0), a and the result Q0.31: a Taylor polynomial around -1/8. */
int32_t ir_gl_exp_quarter(int32_t a);
/* exp_on_negative_values: exp(a) in Q0.31 for a <= 0 with int_bits integer
 * bits (0..29): exp of a's residue in [-1/4, 0), then one multiplication by
 * exp(-2^k) for each set bit of the rest (k = -2 .. 4 below int_bits), 0
 * below -32 when int_bits > 5, and exactly 2^31 - 1 at a = 0.  TFLite's int8
 * softmax uses int_bits 5 (IR_GL_DIFF_BITS). */
int32_t ir_gl_exp_neg(int32_t a, int int_bits);
/* one_over_one_plus_x_for_x_in_0_1: 1 / (1 + a) for a in [0, 1), a Q0.31,
 * the result Q0.31: three Newton-Raphson steps from 48/17 - 32/17 d in Q2.29,
 * d = (1 + a) / 2. */
int32_t ir_gl_one_over_one_plus_x(int32_t a);
/* TFLite's GetReciprocal: 1 / x for x > 0 with int_digits integer bits,
 * as a Q0.31 scale 1 / (x 2^-bits) in (1/2, 1] and *bits, the bits of x above
 * 1.0 (int_digits - clz(x)): x's leading one moved to bit 31, less 1.0,
 * through ir_gl_one_over_one_plus_x. */
int32_t ir_gl_reciprocal(int32_t x, int int_digits, int *bits);

enum {
	IR_GL_DIFF_BITS = 5,  /* softmax: kScaledDiffIntegerBits, x - max in Q5.26 */
	IR_GL_ACCUM_BITS = 12 /* softmax: kAccumulationIntegerBits, the sum in Q12.19 */
};

#endif
