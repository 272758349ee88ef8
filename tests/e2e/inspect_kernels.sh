# inspect_kernels.sh — `quantc inspect` names the kernel each conv2d and
# dense layer gets on the target (targets/kernels.c's chooser) and why the
# other kernels of the target's list declined: the int8 CNN on x86-64 with
# AVX-512 VNNI, with AVX2 only, with SSE2 only, on Cortex-M4 and AArch64,
# the f32 CNN on
# x86-64-v3, and the default multi-ISA x86-64 object's three levels.
. "$(dirname "$0")/lib.sh"
# 64 calibration samples: the kernels depend on the types, not on the ranges
calib=$work/calib64.npy
"$NPYTOOL" head 64 "$QC_DATA/calib.npy" "$calib"

# kernels OUT [inspect options]: inspect's kernel section (after "kernels on")
kernels() {
	local out=$1; shift
	"$QUANTC" inspect "$@" | sed -n '/^kernels on/,/^ranges/p' > "$out"
}
# kernel_of FILE VALUE: the kernel of the layer computing VALUE (first section)
kernel_of() { awk -v v="$2" '$2 == v && $1 ~ /^[0-9]+$/ {print $4; exit}' "$1"; }
# declined FILE VALUE KERNEL: the reason KERNEL gave for VALUE's layer
declined() {
	awk -v v="$2" -v k="$3:" '$1 ~ /^[0-9]+$/ {on = $2 == v} on && $1 == k {sub(/^ *[^ ]+ /, ""); print; exit}' "$1"
}

int8=("$ex/cnn.qg" --precision int8 --calib "$calib")
kernels "$work/vnni.txt" "${int8[@]}" --mcpu x86-64-v4 --mattr +avx512vnni
cat "$work/vnni.txt"
check "x86-64-v4+avx512vnni: conv2 (t6) gets the VNNI kernel" \
	test "$(kernel_of "$work/vnni.txt" t6)" = x86.vnni.conv2d
check "x86-64-v4+avx512vnni: the AVX2 kernel fits too but ranks lower" \
	test "$(declined "$work/vnni.txt" t6 x86.avx2.conv2d)" = "also fits, ranked lower"
check "x86-64-v4+avx512vnni: the f32 kernel declines the int8 layer" \
	test "$(declined "$work/vnni.txt" t6 x86.f32.conv2d)" = "x i8 not f32"

kernels "$work/v3.txt" "${int8[@]}" --mcpu x86-64-v3
check "x86-64-v3: conv2 gets the AVX2 kernel" test "$(kernel_of "$work/v3.txt" t6)" = x86.avx2.conv2d
check "x86-64-v3: VNNI declined, needing avx512vnni" \
	test "$(declined "$work/v3.txt" t6 x86.vnni.conv2d)" = "needs avx512vnni"

kernels "$work/v1.txt" "${int8[@]}" --mcpu x86-64
check "x86-64: conv2 gets the SSE2 kernel" test "$(kernel_of "$work/v1.txt" t6)" = x86.sse2.conv2d
check "x86-64: the dense layer gets the SSE2 dense kernel" \
	test "$(kernel_of "$work/v1.txt" y)" = x86.sse2.dense
check "x86-64-v3: the SSE2 dense kernel declines (avx2)" \
	test "$(declined "$work/v3.txt" y x86.sse2.dense)" = "has avx2 (wider kernels and loops)"
check "x86-64: AVX2 declined, needing avx2" \
	test "$(declined "$work/v1.txt" t6 x86.avx2.conv2d)" = "needs avx2"

kernels "$work/m4.txt" "${int8[@]}" --target thumbv7em-none-eabihf --mcpu cortex-m4
cat "$work/m4.txt"
check "cortex-m4: conv2 gets the SMLAD kernel" test "$(kernel_of "$work/m4.txt" t6)" = armm.smlad.conv2d
check "cortex-m4: the dense layer gets the SMLAD dense kernel" \
	test "$(kernel_of "$work/m4.txt" y)" = armm.smlad.dense
check "cortex-m4: the depthwise kernel declines groups 1" \
	grep -q '^ *armm.smlad_dw.conv2d: groups 1 ' "$work/m4.txt"

kernels "$work/a64.txt" "${int8[@]}" --target aarch64-linux-gnu --mcpu cortex-a72
check "aarch64: conv2 gets the NEON kernel" test "$(kernel_of "$work/a64.txt" t6)" = arm64.neon.conv2d

kernels "$work/f32.txt" "$ex/cnn.qg" --precision f32 --mcpu x86-64-v3
cat "$work/f32.txt"
check "f32 on x86-64-v3: conv2 gets the f32 kernel" test "$(kernel_of "$work/f32.txt" t6)" = x86.f32.conv2d
check "f32 on x86-64-v3: AVX2 declines the f32 layer" \
	test "$(declined "$work/f32.txt" t6 x86.avx2.conv2d)" = "x f32 not i8"
check "f32 on x86-64-v3: the dense layer gets the f32 dense kernel" \
	test "$(kernel_of "$work/f32.txt" y)" = any.f32.dense

# the default x86-64 object: one section per ISA level
"$QUANTC" inspect "${int8[@]}" --target x86_64-linux-gnu > "$work/multi.txt"
check "the multi-ISA object: a kernel section per level (3)" \
	test "$(grep -c '^kernels on x86_64-linux-gnu, cpu x86-64' "$work/multi.txt")" -eq 3
finish
