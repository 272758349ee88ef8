# norm.sh — ONNX InstanceNormalization, LayerNormalization (axis -1 and -2),
# GroupNormalization (opset 18: scale and bias per group; 21: per channel),
# each lowered at import to reduce_mean, sub, mul, add, sqrt, reciprocal
# (and reshape), and a Concat of 20 inputs (about 17 s of CPU):
#   1. f32 `quantc run` equals numpy's float64 result within 1e-5 relative
#      (1e-5 absolute near 0) on 6 samples;
#   2. int8 and int16, calibrated on the same 6 samples, reach the stated
#      SQNR against f32 (int8 30 dB, int16 55 dB);
#   3. each precision's host object (linked with the ONNX conformance
#      driver) computes what `quantc run` does, bit for bit, on 3 samples;
#   4. LayerNormalization with its Mean and InvStdDev outputs read: the three
#      outputs in f32 against numpy (shapes [1,3,1]), and each precision's
#      host object equals `quantc run` bit for bit on all three.
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3

# shellcheck disable=SC2086
"$CC" -std=c11 -O1 ${QC_CFLAGS:-} -I"$QRT_INCLUDE" -c "$QC_SRC/tests/onnx_conformance/driver.c" -o "$work/driver.o"
"$py" "$QC_SRC/tests/e2e/norm.py" "$work"

for m in inorm lnorm1 lnorm2 gnorm18 gnorm21 cat20; do
	ops=$("$QUANTC" opt "$work/$m.onnx" --passes infer-shapes 2> "$work/err" | grep -v '^const' | sed -nE 's/.* = ([a-z0-9_]+)\(.*/\1/p' | sort -u | tr '\n' ' ')
	for p in f32 int8 int16; do
		calib="--calib $work/$m.x.npy"
		[ $p = f32 ] && calib=
		# shellcheck disable=SC2086
		"$QUANTC" run "$work/$m.onnx" --precision $p $calib --input "$work/$m.x.npy" -o "$work/$m.$p.npy" 2> "$work/err"
		check "$m $p: quantc run (ops: $ops)" test -s "$work/$m.$p.npy"
		# shellcheck disable=SC2086
		"$QUANTC" compile "$work/$m.onnx" --precision $p $calib --name model -o "$work/$m.$p.o" 2>> "$work/err" &&
			# shellcheck disable=SC2086
			"$CC" ${QC_CFLAGS:-} "$work/$m.$p.o" "$work/driver.o" "$QRT_LIB" -lm -o "$work/$m.$p.exe"
		same=yes
		for i in 0 1 2; do
			"$work/$m.$p.exe" "$work/$m.x$i.raw" "$work/o" || same=no
			"$py" -c "
import numpy as np, sys
a = np.fromfile(sys.argv[1], np.float32)
b = np.load(sys.argv[2])[int(sys.argv[3])].reshape(-1)
sys.exit(0 if a.size == b.size and np.array_equal(a.view(np.uint32), b.view(np.uint32)) else 1)" \
				"$work/o" "$work/$m.$p.npy" $i || same=no
		done
		check "$m $p: the host object equals quantc run bit for bit (3 samples)" test $same = yes
	done
	check "$m f32: equals numpy within 1e-5 relative" "$py" -c "
import numpy as np, sys
f, r = np.load(sys.argv[1]), np.load(sys.argv[2])
f = f.reshape(r.shape)
print(f'  $m f32: max |f32 - numpy| = {np.abs(f - r).max():.3g}')
sys.exit(0 if np.allclose(f, r, rtol=1e-5, atol=1e-5) else 1)" "$work/$m.f32.npy" "$work/$m.ref.npy"
	for p in int8 int16; do
		want=30
		[ $p = int16 ] && want=55
		check "$m $p: SQNR against f32 at least $want dB" "$py" -c "
import numpy as np, sys
f, q = np.load(sys.argv[1]).astype(np.float64), np.load(sys.argv[2]).astype(np.float64)
sqnr = 10 * np.log10((f ** 2).sum() / max(((q - f) ** 2).sum(), 1e-30))
print(f'  $m $p: SQNR {sqnr:.1f} dB')
sys.exit(0 if sqnr >= $want else 1)" "$work/$m.f32.npy" "$work/$m.$p.npy"
	done
done

# LayerNormalization with its Mean and InvStdDev outputs read: the
# decomposition's reduce_mean and reciprocal values are those outputs
"$py" - "$work" <<'PYEOF'
import numpy as np, onnx, sys
from onnx import helper as h, TensorProto as T
d = sys.argv[1]
rng = np.random.default_rng(19)
s = rng.uniform(0.5, 1.5, 5).astype(np.float32)
g = h.make_graph([h.make_node('LayerNormalization', ['x', 's'], ['y', 'mean', 'isd'], name='ln',
                              epsilon=1e-3)], 'g',
                 [h.make_tensor_value_info('x', T.FLOAT, [1, 3, 5])],
                 [h.make_tensor_value_info(n, T.FLOAT, None) for n in ('y', 'mean', 'isd')],
                 [h.make_tensor('s', T.FLOAT, [5], s.tolist())])
m = h.make_model(g, opset_imports=[h.make_opsetid('', 17)])
m.ir_version = 8
onnx.save(m, d + '/lnstats.onnx')
x = rng.normal(0.5, 2, size=(6, 3, 5)).astype(np.float32)
np.save(d + '/lnstats.x.npy', x)
for i in range(3):
    x[i].tofile(f'{d}/lnstats.x{i}.raw')
x = x.astype(np.float64)
mu = x.mean(-1, keepdims=True)
isd = 1 / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + 1e-3)
for n, v in (('y', (x - mu) * isd * s), ('mean', mu), ('isd', isd)):
    np.save(f'{d}/lnstats.ref.{n}.npy', v.astype(np.float32))
PYEOF
for p in f32 int8 int16; do
	calib="--calib $work/lnstats.x.npy"
	[ $p = f32 ] && calib=
	# shellcheck disable=SC2086
	"$QUANTC" run "$work/lnstats.onnx" --precision $p $calib --input "$work/lnstats.x.npy" \
		-o "$work/ls.$p.y.npy" -o "$work/ls.$p.mean.npy" -o "$work/ls.$p.isd.npy" 2> "$work/err"
	check "lnstats $p: quantc run computes Y, Mean and InvStdDev" \
		test -s "$work/ls.$p.y.npy" -a -s "$work/ls.$p.mean.npy" -a -s "$work/ls.$p.isd.npy"
	# shellcheck disable=SC2086
	"$QUANTC" compile "$work/lnstats.onnx" --precision $p $calib --name model -o "$work/ls.$p.o" 2>> "$work/err" &&
		# shellcheck disable=SC2086
		"$CC" ${QC_CFLAGS:-} "$work/ls.$p.o" "$work/driver.o" "$QRT_LIB" -lm -o "$work/ls.$p.exe"
	same=yes
	for i in 0 1 2; do
		"$work/ls.$p.exe" "$work/lnstats.x$i.raw" "$work/o.y" "$work/o.mean" "$work/o.isd" || same=no
		for n in y mean isd; do
			"$py" -c "
import numpy as np, sys
a = np.fromfile(sys.argv[1], np.float32)
b = np.load(sys.argv[2])[int(sys.argv[3])].reshape(-1)
sys.exit(0 if a.size == b.size and np.array_equal(a.view(np.uint32), b.view(np.uint32)) else 1)" \
				"$work/o.$n" "$work/ls.$p.$n.npy" $i || same=no
		done
	done
	check "lnstats $p: the host object's three outputs equal quantc run bit for bit (3 samples)" test $same = yes
done
check "lnstats f32: Y, Mean [1,3,1] and InvStdDev [1,3,1] equal numpy within 1e-5 relative" "$py" -c "
import numpy as np, sys
d = sys.argv[1]
bad = 0
for n in ('y', 'mean', 'isd'):
    f, r = np.load(f'{d}/ls.f32.{n}.npy'), np.load(f'{d}/lnstats.ref.{n}.npy')
    ok = f.shape[1:] == r.shape[1:] and np.allclose(f, r, rtol=1e-5, atol=1e-5)
    print(f'  lnstats {n}: shape {list(f.shape[1:])}, max |f32 - numpy| = {np.abs(f.reshape(r.shape) - r).max():.3g}')
    bad += not ok
sys.exit(bad)" "$work"
finish
