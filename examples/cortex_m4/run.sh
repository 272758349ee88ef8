#!/bin/bash
# run.sh [BUILD_DIR] — builds the Fashion-MNIST classifier for a Cortex-M4
# and runs it under QEMU (mps2-an386 board, semihosting); see README.md.
#   BUILD_DIR   a CMake build folder of quantc: its quantc is used, and the
#               work files go to BUILD_DIR/cortex_m4/.  Without it, quantc
#               is $QUANTC, else build/quantc in this checkout, else the
#               quantc on PATH; the work files go to cortex_m4/ beside that
#               build/quantc, or in the current folder.
#   MODEL       cnn (default) or mlp
#   IMAGES      test images embedded in the firmware (default 100)
#   WHERE=1     only print the quantc and the folder it would use
#   CHECK_README=1  (the test) compare README.md's output and figures with
#               this run's; the README shows the default run
# The firmware is firmware.elf in the work folder; run.log there holds
# everything this script printed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
model=${MODEL:-cnn}
images=${IMAGES:-100}

how="pass quantc's build folder (bash $0 BUILD_DIR), set QUANTC=/path/to/quantc, or put quantc on PATH; to build it: cmake -S $root -B $root/build -G Ninja && cmake --build $root/build"
if [ $# -gt 0 ]; then
	if [ ! -d "$1" ]; then
		echo "run.sh: no folder '$1'; $how" >&2
		exit 1
	fi
	base=$(cd "$1" && pwd)
	quantc=$base/quantc
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
out=$base/cortex_m4
data=${QC_DATA:-$base/data}
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

if [ ! -s "$data/test_y.npy" ]; then
	say "== making the Fashion-MNIST arrays in $data"
	/usr/bin/python3 "$root/examples/fashion_mnist/make_data.py" "$data"
fi

say "== the first $images test images -> images.h"
cc -std=c11 -O2 -Wall -Wextra "$root/tests/cross/xtool.c" -o "$out/xtool"
"$out/xtool" images "$data/test_x.npy" "$images" "$out/images.h" "$data/test_y.npy"

say "== quantc compile $model.qg for thumbv7em-none-eabihf, cortex-m4 (int8)"
"$quantc" compile "$root/examples/fashion_mnist/$model.qg" --calib "$data/calib.npy" \
	--target thumbv7em-none-eabihf --mcpu cortex-m4 -o "$out/$model.o"

say "== $x_cc ${x_cflags[*]}: runtime, main.c, link"
objs=()
for s in "$root"/runtime/src/*.c; do
	o=$out/qrt_$(basename "$s" .c).o
	"$x_cc" "${x_cflags[@]}" -std=c99 -ffreestanding -O2 -I"$root/runtime/include" -c "$s" -o "$o"
	objs+=("$o")
done
"$x_cc" "${x_cflags[@]}" -std=c11 -O2 -Wall -Wextra -DMODEL="$model" -DMODEL_UC="${model^^}" \
	-I"$out" -I"$root/runtime/include" -c "$here/main.c" -o "$out/main.o"
"$x_cc" "${x_cflags[@]}" "$out/main.o" "$out/$model.o" "${objs[@]}" "${x_ldflags[@]}" \
	-o "$out/firmware.elf"
# the sizes, as arm-none-eabi-size counts them (text includes .rodata)
arm-none-eabi-size "$out/$model.o" | awk -v m="$model" 'NR == 2 {
	printf "%s.o: %d bytes of flash (code and int8 weights)\n", m, $1 + $2 }' | tee -a "$log"
say "images.h: $((images * 784)) bytes of flash ($images images of 28x28 pixels)"
arm-none-eabi-size "$out/firmware.elf" | awk 'NR == 2 {
	printf "firmware.elf: %d bytes of flash (code, weights, images), %d bytes of static RAM\n",
	       $1 + $2, $2 + $3 }' | tee -a "$log"

say "== ${x_run[*]} firmware.elf"
# semihosting output arrives on QEMU's stderr; QEMU exits with main's status
set +e
timeout 600 "${x_run[@]}" "$out/firmware.elf" 2>&1 | tee -a "$log"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 0 ] || exit "$rc"

# --- the README's figures are this run's -------------------------------------
if [ "${CHECK_README:-0}" = 1 ]; then
	readme=$here/README.md
	if [ "$model" != cnn ] || [ "$images" != 100 ]; then
		echo "README check: the README shows MODEL=cnn IMAGES=100, this run is $model, $images" >&2
		exit 1
	fi
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
	# every size its "What the firmware uses" states is a byte count this
	# run printed (a rounded "63 KB" could not be checked: it is refused)
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
