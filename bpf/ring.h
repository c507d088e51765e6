/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Maglev ring lookup: the backend for a client with no live sticky entry. */
#ifndef SIOBPF_BPF_RING_H
#define SIOBPF_BPF_RING_H

#include "siobpf/decide.h"
#include "siobpf/hash.h"
#include "maps.h"
#include "backend.h"

/* Backend id on the VIP's ring for this key, or SIOBPF_NO_BACKEND when the
 * VIP has no ring or the slot is empty. */
static __always_inline __u32 ring_backend_id(const struct siobpf_vip *vip,
					     const struct siobpf_sticky_key *key)
{
	__u32 slot = siobpf_ring_slot(key, vip->hash_seed);
	__u32 vip_id = vip->id;
	__u32 *backend_id;
	void *ring;

	ring = bpf_map_lookup_elem(&sio_rings, &vip_id);
	if (!ring)
		return SIOBPF_NO_BACKEND;
	backend_id = bpf_map_lookup_elem(ring, &slot);
	return backend_id ? *backend_id : SIOBPF_NO_BACKEND;
}

/* The backend on the ring, if it may take a new client. A ring is rebuilt
 * whenever a backend leaves service; until the swap lands, a slot that
 * still names such a backend is treated as empty. */
static __always_inline struct siobpf_backend *ring_backend(const struct siobpf_vip *vip,
							   const struct siobpf_sticky_key *key,
							   __u32 *backend_id)
{
	struct siobpf_backend *backend;

	*backend_id = ring_backend_id(vip, key);
	if (*backend_id == SIOBPF_NO_BACKEND)
		return NULL;
	backend = backend_lookup(backend_id);
	if (!backend || !siobpf_backend_takes_new(vip, backend))
		return NULL;
	return backend;
}

#endif /* SIOBPF_BPF_RING_H */
