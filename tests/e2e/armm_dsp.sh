#!/bin/bash
# armm_dsp.sh — the Cortex-M DSP kernels (targets/kernel_armm.c,
# kernel_armm_dw.c) are the code that runs: the example CNN and MLP, and a
# small model of two depthwise layers (stride 1 and 2), compiled for
# thumbv7em cortex-m4 and cortex-m7 contain smlad and sxtb16 (the depthwise
# pairs of stride-1 pixels smlatb too) (llvm-objdump-19 -d), and with
# --mattr=-dsp they contain none (the generic loops; the arithmetic itself
# is checked bit for bit by cross.sh and conv_kernels.sh).
. "$(dirname "$0")/lib.sh"

# count MNEMONIC OBJ: how many instructions of that name OBJ holds
count() { llvm-objdump-19 -d "$2" | grep -cw "$1"; }

for m in cnn mlp; do
	for cpu in cortex-m4 cortex-m7; do
		o=$work/$m-$cpu.o
		check "$m $cpu: compiles" "$QUANTC" compile -q "$ex/$m.qg" --calib "$QC_DATA/calib.npy" \
			--target thumbv7em-none-eabihf --mcpu "$cpu" -o "$o"
		n=$(count smlad "$o") s=$(count sxtb16 "$o")
		echo "$m $cpu: $n smlad, $s sxtb16"
		check "$m $cpu: uses smlad and sxtb16" test "$n" -gt 0 -a "$s" -gt 0
	done
	o=$work/$m-nodsp.o
	check "$m cortex-m4 -dsp: compiles" "$QUANTC" compile -q "$ex/$m.qg" --calib "$QC_DATA/calib.npy" \
		--target thumbv7em-none-eabihf --mcpu cortex-m4 --mattr=-dsp -o "$o"
	check "$m cortex-m4 -dsp: no smlad" test "$(count smlad "$o")" -eq 0
done

# depthwise only: every smlad comes from kernel_armm_dw.c
dw=$work/dw
mkdir -p "$dw"
"${QC_PYTHON:-/usr/bin/python3}" -c '
import sys, numpy as np
r = np.random.default_rng(1)
for n, s in (("w1", (8, 1, 3, 3)), ("b1", (8,)), ("w2", (8, 1, 3, 3))):
    np.save(sys.argv[1] + "/" + n + ".npy", r.normal(0, 0.3, size=s).astype(np.float32))
' "$dw"
cat > "$dw/dw.qg" << 'EOF'
model dw
input x : f32[1,8,10,10] range [0, 1]
const w1 : f32[8,1,3,3] = npy("w1.npy")
const b1 : f32[8] = npy("b1.npy")
const w2 : f32[8,1,3,3] = npy("w2.npy")
t0 = conv2d(x, w1, b1) { pad = [1,1,1,1], groups = 8 }
t1 = relu(t0)
y = conv2d(t1, w2) { stride = [2,2], pad = [1,1,1,1], groups = 8 }
output y
EOF
for cpu in cortex-m4 cortex-m7; do
	o=$work/dw-$cpu.o
	check "depthwise $cpu: compiles" "$QUANTC" compile -q "$dw/dw.qg" \
		--target thumbv7em-none-eabihf --mcpu "$cpu" -o "$o"
	n=$(count smlad "$o") s=$(count sxtb16 "$o") t=$(count smlatb "$o")
	echo "depthwise $cpu: $n smlad, $s sxtb16, $t smlatb"
	check "depthwise $cpu: uses smlad, sxtb16 and smlatb" test "$n" -gt 0 -a "$s" -gt 0 -a "$t" -gt 0
done
o=$work/dw-nodsp.o
check "depthwise cortex-m4 -dsp: compiles" "$QUANTC" compile -q "$dw/dw.qg" \
	--target thumbv7em-none-eabihf --mcpu cortex-m4 --mattr=-dsp -o "$o"
check "depthwise cortex-m4 -dsp: no smlad" test "$(count smlad "$o")" -eq 0
finish
