# shellcheck shell=bash
# Reads a boot's results through harness/results.py: KUnit, the kselftests,
# the perf tests and the overflow cost figures; each check is a stage.

# $1 / $2 to $3 decimals (2 by default), or "-".
ratio() { awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { if (b > 0) printf "%.*f", d, a / b; else print "-" }'; }

# One figure of a console's "figures: TEST name=value" lines, or nothing.
figure_of() { parse_console figures "$1" "$2" | tr ' ' '\n' | sed -n "s/^$2\.$3=//p"; }

# The cost of an overflow through the default output handler, kept and
# skipped, from the KUnit cost case under TCG: printed, never asserted.
# BASELINE_LOG and BASELINE_NAME: the mutant with the base's overflow path.
# The kept figure and its ratio come first: the cover letter's row is the
# detail up to its first ';'.
# overflow_cost ARCH LOG [BASELINE_LOG BASELINE_NAME]
overflow_cost() {
	local arch=$1 log=$2 baseline_log=${3:-} baseline_name=${4:-} kept skipped base_kept='' base_skipped='' cheaper detail
	kept=$(figure_of "$log" overflow_cost kept_ns)
	skipped=$(figure_of "$log" overflow_cost skipped_ns)
	[ -n "$kept" ] && [ -n "$skipped" ] || return 0
	stage_begin "overflow cost" "$arch"
	if [ "$kept" -eq 0 ] || [ "$skipped" -eq 0 ]; then
		stage_end skip "the guest's clock did not advance during the measurement (kept $kept ns, skipped $skipped ns)"
		return
	fi
	cheaper="skipped is $([ "$skipped" -lt "$kept" ] || echo "NOT ")the cheaper path"
	if [ -n "$baseline_log" ]; then
		base_kept=$(figure_of "$baseline_log" overflow_cost kept_ns)
		base_skipped=$(figure_of "$baseline_log" overflow_cost skipped_ns)
	fi
	if [ "${base_kept:-0}" -gt 0 ] && [ "${base_skipped:-0}" -gt 0 ]; then
		detail="kept $kept ns per overflow, $(ratio "$kept" "$base_kept" 3)x the unpatched path's $base_kept ns ($baseline_name)"
		detail+="; skipped $skipped ns, $(ratio "$skipped" "$base_skipped")x its kernel-mode $base_skipped ns: $cheaper"
	elif [ -n "$baseline_log" ]; then
		detail="kept $kept ns, skipped $skipped ns per overflow: $cheaper"
		detail+="; unpatched ($baseline_name): no figure (its clock did not advance, or it printed none)"
	else
		detail="kept $kept ns, skipped $skipped ns per overflow: $cheaper; unpatched: make check measures it on a mutant"
	fi
	stage_end ok "$detail" "kept_ns=$kept" "skipped_ns=$skipped" ${base_kept:+"baseline_kept_ns=$base_kept"} \
		${base_skipped:+"baseline_skipped_ns=$base_skipped"} ${baseline_name:+"@baseline=$baseline_name"}
}

# The value of NAME in a results file (NAME=value lines) that parse_ktap
# or legacy_results wrote.
result_of() { sed -n "s/^$2=//p" "$1"; }

# kunit.py parse of $2 (KTAP or TAP): the JSON and the results file $3
# (total, passed, failed, skipped, failed_cases).
parse_ktap() {
	local tree=$1 input=$2 results=$3 what=$4 json=${3%.results}.json
	rm -f "$json" "$results"
	python3 "$tree/tools/testing/kunit/kunit.py" parse --json="$json" "$input" >"${json%.json}.txt" 2>&1 || true
	[ -s "$json" ] || die "kunit.py parse read no $what results from $input$(missing_from_log "${json%.json}.txt" | sed 's/^/: /')"
	parse_console counts "$json" >"$results"
	[ "$(result_of "$results" total)" -gt 0 ] || die "kunit.py parse found 0 $what in $input"
}

# KUnit's results of console log $2 into results file $3. A tree without
# KUnit has none: zero cases.
kunit_results() {
	local tree=$1 log=$2 results=$3
	if ! has_kunit "$tree"; then
		no_results "$results"
		return
	fi
	parse_console kunit-log "$log" "${results%.results}.log"
	parse_ktap "$tree" "${results%.results}.log" "$results" "KUnit tests (did the test's Kconfig symbol survive?)"
}

# KUnit came in 5.5.
has_kunit() { [ -f "$1/tools/testing/kunit/kunit.py" ]; }

# The counts of a results file as a record's figures.
counts_of() { grep -E '^(total|passed|failed|skipped)=' "$1"; }

# The results file $1 of a tree without such tests: zero of each, and
# the other names ($2...) empty.
no_results() {
	local results=$1
	shift
	{ printf '%s=0\n' total passed failed skipped; printf '%s=\n' failed_cases "$@"; } >"$results"
}

# Fails the open stage if results file $1 has failed cases; $2 names them.
die_on_failures() {
	[ "$(result_of "$1" failed)" -eq 0 ] ||
		die "$(result_of "$1" failed) of $(result_of "$1" total) $2 failed: $(result_of "$1" failed_cases)${3:+ ($3)}"
}

# check_kunit ARCH TREE LOG RESULTS
check_kunit() {
	local arch=$1 tree=$2 log=$3 results=$4
	stage_begin kunit "$arch"
	has_kunit "$tree" || { stage_end skip "the tree has no KUnit (added in 5.5)"; return; }
	kunit_results "$tree" "$log" "$results"
	die_on_failures "$results" "KUnit cases"
	# shellcheck disable=SC2046 # name=value words
	stage_end ok "$(result_of "$results" passed)/$(result_of "$results" total) passed, $(result_of "$results" skipped) skipped" \
		$(counts_of "$results")
}

# kselftests_not_run TREE BRANCH ARCH
kselftests_not_run() {
	local tree=$1 branch=$2 arch=$3 test why
	for test in $(kselftests_skipped "$branch" "$arch"); do
		# Only tests this tree has.
		[ -e "$tree/tools/testing/selftests/${test%%:*}/${test#*:}.c" ] || continue
		why=$(kselftest_not_run_why "$test" "$branch")
		printf '%s (%s); ' "${test#*:}" "$why"
	done
}

# The kselftests' results of console log $2 into results file $3 (as
# parse_ktap writes it, and figures=: the "figures:" lines' TEST.name=value
# words). The TAP between the init script's markers is kept beside it.
kselftest_results() {
	local tree=$1 log=$2 results=$3 tap=${3%.results}.tap
	if ! has_kselftests "$tree"; then
		no_results "$results" figures
		return
	fi
	parse_console kselftest-log "$log" "$tap" 2>"$tap.error" || die "$(cat "$tap.error")"
	if legacy_kselftests "$tree"; then
		parse_console legacy "$tap" >"$results" 2>"$tap.error" || die "$(cat "$tap.error") in $tap"
	else
		parse_ktap "$tree" "$tap" "$results" kselftests
	fi
	echo "figures=$(parse_console figures "$tap")" >>"$results"
}

# check_kselftest ARCH TREE LOG RESULTS BRANCH
check_kselftest() {
	local arch=$1 tree=$2 log=$3 results=$4 branch=$5 not_run
	stage_begin kselftest "$arch"
	has_kselftests "$tree" || { stage_end skip "$(no_kselftests_why)"; return; }
	kselftest_results "$tree" "$log" "$results"
	die_on_failures "$results" kselftests
	not_run=$(kselftests_not_run "$tree" "$branch" "$arch" | sed 's/; $//')
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

# The perf tests' results of console log $3 into results file $4 (total,
# passed, failed, skipped, failed_cases, and said=: each test's last line);
# $1 and $2: the tree and the architecture booted. /init prefixed each
# test's lines with its name and ended them with "NAME: skidguard: perf
# test exit N" (2 is perf's skip).
perf_test_results() {
	local tree=$1 arch=$2 log=$3 results=$4
	if ! wants_perf_tests "$tree" "$arch"; then
		no_results "$results" said
		return
	fi
	parse_console perf-tests "$log" >"$results" 2>"$results.error" || die "$(cat "$results.error")"
}

# check_perf_tests ARCH TREE LOG RESULTS
check_perf_tests() {
	local arch=$1 tree=$2 log=$3 results=$4
	wants_perf_tests "$tree" "$arch" || return 0
	stage_begin "perf tests" "$arch"
	perf_test_results "$tree" "$arch" "$log" "$results"
	die_on_failures "$results" "perf tests" "$(result_of "$results" said)"
	# This machine's PMU counts user instructions: a skip is a harness fault.
	[ "$(result_of "$results" skipped)" -eq 0 ] ||
		die "$(result_of "$results" skipped) of $(result_of "$results" total) perf tests skipped on QEMU's PMU: $(result_of "$results" said)"
	# shellcheck disable=SC2046 # name=value words
	stage_end ok "$(result_of "$results" passed)/$(result_of "$results" total) passed; $(result_of "$results" said)" $(counts_of "$results")
}
