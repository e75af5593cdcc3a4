#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# check-exports.sh LIB.so MAP HEADER: the shared library exports exactly the
# functions its version script lists, and the header declares no function
# the script forgot.
set -eu
so=$1
map=$2
header=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

nm -D --defined-only "$so" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' |
	sort >"$tmp/exported"
sed -n 's/^[[:space:]]*\(bm_[a-z0-9_]*\);.*/\1/p' "$map" | sort >"$tmp/listed"
sed -n 's/^[a-z].*[ *]\(bm_[a-z0-9_]*\)(.*/\1/p' "$header" | sort >"$tmp/declared"

status=0
if ! cmp -s "$tmp/exported" "$tmp/listed"; then
	echo "not ok - exports differ from $map (< exported, > listed):"
	diff "$tmp/exported" "$tmp/listed" | sed 's/^/# /' || true
	status=1
else
	echo "ok - $(wc -l <"$tmp/exported") symbols exported, as listed"
fi
if ! cmp -s "$tmp/declared" "$tmp/listed"; then
	echo "not ok - header and map differ (< declared, > listed):"
	diff "$tmp/declared" "$tmp/listed" | sed 's/^/# /' || true
	status=1
else
	echo "ok - every function in the header is in the version script"
fi
exit $status
