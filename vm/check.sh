#!/usr/bin/env bash
# check.sh -- everything `make check` runs: static checks, host-side unit
# tests, then every lane (a set of cards) booted on every guest kernel with
# the selftests run inside. Ends with "N passed, N failed, N skipped" and
# exits 1 if anything failed.
#
#   KERNELS="6.1 6.12 debug"  guest kernels to boot (default: all three;
#                        debug is built from source, vm/build-debug-kernel.sh)
#   LANES="edu-28-msi"   lanes to boot, names of vm/lanes/*.lane (default:
#                        every lane on 6.12, OLDEST_LANES on 6.1, DEBUG_LANES
#                        on debug)
#   OLDEST_LANES="..."   the lanes 6.1 boots by default
#   DEBUG_LANES="..."    the lanes the debug kernel boots by default: one of
#                        each card shape, and the negative control
#   HOST_CHECKS=0        only build and boot: no static checks, host unit
#                        tests or qtests (make lane)
#   BM_TESTS="..."       the selftests each lane runs (default: the lane's)
set -uo pipefail
. "$(dirname "$0")/lib.sh"

KERNELS=${KERNELS:-6.1 6.12 debug}
LANES=${LANES:-}
HOST_CHECKS=${HOST_CHECKS:-1}
DEBUG_LANES=${DEBUG_LANES:-card-mixed card-iommu card-swiotlb-force card-reset card-stuck edu-28-msi debug-control}
# OLDEST_LANES: the lanes the oldest kernel (6.1) boots: those whose paths
# its kernel changes under the driver (swiotlb, the IOMMU, pinning,
# io_uring, reset and recovery, the stock edu card); lanes that differ only
# by module parameters or by what the card does run on 6.12 and debug.
OLDEST_LANES=${OLDEST_LANES:-card-mixed card-iommu card-swiotlb-force card-swiotlb-off card-reset card-stuck edu-28-msi}

# lanes_for SERIES: the lanes a kernel boots. debug-* lanes need the debug
# kernel's instruments and run there alone.
lanes_for() {
	local all l
	if [ -n "$LANES" ]; then
		all=$LANES
	elif [ "$1" = debug ]; then
		all=$DEBUG_LANES
	elif [ "$1" = 6.1 ]; then
		all=$OLDEST_LANES
	else
		all=$(cd "$BM_TOP/vm/lanes" && ls *.lane | sed 's/\.lane$//')
	fi
	for l in $all; do
		case $l in debug-*) [ "$1" = debug ] || continue ;; esac
		echo "$l"
	done
}
results=$BM_BUILD/results.txt
logs=$BM_BUILD/logs
mkdir -p "$logs"; rm -f "$logs/reports.txt"
mkdir -p "$BM_BUILD"
: >"$results"
t0=$(date +%s)

# record KIND NAME [WHY]
record() { printf '%s %s%s\n' "$1" "$2" "${3:+: $3}" >>"$results"; }

# host_check NAME CMD...: a check of the sources alone (HOST_CHECKS=0: none)
host_check() {
	[ "$HOST_CHECKS" = 0 ] || check "$@"
}

# check NAME CMD...: run a host-side check, record it, keep its output.
check() {
	local name=$1 out
	shift
	out=$("$@" 2>&1)
	if [ $? -eq 0 ]; then
		record PASS "$name"
	else
		record FAIL "$name"
		printf '%s\n' "--- $name failed:" "$out" | tail -n 40 >&2
	fi
}

need_pkgs gcc make libc6-dev perl python3 busybox-static cpio gzip qemu-system-x86 sparse \
	liburing-dev gcc-multilib libc6-dev-i386
ksrc=$("$BM_TOP/vm/fetch-ksrc.sh") || die "cannot get the kernel's selftest framework"

# The card's one header says what its datasheet says.
host_check "static/the card's header matches its datasheet" "$BM_TOP/vm/check-datasheet.py"
host_check "static/one version everywhere" "$BM_TOP/vm/check-version.sh"

# --- Userspace and selftests, built once for every guest -------------------
log "building userspace and selftests"
check "static/userspace builds with -Wall -Wextra -Werror" \
	make -s -C "$BM_TOP/userspace" O="$BM_BUILD/userspace" STATIC=1
check "static/the benchmarks build with -Werror" \
	make -s -C "$BM_TOP/bench" O="$BM_BUILD/bench" LIBBM="$BM_BUILD/userspace/lib/libbusmaster.a"
host_check "host/userspace unit tests" \
	make -s -C "$BM_TOP/userspace" O="$BM_BUILD/userspace" check
host_check "host/make install and uninstall into a DESTDIR" "$BM_TOP/vm/check-install.sh"
host_check "host/in a Linux tree: drivers/misc/busmaster, uapi header test, kselftest install" \
	"$BM_TOP/vm/check-intree.sh"
mkdir -p "$BM_BUILD/selftests"
check "static/selftests build with -Wall -Wextra -Werror" \
	make -s -C "$BM_TOP/selftests" KSFT_DIR="$ksrc/tools/testing/selftests" \
	OUTPUT="$BM_BUILD/selftests"

# The same ABI for 32-bit processes: bmctl and the selftests (but io_uring's,
# which needs a 32-bit liburing) built with -m32, run in one lane below.
build_32() {
	mkdir -p "$BM_BUILD/selftests32" &&
	make -s -C "$BM_TOP/selftests" KSFT_DIR="$ksrc/tools/testing/selftests" \
		OUTPUT="$BM_BUILD/selftests32" CC="gcc -m32" BM_NO_URING=1 &&
	make -s -C "$BM_TOP/userspace" O="$BM_BUILD/userspace32" STATIC=1 CC="gcc -m32"
}
check "static/selftests and bmctl build for 32-bit processes (-m32)" build_32

host_check "static/checkpatch --strict kmod/ uapi/" "$BM_TOP/vm/lint.sh" checkpatch
host_check "static/kernel-doc -Wall kmod/ uapi/" "$BM_TOP/vm/lint.sh" kernel-doc

# --- The card: our QEMU build and its conformance tests (qtest) ------------
log "building QEMU with the busmaster card (cached; a cold build takes minutes)"
if BM_QEMU_CARD=$("$BM_TOP/vm/build-qemu.sh" 2>"$BM_BUILD/qemu-build.log"); then
	record PASS "card/qemu builds with the busmaster card"
	export BM_QEMU_CARD
fi
if [ -n "${BM_QEMU_CARD:-}" ] && [ "$HOST_CHECKS" != 0 ]; then
	"$BM_TOP/vm/build-qemu.sh" --qtest >"$BM_BUILD/qtest.log" 2>&1
	qtest_rc=$?
	awk '/^ok [0-9]+ / { print ($0 ~ /# SKIP/ ? "SKIP" : "PASS"), "card/qtest" $3; n++ }
	     /^not ok [0-9]+ / { print "FAIL", "card/qtest" $4; n++ }
	     END { if (!n) print "FAIL card/qtest: no test ran" }' \
		"$BM_BUILD/qtest.log" >>"$results"
	if [ $qtest_rc -ne 0 ]; then
		record FAIL "card/qtest" "exited $qtest_rc"
		tail -n 40 "$BM_BUILD/qtest.log" >&2
	fi
elif [ -z "${BM_QEMU_CARD:-}" ]; then
	record FAIL "card/qemu builds with the busmaster card"
	tail -n 40 "$BM_BUILD/qemu-build.log" >&2
fi

# module_w1 SERIES: a full W=1 build with sparse (C=2); any compiler or
# sparse warning fails it.
module_w1() {
	local out
	out=$("$BM_TOP/vm/build-module.sh" "$1" W=1 C=2 -B 2>&1) || { echo "$out"; return 1; }
	if grep -q 'warning:\|error:' <<<"$out"; then
		echo "$out"
		return 1
	fi
}

# --- Guests -----------------------------------------------------------------
retried=()

# died_before_driver OUTDIR: the guest reported no step at all and its
# kernel never mentioned the driver: it died booting, not testing.
died_before_driver() {
	! grep -q '^BM: step' "$1/results.log" 2>/dev/null &&
		! grep -q busmaster "$1/console.log" 2>/dev/null &&
		grep -Eq 'Oops|Kernel panic' "$1/console.log" 2>/dev/null
}

# SLUB's own reports (slub_debug) say "BUG kmalloc-96 (...): Poison
# overwritten", without a colon after BUG; debugobjects has its own words;
# DMA-API debug warns (WARNING:), and says when it had to switch itself
# off, which would blind the rest of the lane. kmemleak's console count
# includes what boot leaked: the guest's kmemleak step judges the driver's.
console_bad='WARNING:|BUG:|BUG [a-z]|Oops|general protection|Call Trace|KASAN: |UBSAN: |KFENCE: |possible recursive locking|possible circular locking|inconsistent lock state|suspicious RCU usage|bad unlock balance|INFO: task .* blocked|Kernel panic|Poison overwritten|Object corrupt|Redzone|ODEBUG|list_add corruption|list_del corruption|dma-debug disabled|DMA-API: debugging out of memory'

# boot_lane SERIES LANE [NAME]: boot one lane's guest and record its
# results as SERIES/NAME/... (NAME: the lane's name); BM_MODULE and BM_TESTS
# in the environment choose another module and other tests.
boot_lane() {
	local series=$1 lane=$2 name=${3:-$2} lane_file out rc why expect_reports re
	lane_file=$BM_TOP/vm/lanes/$lane.lane
	[ -f "$lane_file" ] || die "no lane $lane (vm/lanes/$lane.lane)"
	out=$logs/$series/$name
	mkdir -p "$out"
	log "booting $series with lane $name"
	rc=0
	"$BM_TOP/vm/run-guest.sh" "$series" "$lane_file" check "$out" || rc=$?
	# One retry, only for a guest that died before the driver was
	# loaded (Debian's 6.12 under TCG, rarely: "Oops: int3" at boot);
	# it is printed in the summary, and a second death fails the run.
	if died_before_driver "$out"; then
		why=$(grep -Eom1 'Oops: [^[]*|Kernel panic - [^[]*' "$out/console.log" | tr -d '\r')
		retried+=("$series/$name: ${why:-no output}")
		log "the guest died before the driver was loaded (${why:-no output}): booting it once more"
		mv "$out/console.log" "$out/console-first-boot.log"
		rc=0
		"$BM_TOP/vm/run-guest.sh" "$series" "$lane_file" check "$out" || rc=$?
	fi
	[ $rc -eq 124 ] && record FAIL "$series/$name/guest" "QEMU timed out"
	[ $rc -ne 0 ] && [ $rc -ne 124 ] && record FAIL "$series/$name/guest" "QEMU exited $rc"
	touch "$out/results.log" "$out/console.log"
	# A negative control must make the kernel report each planted
	# defect (its planted leak is one: kmemleak's step is expected
	# to fail there); any other lane must make it report nothing.
	expect_reports=$(. "$lane_file"; printf '%s' "${LANE_EXPECT_REPORTS:-}")
	awk -v prefix="$series/$name" -f "$BM_TOP/vm/parse-results.awk" \
		"$out/results.log" |
		if [ -n "$expect_reports" ]; then grep -v '/step:kmemleak'; else cat; fi \
		>>"$results"
	if [ -n "$expect_reports" ]; then
		while IFS= read -r re; do
			if grep -Eq "$re" "$out/console.log"; then
				record PASS "$series/$name/reported: $re"
			else
				record FAIL "$series/$name/reported: $re" "the kernel did not report a planted defect"
			fi
		done <<<"$expect_reports"
	elif grep -Eq "$console_bad" "$out/console.log"; then
		record FAIL "$series/$name/kernel-log" "the kernel reported a problem"
	else
		record PASS "$series/$name/kernel-log"
	fi

	# On any failure, show what a CI log reader needs: which cards,
	# the selftests' own words, the console around the problem.
	if grep -q "^FAIL $series/$name/" "$results"; then
		{
			echo "=== FAILED on kernel $series, lane $name ($lane_file)"
			echo "  cards: $(lane_cards "$lane_file")"
			sed -n 's/^LANE_MODPARAMS=/  module parameters: /p' "$lane_file"
			grep "^FAIL $series/$name/" "$results" | sed 's/^/  /'
			echo "--- selftest output (results.log, last 80 lines):"
			tail -n 80 "$out/results.log"
			echo "--- kernel console (console.log):"
			if grep -Eq "$console_bad" "$out/console.log"; then
				grep -En -B 5 -A 40 "$console_bad" "$out/console.log" | head -n 120
			else
				tail -n 60 "$out/console.log"
			fi
			echo "=== logs: $out"
		} >&2
		# Again at the very end, where a truncated CI log still shows it.
		if grep -Eq "$console_bad" "$out/console.log"; then
			{
				echo "=== the kernel's first report on $series/$name:"
				grep -E -A 30 -m 1 "$console_bad" "$out/console.log"
			} >>"$logs/reports.txt"
		fi
	fi
}

for series in $KERNELS; do
	check "static/module builds with W=1 and sparse on $series" module_w1 "$series"
	if grep -q "^FAIL static/module builds with W=1 and sparse on $series" "$results"; then
		record FAIL "$series/guests" "not booted: the module did not build"
		continue
	fi
	# The debug kernel's tree is a full source tree: coccinelle's checks.
	if [ "$series" = debug ] && [ "$HOST_CHECKS" != 0 ]; then
		kdir=$(. "$("$BM_TOP/vm/fetch-kernel.sh" debug)" && echo "$KDIR")
		check "static/coccinelle (scripts/coccinelle) kmod/" "$BM_TOP/vm/coccicheck.sh" "$kdir"
	fi
	for lane in $(lanes_for "$series"); do
		boot_lane "$series" "$lane"
	done
	# 32-bit processes (IA32 emulation) on the three shapes of our card.
	if [ "$series" = 6.12 ] && [ "$HOST_CHECKS" != 0 ] &&
	   [[ $'\n'$(lanes_for "$series")$'\n' == *$'\n'card-mixed$'\n'* ]] &&
	   ! grep -q '^FAIL static/selftests and bmctl build for 32-bit' "$results"; then
		BM_SELFTESTS=$BM_BUILD/selftests32 BM_USERSPACE=$BM_BUILD/userspace32 \
		BM_TESTS="busmaster_info_test busmaster_transfer_test busmaster_registered_test busmaster_handles_test busmaster_async_test" \
			boot_lane "$series" card-mixed card-mixed-32bit
	fi
	# The module as a user installs it: built by Debian's dkms from the
	# DKMS source tree, then loaded and asked its INFO in a guest (on
	# 6.12: the 6.1 build is proven by module_w1 above).
	if [ "$series" = 6.12 ] && [ "$HOST_CHECKS" != 0 ]; then
		if ko=$("$BM_TOP/vm/check-dkms.sh" "$series" 2>"$BM_BUILD/dkms-$series.log"); then
			record PASS "$series/dkms/build"
			BM_MODULE=$ko BM_TESTS=busmaster_info_test \
				boot_lane "$series" edu-32-intx dkms-edu-32-intx
		else
			record FAIL "$series/dkms/build"
			tail -n 40 "$BM_BUILD/dkms-$series.log" >&2
		fi
	fi
done

# Skips with a reason, each; the per-card variants past a lane's cards
# (BM_CARD_FIXTURE) only counted.
no_card='^SKIP .*: the lane has [0-9]+ cards?$'
grep '^SKIP' "$results" | grep -Ev "$no_card" | sed 's/^/  /' >&2
no_cards=$(grep -Ec "$no_card" "$results")
[ "$no_cards" = 0 ] ||
	echo "  SKIP (not printed) $no_cards per-card tests of cards a lane does not have" >&2
# Where the time went: the slowest selftest binaries of every boot.
echo "  slowest selftests (seconds):" >&2
for f in "$logs"/*/*/results.log; do
	[ -f "$f" ] || continue
	lane=${f%/results.log}
	sed -n "s|^BM: test-end \([^ ]*\) rc=[0-9]* secs=\([0-9]*\).*|\2 ${lane#"$logs"/}/\1|p" "$f"
done | sort -rn | head -n 12 | sed 's/^/    /' >&2
grep '^FAIL' "$results" | sed 's/^/  /' >&2
[ -f "$logs/reports.txt" ] && cat "$logs/reports.txt" >&2
for r in "${retried[@]}"; do
	echo "  RETRIED (died before the driver loaded) $r" >&2
done
passed=$(grep -c '^PASS' "$results")
failed=$(grep -c '^FAIL' "$results")
skipped=$(grep -c '^SKIP' "$results")
log "all results in $results ($(($(date +%s) - t0)) s)"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
