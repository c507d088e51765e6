/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Frames for the benchmarks: Ethernet, IPv4 or IPv6, TCP SYN or UDP. */
#ifndef SIOBENCH_PKT_H
#define SIOBENCH_PKT_H

#include <linux/types.h>

#define BENCH_PKT_MAX 256

struct bench_pkt {
	__u8 data[BENCH_PKT_MAX];
	__u32 len;
};

struct bench_flow {
	const char *src, *dst;  /* addresses as text; a ':' means IPv6 */
	__u16 sport, dport;     /* host order */
	__u8 proto;             /* IPPROTO_TCP (a SYN) or IPPROTO_UDP */
	__u8 ack;               /* TCP: an ACK instead of the SYN */
	__u16 payload;          /* L4 payload bytes */
	const __u8 *smac, *dmac;
};

/* Builds the frame with valid IPv4 and L4 checksums. Returns 0 or -EINVAL
 * for an address that does not parse or a frame that does not fit. */
int bench_pkt_build(struct bench_pkt *p, const struct bench_flow *f);

/* "02:00:00:00:00:01" -> bytes; 0 or -EINVAL. */
int bench_parse_mac(const char *text, __u8 mac[6]);

#endif /* SIOBENCH_PKT_H */
