#!/bin/bash
# conv_kernels.sh TRIPLE [MCPU] [MATTR] — random convolution layers
# (tests/e2e/conv_cases.py: one group, depthwise, grouped; channel counts on
# and off the kernels' vector widths; kernels 1..5, strides, asymmetric pads,
# dilations; fused activations, a following max-pool; int8 with both
# --requant modes, int16 and f32) compiled for TRIPLE, run there (under QEMU,
# or natively when TRIPLE is "host"), and compared with the reference
# interpreter bit for bit.  These are the layers the target kernels in
# targets/kernel_*.c take or decline; the whole-model tests (cross.sh) only
# see the example models' shapes.
#   QC_KERNEL_CASES  number of cases (default 24; the first 19 are fixed shapes:
#                    conv_cases.py's FIXED, GEMM_FIXED and FIXED_DW)
#   QC_KERNEL_SEED   the generator's seed (default 1)
#   QC_KERNEL_FLOAT  0: skip --requant float cases (integer-only targets)
#   QC_KERNEL_NEED   a CPU flag of /proc/cpuinfo the host must have for a
#                    native run with this MCPU (avx512vbmi); without it the
#                    test says so and checks nothing
. "$(dirname "$0")/lib.sh"
. "$QC_SRC/tests/cross/boards.sh"
triple=$1 mcpu=${2:-} mattr=${3:-}
count=${QC_KERNEL_CASES:-24} seed=${QC_KERNEL_SEED:-1}
cross=$QC_SRC/tests/cross
t0=$SECONDS

if [ -n "${QC_KERNEL_NEED:-}" ] && ! grep -qw "$QC_KERNEL_NEED" /proc/cpuinfo; then
	echo "skip: this CPU lacks $QC_KERNEL_NEED, which host/$mcpu code needs"
	finish
	exit
fi
if [ "$triple" = host ]; then
	x_label=host${mcpu:+/$mcpu}${mattr:+/$mattr} x_cc=${CC:-cc} x_cflags=() x_ldflags=() x_run=()
	tflags=()
else
	if ! cross_target "$triple" "$mcpu" "$mattr"; then
		fail "$triple: a target this test knows"
		finish
		exit
	fi
	tflags=(--target "$triple")
	if ! cross_tools_present; then
		fail "$x_label: cross compiler and QEMU installed"
		finish
		exit
	fi
fi
[ -n "$mcpu" ] && tflags+=(--mcpu "$mcpu")
[ -n "$mattr" ] && tflags+=(--mattr "$mattr")
t=$x_label

check "$t: host tool xtool builds" "$CC" -std=c11 -O2 -Wall -Wextra -Werror "$cross/xtool.c" -o "$work/xtool"
check "$t: runtime builds freestanding" x_build_runtime "$work"
check "$t: $count random cases generated (seed $seed)" \
	"${QC_PYTHON:-/usr/bin/python3}" "$QC_SRC/tests/e2e/conv_cases.py" "$work/cases" "$count" "$seed"

# one_case NAME PRECISION REQUANT: compile, link, run, compare
one_case() {
	local d=$work/cases/$1 opts=(--precision "$2" --calib "$work/cases/$1/calib.npy" --requant "$3")
	"$QUANTC" compile "$d/model.qg" "${opts[@]}" "${tflags[@]}" -o "$d/m.o" &&
		"$work/xtool" images "$d/x.npy" 3 "$d/images.h" > /dev/null &&
		x_link_driver m "$d" "$work" &&
		timeout "${QC_CROSS_TIMEOUT:-300}" "${x_run[@]}" "$d/fw.elf" > "$d/out.txt" 2>&1 &&
		"$QUANTC" run "$d/model.qg" "${opts[@]}" --input "$d/x.npy" -o "$d/ref.npy" &&
		"$work/xtool" compare "$d/out.txt" "$d/ref.npy" > "$d/cmp.txt" || {
		echo "--- $1: $(tail -c 300 "$d/out.txt" 2> /dev/null)"
		cat "$d/cmp.txt" 2> /dev/null
		return 1
	}
}

while read -r name prec req what; do
	[ -n "$name" ] || continue
	if [ "$req" = float ] && [ "${QC_KERNEL_FLOAT:-1}" = 0 ]; then
		echo "skip: $name ($what): --requant float needs an FPU"
		continue
	fi
	label=$prec
	[ "$req" = float ] && label="$prec, --requant float"
	check "$t: $name ($label) $what: equals the interpreter bit for bit" \
		one_case "$name" "$prec" "$req"
done < "$work/cases/cases.txt"
echo "summary: $t: $((checks - fails))/$checks checks passed in $((SECONDS - t0))s"
finish
