/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The rules of the sticky decision, compiled into the XDP program and into
 * the user-space model (siobpf lookup), so the two cannot drift apart. */
#ifndef SIOBPF_DECIDE_H
#define SIOBPF_DECIDE_H

#include <linux/types.h>
#include "siobpf/abi.h"

#ifdef __bpf__
#define SIOBPF_INLINE static __always_inline
#else
#define SIOBPF_INLINE static inline
#endif

/* The client's sticky key under a VIP: the masked address, plus the port in
 * ip-port mode. src and sport are in network order. */
SIOBPF_INLINE void siobpf_sticky_key_make(const struct siobpf_vip *vip, const __u32 *src, __u16 sport,
					  struct siobpf_sticky_key *key)
{
	key->vip_id = vip->id;
	for (int i = 0; i < 4; i++)
		key->addr[i] = src[i] & vip->mask[i];
	key->port = vip->sticky == SIOBPF_STICKY_IP_PORT ? sport : 0;
	key->pad = 0;
}

/* A sticky entry counts while it is younger than the VIP's persistence and
 * its backend still serves this VIP, is not down, and is the same backend
 * (generation) that the entry was made for. Draining backends keep theirs. */
SIOBPF_INLINE int siobpf_sticky_live(const struct siobpf_vip *vip, const struct siobpf_sticky *entry,
				     const struct siobpf_backend *backend, __u64 now)
{
	return now - entry->last_seen < (__u64)vip->persist_sec * 1000000000ull &&
	       backend->in_use && backend->state != SIOBPF_BACKEND_DOWN &&
	       backend->generation == entry->generation && backend->vip_id == vip->id;
}

/* Whether a hit rewrites its entry's last-seen time. A client whose packets
 * are g apart keeps its entry while g plus the refresh period stays under the
 * persistence, so the period is SIOBPF_STICKY_REFRESH_NS (a bounded write
 * rate, and gaps up to persistence - 1 s) but never more than half the
 * persistence: with 1 s, an entry is refreshed from 0.5 s of age, so gaps up
 * to 0.5 s keep it, for at most two writes a second. */
SIOBPF_INLINE int siobpf_sticky_refresh_due(const struct siobpf_vip *vip,
					    const struct siobpf_sticky *entry, __u64 now)
{
	__u64 half = (__u64)vip->persist_sec * (1000000000ull / 2);
	__u64 period = half < SIOBPF_STICKY_REFRESH_NS ? half : SIOBPF_STICKY_REFRESH_NS;

	return now - entry->last_seen >= period;
}

/* Whether a backend found on the ring may take a new client. */
SIOBPF_INLINE int siobpf_backend_takes_new(const struct siobpf_vip *vip,
					   const struct siobpf_backend *backend)
{
	return backend->in_use && backend->state == SIOBPF_BACKEND_UP && backend->vip_id == vip->id;
}

#endif /* SIOBPF_DECIDE_H */
