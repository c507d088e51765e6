/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* New-entry events (struct siobpf_entry_event): what the sticky decision
 * creates or promotes, told to a consumer through the sio_events ring
 * buffer while sio_node's switch is on. An event never holds a packet up:
 * the ring is reserved without waiting, and one it has no room for is
 * counted and dropped. */
#ifndef SIOBPF_BPF_EVENTS_H
#define SIOBPF_BPF_EVENTS_H

#include "siobpf/table.h"
#include "maps.h"

/* Whether a consumer asked for events: the one load a new entry pays
 * when none did. */
static __always_inline int events_on(void)
{
	__u32 zero = 0;
	struct siobpf_node *node = bpf_map_lookup_elem(&sio_node, &zero);

	return node && node->events;
}

/* The reader is woken (an interrupt's work, then its epoll) only once the
 * ring holds this much: a wakeup per event would cost more than the event
 * itself. A reader polls with a timeout and takes the rest then. */
#define EVENTS_WAKEUP_BYTES (SIOBPF_EVENTS_BYTES / 8)

/* One event, written in place in the ring (reserve and submit: no copy,
 * no wait); a full ring counts it lost. */
static __always_inline void entry_event(const struct siobpf_sticky_key *key, __u32 backend_id,
					__u32 generation, __u32 kind, __u64 now)
{
	__u32 zero = 0;
	struct siobpf_event_stats *stats = bpf_map_lookup_elem(&sio_ev_stats, &zero);
	struct siobpf_entry_event *ev;

	ev = bpf_ringbuf_reserve(&sio_events, sizeof(*ev), 0);
	if (!ev) {
		if (stats)
			stats->lost += 1;
		return;
	}
	__builtin_memcpy(&ev->key, key, sizeof(ev->key));
	ev->backend_id = backend_id;
	ev->generation = generation & SIOBPF_GEN_MASK;
	ev->kind = kind;
	ev->pad = 0;
	ev->seen_ns = now;
	bpf_ringbuf_submit(ev, bpf_ringbuf_query(&sio_events, BPF_RB_AVAIL_DATA) >= EVENTS_WAKEUP_BYTES
				       ? BPF_RB_FORCE_WAKEUP
				       : BPF_RB_NO_WAKEUP);
	if (stats)
		stats->written += 1;
}

#endif /* SIOBPF_BPF_EVENTS_H */
