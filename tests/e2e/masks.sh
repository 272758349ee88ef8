# masks.sh — comparisons, where and u8 masks (docs/language.md: masks) end
# to end:
#   1. each comparison (equal, less, greater, less_equal, greater_equal) in
#      y = where(op(x, c), x, c): f32 is numpy's bit for bit; in int8 and
#      int16 the host object equals `quantc run` bit for bit (inputs on a
#      grid of quarters, so that equal holds for some elements);
#   2. ONNX: x * Cast(Greater(x, 0.5), FLOAT) and Where(Less(x, t), x, 0)
#      import, f32 equals numpy bit for bit, int8 and int16 (--calib) are
#      within two output steps of f32 wherever x is more than an input step
#      from the threshold (nearer, the quantized x may compare either way),
#      and their host objects equal the interpreter bit for bit;
#   3. a Where whose condition is no mask is refused with a reason;
#   4. int8 comparisons are TFLite's (left shift 8, each operand scaled by its
#      own scale): a quantized model's masks equal a numpy reimplementation
#      of that formula for all five comparisons, its host object the
#      interpreter's; int16 operands of one scale compare the stored values;
#   5. not, and, or, xor, Cast to BOOL (to_bool), a BOOL graph input and a
#      BOOL output (ONNX): f32 equals numpy bit for bit, int8 / int16 Cast to
#      BOOL is exact (q != zp), the header takes and returns uint8_t, and the
#      host object (tests/onnx_conformance/driver.c) equals `quantc run` bit
#      for bit in f32, int8 and int16.
# Cost: about 9 s of CPU (21 compiles and links, 30 python starts).
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3

"$py" -c "
import numpy as np, sys
rng = np.random.default_rng(11)
np.save(sys.argv[1] + '/x.npy', (rng.integers(-8, 9, size=(32, 1, 2, 3, 4)) / 4).astype(np.float32).reshape(32, 1, 2, 3, 4)[:, 0])
np.save(sys.argv[1] + '/lab.npy', np.zeros(32, np.int32))" "$work"

# object_equals MODEL PREC [OPTIONS]: the host object's outputs equal the
# interpreter's bit for bit
object_equals() {
	local m=$1 p=$2 base
	base=$(basename "${m%.*}")
	shift 2
	mkdir -p "$work/$p.$base"
	"$QUANTC" run "$m" --precision "$p" "$@" --input "$work/x.npy" -o "$work/i.$p.$base.npy" 2> /dev/null &&
		"$QUANTC" compile "$m" --precision "$p" "$@" -o "$work/$p.$base/$base.o" 2> /dev/null &&
		link_demo "$base" "$work/$p.$base/$base.o" "$work/$p.$base/demo" &&
		"$work/$p.$base/demo" "$work/x.npy" "$work/lab.npy" "$work/o.$p.$base.npy" > /dev/null &&
		"$py" -c "
import numpy as np, sys
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
sys.exit(0 if a.size == b.size and np.array_equal(a.reshape(b.shape).view(np.uint32), b.view(np.uint32)) else 1)" \
			"$work/o.$p.$base.npy" "$work/i.$p.$base.npy"
}

for op in equal less greater less_equal greater_equal; do
	cat > "$work/m_$op.qg" <<EOF
model m_$op
input x : f32[1,2,3,4] range [-2, 2]
const c : f32[2,1,1] = [0.5, -0.25]
m = $op(x, c)
y = where(m, x, c)
output y
EOF
	"$QUANTC" run "$work/m_$op.qg" --precision f32 --input "$work/x.npy" -o "$work/f_$op.npy"
	check "$op f32: numpy's where(x $op c, x, c) bit for bit" "$py" -c "
import numpy as np, sys
x, y = np.load(sys.argv[1]), np.load(sys.argv[2])
c = np.array([0.5, -0.25], np.float32).reshape(2, 1, 1)
m = getattr(np, sys.argv[3])(x, c)
sys.exit(0 if m.any() and not m.all() and np.array_equal(np.where(m, x, c).view(np.uint32), y.view(np.uint32)) else 1)" \
		"$work/x.npy" "$work/f_$op.npy" "$op"
	for p in int8 int16; do
		check "$op $p: the host object equals quantc run bit for bit" object_equals "$work/m_$op.qg" $p
	done
done

"$py" - "$work" <<'EOF'
import sys
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
d = sys.argv[1]
X = helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 2, 3, 4])
Y = helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 2, 3, 4])
half = numpy_helper.from_array(np.array(0.5, np.float32), 'half')
zero = numpy_helper.from_array(np.array(0.0, np.float32), 'zero')
t = numpy_helper.from_array(np.array([0.25, -0.5, 1.0, 0.0], np.float32), 't')
g1 = helper.make_graph([
    helper.make_node('Greater', ['x', 'half'], ['m']),
    helper.make_node('Cast', ['m'], ['mf'], to=TensorProto.FLOAT),
    helper.make_node('Mul', ['x', 'mf'], ['y'])], 'castmask', [X], [Y], [half])
g2 = helper.make_graph([
    helper.make_node('Less', ['x', 't'], ['m']),
    helper.make_node('Where', ['m', 'x', 'zero'], ['y'])], 'wheremask', [X], [Y], [t, zero])
g3 = helper.make_graph([
    helper.make_node('Where', ['x', 'x', 'zero'], ['y'])], 'badwhere', [X], [Y], [zero])
for g in (g1, g2, g3):
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]), f'{d}/{g.name}.onnx')
EOF
for m in castmask wheremask; do
	"$QUANTC" run "$work/$m.onnx" --precision f32 --input "$work/x.npy" -o "$work/f_$m.npy"
	check "$m f32: numpy's result bit for bit" "$py" -c "
import numpy as np, sys
x, y = np.load(sys.argv[1]), np.load(sys.argv[2])
t = np.array([0.25, -0.5, 1.0, 0.0], np.float32)
r = x * (x > 0.5).astype(np.float32) if sys.argv[3] == 'castmask' else np.where(x < t, x, np.float32(0))
sys.exit(0 if np.array_equal(r.view(np.uint32), y.view(np.uint32)) else 1)" "$work/x.npy" "$work/f_$m.npy" $m
	for p in int8 int16; do
		check "$m $p: the host object equals quantc run bit for bit" \
			object_equals "$work/$m.onnx" $p --calib "$work/x.npy"
		check "$m $p: within two output steps (4/255 of the range) of f32 off the threshold" "$py" -c "
import numpy as np, sys
a, b, x = np.load(sys.argv[1]), np.load(sys.argv[2]), np.load(sys.argv[3])
t = np.float32(0.5) if sys.argv[4] == 'castmask' else np.array([0.25, -0.5, 1.0, 0.0], np.float32)
far = np.abs(x - t) > 4 / 255 # an input within a step of t may compare either way
print('   ', far.sum(), 'of', far.size, 'elements off the threshold; max error', np.abs(a - b)[far].max())
sys.exit(0 if np.abs(a - b)[far].max() <= 2 * 4 / 255 else 1)" "$work/i.$p.$m.npy" "$work/f_$m.npy" "$work/x.npy" $m
	done
done
"$QUANTC" run "$work/badwhere.onnx" --precision f32 --input "$work/x.npy" -o "$work/bad.npy" 2> "$work/bad.err"
rc=$?
check "a Where of a float condition: exit 1, a reason, no output" \
	test $rc = 1 -a ! -e "$work/bad.npy"
grep -q "error: node .*(Where).*condition must be a comparison" "$work/bad.err" &&
	ok "the reason: $(grep -m1 error: "$work/bad.err")" || fail "the reason names the condition: $(cat "$work/bad.err")"

# The conformance runner's generic host program: raw files in and out
# (float32, uint8_t for a bool mask).
drv=$QC_SRC/tests/onnx_conformance/driver.c
# shellcheck disable=SC2086
"$CC" -std=c11 -O1 ${QC_CFLAGS:-} -I"$QRT_INCLUDE" -c "$drv" -o "$work/driver.o" || fail "driver.c compiles"

# object_raw MODEL PREC NAME INPUT... -- OPTIONS: compiles MODEL, runs it
# through driver.c on sample 0 of each input .npy and leaves the outputs as
# $work/NAME.c_K.raw; the interpreter's as $work/NAME.r_K.npy
object_raw() {
	local m=$1 p=$2 n=$3 ins=() rins=() outs=() routs=() f k=0
	shift 3
	while [ "$1" != -- ]; do
		"$py" -c "
import numpy as np, sys
a = np.load(sys.argv[1])[0]
(a if a.dtype == np.bool_ else a.astype(np.float32)).tofile(sys.argv[2])" "${1#*=}" "$work/$n.in$k.raw"
		ins+=("$work/$n.in$k.raw") rins+=(--input "$1")
		k=$((k + 1))
		shift
	done
	shift
	"$QUANTC" compile "$m" --precision "$p" --name model "$@" -o "$work/$n/model.o" 2> "$work/$n.err" || return 1
	# shellcheck disable=SC2086
	"$CC" ${QC_CFLAGS:-} "$work/$n/model.o" "$work/driver.o" "$QRT_LIB" -lm -o "$work/$n/exe" || return 1
	for k in 0 1; do outs+=("$work/$n.c_$k.raw") routs+=(-o "$work/$n.r_$k.npy"); done
	"$work/$n/exe" "${ins[@]}" "${outs[@]}" && "$QUANTC" run "$m" --precision "$p" "$@" "${rins[@]}" "${routs[@]}" 2> /dev/null
}

# raw_equals NAME: the object's two outputs (a bool mask, float32) equal
# the interpreter's sample 0 bit for bit
raw_equals() {
	"$py" -c "
import numpy as np, sys
w, n = sys.argv[1], sys.argv[2]
ok = True
for k in (0, 1):
    r = np.load(f'{w}/{n}.r_{k}.npy')[0]
    c = np.fromfile(f'{w}/{n}.c_{k}.raw', np.uint8 if r.dtype == np.bool_ else np.float32)
    ok &= c.size == r.size and np.array_equal(c, r.ravel().view(np.uint8 if r.dtype == np.bool_ else np.float32))
print('    outputs', [np.load(f'{w}/{n}.r_{k}.npy').dtype.name for k in (0, 1)], 'equal' if ok else 'differ')
sys.exit(0 if ok else 1)" "$work" "$1"
}

# 4. TFLite's quantized comparisons: a model whose inputs are already int8
# (q(scale, zp) given), fed float values on their grid so that every q from
# -128 to 127 occurs in each operand.
mkdir -p "$work/tq8" "$work/tq16"
{
	echo "model tq8"
	echo "input a : i8[2,256] q(scale=0.02, zp=3)"
	echo "input b : i8[2,256] q(scale=0.0157, zp=-5)"
	for op in equal less greater less_equal greater_equal; do echo "m_$op = $op(a, b)"; done
	echo "output m_equal, m_less, m_greater, m_less_equal, m_greater_equal"
} > "$work/tq8.qg"
"$py" - "$work" <<'EOF2'
import sys
import numpy as np
w = sys.argv[1]
rng = np.random.default_rng(3)
qa = np.stack([np.arange(-128, 128), rng.integers(-128, 128, 256)])
qb = np.stack([rng.integers(-128, 128, 256), np.arange(-128, 128)])
# equal needs hits: b's second row takes a's values where the reals agree
qb[0, :64] = np.round((np.float32(0.02) * (qa[0, :64] - 3)) / np.float32(0.0157) - 5).clip(-128, 127)
np.save(w + '/qa.npy', (np.float32(0.02) * (qa - 3).astype(np.float32))[None])
np.save(w + '/qb.npy', (np.float32(0.0157) * (qb + 5).astype(np.float32))[None])
np.save(w + '/qa_q.npy', qa)
np.save(w + '/qb_q.npy', qb)
s16 = np.float32(0.001)
qc, qd = rng.integers(-3000, 3000, (2, 300)), rng.integers(-3000, 3000, (2, 300))
qd[:, :50] = qc[:, :50]
np.save(w + '/qc.npy', (s16 * qc.astype(np.float32))[None])
np.save(w + '/qd.npy', (s16 * qd.astype(np.float32))[None])
np.save(w + '/qc_q.npy', qc)
np.save(w + '/qd_q.npy', qd)
EOF2
ops="equal less greater less_equal greater_equal"
# shellcheck disable=SC2046
"$QUANTC" run "$work/tq8.qg" --precision int8 --input a="$work/qa.npy" --input b="$work/qb.npy" \
	$(for op in $ops; do echo -o "m_$op=$work/tq8_$op.npy"; done)
check "int8 comparisons: TFLite's formula (left shift 8, mbqm by each operand's own scale) on every q" "$py" - "$work" <<'EOF2'
import math, sys
import numpy as np
w = sys.argv[1]
def qmul(m):  # TFLite QuantizeMultiplier
    q, e = math.frexp(m)
    f = round(q * 2**31) if q * 2**31 - math.floor(q * 2**31) != 0.5 else math.floor(q * 2**31) + 1
    if f == 2**31:
        f, e = f // 2, e + 1
    return f, e
def srdhm(a, b):
    ab = a * b
    n = ab + (1 << 30 if ab >= 0 else 1 - (1 << 30))
    return abs(n) // 2**31 * (1 if n >= 0 else -1)
def rdbpot(x, e):
    mask = (1 << e) - 1
    return (x >> e) + ((x & mask) > (mask >> 1) + (x < 0))
def scaled(q, zp, s):
    m, e = qmul(float(np.float32(s)))
    assert e <= 0
    return rdbpot(srdhm((int(q) - zp) * 256, m), -e)
qa, qb = np.load(w + '/qa_q.npy').ravel(), np.load(w + '/qb_q.npy').ravel()
A = [scaled(x, 3, 0.02) for x in qa]
B = [scaled(x, -5, 0.0157) for x in qb]
fns = {'equal': lambda x, y: x == y, 'less': lambda x, y: x < y, 'greater': lambda x, y: x > y,
       'less_equal': lambda x, y: x <= y, 'greater_equal': lambda x, y: x >= y}
ok = True
for op, f in fns.items():
    got = np.load(f'{w}/tq8_{op}.npy').ravel()
    want = np.array([f(x, y) for x, y in zip(A, B)])
    real = f(np.float32(0.02) * (qa - 3), np.float32(0.0157) * (qb + 5))
    print(f'    {op}: {want.sum()} of {want.size} true, {(got != want).sum()} differ from the formula'
          f' ({(want != real).sum()} from the exact real comparison)')
    ok &= got.dtype == np.bool_ and np.array_equal(got, want)
sys.exit(0 if ok else 1)
EOF2
{
	echo "model tq16"
	echo "input a : i16[2,300] q(scale=0.001)"
	echo "input b : i16[2,300] q(scale=0.001)"
	echo "m = less_equal(a, b)"
	echo "e = equal(a, b)"
	echo "output m, e"
} > "$work/tq16.qg"
"$QUANTC" run "$work/tq16.qg" --precision int16 --input a="$work/qc.npy" --input b="$work/qd.npy" \
	-o m="$work/tq16_m.npy" -o e="$work/tq16_e.npy"
check "int16 comparisons of one scale: the stored values compared (TFLite's int16 rule)" "$py" -c "
import numpy as np, sys
w = sys.argv[1]
qc, qd = np.load(w + '/qc_q.npy'), np.load(w + '/qd_q.npy')
m, e = np.load(w + '/tq16_m.npy')[0], np.load(w + '/tq16_e.npy')[0]
print('    less_equal', m.sum(), 'true, equal', e.sum(), 'true of', m.size)
sys.exit(0 if np.array_equal(m, qc <= qd) and np.array_equal(e, qc == qd) else 1)" "$work"
for t in tq8:int8:less tq16:int16:m; do
	IFS=: read -r m p o <<< "$t"
	i1=$work/qa.npy i2=$work/qb.npy
	[ "$m" = tq16 ] && i1=$work/qc.npy i2=$work/qd.npy
	"$py" -c "
import sys
print(open(sys.argv[1]).read().replace('output m_equal, m_less, m_greater, m_less_equal, m_greater_equal', 'output m_less, m_equal').replace('output m, e', 'output m, e'))" "$work/$m.qg" > "$work/${m}o.qg"
	mkdir -p "$work/${m}o"
	check "$m $p: the host object's masks equal quantc run bit for bit" \
		object_raw "$work/${m}o.qg" "$p" "${m}o" a="$i1" b="$i2" -- &&
		check "$m $p: both outputs" raw_equals "${m}o"
done

# 5. not, and, or, xor, Cast to BOOL, a BOOL input and a BOOL output
"$py" - "$work" <<'EOF2'
import sys
import numpy as np
import onnx
from onnx import TensorProto as T, helper as h
d = sys.argv[1]
X = h.make_tensor_value_info('x', T.FLOAT, [2, 3, 4])
B = h.make_tensor_value_info('b', T.BOOL, [3, 1])
Y = h.make_tensor_value_info('y', T.BOOL, [2, 3, 4])
Z = h.make_tensor_value_info('z', T.FLOAT, [2, 3, 4])
q = h.make_tensor('q', T.FLOAT, [], [0.25])
zero = h.make_tensor('zero', T.FLOAT, [], [0.0])
g = h.make_graph([
    h.make_node('Cast', ['x'], ['nz'], to=T.BOOL),
    h.make_node('Greater', ['x', 'q'], ['gt']),
    h.make_node('Not', ['b'], ['nb']),
    h.make_node('And', ['gt', 'nb'], ['a']),
    h.make_node('Or', ['nz', 'b'], ['o']),
    h.make_node('Xor', ['a', 'o'], ['y']),
    h.make_node('Cast', ['nz'], ['nzb'], to=T.BOOL),
    h.make_node('Where', ['nzb', 'x', 'zero'], ['w']),
    h.make_node('Cast', ['y'], ['yf'], to=T.FLOAT),
    h.make_node('Add', ['w', 'yf'], ['z'])], 'logic', [X, B], [Y, Z], [q, zero])
onnx.save(h.make_model(g, opset_imports=[h.make_opsetid('', 13)]), d + '/logic.onnx')
x = np.load(d + '/x.npy').reshape(32, 2, 3, 4)  # quarters from -2 to 2, zeros among them
np.save(d + '/lx.npy', x)
np.save(d + '/lb.npy', np.random.default_rng(5).integers(0, 2, (32, 3, 1)).astype(bool))
EOF2
"$QUANTC" run "$work/logic.onnx" --precision f32 --input x="$work/lx.npy" --input b="$work/lb.npy" \
	-o y="$work/lf_y.npy" -o z="$work/lf_z.npy"
check "logic f32: y (bool) and z equal numpy's bit for bit" "$py" -c "
import numpy as np, sys
w = sys.argv[1]
x, b = np.load(w + '/lx.npy'), np.load(w + '/lb.npy')[:, None]
nz = x != 0
y = ((x > 0.25) & ~b) ^ (nz | b)
z = np.where(nz, x, np.float32(0)) + y.astype(np.float32)
gy, gz = np.load(w + '/lf_y.npy'), np.load(w + '/lf_z.npy')
print('    y:', gy.dtype, gy.sum(), 'of', gy.size, 'true; x == 0 in', (~nz).sum(), 'elements')
sys.exit(0 if gy.dtype == np.bool_ and np.array_equal(gy, y) and np.array_equal(gz.view(np.uint32), z.view(np.uint32)) else 1)" "$work"
for p in int8 int16; do
	"$QUANTC" run "$work/logic.onnx" --precision $p --calib x="$work/lx.npy" --calib b="$work/lb.npy" \
		--input x="$work/lx.npy" --input b="$work/lb.npy" -o y="$work/l${p}_y.npy" -o z="$work/l${p}_z.npy"
	check "logic $p: Cast to BOOL exact (q != zp: the mask is numpy's x != 0 wherever x is off 0.25)" "$py" -c "
import numpy as np, sys
w, p = sys.argv[1], sys.argv[2]
x, b = np.load(w + '/lx.npy'), np.load(w + '/lb.npy')[:, None]
y = ((x > 0.25) & ~b) ^ ((x != 0) | b)
far = x != np.float32(0.25)
sys.exit(0 if np.array_equal(np.load(f'{w}/l{p}_y.npy')[far], y[far]) else 1)" "$work" $p
done
for p in f32 int8 int16; do
	mkdir -p "$work/logic_$p"
	opts=()
	[ $p = f32 ] || opts=(--calib x="$work/lx.npy" --calib b="$work/lb.npy")
	check "logic $p: the host object equals quantc run bit for bit (bool y, float z)" \
		object_raw "$work/logic.onnx" $p "logic_$p" x="$work/lx.npy" b="$work/lb.npy" -- "${opts[@]}" &&
		raw_equals "logic_$p"
done
check "logic: the header takes the BOOL input and returns the BOOL output as uint8_t" \
	grep -q "int model_run(const float \*x, const uint8_t \*b, uint8_t \*y, float \*z, void \*arena);" "$work/logic_f32/model.h"
finish
