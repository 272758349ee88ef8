# scale.sh — bounded resources on large inputs (docs/limits.md):
#   1. a config with 20,000 layer patterns that match nothing finishes,
#      showing the first 50 warnings and a line counting the rest;
#   2. constant subgraphs (nodes no input reaches: relu of a constant, a
#      conv2d of constants, a model without inputs) fold and compile in
#      int8, int16 and f32, with and without --calib; the object equals the
#      interpreter bit for bit and the result is numpy's;
#   3. a model of 512 MiB activations compiles with 2 GiB of address space
#      (ulimit -v), in int8, int16 and f32;
#   4. constants of 8 GiB in all are refused at the declaration that goes
#      over 2 GiB, before any is read;
#   5. a chain of 20,000 nodes compiles and computes what numpy does.
. "$(dirname "$0")/lib.sh"
q=$QUANTC

# ---- 1. many warnings -------------------------------------------------------
awk 'BEGIN { print "layers:"; for (i = 0; i < 20000; i++) printf "- match: nomatch%d\n", i }' \
	> "$work/many.yaml"
"$q" compile "$ex/mlp.qg" --precision f32 --config "$work/many.yaml" -o "$work/many.o" 2> "$work/many.err"
rc=$?
check "20,000 unmatched layer patterns: the compile succeeds" test $rc -eq 0
n=$(grep -c ': warning: layer pattern' "$work/many.err")
check "... 50 warnings are shown ($n)" test "$n" -eq 50
check "... then 'quantc: note: 19950 more warnings not shown'" \
	grep -q '^quantc: note: 19950 more warnings not shown' "$work/many.err"
check "... the last warning shown quotes its line" \
	grep -q -- '- match: nomatch49$' "$work/many.err"

# ---- 2. constant subgraphs ----------------------------------------------------
py=/usr/bin/python3
cat > "$work/cs1.qg" <<'EOF'
model cs1
input x : f32[1,2,2,2] range [-1, 1]
const c : f32[1,1,3,3] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
const w : f32[2,1,2,2] = [0.1, -0.1, 0.05, 0.025, -0.2, 0.1, 0.1, 0]
const b : f32[2] = [0.5, -0.5]
const v : f32[2,1,1] = [-1, 0.75]
k = conv2d(c, w, b)
k2 = sigmoid(k)
r = relu(v)
s = add(k2, r)
y = add(x, s)
output y
EOF
cat > "$work/cs0.qg" <<'EOF'
model cs0
const w : f32[1,4] = [1, -2, 3, -4]
t = relu(w)
output t
EOF
cat > "$work/cs0.c" <<'EOF'
#include <stdio.h>
#include "cs0.h"
int main(void)
{
	static _Alignas(16) unsigned char arena[CS0_ARENA_SIZE + 16];
	float t[CS0_OUTPUT0_SIZE];
	if (cs0_run(t, arena) != 0)
		return 1;
	for (unsigned i = 0; i < CS0_OUTPUT0_SIZE; i++)
		printf("%s%g", i ? " " : "", t[i]);
	printf("\n");
	return 0;
}
EOF
"$py" - "$work" <<'PY'
import sys, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(3)
x = rng.uniform(-1, 1, (16, 2, 2, 2)).astype(np.float32)
np.save(d + "/cs_x.npy", x)
np.save(d + "/cs_lab.npy", np.zeros(16, np.int32))
c = np.arange(1, 10, dtype=np.float32).reshape(3, 3)
w = np.array([0.1, -0.1, 0.05, 0.025, -0.2, 0.1, 0.1, 0], np.float32).reshape(2, 2, 2)
b = np.array([0.5, -0.5], np.float32)
k = np.zeros((2, 2, 2), np.float64)
for o in range(2):
    for i in range(2):
        for j in range(2):
            k[o, i, j] = b[o] + sum(c[i + ky, j + kx] * w[o, ky, kx] for ky in range(2) for kx in range(2))
s = 1 / (1 + np.exp(-k)) + np.maximum(np.array([-1, 0.75]), 0)[:, None, None]
np.save(d + "/cs_ref.npy", (x + s[None]).astype(np.float32))
PY
for prec in int8 int16 f32; do
	for cal in "" "--calib $work/cs_x.npy"; do
		what="cs1 $prec${cal:+ --calib}"
		rm -f "$work/cs1.o" "$work/obj.npy" "$work/interp.npy"
		# shellcheck disable=SC2086
		check "$what: compiles" "$q" compile "$work/cs1.qg" --precision $prec $cal -o "$work/cs1.o"
		check "$what: links" link_demo cs1 "$work/cs1.o" "$work/cs1_demo"
		"$work/cs1_demo" "$work/cs_x.npy" "$work/cs_lab.npy" "$work/obj.npy" > /dev/null
		# shellcheck disable=SC2086
		"$q" run "$work/cs1.qg" --precision $prec $cal --input "$work/cs_x.npy" -o "$work/interp.npy"
		check "$what: the object equals the interpreter bit for bit" "$py" -c "
import sys, numpy as np
a, b = np.load(sys.argv[1]).reshape(-1), np.load(sys.argv[2]).reshape(-1)
sys.exit(0 if a.size == b.size and a.tobytes() == b.tobytes() else 1)" "$work/obj.npy" "$work/interp.npy"
		tol=1e-5
		[ $prec = int8 ] && tol=0.02
		[ $prec = int16 ] && tol=1e-3
		check "$what: the result is numpy's (within $tol)" "$py" -c "
import sys, numpy as np
a, r = np.load(sys.argv[1]).reshape(-1), np.load(sys.argv[2]).reshape(-1)
sys.exit(0 if a.size == r.size and np.abs(a - r).max() <= float(sys.argv[3]) else 1)" \
			"$work/obj.npy" "$work/cs_ref.npy" $tol
	done
	rm -f "$work/cs0.o" "$work/cs0.h"
	out=
	check "cs0 (no input) $prec: compiles" "$q" compile "$work/cs0.qg" --precision $prec -o "$work/cs0.o"
	# shellcheck disable=SC2086
	"$CC" -std=c11 ${QC_CFLAGS:-} -I"$work" -I"$QRT_INCLUDE" "$work/cs0.c" "$work/cs0.o" "$QRT_LIB" \
		-o "$work/cs0" && out=$("$work/cs0")
	check "cs0 (no input) $prec: the object gives relu(w) = '1 0 3 0' ('$out')" test "$out" = "1 0 3 0"
done
"$q" compile "$work/cs0.qg" --calib "$work/cs_x.npy" -o "$work/cs0.o" 2> "$work/err"
rc=$?
check "cs0 (no input) with --calib: exit 1 ($rc) with a diagnostic" \
	sh -c "[ $rc -eq 1 ] && grep -q 'error:' '$work/err'"
"$q" opt "$work/cs1.qg" --passes infer-shapes,propagate-ranges > /dev/null 2> "$work/err"
rc=$?
check "propagate-ranges without fold-constants: no crash (exit $rc)" test $rc -eq 0

# ---- 3. large tensors under ulimit -v ------------------------------------------
# vmax KB: the address-space limit to run under; none in a sanitizer build,
# whose shadow memory alone reserves terabytes (the plain build checks it)
vmax() { if [[ "${QC_CFLAGS:-}" == *sanitize* ]]; then echo unlimited; else echo "$1"; fi; }
[[ "${QC_CFLAGS:-}" == *sanitize* ]] && echo "note: a sanitizer build: the ulimit -v cases run without the limit"
# a model whose activations are 512 MiB (f32) each, compiled with 2 GiB of
# address space: the range analysis must not keep intervals per element
cat > "$work/large.qg" <<'EOF'
model large
input x : f32[1,4,4096,8192] range [-1, 1]
const c : f32[4,1,1] = [0.5, -0.25, 1, 2]
r = relu(x)
m = maxpool2d(r) { kernel = [2, 2], stride = [2, 2] }
a = add(m, c)
y = clip(a) { min = -0.5, max = 2 }
output y
EOF
for prec in int8 int16 f32; do
	(ulimit -v "$(vmax 2097152)"; "$q" compile "$work/large.qg" --precision $prec -o "$work/large.o") 2> "$work/err"
	rc=$?
	check "large tensors, $prec, ulimit -v 2 GiB: compiles (exit $rc: $(head -c 200 "$work/err"))" test $rc -eq 0
done
"$q" opt "$work/large.qg" --passes infer-shapes,propagate-ranges --elide-constants > "$work/large_r.qg"
check "... the ranges are still proven (r in [0, 1])" \
	grep -q '^r : f32\[1,4,4096,8192\] range \[0, 1\] = relu(x)' "$work/large_r.qg"
check "... and a sums to the hull over the channels" \
	grep -q '^a : f32\[1,4,2048,4096\] range \[-0.25[0-9]*, 3.0[0-9]*\]' "$work/large_r.qg"

# ---- 4. the total size of constants ------------------------------------------
# four 2 GiB constants (sparse files: no disk is used), each allowed, together
# four times the limit: refused at the declaration that goes over, before
# any is read (so 1 GiB of address space is enough)
"$py" - "$work" <<'PY'
import sys
d = sys.argv[1]
n = 1 << 29
hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, %d), }" % n
hdr += " " * (64 - (10 + len(hdr) + 1) % 64) + "\n"
for k in "abcd":
    with open("%s/big_%s.npy" % (d, k), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + len(hdr).to_bytes(2, "little") + hdr.encode())
        f.truncate(10 + len(hdr) + 4 * n)
PY
{
	echo "model big"
	echo "input x : f32[1,536870912]"
	for k in a b c d; do echo "const $k : f32[1,536870912] = npy(\"big_$k.npy\")"; done
	echo "s = add(x, a)"
	echo "t = add(s, b)"
	echo "u = add(t, c)"
	echo "y = add(u, d)"
	echo "output y"
} > "$work/big.qg"
(ulimit -v "$(vmax 1048576)"; "$q" compile "$work/big.qg" --precision f32 -o "$work/big.o") 2> "$work/err"
rc=$?
check "four 2 GiB constants: exit 1 ($rc)" test $rc -eq 1
check "... at the second: \"big.qg:4:7: error: b: f32[1,536870912] brings the model's constants to 4294967296 bytes\"" \
	grep -q "big.qg:4:7: error: b: f32\[1,536870912\] brings the model's constants to 4294967296 bytes, more than the 2 GiB" "$work/err"
check "... and nothing written" test ! -e "$work/big.o"

# ---- 5. a 20,000-node chain ---------------------------------------------------
# dense (weights of four kinds), sigmoid, relu, over and over: it
# compiles in int8 and f32, the int8 object equals the interpreter bit for
# bit, the f32 one is numpy's (nothing is asserted on time)
awk -v n=20000 'BEGIN {
	print "model chain"
	print "input x : f32[1,4] range [-1, 1]"
	prev = "x"
	for (i = 1; i <= n; i++) {
		if (i % 3 == 1) {
			k = int(i / 3) % 4
			printf "const w%d : f32[4,4] = [", i
			for (j = 0; j < 16; j++)
				printf "%s%s", j ? ", " : "", ((j * 7 + k * 3) % 9 - 4) / 4.0
			print "]"
			printf "const b%d : f32[4] = [0.25, -0.5, 0.125, 0]\n", i
			printf "v%d = dense(%s, w%d, b%d)\n", i, prev, i, i
		} else if (i % 3 == 2)
			printf "v%d = sigmoid(%s)\n", i, prev
		else
			printf "v%d = relu(%s)\n", i, prev
		prev = "v" i
	}
	print "output " prev
}' > "$work/chain.qg"
"$py" - "$work" <<'PY'
import sys, numpy as np
d = sys.argv[1]
x = np.random.default_rng(5).uniform(-1, 1, (8, 4)).astype(np.float32)
np.save(d + "/chain_x.npy", x)
np.save(d + "/chain_lab.npy", np.zeros(8, np.int32))
w = [np.array([((j * 7 + k * 3) % 9 - 4) / 4.0 for j in range(16)], np.float32).reshape(4, 4)
     for k in range(4)]
b = np.array([0.25, -0.5, 0.125, 0], np.float32)
v = x.astype(np.float64)
for i in range(1, 20001):
    if i % 3 == 1:
        v = v @ w[(i // 3) % 4].T.astype(np.float64) + b
    elif i % 3 == 2:
        v = 1 / (1 + np.exp(-v))
    else:
        v = np.maximum(v, 0)
np.save(d + "/chain_ref.npy", v.astype(np.float32))
PY
for prec in int8 f32; do
	rm -f "$work/chain.o" "$work/obj.npy" "$work/interp.npy"
	check "20,000-node chain, $prec: compiles" "$q" compile "$work/chain.qg" --precision $prec -o "$work/chain.o"
	check "20,000-node chain, $prec: links" link_demo chain "$work/chain.o" "$work/chain_demo"
	"$work/chain_demo" "$work/chain_x.npy" "$work/chain_lab.npy" "$work/obj.npy" > /dev/null
	"$q" run "$work/chain.qg" --precision $prec --input "$work/chain_x.npy" -o "$work/interp.npy"
	if [ $prec = int8 ]; then
		check "20,000-node chain, int8: the object equals the interpreter bit for bit" \
			"$NPYTOOL" exact "$work/obj.npy" "$work/interp.npy"
		tol=0.05
	else
		tol=1e-4
	fi
	check "20,000-node chain, $prec: the result is numpy's (within $tol)" "$py" -c "
import sys, numpy as np
a, r = np.load(sys.argv[1]).reshape(-1), np.load(sys.argv[2]).reshape(-1)
print('largest difference', np.abs(a - r).max(), 'outputs in', r.min(), r.max())
sys.exit(0 if a.size == r.size and np.abs(a - r).max() <= float(sys.argv[3]) else 1)" \
		"$work/obj.npy" "$work/chain_ref.npy" $tol
done

finish
