# multi_isa.sh — the default x86-64 object runs on every x86-64 CPU.
# Without --mcpu (and --mattr) quantc compiles the kernels and the body once
# per level (x86-64 with SSE2, x86-64-v3 with AVX2, x86-64-v4 with
# AVX512_VNNI) and NAME_run / NAME_run_q choose one with the runtime's
# qrt_x86_level().  Checked here: the int8 and the f32 CNN, each linked once,
# run natively and under qemu-x86_64 as older CPUs (qemu64: SSE2 and SSE3
# only; Nehalem: x86-64-v2; Haswell: AVX2 without AVX-512) with the
# interpreter's outputs bit for bit and no SIGILL; qrt_x86_level() equals
# the level GCC's __builtin_cpu_supports gives on each CPU; the object holds
# the three levels (LLVM IR target-cpu attributes, vpdpbusd and ymm code),
# is byte-identical across runs, and --mcpu native / --mcpu X / --mattr give
# a single-ISA object as before.
#   QC_ISA_IMAGES  test images run under QEMU (default 8; natively 100)
. "$(dirname "$0")/lib.sh"
if [ "$(uname -m)" != x86_64 ]; then
	echo "skip: not an x86-64 host"
	finish
	exit
fi
n=${QC_ISA_IMAGES:-8}
# 100 calibration samples, not 1000: nothing checked here depends on the
# count (the CNN calibrates in every compile, inspect and run of it)
calib=$work/calib100.npy
"$NPYTOOL" head 100 "$QC_DATA/calib.npy" "$calib"
model=$ex/cnn.qg
cpus="qemu64 Nehalem Haswell"

# --- what the default object holds -------------------------------------------------
for p in int8 f32; do
	mkdir -p "$work/$p"
	check "cnn $p: default compile (no --mcpu)" \
		"$QUANTC" compile "$model" --precision "$p" --calib "$calib" --emit obj,header,llvm -o "$work/$p/cnn.o"
	und=$(nm -u "$work/$p/cnn.o" | awk '{print $2}' | grep -vE '^(memcpy|memset|memmove|qrt_[a-z0-9_]+)$' || true)
	check "cnn $p: the only undefined symbols are memcpy/memset/memmove/qrt_* (others: '$und')" test -z "$und"
	check "cnn $p: the object asks qrt_x86_level" sh -c "nm -u '$work/$p/cnn.o' | grep -qw qrt_x86_level"
	cpus_ll=$(grep -o '"target-cpu"="[^"]*"' "$work/$p/cnn.ll" | sort -u | cut -d'"' -f4 | tr '\n' ' ')
	check "cnn $p: functions for target-cpu x86-64, x86-64-v3 and x86-64-v4 (have: $cpus_ll)" \
		test "$cpus_ll" = "x86-64 x86-64-v3 x86-64-v4 "
	check "cnn $p: the x86-64-v4 functions have +avx512vnni" grep -q '"target-features"="+avx512vnni,' "$work/$p/cnn.ll"
	check "cnn $p: a second compile gives the same bytes" sh -c "'$QUANTC' compile '$model' --precision $p \
		--calib '$calib' -o '$work/$p/again.o' && cmp '$work/$p/cnn.o' '$work/$p/again.o'"
done
# the debug twin: every level's body traces, through one qrt_trace
mkdir -p "$work/inst"
check "cnn int8 --instrument: compiles" \
	"$QUANTC" compile "$model" --calib "$calib" --instrument -o "$work/inst/cnn.o"
# (and one qrt_trace_nhwc: the first convolution's result is NHWC, traced
# transposed to NCHW)
check "cnn int8 --instrument: one undefined qrt_trace and one qrt_trace_nhwc (have: $(nm -u "$work/inst/cnn.o" | awk '{print $2}' | grep '^qrt_trace' | tr '\n' ' '))" \
	test "$(nm -u "$work/inst/cnn.o" | awk '{print $2}' | grep '^qrt_trace' | tr '\n' ' ')" = "qrt_trace qrt_trace_nhwc "
llvm-objdump-19 -d --no-show-raw-insn "$work/int8/cnn.o" > "$work/int8.dis"
check "cnn int8: the object has the AVX-512 VNNI kernel (vpdpbusd on zmm)" grep -qE 'vpdpbusd.*zmm' "$work/int8.dis"
check "cnn int8: the object has the AVX2 kernel (vpmaddwd or vpmaddubsw on ymm)" \
	grep -qE 'vpmadd(wd|ubsw).*ymm' "$work/int8.dis"

# --- --mcpu and --mattr: one ISA ---------------------------------------------------------
single() { # NAME OPTIONS...: one target-cpu in the IR, no qrt_x86_level
	local d=$work/$1
	shift
	mkdir -p "$d"
	"$QUANTC" compile "$model" --calib "$calib" "$@" --emit obj,llvm -o "$d/cnn.o" &&
		test "$(grep -o '"target-cpu"="[^"]*"' "$d/cnn.ll" | sort -u | wc -l)" = 1 &&
		! nm -u "$d/cnn.o" | grep -qw qrt_x86_level
}
check "--mcpu native: a single-ISA object without qrt_x86_level" single native --mcpu native
check "--mcpu x86-64-v3: a single-ISA object without qrt_x86_level" single v3 --mcpu x86-64-v3
check "--mcpu x86-64-v3: no zmm register in it" \
	sh -c "! llvm-objdump-19 -d '$work/v3/cnn.o' | grep -q zmm"
check "--mattr -avx512vnni: a single-ISA object (the host CPU with the change)" single mattr --mattr -avx512vnni
check "--target x86_64-linux-gnu: the multi-ISA object as without --target" sh -c "'$QUANTC' compile '$model' \
	--calib '$calib' --target x86_64-linux-gnu -o '$work/t.o' && cmp '$work/t.o' '$work/int8/cnn.o'"

# --- the level: the runtime against GCC's own CPUID reading --------------------------
cat > "$work/level.c" << 'EOF'
#include <stdio.h>
#include "qrt.h"
/* the level of qrt.h's scale, from libgcc's CPU model */
static int gcc_level(void)
{
	__builtin_cpu_init();
	if (__builtin_cpu_supports("x86-64-v4"))
		return __builtin_cpu_supports("avx512vnni") ? QRT_X86_V4_VNNI : QRT_X86_V4;
	if (__builtin_cpu_supports("x86-64-v3"))
		return QRT_X86_V3;
	if (__builtin_cpu_supports("x86-64-v2"))
		return QRT_X86_V2;
	return QRT_X86_V1;
}
int main(void)
{
	int a = qrt_x86_level(), b = qrt_x86_level();
	printf("%d %d %d\n", a, b, gcc_level());
	return 0;
}
EOF
# shellcheck disable=SC2086
check "level.c builds against libqrt" "$CC" -std=c11 -O2 ${QC_CFLAGS:-} -I"$QRT_INCLUDE" "$work/level.c" "$QRT_LIB" -o "$work/level"
native=$("$work/level")
check "native: qrt_x86_level() twice and GCC agree ($native)" \
	sh -c "echo '$native' | awk '{ exit !(\$1 == \$2 && \$2 == \$3 && \$1 >= 1) }'"
have_qemu=1
if [ -n "${QC_CFLAGS:-}" ]; then
	echo "skip: the QEMU runs (a sanitizer build: its programs do not run under qemu-user)"
	have_qemu=0
elif ! command -v qemu-x86_64 > /dev/null; then
	fail "qemu-x86_64 is missing (qemu-user, .ci/install-deps installs it)"
	have_qemu=0
fi
declare -A want=([qemu64]=1 [Nehalem]=2 [Haswell]=3)
if [ $have_qemu = 1 ]; then
	for c in $cpus; do
		got=$(qemu-x86_64 -cpu "$c" "$work/level" 2> /dev/null)
		check "qemu -cpu $c: qrt_x86_level() is ${want[$c]}, as GCC says ($got)" test "$got" = "${want[$c]} ${want[$c]} ${want[$c]}"
	done
fi

# --- the outputs: natively and as each older CPU, bit for bit ----------------------------
"$NPYTOOL" head 100 "$QC_DATA/test_x.npy" "$work/x100.npy"
"$NPYTOOL" head 100 "$QC_DATA/test_y.npy" "$work/y100.npy"
"$NPYTOOL" head "$n" "$QC_DATA/test_x.npy" "$work/xq.npy"
"$NPYTOOL" head "$n" "$QC_DATA/test_y.npy" "$work/yq.npy"
for p in int8 f32; do
	check "cnn $p: demo links against the default object and the runtime" link_demo cnn "$work/$p/cnn.o" "$work/$p/demo"
	"$QUANTC" run "$model" --precision "$p" --calib "$calib" --input "$work/x100.npy" -o "$work/$p/ref100.npy"
	"$QUANTC" run "$model" --precision "$p" --calib "$calib" --input "$work/xq.npy" -o "$work/$p/refq.npy"
	check "cnn $p, native (level ${native%% *}): 100 images, outputs equal the interpreter's bit for bit" \
		sh -c "'$work/$p/demo' '$work/x100.npy' '$work/y100.npy' '$work/$p/native.npy' > /dev/null &&
			'$NPYTOOL' exact '$work/$p/native.npy' '$work/$p/ref100.npy'"
	[ $have_qemu = 1 ] || continue
	for c in $cpus; do
		rc=0
		qemu-x86_64 -cpu "$c" "$work/$p/demo" "$work/xq.npy" "$work/yq.npy" "$work/$p/$c.npy" \
			> "$work/$p/$c.out" 2> "$work/$p/$c.err" || rc=$?
		grep -v 'warning: TCG' "$work/$p/$c.err"
		check "cnn $p, qemu -cpu $c: the demo exits 0 (status $rc; 132 would be SIGILL)" test "$rc" = 0
		check "cnn $p, qemu -cpu $c: $n images, outputs equal the interpreter's bit for bit" \
			"$NPYTOOL" exact "$work/$p/$c.npy" "$work/$p/refq.npy"
	done
done
finish
