#!/bin/bash
# demo.sh [BUILD_DIR] — the main job, end to end: make the Fashion-MNIST data,
# compile the seed CNN to a calibrated int8 object, link it with demo.c and
# the runtime, and classify the 10,000 test images.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
ex=$root/examples/fashion_mnist
out=$build/demo
mkdir -p "$out"
[ -s "$build/data/test_x.npy" ] || /usr/bin/python3 "$ex/make_data.py" "$build/data"
set -x
"$build/quantc" compile "$ex/cnn.qg" --calib "$build/data/calib.npy" -o "$out/cnn.o"
cc -O2 -DMODEL=cnn -I"$out" -I"$root/runtime/include" "$ex/demo.c" "$out/cnn.o" "$build/libqrt.a" -o "$out/cnn_demo"
"$out/cnn_demo" "$build/data/test_x.npy" "$build/data/test_y.npy"
