# shellcheck shell=bash
# make hwtest: the skid selftest of the patched mainline tree, run against
# the host's running kernel on real hardware, with a verdict.

# Builds skid_signal from the materialized tree; sets HWTEST_BIN.
build_hwtest() {
	local tree=$1 build=$2 log="$2/hwtest-build.log"
	stage_begin "hwtest build"
	write_config "$tree" "$build"
	kmake "$tree" "$build" headers >"$log" 2>&1 || die "make headers failed: $(make_failure "$log" "$build")"
	make -C "$tree/tools/testing/selftests/perf_events" O="$build/kselftest/perf_events" \
		KHDR_INCLUDES="-isystem $build/usr/include" CC="gcc -static" \
		"$build/kselftest/perf_events/skid_signal" >>"$log" 2>&1 ||
		die "skid_signal did not build: $(make_failure "$log" "$build")"
	HWTEST_BIN="$build/kselftest/perf_events/skid_signal"
	mkdir -p "$WORK/hwtest"
	cp "$HWTEST_BIN" "$WORK/hwtest/skid_signal"
	cp "$tree/tools/perf/tests/shell/record_user_only_skid.sh" "$WORK/hwtest/"
	stage_end ok "static skid_signal, also in $WORK/hwtest for other machines"
}

# One value of the hardware case's "figures: hw_counter a=1 b=2" lines.
hwtest_figure() { sed -n "s/.*figures: hw_counter .*\\b$1=\\([0-9.]*\\).*/\\1/p" "$2" | head -n 1; }

# Runs the selftest's hardware case against the running kernel. Exit 0 when
# the kernel passes or the machine has no usable PMU (a skip), 1 otherwise.
run_hwtest() {
	local bin=$1 out="$WORK/hwtest/hwtest.log" rc=0 reason verdict=() figure
	mkdir -p "$WORK/hwtest"
	stage_begin "hwtest on $(uname -r)"
	"$bin" -t hw_counter >"$out" 2>&1 || rc=$?
	sed 's/^/  /' "$out" >&2
	if grep -q '^ok 1 .* # SKIP' "$out"; then
		reason=$(sed -n 's/^ok 1 .* # SKIP //p' "$out")
		stage_end skip "$reason"
		printf 'hwtest: SKIP: %s\n' "$reason"
		return 0
	fi
	grep -q 'figures: hw_counter overflows=' "$out" || die "skid_signal printed no figures (exit $rc); see $out"
	for figure in overflows signals lost_signals worst_skid skid_bound kernel_share bad_samples \
		dropped_for_skid lost_samples skipped_as_lost; do
		printf -v "HW_${figure^^}" '%s' "$(hwtest_figure "$figure" "$out")"
	done
	# Selftests of the stable queues count skid drops as lost samples.
	HW_LOST_SAMPLES=${HW_LOST_SAMPLES:-${HW_SKIPPED_AS_LOST:-0}}
	[ "${HW_LOST_SIGNALS:-0}" = 0 ] || verdict+=("loses overflow signals (the v4.12 regression)")
	[ "${HW_BAD_SAMPLES:-0}" = 0 ] || verdict+=("writes kernel state into user-only samples (no skid guard)")
	if [ "${HW_SKID_BOUND:-0}" != 0 ] && [ "${HW_WORST_SKID:-0}" -gt "$HW_SKID_BOUND" ]; then
		verdict+=("delivers signals beyond rr's skid bound")
	fi
	[ ${#verdict[@]} -gt 0 ] || [ "$rc" -eq 0 ] || verdict+=("fails skid_signal (exit $rc, see $out)")
	printf 'hwtest: overflows %s, signals %s, lost %s, worst skid %s (bound %s), landed in kernel %s, bad samples %s, dropped for skid %s, lost samples %s\n' \
		"$HW_OVERFLOWS" "$HW_SIGNALS" "$HW_LOST_SIGNALS" "$HW_WORST_SKID" "$HW_SKID_BOUND" \
		"$HW_KERNEL_SHARE%" "$HW_BAD_SAMPLES" "${HW_DROPPED_FOR_SKID:-0}" "$HW_LOST_SAMPLES"
	if [ ${#verdict[@]} -eq 0 ]; then
		stage_end ok "keeps every overflow signal, leaks no kernel sample"
		printf 'hwtest: PASS: kernel %s keeps every overflow signal and writes no kernel sample\n' "$(uname -r)"
		return 0
	fi
	stage_end FAIL "$(IFS=';'; echo "${verdict[*]}")"
	printf 'hwtest: FAIL: kernel %s %s\n' "$(uname -r)" "$(IFS=';'; echo "${verdict[*]}" | sed 's/;/; /g')"
	return 1
}

# The perf test shell script of the series, with whatever perf is on PATH.
run_perf_skid_test() {
	local script=$1 out rc=0
	stage_begin "perf test: user-only samples"
	if ! command -v perf >/dev/null; then
		stage_end skip "no perf on PATH"
		return 0
	fi
	if ! out=$(perf --version 2>&1); then
		stage_end skip "the perf on PATH does not run: $(head -n 1 <<<"$out")"
		return 0
	fi
	out=$(sh "$script" 2>&1) || rc=$?
	sed 's/^/  /' <<<"$out" >&2
	case "$rc" in
	0) stage_end ok "$(tail -n 1 <<<"$out")" ;;
	2) stage_end skip "$(tail -n 1 <<<"$out")" ;;
	*) stage_end FAIL "$(grep -m1 'user-only samples' <<<"$out" || tail -n 1 <<<"$out")"; return 1 ;;
	esac
}
