# unary.py — the helper of unary.sh: the unary ops' models, inputs and
# references, and the numeric checks.  Each step prints what it checked and
# exits 1 on a failure.
#   unary.py models DIR          per-op models DIR/op.qg and inputs DIR/op.x.npy,
#                                the all-ops model DIR/all.qg and DIR/all.x.npy
#   unary.py f32 DIR             each op's f32 result against the function in
#                                double (Python's math)
#   unary.py int DIR PREC        each op's int8/int16 result within its bound
#   unary.py onnx DIR            the ONNX models of the operators and patterns
#   unary.py onnx-check DIR      their f32 results against the references
#   unary.py lse DIR             ReduceLogSumExp and ReduceLogSum models
#   unary.py lse-check DIR       their f32 results against numpy
#   unary.py wide DIR            sin, cos, tan on floats of every magnitude
#   unary.py wide-check DIR      their f32 results within half an ulp of double
import math
import re
import sys

import numpy as np

f32 = lambda v: float(np.float32(v))
SELU_A, SELU_G = f32(1.67326319), f32(1.05070102)


def gelu(x):
    return 0.5 * x * (1 + math.erf(x / math.sqrt(2)))


def softplus(x):
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


# op: (attributes, input range, f in double, jumps (int16 interpolates across them))
OPS = {
    "neg": ("", (-4, 3), lambda x: -x, []),
    "sqrt": ("", (0.05, 9), math.sqrt, []),
    "exp": ("", (-4, 3), math.exp, []),
    "log": ("", (0.05, 8), math.log, []),
    "reciprocal": ("", (0.25, 4), lambda x: 1 / x, []),
    "sign": ("", (-4, 4), lambda x: (x > 0) - (x < 0), [0]),
    "elu": ("alpha = 1.5", (-4, 4), lambda x: x if x >= 0 else 1.5 * math.expm1(x), []),
    "selu": ("", (-4, 4), lambda x: SELU_G * x if x > 0 else SELU_G * SELU_A * math.expm1(x), []),
    "softplus": ("", (-6, 6), softplus, []),
    "softsign": ("", (-6, 6), lambda x: x / (1 + abs(x)), []),
    "mish": ("", (-6, 6), lambda x: x * math.tanh(softplus(x)), []),
    "gelu": ("", (-4, 4), gelu, []),
    "erf": ("", (-3, 3), math.erf, []),
    "pow": ("alpha = 3", (-2, 2), lambda x: x ** 3, []),
    "shrink": ("alpha = 1, beta = 0.25", (-4, 4),
               lambda x: x + 0.25 if x < -1 else x - 0.25 if x > 1 else 0.0, [-1, 1]),
    "celu": ("alpha = 2", (-4, 4), lambda x: max(0, x) + min(0, 2 * math.expm1(x / 2)), []),
    "thresholded_relu": ("alpha = 0.5", (-4, 4), lambda x: x if x > 0.5 else 0.0, [0.5]),
    "floor": ("", (-4, 4), math.floor, list(range(-4, 5))),
    "ceil": ("", (-4, 4), math.ceil, list(range(-4, 5))),
    "round": ("", (-4, 4), round, [k + 0.5 for k in range(-5, 5)]),
    "sin": ("", (-4, 4), math.sin, []),
    "cos": ("", (-4, 4), math.cos, []),
    "tan": ("", (-1.4, 1.4), math.tan, []),
    "asin": ("", (-0.98, 0.98), math.asin, []),
    "acos": ("", (-0.98, 0.98), math.acos, []),
    "atan": ("", (-6, 6), math.atan, []),
    "sinh": ("", (-4, 4), math.sinh, []),
    "cosh": ("", (-4, 4), math.cosh, []),
    "asinh": ("", (-6, 6), math.asinh, []),
    "acosh": ("", (1.05, 6), math.acosh, []),
    "atanh": ("", (-0.95, 0.95), math.atanh, []),
    "leaky_relu": ("alpha = 0.125", (-4, 4), lambda x: x if x >= 0 else 0.125 * x, []),
    "sigmoid": ("", (-6, 6), lambda x: 1 / (1 + math.exp(-x)), []),
    "tanh": ("", (-4, 4), math.tanh, []),
    "hard_sigmoid": ("", (-4, 4), lambda x: min(1, max(0, f32(0.2) * x + f32(0.5))), []),
    "hard_swish": ("", (-5, 5), lambda x: x * min(6, max(0, x + 3)) / 6, []),
}



def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def log_softmax(x):
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


# softmax and log_softmax along the last axis: (input range, f of a [.., W] array)
ROW = {"softmax": ((-6, 6), softmax), "log_softmax": ((-6, 6), log_softmax)}
# where f' jumps (kinks): the interpolation error there is at most
# h |f'(k+) - f'(k-)| / 4, not h^2/8 max|f''|
KINKS = {"leaky_relu": [0], "elu": [0], "selu": [0], "hard_sigmoid": [-2.5, 2.5],
         "hard_swish": [-3, 3], "thresholded_relu": [0.5], "shrink": [-1, 1]}
N = 64  # samples
W = 16  # elements per sample


def ref(op, x):
    if op in ROW:
        return ROW[op][1](x.astype(np.float64))
    f = OPS[op][2]
    return np.vectorize(lambda v: float(f(float(v))))(x.astype(np.float64))


def models(d):
    rng = np.random.default_rng(18)
    for op, (attrs, (lo, hi), _, _) in OPS.items():
        body = f"y = {op}(x)" + (f" {{ {attrs} }}" if attrs else "")
        open(f"{d}/{op}.qg", "w").write(
            f"model u_{op}\ninput x : f32[1,{W}] range [{lo}, {hi}]\n{body}\noutput y\n")
        np.save(f"{d}/{op}.x.npy", rng.uniform(lo, hi, (N, W)).astype(np.float32))
    for op, ((lo, hi), _) in ROW.items():
        open(f"{d}/{op}.qg", "w").write(
            f"model u_{op}\ninput x : f32[1,{W}] range [{lo}, {hi}]\ny = {op}(x)\noutput y\n")
        np.save(f"{d}/{op}.x.npy", rng.uniform(lo, hi, (N, W)).astype(np.float32))
    # every op in one model, for the compiled objects: the ops that need
    # x > 0 read |x| + 0.25, x >= 1 |x| + 1, |x| < 1 (and tan) tanh(x); the
    # results joined, 8 per concat
    lines = ["model all", f"input x : f32[1,{W}] range [-4, 4]", "const c : f32[1] = [0.25]",
             "const one : f32[1] = [1]", "ax = abs(x)", "p = add(ax, c)", "p1 = add(ax, one)",
             "th = tanh(x)"]
    names = []
    for op, (attrs, (lo, hi), _, _) in OPS.items():
        src = ("p1" if lo >= 1 else "p" if lo > 0 else
               "th" if (lo >= -1 and hi <= 1) or op == "tan" else "x")
        lines.append(f"r_{op} = {op}({src})" + (f" {{ {attrs} }}" if attrs else ""))
        names.append(f"r_{op}")
    for op in ROW:
        lines.append(f"r_{op} = {op}(x)")
        names.append(f"r_{op}")
    groups = [names[i:i + 8] for i in range(0, len(names), 8)]
    for i, g in enumerate(groups):
        lines.append(f"c{i} = concat({', '.join(g)}) {{ axis = 1 }}")
    lines.append(f"y = concat({', '.join(f'c{i}' for i in range(len(groups)))}) {{ axis = 1 }}")
    lines.append("output y")
    open(f"{d}/all.qg", "w").write("\n".join(lines) + "\n")
    np.save(f"{d}/all.x.npy", rng.uniform(-4, 4, (N, W)).astype(np.float32))
    np.save(f"{d}/lab.npy", np.zeros(N, np.int32))
    print(f"{len(OPS)} per-op models, {N} samples of {W} each, and all.qg")


def check_f32(d):
    bad = 0
    for op in ROW:
        x = np.load(f"{d}/{op}.x.npy")
        y = np.load(f"{d}/{op}.y.f32.npy").reshape(x.shape).astype(np.float64)
        # qrt_expf's few ulps, a float sum of 16 terms and (log_softmax) a log
        err = np.abs(y - ref(op, x)).max()
        ok = err <= 2e-6
        bad += not ok
        print(f"f32 {op}: max |y - f(x)| {err:.3g} (bound 2e-6){'' if ok else '  FAIL'}")
    for op in OPS:
        x = np.load(f"{d}/{op}.x.npy")
        y = np.load(f"{d}/{op}.y.f32.npy").reshape(x.shape).astype(np.float64)
        r = ref(op, x)
        # within 8 ulps (2^-20 relative) of the function in double; tanh
        # (qrt_tanhf: 2^-23 absolute) and hard_sigmoid (alpha x + beta in
        # float) also 2^-22 absolute
        ab = 2.0 ** -22 if op in ("tanh", "hard_sigmoid") else 0.0
        err = np.max((np.abs(y - r) - ab) / np.maximum(np.abs(r), 2.0 ** -126))
        ok = err <= 2.0 ** -20
        bad += not ok
        print(f"f32 {op}: max relative error {max(err, 0):.3g} (bound 2^-20"
              f"{' beyond 2^-22 absolute' if ab else ''}){'' if ok else '  FAIL'}")
    return bad


def qparams(path, name):
    m = re.search(r"^(?:input )?%s : i(?:8|16)\[[^]]*\] q\(scale=([^,]*), zp=([-0-9]+)\)" % name,
                  open(path).read(), re.M)
    return float(m.group(1)), int(m.group(2))


def check_int(d, prec):
    bad = 0
    qmin, qmax = (-128, 127) if prec == "int8" else (-32768, 32767)
    for op in ROW:
        x = np.load(f"{d}/{op}.x.npy")
        y = np.load(f"{d}/{op}.y.{prec}.npy").reshape(x.shape).astype(np.float64)
        sx, zx = qparams(f"{d}/{op}.{prec}.ir", "x")
        sy, zy = qparams(f"{d}/{op}.{prec}.ir", "y")
        t = (x / np.float32(sx)).astype(np.float64)
        xq = np.clip(np.sign(t) * np.floor(np.abs(t) + 0.5) + zx, qmin, qmax)
        r = np.clip(ref(op, (xq - zx) * sx), sy * (qmin - zy), sy * (qmax - zy))
        # half a step for the rounding, the rest for exp's 2^-20 fixed point
        # and (log_softmax) the interpolated ln: one step.  int16 softmax is
        # TFLite's: each exp is rounded to Q15 (and below exp(-10) reads as 2
        # steps) before the sum, so 1 + 2 W steps over a row of W
        steps = 1 + 2 * x.shape[-1] if prec == "int16" and op == "softmax" else 1
        err = np.abs(y - r).max()
        ok = err <= sy * 1.0001 * steps
        bad += not ok
        print(f"{prec} {op}: max |q - f(x_q)| = {err:.3g} = {err / sy:.2f} output steps, "
              f"bound {steps:.2f}{'' if ok else '  FAIL'}")
        # against f32 on the raw input: plus half an input step times the
        # sum over a row of |d out / d x| (softmax 1/2, log_softmax 2)
        fr = np.clip(np.load(f"{d}/{op}.y.f32.npy").reshape(x.shape).astype(np.float64),
                     sy * (qmin - zy), sy * (qmax - zy))
        e2 = np.abs(y - fr).max()
        b2 = sy * 1.0001 * steps + 0.5 * sx * (0.5 if op == "softmax" else 2) + 2e-6
        ok = e2 <= b2
        bad += not ok
        print(f"{prec} {op}: max |q - f32| = {e2:.3g}, bound {b2:.3g}{'' if ok else '  FAIL'}")
    for op, (_, (lo, hi), _, jumps) in OPS.items():
        x = np.load(f"{d}/{op}.x.npy")
        y = np.load(f"{d}/{op}.y.{prec}.npy").reshape(x.shape).astype(np.float64)
        sx, zx = qparams(f"{d}/{op}.{prec}.ir", "x")
        sy, zy = qparams(f"{d}/{op}.{prec}.ir", "y")
        # the input as the float edge quantizes it (x / s in float, half
        # away from zero)
        t = (x / np.float32(sx)).astype(np.float64)
        xq = np.clip(np.sign(t) * np.floor(np.abs(t) + 0.5) + zx, qmin, qmax)
        xd = (xq - zx) * sx
        # f(x_q), clamped to what the result's type holds (tanh's 1/128)
        r = np.clip(ref(op, xd), sy * (qmin - zy), sy * (qmax - zy))
        keep = np.ones(x.shape, bool)
        g = np.linspace(lo, hi, 4001)
        fg = ref(op, g)
        f1 = np.abs(np.diff(fg)) / (g[1] - g[0])
        far = np.ones(f1.shape, bool)  # grid intervals away from the jumps
        keep2 = np.ones(x.shape, bool)  # elements whose x and x_q are on one side
        for j in jumps:
            far &= np.abs(g[:-1] - j) > 2 * (g[1] - g[0]) + sx
            keep2 &= np.abs(x - j) > sx
        if prec == "int8":
            # table[q] = quantize(f(q)): half an output step
            bound = 0.5 * sy * 1.001
            why = "half an output step"
        else:
            # 1.5 steps (rounding, TFLite's midpoint bias) plus linear
            # interpolation's h^2/8 max|f''|, h = 128 input steps; within 2h
            # of a jump the table interpolates across it and the midpoint
            # bias of the entry at its end is off (excluded)
            h = 128 * sx
            f2 = np.abs(np.diff(fg, 2)) / (g[1] - g[0]) ** 2
            near = np.zeros(g.shape[0] - 2, bool)
            for j in jumps:
                near |= np.abs(g[1:-1] - j) < 2 * (g[1] - g[0]) + 2 * h
                keep &= np.abs(xd - j) > 2 * h
            kink = 0.0
            for k in KINKS.get(op, []):
                near |= np.abs(g[1:-1] - k) < 2 * (g[1] - g[0])
                e = 1e-4
                fk = ref(op, np.array([k - 2 * e, k - e, k + e, k + 2 * e]))
                kink = max(kink, abs((fk[3] - fk[2]) - (fk[1] - fk[0])) / e)
            f2 = f2[~near]
            # and the last entry (at 32768, one input value past the range)
            # clamped: up to one input step times max|f'| in the last interval
            top = np.abs(xd - sx * (32767 - zx)) <= h
            end = sx * f1[far].max() if top.any() else 0
            bound = 1.5 * sy + h * h / 8 * (f2.max() if f2.size else 0) * 1.05 + end
            bound = max(bound, 1.5 * sy + h * kink / 4 * 1.05 + end)
            why = f"1.5 steps + h^2/8 max|f''|" + (" or h/4 |kink|" if kink else "") + (
                " + s_x max|f'|" if end else "") + (
                ", away from jumps" if jumps else "")
        err = np.abs(y - r)[keep].max()
        ok = err <= bound
        bad += not ok
        print(f"{prec} {op}: max |q - f(x_q)| = {err:.3g} = {err / sy:.2f} output steps, "
              f"bound {bound / sy:.2f} ({why}), {keep.sum()} of {keep.size} elements"
              f"{'' if ok else '  FAIL'}")
        # against f32 on the raw input (clamped to the result's type): plus
        # half an input step times max|f'| (away from jumps) and f32's error
        fr = np.clip(np.load(f"{d}/{op}.y.f32.npy").reshape(x.shape).astype(np.float64),
                     sy * (qmin - zy), sy * (qmax - zy))
        k2 = keep & keep2
        e2 = np.abs(y - fr)[k2].max()
        b2 = bound + 0.5 * sx * f1[far].max() * 1.01 + 2.0 ** -20 * np.abs(fr).max()
        ok = e2 <= b2
        bad += not ok
        print(f"{prec} {op}: max |q - f32| = {e2:.3g} = {e2 / sy:.2f} output steps, bound "
              f"{b2 / sy:.2f} (+ s_x/2 max|f'|), {k2.sum()} of {k2.size} elements"
              f"{'' if ok else '  FAIL'}")
    return bad


# ONNX: (op type, attributes, input range, our op) — the reference is OPS[our op]
ONNX = [("Neg", {}, "neg"), ("Sqrt", {}, "sqrt"), ("Exp", {}, "exp"), ("Log", {}, "log"),
        ("Reciprocal", {}, "reciprocal"), ("Sign", {}, "sign"), ("Elu", {"alpha": 1.5}, "elu"),
        ("Selu", {}, "selu"), ("Softplus", {}, "softplus"), ("Softsign", {}, "softsign"),
        ("Mish", {}, "mish"), ("Gelu", {}, "gelu"), ("Erf", {}, "erf"),
        ("Shrink", {"lambd": 1.0, "bias": 0.25}, "shrink"), ("Celu", {"alpha": 2.0}, "celu"),
        ("ThresholdedRelu", {"alpha": 0.5}, "thresholded_relu"), ("Floor", {}, "floor"),
        ("Ceil", {}, "ceil"), ("Round", {}, "round"), ("Pow", {}, "pow"),
        ("LogSoftmax", {}, "log_softmax"), ("Sin", {}, "sin"), ("Cos", {}, "cos"),
        ("Tan", {}, "tan"), ("Asin", {}, "asin"), ("Acos", {}, "acos"), ("Atan", {}, "atan"),
        ("Sinh", {}, "sinh"), ("Cosh", {}, "cosh"), ("Asinh", {}, "asinh"),
        ("Acosh", {}, "acosh"), ("Atanh", {}, "atanh")]


def onnx_models(d):
    from onnx import TensorProto, helper, numpy_helper, save
    X = lambda: helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, W])
    Y = lambda: helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, W])
    for name, attrs, op in ONNX:
        inits = []
        if name == "Pow":
            ins = ["x", "e"]
            inits = [numpy_helper.from_array(np.array(3, np.float32), "e")]
        else:
            ins = ["x"]
        # Mish (opset 18) and Gelu (20) are read by name at any opset the
        # importer takes
        opset = 17 if name in ("Gelu", "Mish") else 13
        g = helper.make_graph([helper.make_node(name, ins, ["y"], **attrs)], name, [X()], [Y()],
                              inits)
        save(helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)]),
             f"{d}/o_{op}.onnx")
    # Pow with a run-time exponent: powv
    g = helper.make_graph([helper.make_node("Pow", ["x", "x"], ["y"])], "p", [X()], [Y()])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), f"{d}/pow_rt.onnx")
    # x * relu6(x + 3) / 6 after a Conv, in both operand orders, and Div by
    # a power of two and by 3
    w = numpy_helper.from_array(np.ones((2, 2, 1, 1), np.float32) / 2, "w")
    k = lambda n, v: numpy_helper.from_array(np.array(v, np.float32), n)
    lo_hi = [k("zero", 0), k("six", 6)]
    for name, add_in, mul_in in [("hs1", ["c", "three"], ["c", "r"]),
                                 ("hs2", ["three", "c"], ["r", "c"])]:
        nodes = [helper.make_node("Conv", ["x", "w"], ["c"]),
                 helper.make_node("Add", add_in, ["a"]),
                 helper.make_node("Clip", ["a", "zero", "six"], ["r"]),
                 helper.make_node("Mul", mul_in, ["m"]),
                 helper.make_node("Div", ["m", "sixd"], ["y"])]
        g = helper.make_graph(nodes, name,
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 2, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 2, 4])],
                              [w, k("three", 3), k("sixd", 6)] + lo_hi)
        save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), f"{d}/{name}.onnx")
    for name, c in [("div4", 4), ("div3", 3)]:
        g = helper.make_graph([helper.make_node("Div", ["x", "c"], ["y"])], name, [X()], [Y()],
                              [k("c", c)])
        save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), f"{d}/{name}.onnx")
    # PyTorch's nn.Hardswish at opsets 11 and 13 (x * HardSigmoid(x)) and 14
    try:
        import torch
        m = torch.nn.Sequential(torch.nn.Conv2d(2, 2, 1), torch.nn.Hardswish()).eval()
        for o in (11, 13, 14):
            torch.onnx.export(m, torch.randn(1, 2, 2, 4), f"{d}/torch_hs{o}.onnx", opset_version=o,
                              input_names=["x"], output_names=["y"])
    except Exception as e:  # no torch: say so, the shell test fails on the missing file
        print("torch export failed:", e)
    print(f"{len(ONNX)} ONNX operator models, the HardSwish patterns, Div by 4 and 3")


def onnx_check(d):
    bad = 0
    for name, _, op in ONNX:
        x = np.load(f"{d}/{op}.x.npy")
        y = np.load(f"{d}/o_{op}.y.npy").reshape(x.shape).astype(np.float64)
        r = ref(op, x)
        if op in ROW:  # absolute, as check_f32
            err, tol = np.abs(y - r).max(), 2e-6
        else:
            err, tol = (np.abs(y - r) / np.maximum(np.abs(r), 2.0 ** -126)).max(), 2.0 ** -20
        ok = err <= tol
        bad += not ok
        print(f"ONNX {name}: max {'absolute' if op in ROW else 'relative'} error {err:.3g} against the reference{'' if ok else '  FAIL'}")
    return bad


def wide_model(d):
    # sin, cos, tan of floats of every magnitude up to 2^127 (the reduction
    # modulo pi/2 must be exact for each), and -0, +-inf, NaN
    rng = np.random.default_rng(19)
    bits = rng.integers(0, 0x7f000000, (N, W), dtype=np.int64).astype(np.uint32)
    x = bits.view(np.float32) * rng.choice(np.float32([-1, 1]), (N, W))
    x[0, :4] = np.float32([-0.0, np.inf, -np.inf, np.nan])
    np.save(f"{d}/wide.x.npy", x)
    open(f"{d}/wide.qg", "w").write(
        f"model wide\ninput x : f32[1,{W}]\ns = sin(x)\nc = cos(x)\nt = tan(x)\n"
        "y = concat(s, c, t) { axis = 1 }\noutput y\n")
    a = np.abs(x[np.isfinite(x) & (x != 0)])
    print(f"{x.size} floats, |x| from {a.min():.3g} to {a.max():.3g}, and -0, +-inf, NaN")


def wide_check(d):
    x = np.load(f"{d}/wide.x.npy").astype(np.float64)
    y = np.load(f"{d}/wide.y.npy").reshape(N, 3 * W).astype(np.float64)
    bad = 0
    for i, (name, f) in enumerate((("sin", np.sin), ("cos", np.cos), ("tan", np.tan))):
        r, g = f(x), y[:, i * W:(i + 1) * W]
        nan = np.isnan(r)
        ulp = np.spacing(np.abs(r.astype(np.float32))).astype(np.float64)
        err = np.abs(g - r)[~nan] / ulp[~nan]
        ok = np.array_equal(np.isnan(g), nan) and err.max() <= 0.5 + 2 ** -20
        bad += not ok
        print(f"f32 {name} over the whole float range: max error {err.max():.3f} ulp "
              f"(bound: correctly rounded from double, 0.5 ulp); NaN for +-inf and NaN"
              f"{'' if ok else '  FAIL'}")
    return bad


def lse_models(d):
    # ReduceLogSumExp (keepdims 1 on axis 1; keepdims 0 over every axis) and
    # ReduceLogSum, on values up to 80 in magnitude: exp(80) is beyond f32,
    # so only the form with the maximum subtracted stays finite
    from onnx import TensorProto, helper, numpy_helper, save
    rng = np.random.default_rng(20)
    for name, op, kw, lo in (("rlse1", "ReduceLogSumExp", {"axes": [1], "keepdims": 1}, -80),
                             ("rlse0", "ReduceLogSumExp", {"keepdims": 0}, -80),
                             ("rls", "ReduceLogSum", {"axes": [2]}, 0.5)):
        g = helper.make_graph([helper.make_node(op, ["x"], ["y"], **kw)], name,
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
        save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), f"{d}/{name}.onnx")
        x = rng.uniform(lo, 80, (8, 3, 4)).astype(np.float32)
        np.save(f"{d}/{name}.x.npy", x)
        for i in range(3):
            x[i].tofile(f"{d}/{name}.x{i}.raw")
    print("ReduceLogSumExp (axis 1 kept; every axis, not kept) and ReduceLogSum models")


def lse_check(d):
    bad = 0
    for name in ("rlse1", "rlse0", "rls"):
        x = np.load(f"{d}/{name}.x.npy").astype(np.float64)
        if name == "rls":
            r = np.log(x.sum(2, keepdims=True))
        else:
            ax = (1,) if name == "rlse1" else (1, 2)
            m = x.max(ax, keepdims=True)
            r = np.log(np.exp(x - m).sum(ax, keepdims=True)) + m
            if name == "rlse0":
                r = r.reshape(x.shape[0])
        y = np.load(f"{d}/{name}.f32.npy").astype(np.float64)
        err = np.abs(y.reshape(r.shape) - r).max() / np.abs(r).max()
        ok = y.size == r.size and np.all(np.isfinite(y)) and err <= 2e-6
        bad += not ok
        print(f"{name} f32: shape {list(y.shape)}, finite, max error {err:.3g} of max |y| "
              f"(bound 2e-6){'' if ok else '  FAIL'}")
    return bad


if __name__ == "__main__":
    step, d = sys.argv[1], sys.argv[2]
    if step == "models":
        models(d)
    elif step == "f32":
        sys.exit(1 if check_f32(d) else 0)
    elif step == "int":
        sys.exit(1 if check_int(d, sys.argv[3]) else 0)
    elif step == "onnx":
        onnx_models(d)
    elif step == "lse":
        lse_models(d)
    elif step == "lse-check":
        sys.exit(1 if lse_check(d) else 0)
    elif step == "wide":
        wide_model(d)
    elif step == "wide-check":
        sys.exit(1 if wide_check(d) else 0)
    elif step == "onnx-check":
        sys.exit(1 if onnx_check(d) else 0)
