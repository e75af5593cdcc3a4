#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# check-version.sh: the product has one version. The driver
# (BM_DRV_VERSION), its DKMS package, the library and bmctl, and the man
# pages must all name it; a release bumps them together.
set -eu
cd "$(dirname "$0")/.."
list=$(
	echo "kmod/busmaster.h $(sed -n 's/^#define BM_DRV_VERSION\t"\(.*\)"$/\1/p' kmod/busmaster.h)"
	echo "dkms.conf $(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)"
	echo "userspace/Makefile $(sed -n 's/^VERSION\t*:= *//p' userspace/Makefile)"
	for m in docs/man/*.[1-9]; do
		echo "$m $(sed -n '1s/.*"busmaster \([^"]*\)".*/\1/p' "$m")"
	done
)
# Each place names one version (a field missing is a failure), all the same.
if ! echo "$list" | awk 'NF != 2 { exit 1 } { v[$2] = 1 } END { exit length(v) != 1 }'; then
	echo "versions differ:"
	echo "$list"
	exit 1
fi
echo "version $(echo "$list" | awk 'NR == 1 { print $2 }') everywhere"
