#!/usr/bin/env bash
# lint.sh -- the kernel's own static checks on the driver's sources, with
# the scripts of the kernel tree vm/fetch-ksrc.sh unpacks.
#
#   vm/lint.sh checkpatch   checkpatch.pl --strict on kmod/ and uapi/
#   vm/lint.sh kernel-doc   kernel-doc -Wall: every comment well formed,
#                           every non-static function of kmod/ documented
#
# Prints what it finds; exits 1 if anything.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

ksrc=$("$BM_TOP/vm/fetch-ksrc.sh") || die "cannot get the kernel's scripts"

case ${1:-} in
checkpatch)
	# bm_compat.h exists only out of tree, to test kernel versions: that
	# one rule is waived for it alone. TRACE_EVENT() blocks are laid out
	# as every tracepoint header of the kernel lays them out, which
	# --strict's layout rules do not know (drivers/dma/*-trace.h trip
	# them the same way).
	cp=(perl "$ksrc/scripts/checkpatch.pl" --strict --no-tree --quiet
		--terse --show-types -f)
	rc=0
	for f in "$BM_TOP"/kmod/*.[ch] "$BM_TOP"/uapi/linux/*.h; do
		case $f in
		*/bm_compat.h) "${cp[@]}" --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON "$f" || rc=1 ;;
		*/busmaster_trace.h) "${cp[@]}" --ignore OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT,COMPLEX_MACRO "$f" || rc=1 ;;
		*) "${cp[@]}" "$f" || rc=1 ;;
		esac
	done
	exit $rc
	;;
kernel-doc)
	out=$(perl "$ksrc/scripts/kernel-doc" -Wall -none "$BM_TOP"/kmod/*.[ch] \
		"$BM_TOP"/uapi/linux/*.h 2>&1) || { echo "$out"; exit 1; }
	[ -z "$out" ] || { echo "$out"; exit 1; }
	;;
*)
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
