# golden.sh — golden IR tests: each tests/golden/*.qg starts with a line
# "# RUN: OPTIONS" giving the options of `quantc opt`; the printed IR must
# satisfy the file's FileCheck directives (CHECK:, CHECK-NEXT:, CHECK-NOT:).
. "$(dirname "$0")/lib.sh"
fc=$(command -v FileCheck-19 || command -v /usr/lib/llvm-19/bin/FileCheck || true)
check "FileCheck is installed (llvm-19-tools)" test -n "$fc"
for t in "$QC_SRC"/tests/golden/*.qg; do
	args=$(sed -n '1s/^# RUN: //p' "$t")
	# shellcheck disable=SC2086
	(cd "$(dirname "$t")" && "$QUANTC" opt "$(basename "$t")" $args) > "$work/out.qg" 2>&1
	check "$(basename "$t"): quantc opt $args" "$fc" --dump-input=fail "$t" --input-file "$work/out.qg"
done
finish
