# bias_fit.sh — a float bias too large for int32 at input scale x weight
# scale (bias_fit.qg: channel 0's weights are 1e-40, its bias 0.1) is
# quantized anyway: quantize raises that channel's weight scale until the
# bias fits (|q| <= 2^30), and the int8 layer still computes the bias.
. "$(dirname "$0")/lib.sh"
m=$QC_SRC/tests/e2e/bias_fit.qg
"$QUANTC" opt "$m" --passes infer-shapes,propagate-ranges,quantize > "$work/q.qg" 2> "$work/err"
check "quantize accepts the dead channel's bias (exit 0)" [ $? -eq 0 ]
bias=$(sed -n 's/^const b : i32\[2\].* = \[\([-0-9]*\), .*/\1/p' "$work/q.qg")
check "bias[0] as int32 is about 2^30 (got '$bias')" \
	/usr/bin/python3 -c "import sys; b=int('$bias' or 0); sys.exit(not (2**29 < b <= 2**30 + 64))"
/usr/bin/python3 -c "import numpy as np; np.save('$work/x.npy', np.full((1, 4), 0.5, np.float32))"
"$QUANTC" run "$m" --input "$work/x.npy" -o "$work/y.npy" 2>> "$work/err"
check "quantc run: y[0] is the bias 0.1 within one output step, y[1] 0.1875 - 0.1 within one" \
	/usr/bin/python3 -c "
import numpy as np, sys
y = np.load('$work/y.npy').ravel(); print('y =', y)
sys.exit(not (abs(y[0] - 0.1) < 0.0035 and abs(y[1] - 0.0875) < 0.0035))"
finish
