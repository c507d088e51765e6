/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Reading the data path's new-entry events (struct siobpf_entry_event,
 * the sio_events ring buffer) and the switch that asks for them. The
 * program writes events only while the switch is on, so a consumer turns
 * it on once it reads the ring, and off when it stops for good. Functions
 * return 0 or -errno. */
#ifndef SIOBPF_EVENTS_H
#define SIOBPF_EVENTS_H

#include <stdbool.h>
#include <linux/types.h>

#include "dataplane.h"

/* Called for each event, in the ring's order; a nonzero return stops the
 * poll, which then returns it. */
struct ring_buffer;

typedef int (*events_fn)(const struct siobpf_entry_event *ev, void *ctx);

struct events_reader {
	struct ring_buffer *rb;
	events_fn fn;
	void *ctx;
	__u64 malformed; /* records skipped: not an event of this layout */
	int stopped;     /* fn's nonzero return that stopped the last poll */
};

/* Reads dp's sio_events (dp loaded or opened from the pins). The switch is
 * left as it is. */
int events_open(struct events_reader *r, struct dataplane *dp, events_fn fn, void *ctx);
/* Hands fn every event written so far, after waiting up to timeout_ms (0:
 * not at all; -1: without end) for the program's wakeup, which comes only
 * once the ring is an eighth full: a reader polls with a timeout (the
 * events of a quiet moment reach it then). Returns how many were handed,
 * fn's nonzero return, or -errno. */
int events_poll(struct events_reader *r, int timeout_ms);
void events_close(struct events_reader *r);

/* The events switch (sio_node). */
int events_switch_set(struct dataplane *dp, bool on);
int events_switch_get(struct dataplane *dp, bool *on);
/* Events written and lost (the ring was full), summed over CPUs. */
int events_counters(struct dataplane *dp, struct siobpf_event_stats *sum);

#endif /* SIOBPF_EVENTS_H */
