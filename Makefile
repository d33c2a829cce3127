# libvm: `make` builds into build/; see README.md for the other targets.

VERSION_MAJOR := 1
VERSION_MINOR := 0
VERSION_PATCH := 0
VERSION := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DOCDIR ?= $(PREFIX)/share/doc/libvm
EXAMPLESDIR ?= $(DOCDIR)/examples
DESTDIR ?=

B ?= build
CC ?= cc
OPT ?= -O2 -g
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wformat=2 -Wundef -Wvla -Wcast-qual \
	-Wimplicit-fallthrough -Wno-missing-field-initializers
ifeq ($(WERROR),1)
WARN += -Werror
endif
SAN ?=
CFLAGS_ALL := -std=gnu11 $(OPT) $(WARN) $(SAN) -Iinclude $(CFLAGS)
LDFLAGS_ALL := $(SAN) $(LDFLAGS)

# Every lib/<layer>/*.c; the guest runtime (guest code) is guest/.
LIB_SRC := $(wildcard lib/*/*.c)
LIB_HDR := $(wildcard lib/*.h lib/*/*.h)
LIB_ASM := $(wildcard lib/*/*.S)
LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/%.o) $(LIB_ASM:%.S=$(B)/obj/%.o)
# What libvm links: libelf (images), zlib (snapshot files, gzip kernels),
# liblzma (xz kernels), pthreads.
LIB_DEPS := -lpthread -lelf -lz -llzma
SONAME := libvm.so.$(VERSION_MAJOR)
SO := $(B)/lib/libvm.so.$(VERSION)
AR_LIB := $(B)/lib/libvm.a

TEST_SRC := $(wildcard tests/*.c tests/*.S)
TEST_BIN := $(B)/tests/libvm-tests
# White-box tests of lib/ internals (no KVM needed), linked with libvm.a.
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_BIN := $(B)/tests/libvm-unit-tests
# Bare ELF images for the loader tests, 64- and 32-bit, no runtime.
ELF_IMG_SRC := $(wildcard tests/elf/*.c)
ELF_IMGS := $(ELF_IMG_SRC:tests/elf/%.c=$(B)/tests/elf/%-64.elf) \
	$(ELF_IMG_SRC:tests/elf/%.c=$(B)/tests/elf/%-32.elf)
ELF_IMG_CFLAGS := -ffreestanding -nostdlib -static -fno-pie -no-pie \
	-fno-stack-protector -fno-asynchronous-unwind-tables -O2 \
	-Wl,--build-id=none -Wl,-z,noexecstack -Wl,-Ttext-segment=0x100000
# libFuzzer targets fuzz/fuzz_NAME.c, seeds in $(B)/fuzz/corpus/NAME.
FUZZ_CC ?= clang
FUZZ_DEPS ?= clang libclang-rt-14-dev
FUZZ_TIME ?= 20
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZERS := $(FUZZ_SRC:fuzz/%.c=$(B)/fuzz/%)
FUZZ_CFLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Iinclude -Ilib
# The lib/ sources and libraries each target links (no KVM in them).
FUZZ_LIB_elf := lib/loader/elf.c lib/loader/fetch.c lib/core/error.c
FUZZ_LIB_linuxelf := lib/linuxprog/elf.c lib/core/error.c
FUZZ_LIBS_elf := -lelf
# fuzz_snapshot: the snapshot file code alone (reader, and the writer for
# its round trips), with the snapshot object it fills; no KVM.
FUZZ_LIB_snapshot := $(wildcard lib/snapshot/file_*.c) \
	lib/snapshot/object.c lib/core/error.c lib/core/file.c \
	lib/core/kick.c lib/core/host.c lib/core/kvm.c lib/core/versioned.c \
	lib/x86/xcr0.c
FUZZ_LIBS_snapshot := -lz
# The boot protocol planners: each with the layout, plan and table code
# and the ELF parser its plans may hold (lib/boot/plan.h).
FUZZ_BOOT_COMMON := lib/boot/layout.c lib/boot/plan.c lib/boot/tables.c \
	lib/loader/elf.c lib/core/error.c
FUZZ_LIB_bzimage := lib/boot/bzimage.c $(FUZZ_BOOT_COMMON)
FUZZ_LIBS_bzimage := -lelf
FUZZ_LIB_pvh := lib/boot/pvh.c lib/boot/block.c lib/boot/elf.c \
	$(FUZZ_BOOT_COMMON)
FUZZ_LIBS_pvh := -lelf
FUZZ_LIB_multiboot := lib/boot/multiboot.c lib/boot/block.c lib/boot/elf.c \
	$(FUZZ_BOOT_COMMON)
FUZZ_LIBS_multiboot := -lelf
# Unpacking a bzImage's vmlinux needs libvm_kernel_probe: the library.
FUZZ_LIB_unpack := $(LIB_SRC) $(LIB_ASM)
FUZZ_LIBS_unpack := $(LIB_DEPS)
# fuzz_virtio stands in for lib/virtio/device.c (no KVM, no threads).
FUZZ_LIB_virtio := lib/virtio/virtq.c lib/virtio/chain.c lib/virtio/mmio.c \
	lib/virtio/blk.c lib/virtio/rng.c lib/virtio/console.c \
	lib/core/versioned.c lib/core/error.c
FUZZ_LIBS_virtio := -lpthread
EXAMPLES := $(patsubst examples/%.c,$(B)/examples/%,$(wildcard examples/*.c))
# Static Linux programs the Linux-program tests and benchmarks run as
# guests, built with the host's libc: tests/linuxprog/NAME.c ->
# $(B)/linuxprog/NAME (pie.c as a static PIE).
LINUXPROG_SRC := $(wildcard tests/linuxprog/*.c)
LINUXPROGS := $(patsubst tests/linuxprog/%.c,$(B)/linuxprog/%,$(LINUXPROG_SRC))
LINUXPROG_CFLAGS := -std=gnu11 -O2 -g $(WARN) -Wno-missing-prototypes
# Commands built on the library: tools/NAME.c -> $(B)/bin/NAME, installed
# into BINDIR.
TOOLS := $(patsubst tools/%.c,$(B)/bin/%,$(wildcard tools/*.c))
BINDIR ?= $(PREFIX)/bin
# bench/cbench.c is no program: the binding benchmarks' C side (CBENCH).
BENCH_SRC := $(filter-out bench/cbench.c,$(wildcard bench/*.c))
BENCHES := $(patsubst bench/%.c,$(B)/bench/%,$(BENCH_SRC))
# Programs link the shared library from the build tree.
RPATH := -Wl,-rpath,'$$ORIGIN/../lib'
PROG_LIBS := -L$(B)/lib -lvm -lpthread -lz

# Guest programs: freestanding, static, linked with the guest runtime.
GUEST_CC ?= gcc
GUEST_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-pie -fno-stack-protector \
	-fno-asynchronous-unwind-tables -Iinclude $(WARN) -Wno-missing-prototypes
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none
GUEST_RT := $(B)/lib/libvm-guest.a
# pkg-config files of the library and of the guest runtime (rules below).
PC_FILES := $(B)/lib/libvm.pc $(B)/lib/libvm-guest.pc
GUEST_SRC := $(wildcard tests/guests/*.c examples/guests/*.c bench/guests/*.c)
GUESTS := $(patsubst %.c,$(B)/guests/%.elf,$(notdir $(GUEST_SRC)))
vpath %.c tests/guests examples/guests bench/guests
# Real-mode (-m16) and 32-bit (-m32) guests of the CPU-mode tests, ELF32,
# no runtime: tests/guests16/NAME.c -> NAME.elf16 at 0x1000,
# tests/guests32/NAME.c -> NAME.elf32 at 1 MiB.
GUESTS += $(patsubst tests/guests16/%.c,$(B)/guests/%.elf16,$(wildcard tests/guests16/*.c)) \
	$(patsubst tests/guests32/%.c,$(B)/guests/%.elf32,$(wildcard tests/guests32/*.c))
# Platform test guests: tiny 32-bit kernels, CPL0, no SSE (PVM cannot
# emulate it there): tests/platguests/NAME.c -> NAME.plat.elf at 1 MiB.
GUESTS += $(patsubst tests/platguests/%.c,$(B)/guests/%.plat.elf,$(wildcard tests/platguests/*.c))
GUEST_X86_FLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-pie -no-pie \
	-fno-stack-protector -fno-asynchronous-unwind-tables $(WARN) \
	-Wno-missing-prototypes -nostdlib -static -Wl,-m,elf_i386 \
	-Wl,--build-id=none -Wl,-z,noexecstack -Wl,-z,max-page-size=4096

.PHONY: all lib deps demo check test asan bench install uninstall clean \
	fuzz-deps fuzz-smoke fuzz-examples fuzz-demo fuzz-examples-smoke

all: lib $(GUEST_RT) $(GUESTS) $(COV_GUESTS) $(TEST_BIN) $(EXAMPLES) $(BENCHES) \
	$(TOOLS) $(LINUXPROGS) \
	$(UNIT_BIN) $(ELF_IMGS) $(PC_FILES)

lib: $(SO) $(B)/lib/libvm.so $(B)/lib/$(SONAME) $(AR_LIB)

deps:
	@CC="$(CC)" scripts/deps.sh

$(B)/obj/lib/%.o: lib/%.c $(LIB_HDR) $(wildcard include/libvm/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -fPIC -fvisibility=hidden -c $< -o $@


$(B)/obj/lib/%.o: lib/%.S
	@mkdir -p $(@D)
	$(CC) $(SAN) -c $< -o $@

$(SO): $(LIB_OBJ) lib/libvm.map
	@mkdir -p $(@D)
	$(CC) -shared $(LDFLAGS_ALL) -Wl,-soname,$(SONAME) \
		-Wl,--version-script,lib/libvm.map -Wl,-z,defs -Wl,-z,now \
		-o $@ $(LIB_OBJ) $(LIB_DEPS)

$(B)/lib/$(SONAME): $(SO)
	ln -sf $(notdir $<) $@

$(B)/lib/libvm.so: $(B)/lib/$(SONAME)
	ln -sf $(SONAME) $@

$(AR_LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(GUEST_RT): guest/runtime.c $(wildcard include/libvm/*.h)
	@mkdir -p $(B)/obj/guest $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -fno-builtin \
		-fno-tree-loop-distribute-patterns -c $< \
		-o $(B)/obj/guest/runtime.o
	rm -f $@
	$(AR) rcs $@ $(B)/obj/guest/runtime.o

$(B)/guests/%.elf: %.c $(GUEST_RT) include/libvm/guest.h
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $< \
		-L$(B)/lib -lvm-guest

# Guests with edge coverage for the fuzzing examples (see README.md,
# "Fuzzing a guest"): examples/fuzz/NAME.c -> NAME.cov.elf.  The runtime
# that records the edges is built without the flag.
COV_GUEST_SRC := examples/fuzz/target.c
COV_GUESTS := $(patsubst examples/fuzz/%.c,$(B)/guests/%.cov.elf,$(COV_GUEST_SRC))

$(B)/guests/%.cov.elf: examples/fuzz/%.c $(GUEST_RT) include/libvm/guest.h
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -fsanitize-coverage=trace-pc,trace-cmp \
		$(GUEST_LDFLAGS) -o $@ $< -L$(B)/lib -lvm-guest

$(B)/guests/%.elf16: tests/guests16/%.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_X86_FLAGS) -m16 -Wl,-Ttext-segment=0x1000 -o $@ $<

$(B)/guests/%.plat.elf: tests/platguests/%.c tests/platguests/pg.h
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_X86_FLAGS) -m32 -mgeneral-regs-only \
		-Wl,-Ttext-segment=0x100000 -o $@ $<

$(B)/guests/%.elf32: tests/guests32/%.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_X86_FLAGS) -m32 -msse2 -mfpmath=sse \
		-Wl,-Ttext-segment=0x100000 -o $@ $<

# Protocol test kernels (tests/kernels/): tiny, freestanding, general
# registers only (no SSE: on a PVM host their CPL0 code is emulated).
# bzimage.bin is a real bzImage (setup sectors + a position-independent
# 64-bit kernel; the check below fails the build if anything but the
# setup header needs relocating); pvh32.elf and pvh64.elf carry a PVH
# note (ELF32, and the same code in an ELF64 container); multiboot.elf
# is a multiboot ELF, multiboot-aout.bin the same kernel as a flat file
# with the header's address fields.
KERNEL_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-stack-protector \
	-fno-asynchronous-unwind-tables -mgeneral-regs-only -mno-red-zone \
	-fno-builtin -fno-tree-loop-distribute-patterns $(WARN) \
	-Wno-missing-prototypes -nostdlib -static -no-pie \
	-Wl,--build-id=none -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments
TEST_KERNELS := $(addprefix $(B)/kernels/,bzimage.bin pvh32.elf pvh64.elf \
	multiboot.elf multiboot-aout.bin)
KERNEL_DEPS := tests/kernels/kcommon.h tests/kernels/stack32.S

$(B)/kernels/bzimage.bin: tests/kernels/bzimage.S tests/kernels/bzimage.c \
		tests/kernels/bzimage.ld $(KERNEL_DEPS)
	@mkdir -p $(@D)
	$(GUEST_CC) $(KERNEL_CFLAGS) -m64 -fpie -Wl,-q \
		-Wl,-T,tests/kernels/bzimage.ld -o $(@:.bin=.elf) \
		tests/kernels/bzimage.S tests/kernels/bzimage.c
	@readelf -rW $(@:.bin=.elf) | awk '/^Relocation section/ { s = $$3 } \
		/R_X86_64_/ && s !~ /setup|debug/ && $$3 !~ /PC32|PLT32/ \
		{ print "bzimage: absolute relocation in " s ": " $$0; bad = 1 } \
		END { exit bad }'
	objcopy -O binary $(@:.bin=.elf) $@
	truncate -s %16 $@	# syssize counts whole 16-byte units

$(B)/kernels/pvh32.elf: tests/kernels/pvh.S tests/kernels/pvh.c \
		tests/kernels/pvh.ld $(KERNEL_DEPS)
	@mkdir -p $(@D)
	$(GUEST_CC) $(KERNEL_CFLAGS) -m32 -Wl,-m,elf_i386 \
		-Wl,-T,tests/kernels/pvh.ld -o $@ tests/kernels/pvh.S \
		tests/kernels/stack32.S tests/kernels/pvh.c

$(B)/kernels/pvh64.elf: $(B)/kernels/pvh32.elf
	objcopy -O elf64-x86-64 $< $@

$(B)/kernels/multiboot.elf: tests/kernels/multiboot.S \
		tests/kernels/multiboot.c tests/kernels/multiboot.ld \
		$(KERNEL_DEPS)
	@mkdir -p $(@D)
	$(GUEST_CC) $(KERNEL_CFLAGS) -m32 -Wl,-m,elf_i386 \
		-Wl,-T,tests/kernels/multiboot.ld -o $@ \
		tests/kernels/multiboot.S tests/kernels/stack32.S \
		tests/kernels/multiboot.c

$(B)/kernels/multiboot-aout.bin: tests/kernels/multiboot.S \
		tests/kernels/multiboot.c tests/kernels/multiboot.ld \
		$(KERNEL_DEPS)
	@mkdir -p $(@D)
	$(GUEST_CC) $(KERNEL_CFLAGS) -m32 -Wl,-m,elf_i386 -DAOUT_KLUDGE \
		-Wl,-T,tests/kernels/multiboot.ld -o $(@:.bin=.elf) \
		tests/kernels/multiboot.S tests/kernels/stack32.S \
		tests/kernels/multiboot.c
	objcopy -O binary $(@:.bin=.elf) $@

# pkg-config files for the host library and the guest runtime.  They say
# where `make install` puts things, so they are made again whenever
# PREFIX, LIBDIR, INCLUDEDIR or the version differ from the last make
# ($(B)/lib/pc-vars records them): `make` then `make install PREFIX=/usr`
# installs .pc files for /usr.
PC_VARS := $(PREFIX) $(LIBDIR) $(INCLUDEDIR) $(VERSION)

$(B)/lib/pc-vars: FORCE
	@mkdir -p $(@D)
	@echo '$(PC_VARS)' | cmp -s - $@ 2>/dev/null || echo '$(PC_VARS)' >$@

$(B)/lib/%.pc: pkgconfig/%.pc.in $(B)/lib/pc-vars
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    $< > $@

# Debian's stock kernel (scripts/debian-kernel's cache) for the tests that
# boot it; make check fetches it (debian-kernel below).
KERNEL_CACHE ?= $(abspath build)/kernel

.PHONY: FORCE
FORCE:

PROG_DEFS := -DLIBVM_GUEST_DIR='"$(abspath $(B))/guests"' \
	-DLIBVM_LINUXPROG_DIR='"$(abspath $(B))/linuxprog"' \
	-DLIBVM_TEST_KERNEL_DIR='"$(abspath $(B))/kernels"' \
	-DLIBVM_KERNEL_CACHE='"$(KERNEL_CACHE)"' \
	-DLIBVM_VMRUN='"$(abspath $(B))/bin/vmrun"'

$(B)/linuxprog/%: tests/linuxprog/%.c
	@mkdir -p $(@D)
	$(CC) $(LINUXPROG_CFLAGS) -static -o $@ $< -lm

$(B)/linuxprog/pie: tests/linuxprog/pie.c
	@mkdir -p $(@D)
	$(CC) $(LINUXPROG_CFLAGS) -fPIE -static-pie -o $@ $<

$(TEST_BIN): $(TEST_SRC) $(wildcard tests/*.h) lib $(GUESTS) $(LINUXPROGS) \
		$(TEST_KERNELS) $(TOOLS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(PROG_DEFS) -Itests -o $@ $(TEST_SRC) $(LDFLAGS_ALL) \
		$(RPATH) $(PROG_LIBS) -lcriterion

$(B)/examples/%: examples/%.c lib $(GUESTS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(PROG_DEFS) -o $@ $< $(LDFLAGS_ALL) $(RPATH) $(PROG_LIBS)

$(B)/bin/%: tools/%.c $(wildcard tools/*.h) lib
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LDFLAGS_ALL) $(RPATH) $(PROG_LIBS)

$(B)/bench/%: bench/%.c bench/bench.h bench/raw64.h lib $(GUESTS) $(LINUXPROGS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(PROG_DEFS) -Ibench -o $@ $< $(LDFLAGS_ALL) $(RPATH) \
		$(PROG_LIBS) -lm

# bench/reset.c runs the fuzzing example's guest and host setup.
$(B)/bench/reset: examples/fuzz/fuzz_vm.h $(COV_GUESTS)
$(B)/bench/reset: PROG_DEFS += \
	-DLIBVM_FUZZ_HARNESS='"$(abspath $(B))/examples/fuzz/libfuzzer_harness"'

# bench/boot loads the test kernels (and the stock kernel, if cached).
$(B)/bench/boot: $(TEST_KERNELS)

# bench/vmboot boots vmrun and QEMU with the Linux tests' initramfs.
$(B)/bench/vmboot: bench/vmboot.c tests/initramfs.c tests/initramfs.h \
		bench/bench.h bench/vmproc.h lib $(TOOLS) $(TEST_KERNELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(PROG_DEFS) -Ibench -Itests -o $@ $< \
		tests/initramfs.c $(LDFLAGS_ALL) $(RPATH) $(PROG_LIBS) -lm

# bench/vblk_linux boots vmrun and QEMU with Debian's virtio modules.
$(B)/bench/vblk_linux: bench/vblk_linux.c tests/initramfs.c tests/initramfs.h \
		tests/kmods.c tests/kmods.h bench/bench.h bench/vmproc.h lib \
		$(TOOLS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(PROG_DEFS) -Ibench -Itests -o $@ $< \
		tests/initramfs.c tests/kmods.c $(LDFLAGS_ALL) $(RPATH) \
		$(PROG_LIBS) -lm

# Without KVM, bench/snapshot_file builds its snapshot by hand.
$(B)/bench/snapshot_file: tests/snapbuild.h

# bench/virtio_blk drives the virtio suite's guest driver.
$(B)/bench/virtio_blk: tests/guests/virtio_drv.h

# bench/call.c and its guest compile the same workloads.
$(B)/guests/work.elf $(B)/bench/call: bench/work_fns.h

$(UNIT_BIN): $(UNIT_SRC) $(wildcard tests/*.h) $(AR_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -Itests -Ilib -o $@ $(UNIT_SRC) $(LDFLAGS_ALL) \
		$(AR_LIB) $(LIB_DEPS) -lcriterion

$(B)/tests/elf/%-64.elf: tests/elf/%.c
	@mkdir -p $(@D)
	$(CC) $(ELF_IMG_CFLAGS) -m64 -o $@ $<

$(B)/tests/elf/%-32.elf: tests/elf/%.c
	@mkdir -p $(@D)
	$(CC) $(ELF_IMG_CFLAGS) -m32 -Wl,-m,elf_i386 -o $@ $<

fuzz-deps:
	@CC="$(CC)" scripts/deps.sh $(FUZZ_DEPS)

$(B)/fuzz/fuzz_elf: $(FUZZ_LIB_elf) lib/loader/elfimg.h
$(B)/fuzz/fuzz_bzimage: $(FUZZ_LIB_bzimage) lib/boot/plan.h fuzz/boot_fuzz.h
$(B)/fuzz/fuzz_pvh: $(FUZZ_LIB_pvh) lib/boot/plan.h fuzz/boot_fuzz.h
$(B)/fuzz/fuzz_multiboot: $(FUZZ_LIB_multiboot) lib/boot/plan.h \
	fuzz/boot_fuzz.h
$(B)/fuzz/fuzz_linuxelf: $(FUZZ_LIB_linuxelf) lib/linuxprog/lp.h
$(B)/fuzz/fuzz_snapshot: $(FUZZ_LIB_snapshot) $(wildcard lib/snapshot/*.h)
$(B)/fuzz/fuzz_unpack: $(FUZZ_LIB_unpack) lib/machine/mach.h

$(B)/fuzz/fuzz_virtio: $(FUZZ_LIB_virtio) lib/virtio/vio.h fuzz/virtio_fuzz.h

$(B)/fuzz/fuzz_%: fuzz/fuzz_%.c lib/internal.h $(wildcard include/libvm/*.h) \
		| fuzz-deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB_$*) $(FUZZ_LIBS_$*)

# Seeds for the boot planners: the test kernels, cut and poked.
$(B)/fuzz/corpus/bzimage/.stamp: fuzz/boot-seeds.sh $(B)/kernels/bzimage.bin
	@rm -rf $(@D)
	sh fuzz/boot-seeds.sh $(@D) bzimage $(B)/kernels/bzimage.bin
	@touch $@

$(B)/fuzz/corpus/pvh/.stamp: fuzz/boot-seeds.sh $(B)/kernels/pvh32.elf \
		$(B)/kernels/pvh64.elf
	@rm -rf $(@D)
	sh fuzz/boot-seeds.sh $(@D) pvh $(B)/kernels/pvh32.elf \
		$(B)/kernels/pvh64.elf
	@touch $@

$(B)/fuzz/corpus/multiboot/.stamp: fuzz/boot-seeds.sh \
		$(B)/kernels/multiboot.elf $(B)/kernels/multiboot-aout.bin
	@rm -rf $(@D)
	sh fuzz/boot-seeds.sh $(@D) multiboot $(B)/kernels/multiboot.elf \
		$(B)/kernels/multiboot-aout.bin
	@touch $@

$(B)/fuzz/corpus/elf/.stamp: fuzz/elf-seeds.sh $(ELF_IMGS)
	@rm -rf $(@D)
	sh fuzz/elf-seeds.sh $(@D) $(ELF_IMGS)
	@touch $@

comma := ,
# Seeds for fuzz_linuxelf: the head of each static test program (its
# headers and the start of its segments), ET_EXEC and static PIE.
# And whole small programs that load: ET_EXEC and a static PIE.
$(B)/fuzz/corpus/linuxelf/.stamp: fuzz/linuxelf_seed.c $(LINUXPROGS)
	@rm -rf $(@D) && mkdir -p $(@D)
	for p in $(LINUXPROGS); do head -c 16384 $$p > $(@D)/$${p##*/}; done
	$(CC) $(subst 0x100000,0x400000,$(ELF_IMG_CFLAGS)) -o $(@D)/tiny $<
	$(CC) $(filter-out -no-pie -fno-pie -static -Wl$(comma)-Ttext-segment=%,\
		$(ELF_IMG_CFLAGS)) \
		-fPIE -static-pie -o $(@D)/tiny-pie $<
	@touch $@

# Seeds for fuzz_snapshot: a snapshot built by hand (no KVM) and saved,
# and truncated and corrupted copies of its file.
$(B)/fuzz/snapshot-seeds: fuzz/snapshot-seeds.c tests/snapbuild.h $(AR_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -Ilib -Itests -o $@ $< $(LDFLAGS_ALL) $(AR_LIB) \
		$(LIB_DEPS)

# Seeds for fuzz_unpack: bzImage-shaped files around a PVH test kernel.
$(B)/fuzz/unpack-seeds: fuzz/unpack-seeds.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LDFLAGS_ALL) -lz -llzma

$(B)/fuzz/corpus/unpack/.stamp: $(B)/fuzz/unpack-seeds $(B)/kernels/pvh64.elf
	@rm -rf $(@D)
	@mkdir -p $(@D)
	$< $(@D) $(B)/kernels/pvh64.elf
	@touch $@

$(B)/fuzz/corpus/snapshot/.stamp: $(B)/fuzz/snapshot-seeds
	@rm -rf $(@D)
	$< $(@D)
	@touch $@

# Seeds for fuzz_virtio: a request of each kind for each device.
$(B)/fuzz/virtio-seeds: fuzz/virtio-seeds.c fuzz/virtio_fuzz.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -o $@ $<

$(B)/fuzz/corpus/virtio/.stamp: $(B)/fuzz/virtio-seeds
	@rm -rf $(@D)
	@mkdir -p $(@D)
	$< $(@D)
	@touch $@

# Each fuzz target for FUZZ_TIME seconds from its seeds; a crash fails.
fuzz-smoke: $(FUZZERS) $(B)/fuzz/corpus/elf/.stamp \
		$(B)/fuzz/corpus/snapshot/.stamp $(B)/fuzz/corpus/linuxelf/.stamp \
		$(B)/fuzz/corpus/bzimage/.stamp $(B)/fuzz/corpus/pvh/.stamp \
		$(B)/fuzz/corpus/multiboot/.stamp $(B)/fuzz/corpus/unpack/.stamp \
		$(B)/fuzz/corpus/virtio/.stamp
	@for f in $(FUZZERS); do \
		n=$${f##*/fuzz_}; w=$(B)/fuzz/work/$$n; mkdir -p $$w; \
		echo "== $$f: $(FUZZ_TIME) s from $(B)/fuzz/corpus/$$n"; \
		$$f -max_total_time=$(FUZZ_TIME) -rss_limit_mb=2048 \
			-timeout=10 -print_final_stats=1 \
			-artifact_prefix=$(B)/fuzz/$$n- $$w \
			$(B)/fuzz/corpus/$$n >$(B)/fuzz/$$n.log 2>&1 || \
			{ tail -60 $(B)/fuzz/$$n.log; exit 1; }; \
		grep -E 'stat::(number_of_executed_units|peak_rss_mb)' \
			$(B)/fuzz/$$n.log; \
	done

# The fuzzing examples: examples/fuzz/{libfuzzer,afl}_harness.c.
FUZZ_EX_LF := $(B)/examples/fuzz/libfuzzer_harness
FUZZ_EX_AFL := $(B)/examples/fuzz/afl_harness
FUZZ_EX_MUT := $(B)/examples/fuzz/afl_mutator.so
FUZZ_EX_DEPS := examples/fuzz/fuzz_vm.h examples/fuzz/i2s.h lib $(COV_GUESTS)
FUZZ_EX_FLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Iinclude $(PROG_DEFS)
FUZZ_EX_LIBS := -Wl,-rpath,'$$ORIGIN/../../lib' $(PROG_LIBS)

$(FUZZ_EX_LF): examples/fuzz/libfuzzer_harness.c $(FUZZ_EX_DEPS) | fuzz-deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_EX_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_EX_LIBS)

$(FUZZ_EX_AFL): examples/fuzz/afl_harness.c $(FUZZ_EX_DEPS)
	@CC="$(CC)" scripts/deps.sh afl++
	@mkdir -p $(@D)
	AFL_QUIET=1 afl-clang-fast $(FUZZ_EX_FLAGS) -o $@ $< $(FUZZ_EX_LIBS)

# AFL++'s custom mutator: input-to-state from the guest's compares.
$(FUZZ_EX_MUT): examples/fuzz/afl_mutator.c $(FUZZ_EX_DEPS)
	@mkdir -p $(@D)
	$(CC) $(FUZZ_EX_FLAGS) -fPIC -shared -o $@ $< $(FUZZ_EX_LIBS)

fuzz-examples: $(FUZZ_EX_LF) $(FUZZ_EX_AFL) $(FUZZ_EX_MUT)

# 200 inputs through the libFuzzer example (needs KVM: run by kvm-suites).
fuzz-examples-smoke: $(FUZZ_EX_LF) $(FUZZ_EX_MUT)
	$(MAKE) --no-print-directory fuzz-examples-smoke-run

fuzz-examples-smoke-run:
	$(FUZZ_EX_LF) -runs=200 -seed=1 >$(B)/examples/fuzz/smoke.log 2>&1 || \
		{ tail -30 $(B)/examples/fuzz/smoke.log; exit 1; }
	@grep -E 'no usable KVM|Done 200 runs' $(B)/examples/fuzz/smoke.log

# Both examples, each for up to FUZZ_DEMO_TIME s from examples/fuzz/seeds:
# is the bug found, after how many executions and seconds?
FUZZ_DEMO_TIME ?= 60
fuzz-demo:
	@if [ ! -e /dev/kvm ]; then \
		echo "fuzz-demo: this host has no /dev/kvm: skipped"; exit 0; fi; \
	$(MAKE) --no-print-directory $(FUZZ_EX_LF) $(FUZZ_EX_AFL) \
		$(FUZZ_EX_MUT) && \
	FUZZ_AFL_MUTATOR=$(abspath $(FUZZ_EX_MUT)) \
	scripts/fuzz-demo.sh $(FUZZ_EX_LF) $(FUZZ_EX_AFL) $(B)/fuzz-demo \
		$(FUZZ_DEMO_TIME) examples/fuzz/seeds

demo: deps
	@$(MAKE) --no-print-directory all $(KVM_PROBE)
	@$(B)/examples/hostinfo || true
	@$(WITH_KVM) $(MAKE) --no-print-directory B=$(B) demo-run

# The demo's guests (run where KVM works: see WITH_KVM).
demo-run:
	@echo "== examples/hello: a real-mode guest prints through a port-I/O device"
	@$(B)/examples/hello
	@echo "== examples/call: calling functions of a guest compiled from C"
	@$(B)/examples/call
	@echo "== examples/hypercall: the guest calls host functions"
	@$(B)/examples/hypercall
	@echo "== examples/snapshot: restore in microseconds, copy-on-write forks"
	@$(B)/examples/snapshot

# The Python binding's unittest suite (bindings/python/tests), against the
# build tree's library and guests; abi-dump gives it the C side of the ABI.
# Not under SAN: python3 cannot load a sanitizer-built libvm.so.
PYTHON ?= python3
ABI_DUMP := $(B)/tests/abi-dump
.PHONY: python-test

$(ABI_DUMP): tests/abi/abi_dump.c $(wildcard include/libvm/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -o $@ $<

python-test: lib $(GUESTS) $(ABI_DUMP)
	$(MAKE) --no-print-directory python-test-run

python-test-run:
	LIBVM_LIBRARY=$(abspath $(B))/lib/$(SONAME) \
	LIBVM_GUEST_DIR=$(abspath $(B))/guests \
	LIBVM_ABI_DUMP=$(abspath $(ABI_DUMP)) \
		$(PYTHON) -m unittest discover -s bindings/python/tests -v

# The Rust bindings' tests (bindings/rust, cargo test --offline) against
# the build tree's library and guests; the ABI test reads abi-dump.  Build
# output goes to $(B)/rust.  Not under SAN, like python-test.  CI's PATH
# may lack ~/.cargo/bin.  rust-test-build compiles them (on this host),
# rust-test-run runs them (where KVM works).
CARGO ?= $(or $(shell command -v cargo 2>/dev/null),$(wildcard $(HOME)/.cargo/bin/cargo),cargo)
RUST_ENV = CARGO_TARGET_DIR=$(abspath $(B))/rust \
	LIBVM_LIB_DIR=$(abspath $(B))/lib \
	LIBVM_GUEST_DIR=$(abspath $(B))/guests \
	LIBVM_ABI_DUMP=$(abspath $(ABI_DUMP))
.PHONY: rust-test rust-test-build rust-test-run

rust-test-build: lib $(GUESTS) $(ABI_DUMP)
	cd bindings/rust && $(RUST_ENV) $(CARGO) test --offline --no-run -q

rust-test: rust-test-build
	$(MAKE) --no-print-directory rust-test-run

rust-test-run:
	cd bindings/rust && $(RUST_ENV) $(CARGO) test --offline

# The KVM part of the suite runs where /dev/kvm works: on this host if it
# can be used, else inside the nested VM (scripts/nested-vm) that
# scripts/with-kvm starts, which says so and why.  LIBVM_NESTED=0 keeps
# it here (the KVM tests then skip with the reason).  Everything is built
# here first; inside the VM only the tests run (kvm-suites has no
# prerequisites, so make builds nothing there).
KVM_PROBE := $(B)/tests/kvm-probe
NESTED_TIMEOUT ?= 2400
WITH_KVM = scripts/with-kvm $(KVM_PROBE) --timeout $(NESTED_TIMEOUT) --
# The test suites: on a PVM host here and in the nested VM too.
WITH_KVM_ALL = scripts/with-kvm $(KVM_PROBE) --pvm-too \
	--timeout $(NESTED_TIMEOUT) --

$(KVM_PROBE): tests/probe/kvm_probe.c lib
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LDFLAGS_ALL) $(RPATH) $(PROG_LIBS)

.PHONY: host-test kvm-test kvm-suites demo-run python-test-run bench-run \
	fuzz-examples-smoke-run debian-kernel

# The stock kernel the boot tests start (apt-get download, cached by exact
# version; offline, the newest cached one), and the ELF vmlinux inside it
# for the PVH test.  A failure here leaves the tests to say what is missing.
debian-kernel:
	@d=$$(scripts/debian-kernel $(KERNEL_CACHE)) && \
	{ [ -s $$d/vmlinux ] || \
	  scripts/vmlinux-from-bzimage $$d/vmlinuz $$d/vmlinux; } || \
		echo "make: no Debian kernel in $(KERNEL_CACHE): the stock kernel tests will fail"

# Under the sanitizers (make asan) the Criterion binaries run with
# LeakSanitizer logging to LSAN_DIR.  LeakSanitizer checks a process when
# it exits, and a Criterion worker exits after it has reported its test's
# result, so a leak never fails the test that made it; asan-leaks fails
# instead when any report is there (scripts/lsan-check).  The suppressions
# are narrow: an allocation made by a test has Criterion's frames below
# it, so a pattern naming libcriterion would hide every leak in a test.
ifneq ($(SAN),)
LSAN_DIR := $(abspath $(B))/lsan
SAN_RUN := mkdir -p $(LSAN_DIR) && \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:log_path=$(LSAN_DIR)/report
# The reports go to files: show them when the run fails.
SAN_SHOW := || { scripts/lsan-check --show $(LSAN_DIR); exit 1; }
endif

# What needs no KVM: the layers of lib/, the white-box unit tests and the
# fuzz targets (once: they are built with ASan and UBSan anyway, so not
# again under SAN), and the 1.0 ABI (not of a sanitizer build).
host-test: all layer-check $(if $(SAN),,fuzz-smoke abi-check)
	$(SAN_RUN) $(UNIT_BIN) --jobs 2 $(SAN_SHOW)

# lib/'s layers go one way, with no loop between files (DESIGN.md).
.PHONY: layer-check abi-check abi-baseline
layer-check: lib
	scripts/layer-check $(B)/obj/lib

# The released ABI (ABI.md, "Stability"): nothing of abi/libvm-1.0.abi
# may change; additions go into a new version node of lib/libvm.map.
ABI_BASELINE := abi/libvm-1.0.abi
abi-check: lib
	scripts/abi-check $(SO) $(ABI_BASELINE)

# Only when a release adds a baseline (abi/libvm-MAJOR.MINOR.abi), from a
# build with the default OPT.
abi-baseline: lib
	scripts/abi-check --write $(SO) $(ABI_BASELINE)

kvm-test: all $(KVM_PROBE) debian-kernel $(if $(SAN),,$(FUZZ_EX_LF) \
		$(FUZZ_EX_MUT) $(ABI_DUMP) rust-test-build)
	@$(WITH_KVM_ALL) $(MAKE) --no-print-directory B=$(B) SAN='$(SAN)' \
		kvm-suites

# Criterion runs the suites; --jobs keeps KVM tests from starving.
kvm-suites:
	$(SAN_RUN) $(TEST_BIN) --jobs 2 $(SAN_SHOW)
ifeq ($(SAN),)
	@$(MAKE) --no-print-directory fuzz-examples-smoke-run
	@$(MAKE) --no-print-directory python-test-run
	@$(MAKE) --no-print-directory rust-test-run
endif

test: host-test kvm-test

check: deps
	@$(MAKE) --no-print-directory all
	@scripts/install-check.sh $(B)
	@scripts/rust-dependent-check $(B) $(CARGO)
	@scripts/tmp-check $(B)
	@$(MAKE) --no-print-directory test

ASAN_FLAGS := B=build/asan OPT="-O1 -g" \
	SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"

asan: deps
	@rm -rf build/asan/lsan
	@$(MAKE) --no-print-directory $(ASAN_FLAGS) test asan-leaks

# The leak check itself is tested: a Criterion test that leaks on purpose
# (tests/lsan/leak_probe.c) must leave a report that names it.
LEAK_PROBE := $(B)/tests/leak-probe
.PHONY: asan-leaks

$(LEAK_PROBE): tests/lsan/leak_probe.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LDFLAGS_ALL) -lcriterion

asan-leaks: $(LEAK_PROBE)
	@scripts/lsan-check --probe $(LEAK_PROBE) $(LSAN_DIR)

# Unicorn is bench/call's second baseline (loaded at run time if present).
BENCH_DEPS ?= libunicorn-dev qemu-system-x86 busybox-static

# The binding benchmarks (bench/python_bench.py, the Rust example bench)
# load CBENCH for their C baselines: a trap handler and a libvm_call loop.
CBENCH := $(B)/bench/libcbench.so
BENCH_ENV = LIBVM_LIBRARY=$(abspath $(B))/lib/$(SONAME) \
	LIBVM_LIB_DIR=$(abspath $(B))/lib LIBVM_GUEST_DIR=$(abspath $(B))/guests \
	LIBVM_CBENCH_LIBRARY=$(abspath $(CBENCH))

$(CBENCH): bench/cbench.c lib
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -fPIC -shared -o $@ $< $(LDFLAGS_ALL) $(RPATH) \
		-L$(B)/lib -lvm

# Each BENCH line ends with env=<where it ran> (kvm-vmx, kvm-svm, pvm, or
# nested-tcg inside scripts/nested-vm): scripts/bench-run adds it.
bench:
	@CC="$(CC)" scripts/deps.sh $(BENCH_DEPS)
	@$(MAKE) --no-print-directory all $(CBENCH) $(KVM_PROBE) debian-kernel
	@if command -v $(CARGO) >/dev/null 2>&1; then cd bindings/rust && \
		$(BENCH_ENV) CARGO_TARGET_DIR=$(abspath $(B))/rust \
		$(CARGO) build --offline --release -q -p libvm --example bench; fi
	@$(WITH_KVM) $(MAKE) --no-print-directory B=$(B) bench-run
	@$(WITH_KVM_ALL) $(MAKE) --no-print-directory B=$(B) bench-vm-run

.PHONY: bench-vm-run
bench-vm-run:
	@for b in $(VM_BENCHES); do echo "== $$b"; \
		scripts/bench-run $(KVM_PROBE) $$b || exit 1; done

# Whole-VM boots (bench/vmboot, bench/vblk_linux) need supervisor code at
# hardware speed: on a PVM host they run in the nested VM (WITH_KVM_ALL);
# elsewhere where KVM is.
VM_BENCHES := $(B)/bench/vmboot $(B)/bench/vblk_linux

bench-run:
	@for b in $(filter-out $(VM_BENCHES),$(BENCHES)); do echo "== $$b"; \
		scripts/bench-run $(KVM_PROBE) $$b || exit 1; done
	@echo "== bench/python_bench.py"
	@$(BENCH_ENV) scripts/bench-run $(KVM_PROBE) $(PYTHON) bench/python_bench.py
	@echo "== bindings/rust/libvm/examples/bench.rs"
	@if [ -x $(B)/rust/release/examples/bench ]; then \
		$(BENCH_ENV) scripts/bench-run $(KVM_PROBE) \
		$(B)/rust/release/examples/bench; \
	else for n in c_pio_exit_same_run rust_pio_exit \
		c_call_roundtrip_same_run rust_call_roundtrip; do \
		echo "BENCH name=$$n skipped reason=no cargo ($(CARGO))"; done; fi

# What `make install` puts under share/doc/libvm: the docs and the
# examples' sources with a Makefile that builds them against the installed
# library (examples/Makefile).
DOC_FILES := README.md ABI.md
EX_DIRS := . guests fuzz fuzz/seeds python
EX_FILES := examples/Makefile $(wildcard examples/*.c examples/guests/*.c \
	examples/fuzz/*.c examples/fuzz/*.h examples/fuzz/seeds/* \
	examples/python/*.py)

install: lib $(GUEST_RT) $(PC_FILES) $(TOOLS)
	install -d $(DESTDIR)$(INCLUDEDIR)/libvm $(DESTDIR)$(LIBDIR) \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(BINDIR) \
		$(addprefix $(DESTDIR)$(EXAMPLESDIR)/,$(EX_DIRS))
	install -m 644 include/libvm/*.h $(DESTDIR)$(INCLUDEDIR)/libvm/
	install -m 755 $(SO) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(TOOLS) $(DESTDIR)$(BINDIR)/
	ln -sf libvm.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libvm.so
	install -m 644 $(AR_LIB) $(GUEST_RT) $(DESTDIR)$(LIBDIR)/
	install -m 644 $(PC_FILES) $(DESTDIR)$(PKGCONFIGDIR)/
	install -m 644 $(DOC_FILES) $(DESTDIR)$(DOCDIR)/
	install -m 644 bindings/python/README.md $(DESTDIR)$(DOCDIR)/python.md
	install -m 644 bindings/rust/README.md $(DESTDIR)$(DOCDIR)/rust.md
	for f in $(EX_FILES); do \
		install -m 644 $$f $(DESTDIR)$(EXAMPLESDIR)/$${f#examples/} \
			|| exit 1; done

uninstall:
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/libvm/,$(notdir $(wildcard include/libvm/*.h)))
	-rmdir $(DESTDIR)$(INCLUDEDIR)/libvm
	rm -f $(DESTDIR)$(LIBDIR)/libvm.so.$(VERSION) \
		$(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libvm.so \
		$(DESTDIR)$(LIBDIR)/libvm.a $(DESTDIR)$(LIBDIR)/libvm-guest.a \
		$(addprefix $(DESTDIR)$(PKGCONFIGDIR)/,$(notdir $(PC_FILES))) \
		$(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(TOOLS)))
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/,$(DOC_FILES) python.md rust.md) \
		$(addprefix $(DESTDIR)$(EXAMPLESDIR)/,$(EX_FILES:examples/%=%))
	-rmdir $(addprefix $(DESTDIR)$(EXAMPLESDIR)/,fuzz/seeds fuzz guests \
		python) $(DESTDIR)$(EXAMPLESDIR) $(DESTDIR)$(DOCDIR) 2>/dev/null

clean:
	rm -rf $(B)
