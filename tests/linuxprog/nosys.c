/* Unsupported system calls: -ENOSYS, and the program goes on. */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	long a = syscall(999, 1, 2, 3);
	int ea = errno;
	long b = syscall(SYS_fork);
	int eb = errno;
	long c = syscall(999);

	printf("999: %ld %d, fork: %ld %d, again: %ld\n", a, ea, b, eb, c);
	return a == -1 && ea == ENOSYS && b == -1 && eb == ENOSYS ? 0 : 1;
}
