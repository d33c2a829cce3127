/* SPDX-License-Identifier: MIT */
/*
 * Starting a program: its segments into guest RAM and the initial stack
 * of the Linux x86-64 ABI at the top of RAM.  From the top down: the
 * program's name, the environment and argument strings, "x86_64", 16
 * random bytes (AT_RANDOM), then at a 16-byte aligned RSP: argc, argv[],
 * NULL, envp[], NULL, the auxiliary vector, AT_NULL.
 */
#define _GNU_SOURCE
#include "lp.h"

#include <cpuid.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define LP_MAX_FILE	(1ull << 30)	/* program files up to 1 GiB */
#define LP_MAX_ARGS	(256u << 10)	/* bytes of strings and pointers */
#define LP_CLKTCK	100

static int read_file(uint8_t **out, size_t *len, const char *path)
{
	struct stat sb;
	uint8_t *buf;
	size_t got = 0;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lvm_err_errno(LIBVM_EIO, errno, "linux program %s", path);
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size > LP_MAX_FILE) {
		r = lvm_err(LIBVM_EIMAGE, "linux program %s: not a regular "
			    "file of at most 1 GiB", path);
		goto out;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		r = lvm_err(LIBVM_ENOMEM, "linux program %s", path);
		goto out;
	}
	while (got < (size_t)sb.st_size) {
		n = read(fd, buf + got, (size_t)sb.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			r = lvm_err_errno(LIBVM_EIO, n ? errno : EIO,
					  "linux program %s: read", path);
			goto out;
		}
		got += (size_t)n;
	}
	*out = buf;
	*len = got;
	r = 0;
out:
	close(fd);
	return r;
}

/* The initial stack, built in a host buffer that mirrors its top. */
struct stk {
	uint8_t *buf;
	uint64_t top, size, used;	/* used: bytes from the top */
	bool overflow;
};

static uint64_t push(struct stk *s, const void *p, size_t n, size_t align)
{
	uint64_t at = (s->used + n + align - 1) / align * align;

	if (at > s->size) {
		s->overflow = true;
		return 0;
	}
	s->used = at;
	memcpy(s->buf + s->size - at, p, n);
	return s->top - at;
}

static uint64_t push_str(struct stk *s, const char *str)
{
	return push(s, str, strlen(str) + 1, 1);
}

static uint64_t hwcap(void)
{
	unsigned a, b, c, d;

	return __get_cpuid(1, &a, &b, &c, &d) ? d : 0;
}

static int build_stack(libvm_linux *lp, const struct lp_elf *e, int argc,
		       const char *const *argv, const char *const *envp,
		       uint64_t *sp)
{
	struct stk s = { .top = lp->mem_size, .size = LP_MAX_ARGS };
	uint64_t *vec, *v, execfn, plat, rnd, n, i, nenv = 0;
	static const uint8_t zeros[8];
	uint8_t random[16];
	int r = 0;

	while (envp && envp[nenv])
		nenv++;
	s.buf = malloc(s.size);
	vec = calloc((size_t)argc + nenv + 64, sizeof(*vec));
	if (!s.buf || !vec) {
		r = lvm_err(LIBVM_ENOMEM, "linux program: initial stack");
		goto out;
	}
	if (getrandom(random, sizeof(random), 0) != sizeof(random)) {
		r = lvm_err_errno(LIBVM_EIO, errno, "linux program: getrandom");
		goto out;
	}
	push(&s, zeros, sizeof(zeros), 8); /* zeros above the name */
	execfn = push_str(&s, argc ? argv[0] : "");
	v = vec;
	*v++ = (uint64_t)argc;
	for (i = 0; i < (uint64_t)argc; i++)
		*v++ = push_str(&s, argv[i]);
	*v++ = 0;
	for (i = 0; i < nenv; i++)
		*v++ = push_str(&s, envp[i]);
	*v++ = 0;
	plat = push_str(&s, "x86_64");
	rnd = push(&s, random, sizeof(random), 16);
#define AUX(t, val) (*v++ = (t), *v++ = (val))
	AUX(AT_PHDR, e->phdr);
	AUX(AT_PHENT, e->phent);
	AUX(AT_PHNUM, e->phnum);
	AUX(AT_PAGESZ, LP_PAGE);
	AUX(AT_BASE, 0);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, e->entry);
	AUX(AT_UID, getuid());
	AUX(AT_EUID, geteuid());
	AUX(AT_GID, getgid());
	AUX(AT_EGID, getegid());
	AUX(AT_SECURE, 0);
	AUX(AT_PLATFORM, plat);
	AUX(AT_HWCAP, hwcap());
	AUX(AT_HWCAP2, 0);
	AUX(AT_CLKTCK, LP_CLKTCK);
	AUX(AT_RANDOM, rnd);
	AUX(AT_EXECFN, execfn);
	AUX(AT_NULL, 0);
#undef AUX
	n = (uint64_t)(v - vec);
	*sp = push(&s, vec, n * 8, 16);	/* RSP, at argc, 16-byte aligned */
	if (s.overflow || s.used > lp->stack_size / 2) {
		r = lvm_err(LIBVM_ELIMIT, "linux program: arguments and "
			    "environment take more than %u bytes",
			    LP_MAX_ARGS);
		goto out;
	}
	r = libvm_mem_write(lp->vm, lp->mem_size - s.used,
			    s.buf + s.size - s.used, s.used);
	/* readlink("/proc/self/exe") must be absolute (glibc asserts) */
	snprintf(lp->st->execfn, sizeof(lp->st->execfn), "%s%s",
		 argc && argv[0][0] == '/' ? "" : "/", argc ? argv[0] : "");
out:
	free(vec);
	free(s.buf);
	return r;
}

static int load_segments(libvm_linux *lp, const struct lp_elf *e,
			 const uint8_t *file)
{
	uint32_t i;
	int r;

	for (i = 0; i < e->nsegs; i++) {
		r = libvm_mem_write(lp->vm, e->segs[i].vaddr,
				    file + e->segs[i].off, e->segs[i].filesz);
		if (r < 0)
			return r;
	}
	return 0;
}

int lp_load(libvm_linux *lp, const char *path, int argc,
	    const char *const *argv, const char *const *envp)
{
	struct lp_elf e;
	uint8_t *file = NULL;
	size_t len = 0;
	uint64_t sp = 0;
	int r;

	r = read_file(&file, &len, path);
	if (r < 0)
		return r;
	r = lp_elf_parse(&e, file, len, lp->mem_size / 2);
	if (r == 0)
		r = load_segments(lp, &e, file);
	free(file);
	if (r < 0)
		return r;
	lp_mem_layout(lp, e.hi);
	r = build_stack(lp, &e, argc, argv, envp, &sp);
	if (r < 0)
		return r;
	return libvm_vcpu_set_long_mode(lp->vcpu, e.entry, sp);
}
