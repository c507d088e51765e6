// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Frame builder for the benchmarks; see pkt.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include "pkt.h"

static __u32 sum16(const void *buf, size_t len, __u32 sum)
{
	const __u8 *p = buf;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (__u32)p[len - 1] << 8;
	return sum;
}

static __u16 fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((__u16)~sum);
}

int bench_parse_mac(const char *text, __u8 mac[6])
{
	unsigned int b[6];

	if (sscanf(text, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (__u8)b[i];
	return 0;
}

int bench_pkt_build(struct bench_pkt *p, const struct bench_flow *f)
{
	int v6 = strchr(f->src, ':') != NULL;
	__u32 l4_len = (f->proto == IPPROTO_UDP ? sizeof(struct udphdr) : sizeof(struct tcphdr)) +
		       f->payload;
	__u32 l3_len = v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	struct ethhdr *eth = (void *)p->data;
	__u8 *l4 = p->data + sizeof(*eth) + l3_len;
	__u32 pseudo = 0;

	memset(p, 0, sizeof(*p));
	p->len = sizeof(*eth) + l3_len + l4_len;
	if (p->len > BENCH_PKT_MAX)
		return -EINVAL;
	memcpy(eth->h_dest, f->dmac, ETH_ALEN);
	memcpy(eth->h_source, f->smac, ETH_ALEN);
	eth->h_proto = htons(v6 ? ETH_P_IPV6 : ETH_P_IP);

	if (v6) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		ip6->version = 6;
		ip6->payload_len = htons((__u16)l4_len);
		ip6->nexthdr = f->proto;
		ip6->hop_limit = 64;
		if (inet_pton(AF_INET6, f->src, &ip6->saddr) != 1 ||
		    inet_pton(AF_INET6, f->dst, &ip6->daddr) != 1)
			return -EINVAL;
		pseudo = sum16(&ip6->saddr, 32, 0);
	} else {
		struct iphdr *ip = (void *)(eth + 1);

		ip->version = 4;
		ip->ihl = 5;
		ip->tot_len = htons((__u16)(l3_len + l4_len));
		ip->ttl = 64;
		ip->protocol = f->proto;
		if (inet_pton(AF_INET, f->src, &ip->saddr) != 1 ||
		    inet_pton(AF_INET, f->dst, &ip->daddr) != 1)
			return -EINVAL;
		ip->check = fold(sum16(ip, sizeof(*ip), 0));
		pseudo = sum16(&ip->saddr, 8, 0);
	}
	pseudo += f->proto + l4_len;

	if (f->proto == IPPROTO_UDP) {
		struct udphdr *udp = (void *)l4;

		udp->source = htons(f->sport);
		udp->dest = htons(f->dport);
		udp->len = htons((__u16)l4_len);
		udp->check = fold(sum16(l4, l4_len, pseudo));
	} else {
		struct tcphdr *tcp = (void *)l4;

		tcp->source = htons(f->sport);
		tcp->dest = htons(f->dport);
		tcp->seq = htonl(1);
		tcp->doff = 5;
		tcp->syn = !f->ack;
		tcp->ack = !!f->ack;
		tcp->window = htons(65535);
		tcp->check = fold(sum16(l4, l4_len, pseudo));
	}
	return 0;
}
