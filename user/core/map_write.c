// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The crash point of map_write.h. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "map_write.h"

void map_write_point(void)
{
	static long remaining = -2; /* -2: not read yet; -1: no crash point */

	if (remaining == -2) {
		const char *n = getenv("SIOBPF_CRASH_AFTER_WRITES");

		remaining = n && *n ? strtol(n, NULL, 10) : -1;
	}
	if (remaining < 0)
		return;
	if (remaining-- == 0) {
		fprintf(stderr, "siobpf: SIOBPF_CRASH_AFTER_WRITES reached: killed before this write\n");
		kill(getpid(), SIGKILL);
	}
}
