# shellcheck shell=bash
# Known-bad variants of the series: each must make the tests fail.

# A branch whose __perf_event_overflow() differs from mainline's has
# mutants of its own; the others take mainline's, which must apply.
mutants_of() {
	local dir="$SKIDGUARD_ROOT/tests/mutants/$1"
	[ -d "$dir" ] || dir="$SKIDGUARD_ROOT/tests/mutants/mainline"
	ls "$dir"/M*.diff 2>/dev/null
}

# One line of a mutant's header: "# What: ..."
mutant_what() { sed -n 's/^# What: //p' "$1"; }

run_mutant() {
	local branch=$1 tree=$2 build=$3 mutant=$4 name log
	name=$(basename "$mutant" .diff)
	log="$build/console-$name.log"
	stage_begin "mutant ${name%%-*} ($KERNEL_ARCH)"
	git -C "$tree" apply "$mutant" 2>/dev/null || die "$name does not apply on top of series/$branch"
	if ! compile_kernel "$tree" "$build" "$build/build-$name.log"; then
		restore_series_head "$tree"
		die "$name does not build: $(grep -m1 'error:' "$build/build-$name.log")"
	fi
	restore_series_head "$tree"
	boot_qemu "$build" "$log"
	kunit_results "$tree" "$log" "$build/kunit-$name.json"
	kselftest_results "$tree" "$log" "$build/kselftest-$name.json"
	[ "$KUNIT_FAILED_N" -gt 0 ] || [ "$KSFT_FAILED_N" -gt 0 ] ||
		die "$name ($(mutant_what "$mutant")) survived: $KUNIT_TOTAL KUnit cases and $KSFT_TOTAL kselftests passed"
	stage_end caught "$(mutant_what "$mutant"): caught by KUnit: ${KUNIT_FAILED:-none}; kselftest: ${KSFT_FAILED:-none}${KSFT_FIGURES:+ ($KSFT_FIGURES)}"
}

restore_series_head() { git -C "$1" reset -q --hard; }
