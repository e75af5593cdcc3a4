#!/usr/bin/env bash
# build-debug-kernel.sh -- build the debug guest kernel (KASAN, lockdep,
# DMA-API debug, kmemleak, fault injection: vm/kernel/debug.config) from
# Debian's linux-source-6.12, the same version as the stock 6.12 guest, and
# print the path of its kernel.env (the format fetch-kernel.sh prints).
#
# The build tree stays in the cache: it is also what the module is built
# against (KDIR). It is keyed by the package version, the config fragment,
# the compiler and RECIPE, so a change to any of them builds a new tree
# beside the old one. An interrupted build resumes where it stopped.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Bump when this script changes what it builds.
RECIPE=1
pkg=linux-source-6.12
fragment=$BM_TOP/vm/kernel/debug.config

need_pkgs gcc make bc flex bison libelf-dev libssl-dev dwarves xz-utils perl
apt_ready
ver=$(candidate_version "$pkg")
[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no Debian package named $pkg"
key=$({ cat "$fragment"; gcc --version | head -1; echo "$RECIPE"; } | sha256sum | cut -c1-12)
root=$BM_CACHE/debug-kernel/$ver-$key
src=$root/src
env=$root/kernel.env

if [ ! -f "$env" ]; then
	t0=$(date +%s)
	if [ ! -f "$src/.unpacked" ]; then
		fetch_debs "$BM_CACHE/debs" "$pkg"
		deb=$(deb_path "$BM_CACHE/debs" "$pkg")
		tmp=$(mktemp -d)
		trap 'rm -rf "$tmp"' EXIT
		log "unpacking $pkg $ver for the debug kernel"
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards './usr/src/linux-source-*.tar.xz'
		rm -rf "$src"
		mkdir -p "$src"
		tar -xJf "$tmp"/usr/src/linux-source-*.tar.xz -C "$src" --strip-components=1
		rm -f "$deb"
		touch "$src/.unpacked"
	fi

	# From nothing, plus the fragment; then prove every line took effect.
	make -s -C "$src" allnoconfig KCONFIG_ALLCONFIG="$fragment" >&2
	bad=0
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*) grep -qxF "$line" "$src/.config" || { echo "not set: $line" >&2; bad=1; } ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			! grep -q "^$sym=" "$src/.config" || { echo "set: $sym" >&2; bad=1; } ;;
		esac
	done <"$fragment"
	[ $bad -eq 0 ] || die "$fragment: the lines above did not take effect (missing dependencies?)"

	log "building the debug kernel ($(nproc) jobs; a cold build takes about 10 minutes)"
	make -s -C "$src" -j"$(nproc)" bzImage modules >&2 || die "the debug kernel did not build"
	kver=$(make -s -C "$src" kernelrelease)
	cat >"$env.tmp" <<EOF
KSERIES=debug
KVER=$kver
KPKGVER=$ver
VMLINUZ=$src/arch/x86/boot/bzImage
KDIR=$src
EOF
	mv "$env.tmp" "$env"
	log "debug kernel $kver built in $(($(date +%s) - t0)) s: $root"
fi
echo "$env"
