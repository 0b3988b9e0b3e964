# shellcheck shell=bash
# Known-bad variants of the series: each must make the tests fail.

# A branch whose __perf_event_overflow() differs from mainline's has
# mutants of its own; the others take mainline's, which must apply.
# mutant_files BRANCH LETTER: its LETTER*.diff, in order.
mutant_files() {
	local dir="$SKIDGUARD_ROOT/tests/mutants/$1"
	[ -d "$dir" ] || dir="$SKIDGUARD_ROOT/tests/mutants/mainline"
	ls -v "$dir"/"$2"*.diff 2>/dev/null || true
}

# M*.diff: caught by the full boots.
mutants_of() { mutant_files "$1" M; }

# Mutants of an architecture's KUnit-only boot: P*.diff for powerpc.
kunit_only_mutants_of() { [ "$2" != powerpc ] || mutant_files "$1" P; }

# Mutants only the debug boot can catch: D*.diff.
debug_mutants_of() { mutant_files "$1" D; }

# One line of a mutant's header: "# What: ..."
mutant_what() { sed -n 's/^# What: //p' "$1"; }

# Builds the series with mutant $4 on top, puts the tree back, and boots
# it; a stage named after the mutant is open. Sets MUTANT_NAME, MUTANT_LOG.
boot_mutant() {
	local branch=$1 tree=$2 build=$3 mutant=$4
	MUTANT_NAME=$(basename "$mutant" .diff)
	MUTANT_LOG="$build/console-$MUTANT_NAME.log"
	stage_begin "mutant ${MUTANT_NAME%%-*} ($KERNEL_ARCH)"
	git -C "$tree" apply "$mutant" 2>/dev/null || die "$MUTANT_NAME does not apply on top of series/$branch"
	if ! compile_kernel "$tree" "$build" "$build/build-$MUTANT_NAME.log"; then
		restore_series_head "$tree"
		die "$MUTANT_NAME does not build: $(make_failure "$build/build-$MUTANT_NAME.log" "$build")"
	fi
	restore_series_head "$tree"
	boot_qemu "$build" "$MUTANT_LOG"
}

# A mutant is caught when a KUnit case, a kselftest or a perf test fails
# on it.
run_mutant() {
	local branch=$1 tree=$2 build=$3 mutant=$4
	boot_mutant "$branch" "$tree" "$build" "$mutant"
	kunit_results "$tree" "$MUTANT_LOG" "$build/kunit-$MUTANT_NAME.json"
	if [ -n "$KUNIT_ONLY" ]; then
		KSFT_TOTAL=0 KSFT_FAILED_N=0 KSFT_FAILED='' KSFT_FIGURES='' PERF_TOTAL=0 PERF_FAILED_N=0
	else
		kselftest_results "$tree" "$MUTANT_LOG" "$build/kselftest-$MUTANT_NAME.json"
		perf_test_results "$tree" "$MUTANT_LOG"
	fi
	[ "$KUNIT_FAILED_N" -gt 0 ] || [ "$KSFT_FAILED_N" -gt 0 ] || [ "$PERF_FAILED_N" -gt 0 ] ||
		die "$MUTANT_NAME ($(mutant_what "$mutant")) survived: $KUNIT_TOTAL KUnit cases, $KSFT_TOTAL kselftests and $PERF_TOTAL perf tests passed"
	# The unpatched overflow path, for the cost figures.
	if grep -q '^# Cost baseline: ' "$mutant"; then
		COST_BASELINE_LOG=$MUTANT_LOG COST_BASELINE_NAME=${MUTANT_NAME%%-*}
	fi
	stage_end caught "$(mutant_what "$mutant"): caught by KUnit: ${KUNIT_FAILED:-none}$([ -n "$KUNIT_ONLY" ] || echo "; kselftest: ${KSFT_FAILED:-none}")${KSFT_FIGURES:+ ($KSFT_FIGURES)}$([ "$PERF_TOTAL" -eq 0 ] || echo "; perf test: ${PERF_FAILED:-none} ($PERF_FIGURES)")"
}

restore_series_head() { git -C "$1" reset -q --hard; }

# A debug mutant is caught by a splat on the debug kernel's console.
run_debug_mutant() {
	local branch=$1 tree=$2 build=$3 mutant=$4 splat
	boot_mutant "$branch" "$tree" "$build" "$mutant"
	splat=$(first_splat "$MUTANT_LOG")
	[ -n "$splat" ] || die "$MUTANT_NAME ($(mutant_what "$mutant")) survived: no splat on the debug kernel's console"
	stage_end caught "$(mutant_what "$mutant"): splat at console line ${splat%%:*}: ${splat#*:}"
}
