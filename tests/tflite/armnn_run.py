#!/usr/bin/python3
"""armnn_run.py — runs a .tflite model with ArmNN 20.08's reference backend
(python3-pyarmnn, CpuRef): the independent reference of
tests/e2e/tflite_armnn.sh (tests/tflite/README.md).

  armnn_run.py MODEL.tflite --input X.npy -o Y.npy [-o Y2.npy ...]
  armnn_run.py MODEL.tflite --input X.npy --tensor T -o Y.npy [--tensor T2 -o Y2.npy ...]
  armnn_run.py MODEL.tflite --input X.npy --layers DIR

X.npy holds S samples of the model's (single) input in its own type (int8
for an int8 model, float32 for a float one): [S, ...shape] or, for an input
of batch 1, [S, ...shape without its first dimension].  The network is loaded
once and runs every sample.  Each output file is [S, ...the tensor's shape],
in the tensor's own type (int8 values as they are: no dequantization).

--tensor T (a tensor's name or index in subgraph 0) computes an intermediate
tensor instead of the model's output; --layers DIR computes every operator's
output tensor, in operator order, and writes DIR/layers.json (per tensor: its
index, name, operator, shape, type, scale and zero point, file) and one
DIR/tNNN.npy each.  ArmNN binds subgraph outputs only, so both run a copy of
the model whose subgraph-0 outputs vector lists those tensors
(tflite_file.Model.with_outputs); the model's other tensors, weights and
operators are the file's own bytes.

A float model with int8 weights ("hybrid", as kws_ref_model_float32.tflite)
runs with its weights dequantized to float32 (tflite_file.dequantized_weights):
the reference backend has no hybrid kernels.  Prints one line saying so. """
import argparse
import json
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tflite_file  # noqa: E402


def die(msg):
    sys.exit(f"armnn_run.py: error: {msg}")


def load_armnn():
    # pyarmnn prints a line per parser it lacks (Caffe, ONNX, TF) on import
    import contextlib
    import io
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import pyarmnn
    return pyarmnn


def tensor_index(model, t):
    if t.lstrip("-").isdigit():
        i = int(t)
        if not 0 <= i < len(model.tensors):
            die(f"--tensor {t}: subgraph 0 has {len(model.tensors)} tensors")
        return i
    hits = [x.index for x in model.tensors if x.name == t]
    if not hits:
        die(f"--tensor '{t}': no tensor of that name in subgraph 0")
    if len(hits) > 1:
        die(f"--tensor '{t}': {len(hits)} tensors have that name; give the index")
    return hits[0]


class Runner:
    """the network of `path` loaded once on CpuRef: the model's own outputs,
    or the tensors `outputs` (indices), or operator `op` alone (its inputs
    given from outside, its outputs computed)"""

    def __init__(self, path, outputs=None, op=None):
        self.ann = ann = load_armnn()
        self.model = m = tflite_file.Model(path)
        data = bytes(m.data)
        self.note = ""
        if m.tensors[m.inputs[0]].type == 0 and any(t.constant and t.type == 9 for t in m.tensors):
            data = m.dequantized_weights()
            self.note = "int8 weights of a float model dequantized to float32 (no hybrid kernels in CpuRef)"
        if op is not None:
            data = m.only_operator(op, data)
            o = m.operators[op]
            self.inputs = [i for i in o.inputs if i >= 0 and not m.tensors[i].constant]
            self.outputs = [i for i in o.outputs if i >= 0]
        else:
            self.inputs = list(m.inputs)
            self.outputs = list(m.outputs) if outputs is None else list(outputs)
            if outputs is not None:
                data = m.with_outputs(self.outputs, data)
        names = [m.tensors[i].name for i in self.outputs]
        if len(set(names)) != len(names):
            die("two requested tensors share a name (ArmNN binds outputs by name)")
        with tempfile.NamedTemporaryFile(suffix=".tflite") as f:
            f.write(data)
            f.flush()
            self.parser = ann.ITfLiteParser()
            net = self.parser.CreateNetworkFromBinaryFile(f.name)
        self.runtime = ann.IRuntime(ann.CreationOptions())
        opt, _ = ann.Optimize(net, [ann.BackendId("CpuRef")], self.runtime.GetDeviceSpec(),
                              ann.OptimizerOptions())
        self.net_id, _ = self.runtime.LoadNetwork(opt)
        self.in_bind = [self.parser.GetNetworkInputBindingInfo(0, m.tensors[i].name)
                        for i in self.inputs]
        self.out_bind = [self.parser.GetNetworkOutputBindingInfo(0, n) for n in names]

    def _check(self, t, x):
        shape = list(t.shape)
        if x.dtype != np.dtype(t.dtype):
            die(f"the input is {x.dtype}; '{t.name}' is {t.type_name}")
        if list(x.shape[1:]) == shape or (shape and shape[0] == 1 and list(x.shape[1:]) == shape[1:]):
            return int(np.prod(shape))
        die(f"input of shape {list(x.shape)} for '{t.name}' {shape}: give [S, ...shape]")

    def run(self, *xs):
        """one [S, ...] array per input; returns one [S, ...shape] array per
        output"""
        ann, m = self.ann, self.model
        if len(xs) != len(self.inputs):
            die(f"{len(xs)} inputs given; the network has {len(self.inputs)}")
        ns = [self._check(m.tensors[i], x) for i, x in zip(self.inputs, xs)]
        S = len(xs[0])
        res = [np.empty([S] + list(m.tensors[i].shape), m.tensors[i].dtype) for i in self.outputs]
        for s in range(S):
            inp = ann.make_input_tensors(self.in_bind, [np.ascontiguousarray(x[s]).reshape(n)
                                                        for x, n in zip(xs, ns)])
            out = ann.make_output_tensors(self.out_bind)
            self.runtime.EnqueueWorkload(self.net_id, inp, out)
            for k, y in enumerate(ann.workload_tensors_to_ndarray(out)):
                res[k][s] = y.reshape(res[k].shape[1:])
        return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("--input", required=True)
    ap.add_argument("-o", dest="out", action="append", default=[])
    ap.add_argument("--tensor", action="append", default=[])
    ap.add_argument("--layers")
    a = ap.parse_args()
    x = np.load(a.input)
    model = tflite_file.Model(a.model)
    if a.layers:
        if a.out or a.tensor:
            die("--layers takes no -o or --tensor")
        idx = [i for op in model.operators for i in op.outputs if i >= 0]
        r = Runner(a.model, idx)
        ys = r.run(x)
        os.makedirs(a.layers, exist_ok=True)
        rows = []
        for k, op in enumerate(model.operators):
            for i in op.outputs:
                t = model.tensors[i]
                f = f"t{i:03d}.npy"
                np.save(os.path.join(a.layers, f), ys[idx.index(i)])
                rows.append(dict(index=i, name=t.name, op=op.name, op_index=k, shape=t.shape,
                                 type=t.type_name, scale=t.scale, zero_point=t.zero_point, file=f))
        with open(os.path.join(a.layers, "layers.json"), "w") as f:
            json.dump(rows, f, indent=1)
    else:
        idx = [tensor_index(model, t) for t in a.tensor] if a.tensor else None
        for i in idx or []:
            if model.tensors[i].constant:
                die(f"--tensor: tensor {i} ('{model.tensors[i].name}') is a constant, not computed")
        want = len(a.tensor) if a.tensor else len(model.outputs)
        if len(a.out) != want:
            die(f"{len(a.out)} -o given; {want} wanted (one per "
                f"{'--tensor' if a.tensor else 'model output'})")
        r = Runner(a.model, idx)
        for f, y in zip(a.out, r.run(x)):
            np.save(f, y)
    if r.note:
        print(f"armnn_run.py: {os.path.basename(a.model)}: {r.note}")


if __name__ == "__main__":
    main()
