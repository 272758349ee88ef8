#!/bin/bash
# bench/cortex_m4_icount.sh — Cortex-M evidence without a board (issue 9
# item 4, issue 19 item 7): the deterministic instruction count of one int8
# inference of each model on a Cortex-M4, under QEMU (mps2-an386, -icount
# shift=0, the board's timer read around the call; bench/m4_icount.c says
# how), the stack the call used, and the code bytes beside the weight bytes
# of the model's object, for the Cortex-M4 and for the host.
#
#   bash bench/cortex_m4_icount.sh [BUILD]
#
# BUILD is a quantc build directory (default build-bench in the checkout,
# configured and built if needed).  BENCH_MODELS picks the models (default
# "cnn mlp dscnn kws ic vww ad").  cnn, mlp and dscnn are the Fashion-MNIST
# examples, calibrated on calib.npy, run through NAME_run (float in, float
# out) on the first 3 test images (one without a .qg or an ONNX export is
# skipped with a line saying so).  kws, ic, vww and ad are the four int8
# MLPerf Tiny models of tests/models/mlperf-tiny (keyword spotting, image
# classification, visual wake words, anomaly detection), compiled from the
# .tflite with no option but the target and run through NAME_run_q (int8 in,
# int8 out, as TFLite Micro runs them) on 3 pseudo-random int8 inputs.  squeezenet and
# shufflenet (not in the default list) are torchvision's squeezenet1_1 and
# shufflenet_v2_x0_5 at 96x96 (random weights, tests/zoo/export.py), the
# zoo models of bench/zoo.sh that fit a 2 MiB flash, run as kws is.  Each
# firmware runs twice; the two runs must print the same counts (the script
# says whether they do).  Nothing here asserts on the counts themselves.
# BENCH_LAYERS=1: the models are compiled with --instrument and the firmware
# prints each layer's instructions (the timer read in qrt_trace after every
# layer; a layer's count includes the few instructions of that call), listed
# after the model's lines by quantc inspect's layer number (-1: the input's
# quantization or copy; the trace ids are inspect's numbers + 1).
# BENCH_IMAGES (default 3) and BENCH_RUNS (default 2) shorten it, and
# BENCH_QUICK=1 leaves out the host object and the table (the models' runs
# only; BENCH_CALIB replaces calib.npy): the stack test
# (tests/e2e/scratch_stack_m4.sh) runs one image once that way.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
ex=$root/examples/fashion_mnist
build=${1:-$root/build-bench}
models=${BENCH_MODELS:-cnn mlp dscnn kws ic vww ad}
# the int8 MLPerf Tiny models, by the C prefix the bench gives them
declare -A tflite=([kws]=kws_ref_model [ic]=pretrainedResnet_quant [vww]=vww_96_int8 [ad]=ad01_int8)
# the zoo models small enough for a 2 MiB flash, by that prefix: torchvision
# (weights=None) at 96x96, exported by tests/zoo/export.py, calibrated on 8
# of its synthetic images; not in the default list (each takes a minute)
declare -A zoo=([squeezenet]=squeezenet1_1 [shufflenet]=shufflenet_v2_x0_5)
py=/usr/bin/python3
images=${BENCH_IMAGES:-3}
runs=${BENCH_RUNS:-2}
quick=${BENCH_QUICK:-0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$root/tests/cross/boards.sh"

if [ ! -x "$build/quantc" ]; then
	echo "== building quantc in $build" >&2
	cmake -S "$root" -B "$build" -G Ninja > "$work/cmake.log" ||
		{ cat "$work/cmake.log"; exit 1; }
	cmake --build "$build" --target quantc qrt > "$work/build.log" ||
		{ tail -40 "$work/build.log"; exit 1; }
fi
build=$(cd "$build" && pwd)
quantc=$build/quantc
data=$build/data
fmnist=0   # a Fashion-MNIST model is asked for: it needs the data set
for m in $models; do [ -n "${tflite[$m]:-}${zoo[$m]:-}" ] || fmnist=1; done
if [ "$fmnist" = 1 ] && { [ ! -s "$data/calib.npy" ] || [ ! -s "$data/test_x.npy" ]; }; then
	$py "$ex/make_data.py" "$data" > /dev/null
fi
cross_target thumbv7em-none-eabihf cortex-m4
cross_tools_present || exit 1
xcc() { "$x_cc" "${x_cflags[@]}" "$@"; }

if [ "$fmnist" = 1 ]; then
	cc -std=c11 -O2 "$root/tests/cross/xtool.c" -o "$work/xtool"
	"$work/xtool" images "$data/test_x.npy" "$images" "$work/images.h" "$data/test_y.npy"
fi
for s in "$root"/runtime/src/*.c; do
	xcc -std=c99 -ffreestanding -O2 -I"$root/runtime/include" -c "$s" \
		-o "$work/rt_$(basename "$s" .c).o"
done
# QEMU as the cross tests run it, with the instruction counter as the clock
# shellcheck disable=SC2054
qemu=("${x_run[@]:0:${#x_run[@]}-1}" -icount shift=0,align=off,sleep=off -kernel)

# sizes OBJ: "text rodata" bytes of an object (llvm-size -A: .text* sections;
# .rodata* and .data.rel.ro*, where the weights and the model tables go)
sizes() {
	llvm-size-19 -A "$1" | awk '$1 ~ /^\.text/ { t += $2 }
		$1 ~ /^\.rodata/ || $1 ~ /^\.data\.rel\.ro/ { r += $2 } END { print t + 0, r + 0 }'
}

rows=()
for m in $models; do
	# an MLPerf Tiny .tflite; else the .qg twin, else the ONNX export of the
	# committed weights
	src=$ex/$m.qg
	qopts=(--calib "${BENCH_CALIB:-$data/calib.npy}")
	fwopts=()
	if [ -n "${tflite[$m]:-}" ]; then
		src=$root/tests/models/mlperf-tiny/${tflite[$m]}.tflite
		qopts=()
		fwopts=(-DMODEL_UC="${m^^}" -DQINPUT="$images")
	elif [ -n "${zoo[$m]:-}" ]; then
		src=$work/$m.13.onnx
		$py "$root/tests/zoo/export.py" model "${zoo[$m]}" 96 "$work/$m" 13 > /dev/null 2>&1 || rm -f "$src"
		$py "$root/tests/zoo/export.py" images 96 8 1 "$work/calib-$m.npy"
		qopts=(--calib "$work/calib-$m.npy")
		fwopts=(-DMODEL_UC="${m^^}" -DQINPUT="$images")
	elif [ ! -e "$src" ]; then
		src=$work/$m.onnx
		$py "$ex/export_onnx.py" "$work" "$m" > /dev/null 2>&1 || rm -f "$src"
	fi
	if [ ! -s "$src" ]; then
		echo "skipped $m: no $ex/$m.qg, and export_onnx.py made no $m.onnx (no weights in $ex/weights/$m?)"
		continue
	fi
	mkdir -p "$work/$m"
	if [ "${BENCH_LAYERS:-0}" = 1 ]; then
		qopts+=(--instrument)
		fwopts+=(-DPER_LAYER)
	fi
	if ! "$quantc" compile -q "$src" "${qopts[@]}" --name "$m" \
		--target thumbv7em-none-eabihf --mcpu cortex-m4 -o "$work/$m/$m.o" ||
		{ [ "$quick" != 1 ] && ! "$quantc" compile -q "$src" "${qopts[@]}" --name "$m" \
			-o "$work/$m/host.o"; }; then
		echo "skipped $m: quantc compile failed"
		continue
	fi
	xcc -std=c11 -O2 -Wall -Wextra -DMODEL="$m" "${fwopts[@]}" -I"$work/$m" -I"$work" \
		-I"$root/runtime/include" -c "$root/bench/m4_icount.c" -o "$work/$m/main.o"
	xcc "$work/$m/main.o" "$work/$m/$m.o" "$work"/rt_*.o "${x_ldflags[@]}" -o "$work/$m/fw.elf"
	for r in $(seq 1 "$runs"); do
		timeout 600 "${qemu[@]}" "$work/$m/fw.elf" > "$work/$m/run$r.txt" 2>&1 ||
			{ echo "$m: QEMU run $r failed:"; cat "$work/$m/run$r.txt"; exit 1; }
	done
	if [ "$quick" = 1 ]; then
		echo "$m:"
		sed 's/^/  /' "$work/$m/run1.txt"
		continue
	fi
	same=no
	[ "$runs" -lt 2 ] && same=n/a
	[ "$runs" -ge 2 ] && cmp -s "$work/$m/run1.txt" "$work/$m/run2.txt" && same=yes
	iopts=("${qopts[@]}")
	[ "${BENCH_LAYERS:-0}" = 1 ] && unset 'iopts[${#iopts[@]}-1]'
	macs=$("$quantc" inspect -q "$src" "${iopts[@]}" | sed -n 's/^total: \([0-9]*\) MACs, \([0-9]*\) parameter bytes.*/\1 \2/p')
	read -r mtext mro <<< "$(sizes "$work/$m/$m.o")"
	read -r htext hro <<< "$(sizes "$work/$m/host.o")"
	echo "$m:"
	sed 's/^/  /' "$work/$m/run1.txt" | grep -v '^  layer '
	if [ "${BENCH_LAYERS:-0}" = 1 ]; then
		# layer ID -> instructions, beside inspect's row of layer ID (its MACs:
		# the column before the parameter bytes)
		"$quantc" inspect -q "$src" "${iopts[@]}" > "$work/$m/inspect.txt"
		awk 'NR == FNR { if ($1 ~ /^[0-9]+$/ && $3 != "" && !($1 in op)) { op[$1] = $2 " " $3; mac[$1] = $(NF - 3) } next }
			/^calib/ { ipt = 2 * ($4 - $2) / ($5 - $3) }
			/^layer/ { i = $2 - 1; n = $3 * ipt
				printf "  layer %d: %s, %d instructions", i, ($2 ? op[i] : "(the input)"), n
				if (mac[i] > 0) printf ", %d MACs, %.2f per MAC", mac[i], n / mac[i]
				printf "\n" }' \
			"$work/$m/inspect.txt" "$work/$m/run1.txt"
	fi
	rows+=("$(awk -v m="$m" -v same="$same" -v macs="${macs% *}" -v wb="${macs#* }" \
		-v mt="$mtext" -v mr="$mro" -v ht="$htext" -v hr="$hro" '
		/^calib/ { ipt = 2 * ($4 - $2) / ($5 - $3) }
		/^empty/ { e = $2 }
		/^arena/ { ar = $2 }
		/^image/ { n++; t = $4 - e; if (n == 1) t0 = lo = hi = t; lo = t < lo ? t : lo; hi = t > hi ? t : hi
			st = $8 > st ? $8 : st }
		END {
			ins = t0 * ipt
			printf "| %s | %.0f | ±%.0f | %.0f | %s | %.2f | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d |", m, ins, ipt,
			       (hi - lo) * ipt, same, ins / macs, macs, mt, mr, ht, hr, wb, mt + mr, ar, st, ar + st
		}' "$work/$m/run1.txt")")
done
[ "$quick" = 1 ] && exit 0

echo
echo "Cortex-M4 (thumbv7em-none-eabihf, cortex-m4), QEMU $(qemu-system-arm --version | sed -n '1s/.*version \([^ ]*\).*/\1/p') -M mps2-an386 -icount shift=0; quantc $("$quantc" --version | sed 's/^quantc //'); $(date -u '+%Y-%m-%d')"
echo "instructions: of NAME_run (float in, float out; cnn, mlp, dscnn) or NAME_run_q (int8 in, int8 out; kws, ic, vww, ad, squeezenet, shufflenet) on input 0 = ticks of the CMSDK timer around the call x instructions per tick (measured by the firmware);"
echo "spread: largest minus smallest count over inputs 0..$((images - 1)); same in 2 runs: QEMU run twice, identical output; weights B: quantc inspect's parameter bytes;"
echo "flash B: the Cortex-M4 object's .text + .rodata (code, weights, tables); arena B: NAME_ARENA_SIZE; stack B: the most the call used over the inputs (painted stack)"
echo
echo "| model | instructions per inference | resolution | spread over $images inputs | same in 2 runs | instructions per MAC | MACs | M4 .text B | M4 .rodata B | host .text B | host .rodata B | weights B | flash B | arena B | stack B | RAM B (arena + stack) |"
echo "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for r in "${rows[@]}"; do echo "$r"; done
