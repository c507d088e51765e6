// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Where a sticky hit's time goes: the floor (swap MACs, XDP_TX) plus one of
 * the steps siobpf takes per packet, each alone, on maps shaped like
 * siobpf's. siobench reports each minus the floor. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

#include "siobpf/abi.h"
#include "swap.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SIOBPF_MAX_VIPS * 2);
	__type(key, struct siobpf_vip_key);
	__type(value, struct siobpf_vip);
} cost_vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SIOBPF_STICKY_ENTRIES);
	__type(key, struct siobpf_sticky_key);
	__type(value, struct siobpf_sticky);
} cost_sticky SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SIOBPF_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct siobpf_traffic);
} cost_stats SEC(".maps");

/* The key each program looks up; filled by siobench. */
volatile struct siobpf_vip_key vip_key;
volatile struct siobpf_sticky_key sticky_key;

SEC("xdp")
int cost_vip_lookup(struct xdp_md *ctx)
{
	struct siobpf_vip_key key = vip_key;

	if (!bpf_map_lookup_elem(&cost_vips, &key))
		return XDP_ABORTED;
	return swap_macs_tx(ctx);
}

SEC("xdp")
int cost_sticky_lookup(struct xdp_md *ctx)
{
	struct siobpf_sticky_key key = sticky_key;

	if (!bpf_map_lookup_elem(&cost_sticky, &key))
		return XDP_ABORTED;
	return swap_macs_tx(ctx);
}

/* siobpf counts a forwarded packet three times: VIP, backend, reason. */
SEC("xdp")
int cost_counters(struct xdp_md *ctx)
{
	__u32 ids[3] = {0, 1, 2};

	for (int i = 0; i < 3; i++) {
		struct siobpf_traffic *t = bpf_map_lookup_elem(&cost_stats, &ids[i]);

		if (t) {
			t->packets++;
			t->bytes += 64;
		}
	}
	return swap_macs_tx(ctx);
}

SEC("xdp")
int cost_clock(struct xdp_md *ctx)
{
	if (!bpf_ktime_get_coarse_ns())
		return XDP_ABORTED;
	return swap_macs_tx(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
