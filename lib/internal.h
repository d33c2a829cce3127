/* SPDX-License-Identifier: MIT */
/* libvm internals shared by lib/. Never installed. */
#ifndef LIBVM_INTERNAL_H
#define LIBVM_INTERNAL_H

#define LIBVM_BUILDING 1
#include <libvm/libvm.h>
#include <libvm/snapshot.h>

#include <linux/ioctl.h>
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
/*
 * The checked form for an ioctl whose argument points at its struct: the
 * struct's size must be the ioctl's (the selftests' kvm_static_assert).
 */
#define KVM_IOCTL(fd, req, ptr)						\
	({								\
		_Static_assert(sizeof(*(ptr)) == _IOC_SIZE(req),	\
			       #req ": argument of the wrong size");	\
		lvm_ioctl_checked((fd), (req), (unsigned long)(ptr), #req); \
	})
/* The same where the argument is a T with trailing data (kvm_msrs ...). */
#define KVM_IOCTL_AS(fd, req, ptr, T)					\
	({								\
		_Static_assert(sizeof(T) == _IOC_SIZE(req),		\
			       #req ": argument of the wrong size");	\
		lvm_ioctl_checked((fd), (req), (unsigned long)(ptr), #req); \
	})
/* An ioctl that takes a value (or nothing) instead of a pointer. */
#define KVM_IOCTL_VAL(fd, req, val)					\
	({								\
		_Static_assert(_IOC_SIZE(req) == 0, #req " takes a pointer"); \
		lvm_ioctl_checked((fd), (req), (unsigned long)(val), #req); \
	})

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

/* A port or MMIO access the run loop dispatches (lib/core/trap.c). */
struct lvm_access {
	uint32_t space;		/* LIBVM_TRAP_PIO / _MMIO */
	uint32_t direction;	/* LIBVM_READ / _WRITE */
	uint64_t addr;
	uint8_t *data;		/* count elements of size bytes */
	uint32_t size, count;
};

/* What dispatching an access or a hypercall came to. */
enum lvm_dispatch {
	LVM_DISPATCH_NONE,	/* no trap covers it: the caller's exit */
	LVM_DISPATCH_CONTINUE,	/* handled: the run goes on */
	LVM_DISPATCH_EXIT,	/* the run ends; the exit is filled in */
};

/*
 * A trap of one of libvm's own layers (the long-mode runtime's ports): it
 * describes the exit itself when the run ends.
 */
typedef enum lvm_dispatch (*lvm_access_fn)(libvm_vcpu *vcpu,
					   const struct lvm_access *a,
					   libvm_exit *ex, void *opaque);

struct lvm_trap {
	uint64_t base, end;	/* [base, end) */
	libvm_trap_fn fn;	/* a program's PIO and MMIO handler */
	libvm_hypercall_fn hfn;	/* hypercalls (space 2, [nr, nr+1)) */
	lvm_access_fn afn;	/* a layer's own handler (owner set) */
	const char *owner;	/* NULL: the program's; else which layer */
	void *opaque;
	/*
	 * A device object of this VM (lib/virtio/) handles it: snapshots
	 * and forks do not copy it, since the object lives with this VM.
	 */
	bool vm_bound;
};

/*
 * Hooks a higher layer installs in a VM (snapshots: dirty tracking and
 * what a run may have changed), so the lower one never names it.
 */
struct lvm_vm_hooks {
	/* A region was mapped (mem_lock held for writing); < 0 undoes it. */
	int (*region_added)(libvm_vm *vm, struct lvm_region *r);
	/* A region goes (unmapped, or the VM is destroyed). */
	void (*region_gone)(libvm_vm *vm, struct lvm_region *r);
	/* A run of vcpu ended with reason (or failed: r < 0). */
	void (*run_ended)(libvm_vcpu *vcpu, uint32_t reason, int r);
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
	libvm_hypercall_fn syscall_fn;	/* LIBVM_LONG_SYSCALL's handler */
	void *syscall_opaque;
};

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

/*
 * Teardown hooks: what a layer above the core (lib/virtio/) created for a
 * VM and libvm_vm_destroy must take down first (lib/core/vm.c).
 */
struct lvm_teardown {
	void (*fn)(void *opaque);
	void *opaque;
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
	const struct lvm_vm_hooks *hooks;	/* NULL: none installed */
	struct lvm_rt rt;		/* the long-mode runtime (lib/runtime) */

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

	pthread_mutex_t teardown_lock;
	struct lvm_teardown *teardown;
	uint32_t nteardown;
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
	/*
	 * Where the SYSCALL entry runs on this host (LIBVM_LONG_SYSCALL):
	 * 0 not known yet, 1 at CPL3 (PVM: the host returns for it), 2 at
	 * CPL0 (its SYSRETQ returns).
	 */
	uint8_t rt_sys_where;
};

/* lib/core/versioned.c: versioned structs (first field: uint32_t version). */
struct lvm_versioned {
	const char *name;	/* "libvm_vm_config" */
	uint32_t current;	/* the newest version this libvm knows */
	const size_t *sizes;	/* sizes[v - 1]: bytes of version v */
	const void *defaults;	/* the current version's defaults */
};
/*
 * The description var of versioned struct T, whose defaults are the
 * initializer that follows (its _INIT macro); sizes grow a row a version.
 */
#define LVM_VERSIONED(var, T, current, ...)				\
	static const T var##_defaults = __VA_ARGS__;			\
	static const size_t var##_sizes[] = { sizeof(T) };		\
	static const struct lvm_versioned var = {			\
		#T, current, var##_sizes, &var##_defaults,		\
	}
/* *dst = defaults, then src's fields as far as its version has them. */
int lvm_versioned_in(const struct lvm_versioned *t, void *dst,
		     const void *src);
/* dst = defaults of version, only that version's bytes written. */
int lvm_versioned_init(const struct lvm_versioned *t, void *dst,
		       uint32_t version);
/* Copy src (current version) into dst up to dst's version's size. */
int lvm_versioned_out(const struct lvm_versioned *t, void *dst,
		      const void *src);

/* lib/core/vm.c, lib/core/vcpu.c: the architecture-neutral part of
 * libvm_vm_create and libvm_vcpu_create (lib/x86/cpu.c). */
int lvm_vm_new(libvm_vm **out, const libvm_vm_config *cfg);
int lvm_vcpu_new(libvm_vcpu **out, libvm_vm *vm, uint32_t id);

/* lib/core/memory.c */
int lvm_mem_init(libvm_vm *vm);
void lvm_mem_fini(libvm_vm *vm);
/* Bounds-checked guest-physical access; the one way lib/ reads guest RAM. */
void *lvm_gpa_ptr(libvm_vm *vm, uint64_t gpa, uint64_t len, bool write);
/* Read a 64-bit value of guest RAM, bounds-checked; false if outside. */
bool lvm_read_u64(libvm_vm *vm, uint64_t gpa, uint64_t *val);
/* Mark [gpa, gpa+len) written by the host; caller holds mem_lock. */
void lvm_mark_dirty(struct lvm_region *r, uint64_t gpa, uint64_t len);
/* Region table insert. */
/* lvm_add_region's how: who owns the mapping, what the host may do. */
#define LVM_REGION_OWNED	(1u << 0) /* libvm munmaps it */
#define LVM_REGION_HOST_WRITE	(1u << 1) /* the host may write it */
#define LVM_REGION_SPARSE	(1u << 2) /* pages not resident are zero */
int lvm_add_region(libvm_vm *vm, uint64_t gpa, uint64_t size, void *host,
		   uint32_t flags, uint32_t how);
/*
 * The same for a device's buffers: the host address of gpa with *len cut
 * to what its region holds from there; takes mem_lock itself.
 */
void *lvm_gpa_span(libvm_vm *vm, uint64_t gpa, uint64_t *len, bool write);

/* lib/core/trap.c */
int lvm_trap_init(libvm_vm *vm);
void lvm_trap_fini(libvm_vm *vm);
enum lvm_dispatch lvm_trap_dispatch(libvm_vcpu *vcpu,
				    const struct lvm_access *a,
				    libvm_exit *ex);
enum lvm_dispatch lvm_hypercall_dispatch(libvm_vcpu *vcpu, uint64_t nr,
					 const uint64_t args[6], uint64_t *ret,
					 libvm_exit *ex);
/* Fill ex for a run a handler stopped. */
/*
 * A LIBVM_EXIT_STOPPED record; value is the first argument of a hypercall
 * or system call (0 for ports and MMIO).
 */
void lvm_exit_stop(libvm_exit *ex, uint32_t space, uint64_t addr, int code,
		   uint64_t value);
int lvm_trap_insert(libvm_vm *vm, uint32_t space, uint64_t base,
		    uint64_t len, const struct lvm_trap *tmpl);
/* Only the owner (NULL: the program) removes a range. */
int lvm_trap_remove(libvm_vm *vm, uint32_t space, uint64_t base,
		    const char *owner);
/* Whether addr lies in a range of owner's. */
bool lvm_trap_owned(libvm_vm *vm, uint32_t space, uint64_t addr,
		    const char *owner);

/* lib/core/run.c */
/* Complete a pending I/O with an immediate-exit KVM_RUN. */
int lvm_vcpu_flush_io(libvm_vcpu *vcpu);
/*
 * Make v's run return: immediate_exit for a thread about to enter KVM_RUN,
 * the kick signal for one in it.  Caller holds v->run_lock.
 */
void lvm_vcpu_kick_locked(libvm_vcpu *v);

/* CLOCK_MONOTONIC in ns: run deadlines (run.c, watchdog.c). */
static inline uint64_t lvm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* lib/core/watchdog.c: run timeouts. */
int lvm_watchdog_init(libvm_vm *vm);
void lvm_watchdog_fini(libvm_vm *vm);
int lvm_watchdog_arm(libvm_vcpu *vcpu, uint64_t deadline);
void lvm_watchdog_disarm(libvm_vcpu *vcpu);

/* lib/core/dirty_ring.c: KVM's dirty ring. */
void lvm_ring_enable(libvm_vm *vm);
int lvm_ring_map(libvm_vcpu *vcpu);
void lvm_ring_unmap(libvm_vcpu *vcpu);
uint32_t lvm_ring_collect(libvm_vcpu *vcpu);
void lvm_ring_harvest(libvm_vm *vm);
int lvm_ring_reset(libvm_vm *vm);
bool lvm_ring_crowded(libvm_vm *vm);
int lvm_ring_full(libvm_vcpu *vcpu);

/*
 * Run fn(opaque) when vm is destroyed, before anything of the VM goes,
 * the hook added last first (lib/core/vm.c).  Removing a hook that is not
 * there (it is running) does nothing.
 */
int lvm_vm_teardown_add(libvm_vm *vm, void (*fn)(void *opaque),
			void *opaque);
void lvm_vm_teardown_remove(libvm_vm *vm, void (*fn)(void *opaque),
			    void *opaque);

/* lib/core/host.c */
uint64_t lvm_probe_caps(int fd);
uint32_t lvm_host_phys_bits(void);

/* lib/core/kick.c */
int lvm_kick_setup(int signo);
/* SIGUSR1, SIGUSR2 or SIGRTMIN..SIGRTMAX: the kick signals libvm takes. */
bool lvm_kick_signal_ok(int signo);

#endif
