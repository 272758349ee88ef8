# calib_methods.sh MODEL — every calibration method end to end on
# Fashion-MNIST: compile the example model with it, link the demo program,
# classify the first 2000 test images, and check the object equals the
# reference interpreter run with the same options, bit for bit, on the first
# 500 of them (the equality holds per image; the interpreter on all 2000 cost
# 3 s of CPU more per method for the CNN); also with --bias-correction.
# Prints the accuracy of each on the 2000 (bench/accuracy.sh measures the
# whole test set).
. "$(dirname "$0")/lib.sh"
model=$1
# half the calibration set: the methods' statistics are stable on 500
# images, and every compile and run calibrates again
calib=$work/calib500.npy
"$NPYTOOL" head 500 "$QC_DATA/calib.npy" "$calib"
n=2000
tx=$work/test_x.npy ty=$work/test_y.npy
"$NPYTOOL" head $n "$QC_DATA/test_x.npy" "$tx"
"$NPYTOOL" head $n "$QC_DATA/test_y.npy" "$ty"
ni=500
"$NPYTOOL" head $ni "$QC_DATA/test_x.npy" "$work/xi.npy"
ref=$(awk -v k="${model}_f32_correct" '$1 == k { print $2 }' "$ex/accuracy.txt")

check "$model: compile with the default calibration" \
	"$QUANTC" compile "$ex/$model.qg" --calib "$calib" -o "$work/default.o"
check "$model: compile with --calibration minmax" \
	"$QUANTC" compile "$ex/$model.qg" --calib "$calib" --calibration minmax -o "$work/minmax.o"
check "$model: --calibration minmax gives the default object, byte for byte" \
	cmp -s "$work/default.o" "$work/minmax.o"

for config in "percentile --percentile 99.9" "entropy" "mse" "minmax --bias-correction"; do
	# shellcheck disable=SC2086
	set -- --calibration $config
	what="$model --calibration $config"
	o=$work/$model.o
	rm -f "$o" "$work/obj.npy" "$work/obj_i.npy" "$work/interp.npy"
	check "$what: compile" "$QUANTC" compile "$ex/$model.qg" --calib "$calib" "$@" -o "$o"
	check "$what: demo links" link_demo "$model" "$o" "$work/demo"
	"$work/demo" "$tx" "$ty" "$work/obj.npy" > "$work/demo.txt"
	check "$what: demo ran on $n images" test -s "$work/obj.npy"
	check "$what: interpreter ran on the first $ni images" "$QUANTC" run "$ex/$model.qg" --calib "$calib" "$@" \
		--input "$work/xi.npy" -o "$work/interp.npy"
	"$NPYTOOL" head $ni "$work/obj.npy" "$work/obj_i.npy"
	check "$what: .o outputs equal the interpreter's bit for bit ($ni images)" \
		"$NPYTOOL" exact "$work/obj_i.npy" "$work/interp.npy"
	correct=$("$NPYTOOL" correct "$work/obj.npy" "$ty")
	echo "$what: $correct of $n correct ($(awk -v c="$correct" -v n=$n 'BEGIN { printf "%.2f", 100 * c / n }') %)"
	# far from float means the method broke, not that it is a poor method:
	# every one is within a point of float on the whole set (docs/quantization.md)
	check "$what: accuracy within 3 points of PyTorch's float ($ref of 10000)" \
		awk -v c="$correct" -v n=$n -v r="$ref" 'BEGIN { exit !(100 * c / n > r / 100 - 3) }'
done

"$QUANTC" opt "$ex/$model.qg" --calib "$calib" --bias-correction --print-after bias-correct \
	--passes infer-shapes,calibrate,quantize 2> "$work/bc.err" > /dev/null
check "$model: --bias-correction puts bias-correct before quantize" \
	grep -q "^# quantc IR after pass 3 bias-correct" "$work/bc.err"
"$QUANTC" opt "$ex/$model.qg" --calib "$calib" --bias-correction --passes infer-shapes 2> "$work/bc.err"
check "$model: --bias-correction without a quantize step is an error" grep -q "no quantize step" "$work/bc.err"
p=infer-shapes,fuse-activation,calibrate
"$QUANTC" opt "$ex/$model.qg" --calib "$calib" --passes $p > "$work/a.qg"
"$QUANTC" opt "$ex/$model.qg" --calib "$calib" --passes $p,bias-correct > "$work/b.qg"
diff "$work/a.qg" "$work/b.qg" | sed -n 's/^[<>] //p' > "$work/changed.txt"
nb=$(grep -c '^const b' "$work/a.qg")
changed=$(grep -c '^const b' "$work/changed.txt")
other=$(grep -vc '^const b' "$work/changed.txt")
check "$model: bias-correct changes all $nb biases and nothing else" \
	test "$nb" -gt 0 -a "$changed" -eq $((2 * nb)) -a "$other" -eq 0
finish
