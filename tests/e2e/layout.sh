#!/bin/bash
# layout.sh — the choose-layout pass (passes/choose_layout.c): a MobileNetV2-
# like trunk is stored NHWC between the x86 kernels, and nowhere else:
#   1. on the host (x86-64, every level of the default object), the dump
#      after choose-layout marks exactly the trunk's tensors layout = nhwc:
#      the stem conv, the 1x1 expand, the depthwise, the 1x1 project and the
#      residual add; not a tensor a pool reads, not an element-wise result
#      with an NCHW operand, not the model's input or output; --instrument
#      chooses the same (the debug twin traces an NHWC tensor transposed to
#      NCHW through its node's scratch: trace.sh checks the seed CNN's trace,
#      whose first convolution is NHWC); f32 (no NHWC f32 kernel yet) and
#      aarch64 (no NHWC kernel) keep everything NCHW; inspect says which
#      layers read or write NHWC;
#   2. the objects (default, --mcpu haswell, --mcpu x86-64; int8 with both
#      --requant modes) equal the interpreter bit for bit;
#   3. the dump with its layouts parses and prints the same, and compiling
#      it gives the same object;
#   4. a layout no kernel takes is refused with a diagnostic and exit 1,
#      leaving no object: nhwc on a pool, on a rank-2 result, a dump with
#      NHWC tensors compiled for aarch64; an unknown layout word.
# Cost: about 3 s of CPU (nine compiles of a small model).
. "$(dirname "$0")/lib.sh"
. "$QC_SRC/tests/cross/boards.sh"
py=${QC_PYTHON:-/usr/bin/python3}
d=$work/m
mkdir -p "$d"

"$py" - "$d" << 'EOF'
import sys, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(3)
def lst(a):
    return ",".join("%.4f" % v for v in np.asarray(a).ravel())
consts = []
def conv(name, oc, ic, k):
    consts.append((name + "w", rng.normal(0, 0.9 / np.sqrt(ic * k * k), (oc, ic, k, k))))
    consts.append((name + "b", rng.normal(0, 0.1, oc)))
    return "%sw, %sb" % (name, name)
body = [
    "c0 = conv2d(x, %s) { stride = [2,2], pad = [1,1,1,1], act = relu }" % conv("c0", 16, 3, 3),
    "e = conv2d(c0, %s) { act = relu }" % conv("e", 48, 16, 1),
    "dw = conv2d(e, %s) { pad = [1,1,1,1], groups = 48, act = relu }" % conv("dw", 48, 1, 3),
    "p = conv2d(dw, %s)" % conv("p", 16, 48, 1),
    "r = add(p, c0)",
    "s = conv2d(r, %s) { pad = [1,1,1,1], act = relu }" % conv("s", 16, 16, 3),
    "a = avgpool2d(s) { kernel = [3,3], pad = [1,1,1,1] }",
    "u = add(a, s)",
    "v = conv2d(u, %s) { pad = [1,1,1,1], act = relu }" % conv("v", 24, 16, 3),
    "mp = maxpool2d(v) { kernel = [2,2], stride = [2,2] }",
    "g = global_avgpool(mp)",
    "f = flatten(g)",
]
consts.append(("wf", rng.normal(0, 0.3, (10, 24))))
consts.append(("bf", rng.normal(0, 0.1, 10)))
with open(d + "/model.qg", "w") as f:
    f.write("model m\ninput x : f32[1,3,20,20] range [0, 1]\n")
    for n, a in consts:
        f.write("const %s : f32[%s] = [%s]\n" % (n, ",".join(map(str, a.shape)), lst(a)))
    f.write("\n".join(body) + "\ny = dense(f, wf, bf)\noutput y\n")
# the harness's inputs are bytes / 255
np.save(d + "/x.npy", (rng.integers(0, 256, (3, 3, 20, 20)) / 255).astype(np.float32))
np.save(d + "/calib.npy", rng.uniform(0, 1, (8, 3, 20, 20)).astype(np.float32))
EOF

x_cc=${CC:-cc} x_cflags=() x_ldflags=() x_run=()
check "host: runtime builds" x_build_runtime "$work"
check "host tool xtool builds" "$CC" -std=c11 -O2 -Wall -Wextra -Werror "$QC_SRC/tests/cross/xtool.c" -o "$work/xtool"
"$work/xtool" images "$d/x.npy" 3 "$d/images.h" > /dev/null
q=(--calib "$d/calib.npy")

# nhwc_names FILE: the values a dump marks layout = nhwc, sorted, one line
nhwc_names() {
	sed -n 's/^\([a-z0-9]*\) .*layout = nhwc.*/\1/p' "$1" | sort | tr '\n' ' '
}

# --- 1. which tensors are NHWC ------------------------------------------------------
want="c0 dw e p r "
"$QUANTC" compile "$d/model.qg" "${q[@]}" --print-after choose-layout --print-constants \
	-o "$d/m.o" 2> "$d/lay.qg"
got=$(nhwc_names "$d/lay.qg")
echo "host int8: NHWC tensors: $got"
check "host int8: the trunk (stem, expand, depthwise, project, residual add) is NHWC, and nothing else: '$got' = '$want'" \
	test "$got" = "$want"
"$QUANTC" inspect "$d/model.qg" "${q[@]}" > "$d/inspect.txt" 2>&1
n=$(grep -c "layout: reads NHWC, writes NHWC" "$d/inspect.txt")
n1=$(grep -c "layout: reads NCHW, writes NHWC" "$d/inspect.txt")
n2=$(grep -c "layout: reads NHWC, writes NCHW" "$d/inspect.txt")
echo "inspect, per level: $n layers NHWC->NHWC, $n1 NCHW->NHWC, $n2 NHWC->NCHW"
check "inspect shows, on each of the 3 levels, 3 layers NHWC->NHWC (expand, depthwise, project), the stem NCHW->NHWC and the conv after the add NHWC->NCHW" \
	test "$n $n1 $n2" = "9 3 3"
"$QUANTC" compile "$d/model.qg" "${q[@]}" --instrument --print-after plan-memory -o "$d/x.o" 2> "$d/lay2.qg"
got=$(nhwc_names "$d/lay2.qg")
check "--instrument: the same NHWC tensors ('$got'), each with scratch for its NCHW trace" \
	eval '[ "$got" = "$want" ] && [ "$(grep "layout = nhwc" "$d/lay2.qg" | grep -c "scratch = ")" = 5 ]'
for extra in "--precision f32" "--target aarch64-linux-gnu"; do
	# shellcheck disable=SC2086
	"$QUANTC" compile "$d/model.qg" "${q[@]}" $extra --print-after choose-layout \
		-o "$d/x.o" 2> "$d/lay2.qg"
	got=$(nhwc_names "$d/lay2.qg")
	check "$extra: every tensor stays NCHW ('$got')" test -z "$got"
done

# --- 2. bit for bit -----------------------------------------------------------------
for v in "default" "--mcpu haswell" "--mcpu x86-64" "--requant float"; do
	opts=("${q[@]}")
	[ "$v" != default ] && read -ra more <<< "$v" && opts+=("${more[@]}")
	"$QUANTC" compile "$d/model.qg" "${opts[@]}" -o "$d/m.o" --print-after choose-layout 2> "$d/l.qg"
	got=$(nhwc_names "$d/l.qg")
	x_link_driver m "$d" "$work" && "${x_run[@]}" "$d/fw.elf" > "$d/out.txt" 2>&1
	"$QUANTC" run "$d/model.qg" "${opts[@]}" --input "$d/x.npy" -o "$d/ref.npy" 2> /dev/null
	check "$v: trunk NHWC ('$got'); 3 inputs: the object equals the interpreter bit for bit" \
		"$work/xtool" compare "$d/out.txt" "$d/ref.npy"
done

# --- 3. the dump round-trips ----------------------------------------------------------
"$QUANTC" compile "$d/model.qg" "${q[@]}" --print-after plan-memory --print-constants \
	-o "$d/m.o" 2> "$d/plan.qg"
tail -n +2 "$d/plan.qg" > "$d/dump.qg"
"$QUANTC" opt "$d/dump.qg" > "$d/re1.qg" 2> /dev/null
check "the planned dump with its layouts parses and prints the same" cmp -s "$d/dump.qg" "$d/re1.qg"
"$QUANTC" compile "$d/dump.qg" --passes "" -o "$d/re.o" 2> /dev/null
check "compiling the dump gives the same object" cmp -s "$d/m.o" "$d/re.o"

# --- 4. layouts no kernel takes ---------------------------------------------------------
# refuse FILE WHAT PATTERN [OPTIONS]: exit 1, the diagnostic, no object
refuse() {
	local f=$1 what=$2 pat=$3
	shift 3
	rm -f "$d/bad.o"
	"$QUANTC" compile "$f" --passes "" "$@" -o "$d/bad.o" 2> "$d/err.txt"
	local rc=$?
	echo "$what: exit $rc: $(head -1 "$d/err.txt")"
	check "$what: exit 1, '$pat', no object" \
		eval '[ $rc = 1 ] && grep -q "$pat" "$d/err.txt" && [ ! -e "$d/bad.o" ]'
}
sed 's/^\(a .*= avgpool2d(s) {.*\) }$/\1, layout = nhwc }/' "$d/dump.qg" > "$d/bad1.qg"
refuse "$d/bad1.qg" "nhwc on an avgpool" "bad1.qg:[0-9]*:[0-9]*: error: avgpool2d 'a': no kernel of this target takes its layout"
sed 's/^\(y .*= dense(f, wf, bf) {.*\) }$/\1, layout = nhwc }/' "$d/dump.qg" > "$d/bad2.qg"
refuse "$d/bad2.qg" "nhwc on the rank-2 output" "bad2.qg:[0-9]*:[0-9]*: error: dense 'y': layout nhwc needs a rank-4 result"
sed 's/layout = nhwc/layout = chw/' "$d/dump.qg" > "$d/bad3.qg"
refuse "$d/bad3.qg" "an unknown layout word" "bad3.qg:[0-9]*:[0-9]*: error: .*layout takes nchw or nhwc"
refuse "$d/dump.qg" "the NHWC dump for aarch64" "dump.qg:[0-9]*:[0-9]*: error: conv2d '[a-z0-9]*': no kernel of this target takes its layout" --target aarch64-linux-gnu
finish
