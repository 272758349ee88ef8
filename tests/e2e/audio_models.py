# audio_models.py OUT [--m5] [--T N] — the models of tests/e2e/audio.sh, with fixed seeds:
#   OUT/NAME_opV.onnx   keyword-spotting-style models exported by PyTorch at
#                       opset V (11, 13): kws_gru (nn.GRU, batch_first, one
#                       layer, bidirectional, both last hidden states ->
#                       Linear), kws_lstm (nn.LSTM, batch_first, one layer,
#                       the last hidden state -> Linear), and
#                       with --m5 the M5-style 1-D CNN on a raw waveform
#                       (Conv1d with stride, BatchNorm1d, ReLU, MaxPool1d,
#                       an average pooling over time, Linear); random weights
#                       (input [1, T, 10], T = 8 unless --T; H = 16)
#   OUT/NAME.calib.npy  50 random inputs (calibration), OUT/NAME.x.npy 20 more
#   OUT/cases/C.onnx    single RNN / GRU / LSTM nodes built with onnx.helper,
#                       one per attribute combination the importer handles
#                       (directions, layouts, linear_before_reset, biases,
#                       initial states, batch 2, outputs Y / Y_h / Y_c), the
#                       graph input [1, ...] reshaped to the node's X, every
#                       node output a graph output; OUT/cases/C.x.npy one input;
#                       for layout 1 (which onnxruntime's CPU kernels refuse)
#                       OUT/cases/C.ref.onnx, the same node in layout 0
#                       between transposes: the reference
#   OUT/bad/C.onnx      nodes the importer must refuse, C.err the message part
#   OUT/kws_gru_t2.onnx with --T2 N: kws_gru at T = N (opset 13), and
#                       OUT/kws_gru_t2.calib.npy: the recurrent weights are
#                       shared by the steps, so its constants match T's
#   OUT/fold/C.onnx     a Conv1d or a MatMul of rank 3 followed by a
#                       BatchNormalization or a bias Add, then Relu or
#                       Clip(0, 6), built with onnx.helper (the exporter
#                       folds BatchNorm itself); OUT/fold/C.x.npy 4 inputs
import os
import warnings
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

warnings.filterwarnings("ignore")  # the exporter's advice on batch sizes

out = sys.argv[1]
with_m5 = "--m5" in sys.argv
T = int(sys.argv[sys.argv.index("--T") + 1]) if "--T" in sys.argv else 8
T2 = int(sys.argv[sys.argv.index("--T2") + 1]) if "--T2" in sys.argv else 0
os.makedirs(out + "/cases", exist_ok=True)
os.makedirs(out + "/bad", exist_ok=True)
torch.manual_seed(0)
rng = np.random.default_rng(0)

F, H, K = 10, 16, 6  # MFCC features, hidden size, keywords


class KwsGru(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = torch.nn.GRU(F, H, num_layers=1, batch_first=True, bidirectional=True)
        self.fc = torch.nn.Linear(2 * H, K)

    def forward(self, x):
        _, h = self.rnn(x)
        return self.fc(h.transpose(0, 1).reshape(1, 2 * H))


class KwsLstm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = torch.nn.LSTM(F, H, num_layers=1, batch_first=True)
        self.fc = torch.nn.Linear(H, K)

    def forward(self, x):
        _, (h, _) = self.rnn(x)
        return self.fc(h.squeeze(0))


class M5(torch.nn.Module):
    def __init__(self):
        super().__init__()
        n = 16
        self.c1 = torch.nn.Conv1d(1, n, kernel_size=40, stride=8)
        self.b1 = torch.nn.BatchNorm1d(n)
        self.p1 = torch.nn.MaxPool1d(4)
        self.c2 = torch.nn.Conv1d(n, n, kernel_size=3)
        self.b2 = torch.nn.BatchNorm1d(n)
        self.p2 = torch.nn.MaxPool1d(4)
        self.c3 = torch.nn.Conv1d(n, 2 * n, kernel_size=3)
        self.b3 = torch.nn.BatchNorm1d(2 * n)
        # the mean over time: an AveragePool over the whole length (2000
        # samples: 246 after c1, 61, 59, 14, 12 after c3)
        self.avg = torch.nn.AvgPool1d(12)
        self.fc = torch.nn.Linear(2 * n, K)

    def forward(self, x):
        x = self.p1(torch.relu(self.b1(self.c1(x))))
        x = self.p2(torch.relu(self.b2(self.c2(x))))
        x = torch.relu(self.b3(self.c3(x)))
        return self.fc(self.avg(x).flatten(1))


def randomize_bn(m):
    # eval-mode BatchNorm with non-trivial statistics
    for b in m.modules():
        if isinstance(b, torch.nn.BatchNorm1d):
            b.running_mean.uniform_(-0.2, 0.2)
            b.running_var.uniform_(0.5, 1.5)
            b.weight.data.uniform_(0.5, 1.5)
            b.bias.data.uniform_(-0.2, 0.2)


models = [("kws_gru", KwsGru(), (1, T, F)), ("kws_lstm", KwsLstm(), (1, T, F))]
if with_m5:
    models.append(("m5", M5(), (1, 1, 2000)))
for name, m, shape in models:
    randomize_bn(m)
    m.eval()
    x = rng.standard_normal((70,) + shape[1:]).astype(np.float32)
    np.save(f"{out}/{name}.calib.npy", x[:50])
    np.save(f"{out}/{name}.x.npy", x[50:])
    for opset in (11, 13):
        torch.onnx.export(m, torch.zeros(shape), f"{out}/{name}_op{opset}.onnx",
                          input_names=["x"], output_names=["y"], opset_version=opset)

rng2 = np.random.default_rng(1)  # its own: the node cases' weights stay as they were
if T2:
    m = models[0][1]
    torch.onnx.export(m, torch.zeros((1, T2, F)), f"{out}/kws_gru_t2.onnx",
                      input_names=["x"], output_names=["y"], opset_version=13)
    np.save(f"{out}/kws_gru_t2.calib.npy", rng2.standard_normal((50, T2, F)).astype(np.float32))

# ---- fusion through the reshapes of Conv1d and MatMul ----------------------

os.makedirs(out + "/fold", exist_ok=True)


def fold_model(name, nodes, inits, xs, ys):
    def u(*s, lo=-0.5, hi=0.5):
        return rng2.uniform(lo, hi, s).astype(np.float32)
    arrays = {k: (u(*v) if isinstance(v, tuple) else v) for k, v in inits.items()}
    gr = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, xs)],
                           [helper.make_tensor_value_info("y", TensorProto.FLOAT, ys)],
                           [numpy_helper.from_array(a, k) for k, a in arrays.items()])
    mdl = helper.make_model(gr, opset_imports=[helper.make_opsetid("", 13)])
    mdl.ir_version = 7
    onnx.save(mdl, f"{out}/fold/{name}.onnx")
    np.save(f"{out}/fold/{name}.x.npy", rng2.standard_normal([4] + xs[1:]).astype(np.float32))


mk = helper.make_node
fold_model("conv1d_bn_relu", [mk("Conv", ["x", "w"], ["c"], kernel_shape=[3]),
                              mk("BatchNormalization", ["c", "s", "b", "m", "v"], ["n"]),
                              mk("Relu", ["n"], ["y"])],
           dict(w=(8, 4, 3), s=rng2.uniform(0.5, 1.5, 8).astype(np.float32), b=(8,), m=(8,),
                v=rng2.uniform(0.5, 1.5, 8).astype(np.float32)), [1, 4, 20], [1, 8, 18])
fold_model("conv1d_add_relu6", [mk("Conv", ["x", "w"], ["c"], kernel_shape=[3]),
                                mk("Add", ["c", "b"], ["n"]), mk("Clip", ["n", "lo", "hi"], ["y"])],
           dict(w=(8, 4, 3), b=(1, 8, 1), lo=np.array(0, np.float32), hi=np.array(6, np.float32)),
           [1, 4, 20], [1, 8, 18])
fold_model("matmul3_add_relu", [mk("MatMul", ["x", "w"], ["c"]), mk("Add", ["c", "b"], ["n"]),
                                mk("Relu", ["n"], ["y"])],
           dict(w=(6, 5), b=(5,)), [1, 7, 6], [1, 7, 5])

# ---- single nodes ------------------------------------------------------------

GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}


def node_model(path, op, t=5, b=1, i=3, h=4, direction="forward", layout=0, bias=True,
               init_h=False, init_c=False, outputs=(0, 1, 2), attrs=None, extra=None):
    seed = rng.integers(1 << 30)
    x = node_graph(path, op, t, b, i, h, direction, layout, bias, init_h, init_c, outputs,
                   attrs, extra, np.random.default_rng(seed), False)
    np.save(path[:-5] + ".x.npy", x)
    if layout:
        node_graph(path[:-5] + ".ref.onnx", op, t, b, i, h, direction, layout, bias, init_h,
                   init_c, outputs, attrs, extra, np.random.default_rng(seed), True)


def node_graph(path, op, t, b, i, h, direction, layout, bias, init_h, init_c, outputs, attrs,
               extra, rng, twin):
    # twin: a layout-1 node as layout 0 between transposes (the same weights)
    nd = 2 if direction == "bidirectional" else 1
    g = GATES[op]
    inits = [numpy_helper.from_array(rng.uniform(-0.6, 0.6, (nd, g * h, i)).astype(np.float32), "W"),
             numpy_helper.from_array(rng.uniform(-0.6, 0.6, (nd, g * h, h)).astype(np.float32), "R")]
    ins = ["xr", "W", "R"]
    if bias:
        inits.append(numpy_helper.from_array(rng.uniform(-0.3, 0.3, (nd, 2 * g * h)).astype(np.float32), "B"))
    ins.append("B" if bias else "")
    ins.append("")  # sequence_lens
    st = [b, nd, h] if layout else [nd, b, h]
    pre = []  # on = "rt": the state computed from X, a run-time tensor
    for k, on in ((5, init_h), (6, init_c)):
        if k == 6 and op != "LSTM":
            break
        nm = "h0" if k == 5 else "c0"
        if on == "rt":
            # X's first nd steps times a constant [I, H] (layout 1: axis 1)
            inits += [numpy_helper.from_array(rng.uniform(-0.5, 0.5, (i, h)).astype(np.float32), nm + "_m"),
                      numpy_helper.from_array(np.array([0], np.int64), nm + "_s"),
                      numpy_helper.from_array(np.array([nd], np.int64), nm + "_e"),
                      numpy_helper.from_array(np.array([layout], np.int64), nm + "_a"),
                      numpy_helper.from_array(np.array([nd * b, i], np.int64), nm + "_2"),
                      numpy_helper.from_array(np.array(st, np.int64), nm + "_3")]
            pre += [helper.make_node("Slice", ["xr", nm + "_s", nm + "_e", nm + "_a"], [nm + "_x"]),
                    helper.make_node("Reshape", [nm + "_x", nm + "_2"], [nm + "_r"]),
                    helper.make_node("MatMul", [nm + "_r", nm + "_m"], [nm + "_p"]),
                    helper.make_node("Reshape", [nm + "_p", nm + "_3"], [nm + "_l" if twin else nm])]
            if twin:
                pre.append(helper.make_node("Transpose", [nm + "_l"], [nm], perm=[1, 0, 2]))
            ins.append(nm)
        elif on:
            inits.append(numpy_helper.from_array(rng.uniform(-0.5, 0.5, st).astype(np.float32), nm))
            ins.append(nm)
        else:
            ins.append("")
    while ins and ins[-1] == "":
        ins.pop()
    xshape = [b, t, i] if layout else [t, b, i]
    inits.append(numpy_helper.from_array(np.array(xshape, np.int64), "xshape"))
    if twin:
        for k, nm in ((5, "h0"), (6, "c0")):
            if nm in ins and not pre:
                src = [x for x in inits if x.name == nm][0]
                inits.remove(src)
                inits.append(numpy_helper.from_array(
                    numpy_helper.to_array(src).transpose(1, 0, 2).copy(), nm))
    names = ["Y", "Y_h", "Y_c"][: (3 if op == "LSTM" else 2)]
    outs = [n if k in outputs else "" for k, n in enumerate(names)]
    while outs[-1] == "":
        outs.pop()
    a = dict(hidden_size=h, direction=direction)
    if layout and not twin:
        a["layout"] = 1
    a.update(attrs or {})
    nodes = [helper.make_node("Reshape", ["x", "xshape"], ["xr"])] + pre
    if twin:
        nodes.append(helper.make_node("Transpose", ["xr"], ["xt"], perm=[1, 0, 2]))
        ins[0] = "xt"
        tw = [n + "0" if n else "" for n in outs]
        nodes.append(helper.make_node(op, ins, tw, name="rnn", **a))
        for n in outs:
            if n:
                perm = [2, 0, 1, 3] if n == "Y" else [1, 0, 2]
                nodes.append(helper.make_node("Transpose", [n + "0"], [n], perm=perm))
    else:
        nodes.append(helper.make_node(op, ins, outs, name="rnn", **a))
    yshape = {"Y": [b, t, nd, h] if layout else [t, nd, b, h], "Y_h": st, "Y_c": st}
    gouts = [helper.make_tensor_value_info(n, TensorProto.FLOAT, yshape[n]) for n in outs if n]
    gr = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1] + xshape)],
                           gouts, inits)
    mdl = helper.make_model(gr, opset_imports=[helper.make_opsetid("", 14 if layout else 13)])
    mdl.ir_version = 7
    if extra:
        extra(mdl)
    onnx.save(mdl, path)
    return rng.standard_normal([1] + xshape).astype(np.float32)


cases = {
    "gru_fwd": dict(op="GRU"),
    "gru_fwd_lbr": dict(op="GRU", attrs=dict(linear_before_reset=1)),
    "gru_rev_h0": dict(op="GRU", direction="reverse", init_h=True),
    "gru_bi_lbr_h0": dict(op="GRU", direction="bidirectional", init_h=True,
                          attrs=dict(linear_before_reset=1)),
    "gru_bi_nobias": dict(op="GRU", direction="bidirectional", bias=False),
    "gru_layout1_b2": dict(op="GRU", layout=1, b=2, init_h=True, direction="bidirectional"),
    "gru_b2_yh": dict(op="GRU", b=2, outputs=(1,), attrs=dict(linear_before_reset=1)),
    "gru_acts": dict(op="GRU", direction="bidirectional",
                     attrs=dict(activations=["Sigmoid", "Tanh", "Sigmoid", "Tanh"])),
    "gru_long": dict(op="GRU", t=20, h=8),
    "lstm_fwd": dict(op="LSTM"),
    "lstm_rev_hc": dict(op="LSTM", direction="reverse", init_h=True, init_c=True),
    "lstm_bi": dict(op="LSTM", direction="bidirectional"),
    "lstm_bi_c0": dict(op="LSTM", direction="bidirectional", init_c=True, outputs=(2,)),
    "lstm_layout1_b2": dict(op="LSTM", layout=1, b=2, init_h=True, init_c=True,
                            direction="bidirectional"),
    "lstm_nobias_yc": dict(op="LSTM", bias=False, outputs=(0, 2)),
    "rnn_fwd": dict(op="RNN"),
    "rnn_bi_h0": dict(op="RNN", direction="bidirectional", init_h=True),
    "gru_bi_rt_h0": dict(op="GRU", direction="bidirectional", init_h="rt", b=2,
                         attrs=dict(linear_before_reset=1)),
    "lstm_bi_rt_hc": dict(op="LSTM", direction="bidirectional", init_h="rt", init_c="rt"),
    "lstm_layout1_rt": dict(op="LSTM", layout=1, b=2, init_h="rt", init_c="rt",
                            direction="bidirectional"),
    "rnn_layout1_b2": dict(op="RNN", layout=1, b=2, direction="reverse"),
    "gru_lbr_nobias": dict(op="GRU", bias=False, attrs=dict(linear_before_reset=1)),
}
for c, kw in cases.items():
    node_model(f"{out}/cases/{c}.onnx", **kw)


def seq_lens(v):
    def f(m):
        m.graph.initializer.append(numpy_helper.from_array(np.array([v], np.int32), "sl"))
        n = m.graph.node[1]
        while len(n.input) < 5:
            n.input.append("")
        n.input[4] = "sl"
    return f


def peephole(m):
    g = m.graph
    g.initializer.append(numpy_helper.from_array(np.zeros((1, 12), np.float32), "P"))
    n = g.node[1]
    while len(n.input) < 8:
        n.input.append("")
    n.input[7] = "P"


bad = {
    "acts": (dict(op="GRU", attrs=dict(activations=["Relu", "Tanh"])),
             "activation 0 is 'Relu'; only the defaults (Sigmoid, Tanh) are supported"),
    "clip": (dict(op="LSTM", attrs=dict(clip=3.0)), "attribute 'clip' (cell clipping) is not supported"),
    "forget": (dict(op="LSTM", attrs=dict(input_forget=1)), "input_forget = 1 is not supported"),
    "seqlens": (dict(op="GRU", extra=seq_lens(3)), "sequence_lens[0] = 3; only sequences of the full length 5"),
    "peep": (dict(op="LSTM", extra=peephole), "peepholes (input P) are not supported"),
    "dir": (dict(op="RNN", direction="sideways"), "direction 'sideways' is not forward, reverse or bidirectional"),
}
for c, (kw, err) in bad.items():
    node_model(f"{out}/bad/{c}.onnx", **kw)
    with open(f"{out}/bad/{c}.err", "w") as f:
        f.write(f"node 'rnn' ({kw['op']}): {err}\n")
