#!/bin/bash
# run.sh — the ONNX conformance runner: every node test of Debian's
# libonnx-testdata whose op types all appear in the importer's table
# (frontend/onnx_ops.c) goes through `quantc run` (the reference interpreter)
# and through `quantc compile` linked with driver.c, both in f32, and is
# compared with the test's expected output (pbconv.py; rtol 1e-3, atol 1e-5).
# Graph inputs that quantc takes at compile time (pads, shapes, weights: the
# COMPILE_TIME table in pbconv.py) become initializers first.
# Prints PASS / FAIL / UNSUPPORTED per test and a total; exits 1 if any test
# computed wrong numbers (or crashed), if quantc refused a test that
# unsupported.txt does not list (with the feature it uses), or if a listed
# test now passes (a stale entry).
#   env: QUANTC (required), QRT_LIB, QRT_INCLUDE, CC, QC_CFLAGS,
#        ONNX_NODE_DIR (default /usr/share/libonnx-testdata/data/node),
#        ONNX_TESTS (a grep -E pattern to run a subset)
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
: "${QUANTC:?set QUANTC to the quantc binary}"
: "${QRT_LIB:=$(dirname "$QUANTC")/libqrt.a}"
: "${QRT_INCLUDE:=$src/runtime/include}"
: "${CC:=cc}"
: "${ONNX_NODE_DIR:=/usr/share/libonnx-testdata/data/node}"
: "${ONNX_TESTS:=.}"
py=/usr/bin/python3

if [ ! -d "$ONNX_NODE_DIR" ]; then
	echo "FAIL: no ONNX node tests in $ONNX_NODE_DIR (apt-get install libonnx-testdata)"
	exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The op types the importer knows: the rows of its table.
ops=$(sed -n '/^const OnnxOp oi_ops\[\]/,/^};/p' "$src/frontend/onnx_ops.c" |
	sed -n 's/^[[:space:]]*{"\([A-Za-z0-9_]*\)".*/\1/p' | paste -sd, -)
if [ -z "$ops" ]; then
	echo "FAIL: no op table found in frontend/onnx_ops.c"
	exit 1
fi
# shellcheck disable=SC2086
"$CC" -std=c11 -O1 ${QC_CFLAGS:-} -I"$QRT_INCLUDE" -c "$here/driver.c" -o "$work/driver.o" || exit 1
"$py" "$here/pbconv.py" prepare "$ONNX_NODE_DIR" "$work" "$ops" >"$work/list" || exit 1

# The first error quantc printed, without its file:line:col prefix.
first_error() { grep -m1 'error:' "$1" | sed 's/^.*error: //'; }

# verdict KIND MESSAGE: what pbconv.py report prints for this test
verdict() { echo "$1 $2" >"$d/status"; }

# one_test NAME INPUTS OUTPUTS: leaves run_0.npy and c_K.raw (or status) in $d
one_test() {
	local name=$1 nin=$2 nout=$3 model=$ONNX_NODE_DIR/$1/model.onnx rc k
	local ins=() outs=() rins=() routs=()
	# pbconv.py's up-conversion of a test older than the opsets quantc reads
	[ -e "$d/model.onnx" ] && model=$d/model.onnx
	"$QUANTC" compile "$model" --precision f32 --name model -o "$d/m.o" 2>"$d/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		if [ $rc -ge 128 ] || ! grep -q 'error:' "$d/err"; then
			verdict FAIL "quantc compile exited $rc: $(head -c 300 "$d/err" | tr '\n' ' ')"
		else
			verdict UNSUPPORTED "$(first_error "$d/err")"
		fi
		return
	fi
	if [ -e "$d/data.err" ]; then
		verdict UNSUPPORTED "test data pbconv.py cannot read: $(head -c 200 "$d/data.err")"
		return
	fi
	# shellcheck disable=SC2086
	if ! "$CC" ${QC_CFLAGS:-} "$d/m.o" "$work/driver.o" "$QRT_LIB" -lm -o "$d/exe" 2>"$d/err"; then
		verdict FAIL "link: $(head -c 300 "$d/err" | tr '\n' ' ')"
		return
	fi
	for ((k = 0; k < nin; k++)); do ins+=("$d/in_$k.raw") rins+=(--input "$d/in_$k.npy"); done
	for ((k = 0; k < nout; k++)); do outs+=("$d/c_$k.raw") routs+=(-o "$d/run_$k.npy"); done
	if ! "$d/exe" "${ins[@]}" "${outs[@]}" 2>"$d/err"; then
		verdict FAIL "compiled model: $(head -c 300 "$d/err" | tr '\n' ' ')"
		return
	fi
	"$QUANTC" run "$model" --precision f32 "${rins[@]}" "${routs[@]}" 2>"$d/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		verdict FAIL "quantc run exited $rc: $(head -c 300 "$d/err" | tr '\n' ' ')"
	fi
}

tests=()
while read -r name nin nout; do
	echo "$name" | grep -Eq -- "$ONNX_TESTS" || continue
	d=$work/$name
	tests+=("$name:$nout")
	[ -e "$d/status" ] || one_test "$name" "$nin" "$nout"
done <"$work/list"
"$py" "$here/pbconv.py" report "$work" "$here/unsupported.txt" "${tests[@]}"
