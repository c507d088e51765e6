/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The previous sticky table, kept buildable as the bench's baseline: two
 * LRU hashes of the full sticky key (protected entries, and an eighth as
 * many on probation) of a 16-byte entry, with that table's rules of
 * liveness, refresh and promotion. bench.mk builds bpf/siobpf.bpf.c with
 * -DSIOBPF_STICKY_IMPL='"sticky_prev.h"' into siobpf_prev.bpf.o: the same
 * program but for this file, which provides what the program calls of its
 * sticky table (sticky_admission, sticky_peek, ADMIT_PACKET).
 *
 * The code is the previous bpf/sticky.h and the rules of the previous
 * siobpf/decide.h, renamed where the new ones took the names. As then, a
 * protected hit is found inline, in the program's own code, and only a
 * miss calls the global function; the one difference is that the caller
 * now looks the hit's backend record up again by id (two array lookups of
 * lines the hit just read). siobench loads this object with every map the
 * real program also has (sio_sticky too, unused here) reusing the real
 * program's, so that only the sticky tables differ. */
#ifndef SIOBENCH_STICKY_PREV_H
#define SIOBENCH_STICKY_PREV_H

#include "siobpf/decide.h"
#include "maps.h"
#include "backend.h"
#include "ring.h"
#include "bench.h"

/* Protected entries: shared by all CPUs, LRU. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PREV_STICKY_ENTRIES);
	__type(key, struct siobpf_sticky_key);
	__type(value, struct prev_sticky);
} sio_sticky_lru SEC(".maps");

/* Entries on probation: every new client's first entry goes here, so that
 * a flood of new sources evicts only other newcomers. last_seen is when it
 * was made. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PREV_PROBATION_ENTRIES);
	__type(key, struct siobpf_sticky_key);
	__type(value, struct prev_sticky);
} sio_probation SEC(".maps");

/* An entry counts while it is younger than the VIP's persistence and its
 * backend still serves this VIP, is not down, and is the same backend
 * (generation) the entry was made for. */
static __always_inline int prev_live(const struct siobpf_vip *vip, const struct prev_sticky *entry,
				     const struct siobpf_backend *backend, __u64 now)
{
	return now - entry->last_seen < (__u64)vip->persist_sec * 1000000000ull &&
	       backend->in_use && backend->state != SIOBPF_BACKEND_DOWN &&
	       backend->generation == entry->generation && backend->vip_id == vip->id;
}

/* A hit rewrites last_seen every SIOBPF_STICKY_REFRESH_NS, or every half
 * persistence when that is shorter. */
static __always_inline int prev_refresh_due(const struct siobpf_vip *vip, const struct prev_sticky *entry,
					    __u64 now)
{
	__u64 half = (__u64)vip->persist_sec * (1000000000ull / 2);
	__u64 period = half < SIOBPF_STICKY_REFRESH_NS ? half : SIOBPF_STICKY_REFRESH_NS;

	return now - entry->last_seen >= period;
}

/* A probation entry is promoted once it is the admission gap old. */
static __always_inline int prev_probation_due(const struct siobpf_vip *vip,
					      const struct siobpf_vip_admit *admit,
					      const struct prev_sticky *entry, __u64 now)
{
	return now - entry->last_seen >= siobpf_admit_gap_ns(vip, admit);
}

/* The backend a live protected entry names, or NULL. With refresh, the
 * entry's last-seen time is rewritten when due. */
static __always_inline struct siobpf_backend *sticky_backend(const struct siobpf_vip *vip,
							     const struct siobpf_sticky_key *key,
							     __u64 now, int refresh, __u32 *backend_id)
{
	struct siobpf_backend *backend;
	struct prev_sticky *entry;

	entry = bpf_map_lookup_elem(&sio_sticky_lru, key);
	if (!entry)
		return NULL;
	backend = backend_lookup(&entry->backend_id);
	if (!backend || !prev_live(vip, entry, backend, now))
		return NULL;
	if (refresh && prev_refresh_due(vip, entry, now))
		entry->last_seen = now;
	*backend_id = entry->backend_id;
	return backend;
}

/* A live probation entry hit by the client's own packet: promoted when it
 * is old enough (written to the protected table, deleted from probation). */
static __always_inline int probation_promote(const struct siobpf_vip *vip,
					     const struct siobpf_sticky_key *key,
					     const struct prev_sticky *entry, __u64 now)
{
	__u32 vip_id = vip->id;
	struct siobpf_vip_admit *admit = bpf_map_lookup_elem(&sio_vip_admit, &vip_id);
	struct siobpf_admit_stats *stats = bpf_map_lookup_elem(&sio_admit_stats, &vip_id);
	struct prev_sticky admitted;

	if (!admit || !stats)
		return 0;
	if (!prev_probation_due(vip, admit, entry, now)) {
		stats->deferred += 1;
		return 0;
	}
	admitted.backend_id = entry->backend_id;
	admitted.generation = entry->generation;
	admitted.last_seen = now;
	if (bpf_map_update_elem(&sio_sticky_lru, key, &admitted, BPF_ANY))
		return 0;
	bpf_map_delete_elem(&sio_probation, key);
	stats->admitted += 1;
	return 1;
}

static __always_inline struct siobpf_backend *
probation_backend(const struct siobpf_vip *vip, const struct siobpf_sticky_key *key, __u64 now,
		  int promote, __u32 *backend_id)
{
	struct siobpf_backend *backend;
	struct prev_sticky *entry;

	entry = bpf_map_lookup_elem(&sio_probation, key);
	if (!entry)
		return NULL;
	backend = backend_lookup(&entry->backend_id);
	if (!backend || !prev_live(vip, entry, backend, now))
		return NULL;
	*backend_id = entry->backend_id;
	if (promote)
		probation_promote(vip, key, entry, now);
	return backend;
}

#define ADMIT_PACKET(proto, tcp_flags) ((__u32)(proto) | (__u32)(tcp_flags) << 8)
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_ACK 0x10

/* The previous sticky_admission: the decision for a packet with no live
 * protected entry (its probation entry, else the ring, remembered on
 * probation). Global, as it was. */
__noinline __u32 prev_admission(const struct siobpf_vip *vip, const struct siobpf_sticky_key *key,
				__u32 packet, __u64 now, __u32 *created)
{
	struct siobpf_admit_stats *stats;
	struct siobpf_vip_admit *admit;
	struct siobpf_backend *backend = NULL;
	struct prev_sticky entry;
	__u32 vip_id, slot, backend_id = SIOBPF_NO_BACKEND;
	__u8 proto = packet & 0xff;
	int start = proto == 6 /* IPPROTO_TCP */ &&
		    ((packet >> 8) & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;

	if (!vip || !key || !created)
		return SIOBPF_NO_BACKEND;
	vip_id = vip->id;
	admit = bpf_map_lookup_elem(&sio_vip_admit, &vip_id);
	stats = bpf_map_lookup_elem(&sio_admit_stats, &vip_id);
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

/* What the program calls: the protected hit inline (the previous hot
 * path), else prev_admission. */
static __always_inline __u32 sticky_admission(const struct siobpf_vip *vip,
					      const struct siobpf_sticky_key *key, __u32 packet,
					      __u64 now, __u32 *created)
{
	__u32 backend_id = SIOBPF_NO_BACKEND;

	if (vip->persist_sec && sticky_backend(vip, key, now, 1, &backend_id))
		return backend_id;
	return prev_admission(vip, key, packet, now, created);
}

/* For ICMP errors: look only, protected then probation. */
static __always_inline __u32 sticky_peek(const struct siobpf_vip *vip, const struct siobpf_sticky_key *key,
					 __u64 now)
{
	__u32 backend_id = SIOBPF_NO_BACKEND;

	if (!vip->persist_sec)
		return SIOBPF_NO_BACKEND;
	if (sticky_backend(vip, key, now, 0, &backend_id) ||
	    probation_backend(vip, key, now, 0, &backend_id))
		return backend_id;
	return SIOBPF_NO_BACKEND;
}

#endif /* SIOBENCH_STICKY_PREV_H */
