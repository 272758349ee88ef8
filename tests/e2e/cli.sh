# cli.sh — the command line of DESIGN section 3 and the generated ABI of
# section 4: exit statuses, diagnostics for bad options, what --emit writes,
# the header, the object's undefined symbols, determinism, inspect.
. "$(dirname "$0")/lib.sh"
# 100 calibration samples, not 1000: nothing checked here depends on the
# count (the CNN calibrates in every compile, inspect and run of it)
calib=$work/calib100.npy
"$NPYTOOL" head 100 "$QC_DATA/calib.npy" "$calib"
q=$QUANTC

expect() { # expect STATUS TEXT -- COMMAND...: exit status and a stderr substring
	local want=$1 text=$2; shift 3
	"$@" > /dev/null 2> "$work/err.txt"; local rc=$?
	if [ $rc -eq "$want" ] && grep -qF -- "$text" "$work/err.txt"; then ok "'$*' exits $want saying '$text'"
	else fail "'$*' exited $rc (want $want), stderr: $(head -c 300 "$work/err.txt")"; fi
}

check "--version names the LLVM version" sh -c "'$q' --version | grep -q 'LLVM 19'"
check "--help lists the commands" sh -c "'$q' --help | grep -q 'quantc compile'"
check "compile --help lists the passes" sh -c "'$q' compile --help | grep -q 'plan-memory'"
expect 2 "usage" -- "$q"
expect 2 "unknown command" -- "$q" frobnicate
expect 1 "unknown option '--frob'" -- "$q" compile "$ex/cnn.qg" --frob -o "$work/x.o"
expect 1 "--emit: unknown kind 'exe'" -- "$q" compile "$ex/cnn.qg" --emit exe -o "$work/x.o"
expect 1 "--precision: unknown 'int4'" -- "$q" compile "$ex/cnn.qg" --precision int4 -o "$work/x.o"
expect 1 "unknown pass 'fold-everything'" -- "$q" compile "$ex/cnn.qg" --passes infer-shapes,fold-everything -o "$work/x.o"
expect 1 "no calibration data" -- "$q" compile "$ex/cnn.qg" --passes infer-shapes,calibrate,quantize -o "$work/x.o"
expect 1 "nonexistent.npy" -- "$q" compile "$ex/cnn.qg" --calib "$work/nonexistent.npy" -o "$work/x.o"
expect 1 "calibration data must be float32" -- "$q" compile "$ex/cnn.qg" --calib "$QC_DATA/test_y.npy" -o "$work/x.o"
expect 1 "error" -- "$q" compile "$ex/mlp.qg" --calib "$ex/weights/mlp/fc1.bias.npy" -o "$work/x.o"
expect 1 "No such file" -- "$q" compile "$work/none.qg" --precision f32 -o "$work/x.o"
check "no output file after the failed compiles" test ! -e "$work/x.o" -a ! -e "$work/x.h"

check "compile --emit obj,header,llvm,asm" "$q" compile "$ex/cnn.qg" --calib "$calib" --emit obj,header,llvm,asm -o "$work/cnn.o"
for f in cnn.o cnn.h cnn.ll cnn.s; do check "wrote $f" test -s "$work/$f"; done
mkdir -p "$work/only"
check "--emit llvm writes only the .ll" sh -c "'$q' compile '$ex/mlp.qg' --precision f32 --emit llvm -o '$work/only/mlp.o' && test -s '$work/only/mlp.ll' -a ! -e '$work/only/mlp.o'"
und=$(nm -u "$work/cnn.o" | awk '{print $2}' | grep -vE '^(memcpy|memset|memmove|qrt_[a-z0-9_]+)$' || true)
check "the object's only undefined symbols are memcpy/memset/memmove/qrt_* (others: '${und}')" test -z "$und"
check "weights are in read-only data" sh -c "readelf -SW '$work/cnn.o' | grep -q rodata && ! readelf -sW '$work/cnn.o' | awk '\$7 != \"UND\"' | grep -q ' OBJECT .* \\.data'"
for pat in '#define CNN_ARENA_SIZE' '#define CNN_ARENA_ALIGN 16u' '#define CNN_INPUT0_SIZE 784u' \
	'#define CNN_OUTPUT0_SIZE 10u' 'int cnn_run(const float *x, float *y, void *arena);' \
	'int cnn_run_q(const int8_t *x, int8_t *y, void *arena);' 'extern const qrt_model cnn_model;' '#include "qrt.h"'; do
	check "cnn.h has '$pat'" grep -qF -- "$pat" "$work/cnn.h"
done
"$q" compile "$ex/cnn.qg" --calib "$calib" -o "$work/again.o"
check "the same compile twice gives a byte-identical .o" cmp -s "$work/cnn.o" "$work/again.o"
check "--name renames the symbols" sh -c "'$q' compile '$ex/mlp.qg' --precision f32 --name fashion -o '$work/fashion.o' && grep -q 'int fashion_run(' '$work/fashion.h' && nm '$work/fashion.o' | grep -q ' T fashion_run$'"
check "f32 header has no _run_q" sh -c "! grep -q run_q '$work/fashion.h'"

# The entry points check their arguments.
cat > "$work/abi.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include "cnn.h"
int main(void) {
	static float x[CNN_INPUT0_SIZE], y[CNN_OUTPUT0_SIZE];
	char *mem = aligned_alloc(CNN_ARENA_ALIGN, CNN_ARENA_SIZE + 2 * CNN_ARENA_ALIGN);
	int ok = 1;
	ok &= cnn_run(NULL, y, mem) == QRT_ERR_NULL;
	ok &= cnn_run(x, NULL, mem) == QRT_ERR_NULL;
	ok &= cnn_run(x, y, NULL) == QRT_ERR_NULL;
	ok &= cnn_run(x, y, mem + 1) == QRT_ERR_ALIGN;
	ok &= cnn_run(x, y, mem) == QRT_OK;
	ok &= cnn_model.arena_size == CNN_ARENA_SIZE && cnn_model.num_inputs == 1 &&
	      cnn_model.inputs[0].size == 784 && cnn_model.inputs[0].dtype == QRT_I8 &&
	      cnn_model.outputs[0].shape[1] == 10;
	free(mem);
	printf("abi checks %s\n", ok ? "passed" : "failed");
	return !ok;
}
C
check "abi.c links" "$CC" ${QC_CFLAGS:-} -std=c11 -I"$work" -I"$QRT_INCLUDE" "$work/abi.c" "$work/cnn.o" "$QRT_LIB" -o "$work/abi"
check "NAME_run returns QRT_ERR_NULL / QRT_ERR_ALIGN / QRT_OK as documented; qrt_model is right" "$work/abi"

expect 1 "unsupported target 'sparc-sun-solaris' (supported: x86_64-linux-gnu" -- "$q" compile "$ex/mlp.qg" --precision f32 --target sparc-sun-solaris -o "$work/x.o"
expect 1 "unknown CPU 'cortex-m99' for thumbv7em-none-eabihf (valid: cortex-m4, cortex-m7)" -- "$q" compile "$ex/mlp.qg" --target thumbv7em-none-eabihf --mcpu cortex-m99 --calib "$calib" -o "$work/x.o"
expect 1 "unknown feature '+bogus' for aarch64-linux-gnu" -- "$q" compile "$ex/mlp.qg" --target aarch64-linux-gnu --mattr +bogus --calib "$calib" -o "$work/x.o"
check "--list-targets names every target of DESIGN section 6" sh -c "'$q' compile --list-targets | grep -c -E 'x86_64-linux-gnu|aarch64-linux-gnu|armv7-linux-gnueabihf|thumbv7em-none-eabihf|riscv64-linux-gnu|riscv32-unknown-elf' | grep -qx 6"
for t in "thumbv7em-none-eabihf --mcpu cortex-m4" "riscv32-unknown-elf"; do
	# shellcheck disable=SC2086
	"$q" inspect "$ex/cnn.qg" --calib "$calib" --target $t > "$work/fp.txt"
	# the arena is the target's: its kernels' scratch is planned in it
	a=$(sed -n 's/^arena: \([0-9]*\) bytes.*/\1/p' "$work/fp.txt")
	check "inspect --target $t prints code, weight and arena bytes (the plan's, $a): $(grep footprint "$work/fp.txt")" \
		grep -qE "^footprint on ${t%% *}.*: code [1-9][0-9]* bytes, read-only data [0-9]+ bytes \(weights 137832\), .* arena ${a:-x} bytes" "$work/fp.txt"
done
"$q" compile "$ex/mlp.qg" --calib "$calib" --print-after quantize --elide-constants --time-passes -o "$work/el.o" 2> "$work/el.txt"
check "--print-after quantize prints one dump headed by its pass" sh -c "grep -c '^# quantc IR after pass' '$work/el.txt' | grep -qx 1 && grep -q '^# quantc IR after pass [0-9]* quantize$' '$work/el.txt'"
check "--elide-constants shortens the 128x784 weight to a count" grep -qF '... (100352 values)]' "$work/el.txt"
for p in infer-shapes fuse-activation calibrate quantize plan-memory total; do
	check "--time-passes reports '$p'" grep -qE "^ +[0-9.]+ ms  $p\$" "$work/el.txt"
done
# warnings for likely mistakes (exit 0, the object written; -q hides them)
"$q" compile "$ex/mlp.qg" -o "$work/nocal.o" 2> "$work/w1.txt"
check "an int8 compile without --calib warns that ranges are proven, not measured: '$(head -c 120 "$work/w1.txt")...'" \
	sh -c "grep -q 'warning: no --calib: the int8 ranges are proven from the inputs. declared ranges, not measured' '$work/w1.txt' && test -s '$work/nocal.o'"
"$q" compile "$ex/mlp.qg" --precision f32 -o "$work/nocal.o" 2> "$work/w2.txt"
check "... but not an f32 compile ($(wc -c < "$work/w2.txt") bytes on stderr)" test ! -s "$work/w2.txt"
"$q" compile -q "$ex/mlp.qg" -o "$work/nocal.o" 2> "$work/w3.txt"
check "... and not under -q" test ! -s "$work/w3.txt"
"$NPYTOOL" head 20 "$calib" "$work/c20.npy"
/usr/bin/python3 -c "import numpy as np; a = np.load('$work/c20.npy'); a[3] *= 255; np.save('$work/c255.npy', a)"
"$q" compile "$ex/mlp.qg" --calib "$work/c255.npy" -o "$work/c255.o" 2> "$work/w4.txt"
check "calibration samples outside the input's declared range: '$(head -1 "$work/w4.txt")'" \
	grep -q "c255.npy: warning: 1 of 20 calibration samples leave input 'x''s declared range \[0, 1\] (they span \[0, 255\])" "$work/w4.txt"
check "... with a note at the declaration" grep -q 'mlp.qg:[0-9]*:[0-9]*: note: the range of .x. is declared here' "$work/w4.txt"
"$q" compile "$ex/mlp.qg" --calib "$work/c20.npy" -o "$work/c20.o" 2> "$work/w5.txt"
check "in-range calibration samples: no warning ($(wc -c < "$work/w5.txt") bytes)" test ! -s "$work/w5.txt"
"$q" compile "$ex/mlp.qg" --calib "$calib" -o "$work/model.bin" 2> "$work/w6.txt"
check "-o with another suffix than .o/.obj warns: '$(head -1 "$work/w6.txt")'" \
	sh -c "grep -q 'warning: -o .*model.bin: an object file.s name ends in .o or .obj (the object goes to .*model.bin, the header to .*model.h)' '$work/w6.txt' && test -s '$work/model.bin' -a -s '$work/model.h'"
"$q" compile "$ex/mlp.qg" --calib "$calib" -o "$work/model.obj" 2> "$work/w7.txt"
check "-o x.obj does not ($(wc -c < "$work/w7.txt") bytes)" test ! -s "$work/w7.txt"
expect 2 "unknown command 'compil'; did you mean 'compile'?" -- "$q" compil "$ex/mlp.qg"
expect 1 "unknown option '--precison'; did you mean '--precision'?" -- "$q" run "$ex/mlp.qg" --precison f32
expect 1 "option '--input' is not used by quantc compile, only by run, report, trace-diff" -- "$q" compile "$ex/mlp.qg" --input "$calib" -o "$work/x.o"
check "no output after the refused --input" test ! -e "$work/x.o"

# printed IR is for reading: large constants and per-channel scale lists are
# shortened by default, whole with --print-constants; dumps are always whole
"$q" compile "$ex/cnn.qg" --calib "$calib" --print-after-all -o "$work/pa.o" 2> "$work/pa.txt"
bytes=$(wc -c < "$work/pa.txt")
check "--print-after-all on the CNN writes $bytes bytes to stderr (at most 64 KB)" test "$bytes" -le 65536
check "... the 128x64x3x3 weight shows its count" grep -qF '... (73728 values)]' "$work/pa.txt"
check "... and its 128 per-channel scales too" grep -qF '... (128 values)])' "$work/pa.txt"
"$q" compile "$ex/cnn.qg" --calib "$calib" --print-after quantize --print-constants --dump-dir "$work/pd" \
	-o "$work/pa.o" 2> "$work/pc.txt"
bytes=$(wc -c < "$work/pc.txt")
check "--print-after quantize --print-constants writes every weight ($bytes bytes, no '...')" \
	sh -c "test $bytes -gt 200000 && ! grep -q '\.\.\.' '$work/pc.txt'"
tail -n +2 "$work/pc.txt" > "$work/pc.qg"
"$q" opt "$work/pc.qg" > "$work/pc2.qg" && "$q" opt "$(echo "$work"/pd/*-quantize.qg)" > "$work/pd2.qg"
check "... which parses back into the graph of the dump" cmp -s "$work/pc2.qg" "$work/pd2.qg"
check "the dump beside it is whole (its weights in .npy files, no '...')" \
	sh -c "grep -q 'npy(' '$(echo "$work"/pd/*-quantize.qg)' && ! grep -q '\.\.\.' '$(echo "$work"/pd/*-quantize.qg)'"
script -qec "'$q' opt '$ex/cnn.qg' --passes infer-shapes" /dev/null > "$work/tty.txt" < /dev/null
bytes=$(wc -c < "$work/tty.txt")
check "quantc opt on a terminal shortens the weights ($bytes bytes)" \
	sh -c "test $bytes -le 8192 && grep -qF '(73728 values)]' '$work/tty.txt'"
"$q" opt "$ex/cnn.qg" --passes infer-shapes > "$work/pipe.qg"
check "quantc opt into a pipe or file prints them whole ($(wc -c < "$work/pipe.qg") bytes)" \
	sh -c "! grep -q '\.\.\.' '$work/pipe.qg' && '$q' opt '$work/pipe.qg' > /dev/null"
expect 1 "--elide-constants and --print-constants contradict" -- "$q" opt "$ex/cnn.qg" --elide-constants --print-constants
"$q" inspect "$ex/cnn.qg" --calib "$calib" > "$work/inspect.txt"
check "inspect prints the arena beside its lower bound" grep -q 'arena: [0-9]* bytes (lower bound [0-9]* bytes' "$work/inspect.txt"
check "inspect prints per-layer MACs (conv 64->128: 14450688)" grep -q 14450688 "$work/inspect.txt"
cat "$work/inspect.txt"

# 20,000 bad lines: errors stop at 50 (each one re-reads the file for its
# source line, so an unbounded count would be quadratic)
{ echo "model m"; echo "input x : f32[1,4]"
  for i in $(seq 1 20000); do echo "t$i = frob(x)"; done; echo "output x"; } > "$work/many.qg"
"$q" compile "$work/many.qg" --precision f32 -o "$work/many.o" 2> "$work/many.txt"
rc=$? shown=$(grep -c ': unknown op' "$work/many.txt")
check "20000 errors: exit $rc (want 1), $shown shown (want 50), then 'too many errors'" \
	sh -c "[ $rc -eq 1 ] && [ $shown -eq 50 ] && grep -q 'too many errors (50)' '$work/many.txt'"
finish
