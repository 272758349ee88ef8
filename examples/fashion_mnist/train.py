"""Train the seed CNN, the MLP and the DSCNN on Fashion-MNIST and export
float32 weights.

usage: train.py [--cnn-epochs N] [--mlp-epochs N] [--dscnn-epochs N]
                [--only cnn|mlp|dscnn]

Outputs (next to this file): weights/{cnn,mlp,dscnn}/<state-dict-key>.npy and
accuracy.txt with the float32 test accuracy, the baseline the quantized
compiled models are compared against.  A partial run (--only) replaces only
its own model's lines of accuracy.txt.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
from torch import nn

DSCNN_EPOCHS = 3

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fmnist  # noqa: E402


class CNN(nn.Module):
    # Attribute names are part of the contract: they become the .npy file
    # names that cnn.qg refers to.
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 64, 3, padding=1)
        self.c2 = nn.Conv2d(64, 128, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(128 * 7 * 7, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.c1(x)))
        x = self.pool(torch.relu(self.c2(x)))
        return self.fc(torch.flatten(x, 1))


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(torch.flatten(x, 1))))


# ReLU6 after every BatchNorm, as in MobileNet: the bounded activation keeps
# int8 ranges tight.
class DSBlock(nn.Module):
    """Depthwise 3x3 conv + BN + ReLU6, then pointwise 1x1 conv + BN + ReLU6.
    The convs have no bias: the BN that follows supplies it."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.dw = nn.Conv2d(cin, cin, 3, stride=stride, padding=1, groups=cin, bias=False)
        self.dw_bn = nn.BatchNorm2d(cin)
        self.pw = nn.Conv2d(cin, cout, 1, bias=False)
        self.pw_bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        x = nn.functional.relu6(self.dw_bn(self.dw(x)))
        return nn.functional.relu6(self.pw_bn(self.pw(x)))


class DSCNN(nn.Module):
    """Depthwise-separable CNN: a 3x3 stem conv 1->32, four DSBlocks
    (strides 2,1,2,1; channels 64,64,128,128), global average pooling, and
    a dense layer 128->10.  State-dict keys (the .npy names) look like
    stem.weight, stem_bn.running_mean, b3.pw.weight, fc.bias."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 32, 3, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(32)
        self.b1 = DSBlock(32, 64, 2)
        self.b2 = DSBlock(64, 64, 1)
        self.b3 = DSBlock(64, 128, 2)
        self.b4 = DSBlock(128, 128, 1)
        # AdaptiveAvgPool2d(1) exports as GlobalAveragePool (x.mean would
        # export as ReduceMean)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        x = nn.functional.relu6(self.stem_bn(self.stem(x)))
        x = self.b4(self.b3(self.b2(self.b1(x))))
        return self.fc(torch.flatten(self.pool(x), 1))


def train(name, model, x, y, epochs, batch=128, lr=1e-3, cosine=False):
    # A private generator makes the shuffle order independent of whatever
    # else consumed the global RNG (e.g. the other model's init).
    gen = torch.Generator().manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    n = x.shape[0]
    # cosine decay to 0 over the whole run, stepped per batch: gets a
    # few-epoch run close to its final accuracy
    sched = (torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs * -(-n // batch))
             if cosine else None)
    for epoch in range(epochs):
        model.train()
        t0 = time.time()
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            if sched:
                sched.step()
            total += loss.item() * idx.numel()
            if (i // batch) % 100 == 0:
                print(f"  {name} epoch {epoch + 1} [{i:5d}/{n}] loss {loss.item():.4f}",
                      flush=True)
        print(f"{name} epoch {epoch + 1}/{epochs}: mean loss {total / n:.4f}, "
              f"{time.time() - t0:.1f}s", flush=True)


@torch.no_grad()
def correct_count(model, x, y, batch=100):
    # Small batches keep activations in cache; batch 1000 was ~7x slower on CPU.
    model.eval()
    hits = 0
    for i in range(0, x.shape[0], batch):
        hits += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return hits


def export(name, model):
    out = os.path.join(HERE, "weights", name)
    os.makedirs(out, exist_ok=True)
    for key, t in model.state_dict().items():
        # BN's step counter plays no part in inference (export_onnx.py
        # keeps the model's own)
        if key.endswith("num_batches_tracked"):
            continue
        np.save(os.path.join(out, f"{key}.npy"),
                np.ascontiguousarray(t.detach().cpu().numpy(), dtype=np.float32))


def write_accuracy(lines, only):
    """Write accuracy.txt; a partial run (--only M) keeps the other models'
    lines as they are and replaces or appends only M's."""
    path = os.path.join(HERE, "accuracy.txt")
    if only and os.path.exists(path):
        with open(path) as f:
            old = [ln.rstrip("\n") for ln in f if ln.strip()]
        mine = {ln.split()[0]: ln for ln in lines}
        keep = [mine.pop(ln.split()[0], ln) for ln in old]
        lines = keep + [ln for ln in lines if ln.split()[0] in mine]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cnn-epochs", type=int, default=5)
    ap.add_argument("--mlp-epochs", type=int, default=10)
    ap.add_argument("--dscnn-epochs", type=int, default=DSCNN_EPOCHS)
    ap.add_argument("--only", choices=["cnn", "mlp", "dscnn"])
    args = ap.parse_args()

    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)

    # Same to_input as make_data.py, so the float accuracy here is directly
    # comparable with the compiled model's accuracy on test_x.npy.
    tr_img, tr_lab = fmnist.load("train")
    te_img, te_lab = fmnist.load("t10k")
    tr_x = torch.from_numpy(fmnist.to_input(tr_img))
    te_x = torch.from_numpy(fmnist.to_input(te_img))
    tr_y = torch.from_numpy(tr_lab.astype(np.int64))
    te_y = torch.from_numpy(te_lab.astype(np.int64))

    # name, class, epochs, threads, train() options.  The thread count is
    # part of what makes a run reproducible (it changes float reduction
    # order); the DSCNN uses one thread because its many small kernels ran
    # 4x slower with two on a busy machine.
    specs = [("cnn", CNN, args.cnn_epochs, 2, {}), ("mlp", MLP, args.mlp_epochs, 2, {}),
             ("dscnn", DSCNN, args.dscnn_epochs, 1, {"lr": 2e-3, "cosine": True})]
    lines = []
    t_all = time.time()
    for name, cls, epochs, threads, opts in specs:
        if args.only and name != args.only:
            continue
        torch.manual_seed(0)  # each model's init independent of the other
        torch.set_num_threads(threads)
        model = cls()
        t0 = time.time()
        train(name, model, tr_x, tr_y, epochs, **opts)
        hits = correct_count(model, te_x, te_y)
        n = te_y.shape[0]
        print(f"{name}: trained in {time.time() - t0:.1f}s, "
              f"test accuracy {hits}/{n} = {hits / n:.4f}", flush=True)
        export(name, model)
        lines += [f"{name}_f32_correct {hits}", f"{name}_f32_accuracy {hits / n:.4f}"]

    write_accuracy(lines, args.only)
    print(f"total {time.time() - t_all:.1f}s", flush=True)


if __name__ == "__main__":
    main()
