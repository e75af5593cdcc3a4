#!/usr/bin/env bash
# build-qemu.sh -- build qemu-system-x86_64 with the busmaster card in it.
#
#   vm/build-qemu.sh            build (or reuse) and print the binary's path
#   vm/build-qemu.sh --qtest [ARGS]  build, then build and run the card's
#                               qtests (TAP on stdout, non-zero exit on
#                               failure); ARGS go to the test, e.g.
#                               -p /x86_64/busmaster-card/dma/chain
#   vm/build-qemu.sh --tree     build and print the QEMU source tree's path
#
# Source: Debian's qemu source package (apt-get source qemu, 7.2 on bookworm)
# plus card/busmaster-card.c copied into hw/misc/, the card's register header
# (uapi/linux/busmaster_card.h) into include/standard-headers/linux/ the way
# QEMU's scripts/update-linux-headers.sh imports Linux headers, and the few
# meson/Kconfig/
# trace-events lines it needs. Everything lives under $BM_CACHE/qemu/:
#
#   <debver>/qemu-<upstream>/          unpacked, patched source tree
#   <debver>/qemu-<upstream>/build/    the one build tree (incremental)
#   bin-<key>/qemu-system-x86_64       the binary for one model+recipe key
#
# <key> hashes card/ (model, trace events, qtest), this script and the Debian
# source version, so the binary is rebuilt only when one of them changes, and
# then incrementally in the same build tree. Logs go to stderr.
#
# The dfsg tarball has no firmware: run the binary with
#   -L /usr/share/seabios -L /usr/lib/ipxe/qemu -L /usr/share/qemu
set -euo pipefail
# The whole script is one compound command, so bash parses it before running
# it: editing this file while a build runs cannot derail that build.
{
. "$(dirname "$0")/lib.sh"

mode=build
case ${1:-} in
"") ;;
--qtest) mode=qtest && shift ;;
--tree) mode=tree ;;
-h | --help)
	sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 0
	;;
*) die "unknown option '$1' (try --help)" ;;
esac

CARD=$BM_TOP/card
QROOT=$BM_CACHE/qemu
FIRMWARE="-L /usr/share/seabios -L /usr/lib/ipxe/qemu -L /usr/share/qemu"
CONFIGURE_ARGS=(--target-list=x86_64-softmmu --without-default-features
	--disable-docs --enable-tcg --enable-fdt=system --disable-install-blobs)
# Markers so the lines we add to QEMU's files can be found and replaced.
MARK='busmaster-card, added by build-qemu.sh'

CARD_H=$BM_TOP/uapi/linux/busmaster_card.h
for f in "$CARD"/busmaster-card.c "$CARD"/trace-events \
	"$CARD"/qtest/busmaster-card-test.c "$CARD_H"; do
	[ -f "$f" ] || die "missing $f"
done

need_pkgs dpkg-dev gcc make pkg-config python3 meson ninja-build flex bison \
	bzip2 libglib2.0-dev libpixman-1-dev libfdt-dev \
	seabios ipxe-qemu qemu-system-data

# ensure_deb_src: apt-get source needs a deb-src entry for Debian's suites.
ensure_deb_src() {
	local f=/etc/apt/sources.list.d/busmaster-deb-src.sources
	if grep -Rqs -e '^Types:.*deb-src' -e '^deb-src ' \
		/etc/apt/sources.list /etc/apt/sources.list.d/; then
		:
	else
		[ "$(id -u)" = 0 ] || die "no deb-src entry in /etc/apt (run as root to add one)"
		log "adding $f"
		if [ -f /etc/apt/sources.list.d/debian.sources ]; then
			sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$f"
		else
			cat >"$f" <<-'EOF'
				Types: deb-src
				URIs: http://deb.debian.org/debian
				Suites: bookworm bookworm-updates
				Components: main
				Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

				Types: deb-src
				URIs: http://deb.debian.org/debian-security
				Suites: bookworm-security
				Components: main
				Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
			EOF
		fi
	fi
	# (grep on a variable: grep -q on a pipe trips pipefail with SIGPIPE)
	local srcs
	srcs=$(apt-cache showsrc qemu 2>/dev/null || true)
	if ! grep -q '^Version:' <<<"$srcs"; then
		log "apt-get update (for the qemu source package)"
		apt-get update -qq >&2 || die "apt-get update failed"
		srcs=$(apt-cache showsrc qemu 2>/dev/null || true)
		grep -q '^Version:' <<<"$srcs" || die "apt knows no qemu source package"
	fi
}

# The newest Debian source version (what apt-get source qemu would fetch).
ensure_deb_src
debver=$(apt-cache showsrc qemu 2>/dev/null | awk '/^Version:/ { print $2 }' | sort -V | tail -1)
[ -n "$debver" ] || die "cannot tell the version of Debian's qemu source package"
upstream=${debver#*:}
upstream=${upstream%%-*}

key=$({
	echo "$debver"
	cat "$0" "$CARD/busmaster-card.c" "$CARD/trace-events" "$CARD/qtest/busmaster-card-test.c" \
		"$CARD_H"
} | sha256sum | cut -c1-16)
out=$QROOT/bin-$key/qemu-system-x86_64
srcroot=$QROOT/${debver#*:}
src=$srcroot/qemu-$upstream
build=$src/build

mkdir -p "$QROOT"
exec 9>"$QROOT/.lock"
flock 9 # one build at a time, also across users of the cache

fetch_source() {
	[ -f "$src/.bm-unpacked" ] && return 0
	log "apt-get source qemu=$debver into $srcroot"
	rm -rf "$srcroot.tmp"
	mkdir -p "$srcroot.tmp"
	(cd "$srcroot.tmp" && apt-get source -q "qemu=$debver" >&2) ||
		die "apt-get source qemu=$debver failed"
	[ -d "$srcroot.tmp/qemu-$upstream" ] || die "no qemu-$upstream in the source package"
	touch "$srcroot.tmp/qemu-$upstream/.bm-unpacked"
	rm -rf "$srcroot"
	mv "$srcroot.tmp" "$srcroot"
}

# replace_marked FILE TEXT: drop the lines we added last time (between marker
# lines), append TEXT between fresh markers; touch FILE only if it changes.
replace_marked() {
	local file=$1 text=$2 tmp
	tmp=$(mktemp)
	sed "/^# BEGIN $MARK/,/^# END $MARK/d" "$file" >"$tmp"
	printf '# BEGIN %s\n%s\n# END %s\n' "$MARK" "$text" "$MARK" >>"$tmp"
	if cmp -s "$tmp" "$file"; then rm -f "$tmp"; else cat "$tmp" >"$file" && rm -f "$tmp"; fi
}

# install_if_changed SRC DST: copy, keeping DST's mtime when the bytes match
# (so ninja recompiles only what really changed).
install_if_changed() {
	cmp -s "$1" "$2" || cp "$1" "$2"
}

# portable_header SRC DST: a Linux uapi header as QEMU keeps them (what
# cp_portable in QEMU's scripts/update-linux-headers.sh does to the types).
portable_header() {
	sed -e 's/__u\([0-9][0-9]*\)/uint\1_t/g' -e 's/__le\([0-9][0-9]*\)/uint\1_t/g' \
		-e 's|<linux/\([^>]*\)>|"standard-headers/linux/\1"|' "$1" >"$2.tmp"
	install_if_changed "$2.tmp" "$2"
	rm -f "$2.tmp"
}

patch_tree() {
	portable_header "$CARD_H" "$src/include/standard-headers/linux/busmaster_card.h"
	install_if_changed "$CARD/busmaster-card.c" "$src/hw/misc/busmaster-card.c"
	install_if_changed "$CARD/qtest/busmaster-card-test.c" "$src/tests/qtest/busmaster-card-test.c"

	replace_marked "$src/hw/misc/meson.build" \
		"softmmu_ss.add(when: 'CONFIG_BUSMASTER_CARD', if_true: files('busmaster-card.c'))"
	replace_marked "$src/hw/misc/Kconfig" "config BUSMASTER_CARD
    bool
    default y if TEST_DEVICES
    depends on PCI && MSI_NONBROKEN"
	replace_marked "$src/hw/misc/trace-events" "$(grep -v '^#' "$CARD/trace-events")"

	# The qtest: one line in the x86 list, next to the pvpanic-pci test.
	local qm=$src/tests/qtest/meson.build
	if ! grep -q "busmaster-card-test" "$qm"; then
		grep -q "'pvpanic-pci-test'\] : \[\]) +" "$qm" ||
			die "tests/qtest/meson.build: no pvpanic-pci-test line to anchor to"
		sed -i "0,/'pvpanic-pci-test'\] : \[\]) +.*\$/s//&\n  (config_all_devices.has_key('CONFIG_BUSMASTER_CARD') ? ['busmaster-card-test'] : []) + \\\\/" "$qm"
	fi

	# 7.2 unpacks pc-bios/edk2-*.fd.bz2 whenever bzip2 is found; the dfsg
	# tarball has none of them, so configure would fail. Never unpack.
	if grep -q 'unpack_edk2_blobs = bzip2.found()' "$src/meson.build"; then
		sed -i 's/unpack_edk2_blobs = bzip2.found()/unpack_edk2_blobs = false # busmaster: dfsg has no edk2 blobs/' \
			"$src/meson.build"
	fi
	grep -q 'unpack_edk2_blobs = false # busmaster' "$src/meson.build" ||
		die "meson.build: could not turn off unpack_edk2_blobs"
}

configure_tree() {
	local want
	want=$(printf '%s\n' "${CONFIGURE_ARGS[@]}")
	if [ -f "$build/.bm-configure-args" ] && [ "$(cat "$build/.bm-configure-args")" = "$want" ] &&
		[ -f "$build/build.ninja" ]; then
		return 0
	fi
	log "configure ${CONFIGURE_ARGS[*]}"
	rm -rf "$build"
	mkdir -p "$build"
	(cd "$build" && ../configure "${CONFIGURE_ARGS[@]}" >&2) || die "configure failed"
	printf '%s\n' "$want" >"$build/.bm-configure-args"
}

# no_warnings_in_ours LOG: our files must compile without warnings.
no_warnings_in_ours() {
	if grep -A3 'busmaster-card[^ ]*\.c:[0-9]*:[0-9]*: \(warning\|error\)' "$1" >&2; then
		die "warnings in the busmaster card sources (see above)"
	fi
}

build_binary() {
	local t0 t1 newest
	log "ninja qemu-system-x86_64 (key $key)"
	t0=$(date +%s)
	ninja -C "$build" -j"$(nproc)" qemu-system-x86_64 >"$build/.bm-ninja.log" 2>&1 ||
		{ tail -50 "$build/.bm-ninja.log" >&2; die "ninja failed"; }
	t1=$(date +%s)
	log "built in $((t1 - t0)) s"
	no_warnings_in_ours "$build/.bm-ninja.log"
	mkdir -p "$QROOT/bin-$key.tmp"
	cp "$build/qemu-system-x86_64" "$QROOT/bin-$key.tmp/"
	rm -rf "$QROOT/bin-$key"
	mv "$QROOT/bin-$key.tmp" "$QROOT/bin-$key"
	# Keep the three newest binaries.
	newest=$(ls -1dt "$QROOT"/bin-* 2>/dev/null | tail -n +4)
	[ -z "$newest" ] || rm -rf $newest
}

if [ ! -x "$out" ] || [ "$mode" != build ]; then
	fetch_source
	patch_tree
	configure_tree
	[ -x "$out" ] || build_binary
fi

case $mode in
build) echo "$out" ;;
tree) echo "$src" ;;
qtest)
	log "ninja tests/qtest/busmaster-card-test"
	ninja -C "$build" tests/qtest/busmaster-card-test >"$build/.bm-ninja-qtest.log" 2>&1 ||
		{ tail -50 "$build/.bm-ninja-qtest.log" >&2; die "building the qtest failed"; }
	no_warnings_in_ours "$build/.bm-ninja-qtest.log"
	flock -u 9
	# libqtest takes the target from the text after the binary's last '-',
	# so the firmware flags go into a wrapper named like the binary.
	wrap=$QROOT/bin-$key/qtest/qemu-system-x86_64
	mkdir -p "${wrap%/*}"
	printf '#!/bin/sh\nexec %s %s "$@"\n' "$out" "$FIRMWARE" >"$wrap"
	chmod +x "$wrap"
	QTEST_QEMU_BINARY=$wrap "$build/tests/qtest/busmaster-card-test" --tap -k "$@"
	;;
esac
exit
}
