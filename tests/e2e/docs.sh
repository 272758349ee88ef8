#!/bin/bash
# docs.sh — docs/getting-started.md works as written: runs its ```sh blocks in
# order, in one shell, in a temporary folder where quantc/ is this checkout
# and HOME is a fresh folder (so "install under ~/.local" stays inside it).
# The apt-get line is skipped when its packages are all installed (and fails
# the test when not: tests do not install packages).
. "$(dirname "$0")/lib.sh"
doc=$QC_SRC/docs/getting-started.md
cd "$work" || exit 1
mkdir home
ln -s "$QC_SRC" quantc

# the blocks, one file each
awk '/^```sh$/ { n++; out = sprintf("block%02d.sh", n); inb = 1; next }
	inb && /^```$/ { inb = 0; next }
	inb { print > out }' "$doc"
blocks=$(ls block*.sh 2>/dev/null)
check "docs/getting-started.md has sh blocks ($(echo "$blocks" | wc -w))" test -n "$blocks"

# apt-get lines: check the packages instead of installing them
for b in $blocks; do
	head -1 "$b" | cut -c1-70 > "$b.what"
	while read -r line; do
		pkgs=$(sed -E 's/^(sudo )?apt-get install//; s/(^| )-[^ ]*//g' <<< "$line")
		missing=""
		for p in $pkgs; do
			dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=" $p"
		done
		check "the packages of '${line:0:60}...' are installed (missing:${missing:- none})" test -z "$missing"
	done < <(grep -E '^(sudo )?apt-get install' "$b")
	sed -i -E 's/^(sudo )?apt-get install.*/: skipped: the packages are installed/' "$b"
done

# one shell for all blocks, so that cd and export carry over as for a reader
{
	echo 'set -e'
	for b in $blocks; do
		echo "echo '## $b'; . ./$b; echo '## $b done'"
	done
	echo 'echo "## quantc is $(command -v quantc)"'
} > all.sh
HOME=$work/home PATH=$PATH timeout 900 bash all.sh > docs.log 2>&1
rc=$?
for b in $blocks; do
	if grep -qx "## $b done" docs.log; then
		ok "block '$(cat "$b.what")' runs"
	else
		fail "block '$(cat "$b.what")' runs"
	fi
done
if [ $rc -ne 0 ]; then
	echo "the last lines the blocks printed:"
	tail -n 30 docs.log
fi
check "the quantc on PATH is the one installed under ~/.local" grep -qx "## quantc is $work/home/.local/bin/quantc" docs.log
check "the demo and the CMake project both print the accuracy ($(grep -c 'test images correct' docs.log) times)" \
	test "$(grep -c 'cnn: [0-9]* of 10000 test images correct' docs.log)" -eq 2
shown=$(grep -oE 'cnn: [0-9]+ of 10000 test images correct, accuracy [0-9.]+%' "$doc" | head -1)
check "the output shown in the document is what ran: '$shown'" grep -qF "$shown" docs.log
finish
