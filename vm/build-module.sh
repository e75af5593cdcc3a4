#!/usr/bin/env bash
# build-module.sh SERIES [W=1 ...] -- build kmod/ against one guest kernel's
# headers with Kbuild and print the path of busmaster.ko.
#
# Each kernel gets its own copy of the sources under $BM_BUILD, so the two
# builds never share objects; make rebuilds only what changed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series=${1:?usage: build-module.sh 6.1|6.12 [make args]}
shift
need_pkgs gcc make dwarves
. "$("$BM_TOP/vm/fetch-kernel.sh" "$series")"

out=$BM_BUILD/module/$KVER
mkdir -p "$out"
# Copy only what changed, so make's timestamps stay meaningful.
cp -ru "$BM_TOP/kmod" "$BM_TOP/uapi" "$out/"
make -s -C "$KDIR" M="$out/kmod" CONFIG_BUSMASTER=m "$@" modules >&2
echo "$out/kmod/busmaster.ko"
