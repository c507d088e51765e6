// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Lower bounds: the least a sticky hit and a new client can cost on this
 * machine, so that a reader can tell whether a target is reachable at all.
 * Each program keeps only what the path cannot do without: a bounds-checked
 * Ethernet / IPv4 / TCP parse, the VIP in one array probe, the sticky
 * entry, the backend, the MAC rewrite. No counters, clock, liveness rules,
 * IPv6 or VLANs. Anything unexpected gives XDP_PASS or XDP_ABORTED, so that
 * a mis-set-up run fails siobench's verdict check instead of looking fast.
 * The tables are shaped like siobpf's (include/siobpf/abi.h). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "bench.h"
#include "siobpf/table.h"
#include "swap.bpf.h"

/* The VIP table as one array probe: the cheapest exact match there is. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << BOUND_VIP_BITS);
	__type(key, __u32);
	__type(value, struct bound_vip);
} bound_vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SIOBPF_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct siobpf_backend);
} bound_backends SEC(".maps");

/* The sticky table the design prescribes: shared by all CPUs, LRU. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PREV_STICKY_ENTRIES);
	__type(key, struct siobpf_sticky_key);
	__type(value, struct prev_sticky);
} bound_sticky SEC(".maps");

/* The same design, empty when loaded: each repetition of bound_lru_insert
 * adds a client to it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PREV_STICKY_ENTRIES);
	__type(key, struct siobpf_sticky_key);
	__type(value, struct prev_sticky);
} bound_new SEC(".maps");

/* The least any sticky table can do: one slot, no LRU, no chain. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << BOUND_SLOT_BITS);
	__type(key, __u32);
	__type(value, struct bound_slot);
} bound_slots SEC(".maps");

/* More memory than the last-level cache holds: a line picked at random
 * is almost never cached, as a new client's entry is not. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << BOUND_LINE_BITS);
	__type(key, __u32);
	__type(value, struct bound_line);
} bound_lines SEC(".maps");

/* siobpf's sticky table as it is (include/siobpf/table.h): user space
 * copies a filled one in, so that bound_bucket_hit finds the same clients
 * in the same slots. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BOUND_BUCKETS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct siobpf_bucket);
} bound_buckets SEC(".maps");

/* The copied table's VIP's epoch (struct siobpf_vip_admit), set by user space. */
__u32 bound_epoch;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BOUND_COUNT_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} bound_count SEC(".maps");

/* Per-CPU traffic counters as siobpf keeps them: per VIP, per backend,
 * and one per reason a packet ends. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SIOBPF_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct siobpf_traffic);
} bound_traffic SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SIOBPF_R_MAX);
	__type(key, __u32);
	__type(value, __u64);
} bound_reasons SEC(".maps");

#define IP_FRAGMENT 0x3fff /* more fragments, offset */

struct bound_pkt {
	struct ethhdr *eth;
	__be32 saddr;
};

/* The VIP of an IPv4 TCP frame without options or fragmentation, or NULL. */
static __always_inline struct bound_vip *vip_find(struct xdp_md *ctx, struct bound_pkt *pkt)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp = (void *)(ip + 1);
	struct bound_vip *v;
	__u32 slot;

	if ((void *)(tcp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->version != 4 || ip->ihl != 5 || ip->protocol != IPPROTO_TCP ||
	    (ip->frag_off & bpf_htons(IP_FRAGMENT)))
		return NULL;
	slot = bound_vip_slot(ip->daddr, tcp->dest, ip->protocol);
	v = bpf_map_lookup_elem(&bound_vips, &slot);
	if (!v || v->key.addr[0] != ip->daddr || v->key.port != tcp->dest ||
	    v->key.proto != ip->protocol)
		return NULL;
	pkt->eth = eth;
	pkt->saddr = ip->saddr;
	return v;
}

/* Both MACs from the backend, as siobpf's direct server return writes them. */
static __always_inline int to_backend(struct ethhdr *eth, __u32 id)
{
	struct siobpf_backend *be = bpf_map_lookup_elem(&bound_backends, &id);

	if (!be)
		return XDP_ABORTED;
	__builtin_memcpy(eth->h_dest, be->mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, be->src_mac, ETH_ALEN);
	return XDP_TX;
}

SEC("xdp.frags")
int bound_lru_hit(struct xdp_md *ctx)
{
	struct siobpf_sticky_key key = {};
	struct prev_sticky *s;
	struct bound_pkt pkt;
	struct bound_vip *v = vip_find(ctx, &pkt);

	if (!v)
		return XDP_PASS;
	key.vip_id = v->vip.id;
	key.addr[0] = pkt.saddr;
	s = bpf_map_lookup_elem(&bound_sticky, &key);
	if (!s)
		return XDP_ABORTED;
	return to_backend(pkt.eth, s->backend_id);
}

static __always_inline void count_traffic(__u32 id, __u32 bytes)
{
	struct siobpf_traffic *t = bpf_map_lookup_elem(&bound_traffic, &id);

	if (t) {
		t->packets++;
		t->bytes += bytes;
	}
}

/* bound_lru_hit plus what the design asks of every hit besides the lookup:
 * the entry's age against the VIP's persistence (a clock read) and the
 * per-VIP, per-backend and per-reason counters. The least a sticky hit can
 * cost while doing its whole job with the design's table. */
SEC("xdp.frags")
int bound_design_hit(struct xdp_md *ctx)
{
	struct siobpf_sticky_key key = {};
	__u32 reason = SIOBPF_R_TX, bytes = ctx->data_end - ctx->data;
	struct prev_sticky *s;
	struct bound_pkt pkt;
	struct bound_vip *v = vip_find(ctx, &pkt);
	__u64 *count;
	int action;

	if (!v)
		return XDP_PASS;
	key.vip_id = v->vip.id;
	key.addr[0] = pkt.saddr;
	s = bpf_map_lookup_elem(&bound_sticky, &key);
	if (!s || bpf_ktime_get_coarse_ns() - s->last_seen >= v->vip.persist_sec * 1000000000ull)
		return XDP_ABORTED;
	action = to_backend(pkt.eth, s->backend_id);
	count_traffic(v->vip.id, bytes);
	count_traffic(s->backend_id, bytes);
	count = bpf_map_lookup_elem(&bound_reasons, &reason);
	if (count)
		*count += 1;
	return action;
}

SEC("xdp.frags")
int bound_array_hit(struct xdp_md *ctx)
{
	struct bound_slot *s;
	struct bound_pkt pkt;
	struct bound_vip *v = vip_find(ctx, &pkt);
	__u32 slot;

	if (!v)
		return XDP_PASS;
	slot = bound_hash(pkt.saddr, BOUND_SLOT_BITS);
	s = bpf_map_lookup_elem(&bound_slots, &slot);
	if (!s || s->key.addr[0] != pkt.saddr || s->key.vip_id != v->vip.id)
		return XDP_ABORTED;
	return to_backend(pkt.eth, s->sticky.backend_id);
}

/* The slot with the key's fingerprint in a bucket, or 0. */
static __always_inline __u64 bucket_match(__u32 bucket, __u32 fp)
{
	struct siobpf_bucket *b = bpf_map_lookup_elem(&bound_buckets, &bucket);

	if (!b)
		return 0;
	for (int i = 0; i < SIOBPF_BUCKET_SLOTS; i++) {
		__u64 s = b->slot[i];

		if (siobpf_slot_kind(s) != SIOBPF_SLOT_EMPTY && siobpf_slot_fp(s) == fp)
			return s;
	}
	return 0;
}

/* The least a hit in siobpf's sticky table can cost while doing its whole
 * job, as bound_design_hit is for the design's table: the parse and VIP
 * of bound_lru_hit, the key's hash, its home bucket's line (the
 * alternative one only when the key is not at home), the first slot with
 * its fingerprint, its deadline against the clock, the backend, the MACs
 * and the three counters. */
SEC("xdp.frags")
int bound_bucket_hit(struct xdp_md *ctx)
{
	struct siobpf_sticky_key key = {};
	__u32 reason = SIOBPF_R_TX, bytes = ctx->data_end - ctx->data;
	struct bound_pkt pkt;
	struct bound_vip *v = vip_find(ctx, &pkt);
	__u32 home, fp, backend_id, now_u;
	__u64 h, s, *count;
	int action;

	if (!v)
		return XDP_PASS;
	key.vip_id = v->vip.id;
	key.addr[0] = pkt.saddr;
	h = siobpf_table_hash(&key, bound_epoch);
	fp = siobpf_table_fp(h);
	home = siobpf_table_home(h, BOUND_BUCKETS - 1);
	s = bucket_match(home, fp);
	if (!s)
		s = bucket_match(siobpf_table_other(home, fp, BOUND_BUCKETS - 1), fp);
	now_u = siobpf_time_units(bpf_ktime_get_coarse_ns());
	if (!s || !siobpf_slot_held_bit(s, now_u))
		return XDP_ABORTED;
	backend_id = siobpf_slot_backend(s);
	action = to_backend(pkt.eth, backend_id);
	count_traffic(v->vip.id, bytes);
	count_traffic(backend_id, bytes);
	count = bpf_map_lookup_elem(&bound_reasons, &reason);
	if (count)
		*count += 1;
	return action;
}

static __always_inline __u64 *counter(__u32 slot)
{
	return bpf_map_lookup_elem(&bound_count, &slot);
}

/* The reference for bound_cold_read and bound_lru_insert, which need a
 * counter to vary what they touch. */
SEC("xdp.frags")
int bound_counter(struct xdp_md *ctx)
{
	__u64 *n = counter(BOUND_COUNT_PROBE);

	if (!n)
		return XDP_ABORTED;
	(*n)++;
	return swap_macs_tx(ctx);
}

/* bound_counter plus one read of a line chosen at random: the latency a
 * new client pays at least, since its entry's line has never been read. */
SEC("xdp.frags")
int bound_cold_read(struct xdp_md *ctx)
{
	__u64 *n = counter(BOUND_COUNT_PROBE);
	struct bound_line *line;
	__u32 i;

	if (!n)
		return XDP_ABORTED;
	i = (__u32)((*n)++ * 0x9e3779b97f4a7c15ull >> (64 - BOUND_LINE_BITS));
	line = bpf_map_lookup_elem(&bound_lines, &i);
	/* The lines are zero: the branch needs the value, so the read stays. */
	if (!line || line->word[0])
		return XDP_ABORTED;
	return swap_macs_tx(ctx);
}

/* bound_cold_read with a locked add to the (hot, per-CPU) counter after
 * the read: a full barrier, as the table's compare-and-exchange is, so the
 * CPU cannot overlap one repetition's miss with the next's. One cold line
 * at its whole latency, as a packet that comes alone pays it. */
SEC("xdp.frags")
int bound_cold_read_fenced(struct xdp_md *ctx)
{
	__u64 *n = counter(BOUND_COUNT_PROBE);
	struct bound_line *line;
	__u32 i;

	if (!n)
		return XDP_ABORTED;
	i = (__u32)(*n * 0x9e3779b97f4a7c15ull >> (64 - BOUND_LINE_BITS));
	line = bpf_map_lookup_elem(&bound_lines, &i);
	if (!line || line->word[0])
		return XDP_ABORTED;
	__sync_fetch_and_add(n, 1);
	return swap_macs_tx(ctx);
}

/* The second line of a pair: the first's index XOR an odd spread of it,
 * as the sticky table's alternative bucket is found from the home one. */
static __always_inline __u32 other_line(__u32 i)
{
	return (i ^ ((i * 0x9e3779b1u) >> 7 | 1)) & ((1u << BOUND_LINE_BITS) - 1);
}

/* bound_counter plus two reads of random lines, both waited for: what a
 * miss in the sticky table reads (a key's home and alternative buckets). */
SEC("xdp.frags")
int bound_two_lines(struct xdp_md *ctx)
{
	__u64 *n = counter(BOUND_COUNT_PROBE);
	struct bound_line *a, *b;
	__u32 i, j;

	if (!n)
		return XDP_ABORTED;
	i = (__u32)((*n)++ * 0x9e3779b97f4a7c15ull >> (64 - BOUND_LINE_BITS));
	j = other_line(i);
	a = bpf_map_lookup_elem(&bound_lines, &i);
	b = bpf_map_lookup_elem(&bound_lines, &j);
	if (!a || !b || a->word[0] || b->word[0])
		return XDP_ABORTED;
	return swap_macs_tx(ctx);
}

/* bound_two_lines plus a compare-and-exchange of one word of the first
 * line: the least a new client's insert into the sticky table touches
 * (two buckets read, one slot written). word[0] stays zero. */
SEC("xdp.frags")
int bound_two_lines_cas(struct xdp_md *ctx)
{
	__u64 *n = counter(BOUND_COUNT_PROBE);
	struct bound_line *a, *b;
	__u64 old;
	__u32 i, j;

	if (!n)
		return XDP_ABORTED;
	i = (__u32)((*n)++ * 0x9e3779b97f4a7c15ull >> (64 - BOUND_LINE_BITS));
	j = other_line(i);
	a = bpf_map_lookup_elem(&bound_lines, &i);
	b = bpf_map_lookup_elem(&bound_lines, &j);
	if (!a || !b || a->word[0] || b->word[0])
		return XDP_ABORTED;
	old = a->word[1];
	if (__sync_val_compare_and_swap(&a->word[1], old, old + 1) != old)
		return XDP_ABORTED;
	return swap_macs_tx(ctx);
}

/* A new client each repetition: the parse and VIP of bound_lru_hit, then
 * one insert into the empty bound_new. The client is the count of inserts
 * made so far, so every key is new and user space can check that every
 * repetition inserted. */
SEC("xdp.frags")
int bound_lru_insert(struct xdp_md *ctx)
{
	struct siobpf_sticky_key key = {};
	struct prev_sticky entry = {};
	__u64 *n = counter(BOUND_COUNT_INSERT);
	struct bound_pkt pkt;
	struct bound_vip *v;

	if (!n)
		return XDP_ABORTED;
	v = vip_find(ctx, &pkt);
	if (!v)
		return XDP_PASS;
	key.vip_id = v->vip.id;
	key.addr[0] = (__u32)*n;
	/* No ring: a backend from the client alone, the least any placement does. */
	entry.backend_id = (__u32)*n % BOUND_BACKENDS;
	entry.generation = 1;
	if (bpf_map_update_elem(&bound_new, &key, &entry, BPF_ANY))
		return XDP_ABORTED;
	(*n)++;
	return to_backend(pkt.eth, entry.backend_id);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
