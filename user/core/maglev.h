/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The weighted Maglev ring builder. */
#ifndef SIOBPF_MAGLEV_H
#define SIOBPF_MAGLEV_H

#include <stddef.h>
#include <linux/types.h>

#include "siobpf/abi.h"

/* What the builder needs to know of a backend. The id is what the ring
 * stores; everything that decides the ring is the rest. */
struct maglev_backend {
	__u32 id;
	__u32 addr[4]; /* network order, IPv4 in addr[0] */
	__u8 family;
	__u8 state;    /* enum siobpf_backend_state */
	__u32 weight;  /* 1..SIOBPF_MAX_WEIGHT */
};

/*
 * Fills ring[0..SIOBPF_RING_SIZE) with backend ids. The result depends only
 * on the set of backends (not their order or ids' order) and the seed, so
 * nodes with the same configuration build the same ring.
 *
 * 1. Weighted Maglev over every configured backend, whatever its state:
 *    balanced within 1% while N <= SIOBPF_RING_SIZE / 100. Adding a backend
 *    moves about 1/(N+1) of the slots while the ring is large next to N
 *    (measured at M = 65537: 1.0x that share for N = 3, 1.05x for N = 10,
 *    1.6x for N = 100, 5.7x for N = 500; a larger RING_SIZE brings it back).
 * 2. The slots of backends not `up` (drained or down) go to the `up` ones by
 *    weighted rendezvous hashing per slot, so taking a backend out of service
 *    moves only its own slots, however many are out already.
 *
 * Slots are SIOBPF_NO_BACKEND when no backend is up. Returns 0, -EINVAL for a
 * weight out of range or a backend listed twice, or -ENOMEM.
 */
int maglev_build(const struct maglev_backend *backends, size_t count, __u32 seed, __u32 *ring);

#endif /* SIOBPF_MAGLEV_H */
