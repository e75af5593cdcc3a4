#!/usr/bin/env bash
# bench.sh -- make bench: build the driver, libbusmaster and the benchmark
# programs, boot the benchmark's lane (bench/lanes/realistic.lane) on one
# guest kernel, run the benchmarks there -- async_bench (queued requests),
# then xfer_bench (the synchronous path) -- and leave their tables, CSV and
# charts (gnuplot) under build/bench/. QUICK=1: one repeat of fewer cells.
#
#   KERNEL=6.12 (default) or 6.1
#   CARD=realistic (default) or unthrottled (bench/lanes/unthrottled.lane:
#     no link model; results under build/bench/unthrottled/, no memory boot)
#   XFER_ARGS: more xfer_bench options, e.g. --crossover (copy against pin)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series=${KERNEL:-6.12}
need_pkgs gcc make libc6-dev busybox-static cpio gzip liburing-dev gnuplot-nox
"$BM_TOP/vm/build-module.sh" "$series" >/dev/null
make -s -C "$BM_TOP/userspace" O="$BM_BUILD/userspace" STATIC=1
make -s -C "$BM_TOP/bench" O="$BM_BUILD/bench" LIBBM="$BM_BUILD/userspace/lib/libbusmaster.a"
export BM_QEMU_CARD=${BM_QEMU_CARD:-$("$BM_TOP/vm/build-qemu.sh")}

if [ "${QUICK:-0}" = 1 ]; then
	args="-s 64k,1M -q 1,16 -t 8M -r 1"
	xfer_args="--quick"
else
	args="-s 64k,1M -q 1,4,16,64 -t 32M -r 3"
	xfer_args="-t 16M -r 3"
fi
card=${CARD:-realistic}
card_lane=$BM_TOP/bench/lanes/$card.lane
[ -f "$card_lane" ] || die "CARD=$card: no $card_lane"
# The lane's modelled link, for the link's utilization (none: unthrottled).
link_ns=$(grep -o 'latency_ns=[0-9]*' "$card_lane" | head -n 1 | cut -d= -f2 || true)
link_ps=$(grep -o 'byte_latency_ps=[0-9]*' "$card_lane" | head -n 1 | cut -d= -f2 || true)
if [ -n "$link_ns$link_ps" ]; then
	args="$args -l ${link_ns:-0},${link_ps:-0}"
	xfer_args="$xfer_args -l ${link_ns:-0},${link_ps:-0}"
fi
xfer_args="$xfer_args ${XFER_ARGS:-}"
out=$BM_BUILD/bench
[ "$card" = realistic ] || out=$out/$card
mkdir -p "$out/logs"
lane=$out/$card.lane
# The lane, with the benchmarks as its demonstration: a command a line.
{
	cat "$card_lane"
	printf "LANE_DEMO='async_bench -d 0 %s\nxfer_bench -d 0 %s'\n" "$args" "$xfer_args"
} >"$lane"
log "host load before: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$out/async.txt"
: >"$out/xfer.txt"
rm -f "$out/async.png" "$out/xfer.png"
# The guest says "$ COMMAND" before each; what follows is that program's.
"$BM_TOP/vm/run-guest.sh" "$series" "$lane" run "$out/logs" |
	grep -v '^BM: ' | tr -d '\r' |
	awk -v a="$out/async.txt" -v x="$out/xfer.txt" '
		/^\$ / { f = $2 == "xfer_bench" ? x : a }
		{ print >> (f == "" ? a : f) }'
log "host load after: $(cut -d' ' -f1-3 /proc/loadavg)"

sed -n 's/^csv,//p' "$out/async.txt" |
	{ echo "path,direction,size,depth,mb_per_s,min,max,card_busy,link_utilization"; cat; } >"$out/async.csv"
sed -n 's/^xcsv,//p' "$out/xfer.txt" |
	{ echo "design,direction,size,threads,mb_per_s,min,max,p50_us,p99_us,p999_us,max_us,cpu_proc_s_per_gib,cpu_guest_s_per_gib,card_busy,link_utilization,peak_pinned_pages,peak_bounce"; cat; } >"$out/xfer.csv"
grep -v '^csv,' "$out/async.txt" || true
grep -v '^xcsv,' "$out/xfer.txt" || true
# A chart needs rows: a program that failed leaves its table and error only.
rc=0
for b in async xfer; do
	if [ "$(wc -l <"$out/$b.csv")" -gt 1 ]; then
		gnuplot -e "csv='$out/$b.csv'; png='$out/$b.png'" "$BM_TOP/bench/$b.gp"
	else
		log "$b: no results (see $out/$b.txt)"
		rc=1
	fi
done

if [ "$card" != realistic ]; then
	log "results: $out/{async,xfer}.{txt,csv,png} ($series, $card card, $(nproc) host CPUs, TCG)"
	exit $rc
fi

# Memory at peak where buffers bounce: card-mixed's 32-bit card (swiotlb)
# and 24-bit card (the driver's map registers), in a 6 GiB guest.
mem_args="-D default,pin,copy,registered -s 64k,1M -x to,from -T 1 -t 8M -r 1"
{
	cat "$BM_TOP/vm/lanes/card-mixed.lane"
	echo LANE_BENCH=1
	printf "LANE_DEMO='xfer_bench -d 1 -b /sys/kernel/debug/swiotlb/io_tlb_used %s\nxfer_bench -d 2 -b /sys/kernel/debug/busmaster/busmaster2/map_registers_used %s'\n" \
		"$mem_args" "$mem_args"
} >"$out/memory.lane"
"$BM_TOP/vm/run-guest.sh" "$series" "$out/memory.lane" run "$out/logs-memory" |
	grep -v '^BM: ' | tr -d '\r' | grep -v '^xcsv,' >"$out/memory.txt" || rc=1
sed -n '/^\$ /,$p' "$out/memory.txt"
log "results: $out/{async,xfer}.{txt,csv,png}, $out/memory.txt ($series, $(nproc) host CPUs, TCG)"
exit $rc
