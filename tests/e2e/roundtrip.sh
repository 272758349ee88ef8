# roundtrip.sh MODEL — the printed IR parses back into the same graph, after
# every pass of the default pipeline (int8 and f32):
#   1. every dump that --dump-dir wrote parses, and printing it again gives
#      exactly what --print-after printed at that point;
#   2. printing is a fixed point: print(parse(print(G))) == print(G);
#   3. compiling a dump taken after pass K with the rest of the pipeline gives
#      a .o byte-identical to the uninterrupted compile.
. "$(dirname "$0")/lib.sh"
model=$1
# 100 calibration samples, not 1000: what is checked does not depend on the
# count, and every dump before calibrate calibrates again
calib=$work/calib100.npy
"$NPYTOOL" head 100 "$QC_DATA/calib.npy" "$calib"
# one ISA level: the default x86-64 object is the same code three times over
# (tests/e2e/multi_isa.sh), which triples each compile's time here
cpu=(--mcpu x86-64-v3)

for prec in int8 f32; do
	d=$work/$prec
	if [ $prec = f32 ]; then passes=infer-shapes,fold-constants,fuse-activation,fuse-pool,choose-layout,plan-memory
	else passes=infer-shapes,fold-constants,fuse-activation,propagate-ranges,calibrate,quantize,check-overflow,fuse-pool,choose-layout,plan-memory; fi
	check "$model $prec: compile with --dump-dir and --print-after-all" \
		"$QUANTC" compile "$ex/$model.qg" --precision $prec --calib "$calib" "${cpu[@]}" \
		--dump-dir "$d" --print-after-all --print-constants --verify-each -o "$work/full.o" 2> "$work/after-all.txt"
	IFS=, read -ra list <<< "$passes"
	k=0
	for p in input "${list[@]}"; do
		f=$(printf '%s/%02d-%s.qg' "$d" $k "$p")
		"$QUANTC" opt "$f" > "$work/re1.qg" && "$QUANTC" opt "$work/re1.qg" > "$work/re2.qg"
		check "$model $prec: dump after '$p' parses and print(parse(print)) is a fixed point" cmp -s "$work/re1.qg" "$work/re2.qg"
		if [ $k -gt 0 ]; then
			# the k-th dump in --print-after-all's stream, without its heading
			awk -v k=$k '/^# quantc IR after pass /{n++} n==k' "$work/after-all.txt" | tail -n +2 > "$work/printed.qg"
			check "$model $prec: re-printed dump after '$p' equals what --print-after-all printed" cmp -s "$work/re1.qg" "$work/printed.qg"
		fi
		rest=$(IFS=,; echo "${list[*]:$k}")
		"$QUANTC" compile "$f" --precision $prec --calib "$calib" "${cpu[@]}" --passes "$rest" -o "$work/part.o"
		check "$model $prec: compiling the dump after '$p' with '${rest:-(no passes)}' gives the same .o" cmp -s "$work/full.o" "$work/part.o"
		k=$((k + 1))
	done
done
finish
