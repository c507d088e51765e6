// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The live packet-rate rig: a generator program that sends the test frame
 * out of the client's veth (run with BPF_F_TEST_XDP_LIVE_FRAMES), a sink
 * that counts and drops the bench's frames where they land, and an XDP_PASS
 * program for veth peers that must accept native XDP_TX frames. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "bench.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} live_count SEC(".maps");

/* With pad[0] set, only frames a balancer forwarded count: their source
 * MAC is the balancer's (set here by siobench). A frame the bridge flooded
 * to every port still carries the client's. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fwd_mac);
} live_from SEC(".maps");

SEC("xdp")
int live_gen(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_TX;
}

SEC("xdp")
int live_sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	struct fwd_mac *from;
	__u32 zero = 0;
	__u64 *count;

	if ((void *)(udp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->ihl != 5 || ip->protocol != IPPROTO_UDP || udp->dest != bpf_htons(LIVE_PORT))
		return XDP_PASS;
	from = bpf_map_lookup_elem(&live_from, &zero);
	if (!from)
		return XDP_PASS;
	for (int i = 0; i < ETH_ALEN && from->pad[0]; i++)
		if (eth->h_source[i] != from->mac[i])
			return XDP_PASS;
	count = bpf_map_lookup_elem(&live_count, &zero);
	if (count)
		(*count)++;
	return XDP_DROP;
}

SEC("xdp")
int live_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
