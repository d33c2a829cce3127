/*
 * A guest that asks the host for work through hypercalls: it fetches
 * numbers from the host, sums their squares, and reports the result.
 */
#include <libvm/guest.h>

#define HC_NEXT 16	/* next() -> number, or -1 when done */
#define HC_REPORT 17	/* report(sum, count) -> 0 */

int main(void)
{
	int64_t n, sum = 0, count = 0;

	while ((n = libvm_hypercall0(HC_NEXT)) >= 0) {
		sum += n * n;
		count++;
	}
	libvm_hypercall2(HC_REPORT, (uint64_t)sum, (uint64_t)count);
	/* An unregistered number is the guest's error, not the host's. */
	return libvm_hypercall0(99) == LIBVM_ENOENT ? 0 : 1;
}
