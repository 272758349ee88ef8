# boards.sh — how to build for, and run on, each cross target under QEMU.
# Sourced by tests/e2e/cross.sh and examples/cortex_m4/run.sh.
#
#   cross_target TRIPLE [MCPU] [MATTR]
#
# sets, for the quantc target TRIPLE (DESIGN section 6):
#   x_label    what the test prints, e.g. "thumbv7em-none-eabihf/cortex-m4"
#   x_os       linux (qemu-user, glibc, static) or none (bare metal, picolibc)
#   x_cc       the cross C compiler (gcc route, DESIGN section 7)
#   x_cflags   code generation flags matching the object quantc emits
#   x_ldflags  link flags (after the objects)
#   x_run      command that runs an executable, whose path is appended
#   x_tools    programs that must be installed
# and returns 1 after a message for a triple it does not know.
#
# Bare metal uses picolibc's startup (crt0-semihost: copies .data, clears
# .bss, enables the FPU on Cortex-M through CPACR, calls main, then exit()
# through semihosting so QEMU ends with main's status) and its picolibc.ld,
# placed with __flash/__ram at the board's memories:
#   mps2-an386 (Cortex-M4), mps2-an500 (Cortex-M7): SSRAM1 0x00000000 4 MiB
#     (code, holds the vector table), SSRAM2/3 0x20000000 4 MiB (data)
#   virt (RV32): DRAM 0x80000000 (128 MiB by default); -bios none jumps to
#     0x80000000, so code goes there and data 4 MiB above.
# The stack grows down from the end of RAM (picolibc's __stack), far from
# .bss on these 4 MiB RAMs.
# printf goes through semihosting, which QEMU writes to its stderr.

# the board table: FLASH FLASH_SIZE RAM RAM_SIZE
x_mem_mps2="0x00000000 0x400000 0x20000000 0x400000"
x_mem_virt="0x80000000 0x400000 0x80400000 0x400000"

x_qemu_sys=(-nographic -monitor none -serial none -semihosting-config enable=on,target=native)

# x_baremetal CC MEM: picolibc's part of x_cflags/x_ldflags for a board
x_baremetal() {
	local flash fsize ram rsize
	read -r flash fsize ram rsize <<< "$2"
	x_os=none
	x_cc=$1
	x_cflags+=(--specs=picolibc.specs)  # also selects the link rules
	# integer-only printf: the drivers print hex and integers, never floats
	x_ldflags=(--oslib=semihost --crt0=semihost
		-DPICOLIBC_INTEGER_PRINTF_SCANF
		"-Wl,--defsym=__flash=$flash" "-Wl,--defsym=__flash_size=$fsize"
		"-Wl,--defsym=__ram=$ram" "-Wl,--defsym=__ram_size=$rsize"
		-Wl,--gc-sections
		-Wl,--no-warn-execstack)  # picolibc's ARM memcmp.S lacks .note.GNU-stack
	x_tools=("$x_cc")
}

# x_user_cpu QEMU WANT FALLBACK: the -cpu for qemu-user, WANT if QEMU models it
x_user_cpu() {
	if [ -n "$2" ] && "$1" -cpu help | grep -qx " *$2"; then
		echo "$2"
	else
		echo "$3"
	fi
}

x_linux() {
	local gnu=$1 qemu=$2 cpu=$3
	x_os=linux
	x_cc=$gnu-gcc
	x_ldflags=(-static)
	x_run=("$qemu" -L "/usr/$gnu")
	[ -n "$cpu" ] && x_run+=(-cpu "$cpu")
	x_tools=("$x_cc" "$qemu")
}

cross_target() {
	local triple=$1 mcpu=${2:-} mattr=${3:-} cpu board
	x_cflags=() x_ldflags=() x_run=() x_tools=()
	case $triple in
	aarch64-linux-gnu | aarch64-unknown-linux-gnu)
		x_label=$triple/${mcpu:-cortex-a72}
		command -v qemu-aarch64 > /dev/null &&
			cpu=$(x_user_cpu qemu-aarch64 "${mcpu:-cortex-a72}" max)
		x_linux aarch64-linux-gnu qemu-aarch64 "${cpu:-max}"
		;;
	armv7-linux-gnueabihf | armv7-unknown-linux-gnueabihf)
		x_label=$triple/${mcpu:-generic}
		# a plain ARMv7-A with NEON: armv8 instructions would trap
		command -v qemu-arm > /dev/null &&
			cpu=$(x_user_cpu qemu-arm "$mcpu" cortex-a15)
		x_linux arm-linux-gnueabihf qemu-arm "${cpu:-cortex-a15}"
		x_cflags=(-march=armv7-a -mfpu=neon -mfloat-abi=hard)
		;;
	thumbv7em-none-eabihf | thumbv7em-unknown-none-eabihf)
		mcpu=${mcpu:-cortex-m4}
		x_label=$triple/$mcpu
		case $mcpu in
		cortex-m4) x_cflags=(-mcpu=cortex-m4 -mfpu=fpv4-sp-d16) board=mps2-an386 ;;
		# LLVM's cortex-m7 has the double-precision fpv5-d16
		cortex-m7) x_cflags=(-mcpu=cortex-m7 -mfpu=fpv5-d16) board=mps2-an500 ;;
		*) echo "boards.sh: no QEMU board for $triple CPU $mcpu"; return 1 ;;
		esac
		x_cflags+=(-mthumb -mfloat-abi=hard)
		x_baremetal arm-none-eabi-gcc "$x_mem_mps2"
		x_run=(qemu-system-arm -M "$board" "${x_qemu_sys[@]}" -kernel)
		x_tools+=(qemu-system-arm)
		;;
	riscv64-linux-gnu | riscv64-unknown-linux-gnu)
		x_label=$triple/${mcpu:-generic-rv64}${mattr:+/$mattr}
		x_linux riscv64-linux-gnu qemu-riscv64 ""
		x_cflags=(-march=rv64gc -mabi=lp64d)
		if [[ ,$mattr, == *,+v,* ]]; then
			x_run+=(-cpu rv64,v=true,vlen=128,elen=64,vext_spec=v1.0)
		else
			# without V, so that a stray vector instruction traps
			x_run+=(-cpu rv64,v=false)
		fi
		;;
	riscv32-unknown-elf | riscv32-none-elf)
		x_label=$triple/${mcpu:-generic-rv32}${mattr:+/$mattr}
		x_cflags=(-march=rv32imac -mabi=ilp32 -mcmodel=medany)
		x_baremetal riscv64-unknown-elf-gcc "$x_mem_virt"
		# no F/D: the object is soft-float and must not touch the FPU
		x_run=(qemu-system-riscv32 -M virt -bios none -cpu rv32,f=false,d=false
			"${x_qemu_sys[@]}" -kernel)
		if [[ ,$mattr, == *,+v,* ]]; then
			# V implies F and D (LLVM and QEMU); the driver turns on
			# mstatus.FS and .VS, which picolibc's startup leaves off
			x_cflags+=(-DQC_RV_ENABLE_V)
			x_run=(qemu-system-riscv32 -M virt -bios none
				-cpu rv32,f=true,d=true,v=true,vlen=128,elen=64,vext_spec=v1.0
				"${x_qemu_sys[@]}" -kernel)
		fi
		x_tools+=(qemu-system-riscv32)
		;;
	*)
		echo "boards.sh: unknown cross target $triple"
		return 1
		;;
	esac
}

# x_build_runtime DIR: the runtime's sources compiled freestanding with the
# target's flags into DIR/rt_*.o
x_build_runtime() {
	local s
	for s in "$QC_SRC"/runtime/src/*.c; do
		"$x_cc" "${x_cflags[@]}" -std=c99 -ffreestanding -O2 -Wall -Wextra -Werror \
			-I"$QRT_INCLUDE" -c "$s" -o "$1/rt_$(basename "$s" .c).o" || return 1
	done
}

# x_link_driver MODEL DIR RTDIR: tests/cross/driver.c for DIR/MODEL.h and
# DIR/images.h, linked with DIR/MODEL.o and RTDIR/rt_*.o into DIR/fw.elf
x_link_driver() {
	local m=$1 d=$2
	"$x_cc" "${x_cflags[@]}" -std=c11 -O2 -Wall -Wextra -Werror -DMODEL="$m" -DMODEL_UC="${m^^}" \
		-I"$d" -I"$QRT_INCLUDE" -c "$QC_SRC/tests/cross/driver.c" -o "$d/driver.o" &&
		"$x_cc" "${x_cflags[@]}" "$d/driver.o" "$d/$m.o" "$3"/rt_*.o "${x_ldflags[@]}" -o "$d/fw.elf"
}

# cross_tools_present: every program the target needs is installed
cross_tools_present() {
	local t ok=0
	for t in "${x_tools[@]}"; do
		if ! command -v "$t" > /dev/null; then
			echo "missing $t (.ci/install-deps installs the cross toolchains)"
			ok=1
		fi
	done
	return $ok
}
