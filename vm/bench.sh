#!/usr/bin/env bash
# bench.sh -- make bench: build the driver, libbusmaster and the benchmark
# programs, boot the benchmark's lane (bench/lanes/realistic.lane) on one
# guest kernel, run the benchmarks there, and leave their tables and CSV
# under build/bench/. QUICK=1: one repeat of fewer, smaller cells.
#
#   KERNEL=6.12 (default) or 6.1
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series=${KERNEL:-6.12}
need_pkgs gcc make libc6-dev busybox-static cpio gzip liburing-dev
"$BM_TOP/vm/build-module.sh" "$series" >/dev/null
make -s -C "$BM_TOP/userspace" O="$BM_BUILD/userspace" STATIC=1
make -s -C "$BM_TOP/bench" O="$BM_BUILD/bench" LIBBM="$BM_BUILD/userspace/lib/libbusmaster.a"
export BM_QEMU_CARD=${BM_QEMU_CARD:-$("$BM_TOP/vm/build-qemu.sh")}

if [ "${QUICK:-0}" = 1 ]; then
	args="-s 64k,1M -q 1,16 -t 8M -r 1"
else
	args="-s 64k,1M -q 1,4,16,64 -t 32M -r 5"
fi
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
	{ echo "path,direction,size,depth,mb_per_s,min,max,utilization"; cat; } >"$out/async.csv"
grep -v '^csv,' "$out/async.txt"
log "results: $out/async.csv ($series, $(nproc) host CPUs, TCG)"
