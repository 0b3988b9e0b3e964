# shellcheck shell=bash
# make hwtest: the skid selftest of the patched mainline tree, run against
# the host's running kernel on real hardware, with a verdict.

# Builds skid_signal static from the materialized tree into $WORK/hwtest:
# the UAPI headers (headers_install needs no kernel config) and one file,
# so a tree the user names (KERNEL_TREE=) takes seconds, not a kernel build.
build_hwtest() {
	local tree=$1 build=$2 log="$2/hwtest-build.log"
	stage_begin "hwtest build"
	mkdir -p "$build"
	kmake "$tree" "$build" headers_install >"$log" 2>&1 ||
		die "make headers_install failed: $(make_failure "$log" "$build")"
	build_skid_signal "$tree" "$build" "$build/hwtest/skid_signal" "gcc -static" "$log" ||
		die "skid_signal did not build: $(make_failure "$log" "$build")"
	mkdir -p "$WORK/hwtest"
	cp "$build/hwtest/skid_signal" "$WORK/hwtest/skid_signal"
	cp "$tree/tools/perf/tests/shell/record_user_only_skid.sh" "$WORK/hwtest/"
	stage_end ok "static skid_signal, also in $WORK/hwtest for other machines"
}

# Runs the selftest's hardware case against the running kernel. Exit 0 when
# the kernel passes or the machine has no usable PMU (a skip), 1 otherwise.
run_hwtest() {
	local bin=$1 out="$WORK/hwtest/hwtest.log" rc=0 verdict status=0
	mkdir -p "$WORK/hwtest"
	stage_begin "hwtest on $(uname -r)"
	"$bin" -t hw_counter >"$out" 2>&1 || rc=$?
	sed 's/^/  /' "$out" >&2
	verdict=$(report hwtest-verdict "$out" "$(uname -r)" "$rc" 2>"$out.error") || status=$?
	[ "$status" -le 2 ] && [ -n "$verdict" ] || die "$(cat "$out.error")"
	printf '%s\n' "$verdict"
	verdict=$(tail -n 1 <<<"$verdict")
	# shellcheck disable=SC2046 # name=value words
	case "$status" in
	0) stage_end ok "keeps every overflow signal, leaks no kernel sample" $(parse_console figures "$out" hw_counter) ;;
	2) stage_end skip "${verdict#hwtest: SKIP: }" ;;
	*) stage_end FAIL "${verdict#hwtest: FAIL: kernel "$(uname -r)" }" $(parse_console figures "$out" hw_counter) ;;
	esac
	[ "$status" -ne 1 ]
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

hwtest() {
	local bin=$HWTEST_BIN script=$HWTEST_PERF_SCRIPT rc=0 tree
	if [ -z "$bin" ]; then
		# shellcheck disable=SC2046 # a list of package names
		ensure_packages $(packages_of host)
		materialize mainline
		tree=$(base_tree_of mainline)
		build_hwtest "$tree" "$(build_dir "$tree")"
		bin="$WORK/hwtest/skid_signal"
		script="$tree/tools/perf/tests/shell/record_user_only_skid.sh"
	fi
	[ -x "$bin" ] || die "HWTEST_BIN=$bin is not an executable skid_signal"
	run_hwtest "$bin" || rc=1
	if [ -n "$script" ]; then
		run_perf_skid_test "$script" || rc=1
	fi
	[ "$rc" -eq 0 ] || die "kernel $(uname -r) failed the skid tests (verdict above)"
}
