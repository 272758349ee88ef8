# inputs.sh — inputs as models have them (docs/onnx.md "The batch dimension",
# docs/cli.md, docs/abi.md), each check printing what it checked:
#   1. a fixed batch of 2 (ONNX input 'input.1' [2,3,7,5]): calibrated with
#      [S,2,3,7,5] samples, run in f32 (numpy's result within 1e-5) and int8,
#      the header's sizes, the host object equal to `quantc run` bit for bit,
#      --precision auto and report take the same samples; a batch of 1 keeps
#      [S,3,7,5] and takes [S,1,3,7,5] too;
#   2. models of 2 and 3 inputs (.qg and ONNX): one --calib per input, in the
#      model's order or NAME=FILE (the ONNX name too), run, --precision auto,
#      report, the object equal to the interpreter bit for bit; mistakes
#      refused;
#   3. int64 index inputs: an ONNX INT64 graph input is an i64 IR input that
#      prints as i64[1,4] in a dump, takes an int64 .npy in `quantc run`, is
#      `const int64_t *` in the generated entry point, and is refused by name
#      by the ops that cannot read it (never a crash);
#   4. --config's inputs: and layers: take the ONNX spelling of a name
#      (`x:0`, `/fc/Gemm_output_0`) as well as quantc's.
# Cost: about 5 s of CPU (numpy and onnx imports, six small compiles).
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3

"$py" - "$work" <<'EOF'
import sys, numpy as np, onnx
from onnx import helper, TensorProto as T, numpy_helper as nh
d = sys.argv[1]
r = np.random.default_rng(7)
def save(g, name, opset=13):
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)]), f"{d}/{name}")
def vi(name, t, shape):
    return helper.make_tensor_value_info(name, t, shape)

# 1. batch 2: Conv 3->4 3x3 pad 1, Relu, Flatten, Gemm 140->6
def cnn(batch, name):
    w = r.standard_normal((4, 3, 3, 3)).astype(np.float32) * 0.3
    b = r.standard_normal(4).astype(np.float32) * 0.1
    fw = r.standard_normal((6, 140)).astype(np.float32) * 0.1
    fb = r.standard_normal(6).astype(np.float32) * 0.1
    nodes = [helper.make_node("Conv", ["input.1", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("Flatten", ["r"], ["f"], axis=1),
             helper.make_node("Gemm", ["f", "fw", "fb"], ["out"], transB=1)]
    g = helper.make_graph(nodes, name, [vi("input.1", T.FLOAT, [batch, 3, 7, 5])],
                          [vi("out", T.FLOAT, [batch, 6])],
                          [nh.from_array(w, "w"), nh.from_array(b, "b"),
                           nh.from_array(fw, "fw"), nh.from_array(fb, "fb")])
    save(g, name + ".onnx")
    return w, b, fw, fb
w, b, fw, fb = cnn(2, "b2")
def ref(x):  # x [N,3,7,5]
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1))).astype(np.float64)
    y = np.zeros((x.shape[0], 4, 7, 5))
    for i in range(3):
        for j in range(3):
            y += np.einsum("nchw,oc->nohw", xp[:, :, i:i + 7, j:j + 5], w[:, :, i, j])
    y = np.maximum(y + b.reshape(1, 4, 1, 1), 0).reshape(x.shape[0], -1)
    return y @ fw.T.astype(np.float64) + fb
cal = r.standard_normal((16, 2, 3, 7, 5)).astype(np.float32)
x = r.standard_normal((5, 2, 3, 7, 5)).astype(np.float32)
np.save(f"{d}/cal2.npy", cal)
np.save(f"{d}/x2.npy", x)
np.save(f"{d}/ref2.npy", np.stack([ref(s) for s in x]).astype(np.float32))
np.save(f"{d}/x2flat.npy", x.reshape(10, 3, 7, 5))
x.tofile(f"{d}/x2.bin")
cnn(1, "b1")
np.save(f"{d}/x1.npy", x[:, 0])
np.save(f"{d}/x1s.npy", x[:, :1])

# 2. two inputs named as exporters do, x:0 [1,6] and /in/y [1,4]:
# relu(Gemm(x) + Gemm(y)), its first Gemm's output '/fc/Gemm_output_0'
def gemm(i, o, n):
    return (nh.from_array(r.standard_normal((o, i)).astype(np.float32) * 0.4, n + "w"),
            nh.from_array(r.standard_normal(o).astype(np.float32) * 0.1, n + "b"))
(aw, ab), (bw, bb) = gemm(6, 5, "a"), gemm(4, 5, "b")
nodes = [helper.make_node("Gemm", ["x:0", "aw", "ab"], ["/fc/Gemm_output_0"], transB=1),
         helper.make_node("Gemm", ["/in/y", "bw", "bb"], ["g2"], transB=1),
         helper.make_node("Add", ["/fc/Gemm_output_0", "g2"], ["s"]),
         helper.make_node("Relu", ["s"], ["out"])]
save(helper.make_graph(nodes, "two", [vi("x:0", T.FLOAT, [1, 6]), vi("/in/y", T.FLOAT, [1, 4])],
                       [vi("out", T.FLOAT, [1, 5])], [aw, ab, bw, bb]), "two.onnx")
for n, k in (("a", 6), ("b", 4), ("c", 3)):
    v = r.uniform(-2, 2, (32, 1, k)).astype(np.float32)
    np.save(f"{d}/c{n}.npy", v)
    v[:5].tofile(f"{d}/in_{n}.bin")
    np.save(f"{d}/in_{n}.npy", v[:5])

# 3. int64 inputs: unused beside a float input; read by Relu; by Gather
ids = vi("ids", T.INT64, [1, 4])
save(helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "idx",
                       [ids, vi("x", T.FLOAT, [1, 4])], [vi("y", T.FLOAT, [1, 4])]), "idx.onnx")
save(helper.make_graph([helper.make_node("Relu", ["ids"], ["y"])], "relu64", [ids],
                       [vi("y", T.INT64, [1, 4])]), "relu64.onnx")
save(helper.make_graph([helper.make_node("Gather", ["tab", "ids"], ["y"], axis=0)], "gather",
                       [ids], [vi("y", T.FLOAT, [1, 4, 3])],
                       [nh.from_array(r.standard_normal((10, 3)).astype(np.float32), "tab")]),
     "gather.onnx")
np.save(f"{d}/ids.npy", np.array([[1, 2, 3, 4], [5, 6, 7, 8]], np.int64))
np.save(f"{d}/idx_x.npy", np.array([[-1, 2, -3, 4], [5, -6, 7, -8]], np.float32))
EOF

# bit_equal A B: two float arrays (npy or raw .bin) hold the same bits
bit_equal() {
	"$py" -c "
import numpy as np, sys
ld = lambda f: np.load(f) if f.endswith('.npy') else np.fromfile(f, np.float32)
a, b = ld(sys.argv[1]).ravel(), ld(sys.argv[2]).ravel()
print(f'  {a.size} values compared')
sys.exit(0 if a.size == b.size and np.array_equal(a.view(np.uint32), b.view(np.uint32)) else 1)" "$1" "$2"
}

# harness NAME ARGS...: a program calling NAME_run once per sample; ARGS are
# 'in TYPE SIZE' and 'out SIZE' in the entry point's order; it reads each
# input's raw samples from argv in order and writes the outputs to the last
harness() {
	local name=$1
	shift
	{
		echo "#include <stdio.h>"
		echo "#include <stdlib.h>"
		echo "#include \"$name.h\""
		echo "int main(int argc, char **argv) {"
		echo "	static unsigned char arena[1 << 16] __attribute__((aligned(64)));"
		echo "	int n = atoi(argv[1]), k = 2; FILE *o = fopen(argv[argc - 1], \"wb\");"
		local i=0 call=""
		while [ $# -gt 0 ]; do
			if [ "$1" = in ]; then
				echo "	$2 *in$i = malloc(sizeof(*in$i) * $3 * n); FILE *f$i = fopen(argv[k++], \"rb\");"
				echo "	if (fread(in$i, sizeof(*in$i), $3 * n, f$i) != (size_t)($3 * n)) return 1;"
				call="$call in$i + s * $3,"
				shift 3
			else
				echo "	float out$i[$2];"
				call="$call out$i,"
				shift 2
			fi
			i=$((i + 1))
		done
		echo "	for (int s = 0; s < n; s++) {"
		echo "		if (${name}_run($call arena)) return 1;"
		echo "		OUTS"
		echo "	}"
		echo "	return fclose(o) != 0;"
		echo "}"
	} > "$work/$name.c"
	# every output, in order, per sample
	local outs=""
	for v in $(grep -o 'float out[0-9]*' "$work/$name.c" | awk '{print $2}'); do
		outs="$outs fwrite($v, sizeof $v, 1, o);"
	done
	sed -i "s/OUTS/$outs/" "$work/$name.c"
	"$CC" -std=c11 -O1 -Wall -Wextra -Werror ${QC_CFLAGS:-} -I"$work" -I"$QRT_INCLUDE" \
		"$work/$name.c" "$work/$name.o" "$QRT_LIB" -lm -o "$work/$name"
}

# ---- 1. a batch of 2 ---------------------------------------------------------
Q() { "$QUANTC" "$@"; }
Q run "$work/b2.onnx" --precision f32 --input "$work/x2.npy" -o "$work/y2f.npy"
check "batch 2, f32: [5,2,3,7,5] samples give [5,2,6] outputs within 1e-5 of numpy" "$py" -c "
import numpy as np, sys
y, r = np.load(sys.argv[1] + '/y2f.npy'), np.load(sys.argv[1] + '/ref2.npy')
e = float(np.abs(y - r).max()) if y.shape == r.shape else 1
print(f'  shape {y.shape}, max |quantc - numpy| = {e:.3g}')
sys.exit(0 if y.shape == (5, 2, 6) and e < 1e-5 else 1)" "$work"
Q run "$work/b2.onnx" --precision int8 --calib "$work/cal2.npy" --input "$work/x2.npy" \
	-o "$work/y2q.npy" 2> "$work/err"
check "batch 2, int8: calibrated on [16,2,3,7,5], SQNR against f32 at least 25 dB on every sample" "$py" -c "
import numpy as np, sys
q, f = np.load(sys.argv[1] + '/y2q.npy'), np.load(sys.argv[1] + '/y2f.npy')
s = [10 * np.log10((b ** 2).sum() / ((a - b) ** 2).sum()) for a, b in zip(q, f)] if q.shape == f.shape else [0]
print('  SQNR per sample (dB):', np.round(s, 1))
sys.exit(0 if min(s) >= 25 else 1)" "$work"
Q compile "$work/b2.onnx" --precision int8 --calib "$work/cal2.npy" -o "$work/b2.o"
check "batch 2: the header's input 0 is 210 elements, output 0 12" \
	grep -q 'B2_INPUT0_SIZE 210u.*B2_OUTPUT0_SIZE 12u' <(tr '\n' ' ' < "$work/b2.h")
harness b2 in float 210 out 12 && "$work/b2" 5 "$work/x2.bin" "$work/b2.out"
check "batch 2, int8: the host object equals quantc run bit for bit" \
	bit_equal "$work/b2.out" "$work/y2q.npy"
check "batch 2: --precision auto takes the same samples" \
	Q compile "$work/b2.onnx" --precision auto --min-sqnr 25 --calib "$work/cal2.npy" \
	-o "$work/b2a.o"
check "batch 2: report takes [S,2,3,7,5] samples" sh -c \
	"'$QUANTC' report '$work/b2.onnx' --calib '$work/cal2.npy' --input '$work/x2.npy' | grep -q 'over 5 samples'"
Q run "$work/b2.onnx" --precision f32 --input "$work/x2flat.npy" -o "$work/bad.npy" 2> "$work/err"
check "batch 2: [10,3,7,5] is refused, saying what to give" \
	grep -q "samples are \[10,3,7,5\], input 'input.1' is \[2,3,7,5\] (give \[S, ...its shape\]" "$work/err"
Q run "$work/b2.onnx" --precision int8 --calib "$work/x1.npy" --input "$work/x2.npy" \
	-o "$work/bad.npy" 2> "$work/err"
check "batch 2: calibration samples [5,3,7,5] are refused by name" \
	grep -q "calibration samples are \[1,3,7,5\], input 'input.1' is \[2,3,7,5\]" "$work/err"
Q run "$work/b1.onnx" --precision f32 --input "$work/x1.npy" -o "$work/y1.npy"
Q run "$work/b1.onnx" --precision f32 --input "$work/x1s.npy" -o "$work/y1s.npy"
check "batch 1: [5,3,7,5] gives [5,6] and [5,1,3,7,5] gives [5,1,6], the same numbers" "$py" -c "
import numpy as np, sys
a, b = np.load(sys.argv[1] + '/y1.npy'), np.load(sys.argv[1] + '/y1s.npy')
print(f'  {a.shape} and {b.shape}')
sys.exit(0 if a.shape == (5, 6) and b.shape == (5, 1, 6) and np.array_equal(a, b[:, 0]) else 1)" "$work"
check "batch 1: calibration samples [5,1,3,7,5] are taken" \
	Q compile "$work/b1.onnx" --precision int8 --calib "$work/x1s.npy" -o "$work/b1.o"

# ---- 2. several inputs -------------------------------------------------------
cat > "$work/three.qg" <<'EOF'
model three
input a : f32[1,6]
input b : f32[1,4]
input c : f32[1,3]
const wa : f32[5,6] = [0.1, -0.2, 0.3, 0.05, -0.1, 0.2, 0.3, 0.1, -0.3, 0.2, 0.1, 0.0, -0.1, 0.2, 0.1, -0.2, 0.3, 0.1, 0.2, -0.1, 0.1, 0.3, -0.2, 0.1, 0.0, 0.1, 0.2, -0.3, 0.1, 0.2]
const wb : f32[5,4] = [0.2, -0.1, 0.3, 0.1, -0.2, 0.1, 0.2, 0.3, 0.1, 0.2, -0.1, 0.2, 0.3, -0.3, 0.1, 0.1, 0.2, 0.1, -0.2, 0.3]
const wc : f32[5,3] = [0.3, 0.1, -0.2, 0.1, 0.2, 0.3, -0.1, 0.3, 0.2, 0.2, -0.2, 0.1, 0.1, 0.1, 0.3]
ta = dense(a, wa)
tb = dense(b, wb)
tc = dense(c, wc)
s = add(ta, tb)
g = sigmoid(tc)
y = mul(s, g)
output y
EOF
for m in two.onnx three.qg; do
	case $m in
	two.onnx) cal=(--calib "$work/ca.npy" --calib "$work/cb.npy") in=(--input "$work/in_a.npy" --input "/in/y=$work/in_b.npy") name=two ;;
	*) cal=(--calib "c=$work/cc.npy" --calib "$work/ca.npy" --calib "$work/cb.npy")
	   in=(--input "$work/in_a.npy" --input "$work/in_b.npy" --input "$work/in_c.npy") name=three ;;
	esac
	check "$m: int8 compiles with one --calib per input (${cal[*]##*/})" \
		Q compile "$work/$m" --precision int8 "${cal[@]}" -o "$work/$name.o"
	check "$m: quantc run takes one --input per input" \
		Q run "$work/$m" --precision int8 "${cal[@]}" "${in[@]}" -o "$work/$name.y.npy"
	if [ $name = two ]; then
		harness two in float 6 in float 4 out 5 &&
			"$work/two" 5 "$work/in_a.bin" "$work/in_b.bin" "$work/two.out"
	else
		harness three in float 6 in float 4 in float 3 out 5 &&
			"$work/three" 5 "$work/in_a.bin" "$work/in_b.bin" "$work/in_c.bin" "$work/three.out"
	fi
	check "$m: the host object equals quantc run bit for bit" \
		bit_equal "$work/$name.out" "$work/$name.y.npy"
	check "$m: --precision auto calibrates and measures on every input" \
		sh -c "'$QUANTC' compile '$work/$m' --precision auto --min-sqnr 20 ${cal[*]} -o '$work/$name.a.o' 2>&1 | grep -q 'chosen:'"
	check "$m: report compares on one --input per input" \
		sh -c "'$QUANTC' report '$work/$m' ${cal[*]} ${in[*]} | grep -q 'over 5 samples'"
done
Q compile "$work/two.onnx" --precision int8 --calib "x:0=$work/ca.npy" --calib "/in/y=$work/cb.npy" \
	-o "$work/two_named.o"
check "two.onnx: --calib x:0=... /in/y=... (the ONNX names) gives the same object" \
	cmp -s "$work/two.o" "$work/two_named.o"
Q compile "$work/two.onnx" --precision int8 --calib "in_y=$work/cb.npy" --calib "$work/ca.npy" \
	-o "$work/two_named2.o"
check "two.onnx: --calib in_y=... (quantc's name) and a bare file for the other: the same object" \
	cmp -s "$work/two.o" "$work/two_named2.o"
Q compile "$work/two.onnx" --precision int8 --calib "$work/ca.npy" -o "$work/bad.o" 2> "$work/err"
check "two.onnx: one --calib for two inputs is refused, naming them" \
	grep -q "1 --calib file given; the model has 2 ('x_0', 'in_y'), one --calib each" "$work/err"
Q compile "$work/two.onnx" --precision int8 --calib "$work/cb.npy" --calib "$work/ca.npy" \
	-o "$work/bad.o" 2> "$work/err"
check "two.onnx: files in the wrong order are refused by shape" \
	grep -q "cb.npy: error: calibration samples are \[32,1,4\], input 'x_0' is \[1,6\]" "$work/err"
"$py" -c "import numpy as np, sys; np.save(sys.argv[1], np.load(sys.argv[2])[:7])" "$work/cb7.npy" "$work/cb.npy"
Q compile "$work/two.onnx" --precision int8 --calib "$work/ca.npy" --calib "$work/cb7.npy" \
	-o "$work/bad.o" 2> "$work/err"
check "two.onnx: different sample counts are refused" \
	grep -q "7 calibration samples for input 'in_y', but 32 for 'x_0'" "$work/err"
check "nothing was written by the refused compiles" test ! -e "$work/bad.o"

# ---- 3. int64 index inputs ---------------------------------------------------
Q opt "$work/idx.onnx" --precision f32 > "$work/idx.qg"
check "INT64 graph input: an i64[1,4] input in the dump" grep -q "^input ids : i64\[1,4\]$" "$work/idx.qg"
check "the dump parses back" sh -c "'$QUANTC' opt '$work/idx.qg' --precision f32 > '$work/idx2.qg'"
check "quantc run takes an int64 .npy for it" \
	Q run "$work/idx.onnx" --precision f32 --input "$work/ids.npy" --input "$work/idx_x.npy" -o "$work/idx.y.npy"
check "  ... and computes the float input's relu" "$py" -c "
import numpy as np, sys
y, x = np.load(sys.argv[1] + '/idx.y.npy'), np.load(sys.argv[1] + '/idx_x.npy')
sys.exit(0 if np.array_equal(y, np.maximum(x, 0)) else 1)" "$work"
Q run "$work/idx.onnx" --precision f32 --input "$work/idx_x.npy" --input "$work/idx_x.npy" \
	-o "$work/bad.npy" 2> "$work/err"
check "a float32 file for the int64 input is refused" grep -q "run: input samples must be int64" "$work/err"
Q compile "$work/idx.onnx" --precision f32 -o "$work/idx.o"
check "the entry point takes const int64_t * for it" \
	grep -q "int idx_run(const int64_t \*ids, const float \*x, float \*y, void \*arena);" "$work/idx.h"
check "the header says it is indices" grep -q "IDX_INPUT0_SIZE 4u .*int64_t indices, never quantized" "$work/idx.h"
for m in relu64; do # gather.onnx (an embedding) compiles now: tests/e2e/index_inputs.sh
	Q compile "$work/$m.onnx" --precision f32 -o "$work/bad.o" 2> "$work/err"
	rc=$?
	check "$m.onnx: refused with exit 1 and an error, no crash: $(grep -m1 error: "$work/err")" \
		sh -c "[ $rc -eq 1 ] && grep -q 'error:' '$work/err' && ! grep -q 'internal error' '$work/err'"
done
Q run "$work/relu64.onnx" --precision f32 --input "$work/ids.npy" -o "$work/bad.npy" 2> "$work/err"
check "relu of an i64 input: run refuses it by name ($(head -1 "$work/err"))" \
	grep -q "relu: input 'ids' is i64: relu computes in f32, i8 or i16" "$work/err"

# ---- 4. ONNX names in --config -----------------------------------------------
cat > "$work/names.yaml" <<'EOF'
inputs:
  "x:0": {range: [-2, 2]}
  "/in/y": {range: [-2, 2]}
layers:
  - match: "/fc/Gemm_output_0"
    precision: int16
EOF
check "--config: inputs x:0 and /in/y and layer /fc/Gemm_output_0, as ONNX spells them" \
	sh -c "'$QUANTC' opt '$work/two.onnx' --precision f32 --config '$work/names.yaml' > '$work/names.qg'"
check "  ... the ranges reach the inputs x_0 and in_y" \
	sh -c "grep -q '^input x_0 : f32\[1,6\] range \[-2, 2\]' '$work/names.qg' && grep -q '^input in_y : f32\[1,4\] range \[-2, 2\]' '$work/names.qg'"
Q inspect "$work/two.onnx" --precision int8 --config "$work/names.yaml" > "$work/names.txt"
check "  ... the layer fc_Gemm_output_0 computes in int16, g2 in int8" \
	sh -c "grep -q '^0 *fc_Gemm_output_0 *dense *none *int16' '$work/names.txt' && grep -q '^1 *g2 *dense *none *int8' '$work/names.txt'"
sed 's/"x:0"/x_0/; s/"\/in\/y"/in_y/; s/"\/fc\/Gemm_output_0"/fc_Gemm_output_0/' "$work/names.yaml" > "$work/names2.yaml"
Q inspect "$work/two.onnx" --precision int8 --config "$work/names2.yaml" > "$work/names2.txt"
check "  ... quantc's names give the same layers" cmp -s "$work/names.txt" "$work/names2.txt"
finish
