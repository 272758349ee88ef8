# config.sh — quantc --config FILE.yaml (docs/configuration.md) on the
# Fashion-MNIST MLP: the file's settings do what the flags do, command-line
# flags win over it, per-layer methods and input ranges reach the IR, and
# every kind of mistake is an error at the file's line and column.
. "$(dirname "$0")/lib.sh"
m=$ex/mlp.qg
calib=$QC_DATA/calib.npy
cal=infer-shapes,fuse-activation,calibrate

# yaml NAME: writes standard input to $work/NAME.yaml
yaml() { cat > "$work/$1.yaml"; }

yaml pct <<'EOF'
calibration:
  method: percentile
EOF
"$QUANTC" compile "$m" --calib "$calib" --calibration percentile -o "$work/flag.o"
check "compile --config (method: percentile)" \
	"$QUANTC" compile "$m" --calib "$calib" --config "$work/pct.yaml" -o "$work/cfg.o"
check "method: percentile in the file gives the --calibration percentile object, byte for byte" \
	cmp -s "$work/flag.o" "$work/cfg.o"

yaml mse <<'EOF'
calibration: {method: mse, percentile: 50}
EOF
"$QUANTC" compile "$m" --calib "$calib" --config "$work/mse.yaml" --calibration percentile \
	--percentile 99.99 -o "$work/win.o"
check "--calibration and --percentile win over the file's method and percentile" \
	cmp -s "$work/flag.o" "$work/win.o"

# per-layer: only t3 gets mse; everything else keeps the global minmax
yaml layer <<'EOF'
layers:
  - match: t3
    calibration: {method: mse}
  - match: "t*"
    calibration: {method: percentile, percentile: 99.9}
EOF
"$QUANTC" opt "$m" --calib "$calib" --passes $cal > "$work/a.qg"
"$QUANTC" opt "$m" --calib "$calib" --config "$work/layer.yaml" --passes $cal > "$work/b.qg"
diff "$work/a.qg" "$work/b.qg" | grep '^[<>]' > "$work/changed.txt"
check "a per-layer override changes exactly that layer's line" \
	test "$(grep -c '^[<>] t3 :' "$work/changed.txt")" -eq 2 -a "$(wc -l < "$work/changed.txt")" -eq 2
check "... giving it a clip range the global minmax does not" \
	grep -q '^> t3 : .* clip \[' "$work/changed.txt"
check "... and the first matching entry wins (t1 is flatten: no clip either way)" \
	grep -q '^t1 : f32\[1,784\] calib \[0, 1\] =' "$work/b.qg"
"$QUANTC" opt "$m" --calib "$calib" --passes "infer-shapes,fuse-activation,calibrate{method=mse}" \
	> "$work/c.qg"
check "... and its clip is what method mse picks" \
	test "$(grep '^t3 :' "$work/b.qg")" = "$(grep '^t3 :' "$work/c.qg")"

yaml range <<'EOF'
inputs:
  x: {range: [-1.5, 2]}
EOF
"$QUANTC" opt "$m" --config "$work/range.yaml" --passes infer-shapes > "$work/r.qg"
check "an input range from the file replaces the model's" \
	grep -q '^input x : f32\[1,1,28,28\] range \[-1.5, 2\]$' "$work/r.qg"

yaml i16 <<'EOF'
precision: int16
EOF
q=$cal,quantize
"$QUANTC" opt "$m" --calib "$calib" --passes $q > "$work/q8.qg"
"$QUANTC" opt "$m" --calib "$calib" --passes $q --precision int16 > "$work/q16.qg"
"$QUANTC" opt "$m" --calib "$calib" --passes $q --config "$work/i16.yaml" > "$work/p.qg"
check "precision: int16 in the file is --precision int16" cmp -s "$work/q16.qg" "$work/p.qg"
"$QUANTC" opt "$m" --calib "$calib" --passes $q --config "$work/i16.yaml" --precision int8 \
	> "$work/p.qg"
check "--precision int8 wins over the file's int16" cmp -s "$work/q8.qg" "$work/p.qg"
yaml bc <<'EOF'
bias_correction: true
EOF
"$QUANTC" opt "$m" --calib "$calib" --config "$work/bc.yaml" --passes $q -v > /dev/null \
	2> "$work/p.err"
check "bias_correction: true adds bias-correct" grep -q 'passes .*bias-correct,quantize' "$work/p.err"

: > "$work/empty.yaml"
"$QUANTC" opt "$m" --calib "$calib" --config "$work/empty.yaml" --passes $cal > "$work/e.qg"
check "an empty file is an empty configuration" cmp -s "$work/a.qg" "$work/e.qg"

yaml nomatch <<'EOF'
layers:
  - match: "conv*"
    calibration: {method: mse}
EOF
"$QUANTC" opt "$m" --calib "$calib" --config "$work/nomatch.yaml" --passes $cal > /dev/null \
	2> "$work/w.err"
check "a pattern that matches nothing is a warning, not an error" \
	grep -q 'nomatch.yaml:2:12: warning: layer pattern .conv\*. matches no value' "$work/w.err"

# bad NAME 'EXPECTED' < YAML: exit 1 and the diagnostic EXPECTED
bad() {
	yaml "$1"
	"$QUANTC" opt "$m" --calib "$calib" --config "$work/$1.yaml" --passes $cal \
		> /dev/null 2> "$work/$1.err"
	rc=$?
	if [ $rc -eq 1 ] && grep -qF "$1.yaml:$2" "$work/$1.err"; then
		ok "bad config $1: $1.yaml:$2"
	else
		fail "bad config $1: exit $rc, wanted $1.yaml:$2, got: $(cat "$work/$1.err")"
	fi
}
bad unknown_key '2:1: error: unknown key '\''calib'\'' in the configuration' <<'EOF'
precision: int8
calib: {method: mse}
EOF
bad bad_method '2:11: error: unknown calibration method '\''kl'\''' <<'EOF'
calibration:
  method: kl
EOF
bad wrong_type '1:14: error: calibration must be a mapping, not a scalar' <<'EOF'
calibration: mse
EOF
bad percentile_0 '1:27: error: percentile 0 is not in (0, 100]' <<'EOF'
calibration: {percentile: 0}
EOF
bad percentile_text '1:27: error: percentile must be a number, not '\''high'\''' <<'EOF'
calibration: {percentile: high}
EOF
bad lo_gt_hi '2:14: error: range [1, 0] is empty (lo > hi)' <<'EOF'
inputs:
  x: {range: [1, 0]}
EOF
bad unknown_input '3:3: error: model '\''mlp'\'' has no input '\''image'\''' <<'EOF'
inputs:
  x: {range: [0, 1]}
  image: {range: [0, 1]}
EOF
bad malformed '3:10: error: malformed YAML: did not find expected' <<'EOF'
calibration:
  method: [mse
precision: int8
EOF
bad bins '1:21: error: bins must be a whole number in [256, 65536]' <<'EOF'
calibration: {bins: 100}
EOF
bad precision '1:12: error: unknown precision '\''int4'\''' <<'EOF'
precision: int4
EOF
bad bias '1:18: error: bias_correction must be true or false' <<'EOF'
bias_correction: 1
EOF
bad layer_key '2:5: error: unknown key '\''name'\'' in a layer (match, calibration, precision)' <<'EOF'
layers:
  - name: t3
    calibration: {method: mse}
EOF
bad layer_nomatch '2:5: error: a layer needs '\''match'\''' <<'EOF'
layers:
  - calibration: {method: mse}
EOF
bad twice '3:1: error: '\''precision'\'' is given twice' <<'EOF'
precision: int8
bias_correction: false
precision: int16
EOF
bad not_mapping '1:1: error: the configuration must be a mapping, not a list' <<'EOF'
- precision
EOF
"$QUANTC" opt "$m" --config "$work/missing.yaml" 2> "$work/missing.err" > /dev/null
rc=$?
check "a missing file is an error (exit 1)" \
	test $rc -eq 1 -a -n "$(grep 'missing.yaml: error: cannot open' "$work/missing.err")"
finish
