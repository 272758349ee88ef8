#!/bin/bash
# install.sh — quantc in a user's build: `cmake --install` into a temporary
# prefix; pkg-config's qrt.pc; tests/consumer (a project of its own using
# find_package(quantc) and quantc_add_model with two models in one program)
# built for the host, rebuilt after a weight file changes, and built with a
# toolchain file for a Cortex-M4 and run under QEMU; `cpack -G DEB`.
#   QC_BUILD  quantc's CMake build folder (what is installed and packaged)
. "$(dirname "$0")/lib.sh"
. "$QC_SRC/tests/cross/boards.sh"
: "${QC_BUILD:?names the CMake build folder of quantc}"
k=20   # test images the consumer classifies
prefix=$work/prefix
# 100 calibration samples, not 1000: the consumer's objects are checked
# against the interpreter calibrated on the same samples, and every compile
# of the CNN calibrates again
calib=$work/calib100.npy
"$NPYTOOL" head 100 "$QC_DATA/calib.npy" "$calib"
consumer=$QC_SRC/tests/consumer

# run LOG COMMAND...: runs it with its output in LOG, shown when it fails
run() {
	local log=$1; shift
	"$@" > "$log" 2>&1 && return 0
	tail -n 30 "$log"
	return 1
}

# reference_correct MODEL: how many of the k images the reference interpreter
# classifies right (int8, calibrated on $calib)
reference_correct() {
	"$QUANTC" run "$ex/$1.qg" --calib "$calib" --input "$work/x.npy" -o "$work/ref_$1.npy" &&
		"$NPYTOOL" correct "$work/ref_$1.npy" "$work/y.npy"
}

# --- cmake --install -------------------------------------------------------
check "cmake --install $QC_BUILD --prefix <tmp>" run "$work/install.log" cmake --install "$QC_BUILD" --prefix "$prefix"
for f in bin/quantc include/quantc/qrt.h lib/libqrt.a lib/cmake/quantc/quantcConfig.cmake \
	lib/cmake/quantc/quantcConfigVersion.cmake lib/cmake/quantc/quantc_add_model.cmake \
	lib/pkgconfig/qrt.pc share/man/man1/quantc.1 share/quantc/runtime/src/requantize.c; do
	check "installs $f" test -s "$prefix/$f"
done
check "the installed quantc runs" sh -c "'$prefix/bin/quantc' --version | grep -q 'LLVM 19'"

"$NPYTOOL" head "$k" "$QC_DATA/test_x.npy" "$work/x.npy" > /dev/null
"$NPYTOOL" head "$k" "$QC_DATA/test_y.npy" "$work/y.npy" > /dev/null
cnn_ref=$(reference_correct cnn) mlp_ref=$(reference_correct mlp)

# --- pkg-config ------------------------------------------------------------
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
pc=$(pkg-config --cflags --libs qrt | sed 's/ *$//')
check "pkg-config --cflags --libs qrt: '$pc'" test "$pc" = "-I$prefix/include/quantc -L$prefix/lib -lqrt"
mkdir -p "$work/pc"
"$prefix/bin/quantc" compile "$ex/mlp.qg" --calib "$calib" -o "$work/pc/mlp.o"
# shellcheck disable=SC2046,SC2086
check "demo.c and a model build with \$(pkg-config --cflags --libs qrt)" \
	"$CC" -std=c11 -O2 -Wall -Wextra -Werror ${QC_CFLAGS:-} -DMODEL=mlp -I"$work/pc" "$ex/demo.c" \
	"$work/pc/mlp.o" $(pkg-config --cflags --libs qrt) -o "$work/pc/demo"
check "and it classifies as the reference interpreter ($mlp_ref of $k)" \
	sh -c "'$work/pc/demo' '$work/x.npy' '$work/y.npy' | grep -q 'mlp: $mlp_ref of $k test images correct'"
unset PKG_CONFIG_PATH

# --- the consumer project, for the host ------------------------------------
# the models are copied so that touching a weight leaves the checkout alone
mkdir -p "$work/models" "$work/images"
cp -r "$ex/cnn.qg" "$ex/mlp.qg" "$ex/weights" "$work/models/"
"$CC" -std=c11 -O2 "$QC_SRC/tests/cross/xtool.c" -o "$work/xtool"
"$work/xtool" images "$QC_DATA/test_x.npy" "$k" "$work/images/images.h" "$QC_DATA/test_y.npy" > /dev/null
consumer_args=(-G Ninja -DCMAKE_PREFIX_PATH="$prefix" -DFMNIST="$work/models" -DCALIB="$calib"
	-DIMAGES_DIR="$work/images")
host=$work/host
check "the consumer configures for the host (find_package(quantc))" \
	run "$work/host.log" env CFLAGS="-Wall -Wextra -Werror" cmake -S "$consumer" -B "$host" "${consumer_args[@]}"
check "and builds: quantc runs for both models, quantc_runtime is built" \
	run "$work/build1.log" cmake --build "$host"
for m in cnn fashion_mlp; do
	check "the build wrote quantc/$m/$m.o and $m.h" test -s "$host/quantc/$m/$m.o" -a -s "$host/quantc/$m/$m.h"
done
"$host/two_models" > "$work/host.out" 2>&1
check "two_models runs on the host" test $? -eq 0
check "cnn classifies $cnn_ref of $k right, as the reference interpreter" grep -qx "cnn: $cnn_ref of $k correct" "$work/host.out"
check "fashion_mlp classifies $mlp_ref of $k right, as the reference interpreter" grep -qx "fashion_mlp: $mlp_ref of $k correct" "$work/host.out"

cmake --build "$host" > "$work/build2.log" 2>&1
check "building again without changes runs nothing" grep -q 'no work to do' "$work/build2.log"
sleep 1   # a newer mtime than the object's, even on coarse file systems
touch "$work/models/weights/mlp/fc2.bias.npy"
cmake --build "$host" > "$work/build3.log" 2>&1
check "after touching a weight of the MLP, quantc compiles the MLP again" grep -q 'quantc: compiling .*mlp.qg' "$work/build3.log"
check "and not the CNN" sh -c "! grep -q 'quantc: compiling .*cnn.qg' '$work/build3.log'"
cmake --build "$host" > "$work/build4.log" 2>&1
check "and then nothing" grep -q 'no work to do' "$work/build4.log"

# two models under one NAME would collide (symbols, files): said when configuring
mkdir -p "$work/dup"
cat > "$work/dup/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.20)
project(dup LANGUAGES C)
find_package(quantc REQUIRED)
add_executable(dup main.c)
quantc_add_model(dup MODEL "$ex/cnn.qg" NAME m)
quantc_add_model(dup MODEL "$ex/mlp.qg" NAME m)
CMAKE
echo 'int main(void) { return 0; }' > "$work/dup/main.c"
cmake -S "$work/dup" -B "$work/dup/build" -DCMAKE_PREFIX_PATH="$prefix" > "$work/dup.log" 2>&1
check "a second model NAMEd like the first is a configure error" grep -q "a model named 'm' already" "$work/dup.log"

# --- the consumer project, for a Cortex-M4 (toolchain file) ----------------
m4=$work/m4
cross_target thumbv7em-none-eabihf cortex-m4
if ! cross_tools_present; then
	fail "arm-none-eabi-gcc and qemu-system-arm installed"
else
	check "the consumer configures with tests/consumer/cortex-m4.cmake" \
		run "$work/m4.log" env CFLAGS="-Wall -Wextra -Werror" cmake -S "$consumer" -B "$m4" \
		"${consumer_args[@]}" -DCMAKE_TOOLCHAIN_FILE="$consumer/cortex-m4.cmake" \
		-DMLP_TARGET=thumbv7em-none-eabihf -DMLP_MCPU=cortex-m4
	check "and builds with arm-none-eabi-gcc" run "$work/m4build.log" cmake --build "$m4"
	check "the models are Cortex-M4 objects" sh -c "arm-none-eabi-readelf -A '$m4/quantc/cnn/cnn.o' | grep -q 'Tag_CPU_name: \"cortex-m4\"' &&
		arm-none-eabi-readelf -A '$m4/quantc/fashion_mlp/fashion_mlp.o' | grep -q 'Tag_CPU_name: \"cortex-m4\"'"
	check "the runtime is built for the Cortex-M4" sh -c "arm-none-eabi-readelf -A '$m4/libquantc_runtime.a' | grep -q 'Tag_ABI_VFP_args: VFP registers'"
	# semihosting output arrives on QEMU's stderr
	timeout 300 "${x_run[@]}" "$m4/two_models" > "$work/m4.out" 2>&1
	check "two_models runs under ${x_run[0]} -M mps2-an386" test $? -eq 0
	check "and prints what the host build printed ($(tail -2 "$work/m4.out" | tr '\n' ' '))" \
		cmp -s "$work/host.out" "$work/m4.out"
fi

# --- cpack -G DEB ----------------------------------------------------------
deb=$work/deb
check "cpack -G DEB builds a package" run "$work/cpack.log" cpack -G DEB --config "$QC_BUILD/CPackConfig.cmake" -B "$deb"
pkg=$(find "$deb" -maxdepth 1 -name 'quantc_*.deb' | head -1)
dpkg-deb -c "$pkg" > "$work/deb.txt" 2>&1
for f in usr/bin/quantc usr/include/quantc/qrt.h usr/lib/cmake/quantc/quantcConfig.cmake \
	usr/lib/pkgconfig/qrt.pc usr/share/man/man1/quantc.1 usr/lib/libqrt.a; do
	check "dpkg-deb -c lists /$f" grep -q " \./$f\$" "$work/deb.txt"
done
depends=$(dpkg-deb -f "$pkg" Depends 2>&1)
check "the package depends on libllvm19 and libc6 ($depends)" sh -c "echo '$depends' | grep -q libllvm19 && echo '$depends' | grep -q libc6"
if readelf -d "$prefix/bin/quantc" | grep -q 'libyaml'; then
	check "and on libyaml-0-2, which quantc links" sh -c "echo '$depends' | grep -q libyaml-0-2"
fi
dpkg -x "$pkg" "$work/root"
check "the package's qrt.pc is for /usr" grep -qx 'prefix=/usr' "$work/root/usr/lib/pkgconfig/qrt.pc"
check "find_package(quantc) finds the unpacked package where it lies (relocatable)" \
	run "$work/debcfg.log" cmake -S "$consumer" -B "$work/debhost" "${consumer_args[@]}" \
	-DCMAKE_PREFIX_PATH="$work/root/usr"
check "and uses its quantc" grep -q "$work/root/usr/bin/quantc" "$work/debhost/build.ninja"
finish
