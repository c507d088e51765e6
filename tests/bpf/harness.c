// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Test harness for the XDP program under BPF_PROG_TEST_RUN; see harness.h. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "harness.h"

struct dataplane test_dp;

const __u8 test_src_mac[6] = {0x02, 0x1b, 0x00, 0x00, 0x00, 0x01};    /* balancer's NIC */
const __u8 test_client_mac[6] = {0x02, 0xc1, 0x00, 0x00, 0x00, 0x01}; /* router/client */

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_WARN)
		return vfprintf(stderr, fmt, args);
	return 0;
}

int harness_load_clients(__u32 clients)
{
	struct dataplane_opts opts = {.clients = clients};
	int err;

	dataplane_close(&test_dp);
	libbpf_set_print(quiet_libbpf);
	err = dataplane_load(&test_dp, &opts);
	if (err) {
		fprintf(stderr, "loading the BPF object failed: %s (run as root?)\n", strerror(-err));
		return -1;
	}
	return 0;
}

int harness_setup(void **state)
{
	(void)state;
	dataplane_init(&test_dp);
	return harness_load_clients(TEST_CLIENTS);
}

__u32 harness_egress_ifindex(void)
{
	struct if_nameindex *all = if_nameindex(), *i;
	__u32 found = 0;

	for (i = all; i && i->if_index && !found; i++)
		if (i->if_index != 1)
			found = i->if_index;
	if (all)
		if_freenameindex(all);
	if (!found)
		fail_msg("no interface but lo here: a redirect test needs one");
	return found;
}

int harness_teardown(void **state)
{
	(void)state;
	dataplane_close(&test_dp);
	return 0;
}

int harness_reset(void **state)
{
	harness_teardown(state);
	return harness_setup(state);
}

/* The Internet checksum's running sum of 16-bit words (RFC 1071); an odd
 * last byte is padded with a zero. */
static __u32 csum_add(__u32 sum, const void *buf, size_t len)
{
	const __u8 *p = buf;

	for (size_t i = 0; i < len; i += 2)
		sum += (__u32)p[i] << 8 | (i + 1 < len ? p[i + 1] : 0);
	return sum;
}

static __u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((__u16)~sum);
}

static __u16 ip_checksum(const void *hdr, size_t len)
{
	return csum_fold(csum_add(0, hdr, len));
}

void pkt_ipv4_csum(struct pkt *p)
{
	struct iphdr *ip = (void *)(p->data + p->l3_off);

	ip->check = 0;
	ip->check = ip_checksum(ip, ip->ihl * 4u);
}

static void put_addr(int family, const char *text, void *dst)
{
	if (inet_pton(family == 6 ? AF_INET6 : AF_INET, text, dst) != 1)
		fail_msg("bad address in test: %s", text);
}

static __u32 put_l2(struct pkt *p, const struct pkt_spec *s, __u16 l3_type)
{
	struct ethhdr *eth = (void *)p->data;
	__u32 off = sizeof(*eth);

	memcpy(eth->h_dest, test_src_mac, 6);
	memcpy(eth->h_source, test_client_mac, 6);
	if (s->vlan || s->qinq) {
		eth->h_proto = htons(ETH_P_8021Q);
		__be16 *tag = (void *)(p->data + off);

		tag[0] = htons(100);
		tag[1] = htons(s->qinq ? ETH_P_8021Q : l3_type);
		off += 4;
		if (s->qinq) {
			tag = (void *)(p->data + off);
			tag[0] = htons(200);
			tag[1] = htons(l3_type);
			off += 4;
		}
	} else {
		eth->h_proto = htons(l3_type);
	}
	return off;
}

static __u32 l4_len(const struct pkt_spec *s, __u8 proto)
{
	__u32 hdr = proto == IPPROTO_UDP ? sizeof(struct udphdr) : sizeof(struct tcphdr);

	if (s->frag_off) /* a later fragment: data only */
		hdr = 0;
	return hdr + s->payload;
}

static __u32 ipv6_exts_len(const struct pkt_spec *s)
{
	return 8u * s->ipv6_ext_count;
}

/* The extension headers at p->l4_off, which they move on. */
static void put_ipv6_exts(struct pkt *p, const struct pkt_spec *s, __u8 proto)
{
	for (int i = 0; i < s->ipv6_ext_count; i++) {
		__u8 *h = p->data + p->l4_off;

		memset(h, 0, 8);
		h[0] = i + 1 < s->ipv6_ext_count ? s->ipv6_exts[i + 1] : proto;
		if (s->ipv6_exts[i] == IPPROTO_FRAGMENT) {
			__u16 fo = htons((__u16)(s->frag_off << 3 | (s->more_frags ? 1 : 0)));
			__u32 id = htonl(s->frag_id);

			memcpy(h + 2, &fo, 2);
			memcpy(h + 4, &id, 4);
		} else if (s->ipv6_exts[i] == IPPROTO_HOPOPTS || s->ipv6_exts[i] == IPPROTO_DSTOPTS) {
			h[2] = 1; /* PadN over the 4 bytes left */
			h[3] = 4;
		}
		p->l4_off += 8;
	}
}

static void put_l4(struct pkt *p, const struct pkt_spec *s, __u8 proto)
{
	if (s->frag_off) {
		/* nothing but data */
	} else if (proto == IPPROTO_UDP) {
		struct udphdr *udp = (void *)(p->data + p->l4_off);

		udp->source = htons(s->sport);
		udp->dest = htons(s->dport);
		udp->len = htons((__u16)l4_len(s, proto));
	} else if (proto == IPPROTO_TCP) {
		struct tcphdr *tcp = (void *)(p->data + p->l4_off);

		tcp->source = htons(s->sport);
		tcp->dest = htons(s->dport);
		tcp->seq = htonl(1);
		tcp->doff = 5;
		tcp->syn = !s->tcp_ack;
		tcp->ack = s->tcp_ack || s->tcp_synack;
		tcp->window = htons(65535);
	}
	for (__u32 i = 0; i < s->payload; i++)
		p->data[p->l4_off + l4_len(s, proto) - s->payload + i] = (__u8)i;
}

/* The IP header of a datagram carrying l4 bytes of `proto`; sets l4_off. */
static void put_l3(struct pkt *p, const struct pkt_spec *s, int family, __u8 proto, __u32 l4)
{
	if (family == 6) {
		struct ipv6hdr *ip6 = (void *)(p->data + p->l3_off);

		ip6->version = 6;
		ip6->payload_len = htons((__u16)(ipv6_exts_len(s) + l4));
		ip6->nexthdr = s->ipv6_ext ? s->ipv6_nexthdr : s->ipv6_ext_count ? s->ipv6_exts[0] : proto;
		ip6->hop_limit = 64;
		put_addr(6, s->src, &ip6->saddr);
		put_addr(6, s->dst, &ip6->daddr);
		p->l4_off = p->l3_off + sizeof(*ip6);
		put_ipv6_exts(p, s, proto);
	} else {
		struct iphdr *ip = (void *)(p->data + p->l3_off);
		__u32 hlen = 20 + 4u * s->ipv4_opt_words;

		ip->version = 4;
		ip->ihl = (__u8)(hlen / 4);
		ip->tot_len = htons((__u16)(hlen + l4));
		ip->id = htons(s->frag_id ? (__u16)s->frag_id : 0x1234);
		ip->frag_off = htons((__u16)(s->frag_off | (s->more_frags ? 0x2000 : 0)));
		ip->ttl = 64;
		ip->protocol = proto;
		put_addr(4, s->src, &ip->saddr);
		put_addr(4, s->dst, &ip->daddr);
		for (__u32 i = 20; i < hlen; i++)
			((__u8 *)ip)[i] = 1; /* NOP options */
		ip->check = ip_checksum(ip, hlen);
		p->l4_off = p->l3_off + hlen;
	}
}

void pkt_build(struct pkt *p, const struct pkt_spec *s)
{
	int family = s->family ? s->family : 4;
	__u8 proto = s->proto ? s->proto : IPPROTO_TCP;
	__u32 l4 = l4_len(s, proto);

	memset(p, 0, sizeof(*p));
	if (s->ethertype) {
		p->l3_off = put_l2(p, s, s->ethertype);
		p->len = p->l3_off + 28; /* an ARP-sized body of zeroes */
		return;
	}
	p->l3_off = put_l2(p, s, family == 6 ? ETH_P_IPV6 : ETH_P_IP);
	put_l3(p, s, family, proto, l4);
	put_l4(p, s, proto);
	p->len = p->l4_off + l4;
}

void pkt_build_icmp(struct pkt *p, const struct icmp_spec *s)
{
	int family = s->family ? s->family : s->quoted.family ? s->quoted.family : 4;
	struct pkt_spec outer = {
		.src = family == 6 ? "2001:db8:ffff::1" : "198.51.100.1", /* a router */
		.dst = s->to ? s->to : s->quoted.src,
		.vlan = s->vlan,
		.frag_off = s->frag_off,
		.more_frags = s->more_frags,
	};
	__u8 proto = family == 6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	const __u16 mtu = 1400;
	struct pkt quoted;
	__u32 quote, msg;
	__u8 *icmp;
	__u32 sum;

	/* The quote: the backend's datagram from its IP header on. */
	pkt_build(&quoted, &s->quoted);
	quote = quoted.len - quoted.l3_off;
	if (s->quote_len && s->quote_len < quote)
		quote = s->quote_len;
	msg = 8 + quote; /* both families' error header is 8 bytes */

	memset(p, 0, sizeof(*p));
	p->l3_off = put_l2(p, &outer, family == 6 ? ETH_P_IPV6 : ETH_P_IP);
	put_l3(p, &outer, family, proto, msg);
	assert_true(p->l4_off + msg <= PKT_MAX);
	icmp = p->data + p->l4_off;
	if (family == 6) {
		struct icmp6hdr *h = (void *)icmp;

		h->icmp6_type = s->type ? s->type : ICMPV6_PKT_TOOBIG;
		h->icmp6_code = s->type ? s->code : 0;
		h->icmp6_mtu = htonl(mtu);
	} else {
		struct icmphdr *h = (void *)icmp;

		h->type = s->type ? s->type : ICMP_DEST_UNREACH;
		h->code = s->type ? s->code : ICMP_FRAG_NEEDED;
		h->un.frag.mtu = htons(mtu);
	}
	p->quote_off = p->l4_off + 8;
	memcpy(p->data + p->quote_off, quoted.data + quoted.l3_off, quote);
	p->len = p->l4_off + msg;

	/* ICMPv6 sums a pseudo-header too: addresses, length, next header. */
	sum = csum_add(0, icmp, msg);
	if (family == 6) {
		struct ipv6hdr *ip6 = (void *)(p->data + p->l3_off);
		__u32 len = htonl(msg), next = htonl(IPPROTO_ICMPV6);

		sum = csum_add(sum, &ip6->saddr, 32);
		sum = csum_add(sum, &len, 4);
		sum = csum_add(sum, &next, 4);
	}
	memcpy(icmp + 2, &(__u16){csum_fold(sum)}, 2);
}

int run_prog(struct dataplane *dp, const struct pkt *p, struct run_result *res)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p->data, .data_size_in = p->len,
		    .data_out = res->out, .data_size_out = sizeof(res->out), .repeat = 1);
	int err;

	memset(res, 0, sizeof(*res));
	err = bpf_prog_test_run_opts(dp->prog_fd, &opts);
	if (err)
		return -errno;
	res->action = (int)opts.retval;
	res->out_len = opts.data_size_out;
	return 0;
}

void vip_add(const struct vip_spec *spec, struct siobpf_vip *out)
{
	struct siobpf_vip_key key = {0};
	struct siobpf_vip vip = {0};
	int family = strchr(spec->addr, ':') ? 6 : 4;
	int bits = family == 6 ? 128 : 32;
	int prefix = spec->prefix ? spec->prefix : bits;

	put_addr(family, spec->addr, key.addr);
	key.port = htons(spec->port);
	key.proto = spec->proto ? spec->proto : IPPROTO_TCP;
	key.family = (__u8)family;

	vip.id = spec->id;
	vip.persist_sec = spec->persist_sec ? spec->persist_sec : 600;
	vip.hash_seed = spec->seed;
	vip.sticky = spec->sticky;
	vip.prefix = (__u8)prefix;
	for (int w = 0; w < bits / 32; w++) {
		int left = prefix - 32 * w;
		__u32 m = left >= 32 ? 0xffffffffu : left <= 0 ? 0 : ~0u << (32 - left);

		vip.mask[w] = htonl(m);
	}
	assert_int_equal(dataplane_vip_put(&test_dp, &key, &vip), 0);
	assert_int_equal(dataplane_vips_publish(&test_dp), 0);
	*out = vip;
}

void backend_mac(__u32 id, __u8 mac[6])
{
	const __u8 base[6] = {0x02, 0xbe, 0x00, 0x00, (__u8)(id >> 8), (__u8)id};

	memcpy(mac, base, 6);
}

void backend_add(const struct siobpf_vip *vip, __u32 id, const char *addr, __u32 weight)
{
	struct siobpf_backend b = {0};
	int family = strchr(addr, ':') ? 6 : 4;

	put_addr(family, addr, b.addr);
	backend_mac(id, b.mac);
	memcpy(b.src_mac, test_src_mac, 6);
	b.ifindex = 1; /* the test run's ingress is lo: XDP_TX */
	b.weight = weight ? weight : 1;
	b.generation = 1;
	b.vip_id = vip->id;
	b.state = SIOBPF_BACKEND_UP;
	b.family = (__u8)family;
	b.in_use = 1;
	assert_int_equal(dataplane_backend_put(&test_dp, id, &b), 0);
}

void backend_set_state(const struct siobpf_vip *vip, __u32 id, __u8 state)
{
	struct siobpf_backend b;

	assert_int_equal(dataplane_backend_get(&test_dp, id, &b), 0);
	assert_int_equal(b.vip_id, vip->id);
	b.state = state;
	assert_int_equal(dataplane_backend_put(&test_dp, id, &b), 0);
}

void ring_rebuild(const struct siobpf_vip *vip)
{
	assert_int_equal(dataplane_ring_rebuild(&test_dp, vip), 0);
}

void backends_add_numbered(const struct siobpf_vip *vip, int n)
{
	for (int id = 1; id <= n; id++) {
		char addr[32];

		snprintf(addr, sizeof(addr), "10.0.1.%d", id);
		backend_add(vip, (__u32)id, addr, 1);
	}
	ring_rebuild(vip);
}

int chosen_backend(const struct run_result *res)
{
	if (res->action != XDP_TX && res->action != XDP_REDIRECT)
		return -1;
	if (res->out[0] != 0x02 || res->out[1] != 0xbe)
		return -2;
	return res->out[4] << 8 | res->out[5];
}

__u64 reason_count(int reason)
{
	__u64 counts[SIOBPF_R_MAX];

	assert_int_equal(dataplane_reasons(&test_dp, counts), 0);
	return counts[reason];
}

struct siobpf_traffic vip_traffic(__u32 vip_id)
{
	struct siobpf_traffic t;

	assert_int_equal(dataplane_traffic(&test_dp, false, vip_id, &t), 0);
	return t;
}

struct siobpf_traffic backend_traffic(__u32 backend_id)
{
	struct siobpf_traffic t;

	assert_int_equal(dataplane_traffic(&test_dp, true, backend_id, &t), 0);
	return t;
}

static void sizes(__u64 *prot, __u64 *prob)
{
	assert_int_equal(dataplane_sticky_sizes(&test_dp, dataplane_now(), prot, prob), 0);
}

__u64 protected_count(void)
{
	__u64 prot, prob;

	sizes(&prot, &prob);
	return prot;
}

__u64 probation_count(void)
{
	__u64 prot, prob;

	sizes(&prot, &prob);
	return prob;
}

__u64 sticky_count(void)
{
	__u64 prot, prob;

	sizes(&prot, &prob);
	return prot + prob;
}

int client_entry_where(const struct siobpf_sticky_key *key, struct client_slot *entry,
		       bool *is_protected)
{
	struct sticky_found_slot f;
	__u64 now = dataplane_now();
	bool live = dataplane_sticky_find(&test_dp, key, now, &f) == 0;

	if (!live && dataplane_sticky_slot(&test_dp, key, &f))
		return -ENOENT;
	memset(entry, 0, sizeof(*entry));
	entry->slot = f.slot;
	entry->kind = siobpf_slot_kind(f.slot);
	entry->backend_id = siobpf_slot_backend(f.slot);
	entry->generation = siobpf_slot_gen(f.slot);
	entry->deadline = siobpf_slot_deadline(f.slot);
	entry->remaining = siobpf_slot_remaining(f.slot, siobpf_time_units(now));
	entry->live = live;
	entry->bucket = f.bucket;
	entry->index = f.index;
	if (is_protected)
		*is_protected = entry->kind == SIOBPF_SLOT_PROTECTED;
	return 0;
}

int client_entry_get(const struct siobpf_sticky_key *key, struct client_slot *entry)
{
	return client_entry_where(key, entry, NULL);
}

__u32 harness_units_ceil(__u64 ns)
{
	return (__u32)((ns + (1ull << SIOBPF_TIME_UNIT_SHIFT) - 1) >> SIOBPF_TIME_UNIT_SHIFT);
}

void client_entry_age(const struct siobpf_sticky_key *key, __u64 ns)
{
	struct client_slot e;
	__u64 *where, want;

	assert_int_equal(client_entry_get(key, &e), 0);
	where = &test_dp.sticky.buckets[e.bucket].slot[e.index];
	want = siobpf_slot_renew(e.slot, e.kind, (e.deadline - harness_units_ceil(ns)) & SIOBPF_TIME_MASK);
	assert_true(__atomic_compare_exchange_n(where, &e.slot, want, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE));
}

int race_start(int cpu, pthread_barrier_t *start)
{
	cpu_set_t set;
	int err = 0;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		err = errno;
	pthread_barrier_wait(start);
	return err;
}
