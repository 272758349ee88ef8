#!/usr/bin/python3
# make_weights.py — writes the weights of tests/bad's quantization cases
# (weight_*.args: data/weight_*.qg): a NaN, an infinity, and weights so
# small that their int8 scale underflows float32.  Run once in this folder
# with Debian's /usr/bin/python3 (numpy); the outputs are committed.
import numpy as np

w = np.array([[0.5, -0.25, 1, 0.125], [-1, 0.75, 0.5, -0.5]], np.float32)
nan = w.copy()
nan[1, 2] = np.nan
np.save('w_nan.npy', nan)
inf = w.copy()
inf[0, 1] = -np.inf
inf[1, 3] = np.inf
np.save('w_inf.npy', inf)
