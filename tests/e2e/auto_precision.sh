#!/bin/bash
# auto_precision.sh MODEL — --precision auto --min-sqnr DB on a Fashion-MNIST
# example: (a) a low target keeps every layer int8 and gives plain int8's
# object byte for byte; (b) a target between all-int8's and all-int16's SQNR
# makes some layers int16 but not all, the SQNR recomputed here with numpy
# from `quantc run` outputs meets it and matches the reported one, and the
# object equals the interpreter bit for bit; (c) an unreachable target is an
# error (exit 1) naming the best SQNR; (d) the per-layer table is printed
# (and -q hides it).  Also the option errors and the YAML form.
. "$(dirname "$0")/lib.sh"
model=$1
qg=$ex/$model.qg
n=500
q=$QUANTC
# the first 200 calibration samples calibrate: the search measures SQNR on
# those 200 anyway, and every compile and run calibrates again (1000 cost 5
# times as much)
"$NPYTOOL" head 200 "$QC_DATA/calib.npy" "$work/c200.npy"
calib=$work/c200.npy
"$NPYTOOL" head $n "$QC_DATA/test_x.npy" "$work/tx.npy"
"$NPYTOOL" head $n "$QC_DATA/test_y.npy" "$work/ty.npy"

# sqnr REF.npy Y.npy: 10 log10(sum ref^2 / sum (ref - y)^2), in dB
sqnr() {
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import sys
import numpy as np
r = np.load(sys.argv[1]).astype(np.float64)
y = np.load(sys.argv[2]).astype(np.float64)
print("%.4f" % (10 * np.log10((r * r).sum() / ((r - y) ** 2).sum())))
EOF
}
# near A B: |A - B| <= 0.006 (the report prints two decimals)
near() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; exit !(d <= 0.006 && d >= -0.006) }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
# rows ERR: the table's layer rows, "NAME OP PRECISION"
rows() { sed -nE 's/^  ([^ ]+) +(conv2d|dense) +(int8|int16|f32) .*/\1 \2 \3/p' "$1"; }
nlayers=$(grep -cE '= (conv2d|dense)\(' "$qg")

# the SQNR of the two uniform precisions, as the search measures them: the
# output against f32 on the first 200 calibration samples
"$q" run "$qg" --precision f32 --input "$work/c200.npy" -o "$work/f32.npy"
"$q" run "$qg" --calib "$calib" --input "$work/c200.npy" -o "$work/int8.npy"
"$q" run "$qg" --calib "$calib" --precision int16 --input "$work/c200.npy" -o "$work/int16.npy"
s8=$(sqnr "$work/f32.npy" "$work/int8.npy")
s16=$(sqnr "$work/f32.npy" "$work/int16.npy")
echo "$model: all int8 $s8 dB, all int16 $s16 dB (first 200 calibration samples)"
check "$model: int16 is more accurate than int8 ($s16 > $s8 dB)" ge "$s16" "$s8"

# --- (a) a low target: everything int8 -------------------------------------
"$q" compile "$qg" --calib "$calib" -o "$work/int8.o"
check "$model: target 10 dB compiles" \
	"$q" compile "$qg" --calib "$calib" --precision auto --min-sqnr 10 -o "$work/low.o" 2> "$work/low.err"
check "$model: target 10 dB: the table lists the $nlayers layers, all int8" \
	test "$(rows "$work/low.err" | grep -c ' int8$')" -eq "$nlayers"
check "$model: target 10 dB: the object is plain int8's, byte for byte" cmp -s "$work/low.o" "$work/int8.o"
check "$model: target 10 dB: the header is plain int8's" cmp -s "$work/low.h" "$work/int8.h"

# --- (b) a target between the two: some layers int16 ------------------------
mid=$(awk -v a="$s8" -v b="$s16" 'BEGIN { printf "%.2f", (a + b) / 2 }')
mkdir "$work/mid" # the demo includes MODEL.h from the object's folder
check "$model: target $mid dB compiles" \
	"$q" compile "$qg" --calib "$calib" --precision auto --min-sqnr "$mid" -o "$work/mid/$model.o" 2> "$work/mid.err"
cat "$work/mid.err"
n16=$(rows "$work/mid.err" | grep -c ' int16$')
check "$model: target $mid dB: some but not all layers int16 ($n16 of $nlayers)" \
	test "$n16" -gt 0 -a "$n16" -lt "$nlayers"
check "$model: the table has a row per layer with sensitivity, gain and bytes" \
	test "$(grep -cE '^  [^ ]+ +(conv2d|dense) +int(8|16) +[0-9.-]+ dB +[+-][0-9.]+ dB +[+-][0-9]+  ' "$work/mid.err")" -eq "$nlayers"
reported=$(sed -nE 's/.*chosen: .*, ([0-9.]+) dB >= .*/\1/p' "$work/mid.err")
r8=$(sed -nE 's/^  all int8 +([0-9.]+) dB .*/\1/p' "$work/mid.err")
r16=$(sed -nE 's/^  all int16 +([0-9.]+) dB .*/\1/p' "$work/mid.err")
check "$model: the reported all-int8 ($r8) and all-int16 ($r16) SQNR are numpy's ($s8, $s16)" \
	eval 'near "$r8" "$s8" && near "$r16" "$s16"'
"$q" run "$qg" --calib "$calib" --precision auto --min-sqnr "$mid" -q \
	--input "$work/c200.npy" -o "$work/mid200.npy"
smid=$(sqnr "$work/f32.npy" "$work/mid200.npy")
echo "$model: target $mid dB: reported $reported dB, recomputed $smid dB"
check "$model: the chosen model's SQNR meets the target ($smid >= $mid dB)" ge "$smid" "$mid"
check "$model: ... and is the reported one ($reported dB)" near "$reported" "$smid"
check "$model: target $mid dB: demo links" link_demo "$model" "$work/mid/$model.o" "$work/demo"
"$work/demo" "$work/tx.npy" "$work/ty.npy" "$work/obj.npy" > "$work/demo.txt"
"$q" run "$qg" --calib "$calib" --precision auto --min-sqnr "$mid" -q \
	--input "$work/tx.npy" -o "$work/interp.npy"
check "$model: target $mid dB: the object equals the interpreter bit for bit on $n test images" \
	"$NPYTOOL" exact "$work/obj.npy" "$work/interp.npy"
echo "$model: target $mid dB: $("$NPYTOOL" correct "$work/obj.npy" "$work/ty.npy") of $n correct"

# --- (c) an unreachable target -----------------------------------------------
"$q" inspect "$qg" --calib "$calib" --precision auto --min-sqnr 90 > /dev/null 2> "$work/high.err"
rc=$?
check "$model: target 90 dB: exit status 1 (got $rc)" test "$rc" -eq 1
check "$model: target 90 dB: the error names the best SQNR reachable" \
	grep -qE "error: --precision auto: no choice of precisions reaches 90.00 dB SQNR; the best is [0-9.]+ dB" "$work/high.err"
head -c 600 "$work/high.err"

# --- (d) quiet; the YAML form --------------------------------------------------
"$q" compile "$qg" --calib "$calib" --precision auto --min-sqnr "$mid" -q -o "$work/quiet.o" 2> "$work/quiet.err"
check "$model: -q prints no table" test ! -s "$work/quiet.err"
check "$model: the same choice twice gives the same object (deterministic)" cmp -s "$work/quiet.o" "$work/mid/$model.o"
printf 'precision: auto\nmin_sqnr: %s\n' "$mid" > "$work/auto.yaml"
check "$model: --config with precision: auto and min_sqnr: gives the command line's object" \
	eval '"$q" compile "$qg" --calib "$calib" --config "$work/auto.yaml" -q -o "$work/yaml.o" && cmp -s "$work/yaml.o" "$work/mid/$model.o"'

# --- option errors (they stop before any work) -----------------------------------
# fails_with WHAT MESSAGE ARGS...: exit status 1 and MESSAGE on stderr
fails_with() {
	local what=$1 msg=$2 rc
	shift 2
	"$q" inspect "$qg" "$@" > /dev/null 2> "$work/opt.err"
	rc=$?
	check "$what: exit 1 (got $rc) with '$msg'" eval 'test "$rc" -eq 1 && grep -qF -- "$msg" "$work/opt.err"'
}
fails_with "--precision auto without --calib" "needs calibration data" --precision auto --min-sqnr 40
fails_with "--precision auto without --min-sqnr" "needs a target: --min-sqnr" --precision auto --calib "$calib"
fails_with "--min-sqnr without auto" "is the target of --precision auto" --min-sqnr 40 --calib "$calib"
fails_with "--min-sqnr not a number" "--min-sqnr: 'lots' is not a number" --precision auto --min-sqnr lots --calib "$calib"
finish
