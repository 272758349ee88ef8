# paths.sh — the files quantc reads and writes (docs/limits.md, "Files"):
#   1. npy("...") paths stay in the model's folder: "..", absolute paths and
#      symbolic links leading out are errors, unless --allow-path names the
#      folder they lead to;
#   2. only regular files are read: a FIFO (model, npy, calibration data,
#      configuration: none may hang), a device, a directory are errors;
#   3. quantc writes nothing but what it is asked to (-o and the files beside
#      it, --dump-dir), and never replaces one of its inputs;
#   4. the examples and golden models still read their weights.
. "$(dirname "$0")/lib.sh"
q=$QUANTC
export TMPDIR=$work/tmp # quantc must not need it; checked empty at the end
mkdir -p "$TMPDIR"

# expect NAME TEXT -- COMMAND...: exit 1 (within 10 s), TEXT in stderr
expect() {
	local name=$1 text=$2; shift 3
	timeout 10 "$@" > /dev/null 2> "$work/err.txt"; local rc=$?
	if [ $rc -eq 1 ] && grep -qF -- "$text" "$work/err.txt"; then ok "$name: exit 1 saying '$text'"
	else fail "$name: exit $rc (want 1), stderr: $(head -c 400 "$work/err.txt")"; fi
}

m=$work/models
mkdir -p "$m/sub" "$work/shared" "$work/out"
"$NPYTOOL" head 2 "$QC_SRC/tests/bad/data/w23.npy" "$work/shared/w.npy"
cp "$work/shared/w.npy" "$m/sub/w.npy"
ln -s "$work/shared/w.npy" "$m/sub/link.npy"
ln -s "$m/sub" "$m/sub/self" # a link that stays inside
mkdir "$m/sub/dir.npy"
mkfifo "$m/sub/fifo.npy" "$work/fifo"
model() { # model NAME NPY-PATH: a model in $m/sub reading w from NPY-PATH
	printf 'model %s\ninput x : f32[1,3] range [0, 1]\nconst w : f32[2,3] = npy("%s")\ny = dense(x, w)\noutput y\n' \
		"$1" "$2" > "$m/sub/$1.qg"
}
model inside w.npy
model up ../../shared/w.npy
model abs "$work/shared/w.npy"
model etc /etc/passwd
model link link.npy
model self self/w.npy
model dotdot_in ../sub/w.npy
model dir dir.npy
model fifo fifo.npy
model missing ../nothere.npy

check "npy() in the model's folder is read" "$q" compile "$m/sub/inside.qg" --precision f32 -o "$work/out/a.o"
check "a link that stays in the folder is read" "$q" compile "$m/sub/self.qg" --precision f32 -o "$work/out/a.o"
check "'..' that comes back into the folder is read" "$q" compile "$m/sub/dotdot_in.qg" --precision f32 -o "$work/out/a.o"
check "a bare model name resolves npy() in the working directory" \
	sh -c "cd '$m/sub' && '$q' compile inside.qg --precision f32 -o '$work/out/a.o'"
expect 'npy("../../shared/w.npy")' "npy path '../../shared/w.npy' is outside the model's folder" -- \
	"$q" compile "$m/sub/up.qg" --precision f32 -o "$work/out/a.o"
expect "... and says why" "('..' leads out of it); --allow-path DIR lets a model read the files in DIR" -- \
	"$q" compile "$m/sub/up.qg" --precision f32 -o "$work/out/a.o"
expect 'npy("/etc/passwd")' "etc.qg:3:26: error: npy path '/etc/passwd' is outside the model's folder" -- \
	"$q" compile "$m/sub/etc.qg" --precision f32 -o "$work/out/a.o"
expect "npy() of an absolute path" "(an absolute path)" -- \
	"$q" compile "$m/sub/abs.qg" --precision f32 -o "$work/out/a.o"
expect "a symbolic link leading out" "npy path 'link.npy' is outside the model's folder '$m/sub' (a symbolic link leads out of it)" -- \
	"$q" compile "$m/sub/link.qg" --precision f32 -o "$work/out/a.o"
expect "a missing file outside is refused before it is looked for" "npy path '../nothere.npy' is outside" -- \
	"$q" compile "$m/sub/missing.qg" --precision f32 -o "$work/out/a.o"
check "--allow-path makes '..' into the allowed folder work" \
	"$q" compile "$m/sub/up.qg" --precision f32 --allow-path "$work/shared" -o "$work/out/a.o"
check "--allow-path makes an absolute path work" \
	"$q" compile "$m/sub/abs.qg" --precision f32 --allow-path "$work/shared" -o "$work/out/a.o"
check "--allow-path=DIR makes the link work" \
	"$q" compile "$m/sub/link.qg" --precision f32 --allow-path="$work/shared" -o "$work/out/a.o"
check "--allow-path is repeatable" \
	"$q" compile "$m/sub/link.qg" --precision f32 --allow-path "$work/out" --allow-path "$work/shared" -o "$work/out/a.o"
expect "--allow-path of another folder does not" "is outside the model's folder" -- \
	"$q" compile "$m/sub/link.qg" --precision f32 --allow-path "$work/out" -o "$work/out/a.o"
expect "--allow-path /etc does not open /etc/passwd as weights" "not a .npy file (bad magic)" -- \
	"$q" compile "$m/sub/etc.qg" --precision f32 --allow-path /etc -o "$work/out/a.o"
expect "--allow-path of a missing folder" "--allow-path: '$work/nothere': No such file or directory" -- \
	"$q" compile "$m/sub/inside.qg" --precision f32 --allow-path "$work/nothere" -o "$work/out/a.o"

expect "a directory as npy" "dir.npy: cannot read .npy file: it is a directory" -- \
	"$q" compile "$m/sub/dir.qg" --precision f32 -o "$work/out/a.o"
expect "a FIFO as npy" "fifo.npy: cannot read .npy file: it is a FIFO (named pipe), not a regular file" -- \
	"$q" compile "$m/sub/fifo.qg" --precision f32 -o "$work/out/a.o"
expect "a FIFO as the model" "fifo: error: cannot read the model: it is a FIFO" -- \
	"$q" compile "$work/fifo" --precision f32 -o "$work/out/a.o"
expect "a FIFO as calibration data" "fifo: error: cannot read .npy file: it is a FIFO" -- \
	"$q" compile "$m/sub/inside.qg" --calib "$work/fifo" -o "$work/out/a.o"
expect "a FIFO as the configuration" "fifo: error: cannot open: it is a FIFO" -- \
	"$q" compile "$m/sub/inside.qg" --config "$work/fifo" -o "$work/out/a.o"
expect "a FIFO as run's input" "fifo: error: cannot read .npy file: it is a FIFO" -- \
	"$q" run "$m/sub/inside.qg" --precision f32 --input "$work/fifo" -o "$work/out/y.npy"
expect "/dev/zero as calibration data" "/dev/zero: error: cannot read .npy file: it is a device, not a regular file" -- \
	"$q" compile "$m/sub/inside.qg" --calib /dev/zero -o "$work/out/a.o"
expect "/dev/zero as the model" "/dev/zero: error: cannot read the model: it is a device" -- \
	"$q" compile /dev/zero --precision f32 -o "$work/out/a.o"
expect "a directory as the model" "cannot read the model: it is a directory" -- \
	"$q" compile "$m/sub" --precision f32 -o "$work/out/a.o"
expect "a directory as the configuration" "cannot open: it is a directory" -- \
	"$q" compile "$m/sub/inside.qg" --config "$m/sub" -o "$work/out/a.o"

# What a compile writes: the object and its header, nothing else, anywhere.
rm -rf "$work/out"
mkdir -p "$work/out" "$work/cwd"
cp "$work/shared/w.npy" "$work/x3.npy" # two samples for the [1,3] input
listing() { (cd "$work" && find models out cwd shared x3.npy | LC_ALL=C sort); }
listing > "$work/before"
(cd "$work/cwd" && "$q" compile "$m/sub/inside.qg" --precision int8 -o "$work/out/m.o") 2> /dev/null
listing > "$work/after"
check "compile writes only OUT.o and OUT.h" \
	sh -c "diff '$work/before' '$work/after' | grep '^>' | tr -d '> ' | tr '\n' ' ' | grep -qx 'out/m.h out/m.o '"
(cd "$work/cwd" && "$q" compile "$m/sub/inside.qg" --emit obj,header,llvm,asm -o "$work/out/e.o") 2> /dev/null
listing > "$work/after2"
check "--emit obj,header,llvm,asm writes OUT.o, .h, .ll, .s only" \
	sh -c "diff '$work/after' '$work/after2' | grep '^>' | tr -d '> ' | tr '\n' ' ' | grep -qx 'out/e.h out/e.ll out/e.o out/e.s '"
(cd "$work/cwd" && "$q" compile "$m/sub/inside.qg" --dump-dir "$work/out/dump" -o "$work/out/d.o") 2> /dev/null
listing > "$work/after3"
check "--dump-dir writes only into the dump folder (and -o)" \
	sh -c "diff '$work/after2' '$work/after3' | grep '^>' | tr -d '> ' | grep -v '^out/dump' | tr '\n' ' ' | grep -qx 'out/d.h out/d.o '"
check "... and the dump folder holds the dumps" test -s "$work/out/dump/00-input.qg"
(cd "$work/cwd" && "$q" run "$m/sub/inside.qg" --precision f32 --input "$work/x3.npy" -o "$work/out/y.npy") 2> /dev/null
listing > "$work/after4"
check "run writes only its -o" \
	sh -c "diff '$work/after3' '$work/after4' | grep '^>' | tr -d '> ' | tr '\n' ' ' | grep -qx 'out/y.npy '"
(cd "$work/cwd" && "$q" inspect "$m/sub/inside.qg" --dot "$work/out/g.dot" > /dev/null) 2> /dev/null
listing > "$work/after5"
check "inspect writes only its --dot" \
	sh -c "diff '$work/after4' '$work/after5' | grep '^>' | tr -d '> ' | tr '\n' ' ' | grep -qx 'out/g.dot '"
check "nothing in the working directory" test -z "$(ls -A "$work/cwd")"
check "nothing in TMPDIR" test -z "$(ls -A "$TMPDIR")"

# An output never replaces an input, whatever the command.
cp "$m/sub/inside.qg" "$work/out/keep.qg"
cp "$m/sub/w.npy" "$work/out/w.npy"
cp "$work/out/keep.qg" "$work/keep.orig"
expect "compile -o MODEL" "cannot write '$work/out/keep.qg': it is one of the input files" -- \
	"$q" compile "$work/out/keep.qg" --precision f32 -o "$work/out/keep.qg"
expect "compile -o a weight file" "cannot write '$work/out/w.npy': it is one of the input files" -- \
	"$q" compile "$work/out/keep.qg" --precision f32 --emit obj -o "$work/out/w.npy"
expect "opt -o MODEL" "it is one of the input files" -- \
	"$q" opt "$work/out/keep.qg" --passes infer-shapes -o "$work/out/keep.qg"
expect "run -o its --input" "it is one of the input files" -- \
	"$q" run "$work/out/keep.qg" --precision f32 --input "$work/x3.npy" -o "$work/x3.npy"
check "the model and its weights are untouched" \
	sh -c "cmp -s '$work/out/keep.qg' '$work/keep.orig' && cmp -s '$work/out/w.npy' '$m/sub/w.npy'"

# every model of the tree that reads .npy files
for f in $(grep -l 'npy("' "$QC_SRC"/examples/*/*.qg "$QC_SRC"/tests/golden/*.qg); do
	check "$(basename "$(dirname "$f")")/$(basename "$f") reads its weights" \
		"$q" opt "$f" --passes infer-shapes -o "$work/out/opt.qg"
done
finish
