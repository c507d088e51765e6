/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Forwarding by L2 direct server return: only the MACs change, so the IP
 * and L4 headers (and their checksums) reach the backend as the client sent
 * them, and the backend answers the client directly. */
#ifndef SIOBPF_BPF_FORWARD_H
#define SIOBPF_BPF_FORWARD_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

#include "siobpf/abi.h"

/* Rewrites the frame for the backend; returns the XDP action and sets
 * *reason to the forward counter it belongs to. */
static __always_inline int forward_dsr(struct xdp_md *ctx, const struct siobpf_backend *backend,
				       int *reason)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end) { /* parsed before; keeps the verifier sure */
		*reason = SIOBPF_R_DROP_BAD_L2;
		return XDP_DROP;
	}
	__builtin_memcpy(eth->h_dest, backend->mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, backend->src_mac, ETH_ALEN);

	if (backend->ifindex == ctx->ingress_ifindex) {
		*reason = SIOBPF_R_TX;
		return XDP_TX;
	}
	*reason = SIOBPF_R_REDIRECT;
	return bpf_redirect(backend->ifindex, 0);
}

#endif /* SIOBPF_BPF_FORWARD_H */
