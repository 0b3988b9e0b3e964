# shellcheck shell=bash
# Boots a built kernel under QEMU (TCG) and reads its console for splats.

# The QEMU command line of an architecture's machine, a word a line. All
# boot under TCG: nested KVM hangs here.
qemu_of() {
	case "$1" in
	x86_64) printf '%s\n' qemu-system-x86_64 -accel tcg -bios qboot.rom ;;
	# icount: virtual time follows instructions, not the host's clock.
	# Without it a host hiccup delays a PMI by more than a period, and the
	# PMU driver merges two overflows into one, which no test can tell
	# from a lost signal. Skid stays natural, within a block.
	arm64) printf '%s\n' qemu-system-aarch64 -accel tcg -icount shift=3,align=off,sleep=off -M virt -cpu max ;;
	# pseries with a POWER9 PMU, which QEMU 7.2 emulates without raising
	# its interrupts: the driver's KUnit suite calls its overflow path
	# itself. VOF, not SLOF: it boots vmlinux directly.
	powerpc) printf '%s\n' qemu-system-ppc64 -accel tcg -M pseries,x-vof=on -cpu power9 ;;
	esac
}

console_of() {
	case "$1" in
	x86_64) echo ttyS0 ;;
	arm64) echo ttyAMA0 ;;
	powerpc) echo hvc0 ;;
	esac
}

# boot_qemu ARCH BRANCH BUILD LOG [TIMEOUT [CMDLINE [QEMU_OPTION...]]]:
# boots under TCG with a hard timeout (BOOT_TIMEOUT seconds by default),
# CMDLINE added to the kernel's command line. KUnit runs during boot, the
# initramfs's /init runs the kselftests and reboots, and -no-reboot turns
# that into QEMU's exit.
boot_qemu() {
	local arch=$1 branch=$2 build=$3 log=$4 timeout=${5:-$BOOT_TIMEOUT} cmdline=${6:-} rc=0 qemu
	shift $(($# < 6 ? $# : 6))
	local initrd=(-initrd "$build/initramfs.cpio")
	local append
	append="console=$(console_of "$arch") panic=-1 kunit.filter_glob=$KUNIT_FILTER"
	# A branch may add to it (cmdline= in its source file), and so may a test.
	append+=" $(series_source "$branch" cmdline) $cmdline $CMDLINE_EXTRA"
	# KUnit alone: no init to run; the machine reboots once KUnit is done.
	if kunit_only_arch "$arch"; then
		initrd=()
		append+=" kunit_shutdown=reboot"
	fi
	mapfile -t qemu < <(qemu_of "$arch")
	# shellcheck disable=SC2086 # extra QEMU options are a word list
	timeout -k 5 "$timeout" "${qemu[@]}" -m 512 -smp 1 -nographic -no-reboot \
		-kernel "$(kernel_image "$build")" "${initrd[@]}" \
		-append "$append" "$@" $QEMU_EXTRA </dev/null >"$log" 2>"$log.qemu" || rc=$?
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		[ -s "$log" ] || die "QEMU printed nothing before its ${timeout}s timeout"
		die "QEMU did not finish within ${timeout}s; last console line: $(tail -n 1 "$log" | tr -d '\r')"
	fi
	[ "$rc" -eq 0 ] || die "QEMU failed (exit $rc): $(missing_from_log "$log.qemu" | grep . || tail -n 1 "$log.qemu")"
	# panic=-1 and -no-reboot: a panic ends QEMU as a clean exit would.
	! grep -q 'Kernel panic - not syncing' "$log" ||
		die "the kernel panicked at boot: $(grep -m1 -o 'Kernel panic - not syncing.*' "$log" | tr -d '\r')"
}

# Lines that start a kernel splat: lockdep, KASAN, UBSAN, WARN, BUG, oops.
SPLAT_PATTERN='WARNING: |BUG: |UBSAN: |kernel BUG at |Oops|general protection fault|DEBUG_LOCKS_WARN_ON|INFO: possible'

# "N:line" of the first splat on a console, or nothing.
first_splat() { grep -n -m1 -E "$SPLAT_PATTERN" "$1" | tr -d '\r' || true; }

# check_splats ARCH LOG
check_splats() {
	local arch=$1 log=$2 splat
	stage_begin splats "$arch"
	splat=$(first_splat "$log")
	[ -z "$splat" ] || die "a splat on the console, line ${splat%%:*}: ${splat#*:}"
	stage_end ok "none in $(wc -l <"$log") console lines (lockdep, atomic sleep, KASAN, UBSAN, WARN, BUG)" "splats=0"
}

# boot_kernel ARCH BRANCH BUILD LOG [TIMEOUT]: the boot stage, as boot_qemu.
boot_kernel() {
	local arch=$1 branch=$2 build=$3 log=$4 timeout=${5:-$BOOT_TIMEOUT}
	stage_begin boot "$arch"
	boot_qemu "$arch" "$branch" "$build" "$log" "$timeout"
	stage_end ok "$(wc -l <"$log") console lines, QEMU TCG" "console_lines=$(wc -l <"$log")"
}
