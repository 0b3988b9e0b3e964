# shellcheck shell=bash
# Boots a built kernel under QEMU (TCG) and reads its console for splats.

# Boots under TCG (nested KVM hangs here) with a hard timeout ($3 seconds,
# BOOT_TIMEOUT by default). KUnit runs
# during boot, the initramfs's /init runs the kselftests and reboots, and
# -no-reboot turns that into QEMU's exit.
boot_qemu() {
	local build=$1 log=$2 timeout=${3:-$BOOT_TIMEOUT} rc=0
	local initrd=(-initrd "$build/initramfs.cpio")
	local append="console=$CONSOLE panic=-1 kunit.filter_glob=$KUNIT_FILTER"
	# A branch may add to it (cmdline= in its source file), and so may a test.
	append+=" $(series_source "$BRANCH" cmdline) $CMDLINE_EXTRA"
	# KUnit alone: no init to run; the machine reboots once KUnit is done.
	if [ -n "$KUNIT_ONLY" ]; then
		initrd=()
		append+=" kunit_shutdown=reboot"
	fi
	# shellcheck disable=SC2086 # extra QEMU options are a word list
	timeout -k 5 "$timeout" "${QEMU[@]}" -m 512 -smp 1 -nographic -no-reboot \
		-kernel "$(kernel_image "$build")" "${initrd[@]}" \
		-append "$append" $QEMU_EXTRA </dev/null >"$log" 2>"$log.qemu" || rc=$?
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

check_splats() {
	local log=$1 splat
	stage_begin splats "$KERNEL_ARCH"
	splat=$(first_splat "$log")
	[ -z "$splat" ] || die "a splat on the console, line ${splat%%:*}: ${splat#*:}"
	stage_end ok "none in $(wc -l <"$log") console lines (lockdep, atomic sleep, KASAN, UBSAN, WARN, BUG)" "splats=0"
}

# $3: the boot's timeout, as boot_qemu takes it.
boot_kernel() {
	local build=$1 log=$2 timeout=${3:-$BOOT_TIMEOUT}
	stage_begin boot "$KERNEL_ARCH"
	boot_qemu "$build" "$log" "$timeout"
	stage_end ok "$(wc -l <"$log") console lines, QEMU TCG" "console_lines=$(wc -l <"$log")"
}
