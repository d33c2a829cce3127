#!/bin/sh
# What `make install` gives a user, checked after `make` (make check runs
# this).  Usage: scripts/install-check.sh BUILD_DIR
#
#  1. Install into a DESTDIR with another PREFIX than the build's (/usr,
#     the case of a distribution package): the .pc files must name /usr,
#     and a program must build from them and the installed files alone
#     (PKG_CONFIG_LIBDIR holds nothing but them: no libelf or zlib .pc is
#     needed).  Exported symbols are all libvm_*@@LIBVM_*, the soname is
#     libvm.so.MAJOR.
#  2. Install into a real prefix (a temporary directory): build a host
#     program with `pkg-config libvm` and a guest with
#     `pkg-config libvm-guest` as README.md says, build the installed
#     examples with their Makefile, and run one (hostinfo needs no KVM).
#  3. Uninstall both and check that nothing is left.
set -eu
b=$(cd "$1" && pwd)
t=$(mktemp -d "${TMPDIR:-/tmp}/libvm-install-check.XXXXXX")
trap 'rm -rf "$t"' EXIT
fail() { echo "install-check: $*" >&2; exit 1; }
pc() { pkg-config "$@"; }
major=$(sed -n 's/^VERSION_MAJOR := //p' Makefile)

# 1. DESTDIR, PREFIX=/usr
d=$t/dest
make --no-print-directory -s install B="$1" DESTDIR="$d" PREFIX=/usr >/dev/null
export PKG_CONFIG_SYSROOT_DIR="$d" PKG_CONFIG_LIBDIR="$d/usr/lib/pkgconfig"
export PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
for f in libvm libvm-guest; do
	f=$d/usr/lib/pkgconfig/$f.pc
	grep -qx 'prefix=/usr' "$f" && grep -qx 'libdir=/usr/lib' "$f" ||
		fail "$f, installed with PREFIX=/usr, says:
$(grep -E '^(prefix|libdir)=' "$f")"
done
# shellcheck disable=SC2046
cc examples/hello.c $(pc --cflags --libs libvm) -o "$t/hello-destdir" ||
	fail "examples/hello.c does not build from the installed libvm.pc"
so="$d/usr/lib/libvm.so"
bad=$(nm -D --defined-only "$so" | awk '$3 !~ /^libvm_[a-z0-9_]+@@LIBVM_[0-9.]+$/ && $3 !~ /^LIBVM_/ {print $3}')
[ -z "$bad" ] || fail "exported symbols outside libvm_*@@LIBVM_*: $bad"
[ "$(readelf -d "$so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')" = "libvm.so.$major" ] ||
	fail "soname is not libvm.so.$major"
n=$(nm -D --defined-only "$so" | grep -c ' T libvm_')
make --no-print-directory -s uninstall DESTDIR="$d" PREFIX=/usr >/dev/null
left=$(find "$d" -type f -o -type l)
[ -z "$left" ] || fail "uninstall left: $left"
unset PKG_CONFIG_SYSROOT_DIR

# 2. A real prefix, used the way README.md says.
p=$t/prefix
make --no-print-directory -s install B="$1" PREFIX="$p" >/dev/null
export PKG_CONFIG_LIBDIR="$p/lib/pkgconfig"
libdir=$(pc --variable=libdir libvm)
[ "$libdir" = "$p/lib" ] || fail "libvm.pc: libdir=$libdir, want $p/lib"
# shellcheck disable=SC2046
cc examples/hello.c $(pc --cflags --libs libvm) -Wl,-rpath,"$libdir" \
	-o "$t/hello" || fail "hello.c does not build with pkg-config libvm"
# shellcheck disable=SC2046
gcc -O2 $(pc --cflags libvm-guest) examples/guests/funcs.c \
	$(pc --libs libvm-guest) -o "$t/funcs.elf" ||
	fail "a guest does not build with pkg-config libvm-guest"
readelf -h "$t/funcs.elf" | grep -q 'Type:.*EXEC' ||
	fail "the guest is not a static executable"
nm "$t/funcs.elf" | grep -q ' T _start$' && nm "$t/funcs.elf" | grep -q ' T main$' ||
	fail "the guest lacks _start or main"
cp -r "$p/share/doc/libvm/examples" "$t/examples"
for f in README.md ABI.md python.md rust.md; do
	[ -f "$p/share/doc/libvm/$f" ] || fail "share/doc/libvm/$f is not installed"
done
make --no-print-directory -s -C "$t/examples" >/dev/null ||
	fail "the installed examples do not build with their Makefile"
for f in hello call hypercall snapshot hostinfo funcs.elf hcall.elf; do
	[ -x "$t/examples/$f" ] || fail "installed examples: $f not built"
done
out=$("$t/examples/hostinfo" 2>&1) || true
case $out in
"libvm "*) ;;
*) fail "the installed examples' hostinfo does not run: $out" ;;
esac
make --no-print-directory -s uninstall PREFIX="$p" >/dev/null
left=$(find "$p" -type f -o -type l)
[ -z "$left" ] || fail "uninstall left: $left"
echo "install-check: ok ($n libvm_* functions, all versioned; .pc files" \
	"for the install's prefix; host program, guest and installed" \
	"examples built with pkg-config)"
