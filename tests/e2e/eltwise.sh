# eltwise.sh — add, mul and concat through the command line:
#   1. four one-input models (an add of a broadcast constant, a mul of the
#      input by a constant and by itself, a concat of three operands with
#      different scales) quantize from the declared input range alone; on 64
#      inputs that lie on the input's quantization grid (so only the ops'
#      own rounding is measured), the int8 interpreter is within one output
#      step of the float interpreter;
#   2. each compiles to an object, int8 and f32, and inspect lists the op;
#   3. errors: shapes that do not broadcast, a concat axis out of range, an
#      int16 mul that check-overflow cannot prove;
#   4. ONNX: a residual Add of two run-time tensors, a Mul by a broadcast
#      constant and a Concat import as add, mul and concat and compute what
#      numpy does (f32), and int8 compiles.
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3

mk() { # mk NAME BODY...: a model of x : f32[1,2,3,4] range [-1, 1]
	local name=$1; shift
	{
		echo "model $name"
		echo "input x : f32[1,2,3,4] range [-1, 1]"
		echo "const c : f32[2,1,1] = [0.5, -0.75]"
		printf '%s\n' "$@"
		echo "output y"
	} > "$work/$name.qg"
}
mk add "y = add(x, c)"
mk mul "y = mul(x, c)"
mk square "y = mul(x, x)"
mk concat "r = relu(x)" "s = add(x, c)" "y = concat(x, r, s) { axis = 1 }"

# inputs on x's int8 grid: (q - zp) * scale with x's parameters as quantize
# chose them
"$QUANTC" opt "$work/add.qg" --passes infer-shapes,propagate-ranges,quantize > "$work/q.qg"
"$py" - "$work" <<'PY'
import re, sys, numpy as np
d = sys.argv[1]
m = re.search(r"input x : i8\[[^]]*\] q\(scale=([^,]*), zp=(-?\d+)\)", open(d + "/q.qg").read())
s, zp = np.float32(m.group(1)), int(m.group(2))
rng = np.random.default_rng(7)
q = rng.integers(-126, 127, size=(64, 2, 3, 4))  # inside [-1, 1]: no clamping
np.save(d + "/x.npy", ((q - zp).astype(np.float32) * s).astype(np.float32))
PY

for m in add mul square concat; do
	"$QUANTC" run "$work/$m.qg" --precision f32 --input "$work/x.npy" -o "$work/$m.f32.npy" &&
	"$QUANTC" run "$work/$m.qg" --input "$work/x.npy" -o "$work/$m.i8.npy" &&
	"$QUANTC" opt "$work/$m.qg" --passes infer-shapes,fuse-activation,propagate-ranges,quantize,check-overflow > "$work/$m.q.qg"
	check "$m: int8 within one output step of f32 on 64 inputs" "$py" - "$work" "$m" <<'PY'
import re, sys, numpy as np
d, m = sys.argv[1], sys.argv[2]
s = float(re.search(r"\ny : i8\[[^]]*\] q\(scale=([^,]*),", open(f"{d}/{m}.q.qg").read()).group(1))
f, q = np.load(f"{d}/{m}.f32.npy"), np.load(f"{d}/{m}.i8.npy")
err = float(np.abs(f - q).max())
print(f"{m}: max |int8 - f32| = {err:.6g}, output step {s:.6g}, {f.size} values")
sys.exit(0 if f.shape == q.shape and err <= s * 1.0001 else 1)
PY
	check "$m: compiles to int8" "$QUANTC" compile "$work/$m.qg" -o "$work/$m.o"
	check "$m: compiles to f32" "$QUANTC" compile "$work/$m.qg" --precision f32 -o "$work/${m}_f.o"
	"$QUANTC" inspect "$work/$m.qg" > "$work/$m.txt" 2>&1
	op=$m; [ $m = square ] && op=mul
	check "$m: inspect lists the op" grep -Eq "^[0-9]+ +y +$op " "$work/$m.txt"
done

# errors at the node's line
mk bad1 "y = add(x, c)"
sed -i 's/const c : f32\[2,1,1\] = \[0.5, -0.75\]/const c : f32[2,1] = [1, 2]/' "$work/bad1.qg"
"$QUANTC" opt "$work/bad1.qg" --passes infer-shapes > "$work/out" 2> "$work/err"
check "add: shapes that do not broadcast are an error (exit 1)" test $? -eq 1
check "add: ... at file:line:col" grep -q "bad1.qg:4:[0-9]*: error: add: shapes \[1,2,3,4\] and \[2,1\] do not broadcast" "$work/err"
mk bad2 "y = concat(x, x) { axis = 4 }"
"$QUANTC" opt "$work/bad2.qg" --passes infer-shapes > "$work/out" 2> "$work/err"
check "concat: an axis out of range is an error (exit 1)" test $? -eq 1
check "concat: ... at its line" grep -q "bad2.qg:4:[0-9]*: error: concat: axis 4 is outside" "$work/err"

# check-overflow: an int16 mul whose zero points are far off 0 can exceed
# int32 (52768 * 52767); the add beside it (65535 << 15 at most) cannot
cat > "$work/ov.qg" <<'QG'
model ov
input a : i16[4] q(scale=0.001, zp=20000)
input b : i16[4] q(scale=0.001, zp=-20000)
y : i16[4] q(scale=0.01, zp=0) = mul(a, b)
z : i16[4] q(scale=0.01, zp=0) = add(a, b)
output y, z
QG
"$QUANTC" opt "$work/ov.qg" --passes infer-shapes,check-overflow > "$work/out" 2> "$work/err"
check "check-overflow: an int16 mul that can overflow int32 is an error (exit 1)" test $? -eq 1
check "check-overflow: ... at the mul's line, only there" \
	test "$(grep -c error: "$work/err")" = 1 -a -n "$(grep "ov.qg:4:1: error: mul 'y': the int32 product" "$work/err")"

# ONNX: y = Concat(Relu(x) + x, x * c, axis=-3)
"$py" - "$work" <<'PY'
import sys, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
d = sys.argv[1]
c = np.array([0.5, -2.0], np.float32).reshape(2, 1, 1)
g = helper.make_graph([
    helper.make_node('Relu', ['x'], ['r'], name='relu0'),
    helper.make_node('Add', ['r', 'x'], ['s'], name='add0'),
    helper.make_node('Mul', ['x', 'c'], ['m'], name='mul0'),
    helper.make_node('Concat', ['s', 'm'], ['y'], name='cat0', axis=-3)],
    'elt', [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 2, 3, 4])],
    [helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 4, 3, 4])],
    [numpy_helper.from_array(c, 'c')])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]), d + '/elt.onnx')
x = np.random.default_rng(3).uniform(-1, 1, (8, 2, 3, 4)).astype(np.float32)
np.save(d + '/ox.npy', x)
np.save(d + '/oref.npy', np.concatenate([np.maximum(x, 0) + x, x * c], axis=1))
PY
"$QUANTC" opt "$work/elt.onnx" --passes infer-shapes > "$work/elt.qg" 2>&1
check "onnx: Add, Mul and Concat import as add, mul and concat" \
	grep -q "= concat(s, m) { axis = -3 }" "$work/elt.qg"
"$QUANTC" run "$work/elt.onnx" --precision f32 --input "$work/ox.npy" -o "$work/oy.npy"
check "onnx: f32 equals numpy" "$py" -c "import numpy as np, sys; a, b = np.load(sys.argv[1]), np.load(sys.argv[2]); sys.exit(0 if a.shape == b.shape and np.array_equal(a, b) else 1)" "$work/oy.npy" "$work/oref.npy"
check "onnx: compiles to int8 (calibrated)" "$QUANTC" compile "$work/elt.onnx" --calib "$work/ox.npy" -o "$work/elt.o"
finish
