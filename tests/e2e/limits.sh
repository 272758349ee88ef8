# limits.sh — resource limits (docs/limits.md):
#   1. deep graphs compile: a chain of 10,000 layers (relus, every tenth a
#      dense layer) and one of 1,000, in f32 and in int8, and inspect; their
#      CPU times are printed for a person to compare (nothing is asserted on
#      time: bench/ measures, tests check behaviour);
#   2. a tensor over 2 GiB, declared or computed, is an error naming it;
#   3. --max-memory below the arena the model needs is an error naming the
#      tensor that does not fit; at or above it the compile succeeds.
# QC_LIMITS_LAYERS overrides the 10,000 (the 1,000 is a tenth of it).
. "$(dirname "$0")/lib.sh"
q=$QUANTC
big=${QC_LIMITS_LAYERS:-10000}
small=$((big / 10))

# chain N: a model of N layers of width 4, one after the other: every tenth
# a dense layer (small inline weights, a bias every other one), the others
# relus
chain() {
	awk -v n="$1" 'BEGIN {
		print "model deep"
		print "input x : f32[1,4] range [-1, 1]"
		prev = "x"
		for (i = 1; i <= n; i++) {
			if (i % 10) {
				printf "r%d = relu(%s)\n", i, prev
				prev = "r" i
				continue
			}
			printf "const w%d : f32[4,4] = [", i
			for (k = 0; k < 16; k++)
				printf "%s%s", k ? ", " : "", ((k * 7 + i) % 9 - 4) / 8.0
			print "]"
			if (i % 20) {
				printf "const b%d : f32[4] = [0.01, -0.02, 0.03, 0]\n", i
				printf "d%d = dense(%s, w%d, b%d)\n", i, prev, i, i
			} else
				printf "d%d = dense(%s, w%d)\n", i, prev, i
			prev = "d" i
		}
		print "output " prev
	}'
}

# cpu OUTFILE COMMAND...: runs COMMAND, writes its user+system seconds
cpu() {
	local out=$1; shift
	local TIMEFORMAT='%U %S'
	{ time "$@" > /dev/null 2> "$work/cmd.err"; } 2> "$work/time.txt"
	local rc=$?
	awk '{ printf "%.3f\n", $1 + $2 }' "$work/time.txt" > "$out"
	return $rc
}

chain "$small" > "$work/small.qg"
chain "$big" > "$work/big.qg"
for prec in f32 int8; do
	check "$prec: $small layers compile" cpu "$work/t_small" "$q" compile "$work/small.qg" -q --precision $prec -o "$work/small_$prec.o"
	check "$prec: $big layers compile" cpu "$work/t_big" "$q" compile "$work/big.qg" -q --precision $prec -o "$work/big_$prec.o"
	ts=$(cat "$work/t_small") tb=$(cat "$work/t_big")
	echo "$prec: $small layers ${ts}s CPU, $big layers ${tb}s CPU"
	check "$prec: the $big-layer object defines deep_run" sh -c "nm '$work/big_$prec.o' | grep -q ' T deep_run$'"
done
check "inspect $big layers" cpu "$work/t_big" "$q" inspect "$work/big.qg" -q --precision int8
check "inspect $small layers" cpu "$work/t_small" "$q" inspect "$work/small.qg" -q --precision int8
ts=$(cat "$work/t_small") tb=$(cat "$work/t_big")
echo "inspect: $small layers ${ts}s CPU, $big layers ${tb}s CPU"

# expect_error NAME TEXT -- COMMAND...: exit 1, TEXT in stderr, no output left
expect_error() {
	local name=$1 text=$2; shift 3
	rm -rf "$work/out"; mkdir -p "$work/out"
	"$@" > /dev/null 2> "$work/err.txt"; local rc=$?
	if [ $rc -eq 1 ] && grep -qF -- "$text" "$work/err.txt" && [ -z "$(ls "$work/out")" ]; then
		ok "$name: exit 1 saying '$text', nothing written"
	else
		fail "$name: exit $rc (want 1), files: $(ls "$work/out"), stderr: $(head -c 400 "$work/err.txt")"
	fi
}

cat > "$work/huge_input.qg" <<'EOF'
model huge
input x : f32[1,1024,1024,1024] range [0, 1]
y = relu(x)
output y
EOF
expect_error "a 4 GiB input" "huge_input.qg:2:11: error: x: f32[1,1024,1024,1024] has 4294967296 bytes, more than the 2 GiB a tensor may have" -- \
	"$q" compile "$work/huge_input.qg" --precision f32 -o "$work/out/m.o"

cat > "$work/huge_result.qg" <<'EOF'
model huge
input x : f32[1,1,8,8] range [0, 1]
const w : f32[16,1,1,1] = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
y = conv2d(x, w) { pad = [65536, 65536, 65536, 65536] }
output y
EOF
expect_error "a conv2d result padded to 1 TiB" "huge_result.qg:4:1: error: conv2d: its result 'y' f32[1,16,131080,131080] would have 1099645849600 bytes, more than the 2 GiB a tensor may have" -- \
	"$q" compile "$work/huge_result.qg" --precision f32 -o "$work/out/m.o"

cat > "$work/arena.qg" <<'EOF'
model arena
input x : f32[1,1,64,64] range [0, 1]
y = maxpool2d(x) { kernel = [1, 1] }
z = relu(y)
output z
EOF
# x and y are live together: 2 x 16384 bytes (z is relu in place over y)
expect_error "--max-memory 20K below the 32K arena" "arena.qg:3:1: error: plan-memory: 'y' (f32[1,1,64,64], 16384 bytes) does not fit in --max-memory of 20480 bytes" -- \
	"$q" compile "$work/arena.qg" --precision f32 --max-memory 20K -o "$work/out/m.o"
expect_error "--max-memory 1000 below one tensor" "does not fit in --max-memory of 1000 bytes" -- \
	"$q" compile "$work/arena.qg" --precision f32 --max-memory 1000 -o "$work/out/m.o"
expect_error "--max-memory in int8, below the 8K arena" "does not fit in --max-memory of 4096 bytes" -- \
	"$q" compile "$work/arena.qg" --max-memory 4K -o "$work/out/m.o"
check "--max-memory 32K is enough" "$q" compile "$work/arena.qg" --precision f32 --max-memory 32K -o "$work/m.o"
check "... and the arena is 32768 bytes" grep -q '#define ARENA_ARENA_SIZE 32768u' "$work/m.h"
check "--max-memory=1G works too" "$q" compile "$work/arena.qg" --precision f32 --max-memory=1G -o "$work/m.o"
for bad in 0 -5 1.5K 12X 64KB 99999999999G ""; do
	expect_error "--max-memory '$bad'" "--max-memory: '$bad' is not a number of bytes" -- \
		"$q" compile "$work/arena.qg" --precision f32 --max-memory "$bad" -o "$work/out/m.o"
done
expect_error "--max-memory without a value" "option '--max-memory' needs a value" -- \
	"$q" compile "$work/arena.qg" --precision f32 -o "$work/out/m.o" --max-memory
finish
