/* Writes through a NULL pointer after saying so. */
#include <stdio.h>

int main(void)
{
	volatile int *p = NULL;

	printf("about to fault\n");
	fflush(stdout);
	*p = 42;
	return 0;
}
