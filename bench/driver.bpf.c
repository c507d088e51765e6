// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Makes every BPF_PROG_TEST_RUN repetition a different client: rewrites the
 * frame's source (address or port) and VIP from a counter, then tail-calls
 * the program under test. With `repeat`, the kernel hands each repetition
 * the previous one's frame, so this is the only way to see a new client per
 * run; its own cost is measured by tail-calling the floor program. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "bench.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct drv_config);
} drv_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} drv_target SEC(".maps");

/* The header checksum of a 20-byte IPv4 header, written again: siobpf
 * drops a VIP's frame whose checksum is wrong, and the addresses changed. */
static __always_inline void ipv4_csum_set(struct iphdr *ip)
{
	__u16 *word = (__u16 *)ip;
	__u32 sum = 0;

	ip->check = 0;
#pragma unroll
	for (int i = 0; i < 10; i++)
		sum += word[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ip->check = (__u16)~sum;
}

/* xdp.frags, like siobpf's program and every other target: a tail call
 * needs the caller and the callee alike. */
SEC("xdp.frags")
int drv_next_client(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct drv_config *cfg;
	struct tcphdr *tcp;
	__u32 zero = 0, n, d = 0;
	__u16 port = 0;
	__u64 run;

	cfg = bpf_map_lookup_elem(&drv_cfg, &zero);
	if (!cfg || !cfg->src_count || (void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	run = cfg->counter++;
	n = (__u32)((cfg->tcp_style == DRV_TCP_PAIR ? run / 2 : run) % cfg->src_count);
	if (cfg->dst_count)
		d = (__u32)(run % cfg->dst_count);
	if (cfg->vary_port) {
		port = (__u16)(1024 + n % DRV_PORTS);
		n /= DRV_PORTS;
	}

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end)
			return XDP_ABORTED;
		tcp = (void *)(ip + 1);
		ip->saddr = bpf_htonl(cfg->src_base + n);
		if (cfg->dst_count)
			ip->daddr = bpf_htonl(cfg->dst_base + d);
		ipv4_csum_set(ip);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return XDP_ABORTED;
		tcp = (void *)(ip6 + 1);
		ip6->saddr.in6_u.u6_addr32[3] = bpf_htonl(cfg->src_base + n);
	} else {
		return XDP_ABORTED;
	}
	if (cfg->vary_port || cfg->tcp_style) {
		if ((void *)(tcp + 1) > data_end)
			return XDP_ABORTED;
		if (cfg->vary_port)
			tcp->source = bpf_htons(port);
		if (cfg->tcp_style) {
			tcp->syn = cfg->tcp_style == DRV_TCP_PAIR && !(run & 1);
			tcp->ack = !tcp->syn;
		}
	}
	bpf_tail_call(ctx, &drv_target, 0);
	return XDP_ABORTED;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
