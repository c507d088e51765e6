// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Where a sticky hit's time goes: the floor (swap MACs, XDP_TX) plus one of
 * the steps siobpf takes per packet, each alone, on maps shaped like
 * siobpf's. siobench reports each minus the floor. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

#include "siobpf/abi.h"
#include "siobpf/hash.h"
#include "siobpf/table.h"
#include "swap.bpf.h"

/* The VIP index as siobpf's: one inner array of slots behind an outer
 * array of maps. The inner map is created with the object, so user space
 * can write the VIP's home slot directly. */
struct cost_vip_slots_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SIOBPF_VIP_INDEX_SLOTS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct siobpf_vip_slot));
} cost_vip_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct cost_vip_slots_map);
} cost_vip_index SEC(".maps") = {
	.values = {&cost_vip_slots},
};

/* The sticky table as siobpf's: 64-byte buckets, the default size. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, SIOBPF_CLIENTS / 4);
	__type(key, __u32);
	__type(value, struct siobpf_bucket);
} cost_buckets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SIOBPF_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct siobpf_traffic);
} cost_stats SEC(".maps");

/* The key each program looks up; filled by siobench. */
volatile struct siobpf_vip_key vip_key;
volatile struct siobpf_sticky_key sticky_key;

/* The VIP found at its home slot, as for a VIP whose window is not crowded. */
SEC("xdp.frags")
int cost_vip_lookup(struct xdp_md *ctx)
{
	struct siobpf_vip_key key = vip_key;
	struct siobpf_vip_slot *slot;
	__u32 zero = 0, home;
	void *index;

	index = bpf_map_lookup_elem(&cost_vip_index, &zero);
	if (!index)
		return XDP_ABORTED;
	home = siobpf_vip_index_home(&key);
	slot = bpf_map_lookup_elem(index, &home);
	if (!slot || slot->key.addr[0] != key.addr[0] || slot->key.addr[1] != key.addr[1] ||
	    slot->key.addr[2] != key.addr[2] || slot->key.addr[3] != key.addr[3] ||
	    slot->key.port != key.port || slot->key.proto != key.proto ||
	    slot->key.family != key.family)
		return XDP_ABORTED;
	return swap_macs_tx(ctx);
}

/* The key's home bucket read and its eight slots compared with the key's
 * fingerprint: the new table's lookup when the client is at home. */
SEC("xdp.frags")
int cost_bucket_lookup(struct xdp_md *ctx)
{
	struct siobpf_sticky_key key = sticky_key;
	__u64 h = siobpf_table_hash(&key, 0);
	__u32 bucket = siobpf_table_home(h, SIOBPF_CLIENTS / 4 - 1), fp = siobpf_table_fp(h);
	struct siobpf_bucket *b = bpf_map_lookup_elem(&cost_buckets, &bucket);
	int found = 0;

	if (!b)
		return XDP_ABORTED;
	for (int i = 0; i < SIOBPF_BUCKET_SLOTS; i++)
		found |= siobpf_slot_fp(b->slot[i]) == fp && siobpf_slot_kind(b->slot[i]) != SIOBPF_SLOT_EMPTY;
	if (!found)
		return XDP_ABORTED;
	return swap_macs_tx(ctx);
}

/* siobpf counts a forwarded packet three times: VIP, backend, reason. */
SEC("xdp.frags")
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

SEC("xdp.frags")
int cost_clock(struct xdp_md *ctx)
{
	if (!bpf_ktime_get_coarse_ns())
		return XDP_ABORTED;
	return swap_macs_tx(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
