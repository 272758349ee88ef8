#!/bin/bash
# tflite_targets.sh TRIPLE [MCPU] [MATTR] — the four int8 MLPerf Tiny models
# (tests/models/mlperf-tiny: keyword spotting, image classification, visual
# wake words, anomaly detection) compiled for TRIPLE with no option but the
# target (`quantc compile M.tflite --target TRIPLE`), run under QEMU (or
# natively when TRIPLE is "host") through NAME_run_q on a few pseudo-random
# int8 inputs (tests/cross/qdriver.c), and every int8 output compared with
# the reference interpreter's (`quantc run` on the same inputs), byte for
# byte.  The "host" run also checks that every target `quantc compile
# --list-targets` prints is one tests/CMakeLists.txt runs this test for.
#   QC_TFLITE_SAMPLES  inputs per model (default 3; the VWW model always 1)
#   QC_TFLITE_MODELS   which models (default "kws ic vww ad")
# Cost (2-core machine, measured): see the line in tests/CMakeLists.txt.
. "$(dirname "$0")/lib.sh"
. "$QC_SRC/tests/cross/boards.sh"
triple=$1 mcpu=${2:-} mattr=${3:-}
samples=${QC_TFLITE_SAMPLES:-3}
py=${QC_PYTHON:-/usr/bin/python3}
models_dir=$QC_SRC/tests/models/mlperf-tiny
cross=$QC_SRC/tests/cross
t0=$SECONDS

# the model files, by the C prefix the test gives them
declare -A file=([kws]=kws_ref_model [ic]=pretrainedResnet_quant [vww]=vww_96_int8 [ad]=ad01_int8)
# the targets tests/CMakeLists.txt runs this script for
tested="x86_64-linux-gnu aarch64-linux-gnu armv7-linux-gnueabihf thumbv7em-none-eabihf riscv64-linux-gnu riscv32-unknown-elf"

if [ "$triple" = host ]; then
	x_label=host${mcpu:+/$mcpu}${mattr:+/$mattr} x_cc=${CC:-cc} x_cflags=() x_ldflags=() x_run=()
	tflags=()
	listed=$("$QUANTC" compile --list-targets | awk '{ print $1 }')
	missing=""
	for tr in $listed; do
		[[ " $tested " == *" $tr "* ]] || missing="$missing $tr"
	done
	check "host: every target of --list-targets ($(echo $listed)) has a tflite_targets test${missing:+ (missing:$missing)}" \
		test -z "$missing"
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

check "$t: runtime builds freestanding" x_build_runtime "$work"

# one_model M K [OPTION...]: compile, link, run K inputs, compare; prints
# what failed
one_model() {
	local m=$1 k=$2 d=$work/$1 s rc
	shift 2
	mkdir -p "$d"
	echo "\$ quantc compile ${file[$m]}.tflite --name $m ${tflags[*]} $* -o $m.o"
	"$QUANTC" compile "$models_dir/${file[$m]}.tflite" --name "$m" "${tflags[@]}" "$@" -o "$d/$m.o" || return 1
	"$x_cc" "${x_cflags[@]}" -std=c11 -O2 -Wall -Wextra -Werror -DMODEL="$m" -DMODEL_UC="${m^^}" \
		-DSAMPLES="$k" -I"$d" -I"$QRT_INCLUDE" -c "$cross/qdriver.c" -o "$d/qdriver.o" &&
		"$x_cc" "${x_cflags[@]}" "$d/qdriver.o" "$d/$m.o" "$work"/rt_*.o "${x_ldflags[@]}" \
			-o "$d/fw.elf" || return 1
	s=$SECONDS
	timeout "${QC_CROSS_TIMEOUT:-300}" "${x_run[@]}" "$d/fw.elf" > "$d/out.txt" 2>&1
	rc=$?
	echo "$m: ran $k inputs in $((SECONDS - s))s, exit status $rc; $(grep -E '^(in|out) ' "$d/out.txt" | tr '\n' ' ')"
	if [ "$rc" -ne 0 ] || ! grep -q "^DONE $k" "$d/out.txt"; then
		grep ERROR "$d/out.txt"
		tail -5 "$d/out.txt"
		return 1
	fi
	# in i8 SCALE_BITS ZP SHAPE / out i8 SCALE_BITS ZP SHAPE
	read -r _ _ iscale izp ishape < <(grep '^in ' "$d/out.txt")
	read -r _ _ oscale ozp _ < <(grep '^out ' "$d/out.txt")
	awk '$1 == "y" { print $3 }' "$d/out.txt" > "$d/y.txt"
	"$py" "$cross/qtool.py" inputs "$ishape" "$iscale" "$izp" "$d/x.npy" --prng "$k" &&
		"$QUANTC" run "$models_dir/${file[$m]}.tflite" --input "$d/x.npy" -o "$d/ref.npy" &&
		"$py" "$cross/qtool.py" compare "$d/y.txt" "$d/ref.npy" "$oscale" "$ozp"
}

for m in ${QC_TFLITE_MODELS:-kws ic vww ad}; do
	k=$samples opts=() what="the object's"
	[ "$m" = vww ] && k=1   # the biggest: 27648 inputs, 7.5 M MACs
	# The default x86-64 object holds three ISA levels; for the VWW model
	# they take 10 s of CPU to compile, and only the level of this CPU runs
	# here (multi_isa.sh runs the others): VWW is compiled for this CPU alone.
	if [ "$triple" = host ] && [ "$m" = vww ] && [ -z "$mcpu$mattr" ]; then
		opts=(--mcpu native) what="the --mcpu native object's"
	fi
	check "$t: ${file[$m]}.tflite: $k random int8 inputs, $what int8 outputs equal the interpreter's byte for byte" \
		one_model "$m" "$k" "${opts[@]}"
done
echo "summary: $t: $((checks - fails))/$checks checks passed in $((SECONDS - t0))s"
finish
