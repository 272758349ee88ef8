# ranges.sh — quantization without calibration data, and the overflow proof:
#   1. the CNN and the MLP compile to int8 from the declared input range alone
#      (propagate-ranges), the linked demo equals `quantc run` bit for bit on
#      the first 500 test images (the equality holds per image), and its
#      accuracy on the first 2000 is printed beside the calibrated one;
#   2. on every value the proven (static) interval contains every number the
#      float model computes on those 2000 images (calibrate records them);
#   3. check-overflow does not change the graph; inspect shows both ranges
#      per value;
#   4. check-overflow: a dense layer of 70000 inputs whose int32 accumulator
#      can reach 70000 * 127 * 255 > 2^31 - 1 fails to compile at its line,
#      one of 60000 inputs (1.94e9) compiles.
. "$(dirname "$0")/lib.sh"
calib=$QC_DATA/calib.npy
images=2000
tx=$work/test_x.npy ty=$work/test_y.npy
"$NPYTOOL" head $images "$QC_DATA/test_x.npy" "$tx"
"$NPYTOOL" head $images "$QC_DATA/test_y.npy" "$ty"
ni=500
"$NPYTOOL" head $ni "$QC_DATA/test_x.npy" "$work/xi.npy"

# contained FILE: every value of a dump with both `range [a, b]` and
# `calib [c, d]` has a <= c and d <= b; prints the offenders, or the count.
contained() {
	awk '/ range \[/ && / calib \[/ {
		match($0, / range \[[^]]*\]/); split(substr($0, RSTART + 8, RLENGTH - 9), r, ", ")
		match($0, / calib \[[^]]*\]/); split(substr($0, RSTART + 8, RLENGTH - 9), c, ", ")
		n++
		if (r[1] + 0 > c[1] + 0 || c[2] + 0 > r[2] + 0) { bad++; print "not contained: " $0 }
	}
	END { print n + 0, "values checked"; exit !(n > 0 && bad == 0) }' "$1"
}

for model in cnn mlp; do
	o=$work/$model
	mkdir -p "$o"
	check "$model: int8 compile without --calib (ranges from 'range [0, 1]' on the input)" \
		"$QUANTC" compile "$ex/$model.qg" -o "$o/$model.o"
	check "$model: demo links" link_demo "$model" "$o/$model.o" "$o/demo"
	"$o/demo" "$tx" "$ty" "$o/obj.npy" | tail -1
	check "$model: interpreter ran without --calib" "$QUANTC" run "$ex/$model.qg" --input "$work/xi.npy" -o "$o/interp.npy"
	"$NPYTOOL" head $ni "$o/obj.npy" "$o/obj_i.npy"
	check "$model static: .o outputs equal the interpreter's bit for bit ($ni images)" "$NPYTOOL" exact "$o/obj_i.npy" "$o/interp.npy"
	static=$("$NPYTOOL" correct "$o/obj.npy" "$ty")
	"$QUANTC" run "$ex/$model.qg" --calib "$calib" --input "$tx" -o "$o/cal.npy"
	cal=$("$NPYTOOL" correct "$o/cal.npy" "$ty")
	echo "$model int8 accuracy on $images test images: static ranges $static, calibrated $cal"
	check "$model static: accuracy above chance ($static of $images)" test "$static" -gt $((images / 5))

	"$QUANTC" opt "$ex/$model.qg" --passes infer-shapes,fuse-activation,propagate-ranges,calibrate \
		--calib "$tx" --elide-constants > "$o/both.qg"
	contained "$o/both.qg" > "$o/contained.txt"
	rc=$?
	cat "$o/contained.txt"
	check "$model: every static interval contains what the float model computed on $images images" test $rc -eq 0

	p=infer-shapes,fuse-activation,propagate-ranges,quantize
	"$QUANTC" opt "$ex/$model.qg" --passes $p --elide-constants > "$o/before.qg"
	"$QUANTC" opt "$ex/$model.qg" --passes $p,check-overflow --elide-constants > "$o/after.qg"
	check "$model: check-overflow leaves the graph as it was" cmp -s "$o/before.qg" "$o/after.qg"

	"$QUANTC" inspect "$ex/$model.qg" --calib "$calib" > "$o/inspect.txt"
	sed -n '/^ranges/,$p' "$o/inspect.txt"
	check "$model: inspect shows calib and static ranges side by side" \
		grep -qE '^y +\[[-0-9.e+]+, [-0-9.e+]+\] +\[[-0-9.e+]+, [-0-9.e+]+\] +[0-9.e+]+$' "$o/inspect.txt"
done

# npy_ones N OUT: a float32 [1, N] array of ones, header and all, in shell
npy_ones() {
	local hdr="{'descr': '<f4', 'fortran_order': False, 'shape': (1, $1), }"
	local len=$(((10 + ${#hdr} + 1 + 63) / 64 * 64 - 10))
	{
		printf '\x93NUMPY\x01\x00'
		printf "\\x$(printf %02x $((len % 256)))\\x$(printf %02x $((len / 256)))"
		printf '%-*s\n' $((len - 1)) "$hdr"
		# shellcheck disable=SC2046
		printf '\x00\x00\x80\x3f%.0s' $(seq "$1")
	} > "$2"
}

# weights 1.0 quantize to 127; x in [0, 1] to zp -128, so |x - zp| <= 255
for k in 70000 60000; do
	d=$work/wide$k
	mkdir -p "$d"
	npy_ones $k "$d/w.npy"
	cat > "$d/wide.qg" <<EOF
model wide
input x : f32[1,$k] range [0, 1]
const w : f32[1,$k] = npy("w.npy")
y = dense(x, w)
output y
EOF
	(cd "$d" && "$QUANTC" compile wide.qg -o "$d/wide.o") > /dev/null 2> "$d/err.txt"
	rc=$?
	if [ $k = 70000 ]; then
		cat "$d/err.txt"
		check "dense of $k inputs: compile fails (exit $rc)" test $rc -eq 1
		check "dense of $k inputs: the error is at the layer's line and names it" \
			grep -qF "wide.qg:4:1: error: dense 'y': the int32 accumulator can reach 2.27e+09 (> 2^31-1) for output channel 0; it adds 70000 products (x - zp) * w with |x - zp| <= 255 and sum |w| = 8890000" "$d/err.txt"
		check "dense of $k inputs: no object written" test ! -e "$d/wide.o"
	else
		check "dense of $k inputs (bound 1.94e9): compiles (exit $rc)" test $rc -eq 0 -a -s "$d/wide.o"
	fi
done
finish
