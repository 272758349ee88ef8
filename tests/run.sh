#!/bin/bash
# tests/run.sh [BUILD_DIR] — configures and builds quantc, runs every test
# (ctest), and ends with the line "N passed, N failed".
#   QC_CMAKE_ARGS   extra CMake arguments (e.g. -DQUANTC_SANITIZE=ON)
#   QC_TEST_IMAGES  Fashion-MNIST test images the end-to-end tests use (10000)
#   QC_CTEST_ARGS   extra ctest arguments (e.g. -E 'determinism|cross_' to skip tests)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
mkdir -p "$build"
# shellcheck disable=SC2086
if ! cmake -S "$root" -B "$build" -G Ninja ${QC_CMAKE_ARGS:-} > "$build/configure.log" 2>&1 ||
   ! cmake --build "$build"; then
	cat "$build/configure.log"
	echo "build failed"
	echo "0 passed, 1 failed"
	exit 1
fi
cd "$build" || exit 1
# shellcheck disable=SC2086
ctest -V -j2 --timeout 2400 ${QC_CTEST_ARGS:-} 2>&1 | tee ctest.log | grep -vE '^[0-9]+: (Test command|Environment variables|Test timeout|  )' 
summary=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' ctest.log | tail -1)
if [ -z "$summary" ]; then
	echo "ctest did not finish"
	echo "0 passed, 1 failed"
	exit 1
fi
failed=$(sed -E 's/.*tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<< "$summary")
total=$(sed -E 's/.*tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<< "$summary")
grep -A100 'The following tests FAILED' ctest.log || true
echo "$((total - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
