# export.py — the zoo's inputs: a torchvision classification model with
# random weights, exported to ONNX, and the synthetic images it runs on.
#   python3 export.py model NAME SIZE OUT OPSET...
#       torchvision.models.NAME(weights=None) built after torch.manual_seed(0),
#       its BatchNorm statistics and affine parameters randomized too (so that
#       folding them is tested), in eval mode, exported by torch.onnx.export
#       at each OPSET with the fixed input shape [1, 3, SIZE, SIZE] into
#       OUT.OPSET.onnx; where torch fails, OUT.OPSET.failed holds its reason
#       (one line) instead.
#   python3 export.py images SIZE N SEED OUT.npy
#       N synthetic images [N, 3, SIZE, SIZE], float32: smooth random
#       patterns (a few sinusoids per channel) plus a little noise, scaled to
#       about unit variance like normalized ImageNet images.
import sys
import warnings

import numpy as np


def images(size, n, seed, out):
    rng = np.random.default_rng(seed)
    yy, xx = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    x = np.zeros((n, 3, size, size), np.float64)
    for i in range(n):
        for c in range(3):
            for _ in range(4):
                fy, fx = rng.uniform(-0.3, 0.3, 2)
                x[i, c] += rng.uniform(0.3, 1.0) * np.sin(fy * yy + fx * xx + rng.uniform(0, 6.3))
            x[i, c] += rng.normal(0, 0.2, (size, size)) + rng.uniform(-0.5, 0.5)
    np.save(out, x.astype(np.float32))


def model(name, size, out, opsets):
    import torch
    import torchvision

    warnings.filterwarnings("ignore")
    torch.manual_seed(0)
    kw = {"weights": None}
    if name in ("googlenet", "inception_v3"):
        kw["aux_logits"] = False
        kw["init_weights"] = True
    m = getattr(torchvision.models, name)(**kw)
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, torch.nn.modules.batchnorm._BatchNorm):
                n = mod.num_features
                mod.running_mean.copy_(0.1 * torch.randn(n, generator=g))
                mod.running_var.copy_(0.5 + torch.rand(n, generator=g))
                if mod.affine:
                    mod.weight.copy_(0.5 + torch.rand(n, generator=g))
                    mod.bias.copy_(0.1 * torch.randn(n, generator=g))
    m.eval()
    x = torch.zeros(1, 3, size, size)
    for opset in opsets:
        try:
            torch.onnx.export(m, x, "%s.%d.onnx" % (out, opset), opset_version=opset,
                              input_names=["image"], output_names=["logits"],
                              do_constant_folding=True)
        except Exception as e:  # torch's own refusal: one line for the table
            msg = " ".join(str(e).split())
            with open("%s.%d.failed" % (out, opset), "w") as f:
                f.write("%s: %s\n" % (type(e).__name__, msg[:200]))


if __name__ == "__main__":
    if sys.argv[1] == "model":
        model(sys.argv[2], int(sys.argv[3]), sys.argv[4], [int(o) for o in sys.argv[5:]])
    elif sys.argv[1] == "images":
        images(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    else:
        sys.exit("usage: export.py model NAME SIZE OUT OPSET... | images SIZE N SEED OUT.npy")
