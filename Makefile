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

.PHONY: all run check module userspace selftests clean

all: module userspace selftests

run:
	vm/run.sh $(RUN_KERNEL) $(RUN_LANE)

check:
	vm/check.sh

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
