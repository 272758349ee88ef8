# requant_float.sh — pre-quantized (QDQ) ONNX models and --requant float
# (docs/requant.md), on the small models of tests/e2e/qdq_models.py:
#   the pins (the models' scales and zero points) show in `quantc opt`, the
#   dump parses back and compiles to the same object; quantize keeps the
#   models' int8 weights and int32 biases exactly; --requant float objects
#   equal the interpreter bit for bit (power-of-two scales put many values
#   on ties); the mode shows in the IR, inspect and the header; and what is
#   not supported is an error.  The comparison with onnxruntime itself is
#   tests/e2e/onnx_qdq.sh.
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
m=$work/m

check "qdq_models.py builds the small QDQ models" "$py" "$QC_SRC/tests/e2e/qdq_models.py" "$m"

# --- import: pins ---------------------------------------------------------------
"$QUANTC" opt "$m/small_0.onnx" --passes infer-shapes --elide-constants > "$work/pins.txt" 2>&1
check "opt: the input carries its QuantizeLinear's parameters" \
	grep -q '^input x : f32\[1,1,28,28\] q(scale=0.00392156886, zp=-128)$' "$work/pins.txt"
check "opt: the conv weight carries its per-channel scales" \
	grep -q '^const c1\.w : f32\[18,1,3,3\] q(axis=0, scale=\[' "$work/pins.txt"
check "opt: the relu's result, renamed after its DequantizeLinear, carries the pair's parameters" \
	grep -q '^r1_dq : f32\[1,18,14,14\] q(scale=.*, zp=-128) = relu(c1)$' "$work/pins.txt"
check "opt: the output y is the Gemm's result with the last pair's parameters" \
	grep -q '^y : f32\[1,20\] q(scale=.*) = dense(f1_dq, fc.w, fc.b)' "$work/pins.txt"

mkdir -p "$work/rt" "$work/a" "$work/b"
check "opt -o: the imported graph with its pins dumped" \
	"$QUANTC" opt "$m/small_0.onnx" --passes infer-shapes -o "$work/rt/s.qg"
check "compile the QDQ model with --requant float" \
	"$QUANTC" compile "$m/small_0.onnx" --requant float --name m -o "$work/a/m.o"
check "compile its dump with --requant float" \
	"$QUANTC" compile "$work/rt/s.qg" --requant float --name m -o "$work/b/m.o"
check "the dump compiles to the same object" cmp "$work/a/m.o" "$work/b/m.o"

# --- quantize: the model's integers ------------------------------------------------
mkdir -p "$work/q"
check "opt: quantize without --calib (every value pinned)" \
	"$QUANTC" opt "$m/small_0.onnx" --passes infer-shapes,fuse-activation,quantize -o "$work/q/q.qg"
same_ints() {
	"$py" -c 'import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
sys.exit(0 if a.dtype == b.dtype and a.shape == b.shape and (a == b).all() else 1)' "$1" "$2"
}
check "the conv's int8 weights are the model's" same_ints "$work/q/q.c1.w.npy" "$m/small_0.w1.npy"
check "the conv's int32 bias is the model's" same_ints "$work/q/q.c1.b.npy" "$m/small_0.b1.npy"
check "the Gemm's int8 weights are the model's" same_ints "$work/q/q.fc.w.npy" "$m/small_0.w2.npy"
check "the Gemm's int32 bias is the model's" same_ints "$work/q/q.fc.b.npy" "$m/small_0.b2.npy"
check "the quantized dump says requant fixed by default (no setting printed)" \
	grep -q '^model small_0$' "$work/q/q.qg"

# --- the mode: IR, inspect, header -------------------------------------------------
check "opt --requant float: the quantized dump says so" \
	"$QUANTC" opt "$m/small_0.onnx" --requant float --passes infer-shapes,fuse-activation,quantize \
	-o "$work/q/f.qg"
check "the dump's first line is 'model small_0 { requant = float }'" \
	grep -q '^model small_0 { requant = float }$' "$work/q/f.qg"
mkdir -p "$work/c"
check "the quantized dump parses back and compiles to the same object" \
	"$QUANTC" compile "$work/q/f.qg" --passes fuse-pool,plan-memory --name m -o "$work/c/m.o"
check "... byte for byte" cmp "$work/a/m.o" "$work/c/m.o"
check "inspect names the mode" sh -c "'$QUANTC' inspect '$m/small_0.onnx' --requant float | grep -q 'requantization: float'"
check "the header defines M_REQUANT_FLOAT" grep -q '^#define M_REQUANT_FLOAT 1' "$work/a/m.h"

# --- interpreter and object, bit for bit -------------------------------------------
for s in 0 1 2 3 4; do
	d=$work/o$s
	mkdir -p "$d"
	"$QUANTC" compile "$m/small_$s.onnx" --requant float --name m -o "$d/m.o" &&
		link_demo m "$d/m.o" "$d/demo" && "$d/demo" "$m/x_ties.npy" "$m/labels.npy" "$d/obj.npy" > /dev/null
	"$QUANTC" run "$m/small_$s.onnx" --requant float --input "$m/x_ties.npy" -o "$d/run.npy"
	check "small_$s --requant float: object equals quantc run on 64 inputs (ties among them)" \
		"$NPYTOOL" exact "$d/obj.npy" "$d/run.npy"
done
"$QUANTC" run "$m/small_2.onnx" --input "$m/x_ties.npy" -o "$work/fixed.npy"
if "$NPYTOOL" exact "$work/fixed.npy" "$work/o2/run.npy" > /dev/null 2>&1; then
	fail "small_2: --requant fixed and float give different outputs (ties round differently)"
else
	ok "small_2: --requant fixed and float give different outputs (ties round differently)"
fi

# --- errors -------------------------------------------------------------------------
# expect_error WHAT PATTERN COMMAND...: exit status 1 and PATTERN in the message
expect_error() {
	local what=$1 pat=$2
	shift 2
	"$@" > "$work/err.txt" 2>&1
	local rc=$?
	if [ $rc -eq 1 ] && grep -q "$pat" "$work/err.txt"; then
		ok "$what"
	else
		fail "$what (exit $rc): $(head -3 "$work/err.txt")"
	fi
}
expect_error "a QuantizeLinear read by a Relu is refused, naming the node" \
	"node 'r1' (Relu): input 'q' is the integer output of a QuantizeLinear" \
	"$QUANTC" compile "$m/bad_noqdq.onnx" -o "$work/x.o"
expect_error "a DequantizeLinear with other parameters than its QuantizeLinear is refused" \
	"node 'dq1' (DequantizeLinear): its scale and zero point differ" \
	"$QUANTC" compile "$m/bad_mismatch.onnx" -o "$work/x.o"
expect_error "a maxpool pinned with other parameters than its input's is refused" \
	"maxpool2d keeps its input's parameters" "$QUANTC" compile "$m/bad_pool.onnx" -o "$work/x.o"
expect_error "pins with --precision int16 are refused" "pinned to int8" \
	"$QUANTC" compile "$m/small_0.onnx" --precision int16 -o "$work/x.o"
expect_error "--requant float on an integer-only target (rv32) is refused" \
	"requant float needs a floating-point unit" \
	"$QUANTC" compile "$m/small_0.onnx" --requant float --target riscv32-unknown-elf -o "$work/x.o"
expect_error "--requant float on AArch64 without FP is refused" \
	"requant float needs a floating-point unit" \
	"$QUANTC" compile "$m/small_0.onnx" --requant float --target aarch64-linux-gnu --mattr=-fp-armv8 \
	-o "$work/x.o"
expect_error "--requant takes fixed or float" "unknown 'half'" \
	"$QUANTC" compile "$m/small_0.onnx" --requant half -o "$work/x.o"
cat > "$work/add.qg" <<'QG'
model addm
input x : f32[1,4] range [0, 1]
t = add(x, x)
output t
QG
expect_error "--requant float names an op it has no float rule for (add)" \
	"op 'add' ('t', i8) has no float requantization" "$QUANTC" compile "$work/add.qg" --requant float -o "$work/x.o"
"$QUANTC" compile "$m/small_0.onnx" --precision f32 --name m -o "$work/x.o" 2> "$work/err.txt"
check "--precision f32 ignores the pins with a note" grep -q "note: the model's quantization parameters" "$work/err.txt"
finish
