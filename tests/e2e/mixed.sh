# mixed.sh — per-layer precision (docs/configuration.md `precision` of a
# layer, docs/quantization.md "Mixed precision"):
#   - the CNN with conv1 int16, conv2 f32 and the rest int8 (mixed_cnn.yaml),
#     the MLP with its last dense f32, and the MLP with its hidden dense
#     int16 between int8 layers (i8 <-> i16 requantization), compile; their objects equal the
#     interpreter bit for bit on the first 500 test images (the equality
#     holds per image) and stay within 1 point of int8's accuracy on the
#     first QC_MIXED_IMAGES (2000);
#   - the quantize pass puts quantize / dequantize nodes at the boundaries,
#     the dump parses back and compiles to the same outputs;
#   - _run_q takes each input and output in its own storage type;
#   - a layer pattern covering every layer gives exactly the whole-model
#     precision's graph;
#   - an integer-only target (riscv32-unknown-elf, no F) refuses an f32
#     layer inside a quantized model, and writes nothing.
. "$(dirname "$0")/lib.sh"
calib=$QC_DATA/calib.npy
k=${QC_MIXED_IMAGES:-2000}
[ "$QC_TEST_IMAGES" -lt "$k" ] && k=$QC_TEST_IMAGES
pipeline=infer-shapes,fuse-activation,propagate-ranges,calibrate,quantize,check-overflow,plan-memory
"$NPYTOOL" head "$k" "$QC_DATA/test_x.npy" "$work/x.npy"
"$NPYTOOL" head "$k" "$QC_DATA/test_y.npy" "$work/y.npy"
ni=$((k < 500 ? k : 500))
"$NPYTOOL" head "$ni" "$QC_DATA/test_x.npy" "$work/xi.npy"
cat > "$work/mlp.yaml" <<'YAML'
layers:
  - match: y          # the last dense: f32 logits from an int8 model
    precision: f32
YAML
cat > "$work/mlp16.yaml" <<'YAML'
layers:
  - match: t3         # the hidden dense int16 between int8 layers: requantization
    precision: int16  # i8 -> i16 before it, i16 -> i8 after it
YAML

# mixed MODEL CONFIG RUN_Q BOUNDARY...: the checks of one mixed model
mixed() {
	local model=$1 cfg=$2 runq=$3 b
	shift 3
	local q=("$ex/$model.qg" --config "$cfg" --calib "$calib")
	check "$model: compiles with $(basename "$cfg")" "$QUANTC" compile "${q[@]}" -o "$work/$model.o"
	check "$model: header declares $runq" grep -qF "$runq" "$work/$model.h"
	check "$model: demo links against $model.o" link_demo "$model" "$work/$model.o" "$work/demo"
	"$work/demo" "$work/x.npy" "$work/y.npy" "$work/obj.npy" | tail -1
	check "$model: interpreter ran" "$QUANTC" run "${q[@]}" --input "$work/xi.npy" -o "$work/interp.npy"
	"$NPYTOOL" head "$ni" "$work/obj.npy" "$work/obj_i.npy"
	check "$model: .o outputs equal the interpreter's bit for bit ($ni images)" \
		"$NPYTOOL" exact "$work/obj_i.npy" "$work/interp.npy"

	"$QUANTC" run "$ex/$model.qg" --calib "$calib" --input "$work/x.npy" -o "$work/int8.npy"
	local c8 cm d
	c8=$("$NPYTOOL" correct "$work/int8.npy" "$work/y.npy")
	cm=$("$NPYTOOL" correct "$work/obj.npy" "$work/y.npy")
	d=$((c8 - cm)); d=${d#-}
	check "$model: accuracy $cm of $k within 1 point of int8's $c8" test $((d * 100)) -le "$k"

	check "$model: quantize pipeline dump written" \
		"$QUANTC" opt "${q[@]}" --passes "$pipeline" -o "$work/dump.qg"
	for b in "$@"; do
		check "$model: the dump has the boundary '$b'" grep -qF -- "$b" "$work/dump.qg"
	done
	"$QUANTC" opt "$work/dump.qg" > "$work/re1.qg" && "$QUANTC" opt "$work/re1.qg" > "$work/re2.qg"
	check "$model: the dump parses back, print(parse(print)) is a fixed point" cmp -s "$work/re1.qg" "$work/re2.qg"
	check "$model: the dump compiles" "$QUANTC" compile "$work/dump.qg" --passes "" -o "$work/dump.o"
	link_demo "$model" "$work/dump.o" "$work/demo2" && "$work/demo2" "$work/x.npy" "$work/y.npy" "$work/dump.npy" > /dev/null
	check "$model: the dump's object computes the same outputs" "$NPYTOOL" exact "$work/obj.npy" "$work/dump.npy"
	"$QUANTC" inspect "${q[@]}" > "$work/inspect.txt"
	check "$model: inspect shows the precision of every layer" grep -qE '^[0-9]+ +t[0-9.a-z]+ +[a-z0-9]+ +[a-z0-9]* +(int8|int16|f32|[a-z0-9]+>[a-z0-9]+) ' "$work/inspect.txt"
	sed -n '/^#/,/^$/p' "$work/inspect.txt"
}

mixed cnn "$QC_SRC/tests/e2e/mixed_cnn.yaml" "int cnn_run_q(const int16_t *x, int8_t *y, void *arena);" \
	"t3.f32 : f32[1,64,14,14]" "= dequantize(t3)" "t7.i8 : i8[1,6272] q(" "= quantize(t7)" \
	"t2 : i16[1,64,28,28]" "t5 : f32[1,128,14,14]" "y : i8[1,10]" "input x : i16["
mixed mlp "$work/mlp.yaml" "int mlp_run_q(const int8_t *x, float *y, void *arena);" \
	"t3.f32 : f32[1,128]" "= dequantize(t3)" "y : f32[1,10]" "input x : i8["
mixed mlp "$work/mlp16.yaml" "int mlp_run_q(const int8_t *x, int8_t *y, void *arena);" \
	"t1.i16 : i16[1,784] q(" "= quantize(t1)" "t3 : i16[1,128]" "t3.i8 : i8[1,128] q(" \
	"= quantize(t3)" "y : i8[1,10]"

# a layer pattern that names every layer is the whole-model precision
for p in int8 int16; do
	printf 'layers:\n  - match: "*"\n    precision: %s\n' $p > "$work/all.yaml"
	"$QUANTC" opt "$ex/mlp.qg" --calib "$calib" --precision $p --passes "$pipeline" > "$work/global.qg"
	"$QUANTC" opt "$ex/mlp.qg" --calib "$calib" --config "$work/all.yaml" --precision f32 \
		--passes "$pipeline" > "$work/layers.qg"
	check "mlp: every layer $p through layers: gives the --precision $p graph" cmp -s "$work/global.qg" "$work/layers.qg"
done

# The boundary ops alone, on edge cases: NaN, infinities, huge values, ties,
# a multiplier > 1 whose left shift saturates, i8 -> i8 with a new zero
# point; the object against the interpreter, bit for bit.
cat > "$work/conv.qg" <<'QG'
model conv
input x : f32[1,64]
a : i8[1,64] q(scale=0.05, zp=3) = quantize(x)
b : i16[1,64] q(scale=0.0001, zp=0) = quantize(a)
c : i8[1,64] q(scale=0.3, zp=-7) = quantize(b)
e : i8[1,64] q(scale=0.25, zp=5) = quantize(c)
f : i16[1,64] q(scale=0.002, zp=0) = quantize(e)
d : f32[1,64] = dequantize(f)
output d
QG
cat > "$work/conv_main.c" <<'C'
#include <stdio.h>
#include "conv.h"
/* stdin: rows of CONV_INPUT0_SIZE floats; stdout: CONV_OUTPUT0_SIZE floats each */
static _Alignas(CONV_ARENA_ALIGN) unsigned char arena[CONV_ARENA_SIZE];
int main(void)
{
	float x[CONV_INPUT0_SIZE], y[CONV_OUTPUT0_SIZE];
	while (fread(x, sizeof x, 1, stdin) == 1) {
		if (conv_run(x, y, arena) != QRT_OK)
			return 1;
		fwrite(y, sizeof y, 1, stdout);
	}
	return 0;
}
C
/usr/bin/python3 - "$work" <<'PY'
import sys, numpy as np
r = np.random.default_rng(7)
x = r.uniform(-12, 12, (300, 64)).astype(np.float32)
x[0, :8] = [np.nan, np.inf, -np.inf, 1e30, -1e30, 0.025, -0.025, 0.075]
x[1] = (np.arange(64, dtype=np.float32) - 32) * np.float32(0.025)  # ties of a's grid
x[2] = r.uniform(-0.1, 0.1, 64)
np.save(sys.argv[1] + "/conv_x.npy", x)
x.astype("<f4").tofile(sys.argv[1] + "/conv_x.raw")
PY
check "boundaries: the hand-written graph compiles" "$QUANTC" compile "$work/conv.qg" \
	--passes infer-shapes,plan-memory -o "$work/conv.o"
check "boundaries: its driver links" "$CC" -std=c11 -O2 -Wall -Wextra -Werror ${QC_CFLAGS:-} \
	-I"$work" -I"$QRT_INCLUDE" "$work/conv_main.c" "$work/conv.o" "$QRT_LIB" -o "$work/conv"
"$work/conv" < "$work/conv_x.raw" > "$work/conv_y.raw"
check "boundaries: interpreter ran" "$QUANTC" run "$work/conv.qg" --passes infer-shapes \
	--input "$work/conv_x.npy" -o "$work/conv_y.npy"
check "boundaries: 300 x 64 edge cases equal the interpreter's bit for bit" /usr/bin/python3 -c '
import sys, numpy as np
y = np.load(sys.argv[1] + "/conv_y.npy")
sys.exit(0 if y.astype("<f4").tobytes() == open(sys.argv[1] + "/conv_y.raw", "rb").read() else 1)' "$work"

# integer-only targets
rm -f "$work/rv.o" "$work/rv.h"
"$QUANTC" compile "$ex/cnn.qg" --config "$QC_SRC/tests/e2e/mixed_cnn.yaml" --calib "$calib" \
	--target riscv32-unknown-elf -o "$work/rv.o" 2> "$work/rv.err"
rc=$?
cat "$work/rv.err"
check "riscv32 (no FPU): an f32 layer in a quantized model is refused (exit $rc)" test $rc -eq 1
# t5 (conv2d, f32 by the config) carries the max-pool t6 after fuse-pool
check "riscv32: the error names the layer and the target" \
	grep -qF "error: layer 't6' computes in f32 but target riscv32-unknown-elf has no floating-point unit (integer-only)" "$work/rv.err"
check "riscv32: it suggests int8 or int16" grep -qF "int8 or int16" "$work/rv.err"
check "riscv32: nothing written" test ! -e "$work/rv.o" -a ! -e "$work/rv.h"
check "riscv32 +f (an FPU): the mixed CNN compiles" "$QUANTC" compile "$ex/cnn.qg" \
	--config "$QC_SRC/tests/e2e/mixed_cnn.yaml" --calib "$calib" --target riscv32-unknown-elf --mattr +f -o "$work/rvf.o"
check "riscv32: a whole f32 model stays allowed (soft float)" "$QUANTC" compile "$ex/mlp.qg" \
	--precision f32 --target riscv32-unknown-elf -o "$work/rv32f.o"
check "riscv32: a whole int8 model compiles" "$QUANTC" compile "$ex/mlp.qg" --calib "$calib" \
	--target riscv32-unknown-elf -o "$work/rv8.o"

# a precision the configuration does not know
printf 'layers:\n  - match: t3\n    precision: int4\n' > "$work/bad.yaml"
"$QUANTC" compile "$ex/mlp.qg" --calib "$calib" --config "$work/bad.yaml" -o "$work/bad.o" 2> "$work/bad.err"
rc=$?
check "config: precision int4 is an error at its line and column (exit $rc)" \
	grep -qF "bad.yaml:3:16: error: unknown precision 'int4' (int8, int16, f32)" "$work/bad.err"
finish
