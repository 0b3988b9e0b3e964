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

# M*.diff: caught by the full boots. All of them boot on the branch's
# first architecture, where KUnit and the injected selftest see them; a
# later one boots only those whose header names it ("# Also on arm64:
# why"), for the tests only it runs. mutants_of BRANCH [ARCH FIRST].
mutants_of() {
	local branch=$1 arch=${2:-} first=${3:-} mutant
	for mutant in $(mutant_files "$branch" M); do
		if [ "$arch" = "$first" ] || grep -q "^# Also on $arch: " "$mutant"; then echo "$mutant"; fi
	done
}

# Mutants of an architecture's KUnit-only boot: P*.diff for powerpc.
kunit_only_mutants_of() { [ "$2" != powerpc ] || mutant_files "$1" P; }

# Mutants only the debug boot can catch: D*.diff.
debug_mutants_of() { mutant_files "$1" D; }

# One line of a mutant's header: "# What: ..."
mutant_what() { sed -n 's/^# What: //p' "$1"; }

# The console log of mutant $2 booted from build folder $1.
mutant_log() { echo "$1/console-$(basename "$2" .diff).log"; }

# The mutant whose overflow path is the base's: the cost figures'
# baseline, if it boots on this architecture (mutants_of's arguments).
cost_baseline_of() {
	local mutant
	for mutant in $(mutants_of "$@"); do
		if grep -q '^# Cost baseline: ' "$mutant"; then echo "$mutant"; return; fi
	done
}

# "M1" of .../M1-early-return.diff.
mutant_id() { local name; name=$(basename "$1" .diff); echo "${name%%-*}"; }

# boot_mutant ARCH BRANCH TREE BUILD MUTANT [TIMEOUT]: builds the series
# with the mutant on top, puts the tree back, and boots it into its
# console log; a stage named after the mutant is open.
boot_mutant() {
	local arch=$1 branch=$2 tree=$3 build=$4 mutant=$5 timeout=${6:-$BOOT_TIMEOUT} name
	name=$(basename "$mutant" .diff)
	stage_begin "mutant $(mutant_id "$mutant")" "$arch"
	build_with_mutant "$tree" "$branch" "$build" "$mutant" "$build/build-$name.log" \
		compile_kernel "$tree" "$build" "$build/build-$name.log"
	boot_qemu "$arch" "$branch" "$build" "$(mutant_log "$build" "$mutant")" "$timeout"
}

# The failed cases of a results file, or "none".
failed_cases_of() { result_of "$1" failed_cases | grep . || echo none; }

# The figures of the selftest's hardware case that its assertions hold
# at zero: one above zero is that case failing.
HARDWARE_CASE_FAILURES='hw_counter.lost_signals hw_counter.bad_samples hw_counter.late_signals'

# Failed perf tests plus hardware-case figures above zero in results
# files $1 (kselftests) and $2 (perf tests): the failures of the tests
# that only a boot with a PMU runs.
hardware_failures() {
	local kselftest=$1 perf=$2 figure n=0 value
	for figure in $HARDWARE_CASE_FAILURES; do
		value=$(result_of "$kselftest" figures | tr ' ' '\n' | sed -n "s/^$figure=//p")
		[ "${value:-0}" -eq 0 ] || n=$((n + 1))
	done
	echo $((n + $(result_of "$perf" failed)))
}

# A mutant is caught when a KUnit case, a kselftest or a perf test fails
# on it; one that survives is recorded, and the run goes on. run_mutant
# ARCH BRANCH TREE BUILD MUTANT [hardware]: with "hardware" (a boot of a
# later architecture, for the tests only it runs: "# Also on ARCH:"),
# only the perf tests and the selftest's hardware case count.
run_mutant() {
	local arch=$1 branch=$2 tree=$3 build=$4 mutant=$5 wanted=${6:-} log stem caught_by='' failed kind
	boot_mutant "$arch" "$branch" "$tree" "$build" "$mutant"
	log=$(mutant_log "$build" "$mutant")
	stem="$build/$(basename "$mutant" .diff)"
	kunit_results "$tree" "$log" "$stem-kunit.results"
	caught_by="KUnit: $(failed_cases_of "$stem-kunit.results")"
	failed=$(result_of "$stem-kunit.results" failed)
	if ! kunit_only_arch "$arch"; then
		kselftest_results "$tree" "$log" "$stem-kselftest.results"
		perf_test_results "$tree" "$arch" "$log" "$stem-perf.results"
		caught_by+="; kselftest: $(failed_cases_of "$stem-kselftest.results")$(
			figures_text "$stem-kselftest.results" | sed 's/^; \(.*\)/ (\1)/')"
		[ "$(result_of "$stem-perf.results" total)" -eq 0 ] ||
			caught_by+="; perf test: $(failed_cases_of "$stem-perf.results") ($(result_of "$stem-perf.results" said))"
		for kind in kselftest perf; do failed=$((failed + $(result_of "$stem-$kind.results" failed))); done
	fi
	if [ "$wanted" = hardware ]; then
		failed=$(hardware_failures "$stem-kselftest.results" "$stem-perf.results")
		if [ "$failed" -eq 0 ]; then
			stage_end survived "$(mutant_what "$mutant"): the perf tests and the selftest's hardware case passed on $arch (caught only by $caught_by)"
			return
		fi
	fi
	if [ "$failed" -eq 0 ]; then
		stage_end survived "$(mutant_what "$mutant"): every KUnit case, kselftest and perf test passed"
		return
	fi
	stage_end caught "$(mutant_what "$mutant"): caught by $caught_by" "failed_tests=$failed"
}

restore_series_head() { git -C "$1" reset -q --hard; }

# build_with_mutant TREE BRANCH BUILD MUTANT LOG COMMAND...: runs the build
# COMMAND with MUTANT applied to TREE, and puts the tree back; a mutant
# that does not apply or build (LOG) ends the stage.
build_with_mutant() {
	local tree=$1 branch=$2 build=$3 mutant=$4 log=$5 name
	name=$(basename "$mutant" .diff)
	shift 5
	git -C "$tree" apply "$mutant" 2>/dev/null || die "$name does not apply on top of series/$branch"
	if ! "$@"; then
		restore_series_head "$tree"
		die "$name does not build: $(make_failure "$log" "$build")"
	fi
	restore_series_head "$tree"
}

# A debug mutant is caught by a splat on the debug kernel's console.
# run_debug_mutant ARCH BRANCH TREE BUILD MUTANT TIMEOUT (the debug
# kernel's boot timeout).
run_debug_mutant() {
	local arch=$1 branch=$2 tree=$3 build=$4 mutant=$5 timeout=$6 splat
	boot_mutant "$arch" "$branch" "$tree" "$build" "$mutant" "$timeout"
	splat=$(first_splat "$(mutant_log "$build" "$mutant")")
	if [ -z "$splat" ]; then
		stage_end survived "$(mutant_what "$mutant"): no splat on the debug kernel's console"
		return
	fi
	stage_end caught "$(mutant_what "$mutant"): splat at console line ${splat%%:*}: ${splat#*:}"
}
