# op_exact.sh — every op's compiled code computes what the reference
# interpreter does, bit for bit: for every model tests/e2e/ops/NAME.qg (one
# per row of ir/ops.def, picked up automatically) and every precision the
# row's `precs` column declares,
#   - int8 and int16: the x86-64 host object and the AArch64 object (under
#     qemu-aarch64, static glibc) give outputs equal bit for bit to
#     `quantc run`'s on 16 random samples inside each input's declared range;
#   - f32: the host object, the same way.
# Each model is compiled once per precision and target, two ops at a time.
# Cost: about 13 s of CPU for 25 ops (most of it quantc compile and the
# static AArch64 links); QC_OP_EXACT_JOBS sets the parallelism (default 2).
# shellcheck shell=bash source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=../cross/boards.sh
. "$QC_SRC/tests/cross/boards.sh"
py=/usr/bin/python3
ops=$QC_SRC/tests/e2e/ops
nsamples=16
jobs=${QC_OP_EXACT_JOBS:-2}

# the rows of ops.def: NAME PRECS
sed -nE 's/^OP\([A-Z0-9_]+, *"([a-z0-9_]+)",.*(FAM_[A-Z]+), *([A-Z0-9_|]+),$/\1 \3/p' \
	"$QC_SRC/ir/ops.def" > "$work/rows"
nrows=$(wc -l < "$work/rows")
check "ops.def has its $nrows rows with precisions" \
	test "$nrows" = "$(grep -c '^OP(' "$QC_SRC/ir/ops.def")"

# the driver, once per target: host (the runtime library) and AArch64 (the
# runtime cross-built freestanding, linked static for qemu-user)
mkdir -p "$work/host" "$work/a64"
# shellcheck disable=SC2086
check "host driver builds" "$CC" -std=c11 -O2 -Wall -Wextra -Werror ${QC_CFLAGS:-} \
	-I"$QRT_INCLUDE" -c "$QC_SRC/tests/zoo/driver.c" -o "$work/host/driver.o"
a64=yes
if ! cross_target aarch64-linux-gnu || ! cross_tools_present; then
	fail "aarch64: cross compiler and qemu-aarch64 installed"
	a64=no
else
	a64_build() {
		x_build_runtime "$work/a64" &&
			"$x_cc" "${x_cflags[@]}" -std=c11 -O2 -Wall -Wextra -Werror -I"$QRT_INCLUDE" \
				-c "$QC_SRC/tests/zoo/driver.c" -o "$work/a64/driver.o"
	}
	check "aarch64: runtime and driver build with $x_cc" a64_build || a64=no
fi

# the inputs of every op model, in one python: random values inside each
# input's declared range ([-1, 1] without one), as .npy for quantc run and
# .raw for the driver; DIR/io holds the model's input and output counts
"$py" - "$ops" "$work" "$nsamples" "$work/rows" <<'EOF'
import os, re, sys
import numpy as np
ops, work, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for row in open(sys.argv[4]):
    op = row.split()[0]
    d = os.path.join(work, op)
    os.makedirs(d, exist_ok=True)
    if not os.path.exists(os.path.join(ops, op + ".qg")):
        continue
    src = open(os.path.join(ops, op + ".qg")).read()
    rng = np.random.default_rng(11)
    ins = re.findall(r'^input (\w+) : f32\[([0-9,]+)\](?: range \[([-0-9.e]+), ([-0-9.e]+)\])?', src, re.M)
    for i, (name, dims, lo, hi) in enumerate(ins):
        dims = [int(x) for x in dims.split(',')]
        shape = [n] + (dims[1:] if dims[0] == 1 else dims)  # n samples of the input
        lo, hi = (float(lo), float(hi)) if lo else (-1.0, 1.0)
        x = (lo + (hi - lo) * rng.random(shape)).astype(np.float32)
        np.save("%s/in%d.npy" % (d, i), x)
        x.tofile("%s/in%d.raw" % (d, i))
    outs = [o.strip() for line in re.findall(r'^output (.*)$', src, re.M) for o in line.split(',')]
    open(d + "/io", "w").write("%d %d\n" % (len(ins), len(outs)))
EOF

# one_op OP PRECS: builds and runs one op's objects; prints lib.sh's FAIL:
# lines for what went wrong and, for each object that ran, a line
# "cmp DESCRIPTION OUT.raw RUN.npy ..." that the comparison below judges
one_op() {
	local op=$1 precs=$2 m=$ops/$1.qg d=$work/$1 p bit t o ins outs what
	if [ ! -f "$m" ]; then
		fail "$op: tests/e2e/ops/$op.qg exists"
		return
	fi
	read -r ni no < "$d/io"
	ins=()
	for ((k = 0; k < ni; k++)); do ins+=(--input "$d/in$k.npy"); done
	for p in f32 int8 int16; do
		case $p in f32) bit=PR_F32 ;; int8) bit=PR_I8 ;; int16) bit=PR_I16 ;; esac
		case "|$precs|" in *"|PR_ALL|"* | *"|$bit|"*) ;; *) continue ;; esac
		outs=()
		for ((k = 0; k < no; k++)); do outs+=(-o "$d/$p.run$k.npy"); done
		if ! "$QUANTC" run "$m" "${ins[@]}" "${outs[@]}" --precision "$p" > "$d/$p.log" 2>&1; then
			fail "$op $p: quantc run"
			sed 's/^/  /' "$d/$p.log"
			continue
		fi
		for t in host a64; do
			[ $t = a64 ] && { [ $p = f32 ] || [ $a64 = no ]; } && continue
			o=$d/$p.$t
			what="$op $p: the $([ $t = host ] && echo x86-64 host || echo AArch64) object equals quantc run bit for bit on $nsamples samples"
			if [ $t = host ]; then
				# shellcheck disable=SC2086
				"$QUANTC" compile "$m" --precision "$p" --name model -o "$o.o" > "$o.log" 2>&1 &&
					"$CC" ${QC_CFLAGS:-} "$work/host/driver.o" "$o.o" "$QRT_LIB" -o "$o.exe" >> "$o.log" 2>&1
			else
				"$QUANTC" compile "$m" --precision "$p" --name model --target aarch64-linux-gnu \
					-o "$o.o" > "$o.log" 2>&1 &&
					"$x_cc" "${x_cflags[@]}" "$work/a64/driver.o" "$o.o" "$work/a64"/rt_*.o \
						"${x_ldflags[@]}" -o "$o.exe" >> "$o.log" 2>&1
			fi || { fail "$what (compile and link)"; sed 's/^/  /' "$o.log"; continue; }
			args=()
			for ((k = 0; k < ni; k++)); do args+=("$d/in$k.raw"); done
			for ((k = 0; k < no; k++)); do args+=("$o.out$k.raw"); done
			if [ $t = host ]; then
				"$o.exe" "$nsamples" "${args[@]}" >> "$o.log" 2>&1
			else
				timeout 120 "${x_run[@]}" "$o.exe" "$nsamples" "${args[@]}" >> "$o.log" 2>&1
			fi || { fail "$what (the program ran)"; sed 's/^/  /' "$o.log"; continue; }
			printf 'cmp\t%s' "$what"
			for ((k = 0; k < no; k++)); do printf '\t%s\t%s' "$o.out$k.raw" "$d/$p.run$k.npy"; done
			printf '\n'
		done
	done
}

# two ops at a time; each writes its own log, printed in ops.def's order
i=0
while read -r op precs; do
	i=$((i + 1))
	one_op "$op" "$precs" > "$work/log.$i" 2>&1 &
	if [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; then wait -n; fi
done < "$work/rows"
wait
for ((k = 1; k <= i; k++)); do cat "$work/log.$k"; done > "$work/all.log"
grep -v '^cmp	' "$work/all.log"
checks=$((checks + $(grep -c '^FAIL: ' "$work/all.log")))
fails=$((fails + $(grep -c '^FAIL: ' "$work/all.log")))
# every object's outputs against the interpreter's, in one python
grep '^cmp	' "$work/all.log" | "$py" -c '
import sys
import numpy as np
for line in sys.stdin:
    f = line.rstrip("\n").split("\t")
    same = True
    for raw, npy in zip(f[2::2], f[3::2]):
        a, b = np.fromfile(raw, np.float32), np.load(npy).reshape(-1)
        same = same and a.size == b.size and np.array_equal(a.view(np.uint32), b.view(np.uint32))
    print("%s: %s" % ("ok" if same else "FAIL", f[1]))' > "$work/cmp"
cat "$work/cmp"
checks=$((checks + $(grep -c '' "$work/cmp")))
fails=$((fails + $(grep -c '^FAIL: ' "$work/cmp")))
echo "$nrows ops: $(grep -c '^ok: ' "$work/cmp") (op, precision, target) objects equal quantc run bit for bit"
# every op compared at least one object per precision it has (a test that
# compares nothing must fail, not pass)
while read -r op _; do
	checks=$((checks + 1))
	grep -q "^ok: $op " "$work/cmp" || { echo "FAIL: op $op: no object was compared"; fails=$((fails + 1)); }
done < "$work/rows"
finish
