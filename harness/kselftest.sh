# shellcheck shell=bash
# The perf_events kselftests, built static and installed with kselftest's
# own install target into a busybox initramfs that the QEMU boot runs.

KSELFTEST_TARGETS=${KSELFTEST_TARGETS:-perf_events}
# Installed but not run: upstream tests that fail, rather than skip,
# where x86 QEMU offers no hardware PMU.
KSELFTEST_NOT_RUN=(perf_events:remove_on_exec)
KSELFTEST_NOT_RUN_WHY="needs a hardware PMU, and fails rather than skips without one"

# Stage: headers, selftests, initramfs. Sets INITRAMFS.
build_initramfs() {
	local tree=$1 build=$2 root="$build/initramfs.d" log="$build/kselftest-build.log"
	stage_begin "kselftest build ($KERNEL_ARCH)"
	kmake "$tree" "$build" headers >"$log" 2>&1 || die "make headers failed (see $log)"
	rm -rf "$build/kselftest_install" "$root"
	make -C "$tree/tools/testing/selftests" O="$build" ARCH="$KERNEL_ARCH" CC="gcc -static" \
		TARGETS="$KSELFTEST_TARGETS" KSFT_INSTALL_PATH="$build/kselftest_install" install \
		>>"$log" 2>&1 || die "kselftest build failed: $(grep -m1 'error' "$log")"
	mkdir -p "$root/bin"
	grep -vxF -f <(printf '%s\n' "${KSELFTEST_NOT_RUN[@]}") "$build/kselftest_install/kselftest-list.txt" |
		sed 's/^/-t /' >"$root/kselftest-selection"
	cp /bin/busybox "$root/bin/busybox"
	install -m 755 "$SKIDGUARD_ROOT/harness/initramfs-init" "$root/init"
	cp -a "$build/kselftest_install" "$root/kselftest"
	(cd "$root" && find . | cpio -o -H newc --quiet) >"$build/initramfs.cpio" ||
		die "cannot pack the initramfs"
	INITRAMFS="$build/initramfs.cpio"
	stage_end ok "$(grep -c . "$root/kselftest-selection") tests to run, $(du -k "$INITRAMFS" | cut -f1) KiB initramfs"
}

# The kselftest part of a console log, between the init script's markers.
kselftest_section() {
	sed -n '/^skidguard: kselftest begin/,/^skidguard: kselftest end/p' "$1" | tr -d '\r' | sed '1d;$d'
}

# Parses the kselftest TAP with kunit.py. Sets KSFT_TOTAL, KSFT_PASSED,
# KSFT_FAILED_N, KSFT_SKIPPED, KSFT_FAILED and KSFT_FIGURES.
kselftest_results() {
	local tree=$1 log=$2 json=$3
	grep -q '^skidguard: kselftest end' "$log" ||
		die "the kselftests did not finish in QEMU; last console line: $(tail -n 1 "$log" | tr -d '\r')"
	kselftest_section "$log" >"${json%.json}.tap"
	parse_ktap "$tree" "${json%.json}.tap" "$json" KSFT kselftests
	KSFT_FIGURES=$(sed -n 's/^# # figures: //p' "${json%.json}.tap" | paste -sd' ')
}

check_kselftest() {
	local tree=$1 log=$2 json=$3
	stage_begin "kselftest ($KERNEL_ARCH)"
	kselftest_results "$tree" "$log" "$json"
	[ "$KSFT_FAILED_N" -eq 0 ] || die "$KSFT_FAILED_N of $KSFT_TOTAL kselftests failed: $KSFT_FAILED"
	stage_end ok "$KSFT_PASSED/$KSFT_TOTAL passed, $KSFT_SKIPPED skipped; not run: ${KSELFTEST_NOT_RUN[*]} ($KSELFTEST_NOT_RUN_WHY); skid_signal: $KSFT_FIGURES"
}
