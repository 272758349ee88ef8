# conv_ops.sh — 1-D convolution, transposed convolution and the matmul of
# two run-time tensors, end to end (tests/e2e/conv_ops.py builds the models
# with PyTorch and onnx and computes the references).  Costs about 10 s of
# CPU (PyTorch's import and export, nine compiles).
#   1. f32: Conv1d (stride, dilation, groups, padding, no bias) and
#      ConvTranspose1d / 2d (stride, padding, output_padding, groups,
#      dilation, no bias, padding beyond the window: a cropped result) exported from PyTorch equal
#      torch.nn.functional.conv1d / conv_transpose1d / conv_transpose2d
#      (within 1e-5); batched MatMul of run-time tensors (rank 4, batch
#      broadcast, a 1-D operand) and Gemm with a run-time B (transA, transB,
#      alpha, beta) equal numpy's;
#   2. int8 and int16: each model (and tests/e2e/ops/matmul.qg, two inputs
#      with declared ranges) compiled for the host computes what
#      `quantc run` does, bit for bit, sample by sample
#      (tests/onnx_conformance/driver.c), and stays near the f32 reference;
#   3. 3-D Conv and ConvTranspose are refused by name, with no output file.
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
d=$work/conv
check "conv_ops.py builds the models (python3-onnx, python3-torch)" "$py" "$QC_SRC/tests/e2e/conv_ops.py" "$d" 2> /dev/null
"$CC" -std=c11 -O1 ${QC_CFLAGS:-} -I"$QRT_INCLUDE" -c "$QC_SRC/tests/onnx_conformance/driver.c" -o "$work/driver.o"

# close A.npy B.npy TOL: same element count, max |a - b| <= TOL * max(1, max |b|); prints it
close() {
	"$py" -c 'import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
ok = a.size == b.size
e = float(np.abs(a.reshape(-1) - b.reshape(-1)).max()) if ok else float("inf")
print("  max |quantc - reference| = %.3g (reference up to %.3g)" % (e, float(np.abs(b).max())))
sys.exit(0 if ok and e <= float(sys.argv[3]) * max(1.0, float(np.abs(b).max())) else 1)' "$@"
}

# same_as_run MODEL PREC RUN_OUT IN.npy...: MODEL compiled in PREC and linked
# with driver.c gives, for every sample of the inputs, RUN_OUT's row bit for bit
same_as_run() {
	local m=$1 p=$2 ref=$3 tag
	shift 3
	tag=$(basename "$m").$p
	"$QUANTC" compile "$m" --precision $p --name model ${calib:+--calib "$calib"} -o "$d/$tag.o" &&
		"$CC" ${QC_CFLAGS:-} "$d/$tag.o" "$work/driver.o" "$QRT_LIB" -lm -o "$d/$tag.exe" &&
		"$py" - "$d/$tag.exe" "$ref" "$@" << 'PYEOF'
import subprocess, sys, tempfile, os
import numpy as np
exe, ref, ins = sys.argv[1], np.load(sys.argv[2]), [np.load(f) for f in sys.argv[3:]]
n = ins[0].shape[0]
ref = ref.reshape(n, -1)
tmp = tempfile.mkdtemp()
for i in range(n):
    files = []
    for k, x in enumerate(ins):
        f = os.path.join(tmp, 'in%d.raw' % k)
        x[i].astype(np.float32).tofile(f)
        files.append(f)
    out = os.path.join(tmp, 'out.raw')
    subprocess.run([exe] + files + [out], check=True)
    y = np.fromfile(out, np.float32)
    if y.size != ref.shape[1] or not np.array_equal(y.view(np.uint32), ref[i].view(np.uint32)):
        print('  sample %d differs' % i)
        sys.exit(1)
print('  %d samples, %d values each, equal bit for bit' % (n, ref.shape[1]))
PYEOF
}

for n in conv1d convt2d attn gemm; do
	m=$d/$n.onnx
	"$QUANTC" run "$m" --precision f32 --input "$d/${n}_x.npy" -o "$d/${n}_f32.npy"
	check "$n: f32 equals the reference (PyTorch's functional ops, numpy)" close "$d/${n}_f32.npy" "$d/${n}_ref.npy" 1e-5
done
"$QUANTC" run "$d/mm2.onnx" --precision f32 --input "$d/mm2_a.npy" --input "$d/mm2_b.npy" \
	--input "$d/mm2_v.npy" -o "$d/mm2_f32.npy"
check "mm2: f32 batched MatMul of run-time inputs (broadcast, a vector) equals numpy" \
	close "$d/mm2_f32.npy" "$d/mm2_ref.npy" 1e-6
calib= check "mm2: the f32 object equals quantc run bit for bit" same_as_run "$d/mm2.onnx" f32 \
	"$d/mm2_f32.npy" "$d/mm2_a.npy" "$d/mm2_b.npy" "$d/mm2_v.npy"

for n in conv1d convt2d attn; do
	for p in int8 int16; do
		m=$d/$n.onnx
		"$QUANTC" run "$m" --precision $p --calib "$d/${n}_calib.npy" --input "$d/${n}_x.npy" \
			-o "$d/${n}_$p.npy"
		# a step of the output is at most about 2 * max |y| / 255 (int8)
		check "$n $p: near the f32 reference" close "$d/${n}_$p.npy" "$d/${n}_ref.npy" 0.02
		calib=$d/${n}_calib.npy
		check "$n $p: the host object equals quantc run bit for bit" \
			same_as_run "$m" $p "$d/${n}_$p.npy" "$d/${n}_x.npy"
	done
done

# matmul.qg: two inputs with declared ranges (no calibration)
"$py" -c "
import numpy as np, sys
r = np.random.default_rng(3)
np.save(sys.argv[1] + '/qa.npy', r.uniform(-1, 1, (6, 2, 3, 4)).astype(np.float32))
np.save(sys.argv[1] + '/qb.npy', r.uniform(-2, 2, (6, 4, 2)).astype(np.float32))" "$d"
for p in int8 int16; do
	"$QUANTC" run "$QC_SRC/tests/e2e/ops/matmul.qg" --precision $p --input "$d/qa.npy" \
		--input "$d/qb.npy" -o "$d/qmm_$p.npy"
	calib= check "matmul.qg $p: the host object equals quantc run bit for bit" \
		same_as_run "$QC_SRC/tests/e2e/ops/matmul.qg" $p "$d/qmm_$p.npy" "$d/qa.npy" "$d/qb.npy"
done

for n in conv3d convt3d; do
	"$QUANTC" compile "$d/$n.onnx" --precision f32 -o "$d/$n.o" 2> "$d/$n.err"
	rc=$?
	sed 's/^/  /' "$d/$n.err"
	check "$n: refused by name (exit 1, no object)" \
		eval '[ $rc -eq 1 ] && [ ! -e "$d/$n.o" ] && grep -q "3-D .*convolution (rank-5 input) is not supported" "$d/$n.err"'
done
finish
