# cortex-m4.cmake — CMake toolchain file: arm-none-eabi-gcc and picolibc for
# a Cortex-M4F on QEMU's mps2-an386 board (the flags of tests/cross/boards.sh),
# and the machine quantc_add_model compiles models for.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
# the compiler cannot link a test program without the board's link flags
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_C_FLAGS_INIT
  "-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mthumb -mfloat-abi=hard --specs=picolibc.specs")
# picolibc's semihosting startup and picolibc.ld on the board's memories:
# 4 MiB of code SRAM at 0, 4 MiB of data SRAM at 0x20000000
set(CMAKE_EXE_LINKER_FLAGS_INIT
  "--oslib=semihost --crt0=semihost -DPICOLIBC_INTEGER_PRINTF_SCANF \
-Wl,--defsym=__flash=0x00000000 -Wl,--defsym=__flash_size=0x400000 \
-Wl,--defsym=__ram=0x20000000 -Wl,--defsym=__ram_size=0x400000 \
-Wl,--gc-sections -Wl,--no-warn-execstack")

set(QUANTC_TARGET thumbv7em-none-eabihf)
set(QUANTC_MCPU cortex-m4)
