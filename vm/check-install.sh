#!/usr/bin/env bash
# check-install.sh -- `make install` into a scratch DESTDIR gives a user
# what the README promises (library, bmctl, headers, pkg-config file, man
# pages that render without warnings, the udev rule, the DKMS source), a
# program builds against it with pkg-config and runs, and `make uninstall`
# takes every file back.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

need_pkgs gcc make pkg-config groff-base liburing-dev
dest=$BM_BUILD/install-check
rm -rf "$dest"
make -s -C "$BM_TOP" install DESTDIR="$dest" PREFIX=/usr >/dev/null

for f in usr/bin/bmctl usr/lib/libbusmaster.a usr/lib/libbusmaster.so \
	usr/include/libbusmaster.h usr/include/libbusmaster-uring.h usr/include/linux/busmaster.h \
	usr/include/linux/busmaster_card.h usr/lib/pkgconfig/libbusmaster.pc \
	usr/share/man/man1/bmctl.1 usr/share/man/man3/libbusmaster.3 \
	usr/share/man/man4/busmaster.4 lib/udev/rules.d/60-busmaster.rules \
	usr/src/busmaster-0.6.0/dkms.conf usr/src/busmaster-0.6.0/kmod/Kbuild; do
	[ -e "$dest/$f" ] || die "make install left no $f"
done
for m in "$dest"/usr/share/man/man*/*; do
	out=$(LC_ALL=C.UTF-8 groff -man -ww -z "$m" 2>&1)
	[ -z "$out" ] || die "$m: $out"
done
"$dest/usr/bin/bmctl" --version | grep -q '^bmctl ' || die "the installed bmctl does not run"

# A program built the way the README says, against the installed files.
cat >"$dest/prog.c" <<'PROG'
#include <stdio.h>
#include <libbusmaster.h>
int main(void) { printf("%s\n", bm_version()); return 0; }
PROG
flags=$(PKG_CONFIG_SYSROOT_DIR=$dest PKG_CONFIG_LIBDIR=$dest/usr/lib/pkgconfig \
	pkg-config --cflags --libs libbusmaster)
gcc -o "$dest/prog" "$dest/prog.c" $flags -static
[ "$("$dest/prog")" = "$(sed -n 's/^VERSION[[:space:]]*:= //p' "$BM_TOP/userspace/Makefile")" ] ||
	die "a program built with pkg-config's flags does not print the library's version"
# The io_uring helpers build with liburing, against the installed headers.
cat >"$dest/uring.c" <<'PROG'
#include <libbusmaster-uring.h>
int main(void)
{
	struct io_uring ring;
	struct busmaster_submit s = { .length = 4096 };
	if (bm_uring_queue_init(8, &ring))
		return 0;	/* no io_uring here: building was the point */
	bm_uring_prep_submit(io_uring_get_sqe(&ring), 0, &s, 1);
	io_uring_queue_exit(&ring);
	return 0;
}
PROG
gcc -Wall -Werror -o "$dest/uring" "$dest/uring.c" $flags -luring
"$dest/uring" || die "the io_uring helpers' program failed"

make -s -C "$BM_TOP" uninstall DESTDIR="$dest" PREFIX=/usr >/dev/null
rm -f "$dest/prog" "$dest/prog.c" "$dest/uring" "$dest/uring.c"
left=$(find "$dest" ! -type d)
[ -z "$left" ] || die "make uninstall left: $left"
echo "make install: every file there, a program builds against it; make uninstall: nothing left"
