#!/bin/bash
# armm_dsp.sh — the Cortex-M DSP kernels (targets/kernel_armm.c) are the
# code that runs: the example CNN and MLP compiled for thumbv7em cortex-m4
# and cortex-m7 contain smlad and sxtb16 (llvm-objdump-19 -d), and with
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
finish
