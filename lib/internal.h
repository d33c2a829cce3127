/* SPDX-License-Identifier: MIT */
/* libvm internals shared by lib/. Never installed. */
#ifndef LIBVM_INTERNAL_H
#define LIBVM_INTERNAL_H

#define LIBVM_BUILDING 1
#include <libvm/libvm.h>
#include <libvm/snapshot.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

struct kvm_run;
struct kvm_dirty_gfn;

#define LIBVM_PAGE_SIZE 4096ull
#define LIBVM_HUGE_SIZE (2ull << 20)
#define LIBVM_MAX_REGIONS 512

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* ---- errors (lib/core/error.c) ---- */
int lvm_err(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), cold));
/* Like lvm_err, appending ": strerror(errnum)". */
int lvm_err_errno(int code, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), cold));

/* ---- ioctl wrappers (lib/core/kvm.c) ---- */
/* Raw: returns the ioctl's result or -errno, retrying on EINTR. */
int lvm_ioctl_raw(int fd, unsigned long req, unsigned long arg);
/* Checked: records the ioctl name, argument and errno on failure. */
int lvm_ioctl_checked(int fd, unsigned long req, unsigned long arg,
		      const char *name);
#define KVM_IOCTL(fd, req, arg) \
	lvm_ioctl_checked((fd), (req), (unsigned long)(arg), #req)

int lvm_open_kvm(const char *path);
/*
 * The process's /dev/kvm descriptor for path (NULL: "/dev/kvm"), opened by
 * the first user and closed by the last lvm_kvm_put; or LIBVM_ENOKVM (and
 * the reason) / LIBVM_ENOMEM.  Never close it yourself.
 */
int lvm_kvm_get(const char *path);
void lvm_kvm_put(int fd);

/*
 * Open a file libvm reads (lib/core/file.c): a regular file, or
 * LIBVM_EIO with "<what>: <path> is not a regular file" for anything else
 * (FIFOs, devices, directories), found out without blocking.  *st is its
 * fstat.  Returns the fd (O_CLOEXEC, blocking) or LIBVM_EIO.
 */
struct stat;
int lvm_open_regular(const char *path, const char *what, struct stat *st);

/* ---- memory ---- */
struct lvm_region {
	uint64_t gpa, size;
	uint8_t *host;
	uint32_t flags;		/* LIBVM_MEM_* */
	uint32_t slot;
	bool owned;		/* libvm munmaps it */
	bool host_writable;
	/* pages not resident are zero (anonymous or fork memory, no file) */
	bool sparse;
	/*
	 * A fork's region: private anonymous memory with this memfd's data
	 * extents mapped MAP_PRIVATE over it, or the memfd mapped whole (a
	 * dup, owned by the region; lib/snapshot/snapshot.c, fork_map).
	 * MADV_DONTNEED brings back the memfd's contents, zeros in its holes.
	 * -1 for every other region.  Sparse and cow_fd < 0: private
	 * anonymous.
	 */
	int cow_fd;
	/* dirty tracking (lib/snapshot/), once the VM has a snapshot */
	uint64_t *hdirty;	/* pages the host wrote through libvm */
	/*
	 * Pages KVM reported written: the dirty log's bitmap, or what the
	 * dirty ring gave.  With a ring or a manual-protect log, a page stays
	 * set across restores until protect_hot, and writable in KVM until
	 * then or a ring-full exit.
	 */
	uint64_t *kdirty;
	uint64_t *dsum;		/* a bit per word of hdirty/kdirty with bits */
};

struct lvm_trap {
	uint64_t base, end;	/* [base, end) */
	libvm_trap_fn fn;	/* PIO and MMIO */
	libvm_hypercall_fn hfn;	/* hypercalls (space 2, [nr, nr+1)) */
	void *opaque;
};

/* The long-mode runtime of a VM (lib/x86/longmode.c, lib/core/call.c). */
struct lvm_rt {
	bool active;
	uint32_t flags;		/* LIBVM_LONG_* */
	uint64_t sys_gpa;
	uint64_t xcr0;		/* 0: no XSAVE */
	libvm_console_fn console;
	void *console_opaque;
	uint64_t scratch_gpa, scratch_size, scratch_used;
	/*
	 * Keyed sum of the system area but its exception stacks as
	 * libvm_long_mode_setup wrote it (lvm_rt_sys_sum); key 0: none.
	 * Snapshots use it to prove that only libvm's code runs at CPL0.
	 */
	uint64_t sys_key, sys_sum;
	bool sys_guarded;	/* its pages are out of user mode's reach */
};

/* Layout of the system area (offsets from sys_gpa). */
#define LVM_SYS_GDT	0x00000
#define LVM_SYS_IDT	0x01000
#define LVM_SYS_TSS	0x02000	/* 128 bytes per vCPU */
#define LVM_SYS_CODE	0x03000
#define LVM_SYS_PML4	0x04000
#define LVM_SYS_PDPT	0x05000
#define LVM_SYS_PD	0x06000	/* 64 pages */
#define LVM_SYS_STACKS	0x46000	/* 4 KiB exception stack per vCPU */
#define LVM_SYS_PT	0x56000	/* 2 page tables: the area's 4 KiB pages */
/*
 * The I/O permission bitmap every vCPU's TSS points at: all zeros (every
 * port allowed) and the 0xff byte the CPU wants after it.  User-mode port
 * I/O (the runtime's ports, devices) needs it on PVM, which ignores
 * RFLAGS.IOPL for guest user mode but honours the bitmap.
 */
#define LVM_SYS_IOBITMAP	0x58000	/* 8 KiB + 1 byte */
#define LVM_IOBITMAP_SIZE	(8192 + 1)
/* TSS of vCPU id: its limit reaches the bitmap's last byte. */
#define LVM_TSS_OFF(id)		(LVM_SYS_TSS + 128u * (id))
#define LVM_TSS_IOPB(id)	(LVM_SYS_IOBITMAP - LVM_TSS_OFF(id))
#define LVM_TSS_LIMIT(id)	(LVM_TSS_IOPB(id) + LVM_IOBITMAP_SIZE - 1)
#define LVM_SEL_KCODE	0x08
#define LVM_SEL_KDATA	0x10
#define LVM_SEL_UDATA	0x1b
#define LVM_SEL_UCODE	0x23
#define LVM_SEL_TSS(id)	(0x28 + 16 * (id))

extern const uint8_t lvm_rt_code[], lvm_rt_dispatch[], lvm_rt_code_end[];

struct lvm_trap_table {
	struct lvm_trap *v;
	uint32_t n, cap;
};

struct lvm_cpuid_cache;

/* Run timeouts (lib/core/watchdog.c). */
struct lvm_watchdog {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool started, stop;
	_Atomic uint64_t next;	/* the deadline it sleeps until */
};

struct libvm_vm {
	int kvm_fd, vm_fd;
	uint32_t flags;
	int kick_signal;
	uint32_t max_vcpus, max_memslots, phys_bits;
	int run_size;
	uint64_t caps;		/* LIBVM_HOST_* */
	int subsys_up;		/* how many subsystems came up */

	pthread_rwlock_t mem_lock;
	struct lvm_region *regions;	/* sorted by gpa, grown on demand */
	uint32_t nregions, regions_cap;

	pthread_rwlock_t trap_lock;
	struct lvm_trap_table traps[3];	/* PIO, MMIO, hypercall */
	struct lvm_rt rt;

	pthread_mutex_t vcpu_lock;
	libvm_vcpu **vcpus;	/* indexed by id */
	uint32_t nvcpus_alloc;

	/* snapshots (lib/snapshot/) */
	bool manual_protect;	/* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 on */
	bool tracking;		/* dirty logging on for all regions */
	uint64_t base_snap;	/* id of the snapshot memory was last at */
	uint64_t hot_idle;	/* unchanged hot pages compared, see protect_hot */
	atomic_int needs_restore;
	struct lvm_devstate *devs;
	uint32_t ndevs;
	uint32_t *msr_list;	/* MSRs that read back, for snapshots */
	uint32_t nmsrs;
	bool msr_list_known;
	uint32_t ring_entries;	/* dirty ring size per vCPU, 0: none */
	struct lvm_watchdog wd;
};

struct lvm_devstate {
	char name[32];
	void *state;
	uint32_t len;
	libvm_restored_fn restored;
	void *opaque;
};

struct libvm_vcpu {
	libvm_vm *vm;
	uint32_t id;
	int fd;
	struct kvm_run *run;
	bool sync_regs;		/* KVM_CAP_SYNC_REGS in use */
	bool regs_cached;	/* run->s.regs.regs is current */
	bool sync_probed;
	uint32_t sync_fields;	/* KVM_CAP_SYNC_REGS, once probed */
	uint32_t xsave_size;

	/* cancel / timeout */
	pthread_mutex_t run_lock;
	bool running;
	pthread_t thread;
	atomic_int cancel;
	_Atomic uint64_t deadline;	/* of the run, CLOCK_MONOTONIC ns; 0: none */
	uint64_t kicked;	/* the deadline the watchdog kicked for */
	pthread_t mask_thread;	/* thread the KVM signal mask was set for */
	bool mask_known;
	bool mask_set;		/* a KVM_SET_SIGNAL_MASK mask is in force */

	bool io_pending;	/* last exit was I/O: KVM completes it next run */
	struct kvm_dirty_gfn *ring;	/* dirty ring (lib/snapshot/ring.c) */
	uint32_t ring_next;
	uint32_t ring_reset_at;	/* ring_next at the last reset */

	/*
	 * Snapshots: the id of the snapshot whose whole state the vCPU was
	 * last given or read (lib/snapshot/), and whether anything since may
	 * have changed state a restore to it can skip (MSRs, XCRs, debug
	 * and MP state): a host setter, or a run libvm cannot vouch for.
	 */
	uint64_t state_snap;
	bool state_dirty;

	/* long-mode runtime */
	bool rt_long;		/* set_long_mode was called */
	bool rt_at_dispatch;	/* parked at the return OUT: calls set regs only */
	uint64_t rt_stack;
	libvm_sregs rt_sregs;	/* the long-mode sregs to restore */
};

/* lib/core/memory.c */
int lvm_mem_init(libvm_vm *vm);
void lvm_mem_fini(libvm_vm *vm);
/* Bounds-checked guest-physical access; the one way lib/ reads guest RAM. */
void *lvm_gpa_ptr(libvm_vm *vm, uint64_t gpa, uint64_t len, bool write);

/* lib/core/trap.c */
int lvm_trap_init(libvm_vm *vm);
void lvm_trap_fini(libvm_vm *vm);
/* Returns 0 if no trap covers addr, 1 if handled, 2 to stop (*stop_code). */
int lvm_trap_dispatch(libvm_vcpu *vcpu, uint32_t space, uint64_t addr,
		      uint8_t *data, uint32_t size, uint32_t count,
		      uint32_t direction, int *stop_code);

/* Runtime ports: 1 handled (continue), 0 exit filled in. lib/core/call.c */
int lvm_rt_port(libvm_vcpu *vcpu, libvm_exit *ex, int *stop_code);
int lvm_hypercall_dispatch(libvm_vcpu *vcpu, uint64_t nr,
			   const uint64_t args[6], uint64_t *ret,
			   int *stop_code);
int lvm_trap_insert(libvm_vm *vm, uint32_t space, uint64_t base,
		    uint64_t len, const struct lvm_trap *tmpl);
int lvm_trap_remove(libvm_vm *vm, uint32_t space, uint64_t base);
/* Read a 64-bit value of guest RAM, bounds-checked; false if outside. */
bool lvm_read_u64(libvm_vm *vm, uint64_t gpa, uint64_t *val);

/* Complete a pending I/O with an immediate-exit KVM_RUN (lib/core/run.c). */
int lvm_vcpu_flush_io(libvm_vcpu *vcpu);
/*
 * State handed to KVM through the run area (KVM_CAP_SYNC_REGS) takes
 * effect on the next KVM_RUN; other vCPU ioctls first push it with the
 * ordinary ioctls (lib/core/vcpu.c).
 */
int lvm_vcpu_sync_flush(libvm_vcpu *vcpu);
/* Whether regs, sregs and events can all travel through the run area. */
bool lvm_vcpu_sync_all(libvm_vcpu *vcpu);
/* Set sregs through the run area when KVM allows it; no state_dirty. */
int lvm_vcpu_put_sregs(libvm_vcpu *vcpu, const libvm_sregs *s);
/* Keyed sum of the long-mode system area but the stacks (snapshot.c). */
uint64_t lvm_rt_sys_sum(const uint8_t *sys, uint64_t key);
uint64_t lvm_rt_sys_key(void);
/* Mark [gpa, gpa+len) written by the host; caller holds mem_lock. */
void lvm_mark_dirty(libvm_vm *vm, struct lvm_region *r, uint64_t gpa,
		    uint64_t len);
/* Start dirty logging on a region (lib/snapshot/); holds mem_lock (w). */
int lvm_region_track(libvm_vm *vm, struct lvm_region *r);
void lvm_region_untrack(struct lvm_region *r);
/* Dirty ring (lib/snapshot/ring.c). */
void lvm_ring_enable(libvm_vm *vm);
int lvm_ring_map(libvm_vcpu *vcpu);
void lvm_ring_unmap(libvm_vcpu *vcpu);
uint32_t lvm_ring_collect(libvm_vcpu *vcpu);
void lvm_ring_harvest(libvm_vm *vm);
int lvm_ring_reset(libvm_vm *vm);
bool lvm_ring_crowded(libvm_vm *vm);
int lvm_ring_full(libvm_vcpu *vcpu);

/* CLOCK_MONOTONIC in ns: run deadlines (run.c, watchdog.c). */
static inline uint64_t lvm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Make v's run return: immediate_exit for a thread about to enter KVM_RUN,
 * the kick signal for one in it.  Caller holds v->run_lock.
 */
void lvm_vcpu_kick_locked(libvm_vcpu *v);

int lvm_watchdog_init(libvm_vm *vm);
void lvm_watchdog_fini(libvm_vm *vm);
int lvm_watchdog_arm(libvm_vcpu *vcpu, uint64_t deadline);
void lvm_watchdog_disarm(libvm_vcpu *vcpu);
/* Region table insert (lib/core/memory.c). */
int lvm_add_region(libvm_vm *vm, uint64_t gpa, uint64_t size, void *host,
		   uint32_t flags, bool owned, bool host_writable,
		   bool sparse);

/* lib/core/host.c */
uint64_t lvm_probe_caps(int fd);
uint32_t lvm_host_phys_bits(void);
int lvm_supported_cpuid(const libvm_cpuid_entry **out, uint32_t *n,
			int kvm_fd);

/* lib/core/kick.c */
int lvm_kick_setup(int signo);
/* SIGUSR1, SIGUSR2 or SIGRTMIN..SIGRTMAX: the kick signals libvm takes. */
bool lvm_kick_signal_ok(int signo);

/* lib/x86/cpu.c */
int lvm_x86_vm_setup(libvm_vm *vm);
int lvm_x86_vcpu_setup(libvm_vcpu *vcpu);
/*
 * NULL if xcr0 is a value XSETBV takes on some x86 CPU (known user state
 * components, x87 set, their dependencies met); otherwise what is wrong.
 */
const char *lvm_x86_xcr0_check(uint64_t xcr0);
/* Bytes of XSAVE area (standard format) the components of xcr0 need. */
uint32_t lvm_x86_xsave_need(uint64_t xcr0);

#endif
