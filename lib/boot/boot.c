/* SPDX-License-Identifier: MIT */
/*
 * libvm_boot_*: gather the inputs (the kernel and module files, the VM's
 * RAM, the caller's config), let the kind's planner check and place
 * everything, and only then write guest RAM through libvm_mem_write.
 */
#include "plan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define X(v) ((unsigned long long)(v))

struct libvm_boot {
	libvm_vm *vm;
	uint32_t kind;
	struct lvm_boot_cpu cpu;
	libvm_boot_range *ranges;
	uint32_t nranges;
	libvm_mem_range *map;
	uint32_t nmap;
};

LIBVM_API int libvm_boot_config_init(libvm_boot_config *cfg, uint32_t version)
{
	if (!cfg)
		return lvm_err(LIBVM_EINVAL, "libvm_boot_config_init: cfg is "
			       "NULL");
	if (version < 1 || version > LIBVM_BOOT_CONFIG_VERSION)
		return lvm_err(LIBVM_EVERSION, "libvm_boot_config version %u: "
			       "this libvm knows 1 to %u", version,
			       LIBVM_BOOT_CONFIG_VERSION);
	memset(cfg, 0, sizeof(*cfg));
	cfg->version = version;
	return 0;
}

/*
 * A whole regular file into a malloc'd buffer.  O_NONBLOCK: opening a
 * FIFO must not hang; anything but a regular file is refused.
 */
static int read_whole(uint8_t **out, uint64_t *len, const char *path,
		      const char *what)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return lvm_err_errno(LIBVM_EIO, errno, "boot: open %s %s",
				     what, path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = lvm_err(LIBVM_EIO, "boot: %s %s is not a regular file",
			    what, path);
		goto out;
	}
	if ((uint64_t)st.st_size > LVM_BOOT_MAX_FILE) {
		r = lvm_err(LIBVM_ELIMIT, "boot: %s %s has %lld bytes, more "
			    "than the loader's limit of %llu", what, path,
			    (long long)st.st_size, X(LVM_BOOT_MAX_FILE));
		goto out;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	r = buf ? 0 : lvm_err(LIBVM_ENOMEM, "boot: %s %s", what, path);
	while (r == 0 && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			r = n ? lvm_err_errno(LIBVM_EIO, errno, "boot: read "
					      "%s %s", what, path)
			      : lvm_err(LIBVM_EIO, "boot: %s %s shrank while "
					"being read", what, path);
		else
			got += (size_t)n;
	}
	if (r < 0) {
		free(buf);
		goto out;
	}
	*out = buf;
	*len = got;
out:
	close(fd);
	return r;
}

LIBVM_API int libvm_kernel_probe(const void *buf, size_t len, uint32_t *kind)
{
	struct lvm_bytes b = { buf, len, "kernel" };
	const uint8_t *p = buf, *hdr = lvm_bytes_at(&b, 0x1fe, 8);
	uint64_t entry;
	uint32_t cls;

	if (!kind || (!buf && len))
		return lvm_err(LIBVM_EINVAL, "libvm_kernel_probe: NULL "
			       "argument");
	*kind = LIBVM_KERNEL_UNKNOWN;
	cls = lvm_elf_class(p, len);
	/* boot_flag 0xaa55 at 0x1fe, "HdrS" at 0x202 */
	if (hdr && hdr[0] == 0x55 && hdr[1] == 0xaa &&
	    !memcmp(hdr + 4, "HdrS", 4))
		*kind = LIBVM_KERNEL_BZIMAGE;
	else if (cls && lvm_elf_pvh_entry(p, len, &entry) != 0)
		*kind = LIBVM_KERNEL_PVH;	/* or broken notes: say so */
	else if (lvm_multiboot_find(p, len) >= 0)
		*kind = LIBVM_KERNEL_MULTIBOOT;
	else if (cls == 64)
		*kind = LIBVM_KERNEL_ELF;
	else
		return lvm_err(LIBVM_EIMAGE, "kernel: neither a bzImage, an "
			       "ELF with a PVH note, a multiboot kernel nor "
			       "an ELF64 image");
	return 0;
}

LIBVM_API int libvm_kernel_probe_file(const char *path, uint32_t *kind)
{
	uint8_t *buf;
	uint64_t len;
	int r;

	if (!path || !kind)
		return lvm_err(LIBVM_EINVAL, "libvm_kernel_probe_file: NULL "
			       "argument");
	*kind = LIBVM_KERNEL_UNKNOWN;
	r = read_whole(&buf, &len, path, "kernel");
	if (r < 0)
		return r;
	r = libvm_kernel_probe(buf, len, kind);
	free(buf);
	return r;
}

/* Everything the call needs, owned: files read, RAM copied. */
struct inputs {
	uint8_t *kernel;	/* read from kernel_path, or NULL */
	const uint8_t *kbuf;
	uint64_t klen;
	struct lvm_boot_mod mods[LVM_BOOT_MAX_MODULES];
	uint8_t *modbuf[LVM_BOOT_MAX_MODULES];
	struct lvm_ram_range *ram;
	uint32_t nram;
};

static void inputs_free(struct inputs *in)
{
	uint32_t i;

	free(in->kernel);
	for (i = 0; i < LVM_BOOT_MAX_MODULES; i++)
		free(in->modbuf[i]);
	free(in->ram);
}

static int check_config(const libvm_boot_config *c)
{
	uint32_t i;

	if (c->version < 1 || c->version > LIBVM_BOOT_CONFIG_VERSION)
		return lvm_err(LIBVM_EVERSION, "libvm_boot_config.version %u: "
			       "this libvm knows 1 to %u", c->version,
			       LIBVM_BOOT_CONFIG_VERSION);
	if (c->flags)
		return lvm_err(LIBVM_EINVAL, "libvm_boot_config.flags %#x: "
			       "none are defined", c->flags);
	if (c->kind > LIBVM_KERNEL_ELF)
		return lvm_err(LIBVM_EINVAL, "libvm_boot_config.kind %u",
			       c->kind);
	if (!c->kernel_path == !c->kernel_data)
		return lvm_err(LIBVM_EINVAL, "libvm_boot_config: give "
			       "kernel_path or kernel_data, not both");
	if (c->nmodules > LVM_BOOT_MAX_MODULES)
		return lvm_err(LIBVM_ELIMIT, "libvm_boot_config.nmodules %u: "
			       "at most %u", c->nmodules, LVM_BOOT_MAX_MODULES);
	if ((c->nmodules && !c->modules) || (c->nreserved && !c->reserved))
		return lvm_err(LIBVM_EINVAL, "libvm_boot_config: modules or "
			       "reserved is NULL");
	for (i = 0; i < c->nmodules; i++)
		if (c->modules[i].path ? c->modules[i].data != NULL
				       : !c->modules[i].data &&
					 c->modules[i].len)
			return lvm_err(LIBVM_EINVAL, "libvm_boot_config: "
				       "module %u: give path or data, not "
				       "both", i);
	return 0;
}

/* The VM's RAM: every region the host may write and the guest too. */
static int gather_ram(struct inputs *in, libvm_vm *vm)
{
	uint32_t i;

	pthread_rwlock_rdlock(&vm->mem_lock);
	in->ram = calloc(vm->nregions ? vm->nregions : 1, sizeof(*in->ram));
	for (i = 0; in->ram && i < vm->nregions; i++) {
		const struct lvm_region *r = &vm->regions[i];
		struct lvm_ram_range *last = in->nram ? &in->ram[in->nram - 1]
						      : NULL;

		if (!r->host_writable || (r->flags & LIBVM_MEM_READONLY))
			continue;
		if (last && last->gpa + last->size == r->gpa)
			last->size += r->size;
		else
			in->ram[in->nram++] = (struct lvm_ram_range){
				r->gpa, r->size };
	}
	pthread_rwlock_unlock(&vm->mem_lock);
	return in->ram ? 0 : lvm_err(LIBVM_ENOMEM, "boot: RAM table");
}

static int gather(struct inputs *in, libvm_vm *vm, const libvm_boot_config *c)
{
	uint32_t i;
	int r;

	if (c->kernel_path) {
		r = read_whole(&in->kernel, &in->klen, c->kernel_path,
			       "kernel");
		if (r < 0)
			return r;
		in->kbuf = in->kernel;
	} else {
		in->kbuf = c->kernel_data;
		in->klen = c->kernel_len;
	}
	for (i = 0; i < c->nmodules; i++) {
		const libvm_boot_module *m = &c->modules[i];
		struct lvm_boot_mod *d = &in->mods[i];

		d->string = m->string ? m->string : "";
		if (m->path) {
			r = read_whole(&in->modbuf[i], &d->len, m->path,
				       "module");
			if (r < 0)
				return r;
			d->data = in->modbuf[i];
		} else {
			d->data = m->data;
			d->len = m->len;
		}
	}
	return gather_ram(in, vm);
}

static int plan(struct lvm_boot_plan *p, uint32_t kind,
		const struct inputs *in, const libvm_boot_config *c)
{
	struct lvm_boot_in bi = {
		.ram = in->ram, .nram = in->nram,
		.resv = c->reserved, .nresv = c->nreserved,
		.cmdline = c->cmdline ? c->cmdline : "",
		.mods = in->mods, .nmods = c->nmodules,
		.acpi_rsdp = c->acpi_rsdp,
	};
	int r;

	lvm_plan_init(p, kind);
	switch (kind) {
	case LIBVM_KERNEL_BZIMAGE:
		r = lvm_bzimage_plan(p, in->kbuf, in->klen, &bi);
		break;
	case LIBVM_KERNEL_PVH:
		r = lvm_pvh_plan(p, in->kbuf, in->klen, &bi);
		break;
	case LIBVM_KERNEL_MULTIBOOT:
		r = lvm_multiboot_plan(p, in->kbuf, in->klen, &bi);
		break;
	default:
		r = lvm_elf64_plan(p, in->kbuf, in->klen, &bi);
		break;
	}
	if (r == 0)
		lvm_plan_finish(p);
	return r;
}

/* Carry the writes out; zeros come from one buffer, a chunk at a time. */
static int execute(const struct lvm_boot_plan *p, libvm_vm *vm)
{
	static const uint64_t chunk = 1ull << 16;
	uint8_t *zeros = NULL;
	uint32_t i;
	int r = 0;

	for (i = 0; r == 0 && i < p->nw; i++) {
		const struct lvm_boot_write *w = &p->w[i];
		uint64_t off;

		if (w->src) {
			r = libvm_mem_write(vm, w->gpa, w->src, w->len);
			continue;
		}
		if (!zeros && !(zeros = calloc(1, chunk)))
			r = lvm_err(LIBVM_ENOMEM, "boot: zero buffer");
		for (off = 0; r == 0 && off < w->len; off += chunk)
			r = libvm_mem_write(vm, w->gpa + off, zeros,
					    w->len - off < chunk ? w->len - off
								 : chunk);
	}
	free(zeros);
	if (r == 0 && p->cpu.mode == LVM_ENTRY_RUNTIME) {
		libvm_long_mode lm = LIBVM_LONG_MODE_INIT;

		lm.sys_gpa = p->cpu.sys_gpa;
		r = libvm_long_mode_setup(vm, &lm);
	}
	return r;
}

LIBVM_API int libvm_boot_load(libvm_boot **out, libvm_vm *vm,
			      const libvm_boot_config *cfg)
{
	struct inputs in = { 0 };
	struct lvm_boot_plan p = { 0 };
	libvm_boot *b = NULL;
	uint32_t kind;
	int r;

	if (!out || !vm || !cfg)
		return lvm_err(LIBVM_EINVAL, "libvm_boot_load: NULL argument");
	*out = NULL;
	r = check_config(cfg);
	if (r == 0)
		r = gather(&in, vm, cfg);
	kind = cfg->kind;
	if (r == 0 && kind == LIBVM_KERNEL_UNKNOWN)
		r = libvm_kernel_probe(in.kbuf, in.klen, &kind);
	if (r == 0)
		r = plan(&p, kind, &in, cfg);
	if (r == 0 && !(b = calloc(1, sizeof(*b))))
		r = lvm_err(LIBVM_ENOMEM, "libvm_boot_load");
	if (r == 0)
		r = execute(&p, vm);
	if (r == 0) {
		*b = (libvm_boot){
			.vm = vm, .kind = kind, .cpu = p.cpu,
			.ranges = p.ranges, .nranges = p.nranges,
			.map = p.map, .nmap = p.nmap,
		};
		p.ranges = NULL;
		p.map = NULL;
		*out = b;
		b = NULL;
	}
	free(b);
	lvm_plan_free(&p);
	inputs_free(&in);
	return r;
}

LIBVM_API void libvm_boot_destroy(libvm_boot *b)
{
	if (!b)
		return;
	free(b->ranges);
	free(b->map);
	free(b);
}

LIBVM_API uint32_t libvm_boot_kind(const libvm_boot *b)
{
	return b ? b->kind : LIBVM_KERNEL_UNKNOWN;
}

LIBVM_API uint64_t libvm_boot_entry(const libvm_boot *b)
{
	return b ? b->cpu.rip : 0;
}

/* Copy n elements of size sz to out, capacity *count (in/out). */
static int copy_out(void *out, uint32_t *count, const void *src, uint32_t n,
		    size_t sz, const char *fn)
{
	if (!count || (!out && *count))
		return lvm_err(LIBVM_EINVAL, "%s: NULL argument", fn);
	if (*count < n) {
		uint32_t room = *count;

		*count = n;
		return lvm_err(LIBVM_ELIMIT, "%s: room for %u entries, %u "
			       "needed", fn, room, n);
	}
	if (n)
		memcpy(out, src, n * sz);
	*count = n;
	return 0;
}

LIBVM_API int libvm_boot_ranges(const libvm_boot *b, libvm_boot_range *out,
				uint32_t *count)
{
	if (!b)
		return lvm_err(LIBVM_EINVAL, "libvm_boot_ranges: b is NULL");
	return copy_out(out, count, b->ranges, b->nranges, sizeof(*out),
			"libvm_boot_ranges");
}

LIBVM_API int libvm_boot_memmap(const libvm_boot *b, libvm_mem_range *out,
				uint32_t *count)
{
	if (!b)
		return lvm_err(LIBVM_EINVAL, "libvm_boot_memmap: b is NULL");
	return copy_out(out, count, b->map, b->nmap, sizeof(*out),
			"libvm_boot_memmap");
}

LIBVM_API int libvm_boot_enter(libvm_boot *b, libvm_vcpu *bsp)
{
	if (!b || !bsp)
		return lvm_err(LIBVM_EINVAL, "libvm_boot_enter: NULL argument");
	if (libvm_vcpu_vm(bsp) != b->vm)
		return lvm_err(LIBVM_EINVAL, "libvm_boot_enter: the vCPU "
			       "belongs to another VM");
	return lvm_boot_cpu_enter(&b->cpu, bsp);
}
