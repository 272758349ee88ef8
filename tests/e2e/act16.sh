# act16.sh — TFLite's int16 LOGISTIC, TANH and SOFTMAX (sigmoid, tanh and
# softmax at int16): for each op, on 2048 (softmax 640) random inputs and
# the ends of its range (sigmoid twice: TFLite's power-of-two input scale
# and its general one),
#   1. `quantc run`'s integers equal those of a second implementation of
#      TFLite's reference kernels in Python (tests/e2e/act16.py), bit for bit;
#   2. the SQNR against f32 is printed and above a floor (with
#      QC_BASE_QUANTC set to an earlier quantc, its int16 SQNR is printed
#      beside it: the figure before TFLite's algorithms).
# The compiled objects equal `quantc run` bit for bit in op_exact.sh (x86-64
# and AArch64) and test_backend_act.  Cost: about 1.5 s of CPU (8 runs, 4 more with QC_BASE_QUANTC).
# shellcheck shell=bash source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
a=$QC_SRC/tests/e2e/act16.py

check "the models and inputs" "$py" "$a" models "$work"
old=
for op in sigmoid sigmoid6 tanh softmax; do
	"$QUANTC" run "$work/$op.qg" --precision int16 --input "$work/$op.x.npy" \
		-o "$work/$op.int16.npy" --print-after quantize 2> "$work/$op.ir" ||
		fail "$op: quantc run --precision int16"
	"$QUANTC" run "$work/$op.qg" --precision f32 --input "$work/$op.x.npy" \
		-o "$work/$op.f32.npy" || fail "$op: quantc run --precision f32"
	if [ -n "${QC_BASE_QUANTC:-}" ]; then
		"$QC_BASE_QUANTC" run "$work/$op.qg" --precision int16 --input "$work/$op.x.npy" \
			-o "$work/$op.old.npy" && old=old
	fi
done
"$py" "$a" check "$work" $old > "$work/out" 2>&1
st=$?
cat "$work/out"
checks=$((checks + $(grep -c '^ok: \|^FAIL: ' "$work/out")))
fails=$((fails + $(grep -c '^FAIL: ' "$work/out")))
[ $st -eq 0 ] || [ "$(grep -c '^FAIL: ' "$work/out")" -gt 0 ] || fail "act16.py check ran"
finish
