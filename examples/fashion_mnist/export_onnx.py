"""Export the seed CNN and MLP to ONNX, from the committed weights.

usage: export_onnx.py OUTDIR [cnn|mlp ...]   (default: both)

Writes OUTDIR/cnn.onnx and OUTDIR/mlp.onnx: opset 13, input "x" of shape
[batch, 1, 28, 28] with a dynamic batch axis, output "y" [batch, 10].  The
networks are train.py's own classes with the float32 weights of
weights/<model>/*.npy loaded unchanged, so each .onnx computes exactly what
the .qg twin (cnn.qg, mlp.qg) computes: quantc compiles both to the same
object code.  Needs only torch (torch.onnx writes the protobuf itself).
"""
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from train import CNN, MLP  # noqa: E402

MODELS = {"cnn": CNN, "mlp": MLP}


def load(name):
    model = MODELS[name]()
    state = {}
    for key in model.state_dict():
        path = os.path.join(HERE, "weights", name, f"{key}.npy")
        state[key] = torch.from_numpy(np.load(path))
    # strict: a weight file missing or left over means the classes and the
    # committed weights disagree, and the export would not be the .qg's twin
    model.load_state_dict(state, strict=True)
    return model.eval()


def export(name, out):
    model = load(name)
    path = os.path.join(out, f"{name}.onnx")
    with torch.no_grad():
        torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path,
                          input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
                          opset_version=13, do_constant_folding=True)
    print(f"{path}: {os.path.getsize(path)} bytes")


def main():
    if len(sys.argv) < 2 or any(m not in MODELS for m in sys.argv[2:]):
        sys.exit("usage: export_onnx.py OUTDIR [cnn|mlp ...]")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    for name in sys.argv[2:] or sorted(MODELS):
        export(name, out)


if __name__ == "__main__":
    main()
