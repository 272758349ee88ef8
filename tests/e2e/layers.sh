#!/bin/bash
# layers.sh — the layers of CMakeLists.txt hold (runtime <- ir <- frontend,
# passes, targets <- driver; frontend, passes and targets beside each other):
#   1. with a layer's include directories (those CMake gives its library, in
#      QC_INC_<LAYER>, ':'-separated), a file that includes the header of a
#      layer above or beside it does not compile (the header is not found),
#      and one that includes the layer's own header does;
#   2. no source file includes by a relative path ("../ir/ir.h"), which would
#      get past the include directories;
#   3. no library (QC_LIB_<LAYER>) calls a function that a library above or
#      beside it defines (nm), which a declaration of its own would allow.
. "$(dirname "$0")/lib.sh"

layers="qrt ir frontend passes targets driver"
# each layer's own header, and the headers of the layers it may not use
declare -A own=([qrt]=qrt.h [ir]=ir.h [frontend]=frontend.h [passes]=passes.h
                [targets]=targets.h [driver]=driver.h)
declare -A not_below=(
	[qrt]="ir frontend passes targets driver"
	[ir]="frontend passes targets driver"
	[frontend]="passes targets driver"
	[passes]="frontend targets driver"
	[targets]="frontend passes driver"
	[driver]="")

# compiles LAYER HEADER: a file that includes HEADER, with LAYER's include
# directories; the compiler's messages in $work/err
compiles() {
	local var=QC_INC_${1^^} args=() dirs
	IFS=: read -ra dirs <<< "${!var:-}"
	for d in "${dirs[@]}"; do args+=(-I"$d"); done
	printf '#include "%s"\n' "$2" > "$work/probe.c"
	"$CC" -std=c11 -D_POSIX_C_SOURCE=200809L -fsyntax-only "${args[@]}" "$work/probe.c" \
		> "$work/err" 2>&1
}
# refused LAYER HEADER: it fails, and because the header is not found
refused() {
	! compiles "$1" "$2" && grep -Eq "No such file|file not found" "$work/err"
}

# --- 1. includes -------------------------------------------------------------
for l in $layers; do
	var=QC_INC_${l^^}
	check "$l: include directories given (${!var:-none})" test -n "${!var:-}"
	check "$l: a file including its own ${own[$l]} compiles" compiles "$l" "${own[$l]}"
	[ -s "$work/err" ] && sed 's/^/  | /' "$work/err" | head -5
	for u in ${not_below[$l]}; do
		check "$l: a file including ${own[$u]} ($u) does not compile" refused "$l" "${own[$u]}"
	done
done

# --- 2. no relative includes -------------------------------------------------
rel=$(cd "$QC_SRC" && grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"\.\./' \
	ir frontend passes targets compiler runtime || true)
[ -n "$rel" ] && echo "$rel" | sed 's/^/  | /'
check "no #include \"../ under ir/ frontend/ passes/ targets/ compiler/ runtime/" test -z "$rel"

# --- 3. no calls upward --------------------------------------------------------
for l in $layers; do
	var=QC_LIB_${l^^}
	lib=${!var:-}
	check "$l: library built ($lib)" test -f "$lib"
	[ -f "$lib" ] || continue
	nm -u "$lib" | awk '{print $NF}' | sort -u > "$work/undef"
	for u in ${not_below[$l]}; do
		uvar=QC_LIB_${u^^}
		[ -f "${!uvar:-}" ] || continue
		nm -g --defined-only "${!uvar}" | awk 'NF == 3 {print $3}' | sort -u > "$work/def"
		calls=$(comm -12 "$work/undef" "$work/def" | head -5 | tr '\n' ' ')
		check "$l calls nothing of $u${calls:+ (calls: $calls)}" test -z "$calls"
	done
done

finish
