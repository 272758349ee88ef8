#!/bin/bash
# auto_precision_int8_only.sh — --precision auto on models with a layer that
# has no int16 kernel (sigmoid, tanh, leaky_relu, hard_sigmoid, hard_swish,
# softmax): conv2d -> ACT -> conv2d as .qg, and Conv -> Sigmoid -> Conv as
# ONNX.  The search
# leaves the activation out and it stays int8; `compile` and `run` succeed
# (they used to crash printing the table), the table shows the activation
# as int8 with the reason, and with a target that needs int16 the layers
# around it become int16 while it stays int8.
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
q=$QUANTC
cd "$work" || exit 1
"$py" - <<'EOF'
import numpy as np
from onnx import TensorProto, helper, numpy_helper, save
r = np.random.default_rng(0)
w1 = r.normal(0, 0.5, (4, 2, 3, 3)).astype(np.float32)
w2 = r.normal(0, 0.5, (3, 4, 3, 3)).astype(np.float32)
np.save("w1.npy", w1)
np.save("w2.npy", w2)
np.save("calib.npy", r.uniform(-1, 1, (16, 2, 6, 6)).astype(np.float32))
g = helper.make_graph([
    helper.make_node("Conv", ["x", "w1"], ["c1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    helper.make_node("Sigmoid", ["c1"], ["s"]),
    helper.make_node("Conv", ["s", "w2"], ["y"], kernel_shape=[3, 3])],
    "sig", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 6, 6])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 4, 4])],
    [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2")])
save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), "sigmoid_onnx.onnx")
EOF
for act in sigmoid tanh leaky_relu hard_sigmoid hard_swish softmax; do
	cat > "$act.qg" <<EOF
model m_$act
input x : f32[1,2,6,6] range [-1, 1]
const w1 : f32[4,2,3,3] = npy("w1.npy")
const w2 : f32[3,4,3,3] = npy("w2.npy")
c1 = conv2d(x, w1) { pad = [1,1,1,1] }
s = $act(c1)
y = conv2d(s, w2)
output y
EOF
done
"$NPYTOOL" head 4 calib.npy x4.npy

for m in sigmoid.qg tanh.qg leaky_relu.qg hard_sigmoid.qg hard_swish.qg softmax.qg sigmoid_onnx.onnx; do
	act=$(sed -nE 's/^s = ([a-z_]+)\(.*/\1/p' "$m" 2> /dev/null)
	[ -n "$act" ] || act=sigmoid
	# a low target: all int8
	"$q" compile "$m" --precision auto --min-sqnr 10 --calib calib.npy -o low.o 2> low.err
	rc=$?
	check "$m: compile --precision auto --min-sqnr 10 exits 0 (got $rc)" test $rc -eq 0
	check "$m: the table shows $act as int8 with no int16 kernel" \
		grep -qE "^  s +$act +int8 +- +- +-  no int16 kernel: stays int8$" low.err
	"$q" run "$m" --precision auto --min-sqnr 10 --calib calib.npy -q --input x4.npy -o low.npy 2> run.err
	rc=$?
	check "$m: run --precision auto --min-sqnr 10 exits 0 (got $rc) and writes its output" \
		test $rc -eq 0 -a -s low.npy
	# a target only int16 convolutions reach: the search promotes around it
	"$q" inspect "$m" --precision auto --min-sqnr 99 --calib calib.npy > /dev/null 2> high.err
	best=$(sed -nE 's/.*the best is ([0-9.]+) dB.*/\1/p' high.err)
	check "$m: an unreachable target names the best, with every layer that has an int16 kernel int16" \
		grep -qE "the best is [0-9.]+ dB \(every layer that has an int16 kernel int16\)" high.err
	s8=$(sed -nE 's/^  all int8 +([0-9.]+) dB .*/\1/p' low.err)
	mid=$(awk -v a="$s8" -v b="$best" 'BEGIN { printf "%.2f", (a + b) / 2 }')
	"$q" compile "$m" --precision auto --min-sqnr "$mid" --calib calib.npy -o mid.o 2> mid.err
	rc=$?
	check "$m: compile --min-sqnr $mid (between all int8 $s8 and the best $best dB) exits 0 (got $rc)" \
		test $rc -eq 0
	check "$m: ... some layer is int16, $act stays int8" \
		eval 'grep -qE "^  (c1|y) +conv2d +int16 " mid.err &&
		      grep -qE "^  s +$act +int8 .* no int16 kernel" mid.err'
	"$q" run "$m" --precision auto --min-sqnr "$mid" --calib calib.npy -q --input x4.npy -o mid.npy
	rc=$?
	check "$m: run --min-sqnr $mid exits 0 (got $rc)" test $rc -eq 0 -a -s mid.npy
done
finish
