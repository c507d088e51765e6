/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The VIP index the program reads (struct siobpf_vip_slot), built from the
 * VIP table's entries. Kept apart from the maps so that it can be tested on
 * its own. */
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

#endif /* SIOBPF_VIP_TABLE_H */
