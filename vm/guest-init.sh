#!/bin/busybox sh
# /init of the test guest (busybox). It loads the driver, runs what the lane
# asks for, unloads the driver and powers off.
#
# The kernel console is ttyS0; everything this script says goes to ttyS1,
# which the host parses. Lines that start with "BM:" are the protocol:
#   BM: begin kernel=K lane=L        the guest is up
#   BM: step ok|fail NAME [detail]   one harness step (insmod, rmmod, ...)
#   BM: test-begin NAME / BM: test-end NAME rc=N   one selftest binary's TAP
#   BM: end                          the guest reached the end of its list
# A missing "end" means the guest crashed or hung: the host counts a failure.

export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

exec </dev/null >/dev/ttyS1 2>&1
. /etc/busmaster/lane.conf

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
# Each card node disappears when the driver lets go of it.
no_cards() { ! ls /dev/busmaster* >/dev/null 2>&1; }

say "begin kernel=$(uname -r) lane=$LANE_NAME mode=$LANE_MODE"

# A first load and unload proves probe and remove mirror each other.
step insmod insmod /lib/busmaster.ko $LANE_MODPARAMS
if [ "$LANE_MODE" = check ]; then
	step rmmod-first rmmod busmaster
	step nodes-gone-first no_cards
	step insmod-again insmod /lib/busmaster.ko $LANE_MODPARAMS
fi

case $LANE_MODE in
run)
	# The demonstration: what a user sees.
	for cmd in "bmctl list" "bmctl info" "bmctl --json info"; do
		echo "\$ $cmd"
		$cmd
	done
	;;
check)
	for t in /selftests/*; do
		name=${t##*/}
		say "test-begin $name"
		timeout "${LANE_TEST_TIMEOUT:-300}" "$t"
		say "test-end $name rc=$?"
	done
	;;
esac

step rmmod rmmod busmaster
step nodes-gone no_cards
# Let the console drain whatever the unload printed before the host reads it.
dmesg | tail -n 5 >/dev/null
say end
poweroff -f
