#!/usr/bin/python3
"""pbconv.py — the ONNX conformance runner's data side (run.sh owns the flow).

  pbconv.py prepare NODEDIR WORK OPS   for every node test whose nodes all have
      op types in OPS (comma-separated), convert test_data_set_0's TensorProto
      files to WORK/<test>/in_K.npy + in_K.raw (float32) and exp_K.npy (or
      write why not to data.err), and print "<test> <inputs> <outputs>"
      lines; the other tests are counted in WORK/not_counted.  Tests older
      than opset 11 are up-converted to WORK/<test>/model.onnx.
  pbconv.py report WORK TESTS...       compare what run.sh left in WORK/<test>
      (status, run_0.npy, c_K.raw) with exp_K.npy and print one verdict line
      per test and the total; exit 1 if any test failed.
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


MIN_OPSET = 11  # the oldest opset quantc reads (frontend/onnx.c)


def upgrade(model, out):
    """Node tests older than quantc's opsets (HardSigmoid's are opset 6, say)
    are converted to MIN_OPSET by ONNX's version converter, which rewrites
    the attributes whose meaning changed; run.sh then tests WORK/<test>/
    model.onnx and says so."""
    import onnx
    from onnx import version_converter
    old = [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")]
    if not old or old[0] >= MIN_OPSET:
        return
    try:
        new = version_converter.convert_version(model, MIN_OPSET)
    except Exception:
        return  # quantc then refuses the original's opset
    os.makedirs(out, exist_ok=True)
    onnx.save(new, os.path.join(out, "model.onnx"))
    with open(os.path.join(out, "converted"), "w") as f:
        f.write("converted from opset %d to %d\n" % (old[0], MIN_OPSET))


def prepare(nodedir, work, ops):
    import onnx
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
        types = {n.op_type for n in model.graph.node}
        if not types or not types <= ops:
            skipped += 1
            continue
        upgrade(model, os.path.join(work, name))
        files = sorted(os.listdir(data))
        ins = [f for f in files if f.startswith("input_")]
        outs = [f for f in files if f.startswith("output_")]
        out = os.path.join(work, name)
        os.makedirs(out, exist_ok=True)
        try:
            for k in range(len(ins)):
                a = load_pb(os.path.join(data, "input_%d.pb" % k))
                np.save(os.path.join(out, "in_%d.npy" % k), a)
                a.astype(np.float32).tofile(os.path.join(out, "in_%d.raw" % k))
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
    """None if got matches exp within the tolerance, else why not."""
    exp = np.asarray(exp)
    if exp.dtype.kind not in "fiub":
        return "expected output of type %s" % exp.dtype
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
    if os.path.exists(os.path.join(d, "converted")):
        notes.append(read(os.path.join(d, "converted")))
    if os.path.exists(os.path.join(d, "run.skip")):  # run.sh says why
        notes.append("run skipped: " + read(os.path.join(d, "run.skip")))
    else:
        why = mismatch(np.load(os.path.join(d, "run_0.npy")), np.load(os.path.join(d, "exp_0.npy")))
        if why:
            return "FAIL", "interpreter: " + why
    for k in range(nout):
        got = np.fromfile(os.path.join(d, "c_%d.raw" % k), dtype=np.float32)
        why = mismatch(got, np.load(os.path.join(d, "exp_%d.npy" % k)))
        if why:
            return "FAIL", "compiled output %d: %s" % (k, why)
    return "PASS", "(%s)" % "; ".join(notes) if notes else ""


def report(work, tests):
    counts = {"PASS": 0, "FAIL": 0, "UNSUPPORTED": 0}
    for t in tests:
        name, _, nout = t.partition(":")
        kind, msg = verdict(os.path.join(work, name), int(nout))
        counts[kind] += 1
        if not msg:
            print(kind, name)
        elif kind == "PASS":
            print(kind, name, msg)
        else:
            print("%s %s: %s" % (kind, name, msg))
    print("conformance: %d passed, %d failed, %d unsupported (of the node tests of supported ops); "
          "%s node tests of other op types not counted" % (
              counts["PASS"], counts["FAIL"], counts["UNSUPPORTED"], read(os.path.join(work, "not_counted"))))
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "prepare":
        prepare(*sys.argv[2:])
    elif len(sys.argv) >= 3 and sys.argv[1] == "report":
        sys.exit(report(sys.argv[2], sys.argv[3:]))
    else:
        sys.exit(__doc__)
