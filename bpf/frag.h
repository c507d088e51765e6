/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Fragments: every fragment of a datagram goes where its first went. The
 * first fragment (which has the ports) records its VIP and backend, or "the
 * stack", in sio_frags under the datagram's addresses, protocol and IP
 * identification; the later ones (which have no ports) look it up there.
 * A later fragment seen before its first goes by its address entry (struct
 * siobpf_vip_addr): by the client's key when the address has a single `ip`
 * VIP of that protocol, else it is dropped (siobpf.bpf.c). */
#ifndef SIOBPF_BPF_FRAG_H
#define SIOBPF_BPF_FRAG_H

#include "maps.h"
#include "parse.h"

static __always_inline void frag_key_make(const struct packet *pkt, struct siobpf_frag_key *key)
{
	__builtin_memcpy(key->src, pkt->src, 16);
	__builtin_memcpy(key->dst, pkt->dst.addr, 16);
	key->id = pkt->frag_id;
	key->family = pkt->dst.family;
	key->proto = pkt->dst.proto;
	key->pad = 0;
}

/* A first fragment records where it went: vip_id SIOBPF_NO_VIP for the
 * stack. A datagram sent again with the same identification replaces it. */
static __always_inline void frag_remember(const struct packet *pkt, __u32 vip_id,
					  __u32 backend_id, __u64 now)
{
	struct siobpf_frag_key key;
	struct siobpf_frag entry = {
		.created = now,
		.vip_id = vip_id,
		.backend_id = backend_id,
	};

	frag_key_make(pkt, &key);
	bpf_map_update_elem(&sio_frags, &key, &entry, BPF_ANY);
}

/* Where the packet's datagram started, or NULL: never seen, or so long
 * ago (SIOBPF_FRAG_TIMEOUT_NS) that the identification may be another
 * datagram's. */
static __always_inline struct siobpf_frag *frag_find(const struct packet *pkt, __u64 now)
{
	struct siobpf_frag_key key;
	struct siobpf_frag *entry;

	frag_key_make(pkt, &key);
	entry = bpf_map_lookup_elem(&sio_frags, &key);
	if (!entry || now - entry->created >= SIOBPF_FRAG_TIMEOUT_NS)
		return NULL;
	return entry;
}

#endif /* SIOBPF_BPF_FRAG_H */
