#!/usr/bin/env bash
# bench.sh -- make bench: build the driver, libbusmaster and the benchmark
# programs, boot the benchmark's lane (bench/lanes/realistic.lane) on one
# guest kernel, run the benchmarks there, and leave their tables, CSV and
# charts (gnuplot) under build/bench/. QUICK=1: one repeat of fewer cells.
#
#   KERNEL=6.12 (default) or 6.1
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
else
	args="-s 64k,1M -q 1,4,16,64 -t 32M -r 5"
fi
# The lane's modelled link, for the link's utilization.
link=$(grep -o 'latency_ns=[0-9]*' "$BM_TOP/bench/lanes/realistic.lane" | head -n 1 | cut -d= -f2),$(
	grep -o 'byte_latency_ps=[0-9]*' "$BM_TOP/bench/lanes/realistic.lane" | head -n 1 | cut -d= -f2)
args="$args -l $link"
out=$BM_BUILD/bench
mkdir -p "$out/logs"
lane=$out/realistic.lane
# The lane, with the benchmark as its demonstration.
{ cat "$BM_TOP/bench/lanes/realistic.lane"; echo "LANE_DEMO='async_bench -d 0 $args'"; } >"$lane"
log "host load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$BM_TOP/vm/run-guest.sh" "$series" "$lane" run "$out/logs" |
	grep -v '^BM: ' | tr -d '\r' >"$out/async.txt"
log "host load after: $(cut -d' ' -f1-3 /proc/loadavg)"
grep '^csv,' "$out/async.txt" | sed 's/^csv,//' |
	{ echo "path,direction,size,depth,mb_per_s,min,max,card_busy,link_utilization"; cat; } >"$out/async.csv"
grep -v '^csv,' "$out/async.txt"
gnuplot -e "csv='$out/async.csv'; png='$out/async.png'" "$BM_TOP/bench/async.gp"
log "results: $out/async.csv and async.png ($series, $(nproc) host CPUs, TCG)"
