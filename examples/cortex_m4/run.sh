#!/bin/bash
# run.sh [BUILD_DIR] — builds the Fashion-MNIST classifier for a Cortex-M4
# and runs it under QEMU (mps2-an386 board, semihosting); see README.md.
#   BUILD_DIR   quantc's CMake build directory (default: build in the checkout)
#   MODEL       cnn (default) or mlp
#   IMAGES      test images embedded in the firmware (default 100)
# Work files go to BUILD_DIR/cortex_m4/; the firmware is firmware.elf there.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
model=${MODEL:-cnn}
images=${IMAGES:-100}
out=$build/cortex_m4
data=$build/data
quantc=$build/quantc
. "$root/tests/cross/boards.sh"

if [ ! -x "$quantc" ]; then
	echo "run.sh: no $quantc; build quantc first:"
	echo "  cmake -S $root -B $build -G Ninja && cmake --build $build"
	exit 1
fi
cross_target thumbv7em-none-eabihf cortex-m4
cross_tools_present || exit 1
mkdir -p "$out"
if [ ! -s "$data/test_y.npy" ]; then
	echo "== making the Fashion-MNIST arrays in $data"
	/usr/bin/python3 "$root/examples/fashion_mnist/make_data.py" "$data"
fi

echo "== the first $images test images -> images.h"
cc -std=c11 -O2 -Wall -Wextra "$root/tests/cross/xtool.c" -o "$out/xtool"
"$out/xtool" images "$data/test_x.npy" "$images" "$out/images.h" "$data/test_y.npy"

echo "== quantc compile $model.qg for thumbv7em-none-eabihf, cortex-m4 (int8)"
"$quantc" compile "$root/examples/fashion_mnist/$model.qg" --calib "$data/calib.npy" \
	--target thumbv7em-none-eabihf --mcpu cortex-m4 -o "$out/$model.o"

echo "== $x_cc ${x_cflags[*]}: runtime, main.c, link"
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
arm-none-eabi-size "$out/firmware.elf" | awk 'NR == 2 {
	printf "firmware.elf: %d bytes of flash (code, weights, images), %d bytes of static RAM\n",
	       $1 + $2, $2 + $3 }'

echo "== ${x_run[*]} firmware.elf"
# semihosting output arrives on QEMU's stderr; QEMU exits with main's status
timeout 600 "${x_run[@]}" "$out/firmware.elf" 2>&1
