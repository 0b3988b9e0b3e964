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
	stage_begin "kselftest build ($KERNEL_ARCH)"
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

# The kselftest part of a console log, between the init script's markers.
kselftest_section() {
	sed -n '/^skidguard: kselftest begin/,/^skidguard: kselftest end/p' "$1" | tr -d '\r' | sed '1d;$d'
}

# Parses the kselftest TAP with kunit.py. Sets KSFT_TOTAL, KSFT_PASSED,
# KSFT_FAILED_N, KSFT_SKIPPED, KSFT_FAILED and KSFT_FIGURES.
kselftest_results() {
	local tree=$1 log=$2 json=$3
	if ! has_kselftests "$tree"; then
		KSFT_TOTAL=0 KSFT_PASSED=0 KSFT_FAILED_N=0 KSFT_SKIPPED=0 KSFT_FAILED= KSFT_FIGURES=
		return
	fi
	grep -q '^skidguard: kselftest end' "$log" ||
		die "the kselftests did not finish in QEMU; last console line: $(tail -n 1 "$log" | tr -d '\r')"
	kselftest_section "$log" >"${json%.json}.tap"
	if legacy_kselftests "$tree"; then
		legacy_results "${json%.json}.tap"
	else
		parse_ktap "$tree" "${json%.json}.tap" "$json" KSFT kselftests
	fi
	# "figures: <test> a=1 b=2" lines, joined per test.
	KSFT_FIGURES=$(sed -n 's/^\(# \)\{1,2\}figures: //p' "${json%.json}.tap" | awk '
		!($1 in line) { order[n++] = $1; line[$1] = $1 ":" }
		{ for (i = 2; i <= NF; i++) line[$1] = line[$1] " " $i }
		END { for (i = 0; i < n; i++) printf "%s%s", (i ? "; " : ""), line[order[i]] }')
}

# The legacy runner's "selftests: NAME [PASS|FAIL]" lines; such trees
# have no kunit.py to read them. Sets what parse_ktap sets.
legacy_results() {
	local tap=$1
	KSFT_PASSED=$(grep -cE '^selftests: +[^ ]+ \[PASS\]' "$tap" || true)
	KSFT_FAILED=$(sed -n 's/^selftests: *\([^ ]*\) \[FAIL\]$/\1/p' "$tap" | paste -sd, | sed 's/,/, /g')
	KSFT_FAILED_N=$(grep -cE '^selftests: +[^ ]+ \[FAIL\]' "$tap" || true)
	KSFT_TOTAL=$((KSFT_PASSED + KSFT_FAILED_N))
	KSFT_SKIPPED=0
	[ "$KSFT_TOTAL" -gt 0 ] || die "the legacy kselftest runner reported no test in $tap"
}

check_kselftest() {
	local tree=$1 log=$2 json=$3 not_run
	stage_begin "kselftest ($KERNEL_ARCH)"
	has_kselftests "$tree" || { stage_end skip "$NO_KSELFTESTS_WHY"; return; }
	kselftest_results "$tree" "$log" "$json"
	[ "$KSFT_FAILED_N" -eq 0 ] || die "$KSFT_FAILED_N of $KSFT_TOTAL kselftests failed: $KSFT_FAILED"
	not_run=$(kselftests_not_run | sed 's/; $//')
	stage_end ok "$KSFT_PASSED/$KSFT_TOTAL passed, $KSFT_SKIPPED skipped${KSFT_FIGURES:+; $KSFT_FIGURES}${not_run:+; not run: $not_run}"
	side_figures "$json"
}

# The skid selftest's key figures for the side-by-side table.
side_figures() {
	local tap="${1%.json}.tap" test
	for test in hw_counter injected; do
		side_figure "skid_signal $test" "$KERNEL_ARCH" "$(sed -n "s/^# # figures: $test //p" "$tap" |
			tr ' ' '\n' | awk -F= '
				$1 == "overflows" { o = $2 } $1 == "lost_signals" { l = $2 }
				$1 == "kernel_share" { k = $2 } $1 == "bad_samples" { b = $2 }
				END { if (o != "") printf "%s ovf, %s lost, %s in kernel, %s bad", o, l, k, b
				      else printf "skipped" }')"
	done
}
