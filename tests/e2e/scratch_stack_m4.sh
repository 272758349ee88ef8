#!/bin/bash
# scratch_stack_m4.sh — on Cortex-M4 the kernels' scratch is arena space
# (plan-memory), so NAME_run's stack stays within 1 KiB: the CNN, the DSCNN
# and the MLPerf Tiny keyword-spotting model, each compiled for cortex-m4
# and run once on one input under QEMU by bench/cortex_m4_icount.sh, whose
# firmware (bench/m4_icount.c) paints the stack before the call and counts
# the bytes the call wrote.  Prints each model's stack and arena bytes.
# Cost: about 4 s of CPU (three Cortex-M4 compiles, three QEMU runs).
. "$(dirname "$0")/lib.sh"
build=$(dirname "$QUANTC")
# 50 calibration samples: the stack does not depend on the ranges
"$NPYTOOL" head 50 "$QC_DATA/calib.npy" "$work/calib50.npy"
BENCH_MODELS="cnn dscnn kws" BENCH_IMAGES=1 BENCH_RUNS=1 BENCH_QUICK=1 BENCH_CALIB=$work/calib50.npy \
	bash "$QC_SRC/bench/cortex_m4_icount.sh" "$build" > "$work/bench.txt" 2>&1
for m in cnn dscnn kws; do
	s=$(awk -v m="$m:" '$1 == m { on = 1; next } /^[a-z]+:$/ { on = 0 }
		on && $1 == "image" { print $8; exit }' "$work/bench.txt")
	a=$(awk -v m="$m:" '$1 == m { on = 1; next } /^[a-z]+:$/ { on = 0 }
		on && $1 == "arena" { print $2; exit }' "$work/bench.txt")
	if [ -z "$s" ]; then
		fail "$m: the Cortex-M4 firmware ran and printed its stack"
		tail -5 "$work/bench.txt"
		continue
	fi
	echo "$m: Cortex-M4 stack $s bytes, arena $a bytes (RAM $((s + a)) bytes)"
	check "$m: Cortex-M4 stack $s bytes <= 1024" test "$s" -le 1024
done
finish
