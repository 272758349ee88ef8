"""conv_cases.py OUTDIR COUNT SEED — random convolution layers for the target
kernels (tests/e2e/conv_kernels.sh).

Each case is a directory OUTDIR/caseNN holding model.qg, its .npy weights,
calib.npy (calibration inputs) and x.npy (test inputs), and a line in
OUTDIR/cases.txt: "caseNN PRECISION REQUANT what".  Inputs are pixel/255
values, the form tests/cross/xtool.c embeds in a firmware.

A model is a 1x1 "pre" convolution (random weights and biases, so the layer
under test sees an activation with a calibrated, usually non-zero, zero
point; sometimes followed by a relu, zero point -128), then the convolution
under test with random geometry: one group with channel counts that are and
are not multiples of 4 and 16, depthwise, grouped, kernels 1..5, strides,
asymmetric pads, dilations; sometimes a fused activation, sometimes a
following max-pool.  The first cases walk a fixed list that covers each
shape class on every seed; the rest are drawn at random.  Then the f32
layers of F32_CASES (named f32cNN) and the int8 dense layers of
DENSE_CASES (d8cNN), and act32: f32 sigmoid, tanh and softmax (the
inline copies of the runtime's exp, vectorized) over inputs that reach
every branch of qrt_expf; lut8: int8 table activations.
"""
import os
import sys

import numpy as np

# (C, OC, G, K, stride, pad [t,l,b,r], dilation, H, W, act, pool)
FIXED = [
    (16, 32, 1, 3, 1, [1, 1, 1, 1], 1, 8, 8, "relu", None),
    (3, 5, 1, 3, 2, [0, 1, 2, 0], 1, 9, 7, None, None),
    (1, 16, 1, 3, 1, [1, 1, 1, 1], 1, 12, 12, "relu", (2, 2)),
    (17, 20, 1, 1, 1, [0, 0, 0, 0], 1, 5, 6, None, None),
    (8, 8, 8, 3, 1, [1, 1, 1, 1], 1, 10, 10, "relu6", None),
    (24, 24, 24, 3, 2, [1, 1, 1, 1], 1, 9, 9, None, None),
    (8, 12, 2, 3, 1, [1, 0, 1, 0], 2, 9, 9, None, None),
    (64, 130, 1, 3, 1, [1, 1, 1, 1], 1, 6, 6, "relu", (2, 2)),
    (4, 7, 1, 5, 1, [2, 2, 2, 2], 1, 7, 7, None, (3, 2)),
]
# Depthwise layers for targets/kernel_x86_dw.c, always int8 (fixed and
# float requantization): 3x3 and 5x5, strides 1 and 2, channel counts on
# and off 16 and 64, its tile shapes (16, 8 and 4 columns), asymmetric pads,
# an input too large for one scratch (70x130: bands of rows), a 3x3 input.
FIXED_DW = [
    (144, 144, 144, 3, 1, [1, 1, 1, 1], 1, 6, 6, "relu6", None),
    (40, 40, 40, 5, 2, [2, 2, 2, 2], 1, 13, 11, None, None),
    (96, 96, 96, 3, 2, [0, 1, 1, 0], 1, 10, 9, "relu", None),
    (32, 32, 32, 5, 1, [2, 1, 2, 3], 1, 9, 14, None, None),
    (16, 16, 16, 3, 1, [1, 1, 1, 1], 1, 70, 130, "relu6", None),
    (72, 72, 72, 3, 1, [1, 1, 1, 1], 1, 3, 3, None, None),
]

# After FIXED: 1x1 convolutions as kernel_x86_gemm.c's GEMM takes them
# (several 64-pixel panels and a partial one, C and OC off 4 and off the
# tile, stride 2), each ending in a dense (int8 in an int8 case: the GEMV kernel).
# The first falls on an f32 case, the next three on int8 (fixed, float,
# fixed).
GEMM_FIXED = [
    (24, 9, 1, 1, 1, [0, 0, 0, 0], 1, 7, 9, "relu", None),
    (64, 40, 1, 1, 1, [0, 0, 0, 0], 1, 20, 20, "relu6", None),
    (130, 13, 1, 1, 1, [0, 0, 0, 0], 1, 9, 11, None, None),
    (40, 24, 1, 1, 2, [0, 0, 0, 0], 1, 23, 19, "relu", None),
]

# f32 layers after the cases above on every seed, each from its own
# generator (11 cases, about 4 s of CPU a target).  Depthwise
# (targets/kernel_f32_dw.c): 3x3 and 5x5, strides 1 and 2, asymmetric
# pads, dilation, rows of 3 to 70 pixels (4, 8 and 16 lanes; a row wider
# than one tile), fused relu and relu6.  Groups 1 without padding, which
# kernel_f32.c reads in place (a 1x1 with a max-pool, a valid 3x3 of
# stride 2; every f32 case's 1x1 "pre" layer too), 70 output channels
# (its 6 x 4 tiles and a remainder), and four whose padded copy exceeds
# 64 KiB (its bands of rows), two of them with a following max-pool
# (ResNet's stem: a 7x7 of stride 2, then a padded 3x3 pool; a pool is
# (kernel, stride[, pad])).
F32_CASES = [
    (20, 20, 20, 3, 1, [1, 1, 1, 1], 1, 20, 20, "relu6", None),
    (13, 13, 13, 3, 2, [0, 1, 1, 0], 1, 13, 11, None, None),
    (5, 5, 5, 5, 2, [2, 2, 2, 2], 1, 7, 7, "relu", None),
    (17, 17, 17, 3, 1, [2, 1, 0, 2], 2, 9, 70, None, None),
    (16, 20, 1, 1, 1, [0, 0, 0, 0], 1, 8, 8, None, (2, 2)),
    (8, 33, 1, 3, 2, [0, 0, 0, 0], 1, 9, 11, None, None),
    (24, 70, 1, 1, 1, [0, 0, 0, 0], 1, 7, 9, "relu", None),
    (64, 20, 1, 3, 1, [1, 1, 1, 1], 1, 24, 24, "relu", None),
    (48, 70, 1, 3, 2, [1, 0, 2, 1], 1, 23, 21, None, None),
    (24, 20, 1, 3, 1, [1, 1, 1, 1], 1, 30, 30, None, (2, 2)),
    (3, 16, 1, 7, 2, [3, 3, 3, 3], 1, 80, 80, "relu", (3, 2, 1)),
]

# int8 dense layers after the f32 ones (named d8cNN), each a conv spec and
# the dense's output count: 175 inputs (not a multiple of 16) to 41
# outputs (not a multiple of 4; 11 blocks of 4: a whole tile of 8 blocks
# and a rest of 3 for kernel_neon_gemm.c's sdot, 5 tiles of 2 and a rest
# of 1 for its smlal).  About 1 s of CPU a target.
DENSE_CASES = [
    ((3, 7, 1, 1, 1, [0, 0, 0, 0], 1, 5, 5, None, None), 41),
]

# Depthwise layers whose result feeds two 1x1 "post" convolutions (to
# POST_OC channels, then to 8, from its own generator), after F32_CASES
# on every seed and named dwpNN, int8: on x86 the layout pass then stores
# the depthwise layer's input and result and the first post layer's
# result NHWC, so targets/kernel_x86_dw.c reads and writes NHWC (channel
# counts off 16 and 8: masked pixel loads and stores; a partial last tile
# of a row; stride 2 and asymmetric pads), and the first post layer is
# a 1x1 reading and writing NHWC (on x86 kernel_x86.c's conv2d).
# About 1 s of CPU a target.
DW_POST_CASES = [
    ((20, 20, 20, 3, 1, [1, 1, 1, 1], 1, 11, 13, "relu6", None), 24, "fixed"),
    ((48, 48, 48, 5, 2, [2, 1, 2, 2], 1, 10, 9, None, None), 16, "float"),
]

# int8 layers with a fused max-pool whose windows overlap and are padded
# (3x3 stride 2 pad 1, the stem of ResNet and ShuffleNet), named p8cNN after
# the others: kernel_armm.c computes each conv row once and pools from a
# ring of rows; the x86 kernels recompute the shared pixels.
POOL_CASES = [
    (3, 24, 1, 3, 2, [1, 1, 1, 1], 1, 19, 17, "relu", (3, 2, 1)),
]


# act32's 1x1 convolution: per channel, the affine map of the pixel p/255
# (weight, bias) onto a range that crosses one of qrt_expf's edges: the
# clamps at -104 and 88.8, the subnormal results below -87.3 (sigmoid's
# exp(-x) and tanh's exp(2|x|) meet them from either side), 0, tanh's 9.
ACT_MAP = [(220.0, -120.0), (30.0, -105.0), (10.0, -5.0), (4.0, 86.0), (8.0, -92.0),
           (-220.0, 110.0), (2.0, 8.0), (0.5, -0.25)]


def write_act_case(d):
    """act32: input image 0 holds every pixel value 0..255 once (16x16);
    channels: ACT_MAP's maps, log(x) (-inf at p = 0), neg of that (+inf),
    and sqrt of the maps (NaN where they are negative); then sigmoid, tanh
    and softmax along the rows of all of them, concatenated; the sigmoid
    times its input (SiLU: one loop over all elements) and that times its
    channel means (a broadcast mul: C loops over H*W); log(x) is placed in
    place by plan-memory (the kernel stores through its input's pointer)."""
    os.makedirs(d, exist_ok=True)
    n = len(ACT_MAP)
    np.save(os.path.join(d, "w.npy"), np.array([m[0] for m in ACT_MAP], np.float32).reshape(n, 1, 1, 1))
    np.save(os.path.join(d, "b.npy"), np.array([m[1] for m in ACT_MAP], np.float32))
    lines = [
        "# generated by tests/e2e/conv_cases.py",
        "model m",
        "input x : f32[1,1,16,16] range [0, 1]",
        f"const w : f32[{n},1,1,1] = npy(\"w.npy\")",
        f"const b : f32[{n}] = npy(\"b.npy\")",
        "t = conv2d(x, w, b)",
        "l = log(x)",
        "u = neg(l)",
        "r = sqrt(t)",
        "a = concat(t, l, u, r) { axis = 1 }",
        "s = sigmoid(a)",
        "q = mul(a, s)",
        "g = global_avgpool(q)",
        "v = mul(q, g)",
        "h = tanh(a)",
        "m = softmax(a)",
        "y = concat(v, h, m) { axis = 1 }",
        "output y",
    ]
    save_model(d, lines)
    rng = np.random.default_rng(4241)
    x = rng.integers(0, 256, size=(3, 1, 16, 16)).astype(np.float32)
    x[0] = np.arange(256, dtype=np.float32).reshape(1, 16, 16)
    np.save(os.path.join(d, "x.npy"), x / 255.0)
    np.save(os.path.join(d, "calib.npy"), x / 255.0)
    return ("f32 sigmoid, tanh, softmax over every exp branch (NaN, +-inf, clamps, subnormals), "
            "SiLU and broadcast muls, an in-place log")


def write_lut_case(d):
    """lut8: int8 table activations (sigmoid, tanh, leaky_relu, elu) of a
    1x1 convolution's 5 x 20 x 20 = 2000 outputs, 31 whole vectors of 64
    and 16 left over: the 64-byte lookup of targets/fam_activation.c's
    lut8_vec (vpermi2b with VBMI, vpshufb with AVX-512BW alone, as in the
    default object's top level), then the scalar loop."""
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(4243)
    np.save(os.path.join(d, "w.npy"), rng.normal(0, 4, size=(5, 1, 1, 1)).astype(np.float32))
    np.save(os.path.join(d, "b.npy"), rng.normal(0, 1, size=(5,)).astype(np.float32))
    lines = [
        "# generated by tests/e2e/conv_cases.py",
        "model m",
        "input x : f32[1,1,20,20] range [0, 1]",
        "const w : f32[5,1,1,1] = npy(\"w.npy\")",
        "const b : f32[5] = npy(\"b.npy\")",
        "t = conv2d(x, w, b)",
        "s = sigmoid(t)",
        "h = tanh(t)",
        "l = leaky_relu(t) { alpha = 0.1 }",
        "e = elu(t)",
        "y = concat(s, h, l, e) { axis = 1 }",
        "output y",
    ]
    save_model(d, lines)
    pix = lambda n: rng.integers(0, 256, size=(n, 1, 20, 20)).astype(np.float32) / 255.0
    np.save(os.path.join(d, "calib.npy"), pix(16))
    np.save(os.path.join(d, "x.npy"), pix(3))
    return "int8 table activations (sigmoid, tanh, leaky_relu, elu) over 2000 elements"


def write_post_case(d, spec, rng, post_oc):
    """write_case, then 1x1 convolutions of its result to post_oc, then 8 channels."""
    what = write_case(d, spec, rng)
    path = os.path.join(d, "model.qg")
    with open(path) as f:
        lines = f.read().splitlines()
    y = lines.pop().split()[1]
    np.save(os.path.join(d, "wp.npy"),
            rng.normal(0, 1.0 / np.sqrt(spec[1]), size=(post_oc, spec[1], 1, 1)).astype(np.float32))
    np.save(os.path.join(d, "bp.npy"), rng.normal(0, 0.3, size=(post_oc,)).astype(np.float32))
    lines.insert(7, f"const wp : f32[{post_oc},{spec[1]},1,1] = npy(\"wp.npy\")")
    lines.insert(8, f"const bp : f32[{post_oc}] = npy(\"bp.npy\")")
    np.save(os.path.join(d, "wq.npy"),
            rng.normal(0, 1.0 / np.sqrt(post_oc), size=(8, post_oc, 1, 1)).astype(np.float32))
    lines.insert(9, f"const wq : f32[8,{post_oc},1,1] = npy(\"wq.npy\")")
    lines += [f"z0 = conv2d({y}, wp, bp)", "z1 = conv2d(z0, wq)", "output z1"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return what + f" post 1x1 ->{post_oc} ->8"


def pick(rng):
    g_kind = rng.choice(["one", "one", "one", "dw", "grouped"])
    k = int(rng.choice([1, 2, 3, 3, 5]))
    if g_kind == "dw":
        c = int(rng.integers(1, 40))
        oc, g = c, c
    elif g_kind == "grouped":
        g = int(rng.choice([2, 3]))
        c = g * int(rng.integers(1, 6))
        oc = g * int(rng.integers(1, 6))
    else:
        c = int(rng.integers(1, 40))
        oc = int(rng.integers(1, 70))
        g = 1
    stride = int(rng.choice([1, 1, 2]))
    dil = int(rng.choice([1, 1, 1, 2]))
    pad = [int(v) for v in rng.integers(0, k, size=4)]
    h = int(rng.integers(k * dil, 13))
    w = int(rng.integers(k * dil, 13))
    act = rng.choice([None, "relu", "relu6"])
    pool = None
    if rng.random() < 0.3:
        pool = (int(rng.choice([2, 3])), int(rng.choice([1, 2])))
    return (c, oc, g, k, stride, pad, dil, h, w, act, pool)


def save_model(d, lines):
    with open(os.path.join(d, "model.qg"), "w") as f:
        f.write("\n".join(lines) + "\n")


def out_size(n, k, s, d, p0, p1):
    return (n + p0 + p1 - d * (k - 1) - 1) // s + 1


def dense_tail(d, lines, y, n, seed, o=None):
    """An f32 case ends in flatten and a dense of I = OC*OH*OW inputs (rarely
    a multiple of 16: the last partial block of lower_dense_f32.c) to 1..20
    outputs, from its own generator so the other cases stay as they were."""
    r = np.random.default_rng(1000 * seed + 17 * n + 1)
    o = o or int(r.integers(1, 21))
    lines.append(f"yf = flatten({y}) {{ axis = 1 }}")
    np.save(os.path.join(d, "wd.npy"), r.normal(0, 0.1, size=(o, n)).astype(np.float32))
    np.save(os.path.join(d, "bd.npy"), r.normal(0, 0.3, size=(o,)).astype(np.float32))
    lines.insert(3, f"const wd : f32[{o},{n}] = npy(\"wd.npy\")")
    lines.insert(4, f"const bd : f32[{o}] = npy(\"bd.npy\")")
    if r.random() < 0.5:
        lines.append("yd = dense(yf, wd, bd)")
    else:
        lines.append("yd = dense(yf, wd)")
    return "yd", f" dense {n}->{o}"


def write_case(d, spec, rng, dense=None, dense_o=None):
    c, oc, g, k, stride, pad, dil, h, w, act, pool = spec
    oh = out_size(h, k, stride, dil, pad[0], pad[2])
    ow = out_size(w, k, stride, dil, pad[1], pad[3])
    if oh < 1 or ow < 1:
        return None
    if pool and (oh < pool[0] or ow < pool[0]):
        pool = None
    c0 = int(rng.integers(1, 4))
    os.makedirs(d, exist_ok=True)

    def save(name, a):
        np.save(os.path.join(d, name), a.astype(np.float32))

    save("wa.npy", rng.normal(0, 1.0, size=(c, c0, 1, 1)))
    save("ba.npy", rng.normal(0, 0.5, size=(c,)))
    save("w.npy", rng.normal(0, 1.0 / np.sqrt(c // g * k * k), size=(oc, c // g, k, k)))
    save("b.npy", rng.normal(0, 0.3, size=(oc,)))
    pre_relu = rng.random() < 0.3
    lines = [
        "# generated by tests/e2e/conv_cases.py",
        "model m",
        f"input x : f32[1,{c0},{h},{w}] range [0, 1]",
        f"const wa : f32[{c},{c0},1,1] = npy(\"wa.npy\")",
        f"const ba : f32[{c}] = npy(\"ba.npy\")",
        f"const w : f32[{oc},{c // g},{k},{k}] = npy(\"w.npy\")",
        f"const b : f32[{oc}] = npy(\"b.npy\")",
        "t0 = conv2d(x, wa, ba)",
    ]
    t = "t0"
    if pre_relu:
        lines.append("t1 = relu(t0)")
        t = "t1"
    lines.append(f"y0 = conv2d({t}, w, b) {{ stride = [{stride},{stride}], "
                 f"pad = [{pad[0]},{pad[1]},{pad[2]},{pad[3]}], "
                 f"dilation = [{dil},{dil}], groups = {g} }}")
    y = "y0"
    if act:
        lines.append("y1 = relu(y0)" if act == "relu" else "y1 = clip(y0) { min = 0, max = 6 }")
        y = "y1"
    if pool:
        pp = pool[2] if len(pool) > 2 else 0
        lines.append(f"y2 = maxpool2d({y}) {{ kernel = [{pool[0]},{pool[0]}], "
                     f"stride = [{pool[1]},{pool[1]}]"
                     + (f", pad = [{pp},{pp},{pp},{pp}]" if pp else "") + " }")
        y = "y2"
    tail = ""
    if dense is not None:
        ph, pw = oh, ow
        if pool:
            pp = pool[2] if len(pool) > 2 else 0
            ph = (oh + 2 * pp - pool[0]) // pool[1] + 1
            pw = (ow + 2 * pp - pool[0]) // pool[1] + 1
        y, tail = dense_tail(d, lines, y, oc * ph * pw, dense, dense_o)
    lines.append(f"output {y}")
    save_model(d, lines)
    pix = lambda n: rng.integers(0, 256, size=(n, c0, h, w)).astype(np.float32) / 255.0
    np.save(os.path.join(d, "calib.npy"), pix(16).astype(np.float32))
    np.save(os.path.join(d, "x.npy"), pix(3).astype(np.float32))
    what = (f"C={c} OC={oc} G={g} K={k} stride={stride} pad={pad} dil={dil} "
            f"in={h}x{w}{' pre-relu' if pre_relu else ''}{' ' + act if act else ''}"
            f"{' maxpool%dx%d/%d' % (pool[0], pool[0], pool[1]) if pool else ''}"
            f"{' pad %d' % pool[2] if pool and len(pool) > 2 else ''}{tail}")
    return what


def main():
    out, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = np.random.default_rng(seed)
    rows = []
    i = 0
    # the fixed lists in turn (FIXED, then GEMM_FIXED, then FIXED_DW), then
    # random layers
    fixed = ([(f, "one") for f in FIXED] + [(f, "gemm") for f in GEMM_FIXED] +
             [(f, "dw") for f in FIXED_DW])
    while len(rows) < count:
        spec, kind = fixed[i] if i < len(fixed) else (pick(rng), "random")
        i += 1
        name = "case%02d" % len(rows)
        # most cases int8 fixed point; every fourth float requantization,
        # every seventh int16 and every fifth f32 (the generic and f32 paths;
        # an f32 case ends in a dense); the depthwise list is all int8
        n = len(rows)
        prec = "f32" if n % 5 == 4 else "int16" if n % 7 == 6 else "int8"
        if kind == "dw":
            prec = "int8"
        what = write_case(os.path.join(out, name), spec, rng,
                          seed * 100 + n if prec == "f32" or kind == "gemm" else None)
        if what is None:
            continue
        req = "float" if prec == "int8" and n % 4 == 3 else "fixed"
        rows.append(f"{name} {prec} {req} {what}")
    for j, spec in enumerate(F32_CASES):
        name = "f32c%02d" % j
        what = write_case(os.path.join(out, name), spec, np.random.default_rng(7919 * seed + j),
                          seed * 100 + 50 + j)
        rows.append(f"{name} f32 fixed {what}")
    for j, (spec, o) in enumerate(DENSE_CASES):
        name = "d8c%02d" % j
        what = write_case(os.path.join(out, name), spec, np.random.default_rng(7907 * seed + j),
                          seed * 100 + 80 + j, o)
        rows.append(f"{name} int8 fixed {what}")
    for j, (spec, post_oc, req) in enumerate(DW_POST_CASES):
        name = "dwp%02d" % j
        what = write_post_case(os.path.join(out, name), spec,
                               np.random.default_rng(7907 * seed + j), post_oc)
        rows.append(f"{name} int8 {req} {what}")
    for j, spec in enumerate(POOL_CASES):
        name = "p8c%02d" % j
        what = write_case(os.path.join(out, name), spec, np.random.default_rng(7927 * seed + j))
        rows.append(f"{name} int8 fixed {what}")
    rows.append("act32 f32 fixed " + write_act_case(os.path.join(out, "act32")))
    rows.append("lut8 int8 fixed " + write_lut_case(os.path.join(out, "lut8")))
    with open(os.path.join(out, "cases.txt"), "w") as f:
        f.write("\n".join(rows) + "\n")


main()
