# shellcheck shell=bash
# Applies a series with git am onto its base and runs checkpatch on it.

# Puts the tree back on its base and drops the series branch.
reset_to_base() {
	local tree=$1 branch=$2
	git -C "$tree" am --abort >/dev/null 2>&1 || true
	git -C "$tree" checkout -q -f --detach skidguard-base
	git -C "$tree" clean -q -fdx
	git -C "$tree" branch -q -D "skidguard/$branch" >/dev/null 2>&1 || true
}

apply_series() {
	local branch=$1 tree=$2 patch out n=0
	local -a patches
	stage_begin apply
	mapfile -t patches < <(series_patches "$branch")
	[ ${#patches[@]} -gt 0 ] || die "series/$branch/series lists no patch"
	reset_to_base "$tree" "$branch"
	git -C "$tree" checkout -q -b "skidguard/$branch"
	for patch in "${patches[@]}"; do
		[ -f "$SERIES_ROOT/$branch/$patch" ] || { reset_to_base "$tree" "$branch"; die "series/$branch/$patch is missing"; }
		if ! out=$(git -C "$tree" am -q "$SERIES_ROOT/$branch/$patch" 2>&1); then
			reset_to_base "$tree" "$branch"
			die "$patch does not apply to $(base_version_of "$branch"): $(grep -m1 -E '^(error|fatal|Patch failed)' <<<"$out" || head -n 1 <<<"$out")"
		fi
		n=$((n + 1))
	done
	stage_end ok "$n patches" "patches=$n"
}

# Lines may be as long as mainline's checkpatch allows (100 columns):
# backports keep mainline's code as it is, though older trees say 80.
checkpatch_report() {
	local tree=$1 patch=$2 ignores=$3
	(cd "$tree" && perl scripts/checkpatch.pl --strict --show-types --no-summary-file --max-line-length=100 \
		${ignores:+--ignore "$ignores"} "$patch" 2>&1) || true
}

# Warnings checkpatch may raise that the harness verifies instead, each
# with the check that makes it acceptable, verify_TYPE TREE PATCH REPORT,
# and the summary's wording.
CHECKPATCH_VERIFIED=(FILE_PATH_CHANGES BAD_SIGN_OFF MISSING_FIXES_TAG SPDX_LICENSE_TAG BIT_MACRO CAMELCASE)
declare -A CHECKPATCH_VERIFIED_WHY=(
	[SPDX_LICENSE_TAG]="perf shell tests' description on line 2, where perf test reads it"
	[BIT_MACRO]="tools' copy of a UAPI header, which has no BIT()"
	[CAMELCASE]="C99 format macros such as PRIu64"
	[FILE_PATH_CHANGES]="new files in maintained paths"
	[BAD_SIGN_OFF]="stable Cc comments this checkpatch flags"
	[MISSING_FIXES_TAG]="backports with Cc: stable and no Fixes:, as their mainline patch"
)

# FILE_PATH_CHANGES (new file, MAINTAINERS untouched): an existing
# MAINTAINERS entry covers every file the patch adds.
verify_FILE_PATH_CHANGES() {
	local tree=$1 patch=$2 file
	for file in $(sed -n 's/^ create mode [0-7]* //p' "$patch"); do
		maintained_path "$tree" "$file" ||
			die "$(basename "$patch") adds $file, which no MAINTAINERS entry covers"
	done
}

# BAD_SIGN_OFF: only the "Cc: stable@vger.kernel.org # N.x" form of
# stable-kernel-rules, which older trees' checkpatch rejects.
verify_BAD_SIGN_OFF() {
	! grep 'WARNING:BAD_SIGN_OFF' <<<"$3" | grep -qv "'stable@vger.kernel.org # [0-9.]*x'"
}

# MISSING_FIXES_TAG: a backport of a mainline patch that has no Fixes:
# either (the leak it fixes predates the revert of cc1582c231ea).
verify_MISSING_FIXES_TAG() {
	grep -q '^\[ Upstream commit: none yet' "$2" && ! grep -q '^Fixes:' "$2"
}

# The files checkpatch's report $2 flags with type $1, a line each.
flagged_files() {
	grep -E -A1 "(WARNING|CHECK):$1" <<<"$2" | sed -n 's/^#[0-9]*: FILE: \([^:]*\):.*/\1/p'
}

# SPDX_LICENSE_TAG: only in perf shell tests, which keep their
# description on line 2 and the tag on line 3 as nearly all their
# neighbours do: perf test reads line 2 (tools/perf/tests/tests-scripts.c;
# 6.12 and older take it verbatim).
verify_SPDX_LICENSE_TAG() {
	local files
	files=$(flagged_files SPDX_LICENSE_TAG "$3")
	[ -n "$files" ] && ! grep -qv '^tools/perf/tests/shell/[^/]*\.sh$' <<<"$files"
}

# BIT_MACRO: only in tools/include/uapi/, the copies of UAPI headers that
# tools keep in sync, where BIT() does not exist (checkpatch exempts
# include/uapi/ itself).
verify_BIT_MACRO() {
	local files
	files=$(flagged_files BIT_MACRO "$3")
	[ -n "$files" ] && ! grep -qv '^tools/include/uapi/' <<<"$files"
}

# CAMELCASE: only <inttypes.h>'s format macros, as perf prints u64.
verify_CAMELCASE() {
	! grep 'CHECK:CAMELCASE' <<<"$3" | grep -qv 'Avoid CamelCase: <PRI[diouxX][0-9]*>'
}

# checkpatch --strict on every patch must report 0 errors, warnings and
# checks, but for UNKNOWN_COMMIT_ID where the base has no history to look
# ids up in, and the verified warnings above.
run_checkpatch() {
	local branch=$1 tree=$2 patch path report ignores= patch_ignores type bad=0 detail key reused=0 kept_types
	local -a patches besides=()
	local -A verified=()
	stage_begin "checkpatch --strict"
	mapfile -t patches < <(series_patches "$branch")
	if [ "$(git -C "$tree" rev-list --count skidguard-base)" -le 1 ]; then
		ignores=UNKNOWN_COMMIT_ID
	fi
	for patch in "${patches[@]}"; do
		path="$SERIES_ROOT/$branch/$patch"
		# A patch that passed before, unchanged, on the same base, checks,
		# checkpatch and MAINTAINERS (as the series leaves them).
		key=$(inputs_digest "$(sha256sum <"$path")" "$(git -C "$tree" rev-parse skidguard-base \
			HEAD:scripts HEAD:MAINTAINERS)" "$ignores" "$(sha256sum <"${BASH_SOURCE[0]}")")
		if [ -f "$WORK/cache/checkpatch/$key" ]; then
			read -ra kept_types <"$WORK/cache/checkpatch/$key" || true
			for type in "${kept_types[@]}"; do verified[$type]=$((${verified[$type]:-0} + 1)); done
			reused=$((reused + 1))
			continue
		fi
		patch_ignores=$ignores
		report=$(checkpatch_report "$tree" "$path" "$patch_ignores")
		for type in "${CHECKPATCH_VERIFIED[@]}"; do
			grep -Eq "(WARNING|CHECK):$type" <<<"$report" && "verify_$type" "$tree" "$path" "$report" || continue
			patch_ignores+="${patch_ignores:+,}$type"
			verified[$type]=$((${verified[$type]:-0} + 1))
		done
		[ "$patch_ignores" = "$ignores" ] || report=$(checkpatch_report "$tree" "$path" "$patch_ignores")
		if ! grep -q '^total: 0 errors, 0 warnings, 0 checks' <<<"$report"; then
			grep -E -A3 '^(ERROR|WARNING|CHECK):' <<<"$report" | head -n 30 >&2
			log "$patch: $(grep -m1 '^total:' <<<"$report")"
			bad=$((bad + 1))
			continue
		fi
		# Clean: kept, with the warnings verified instead.
		mkdir -p "$WORK/cache/checkpatch"
		tr ',' ' ' <<<"${patch_ignores#"$ignores"}" >"$WORK/cache/checkpatch/$key"
	done
	[ "$bad" -eq 0 ] || die "checkpatch --strict flags $bad patch(es) of series/$branch"
	# What was not counted is said before the first ';', where the cover
	# letter's table and the matrix cut the detail.
	for type in "${CHECKPATCH_VERIFIED[@]}"; do
		[ -z "${verified[$type]:-}" ] || besides+=("$type on ${verified[$type]} (${CHECKPATCH_VERIFIED_WHY[$type]})")
	done
	[ -z "$ignores" ] || besides+=("UNKNOWN_COMMIT_ID (the base has no history)")
	detail="${#patches[@]} patches: 0 errors, 0 warnings, 0 checks"
	[ ${#besides[@]} -eq 0 ] || detail+=" besides $(printf '%s, ' "${besides[@]}" | sed 's/, $//')"
	[ "$reused" -eq 0 ] || detail+="; $REUSED_NOTE: $reused of ${#patches[@]} patches"
	stage_end ok "$detail" "patches=${#patches[@]}"
}

# True if a MAINTAINERS entry names a maintainer or supporter for the path.
maintained_path() {
	local tree=$1 file=$2
	(cd "$tree" && perl scripts/get_maintainer.pl --no-git --no-git-fallback -f "$file" 2>/dev/null) |
		grep -E '\((maintainer|supporter):' | grep -qv '(maintainer:THE REST)'
}

# Identifies a base and series pair.
series_digest() {
	(git -C "$(base_tree_of "$1")" rev-parse skidguard-base && cd "$SERIES_ROOT/$1" &&
		series_patches "$1" | xargs cat) | sha256sum | cut -d' ' -f1
}

# The tree of a branch with its series applied, reusing a previous apply
# when neither the base nor the series changed since.
materialize() {
	local branch=$1 stamp digest tree
	prepare_base "$branch"
	tree=$(base_tree_of "$branch")
	digest=$(series_digest "$branch")
	stamp="$tree/.git/skidguard-$branch.applied"
	guard_user_work "$tree" "$branch" "$stamp"
	if [ -f "$stamp" ] && [ "$(sed -n 1p "$stamp")" = "$digest" ] &&
		[ "$(git -C "$tree" rev-parse HEAD)" = "$(sed -n 2p "$stamp")" ]; then
		stage_begin apply
		stage_end ok "$(series_patches "$branch" | wc -l) patches; $REUSED_NOTE" "patches=$(series_patches "$branch" | wc -l)"
		return
	fi
	apply_series "$branch" "$tree"
	printf '%s\n%s\n' "$digest" "$(git -C "$tree" rev-parse HEAD)" >"$stamp"
}

# Refuses to throw away edits made in materialized tree $1.
guard_user_work() {
	local tree=$1 branch=$2 stamp=$3
	[ -n "$(git -C "$tree" status --porcelain --untracked-files=no)" ] &&
		die "$tree has uncommitted changes; commit them and run 'make regen B=$branch', or discard them"
	if [ -f "$stamp" ] && git -C "$tree" rev-parse -q --verify "skidguard/$branch" >/dev/null &&
		[ "$(git -C "$tree" rev-parse "skidguard/$branch")" != "$(sed -n 2p "$stamp")" ]; then
		die "skidguard/$branch in $tree has commits not in series/$branch; run 'make regen B=$branch' first"
	fi
	return 0
}

regen() {
	local branch=$1 tmp dir="$SERIES_ROOT/$1" description patch tree
	prepare_base "$branch"
	tree=$(base_tree_of "$branch")
	git -C "$tree" rev-parse -q --verify "skidguard/$branch" >/dev/null ||
		die "no materialized tree for $branch; run 'make tree B=$branch' first"
	[ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] ||
		die "$tree has uncommitted changes; commit them first"
	stage_begin regen
	tmp=$(mktemp -d "$WORK/.regen.XXXXXX")
	cleanup_later "$tmp"
	# The cover letter's prose is kept; its shortlog and diffstat follow the tree.
	description="*** SUBJECT HERE ***"
	[ ! -f "$dir/0000-cover-letter.patch" ] || description=$(cover_description "$dir/0000-cover-letter.patch")
	format_series "$branch" "$description" -q -o "$tmp"
	rm -f "$dir"/[0-9][0-9][0-9][0-9]-*.patch
	{
		grep '^#' "$dir/series" 2>/dev/null || true
		for patch in "$tmp"/*.patch; do
			[ "${patch##*/}" = 0000-cover-letter.patch ] || echo "${patch##*/}"
		done
	} >"$tmp/series"
	mv "$tmp"/*.patch "$dir/"
	mv "$tmp/series" "$dir/series"
	# The regenerated queue is what the tree holds now: no re-apply needed.
	printf '%s\n%s\n' "$(series_digest "$branch")" "$(git -C "$tree" rev-parse "skidguard/$branch")" \
		>"$tree/.git/skidguard-$branch.applied"
	stage_end ok "$(series_patches "$branch" | wc -l) patches written to series/$branch"
}
