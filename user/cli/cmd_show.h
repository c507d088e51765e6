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

/* The sticky table (siobpf/table.h): its size and its held slots by kind. */
struct table_info {
	__u32 buckets;
	__u64 bytes;
	__u64 rated;       /* clients it is rated for: two slots each */
	__u64 protected_n; /* held slots (in use, deadline not passed), protected */
	__u64 probation_n; /* held slots on probation */
};
/* One pass over the table. */
int table_info_read(struct dataplane *dp, struct table_info *t);
/* {"buckets", "bytes", "rated_clients", "protected", "probation"} */
json_object *table_info_json(const struct table_info *t);
/* "sticky table: 262144 buckets (16 MiB, rated for 1048576 clients); held
 * slots: 5 protected, 2 on probation" and a newline. */
void table_info_print(const struct table_info *t);

/* An interface's name into buf (IF_NAMESIZE), "ifN" when it is gone. */
void ifname_of(__u32 ifindex, char *buf);

/* Prints a JSON document on one line and frees it. */
void print_json(json_object *root);

#endif /* SIOBPF_CMD_SHOW_H */
