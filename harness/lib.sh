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
# Where command_not_found_handle (deps.sh), run in a subshell, leaves its line.
MISSING_COMMAND_FILE=$WORK/.missing-command.$$

now() { date +%s.%N; }
elapsed_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
minutes_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", (b - a) / 60 }'; }

log() { printf '  %s\n' "$*" >&2; }

# A failure is one line: it is printed last, after the summary.
die() {
	# A command that was not found during this step says why it failed.
	if [ -s "$MISSING_COMMAND_FILE" ]; then
		set -- "$*: $(cat "$MISSING_COMMAND_FILE")"
		rm -f "$MISSING_COMMAND_FILE"
	fi
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
	if [ "$rc" -ne 0 ] && [ -z "$ERROR_LINE" ] && [ -s "$MISSING_COMMAND_FILE" ]; then
		ERROR_LINE="skidguard: error: $(cat "$MISSING_COMMAND_FILE")"
		[ -z "$STAGE_NAME" ] || SUMMARY_ROWS+=("$STAGE_NAME|FAIL|$(elapsed_since "$STAGE_START")|${ERROR_LINE#skidguard: error: }")
	elif [ "$rc" -ne 0 ] && [ -z "$ERROR_LINE" ]; then
		ERROR_LINE="skidguard: error: unexpected failure (exit $rc) in ${STAGE_NAME:-set-up}; trace it with bash -x $0"
		[ -z "$STAGE_NAME" ] || SUMMARY_ROWS+=("$STAGE_NAME|FAIL|$(elapsed_since "$STAGE_START")|exit $rc")
	fi
	rm -f "$MISSING_COMMAND_FILE"
	for path in "${CLEANUP_PATHS[@]}"; do
		[ -e "$path" ] && rm -rf -- "$path"
	done
	[ ${#SUMMARY_ROWS[@]} -gt 0 ] && print_summary
	[ ${#MATRIX_ROWS[@]} -eq 0 ] || print_matrix
	[ "$rc" -eq 0 ] || printf '%s\n' "$ERROR_LINE" >&2
	exit "$rc"
}
trap on_exit EXIT
trap 'ERROR_LINE="skidguard: error: interrupted"; exit 130' INT TERM

# STAGE_PREFIX names a variant of the usual stages ("debug ").
stage_begin() {
	STAGE_NAME="${STAGE_PREFIX:-}$1"
	STAGE_START=$(now)
	rm -f "$MISSING_COMMAND_FILE"
	printf '==> %s\n' "$STAGE_NAME" >&2
}

stage_end() {
	local result=${1:-ok} detail=${2:-}
	SUMMARY_ROWS+=("$STAGE_NAME|$result|$(elapsed_since "$STAGE_START")|$detail")
	STAGE_NAME=
}

RUN_START=$(now)

# A stage whose inputs did not change since its last success is not run
# again: the digest of its inputs is kept in a stamp beside its output,
# and its detail ends in REUSED_NOTE.
REUSED_NOTE="reused: inputs unchanged since the last run"
inputs_digest() { printf '%s\n' "$@" | sha256sum | cut -d' ' -f1; }
stamp_matches() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

print_summary() {
	local row stage result secs detail good=0 bad=0 skipped=0 reused
	printf '\n%-32s %-6s %8s  %s\n' STAGE RESULT SECONDS DETAIL
	for row in "${SUMMARY_ROWS[@]}"; do
		IFS='|' read -r stage result secs detail <<<"$row"
		printf '%-32s %-6s %8s  %s\n' "$stage" "$result" "$secs" "$detail"
		case "$result" in
		FAIL) bad=$((bad + 1)) ;;
		skip) skipped=$((skipped + 1)) ;;
		'') ;; # a heading
		*) good=$((good + 1)) ;;
		esac
	done
	printf '%-32s %-6s %8s\n' total "" "$(elapsed_since "$RUN_START")"
	reused=$(printf '%s\n' "${SUMMARY_ROWS[@]}" | grep -c "$REUSED_NOTE" || true)
	[ "$reused" -eq 0 ] || printf 'reused: %d stages whose inputs did not change\n' "$reused"
	printf 'stages: %d passed, %d failed, %d skipped\n' "$good" "$bad" "$skipped"
}

# The side-by-side table of one branch: cells by "row/arch", rows and
# columns in the order they first appear, from summary row SIDE_FROM on.
declare -A SIDE_CELLS=() SIDE_SEEN=()
SIDE_ROWS=()
SIDE_ARCHES=()
FIGURE_CELLS=()
SIDE_FROM=0

side_reset() {
	SIDE_CELLS=() SIDE_SEEN=() SIDE_ROWS=() SIDE_ARCHES=() FIGURE_CELLS=()
	SIDE_FROM=${#SUMMARY_ROWS[@]}
}

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
	for row in "${SUMMARY_ROWS[@]:$SIDE_FROM}"; do
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

# The matrix of a check over branches, one row a branch, built from the
# summary rows of its stages (from index $2 on).
MATRIX_HEADER="| branch | base version verified | apply | checkpatch | build | KUnit | kselftest | mutants caught | minutes |"
MATRIX_ROWS=()

# "9/9 passed, 0 skipped" of each architecture, or skip, joined.
matrix_cell() {
	local stage_prefix=$1 from=$2 row stage result secs detail out=
	for row in "${SUMMARY_ROWS[@]:$from}"; do
		IFS='|' read -r stage result secs detail <<<"$row"
		[[ $stage == "$stage_prefix ("* ]] || continue
		case "$result" in
		ok) detail=${detail%% *} ;;
		*) detail=$result ;;
		esac
		out+="${out:+, }$detail ${stage#"$stage_prefix ("}"
		out=${out%)}
	done
	echo "${out:--}"
}

# "N of M": mutants caught of those run, debug ones included.
mutants_caught() {
	local from=$1 row stage result secs detail caught=0 mutants=0
	for row in "${SUMMARY_ROWS[@]:$from}"; do
		IFS='|' read -r stage result secs detail <<<"$row"
		[[ $stage == "mutant "* || $stage == "debug mutant "* ]] || continue
		mutants=$((mutants + 1))
		[ "$result" != caught ] || caught=$((caught + 1))
	done
	echo "$caught of $mutants"
}

matrix_add() {
	local branch=$1 from=$2 start=$3 row stage result secs detail apply=- checkpatch=- build=-
	for row in "${SUMMARY_ROWS[@]:$from}"; do
		IFS='|' read -r stage result secs detail <<<"$row"
		case "$stage" in
		"apply ($branch)") apply=$result ;;
		"checkpatch --strict ($branch)") checkpatch=${detail%%;*} ;;
		"build ("*) [ "$build" = FAIL ] || build=$result ;;
		esac
	done
	MATRIX_ROWS+=("| $branch | ${BASE_VERSION:--} | $apply | $checkpatch | $build | $(matrix_cell kunit "$from") | $(matrix_cell kselftest "$from") | $(mutants_caught "$from") | $(minutes_since "$start") |")
}

matrix_skip() { MATRIX_ROWS+=("| $1 | - | skipped: $2 | - | - | - | - | - | - |"); }

print_matrix() {
	printf '\nMATRIX\n%s\n|%s\n' "$MATRIX_HEADER" "$(sed 's/[^|]//g; s/|/---|/g' <<<"${MATRIX_HEADER%|}")"
	printf '%s\n' "${MATRIX_ROWS[@]}"
}

# Rewrites the README's matrix, between its two marker lines.
write_matrix() {
	local readme="$SKIDGUARD_ROOT/README.md" tmp
	grep -q '^<!-- matrix begin' "$readme" || return 0
	tmp=$(mktemp "$readme.XXXXXX")
	cleanup_later "$tmp"
	awk -v body="$(print_matrix | sed 1,2d; printf '\n_Written by make check on %s (%s CPUs), total %s min._' "$(date -u +%Y-%m-%d)" "$(nproc)" "$(minutes_since "$RUN_START")")" '
		/^<!-- matrix end/ { print body; skip = 0 }
		!skip { print }
		/^<!-- matrix begin/ { skip = 1 }' "$readme" >"$tmp"
	mv "$tmp" "$readme"
}

# The results table of a branch for its cover letter, from the summary
# rows of its stages (from index $2 on); $3 names the command that ran.
# No times: the table changes only when a result does.
COVER_TABLE_HEAD='Tested with skidguard'

# Stage $1's detail up to its first ';' (its result where not ok), with
# the architectures it held for; one part per architecture if they differ.
results_cell() {
	local prefix=$1 from=$2 row stage result secs detail arch i same=yes out=
	local -a arches=() details=()
	for row in "${SUMMARY_ROWS[@]:$from}"; do
		IFS='|' read -r stage result secs detail <<<"$row"
		[[ $stage == "$prefix ("* ]] || continue
		arch=${stage#"$prefix ("}
		arch=${arch%%[,)]*}
		[ "$result" = ok ] || detail=$result
		detail=${detail%%;*}
		# An architecture built twice alike (powerpc: cross build, KUnit boot) is named once.
		for i in "${!arches[@]}"; do
			[ "${arches[$i]}|${details[$i]}" != "$arch|$detail" ] || continue 2
		done
		arches+=("$arch")
		details+=("$detail")
		[ "${details[-1]}" = "${details[0]}" ] || same=
	done
	[ ${#arches[@]} -gt 0 ] || { echo "not run (make check runs it)"; return; }
	if [ -n "$same" ]; then
		echo "$(printf '%s, ' "${arches[@]}" | sed 's/, $//'): ${details[0]}"
		return
	fi
	for i in "${!arches[@]}"; do out+="${out:+; }${arches[$i]}: ${details[$i]}"; done
	echo "$out"
}

results_table() {
	local branch=$1 from=$2 how=$3 mutant_cell debug_cell perf_cell cost_cell
	mutant_cell=$(mutants_caught "$from")
	# Only arm64's figure: its time follows the instructions run (-icount),
	# x86_64's the host's.
	cost_cell=$(results_cell "overflow cost" "$from")
	case "$cost_cell" in
	*"arm64: "*) cost_cell="arm64 (-icount): ${cost_cell##*arm64: }" ;;
	*) cost_cell= ;;
	esac
	[ "$mutant_cell" != "0 of 0" ] || mutant_cell=$(results_cell mutants "$from" | sed 's/ it)$/ them)/')
	debug_cell=$(results_cell "debug splats" "$from")
	perf_cell=$(results_cell "perf tests" "$from")
	printf '%s (%s) on %s:\n' "$COVER_TABLE_HEAD" "$how" "$BASE_VERSION"
	printf '  %-20s %s\n' \
		"git am" "$(series_patches "$branch" | wc -l) patches apply" \
		"checkpatch --strict" "$(results_cell "checkpatch --strict" "$from" | sed "s/^$branch: //")" \
		"build, W=1" "$(results_cell build "$from")" \
		"each patch builds" "$(results_cell "each patch builds" "$from")" \
		"sparse" "$(results_cell sparse "$from")" \
		"bloat-o-meter" "$(results_cell bloat-o-meter "$from")"
	# Beside the text growth: what the kept path costs.
	[ -z "$cost_cell" ] || printf '  %-20s %s\n' "overflow cost" "$cost_cell"
	printf '  %-20s %s\n' \
		"KUnit" "$(results_cell kunit "$from")" \
		"kselftests" "$(results_cell kselftest "$from")"
	# Only where the series adds perf tests.
	[ "$perf_cell" = "not run (make check runs it)" ] || printf '  %-20s %s\n' "perf tests" "$perf_cell"
	printf '  %-20s %s\n' "mutants caught" "$mutant_cell"
	# Only where the branch asks for a debug boot (debug= in its source).
	[ "$debug_cell" = "not run (make check runs it)" ] ||
		printf '  %-20s %s\n' "lockdep/KASAN/UBSAN" "${debug_cell% (lockdep*}"
}

# The latest passing run of a branch: its table, and the digest of the
# base and series it ran on.
save_results() {
	local branch=$1 from=$2 how=$3
	mkdir -p "$WORK/results"
	results_table "$branch" "$from" "$how" >"$WORK/results/$branch.table"
	series_digest "$branch" >"$WORK/results/$branch.digest"
}

# Stdin with its results table (COVER_TABLE_HEAD and the indented rows
# after it) replaced by file $1.
with_results_table() {
	awk -v table="$1" -v head="$COVER_TABLE_HEAD" '
		index($0, head) == 1 { while ((getline line < table) > 0) print line; skip = 1; next }
		skip && /^  / { next }
		{ skip = 0; print }'
}

# The subject and body of a cover letter, as a branch description for
# git format-patch --cover-from-description=subject: the subject without
# its [PATCH n/m] prefix, a blank line, the body up to the shortlog.
cover_description() {
	awk '
		hdr && /^Subject: / { subject = $0; sub(/^Subject: (\[[^]]*\] )?/, "", subject); folded = 1; next }
		hdr && folded && /^ / { subject = subject $0; next }
		hdr && /^$/ { hdr = 0; print subject; print ""; next }
		hdr { folded = 0; next }
		/^[^ ].* \([0-9]+\):$/ { exit }
		{ print }' hdr=1 "$1"
}

require_branch() {
	[ -f "$SERIES_ROOT/$1/series" ] && [ -f "$SERIES_ROOT/$1/source" ] ||
		die "unknown branch '$1' (known: $(known_branches))"
}

# Reads KEY=VALUE lines of a series folder's `source` file.
series_source() { sed -n "s/^$2=//p" "$SERIES_ROOT/$1/source"; }

# Mainline first, then the stable branches, newest first.
known_branches() {
	local dir names=()
	for dir in "$SERIES_ROOT"/*/; do
		[ -f "$dir/series" ] && names+=("$(basename "$dir")")
	done
	printf '%s\n' "${names[@]}" | sort -rV | awk '$0 == "mainline" { print; next } { rest = rest " " $0 } END { print rest }' | xargs
}

# Patch file names of a series, in order, without comments.
series_patches() {
	grep -v '^[[:space:]]*\(#\|$\)' "$SERIES_ROOT/$1/series" || true
}
