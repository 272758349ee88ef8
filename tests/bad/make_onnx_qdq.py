"""Writes tests/bad's onnx_qdq_scale_*.onnx: QuantizeLinear/DequantizeLinear
nodes whose scale is 0, NaN, infinite or (one channel of a per-axis weight)
negative.  The files are committed; run again only to change them.

usage: /usr/bin/python3 tests/bad/make_onnx_qdq.py tests/bad
"""
import sys, numpy as np
from onnx import TensorProto, helper, numpy_helper, save
out = sys.argv[1]
def model(name, nodes, inits, oshape=None):
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, oshape)], inits)
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), f"{out}/{name}.onnx")
def p(name, v, dt):
    return numpy_helper.from_array(np.array(v, dt), name)
# a run-time tensor's Q -> DQ with scale 0
model("onnx_qdq_scale_zero", [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="q1"),
    helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], name="dq1")],
    [p("s", 0.0, np.float32), p("z", 0, np.int8)])
# NaN scale on the same pair
model("onnx_qdq_scale_nan", [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="q1"),
    helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], name="dq1")],
    [p("s", np.nan, np.float32), p("z", 0, np.int8)])
# a per-channel weight DequantizeLinear whose second scale is negative
model("onnx_qdq_scale_negative", [
    helper.make_node("DequantizeLinear", ["w", "ws", "wz"], ["wf"], axis=0, name="dqw"),
    helper.make_node("Conv", ["x", "wf"], ["y"], kernel_shape=[1, 1], name="conv")],
    [p("w", np.ones((2, 2, 1, 1)), np.int8), p("ws", [0.5, -0.25], np.float32), p("wz", [0, 0], np.int8)])
# QuantizeLinear of a constant (folded) with an infinite scale
model("onnx_qdq_scale_inf", [
    helper.make_node("QuantizeLinear", ["c", "s", "z"], ["cq"], name="qc"),
    helper.make_node("DequantizeLinear", ["cq", "s2", "z"], ["cf"], name="dqc"),
    helper.make_node("Add", ["x", "cf"], ["y"], name="add")],
    [p("c", np.ones((1, 2, 4, 4)), np.float32), p("s", np.inf, np.float32), p("s2", 0.5, np.float32), p("z", 0, np.int8)])
