# fmnist.sh MODEL PRECISION [COMPILE OPTIONS...] — end to end on Fashion-MNIST: compile the example
# model, link it with the demo program, classify the test set, and compare
# with the reference interpreter (bit for bit in int8, 1e-5 relative in f32)
# on the first QC_INTERP_IMAGES (1000) of them, and the object's accuracy on
# the whole test set with the float accuracy PyTorch recorded when it trained
# the model.  The comparison holds per image; the interpreter over all 10000
# images cost 16 to 21 s of CPU per CNN test, the object under a second.
# Extra options go to quantc compile (e.g. --mcpu haswell: the AVX2 kernels).
# QC_MAX_IMAGES caps QC_TEST_IMAGES (a variant that checks a kernel, not the
# accuracy).
. "$(dirname "$0")/lib.sh"
model=$1 prec=$2
shift 2
if [ -n "${QC_MAX_IMAGES:-}" ] && [ "$QC_TEST_IMAGES" -gt "$QC_MAX_IMAGES" ]; then
	QC_TEST_IMAGES=$QC_MAX_IMAGES
fi
test_data
calib=$QC_DATA/calib.npy

check "$model $prec: compile" "$QUANTC" compile "$ex/$model.qg" --precision "$prec" --calib "$calib" "$@" -o "$work/$model.o"
if [ "$model $prec $*" = "cnn int8 --mcpu haswell" ]; then
	# both convs carry a fused max-pool: the AVX2 kernel takes them (its
	# weight tables, .wavx2N) and pools with vpmaxsd (the max of the accumulators)
	"$QUANTC" compile "$ex/$model.qg" --precision "$prec" --calib "$calib" "$@" --emit llvm -o "$work/k.o"
	check "cnn int8 haswell: the AVX2 kernel takes both fused conv+pool layers" \
		test "$(grep -c '^@.*\.wavx2' "$work/k.ll")" = 2
	check "cnn int8 haswell: the object has vpmaxsd" \
		sh -c "llvm-objdump-19 -d '$work/$model.o' | grep -q vpmaxsd"
fi
check "$model $prec: demo links against $model.o and the runtime" link_demo "$model" "$work/$model.o" "$work/demo"
"$work/demo" "$tx" "$ty" "$work/obj.npy" | tee "$work/demo.txt"
check "$model $prec: demo ran on $QC_TEST_IMAGES images" test -s "$work/obj.npy"
ni=${QC_INTERP_IMAGES:-1000}
[ "$ni" -gt "$QC_TEST_IMAGES" ] && ni=$QC_TEST_IMAGES
"$NPYTOOL" head "$ni" "$tx" "$work/xi.npy"
"$NPYTOOL" head "$ni" "$work/obj.npy" "$work/obj_i.npy"
check "$model $prec: interpreter ran on the first $ni images" "$QUANTC" run "$ex/$model.qg" --precision "$prec" --calib "$calib" --input "$work/xi.npy" -o "$work/interp.npy"
if [ "$prec" = f32 ]; then
	check "$model f32: .o outputs equal the interpreter's within 1e-5 relative ($ni images)" "$NPYTOOL" rtol 1e-5 "$work/obj_i.npy" "$work/interp.npy"
else
	check "$model $prec: .o outputs equal the interpreter's bit for bit ($ni images)" "$NPYTOOL" exact "$work/obj_i.npy" "$work/interp.npy"
fi
correct=$("$NPYTOOL" correct "$work/obj.npy" "$ty")
ref=$(awk -v k="${model}_f32_correct" '$1 == k { print $2 }' "$ex/accuracy.txt")
echo "$model $prec: $correct of $QC_TEST_IMAGES correct; PyTorch f32: $ref of 10000"
if [ "$QC_TEST_IMAGES" -ge 10000 ]; then
	if [ "$prec" = f32 ]; then
		d=$((correct - ref)); d=${d#-}
		check "$model f32: accuracy equals PyTorch's within 2 images (differs by $d)" test "$d" -le 2
	else
		# 0.5 percentage points of 10000 images = 50 images
		d=$((ref - correct)); d=${d#-}
		check "$model $prec: accuracy within 0.5 points of float (differs by $d images)" test "$d" -le 50
	fi
fi
finish
