#!/bin/bash
# quantize_vec.sh — the float -> int quantize of NAME_run's inputs, inline
# vector code on x86-64 (targets/quantize_vec.c), equals the runtime's
# scalar qrt_quantize_s8 / _s8_even / _s16 that the interpreter calls, bit
# for bit: a model y = flatten(x) of 37 elements (two 16-lane steps and a
# tail of 5), on inputs that hit every branch of the conversion: ties at
# exactly half a step (both signs), values beyond the range and beyond
# 2^22 steps, +-inf, NaN, -0, subnormals, and random values.  int8 (ties
# away from zero), int8 --requant float (ties to even) and int16, each for
# the default multi-ISA object, --mcpu x86-64 (SSE2) and --mcpu znver4
# (AVX-512).  The output is the dequantized int, so equal floats mean equal
# ints.  Cost: about 3 s of CPU.
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3

cat > "$work/qv.qg" <<'EOF'
model qv
input x : f32[1,1,37] range [-3, 2]
y = flatten(x)
output y
EOF
"$py" -c "
import numpy as np, sys
rng = np.random.default_rng(7)
x = rng.uniform(-4, 3, size=(48, 1, 37)).astype(np.float32)
s8 = np.float32(5.0 / 255)  # about the int8 scale of [-3, 2]
k = rng.integers(-140, 140, size=(16, 37)).astype(np.float32)
x[:16, 0] = (k + np.float32(0.5)) * s8           # ties, both signs (about)
x[16:20, 0] = (k[:4] + np.float32(0.5)) * np.float32(5.0 / 65535)
sp = np.array([np.nan, np.inf, -np.inf, 1e30, -1e30, 0.0, -0.0, 1e-40, -1e-40,
               3e38, -3e38, 2.0, -3.0, 2.0000002, -3.0000002], np.float32)
x[20, 0, :sp.size] = sp
x[21, 0, -sp.size:] = sp                          # in the scalar tail too
np.save(sys.argv[1] + '/x.npy', x)
np.save(sys.argv[1] + '/lab.npy', np.zeros(x.shape[0], np.int32))" "$work"

same() {
	"$py" -c "
import numpy as np, sys
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
sys.exit(0 if a.size == b.size and np.array_equal(a.reshape(b.shape).view(np.uint32), b.view(np.uint32)) else 1)" "$1" "$2"
}

for p in "int8" "int8 --requant float" "int16"; do
	tag=${p// /_}
	# shellcheck disable=SC2086
	"$QUANTC" run "$work/qv.qg" --precision $p --input "$work/x.npy" -o "$work/ref.$tag.npy" 2> /dev/null
	check "$p: quantc run" test -s "$work/ref.$tag.npy"
	for cpu in default x86-64 znver4; do
		d=$work/$tag.$cpu
		mkdir -p "$d"
		opts=()
		[ $cpu = default ] || opts=(--mcpu $cpu)
		# shellcheck disable=SC2086
		check "$p, $cpu: compiles" "$QUANTC" compile "$work/qv.qg" --precision $p "${opts[@]}" -o "$d/qv.o"
		check "$p, $cpu: no call of the runtime's scalar quantize" \
			bash -c "! nm '$d/qv.o' | grep -q qrt_quantize"
		[ $cpu = znver4 ] && ! grep -q avx512bw /proc/cpuinfo && continue
		link_demo qv "$d/qv.o" "$d/demo" &&
			"$d/demo" "$work/x.npy" "$work/lab.npy" "$d/y.npy" > /dev/null
		check "$p, $cpu: the object's quantize equals the interpreter's bit for bit (48 x 37 values)" \
			same "$d/y.npy" "$work/ref.$tag.npy"
	done
done
finish
