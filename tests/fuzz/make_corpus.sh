#!/bin/bash
# tests/fuzz/make_corpus.sh — rebuilds the seed corpora tests/fuzz/corpus/*
# from the project's own test inputs (run it after adding test inputs; the
# result is committed).  Seeds stay small: no file over 64 KiB (big weight
# files contribute their first KiB, and numpy writes small arrays of every
# dtype and version the reader knows).
#   qg/    tests/golden, tests/bad, examples/fashion_mnist/*.qg (smaller)
#   npy/   the .npy files under tests/ and examples/, and made ones
#   yaml/  docs/configuration.md's examples and tests/e2e/config.sh's files
#   onnx/  tests/bad/*.onnx, tests/e2e/onnx_models.py's models,
#          tests/e2e/qdq_models.py's QDQ models, and libonnx-testdata's
#          models of the operators the importer knows
#   image/ PNG (colour types and depths), PGM and PPM made here
#   tflite/ tiny models of make_tflite_seeds.py (each op kind the importer
#          knows, int8, int16x8 and float, the schema's rarer corners),
#          tests/bad/tfl_*.tflite and the MLPerf Tiny KWS model (54 KB)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/tests/fuzz/corpus
rm -rf "$out"
mkdir -p "$out/qg" "$out/npy" "$out/yaml" "$out/onnx" "$out/image" "$out/tflite"

# ---- qg
for f in "$root"/tests/golden/*.qg "$root"/tests/bad/*.qg; do
	d=$(basename "$(dirname "$f")")
	cp "$f" "$out/qg/${d}_$(basename "$f")"
done
# the examples, at a smaller size (the harness's weight fixtures have these
# shapes: reading and printing 1 MB of weights per run would slow it 20x)
sed -e 's/f32\[1,1,28,28\]/f32[1,1,4,4]/; s/f32\[128,784\]/f32[8,16]/' \
    -e 's/f32\[128\]/f32[8]/; s/f32\[10,128\]/f32[10,8]/' \
    "$root/examples/fashion_mnist/mlp.qg" > "$out/qg/example_mlp.qg"
sed -e 's/f32\[1,1,28,28\]/f32[1,1,8,8]/; s/f32\[64,1,3,3\]/f32[4,1,3,3]/' \
    -e 's/f32\[64\]/f32[4]/; s/f32\[128,64,3,3\]/f32[8,4,3,3]/; s/f32\[128\]/f32[8]/' \
    -e 's/f32\[10,6272\]/f32[10,32]/' \
    "$root/examples/fashion_mnist/cnn.qg" > "$out/qg/example_cnn.qg"
# a dump with every decoration, as the printer writes it
cat > "$out/qg/decorated.qg" <<'EOF'
model m
input x : i8[1,4] q(scale=0.00392156886, zp=-128) range [0, 1] calib [0, 1] clip [0, 1] @0
const w : i8[2,4] q(axis=0, scale=[0.00787401572, 1]) = [64, -32, 127, 0, 0, 0, 0, 0]
const b : i32[2] q(axis=0, scale=[3.08784807e-05, 0.00392156886]) = [3238, 0]
const o : f32[6] = npy("data/odd.npy")
y : i8[1,2] q(scale=0.0117647061, zp=-43) calib [-1, 2] @16 = dense(x, w, b) { act = relu }
output y
EOF

# ---- npy
for f in "$root"/tests/bad/data/*.npy "$root"/tests/golden/data/*.npy \
         "$root"/examples/fashion_mnist/weights/*/*.npy; do
	n=$(basename "$(dirname "$f")")_$(basename "$f")
	head -c 1024 "$f" > "$out/npy/$n"
done
/usr/bin/python3 - "$out/npy" <<'EOF'
import sys, numpy as np
from numpy.lib import format as fmt
d = sys.argv[1]
arrays = {
    'f4_2x3': np.arange(6, dtype='<f4').reshape(2, 3) - 2.5,
    'i1': np.array([-128, 0, 127], dtype='i1'),
    'u1': np.array([0, 255], dtype='u1'),
    'i2': np.array([[-32768, 1], [2, 32767]], dtype='<i2'),
    'i4': np.array([1, -1], dtype='<i4'),
    'i8': np.array([2**40], dtype='<i8'),
    'scalar': np.array(3.5, dtype='<f4'),
    'empty': np.zeros((0, 3), dtype='<f4'),
    'rank6': np.zeros((1, 2, 1, 2, 1, 2), dtype='<f4'),
    'rank7': np.zeros((1,) * 7, dtype='<f4'),
    'odd': np.array([np.nan, np.inf, -np.inf, -0.0], dtype='<f4'),
    'f8': np.zeros(2, dtype='<f8'),
    'bool': np.array([True], dtype='?'),
}
for name, a in arrays.items():
    with open(f'{d}/{name}.npy', 'wb') as f:
        fmt.write_array(f, a, version=(1, 0), allow_pickle=False)
for v in [(2, 0), (3, 0)]:
    with open(f'{d}/v{v[0]}.npy', 'wb') as f:
        fmt.write_array(f, arrays['f4_2x3'], version=v, allow_pickle=False)
with open(f'{d}/structured.npy', 'wb') as f:
    fmt.write_array(f, np.zeros(2, dtype=[('a', '<f4'), ('b', '<i4')]), version=(1, 0))
EOF

# ---- yaml: fenced blocks of the docs, heredocs of the config test
awk -v out="$out/yaml" '
	/^```yaml/ { n++; f = sprintf("%s/doc_%d.yaml", out, n); inb = 1; next }
	/^```/ && inb { inb = 0; close(f); next }
	inb { print > f }' "$root/docs/configuration.md"
awk -v out="$out/yaml" '
	/<<.EOF.$/ && /^(yaml|bad) / { f = sprintf("%s/test_%s.yaml", out, $2); inb = 1; next }
	/^EOF$/ && inb { inb = 0; close(f); next }
	inb { print > f }' "$root/tests/e2e/config.sh"
: > "$out/yaml/empty.yaml"
cat > "$out/yaml/everything.yaml" <<'EOF'
%YAML 1.1
---
precision: int16
calibration: {method: entropy, percentile: 99.9, bins: 256}
bias_correction: true
inputs:
  x: {range: [-1.5e0, 2]}
layers:
  - match: "t[12]"
    calibration: {method: mse, bins: 512}
    precision: f32
  - match: y
    precision: int8
  - &a {match: "*", calibration: {method: minmax}}
  - *a
...
EOF
cat > "$out/yaml/images_auto.yaml" <<'EOF'
precision: auto
min_sqnr: 30
calibration:
  images: {resize: 4, crop: 2x2, scale: 1/255, mean: 0.5, std: [0.25], layout: nchw}
EOF

# ---- onnx
cp "$root"/tests/bad/*.onnx "$out/onnx/"
for m in bn mix view bad; do
	/usr/bin/python3 "$root/tests/e2e/onnx_models.py" "$m" "$out/onnx/tmp" > /dev/null
done
for f in "$out"/onnx/tmp/*.onnx; do
	[ "$(stat -c %s "$f")" -le 65536 ] && mv "$f" "$out/onnx/models_$(basename "$f")"
done
rm -rf "$out/onnx/tmp"
# pre-quantized (QDQ) models, so that QuantizeLinear/DequantizeLinear
# (frontend/onnx_qdq.c) are reached: tests/e2e/qdq_models.py's small ones
# (int8, uint8, per-channel weights, int32 biases) and its bad ones
/usr/bin/python3 "$root/tests/e2e/qdq_models.py" "$out/onnx/tmp" > /dev/null
for f in "$out"/onnx/tmp/small_[0-4].onnx "$out"/onnx/tmp/bad_*.onnx; do
	[ "$(stat -c %s "$f")" -le 65536 ] && mv "$f" "$out/onnx/qdq_$(basename "$f")"
done
rm -rf "$out/onnx/tmp"
td=/usr/share/libonnx-testdata/data/node
ops="add batchnorm_example cast_FLOAT_to_DOUBLE clip clip_default_inbounds concat_2d_axis_0
     constant constantofshape_int_zeros conv_with_strides_padding basic_conv_with_padding
     div dropout_default flatten_axis0 flatten_default_axis gather_0 gemm_default_no_bias
     gemm_all_attributes identity matmul_2d maxpool_2d_pads maxpool_2d_strides mul relu
     reshape_reduced_dims reshape_negative_dim shape slice squeeze sub transpose_default
     unsqueeze_axis_0"
for op in $ops; do
	f=$td/test_$op/model.onnx
	if [ -f "$f" ]; then cp "$f" "$out/onnx/node_$op.onnx"; fi
done
# the same with every input but the first made an initializer (from the
# test's own data), as the importer wants weights, shapes and indices
[ -d "$td" ] && /usr/bin/python3 - "$td" "$out/onnx" $ops <<'PY'
import os, sys
import onnx
td, out, ops = sys.argv[1], sys.argv[2], sys.argv[3:]
for op in ops:
    d = os.path.join(td, f"test_{op}")
    m = onnx.load(os.path.join(d, "model.onnx"))
    g = m.graph
    if len(g.input) < 2:
        continue
    for i, vi in enumerate(list(g.input)[1:], 1):
        t = onnx.TensorProto()
        with open(os.path.join(d, "test_data_set_0", f"input_{i}.pb"), "rb") as f:
            t.ParseFromString(f.read())
        t.name = vi.name
        g.initializer.append(t)
    keep = g.input[0]
    del g.input[:]
    g.input.append(keep)
    for o in m.opset_import:
        if o.domain in ("", "ai.onnx") and o.version < 11:
            o.version = 13
    onnx.save(m, os.path.join(out, f"init_{op}.onnx"))
PY

# ---- image
/usr/bin/python3 - "$out/image" <<'PY'
import struct, sys, zlib
import numpy as np
d = sys.argv[1]
rng = np.random.RandomState(3)

def chunk(t, data):
    return struct.pack(">I", len(data)) + t + data + struct.pack(">I", zlib.crc32(t + data))

def png(name, rows, w, h, depth, color, plte=b"", trns=b""):
    raw = b"".join(b"\0" + r for r in rows)
    body = chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, 0))
    if plte:
        body += chunk(b"PLTE", plte)
    if trns:
        body += chunk(b"tRNS", trns)
    body += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    open(f"{d}/{name}", "wb").write(b"\x89PNG\r\n\x1a\n" + body)

def img(h, w, c, hi=256, dt="u1"):
    return rng.randint(0, hi, size=(h, w, c)).astype(dt)

def pnm(name, magic, a, maxval):
    h, w = a.shape[:2]
    open(f"{d}/{name}", "wb").write(f"{magic}\n{w} {h}\n{maxval}\n".encode() +
                                     a.astype(">u2" if maxval > 255 else "u1").tobytes())

a = img(8, 8, 1);   png("gray8.png", [r.tobytes() for r in a], 8, 8, 8, 0)
a = img(12, 10, 3); png("rgb8.png", [r.tobytes() for r in a], 10, 12, 8, 2)
a = img(9, 9, 4);   png("rgba8.png", [r.tobytes() for r in a], 9, 9, 8, 6)
a = img(8, 16, 2);  png("graya8.png", [r.tobytes() for r in a], 16, 8, 8, 4)
a = img(8, 8, 1, 65536, ">u2"); png("gray16.png", [r.tobytes() for r in a], 8, 8, 16, 0)
a = img(8, 8, 3, 65536, ">u2"); png("rgb16.png", [r.tobytes() for r in a], 8, 8, 16, 2)
png("gray1.png", [bytes([0b10110010]) for _ in range(8)], 8, 8, 1, 0)
png("gray4.png", [bytes([0x1f, 0xa5, 0x3c, 0x77]) for _ in range(8)], 8, 8, 4, 0)
png("palette.png", [bytes(range(i, i + 8)) for i in range(8)], 8, 8, 8, 3,
    bytes(range(48)), b"\x80\x40")
png("one.png", [b"\x7f"], 1, 1, 8, 0)
pnm("p5.pgm", "P5", img(8, 9, 1), 255)
pnm("p5_16.pgm", "P5", img(8, 8, 1, 65536, ">u2"), 65535)
pnm("p6.ppm", "P6", img(10, 8, 3), 255)
pnm("p6_small_maxval.ppm", "P6", img(8, 8, 3, 16), 15)
a = img(8, 8, 1)
open(f"{d}/p2.pgm", "w").write("P2\n# a comment\n8 8\n255\n" +
                               "\n".join(" ".join(str(v) for v in r.ravel()) for r in a) + "\n")
a = img(8, 8, 3, 100)
open(f"{d}/p3.ppm", "w").write("P3 8 8 99\n" + " ".join(str(v) for v in a.ravel()) + "\n")
PY

# ---- tflite (the four int8 models are 50-330 KB, too slow to mutate: only
# the smallest, with tiny generated models beside it)
/usr/bin/python3 "$root/tests/fuzz/make_tflite_seeds.py" "$out/tflite"
cp "$root"/tests/bad/tfl_*.tflite "$out/tflite/"
cp "$root/tests/models/mlperf-tiny/kws_ref_model.tflite" "$out/tflite/"
find "$out" -type f -size +64k -print -delete
du -sh "$out"/*
