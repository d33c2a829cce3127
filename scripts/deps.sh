#!/bin/sh
# Make sure the build's tools and libraries are here.  As root on Debian,
# install what is missing; otherwise say what to install and fail.
# Usage: scripts/deps.sh [extra-debian-package ...]
set -e

missing=""
need() { # need <debian-package> <test command...>
	pkg=$1
	shift
	if ! "$@" >/dev/null 2>&1; then missing="$missing $pkg"; fi
}
have_header() {
	printf '#include <%s>\n' "$1" | ${CC:-cc} -E -x c - >/dev/null 2>&1
}

need gcc command -v ${CC:-cc}
need make command -v make
need pkg-config command -v pkg-config
need libc6-dev have_header stdio.h
need linux-libc-dev have_header linux/kvm.h
need libelf-dev have_header gelf.h
need zlib1g-dev have_header zlib.h
need libcriterion-dev have_header criterion/criterion.h
need abigail-tools command -v abidiff
# busybox for the Linux-program tests (static, run as a guest)
need busybox-static test -x /bin/busybox
for p in "$@"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done

[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || true
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
	exit 0
fi
echo "deps: missing$missing" >&2
echo "deps: install them (e.g. sudo apt-get install$missing) or run as root" >&2
exit 1
