# shellcheck shell=bash
# perf's own shell tests that the series adds, run for real: a static perf
# built from the patched tree goes into the initramfs of the one boot whose
# machine emulates a PMU (arm64's virt; x86 QEMU has none).

PERF_TEST_ARCH=arm64

# A perf for record, report -D and report --stats needs none of perf's
# optional libraries; without them it links statically with the cross
# compiler's C library alone.
PERF_MAKE_OPTIONS=(
	LDFLAGS=-static NO_LIBELF=1 NO_LIBTRACEEVENT=1 NO_LIBPERL=1 NO_LIBPYTHON=1
	NO_SLANG=1 NO_GTK2=1 NO_LIBUNWIND=1 NO_LIBDW=1 NO_JVMTI=1 NO_LIBBPF=1
	NO_LIBCRYPTO=1 NO_LIBNUMA=1 NO_LIBZSTD=1 NO_LIBLZMA=1 NO_LIBCAP=1
	NO_LIBBABELTRACE=1 NO_DEMANGLE=1 NO_LIBLLVM=1 NO_CAPSTONE=1 NO_SDT=1
	NO_AUXTRACE=1 NO_LIBPFM4=1 NO_SHELLCHECK=1 NO_RUST=1 NO_JEVENTS=1
)

# The perf shell tests the series adds.
series_perf_tests() {
	git -C "$1" diff --name-only --diff-filter=A skidguard-base HEAD -- 'tools/perf/tests/shell/*.sh'
}

wants_perf_tests() { [ "$KERNEL_ARCH" = "$PERF_TEST_ARCH" ] && [ -n "$(series_perf_tests "$1")" ]; }

# Stage: <build>/perf-tool/perf, rebuilt by perf's own make when its
# sources changed.
build_perf_tool() {
	local tree=$1 build=$2 out="$2/perf-tool" log="$2/perf-build.log" options
	wants_perf_tests "$tree" || return 0
	stage_begin "perf build" "$KERNEL_ARCH"
	# perf's make is incremental only for the same options: other options
	# (or another compiler) start from an empty folder.
	options=$(inputs_digest "${PERF_MAKE_OPTIONS[@]}" "$("${CROSS_COMPILE}gcc" --version | head -n 1)")
	stamp_matches "$out/.options" "$options" || rm -rf "$out"
	mkdir -p "$out"
	echo "$options" >"$out/.options"
	make -C "$tree/tools/perf" O="$out" ARCH="$KERNEL_ARCH" CROSS_COMPILE="$CROSS_COMPILE" \
		"${PERF_MAKE_OPTIONS[@]}" -j"$JOBS" perf >"$log" 2>&1 ||
		die "perf build failed: $(make_failure "$log" "$out")"
	stage_end ok "static, $(du -k "$out/perf" | cut -f1) KiB, for $(series_perf_tests "$tree" | xargs -n1 basename | paste -sd' ')"
}

# Puts perf and the series' perf tests into initramfs folder $3.
add_perf_tests() {
	local tree=$1 build=$2 root=$3 test
	wants_perf_tests "$tree" || return 0
	install -D -m 755 "$build/perf-tool/perf" "$root/bin/perf"
	mkdir -p "$root/perf-tests"
	for test in $(series_perf_tests "$tree"); do
		install -m 755 "$tree/$test" "$root/perf-tests/"
	done
}

# The perf tests' results of console log $2 into results file $3 (total,
# passed, failed, skipped, failed_cases, and said=: each test's last line).
# /init prefixed each test's lines with its name and ended them with
# "NAME: skidguard: perf test exit N" (2 is perf's skip).
perf_test_results() {
	local tree=$1 log=$2 results=$3
	if ! wants_perf_tests "$tree"; then
		printf 'total=0\npassed=0\nfailed=0\nskipped=0\nfailed_cases=\nsaid=\n' >"$results"
		return
	fi
	python3 "${RESULTS[@]}" perf-tests "$log" >"$results" 2>"$results.error" || die "$(cat "$results.error")"
}

check_perf_tests() {
	local tree=$1 log=$2 results=$3
	wants_perf_tests "$tree" || return 0
	stage_begin "perf tests" "$KERNEL_ARCH"
	perf_test_results "$tree" "$log" "$results"
	[ "$(result_of "$results" failed)" -eq 0 ] ||
		die "$(result_of "$results" failed) of $(result_of "$results" total) perf tests failed: $(result_of "$results" failed_cases) ($(result_of "$results" said))"
	# This machine's PMU counts user instructions: a skip is a harness fault.
	[ "$(result_of "$results" skipped)" -eq 0 ] ||
		die "$(result_of "$results" skipped) of $(result_of "$results" total) perf tests skipped on QEMU's PMU: $(result_of "$results" said)"
	# shellcheck disable=SC2046 # name=value words
	stage_end ok "$(result_of "$results" passed)/$(result_of "$results" total) passed; $(result_of "$results" said)" $(counts_of "$results")
}
