/* Paths that lead out of the root: each must fail.  Prints one line per
 * path, "refused" or "OPENED"; exits with the number opened. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	static const char *const paths[] = {
		"/etc/shadow", "../etc/shadow", "../../../../../../etc/passwd",
		"/sub/../../etc/passwd", "/evil", "/sub/up/etc/passwd",
		"/loop", "/sub/abs/passwd", "/proc/self/root/etc/passwd",
	};
	int opened = 0;
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		int fd = open(paths[i], O_RDONLY);

		printf("%s: %s (%s)\n", paths[i], fd >= 0 ? "OPENED" : "refused",
		       fd >= 0 ? "-" : strerror(errno));
		if (fd >= 0) {
			opened++;
			close(fd);
		}
	}
	/* inside the root: must work */
	if (open("/sub/../sub/./hello.txt", O_RDONLY) < 0)
		return 100;
	if (open("/sub/up/sub/hello.txt", O_RDONLY) < 0)
		return 101;
	/* writing is off by default */
	if (open("/new.txt", O_WRONLY | O_CREAT, 0644) >= 0 || errno != EROFS)
		return 102;
	return opened;
}
