# format.sh — every C file of the repository is in the style of
# .clang-format (clang-format-19): `clang-format-19 -i FILE` leaves it as it
# is.  To format a file: clang-format-19 -i FILE.
. "$(dirname "$0")/lib.sh"
cf=$(command -v clang-format-19)
check "clang-format-19 is installed (.ci/install-deps)" test -n "$cf"
[ -n "$cf" ] || finish
cd "$QC_SRC" || exit 1
files=$(git ls-files '*.c' '*.h' 2> /dev/null || find . -name '*.[ch]' ! -path './build*')
n=0
bad=
for f in $files; do
	n=$((n + 1))
	"$cf" --style=file "$f" | cmp -s - "$f" || bad="$bad $f"
done
check "$n C files are formatted as .clang-format says (not: ${bad:-none})" test -z "$bad"
finish
