#!/bin/bash
# docs_commands.sh — the command examples of docs/ run as written, so the
# documents cannot rot; and docs/cli.md names everything --help prints.
#
# The fence convention of the documents (docs/*.md):
#   ```sh     commands: run here, in order, and every block must succeed
#   ```c, ```qg, ```yaml, ```cmake whose first line is a comment naming a
#             file (`/* app.c: ... */`, `# tiny.qg: ...`): written to that
#             file in the scratch folder before the document's sh blocks run;
#             the sh blocks then compile, parse or build it.  Every such C
#             file must be used by a sh block, and a C block with a main()
#             must be such a file (example programs are compiled and run).
#   ```text, ```console, a bare ``` and any other fence: shown, never run
#             (outputs, fragments, commands that need what a test cannot
#             have).  Indented code is never run either.
#
# Each document runs in a fresh scratch folder, all its sh blocks in one
# bash (`set -e -o pipefail`, so cd and variables carry over as for a
# reader).  The folder looks like both places the documents start from:
#   the folder of docs/getting-started.md: quantc/ (this checkout), data/
#     (the Fashion-MNIST arrays of make_data.py, cut to the first 200
#     calibration samples and 1000 test images: the commands run the same
#     way on them, and calibrating on 1000 samples and classifying 10000
#     images was most of this test's time), quantc installed under
#     ~/.local (HOME is a fresh folder) with ~/.local/bin on PATH and
#     PKG_CONFIG_PATH at its qrt.pc;
#   the top of a built checkout (docs/debugging.md): examples/, runtime/,
#     tests/, cmake/ (this checkout's), build/quantc, build/libqrt.a,
#     build/data (the same cut arrays), build/tests/npytool.
# Commands that need the cross toolchains and QEMU run too: .ci/install-deps
# installs them, and the test fails when they are missing.
#   QC_DOCS       the documents to run (default: the references language.md,
#                 cli.md, abi.md, targets.md, the guides debugging.md,
#                 quantization.md, configuration.md, onnx.md and
#                 report-json.md; getting-started.md is tests/e2e/docs.sh's,
#                 and trace-format.md's one sh block needs a device's trace)
#   QC_DOCS_LOGS  a folder to keep what each document's commands printed in
. "$(dirname "$0")/lib.sh"
docs=$QC_SRC/docs
build=$(dirname "$QUANTC")

# --- the installed quantc every document shares --------------------------------
home=$work/home
# In a sanitizer build (QC_CFLAGS=-fsanitize=...) the installed libqrt.a is
# instrumented too, so the host programs the documents build with `cc` must
# link the sanitizer runtimes: a `cc` first on PATH adds QC_CFLAGS.
ccwrap=$work/ccwrap
mkdir -p "$ccwrap"
if [ -n "${QC_CFLAGS:-}" ]; then
	printf '#!/bin/sh\nexec /usr/bin/cc "$@" %s\n' "$QC_CFLAGS" > "$ccwrap/cc"
	chmod +x "$ccwrap/cc"
fi
mkdir -p "$home"
check "cmake --install $build --prefix <home>/.local" \
	sh -c "cmake --install '$build' --prefix '$home/.local' > '$work/install.log' 2>&1"

# the arrays the documents read, cut (see above); the rest of QC_DATA as it is
data=$work/data
mkdir -p "$data"
"$NPYTOOL" head 200 "$QC_DATA/calib.npy" "$data/calib.npy"
"$NPYTOOL" head 1000 "$QC_DATA/test_x.npy" "$data/test_x.npy"
"$NPYTOOL" head 1000 "$QC_DATA/test_y.npy" "$data/test_y.npy"
for f in "$QC_DATA"/*; do
	[ -e "$data/$(basename "$f")" ] || ln -s "$f" "$data/"
done

# scratch DIR: a fresh folder laid out as described above
scratch() {
	mkdir -p "$1/build/tests"
	ln -s "$QC_SRC" "$1/quantc"
	ln -s "$data" "$1/data"
	for d in examples runtime tests cmake; do
		ln -s "$QC_SRC/$d" "$1/$d"
	done
	ln -s "$QUANTC" "$1/build/quantc"
	ln -s "$QRT_LIB" "$1/build/libqrt.a"
	ln -s "$data" "$1/build/data"
	ln -s "$NPYTOOL" "$1/build/tests/npytool"
}

# blocks DOC DIR: writes DOC's sh blocks to DIR/blockNN.sh and its named
# files (c, qg, yaml, cmake blocks whose first line names one) to DIR;
# prints the names of the files written
blocks() {
	awk -v dir="$2" '
		function named(line,   m) {
			if (match(line, /^\/\* [A-Za-z0-9_.\/-]+\.[a-z]+[: ]/) ||
			    match(line, /^# [A-Za-z0-9_.\/-]+\.[a-z]+[: ]/)) {
				m = substr(line, 1, RLENGTH - 1)
				sub(/^(\/\*|#) /, "", m)
				return m
			}
			return ""
		}
		!inb && /^```sh$/ { n++; out = sprintf("%s/block%02d.sh", dir, n); inb = 1; printf "" > out; next }
		!inb && /^```(c|qg|yaml|cmake)$/ { inb = 2; first = 1; out = ""; next }
		!inb && /^```/ { inb = 3; next }
		inb && /^```$/ { if (out != "") close(out); inb = 0; next }
		inb == 1 { print > out; next }
		inb == 2 && first { first = 0; f = named($0); if (f != "") { out = dir "/" f; print "file " f; d = out; sub(/\/[^\/]*$/, "", d); system("mkdir -p \"" d "\"") } }
		inb == 2 && out != "" { print > out; next }
		END { if (inb) print "unclosed" }' "$1"
}

# run_doc NAME: runs docs/NAME's sh blocks; the checks say what ran
run_doc() {
	local name=$1 doc=$docs/$1 dir=$work/${1%.md} files b
	mkdir -p "$dir/_blocks"
	scratch "$dir/run"
	files=$(blocks "$doc" "$dir/_blocks")
	check "$name: every fence is closed" sh -c "! echo '$files' | grep -qx unclosed"
	for f in $(echo "$files" | awk '$1 == "file" { print $2 }'); do
		mkdir -p "$(dirname "$dir/run/$f")"
		cp "$dir/_blocks/$f" "$dir/run/$f"
		case $f in
		*.c)
			check "$name: $f is compiled or used by a sh block" \
				sh -c "cat '$dir'/_blocks/block*.sh 2>/dev/null | grep -qF '$f'" ;;
		esac
	done
	# a C program shown must be a named file (and so compiled and run)
	local mains
	mains=$(awk '/^```c$/ { inb = 1; first = 1; next } inb && /^```$/ { inb = 0; next }
		inb && first { first = 0; named = ($0 ~ /^\/\* [A-Za-z0-9_.\/-]+\.c[: ]/) }
		inb && /(^| )main\(/ && !named { print NR }' "$doc")
	check "$name: every C block with a main() names its file (lines: ${mains:-none})" test -z "$mains"
	local list
	list=$(cd "$dir/_blocks" && ls block*.sh 2>/dev/null)
	if [ -z "$list" ]; then
		echo "note: $name has no sh blocks"
		return
	fi
	{
		echo 'set -e -o pipefail'
		for b in $list; do
			echo "echo '## $b'; _qc_t0=\$(date +%s); . '$dir/_blocks/$b'; echo \"## $b done in \$((\$(date +%s) - _qc_t0)) s\""
		done
	} > "$dir/all.sh"
	(cd "$dir/run" && HOME=$home PATH=$home/.local/bin:$ccwrap:$PATH \
		PKG_CONFIG_PATH=$home/.local/lib/pkgconfig timeout 600 bash "$dir/all.sh") \
		> "$dir/log" 2>&1
	local rc=$?
	[ -n "${QC_DOCS_LOGS:-}" ] && mkdir -p "$QC_DOCS_LOGS" && cp "$dir/log" "$QC_DOCS_LOGS/${name%.md}.log"
	for b in $list; do
		local what
		what=$(grep -v '^ *#' "$dir/_blocks/$b" | grep -v '^ *$' | head -1 | cut -c1-60)
		local took
		took=$(sed -n "s/^## $b done in \(.*\)/\1/p" "$dir/log")
		if [ -n "$took" ]; then
			ok "$name: block $b runs in $took ($what)"
		else
			fail "$name: block $b runs ($what)"
		fi
	done
	if [ $rc -ne 0 ]; then
		echo "the last lines $name printed (exit status $rc):"
		tail -n 30 "$dir/log"
	fi
}

list=${QC_DOCS:-language.md cli.md abi.md targets.md debugging.md quantization.md configuration.md onnx.md report-json.md}
for d in language.md cli.md abi.md targets.md; do
	check "docs/$d exists and has sh blocks" grep -qx '```sh' "$docs/$d"
done
for d in $list; do
	run_doc "$d"
done

# --- docs/cli.md names every command, option and pass of --help ------------------
"$QUANTC" --help > "$work/help.txt"
cmds=$(sed -nE 's/^ *(usage: )?quantc ([a-z][a-z-]*) MODEL.*/\2/p' "$work/help.txt" | sort -u)
for c in $cmds; do
	"$QUANTC" "$c" --help >> "$work/help.txt"
done
missing=""
for c in $cmds; do
	grep -qE "^#+ .*quantc $c\b" "$docs/cli.md" || missing+=" $c"
done
check "docs/cli.md has a section for every command ($(tr '\n' ' ' <<< "$cmds")); missing:${missing:- none}" test -z "$missing"
missing=""
for o in $(grep -oE -- '(^| |\[)--?[a-zA-Z][a-zA-Z0-9-]*' "$work/help.txt" | sed 's/^[ [ ]*//' | sort -u); do
	grep -qE -- "\`$o([^a-zA-Z0-9-]|$)" "$docs/cli.md" || missing+=" $o"
done
check "docs/cli.md documents every option --help prints; missing:${missing:- none}" test -z "$missing"
missing=""
for p in $("$QUANTC" compile --help | sed -n '/^passes:/,$p' | sed -nE 's/^  ([a-z][a-z-]*) .*/\1/p'); do
	grep -qF "\`$p\`" "$docs/cli.md" || missing+=" $p"
done
check "docs/cli.md names every pass; missing:${missing:- none}" test -z "$missing"
check "README.md links the four references" sh -c "grep -q 'docs/language.md' '$QC_SRC/README.md' &&
	grep -q 'docs/cli.md' '$QC_SRC/README.md' && grep -q 'docs/abi.md' '$QC_SRC/README.md' &&
	grep -q 'docs/targets.md' '$QC_SRC/README.md'"
finish
