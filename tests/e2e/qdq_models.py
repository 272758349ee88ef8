"""Small pre-quantized (QDQ) ONNX models for tests/e2e/requant_float.sh.

usage: qdq_models.py OUTDIR

Writes into OUTDIR, all opset 13, input x [1, 1, 28, 28] float, output y:
  small_SEED.onnx   x -> Q -> DQ -> Conv(DQ(int8 W per channel), DQ(int32 B))
                    -> Relu -> Q -> DQ -> MaxPool -> Q -> DQ -> Flatten -> Q -> DQ
                    -> Gemm(transB = 1, DQ(int8 W), DQ(int32 B)) -> Q -> DQ -> y
                    SEED 0 and 1: random scales; SEED 2: power-of-two scales,
                    so that many products land exactly on halves (ties);
                    SEED 3: uint8 activations (zero point 128 / 0)
                    SEED 4: GlobalAveragePool in place of the MaxPool
  small_SEED.w1.npy, .b1.npy, .w2.npy, .b2.npy: the model's integers
  x_ties.npy        64 inputs, half of them exact halves of the input scale
  labels.npy        64 int32 zeros (examples/fashion_mnist/demo.c wants labels)
  bad_noqdq.onnx    a QuantizeLinear read by a Relu
  bad_mismatch.onnx a Q/DQ pair with different scales
  bad_pool.onnx     a MaxPool whose output is pinned with another scale
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

OC, HID = 18, 20


def qdq(nodes, inits, name, x, scale, zp, u8):
    """x -> Q -> DQ; returns the dequantized name."""
    s, z = f"{name}_s", f"{name}_zp"
    inits.append(numpy_helper.from_array(np.array(scale, np.float32), s))
    zt = np.array(zp + 128, np.uint8) if u8 else np.array(zp, np.int8)
    inits.append(numpy_helper.from_array(zt, z))
    nodes.append(helper.make_node("QuantizeLinear", [x, s, z], [f"{name}_q"], name=f"{name}_Q"))
    nodes.append(helper.make_node("DequantizeLinear", [f"{name}_q", s, z], [f"{name}_dq"],
                                  name=f"{name}_DQ"))
    return f"{name}_dq"


def const_dq(nodes, inits, name, q, scale):
    """A DequantizeLinear of an integer initializer (per channel along axis 0)."""
    inits.append(numpy_helper.from_array(q, f"{name}_int"))
    inits.append(numpy_helper.from_array(np.asarray(scale, np.float32), f"{name}_scale"))
    zp = np.zeros(np.asarray(scale).shape, q.dtype)
    inits.append(numpy_helper.from_array(zp, f"{name}_zero"))
    nodes.append(helper.make_node("DequantizeLinear", [f"{name}_int", f"{name}_scale",
                                                       f"{name}_zero"], [name], axis=0,
                                  name=f"{name}_DQ"))
    return name


def small(seed, out):
    rng = np.random.default_rng(seed)
    pow2 = seed == 2
    u8 = seed == 3
    gap = seed == 4

    def scale(lo, hi):
        if pow2:
            return np.float32(2.0 ** rng.integers(lo, hi))
        return np.float32(rng.uniform(2.0 ** lo, 2.0 ** hi))

    s_x = np.float32(1 / 256) if pow2 else np.float32(1 / 255)
    zp_x = -128
    w1 = rng.integers(-127, 128, (OC, 1, 3, 3)).astype(np.int8)
    s_w1 = np.array([scale(-9, -5) for _ in range(OC)], np.float32)
    b1 = rng.integers(-3000, 3000, OC).astype(np.int32)
    s_1 = scale(-7, -4)
    w2 = rng.integers(-127, 128, (HID, OC if gap else OC * 7 * 7)).astype(np.int8)
    s_w2 = np.array([scale(-10, -7) for _ in range(HID)], np.float32)
    b2 = rng.integers(-20000, 20000, HID).astype(np.int32)
    s_y, zp_y = scale(-4, -1), int(rng.integers(-20, 20))
    nodes, inits = [], []
    t = qdq(nodes, inits, "in", "x", s_x, zp_x, u8)
    wd = const_dq(nodes, inits, "c1.w", w1, s_w1)
    bd = const_dq(nodes, inits, "c1.b", b1, (s_x * s_w1).astype(np.float32))
    nodes.append(helper.make_node("Conv", [t, wd, bd], ["c1"], kernel_shape=[3, 3],
                                  pads=[1, 1, 1, 1], strides=[2, 2], name="conv1"))
    nodes.append(helper.make_node("Relu", ["c1"], ["r1"], name="relu1"))
    t = qdq(nodes, inits, "r1", "r1", s_1, -128, u8)
    if gap:
        nodes.append(helper.make_node("GlobalAveragePool", [t], ["p1"], name="pool1"))
    else:
        nodes.append(helper.make_node("MaxPool", [t], ["p1"], kernel_shape=[2, 2],
                                      strides=[2, 2], name="pool1"))
    t = qdq(nodes, inits, "p1", "p1", s_1, -128, u8)
    nodes.append(helper.make_node("Flatten", [t], ["f1"], axis=1, name="flat"))
    t = qdq(nodes, inits, "f1", "f1", s_1, -128, u8)
    wd = const_dq(nodes, inits, "fc.w", w2, s_w2)
    bd = const_dq(nodes, inits, "fc.b", b2, (s_1 * s_w2).astype(np.float32))
    nodes.append(helper.make_node("Gemm", [t, wd, bd], ["g"], transB=1, name="fc"))
    t = qdq(nodes, inits, "g", "g", s_y, zp_y, u8)
    nodes.append(helper.make_node("Identity", [t], ["y"], name="out"))
    g = helper.make_graph(nodes, f"small{seed}", [
        helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 28, 28])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", HID])], inits)
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]),
         os.path.join(out, f"small_{seed}.onnx"))
    for k, a in (("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2)):
        np.save(os.path.join(out, f"small_{seed}.{k}.npy"), a)
    if pow2:
        # inputs at exact halves of the input scale, and random ones
        q = rng.integers(-128, 127, (32, 1, 28, 28)).astype(np.float32) + 128.5
        x = np.concatenate([q * s_x, rng.uniform(0, 1, (32, 1, 28, 28))]).astype(np.float32)
        np.save(os.path.join(out, "x_ties.npy"), x)
        np.save(os.path.join(out, "labels.npy"), np.zeros(len(x), np.int32))  # for demo.c


def bad(out):
    def model(name, nodes, inits):
        g = helper.make_graph(nodes, name, [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
        save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]),
             os.path.join(out, f"{name}.onnx"))

    def p(name, v, dt):
        return numpy_helper.from_array(np.array(v, dt), name)
    inits = [p("s", 0.1, np.float32), p("z", 0, np.int8), p("s2", 0.2, np.float32)]
    model("bad_noqdq", [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="q1"),
                        helper.make_node("Relu", ["q"], ["y"], name="r1")], inits)
    model("bad_mismatch", [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="q1"),
                           helper.make_node("DequantizeLinear", ["q", "s2", "z"], ["y"],
                                            name="dq1")], inits)
    model("bad_pool", [
        helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="q1"),
        helper.make_node("DequantizeLinear", ["q", "s", "z"], ["d"], name="dq1"),
        helper.make_node("MaxPool", ["d"], ["m"], kernel_shape=[2, 2], name="pool"),
        helper.make_node("QuantizeLinear", ["m", "s2", "z"], ["mq"], name="q2"),
        helper.make_node("DequantizeLinear", ["mq", "s2", "z"], ["y"], name="dq2")], inits)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for seed in range(5):
        small(seed, out)
    bad(out)


if __name__ == "__main__":
    main()
