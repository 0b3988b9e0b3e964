# shellcheck shell=bash
# The reports a run leaves in the repository and in .work/results, built
# by harness/report.py from the run's records.

# The cover letters' results table starts with this line.
COVER_TABLE_HEAD='Tested with skidguard'

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

# What a branch's passing check leaves: the base it was verified on, its
# results table for the mbox, and, after a check on every architecture of
# the branch, its cover letter's table, which like the README's matrix
# shows the last one.
keep_passing_results() {
	local branch=$1 how=$2
	record_verified_base "$branch"
	save_results "$branch" "$how"
	[ "$how" = make ] || [ -n "$RUN_ARCHES" ] || write_cover_table "$branch"
}

# The latest passing run of a branch: its cover letter's table, and the
# digest of the base and series it ran on.
save_results() {
	local branch=$1 how=$2
	mkdir -p "$WORK/results"
	report cover-table "$RUN_RECORDS" "$branch" "$how" >"$WORK/results/$branch.table"
	series_digest "$branch" >"$WORK/results/$branch.digest"
}

# Writes the README's matrix from this run's records.
write_matrix() {
	report readme "$RUN_RECORDS" "$SKIDGUARD_ROOT/README.md" "$(date -u +%Y-%m-%d)" "$(nproc)" "$(run_minutes)"
}

# Rewrites the results table in the branch's committed cover letter.
write_cover_table() {
	local cover="$SERIES_ROOT/$1/0000-cover-letter.patch" tmp
	[ -f "$cover" ] || return 0
	tmp=$(mktemp "$cover.XXXXXX")
	cleanup_later "$tmp"
	with_results_table "$WORK/results/$1.table" <"$cover" >"$tmp"
	mv "$tmp" "$cover"
}
