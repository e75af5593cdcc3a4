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

.PHONY: all run check fuzz module userspace selftests clean

all: module userspace selftests

run:
	vm/run.sh $(RUN_KERNEL) $(RUN_LANE)

check:
	vm/check.sh

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

clean:
	rm -rf build
