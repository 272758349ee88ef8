# zoo_qdq.sh — the QDQ twin bench/zoo.sh times onnxruntime int8 on
# (tests/e2e/make_qdq.py --onnx): torchvision's mobilenet_v3_small (random
# weights) at 32x32, its twin calibrated on 2 synthetic images, and the graph
# onnxruntime-node optimizes it into (session option optimizedModelFilePath,
# bench/ort_time.js): every Conv, Gemm, Add, Mul and GlobalAveragePool runs
# as an integer kernel (QLinearConv, QGemm, QLinearAdd, QLinearMul,
# QLinearGlobalAveragePool), none in float, and the twin predicts the float
# model's class.  About 6 s of CPU (torch's import and export dominate).
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
: "${QC_NODE_PREFIX:=/opt/quantc-node}"
export NODE_PATH=$QC_NODE_PREFIX/node_modules
if ! command -v node > /dev/null || [ ! -d "$NODE_PATH/onnxruntime-node" ] ||
	! "$py" -c "import torchvision" 2> /dev/null; then
	fail "onnxruntime-node or python3-torchvision is not installed: run .ci/install-deps"
	finish
	exit
fi
m=mobilenet_v3_small
"$py" "$QC_SRC/tests/zoo/export.py" model $m 32 "$work/$m" 13 > /dev/null 2>&1
"$py" "$QC_SRC/tests/zoo/export.py" images 32 2 1 "$work/calib.npy"
"$py" -c 'import sys, numpy as np; np.load(sys.argv[1])[0].astype("<f4").tofile(sys.argv[2])' \
	"$work/calib.npy" "$work/x.f32"
check "make_qdq.py --onnx builds the U8S8 twin of $m" \
	"$py" "$QC_SRC/tests/e2e/make_qdq.py" --onnx "$work/$m.13.onnx" "$work/calib.npy" "$work/qdq.onnx"
ort() { ORT_SHAPE=1,3,32,32 node "$QC_SRC/bench/ort_time.js" "$@" "$work/x.f32" 0.001 2> /dev/null; }
f=$(ort "$work/$m.13.onnx")
q=$(ORT_OPTIMIZED=$work/opt.onnx ort "$work/qdq.onnx")
echo "float: $f"
echo "twin:  $q"
check "onnxruntime saved its optimized twin" test -s "$work/opt.onnx"
check "the twin predicts the float model's class (${f##* class }, ${q##* class })" \
	test "${f##* class }" = "${q##* class }"
"$py" - "$work/$m.13.onnx" "$work/opt.onnx" > "$work/ops" <<'PY'
import collections, sys, onnx
fl = collections.Counter(n.op_type for n in onnx.load(sys.argv[1]).graph.node)
op = collections.Counter(n.op_type for n in onnx.load(sys.argv[2]).graph.node)
print("optimized twin:", ", ".join("%s %d" % kv for kv in sorted(op.items())))
bad = 0
for f, q in (("Conv", "QLinearConv"), ("Gemm", "QGemm"), ("Add", "QLinearAdd"),
             ("Mul", "QLinearMul"), ("GlobalAveragePool", "QLinearGlobalAveragePool")):
    good = op[q] == fl[f] and op[f] == 0
    bad += not good
    print("%s: float model %d, twin %d %s and %d %s: %s" % (f, fl[f], op[q], q, op[f], f, "ok" if good else "NOT fused"))
sys.exit(bad)
PY
r=$?
cat "$work/ops"
check "every Conv, Gemm, Add, Mul and GlobalAveragePool runs as onnxruntime's integer kernel" test $r = 0
finish
