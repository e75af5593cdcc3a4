#!/usr/bin/env bash
# run.sh [SERIES] [LANE] -- the main job: build everything, boot a guest with
# a card, load the driver and show what bmctl sees, on this terminal.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series=${1:-6.1}
lane=${2:-card-mixed}
need_pkgs gcc make libc6-dev busybox-static cpio gzip qemu-system-x86 liburing-dev

"$BM_TOP/vm/build-module.sh" "$series" >/dev/null
make -s -C "$BM_TOP/userspace" O="$BM_BUILD/userspace" STATIC=1
ksrc=$("$BM_TOP/vm/fetch-ksrc.sh")
mkdir -p "$BM_BUILD/selftests"
make -s -C "$BM_TOP/selftests" KSFT_DIR="$ksrc/tools/testing/selftests" \
	OUTPUT="$BM_BUILD/selftests"

out=$BM_BUILD/logs/run/$series-$lane
mkdir -p "$out"
log "booting Debian's $series kernel with lane $lane (cards: $(lane_cards "$BM_TOP/vm/lanes/$lane.lane"))"
"$BM_TOP/vm/run-guest.sh" "$series" "$BM_TOP/vm/lanes/$lane.lane" run "$out" |
	grep -v '^BM: '
log "what the kernel said about the card:"
grep -E 'busmaster' "$out/console.log" | grep -v 'taints kernel' >&2 || true
log "guest console: $out/console.log"
