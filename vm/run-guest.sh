#!/usr/bin/env bash
# run-guest.sh SERIES LANE MODE OUTDIR -- boot one guest kernel with one lane's
# cards under QEMU (TCG) and leave console.log and results.log in OUTDIR.
#
#   SERIES  6.1 or 6.12
#   LANE    a vm/lanes/*.lane file: the cards, module parameters, expectations
#   MODE    check (selftests) or run (the bmctl demonstration)
#
# Expects the module, bmctl and the selftests already built (vm/check.sh and
# vm/run.sh build them). Exit status: QEMU's (124 when it timed out).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series=${1:?usage: run-guest.sh SERIES LANE MODE OUTDIR}
lane_file=${2:?}
mode=${3:?}
outdir=${4:?}

. "$("$BM_TOP/vm/fetch-kernel.sh" "$series")"
LANE_QEMU=stock LANE_MEM=6G LANE_SMP=2 LANE_MODPARAMS= LANE_EXPECT= LANE_TIMEOUT=900
LANE_TESTS= LANE_DEBUG_TESTS= LANE_ENV= LANE_APPEND= LANE_EXPECT_REPORTS= LANE_UDEV= LANE_BENCH= LANE_DEMO="bmctl list
bmctl info"
. "$lane_file"
lane=$(basename "$lane_file" .lane)
# LANE_DEBUG_TESTS: what the lane runs on the debug kernel instead, where
# every selftest is several times slower: what its cards add to the
# instruments, not what card-mixed already ran there.
[ "$series" != debug ] || LANE_TESTS=${LANE_DEBUG_TESTS:-$LANE_TESTS}
# Overrides for narrow runs (make fuzz): which selftests, the fuzzer's
# budget and seed, how long one selftest and the whole guest may take.
LANE_TESTS=${BM_TESTS:-$LANE_TESTS}
[ -z "${BM_FUZZ_SECONDS:-}" ] || LANE_ENV="$LANE_ENV BUSMASTER_FUZZ_SECONDS=$BM_FUZZ_SECONDS"
[ -z "${BM_FUZZ_SEED:-}" ] || LANE_ENV="$LANE_ENV BUSMASTER_FUZZ_SEED=$BM_FUZZ_SEED"
# The debug kernel (KASAN, lockdep) is several times slower: its fail_nth
# run alone took 300 s and more on a three-card lane.
[ "$series" = debug ] && test_timeout=600 || test_timeout=300
[ "$series" != debug ] || LANE_TIMEOUT=$((LANE_TIMEOUT * 2))
LANE_TEST_TIMEOUT=${BM_TEST_TIMEOUT:-${LANE_TEST_TIMEOUT:-$test_timeout}}
LANE_TIMEOUT=${BM_LANE_TIMEOUT:-$LANE_TIMEOUT}

case $LANE_QEMU in
stock)
	need_pkgs qemu-system-x86
	qemu=(qemu-system-x86_64)
	;;
card)
	# BM_QEMU_CARD: a ready binary with the card, instead of building one.
	qemu=("${BM_QEMU_CARD:-$("$BM_TOP/vm/build-qemu.sh")}"
		-L /usr/share/seabios -L /usr/lib/ipxe/qemu -L /usr/share/qemu)
	;;
*) die "$lane_file: LANE_QEMU must be stock or card" ;;
esac
need_pkgs busybox-static cpio gzip xz-utils

# BM_MODULE: another build of the module (the one dkms built, say).
ko=${BM_MODULE:-$BM_BUILD/module/$KVER/kmod/busmaster.ko}
[ -f "$ko" ] || die "$ko is not built (vm/build-module.sh $series)"

# The initramfs: busybox, the module, bmctl, the selftests, /init; then the
# lane's own files in a second archive appended to the first (the kernel
# unpacks concatenated archives in order).
root=$outdir/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,lib,selftests,etc/busmaster,proc,sys,dev,tmp}
cp /bin/busybox "$root/bin/busybox"
cp "$BM_TOP/vm/guest-init.sh" "$root/init"
cp "$ko" "$root/lib/busmaster.ko"
# Debian's aer_inject module, which guest-init loads (the debug kernel has it built in).
aer=$(ls "${VMLINUZ%/boot/*}/lib/modules/$KVER/kernel/drivers/pci/pcie"/aer_inject.ko* 2>/dev/null || true)
case $aer in
*.xz) xz -dc "$aer" >"$root/lib/aer_inject.ko" ;;
?*) cp "$aer" "$root/lib/aer_inject.ko" ;;
esac
# BM_USERSPACE, BM_SELFTESTS: other builds of bmctl and the selftests
# (the 32-bit ones, say).
cp "${BM_USERSPACE:-$BM_BUILD/userspace}/bmctl/bmctl" "$root/bin/bmctl"
# The benchmark programs (make bench), where built.
for b in "$BM_BUILD"/bench/*_bench; do
	[ -x "$b" ] && cp "$b" "$root/bin/"
done
cp "${BM_SELFTESTS:-$BM_BUILD/selftests}"/busmaster_*_test "$root/selftests/"
# LANE_UDEV=1: Debian's udevd and our rule, as installed (make install),
# with the group it names; guest-init checks what it makes of the cards.
# Not on the debug kernel: built from allnoconfig, it has no AF_UNIX
# sockets, which udevd needs.
if [ "$LANE_UDEV" = 1 ] && [ "$KSERIES" = debug ]; then
	LANE_UDEV=
fi
if [ "$LANE_UDEV" = 1 ]; then
	need_pkgs udev
	udevadm=$(command -v udevadm)
	mkdir -p "$root/etc/udev/rules.d" "$root/run"
	cp "$udevadm" "$root/bin/udevadm"
	ln -s udevadm "$root/bin/systemd-udevd"
	# Its libraries and loader where they are on the host.
	ldd "$udevadm" | awk '/=> \// { print $3 } /^\t\// { print $1 }' |
		while read -r l; do cp -L --parents "$l" "$root/"; done
	cp "$BM_TOP/udev/60-busmaster.rules" "$root/etc/udev/rules.d/"
	printf 'root:x:0:0:root:/:/bin/sh\n' >"$root/etc/passwd"
	printf 'root:x:0:\nbusmaster:x:990:\n' >"$root/etc/group"
fi
cat >"$root/etc/busmaster/lane.conf" <<EOF
LANE_NAME='$lane'
LANE_MODE='$mode'
LANE_MODPARAMS='$LANE_MODPARAMS'
LANE_TESTS='$LANE_TESTS'
LANE_ENV='$LANE_ENV'
LANE_TEST_TIMEOUT='$LANE_TEST_TIMEOUT'
LANE_UDEV='$LANE_UDEV'
EOF
printf '%s\n' "$LANE_EXPECT" >"$root/etc/busmaster/expect"
printf '%s\n' "$LANE_DEMO" >"$root/etc/busmaster/demo"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$outdir/initramfs.cpio.gz"

# What every boot turns on to see more. The debug kernel has its own
# instruments: every KASAN report, not just the first; no slab merging (a
# stray write stays in its own cache, and fail-nth can single out the
# kmalloc caches); DMA-API debug entries for the largest registered buffer
# (1 GiB, 262144 pages), so it never has to grow its pool -- a failed
# growth would switch it off. Debian's kernels get SLUB's poisoning and
# redzones -- but not a benchmark's boot (LANE_BENCH=1), which measures the
# kernel as users run it: SLUB's stack trace per allocation and free made a
# 4 KiB TRANSFER take 700 us instead of 170. Both report a task blocked
# for 30 s.
case $KSERIES in
debug) see="kasan_multi_shot slab_nomerge dma_debug_entries=262144" ;;
*) [ -n "$LANE_BENCH" ] && see= || see="slub_debug=FZPU" ;;
esac
see="$see sysctl.kernel.hung_task_timeout_secs=30"
# tsc=unstable: the sched clock is never switched to stable at
# late_initcall, a live patch of sched_clock_cpu()'s static key while the
# other vCPU runs it -- where Debian's 6.12 under TCG died, rarely, with
# "Oops: int3 in sched_clock_cpu" ("sched_clock: Marking stable" is gone
# from the console with it). Measured: 43 s against 42 s for lane
# card-mixed on 6.12; the clocksource becomes hpet.
see="$see tsc=unstable"

rm -f "$outdir/console.log" "$outdir/results.log"
cmd=("${qemu[@]}" -machine q35 -accel tcg -smp "$LANE_SMP" -m "$LANE_MEM"
	-nodefaults -display none -no-reboot
	-kernel "$VMLINUZ" -initrd "$outdir/initramfs.cpio.gz"
	-append "console=ttyS0 panic=-1 rdinit=/init $see $LANE_APPEND"
	-serial "file:$outdir/console.log")
if [ "$mode" = run ]; then
	cmd+=(-serial stdio)
else
	cmd+=(-serial "file:$outdir/results.log")
fi
cmd+=("${LANE_DEVICES[@]}")
printf '%q ' "${cmd[@]}" >"$outdir/qemu.cmd"
echo >>"$outdir/qemu.cmd"

rc=0
timeout -k 10 "$LANE_TIMEOUT" "${cmd[@]}" </dev/null || rc=$?
exit $rc
