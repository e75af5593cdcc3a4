#!/usr/bin/env bash
# coccicheck.sh KDIR -- the kernel's own coccinelle checks (scripts/coccinelle,
# report mode) over kmod/, from the full source tree KDIR (the debug
# kernel's). Prints what any check reports and exits 1 if one did. Checks
# that need coccinelle's OCaml scripting, which Debian's build lacks, are
# named and skipped.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

kdir=${1:?usage: coccicheck.sh KDIR}
need_pkgs coccinelle
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$BM_TOP/kmod" "$BM_TOP/uapi" "$work/"

rc=0
while IFS= read -r cocci; do
	out=$(make -s -C "$kdir" M="$work/kmod" CONFIG_BUSMASTER=m coccicheck \
		MODE=report COCCI="$cocci" 2>&1)
	if grep -q 'No OCaml compiler' <<<"$out"; then
		echo "skipped (needs OCaml scripting): ${cocci#"$kdir"/}"
		continue
	fi
	reports=$(grep "^$work/" <<<"$out" | sed "s|^$work/||")
	if [ -n "$reports" ]; then
		echo "${cocci#"$kdir"/}:"
		echo "$reports"
		rc=1
	fi
done < <(find "$kdir/scripts/coccinelle" -name '*.cocci' | sort)
exit $rc
