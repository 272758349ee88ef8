"""make_calib_methods.py — the calibration sets of the golden tests
calibrate_methods_*.qg and bias_correct*.qg, and the numbers those tests
expect, computed here with numpy (independently of quantc's C code).

    /usr/bin/python3 make_calib_methods.py      (from tests/golden/data)

calib_methods.npy [125, 8]: 990 values uniform in (-1, 1), nine at 2.0,
2.25, ..., 4.0 and one outlier at -50.  The histogram quantc builds has
2048 bins of the smallest power-of-two width that holds max|x|:
1/32 for x (max 50), 1/256 for relu(x) (max 4).
"""
import math

import numpy as np

NBINS = 2048


def calib_set():
    rng = np.random.RandomState(5)
    v = rng.uniform(-1, 1, 990).astype(np.float32)
    v = np.concatenate([v, np.arange(2.0, 4.01, 0.25, dtype=np.float32), [-50.0]])
    v = v.astype(np.float32)
    rng.shuffle(v)
    return v.reshape(125, 8)


def histogram(a):
    """|a| in NBINS bins of width 2^e, the smallest with max|a| < NBINS * 2^e."""
    amax = float(np.abs(a).max())
    w = 2.0 ** math.frexp(amax / NBINS)[1]
    k = np.floor(np.abs(a).ravel().astype(np.float64) / w).astype(np.int64)
    return np.bincount(k, minlength=NBINS).astype(np.float64), w, amax


def clip_range(a, t):
    lo, hi = float(a.min()), float(a.max())
    if t >= max(-lo, hi):
        return lo, hi
    return max(lo, -t), min(hi, t)


def percentile(a, pct):
    c, w, amax = histogram(a)
    target = a.size * pct / 100.0
    cum = np.concatenate([[0.0], np.cumsum(c)])
    k = int(np.argmax((cum[1:] >= target) & (c > 0)))
    return clip_range(a, w * (k + (target - cum[k]) / c[k]))


def step(a, t):
    lo, hi = max(float(a.min()), -t), min(float(a.max()), t)
    return (max(hi, 0) - min(lo, 0)) / 255.0


def mse(a):
    c, w, amax = histogram(a)
    zeros = float((a == 0).sum())
    last = int(amax / w) + 1
    centres = (np.arange(NBINS) + 0.5) * w
    errs = []
    for i in range(128, last + 1):
        t = min(i * w, amax)
        inside = c[:i].sum() - zeros
        errs.append(inside * step(a, t) ** 2 / 12 + (c[i:] * (centres[i:] - t) ** 2).sum())
    i = 128 + int(np.argmin(errs))
    return clip_range(a, min(i * w, amax))


def kl(c, i, levels=128, eps=1e-4):
    p = c[:i].copy()
    p[-1] += c[i:].sum()
    q = np.zeros(i)
    n = min(levels, i)
    edges = (np.arange(n + 1) * i) // n
    for b, e in zip(edges[:-1], edges[1:]):
        nz = (p[b:e] > 0).sum()
        if nz:
            q[b:e] = np.where(p[b:e] > 0, c[b:e].sum() / nz, 0)
    on = p > 0
    empty = (on & (q == 0)).sum()
    pk = p[on] / p.sum()
    qk = np.where(q[on] == 0, eps, q[on] / q.sum()) / (1 + eps * empty)
    return float((pk * np.log(pk / qk)).sum())


def entropy(a):
    c, w, amax = histogram(a)
    c[0] -= (a == 0).sum()
    last = int(amax / w) + 1
    divs = [kl(c, i) for i in range(128, last + 1)]
    i = 128 + int(np.argmin(divs))
    return clip_range(a, min(i * w, amax))


def bias_sets():
    """bias_dense.npy [4, 2] and bias_conv.npy [3, 1, 3, 3]."""
    d = np.array([[1, 2], [3, 6], [0, -2], [4, 10]], np.float32)
    rng = np.random.RandomState(7)
    c = rng.uniform(0, 1, (3, 1, 3, 3)).astype(np.float32)
    return d, c


def quant_channel(w):
    s = np.float32(np.abs(w).max() / np.float64(127)) if np.abs(w).max() > 0 else np.float32(1)
    v = (w / s).astype(np.float32)  # float32 division, then half away from zero
    q = np.clip(np.sign(v) * np.floor(np.abs(v).astype(np.float64) + 0.5), -127, 127)
    return np.float64(s) * q


def bias_conv_expected(x):
    """conv2d of x [N,1,3,3] by w [2,1,2,2], pad 1: mean output error."""
    w = np.array([[[[0.3, -0.7], [1.0, 0.11]]], [[[0.5, 0.25], [-0.05, 0.2]]]], np.float32)
    b = np.array([0.5, -0.25], np.float32)
    dw = w.astype(np.float64) - np.stack([quant_channel(w[o]) for o in range(2)])
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    err = np.zeros(2)
    for o in range(2):
        out = np.zeros((x.shape[0], 4, 4))
        for ky in range(2):
            for kx in range(2):
                out += dw[o, 0, ky, kx] * xp[:, 0, ky:ky + 4, kx:kx + 4]
        err[o] = out.mean()
    return (b.astype(np.float64) + err).astype(np.float32)


def main():
    x = calib_set()
    np.save("calib_methods.npy", x)
    d, c = bias_sets()
    np.save("bias_dense.npy", d)
    np.save("bias_conv.npy", c)
    y = np.maximum(x, 0)
    for name, a in (("x", x), ("y = relu(x)", y)):
        print(name, "calib", [float(a.min()), float(a.max())])
        print("  percentile 99.9 ", percentile(a, 99.9))
        print("  percentile 99.99", percentile(a, 99.99))
        print("  entropy         ", entropy(a))
        print("  mse             ", mse(a))
    print("bias_conv corrected bias", ["%.9g" % v for v in bias_conv_expected(c)])


if __name__ == "__main__":
    main()
