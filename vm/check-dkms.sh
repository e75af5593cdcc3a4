#!/usr/bin/env bash
# check-dkms.sh SERIES -- build the module the way a user installs it: the
# DKMS source tree (make dkms-source) added to and built by Debian's dkms
# against the guest kernel's headers, all in a scratch tree under
# $BM_BUILD/dkms (never the host's /usr/src, /var/lib/dkms or /lib/modules).
# Prints the path of the busmaster.ko dkms built.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series=${1:?usage: check-dkms.sh 6.1|6.12}
need_pkgs dkms gcc make dwarves
. "$("$BM_TOP/vm/fetch-kernel.sh" "$series")"

version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$BM_TOP/dkms.conf")
scratch=$BM_BUILD/dkms/$KVER
rm -rf "$scratch"
mkdir -p "$scratch/src" "$scratch/tree" "$scratch/install"
make -s -C "$BM_TOP" dkms-source DESTDIR="$scratch/src" >&2
src=$scratch/src/usr/src
dkms_args=(-m busmaster -v "$version" --sourcetree "$src"
	--dkmstree "$scratch/tree" --installtree "$scratch/install")
dkms add "${dkms_args[@]}" >&2
dkms build "${dkms_args[@]}" -k "$KVER" --kernelsourcedir "$KDIR" >&2 || {
	cat "$scratch/tree/busmaster/$version/build/make.log" >&2 2>/dev/null || true
	die "dkms build failed for $KVER"
}
ko=$(find "$scratch/tree/busmaster/$version/$KVER" -name 'busmaster.ko*' | head -n 1)
[ -n "$ko" ] || die "dkms built no busmaster.ko for $KVER"
echo "$ko"
