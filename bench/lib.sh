#!/bin/bash
# bench/lib.sh — the shell code bench/run.sh and bench/zoo.sh share (sourced,
# not run): building quantc, pinning to one CPU, finding onnxruntime-node,
# the interleaved timing rounds, the clock and the measured peak.
# The caller sets root (the checkout), bench ($root/bench), work (a scratch
# folder), build (the build folder), secs and rounds (BENCH_SECONDS,
# BENCH_ROUNDS) and node_prefix before calling these.
# shellcheck disable=SC2034,SC2154  # variables set here are read by the callers, and theirs read here

say() { echo "== $*" >&2; }

# bench_build: (re)builds quantc and libqrt in $build (configuring it first
# when needed); sets build to its absolute path and quantc
bench_build() {
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
}

# bench_pin: pin (the taskset prefix of every measurement), cpu, ncpu,
# pin_what and load0 (the load average now)
bench_pin() {
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
}

# bench_fmnist_data: data=$build/data, with the Fashion-MNIST arrays made
# there (examples/fashion_mnist/make_data.py) unless they exist
bench_fmnist_data() {
	data=$build/data
	if [ ! -s "$data/calib.npy" ] || [ ! -s "$data/test_x.npy" ]; then
		say "making the Fashion-MNIST arrays in $data"
		$py "$root/examples/fashion_mnist/make_data.py" "$data" > /dev/null
	fi
}

# bench_node: have_node (1 when onnxruntime-node is in $node_prefix) and
# ort_version
bench_node() {
	have_node=0
	if command -v node > /dev/null && [ -d "$node_prefix/node_modules/onnxruntime-node" ]; then
		have_node=1
		ort_version=$(NODE_PATH=$node_prefix/node_modules node -e \
			'console.log(require("onnxruntime-node").env.versions.node)' 2> /dev/null || echo "?")
	else
		say "no onnxruntime-node in $node_prefix (bash .ci/install-deps installs it): its rows are skipped"
	fi
}

# qc_compile SRC CALIB DIR NAME [OPTIONS]: DIR/NAME.o and .h (C prefix
# NAME), linked with bench/time_model.c into DIR/time
qc_compile() {
	local model=$1 calib=$2 dir=$3 name=$4
	shift 4
	mkdir -p "$dir"
	"$quantc" compile -q "$model" --calib "$calib" --name "$name" "$@" \
		-o "$dir/$name.o" &&
		"${CC:-cc}" -std=c11 -O2 -Wall -Wextra -DMODEL="$name" -I"$dir" -I"$root/runtime/include" \
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

# bench_clock PROBE: clock_hz and clock_how, PROBE being a time_model
# binary (any model): perf's cycles over a busy loop, else time_model -c's
# calibrated loop, else /proc/cpuinfo
bench_clock() {
	local probe=$1 add imul
	clock_hz=
	clock_how=
	if perf stat -x, -e cycles true > /dev/null 2> "$work/perf.txt" &&
		grep -q '^[0-9]' "$work/perf.txt"; then
		# cycles over task-clock while the busy loop runs
		"${pin[@]}" perf stat -x, -e cycles,task-clock "$probe" -c \
			> /dev/null 2> "$work/perf.txt" || true
		clock_hz=$(awk -F, '$3 ~ /^cycles/ { c = $1 } $3 ~ /^task-clock/ { t = $1 }
			END { if (c > 0 && t > 0) printf "%.0f", c / (t / 1e3) }' "$work/perf.txt")
		[ -n "$clock_hz" ] && clock_how="perf stat -e cycles,task-clock over a busy loop"
	fi
	if [ -z "$clock_hz" ]; then
		read -r _ add _ imul < <("${pin[@]}" "$probe" -c) || true
		if [ -n "${add:-}" ] && [ "$add" != unknown ]; then
			clock_hz=$add
			clock_how="busy loop of dependent adds, 1 per cycle (perf stat -e cycles is not supported here); a loop of dependent imuls, 3 cycles each, gives $(awk -v h="$imul" 'BEGIN { printf "%.3f", h / 1e9 }') GHz"
		else
			clock_hz=$(awk -F: '/^cpu MHz/ { printf "%.0f", $2 * 1e6; exit }' /proc/cpuinfo)
			clock_how="/proc/cpuinfo cpu MHz (no perf, no busy-loop calibration on this CPU)"
		fi
	fi
}

# bench_peak PROBE: peak and fpeak (int8 and f32 MACs per cycle) and
# peak_how: independent vpdpbusd and vmulps+vaddps per cycle (time_model
# -p), rounded up to half an instruction a cycle (an issue rate; a busy
# machine measures less); without AVX-512 VNNI the issue's 64 and 16
bench_peak() {
	local probe=$1 dp fm
	peak=64   # one AVX-512 VNNI vpdpbusd (64 MACs) a cycle
	fpeak=16  # one vmulps and one vaddps zmm a cycle
	peak_how="not measured (no AVX-512 VNNI): the issue's 64 int8 and 16 f32 MACs per cycle"
	read -r _ dp _ fm < <("${pin[@]}" "$probe" -p) || true
	if [ -n "${fm:-}" ]; then
		peak=$(awk -v x="$dp" 'BEGIN { r = int(x * 2 + 0.999) / 2; print 64 * r }')
		fpeak=$(awk -v x="$fm" 'BEGIN { r = int(x * 2 + 0.999) / 2; print 16 * r }')
		peak_how="measured $dp vpdpbusd zmm and $fm vmulps+vaddps zmm pairs per cycle (time_model -p), so $peak int8 and $fpeak f32 MACs per cycle"
	fi
}
