#!/bin/bash
# bench/accuracy.sh — Fashion-MNIST test accuracy of the example models under
# each calibration method (docs/quantization.md has the table it prints).
#
#   bash bench/accuracy.sh [BUILD]     BUILD defaults to ./build
#
# Needs BUILD/quantc, BUILD/libqrt.a and the data of
# examples/fashion_mnist/make_data.py in BUILD/data.  Every configuration is
# compiled to an object, linked with examples/fashion_mnist/demo.c and run on
# the whole test set (10,000 images); the table is Markdown.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
quantc=$build/quantc
data=$build/data
ex=$root/examples/fashion_mnist
cc=${CC:-cc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for f in "$quantc" "$build/libqrt.a" "$data/calib.npy" "$data/test_x.npy" "$data/test_y.npy"; do
	[ -e "$f" ] || { echo "accuracy.sh: missing $f (build, then make_data.py $data)" >&2; exit 1; }
done

configs=(
	"f32|--precision f32"
	"int8 minmax|"
	"int8 percentile 99.99|--calibration percentile --percentile 99.99"
	"int8 percentile 99.9|--calibration percentile --percentile 99.9"
	"int8 entropy|--calibration entropy"
	"int8 mse|--calibration mse"
	"int8 minmax + bias correction|--bias-correction"
	"int8 range propagation only (no calibration data)|NOCALIB"
	"int16 (16x8) minmax|--precision int16"
	"auto mixed precision, min SQNR 45 dB|--precision auto --min-sqnr 45"
	"auto mixed precision, min SQNR 46.5 dB|--precision auto --min-sqnr 46.5"
)

# accuracy MODEL OPTIONS...: percent correct of the compiled model
accuracy() {
	local model=$1 calib=(--calib "$data/calib.npy")
	shift
	# NOCALIB: ranges proven from the input's declared range alone
	[ "${1:-}" = NOCALIB ] && { calib=(); shift; }
	"$quantc" compile -q "$ex/$model.qg" "${calib[@]}" "$@" -o "$work/$model.o"
	"$cc" -std=c11 -O2 -DMODEL="$model" -I"$work" -I"$root/runtime/include" \
		"$ex/demo.c" "$work/$model.o" "$build/libqrt.a" -o "$work/demo"
	"$work/demo" "$data/test_x.npy" "$data/test_y.npy" |
		sed -n 's/.* \([0-9]*\) of \([0-9]*\) test images correct.*/\1 \2/p' |
		awk '{ printf "%.2f", 100 * $1 / $2 }'
}

echo "| configuration | CNN | MLP |"
echo "|---|---:|---:|"
for c in "${configs[@]}"; do
	name=${c%%|*} opts=${c#*|}
	# shellcheck disable=SC2086
	cnn=$(accuracy cnn $opts)
	# shellcheck disable=SC2086
	mlp=$(accuracy mlp $opts)
	echo "| $name | $cnn % | $mlp % |"
done
