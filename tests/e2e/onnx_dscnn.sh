# onnx_dscnn.sh — the depthwise-separable CNN of examples/fashion_mnist
# (train.py's DSCNN, exported by export_onnx.py into $QC_DATA/onnx by the
# data_onnx fixture), compiled from ONNX:
#   1. the import: every BatchNormalization folds into its Conv and every
#      ReLU6 (exported as Relu, Clip 0..6) becomes the conv's act = relu6;
#   2. f32: the object classifies exactly as many test images correctly as
#      PyTorch does (computed here on the same images, and for all 10000
#      equal to accuracy.txt's count);
#   3. int8 (--calib): the object equals the interpreter bit for bit on the
#      first 1000 test images (the equality holds per image; the interpreter
#      over all 10000 cost 18 s of CPU), and the accuracy drop from PyTorch's
#      f32 is at most 0.5 percentage points on 10000 images (with fewer,
#      0.5 points plus 3 images of slack: on 500 images one image is 0.2
#      points);
#   4. int16 and --precision auto compile and run; their accuracy is printed.
# Measured (10000 images): PyTorch f32 9029, f32 9029, int8 9039, int16 9037.
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
onx=$QC_DATA/onnx/dscnn.onnx
calib=$QC_DATA/calib.npy
n=$QC_TEST_IMAGES
test_data

check "the data_onnx fixture exported dscnn.onnx" test -s "$onx"

# --- 1. the import ------------------------------------------------------------------
"$QUANTC" opt "$onx" --passes infer-shapes,fuse-activation > "$work/ir.qg"
ops=$(grep -v '^const' "$work/ir.qg" | sed -nE 's/.* = ([a-z0-9_]+)\(.*/\1/p' | sort | uniq -c | tr -s ' \n' ' ')
echo "dscnn.onnx: IR ops after fuse-activation: $ops"
check "dscnn.onnx: BN folds away, ReLU6 fuses: 9 conv2d, global_avgpool, flatten, dense" \
	test "$ops" = " 9 conv2d 1 dense 1 flatten 1 global_avgpool "
check "dscnn.onnx: all 9 conv2d have act = relu6" \
	test "$(grep -c 'conv2d(.*act = relu6' "$work/ir.qg")" = 9
check "dscnn.onnx: 4 of them depthwise (groups 32, 64, 64, 128)" \
	test "$(grep -oE 'groups = (32|64|128),' "$work/ir.qg" | tr -d '\n')" = "groups = 32,groups = 64,groups = 64,groups = 128,"

# --- 2. f32 against PyTorch -------------------------------------------------------
# PyTorch's logits and correct count on the same images, as train.py scores
# them (eval mode, batches of 100, one thread)
"$py" - "$ex" "$tx" "$ty" "$work/torch.npy" > "$work/torch.txt" <<'EOF'
import sys
import numpy as np
import torch
sys.path.insert(0, sys.argv[1])
from export_onnx import load
torch.set_num_threads(1)
model = load("dscnn")
x = torch.from_numpy(np.load(sys.argv[2]))
y = np.load(sys.argv[3])
with torch.no_grad():
    out = torch.cat([model(x[i:i + 100]) for i in range(0, x.shape[0], 100)]).numpy()
np.save(sys.argv[4], out)
print(int((out.argmax(1) == y).sum()))
EOF
pt=$(cat "$work/torch.txt")
echo "PyTorch f32: $pt of $n correct"
if [ "$n" -ge 10000 ]; then
	acc=$(awk '$1 == "dscnn_f32_correct" { print $2 }' "$ex/accuracy.txt")
	check "PyTorch's count here equals accuracy.txt's ($acc)" test "$pt" = "$acc"
fi

# classify PREC [OPTION...]: compile dscnn.onnx, link the demo, classify the test
# images into $work/PREC/y.npy; prints the correct count
classify() {
	local p=$1 d=$work/$1
	shift
	mkdir -p "$d"
	"$QUANTC" compile "$onx" --precision "$p" "$@" -o "$d/dscnn.o" &&
		link_demo dscnn "$d/dscnn.o" "$d/demo" &&
		"$d/demo" "$tx" "$ty" "$d/y.npy" > "$d/demo.txt" &&
		"$NPYTOOL" correct "$d/y.npy" "$ty"
}
f32=$(classify f32)
check "f32: compiles, links and runs" test -n "$f32"
echo "dscnn f32 (.o): $f32 of $n correct; PyTorch $pt"
check "f32: the object's correct count equals PyTorch's ($f32 = $pt)" test "$f32" = "$pt"
# where they disagree, say which images and by how much
"$py" - "$work/f32/y.npy" "$work/torch.npy" "$ty" <<'EOF'
import sys
import numpy as np
q, t, y = (np.load(p) for p in sys.argv[1:])
print("f32: largest |logit difference| from PyTorch: %.3g" % np.abs(q - t).max())
for i in np.nonzero(q.argmax(1) != t.argmax(1))[0]:
    top = np.sort(t[i])[-2:]
    print("f32: image %d: quantc class %d, PyTorch class %d (label %d), PyTorch's top two logits %r"
          % (i, q[i].argmax(), t[i].argmax(), y[i], top.tolist()))
EOF

# --- 3. int8 ------------------------------------------------------------------------
int8=$(classify int8 --calib "$calib")
check "int8: compiles, links and runs" test -n "$int8"
ni=$((n < 1000 ? n : 1000))
"$NPYTOOL" head "$ni" "$tx" "$work/int8/x$ni.npy"
"$NPYTOOL" head "$ni" "$work/int8/y.npy" "$work/int8/y$ni.npy"
"$QUANTC" run "$onx" --precision int8 --calib "$calib" --input "$work/int8/x$ni.npy" -o "$work/int8/interp.npy"
check "int8: the object's outputs equal the interpreter's bit for bit on the first $ni images" \
	"$NPYTOOL" exact "$work/int8/y$ni.npy" "$work/int8/interp.npy"
drop=$((pt - int8))
limit=$(( (n * 5 + 999) / 1000 ))
[ "$n" -lt 10000 ] && limit=$((limit + 3))
echo "dscnn int8: $int8 of $n correct; drop from PyTorch's f32: $drop images = $(awk -v a="$drop" -v n="$n" 'BEGIN { printf "%.2f", 100 * a / n }') points"
check "int8: the drop from f32 is at most $limit of $n images ($drop)" test "$drop" -le "$limit"

# --- 4. int16 and automatic precision ------------------------------------------
int16=$(classify int16 --calib "$calib")
check "int16: compiles, links and runs" test -n "$int16"
echo "dscnn int16: $int16 of $n correct"
# 37 dB lies between all int8 (35.65 dB with the committed weights) and all
# int16 (38.17 dB): some layers become int16
auto=$(classify auto --calib "$calib" --min-sqnr 37)
check "auto (--min-sqnr 37): compiles, links and runs" test -n "$auto"
echo "dscnn auto (--min-sqnr 37): $auto of $n correct"
finish
