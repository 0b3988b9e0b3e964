# shellcheck shell=bash
# Shared by every harness script: paths, one-line errors, stage timing and
# the summary table, clean-up of half-built trees.

. "$(dirname "${BASH_SOURCE[0]}")/config.sh"

# Every stage appends one record to the run's records file; every report
# is built from those records by harness/report.py. The record's context
# (record_context): the branch its stages belong to, and the variant of
# the usual stages that runs ("debug").
RECORD_BRANCH=
RECORD_VARIANT=
STAGE_NAME=
STAGE_ARCH=
STAGE_START=
ERROR_LINE=
CLEANUP_PATHS=()
# Where command_not_found_handle (deps.sh), run in a subshell, leaves its line.
MISSING_COMMAND_FILE=$WORK/.missing-command.$$
# Facts a stage leaves for later stages of this run (run_state_file
# NAME), such as a branch's base tree: files, so that a subshell's reach
# the run, and the run's own, gone with it (on_exit).
RUN_STATE_DIR=$WORK/.run-state.$$
# A fault of the machine (a full disk, an interrupted run): a branch that
# meets one ends the whole run, not just itself.
readonly MACHINE_FAULT_EXIT=3
MACHINE_FAULT=

now() { date +%s.%N; }
elapsed_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
minutes_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", (b - a) / 60 }'; }

log() { printf '  %s\n' "$*" >&2; }

report() { python3 "$SKIDGUARD_ROOT/harness/report.py" "$@"; }
parse_console() { python3 "$SKIDGUARD_ROOT/harness/results.py" "$@"; }

# record_context BRANCH [VARIANT]: what the stages that follow belong to.
record_context() {
	RECORD_BRANCH=$1
	RECORD_VARIANT=${2:-}
}

# A run's records are its own, even in a file named by SKIDGUARD_RECORDS.
start_records() {
	mkdir -p "$(dirname "$RUN_RECORDS")"
	: >"$RUN_RECORDS"
}

# One record: STATUS DETAIL [name=number|@name=text ...].
record_stage() {
	local status=$1 detail=$2
	shift 2
	mkdir -p "$(dirname "$RUN_RECORDS")"
	command -v python3 >/dev/null || return 0
	report add "$RUN_RECORDS" "$RECORD_BRANCH" "$STAGE_ARCH" "$RECORD_VARIANT" "$STAGE_NAME" "$status" \
		"$(elapsed_since "$STAGE_START")" "$detail" "$@"
}

# A full disk or a missing package, as an error line says it (make_failure,
# ensure_packages, missing_from_log).
# Matched on the harness's own wording, case and all: a guest's "No space
# left on device", or a file the series forgot ("not installed (no Debian
# package known ...)"), is the branch's failure, not the machine's.
is_machine_fault() {
	case "$1" in
	*"no space left on device for "* | *"missing Debian packages; run: "* | *"apt-get install "*" failed: "* | \
		*": not installed (Debian package "*) return 0 ;;
	esac
	return 1
}

# A failure is one line: it is printed last, after the summary. Within a
# branch of make check, the line goes into the branch's failed record.
die() {
	# A command that was not found during this step says why it failed.
	if [ -s "$MISSING_COMMAND_FILE" ]; then
		set -- "$*: $(cat "$MISSING_COMMAND_FILE")"
		rm -f "$MISSING_COMMAND_FILE"
	fi
	ERROR_LINE="skidguard: error: $*"
	if [ -n "$STAGE_NAME" ]; then
		record_stage FAIL "$*" || true
		STAGE_NAME=
	fi
	if is_machine_fault "$*"; then MACHINE_FAULT=yes; fi
	exit 1
}

# Paths created under a temporary name are removed unless the step that
# made them renamed them into place: no half-built tree survives a failure.
cleanup_later() { CLEANUP_PATHS+=("$1"); }

# What ends a run or a branch's subshell: an open stage is recorded as
# failed, temporary paths go.
close_run() {
	local rc=$1 path
	if [ "$rc" -ne 0 ] && [ -z "$ERROR_LINE" ] && [ -s "$MISSING_COMMAND_FILE" ]; then
		ERROR_LINE="skidguard: error: $(cat "$MISSING_COMMAND_FILE")"
		[ -z "$STAGE_NAME" ] || record_stage FAIL "${ERROR_LINE#skidguard: error: }"
	elif [ "$rc" -ne 0 ] && [ -z "$ERROR_LINE" ]; then
		ERROR_LINE="skidguard: error: unexpected failure (exit $rc) in ${STAGE_NAME:-set-up}; trace it with bash -x $0"
		[ -z "$STAGE_NAME" ] || record_stage FAIL "exit $rc"
	fi
	rm -f "$MISSING_COMMAND_FILE"
	for path in "${CLEANUP_PATHS[@]}"; do
		if [ -e "$path" ]; then rm -rf -- "$path"; fi
	done
}

# SHOW_MATRIX: the run is a check over branches (show_matrix_on_exit).
SHOW_MATRIX=
show_matrix_on_exit() { SHOW_MATRIX=yes; }
on_exit() {
	local rc=$?
	# A trap must reach its exit whatever fails in it.
	set +e
	close_run "$rc"
	if [ -s "$RUN_RECORDS" ]; then
		report summary "$RUN_RECORDS" "$(elapsed_since "$RUN_START")" ${SHOW_MATRIX:+--headings} || true
		[ -z "$SHOW_MATRIX" ] || report matrix "$RUN_RECORDS" || true
	fi
	rm -rf "$RUN_STATE_DIR"
	[ "$rc" -eq 0 ] || printf '%s\n' "$ERROR_LINE" >&2
	exit "$rc"
}
trap on_exit EXIT
trap 'ERROR_LINE="skidguard: error: interrupted"; exit 130' INT TERM

# A bash-run command that was not found (command_not_found_handle, which
# bash runs in a subshell) leaves its line for the step's error.
note_missing_command() { echo "$1" 2>/dev/null >"$MISSING_COMMAND_FILE" || true; }

# The run ends at once with status $1 and the error line that a branch's
# subshell left in file $2.
abort_run() {
	ERROR_LINE=$(cat "$2" 2>/dev/null || echo "skidguard: error: interrupted")
	rm -f "$2"
	exit "$1"
}

# A branch of make check runs in a subshell: its failure is recorded and
# the run goes on. The subshell leaves its error line in $1 for the run.
branch_exit() {
	local rc=$?
	set +e
	close_run "$rc"
	[ "$rc" -eq 0 ] || printf '%s\n' "$ERROR_LINE" >"$1"
	# Only a fault of the machine or a signal ends the run; any other
	# status (git's 128 too) is the branch's failure.
	if [ -n "$MACHINE_FAULT" ]; then
		exit "$MACHINE_FAULT_EXIT"
	fi
	case "$rc" in
	0 | 130 | 137 | 143) exit "$rc" ;;
	esac
	exit 1
}

# stage_begin NAME [ARCH]: a stage of the current branch, on ARCH if given.
stage_begin() {
	STAGE_NAME=$1
	STAGE_ARCH=${2:-}
	STAGE_START=$(now)
	rm -f "$MISSING_COMMAND_FILE"
	local scope=${STAGE_ARCH:-$RECORD_BRANCH}
	printf '==> %s%s%s\n' "${RECORD_VARIANT:+$RECORD_VARIANT }" "$STAGE_NAME" "${scope:+ ($scope)}" >&2
}

# stage_end STATUS DETAIL [name=number|@name=text ...]
stage_end() {
	local status=${1:-ok} detail=${2:-}
	shift 2 || shift $#
	record_stage "$status" "$detail" "$@"
	STAGE_NAME=
}

RUN_START=$(now)
run_state_file() { mkdir -p "$RUN_STATE_DIR" && echo "$RUN_STATE_DIR/$1"; }
run_minutes() { minutes_since "$RUN_START"; }

# A stage whose inputs did not change since its last success is not run
# again: the digest of its inputs is kept in a stamp beside its output,
# and its detail ends in REUSED_NOTE.
readonly REUSED_NOTE="reused: inputs unchanged since the last run"
inputs_digest() { printf '%s\n' "$@" | sha256sum | cut -d' ' -f1; }
stamp_matches() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

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
