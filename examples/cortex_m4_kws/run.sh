#!/bin/bash
# run.sh [BUILD_DIR] — builds the keyword-spotting firmware (the MLPerf Tiny
# DS-CNN, kws_ref_model.tflite, compiled by quantc for a Cortex-M4) and runs
# it under QEMU (mps2-an386 board, semihosting); see README.md.
#   BUILD_DIR   a CMake build folder of quantc: its quantc is used, and the
#               work files go to BUILD_DIR/cortex_m4_kws/.  Without it,
#               quantc is $QUANTC, else build/quantc in this checkout, else
#               the quantc on PATH; the work files go to cortex_m4_kws/
#               beside that build/quantc, or in the current folder.
#   WHERE=1     only print the quantc and the folder it would use
#   CHECK=1     (the test) also run `quantc run` on the same vectors and
#               check that each class and every int8 output of the firmware
#               equal the interpreter's (tests/cross/qtool.py)
#   CHECK_README=1  (the test) compare README.md's output and figures with
#               this run's
# The firmware is firmware.elf in the work folder; run.log there holds
# everything this script printed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
model=$root/tests/models/mlperf-tiny/kws_ref_model.tflite

how="pass quantc's build folder (bash $0 BUILD_DIR), set QUANTC=/path/to/quantc, or put quantc on PATH; to build it: cmake -S $root -B $root/build -G Ninja && cmake --build $root/build"
if [ $# -gt 0 ]; then
	if [ ! -d "$1" ]; then
		echo "run.sh: no folder '$1'; $how" >&2
		exit 1
	fi
	base=$(cd "$1" && pwd)
	quantc=${QUANTC:-$base/quantc}
	if [ ! -x "$quantc" ]; then
		echo "run.sh: '$1' holds no quantc (not a build folder of quantc, or not built yet); $how" >&2
		exit 1
	fi
elif [ -n "${QUANTC:-}" ]; then
	quantc=$QUANTC
	[ -x "$quantc" ] || { echo "run.sh: QUANTC=$quantc is not an executable; $how" >&2; exit 1; }
	base=$PWD
elif [ -x "$root/build/quantc" ]; then
	quantc=$root/build/quantc
	base=$root/build
elif command -v quantc > /dev/null; then
	quantc=$(command -v quantc)
	base=$PWD
else
	echo "run.sh: no quantc found; $how" >&2
	exit 1
fi
out=$base/cortex_m4_kws
if [ "${WHERE:-0}" = 1 ]; then
	echo "quantc: $quantc"
	echo "work folder: $out"
	exit 0
fi
. "$root/tests/cross/boards.sh"
cross_target thumbv7em-none-eabihf cortex-m4
cross_tools_present || exit 1
mkdir -p "$out"
log=$out/run.log
: > "$log"
# say MESSAGE...: print and log
say() { echo "$*" | tee -a "$log"; }

say "== quantc compile kws_ref_model.tflite for thumbv7em-none-eabihf, cortex-m4"
"$quantc" compile "$model" --name kws --target thumbv7em-none-eabihf --mcpu cortex-m4 -o "$out/kws.o"

say "== $x_cc ${x_cflags[*]}: runtime, main.c, link"
objs=()
for s in "$root"/runtime/src/*.c; do
	o=$out/qrt_$(basename "$s" .c).o
	"$x_cc" "${x_cflags[@]}" -std=c99 -ffreestanding -O2 -I"$root/runtime/include" -c "$s" -o "$o"
	objs+=("$o")
done
"$x_cc" "${x_cflags[@]}" -std=c11 -O2 -Wall -Wextra -Werror -I"$out" -I"$here" -I"$root/runtime/include" \
	-c "$here/main.c" -o "$out/main.o"
"$x_cc" "${x_cflags[@]}" "$out/main.o" "$out/kws.o" "${objs[@]}" "${x_ldflags[@]}" -o "$out/firmware.elf"
# the sizes: the object's code (.text*) and read-only data (.rodata*: the
# int8 weights, biases and the model's tables), as llvm-size counts them;
# the firmware's flash and static RAM as arm-none-eabi-size does
llvm-size-19 -A "$out/kws.o" | awk '$1 ~ /^\.text/ { t += $2 }
	$1 ~ /^\.rodata/ || $1 ~ /^\.data\.rel\.ro/ { r += $2 } $1 ~ /^\.(data|bss)/ { d += $2 }
	END { printf "kws.o: %d bytes of flash: %d bytes of code, %d bytes of weights and tables (.rodata); %d bytes of other data\n",
	      t + r, t, r, d }' | tee -a "$log"
arm-none-eabi-size "$out/firmware.elf" | awk 'NR == 2 {
	printf "firmware.elf: %d bytes of flash (model, runtime, main.c, test vectors, C library), %d bytes of static RAM\n",
	       $1 + $2, $2 + $3 }' | tee -a "$log"

say "== ${x_run[*]} firmware.elf"
# semihosting output arrives on QEMU's stderr; QEMU exits with main's status
set +e
timeout 300 "${x_run[@]}" "$out/firmware.elf" > "$out/qemu.txt" 2>&1
rc=$?
set -e
tee -a "$log" < "$out/qemu.txt"
[ "$rc" -eq 0 ] || { echo "run.sh: the firmware exited with status $rc" >&2; exit "$rc"; }

# --- the firmware's classes and int8 outputs are the interpreter's ------------
if [ "${CHECK:-0}" = 1 ]; then
	py=/usr/bin/python3
	# "input int8 [1,49,10,1]: scale ... (float bits HEX), zero point ZP"
	quant() { sed -n "s/^$1 int8 \[\([0-9,]*\)\]: scale [0-9.]* (float bits \([0-9a-f]*\)), zero point \(-*[0-9]*\)$/\1 \2 \3/p" "$out/qemu.txt"; }
	read -r ishape iscale izp <<< "$(quant input)"
	read -r _ oscale ozp <<< "$(quant output)"
	sed -n 's/^  int8 outputs: //p' "$out/qemu.txt" > "$out/y.txt"
	sed -n 's/^vector [0-9]* (.*): class \([0-9]*\) .*/\1/p' "$out/qemu.txt" > "$out/classes.txt"
	echo "== check: quantc run on the same vectors"
	"$py" "$root/tests/cross/qtool.py" inputs "$ishape" "$iscale" "$izp" "$out/x.npy" --header "$here/kws_inputs.h"
	"$quantc" run "$model" --input "$out/x.npy" -o "$out/ref.npy"
	"$py" "$root/tests/cross/qtool.py" compare "$out/y.txt" "$out/ref.npy" "$oscale" "$ozp"
	"$py" -c 'import sys, numpy as np
ref = np.load(sys.argv[1]).reshape(-1, 12).argmax(1).tolist()
fw = [int(c) for c in open(sys.argv[2]).read().split()]
print("classes: firmware %s, quantc run %s" % (fw, ref))
sys.exit(0 if fw == ref else 1)' "$out/ref.npy" "$out/classes.txt" ||
		{ echo "check: FAIL: the firmware's classes are not the interpreter's"; exit 1; }
	echo "check: every class and int8 output equals quantc run's"
fi

# --- the README's figures are this run's -------------------------------------
if [ "${CHECK_README:-0}" = 1 ]; then
	readme=$here/README.md
	bad=0 shown=0
	# every line of its output block (but "...") is a line of this run
	while IFS= read -r line; do
		[ "$line" = "..." ] && continue
		shown=$((shown + 1))
		if grep -qxF -- "$line" "$log"; then
			echo "README check: ok: '$line'"
		else
			echo "README check: FAIL: the README shows '$line', not printed by this run"; bad=1
		fi
	done < <(awk '/^## Output/ { sec = 1 } sec && /^```$/ { n++; next } sec && n == 1' "$readme")
	# every size its "What the firmware uses" states is a byte count this run printed
	while read -r fig unit; do
		fig=${fig//,/}
		if [ "$unit" != bytes ]; then
			echo "README check: FAIL: the README states '$fig $unit': give sizes in bytes, as run.sh prints them"; bad=1
		elif grep -qE "(^|[^0-9])$fig bytes" "$log"; then
			echo "README check: ok: $fig bytes"
		else
			echo "README check: FAIL: the README states $fig bytes, which this run does not print"; bad=1
		fi
	done < <(awk '/^## / { sec = ($0 == "## What the firmware uses") } sec' "$readme" |
		grep -oE '[0-9][0-9,.]* ?(bytes|B|kB|KB|KiB|MB|MiB)\b' | sed -E 's/([0-9]) ?([a-zA-Z])/\1 \2/' | sort -u)
	if [ "$shown" -lt 5 ]; then
		echo "README check: FAIL: README.md has no output block under '## Output' ($shown lines)"; bad=1
	fi
	[ "$bad" -eq 0 ] || exit 1
	echo "README check: README.md's output and figures are this run's"
fi
