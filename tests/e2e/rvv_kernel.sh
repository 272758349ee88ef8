#!/bin/bash
# rvv_kernel.sh — the RISC-V V int8 conv2d kernel (targets/kernel_rvv.c) is
# the code that runs: compiled for riscv64-linux-gnu with +v, the CNN's two
# convolutions and a depthwise one disassemble to vwmacc (widening
# multiply-accumulate into i32) and strided byte stores of the requantized
# channels; without +v no vector instruction appears.  The depthwise conv
# uses vwmacc.vv.  The f32 depthwise kernel (targets/kernel_rvv_f32.c) is
# chosen, multiplies then adds (no FMA) and stores with vsse32.  The int8
# dense kernel (targets/kernel_rvv_gemm.c, riscv.rvv.dense) is the one
# quantc inspect names for the MLP's layers and its code is vwmacc.vx; a
# model of two dense layers shaped for its corners (99 inputs: the unrolled
# input loop's remainder; 157 outputs: a tile of 3 blocks of 32 and one of
# 2, the last partial; 7 outputs: a partial block of 16) equals the interpreter bit for bit under
# QEMU (fixed and float requantization), and so does a dense of 3 rows at
# once (the batch loop).  The convolutions' bit-exactness
# under QEMU is cross_*_riscv64_v's and conv_kernels_riscv64_v's job.
# Cost: about 2.5 s of CPU (0.7 s before the dense and f32 checks).
. "$(dirname "$0")/lib.sh"
t=riscv64-linux-gnu
objdump=$(command -v llvm-objdump-19 || command -v llvm-objdump || true)
if [ -z "$objdump" ]; then
	fail "llvm-objdump-19 installed"
	finish
	exit
fi

# count OBJ REGEX: how many instructions of OBJ's disassembly match REGEX
count() { "$objdump" -d --mattr=+v "$1" | grep -cE "$2"; }
# at_least N OBJ REGEX
at_least() { local n; n=$(count "$2" "$3"); echo "  $(basename "$2"): $n x $3"; [ "$n" -ge "$1" ]; }

# the declared input range, no calibration: the code, not the scales, is checked
qopts=(--precision int8 --target "$t" --mcpu generic-rv64)
check "$t +v: quantc compiles cnn" "$QUANTC" compile "$ex/cnn.qg" "${qopts[@]}" --mattr +v -o "$work/cnn_v.o"
# a 3x2 tile per layer: 6 vwmacc.vx per tap, the tap loops partly unrolled
check "$t +v: cnn's convolutions use vwmacc.vx (>= 12)" at_least 12 "$work/cnn_v.o" 'vwmacc\.vx'
check "$t +v: cnn stores requantized channels with vsse8 (>= 12)" at_least 12 "$work/cnn_v.o" 'vsse8\.v'
check "$t: quantc compiles cnn without V" "$QUANTC" compile "$ex/cnn.qg" "${qopts[@]}" -o "$work/cnn.o"
check "$t: without V, no vector instruction" test "$(count "$work/cnn.o" '[[:space:]]v[a-z0-9]+\.[a-z]')" -eq 0

# 216 weights in [-0.625, 0.625]
wts=$(awk 'BEGIN { for (i = 0; i < 216; i++) printf "%s%g", i ? ", " : "", (i * 7 % 11 - 5) / 8 }')
cat > "$work/dw.qg" << QG
model dw
input x : f32[1,24,9,9] range [0, 1]
const w : f32[24,1,3,3] = [$wts]
y = conv2d(x, w) { stride = [1,1], pad = [1,1,1,1], groups = 24, act = relu }
output y
QG
check "$t +v: quantc compiles a depthwise conv" "$QUANTC" compile "$work/dw.qg" --target "$t" --mattr +v -o "$work/dw.o"
check "$t +v: the depthwise conv uses vwmacc.vv (>= 9)" at_least 9 "$work/dw.o" 'vwmacc\.vv'

# a one-group conv (the same 216 weights as 8x3x3x3) with a fused 2x2
# max-pool stays in the kernel
sed -e 's/groups = 24, act = relu/groups = 1, act = relu, pool = [2,2], pool_stride = [2,2]/' \
	-e 's/f32\[24,1,3,3\]/f32[8,3,3,3]/' -e 's/f32\[1,24,9,9\]/f32[1,3,9,9]/' \
	"$work/dw.qg" > "$work/pool.qg"
check "$t +v: quantc compiles a conv with a fused max-pool" "$QUANTC" compile "$work/pool.qg" --target "$t" --mattr +v -o "$work/pool.o"
check "$t +v: the fused-pool conv uses vwmacc.vx (>= 6)" at_least 6 "$work/pool.o" 'vwmacc\.vx'
# the f32 depthwise kernel (kernel_rvv_f32.c): chosen, fmul then fadd (no
# FMA, the interpreter rounds twice), strided stores; its bit-exactness
# under QEMU is conv_kernels_riscv64_v's (f32c00 .. f32c03)
check "$t +v: quantc compiles an f32 depthwise conv" "$QUANTC" compile "$work/dw.qg" --precision f32 --target "$t" --mattr +v -o "$work/dwf.o"
"$QUANTC" inspect "$work/dw.qg" --precision f32 --target "$t" --mattr +v > "$work/dwf_inspect.txt" 2>&1
check "$t +v: the f32 depthwise conv gets riscv.rvv_f32dw.conv2d" grep -qE 'conv2d +riscv\.rvv_f32dw\.conv2d' "$work/dwf_inspect.txt"
check "$t +v: the f32 depthwise conv uses vfmul.vv (>= 9)" at_least 9 "$work/dwf.o" 'vfmul\.vv'
check "$t +v: the f32 depthwise conv has no fused multiply-add" test "$(count "$work/dwf.o" 'vf(n)?m(acc|add|sac|sub)')" -eq 0
check "$t +v: the f32 depthwise conv stores with vsse32 (>= 1)" at_least 1 "$work/dwf.o" 'vsse32\.v'

# ---- the int8 dense (kernel_rvv_gemm.c) ----
check "$t +v: quantc compiles mlp" "$QUANTC" compile "$ex/mlp.qg" "${qopts[@]}" --mattr +v -o "$work/mlp_v.o"
"$QUANTC" inspect "$ex/mlp.qg" "${qopts[@]}" --mattr +v > "$work/mlp_inspect.txt" 2>&1
echo "  inspect: $(grep -cE 'dense +riscv\.rvv\.dense' "$work/mlp_inspect.txt") dense layers on riscv.rvv.dense"
check "$t +v: both mlp dense layers get riscv.rvv.dense" \
	test "$(grep -cE 'dense +riscv\.rvv\.dense' "$work/mlp_inspect.txt")" -eq 2
# the input loops unrolled by 4: 784 inputs x tiles of 2 blocks of 32 (8
# vwmacc.vx), 128 x 1 block of 16 (4)
check "$t +v: mlp's dense layers use vwmacc.vx (>= 12)" at_least 12 "$work/mlp_v.o" 'vwmacc\.vx'
check "$t +v: mlp stores each block with one vse8 (>= 2)" at_least 2 "$work/mlp_v.o" 'vse8\.v'

# dense_case MODEL REQUANT: a dense model of $work/dense under QEMU against
# quantc run
. "$QC_SRC/tests/cross/boards.sh"
dense_case() {
	local d=$work/dense/$1 opts=(--precision int8 --calib "$work/dense/$1/calib.npy" --requant "$2")
	"$QUANTC" compile "$d/$1.qg" "${opts[@]}" --target "$t" --mcpu generic-rv64 --mattr +v -o "$d/$1.o" &&
		"$work/xtool" images "$d/x.npy" 3 "$d/images.h" > /dev/null &&
		x_link_driver "$1" "$d" "$work/rt" &&
		timeout 300 "${x_run[@]}" "$d/fw.elf" > "$d/out.txt" 2>&1 &&
		"$QUANTC" run "$d/$1.qg" "${opts[@]}" --input "$d/x.npy" -o "$d/ref.npy" &&
		"$work/xtool" compare "$d/out.txt" "$d/ref.npy"
}
mkdir -p "$work/dense/dn" "$work/dense/bt" "$work/rt"
if cross_target "$t" generic-rv64 +v && cross_tools_present > /dev/null; then
	"${QC_PYTHON:-/usr/bin/python3}" - "$work/dense" << 'PY'
import sys, numpy as np
d, r = sys.argv[1] + "/dn", np.random.default_rng(5)
np.save(d + "/w1.npy", r.normal(0, 0.15, size=(157, 99)).astype(np.float32))
np.save(d + "/b1.npy", r.normal(0, 0.3, size=(157,)).astype(np.float32))
np.save(d + "/w2.npy", r.normal(0, 0.15, size=(7, 157)).astype(np.float32))
np.save(d + "/calib.npy", (r.integers(0, 256, size=(16, 1, 9, 11)) / 255).astype(np.float32))
np.save(d + "/x.npy", (r.integers(0, 256, size=(3, 1, 9, 11)) / 255).astype(np.float32))
open(d + "/dn.qg", "w").write("""model dn
input x : f32[1,1,9,11] range [0, 1]
const w1 : f32[157,99] = npy("w1.npy")
const b1 : f32[157] = npy("b1.npy")
const w2 : f32[7,157] = npy("w2.npy")
t = flatten(x) { axis = 1 }
h = dense(t, w1, b1)
a = relu(h)
y = dense(a, w2)
output y
""")
# three rows at once (the batch loop), 33 inputs, 40 outputs: 2 blocks of 32
d = sys.argv[1] + "/bt"
np.save(d + "/w1.npy", r.normal(0, 0.15, size=(40, 33)).astype(np.float32))
np.save(d + "/b1.npy", r.normal(0, 0.3, size=(40,)).astype(np.float32))
np.save(d + "/calib.npy", (r.integers(0, 256, size=(16, 3, 33)) / 255).astype(np.float32))
np.save(d + "/x.npy", (r.integers(0, 256, size=(3, 3, 33)) / 255).astype(np.float32))
open(d + "/bt.qg", "w").write("""model bt
input x : f32[3,33] range [0, 1]
const w1 : f32[40,33] = npy("w1.npy")
const b1 : f32[40] = npy("b1.npy")
y = dense(x, w1, b1)
output y
""")
PY
	check "$t +v: host tool xtool builds" "$CC" -std=c11 -O2 -Wall -Wextra -Werror "$QC_SRC/tests/cross/xtool.c" -o "$work/xtool"
	check "$t +v: runtime builds" x_build_runtime "$work/rt"
	check "$t +v: dense 99->157->7 (fixed requant) equals the interpreter bit for bit" dense_case dn fixed
	check "$t +v: dense 99->157->7 (float requant) equals the interpreter bit for bit" dense_case dn float
	check "$t +v: dense of 3 rows 33->40 equals the interpreter bit for bit" dense_case bt fixed
else
	fail "$t: cross compiler and QEMU installed"
fi
finish
