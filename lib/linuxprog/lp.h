/* SPDX-License-Identifier: MIT */
/* Static Linux programs as guests (lib/linuxprog/): shared internals. */
#ifndef LIBVM_LP_H
#define LIBVM_LP_H

#include "../internal.h"
#include <libvm/linuxprog.h>

#include <stddef.h>

#define LP_PAGE		4096ull
#define LP_PAGE_UP(x)	(((x) + LP_PAGE - 1) & ~(LP_PAGE - 1))
#define LP_MAX_FDS	64	/* guest fds 0 .. LP_MAX_FDS-1 */
#define LP_MAX_FILES	64	/* open file descriptions */
#define LP_PATH_MAX	256	/* guest paths, NUL included */
#define LP_PID		1	/* the program's pid and tid */
#define LP_DEVSTATE	"linuxprog"
#define LP_STATE_MAGIC	0x4c505354u	/* "LPST" */

/* ---- ELF (elf.c) ---- */
#define LP_MAX_SEGS	16

struct lp_seg {
	uint64_t vaddr, memsz, off, filesz;	/* vaddr with the base added */
};

struct lp_elf {
	uint64_t base;		/* load bias: 0, or the PIE's */
	uint64_t entry, phdr, lo, hi;	/* hi: end of the highest segment */
	uint32_t phnum, phent;
	uint32_t nsegs;
	struct lp_seg segs[LP_MAX_SEGS];
};

/*
 * Check an ELF file image (len bytes) as a static x86-64 executable whose
 * segments fit in [LIBVM_LINUX_USER_BASE, limit); fill *e.  Returns 0 or
 * LIBVM_EIMAGE with the reason in the detail message.  Pure: no KVM.
 */
int lp_elf_parse(struct lp_elf *e, const uint8_t *buf, size_t len,
		 uint64_t limit);

/* ---- the state that snapshots carry (a device state) ---- */
enum { LP_F_NONE, LP_F_STDIO, LP_F_FILE, LP_F_DIR };

struct lp_file {
	uint32_t kind;		/* LP_F_* */
	uint32_t refs;		/* guest fds that point here */
	int32_t oflags;		/* the guest's open flags */
	uint32_t stdio;		/* LP_F_STDIO: which caller fd (0-2) */
	uint64_t off;		/* file offset, directory position */
	char path[LP_PATH_MAX];	/* absolute guest path it was opened by */
};

struct lp_state {
	uint32_t magic, len;
	uint64_t brk_start, brk_cur, brk_max;
	uint64_t mmap_lo, mmap_hi;
	uint64_t fs_base;
	int32_t exited, status;
	char cwd[LP_PATH_MAX];
	char execfn[LP_PATH_MAX];
	int16_t fd[LP_MAX_FDS];		/* index into files, -1: free */
	uint8_t cloexec[LP_MAX_FDS];
	struct lp_file files[LP_MAX_FILES];
	uint64_t mmap_used[];	/* a bit per page of the mmap area */
};

struct libvm_linux {
	libvm_vm *vm;
	libvm_vcpu *vcpu;
	libvm_linux_config cfg;	/* envp is not kept */
	int root_fd;		/* -1: no files */
	int host[LP_MAX_FILES];	/* host fd of each file, -1: none */
	struct lp_state *st;
	uint32_t st_len;
	uint64_t mem_size, stack_size;
	uint64_t logged[16];	/* numbers already reported to log */
	bool no_openat2;	/* the kernel has none: walk by hand */
	bool done;		/* exited or crashed: last says how */
	libvm_exit last;
};

/* ---- guest memory (mem.c) ---- */
/*
 * The one accessor for guest memory named by the program: [gva, gva+len)
 * must lie in [LIBVM_LINUX_USER_BASE, mem_size).  write marks the pages
 * written for snapshots.  NULL if not (the call returns -EFAULT).
 */
void *lp_uptr(libvm_linux *lp, uint64_t gva, uint64_t len, bool write);
/* A NUL-terminated guest string of at most max bytes; NULL: EFAULT. */
const char *lp_ustr(libvm_linux *lp, uint64_t gva, size_t max,
		    int64_t *err);
int64_t lp_brk(libvm_linux *lp, uint64_t addr);
int64_t lp_mmap(libvm_linux *lp, const uint64_t a[6]);
int64_t lp_munmap(libvm_linux *lp, uint64_t addr, uint64_t len);
int64_t lp_mprotect(libvm_linux *lp, uint64_t addr, uint64_t len);
int64_t lp_madvise(libvm_linux *lp, uint64_t addr, uint64_t len, int adv);
/* Bytes of the state for a VM of mem_size (header and mmap bitmap). */
uint32_t lp_state_size(uint64_t mem_size, uint64_t stack_size);
/* Fill the memory part of a fresh state. */
void lp_mem_layout(libvm_linux *lp, uint64_t image_end);

/* ---- paths (path.c) ---- */
#define LP_AT_FDCWD	(-100)
/* The absolute guest path of path, relative to guest fd dirfd or cwd. */
int lp_guest_path(libvm_linux *lp, int dirfd, const char *path,
		  char out[LP_PATH_MAX]);
/* Open an absolute guest path inside the root: a host fd or -errno. */
int lp_open_in_root(libvm_linux *lp, const char *gpath, int flags,
		    unsigned int mode);

/* ---- files (fs.c) ---- */
void lp_fs_init(libvm_linux *lp);
void lp_fs_close_all(libvm_linux *lp);
/* Reopen every file of a restored state. */
void lp_fs_reopen(libvm_linux *lp);
int64_t lp_sys_fs(libvm_linux *lp, uint64_t nr, const uint64_t a[6],
		  bool *served);

/* ---- program start (stack.c) ---- */
int lp_load(libvm_linux *lp, const char *path, int argc,
	    const char *const *argv, const char *const *envp);

/* ---- system calls (sys.c) ---- */
int lp_syscall(libvm_vcpu *vcpu, uint64_t nr, const uint64_t args[6],
	       uint64_t *ret, void *opaque);

#endif
