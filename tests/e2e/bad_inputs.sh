# bad_inputs.sh — every malformed model under tests/bad/ is rejected with
# exit status 1 and the expected diagnostics (tests/bad/NAME.err: lines that
# must each appear in stderr), and leaves an existing output file untouched
# and no other file behind.
. "$(dirname "$0")/lib.sh"
bad=$QC_SRC/tests/bad
n=0
for qg in "$bad"/*.qg; do
	name=$(basename "$qg" .qg)
	out=$work/out/$name
	mkdir -p "$out"
	echo sentinel > "$out/m.o"
	(cd "$bad" && "$QUANTC" compile "$name.qg" --precision f32 -o "$out/m.o") > /dev/null 2> "$work/err.txt"
	rc=$?
	check "$name: exit status 1 (got $rc)" test $rc -eq 1
	while IFS= read -r line; do
		[ -z "$line" ] && continue
		check "$name: stderr has '$line'" grep -qF -- "$line" "$work/err.txt"
	done < "$bad/$name.err"
	check "$name: existing output unchanged, nothing else written" \
		test "$(cat "$out/m.o")" = sentinel -a "$(ls "$out")" = m.o
	n=$((n + 1))
done
check "ran $n malformed models" test $n -ge 20
finish
