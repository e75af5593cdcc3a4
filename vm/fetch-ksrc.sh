#!/usr/bin/env bash
# fetch-ksrc.sh -- take the kernel's own selftest framework (kselftest.h,
# kselftest_harness.h, lib.mk), checkpatch.pl and kernel-doc from Debian's
# linux-source package, and print the folder they were unpacked into.
#
# Only these few files are kept (the tarball is ~150 MB); the folder mirrors
# the kernel tree's layout so lib.mk finds what it includes by relative path.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

pkg=${BM_KSRC_PKG:-linux-source-6.12}
need_pkgs xz-utils perl
apt_ready
ver=$(candidate_version "$pkg")
[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no Debian package named $pkg"
# Bump RECIPE when the list of files below changes.
RECIPE=2
dest=$BM_CACHE/ksrc/$pkg-$ver-$RECIPE

if [ ! -f "$dest/.done" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	tarball=$(ksrc_tarball "$pkg" "$tmp")
	top=$(basename "$tarball" .tar.xz)
	log "unpacking the selftest framework and checkpatch from $pkg $ver"
	rm -rf "$dest"
	mkdir -p "$dest"
	tar -xJf "$tarball" -C "$dest" --strip-components=1 \
		"$top/tools/testing/selftests/lib.mk" \
		"$top/tools/testing/selftests/kselftest.h" \
		"$top/tools/testing/selftests/kselftest_harness.h" \
		"$top/tools/testing/selftests/kselftest" \
		"$top/scripts/checkpatch.pl" \
		"$top/scripts/kernel-doc" \
		"$top/scripts/spelling.txt" \
		"$top/scripts/const_structs.checkpatch" \
		"$top/scripts/subarch.include" \
		"$top/Documentation/dev-tools/checkpatch.rst"
	touch "$dest/.done"
fi
echo "$dest"
