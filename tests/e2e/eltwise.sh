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
#      numpy does (f32), and int8 compiles;
#   5. sub (x - c and c - x) goes through 1. and 2. like add;
#   6. div: an int8 model compiles it (its integer kernel, ops.def), and
#      with `precision: f32` for that layer it computes in f32 between a dequantize and a quantize,
#      within two output steps of f32, and its object equals the
#      interpreter bit for bit; f32 equals numpy bit for bit; a divisor whose
#      range holds 0 leaves the quotient unbounded, and quantize says so;
#   7. ONNX Sub and Div of run-time tensors (and Div by a constant) import
#      as sub and div and compute what numpy does, bit for bit.
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
mk sub "y = sub(x, c)"
mk rsub "y = sub(c, x)"

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

for m in add mul square concat sub rsub; do
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
	op=$m; [ $m = square ] && op=mul; [ $m = rsub ] && op=sub
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

# div: an int8 kernel (tests/e2e/reduce.sh checks it), or an f32 layer
# inside an int8 model
mk div "s = add(x, c)" "d = div(s, c)" "y = add(d, c)"
check "div: int8 compiles (integer div)" "$QUANTC" compile "$work/div.qg" -o "$work/div.o"
printf 'precision: int8\nlayers:\n  - match: d\n    precision: f32\n' > "$work/div.yaml"
"$QUANTC" opt "$work/div.qg" --config "$work/div.yaml" --passes infer-shapes,propagate-ranges,quantize > "$work/div.q.qg"
check "div: an f32 layer between a dequantize and a quantize" \
	grep -qE "^d : f32\[1,2,3,4\].* = div\(s\.f32, c\)" "$work/div.q.qg"
check "div: ... whose result is quantized for the int8 add" grep -q "= quantize(d)" "$work/div.q.qg"
"$QUANTC" run "$work/div.qg" --precision f32 --input "$work/x.npy" -o "$work/div.f32.npy" &&
"$QUANTC" run "$work/div.qg" --config "$work/div.yaml" --input "$work/x.npy" -o "$work/div.i8.npy"
check "div: mixed int8/f32 within two output steps of f32" "$py" - "$work" <<'PY'
import re, sys, numpy as np
d = sys.argv[1]
s = float(re.search(r"\ny : i8\[[^]]*\] q\(scale=([^,]*),", open(d + "/div.q.qg").read()).group(1))
f, q = np.load(d + "/div.f32.npy"), np.load(d + "/div.i8.npy")
err = float(np.abs(f - q).max())
print(f"div: max |mixed - f32| = {err:.6g}, output step {s:.6g}")
sys.exit(0 if f.shape == q.shape and err <= 2 * s * 1.0001 else 1)
PY
check "div: mixed compiles" "$QUANTC" compile "$work/div.qg" --config "$work/div.yaml" -o "$work/div.o"
"$py" -c "import numpy as np, sys; np.save(sys.argv[1], np.zeros(64, np.int32))" "$work/lab.npy"
link_demo div "$work/div.o" "$work/div_demo" && "$work/div_demo" "$work/x.npy" "$work/lab.npy" "$work/div.obj.npy" > /dev/null
check "div: mixed object equals the interpreter bit for bit" "$py" -c "import numpy as np, sys; a, b = np.load(sys.argv[1]), np.load(sys.argv[2]); sys.exit(0 if a.size == b.size and np.array_equal(a.reshape(b.shape), b) else 1)" "$work/div.obj.npy" "$work/div.i8.npy"
check "div: f32 equals numpy bit for bit" "$py" - "$work" <<'PY'
import sys, numpy as np
d = sys.argv[1]
x = np.load(d + "/x.npy")
c = np.array([0.5, -0.75], np.float32).reshape(2, 1, 1)
ref = (x + c) / c + c
sys.exit(0 if np.array_equal(np.load(d + "/div.f32.npy"), ref) else 1)
PY
check "div: compiles to f32" "$QUANTC" compile "$work/div.qg" --precision f32 -o "$work/div_f.o"
mk divz "d = div(c, x)" "y = add(d, c)"
"$QUANTC" compile "$work/divz.qg" --config "$work/div.yaml" -o "$work/divz.o" 2> "$work/err"
check "div: a divisor that may be 0 leaves the quotient without a range (exit 1)" test $? -eq 1
check "div: ... and quantize says the divisor may be 0" \
	grep -q "note: the divisor 'x' may be 0 (its range \[-1, 1\] holds 0): the quotient is unbounded" "$work/err"

# ONNX: y = Div(Sub(x, Relu(x)), Relu(x) + 1) / c
"$py" - "$work" <<'PY'
import sys, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
d = sys.argv[1]
c = np.array([0.5, -3.0], np.float32).reshape(2, 1, 1)
one = np.array(1.0, np.float32)
g = helper.make_graph([
    helper.make_node('Relu', ['x'], ['r'], name='relu0'),
    helper.make_node('Sub', ['x', 'r'], ['s'], name='sub0'),
    helper.make_node('Add', ['r', 'one'], ['a'], name='add0'),
    helper.make_node('Div', ['s', 'a'], ['q'], name='div0'),
    helper.make_node('Div', ['q', 'c'], ['y'], name='div1')],
    'sd', [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 2, 3, 4])],
    [helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 2, 3, 4])],
    [numpy_helper.from_array(c, 'c'), numpy_helper.from_array(one, 'one')])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]), d + '/sd.onnx')
x = np.load(d + '/ox.npy')
r = np.maximum(x, 0)
np.save(d + '/sdref.npy', ((x - r) / (r + one)) / c)
PY
"$QUANTC" opt "$work/sd.onnx" --passes infer-shapes > "$work/sd.qg" 2>&1
check "onnx: Sub and Div of run-time tensors import as sub and div" \
	grep -q "= div(s, a)" "$work/sd.qg"
check "onnx: ... a Div by a constant stays a div" grep -qE "^y : .*= div\(q, c\)" "$work/sd.qg"
"$QUANTC" run "$work/sd.onnx" --precision f32 --input "$work/ox.npy" -o "$work/sdy.npy"
check "onnx: Sub and Div in f32 equal numpy bit for bit" "$py" -c "import numpy as np, sys; a, b = np.load(sys.argv[1]), np.load(sys.argv[2]); sys.exit(0 if a.shape == b.shape and np.array_equal(a, b) else 1)" "$work/sdy.npy" "$work/sdref.npy"
finish
