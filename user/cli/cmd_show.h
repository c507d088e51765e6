/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* A snapshot of every VIP and its backends, for status and stats. */
#ifndef SIOBPF_CMD_SHOW_H
#define SIOBPF_CMD_SHOW_H

#include <json-c/json.h>

#include "state.h"

#define EGRESS_PROBLEM_MAX 400

struct show_state {
	struct vip_entry *vips;
	size_t nvips;
	struct backend_entry *backends; /* grouped by VIP */
	struct siobpf_backend_config *own; /* by index in backends: own probe settings, or in_use 0 */
	size_t nbackends;
	size_t *first; /* backends of vip v: [first[v], first[v + 1]) */
	__u32 *clients; /* by index in backends: live sticky clients (show_count) */
	__u64 *deadline; /* by index in backends: drain deadline, CLOCK_REALTIME s; 0: none */
	char (*egress)[EGRESS_PROBLEM_MAX]; /* by index in backends: why its egress interface
					     * cannot take its frames now; "" when it can */
};

int show_load(struct dataplane *dp, struct show_state *s);
/* Reads the sticky table once and counts each backend's live clients. */
int show_count(struct dataplane *dp, struct show_state *s);
void show_free(struct show_state *s);

/* An interface's name into buf (IF_NAMESIZE), "ifN" when it is gone. */
void ifname_of(__u32 ifindex, char *buf);

/* Prints a JSON document on one line and frees it. */
void print_json(json_object *root);

#endif /* SIOBPF_CMD_SHOW_H */
