#!/bin/bash
# tests/zoo/run.sh BUILD [MODEL...] — the model zoo: torchvision
# classification models with random weights, exported at ONNX opsets 9, 13
# and 17, through quantc (tests/zoo/README.md).  Per model and opset:
#   f32    the f32 host object against onnxruntime-node on the same images:
#          max |obj - ort| / max |ort| under 1e-4;
#   int8   calibrated on 8 synthetic images: its SQNR against onnxruntime's
#          f32 output (pass_sqnr_db's definition), printed;
#   host   the int8 x86-64 object equals `quantc run` bit for bit;
#   a64    the int8 AArch64 object under qemu-aarch64 equals it too;
#   auto   `--precision auto --min-sqnr 30` compiles (not asked of the
#          models of no_auto below): at opset 17 (or the
#          opsets of QC_ZOO_AUTO_OPSETS), and at any other opset whose
#          export imports to other IR ops (counted); "-" in the others.
# A model quantc refuses (exit 1 with an error), or torch cannot export, must
# be listed in tests/zoo/expected.txt; a listed one that now passes is a stale
# entry and fails too.  Prints a table and "N passed, N failed".
#   MODEL...       only these models (default: all of the list below)
#   QC_ZOO_JOBS    models checked at a time (default 2)
#   QC_ZOO_KEEP    a folder to keep the work files in (default: deleted)
#   QC_ZOO_AUTO_OPSETS  the opsets whose export --precision auto compiles
#                  (default 17)
# shellcheck source-path=SCRIPTDIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:?usage: run.sh BUILD [MODEL...]}" && pwd) || exit 1
shift
py=/usr/bin/python3
export NODE_PATH=${QC_NODE_PREFIX:-/opt/quantc-node}/node_modules
QUANTC=$build/quantc
QRT_LIB=$build/libqrt.a
QRT_INCLUDE=$src/runtime/include
QC_SRC=$src
export QC_SRC
jobs=${QC_ZOO_JOBS:-2}
opsets="9 13 17"
ncalib=8 ntest=4
min_sqnr=30
auto_opsets=${QC_ZOO_AUTO_OPSETS:-17}
# models --precision auto is not asked of: convnext_tiny's int8 is 22.5 dB,
# so the search evaluates every one of its layers alone, then promotes and
# gives back, each evaluation quantizing 28 M weights: more than 15 minutes
# of CPU, past this stage's budget (README.md)
no_auto=" convnext_tiny "

# the models and their input size: the smallest square input each
# architecture accepts that keeps the stage fast (64x64: five stride-2 stages
# leave a 2x2 map, and every model of the list accepts it; README.md); the
# costliest first, so that the two queues end together
models=(
	resnet50:64 convnext_tiny:64 densenet121:64 efficientnet_b0:64 googlenet:64
	regnet_y_400mf:64 mobilenet_v3_large:64 mobilenet_v2:64 resnet18:64
	regnet_x_400mf:64 mnasnet0_5:64 shufflenet_v2_x0_5:64 mobilenet_v3_small:64
	squeezenet1_0:64 squeezenet1_1:64
)
[ $# -gt 0 ] && models=("$@")

work=${QC_ZOO_KEEP:-$(mktemp -d)}
mkdir -p "$work"
[ -n "${QC_ZOO_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
t0=$SECONDS

die() {
	echo "run.sh: $*"
	echo "0 passed, 1 failed"
	exit 1
}
if [ ! -x "$QUANTC" ] || [ ! -f "$QRT_LIB" ]; then
	die "no quantc or libqrt.a in $build (build it first)"
fi
"$py" -c "import torch, torchvision, onnx" 2> /dev/null ||
	die "python3-torchvision is not installed (.ci/install-deps installs it)"
[ -d "$NODE_PATH/onnxruntime-node" ] || die "onnxruntime-node is not installed in $NODE_PATH (.ci/install-deps)"
# shellcheck source=../cross/boards.sh
. "$src/tests/cross/boards.sh"
if ! cross_target aarch64-linux-gnu > /dev/null || ! cross_tools_present; then
	die "no AArch64 cross compiler or qemu-aarch64"
fi

# the driver (tests/zoo/driver.c) for the host and, with the runtime built
# freestanding, for AArch64 (static, run by qemu-user)
mkdir -p "$work/a64"
"${CC:-cc}" -std=c11 -O2 -Wall -Wextra -Werror -I"$QRT_INCLUDE" -c "$here/driver.c" -o "$work/driver.o" ||
	die "the host driver does not build"
{ x_build_runtime "$work/a64" &&
	"$x_cc" "${x_cflags[@]}" -std=c11 -O2 -Wall -Wextra -Werror -I"$QRT_INCLUDE" \
		-c "$here/driver.c" -o "$work/a64/driver.o"; } || die "the AArch64 runtime or driver does not build"

# the images, per input size: calibration and test sets apart
for m in "${models[@]}"; do
	s=${m#*:}
	[ -f "$work/calib$s.npy" ] && continue
	if ! "$py" "$here/export.py" images "$s" $ncalib 1 "$work/calib$s.npy" ||
		! "$py" "$here/export.py" images "$s" $ntest 2 "$work/test$s.npy" ||
		! "$py" -c "import numpy as np, sys; np.load(sys.argv[1]).tofile(sys.argv[2])" \
			"$work/test$s.npy" "$work/test$s.raw"; then
		die "images of size $s not made"
	fi
done

# q ARGS...: quantc, its exit status in $rc and its messages in $d/log; the
# first error line (the file's path cut) in $why when it refuses (exit 1)
q() {
	"$QUANTC" "$@" > "$d/log" 2>&1
	rc=$?
	why=$(grep -m1 'error:' "$d/log" | sed -E 's/^[^ ]*(\.onnx|\.npy)[^ ]*: //')
	[ -n "$why" ] || why=$(head -c 300 "$d/log" | tr '\n' ' ')
}

# py_cmp WHAT A B: compares outputs (A raw or .npy, B .npy); prints the number
py_cmp() {
	"$py" - "$@" <<'EOF'
import sys
import numpy as np
what, a, b = sys.argv[1:4]
load = lambda p: np.load(p) if p.endswith(".npy") else np.fromfile(p, np.float32)
a, b = load(a).reshape(-1).astype(np.float32), load(b).reshape(-1).astype(np.float32)
if a.size != b.size:
    print("size %d != %d" % (a.size, b.size)); sys.exit(1)
if what == "relerr":      # max |a - b| / max |b|, b the reference
    print("%.2e" % (np.abs(a.astype(np.float64) - b).max() / max(np.abs(b).max(), 1e-30)))
elif what == "sqnr":      # 10 log10(sum b^2 / sum (a - b)^2), as pass_sqnr_db
    s, n = float((b.astype(np.float64) ** 2).sum()), float(((a.astype(np.float64) - b) ** 2).sum())
    print("inf" if n == 0 else "-inf" if s <= 0 else "%.1f" % (10 * np.log10(s / n)))
else:                     # bit for bit
    d = int((a.view(np.uint32) != b.view(np.uint32)).sum())
    print("yes" if d == 0 else "NO(%d differ)" % d); sys.exit(d != 0)
EOF
}

# one MODEL OPSET SIZE ONNX: the checks of one export, one table row on stdout:
# model opset size f32 sqnr host a64 auto status detail (tab-separated)
one() {
	local m=$1 o=$2 s=$3 x=$4 f32=- sqnr=- host=- a64=- auto=- st=pass detail= run_auto=0
	local d=$work/$m.$o
	local t=$work/test$s.raw c=$work/calib$s.npy
	mkdir -p "$d"
	row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$m" "$o" "$s" "$f32" "$sqnr" "$host" "$a64" "$auto" "$st" "$detail"; }
	# bad RESULT DETAIL: a check failed (not a refusal)
	bad() { st=FAIL detail="$1"; }
	# refused STAGE: quantc refused (exit 1) or crashed (anything else)
	refused() {
		if [ "$rc" = 1 ]; then
			[ $st = pass ] && st=refused detail="$1: $why"
		else
			bad "$1: quantc exit $rc: $why"
		fi
	}
	# f32: the host object against onnxruntime
	node "$src/tests/tools/ort_run.js" "$x" "$work/test$s.npy" "$d/ort.npy" --batch 1 2> "$d/ort.log" ||
		{ bad "onnxruntime: $(tail -1 "$d/ort.log")"; row; return; }
	q compile "$x" --precision f32 --name model -o "$d/f32.o"
	if [ $rc != 0 ]; then
		refused f32
		row
		return
	fi
	if "${CC:-cc}" "$work/driver.o" "$d/f32.o" "$QRT_LIB" -lm -o "$d/f32.exe" 2> "$d/log" &&
		"$d/f32.exe" $ntest "$t" "$d/f32.raw" 2> "$d/log"; then
		f32=$(py_cmp relerr "$d/f32.raw" "$d/ort.npy")
		"$py" -c "import sys; sys.exit(not float(sys.argv[1]) < 1e-4)" "$f32" 2> /dev/null ||
			bad "f32: relative error $f32 >= 1e-4"
	else
		bad "f32: the object did not link or run: $(head -c 200 "$d/log")"
	fi
	# int8: the interpreter, its SQNR, and the objects
	q run "$x" --precision int8 --calib "$c" --input "$work/test$s.npy" -o "$d/i8.npy"
	if [ $rc != 0 ]; then
		refused int8
	else
		sqnr=$(py_cmp sqnr "$d/i8.npy" "$d/ort.npy")
		q compile "$x" --precision int8 --calib "$c" --name model -o "$d/i8.o"
		if [ $rc != 0 ]; then
			refused "int8 compile"
		elif "${CC:-cc}" "$work/driver.o" "$d/i8.o" "$QRT_LIB" -lm -o "$d/i8.exe" 2> "$d/log" &&
			"$d/i8.exe" $ntest "$t" "$d/i8.raw" 2> "$d/log"; then
			host=$(py_cmp exact "$d/i8.raw" "$d/i8.npy") || bad "int8: the host object differs from quantc run"
		else
			host=NO
			bad "int8: the host object did not link or run: $(head -c 200 "$d/log")"
		fi
		q compile "$x" --precision int8 --calib "$c" --name model --target aarch64-linux-gnu -o "$d/a64.o"
		if [ $rc != 0 ]; then
			refused "int8 aarch64 compile"
		elif "$x_cc" "${x_cflags[@]}" "$work/a64/driver.o" "$d/a64.o" "$work/a64"/rt_*.o \
			"${x_ldflags[@]}" -o "$d/a64.exe" 2> "$d/log" &&
			timeout 600 "${x_run[@]}" "$d/a64.exe" $ntest "$t" "$d/a64.raw" 2> "$d/log"; then
			a64=$(py_cmp exact "$d/a64.raw" "$d/i8.npy") || bad "int8: the AArch64 object differs from quantc run"
		else
			a64=NO
			bad "int8: the AArch64 object did not link or run: $(head -c 200 "$d/log")"
		fi
	fi
	# --precision auto compiles (at the opsets of $auto_opsets: the search
	# runs the interpreter once per layer where all-int8 misses the target,
	# minutes for the larger models, and the opsets import the same layers)
	local ref
	ref=$work/$m.${auto_opsets##* }.ops
	case " $auto_opsets " in
	*" $o "*) run_auto=1 ;;
	*) cmp -s "$work/$m.$o.ops" "$ref" || run_auto=1 ;; # another IR: search it too
	esac
	case $no_auto in *" $m "*) run_auto=0 ;; esac
	case $run_auto in
	1)
		q compile "$x" --precision auto --min-sqnr $min_sqnr --calib "$c" --name model -o "$d/auto.o"
		if [ $rc = 0 ]; then
			auto=yes
		else
			auto=no
			refused auto
		fi
		;;
	esac
	row
	[ -n "${QC_ZOO_KEEP:-}" ] || rm -f "$d"/*.o "$d"/*.exe
}

# model NAME SIZE: exports it at every opset (one torch process) and checks
# each export
model() {
	local m=$1 s=$2 o msg
	# shellcheck disable=SC2086
	"$py" "$here/export.py" model "$m" "$s" "$work/$m" $opsets > "$work/$m.export.log" 2>&1
	# the IR ops each export imports to, counted: exports with the same
	# counts share one --precision auto search (one())
	for o in $opsets; do
		[ -f "$work/$m.$o.onnx" ] || continue
		"$QUANTC" opt "$work/$m.$o.onnx" --passes infer-shapes,fold-constants,fuse-activation 2> /dev/null |
			grep -v '^const' | sed -nE 's/.* = ([a-z0-9_]+)\(.*/\1/p' | sort | uniq -c > "$work/$m.$o.ops"
	done
	for o in $opsets; do
		if [ -f "$work/$m.$o.onnx" ]; then
			one "$m" "$o" "$s" "$work/$m.$o.onnx"
		else
			msg=$(cat "$work/$m.$o.failed" 2> /dev/null || tail -1 "$work/$m.export.log")
			printf '%s\t%s\t%s\t-\t-\t-\t-\t-\texport-failed\t%s\n' "$m" "$o" "$s" "$msg"
		fi
	done
	# the CPU its commands took (user, system), for the stage's budget
	times > "$work/$m.times" # (in this shell: a pipe would run it in a child)
	echo "zoo: $m: CPU $(tail -1 "$work/$m.times") (user, system)" >&2
}

i=0
for ms in "${models[@]}"; do
	i=$((i + 1))
	model "${ms%%:*}" "${ms#*:}" > "$work/rows.$i" 2> "$work/err.$i" &
	if [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; then wait -n; fi
done
wait
for ((k = 1; k <= i; k++)); do cat "$work/rows.$k"; done > "$work/rows"
for ((k = 1; k <= i; k++)); do cat "$work/err.$k"; done

# the table, judged against expected.txt
times > "$work/times"
cpu=$(tail -1 "$work/times")
"$py" - "$work/rows" "$here/expected.txt" "$((SECONDS - t0)) s wall; CPU $cpu (user, system)" <<'EOF'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
expected = {}
for l in open(sys.argv[2]):
    if l.strip() and not l.startswith("#"):
        f = l.rstrip("\n").split("\t")
        expected[(f[0], f[1])] = f[2] if len(f) > 2 else ""
print("%-20s %5s %4s %9s %10s %5s %6s %5s  %s" %
      ("model", "opset", "size", "f32 rel", "int8 SQNR", "host", "a64", "auto", "status"))
npass = nfail = 0
for m, o, s, f32, sqnr, host, a64, auto, st, detail in rows:
    listed = expected.get((m, o))
    if st == "pass" and listed is None:
        verdict, ok = "pass", True
    elif st == "pass":
        verdict, ok = "FAIL: passes but expected.txt lists it (stale entry: delete its line)", False
    elif st in ("refused", "export-failed") and listed is not None:
        verdict, ok = "expected %s (%s); quantc: %s" % (st, listed, detail), True
        if st == "export-failed":
            verdict = "expected: torch cannot export it (%s)" % detail
    elif st in ("refused", "export-failed"):
        verdict, ok = "FAIL: %s, not in expected.txt: %s" % (st, detail), False
    else:
        verdict, ok = "FAIL: %s" % detail, False
    npass += ok
    nfail += not ok
    sqnr = sqnr + " dB" if sqnr != "-" else sqnr
    print("%-20s %5s %4s %9s %10s %5s %6s %5s  %s" % (m, o, s, f32, sqnr, host, a64, auto, verdict))
full = sum(1 for r in rows if r[8] == "pass")
print("%d of %d model exports pass every check (%s)" % (full, len(rows), sys.argv[3]))
print("%d passed, %d failed" % (npass, nfail))
sys.exit(1 if nfail else 0)
EOF
