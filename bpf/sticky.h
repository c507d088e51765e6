/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The sticky decision: the backend a client already has (its protected
 * entry, else its probation entry, promoted once the client comes back
 * later), else the ring's, remembered on probation. The rules themselves,
 * admission included, are in siobpf/decide.h. */
#ifndef SIOBPF_BPF_STICKY_H
#define SIOBPF_BPF_STICKY_H

#include "siobpf/decide.h"
#include "maps.h"
#include "backend.h"
#include "ring.h"

/* The backend a live protected entry names, or NULL (no entry, or not
 * live). With refresh, the entry's last-seen time is rewritten when
 * siobpf_sticky_refresh_due says so; packets that are not the client's own
 * (ICMP errors about its flows) look without it: they must not keep it alive. */
static __always_inline struct siobpf_backend *sticky_backend(const struct siobpf_vip *vip,
							     const struct siobpf_sticky_key *key,
							     __u64 now, int refresh, __u32 *backend_id)
{
	struct siobpf_backend *backend;
	struct siobpf_sticky *entry;

	entry = bpf_map_lookup_elem(&sio_sticky, key);
	if (!entry)
		return NULL;
	backend = backend_lookup(&entry->backend_id);
	if (!backend || !siobpf_sticky_live(vip, entry, backend, now))
		return NULL;
	if (refresh && siobpf_sticky_refresh_due(vip, entry, now))
		entry->last_seen = now;
	*backend_id = entry->backend_id;
	return backend;
}

/* A live probation entry hit by the client's own packet: promoted when it
 * is old enough (written to the sticky table with the same backend and
 * generation, seen now, and deleted from probation), else left as it is. */
static __always_inline int probation_promote(const struct siobpf_vip *vip,
					const struct siobpf_sticky_key *key,
					const struct siobpf_sticky *entry, __u64 now)
{
	__u32 vip_id = vip->id;
	struct siobpf_vip_admit *admit = bpf_map_lookup_elem(&sio_vip_admit, &vip_id);
	struct siobpf_admit_stats *stats = bpf_map_lookup_elem(&sio_admit_stats, &vip_id);
	struct siobpf_sticky admitted;

	if (!admit || !stats) /* never, for a VIP's id */
		return 0;
	if (!siobpf_probation_due(vip, admit, entry, now)) {
		stats->deferred += 1;
		return 0;
	}
	admitted.backend_id = entry->backend_id;
	admitted.generation = entry->generation;
	admitted.last_seen = now;
	/* Promoted only once the sticky table holds it: a failed write keeps
	 * the client on probation, to be tried again by its next packet. */
	if (bpf_map_update_elem(&sio_sticky, key, &admitted, BPF_ANY))
		return 0;
	bpf_map_delete_elem(&sio_probation, key);
	stats->admitted += 1;
	return 1;
}

/* The backend a live probation entry names, or NULL. With promote (the
 * client's own packets, not ICMP errors about its flows), an entry old
 * enough moves to the sticky table (probation_promote). */
static __always_inline struct siobpf_backend *
probation_backend(const struct siobpf_vip *vip, const struct siobpf_sticky_key *key, __u64 now,
		  int promote, __u32 *backend_id)
{
	struct siobpf_backend *backend;
	struct siobpf_sticky *entry;

	entry = bpf_map_lookup_elem(&sio_probation, key);
	if (!entry)
		return NULL;
	backend = backend_lookup(&entry->backend_id);
	if (!backend || !siobpf_sticky_live(vip, entry, backend, now))
		return NULL;
	*backend_id = entry->backend_id;
	if (promote)
		probation_promote(vip, key, entry, now);
	return backend;
}

/* sticky_admission's packet argument: the protocol, and TCP's flags above. */
#define ADMIT_PACKET(proto, tcp_flags) ((__u32)(proto) | (__u32)(tcp_flags) << 8)
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_ACK 0x10

/* The decision for a packet with no live protected entry: its probation
 * entry, else the ring (the previous one for a packet that is not a
 * connection start, inside the window after a change), remembered on
 * probation when the packet may make an entry. Returns the backend's id,
 * SIOBPF_NO_BACKEND when none is in service; *created says whether a
 * probation entry was made.
 *
 * A global function: the verifier checks it once, on its own, instead of
 * once for every path that reaches it (each VIP index probe, each way the
 * sticky lookup misses), which made the program several times slower to
 * load. So it returns an id, not the record, and checks its pointers. */
__noinline __u32 sticky_admission(const struct siobpf_vip *vip, const struct siobpf_sticky_key *key,
				  __u32 packet, __u64 now, __u32 *created)
{
	struct siobpf_admit_stats *stats;
	struct siobpf_vip_admit *admit;
	struct siobpf_backend *backend = NULL;
	struct siobpf_sticky entry;
	__u32 vip_id, slot, backend_id = SIOBPF_NO_BACKEND;
	__u8 proto = packet & 0xff;
	/* A connection start: a TCP SYN without ACK. */
	int start = proto == 6 /* IPPROTO_TCP */ &&
		    ((packet >> 8) & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;

	if (!vip || !key || !created)
		return SIOBPF_NO_BACKEND;
	vip_id = vip->id;
	admit = bpf_map_lookup_elem(&sio_vip_admit, &vip_id);
	stats = bpf_map_lookup_elem(&sio_admit_stats, &vip_id);
	/* Never NULL for a VIP's id. */
	if (!admit || !stats)
		return ring_backend(vip, key, &backend_id) ? backend_id : SIOBPF_NO_BACKEND;
	if (vip->persist_sec && probation_backend(vip, key, now, 1, &backend_id))
		return backend_id;
	stats->misses += 1;
	slot = siobpf_ring_slot(key, vip->hash_seed);
	if (!start && siobpf_prev_ring_active(admit, now)) {
		backend = ring_prev_slot_backend(vip, slot, &backend_id);
		if (backend)
			stats->prev_ring += 1;
	}
	if (!backend)
		backend = ring_slot_backend(vip, slot, &backend_id);
	if (!backend)
		return SIOBPF_NO_BACKEND;
	/* A VIP with no persistence keeps no sticky state. */
	if (!vip->persist_sec)
		return backend_id;
	if (!siobpf_creates_entry(proto, start)) {
		stats->refused += 1;
		return backend_id;
	}
	entry.backend_id = backend_id;
	entry.generation = backend->generation;
	entry.last_seen = now;
	bpf_map_update_elem(&sio_probation, key, &entry, BPF_ANY);
	stats->created += 1;
	*created = 1;
	return backend_id;
}

#endif /* SIOBPF_BPF_STICKY_H */
