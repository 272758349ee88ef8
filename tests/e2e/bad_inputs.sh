# bad_inputs.sh — every malformed input under tests/bad/ is rejected with
# exit status 1 (never a signal, never an internal error, never a hang) and
# the expected diagnostics, and leaves an existing output file byte for byte
# as it was and no other file behind.  One case per NAME.err (lines that
# must each appear in stderr):
#   NAME.qg / NAME.onnx / NAME.tflite
#                         a malformed model: quantc compile NAME.* --precision f32
#                         (tfl_*.tflite are tests/bad/make_tflite_bad.py's)
#   NAME.args             a command line, one argument per line, for anything
#                         else (configurations, calibration data, options);
#                         @OUT@ is the output file, @OUTDIR@ its folder
#   NAME.out              (optional) the output file's content beforehand
#                         (default "sentinel"): a model or data quantc must
#                         not overwrite
# Cases run in a copy of tests/bad that also holds a FIFO (fifo) and a
# symbolic link leading out of the folder (data/link_out.npy); @OUT@ and
# @OUTDIR@ may appear in NAME.err too.
. "$(dirname "$0")/lib.sh"
src=$QC_SRC/tests/bad
bad=$work/bad
cp -R "$src" "$bad"
mkfifo "$bad/fifo"
ln -s /etc/passwd "$bad/data/link_out.npy"
(cd "$bad" && find . | LC_ALL=C sort) > "$work/tree.before"
n=0
for err in "$src"/*.err; do
	name=$(basename "$err" .err)
	out=$work/out/$name
	mkdir -p "$out"
	if [ -f "$src/$name.out" ]; then cp "$src/$name.out" "$out/m.o"; else echo sentinel > "$out/m.o"; fi
	cp "$out/m.o" "$work/before"
	args=()
	if [ -f "$src/$name.args" ]; then
		while IFS= read -r a; do
			a=${a//@OUTDIR@/$out}
			args+=("${a//@OUT@/$out/m.o}")
		done < "$src/$name.args"
	elif [ -f "$src/$name.qg" ]; then
		args=(compile "$name.qg" --precision f32 -o "$out/m.o")
	elif [ -f "$src/$name.onnx" ]; then
		args=(compile "$name.onnx" --precision f32 -o "$out/m.o")
	elif [ -f "$src/$name.tflite" ]; then
		args=(compile "$name.tflite" --precision f32 -o "$out/m.o")
	else
		fail "$name: no $name.qg, .onnx, .tflite or .args beside $name.err"
		continue
	fi
	(cd "$bad" && timeout 60 "$QUANTC" "${args[@]}") > /dev/null 2> "$work/err.txt"
	rc=$?
	check "$name: exit status 1 (got $rc)" test $rc -eq 1
	check "$name: an error was diagnosed, no internal or sanitizer error" \
		sh -c "grep -q 'error: ' '$work/err.txt' && ! grep -qE 'internal error|Sanitizer|runtime error' '$work/err.txt'"
	while IFS= read -r line; do
		[ -z "$line" ] && continue
		line=${line//@OUTDIR@/$out}
		line=${line//@OUT@/$out/m.o}
		check "$name: stderr has '$line'" grep -qF -- "$line" "$work/err.txt"
	done < "$err"
	check "$name: existing output unchanged, nothing else written" \
		sh -c "cmp -s '$out/m.o' '$work/before' && test \"\$(ls -A '$out')\" = m.o"
	n=$((n + 1))
done
(cd "$bad" && find . | LC_ALL=C sort) > "$work/tree.after"
check "nothing was written beside the inputs" cmp -s "$work/tree.before" "$work/tree.after"
check "ran $n malformed inputs" test $n -ge 60
finish
