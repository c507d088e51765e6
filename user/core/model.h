/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The data path's decision, computed in user space from the same maps,
 * hash and rules as the XDP program (siobpf lookup, differential tests). */
#ifndef SIOBPF_MODEL_H
#define SIOBPF_MODEL_H

#include <linux/types.h>

#include "siobpf/abi.h"

enum model_source {
	MODEL_STICKY,     /* a live protected slot names the backend */
	MODEL_RING,       /* no live entry: the ring slot names it */
	MODEL_NO_BACKEND, /* the ring has nothing in service: the packet is dropped */
	MODEL_PROBATION,  /* a live slot on probation names it */
	MODEL_PREV_RING,  /* no live entry, not a connection start, inside the
			   * window after a ring change: the previous ring's slot */
};

struct model_choice {
	enum model_source source;
	__u32 backend_id; /* SIOBPF_NO_BACKEND with MODEL_NO_BACKEND */
	__u32 slot;       /* the ring slot of the key (whatever the source) */
	__u64 age_ns;     /* the slot's age with MODEL_STICKY / MODEL_PROBATION (time units' worth) */
	int refresh;      /* with MODEL_STICKY: the packet renews the slot's deadline */
	int promote;      /* with MODEL_PROBATION: the packet promotes the entry */
	int create;       /* with MODEL_RING / MODEL_PREV_RING: it makes a probation slot (if one is free) */
};

/* The state the decision reads. */
struct model_state {
	const struct siobpf_vip *vip;
	const struct siobpf_backend *backends; /* the whole table, indexed by id */
	const __u32 *ring;                     /* SIOBPF_RING_SIZE ids, or NULL: no ring */
	const __u64 *slot;                     /* the key's live slot (sticky_table_find), or NULL */
	__u64 now;                             /* dataplane_now() */
	const struct siobpf_vip_admit *admit;  /* the VIP's admission record, or NULL */
	const __u32 *prev_ring;                /* the previous ring, or NULL */
	__u8 proto;                            /* the packet's: IPPROTO_TCP (0 too) or _UDP */
	int not_start;                         /* the packet is not a TCP SYN (0: a SYN) */
};

/* What the program decides for a key (made with siobpf_sticky_key_make). */
struct model_choice model_decide(const struct model_state *state,
				 const struct siobpf_sticky_key *key);

#endif /* SIOBPF_MODEL_H */
