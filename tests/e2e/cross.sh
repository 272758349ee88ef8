#!/bin/bash
# cross.sh MODEL TRIPLE [MCPU] [MATTR] — the compiled model on a cross target
# under QEMU: compiles the example MODEL for TRIPLE, cross-builds the runtime
# and tests/cross/driver.c, links them, runs the result under QEMU on the
# first K Fashion-MNIST test images, and compares every output with the
# reference interpreter's, bit for bit (DESIGN sections 5 and 6).
#   QC_CROSS_IMAGES     K (default 100, at most QC_TEST_IMAGES)
#   QC_CROSS_PRECISION  quantc --precision (default int8)
#   QC_CROSS_CONFIG     a --config FILE.yaml for compile and interpreter
#                       (per-layer precisions: tests/e2e/mixed_cnn.yaml)
#   QC_CROSS_REQUANT    quantc --requant for compile and interpreter (float:
#                       onnxruntime's requantization, docs/requant.md)
#   QC_CROSS_TIMEOUT    seconds QEMU may run (default 300)
#   QC_CROSS_KEEP       a directory to copy the work files into when a check
#                       fails (the object, firmware, outputs), for debugging
. "$(dirname "$0")/lib.sh"
. "$QC_SRC/tests/cross/boards.sh"
model=$1 triple=$2 mcpu=${3:-} mattr=${4:-}
k=${QC_CROSS_IMAGES:-100}
[ "$QC_TEST_IMAGES" -lt "$k" ] && k=$QC_TEST_IMAGES   # the sanitizer build runs fewer
prec=${QC_CROSS_PRECISION:-int8}
cross=$QC_SRC/tests/cross
t0=$SECONDS

if ! cross_target "$triple" "$mcpu" "$mattr"; then
	fail "$triple: a target this test knows"
	finish
	exit
fi
t=$x_label
if ! cross_tools_present; then
	fail "$t: cross compiler and QEMU installed"
	finish
	exit
fi

# only_allowed_undefined OBJ: DESIGN section 4's list of undefined symbols,
# plus the toolchain helpers (libgcc / compiler-rt, all named __*)
only_allowed_undefined() {
	local extra
	extra=$("${x_cc%gcc}nm" -u "$1" | awk '{ print $NF }' |
		grep -vE '^(memcpy|memset|memmove|qrt_[A-Za-z0-9_]+|__[A-Za-z0-9_]+)$')
	[ -z "$extra" ] || { echo "unexpected undefined symbols:" "${extra//$'\n'/ }"; return 1; }
}

# run_qemu: runs fw.elf, output (semihosting writes to QEMU's stderr) in out.txt
run_qemu() {
	local s=$SECONDS
	echo "\$ timeout ${QC_CROSS_TIMEOUT:-300} ${x_run[*]} fw.elf"
	timeout "${QC_CROSS_TIMEOUT:-300}" "${x_run[@]}" "$work/fw.elf" > "$work/out.txt" 2>&1
	rc=$?
	run_secs=$((SECONDS - s))
	return $rc
}

check "$t: host tool xtool builds" "$CC" -std=c11 -O2 -Wall -Wextra -Werror "$cross/xtool.c" -o "$work/xtool"
check "$t: images.h holds the first $k test images" \
	"$work/xtool" images "$QC_DATA/test_x.npy" "$k" "$work/images.h" "$QC_DATA/test_y.npy"
qopts=(--precision "$prec" --calib "$QC_DATA/calib.npy" --target "$triple")
copts=()
what=$prec
if [ -n "${QC_CROSS_CONFIG:-}" ]; then
	copts=(--config "$QC_CROSS_CONFIG")
	what="$prec, $(basename "$QC_CROSS_CONFIG")"
fi
if [ -n "${QC_CROSS_REQUANT:-}" ]; then
	copts+=(--requant "$QC_CROSS_REQUANT")
	what="$what, --requant $QC_CROSS_REQUANT"
fi
qopts+=("${copts[@]}")
[ -n "$mcpu" ] && qopts+=(--mcpu "$mcpu")
[ -n "$mattr" ] && qopts+=(--mattr "$mattr")
echo "\$ quantc compile $model.qg ${qopts[*]} -o $model.o"
check "$t: quantc compiles $model ($what)" "$QUANTC" compile "$ex/$model.qg" "${qopts[@]}" -o "$work/$model.o"
if [ ! -s "$work/$model.o" ]; then
	finish
	exit
fi
check "$t: $model.o has only the undefined symbols DESIGN section 4 allows" only_allowed_undefined "$work/$model.o"
check "$t: runtime builds freestanding with $x_cc ${x_cflags[*]}" x_build_runtime "$work"
check "$t: driver, $model.o and runtime link" x_link_driver "$model" "$work" "$work"
if [ ! -s "$work/fw.elf" ]; then
	finish
	exit
fi
"${x_cc%gcc}size" "$work/fw.elf" | tail -1 | awk '{ print "firmware: text " $1 ", data " $2 ", bss " $3 " bytes" }'
check "$t: runs under QEMU and exits 0" run_qemu
echo "QEMU ran ${run_secs}s, exit status $rc"
grep -E '^(model|ERROR|DONE)' "$work/out.txt"
if ! grep -q '^DONE' "$work/out.txt"; then
	echo "--- last lines QEMU printed:"
	tail -20 "$work/out.txt"
fi
check "$t: reference images cut" "$NPYTOOL" head "$k" "$QC_DATA/test_x.npy" "$work/x.npy"
check "$t: interpreter ran" "$QUANTC" run "$ex/$model.qg" --precision "$prec" --calib "$QC_DATA/calib.npy" \
	"${copts[@]}" --input "$work/x.npy" -o "$work/ref.npy"
check "$t: $k images: outputs equal the interpreter's bit for bit" \
	"$work/xtool" compare "$work/out.txt" "$work/ref.npy" "$QC_DATA/test_y.npy"
if [ "$fails" -gt 0 ] && [ -n "${QC_CROSS_KEEP:-}" ]; then
	mkdir -p "$QC_CROSS_KEEP" && cp -r "$work"/. "$QC_CROSS_KEEP"/ && echo "work files kept in $QC_CROSS_KEEP"
fi
echo "summary: $t $model $what: $((checks - fails))/$checks checks passed, QEMU ${run_secs:-?}s, total $((SECONDS - t0))s"
finish
