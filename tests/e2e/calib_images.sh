#!/bin/bash
# calib_images.sh — --calib DIR, a folder of images (docs/configuration.md,
# "Calibration images"): the first 100 Fashion-MNIST calibration samples
# written as PNG, PGM and PPM files of every kind quantc reads calibrate the
# CNN into the very object the same samples as .npy give (same calibration,
# same bytes); RGB images become gray by their luma, larger ones are resized
# and cropped; and every kind of bad folder, image or setting is an error
# (exit 1, `error:`, no output file).
. "$(dirname "$0")/lib.sh"
m=$ex/cnn.qg
py=/usr/bin/python3
mk=$QC_SRC/tests/tools/mkimages.py
n=100

"$NPYTOOL" head $n "$QC_DATA/calib.npy" "$work/first.npy" > /dev/null
"$QUANTC" compile "$m" --calib "$work/first.npy" -o "$work/ref.o"

# yaml NAME: writes standard input to $work/NAME.yaml
yaml() { cat > "$work/$1.yaml"; }
yaml pre <<'EOF'
calibration:
  images:
    scale: 1/255
EOF
yaml pre16 <<'EOF'
calibration:
  images: {scale: 1/65535}
EOF
yaml gray <<'EOF'
calibration:
  images: {channels: gray, scale: 0.00392156862745098}
EOF
yaml crop <<'EOF'
calibration:
  images:
    resize: 28      # the shorter side: 56x70 becomes 28x35
    crop: 28x28     # the centre
    scale: 1/255
EOF

# same_object FORMAT CONFIG WHAT: images of FORMAT with CONFIG give ref.o
same_object() {
	rm -rf "$work/$1"
	if ! $py "$mk" "$QC_DATA/calib.npy" $n "$work/$1" "$1"; then
		fail "mkimages.py $1"
		return
	fi
	if "$QUANTC" compile "$m" --calib "$work/$1" --config "$work/$2.yaml" -o "$work/$1.o" &&
	   cmp -s "$work/ref.o" "$work/$1.o"; then
		ok "$3: the same object as the samples in .npy, byte for byte"
	else
		fail "$3: the object differs from the .npy-calibrated one"
	fi
}
same_object png pre "8-bit gray PNG, scale: 1/255"
same_object pgm pre "PGM P5, maxval 255"
same_object pgm2 pre "PGM P2 (ascii, with comments)"
same_object pgm16 pre16 "16-bit PGM (maxval 65535), scale: 1/65535"
same_object png16 pre16 "16-bit PNG, scale: 1/65535"
same_object ppm gray "PPM P6 (R = G = B), channels: gray, scale as a decimal"
same_object up2pad crop "56x70 PNG, resize: 28 (area) then crop: 28x28"

# RGB of three different values: luma 0.299 R + 0.587 G + 0.114 B
$py "$mk" "$QC_DATA/calib.npy" $n "$work/rgb" rgb "$work/luma.npy"
"$QUANTC" compile "$m" --calib "$work/luma.npy" -o "$work/luma.o"
"$QUANTC" compile "$m" --calib "$work/rgb" --config "$work/gray.yaml" -o "$work/rgb.o"
check "RGB PNG with channels: gray calibrates as its BT.601 luma does" \
	cmp -s "$work/luma.o" "$work/rgb.o"

# files are taken in name order, hidden ones skipped: the same folder with
# names reversed and a dot file gives another order but the same ranges
mkdir "$work/rev"
for f in "$work"/png/*.png; do
	b=$(basename "$f" .png)
	cp "$f" "$work/rev/$((999 - 10#$b)).png"
done
echo "not an image" > "$work/rev/.notes"
"$QUANTC" compile "$m" --calib "$work/rev" --config "$work/pre.yaml" -o "$work/rev.o"
check "hidden files are skipped (and minmax ranges do not depend on the order)" \
	cmp -s "$work/ref.o" "$work/rev.o"

# resizing keeps a constant image constant: a 50x37 image of 200 read into
# 28x28 (width shrinks, height grows) gives the input exactly 200/255
mkdir "$work/const"
{ printf 'P5\n50 37\n255\n'; head -c $((50 * 37)) /dev/zero | tr '\0' '\310'; } > "$work/const/a.pgm"
yaml resize <<'EOF'
calibration:
  images: {resize: 28x28, scale: 1/255}
EOF
"$QUANTC" opt "$m" --calib "$work/const" --config "$work/resize.yaml" --passes infer-shapes,calibrate \
	--elide-constants > "$work/const.qg"
want=$($py -c 'import numpy as np; print("%.9g" % np.float32(200 / 255))')
check "a constant 50x37 image resized to 28x28 stays constant (calib [$want, $want])" \
	grep -q "^input x : f32\[1,1,28,28\] range \[0, 1\] calib \[$want, $want\]" "$work/const.qg"

# --- errors: exit 1, an error naming the culprit, no object --------------------
# bad NAME 'EXPECTED' DIR [CONFIG]
bad() {
	local cfg=()
	[ -n "${4:-}" ] && cfg=(--config "$work/$4.yaml")
	rm -f "$work/bad.o"
	"$QUANTC" compile "$m" --calib "$3" "${cfg[@]}" -o "$work/bad.o" > /dev/null 2> "$work/$1.err"
	local rc=$?
	if [ $rc -eq 1 ] && grep -qF -- "$2" "$work/$1.err" && [ ! -e "$work/bad.o" ] &&
	   [ ! -e "$work/bad.h" ]; then
		ok "$1: exit 1, no output, $2"
	else
		fail "$1: exit $rc, wanted '$2', got: $(cat "$work/$1.err")"
	fi
}
mkdir "$work/empty" "$work/trunc" "$work/text" "$work/size" "$work/hdr" "$work/short" \
	"$work/sub" "$work/big"
bad empty "empty: error: no images in the calibration folder" "$work/empty" pre
head -c 400 "$work/png/000.png" > "$work/trunc/000.png"
bad truncated_png "trunc/000.png: error: corrupt PNG: the file ends too early" "$work/trunc" pre
cp "$work/png/000.png" "$work/text/"
echo "labels: 0 1 2" > "$work/text/labels.txt"
bad text_file "text/labels.txt: error: not an image" "$work/text" pre
printf 'P5\n28 28x\n255\n' > "$work/hdr/a.pgm"
bad pgm_header "hdr/a.pgm: error: corrupt PGM: bad header" "$work/hdr" pre
printf 'P5\n28 28\n255\n0123' > "$work/short/a.pgm"
bad pgm_short "short/a.pgm: error: corrupt PGM: truncated after 4 of 784 samples" "$work/short" pre
cp "$work/up2pad/000.png" "$work/size/"
bad wrong_size "size/000.png: error: image is 56x70 (width x height), the model's input takes 28x28" \
	"$work/size" pre
mkdir "$work/sub/inner"
bad subfolder "sub/inner: error: not a file" "$work/sub" pre
cp "$work/const/a.pgm" "$work/big/"
yaml crop20 <<'EOF'
calibration:
  images: {resize: 20, crop: 28}
EOF
bad crop_too_big "big/a.pgm: error: image is 50x37, 27x20 after resize, smaller than crop 28x28" \
	"$work/big" crop20
yaml typo <<'EOF'
calibration:
  images:
    scale: 1/255
    chanels: gray
EOF
bad yaml_key "typo.yaml:4:5: error: unknown key 'chanels' in images" "$work/png" typo
yaml badsize <<'EOF'
calibration:
  images: {resize: 28by28}
EOF
bad yaml_size "badsize.yaml:2:20: error: resize must be WIDTHxHEIGHT" "$work/png" badsize
yaml rgb3 <<'EOF'
calibration:
  images: {channels: rgb}
EOF
bad yaml_channels "rgb3.yaml:2:22: error: channels: rgb gives 3 channels; input 'x' has 1" \
	"$work/png" rgb3
yaml std0 <<'EOF'
calibration:
  images: {std: [0]}
EOF
bad yaml_std "std0.yaml:2:18: error: std must be positive" "$work/png" std0
finish
