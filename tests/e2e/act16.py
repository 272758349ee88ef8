# act16.py — the helper of act16.sh: TFLite's int16 LOGISTIC, TANH and
# SOFTMAX reference kernels written again in Python from their definitions
# (ir/ops.def's rows, TFLite's reference_integer_ops and SoftmaxInt16), so
# that quantc's interpreter is checked against a second implementation bit
# for bit; and the SQNR of each op's int16 result against f32.
#   act16.py models DIR            the one-op models DIR/OP.qg, inputs DIR/OP.x.npy
#   act16.py check DIR [old]       DIR/OP.int16.npy (quantc run) against the
#                                  reference on the quantized input, bit for
#                                  bit; the SQNR against DIR/OP.f32.npy (old:
#                                  DIR/OP.old.npy's too, an earlier quantc's)
import math
import re
import sys

import numpy as np

# TFLite's sigmoid_table_uint16: sigmoid(i / 24) in 0.16 (data, as TFLite has it)
SIG = [
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149,
    40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369,
    47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169,
    53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
    57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370,
    60565, 60753, 60935, 61110, 61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302,
    62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186, 63279, 63368, 63454, 63536,
    63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
    64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786,
    64816, 64845, 64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079,
    65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
    65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
    65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433,
    65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474,
    65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498,
    65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
    65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522,
    65523, 65523, 65524, 65524, 65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528,
    65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531,
    65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65534, 65535,
]


def rnd(v):  # std::round: half away from zero
    return math.floor(abs(v) + 0.5) * (1 if v >= 0 else -1)


def act_scaling(op, sx):
    """TFLite's LOGISTIC / TANH Prepare: input_multiplier, input_left_shift"""
    sx = np.float32(sx)
    l2 = np.float32(np.float32(math.log(sx)) * np.float32(1.0 / np.float32(math.log(2.0))))
    r = np.float32(rnd(float(l2)))
    ls = 12 + int(r)
    if abs(float(l2 - r)) < 1e-3 and (ls == 0 or (op == "tanh" and ls == 1)):
        return 3 << ls, 0
    m, ls = float(sx) * 4096.0 * 3.0, 0
    while m <= 32767.0 / 2.0 and ls <= 30:
        ls, m = ls + 1, m * 2.0
    return int(m), ls


def logistic(x, mult, sh):
    v = (x * mult + ((1 << (sh - 1)) if sh else 0)) >> sh
    a = abs(v)
    if a >> 9 >= 255:
        r = 0x7FFF << 10
    else:
        ua, ub = SIG[a >> 9], SIG[(a >> 9) + 1]
        r = (ua << 9) + (a & 0x1FF) * (ub - ua)
    r = r + (1 << 9) if v >= 0 else (1 << 25) - r + (1 << 9) - 1
    return r >> 10


def tanh(x, mult, sh):
    v = (x * mult + ((1 << (sh - 1)) if sh else 0)) >> sh
    a = abs(v)
    if a >> 8 >= 255:
        r = 0xFFFF << 8
    else:
        ua, ub = SIG[a >> 8], SIG[(a >> 8) + 1]
        r = (ua << 8) + (a & 0xFF) * (ub - ua)
    r = r - (1 << 23) + (1 << 7) if v >= 0 else -r + (1 << 23) + (1 << 7) - 1
    return r >> 8


def lut_populate(f, s_in, z_in, s_out):
    """TFLite's LUTPopulate<int16_t> in double (513 entries)"""
    imin, imax = s_in * (-32768 - z_in), s_in * (32767 - z_in)
    step = (imax - imin) / 512
    inv = 65536.0 / (s_out * 32767 - s_out * -32768)
    t = []
    for i in range(512):
        val, mid, nxt = f(imin + i * step), f(imin + i * step + step / 2), f(imin + (i + 1) * step)
        interp = rnd((nxt * inv + rnd(val * inv)) / 2)
        t.append(rnd(val * inv) - rnd((interp - rnd(mid * inv)) / 2))
    t.append(rnd(f(imax) * inv))
    return [int(min(max(v, -32768), 32767)) for v in t]


EXP = lut_populate(math.exp, 10.0 / 65535, 32767, 2.0 / 65535)
RCP = lut_populate(lambda v: 1.0 / (1.0 + v), 1.0 / 65535, -32768, 2.0 / 65535)


def lut(t, v):  # TFLite's LUTLookup, int16
    i = 256 + (v >> 7)
    return t[i] + (((t[i + 1] - t[i]) * (v & 0x7F) + 64) >> 7)


def quantize_multiplier(m):
    if m == 0:
        return 0, 0
    q, e = math.frexp(m)
    qf = rnd(q * 2.0 ** 31)
    if qf == 2 ** 31:
        qf, e = qf // 2, e + 1
    if e < -31:
        return 0, 0
    if e > 30:
        return 2 ** 31 - 1, 30
    return int(qf), e


def mbqm(x, m, s):
    """gemmlowp's SaturatingRoundingDoublingHighMul then RoundingDivideByPOT"""
    x = max(min(x * (1 << max(s, 0)), 2 ** 31 - 1), -2 ** 31)
    n = x * m + ((1 << 30) if x * m >= 0 else 1 - (1 << 30))
    h = n // (1 << 31) if n >= 0 else -((-n) // (1 << 31))  # truncating
    e = max(-s, 0)
    mask = (1 << e) - 1
    return (h >> e) + (1 if (h & mask) > (mask >> 1) + (1 if h < 0 else 0) else 0)


def softmax_row(xs, sx):
    m, s = quantize_multiplier(float(np.float32(sx)) / (10.0 / 65535.0))
    mx = max(xs)
    es = [lut(EXP, min(max(mbqm(x - mx, m, s) + 32767, -32768), 32767)) for x in xs]
    S = sum(es)
    h = 32 - S.bit_length()
    sh = min(max((((S << (h - 1)) + (1 << 13)) >> 14) - 98304, -32768), 32767)
    r, rs = lut(RCP, sh), 31 - h
    return [min(max((e * r + (1 << (rs - 1))) >> rs, 0), 32767) for e in es]


# model: op, input range, shape (softmax along the last axis); sigmoid's
# range 8 gives s_x = 8/32767, TFLite's power-of-two case (within 1e-3 of
# 2^-12 in log2), 6 and tanh's 4 its general one
OPS = {"sigmoid": ("sigmoid", (-8, 8), (64, 32)), "sigmoid6": ("sigmoid", (-6, 6), (64, 32)),
       "tanh": ("tanh", (-4, 4), (64, 32)), "softmax": ("softmax", (-6, 6), (64, 10))}


def models(d):
    rng = np.random.default_rng(2026)
    for name, (op, (lo, hi), shape) in OPS.items():
        open(f"{d}/{name}.qg", "w").write(
            f"model {name}\ninput x : f32[{shape[0]},{shape[1]}] range [{lo}, {hi}]\n"
            f"y = {op}(x)\noutput y\n")
        x = rng.uniform(lo, hi, shape).astype(np.float32)
        x[0, :4] = [0, lo, hi, 0]  # the centre and both ends
        np.save(f"{d}/{name}.x.npy", x)
    print(f"{len(OPS)} models and inputs")


def qparams(path, name):
    m = re.search(r"^(?:input )?%s : i16\[[^]]*\] q\(scale=([^,]*), zp=([-0-9]+)\)" % name,
                  open(path).read(), re.M)
    return float(m.group(1)), int(m.group(2))


def sqnr(ref, y):
    return 10 * math.log10(float(np.sum(ref ** 2)) / max(float(np.sum((y - ref) ** 2)), 1e-30))


def check(d, old):
    bad = 0
    for name, (op, _, _) in OPS.items():
        x = np.load(f"{d}/{name}.x.npy")
        sx, zx = qparams(f"{d}/{name}.ir", "x")
        sy, zy = qparams(f"{d}/{name}.ir", "y")
        # the float edge: x / s in float, half away from zero, clamped
        t = (x / np.float32(sx)).astype(np.float64)
        xq = np.clip(np.sign(t) * np.floor(np.abs(t) + 0.5) + zx, -32768, 32767).astype(np.int64)
        if op == "softmax":
            want = np.array([softmax_row([int(v) for v in row], sx) for row in xq])
        else:
            f = logistic if op == "sigmoid" else tanh
            m, s = act_scaling(op, sx)
            want = np.vectorize(lambda v: f(int(v) - zx, m, s))(xq)
        got = np.load(f"{d}/{name}.int16.npy").reshape(x.shape).astype(np.float64) * 32768
        same = abs(sy * 32768 - 1) < 1e-7 and zy == 0 and np.array_equal(got, want)
        bad += not same
        print(f"{'ok' if same else 'FAIL'}: int16 {name}: quantc run equals the Python "
              f"TFLite reference bit for bit on {x.size} values (s_x {sx:.6g}, "
              f"{'the general path' if op == 'softmax' or act_scaling(op, sx)[1] else 'power of two'})")
        ref = np.load(f"{d}/{name}.f32.npy").reshape(x.shape).astype(np.float64)
        new = sqnr(ref, got / 32768)
        line = f"int16 {name}: SQNR against f32 {new:.2f} dB (TFLite's algorithm)"
        if old:
            o = np.load(f"{d}/{name}.old.npy").reshape(x.shape).astype(np.float64)
            line += f", {sqnr(ref, o):.2f} dB before (quantc's earlier rule)"
        floor = {"sigmoid": 85, "tanh": 80, "softmax": 75}[op]
        ok = new >= floor
        bad += not ok
        print(f"{'ok' if ok else 'FAIL'}: {line}; floor {floor} dB")
    return bad


if __name__ == "__main__":
    if sys.argv[1] == "models":
        models(sys.argv[2])
    else:
        sys.exit(1 if check(sys.argv[2], len(sys.argv) > 3) else 0)
