#!/bin/bash
# resume.sh MODEL — `quantc compile DUMP` resumes the default pipeline where
# the dump stands: the graph's state (quantized, planned) decides which
# passes have done their work, not the file's name.  For every setting below
# the model is compiled once with --dump-dir, then every dump it wrote is
# compiled with the same options and no --passes; each object must equal the
# uninterrupted compile's byte for byte (so its outputs are the same), and
# the demo run on both gives the same predictions.  A graph compiled with
# --passes as given and lacking a memory plan names the passes to add.
. "$(dirname "$0")/lib.sh"
model=$1
# 100 calibration samples, not 1000: what is checked does not depend on the
# count, and every dump before calibrate calibrates again
calib=$work/calib100.npy
"$NPYTOOL" head 100 "$QC_DATA/calib.npy" "$calib"

"$NPYTOOL" head 200 "$QC_DATA/test_x.npy" "$work/x.npy"
"$NPYTOOL" head 200 "$QC_DATA/test_y.npy" "$work/y.npy"

# run_case TAG OPTIONS...: dump, then compile every dump
run_case() {
	local tag=$1; shift
	local d=$work/$tag n=0 same=0 differ=""
	rm -rf "$d"
	mkdir -p "$work/full" "$work/last"
	if ! "$QUANTC" compile -q "$ex/$model.qg" "$@" --dump-dir "$d" -o "$work/full/$model.o"; then
		fail "$model $tag: the full compile with --dump-dir"
		return
	fi
	cp "$work/full/$model.o" "$work/$tag.o"
	# the bias-correct dump's name (NN-bias-correct), if the pipeline had it
	local bc
	bc=$(cd "$d" && ls ./*-bias-correct.qg 2> /dev/null | sed 's|^\./||; s|\.qg$||')
	for f in "$d"/*.qg; do
		local opts=("$@") base
		base=$(basename "$f" .qg)
		# bias-correct leaves no mark in the graph: a dump taken after it is
		# compiled without --bias-correction (docs/cli.md)
		if [ -n "$bc" ] && [[ ! "$base" < "$bc" ]]; then
			local o kept=()
			for o in "${opts[@]}"; do [ "$o" = --bias-correction ] || kept+=("$o"); done
			opts=("${kept[@]}")
		fi
		n=$((n + 1))
		if "$QUANTC" compile -q "$f" "${opts[@]}" -o "$work/part.o" 2> "$work/err" &&
		   cmp -s "$work/full/$model.o" "$work/part.o"; then
			same=$((same + 1))
		else
			differ+=" $base($(head -c 200 "$work/err"))"
		fi
	done
	check "$model $tag: compiling each of the $n dumps ($(cd "$d" && ls *.qg | sed 's/\.qg$//' | tr '\n' ' ')) gives the full compile's object ($same of $n; differ:${differ:- none})" \
		test "$same" -eq "$n"
	# the last dump (planned) resumed, run on 200 test images against the full object
	local last
	last=$(ls "$d"/*.qg | tail -1)
	"$QUANTC" compile -q "$last" "$@" -o "$work/last/$model.o" 2> /dev/null
	link_demo "$model" "$work/full/$model.o" "$work/full_demo" &&
		link_demo "$model" "$work/last/$model.o" "$work/last_demo" &&
		"$work/full_demo" "$work/x.npy" "$work/y.npy" > "$work/full.txt" &&
		"$work/last_demo" "$work/x.npy" "$work/y.npy" > "$work/last.txt"
	check "$model $tag: the object from $(basename "$last") predicts as the full compile's ($(tail -1 "$work/last.txt"))" \
		cmp -s "$work/full.txt" "$work/last.txt"
}

# one ISA level (--mcpu): the default x86-64 object is the same code three
# times over (tests/e2e/multi_isa.sh), which triples each compile's time here
cpu=(--mcpu x86-64-v3)
run_case int8-calib --calib "$calib" "${cpu[@]}"
run_case int8-proven "${cpu[@]}"
run_case int8-bias --calib "$calib" --bias-correction "${cpu[@]}"
run_case f32 --precision f32 "${cpu[@]}"

# a calibrated dump needs no --calib: its calib [lo, hi] ranges are kept
"$QUANTC" compile "$(echo "$work"/int8-calib/*-calibrate.qg)" "${cpu[@]}" -o "$work/cal.o" 2> "$work/err"
check "the calibrated dump without --calib gives the calibrated object, no warning ($(wc -c < "$work/err") bytes on stderr)" \
	sh -c "cmp -s '$work/cal.o' '$work/int8-calib.o' && test ! -s '$work/err'"

# --passes runs as given: an unplanned graph says which passes to add
"$QUANTC" compile "$ex/$model.qg" --passes '' -o "$work/e.o" 2> "$work/err"
check "--passes '' on the source: '$(head -1 "$work/err")'" \
	grep -q 'error: the graph has no types (shapes) and no memory plan: add --passes infer-shapes,plan-memory' "$work/err"
"$QUANTC" compile "$(echo "$work"/int8-calib/*-quantize.qg)" --passes '' -o "$work/e.o" 2> "$work/err"
check "--passes '' on the quantized dump: '$(head -1 "$work/err")'" \
	grep -q 'error: the graph has no memory plan: add --passes plan-memory' "$work/err"
"$QUANTC" compile "$(echo "$work"/int8-calib/*-quantize.qg)" --passes check-overflow -o "$work/e.o" 2> "$work/err"
check "--passes check-overflow on the quantized dump: '$(head -1 "$work/err")'" \
	grep -q 'add plan-memory to --passes (--passes check-overflow,plan-memory)' "$work/err"
check "and no object was written" test ! -e "$work/e.o"
"$QUANTC" compile "$(echo "$work"/int8-calib/*-quantize.qg)" --passes plan-memory -o "$work/e.o"
check "--passes plan-memory on the quantized dump compiles" test -s "$work/e.o"
"$QUANTC" compile "$(echo "$work"/int8-calib/*-quantize.qg)" --calib "$calib" -o "$work/e.o" 2> "$work/err"
check "--calib with a quantized dump is a warning: '$(head -1 "$work/err")'" \
	grep -q "warning: --calib is not used: '.*-quantize.qg' is already quantized" "$work/err"
finish
