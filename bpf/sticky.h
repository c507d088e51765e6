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

/* The backend a live probation entry names, or NULL. With promote (the
 * client's own packets), an entry old enough moves to the sticky table
 * with the same backend and generation, seen now. */
static __always_inline struct siobpf_backend *
probation_backend(const struct siobpf_vip *vip, const struct siobpf_vip_admit *admit,
		  struct siobpf_admit_stats *stats, const struct siobpf_sticky_key *key, __u64 now,
		  int promote, __u32 *backend_id)
{
	struct siobpf_backend *backend;
	struct siobpf_sticky *entry, admitted;

	entry = bpf_map_lookup_elem(&sio_probation, key);
	if (!entry)
		return NULL;
	backend = backend_lookup(&entry->backend_id);
	if (!backend || !siobpf_sticky_live(vip, entry, backend, now))
		return NULL;
	*backend_id = entry->backend_id;
	if (!promote)
		return backend;
	if (!siobpf_probation_due(vip, admit, entry, now)) {
		if (stats)
			stats->deferred += 1;
		return backend;
	}
	admitted.backend_id = entry->backend_id;
	admitted.generation = entry->generation;
	admitted.last_seen = now;
	/* Promoted only once the sticky table holds it: a failed write keeps
	 * the client on probation, to be tried again by its next packet. */
	if (!bpf_map_update_elem(&sio_sticky, key, &admitted, BPF_ANY)) {
		bpf_map_delete_elem(&sio_probation, key);
		if (stats)
			stats->admitted += 1;
	}
	return backend;
}

/* The decision for a packet with no live protected entry: its probation
 * entry, else the ring (the previous one for a packet that is not a
 * connection start, inside the window after a change), remembered on
 * probation when the packet may make an entry. NULL: no backend in
 * service. *created says whether a probation entry was made. */
static __always_inline struct siobpf_backend *
sticky_admission(const struct siobpf_vip *vip, const struct siobpf_sticky_key *key, __u8 proto,
		 int start, __u64 now, __u32 *backend_id, int *created)
{
	struct siobpf_admit_stats *stats;
	struct siobpf_vip_admit *admit;
	struct siobpf_backend *backend = NULL;
	struct siobpf_sticky entry;
	__u32 vip_id = vip->id, slot;

	admit = bpf_map_lookup_elem(&sio_vip_admit, &vip_id);
	stats = bpf_map_lookup_elem(&sio_admit_stats, &vip_id);
	if (vip->persist_sec) {
		backend = probation_backend(vip, admit, stats, key, now, 1, backend_id);
		if (backend)
			return backend;
	}
	if (stats)
		stats->misses += 1;
	slot = siobpf_ring_slot(key, vip->hash_seed);
	if (!start && siobpf_prev_ring_active(admit, now)) {
		backend = ring_prev_slot_backend(vip, slot, backend_id);
		if (backend && stats)
			stats->prev_ring += 1;
	}
	if (!backend)
		backend = ring_slot_backend(vip, slot, backend_id);
	/* A VIP with no persistence keeps no sticky state. */
	if (!backend || !vip->persist_sec)
		return backend;
	if (!siobpf_creates_entry(proto, start)) {
		if (stats)
			stats->refused += 1;
		return backend;
	}
	entry.backend_id = *backend_id;
	entry.generation = backend->generation;
	entry.last_seen = now;
	bpf_map_update_elem(&sio_probation, key, &entry, BPF_ANY);
	if (stats)
		stats->created += 1;
	*created = 1;
	return backend;
}

#endif /* SIOBPF_BPF_STICKY_H */
