/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* siobpf run: what the daemon knows about the VIPs and backends it watches,
 * shared between its main loop (probes, neighbours, configuration) and the
 * metrics thread. The maps stay the source of truth; this is a cache that
 * the loop re-reads every tick and the metrics thread only reads. */
#ifndef SIOBPF_DAEMON_H
#define SIOBPF_DAEMON_H

#include <pthread.h>
#include <stdbool.h>

#include "addr.h"
#include "health.h"
#include "output.h"
#include "probe.h"
#include "probe_settings.h"
#include "state.h"

/* A backend the daemon watches, at the index of its backend id. */
struct target {
	bool present;
	struct siobpf_backend b;  /* the record as last read or written */
	struct probe_settings s;  /* in force: the VIP's, or the backend's own */
	bool own;                 /* s has fields of the backend's own */
	char path_refused[160];   /* why s.path breaks the URL rule; "" when it does not */
	char vip_text[ADDR_TEXT_MAX];
	char addr_text[ADDR_TEXT_MAX];
	struct health h;
	struct probe *probe;      /* in flight, or NULL */
	__u64 due_ns;             /* next probe deadline, CLOCK_MONOTONIC */
	bool probed;              /* last_* hold a result */
	bool last_ok;
	double last_seconds;
	char last_reason[160];
	__u64 probes_ok;
	__u64 probes_failed;
	__u64 transitions[STATE_NAMES]; /* by the state entered */
	double last_transition;   /* when the last one was made or seen, Unix seconds; 0: none */
	__u64 mac_changes;
};

/* What --announce keeps on its interface, for the metrics. */
struct announce_view {
	bool on;                          /* --announce was given */
	bool ready;                       /* the node may take traffic (announce.c) */
	bool withdrawn;                   /* by `siobpf announce withdraw` */
	bool vip[SIOBPF_MAX_VIPS];        /* by VIP id: its address is announced */
	__u64 errors;                     /* netlink and state file failures */
};

struct daemon {
	pthread_mutex_t lock; /* everything below, against the metrics thread */
	struct dataplane dp;
	bool loaded;          /* the maps are open */
	__u32 backends_map_id; /* to notice a new load (other maps) under the pins */
	struct vip_entry vips[SIOBPF_MAX_VIPS]; /* by VIP id */
	bool vip_present[SIOBPF_MAX_VIPS];
	char vip_text[SIOBPF_MAX_VIPS][ADDR_TEXT_MAX];
	struct target *targets; /* SIOBPF_MAX_BACKENDS, by backend id */
	__u32 *ids;             /* ids of present targets, ascending */
	size_t nids;
	/* Scheduling: how late probes start against their deadlines. */
	__u64 probes_started;
	__u64 lag_sum_ns;
	__u64 lag_max_ns[2];  /* the current and the previous 10 s window */
	__u64 lag_window;     /* which 10 s window lag_max_ns[0] covers */
	__u64 deadlines_missed;
	__u64 config_ok;
	__u64 config_failed;
	struct announce_view announce;
};

#endif /* SIOBPF_DAEMON_H */
