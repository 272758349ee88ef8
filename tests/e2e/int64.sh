# int64.sh — int64 tensors computed at run time and inputs bound at compile
# time (issue 18; docs/language.md "Integer arithmetic", docs/cli.md
# "Inputs bound at compile time"), each check printing what it checked:
#   1. a .qg model: add, sub, mul, div, max, min of an i64 input [2,3] with
#      broadcast i64 constants ([3], [2,1], scalars), values that wrap
#      (INT64_MAX + 1, INT64_MIN / -1, a division by 0), two i64 outputs,
#      beside a float path (x -> relu -> mul) that int8 and int16 quantize;
#      and an ONNX model (Add, Sub, Mul, Div, Max, Min on an INT64 input and
#      INT64 initializers, opset 13): in f32, int8 and int16 `quantc run`
#      equals numpy exactly (int64 wraps as numpy's does; div truncates) and
#      the x86-64 host object equals `quantc run` bit for bit on 6 samples;
#      the int8 header takes `const int64_t *` and gives `int64_t *` in
#      both entry points;
#   2. the .qg model for AArch64 (qemu-aarch64) equals `quantc run` bit for
#      bit in int8, it compiles for Cortex-M4 (i64 division on a 32-bit
#      target), and --precision auto chooses for it (measuring the float
#      output; the int64 ones are exact in every precision);
#   3. --bind: an ONNX Expand whose shape is an INT64 graph input, bound to
#      a file, equals numpy (and the model has one input fewer), and so
#      does --config's inputs.shape.bind; a .qg
#      input bound likewise folds away; a bind file of the wrong shape or
#      type, or an unknown input name, is a clear error, exit 1, and no
#      output file is written.
# Cost: about 4 s of CPU (numpy and onnx imports, 10 small compiles and
# links, one static AArch64 link under qemu).
# shellcheck shell=bash source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=../cross/boards.sh
. "$QC_SRC/tests/cross/boards.sh"
py=/usr/bin/python3
Q() { "$QUANTC" "$@"; }

cat > "$work/ints.qg" <<'EOF'
model ints
input n : i64[2,3]
input x : f32[1,4] range [-2, 2]
const c : i64[3] = [3, -7, 9223372036854775807]
const r : i64[2,1] = [-1, 0]
const two : i64[] = [2]
const half : f32[] = [0.5]
s = add(n, c)
d = sub(s, r)
p = mul(d, two)
q = div(p, r)
m = max(q, n)
k = min(m, c)
h = relu(x)
y = mul(h, half)
output k, q, y
EOF

"$py" - "$work" <<'PY'
import sys, numpy as np, onnx
from onnx import helper, TensorProto as T, numpy_helper as nh
d = sys.argv[1]
r = np.random.default_rng(5)
I64 = np.iinfo(np.int64)
n = r.integers(-1000, 1000, (6, 2, 3)).astype(np.int64)
n[0, 0, 0], n[1, 1, 2], n[2, 0, 1], n[3, 1, 0] = I64.max, I64.min, I64.min, 0
x = (r.random((6, 1, 4)) * 4 - 2).astype(np.float32)
np.save(f"{d}/n.npy", n); n.tofile(f"{d}/n.raw")
np.save(f"{d}/x.npy", x); x.tofile(f"{d}/x.raw")

def tdiv(a, b):  # ops.def: truncation, a / 0 = 0, INT64_MIN / -1 wraps
    a, b = np.broadcast_arrays(a, b)
    out = np.zeros(a.shape, np.int64)
    for i in np.ndindex(a.shape):
        p, q = int(a[i]), int(b[i])
        v = 0 if q == 0 else abs(p) // abs(q) * (1 if (p < 0) == (q < 0) else -1)
        out[i] = (v + 2**63) % 2**64 - 2**63
    return out

with np.errstate(over="ignore"):
    c = np.array([3, -7, I64.max], np.int64); rr = np.array([[-1], [0]], np.int64)
    s = n + c; dd = s - rr; p = dd * np.int64(2); q = tdiv(p, rr)
    m = np.maximum(q, n); k = np.minimum(m, c)
np.save(f"{d}/ints.ref0.npy", k); np.save(f"{d}/ints.ref1.npy", q)

# ONNX: the same kind of arithmetic on an INT64 input
vi = helper.make_tensor_value_info
nodes = [helper.make_node("Add", ["n", "c"], ["s"]), helper.make_node("Mul", ["s", "n"], ["p"]),
         helper.make_node("Sub", ["p", "r"], ["t"]), helper.make_node("Div", ["t", "c"], ["q"]),
         helper.make_node("Max", ["q", "r"], ["m"]), helper.make_node("Min", ["m", "p"], ["y"])]
g = helper.make_graph(nodes, "oi", [vi("n", T.INT64, [2, 3])], [vi("y", T.INT64, [2, 3])],
                      [nh.from_array(c, "c"), nh.from_array(rr, "r")])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), f"{d}/oi.onnx")
with np.errstate(over="ignore"):
    s = n + c; p = s * n; t = p - rr; q = tdiv(t, c); y = np.minimum(np.maximum(q, rr), p)
np.save(f"{d}/oi.ref0.npy", y)

# Expand with its shape an INT64 graph input, bound with --bind
g = helper.make_graph([helper.make_node("Expand", ["X", "shape"], ["Y"])], "ex",
                      [vi("X", T.FLOAT, [3, 1]), vi("shape", T.INT64, [3])], [vi("Y", T.FLOAT, None)])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), f"{d}/ex.onnx")
np.save(f"{d}/shape.npy", np.array([2, 1, 5], np.int64))
np.save(f"{d}/shape2.npy", np.array([2, 5], np.int64))
np.save(f"{d}/shapef.npy", np.array([2, 1, 5], np.float32))
X = r.standard_normal((3, 1)).astype(np.float32)
np.save(f"{d}/X.npy", X)
np.save(f"{d}/ex.ref.npy", np.broadcast_to(X, (2, 3, 5)))
PY

# the host program: NAME_run once per sample (ints: n, x -> k, q, y; oi: n -> y)
cat > "$work/ints.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include "ints.h"
static unsigned char arena[INTS_ARENA_SIZE + 16] __attribute__((aligned(16)));
int main(int argc, char **argv)
{
	int64_t n[6][6], k[6], q[6];
	float x[6][4], y[4];
	FILE *fn = fopen(argv[1], "rb"), *fx = fopen(argv[2], "rb"), *o = fopen(argv[3], "wb");
	(void)argc;
	if (!fn || !fx || !o || fread(n, sizeof n, 1, fn) != 1 || fread(x, sizeof x, 1, fx) != 1)
		return 1;
	for (int s = 0; s < 6; s++) {
		if (ints_run(n[s], x[s], k, q, y, arena))
			return 1;
		fwrite(k, sizeof k, 1, o), fwrite(q, sizeof q, 1, o), fwrite(y, sizeof y, 1, o);
	}
	return fclose(o) != 0;
}
EOF
cat > "$work/oi.c" <<'EOF'
#include <stdio.h>
#include "oi.h"
static unsigned char arena[OI_ARENA_SIZE + 16] __attribute__((aligned(16)));
int main(int argc, char **argv)
{
	int64_t n[6][6], y[6];
	FILE *fn = fopen(argv[1], "rb"), *o = fopen(argv[2], "wb");
	(void)argc;
	if (!fn || !o || fread(n, sizeof n, 1, fn) != 1)
		return 1;
	for (int s = 0; s < 6; s++) {
		if (oi_run(n[s], y, arena))
			return 1;
		fwrite(y, sizeof y, 1, o);
	}
	return fclose(o) != 0;
}
EOF

# exact NPY... REF...: quantc run's outputs are int64 and equal numpy's
exact() {
	"$py" -c "
import numpy as np, sys
h = len(sys.argv) // 2
n = 0
for a, b in zip(sys.argv[1:h + 1], sys.argv[h + 1:]):
    a, b = np.load(a), np.load(b)
    if a.dtype != np.int64 or a.shape != b.shape or not np.array_equal(a, b):
        print(f'  {a.dtype}{list(a.shape)} differs from numpy\'s {b.dtype}{list(b.shape)}')
        sys.exit(1)
    n += a.size
print(f'  {n} int64 values equal')" "$@"
}
# same RAW NPY...: the object's raw outputs (interleaved per sample, in the
# entry point's order) equal quantc run's, bit for bit
same() {
	"$py" -c "
import numpy as np, sys
raw, runs = open(sys.argv[1], 'rb').read(), [np.load(f) for f in sys.argv[2:]]
per = [r[0].nbytes for r in runs]
want = b''.join(b''.join(r[s].tobytes() for r in runs) for s in range(len(runs[0])))
print(f'  {len(raw)} bytes compared ({len(runs[0])} samples, outputs {[str(r.dtype) for r in runs]})')
sys.exit(0 if raw == want else 1)" "$@"
}

for p in f32 int8 int16; do
	Q run "$work/ints.qg" --precision $p --input "$work/n.npy" --input "$work/x.npy" -q \
		-o "$work/k.$p.npy" -o "$work/q.$p.npy" -o "$work/y.$p.npy" || fail "ints $p: quantc run"
	check "ints.qg $p: quantc run's two int64 outputs equal numpy's (wrapping, truncating div, x / 0 = 0)" \
		exact "$work/k.$p.npy" "$work/q.$p.npy" "$work/ints.ref0.npy" "$work/ints.ref1.npy"
	Q run "$work/oi.onnx" --precision $p -q --input "$work/n.npy" -o "$work/oi.$p.npy" || fail "oi $p: quantc run"
	check "oi.onnx $p: ONNX Add, Sub, Mul, Div, Max, Min on an INT64 input equal numpy" \
		exact "$work/oi.$p.npy" "$work/oi.ref0.npy"
	for m in ints oi; do
		d=$work/$m.$p && mkdir -p "$d" && cp "$work/$m.c" "$d/"
		if [ $m = ints ]; then
			model=$work/ints.qg args=("$work/n.raw" "$work/x.raw")
			runs=("$work/k.$p.npy" "$work/q.$p.npy" "$work/y.$p.npy")
		else
			model=$work/oi.onnx args=("$work/n.raw") runs=("$work/oi.$p.npy")
		fi
		# shellcheck disable=SC2086
		Q compile "$model" --precision $p -o "$d/$m.o" 2>/dev/null &&
			"$CC" -std=c11 -O1 -Wall -Wextra -Werror ${QC_CFLAGS:-} -I"$d" -I"$QRT_INCLUDE" \
				"$d/$m.c" "$d/$m.o" "$QRT_LIB" -lm -o "$d/run" && "$d/run" "${args[@]}" "$d/out.raw"
		check "$m $p: the x86-64 host object equals quantc run bit for bit" same "$d/out.raw" "${runs[@]}"
	done
done
check "ints int8 header: the int64 input is const int64_t *, the int64 outputs int64_t *, in both entry points" \
	sh -c "grep -F -e 'int ints_run(const int64_t *n, const float *x, int64_t *k, int64_t *q, float *y, void *arena);' \
		-e 'int ints_run_q(const int64_t *n, const int8_t *x, int64_t *k, int64_t *q, int8_t *y, void *arena);' \
		'$work/ints.int8/ints.h' | grep -c . | grep -qx 2 && grep -c 'int64_t, never quantized' '$work/ints.int8/ints.h' | grep -qx 2"

if ! cross_target aarch64-linux-gnu || ! cross_tools_present; then
	fail "aarch64: cross compiler and qemu-aarch64 installed"
else
	d=$work/a64 && mkdir -p "$d" && cp "$work/ints.c" "$d/"
	x_build_runtime "$d" &&
		Q compile "$work/ints.qg" --precision int8 -q --target aarch64-linux-gnu -o "$d/ints.o" &&
		"$x_cc" "${x_cflags[@]}" -std=c11 -O1 -I"$d" -I"$QRT_INCLUDE" "$d/ints.c" "$d/ints.o" \
			"$d"/rt_*.o "${x_ldflags[@]}" -o "$d/run" &&
		timeout 60 "${x_run[@]}" "$d/run" "$work/n.raw" "$work/x.raw" "$d/out.raw"
	check "ints int8: the AArch64 object equals quantc run bit for bit" \
		same "$d/out.raw" "$work/k.int8.npy" "$work/q.int8.npy" "$work/y.int8.npy"
fi
check "ints: --precision auto measures the float output only (int64 ones are exact) and chooses" \
	sh -c "'$QUANTC' compile '$work/ints.qg' --precision auto --min-sqnr 20 --calib n='$work/n.npy' \
		--calib x='$work/x.npy' -o '$work/auto.o' 2>&1 | grep 'chosen:'"
check "ints int8: compiles for Cortex-M4 (int64 division on a 32-bit target)" \
	Q compile "$work/ints.qg" --precision int8 -q --target thumbv7em-none-eabihf --mcpu cortex-m4 -o "$work/m4.o"

# --bind
Q run "$work/ex.onnx" --precision f32 --bind shape="$work/shape.npy" --input "$work/X.npy" -o "$work/ex.npy"
check "--bind shape=shape.npy: Expand of X [3,1] to the bound shape [2,1,5] equals numpy" "$py" -c "
import numpy as np, sys
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
print(f'  {list(a.shape)}, max |diff| {np.abs(a - b).max() if a.shape == b.shape else \"-\"}')
sys.exit(0 if a.shape == b.shape and np.array_equal(a, b) else 1)" "$work/ex.npy" "$work/ex.ref.npy"
Q compile "$work/ex.onnx" --precision f32 --bind shape="$work/shape.npy" -o "$work/ex.o"
check "--bind: the compiled Expand model has one input, X" \
	sh -c "grep -c '_INPUT[0-9]_SIZE' '$work/ex.h' | grep -qx 1 && grep -q 'const float \*X' '$work/ex.h'"
"$py" -c "import numpy as np; np.save('$work/n1.npy', np.load('$work/n.npy')[1])"
check "--bind on a .qg input: the model's outputs equal the unbound model's for that value" sh -c "
	'$QUANTC' run '$work/ints.qg' --precision f32 --bind n='$work/n1.npy' --input '$work/x.npy' \
		-o '$work/b0.npy' -o '$work/b1.npy' -o '$work/b2.npy' &&
	'$py' -c \"import numpy as np; a, b = np.load('$work/b0.npy'), np.load('$work/k.f32.npy'); print('  ', a.shape, a.dtype); exit(0 if np.array_equal(a[0], b[1]) else 1)\""
mkdir -p "$work/cfg" && cp "$work/shape.npy" "$work/cfg/s.npy"
printf 'inputs:\n  shape: {bind: s.npy}\n' > "$work/cfg/b.yaml"
Q run "$work/ex.onnx" --precision f32 --config "$work/cfg/b.yaml" --input "$work/X.npy" -o "$work/exc.npy"
check "--config's inputs.shape.bind (a path relative to the file): the same result as --bind" \
	cmp "$work/exc.npy" "$work/ex.npy"
bad() { # bad WHAT PATTERN ARGS...: exit 1, the message, no output file
	local what=$1 pat=$2
	shift 2
	rm -f "$work/bad.o" "$work/bad.h"
	Q compile "$@" -o "$work/bad.o" > "$work/bad.log" 2>&1
	local rc=$?
	sed 's/^/  /' "$work/bad.log"
	check "$what: exit 1, the error, no output file" \
		sh -c "[ $rc = 1 ] && grep -q \"$pat\" '$work/bad.log' && ! [ -e '$work/bad.o' ] && ! [ -e '$work/bad.h' ]"
}
bad "a bind file of the wrong shape" "shape2.npy: error: --bind: input 'shape' is i64\[3\], the file holds i64\[2\]" \
	"$work/ex.onnx" --precision f32 --bind shape="$work/shape2.npy"
bad "a bind file of the wrong type" "shapef.npy: error: --bind: input 'shape' is i64\[3\], the file holds f32\[3\]" \
	"$work/ex.onnx" --precision f32 --bind shape="$work/shapef.npy"
bad "a bind of an input the model does not have" "error: --bind sh=.*: the model has no input named 'sh'" \
	"$work/ex.onnx" --precision f32 --bind sh="$work/shape.npy"
printf 'model mix\ninput n : i64[2]\nconst c : f32[2] = [1, 2]\ny = add(n, c)\noutput y\n' > "$work/mix.qg"
bad "an i64 operand mixed with f32" "mix.qg:4:1: error: add: operand 'c' is f32, 'n' is i64" \
	"$work/mix.qg" --precision f32
finish
