#!/usr/bin/python3
"""qtool.py — the host side of the int8 firmware checks (tests/cross/qdriver.c,
examples/cortex_m4_kws): makes the float inputs that `quantc run` quantizes
back to exactly the int8 bytes a firmware fed NAME_run_q, and compares a
firmware's int8 outputs with the interpreter's, byte for byte.

  qtool.py inputs SHAPE SCALE_BITS ZP OUT.npy --prng K
  qtool.py inputs SHAPE SCALE_BITS ZP OUT.npy --header FILE.h
      OUT.npy: float32 [K, *SHAPE], each value (q - ZP) * scale in float32,
      which qrt_quantize_s8 (round(x / scale) + ZP) maps back to q exactly.
      --prng K: qdriver.c's K inputs (xorshift32 seeded 0x9E3779B9 * (k+1),
      the top byte of each state); --header: every int8 array initializer
      ({...} of integers) of a C header, in order.  SHAPE is the model
      input's shape, e.g. 1,49,10,1; SCALE_BITS the float scale's bits in hex.
  qtool.py compare FW.txt REF.npy SCALE_BITS ZP
      FW.txt: one line per sample, the int8 outputs as 2-digit hex bytes
      run together, or as decimal integers separated by spaces.  REF.npy:
      `quantc run`'s float32 outputs [K, ...].  Each reference value is
      mapped back to int8 (round(y / scale) + ZP); the mapping must be exact
      ((q - ZP) * scale == y bit for bit) and every byte equal.  Prints the
      count of equal bytes and the first differences.

Exit 0 when the property holds, 1 when not, 2 on bad usage.
"""
import re
import struct
import sys

import numpy as np


def scale_of(bits):
    return np.float32(struct.unpack("<f", struct.pack("<I", int(bits, 16)))[0])


def prng_inputs(k, size):
    out = np.empty((k, size), np.int8)
    for j in range(k):
        s = (0x9E3779B9 * (j + 1)) & 0xFFFFFFFF
        row = bytearray(size)
        for i in range(size):
            s ^= (s << 13) & 0xFFFFFFFF
            s ^= s >> 17
            s ^= (s << 5) & 0xFFFFFFFF
            row[i] = s >> 24
        out[j] = np.frombuffer(bytes(row), np.int8)
    return out


def header_inputs(path, size):
    text = open(path).read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    rows = []
    for body in re.findall(r"\{([-0-9,\s]+)\}", text):
        vals = [int(v) for v in body.replace(",", " ").split()]
        if len(vals) != size:
            raise SystemExit("qtool: %s: an array of %d values, the input has %d" % (path, len(vals), size))
        rows.append(vals)
    if not rows:
        raise SystemExit("qtool: %s: no int8 array initializers" % path)
    return np.array(rows, np.int8)


def cmd_inputs(argv):
    if len(argv) != 6 or argv[4] not in ("--prng", "--header"):
        return usage()
    shape = [int(d) for d in argv[0].split(",")]
    scale, zp = scale_of(argv[1]), int(argv[2])
    size = int(np.prod(shape))
    q = prng_inputs(int(argv[5]), size) if argv[4] == "--prng" else header_inputs(argv[5], size)
    x = (q.astype(np.int32) - zp).astype(np.float32) * scale
    # the interpreter quantizes x back: check that it gives q again
    back = np.clip(np.round(x / scale) + zp, -128, 127).astype(np.int8)
    if not np.array_equal(back, q):
        print("qtool: (q - zp) * scale does not round back to q")
        return 1
    np.save(argv[3], x.reshape([len(q)] + shape))
    print("qtool: %d inputs of %s, scale %.9g, zero point %d -> %s" % (len(q), shape, scale, zp, argv[3]))
    return 0


def fw_rows(path):
    rows = []
    for line in open(path):
        line = line.strip()
        if not line:
            continue
        if " " in line:
            rows.append([int(v) for v in line.split()])
        else:
            rows.append(list(np.frombuffer(bytes.fromhex(line), np.int8)))
    return rows


def cmd_compare(argv):
    if len(argv) != 4:
        return usage()
    scale, zp = scale_of(argv[2]), int(argv[3])
    fw = fw_rows(argv[0])
    ref = np.load(argv[1])
    ref = ref.reshape(ref.shape[0], -1).astype(np.float32)
    if len(fw) != ref.shape[0]:
        print("qtool: the firmware printed %d samples, the reference has %d" % (len(fw), ref.shape[0]))
        return 1
    q = np.round(ref / scale) + zp
    if q.min() < -128 or q.max() > 127:
        print("qtool: the reference's values are outside the int8 range of scale %.9g, zero point %d" % (scale, zp))
        return 1
    q = q.astype(np.int32)
    exact = ((q - zp).astype(np.float32) * scale).view(np.uint32) == ref.view(np.uint32)
    if not exact.all():
        print("qtool: %d reference values are not (q - zp) * scale for an integer q" % (~exact).sum())
        return 1
    total = same = 0
    shown = 0
    for k, row in enumerate(fw):
        if len(row) != q.shape[1]:
            print("qtool: sample %d: the firmware printed %d outputs, the reference has %d" % (k, len(row), q.shape[1]))
            return 1
        for i, (a, b) in enumerate(zip(row, q[k])):
            total += 1
            same += int(a) == int(b)
            if int(a) != int(b) and shown < 10:
                print("  sample %d output %d: firmware %d, interpreter %d" % (k, i, a, b))
                shown += 1
    print("qtool: %d of %d int8 outputs equal the interpreter's (%d samples)" % (same, total, len(fw)))
    return 0 if same == total else 1


def usage():
    print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
    return 2


def main():
    if len(sys.argv) < 2:
        return usage()
    cmd = {"inputs": cmd_inputs, "compare": cmd_compare}.get(sys.argv[1])
    return cmd(sys.argv[2:]) if cmd else usage()


if __name__ == "__main__":
    sys.exit(main())
