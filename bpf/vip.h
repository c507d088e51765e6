/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Finding the VIP a packet is for, or its address entry: the VIP index
 * first (inlined array reads), the VIP table when the index has no answer. */
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

/* The VIP table's entry for a key (a VIP, or with port 0 an address
 * entry), or NULL. */
static __always_inline struct siobpf_vip *vip_lookup(const struct siobpf_vip_key *key)
{
	__u32 zero = 0, home;
	void *index;

	index = bpf_map_lookup_elem(&sio_vip_index, &zero);
	if (!index) /* maps pinned before the index existed: not built yet */
		return bpf_map_lookup_elem(&sio_vips, key);

	home = siobpf_vip_index_home(key);
#pragma unroll
	for (__u32 i = 0; i < SIOBPF_VIP_INDEX_PROBES; i++) {
		__u32 at = (home + i) & (SIOBPF_VIP_INDEX_SLOTS - 1);
		struct siobpf_vip_slot *slot = bpf_map_lookup_elem(index, &at);

		/* Keys fill their window from the home slot on, so an empty
		 * slot ends the search. */
		if (!slot || !slot->key.family)
			return NULL;
		if (vip_key_equal(&slot->key, key))
			return &slot->vip;
	}
	/* A full window: the key may be one the index had no room for. */
	return bpf_map_lookup_elem(&sio_vips, key);
}

/* The VIP a packet with ports is for, or NULL. A packet that names port 0
 * is for no VIP (VIPs never have port 0: that key is the address entry). */
static __always_inline struct siobpf_vip *vip_find(const struct packet *pkt)
{
	struct siobpf_vip *vip = vip_lookup(&pkt->dst);

	if (vip && (vip->flags & SIOBPF_VIP_F_FRAG_ALIAS))
		return NULL;
	return vip;
}

/* The address entry of the packet's destination address and protocol, or
 * NULL when no VIP of that protocol has the address (transit traffic). */
static __always_inline struct siobpf_vip_addr *vip_addr_find(const struct packet *pkt)
{
	struct siobpf_vip_key key = pkt->dst;
	struct siobpf_vip *entry;

	key.port = 0;
	entry = vip_lookup(&key);
	if (!entry || !(entry->flags & SIOBPF_VIP_F_FRAG_ALIAS))
		return NULL;
	return (struct siobpf_vip_addr *)entry;
}

/* The address's one VIP, as its address entry names it, or NULL when the
 * address has several (or the table changed since the entry was read). */
static __always_inline struct siobpf_vip *vip_addr_single(const struct packet *pkt,
							  const struct siobpf_vip_addr *addr)
{
	struct siobpf_vip_key key = pkt->dst;
	struct siobpf_vip *vip;

	if (addr->vips != 1)
		return NULL;
	key.port = addr->port;
	vip = vip_lookup(&key);
	if (!vip || (vip->flags & SIOBPF_VIP_F_FRAG_ALIAS) || vip->id != addr->vip_id)
		return NULL;
	return vip;
}

#endif /* SIOBPF_BPF_VIP_H */
