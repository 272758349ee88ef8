# valgrind.sh — memcheck on the generated code and on quantc itself.
#  1. Every example model (CNN, MLP) in int8, int16 and f32, compiled for
#     x86-64-v3 (valgrind 3.19 does not know AVX-512), linked into
#     tests/valgrind/driver.c, which gives each run a fresh heap arena of
#     exactly NAME_ARENA_SIZE bytes and exact-size input/output blocks, and
#     runs K test images through NAME_run and NAME_run_q under
#     `valgrind --tool=memcheck --error-exitcode=99 --leak-check=full`: no
#     error may be reported (no access outside the blocks, no use of a byte
#     the model never wrote, no leak), and the outputs equal the interpreter's.
#  2. quantc itself compiling the MLP in two precisions (its first dense
#     layer int8, calibrated on the first 50 calibration samples, the second
#     f32; with every --emit kind and --dump-dir) for one ISA level
#     (x86-64-v3), and reporting on the MLP (int8): no definite or indirect
#     leak, no memory error.  LLVM keeps some blocks reachable until exit;
#     those are fine.  One small model: every quantc process under memcheck
#     costs 10 s of CPU before it does any work, and the CNN's code 15 s more
#     (the sanitizer build runs every test's quantc under ASan and LSan).
#     Not run when quantc is built with the sanitizers (LeakSanitizer checks
#     it there, and valgrind cannot run ASan programs).
#   QC_VALGRIND_IMAGES  K (default 3)
. "$(dirname "$0")/lib.sh"
k=${QC_VALGRIND_IMAGES:-3}
# 100 calibration samples: what valgrind checks does not depend on the ranges
calib=$work/calib100.npy
"$NPYTOOL" head 100 "$QC_DATA/calib.npy" "$calib"
vg=(valgrind --tool=memcheck --error-exitcode=99 --leak-check=full --track-origins=yes)

if ! command -v valgrind > /dev/null; then
	fail "valgrind is installed (.ci/install-deps installs it)"
	finish
	exit
fi

# summary LOG: memcheck's verdict lines, for the test's output
summary() { grep -E 'ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|still reachable|All heap blocks' "$1" | sed 's/^==[0-9]*== */  /'; }

check "host tool xtool builds" "$CC" -std=c11 -O2 -Wall -Wextra -Werror "$QC_SRC/tests/cross/xtool.c" -o "$work/xtool"
check "images.h holds the first $k test images" \
	"$work/xtool" images "$QC_DATA/test_x.npy" "$k" "$work/images.h"
"$NPYTOOL" head "$k" "$QC_DATA/test_x.npy" "$work/x.npy"

# The runtime from its sources, without the sanitizers a QUANTC_SANITIZE
# build puts into libqrt.a (valgrind cannot run those).
rt=()
for s in "$QC_SRC"/runtime/src/*.c; do
	o=$work/rt_$(basename "$s" .c).o
	"$CC" -std=c99 -O2 -g -Wall -Wextra -Werror -I"$QRT_INCLUDE" -c "$s" -o "$o" && rt+=("$o")
done

# matches_interpreter MODEL PREC DIR: DIR/out.txt holds the interpreter's outputs
matches_interpreter() {
	local ref=(--precision "$2")
	[ "$2" = f32 ] || ref+=(--calib "$calib")
	"$QUANTC" run "$ex/$1.qg" "${ref[@]}" --input "$work/x.npy" -o "$3/ref.npy" &&
		"$work/xtool" compare "$3/out.txt" "$3/ref.npy" > /dev/null
}

# --- 1. the generated code ------------------------------------------------
for model in cnn mlp; do
	for prec in int8 int16 f32; do
		t="$model $prec"
		d=$work/$model-$prec
		mkdir -p "$d"
		if ! "$QUANTC" compile "$ex/$model.qg" --precision "$prec" --calib "$calib" \
			--mcpu x86-64-v3 -o "$d/$model.o"; then
			fail "$t: quantc compiles it for x86-64-v3"
			continue
		fi
		q=()
		case $prec in
		int8) q=(-DQTYPE=int8_t) ;;
		int16) q=(-DQTYPE=int16_t) ;;
		esac
		if ! "$CC" -std=c11 -O1 -g -Wall -Wextra -Werror -DMODEL="$model" -DMODEL_UC="${model^^}" "${q[@]}" \
			-I"$d" -I"$work" -I"$QRT_INCLUDE" "$QC_SRC/tests/valgrind/driver.c" "$d/$model.o" "${rt[@]}" \
			-o "$d/drv"; then
			fail "$t: the driver links"
			continue
		fi
		s=$SECONDS
		"${vg[@]}" --log-file="$d/vg.log" "$d/drv" > "$d/out.txt"
		rc=$?
		head -1 "$d/out.txt"
		grep '^ERROR' "$d/out.txt"
		summary "$d/vg.log"
		if [ $rc -eq 0 ] && grep -q 'ERROR SUMMARY: 0 errors' "$d/vg.log"; then
			ok "$t: memcheck clean over $k images ($((SECONDS - s))s): arena, inputs, outputs, no leak"
		else
			fail "$t: memcheck clean (exit $rc)"
			grep -vE '^==[0-9]+== *$' "$d/vg.log" | head -40
		fi
		check "$t: outputs under valgrind equal the interpreter's bit for bit" matches_interpreter "$model" "$prec" "$d"
	done
done

# --- 2. quantc itself -----------------------------------------------------
if [[ "${QC_CFLAGS:-}" == *sanitize* ]]; then
	echo "skipped: quantc under valgrind (this build uses the sanitizers; LeakSanitizer checks leaks)"
	finish
	exit
fi
"$NPYTOOL" head 50 "$calib" "$work/calib50.npy"
qvg=(valgrind --tool=memcheck --error-exitcode=99 --leak-check=full
	--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect)
# vg_quantc WHAT ARGS...: quantc ARGS under memcheck
vg_quantc() {
	local what=$1 log=$work/quantc-$1.log s=$SECONDS rc
	shift
	echo "\$ valgrind quantc $*"
	"${qvg[@]}" --log-file="$log" "$QUANTC" "$@"
	rc=$?
	summary "$log"
	if [ $rc -eq 0 ] && grep -q 'ERROR SUMMARY: 0 errors' "$log"; then
		ok "quantc $what under memcheck: no memory error, no definite or indirect leak ($((SECONDS - s))s)"
	else
		fail "quantc $what under memcheck (exit $rc)"
		grep -vE '^==[0-9]+== *$' "$log" | head -60
	fi
}
# one ISA level (--mcpu): the default x86-64 object is the same code three
# times over, which triples LLVM's time under memcheck and nothing else; the
# sanitizer build (LeakSanitizer, ASan) runs the default everywhere
printf 'precision: int8\nlayers:\n  - match: y\n    precision: f32\n' > "$work/mixed.yaml"
vg_quantc "compile mlp int8 and f32 layers (all --emit kinds, --dump-dir)" compile "$ex/mlp.qg" \
	--config "$work/mixed.yaml" --calib "$work/calib50.npy" --mcpu x86-64-v3 \
	--emit obj,header,llvm,asm --dump-dir "$work/q-dumps" -o "$work/q-mlp.o"
check "the MLP compiled under memcheck has an int8 and an f32 dense layer" \
	test "$(grep -cE '^(t3 : i8|y : f32)\[.* = dense\(' "$work"/q-dumps/*-plan-memory.qg)" = 2
vg_quantc "report mlp int8 (JSON, SVG)" report "$ex/mlp.qg" --calib "$work/calib50.npy" --input "$work/x.npy" \
	--format json --svg "$work/q-mlp.svg" -o "$work/q-mlp.json"
finish
