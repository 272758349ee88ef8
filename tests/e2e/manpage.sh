#!/bin/bash
# manpage.sh — docs/quantc.1 and the --help texts stay in sync: every
# subcommand, --option and pass that `quantc --help` and `quantc COMMAND
# --help` print has an entry (a .TP tag) in the man page, and the man page
# documents nothing else; and the page renders without warnings.
. "$(dirname "$0")/lib.sh"
page=$QC_SRC/docs/quantc.1
q=$QUANTC

# --- what --help prints ------------------------------------------------------
"$q" --help > "$work/help.txt"
sed -nE 's/^ *(usage: )?quantc ([a-z][a-z-]*) MODEL.*/\2/p' "$work/help.txt" | sort -u > "$work/help_cmds"
while read -r c; do
	"$q" "$c" --help >> "$work/help.txt"
done < "$work/help_cmds"
grep -oE -- '--[a-z][a-z-]*' "$work/help.txt" | sort -u > "$work/help_opts"
"$q" compile --help | sed -n '/^passes:/,$p' | sed -nE 's/^  ([a-z][a-z-]*) .*/\1/p' | sort -u > "$work/help_passes"
check "--help names subcommands ($(wc -l < "$work/help_cmds")), options ($(wc -l < "$work/help_opts")) and passes ($(wc -l < "$work/help_passes"))" \
	test -s "$work/help_cmds" -a -s "$work/help_opts" -a -s "$work/help_passes"

# --- what the man page documents: the tags of its .TP paragraphs, by section -
# tags SECTION: the tag lines of the .TP paragraphs under .SH SECTION, with
# roff's escapes and font macros taken off
tags() {
	awk -v want="$1" '
		/^\.SH / { sec = $0; sub(/^\.SH +/, "", sec); gsub(/"/, "", sec); next }
		sec != want { next }
		/^\.TP/ { tag = 1; next }
		tag && /^\.PD/ { next }
		tag { print; tag = 0 }' "$page" |
		sed -E 's/\\-/-/g; s/\\f[BIRP]//g; s/^\.[BIR]+ +//; s/"//g'
}
tags COMMANDS | awk '{ print $1 }' | sort -u > "$work/man_cmds"
tags OPTIONS | grep -oE -- '--[a-z][a-z-]*' | sort -u > "$work/man_opts"
tags PASSES | awk '{ print $1 }' | sort -u > "$work/man_passes"

# same WHAT HELP MAN: the two lists are equal; otherwise names the differences
same() {
	local missing extra
	missing=$(comm -23 "$2" "$3" | tr '\n' ' ')
	extra=$(comm -13 "$2" "$3" | tr '\n' ' ')
	if [ -z "$missing$extra" ]; then
		ok "the man page documents the $(wc -l < "$2") $1 of --help, and no others"
	else
		fail "$1: in --help but not in docs/quantc.1: [${missing% }]; in docs/quantc.1 but not in --help: [${extra% }]"
	fi
}
same subcommands "$work/help_cmds" "$work/man_cmds"
same options "$work/help_opts" "$work/man_opts"
same passes "$work/help_passes" "$work/man_passes"

# --- it renders cleanly --------------------------------------------------------
if command -v groff > /dev/null; then
	MANWIDTH=80 LC_ALL=C.UTF-8 groff -man -t -ww -z -rLL=73n "$page" > "$work/groff.txt" 2>&1
	check "groff renders docs/quantc.1 without warnings $(head -c 300 "$work/groff.txt")" test ! -s "$work/groff.txt"
else
	echo "note: groff is not installed; the rendering is not checked"
fi
check "the man page's version is quantc's ($("$q" --version | head -1))" \
	grep -qF "\"quantc $("$q" --version | awk '{ print $2 }')\"" "$page"
finish
