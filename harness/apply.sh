# shellcheck shell=bash
# Applies a series with git am onto its base and runs checkpatch on it.
# Sets SERIES_HEAD.

GIT_ID=(-c user.name=skidguard -c user.email=skidguard@localhost)

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
	stage_begin "apply ($branch)"
	mapfile -t patches < <(series_patches "$branch")
	[ ${#patches[@]} -gt 0 ] || die "series/$branch/series lists no patch"
	reset_to_base "$tree" "$branch"
	git -C "$tree" checkout -q -b "skidguard/$branch"
	for patch in "${patches[@]}"; do
		[ -f "$SERIES_ROOT/$branch/$patch" ] || { reset_to_base "$tree" "$branch"; die "series/$branch/$patch is missing"; }
		if ! out=$(git -C "$tree" "${GIT_ID[@]}" am -q "$SERIES_ROOT/$branch/$patch" 2>&1); then
			reset_to_base "$tree" "$branch"
			die "$patch does not apply to $BASE_VERSION: $(grep -m1 -E '^(error|fatal|Patch failed)' <<<"$out" || head -n 1 <<<"$out")"
		fi
		n=$((n + 1))
	done
	SERIES_HEAD=$(git -C "$tree" rev-parse HEAD)
	stage_end ok "$n patches"
}

checkpatch_report() {
	local tree=$1 patch=$2 ignores=$3
	(cd "$tree" && perl scripts/checkpatch.pl --strict --show-types --no-summary-file \
		${ignores:+--ignore "$ignores"} "$patch" 2>&1) || true
}

# checkpatch --strict on every patch must report 0 errors, warnings and
# checks, with two exceptions that the harness verifies instead:
# UNKNOWN_COMMIT_ID where the base has no history to look ids up in, and
# FILE_PATH_CHANGES (new file, MAINTAINERS untouched) where an existing
# MAINTAINERS entry already covers every file the patch adds.
run_checkpatch() {
	local branch=$1 tree=$2 patch path report ignores= file bad=0 accepted=0 detail
	local -a patches
	stage_begin "checkpatch --strict ($branch)"
	mapfile -t patches < <(series_patches "$branch")
	if [ "$(git -C "$tree" rev-list --count skidguard-base)" -le 1 ]; then
		ignores=UNKNOWN_COMMIT_ID
	fi
	for patch in "${patches[@]}"; do
		path="$SERIES_ROOT/$branch/$patch"
		report=$(checkpatch_report "$tree" "$path" "$ignores")
		if grep -q 'WARNING:FILE_PATH_CHANGES' <<<"$report"; then
			for file in $(sed -n 's/^ create mode [0-7]* //p' "$path"); do
				maintained_path "$tree" "$file" ||
					die "$patch adds $file, which no MAINTAINERS entry covers"
			done
			report=$(checkpatch_report "$tree" "$path" "${ignores:+$ignores,}FILE_PATH_CHANGES")
			accepted=$((accepted + 1))
		fi
		if ! grep -q '^total: 0 errors, 0 warnings, 0 checks' <<<"$report"; then
			grep -E -A3 '^(ERROR|WARNING|CHECK):' <<<"$report" | head -n 30 >&2
			log "$patch: $(grep -m1 '^total:' <<<"$report")"
			bad=$((bad + 1))
		fi
	done
	[ "$bad" -eq 0 ] || die "checkpatch --strict flags $bad patch(es) of series/$branch"
	detail="${#patches[@]} patches: 0 errors, 0 warnings, 0 checks"
	[ "$accepted" -eq 0 ] || detail+="; new files in maintained paths: $accepted"
	[ -z "$ignores" ] || detail+="; commit ids unchecked (base has no history)"
	stage_end ok "$detail"
}

# True if a MAINTAINERS entry names a maintainer or supporter for the path.
maintained_path() {
	local tree=$1 file=$2
	(cd "$tree" && perl scripts/get_maintainer.pl --no-git --no-git-fallback --no-tree -f "$file" 2>/dev/null) |
		grep -E '\((maintainer|supporter):' | grep -qv '(maintainer:THE REST)'
}
