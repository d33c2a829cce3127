/* A glibc program: arguments, environment, auxv, malloc (brk and mmap),
 * files, the cwd.  Prints what it saw; the test compares. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const unsigned char *rnd = (const void *)getauxval(AT_RANDOM);
	char cwd[64], line[64];
	char *big = malloc(8 << 20);	/* mmap */
	char *small = malloc(100);	/* brk */
	FILE *f;
	int i;

	printf("argc=%d", argc);
	for (i = 0; i < argc; i++)
		printf(" [%s]", argv[i]);
	printf("\nenv=%s\n", getenv("GREETING") ? getenv("GREETING") : "-");
	printf("pagesz=%lu random=%s\n", getauxval(AT_PAGESZ),
	       rnd && (rnd[0] | rnd[1] | rnd[2] | rnd[3]) ? "yes" : "no");
	if (!big || !small)
		return 3;
	memset(big, 0x5a, 8 << 20);
	free(big);
	f = fopen("/sub/hello.txt", "r");
	if (!f || !fgets(line, sizeof(line), f))
		return 4;
	fclose(f);
	printf("file=%s", line);
	if (!getcwd(cwd, sizeof(cwd)))
		return 5;
	printf("cwd=%s pid=%d\n", cwd, (int)getpid());
	return 7;
}
