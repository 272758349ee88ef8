#!/bin/bash
# bench/rvv_icount.sh — RISC-V V evidence without a board: the instructions
# one inference takes under qemu-riscv64 (rv64 with V, VLEN 128), counted
# exactly by running QEMU one instruction per translation block
# (-singlestep) and logging every block executed (-d exec,nochain); the
# program (bench/rvv_icount.c) runs the model once and three times, and
# half the difference is one inference.  Nothing here asserts on the
# counts.
#
#   bash bench/rvv_icount.sh [BUILD]
#
# BUILD is a quantc build directory (default build in the checkout).  The
# models, compiled for riscv64-linux-gnu --mattr +v without calibration
# (the declared input ranges: the code, not the scales, is measured):
#   mlp       the example MLP, int8, through mlp_run_q (int8 in and out):
#             its two dense layers, 101,632 MACs (kernel_rvv_gemm.c)
#   dw8       a depthwise 3x3 layer, 32 channels, 24x24, pad 1, relu, int8
#             through run_q: 165,888 MACs (kernel_rvv.c), with run_q's copy
#             of the input into the arena
#   dwf       the same layer in f32 through run (kernel_rvv_f32.c), with
#             the copies of the float input and output
# Each line: model, instructions, MACs, instructions per MAC.  A second
# BUILD (BEFORE=dir) prints the same for that build first, e.g. main's.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
py=/usr/bin/python3
cpu=rv64,v=true,vlen=128,elen=64,vext_spec=v1.0
for t in riscv64-linux-gnu-gcc qemu-riscv64; do
	command -v $t > /dev/null || { echo "missing $t (.ci/install-deps)"; exit 1; }
done

$py - "$work" << 'PY'
import sys, numpy as np
d = sys.argv[1]
np.save(d + "/w.npy", np.random.default_rng(1).normal(0, 0.3, size=(32, 1, 3, 3)).astype(np.float32))
open(d + "/dw.qg", "w").write("""model dw
input x : f32[1,32,24,24] range [0, 1]
const w : f32[32,1,3,3] = npy("w.npy")
y = conv2d(x, w) { stride = [1,1], pad = [1,1,1,1], groups = 32, act = relu }
output y
""")
PY

# count NAME OBJ NIN NOUT RUN [T]: instructions of one inference
count() {
	local n=$1 d=$work/$1 a b
	riscv64-linux-gnu-gcc -O2 -static -march=rv64gc -mabi=lp64d -I"$d" -I"$root/runtime/include" \
		-DHDR="\"$n.h\"" -DARENA="${n^^}_ARENA_SIZE" -DNIN="$3" -DNOUT="$4" -DRUN="$5" \
		${6:+-DT=$6} "$root/bench/rvv_icount.c" "$2" "$root"/runtime/src/*.c -o "$d/prog" -lm
	for k in 1 3; do
		qemu-riscv64 -cpu "$cpu" -singlestep -d exec,nochain -D "$d/log$k" "$d/prog" $k > /dev/null || true
	done
	a=$(grep -c '^Trace' "$d/log1") b=$(grep -c '^Trace' "$d/log3")
	rm -f "$d"/log*
	echo $(((b - a) / 2))
}

# measure QUANTC: one line per model
measure() {
	local q=$1 m n macs
	for m in mlp dw8 dwf; do
		mkdir -p "$work/$m"
		case $m in
		mlp) "$q" compile "$root/examples/fashion_mnist/mlp.qg" --precision int8 --name mlp \
			--target riscv64-linux-gnu --mattr +v -o "$work/mlp/mlp.o" 2> /dev/null
			n=$(count mlp "$work/mlp/mlp.o" 784 10 mlp_run_q) macs=101632 ;;
		dw8) "$q" compile "$work/dw.qg" --precision int8 --name dw8 \
			--target riscv64-linux-gnu --mattr +v -o "$work/dw8/dw8.o" 2> /dev/null
			n=$(count dw8 "$work/dw8/dw8.o" 18432 18432 dw8_run_q) macs=165888 ;;
		dwf) "$q" compile "$work/dw.qg" --precision f32 --name dwf \
			--target riscv64-linux-gnu --mattr +v -o "$work/dwf/dwf.o" 2> /dev/null
			n=$(count dwf "$work/dwf/dwf.o" 18432 18432 dwf_run float) macs=165888 ;;
		esac
		printf '%-4s %10d instructions %8d MACs %6.3f per MAC\n' "$m" "$n" "$macs" \
			"$(echo "$n / $macs" | bc -l)"
	done
}

if [ -n "${BEFORE:-}" ]; then
	echo "== $BEFORE"
	measure "$(cd "$BEFORE" && pwd)/quantc"
fi
echo "== $build"
measure "$build/quantc"
