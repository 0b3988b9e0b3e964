# shellcheck shell=bash
# Debian packages the harness needs: installed when run as root, otherwise
# the one apt-get line to run is printed. Each package lists what it gives
# (commands, headers, libraries, Python modules, as an error names them),
# so that whatever is still missing is named with its package.

# SCOPE PACKAGE PROVIDES...; scope host is every job, x86_64 and arm64 the
# boot of that architecture, powerpc its cross build and powerpc-boot its
# KUnit boot. Found by running the harness in a minimal
# Debian 12 root (.ci/run does so on every run).
PACKAGE_TABLE='
host  bc                     bc
host  bison                  bison
host  ca-certificates        ca-certificates
host  ccache                 ccache
host  cpio                   cpio
host  flex                   flex
host  gcc                    gcc cc
host  git                    git
host  libc6-dev              stdio.h -lc
host  libelf-dev             gelf.h libelf.h -lelf
host  libssl-dev             openssl/bio.h openssl/opensslv.h -lcrypto
host  make                   make
host  perl                   perl
host  python3                python3
host  python3-ply            ply
host  rsync                  rsync
host  xz-utils               xz
x86_64 qemu-system-x86       qemu-system-x86_64
x86_64 busybox-static        busybox
arm64 qemu-system-arm        qemu-system-aarch64
arm64 gcc-aarch64-linux-gnu  aarch64-linux-gnu-gcc aarch64-linux-gnu-ld
arm64 libc6-dev-arm64-cross  aarch64-linux-gnu/libc.a
arm64 pkg-config             pkg-config
powerpc gcc-powerpc64le-linux-gnu powerpc64le-linux-gnu-gcc
powerpc-boot qemu-system-ppc  qemu-system-ppc64
'

# The packages of scope $1.
packages_of() { awk -v scope="$1" '$1 == scope { print $2 }' <<<"$PACKAGE_TABLE"; }

ensure_packages() {
	local pkg missing=()
	for pkg in "$@"; do
		dpkg-query -W -f='${db:Status-Status}\n' "$pkg" 2>/dev/null | grep -qx installed ||
			missing+=("$pkg")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	[ "$(id -u)" -eq 0 ] || die "missing Debian packages; run: sudo apt-get install -y ${missing[*]}"
	log "installing ${missing[*]}"
	{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; } \
		>"$WORK/apt-install.log" 2>&1 ||
		die "apt-get install ${missing[*]} failed: $(grep -m1 '^E:' "$WORK/apt-install.log")"
}

# The package the table names for something, or nothing.
package_providing() {
	awk -v name="$1" '{ for (i = 3; i <= NF; i++) if ($i == name) { print $2; exit } }' <<<"$PACKAGE_TABLE"
}

# The first thing a log says is missing: a program, as the shell, make,
# timeout or env word it, a Python module, or a header or library the
# table knows (a header the tree lacks is the tree's error, not a package's).
missing_in_log() {
	local name
	while read -r name; do
		case "$name" in
		*.h | -l*) [ -n "$(package_providing "$name")" ] || continue ;;
		esac
		echo "$name"
		return
	done < <(sed -n -E \
		-e "s/^.*(sh|bash)(: line)?(:? [0-9]+)?: ([^ :]+): (command )?not found$/\\4/p" \
		-e "s/^make(\\[[0-9]+\\])?: ([^ :]+): No such file or directory$/\\2/p" \
		-e "s/^.*fatal error: ([^ :]+): No such file or directory$/\\1/p" \
		-e "s/^.*cannot find (-l[^ :]+).*$/\\1/p" \
		-e "s/^([^ :]*\\/)?(timeout|env): [^']*('|‘)([^'’]+)('|’): No such file or directory$/\\4/p" \
		-e "s/^ModuleNotFoundError: No module named '([^'.]+).*$/\\1/p" \
		"$1" 2>/dev/null)
}

# "NAME: not installed (Debian package P)" for something missing: the
# table's package, else a package of that very name, if Debian has one.
missing_line() {
	local name=$1 pkg
	pkg=$(package_providing "$name")
	if [ -z "$pkg" ] && [[ $name =~ ^[a-z0-9][a-z0-9+-]*$ ]] && apt-cache show --no-all-versions "$name" >/dev/null 2>&1; then
		pkg=$name
	fi
	if [ -n "$pkg" ]; then
		echo "$name: not installed (Debian package $pkg)"
	else
		echo "$name: not installed (no Debian package known for it: add one to harness/deps.sh)"
	fi
}

# The missing-thing line of log $1, or nothing.
missing_from_log() {
	local name
	name=$(missing_in_log "$1")
	[ -z "$name" ] || missing_line "$name"
}

# A command the harness itself runs that is not there: bash calls this in
# a subshell, so the line goes to a file that on_exit reads.
command_not_found_handle() {
	local line
	line=$(missing_line "$1")
	log "$line"
	note_missing_command "$line"
	return 127
}
