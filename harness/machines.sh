# shellcheck shell=bash
# The skid selftest on machines this one is not: its choice of CPU, PMU
# and skid bound read from copies of other machines' files
# (tests/machines/<machine>/: proc/, sys/, and expect, a line per CPU:
# "CPU choice-line"), and its hw_counter case booted under x86 QEMU's CPU
# models, where it must skip for the right reason.

readonly SKID_SIGNAL_DIR=tools/testing/selftests/perf_events

# Whether TREE's skid_signal can read another machine's files: the
# backports' selftests predate that.
selftest_reads_machines() { grep -qs SKID_TEST_SYSROOT "$1/$SKID_SIGNAL_DIR/skid_signal.c"; }

# The harness's name of this machine's architecture (uname -m's aarch64
# is arm64), which runs what is built for it here.
host_arch() {
	case "$(uname -m)" in
	aarch64) echo arm64 ;;
	ppc64le) echo powerpc ;;
	*) uname -m ;;
	esac
}

# build_skid_signal TREE BUILD OUT CC LOG: skid_signal of TREE's selftests,
# with the headers BUILD installed, into the file OUT (made anew: make
# sees no change of the headers).
build_skid_signal() {
	local tree=$1 build=$2 out=$3 cc=$4 log=$5
	mkdir -p "$(dirname "$out")"
	rm -f "$out"
	make -C "$tree/$SKID_SIGNAL_DIR" OUTPUT="$(dirname "$out")" \
		KHDR_INCLUDES="-isystem $build/usr/include" CC="$cc" "$out" >>"$log" 2>&1
}

# The machines' expect files, one a machine.
machine_expectations() { ls "$SKIDGUARD_ROOT"/tests/machines/*/expect 2>/dev/null || true; }

# Each choice of skid_signal $1 that differs from its machine's expect
# file: "hybrid-intel cpu 12: <what it chose>", a line each.
wrong_choices() {
	local bin=$1 machine cpu want got
	for machine in "$SKIDGUARD_ROOT"/tests/machines/*/; do
		[ -f "$machine/expect" ] || { echo "$(basename "$machine"): no expect file"; continue; }
		while read -r cpu want; do
			got=$(SKID_TEST_SYSROOT=$machine SKID_TEST_CPU=$cpu "$bin" -t hw_counter 2>&1 |
				sed -n 's/^# choice: //p')
			[ "$got" = "$want" ] || echo "$(basename "$machine") cpu $cpu: ${got:-no choice}"
		done <"$machine/expect"
	done
}

# Stage: the choices on every machine, then each S*.diff mutant of the
# selftest, which must change one. selftest_choices BRANCH TREE BUILD:
# after kselftest_build of this machine's architecture in BUILD.
selftest_choices() {
	local branch=$1 tree=$2 build=$3 bin="$3/machines/skid_signal" log="$3/machines.log" mutant wrong choices
	stage_begin "selftest choices"
	choices=$(machine_expectations | xargs -r cat | grep -c . || true)
	[ "$choices" -gt 0 ] || die "no machine with an expect file in tests/machines/"
	: >"$log"
	# The series' own: the kselftest build's, the binary the boot ran.
	wrong=$(wrong_choices "$build/kselftest_install/perf_events/skid_signal")
	[ -z "$wrong" ] || die "skid_signal chose otherwise than rr would: $(paste -sd';' <<<"$wrong")"
	stage_end ok "$choices CPUs of $(machine_expectations | wc -l) machines: CPU, PMU and skid bound as expected" \
		"choices=$choices"
	for mutant in $(mutant_files "$branch" S); do
		stage_begin "mutant $(mutant_id "$mutant")"
		build_with_mutant "$tree" "$branch" "$build" "$mutant" "$log" \
			build_skid_signal "$tree" "$build" "$bin" gcc "$log"
		wrong=$(wrong_choices "$bin")
		if [ -z "$wrong" ]; then
			stage_end survived "$(mutant_what "$mutant"): every machine's choices as expected"
		else
			stage_end caught "$(mutant_what "$mutant"): caught by $(paste -sd';' <<<"$wrong" | sed 's/;/; /g')"
		fi
	done
	rm -f "$bin"
}

# Boots in a row of hw_counter where a boot's PMU runs it.
readonly HW_COUNTER_BOOTS=10

# The kernel command line of a boot that runs skid_signal alone.
readonly ONLY_SKID_SIGNAL='kunit.enable=0 kselftest_only=perf_events:skid_signal'

# x86 QEMU's CPU models and the vendor each shows the guest. QEMU
# emulates no x86 PMU: hw_counter must skip there, and say on what.
readonly X86_CPU_MODELS='Skylake-Client:GenuineIntel EPYC:AuthenticAMD'

# Stage, a boot per CPU model: hw_counter's skip names the guest's vendor.
# cpu_model_boots BRANCH BUILD
cpu_model_boots() {
	local branch=$1 build=$2 model vendor log reason
	for model in $X86_CPU_MODELS; do
		vendor=${model#*:}
		model=${model%%:*}
		log="$build/console-cpu-$model.log"
		stage_begin "hw_counter on -cpu $model" x86_64
		boot_qemu x86_64 "$branch" "$build" "$log" "$BOOT_TIMEOUT" "$ONLY_SKID_SIGNAL" -cpu "$model"
		reason=$(parse_console skip-reason "$log" hw_counter 2>/dev/null) ||
			die "hw_counter did not skip on -cpu $model: $(parse_console case "$log" hw_counter 2>&1)"
		[[ "$reason" == "no core PMU of cpu "*"$vendor"* ]] ||
			die "hw_counter on -cpu $model ($vendor) skipped for another reason: $reason"
		stage_end ok "skipped: $reason"
	done
}

# Stage: hw_counter, which a PMU's boot runs, on N boots in a row of the
# series' kernel: each must pass, its overflows all signalled; the figures
# of each boot are shown. repeat_hw_counter ARCH BRANCH BUILD N
repeat_hw_counter() {
	local arch=$1 branch=$2 build=$3 boots=$4 i log figures counts=()
	stage_begin "hw_counter, $boots boots" "$arch"
	for i in $(seq "$boots"); do
		log="$build/console-repeat-$i.log"
		boot_qemu "$arch" "$branch" "$build" "$log" "$BOOT_TIMEOUT" "$ONLY_SKID_SIGNAL"
		figures=$(parse_console figures "$log" hw_counter)
		log "boot $i: $figures"
		hw_counter_passed "$log" || die "boot $i of $boots: hw_counter did not pass: ${figures:-no figures}"
		counts+=("$(figure_of "$log" hw_counter signals)/$(figure_of "$log" hw_counter overflows)")
	done
	stage_end ok "passed on each; signals/overflows: ${counts[*]}"
}

# Whether hw_counter ran and passed on the console $1: not skipped (no PMU,
# or no PMI in the kernel).
hw_counter_passed() { [ "$(parse_console case "$1" hw_counter 2>/dev/null)" = pass ]; }
