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
#include "maps.h"

/* Notes a redirect for the tracing program (egress.h), which takes it back
 * out of the counters if the kernel then fails to send the frame. */
static __always_inline void forward_note(__u32 vip_id, __u32 backend_id, __u32 bytes, __u32 ifindex)
{
	__u32 zero = 0;
	struct siobpf_last_redirect *last = bpf_map_lookup_elem(&sio_last, &zero);

	if (last) {
		last->vip_id = vip_id;
		last->backend_id = backend_id;
		last->bytes = bytes;
		last->ifindex = ifindex;
	}
}

/* Rewrites the frame for the backend; returns the XDP action and sets
 * *reason to the forward counter it belongs to. The ingress interface sends
 * with XDP_TX; any other through the sio_egress devmap, so that an interface
 * user space did not put there is a counted drop, not a silent one. */
static __always_inline int forward_dsr(struct xdp_md *ctx, const struct siobpf_backend *backend,
				       __u32 vip_id, __u32 backend_id, __u32 bytes, int *reason)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 ifindex = backend->ifindex;
	int action;

	if ((void *)(eth + 1) > data_end) { /* parsed before; keeps the verifier sure */
		*reason = SIOBPF_R_DROP_BAD_L2;
		return XDP_DROP;
	}
	__builtin_memcpy(eth->h_dest, backend->mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, backend->src_mac, ETH_ALEN);

	if (ifindex == ctx->ingress_ifindex) {
		*reason = SIOBPF_R_TX;
		return XDP_TX;
	}
	/* XDP_ABORTED when the interface is not in the map (never a redirect). */
	action = bpf_redirect_map(&sio_egress, ifindex, XDP_ABORTED);
	if (action != XDP_REDIRECT) {
		*reason = SIOBPF_R_DROP_NO_EGRESS;
		return XDP_DROP;
	}
	forward_note(vip_id, backend_id, bytes, ifindex);
	*reason = SIOBPF_R_REDIRECT;
	return XDP_REDIRECT;
}

#endif /* SIOBPF_BPF_FORWARD_H */
