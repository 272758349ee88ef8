#!/bin/bash
# neon_pool.sh [SEED] — the AArch64 conv kernel (targets/kernel_neon.c) with a
# fused max-pool, sdot and smlal, under QEMU, bit for bit against the
# interpreter.  The int8 layers of tests/e2e/conv_cases.py that a maxpool2d
# follows are rewritten into one conv2d carrying the activation and the
# pool (act, pool, pool_stride), and case00 gets a padded 3x3/1 pool
# (pool_pad); conv_kernels.sh runs the unfused pairs.
#   QC_KERNEL_CASES  number of cases generated (default 40)
. "$(dirname "$0")/lib.sh"
. "$QC_SRC/tests/cross/boards.sh"
seed=${1:-7}
py=${QC_PYTHON:-/usr/bin/python3}

check "xtool builds" "$CC" -std=c11 -O2 -Wall -Wextra -Werror "$QC_SRC/tests/cross/xtool.c" -o "$work/xtool"
check "cases generated (seed $seed)" "$py" "$QC_SRC/tests/e2e/conv_cases.py" "$work/cases" "${QC_KERNEL_CASES:-40}" "$seed"

# fuse DIR: rewrites DIR/model.qg (conv [act] maxpool -> one conv2d); prints
# what it fused, or fails when there is no pool to fuse
fuse() {
	"$py" - "$1/model.qg" << 'EOF'
import re, sys
p = sys.argv[1]
lines = open(p).read().splitlines()
conv = act = pool = None
out = []
for l in lines:
    if l.startswith("y0 = conv2d("):
        conv = l
    elif re.match(r"y1 = relu\(y0\)", l):
        act = "relu"
    elif re.match(r"y1 = clip\(y0\) \{ min = 0, max = 6 \}", l):
        act = "relu6"
    elif l.startswith("y2 = maxpool2d("):
        m = re.search(r"kernel = (\[\d+,\d+\]), stride = (\[\d+,\d+\])", l)
        pool = "pool = %s, pool_stride = %s" % m.groups()
    elif l.startswith("output "):
        out.append(l)
    else:
        out.append(l)
if conv is None:
    sys.exit(1)
if pool is None:
    if "case00" not in p:
        sys.exit(1)
    pool = "pool = [3,3], pool_stride = [1,1], pool_pad = [1,1,1,1]"
extra = ", ".join(x for x in ["act = " + act if act else None, pool] if x)
fused = re.sub(r"^y0 = (conv2d\(.*\)) \{ (.*) \}$", r"yf = \1 { \2, " + extra + " }", conv)
out = [l if not l.startswith("output ") else "output yf" for l in out]
out.insert(len(out) - 1, fused)
open(p, "w").write("\n".join(out) + "\n")
print(extra)
EOF
}

# one MATTR NAME REQUANT: compile, link, run under QEMU, compare
one() {
	local d=$work/cases/$2 o=(--calib "$work/cases/$2/calib.npy" --requant "$3")
	"$QUANTC" compile "$d/model.qg" "${o[@]}" --target aarch64-linux-gnu ${1:+--mattr "$1"} -o "$d/m.o" &&
		"$work/xtool" images "$d/x.npy" 3 "$d/images.h" > /dev/null &&
		x_link_driver m "$d" "$work/rt$1" &&
		timeout 300 "${x_run[@]}" "$d/fw.elf" > "$d/out.txt" 2>&1 &&
		"$QUANTC" run "$d/model.qg" "${o[@]}" --input "$d/x.npy" -o "$d/ref.npy" &&
		"$work/xtool" compare "$d/out.txt" "$d/ref.npy" > "$d/cmp.txt" || {
		tail -c 300 "$d/out.txt" 2> /dev/null
		cat "$d/cmp.txt" 2> /dev/null
		return 1
	}
}

fused=()
while read -r name prec req what; do
	[ "$prec" = int8 ] || continue
	if how=$(fuse "$work/cases/$name"); then
		fused+=("$name:$req:$how: $what")
	fi
done < "$work/cases/cases.txt"
check "at least 4 fused cases" test "${#fused[@]}" -ge 4
for mattr in "" "+dotprod"; do
	if ! cross_target aarch64-linux-gnu cortex-a72 "$mattr" || ! cross_tools_present; then
		fail "aarch64 cross tools"
		continue
	fi
	mkdir -p "$work/rt$mattr"
	check "$x_label: runtime builds" x_build_runtime "$work/rt$mattr"
	for f in "${fused[@]}"; do
		IFS=: read -r name req how what <<< "$f"
		check "$x_label: $name (--requant $req, $how) $what: equals the interpreter bit for bit" \
			one "$mattr" "$name" "$req"
	done
done
finish
