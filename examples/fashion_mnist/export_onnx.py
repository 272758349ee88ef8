"""Export the seed CNN, the MLP and the DSCNN to ONNX, from the committed
weights.

usage: export_onnx.py OUTDIR [cnn|mlp|dscnn ...]   (default: all three)

Writes OUTDIR/cnn.onnx, OUTDIR/mlp.onnx and OUTDIR/dscnn.onnx: opset 13,
input "x" of shape [batch, 1, 28, 28] with a dynamic batch axis, output "y"
[batch, 10].  The networks are train.py's own classes with the float32
weights of weights/<model>/*.npy loaded unchanged, so cnn.onnx and mlp.onnx
compute exactly what the .qg twins (cnn.qg, mlp.qg) compute: quantc compiles
both to the same object code.  The DSCNN has no .qg twin; its export keeps
each BatchNormalization as a node (quantc folds it into its Conv); its
ReLU6 exports as Relu, Clip(0, 6).  Needs only torch (torch.onnx writes the protobuf
itself).
"""
import os
import sys
import warnings

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from train import CNN, DSCNN, MLP  # noqa: E402

MODELS = {"cnn": CNN, "mlp": MLP, "dscnn": DSCNN}


def load(name):
    model = MODELS[name]()
    state = model.state_dict()
    folder = os.path.join(HERE, "weights", name)
    # BN's step counter is not saved (train.py): it keeps the model's own
    keys = [k for k in state if not k.endswith("num_batches_tracked")]
    files = sorted(f[:-4] for f in os.listdir(folder) if f.endswith(".npy"))
    # a weight file missing or left over means the class and the committed
    # weights disagree, and the export would not be the .qg's twin
    if files != sorted(keys):
        sys.exit(f"{folder}: the .npy files {files} are not the state-dict keys {sorted(keys)}")
    for key in keys:
        state[key] = torch.from_numpy(np.load(os.path.join(folder, f"{key}.npy")))
    model.load_state_dict(state, strict=True)
    return model.eval()


def export(name, out):
    model = load(name)
    path = os.path.join(out, f"{name}.onnx")
    # PRESERVE exports the eval-mode model without torch's own eval-mode
    # rewrites, which would fold BatchNormalization into the Conv before
    # quantc sees it (the importer does that folding; the export shows the
    # graph as written).  torch warns about constant folding in PRESERVE
    # mode even for a model in eval mode, where it changes no parameter.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "It is recommended that constant folding")
        torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path,
                          input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
                          opset_version=13, do_constant_folding=True,
                          training=torch.onnx.TrainingMode.PRESERVE)
    print(f"{path}: {os.path.getsize(path)} bytes")


def main():
    if len(sys.argv) < 2 or any(m not in MODELS for m in sys.argv[2:]):
        sys.exit("usage: export_onnx.py OUTDIR [cnn|mlp|dscnn ...]")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    for name in sys.argv[2:] or sorted(MODELS):
        export(name, out)


if __name__ == "__main__":
    main()
