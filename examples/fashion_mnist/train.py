"""Train the seed CNN and MLP on Fashion-MNIST and export float32 weights.

usage: train.py [--cnn-epochs N] [--mlp-epochs N] [--only cnn|mlp]

Outputs (next to this file): weights/{cnn,mlp}/<state-dict-key>.npy and
accuracy.txt with the float32 test accuracy, the baseline the quantized
compiled models are compared against.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
from torch import nn

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


def train(name, model, x, y, epochs, batch=128, lr=1e-3):
    # A private generator makes the shuffle order independent of whatever
    # else consumed the global RNG (e.g. the other model's init).
    gen = torch.Generator().manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    n = x.shape[0]
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
        np.save(os.path.join(out, f"{key}.npy"),
                np.ascontiguousarray(t.detach().cpu().numpy(), dtype=np.float32))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cnn-epochs", type=int, default=5)
    ap.add_argument("--mlp-epochs", type=int, default=10)
    ap.add_argument("--only", choices=["cnn", "mlp"])
    args = ap.parse_args()

    torch.manual_seed(0)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)

    # Same to_input as make_data.py, so the float accuracy here is directly
    # comparable with the compiled model's accuracy on test_x.npy.
    tr_img, tr_lab = fmnist.load("train")
    te_img, te_lab = fmnist.load("t10k")
    tr_x = torch.from_numpy(fmnist.to_input(tr_img))
    te_x = torch.from_numpy(fmnist.to_input(te_img))
    tr_y = torch.from_numpy(tr_lab.astype(np.int64))
    te_y = torch.from_numpy(te_lab.astype(np.int64))

    specs = [("cnn", CNN, args.cnn_epochs), ("mlp", MLP, args.mlp_epochs)]
    lines = []
    t_all = time.time()
    for name, cls, epochs in specs:
        if args.only and name != args.only:
            continue
        torch.manual_seed(0)  # each model's init independent of the other
        model = cls()
        t0 = time.time()
        train(name, model, tr_x, tr_y, epochs)
        hits = correct_count(model, te_x, te_y)
        n = te_y.shape[0]
        print(f"{name}: trained in {time.time() - t0:.1f}s, "
              f"test accuracy {hits}/{n} = {hits / n:.4f}", flush=True)
        export(name, model)
        lines += [f"{name}_f32_correct {hits}", f"{name}_f32_accuracy {hits / n:.4f}"]

    # A partial run (--only) must not clobber the committed baseline file.
    if not args.only:
        with open(os.path.join(HERE, "accuracy.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
    print(f"total {time.time() - t_all:.1f}s", flush=True)


if __name__ == "__main__":
    main()
