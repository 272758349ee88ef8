# memory.sh — the arena plan (passes/plan_memory.c, passes/arena.c) and what
# `quantc inspect` says of memory (docs/cli.md):
#   1. on every example model and precision (cnn, mlp, and any other
#      examples/fashion_mnist/*.qg; their ONNX exports, the DSCNN among them;
#      the ONNX models of onnx_models.py) the
#      arena equals the lower bound, or inspect says where the gaps are;
#      the per-layer "live B" column peaks at the bound; prints greedy by
#      size beside the plan and the bound;
#   2. in-place ops: relu/clip/leaky_relu write over an input that dies
#      there, not over one read later; flatten/reshape share their input's
#      bytes (the dump's @offsets), and such a model's object still equals
#      the interpreter (bit for bit in int8);
#   3. on 12 random graphs with branches (convolutions, adds, concats) the
#      plan reaches the bound where greedy by size may not;
#   4. inspect's code, read-only data and weight bytes equal llvm-size-19's
#      sections of the object compiled for the host and for Cortex-M4.
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
# 50 calibration samples, not 1000: the arena plan and the byte counts do not
# depend on the ranges, and every inspect and compile calibrates again
calib=$work/calib50.npy
"$NPYTOOL" head 50 "$QC_DATA/calib.npy" "$calib"
size=$(command -v llvm-size-19 || echo /usr/lib/llvm-19/bin/llvm-size)

# arena_figures FILE: "planned bound greedy plain_greedy plain_bound"
arena_figures() {
	sed -n 's/^arena: \([0-9]*\) bytes (lower bound \([0-9]*\) bytes.*/\1 \2/p' "$1" | tr '\n' ' '
	sed -n 's/^arena baselines: greedy by size \([0-9]*\) bytes; without in-place ops greedy by size \([0-9]*\) bytes, lower bound \([0-9]*\) bytes$/\1 \2 \3/p' "$1"
}

# at_bound NAME FILE: the arena is the bound, or inspect explains why not
at_bound() {
	local f
	read -r -a f <<< "$(arena_figures "$2")"
	if [ "${#f[@]}" -ne 5 ]; then
		fail "$1: inspect prints the arena, its bound and the baselines"
		return
	fi
	printf '%-18s %10s %10s %10s %14s %12s\n' "$1" "${f[0]}" "${f[1]}" "${f[2]}" "${f[3]}" "${f[4]}" >> "$work/table.txt"
	if [ "${f[0]}" = "${f[1]}" ]; then
		ok "$1: arena ${f[0]} bytes = lower bound (greedy by size ${f[2]}, without in-place ${f[3]})"
	else
		check "$1: arena ${f[0]} > bound ${f[1]}, and inspect says why" grep -q '^arena above the bound: fragmentation' "$2"
	fi
	local peak
	peak=$(awk '/^#   value/ { on = 1; next } on && NF == 0 { exit } on { if ($NF > m) m = $NF } END { print m + 0 }' "$2")
	check "$1: the live-bytes column peaks at the bound ($peak)" test "$peak" = "${f[1]}"
}

printf '%-18s %10s %10s %10s %14s %12s\n' model planned bound greedy "greedy-no-inpl" "bound-no-inpl" > "$work/table.txt"

# --- 1. the examples and the ONNX models ------------------------------------------
for qg in "$ex"/*.qg; do
	m=$(basename "$qg" .qg)
	for p in int8 int16 f32; do
		if "$QUANTC" inspect "$qg" --calib "$calib" --precision $p > "$work/$m-$p.txt" 2> "$work/err.txt"; then
			at_bound "$m $p" "$work/$m-$p.txt"
		else
			fail "$m $p: inspect: $(head -c 300 "$work/err.txt")"
		fi
	done
done
# the ONNX exports of the examples (the data_onnx fixture: cnn, mlp, dscnn)
for m in "$QC_DATA"/onnx/*.onnx; do
	[ -e "$m" ] || continue
	n=$(basename "$m")
	for p in int8 int16 f32; do
		if "$QUANTC" inspect "$m" --calib "$calib" --precision $p > "$work/$n-$p.txt" 2> "$work/err.txt"; then
			at_bound "$n $p" "$work/$n-$p.txt"
		else
			fail "$n $p: inspect: $(head -c 300 "$work/err.txt")"
		fi
	done
done
mkdir -p "$work/onnx"
for m in bn mix view; do
	"$py" "$QC_SRC/tests/e2e/onnx_models.py" $m "$work/onnx" > /dev/null
	for p in int8 f32; do
		if "$QUANTC" inspect "$work/onnx/$m.onnx" --calib "$work/onnx/${m}_x.npy" --precision $p \
			> "$work/onnx-$m-$p.txt" 2> "$work/err.txt"; then
			at_bound "$m.onnx $p" "$work/onnx-$m-$p.txt"
		else
			fail "$m.onnx $p: inspect: $(head -c 300 "$work/err.txt")"
		fi
	done
done

# --- 2. in-place ops ----------------------------------------------------------------
# r = relu(p) may not overwrite p (add reads p after it); k = clip(s),
# h = leaky_relu(k) overwrite their inputs; f = flatten(h) is h's bytes
"$py" - "$work/inpl.qg" <<'PY'
import sys
import numpy as np
rng = np.random.default_rng(5)
w = rng.uniform(-0.5, 0.5, (4, 1, 3, 3))
w2 = rng.uniform(-0.2, 0.2, (10, 4 * 14 * 14))
fmt = lambda a: ", ".join(f"{v:.4f}" for v in a.ravel())
open(sys.argv[1], "w").write(f"""model inpl
input x : f32[1,1,28,28] range [0, 1]
const w : f32[4,1,3,3] = [{fmt(w)}]
const w2 : f32[10,784] = [{fmt(w2)}]
c = conv2d(x, w) {{ pad = [1, 1, 1, 1] }}
p = maxpool2d(c) {{ kernel = [2, 2], stride = [2, 2] }}
r = relu(p)
s = add(r, p)
k = clip(s) {{ min = -1, max = 1 }}
h = leaky_relu(k) {{ alpha = 0.1 }}
f = flatten(h) {{ axis = 1 }}
y = dense(f, w2)
output y
""")
PY
# off DUMP NAME: the @offset of NAME in a dump
off() { sed -n "s/^\(input \)\{0,1\}$2 : .* @\([0-9]*\)\( =.*\)\{0,1\}$/\2/p" "$1"; }
for p in int8 f32; do
	"$QUANTC" opt "$work/inpl.qg" --precision $p --calib "$calib" \
		--passes "$( [ $p = f32 ] && echo infer-shapes,fuse-activation,plan-memory || echo infer-shapes,fuse-activation,propagate-ranges,calibrate,quantize,check-overflow,plan-memory)" \
		> "$work/inpl-$p.qg"
	d=$work/inpl-$p.qg
	check "$p: relu does not overwrite p, which add reads after it (@$(off "$d" p) vs @$(off "$d" r))" \
		test -n "$(off "$d" r)" -a "$(off "$d" r)" != "$(off "$d" p)"
	check "$p: clip and leaky_relu run in place, flatten shares their bytes (s @$(off "$d" s), k @$(off "$d" k), h @$(off "$d" h), f @$(off "$d" f))" \
		test -n "$(off "$d" s)" -a "$(off "$d" k)" = "$(off "$d" s)" -a "$(off "$d" h)" = "$(off "$d" s)" -a "$(off "$d" f)" = "$(off "$d" s)"
	"$QUANTC" inspect "$work/inpl.qg" --precision $p --calib "$calib" > "$work/inpl-$p.txt"
	at_bound "inplace-test $p" "$work/inpl-$p.txt"
	mkdir -p "$work/$p"
	check "$p: the in-place model compiles" "$QUANTC" compile "$work/inpl.qg" --precision $p --calib "$calib" -o "$work/$p/inpl.o"
done
"$NPYTOOL" head 300 "$QC_DATA/test_x.npy" "$work/x.npy"
"$NPYTOOL" head 300 "$QC_DATA/test_y.npy" "$work/y.npy"
for p in int8 f32; do
	link_demo inpl "$work/$p/inpl.o" "$work/$p/demo" && "$work/$p/demo" "$work/x.npy" "$work/y.npy" "$work/$p/obj.npy" > /dev/null
	"$QUANTC" run "$work/inpl.qg" --precision $p --calib "$calib" --input "$work/x.npy" -o "$work/$p/interp.npy"
	check "$p: the in-place object equals the interpreter on 300 images" "$NPYTOOL" exact "$work/$p/obj.npy" "$work/$p/interp.npy"
done

# --- 3. random graphs with branches ------------------------------------------------
"$py" - "$work/rnd" <<'PY'
import os, random, sys
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for seed in (10, 112, 120, 123, 128, 151, 155, 175, 226, 237, 251, 27):
    r = random.Random(seed)
    L = ["model rnd", "input x : f32[1,4,8,8] range [-1, 1]"]
    vals = [("x", 4)]
    for i in range(r.randint(5, 14)):
        kind, name = r.random(), f"v{i}"
        if kind < 0.55 or len(vals) < 2:
            src, c = r.choice(vals[-3:])
            oc = r.choice([1, 2, 4, 8, 16, 32])
            w = ", ".join(str(round(r.uniform(-1, 1), 2)) for _ in range(oc * c))
            L += [f"const w{i} : f32[{oc},{c},1,1] = [{w}]", f"{name} = conv2d({src}, w{i})"]
            vals.append((name, oc))
        elif kind < 0.8:
            cands = [(a, b) for a in vals for b in vals if a[1] == b[1] and a != b]
            if not cands:
                src, c = r.choice(vals)
                L.append(f"{name} = maxpool2d({src}) {{ kernel = [3, 3], pad = [1, 1, 1, 1] }}")
                vals.append((name, c))
                continue
            a, b = r.choice(cands)
            L.append(f"{name} = add({a[0]}, {b[0]})")
            vals.append((name, a[1]))
        else:
            a, b = r.choice(vals), r.choice(vals)
            L.append(f"{name} = concat({a[0]}, {b[0]}) {{ axis = 1 }}")
            vals.append((name, a[1] + b[1]))
    L.append(f"output {vals[-1][0]}")
    open(f"{out}/r{seed}.qg", "w").write("\n".join(L) + "\n")
PY
worse=0
for qg in "$work"/rnd/*.qg; do
	m=$(basename "$qg" .qg)
	"$QUANTC" inspect "$qg" --precision f32 > "$work/$m.txt"
	at_bound "random $m" "$work/$m.txt"
	read -r -a f <<< "$(arena_figures "$work/$m.txt")"
	[ "${f[2]:-0}" -gt "${f[1]:-0}" ] && worse=$((worse + 1))
done
echo "random graphs: greedy by size is above the bound on $worse of 12"

# --- 4. inspect's bytes against llvm-size-19 ------------------------------------------
for t in "" "--target thumbv7em-none-eabihf --mcpu cortex-m4"; do
	label=${t:+cortex-m4}; label=${label:-host}
	# shellcheck disable=SC2086
	"$QUANTC" inspect "$ex/cnn.qg" --calib "$calib" $t > "$work/fp-$label.txt"
	# shellcheck disable=SC2086
	"$QUANTC" compile "$ex/cnn.qg" --calib "$calib" $t -o "$work/cnn-$label.o"
	fp=$(grep '^footprint on' "$work/fp-$label.txt")
	code=$(sed -n 's/.*: code \([0-9]*\) bytes.*/\1/p' <<< "$fp")
	ro=$(sed -n 's/.*read-only data \([0-9]*\) bytes.*/\1/p' <<< "$fp")
	wts=$(sed -n 's/.*(weights \([0-9]*\)).*/\1/p' <<< "$fp")
	arena=$(sed -n 's/.*, arena \([0-9]*\) bytes$/\1/p' <<< "$fp")
	"$size" -A "$work/cnn-$label.o" > "$work/size-$label.txt"
	text=$(awk '$1 ~ /^\.text/ { s += $2 } END { print s + 0 }' "$work/size-$label.txt")
	rod=$(awk '$1 ~ /^\.s?rodata/ { s += $2 } END { print s + 0 }' "$work/size-$label.txt")
	check "$label: inspect's code bytes ($code) = llvm-size's .text ($text)" test "$code" = "$text"
	check "$label: inspect's read-only data ($ro) = llvm-size's .rodata* ($rod)" test "$ro" = "$rod"
	params=$(sed -n 's/^total: [0-9]* MACs, \([0-9]*\) parameter bytes$/\1/p' "$work/fp-$label.txt")
	check "$label: weight bytes ($wts) = the parameter bytes ($params), inside .rodata" test "$wts" = "$params" -a "$wts" -le "$rod"
	hdr=$(sed -n 's/^#define CNN_ARENA_SIZE \([0-9]*\)u.*/\1/p' "$work/cnn-$label.h")
	check "$label: inspect's arena ($arena) = CNN_ARENA_SIZE ($hdr)" test "$arena" = "$hdr"
done

echo "arena bytes: planned (plan-memory), lower bound, greedy by size (same in-place sharing), and without in-place ops"
cat "$work/table.txt"
finish
