#!/bin/busybox sh
# /init of the test guest (busybox). It loads the driver, runs what the lane
# asks for, unloads the driver and powers off.
#
# The kernel console is ttyS0; everything this script says goes to ttyS1,
# which the host parses. Lines that start with "BM:" are the protocol:
#   BM: begin kernel=K lane=L        the guest is up
#   BM: step ok|fail NAME [detail]   one harness step (insmod, rmmod, ...)
#   BM: test-begin NAME / BM: test-end NAME rc=N secs=S   one selftest binary's TAP
#   BM: end                          the guest reached the end of its list
# A missing "end" means the guest crashed or hung: the host counts a failure.

export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null

exec </dev/null >/dev/ttyS1 2>&1
. /etc/busmaster/lane.conf
# LANE_ENV: variables the lane's tests read (e.g. BUSMASTER_LYING_SLOT).
for kv in $LANE_ENV; do export "$kv"; done

say() { echo "BM: $*"; }
step() {
	name=$1
	shift
	if out=$("$@" 2>&1); then
		say "step ok $name"
	else
		say "step fail $name: $(echo "$out" | tr '\n' ' ')"
	fi
}
# leaks NAME: once a test's processes are gone, every page pinned for DMA
# is unpinned and the driver holds nothing (its debugfs counters).
leaks() {
	# Fold the per-CPU counter deltas first, or /proc/vmstat lags.
	echo 1 >/proc/sys/vm/stat_refresh
	pins=$(awk '/^nr_foll_pin_(acquired|released)/ { printf "%s ", $2 }' /proc/vmstat)
	held=$(cat /sys/kernel/debug/busmaster/claimed_pages \
		/sys/kernel/debug/busmaster/*/pinned_pages \
		/sys/kernel/debug/busmaster/*/map_registers_used \
		/sys/kernel/debug/busmaster/*/common_buffers \
		/sys/kernel/debug/busmaster/*/common_mappers 2>/dev/null |
		awk '{ s += $1 } END { print s + 0 }')
	say "leaks $1 pins=${pins% } held=$held"
}
# Each card node disappears when the driver lets go of it.
no_cards() { ! ls /dev/busmaster[0-9]* >/dev/null 2>&1; }
# A module parameter out of its range, or an unknown irq_mode, fails the
# load itself (EINVAL) and leaves no module behind; the names read back.
bad_params_refused() {
	for p in irq_mode=bogus irq_mode= map_registers=1 map_registers=2049 max_addr_bits=23 \
		max_addr_bits=65 edu_addr_bits=23 edu_addr_bits=65 timeout_ms=0 \
		timeout_ms=600001; do
		if insmod /lib/busmaster.ko "$p" 2>/dev/null; then
			echo "insmod busmaster.ko $p loaded"
			rmmod busmaster
			return 1
		fi
	done
	insmod /lib/busmaster.ko irq_mode=msi map_registers=2048 edu_addr_bits=24 || return 1
	got=$(cat /sys/module/busmaster/parameters/irq_mode \
		/sys/module/busmaster/parameters/map_registers | tr '\n' ' ')
	rmmod busmaster
	[ "$got" = "msi 2048 " ] || { echo "parameters read back as '$got'"; return 1; }
}

# bmctl stream on every card: 64 requests of 2 KiB each way (edu has
# 4095 bytes of memory), 8 in flight each way, from one thread; the card's
# statistics moved by as much.
bmctl_stream() {
	for dev in /dev/busmaster*; do
		n=${dev#/dev/busmaster}
		st=/sys/class/misc/busmaster$n/statistics
		before=$(cat $st/bytes_to_card $st/bytes_from_card | tr '\n' ' ')
		out=$(bmctl --json stream -d "$dev" --direction both --depth 8 \
			--size 2k -l 128k) || { echo "$dev: $out"; return 1; }
		after=$(cat $st/bytes_to_card $st/bytes_from_card | tr '\n' ' ')
		echo "$out" | grep -q '"bytes_to_card": 131072' &&
			echo "$out" | grep -q '"bytes_from_card": 131072' ||
			{ echo "$dev: $out"; return 1; }
		set -- $before $after
		[ $(($3 - $1)) -ge 131072 ] && [ $(($4 - $2)) -ge 131072 ] ||
			{ echo "$dev: statistics moved $(($3 - $1)) and $(($4 - $2))"; return 1; }
	done
}

# Debian's udevd with our rule (udev/60-busmaster.rules, LANE_UDEV=1):
# each card's node goes to group busmaster (990 here), mode 0660, with a
# link named by its PCI address.
udev_rule() {
	mount -t tmpfs tmpfs /run
	systemd-udevd --daemon || return 1
	udevadm trigger --action=add --subsystem-match=misc || return 1
	udevadm settle --timeout=30 || return 1
	bad=0
	for sys in /sys/class/misc/busmaster*; do
		n=${sys##*/}
		slot=$(basename "$(readlink "$sys/device")")
		got="$(stat -c '%g %a' "/dev/$n") $(readlink "/dev/busmaster/by-path/pci-$slot")"
		echo "# udev: /dev/$n: gid, mode, by-path link: $got" >/dev/ttyS1
		[ "$got" = "990 660 ../../$n" ] || bad=1
	done
	udevadm control --exit
	# Gone with udevd: nobody would take the links away at rmmod.
	rm -rf /dev/busmaster
	return $bad
}

say "begin kernel=$(uname -r) lane=$LANE_NAME mode=$LANE_MODE"

# DMA-API debug prints only its first error unless told otherwise.
[ -w /sys/kernel/debug/dma-api/all_errors ] && echo 1 >/sys/kernel/debug/dma-api/all_errors
# kmemleak (the debug kernel) judges what is allocated from here on: by a
# process started after this one, or through the module's code. Boot's own
# leaks are neither.
kmemleak=/sys/kernel/debug/kmemleak
first_pid=$(sh -c 'echo $$')

# Software PCIe errors (/dev/aer_inject), for the error-recovery test.
[ -f /lib/aer_inject.ko ] && insmod /lib/aer_inject.ko

[ "$LANE_MODE" = check ] && step bad-params-refused bad_params_refused
# A first load and unload proves probe and remove mirror each other.
step insmod insmod /lib/busmaster.ko $LANE_MODPARAMS
if [ "$LANE_MODE" = check ]; then
	step rmmod-first rmmod busmaster
	step nodes-gone-first no_cards
	step insmod-again insmod /lib/busmaster.ko $LANE_MODPARAMS
fi

case $LANE_MODE in
run)
	# The demonstration: what a user sees; the lane's LANE_DEMO lines.
	while IFS= read -r cmd; do
		[ -n "$cmd" ] || continue
		echo "\$ $cmd"
		sh -c "$cmd"
	done </etc/busmaster/demo
	;;
check)
	# Not with defects planted: the control's reports come from its tests.
	case $LANE_MODPARAMS in
	*plant_defects*) ;;
	*) step bmctl-stream bmctl_stream ;;
	esac
	# LANE_TESTS: the selftests this lane runs (default: all of them).
	for t in ${LANE_TESTS:-/selftests/*}; do
		t=/selftests/${t##*/}
		name=${t##*/}
		say "test-begin $name"
		began=$(date +%s)
		timeout "${LANE_TEST_TIMEOUT:-300}" "$t"
		rc=$?
		# Timed out: whatever is stuck in the kernel is still there.
		# Its stacks to the console (the host shows them at the end).
		[ $rc -eq 143 ] && echo w >/proc/sysrq-trigger
		# Nothing a test left behind (a test's child outlives its
		# harness killed by timeout(1)) runs into the next test.
		kill -9 -1 2>/dev/null
		say "test-end $name rc=$rc secs=$(($(date +%s) - began))"
		leaks "$name"
	done
	;;
esac

[ "$LANE_UDEV" = 1 ] && step udev-rule udev_rule
step rmmod rmmod busmaster
step nodes-gone no_cards
# kmemleak (the debug kernel): an object is reported once it is 5 s old
# and was unreferenced, and unchanged, in two scans in a row: wait, scan
# twice. The lane's leaks are the objects allocated by a process started
# after first_pid (a reference the driver forgot to drop leaks an object
# allocated at fork: its backtrace need not name the driver) or through the
# module (a worker's; unloaded by now, its frames print as bare addresses,
# the only module a debug guest loads); boot's are counted apart. Setting
# them aside with two scans at boot cost 80 s a lane. The count goes to the
# kernel log too, where a negative control's planted leak must show
# (debug-control's LANE_EXPECT_REPORTS).
if [ -w $kmemleak ]; then
	sleep 6
	if ! echo scan >$kmemleak || ! echo scan >$kmemleak; then
		say "step fail kmemleak: no scan (kmemleak switched off?)"
	else
		ours=$(awk -v first="$first_pid" '/^unreferenced object/ { n += mine; mine = 0 }
			/^  comm / { for (i = 1; i < NF; i++) if ($i == "pid" && $(i + 1) + 0 >= first) mine = 1 }
			/^ +0x[0-9a-f]+$/ || /\[busmaster\]$/ { mine = 1 }
			END { print n + mine }' $kmemleak)
		others=$(($(grep -c '^unreferenced object' $kmemleak) - ours))
		[ "$others" -eq 0 ] || echo "# kmemleak: $others unreferenced objects of boot's"
		echo "busmaster-check: kmemleak: $ours unreferenced objects since the driver loaded" >/dev/kmsg
		if [ "$ours" -eq 0 ]; then
			say "step ok kmemleak"
		else
			say "step fail kmemleak: $ours unreferenced objects since the driver loaded"
			head -n 60 $kmemleak
		fi
	fi
fi
# Let the console drain whatever the unload printed before the host reads it.
dmesg | tail -n 5 >/dev/null
say end
poweroff -f
