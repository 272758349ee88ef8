#!/usr/bin/python3
# armnn_ops.py — runs the operator cases of tests/e2e/tflite (op_*.tflite)
# with ArmNN 20.08's TfLite parser on its CpuRef backend (python3-pyarmnn),
# an implementation of TFLite's semantics independent of quantc, and
# compares with quantc's interpreter (`quantc run`) on 16 random inputs:
#   int8 cases (op_*_q): the share of int8 outputs equal to ArmNN's and
#   the largest difference in steps (ArmNN requantizes through float, so one
#   step differs now and then);
#   float cases (op_*_f): the largest difference relative to the output's
#   range.
# Prints one line per case: "CASE equal SHARE maxdiff D" or
# "CASE skipped: REASON" when ArmNN 20.08 cannot read the operator.
#   usage: armnn_ops.py QUANTC WORKDIR CASE.tflite...
import os
import subprocess
import sys

import numpy as np

try:
    import pyarmnn as ann
except ImportError as e:
    print("pyarmnn unavailable: %s" % e)
    sys.exit(3)


class Net:
    def __init__(self, path):
        p = ann.ITfLiteParser()
        net = p.CreateNetworkFromBinaryFile(path)
        self.rt = ann.IRuntime(ann.CreationOptions())
        opt, _ = ann.Optimize(net, [ann.BackendId("CpuRef")], self.rt.GetDeviceSpec(),
                              ann.OptimizerOptions())
        self.nid, _ = self.rt.LoadNetwork(opt)
        self.ib = p.GetNetworkInputBindingInfo(0, p.GetSubgraphInputTensorNames(0)[0])
        self.ob = p.GetNetworkOutputBindingInfo(0, p.GetSubgraphOutputTensorNames(0)[0])

    def run(self, x):
        ys = []
        for s in x:
            ot = ann.make_output_tensors([self.ob])
            self.rt.EnqueueWorkload(self.nid, ann.make_input_tensors([self.ib], [s]), ot)
            ys.append(ann.workload_tensors_to_ndarray(ot)[0].copy())
        return np.stack(ys)


def one(quantc, work, c):
    name = os.path.basename(c)[3:-7]
    rng = np.random.default_rng(5)
    try:
        net = Net(c)
    except Exception as e:  # an operator or option ArmNN 20.08 does not read
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        print("%s skipped: ArmNN: %s" % (name, msg[:110]))
        return
    ti, to = net.ib[1], net.ob[1]
    shape = tuple(ti.GetShape()[k] for k in range(ti.GetNumDimensions()))
    quant = ti.GetDataType() == ann.DataType_QAsymmS8
    if quant:
        q = rng.integers(-128, 128, (16,) + shape).astype(np.int8)
        s, z = ti.GetQuantizationScale(), ti.GetQuantizationOffset()
        x = ((q.astype(np.int32) - z).astype(np.float32) * np.float32(s)).astype(np.float32)
        feed = q
    else:
        x = rng.uniform(-2, 2, (16,) + shape).astype(np.float32)
        feed = x
    ya = net.run(list(feed))
    np.save(os.path.join(work, name + ".in.npy"), x)
    out = os.path.join(work, name + ".out.npy")
    prec = [] if name.endswith("_q") else ["--precision", "f32"]
    r = subprocess.run([quantc, "run", c, "--input", os.path.join(work, name + ".in.npy"),
                        "-o", out] + prec, capture_output=True, text=True)
    if r.returncode:
        print("%s FAIL: quantc run: %s" % (name, r.stderr.strip()))
        return
    yq = np.load(out).reshape(ya.shape)
    if to.GetDataType() == ann.DataType_QAsymmS8:
        so, zo = to.GetQuantizationScale(), to.GetQuantizationOffset()
        mine = np.round(yq / np.float32(so)).astype(np.int32) + zo
        d = np.abs(mine - ya.astype(np.int32))
        print("%s equal %.4f maxdiff %d" % (name, float((d == 0).mean()), int(d.max())))
    else:
        span = max(float(np.abs(ya).max()), 1e-6)
        print("%s equal %.4f maxdiff %.3g" % (name, float((yq == ya).mean()),
                                               float(np.abs(yq - ya).max() / span)))


def main():
    if sys.argv[1] == "--one":
        one(*sys.argv[2:5])
        return
    quantc, work, cases = sys.argv[1], sys.argv[2], sys.argv[3:]
    for c in cases:
        if c.endswith("_i16.tflite"):  # 16x8: only int8 and float compared here
            print("%s skipped: a 16x8 case" % os.path.basename(c)[3:-7])
            continue
        # one process per case: ArmNN asserts (aborts) on some inputs
        r = subprocess.run([sys.executable, __file__, "--one", quantc, work, c],
                           capture_output=True, text=True)
        lines = [l for l in r.stdout.splitlines() if "does not support" not in l]
        if r.returncode or not lines:
            err = [l for l in r.stderr.splitlines() if l.strip()]
            print("%s skipped: ArmNN aborted (%s)" % (os.path.basename(c)[3:-7],
                                                      err[-1][-110:] if err else r.returncode))
        else:
            print(lines[-1])
        sys.stdout.flush()


if __name__ == "__main__":
    main()
