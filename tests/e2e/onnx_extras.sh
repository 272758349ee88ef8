# onnx_extras.sh — ONNX mappings that take more than one IR node, and
# `quantc run` with several inputs and outputs (docs/onnx.md, docs/cli.md):
#   1. BatchNormalization that cannot fold (on a graph input, after a Relu)
#      is a mul and an add; 1-D MaxPool/AveragePool are a 2-D pool between
#      reshapes; Gemm transA = 1 is a transpose and a dense, a matrix C an add;
#      each computes, interpreted and compiled (f32), what NumPy/PyTorch do
#      (tests/e2e/onnx_extras.py);
#   2. a graph output that is a graph input (Identity of it) is copied;
#   3. `quantc run` takes one --input per model input and one -o per output,
#      in order or as NAME=FILE; a count that does not match is an error.
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
close() { "$py" "$QC_SRC/tests/e2e/onnx_models.py" close "$@"; }
m=$work/m
check "onnx_extras.py writes the models" "$py" "$QC_SRC/tests/e2e/onnx_extras.py" "$m"
# the IR ops of a model after import, sorted and counted
ops() { "$QUANTC" opt "$1" --passes infer-shapes | grep -v '^const' | sed -nE 's/.* = ([a-z0-9_]+)\(.*/\1/p' | sort | uniq -c | tr -s ' \n' ' '; }
# shellcheck disable=SC2086
"$CC" -std=c11 -O1 ${QC_CFLAGS:-} -I"$QRT_INCLUDE" -c "$QC_SRC/tests/onnx_conformance/driver.c" -o "$work/driver.o"

# compiled M INPUTS.. : compiles M.onnx (f32) and runs it with the conformance
# runner's driver on the .raw inputs, writing M_c0.raw, M_c1.raw ..
compiled() {
	local name=$1 nout=$2 outs=() k
	shift 2
	for ((k = 0; k < nout; k++)); do outs+=("$m/${name}_c$k.raw"); done
	"$QUANTC" compile "$m/$name.onnx" --precision f32 --name model -o "$m/$name.o" &&
		# shellcheck disable=SC2086
		"$CC" ${QC_CFLAGS:-} "$m/$name.o" "$work/driver.o" "$QRT_LIB" -lm -o "$m/$name.exe" &&
		"$m/$name.exe" "$@" "${outs[@]}"
}
# raw_close GOT.raw WANT.npy
raw_close() {
	"$py" -c 'import numpy as np, sys; np.save(sys.argv[2], np.fromfile(sys.argv[1], np.float32))' "$1" "$1.npy" &&
		close "$1.npy" "$2"
}
# compiled_close M IN.raw WANT.npy: the one-output model's object on one sample
compiled_close() { compiled "$1" 1 "$2" && raw_close "$m/${1}_c0.raw" "$3"; }
# run_close M: the f32 interpreter on M_x.npy against M_ref.npy
run_close() {
	"$QUANTC" run "$m/$1.onnx" --precision f32 --input "$m/$1_x.npy" -o "$m/$1_y.npy" &&
		close "$m/$1_y.npy" "$m/$1_ref.npy"
}

# --- 1. one-input models: interpreter and compiled object against NumPy -----------
declare -A want=(
	[bn_input]=" 1 add 1 mul "
	[bn_relu]=" 1 add 1 conv2d 1 mul 1 relu "
	[maxpool1d]=" 1 maxpool2d 2 reshape "
	[avgpool1d]=" 1 avgpool2d 2 reshape "
	[gemm_ta]=" 1 add 1 dense 1 transpose "
)
for name in bn_input bn_relu maxpool1d avgpool1d gemm_ta; do
	got=$(ops "$m/$name.onnx")
	check "$name: imports as$(echo "${want[$name]}" | sed 's/ \([0-9]\) / \1 /g') (got$got)" test "$got" = "${want[$name]}"
	check "$name: f32 interpreter equals the reference" run_close "$name"
done
# the compiled objects take one sample (the driver reads the model's sizes)
for name in bn_input maxpool1d avgpool1d gemm_ta; do
	"$py" -c 'import numpy as np, sys; a = np.load(sys.argv[1]); a[:1].tofile(sys.argv[2]); np.save(sys.argv[3], np.load(sys.argv[4])[:1])' \
		"$m/${name}_x.npy" "$m/${name}_x1.raw" "$m/${name}_ref1.npy" "$m/${name}_ref.npy"
	[ "$name" = gemm_ta ] && cp "$m/${name}_x.raw" "$m/${name}_x1.raw" && cp "$m/${name}_ref.npy" "$m/${name}_ref1.npy"
	check "$name: the compiled f32 object equals the reference" \
		compiled_close "$name" "$m/${name}_x1.raw" "$m/${name}_ref1.npy"
done
int8=$("$QUANTC" compile "$m/bn_relu.onnx" --calib "$m/bn_relu_x.npy" -o "$m/bn_relu_i8.o" 2>&1)
check "bn_relu: compiles to int8 too ($int8)" test -s "$m/bn_relu_i8.o"

# --- 2, 3. two inputs, two outputs (one a graph input) ---------------------------------
check "io2: quantc run --input a --input b -o y0 -o y1" \
	"$QUANTC" run "$m/io2.onnx" --precision f32 --input "$m/io2_x0.npy" --input "$m/io2_x1.npy" \
	-o "$m/io2_y0.npy" -o "$m/io2_y1.npy"
check "io2: y0 is the input a (a graph input as an output)" close "$m/io2_y0.npy" "$m/io2_ref0.npy"
check "io2: y1 is a + b" close "$m/io2_y1.npy" "$m/io2_ref1.npy"
rm -f "$m"/io2_y?.npy
check "io2: NAME=FILE in any order (b=, a=, y1=, y0=)" \
	"$QUANTC" run "$m/io2.onnx" --precision f32 --input b="$m/io2_x1.npy" --input a="$m/io2_x0.npy" \
	-o y1="$m/io2_y1.npy" -o y0="$m/io2_y0.npy"
both() { close "$m/io2_${1}0.npy" "$m/io2_${2}0.npy" && close "$m/io2_${1}1.npy" "$m/io2_${2}1.npy"; }
check "io2: ... the same outputs" both y ref
# first sample of each, for the compiled object
"$py" -c 'import numpy as np, sys
for k in "01":
    np.load(sys.argv[1] + "_x" + k + ".npy")[:1].tofile(sys.argv[1] + "_s" + k + ".raw")
    np.save(sys.argv[1] + "_r" + k + ".npy", np.load(sys.argv[1] + "_ref" + k + ".npy")[:1])' "$m/io2"
compiled io2 2 "$m/io2_s0.raw" "$m/io2_s1.raw"
for k in 0 1; do
	check "io2: the compiled object's output y$k" raw_close "$m/io2_c$k.raw" "$m/io2_r$k.npy"
done
# run_err WHAT PATTERN ARGS..: quantc run exits 1 with PATTERN, writes nothing
run_err() {
	local what=$1 pat=$2
	shift 2
	rm -f "$m/none.npy"
	"$QUANTC" run "$m/io2.onnx" --precision f32 "$@" 2>"$work/err.txt"
	local rc=$?
	check "io2: $what: exit 1 (got $rc), '$(head -1 "$work/err.txt")'" \
		bash -c '[ $0 -eq 1 ] && grep -q "$1" "$2" && [ ! -e "$3" ]' $rc "$pat" "$work/err.txt" "$m/none.npy"
}
run_err "one --input for two inputs" "io2.onnx: error: run: 1 --input file given; the model has 2 ('a', 'b')" \
	--input "$m/io2_x0.npy" -o "$m/none.npy" -o "$m/none1.npy"
run_err "three -o for two outputs" "io2.onnx: error: run: 3 -o files given; the model has 2 ('y0', 'y1')" \
	--input "$m/io2_x0.npy" --input "$m/io2_x1.npy" -o "$m/none.npy" -o "$m/n1.npy" -o "$m/n2.npy"
run_err "a name given twice" "error: run: --input 'a' given twice" \
	--input a="$m/io2_x0.npy" --input a="$m/io2_x1.npy" -o "$m/none.npy" -o "$m/n1.npy"
"$py" -c 'import numpy as np, sys; np.save(sys.argv[1], np.zeros((2, 4), np.float32))' "$m/two.npy"
run_err "inputs with different sample counts" "error: run: 2 samples, but .* has 3" \
	--input "$m/io2_x0.npy" --input "$m/two.npy" -o "$m/none.npy" -o "$m/n1.npy"
finish
