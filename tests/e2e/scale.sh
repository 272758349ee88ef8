# scale.sh — bounded resources on large inputs (docs/limits.md):
#   1. a config with 20,000 layer patterns that match nothing finishes,
#      showing the first 50 warnings and a line counting the rest;
. "$(dirname "$0")/lib.sh"
q=$QUANTC

# ---- 1. many warnings -------------------------------------------------------
awk 'BEGIN { print "layers:"; for (i = 0; i < 20000; i++) printf "- match: nomatch%d\n", i }' \
	> "$work/many.yaml"
"$q" compile "$ex/mlp.qg" --config "$work/many.yaml" -o "$work/many.o" 2> "$work/many.err"
rc=$?
check "20,000 unmatched layer patterns: the compile succeeds" test $rc -eq 0
n=$(grep -c ': warning: layer pattern' "$work/many.err")
check "... 50 warnings are shown ($n)" test "$n" -eq 50
check "... then 'quantc: note: 19950 more warnings not shown'" \
	grep -q '^quantc: note: 19950 more warnings not shown' "$work/many.err"
check "... the last warning shown quotes its line" \
	grep -q -- '- match: nomatch49$' "$work/many.err"

finish
