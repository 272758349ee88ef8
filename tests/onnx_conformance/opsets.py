#!/usr/bin/python3
"""opsets.py QUANTC WORKDIR — old operator forms read at import
(frontend/onnx_opset.c), end to end: small models in the opset of the old
form, built with onnx.helper, go through `quantc run` in f32 and must match
numpy within 1e-5 (the rewritten node means what the old one did); the old
forms quantc cannot read must be refused (exit 1, no output) with their
reason.  Prints one ok / FAIL line per case and the total; exits 1 on any
FAIL.  About 2 s of CPU."""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

quantc, work = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(18)
fails = 0


def report(ok, what):
    global fails
    print("%s: %s" % ("ok" if ok else "FAIL", what))
    fails += not ok


def model(name, nodes, opset, shapes, inits=(), ir=3):
    """Saves a model of nodes: inputs x0, x1, ... of the given shapes (the
    first named "x"), output "y"."""
    ins = [helper.make_tensor_value_info("x" if k == 0 else "x%d" % k, TensorProto.FLOAT,
                                         list(s)) for k, s in enumerate(shapes)]
    g = helper.make_graph(nodes, name, ins, [helper.make_tensor_value_info(
        "y", TensorProto.FLOAT, None)], [numpy_helper.from_array(v, n) for n, v in inits])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = ir
    path = os.path.join(work, name + ".onnx")
    onnx.save(m, path)
    return path


def runs(name, nodes, opset, xs, ref, inits=()):
    """quantc run of the model on inputs xs matches ref within 1e-5."""
    path = model(name, nodes, opset, [x.shape for x in xs], inits)
    args = [quantc, "run", path, "--precision", "f32", "-o", os.path.join(work, name + "_y.npy")]
    for k, x in enumerate(xs):
        np.save(os.path.join(work, "%s_x%d.npy" % (name, k)), x)
        args += ["--input", os.path.join(work, "%s_x%d.npy" % (name, k))]
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode:
        report(False, "%s (opset %d): quantc run exited %d: %s" % (name, opset, p.returncode,
                                                                     p.stderr.strip()[:300]))
        return
    y = np.load(os.path.join(work, name + "_y.npy"))
    ref = np.asarray(ref, dtype=np.float64)
    err = np.abs(y.astype(np.float64) - ref).max() if y.shape == ref.shape else float("inf")
    report(err <= 1e-5, "%s (opset %d): quantc run matches numpy (shape %s, max |diff| %.3g)" % (
        name, opset, list(y.shape), err))


def refused(name, nodes, opset, shapes, want, inits=()):
    """quantc compile exits 1, writes no object and says want."""
    path = model(name, nodes, opset, shapes, inits)
    out = os.path.join(work, name + ".o")
    p = subprocess.run([quantc, "compile", path, "--precision", "f32", "-o", out],
                       capture_output=True, text=True)
    ok = p.returncode == 1 and want in p.stderr and not os.path.exists(out)
    report(ok, "%s (opset %d): refused, exit %d: %s" % (name, opset, p.returncode,
                                                       p.stderr.strip().split("\n")[0]))


x = rng.standard_normal((1, 2, 3, 4)).astype(np.float32)
xd = x.astype(np.float64)
node = helper.make_node


def softmax(v, axis):
    e = np.exp(v - v.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# attributes that became inputs
runs("clip6", [node("Clip", ["x"], ["y"], min=-0.5, max=0.7)], 6, [x], np.clip(xd, -0.5, 0.7))
runs("clip6_max", [node("Clip", ["x"], ["y"], max=0.2)], 6, [x], np.minimum(xd, 0.2))
runs("pad2", [node("Pad", ["x"], ["y"], pads=[0, 0, 1, 2, 0, 0, 2, 1], value=1.5)], 2, [x],
     np.pad(xd, ((0, 0), (0, 0), (1, 2), (2, 1)), constant_values=1.5))
runs("pad1", [node("Pad", ["x"], ["y"], paddings=[0, 0, 0, 1, 0, 0, 0, 3])], 1, [x],
     np.pad(xd, ((0, 0), (0, 0), (0, 0), (1, 3))))
runs("pad18_axes", [node("Pad", ["x", "p", "", "a"], ["y"])], 18, [x],
     np.pad(xd, ((0, 0), (0, 0), (0, 2), (1, 3))),
     inits=[("p", np.array([1, 0, 3, 2], np.int64)), ("a", np.array([-1, 2], np.int64))])
runs("unsqueeze11", [node("Unsqueeze", ["x"], ["y"], axes=[2])], 11, [x], xd[:, :, None])
runs("squeeze11", [node("Unsqueeze", ["x"], ["u"], axes=[0, 3]),
                   node("Squeeze", ["u"], ["y"], axes=[3])], 11, [x], xd[None])
runs("reshape4", [node("Reshape", ["x"], ["y"], shape=[1, 6, 4])], 4, [x], xd.reshape(1, 6, 4))
runs("slice9_shape", [node("Shape", ["x"], ["s"]),
                      node("Slice", ["s"], ["s2"], starts=[0], ends=[2], axes=[0]),
                      node("Concat", ["s2", "m1"], ["t"], axis=0),
                      node("Reshape", ["x", "t"], ["y"])], 9, [x], xd.reshape(1, 2, 12),
     inits=[("m1", np.array([-1], np.int64))])
runs("concat3", [node("Concat", ["x", "x"], ["y"])], 3, [x], np.concatenate([xd, xd], 1))
runs("cast1", [node("Cast", ["x"], ["c"], to="FLOAT"), node("Relu", ["c"], ["y"])], 1, [x],
     np.maximum(xd, 0))
# broadcast before opset 7
b2 = np.array([0.25, -2.0], np.float32)
c4 = np.array([1.0, 2.0, -1.0, 0.5], np.float32)
runs("add6_axis", [node("Add", ["x", "b"], ["y"], broadcast=1, axis=1)], 6, [x],
     xd + b2[None, :, None, None], inits=[("b", b2)])
runs("mul6_suffix", [node("Mul", ["x", "c"], ["y"], broadcast=1)], 6, [x], xd * c4,
     inits=[("c", c4)])
a = rng.standard_normal((2, 6)).astype(np.float32)
bw = rng.standard_normal((6, 4)).astype(np.float32)
runs("gemm6", [node("Gemm", ["x", "w", "c"], ["y"], broadcast=1)], 6, [a],
     a.astype(np.float64) @ bw + c4, inits=[("w", bw), ("c", c4)])
# BatchNormalization, Dropout of old opsets (inference)
bn = [("s", np.array([1.5, 0.5], np.float32)), ("bb", np.array([0.1, -0.2], np.float32)),
      ("mu", np.array([0.3, -0.1], np.float32)), ("var", np.array([2.0, 0.25], np.float32))]
sc = bn[0][1] / np.sqrt(bn[3][1].astype(np.float64) + 1e-5)
bnref = (xd - bn[2][1][None, :, None, None]) * sc[None, :, None, None] + bn[1][1][None, :, None, None]
bnin = ["x", "s", "bb", "mu", "var"]
runs("bn6", [node("BatchNormalization", bnin, ["y"], is_test=1, epsilon=1e-5)], 6, [x], bnref,
     inits=bn)
runs("bn7", [node("BatchNormalization", bnin, ["y"], spatial=1, epsilon=1e-5)], 7, [x], bnref,
     inits=bn)
runs("dropout6", [node("Dropout", ["x"], ["d"], is_test=1, ratio=0.3),
                  node("Relu", ["d"], ["y"])], 6, [x], np.maximum(xd, 0))
runs("dropout7", [node("Dropout", ["x"], ["d"], ratio=0.3), node("Relu", ["d"], ["y"])], 7, [x],
     np.maximum(xd, 0))
# Softmax before 13: where one axis from `axis` on is not 1
runs("softmax1_last", [node("Softmax", ["x"], ["y"], axis=3)], 1, [x], softmax(xd, 3))
x8 = rng.standard_normal((2, 8, 1, 1)).astype(np.float32)
runs("softmax11_axis1", [node("Softmax", ["x"], ["y"])], 11, [x8],
     softmax(x8.astype(np.float64), 1))

# refused, with the reason
conv_w = [("w", np.ones((1, 2, 1, 1), np.float32))]
refused("opset22", [node("Conv", ["x", "w"], ["y"])], 22, [x.shape],
        "the model uses opset 22; quantc reads opsets 1 to 21", inits=conv_w)
refused("opset0", [node("Conv", ["x", "w"], ["y"])], 0, [x.shape],
        "the model uses opset 0; quantc reads opsets 1 to 21", inits=conv_w)
refused("softmax11_flat", [node("Softmax", ["x"], ["y"], name="sm")], 11, [x.shape],
        "node 'sm' (Softmax): before opset 13, Softmax normalizes over dimensions 1 to 3 "
        "together")
refused("bn6_train", [node("BatchNormalization", bnin, ["y"], is_test=0, name="bn")], 6,
        [x.shape], "node 'bn' (BatchNormalization): training_mode = 1 is not supported",
        inits=bn)
refused("bn9_outputs", [node("BatchNormalization", bnin, ["y", "m", "v"], name="bn")], 9,
        [x.shape], "node 'bn' (BatchNormalization): training_mode = 1 is not supported",
        inits=bn)
refused("bn7_spatial0", [node("BatchNormalization", bnin, ["y"], spatial=0, name="bn")], 7,
        [x.shape], "node 'bn' (BatchNormalization): spatial = 0 (mean and variance per "
        "activation, not per channel) is not supported", inits=bn)
refused("dropout6_train", [node("Dropout", ["x"], ["d"], is_test=0, name="dr"),
                           node("Relu", ["d"], ["y"])], 6, [x.shape],
        "node 'dr' (Dropout): training_mode = true (random dropout) is not supported")
refused("add6_runtime_axis", [node("Add", ["x", "x1"], ["y"], broadcast=1, axis=1, name="ad")],
        6, [x.shape, (2,)], "node 'ad' (Add): broadcast = 1 with axis 1 of a run-time B ('x1') "
        "is not supported")
refused("cast1_complex", [node("Cast", ["x"], ["y"], to="COMPLEX64", name="ca")], 1, [x.shape],
        "node 'ca' (Cast): to = 'COMPLEX64' is no data type quantc knows")

print("%d failed" % fails)
sys.exit(1 if fails else 0)
