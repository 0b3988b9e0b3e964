# shellcheck shell=bash
# Base trees: the newest matching linux-source package from Debian's
# registry, unpacked and committed into a scratch git repository, or a
# user's own kernel tree (KERNEL_TREE), cloned without touching it.
# prepare_base BRANCH leaves the branch's base for the rest of the run:
# base_tree_of BRANCH (a git repo whose tag skidguard-base is the base)
# and base_version_of BRANCH.

APT_DIR=
# Another architecture's packages: set by a caller for one call
# (APT_ARCH=arm64 unpack_packages_once ...), never by the environment.
APT_ARCH=
APT_OPTS=()

# "URI SUITE" of each enabled deb entry with the component main (a Debian
# archive, not a third party's) in the apt sources of $1 (default
# /etc/apt): one-line .list files and deb822 .sources files alike.
apt_source_entries() {
	local etc=${1:-/etc/apt} file
	for file in "$etc/sources.list" "$etc"/sources.list.d/*.list; do
		[ -f "$file" ] || continue
		awk '$1 == "deb" {
				i = 2
				if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
				for (c = i + 2; c <= NF && $c !~ /^#/; c++) if ($c == "main") { print $i, $(i + 1); next }
			}' "$file"
	done
	for file in "$etc"/sources.list.d/*.sources; do
		[ -f "$file" ] || continue
		awk 'BEGIN { RS = ""; FS = "\n" }
			{	types = uris = suites = components = ""; enabled = "yes"
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^#/ || $i !~ /:/) continue
					key = tolower(substr($i, 1, index($i, ":") - 1))
					value = " " substr($i, index($i, ":") + 1) " "
					gsub(/[ \t]+/, " ", value)
					if (key == "types") types = value
					else if (key == "uris") uris = value
					else if (key == "suites") suites = value
					else if (key == "components") components = value
					else if (key == "enabled") enabled = tolower(value)
				}
				if (enabled == " no " || types !~ / deb / || components !~ / main /) next
				nu = split(uris, u, " "); ns = split(suites, s, " ")
				for (a = 1; a <= nu; a++) for (b = 1; b <= ns; b++) print u[a], s[b]
			}' "$file"
	done
}

# This machine's Debian release (bookworm), or nothing.
os_codename() { sed -n 's/^VERSION_CODENAME=//p' /etc/os-release 2>/dev/null || true; }

# The Debian archive that carries suite $1, as this machine's apt reaches
# it: the source of its own release (or of its -security suite, for a
# security suite); a mirror+file: list gives its first mirror.
# SKIDGUARD_DEBIAN_MIRROR overrides it, with the security archive beside
# it at <URL>-security as on Debian's own mirrors. $2: another /etc/apt
# (tests). Prints it, or nothing (status 1): require_suite_mirror says why.
suite_mirror() {
	local suite=$1 etc=${2:-/etc/apt} security='' codename mirror
	[[ $suite != *-security ]] || security=-security
	if [ -n "$DEBIAN_MIRROR" ]; then
		echo "${DEBIAN_MIRROR%/}$security"
		return
	fi
	codename=$(os_codename)
	[ -n "$codename" ] || return 1
	mirror=$(apt_source_entries "$etc" | awk -v suite="$codename$security" '$2 == suite { print $1; exit }')
	if [[ $mirror == mirror+file:* ]]; then
		mirror=$(sed -n 's/^\([a-z]*:\/\/[^[:space:]]*\).*/\1/p' "${mirror#mirror+file:}" 2>/dev/null | head -n 1 || true)
	fi
	mirror=${mirror%/}
	[[ $mirror == http://* || $mirror == https://* ]] || return 1
	echo "$mirror"
}

# Ends the run when suite_mirror finds no archive for suite $1.
require_suite_mirror() {
	local codename security=''
	suite_mirror "$1" >/dev/null && return
	[[ $1 != *-security ]] || security=-security
	codename=$(os_codename)
	[ -n "$codename" ] ||
		die "no VERSION_CODENAME in /etc/os-release to find the Debian mirror by; set SKIDGUARD_DEBIAN_MIRROR=<archive URL>"
	die "no http(s) Debian mirror for $codename$security in this machine's apt sources (/etc/apt/sources.list*); set SKIDGUARD_DEBIAN_MIRROR=<archive URL>"
}

# A private apt state per suite set (and APT_ARCH, when set, for another
# architecture's packages): the host's sources stay untouched.
apt_setup() {
	local suite
	APT_DIR="$WORK/apt/$(echo "$*" "${APT_ARCH:-}" | tr ' ' '+')"
	mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
	: >"$APT_DIR/sources.list.tmp"
	for suite in "$@"; do
		require_suite_mirror "$suite"
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(suite_mirror "$suite") $suite main" \
			>>"$APT_DIR/sources.list.tmp"
	done
	mv "$APT_DIR/sources.list.tmp" "$APT_DIR/sources.list"
	APT_OPTS=(-o "Dir::Etc::SourceList=$APT_DIR/sources.list"
		-o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$APT_DIR/lists"
		-o "Dir::Cache=$APT_DIR/cache"
		-o Acquire::Languages=none
		-o APT::Sandbox::User=root)
	[ -z "${APT_ARCH:-}" ] || APT_OPTS+=(-o "APT::Architecture=$APT_ARCH" -o "APT::Architectures=$APT_ARCH")
}

# Refreshes the indexes; on a network failure, falls back to the last ones.
apt_refresh() {
	if ! apt-get "${APT_OPTS[@]}" -q update >"$APT_DIR/update.log" 2>&1 ||
		grep -q '^\(E:\|W: Failed\)' "$APT_DIR/update.log"; then
		ls "$APT_DIR"/lists/*_Packages >/dev/null 2>&1 ||
			die "cannot read Debian's package indexes for $*: $(grep -m1 '^\(E\|W\):' "$APT_DIR/update.log")"
		log "warning: could not refresh Debian's indexes; using the cached ones"
	fi
}

# Prints "VERSION SHA256 SIZE" of the newest version of package $1.
newest_version_of() {
	apt-cache "${APT_OPTS[@]}" show "$1" 2>/dev/null | awk '
		/^Version: / { v = $2 } /^SHA256: / { s = $2 } /^Size: / { z = $2 }
		/^$/ && v { print v, s, z; v = "" }
		END { if (v) print v, s, z }' |
		while read -r version sha size; do
			if [ -z "${newest:-}" ] || dpkg --compare-versions "$version" gt "$newest"; then
				newest=$version
				echo "$version $sha $size"
			fi
		done | tail -n 1
}

# Resolves a package pattern (linux-source-* allowed) to the newest package.
resolve_package() {
	local pattern=$1 name best_name= best= line
	local -a names
	mapfile -t names < <(apt-cache "${APT_OPTS[@]}" pkgnames linux-source- 2>/dev/null |
		grep -E '^linux-source-[0-9]+\.[0-9]+$' | sort -V)
	for name in "${names[@]}"; do
		# shellcheck disable=SC2053 # the pattern is meant to glob
		[[ $name == $pattern ]] || continue
		line=$(newest_version_of "$name")
		[ -n "$line" ] || continue
		if [ -z "$best" ] || dpkg --compare-versions "${line%% *}" gt "${best%% *}"; then
			best=$line
			best_name=$name
		fi
	done
	[ -n "$best" ] || return 1
	echo "$best_name $best"
}

fetch_package() {
	local name=$1 version=$2 sha=$3 deb=$4 tmp
	if [ -f "$deb" ]; then
		if [ "$(sha256sum <"$deb" | cut -d' ' -f1)" = "$sha" ]; then
			log "reusing $(basename "$deb")"
			return 0
		fi
		log "cached $(basename "$deb") is corrupt (sha256 mismatch); downloading again"
		rm -f "$deb"
	fi
	tmp=$(mktemp -d "$WORK/dl/.fetch.XXXXXX")
	cleanup_later "$tmp"
	(cd "$tmp" && apt-get "${APT_OPTS[@]}" -q download "$name=$version") >"$tmp/log" 2>&1 ||
		die "cannot download $name $version: $(grep -m1 '^E:' "$tmp/log" || tail -n 1 "$tmp/log")"
	local got=("$tmp"/*.deb)
	[ -f "${got[0]}" ] || die "cannot download $name $version: apt-get saved no file"
	[ "$(sha256sum <"${got[0]}" | cut -d' ' -f1)" = "$sha" ] ||
		die "download of $name $version is truncated or corrupt (sha256 mismatch)"
	mv "${got[0]}" "$deb"
}

# Unpacks a linux-source .deb into a fresh git repo at $2 (atomically).
unpack_package() {
	local deb=$1 dest=$2 tmp
	tmp="$dest.tmp.$$"
	cleanup_later "$tmp"
	mkdir -p "$tmp"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards '*/usr/src/linux-source-*.tar.xz' |
		tar -xJ -C "$tmp" --strip-components=1 ||
		die "cannot unpack $(basename "$deb"): archive is damaged"
	[ -f "$tmp/Makefile" ] && [ -d "$tmp/kernel/events" ] ||
		die "$(basename "$deb") holds no kernel tree"
	commit_base "$tmp" "Debian $(basename "$deb" .deb), less its top-level ignore block"
	mv "$tmp" "$dest"
}

# Commits the whole unpacked tree. Debian's .gitignore ends with a block
# that ignores the whole top level; it goes, so that files a patch adds
# show up in git status of the materialized tree.
commit_base() {
	local tree=$1 message=$2
	sed -i '/^# Debian packaging: ignore everything/,$d' "$tree/.gitignore"
	sed -i '${/^#$/d}' "$tree/.gitignore"
	git -C "$tree" init -q
	git -C "$tree" config gc.auto 0
	git -C "$tree" add -A -f
	GIT_AUTHOR_NAME=skidguard GIT_AUTHOR_EMAIL=skidguard@localhost \
		GIT_COMMITTER_NAME=skidguard GIT_COMMITTER_EMAIL=skidguard@localhost \
		GIT_AUTHOR_DATE='2000-01-01T00:00:00Z' GIT_COMMITTER_DATE='2000-01-01T00:00:00Z' \
		git -C "$tree" commit -q -m "$message"
	git -C "$tree" tag skidguard-base
}

# The harness commits in its trees (git am, and the reflog of git am
# --abort): with an identity of their own, as a fresh machine has none.
set_tree_identity() {
	git -C "$1" config user.name skidguard
	git -C "$1" config user.email skidguard@localhost
}

# A clone sharing the user's objects: their checkout and refs stay as
# they are. Prints its path and its version, a line each.
clone_user_tree() {
	local rev sha dest tmp
	git -C "$KERNEL_TREE" rev-parse --git-dir >/dev/null 2>&1 ||
		die "KERNEL_TREE=$KERNEL_TREE is not a git tree"
	rev=$KERNEL_REV
	sha=$(git -C "$KERNEL_TREE" rev-parse --verify -q "$rev^{commit}") ||
		die "KERNEL_TREE=$KERNEL_TREE has no commit '$rev'"
	dest="$WORK/src/user-${sha:0:12}"
	if [ ! -d "$dest" ]; then
		tmp="$dest.tmp.$$"
		cleanup_later "$tmp"
		git clone -q --shared --no-checkout "$KERNEL_TREE" "$tmp" ||
			die "cannot clone KERNEL_TREE=$KERNEL_TREE"
		git -C "$tmp" -c advice.detachedHead=false checkout -q "$sha"
		git -C "$tmp" tag -f skidguard-base >/dev/null
		mv "$tmp" "$dest"
	fi
	printf '%s\n%s\n' "$dest" "$(make -s -C "$dest" kernelversion 2>/dev/null) ($(git -C "$KERNEL_TREE" describe --always "$sha"))"
}

base_facts_file() { run_state_file "base-$1"; }
base_tree_of() { sed -n 1p "$(base_facts_file "$1")"; }
base_version_of() { sed -n 2p "$(base_facts_file "$1")"; }

# A branch whose base no registry here carries runs on KERNEL_TREE only.
needs_user_tree() { [ "$(series_source "$1" requires)" = KERNEL_TREE ]; }

# Stage: resolve, fetch and unpack the base of branch $1.
prepare_base() {
	local branch=$1 pattern suites name version sha size deb key recorded tree base_version
	require_branch "$branch"
	pattern=$(series_source "$branch" package)
	suites=$(series_source "$branch" suites)
	mkdir -p "$WORK/dl" "$WORK/src"

	stage_begin base
	[ -n "$KERNEL_TREE" ] || ! needs_user_tree "$branch" ||
		die "series/$branch has no base in any registry reachable here; run it on your own tree: make B=$branch KERNEL_TREE=<path> [KERNEL_REV=<rev>]"
	if [ -n "$KERNEL_TREE" ]; then
		# Not in $(...): its error line must reach the run.
		clone_user_tree >"$(base_facts_file "$branch")"
		tree=$(base_tree_of "$branch")
		base_version=$(base_version_of "$branch")
		set_tree_identity "$tree"
		stage_end ok "KERNEL_TREE: $base_version" "@version=$base_version"
		return
	fi
	[ -n "$pattern" ] && [ -n "$suites" ] || die "series/$branch/source names no package or suites"
	# shellcheck disable=SC2086 # suites is a word list
	apt_setup $suites
	apt_refresh "$suites"
	read -r name version sha size < <(resolve_package "$pattern") ||
		die "no package matching '$pattern' in Debian $suites"
	[ -n "${name:-}" ] || die "no package matching '$pattern' in Debian $suites"
	base_version="$name $version"
	deb="$WORK/dl/${name}_${version}_all.deb"
	fetch_package "$name" "$version" "$sha" "$deb"
	key=$(echo "${name}_${version}" | tr '~:' '--')
	tree="$WORK/src/$key"
	[ -d "$tree/.git" ] || unpack_package "$deb" "$tree"
	set_tree_identity "$tree"
	printf '%s\n%s\n' "$tree" "$base_version" >"$(base_facts_file "$branch")"

	recorded=$(sed -n "s/^verified=//p" "$SERIES_ROOT/$branch/base" 2>/dev/null || true)
	if [ -n "$recorded" ] && [ "$recorded" != "$base_version" ]; then
		stage_end ok "$base_version (series last verified on $recorded)" "@version=$base_version"
	else
		stage_end ok "$base_version ($((size / 1048576)) MiB)" "@version=$base_version" "size_mib=$((size / 1048576))"
	fi
}

# Records the base a branch was verified on, after a passing run.
record_verified_base() {
	local branch=$1
	[ -z "$KERNEL_TREE" ] || return 0
	printf '# Written by the harness after a passing run.\nverified=%s\n' "$(base_version_of "$branch")" \
		>"$SERIES_ROOT/$branch/base"
}

# Debian packages of another suite or architecture (APT_ARCH), fetched
# once and unpacked together into folder $1, never installed.
unpack_packages_once() {
	local dir=$1 suite=$2 name version sha size deb tmp
	shift 2
	[ ! -d "$dir" ] || return 0
	apt_setup "$suite"
	apt_refresh "$suite"
	mkdir -p "$WORK/dl"
	tmp="$dir.tmp.$$"
	cleanup_later "$tmp"
	mkdir -p "$tmp"
	for name in "$@"; do
		read -r version sha size < <(newest_version_of "$name") && [ -n "$sha" ] ||
			die "no $name in Debian $suite"
		deb="$WORK/dl/${name}_${version#*:}_${APT_ARCH:-amd64}.deb"
		fetch_package "$name" "$version" "$sha" "$deb"
		dpkg-deb -x "$deb" "$tmp" || die "cannot unpack $(basename "$deb")"
	done
	mv "$tmp" "$dir"
}

# busybox-static for the initramfs: the host's on x86_64, Debian's arm64
# package on arm64, at busybox_of ARCH.
fetch_busybox() {
	[ "$1" = x86_64 ] || APT_ARCH=$1 unpack_packages_once "$WORK/busybox-$1" bookworm busybox-static
}
busybox_of() {
	if [ "$1" = x86_64 ]; then echo /bin/busybox; else echo "$WORK/busybox-$1/bin/busybox"; fi
}

# sparse as the kernel accepts it: 6.14 and later want one that knows
# __typeof_unqual__, newer than Debian 12's 0.6.4. sid's runs from its own
# folder with sid's C library: sparse_command is its command line. Prints
# its version.
SPARSE_DIR="$WORK/sparse-sid"
sparse_command() {
	echo "$SPARSE_DIR/usr/lib64/ld-linux-x86-64.so.2 --library-path $SPARSE_DIR/usr/lib/x86_64-linux-gnu $SPARSE_DIR/usr/bin/sparse"
}
fetch_sparse() {
	local version
	unpack_packages_once "$SPARSE_DIR" sid sparse libc6
	# shellcheck disable=SC2046 # a command line
	version=$($(sparse_command) --version 2>&1) || die "sid's sparse does not run here: $(head -n 1 <<<"$version")"
	echo "$version"
}
