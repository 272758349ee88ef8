#!/bin/bash
# tflite_armnn.sh [BUILD] — the four MLPerf Tiny models against ArmNN 20.08's
# reference backend (python3-pyarmnn, CpuRef), the independent reference of
# issue 19 item 5 (tests/tflite/README.md explains every difference):
#   1. int8: `quantc compile M.tflite` (no other option but --instrument),
#      the host object (tests/tflite/qc_run.c, the int8 interface _run_q) on
#      N random int8 inputs, uniform over [-128, 127]:
#        - the object equals `quantc run` bit for bit;
#        - end to end: the share of output bytes equal to ArmNN's and the
#          largest difference;
#        - layer by layer along the model: every operator's output tensor,
#          quantc's (the trace) against ArmNN's (read as extra subgraph
#          outputs), and the first layer that differs;
#        - every operator alone, both sides on quantc's inputs (ArmNN runs a
#          copy of the model reduced to that operator).
#      FAILS when the first differing layer, or an operator alone, differs by
#      more than one step: ArmNN requantizes through float (one step at a
#      rounding boundary); more is a bug.
#   2. f32: the float twin compiled with --precision f32 against ArmNN on
#      the float model: max |diff| / max |ArmNN| <= 1e-4.
#   3. calibration: the float twin compiled by quantc with --calib (NCAL
#      inputs drawn like 1.'s, as real values: the MLPerf Tiny datasets are
#      not available) against the vendor's int8 model, both run by quantc,
#      on NAG other such inputs: top-class agreement (the autoencoder: the
#      SQNR of its reconstruction), printed, with a loose floor.
#   tflite_armnn.sh [BUILD] [LABEL...]
# BUILD (default: the environment ctest gives, QUANTC etc.) is a build
# folder; LABELs (kws, ic, vww, ad) check only those models.
# shellcheck shell=bash source-path=SCRIPTDIR
here=$(cd "$(dirname "$0")" && pwd)
: "${QC_SRC:=$(cd "$here/../.." && pwd)}"
if [ $# -ge 1 ] && [ -d "$1" ]; then
	build=$(cd "$1" && pwd) || exit 1
	QUANTC=$build/quantc QRT_LIB=$build/libqrt.a
	shift
fi
only=" $* "
: "${QRT_INCLUDE:=$QC_SRC/runtime/include}" "${CC:=cc}"
export QC_SRC
# shellcheck source=lib.sh
. "$QC_SRC/tests/e2e/lib.sh"
py=/usr/bin/python3
tfl=$QC_SRC/tests/tflite
mt=$QC_SRC/tests/models/mlperf-tiny
if ! "$py" -c 'import pyarmnn' > /dev/null 2>&1 ||
	! ls /usr/lib/*/armnn*/*CpuRef* > /dev/null 2>&1; then
	fail "python3-pyarmnn with its CpuRef backend (libarmnn-cpuref-backend22) is not installed: run .ci/install-deps"
	finish
	exit
fi

# link OBJ EXE [-DFLOAT_IO]: qc_run.c with the model OBJ (its header beside it)
link() {
	local name
	name=$(basename "$1" .o)
	# shellcheck disable=SC2086
	"$CC" -std=c11 -O2 -Wall -Wextra -Werror ${QC_CFLAGS:-} -DMODEL="$name" \
		-DMODEL_UC="$(echo "$name" | tr '[:lower:]' '[:upper:]')" "${@:3}" -I"$(dirname "$1")" -I"$QRT_INCLUDE" \
		"$tfl/qc_run.c" "$1" "$QRT_LIB" -lm -o "$2"
}

# model LABEL INT8 FLOAT N NCAL NAG FLOOR
model() {
	local l=$1 m8=$mt/$2 mf=$mt/$3 n=$4 ncal=$5 nag=$6 floor=$7 d=$work/$1
	[ "$only" = "  " ] || [[ $only == *" $l "* ]] || return 0
	mkdir -p "$d"
	"$py" "$tfl/armnn_check.py" inputs "$m8" "$n" 1 "$d/x.npy" "$d/xf.npy" || { fail "$l: inputs"; return; }
	# 1. int8
	local q8=0
	if ! "$QUANTC" compile "$m8" --instrument --name q8 -o "$d/q8.o" -q; then
		fail "$l: quantc compile $2"
	elif link "$d/q8.o" "$d/q8" && "$d/q8" "$d/x.bin" "$n" "$d/y.bin" "$d/trace.bin"; then
		q8=1
		"$QUANTC" run "$m8" --input "$d/xf.npy" -o "$d/yr.npy" &&
			check "$l: the int8 host object equals quantc run on $n inputs" \
				"$py" "$tfl/armnn_check.py" same "$m8" "$d/y.bin" "$d/yr.npy"
		check "$l: int8 against ArmNN: every difference is ArmNN's one-step rounding" \
			"$py" "$tfl/armnn_check.py" int8 "$m8" "$d/q8.h" "$d/x.npy" "$d/y.bin" "$d/trace.bin"
	else
		fail "$l: the int8 host object runs"
	fi
	# 2. the float twin in f32
	local f32=0
	if "$QUANTC" compile "$mf" --precision f32 --name f32 -o "$d/f32.o" -q &&
		link "$d/f32.o" "$d/f32" -DFLOAT_IO && "$d/f32" "$d/xf.bin" "$n" "$d/yf.bin"; then
		f32=1
		check "$l: the f32 object of $3 matches ArmNN within 1e-4" \
			"$py" "$tfl/armnn_check.py" float "$mf" "$d/xf.npy" "$d/yf.bin" 1e-4
	else
		fail "$l: quantc compile $3 --precision f32 and run"
	fi
	# 3. quantc's calibration of the float twin against the vendor's int8
	# model (and both against the f32 twin)
	"$py" "$tfl/armnn_check.py" inputs "$m8" "$ncal" 2 "$d/c.npy" "$d/cf.npy"
	"$py" "$tfl/armnn_check.py" inputs "$m8" "$nag" 3 "$d/a.npy" "$d/af.npy"
	if [ $q8 = 0 ] || [ $f32 = 0 ]; then
		fail "$l: quantc's calibration of $3: no int8 object of $2 or f32 object of $3 to compare with"
	elif "$QUANTC" compile "$mf" --calib "$d/cf.npy" --name cal -o "$d/cal.o" -q 2> "$d/cal.err" &&
		link "$d/cal.o" "$d/cal" -DFLOAT_IO && link "$d/q8.o" "$d/v8" -DFLOAT_IO &&
		"$d/cal" "$d/af.bin" "$nag" "$d/yc.bin" && "$d/v8" "$d/af.bin" "$nag" "$d/y8.bin" &&
		"$d/f32" "$d/af.bin" "$nag" "$d/yaf.bin"; then
		if [[ $known == *" $l:calib "* ]]; then
			fail "$l: quantc compile $3 --calib now works: remove '$l:calib' from known (stale)"
		fi
		check "$l: quantc's int8 calibration of $3 agrees with $2" \
			"$py" "$tfl/armnn_check.py" agree "$m8" "$d/y8.bin" "$d/yc.bin" "$d/yaf.bin" "$floor"
	elif [[ $known == *" $l:calib "* ]]; then
		cat "$d/cal.err"
		echo "known failure: $l: quantc compile $3 --calib (tests/tflite/README.md)"
	else
		cat "$d/cal.err"
		fail "$l: quantc compile $3 --calib and run"
	fi
}

# steps quantc cannot do yet (tests/tflite/README.md says why): such a step
# that fails prints "known failure" and passes; one that works fails (stale)
known=" "

# LABEL INT8 FLOAT N(int8 and f32 inputs) NCAL NAG FLOOR(% top class, dB for ad)
model kws kws_ref_model.tflite kws_ref_model_float32.tflite 100 64 300 10
model ic pretrainedResnet_quant.tflite pretrainedResnet.tflite 50 64 300 50
model vww vww_96_int8.tflite vww_96_float.tflite 20 32 300 50
model ad ad01_int8.tflite ad01_fp32.tflite 200 64 300 10
finish
