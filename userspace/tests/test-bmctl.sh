#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# test-bmctl.sh BMCTL [JSON-DIR]: bmctl's command line on a host with no
# busmaster cards: exit status 0 or 1, the message a person reads on
# stderr, and with --json (before and after the command) one valid JSON
# value on stdout and nothing on stderr. JSON is checked with python3 when
# there is one, as are the *.json files in JSON-DIR (written by test-print).
set -u
bmctl=$1
jsondir=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

if ls /dev/busmaster[0-9]* >/dev/null 2>&1; then
	echo "1..0 # SKIP this host has busmaster cards"
	exit 0
fi
if command -v python3 >/dev/null 2>&1; then
	json_ok() { python3 -c 'import json,sys; json.load(sys.stdin)' <"$1" 2>/dev/null; }
else
	json_ok() { [ -s "$1" ]; }
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

# expect STATUS STDERR-TEXT ARGS...: run bmctl ARGS; an empty STDERR-TEXT
# means stderr must be empty (or, for status 0, hold only a note).
expect() {
	want=$1 text=$2
	shift 2
	"$bmctl" "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	ok=1
	[ "$got" = "$want" ] || ok=0
	if [ -n "$text" ]; then
		grep -qF -- "$text" "$tmp/err" || ok=0
	fi
	point $((1 - ok)) "bmctl $* -> $want${text:+, \"$text\"}"
}

# expect_json STATUS ARGS...: run bmctl --json ARGS and bmctl ARGS --json
expect_json() {
	want=$1
	shift
	for form in before after; do
		if [ $form = before ]; then
			"$bmctl" --json "$@" >"$tmp/out" 2>"$tmp/err"
		else
			"$bmctl" "$@" --json >"$tmp/out" 2>"$tmp/err"
		fi
		got=$?
		ok=1
		[ "$got" = "$want" ] || ok=0
		[ -s "$tmp/err" ] && ok=0
		json_ok "$tmp/out" || ok=0
		point $((1 - ok)) "bmctl --json ($form) $* -> $want, valid JSON"
	done
}

nomod="(is the busmaster module loaded?)"

expect 0 "bmctl: no busmaster cards found" list
[ -s "$tmp/out" ]; point $((1 - $?)) "list with no cards prints nothing on stdout"
expect_json 0 list
[ "$(cat "$tmp/out")" = "[]" ]; point $? "list --json with no cards prints []"
expect 1 "bmctl: no busmaster cards found $nomod" info
expect 1 "bmctl: /dev/busmaster3: No such file or directory $nomod" info /dev/busmaster3
expect 1 "bmctl: /dev/busmaster3: No such file or directory $nomod" info 3
expect 1 "bmctl: /dev/busmaster3: No such file or directory $nomod" info busmaster3
expect 1 "bmctl: 00:04.0: no busmaster card has this PCI address" info 00:04.0
expect 1 "bmctl: 0000:00:04.0: no busmaster card has this PCI address" info 0000:00:04.0
expect 1 "bmctl: foo: not a device (use /dev/busmasterN, N, or a PCI address" info foo
expect 1 "bmctl: /dev/null: Inappropriate ioctl for device (not a busmaster card" info /dev/null
expect 1 "bmctl: info: too many arguments" info 1 2
expect 1 "bmctl: info: unknown option '--bogus'" info --bogus
expect 1 "bmctl: list: too many arguments" list extra
expect 1 "bmctl: unknown option '--bogus' (see 'bmctl help')" --bogus list
expect 1 "bmctl: unknown command 'frob' (see 'bmctl help')" frob
expect 1 "bmctl: unknown command '' (see 'bmctl help')" ""
expect 1 "bmctl: no command given"
expect 1 "bmctl: help: unknown command 'frob'" help frob
expect 0 "" help
grep -q '^  info' "$tmp/out"; point $? "help lists info"
expect 0 "" help info
grep -q '^usage: bmctl \[--json\] info \[DEVICE\]' "$tmp/out"; point $? "help info shows its usage"
expect 0 "" --help
# On a terminal, help COMMAND opens bmctl(1) at the command (a fake man
# records how it was called); without man, or without a terminal, the text.
if command -v script >/dev/null 2>&1; then
	mkdir "$tmp/bin"
	printf '#!/bin/sh\necho "man $*" >"%s/man.log"\necho "LESS=$LESS" >>"%s/man.log"\n' \
		"$tmp" "$tmp" >"$tmp/bin/man"
	chmod +x "$tmp/bin/man"
	PATH="$tmp/bin:$PATH" script -qec "$bmctl help stream" /dev/null >"$tmp/out" 2>&1
	grep -qx 'man 1 bmctl' "$tmp/man.log" 2>/dev/null; point $? "help stream on a terminal opens man 1 bmctl"
	grep -qF 'LESS=+/^  *stream' "$tmp/man.log" 2>/dev/null; point $? "at the stream entry"
	rm -f "$tmp/man.log"
	printf '#!/bin/sh\nexit 16\n' >"$tmp/bin/man"
	PATH="$tmp/bin:$PATH" script -qec "$bmctl help stream" /dev/null >"$tmp/out" 2>&1
	grep -q 'usage: bmctl \[--json\] stream' "$tmp/out"; point $? "no page for man: the built-in help"
	PATH="$tmp/bin:$PATH" "$bmctl" help stream >"$tmp/out" 2>&1
	grep -q 'usage: bmctl \[--json\] stream' "$tmp/out" && [ ! -e "$tmp/man.log" ]
	point $? "not a terminal: the built-in help, no man"
fi
expect 0 "" info --help
grep -q '^usage: bmctl \[--json\] info' "$tmp/out"; point $? "info --help shows info's usage"
expect 0 "" --version
grep -q '^bmctl .* (libbusmaster .*, busmaster ABI [0-9]*)$' "$tmp/out"; point $? "--version names all three"
expect 0 "" -V
expect 1 "bmctl: --bogus: not a device" info -- --bogus

# transfer commands: options are checked before any device is looked for
nodev="bmctl: no busmaster cards found $nomod"
printf 'data' >"$tmp/in"
expect 1 "$nodev" write "$tmp/in"
expect 1 "$nodev" write --common -o 4k -l 2 "$tmp/in"
expect 1 "$nodev" read -l 4k "$tmp/x"
expect 1 "$nodev" fill -l 64M --byte 0x5a
expect 1 "$nodev" fill -l 64M --seed 7 --common
expect 1 "$nodev" verify -l 0x1000 --seed 7
expect 1 "$nodev" verify --file "$tmp/in"
expect 1 "$nodev" write --copy "$tmp/in"
expect 1 "$nodev" read --pin -l 4k "$tmp/x"
expect 1 "$nodev" fill --pin -l 4k --seed 1
expect 1 "$nodev" verify --copy -l 4k --byte 0
expect 1 "bmctl: /dev/busmaster3: No such file or directory $nomod" fill -d 3 -l 4k --byte 0
expect 1 "bmctl: /dev/busmaster3: No such file or directory $nomod" write --device=/dev/busmaster3 "$tmp/in"
expect 1 "bmctl: /dev/busmaster3: No such file or directory $nomod" info -d 3
expect 1 "bmctl: 00:05.0: no busmaster card has this PCI address" read -d 00:05.0 -l 4k "$tmp/x"
expect 1 "bmctl: foo: not a device" verify -d foo -l 4k --byte 0
[ ! -e "$tmp/x" ]; point $? "read without a card creates no output file"
expect 1 "bmctl: $tmp/missing: No such file or directory" write "$tmp/missing"
: >"$tmp/empty"
expect 1 "bmctl: $tmp/empty: the file is empty: nothing to write" write "$tmp/empty"
expect 1 "bmctl: $tmp/in: has 4 bytes, less than the 1 KiB asked for" write -l 1k "$tmp/in"
expect 1 "bmctl: read: --length (-l) is required (see 'bmctl help read')" read "$tmp/x"
expect 1 "bmctl: fill: --length (-l) is required" fill --byte 0
expect 1 "bmctl: verify: --length (-l) is required" verify --seed 1
expect 1 "bmctl: read: -l '4x': not a size (use 4096, 4k, 64M or 0x1000)" read -l 4x "$tmp/x"
expect 1 "bmctl: read: --length '1.5M': not a size" read --length=1.5M "$tmp/x"
expect 1 "bmctl: write: -o '-4k': not a size" write -o -4k "$tmp/in"
expect 1 "bmctl: fill: --offset '16E': more than 2^64 bytes" fill --offset 16E -l 1 --byte 0
expect 1 "bmctl: fill: -l must be at least 1" fill -l 0 --byte 0
expect 1 "bmctl: read: offset + length is beyond 2^64" read -o 0xffffffffffffffff -l 2 "$tmp/x"
expect 1 "bmctl: read: option '-l' needs a value" read -l
expect 1 "bmctl: fill: option '--seed' needs a value" fill -l 4k --seed
expect 1 "bmctl: fill: give a pattern: --byte 0xNN or --seed N" fill -l 4k
expect 1 "bmctl: verify: give what to compare with: --byte 0xNN, --seed N or --file FILE" verify -l 4k
expect 1 "bmctl: fill: --byte and --seed conflict: give one pattern" fill -l 4k --byte 1 --seed 2
expect 1 "bmctl: verify: --seed and --file conflict: give one pattern" verify -l 4k --seed 2 --file "$tmp/in"
expect 1 "bmctl: fill: --byte '0x100': not a byte" fill -l 4k --byte 0x100
expect 1 "bmctl: fill: --seed 'x': not a seed" fill -l 4k --seed x
# --copy and --pin: the user buffer path only, one of them
expect 1 "bmctl: write: --copy and --pin conflict: give one way to move user memory (see 'bmctl help write')" \
	write --copy --pin "$tmp/in"
expect 1 "bmctl: read: --copy and --pin conflict" read --pin -l 4k --copy "$tmp/x"
expect 1 "bmctl: fill: --copy and --common conflict: --copy and --pin apply to the user buffer path only (see 'bmctl help fill')" \
	fill --copy --common -l 4k --byte 0
expect 1 "bmctl: verify: --pin and --registered conflict: --copy and --pin apply to the user buffer path only" \
	verify --registered --pin -l 4k --seed 1
expect 1 "bmctl: write: --pin and --common conflict" write --common --pin "$tmp/in"
expect 1 "bmctl: fill: --no-sync needs --registered" fill --pin --no-sync -l 4k --byte 0
expect 1 "bmctl: write: unknown option '--copy=1'" write --copy=1 "$tmp/in"
expect 1 "bmctl: stream: unknown option '--copy' (see 'bmctl help stream')" stream --copy
expect 1 "bmctl: info: unknown option '--pin'" info --pin
expect 1 "bmctl: fill: unknown option '--file' (see 'bmctl help fill')" fill -l 4k --file "$tmp/in"
expect 1 "bmctl: write: unknown option '--bogus' (see 'bmctl help write')" write --bogus "$tmp/in"
expect 1 "bmctl: write: unknown option '--common=1'" write --common=1 "$tmp/in"
expect 1 "bmctl: fill: unexpected argument 'extra'" fill -l 4k --byte 0 extra
expect 1 "bmctl: write: too many arguments" write "$tmp/in" "$tmp/in"
# getopt_long(3) forms: attached values, --opt=, options before the command
expect 1 "bmctl: fill: unexpected argument 'extra'" fill -l4k --byte=0 extra
expect 1 "bmctl: write: --offset '': not a size" write --offset= "$tmp/in"
expect 1 "bmctl: info: option '--device' needs a value" info --device
expect 1 "bmctl: unknown option '-d' (see 'bmctl help')" -d 0 info
expect 1 "bmctl: unknown option '-x' (see 'bmctl help')" -x list
for f in "" "-"; do
	# shellcheck disable=SC2086
	expect 1 "" --json read -l 4k $f
	grep -q '"message": "read: with --json, stdout carries the JSON: give a FILE' "$tmp/out"
	point $? "read${f:+ $f} --json refuses stdout for data"
done
expect 1 "bmctl: verify: --length (-l) is required when --file is not a regular file" verify --file - </dev/null
expect 1 "bmctl: -- no such file" write -- "-- no such file"
for c in write read fill verify; do
	expect 0 "" help $c
	grep -q "^usage: bmctl \[--json\] $c " "$tmp/out" &&
		grep -q "^Examples:" "$tmp/out" && grep -q -- "--common" "$tmp/out" &&
		grep -q -- "^  --copy " "$tmp/out" && grep -q -- "^  --pin " "$tmp/out" &&
		grep -q "user_path" "$tmp/out"
	point $? "help $c: usage, --common, --copy, --pin, user_path, examples"
done
expect 0 "" help
for c in write read fill verify; do
	grep -q "^  $c " "$tmp/out"; point $? "help lists $c"
done

for args in "write $tmp/in" "read -l 4k $tmp/x" "fill -l 64M --seed 1" \
	    "verify -l 4k --byte 0" "fill -l 4k" "fill -l 4x --byte 0" \
	    "fill -l 4k --byte 1 --seed 2" "read --bogus" "read -l 4k" \
	    "fill -d /dev/busmaster3 -l 4k --byte 0" "write $tmp/missing" \
	    "write --copy --pin $tmp/in" "fill --pin --registered -l 4k --byte 0" \
	    "read --copy -l 4k $tmp/x"; do
	# shellcheck disable=SC2086
	expect_json 1 $args
done
for c in write read fill verify; do
	expect_json 0 help $c
done

for args in "info" "info /dev/busmaster3" "info 00:04.0" "info foo" \
	    "info /dev/null" "info 1 2" "info --bogus" "frob" "help frob" \
	    "--bogus list"; do
	# shellcheck disable=SC2086
	expect_json 1 $args
done
for args in "help" "help info" "--help" "--version"; do
	# shellcheck disable=SC2086
	expect_json 0 $args
done
expect_json 1

if [ -n "$jsondir" ]; then
	for f in "$jsondir"/*.json; do
		cp "$f" "$tmp/out"
		: >"$tmp/err"
		json_ok "$f"
		point $? "$(basename "$f") from test-print is valid JSON"
	done
fi

"$bmctl" help >/dev/full 2>"$tmp/err"
[ $? = 1 ] && grep -q "bmctl: writing output" "$tmp/err"
point $? "output to a full disk fails with 1"

echo "1..$n"
[ $failed = 0 ] || echo "# $failed of $n failed"
[ $failed = 0 ]
