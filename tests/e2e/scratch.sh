#!/bin/bash
# scratch.sh — kernel scratch lives in the arena (plan-memory plans it with
# the target's hook, passes/plan_memory.c; targets/kernels.c), not on the
# stack:
#   1. layers whose padded input is far over the old 64 KiB stack cap (a
#      32-channel 48x48 convolution with relu and a fused max-pool, then a
#      depthwise one; int8 and f32) get the target kernels, not the generic
#      loop, on the x86-64-v3 and v4 levels of the host's default object,
#      and the object equals the interpreter bit for bit (int8) or
#      exactly (f32);
#   2. the dump after plan-memory shows each kernel's scratch = [OFF,BYTES],
#      parses back to the same text, the arena holds it, and compiling the
#      dump gives the same object;
#   3. the stack: every function's frame in the objects of that model, the
#      CNN and the MLP for the host (x86-64, every level) and for aarch64,
#      read from llvm-objdump-19; the frames of the deepest call chain
#      (NAME_run -> body -> kernel: the three largest frames, a bound) stay
#      within 16 KiB.  Prints the figures.
# Cost: about 6 s of CPU (the interpreter's 21M MACs twice, five compiles).
. "$(dirname "$0")/lib.sh"
. "$QC_SRC/tests/cross/boards.sh"
py=${QC_PYTHON:-/usr/bin/python3}
objdump=$(command -v llvm-objdump-19 || echo /usr/lib/llvm-19/bin/llvm-objdump)
d=$work/m
mkdir -p "$d"

# the model: conv 32->32 3x3 relu + maxpool 2x2 (fused), depthwise 3x3
"$py" - "$d" << 'EOF'
import sys, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(7)
C, H = 32, 48
def lst(a):
    return ",".join("%.4f" % v for v in a.ravel())
w = rng.normal(0, 0.08, (C, C, 3, 3)); b = rng.normal(0, 0.1, C)
dw = rng.normal(0, 0.3, (C, 1, 3, 3)); db = rng.normal(0, 0.1, C)
with open(d + "/model.qg", "w") as f:
    f.write("model m\ninput x : f32[1,%d,%d,%d] range [-1, 1]\n" % (C, H, H))
    f.write("const w : f32[%d,%d,3,3] = [%s]\n" % (C, C, lst(w)))
    f.write("const b : f32[%d] = [%s]\n" % (C, lst(b)))
    f.write("const dw : f32[%d,1,3,3] = [%s]\n" % (C, lst(dw)))
    f.write("const db : f32[%d] = [%s]\n" % (C, lst(db)))
    f.write("y = conv2d(x, w, b) { pad = [1,1,1,1], act = relu }\n")
    f.write("p = maxpool2d(y) { kernel = [2,2], stride = [2,2] }\n")
    f.write("z = conv2d(p, dw, db) { pad = [1,1,1,1], groups = %d }\n" % C)
    f.write("output z\n")
# the harness's inputs are bytes / 255
np.save(d + "/x.npy", (rng.integers(0, 256, (3, C, H, H)) / 255).astype(np.float32))
np.save(d + "/calib.npy", rng.uniform(-1, 1, (8, C, H, H)).astype(np.float32))
EOF

x_cc=${CC:-cc} x_cflags=() x_ldflags=() x_run=()
check "host: runtime builds" x_build_runtime "$work"
check "host tool xtool builds" "$CC" -std=c11 -O2 -Wall -Wextra -Werror "$QC_SRC/tests/cross/xtool.c" -o "$work/xtool"
"$work/xtool" images "$d/x.npy" 3 "$d/images.h" > /dev/null

# --- 1. the kernels take the big layers, bit for bit ------------------------------
for p in int8 f32; do
	opts=(--precision $p --calib "$d/calib.npy")
	"$QUANTC" inspect "$d/model.qg" "${opts[@]}" > "$d/inspect-$p.txt" 2>&1
	# per level: the convolutions' kernels (the lines after each level's
	# heading): the convolution and the depthwise one
	want=2
	for lvl in x86-64-v3 x86-64-v4; do
		k=$(awk -v l="cpu $lvl" 'index($0, l) { on = 1; next } /^kernels on/ { on = 0 }
			on && $3 == "conv2d" { printf "%s ", $4 }' "$d/inspect-$p.txt")
		echo "$p $lvl: kernels $k"
		n=$(echo "$k" | tr ' ' '\n' | grep -c '^x86\.')
		check "$p $lvl: $want big convolution(s) get a target kernel, not the generic loop ($k)" \
			test "$n" = $want
	done
	check "$p: compile for the host (every level) with --print-after plan-memory" \
		"$QUANTC" compile "$d/model.qg" "${opts[@]}" --print-after plan-memory --print-constants \
		-o "$d/m.o" 2> "$d/plan-$p.qg"
	sed -n 's/^\([a-z]*\) .*scratch = \[\([0-9]*\),\([0-9]*\)\].*/\1 @\2 \3 bytes/p' "$d/plan-$p.qg" > "$d/scr.txt"
	echo "$p: scratch $(tr '\n' ';' < "$d/scr.txt")"
	# (the generic loop's accumulator row is scratch too); the f32 kernel
	# copies the padded input in bands of at most 64 KiB (they stay in L2)
	if [ $p = int8 ]; then
		check "$p: both convolutions have arena scratch in the dump, the first over 64 KiB" \
			awk 'END { exit !(NR == 2 && big) } NR == 1 { big = $3 > 65536 }' "$d/scr.txt"
	else
		check "$p: both convolutions have arena scratch in the dump" \
			awk 'END { exit !(NR == 2) }' "$d/scr.txt"
	fi
	check "$p: the object is linked and run" x_link_driver m "$d" "$work"
	"${x_run[@]}" "$d/fw.elf" > "$d/out.txt" 2>&1
	"$QUANTC" run "$d/model.qg" "${opts[@]}" --input "$d/x.npy" -o "$d/ref.npy" 2> /dev/null
	check "$p: 3 inputs: the object equals the interpreter bit for bit" \
		"$work/xtool" compare "$d/out.txt" "$d/ref.npy"

	# --- 2. the dump round-trips ------------------------------------------------
	tail -n +2 "$d/plan-$p.qg" > "$d/dump.qg"
	"$QUANTC" opt "$d/dump.qg" > "$d/re1.qg" 2> /dev/null
	check "$p: the planned dump with scratch parses and prints the same" cmp -s "$d/dump.qg" "$d/re1.qg"
	"$QUANTC" compile "$d/dump.qg" "${opts[@]}" --passes "" -o "$d/re.o" 2> /dev/null
	check "$p: compiling the dump gives the same object" cmp -s "$d/m.o" "$d/re.o"
	cp "$d/m.o" "$work/big-$p.o"
done
"$QUANTC" opt "$d/model.qg" --precision int8 --calib "$d/calib.npy" > "$d/opt.qg" 2> /dev/null
"$QUANTC" inspect "$d/opt.qg" > "$d/inspect-opt.txt" 2> /dev/null
n=$(grep -cE 'x86\.vnni(_dw8)?\.conv2d$' "$d/inspect-opt.txt")
check "a dump planned without a target (quantc opt) is planned again with the scratch: inspect gives both layers their VNNI kernels, x86.vnni.conv2d and x86.vnni_dw8.conv2d ($n)" \
	test "$n" = 2

# --- 3. the stack -----------------------------------------------------------------
# adjustments OBJ: the object's stack adjustments, one a line, largest
# first (x86-64: sub $N, %rsp; AArch64: sub sp|x9, sp, #N [lsl #12] and
# stp/str pre-index [sp, #-N]!).  The private kernels share one .text
# symbol, so functions are not told apart: a call chain NAME_run -> body
# -> kernel makes at most two adjustments per function, and the six
# largest of the whole object, plus 64 bytes each for pushes and return
# addresses, bound its stack.
adjustments() {
	"$objdump" -d --no-show-raw-insn "$1" | awk '
		function hex(s,   v, i) { v = 0; s = tolower(substr(s, 3))
			for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return v }
		/subq?[ \t]+\$0x[0-9a-f]+, *%rsp/ { match($0, /\$0x[0-9a-f]+/); print hex(substr($0, RSTART + 1, RLENGTH - 1)) }
		/sub[ \t]+(sp|x9), sp, #0x[0-9a-f]+/ { match($0, /#0x[0-9a-f]+/); v = hex(substr($0, RSTART + 1, RLENGTH - 1))
			if ($0 ~ /lsl #12/) v *= 4096; print v }
		/sub[ \t]+(sp|x9), sp, #[0-9]+/ { match($0, /#[0-9]+/); v = substr($0, RSTART + 1, RLENGTH - 1)
			if ($0 ~ /lsl #12/) v *= 4096; print v }
		/(stp|str)[ \t].*\[sp, #-[0-9]+\]!/ { match($0, /#-[0-9]+/); print substr($0, RSTART + 2, RLENGTH - 2) }' |
		sort -rn
}
stack_check() {
	local what=$1 obj=$2
	adjustments "$obj" > "$work/adj.txt"
	local top bound
	top=$(head -1 "$work/adj.txt")
	bound=$(head -6 "$work/adj.txt" | awk '{ s += $1 + 64 } END { print s + 0 }')
	echo "$what: largest stack adjustment ${top:-0} bytes; bound on NAME_run's stack $bound bytes"
	check "$what: NAME_run's stack ($bound bytes, a bound) <= 16 KiB" test "$bound" -le 16384
}
stack_check "big int8, host" "$work/big-int8.o"
stack_check "big f32, host" "$work/big-f32.o"
for m in cnn mlp; do
	"$QUANTC" compile "$ex/$m.qg" -o "$work/$m.o" 2> /dev/null
	stack_check "$m int8, host" "$work/$m.o"
done
for t in aarch64-linux-gnu; do
	"$QUANTC" compile "$d/model.qg" --precision int8 --calib "$d/calib.npy" --target $t -o "$work/a.o" 2> /dev/null
	stack_check "big int8, $t" "$work/a.o"
	"$QUANTC" compile "$ex/cnn.qg" --target $t -o "$work/a.o" 2> /dev/null
	stack_check "cnn int8, $t" "$work/a.o"
done
finish
