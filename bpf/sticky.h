/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The sticky table: the backend a client already has, and remembering the
 * one the ring gave it. The rules themselves are in siobpf/decide.h. */
#ifndef SIOBPF_BPF_STICKY_H
#define SIOBPF_BPF_STICKY_H

#include "siobpf/decide.h"
#include "maps.h"
#include "backend.h"

/* The backend a live entry names, or NULL (no entry, or not live). With
 * refresh, the entry's last-seen time is rewritten when
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

/* Records the ring's choice; a stale entry for the key is replaced. A VIP
 * with no persistence keeps no sticky state. */
static __always_inline void sticky_remember(const struct siobpf_vip *vip,
					    const struct siobpf_sticky_key *key, __u32 backend_id,
					    const struct siobpf_backend *backend, __u64 now)
{
	struct siobpf_sticky entry = {
		.backend_id = backend_id,
		.generation = backend->generation,
		.last_seen = now,
	};

	if (vip->persist_sec)
		bpf_map_update_elem(&sio_sticky, key, &entry, BPF_ANY);
}

#endif /* SIOBPF_BPF_STICKY_H */
