#!/bin/bash
# tests/fuzz/run.sh BUILD SECONDS — runs every libFuzzer harness built in
# BUILD (cmake -DQUANTC_FUZZ=ON -DCMAKE_C_COMPILER=clang-19) for SECONDS
# each, one after the other, over a copy of its seed corpus (the repository
# is not modified), and prints the executions of each.  Exits non-zero if any
# harness found a crash, leak, undefined behaviour, timeout or violated
# property; the input that did it is kept in BUILD/fuzz-findings/ and shown
# in base64.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?usage: run.sh BUILD SECONDS}
secs=${2:?usage: run.sh BUILD SECONDS}
build=$(cd "$build" && pwd)
# scratch in memory when we can: the harnesses write files on every run
tmp=${TMPDIR:-/tmp}
[ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && tmp=/dev/shm
work=$(mktemp -d "$tmp/qc-fuzz-run.XXXXXX")
trap 'rm -rf "$work"' EXIT
findings=$build/fuzz-findings
required="qg npy yaml tflite"
failed=0
ran=0

for h in qg npy yaml onnx image tflite; do
	bin=$build/tests/fuzz/fuzz_$h
	if [ ! -x "$bin" ]; then
		case " $required " in
		*" $h "*) echo "fuzz_$h: not built ($bin)"; failed=1 ;;
		esac
		continue
	fi
	w=$work/$h
	mkdir -p "$w/corpus" "$w/artifacts" "$w/tmp"
	[ -d "$root/tests/fuzz/corpus/$h" ] && cp -R "$root/tests/fuzz/corpus/$h/." "$w/corpus/"
	# the four MLPerf Tiny int8 models seed the .tflite reader too (read
	# from tests/models, not copied into the corpus folder)
	[ "$h" = tflite ] && cp "$root"/tests/models/mlperf-tiny/{kws_ref_model,pretrainedResnet_quant,vww_96_int8,ad01_int8}.tflite "$w/corpus/"
	seeds=$(find "$w/corpus" -type f | wc -l)
	dict=()
	[ -f "$root/tests/fuzz/$h.dict" ] && dict=("-dict=$root/tests/fuzz/$h.dict")
	# -timeout: one input taking this long is a finding (a hang);
	# -rss_limit_mb: so is using this much memory
	TMPDIR=$w/tmp "$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=25 \
		-rss_limit_mb=2048 -artifact_prefix="$w/artifacts/" "${dict[@]}" "$w/corpus" \
		< /dev/null > "$w/log" 2>&1
	rc=$?
	ran=$((ran + 1))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$w/log" | tail -1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$w/log" | tail -1)
	size=$(find "$w/corpus" -type f | wc -l)
	arts=$(find "$w/artifacts" -type f | wc -l)
	echo "fuzz_$h: ${execs:-?} executions in ${secs}s (${speed:-?}/s), corpus $seeds -> $size inputs, exit $rc"
	if [ "$rc" -ne 0 ] || [ "$arts" -ne 0 ]; then
		failed=1
		echo "fuzz_$h: FINDING — the end of its log:"
		grep -v '^#[0-9]' "$w/log" | tail -60
		mkdir -p "$findings"
		for a in "$w"/artifacts/*; do
			[ -f "$a" ] || continue
			cp "$a" "$findings/fuzz_${h}_$(basename "$a")"
			echo "fuzz_$h: input kept as $findings/fuzz_${h}_$(basename "$a"); base64:"
			head -c 4096 "$a" | base64
		done
	fi
done
if [ "$failed" -ne 0 ]; then
	echo "fuzzing: FAILED (see above; tests/fuzz/README.md says how to reproduce)"
	exit 1
fi
echo "fuzzing: $ran harnesses, no finding"
