# SPDX-License-Identifier: GPL-2.0
#
# busmaster: the two commands a new machine needs, and their parts.
#
#   make run     build everything, boot a guest with a card, load the driver,
#                show what bmctl sees
#   make check   every test: static checks, host unit tests, and the
#                selftests on each guest kernel and card lane (in QEMU)
#
# Both install what they need with apt-get (as root) and cache downloads and
# builds in $(BM_CACHE) (default ~/.cache/busmaster) and build/.
# `make help` lists the narrower targets; docs/HACKING.md says when to use
# which.

KERNELS ?= 6.1 6.12 debug
LANES ?=
RUN_KERNEL ?= 6.1
RUN_LANE ?= card-mixed
export KERNELS LANES

# make fuzz: the seeded fuzzer alone, long, on the debug kernel; a failure
# prints its seed, and FUZZ_SEED=... replays it.
FUZZ_SECONDS ?= 600
FUZZ_SEED ?=
FUZZ_KERNEL ?= debug
FUZZ_LANES ?= card-mixed

# make lane: one lane on one kernel, only built and booted (no static
# checks): LANE=card-mixed KERNEL=6.12 TESTS="busmaster_info_test".
LANE ?= card-mixed
KERNEL ?= 6.12
TESTS ?=

.PHONY: all help run check lane fuzz bench checkpatch kernel-doc qtest datasheet intree \
	module userspace selftests dkms-source install uninstall clean

all: module userspace selftests

help:
	@echo 'make run          boot a guest with the cards, load the driver, show DMA'
	@echo 'make check        every test: static, host, qtests, every lane on 6.1, 6.12, debug'
	@echo '                  (KERNELS="6.12" LANES="card-mixed" narrow it)'
	@echo 'make lane         one lane, built and booted only: LANE=$(LANE) KERNEL=$(KERNEL)'
	@echo '                  TESTS="busmaster_info_test ..." (default: the lane'"'"'s tests)'
	@echo 'make fuzz         the seeded fuzzer, long, on the debug kernel (FUZZ_SECONDS, FUZZ_SEED)'
	@echo 'make bench        the benchmarks on the realistic-link card (QUICK=1: a few minutes; CARD=unthrottled: no link model)'
	@echo 'make checkpatch   checkpatch.pl --strict on kmod/ and uapi/'
	@echo 'make kernel-doc   kernel-doc -Wall on kmod/ and uapi/'
	@echo 'make qtest        build QEMU with the card and run its conformance tests'
	@echo 'make datasheet    compare uapi/linux/busmaster_card.h with the datasheet'
	@echo 'make intree       the driver, uapi headers and selftests built inside a Linux tree'
	@echo 'make module       the module for every kernel of KERNELS, W=1'
	@echo 'make userspace    libbusmaster and bmctl (make -C userspace check: unit tests)'
	@echo 'make selftests    the kselftest programs'
	@echo 'make dkms-source  the DKMS source tree, in $$(DESTDIR)/usr/src/busmaster-VERSION'
	@echo 'make install      library, bmctl, headers, man pages, udev rule, DKMS source'
	@echo '                  (DESTDIR, PREFIX=/usr/local); make uninstall removes them'
	@echo 'make clean        remove build/'

run:
	vm/run.sh $(RUN_KERNEL) $(RUN_LANE)

check:
	vm/check.sh

lane:
	HOST_CHECKS=0 KERNELS="$(KERNEL)" LANES="$(LANE)" BM_TESTS="$(TESTS)" vm/check.sh

bench:
	QUICK=$(QUICK) CARD=$(CARD) vm/bench.sh

checkpatch:
	vm/lint.sh checkpatch

kernel-doc:
	vm/lint.sh kernel-doc

qtest:
	vm/build-qemu.sh --qtest

datasheet:
	vm/check-datasheet.py

intree:
	vm/check-intree.sh

fuzz:
	BM_TESTS=busmaster_fuzz_test BM_FUZZ_SECONDS=$(FUZZ_SECONDS) \
	BM_FUZZ_SEED=$(FUZZ_SEED) BM_TEST_TIMEOUT=$$(($(FUZZ_SECONDS) + 300)) \
	BM_LANE_TIMEOUT=$$(($(FUZZ_SECONDS) + 900)) \
	KERNELS="$(FUZZ_KERNEL)" LANES="$(FUZZ_LANES)" vm/check.sh

# The module for every guest kernel, against its Debian headers.
module:
	@for k in $(KERNELS); do vm/build-module.sh $$k W=1; done

userspace:
	$(MAKE) -C userspace O=$(CURDIR)/build/userspace STATIC=1

selftests:
	@mkdir -p build/selftests
	$(MAKE) -C selftests KSFT_DIR=$$(vm/fetch-ksrc.sh)/tools/testing/selftests \
		OUTPUT=$(CURDIR)/build/selftests

# The DKMS source tree: the module's sources and the uapi headers it
# includes, with dkms.conf (then: dkms install busmaster/VERSION).
DKMS_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
DKMS_SRC = $(DESTDIR)/usr/src/busmaster-$(DKMS_VERSION)

dkms-source:
	install -d $(DKMS_SRC)/kmod $(DKMS_SRC)/uapi/linux
	install -m 644 dkms.conf $(DKMS_SRC)/
	install -m 644 kmod/Kbuild kmod/*.c kmod/*.h $(DKMS_SRC)/kmod/
	install -m 644 uapi/linux/*.h $(DKMS_SRC)/uapi/linux/

# Everything a user installs: the library, bmctl, headers, pkg-config
# file and man pages (userspace/), the udev rule, and the module's DKMS
# source (dkms install busmaster/VERSION then builds it for each kernel).
PREFIX ?= /usr/local
UDEVDIR ?= /lib/udev/rules.d

install: dkms-source
	$(MAKE) -C userspace O=$(CURDIR)/build/userspace PREFIX=$(PREFIX) install
	install -d $(DESTDIR)$(UDEVDIR)
	install -m 644 udev/60-busmaster.rules $(DESTDIR)$(UDEVDIR)/

uninstall:
	$(MAKE) -C userspace O=$(CURDIR)/build/userspace PREFIX=$(PREFIX) uninstall
	rm -f $(DESTDIR)$(UDEVDIR)/60-busmaster.rules
	rm -rf $(DKMS_SRC)

clean:
	rm -rf build
