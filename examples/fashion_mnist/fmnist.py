"""Minimal Fashion-MNIST reader (gzipped IDX) shared by train.py and make_data.py.

Both scripts must see byte-identical inputs, so loading and normalization live
here and nowhere else.
"""
import gzip
import os

import numpy as np

DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"


def data_dir():
    return os.environ.get("FMNIST_DIR", DEFAULT_DIR)


def _read_idx(path, magic, ndim):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    # IDX headers are big-endian; fail loudly on a wrong or truncated file
    # instead of silently reshaping garbage.
    got = int.from_bytes(raw[0:4], "big")
    if got != magic:
        raise ValueError(f"{path}: bad magic {got}, expected {magic}")
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: {data.size} bytes of data, header says {dims}")
    return data.reshape(dims)


def load(split, root=None):
    """Return (images uint8 [N,28,28], labels uint8 [N]); split is 'train' or 't10k'."""
    root = root or data_dir()
    images = _read_idx(os.path.join(root, f"{split}-images-idx3-ubyte.gz"), 2051, 3)
    labels = _read_idx(os.path.join(root, f"{split}-labels-idx1-ubyte.gz"), 2049, 1)
    if images.shape[1:] != (28, 28) or images.shape[0] != labels.shape[0]:
        raise ValueError(f"{split}: unexpected shapes {images.shape} / {labels.shape}")
    return images, labels


def to_input(images):
    """uint8 [N,28,28] -> float32 [N,1,28,28] in [0,1].

    The exact expression matters: the compiled model's calibration and test data
    must match what the float model was trained and scored on, bit for bit.
    """
    return images.astype(np.float32)[:, None, :, :] / np.float32(255)
