#!/usr/bin/python3
# make_tflite_cases.py — writes the small .tflite files of tests/e2e/tflite/
# for tests/e2e/tflite_import.sh, with python3-flatbuffers' Builder from the
# field order of TFLite's schema (version 3):
#   bad_NAME.tflite  one per kind of refusal of quantc's TFLite importer
#                    (docs/tflite.md, "What is refused"), with bad_NAME.err:
#                    the messages (substrings, one per line) quantc prints;
#   op_NAME.tflite   one or two operators, int8 (op_NAME_q) and float
#                    (op_NAME_f), for every operator the importer maps that
#                    the MLPerf Tiny models do not use, and the layout paths
#                    (an operator after a convolution works in NCHW).
# The weights and quantization parameters are drawn from a fixed seed.
#   usage: make_tflite_cases.py [DIR]   (default: the tflite/ folder beside it)
import os
import sys

import flatbuffers
import numpy as np

FLOAT32, FLOAT16, INT32, INT16, INT8 = 0, 1, 2, 7, 9
# BuiltinOperator
ADD, AVG, CONCAT, CONV, DW, DEQ, FC, LOGISTIC, MAXP, MUL = 0, 1, 2, 3, 4, 6, 9, 14, 17, 18
RELU, RELU_N1, RELU6, RESHAPE, SOFTMAX, TANH, PAD, MEAN, SUB, SQUEEZE = 19, 20, 21, 22, 25, 28, 34, 40, 41, 43
LEAKY, QUANT, HSWISH, LSTM = 97, 114, 117, 16
# BuiltinOptions
O_CONV, O_DW, O_POOL, O_FC, O_SOFTMAX, O_CONCAT, O_ADD = 1, 2, 5, 8, 9, 10, 11
O_RESHAPE, O_MUL, O_PAD, O_REDUCER, O_SUB, O_SQUEEZE, O_LEAKY = 17, 21, 22, 27, 28, 30, 75
# ActivationFunctionType, Padding
A_NONE, A_RELU, A_N1, A_RELU6, A_TANH = 0, 1, 2, 3, 4
SAME, VALID = 0, 1


class Graph:
    """One subgraph: tensors (with data and quantization), operators."""

    def __init__(self):
        self.tensors, self.buffers, self.ops, self.codes = [], [b""], [], []
        self.inputs, self.outputs = [], []

    def t(self, name, shape, ttype=FLOAT32, data=None, q=None, **flags):
        """q: (scales, zero points, quantized dimension)."""
        buf = 0
        if data is not None:
            self.buffers.append(np.ascontiguousarray(data).tobytes())
            buf = len(self.buffers) - 1
        self.tensors.append((name, list(shape), ttype, buf, q, flags))
        return len(self.tensors) - 1

    def op(self, code, ins, outs, opt_type=0, fields=None):
        """fields: (slot, kind, value), kind b (int8), i (int32), f (float),
        v (vector of int32)."""
        if code not in self.codes:
            self.codes.append(code)
        self.ops.append((self.codes.index(code), ins, outs, opt_type, fields))


def vec_int32(b, xs):
    b.StartVector(4, len(xs), 4)
    for x in reversed(xs):
        b.PrependInt32(int(x))
    return b.EndVector()


def vec_tables(b, xs):
    b.StartVector(4, len(xs), 4)
    for x in reversed(xs):
        b.PrependUOffsetTRelative(x)
    return b.EndVector()


def build_tensor(b, name, shape, ttype, buf, q, flags):
    n = b.CreateString(name)
    s = vec_int32(b, shape)
    qt = sp = None
    if q is not None:
        sc = b.CreateNumpyVector(np.asarray(q[0], np.float32))
        zp = b.CreateNumpyVector(np.asarray(q[1], np.int64))
        b.StartObject(7)  # QuantizationParameters
        b.PrependUOffsetTRelativeSlot(2, sc, 0)
        b.PrependUOffsetTRelativeSlot(3, zp, 0)
        b.PrependInt32Slot(6, q[2], 0)
        qt = b.EndObject()
    if flags.get("sparse"):
        order = vec_int32(b, list(range(len(shape))))
        b.StartObject(3)  # SparsityParameters
        b.PrependUOffsetTRelativeSlot(0, order, 0)
        sp = b.EndObject()
    b.StartObject(8)  # Tensor
    b.PrependUOffsetTRelativeSlot(0, s, 0)
    b.PrependInt8Slot(1, ttype, 0)
    b.PrependUint32Slot(2, buf, 0)
    b.PrependUOffsetTRelativeSlot(3, n, 0)
    if qt is not None:
        b.PrependUOffsetTRelativeSlot(4, qt, 0)
    if flags.get("variable"):
        b.PrependBoolSlot(5, True, False)
    if sp is not None:
        b.PrependUOffsetTRelativeSlot(6, sp, 0)
    return b.EndObject()


def build_op(b, opc, ins, outs, opt_type, fields):
    opt = None
    if fields is not None:
        vecs = {slot: vec_int32(b, v) for slot, kind, v in fields if kind == "v"}
        b.StartObject(8)
        for slot, kind, v in fields:
            if kind == "b":
                b.PrependInt8Slot(slot, v, -1)  # -1: never the default, always written
            elif kind == "i":
                b.PrependInt32Slot(slot, v, -12345)
            elif kind == "f":
                b.PrependFloat32Slot(slot, v, -12345.0)
            else:
                b.PrependUOffsetTRelativeSlot(slot, vecs[slot], 0)
        opt = b.EndObject()
    i = vec_int32(b, ins)
    o = vec_int32(b, outs)
    b.StartObject(9)  # Operator
    b.PrependUint32Slot(0, opc, 0)
    b.PrependUOffsetTRelativeSlot(1, i, 0)
    b.PrependUOffsetTRelativeSlot(2, o, 0)
    if opt is not None:
        b.PrependUint8Slot(3, opt_type, 0)
        b.PrependUOffsetTRelativeSlot(4, opt, 0)
    return b.EndObject()


def build_subgraph(b, g):
    ts = [build_tensor(b, *t) for t in g.tensors]
    os_ = [build_op(b, *o) for o in g.ops]
    tv, ov = vec_tables(b, ts), vec_tables(b, os_)
    iv, outv = vec_int32(b, g.inputs), vec_int32(b, g.outputs)
    name = b.CreateString("main")
    b.StartObject(5)  # SubGraph
    b.PrependUOffsetTRelativeSlot(0, tv, 0)
    b.PrependUOffsetTRelativeSlot(1, iv, 0)
    b.PrependUOffsetTRelativeSlot(2, outv, 0)
    b.PrependUOffsetTRelativeSlot(3, ov, 0)
    b.PrependUOffsetTRelativeSlot(4, name, 0)
    return b.EndObject()


def model(graphs):
    """The model of one or more subgraphs (opcodes and buffers from the first)."""
    g0 = graphs[0]
    b = flatbuffers.Builder(1024)
    bufs = []
    for data in g0.buffers:
        d = b.CreateByteVector(data) if data else None
        b.StartObject(3)  # Buffer
        if d is not None:
            b.PrependUOffsetTRelativeSlot(0, d, 0)
        bufs.append(b.EndObject())
    sgs = [build_subgraph(b, g) for g in graphs]
    ocs = []
    for c in g0.codes:
        b.StartObject(4)  # OperatorCode
        b.PrependInt8Slot(0, min(c, 127), 0)
        b.PrependInt32Slot(2, 1, 1)
        b.PrependInt32Slot(3, c, 0)
        ocs.append(b.EndObject())
    ocv, sgv, bv = vec_tables(b, ocs), vec_tables(b, sgs), vec_tables(b, bufs)
    desc = b.CreateString("quantc test case")
    b.StartObject(5)  # Model
    b.PrependUint32Slot(0, 3, 0)
    b.PrependUOffsetTRelativeSlot(1, ocv, 0)
    b.PrependUOffsetTRelativeSlot(2, sgv, 0)
    b.PrependUOffsetTRelativeSlot(3, desc, 0)
    b.PrependUOffsetTRelativeSlot(4, bv, 0)
    b.Finish(b.EndObject(), file_identifier=b"TFL3")
    return bytes(b.Output())


# ---- refusals ---------------------------------------------------------------


def unary(code=RELU, xflags=None, yflags=None, ttype=FLOAT32, opt=(0, None)):
    g = Graph()
    x = g.t("x", [1, 4], ttype, **(xflags or {}))
    y = g.t("y", [1, 4], ttype, **(yflags or {}))
    g.op(code, [x], [y], *opt)
    g.inputs, g.outputs = [x], [y]
    return g


def binary_tanh():
    g = Graph()
    a, c, y = g.t("a", [1, 4]), g.t("b", [1, 4]), g.t("y", [1, 4])
    g.op(ADD, [a, c], [y], O_ADD, [(0, "b", A_TANH)])
    g.inputs, g.outputs = [a, c], [y]
    return g


def all_at_once():
    g = Graph()
    x, h, a, y = g.t("x", [1, 4]), g.t("h", [1, 4]), g.t("a", [1, 4]), g.t("y", [1, 4])
    g.op(LSTM, [x], [h])
    g.op(ADD, [h, h], [a], O_ADD, [(0, "b", A_TANH)])
    g.op(SOFTMAX, [a], [y], O_SOFTMAX, [(0, "f", 0.0)])
    g.inputs, g.outputs = [x], [y]
    return g


BAD = {
    "two_subgraphs": ([unary(), unary()], ["the model has 2 subgraphs"]),
    "variable_tensor": ([unary(yflags={"variable": True})],
                        ["tensor 1 ('y') is a variable tensor"]),
    "sparse_tensor": ([unary(yflags={"sparse": True})], ["tensor 1 ('y') is sparse"]),
    "float16_tensor": ([unary(ttype=FLOAT16)],
                       ["tensor 0 ('x') is float16", "tensor 1 ('y') is float16"]),
    "int16_tensor": ([unary(ttype=INT16)],
                     ["tensor 0 ('x') is int16: 16x8 quantized models are not supported"]),
    "lstm_operator": ([unary(LSTM)],
                      ["operator 0 (LSTM, output 'y'): LSTM (builtin code 16) is not supported"]),
    "add_tanh": ([binary_tanh()],
                 ["operator 0 (ADD, output 'y'): the fused activation TANH is not supported"]),
    "softmax_beta": ([unary(SOFTMAX, opt=(O_SOFTMAX, [(0, "f", -0.5)]))],
                     ["operator 0 (SOFTMAX, output 'y'): beta -0.5 is not a positive finite number"]),
    "all_at_once": ([all_at_once()],
                    ["operator 0 (LSTM, output 'h'): LSTM (builtin code 16) is not supported",
                     "operator 1 (ADD, output 'a'): the fused activation TANH is not supported",
                     "operator 2 (SOFTMAX, output 'y'): beta 0 is not a positive finite number"]),
}

# ---- operators ----------------------------------------------------------------


class Case:
    """Builds one model twice: float (q False) and int8 (q True).  Activation
    tensors get a scale and zero point each (drawn), weights per channel."""

    def __init__(self, q, seed):
        self.g, self.q = Graph(), q
        self.rng = np.random.default_rng(seed)

    def act(self, name, shape, s=None, z=None):
        if not self.q:
            return self.g.t(name, shape)
        s = s if s is not None else float(self.rng.uniform(0.02, 0.08))
        z = z if z is not None else int(self.rng.integers(-20, 20))
        return self.g.t(name, shape, INT8, q=([s], [z], 0))

    def params(self, t):
        q = self.g.tensors[t][4]
        return q[0][0], q[1][0]

    def weights(self, name, shape, qdim, xt, per_tensor=False):
        """Weights of shape (channels along qdim, or per tensor) and a bias."""
        w = self.rng.normal(0, 0.3, shape).astype(np.float32)
        n = shape[qdim]
        bias = self.rng.normal(0, 0.2, n).astype(np.float32)
        if not self.q:
            return (self.g.t(name + "/w", shape, FLOAT32, w),
                    self.g.t(name + "/b", [n], FLOAT32, bias))
        axes = tuple(k for k in range(len(shape)) if k != qdim)
        sw = np.maximum(np.abs(w).max(axis=axes), 1e-3) / 127
        if per_tensor:
            sw[:] = sw.max()
        bshape = [1] * len(shape)
        bshape[qdim] = n
        wq = np.clip(np.round(w / sw.reshape(bshape)), -127, 127).astype(np.int8)
        sx, _ = self.params(xt)
        sb = (sx * sw).astype(np.float32)
        bq = np.round(bias / sb).astype(np.int32)
        wqp = ([sw[0]], [0], 0) if per_tensor else (sw, [0] * n, qdim)
        return (self.g.t(name + "/w", shape, INT8, wq, wqp),
                self.g.t(name + "/b", [n], INT32, bq, (sb, [0] * n, 0)))

    def const(self, name, shape):
        v = self.rng.normal(0, 0.5, shape).astype(np.float32)
        if not self.q:
            return self.g.t(name, shape, FLOAT32, v)
        s = float(np.abs(v).max() / 100)
        return self.g.t(name, shape, INT8, np.round(v / s).astype(np.int8), ([s], [0], 0))

    def conv1x1(self, x, c_in, c_out, shape, name="c", zp=None):
        w, b = self.weights(name, [c_out, 1, 1, c_in], 0, x)
        y = self.act(name + "/out", shape[:3] + [c_out], None, zp)
        self.g.op(CONV, [x, w, b], [y], O_CONV,
                  [(0, "b", SAME), (1, "i", 1), (2, "i", 1), (3, "b", A_NONE)])
        return y


def op_cases():
    """name -> function(case): builds the case's graph."""
    cases = {}

    def case(fn):
        cases[fn.__name__] = fn
        return fn

    @case
    def conv_same_s2(c):
        x = c.act("x", [1, 7, 9, 3])
        w, b = c.weights("conv", [4, 3, 3, 3], 0, x)
        y = c.act("y", [1, 4, 5, 4])
        c.g.op(CONV, [x, w, b], [y], O_CONV,
               [(0, "b", SAME), (1, "i", 2), (2, "i", 2), (3, "b", A_RELU6)])
        return [x], [y]

    @case
    def conv_valid_dilated(c):
        x = c.act("x", [1, 9, 8, 2])
        w, b = c.weights("conv", [3, 3, 3, 2], 0, x)
        y = c.act("y", [1, 5, 4, 3], 1.0 / 128, 0)
        c.g.op(CONV, [x, w, b], [y], O_CONV,
               [(0, "b", VALID), (1, "i", 1), (2, "i", 1), (3, "b", A_RELU6), (4, "i", 2),
                (5, "i", 2)])
        return [x], [y]

    @case
    def depthwise_mult2(c):
        x = c.act("x", [1, 6, 5, 3])
        w, b = c.weights("dw", [1, 3, 3, 6], 3, x)
        y = c.act("y", [1, 3, 3, 6])
        c.g.op(DW, [x, w, b], [y], O_DW,
               [(0, "b", SAME), (1, "i", 2), (2, "i", 2), (3, "i", 2), (4, "b", A_RELU)])
        return [x], [y]

    @case
    def fc_keep_dims(c):
        x = c.act("x", [1, 2, 3, 4])
        w, b = c.weights("fc", [5, 4], 0, x, True)
        y = c.act("y", [1, 2, 3, 5])
        c.g.op(FC, [x, w, b], [y], O_FC, [(0, "b", A_RELU), (2, "b", 1)])
        return [x], [y]

    @case
    def fc_flatten(c):
        x = c.act("x", [1, 3, 2, 4])
        h = c.conv1x1(x, 4, 4, [1, 3, 2])
        w, b = c.weights("fc", [6, 24], 0, h, True)
        y = c.act("y", [1, 6])
        c.g.op(FC, [h, w, b], [y], O_FC, [(0, "b", A_NONE), (2, "b", 0)])
        return [x], [y]

    @case
    def avgpool_same(c):
        x = c.act("x", [1, 5, 7, 2])
        y = c.act("y", [1, 3, 4, 2], *c.params(x)) if c.q else c.act("y", [1, 3, 4, 2])
        c.g.op(AVG, [x], [y], O_POOL,
               [(0, "b", SAME), (1, "i", 2), (2, "i", 2), (3, "i", 3), (4, "i", 3), (5, "b", A_NONE)])
        return [x], [y]

    @case
    def maxpool_relu(c):
        x = c.act("x", [1, 6, 6, 2])
        y = c.act("y", [1, 3, 3, 2], *c.params(x)) if c.q else c.act("y", [1, 3, 3, 2])
        c.g.op(MAXP, [x], [y], O_POOL,
               [(0, "b", VALID), (1, "i", 2), (2, "i", 2), (3, "i", 2), (4, "i", 2), (5, "b", A_RELU)])
        return [x], [y]

    @case
    def add_const_nchw(c):
        x = c.act("x", [1, 4, 3, 2])
        h = c.conv1x1(x, 2, 4, [1, 4, 3])
        k = c.const("k", [4])
        y = c.act("y", [1, 4, 3, 4])
        c.g.op(ADD, [h, k], [y], O_ADD, [(0, "b", A_RELU)])
        return [x], [y]

    @case
    def add_const(c):
        x = c.act("x", [1, 4, 3, 2])
        k = c.const("k", [3, 2])
        y = c.act("y", [1, 4, 3, 2])
        c.g.op(ADD, [x, k], [y], O_ADD, [(0, "b", A_NONE)])
        return [x], [y]

    @case
    def mul_mixed(c):
        x = c.act("x", [1, 3, 4, 2])
        h = c.conv1x1(x, 2, 2, [1, 3, 4])
        y = c.act("y", [1, 3, 4, 2])
        c.g.op(MUL, [h, x], [y], O_MUL, [(0, "b", A_NONE)])
        return [x], [y]

    @case
    def sub_broadcast(c):
        x = c.act("x", [1, 3, 4])
        k = c.const("k", [3, 1])
        y = c.act("y", [1, 3, 4])
        c.g.op(SUB, [x, k], [y], O_SUB, [(0, "b", A_RELU)])
        return [x], [y]

    @case
    def reshape_squeeze(c):
        x = c.act("x", [1, 2, 3, 4])
        h = c.conv1x1(x, 4, 4, [1, 2, 3])
        r = c.act("r", [1, 1, 24], *c.params(h)) if c.q else c.act("r", [1, 1, 24])
        c.g.op(RESHAPE, [h], [r], O_RESHAPE, [(0, "v", [1, 1, -1])])
        y = c.act("y", [24], *c.params(h)) if c.q else c.act("y", [24])
        c.g.op(SQUEEZE, [r], [y], O_SQUEEZE, [(0, "v", [0, 1])])
        return [x], [y]

    @case
    def softmax_nchw(c):
        x = c.act("x", [1, 2, 3, 4])
        h = c.conv1x1(x, 4, 5, [1, 2, 3])
        y = c.act("y", [1, 2, 3, 5], 1.0 / 256, -128)
        c.g.op(SOFTMAX, [h], [y], O_SOFTMAX, [(0, "f", 1.0)])
        return [x], [y]

    @case
    def softmax_beta(c):
        x = c.act("x", [1, 10])
        y = c.act("y", [1, 10], 1.0 / 256, -128)
        c.g.op(SOFTMAX, [x], [y], O_SOFTMAX, [(0, "f", 0.5)])
        return [x], [y]

    def unary_case(code, s=None, z=None, opt=(0, None)):
        def f(c):
            x = c.act("x", [1, 8, 3])
            y = c.act("y", [1, 8, 3], s, z)
            c.g.op(code, [x], [y], *opt)
            return [x], [y]
        return f

    cases["logistic"] = unary_case(LOGISTIC, 1.0 / 256, -128)
    cases["tanh"] = unary_case(TANH, 1.0 / 128, 0)
    cases["hard_swish"] = unary_case(HSWISH)
    cases["leaky_relu"] = unary_case(LEAKY, opt=(O_LEAKY, [(0, "f", 0.2)]))
    cases["relu_requant"] = unary_case(RELU)
    cases["relu6"] = unary_case(RELU6)
    cases["relu_n1_to_1"] = unary_case(RELU_N1)

    @case
    def pad_nchw(c):
        x = c.act("x", [1, 3, 2, 2])
        # zero point 0: ArmNN 20.08 pads int8 with 0, TFLite (and quantc)
        # with the zero point
        h = c.conv1x1(x, 2, 3, [1, 3, 2], zp=0)
        p = c.g.t("paddings", [4, 2], INT32, np.array([[0, 0], [1, 2], [0, 1], [0, 0]], np.int32))
        y = c.act("y", [1, 6, 3, 3], *c.params(h)) if c.q else c.act("y", [1, 6, 3, 3])
        c.g.op(PAD, [h, p], [y], O_PAD, [])
        return [x], [y]

    @case
    def mean_hw(c):
        x = c.act("x", [1, 4, 5, 3])
        h = c.conv1x1(x, 3, 4, [1, 4, 5])
        ax = c.g.t("axes", [2], INT32, np.array([1, 2], np.int32))
        y = c.act("y", [1, 4])
        c.g.op(MEAN, [h, ax], [y], O_REDUCER, [(0, "b", 0)])
        return [x], [y]

    @case
    def mean_keep_c(c):
        x = c.act("x", [1, 4, 5, 3])
        h = c.conv1x1(x, 3, 4, [1, 4, 5])
        ax = c.g.t("axes", [1], INT32, np.array([3], np.int32))
        y = c.act("y", [1, 4, 5, 1])
        c.g.op(MEAN, [h, ax], [y], O_REDUCER, [(0, "b", 1)])
        return [x], [y]

    @case
    def concat_channels(c):
        x = c.act("x", [1, 3, 3, 2])
        a = c.conv1x1(x, 2, 3, [1, 3, 3], "a")
        b = c.conv1x1(x, 2, 2, [1, 3, 3], "b")
        y = c.act("y", [1, 3, 3, 5])
        c.g.op(CONCAT, [a, b], [y], O_CONCAT, [(0, "i", 3), (1, "b", A_NONE)])
        return [x], [y]

    return cases



def quantize_cases():
    """int8 only: a requantizing QUANTIZE; float in, QUANTIZE, RELU, DEQUANTIZE."""
    g = Graph()
    x = g.t("x", [1, 8, 3], INT8, q=([0.05], [3], 0))
    y = g.t("y", [1, 8, 3], INT8, q=([0.03], [-7], 0))
    g.op(QUANT, [x], [y])
    g.inputs, g.outputs = [x], [y]
    h = Graph()
    x = h.t("x", [1, 8, 3])
    q = h.t("xq", [1, 8, 3], INT8, q=([0.04], [-2], 0))
    r = h.t("r", [1, 8, 3], INT8, q=([0.04], [-2], 0))
    y = h.t("y", [1, 8, 3])
    h.op(QUANT, [x], [q])
    h.op(RELU, [q], [r])
    h.op(DEQ, [r], [y])
    h.inputs, h.outputs = [x], [y]
    return {"quantize_requant_q": g, "quantize_dequantize_q": h}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "tflite")
    os.makedirs(out, exist_ok=True)
    for name, (graphs, errs) in sorted(BAD.items()):
        data = model(graphs)
        with open(os.path.join(out, "bad_%s.tflite" % name), "wb") as f:
            f.write(data)
        with open(os.path.join(out, "bad_%s.err" % name), "w") as f:
            f.write("".join(e + "\n" for e in errs))
    seed = 0
    models = dict(quantize_cases())
    for name, fn in sorted(op_cases().items()):
        for q in (False, True):
            seed += 1
            c = Case(q, seed)
            c.g.inputs, c.g.outputs = fn(c)
            models["%s_%s" % (name, "q" if q else "f")] = c.g
    for name, g in sorted(models.items()):
        with open(os.path.join(out, "op_%s.tflite" % name), "wb") as f:
            f.write(model([g]))
    print("%d refusal cases, %d operator cases in %s" % (len(BAD), len(models), out))


if __name__ == "__main__":
    main()
