// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fi_preload.so - LD_PRELOAD helper of tests/vm/test_faultinject: marks the
 * process for fault injection (/proc/self/make-it-fail = 1) once the dynamic
 * loader has mapped the program and its libraries, just before main(), so
 * that exec and loading are not what the injected faults break. Threads
 * and children inherit the mark. Installed as $(BUILD)/tests/vm/fi_preload.so
 * (tools/debug/build.mk).
 */
#include <fcntl.h>
#include <unistd.h>

__attribute__((constructor)) static void fi_preload_mark(void)
{
	int fd = open("/proc/self/make-it-fail", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, "1", 1) != 1) {
		/* Nothing to do: the run then simply gets no faults. */
	}
	close(fd);
}
