# onnx.sh — the ONNX importer end to end (docs/onnx.md):
#   1. cnn.onnx and mlp.onnx (examples/fashion_mnist/export_onnx.py, run by
#      the data_onnx fixture into $QC_DATA/onnx) compile, int8 and f32, to
#      objects whose outputs on the first 2000 test images equal those of the
#      .qg twins' objects bit for bit (the equality holds per image; the f32
#      CNN's two objects on all 10000 cost 8 s of CPU);
#      without --calib, the input range comes from --config;
#   2. what `quantc opt` prints for an imported model parses back, keeps the
#      ONNX names, and compiles to the same object;
#   3. BatchNormalization folds into its Conv, shape subgraphs of a PyTorch
#      export (x.view(x.size(0), -1)) fold away, and the other mappings
#      (grouped SAME conv, relu6, ceil_mode pooling, MatMul + Add, Gemm alpha
#      and beta) compute what PyTorch does (tests/e2e/onnx_models.py);
#   4. bad files exit 1 with an error and never crash, --input-shape works.
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
models="$QC_SRC/tests/e2e/onnx_models.py"
onx=$QC_DATA/onnx
calib=$QC_DATA/calib.npy
test_data
ni=$((QC_TEST_IMAGES < 2000 ? QC_TEST_IMAGES : 2000))
"$NPYTOOL" head "$ni" "$tx" "$work/x$ni.npy"
"$NPYTOOL" head "$ni" "$ty" "$work/y$ni.npy"
tx=$work/x$ni.npy ty=$work/y$ni.npy

# --- 1. the example models, against their .qg twins -----------------------------
for model in cnn mlp; do
	for prec in int8 f32; do
		d=$work/$model-$prec
		mkdir -p "$d/onnx" "$d/qg"
		check "$model $prec: compile $model.onnx" \
			"$QUANTC" compile "$onx/$model.onnx" --precision $prec --calib "$calib" -o "$d/onnx/$model.o"
		"$QUANTC" compile "$ex/$model.qg" --precision $prec --calib "$calib" -o "$d/qg/$model.o"
		for k in onnx qg; do
			link_demo "$model" "$d/$k/$model.o" "$d/$k/demo" &&
				"$d/$k/demo" "$tx" "$ty" "$d/$k/y.npy" > "$d/$k/demo.txt"
		done
		check "$model $prec: $model.onnx's object gives the .qg's outputs bit for bit on $ni images" \
			"$NPYTOOL" exact "$d/onnx/y.npy" "$d/qg/y.npy"
		correct=$("$NPYTOOL" correct "$d/onnx/y.npy" "$ty")
		echo "$model $prec: $model.onnx: $correct of $ni correct ($(tail -1 "$d/qg/demo.txt" | sed 's/ (arena.*//'))"
		if cmp -s "$d/onnx/$model.o" "$d/qg/$model.o"; then
			echo "note: $model $prec: the two objects are byte-identical"
		fi
	done
done

# without --calib, int8 ranges come from the input's declared range: an ONNX
# model declares none, --config gives it
mkdir -p "$work/static/onnx" "$work/static/qg"
printf 'inputs:\n  x: {range: [0.0, 1.0]}\n' > "$work/static/range.yaml"
"$QUANTC" compile "$onx/cnn.onnx" -o "$work/static/onnx/cnn.o" 2> "$work/err.txt"
check "cnn.onnx: int8 without --calib asks for a range" grep -q "input 'x' has no range" "$work/err.txt"
check "cnn.onnx: int8 with the input range from --config" \
	"$QUANTC" compile "$onx/cnn.onnx" --config "$work/static/range.yaml" -o "$work/static/onnx/cnn.o"
"$QUANTC" compile "$ex/cnn.qg" -o "$work/static/qg/cnn.o"
check "cnn.onnx: ... gives the object of cnn.qg (range [0, 1] declared)" \
	cmp -s "$work/static/onnx/cnn.o" "$work/static/qg/cnn.o"

# --- 2. dumps of an imported model ------------------------------------------------
mkdir -p "$work/dump"
"$QUANTC" opt "$onx/cnn.onnx" --passes infer-shapes,fuse-activation -o "$work/dump/cnn.qg"
check "cnn.onnx: opt writes a dump" test -s "$work/dump/cnn.qg"
"$QUANTC" opt "$work/dump/cnn.qg" > "$work/re1.qg" && "$QUANTC" opt "$work/re1.qg" > "$work/re2.qg"
check "cnn.onnx: the dump parses back and print(parse(print)) is a fixed point" cmp -s "$work/re1.qg" "$work/re2.qg"
check "cnn.onnx: the dump keeps the ONNX names (c1.weight, fc.bias, x, y)" \
	grep -q 'conv2d(x, c1.weight, c1.bias).* y : f32\[1,10\] = dense(.*fc.bias)' <(tr '\n' ' ' < "$work/re1.qg")
"$QUANTC" compile "$onx/cnn.onnx" --precision f32 -o "$work/dump/a.o"
"$QUANTC" compile "$work/dump/cnn.qg" --precision f32 --passes fuse-pool,plan-memory -o "$work/dump/b.o"
check "cnn.onnx: compiling the dump gives the same object as compiling the .onnx" \
	cmp -s "$work/dump/a.o" "$work/dump/b.o"

# --- 3. folding and mappings, against PyTorch -------------------------------------
# ops M: the IR ops of model M after import, sorted and counted
ops() { "$QUANTC" opt "$1" --passes infer-shapes | grep -v '^const' | sed -nE 's/.* = ([a-z0-9]+)\(.*/\1/p' | sort | uniq -c | tr -s ' \n' ' '; }
for m in bn mix view; do
	check "$m: onnx_models.py writes the model" "$py" "$models" "$m" "$work/m"
	check "$m: f32 interpreter equals PyTorch (rtol 1e-4, atol 1e-5)" \
		bash -c '"$1" run "$2.onnx" --precision f32 --input "$2_x.npy" -o "$2_y.npy" &&
		         "$3" "$4" close "$2_y.npy" "$2_ref.npy"' _ "$QUANTC" "$work/m/$m" "$py" "$models"
	echo "$m: IR ops: $(ops "$work/m/$m.onnx")"
done
check "bn: Conv + BatchNormalization + Relu import as one conv2d and a relu" \
	test "$(ops "$work/m/bn.onnx")" = " 1 conv2d 1 relu "
check "mix: BN, Clip [0,6] and the bias Add fold away (conv2d, maxpool2d, flatten, 2 dense, relu)" \
	test "$(ops "$work/m/mix.onnx")" = " 1 conv2d 2 dense 1 flatten 1 maxpool2d 1 relu "
check "mix: the Clip became the conv's fused relu6" \
	grep -q 'conv2d(.*act = relu6' <("$QUANTC" opt "$work/m/mix.onnx" --passes infer-shapes)
echo "view: ONNX ops: $("$py" "$models" ops "$work/m/view.onnx")"
check "view: the export computes its shape at run time (Shape, Gather)" \
	grep -q 'Gather.*Shape' <("$py" "$models" ops "$work/m/view.onnx")
check "view: the shape subgraph folds into one reshape" \
	test "$(ops "$work/m/view.onnx")" = " 1 conv2d 1 dense 1 relu 1 reshape "
check "view: int8 compile of an exported model with a shape subgraph" \
	"$QUANTC" compile "$work/m/view.onnx" --calib "$work/m/view_x.npy" -o "$work/m/view.o"

# --- 4. errors, robustness, --input-shape --------------------------------------------
"$py" "$models" bad "$work/bad"
head -c 200000 "$onx/cnn.onnx" > "$work/bad/truncated.onnx"
"$py" -c 'import random, sys; r = random.Random(3); sys.stdout.buffer.write(bytes(r.randrange(256) for _ in range(3000)))' > "$work/bad/garbage.onnx"
# bad NAME PATTERN: compiling NAME.onnx exits 1, says error: and PATTERN
bad() {
	echo sentinel > "$work/bad/out.o"
	"$QUANTC" compile "$work/bad/$1.onnx" -o "$work/bad/out.o" 2> "$work/bad/err.txt"
	local rc=$?
	check "$1.onnx: exit status 1 (got $rc), '$2': $(head -1 "$work/bad/err.txt")" \
		bash -c '[ $0 -eq 1 ] && grep -q "error: .*$1" "$2" && [ "$(cat "$3")" = sentinel ]' \
		$rc "$2" "$work/bad/err.txt" "$work/bad/out.o"
}
bad truncated "malformed or truncated"
bad garbage "not an ONNX model"
bad unsupported "node 'det0' (Det): unsupported operator Det"
bad opset22 "opset 22; quantc reads opsets 1 to 21"
# every file made by changing or cutting a few bytes of mix.onnx: exit 0 or 1
# with a diagnostic, nothing else (the ASan build of CI runs this too)
n=0 odd=0
"$py" "$models" mutate "$work/m/mix.onnx" "$work/mut" "${QC_ONNX_MUTANTS:-150}"
for f in "$work"/mut/*.onnx; do
	"$QUANTC" opt "$f" --passes infer-shapes -o "$work/mut/out.qg" 2> "$work/bad/err.txt"
	rc=$?
	if [ $rc -gt 1 ] || { [ $rc -eq 1 ] && ! grep -q 'error:' "$work/bad/err.txt"; }; then
		odd=$((odd + 1))
		echo "$(basename "$f"): exit $rc: $(tail -3 "$work/bad/err.txt")"
	fi
	n=$((n + 1))
done
check "$n damaged copies of mix.onnx: each exits 0, or 1 with an error ($odd did not)" test $odd -eq 0
"$py" - "$work/m/bn.onnx" "$work/m/bn_h.onnx" <<'EOF'
import sys, onnx
m = onnx.load(sys.argv[1])
m.graph.input[0].type.tensor_type.shape.dim[2].dim_param = 'H'   # H symbolic
onnx.save(m, sys.argv[2])
EOF
"$QUANTC" inspect "$work/m/bn_h.onnx" --precision f32 > /dev/null 2> "$work/err.txt"
check "a symbolic non-batch dimension asks for --input-shape" grep -q "error: input 'x': dimension 2 is symbolic ('H'); give the shape with --input-shape" "$work/err.txt"
check "--input-shape x=1x3x10x10 gives it" \
	"$QUANTC" run "$work/m/bn_h.onnx" --input-shape x=1x3x10x10 --precision f32 --input "$work/m/bn_x.npy" -o "$work/m/bn_h.npy"
check "... and the same outputs" "$NPYTOOL" exact "$work/m/bn_h.npy" "$work/m/bn_y.npy"
"$QUANTC" inspect "$work/m/bn_h.onnx" --precision f32 --input-shape x=1x3x12x10 > "$work/inspect.txt"
check "--input-shape x=1x3x12x10 sets the symbolic height" grep -q 'f32 \[1,6,12,10\]' "$work/inspect.txt"
"$QUANTC" inspect "$work/m/bn.onnx" --input-shape z=1x3 2> "$work/err.txt"
check "--input-shape of an unknown input is an error" grep -q "no input named 'z'" "$work/err.txt"
"$QUANTC" inspect "$ex/cnn.qg" --input-shape x=1x1x28x28 2> "$work/err.txt"
check "--input-shape on a .qg model is an error" grep -q "applies to ONNX models only" "$work/err.txt"
finish
