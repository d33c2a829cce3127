/* SPDX-License-Identifier: MIT */
/*
 * The machine (lib/machine/): kernels told apart by their contents, how a
 * run ends (guest exit, timeout, cancel, libvm errors), vCPUs on threads
 * of their own, several machines at once, and nothing leaked.
 */
#include "mhelpers.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

TestSuite(machine, .timeout = VCPU_TIMEOUT);

/* A bare ELF64 guest: libvm's long-mode runtime, console hypercalls. */
Test(machine, elf64_guest)
{
	struct m_console con;
	libvm_machine_config cfg;
	libvm_machine_result res;

	m_console_init(&con);
	m_config(&cfg, "machine_hello.elf", &con);
	cfg.ncpus = 2;
	m_run(&res, &cfg);
	m_expect(&res, LIBVM_MACHINE_GUEST_EXIT, 5);
	cr_assert_str_eq(m_console_text(&con), "hello from ELF64\n");
	m_console_fini(&con);
}

/* Console output to an fd as well as the function. */
Test(machine, console_fd)
{
	libvm_machine_config cfg;
	libvm_machine_result res;
	char buf[64] = { 0 };
	int fds[2];

	cr_assert_eq(pipe(fds), 0);
	m_config(&cfg, "uart_out.plat.elf", NULL);
	cfg.console_out_fd = fds[1];
	m_run(&res, &cfg);
	m_expect(&res, LIBVM_MACHINE_DEBUG_EXIT, (0x21 << 1) | 1);
	cr_assert_eq(read(fds[0], buf, sizeof(buf) - 1), 16);
	cr_assert_str_eq(buf, "hello from COM1\n");
	close(fds[0]);
	close(fds[1]);
}

/* The kernel from a buffer instead of a file. */
Test(machine, kernel_in_memory)
{
	libvm_machine_config cfg;
	libvm_machine_result res;
	static char image[1 << 20];
	ssize_t n;
	int fd;

	fd = open(m_guest("uart_out.plat.elf"), O_RDONLY);
	cr_assert_geq(fd, 0);
	n = read(fd, image, sizeof(image));
	close(fd);
	cr_assert_gt(n, 0);
	m_config(&cfg, "unused", NULL);
	cfg.kernel_path = NULL;
	cfg.kernel_data = image;
	cfg.kernel_len = (uint64_t)n;
	m_run(&res, &cfg);
	m_expect(&res, LIBVM_MACHINE_DEBUG_EXIT, (0x21 << 1) | 1);
}

/* The echo guest waits for input that never comes. */
Test(machine, timeout)
{
	libvm_machine_config cfg;
	libvm_machine_result res;

	m_config(&cfg, "uart_echo.plat.elf", NULL);
	cfg.timeout_ns = 300 * 1000000ull;
	m_run(&res, &cfg);
	m_expect(&res, LIBVM_MACHINE_TIMEOUT, 0);
	cr_assert_geq(res.run_ns, cfg.timeout_ns);
}

struct canceller {
	libvm_machine *m;
	uint64_t delay_ns;
};

static void *cancel_later(void *arg)
{
	struct canceller *c = arg;

	usleep((useconds_t)(c->delay_ns / 1000));
	libvm_machine_cancel(c->m);
	return NULL;
}

/* Cancel from another thread, with a second vCPU waiting for SIPI. */
Test(machine, cancel_from_another_thread)
{
	libvm_machine_config cfg;
	libvm_machine_result res, again;
	struct canceller c;
	pthread_t t;

	m_config(&cfg, "uart_echo.plat.elf", NULL);
	cfg.ncpus = 2;
	c.m = m_create(&cfg);
	c.delay_ns = 200 * 1000000ull;
	OK(libvm_machine_start(c.m));
	cr_assert_eq(pthread_create(&t, NULL, cancel_later, &c), 0);
	OK(libvm_machine_wait(c.m, &res));
	pthread_join(t, NULL);
	m_expect(&res, LIBVM_MACHINE_CANCELLED, 0);
	OK(libvm_machine_wait(c.m, &again));	/* the same answer again */
	cr_assert_eq(again.end, res.end);
	OK(libvm_machine_cancel(c.m));		/* too late: no change */
	OK(libvm_machine_wait(c.m, &again));
	cr_assert_eq(again.end, LIBVM_MACHINE_CANCELLED);
	libvm_machine_destroy(c.m);
}

/* Destroying a running machine stops it. */
Test(machine, destroy_while_running)
{
	libvm_machine_config cfg;
	libvm_machine *m;
	int fd0 = h_count_fds();

	m_config(&cfg, "uart_echo.plat.elf", NULL);
	cfg.ncpus = 3;
	m = m_create(&cfg);
	OK(libvm_machine_start(m));
	usleep(50000);
	libvm_machine_destroy(m);
	cr_assert_eq(h_count_fds(), fd0, "fds leaked");
}

struct par {
	libvm_machine_config cfg;
	struct m_console con;
	libvm_machine_result res;
	libvm_machine *m;
	const char *input;
};

static void *par_run(void *arg)
{
	struct par *p = arg;

	if (libvm_machine_start(p->m) == 0) {
		if (m_console_wait(&p->con, "echo>", M_TIMEOUT_NS))
			libvm_platform_uart_input(libvm_machine_platform(p->m),
						  p->input, strlen(p->input));
		libvm_machine_wait(p->m, &p->res);
	}
	return NULL;
}

/* Four machines at once, each with its own console and input. */
Test(machine, side_by_side)
{
	static const char *const inputs[] = { "one\n", "two two\n",
					      "three 3 3\n", "four 4 4 4\n" };
	struct par p[4];
	pthread_t t[4];
	char want[64];
	int i;

	for (i = 0; i < 4; i++) {
		m_console_init(&p[i].con);
		m_config(&p[i].cfg, "uart_echo.plat.elf", &p[i].con);
		p[i].cfg.ncpus = 1 + i % 2;
		p[i].input = inputs[i];
		p[i].m = m_create(&p[i].cfg);
	}
	for (i = 0; i < 4; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, par_run, &p[i]), 0);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 4; i++) {
		size_t n = strlen(inputs[i]) - 1, j;

		m_expect(&p[i].res, LIBVM_MACHINE_DEBUG_EXIT,
			 (int32_t)((n << 1) | 1));
		snprintf(want, sizeof(want), "echo>%s", inputs[i]);
		for (j = 5; want[j]; j++)
			if (want[j] >= 'a' && want[j] <= 'z')
				want[j] -= 32;
		cr_assert_str_eq(m_console_text(&p[i].con), want);
		libvm_machine_destroy(p[i].m);
		m_console_fini(&p[i].con);
	}
}

Test(machine, bad_configs)
{
	libvm_machine_config cfg;
	libvm_machine *m = NULL;
	int fd0 = h_count_fds();

	FAILS(libvm_machine_create(&m, NULL), LIBVM_EINVAL);
	m_config(&cfg, "uart_out.plat.elf", NULL);
	cfg.version = 0;
	FAILS(libvm_machine_create(&m, &cfg), LIBVM_EVERSION);
	FAILS(libvm_machine_config_init(&cfg, 2), LIBVM_EVERSION);
	m_config(&cfg, "uart_out.plat.elf", NULL);
	cfg.ncpus = 0;
	FAILS(libvm_machine_create(&m, &cfg), LIBVM_EINVAL);
	cfg.ncpus = LIBVM_PLAT_MAX_CPUS + 1;
	FAILS(libvm_machine_create(&m, &cfg), LIBVM_EINVAL);
	cfg.ncpus = 1;
	cfg.mem_size = (64ull << 20) + 4096;
	FAILS(libvm_machine_create(&m, &cfg), LIBVM_EINVAL);
	cfg.mem_size = 8ull << 20;
	FAILS(libvm_machine_create(&m, &cfg), LIBVM_EINVAL);
	cfg.mem_size = 64ull << 20;
	cfg.kernel_path = NULL;
	FAILS(libvm_machine_create(&m, &cfg), LIBVM_EINVAL);
	cr_assert_null(m);
	cr_assert_eq(h_count_fds(), fd0, "fds leaked");
	cr_assert_str_eq(libvm_machine_end_name(LIBVM_MACHINE_POWEROFF),
			 "poweroff");
	cr_assert_str_eq(libvm_machine_end_name(1000), "unknown");
}

/* Not a kernel: start fails with EIMAGE, wait reports it, nothing leaks. */
Test(machine, not_a_kernel)
{
	libvm_machine_config cfg;
	libvm_machine_result res;
	libvm_machine *m;
	int fd0 = h_count_fds();

	m_config(&cfg, "unused", NULL);
	cfg.kernel_path = "/etc/hostname";
	m = m_create(&cfg);
	FAILS(libvm_machine_start(m), LIBVM_EIMAGE);
	FAILS(libvm_machine_start(m), LIBVM_ESTATE);
	FAILS(libvm_machine_wait(m, &res), LIBVM_EIMAGE);
	cr_assert_eq(res.end, LIBVM_MACHINE_ERROR);
	libvm_machine_destroy(m);
	cfg.kernel_path = "/nonexistent/kernel";
	m = m_create(&cfg);
	FAILS(libvm_machine_run(m, &res), LIBVM_EIO);
	cr_assert_not_null(strstr(libvm_last_error(), "/nonexistent/kernel"));
	libvm_machine_destroy(m);
	cr_assert_eq(h_count_fds(), fd0, "fds leaked");
}

/* More than 3 GiB: RAM above 4 GiB too, and the guest still runs. */
Test(machine, ram_above_4g)
{
	libvm_machine_config cfg;
	libvm_machine_result res;
	libvm_machine *m;
	uint8_t b = 0x5a, r = 0;

	m_config(&cfg, "uart_out.plat.elf", NULL);
	cfg.mem_size = 3200ull << 20;
	m = m_create(&cfg);
	OK(libvm_mem_write(libvm_machine_vm(m), (1ull << 32) + (100ull << 20) -
			   1, &b, 1));
	FAILS(libvm_mem_write(libvm_machine_vm(m), (1ull << 32) +
			      (128ull << 20), &b, 1), LIBVM_ERANGE);
	FAILS(libvm_mem_read(libvm_machine_vm(m), 0xd0000000ull, &r, 1),
	      LIBVM_ERANGE);
	OK(libvm_machine_run(m, &res));
	m_expect(&res, LIBVM_MACHINE_DEBUG_EXIT, (0x21 << 1) | 1);
	libvm_machine_destroy(m);
}

/* Many create/run/destroy cycles leak no fd, thread or mapping. */
Test(machine, cycles_leak_nothing)
{
	libvm_machine_config cfg;
	libvm_machine_result res;
	int fd0, maps0, i;

	m_config(&cfg, "uart_out.plat.elf", NULL);
	cfg.ncpus = 2;
	m_run(&res, &cfg);	/* first use sets up process-wide state */
	fd0 = h_count_fds();
	maps0 = h_count_maps();
	for (i = 0; i < 10; i++) {
		m_run(&res, &cfg);
		m_expect(&res, LIBVM_MACHINE_DEBUG_EXIT, (0x21 << 1) | 1);
	}
	cr_assert_eq(h_count_fds(), fd0, "fds leaked");
	cr_assert_leq(h_count_maps(), maps0 + 2, "mappings leaked");
}

/*
 * A bzImage is booted through the PVH entry of its unpacked vmlinux: a
 * bzImage-shaped file around the PVH test kernel (gzip payload) runs it,
 * the cache keeps it, and LIBVM_MACHINE_BZIMAGE_AS_IS refuses the fake.
 */
static size_t wrap_bzimage(uint8_t *out, size_t cap)
{
	static uint8_t elf[1 << 20];
	enum { SECTS = 7, PM = (SECTS + 1) * 512, OFF = 0x100 };
	uLongf zlen;
	size_t n;
	FILE *f;

	f = fopen(LIBVM_TEST_KERNEL_DIR "/pvh64.elf", "rb");
	cr_assert_not_null(f);
	n = fread(elf, 1, sizeof(elf), f);
	fclose(f);
	memset(out, 0, PM + OFF);
	out[0x1f1] = SECTS;
	out[0x1fe] = 0x55;
	out[0x1ff] = 0xaa;
	memcpy(out + 0x202, "HdrS", 4);
	h_put_le(out + 0x206, 0x20f, 2);
	h_put_le(out + 0x248, OFF, 4);
	zlen = cap - PM - OFF - 4;
	{
		z_stream z = { 0 };

		cr_assert_eq(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
					  Z_DEFAULT_STRATEGY), Z_OK);
		z.next_in = elf;
		z.avail_in = (uInt)n;
		z.next_out = out + PM + OFF;
		z.avail_out = (uInt)zlen;
		cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
		zlen = z.total_out;
		deflateEnd(&z);
	}
	h_put_le(out + PM + OFF + zlen, n, 4);
	h_put_le(out + 0x24c, zlen + 4, 4);
	return PM + OFF + zlen + 4;
}

Test(machine, bzimage_through_pvh)
{
	static uint8_t image[1 << 20];
	char dir[256], cached[512] = "";
	const char *tmp = getenv("TMPDIR");
	libvm_machine_config cfg;
	libvm_machine_result res;
	struct dirent *d;
	libvm_machine *m;
	int round;
	DIR *dp;

	h_need_kvm();	/* before the directory: a skip runs no cleanup */
	snprintf(dir, sizeof(dir), "%s/libvm-cache-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	cr_assert_not_null(mkdtemp(dir));
	m_config(&cfg, "unused", NULL);
	cfg.kernel_path = NULL;
	cfg.kernel_data = image;
	cfg.kernel_len = wrap_bzimage(image, sizeof(image));
	/* what the PVH test kernel checks: RAM+reserved, RSDP, ACPI area */
	cfg.cmdline = "mem=3fc0000 rsdp=e0000 resv=e0000,20000,2";
	cfg.cache_dir = dir;
	for (round = 0; round < 2; round++) {	/* unpack, then the cache */
		m_run(&res, &cfg);
		m_expect(&res, LIBVM_MACHINE_DEBUG_EXIT, 1);
	}
	dp = opendir(dir);
	cr_assert_not_null(dp);
	while ((d = readdir(dp)))
		if (!strncmp(d->d_name, "vmlinux-", 8))
			snprintf(cached, sizeof(cached), "%s/%s", dir,
				 d->d_name);
	closedir(dp);
	cr_assert(cached[0], "nothing cached in %s", dir);
	unlink(cached);
	rmdir(dir);
	cfg.flags = LIBVM_MACHINE_BZIMAGE_AS_IS;
	cfg.cache_dir = NULL;
	m = m_create(&cfg);
	FAILS(libvm_machine_start(m), LIBVM_EIMAGE);
	libvm_machine_destroy(m);
}
