/* SPDX-License-Identifier: MIT */
/*
 * The platform (lib/platform/): each device driven by a tiny 32-bit guest
 * kernel of tests/platguests/ in a machine, the ACPI tables and CPUID
 * read back, the allocators, and device state in snapshots.
 */
#include "mhelpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

TestSuite(platform, .timeout = VCPU_TIMEOUT);

static struct m_console con;

static void con_setup(void)
{
	m_console_init(&con);
}

static void con_teardown(void)
{
	m_console_fini(&con);
}

/* Run guest NAME (.plat.elf) with the console; the result. */
static void run_plat(libvm_machine_result *res, const char *name)
{
	libvm_machine_config cfg;
	char file[64];

	snprintf(file, sizeof(file), "%s.plat.elf", name);
	m_config(&cfg, file, &con);
	m_run(res, &cfg);
}

Test(platform, uart_output, .init = con_setup, .fini = con_teardown)
{
	libvm_machine_result res;

	run_plat(&res, "uart_out");
	m_expect(&res, LIBVM_MACHINE_DEBUG_EXIT, (0x21 << 1) | 1);
	cr_assert_str_eq(m_console_text(&con), "hello from COM1\n");
}

Test(platform, uart_registers, .init = con_setup, .fini = con_teardown)
{
	libvm_machine_result res;

	run_plat(&res, "uart_regs");
	cr_assert_eq(res.status, 1, "check %d of uart_regs failed (status "
		     "%#x)", res.status >> 1, res.status);
	m_expect(&res, LIBVM_MACHINE_DEBUG_EXIT, 1);
	cr_assert_str_eq(m_console_text(&con), "uart registers ok\n");
}

/* The program feeds input: polled by the guest. */
Test(platform, uart_input, .init = con_setup, .fini = con_teardown)
{
	libvm_machine_config cfg;
	libvm_machine_result res;
	libvm_machine *m;

	m_config(&cfg, "uart_echo.plat.elf", &con);
	m = m_create(&cfg);
	OK(libvm_machine_start(m));
	cr_assert(m_console_wait(&con, "echo>", M_TIMEOUT_NS));
	cr_assert_eq(libvm_platform_uart_input(libvm_machine_platform(m),
					       "Hello, 16550!\n", 14), 14);
	OK(libvm_machine_wait(m, &res));
	libvm_machine_destroy(m);
	m_expect(&res, LIBVM_MACHINE_DEBUG_EXIT, (13 << 1) | 1);
	cr_assert_str_eq(m_console_text(&con), "echo>HELLO, 16550!\n");
}

/* Input from an fd, read by the platform's own thread; more than fits. */
Test(platform, uart_input_fd, .init = con_setup, .fini = con_teardown)
{
	libvm_machine_config cfg;
	libvm_machine_result res;
	static char line[6001];
	int fds[2], fd0 = h_count_fds();

	cr_assert_eq(pipe(fds), 0);
	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	m_config(&cfg, "uart_echo.plat.elf", &con);
	cfg.console_in_fd = fds[0];
	cr_assert_eq(write(fds[1], line, sizeof(line)), (ssize_t)sizeof(line));
	m_run(&res, &cfg);
	close(fds[0]);
	close(fds[1]);
	m_expect(&res, LIBVM_MACHINE_DEBUG_EXIT, (6000 << 1) | 1);
	cr_assert_eq(strlen(m_console_text(&con)), 5 + 6000 + 1);
	cr_assert_eq(h_count_fds(), fd0, "fds leaked");
}

static void feed_when_ready(libvm_machine *m, const char *prompt,
			    const char *input)
{
	cr_assert(m_console_wait(&con, prompt, M_TIMEOUT_NS),
		  "no prompt; console: %s", m_console_text(&con));
	cr_assert_eq(libvm_platform_uart_input(libvm_machine_platform(m),
					       input, strlen(input)),
		     (int64_t)strlen(input));
}

/* Output from THRE interrupts, input from received-data interrupts. */
Test(platform, uart_interrupts, .init = con_setup, .fini = con_teardown)
{
	libvm_machine_config cfg;
	libvm_machine_result res;
	libvm_machine *m;

	h_skip_on_pvm("PVM cannot emulate IRET at CPL0 in 32-bit mode");
	m_config(&cfg, "uart_irq.plat.elf", &con);
	m = m_create(&cfg);
	OK(libvm_machine_start(m));
	feed_when_ready(m, "ready>", "ping pong\n");
	OK(libvm_machine_wait(m, &res));
	libvm_machine_destroy(m);
	cr_assert_eq(res.end, LIBVM_MACHINE_DEBUG_EXIT, "ended %s",
		     libvm_machine_end_name(res.end));
	cr_assert_gt(res.status >> 1, 1, "interrupts taken: %d",
		     res.status >> 1);
	cr_assert_str_eq(m_console_text(&con), "ready>PING PONG\n");
}

static time_t parse_time(const char *s)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, se;

	cr_assert_eq(sscanf(s, "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi,
			    &se), 6, "time '%.19s'", s);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	return timegm(&tm);
}

Test(platform, rtc_host_time, .init = con_setup, .fini = con_teardown)
{
	libvm_machine_result res;
	time_t before = time(NULL), after, bcd, bin;
	const char *out, *p;

	run_plat(&res, "rtc");
	after = time(NULL);
	m_expect(&res, LIBVM_MACHINE_DEBUG_EXIT, 1);
	out = m_console_text(&con);
	p = strstr(out, "bcd ");
	cr_assert_not_null(p, "console: %s", out);
	bcd = parse_time(p + 4);
	p = strstr(out, "bin ");
	cr_assert_not_null(p, "console: %s", out);
	bin = parse_time(p + 4);
	cr_assert(bcd >= before - 1 && bcd <= after + 1, "BCD time %ld, host "
		  "%ld-%ld", (long)bcd, (long)before, (long)after);
	cr_assert(bin >= bcd && bin <= after + 1, "binary time %ld",
		  (long)bin);
	cr_assert_not_null(strstr(out, "uip 1\n"), "UIP never seen: %s", out);
	cr_assert_not_null(strstr(out, "set 42\n"), "minutes: %s", out);
}

Test(platform, i8042_reset, .init = con_setup, .fini = con_teardown)
{
	libvm_machine_result res;

	run_plat(&res, "kbd");
	m_expect(&res, LIBVM_MACHINE_RESET, 0);
	cr_assert_str_eq(m_console_text(&con), "i8042 55 45 00 fa ab 83\n");
}

/* The exits guest, told what to do through the byte at 0x500. */
static void run_exits(libvm_machine_result *res, char what)
{
	libvm_machine_config cfg;
	libvm_machine *m;

	m_config(&cfg, "exits.plat.elf", NULL);
	m = m_create(&cfg);
	OK(libvm_mem_write(libvm_machine_vm(m), 0x500, &what, 1));
	OK(libvm_machine_run(m, res));
	libvm_machine_destroy(m);
}

Test(platform, debug_exit_word)
{
	libvm_machine_result res;

	run_exits(&res, 'w');
	m_expect(&res, LIBVM_MACHINE_DEBUG_EXIT, (0x1234 << 1) | 1);
}

Test(platform, boot_marker)
{
	libvm_machine_result res;

	run_exits(&res, 'm');
	m_expect(&res, LIBVM_MACHINE_DEBUG_EXIT, (7 << 1) | 1);
	cr_assert_gt(res.boot_marker_ns, 0);
	cr_assert_leq(res.boot_marker_ns, res.run_ns, "marker %llu after the "
		      "end %llu", (unsigned long long)res.boot_marker_ns,
		      (unsigned long long)res.run_ns);
}

Test(platform, no_boot_marker)
{
	libvm_machine_result res;

	run_exits(&res, 'w');
	cr_assert_eq(res.boot_marker_ns, 0);
}

Test(platform, acpi_poweroff)
{
	libvm_machine_result res;

	run_exits(&res, 'p');
	m_expect(&res, LIBVM_MACHINE_POWEROFF, 0);
}

Test(platform, i8042_output_port_reset)
{
	libvm_machine_result res;

	run_exits(&res, 'd');
	m_expect(&res, LIBVM_MACHINE_RESET, 0);
}

Test(platform, triple_fault)
{
	libvm_machine_result res;

	run_exits(&res, 't');
	m_expect(&res, LIBVM_MACHINE_TRIPLE_FAULT, 0);
	cr_assert_eq(res.exit.reason, LIBVM_EXIT_SHUTDOWN);
}

Test(platform, unknown_request_runs_on)
{
	libvm_machine_result res;

	run_exits(&res, 0);
	m_expect(&res, LIBVM_MACHINE_DEBUG_EXIT, (0x55 << 1) | 1);
}

/* ---- the platform object on a VM of its own: tables, CPUID, allocators */

static libvm_vm *pvm;
static libvm_platform *plat;

static void plat_setup(void)
{
	libvm_vm_config vc = LIBVM_VM_CONFIG_INIT;
	libvm_platform_config pc;

	vc.flags = LIBVM_VM_IRQCHIP | LIBVM_VM_PIT;
	pvm = h_vm_create(&vc);
	h_map_ram(pvm, 0, 16ull << 20);
	OK(libvm_platform_config_init(&pc, LIBVM_PLATFORM_CONFIG_VERSION));
	pc.ncpus = 4;
	OK(libvm_platform_create(&plat, pvm, &pc));
}

static void plat_teardown(void)
{
	libvm_platform_destroy(plat);
	libvm_vm_destroy(pvm);
	plat = NULL;
	pvm = NULL;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)h_le(p, 4);
}

/* Copy the table at gpa out of guest RAM, checking its checksum. */
static uint8_t *table(uint64_t gpa, const char *sig)
{
	uint8_t hdr[36], *t;
	uint32_t len;

	OK(libvm_mem_read(pvm, gpa, hdr, sizeof(hdr)));
	cr_assert_eq(memcmp(hdr, sig, 4), 0, "table at %#llx is %.4s, want "
		     "%s", (unsigned long long)gpa, hdr, sig);
	len = le32(hdr + 4);
	cr_assert(len >= 36 && len < 65536, "%s length %u", sig, len);
	t = malloc(len);
	OK(libvm_mem_read(pvm, gpa, t, len));
	cr_assert_eq(sum(t, len), 0, "%s checksum", sig);
	return t;
}

/* Find a table through RSDP -> XSDT. */
static uint8_t *find_table(uint64_t rsdp_gpa, const char *sig)
{
	uint8_t rsdp[36], *xsdt, *t = NULL;
	uint32_t i, n;

	OK(libvm_mem_read(pvm, rsdp_gpa, rsdp, sizeof(rsdp)));
	cr_assert_eq(memcmp(rsdp, "RSD PTR ", 8), 0);
	cr_assert_eq(sum(rsdp, 20), 0, "RSDP checksum");
	cr_assert_eq(sum(rsdp, 36), 0, "RSDP extended checksum");
	cr_assert_eq(rsdp[15], 2, "RSDP revision");
	xsdt = table(h_le(rsdp + 24, 8), "XSDT");
	n = (le32(xsdt + 4) - 36) / 8;
	for (i = 0; i < n && !t; i++) {
		uint64_t a = h_le(xsdt + 36 + 8 * i, 8);
		uint8_t s[4];

		OK(libvm_mem_read(pvm, a, s, 4));
		if (!memcmp(s, sig, 4))
			t = table(a, sig);
	}
	free(xsdt);
	cr_assert_not_null(t, "no %s in the XSDT", sig);
	return t;
}

static int contains(const uint8_t *p, size_t n, const void *s, size_t sn)
{
	size_t i;

	for (i = 0; i + sn <= n; i++)
		if (!memcmp(p + i, s, sn))
			return 1;
	return 0;
}

Test(platform, acpi_tables, .init = plat_setup, .fini = plat_teardown)
{
	uint64_t rsdp = 0, base = 0;
	uint8_t *fadt, *madt, *dsdt;
	uint32_t gsi = 0, off, lapics = 0, ioapics = 0;

	OK(libvm_platform_alloc_mmio(plat, 0x200, &base));
	OK(libvm_platform_alloc_gsi(plat, &gsi));
	OK(libvm_platform_acpi_device(plat, "LNRO0005", base, 0x200, gsi, 0));
	OK(libvm_platform_write_tables(plat, &rsdp));
	cr_assert_eq(rsdp, LIBVM_PLAT_TABLES_GPA, "a guest scanning the BIOS "
		     "area finds the RSDP");

	fadt = find_table(rsdp, "FACP");
	cr_assert_eq(le32(fadt + 4), 276, "FADT revision 6 length");
	cr_assert(le32(fadt + 112) & (1u << 20), "hardware-reduced");
	cr_assert_eq(fadt[244], 1, "sleep control in I/O space");
	cr_assert_eq(h_le(fadt + 248, 8), LIBVM_PORT_SLEEP_CTL);
	cr_assert_eq(h_le(fadt + 260, 8), LIBVM_PORT_SLEEP_STS);
	cr_assert_eq(fadt[108], 0x32, "RTC century register");
	dsdt = table(h_le(fadt + 140, 8), "DSDT");
	cr_assert_eq(le32(fadt + 40), h_le(fadt + 140, 8), "DSDT, X_DSDT");

	madt = find_table(rsdp, "APIC");
	cr_assert_eq(le32(madt + 36), 0xfee00000u);
	for (off = 44; off + 2 <= le32(madt + 4); off += madt[off + 1]) {
		cr_assert_gt(madt[off + 1], 0);
		if (madt[off] == 0) {
			cr_assert_eq(madt[off + 3], lapics, "APIC id");
			cr_assert_eq(le32(madt + off + 4) & 1, 1, "enabled");
			lapics++;
		} else if (madt[off] == 1) {
			cr_assert_eq(le32(madt + off + 4), 0xfec00000u);
			ioapics++;
		}
	}
	cr_assert_eq(lapics, 4, "a local APIC per vCPU");
	cr_assert_eq(ioapics, 1);

	/* \_S5 = Package(4) { 5, ... }, the UART and the device announced */
	cr_assert(contains(dsdt, le32(dsdt + 4), "\x08\\_S5_\x12", 7));
	cr_assert(contains(dsdt, le32(dsdt + 4), "_S5_\x12\x07\x04\x0a\x05",
			   9), "\\_S5 package");
	cr_assert(contains(dsdt, le32(dsdt + 4), "COM1", 4));
	cr_assert(contains(dsdt, le32(dsdt + 4), "\x0d" "LNRO0005", 9));
	cr_assert(contains(dsdt, le32(dsdt + 4), "\x41\xd0\x05\x01", 4),
		  "EISA id PNP0501");
	free(fadt);
	free(madt);
	free(dsdt);
}

Test(platform, acpi_device_checks, .init = plat_setup,
     .fini = plat_teardown)
{
	uint64_t rsdp;
	int i;

	FAILS(libvm_platform_acpi_device(plat, "", 0, 0, UINT32_MAX, 0),
	      LIBVM_EINVAL);
	FAILS(libvm_platform_acpi_device(plat, "TOOLONG01", 0, 0, UINT32_MAX,
					 0), LIBVM_EINVAL);
	FAILS(libvm_platform_acpi_device(plat, "LNRO0005", 0xfffff000ull,
					 0x2000, 5, 0), LIBVM_EINVAL);
	FAILS(libvm_platform_acpi_device(plat, "LNRO0005", 0, 0, 24, 0),
	      LIBVM_EINVAL);
	for (i = 0; i < 64; i++)
		OK(libvm_platform_acpi_device(plat, "LNRO0005",
					      0xd0000000ull + 0x1000 * i,
					      0x200, 16 + i % 8,
					      LIBVM_PLAT_IRQ_LEVEL));
	FAILS(libvm_platform_acpi_device(plat, "LNRO0005", 0, 0, 5, 0),
	      LIBVM_ELIMIT);
	OK(libvm_platform_write_tables(plat, &rsdp));	/* 64 fit */
}

Test(platform, allocators, .init = plat_setup, .fini = plat_teardown)
{
	uint64_t a = 0, b = 0;
	uint32_t g, seen = 0;
	int i;

	OK(libvm_platform_alloc_mmio(plat, 0x200, &a));
	OK(libvm_platform_alloc_mmio(plat, 0x3000, &b));
	cr_assert_eq(a, LIBVM_PLAT_MMIO_BASE);
	cr_assert_eq(b, a + 0x1000, "4 KiB granules");
	FAILS(libvm_platform_alloc_mmio(plat, LIBVM_PLAT_MMIO_SIZE, &a),
	      LIBVM_ELIMIT);
	for (i = 0; i < 14; i++) {
		OK(libvm_platform_alloc_gsi(plat, &g));
		cr_assert_lt(g, 24);
		cr_assert(!(seen & (1u << g)), "GSI %u twice", g);
		cr_assert(g != 4 && g != 8 && g != 0 && g != 1 && g != 12,
			  "GSI %u is the platform's", g);
		seen |= 1u << g;
	}
	FAILS(libvm_platform_alloc_gsi(plat, &g), LIBVM_ELIMIT);
}

static const libvm_cpuid_entry *leaf(const libvm_cpuid_entry *e,
				     uint32_t n, uint32_t fn, uint32_t idx)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (e[i].function == fn && e[i].index == idx)
			return &e[i];
	return NULL;
}

Test(platform, cpuid_topology, .init = plat_setup, .fini = plat_teardown)
{
	static libvm_cpuid_entry e[512];
	const libvm_cpuid_entry *l;
	libvm_vcpu *v;
	uint32_t id, n;
	char sig[13] = { 0 };

	for (id = 0; id < 4; id++) {
		OK(libvm_vcpu_create(&v, pvm, id));
		OK(libvm_platform_vcpu_init(plat, v));
		n = 512;
		OK(libvm_vcpu_get_cpuid(v, e, &n));
		l = leaf(e, n, 1, 0);
		cr_assert_not_null(l);
		cr_assert_eq(l->ebx >> 24, id, "leaf 1 APIC id");
		cr_assert_eq((l->ebx >> 16) & 0xff, 4, "logical processors");
		cr_assert(l->edx & (1u << 28), "HTT");
		l = leaf(e, n, 0xb, 1);
		if (l) {
			cr_assert_eq(l->ebx & 0xffff, 4, "0xb cores");
			cr_assert_eq(l->edx, id, "x2APIC id");
		}
		l = leaf(e, n, 0x80000008, 0);
		if (l)
			cr_assert_eq(l->ecx & 0xff, 3, "0x80000008 NC");
		l = leaf(e, n, 0x40000000, 0);
		cr_assert_not_null(l, "KVM paravirtual leaf");
		memcpy(sig, &l->ebx, 4);
		memcpy(sig + 4, &l->ecx, 4);
		memcpy(sig + 8, &l->edx, 4);
		cr_assert_str_eq(sig, "KVMKVMKVM");
	}
	OK(libvm_vcpu_create(&v, pvm, 4));
	FAILS(libvm_platform_vcpu_init(plat, v), LIBVM_EINVAL);
}

static int nop_trap(libvm_vcpu *vcpu, uint64_t addr, void *data,
		    uint32_t size, uint32_t direction, void *opaque)
{
	(void)vcpu, (void)addr, (void)data, (void)size, (void)direction;
	(void)opaque;
	return LIBVM_TRAP_CONTINUE;
}

Test(platform, config_checks)
{
	uint64_t rsdp;
	libvm_vm_config vc = LIBVM_VM_CONFIG_INIT;
	libvm_platform_config pc = LIBVM_PLATFORM_CONFIG_INIT;
	libvm_platform *p = NULL;
	libvm_vm *vm;
	int fd0 = h_count_fds();

	vc.flags = LIBVM_VM_IRQCHIP | LIBVM_VM_PIT;
	vm = h_vm_create(&vc);
	pc.version = 99;
	FAILS(libvm_platform_create(&p, vm, &pc), LIBVM_EVERSION);
	FAILS(libvm_platform_config_init(&pc, 0), LIBVM_EVERSION);
	OK(libvm_platform_config_init(&pc, 1));
	pc.ncpus = 0;
	FAILS(libvm_platform_create(&p, vm, &pc), LIBVM_EINVAL);
	pc.ncpus = 1;
	pc.devices = 1u << 30;
	FAILS(libvm_platform_create(&p, vm, &pc), LIBVM_EINVAL);
	pc.devices = LIBVM_PLAT_ALL;
	pc.tables_gpa = 0x1234;
	FAILS(libvm_platform_create(&p, vm, &pc), LIBVM_EINVAL);
	cr_assert_null(p);
	/* A port taken already: creation unwinds, registering nothing. */
	pc.tables_gpa = 0;
	OK(libvm_trap_register(vm, LIBVM_TRAP_PIO, 0x71, 1, nop_trap, NULL));
	FAILS(libvm_platform_create(&p, vm, &pc), LIBVM_EOVERLAP);
	OK(libvm_trap_unregister(vm, LIBVM_TRAP_PIO, 0x71));
	OK(libvm_platform_create(&p, vm, &pc));
	/* Without ACPI: no tables. */
	libvm_platform_destroy(p);
	pc.devices = LIBVM_PLAT_UART;
	OK(libvm_platform_create(&p, vm, &pc));
	FAILS(libvm_platform_write_tables(p, &rsdp), LIBVM_ENOTSUP);
	libvm_platform_destroy(p);
	libvm_vm_destroy(vm);
	cr_assert_eq(h_count_fds(), fd0, "fds leaked");
}

/* UART state is device state: a restore takes back what was typed. */
Test(platform, snapshot_keeps_uart, .init = con_setup, .fini = con_teardown)
{
	libvm_machine_config cfg;
	libvm_machine_result res;
	libvm_snapshot *snap;
	libvm_machine *m;
	libvm_platform *p;

	m_config(&cfg, "uart_echo.plat.elf", &con);
	m = m_create(&cfg);
	p = libvm_machine_platform(m);
	OK(libvm_snapshot_take(&snap, libvm_machine_vm(m)));
	cr_assert_eq(libvm_platform_uart_input(p, "junk", 4), 4);
	OK(libvm_snapshot_restore(libvm_machine_vm(m), snap));
	cr_assert_eq(libvm_platform_uart_input(p, "ok\n", 3), 3);
	OK(libvm_machine_run(m, &res));
	libvm_snapshot_destroy(snap);
	libvm_machine_destroy(m);
	m_expect(&res, LIBVM_MACHINE_DEBUG_EXIT, (2 << 1) | 1);
	cr_assert_str_eq(m_console_text(&con), "echo>OK\n");
}
