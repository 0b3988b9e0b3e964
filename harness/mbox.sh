# shellcheck shell=bash
# make mbox: the series as one mbox, addressed, proven to apply.

# git format-patch of the series with a cover letter (0/n) whose subject
# and body are $2: the first line, a blank line, the body. Its author and
# date are the last patch's, so that the same series gives the same file.
format_series() {
	local branch=$1 description=$2 last="skidguard/$1" date name email tree
	shift 2
	tree=$(base_tree_of "$branch")
	{ read -r date && read -r name && read -r email; } < <(git -C "$tree" log -1 --format='%aD%n%an%n%ae' "$last")
	GIT_COMMITTER_DATE=$date git -C "$tree" -c "user.name=$name" -c "user.email=$email" \
		-c "branch.skidguard/$branch.description=$description" \
		format-patch --zero-commit --no-signature --cover-letter --cover-from-description=subject \
		"$@" "skidguard-base..$last"
}

# Addresses from get_maintainer.pl on the series' patches: maintainers
# in To, reviewers and lists in Cc. A stable branch goes to
# stable@vger.kernel.org, everyone else in Cc. Sets MBOX_TO and MBOX_CC.
mbox_addresses() {
	local branch=$1 line list
	list=$(cd "$(base_tree_of "$branch")" && series_patches "$branch" | sed "s|^|$SERIES_ROOT/$branch/|" |
		xargs perl scripts/get_maintainer.pl --no-git --no-git-fallback 2>/dev/null) ||
		die "get_maintainer.pl found no address for series/$branch"
	MBOX_TO=() MBOX_CC=()
	while IFS= read -r line; do
		case "$line" in
		*"(maintainer:"* | *"(supporter:"*) MBOX_TO+=("${line% (*}") ;;
		*) MBOX_CC+=("${line% (*}") ;;
		esac
	done <<<"$list"
	if [[ $branch == *.y ]]; then
		MBOX_CC=("${MBOX_TO[@]}" "${MBOX_CC[@]}")
		MBOX_TO=(stable@vger.kernel.org)
	fi
}

# .work/mbox/<branch>.mbox: the cover letter with the results of the
# latest passing run of this very series, then the series, proven to
# apply with git am to a fresh checkout of its base.
mbox() {
	local branch=$1 out tmp check addr n prefix=PATCH description results="$WORK/results/$1" tree version
	local -a args=()
	materialize "$branch"
	tree=$(base_tree_of "$branch")
	version=$(base_version_of "$branch")
	stage_begin mbox
	[ -f "$SERIES_ROOT/$branch/0000-cover-letter.patch" ] ||
		die "series/$branch has no 0000-cover-letter.patch to send the series with"
	[ -f "$results.table" ] && [ "$(cat "$results.digest")" = "$(series_digest "$branch")" ] ||
		die "no passing run of series/$branch as it is now, for its cover letter; run make B=$branch first"
	description=$(cover_description "$SERIES_ROOT/$branch/0000-cover-letter.patch" |
		with_results_table "$results.table")
	mbox_addresses "$branch"
	for addr in "${MBOX_TO[@]}"; do args+=("--to=$addr"); done
	for addr in "${MBOX_CC[@]}"; do args+=("--cc=$addr"); done
	[[ $branch != *.y ]] || prefix="PATCH $branch"
	out="$WORK/mbox/$branch.mbox"
	mkdir -p "$WORK/mbox"
	tmp="$out.tmp.$$"
	check="$WORK/mbox/check.$$"
	cleanup_later "$tmp"
	cleanup_later "$check"
	format_series "$branch" "$description" --stdout --thread --subject-prefix="$prefix" "${args[@]}" >"$tmp"
	n=$(($(grep -c '^From 0\{40\} ' "$tmp") - 1))
	git -C "$tree" worktree prune
	git -C "$tree" worktree add -q --detach "$check" skidguard-base
	# Everything but the cover letter, which holds no patch.
	awk '/^From 0+ Mon Sep 17 00:00:00 2001$/ { n++ } n > 1' "$tmp" >"$check.patches"
	cleanup_later "$check.patches"
	git -C "$check" am -q "$check.patches" >/dev/null 2>&1 ||
		die "the mbox of series/$branch does not apply with git am to $version"
	git -C "$tree" worktree remove --force "$check"
	mv "$tmp" "$out"
	stage_end ok "cover letter + $n patches, To: ${MBOX_TO[*]%% <*}, ${#MBOX_CC[@]} Cc; git am onto a fresh $version: ok; $out"
}
