#!/bin/bash
# neon_insns.sh — the AArch64 int8 conv2d kernel (targets/kernel_neon.c)
# emits the instructions it is built around: the example CNN compiled for
# aarch64 disassembles (llvm-objdump-19) to lane-indexed sdot where the
# target has the dot-product extension (--mattr +dotprod, or a CPU that has
# it by default such as cortex-a76) and to lane-indexed smlal without it
# (the default cortex-a72, or cortex-a76 with -dotprod).  Prints the
# densest inner loop of each object: its instructions and multiply-
# accumulates, the figures docs/targets.md quotes (no AArch64 hardware
# here to time).  That the results are right is cross.sh's and
# conv_kernels.sh's job.  The same for the int8 dense kernel
# (targets/kernel_neon_gemm.c) on the example MLP: lane-indexed sdot with
# the weights loaded 4 registers at a time (ld1) with +dotprod, and
# smull/smlal2/sadalp (i16 products summed into i32 lanes) without.  And
# a 1x1 convolution (20 -> 24 channels, 8x8) takes the dotprod GEMM
# (arm64.neon.conv1x1, quantc inspect), lane-indexed sdot fed by ld1 x4.
# Cost: these dense and 1x1 checks add under 0.5 s of CPU (three compiles
# and an inspect); the whole test takes about 9 s.
. "$(dirname "$0")/lib.sh"
objdump=${QC_OBJDUMP:-llvm-objdump-19}

if ! command -v "$objdump" > /dev/null; then
	fail "$objdump installed"
	finish
	exit
fi

# inner_loop FILE MNEMONIC: "N instructions, M MNEMONIC" of the backward
# branch's loop with the most MNEMONIC per instruction (at least 8)
inner_loop() {
	awk -v m="$2" '
		function hex(s,  i, v) {
			s = tolower(s); sub(/^0x/, "", s); v = 0
			for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return v
		}
		$1 ~ /^[0-9a-f]+:$/ {
			a = hex(substr($1, 1, length($1) - 1))
			addr[n] = a; op[n] = $2; n++
			if ($2 !~ /^b\./ && $2 != "cbnz" && $2 != "cbz")
				next
			t = -1
			for (i = 3; i <= NF; i++) if ($i ~ /^0x[0-9a-f]+$/) t = hex($i)
			if (t < 0 || t >= a)
				next
			k = 0; c = 0
			for (j = n - 1; j >= 0 && addr[j] >= t; j--) { k++; if (op[j] == m) c++ }
			if (c >= 8 && c / k > best) { best = c / k; bk = k; bc = c }
		}
		END { if (bk) printf "%d instructions, %d %s\n", bk, bc, m; else exit 1 }
	' <("$objdump" -d --no-show-raw-insn "$1")
}

# variant NAME OPTIONS...: compile the CNN for aarch64 with OPTIONS
variant() {
	local name=$1
	shift
	"$QUANTC" compile "$ex/cnn.qg" --calib "$QC_DATA/calib.npy" --target aarch64-linux-gnu "$@" \
		-o "$work/$name.o" && "$objdump" -d --no-show-raw-insn "$work/$name.o" > "$work/$name.txt"
}

has() { grep -qE "$2" "$work/$1.txt"; }
lacks() { ! grep -qE "$2" "$work/$1.txt"; }

sdot='sdot[[:space:]]+v[0-9]+\.4s, v[0-9]+\.16b, v[0-9]+\.4b\['
smlal='smlal[[:space:]]+v[0-9]+\.4s, v[0-9]+\.4h, v[0-9]+\.h\['

for v in "dot:--mattr +dotprod" "a76:--mcpu cortex-a76" \
	"plain:" "a76nodot:--mcpu cortex-a76 --mattr -dotprod"; do
	name=${v%%:*} opts=${v#*:}
	# shellcheck disable=SC2086
	check "quantc compiles the CNN for aarch64 ${opts:-(default cortex-a72)}" variant "$name" $opts
done
check "+dotprod: lane-indexed sdot" has dot "$sdot"
check "cortex-a76 (dotprod by default): lane-indexed sdot" has a76 "$sdot"
check "cortex-a72 (no dotprod): lane-indexed smlal" has plain "$smlal"
check "cortex-a72: no sdot" lacks plain 'sdot'
check "the requantization is sqrdmulh and srshl" eval "has dot sqrdmulh && has plain srshl"
check "cortex-a76 -dotprod: smlal and no sdot" eval "has a76nodot '$smlal' && lacks a76nodot sdot"
# the dense kernel on the MLP (both of its layers are int8 dense)
mlp() {
	local name=$1
	shift
	"$QUANTC" compile "$ex/mlp.qg" --calib "$QC_DATA/calib.npy" --target aarch64-linux-gnu "$@" \
		-o "$work/$name.o" && "$objdump" -d --no-show-raw-insn "$work/$name.o" > "$work/$name.txt"
}
check "quantc compiles the MLP for aarch64 +dotprod" mlp mlpdot --mattr +dotprod
check "quantc compiles the MLP for aarch64 (cortex-a72)" mlp mlpplain
check "MLP +dotprod: lane-indexed sdot fed by ld1 of 4 registers" \
	eval "has mlpdot '$sdot' && has mlpdot 'ld1[[:space:]]+\{ v[0-9]+\.16b, v[0-9]+\.16b, v[0-9]+\.16b, v[0-9]+\.16b \}'"
check "MLP cortex-a72: smull, smlal2 (i16 products), sadalp, no sdot" \
	eval "has mlpplain 'smlal2[[:space:]]+v[0-9]+\.8h, v[0-9]+\.16b, v[0-9]+\.16b' && has mlpplain 'sadalp[[:space:]]+v[0-9]+\.4s, v[0-9]+\.8h' && lacks mlpplain sdot"
# the requantization identity the kernel's epilogue uses (sqrdmulh & co.)
if command -v aarch64-linux-gnu-gcc > /dev/null && command -v qemu-aarch64 > /dev/null; then
	check "neon_requant.c builds for aarch64" aarch64-linux-gnu-gcc -std=c11 -O2 -Wall -Wextra -Werror -static \
		"$QC_SRC/tests/cross/neon_requant.c" -o "$work/neon_requant"
	check "sqshl/sqrdmulh/sqadd/srshl equal MultiplyByQuantizedMultiplier" \
		qemu-aarch64 -L /usr/aarch64-linux-gnu "$work/neon_requant"
else
	echo "skip: no aarch64 cross compiler or qemu-aarch64: the requantization identity is not checked"
fi
# the 1x1 GEMM: a model written here, weights inline, ranges proven
{
	echo "model pw"
	echo "input x : f32[1,20,8,8] range [0, 1]"
	printf 'const w : f32[24,20,1,1] = ['
	awk 'BEGIN { for (i = 0; i < 480; i++) printf "%s%.3f", (i ? "," : ""), ((i * 37) % 41 - 20) / 40.0 }'
	echo ']'
	echo 'y = conv2d(x, w)'
	echo 'output y'
} > "$work/pw.qg"
check "a 1x1 convolution with +dotprod takes arm64.neon.conv1x1" eval \
	"'$QUANTC' inspect '$work/pw.qg' --target aarch64-linux-gnu --mattr +dotprod 2> /dev/null | grep -qE '^0 +y +conv2d +arm64\.neon\.conv1x1'"
check "the 1x1 GEMM: lane-indexed sdot fed by ld1 x4" eval \
	"'$QUANTC' compile '$work/pw.qg' --target aarch64-linux-gnu --mattr +dotprod -o '$work/pw.o' 2> /dev/null && \
	'$objdump' -d --no-show-raw-insn '$work/pw.o' > '$work/pw.txt' && has pw '$sdot' && has pw 'ld1[[:space:]]+\{ v[0-9]+\.16b, v[0-9]+\.16b, v[0-9]+\.16b, v[0-9]+\.16b \}'"
for v in dot:sdot plain:smlal mlpdot:sdot mlpplain:sadalp pw:sdot; do
	f=$work/${v%%:*}.o
	[ -s "$f" ] && echo "${v%%:*}: densest inner loop: $(inner_loop "$f" "${v#*:}")"
done
finish
