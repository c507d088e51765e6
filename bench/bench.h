/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Structs shared by the benchmark's BPF programs and siobench. Host order
 * unless a field says otherwise. */
#ifndef SIOBENCH_BENCH_H
#define SIOBENCH_BENCH_H

#include <linux/types.h>

/* The live rig's frames are UDP to this port (discard). */
#define LIVE_PORT 9

#define FWD_MAX_BACKENDS 16

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
	__u32 pad;
};
_Static_assert(sizeof(struct drv_config) == 32, "drv_config layout");

#endif /* SIOBENCH_BENCH_H */
