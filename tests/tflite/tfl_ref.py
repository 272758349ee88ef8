"""tfl_ref.py — TFLite's int8 reference arithmetic for the operators of the
MLPerf Tiny models (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED,
AVERAGE_POOL_2D, ADD, SOFTMAX), written here in numpy from the formulas of
TFLite's reference kernels (reference_integer_ops, reference_ops::Softmax
with gemmlowp's fixed point), to explain the differences between quantc and
ArmNN (armnn_check.py):

  - `y`: TFLite's int8 result: an exact int32 accumulator requantized by
    MultiplyByQuantizedMultiplier (a rounding doubling high multiply by a
    31-bit multiplier, then a rounding divide by a power of two, each
    rounding half away from zero as gemmlowp does); the integer mean
    rounded half away from zero for the pool; ADD's 20-bit left shift and
    three multipliers; the softmax's fixed-point exp and reciprocal.  quantc
    implements these; the check asks quantc to equal `y` element for
    element.
  - `v`: the exact real result in units of the output's step, plus the zero
    point, before rounding (the accumulator times s_in * s_w / s_out, the
    mean, the real sum, 256 * the real softmax - 128).  ArmNN 20.08's reference backend computes this in
    float32 and rounds it (std::round, half away from zero); where it and
    TFLite disagree, `v` lies at a rounding boundary: distance(v) (to the
    nearest x.5) is ~0.

Each function takes the operator (tflite_file.Operator), the model, and the
operator's run-time inputs as [S, ...] int8 arrays, and returns (y, v) in
the output's shape, or None for an operator it does not cover.
"""
import math

import numpy as np
from flatbuffers import number_types as N

QMIN, QMAX = -128, 127


def quantize_multiplier(m):
    """TFLite's QuantizeMultiplier: m = q * 2^shift, q in [0.5, 1) as a
    31-bit fixed-point integer (rounded half away from zero)"""
    if m == 0:
        return 0, 0
    q, shift = math.frexp(m)
    qf = math.floor(q * (1 << 31) + 0.5)
    if qf == 1 << 31:
        qf //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return qf, shift


def _div_pow2_trunc31(x):
    """x / 2^31 truncated toward zero (C's integer division)"""
    return np.where(x >= 0, x >> 31, -((-x) >> 31))


def mbqm(x, mult, shift):
    """MultiplyByQuantizedMultiplier on int64 arrays (values in int32
    range); mult, shift broadcast (per channel along the last axis)"""
    x = np.asarray(x, np.int64)
    mult = np.asarray(mult, np.int64)
    shift = np.asarray(shift, np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    ab = (x << left) * mult
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    h = _div_pow2_trunc31(ab + nudge)
    mask = (np.int64(1) << right) - 1
    rem = h & mask
    thr = (mask >> 1) + (h < 0)
    return (h >> right) + (rem > thr)


def act_range(act, scale, zp):
    """TFLite's CalculateActivationRangeQuantized for int8"""
    def q(f):
        r = np.float32(f) / np.float32(scale)
        return zp + int(math.copysign(math.floor(abs(float(r)) + 0.5), float(r)))
    if act == 1:  # RELU
        return max(QMIN, zp), QMAX
    if act == 3:  # RELU6
        return max(QMIN, zp), min(QMAX, q(6.0))
    if act == 2:  # RELU_N1_TO_1
        return max(QMIN, q(-1.0)), min(QMAX, q(1.0))
    return QMIN, QMAX


def distance(v):
    """distance of v to the nearest half-integer (a rounding boundary)"""
    return np.abs(v - (np.floor(v) + 0.5))


def _same_pad(n, k, s, d):
    out = (n + s - 1) // s
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return out, total // 2


def _valid_out(n, k, s, d):
    return (n - (k - 1) * d + s - 1) // s


def _windows(x, kh, kw, sh, sw, dh, dw, padding, fill):
    """the input (int64 [S,H,W,C]) padded as TFLite pads (SAME: total pad
    split, the smaller half before) and one [S,OH,OW,C] slice per kernel tap"""
    S, H, W, C = x.shape
    if padding == 0:
        oh, pt = _same_pad(H, kh, sh, dh)
        ow, pl = _same_pad(W, kw, sw, dw)
    else:
        oh, pt, ow, pl = _valid_out(H, kh, sh, dh), 0, _valid_out(W, kw, sw, dw), 0
    ph = max((oh - 1) * sh + (kh - 1) * dh + 1 - H - pt, 0)
    pw = max((ow - 1) * sw + (kw - 1) * dw + 1 - W - pl, 0)
    xp = np.pad(x, ((0, 0), (pt, ph), (pl, pw), (0, 0)), constant_values=fill)
    taps = {}
    for i in range(kh):
        for j in range(kw):
            taps[i, j] = xp[:, i * dh:i * dh + (oh - 1) * sh + 1:sh, j * dw:j * dw + (ow - 1) * sw + 1:sw, :]
    return taps, oh, ow


def _requant(acc, t_in, t_w, t_out, act):
    s_w = np.array(t_w.scale, np.float64)
    real = float(t_in.scale[0]) * s_w / float(t_out.scale[0])
    qs = [quantize_multiplier(float(r)) for r in real]
    mult = np.array([q[0] for q in qs], np.int64)
    shift = np.array([q[1] for q in qs], np.int64)
    zp = t_out.zero_point[0]
    lo, hi = act_range(act, t_out.scale[0], zp)
    y = np.clip(mbqm(acc, mult, shift) + zp, lo, hi).astype(np.int8)
    v = acc.astype(np.float64) * real + zp
    return y, v


def _const(model, i):
    t = model.tensors[i]
    b = model.buffers[t.buffer]
    o = b.Offset(4)
    start = b.Vector(o)
    return np.frombuffer(bytes(model.data[start:start + b.VectorLen(o)]), t.dtype).reshape(t.shape)


def conv(model, op, xs, depthwise=False):
    t_in, t_w = model.tensors[op.inputs[0]], model.tensors[op.inputs[1]]
    t_out = model.tensors[op.outputs[0]]
    w = _const(model, op.inputs[1]).astype(np.int64) - (t_w.zero_point[0] if t_w.zero_point else 0)
    b = _const(model, op.inputs[2]).astype(np.int64) if len(op.inputs) > 2 and op.inputs[2] >= 0 \
        else np.zeros(t_out.shape[-1], np.int64)
    pad = op.option(0, N.Int8Flags, 0)
    sw, sh = op.option(1, N.Int32Flags, 1), op.option(2, N.Int32Flags, 1)
    if depthwise:  # DepthwiseConv2DOptions: .., depth_multiplier 3, act 4, dilation_w 5, _h 6
        mult, act = op.option(3, N.Int32Flags, 1), op.option(4, N.Int8Flags, 0)
        dw, dh = op.option(5, N.Int32Flags, 1), op.option(6, N.Int32Flags, 1)
    else:
        act = op.option(3, N.Int8Flags, 0)
        dw, dh = op.option(4, N.Int32Flags, 1), op.option(5, N.Int32Flags, 1)
    x = xs[0].astype(np.int64) - t_in.zero_point[0]
    kh, kw = w.shape[1], w.shape[2]
    taps, oh, ow = _windows(x, kh, kw, sh, sw, dh, dw, pad, 0)
    acc = np.zeros((x.shape[0], oh, ow, t_out.shape[-1]), np.int64)
    for (i, j), sl in taps.items():
        if depthwise:
            acc += np.repeat(sl, mult, axis=3) * w[0, i, j, :]
        else:
            acc += sl @ w[:, i, j, :].T
    acc += b
    return _requant(acc, t_in, t_w, t_out, act)


def fully_connected(model, op, xs):
    t_in, t_w = model.tensors[op.inputs[0]], model.tensors[op.inputs[1]]
    t_out = model.tensors[op.outputs[0]]
    w = _const(model, op.inputs[1]).astype(np.int64) - (t_w.zero_point[0] if t_w.zero_point else 0)
    act = op.option(0, N.Int8Flags, 0)
    x = xs[0].astype(np.int64).reshape(len(xs[0]), -1, w.shape[1]) - t_in.zero_point[0]
    acc = x @ w.T
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        acc += _const(model, op.inputs[2]).astype(np.int64)
    y, v = _requant(acc, t_in, t_w, t_out, act)
    shape = [len(xs[0])] + t_out.shape
    return y.reshape(shape), v.reshape(shape)


def average_pool(model, op, xs):
    # Pool2DOptions: padding 0, stride_w 1, stride_h 2, filter_width 3,
    # filter_height 4, fused_activation_function 5
    t_in, t_out = model.tensors[op.inputs[0]], model.tensors[op.outputs[0]]
    pad = op.option(0, N.Int8Flags, 0)
    sw, sh = op.option(1, N.Int32Flags, 1), op.option(2, N.Int32Flags, 1)
    fw, fh = op.option(3, N.Int32Flags, 1), op.option(4, N.Int32Flags, 1)
    act = op.option(5, N.Int8Flags, 0)
    x = xs[0].astype(np.int64)
    taps, oh, ow = _windows(x, fh, fw, sh, sw, 1, 1, pad, 0)
    ones, _, _ = _windows(np.ones_like(x[:1]), fh, fw, sh, sw, 1, 1, pad, 0)
    total = sum(taps.values())
    count = sum(ones.values())
    # TFLite: (sum +- count/2) / count, C division: the mean of q rounded
    # half away from zero
    y = np.where(total > 0, (total + count // 2) // count, -((-total + count // 2) // count))
    lo, hi = act_range(act, t_out.scale[0], t_out.zero_point[0])
    y = np.clip(y, lo, hi).astype(np.int8)
    # the real mean in the output's steps (same scale and zero point as the
    # input for TFLite's int8 pool)
    v = (total / count - t_in.zero_point[0]) * (t_in.scale[0] / t_out.scale[0]) + t_out.zero_point[0]
    return y, v


def add(model, op, xs):
    # AddOptions: fused_activation_function 0
    t1, t2 = model.tensors[op.inputs[0]], model.tensors[op.inputs[1]]
    t_out = model.tensors[op.outputs[0]]
    a, b = xs
    s1, s2, so = float(t1.scale[0]), float(t2.scale[0]), float(t_out.scale[0])
    left = 20
    twice_max = 2 * max(s1, s2)
    m1, sh1 = quantize_multiplier(s1 / twice_max)
    m2, sh2 = quantize_multiplier(s2 / twice_max)
    mo, sho = quantize_multiplier(twice_max / ((1 << left) * so))
    x1 = (a.astype(np.int64) - t1.zero_point[0]) << left
    x2 = (b.astype(np.int64) - t2.zero_point[0]) << left
    raw = mbqm(x1, m1, sh1) + mbqm(x2, m2, sh2)
    act = op.option(0, N.Int8Flags, 0)
    lo, hi = act_range(act, so, t_out.zero_point[0])
    y = np.clip(mbqm(raw, mo, sho) + t_out.zero_point[0], lo, hi).astype(np.int8)
    v = ((a.astype(np.float64) - t1.zero_point[0]) * s1 + (b.astype(np.float64) - t2.zero_point[0]) * s2) \
        / so + t_out.zero_point[0]
    return y, v


# ---- SOFTMAX: TFLite's reference int8 Softmax (gemmlowp fixed point) -------
# int64 arrays holding int32 values; each helper is the gemmlowp function of
# the same name on raw values (a FixedPoint's integer bits only decide the
# constants and shifts spelled out below).
I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1


def _srdhm(a, b):
    """SaturatingRoundingDoublingHighMul"""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    r = _div_pow2_trunc31(ab + nudge)
    return np.where((a == I32_MIN) & (b == I32_MIN), I32_MAX, r)


def _rdbpot(x, e):
    """RoundingDivideByPOT"""
    mask = (1 << e) - 1
    rem = x & mask
    thr = (mask >> 1) + (x < 0)
    return (x >> e) + (rem > thr)


def _sat_shl(x, e):
    """SaturatingRoundingMultiplyByPOT with a positive exponent"""
    return np.clip(x << e, I32_MIN, I32_MAX)


def _exp_quarter(a):
    """exp_on_interval_between_negative_one_quarter_and_0_excl (F0 in, F0
    out)"""
    x = a + (1 << 28)
    x2 = _srdhm(x, x)
    x3 = _srdhm(x2, x)
    x4 = _srdhm(x2, x2)
    x4_4 = _rdbpot(x4, 2)
    poly = _rdbpot(_srdhm(x4_4 + x3, 715827883) + x2, 1)
    return 1895147668 + _srdhm(1895147668, x + poly)


def _exp_neg(a):
    """exp_on_negative_values for a FixedPoint<int32, 5> (26 fractional
    bits), an F0 result"""
    quarter = 1 << 24
    mod = (a & (quarter - 1)) - quarter  # FromScalar(1): a raw 1
    result = _exp_quarter(_sat_shl(mod, 5))
    rem = mod - a
    for exponent, mult in ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
                           (2, 39332535), (3, 720401), (4, 242)):
        bit = (rem & (1 << (26 + exponent))) != 0
        result = np.where(bit, _srdhm(result, mult), result)
    return np.where(a == 0, I32_MAX, result)


def _one_over_one_plus_x(a):
    """one_over_one_plus_x_for_x_in_0_1 (F0 in, F0 out)"""
    s = a + I32_MAX
    half_den = np.where(s >= 0, (s + 1) // 2, -((-(s - 1)) // 2))
    x = 1515870810 + _srdhm(half_den, -1010580540)
    for _ in range(3):
        hx = _srdhm(half_den, x)
        x = x + _sat_shl(_srdhm(x, (1 << 29) - hx), 2)
    return _sat_shl(x, 1)


def softmax_rows(x, s_x, beta):
    """TFLite's int8 softmax along the last axis of x, input scale s_x, the
    result at scale 1/256, zero point -128: (y, v)"""
    real = min(float(beta) * float(s_x) * (1 << 26), float((1 << 31) - 1))
    mult, left = quantize_multiplier(real)
    radius = math.floor(31.0 * (1 << 26) / (1 << left))
    x = x.astype(np.int64)
    diff = x - x.max(axis=-1, keepdims=True)
    ok = diff >= -radius
    scaled = _srdhm(diff * (1 << left), mult)
    e = _exp_neg(scaled)
    total = np.where(ok, _rdbpot(e, 12), 0).sum(axis=-1, keepdims=True)
    # GetReciprocal(total, 12)
    hr = 32 - np.floor(np.log2(total.astype(np.float64))).astype(np.int64) - 1
    over = 12 - hr
    shifted = ((total << hr) & 0xFFFFFFFF) - (1 << 31)
    scale = _one_over_one_plus_x(shifted)
    out = _rdbpot(_srdhm(scale, e), over + 31 - 8) - 128
    y = np.where(ok, np.clip(out, -128, 127), -128).astype(np.int8)
    # the real softmax in the output's steps
    f = np.exp((x - x.max(axis=-1, keepdims=True)) * float(s_x) * float(beta))
    v = f / f.sum(axis=-1, keepdims=True) * 256 - 128
    return y, v


def softmax(model, op, xs):
    # SoftmaxOptions: beta 0 (float)
    t_in, t_out = model.tensors[op.inputs[0]], model.tensors[op.outputs[0]]
    if t_out.zero_point[0] != -128 or abs(t_out.scale[0] - 1 / 256) > 1e-9:
        return None
    return softmax_rows(xs[0], t_in.scale[0], op.option(0, N.Float32Flags, 1.0))


def reference(model, op, xs):
    """(y, v) of TFLite's int8 arithmetic for op on inputs xs ([S, ...the
    tensor's shape] each), in the output's shape [S, ...], or None"""
    t_out = model.tensors[op.outputs[0]]
    if t_out.type != 9 or any(x.dtype != np.int8 for x in xs):
        return None
    S = len(xs[0])
    xs = [x.reshape([S] + model.tensors[i].shape[1:]) if len(model.tensors[i].shape) == 4 else x
          for x, i in zip(xs, [i for i in op.inputs if i >= 0 and not model.tensors[i].constant])]
    if op.name == "CONV_2D":
        r = conv(model, op, xs)
    elif op.name == "DEPTHWISE_CONV_2D":
        r = conv(model, op, xs, depthwise=True)
    elif op.name == "FULLY_CONNECTED":
        r = fully_connected(model, op, xs)
    elif op.name == "AVERAGE_POOL_2D":
        r = average_pool(model, op, xs)
    elif op.name == "ADD" and len(xs) == 2 and xs[0].shape == xs[1].shape:
        r = add(model, op, xs)
    elif op.name == "SOFTMAX":
        r = softmax(model, op, xs)
        if r is None:
            return None
    else:
        return None
    shape = [S] + t_out.shape
    return r[0].reshape(shape), r[1].reshape(shape)
