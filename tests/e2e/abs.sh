# abs.sh — the abs op (ONNX Abs) end to end, in f32, int8 and int16:
#   1. y = abs(x) + abs(x + c) (the second abs in place: plan-memory gives
#      it its operand's bytes) quantizes from the declared input range; on
#      64 inputs the interpreter's int8 and int16 results are within two
#      output steps of f32, and f32 is numpy's |x| + |x + c| bit for bit;
#   2. each precision compiles, and the host object computes what the
#      interpreter does, bit for bit; it compiles for every target of
#      --list-targets too;
#   3. f32 abs of -0, NaN and infinities: the sign bit cleared, as numpy;
#   4. propagate-ranges: [lo, hi] = [-3, 2] gives [0, 3], exactly;
#   5. ONNX Abs imports as abs and computes numpy's |x|.
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3

cat > "$work/absm.qg" <<'EOF'
model absm
input x : f32[1,2,3,4] range [-3, 2]
const c : f32[2,1,1] = [0.5, -0.75]
a = abs(x)
s = add(x, c)
b = abs(s)
y = add(a, b)
output y
EOF
"$py" -c "
import numpy as np, sys
rng = np.random.default_rng(5)
np.save(sys.argv[1] + '/x.npy', rng.uniform(-3, 2, size=(64, 2, 3, 4)).astype(np.float32))
np.save(sys.argv[1] + '/lab.npy', np.zeros(64, np.int32))" "$work"

for p in f32 int8 int16; do
	mkdir -p "$work/$p"
	"$QUANTC" run "$work/absm.qg" --precision $p --input "$work/x.npy" -o "$work/y.$p.npy" 2> /dev/null
	check "$p: quantc run" test -s "$work/y.$p.npy"
	check "$p: compiles" "$QUANTC" compile "$work/absm.qg" --precision $p -o "$work/$p/absm.o"
	link_demo absm "$work/$p/absm.o" "$work/$p/demo" &&
		"$work/$p/demo" "$work/x.npy" "$work/lab.npy" "$work/obj.$p.npy" > /dev/null
	check "$p: the object equals the interpreter bit for bit" "$py" -c "
import numpy as np, sys
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
sys.exit(0 if a.size == b.size and np.array_equal(a.reshape(b.shape).view(np.uint32), b.view(np.uint32)) else 1)" \
		"$work/obj.$p.npy" "$work/y.$p.npy"
done
for t in $("$QUANTC" compile "$work/absm.qg" --list-targets | awk '{print $1}'); do
	for p in f32 int8 int16; do
		check "$p: compiles for $t" "$QUANTC" compile "$work/absm.qg" --precision $p --target "$t" \
			-o "$work/$p/absm.$t.o"
	done
done
check "f32: numpy's |x| + |x + c| bit for bit" "$py" -c "
import numpy as np, sys
x, y = np.load(sys.argv[1] + '/x.npy'), np.load(sys.argv[1] + '/y.f32.npy')
c = np.array([0.5, -0.75], np.float32).reshape(2, 1, 1)
sys.exit(0 if np.array_equal((np.abs(x) + np.abs(x + c)).view(np.uint32), y.view(np.uint32)) else 1)" "$work"
for p in int8 int16; do
	"$QUANTC" opt "$work/absm.qg" --precision $p --passes infer-shapes,propagate-ranges,quantize > "$work/q.$p.qg"
	check "$p: within two output steps of f32" "$py" -c "
import re, sys, numpy as np
d, p = sys.argv[1], sys.argv[2]
s = float(re.search(r'\ny : i(8|16)\[[^]]*\] q\(scale=([^,]*),', open(f'{d}/q.{p}.qg').read()).group(2))
f, q = np.load(f'{d}/y.f32.npy'), np.load(f'{d}/y.{p}.npy')
err = float(np.abs(f - q).max())
print(f'{p}: max |q - f32| = {err:.6g}, output step {s:.6g}')
sys.exit(0 if err <= 2 * s * 1.0001 else 1)" "$work" $p
done

# f32 special values
cat > "$work/abs1.qg" <<'EOF'
model abs1
input x : f32[1,8]
y = abs(x)
output y
EOF
"$py" -c "
import numpy as np, sys
v = np.array([[-0.0, 0.0, -1.5, 2.0, np.nan, -np.inf, np.inf, -1e-45]], np.float32)
v[0, 4] = -np.float32(np.nan)
np.save(sys.argv[1] + '/s.npy', v)" "$work"
"$QUANTC" run "$work/abs1.qg" --precision f32 --input "$work/s.npy" -o "$work/s.out.npy"
check "f32: -0, NaN, infinities: the sign bit cleared" "$py" -c "
import numpy as np, sys
x, y = np.load(sys.argv[1] + '/s.npy'), np.load(sys.argv[1] + '/s.out.npy')
sys.exit(0 if np.array_equal(y.view(np.uint32), x.view(np.uint32) & 0x7fffffff) else 1)" "$work"

"$QUANTC" opt "$work/absm.qg" --passes infer-shapes,propagate-ranges > "$work/r.qg"
check "propagate-ranges: abs of [-3, 2] is [0, 3]" grep -q "^a : f32\[1,2,3,4\] range \[0, 3\] = abs(x)" "$work/r.qg"

if $py -c "import onnx" 2>/dev/null; then
	"$py" - "$work" <<'EOF'
import sys
import numpy as np
from onnx import helper, TensorProto, save
d = sys.argv[1]
g = helper.make_graph([helper.make_node("Abs", ["x"], ["y"])], "absg",
                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 3, 4])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 3, 4])])
save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), d + "/abs.onnx")
EOF
	"$QUANTC" opt "$work/abs.onnx" > "$work/onnx.qg" 2>&1
	check "ONNX Abs imports as abs" grep -q "= abs(x)" "$work/onnx.qg"
	"$QUANTC" run "$work/abs.onnx" --precision f32 --input "$work/x.npy" -o "$work/onnx.out.npy"
	check "ONNX Abs: numpy's |x|" "$py" -c "
import numpy as np, sys
x, y = np.load(sys.argv[1] + '/x.npy'), np.load(sys.argv[1] + '/onnx.out.npy')
sys.exit(0 if np.array_equal(np.abs(x), y) else 1)" "$work"
else
	fail "python3-onnx is installed (/usr/bin/python3 -c 'import onnx')"
fi
finish
