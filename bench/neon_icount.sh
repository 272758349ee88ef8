#!/bin/bash
# neon_icount.sh MODEL.qg CALIB.npy [QUANTC] — instructions per MAC of a
# model's own code on AArch64, with no AArch64 hardware: the model compiled
# for aarch64-linux-gnu, cortex-a72 (no dotprod: the smlal kernels) and
# +dotprod (sdot), runs once (MODEL_run_q, bench/neon_icount.c) under
# qemu-aarch64 with one instruction per translation block (-singlestep) and no chaining,
# so that the exec log has one line per executed instruction; -dfilter keeps
# the lines of the model object's .text.  Prints per variant the
# instructions, the model's MACs (quantc inspect) and their ratio.
#   bench/neon_icount.sh examples/fashion_mnist/mlp.qg build/data/calib.npy
# QUANTC defaults to build/quantc; pass another build's quantc to compare.
# NEON_ICOUNT_OPTS: more quantc options (e.g. "--precision f32").
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
qc=${3:-$src/build/quantc}
model=$1 calib=$2
name=$(sed -n 's/^model \([A-Za-z0-9_]*\).*/\1/p' "$model" | head -1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc=aarch64-linux-gnu-gcc

for s in "$src"/runtime/src/*.c; do
	$cc -std=c99 -O2 -I"$src/runtime/include" -c "$s" -o "$work/rt_$(basename "$s" .c).o"
done
extra=${NEON_ICOUNT_OPTS:-}
# shellcheck disable=SC2086
macs=$("$qc" inspect "$model" --calib "$calib" --target aarch64-linux-gnu $extra |
	awk '$1 ~ /^[0-9]+$/ && $NF ~ /^[0-9]+$/ && NF >= 10 { m += $(NF - 3) } END { print m }')
for v in "cortex-a72 (smlal):" "+dotprod (sdot):--mattr +dotprod"; do
	label=${v%%:*} opts=${v#*:}
	# shellcheck disable=SC2086
	"$qc" compile "$model" --calib "$calib" --target aarch64-linux-gnu $opts $extra -o "$work/$name.o"
	$cc -std=c11 -O2 -DMODEL="$name" -DMODEL_UC="${name^^}" -I"$work" -I"$src/runtime/include" \
		"$src/bench/neon_icount.c" "$work/$name.o" "$work"/rt_*.o -static -o "$work/run"
	# the model object's .text: from its first function to its end
	text=$(llvm-size-19 -A "$work/$name.o" | awk '$1 == ".text" { print $2 }')
	run=$(llvm-nm-19 "$work/$name.o" | awk -v n="${name}_run" '$3 == n { print $1 }')
	at=$(llvm-nm-19 "$work/run" | awk -v n="${name}_run" '$3 == n { print $1 }')
	lo=$((0x$at - 0x$run))
	qemu-aarch64 -cpu max -singlestep -d nochain,exec -dfilter "$(printf '0x%x+0x%x' $lo "$text")" \
		-D "$work/log" "$work/run" > /dev/null
	n=$(grep -c '^Trace' "$work/log")
	awk -v l="$label" -v n="$n" -v m="$macs" \
		'BEGIN { printf "%-20s %10d instructions, %9d MACs: %.3f instructions per MAC\n", l, n, m, n / m }'
done
