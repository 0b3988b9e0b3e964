# shellcheck shell=bash
# Builds what a boot needs: the kernel (config, W=1 build, sparse,
# bloat-o-meter, each patch on its own, other architectures' files), the
# kselftests and a static perf, packed with busybox into the initramfs.

# The architecture the build functions work on (arch_settings ARCH): its
# cross compiler and kernel image (its Debian packages are in deps.sh,
# its QEMU machine in boot.sh).
arch_settings() {
	KERNEL_ARCH=$1
	case "$KERNEL_ARCH" in
	x86_64)
		CROSS_COMPILE=
		KERNEL_IMAGE_TARGET=bzImage
		;;
	arm64)
		CROSS_COMPILE=aarch64-linux-gnu-
		KERNEL_IMAGE_TARGET=Image
		;;
	powerpc)
		CROSS_COMPILE=powerpc64le-linux-gnu-
		# VOF, not SLOF: QEMU boots vmlinux directly.
		KERNEL_IMAGE_TARGET=vmlinux
		;;
	*) die "unsupported architecture '$KERNEL_ARCH' (x86_64, arm64 or powerpc)" ;;
	esac
}
arch_settings x86_64

# True if ARCH boots for KUnit alone: without an initramfs or the
# skid.config fragment, ended by kunit_shutdown.
kunit_only_arch() { [ "$1" = powerpc ]; }

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

# The fragments of a config; $1: one more (the debug boot's).
config_fragments() {
	echo "$SKIDGUARD_ROOT/config/$KERNEL_ARCH.config"
	# The generic suite, the test PMU and the selftests' needs: full boots only.
	kunit_only_arch "$KERNEL_ARCH" || echo "$SKIDGUARD_ROOT/config/skid.config"
	[ -z "${1:-}" ] || echo "$1"
}

# The compiler's version, which the config and every object depend on.
compiler_version() { "${CROSS_COMPILE}gcc" --version | head -n 1; }

# What the base's config depends on: the base, the fragments (with $2,
# an extra one), the architecture and the compiler.
base_config_inputs() {
	# shellcheck disable=SC2046 # a list of fragment paths
	inputs_digest "$(git -C "$1" rev-parse skidguard-base)" "$(cat $(config_fragments "${2:-}"))" "$KERNEL_ARCH" "$(compiler_version)"
}

# What the checked-out commit's config depends on: the base's inputs and
# the Kconfig files, config fragments and kconfig sources it changes.
config_inputs() {
	local tree=$1 extra=${2:-} changed
	changed=$(git -C "$tree" diff --name-only skidguard-base HEAD |
		grep -E '(^|/)Kconfig[^/]*$|\.config$|^scripts/kconfig/' || true)
	# shellcheck disable=SC2086 # a list of paths
	inputs_digest "$(base_config_inputs "$tree" "$extra")" "$([ -z "$changed" ] || git -C "$tree" ls-tree HEAD -- $changed)"
}

# True if build folder $2's config is from these very inputs ($3: the
# extra fragment).
config_is_current() {
	[ -f "$2/.config" ] && stamp_matches "$2/.config.inputs" "$(config_inputs "$1" "${3:-}")"
}

# tinyconfig plus the fragments (and $3, an extra one), through
# merge_config.sh; kept as it is when its inputs did not change.
write_config() {
	local tree=$1 build=$2 extra=${3:-} inputs
	mkdir -p "$build"
	config_is_current "$tree" "$build" "$extra" && return
	inputs=$(config_inputs "$tree" "$extra")
	rm -f "$build/.config.inputs"
	kmake "$tree" "$build" -s tinyconfig >"$build/config.log" 2>&1 ||
		die "make tinyconfig failed: $(make_failure "$build/config.log" "$build")"
	# shellcheck disable=SC2046 # a list of fragment paths
	(cd "$tree" && scripts/kconfig/merge_config.sh -m -O "$build" "$build/.config" $(config_fragments "$extra")) \
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
	local tree=$1 build=$2 extra=${3:-} fragment line missing=() absent=() reused=
	stage_begin config "$KERNEL_ARCH"
	! config_is_current "$tree" "$build" "$extra" || reused="; $REUSED_NOTE"
	write_config "$tree" "$build" "$extra"
	for fragment in $(config_fragments "$extra"); do
		while read -r line; do
			grep -qx "$line" "$build/.config" && continue
			line=${line%=y}
			if kconfig_defines "$tree" "${line#CONFIG_}"; then missing+=("$line"); else absent+=("$line"); fi
		done < <(grep '^CONFIG_.*=y$' "$fragment")
	done
	[ ${#missing[@]} -eq 0 ] || die "config dropped ${missing[*]} (unmet dependencies?)"
	stage_end ok "tinyconfig + $(basename -a $(config_fragments "$extra") | paste -sd+)${absent:+; not in this tree: ${absent[*]}}$reused"
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
# config. A build folder of its own keeps the main one incremental. Up
# to a commit that changes only another architecture's files and
# documentation (a powerpc patch first in the series), this architecture
# builds the base, so there is nothing to build: make without a folder
# would build the whole kernel for nothing.
each_patch_builds() {
	local tree=$1 build=$2 branch=$3 commit dirs n=0 idle=0
	build="$build-bisect"
	stage_begin "each patch builds" "$KERNEL_ARCH"
	for commit in $(git -C "$tree" rev-list --reverse "skidguard-base..skidguard/$branch^"); do
		n=$((n + 1))
		if [ -z "$(series_files "$tree" "$commit" . | grep -v '^Documentation/')" ]; then
			idle=$((idle + 1))
			continue
		fi
		dirs=$(series_c_dirs "$tree" "$commit")
		git -C "$tree" checkout -q "$commit"
		write_config "$tree" "$build"
		# shellcheck disable=SC2086 # a list of folders
		if ! kmake "$tree" "$build" W=1 $dirs >"$build/build.log" 2>&1; then
			git -C "$tree" checkout -q "skidguard/$branch"
			die "$(git -C "$tree" log -1 --format=%s "$commit") does not build on its own: $(make_failure "$build/build.log" "$build")"
		fi
	done
	git -C "$tree" checkout -q "skidguard/$branch"
	stage_end ok "all $((n + 1)): $((n - idle)) each without the ones after it, $([ "$idle" -eq 0 ] ||
		echo "$idle with nothing $KERNEL_ARCH builds yet, ")the last as the whole series" "patches=$((n + 1))"
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

# Files the series changes up to commit $2 that match pattern $3, but
# another architecture's (cross_compile_changed builds those).
series_files() {
	git -C "$1" diff --name-only skidguard-base "$2" -- "$3" |
		awk -v own="arch/${KERNEL_ARCH/x86_64/x86}/" '!/^arch\// || index($0, own) == 1'
}

# Folders whose C files the series changes up to commit $2.
series_c_dirs() {
	series_files "$1" "$2" '*.c' | xargs -r -n1 dirname | sort -u | sed 's|$|/|'
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
	# Not in $(...): its error line must reach the run.
	fetch_sparse >"$build/sparse.version"
	# The build stage just left a stamp of the image's inputs.
	inputs=$(inputs_digest "$(cat "$build/.build.inputs" 2>/dev/null)" "$(cat "$build/sparse.version")")
	if [ -f "$build/.build.inputs" ] && stamp_matches "$build/.sparse.inputs" "$inputs"; then
		reused="; $REUSED_NOTE"
	else
		rm -f "$build/.sparse.inputs"
		# shellcheck disable=SC2046 # a list of folders
		kmake "$tree" "$build" C=2 CHECK="$(sparse_command)" $(series_c_dirs "$tree" HEAD | grep -v '^tools/') \
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
bloat_o_meter() {
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

# The perf_events kselftests, built static and installed with kselftest's
# own install target into a busybox initramfs that the QEMU boot runs.

# Installed but not run on an architecture's QEMU machine: upstream tests
# that fail there for reasons outside this series, rather than skip.
declare -A KSELFTEST_NOT_RUN=(
	[x86_64]="perf_events:remove_on_exec"
	[arm64]="perf_events:sigtrap_threads"
)

declare -A KSELFTEST_NOT_RUN_WHY=(
	[perf_events:remove_on_exec]="counts hardware instructions, which x86 QEMU cannot"
	[perf_events:sigtrap_threads]="its watchpoint stress cases take minutes under arm64 TCG"
)

# A branch adds its own in its source file: kselftest_not_run=COLLECTION:TEST
# and kselftest_not_run_why=REASON (one test).
# kselftests_skipped BRANCH ARCH
kselftests_skipped() {
	echo "${KSELFTEST_NOT_RUN[$2]:-} $(series_source "$1" kselftest_not_run)"
}

# Why COLLECTION:TEST $1 is not run, for branch $2.
kselftest_not_run_why() {
	echo "${KSELFTEST_NOT_RUN_WHY[$1]:-$(series_source "$2" kselftest_not_run_why)}"
}

# Trees before 5.13 have no perf_events selftests: their series carry
# none, and the initramfs then only runs KUnit's boot-time suite.
has_kselftests() {
	local target
	for target in $KSELFTEST_TARGETS; do
		[ -d "$1/tools/testing/selftests/$target" ] || return 1
	done
}

# Before 5.9 the kselftest runner was a script written by the install
# target, with no options and "selftests: NAME [PASS]" lines, not KTAP.
legacy_kselftests() { [ ! -f "$1/tools/testing/selftests/run_kselftest.sh" ]; }

# Builds each target with its own Makefile and writes the runner the way
# those trees' install target did (their top Makefile drops CC= for its
# sub-makes when run from another make).
build_legacy_kselftests() {
	local tree=$1 build=$2 install=$3 log=$4 target
	mkdir -p "$install"
	printf '#!/bin/sh\ncd "$(dirname "$0")"\n' >"$install/run_kselftest.sh"
	for target in $KSELFTEST_TARGETS; do
		mkdir -p "$build/kselftest/$target"
		make -C "$tree/tools/testing/selftests/$target" OUTPUT="$build/kselftest/$target" \
			CC="${CROSS_COMPILE}gcc -static" INSTALL_PATH="$install/$target" install >>"$log" 2>&1 ||
			die "kselftest build failed: $(make_failure "$log" "$build")"
		{
			echo "cd $target"
			make -s --no-print-directory -C "$tree/tools/testing/selftests/$target" \
				OUTPUT="$build/kselftest/$target" emit_tests
			echo "cd .."
		} >>"$install/run_kselftest.sh"
	done
	chmod 755 "$install/run_kselftest.sh"
}

no_kselftests_why() { echo "the tree has no tools/testing/selftests/$KSELFTEST_TARGETS (added in 5.13)"; }

# Stage: headers, selftests, busybox, and <build>/initramfs.cpio; $3: the
# branch, whose source file may leave some tests out.
kselftest_build() {
	local tree=$1 build=$2 branch=$3
	local root="$build/initramfs.d" log="$build/kselftest-build.log"
	stage_begin "kselftest build" "$KERNEL_ARCH"
	rm -rf "$build/kselftest_install" "$root"
	mkdir -p "$root/bin"
	if has_kselftests "$tree" && legacy_kselftests "$tree"; then
		: >"$log"
		build_legacy_kselftests "$tree" "$build" "$build/kselftest_install" "$log"
		cp -a "$build/kselftest_install" "$root/kselftest"
		sed -n 's|^(\./\([^ ]*\) .*|\1|p' "$build/kselftest_install/run_kselftest.sh" >"$root/kselftest-selection"
	elif has_kselftests "$tree"; then
		kmake "$tree" "$build" headers >"$log" 2>&1 || die "make headers failed: $(make_failure "$log" "$build")"
		make -C "$tree/tools/testing/selftests" O="$build" ARCH="$KERNEL_ARCH" \
			CROSS_COMPILE="$CROSS_COMPILE" CC="${CROSS_COMPILE}gcc -static" \
			TARGETS="$KSELFTEST_TARGETS" KSFT_INSTALL_PATH="$build/kselftest_install" install \
			>>"$log" 2>&1 || die "kselftest build failed: $(make_failure "$log" "$build")"
		# shellcheck disable=SC2086 # a word list
		grep -vxF -f <(printf '%s\n' $(kselftests_skipped "$branch" "$KERNEL_ARCH")) \
			"$build/kselftest_install/kselftest-list.txt" | sed 's/^/-t /' >"$root/kselftest-selection"
		cp -a "$build/kselftest_install" "$root/kselftest"
	fi
	fetch_busybox "$KERNEL_ARCH"
	cp "$(busybox_of "$KERNEL_ARCH")" "$root/bin/busybox"
	add_perf_tests "$tree" "$build" "$root"
	install -m 755 "$SKIDGUARD_ROOT/harness/initramfs-init" "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet) >"$build/initramfs.cpio" ||
		die "cannot pack the initramfs"
	if [ -f "$root/kselftest-selection" ]; then
		stage_end ok "$(grep -c . "$root/kselftest-selection") tests to run, $(du -k "$build/initramfs.cpio" | cut -f1) KiB initramfs"
	else
		stage_end skip "no kselftests: $(no_kselftests_why); busybox-only initramfs"
	fi
}

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

# wants_perf_tests TREE ARCH
wants_perf_tests() { [ "$2" = "$PERF_TEST_ARCH" ] && [ -n "$(series_perf_tests "$1")" ]; }

# Stage: <build>/perf-tool/perf, rebuilt by perf's own make when its
# sources changed.
perf_build() {
	local tree=$1 build=$2 out="$2/perf-tool" log="$2/perf-build.log" options
	wants_perf_tests "$tree" "$KERNEL_ARCH" || return 0
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
	wants_perf_tests "$tree" "$KERNEL_ARCH" || return 0
	install -D -m 755 "$build/perf-tool/perf" "$root/bin/perf"
	mkdir -p "$root/perf-tests"
	for test in $(series_perf_tests "$tree"); do
		install -m 755 "$tree/$test" "$root/perf-tests/"
	done
}
