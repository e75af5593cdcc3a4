#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# test-xfer.sh BMCTL FAKE-CARD.so: bmctl write, read, fill, verify, stats
# and stream against fake-card.so (LD_PRELOAD), which answers the
# busmaster ioctls on a plain file the way the driver documents them. It
# proves bmctl's chunk loop, the buffer paths (user, --common,
# --registered), verify's mismatch report, stream's requests at depth and
# its checks, and that failures part-way name the bytes moved; with
# BM_FAKE_LOG, the flags of every TRANSFER bmctl issued (--copy, --pin).
# The real card is tested by the selftests in the guest.
set -u
bmctl=$1
fake=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

if command -v python3 >/dev/null 2>&1; then
	json_ok() { python3 -c 'import json,sys; json.load(sys.stdin)' <"$1" 2>/dev/null; }
	json_get() { python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[k]
print(str(d).lower() if isinstance(d, bool) else d)' "$2" <"$1"; }
else
	echo "1..0 # SKIP no python3 to read JSON"
	exit 0
fi

point() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
		sed 's/^/# stdout: /' "$tmp/out"
		sed 's/^/# stderr: /' "$tmp/err"
	fi
}

card="$tmp/card"
: >"$card"
mkfifo "$tmp/fifo"
export BM_FAKE_CARD="$card" BM_FAKE_MEM="$tmp/mem" BM_FAKE_SIZE=$((8 << 20))
export BM_FAKE_LOG="$tmp/log"

# flags FLAGS WHAT: every TRANSFER since the last call carried exactly
# FLAGS (hexadecimal, as the fake card logs them; "" for none issued)
flags() {
	seen=$(sed -n 's/^TRANSFER flags=\(0x[0-9a-f]*\) .*/\1/p' "$tmp/log" 2>/dev/null |
	       sort -u | tr '\n' ' ')
	: >"$tmp/log"
	[ "$seen" = "${1:+$1 }" ]
	ok=$?
	[ $ok = 0 ] || echo "# TRANSFER flags seen: '$seen', want '$1'"
	point $ok "$2: TRANSFER flags ${1:-none}"
}

# run ARGS...: bmctl with the fake card (and ulimit -l $memlock, if set);
# status in $got
run() {
	(
		[ -z "${memlock:-}" ] || ulimit -l "$memlock"
		LD_PRELOAD=$fake exec "$bmctl" "$@"
	) >"$tmp/out" 2>"$tmp/err"
	got=$?
}

# expect STATUS TEXT ARGS...: TEXT in stdout or stderr (or nothing if "")
expect() {
	want=$1 text=$2
	shift 2
	run "$@"
	ok=1
	[ "$got" = "$want" ] || ok=0
	if [ -n "$text" ]; then
		cat "$tmp/out" "$tmp/err" | grep -qF -- "$text" || ok=0
	fi
	point $((1 - ok)) "bmctl $* -> $want${text:+, \"$text\"}"
}

# jexpect STATUS KEY=VALUE... -- ARGS...: bmctl --json ARGS; valid JSON,
# nothing on stderr, each KEY (dotted path) has VALUE
jexpect() {
	want=$1
	shift
	checks=""
	while [ "$1" != "--" ]; do
		checks="$checks $1"
		shift
	done
	shift
	run --json "$@"
	ok=1
	[ "$got" = "$want" ] || ok=0
	[ -s "$tmp/err" ] && ok=0
	json_ok "$tmp/out" || ok=0
	for c in $checks; do
		v=$(json_get "$tmp/out" "${c%%=*}" 2>/dev/null)
		[ "$v" = "${c#*=}" ] || { ok=0; echo "# ${c%%=*} is '$v'"; }
	done
	point $((1 - ok)) "bmctl --json $* -> $want,$checks"
}

head -c 3000000 /dev/urandom >"$tmp/in"
head -c 300001 /dev/urandom >"$tmp/odd"

# user buffer path: a file, read back, compared three ways
expect 0 "wrote 2.9 MiB to card 0000:00:05.0 at offset 0x1000 in 46 card transfers" \
	write -d "$card" -o 4k "$tmp/in"
expect 0 "read 2.9 MiB from card 0000:00:05.0 at offset 0x1000" \
	read -d "$card" -o 0x1000 -l 3000000 "$tmp/back"
cmp -s "$tmp/in" "$tmp/back"; point $? "read gives back what write wrote"
expect 0 "identical" verify -d "$card" -o 4k --file "$tmp/in"
expect 0 "" read -d "$card" -o 4k -l 1000 - 
head -c 1000 "$tmp/in" | cmp -s - "$tmp/out"; point $? "read to stdout: the data on stdout"
grep -q "^read 1000 bytes from card" "$tmp/err"; point $? "read to stdout: the summary on stderr"

# common buffer path, in chunks smaller than the request
expect 0 "wrote 293.0 KiB to card" write --common -d "$card" -o 1M "$tmp/odd"
expect 0 "" read --common -d "$card" -o 1M -l 300001 "$tmp/back"
cmp -s "$tmp/odd" "$tmp/back"; point $? "--common: read gives back what write wrote"
expect 0 "identical" verify -d "$card" -o 1M --file "$tmp/odd"
jexpect 0 direction=to_card buffer=common bytes=300001 offset=0 -- \
	write --common -d "$card" - <"$tmp/odd"
jexpect 0 match=true -- verify --common -d "$card" -l 300001 --file - <"$tmp/odd"

# registered buffer path: one buffer registered once, every chunk through it
expect 0 "wrote 2.9 MiB to card 0000:00:05.0 at offset 0x3000 through a registered buffer of 2.9 MiB (pinned and mapped once for 1 request) in 46 card transfers" \
	write --registered -d "$card" -o 12k "$tmp/in"
expect 0 "through a registered buffer" \
	read --registered -d "$card" -o 12k -l 3000000 "$tmp/back"
cmp -s "$tmp/in" "$tmp/back"; point $? "--registered: read gives back what write wrote"
expect 0 "identical" verify --registered -d "$card" -o 12k --file "$tmp/in"
expect 0 "filled 8 MiB of card 0000:00:05.0 at offset 0 with seed 9 through a registered buffer of 4 MiB (pinned and mapped once for 2 requests) in 128 card transfers" \
	fill --registered -d "$card" -l 8M --seed 9
expect 0 "identical" verify -d "$card" -l 8M --seed 9
expect 0 "against seed 9 through a registered buffer of 4 MiB (pinned and mapped once for 2 requests): identical" \
	verify --registered -d "$card" -l 8M --seed 9
# --no-sync: the fake bounces like swiotlb, so a missed SYNC would show
expect 0 "(pinned and mapped once for 2 requests, synced by bmctl)" \
	fill --registered --no-sync -d "$card" -l 8M --seed 10
expect 0 "identical" verify --registered --no-sync -d "$card" -l 8M --seed 10
expect 0 "identical" verify -d "$card" -o 777 -l 3333 --seed 10
jexpect 0 buffer=registered buffer_size=4194304 sync=explicit requests=2 match=true -- \
	verify --registered --no-sync -d "$card" -l 8M --seed 10
expect 0 "" write --registered --no-sync -d "$card" -o 1M "$tmp/odd"
expect 0 "" read --registered --no-sync -d "$card" -o 1M -l 300001 "$tmp/back"
cmp -s "$tmp/odd" "$tmp/back"; point $? "--registered --no-sync: read gives back what write wrote"
jexpect 0 buffer=registered buffer_size=300001 sync=transfer requests=1 bytes=300001 -- \
	write --registered -d "$card" - <"$tmp/odd"
# over RLIMIT_MEMLOCK: a smaller buffer, or (none fits) a clear refusal
memlock=64
expect 0 "through a registered buffer of 64 KiB (pinned and mapped once for 16 requests)" \
	fill --registered -d "$card" -l 1M --byte 3
memlock=0
expect 1 "registering a 1 MiB buffer, or one down to 4 KiB: over RLIMIT_MEMLOCK (ulimit -l): 0 KiB allowed" \
	fill --registered -d "$card" -l 1M --byte 3
jexpect 1 error.errno=12 -- fill --registered -d "$card" -l 1M --byte 3
memlock=
expect 1 "bmctl: write: --common and --registered conflict: give one buffer path" \
	write --registered --common -d "$card" "$tmp/in"
jexpect 1 error.subject=verify -- verify --common --registered -d "$card" -l 1M --seed 1
expect 1 "bmctl: fill: --no-sync needs --registered" \
	fill --no-sync -d "$card" -l 1M --seed 1
BM_FAKE_FAIL=200000 jexpect 1 bytes=200000 buffer=registered error.errno=5 card_status_name=ERR_HOST -- \
	read --registered --no-sync -d "$card" -l 1M "$tmp/back"

# the user buffer path: --copy and --pin reach every TRANSFER, the driver
# chooses without them (BUSMASTER_XFER_COPY 0x10, _PIN 0x20, FROM_CARD 0x1)
: >"$tmp/log"
expect 0 "wrote 2.9 MiB to card 0000:00:05.0 at offset 0x1000 through a user buffer of 2.9 MiB (copied through the driver's buffer: --copy) in 46 card transfers" \
	write --copy -d "$card" -o 4k "$tmp/in"
flags 0x10 "write --copy"
expect 0 "read 2.9 MiB from card 0000:00:05.0 at offset 0x1000 through a user buffer of 2.9 MiB (pinned and mapped for each request: --pin) in 46 card transfers" \
	read --pin -d "$card" -o 4k -l 3000000 "$tmp/back"
flags 0x21 "read --pin"
cmp -s "$tmp/in" "$tmp/back"; point $? "--copy, then --pin: read gives back what write wrote"
expect 0 "identical" verify --copy -d "$card" -o 4k --file "$tmp/in"
flags 0x11 "verify --copy"
expect 0 "with seed 5 through a user buffer of 4 MiB (pinned and mapped for each request: --pin) in 128 card transfers" \
	fill --pin -d "$card" -l 8M --seed 5
flags 0x20 "fill --pin (2 requests)"
expect 0 "filled 8 MiB of card 0000:00:05.0 at offset 0 with seed 5 in 128 card transfers" \
	fill -d "$card" -l 8M --seed 5
flags 0x0 "fill, the driver's choice"
jexpect 0 buffer=user user_path=copy requests=2 match=true -- \
	verify --copy -d "$card" -l 8M --seed 5
flags 0x11 "verify --copy --json"
jexpect 0 buffer=user user_path=pin bytes=300001 -- write --pin -d "$card" - <"$tmp/odd"
flags 0x20 "write --pin from stdin"
jexpect 0 buffer=user user_path=driver match=true -- verify -d "$card" -l 300001 --file "$tmp/odd"
flags 0x1 "verify, the driver's choice"
jexpect 0 buffer=common -- fill --common -d "$card" -l 64k --byte 1
! grep -q '"user_path"' "$tmp/out"; point $? "--common: no user_path in the JSON"
jexpect 0 buffer=registered -- fill --registered -d "$card" -l 64k --byte 1
! grep -q '"user_path"' "$tmp/out"; point $? "--registered: no user_path in the JSON"
: >"$tmp/log"
expect 1 "bmctl: write: --copy and --pin conflict: give one way to move user memory (see 'bmctl help write')" \
	write --copy --pin -d "$card" "$tmp/in"
expect 1 "bmctl: fill: --copy and --common conflict: --copy and --pin apply to the user buffer path only" \
	fill --common --copy -d "$card" -l 4k --byte 0
expect 1 "bmctl: read: --pin and --registered conflict: --copy and --pin apply to the user buffer path only" \
	read --pin --registered -d "$card" -l 4k "$tmp/back"
jexpect 1 error.subject=verify -- verify --pin --copy -d "$card" -l 4k --byte 0
flags "" "conflicting options: no TRANSFER"
# an ABI 2 driver knows neither flag: refused before any DMA, in words
BM_FAKE_ABI=2 expect 1 "fill of 4 KiB at card offset 0x0: the driver (ABI 2) cannot be told to copy or pin: --copy needs ABI 3; nothing moved" \
	fill --copy -d "$card" -l 4k --byte 0
BM_FAKE_ABI=2 jexpect 1 error.errno=22 user_path=pin bytes=0 -- fill --pin -d "$card" -l 4k --byte 0
flags "" "--copy, --pin on an ABI 2 driver: no TRANSFER"
BM_FAKE_ABI=2 expect 0 "filled 4 KiB" fill -d "$card" -l 4k --byte 0
flags 0x0 "an ABI 2 driver without --copy or --pin"
BM_FAKE_ERRNO=12 expect 1 "no memory for the driver's copy buffer" \
	write --copy -d "$card" -l 4k "$tmp/in"
: >"$tmp/log"

# patterns: fill with one path, verify with the other and at a sub-range
expect 0 "filled 8 MiB of card 0000:00:05.0 at offset 0 with seed 7 in 128 card transfers" \
	fill -d "$card" -l 8M --seed 7
expect 0 "identical" verify --common -d "$card" -l 8M --seed 7
expect 0 "identical" verify -d "$card" -o 12345 -l 777 --seed 7
jexpect 0 transfers=128 bytes=8388608 direction=from_card pattern.kind=seed pattern.seed=7 match=true mismatched_bytes=0 -- \
	verify -d "$card" -l 8M --seed 7
expect 1 "mismatch: " verify -d "$card" -l 8M --seed 8
expect 0 "with byte 0x5a" fill --common -d "$card" -o 4k -l 64k --byte 0x5a
expect 0 "identical" verify -d "$card" -o 4k -l 64k --byte 90
printf '\001' | LD_PRELOAD=$fake "$bmctl" write -d "$card" -o 0x2345 >/dev/null 2>&1
expect 1 "mismatch: 1 of 64 KiB of card 0000:00:05.0 at offset 0x1000 differ from byte 0x5a; the first at card offset 0x2345 (expected 0x5a, read 0x01)" \
	verify -d "$card" -o 4k -l 64k --byte 0x5a
jexpect 1 match=false mismatched_bytes=1 first_mismatch_offset=9029 expected=90 actual=1 -- \
	verify --common -d "$card" -o 4k -l 64k --byte 0x5a

# range and alignment are checked before any DMA
expect 1 "write of 2.9 MiB at card offset 0x600000: beyond the card's memory (the card has 8 MiB); nothing moved" \
	write -d "$card" -o 6M "$tmp/in"
BM_FAKE_ALIGN=8 expect 1 "the card needs 8-byte alignment of address, length and card offset; nothing moved" \
	fill -d "$card" -o 4 -l 4k --byte 0
export BM_FAKE_ALIGN=8
expect 1 "write of 293.0 KiB at card offset 0x0: the card needs 8-byte alignment of address, length and card offset; nothing moved" \
	write -d "$card" - <"$tmp/odd"
cat "$tmp/odd" >"$tmp/fifo" &
expect 1 "write at card offset 0x0: stdin ends at a length the card cannot move (it needs 8-byte multiples)" \
	write -d "$card" - <"$tmp/fifo"
wait
unset BM_FAKE_ALIGN
head -c 9M /dev/zero >"$tmp/big"
expect 1 "write of 9 MiB at card offset 0x0: beyond the card's memory (the card has 8 MiB); nothing moved" \
	write -d "$card" - <"$tmp/big"
cat "$tmp/big" >"$tmp/fifo" 2>/dev/null &
expect 1 "write at card offset 0x0: stdin holds more than the card's memory from this offset, after 8 MiB" \
	write -d "$card" - <"$tmp/fifo"
wait

# failures part-way: the card's status and the bytes moved before
export BM_FAKE_FAIL=200000
expect 1 "bmctl: $card: write of 2.9 MiB at card offset 0x0: the card failed the transfer with status 0x86 (ERR_HOST: the bus rejected a host-memory access), after 195.3 KiB" \
	write -d "$card" "$tmp/in"
jexpect 1 bytes=200000 error.errno=5 card_status=134 card_status_name=ERR_HOST -- \
	read --common -d "$card" -l 1M "$tmp/back"
jexpect 1 bytes=200000 -- fill -d "$card" -l 8M --seed 1
unset BM_FAKE_FAIL
BM_FAKE_ERRNO=110 expect 1 "fill of 1 MiB at card offset 0x0: the card did not finish in time; its DMA channel was stopped; nothing moved" \
	fill -d "$card" -l 1M --byte 0
BM_FAKE_ERRNO=14 expect 1 "the buffer is not writable memory" \
	read -d "$card" -l 1M "$tmp/back"

# bmctl stats: the card's statistics/ in sysfs (a fake one here)
stats=$tmp/sys/class/misc/card/statistics
mkdir -p "$stats"
v=3145728
for f in bytes_to_card bytes_from_card bytes_bounced transfers_to_card \
	transfers_from_card requests requests_failed requests_in_flight \
	timeouts card_resets pinned_pages; do
	echo "$v" >"$stats/$f"
	v=$((v / 2 + 1))
done
export BM_SYSFS_ROOT=$tmp/sys
expect 0 "bytes to card:" stats -d "$card"
grep -q "^bytes to card: *3145728 (3 MiB)$" "$tmp/out"; point $? "stats: bytes with their size for a person"
grep -q "^card transfers to card: *393217$" "$tmp/out"; point $? "stats: a count as it is"
! grep -q "^card:" "$tmp/out"; point $? "stats: a card that does not count itself shows no counters"
! grep -q "copied" "$tmp/out"; point $? "stats: a driver before ABI 3 shows no copy counters"
jexpect 0 device="$card" bytes_to_card=3145728 bytes_bounced=786433 pinned_pages=3073 -- \
	stats -d "$card"
! grep -q '_copied"' "$tmp/out"; point $? "stats --json: a driver before ABI 3 has no requests_copied, bytes_copied"
echo 41 >"$stats/requests_copied"
echo 2621440 >"$stats/bytes_copied"
expect 0 "" stats -d "$card"
grep -q "^requests copied (not pinned): *41$" "$tmp/out"; point $? "stats: the requests the driver copied"
grep -q "^bytes copied: *2621440 (2.5 MiB)$" "$tmp/out"; point $? "stats: the bytes it copied, with their size"
jexpect 0 requests_copied=41 bytes_copied=2621440 requests=98305 -- stats -d "$card"
echo 4x >"$stats/bytes_copied"
expect 1 "$card: Input/output error" stats -d "$card"
echo 0 >"$stats/bytes_copied"
echo 7340032 >"$stats/card_bytes"
echo 1500000000 >"$stats/card_busy_ns"
expect 0 "1.500 s" stats -d "$card"
grep -q "^card: busy: *1.500 s$" "$tmp/out"; point $? "stats: the card's own busy time"
grep -q "^card: bytes moved: *7340032 (7 MiB)$" "$tmp/out"; point $? "stats: the card's own byte counter"
jexpect 0 card_bytes=7340032 card_busy_ns=1500000000 -- stats -d "$card"
echo x >"$stats/timeouts"
expect 1 "$card: Input/output error" stats -d "$card"
rm "$stats/timeouts"
jexpect 1 error.errno=2 -- stats -d "$card"
unset BM_SYSFS_ROOT

# bmctl stream: SUBMIT and REAP at depth (the fake runs each at SUBMIT)
expect 0 "streamed 8 MiB to card 0000:00:05.0: 32 requests of 256 KiB, 8 in flight" stream -d "$card" -l 8M --size 256k --depth 8
jexpect 0 direction=both depth=4 size=65536 requests=64 bytes_to_card=2097152 \
	bytes_from_card=2097152 buffer=user -- \
	stream -d "$card" --direction both --depth 4 --size 64k -l 2M
jexpect 0 buffer=registered bytes_from_card=1048576 requests=4 -- \
	stream -d "$card" --direction from --registered -l 1M --size 256k
# the last request is short: 1M + 4k in 256k requests
jexpect 0 requests=5 bytes_to_card=1052672 -- stream -d "$card" -l 1028k --size 256k
# the requests cycle through the card range: 8 MiB of card, 3 x 4 MiB in flight
jexpect 0 bytes_to_card=16777216 -- stream -d "$card" --depth 3 --size 4M -l 16M
BM_FAKE_FAIL=$((512 << 10)) jexpect 1 error.errno=5 -- stream -d "$card" -l 2M --size 256k
BM_FAKE_FAIL=$((512 << 10)) expect 1 "a request to the card failed: " \
	stream -d "$card" -l 2M --size 256k
grep -qF "0x86" "$tmp/err"; point $? "stream: a failed request names the card's status"
expect 1 "--direction 'sideways': say to, from or both" stream -d "$card" --direction sideways
expect 1 "--depth '0': a number from 1 to 512" stream -d "$card" --depth 0
expect 1 "--depth '4x': a number from 1 to 512" stream -d "$card" --depth 4x
expect 1 "--size 16777216: more than the card's memory from the offset (8388608 bytes)" \
	stream -d "$card" --size 16M
expect 1 "--offset 0x800000: not inside the card's 8388608 bytes of memory" \
	stream -d "$card" -o 8M
# depth x size each way must fit ulimit -l (without CAP_IPC_LOCK, which
# setpriv drops from root): said before anything moves
if command -v setpriv >/dev/null 2>&1 &&
   setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock true 2>/dev/null; then
	(
		ulimit -l 1024
		LD_PRELOAD=$fake exec setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock \
			"$bmctl" stream -d "$card" -l 4M
	) >"$tmp/out" 2>"$tmp/err"
	[ $? = 1 ] && grep -qF "8 requests of 262144 bytes in flight each way pin 2048 KiB, more than ulimit -l allows (1024 KiB)" "$tmp/err"
	point $? "stream: depth x size past ulimit -l is refused before anything moves"
fi
# the defaults on a card of 4095 bytes (edu): requests of its size
BM_FAKE_SIZE=4095 BM_FAKE_MEM="$tmp/mem-edu" jexpect 0 size=4095 bytes_to_card=40950 -- \
	stream -d "$card" -l 40950
BM_FAKE_ERRNO=14 expect 1 "SUBMIT of a request to the card: Bad address" stream -d "$card" -l 1M

echo "1..$n"
[ $failed = 0 ] || echo "# $failed of $n failed"
[ $failed = 0 ]
