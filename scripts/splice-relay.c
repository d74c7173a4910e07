/*
 * splice-relay: the least a process that relays one pipe into another can
 * do, the floor for tinit's forwarding. It grows both pipes to 1 MiB as
 * tinit does and moves the bytes with splice(2) until end of file, in one
 * thread, blocking. scripts/bench-drain.sh builds it with cc and times it
 * between the same writer and reader as tinit.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>

int main(void)
{
	fcntl(0, F_SETPIPE_SZ, 1 << 20);
	fcntl(1, F_SETPIPE_SZ, 1 << 20);
	for (;;) {
		ssize_t n = splice(0, NULL, 1, NULL, 1 << 20, SPLICE_F_MOVE);
		if (n == 0)
			return 0;
		if (n < 0)
			return 1;
	}
}
