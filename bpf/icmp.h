/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* ICMP errors about a VIP flow. A backend answers its clients from the VIP
 * (direct server return), so when a reply is too big for a link on the way
 * back, the router's error (IPv4 "fragmentation needed", IPv6 "packet too
 * big") is addressed to the VIP and arrives here, not at the backend whose
 * path-MTU discovery needs it. The error quotes the reply: its IP header
 * and at least the first 8 bytes of its TCP or UDP header, so it names the
 * flow as VIP:port -> client:port. Every other ICMP message is the stack's.
 */
#ifndef SIOBPF_BPF_ICMP_H
#define SIOBPF_BPF_ICMP_H

#include "parse.h"

/* The two ICMP headers, defined here rather than taken from linux/icmp.h and
 * linux/icmpv6.h: those include linux/if.h, which includes glibc's
 * sys/socket.h, and with -target bpf glibc selects its 32-bit stubs, which a
 * clean machine does not have. Only the type, the code and the 4 bytes that
 * the two errors use for the MTU are read; both headers are 8 bytes. */
struct icmp4_header {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be32 rest; /* unused, next-hop MTU (RFC 1191) */
};

struct icmp6_header {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be32 mtu; /* packet too big: the link's MTU */
};

#define ICMP4_DEST_UNREACH 3 /* RFC 792 */
#define ICMP4_FRAG_NEEDED  4 /* its code: fragmentation needed and DF set */
#define ICMP6_PACKET_TOO_BIG 2 /* RFC 4443 */

_Static_assert(sizeof(struct icmp4_header) == 8, "ICMPv4 header is 8 bytes");
_Static_assert(sizeof(struct icmp6_header) == 8, "ICMPv6 header is 8 bytes");

/* The start of the quoted TCP or UDP header: the ports, where both keep
 * them, and the rest of the 8 bytes that every router must quote. */
struct icmp_quoted_l4 {
	__be16 source;
	__be16 dest;
	__be32 rest;
};

/* The quoted IPv4 header, sent from the address the error came to (the
 * VIP). Takes the client's address and the protocol; leaves *off at the
 * quoted L4 header. 0: not such a quote. */
static __always_inline int icmp_quote_ipv4(void *data, void *data_end, __u32 *off,
					   struct packet *pkt)
{
	struct iphdr *ip = data + *off;

	if ((void *)(ip + 1) > data_end || ip->version != 4 || ip->ihl < 5 ||
	    ip->saddr != pkt->dst.addr[0])
		return 0;
	/* A later fragment of the reply has no ports to name the flow. */
	if (ip->frag_off & bpf_htons(IPV4_OFFSET))
		return 0;
	pkt->dst.proto = ip->protocol;
	pkt->src[0] = ip->daddr;
	*off += ip->ihl * 4;
	return 1;
}

/* The same for a quoted IPv6 header. An extension header after it leaves
 * a protocol that is neither TCP nor UDP, and the error is passed. */
static __always_inline int icmp_quote_ipv6(void *data, void *data_end, __u32 *off,
					   struct packet *pkt)
{
	struct ipv6hdr *ip6 = data + *off;
	const __u32 *saddr = ip6->saddr.in6_u.u6_addr32;

	if ((void *)(ip6 + 1) > data_end || ip6->version != 6 ||
	    saddr[0] != pkt->dst.addr[0] || saddr[1] != pkt->dst.addr[1] ||
	    saddr[2] != pkt->dst.addr[2] || saddr[3] != pkt->dst.addr[3])
		return 0;
	pkt->dst.proto = ip6->nexthdr;
	__builtin_memcpy(pkt->src, &ip6->daddr, 16);
	*off += sizeof(*ip6);
	return 1;
}

/* For a packet that parse_packet() left at an ICMP message: 1 when it is an
 * error about a flow from the address it was sent to, with *pkt rewritten
 * as the client's packets of that flow look (dst: the VIP candidate; src
 * and sport: the client); 0 for anything else, which is passed. Like the
 * TCP and UDP headers in parse.h, the quote is bounded by the frame: only
 * frames under 60 bytes are padded, too short for what is read here. */
static __always_inline int icmp_error_flow(struct xdp_md *ctx, struct packet *pkt)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct icmp_quoted_l4 *l4;
	__u32 off = pkt->l4_off;
	int quoted;

	/* A fragment of an error need not hold the quote. */
	if (pkt->fragment != FRAG_NONE || off > PKT_OFF_MAX)
		return 0;
	if (pkt->dst.family == SIOBPF_FAMILY_IPV4) {
		struct icmp4_header *icmp = data + off;

		if (pkt->dst.proto != IPPROTO_ICMP || (void *)(icmp + 1) > data_end ||
		    icmp->type != ICMP4_DEST_UNREACH || icmp->code != ICMP4_FRAG_NEEDED)
			return 0;
		off += sizeof(*icmp);
		quoted = icmp_quote_ipv4(data, data_end, &off, pkt);
	} else {
		struct icmp6_header *icmp6 = data + off;

		if (pkt->dst.proto != IPPROTO_ICMPV6 || (void *)(icmp6 + 1) > data_end ||
		    icmp6->type != ICMP6_PACKET_TOO_BIG)
			return 0;
		off += sizeof(*icmp6);
		quoted = icmp_quote_ipv6(data, data_end, &off, pkt);
	}
	if (!quoted || (pkt->dst.proto != IPPROTO_TCP && pkt->dst.proto != IPPROTO_UDP))
		return 0;

	l4 = data + off;
	if ((void *)(l4 + 1) > data_end)
		return 0;
	pkt->dst.port = l4->source;
	pkt->sport = l4->dest;
	return 1;
}

#endif /* SIOBPF_BPF_ICMP_H */
