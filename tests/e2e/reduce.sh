# reduce.sh — the reduce family (reduce_sum, reduce_mean, reduce_max,
# reduce_min, reduce_prod, reduce_l2) and the binary max, min, div and prelu
# of issue 18, in f32, int8 and int16 (about 15 s of CPU):
#   1. three models (reductions over several axes sets, with and without
#      keepdims, down to a scalar; max / min / div / prelu with NumPy
#      broadcasting, prelu with a per-channel slope) quantize from their
#      declared ranges; on 6 random inputs f32 equals numpy (bit for bit
#      for max, min, div, prelu; within 1e-5 relative for the sums and
#      products, which numpy adds in another order), and the int8 and int16
#      results are within the stated number of output steps of f32;
#   2. each precision's host object (linked with the ONNX conformance
#      driver) computes what `quantc run` does, bit for bit, on 3 samples;
#   3. integer div by zero saturates, 0 / 0 gives the zero point;
#   4. ONNX: ReduceMean over (2, 3) keepdims 0 (torchvision's x.mean((2, 3))),
#      ReduceSum with axes as an input, ReduceL2 / ReduceMax / ReduceMin /
#      ReduceProd with attributes, GlobalMaxPool, PRelu, variadic Max / Min /
#      Sum / Mean of three inputs import and compute numpy's result.
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3

# shellcheck disable=SC2086
"$CC" -std=c11 -O1 ${QC_CFLAGS:-} -I"$QRT_INCLUDE" -c "$QC_SRC/tests/onnx_conformance/driver.c" -o "$work/driver.o"

# six models of two outputs each (the driver takes up to two)
hdr='input x : f32[1,2,3,4,5] range [-2, 3]'
printf '%s\n' "model r1" "$hdr" "a = reduce_mean(x) { axes = [3,4], keepdims = 0 }" \
	"b = reduce_sum(x) { axes = [2] }" "output a, b" > "$work/r1.qg"
printf '%s\n' "model r2" "$hdr" "a = reduce_max(x) { axes = [-1,1] }" "b = reduce_min(x)" \
	"output a, b" > "$work/r2.qg"
printf '%s\n' "model r3" "$hdr" "a = reduce_l2(x) { axes = [2,4] }" \
	"b = reduce_prod(x) { axes = [4], keepdims = 0 }" "output a, b" > "$work/r3.qg"
printf '%s\n' "model r4" "$hdr" "a = reduce_mean(x) { axes = [1,3] }" \
	"b = reduce_sum(x) { axes = [], keepdims = 0 }" "output a, b" > "$work/r4.qg"
yin='input y : f32[1,3,1,5] range [0.5, 2]'
printf '%s\n' "model b1" "$hdr" "$yin" "a = max(x, y)" "b = min(y, x)" "output a, b" > "$work/b1.qg"
printf '%s\n' "model b2" "$hdr" "$yin" "const s : f32[3,1,1] = [0.25, -0.5, 1.5]" "a = div(x, y)" \
	"b = prelu(x, s)" "output a, b" > "$work/b2.qg"
"$py" -c "
import numpy as np, sys
rng = np.random.default_rng(18)
x = rng.uniform(-2, 3, size=(6, 2, 3, 4, 5)).astype(np.float32)
y = rng.uniform(0.5, 2, size=(6, 3, 1, 5)).astype(np.float32)
np.save(sys.argv[1] + '/x.npy', x)
np.save(sys.argv[1] + '/y.npy', y)
for i in range(3):
    x[i].tofile(sys.argv[1] + f'/x{i}.raw')
    y[i].tofile(sys.argv[1] + f'/y{i}.raw')" "$work"

# numpy's results, one file per model output (6 samples)
"$py" -c "
import numpy as np, sys
d = sys.argv[1]
x, y = np.load(d + '/x.npy'), np.load(d + '/y.npy')
s = np.array([0.25, -0.5, 1.5], np.float32).reshape(3, 1, 1)
ref = {
 'r1': [x.mean((3, 4)), x.sum(2, keepdims=True)],
 'r2': [x.max((4, 1), keepdims=True), x.min((1, 2, 3, 4), keepdims=True)],
 'r3': [np.sqrt((x.astype(np.float64) ** 2).sum((2, 4), keepdims=True)), x.astype(np.float64).prod(4)],
 'r4': [x.mean((1, 3), keepdims=True), x.astype(np.float64).sum((1, 2, 3, 4))],
 'b1': [np.maximum(x, y[:, None]), np.minimum(y[:, None], x)],
 'b2': [x / y[:, None], np.where(x < 0, s * x, x)],
}
for m, outs in ref.items():
    for k, r in enumerate(outs):
        np.save(f'{d}/{m}.ref{k}.npy', np.asarray(r, np.float32))" "$work"

outs() { echo "-o $work/$1.$2.0.npy -o $work/$1.$2.1.npy"; }
for m in r1 r2 r3 r4 b1 b2; do
	ins="--input $work/x.npy"
	[ ${m#b} != $m ] && ins="$ins --input $work/y.npy"
	for p in f32 int8 int16; do
		# shellcheck disable=SC2046,SC2086
		"$QUANTC" run "$work/$m.qg" --precision $p $ins $(outs $m $p) 2> "$work/err"
		check "$m $p: quantc run" test -s "$work/$m.$p.1.npy"
		"$QUANTC" compile "$work/$m.qg" --precision $p --name model -o "$work/$m.$p.o" &&
			# shellcheck disable=SC2086
			"$CC" ${QC_CFLAGS:-} "$work/$m.$p.o" "$work/driver.o" "$QRT_LIB" -lm -o "$work/$m.$p.exe"
		same=yes
		for i in 0 1 2; do
			raws="$work/x$i.raw"
			[ ${m#b} != $m ] && raws="$raws $work/y$i.raw"
			# shellcheck disable=SC2086
			"$work/$m.$p.exe" $raws "$work/o0" "$work/o1" || same=no
			"$py" -c "
import numpy as np, sys
d, m, p, i = sys.argv[1:5]
for k in range(2):
    a = np.fromfile(f'{d}/o{k}', np.float32)
    b = np.load(f'{d}/{m}.{p}.{k}.npy')[int(i)].reshape(-1)
    if a.size != b.size or not np.array_equal(a.view(np.uint32), b.view(np.uint32)):
        sys.exit(1)" "$work" $m $p $i || same=no
		done
		check "$m $p: the host object equals quantc run bit for bit (3 samples, 2 outputs)" test $same = yes
	done
	check "$m f32: equals numpy (bit for bit: max, min, div, prelu, reduce_max, reduce_min; 1e-5 relative: sums, products)" "$py" -c "
import numpy as np, sys
d, m = sys.argv[1:3]
exact = {'r1': [0, 0], 'r2': [1, 1], 'r3': [0, 0], 'r4': [0, 0], 'b1': [1, 1], 'b2': [1, 1]}[m]
for k in range(2):
    f, r = np.load(f'{d}/{m}.f32.{k}.npy'), np.load(f'{d}/{m}.ref{k}.npy')
    f = f.reshape(r.shape)
    ok = np.array_equal(f, r) if exact[k] else np.allclose(f, r, rtol=1e-5, atol=1e-5)
    if not ok:
        print(f'{m} output {k}: max |f32 - numpy| = {np.abs(f - r).max()}')
        sys.exit(1)" "$work" $m
	for p in int8 int16; do
		"$QUANTC" opt "$work/$m.qg" --precision $p --passes infer-shapes,propagate-ranges,quantize > "$work/$m.q.$p.qg"
		# the tolerance in output steps: two for most (the input's rounding and
		# the result's); reduce_prod rescales after every product (5
		# roundings); div's quotient is rounded before its requantization
		check "$m $p: within the stated output steps of f32" "$py" -c "
import re, sys, numpy as np
d, m, p = sys.argv[1:4]
txt = open(f'{d}/{m}.q.{p}.qg').read()
tol = {'r1': [2, 2], 'r2': [2, 2], 'r3': [2, 6], 'r4': [2, 2], 'b1': [2, 2], 'b2': [3, 2]}[m]
for k, name in enumerate('ab'):
    s = float(re.search(r'\n' + name + r' : i(8|16)\[[^]]*\] q\(scale=([^,]*),', txt).group(2))
    f, q = np.load(f'{d}/{m}.f32.{k}.npy'), np.load(f'{d}/{m}.{p}.{k}.npy')
    err = float(np.abs(f - q).max())
    print(f'{m} {p} output {name}: max |q - f32| = {err:.6g} = {err / s:.3g} steps (allowed {tol[k]})')
    if err > tol[k] * s * 1.0001:
        sys.exit(1)" "$work" $m $p
	done
done

# integer division by zero saturates: the divisor's declared range [0.25, 1]
# (widened to hold 0 by its quantization) bounds the quotient to [-4, 4],
# then the divisor 0 is fed
"$py" -c "
import numpy as np, sys
np.save(sys.argv[1] + '/da.npy', np.array([[1, -1, 0, 0.5]], np.float32))
np.save(sys.argv[1] + '/db.npy', np.array([[0, 0, 0, 0.5]], np.float32))" "$work"
printf '%s\n' "model dz" "input a : f32[1,4] range [-1, 1]" "input b : f32[1,4] range [0.25, 1]" \
	"y = div(a, b)" "output y" > "$work/dz.qg"
for p in int8 int16; do
	rm -f "$work/dz.npy" "$work/dz.raw"
	"$QUANTC" run "$work/dz.qg" --precision $p --input "$work/da.npy" --input "$work/db.npy" -o "$work/dz.npy" 2> "$work/err"
	check "$p div: 1/0 gives the top of the range, -1/0 the bottom, 0/0 zero, 0.5/0.5 one" "$py" -c "
import numpy as np, sys
y = np.load(sys.argv[1]).reshape(-1)
print('  $p: [1, -1, 0, 0.5] / [0, 0, 0, 0.5] =', y)
sys.exit(0 if y[0] >= 3.96 and y[1] <= -3.96 and y[2] == 0 and abs(y[3] - 1) < 0.02 else 1)" "$work/dz.npy"
	"$QUANTC" compile "$work/dz.qg" --precision $p --name model -o "$work/dz.o" &&
		# shellcheck disable=SC2086
		"$CC" ${QC_CFLAGS:-} "$work/dz.o" "$work/driver.o" "$QRT_LIB" -lm -o "$work/dz.exe" &&
		"$py" -c "import numpy as np, sys; np.load(sys.argv[1]).tofile(sys.argv[2]); np.load(sys.argv[3]).tofile(sys.argv[4])" \
			"$work/da.npy" "$work/da.raw" "$work/db.npy" "$work/db.raw" &&
		"$work/dz.exe" "$work/da.raw" "$work/db.raw" "$work/dz.raw"
	check "$p div by zero: the host object equals quantc run bit for bit" "$py" -c "
import numpy as np, sys
sys.exit(0 if np.array_equal(np.fromfile(sys.argv[1], np.float32), np.load(sys.argv[2]).reshape(-1)) else 1)" "$work/dz.raw" "$work/dz.npy"
done

# ONNX
"$py" - "$work" <<'EOF'
import numpy as np, onnx, sys
from onnx import helper as h, TensorProto as T
d = sys.argv[1]
rng = np.random.default_rng(7)
def save(name, nodes, inputs, outputs, inits=(), opset=13):
    g = h.make_graph(nodes, name, [h.make_tensor_value_info(n, T.FLOAT, s) for n, s in inputs],
                     [h.make_tensor_value_info(n, T.FLOAT, None) for n in outputs], list(inits))
    m = h.make_model(g, opset_imports=[h.make_opsetid('', opset)])
    onnx.save(m, f'{d}/{name}.onnx')
x = rng.uniform(-2, 3, size=(1, 4, 3, 5)).astype(np.float32)
x.tofile(f'{d}/ox.raw')
np.save(f'{d}/ox.npy', x)
# torchvision's x.mean((2, 3)): ReduceMean axes (2, 3) keepdims 0
save('mean23', [h.make_node('ReduceMean', ['x'], ['y'], axes=[2, 3], keepdims=0)], [('x', [1, 4, 3, 5])], ['y'])
np.save(f'{d}/mean23.ref.npy', x.mean((2, 3)))
ax = h.make_tensor('ax', T.INT64, [2], [1, -1])
save('sum13', [h.make_node('ReduceSum', ['x', 'ax'], ['y'], keepdims=1)], [('x', [1, 4, 3, 5])], ['y'], [ax])
np.save(f'{d}/sum13.ref.npy', x.sum((1, 3), keepdims=True))
save('l2', [h.make_node('ReduceL2', ['x'], ['y'], axes=[1], keepdims=0)], [('x', [1, 4, 3, 5])], ['y'])
np.save(f'{d}/l2.ref.npy', np.sqrt((x * x).sum(1)))
save('rmax', [h.make_node('ReduceMax', ['x'], ['y'], axes=[0, 2])], [('x', [1, 4, 3, 5])], ['y'])
np.save(f'{d}/rmax.ref.npy', x.max((0, 2), keepdims=True))
save('rmin', [h.make_node('ReduceMin', ['x'], ['y'], keepdims=0)], [('x', [1, 4, 3, 5])], ['y'])
np.save(f'{d}/rmin.ref.npy', x.min())
save('rprod', [h.make_node('ReduceProd', ['x'], ['y'], axes=[1])], [('x', [1, 4, 3, 5])], ['y'])
np.save(f'{d}/rprod.ref.npy', x.prod(1, keepdims=True))
save('gmax', [h.make_node('GlobalMaxPool', ['x'], ['y'])], [('x', [1, 4, 3, 5])], ['y'])
np.save(f'{d}/gmax.ref.npy', x.max((2, 3), keepdims=True))
sl = h.make_tensor('sl', T.FLOAT, [4, 1, 1], [0.25, -0.5, 1.5, 0])
save('prelu', [h.make_node('PRelu', ['x', 'sl'], ['y'])], [('x', [1, 4, 3, 5])], ['y'], [sl])
np.save(f'{d}/prelu.ref.npy', np.where(x < 0, np.array([0.25, -0.5, 1.5, 0], np.float32).reshape(4, 1, 1) * x, x))
c1 = h.make_tensor('c1', T.FLOAT, [5], [0.5, -1, 0, 1, 2])
c2 = h.make_tensor('c2', T.FLOAT, [4, 1, 1], [-0.5, 0, 0.5, 1])
cv1 = np.array([0.5, -1, 0, 1, 2], np.float32)
cv2 = np.array([-0.5, 0, 0.5, 1], np.float32).reshape(4, 1, 1)
for op, f in [('Max', lambda: np.maximum(np.maximum(x, cv1), cv2)), ('Min', lambda: np.minimum(np.minimum(x, cv1), cv2)),
              ('Sum', lambda: (x + cv1) + cv2), ('Mean', lambda: ((x + cv1) + cv2) * np.float32(1 / 3))]:
    save('v' + op, [h.make_node(op, ['x', 'c1', 'c2'], ['y'])], [('x', [1, 4, 3, 5])], ['y'], [c1, c2])
    np.save(f'{d}/v{op}.ref.npy', f())
EOF
want_mean23="reduce_mean"
for m in mean23 sum13 l2 rmax rmin rprod gmax prelu vMax vMin vSum vMean; do
	ops=$("$QUANTC" opt "$work/$m.onnx" --passes infer-shapes 2> "$work/err" | grep -v '^const' | sed -nE 's/.* = ([a-z0-9_]+)\(.*/\1/p' | tr '\n' ' ')
	"$QUANTC" run "$work/$m.onnx" --precision f32 --input "$work/ox.npy" -o "$work/$m.y.npy" 2>> "$work/err"
	check "ONNX $m: imports as ( $ops) and the f32 interpreter computes numpy's result" "$py" -c "
import numpy as np, sys
y, r = np.load(sys.argv[1]), np.load(sys.argv[2])
sys.exit(0 if y.size == r.size and np.allclose(y.reshape(r.shape), r, rtol=1e-5, atol=1e-6) else 1)" "$work/$m.y.npy" "$work/$m.ref.npy"
	check "ONNX $m: compiles in int8 (calibrated)" "$QUANTC" compile "$work/$m.onnx" --calib "$work/ox.npy" -o "$work/$m.i8.o"
done
check "ONNX mean23 (x.mean((2, 3))) imports as one reduce_mean" test "$want_mean23" = "$("$QUANTC" opt "$work/mean23.onnx" --passes infer-shapes | sed -nE 's/.* = ([a-z0-9_]+)\(.*/\1/p')"
finish
