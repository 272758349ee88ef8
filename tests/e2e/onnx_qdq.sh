# onnx_qdq.sh — pre-quantized (QDQ) ONNX models against onnxruntime (docs/onnx.md):
#   1. tests/e2e/make_qdq.py builds cnn_qdq.onnx and mlp_qdq.onnx, and
#      dscnn_qdq.onnx when weights/dscnn exists (int8 QuantizeLinear/
#      DequantizeLinear pairs, scales from the calibration set);
#   2. onnxruntime-node (installed by .ci/install-deps; tests/tools/ort_run.js,
#      CPU, one thread, its int8 kernels) runs them on the test images: the
#      reference outputs and accuracies;
#   3. `quantc compile M_qdq.onnx --requant float` (no --calib: the scales are
#      the model's) gives an object whose outputs equal onnxruntime's bit for
#      bit on every image, and `quantc run` gives the object's bits on the
#      first 1000 (the DSCNN: only once --requant float compiles its
#      global_avgpool);
#   4. the default fixed-point requantization, compiled from the same model:
#      how many outputs equal onnxruntime's (printed, not asserted), and an
#      accuracy within 0.3 points of onnxruntime's.
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
qdq=$work/qdq
test_data
# images the interpreter runs (the objects and onnxruntime run all of them)
ni=$((QC_TEST_IMAGES < 1000 ? QC_TEST_IMAGES : 1000))

: "${QC_NODE_PREFIX:=/opt/quantc-node}"
export NODE_PATH=$QC_NODE_PREFIX/node_modules
ort_run() { node "$QC_SRC/tests/tools/ort_run.js" "$@"; }
if ! command -v node > /dev/null || [ ! -d "$NODE_PATH/onnxruntime-node" ]; then
	fail "onnxruntime-node is not installed: run .ci/install-deps (looked in $NODE_PATH)"
	finish
	exit
fi

# same A.npy B.npy WHAT: prints "K of N outputs bit-exact with WHAT" (an
# output is one image's row) and, when K < N, the first differing row of each;
# succeeds when K = N
same() {
	"$py" - "$1" "$2" "$3" <<'EOF'
import sys
import numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
if a.shape != b.shape or a.dtype != b.dtype:
    sys.exit(f"shapes or dtypes differ: {a.shape} {a.dtype}, {b.shape} {b.dtype}")
eq = (a.reshape(len(a), -1).view(np.uint32) == b.reshape(len(b), -1).view(np.uint32)).all(axis=1)
print(f"{int(eq.sum())} of {len(eq)} outputs bit-exact with {sys.argv[3]}")
if not eq.all():
    i = int(np.argmin(eq))
    np.set_printoptions(precision=9, linewidth=200)
    print(f"first difference: image {i}\n  quantc: {a[i]}\n  {sys.argv[3]}: {b[i]}")
sys.exit(0 if eq.all() else 1)
EOF
}
# acc Y.npy: accuracy in percent, two decimals
acc() {
	awk -v c="$("$NPYTOOL" correct "$1" "$ty")" -v n="$QC_TEST_IMAGES" 'BEGIN { printf "%.2f", 100 * c / n }'
}

# float_mode MODEL: --requant float, onnxruntime's arithmetic: the object
# and the interpreter give onnxruntime's bits
float_mode() {
	local model=$1 m=$qdq/$1_qdq.onnx d=$work/$1 rc
	link_demo "$model" "$d/float/$model.o" "$d/float/demo" &&
		"$d/float/demo" "$tx" "$ty" "$d/float/y.npy" > /dev/null
	same "$d/float/y.npy" "$d/ort.npy" onnxruntime > "$d/same.txt"
	rc=$?
	sed "s/^/$model: --requant float: /" "$d/same.txt"
	check "$model: --requant float object equals onnxruntime bit for bit" test $rc -eq 0
	# the interpreter on the first 1000 images only: all 10000 cost it 30 s
	# of CPU, and the object equals onnxruntime on all of them
	"$NPYTOOL" head "$ni" "$tx" "$d/float/x$ni.npy"
	"$NPYTOOL" head "$ni" "$d/float/y.npy" "$d/float/y$ni.npy"
	"$QUANTC" run "$m" --requant float --input "$d/float/x$ni.npy" -o "$d/float/yi.npy"
	check "$model: --requant float: quantc run gives the object's bits on the first $ni images" \
		"$NPYTOOL" exact "$d/float/yi.npy" "$d/float/y$ni.npy"
	echo "$model: --requant float accuracy $(acc "$d/float/y.npy")% (onnxruntime $ort_acc%)"
}

# fixed_mode MODEL: the default, fixed-point requantization (TFLite's), from
# the same scales: close to onnxruntime, not equal
fixed_mode() {
	local model=$1 m=$qdq/$1_qdq.onnx d=$work/$1 fixed_acc
	check "$model: compile ${model}_qdq.onnx (fixed-point requantization)" \
		"$QUANTC" compile "$m" --name "$model" -o "$d/fixed/$model.o"
	link_demo "$model" "$d/fixed/$model.o" "$d/fixed/demo" &&
		"$d/fixed/demo" "$tx" "$ty" "$d/fixed/y.npy" > /dev/null
	same "$d/fixed/y.npy" "$d/ort.npy" onnxruntime | head -1 | sed "s/^/$model: fixed point: /"
	fixed_acc=$(acc "$d/fixed/y.npy")
	check "$model: fixed-point accuracy $fixed_acc% within 0.3 points of onnxruntime's $ort_acc%" \
		awk -v a="$fixed_acc" -v b="$ort_acc" 'BEGIN { d = a - b; exit !(d <= 0.3 && d >= -0.3) }'
}

# the DSCNN (BatchNormalization, ReLU6, GlobalAveragePool) when its weights
# are there; --requant float does not cover global_avgpool yet, so its
# bit-exactness is checked only when quantc compiles it
models="cnn mlp"
if [ -d "$ex/weights/dscnn" ]; then
	models="cnn mlp dscnn"
fi
check "make_qdq.py builds the QDQ models ($models)" \
	"$py" "$QC_SRC/tests/e2e/make_qdq.py" "$qdq" "$QC_DATA/calib.npy" $models
check "cnn_qdq.onnx: onnxruntime gives the same outputs for batch 1 and batch 100 (its integer kernels)" \
	ort_run "$qdq/cnn_qdq.onnx" "$tx" --check-batch 100

for model in $models; do
	m=$qdq/${model}_qdq.onnx d=$work/$model
	mkdir -p "$d/float" "$d/fixed"
	check "$model: onnxruntime runs ${model}_qdq.onnx on $QC_TEST_IMAGES images" \
		ort_run "$m" "$tx" "$d/ort.npy"
	ort_acc=$(acc "$d/ort.npy")
	echo "$model: onnxruntime accuracy $ort_acc% on $QC_TEST_IMAGES images"
	if [ "$model" = dscnn ]; then
		if "$QUANTC" compile "$m" --name "$model" --requant float -o "$d/float/$model.o" 2> "$d/err.txt"; then
			float_mode "$model"
		else
			echo "note: dscnn: --requant float: $(grep -m1 -o 'error: .*' "$d/err.txt" | cut -c1-150)"
		fi
	else
		check "$model: compile ${model}_qdq.onnx --requant float (the model's scales, no --calib)" \
			"$QUANTC" compile "$m" --name "$model" --requant float -o "$d/float/$model.o"
		float_mode "$model"
	fi
	fixed_mode "$model"
done
finish
