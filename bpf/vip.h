/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Finding the VIP a packet is for: the VIP index first (inlined array
 * reads), the VIP table when the index has no answer. */
#ifndef SIOBPF_BPF_VIP_H
#define SIOBPF_BPF_VIP_H

#include "siobpf/hash.h"
#include "maps.h"
#include "parse.h"

static __always_inline int vip_key_equal(const struct siobpf_vip_key *a,
					 const struct siobpf_vip_key *b)
{
	return a->addr[0] == b->addr[0] && a->addr[1] == b->addr[1] && a->addr[2] == b->addr[2] &&
	       a->addr[3] == b->addr[3] && a->port == b->port && a->proto == b->proto &&
	       a->family == b->family;
}

/* The VIP entry of the packet's destination key, or NULL. */
static __always_inline struct siobpf_vip *vip_lookup(struct packet *pkt)
{
	__u32 zero = 0, home;
	void *index;

	index = bpf_map_lookup_elem(&sio_vip_index, &zero);
	if (!index) /* maps pinned before the index existed: not built yet */
		return bpf_map_lookup_elem(&sio_vips, &pkt->dst);

	home = siobpf_vip_index_home(&pkt->dst);
#pragma unroll
	for (__u32 i = 0; i < SIOBPF_VIP_INDEX_PROBES; i++) {
		__u32 at = (home + i) & (SIOBPF_VIP_INDEX_SLOTS - 1);
		struct siobpf_vip_slot *slot = bpf_map_lookup_elem(index, &at);

		/* Keys fill their window from the home slot on, so an empty
		 * slot ends the search. */
		if (!slot || !slot->key.family)
			return NULL;
		if (vip_key_equal(&slot->key, &pkt->dst))
			return &slot->vip;
	}
	/* A full window: the key may be one the index had no room for. */
	return bpf_map_lookup_elem(&sio_vips, &pkt->dst);
}

/* The VIP a parsed packet is for, or NULL. Later IPv4 fragments carry no
 * ports and are matched through the address's port-0 alias; a packet that
 * has ports and names port 0 is for no VIP (VIPs never have port 0). */
static __always_inline struct siobpf_vip *vip_find(struct packet *pkt)
{
	struct siobpf_vip *vip;

	if (pkt->fragment == FRAG_LATER)
		pkt->dst.port = 0;
	vip = vip_lookup(pkt);
	if (vip && (vip->flags & SIOBPF_VIP_F_FRAG_ALIAS) && pkt->fragment != FRAG_LATER)
		return NULL;
	return vip;
}

#endif /* SIOBPF_BPF_VIP_H */
