#!/bin/bash
# trace.sh [TRIPLE [MCPU]] — the debug twin: `quantc compile --instrument`
# and `quantc trace-diff` (docs/trace-format.md) on the seed CNN.
#   no argument: on the host
#     (a) the int8 (and f32) CNN compiled with --instrument, linked with
#         tests/trace/driver.c (a qrt_trace that prints records), traced on K
#         test images: trace-diff says the trace matches;
#     (b) one byte of one record changed: trace-diff names exactly that
#         sample, layer and element and exits 1; malformed traces are
#         diagnosed at TRACE:line and exit 1;
#     (d) without --instrument the object and header are unchanged (no
#         qrt_trace, byte-identical to a compile that never saw the flag),
#         and with it but the runtime's weak no-op qrt_trace the outputs are
#         the uninstrumented object's.
#   TRIPLE [MCPU]: (c) the same trace taken under QEMU on that target
#     (tests/cross/boards.sh; the firmware prints it through semihosting):
#     trace-diff says it matches.
#   QC_TRACE_IMAGES  K (default 3)
. "$(dirname "$0")/lib.sh"
triple=${1:-host} mcpu=${2:-}
k=${QC_TRACE_IMAGES:-3}
model=cnn
qg=$ex/$model.qg
cross=$QC_SRC/tests/cross
drv=$QC_SRC/tests/trace/driver.c
# 100 calibration samples, not 1000: nothing checked here depends on the
# count (the CNN calibrates in every compile, inspect and run of it)
"$NPYTOOL" head 100 "$QC_DATA/calib.npy" "$work/calib100.npy"
calib=(--calib "$work/calib100.npy")

# run_to OUT PROGRAM...: the program's standard output into $work/OUT
run_to() {
	local out=$work/$1
	shift
	"$@" > "$out"
}

# compile DIR [OPTIONS...]: the model into DIR/cnn.o and DIR/cnn.h
compile() {
	local dir=$work/$1
	shift
	mkdir -p "$dir" && "$QUANTC" compile "$qg" "$@" -o "$dir/$model.o"
}

# host_link DIR OUT [CFLAGS...]: the driver linked with DIR's object
host_link() {
	local dir=$work/$1 out=$2
	shift 2
	# shellcheck disable=SC2086
	"$CC" -std=c11 -O2 -Wall -Wextra -Werror ${QC_CFLAGS:-} "$@" -DMODEL=$model -DMODEL_UC=${model^^} \
		-I"$dir" -I"$work" -I"$QRT_INCLUDE" "$drv" "$dir/$model.o" "$QRT_LIB" -o "$work/$out"
}

# layers DIR: NAME_TRACE_LAYERS of DIR's header
layers() {
	sed -n "s/^#define ${model^^}_TRACE_LAYERS \([0-9]*\)u.*/\1/p" "$work/$1/$model.h"
}

# trace_diff TRACE [OPTIONS...]: trace-diff's output in $work/diff.txt, status in $diff_rc
trace_diff() {
	local trace=$1
	shift
	"$QUANTC" trace-diff "$qg" "$trace" --input "$work/x.npy" "$@" > "$work/diff.txt" 2>&1
	diff_rc=$?
	sed 's/^/    | /' "$work/diff.txt" | cut -c1-160
}

# layer_info DIR ID: "name op type bytes" of layer ID from DIR's header table
layer_info() {
	awk -v id="$2" '$1 == "*" && $2 == id && NF == 6 { print $3, $4, $5, $6; exit }' \
		"$work/$1/$model.h"
}

# unravel TYPE E: the coordinates of element E in TYPE's shape, "[0,5,1,6]"
unravel() {
	local dims e=$2 i out=""
	IFS=, read -r -a dims <<< "$(sed 's/.*\[\(.*\)\]/\1/' <<< "$1")"
	for ((i = ${#dims[@]} - 1; i >= 0; i--)); do
		out=$((e % dims[i]))${out:+,$out}
		e=$((e / dims[i]))
	done
	echo "[$out]"
}

# flip TRACE OUT SAMPLE LAYER BYTE: TRACE with one hex digit of that byte of
# that record changed (its low nibble goes to the next digit, f to 0)
flip() {
	awk -v s="$3" -v L="$4" -v pos="$5" '
		$1 == "S" { cur = $2 }
		$1 == "T" && cur == s && $2 == L {
			h = $4
			i = index("0123456789abcdef", substr(h, 2 * pos + 2, 1))
			$4 = substr(h, 1, 2 * pos + 1) substr("123456789abcdef0", i, 1) substr(h, 2 * pos + 3)
		}
		{ print }' "$1" > "$2"
}

host_tests() {
	local n line want info name op type bytes e coords rows

	# (d), first half: an uninstrumented compile before any instrumented one
	check "quantc compiles $model (int8) without --instrument" compile plain "${calib[@]}"

	# (a) the int8 CNN, traced on the host
	echo "\$ quantc compile $model.qg --calib calib.npy --instrument -o inst/$model.o"
	check "quantc compiles $model (int8) with --instrument" compile inst "${calib[@]}" --instrument
	n=$(layers inst)
	check "$model.h defines ${model^^}_TRACE_LAYERS ($n)" test -n "$n"
	check "$model.h lists layer 0 as the input x" test "$(layer_info inst 0 | cut -d' ' -f1,2)" = "x input"
	check "$model.h lists every layer id 0 .. $((n - 1))" test -n "$(layer_info inst $((n - 1)))"
	check "the instrumented object calls qrt_trace" grep -q ' U qrt_trace$' <(nm "$work/inst/$model.o")
	check "the driver links with the instrumented object and libqrt" host_link inst traced
	check "the traced program runs $k images and exits 0" run_to trace.txt "$work/traced"
	grep '^ERROR' "$work/trace.txt"   # a failed run or a damaged arena guard
	check "the trace holds $k samples of $n records" \
		test "$(grep -c '^S ' "$work/trace.txt"):$(grep -c '^T ' "$work/trace.txt")" = "$k:$((k * n))"
	trace_diff "$work/trace.txt" "${calib[@]}"
	want="trace matches: $k samples, $n layers"
	check "trace-diff: '$want', exit 0" \
		test "$diff_rc:$(tail -1 "$work/diff.txt")" = "0:$want"

	# (b) one byte changed: layer 3, sample 1 (the last one when K = 1), byte 1000
	local s=$((k > 1 ? 1 : 0)) id=3
	info=$(layer_info inst $id)
	read -r name op type bytes <<< "$info"
	e=$((1000 < bytes ? 1000 : bytes - 1))
	coords=$(unravel "$type" "$e")
	flip "$work/trace.txt" "$work/bad.txt" "$s" "$id" "$e"
	check "the altered trace differs from the original in exactly one byte" \
		test "$(cmp -l "$work/trace.txt" "$work/bad.txt" | wc -l)" = 1
	trace_diff "$work/bad.txt" "${calib[@]}"
	check "trace-diff on the altered trace exits 1" test "$diff_rc" = 1
	want="first difference: sample $s, layer $id ($name = $op, $type), element $e $coords"
	check "trace-diff names it: '$want'" grep -qxF "$want" "$work/diff.txt"
	rows=$(awk '/^per layer/ { on = 1; next } on && $1 ~ /^[0-9]+$/ && $5 != 0 { print $1 ":" $5 ":" $6 }' \
		"$work/diff.txt")
	check "its summary shows layer $id alone differing, in 1 sample, 1 element" test "$rows" = "$id:1:1"
	check "trace-diff ends with 'trace differs: 1 of $k samples'" \
		test "$(tail -1 "$work/diff.txt")" = "trace differs: 1 of $k samples"

	# malformed traces: a record cut short, a record missing, a sample missing
	line=$(awk -v s="$s" -v L="$id" '$1 == "S" { cur = $2 } $1 == "T" && cur == s && $2 == L { print NR; exit }' \
		"$work/trace.txt")
	sed "${line}s/.\{10\}\$//" "$work/trace.txt" > "$work/cut.txt"
	trace_diff "$work/cut.txt" "${calib[@]}"
	check "a record cut short: diagnosed at cut.txt:$line, exit 1" \
		test "$diff_rc:$(grep -c "^$work/cut.txt:$line:[0-9]*: error: layer $id has" "$work/diff.txt")" = 1:1
	sed "${line}d" "$work/trace.txt" > "$work/gap.txt"
	trace_diff "$work/gap.txt" "${calib[@]}"
	check "a record missing: diagnosed at gap.txt:$line, exit 1" \
		test "$diff_rc:$(grep -c "^$work/gap.txt:$line:[0-9]*: error: sample $s: layer $((id + 1)) where layer $id was expected" "$work/diff.txt")" = 1:1
	awk -v last=$((k - 1)) '$1 == "S" && $2 == last { exit } { print }' "$work/trace.txt" > "$work/short.txt"
	trace_diff "$work/short.txt" "${calib[@]}"
	check "a sample missing: diagnosed, exit 1" \
		test "$diff_rc:$(grep -c "sample $((k - 1)) is missing" "$work/diff.txt")" = 1:1

	# (a) the f32 model: float records
	check "quantc compiles $model (f32) with --instrument" compile f32 --precision f32 --instrument
	check "the driver links with the f32 object" host_link f32 traced_f32
	check "the f32 program runs and exits 0" run_to trace_f32.txt "$work/traced_f32"
	trace_diff "$work/trace_f32.txt" --precision f32
	want="trace matches: $k samples, $(layers f32) layers"
	check "trace-diff --precision f32: '$want', exit 0" \
		test "$diff_rc:$(tail -1 "$work/diff.txt")" = "0:$want"

	# (d) without the flag nothing changes
	check "quantc compiles $model (int8) without --instrument again, after the instrumented ones" \
		compile plain2 "${calib[@]}"
	check "the uninstrumented objects are byte-identical" cmp "$work/plain/$model.o" "$work/plain2/$model.o"
	check "the uninstrumented headers are byte-identical" cmp "$work/plain/$model.h" "$work/plain2/$model.h"
	check "the uninstrumented object has no qrt_trace" \
		test "$(nm "$work/plain/$model.o" | grep -c qrt_trace)" = 0
	check "the uninstrumented header has no trace table" \
		test "$(grep -c TRACE "$work/plain/$model.h")" = 0
	check "the instrumented object differs from it" \
		test "$(cmp -s "$work/plain/$model.o" "$work/inst/$model.o"; echo $?)" = 1
	check "the driver links with the uninstrumented object" host_link plain untraced -DNO_TRACE
	check "the driver links with the instrumented object and libqrt's weak qrt_trace" \
		host_link inst weak -DNO_TRACE
	run_to untraced.txt "$work/untraced"
	run_to weak.txt "$work/weak"
	check "the runtime's weak qrt_trace prints nothing; outputs equal the uninstrumented object's" \
		cmp "$work/untraced.txt" "$work/weak.txt"
	check "the traced run's outputs equal them too" \
		cmp "$work/untraced.txt" <(grep -v '^[HST] ' "$work/trace.txt")
}

# run_qemu: the firmware under QEMU; semihosting writes to QEMU's stderr
run_qemu() {
	timeout "${QC_CROSS_TIMEOUT:-300}" "${x_run[@]}" "$work/fw/fw.elf" > "$work/fw/trace.txt" 2>&1
}

cross_tests() {
	. "$cross/boards.sh"
	local n want
	if ! cross_target "$triple" "$mcpu" ""; then
		fail "$triple: a target this test knows"
		return
	fi
	if ! cross_tools_present; then
		fail "$x_label: cross compiler and QEMU installed"
		return
	fi
	local t=$x_label qopts=("${calib[@]}" --target "$triple")
	[ -n "$mcpu" ] && qopts+=(--mcpu "$mcpu")
	echo "\$ quantc compile $model.qg ${qopts[*]} --instrument -o $model.o"
	check "$t: quantc compiles $model with --instrument" compile fw "${qopts[@]}" --instrument
	n=$(layers fw)
	local s ok=0
	for s in "$QC_SRC"/runtime/src/*.c; do
		"$x_cc" "${x_cflags[@]}" -std=c99 -ffreestanding -O2 -Wall -Wextra -Werror -I"$QRT_INCLUDE" \
			-c "$s" -o "$work/fw/rt_$(basename "$s" .c).o" || ok=1
	done
	check "$t: the runtime (with its weak qrt_trace) builds freestanding" test $ok = 0
	check "$t: the firmware links (the driver's qrt_trace over the runtime's)" \
		"$x_cc" "${x_cflags[@]}" -std=c11 -O2 -Wall -Wextra -Werror -DMODEL=$model -DMODEL_UC=${model^^} \
		-I"$work/fw" -I"$work" -I"$QRT_INCLUDE" "$drv" "$work/fw/$model.o" "$work/fw"/rt_*.o \
		"${x_ldflags[@]}" -o "$work/fw/fw.elf"
	echo "\$ timeout ${QC_CROSS_TIMEOUT:-300} ${x_run[*]} fw.elf"
	local t0=$SECONDS
	check "$t: the firmware runs under QEMU and exits 0" run_qemu
	grep '^ERROR' "$work/fw/trace.txt"   # a failed run or a damaged arena guard
	echo "QEMU ran $((SECONDS - t0))s, printed $(wc -c < "$work/fw/trace.txt") bytes"
	check "$t: the trace holds $k samples of $n records" \
		test "$(grep -c '^S ' "$work/fw/trace.txt"):$(grep -c '^T ' "$work/fw/trace.txt")" = "$k:$((k * n))"
	trace_diff "$work/fw/trace.txt" "${calib[@]}"
	want="trace matches: $k samples, $n layers"
	check "$t: trace-diff: '$want', exit 0" test "$diff_rc:$(tail -1 "$work/diff.txt")" = "0:$want"
}

# the images both halves run: images.h for the C driver, x.npy for trace-diff
check "xtool builds" "$CC" -std=c11 -O2 -Wall -Wextra -Werror "$cross/xtool.c" -o "$work/xtool"
check "images.h holds the first $k test images" \
	run_to xtool.txt "$work/xtool" images "$QC_DATA/test_x.npy" "$k" "$work/images.h"
check "x.npy holds the same $k images" "$NPYTOOL" head "$k" "$QC_DATA/test_x.npy" "$work/x.npy"

if [ "$triple" = host ]; then
	host_tests
else
	cross_tests
fi
finish
