# report.sh — `quantc report`: the per-layer quantization error of the seed
# CNN over the first 200 test images, as text, JSON (docs/report-json.md) and
# SVG; the command's errors; and a deliberately broken dump (one layer's
# scale made 10x too small) whose report must single out exactly that layer.
. "$(dirname "$0")/lib.sh"
calib=$QC_DATA/calib.npy
py=/usr/bin/python3
x=$work/x200.npy
"$NPYTOOL" head 200 "$QC_DATA/test_x.npy" "$x"

expect() { # expect STATUS TEXT -- COMMAND...: exit status and a stderr substring
	local want=$1 text=$2; shift 3
	"$@" > /dev/null 2> "$work/err.txt"; local rc=$?
	if [ $rc -eq "$want" ] && grep -qF -- "$text" "$work/err.txt"; then ok "'${*##*/}' exits $want saying '$text'"
	else fail "'$*' exited $rc (want $want), stderr: $(head -c 300 "$work/err.txt")"; fi
}
# rows TEXT: the table's rows (from the header to the blank line)
rows() { awk '/^layer /{t=1; next} t && NF == 0 {exit} t' "$1"; }
# field TEXT LAYER N: column N of LAYER's row
field() { rows "$1" | awk -v l="$2" -v n="$3" '$1 == l {print $n}'; }

# --- the seed CNN, int8 -----------------------------------------------------
check "report (text, --svg) runs" "$QUANTC" report "$ex/cnn.qg" --calib "$calib" --input "$x" \
	--svg "$work/cnn.svg" -o "$work/cnn.txt"
cat "$work/cnn.txt"
# the layers: inspect's values in order (the input, then every node's result)
"$QUANTC" inspect "$ex/cnn.qg" --calib "$calib" | awk '/^kernels on/ {exit} $1 == "in" || $1 ~ /^[0-9]+$/ {print $2}' > "$work/want.txt"
rows "$work/cnn.txt" | awk '{print $1}' > "$work/got.txt"
check "one row per layer, in graph order: $(tr '\n' ' ' < "$work/got.txt")(inspect lists $(tr '\n' ' ' < "$work/want.txt"))" \
	cmp -s "$work/want.txt" "$work/got.txt"
check "the table has the documented columns" \
	grep -qE '^layer +op +dtype +scale +zp +SQNR dB +max abs err +mean abs err +cosine +clipped %$' "$work/cnn.txt"
low=$(rows "$work/cnn.txt" | awk '$6 != "inf" && (m == "" || $6 + 0 < m + 0) {m = $6} END {print m}')
check "every layer of the int8 CNN has SQNR > 20 dB (lowest $low)" awk -v m="$low" 'BEGIN {exit !(m > 20)}'
bad=$(rows "$work/cnn.txt" | awk '$10 != "0.0000" {print $1}')
check "no layer clips calibrated data noticeably (clipped % = 0.0000; others: '$bad')" test -z "$bad"
bad=$(rows "$work/cnn.txt" | awk '$9 < 0.999 {print $1}')
check "every layer's cosine similarity >= 0.999 (others: '$bad')" test -z "$bad"
agree=$(sed -n 's/^top-1 agreement: \([0-9.]*\) .*/\1/p' "$work/cnn.txt")
check "top-1 agreement of float and int8 >= 0.95 ($agree)" awk -v a="$agree" 'BEGIN {exit !(a >= 0.95)}'
check "the report says which layer has the lowest SQNR" grep -qE '^lowest SQNR: [a-z0-9_.]+ \([a-z0-9]+\) [0-9.]+ dB$' "$work/cnn.txt"
check "scales and zero points are the quantized graph's (t3: zp -128)" test "$(field "$work/cnn.txt" t3 5)" = -128

# JSON: parses, documented keys in order, same figures as the text
check "report --format json -o writes nothing to stdout" \
	test -z "$("$QUANTC" report "$ex/cnn.qg" --calib "$calib" --input "$x" --format json -o "$work/cnn.json")"
"$py" - "$work/cnn.json" > "$work/json.facts" <<'PY'
import json, sys
pairs = json.load(open(sys.argv[1]), object_pairs_hook=lambda p: p)
top = dict(pairs)
print("top_keys", ",".join(k for k, _ in pairs))
want = ["name", "op", "dtype", "scale", "zero_point", "sqnr_db", "max_abs_err", "mean_abs_err", "cosine", "clipped_fraction"]
print("layer_keys_ok", int(all([k for k, _ in l] == want for l in top["layers"])))
print("samples", top["samples"])
print("precision", top["precision"])
print("model", top["model"])
print("agreement", top["top1_agreement"])
for l in map(dict, top["layers"]):
	s = l["sqnr_db"]
	print("sqnr", l["name"], "inf" if s is None else "%.2f" % s)
PY
check "the JSON parses" test -s "$work/json.facts"
check "top-level keys in the documented order" grep -qx 'top_keys model,precision,samples,layers,top1_agreement' "$work/json.facts"
check "every layer has the documented keys in order" grep -qx 'layer_keys_ok 1' "$work/json.facts"
check "\"samples\": 200, \"precision\": \"int8\", \"model\": \"cnn\"" \
	sh -c "grep -qx 'samples 200' '$work/json.facts' && grep -qx 'precision int8' '$work/json.facts' && grep -qx 'model cnn' '$work/json.facts'"
awk '$1 == "sqnr" {print $2, $3}' "$work/json.facts" > "$work/json.sqnr"
rows "$work/cnn.txt" | awk '{print $1, $6}' > "$work/text.sqnr"
check "the JSON's layers and SQNRs are the text's" cmp -s "$work/json.sqnr" "$work/text.sqnr"
check "the JSON's agreement is the text's ($agree)" awk -v a="$agree" -v b="$(sed -n 's/^agreement //p' "$work/json.facts")" 'BEGIN {exit !(a - b < 1e-4 && b - a < 1e-4)}'

# SVG: well-formed, one bar per layer, a title that says what it shows
if command -v xmllint > /dev/null; then
	check "the SVG is well-formed (xmllint)" xmllint --noout "$work/cnn.svg"
else
	check "the SVG is well-formed (python's xml.etree)" "$py" -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$work/cnn.svg"
fi
n=$(wc -l < "$work/want.txt")
check "the SVG has one bar per layer ($n)" test "$(grep -c '^<rect x="[0-9]*" y="[0-9]*" width="[0-9]*" height="16"' "$work/cnn.svg")" = "$n"
check "every layer is named in the SVG" sh -c "for l in \$(cat '$work/want.txt'); do grep -q \"<title>\$l: \" '$work/cnn.svg' || exit 1; done"
check "the SVG's title names model, precision and agreement" grep -q 'SQNR per layer: cnn int8, top-1 agreement [0-9.]*% over 200 samples' "$work/cnn.svg"

# --- f32 against itself: no error anywhere ----------------------------------
"$QUANTC" report "$ex/cnn.qg" --precision f32 --input "$x" > "$work/f32.txt"
check "f32 vs f32: every SQNR is inf" sh -c "test -z \"\$(awk '/^layer /{t=1; next} t && NF == 0 {exit} t && \$6 != \"inf\"' '$work/f32.txt')\" && test -s '$work/f32.txt'"
check "f32 vs f32: agreement 1" grep -q '^top-1 agreement: 1.0000 ' "$work/f32.txt"
"$QUANTC" report "$ex/cnn.qg" --precision f32 --input "$x" --format json > "$work/f32.json"
check "an infinite SQNR is null in JSON" "$py" -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not all(l["sqnr_db"] is None and l["scale"] is None and l["zero_point"] is None for l in d["layers"]))' "$work/f32.json"

# --- errors -----------------------------------------------------------------
expect 2 "no model given" -- "$QUANTC" report
expect 1 "needs --input" -- "$QUANTC" report "$ex/cnn.qg" --calib "$calib" -o "$work/bad.txt"
expect 1 "needs --calib" -- "$QUANTC" report "$ex/cnn.qg" --input "$x" -o "$work/bad.txt"
expect 1 "--format: unknown 'xml'" -- "$QUANTC" report "$ex/cnn.qg" --calib "$calib" --input "$x" --format xml
expect 1 "samples must be float32" -- "$QUANTC" report "$ex/cnn.qg" --precision f32 --input "$QC_DATA/test_y.npy" -o "$work/bad.txt"
check "no report file after the failed runs" test ! -e "$work/bad.txt"

# --- a quantized dump, intact and broken ------------------------------------
# the default pipeline's last dump: the graph the report above measured
"$QUANTC" inspect "$ex/cnn.qg" --calib "$calib" --dump-dir "$work/dump" > /dev/null
q=$(ls "$work"/dump/[0-9][0-9]-*.qg | tail -n 1)
"$QUANTC" report "$ex/cnn.qg" --quantized "$q" --input "$x" > "$work/dump.txt"
check "--quantized on the pipeline's own dump gives the same report" cmp -s "$work/cnn.txt" "$work/dump.txt"
expect 1 "is not a float model" -- "$QUANTC" report "$q" --quantized "$q" --input "$x"
# make the output layer's scale 10x too small: its float values no longer fit
out=$(awk '/^output /{print $2}' "$q")
awk -v v="$out" '$1 == v && $2 == ":" && match($0, /scale=[0-9.e+-]+/) {
	s = substr($0, RSTART + 6, RLENGTH - 6)
	$0 = substr($0, 1, RSTART - 1) sprintf("scale=%.9g", s / 10) substr($0, RSTART + RLENGTH)
} {print}' "$q" > "$work/dump/broken.qg"
check "the broken dump differs from the intact one in one line (layer $out)" \
	test "$(diff "$q" "$work/dump/broken.qg" | grep -c '^>')" = 1
"$QUANTC" report "$ex/cnn.qg" --quantized "$work/dump/broken.qg" --input "$x" > "$work/broken.txt"
cat "$work/broken.txt"
check "the broken report names $out as the lowest SQNR" grep -q "^lowest SQNR: $out " "$work/broken.txt"
check "the broken report names $out as the most clipped" grep -q "^most clipped: $out " "$work/broken.txt"
s=$(field "$work/broken.txt" "$out" 6) c=$(field "$work/broken.txt" "$out" 10)
check "$out: SQNR below 20 dB ($s) and over 10% clipped ($c%)" awk -v s="$s" -v c="$c" 'BEGIN {exit !(s < 20 && c > 10)}'
diff <(rows "$work/cnn.txt" | awk -v v="$out" '$1 != v') <(rows "$work/broken.txt" | awk -v v="$out" '$1 != v') > /dev/null
check "every other layer's row is unchanged" test $? -eq 0
agree2=$(sed -n 's/^top-1 agreement: \([0-9.]*\) .*/\1/p' "$work/broken.txt")
check "the broken output's agreement ($agree2) is lower than the intact one's ($agree)" awk -v a="$agree" -v b="$agree2" 'BEGIN {exit !(b < a)}'
finish
