/* SPDX-License-Identifier: MIT */
#include "helpers.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

libvm_vm *g_vm;
libvm_vcpu *g_vcpu;

void h_created(int r, const char *what)
{
	if (r == LIBVM_ENOKVM)
		cr_skip_test("KVM not available: %s", libvm_last_error());
	cr_assert_eq(r, 0, "%s -> %d (%s): %s", what, r, libvm_strerror(r),
		     libvm_last_error());
}

/*
 * LeakSanitizer (make asan) checks each process as it exits.  The tests
 * run in Criterion's workers, which it starts as "boxfort-worker"; the
 * runner that starts them runs no test code, and libcriterion 2.4 leaks
 * some bookkeeping of its own there (192 bytes, no symbols to suppress it
 * by).  So only the workers are checked.
 */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	char name[32] = "";
	FILE *f = fopen("/proc/self/cmdline", "re");

	if (f) {
		if (!fgets(name, sizeof(name), f))
			name[0] = 0;
		fclose(f);
	}
	return strcmp(name, "boxfort-worker") != 0;
}

libvm_vm *h_vm_create(const libvm_vm_config *cfg)
{
	libvm_vm *vm = NULL;

	h_created(libvm_vm_create(&vm, cfg), "libvm_vm_create");
	cr_assert_not_null(vm);
	return vm;
}

/*
 * The .fini of a test's or suite's extra data.  In a worker, Criterion's
 * copy of that data may sit at any address: read the pointer bytewise.
 */
static void (*fini_of(const struct criterion_test_extra_data *d))(void)
{
	void (*fn)(void) = NULL;

	if (d)
		memcpy(&fn, (const char *)d +
		       offsetof(struct criterion_test_extra_data, fini),
		       sizeof(fn));
	return fn;
}

void h_skip_cleanup(void)
{
	void (*fn)(void);

	fn = criterion_current_test ? fini_of(criterion_current_test->data)
				    : NULL;
	if (fn)
		fn();
	fn = criterion_current_suite ? fini_of(criterion_current_suite->data)
				     : NULL;
	if (fn)
		fn();
}

int h_on_pvm(void)
{
	libvm_host_info h = LIBVM_HOST_INFO_INIT;

	return libvm_host_query(&h, NULL) == 0 &&
	       h.supervisor == LIBVM_SUPERVISOR_EMULATED;
}

/* A suite's .init: skip when libvm cannot use KVM on this host. */
void h_need_kvm(void)
{
	libvm_host_info h = LIBVM_HOST_INFO_INIT;

	if (libvm_host_query(&h, NULL) == LIBVM_ENOKVM)
		cr_skip_test("KVM not available: %s", libvm_last_error());
}

/* A skip from a test's body: the fixture goes first (h_skip). */
void h_skip_on_pvm(const char *reason)
{
	if (h_on_pvm())
		h_skip("%s", reason);
}

void h_map_ram(libvm_vm *vm, uint64_t gpa, uint64_t size)
{
	OK(libvm_mem_map_anon(vm, gpa, size, 0));
}

void h_load_at(libvm_vm *vm, uint64_t gpa, const unsigned char *start,
	       const unsigned char *end)
{
	cr_assert_gt(end, start, "empty guest program");
	OK(libvm_mem_write(vm, gpa, start, (uint64_t)(end - start)));
}

void h_real_mode(libvm_vcpu *vcpu, uint64_t rip)
{
	libvm_sregs s;
	libvm_regs r;

	OK(libvm_vcpu_get_sregs(&s, vcpu));
	s.cs.base = 0;		/* reset state has CS base 0xffff0000 */
	s.cs.selector = 0;
	OK(libvm_vcpu_set_sregs(vcpu, &s));
	memset(&r, 0, sizeof(r));
	r.rip = rip;
	r.rsp = GUEST_STACK;
	r.rflags = 0x2;
	OK(libvm_vcpu_set_regs(vcpu, &r));
}

libvm_vcpu *h_vcpu(libvm_vm *vm, uint32_t id)
{
	libvm_vcpu *v = NULL;

	OK(libvm_vcpu_create(&v, vm, id));
	cr_assert_not_null(v);
	h_real_mode(v, GUEST_LOAD);
	return v;
}

void h_get_regs(libvm_regs *out, libvm_vcpu *vcpu)
{
	OK(libvm_vcpu_get_regs(out, vcpu));
}

void h_set_regs(libvm_vcpu *vcpu, const libvm_regs *regs)
{
	OK(libvm_vcpu_set_regs(vcpu, regs));
}

void h_run(libvm_exit *ex, libvm_vcpu *vcpu)
{
	memset(ex, 0xa5, sizeof(*ex));
	OK(libvm_vcpu_run(ex, vcpu, RUN_TIMEOUT_NS));
}

void h_run_expect(libvm_exit *ex, libvm_vcpu *vcpu, uint32_t reason)
{
	h_run(ex, vcpu);
	cr_assert_eq(ex->reason, reason,
		     "exit %s (kvm %u), want %s", libvm_exit_reason_name(ex->reason),
		     ex->kvm_reason, libvm_exit_reason_name(reason));
}

void h_run_expect_io(libvm_exit *ex, libvm_vcpu *vcpu, uint16_t port,
		     uint8_t size, uint8_t direction)
{
	h_run_expect(ex, vcpu, LIBVM_EXIT_IO);
	cr_assert_eq(ex->u.io.port, port, "port %#x, want %#x",
		     ex->u.io.port, port);
	cr_assert_eq(ex->u.io.size, size, "size %u, want %u",
		     ex->u.io.size, size);
	cr_assert_eq(ex->u.io.direction, direction);
	cr_assert_eq(ex->u.io.count, 1);
	cr_assert_not_null(ex->u.io.data);
}

uint64_t h_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = (v << 8) | p[n];
	return v;
}

void h_put_le(uint8_t *p, uint64_t v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

int h_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d, "opendir /proc/self/fd");
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

int h_count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	int c, n = 0;

	cr_assert_not_null(f, "fopen /proc/self/maps");
	while ((c = getc(f)) != EOF)
		if (c == '\n')
			n++;
	fclose(f);
	return n;
}

/* The number after "name" in a /proc file of "name value" lines; -1. */
static long long proc_field(const char *path, const char *name)
{
	FILE *f = fopen(path, "re");
	size_t n = strlen(name);
	char line[256];
	long long v = -1;

	cr_assert_not_null(f, "fopen %s", path);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n)) {
			v = strtoll(line + n, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

long h_rss_kb(void)
{
	return (long)proc_field("/proc/self/status", "VmRSS:");
}

uint64_t h_io_rchar(void)
{
	return (uint64_t)proc_field("/proc/self/io", "rchar:");
}

uint8_t *h_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long size;

	cr_assert_not_null(f, "%s: not built?", path);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	buf = malloc((size_t)size + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	*len = (size_t)size;
	return buf;
}

uint64_t h_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int h_kvm_openable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), ok;

	if (fd < 0)
		return 0;
	/* What libvm calls usable: it answers like KVM (not /dev/null). */
	ok = ioctl(fd, KVM_GET_API_VERSION, 0) == KVM_API_VERSION;
	close(fd);
	return ok;
}

void h_fixture_vm_only(void)
{
	g_vcpu = NULL;
	g_vm = h_vm_create(NULL);
}

void h_fixture_setup(void)
{
	h_fixture_vm_only();
	h_map_ram(g_vm, 0, FIXTURE_RAM);
	g_vcpu = h_vcpu(g_vm, 0);
}

void h_fixture_teardown(void)
{
	libvm_vm_destroy(g_vm);	/* takes its vCPUs with it */
	g_vm = NULL;
	g_vcpu = NULL;
}
