/* The system-call benchmark: N getppid() round trips (argv[1]). */
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000, i;

	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
	return 0;
}
