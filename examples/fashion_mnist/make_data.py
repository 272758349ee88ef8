"""Write calibration and test arrays for the compiled models.

usage: make_data.py OUTDIR   (dataset dir from $FMNIST_DIR, default in fmnist.py)
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fmnist  # noqa: E402


def save(path, arr, dtype):
    # Pin dtype, byte order and layout so consumers can read the .npy with a
    # trivial parser (no Fortran order, no big-endian surprises).
    arr = np.ascontiguousarray(arr, dtype=np.dtype(dtype).newbyteorder("<"))
    np.save(path, arr)
    print(f"{path}: {arr.dtype} {list(arr.shape)}")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_data.py OUTDIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)

    train_x, _ = fmnist.load("train")
    test_x, test_y = fmnist.load("t10k")

    # Calibrate on training data only, so test accuracy stays an honest measure.
    save(os.path.join(out, "calib.npy"), fmnist.to_input(train_x[:1000]), np.float32)
    save(os.path.join(out, "test_x.npy"), fmnist.to_input(test_x), np.float32)
    save(os.path.join(out, "test_y.npy"), test_y, np.int32)


if __name__ == "__main__":
    main()
