# op_stages.sh — every op of ir/ops.def through every stage, in every
# precision its row declares (the `precs` column), and a clear refusal in
# every other:
#   1. every op has a model here (tests/e2e/ops/NAME.qg): a new op without
#      one fails this test;
#   2. for each precision the op has kernels in: `quantc run` (shape
#      inference, ranges, quantization, overflow check, memory plan, the
#      interpreter) computes finite outputs of the right count, and `quantc
#      compile` lowers it for Cortex-M4 (op_exact.sh
#      compiles, links and runs it for x86-64 and AArch64);
#   3. for each precision it lacks: both commands exit 1 with an error that
#      names the op ("op sigmoid has no int16 kernel") and write nothing.
#   4. no stage dispatches on the op itself: outside the family files
#      (ir/, passes/, targets/ fam_<family>.c) no source has a `case OP_`.
# quantize and dequantize are the boundaries the quantize pass makes: their
# models hold them explicitly and run in every precision.
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
ops=$QC_SRC/tests/e2e/ops
targets="thumbv7em-none-eabihf"

# the rows of ops.def: NAME PRECS
sed -nE 's/^OP\([A-Z0-9_]+, *"([a-z0-9_]+)",.*(FAM_[A-Z]+), *([A-Z0-9_|]+),$/\1 \3/p' \
	"$QC_SRC/ir/ops.def" > "$work/rows"
nrows=$(wc -l < "$work/rows")
check "ops.def has its $nrows rows with a family and precisions" \
	test "$nrows" = "$(grep -c '^OP(' "$QC_SRC/ir/ops.def")"

# one input file per model input (random values inside its declared range),
# for every op model in one python
"$py" - "$ops" "$work" <<'EOF'
import glob, os, re, sys
import numpy as np
for model in sorted(glob.glob(os.path.join(sys.argv[1], "*.qg"))):
    op = os.path.basename(model)[:-3]
    rng = np.random.default_rng(7)
    args = []
    for i, m in enumerate(re.finditer(r'^input (\w+) : f32\[([0-9,]+)\] range \[([-0-9.e]+), ([-0-9.e]+)\]',
                                      open(model).read(), re.M)):
        dims = [int(d) for d in m.group(2).split(',')]
        shape = [3] + (dims[1:] if dims[0] == 1 else dims)  # N samples of the input
        lo, hi = float(m.group(3)), float(m.group(4))
        path = "%s/%s.in%d.npy" % (sys.argv[2], op, i)
        np.save(path, (lo + (hi - lo) * rng.random(shape)).astype(np.float32))
        args.append("--input " + path)
    open("%s/%s.args" % (sys.argv[2], op), "w").write(" ".join(args))
EOF

while read -r op precs; do
	m=$ops/$op.qg
	if [ ! -f "$m" ]; then
		fail "$op: tests/e2e/ops/$op.qg exists"
		continue
	fi
	inputs=$(cat "$work/$op.args")
	for p in f32 int8 int16; do
		case $p in f32) bit=PR_F32 ;; int8) bit=PR_I8 ;; int16) bit=PR_I16 ;; esac
		case "|$precs|" in *"|PR_ALL|"* | *"|$bit|"*) want=yes ;; *) want=no ;; esac
		out=$work/$op.$p
		# shellcheck disable=SC2086
		"$QUANTC" run "$m" $inputs -o "$out.npy" --precision $p > "$out.run" 2>&1
		rrc=$?
		crc=0
		for t in $targets; do
			"$QUANTC" compile "$m" --precision $p --target $t -o "$out.$t.o" > "$out.$t.err" 2>&1 ||
				{ crc=$?; cp "$out.$t.err" "$out.cerr"; }
		done
		if [ $want = yes ]; then
			# judged after the loop, all in one python (a numpy start per
			# op and precision was most of this test's time)
			printf '%s\t%s\t%s\t%s\n' "$op $p" $rrc "$out.npy" "$out.run" >> "$work/runs"
			check "$op $p: compiles for $targets" test $crc = 0
			[ $crc = 0 ] || sed 's/^/  /' "$out.cerr"
		else
			names="op $op[ (].*has no (int16|i16|int8|i8) kernel"
			check "$op $p: run refuses it (exit 1), naming the op" \
				eval "test $rrc = 1 && grep -qE '$names' '$out.run' && test ! -e '$out.npy'"
			check "$op $p: compile refuses it on every target, naming the op, writing nothing" \
				eval "test $crc = 1 && grep -qE '$names' '$out.cerr' && ! ls '$out'.*.o > /dev/null 2>&1"
		fi
	done
done < "$work/rows"
# every run that should work: exit 0 and 3 finite samples (its messages when not)
touch "$work/runs"
"$py" - "$work/runs" > "$work/finite" <<'EOF'
import sys
import numpy as np
for line in open(sys.argv[1]):
    what, rc, npy, log = line.rstrip("\n").split("\t")
    good = False
    try:
        y = np.load(npy) if rc == "0" else None
        good = y is not None and bool(y.shape[0] == 3 and np.isfinite(y).all())
    except (OSError, ValueError) as e:
        print("  %s: %s" % (npy, e))
    print("%s: %s: run computes 3 finite samples" % ("ok" if good else "FAIL", what))
    if rc != "0":
        print("".join("  " + l for l in open(log)), end="")
EOF
cat "$work/finite"
checks=$((checks + $(grep -cE '^(ok|FAIL): ' "$work/finite")))
fails=$((fails + $(grep -c '^FAIL: ' "$work/finite")))
nruns=$(grep -c '' "$work/runs")
check "every run judged ($nruns of them)" test "$(grep -cE '^(ok|FAIL): ' "$work/finite")" = "$nruns"
# --- 4. dispatch only through the families' tables ------------------------------
outside=$(cd "$QC_SRC" && grep -ln 'case OP_' ir/*.c passes/*.c targets/*.c frontend/*.c compiler/*.c |
	grep -v '/fam_[a-z]*\.c$' | tr '\n' ' ')
check "no 'case OP_' outside the family files (found in: ${outside:-none})" test -z "$outside"
echo "$nrows ops x 3 precisions x (run + $(echo $targets | wc -w) targets)"
finish
