"""Write calibration samples as image files, for tests/e2e/calib_images.sh.

usage: mkimages.py CALIB.npy N OUTDIR FORMAT [EXPECTED.npy]

Takes the first N samples of CALIB.npy (f32 [N,1,H,W], values k/255) and
writes OUTDIR/000.EXT ... one image each, pixel k, in FORMAT:

  png       8-bit gray PNG            pgm      P5, maxval 255
  png16     16-bit gray PNG, k*257    pgm16    P5, maxval 65535, k*257
  pgm2      P2 (ascii), with comments ppm      P6, R = G = B = k
  rgb       8-bit RGB PNG: R = k, G = 255 - k, B = 7k mod 256; EXPECTED gets
            what quantc makes of it with channels: gray and scale: 1/255
            (luma 0.299 R + 0.587 G + 0.114 B, times 1/255, in double)
  up2pad    8-bit gray PNG of twice the size (each pixel 2x2) with 6 rows of
            value 255 above and 8 below: resize: 28 then crop: 28 gives back
            the sample exactly

PNG is written here with zlib (no imaging library needed).
"""
import os
import struct
import sys
import zlib

import numpy as np


def png(path, a, depth=8):
    h, w = a.shape[:2]
    color = 0 if a.ndim == 2 else 2
    dt = ">u2" if depth == 16 else "u1"
    raw = b"".join(b"\0" + a[y].astype(dt).tobytes() for y in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))

    ihdr = struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw))
                + chunk(b"IEND", b""))


def pnm(path, magic, a, maxval):
    h, w = a.shape[:2]
    head = f"{magic}\n{w} {h}\n{maxval}\n".encode()
    with open(path, "wb") as f:
        f.write(head + a.astype(">u2" if maxval > 255 else "u1").tobytes())


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    x = np.load(sys.argv[1])[: int(sys.argv[2]), 0]
    out, fmt = sys.argv[3], sys.argv[4]
    k = np.rint(x * 255).astype(np.int64)
    if not np.array_equal(k.astype(np.float32) / np.float32(255), x):
        sys.exit("mkimages.py: the samples are not k/255")
    os.makedirs(out, exist_ok=True)
    expected = []
    for i, a in enumerate(k):
        p = os.path.join(out, f"{i:03d}")
        if fmt == "png":
            png(p + ".png", a)
        elif fmt == "png16":
            png(p + ".png", a * 257, 16)
        elif fmt == "pgm":
            pnm(p + ".pgm", "P5", a, 255)
        elif fmt == "pgm16":
            pnm(p + ".pgm", "P5", a * 257, 65535)
        elif fmt == "pgm2":
            rows = "\n".join(" ".join(str(v) for v in r) for r in a)
            with open(p + ".pgm", "w") as f:
                f.write(f"P2\n# sample {i}\n{a.shape[1]} {a.shape[0]}\n# maxval\n255\n{rows}\n")
        elif fmt == "ppm":
            pnm(p + ".ppm", "P6", np.stack([a, a, a], axis=-1), 255)
        elif fmt == "rgb":
            rgb = np.stack([a, 255 - a, (7 * a) % 256], axis=-1)
            png(p + ".png", rgb)
            r, g, b = (rgb[..., c].astype(np.float64) for c in range(3))
            expected.append(((0.299 * r + 0.587 * g + 0.114 * b) * (1.0 / 255)).astype(np.float32))
        elif fmt == "up2pad":
            up = np.repeat(np.repeat(a, 2, axis=0), 2, axis=1)
            png(p + ".png", np.concatenate([np.full((6, up.shape[1]), 255), up,
                                            np.full((8, up.shape[1]), 255)]))
        else:
            sys.exit(f"mkimages.py: unknown format {fmt}")
    if len(sys.argv) == 6:
        np.save(sys.argv[5], np.ascontiguousarray(np.stack(expected)[:, None], dtype="<f4"))


if __name__ == "__main__":
    main()
