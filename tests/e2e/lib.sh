# lib.sh — shared by the script tests: every check prints what it checked.
set -u
fails=0
checks=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ex=$QC_SRC/examples/fashion_mnist
: "${QC_TEST_IMAGES:=10000}"

ok()   { checks=$((checks + 1)); echo "ok: $*"; }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }
# check DESCRIPTION COMMAND...: passes when the command succeeds
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
finish() { echo "$checks checks, $fails failed"; [ "$fails" -eq 0 ]; }

# The Fashion-MNIST test set, cut to QC_TEST_IMAGES images (the sanitizer
# build runs fewer).
test_data() {
	if [ "$QC_TEST_IMAGES" -ge 10000 ]; then
		tx=$QC_DATA/test_x.npy ty=$QC_DATA/test_y.npy
	else
		tx=$work/test_x.npy ty=$work/test_y.npy
		"$NPYTOOL" head "$QC_TEST_IMAGES" "$QC_DATA/test_x.npy" "$tx"
		"$NPYTOOL" head "$QC_TEST_IMAGES" "$QC_DATA/test_y.npy" "$ty"
	fi
}

# link_demo MODEL OBJ OUT: the example program linked with a compiled model
link_demo() {
	# shellcheck disable=SC2086
	"$CC" -std=c11 -O2 -Wall -Wextra -Werror ${QC_CFLAGS:-} -DMODEL="$1" -I"$(dirname "$2")" -I"$QRT_INCLUDE" \
		"$ex/demo.c" "$2" "$QRT_LIB" -o "$3"
}
