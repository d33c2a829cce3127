/* A minimal static program for fuzz_linuxelf's seeds: small, and it loads. */
void _start(void);

void _start(void)
{
	for (;;)
		;
}
