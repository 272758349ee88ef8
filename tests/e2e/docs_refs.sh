#!/bin/bash
# docs_refs.sh — the documents stand on their own and say what the build
# and the CMake function really take (cheap checks; docs.sh and
# docs_commands.sh run the documents' commands):
#   1. the packages: every file the build found (CMakeCache.txt of the build
#      of $QUANTC: compiler, generators, LLVM, the pkg-config libraries)
#      belongs to a package that docs/getting-started.md's apt-get line
#      installs, itself or as a dependency; and .ci/install-deps installs
#      every package of that line (the build-only subset is in it);
#   2. no tracked file outside tests/ cites the team's design document
#      ("DESIGN"): the ABI, the integer semantics and the targets are in
#      docs/abi.md, docs/requant.md and docs/targets.md;
#   3. the man page's CMAKE section documents every keyword that
#      quantc_add_model (cmake/quantc_add_model.cmake) parses, and no other.
. "$(dirname "$0")/lib.sh"
doc=$QC_SRC/docs/getting-started.md
cache=$(dirname "$QUANTC")/CMakeCache.txt

# --- 1. packages -------------------------------------------------------------
doc_pkgs=$(grep -E '^(sudo )?apt-get install' "$doc" | head -1 |
	sed -E 's/^(sudo )?apt-get install//; s/(^| )-[^ ]*//g' | tr ' ' '\n' | sed '/^$/d' | sort -u)
ci_pkgs=$(sed -n '/^pkgs=(/,/^)/p' "$QC_SRC/.ci/install-deps" | sed '1d;$d' | tr ' \t' '\n\n' |
	sed '/^$/d; /^#/d' | sort -u)
echo "getting-started.md installs: $(echo $doc_pkgs)"
echo ".ci/install-deps installs: $(echo $ci_pkgs)"
check "getting-started.md has an apt-get line ($(echo "$doc_pkgs" | wc -l) packages)" test -n "$doc_pkgs"
missing=$(comm -23 <(echo "$doc_pkgs") <(echo "$ci_pkgs") | tr '\n' ' ')
check ".ci/install-deps installs every package of getting-started.md (missing: ${missing:-none})" test -z "$missing"

# closure: the doc's packages and what they depend on (installed ones, 4 levels)
declare -A seen via
queue=()
for p in $doc_pkgs; do seen[$p]=1; via[$p]=$p; queue+=("$p"); done
for level in 1 2 3 4; do
	next=()
	for p in "${queue[@]}"; do
		deps=$(dpkg-query -W -f='${Depends}, ${Pre-Depends}' "$p" 2>/dev/null |
			tr ',|' '\n\n' | sed -E 's/\(.*\)//; s/:any//; s/ //g' | sed '/^$/d')
		for q in $deps; do
			[ -n "${seen[$q]:-}" ] && continue
			seen[$q]=1; via[$q]=${via[$p]}; next+=("$q")
		done
	done
	queue=("${next[@]}")
done
check "CMakeCache.txt of the build ($cache)" test -s "$cache"
found=$(sed -nE 's/^(CMAKE_C_COMPILER|CMAKE_MAKE_PROGRAM|CMAKE_COMMAND|PKG_CONFIG_EXECUTABLE|FLEX_EXECUTABLE|BISON_EXECUTABLE|PROTOC_C|pkgcfg_lib_[A-Za-z0-9_-]+):[A-Z]+=(\/.*)$/\2/p' "$cache")
llvm_dir=$(sed -n 's/^LLVM_DIR:PATH=//p' "$cache")
[ -n "$llvm_dir" ] && found+=$'\n'"$llvm_dir/LLVMConfig.cmake"
unlisted=""
n=0
for f in $found; do
	owner=$(dpkg -S "$f" 2>/dev/null | head -1 | cut -d: -f1)
	[ -z "$owner" ] && owner=$(dpkg -S "$(readlink -f "$f")" 2>/dev/null | head -1 | cut -d: -f1)
	n=$((n + 1))
	if [ -z "$owner" ]; then
		echo "  $f: no package owns it (not checked)"
	elif [ -n "${seen[$owner]:-}" ]; then
		echo "  $f: $owner (from ${via[$owner]})"
	else
		echo "  $f: $owner: NOT installed by getting-started.md"
		unlisted+=" $owner"
	fi
done
check "getting-started.md installs the packages of all $n files the build found (missing:${unlisted:- none})" \
	test -z "$unlisted" -a "$n" -ge 8

# --- 2. no citation of the design document -----------------------------------
if git -C "$QC_SRC" rev-parse --git-dir > /dev/null 2>&1; then
	files=$(git -C "$QC_SRC" ls-files | grep -v '^tests/')
else
	files=$(cd "$QC_SRC" && find . -type f -not -path './tests/*' -not -path './.git/*' -not -path './build*' | sed 's|^\./||')
fi
cites=$(cd "$QC_SRC" && echo "$files" | tr '\n' '\0' | xargs -0 grep -In 'DESIGN' 2>/dev/null | cut -c1-120)
check "no file outside tests/ cites DESIGN ($(echo "$files" | wc -l) files searched)${cites:+: }$cites" test -z "$cites"
for d in abi.md requant.md targets.md; do
	check "README.md links docs/$d" grep -q "docs/$d" "$QC_SRC/README.md"
done
check "docs/requant.md states the integer semantics" grep -q '^## The integer semantics' "$QC_SRC/docs/requant.md"

# --- 3. quantc_add_model's keywords in the man page ----------------------------
fn=$QC_SRC/cmake/quantc_add_model.cmake
keys=$(awk '/cmake_parse_arguments\(/ { on = 1 } on { print } on && /\)/ { exit }' "$fn" |
	grep -oE '"[A-Z_;]*"' | tr -d '"' | tr ';' '\n' | sed '/^$/d' | sort -u)
man_keys=$(awk '/^\.SH / { sec = $2 } sec == "CMAKE" && prev ~ /^\.TP/ { print } { prev = $0 }' \
	"$QC_SRC/docs/quantc.1" | sed -E 's/^\.B +//' | sort -u)
echo "quantc_add_model parses: $(echo $keys)"
echo "the man page's CMAKE section documents: $(echo $man_keys)"
check "quantc_add_model parses keywords ($(echo "$keys" | wc -l))" test -n "$keys"
missing=$(comm -23 <(echo "$keys") <(echo "$man_keys") | tr '\n' ' ')
extra=$(comm -13 <(echo "$keys") <(echo "$man_keys") | tr '\n' ' ')
check "the man page documents every keyword of quantc_add_model (missing: ${missing:-none}) and no other (extra: ${extra:-none})" \
	test -z "$missing$extra"
check "getting-started.md sends the reader to the man page for them" grep -q 'man quantc. describes them' "$doc"

# --- 4. examples/cortex_m4/run.sh finds quantc, or says how to give it ---------
# a copy of the example in a checkout without build/, with no quantc on PATH
t=$work/ck
mkdir -p "$t/examples/cortex_m4" "$t/bin" "$t/elsewhere"
cp "$QC_SRC/examples/cortex_m4/run.sh" "$t/examples/cortex_m4/"
ln -s "$QUANTC" "$t/bin/quantc"
nopath=$(echo "$PATH" | tr ':' '\n' | while read -r p; do [ -x "$p/quantc" ] || echo "$p"; done | paste -sd:)
(cd "$t/elsewhere" && env -u QUANTC PATH="$nopath" bash "$t/examples/cortex_m4/run.sh") > "$work/m4.out" 2> "$work/m4.err"
rc=$?
check "run.sh without a build, \$QUANTC or quantc on PATH: exit $rc (want 1), '$(head -c 160 "$work/m4.err")...'" \
	sh -c "test $rc -eq 1 && grep -q 'run.sh: no quantc found; pass quantc.s build folder (bash .* BUILD_DIR), set QUANTC=/path/to/quantc, or put quantc on PATH' '$work/m4.err' && ! grep -q 'cd:' '$work/m4.err'"
(cd "$t/elsewhere" && env -u QUANTC PATH="$nopath" bash "$t/examples/cortex_m4/run.sh" "$t/nothere") > "$work/m4.out" 2> "$work/m4.err"
rc=$?
check "run.sh BUILD_DIR that does not exist: exit $rc, '$(head -c 60 "$work/m4.err")...'" \
	sh -c "test $rc -eq 1 && grep -q \"run.sh: no folder '$t/nothere'; pass\" '$work/m4.err' && ! grep -q 'cd:' '$work/m4.err'"
(cd "$t/elsewhere" && env -u QUANTC PATH="$nopath" bash "$t/examples/cortex_m4/run.sh" "$t/bin/..") > "$work/m4.out" 2> "$work/m4.err"
check "run.sh BUILD_DIR without a quantc in it: '$(head -c 60 "$work/m4.err")...'" \
	grep -q "holds no quantc (not a build folder of quantc, or not built yet)" "$work/m4.err"
(cd "$t/elsewhere" && WHERE=1 env -u QUANTC PATH="$t/bin:$nopath" bash "$t/examples/cortex_m4/run.sh") > "$work/m4.out" 2>&1
check "run.sh finds the quantc on PATH: $(tr '\n' ' ' < "$work/m4.out")" \
	sh -c "grep -qx 'quantc: $t/bin/quantc' '$work/m4.out' && grep -qx 'work folder: $t/elsewhere/cortex_m4' '$work/m4.out'"
(cd "$t/elsewhere" && WHERE=1 QUANTC=$QUANTC PATH="$nopath" bash "$t/examples/cortex_m4/run.sh") > "$work/m4.out" 2>&1
check "run.sh takes \$QUANTC: $(tr '\n' ' ' < "$work/m4.out")" grep -qx "quantc: $QUANTC" "$work/m4.out"
finish
