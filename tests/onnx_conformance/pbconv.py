#!/usr/bin/python3
"""pbconv.py — the ONNX conformance runner's data side (run.sh owns the flow).

  pbconv.py prepare DIR WORK OPS   for every test in DIR whose nodes all have
      op types in OPS (comma-separated; Upsample counts as Resize), convert
      test_data_set_0's TensorProto files to WORK/<test>/in_K.npy + in_K.raw
      (float32) and exp_K.npy (or write why not to data.err), and print
      "<test> <inputs> <outputs>" lines; the other tests are counted in
      WORK/not_counted.  Graph inputs that are compile-time operands
      (COMPILE_TIME) are made initializers, in WORK/<test>/model.onnx.
      OPS "*": every test, its model as shipped (the model sets).
  pbconv.py report WORK LIST SET TESTS...  compare what run.sh left in
      WORK/<test> (status, run_K.npy, c_K.raw) with exp_K.npy and print one
      verdict line per test and SET's totals; exit 1 if any test failed, if
      one quantc refused is not in LIST, or if one in LIST passed.
"""
import os
import sys

import numpy as np

RTOL, ATOL = 1e-3, 1e-5


def load_pb(path):
    import onnx
    from onnx import numpy_helper
    with open(path, "rb") as f:
        return numpy_helper.to_array(onnx.TensorProto.FromString(f.read()))


# Operators the importer reads as another (frontend/onnx_opset.c).
RENAMED = {"Upsample": "Resize"}


# The operands quantc takes at compile time, by op type: input indices whose
# values shape the computation (shapes, pads, axes, bounds) or are weights.
# quantc is an ahead-of-time compiler, so it reads them from initializers or
# Constant nodes; many node tests pass them as graph inputs instead, with
# their values in test_data_set_0.  prepare() makes each graph input used
# only at such positions an initializer holding the test's value (in
# WORK/<test>/model.onnx); the other inputs stay the model's inputs.
COMPILE_TIME = {
    "BatchNormalization": (1, 2, 3, 4),  # scale, B, input_mean, input_var
    "Clip": (1, 2),                      # min, max
    "ConstantOfShape": (0,),             # the shape
    "Conv": (1, 2),                      # W, B
    "ConvTranspose": (1, 2),             # W, B
    "DequantizeLinear": (1, 2),          # scale, zero point
    "Dropout": (1, 2),                   # ratio, training_mode
    "Expand": (1,),                      # shape
    "Gather": (1,),                      # indices
    "GroupNormalization": (1, 2),        # scale, bias
    "Gemm": (1, 2),                      # B, C
    "GRU": (1, 2, 3, 4),                 # W, R, B, sequence_lens
    "InstanceNormalization": (1, 2),     # scale, B
    "LayerNormalization": (1, 2),        # Scale, B
    "LSTM": (1, 2, 3, 4, 7),             # W, R, B, sequence_lens, P
    "MatMul": (1,),                      # B
    "Pad": (1, 2, 3),                    # pads, constant_value, axes
    "QuantizeLinear": (1, 2),            # scale, zero point
    "Reshape": (1,),                     # shape
    "RNN": (1, 2, 3, 4),                 # W, R, B, sequence_lens
    "Resize": (1, 2, 3),                 # roi, scales, sizes
    "Slice": (1, 2, 3, 4),               # starts, ends, axes, steps
    "Split": (1,),                       # split
    "Squeeze": (1,),                     # axes
    "Tile": (1,),                        # repeats
    "Unsqueeze": (1,),                   # axes
    "Upsample": (1,),                    # scales
}
for _op in ("ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax",
            "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum", "ReduceSumSquare"):
    COMPILE_TIME[_op] = (1,)             # axes


def compile_time_inputs(graph):
    """Names of the graph inputs read only as COMPILE_TIME operands."""
    inits = {t.name for t in graph.initializer}
    ct, rt = set(), set()
    for n in graph.node:
        for k, name in enumerate(n.input):
            (ct if k in COMPILE_TIME.get(n.op_type, ()) else rt).add(name)
    rt |= {o.name for o in graph.output}
    return {i.name for i in graph.input if i.name not in inits and i.name in ct - rt}


def freeze(model, data, out):
    """Makes the compile-time graph inputs initializers with test_data_set_0's
    values; returns the indices (into input_K.pb) of the inputs that stay."""
    import onnx
    g = model.graph
    inits = {t.name for t in g.initializer}
    ins = [i for i in g.input if i.name not in inits]
    ct = compile_time_inputs(g)
    keep = [k for k, i in enumerate(ins) if i.name not in ct]
    for k, i in enumerate(ins):
        if i.name in ct:
            with open(os.path.join(data, "input_%d.pb" % k), "rb") as f:
                t = onnx.TensorProto.FromString(f.read())
            t.name = i.name
            g.initializer.append(t)
    for name in ct:
        g.input.remove(next(i for i in g.input if i.name == name))
    if ct:
        with open(os.path.join(out, "frozen"), "w") as f:
            f.write("compile-time inputs: %s\n" % ", ".join(i.name for i in ins if i.name in ct))
    return keep


def prepare(nodedir, work, ops):
    import onnx
    every = ops == "*"
    ops = set(ops.split(","))
    skipped = 0
    for name in sorted(os.listdir(nodedir)):
        tdir = os.path.join(nodedir, name)
        data = os.path.join(tdir, "test_data_set_0")
        if not os.path.isdir(data):
            continue
        try:
            model = onnx.load(os.path.join(tdir, "model.onnx"))
        except Exception:
            skipped += 1
            continue
        types = {RENAMED.get(n.op_type, n.op_type) for n in model.graph.node}
        if not every and (not types or not types <= ops):
            skipped += 1
            continue
        out = os.path.join(work, name)
        os.makedirs(out, exist_ok=True)
        files = sorted(os.listdir(data))
        outs = [f for f in files if f.startswith("output_")]
        ins = list(range(len([f for f in files if f.startswith("input_")])))
        try:
            if not every:
                ins = freeze(model, data, out)
        except Exception as e:
            with open(os.path.join(out, "data.err"), "w") as f:
                f.write("compile-time input: %s\n" % e)
        if os.path.exists(os.path.join(out, "frozen")):
            onnx.save(model, os.path.join(out, "model.onnx"))
        try:
            for j, k in enumerate(ins):
                a = load_pb(os.path.join(data, "input_%d.pb" % k))
                # quantc run reads samples [S, ...shape]: a scalar as one
                np.save(os.path.join(out, "in_%d.npy" % j), a[None] if a.ndim == 0 else a)
                # index inputs keep their integer type (the object takes
                # int64_t / int32_t for them), bool masks their bytes
                # (uint8_t), the others are float32
                raw = a if a.dtype in (np.int64, np.int32, np.bool_) else a.astype(np.float32)
                raw.tofile(os.path.join(out, "in_%d.raw" % j))
            for k in range(len(outs)):
                a = load_pb(os.path.join(data, "output_%d.pb" % k))
                np.save(os.path.join(out, "exp_%d.npy" % k), a)
        except Exception as e:  # sequences, optionals: run.sh lets quantc judge the model
            with open(os.path.join(out, "data.err"), "w") as f:
                f.write("%s\n" % e)
        print(name, len(ins), len(outs))
    with open(os.path.join(work, "not_counted"), "w") as f:
        f.write("%d\n" % skipped)


def mismatch(got, exp):
    """None if got matches exp within the tolerance (an int64 output: exactly,
    and as int64), else why not."""
    exp = np.asarray(exp)
    if exp.dtype.kind not in "fiub":
        return "expected output of type %s" % exp.dtype
    if exp.dtype == np.int64:
        got = np.asarray(got)
        if got.dtype != np.int64:
            return "output of type %s, expected int64" % got.dtype
        if got.size != exp.size:
            return "%d output values, expected %d" % (got.size, exp.size)
        bad = got.ravel() != exp.ravel()
        if not bad.any():
            return None
        i = int(np.argmax(bad))
        return "%d of %d int64 values differ, first at flat index %d: got %d expected %d" % (
            int(bad.sum()), exp.size, i, got.ravel()[i], exp.ravel()[i])
    exp = exp.astype(np.float64).ravel()
    got = np.asarray(got, dtype=np.float64).ravel()
    if got.size != exp.size:
        return "%d output values, expected %d" % (got.size, exp.size)
    bad = ~np.isclose(got, exp, rtol=RTOL, atol=ATOL, equal_nan=True)
    if not bad.any():
        return None
    i = int(np.argmax(bad))
    return "%d of %d values differ, first at flat index %d: got %.7g expected %.7g" % (
        int(bad.sum()), exp.size, i, got[i], exp[i])


def read(path):
    with open(path) as f:
        return f.read().strip()


def verdict(d, nout):
    """(kind, message) for one test's directory."""
    st = os.path.join(d, "status")
    if os.path.exists(st):
        s = read(st)
        kind, _, msg = s.partition(" ")
        return kind, msg
    notes = []
    for note in ("frozen",):
        if os.path.exists(os.path.join(d, note)):
            notes.append(read(os.path.join(d, note)))
    for k in range(nout):
        exp = np.load(os.path.join(d, "exp_%d.npy" % k))
        why = mismatch(np.load(os.path.join(d, "run_%d.npy" % k)), exp)
        if why:
            return "FAIL", "interpreter output %d: %s" % (k, why)
        # a bool output is the object's uint8_t mask, an int64 one int64
        got = np.fromfile(os.path.join(d, "c_%d.raw" % k),
                          dtype=np.uint8 if exp.dtype == np.bool_ else
                          np.int64 if exp.dtype == np.int64 else np.float32)
        why = mismatch(got, exp)
        if why:
            return "FAIL", "compiled output %d: %s" % (k, why)
    return "PASS", "(%s)" % "; ".join(notes) if notes else ""


def read_unsupported(path):
    """unsupported.txt: test name, a tab, the feature quantc refuses."""
    listed = {}
    with open(path) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                name, _, why = line.rstrip("\n").partition("\t")
                listed[name.strip()] = why.strip()
    return listed


def report(work, listfile, tset, tests):
    """One line per test and the set's totals.  An UNSUPPORTED test must be
    listed in listfile, with the feature it uses; a listed test must not
    pass."""
    listed = read_unsupported(listfile)
    pending = opened = 0
    counts = {"PASS": 0, "FAIL": 0, "UNSUPPORTED": 0, "UNLISTED": 0, "STALE": 0}
    for t in tests:
        name, _, nout = t.partition(":")
        kind, msg = verdict(os.path.join(work, name), int(nout))
        if kind == "UNSUPPORTED" and name not in listed:
            kind, msg = "UNLISTED", "quantc refuses it, and %s does not list it: %s" % (
                os.path.basename(listfile), msg)
        elif kind == "UNSUPPORTED":
            pending += listed[name].startswith("pending:")
            opened += listed[name].startswith("open:")
            msg = "%s (quantc: %s)" % (listed[name], msg)
        elif kind == "PASS" and name in listed:
            kind, msg = "STALE", "passes, but unsupported.txt lists it (%s): remove the line" % listed[name]
        counts[kind] += 1
        if not msg:
            print(kind, name)
        elif kind == "PASS":
            print(kind, name, msg)
        else:
            print("%s %s: %s" % (kind, name, msg))
    print("conformance %s: %d passed, %d failed, %d unsupported (listed in %s), "
          "%d unsupported unlisted, %d stale entries; %s tests of other op types "
          "not counted" % (
              tset, counts["PASS"], counts["FAIL"], counts["UNSUPPORTED"],
              os.path.basename(listfile), counts["UNLISTED"], counts["STALE"],
              read(os.path.join(work, "not_counted"))))
    print("counts %s: %d accepted and matching / %d refused by name (%d pending: another "
          "branch adds what they need; %d open) / %d total" % (
              tset, counts["PASS"], counts["UNSUPPORTED"], pending, opened, len(tests)))
    return 1 if counts["FAIL"] or counts["UNLISTED"] or counts["STALE"] else 0


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "prepare":
        prepare(*sys.argv[2:])
    elif len(sys.argv) >= 5 and sys.argv[1] == "report":
        sys.exit(report(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]))
    else:
        sys.exit(__doc__)
