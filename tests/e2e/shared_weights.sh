# shared_weights.sh — one weight constant read by several conv2d / dense
# layers (what an unrolled RNN's steps do with R; passes/fam_weighted.c):
#   - a model of two conv2d sharing their weight and bias and three dense
#     sharing theirs, compiled for the host in int8, int16 and a mix (one
#     of the dense layers f32, one conv2d int16, the rest int8: the weight
#     is then copied for the integer layers): the object's outputs equal
#     `quantc run`'s bit for bit on 16 samples;
#   - the quantized IR holds one int8 weight for the three dense layers and
#     one bias each; the object holds each shared weight once (its bytes
#     appear once in .rodata);
#   - Cortex-M4 (whose dense kernel packs the weight) compiles it.
# Cost: about 3 s of CPU.
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3

"$py" - "$work" <<'EOF2'
import sys
import numpy as np
out = sys.argv[1]
rng = np.random.default_rng(5)
def arr(name, shape, s=0.4):
    a = rng.uniform(-s, s, shape).astype(np.float32)
    return f"const {name} : f32[{','.join(map(str, shape))}] = [{', '.join('%.6g' % v for v in a.ravel())}]\n", a
src = "model shared\n\ninput x : f32[1,2,4,4] range [-1, 1]\n"
for name, shape in (("k", (2, 2, 3, 3)), ("kb", (2,)), ("r", (32, 32)), ("rb", (32,)), ("wo", (5, 32))):
    src += arr(name, shape)[0]
src += """
c1 = conv2d(x, k, kb) { pad = [1,1,1,1], act = relu }
c2 = conv2d(c1, k, kb) { pad = [1,1,1,1] }
f = flatten(c2)
h1 = dense(f, r, rb)
t1 = tanh(h1)
h2 = dense(t1, r, rb)
t2 = tanh(h2)
h3 = dense(t2, r, rb)
y = dense(h3, wo)
output y
"""
open(out + "/shared.qg", "w").write(src)
np.save(out + "/x.npy", rng.uniform(-1, 1, (16, 2, 4, 4)).astype(np.float32))
np.save(out + "/calib.npy", rng.uniform(-1, 1, (32, 2, 4, 4)).astype(np.float32))
np.save(out + "/lab.npy", np.zeros(16, np.int32))
EOF2
cat > "$work/mixed.yaml" << 'EOF2'
precision: int8
layers:
  - match: h2
    precision: f32
  - match: c2
    precision: int16
EOF2

same() {
	"$py" -c "
import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
sys.exit(0 if a.size == b.size and np.array_equal(a.reshape(-1).view(np.uint32), b.reshape(-1).view(np.uint32)) else 1)" "$1" "$2"
}
m=$work/shared.qg
for p in int8 int16 mixed; do
	d=$work/$p
	mkdir -p "$d"
	opts=(--precision "$p")
	[ "$p" = mixed ] && opts=(--config "$work/mixed.yaml")
	check "$p: quantc run" "$QUANTC" run "$m" "${opts[@]}" --calib "$work/calib.npy" \
		--input "$work/x.npy" -o "$d/run.npy"
	check "$p: compiles for the host" "$QUANTC" compile "$m" --name shared "${opts[@]}" \
		--calib "$work/calib.npy" --mcpu x86-64 -o "$d/shared.o"
	link_demo shared "$d/shared.o" "$d/demo" && "$d/demo" "$work/x.npy" "$work/lab.npy" "$d/obj.npy" > /dev/null
	check "$p: the host object equals quantc run bit for bit on 16 samples" same "$d/obj.npy" "$d/run.npy"
done

# the int8 IR: one weight r for h1..h3, a bias each (large constants go to
# .npy files beside q.qg: r's is q.r.npy)
"$QUANTC" opt "$m" --precision int8 --calib "$work/calib.npy" \
	--passes infer-shapes,fold-constants,fuse-activation,calibrate,quantize -o "$work/q.qg" 2> /dev/null
echo "int8 IR: $(grep -cE '^const r(\.[0-9]+)? : i8' "$work/q.qg") int8 constant(s) of r, dense biases: $(sed -nE 's/^h[123] .*= dense\([^,]*, r, ([^)]*)\).*/\1/p' "$work/q.qg" | tr '\n' ' ')"
check "int8: the three dense layers read one int8 weight r" \
	test "$(grep -cE '= dense\([^,]*, r, ' "$work/q.qg")" = 3 -a "$(grep -cE '^const r(\.[0-9]+)? : i8' "$work/q.qg")" = 1
check "int8: each dense layer has its own bias" \
	test "$(sed -nE 's/^h[123] .*= dense\([^,]*, r, ([^)]*)\).*/\1/p' "$work/q.qg" | sort -u | wc -l)" = 3
# r's 1024 int8 bytes found in the object's read-only data: once
"$py" -c "
import sys, numpy as np
np.load(sys.argv[1]).astype(np.int8).tofile(sys.argv[2])" "$work/q.r.npy" "$work/r.bin"
objcopy -O binary --only-section=.rodata --only-section='.rodata.*' "$work/int8/shared.o" "$work/ro.bin" 2> /dev/null
count=$("$py" -c "
import sys
d, r = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
print(d.count(r))" "$work/ro.bin" "$work/r.bin")
check "int8 object: r's 1024 bytes are in its read-only data once (found $count times)" test "$count" = 1
check "thumbv7em-none-eabihf (int8): compiles" "$QUANTC" compile "$m" --name shared --precision int8 \
	--calib "$work/calib.npy" --target thumbv7em-none-eabihf -o "$work/m4.o"
finish
