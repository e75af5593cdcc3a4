#!/usr/bin/env bash
# fetch-kernel.sh SERIES -- download one of Debian's guest kernels and its
# headers into the cache and print the path of its kernel.env.
#
# SERIES is 6.1 (bookworm's default kernel) or 6.12 (bookworm's 6.12 series);
# debug is the debug kernel vm/build-debug-kernel.sh builds.
# The packages are unpacked with dpkg-deb -x, never installed, so the host's
# /boot and /lib/modules stay untouched.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series=${1:?usage: fetch-kernel.sh 6.1|6.12|debug}
case $series in
6.1) meta=linux-image-amd64 ;;
6.12) meta=linux-image-6.12-amd64 ;;
# Not Debian's binary: built from Debian's 6.12 source with the instruments.
debug) exec "$BM_TOP/vm/build-debug-kernel.sh" ;;
*) die "unknown kernel series '$series' (known: 6.1 6.12 debug)" ;;
esac

need_pkgs dpkg-dev gcc make bc flex bison libelf-dev libssl-dev
apt_ready
image=$(meta_target "$meta")
[ -n "$image" ] || die "cannot resolve $meta to a kernel package"
kver=${image#linux-image-}
pkgver=$(candidate_version "$image")
root=$BM_CACHE/kernels/$kver-$pkgver
env=$root/kernel.env

if [ ! -f "$env" ]; then
	headers=linux-headers-$kver
	common=$(apt-cache depends "$headers" | awk '/Depends: linux-headers-.*-common$/ { print $2; exit }')
	kbuild=$(apt-cache depends "$headers" | awk '/Depends: linux-kbuild-/ { print $2; exit }')
	[ -n "$common" ] && [ -n "$kbuild" ] || die "cannot resolve the dependencies of $headers"
	fetch_debs "$BM_CACHE/debs" "$image" "$headers" "$common" "$kbuild"

	rm -rf "$root.tmp"
	mkdir -p "$root.tmp"
	for p in "$image" "$headers" "$common" "$kbuild"; do
		dpkg-deb -x "$(deb_path "$BM_CACHE/debs" "$p")" "$root.tmp"
	done
	kdir=$root/usr/src/linux-headers-$kver
	# Debian's arch headers include the common tree by absolute path.
	sed -i "s|^include /usr/src/|include $root/usr/src/|" "$root.tmp/usr/src/linux-headers-$kver/Makefile"
	# The image's modules are not needed in the guest: keep the cache small.
	rm -rf "$root.tmp/lib/modules/$kver/kernel"
	cat >"$root.tmp/kernel.env" <<EOF
KSERIES=$series
KVER=$kver
KPKGVER=$pkgver
VMLINUZ=$root/boot/vmlinuz-$kver
KDIR=$kdir
EOF
	rm -rf "$root"
	mv "$root.tmp" "$root"
	log "kernel $kver ($pkgver) unpacked in $root"
fi
# But one: aer_inject, software PCIe errors for the driver's error handlers
# (vm/run-guest.sh puts it in the guest); also into caches unpacked before.
aer=lib/modules/$kver/kernel/drivers/pci/pcie
if ! ls "$root/$aer"/aer_inject.ko* >/dev/null 2>&1; then
	fetch_debs "$BM_CACHE/debs" "$image"
	dpkg-deb --fsys-tarfile "$(deb_path "$BM_CACHE/debs" "$image")" |
		tar -x -C "$root" --wildcards "./$aer/aer_inject.ko*"
fi
echo "$env"
