#!/bin/bash
# compile_scale.sh [BUILD] — how compile time and memory grow with the size
# of the graph: chains of N relus, of N sigmoids (int8: each a table), of
# N/10 dense layers among relus, and one relu on a tensor of 2^27 elements,
# each compiled once with `quantc compile -q`; prints wall and CPU seconds
# and the peak resident memory (GNU time).  Nothing here is a test.
#   BENCH_SCALE_NODES  the chain lengths (default "10000 100000")
#   QUANTC_OLD         a second quantc to time beside (e.g. an older build)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
if [ ! -x "$build/quantc" ]; then
	cmake -S "$root" -B "$build" -G Ninja > /dev/null && cmake --build "$build" > /dev/null || exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# chain KIND N: a model of N layers of width 4
chain() {
	awk -v kind="$1" -v n="$2" 'BEGIN {
		print "model chain"
		print "input x : f32[1,4] range [-1, 1]"
		prev = "x"
		for (i = 1; i <= n; i++) {
			if (kind == "dense" && i % 10 == 0) {
				printf "const w%d : f32[4,4] = [", i
				for (k = 0; k < 16; k++)
					printf "%s%s", k ? ", " : "", ((k * 7 + i) % 9 - 4) / 8.0
				print "]"
				printf "l%d = dense(%s, w%d)\n", i, prev, i
			} else
				printf "l%d = %s(%s)\n", i, kind == "sigmoid" ? "sigmoid" : "relu", prev
			prev = "l" i
		}
		print "output " prev
	}'
}

printf 'model big\ninput x : f32[1,134217728] range [-1, 1]\ny = relu(x)\noutput y\n' > "$work/big.qg"

row() { # LABEL MODEL QUANTC
	local t
	t=$(/usr/bin/time -f '%e %U %M' "$3" compile "$2" -q -o "$work/out.o" 2>&1 > /dev/null | tail -1)
	# shellcheck disable=SC2086
	set -- "$1" $t
	printf '| %s | %s s | %s s | %d MB |\n' "$1" "$2" "$3" "$(($4 / 1024))"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1 /proc/loadavg)"
echo
echo "| int8 compile | wall | CPU | peak memory |"
echo "|---|---:|---:|---:|"
for n in ${BENCH_SCALE_NODES:-10000 100000}; do
	for kind in relu sigmoid dense; do
		chain "$kind" "$n" > "$work/$kind.qg"
		row "$kind chain, $n nodes" "$work/$kind.qg" "$build/quantc"
		[ -n "${QUANTC_OLD:-}" ] && row "$kind chain, $n nodes (QUANTC_OLD)" "$work/$kind.qg" "$QUANTC_OLD"
	done
done
row "relu on f32[1,134217728]" "$work/big.qg" "$build/quantc"
[ -n "${QUANTC_OLD:-}" ] && row "relu on f32[1,134217728] (QUANTC_OLD)" "$work/big.qg" "$QUANTC_OLD"
exit 0
