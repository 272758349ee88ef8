#!/usr/bin/python3
# make_onnx_qdq.py — writes the malformed ONNX models tests/bad/onnx_qdq_*.onnx
# (QuantizeLinear/DequantizeLinear scales of 0, NaN, inf, and a negative one
# in a per-axis weight) and onnx_pad_huge.onnx (a Pad of 2^63 - 1).  Run from
# tests/bad/data with Debian's /usr/bin/python3 and python3-onnx, like
# make_onnx.py; the outputs are committed, each with its .err beside it.
import numpy as np
from onnx import TensorProto, helper, numpy_helper, save


def model(name, nodes, inits, shape=(1, 2, 4, 4)):
    g = helper.make_graph(nodes, name,
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), f"../{name}.onnx")


def p(name, v, dt):
    return numpy_helper.from_array(np.array(v, dt), name)


# a run-time tensor's Q -> DQ pair with scale 0, then NaN
for name, s in (("onnx_qdq_scale_zero", 0.0), ("onnx_qdq_scale_nan", np.nan)):
    model(name, [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="q1"),
                 helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], name="dq1")],
          [p("s", s, np.float32), p("z", 0, np.int8)])
# a per-channel weight DequantizeLinear whose second scale is negative
model("onnx_qdq_scale_negative", [
    helper.make_node("DequantizeLinear", ["w", "ws", "wz"], ["wf"], axis=0, name="dqw"),
    helper.make_node("Conv", ["x", "wf"], ["y"], kernel_shape=[1, 1], name="conv")],
    [p("w", np.ones((2, 2, 1, 1)), np.int8), p("ws", [0.5, -0.25], np.float32),
     p("wz", [0, 0], np.int8)])
# a QuantizeLinear of a constant (folded) with an infinite scale
model("onnx_qdq_scale_inf", [
    helper.make_node("QuantizeLinear", ["c", "s", "z"], ["cq"], name="qc"),
    helper.make_node("DequantizeLinear", ["cq", "s2", "z"], ["cf"], name="dqc"),
    helper.make_node("Add", ["x", "cf"], ["y"], name="add")],
    [p("c", np.ones((1, 2, 4, 4)), np.float32), p("s", np.inf, np.float32),
     p("s2", 0.5, np.float32), p("z", 0, np.int8)])
# a pad of INT64_MAX
model("onnx_pad_huge", [helper.make_node("Pad", ["x", "p"], ["y"], name="pad1")],
      [p("p", [0, 0, 2**63 - 1, 0, 0, 0, 1, 0], np.int64)], shape=(1, 1, 4, 4))
