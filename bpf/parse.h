/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Packet parsing: Ethernet (one 802.1Q tag), IPv4, IPv6, TCP and UDP.
 * Every header is bounds-checked before it is read; each step returns 0 to
 * go on or the siobpf_reason that ends the packet's journey.
 */
#ifndef SIOBPF_BPF_PARSE_H
#define SIOBPF_BPF_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "siobpf/abi.h"

#define ETH_P_8021Q_BE bpf_htons(ETH_P_8021Q)
#define ETH_P_8021AD_BE bpf_htons(ETH_P_8021AD)
#define IPV4_MF 0x2000
#define IPV4_OFFSET 0x1fff

enum fragment_kind {
	FRAG_NONE = 0,
	FRAG_FIRST, /* offset 0, more to come: carries the L4 header */
	FRAG_LATER, /* offset > 0: no L4 header */
};

/* What the decision needs from a packet. */
struct packet {
	struct siobpf_vip_key dst; /* VIP candidate: address, port, protocol */
	__u32 src[4];              /* client address, network order */
	__u16 sport;               /* client port, network order */
	__u8 fragment;             /* enum fragment_kind */
	__u8 l4_off;               /* L4 header's offset (<= 78); set for ICMP only */
	__u8 tcp_flags;            /* TCP's flags byte (FIN..CWR); 0 for UDP */
	__u32 bytes;               /* frame length, for the traffic counters */
};

struct vlan_hdr {
	__be16 tci;
	__be16 encapsulated_proto;
};

/* Ethernet and at most one VLAN tag. Leaves *off at the L3 header and
 * *proto at its EtherType. */
static __always_inline int parse_l2(void *data, void *data_end, __u32 *off, __be16 *proto)
{
	struct ethhdr *eth = data;
	struct vlan_hdr *vlan;

	if ((void *)(eth + 1) > data_end)
		return SIOBPF_R_DROP_BAD_L2;
	*proto = eth->h_proto;
	*off = sizeof(*eth);
	if (*proto != ETH_P_8021Q_BE && *proto != ETH_P_8021AD_BE)
		return 0;

	vlan = data + *off;
	if ((void *)(vlan + 1) > data_end)
		return SIOBPF_R_DROP_BAD_L2;
	*proto = vlan->encapsulated_proto;
	*off += sizeof(*vlan);
	if (*proto == ETH_P_8021Q_BE || *proto == ETH_P_8021AD_BE)
		return SIOBPF_R_PASS_VLAN_STACKED;
	return 0;
}

/* IPv4 with options. Sets the addresses, the protocol and the fragment
 * kind; leaves *off at the L4 header. */
static __always_inline int parse_ipv4(void *data, void *data_end, __u32 *off, struct packet *pkt)
{
	struct iphdr *ip = data + *off;
	__u32 hlen;

	if ((void *)(ip + 1) > data_end)
		return SIOBPF_R_DROP_BAD_IPV4;
	hlen = ip->ihl * 4;
	if (ip->version != 4 || hlen < sizeof(*ip))
		return SIOBPF_R_DROP_BAD_IPV4;
	/* The whole header, options included, must be in the frame, and the
	 * datagram must fit in what arrived (trailing padding is allowed). */
	if (data + *off + hlen > data_end || bpf_ntohs(ip->tot_len) < hlen ||
	    *off + bpf_ntohs(ip->tot_len) > (__u32)(data_end - data))
		return SIOBPF_R_DROP_BAD_IPV4;

	pkt->dst.family = SIOBPF_FAMILY_IPV4;
	pkt->dst.proto = ip->protocol;
	pkt->dst.addr[0] = ip->daddr;
	pkt->src[0] = ip->saddr;
	if (ip->frag_off & bpf_htons(IPV4_OFFSET))
		pkt->fragment = FRAG_LATER;
	else if (ip->frag_off & bpf_htons(IPV4_MF))
		pkt->fragment = FRAG_FIRST;
	*off += hlen;
	return 0;
}

/* IPv6 without extension headers (those are passed to the stack). */
static __always_inline int parse_ipv6(void *data, void *data_end, __u32 *off, struct packet *pkt)
{
	struct ipv6hdr *ip6 = data + *off;

	if ((void *)(ip6 + 1) > data_end)
		return SIOBPF_R_DROP_BAD_IPV6;
	if (ip6->version != 6 ||
	    *off + sizeof(*ip6) + bpf_ntohs(ip6->payload_len) > (__u32)(data_end - data))
		return SIOBPF_R_DROP_BAD_IPV6;

	pkt->dst.family = SIOBPF_FAMILY_IPV6;
	pkt->dst.proto = ip6->nexthdr;
	__builtin_memcpy(pkt->dst.addr, &ip6->daddr, 16);
	__builtin_memcpy(pkt->src, &ip6->saddr, 16);
	*off += sizeof(*ip6);
	return 0;
}

/* L3 dispatch and the protocol filter: only TCP and UDP go further. */
static __always_inline int parse_l3(void *data, void *data_end, __be16 proto, __u32 *off,
				    struct packet *pkt)
{
	int reason;

	if (proto == bpf_htons(ETH_P_IP))
		reason = parse_ipv4(data, data_end, off, pkt);
	else if (proto == bpf_htons(ETH_P_IPV6))
		reason = parse_ipv6(data, data_end, off, pkt);
	else
		return SIOBPF_R_PASS_NOT_IP;
	if (reason)
		return reason;

	switch (pkt->dst.proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		return 0;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		/* An error about a VIP flow is read from here on (icmp.h). */
		pkt->l4_off = *off;
		return SIOBPF_R_PASS_ICMP;
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_DSTOPTS:
	case IPPROTO_AH:
	case IPPROTO_MH:
		if (pkt->dst.family == SIOBPF_FAMILY_IPV6)
			return SIOBPF_R_PASS_IPV6_EXT;
		return SIOBPF_R_PASS_OTHER_PROTO;
	default:
		return SIOBPF_R_PASS_OTHER_PROTO;
	}
}

/* TCP or UDP ports. A later IPv4 fragment has no L4 header to read. */
static __always_inline int parse_l4(void *data, void *data_end, __u32 off, struct packet *pkt)
{
	if (pkt->fragment == FRAG_LATER)
		return 0;

	if (pkt->dst.proto == IPPROTO_TCP) {
		struct tcphdr *tcp = data + off;

		if ((void *)(tcp + 1) > data_end || tcp->doff < 5 ||
		    data + off + tcp->doff * 4 > data_end)
			return SIOBPF_R_DROP_BAD_L4;
		pkt->sport = tcp->source;
		pkt->dst.port = tcp->dest;
		/* The byte as it is: a branch here would double the states
		 * the verifier walks for the rest of the program. */
		pkt->tcp_flags = ((__u8 *)tcp)[13];
	} else {
		struct udphdr *udp = data + off;

		if ((void *)(udp + 1) > data_end || bpf_ntohs(udp->len) < sizeof(*udp))
			return SIOBPF_R_DROP_BAD_L4;
		pkt->sport = udp->source;
		pkt->dst.port = udp->dest;
	}
	return 0;
}

/* The whole parse: 0 with *pkt filled, or the reason to stop. */
static __always_inline int parse_packet(struct xdp_md *ctx, struct packet *pkt)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__be16 proto;
	__u32 off;
	int reason;

	pkt->bytes = data_end - data;
	reason = parse_l2(data, data_end, &off, &proto);
	if (reason)
		return reason;
	reason = parse_l3(data, data_end, proto, &off, pkt);
	if (reason)
		return reason;
	return parse_l4(data, data_end, off, pkt);
}

#endif /* SIOBPF_BPF_PARSE_H */
