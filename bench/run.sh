#!/bin/bash
# bench/run.sh — the latency benchmark of issue 9: quantc against
# onnxruntime-node and PyTorch on the Fashion-MNIST models, single thread,
# batch 1, on this machine, in one run (bench/README.md has a table and the
# method).
#
#   bash bench/run.sh [BUILD]
#
# BUILD is a quantc build directory; without it, build-bench in the checkout
# is configured and built.  Everything else is made here from the checkout:
# the data (make_data.py), the ONNX exports (export_onnx.py), the QDQ int8
# models (tests/e2e/make_qdq.py), the compiled objects.  Nothing is
# downloaded.  Settings from the environment:
#   BENCH_SECONDS  timed seconds per measurement (default 1)
#   BENCH_ROUNDS   rounds (default 1): every row is timed once per round,
#                  the rows in turn, and reported by the median of its
#                  rounds' medians and the least minimum, so that a slow
#                  spell of the machine falls on every engine alike
#   BENCH_CPU      the CPU every measurement is pinned to with taskset
#                  (default the last one)
#   BENCH_MODELS   the models (default "cnn mlp dscnn"; one without weights
#                  or export is skipped with a line saying so)
#   QC_NODE_PREFIX the npm prefix holding onnxruntime-node (default
#                  /opt/quantc-node, where .ci/install-deps puts it)
# Nothing here asserts on time; the exit status is 0 unless a tool is missing
# or a build fails.
# shellcheck source-path=SCRIPTDIR
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bench=$root/bench
ex=$root/examples/fashion_mnist
build=${1:-$root/build-bench}
secs=${BENCH_SECONDS:-1}
rounds=${BENCH_ROUNDS:-1}
models=${BENCH_MODELS:-cnn mlp dscnn}
node_prefix=${QC_NODE_PREFIX:-/opt/quantc-node}
py=/usr/bin/python3
cc=${CC:-cc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=lib.sh
. "$bench/lib.sh"

# --- build and data ------------------------------------------------------------
# (re)builds quantc and the runtime: nothing to do when they are up to date
bench_build
bench_fmnist_data
# the ONNX models, made afresh from the committed weights (a model without
# weights gets none, and its rows are skipped)
onnx=$work/onnx
say "exporting the ONNX and QDQ models"
for m in $models; do
	$py "$ex/export_onnx.py" "$onnx" "$m" > /dev/null 2>&1 || rm -f "$onnx/$m.onnx"
	[ ! -e "$root/tests/e2e/make_qdq.py" ] ||
		$py "$root/tests/e2e/make_qdq.py" "$onnx" "$data/calib.npy" "$m" > /dev/null 2>&1 ||
		rm -f "$onnx/${m}_qdq.onnx"
done
# the input of every measurement: the first test image, raw float32
$py -c 'import sys, numpy as np; np.load(sys.argv[1])[0].astype("<f4").tofile(sys.argv[2])' \
	"$data/test_x.npy" "$work/x.f32"

bench_pin

# --- tools -------------------------------------------------------------------------
bench_node
have_torch=0
if torch_version=$($py -c 'import torch; print(torch.__version__)' 2> /dev/null); then
	have_torch=1
else
	say "no torch for $py: the PyTorch rows are skipped"
fi

# src MODEL: the model quantc compiles (the .qg twin, else the ONNX export)
src() {
	if [ -e "$ex/$1.qg" ]; then
		echo "$ex/$1.qg"
	elif [ -s "$onnx/$1.onnx" ]; then
		echo "$onnx/$1.onnx"
	fi
}

# compile MODEL TAG NAME [OPTIONS]: $work/TAG/NAME.o and .h (C prefix NAME),
# linked with bench/time_model.c into $work/TAG/time
compile() {
	local model=$1 dir=$work/$2 name=$3
	shift 3
	qc_compile "$(src "$model")" "$data/calib.npy" "$dir" "$name" "$@"
}

# quantc_row MODEL TAG ENGINE PRECISION [OPTIONS]: compiles one object into
# $work/MODEL/TAG (its own: the rows are timed after every model compiled), a row
quantc_row() {
	local model=$1 tag=$1/$2 engine=$3 prec=$4
	shift 4
	if compile "$model" "$tag" "$model" "$@"; then
		timed "$model" "$engine" "$prec" "${pin[@]}" "$work/$tag/time" -t "$secs" "$work/x.f32"
	else
		echo "skipped $model $engine $prec: quantc compile $* failed"
	fi
}

# --- the clock ------------------------------------------------------------------
compile cnn clockprobe cnn --precision f32
bench_clock "$work/clockprobe/time"
bench_peak "$work/clockprobe/time"

# --- the measurements ---------------------------------------------------------
for m in $models; do
	if [ -z "$(src "$m")" ]; then
		echo "skipped $m: no $ex/$m.qg, and export_onnx.py made no $m.onnx (no weights in $ex/weights/$m?)"
		continue
	fi
	say "$m"
	if ! "$quantc" inspect -q "$(src "$m")" --calib "$data/calib.npy" > "$work/$m.inspect"; then
		echo "skipped $m: quantc inspect $(src "$m") failed"
		continue
	fi
	# layer rows: "N value op [act] prec dt shape s=.. zp=.. MACs params ...":
	# the MACs follow the quantization's zero point
	awk '$1 ~ /^[0-9]+$/ { for (i = 3; i < NF; i++) if ($i ~ /^zp=/) { print $2, $(i + 1); break } }' \
		"$work/$m.inspect" > "$work/$m.macs"
	macs=$(sed -n 's/^total: \([0-9]*\) MACs.*/\1/p' "$work/$m.inspect")
	echo "$m $macs" >> "$work/totals"

	# the default object (on x86-64: every level's kernels, one chosen at
	# run time) beside --mcpu native (the host's ISA alone), int8 and f32
	quantc_row "$m" i8 quantc int8
	quantc_row "$m" nat "quantc --mcpu native" int8 --mcpu native
	quantc_row "$m" gen "quantc --mcpu x86-64" int8 --mcpu x86-64
	quantc_row "$m" f32 quantc f32 --precision f32
	quantc_row "$m" nat32 "quantc --mcpu native" f32 --precision f32 --mcpu native

	# per layer: the instrumented object, a timestamp at every qrt_trace
	if compile "$m" tr "$m" --instrument; then
		"${pin[@]}" "$work/tr/time" -t "$secs" -l "$work/x.f32" > "$work/$m.layers"
		# id -> value, op from the header's list of layers
		sed -n 's/^ \* *\([0-9][0-9]*\)  *\([^ ]*\)  *\([^ ]*\) .*/\1 \2 \3/p' \
			"$work/tr/$m.h" > "$work/$m.ids"
	fi

	if [ $have_node = 1 ]; then
		for p in fp32 int8; do
			f=$onnx/$m.onnx
			[ $p = int8 ] && f=$onnx/${m}_qdq.onnx
			if [ ! -s "$f" ]; then
				echo "skipped onnxruntime $p $m: no $(basename "$f") (export_onnx.py or tests/e2e/make_qdq.py failed)"
				continue
			fi
			timed "$m" "onnxruntime $ort_version" "${p/int8/int8 QDQ}" env NODE_PATH="$node_prefix/node_modules" \
				"${pin[@]}" node "$bench/ort_time.js" "$f" "$work/x.f32" "$secs"
		done
	fi
	if [ $have_torch = 1 ]; then
		for e in fp32 onednn qnnpack; do
			p=int8
			[ $e = fp32 ] && p=fp32
			what="PyTorch $torch_version"
			[ $e != fp32 ] && what="$what $e"
			timed "$m" "$what" "$p" "${pin[@]}" $py "$bench/torch_time.py" "$m" "$e" "$work/x.f32" \
				"$data/calib.npy" "$secs"
		done
	fi
done
say "timing $nrow rows, $rounds round(s)"
time_rows

# onnxruntime-node's own cost of a call: a model of one Relu on the same input
ort_overhead=
if [ $have_node = 1 ] && $py -c '
import sys, onnx
from onnx import TensorProto, helper
v = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 1, 28, 28]) for n in "xy"]
g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "relu", [v[0]], [v[1]])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 8
onnx.save(m, sys.argv[1])' "$work/relu.onnx" 2> /dev/null; then
	ort_overhead=$(NODE_PATH=$node_prefix/node_modules "${pin[@]}" node "$bench/ort_time.js" \
		"$work/relu.onnx" "$work/x.f32" "$secs" 2> /dev/null | awk '{ print $2 }')
fi

# --- the tables ------------------------------------------------------------------
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $ncpu CPUs, $pin_what; load average at the start $load0, at the end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "clock: $(awk -v h="$clock_hz" 'BEGIN { printf "%.3f GHz", h / 1e9 }') from a $clock_how"
echo "$("$quantc" --version 2>/dev/null | head -1), ${cc} $("$cc" -dumpfullversion 2>/dev/null), onnxruntime-node ${ort_version:-absent}, torch ${torch_version:-absent}, node $(node --version 2>/dev/null || echo absent)"
echo "peak: $peak_how"
echo "timed ${secs} s per row after warm-up, $rounds round(s) of every row in turn (a row: the median of its rounds' medians, the least minimum); batch 1, one thread; MACs/cycle = MACs / (median s x clock Hz), against the peak of the row's precision ($peak int8, $fpeak f32)"
echo
echo "| model | engine | precision | median µs | min µs | runs | vs quantc int8 | MACs/cycle (% of peak) |"
echo "|---|---|---|---:|---:|---:|---:|---:|"
awk -F'|' -v hz="$clock_hz" -v peak="$peak" -v fpeak="$fpeak" -v totals="$work/totals" '
	BEGIN { while ((getline l < totals) > 0) { split(l, a, " "); macs[a[1]] = a[2] } }
	{ split($4, f, " "); med[NR] = f[2]; lo[NR] = f[4]; runs[NR] = f[6]; cls[NR] = f[8]
	  m[NR] = $1; e[NR] = $2; p[NR] = $3
	  if ($2 == "quantc" && $3 == "int8") base[$1] = f[2]; if ($2 == "quantc" && $3 == "f32") ref[$1] = f[8] }
	END {
		for (i = 1; i <= NR; i++) {
			r = base[m[i]] ? sprintf("%.2fx", med[i] / base[m[i]]) : "-"
			mc = "-"
			if (hz > 0 && macs[m[i]] > 0) {
				x = macs[m[i]] / (med[i] * 1e-6 * hz)
				pk = p[i] ~ /^int8/ ? peak : fpeak
				mc = sprintf("%.2f (%.1f%%)", x, 100 * x / pk)
			}
			# a different prediction on the same image: a different network
			note = (m[i] in ref && cls[i] != ref[m[i]]) ? sprintf(" (predicts class %s, quantc f32 %s)", cls[i], ref[m[i]]) : ""
			printf "| %s | %s%s | %s | %.1f | %.1f | %d | %s | %s |\n", m[i], e[i], note, p[i], med[i], lo[i], runs[i], r, mc
		}
	}' "$work/results"
# the default object against --mcpu native, from the same rounds
awk -F'|' '
	{ split($4, f, " ") }
	$2 == "quantc" { def[$1 "|" $3] = f[2]; dlo[$1 "|" $3] = f[4]; order[++n] = $1 "|" $3 }
	$2 == "quantc --mcpu native" { nat[$1 "|" $3] = f[2]; nlo[$1 "|" $3] = f[4] }
	END {
		for (i = 1; i <= n; i++) {
			k = order[i]
			if (!(k in nat)) continue
			if (!hdr++) {
				print ""
				print "default object (multi-ISA, chosen at run time) against --mcpu native (this CPU only), from the rows above:"
				print ""
				print "| model | precision | default median µs | native median µs | default / native | default min µs | native min µs |"
				print "|---|---|---:|---:|---:|---:|---:|"
			}
			split(k, a, "|")
			printf "| %s | %s | %.1f | %.1f | %.3f | %.1f | %.1f |\n", a[1], a[2], def[k], nat[k], def[k] / nat[k], dlo[k], nlo[k]
		}
	}' "$work/results"
[ -n "$ort_overhead" ] &&
	echo "(onnxruntime-node's cost of one call: $ort_overhead µs, the median latency of a model of one Relu on the same input; it is in every onnxruntime row)"
[ -e "$work/totals" ] && echo "(MACs per inference, from quantc inspect: $(tr '\n' ',' < "$work/totals" | sed 's/,$//; s/,/, /g'))"

for m in $models; do
	[ -s "$work/$m.layers" ] || continue
	echo
	echo "quantc int8 $m per layer (object compiled with --instrument; a timestamp at every qrt_trace call):"
	echo
	echo "| id | value | op | median µs | MACs | MACs/cycle (% of $peak) |"
	echo "|---:|---|---|---:|---:|---:|"
	awk -v hz="$clock_hz" -v peak="$peak" -v ids="$work/$m.ids" -v macsf="$work/$m.macs" '
		BEGIN {
			while ((getline l < ids) > 0) { split(l, a, " "); val[a[1]] = a[2]; op[a[1]] = a[3] }
			while ((getline l < macsf) > 0) { split(l, a, " "); macs[a[1]] = a[2] }
		}
		/^median_us/ { total = $2 }
		/^layer/ {
			id = $2; us = $4; sum += us
			v = (id == "end") ? "(outputs)" : val[id]; o = (id == "end") ? "dequantize" : op[id]
			if (id == 0) o = o " (quantize)"
			n = macs[v] + 0
			mc = (n > 0 && hz > 0) ? sprintf("%.2f (%.1f%%)", n / (us * 1e-6 * hz), 100 * n / (us * 1e-6 * hz) / peak) : "-"
			printf "| %s | %s | %s | %.2f | %s | %s |\n", id, v, o, us, (n > 0 ? n : "-"), mc
		}
		END { printf "\n(sum of the layer medians %.1f µs; median of the whole instrumented run %.1f µs)\n", sum, total }
	' "$work/$m.layers"
done
