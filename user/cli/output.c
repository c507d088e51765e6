// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Names of modes and states; see output.h. */
#include <stdio.h>
#include <string.h>

#include "siobpf/abi.h"
#include "output.h"

const char *const sticky_names[STICKY_NAMES] = {
	[SIOBPF_STICKY_IP] = "ip", [SIOBPF_STICKY_IP_PORT] = "ip-port",
};
const char *const forward_names[FORWARD_NAMES] = {[SIOBPF_FORWARD_DSR] = "dsr"};
const char *const probe_names[PROBE_NAMES] = {
	[SIOBPF_PROBE_TCP] = "tcp", [SIOBPF_PROBE_HTTP] = "http",
	[SIOBPF_PROBE_SOCKETIO] = "socketio", [SIOBPF_PROBE_NONE] = "none",
};
const char *const state_names[STATE_NAMES] = {
	[SIOBPF_BACKEND_UP] = "up", [SIOBPF_BACKEND_DRAIN] = "drain", [SIOBPF_BACKEND_DOWN] = "down",
};

int name_index(const char *const *names, int count, const char *text)
{
	for (int i = 0; i < count; i++)
		if (!strcmp(names[i], text))
			return i;
	return -1;
}

const char *name_of(const char *const *names, int count, int value)
{
	return value >= 0 && value < count ? names[value] : "?";
}

void bytes_format(unsigned long long bytes, char *buf, unsigned long len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB"};
	int u = 0;

	while (u < 3 && bytes >= 1024 && bytes % 1024 == 0) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, len, "%llu %s", bytes, units[u]);
}
