/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The per-packet floor every figure is set against: swap the MACs and send
 * the frame back. One copy, so the floor and its in-program reference in
 * cost.bpf.c are the same code. */
#ifndef SIOBENCH_SWAP_BPF_H
#define SIOBENCH_SWAP_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>

static __always_inline int swap_macs_tx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u8 tmp[ETH_ALEN];

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	__builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, tmp, ETH_ALEN);
	return XDP_TX;
}

#endif /* SIOBENCH_SWAP_BPF_H */
