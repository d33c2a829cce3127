/* SPDX-License-Identifier: MIT */
/*
 * A Linux program's VM: made, run, forked and destroyed through the same
 * public calls a user has (memory, long mode with LIBVM_LONG_SYSCALL, the
 * system-call handler, device state for snapshots, forks).
 */
#define _GNU_SOURCE
#include "lp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LP_DEFAULT_MEM		(512ull << 20)
#define LP_MIN_MEM		(64ull << 20)
#define LP_MAX_MEM		(64ull << 30)
#define LP_DEFAULT_STACK	(8ull << 20)

LIBVM_API int libvm_linux_config_init(libvm_linux_config *cfg,
				      uint32_t version)
{
	static const libvm_linux_config def = LIBVM_LINUX_CONFIG_INIT;

	if (!cfg)
		return lvm_err(LIBVM_EINVAL, "libvm_linux_config_init: cfg is "
			       "NULL");
	if (version != 1)
		return lvm_err(LIBVM_EVERSION, "libvm_linux_config version %u: "
			       "this libvm knows 1", version);
	*cfg = def;
	return 0;
}

static int check_config(libvm_linux *lp, const libvm_linux_config *cfg)
{
	if (cfg->version != 1)
		return lvm_err(LIBVM_EVERSION, "libvm_linux_config.version %u: "
			       "this libvm knows 1", cfg->version);
	if (cfg->flags & ~(LIBVM_LINUX_ROOT_WRITABLE | LIBVM_LINUX_NO_OPENAT2))
		return lvm_err(LIBVM_EINVAL, "libvm_linux_config.flags %#x",
			       cfg->flags);
	lp->cfg = *cfg;
	lp->cfg.envp = NULL;
	lp->cfg.root = NULL;
	lp->mem_size = cfg->mem_size ? cfg->mem_size : LP_DEFAULT_MEM;
	lp->stack_size = cfg->stack_size ? cfg->stack_size : LP_DEFAULT_STACK;
	lp->mem_size = LP_PAGE_UP(lp->mem_size);
	lp->stack_size = LP_PAGE_UP(lp->stack_size);
	if (lp->mem_size < LP_MIN_MEM || lp->mem_size > LP_MAX_MEM ||
	    lp->stack_size > lp->mem_size / 4 || lp->stack_size < (1u << 20))
		return lvm_err(LIBVM_EINVAL, "libvm_linux_config: mem_size "
			       "%#llx (64 MiB .. 64 GiB) or stack_size %#llx "
			       "(1 MiB .. a quarter of it)",
			       (unsigned long long)lp->mem_size,
			       (unsigned long long)lp->stack_size);
	return 0;
}

static void restored(void *opaque)
{
	libvm_linux *lp = opaque;

	lp_fs_reopen(lp);
	lp->done = lp->st->exited;
	memset(&lp->last, 0, sizeof(lp->last));
	lp->last.reason = LIBVM_EXIT_GUEST_EXIT;
	lp->last.u.guest_exit.code = lp->st->status;
}

/* The VM, its vCPU, the long-mode runtime and the handlers. */
static int make_vm(libvm_linux *lp)
{
	libvm_long_mode lm = LIBVM_LONG_MODE_INIT;
	int r;

	r = libvm_vm_create(&lp->vm, NULL);
	if (r < 0)
		return r;
	r = libvm_mem_map_anon(lp->vm, 0, lp->mem_size, 0);
	if (r < 0)
		return r;
	lm.flags = LIBVM_LONG_SYSCALL;
	lm.sys_gpa = 0;		/* supervisor-only: NULL faults */
	r = libvm_long_mode_setup(lp->vm, &lm);
	if (r < 0)
		return r;
	r = libvm_vcpu_create(&lp->vcpu, lp->vm, 0);
	if (r < 0)
		return r;
	r = libvm_syscall_handler_set(lp->vm, lp_syscall, lp);
	if (r < 0)
		return r;
	return libvm_device_state_register(lp->vm, LP_DEVSTATE, lp->st,
					   lp->st_len, restored, lp);
}

/* Everything but the VM; the state blob sized for the configuration. */
static int alloc_lp(libvm_linux **out, const libvm_linux_config *cfg,
		    const char *root)
{
	libvm_linux *lp = calloc(1, sizeof(*lp));
	int r, i;

	if (!lp)
		return lvm_err(LIBVM_ENOMEM, "libvm_linux");
	lp->root_fd = -1;
	for (i = 0; i < LP_MAX_FILES; i++)
		lp->host[i] = -1;
	r = check_config(lp, cfg);
	if (r < 0)
		goto fail;
	if (root) {
		lp->root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (lp->root_fd < 0) {
			r = lvm_err_errno(LIBVM_EINVAL, errno, "libvm_linux: "
					  "root directory %s", root);
			goto fail;
		}
	}
	lp->st_len = lp_state_size(lp->mem_size, lp->stack_size);
	lp->st = calloc(1, lp->st_len);
	if (!lp->st) {
		r = lvm_err(LIBVM_ENOMEM, "libvm_linux: state");
		goto fail;
	}
	lp->st->magic = LP_STATE_MAGIC;
	lp->st->len = lp->st_len;
	*out = lp;
	return 0;
fail:
	libvm_linux_destroy(lp);
	return r;
}

LIBVM_API int libvm_linux_create(libvm_linux **out, const char *path,
				 int argc, const char *const *argv,
				 const libvm_linux_config *cfg)
{
	static const libvm_linux_config def = LIBVM_LINUX_CONFIG_INIT;
	libvm_linux *lp;
	int r;

	if (!out || !path || argc < 0 || (argc && !argv))
		return lvm_err(LIBVM_EINVAL, "libvm_linux_create: NULL "
			       "argument");
	if (!cfg)
		cfg = &def;
	r = alloc_lp(&lp, cfg, cfg->root);
	if (r < 0)
		return r;
	lp_fs_init(lp);
	r = make_vm(lp);
	if (r == 0)
		r = lp_load(lp, path, argc, argv, cfg->envp);
	if (r < 0) {
		libvm_linux_destroy(lp);
		return r;
	}
	*out = lp;
	return 0;
}

LIBVM_API void libvm_linux_destroy(libvm_linux *lp)
{
	int e = errno;

	if (!lp)
		return;
	if (lp->vm)
		libvm_vm_destroy(lp->vm);
	lp_fs_close_all(lp);
	if (lp->root_fd >= 0)
		close(lp->root_fd);
	free(lp->st);
	free(lp);
	errno = e;
}

LIBVM_API int libvm_linux_run(libvm_exit *exit, libvm_linux *lp,
			      uint64_t timeout_ns)
{
	libvm_exit ex;
	int r;

	if (!exit || !lp)
		return lvm_err(LIBVM_EINVAL, "libvm_linux_run: NULL argument");
	if (lp->done) {
		*exit = lp->last;
		return 0;
	}
	r = libvm_vcpu_run(&ex, lp->vcpu, timeout_ns);
	if (r < 0)
		return r;
	if (ex.reason == LIBVM_EXIT_STOPPED &&
	    ex.u.stop.space == LIBVM_TRAP_SYSCALL && lp->st->exited) {
		memset(&ex.u, 0, sizeof(ex.u));
		ex.reason = LIBVM_EXIT_GUEST_EXIT;
		ex.u.guest_exit.code = lp->st->status;
	}
	switch (ex.reason) {
	case LIBVM_EXIT_GUEST_EXIT:
	case LIBVM_EXIT_EXCEPTION:
	case LIBVM_EXIT_SHUTDOWN:
	case LIBVM_EXIT_FAIL_ENTRY:
	case LIBVM_EXIT_INTERNAL_ERROR:
		lp->done = true;
		lp->last = ex;
		break;
	}
	*exit = ex;
	return 0;
}

LIBVM_API libvm_vm *libvm_linux_vm(libvm_linux *lp)
{
	return lp ? lp->vm : NULL;
}

LIBVM_API libvm_vcpu *libvm_linux_vcpu(libvm_linux *lp)
{
	return lp ? lp->vcpu : NULL;
}

/*
 * The fork inherits parent's registrations: the handler and the device
 * state go to this program's own, then a restore to the snapshot fills
 * its state and reopens its files (restored()).
 */
LIBVM_API int libvm_linux_fork(libvm_linux **out, libvm_snapshot *snap,
			       const libvm_linux *parent)
{
	libvm_linux *lp;
	int r;

	if (!out || !snap || !parent)
		return lvm_err(LIBVM_EINVAL, "libvm_linux_fork: NULL argument");
	r = alloc_lp(&lp, &parent->cfg, NULL);
	if (r < 0)
		return r;
	if (parent->root_fd >= 0) {
		lp->root_fd = fcntl(parent->root_fd, F_DUPFD_CLOEXEC, 0);
		if (lp->root_fd < 0) {
			r = lvm_err_errno(LIBVM_EIO, errno, "libvm_linux_fork: "
					  "dup of the root directory");
			goto fail;
		}
	}
	r = libvm_vm_fork(&lp->vm, snap);
	if (r < 0)
		goto fail;
	lp->vcpu = libvm_vm_vcpu(lp->vm, 0);
	r = libvm_syscall_handler_set(lp->vm, lp_syscall, lp);
	if (r == 0)
		r = libvm_device_state_unregister(lp->vm, LP_DEVSTATE);
	if (r == 0)
		r = libvm_device_state_register(lp->vm, LP_DEVSTATE, lp->st,
						lp->st_len, restored, lp);
	if (r == 0)
		r = libvm_snapshot_restore(lp->vm, snap);
	if (r == 0 && (!lp->vcpu || lp->st->magic != LP_STATE_MAGIC ||
		       lp->st->len != lp->st_len))
		r = lvm_err(LIBVM_EINVAL, "libvm_linux_fork: the snapshot is "
			    "not of a program made like parent");
	if (r < 0)
		goto fail;
	*out = lp;
	return 0;
fail:
	libvm_linux_destroy(lp);
	return r;
}
