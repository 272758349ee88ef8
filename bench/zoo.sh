#!/bin/bash
# bench/zoo.sh — the model-zoo benchmark of issue 20: quantc int8 and f32
# against onnxruntime-node fp32 and int8 (a static U8S8 QDQ twin of the same
# model) on torchvision models and the Fashion-MNIST models, single thread,
# batch 1, pinned, in one run of interleaved rounds (bench/README.md,
# "Model zoo").
#
#   bash bench/zoo.sh [BUILD]              the table
#   bash bench/zoo.sh -l [MODEL] [BUILD]   only the per-layer view of MODEL
#                                          (default mobilenet_v2)
#
# BUILD is a quantc build directory (default build-bench in the checkout,
# configured and built as bench/run.sh does).  Per model and input size:
# the float ONNX export (tests/zoo/export.py: torchvision NAME(weights=None)
# after torch.manual_seed(0), opset 13; the Fashion-MNIST models by
# examples/fashion_mnist/export_onnx.py), a calibration array (torchvision:
# BENCH_ZOO_NCALIB synthetic images of export.py, seed 1; Fashion-MNIST:
# make_data.py's calib.npy), given both to quantc --calib and to
# tests/e2e/make_qdq.py --onnx, which writes the QDQ twin; the input of every
# measurement is one other image (seed 2; Fashion-MNIST: the first test
# image).  quantc compiles with --mcpu native (the host's best ISA).
# Settings from the environment:
#   BENCH_SECONDS, BENCH_ROUNDS, BENCH_CPU, QC_NODE_PREFIX   as bench/run.sh
#   BENCH_ZOO_MODELS  the models (default: the six torchvision models and
#                     cnn mlp dscnn)
#   BENCH_ZOO_SIZES   the torchvision input sizes (default "224 96"; the
#                     Fashion-MNIST models are 28x28)
#   BENCH_ZOO_NCALIB  calibration images of the torchvision models (default 8)
#   BENCH_ZOO_LAYERS  1: the per-layer view of every model after the table
#   BENCH_ZOO_NCHW    1: also quantc int8 without choose-layout (every tensor
#                     NCHW), and a table of what the layout pass gains
# Nothing here asserts on time; a model quantc refuses gets a row saying why.
# shellcheck source-path=SCRIPTDIR
set -eu
t_start=$SECONDS
root=$(cd "$(dirname "$0")/.." && pwd)
bench=$root/bench
ex=$root/examples/fashion_mnist
tv_models="mobilenet_v2 mobilenet_v3_small resnet18 squeezenet1_1 shufflenet_v2_x0_5 efficientnet_b0"
fm_models="cnn mlp dscnn"
layers=${BENCH_ZOO_LAYERS:-0}
layers_only=0
models=${BENCH_ZOO_MODELS:-$tv_models $fm_models}
if [ "${1:-}" = -l ]; then
	layers=1 layers_only=1
	shift
	models=mobilenet_v2
	case " $tv_models $fm_models " in
	*" ${1:-} "*) models=$1; shift ;;
	esac
fi
build=${1:-$root/build-bench}
secs=${BENCH_SECONDS:-1}
rounds=${BENCH_ROUNDS:-1}
sizes=${BENCH_ZOO_SIZES:-224 96}
ncalib=${BENCH_ZOO_NCALIB:-8}
node_prefix=${QC_NODE_PREFIX:-/opt/quantc-node}
py=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=lib.sh
. "$bench/lib.sh"

bench_build
bench_fmnist_data
bench_pin
bench_node
[ "$have_node" = 1 ] || [ $layers_only = 1 ] || exit 1

nchw_passes=infer-shapes,fold-constants,fuse-activation,propagate-ranges,calibrate,quantize,check-overflow,fuse-pool,plan-memory

# the clock and the peak, from a time_model binary of the seed CNN
qc_compile "$ex/cnn.qg" "$data/calib.npy" "$work/clockprobe" cnn --precision f32
bench_clock "$work/clockprobe/time"
bench_peak "$work/clockprobe/time"

# prepare MODEL SIZE: the case's folder $work/MODEL_SIZE with MODEL_SIZE.onnx,
# qdq.onnx (unless layers_only), the calibration array (file calib names it),
# x.f32 (the input), shape (ORT_SHAPE) and src (what quantc compiles: the
# .qg twin of a Fashion-MNIST model where there is one); on failure, the
# file why says why
prepare() {
	local m=$1 s=$2 d=$work/$1_$2
	mkdir -p "$d"
	if [ "$s" = 28 ]; then
		if ! $py "$ex/export_onnx.py" "$d" "$m" > "$d/log" 2>&1; then
			echo "export_onnx.py failed: $(tail -1 "$d/log")" > "$d/why"
			return 1
		fi
		mv "$d/$m.onnx" "$d/$1_$2.onnx"
		echo "$data/calib.npy" > "$d/calib"
		$py -c 'import sys, numpy as np; np.load(sys.argv[1])[0].astype("<f4").tofile(sys.argv[2])' \
			"$data/test_x.npy" "$d/x.f32"
		echo 1,1,28,28 > "$d/shape"
		if [ -e "$ex/$m.qg" ]; then echo "$ex/$m.qg"; else echo "$d/$1_$2.onnx"; fi > "$d/src"
	else
		if [ ! -s "$work/calib$s.npy" ]; then
			$py "$root/tests/zoo/export.py" images "$s" "$ncalib" 1 "$work/calib$s.npy"
			$py "$root/tests/zoo/export.py" images "$s" 1 2 "$work/x$s.npy"
			$py -c 'import sys, numpy as np; np.load(sys.argv[1]).astype("<f4").tofile(sys.argv[2])' \
				"$work/x$s.npy" "$work/x$s.f32"
		fi
		$py "$root/tests/zoo/export.py" model "$m" "$s" "$d/$m" 13 > "$d/log" 2>&1 || true
		if [ ! -s "$d/$m.13.onnx" ]; then
			echo "torch.onnx.export failed: $(cat "$d/$m.13.failed" 2> /dev/null || tail -1 "$d/log")" > "$d/why"
			return 1
		fi
		mv "$d/$m.13.onnx" "$d/$1_$2.onnx"
		echo "$work/calib$s.npy" > "$d/calib"
		cp "$work/x$s.f32" "$d/x.f32"
		echo "1,3,$s,$s" > "$d/shape"
		echo "$d/$1_$2.onnx" > "$d/src"
	fi
	[ $layers_only = 1 ] && return 0
	$py "$root/tests/e2e/make_qdq.py" --onnx "$d/$1_$2.onnx" "$(cat "$d/calib")" "$d/qdq.onnx" \
		> "$d/log" 2>&1 || rm -f "$d/qdq.onnx"
	return 0
}

# ort_row KEY PRECISION FILE: a timed onnxruntime row
ort_row() {
	local d=$work/$1
	timed "$1" onnxruntime "$2" env NODE_PATH="$node_prefix/node_modules" ORT_SHAPE="$(cat "$d/shape")" \
		"${pin[@]}" node "$bench/ort_time.js" "$3" "$d/x.f32" "$secs"
}

# --- per case: compile, list onnxruntime's kernels, queue the rows ------------------
cases=()
for m in $models; do
	case " $fm_models " in
	*" $m "*) cases+=("$m 28") ;;
	*) for s in $sizes; do cases+=("$m $s"); done ;;
	esac
done
for c in "${cases[@]}"; do
	read -r m s <<< "$c"
	key=${m}_$s
	d=$work/$key
	say "$m ${s}x$s"
	prepare "$m" "$s" || continue
	src=$(cat "$d/src") calib=$(cat "$d/calib")
	if ! "$quantc" inspect -q "$src" --calib "$calib" --mcpu native > "$d/inspect" 2> "$d/qlog"; then
		grep -m1 'error:' "$d/qlog" | sed -E 's/^[^ ]*(\.onnx|\.qg): //' > "$d/why"
		[ -s "$d/why" ] || echo "quantc inspect failed: $(tail -1 "$d/qlog")" > "$d/why"
	else
		sed -n 's/^total: \([0-9]*\) MACs.*/\1/p' "$d/inspect" > "$d/macs"
	fi
	if [ "$layers" = 1 ] && [ ! -e "$d/why" ]; then
		qc_compile "$src" "$calib" "$d/tr" "$key" --mcpu native --instrument ||
			echo "quantc compile --instrument failed" > "$d/trwhy"
	fi
	[ $layers_only = 1 ] && continue
	if [ ! -e "$d/why" ]; then
		for p in int8 f32; do
			if qc_compile "$src" "$calib" "$d/$p" "$key" --mcpu native --precision "$p" 2> "$d/qlog"; then
				timed "$key" quantc "$p" "${pin[@]}" "$d/$p/time" -t "$secs" "$d/x.f32"
			else
				echo "quantc compile --precision $p failed: $(grep -m1 'error:' "$d/qlog")" > "$d/why.$p"
			fi
		done
		# the default int8 pipeline without choose-layout
		if [ "${BENCH_ZOO_NCHW:-0}" = 1 ] &&
			qc_compile "$src" "$calib" "$d/nchw" "$key" --mcpu native --passes "$nchw_passes" 2> "$d/qlog"; then
			timed "$key" quantc int8nchw "${pin[@]}" "$d/nchw/time" -t "$secs" "$d/x.f32"
		fi
	fi
	ort_row "$key" fp32 "$d/$key.onnx"
	if [ -s "$d/qdq.onnx" ]; then
		ort_row "$key" int8 "$d/qdq.onnx"
		# onnxruntime's optimized graph: which kernels the twin runs
		env NODE_PATH="$node_prefix/node_modules" ORT_SHAPE="$(cat "$d/shape")" ORT_OPTIMIZED="$d/opt.onnx" \
			node "$bench/ort_time.js" "$d/qdq.onnx" "$d/x.f32" 0.01 > /dev/null 2>&1 &&
			$py -c '
import collections, sys, onnx
c = collections.Counter(n.op_type for n in onnx.load(sys.argv[1]).graph.node)
print(", ".join("%s %d" % kv for kv in sorted(c.items())))' "$d/opt.onnx" > "$d/ops" 2> /dev/null ||
			echo "(onnxruntime did not save its optimized model)" > "$d/ops"
	else
		echo "make_qdq.py --onnx failed: $(tail -1 "$d/log")" > "$d/why.qdq"
	fi
done

if [ $layers_only = 0 ]; then
	say "timing $nrow rows, $rounds round(s)"
	time_rows > "$work/skipped"
fi

# --- the report ----------------------------------------------------------------------
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $ncpu CPUs, $pin_what; load average at the start $load0, at the end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "peak: $peak_how"
echo "clock: $(awk -v h="$clock_hz" 'BEGIN { printf "%.3f GHz", h / 1e9 }') from a $clock_how"
echo "$("$quantc" --version 2> /dev/null | head -1) (--mcpu native), onnxruntime-node ${ort_version:-absent}, node $(node --version 2> /dev/null || echo absent)"

if [ $layers_only = 0 ]; then
	echo "timed ${secs} s per row after warm-up, $rounds round(s) of every row in turn (a row: the median of its rounds' medians); batch 1, one thread; MACs/cycle = MACs (quantc inspect) / (median s x clock Hz)"
	cat "$work/skipped"
	echo
	echo "onnxruntime's optimized int8 (QDQ twin) graphs, op types and counts (session option optimizedModelFilePath):"
	echo
	for c in "${cases[@]}"; do
		read -r m s <<< "$c"
		[ -s "$work/${m}_$s/ops" ] && echo "- $m ${s}x$s: $(cat "$work/${m}_$s/ops")"
	done
	echo
	echo "| model | input | MACs | quantc int8 | onnxruntime int8 | quantc f32 | onnxruntime fp32 | q int8 / ort int8 | q f32 / ort fp32 | q int8 / q f32 | int8 MACs/cycle (% of $peak) | f32 MACs/cycle (% of $fpeak) |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for c in "${cases[@]}"; do
		read -r m s <<< "$c"
		key=${m}_$s
		d=$work/$key
		why=
		for f in why why.int8 why.f32 why.qdq; do
			[ -s "$d/$f" ] && why="$why${why:+; }$(head -c 160 "$d/$f" | head -1)"
		done
		awk -F'|' -v key="$key" -v m="$m" -v s="$s" -v hz="$clock_hz" -v peak="$peak" -v fpeak="$fpeak" \
			-v macs="$(cat "$d/macs" 2> /dev/null)" -v why="$why" '
			function fmt(us) { return us == "" ? "-" : us < 1000 ? sprintf("%.1f µs", us) : sprintf("%.2f ms", us / 1000) }
			function ratio(a, b) { return (a == "" || b == "") ? "-" : sprintf("%.2fx", a / b) }
			function mpc(us, pk) {
				if (us == "" || macs == "" || hz <= 0) return "-"
				x = macs / (us * 1e-6 * hz)
				return sprintf("%.1f (%.1f%%)", x, 100 * x / pk)
			}
			$1 == key { split($4, f, " "); t[$2 "|" $3] = f[2] }
			END {
				q8 = t["quantc|int8"]; qf = t["quantc|f32"]; o8 = t["onnxruntime|int8"]; of = t["onnxruntime|fp32"]
				printf "| %s | %sx%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", m, s, s,
					macs == "" ? "-" : sprintf("%.1f M", macs / 1e6), fmt(q8), fmt(o8), fmt(qf), fmt(of),
					ratio(q8, o8), ratio(qf, of), ratio(q8, qf), mpc(q8, peak), mpc(qf, fpeak)
				if (why != "") printf "| ↳ %s %sx%s | %s |||||||||||\n", m, s, s, why
			}' "$work/results"
	done
fi

if [ $layers_only = 0 ] && [ "${BENCH_ZOO_NCHW:-0}" = 1 ]; then
	echo
	echo "choose-layout (the trunk NHWC between the kernels) against every tensor NCHW (--passes without it), quantc int8, the same rounds:"
	echo
	echo "| model | input | int8, layouts chosen | int8, all NCHW | chosen / NCHW |"
	echo "|---|---|---:|---:|---:|"
	for c in "${cases[@]}"; do
		read -r m s <<< "$c"
		awk -F'|' -v key="${m}_$s" -v m="$m" -v s="$s" '
			function fmt(us) { return us == "" ? "-" : us < 1000 ? sprintf("%.1f µs", us) : sprintf("%.2f ms", us / 1000) }
			$1 == key && $2 == "quantc" { split($4, f, " "); t[$3] = f[2] }
			END {
				if (t["int8"] == "" || t["int8nchw"] == "") exit
				printf "| %s | %sx%s | %s | %s | %.2fx |\n", m, s, s, fmt(t["int8"]), fmt(t["int8nchw"]), t["int8"] / t["int8nchw"]
			}' "$work/results"
	done
fi

# --- per layer -----------------------------------------------------------------------
if [ "$layers" = 1 ]; then
	for c in "${cases[@]}"; do
		read -r m s <<< "$c"
		key=${m}_$s
		d=$work/$key
		echo
		if [ ! -x "$d/tr/time" ]; then
			echo "$m ${s}x$s per layer: none ($(cat "$d/why" "$d/trwhy" 2> /dev/null | head -1))"
			continue
		fi
		"${pin[@]}" "$d/tr/time" -t "$secs" -l "$d/x.f32" > "$d/layers"
		# id -> value, op, type (the header's list of layers); value -> MACs (the
		# inspect rows: the MACs follow the quantization's zero point);
		# value -> kernel (inspect's kernel list)
		sed -n 's/^ \* *\([0-9][0-9]*\)  *\([^ ]*\)  *\([^ ]*\)  *\([^ ]*\) .*/\1 \2 \3 \4/p' "$d/tr/$key.h" > "$d/ids"
		awk '$1 ~ /^[0-9]+$/ { for (i = 3; i < NF; i++) if ($i ~ /^zp=/) { print $2, $(i + 1); break } }' \
			"$d/inspect" > "$d/lmacs"
		# value -> kernel, and when it is the generic loop, why the first
		# kernel of the target's list declined (inspect's next line)
		awk '/^kernels on/ { k = 1; next } k && /^$/ { exit }
			k && $1 ~ /^[0-9]+$/ { v = $2; kern = $NF; print v, kern; next }
			k && v != "" && kern ~ /^generic/ { sub(/^ +/, ""); print v, kern " (" $0 ")"; v = "" }' \
			"$d/inspect" > "$d/kernels"
		echo "quantc int8 $m ${s}x$s per layer (--mcpu native --instrument; the 15 slowest, by median µs):"
		echo
		echo "| id | value | op | output | kernel | median µs | share | MACs | MACs/cycle (% of $peak) |"
		echo "|---:|---|---|---|---|---:|---:|---:|---:|"
		awk -v hz="$clock_hz" -v peak="$peak" -v ids="$d/ids" -v macsf="$d/lmacs" -v kf="$d/kernels" '
			BEGIN {
				while ((getline l < ids) > 0) { split(l, a, " "); val[a[1]] = a[2]; op[a[1]] = a[3]; ty[a[1]] = a[4] }
				while ((getline l < macsf) > 0) { split(l, a, " "); macs[a[1]] = a[2] }
				while ((getline l < kf) > 0) { v = l; sub(/ .*/, "", v); k = l; sub(/^[^ ]* /, "", k); kern[v] = k }
			}
			/^median_us/ { total = $2 }
			/^layer/ { n++; id[n] = $2; us[n] = $4; sum += $4 }
			END {
				for (p = 1; p <= n; p++) for (q = p + 1; q <= n; q++)
					if (us[q] > us[p]) { t = us[p]; us[p] = us[q]; us[q] = t; t = id[p]; id[p] = id[q]; id[q] = t }
				for (p = 1; p <= n && p <= 15; p++) {
					i = id[p]
					v = (i == "end") ? "(outputs)" : val[i]; o = (i == "end") ? "dequantize" : op[i]
					if (i == 0) o = o " (quantize)"
					k = (v in kern) ? kern[v] : "-"
					c = macs[v] + 0
					mc = (c > 0 && hz > 0) ? sprintf("%.1f (%.1f%%)", c / (us[p] * 1e-6 * hz), 100 * c / (us[p] * 1e-6 * hz) / peak) : "-"
					printf "| %s | %s | %s | %s | %s | %.1f | %.1f%% | %s | %s |\n", i, v, o, (i == "end") ? "-" : ty[i], k, us[p], 100 * us[p] / sum, (c > 0 ? c : "-"), mc
				}
				printf "\n(%d layers; sum of the layer medians %.1f µs; median of the whole instrumented run %.1f µs)\n", n, sum, total
			}' "$d/layers"
	done
fi
echo
echo "(bench/zoo.sh took $((SECONDS - t_start)) s)"
