/*
 * A guest with functions for the host to call (examples/call.c) and a
 * main() that greets through the console hypercall.
 */
#include <libvm/guest.h>

#define HC_LOG 16	/* host hypercall: log(value) */

LIBVM_EXPORT int64_t add(int64_t a, int64_t b)
{
	return a + b;
}

/* FNV-1a over a buffer the host copied into guest memory. */
LIBVM_EXPORT uint64_t fnv1a(const uint8_t *buf, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ buf[i]) * 0x100000001b3ull;
	return h;
}

/* Calls back into the host in the middle of a host call. */
LIBVM_EXPORT int64_t twice_via_host(int64_t x)
{
	return libvm_hypercall1(HC_LOG, (uint64_t)x) * 2;
}

LIBVM_EXPORT int64_t divide(int64_t a, int64_t b)
{
	return a / b;
}

LIBVM_EXPORT int64_t poke(uint64_t addr)
{
	return *(volatile int64_t *)addr;
}

int main(void)
{
	libvm_guest_puts("hello from a compiled guest\n");
	return 42;
}
