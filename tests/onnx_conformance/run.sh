#!/bin/bash
# run.sh [SET...] — the ONNX conformance runner over Debian's libonnx-testdata
# (/usr/share/libonnx-testdata/data/SET).  Each test goes through `quantc run`
# (the reference interpreter) and through `quantc compile` linked with
# driver.c, both in f32, and is compared with the test's expected output
# (pbconv.py; rtol 1e-3, atol 1e-5).  Models are read as shipped, in the
# opset they were saved in (quantc reads opsets 1 to 21).
#   node (the default): every node test whose op types all appear in the
#     importer's table (frontend/onnx_ops.c; Upsample counts as Resize).
#     Graph inputs that quantc takes at compile time (pads, shapes, weights:
#     the COMPILE_TIME table in pbconv.py) become initializers first.
#     Refusals are listed in unsupported.txt.
#   pytorch-converted, pytorch-operator, simple: every case, as shipped (no
#     input made an initializer); refusals are listed in
#     unsupported-SET.txt.  A reason starting "pending:" marks a case that
#     waits for an operator or input type being added on another branch.
#     A case listed in bind.txt has an input that quantc takes at compile
#     time (an Expand's shape): its test data goes to `--bind NAME=FILE`
#     of compile and run, the other inputs are fed at run time.
# Prints PASS / FAIL / UNSUPPORTED per test and per set a total and the
# counts "accepted and matching / refused by name / total"; exits 1 if any
# test computed wrong numbers (or crashed), if quantc refused a test that
# the set's list does not name (with the feature it uses), or if a listed
# test now passes (a stale entry).
#   env: QUANTC (required), QRT_LIB, QRT_INCLUDE, CC, QC_CFLAGS,
#        ONNX_DATA_DIR (default /usr/share/libonnx-testdata/data),
#        ONNX_TESTS (a grep -E pattern to run a subset)
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
: "${QUANTC:?set QUANTC to the quantc binary}"
: "${QRT_LIB:=$(dirname "$QUANTC")/libqrt.a}"
: "${QRT_INCLUDE:=$src/runtime/include}"
: "${CC:=cc}"
: "${ONNX_DATA_DIR:=/usr/share/libonnx-testdata/data}"
: "${ONNX_TESTS:=.}"
py=/usr/bin/python3
sets=("$@")
[ ${#sets[@]} -gt 0 ] || sets=(node)

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

# The first error quantc printed, without its file:line:col prefix.
first_error() { grep -m1 'error:' "$1" | sed 's/^.*error: //'; }

# verdict KIND MESSAGE: what pbconv.py report prints for this test
verdict() { echo "$1 $2" >"$d/status"; }

# bind_index MODEL NAME: the position of graph input NAME among the inputs
# that are not initializers (test_data_set_0's input_K.pb numbering)
bind_index() {
	"$py" -c "
import onnx, sys
g = onnx.load(sys.argv[1]).graph
inits = {t.name for t in g.initializer}
print([i.name for i in g.input if i.name not in inits].index(sys.argv[2]))" "$1" "$2"
}

# one_test DIR NAME INPUTS OUTPUTS: leaves run_K.npy and c_K.raw (or status) in $d
one_test() {
	local name=$2 nin=$3 nout=$4 model=$1/$2/model.onnx rc k
	local ins=() outs=() rins=() routs=() binds=() skip=()
	# pbconv.py's copy with compile-time inputs made initializers
	[ -e "$d/model.onnx" ] && model=$d/model.onnx
	# bind.txt: inputs bound at compile time (their test data, by --bind)
	while IFS=$'\t' read -r bcase bname _; do
		[ "$bcase" = "$name" ] || continue
		k=$(bind_index "$model" "$bname") || { verdict FAIL "bind.txt: no input '$bname'"; return; }
		binds+=(--bind "$bname=$d/in_$k.npy")
		skip[k]=1
	done < <(grep -v '^#' "$here/bind.txt")
	# one x86-64 level (not the multi-level default): the numbers are under test here
	"$QUANTC" compile "$model" --precision f32 --mcpu x86-64 --name model "${binds[@]}" \
		-o "$d/m.o" 2>"$d/err"
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
	for ((k = 0; k < nin; k++)); do
		[ -n "${skip[k]:-}" ] && continue
		ins+=("$d/in_$k.raw") rins+=(--input "$d/in_$k.npy")
	done
	for ((k = 0; k < nout; k++)); do outs+=("$d/c_$k.raw") routs+=(-o "$d/run_$k.npy"); done
	if ! "$d/exe" "${ins[@]}" "${outs[@]}" 2>"$d/err"; then
		verdict FAIL "compiled model: $(head -c 300 "$d/err" | tr '\n' ' ')"
		return
	fi
	"$QUANTC" run "$model" --precision f32 "${binds[@]}" "${rins[@]}" "${routs[@]}" 2>"$d/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		verdict FAIL "quantc run exited $rc: $(head -c 300 "$d/err" | tr '\n' ' ')"
	fi
}

status=0
for set in "${sets[@]}"; do
	dir=$ONNX_DATA_DIR/$set
	list=$here/unsupported-$set.txt
	filter=$ops
	if [ "$set" = node ]; then
		list=$here/unsupported.txt
	else
		filter='*' # every case of a model set counts
	fi
	if [ ! -d "$dir" ] || [ ! -e "$list" ]; then
		echo "FAIL: no test set $dir (apt-get install libonnx-testdata) or no list $list"
		status=1
		continue
	fi
	mkdir -p "$work/$set"
	"$py" "$here/pbconv.py" prepare "$dir" "$work/$set" "$filter" >"$work/$set.list" || exit 1
	tests=()
	while read -r name nin nout; do
		echo "$name" | grep -Eq -- "$ONNX_TESTS" || continue
		d=$work/$set/$name
		tests+=("$name:$nout")
		[ -e "$d/status" ] || one_test "$dir" "$name" "$nin" "$nout"
	done <"$work/$set.list"
	"$py" "$here/pbconv.py" report "$work/$set" "$list" "$set" "${tests[@]}" || status=1
done
exit $status
