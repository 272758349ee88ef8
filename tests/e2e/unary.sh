# unary.sh — the unary math ops (neg, sqrt, exp, log, reciprocal, sign, elu,
# selu, softplus, softsign, mish, gelu, erf, pow, shrink, celu,
# thresholded_relu, floor, ceil, round, sin, cos, tan, asin, acos, atan,
# sinh, cosh, asinh, acosh, atanh), the table activations
# (leaky_relu, sigmoid, tanh, hard_sigmoid, hard_swish), softmax and
# log_softmax, end to end
# (tests/e2e/unary.py holds the models and the references):
#   1. f32: each op's interpreter result within 2^-20 relative of the
#      function in double (Python's math) on 64 x 16 random inputs;
#   2. int8: within half an output step of f(x_q) (the 256-entry table);
#      int16: within 1.5 steps plus the interpolation bound h^2/8 max|f''|
#      (h = 128 input steps; h/4 times the jump of f' at a kink; away from
#      the jumps of sign, floor, ceil, round, shrink, thresholded_relu, which
#      the table interpolates across); and against f32 on the raw input,
#      that bound plus half an input step times max|f'|;
#      softmax and log_softmax within one output step of f(x_q) (int16
#      softmax, TFLite's algorithm, 1 + 2 W steps over a row of W: it rounds
#      each exp to Q15 before the sum; f32 within 2e-6);
#   3. one model holding every op compiles in f32, int8 and int16, and the
#      host object computes what the interpreter does, bit for bit (every
#      op compiles for four targets in each precision in op_stages.sh);
#      sin, cos and tan of floats up to 2^127 (and -0, +-inf, NaN) within half
#      an ulp of the double result (exact reduction modulo pi/2);
#   4. ONNX: each operator imports and computes the reference;
#      ReduceLogSumExp (with inputs up to 80: exp overflows f32) and
#      ReduceLogSum against numpy, each precision's object bit for bit; Pow with a
#      run-time exponent imports as powv; x * relu6(x + 3) / 6 (both
#      operand orders) and PyTorch's nn.Hardswish at opsets 11, 13 and 14
#      import as one hard_swish node; Div by 4 is a mul by 0.25, Div by 3
#      stays a div.
# Cost: about 15 s of CPU on this machine (123 interpreter runs, 12 compiles
# and links, the ONNX models and a PyTorch export).
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
u="$py $QC_SRC/tests/e2e/unary.py"

check "the models and inputs" $u models "$work"
ops=$(cd "$work" && ls ./*.x.npy | sed 's|^\./||; s|\.x\.npy$||' | grep -v '^all$')
for op in $ops; do
	for p in f32 int8 int16; do
		"$QUANTC" run "$work/$op.qg" --precision $p --input "$work/$op.x.npy" \
			-o "$work/$op.y.$p.npy" --print-after quantize 2> "$work/$op.$p.ir" ||
			fail "$op: quantc run --precision $p"
	done
done
check "f32: every op within 2^-20 of the function in double" $u f32 "$work"
check "int8: every op within half an output step of f(x_q)" $u int "$work" int8
check "int16: every op within its interpolation bound" $u int "$work" int16

for p in f32 int8 int16; do
	mkdir -p "$work/$p"
	"$QUANTC" run "$work/all.qg" --precision $p --input "$work/all.x.npy" -o "$work/all.$p.npy"
	check "$p: the all-ops model compiles" "$QUANTC" compile "$work/all.qg" --precision $p \
		-o "$work/$p/all.o"
	link_demo all "$work/$p/all.o" "$work/$p/demo" &&
		"$work/$p/demo" "$work/all.x.npy" "$work/lab.npy" "$work/obj.$p.npy" > /dev/null
	check "$p: the host object equals the interpreter bit for bit (every op)" "$py" -c "
import numpy as np, sys
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
print(f'{b.size} values compared')
sys.exit(0 if a.size == b.size and np.array_equal(a.reshape(b.shape).view(np.uint32), b.view(np.uint32)) else 1)" \
		"$work/obj.$p.npy" "$work/all.$p.npy"
done

check "the whole-range trig model" $u wide "$work"
"$QUANTC" run "$work/wide.qg" --precision f32 --input "$work/wide.x.npy" -o "$work/wide.y.npy" ||
	fail "wide: quantc run"
check "f32: sin, cos, tan correctly rounded over the whole float range" $u wide-check "$work"

check "the ONNX models" $u onnx "$work"
for f in "$work"/o_*.onnx; do
	op=$(basename "$f" .onnx)
	"$QUANTC" run "$f" --precision f32 --input "$work/${op#o_}.x.npy" -o "$work/$op.y.npy" ||
		fail "$op: quantc run"
done
check "ONNX: every operator computes the reference" $u onnx-check "$work"
# ReduceLogSumExp, ReduceLogSum: imported as reduce_max, sub, exp,
# reduce_sum, log, add; each precision's host object (the ONNX conformance
# driver) computes what quantc run does, bit for bit, on 3 samples
check "the log-sum reductions" $u lse "$work"
# shellcheck disable=SC2086
"$CC" -std=c11 -O1 ${QC_CFLAGS:-} -I"$QRT_INCLUDE" -c "$QC_SRC/tests/onnx_conformance/driver.c" -o "$work/driver.o"
for m in rlse1 rlse0 rls; do
	for p in f32 int8 int16; do
		calib="--calib $work/$m.x.npy"
		[ $p = f32 ] && calib=
		# shellcheck disable=SC2086
		"$QUANTC" run "$work/$m.onnx" --precision $p $calib --input "$work/$m.x.npy" -o "$work/$m.$p.npy" ||
			fail "$m $p: quantc run"
		# shellcheck disable=SC2086
		"$QUANTC" compile "$work/$m.onnx" --precision $p $calib --name model -o "$work/$m.$p.o" &&
			# shellcheck disable=SC2086
			"$CC" ${QC_CFLAGS:-} "$work/$m.$p.o" "$work/driver.o" "$QRT_LIB" -lm -o "$work/$m.$p.exe"
		same=yes
		for i in 0 1 2; do
			"$work/$m.$p.exe" "$work/$m.x$i.raw" "$work/o" || same=no
			"$py" -c "
import numpy as np, sys
a = np.fromfile(sys.argv[1], np.float32)
b = np.load(sys.argv[2])[int(sys.argv[3])].reshape(-1)
sys.exit(0 if a.size == b.size and np.array_equal(a.view(np.uint32), b.view(np.uint32)) else 1)" \
				"$work/o" "$work/$m.$p.npy" $i || same=no
		done
		check "$m $p: the host object equals quantc run bit for bit (3 samples)" test $same = yes
	done
done
check "the log-sum reductions in f32 equal numpy's (finite where exp overflows)" $u lse-check "$work"
"$QUANTC" opt "$work/pow_rt.onnx" > "$work/pow_rt.qg" 2>&1
check "ONNX Pow with a run-time exponent imports as powv (tests/e2e/pow.sh tests it)" \
	grep -q "= powv(x, x)" "$work/pow_rt.qg"
for m in hs1 hs2 torch_hs11 torch_hs13 torch_hs14; do
	"$QUANTC" opt "$work/$m.onnx" > "$work/$m.qg" 2>&1
	check "$m: imports as conv2d then one hard_swish and nothing else" \
		test "$(grep -oE '= [a-z_0-9]+\(' "$work/$m.qg" | tr '\n' ' ')" = "= conv2d( = hard_swish( "
done
"$QUANTC" opt "$work/div4.onnx" > "$work/div4.qg" 2>&1
check "Div by 4 imports as a mul by 0.25" grep -q "= mul(x, " "$work/div4.qg"
"$QUANTC" opt "$work/div3.onnx" > "$work/div3.qg" 2>&1
check "Div by 3 stays a div" grep -q "= div(x, " "$work/div3.qg"
finish
