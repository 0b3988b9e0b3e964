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
	stage_begin "perf build ($KERNEL_ARCH)"
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

# Parses the lines /init prefixed with each test's name: its output and
# "NAME: skidguard: perf test exit N" (2 is perf's skip). Sets PERF_TOTAL,
# PERF_FAILED_N, PERF_FAILED, PERF_SKIPPED and PERF_FIGURES (each test's
# last line).
perf_test_results() {
	local tree=$1 log=$2 name rc
	PERF_TOTAL=0 PERF_FAILED_N=0 PERF_FAILED='' PERF_SKIPPED=0 PERF_FIGURES=''
	wants_perf_tests "$tree" || return 0
	grep -aq '^skidguard: perf tests end' "$log" ||
		die "the perf tests did not finish in QEMU; last console line: $(tail -n 1 "$log" | tr -d '\r')"
	while read -r name rc; do
		PERF_TOTAL=$((PERF_TOTAL + 1))
		case "$rc" in
		0) ;;
		2) PERF_SKIPPED=$((PERF_SKIPPED + 1)) ;;
		*) PERF_FAILED_N=$((PERF_FAILED_N + 1)) PERF_FAILED+="${PERF_FAILED:+, }$name" ;;
		esac
		PERF_FIGURES+="${PERF_FIGURES:+; }$name: $(tr -d '\r' <"$log" | grep -a "^$name: " |
			grep -av ": skidguard: perf test exit " | tail -n 1 | sed "s/^$name: //")"
	done < <(tr -d '\r' <"$log" | sed -n 's/^\([^ :]*\): skidguard: perf test exit \([0-9]*\)$/\1 \2/p')
	[ "$PERF_TOTAL" -gt 0 ] || die "the perf tests printed no result"
}

check_perf_tests() {
	local tree=$1 log=$2
	wants_perf_tests "$tree" || return 0
	stage_begin "perf tests ($KERNEL_ARCH)"
	perf_test_results "$tree" "$log"
	[ "$PERF_FAILED_N" -eq 0 ] || die "$PERF_FAILED_N of $PERF_TOTAL perf tests failed: $PERF_FAILED ($PERF_FIGURES)"
	# This machine's PMU counts user instructions: a skip is a harness fault.
	[ "$PERF_SKIPPED" -eq 0 ] || die "$PERF_SKIPPED of $PERF_TOTAL perf tests skipped on QEMU's PMU: $PERF_FIGURES"
	stage_end ok "$((PERF_TOTAL - PERF_FAILED_N))/$PERF_TOTAL passed; $PERF_FIGURES"
}
