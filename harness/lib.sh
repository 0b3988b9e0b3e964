# shellcheck shell=bash
# Shared by every harness script: paths, one-line errors, stage timing and
# the summary table, clean-up of half-built trees.

SKIDGUARD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${SKIDGUARD_WORK:-$SKIDGUARD_ROOT/.work}
SERIES_ROOT=${SKIDGUARD_SERIES:-$SKIDGUARD_ROOT/series}
JOBS=${JOBS:-$(nproc)}

SUMMARY_ROWS=()
STAGE_NAME=
STAGE_START=
ERROR_LINE=
CLEANUP_PATHS=()

now() { date +%s.%N; }
elapsed_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

log() { printf '  %s\n' "$*" >&2; }

# A failure is one line: it is printed last, after the summary.
die() {
	ERROR_LINE="skidguard: error: $*"
	if [ -n "$STAGE_NAME" ]; then
		SUMMARY_ROWS+=("$STAGE_NAME|FAIL|$(elapsed_since "$STAGE_START")|$*")
		STAGE_NAME=
	fi
	exit 1
}

# Paths created under a temporary name are removed unless the step that
# made them renamed them into place: no half-built tree survives a failure.
cleanup_later() { CLEANUP_PATHS+=("$1"); }

on_exit() {
	local rc=$? path
	if [ "$rc" -ne 0 ] && [ -z "$ERROR_LINE" ]; then
		ERROR_LINE="skidguard: error: unexpected failure (exit $rc) in ${STAGE_NAME:-set-up}; trace it with bash -x $0"
		[ -z "$STAGE_NAME" ] || SUMMARY_ROWS+=("$STAGE_NAME|FAIL|$(elapsed_since "$STAGE_START")|exit $rc")
	fi
	for path in "${CLEANUP_PATHS[@]}"; do
		[ -e "$path" ] && rm -rf -- "$path"
	done
	[ ${#SUMMARY_ROWS[@]} -gt 0 ] && print_summary
	[ "$rc" -eq 0 ] || printf '%s\n' "$ERROR_LINE" >&2
	exit "$rc"
}
trap on_exit EXIT
trap 'ERROR_LINE="skidguard: error: interrupted"; exit 130' INT TERM

stage_begin() {
	STAGE_NAME=$1
	STAGE_START=$(now)
	printf '==> %s\n' "$STAGE_NAME" >&2
}

stage_end() {
	local result=${1:-ok} detail=${2:-}
	SUMMARY_ROWS+=("$STAGE_NAME|$result|$(elapsed_since "$STAGE_START")|$detail")
	STAGE_NAME=
}

RUN_START=$(now)

print_summary() {
	local row stage result secs detail good=0 bad=0
	printf '\n%-32s %-6s %8s  %s\n' STAGE RESULT SECONDS DETAIL
	for row in "${SUMMARY_ROWS[@]}"; do
		IFS='|' read -r stage result secs detail <<<"$row"
		printf '%-32s %-6s %8s  %s\n' "$stage" "$result" "$secs" "$detail"
		if [ "$result" = FAIL ]; then bad=$((bad + 1)); else good=$((good + 1)); fi
	done
	printf '%-32s %-6s %8s\n' total "" "$(elapsed_since "$RUN_START")"
	printf 'stages: %d passed, %d failed\n' "$good" "$bad"
}

# The side-by-side table: cells by "row/arch", rows and columns in the
# order they first appear.
declare -A SIDE_CELLS=() SIDE_SEEN=()
SIDE_ROWS=()
SIDE_ARCHES=()
FIGURE_CELLS=()

side_cell() {
	local name=$1 arch=$2
	[ -n "${SIDE_SEEN[row:$name]:-}" ] || { SIDE_ROWS+=("$name"); SIDE_SEEN[row:$name]=1; }
	[ -n "${SIDE_SEEN[arch:$arch]:-}" ] || { SIDE_ARCHES+=("$arch"); SIDE_SEEN[arch:$arch]=1; }
	SIDE_CELLS[$name/$arch]=$3
}

# Figures a stage wants in the table, below the stages: ROW|ARCH|TEXT.
side_figure() { FIGURE_CELLS+=("$1|$2|$3"); }

# Stages that ran on several architectures, one column each: "kunit
# (x86_64)" and "kunit (arm64)" become one row "kunit".
print_side_by_side() {
	local row stage result secs detail name arch re='^(.*) \((x86_64|arm64)(,[^)]*)?\)$'
	for row in "${SUMMARY_ROWS[@]}"; do
		IFS='|' read -r stage result secs detail <<<"$row"
		[[ $stage =~ $re ]] && side_cell "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "$result ${secs}s"
	done
	for row in "${FIGURE_CELLS[@]}"; do
		IFS='|' read -r name arch detail <<<"$row"
		side_cell "$name" "$arch" "$detail"
	done
	[ ${#SIDE_ARCHES[@]} -gt 1 ] || return 0
	printf '\n%-28s' "SIDE BY SIDE"
	for arch in "${SIDE_ARCHES[@]}"; do printf ' %-44s' "$arch"; done
	printf '\n'
	for name in "${SIDE_ROWS[@]}"; do
		printf '%-28s' "$name"
		for arch in "${SIDE_ARCHES[@]}"; do printf ' %-44s' "${SIDE_CELLS[$name/$arch]:--}"; done
		printf '\n'
	done
}

# Debian suites live in two archives.
suite_url() {
	case "$1" in
	*-security) echo http://deb.debian.org/debian-security ;;
	*) echo http://deb.debian.org/debian ;;
	esac
}

require_branch() {
	[ -f "$SERIES_ROOT/$1/series" ] && [ -f "$SERIES_ROOT/$1/source" ] ||
		die "unknown branch '$1' (known: $(known_branches))"
}

# Reads KEY=VALUE lines of a series folder's `source` file.
series_source() { sed -n "s/^$2=//p" "$SERIES_ROOT/$1/source"; }

known_branches() {
	local dir names=()
	for dir in "$SERIES_ROOT"/*/; do
		[ -f "$dir/series" ] && names+=("$(basename "$dir")")
	done
	echo "${names[*]}"
}

# Patch file names of a series, in order, without comments.
series_patches() {
	grep -v '^[[:space:]]*\(#\|$\)' "$SERIES_ROOT/$1/series"
}
