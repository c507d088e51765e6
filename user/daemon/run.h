/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* siobpf run, private to its files: the state of one run, and the time
 * units and refresh bounds they share. Its struct daemon (daemon.h) is the
 * part the metrics thread also reads. */
#ifndef SIOBPF_RUN_H
#define SIOBPF_RUN_H

#include <stdbool.h>
#include <linux/types.h>

#include "daemon.h"
#include "metrics.h"
#include "probe.h"

#define NS_PER_MS 1000000ull
#define NS_PER_SEC 1000000000ull
/* The maps are re-read every tick: as often as the shortest probe interval,
 * within these bounds, so that CLI changes are seen within one interval. */
#define REFRESH_MIN_MS 50
#define REFRESH_MAX_MS 1000
/* A draining backend's sticky clients are counted at most this often. */
#define DRAIN_COUNT_MS 1000

struct pending_change;

struct run {
	struct daemon d;
	struct probe_engine *pe;
	struct metrics_server *ms;
	struct announce *an;    /* --announce IFACE, or NULL */
	const char *config;     /* --config FILE, or NULL */
	bool config_pending;    /* to apply as soon as the maps are open */
	int sfd;                /* signalfd: TERM, INT, HUP */
	int instance_fd;        /* the one-daemon-per-pin-directory lock */
	__u64 refresh_due;
	__u64 refresh_ns;
	__u64 reopen_due;
	bool started;           /* the first refresh is done */
	bool applied_once;      /* the configuration was applied (or tried) once */
	bool failed;            /* the first application failed: exit 1 */
	bool stop;
	struct siobpf_backend *table;        /* scratch: the backend map */
	struct siobpf_backend_config *cfgs;  /* scratch: the override map */
	struct vip_entry *vip_list;          /* scratch: the VIP list */
	struct pending_change *pending;      /* by backend id: decided, not yet written */
	__u32 *pending_ids;                  /* the ids queued this pass, in order */
	size_t npending;
	struct backend_entry *batch;         /* scratch: one VIP's changes to write */
	__u32 *clients;                      /* scratch: live sticky clients by backend id */
	__u64 count_due;                     /* when clients may be counted again */
};

#endif /* SIOBPF_RUN_H */
