# masks.sh — comparisons, where and u8 masks (docs/language.md: masks) end
# to end:
#   1. each comparison (equal, less, greater, less_equal, greater_equal) in
#      y = where(op(x, c), x, c): f32 is numpy's bit for bit; in int8 and
#      int16 the host object equals `quantc run` bit for bit (inputs on a
#      grid of quarters, so that equal holds for some elements);
#   2. ONNX: x * Cast(Greater(x, 0.5), FLOAT) and Where(Less(x, t), x, 0)
#      import, f32 equals numpy bit for bit, int8 and int16 (--calib) are
#      within two output steps of f32 wherever x is more than an input step
#      from the threshold (nearer, the quantized x may compare either way),
#      and their host objects equal the interpreter bit for bit;
#   3. a Where whose condition is no mask is refused with a reason.
# Cost: about 4 s of CPU (15 compiles and links).
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3

"$py" -c "
import numpy as np, sys
rng = np.random.default_rng(11)
np.save(sys.argv[1] + '/x.npy', (rng.integers(-8, 9, size=(32, 1, 2, 3, 4)) / 4).astype(np.float32).reshape(32, 1, 2, 3, 4)[:, 0])
np.save(sys.argv[1] + '/lab.npy', np.zeros(32, np.int32))" "$work"

# object_equals MODEL PREC [OPTIONS]: the host object's outputs equal the
# interpreter's bit for bit
object_equals() {
	local m=$1 p=$2 base
	base=$(basename "${m%.*}")
	shift 2
	mkdir -p "$work/$p.$base"
	"$QUANTC" run "$m" --precision "$p" "$@" --input "$work/x.npy" -o "$work/i.$p.$base.npy" 2> /dev/null &&
		"$QUANTC" compile "$m" --precision "$p" "$@" -o "$work/$p.$base/$base.o" 2> /dev/null &&
		link_demo "$base" "$work/$p.$base/$base.o" "$work/$p.$base/demo" &&
		"$work/$p.$base/demo" "$work/x.npy" "$work/lab.npy" "$work/o.$p.$base.npy" > /dev/null &&
		"$py" -c "
import numpy as np, sys
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
sys.exit(0 if a.size == b.size and np.array_equal(a.reshape(b.shape).view(np.uint32), b.view(np.uint32)) else 1)" \
			"$work/o.$p.$base.npy" "$work/i.$p.$base.npy"
}

for op in equal less greater less_equal greater_equal; do
	cat > "$work/m_$op.qg" <<EOF
model m_$op
input x : f32[1,2,3,4] range [-2, 2]
const c : f32[2,1,1] = [0.5, -0.25]
m = $op(x, c)
y = where(m, x, c)
output y
EOF
	"$QUANTC" run "$work/m_$op.qg" --precision f32 --input "$work/x.npy" -o "$work/f_$op.npy"
	check "$op f32: numpy's where(x $op c, x, c) bit for bit" "$py" -c "
import numpy as np, sys
x, y = np.load(sys.argv[1]), np.load(sys.argv[2])
c = np.array([0.5, -0.25], np.float32).reshape(2, 1, 1)
m = getattr(np, sys.argv[3])(x, c)
sys.exit(0 if m.any() and not m.all() and np.array_equal(np.where(m, x, c).view(np.uint32), y.view(np.uint32)) else 1)" \
		"$work/x.npy" "$work/f_$op.npy" "$op"
	for p in int8 int16; do
		check "$op $p: the host object equals quantc run bit for bit" object_equals "$work/m_$op.qg" $p
	done
done

"$py" - "$work" <<'EOF'
import sys
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
d = sys.argv[1]
X = helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 2, 3, 4])
Y = helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 2, 3, 4])
half = numpy_helper.from_array(np.array(0.5, np.float32), 'half')
zero = numpy_helper.from_array(np.array(0.0, np.float32), 'zero')
t = numpy_helper.from_array(np.array([0.25, -0.5, 1.0, 0.0], np.float32), 't')
g1 = helper.make_graph([
    helper.make_node('Greater', ['x', 'half'], ['m']),
    helper.make_node('Cast', ['m'], ['mf'], to=TensorProto.FLOAT),
    helper.make_node('Mul', ['x', 'mf'], ['y'])], 'castmask', [X], [Y], [half])
g2 = helper.make_graph([
    helper.make_node('Less', ['x', 't'], ['m']),
    helper.make_node('Where', ['m', 'x', 'zero'], ['y'])], 'wheremask', [X], [Y], [t, zero])
g3 = helper.make_graph([
    helper.make_node('Where', ['x', 'x', 'zero'], ['y'])], 'badwhere', [X], [Y], [zero])
for g in (g1, g2, g3):
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]), f'{d}/{g.name}.onnx')
EOF
for m in castmask wheremask; do
	"$QUANTC" run "$work/$m.onnx" --precision f32 --input "$work/x.npy" -o "$work/f_$m.npy"
	check "$m f32: numpy's result bit for bit" "$py" -c "
import numpy as np, sys
x, y = np.load(sys.argv[1]), np.load(sys.argv[2])
t = np.array([0.25, -0.5, 1.0, 0.0], np.float32)
r = x * (x > 0.5).astype(np.float32) if sys.argv[3] == 'castmask' else np.where(x < t, x, np.float32(0))
sys.exit(0 if np.array_equal(r.view(np.uint32), y.view(np.uint32)) else 1)" "$work/x.npy" "$work/f_$m.npy" $m
	for p in int8 int16; do
		check "$m $p: the host object equals quantc run bit for bit" \
			object_equals "$work/$m.onnx" $p --calib "$work/x.npy"
		check "$m $p: within two output steps (4/255 of the range) of f32 off the threshold" "$py" -c "
import numpy as np, sys
a, b, x = np.load(sys.argv[1]), np.load(sys.argv[2]), np.load(sys.argv[3])
t = np.float32(0.5) if sys.argv[4] == 'castmask' else np.array([0.25, -0.5, 1.0, 0.0], np.float32)
far = np.abs(x - t) > 4 / 255 # an input within a step of t may compare either way
print('   ', far.sum(), 'of', far.size, 'elements off the threshold; max error', np.abs(a - b)[far].max())
sys.exit(0 if np.abs(a - b)[far].max() <= 2 * 4 / 255 else 1)" "$work/i.$p.$m.npy" "$work/f_$m.npy" "$work/x.npy" $m
	done
done
"$QUANTC" run "$work/badwhere.onnx" --precision f32 --input "$work/x.npy" -o "$work/bad.npy" 2> "$work/bad.err"
rc=$?
check "a Where of a float condition: exit 1, a reason, no output" \
	test $rc = 1 -a ! -e "$work/bad.npy"
grep -q "error: node .*(Where).*condition must be a comparison" "$work/bad.err" &&
	ok "the reason: $(grep -m1 error: "$work/bad.err")" || fail "the reason names the condition: $(cat "$work/bad.err")"
finish
