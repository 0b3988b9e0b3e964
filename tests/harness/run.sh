#!/usr/bin/env bash
# The harness's own tests: bad input must end in one clear error line, a
# non-zero exit, and no half-built tree. They reuse the cached base tree
# and build of the mainline series (made by `make` if missing).
set -u
# The tests bring their own trees and branches, whatever make was given.
unset KERNEL_TREE KERNEL_REV
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${SKIDGUARD_WORK:-$ROOT/.work}
SCRATCH=$(mktemp -d)
FULL_DISK_MOUNT=
trap '[ -z "$FULL_DISK_MOUNT" ] || umount "$FULL_DISK_MOUNT"; rm -rf "$SCRATCH"' EXIT
passed=0
failed=0

pass() { echo "ok - $1"; passed=$((passed + 1)); }
fail() { echo "not ok - $1: $2"; failed=$((failed + 1)); }

# expect_error NAME PATTERN CMD...: CMD must exit non-zero with exactly
# one error line, the last one, matching PATTERN.
expect_error() {
	local name=$1 pattern=$2 out rc errors
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	errors=$(grep -c '^skidguard: error:' <<<"$out")
	if [ "$rc" -eq 0 ]; then
		fail "$name" "exit 0"
	elif [ "$errors" -ne 1 ]; then
		fail "$name" "$errors error lines"
	elif ! tail -n 1 <<<"$out" | grep -qE "^skidguard: error: .*$pattern"; then
		fail "$name" "last line: $(tail -n 1 <<<"$out")"
	else
		echo "  $(tail -n 1 <<<"$out")"
		return 0
	fi
	printf '%s\n' "$out" | tail -n 5 | sed 's/^/    /'
	return 1
}

no_leftovers() {
	local left
	left=$(find "$WORK" -maxdepth 3 \( -name '*.tmp.*' -o -name '.fetch.*' -o -name '.regen.*' \) 2>/dev/null)
	[ -z "$left" ] || { fail "$1" "left behind: $left"; return 1; }
}

# A series folder of its own, so the mainline branch is never touched.
make_branch() {
	local name=$1
	mkdir -p "$SCRATCH/series/$name"
	cp "$ROOT/series/mainline/"* "$SCRATCH/series/$name/"
}

mainline_tree=$("$ROOT/harness/skidguard" tree mainline 2>/dev/null | sed -n 's/ (branch skidguard.*//p')
[ -d "$mainline_tree" ] || { echo "not ok - set-up: cannot materialize mainline"; exit 1; }

# Before any test moves the mainline tree off its series.
# W=1 and sparse findings: one on a line the series adds fails the stage,
# one the base already had in a touched file is counted.
judge_case() {
	(
		. "$ROOT/harness/lib.sh"
		. "$ROOT/harness/build.sh"
		RUN_RECORDS="$SCRATCH/judge.$RANDOM.jsonl"
		STAGE_NAME=probe STAGE_START=$(now)
		judge_findings "$mainline_tree" "$1" "sparse warning"
		python3 -c 'import json, sys; r = json.loads(open(sys.argv[1]).readlines()[-1])
print("|".join([r["stage"], r["status"], r["detail"]]))' "$RUN_RECORDS" >&2
	)
}
added=$(cd "$mainline_tree" && . "$ROOT/harness/lib.sh" && . "$ROOT/harness/build.sh" &&
	series_added_lines "$mainline_tree" | grep -m1 '^kernel/events/core.c:')
echo "$mainline_tree/$added:9: warning: probe on an added line" >"$SCRATCH/new.log"
echo "$mainline_tree/kernel/events/core.c:1:1: error: probe on an old line" >"$SCRATCH/old.log"
# The same message on an old line of the same file: the file's idiom.
cat "$SCRATCH/old.log" >"$SCRATCH/idiom.log"
echo "$mainline_tree/$added:9: error: probe on an old line" >>"$SCRATCH/idiom.log"
expect_error "static checks, finding on an added line" "1 sparse warning\(s\) on lines the series adds: $added" \
	judge_case "$SCRATCH/new.log" &&
	if ! judge_case "$SCRATCH/old.log" 2>&1 | grep -q '^probe|ok|.*0 sparse warnings on lines the series adds; 1 in touched files'; then
		fail "static checks, finding on an added line" "an old finding was not counted as old"
	elif ! judge_case "$SCRATCH/idiom.log" 2>&1 | grep -q '^probe|ok|.*; 1 in touched files.*; 1 on added lines as the base.s code has them'; then
		fail "static checks, finding on an added line" "the base's idiom on an added line was not told apart: $(judge_case "$SCRATCH/idiom.log" 2>&1 | tail -n 1)"
	else
		pass "static checks, finding on an added line"
	fi

# The debug boot's splat scanner: the first splat is named, a clean
# console passes (the D1 mutant shows it on a real kernel).
splat_case() { (. "$ROOT/harness/lib.sh" && . "$ROOT/harness/boot.sh" && first_splat "$1"); }
printf 'ok 1 perf_skid\n[    1.5] BUG: KASAN: slab-use-after-free in perf_output_sample+0x1c/0x40\nUBSAN: shift-out-of-bounds\n' \
	>"$SCRATCH/splat.log"
printf 'ok 1 perf_skid\n... MAX_LOCKDEP_KEYS:        8192\n' >"$SCRATCH/clean.log"
if [ "$(splat_case "$SCRATCH/splat.log")" != "2:[    1.5] BUG: KASAN: slab-use-after-free in perf_output_sample+0x1c/0x40" ]; then
	fail "splat scanner" "the KASAN report was not named first: $(splat_case "$SCRATCH/splat.log")"
elif [ -n "$(splat_case "$SCRATCH/clean.log")" ]; then
	fail "splat scanner" "a clean console was taken for a splat"
else
	pass "splat scanner"
fi

# The Debian mirror comes from apt's own sources, one-line and deb822
# alike: a Debian archive's (component main; disabled entries, deb-src,
# a third party's repository and a broken line left out), a mirror+file:
# list's first; the variable overrides it.
mkdir -p "$SCRATCH/apt/sources.list.d" "$SCRATCH/apt/mirrors"
printf '%s\n' '# a comment' 'deb-src http://mirror.example/archive bookworm main' 'deb [arch=amd64 http://broken.example bookworm main' \
	'deb [arch=amd64 signed-by=/d.gpg] https://apt.thirdparty.example/repo bookworm stable' \
	'deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/archive/ bookworm main contrib # why' >"$SCRATCH/apt/sources.list"
printf '%s\n' 'Types: deb deb-src' "URIs: mirror+file://$SCRATCH/apt/mirrors/security.list" 'Suites: bookworm-security' \
	'Components: main' '' 'Types: deb' 'URIs: http://old.example/archive' 'Suites: bullseye' 'Components: main' 'Enabled: no' \
	>"$SCRATCH/apt/sources.list.d/debian.sources"
printf 'http://security.example/archive-security\tpriority:1\nhttp://second.example/archive-security\n' \
	>"$SCRATCH/apt/mirrors/security.list"
mirror_case() {
	(
		unset SKIDGUARD_DEBIAN_MIRROR
		. "$ROOT/harness/lib.sh" && . "$ROOT/harness/fetch.sh"
		apt_source_entries "$SCRATCH/apt" | paste -sd' '
		for suite in sid bullseye-security; do suite_mirror "$suite" "$SCRATCH/apt"; done
	) | paste -sd'|'
}
mirror_override_case() {
	(
		export SKIDGUARD_DEBIAN_MIRROR=http://override.example/archive/
		. "$ROOT/harness/lib.sh" && . "$ROOT/harness/fetch.sh"
		for suite in sid bullseye-security; do suite_mirror "$suite" "$SCRATCH/apt"; done
	) | paste -sd'|'
}
want="http://mirror.example/archive/ bookworm mirror+file://$SCRATCH/apt/mirrors/security.list bookworm-security"
want+="|http://mirror.example/archive|http://security.example/archive-security"
want+="|http://override.example/archive|http://override.example/archive-security"
if [ "$(mirror_case)|$(mirror_override_case)" != "$want" ]; then
	fail "Debian mirror from apt sources" "read $(mirror_case)|$(mirror_override_case), not $want"
elif git -C "$ROOT" grep -qE 'https?://[a-z0-9.-]*debian[a-z0-9.-]*/' -- . ':!*.patch'; then
	fail "Debian mirror from apt sources" "a mirror address is written in the repository"
else
	pass "Debian mirror from apt sources"
fi

# What a log says is missing is named with its Debian package: the
# table's, else one of the same name, else none; a header the tree lacks
# is no package's.
missing_case() { (. "$ROOT/harness/lib.sh" && . "$ROOT/harness/deps.sh" && missing_from_log <(printf '%s\n' "$1")); }
bad_names=
while IFS='|' read -r line want; do
	named=$(missing_case "$line")
	[ "$named" = "$want" ] || bad_names+="${bad_names:+; }'$line' gave '$named'"
done <<'EOF'
make[2]: rsync: No such file or directory|rsync: not installed (Debian package rsync)
/bin/sh: 1: bison: not found|bison: not installed (Debian package bison)
bash: line 3: dtc: command not found|dtc: not installed (no Debian package known for it: add one to harness/deps.sh)
scripts/sign-file.c:25:10: fatal error: openssl/opensslv.h: No such file or directory|openssl/opensslv.h: not installed (Debian package libssl-dev)
/usr/bin/ld: cannot find -lc: No such file or directory|-lc: not installed (Debian package libc6-dev)
timeout: failed to run command 'qemu-system-aarch64': No such file or directory|qemu-system-aarch64: not installed (Debian package qemu-system-arm)
ModuleNotFoundError: No module named 'ply.lex'|ply: not installed (Debian package python3-ply)
/usr/bin/env: ‘python3’: No such file or directory|python3: not installed (Debian package python3)
kernel/events/core.c:12:10: fatal error: linux/perf_skid.h: No such file or directory|
make[2]: *** [../lib.mk:175: install] Error 2|
EOF
if [ -n "$bad_names" ]; then fail "missing programs named" "$bad_names"; else pass "missing programs named"; fi

expect_error "unknown branch" "unknown branch 'no-such-branch'" \
	"$ROOT/harness/skidguard" main no-such-branch && pass "unknown branch"

make_branch nopkg
printf 'package=linux-source-0.1\nsuites=sid\n' >"$SCRATCH/series/nopkg/source"
expect_error "missing package" "no package matching 'linux-source-0.1'" \
	env SKIDGUARD_SERIES="$SCRATCH/series" "$ROOT/harness/skidguard" main nopkg &&
	no_leftovers "missing package" && pass "missing package"

# The first patch of branch $1 whose text holds $2.
patch_with() {
	local patch
	for patch in $(grep -v '^#' "$SCRATCH/series/$1/series"); do
		grep -qF -- "$2" "$SCRATCH/series/$1/$patch" && { echo "$patch"; return; }
	done
}

make_branch broken
first=$(patch_with broken '	if (*perf_event_fasync(event) && event->pending_kill) {')
# A context line that the base does not have: the hunk cannot apply.
sed -i 's/^ \(\tif (\*perf_event_fasync(event) && event->pending_kill\)) {$/ \1 \&\& upstream_moved_on) {/' \
	"$SCRATCH/series/broken/$first"
tree=$mainline_tree
if expect_error "patch that does not apply" "does not apply" \
	env SKIDGUARD_SERIES="$SCRATCH/series" "$ROOT/harness/skidguard" main broken; then
	if git -C "$tree" rev-parse -q --verify skidguard/broken >/dev/null; then
		fail "patch that does not apply" "half-applied branch skidguard/broken left in $tree"
	elif [ -n "$(git -C "$tree" status --porcelain)" ]; then
		fail "patch that does not apply" "$tree is not clean"
	else
		no_leftovers "patch that does not apply" && pass "patch that does not apply"
	fi
fi

# A failing branch of make check is recorded, and the run goes on to the
# next branch: both get a row in the matrix, and the run ends non-zero
# with one line naming the failure.
mkdir -p "$SCRATCH/series/4.12.y"
cp "$ROOT/series/4.12.y/"* "$SCRATCH/series/4.12.y/"
out=$(env -u KERNEL_TREE SKIDGUARD_SERIES="$SCRATCH/series" "$ROOT/harness/skidguard" check 'broken 4.12.y' 2>&1)
rc=$?
if [ "$rc" -eq 0 ]; then
	fail "failing branch, run goes on" "exit 0"
elif [ "$(grep -c '^skidguard: error:' <<<"$out")" -ne 1 ] ||
	! tail -n 1 <<<"$out" | grep -q '^skidguard: error: 1 failed: apply (broken) FAIL: .*does not apply'; then
	fail "failing branch, run goes on" "last line: $(tail -n 1 <<<"$out")"
elif ! grep -q '^| broken | .* | FAIL |' <<<"$out" || ! grep -q '^| 4.12.y | - | skipped: ' <<<"$out"; then
	fail "failing branch, run goes on" "the matrix lacks a row: $(grep '^| ' <<<"$out" | cut -c1-60 | paste -sd' ')"
else
	echo "  $(tail -n 1 <<<"$out" | cut -c1-120)"
	pass "failing branch, run goes on"
fi

# The trap that ends a branch's subshell, under set -e: a temporary path
# that was renamed into place (as a passing branch's cover letter is) must
# not turn success into failure; a failed git command (exit 128) is the
# branch's failure, not a signal that ends the run.
branch_exit_case() {
	(
		. "$ROOT/harness/lib.sh"
		RUN_RECORDS="$SCRATCH/branch-exit.jsonl"
		set +e
		(
			set -e
			trap 'branch_exit "$SCRATCH/branch-exit.error"' EXIT
			tmp=$(mktemp "$SCRATCH/kept.XXXXXX")
			cleanup_later "$tmp"
			mv "$tmp" "$SCRATCH/kept"
			[ "$1" != git ] || git -C "$SCRATCH" rev-parse --verify -q no-such-rev >/dev/null 2>&1 || exit 128
		)
		echo "rc=$?"
	) 2>/dev/null
}
if [ "$(branch_exit_case pass)" != rc=0 ]; then
	fail "branch subshell's exit" "a passing branch gave $(branch_exit_case pass)"
elif [ "$(branch_exit_case git)" != rc=1 ]; then
	fail "branch subshell's exit" "a failed git command gave $(branch_exit_case git), not the branch's failure"
else
	pass "branch subshell's exit"
fi

# A failure before any stage of the branch opened (here the refusal to
# throw away edits in a materialized tree) is recorded all the same, and
# the check does not pass.
echo "# an edit not yet committed" >>"$mainline_tree/Makefile"
out=$("$ROOT/harness/skidguard" check mainline 2>&1)
rc=$?
git -C "$mainline_tree" checkout -q Makefile
if [ "$rc" -eq 0 ]; then
	fail "failure outside a stage" "exit 0"
elif ! grep -qE '^check \(mainline\) +FAIL .*has uncommitted changes' <<<"$out" ||
	! tail -n 1 <<<"$out" | grep -q '^skidguard: error: 1 failed: check (mainline) FAIL: '; then
	fail "failure outside a stage" "not recorded: $(tail -n 1 <<<"$out")"
else
	pass "failure outside a stage"
fi

# A branch whose base no registry here has (4.12.y): the main job stops
# with one line; make check reports it skipped, never passed.
expect_error "branch without a base here, main job" "no base in any registry reachable here" \
	env -u KERNEL_TREE "$ROOT/harness/skidguard" main 4.12.y && pass "branch without a base here, main job"
out=$(env -u KERNEL_TREE "$ROOT/harness/skidguard" check 4.12.y 2>&1)
rc=$?
if [ "$rc" -ne 0 ]; then
	fail "branch without a base here, check" "exit $rc: $(tail -n 1 <<<"$out")"
elif ! grep -qE '^base \(4\.12\.y\) +skip ' <<<"$out" || ! grep -q '^| 4.12.y | - | skipped: ' <<<"$out"; then
	fail "branch without a base here, check" "no skip row in the summary and the matrix"
elif grep -E '4\.12\.y' <<<"$out" | grep -qw -e ok -e passed; then
	fail "branch without a base here, check" "reported as passed"
else
	pass "branch without a base here, check"
fi

# The mbox holds a cover letter and every patch of the series, each one
# addressed; the cover letter carries the table of the latest passing run
# (make check, above, in CI); the harness checks git am itself.
if out=$("$ROOT/harness/skidguard" mbox mainline 2>&1); then
	mbox="$WORK/mbox/mainline.mbox"
	patches=$(grep -cv '^[[:space:]]*\(#\|$\)' "$ROOT/series/mainline/series")
	if [ "$(grep -c '^From 0\{40\} ' "$mbox")" -ne $((patches + 1)) ] || [ "$(grep -c '^To: ' "$mbox")" -ne $((patches + 1)) ]; then
		fail "mbox" "$mbox does not hold a cover letter and the $patches patches, each with To:"
	# git format-patch pads the numbers from 10 patches on: [PATCH 00/11].
	elif ! grep -q "^Subject: \[PATCH 0*0/$patches\] " "$mbox"; then
		fail "mbox" "no cover letter [PATCH 0/$patches] first"
	elif ! diff -q <(awk '/^Tested with skidguard/ { on = 1 } on && !/^(Tested|  )/ { exit } on' "$mbox") \
		"$WORK/results/mainline.table" >/dev/null; then
		fail "mbox" "the cover letter's table is not the latest run's"
	elif ! grep -q '^mbox (mainline) .* git am onto a fresh .*: ok' <<<"$out"; then
		fail "mbox" "no git am check in the summary"
	else
		pass "mbox"
	fi
else
	fail "mbox" "$(tail -n 1 <<<"$out")"
fi

# A program the harness or the kernel's make runs that is not on PATH
# (here hidden from it): the one error line names it and its package.
# rsync is run by kselftest's install target, cpio by the harness itself.
hide_program() {
	local dir="$SCRATCH/path-without-$1" d f
	mkdir -p "$dir"
	for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
		for f in "$d"/*; do [ ! -e "$f" ] || [ -e "$dir/${f##*/}" ] || ln -s "$f" "$dir/${f##*/}"; done
	done
	rm -f "$dir/$1"
	echo "$dir"
}
expect_error "missing program, in make" "kselftest build failed: rsync: not installed \(Debian package rsync\)$" \
	env PATH="$(hide_program rsync)" "$ROOT/harness/skidguard" main mainline && pass "missing program, in make"
expect_error "missing program, in the harness" "cannot pack the initramfs: cpio: not installed \(Debian package cpio\)$" \
	env PATH="$(hide_program cpio)" "$ROOT/harness/skidguard" main mainline && pass "missing program, in the harness"

# Stages whose inputs did not change are reused; a changed patch reruns
# what depends on it. A one-line change to the core patch (a comment in the code
# it adds, new on every run, as the checks are kept by content): checkpatch
# checks that patch alone, the build, sparse and bloat-o-meter run again;
# then a run with nothing changed reuses them all.
make_branch edited
first=$(patch_with edited '+ * Whether a sample record of the event may be written')
sed -i "s/^+ \\* Whether a sample record of the event may be written/+ * Whether a sample record (edit $(date +%s%N)) may be written/" \
	"$SCRATCH/series/edited/$first"
patches=$(grep -cv '^[[:space:]]*\(#\|$\)' "$SCRATCH/series/edited/series")
reran() { grep -E "^$1 " <<<"$2" | grep -qv 'reused: inputs unchanged'; }
if ! cmp -s "$SCRATCH/series/edited/$first" "$ROOT/series/mainline/$first"; then
	out=$(env SKIDGUARD_SERIES="$SCRATCH/series" "$ROOT/harness/skidguard" main edited 2>&1)
	rc=$?
	again=$(env SKIDGUARD_SERIES="$SCRATCH/series" "$ROOT/harness/skidguard" main edited 2>&1)
	if [ "$rc" -ne 0 ]; then
		fail "changed inputs rerun their stages" "exit $rc: $(tail -n 1 <<<"$out")"
	elif ! grep -qE "^checkpatch --strict \(edited\) .*reused: inputs unchanged since the last run: $((patches - 1)) of $patches patches$" <<<"$out"; then
		fail "changed inputs rerun their stages" "checkpatch did not check the changed patch alone: $(grep '^checkpatch' <<<"$out")"
	elif ! reran 'build \(x86_64\)' "$out" || ! reran 'sparse' "$out" || ! reran 'bloat-o-meter' "$out"; then
		fail "changed inputs rerun their stages" "build, sparse or bloat-o-meter was reused for a changed patch"
	elif [ "$(grep -cE '^(checkpatch|config|build|sparse|bloat-o-meter) .*reused: inputs unchanged' <<<"$again")" -ne 5 ]; then
		fail "changed inputs rerun their stages" "a run with nothing changed ran again: $(grep -E '^(checkpatch|config|build|sparse|bloat)' <<<"$again" | grep -v reused)"
	else
		echo "  one patch changed: $(awk '$1 == "total" { print $2 }' <<<"$out") s; then nothing changed: $(awk '$1 == "total" { print $2 }' <<<"$again") s"
		pass "changed inputs rerun their stages"
	fi
else
	fail "changed inputs rerun their stages" "the edit did not change $first"
fi

# QEMU frozen before its first instruction (-S) prints nothing.
expect_error "QEMU hang" "QEMU printed nothing before its 5s timeout" \
	env SKIDGUARD_BOOT_TIMEOUT=5 SKIDGUARD_QEMU_EXTRA=-S "$ROOT/harness/skidguard" main mainline &&
	pass "QEMU hang"

# Faults: each ends in one clear line and a non-zero exit, and the next
# run recovers with no manual clean-up.

# A kernel that panics at boot (no init to run): named, not taken for a
# kernel whose tests printed nothing.
expect_error "kernel panic at boot" "the kernel panicked at boot: Kernel panic - not syncing" \
	env SKIDGUARD_CMDLINE_EXTRA="init=/no-such-init rdinit=/no-such-init" "$ROOT/harness/skidguard" main mainline &&
	pass "kernel panic at boot"

# A full disk under the build folder: a small tmpfs over the mainline
# build, then room again (a bigger remount): the same folder builds.
full_build=$(. "$ROOT/harness/lib.sh" && . "$ROOT/harness/build.sh" && build_dir "$mainline_tree")
if mount -t tmpfs -o size=40m skidguard-full-disk "$full_build" 2>/dev/null; then
	FULL_DISK_MOUNT=$full_build
	if expect_error "full disk" "no space left on device" "$ROOT/harness/skidguard" main mainline; then
		mount -o remount,size=2g "$full_build"
		if out=$("$ROOT/harness/skidguard" main mainline 2>&1); then
			pass "full disk"
		else
			fail "full disk" "the run after it: $(tail -n 1 <<<"$out")"
		fi
	fi
	umount "$full_build" && FULL_DISK_MOUNT=
else
	echo "ok - full disk # SKIP no tmpfs can be mounted here"
fi

# After the panic, the hang and the full disk: the next plain run passes.
if out=$("$ROOT/harness/skidguard" main mainline 2>&1); then
	pass "the run after the faults"
else
	fail "the run after the faults" "$(tail -n 1 <<<"$out")"
fi

# Downloads and unpacking, through the harness's own functions.
fetch_case() {
	(
		SKIDGUARD_WORK=$SCRATCH/work
		. "$ROOT/harness/lib.sh"
		. "$ROOT/harness/fetch.sh"
		mkdir -p "$WORK/dl"
		apt_setup sid
		apt_refresh sid
		"$@"
	)
}
deb=$(ls "$WORK"/dl/linux-source-*.deb | head -n 1)
head -c 1048576 "$deb" >"$SCRATCH/truncated.deb"
expect_error "truncated archive" "archive is damaged" \
	fetch_case unpack_package "$SCRATCH/truncated.deb" "$SCRATCH/work/src/truncated" &&
	if [ -e "$SCRATCH/work/src/truncated" ] || ls -d "$SCRATCH"/work/src/truncated.tmp.* >/dev/null 2>&1; then
		fail "truncated archive" "half-unpacked tree left behind"
	else
		pass "truncated archive"
	fi

# A download whose checksum does not match what the index promises.
read -r pkg version sha _ < <(fetch_case resolve_package 'linux-source-*' 2>/dev/null)
expect_error "truncated download" "truncated or corrupt" \
	fetch_case fetch_package "$pkg" "$version" "0000$sha" "$SCRATCH/work/dl/x.deb" &&
	if ls "$SCRATCH"/work/dl/* >/dev/null 2>&1; then
		fail "truncated download" "partial download left behind"
	else
		pass "truncated download"
	fi

# An interrupted download: the run is killed (SIGTERM, as a cancelled CI
# job is; a background job ignores ^C) while apt-get is half-way, here a
# stand-in that writes part of the file and waits. Nothing is left
# behind, and the next fetch of the package succeeds.
mkdir -p "$SCRATCH/shim"
cat >"$SCRATCH/shim/apt-get" <<'EOF'
#!/bin/sh
case " $* " in
*" download "*) head -c 65536 /dev/zero >partial.deb; exec sleep 60 ;;
esac
exec /usr/bin/apt-get "$@"
EOF
chmod +x "$SCRATCH/shim/apt-get"
read -r hello_version hello_sha _ < <(fetch_case newest_version_of hello 2>/dev/null)
hello_deb="$SCRATCH/work/dl/hello.deb"
PATH="$SCRATCH/shim:$PATH" setsid bash -c "$(declare -f fetch_case); ROOT='$ROOT' SCRATCH='$SCRATCH'
	fetch_case fetch_package hello '$hello_version' '$hello_sha' '$hello_deb'" >"$SCRATCH/interrupted.log" 2>&1 &
fetcher=$!
for _ in $(seq 300); do
	ls "$SCRATCH"/work/dl/.fetch.*/partial.deb >/dev/null 2>&1 && break
	sleep 0.3
done
kill -TERM -- "-$fetcher"
wait "$fetcher"
rc=$?
# The group's leader can die before the harness in it prints its error.
for _ in $(seq 100); do
	kill -0 -- "-$fetcher" 2>/dev/null || break
	sleep 0.1
done
if [ "$rc" -eq 0 ] || ! tail -n 1 "$SCRATCH/interrupted.log" | grep -q '^skidguard: error: interrupted$'; then
	fail "interrupted download" "exit $rc, last line: $(tail -n 1 "$SCRATCH/interrupted.log")"
elif ls -d "$SCRATCH"/work/dl/.fetch.* "$hello_deb" >/dev/null 2>&1; then
	fail "interrupted download" "partial download left behind"
elif ! fetch_case fetch_package hello "$hello_version" "$hello_sha" "$hello_deb" >/dev/null 2>&1 || [ ! -s "$hello_deb" ]; then
	fail "interrupted download" "the next fetch failed"
else
	echo "  $(tail -n 1 "$SCRATCH/interrupted.log")"
	pass "interrupted download"
fi

# A corrupt download in the cache (here: the package of the test above,
# overwritten): the next fetch notices and downloads it again.
head -c 4096 /dev/zero >"$hello_deb"
if out=$(fetch_case fetch_package hello "$hello_version" "$hello_sha" "$hello_deb" 2>&1) &&
	grep -q 'is corrupt (sha256 mismatch); downloading again' <<<"$out" &&
	[ "$(sha256sum <"$hello_deb" | cut -d' ' -f1)" = "$hello_sha" ]; then
	pass "corrupt download in the cache"
else
	fail "corrupt download in the cache" "$(tail -n 1 <<<"$out")"
fi

# Not root: the missing packages are named in one apt-get line, nothing installed.
if dpkg-query -W -f='${db:Status-Status}' hello 2>/dev/null | grep -qx installed; then
	echo "ok - not root, missing package # SKIP package hello is installed"
else
	expect_error "not root, missing package" "run: sudo apt-get install -y hello$" \
		setpriv --reuid=65534 --regid=65534 --clear-groups bash -c \
		". '$ROOT/harness/lib.sh'; . '$ROOT/harness/deps.sh'; ensure_packages make hello" &&
		pass "not root, missing package"
fi

# make hwtest's verdict, from stand-ins that print what skid_signal's
# hw_counter case prints (figures as on QEMU's arm64 PMU, patched and M1).
hwtest_stand_in() {
	local name=$1 lost=$2 rc=$3
	cat >"$SCRATCH/$name" <<-EOF
	#!/bin/sh
	echo '# # counter: generic cycles, period 200000'
	echo '# # figures: hw_counter overflows=10001 signals=$((10001 - lost)) lost_signals=$lost'
	echo '# # figures: hw_counter worst_skid=440 skid_bound=0 late_signals=0'
	echo '# # figures: hw_counter kernel_share=1.1% bad_samples=0'
	echo '# # figures: hw_counter dropped_for_skid=106 lost_samples=0'
	echo '$([ "$rc" -eq 0 ] && echo ok || echo not ok) 1 global.hw_counter'
	exit $rc
	EOF
	chmod +x "$SCRATCH/$name"
}
hwtest_stand_in hw-pass 0 0
out=$(SKIDGUARD_WORK=$SCRATCH/work HWTEST_BIN=$SCRATCH/hw-pass "$ROOT/harness/skidguard" hwtest 2>/dev/null)
if [ $? -eq 0 ] && grep -q '^hwtest: PASS: ' <<<"$out" &&
	grep -q '^hwtest: overflows 10001, signals 10001, lost 0,.*, dropped for skid 106, lost samples 0$' <<<"$out"; then
	pass "hwtest verdict, kernel that passes"
else
	fail "hwtest verdict, kernel that passes" "$(tail -n 1 <<<"$out")"
fi
hwtest_stand_in hw-lost 245 1
expect_error "hwtest verdict, kernel that loses signals" "failed the skid tests" \
	env SKIDGUARD_WORK="$SCRATCH/work" HWTEST_BIN="$SCRATCH/hw-lost" "$ROOT/harness/skidguard" hwtest &&
	if SKIDGUARD_WORK=$SCRATCH/work HWTEST_BIN=$SCRATCH/hw-lost "$ROOT/harness/skidguard" hwtest 2>/dev/null |
		grep -q '^hwtest: FAIL: .*loses overflow signals'; then
		pass "hwtest verdict, kernel that loses signals"
	else
		fail "hwtest verdict, kernel that loses signals" "no FAIL verdict naming lost signals"
	fi

echo "harness: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
