# libvm: `make` builds into build/; see README.md for the other targets.

VERSION_MAJOR := 0
VERSION_MINOR := 1
VERSION_PATCH := 0
VERSION := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
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

LIB_SRC := $(wildcard lib/core/*.c lib/x86/*.c)
LIB_ASM := $(wildcard lib/x86/*.S)
LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/%.o) $(LIB_ASM:%.S=$(B)/obj/%.o)
SONAME := libvm.so.$(VERSION_MAJOR)
SO := $(B)/lib/libvm.so.$(VERSION)
AR_LIB := $(B)/lib/libvm.a

TEST_SRC := $(wildcard tests/*.c tests/*.S)
TEST_BIN := $(B)/tests/libvm-tests
EXAMPLES := $(patsubst examples/%.c,$(B)/examples/%,$(wildcard examples/*.c))
BENCH_SRC := $(wildcard bench/*.c)
BENCHES := $(patsubst bench/%.c,$(B)/bench/%,$(BENCH_SRC))
# Programs link the shared library from the build tree.
RPATH := -Wl,-rpath,'$$ORIGIN/../lib'
PROG_LIBS := -L$(B)/lib -lvm -lpthread

.PHONY: all lib deps demo check test asan bench install uninstall clean

all: lib $(TEST_BIN) $(EXAMPLES) $(BENCHES) $(B)/lib/libvm.pc

lib: $(SO) $(B)/lib/libvm.so $(B)/lib/$(SONAME) $(AR_LIB)

deps:
	@CC="$(CC)" scripts/deps.sh

$(B)/obj/lib/%.o: lib/%.c lib/internal.h $(wildcard include/libvm/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -fPIC -fvisibility=hidden -c $< -o $@

$(B)/obj/lib/%.o: lib/%.S
	@mkdir -p $(@D)
	$(CC) $(SAN) -c $< -o $@

$(SO): $(LIB_OBJ) lib/libvm.map
	@mkdir -p $(@D)
	$(CC) -shared $(LDFLAGS_ALL) -Wl,-soname,$(SONAME) \
		-Wl,--version-script,lib/libvm.map -Wl,-z,defs -Wl,-z,now \
		-o $@ $(LIB_OBJ) -lpthread

$(B)/lib/$(SONAME): $(SO)
	ln -sf $(notdir $<) $@

$(B)/lib/libvm.so: $(B)/lib/$(SONAME)
	ln -sf $(SONAME) $@

$(AR_LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(B)/lib/libvm.pc: pkgconfig/libvm.pc.in Makefile
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    $< > $@

$(TEST_BIN): $(TEST_SRC) $(wildcard tests/*.h) lib
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -Itests -o $@ $(TEST_SRC) $(LDFLAGS_ALL) \
		$(RPATH) $(PROG_LIBS) -lcriterion

$(B)/examples/%: examples/%.c lib
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LDFLAGS_ALL) $(RPATH) $(PROG_LIBS)

$(B)/bench/%: bench/%.c bench/bench.h lib
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -Ibench -o $@ $< $(LDFLAGS_ALL) $(RPATH) \
		$(PROG_LIBS) -lm

demo: deps
	@$(MAKE) --no-print-directory all
	@echo "== examples/hello: a guest prints through a port-I/O device"
	$(B)/examples/hello

# Criterion runs the suites; --jobs keeps KVM tests from starving.
test: all
	$(TEST_BIN) --jobs 2

check: deps
	@$(MAKE) --no-print-directory test

asan: deps
	@$(MAKE) --no-print-directory B=build/asan \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		OPT="-O1 -g" test

bench: deps
	@$(MAKE) --no-print-directory all
	@for b in $(BENCHES); do echo "== $$b"; $$b || exit 1; done

install: lib $(B)/lib/libvm.pc
	install -d $(DESTDIR)$(INCLUDEDIR)/libvm $(DESTDIR)$(LIBDIR) \
		$(DESTDIR)$(PKGCONFIGDIR)
	install -m 644 include/libvm/*.h $(DESTDIR)$(INCLUDEDIR)/libvm/
	install -m 755 $(SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libvm.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libvm.so
	install -m 644 $(AR_LIB) $(DESTDIR)$(LIBDIR)/
	install -m 644 $(B)/lib/libvm.pc $(DESTDIR)$(PKGCONFIGDIR)/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/libvm/,$(notdir $(wildcard include/libvm/*.h)))
	-rmdir $(DESTDIR)$(INCLUDEDIR)/libvm
	rm -f $(DESTDIR)$(LIBDIR)/libvm.so.$(VERSION) \
		$(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libvm.so \
		$(DESTDIR)$(LIBDIR)/libvm.a $(DESTDIR)$(PKGCONFIGDIR)/libvm.pc

clean:
	rm -rf $(B)
