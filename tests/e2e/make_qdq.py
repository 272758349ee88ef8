"""Build pre-quantized (QDQ) ONNX models of the Fashion-MNIST examples.

usage: make_qdq.py OUTDIR CALIB.npy [cnn|mlp|dscnn ...]   (default: cnn mlp)

Writes OUTDIR/<model>_qdq.onnx: opset 13, input "x" [batch, 1, 28, 28] with
a dynamic batch axis, output "y" [batch, 10], the graph carrying
QuantizeLinear/DequantizeLinear pairs the way a standard static QDQ
quantizer (onnxruntime's quantize_static) writes them:

  x -> Q -> DQ -> Conv(DQ(W int8), DQ(B int32)) -> Relu -> Q -> DQ
    -> MaxPool -> Q -> DQ -> ... -> Gemm(transB = 1) -> Q -> DQ -> y

- activations: int8 asymmetric from min/max over CALIB (a float32 forward),
  the range widened to include 0: scale = (max - min) / 255,
  zero point = round(-128 - min / scale); after a Relu the zero point is -128;
  MaxPool, GlobalAveragePool and Flatten keep their input's parameters;
- weights: int8 symmetric per output channel (axis 0), scale = max|w| / 127,
  zero point 0, values in [-127, 127];
- biases: int32, scale = s_in * s_w[c] (a float32 product), zero point 0.

The float weights are the committed examples/fashion_mnist/weights/<model>/
*.npy (train.py's state-dict keys); the DSCNN's BatchNormalization layers are
folded into the convolutions before (in float64).  The final Q/DQ pair makes
the float output a function of int8 values, so an integer implementation can
match onnxruntime bit for bit (tests/e2e/onnx_qdq.sh).

Needs numpy, torch (the calibration forward) and onnx (onnx.helper).
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
WEIGHTS = os.path.join(HERE, "..", "..", "examples", "fashion_mnist", "weights")
MODELS = ("cnn", "mlp", "dscnn")
BN_EPS = 1e-5  # torch.nn.BatchNorm2d's default


def load(name):
    d = os.path.join(WEIGHTS, name)
    if not os.path.isdir(d):
        sys.exit(f"make_qdq.py: no weights for {name} in {d}")
    return {f[:-4]: np.load(os.path.join(d, f)) for f in os.listdir(d) if f.endswith(".npy")}


# --- the networks, as lists of layers -------------------------------------------
# A layer is a dict: op conv|gemm|maxpool|flatten|gap, and for conv/gemm the
# float32 weight w and bias b, the activation act (None, relu or relu6), and
# for conv the stride, padding and group.

def conv(name, w, b, act, stride=1, pad=1, group=1):
    return dict(op="conv", name=name, w=w, b=b, act=act, stride=stride, pad=pad, group=group)


def gemm(name, w, b, act=None):
    return dict(op="gemm", name=name, w=w, b=b, act=act)


def cnn(p):
    return [conv("c1", p["c1.weight"], p["c1.bias"], "relu"), dict(op="maxpool"),
            conv("c2", p["c2.weight"], p["c2.bias"], "relu"), dict(op="maxpool"),
            dict(op="flatten"), gemm("fc", p["fc.weight"], p["fc.bias"])]


def mlp(p):
    return [dict(op="flatten"), gemm("fc1", p["fc1.weight"], p["fc1.bias"], "relu"),
            gemm("fc2", p["fc2.weight"], p["fc2.bias"])]


def fold_bn(p, conv_key, bn_key):
    # in float64, so that the folded weights are the float32 rounding of the
    # exact product
    w = p[f"{conv_key}.weight"].astype(np.float64)
    g = p[f"{bn_key}.weight"].astype(np.float64)
    inv = g / np.sqrt(p[f"{bn_key}.running_var"].astype(np.float64) + BN_EPS)
    b = p[f"{bn_key}.bias"] - p[f"{bn_key}.running_mean"].astype(np.float64) * inv
    return (w * inv[:, None, None, None]).astype(np.float32), b.astype(np.float32)


def dscnn(p):
    w, b = fold_bn(p, "stem", "stem_bn")
    layers = [conv("stem", w, b, "relu6")]
    for i, stride in zip(range(1, 5), (2, 1, 2, 1)):
        k = f"b{i}"
        w, b = fold_bn(p, f"{k}.dw", f"{k}.dw_bn")
        layers.append(conv(f"{k}.dw", w, b, "relu6", stride=stride, group=w.shape[0]))
        w, b = fold_bn(p, f"{k}.pw", f"{k}.pw_bn")
        layers.append(conv(f"{k}.pw", w, b, "relu6", pad=0))
    return layers + [dict(op="gap"), dict(op="flatten"),
                     gemm("fc", p["fc.weight"], p["fc.bias"])]


NETS = {"cnn": cnn, "mlp": mlp, "dscnn": dscnn}


# --- calibration -------------------------------------------------------------------

def forward_layer(layer, x):
    op = layer["op"]
    if op == "conv":
        x = F.conv2d(x, torch.from_numpy(layer["w"]), torch.from_numpy(layer["b"]),
                     stride=layer["stride"], padding=layer["pad"], groups=layer["group"])
    elif op == "gemm":
        x = F.linear(x, torch.from_numpy(layer["w"]), torch.from_numpy(layer["b"]))
    elif op == "maxpool":
        return F.max_pool2d(x, 2)
    elif op == "flatten":
        return torch.flatten(x, 1)
    elif op == "gap":
        return F.adaptive_avg_pool2d(x, 1)
    if layer["act"] == "relu":
        x = torch.relu(x)
    elif layer["act"] == "relu6":
        x = torch.clamp(x, 0.0, 6.0)
    return x


def calibrate(layers, calib):
    """Min and max of the input and of every layer's output over calib."""
    lo = [np.inf] * (len(layers) + 1)
    hi = [-np.inf] * (len(layers) + 1)
    with torch.no_grad():
        for i in range(0, calib.shape[0], 100):
            x = torch.from_numpy(calib[i:i + 100])
            for k in range(len(layers) + 1):
                if k:
                    x = forward_layer(layers[k - 1], x)
                lo[k] = min(lo[k], float(x.min()))
                hi[k] = max(hi[k], float(x.max()))
    return lo, hi


def act_params(lo, hi):
    """int8 asymmetric scale and zero point of the range [lo, hi]."""
    lo = np.float32(min(lo, 0.0))
    hi = np.float32(max(hi, 0.0))
    if hi == lo:
        return np.float32(1.0), np.int8(0)
    scale = np.float32((hi - lo) / np.float32(255))
    zp = np.clip(np.round(np.float32(-128) - lo / scale), -128, 127)
    return scale, np.int8(zp)


# --- the graph -----------------------------------------------------------------------

class Graph:
    """The nodes and initializers of the graph being built."""

    def __init__(self):
        self.nodes, self.inits = [], []

    def const(self, name, value):
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(self, op, inputs, name, **attrs):
        out = f"{name}_{op.lower()}"
        self.nodes.append(helper.make_node(op, inputs, [out], name=f"{name}/{op}", **attrs))
        return out

    def qdq(self, x, scale, zp, name, out=None):
        """x -> QuantizeLinear -> DequantizeLinear (output named out)."""
        s = self.const(f"{name}.scale", np.float32(scale))
        z = self.const(f"{name}.zero_point", np.int8(zp))
        q = self.node("QuantizeLinear", [x, s, z], name)
        out = out or f"{name}_dq"
        self.nodes.append(helper.make_node("DequantizeLinear", [q, s, z], [out],
                                           name=f"{name}/DequantizeLinear"))
        return out

    def weights(self, layer, s_in):
        """DequantizeLinear of the int8 weights and the int32 bias."""
        w, b, name = layer["w"], layer["b"], layer["name"]
        amax = np.abs(w.reshape(w.shape[0], -1)).max(axis=1)
        s_w = np.where(amax > 0, amax / np.float32(127), np.float32(1)).astype(np.float32)
        wq = np.clip(np.round(w / s_w.reshape((-1,) + (1,) * (w.ndim - 1))), -127, 127)
        s_b = (np.float32(s_in) * s_w).astype(np.float32)
        bq = np.round(b.astype(np.float64) / s_b.astype(np.float64))
        bq = np.clip(bq, -2**31, 2**31 - 1)
        c = w.shape[0]
        wdq = self.node("DequantizeLinear", [
            self.const(f"{name}.weight_quantized", wq.astype(np.int8)),
            self.const(f"{name}.weight_scale", s_w),
            self.const(f"{name}.weight_zero_point", np.zeros(c, np.int8))],
            f"{name}.weight", axis=0)
        bdq = self.node("DequantizeLinear", [
            self.const(f"{name}.bias_quantized", bq.astype(np.int32)),
            self.const(f"{name}.bias_scale", s_b),
            self.const(f"{name}.bias_zero_point", np.zeros(c, np.int32))],
            f"{name}.bias", axis=0)
        return wdq, bdq


def build(name, layers, calib):
    lo, hi = calibrate(layers, calib)
    g = Graph()
    s, zp = act_params(lo[0], hi[0])
    cur = g.qdq("x", s, zp, "x")
    for k, layer in enumerate(layers, 1):
        op, last = layer["op"], k == len(layers)
        tag = layer.get("name", f"{op}{k}")
        if op in ("conv", "gemm"):
            wdq, bdq = g.weights(layer, s)
            if op == "conv":
                p = layer["pad"]
                cur = g.node("Conv", [cur, wdq, bdq], tag, strides=[layer["stride"]] * 2,
                             pads=[p] * 4, group=layer["group"],
                             kernel_shape=list(layer["w"].shape[2:]))
            else:
                cur = g.node("Gemm", [cur, wdq, bdq], tag, transB=1)
            if layer["act"] == "relu":
                cur = g.node("Relu", [cur], tag)
            elif layer["act"] == "relu6":
                cur = g.node("Clip", [cur, g.const(f"{tag}.clip_min", np.float32(0)),
                                      g.const(f"{tag}.clip_max", np.float32(6))], tag)
            s, zp = act_params(lo[k], hi[k])
        elif op == "maxpool":
            cur = g.node("MaxPool", [cur], tag, kernel_shape=[2, 2], strides=[2, 2])
        elif op == "flatten":
            cur = g.node("Flatten", [cur], tag, axis=1)
        elif op == "gap":
            cur = g.node("GlobalAveragePool", [cur], tag)
        # pooling and flatten keep their input's parameters (as quantize_static
        # does for AveragePool, and TFLite for every pooling)
        cur = g.qdq(cur, s, zp, f"{tag}_out", "y" if last else None)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 1, 28, 28])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 10])
    graph = helper.make_graph(g.nodes, f"{name}_qdq", [x], [y], g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="quantc tests/e2e/make_qdq.py")
    model.ir_version = 7  # opset 13's IR version, readable by every onnxruntime
    onnx.checker.check_model(model)
    return model


def main():
    if len(sys.argv) < 3 or any(m not in MODELS for m in sys.argv[3:]):
        sys.exit("usage: make_qdq.py OUTDIR CALIB.npy [cnn|mlp|dscnn ...]")
    out, calib = sys.argv[1], np.load(sys.argv[2])
    if calib.dtype != np.float32 or calib.ndim != 4 or calib.shape[1:] != (1, 28, 28):
        sys.exit(f"make_qdq.py: {sys.argv[2]}: expected float32 [N, 1, 28, 28]")
    os.makedirs(out, exist_ok=True)
    for name in sys.argv[3:] or ("cnn", "mlp"):
        model = build(name, NETS[name](load(name)), calib)
        path = os.path.join(out, f"{name}_qdq.onnx")
        onnx.save(model, path)
        print(f"{path}: {len(model.graph.node)} nodes, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
