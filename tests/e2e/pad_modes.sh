# pad_modes.sh — pad's modes (constant, reflect, edge, wrap, symmetric) end
# to end, and ONNX Pad's.  About 8 s of CPU.
#   1. f32: every mode on rank-4 and rank-3 inputs (2 x rank and 4-value
#      pads, each up to its mode's bound on some axis), run by the
#      interpreter, equals numpy.pad bit for bit on 4 samples;
#   2. f32, int8, int16: the x86-64 host object equals `quantc run` bit for
#      bit, every output; int8 and int16 copy x's integers: each result is
#      numpy.pad (same mode) of its own interior (x as quantized); rank4
#      compiles for every target of --list-targets in each precision;
#   3. ONNX Pad reflect, edge, wrap (opset 19), negative pads (a crop alone,
#      and a crop with wrap on the same axis), the attribute form (opset 2,
#      edge) and the axes input (opset 18, reflect): f32 equals onnxruntime
#      bit for bit;
#   4. bad input is refused with the reason and exit 1: reflect by the
#      axis's size, wrap and symmetric by more, a value outside constant
#      mode, an unknown pad_mode word; ONNX reflect by the size, mode
#      'symmetric' (not ONNX's), a crop of a whole axis.
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
: "${QC_NODE_PREFIX:=/opt/quantc-node}"
export NODE_PATH=$QC_NODE_PREFIX/node_modules
m=$work/m
mkdir -p "$m"
n=4 # samples
# judge: reads "ok|FAIL<TAB>what" lines (a Python's verdicts) into lib.sh's counts
judge() {
	local st what
	while IFS=$'\t' read -r st what; do
		if [ "$st" = ok ]; then ok "$what"; else fail "$what"; fi
	done
}

# ---- the .qg models: each names its numpy.pad per output -----------------------------
cat > "$m/rank4.qg" <<'EOF'
model rank4
input x : f32[1,2,3,4] range [-4, 3]
r = pad(x) { pads = [0,1,2,3,0,0,1,2], pad_mode = reflect }
e = pad(x) { pads = [0,2,5,0,0,0,0,7], pad_mode = edge }
w = pad(x) { pads = [0,1,3,1,0,2,0,4], pad_mode = wrap }
s = pad(x) { pads = [0,0,3,4,0,2,1,4], pad_mode = symmetric }
output r, e, w, s
EOF
cat > "$m/rank3.qg" <<'EOF'
model rank3
input x : f32[1,5,6] range [-2, 5]
c = pad(x) { pads = [2,1,0,3], value = -1.25 }
r = pad(x) { pads = [4,5,1,0], pad_mode = reflect }
w = pad(x) { pads = [0,5,6,0,0,6], pad_mode = wrap }
s = pad(x) { pads = [0,0,0,0,5,1], pad_mode = symmetric }
output c, r, w, s
EOF
# numpy.pad's arguments of each output, per sample ([N, ...] axis 0 not padded)
cat > "$m/ref.txt" <<'EOF'
rank4 r reflect 0 0 1 0 2 1 3 2
rank4 e edge 0 0 2 0 5 0 0 7
rank4 w wrap 0 0 1 2 3 0 1 4
rank4 s symmetric 0 0 0 2 3 1 4 4
rank3 c constant:-1.25 0 0 2 0 1 3
rank3 r reflect 0 0 4 1 5 0
rank3 w wrap 0 0 5 0 6 6
rank3 s symmetric 0 0 0 5 0 1
EOF
"$py" - "$m" "$n" <<'EOF'
import sys
import numpy as np
m, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(19)
for name, shape, lo, hi in (("rank4", (n, 2, 3, 4), -4, 3), ("rank3", (n, 5, 6), -2, 5)):
    x = rng.uniform(lo, hi, size=shape).astype(np.float32)
    np.save(f"{m}/{name}_x.npy", x)
    x.tofile(f"{m}/{name}_x.raw")
EOF

# ---- 1. f32 against numpy.pad -----------------------------------------------------------
for mod in rank4 rank3; do
	runo=()
	for o in $(sed -n 's/^output //p' "$m/$mod.qg" | tr -d ','); do runo+=(-o "$m/$mod.f32.$o.npy"); done
	"$QUANTC" run "$m/$mod.qg" -q --precision f32 --input "$m/${mod}_x.npy" "${runo[@]}"
done
"$py" - "$m" > "$m/f32.res" <<'EOF'
import sys
import numpy as np
m = sys.argv[1]
for line in open(f"{m}/ref.txt"):
    mod, out, mode, *p = line.split()
    p = [int(v) for v in p]
    x = np.load(f"{m}/{mod}_x.npy")
    kw = {}
    if mode.startswith("constant:"):
        mode, kw["constant_values"] = "constant", float(mode.split(":")[1])
    ref = np.pad(x, [(p[2 * k], p[2 * k + 1]) for k in range(x.ndim)], mode, **kw)
    try:
        y = np.load(f"{m}/{mod}.f32.{out}.npy")
        same = y.shape == ref.shape and np.array_equal(y.view(np.uint32), ref.view(np.uint32))
    except OSError:
        same = False
    print("ok" if same else "FAIL", f"{mod} {out}: f32 {mode} of {list(x.shape[1:])} equals numpy.pad bit for bit", sep="\t")
EOF
judge < "$m/f32.res"

# ---- 2. the objects against the interpreter; integers copied ------------------------------
# shellcheck disable=SC2086
check "the driver builds" "$CC" -std=c11 -O2 ${QC_CFLAGS:-} -I"$QRT_INCLUDE" \
	-c "$QC_SRC/tests/zoo/driver.c" -o "$work/driver.o"
for mod in rank4 rank3; do
	outs=$(sed -n 's/^output //p' "$m/$mod.qg" | tr -d ',')
	for p in f32 int8 int16; do
		d=$m/$mod.$p
		runo=() raws=()
		for o in $outs; do
			runo+=(-o "$d.$o.npy")
			raws+=("$d.$o.raw")
		done
		[ $p = f32 ] || "$QUANTC" run "$m/$mod.qg" -q --precision $p --input "$m/${mod}_x.npy" "${runo[@]}"
		# shellcheck disable=SC2086
		if "$QUANTC" compile "$m/$mod.qg" -q --precision $p --name model -o "$d.o" &&
			"$CC" ${QC_CFLAGS:-} "$work/driver.o" "$d.o" "$QRT_LIB" -lm -o "$d.exe" &&
			"$d.exe" "$n" "$m/${mod}_x.raw" "${raws[@]}"; then
			for o in $outs; do echo "$mod $p $o"; done >> "$m/obj.txt"
		else
			fail "$mod $p: compiles, links and runs on the host"
		fi
	done
done
"$py" - "$m" > "$m/obj.res" <<'EOF'
import sys
import numpy as np
m = sys.argv[1]
refs = {(l.split()[0], l.split()[1]): l.split()[2:] for l in open(f"{m}/ref.txt")}
for line in open(f"{m}/obj.txt"):
    mod, p, out = line.split()
    run = np.load(f"{m}/{mod}.{p}.{out}.npy")
    obj = np.fromfile(f"{m}/{mod}.{p}.{out}.raw", np.float32)
    same = obj.size == run.size and np.array_equal(obj.view(np.uint32), run.reshape(-1).view(np.uint32))
    print("ok" if same else "FAIL", f"{mod} {out} {p}: the host object equals quantc run bit for bit", sep="\t")
    mode, *pads = refs[(mod, out)]
    if p == "f32" or mode.startswith("constant"):
        continue
    # x's integers, as run quantized them, are the interior of the result
    pw = [(int(pads[2 * k]), int(pads[2 * k + 1])) for k in range(run.ndim)]
    inner = run[tuple(slice(b, run.shape[k] - e) for k, (b, e) in enumerate(pw))]
    same = np.array_equal(np.pad(inner, pw, mode), run)
    print("ok" if same else "FAIL", f"{mod} {out} {p}: {mode} copies x's integers as numpy.pad does", sep="\t")
EOF
judge < "$m/obj.res"
for t in $("$QUANTC" compile "$m/rank4.qg" --list-targets | awk '{print $1}'); do
	check "f32, int8, int16: rank4 (every mode) compiles for $t" sh -c 'for p in f32 int8 int16; do
		"$1" compile "$2/rank4.qg" -q --precision $p --target "$3" -o "$2/t.o" || exit 1; done' \
		- "$QUANTC" "$m" "$t"
done

# ---- 3. ONNX Pad against onnxruntime ----------------------------------------------------------
"$py" - "$m" <<'EOF'
import sys
import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
m = sys.argv[1]
rng = np.random.default_rng(3)
cases = open(f"{m}/onnx.txt", "w")
def ints(name, v):
    return h.make_tensor(name, T.INT64, [len(v)], list(v))
def model(name, shape, mode, pads, opset=19, axes=None, attr=False):
    ins, inits, kw = ["x"], [], {"mode": mode}
    if attr:
        kw["pads"] = pads
    else:
        ins.append("p")
        inits.append(ints("p", pads))
    if axes is not None:
        ins += ["", "a"]
        inits.append(ints("a", axes))
    g = h.make_graph([h.make_node("Pad", ins, ["y"], **kw)], name,
                     [h.make_tensor_value_info("x", T.FLOAT, shape)],
                     [h.make_tensor_value_info("y", T.FLOAT, None)], inits)
    mp = h.make_model(g, opset_imports=[h.make_opsetid("", opset)])
    mp.ir_version = 8
    onnx.save(mp, f"{m}/{name}.onnx")
    np.save(f"{m}/{name}_x.npy", rng.uniform(-3, 3, size=shape).astype(np.float32))
    cases.write(name + "\n")
model("o_reflect", [1, 3, 4, 5], "reflect", [0, 0, 3, 1, 0, 2, 2, 4])
model("o_edge", [1, 3, 4, 5], "edge", [0, 1, 6, 0, 0, 0, 1, 9])
model("o_wrap", [1, 3, 4, 5], "wrap", [0, 2, 4, 5, 0, 3, 1, 2])
model("o_crop", [1, 3, 4, 5], "constant", [0, -1, 0, -2, 0, 0, -1, -1])
model("o_crop_wrap", [1, 3, 4, 5], "wrap", [0, 0, 1, -2, 0, 0, -1, 3])
model("bad_sym", [1, 3, 4, 5], "symmetric", [0, 0, 1, 1, 0, 0, 1, 1])
model("bad_reflect", [1, 3, 4, 5], "reflect", [0, 0, 4, 0, 0, 0, 0, 0])
model("bad_crop", [1, 3, 4, 5], "constant", [0, 0, -2, 0, 0, 0, -2, 0])
cases.write("o_attr\n")
model("o_attr", [1, 3, 4, 5], "edge", [0, 0, 2, 3, 0, 0, 1, 4], opset=2, attr=True)
cases.write("o_axes\n")
model("o_axes", [1, 3, 4, 5], "reflect", [2, 1, 3, 2], opset=18, axes=[-1, 2])
EOF
while read -r name; do
	case $name in bad_*) continue ;; esac
	"$QUANTC" run "$m/$name.onnx" -q --precision f32 --input "$m/${name}_x.npy" -o "$m/${name}_y.npy"
	node "$QC_SRC/tests/tools/ort_run.js" "$m/$name.onnx" "$m/${name}_x.npy" "$m/${name}_ref.npy" \
		--batch 1 2> /dev/null
	check "ONNX $name: f32 equals onnxruntime bit for bit" "$py" -c '
import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
sys.exit(not (a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))))' \
		"$m/${name}_y.npy" "$m/${name}_ref.npy"
done < <(sort -u "$m/onnx.txt")

# ---- 4. bad input ----------------------------------------------------------------------------
# refused FILE TEXT: quantc opt FILE fails (exit 1) naming TEXT
refused() {
	local out rc
	out=$("$QUANTC" opt "$1" --passes infer-shapes 2>&1 > /dev/null)
	rc=$?
	[ $rc -eq 1 ] && printf '%s' "$out" | grep -qF -- "$2"
}
bad() { printf 'model bad\ninput x : f32[1,3,4,5]\n%s\noutput y\n' "$2" > "$m/$1.qg"; }
bad refl 'y = pad(x) { pads = [0,0,0,5,0,0,0,0], pad_mode = reflect }'
check "pad: reflect by the axis's size is refused" refused "$m/refl.qg" \
	"pad: pad_mode reflect pads axis 3 (of size 5) by 5: at most 4 (the axis's size - 1)"
bad wrap 'y = pad(x) { pads = [0,0,5,0], pad_mode = wrap }'
check "pad: wrap by more than the axis's size is refused" refused "$m/wrap.qg" \
	"pad_mode wrap pads axis 2 (of size 4) by 5: at most 4 (the axis's size)"
bad sym 'y = pad(x) { pads = [0,4,0,0,0,0,0,0], pad_mode = symmetric }'
check "pad: symmetric by more than the axis's size is refused" refused "$m/sym.qg" \
	"pad_mode symmetric pads axis 1 (of size 3) by 4"
bad val 'y = pad(x) { pads = [1,1,1,1], pad_mode = edge, value = 1 }'
check "pad: a value outside constant mode is refused" refused "$m/val.qg" \
	"'value' is for pad_mode constant only, not edge"
bad word 'y = pad(x) { pads = [1,1,1,1], pad_mode = mirror }'
check "pad: an unknown pad_mode word is refused, naming the words" refused "$m/word.qg" \
	"'pad_mode' takes one of constant, reflect, edge, wrap, symmetric"
check "ONNX Pad: reflect by the axis's size is refused" refused "$m/bad_reflect.onnx" \
	"pad_mode reflect pads axis 2 (of size 4) by 4"
check "ONNX Pad: mode symmetric is refused by name" refused "$m/bad_sym.onnx" \
	"mode 'symmetric' is not constant, reflect, edge or wrap"
check "ONNX Pad: a crop of a whole axis is refused" refused "$m/bad_crop.onnx" \
	"pads crop all 4 elements of axis 2"
finish
