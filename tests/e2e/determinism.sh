# determinism.sh — quantc's outputs depend on its inputs and options only
# (docs/abi.md: given the same inputs and options, the object is
# byte-identical).  The same set of commands runs three times:
#   first    in one directory, the model given by its absolute path
#   moved    again in another directory, on a copy of the model folder and
#            of the calibration set, given by relative paths
#   locale   as first, in a third directory, under a comma-decimal locale
#            (de_DE.UTF-8), the time zone Asia/Kolkata and SOURCE_DATE_EPOCH
#            set (unset in the others)
# and every file each run writes must be byte-identical to the first run's:
# for the CNN and the MLP in int8, int16 and f32, `quantc compile` (.o, .h,
# --emit llvm,asm .ll/.s, the --dump-dir .qg/.npy/.dot), `quantc opt -o`
# (.qg and the .npy beside it), `quantc inspect` (its output and --dot) and
# `quantc report` (text, JSON, SVG); and the CNN compiled for a Cortex-M4 and
# an AArch64 core.  Standard error is compared too.  The calibration set is
# the first 100 samples of the usual 1000: determinism does not depend on how
# many there are, and calibration is most of these commands' time.
. "$(dirname "$0")/lib.sh"
calib=$work/calib100.npy
"$NPYTOOL" head 100 "$QC_DATA/calib.npy" "$calib"
"$NPYTOOL" head 20 "$QC_DATA/test_x.npy" "$work/x20.npy"

# --- a locale whose decimal separator is a comma ---------------------------
# Installed (locales-all) if it is there; otherwise made here with localedef
# from Debian's `locales` sources into the work directory (LOCPATH).
locale_env=()
for l in de_DE.UTF-8 de_DE.utf8 fr_FR.UTF-8 fr_FR.utf8; do
	if [ "$(LC_ALL=$l locale decimal_point 2> /dev/null)" = "," ]; then
		locale_env=(LC_ALL="$l")
		break
	fi
done
if [ ${#locale_env[@]} -eq 0 ] && [ -f /usr/share/i18n/locales/de_DE ]; then
	mkdir -p "$work/locales"
	localedef -i de_DE -f UTF-8 "$work/locales/de_DE.UTF-8" > /dev/null 2>&1
	locale_env=(LOCPATH="$work/locales" LC_ALL=de_DE.UTF-8)
fi
dp=$(env "${locale_env[@]}" locale decimal_point 2> /dev/null)
check "a comma-decimal locale exists (${locale_env[*]}: decimal point '$dp')" test "$dp" = ","

# produce MODELDIR CALIB: the commands, run in the current directory;
# everything goes under out/ (relative paths, as a user would type them)
produce() {
	local md=$1 calib=$2 m p o passes
	mkdir -p out
	for m in cnn mlp; do
		for p in int8 int16 f32; do
			o=out/$m-$p
			mkdir -p "$o" "$o/opt"
			"$QUANTC" compile "$md/$m.qg" --precision "$p" --calib "$calib" \
				--emit obj,header,llvm,asm --dump-dir "$o/dumps" -o "$o/$m.o" 2> "$o/compile.err" ||
				echo "compile $m $p: exit $?" >> out/failures
			# the pipeline quantc compile -v says it runs
			passes=infer-shapes,fuse-activation,propagate-ranges,calibrate,quantize,check-overflow,plan-memory
			[ "$p" = f32 ] && passes=infer-shapes,fuse-activation,plan-memory
			"$QUANTC" opt "$md/$m.qg" --precision "$p" --calib "$calib" --passes "$passes" \
				-o "$o/opt/$m.qg" 2> "$o/opt.err" || echo "opt $m $p: exit $?" >> out/failures
			"$QUANTC" inspect "$md/$m.qg" --precision "$p" --calib "$calib" --dot "$o/inspect.dot" \
				> "$o/inspect.txt" 2> "$o/inspect.err" || echo "inspect $m $p: exit $?" >> out/failures
			"$QUANTC" report "$md/$m.qg" --precision "$p" --calib "$calib" --input "$work/x20.npy" \
				--svg "$o/report.svg" -o "$o/report.txt" 2> "$o/report.err" ||
				echo "report $m $p: exit $?" >> out/failures
			"$QUANTC" report "$md/$m.qg" --precision "$p" --calib "$calib" --input "$work/x20.npy" \
				--format json -o "$o/report.json" 2> "$o/report-json.err" ||
				echo "report json $m $p: exit $?" >> out/failures
		done
	done
	for t in "m4 thumbv7em-none-eabihf cortex-m4" "a72 aarch64-linux-gnu cortex-a72"; do
		# shellcheck disable=SC2086
		set -- $t
		o=out/cnn-int8-$1
		mkdir -p "$o"
		"$QUANTC" compile "$md/cnn.qg" --calib "$calib" --target "$2" --mcpu "$3" \
			--emit obj,header,llvm,asm -o "$o/cnn.o" 2> "$o/compile.err" ||
			echo "compile cnn $2: exit $?" >> out/failures
	done
}

# run NAME MODELDIR CALIB [ENV...]: produce in $work/NAME, under env ENV...
run() {
	local name=$1 md=$2 c=$3 s=$SECONDS
	shift 3
	mkdir -p "$work/$name"
	(cd "$work/$name" && export -f produce && env -u SOURCE_DATE_EPOCH "$@" \
		QUANTC="$QUANTC" work="$work" bash -c "produce '$md' '$c'")
	echo "run $name: $((SECONDS - s))s"
	if [ -f "$work/$name/out/failures" ]; then
		fail "$name: every command succeeds ($(tr '\n' ';' < "$work/$name/out/failures"))"
	else
		ok "$name: every command succeeds"
	fi
}

# same NAME: every file of run NAME equals the first run's, and no file is
# missing or extra
same() {
	local a=$work/first/out b=$work/$1/out f n=0 diff=()
	if ! diff <(cd "$a" && find . -type f | LC_ALL=C sort) <(cd "$b" && find . -type f | LC_ALL=C sort) > "$work/lists.txt"; then
		fail "$1: the same files as the first run"
		head -20 "$work/lists.txt"
		return
	fi
	while IFS= read -r f; do
		n=$((n + 1))
		cmp -s "$a/$f" "$b/$f" || diff+=("$f")
	done < <(cd "$a" && find . -type f | LC_ALL=C sort)
	if [ ${#diff[@]} -eq 0 ]; then
		ok "$1: all $n files byte-identical to the first run's"
	else
		fail "$1: ${#diff[@]} of $n files differ from the first run's: ${diff[*]:0:10}"
		for f in "${diff[@]:0:3}"; do
			if [ "${f##*.}" = o ] || [ "${f##*.}" = npy ]; then
				cmp "$a/$f" "$b/$f" | head -3
			else
				diff "$a/$f" "$b/$f" | head -10
			fi
		done
	fi
}

run first "$ex" "$calib"
n=$(find "$work/first/out" -type f | wc -l)
o=$(find "$work/first/out" -name '*.o' | wc -l)
check "first: wrote $n files, $o objects" test "$o" -eq 8
# the model folder and the calibration set elsewhere, named relative to the
# working directory
mkdir -p "$work/moved/models/fm"
cp -r "$ex"/*.qg "$ex/weights" "$work/moved/models/fm/"
cp "$calib" "$work/moved/models/calib.npy"
run moved models/fm models/calib.npy
same moved

run locale "$ex" "$calib" "${locale_env[@]}" TZ=Asia/Kolkata SOURCE_DATE_EPOCH=1234567890
same locale
finish
