# onnx_act.sh — the activations and softmax through the ONNX importer
# (docs/onnx.md, docs/language.md): one small model per operator, built
# with onnx.helper (LeakyRelu, Sigmoid, Tanh, HardSigmoid, HardSwish,
# Softmax over the last axis and over axis 1, Softmax of opset 11 (which
# flattens from `axis`: only the last axis is taken), Clip to [-1, 2]):
#   1. the import maps each to its IR op with its attributes;
#   2. `quantc run` in f32 matches numpy within 1e-5;
#   3. int8 (calibrated on the same samples) is within 0.03 of numpy for
#      sigmoid, hard_sigmoid and softmax, 0.05 for tanh (half an input step
#      of about 0.06 at slope 1), 0.1 for the others (output steps of 0.04);
#   4. the int8 compile of each succeeds (the tables reach the object).
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3

if ! $py -c "import onnx" 2>/dev/null; then
	fail "python3-onnx is installed (/usr/bin/python3 -c 'import onnx')"
	finish
	exit
fi

# make.py OUT: the models, their input x.npy and numpy's outputs ref_NAME.npy
cat > "$work/make.py" <<'EOF'
import sys
import numpy as np
from onnx import helper, TensorProto, save

out = sys.argv[1]
rng = np.random.default_rng(7)
x = (rng.standard_normal((16, 2, 3, 8)) * 2.5).astype(np.float32)
np.save(f"{out}/x.npy", x)

def softmax(v, axis):
    e = np.exp(v - v.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)

def sig(v):
    return 1 / (1 + np.exp(-v))

xd = x.astype(np.float64)
cases = {
    "leaky": (helper.make_node("LeakyRelu", ["x"], ["y"], alpha=0.3), 13,
              np.where(xd < 0, 0.3 * xd, xd)),
    "sigmoid": (helper.make_node("Sigmoid", ["x"], ["y"]), 13, sig(xd)),
    "tanh": (helper.make_node("Tanh", ["x"], ["y"]), 13, np.tanh(xd)),
    "hsig": (helper.make_node("HardSigmoid", ["x"], ["y"], alpha=0.25, beta=0.4), 13,
             np.clip(0.25 * xd + 0.4, 0, 1)),
    "hswish": (helper.make_node("HardSwish", ["x"], ["y"]), 14,
               xd * np.clip(xd + 3, 0, 6) / 6),
    "softmax": (helper.make_node("Softmax", ["x"], ["y"]), 13, softmax(xd, -1)),
    "softmax1": (helper.make_node("Softmax", ["x"], ["y"], axis=1), 13, softmax(xd, 1)),
    "clip": (helper.make_node("Clip", ["x", "lo", "hi"], ["y"]), 13, np.clip(xd, -1, 2)),
    "softmax11": (helper.make_node("Softmax", ["x"], ["y"], axis=3), 11, softmax(xd, -1)),
    "softmax11b": (helper.make_node("Softmax", ["x"], ["y"]), 11, softmax(xd, -1)),
}
for name, (node, opset, ref) in cases.items():
    inits = []
    if name == "clip":
        inits = [helper.make_tensor("lo", TensorProto.FLOAT, [], [-1.0]),
                 helper.make_tensor("hi", TensorProto.FLOAT, [], [2.0])]
    g = helper.make_graph([node], name,
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 3, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2, 3, 8])],
                          inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 7
    save(m, f"{out}/{name}.onnx")
    np.save(f"{out}/ref_{name}.npy", ref.astype(np.float32))
EOF

# close A B TOL: the largest |a - b| of two .npy files is at most TOL
cat > "$work/close.py" <<'EOF'
import sys
import numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
err = np.abs(a.astype(np.float64) - b).max() if a.shape == b.shape else float("inf")
print(f"    max |quantc - numpy| = {err:.3g}")
sys.exit(0 if err <= float(sys.argv[3]) else 1)
EOF

check "the ONNX models are built (onnx.helper)" $py "$work/make.py" "$work"

# 1. the mapping
ir() { "$QUANTC" opt "$work/$1.onnx" --passes infer-shapes 2>&1; }
want() { # want NAME PATTERN: the imported IR of NAME.onnx has a line matching PATTERN
	check "import $1: '$2'" grep -q -- "$2" <(ir "$1")
}
want leaky 'leaky_relu(x) { alpha = 0.300000012 }'
want sigmoid '= sigmoid(x)$'
want tanh '= tanh(x)$'
want hsig 'hard_sigmoid(x) { alpha = 0.25, beta = 0.400000006 }'
want hswish '= hard_swish(x)$'
want softmax 'softmax(x) { axis = 3 }'
want softmax1 'softmax(x) { axis = 1 }'
want clip 'clip(x) { min = -1, max = 2 }'
want softmax11 'softmax(x) { axis = 3 }'
check "import softmax11b (opset 11, axis 1 of 4 dims): refused" \
	grep -q "error: .*before opset 13, Softmax normalizes over dimensions 1 to 3 together" <(ir softmax11b)

# 2-4. f32 and int8 results against numpy; the int8 object
for m in leaky sigmoid tanh hsig hswish softmax softmax1 softmax11 clip; do
	case $m in leaky | hswish | clip) tol=0.1 ;; tanh) tol=0.05 ;; *) tol=0.03 ;; esac
	check "$m: quantc run --precision f32" \
		"$QUANTC" run "$work/$m.onnx" --precision f32 --input "$work/x.npy" -o "$work/f_$m.npy"
	check "$m: f32 within 1e-5 of numpy" $py "$work/close.py" "$work/f_$m.npy" "$work/ref_$m.npy" 1e-5
	check "$m: quantc run (int8, --calib)" \
		"$QUANTC" run "$work/$m.onnx" --calib "$work/x.npy" --input "$work/x.npy" -o "$work/q_$m.npy"
	check "$m: int8 within $tol of numpy" $py "$work/close.py" "$work/q_$m.npy" "$work/ref_$m.npy" $tol
	check "$m: quantc compile (int8)" \
		"$QUANTC" compile "$work/$m.onnx" --calib "$work/x.npy" -o "$work/$m.o"
done
finish
