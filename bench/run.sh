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
peak=64   # int8 MACs per cycle per core: one AVX-512 VNNI vpdpbusd (64 MACs) a cycle,
          # unless time_model -p measures more (below)
fpeak=16  # f32 MACs per cycle: one vmulps and one vaddps zmm a cycle, or as measured
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

say() { echo "== $*" >&2; }

# --- build and data ------------------------------------------------------------
# (re)builds quantc and the runtime: nothing to do when they are up to date
if [ ! -e "$build/CMakeCache.txt" ]; then
	say "configuring $build"
	cmake -S "$root" -B "$build" -G Ninja > "$work/cmake.log" ||
		{ cat "$work/cmake.log"; exit 1; }
fi
say "building quantc and libqrt in $build"
cmake --build "$build" --target quantc qrt > "$work/build.log" ||
	{ tail -40 "$work/build.log"; exit 1; }
build=$(cd "$build" && pwd)
quantc=$build/quantc
data=$build/data
if [ ! -s "$data/calib.npy" ] || [ ! -s "$data/test_x.npy" ]; then
	say "making the Fashion-MNIST arrays in $data"
	$py "$ex/make_data.py" "$data" > /dev/null
fi
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

ncpu=$(nproc)
cpu=${BENCH_CPU:-$((ncpu - 1))}
pin=()
pin_what="not pinned (no taskset)"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
if command -v taskset > /dev/null; then
	pin=(taskset -c "$cpu")
	pin_what="pinned to CPU $cpu"
else
	say "no taskset: measurements are not pinned to one CPU"
fi

# --- tools -------------------------------------------------------------------------
have_node=0
if command -v node > /dev/null && [ -d "$node_prefix/node_modules/onnxruntime-node" ]; then
	have_node=1
	ort_version=$(NODE_PATH=$node_prefix/node_modules node -e \
		'console.log(require("onnxruntime-node").env.versions.node)' 2> /dev/null || echo "?")
else
	say "no onnxruntime-node in $node_prefix (bash .ci/install-deps installs it): its rows are skipped"
fi
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
	mkdir -p "$dir"
	"$quantc" compile -q "$(src "$model")" --calib "$data/calib.npy" --name "$name" "$@" \
		-o "$dir/$name.o" &&
		"$cc" -std=c11 -O2 -Wall -Wextra -DMODEL="$name" -I"$dir" -I"$root/runtime/include" \
			"$bench/time_model.c" "$dir/$name.o" "$build/libqrt.a" -o "$dir/time"
}

# timed MODEL ENGINE PRECISION COMMAND...: a row of the table, whose
# COMMAND prints "median_us M min_us m runs N class C"; time_rows runs them
nrow=0
timed() {
	row_what[nrow]="$1|$2|$3"
	shift 3
	row_cmd[nrow]=$(printf '%q ' "$@")
	nrow=$((nrow + 1))
}

# time_rows: every row once per round, in turn, into $work/rounds ("I|line");
# then $work/results, a row per line: "MODEL|ENGINE|PRECISION|median_us M
# min_us m runs N class C" with the median of the rounds' medians (the
# lower middle one for an even count), the least minimum, all the runs;
# a row without a measurement says why (the last line of its stderr)
time_rows() {
	local r i line
	: > "$work/rounds"
	for ((r = 1; r <= rounds; r++)); do
		for ((i = 0; i < nrow; i++)); do
			line=$(eval "${row_cmd[i]}" 2> "$work/err" | head -1) || true
			case $line in
			median_us*) echo "$i|$line" >> "$work/rounds" ;;
			*) echo "skipped ${row_what[i]//|/ } (round $r): no measurement: $(tail -1 "$work/err" 2> /dev/null)" ;;
			esac
		done
	done
	: > "$work/results"
	for ((i = 0; i < nrow; i++)); do
		awk -F'|' -v i="$i" -v what="${row_what[i]}" '
			$1 == i { split($2, f, " "); n++; med[n] = f[2]; runs += f[6]; cls = f[8]
			          if (n == 1 || f[4] < lo) lo = f[4] }
			END {
				if (!n) exit
				for (a = 1; a <= n; a++) for (b = a + 1; b <= n; b++)
					if (med[b] < med[a]) { t = med[a]; med[a] = med[b]; med[b] = t }
				printf "%s|median_us %s min_us %s runs %d class %s\n", what, med[int((n + 1) / 2)], lo, runs, cls
			}' "$work/rounds" >> "$work/results"
	done
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
clock_hz=
clock_how=
if perf stat -x, -e cycles true > /dev/null 2> "$work/perf.txt" &&
	grep -q '^[0-9]' "$work/perf.txt"; then
	# cycles over task-clock while the busy loop runs
	"${pin[@]}" perf stat -x, -e cycles,task-clock "$work/clockprobe/time" -c \
		> /dev/null 2> "$work/perf.txt" || true
	clock_hz=$(awk -F, '$3 ~ /^cycles/ { c = $1 } $3 ~ /^task-clock/ { t = $1 }
		END { if (c > 0 && t > 0) printf "%.0f", c / (t / 1e3) }' "$work/perf.txt")
	[ -n "$clock_hz" ] && clock_how="perf stat -e cycles,task-clock over a busy loop"
fi
if [ -z "$clock_hz" ]; then
	read -r _ add _ imul < <("${pin[@]}" "$work/clockprobe/time" -c) || true
	if [ -n "${add:-}" ] && [ "$add" != unknown ]; then
		clock_hz=$add
		clock_how="busy loop of dependent adds, 1 per cycle (perf stat -e cycles is not supported here); a loop of dependent imuls, 3 cycles each, gives $(awk -v h="$imul" 'BEGIN { printf "%.3f", h / 1e9 }') GHz"
	else
		clock_hz=$(awk -F: '/^cpu MHz/ { printf "%.0f", $2 * 1e6; exit }' /proc/cpuinfo)
		clock_how="/proc/cpuinfo cpu MHz (no perf, no busy-loop calibration on this CPU)"
	fi
fi

# --- the peak: independent vpdpbusd and vmulps+vaddps per cycle, rounded up to
# half an instruction a cycle (an issue rate; a busy machine measures less)
peak_how="not measured (no AVX-512 VNNI): the issue's 64 int8 and 16 f32 MACs per cycle"
read -r _ dp _ fm < <("${pin[@]}" "$work/clockprobe/time" -p) || true
if [ -n "${fm:-}" ]; then
	peak=$(awk -v x="$dp" 'BEGIN { r = int(x * 2 + 0.999) / 2; print 64 * r }')
	fpeak=$(awk -v x="$fm" 'BEGIN { r = int(x * 2 + 0.999) / 2; print 16 * r }')
	peak_how="measured $dp vpdpbusd zmm and $fm vmulps+vaddps zmm pairs per cycle (time_model -p), so $peak int8 and $fpeak f32 MACs per cycle"
fi

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
