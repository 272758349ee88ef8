#!/bin/bash
# sse_dense.sh — the int8 dense of the x86-64 baseline (x86.sse2.dense,
# targets/kernel_sse.c) equals the interpreter bit for bit: dense layers
# with input counts on and off its 8-input steps and output counts on and
# off its 4-row blocks (37 -> 13 with bias and relu, 8 -> 4 without bias,
# 300 -> 30 with relu6, a batch of 2 rows), the input's zero point not 0
# (it is folded into the bias), int8 with fixed-point and --requant float
# requantization, compiled with --mcpu x86-64, and --mcpu x86-64-v2
# (SSE4.2, no AVX2: the kernel too); inspect shows the kernel took each
# layer.  Cost: about 4 s of CPU.
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3

"$py" -c "
import numpy as np, sys
d = sys.argv[1]
rng = np.random.default_rng(11)
for name, shape in (('w1', (13, 37)), ('b1', (13,)), ('w2', (4, 13)), ('w3', (30, 300)), ('b3', (30,))):
    np.save(f'{d}/{name}.npy', rng.normal(0, 0.3, size=shape).astype(np.float32))
np.save(d + '/x.npy', rng.uniform(-1, 3, size=(24, 2, 37)).astype(np.float32))
np.save(d + '/lab.npy', np.zeros(24, np.int32))" "$work"
cat > "$work/sd.qg" <<'EOF'
model sd
input x : f32[2,37] range [-1, 3]
const w1 : f32[13,37] = npy("w1.npy")
const b1 : f32[13] = npy("b1.npy")
const w2 : f32[4,13] = npy("w2.npy")
const w3 : f32[30,300] = npy("w3.npy")
const b3 : f32[30] = npy("b3.npy")
a = dense(x, w1, b1) { act = relu }
c = dense(a, w2)
f = reshape(c) { shape = [2, 4, 1] }
g = expand(f) { shape = [2, 4, 75] }
h = reshape(g) { shape = [2, 300] }
y = dense(h, w3, b3) { act = relu6 }
output y
EOF

for p in "fixed" "float"; do
	d=$work/$p
	mkdir -p "$d"
	"$QUANTC" inspect "$work/sd.qg" --requant $p --mcpu x86-64 > "$d/inspect.txt" 2>&1
	check "requant $p: inspect shows x86.sse2.dense on the three dense layers" \
		test "$(grep -c 'dense  *x86\.sse2\.dense$' "$d/inspect.txt")" = 3
	"$QUANTC" run "$work/sd.qg" --requant $p --input "$work/x.npy" -o "$d/ref.npy" 2> /dev/null
	check "requant $p: quantc run" test -s "$d/ref.npy"
	for cpu in x86-64 x86-64-v2; do
		opts=(--mcpu $cpu)
		check "requant $p: compiles ($cpu)" \
			"$QUANTC" compile "$work/sd.qg" --requant $p "${opts[@]}" -o "$d/sd.o"
		link_demo sd "$d/sd.o" "$d/demo" &&
			"$d/demo" "$work/x.npy" "$work/lab.npy" "$d/y.npy" > /dev/null
		check "requant $p, $cpu: the object equals the interpreter bit for bit (24 inputs of 2 x 37)" "$py" -c "
import numpy as np, sys
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
sys.exit(0 if a.size == b.size and np.array_equal(a.reshape(b.shape).view(np.uint32), b.view(np.uint32)) else 1)" \
			"$d/y.npy" "$d/ref.npy"
		rm -f "$d/y.npy"
	done
done
finish
