/* SPDX-License-Identifier: MIT */
/*
 * The program's memory: the one accessor for guest pointers, and brk and
 * mmap inside guest RAM.  The identity map gives every page to the program
 * read, write and execute, so mprotect only checks its arguments; mmap
 * hands out pages of the mmap area (a bit per page in the state, so that
 * snapshots carry it) and fills them with zeros or the file's bytes.
 */
#include "lp.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void *lp_uptr(libvm_linux *lp, uint64_t gva, uint64_t len, bool write)
{
	void *p;

	if (gva < LIBVM_LINUX_USER_BASE || gva > lp->mem_size ||
	    len > lp->mem_size - gva)
		return NULL;
	pthread_rwlock_rdlock(&lp->vm->mem_lock);
	p = lvm_gpa_ptr(lp->vm, gva, len ? len : 1, write);
	pthread_rwlock_unlock(&lp->vm->mem_lock);
	return p;
}

const char *lp_ustr(libvm_linux *lp, uint64_t gva, size_t max, int64_t *err)
{
	uint64_t avail;
	const char *s;

	*err = -EFAULT;
	if (gva < LIBVM_LINUX_USER_BASE || gva >= lp->mem_size)
		return NULL;
	avail = lp->mem_size - gva;
	s = lp_uptr(lp, gva, avail < max ? avail : max, false);
	if (!s)
		return NULL;
	if (!memchr(s, 0, avail < max ? avail : max)) {
		*err = avail < max ? -EFAULT : -ENAMETOOLONG;
		return NULL;
	}
	return s;
}

uint32_t lp_state_size(uint64_t mem_size, uint64_t stack_size)
{
	uint64_t pages = (mem_size - stack_size - mem_size / 2) / LP_PAGE;

	return (uint32_t)(sizeof(struct lp_state) + (pages + 63) / 64 * 8);
}

void lp_mem_layout(libvm_linux *lp, uint64_t image_end)
{
	struct lp_state *st = lp->st;

	st->brk_start = st->brk_cur = LP_PAGE_UP(image_end);
	st->brk_max = lp->mem_size / 2;
	st->mmap_lo = lp->mem_size / 2;
	/* a guard page under the stack stays out of the mmap area */
	st->mmap_hi = lp->mem_size - lp->stack_size - LP_PAGE;
}

static int64_t zero(libvm_linux *lp, uint64_t gva, uint64_t len)
{
	void *p = lp_uptr(lp, gva, len, true);

	if (!p)
		return -EFAULT;
	memset(p, 0, len);
	return 0;
}

int64_t lp_brk(libvm_linux *lp, uint64_t addr)
{
	struct lp_state *st = lp->st;

	if (addr < st->brk_start || addr > st->brk_max)
		return (int64_t)st->brk_cur;
	/* Linux gives zeroed pages to a growing heap. */
	if (addr > st->brk_cur && zero(lp, st->brk_cur, addr - st->brk_cur))
		return (int64_t)st->brk_cur;
	st->brk_cur = addr;
	return (int64_t)addr;
}

/* ---- the mmap area's page bitmap ---- */

static bool page_used(const struct lp_state *st, uint64_t i)
{
	return st->mmap_used[i / 64] >> (i % 64) & 1;
}

static void mark(struct lp_state *st, uint64_t lo, uint64_t hi, bool used)
{
	uint64_t i;

	if (lo < st->mmap_lo)
		lo = st->mmap_lo;
	if (hi > st->mmap_hi)
		hi = st->mmap_hi;
	for (i = (lo - st->mmap_lo) / LP_PAGE;
	     lo < hi && i < (hi - st->mmap_lo) / LP_PAGE; i++) {
		if (used)
			st->mmap_used[i / 64] |= 1ull << (i % 64);
		else
			st->mmap_used[i / 64] &= ~(1ull << (i % 64));
	}
}

/* The highest free run of n pages (Linux maps top-down); 0 if none. */
static uint64_t find_free(const struct lp_state *st, uint64_t n)
{
	uint64_t pages = (st->mmap_hi - st->mmap_lo) / LP_PAGE, run = 0, i;

	for (i = pages; i-- > 0;) {
		run = page_used(st, i) ? 0 : run + 1;
		if (run == n)
			return st->mmap_lo + i * LP_PAGE;
	}
	return 0;
}

static bool user_range(libvm_linux *lp, uint64_t addr, uint64_t len)
{
	return addr >= LIBVM_LINUX_USER_BASE && addr <= lp->mem_size &&
	       len <= lp->mem_size - addr;
}

#define LP_MAP_SHARED		0x01
#define LP_MAP_PRIVATE		0x02
#define LP_MAP_FIXED		0x10
#define LP_MAP_ANONYMOUS	0x20
#define LP_MAP_FIXED_NOREPLACE	0x100000
#define LP_PROT_WRITE		0x2

/* Copy a file's bytes into fresh pages (read-only private mappings). */
static int64_t fill_from_file(libvm_linux *lp, uint64_t at, uint64_t len,
			      int fd, uint64_t off)
{
	int file = fd >= 0 && fd < LP_MAX_FDS ? lp->st->fd[fd] : -1;
	uint8_t *p;
	ssize_t n;

	if (file < 0 || lp->st->files[file].kind != LP_F_FILE ||
	    lp->host[file] < 0)
		return -EBADF;
	p = lp_uptr(lp, at, len, true);
	if (!p)
		return -EFAULT;
	while (len) {
		n = pread(lp->host[file], p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			break;
		p += n, off += (uint64_t)n, len -= (uint64_t)n;
	}
	memset(p, 0, len);	/* past the end of the file */
	return 0;
}

int64_t lp_mmap(libvm_linux *lp, const uint64_t a[6])
{
	struct lp_state *st = lp->st;
	uint64_t addr = a[0], len = LP_PAGE_UP(a[1]), flags = a[3], at, i;
	bool anon = flags & LP_MAP_ANONYMOUS;
	int64_t r;

	if (!a[1] || len < a[1] || (addr & (LP_PAGE - 1)) ||
	    (!anon && (a[5] & (LP_PAGE - 1))))
		return -EINVAL;
	if (!(flags & (LP_MAP_SHARED | LP_MAP_PRIVATE)))
		return -EINVAL;
	/* A file is copied: only mappings nobody writes back to it. */
	if (!anon && (flags & LP_MAP_SHARED) && (a[2] & LP_PROT_WRITE))
		return -ENODEV;
	if (flags & (LP_MAP_FIXED | LP_MAP_FIXED_NOREPLACE)) {
		if (!user_range(lp, addr, len))
			return -ENOMEM;
		if (flags & LP_MAP_FIXED_NOREPLACE) {
			for (i = addr; i < addr + len; i += LP_PAGE)
				if (i >= st->mmap_lo && i < st->mmap_hi &&
				    page_used(st, (i - st->mmap_lo) / LP_PAGE))
					return -EEXIST;
		}
		at = addr;
	} else {
		if (len > st->mmap_hi - st->mmap_lo)
			return -ENOMEM;
		at = find_free(st, len / LP_PAGE);
		if (!at)
			return -ENOMEM;
	}
	r = anon ? zero(lp, at, len)
		 : fill_from_file(lp, at, len, (int)a[4], a[5]);
	if (r < 0)
		return r;
	mark(st, at, at + len, true);
	return (int64_t)at;
}

int64_t lp_munmap(libvm_linux *lp, uint64_t addr, uint64_t len)
{
	len = LP_PAGE_UP(len);
	if ((addr & (LP_PAGE - 1)) || !len || !user_range(lp, addr, len))
		return -EINVAL;
	mark(lp->st, addr, addr + len, false);
	return 0;
}

int64_t lp_mprotect(libvm_linux *lp, uint64_t addr, uint64_t len)
{
	len = LP_PAGE_UP(len);
	if (addr & (LP_PAGE - 1))
		return -EINVAL;
	return user_range(lp, addr, len) ? 0 : -ENOMEM;
}

#define LP_MADV_DONTNEED 4

int64_t lp_madvise(libvm_linux *lp, uint64_t addr, uint64_t len, int adv)
{
	len = LP_PAGE_UP(len);
	if ((addr & (LP_PAGE - 1)) || !user_range(lp, addr, len))
		return -EINVAL;
	/* Private anonymous memory reads as zeros after MADV_DONTNEED. */
	return adv == LP_MADV_DONTNEED ? zero(lp, addr, len) : 0;
}
