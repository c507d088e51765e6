/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Structs shared by the benchmark's BPF programs and siobench. Host order
 * unless a field says otherwise. */
#ifndef SIOBENCH_BENCH_H
#define SIOBENCH_BENCH_H

#include <linux/types.h>

#include "siobpf/abi.h"

/* The live rig's frames are UDP to this port (discard). */
#define LIVE_PORT 9

#define FWD_MAX_BACKENDS 16

/* The previous sticky table (bench/sticky_prev.h), kept as a baseline: two
 * LRU hashes of the sticky key, a protected table of 2^20 entries and a
 * probation table an eighth of its size, of this 16-byte entry. */
struct prev_sticky {
	__u32 backend_id;
	__u32 generation; /* the backend's generation when the entry was made */
	__u64 last_seen;  /* CLOCK_MONOTONIC_COARSE, nanoseconds */
};
_Static_assert(sizeof(struct prev_sticky) == 16, "prev_sticky layout");
#define PREV_STICKY_ENTRIES (1u << 20)
#define PREV_PROBATION_ENTRIES (PREV_STICKY_ENTRIES / 8)

/* floor_fwd's settings (one entry of fwd_cfg). */
struct fwd_config {
	__be32 vip;        /* IPv4 VIP, network order */
	__u32 backends;    /* entries used in fwd_macs */
	__u8 src_mac[6];   /* the balancer interface's MAC */
	__u8 pad[2];
};
_Static_assert(sizeof(struct fwd_config) == 16, "fwd_config layout");

struct fwd_mac {
	__u8 mac[6];
	__u8 pad[2];
};
_Static_assert(sizeof(struct fwd_mac) == 8, "fwd_mac layout");

/* drv_next_client's settings (one entry of drv_cfg). Repetition r is
 * client n = r % src_count: address src_base + n, or with vary_port the
 * address src_base + n / DRV_PORTS and TCP source port 1024 + n % DRV_PORTS
 * (so ip-port keys never repeat either). With dst_count, the IPv4 VIP is
 * dst_base + r % dst_count. */
#define DRV_PORTS 60000
struct drv_config {
	__u64 counter;     /* repetitions so far */
	__u32 src_base;    /* IPv4 address, or the low word of the IPv6 one */
	__u32 src_count;
	__u32 dst_base;
	__u32 dst_count;   /* 0: leave the destination alone */
	__u32 vary_port;
	__u32 tcp_style;   /* DRV_TCP_*: the TCP flags each repetition gets */
};
#define DRV_TCP_KEEP 0 /* the frame's own (a SYN) */
#define DRV_TCP_ACK 1  /* an ACK */
#define DRV_TCP_PAIR 2 /* a SYN, then an ACK from the same client: two repetitions a client */
_Static_assert(sizeof(struct drv_config) == 32, "drv_config layout");

/* The lower bounds (bound.bpf.c). Their tables are open-addressed arrays
 * with one probe: a slot is a multiplicative hash of the key, and the entry
 * there is compared to the key. User space puts entries where the program
 * looks, with the same functions. */
#define BOUND_VIP_BITS 9        /* 512 slots: 2 x SIOBPF_MAX_VIPS */
#define BOUND_SLOT_BITS 20      /* sticky slots, as many as PREV_STICKY_ENTRIES */
#define BOUND_LINE_BITS 20      /* 2^20 cache lines: 64 MB, the sticky table's order */
#define BOUND_BACKENDS 10       /* backends a new client is spread over */
#define BOUND_BUCKETS (SIOBPF_CLIENTS / 4) /* bound_bucket_hit's table: siobpf's default size */

/* Fibonacci hashing: the top bits of the product. */
static inline __u32 bound_hash(__u32 word, unsigned int bits)
{
	return (word * 0x9e3779b1u) >> (32 - bits);
}

/* The VIP's slot: its address, port and protocol, as they sit in the packet. */
static inline __u32 bound_vip_slot(__u32 daddr, __u16 dport, __u8 proto)
{
	return bound_hash(daddr ^ dport ^ ((__u32)proto << 16), BOUND_VIP_BITS);
}

struct bound_vip {
	struct siobpf_vip_key key; /* compared to the packet's */
	struct siobpf_vip vip;
};
_Static_assert(sizeof(struct bound_vip) == 52, "bound_vip layout");

/* A sticky entry in a plain array slot: the key it belongs to and the entry. */
struct bound_slot {
	struct siobpf_sticky_key key;
	struct prev_sticky sticky;
};
_Static_assert(sizeof(struct bound_slot) == 40, "bound_slot layout");

struct bound_line {
	__u64 word[8];
};
_Static_assert(sizeof(struct bound_line) == 64, "bound_line layout");

/* Slots of bound_count: the probe's counter and the inserts made. */
enum { BOUND_COUNT_PROBE, BOUND_COUNT_INSERT, BOUND_COUNT_SLOTS };

#endif /* SIOBENCH_BENCH_H */
