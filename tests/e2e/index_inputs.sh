# index_inputs.sh — int64 index inputs through every precision (issue 18
# item 4; docs/onnx.md "Gather"), each check printing what it checked:
#   1. an embedding model (ONNX Gather of a constant table [10,6] by a
#      run-time ids input [1,4], MatMul, Add, ReduceMean): f32 within 1e-5 of
#      numpy; int8 and int16 compile with an int64 --calib file (the table is
#      quantized per tensor like a weight, the ids never); --precision auto
#      takes the same file;
#   2. gather of a run-time table x [10,6] by run-time ids [1,4] (two
#      --calib files, float and int64);
#   3. for both models in f32, int8 and int16 the x86-64 host object and the
#      AArch64 object (qemu-aarch64, static) equal `quantc run` bit for bit on
#      ids that include out-of-range ones (clamped as the interpreter does);
#   4. a float --calib file for an index input is refused by name.
# Cost: about 4 s of CPU (numpy and onnx imports, 12 small compiles, two
# static AArch64 links per model).
# shellcheck shell=bash source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=../cross/boards.sh
. "$QC_SRC/tests/cross/boards.sh"
py=/usr/bin/python3
Q() { "$QUANTC" "$@"; }

"$py" - "$work" <<'PY'
import sys, numpy as np, onnx
from onnx import helper, TensorProto as T, numpy_helper as nh
d = sys.argv[1]
r = np.random.default_rng(3)
def save(g, name):
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), f"{d}/{name}")
vi = helper.make_tensor_value_info
tab = r.standard_normal((10, 6)).astype(np.float32)
w = (r.standard_normal((6, 5)) * 0.4).astype(np.float32)
b = (r.standard_normal(5) * 0.1).astype(np.float32)
nodes = [helper.make_node("Gather", ["table", "ids"], ["e"], axis=0),
         helper.make_node("MatMul", ["e", "w"], ["m"]),
         helper.make_node("Add", ["m", "b"], ["a"]),
         helper.make_node("ReduceMean", ["a"], ["out"], axes=[1], keepdims=0)]
save(helper.make_graph(nodes, "emb", [vi("ids", T.INT64, [1, 4])], [vi("out", T.FLOAT, [1, 5])],
                       [nh.from_array(tab, "table"), nh.from_array(w, "w"), nh.from_array(b, "b")]),
     "emb.onnx")
nodes = [helper.make_node("Gather", ["x", "ids"], ["e"], axis=0),
         helper.make_node("MatMul", ["e", "w"], ["out"])]
save(helper.make_graph(nodes, "tg", [vi("x", T.FLOAT, [10, 6]), vi("ids", T.INT64, [1, 4])],
                       [vi("out", T.FLOAT, [1, 4, 5])], [nh.from_array(w, "w")]), "tg.onnx")
np.save(f"{d}/cal_ids.npy", r.integers(0, 10, (16, 1, 4)).astype(np.int64))
np.save(f"{d}/cal_x.npy", r.standard_normal((16, 10, 6)).astype(np.float32))
ids = np.concatenate([r.integers(-10, 10, (6, 1, 4)),
                      np.array([[[12, -20, 7, 9]], [[-1, 100, -11, 0]]])]).astype(np.int64)
x = r.standard_normal((8, 10, 6)).astype(np.float32)
np.save(f"{d}/ids.npy", ids); ids.tofile(f"{d}/ids.raw")
np.save(f"{d}/x.npy", x); x.tofile(f"{d}/x.raw")
cl = lambda i: np.clip(np.where(i < 0, i + 10, i), 0, 9)  # the interpreter clamps
np.save(f"{d}/ref.npy", np.stack([(tab[cl(i[0])] @ w + b).mean(0) for i in ids])[:, None, :])
PY

Q run "$work/emb.onnx" --precision f32 --input "$work/ids.npy" -o "$work/emb.f32.npy"
check "embedding, f32: quantc run on [8,1,4] int64 ids within 1e-5 of numpy" "$py" -c "
import numpy as np, sys
y, r = np.load(sys.argv[1] + '/emb.f32.npy'), np.load(sys.argv[1] + '/ref.npy')
e = float(np.abs(y.reshape(r.shape) - r).max()) if y.size == r.size else 1
print(f'  max |quantc - numpy| = {e:.3g} over {y.size} values')
sys.exit(0 if e < 1e-5 else 1)" "$work"
check "embedding: --precision auto calibrates with the int64 ids file" \
	sh -c "'$QUANTC' compile '$work/emb.onnx' --precision auto --min-sqnr 20 --calib '$work/cal_ids.npy' -o '$work/emb.auto.o' 2>&1 | grep -q 'chosen:'"
Q opt "$work/emb.onnx" --passes infer-shapes,propagate-ranges,calibrate,quantize --precision int8 \
	--calib "$work/cal_ids.npy" > "$work/emb.int8.qg" 2>&1
check "embedding, int8: the table is an i8 constant, the ids stay i64" \
	sh -c "grep -E '^(const table : i8\[10,6\] q|input ids : i64\[1,4\])' '$work/emb.int8.qg' | cut -c1-60 | sed 's/^/  /' | grep -c . | grep -qx 2"
check "a float32 --calib file for the index input is refused by name, no object written" \
	sh -c "'$QUANTC' compile '$work/emb.onnx' --precision int8 --calib '$work/cal_x.npy' -o '$work/bad.o' 2>&1 | grep \"calibration data for input 'ids' (i64) must be int64\" && ! test -e '$work/bad.o'"

# drv NAME ARGS...: a program calling NAME_run once per sample; ARGS are
# 'in TYPE SIZE' and 'out SIZE' in the entry point's order; it reads each
# input's raw samples from argv in order and writes the outputs to the last
drv() {
	local name=$1 i=0 call="" outs=""
	shift
	{
		echo "#include <stdint.h>"
		echo "#include <stdio.h>"
		echo "#include <stdlib.h>"
		echo "#include \"$name.h\""
		echo "static unsigned char arena[1 << 16] __attribute__((aligned(64)));"
		echo "int main(int argc, char **argv) {"
		echo "	int n = argc > 1 ? atoi(argv[1]) : 0, k = 2; FILE *o;"
		while [ $# -gt 0 ]; do
			if [ "$1" = in ]; then
				echo "	$2 *in$i = malloc(sizeof(*in$i) * $3 * n); FILE *f$i = fopen(argv[k++], \"rb\");"
				echo "	if (!f$i || fread(in$i, sizeof(*in$i), $3 * n, f$i) != (size_t)($3 * n)) return 1;"
				call="$call in$i + s * $3,"
				shift 3
			else
				echo "	static float out$i[$2];"
				call="$call out$i,"
				outs="$outs fwrite(out$i, sizeof out$i, 1, o);"
				shift 2
			fi
			i=$((i + 1))
		done
		echo "	if (!(o = fopen(argv[k], \"wb\"))) return 1;"
		echo "	for (int s = 0; s < n; s++) {"
		echo "		if (${name}_run($call arena)) return 1;"
		echo "		$outs"
		echo "	}"
		echo "	return fclose(o) != 0;"
		echo "}"
	} > "$work/$name.c"
}
drv emb in int64_t 4 out 5
drv tg in float 60 in int64_t 4 out 20

bit_equal() {
	"$py" -c "
import numpy as np, sys
a, b = np.fromfile(sys.argv[1], np.float32), np.load(sys.argv[2]).ravel()
print(f'  {a.size} values compared')
sys.exit(0 if a.size == b.size and np.array_equal(a.view(np.uint32), b.view(np.uint32)) else 1)" "$1" "$2"
}

a64=yes
mkdir -p "$work/a64"
if ! cross_target aarch64-linux-gnu || ! cross_tools_present; then
	fail "aarch64: cross compiler and qemu-aarch64 installed"
	a64=no
else
	check "aarch64: the runtime builds with $x_cc" x_build_runtime "$work/a64" || a64=no
fi

for m in emb tg; do
	case $m in
	emb) cal=(--calib "$work/cal_ids.npy") in=(--input "$work/ids.npy") raw=("$work/ids.raw") ;;
	*) cal=(--calib "x=$work/cal_x.npy" --calib "ids=$work/cal_ids.npy")
	   in=(--input "$work/x.npy" --input "ids=$work/ids.npy") raw=("$work/x.raw" "$work/ids.raw") ;;
	esac
	for p in f32 int8 int16; do
		Q run "$work/$m.onnx" --precision $p "${cal[@]}" "${in[@]}" -o "$work/$m.$p.run.npy" ||
			fail "$m $p: quantc run"
		for t in host a64; do
			[ $t = a64 ] && [ $a64 = no ] && continue
			d=$work/$t.$m.$p && mkdir -p "$d"
			cp "$work/$m.c" "$d/"
			if [ $t = host ]; then
				# shellcheck disable=SC2086
				Q compile "$work/$m.onnx" --precision $p "${cal[@]}" -o "$d/$m.o" &&
					"$CC" -std=c11 -O1 -Wall -Wextra -Werror ${QC_CFLAGS:-} -I"$d" -I"$QRT_INCLUDE" \
						"$d/$m.c" "$d/$m.o" "$QRT_LIB" -lm -o "$d/run" &&
					"$d/run" 8 "${raw[@]}" "$d/out.raw"
			else
				Q compile "$work/$m.onnx" --precision $p "${cal[@]}" --target aarch64-linux-gnu \
					-o "$d/$m.o" &&
					"$x_cc" "${x_cflags[@]}" -std=c11 -O1 -Wall -Wextra -Werror -I"$d" \
						-I"$QRT_INCLUDE" "$d/$m.c" "$d/$m.o" "$work/a64"/rt_*.o \
						"${x_ldflags[@]}" -o "$d/run" &&
					timeout 60 "${x_run[@]}" "$d/run" 8 "${raw[@]}" "$d/out.raw"
			fi
			check "$m $p: the $([ $t = host ] && echo x86-64 host || echo AArch64) object equals quantc run bit for bit (8 samples, out-of-range ids clamped)" \
				bit_equal "$d/out.raw" "$work/$m.$p.run.npy"
		done
	done
done
finish
