"""Build pre-quantized (QDQ) ONNX models of the Fashion-MNIST examples, or
the static U8S8 QDQ twin of any float ONNX model (bench/zoo.sh).

usage: make_qdq.py OUTDIR CALIB.npy [cnn|mlp|dscnn ...]   (default: cnn mlp)
       make_qdq.py --onnx MODEL.onnx CALIB.npy OUT.onnx

The second form (see twin() below) writes uint8 activations and int8
per-channel weights into any float model of the ops torchvision exports.
The first form is documented here:

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


# --- the U8S8 twin of any float ONNX model -----------------------------------------
# onnxruntime fuses DQ -> op -> Q groups into its integer kernels (QLinearConv,
# QLinearAdd, QLinearConcat, QGemm, QLinearGlobalAveragePool, QLinearMul,
# QLinearSigmoid...).  With int8 activations it converts them to uint8 only
# where a QuantizeLinear has a single consumer, so tensors read twice
# (residuals, fire modules, x * hardsigmoid(x)) and their neighbours would run
# in float: the twin writes uint8 activations, as quantize_static's default
# U8S8 does.  Every float tensor computed from the input gets a QuantizeLinear
# and one DequantizeLinear per consumer, with
#   scale = (max - min) / 255, zero point = round(-min / scale) in [0, 255]
# from the min/max over CALIB (widened to include 0), except
#   - a Conv/Gemm/Add/Relu/Clip output read only by one Relu or Clip: the
#     chain's last output is quantized instead (onnxruntime folds the
#     Relu/Clip into the Q; ReLU6 may come as Relu, Clip);
#   - outputs of data-movement ops (PASS) take their input's parameters, so
#     onnxruntime drops the pair around them.
# Conv and Gemm weights: int8 symmetric per output channel, zero point 0,
# values in [-127, 127]; biases int32 at scale s_in * s_w[c]; a
# BatchNormalization after a Conv is folded into it first.  The float model
# is evaluated here (numpy and torch, eval_node: the ops of torchvision's and
# the examples' exports) for the calibration, image by image.

PASS = {"Reshape", "Flatten", "Transpose", "MaxPool", "Identity", "Slice", "Split",
        "Squeeze", "Unsqueeze", "Dropout"}
FUSE_ACT = {"Relu", "Clip"}
FUSE_INTO = {"Conv", "Gemm", "Add", "MatMul", "Relu", "Clip"}


def pad4(x, pads, value=0.0):
    """x padded by ONNX 2-d pads [top, left, bottom, right] (torch wants
    left, right, top, bottom)."""
    if not any(pads):
        return x
    return F.pad(x, (pads[1], pads[3], pads[0], pads[2]), value=value)


def eval_node(n, x):
    """The outputs (a list of numpy arrays) of node n on inputs x."""
    a = {at.name: helper.get_attribute_value(at) for at in n.attribute}
    op, t = n.op_type, lambda v: torch.from_numpy(np.array(v, copy=True))
    if op == "Conv":
        b = t(x[2]) if len(x) > 2 and x[2] is not None else None
        y = F.conv2d(pad4(t(x[0]), a.get("pads", [0] * 4)), t(x[1]), b,
                     stride=a.get("strides", 1), dilation=a.get("dilations", 1),
                     groups=a.get("group", 1))
    elif op in ("MaxPool", "AveragePool"):
        k, pads = a["kernel_shape"], a.get("pads", [0] * 4)
        s, ceil = a.get("strides", [1, 1]), bool(a.get("ceil_mode", 0))
        if op == "MaxPool":
            y = F.max_pool2d(pad4(t(x[0]), pads, -np.inf), k, s, ceil_mode=ceil)
        else:
            if pads[:2] != pads[2:]:
                raise ValueError("AveragePool with asymmetric pads")
            y = F.avg_pool2d(t(x[0]), k, s, pads[:2], ceil,
                             count_include_pad=bool(a.get("count_include_pad", 0)))
    elif op == "GlobalAveragePool":
        y = x[0].mean(axis=(2, 3), keepdims=True)
    elif op == "Gemm":
        A = x[0].T if a.get("transA", 0) else x[0]
        B = x[1].T if a.get("transB", 0) else x[1]
        y = a.get("alpha", 1.0) * (A @ B)
        if len(x) > 2 and x[2] is not None:
            y = y + a.get("beta", 1.0) * x[2]
    elif op == "MatMul":
        y = x[0] @ x[1]
    elif op == "Relu":
        y = np.maximum(x[0], 0)
    elif op == "Clip":
        lo = x[1] if len(x) > 1 and x[1] is not None and x[1].size else -np.inf
        hi = x[2] if len(x) > 2 and x[2] is not None and x[2].size else np.inf
        y = np.clip(x[0], lo, hi)
    elif op == "Sigmoid":
        y = 1 / (1 + np.exp(-x[0]))
    elif op == "HardSigmoid":
        y = np.clip(a.get("alpha", 0.2) * x[0] + a.get("beta", 0.5), 0, 1)
    elif op == "HardSwish":
        y = x[0] * np.clip(x[0] / 6 + 0.5, 0, 1)
    elif op in ("Add", "Sub", "Mul"):
        y = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply}[op](x[0], x[1])
    elif op == "Div":
        ints = x[0].dtype.kind == "i" and x[1].dtype.kind == "i"
        y = np.trunc(x[0] / x[1]).astype(x[0].dtype) if ints else x[0] / x[1]
    elif op == "Concat":
        y = np.concatenate(x, axis=a["axis"])
    elif op == "Reshape":
        shape = [d if d != 0 or a.get("allowzero", 0) else x[0].shape[i]
                 for i, d in enumerate(x[1].tolist())]
        y = x[0].reshape(shape)
    elif op == "Flatten":
        ax = a.get("axis", 1)
        y = x[0].reshape(int(np.prod(x[0].shape[:ax])), -1)
    elif op == "Transpose":
        y = np.transpose(x[0], a.get("perm"))
    elif op == "Shape":
        y = np.array(x[0].shape, np.int64)
    elif op == "Gather":
        y = np.take(x[0], x[1], axis=a.get("axis", 0))
    elif op == "Slice":
        axes = x[3].tolist() if len(x) > 3 and x[3] is not None else range(len(x[1]))
        steps = x[4].tolist() if len(x) > 4 and x[4] is not None else [1] * len(x[1])
        sl = [slice(None)] * x[0].ndim
        for s0, e0, ax, st in zip(x[1].tolist(), x[2].tolist(), axes, steps):
            sl[ax] = slice(s0, e0, st)
        y = x[0][tuple(sl)]
    elif op == "Split":
        sizes = x[1].tolist() if len(x) > 1 and x[1] is not None else a.get("split")
        ax = a.get("axis", 0)
        if sizes is None:
            sizes = [x[0].shape[ax] // len(n.output)] * len(n.output)
        return np.split(x[0], np.cumsum(sizes)[:-1], axis=ax)
    elif op == "ReduceMean":
        axes = a.get("axes")
        y = x[0].mean(axis=tuple(axes) if axes else None, keepdims=bool(a.get("keepdims", 1)))
    elif op == "Squeeze":
        axes = x[1].tolist() if len(x) > 1 else a.get("axes")
        y = np.squeeze(x[0], axis=tuple(axes) if axes else None)
    elif op == "Unsqueeze":
        axes = x[1].tolist() if len(x) > 1 else a["axes"]
        y = np.expand_dims(x[0], tuple(axes))
    elif op in ("Identity", "Dropout"):
        y = x[0]
    elif op == "Softmax":
        e = np.exp(x[0] - x[0].max(axis=a.get("axis", -1), keepdims=True))
        y = e / e.sum(axis=a.get("axis", -1), keepdims=True)
    elif op == "Constant":
        y = numpy_helper.to_array(a["value"])
    else:
        raise ValueError(f"node {n.name!r} ({op}): not evaluated by make_qdq.py")
    if isinstance(y, torch.Tensor):
        y = y.numpy()
    y = np.asarray(y)
    return [y.astype(np.float32) if y.dtype == np.float64 else y]


def twin_ranges(model, calib):
    """Min and max of every float tensor computed from the input over calib,
    and the set of those tensors."""
    g = model.graph
    consts = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    inp = [i.name for i in g.input if i.name not in consts][0]
    lo, hi, dyn = {}, {}, {inp}
    for n in g.node:
        if any(i in dyn for i in n.input):
            dyn.update(n.output)
    for img in calib:
        env = dict(consts)
        env[inp] = img[None].astype(np.float32)
        for n in g.node:
            ys = eval_node(n, [env[i] if i else None for i in n.input])
            env.update(zip(n.output, ys))
        for k in dyn:
            v = env[k]
            if v.dtype == np.float32:
                lo[k] = min(lo.get(k, np.inf), float(v.min()))
                hi[k] = max(hi.get(k, -np.inf), float(v.max()))
    return inp, lo, hi


def u8_params(lo, hi):
    """uint8 asymmetric scale and zero point of [lo, hi] widened to 0."""
    lo = np.float32(min(lo, 0.0))
    hi = np.float32(max(hi, 0.0))
    if hi == lo:
        return np.float32(1.0), np.uint8(0)
    scale = np.float32((hi - lo) / np.float32(255))
    return scale, np.uint8(np.clip(np.round(-lo / scale), 0, 255))


def fold_conv_bn(model):
    """model with every BatchNormalization that alone reads a Conv's output
    folded into that Conv (in float64, as fold_bn above), so that the twin
    quantizes the folded convolution as onnxruntime would run it."""
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    prod = {o: n for n in g.node for o in n.output}
    nread = {}
    for n in g.node:
        for i in n.input:
            nread[i] = nread.get(i, 0) + 1
    drop = set()
    for n in g.node:
        c = prod.get(n.input[0]) if n.op_type == "BatchNormalization" else None
        if (c is None or c.op_type != "Conv" or nread[c.output[0]] != 1
                or not all(i in inits for i in list(c.input[1:]) + list(n.input[1:]))):
            continue
        eps = next((a.f for a in n.attribute if a.name == "epsilon"), 1e-5)
        gamma, beta, mean, var = (numpy_helper.to_array(inits[i]).astype(np.float64)
                                  for i in n.input[1:5])
        w = numpy_helper.to_array(inits[c.input[1]]).astype(np.float64)
        b = (numpy_helper.to_array(inits[c.input[2]]).astype(np.float64)
             if len(c.input) > 2 else np.zeros(w.shape[0]))
        inv = gamma / np.sqrt(var + eps)
        wn, bn = f"{c.output[0]}/folded_w", f"{c.output[0]}/folded_b"
        g.initializer.extend([
            numpy_helper.from_array((w * inv[:, None, None, None]).astype(np.float32), wn),
            numpy_helper.from_array(((b - mean) * inv + beta).astype(np.float32), bn)])
        del c.input[1:]
        c.input.extend([wn, bn])
        c.output[0] = n.output[0]
        drop.add(id(n))
    keep = [n for n in g.node if id(n) not in drop]
    del g.node[:]
    g.node.extend(keep)
    return model


def twin(model, calib):
    """The U8S8 QDQ twin of float model (an onnx ModelProto)."""
    g = fold_conv_bn(model).graph
    inp, lo, hi = twin_ranges(model, calib)
    inits = {i.name: i for i in g.initializer}
    users = {}
    for n in g.node:
        for i in n.input:
            users.setdefault(i, []).append(n)
    outs = {o.name for o in g.output}

    # the quantized tensors and their parameters, in graph order
    params = {inp: u8_params(lo[inp], hi[inp])}
    for n in g.node:
        for o in n.output:
            if o not in lo:
                continue
            u = users.get(o, [])
            if (n.op_type in FUSE_INTO and len(u) == 1 and u[0].op_type in FUSE_ACT
                    and o not in outs):
                continue
            if n.op_type in PASS and n.input[0] in params:
                params[o] = params[n.input[0]]
            else:
                params[o] = u8_params(lo[o], hi[o])

    nodes, new_inits, used = [], [], set()

    def const(name, value):
        new_inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def dq(t, tag):
        """A DequantizeLinear of quantized tensor t for one consumer."""
        out = f"{t}/dq{tag}"
        s, z = f"{t}/scale", f"{t}/zero_point"
        nodes.append(helper.make_node("DequantizeLinear", [f"{t}/q", s, z], [out],
                                      name=f"{t}/DequantizeLinear{tag}"))
        return out

    def quantize(t, src):
        s, z = params[t]
        const(f"{t}/scale", np.float32(s))
        const(f"{t}/zero_point", np.uint8(z))
        nodes.append(helper.make_node("QuantizeLinear", [src, f"{t}/scale", f"{t}/zero_point"],
                                      [f"{t}/q"], name=f"{t}/QuantizeLinear"))

    def weights(n, k, s_in, axis):
        """DQ of node n's int8 weight (input k, per channel along axis) and
        int32 bias (input k + 1, if any); the new input names."""
        w = numpy_helper.to_array(inits[n.input[k]]).astype(np.float32)
        wt = np.moveaxis(w, axis, 0)
        amax = np.abs(wt.reshape(wt.shape[0], -1)).max(axis=1)
        s_w = np.where(amax > 0, amax / np.float32(127), np.float32(1)).astype(np.float32)
        shape = [1] * w.ndim
        shape[axis] = -1
        wq = np.clip(np.round(w / s_w.reshape(shape)), -127, 127).astype(np.int8)
        c, name = len(s_w), n.name or n.output[0]
        names = [f"{name}/w"]
        nodes.append(helper.make_node("DequantizeLinear", [
            const(f"{name}/w_quantized", wq), const(f"{name}/w_scale", s_w),
            const(f"{name}/w_zero_point", np.zeros(c, np.int8))], names[:1],
            name=f"{name}/w/DequantizeLinear", axis=axis))
        if len(n.input) > k + 1 and n.input[k + 1] in inits:
            b = numpy_helper.to_array(inits[n.input[k + 1]]).astype(np.float64)
            s_b = (np.float32(s_in) * s_w).astype(np.float32)
            bq = np.clip(np.round(b / s_b.astype(np.float64)), -2**31, 2**31 - 1)
            names.append(f"{name}/b")
            nodes.append(helper.make_node("DequantizeLinear", [
                const(f"{name}/b_quantized", bq.astype(np.int32)), const(f"{name}/b_scale", s_b),
                const(f"{name}/b_zero_point", np.zeros(c, np.int32))], names[1:],
                name=f"{name}/b/DequantizeLinear", axis=0))
        return names

    quantize(inp, inp)
    for j, n in enumerate(g.node):
        ins = list(n.input)
        for k, i in enumerate(ins):
            if i in params:
                ins[k] = dq(i, f"{j}.{k}")
        q_in = n.input[0] in params if n.input else False
        if n.op_type == "Conv" and q_in and n.input[1] in inits:
            ins[1:] = weights(n, 1, params[n.input[0]][0], 0)
        elif n.op_type == "Gemm" and q_in and n.input[1] in inits:
            transb = any(a.name == "transB" and a.i for a in n.attribute)
            ins[1:] = weights(n, 1, params[n.input[0]][0], 0 if transb else 1)
        used.update(ins)
        # a quantized graph output: the float node writes NAME/float, the
        # last DequantizeLinear writes NAME
        o = [f"{t}/float" if t in outs and t in params else t for t in n.output]
        nodes.append(helper.make_node(n.op_type, ins, o, name=n.name, domain=n.domain))
        nodes[-1].attribute.extend(n.attribute)
        for t, src in zip(n.output, o):
            if t in params:
                quantize(t, src)
                if t in outs:
                    s, z = f"{t}/scale", f"{t}/zero_point"
                    nodes.append(helper.make_node("DequantizeLinear", [f"{t}/q", s, z], [t],
                                                  name=f"{t}/DequantizeLinear"))
    keep = [i for i in g.initializer if i.name in used]
    graph = helper.make_graph(nodes, f"{g.name}_qdq", list(g.input), list(g.output),
                              keep + new_inits)
    m = helper.make_model(graph, opset_imports=list(model.opset_import),
                          producer_name="quantc tests/e2e/make_qdq.py --onnx")
    m.ir_version = 7
    onnx.checker.check_model(m)
    return m


def main_onnx(src, calib_path, out):
    model = onnx.load(src)
    calib = np.load(calib_path)
    m = twin(model, calib)
    onnx.save(m, out)
    q = sum(n.op_type == "QuantizeLinear" for n in m.graph.node)
    print(f"{out}: {len(m.graph.node)} nodes, {q} quantized tensors, {os.path.getsize(out)} bytes")


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--onnx":
        return main_onnx(*sys.argv[2:])
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
