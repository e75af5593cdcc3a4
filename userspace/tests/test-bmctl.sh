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
expect 0 "" info --help
grep -q '^usage: bmctl \[--json\] info' "$tmp/out"; point $? "info --help shows info's usage"
expect 0 "" --version
grep -q '^bmctl .* (libbusmaster .*, busmaster ABI [0-9]*)$' "$tmp/out"; point $? "--version names all three"
expect 0 "" -V
expect 1 "bmctl: --bogus: not a device" info -- --bogus

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
