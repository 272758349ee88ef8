# outputs.sh — the files a command writes form one transaction: when any of
# them cannot be written (a full file system, a file size limit, an output
# that is a folder, two outputs that are one file), none is, the files they
# would have replaced stay byte for byte, and no temporary is left; output
# names up to NAME_MAX (255 bytes) work.
. "$(dirname "$0")/lib.sh"
# the mounts below go before the folder does, should a check stop half-way
trap 'for p in "$work"/busy_*/out.? "$work/small"; do mountpoint -q "$p" 2> /dev/null && umount "$p"; done; rm -rf "$work"' EXIT
q=$QUANTC
m=$work/m.qg
list() { seq -s, "$1" | sed 's/^/[/; s/$/]/'; }
{
	echo "model m"
	echo "input x : f32[1,20]"
	echo "const w : f32[8,20] = $(list 160)"
	echo "const v : f32[4,8] = $(list 32)"
	echo "const c : f32[1,20] = $(list 20)"
	echo "h = dense(x, w)"
	echo "y = dense(h, v)"
	echo "z = add(x, c)"
	echo "output h"
	echo "output y"
	echo "output z"
} > "$m"
# opt writes the constants over 16 elements to .npy files: c is an input
"$q" opt "$m" -o "$work/gen.qg" || fail "opt writes the model's constants"
cp "$work/gen.c.npy" "$work/x.npy"

# fails STATUS TEXT DIR EXPECTED -- COMMAND...: the command exits STATUS
# saying TEXT, and DIR then lists exactly EXPECTED (ls -A, one line) with
# every file that was there before unchanged
fails() {
	local want=$1 text=$2 dir=$3 expected=$4; shift 5
	(cd "$dir" && find . -type f -exec md5sum {} + | LC_ALL=C sort) > "$work/sums.before"
	"$@" > /dev/null 2> "$work/err.txt"; local rc=$?
	local cmd="$*"
	cmd=${cmd//$work/\$work}
	[ ${#cmd} -gt 160 ] && cmd="${cmd:0:160}..."
	if [ $rc -eq "$want" ] && grep -qF -- "$text" "$work/err.txt"; then ok "exits $want saying '${text//$work/\$work}': $cmd"
	else fail "'$cmd' exited $rc (want $want saying '$text'), stderr: $(head -c 400 "$work/err.txt")"; fi
	local got
	got=$(ls -A "$dir" | LC_ALL=C sort | tr '\n' ' ')
	check "then ${dir#$work/} holds exactly the files it held before: $(echo "$expected" | wc -w)" test "$got" = "$expected"
	check "and they are unchanged" sh -c "cd '$dir' && { ! test -s '$work/sums.before' || md5sum --quiet -c '$work/sums.before' > /dev/null 2>&1; }"
}

# -- a file size limit (ulimit -f): the object is over 2 KiB, the header under
d=$work/fsize; mkdir "$d"; echo old > "$d/out.o"; echo old > "$d/out.h"
fails 1 "cannot write '$d/out.o': File too large" "$d" "out.h out.o " -- \
	bash -c "ulimit -f 2; exec '$q' compile '$m' --precision f32 -o '$d/out.o'"
# the same with no file there before
d=$work/fsize2; mkdir "$d"
fails 1 "File too large" "$d" "" -- \
	bash -c "ulimit -f 2; exec '$q' compile '$m' --precision f32 --emit header,obj,llvm,asm -o '$d/out.o'"

# -- a full file system: a 1 MiB tmpfs, filled up to a few KiB
d=$work/small; mkdir "$d"
if mount -t tmpfs -o size=1m tmpfs "$d" 2> /dev/null; then
	echo old > "$d/out.o"
	dd if=/dev/zero of="$d/fill" bs=1k count=1016 2> /dev/null
	fails 1 "No space left on device" "$d" "fill out.o " -- \
		"$q" compile "$m" --precision f32 --emit obj,header,llvm -o "$d/out.o"
	fails 1 "No space left on device" "$d" "fill out.o " -- \
		"$q" opt "$m" -o "$d/o.qg"
	rm -f "$d/fill"
	check "with room, the same compile writes out.o, out.h and out.ll" sh -c \
		"'$q' compile '$m' --precision f32 --emit obj,header,llvm -o '$d/out.o' && test -s '$d/out.h' -a -s '$d/out.ll'"
	umount "$d"
else
	echo "skip: cannot mount a tmpfs here (not root?): no full-file-system case"
fi

# -- a rename that fails (EBUSY: a file mounted over the output) after
# another output was renamed into place: that one is put back
for busy in out.h out.o; do
	d=$work/busy_$busy; mkdir "$d"; echo old > "$d/out.o"; echo old > "$d/out.h"; echo mounted > "$work/busy_src"
	if mount --bind "$work/busy_src" "$d/$busy" 2> /dev/null; then
		fails 1 "cannot write '$d/$busy': Device or resource busy" "$d" "out.h out.o " -- \
			"$q" compile "$m" --precision f32 --emit obj,header,llvm -o "$d/out.o"
		umount "$d/$busy"
		check "with $busy busy, out.o and out.h hold what they held" sh -c \
			"grep -qx old '$d/out.o' && grep -qx old '$d/out.h'"
	else
		echo "skip: cannot bind-mount here (not root?): no failed-rename case"
	fi
done

# -- one output cannot be written after others were: none is left
d=$work/hdir; mkdir -p "$d/out.h"; echo old > "$d/out.o"
fails 1 "cannot write '$d/out.h': not a regular file" "$d" "out.h out.o " -- \
	"$q" compile "$m" --precision f32 -o "$d/out.o"
# opt writes o.w.npy before it comes to o.v.npy, a folder
d=$work/npydir; mkdir -p "$d/o.v.npy"
fails 1 "cannot write '$d/o.v.npy': not a regular file" "$d" "o.v.npy " -- \
	"$q" opt "$m" -o "$d/o.qg"
# run writes h before y
d=$work/rundir; mkdir -p "$d/y.npy"; echo old > "$d/h.npy"
fails 1 "cannot write '$d/y.npy': not a regular file" "$d" "h.npy y.npy " -- \
	"$q" run "$m" --precision f32 --input "$work/x.npy" -o "$d/h.npy" -o "$d/y.npy" -o "$d/z.npy"
# an opt side file that is the model's own data (an input): refused after
# o.v.npy was written, and nothing is left
d=$work/npyin; mkdir "$d"; cp "$work/gen.w.npy" "$d/o.w.npy"
{
	echo "model m"
	echo "input x : f32[1,20]"
	echo "const v : f32[4,8] = $(list 32)"
	echo 'const w : f32[8,20] = npy("o.w.npy")'
	echo "h = dense(x, w)"
	echo "y = dense(h, v)"
	echo "output y"
} > "$d/m.qg"
fails 1 "cannot write './o.w.npy': it is one of the input files" "$d" "m.qg o.w.npy " -- \
	sh -c "cd '$d' && exec '$q' opt m.qg -o o.qg"

# --dump-dir: each pass's dump is written as the pass ends, and stays when
# the command then fails (it is what one looks at); the outputs do not
d=$work/dumpfail; mkdir -p "$d/out.h" "$d/dumps"
fails 1 "cannot write '$d/out.h': not a regular file" "$d" "dumps out.h " -- \
	"$q" compile "$m" --precision f32 --dump-dir "$d/dumps" -o "$d/out.o"
check "the dumps of the failed compile are there, whole" sh -c \
	"ls '$d/dumps' | grep -q '^01-.*\.qg\$' && ls '$d/dumps' | grep -q '\.npy\$' && '$q' opt \"\$(ls '$d'/dumps/01-*.qg)\" > /dev/null"

# -- the standard output is an output too
for c in "opt $m" "inspect $m --precision f32"; do
	# shellcheck disable=SC2086
	"$q" $c > /dev/full 2> "$work/err.txt"; rc=$?
	check "$c > /dev/full exits 1 saying so (got $rc)" sh -c \
		"test $rc -eq 1 && grep -q 'cannot write the standard output: No space left on device' '$work/err.txt'"
done

# -- two outputs that are one file
d=$work/same; mkdir "$d"
fails 1 "-o $d/x.h: the object would be written where the .h file goes" "$d" "" -- \
	"$q" compile "$m" --precision f32 -o "$d/x.h"
fails 1 "it is also the output" "$d" "" -- \
	"$q" run "$m" --precision f32 --input "$work/x.npy" -o "$d/a.npy" -o "$d/b.npy" -o "$d/../same/a.npy"
fails 1 "-o $d/x.ll: the object would be written where the .ll file goes" "$d" "" -- \
	"$q" compile "$m" --precision f32 --emit obj,llvm -o "$d/x.ll"

# -- long names: an output name of 255 bytes, a model name of 255
d=$work/long; mkdir "$d"
base=$(printf 'o%.0s' $(seq 253))
check "compile -o <253 bytes>.o writes the 255-byte .o and .h" sh -c \
	"'$q' compile '$m' --precision f32 -o '$d/$base.o' && test -s '$d/$base.o' -a -s '$d/$base.h'"
fails 1 "File name too long" "$d" "$base.h $base.o " -- \
	"$q" compile "$m" --precision f32 -o "$d/${base}oo.o"
# opt: the side files are <base>.w.npy, 6 bytes more than <base>
d=$work/longopt; mkdir "$d"
b249=$(printf 'p%.0s' $(seq 249))
check "opt -o <249 bytes>.qg writes its 255-byte .npy side files" sh -c \
	"'$q' opt '$m' -o '$d/$b249.qg' && test -s '$d/$b249.w.npy'"
fails 1 "File name too long" "$d" "$(ls -A "$d" | LC_ALL=C sort | tr '\n' ' ')" -- \
	"$q" opt "$m" -o "$d/${b249}p.qg"
name=$(printf 'n%.0s' $(seq 255))
check "--name of 255 characters compiles" sh -c \
	"'$q' compile '$m' --precision f32 --name '$name' -o '$d/n.o' && grep -q 'int ${name}_run(' '$d/n.h'"
check "no temporary is left anywhere" sh -c "! find '$work' -name '.qc-*' -o -name '*.tmp.*' | grep -q ."
finish
