// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The baselines siobpf is measured against: the least an XDP program that
 * sends a frame back out can do (floor_swap), and a forwarder that takes a
 * VIP's frames to a backend with no table or ring at all (floor_fwd). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "bench.h"
#include "swap.bpf.h"

/* Swap the MACs and send the frame back: the per-packet floor. */
SEC("xdp.frags")
int floor_swap(struct xdp_md *ctx)
{
	return swap_macs_tx(ctx);
}

/* Written by `siobench fwd-attach`: per-interface data lives in maps, not in
 * .rodata (see TESTING.md on const volatile arrays). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fwd_config);
} fwd_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FWD_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct fwd_mac);
} fwd_macs SEC(".maps");

/* IPv4 frames for the VIP go to backend (client address mod N): the extra
 * hop of an L2 DSR balancer with no lookup. Everything else passes. */
SEC("xdp.frags")
int floor_fwd(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct fwd_config *cfg;
	struct fwd_mac *be;
	struct iphdr *ip;
	__u32 zero = 0, pick;

	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	cfg = bpf_map_lookup_elem(&fwd_cfg, &zero);
	if (!cfg || !cfg->backends || ip->daddr != cfg->vip)
		return XDP_PASS;
	pick = bpf_ntohl(ip->saddr) % cfg->backends;
	be = bpf_map_lookup_elem(&fwd_macs, &pick);
	if (!be)
		return XDP_PASS;
	__builtin_memcpy(eth->h_dest, be->mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, cfg->src_mac, ETH_ALEN);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
