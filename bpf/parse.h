/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Packet parsing: Ethernet (one 802.1Q tag), IPv4, IPv6 with a bounded
 * chain of extension headers, TCP and UDP. Every header is bounds-checked
 * before it is read; each step returns 0 to go on or the siobpf_reason that
 * ends the packet's journey. The rules (docs/data-path.md says them whole):
 * - IPv4: the header (options included) in the frame, version 4, tot_len at
 *   least the header and the datagram (tot_len) in the frame; padding after
 *   it is ignored. Else drop_bad_ipv4. The header checksum is not looked at
 *   here: only once the frame is known to be for a VIP (ipv4_csum_ok).
 * - IPv6: the fixed header in the frame, version 6, 40 + payload_len in the
 *   frame, else drop_bad_ipv6. At most 4 of hop-by-hop, destination options
 *   and fragment headers are walked, each inside the datagram (else
 *   drop_bad_ipv6); a 5th, or a routing, AH or mobility header: pass_ipv6_ext.
 *   What follows the Fragment header of a later fragment is data, not
 *   headers: the walk stops there.
 * - A fragment is FIRST (offset 0, more to come) or LATER (offset > 0); its
 *   datagram is named by the IP identification.
 * - L4, for whole datagrams and first fragments: the TCP header (doff * 4
 *   bytes, doff >= 5) or the UDP header (8 bytes, 8 <= len, and len at most
 *   the datagram's L4 bytes unless this is a first fragment) must lie in the
 *   IP datagram, not merely the frame; if not, the packet is L4-broken and
 *   the decision (siobpf.bpf.c) drops or passes it by its address. An IPv6
 *   payload_len of 0 (a jumbogram) leaves no room for any L4 header.
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

/* IPv6 extension headers walked before the upper protocol (see above). */
#define IPV6_EXT_MAX 4
/* Bounds the verifier can see on an offset kept in struct packet; every
 * frame XDP sees is shorter. */
#define PKT_OFF_MAX 0x3fff

/* What the decision needs from a packet. */
struct packet {
	struct siobpf_vip_key dst; /* VIP candidate: address, port, protocol */
	__u32 src[4];              /* client address, network order */
	__u32 frag_id;             /* the datagram's IP identification, host order (fragments) */
	__u16 sport;               /* client port, network order */
	__u8 fragment;             /* enum fragment_kind */
	__u8 l4_broken;            /* the TCP/UDP header does not lie in the datagram */
	__u8 tcp_flags;            /* TCP's flags byte (FIN..CWR); 0 for UDP */
	__u16 l3_off;              /* IP header's offset (IPv4: for its checksum) */
	__u16 l4_off;              /* L4 header's offset; set for ICMP only */
	__u32 bytes;               /* frame length, all buffers: the counters, the bounds */
};

struct vlan_hdr {
	__be16 tci;
	__be16 encapsulated_proto;
};

/* The IPv6 Fragment header (RFC 8200 4.5). */
struct ipv6_frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off; /* offset in 8-byte units << 3, 2 reserved bits, M */
	__be32 identification;
};

#define IPV6_FRAG_OFFSET 0xfff8
#define IPV6_FRAG_MORE 0x0001

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
 * kind; leaves *off at the L4 header and *end at the datagram's end. */
static __always_inline int parse_ipv4(void *data, void *data_end, __u32 *off, __u32 *end,
				      struct packet *pkt)
{
	struct iphdr *ip = data + *off;
	__u32 hlen;

	if ((void *)(ip + 1) > data_end)
		return SIOBPF_R_DROP_BAD_IPV4;
	hlen = ip->ihl * 4;
	if (ip->version != 4 || hlen < sizeof(*ip))
		return SIOBPF_R_DROP_BAD_IPV4;
	/* The whole header, options included, must be in the linear part, and
	 * the datagram must fit in what arrived, in all its buffers (trailing
	 * padding is allowed). */
	if (data + *off + hlen > data_end || bpf_ntohs(ip->tot_len) < hlen ||
	    *off + bpf_ntohs(ip->tot_len) > pkt->bytes)
		return SIOBPF_R_DROP_BAD_IPV4;

	pkt->dst.family = SIOBPF_FAMILY_IPV4;
	pkt->dst.proto = ip->protocol;
	pkt->dst.addr[0] = ip->daddr;
	pkt->src[0] = ip->saddr;
	pkt->l3_off = *off;
	if (ip->frag_off & bpf_htons(IPV4_OFFSET))
		pkt->fragment = FRAG_LATER;
	else if (ip->frag_off & bpf_htons(IPV4_MF))
		pkt->fragment = FRAG_FIRST;
	pkt->frag_id = bpf_ntohs(ip->id);
	*end = *off + bpf_ntohs(ip->tot_len);
	*off += hlen;
	return 0;
}

/* One IPv6 extension header at *off, inside the datagram (end): moves *off
 * past it and *next to its next header. A Fragment header also sets the
 * fragment kind and the datagram's identification. */
static __always_inline int parse_ipv6_ext(void *data, void *data_end, __u32 *off, __u32 end,
					  __u8 *next, struct packet *pkt)
{
	if (*next == IPPROTO_FRAGMENT) {
		struct ipv6_frag_hdr *fh = data + *off;

		if (*off + sizeof(*fh) > end || (void *)(fh + 1) > data_end)
			return SIOBPF_R_DROP_BAD_IPV6;
		if (fh->frag_off & bpf_htons(IPV6_FRAG_OFFSET))
			pkt->fragment = FRAG_LATER;
		else if (fh->frag_off & bpf_htons(IPV6_FRAG_MORE))
			pkt->fragment = FRAG_FIRST;
		pkt->frag_id = bpf_ntohl(fh->identification);
		*next = fh->nexthdr;
		*off += sizeof(*fh);
	} else {
		struct ipv6_opt_hdr *oh = data + *off;
		__u32 len;

		/* Options headers are at least 8 bytes. */
		if (*off + 8 > end || (void *)(oh + 1) > data_end)
			return SIOBPF_R_DROP_BAD_IPV6;
		len = (oh->hdrlen + 1) * 8;
		if (*off + len > end)
			return SIOBPF_R_DROP_BAD_IPV6;
		*next = oh->nexthdr;
		*off += len;
	}
	return 0;
}

static __always_inline int ipv6_ext_walked(__u8 next)
{
	return next == IPPROTO_HOPOPTS || next == IPPROTO_DSTOPTS || next == IPPROTO_FRAGMENT;
}

/* IPv6 and its chain of hop-by-hop, destination options and fragment
 * headers. Leaves *off at the upper protocol's header and *end at the
 * datagram's end. */
static __always_inline int parse_ipv6(void *data, void *data_end, __u32 *off, __u32 *end,
				      struct packet *pkt)
{
	struct ipv6hdr *ip6 = data + *off;
	__u8 next;
	int reason;

	if ((void *)(ip6 + 1) > data_end)
		return SIOBPF_R_DROP_BAD_IPV6;
	if (ip6->version != 6 ||
	    *off + sizeof(*ip6) + bpf_ntohs(ip6->payload_len) > pkt->bytes)
		return SIOBPF_R_DROP_BAD_IPV6;

	pkt->dst.family = SIOBPF_FAMILY_IPV6;
	__builtin_memcpy(pkt->dst.addr, &ip6->daddr, 16);
	__builtin_memcpy(pkt->src, &ip6->saddr, 16);
	pkt->l3_off = *off;
	next = ip6->nexthdr;
	*end = *off + sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	*off += sizeof(*ip6);

#pragma unroll
	for (int i = 0; i < IPV6_EXT_MAX; i++) {
		if (!ipv6_ext_walked(next) || pkt->fragment == FRAG_LATER)
			break;
		reason = parse_ipv6_ext(data, data_end, off, *end, &next, pkt);
		if (reason)
			return reason;
	}
	if (ipv6_ext_walked(next) && pkt->fragment != FRAG_LATER)
		return SIOBPF_R_PASS_IPV6_EXT; /* a 5th extension header */
	pkt->dst.proto = next;
	return 0;
}

/* L3 dispatch and the protocol filter: only TCP and UDP go further. */
static __always_inline int parse_l3(void *data, void *data_end, __be16 proto, __u32 *off,
				    __u32 *end, struct packet *pkt)
{
	int reason;

	if (proto == bpf_htons(ETH_P_IP))
		reason = parse_ipv4(data, data_end, off, end, pkt);
	else if (proto == bpf_htons(ETH_P_IPV6))
		reason = parse_ipv6(data, data_end, off, end, pkt);
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

/* TCP or UDP ports, from a header that must lie in the datagram (which
 * ends at end); one that does not marks the packet L4-broken. A later
 * fragment has no L4 header to read. */
static __always_inline void parse_l4(void *data, void *data_end, __u32 off, __u32 end,
				     struct packet *pkt)
{
	if (pkt->fragment == FRAG_LATER)
		return;

	if (pkt->dst.proto == IPPROTO_TCP) {
		struct tcphdr *tcp = data + off;

		if (off + sizeof(*tcp) > end || (void *)(tcp + 1) > data_end || tcp->doff < 5 ||
		    off + tcp->doff * 4 > end) {
			pkt->l4_broken = 1;
			return;
		}
		pkt->sport = tcp->source;
		pkt->dst.port = tcp->dest;
		/* The byte as it is: a branch here would double the states
		 * the verifier walks for the rest of the program. */
		pkt->tcp_flags = ((__u8 *)tcp)[13];
	} else {
		struct udphdr *udp = data + off;
		__u32 len;

		if (off + sizeof(*udp) > end || (void *)(udp + 1) > data_end) {
			pkt->l4_broken = 1;
			return;
		}
		len = bpf_ntohs(udp->len);
		/* A first fragment's length is the datagram's, not its own. */
		if (len < sizeof(*udp) || (pkt->fragment == FRAG_NONE && off + len > end)) {
			pkt->l4_broken = 1;
			return;
		}
		pkt->sport = udp->source;
		pkt->dst.port = udp->dest;
	}
}

/* The whole parse: 0 with *pkt filled (an L4-broken TCP/UDP packet
 * included), or the reason to stop. */
static __always_inline int parse_packet(struct xdp_md *ctx, struct packet *pkt)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__be16 proto;
	__u32 off, end = 0;
	int reason;

	/* A multi-buffer frame (xdp.frags) has more than its linear part. */
	pkt->bytes = bpf_xdp_get_buff_len(ctx);
	reason = parse_l2(data, data_end, &off, &proto);
	if (reason)
		return reason;
	reason = parse_l3(data, data_end, proto, &off, &end, pkt);
	if (reason)
		return reason;
	parse_l4(data, data_end, off, end, pkt);
	return 0;
}

/* Whether the IPv4 header's checksum verifies: the ones' complement sum of
 * its ihl 32-bit words is all ones. Read only for a frame that is for a VIP,
 * so that other traffic costs nothing. */
static __always_inline int ipv4_csum_ok(struct xdp_md *ctx, const struct packet *pkt)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 *word = data + (pkt->l3_off & 0x1f); /* at most 18: Ethernet and a tag */
	struct iphdr *ip = (void *)word;
	__u64 sum = 0;
	__u32 words;

	if ((void *)(ip + 1) > data_end)
		return 0;
	/* The 20 bytes every header has, then its options (rare). */
	sum = (__u64)word[0] + word[1] + word[2] + word[3] + word[4];
	words = ip->ihl;
	for (__u32 i = 5; i < 15 && i < words; i++) {
		__u32 *w = word + i;

		/* Keeps clang from turning the check into arithmetic on
		 * data_end, which the verifier refuses. */
		asm volatile("" : "+r"(w));
		if ((void *)(w + 1) > data_end)
			return 0;
		sum += *w;
	}
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

#endif /* SIOBPF_BPF_PARSE_H */
