# Shared helpers for the VM harness scripts (sourced, not run).
#
# Everything downloaded or built lives under $BM_CACHE, keyed by the version
# of what went into it, so a second run reuses it and a new Debian upload
# lands beside the old one instead of overwriting it.

BM_CACHE=${BM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/busmaster}
BM_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BM_BUILD=${BM_BUILD:-$BM_TOP/build}

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# apt_ready: make sure the package lists exist (a fresh image has none).
apt_ready() {
	local lists
	lists=$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' 2>/dev/null | head -1)
	if [ -z "$lists" ] || [ -n "${BM_APT_UPDATE:-}" ]; then
		log "apt-get update"
		apt-get update -qq >&2 || die "apt-get update failed"
	fi
}

# need_pkgs PKG...: install the host packages that are missing, non-interactively.
need_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || die "missing host packages (run as root to install): ${missing[*]}"
	apt_ready
	log "apt-get install ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
}

# candidate_version PKG: the version apt would install.
candidate_version() {
	apt-cache policy "$1" | awk '/Candidate:/ { print $2 }'
}

# meta_target META: the versioned package a Debian meta-package depends on,
# e.g. linux-image-amd64 -> linux-image-6.1.0-56-amd64.
meta_target() {
	apt-cache depends "$1" 2>/dev/null |
		awk '/^ *Depends: linux-image-/ { print $2; exit }'
}

# deb_path DIR PKG: the downloaded .deb of PKG's candidate version in DIR, or "".
deb_path() {
	local v f
	v=$(candidate_version "$2")
	for f in "$1/${2}_${v/*:/}_"*.deb; do
		[ -f "$f" ] && echo "$f" && return 0
	done
	return 0
}

# fetch_debs DIR PKG...: apt-get download into DIR unless already there.
fetch_debs() {
	local dir=$1 p v
	shift
	mkdir -p "$dir"
	for p in "$@"; do
		v=$(candidate_version "$p")
		[ -n "$v" ] && [ "$v" != "(none)" ] || die "no Debian package named $p"
		if [ -z "$(deb_path "$dir" "$p")" ]; then
			log "apt-get download $p=$v"
			(cd "$dir" && apt-get download -q "$p=$v" >/dev/null 2>&1) ||
				die "apt-get download $p=$v failed"
		fi
	done
}

# ksrc_tarball PKG TMP: the kernel tarball of Debian's linux-source package
# PKG, unpacked from its .deb into the folder TMP; the .deb is not kept
# (~150 MB: callers cache what they take from the tarball).
ksrc_tarball() {
	local pkg=$1 tmp=$2 tarball
	fetch_debs "$BM_CACHE/debs" "$pkg"
	dpkg-deb -x "$(deb_path "$BM_CACHE/debs" "$pkg")" "$tmp"
	rm -f "$(deb_path "$BM_CACHE/debs" "$pkg")"
	tarball=$(echo "$tmp"/usr/src/linux-source-*.tar.xz)
	[ -f "$tarball" ] || die "$pkg holds no kernel tarball"
	echo "$tarball"
}

# lane_cards LANE_FILE: the lane's QEMU devices, one line ("edu,addr=04.0 ...").
lane_cards() {
	awk '/^LANE_DEVICES=\(/,/\)/' "$1" | grep -o -- '-device [^ )]*' |
		sed 's/^-device //' | paste -sd ' '
}
