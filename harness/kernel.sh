# shellcheck shell=bash
# Configures, builds and boots a small kernel, and parses its KUnit output.

KERNEL_ARCH=${KERNEL_ARCH:-x86_64}
BOOT_TIMEOUT=${SKIDGUARD_BOOT_TIMEOUT:-120}

# Per architecture: cross compiler, kernel image, QEMU machine, console
# (its Debian packages are in deps.sh). All boot under TCG: nested KVM
# hangs here. KUNIT_ONLY: the boot runs KUnit alone, without an initramfs
# or the skid.config fragment, and kunit_shutdown ends it.
arch_settings() {
	KERNEL_ARCH=$1
	KUNIT_ONLY=
	case "$KERNEL_ARCH" in
	x86_64)
		CROSS_COMPILE=
		KERNEL_IMAGE_TARGET=bzImage
		QEMU=(qemu-system-x86_64 -accel tcg -bios qboot.rom)
		CONSOLE=ttyS0
		;;
	arm64)
		CROSS_COMPILE=aarch64-linux-gnu-
		KERNEL_IMAGE_TARGET=Image
		# icount: virtual time follows instructions, not the host's clock.
		# Without it a host hiccup delays a PMI by more than a period, and
		# the PMU driver merges two overflows into one, which no test can
		# tell from a lost signal. Skid stays natural, within a block.
		QEMU=(qemu-system-aarch64 -accel tcg -icount shift=3,align=off,sleep=off -M virt -cpu max)
		CONSOLE=ttyAMA0
		;;
	powerpc)
		# pseries with a POWER9 PMU, which QEMU 7.2 emulates without
		# raising its interrupts: the driver's KUnit suite calls its
		# overflow path itself. VOF, not SLOF: it boots vmlinux directly.
		CROSS_COMPILE=powerpc64le-linux-gnu-
		KERNEL_IMAGE_TARGET=vmlinux
		# shellcheck disable=SC2054 # commas within one QEMU option
		QEMU=(qemu-system-ppc64 -accel tcg -M pseries,x-vof=on -cpu power9)
		CONSOLE=hvc0
		KUNIT_ONLY=yes
		;;
	*) die "unsupported architecture '$KERNEL_ARCH' (x86_64, arm64 or powerpc)" ;;
	esac
}
arch_settings "$KERNEL_ARCH"

build_dir() { echo "$WORK/build/$(basename "$1")-$KERNEL_ARCH"; }

# Why a make in build folder $2 failed, from its log $1: a full disk is
# said so (its own log may have lost the message), then a missing program
# or header with its package, else the first error.
make_failure() {
	local log=$1 build=$2 free missing
	free=$(df -Pk "$build" 2>/dev/null | awk 'NR == 2 { print $4 }')
	missing=$(missing_from_log "$log")
	if grep -qs 'No space left on device' "$log" || [ "${free:-1024}" -lt 1024 ]; then
		echo "no space left on device for $build (${free:-?} KiB free); free some and run again"
	elif [ -n "$missing" ]; then
		echo "$missing"
	else
		grep -m1 -E 'error:|Error [0-9]' "$log" 2>/dev/null || tail -n 1 "$log" 2>/dev/null
	fi
}

kmake() {
	local tree=$1 build=$2
	shift 2
	CCACHE_DIR="$WORK/ccache" KBUILD_BUILD_TIMESTAMP='2000-01-01' \
		KBUILD_BUILD_USER=skidguard KBUILD_BUILD_HOST=skidguard \
		make -C "$tree" O="$build" ARCH="$KERNEL_ARCH" CROSS_COMPILE="$CROSS_COMPILE" \
		CC="ccache ${CROSS_COMPILE}gcc" HOSTCC="ccache gcc" -j"$JOBS" "$@"
}

# CONFIG_EXTRA: one more fragment (the debug boot's).
config_fragments() {
	echo "$SKIDGUARD_ROOT/config/$KERNEL_ARCH.config"
	# The generic suite, the test PMU and the selftests' needs: full boots only.
	[ -n "$KUNIT_ONLY" ] || echo "$SKIDGUARD_ROOT/config/skid.config"
	[ -z "${CONFIG_EXTRA:-}" ] || echo "$CONFIG_EXTRA"
}

# The compiler's version, which the config and every object depend on.
compiler_version() { "${CROSS_COMPILE}gcc" --version | head -n 1; }

# What the base's config depends on: the base, the fragments, the
# architecture and the compiler.
base_config_inputs() {
	# shellcheck disable=SC2046 # a list of fragment paths
	inputs_digest "$(git -C "$1" rev-parse skidguard-base)" "$(cat $(config_fragments))" "$KERNEL_ARCH" "$(compiler_version)"
}

# What the checked-out commit's config depends on: the base's inputs and
# the Kconfig files, config fragments and kconfig sources it changes.
config_inputs() {
	local tree=$1 changed
	changed=$(git -C "$tree" diff --name-only skidguard-base HEAD |
		grep -E '(^|/)Kconfig[^/]*$|\.config$|^scripts/kconfig/' || true)
	# shellcheck disable=SC2086 # a list of paths
	inputs_digest "$(base_config_inputs "$tree")" "$([ -z "$changed" ] || git -C "$tree" ls-tree HEAD -- $changed)"
}

# tinyconfig plus the fragments, through merge_config.sh; kept as it is
# when its inputs did not change (CONFIG_REUSED=yes).
write_config() {
	local tree=$1 build=$2 inputs
	mkdir -p "$build"
	inputs=$(config_inputs "$tree")
	CONFIG_REUSED=
	if [ -f "$build/.config" ] && stamp_matches "$build/.config.inputs" "$inputs"; then
		CONFIG_REUSED=yes
		return
	fi
	rm -f "$build/.config.inputs"
	kmake "$tree" "$build" -s tinyconfig >"$build/config.log" 2>&1 ||
		die "make tinyconfig failed: $(make_failure "$build/config.log" "$build")"
	# shellcheck disable=SC2046 # a list of fragment paths
	(cd "$tree" && scripts/kconfig/merge_config.sh -m -O "$build" "$build/.config" $(config_fragments)) \
		>>"$build/config.log" 2>&1 || die "merge_config.sh failed: $(make_failure "$build/config.log" "$build")"
	kmake "$tree" "$build" -s olddefconfig >>"$build/config.log" 2>&1 ||
		die "make olddefconfig failed: $(make_failure "$build/config.log" "$build")"
	echo "$inputs" >"$build/.config.inputs"
}

# True if some Kconfig file of the tree defines the symbol (CONFIG_ less).
kconfig_defines() {
	grep -rqx --include='Kconfig*' "\(menu\)\?config $2" "$1"
}

# Every =y of a fragment must survive: a missing dependency silently
# drops a symbol, and the tests with it. Symbols the tree does not define
# at all (KUnit before 5.5, a test the branch does not carry) are listed.
configure_kernel() {
	local tree=$1 build=$2 fragment line missing=() absent=()
	stage_begin config "$KERNEL_ARCH"
	write_config "$tree" "$build"
	for fragment in $(config_fragments); do
		while read -r line; do
			grep -qx "$line" "$build/.config" && continue
			line=${line%=y}
			if kconfig_defines "$tree" "${line#CONFIG_}"; then missing+=("$line"); else absent+=("$line"); fi
		done < <(grep '^CONFIG_.*=y$' "$fragment")
	done
	[ ${#missing[@]} -eq 0 ] || die "config dropped ${missing[*]} (unmet dependencies?)"
	stage_end ok "tinyconfig + $(basename -a $(config_fragments) | paste -sd+)${absent:+; not in this tree: ${absent[*]}}${CONFIG_REUSED:+; $REUSED_NOTE}"
}

# Architectures that no QEMU boot here runs, whose C files a series may
# change (ARCH CROSS_COMPILE DEFCONFIG): those files are compiled with
# W=1 by the architecture's cross compiler in its defconfig, judged as
# the main build is.
CROSS_ONLY_ARCHES='
powerpc powerpc64le-linux-gnu- ppc64le_defconfig
'

# The objects of C files (stdin, one per line). A C file that another of
# its folder #includes (a KUnit suite such as core-book3s-test.c) builds
# only inside that one: its object stands for it.
objects_of_c_files() {
	local tree=$1 file includer
	while read -r file; do
		includer=$(cd "$tree" && grep -lsF "#include \"$(basename "$file")\"" "$(dirname "$file")"/*.c | head -n 1)
		includer=${includer:-$file}
		echo "${includer%.c}.o"
	done | sort -u
}

cross_compile_changed() {
	local tree=$1 arch cross defconfig objs build
	while read -r arch cross defconfig; do
		[ -n "$arch" ] || continue
		objs=$(git -C "$tree" diff --name-only skidguard-base HEAD -- "arch/$arch/*.c" | objects_of_c_files "$tree")
		[ -n "$objs" ] || continue
		stage_begin build "$arch"
		# shellcheck disable=SC2046 # a list of package names
		ensure_packages $(packages_of "$arch")
		build="$WORK/build/$(basename "$tree")-$arch"
		mkdir -p "$build"
		# shellcheck disable=SC2086 # a list of objects
		{ KERNEL_ARCH=$arch CROSS_COMPILE=$cross kmake "$tree" "$build" -s "$defconfig" &&
			KERNEL_ARCH=$arch CROSS_COMPILE=$cross kmake "$tree" "$build" W=1 $objs; } >"$build/build.log" 2>&1 ||
			die "$arch build failed: $(make_failure "$build/build.log" "$build")"
		judge_findings "$tree" "$build/build.log" "W=1 warning" "; $defconfig: $(echo $objs)"
	done <<<"$CROSS_ONLY_ARCHES"
}

# Each patch but the last must build on its own (bisectability): the
# folders whose C files it touches are compiled with that commit's own
# config. A build folder of its own keeps the main one incremental.
bisect_build() {
	local tree=$1 build=$2 branch=$3 commit dirs n=0
	build="$build-bisect"
	stage_begin "each patch builds" "$KERNEL_ARCH"
	for commit in $(git -C "$tree" rev-list --reverse "skidguard-base..skidguard/$branch^"); do
		dirs=$(series_c_dirs "$tree" "$commit")
		git -C "$tree" checkout -q "$commit"
		write_config "$tree" "$build"
		# shellcheck disable=SC2086 # a list of folders
		if ! kmake "$tree" "$build" W=1 $dirs >"$build/build.log" 2>&1; then
			git -C "$tree" checkout -q "skidguard/$branch"
			die "$(git -C "$tree" log -1 --format=%s "$commit") does not build on its own: $(make_failure "$build/build.log" "$build")"
		fi
		n=$((n + 1))
	done
	git -C "$tree" checkout -q "skidguard/$branch"
	stage_end ok "all $((n + 1)): the first $n each without the ones after it, the last as the whole series" "patches=$((n + 1))"
}

# The id of the tree's content, if it is all committed (a mutant applied
# as a diff is not): fails otherwise.
committed_content() {
	[ -z "$(git -C "$1" status --porcelain)" ] && git -C "$1" rev-parse 'HEAD^{tree}'
}

# What a kernel image depends on: the tree's committed content, the
# config and the compiler.
build_inputs() {
	local tree=$1 build=$2 content
	content=$(committed_content "$tree") || return 1
	inputs_digest "$content" "$(sha256sum <"$build/.config")" "$(compiler_version)" "W=1 $KERNEL_IMAGE_TARGET"
}

# Builds the image; a stamp says which inputs it was built from, none
# while it is being built or when the tree has uncommitted changes.
compile_kernel() {
	local tree=$1 build=$2 log=$3 inputs
	rm -f "$build/.build.inputs"
	kmake "$tree" "$build" W=1 "$KERNEL_IMAGE_TARGET" >"$log" 2>&1 || return
	if [ "$log" = "$build/build.log" ] && inputs=$(build_inputs "$tree" "$build"); then
		echo "$inputs" >"$build/.build.inputs"
	fi
}

# True if the image and its build.log are from these very inputs.
kernel_is_current() {
	local inputs
	[ -f "$(kernel_image "$2")" ] && inputs=$(build_inputs "$1" "$2") && stamp_matches "$2/.build.inputs" "$inputs"
}

# Folders whose C files the series changes up to commit $2, but another
# architecture's (cross_compile_changed builds those).
series_c_dirs() {
	git -C "$1" diff --name-only skidguard-base "$2" -- '*.c' |
		awk -v own="arch/${KERNEL_ARCH/x86_64/x86}/" '!/^arch\// || index($0, own) == 1' |
		xargs -r -n1 dirname | sort -u | sed 's|$|/|'
}

# "file:line" of every line the series adds to C files and headers.
series_added_lines() {
	git -C "$1" diff -U0 skidguard-base HEAD -- '*.c' '*.h' | awk '
		/^\+\+\+ b\// { file = substr($0, 7) }
		/^@@ / { split(substr($3, 2), a, ","); n = (a[2] == "" ? 1 : a[2])
			for (i = 0; i < n; i++) print file ":" a[1] + i }'
}

# Warnings and errors of a compiler or sparse log as "file:line: text",
# relative to the tree.
log_findings() {
	local tree=$1 log=$2
	sed -n "s#^$tree/\([^:]*:[0-9]*\):[0-9]*: \(warning\|error\): #\1: #p" "$log" | sort -u
}

# Of the findings $2 on added lines, those whose message the base's own
# code in the same file raises too (sparse on rcu_dereference(event->rb),
# whose pointer lacks __rcu): the file's idiom, not the series' fault.
base_idioms() {
	local all=$1 new=$2
	[ -n "$new" ] || return 0
	awk -F': ' 'NR == FNR { new[$0] = 1; next }
		FILENAME == "-" && !($0 in new) { split($1, at, ":"); seen[at[1] FS substr($0, length($1) + 3)] = 1; next }
		FILENAME != "-" { split($1, at, ":"); if ((at[1] FS substr($0, length($1) + 3)) in seen) print }' \
		<(printf '%s\n' "$new") - <(printf '%s\n' "$new") <<<"$all"
}

# Fails the stage on a finding on a line the series adds, but for the
# base's idioms; counts those the base already had in the files the
# series touches. $3 names them.
judge_findings() {
	local tree=$1 log=$2 what=$3 note=${4:-} all new idioms old
	all=$(log_findings "$tree" "$log")
	new=$(grep -F -f <(series_added_lines "$tree" | sed 's/$/: /') <<<"$all" || true)
	idioms=$(base_idioms "$all" "$new")
	[ -z "$idioms" ] || new=$(grep -vxF -f <(printf '%s\n' "$idioms") <<<"$new" || true)
	if [ -n "$new" ]; then
		head -n 5 <<<"$new" >&2
		die "$(grep -c . <<<"$new") $what(s) on lines the series adds: $(head -n 1 <<<"$new")"
	fi
	old=$(grep -cF -f <(git -C "$tree" diff --name-only skidguard-base HEAD -- '*.c' '*.h' | sed 's/$/:/') <<<"$all" || true)
	old=$((old - $(grep -c . <<<"$idioms" || true)))
	[ "$old" -gt 0 ] || old=
	[ -z "$idioms" ] || note="; $(grep -c . <<<"$idioms") on added lines as the base's code has them in the same file$note"
	stage_end ok "0 ${what}s on lines the series adds${old:+; $old in touched files, all in code the base already had}$note" \
		"added_lines_findings=0" "touched_files_findings=${old:-0}"
}

# W=1 build. A warning on a line the series adds fails the stage; older
# trees have warnings of their own in the same files, which are counted.
build_kernel() {
	local tree=$1 build=$2 reused=
	stage_begin build "$KERNEL_ARCH"
	if kernel_is_current "$tree" "$build"; then
		reused="; $REUSED_NOTE"
	else
		compile_kernel "$tree" "$build" "$build/build.log" ||
			die "kernel build failed: $(make_failure "$build/build.log" "$build")"
	fi
	judge_findings "$tree" "$build/build.log" "W=1 warning" "$reused"
}

# sparse (C=2) over the kernel folders the series touches, judged as W=1.
check_sparse() {
	local tree=$1 build=$2 inputs reused=
	stage_begin sparse "$KERNEL_ARCH"
	fetch_sparse
	# The build stage just left a stamp of the image's inputs.
	inputs=$(inputs_digest "$(cat "$build/.build.inputs" 2>/dev/null)" "$SPARSE_VERSION")
	if [ -f "$build/.build.inputs" ] && stamp_matches "$build/.sparse.inputs" "$inputs"; then
		reused="; $REUSED_NOTE"
	else
		rm -f "$build/.sparse.inputs"
		# shellcheck disable=SC2046 # a list of folders
		kmake "$tree" "$build" C=2 CHECK="$SPARSE" $(series_c_dirs "$tree" HEAD | grep -v '^tools/') \
			>"$build/sparse.log" 2>&1 || die "sparse run failed: $(make_failure "$build/sparse.log" "$build")"
		grep -q '^  CHECK ' "$build/sparse.log" || die "the kernel refused sparse: $(grep -m1 'sparse' "$build/sparse.log")"
		[ ! -f "$build/.build.inputs" ] || echo "$inputs" >"$build/.sparse.inputs"
	fi
	judge_findings "$tree" "$build/sparse.log" "sparse warning" "$reused"
}

# Text of the folders the series' code changes (kernel/events/, say: the
# fix can move code between its files), base against series, in a build
# folder of its own: the base's config, the series' new options at their
# defaults (its tests off), as a distribution would build it. A figure,
# not a test. The base's objects are built once per base, config and
# compiler, and kept; the comparison runs again when the tree changes.
BLOAT_TARGET=64
bloat_core() {
	local tree=$1 build=$2-bloat branch=$3 flag=-t what=text delta base content inputs= reused= dirs
	stage_begin bloat-o-meter "$KERNEL_ARCH"
	grep -q "'-t'" "$tree/scripts/bloat-o-meter" || { flag='' what="all symbols"; }
	dirs=$(series_c_dirs "$tree" HEAD | grep -v '^tools/' | paste -sd' ')
	[ -n "$dirs" ] || { stage_end skip "the series changes no kernel C file"; return; }
	base="$WORK/cache/bloat-base/$(inputs_digest "$(base_config_inputs "$tree")" "$dirs")"
	# shellcheck disable=SC2086 # a list of folders
	[ -f "$base/built-in.o" ] || bloat_base_objects "$tree" "$build" "$branch" "$base" $dirs
	content=$(committed_content "$tree") && inputs=$(inputs_digest "$base" "$content" "$flag")
	if [ -n "$inputs" ] && [ -f "$build/bloat.txt" ] && stamp_matches "$build/.bloat.inputs" "$inputs"; then
		reused="; $REUSED_NOTE"
	else
		rm -f "$build/.bloat.inputs"
		cmp -s "$base/config" "$build/.config" || cp "$base/config" "$build/.config"
		# shellcheck disable=SC2086 # a list of folders
		{ kmake "$tree" "$build" -s olddefconfig && kmake "$tree" "$build" $dirs &&
			link_built_in "$build" "$build/series-built-in.o" $dirs; } >"$build/build.log" 2>&1 ||
			die "$dirs of the series do not build: $(make_failure "$build/build.log" "$build")"
		# shellcheck disable=SC2086 # an optional flag
		python3 "$tree/scripts/bloat-o-meter" $flag "$base/built-in.o" "$build/series-built-in.o" >"$build/bloat.txt" 2>&1 ||
			die "bloat-o-meter failed: $(tail -n 1 "$build/bloat.txt")"
		[ -z "$inputs" ] || echo "$inputs" >"$build/.bloat.inputs"
	fi
	delta=$(sed -n '1s/.*(\(-\{0,1\}[0-9]*\))$/\1/p' "$build/bloat.txt")
	[ -n "$delta" ] || die "bloat-o-meter printed no total: $(head -n 1 "$build/bloat.txt")"
	[ "$delta" -lt 0 ] || delta="+$delta"
	stage_end ok "$dirs $what $delta bytes; $(sed -n '1s/ up\/down.*//p' "$build/bloat.txt")$(
		[ "$branch" != mainline ] || printf '; target at most +%s: %s' "$BLOAT_TARGET" \
			"$([ "${delta#+}" -le "$BLOAT_TARGET" ] && echo met || echo MISSED)")$reused" "delta_bytes=${delta#+}"
}

# The built-in objects of folders $3... of build folder $1, linked into one
# relocatable object $2 (a thin built-in.a's members, or an old built-in.o).
link_built_in() {
	local build=$1 out=$2 dir
	local -a members=()
	shift 2
	for dir in "$@"; do
		if [ -f "$build/${dir}built-in.a" ]; then
			mapfile -t -O "${#members[@]}" members < <(cd "$build" && "${CROSS_COMPILE}ar" t "${dir}built-in.a")
		else
			members+=("${dir}built-in.o")
		fi
	done
	(cd "$build" && "${CROSS_COMPILE}ld" -r -o "$out" "${members[@]}")
}

# The base's objects of folders $5... and its config into folder $4, built
# in folder $2 with the base checked out; the tree goes back to the series.
bloat_base_objects() {
	local tree=$1 build=$2 branch=$3 dest=$4 ok=
	shift 4
	git -C "$tree" checkout -q skidguard-base
	# The folder's config is the series' now, whatever its stamp says.
	rm -f "$build/.config.inputs"
	write_config "$tree" "$build"
	mkdir -p "$dest.tmp.$$"
	cleanup_later "$dest.tmp.$$"
	{ kmake "$tree" "$build" "$@" && link_built_in "$build" "$dest.tmp.$$/built-in.o" "$@"; } >"$build/build.log" 2>&1 && ok=yes
	git -C "$tree" checkout -q "skidguard/$branch"
	[ -n "$ok" ] || die "the base's $* do not build: $(make_failure "$build/build.log" "$build")"
	cp "$build/.config" "$dest.tmp.$$/config"
	mv "$dest.tmp.$$" "$dest"
}

kernel_image() {
	if [ "$KERNEL_IMAGE_TARGET" = vmlinux ]; then echo "$1/vmlinux"; else echo "$1/arch/$KERNEL_ARCH/boot/$KERNEL_IMAGE_TARGET"; fi
}

# Boots under TCG (nested KVM hangs here) with a hard timeout. KUnit runs
# during boot, the initramfs's /init runs the kselftests and reboots, and
# -no-reboot turns that into QEMU's exit.
boot_qemu() {
	local build=$1 log=$2 rc=0
	local initrd=(-initrd "$build/initramfs.cpio")
	local append="console=$CONSOLE panic=-1 kunit.filter_glob=${KUNIT_FILTER:-perf_skid*}"
	# A branch may add to it (cmdline= in its source file), and so may a test.
	append+=" $(series_source "$BRANCH" cmdline) ${SKIDGUARD_CMDLINE_EXTRA:-}"
	# KUnit alone: no init to run; the machine reboots once KUnit is done.
	if [ -n "$KUNIT_ONLY" ]; then
		initrd=()
		append+=" kunit_shutdown=reboot"
	fi
	# shellcheck disable=SC2086 # extra QEMU options are a word list
	timeout -k 5 "$BOOT_TIMEOUT" "${QEMU[@]}" -m 512 -smp 1 -nographic -no-reboot \
		-kernel "$(kernel_image "$build")" "${initrd[@]}" \
		-append "$append" ${SKIDGUARD_QEMU_EXTRA:-} </dev/null >"$log" 2>"$log.qemu" || rc=$?
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		[ -s "$log" ] || die "QEMU printed nothing before its ${BOOT_TIMEOUT}s timeout"
		die "QEMU did not finish within ${BOOT_TIMEOUT}s; last console line: $(tail -n 1 "$log" | tr -d '\r')"
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

boot_kernel() {
	local build=$1 log=$2
	stage_begin boot "$KERNEL_ARCH"
	boot_qemu "$build" "$log"
	stage_end ok "$(wc -l <"$log") console lines, QEMU TCG" "console_lines=$(wc -l <"$log")"
}

# $1 / $2 to $3 decimals (2 by default), or "-".
ratio() { awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { if (b > 0) printf "%.*f", d, a / b; else print "-" }'; }

# One figure of a console's "figures: TEST name=value" lines, or nothing.
figure_of() { python3 "${RESULTS[@]}" figures "$1" "$2" | tr ' ' '\n' | sed -n "s/^$2\.$3=//p"; }

# The cost of an overflow through the default output handler, kept and
# skipped, from the KUnit cost case under TCG: printed, never asserted.
# $2 and $3: the log and name of the mutant with the base's overflow path.
# The kept figure and its ratio come first: the cover letter's row is the
# detail up to its first ';'.
report_overflow_cost() {
	local log=$1 baseline_log=${2:-} baseline_name=${3:-} kept skipped base_kept= base_skipped= cheaper detail
	kept=$(figure_of "$log" overflow_cost kept_ns)
	skipped=$(figure_of "$log" overflow_cost skipped_ns)
	[ -n "$kept" ] && [ -n "$skipped" ] || return 0
	stage_begin "overflow cost" "$KERNEL_ARCH"
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
	python3 "${RESULTS[@]}" counts "$json" >"$results"
	[ "$(result_of "$results" total)" -gt 0 ] || die "kunit.py parse found 0 $what in $input"
}

# KUnit's results of console log $2 into results file $3. A tree without
# KUnit has none: zero cases.
kunit_results() {
	local tree=$1 log=$2 results=$3
	if ! has_kunit "$tree"; then
		printf 'total=0\npassed=0\nfailed=0\nskipped=0\nfailed_cases=\n' >"$results"
		return
	fi
	python3 "${RESULTS[@]}" kunit-log "$log" "${results%.results}.log"
	parse_ktap "$tree" "${results%.results}.log" "$results" "KUnit tests (did the test's Kconfig symbol survive?)"
}

# KUnit came in 5.5.
has_kunit() { [ -f "$1/tools/testing/kunit/kunit.py" ]; }

# The counts of a results file as a record's figures.
counts_of() {
	local name
	for name in total passed failed skipped; do printf '%s=%s\n' "$name" "$(result_of "$1" "$name")"; done
}

check_kunit() {
	local tree=$1 log=$2 results=$3
	stage_begin kunit "$KERNEL_ARCH"
	has_kunit "$tree" || { stage_end skip "the tree has no KUnit (added in 5.5)"; return; }
	kunit_results "$tree" "$log" "$results"
	[ "$(result_of "$results" failed)" -eq 0 ] ||
		die "$(result_of "$results" failed) of $(result_of "$results" total) KUnit cases failed: $(result_of "$results" failed_cases)"
	# shellcheck disable=SC2046 # name=value words
	stage_end ok "$(result_of "$results" passed)/$(result_of "$results" total) passed, $(result_of "$results" skipped) skipped" \
		$(counts_of "$results")
}
