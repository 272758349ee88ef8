#!/usr/bin/python3
"""armnn_check.py — the numbers of tests/e2e/tflite_armnn.sh: quantc's host
objects (run by tests/tflite/qc_run.c) against ArmNN 20.08's reference
backend (tests/tflite/armnn_run.py).  tests/tflite/README.md explains the
differences it finds and why they are ArmNN's float rounding.

  armnn_check.py inputs INT8.tflite N SEED X.npy [XF.npy]
      N samples of the model's int8 input, uniform over [-128, 127]
      (seeded), and their real values scale * (q - zero_point) as float32
      (exact: quantc's input quantization gives q back); each also as raw
      bytes beside it (X.bin, XF.bin: qc_run.c's input)
  armnn_check.py int8 M.tflite M.h X.npy Y.bin TRACE.bin
      the int8 model: end to end, layer by layer along the model, and every
      operator alone on quantc's own inputs; exits 1 when a difference is
      larger than ArmNN's rounding explains (one step)
  armnn_check.py float M.tflite XF.npy Y.bin TOL
      the float twin compiled with --precision f32 against ArmNN on the
      float model: max |quantc - ArmNN| / max |ArmNN| must be <= TOL
  armnn_check.py same M.tflite Y.bin YR.npy
      the int8 object's outputs (Y.bin, int8) equal `quantc run`'s (YR.npy,
      dequantized with the output's scale and zero point) bit for bit
  armnn_check.py agree INT8.tflite Y8.bin YC.bin YF.bin FLOOR
      quantc's calibration of the float twin (YC, float outputs) against the
      vendor's int8 model (Y8, float outputs, both run by quantc): top-class
      agreement in percent, or for an output of more than 16 values (the
      autoencoder) the SQNR in dB of YC against Y8; exits 1 below FLOOR.
      Also prints both against the float twin in f32 (YF)
"""
import json
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import armnn_run  # noqa: E402
import tfl_ref  # noqa: E402
import tflite_file  # noqa: E402


def ident(s):
    """the importer's IR name of a TFLite tensor name (frontend/tflite.c):
    the first of the ';'-joined names the converter gives a fused tensor,
    leading bytes that cannot start a name dropped, every other byte but
    [A-Za-z0-9_.] made '_', a 'v' before a leading digit or an empty name"""
    s = re.sub(r"^[^A-Za-z0-9_]+", "", s.split(";")[0])
    s = re.sub(r"[^A-Za-z0-9_.]", "_", s)
    return "v" + s if not s or s[0].isdigit() else s


def names_match(value, tensor_name):
    """whether the IR value `value` may stand for the TFLite tensor: its
    name without the suffixes the import adds (".N" to make it unique,
    "_nhwc" / "_nchw" on a layout transpose) is the tensor's ident(), or a
    prefix of it of 32 bytes or more (a name cut short)"""
    base = re.sub(r"(\.\d+)?(_nhwc|_nchw)?(\.\d+)?$", "", value)
    key = ident(tensor_name)
    full = re.sub(r"[^A-Za-z0-9_.]", "_", tensor_name)
    return base in (key, full) or (len(base) >= 32 and key.startswith(base))


DT = {"i8": np.int8, "i16": np.int16, "i32": np.int32, "f32": np.float32, "u8": np.uint8,
      "i64": np.int64}


def header_layers(path):
    """the traced layers an instrumented header lists: (id, value, op,
    dtype, shape)"""
    rows = []
    for line in open(path):
        m = re.match(r"^ \*\s+(\d+)\s+(\S+)\s+(\S+)\s+([a-z0-9]+)\[([0-9,]*)\]\s+(\d+)\s*$", line)
        if m:
            shape = [int(d) for d in m.group(5).split(",") if d]
            rows.append((int(m.group(1)), m.group(2), m.group(3), DT[m.group(4)], shape))
    return rows


def read_trace(path, layers, S):
    """layer id -> [S, ...shape] array of the trace's records"""
    data = open(path, "rb").read()
    out = {lid: np.empty([S] + shape, dt) for lid, _, _, dt, shape in layers}
    seen = {lid: 0 for lid, *_ in layers}
    pos = 0
    while pos < len(data):
        lid, n = np.frombuffer(data, "<u4", 2, pos)
        pos += 8
        a = out[int(lid)]
        a[seen[int(lid)]] = np.frombuffer(data, a.dtype, n // a.itemsize, pos).reshape(a.shape[1:])
        seen[int(lid)] += 1
        pos += int(n)
    if any(v != S for v in seen.values()):
        sys.exit(f"armnn_check.py: {path}: not {S} records of every layer")
    return out


def fit(a, shape):
    """a ([S, ...]) as a value of NHWC `shape`: as it is, an NCHW value
    transposed back, or a value of other dimensions of 1 reshaped; None when
    it is none of these"""
    shp = list(a.shape[1:])
    if shp == shape:
        return a
    if len(shape) == 4 and shp == [shape[0], shape[3], shape[1], shape[2]]:
        return np.ascontiguousarray(a.transpose(0, 1, 3, 4, 2))
    if int(np.prod(shp)) == int(np.prod(shape)) and \
            [d for d in shp if d != 1] == [d for d in shape if d != 1]:
        return a.reshape([len(a)] + shape)
    return None


def quantc_tensors(model, layers, trace):
    """TFLite tensor index -> quantc's value of it ([S, ...] in the file's
    NHWC shape): the operators' outputs in operator order matched to the
    traced layers in layer order, each to the next layer whose name and
    shape fit (names_match, fit); the import emits nodes in operator order"""
    res = {}
    pos = 0
    for o in model.operators:
        for i in o.outputs:
            t = model.tensors[i]
            for k in range(pos, len(layers)):
                lid, name = layers[k][0], layers[k][1]
                if names_match(name, t.name):
                    a = fit(trace[lid], t.shape)
                    if a is not None:
                        res[i] = a
                        pos = k + 1
                        break
    return res


def cmp(a, b):
    """(share of equal elements, largest |a - b|)"""
    d = np.abs(a.astype(np.int64) - b.astype(np.int64))
    return float((d == 0).mean()), int(d.max())


def short(name, n=48):
    return name if len(name) <= n else "..." + name[-(n - 3):]


def cmd_inputs(a):
    path, n, seed, xq = a[0], int(a[1]), int(a[2]), a[3]
    m = tflite_file.Model(path)
    t = m.tensors[m.inputs[0]]
    if t.type != 9:
        sys.exit(f"armnn_check.py: {path}: the input is {t.type_name}, not int8")
    x = np.random.default_rng(seed).integers(-128, 128, [n] + t.shape[1:]).astype(np.int8)
    np.save(xq, x)
    x.tofile(os.path.splitext(xq)[0] + ".bin")
    if len(a) > 4:
        xf = (x.astype(np.float32) - np.float32(t.zero_point[0])) * np.float32(t.scale[0])
        np.save(a[4], xf)
        xf.tofile(os.path.splitext(a[4])[0] + ".bin")


def cmd_int8(a):
    path, header, xq, ybin, tbin = a
    model = tflite_file.Model(path)
    name = os.path.basename(path)
    x = np.load(xq)
    S = len(x)
    layers = header_layers(header)
    if not layers:
        sys.exit(f"armnn_check.py: {header} lists no traced layers (compile with --instrument)")
    trace = read_trace(tbin, layers, S)
    qc = quantc_tensors(model, layers, trace)
    qc[model.inputs[0]] = x
    out_t = model.tensors[model.outputs[0]]
    yq = np.fromfile(ybin, np.int8).reshape([S] + out_t.shape)
    ok = True

    # 1. end to end
    ops_out = [i for o in model.operators for i in o.outputs]
    full = armnn_run.Runner(path, outputs=ops_out)
    ya_all = dict(zip(full.outputs, full.run(x)))
    ya = ya_all[model.outputs[0]]
    eq, mx = cmp(yq, ya)
    top = ""
    if out_t.shape[-1] <= 16:
        agree = (yq.reshape(S, -1).argmax(1) == ya.reshape(S, -1).argmax(1)).mean()
        top = f", top class agrees on {100 * agree:.1f}%"
    print(f"{name}: output, {S} inputs: {100 * eq:.2f}% of output bytes equal to ArmNN, "
          f"largest difference {mx}{top}")

    # 2. layer by layer along the model (each side its own inputs)
    print(f"{name}: layer by layer along the model (quantc's tensor vs ArmNN's; later layers "
          f"inherit earlier differences):")
    first = None
    missing = []
    for k, o in enumerate(model.operators):
        for i in o.outputs:
            t = model.tensors[i]
            if i not in qc:
                missing.append(i)
                print(f"  {k:3d} {o.name:18s} {short(t.name):48s} (no traced quantc value of this tensor)")
                continue
            eq, mx = cmp(qc[i], ya_all[i])
            print(f"  {k:3d} {o.name:18s} {short(t.name):48s} {100 * eq:7.2f}% equal, max diff {mx}")
            if mx and first is None:
                first = (k, o.name, t.name, eq, mx)
    if first is None:
        print(f"{name}: no layer differs")
    else:
        k, opn, tn, eq, mx = first
        print(f"{name}: first difference at operator {k} ({opn}, '{short(tn)}'): "
              f"{100 * eq:.2f}% equal, max diff {mx}")
        if mx > 1:
            print(f"FAIL: {name}: the first differing layer differs by {mx} > 1 step with equal inputs")
            ok = False

    # 3. every operator alone, both sides on quantc's inputs; where
    # tfl_ref.py covers the operator, quantc against TFLite's arithmetic too,
    # and how far from a rounding boundary the exact value is where ArmNN
    # and quantc differ
    print(f"{name}: every operator alone on quantc's inputs (ArmNN runs that one operator; "
          f"TFLite = tfl_ref.py's int8 arithmetic; dist = how far the exact value lies from x.5 "
          f"where ArmNN differs):")
    worst = 0
    ndiff = 0
    fails = []
    for k, o in enumerate(model.operators):
        r = armnn_run.Runner(path, op=k)
        if any(i not in qc for i in r.inputs) or any(i not in qc for i in r.outputs):
            print(f"  {k:3d} {o.name:18s} skipped: a tensor of it has no traced quantc value")
            continue
        xs = [qc[i] for i in r.inputs]
        ys = r.run(*xs)
        ref = tfl_ref.reference(model, o, xs)
        for j, (i, y) in enumerate(zip(r.outputs, ys)):
            eq, mx = cmp(qc[i], y)
            worst = max(worst, mx)
            ndiff += mx > 0
            line = f"  {k:3d} {o.name:18s} ArmNN {100 * eq:7.3f}% equal, max diff {mx}"
            if ref is not None and j == 0:
                req, rmx = cmp(qc[i], ref[0])
                line += f"; TFLite {100 * req:7.3f}% equal"
                if mx:
                    d = np.abs(qc[i].astype(np.int64) - y) > 0
                    line += f"; dist {tfl_ref.distance(ref[1])[d].max():.3f}"
                if rmx:
                    ok = False
                    line += "   <- quantc is not TFLite's arithmetic"
                    fails.append(f"operator {k} ({o.name}) differs from TFLite's arithmetic by {rmx}")
            if mx > 1:
                ok = False
                line += "   <- more than ArmNN's rounding explains"
            print(line)
    for f in fails:
        print(f"FAIL: {name}: {f}")
    print(f"{name}: operators alone: {ndiff} of {len(model.operators)} differ from ArmNN, "
          f"by at most {worst} step(s)")
    if worst > 1:
        print(f"FAIL: {name}: an operator differs from ArmNN by {worst} > 1 step on equal inputs")
    n_out = len(ops_out)
    print(f"{name}: {n_out - len(missing)} of {n_out} operator outputs compared")
    if len(missing) * 2 > n_out:
        print(f"FAIL: {name}: most operator outputs have no traced quantc value (names changed?)")
        ok = False
    summary = dict(model=name, samples=S, equal=float(cmp(yq, ya)[0]), max_diff=int(cmp(yq, ya)[1]),
                   first_diff_op=None if first is None else first[0], ops_alone_max=worst)
    print("summary " + json.dumps(summary))
    return 0 if ok else 1


def cmd_float(a):
    path, xf, ybin, tol = a[0], a[1], a[2], float(a[3])
    name = os.path.basename(path)
    x = np.load(xf)
    r = armnn_run.Runner(path)
    ya = r.run(x)[0].astype(np.float64)
    yq = np.fromfile(ybin, np.float32).reshape(ya.shape).astype(np.float64)
    err = np.abs(yq - ya).max() / max(np.abs(ya).max(), 1e-30)
    note = f" ({r.note})" if r.note else ""
    print(f"{name}: f32 object vs ArmNN on {len(x)} inputs: max |diff| / max |ArmNN| = {err:.2e} "
          f"(tolerance {tol:g}){note}")
    if not err <= tol:
        print(f"FAIL: {name}: f32 differs from ArmNN by {err:.2e} > {tol:g}")
        return 1
    return 0


def cmd_same(a):
    path, ybin, yr = a
    m = tflite_file.Model(path)
    t = m.tensors[m.outputs[0]]
    r = np.load(yr).astype(np.float64)
    q = np.clip(np.round(r / t.scale[0]) + t.zero_point[0], -128, 127)
    y = np.fromfile(ybin, np.int8).reshape(q.shape)
    same = int((y.reshape(len(y), -1) == q.reshape(len(q), -1)).all(axis=1).sum())
    print(f"{os.path.basename(path)}: host object (int8 interface) equals quantc run on "
          f"{same} of {len(y)} inputs")
    return 0 if same == len(y) else 1


def cmd_agree(a):
    path, y8, yc, yf, floor = a[0], a[1], a[2], a[3], float(a[4])
    m = tflite_file.Model(path)
    name = os.path.basename(path)
    shape = m.tensors[m.outputs[0]].shape
    p = np.fromfile(y8, np.float32).reshape([-1] + shape)
    c = np.fromfile(yc, np.float32).reshape(p.shape)
    f = np.fromfile(yf, np.float32).reshape(p.shape)
    S = len(p)
    if int(np.prod(shape)) <= 16:
        def score(u, v):
            return 100 * (u.reshape(S, -1).argmax(1) == v.reshape(S, -1).argmax(1)).mean()
        what, unit = "top class agrees on", "%"
    else:
        def score(u, v):  # SQNR of u against v in dB
            noise = ((u - v) ** 2).sum()
            return 10 * np.log10((v ** 2).sum() / noise) if noise > 0 else float("inf")
        what, unit = "reconstruction SQNR", " dB"
    val = score(c, p)
    print(f"{name}: quantc's calibration of the float twin vs the vendor's int8 model: {what} "
          f"{val:.1f}{unit} of {S} inputs (floor {floor:g}{unit})")
    print(f"{name}:   beside it, against the float twin in f32: quantc's calibration {score(c, f):.1f}{unit}, "
          f"the vendor's int8 model {score(p, f):.1f}{unit}")
    if not val >= floor:
        print(f"FAIL: {name}: {val:.1f} below the floor {floor:g}")
        return 1
    return 0


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    fn = {"inputs": cmd_inputs, "int8": cmd_int8, "float": cmd_float, "same": cmd_same,
          "agree": cmd_agree}.get(cmd)
    if not fn:
        sys.exit(__doc__)
    sys.exit(fn(args) or 0)


if __name__ == "__main__":
    main()
