/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The daemon's Prometheus endpoint (libmicrohttpd, a thread of its own):
 * traffic counters from the maps, and the daemon's probe and state view. */
#ifndef SIOBPF_METRICS_H
#define SIOBPF_METRICS_H

#include <stddef.h>

#include "daemon.h"

#define METRICS_DEFAULT_ADDR "127.0.0.1"

struct metrics_server;

/* Serves GET /metrics on listen ("PORT", "ADDR:PORT" or "[ADDR6]:PORT";
 * ADDR defaults to loopback). On failure why says what to change. */
int metrics_start(struct metrics_server **ms, const char *listen, struct daemon *d, char *why,
		  size_t len);
void metrics_stop(struct metrics_server *ms);

/* The exposition text (malloc'd, NUL-terminated); takes d->lock. With ms,
 * the server's own counters too. */
char *metrics_render(struct daemon *d, struct metrics_server *ms, size_t *len);

#endif /* SIOBPF_METRICS_H */
