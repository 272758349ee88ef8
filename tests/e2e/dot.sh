# dot.sh — the Graphviz pictures: `quantc inspect --dot` and the NN-pass.dot
# that --dump-dir writes beside every dump.  Each picture is rendered with
# `dot -Tsvg` and the SVG is read back: one node per op (constants folded
# into their consumer), inputs and outputs as houses, edge labels with type
# and quantization, fill colours by storage type, the legend; and the same
# graph gives the same file twice.
. "$(dirname "$0")/lib.sh"
# 100 calibration samples, not 1000: nothing checked here depends on the
# count (the CNN calibrates in every compile, inspect and run of it)
calib=$work/calib100.npy
"$NPYTOOL" head 100 "$QC_DATA/calib.npy" "$calib"
py=/usr/bin/python3

if ! command -v dot > /dev/null; then
	fail "graphviz's dot is not installed (.ci/install-deps installs it)"
	finish
	exit 1
fi

# svgfacts SVG: what the rendered picture holds, one fact per line:
#   ops N / edges N / fill TITLE COLOUR / text STRING
svgfacts() {
	"$py" - "$1" <<'PY'
import re, sys, xml.etree.ElementTree as ET
ns = {"s": "http://www.w3.org/2000/svg"}
root = ET.parse(sys.argv[1]).getroot()
ops = edges = 0
for g in root.iter("{http://www.w3.org/2000/svg}g"):
	cls, title = g.get("class"), g.find("s:title", ns)
	title = title.text if title is not None else ""
	if cls == "node":
		if re.fullmatch(r"n\d+", title):
			ops += 1
		# rounded boxes are drawn as paths, houses as polygons
		shape = g.find("s:path", ns)
		if shape is None:
			shape = g.find("s:polygon", ns)
		print("fill", title, shape.get("fill") if shape is not None else "-")
	elif cls == "edge":
		edges += 1
print("ops", ops)
print("edges", edges)
for t in root.iter("{http://www.w3.org/2000/svg}text"):
	print("text", t.text)
PY
}

# layers MODEL ARGS...: the op count inspect reports
layers() { "$QUANTC" inspect "$@" | sed -n 's/^model .*, \([0-9]*\) layers$/\1/p'; }

# --- the quantized seed CNN ------------------------------------------------
"$QUANTC" inspect "$ex/cnn.qg" --calib "$calib" --dot "$work/cnn.dot" > /dev/null
check "inspect --dot wrote cnn.dot" test -s "$work/cnn.dot"
check "dot -Tsvg renders it" dot -Tsvg "$work/cnn.dot" -o "$work/cnn.svg"
svgfacts "$work/cnn.svg" > "$work/cnn.facts"
n=$(layers "$ex/cnn.qg" --calib "$calib")
got=$(sed -n 's/^ops //p' "$work/cnn.facts")
check "one SVG node per op: $got nodes for the $n layers inspect counts" test "$got" = "$n" -a "$n" -gt 0
# every op's input and the output: one edge per operand that is not a
# constant, plus one into each output; the CNN has a chain of 4 ops (its
# maxpools fused into the convolutions by fuse-pool)
got=$(sed -n 's/^edges //p' "$work/cnn.facts")
check "one edge per non-constant operand and output ($got, want 5)" test "$got" = 5
check "the input is drawn as an inverted house" grep -q 'in0 \[shape=invhouse' "$work/cnn.dot"
check "the output is drawn as a house" grep -q 'out0 \[shape=house' "$work/cnn.dot"
check "ops are rounded boxes" sh -c "test \$(grep -c '^	n[0-9]* \[shape=box, style=\"rounded,filled\"' '$work/cnn.dot') = $n"
check "no node for a constant (w1 is folded into its conv)" sh -c "! grep -q '^	w1 ' '$work/cnn.dot'"
check "conv's label lists its weights: 'w1 i8[64,1,3,3] per-channel'" grep -qx 'text w1 i8\[64,1,3,3\] per-channel' "$work/cnn.facts"
check "conv's label lists its attributes: 'pad 1,1,1,1 act relu'" grep -qx 'text pad 1,1,1,1 act relu' "$work/cnn.facts"
check "the fused maxpool's line in the conv's label: 'maxpool 2,2 stride 2,2'" grep -qx 'text maxpool 2,2 stride 2,2' "$work/cnn.facts"
check "edge label with name, dtype and shape: 't3 i8[1,64,14,14]'" grep -qx 'text t3 i8\[1,64,14,14\]' "$work/cnn.facts"
nq=$(grep -cE '^text s=[0-9.e+-]+ zp=-?[0-9]+$' "$work/cnn.facts")
check "every edge carries scale and zero point ($nq 's=... zp=...' labels, want 5)" test "$nq" = 5
scale=$(sed -n 's/^t3 : .* q(scale=\([^,]*\), zp=\(-*[0-9]*\)).*/\1 \2/p' <("$QUANTC" opt "$ex/cnn.qg" --calib "$calib" --passes infer-shapes,fuse-activation,calibrate,quantize,fuse-pool --elide-constants))
want=$(awk -v s="${scale% *}" -v z="${scale#* }" 'BEGIN { printf "s=%.4g zp=%d", s, z }')
check "t3's edge shows its quantization as printed in the IR ('$want')" grep -qxF "text $want" "$work/cnn.facts"
bad=$(awk '$1 == "fill" && $2 ~ /^(n[0-9]+|in0|out0)$/ && $3 != "#fde3c3"' "$work/cnn.facts")
check "every op, input and output of the int8 graph is filled with the i8 colour (others: '$bad')" test -z "$bad"
for t in f32 i8 i16; do
	check "the legend has a swatch for $t" grep -q "^fill legend_$t " "$work/cnn.facts"
done
check "the legend is titled 'storage type'" grep -qx 'text storage type' "$work/cnn.facts"
"$QUANTC" inspect "$ex/cnn.qg" --calib "$calib" --dot "$work/again.dot" > /dev/null
check "the same graph gives a byte-identical .dot" cmp -s "$work/cnn.dot" "$work/again.dot"

# --- other precisions get other colours -------------------------------------
"$QUANTC" inspect "$ex/mlp.qg" --precision f32 --dot "$work/mlp.dot" > /dev/null &&
	dot -Tsvg "$work/mlp.dot" -o "$work/mlp.svg" && svgfacts "$work/mlp.svg" > "$work/mlp.facts"
bad=$(awk '$1 == "fill" && $2 ~ /^n[0-9]+$/ && $3 != "#cfe2f3"' "$work/mlp.facts")
check "every op of the f32 MLP is filled with the f32 colour (others: '$bad')" test -z "$bad" -a -s "$work/mlp.facts"
check "the f32 MLP's op count matches inspect" test "$(sed -n 's/^ops //p' "$work/mlp.facts")" = "$(layers "$ex/mlp.qg" --precision f32)"
check "an f32 edge has no quantization label" sh -c "! grep -q '^text s=' '$work/mlp.facts'"
"$QUANTC" inspect "$ex/mlp.qg" --calib "$calib" --precision int16 --dot "$work/m16.dot" > /dev/null &&
	dot -Tsvg "$work/m16.dot" -o "$work/m16.svg" && svgfacts "$work/m16.svg" > "$work/m16.facts"
bad=$(awk '$1 == "fill" && $2 ~ /^n[0-9]+$/ && $3 != "#d5ecc8"' "$work/m16.facts")
check "every op of the int16 MLP is filled with the i16 colour (others: '$bad')" test -z "$bad" -a -s "$work/m16.facts"

# --- a picture after every pass ---------------------------------------------
"$QUANTC" compile "$ex/cnn.qg" --calib "$calib" --dump-dir "$work/dump" -o "$work/cnn.o"
nqg=0
for f in "$work"/dump/[0-9][0-9]-*.qg; do
	f=${f%.qg}
	nqg=$((nqg + 1))
	check "--dump-dir wrote $(basename "$f").dot beside $(basename "$f").qg" test -s "$f.dot"
	check "$(basename "$f").dot renders" dot -Tsvg "$f.dot" -o "$f.svg"
	last=$f
done
check "one .dot per dump ($nqg dumps, the input and each pass)" \
	test "$(ls "$work"/dump/[0-9][0-9]-*.dot | wc -l)" = "$nqg" -a "$nqg" -gt 2
svgfacts "$work/dump/00-input.svg" > "$work/d0.facts"
svgfacts "$(ls "$work"/dump/[0-9][0-9]-fuse-activation.svg)" > "$work/d2.facts"
check "before any pass: 8 op nodes (relu still separate)" test "$(sed -n 's/^ops //p' "$work/d0.facts")" = 8
check "before infer-shapes the ops are grey and the legend says 'no type yet'" \
	sh -c "grep -q '^fill n0 #e0e0e0' '$work/d0.facts' && grep -qx 'text no type yet' '$work/d0.facts'"
check "after fuse-activation: 6 op nodes" test "$(sed -n 's/^ops //p' "$work/d2.facts")" = 6
check "after fuse-activation the ops are f32" grep -q '^fill n0 #cfe2f3' "$work/d2.facts"
check "the last dump's picture ($(basename "$last").dot) equals inspect --dot's but for the title" \
	cmp -s <(grep -v 'label="cnn after\|label="quantc IR' "$last.dot") <(grep -v 'label="cnn after\|label="quantc IR' "$work/cnn.dot")

# --- the picture in the docs ------------------------------------------------
doc=$QC_SRC/docs/cnn-int8.svg
if [ -f "$doc" ]; then
	svgfacts "$doc" > "$work/doc.facts"
	check "docs/cnn-int8.svg parses and shows the CNN's $n ops" test "$(sed -n 's/^ops //p' "$work/doc.facts")" = "$n"
else
	fail "docs/cnn-int8.svg is missing"
fi
finish
