# shellcheck shell=bash
# The perf_events kselftests, built static and installed with kselftest's
# own install target into a busybox initramfs that the QEMU boot runs.

KSELFTEST_TARGETS=${KSELFTEST_TARGETS:-perf_events}
# Installed but not run on an architecture's QEMU machine: upstream tests
# that fail there for reasons outside this series, rather than skip.
declare -A KSELFTEST_NOT_RUN=(
	[x86_64]="perf_events:remove_on_exec"
	[arm64]="perf_events:sigtrap_threads"
)
declare -A KSELFTEST_NOT_RUN_WHY=(
	[perf_events:remove_on_exec]="counts hardware instructions, which x86 QEMU cannot"
	[perf_events:sigtrap_threads]="its watchpoint stress cases take minutes under arm64 TCG"
)

# A branch adds its own in its source file: kselftest_not_run=COLLECTION:TEST
# and kselftest_not_run_why=REASON (one test).
kselftests_skipped() {
	echo "${KSELFTEST_NOT_RUN[$KERNEL_ARCH]:-} $(series_source "$BRANCH" kselftest_not_run)"
}

kselftests_not_run() {
	local test why
	for test in $(kselftests_skipped); do
		# Only tests this tree has.
		[ -e "$BASE_TREE/tools/testing/selftests/${test%%:*}/${test#*:}.c" ] || continue
		why=${KSELFTEST_NOT_RUN_WHY[$test]:-$(series_source "$BRANCH" kselftest_not_run_why)}
		printf '%s (%s); ' "${test#*:}" "$why"
	done
}

# Trees before 5.13 have no perf_events selftests: their series carry
# none, and the initramfs then only runs KUnit's boot-time suite.
has_kselftests() {
	local target
	for target in $KSELFTEST_TARGETS; do
		[ -d "$1/tools/testing/selftests/$target" ] || return 1
	done
}

# Before 5.9 the kselftest runner was a script written by the install
# target, with no options and "selftests: NAME [PASS]" lines, not KTAP.
legacy_kselftests() { [ ! -f "$1/tools/testing/selftests/run_kselftest.sh" ]; }

# Builds each target with its own Makefile and writes the runner the way
# those trees' install target did (their top Makefile drops CC= for its
# sub-makes when run from another make).
build_legacy_kselftests() {
	local tree=$1 build=$2 install=$3 log=$4 target
	mkdir -p "$install"
	printf '#!/bin/sh\ncd "$(dirname "$0")"\n' >"$install/run_kselftest.sh"
	for target in $KSELFTEST_TARGETS; do
		mkdir -p "$build/kselftest/$target"
		make -C "$tree/tools/testing/selftests/$target" OUTPUT="$build/kselftest/$target" \
			CC="${CROSS_COMPILE}gcc -static" INSTALL_PATH="$install/$target" install >>"$log" 2>&1 ||
			die "kselftest build failed: $(make_failure "$log" "$build")"
		{
			echo "cd $target"
			make -s --no-print-directory -C "$tree/tools/testing/selftests/$target" \
				OUTPUT="$build/kselftest/$target" emit_tests
			echo "cd .."
		} >>"$install/run_kselftest.sh"
	done
	chmod 755 "$install/run_kselftest.sh"
}

NO_KSELFTESTS_WHY="the tree has no tools/testing/selftests/$KSELFTEST_TARGETS (added in 5.13)"

# Stage: headers, selftests, busybox, and <build>/initramfs.cpio.
build_initramfs() {
	local tree=$1 build=$2
	local root="$build/initramfs.d" log="$build/kselftest-build.log"
	stage_begin "kselftest build" "$KERNEL_ARCH"
	rm -rf "$build/kselftest_install" "$root"
	mkdir -p "$root/bin"
	if has_kselftests "$tree" && legacy_kselftests "$tree"; then
		: >"$log"
		build_legacy_kselftests "$tree" "$build" "$build/kselftest_install" "$log"
		cp -a "$build/kselftest_install" "$root/kselftest"
		sed -n 's|^(\./\([^ ]*\) .*|\1|p' "$build/kselftest_install/run_kselftest.sh" >"$root/kselftest-selection"
	elif has_kselftests "$tree"; then
		kmake "$tree" "$build" headers >"$log" 2>&1 || die "make headers failed: $(make_failure "$log" "$build")"
		make -C "$tree/tools/testing/selftests" O="$build" ARCH="$KERNEL_ARCH" \
			CROSS_COMPILE="$CROSS_COMPILE" CC="${CROSS_COMPILE}gcc -static" \
			TARGETS="$KSELFTEST_TARGETS" KSFT_INSTALL_PATH="$build/kselftest_install" install \
			>>"$log" 2>&1 || die "kselftest build failed: $(make_failure "$log" "$build")"
		# shellcheck disable=SC2086 # a word list
		grep -vxF -f <(printf '%s\n' $(kselftests_skipped)) \
			"$build/kselftest_install/kselftest-list.txt" | sed 's/^/-t /' >"$root/kselftest-selection"
		cp -a "$build/kselftest_install" "$root/kselftest"
	fi
	fetch_busybox "$KERNEL_ARCH"
	cp "$BUSYBOX" "$root/bin/busybox"
	add_perf_tests "$tree" "$build" "$root"
	install -m 755 "$SKIDGUARD_ROOT/harness/initramfs-init" "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet) >"$build/initramfs.cpio" ||
		die "cannot pack the initramfs"
	if [ -f "$root/kselftest-selection" ]; then
		stage_end ok "$(grep -c . "$root/kselftest-selection") tests to run, $(du -k "$build/initramfs.cpio" | cut -f1) KiB initramfs"
	else
		stage_end skip "no kselftests: $NO_KSELFTESTS_WHY; busybox-only initramfs"
	fi
}

# The kselftests' results of console log $2 into results file $3 (as
# parse_ktap writes it, and figures=: the "figures:" lines' TEST.name=value
# words). The TAP between the init script's markers is kept beside it.
kselftest_results() {
	local tree=$1 log=$2 results=$3 tap=${3%.results}.tap
	if ! has_kselftests "$tree"; then
		printf 'total=0\npassed=0\nfailed=0\nskipped=0\nfailed_cases=\nfigures=\n' >"$results"
		return
	fi
	python3 "${RESULTS[@]}" kselftest-log "$log" "$tap" 2>"$tap.error" || die "$(cat "$tap.error")"
	if legacy_kselftests "$tree"; then
		python3 "${RESULTS[@]}" legacy "$tap" >"$results" 2>"$tap.error" || die "$(cat "$tap.error") in $tap"
	else
		parse_ktap "$tree" "$tap" "$results" kselftests
	fi
	echo "figures=$(python3 "${RESULTS[@]}" figures "$tap")" >>"$results"
}

check_kselftest() {
	local tree=$1 log=$2 results=$3 not_run
	stage_begin kselftest "$KERNEL_ARCH"
	has_kselftests "$tree" || { stage_end skip "$NO_KSELFTESTS_WHY"; return; }
	kselftest_results "$tree" "$log" "$results"
	[ "$(result_of "$results" failed)" -eq 0 ] ||
		die "$(result_of "$results" failed) of $(result_of "$results" total) kselftests failed: $(result_of "$results" failed_cases)"
	not_run=$(kselftests_not_run | sed 's/; $//')
	# shellcheck disable=SC2046 # name=value words
	stage_end ok "$(result_of "$results" passed)/$(result_of "$results" total) passed, $(result_of "$results" skipped) skipped$(
		figures_text "$results")${not_run:+; not run: $not_run}" $(counts_of "$results") $(result_of "$results" figures)
}

# "; test: a=1 b=2; other: c=3" of a results file's figures, or nothing.
figures_text() {
	result_of "$1" figures | tr ' ' '\n' | awk -F'[.=]' 'NF >= 3 {
		if ($1 != test) { printf "; %s:", $1; test = $1 }
		printf " %s=%s", $2, substr($0, length($1 "." $2 "=") + 1) }'
}
