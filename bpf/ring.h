/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Maglev ring lookup: the backend for a client with no live sticky entry,
 * on the VIP's ring or, for a while after a change, its previous one. */
#ifndef SIOBPF_BPF_RING_H
#define SIOBPF_BPF_RING_H

#include "siobpf/decide.h"
#include "siobpf/hash.h"
#include "maps.h"
#include "backend.h"

/* Backend id in a slot of the VIP's ring in rings (sio_rings or
 * sio_prev_rings), or SIOBPF_NO_BACKEND when there is no such ring or the
 * slot is empty. */
static __always_inline __u32 ring_slot_id(void *rings, const struct siobpf_vip *vip, __u32 slot)
{
	__u32 vip_id = vip->id;
	__u32 *backend_id;
	void *ring;

	ring = bpf_map_lookup_elem(rings, &vip_id);
	if (!ring)
		return SIOBPF_NO_BACKEND;
	backend_id = bpf_map_lookup_elem(ring, &slot);
	return backend_id ? *backend_id : SIOBPF_NO_BACKEND;
}

/* Asks for the line of slot in the VIP's ring without waiting for it: a
 * new client reads it after its two buckets, and with the sticky table
 * streaming through the cache it is often a miss of its own. Read early,
 * it overlaps theirs. */
static __always_inline void ring_slot_touch(const struct siobpf_vip *vip, __u32 slot)
{
	__u32 vip_id = vip->id;
	__u32 *backend_id;
	void *ring;

	ring = bpf_map_lookup_elem(&sio_rings, &vip_id);
	if (!ring)
		return;
	backend_id = bpf_map_lookup_elem(ring, &slot);
	if (backend_id)
		(void)*(volatile __u32 *)backend_id;
}

/* Backend id on the VIP's ring for this key, or SIOBPF_NO_BACKEND. */
static __always_inline __u32 ring_backend_id(const struct siobpf_vip *vip,
					     const struct siobpf_sticky_key *key)
{
	return ring_slot_id(&sio_rings, vip, siobpf_ring_slot(key, vip->hash_seed));
}

/* The backend in slot of the current ring, if it may take a new client. A
 * ring is rebuilt whenever a backend leaves service; until the swap lands,
 * a slot that still names such a backend is treated as empty. */
static __always_inline struct siobpf_backend *ring_slot_backend(const struct siobpf_vip *vip,
								__u32 slot, __u32 *backend_id)
{
	struct siobpf_backend *backend;

	*backend_id = ring_slot_id(&sio_rings, vip, slot);
	if (*backend_id == SIOBPF_NO_BACKEND)
		return NULL;
	backend = backend_lookup(backend_id);
	if (!backend || !siobpf_backend_takes_new(vip, backend))
		return NULL;
	return backend;
}

/* The backend in slot of the previous ring, if it still takes the packets
 * of connections started on it (siobpf_backend_keeps): NULL sends the
 * packet to the current ring. */
static __always_inline struct siobpf_backend *ring_prev_slot_backend(const struct siobpf_vip *vip,
								     __u32 slot, __u32 *backend_id)
{
	struct siobpf_backend *backend;
	__u32 id = ring_slot_id(&sio_prev_rings, vip, slot);

	if (id == SIOBPF_NO_BACKEND)
		return NULL;
	backend = backend_lookup(&id);
	if (!backend || !siobpf_backend_keeps(vip, backend))
		return NULL;
	*backend_id = id;
	return backend;
}

/* The backend on the ring, if it may take a new client. */
static __always_inline struct siobpf_backend *ring_backend(const struct siobpf_vip *vip,
							   const struct siobpf_sticky_key *key,
							   __u32 *backend_id)
{
	return ring_slot_backend(vip, siobpf_ring_slot(key, vip->hash_seed), backend_id);
}

#endif /* SIOBPF_BPF_RING_H */
