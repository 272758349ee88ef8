#!/usr/bin/python3
# softmax8_ref.py — writes softmax8_cases.h for test_softmax8.c: the expected
# outputs of TFLite's int8 softmax, from a line-by-line Python transcription
# of TFLite's reference kernel (tensorflow/lite/kernels/internal/reference/
# softmax.h, the quantized Softmax template), of the Prepare that computes
# its parameters (PreprocessSoftmaxScaling, CalculateInputRadius) and of
# gemmlowp's fixedpoint.h functions it calls, in Python integers (no numpy,
# nothing of quantc).  Where TFLite's kernel is undefined (a row sum of 2^31
# or more wraps its int32; a final shift above 31 fails its TFLITE_CHECK)
# the transcription does what quantc documents (ops.def): the sum saturates,
# the shift is the same rounding with more bits; such cases are marked.
# Run from tests/unit: /usr/bin/python3 softmax8_ref.py; the output is
# committed.
import math
import struct

I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1


def f32(v):
    return struct.unpack("<f", struct.pack("<f", v))[0]


def i32(v):
    assert I32_MIN <= v <= I32_MAX, v
    return v


def trunc_div(a, b):  # C++ integer division
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


# ---- gemmlowp fixedpoint.h ----------------------------------------------------------

def srdhm(a, b):  # SaturatingRoundingDoublingHighMul
    if a == b == I32_MIN:
        return I32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    return i32(trunc_div(ab + nudge, 1 << 31))


def rdbpot(x, e):  # RoundingDivideByPOT (asserts e <= 31; see the header)
    mask = (1 << e) - 1
    rem = x & mask
    thr = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> e) + (1 if rem > thr else 0)


def mul_pot(x, e):  # SaturatingRoundingMultiplyByPOT<e>
    if e == 0:
        return x
    if e < 0:
        return rdbpot(x, -e)
    thr = (1 << (31 - e)) - 1
    if x > thr:
        return I32_MAX
    if x < -thr:
        return I32_MIN
    return i32(x << e)


def rescale(x, src_bits, dst_bits):  # Rescale<dst>(FixedPoint<int32, src>)
    return mul_pot(x, src_bits - dst_bits)


def exp_on_interval_between_negative_one_quarter_and_0_excl(a):
    constant_term = 1895147668
    constant_1_over_3 = 715827883
    x = i32(a + (1 << 28))
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    x4_over_4 = mul_pot(x4, -2)
    x4_over_24_plus_x3_over_6_plus_x2_over_2 = mul_pot(
        i32(srdhm(i32(x4_over_4 + x3), constant_1_over_3) + x2), -1)
    return i32(constant_term +
               srdhm(constant_term, i32(x + x4_over_24_plus_x3_over_6_plus_x2_over_2)))


def exp_on_negative_values(a, int_bits):
    frac = 31 - int_bits
    one_quarter = 1 << (frac - 2)
    mask = one_quarter - 1
    a_mod_quarter_minus_one_quarter = i32((a & mask) - one_quarter)
    result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        rescale(a_mod_quarter_minus_one_quarter, int_bits, 0))
    remainder = i32(a_mod_quarter_minus_one_quarter - a)
    for exponent, mult in ((-2, 1672461947), (-1, 1302514674), (0, 790015084),
                           (1, 290630308), (2, 39332535), (3, 720401), (4, 242)):
        if int_bits > exponent:
            if remainder & (1 << (frac + exponent)):
                result = srdhm(result, mult)
    if int_bits > 5:
        if a < -(1 << (36 - int_bits)):
            result = 0
    if a == 0:
        result = I32_MAX  # FixedPoint<int32, 0>::One()
    return result


def rounding_half_sum(a, b):
    s = a + b
    sign = 1 if s >= 0 else -1
    return i32(trunc_div(s + sign, 2))


def one_over_one_plus_x_for_x_in_0_1(a):
    half_denominator = rounding_half_sum(a, I32_MAX)
    constant_48_over_17 = 1515870810
    constant_neg_32_over_17 = -1010580540
    x = i32(constant_48_over_17 + srdhm(half_denominator, constant_neg_32_over_17))
    for _ in range(3):
        half_denominator_times_x = srdhm(half_denominator, x)
        one_minus_half_denominator_times_x = i32((1 << 29) - half_denominator_times_x)
        x = i32(x + rescale(srdhm(x, one_minus_half_denominator_times_x), 4, 2))
    return rescale(x, 1, 0)  # ExactMulByPot<-1>: Q2 raw read as Q1


# ---- TFLite ------------------------------------------------------------------------

def count_leading_zeros(x):
    return 32 - x.bit_length() if x else 32


def get_reciprocal(x, x_integer_digits):
    headroom_plus_one = count_leading_zeros(x)
    num_bits_over_unit = x_integer_digits - headroom_plus_one
    shifted_sum_minus_one = i32(((x << headroom_plus_one) & 0xffffffff) - (1 << 31))
    return one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one), num_bits_over_unit


def tflite_round(v):  # std::round: half away from zero
    return int(math.floor(abs(v) + 0.5)) * (1 if v >= 0 else -1)


def quantize_multiplier_greater_than_one(m):
    assert m > 1.0
    q, shift = math.frexp(m)
    q_fixed = tflite_round(q * (1 << 31))
    if q_fixed == 1 << 31:
        q_fixed //= 2
        shift += 1
    assert shift >= 0 and q_fixed <= I32_MAX
    return q_fixed, shift


def preprocess_softmax_scaling(beta, input_scale, input_integer_bits):
    real = min(beta * input_scale * (1 << (31 - input_integer_bits)), (1 << 31) - 1.0)
    return quantize_multiplier_greater_than_one(real)


def calculate_input_radius(input_integer_bits, input_left_shift):
    max_input_rescaled = (1.0 * ((1 << input_integer_bits) - 1) *
                          (1 << (31 - input_integer_bits)) / (1 << input_left_shift))
    return int(math.floor(max_input_rescaled))


def softmax_prepare(beta, scale):
    mult, shift = preprocess_softmax_scaling(beta, scale, 5)
    diff_min = -calculate_input_radius(5, shift)
    return mult, shift, diff_min


def softmax_int8(row, beta, scale):
    """TFLite's reference Softmax<int8_t, int8_t> of one row; extended says
    whether the row needed quantc's extension."""
    mult, shift, diff_min = softmax_prepare(beta, scale)
    max_in_row = max(row)
    sum_of_exps = 0
    for v in row:
        input_diff = v - max_in_row
        if input_diff >= diff_min:
            rescaled = srdhm(i32(input_diff * (1 << shift)), mult)
            sum_of_exps += rescale(exp_on_negative_values(rescaled, 5), 0, 12)
    extended = sum_of_exps > I32_MAX
    sum_of_exps = min(sum_of_exps, I32_MAX)  # quantc: saturates
    shifted_scale, num_bits_over_unit = get_reciprocal(sum_of_exps, 12)
    exponent = num_bits_over_unit + 31 - 8
    extended |= exponent > 31  # TFLite: TFLITE_CHECK(exponent <= 31)
    out = []
    for v in row:
        input_diff = v - max_in_row
        if input_diff >= diff_min:
            rescaled = srdhm(i32(input_diff * (1 << shift)), mult)
            exp_in_0 = exp_on_negative_values(rescaled, 5)
            unsat = rdbpot(srdhm(shifted_scale, exp_in_0), exponent)
            out.append(max(min(unsat - 128, 127), -128))
        else:
            out.append(-128)
    return out, extended


# ---- the cases -------------------------------------------------------------------------

class Lcg:
    def __init__(self, seed):
        self.s = seed

    def next(self):
        self.s = (self.s * 6364136223846793005 + 1442695040888963407) & ((1 << 64) - 1)
        return self.s >> 33


def carray(vals):
    return "{" + ", ".join(str(v) for v in vals) + "}"


def main():
    out = ["/* softmax8_cases.h — written by softmax8_ref.py (a Python transcription of",
           " * TFLite's reference int8 softmax and gemmlowp); do not edit. */",
           "/* clang-format off */", ""]

    # gemmlowp's functions on chosen points
    exp_in = [0, -1, -(1 << 24), -(1 << 26), -(1 << 27), -(3 << 26) - 12345,
              -(16 << 26), -(31 << 26) - 5, I32_MIN + 1, -123456789]
    out.append("static const int32_t gl_exp_in[] = %s;" % carray(exp_in))
    out.append("static const int32_t gl_exp_out[] = %s;" %
               carray(exp_on_negative_values(a, 5) for a in exp_in))
    rcp_in = [0, 1 << 30, (1 << 31) - 1, 1, 123456789, 1 << 29]
    out.append("static const int32_t gl_rcp_in[] = %s;" % carray(rcp_in))
    out.append("static const int32_t gl_rcp_out[] = %s;" %
               carray(one_over_one_plus_x_for_x_in_0_1(a) for a in rcp_in))

    # Prepare's parameters
    prep = [(1.0, 0.1), (2.0, 0.05), (1.0, 0.0625), (2.5, 0.037), (1.0, 40.0),
            (0.7, 0.25), (1.0, 1.0 / 256), (3.0, 12.0)]
    out.append("static const struct { float beta, sx; int32_t mult; int shift; int32_t diff_min; } "
               "prep[] = {")
    for beta, sx in prep:
        beta, sx = f32(beta), f32(sx)
        m, s, dm = softmax_prepare(beta, sx)
        out.append("\t{%r, %r, %d, %d, %d}," % (beta, sx, m, s, dm))
    out.append("};")

    # rows: (what, beta, scale, row)
    rng = Lcg(20261207)
    rows = []
    for n in (1, 2, 3, 4, 5, 7, 10, 100, 256):
        rows.append(("%d equal inputs" % n, 1.0, 0.1, [17] * n))
    for k, (beta, sx, n) in enumerate(((1.0, 0.1, 10), (1.0, 0.05, 10), (2.5, 0.2, 12),
                                       (1.0, 0.0625, 16), (0.7, 0.5, 10), (1.0, 0.01, 20),
                                       (1.0, 0.125, 40), (1.5, 1.0 / 32, 33))):
        rows.append(("random row %d (beta %g, s_x %g)" % (k, beta, sx), beta, sx,
                     [int(rng.next() % 256) - 128 for _ in range(n)]))
    # s_x 0.5: diff_min -31, so -31 counts and -32 gives -128
    rows.append(("diffs -27, -31, -30, -32 at s_x 0.5 (diff_min -31)", 1.0, 0.5,
                 [127, 100, 96, 97, 95, 127]))
    rows.append(("beta s_x 40: only the maxima count", 1.0, 40.0, [5, 5, 4, -128, 5]))
    rows.append(("600 equal inputs: final shift 32 (quantc's extension)", 1.0, 0.1, [3] * 600))
    rows.append(("5000 equal inputs: the sum saturates (quantc's extension)", 1.0, 0.1,
                 [3] * 5000))
    out.append("")
    for i, (what, beta, sx, row) in enumerate(rows):
        y, ext = softmax_int8(row, f32(beta), f32(sx))
        assert ext == ("extension" in what), what
        out.append("static const int8_t row%d_x[] = %s;" % (i, carray(row)))
        out.append("static const int8_t row%d_y[] = %s;" % (i, carray(y)))
    out.append("static const struct { const char *what; float beta, sx; int n; "
               "const int8_t *x, *y; } rows[] = {")
    for i, (what, beta, sx, row) in enumerate(rows):
        out.append('\t{"%s", %r, %r, %d, row%d_x, row%d_y},' %
                   (what, f32(beta), f32(sx), len(row), i, i))
    out.append("};")
    out.append("/* clang-format on */")
    with open("softmax8_cases.h", "w") as f:
        f.write("\n".join(out) + "\n")


main()
