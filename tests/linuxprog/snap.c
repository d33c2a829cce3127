/* For snapshots: reads a file in two halves with a marker system call
 * (getppid) between, where the host takes a snapshot; prints the rest. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	char a[3] = "", b[64] = "";
	int fd = open("/sub/hello.txt", O_RDONLY);
	char *heap = malloc(1000);
	long n;

	if (fd < 0 || !heap || read(fd, a, 2) != 2)
		return 2;
	strcpy(heap, "heap-before");
	getppid();	/* the host stops here */
	n = read(fd, b, sizeof(b) - 1);
	if (n < 0)
		return 3;
	b[n] = '\0';
	printf("first=%s rest=%s heap=%s brk=%s\n", a, b, heap,
	       malloc(1 << 20) ? "ok" : "fail");
	return 0;
}
