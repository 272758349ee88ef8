# pow.sh — powv, pow with a run-time exponent (ONNX Pow(x, y) with y
# computed at run time), end to end:
#   1. f32 on C's special cases (0^0, 0^-1, negative x with integer and
#      non-integer y, 1^NaN, (-1)^inf, infinities) and on random operands:
#      quantc run equals numpy.power to 1e-6 relative, NaN where numpy's is
#      NaN, and the host object equals quantc run bit for bit;
#   2. int8 (the 64 KiB table) and int16 (log2, exp2 in fixed point) on
#      positive x, quantized from the declared ranges alone (powv's range
#      rule): SQNR against f32 above 30 dB (int8) and 70 dB (int16); and on
#      x in [-2, 2] (0 included) with y in [0, 3], integers half the time:
#      int16 above 70 dB where f32 is a number, f32's NaN gives 0; the
#      host objects equal quantc run bit for bit in both;
#   3. propagate-ranges: x in [0.5, 2], y in [-2, 2] gives [0.25, 4];
#   4. ONNX Pow with a run-time exponent imports as powv, with a constant
#      scalar exponent as pow; onnxruntime's Pow on the operands of 1. gives
#      quantc's f32 results to 1e-6 relative (NaN where it is NaN).
# Cost: about 5 s of CPU (node and onnxruntime start once per operand set).
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3

# the driver of tests/zoo (any object compiled with --name model)
# shellcheck disable=SC2086
check "driver builds" "$CC" -std=c11 -O2 ${QC_CFLAGS:-} -I"$QRT_INCLUDE" \
	-c "$QC_SRC/tests/zoo/driver.c" -o "$work/driver.o"

# obj_equals_run MODEL PREC N X Y: the host object on N samples of X.npy,
# Y.npy equals quantc run bit for bit (NaN bits too)
obj_equals_run() {
	local m=$1 p=$2 n=$3 x=$4 y=$5 o=$work/$(basename "$1" .qg).$2
	"$QUANTC" run "$m" --precision "$p" --input "$x" --input "$y" -o "$o.run.npy" > "$o.log" 2>&1 &&
		"$QUANTC" compile "$m" --precision "$p" --name model -o "$o.o" >> "$o.log" 2>&1 &&
		"$CC" ${QC_CFLAGS:-} "$work/driver.o" "$o.o" "$QRT_LIB" -o "$o.exe" >> "$o.log" 2>&1 &&
		"$py" -c "import numpy as np, sys; [np.load(f).astype(np.float32).tofile(f + '.raw') for f in sys.argv[1:]]" "$x" "$y" &&
		"$o.exe" "$n" "$x.raw" "$y.raw" "$o.obj.raw" >> "$o.log" 2>&1 &&
		"$py" -c "
import numpy as np, sys
a = np.load(sys.argv[1]); b = np.fromfile(sys.argv[2], np.float32)
print('  %s %s: %d elements compared' % (sys.argv[3], sys.argv[4], a.size))
sys.exit(0 if a.size == b.size and np.array_equal(a.reshape(-1).view(np.uint32), b.view(np.uint32)) else 1)" \
			"$o.run.npy" "$o.obj.raw" "$(basename "$m")" "$p" || { sed 's/^/  /' "$o.log"; return 1; }
}

# ---- 1. f32 -------------------------------------------------------------------
cat > "$work/special.qg" <<'EOF'
model special
input x : f32[1,24]
input y : f32[1,24]
z = powv(x, y)
output z
EOF
"$py" - "$work" <<'EOF'
import sys
import numpy as np
d = sys.argv[1]
inf, nan = np.inf, np.nan
pairs = [(0, 0), (0, -1), (-0.0, -1), (0, 2.5), (-2, 3), (-2, 2), (-2, -3), (-2, 0.5), (-8, 1/3),
         (1, nan), (nan, 0), (-1, inf), (-1, -inf), (0.5, inf), (2, -inf), (-inf, 0.5), (-inf, 3),
         (inf, -2), (3, 1e10), (-1.5, 2**40), (1e-3, 0.25), (10, 38.5), (2, -149), (7.5, -2.25)]
x = np.array([[p[0] for p in pairs]], np.float32)
y = np.array([[p[1] for p in pairs]], np.float32)
np.save(d + "/sx.npy", x)
np.save(d + "/sy.npy", y)
rng = np.random.default_rng(3)
np.save(d + "/rx.npy", rng.uniform(-3, 3, (64, 24)).astype(np.float32))
# integer exponents half the time, so negative bases give real results too
ry = rng.uniform(-4, 4, (64, 24)).astype(np.float32)
ry[:, ::2] = np.round(ry[:, ::2])
np.save(d + "/ry.npy", ry)
EOF
for s in s r; do
	"$QUANTC" run "$work/special.qg" --precision f32 --input "$work/${s}x.npy" --input "$work/${s}y.npy" \
		-o "$work/$s.out.npy" > "$work/$s.log" 2>&1 || sed 's/^/  /' "$work/$s.log"
	check "f32 ($([ $s = s ] && echo "C's special cases" || echo "64 x 24 random operands")): numpy.power to 1e-6, NaN where it is NaN" "$py" -c "
import numpy as np, sys
d, s = sys.argv[1], sys.argv[2]
x, y, z = np.load(d + '/' + s + 'x.npy'), np.load(d + '/' + s + 'y.npy'), np.load(d + '/' + s + '.out.npy')
with np.errstate(all='ignore'):
    ref = np.power(x, y)
nan = np.isnan(ref)
ok = np.array_equal(nan, np.isnan(z)) and np.allclose(z[~nan], ref[~nan], rtol=1e-6, atol=0)
print('  %d elements, %d NaN, %d infinite; max rel err %.3g' % (z.size, nan.sum(), np.isinf(ref).sum(),
      np.max(np.abs(z[~nan] - ref[~nan]) / np.maximum(np.abs(ref[~nan]), 1e-30), initial=0, where=np.isfinite(ref[~nan]))))
if not ok:
    for i in np.flatnonzero((nan != np.isnan(z)) | (~nan & ~np.isclose(z, ref, rtol=1e-6, atol=0))):
        print('  x=%r y=%r: quantc %r numpy %r' % (x.flat[i], y.flat[i], z.flat[i], ref.flat[i]))
sys.exit(0 if ok else 1)" "$work" $s
done
check "f32: the host object equals quantc run bit for bit (special cases)" \
	obj_equals_run "$work/special.qg" f32 1 "$work/sx.npy" "$work/sy.npy"
check "f32: the host object equals quantc run bit for bit (random operands)" \
	obj_equals_run "$work/special.qg" f32 64 "$work/rx.npy" "$work/ry.npy"

# ---- 2. int8 ------------------------------------------------------------------
cat > "$work/powq.qg" <<'EOF'
model powq
input x : f32[1,2,3,4] range [0.5, 2]
input y : f32[1,1,3,1] range [-2, 2]
z = powv(x, y)
output z
EOF
cat > "$work/pown.qg" <<'EOF'
model pown
input x : f32[1,32] range [-2, 2]
input y : f32[1,32] range [0, 3]
z = powv(x, y)
output z
EOF
"$py" -c "
import numpy as np, sys
rng = np.random.default_rng(9)
np.save(sys.argv[1] + '/qx.npy', rng.uniform(0.5, 2, (64, 2, 3, 4)).astype(np.float32))
np.save(sys.argv[1] + '/qy.npy', rng.uniform(-2, 2, (64, 1, 3, 1)).astype(np.float32))
x = rng.uniform(-2, 2, (64, 1, 32)).astype(np.float32)
y = rng.uniform(0, 3, (64, 1, 32)).astype(np.float32)
y[..., ::2] = np.round(y[..., ::2])
x[..., 5] = 0
np.save(sys.argv[1] + '/nx.npy', x)
np.save(sys.argv[1] + '/ny.npy', y)" "$work"
for m in q n; do
	for p in f32 int8 int16; do
		"$QUANTC" run "$work/pow$m.qg" --precision $p --input "$work/${m}x.npy" --input "$work/${m}y.npy" \
			-o "$work/$m.$p.npy" > "$work/$m.$p.log" 2>&1 || sed 's/^/  /' "$work/$m.$p.log"
	done
done
# sqnr M PREC DB: the SQNR against f32 where f32 is a number; in int16,
# f32's NaN must give 0
sqnr() {
	"$py" -c "
import numpy as np, sys
d, m, p, db = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
f = np.load(f'{d}/{m}.f32.npy').astype(np.float64)
q = np.load(f'{d}/{m}.{p}.npy').reshape(f.shape)
ok = ~np.isnan(f)
s = 10 * np.log10(np.sum(f[ok] ** 2) / np.sum((f[ok] - q[ok]) ** 2))
print('  %s: SQNR %.1f dB over %d elements, %d NaN in f32' % (p, s, ok.sum(), (~ok).sum()))
sys.exit(0 if s > db and (p == 'int8' or np.all(q[~ok] == 0)) else 1)" "$work" "$@"
}
check "int8: SQNR against f32 above 30 dB (x in [0.5, 2], y in [-2, 2])" sqnr q int8 30
check "int16: SQNR against f32 above 70 dB (x in [0.5, 2], y in [-2, 2])" sqnr q int16 70
check "int16: SQNR above 70 dB, f32's NaN gives 0 (x in [-2, 2] with 0, y in [0, 3])" sqnr n int16 70
for p in int8 int16; do
	check "$p: the host object equals quantc run bit for bit (x > 0)" \
		obj_equals_run "$work/powq.qg" $p 64 "$work/qx.npy" "$work/qy.npy"
	check "$p: the host object equals quantc run bit for bit (x in [-2, 2], 0 included)" \
		obj_equals_run "$work/pown.qg" $p 64 "$work/nx.npy" "$work/ny.npy"
done

# ---- 3. ranges ----------------------------------------------------------------
"$QUANTC" opt "$work/powq.qg" --passes infer-shapes,propagate-ranges > "$work/r.qg"
check "propagate-ranges: [0.5, 2] ^ [-2, 2] is [0.25, 4] (one float rounding wider)" "$py" -c "
import re, sys
m = re.search(r'^z : f32\[1,2,3,4\] range \[([^,]*), ([^]]*)\] = powv\(x, y\)', open(sys.argv[1]).read(), re.M)
lo, hi = float(m.group(1)), float(m.group(2))
print('  range [%r, %r]' % (lo, hi))
sys.exit(0 if 0.25 - 1e-6 <= lo <= 0.25 and 4 <= hi <= 4 + 1e-5 else 1)" "$work/r.qg"

# ---- 4. ONNX ------------------------------------------------------------------
"$py" - "$work" <<'EOF'
import sys
import numpy as np
from onnx import helper, numpy_helper, TensorProto, save
d = sys.argv[1]
f = TensorProto.FLOAT
for name, const in (("powv", None), ("pow", np.array(3.0, np.float32))):
    ins = [helper.make_tensor_value_info("x", f, [1, 24])]
    inits = []
    if const is None:
        ins.append(helper.make_tensor_value_info("y", f, [1, 24]))
    else:
        inits.append(numpy_helper.from_array(const, "y"))
    g = helper.make_graph([helper.make_node("Pow", ["x", "y"], ["z"])], name, ins,
                          [helper.make_tensor_value_info("z", f, [1, 24])], inits)
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), "%s/%s.onnx" % (d, name))
EOF
"$QUANTC" opt "$work/powv.onnx" > "$work/onnx.qg" 2>&1
check "ONNX Pow with a run-time exponent imports as powv" grep -q "= powv(x, y)" "$work/onnx.qg"
"$QUANTC" opt "$work/pow.onnx" > "$work/onnx1.qg" 2>&1
check "ONNX Pow with a constant scalar exponent imports as pow" grep -q "= pow(x) { alpha = 3 }" "$work/onnx1.qg"
"$QUANTC" run "$work/powv.onnx" --precision f32 --input "$work/rx.npy" --input "$work/ry.npy" -o "$work/o.npy" > "$work/o.log" 2>&1
# onnxruntime (onnxruntime-node) on the same operands: quantc's f32 within
# 1e-6 relative, NaN where it gives NaN
: "${QC_NODE_PREFIX:=/opt/quantc-node}"
if command -v node > /dev/null && [ -d "$QC_NODE_PREFIX/node_modules/onnxruntime-node" ]; then
	"$py" - "$work" <<'EOF'
import sys
import numpy as np
from onnx import helper, TensorProto, save
d = sys.argv[1]
f = TensorProto.FLOAT
for name, n in (("s", 1), ("r", 64)):
    g = helper.make_graph([helper.make_node("Pow", ["x", "y"], ["z"])], "p",
                          [helper.make_tensor_value_info(v, f, [n, 24]) for v in "xy"],
                          [helper.make_tensor_value_info("z", f, [n, 24])])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), "%s/ort_%s.onnx" % (d, name))
    for v in "xy":
        np.load("%s/%s%s.npy" % (d, name, v)).astype(np.float32).tofile("%s/ort_%s%s.raw" % (d, name, v))
EOF
	for s in s r; do
		n=$([ $s = s ] && echo 1 || echo 64)
		NODE_PATH=$QC_NODE_PREFIX/node_modules node -e "
const ort = require('onnxruntime-node'), fs = require('fs');
const [m, x, y, out, n] = process.argv.slice(1);
const rd = f => { const b = fs.readFileSync(f); return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)); };
(async () => {
	const ses = await ort.InferenceSession.create(m, {intraOpNumThreads: 1});
	const r = await ses.run({x: new ort.Tensor('float32', rd(x), [+n, 24]), y: new ort.Tensor('float32', rd(y), [+n, 24])});
	fs.writeFileSync(out, Buffer.from(r.z.data.buffer));
})().catch(e => { console.error(e); process.exit(1); });" \
			"$work/ort_$s.onnx" "$work/ort_${s}x.raw" "$work/ort_${s}y.raw" "$work/ort_$s.out.raw" $n
		check "f32 ($([ $s = s ] && echo "special cases" || echo "random operands")): onnxruntime's Pow to 1e-6 relative, NaN where it is NaN" "$py" -c "
import numpy as np, sys
z = np.load(sys.argv[1]).reshape(-1).astype(np.float64)
o = np.fromfile(sys.argv[2], np.float32).astype(np.float64)
nan = np.isnan(o)
fin = ~nan & np.isfinite(o)
rel = np.abs(z[fin] - o[fin]) / np.maximum(np.abs(o[fin]), 1e-38)
print('  %d elements, %d NaN; max rel err %.3g' % (o.size, nan.sum(), rel.max(initial=0)))
sys.exit(0 if o.size == z.size and np.array_equal(nan, np.isnan(z)) and np.array_equal(z[~nan & ~fin], o[~nan & ~fin]) and rel.max(initial=0) <= 1e-6 else 1)" \
			"$work/$s.out.npy" "$work/ort_$s.out.raw"
	done
else
	fail "onnxruntime-node is installed ($QC_NODE_PREFIX/node_modules)"
fi
check "ONNX Pow (run-time exponent): the interpreter's result equals the .qg model's bit for bit" \
	cmp -s <("$py" -c "import numpy as np, sys; sys.stdout.buffer.write(np.load(sys.argv[1]).tobytes())" "$work/o.npy") \
	<("$py" -c "import numpy as np, sys; sys.stdout.buffer.write(np.load(sys.argv[1]).tobytes())" "$work/r.out.npy")
finish
