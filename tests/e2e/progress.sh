#!/bin/bash
# progress.sh — -q, -v and the progress bar (issue 8): the bar appears only
# when stderr is a terminal (run under script(1) for a pseudo-terminal) and
# is erased at the end; never in a pipe or under -q; -q also hides warnings
# but never errors; -v names the passes it runs.
. "$(dirname "$0")/lib.sh"
calib=$QC_DATA/calib.npy
q=$QUANTC

# on_tty OUT COMMAND...: runs COMMAND with stdin/stdout/stderr on a pseudo-terminal
on_tty() {
	local out=$1; shift
	script -qec "$(printf '%q ' "$@")" /dev/null > "$out" 2>&1
}

on_tty "$work/tty.txt" "$q" compile "$ex/cnn.qg" --calib "$calib" -o "$work/a.o"
check "on a terminal, calibration draws a bar ('calibrate N/1000 [===')" \
	grep -qa 'calibrate [0-9]*/1000 \[=' "$work/tty.txt"
check "the bar is erased at the end (carriage return, clear-to-end-of-line)" \
	grep -qa $'\r\033\[K' "$work/tty.txt"
check "the object was written" test -s "$work/a.o"

"$q" compile "$ex/cnn.qg" --calib "$calib" -o "$work/b.o" 2> "$work/pipe.txt"
check "with stderr in a file, nothing is printed at all ($(wc -c < "$work/pipe.txt") bytes)" \
	test ! -s "$work/pipe.txt"
check "the objects are identical with and without the bar" cmp -s "$work/a.o" "$work/b.o"

on_tty "$work/ttyq.txt" "$q" compile -q "$ex/cnn.qg" --calib "$calib" -o "$work/c.o"
check "-q on a terminal: no bar" sh -c "! grep -qa 'calibrate' '$work/ttyq.txt'"

# the CNN over 2000 samples: a second or two, well past the bar's half-second
# delay (the MLP over 10,000 can end before it)
"$NPYTOOL" head 2000 "$QC_DATA/test_x.npy" "$work/x2000.npy"
on_tty "$work/run.txt" "$q" run "$ex/cnn.qg" --precision f32 --input "$work/x2000.npy" -o "$work/y.npy"
check "quantc run over 2000 samples draws a bar on a terminal" grep -qa 'run [0-9]*/2000 \[' "$work/run.txt"

# a warning: a per-layer pattern that matches nothing
printf 'layers:\n  - match: "nosuchlayer*"\n    calibration: {method: mse}\n' > "$work/w.yaml"
"$q" compile "$ex/mlp.qg" --calib "$calib" --config "$work/w.yaml" -o "$work/w.o" 2> "$work/w.txt"
check "without -q the warning is shown" grep -q "warning: layer pattern 'nosuchlayer\*' matches no value" "$work/w.txt"
"$q" compile -q "$ex/mlp.qg" --calib "$calib" --config "$work/w.yaml" -o "$work/w.o" 2> "$work/wq.txt"
check "-q hides the warning ($(wc -c < "$work/wq.txt") bytes on stderr)" test ! -s "$work/wq.txt"
"$q" compile -q "$ex/mlp.qg" --calib "$work/none.npy" -o "$work/e.o" 2> "$work/e.txt"
check "-q never hides an error" grep -q "error:" "$work/e.txt"

"$q" compile -v "$ex/mlp.qg" --calib "$calib" -o "$work/v.o" 2> "$work/v.txt"
check "-v names the pipeline it runs" grep -q "passes infer-shapes,.*quantize" "$work/v.txt"
finish
