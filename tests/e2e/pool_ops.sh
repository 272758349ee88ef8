# pool_ops.sh — avgpool2d, global_avgpool, pad, transpose and dilated
# maxpool2d from ONNX (AveragePool with count_include_pad and ceil_mode,
# GlobalAveragePool, Pad, Transpose with and without perm, MaxPool with
# dilations and ceil_mode; tests/e2e/pool_ops.py builds the models and
# PyTorch's outputs): the f32 interpreter gives PyTorch's results, the int8
# one lies within one quantization step of them, and every model compiles,
# int8 and f32, and round-trips through its dump.
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
d=$work/pool
check "pool_ops.py builds the models (python3-onnx, python3-torch)" "$py" "$QC_SRC/tests/e2e/pool_ops.py" "$d"
# within: A.npy B.npy TOL — max |a - b| <= TOL
within() {
	"$py" -c 'import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
sys.exit(0 if a.shape == b.shape and np.abs(a - b).max() <= float(sys.argv[3]) else 1)' "$@"
}
for o in y t r m; do
	m=$d/pool_$o.onnx
	"$QUANTC" run "$m" --precision f32 --input "$d/x.npy" -o "$d/f_$o.npy"
	check "pool_$o: f32 equals PyTorch (1e-6)" within "$d/f_$o.npy" "$d/ref_$o.npy" 1e-6
	"$QUANTC" run "$m" --calib "$d/calib.npy" --input "$d/x.npy" -o "$d/q_$o.npy"
	# the input's step is about 2/255; one step of slack
	check "pool_$o: int8 within one step of PyTorch" within "$d/q_$o.npy" "$d/ref_$o.npy" 0.008
	for prec in int8 f32; do
		check "pool_$o: compiles ($prec)" \
			"$QUANTC" compile "$m" --precision $prec --calib "$d/calib.npy" -o "$d/$o-$prec.o"
	done
	"$QUANTC" opt "$m" --passes infer-shapes > "$d/$o.qg" && "$QUANTC" opt "$d/$o.qg" > "$d/$o.re.qg"
	check "pool_$o: the dump parses back to itself" cmp -s "$d/$o.qg" "$d/$o.re.qg"
done
finish
