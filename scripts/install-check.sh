#!/bin/sh
# Install into a scratch DESTDIR, build examples/hello.c with nothing but
# pkg-config, check the exported symbols, then uninstall and check nothing
# is left.  Usage: scripts/install-check.sh BUILD_DIR
set -eu
b=$(cd "$1" && pwd)
d=$b/install-check
rm -rf "$d"
make --no-print-directory -s install B="$1" DESTDIR="$d" PREFIX=/usr/local >/dev/null
export PKG_CONFIG_SYSROOT_DIR="$d" PKG_CONFIG_PATH="$d/usr/local/lib/pkgconfig"
# shellcheck disable=SC2046
cc examples/hello.c $(pkg-config --cflags --libs libvm) -o "$b/hello-installed"
so="$d/usr/local/lib/libvm.so"
bad=$(nm -D --defined-only "$so" | awk '$3 !~ /^libvm_[a-z0-9_]+@@LIBVM_[0-9.]+$/ && $3 !~ /^LIBVM_/ {print $3}')
if [ -n "$bad" ]; then
	echo "install-check: exported symbols outside libvm_*@@LIBVM_*: $bad" >&2
	exit 1
fi
[ "$(readelf -d "$so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')" = libvm.so.1 ] || {
	echo "install-check: soname is not libvm.so.1" >&2; exit 1; }
n=$(nm -D --defined-only "$so" | grep -c ' T libvm_')
make --no-print-directory -s uninstall DESTDIR="$d" PREFIX=/usr/local >/dev/null
left=$(find "$d" -type f -o -type l)
if [ -n "$left" ]; then
	echo "install-check: uninstall left: $left" >&2
	exit 1
fi
rm -rf "$d"
echo "install-check: ok ($n libvm_* functions, all versioned; pkg-config build ok)"
