# shape_ops.sh — the shape ops on run-time tensors (slice, gather, expand,
# resize; ONNX Slice, Split, Gather, Expand, Tile, DepthToSpace,
# SpaceToDepth, Resize) end to end.  About 8 s of CPU.
#   1. f32: each ONNX case of tests/e2e/shape_ops.py (negative and clamped
#      starts/ends, negative steps, several axes; split sizes as input,
#      attribute or equal parts; scalar, 1-D and 2-D gather indices;
#      two-way broadcast; every coordinate transformation and nearest
#      rounding of Resize, up and down, scales and sizes) run by the
#      interpreter equals NumPy bit for bit, or onnxruntime (nearest bit for
#      bit, linear within 1e-5 relative);
#   2. int8 and int16 (and f32): two models holding every IR op of the
#      family's new rows, in several forms each, compile, and the host
#      object (linked with the conformance runner's driver) computes what
#      `quantc run` does, bit for bit, every output; int8 and int16 compile
#      for every target of --list-targets;
#   3. int16 elements that are only moved (slice, gather, expand, nearest)
#      are f32's within half a quantization step;
#   4. bad input is refused with the reason and exit 1: an out-of-range
#      gather index, a step of 0, a shape expand cannot broadcast to, cubic
#      Resize, linear Resize with tf_half_pixel_for_nn.
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
: "${QC_NODE_PREFIX:=/opt/quantc-node}"
export NODE_PATH=$QC_NODE_PREFIX/node_modules
m=$work/m
mkdir -p "$m"

# ---- 1. f32 against NumPy and onnxruntime ----------------------------------------
check "shape_ops.py writes the models" "$py" "$QC_SRC/tests/e2e/shape_ops.py" "$m"
# compare: reads "GOT REF TOL TEXT" lines and reports each: equal bit for
# bit (TOL 0) or within TOL relative ("FILE.raw": the driver's float32);
# one Python for all, which is most of this test's time
compare() {
	local st what
	while IFS=$'\t' read -r st what; do
		if [ "$st" = ok ]; then ok "$what"; else fail "$what"; fi
	done < <("$py" -c '
import numpy as np, sys
for line in sys.stdin:
    got, ref, tol, what = line.rstrip("\n").split(" ", 3)
    try:
        a = np.fromfile(got, np.float32) if got.endswith(".raw") else np.load(got).ravel()
        b, t = np.load(ref).ravel(), float(tol)
        ok = a.size == b.size and (np.array_equal(a.view(np.uint32), b.view(np.uint32)) if t == 0
                                   else np.allclose(a, b, rtol=t, atol=t * np.abs(b).max()))
    except OSError:
        ok = False
    print("ok" if ok else "FAIL", what, sep="\t")')
}
while read -r name ref; do
	"$QUANTC" run "$m/$name.onnx" -q --precision f32 --input "$m/${name}_x.npy" -o "$m/${name}_y.npy"
	tol=0
	if [ "$ref" = ort ]; then
		node "$QC_SRC/tests/tools/ort_run.js" "$m/$name.onnx" "$m/${name}_x.npy" "$m/${name}_ref.npy" \
			--batch 1 2> /dev/null
		case $name in rs_lin*) tol=1e-5 ;; esac
		ref=onnxruntime
	else
		ref=NumPy
	fi
	echo "$m/${name}_y.npy $m/${name}_ref.npy $tol $name: f32 equals $ref ($([ "$tol" = 0 ] && echo "bit for bit" || echo "within $tol"))"
done < "$m/cases.txt" > "$m/f32.cmp"
compare < "$m/f32.cmp"

# ---- 2. the objects against the interpreter ---------------------------------------
# (the driver takes at most three outputs: three models)
cat > "$m/moves.qg" <<'EOF'
model moves
input x : f32[1,4,6,6] range [-4, 3]
const i : i64[2,2] = [3, -1, 0, 5]
a = slice(x) { starts = [5, -1, 0], ends = [-100, 0, 6], axes = [2, 1, 3], steps = [-2, -1, 2] }
b = gather(x, i) { axis = 3 }
e0 = slice(x) { starts = [0], ends = [1], axes = [1] }
e = expand(e0) { shape = [2, 1, 4, 6, 6] }
output a
output b
output e
EOF
cat > "$m/resize1.qg" <<'EOF'
model resize1
input x : f32[1,3,5,7] range [-4, 3]
const s0 : f32[4] = [1, 1, 2, 1.5]
const s1 : f32[4] = [1, 1, 2, 2]
const s2 : f32[4] = [1, 1, 1.5, 0.6]
r = resize(x, s0) { shape = [1,3,10,10], mode = nearest_prefer_ceil, coord = half_pixel }
h = resize(x, s1) { shape = [1,3,10,14], mode = linear, coord = half_pixel }
a = resize(x, s2) { shape = [1,3,7,4], mode = linear, coord = asymmetric }
output r
output h
output a
EOF
cat > "$m/resize2.qg" <<'EOF'
model resize2
input x : f32[1,3,5,7] range [-4, 3]
const s3 : f32[4] = [1, 1, 0.4, 0.42857143]
const s4 : f32[4] = [1, 1, 1.8, 1]
c = resize(x, s4) { shape = [1,3,9,7], mode = linear, coord = align_corners }
p = resize(x, s3) { shape = [1,3,2,3], mode = linear, coord = pytorch_half_pixel }
output c
output p
EOF
"$py" -c "
import numpy as np, sys
rng = np.random.default_rng(7)
for name, shape in (('moves', (1, 4, 6, 6)), ('resize1', (1, 3, 5, 7)), ('resize2', (1, 3, 5, 7))):
    x = rng.uniform(-4, 3, size=shape).astype(np.float32)
    np.save(f'{sys.argv[1]}/{name}_x.npy', x)
    x.tofile(f'{sys.argv[1]}/{name}_x.raw')" "$m"
# shellcheck disable=SC2086
"$CC" -std=c11 -O1 ${QC_CFLAGS:-} -I"$QRT_INCLUDE" -c "$QC_SRC/tests/onnx_conformance/driver.c" -o "$work/driver.o"
for mod in moves resize1 resize2; do
	outs=$(sed -n 's/^output //p' "$m/$mod.qg")
	for p in f32 int8 int16; do
		d=$m/$mod.$p
		mkdir -p "$d"
		runo=() raws=()
		for o in $outs; do
			runo+=(-o "$d/$o.npy")
			raws+=("$d/$o.raw")
		done
		"$QUANTC" run "$m/$mod.qg" -q --precision $p --input "$m/${mod}_x.npy" "${runo[@]}"
		check "$mod $p: compiles" "$QUANTC" compile "$m/$mod.qg" -q --precision $p --name model -o "$d/m.o"
		# shellcheck disable=SC2086
		"$CC" ${QC_CFLAGS:-} "$d/m.o" "$work/driver.o" "$QRT_LIB" -lm -o "$d/exe" &&
			"$d/exe" "$m/${mod}_x.raw" "${raws[@]}"
		for o in $outs; do
			echo "$d/$o.raw $d/$o.npy 0 $mod $p: output $o of the host object equals quantc run bit for bit"
		done >> "$m/obj.cmp"
	done
done
compare < "$m/obj.cmp"
for t in $("$QUANTC" compile "$m/moves.qg" --list-targets | awk '{print $1}'); do
	for p in int8 int16; do
		check "$p: the three models compile for $t" sh -c 'for f in moves resize1 resize2; do
			"$1" compile "$2/$f.qg" -q --precision "$3" --target "$4" -o "$2/t.o" || exit 1; done' - \
			"$QUANTC" "$m" "$p" "$t"
	done
done

# ---- 3. moved int16 elements are f32's --------------------------------------------
for mod in moves resize1; do
	"$QUANTC" opt "$m/$mod.qg" --precision int16 --passes infer-shapes,propagate-ranges,quantize > "$m/$mod.16.qg"
done
check "int16: slice, gather, expand and nearest resize keep f32's values within half a step" "$py" -c '
import re, sys, numpy as np
d = sys.argv[1]
for mod, outs in (("moves", "abe"), ("resize1", "r")):
    s = float(re.search(r"input x : i16\[[^]]*\] q\(scale=([^,]*),", open(f"{d}/{mod}.16.qg").read()).group(1))
    for o in outs:
        f, q = np.load(f"{d}/{mod}.f32/{o}.npy"), np.load(f"{d}/{mod}.int16/{o}.npy")
        if not np.abs(f - q).max() <= s / 2 * 1.0001:
            sys.exit(1)' "$m"

# ---- 4. bad input -------------------------------------------------------------------
# refused FILE TEXT: quantc opt FILE fails (exit 1) naming TEXT
refused() {
	local out rc
	out=$("$QUANTC" opt "$1" --passes infer-shapes 2>&1 > /dev/null)
	rc=$?
	[ $rc -eq 1 ] && printf '%s' "$out" | grep -qF -- "$2"
}
bad() { printf 'model bad\ninput x : f32[1,3,4,5]\n%s\noutput y\n' "$2" > "$m/$1.qg"; }
bad gidx 'const i : i64[2] = [1, 4]
y = gather(x, i) { axis = 2 }'
check "gather: an index out of range is refused" refused "$m/gidx.qg" "gather: index 4 of 'i' is out of range [-4, 4)"
bad step0 'y = slice(x) { starts = [0], ends = [2], axes = [1], steps = [0] }'
check "slice: a step of 0 is refused" refused "$m/step0.qg" "no step 0"
bad bcast 'y = expand(x) { shape = [1,3,3,5] }'
check "expand: a shape x does not broadcast to is refused" refused "$m/bcast.qg" "does not broadcast to the shape [1,3,3,5]"
bad nnlin 'const s : f32[4] = [1, 1, 2, 2]
y = resize(x, s) { shape = [1,3,8,10], mode = linear, coord = tf_half_pixel_for_nn }'
check "resize: linear with tf_half_pixel_for_nn is refused" refused "$m/nnlin.qg" "tf_half_pixel_for_nn is for nearest only"
"$py" -c "
import onnx, sys
from onnx import helper as h, TensorProto as T
n = h.make_node('Resize', ['x', '', 'sc'], ['y'], mode='cubic')
g = h.make_graph([n], 'c', [h.make_tensor_value_info('x', T.FLOAT, [1, 1, 2, 2])],
                 [h.make_tensor_value_info('y', T.FLOAT, None)],
                 [h.make_tensor('sc', T.FLOAT, [4], [1, 1, 2, 2])])
onnx.save(h.make_model(g, opset_imports=[h.make_opsetid('', 13)]), sys.argv[1])" "$m/cubic.onnx"
check "Resize: mode cubic is refused by name" refused "$m/cubic.onnx" "mode 'cubic' is not supported"
finish
