/* Built as a static PIE: runs wherever it is placed. */
#include <stdio.h>

static int answer = 42;

int main(void)
{
	printf("static pie: main at %p, answer %d\n", (void *)main, answer);
	return 0;
}
