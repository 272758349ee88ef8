#!/bin/bash
# bench/accuracy.sh — Fashion-MNIST test accuracy of the example models under
# each calibration method (docs/quantization.md has the table it prints).
#
#   bash bench/accuracy.sh [BUILD]     BUILD defaults to ./build
#   MODELS="cnn mlp dscnn"              the columns (default: all three)
#
# Needs BUILD/quantc, BUILD/libqrt.a and the data of
# examples/fashion_mnist/make_data.py in BUILD/data; the DSCNN is compiled
# from BUILD/data/onnx/dscnn.onnx (export_onnx.py, run here if missing).
# Every configuration is compiled to an object, linked with
# examples/fashion_mnist/demo.c and run on the whole test set (10,000
# images); the table is Markdown.  A configuration that does not compile
# (e.g. an SQNR target the model cannot reach) shows "n/a".
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
# shellcheck disable=SC2206
models=(${MODELS:-cnn mlp dscnn})
if [[ " ${models[*]} " = *" dscnn "* && ! -e $data/onnx/dscnn.onnx ]]; then
	/usr/bin/python3 "$ex/export_onnx.py" "$data/onnx" dscnn > /dev/null
fi
# an ONNX model declares no input range: range propagation alone needs it
printf 'inputs:\n  x: {range: [0.0, 1.0]}\n' > "$work/range.yaml"

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
	local model=$1 calib=(--calib "$data/calib.npy") src=$ex/$1.qg
	shift
	[ "$model" = dscnn ] && src=$data/onnx/dscnn.onnx
	# NOCALIB: ranges proven from the input's declared range alone
	if [ "${1:-}" = NOCALIB ]; then
		calib=()
		shift
		[ "$model" = dscnn ] && calib=(--config "$work/range.yaml")
	fi
	"$quantc" compile -q "$src" "${calib[@]}" "$@" -o "$work/$model.o" 2> /dev/null ||
		{ printf 'n/a'; return; }
	"$cc" -std=c11 -O2 -DMODEL="$model" -I"$work" -I"$root/runtime/include" \
		"$ex/demo.c" "$work/$model.o" "$build/libqrt.a" -o "$work/demo"
	"$work/demo" "$data/test_x.npy" "$data/test_y.npy" |
		sed -n 's/.* \([0-9]*\) of \([0-9]*\) test images correct.*/\1 \2/p' |
		awk '{ printf "%.2f", 100 * $1 / $2 }'
}

head="| configuration |" rule="|---|"
for m in "${models[@]}"; do
	head+=" ${m^^} |" rule+="---:|"
done
echo "$head"
echo "$rule"
for c in "${configs[@]}"; do
	name=${c%%|*} opts=${c#*|} row="| $name |"
	for m in "${models[@]}"; do
		# shellcheck disable=SC2086
		a=$(accuracy "$m" $opts)
		[ "$a" = n/a ] && row+=" n/a |" || row+=" $a % |"
	done
	echo "$row"
done
