# shellcheck shell=bash
# Debian packages the harness needs: installed when run as root, otherwise
# the one apt-get line to run is printed.

# Per-architecture packages (QEMU, cross compiler) are in arch_settings().
HOST_PACKAGES=(bc bison ccache cpio flex gcc git libelf-dev libssl-dev make perl python3
	python3-ply xz-utils)

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
