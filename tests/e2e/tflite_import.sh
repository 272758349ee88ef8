# tflite_import.sh — the TFLite importer (frontend/tflite.c, docs/tflite.md)
# on the four MLPerf Tiny models of tests/models/mlperf-tiny:
#   - each int8 model compiles with no option but --name (ResNet-8 and VWW
#     with -O0 as well, which leaves the integers alone and saves ~25 s),
#     its object's model_run_q takes and returns int8 with the file's own
#     input and output scale and zero point, and on 8 random int8 inputs
#     its int8 outputs equal `quantc run`'s bit for bit;
#   - each float twin compiles with --precision f32 and its object equals
#     `quantc run --precision f32` bit for bit on 8 random inputs;
#   - the float anomaly-detection twin compiles to int8 with --calib
#     samples drawn from the int8 model's input range;
#   - `quantc opt M.tflite --passes infer-shapes -o M.qg` parses back and
#     compiles to the same object (KWS and AD);
#   - the int8 and float KWS and ResNet-8 agree on the top class of
#     constant and random inputs (the int8 models are sane);
#   - every operator case tests/e2e/tflite/op_*_q.tflite (int8; made by
#     make_tflite_cases.py) imports, compiles (-O0) and its object equals
#     `quantc run` bit for bit;
#   - every refusal case tests/e2e/tflite/bad_*.tflite exits 1 with the
#     messages of its .err file and writes no object.
# Cost: about 15 s of CPU (compiling KWS at -O2 twice, the 26 operator
# cases at -O0).
# shellcheck shell=bash source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
mdir=$QC_SRC/tests/models/mlperf-tiny
cases=$QC_SRC/tests/e2e/tflite
n=8

# the file's own parameters of input 0 and output 0, read with python's
# flatbuffers (independently of quantc's reader): "in S Z out S Z"
params() {
	"$py" - "$1" <<'EOF'
import sys
import flatbuffers
from flatbuffers import number_types as N
from flatbuffers.table import Table

buf = bytearray(open(sys.argv[1], "rb").read())
def tables(t, fid):
    o = t.Offset(4 + 2 * fid)
    if not o:
        return []
    s = t.Vector(o)
    return [Table(t.Bytes, t.Indirect(s + 4 * i)) for i in range(t.VectorLen(o))]
def vec(t, fid, ty):
    o = t.Offset(4 + 2 * fid)
    if not o:
        return []
    s = t.Vector(o)
    return [t.Get(ty, s + ty.bytewidth * i) for i in range(t.VectorLen(o))]
def sub(t, fid):
    o = t.Offset(4 + 2 * fid)
    return Table(t.Bytes, t.Indirect(o + t.Pos)) if o else None
root = Table(buf, flatbuffers.encode.Get(N.UOffsetTFlags.packer_type, buf, 0))
sg = tables(root, 2)[0]
ts = tables(sg, 0)
out = []
for fid, what in ((1, "in"), (2, "out")):
    t = ts[vec(sg, fid, N.Int32Flags)[0]]
    q = sub(t, 4)
    o = t.Offset(4 + 2 * 1)
    ty = t.Get(N.Int8Flags, o + t.Pos) if o else 0
    s, z = vec(q, 2, N.Float32Flags)[0], vec(q, 3, N.Int64Flags)[0]
    out.append("%s %.9g %d" % (what, s, z - 128 if ty == 3 else z))
print(" ".join(out))
EOF
}

# the drivers: model_run_q (int8) and tests/zoo/driver.c (float)
# shellcheck disable=SC2086
check "run_q and driver build" \
	"$CC" -std=c11 -O2 -Wall -Wextra -Werror ${QC_CFLAGS:-} -I"$QRT_INCLUDE" \
	-c "$cases/run_q.c" -o "$work/run_q.o"
# shellcheck disable=SC2086
"$CC" -std=c11 -O2 -Wall -Wextra -Werror ${QC_CFLAGS:-} -I"$QRT_INCLUDE" \
	-c "$QC_SRC/tests/zoo/driver.c" -o "$work/driver.o"

# int8 model, float twin, extra compile options for both
while read -r m f opt; do
	d=$work/$m
	mkdir -p "$d"
	p=$(params "$mdir/$m.tflite")
	read -r _ si zi _ so zo <<< "$p"
	# shellcheck disable=SC2086
	if ! "$QUANTC" compile "$mdir/$m.tflite" $opt --name model -o "$d/m.o" 2> "$d/log" ||
		! "$CC" ${QC_CFLAGS:-} "$work/run_q.o" "$d/m.o" "$QRT_LIB" -o "$d/run_q" 2>> "$d/log"; then
		fail "$m: compiles${opt:+ with $opt} and links"
		sed 's/^/  /' "$d/log"
		continue
	fi
	ok "$m: compiles${opt:+ with $opt} (no --calib) and links"
	# n random int8 inputs, and the same as floats on the input's grid
	"$py" - "$d" "$n" "$si" "$zi" <<'EOF'
import sys
import numpy as np
d, n, s, z = sys.argv[1], int(sys.argv[2]), np.float32(sys.argv[3]), int(sys.argv[4])
shape = {"kws": (49, 10, 1), "ad01": (640,), "pretrainedResnet": (32, 32, 3), "vww": (96, 96, 3)}
key = [k for k in shape if k in d.split("/")[-1]][0]
q = np.random.default_rng(19).integers(-128, 128, (n, 1) + shape[key]).astype(np.int8)
q.tofile(d + "/in.raw")
np.save(d + "/in.npy", ((q.astype(np.int32) - z).astype(np.float32) * s).astype(np.float32))
EOF
	if ! "$QUANTC" run "$mdir/$m.tflite" --input "$d/in.npy" -o "$d/run.npy" 2>> "$d/log"; then
		fail "$m: quantc run"
		sed 's/^/  /' "$d/log"
		continue
	fi
	got=$("$d/run_q" "$n" "$d/in.raw" "$d/out.raw")
	check "$m: model_run_q's input and output parameters are the file's ($p)" \
		test "$got" = "$p"
	check "$m: model_run_q's int8 outputs equal quantc run's bit for bit on $n random int8 inputs" \
		"$py" -c '
import sys
import numpy as np
y = np.load(sys.argv[1]).reshape(-1)
s, z = np.float32(sys.argv[3]), int(sys.argv[4])
q = np.fromfile(sys.argv[2], np.int8).astype(np.int32)
back = ((q - z).astype(np.float32) * s).astype(np.float32)
sys.exit(0 if q.size == y.size and np.array_equal(back.view(np.uint32), y.view(np.uint32)) else 1)' \
		"$d/run.npy" "$d/out.raw" "$so" "$zo"

	# the float twin, --precision f32, on inputs over the int8 input's range
	fd=$work/$f
	mkdir -p "$fd"
	"$py" -c '
import sys
import numpy as np
x = np.load(sys.argv[1]).astype(np.float32)
s, z = float(sys.argv[2]), int(sys.argv[3])
lo, hi = s * (-128 - z), s * (127 - z)
r = np.random.default_rng(7).uniform(lo, hi, x.shape).astype(np.float32)
np.save(sys.argv[4] + "/in.npy", r)
r.tofile(sys.argv[4] + "/in.raw")
# calibration samples for the int8 calibration of the float twin
np.save(sys.argv[4] + "/calib.npy", np.random.default_rng(8).uniform(lo, hi, (32,) + x.shape[1:]).astype(np.float32))' \
		"$d/in.npy" "$si" "$zi" "$fd"
	# shellcheck disable=SC2086
	if "$QUANTC" compile "$mdir/$f.tflite" --precision f32 -O0 --name model -o "$fd/m.o" 2> "$fd/log" &&
		"$CC" ${QC_CFLAGS:-} "$work/driver.o" "$fd/m.o" "$QRT_LIB" -o "$fd/drv" 2>> "$fd/log" &&
		"$QUANTC" run "$mdir/$f.tflite" --precision f32 --input "$fd/in.npy" -o "$fd/run.npy" 2>> "$fd/log" &&
		"$fd/drv" "$n" "$fd/in.raw" "$fd/out.raw" 2>> "$fd/log"; then
		check "$f: the f32 object equals quantc run --precision f32 bit for bit on $n inputs" \
			"$py" -c '
import sys
import numpy as np
a, b = np.fromfile(sys.argv[1], np.float32), np.load(sys.argv[2]).reshape(-1)
sys.exit(0 if a.size == b.size and np.array_equal(a.view(np.uint32), b.view(np.uint32)) else 1)' \
			"$fd/out.raw" "$fd/run.npy"
	else
		fail "$f: compiles with --precision f32, links and runs"
		sed 's/^/  /' "$fd/log"
	fi
done << 'EOF'
kws_ref_model kws_ref_model_float32
ad01_int8 ad01_fp32
pretrainedResnet_quant pretrainedResnet -O0
vww_96_int8 vww_96_float -O0
EOF

# the float anomaly detector calibrated to int8 by quantc
check "ad01_fp32: compiles to int8 with --calib (32 samples over the int8 model's input range)" \
	"$QUANTC" compile "$mdir/ad01_fp32.tflite" --calib "$work/ad01_fp32/calib.npy" -O0 \
	-o "$work/ad01_fp32/q.o"

# dumps parse back and compile to the same object
for m in kws_ref_model ad01_int8; do
	d=$work/$m
	check "$m: quantc opt --passes infer-shapes -o M.qg writes a dump" \
		"$QUANTC" opt "$mdir/$m.tflite" --passes infer-shapes -o "$d/dump.qg"
	check "$m: the dump compiles to the same object as the .tflite" \
		sh -c '"$1" compile "$2" --name model -o "$3" && cmp -s "$3" "$4"' _ \
		"$QUANTC" "$d/dump.qg" "$d/dump.o" "$d/m.o"
done

# the int8 models agree with their float twins on the top class
"$py" -c '
import sys
import numpy as np
for name, shape in (("kws", (1, 49, 10, 1)), ("res", (1, 32, 32, 3))):
    x = [np.zeros(shape), np.full(shape, 0.5), np.random.default_rng(3).uniform(0, 1, shape)]
    np.save(sys.argv[1] + "/" + name + ".npy", np.concatenate(x).astype(np.float32))' "$work"
for pair in "kws_ref_model kws_ref_model_float32 kws" "pretrainedResnet_quant pretrainedResnet res"; do
	read -r m f x <<< "$pair"
	if "$QUANTC" run "$mdir/$m.tflite" --input "$work/$x.npy" -o "$work/$x.q.npy" &&
		"$QUANTC" run "$mdir/$f.tflite" --precision f32 --input "$work/$x.npy" -o "$work/$x.f.npy"; then
		top=$("$py" -c '
import sys
import numpy as np
a, b = np.load(sys.argv[1]).argmax(1), np.load(sys.argv[2]).argmax(1)
print(" ".join(map(str, a)), "/", " ".join(map(str, b)))' "$work/$x.q.npy" "$work/$x.f.npy")
		check "$m: the top class of 3 inputs (0, 0.5, random) equals the float model's ($top)" \
			test "${top% / *}" = "${top#* / }"
	else
		fail "$m, $f: quantc run"
	fi
done

# the operator cases: each int8 one's object (-O0) equals quantc run bit for
# bit on n random inputs (make_tflite_cases.py; their float twins are
# compared with ArmNN by tests/e2e/tflite/armnn_ops.py, outside ctest)
nop=0
for c in "$cases"/op_*_q.tflite; do
	b=$(basename "$c" .tflite)
	d=$work/$b
	mkdir -p "$d"
	nop=$((nop + 1))
	# shellcheck disable=SC2086
	if "$QUANTC" compile "$c" -O0 --name model -o "$d/m.o" 2> "$d/log" &&
		"$CC" ${QC_CFLAGS:-} "$work/driver.o" "$d/m.o" "$QRT_LIB" -o "$d/drv" 2>> "$d/log" &&
		"$QUANTC" opt "$c" --passes infer-shapes > "$d/dump.qg" 2>> "$d/log" &&
		"$py" -c '
import re, sys
import numpy as np
dims = re.search(r"^input \w+ : f32\[([0-9,]+)\]", open(sys.argv[1]).read(), re.M).group(1)
x = np.random.default_rng(23).uniform(-3, 3, [int(sys.argv[3])] + [int(v) for v in dims.split(",")])
x = x.astype(np.float32)
np.save(sys.argv[2] + "/in.npy", x)
x.tofile(sys.argv[2] + "/in.raw")' "$d/dump.qg" "$d" "$n" &&
		"$QUANTC" run "$c" --input "$d/in.npy" -o "$d/run.npy" 2>> "$d/log" &&
		"$d/drv" "$n" "$d/in.raw" "$d/out.raw" 2>> "$d/log" &&
		"$py" -c '
import sys
import numpy as np
a, b = np.fromfile(sys.argv[1], np.float32), np.load(sys.argv[2]).reshape(-1)
sys.exit(0 if a.size == b.size and np.array_equal(a.view(np.uint32), b.view(np.uint32)) else 1)' \
			"$d/out.raw" "$d/run.npy"; then
		ok "$b: imports, compiles, and the object equals quantc run bit for bit on $n inputs"
	else
		fail "$b: imports, compiles, and the object equals quantc run bit for bit on $n inputs"
		sed 's/^/  /' "$d/log"
	fi
done
check "the operator cases are there ($nop)" test "$nop" -ge 20

# the refusals: each case names every problem, exits 1, writes nothing
ncase=0
for c in "$cases"/bad_*.tflite; do
	b=$(basename "$c" .tflite)
	ncase=$((ncase + 1))
	"$QUANTC" compile "$c" -o "$work/$b.o" > /dev/null 2> "$work/$b.log"
	rc=$?
	miss=
	while IFS= read -r line; do
		grep -qF -- "$line" "$work/$b.log" || miss="$miss [$line]"
	done < "${c%.tflite}.err"
	if [ $rc -eq 1 ] && [ -z "$miss" ] && [ ! -e "$work/$b.o" ]; then
		ok "refused: $b ($(grep -c 'error:' "$work/$b.log") errors, exit 1, no object)"
	else
		fail "refused: $b (exit $rc, missing:${miss:- none})"
		sed 's/^/  /' "$work/$b.log"
	fi
done
check "the refusal cases are there ($ncase)" test "$ncase" -ge 6
finish
