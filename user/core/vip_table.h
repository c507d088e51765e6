/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The VIP index the program reads (struct siobpf_vip_slot), built from the
 * VIP table's entries, and its publication. The build is kept apart from the
 * maps so that it can be tested on its own. */
#ifndef SIOBPF_VIP_TABLE_H
#define SIOBPF_VIP_TABLE_H

#include <stddef.h>

#include "siobpf/abi.h"

/* Fills slots[SIOBPF_VIP_INDEX_SLOTS] (zeroed first) with the n keys and
 * their VIPs: each key in the first free slot of its probe window, in the
 * order given. Returns how many keys found no free slot in their window;
 * the program finds those in the VIP table itself. */
size_t vip_index_fill(struct siobpf_vip_slot *slots, const struct siobpf_vip_key *keys,
		      const struct siobpf_vip *vips, size_t n);

struct dataplane;

/* Makes the VIP table's current contents what the program sees: writes
 * every address's port-0 address entry (struct siobpf_vip_addr: how many
 * VIPs of that protocol the address has, and the one's id and port), drops
 * stale ones, and swaps in a VIP index built from the result. Call it after every change to
 * the VIP table; until then the program keeps the previous index. */
int dataplane_vips_publish(struct dataplane *dp);
/* 1 when the address entries and the index are what dataplane_vips_publish would
 * make of the VIP table now, 0 when they are stale, or -errno. */
int dataplane_vips_published(struct dataplane *dp);

#endif /* SIOBPF_VIP_TABLE_H */
