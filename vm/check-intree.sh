#!/usr/bin/env bash
# check-intree.sh -- the driver as it would be merged into Linux: dropped
# into a kernel tree from Debian's linux-source package and built by the
# tree's own make, with nothing of this repository's build around it.
#
#   drivers/misc/busmaster/          kmod/ and Kconfig, sourced from
#                                    drivers/misc/Kconfig, built from
#                                    drivers/misc/Makefile
#   include/uapi/linux/              uapi/linux/*.h, compile-tested as the
#                                    kernel tests every uapi header
#   tools/testing/selftests/drivers/busmaster/
#                                    selftests/, in the TARGETS of
#                                    kselftest's Makefile, built and
#                                    installed into a run_kselftest.sh
#                                    that lists every busmaster test
#
# The unpacked tree, configured (x86_64_defconfig) and prepared for
# modules, is cached by the package's version; our files are put in afresh
# on every run. Prints the install folder of the selftests.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

pkg=${BM_KSRC_PKG:-linux-source-6.12}
need_pkgs xz-utils perl gcc make flex bison bc libelf-dev libssl-dev liburing-dev \
	rsync
apt_ready
ver=$(candidate_version "$pkg")
[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no Debian package named $pkg"
# Bump RECIPE when the preparation below changes.
RECIPE=1
tree=$BM_CACHE/intree/$pkg-$ver-$RECIPE
jobs=$(nproc)

if [ ! -f "$tree/.prepared" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	tarball=$(ksrc_tarball "$pkg" "$tmp")
	log "unpacking $pkg $ver and preparing it for modules (cached; minutes the first time)"
	rm -rf "$tree"
	mkdir -p "$tree"
	tar -xJf "$tarball" -C "$tree" --strip-components=1
	make -s -C "$tree" x86_64_defconfig >&2
	make -s -C "$tree" -j"$jobs" modules_prepare >&2
	touch "$tree/.prepared"
fi

# Our files, afresh.
rm -rf "$tree/drivers/misc/busmaster" "$tree/tools/testing/selftests/drivers/busmaster"
mkdir -p "$tree/drivers/misc/busmaster" "$tree/tools/testing/selftests/drivers/busmaster"
cp -a "$BM_TOP"/kmod/. "$tree/drivers/misc/busmaster/"
cp "$BM_TOP/Kconfig" "$tree/drivers/misc/busmaster/Kconfig"
cp "$BM_TOP"/uapi/linux/*.h "$tree/include/uapi/linux/"
cp -a "$BM_TOP"/selftests/. "$tree/tools/testing/selftests/drivers/busmaster/"
# The io_uring test's helpers are libbusmaster's header: beside the test.
cp "$BM_TOP/userspace/lib/libbusmaster-uring.h" "$tree/tools/testing/selftests/drivers/busmaster/"

# Wired in as a driver of drivers/misc is, once.
grep -q 'drivers/misc/busmaster/Kconfig' "$tree/drivers/misc/Kconfig" ||
	sed -i '$ s|^endmenu$|source "drivers/misc/busmaster/Kconfig"\nendmenu|' \
		"$tree/drivers/misc/Kconfig"
grep -q 'drivers/misc/busmaster/Kconfig' "$tree/drivers/misc/Kconfig" ||
	die "drivers/misc/Kconfig does not end with endmenu: cannot source ours"
grep -q 'busmaster/' "$tree/drivers/misc/Makefile" ||
	echo 'obj-$(CONFIG_BUSMASTER)	+= busmaster/' >>"$tree/drivers/misc/Makefile"
grep -q 'drivers/busmaster' "$tree/tools/testing/selftests/Makefile" ||
	sed -i '0,/^TARGETS += drivers\//s||TARGETS += drivers/busmaster\n&|' \
		"$tree/tools/testing/selftests/Makefile"
grep -q '^TARGETS += drivers/busmaster' "$tree/tools/testing/selftests/Makefile" ||
	die "could not add drivers/busmaster to kselftest's TARGETS"

# The module, by Kconfig and Kbuild alone: every object compiled as part of
# the tree (make drivers/misc/busmaster/), then linked with modpost against
# the exports of Debian's 6.12 -- the tree's vmlinux, which an in-tree
# modpost reads, is not built (most of an hour here); the defconfig has no
# modversions, so names are what it checks.
. "$("$BM_TOP/vm/fetch-kernel.sh" 6.12)"
cp "$KDIR/Module.symvers" "$tree/Module.symvers"
"$tree/scripts/config" --file "$tree/.config" --module BUSMASTER --enable HEADERS_INSTALL --enable UAPI_HEADER_TEST
make -s -C "$tree" olddefconfig >&2
grep -qx 'CONFIG_BUSMASTER=m' "$tree/.config" ||
	die "Kconfig did not take CONFIG_BUSMASTER=m (its dependencies?)"
grep -qx 'CONFIG_UAPI_HEADER_TEST=y' "$tree/.config" ||
	die "no CONFIG_UAPI_HEADER_TEST (it needs a compiler that links for the host)"
log "building drivers/misc/busmaster/busmaster.ko in the $pkg tree"
rm -f "$tree/drivers/misc/busmaster/busmaster.ko"
make -s -C "$tree" -j"$jobs" W=1 drivers/misc/busmaster/ >&2
[ -f "$tree/drivers/misc/busmaster/busmaster.o" ] || die "Kbuild built no busmaster.o in tree"
make -s -C "$tree" -j"$jobs" M=drivers/misc/busmaster modules >&2
[ -f "$tree/drivers/misc/busmaster/busmaster.ko" ] || die "no busmaster.ko linked in tree"

# The uapi headers: exported by make headers, and each compiled alone with
# -std=c90 and checked by headers_check.pl, the kernel's own header test
# (CONFIG_UAPI_HEADER_TEST, usr/include/Makefile) over every uapi header.
make -s -C "$tree" headers >&2
for h in busmaster busmaster_card; do
	[ -f "$tree/usr/include/linux/$h.h" ] || die "make headers did not export linux/$h.h"
	rm -f "$tree/usr/include/linux/$h.hdrtest"
done
hdrtest=$(make -s -C "$tree" -j"$jobs" usr/include/ 2>&1) || { echo "$hdrtest" >&2; die "the uapi header test failed"; }
# headers_check.pl only warns: a word about our headers fails the check.
if grep busmaster <<<"$hdrtest" >&2; then
	die "the uapi header test complained about our headers"
fi
for h in busmaster busmaster_card; do
	[ -f "$tree/usr/include/linux/$h.hdrtest" ] || die "the uapi header test did not run on linux/$h.h"
done

# The selftests through kselftest: built, installed, listed.
out=$BM_BUILD/intree
rm -rf "$out"
make -s -C "$tree/tools/testing/selftests" -j"$jobs" TARGETS=drivers/busmaster >&2
make -s -C "$tree/tools/testing/selftests" TARGETS=drivers/busmaster \
	INSTALL_PATH="$out/kselftest" install >&2
listed=$("$out/kselftest/run_kselftest.sh" --list)
want=$(cd "$BM_TOP/selftests" && ls busmaster_*_test.c | sed 's/\.c$//' | sort)
got=$(sed -n 's|^drivers/busmaster:||p' <<<"$listed" | sort)
[ "$want" = "$got" ] || die "run_kselftest.sh lists $(echo $got), not $(echo $want)"
echo "$out/kselftest"
