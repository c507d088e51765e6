// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The new-entry events' reader and switch; see events.h. */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "siobpf/table.h"
#include "events.h"

/* A record is an event only if it has an event's size and names a kind
 * and generation the table can hold: the program writes nothing else, but
 * a reader must not act on a record it cannot read. */
static bool event_valid(const void *data, size_t size)
{
	const struct siobpf_entry_event *ev = data;

	return size == sizeof(*ev) &&
	       (ev->kind == SIOBPF_SLOT_PROBATION || ev->kind == SIOBPF_SLOT_PROTECTED) &&
	       ev->generation <= SIOBPF_GEN_MASK && ev->backend_id < SIOBPF_MAX_BACKENDS &&
	       ev->key.vip_id < SIOBPF_MAX_VIPS;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct events_reader *r = ctx;
	struct siobpf_entry_event ev;
	int ret;

	if (!event_valid(data, size)) {
		r->malformed += 1;
		return 0;
	}
	/* A copy: the record's memory is the kernel's again once this
	 * returns, and fn may keep what it is given. */
	memcpy(&ev, data, sizeof(ev));
	ret = r->fn(&ev, r->ctx);
	if (!ret)
		return 0;
	/* libbpf stops the poll on a negative return only, and returns it:
	 * fn's own value is kept for events_poll. */
	r->stopped = ret;
	return -ECANCELED;
}

int events_open(struct events_reader *r, struct dataplane *dp, events_fn fn, void *ctx)
{
	memset(r, 0, sizeof(*r));
	if (!fn || dp->events_fd < 0)
		return -EINVAL;
	r->fn = fn;
	r->ctx = ctx;
	r->rb = ring_buffer__new(dp->events_fd, on_record, r, NULL);
	if (!r->rb)
		return errno ? -errno : -EINVAL;
	return 0;
}

int events_poll(struct events_reader *r, int timeout_ms)
{
	int n, m;

	if (!r->rb)
		return -EINVAL;
	r->stopped = 0;
	n = ring_buffer__poll(r->rb, timeout_ms);
	if (r->stopped)
		return r->stopped;
	if (n == -EINTR)
		n = 0;
	if (n < 0)
		return n;
	/* The program wakes a reader only once the ring is an eighth full
	 * (bpf/events.h): what came since without a wakeup is taken now. */
	m = ring_buffer__consume(r->rb);
	if (r->stopped)
		return r->stopped;
	return m < 0 ? m : n + m;
}

void events_close(struct events_reader *r)
{
	ring_buffer__free(r->rb);
	r->rb = NULL;
}

int events_switch_set(struct dataplane *dp, bool on)
{
	struct siobpf_node node;
	__u32 key = 0;

	/* The other settings are kept as they are. */
	if (bpf_map_lookup_elem(dp->node_fd, &key, &node))
		return -errno;
	node.events = on;
	return bpf_map_update_elem(dp->node_fd, &key, &node, BPF_ANY) ? -errno : 0;
}

int events_switch_get(struct dataplane *dp, bool *on)
{
	struct siobpf_node node;
	__u32 key = 0;

	if (bpf_map_lookup_elem(dp->node_fd, &key, &node))
		return -errno;
	*on = node.events != 0;
	return 0;
}

int events_counters(struct dataplane *dp, struct siobpf_event_stats *sum)
{
	return dataplane_event_stats(dp, sum);
}
