/* Runs forever without a system call. */
int main(void)
{
	volatile unsigned long n = 0;

	for (;;)
		n++;
}
