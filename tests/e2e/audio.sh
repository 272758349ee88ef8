# audio.sh — ONNX RNN, GRU and LSTM (unrolled at import, frontend/onnx_rnn.c)
# and small audio models exported by PyTorch, end to end (docs/onnx.md):
#   1. single RNN / GRU / LSTM nodes (tests/e2e/audio_models.py: directions,
#      layouts, linear_before_reset, biases, initial states, batch 2, any
#      subset of Y, Y_h, Y_c): every output of `quantc run --precision f32`
#      equals onnxruntime's within relative error 1e-4 (layout 1, which
#      onnxruntime refuses, against the same node in layout 0 between
#      transposes); unsupported attributes are refused with the node's name,
#      exit status 1 and no output file;
#   2. the steps of kws_gru share its recurrent weights: at T and T + 4
#      its dense layers read the same constants, and in f32 the constants
#      and the read-only data of the object do not grow with T;
#   3. Conv1d / MatMul of rank 3 then BatchNormalization or a bias Add then
#      Relu / Clip(0, 6) import as one layer with its activation (between
#      the reshapes), f32 equal to onnxruntime; m5's IR has no relu left;
#   4. kws_gru (bidirectional GRU), kws_lstm (LSTM) on MFCC-like [1, T, 10]
#      input and m5 (Conv1d, BatchNorm1d, ReLU, MaxPool1d, AveragePool, Linear) on a
#      raw waveform [1, 1, 2000], exported at opsets 11 and 13, random
#      weights: f32 equals onnxruntime within relative error 1e-4; int8 after
#      calibration on 50 random samples has an SQNR against f32 of at least
#      AUDIO_MIN_SQNR dB (printed); int16 likewise when every op of the model
#      has an int16 kernel (else the refusal is printed); the host object
#      (int8) equals `quantc run` bit for bit on 20 samples; `--precision
#      auto` compiles for aarch64-linux-gnu and the object, run under
#      qemu-aarch64, equals `quantc run --precision auto` bit for bit.
# Cost: about 17 s of CPU (the unrolled steps make a few hundred nodes per
# recurrent model, and the int8 compiles dominate). QC_AUDIO_T=25 gives
# longer sequences (slower; not in ctest).
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
: "${QC_AUDIO_T:=8}"
AUDIO_MIN_SQNR=25
: "${QC_NODE_PREFIX:=/opt/quantc-node}"
export NODE_PATH=$QC_NODE_PREFIX/node_modules
if ! command -v node > /dev/null || [ ! -d "$NODE_PATH/onnxruntime-node" ]; then
	fail "onnxruntime-node is not installed: run .ci/install-deps (looked in $NODE_PATH)"
	finish
	exit
fi

T2=$((QC_AUDIO_T + 4))
check "audio_models.py exports the models (T = $QC_AUDIO_T, kws_gru also at $T2) and builds the node cases" \
	"$py" "$QC_SRC/tests/e2e/audio_models.py" "$work" --m5 --T "$QC_AUDIO_T" --T2 "$T2"

# ort_all.js LIST: each line "MODEL X.npy OUT": runs MODEL on every sample
# of X.npy (float32 [N, ...], fed as [1, ...]) and writes output k of all
# samples, flattened, to OUT.k.npy ([N, size])
cat > "$work/ort_all.js" <<'EOF'
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');
function readNpy(p) {
	const b = fs.readFileSync(p), hl = b.readUInt16LE(8), h = b.toString('latin1', 10, 10 + hl);
	const shape = /\(([^)]*)\)/.exec(h)[1].split(',').map((s) => s.trim()).filter((s) => s).map(Number);
	const n = shape.reduce((a, c) => a * c, 1), d = new Float32Array(n);
	Buffer.from(d.buffer).set(b.subarray(10 + hl, 10 + hl + 4 * n));
	return {shape, data: d};
}
function writeNpy(p, rows, data) {
	let h = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${data.length / rows}), }`;
	h = h.padEnd(Math.ceil((h.length + 11) / 64) * 64 - 11, ' ') + '\n';
	const pre = Buffer.from([0x93, 78, 85, 77, 80, 89, 1, 0, h.length & 255, h.length >> 8]);
	fs.writeFileSync(p, Buffer.concat([pre, Buffer.from(h, 'latin1'), Buffer.from(data.buffer)]));
}
(async () => {
	for (const line of fs.readFileSync(process.argv[2], 'utf8').split('\n').filter((l) => l)) {
		const [model, xp, out] = line.split(' ');
		const s = await ort.InferenceSession.create(model, {intraOpNumThreads: 1});
		const x = readNpy(xp), per = x.data.length / x.shape[0], outs = s.outputNames.map(() => []);
		for (let i = 0; i < x.shape[0]; i++) {
			const t = new ort.Tensor('float32', x.data.slice(i * per, (i + 1) * per), [1].concat(x.shape.slice(1)));
			const r = await s.run({[s.inputNames[0]]: t});
			s.outputNames.forEach((n, k) => outs[k].push(...r[n].data));
		}
		outs.forEach((o, k) => writeNpy(`${out}.${k}.npy`, x.shape[0], Float32Array.from(o)));
	}
})().catch((e) => { console.error('ort_all.js: ' + e.message); process.exit(1); });
EOF

# close A.npy B.npy: max |a - b| / max |b| below 1e-4 (printed)
close() {
	"$py" - "$@" <<'EOF'
import sys
import numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
if a.size != b.size:
    sys.exit(f"{a.size} values, onnxruntime has {b.size}")
r = float(np.abs(a.ravel() - b.ravel()).max() / max(np.abs(b).max(), 1e-30))
print(f"  relative error {r:.3g}")
sys.exit(0 if r < 1e-4 else 1)
EOF
}
# same A.npy B.npy: equal bit for bit (as float32 [N, ...])
same() {
	"$py" -c "
import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
sys.exit(0 if a.size == b.size and np.array_equal(a.reshape(-1).view(np.uint32), b.reshape(-1).view(np.uint32)) else 1)" "$1" "$2"
}
# sqnr F32.npy Q.npy FLOOR: prints the SQNR in dB, succeeds when >= FLOOR
sqnr() {
	"$py" -c "
import sys, numpy as np
f, q = np.load(sys.argv[1]), np.load(sys.argv[2])
s = 10 * np.log10((f ** 2).sum() / max(((f - q) ** 2).sum(), 1e-30))
print(f'  SQNR {s:.2f} dB against f32 (floor {sys.argv[3]} dB)')
sys.exit(0 if s >= float(sys.argv[3]) else 1)" "$@"
}

# ---- 1. single nodes ----
: > "$work/ort.list"
for m in "$work"/cases/*.onnx; do
	c=${m%.onnx}
	case $c in *.ref) continue ;; esac
	ref=$m
	[ -f "$c.ref.onnx" ] && ref=$c.ref.onnx
	echo "$ref $c.x.npy $c.ort" >> "$work/ort.list"
done
for m in kws_gru kws_lstm m5; do
	for o in 11 13; do
		echo "$work/${m}_op$o.onnx $work/$m.x.npy $work/$m.ort$o" >> "$work/ort.list"
	done
done
for m in "$work"/fold/*.onnx; do
	echo "$m ${m%.onnx}.x.npy ${m%.onnx}.ort" >> "$work/ort.list"
done
check "onnxruntime runs the node cases and the models" node "$work/ort_all.js" "$work/ort.list"
ncase=0
for m in "$work"/cases/*.onnx; do
	c=${m%.onnx} name=$(basename "$m" .onnx)
	case $c in *.ref) continue ;; esac
	ncase=$((ncase + 1))
	outs=()
	for k in 0 1 2; do
		[ -f "$c.ort.$k.npy" ] && outs+=(-o "$c.q$k.npy")
	done
	if ! "$QUANTC" run "$m" --precision f32 --input "$c.x.npy" "${outs[@]}"; then
		fail "$name: quantc run"
		continue
	fi
	for k in 0 1 2; do
		[ -f "$c.ort.$k.npy" ] || continue
		check "$name: output $k equals onnxruntime's" close "$c.q$k.npy" "$c.ort.$k.npy"
	done
done
echo "$ncase node cases run"
for e in "$work"/bad/*.err; do
	b=${e%.err} name=bad/$(basename "$b")
	"$QUANTC" run "$b.onnx" --precision f32 --input "$work/cases/gru_fwd.x.npy" -o "$b.y.npy" 2> "$b.out"
	rc=$?
	check "$name: refused with exit status 1 ($(cat "$b.out" | head -1))" test $rc -eq 1
	check "$name: the message says why" grep -qF "$(cat "$e")" "$b.out"
	check "$name: no output file" test ! -e "$b.y.npy"
done

# ---- 2. one recurrent weight for all the steps ----
# kws_gru at T and T + 4: the dense layers of the steps read the same
# quantized constants of R (per direction and gate: 2 x 3), and in f32
# (no per-step lookup tables or multipliers) the constants and the object's
# read-only data do not grow with T, where a copy of R per step would add
# 4 steps x 2 directions x 3 gates x 16 x 16 floats = 24576 bytes.
gru_weights() { # MODEL CALIB: "dense nodes, distinct weights" of the int8 graph
	"$QUANTC" opt "$1" --precision int8 --calib "$2" \
		--passes infer-shapes,fold-constants,fuse-activation,calibrate,quantize 2> /dev/null |
		sed -nE 's/.*= dense\([^,]*, ([^,)]*).*/\1/p' | sort | uniq -c | awk '{n += $1; d++} END {print n, d}'
}
read -r n1 d1 <<< "$(gru_weights "$work/kws_gru_op13.onnx" "$work/kws_gru.calib.npy")"
read -r n2 d2 <<< "$(gru_weights "$work/kws_gru_t2.onnx" "$work/kws_gru_t2.calib.npy")"
echo "kws_gru int8: T = $QC_AUDIO_T: $n1 dense layers read $d1 weights; T = $T2: $n2 read $d2"
check "kws_gru int8: the steps share the weights (the same $d1 at both lengths, more layers at $T2)" \
	test "$d1" = "$d2" -a "$n2" -gt "$n1"
footprint() { # MODEL: "rodata weights" of the f32 object
	"$QUANTC" inspect "$1" --precision f32 --mcpu x86-64 2> /dev/null |
		sed -nE 's/.*read-only data ([0-9]+) bytes \(weights ([0-9]+)\).*/\1 \2/p'
}
read -r r1 w1 <<< "$(footprint "$work/kws_gru_op13.onnx")"
read -r r2 w2 <<< "$(footprint "$work/kws_gru_t2.onnx")"
echo "kws_gru f32: T = $QC_AUDIO_T: read-only data $r1 bytes (constants $w1); T = $T2: $r2 (constants $w2); copies of R would add 24576"
check "kws_gru f32: the constants do not grow with T" test -n "$w1" -a "$w1" = "$w2"
check "kws_gru f32: read-only data grows by less than the copies would add" \
	test -n "$r1" -a $((r2 - r1)) -lt 24576

# ---- 3. fusion through the reshapes of Conv1d and MatMul ----
# Conv1d imports as reshape, conv2d, reshape and MatMul of rank 3 as
# reshape, dense, reshape: a BatchNormalization or bias Add after them joins
# the weights and bias, a Relu or Clip(0, 6) the layer's activation.
for m in "$work"/fold/*.onnx; do
	c=${m%.onnx} name=fold/$(basename "$m" .onnx)
	ir=$("$QUANTC" opt "$m" --passes infer-shapes,fold-constants,fuse-activation 2>&1)
	check "$name: one layer with its activation, no add, mul, relu or clip left" \
		eval 'echo "$ir" | grep -qE "= (conv2d|dense)\(.*act = relu" && ! echo "$ir" | grep -qE "= (add|mul|relu|clip)\("'
	check "$name: f32 quantc run" "$QUANTC" run "$m" --precision f32 --input "$c.x.npy" -o "$c.q.npy"
	check "$name: f32 equals onnxruntime" close "$c.q.npy" "$c.ort.0.npy"
done
ir=$("$QUANTC" opt "$work/m5_op13.onnx" --passes infer-shapes,fold-constants,fuse-activation 2>&1)
echo "m5: $(echo "$ir" | grep -cE '= conv2d\(.*act = relu') of $(echo "$ir" | grep -cE '= conv2d\(') conv2d layers have the relu fused"
check "m5: no separate relu after its conv2d layers" \
	eval 'echo "$ir" | grep -qE "= conv2d\(" && ! echo "$ir" | grep -qE "= relu\(" && [ "$(echo "$ir" | grep -cE "= conv2d\(.*act = relu")" = 3 ]'

# ---- 4. the audio models ----
. "$QC_SRC/tests/cross/boards.sh"
have_cross=0
if cross_target aarch64-linux-gnu "" "" && cross_tools_present; then
	have_cross=1
	check "aarch64: runtime builds" x_build_runtime "$work"
fi
"$py" -c "
import numpy as np, sys
np.save(sys.argv[1], np.zeros(20, np.int32))" "$work/lab.npy"
for m in kws_gru kws_lstm m5; do
	d=$work/$m
	mkdir -p "$d"
	calib=(--calib "$work/$m.calib.npy")
	x=$work/$m.x.npy
	for o in 11 13; do
		check "$m opset $o: f32 quantc run" "$QUANTC" run "$work/${m}_op$o.onnx" --precision f32 --input "$x" -o "$d/f32.$o.npy"
		check "$m opset $o: f32 equals onnxruntime" close "$d/f32.$o.npy" "$work/$m.ort$o.0.npy"
	done
	onnx=$work/${m}_op13.onnx
	echo "$m: $("$QUANTC" opt "$onnx" 2> /dev/null | grep -cE ' = [a-z0-9_]+\(') IR nodes after import"
	check "$m: int8 quantc run" "$QUANTC" run "$onnx" --precision int8 "${calib[@]}" --input "$x" -o "$d/i8.npy"
	check "$m: int8" sqnr "$d/f32.13.npy" "$d/i8.npy" $AUDIO_MIN_SQNR
	if "$QUANTC" run "$onnx" --precision int16 "${calib[@]}" --input "$x" -o "$d/i16.npy" 2> "$d/i16.err"; then
		check "$m: int16" sqnr "$d/f32.13.npy" "$d/i16.npy" $AUDIO_MIN_SQNR
	else
		echo "$m: int16 not checked: $(grep -o 'error: .*' "$d/i16.err" | head -1)"
	fi
	# the host object (one ISA level: the compile time of a few hundred nodes)
	check "$m: int8 compiles for the host" "$QUANTC" compile "$onnx" --name "$m" --precision int8 "${calib[@]}" \
		--mcpu x86-64 -o "$d/$m.o"
	link_demo "$m" "$d/$m.o" "$d/demo" && "$d/demo" "$x" "$work/lab.npy" "$d/obj.npy" > /dev/null
	check "$m: int8 host object equals quantc run bit for bit on 20 samples" same "$d/obj.npy" "$d/i8.npy"
	[ $have_cross = 1 ] || continue
	mkdir -p "$d/a64"
	check "$m: --precision auto compiles for aarch64-linux-gnu" "$QUANTC" compile "$onnx" --name "$m" \
		--precision auto --min-sqnr 30 "${calib[@]}" --target aarch64-linux-gnu -o "$d/a64/$m.o" > "$d/auto.txt" 2>&1
	grep '^  chosen:' "$d/auto.txt" | sed "s/^ */$m: --precision auto: /"
	"$QUANTC" run "$onnx" --precision auto --min-sqnr 30 "${calib[@]}" --input "$x" -o "$d/auto.npy" > /dev/null 2>&1
	"$x_cc" "${x_cflags[@]}" -std=c11 -O2 -DMODEL="$m" -I"$d/a64" -I"$QRT_INCLUDE" "$ex/demo.c" \
		"$d/a64/$m.o" "$work"/rt_*.o "${x_ldflags[@]}" -o "$d/a64/demo" &&
		timeout 120 "${x_run[@]}" "$d/a64/demo" "$x" "$work/lab.npy" "$d/a64/obj.npy" > /dev/null 2>&1
	check "$m: aarch64 object (--precision auto) under QEMU equals quantc run bit for bit" \
		same "$d/a64/obj.npy" "$d/auto.npy"
done
finish
