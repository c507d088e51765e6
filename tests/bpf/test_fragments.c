// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Fragments, lengths and the IPv4 header checksum under BPF_PROG_TEST_RUN:
 * every fragment of a datagram goes where its first went (same VIP, same
 * backend, counted there), a later fragment seen first never reaches a
 * wrong backend, a datagram that started for the stack stays there, an L4
 * header is bounded by its datagram, and a VIP's frame with a bad header
 * checksum is dropped. Each test starts from a freshly loaded program. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/tcp.h>

#include <bpf/bpf.h>
#include <cmocka.h>

#include "harness.h"

/* Two UDP VIPs on one address per family, :53 by client address and :4433
 * by connection; one address with a single `ip` VIP; and a TCP VIP. Each
 * has BACKENDS backends, ids VIP * 10 + 1 .. + BACKENDS. */
enum {
	DNS4 = 1,    /* 10.0.0.50:53/udp, ip */
	QUIC4 = 2,   /* 10.0.0.50:4433/udp, ip-port */
	DNS6 = 3,    /* [2001:db8::50]:53/udp, ip */
	QUIC6 = 4,   /* [2001:db8::50]:4433/udp, ip-port */
	SINGLE4 = 5, /* 10.0.0.60:53/udp, ip: its address's only UDP VIP */
	SINGLE6 = 6, /* [2001:db8::60]:53/udp, ip */
	TCP4 = 7,    /* 10.0.0.70:80/tcp, ip */
};
#define BACKENDS 4
#define ADDR2_4 "10.0.0.50"
#define ADDR2_6 "2001:db8::50"
#define SINGLE_4 "10.0.0.60"
#define SINGLE_6 "2001:db8::60"
#define TCP_4 "10.0.0.70"
#define OTHER_4 "10.0.0.99"
#define OTHER_6 "2001:db8::99"

static struct siobpf_vip vips[8];

static void add(int id, const char *addr, __u16 port, __u8 proto, __u8 sticky)
{
	vip_add(&(struct vip_spec){.addr = addr, .port = port, .proto = proto, .id = (__u32)id,
				   .sticky = sticky, .seed = 7},
		&vips[id]);
	for (int b = 1; b <= BACKENDS; b++) {
		char baddr[64];

		if (strchr(addr, ':'))
			snprintf(baddr, sizeof(baddr), "2001:db8:1::%d", id * 10 + b);
		else
			snprintf(baddr, sizeof(baddr), "10.0.1.%d", id * 10 + b);
		backend_add(&vips[id], (__u32)(id * 10 + b), baddr, 1);
	}
	ring_rebuild(&vips[id]);
}

static int world(void **state)
{
	if (harness_reset(state))
		return -1;
	add(DNS4, ADDR2_4, 53, IPPROTO_UDP, SIOBPF_STICKY_IP);
	add(QUIC4, ADDR2_4, 4433, IPPROTO_UDP, SIOBPF_STICKY_IP_PORT);
	add(DNS6, ADDR2_6, 53, IPPROTO_UDP, SIOBPF_STICKY_IP);
	add(QUIC6, ADDR2_6, 4433, IPPROTO_UDP, SIOBPF_STICKY_IP_PORT);
	add(SINGLE4, SINGLE_4, 53, IPPROTO_UDP, SIOBPF_STICKY_IP);
	add(SINGLE6, SINGLE_6, 53, IPPROTO_UDP, SIOBPF_STICKY_IP);
	add(TCP4, TCP_4, 80, IPPROTO_TCP, SIOBPF_STICKY_IP);
	return 0;
}

static int backend_vip(int backend)
{
	return backend > 0 ? backend / 10 : -1;
}

/* A fragment of datagram `id`: the first (with the UDP header, MF set) when
 * off is 0, else a later one at off 8-byte units (more: not the last). */
static struct pkt_spec frag(int family, const char *src, const char *dst, __u16 sport,
			    __u16 dport, __u32 id, __u16 off, bool more)
{
	struct pkt_spec s = {
		.family = family,
		.src = src,
		.dst = dst,
		.sport = sport,
		.dport = dport,
		.proto = IPPROTO_UDP,
		.frag_off = off,
		.more_frags = more,
		.frag_id = id,
		.payload = 64,
	};

	if (family == 6) {
		s.ipv6_ext_count = 1;
		s.ipv6_exts[0] = IPPROTO_FRAGMENT;
	}
	return s;
}

struct verdict {
	int action;
	int backend; /* chosen_backend(): -1 when not forwarded */
	__u32 len;
};

static struct verdict send_pkt(const struct pkt *p)
{
	struct run_result res;

	assert_int_equal(run_prog(&test_dp, p, &res), 0);
	if (res.action == XDP_TX)
		assert_int_equal(res.out_len, p->len);
	return (struct verdict){res.action, chosen_backend(&res), p->len};
}

static struct verdict send_spec(const struct pkt_spec *s)
{
	struct pkt p;

	pkt_build(&p, s);
	return send_pkt(&p);
}

static void client(int family, int i, char *buf, size_t len)
{
	if (family == 6)
		snprintf(buf, len, "2001:db8:c::%x", i + 1);
	else
		snprintf(buf, len, "192.0.2.%d", i + 1);
}

static __u64 vip_packets(int id)
{
	return vip_traffic((__u32)id).packets;
}

/* Datagrams of 3 fragments each, in order, from several clients and ports,
 * to both UDP VIPs of one address: every fragment on its first's backend,
 * counted on its VIP and that backend. The ip-port VIP's datagrams from one
 * client spread over several backends, so following the client's address
 * alone would send some fragments wrong. */
static void in_order(int family)
{
	const char *addr = family == 6 ? ADDR2_6 : ADDR2_4;
	int dns = family == 6 ? DNS6 : DNS4, quic = family == 6 ? QUIC6 : QUIC4;
	bool quic_backends[BACKENDS + 1] = {false};
	int quic_spread = 0;
	__u32 id = 100;

	for (int c = 0; c < 8; c++) {
		char src[64];

		client(family, c, src, sizeof(src));
		for (int port = 0; port < 6; port++, id++) {
			int vip = port % 2 ? quic : dns;
			__u16 dport = vip == quic ? 4433 : 53, sport = (__u16)(20000 + port);
			__u64 vip_before = vip_packets(vip), other_before = vip_packets(vip == quic ? dns : quic);
			struct pkt_spec s = frag(family, src, addr, sport, dport, id, 0, true);
			struct verdict first = send_spec(&s), v;
			struct siobpf_traffic be_before;

			assert_int_equal(first.action, XDP_TX);
			assert_int_equal(backend_vip(first.backend), vip);
			be_before = backend_traffic((__u32)first.backend);
			s = frag(family, src, addr, sport, dport, id, 10, true);
			v = send_spec(&s);
			assert_int_equal(v.action, XDP_TX);
			assert_int_equal(v.backend, first.backend);
			s = frag(family, src, addr, sport, dport, id, 20, false);
			v = send_spec(&s);
			assert_int_equal(v.action, XDP_TX);
			assert_int_equal(v.backend, first.backend);
			assert_int_equal(vip_packets(vip), vip_before + 3);
			assert_int_equal(vip_packets(vip == quic ? dns : quic), other_before);
			assert_int_equal(backend_traffic((__u32)first.backend).packets, be_before.packets + 2);
			if (vip == quic && !quic_backends[first.backend % 10]) {
				quic_backends[first.backend % 10] = true;
				quic_spread++;
			}
		}
	}
	assert_true(quic_spread >= 2);
	assert_int_equal(reason_count(SIOBPF_R_DROP_FRAG_UNKNOWN), 0);
	assert_int_equal(reason_count(SIOBPF_R_TX), 8 * 6 * 3);
}

static void fragments_in_order_follow_their_first_ipv4(void **state)
{
	(void)state;
	in_order(4);
}

static void fragments_in_order_follow_their_first_ipv6(void **state)
{
	(void)state;
	in_order(6);
}

/* Later fragments before their first, to the address with two UDP VIPs:
 * dropped and counted, never forwarded; once the first arrives, the rest of
 * its datagram follows it. */
static void out_of_order_two_vips(int family)
{
	const char *addr = family == 6 ? ADDR2_6 : ADDR2_4;
	__u64 dropped = 0;

	for (int c = 0; c < 10; c++) {
		__u16 dport = c % 2 ? 4433 : 53;
		__u32 id = 500 + (__u32)c;
		char src[64];
		struct pkt_spec s;
		struct verdict v, first;

		client(family, c, src, sizeof(src));
		s = frag(family, src, addr, 30000, dport, id, 20, false);
		v = send_spec(&s);
		assert_int_equal(v.action, XDP_DROP);
		dropped++;
		s = frag(family, src, addr, 30000, dport, id, 0, true);
		first = send_spec(&s);
		assert_int_equal(first.action, XDP_TX);
		s = frag(family, src, addr, 30000, dport, id, 10, true);
		v = send_spec(&s);
		assert_int_equal(v.action, XDP_TX);
		assert_int_equal(v.backend, first.backend);
	}
	assert_int_equal(reason_count(SIOBPF_R_DROP_FRAG_UNKNOWN), dropped);
	assert_int_equal(reason_count(SIOBPF_R_TX), 20);
}

static void later_before_first_to_two_vips_is_dropped_ipv4(void **state)
{
	(void)state;
	out_of_order_two_vips(4);
}

static void later_before_first_to_two_vips_is_dropped_ipv6(void **state)
{
	(void)state;
	out_of_order_two_vips(6);
}

/* To an address whose only UDP VIP is keyed by the client's address, a
 * later fragment seen first goes by that key: to the backend its first
 * fragment then reaches too. */
static void out_of_order_single_vip(int family)
{
	const char *addr = family == 6 ? SINGLE_6 : SINGLE_4;
	int single = family == 6 ? SINGLE6 : SINGLE4;

	for (int c = 0; c < 20; c++) {
		char src[64];
		struct pkt_spec s;
		struct verdict later, first;

		client(family, c, src, sizeof(src));
		s = frag(family, src, addr, 30000, 53, 900 + (__u32)c, 10, false);
		later = send_spec(&s);
		assert_int_equal(later.action, XDP_TX);
		assert_int_equal(backend_vip(later.backend), single);
		s = frag(family, src, addr, 30000, 53, 900 + (__u32)c, 0, true);
		first = send_spec(&s);
		assert_int_equal(first.backend, later.backend);
	}
	assert_int_equal(vip_packets(single), 40);
	assert_int_equal(reason_count(SIOBPF_R_DROP_FRAG_UNKNOWN), 0);
	assert_int_equal(vip_traffic((__u32)single).new_sticky, 20);
}

static void later_before_first_follows_the_client_of_a_single_ip_vip_ipv4(void **state)
{
	(void)state;
	out_of_order_single_vip(4);
}

static void later_before_first_follows_the_client_of_a_single_ip_vip_ipv6(void **state)
{
	(void)state;
	out_of_order_single_vip(6);
}

/* A datagram to a VIP address's port that no VIP has: its first fragment
 * goes to the stack, and so do the later ones, on both families. */
static void first_to_the_stack_takes_the_rest_along(void **state)
{
	(void)state;
	for (int family = 4; family <= 6; family += 2) {
		const char *addr = family == 6 ? ADDR2_6 : ADDR2_4;
		struct pkt_spec s = frag(family, "192.0.2.1", addr, 1000, 9999, 77, 0, true);
		char src[64];

		client(family, 0, src, sizeof(src));
		s.src = src;
		assert_int_equal(send_spec(&s).action, XDP_PASS);
		s = frag(family, src, addr, 1000, 9999, 77, 10, true);
		assert_int_equal(send_spec(&s).action, XDP_PASS);
		s = frag(family, src, addr, 1000, 9999, 77, 20, false);
		assert_int_equal(send_spec(&s).action, XDP_PASS);
	}
	assert_int_equal(reason_count(SIOBPF_R_PASS_NOT_VIP), 2);
	assert_int_equal(reason_count(SIOBPF_R_PASS_FRAG_STACK), 4);
	for (int id = DNS4; id <= QUIC6; id++)
		assert_int_equal(vip_packets(id), 0);
}

/* A fragment entry is followed while its record is the same VIP's: a
 * drained (or down) backend finishes its datagram; a record freed or given
 * to another VIP does not get it; an entry past its time is not used. */
static void fragment_entry_follows_only_its_own_record(void **state)
{
	struct pkt_spec s = frag(4, "192.0.2.7", ADDR2_4, 4000, 4433, 31, 0, true);
	struct verdict first = send_spec(&s), v;
	struct siobpf_backend b;

	(void)state;
	assert_int_equal(first.action, XDP_TX);
	backend_set_state(&vips[QUIC4], (__u32)first.backend, SIOBPF_BACKEND_DOWN);
	s = frag(4, "192.0.2.7", ADDR2_4, 4000, 4433, 31, 10, true);
	v = send_spec(&s);
	assert_int_equal(v.action, XDP_TX);
	assert_int_equal(v.backend, first.backend);

	/* The record now serves another VIP. */
	assert_int_equal(dataplane_backend_get(&test_dp, (__u32)first.backend, &b), 0);
	b.vip_id = DNS4;
	assert_int_equal(dataplane_backend_put(&test_dp, (__u32)first.backend, &b), 0);
	v = send_spec(&s);
	assert_int_equal(v.action, XDP_DROP);
	assert_int_equal(reason_count(SIOBPF_R_DROP_FRAG_UNKNOWN), 1);
	/* Freed. */
	b.in_use = 0;
	b.vip_id = QUIC4;
	assert_int_equal(dataplane_backend_put(&test_dp, (__u32)first.backend, &b), 0);
	v = send_spec(&s);
	assert_int_equal(v.action, XDP_DROP);
	assert_int_equal(reason_count(SIOBPF_R_DROP_FRAG_UNKNOWN), 2);
}

static void old_fragment_entry_is_not_used(void **state)
{
	struct pkt_spec s = frag(4, "192.0.2.8", ADDR2_4, 4000, 9999, 32, 0, true);
	struct siobpf_frag_key key, next;
	struct siobpf_frag entry;
	(void)state;
	assert_int_equal(send_spec(&s).action, XDP_PASS);
	assert_int_equal(bpf_map_get_next_key(test_dp.frags_fd, NULL, &key), 0);
	assert_int_not_equal(bpf_map_get_next_key(test_dp.frags_fd, &key, &next), 0); /* the only one */
	assert_int_equal(bpf_map_lookup_elem(test_dp.frags_fd, &key, &entry), 0);
	assert_int_equal(entry.vip_id, SIOBPF_NO_VIP);
	assert_int_equal(key.id, 32);
	assert_int_equal(key.family, SIOBPF_FAMILY_IPV4);
	assert_int_equal(key.proto, IPPROTO_UDP);
	/* Made SIOBPF_FRAG_TIMEOUT_NS and a second ago. */
	entry.created = dataplane_now() - SIOBPF_FRAG_TIMEOUT_NS - 1000000000ull;
	assert_int_equal(bpf_map_update_elem(test_dp.frags_fd, &key, &entry, BPF_EXIST), 0);
	s = frag(4, "192.0.2.8", ADDR2_4, 4000, 9999, 32, 10, false);
	assert_int_equal(send_spec(&s).action, XDP_DROP);
	assert_int_equal(reason_count(SIOBPF_R_PASS_FRAG_STACK), 0);
	assert_int_equal(reason_count(SIOBPF_R_DROP_FRAG_UNKNOWN), 1);
}

static struct iphdr *ip4(struct pkt *p) { return (void *)(p->data + p->l3_off); }
static struct ipv6hdr *ip6(struct pkt *p) { return (void *)(p->data + p->l3_off); }
static struct udphdr *udp(struct pkt *p) { return (void *)(p->data + p->l4_off); }

/* Runs a frame; checks its action and that exactly its reason counted. */
static void expect(const struct pkt *p, int action, int reason)
{
	__u64 before[SIOBPF_R_MAX], after[SIOBPF_R_MAX];
	struct verdict v;

	assert_int_equal(dataplane_reasons(&test_dp, before), 0);
	v = send_pkt(p);
	assert_int_equal(dataplane_reasons(&test_dp, after), 0);
	if (v.action != action)
		fail_msg("action %d, expected %d (reason %s)", v.action, action, siobpf_reason_name(reason));
	for (int r = 0; r < SIOBPF_R_MAX; r++)
		if (after[r] != before[r] + (r == reason))
			fail_msg("counter %s moved by %llu, expected %s", siobpf_reason_name(r),
				 (unsigned long long)(after[r] - before[r]), siobpf_reason_name(reason));
}

static void udp_to(struct pkt *p, int family, const char *dst, __u16 dport)
{
	pkt_build(p, &(struct pkt_spec){.family = family, .src = family == 6 ? "2001:db8:c::1" : "192.0.2.1",
					 .dst = dst, .sport = 1000, .dport = dport,
					 .proto = IPPROTO_UDP, .payload = 20});
}

/* The IPv4 datagram shortened to l4 bytes after its header, the frame
 * left as it was: the rest is Ethernet padding. */
static void ipv4_datagram_cut(struct pkt *p, __u32 l4)
{
	ip4(p)->tot_len = htons((__u16)(p->l4_off - p->l3_off + l4));
	pkt_ipv4_csum(p);
}

static void l4_header_in_ethernet_padding(void **state)
{
	struct pkt p;

	(void)state;
	udp_to(&p, 4, ADDR2_4, 53);
	ipv4_datagram_cut(&p, 4);
	expect(&p, XDP_DROP, SIOBPF_R_DROP_BAD_L4);
	udp_to(&p, 4, OTHER_4, 53);
	ipv4_datagram_cut(&p, 4);
	expect(&p, XDP_PASS, SIOBPF_R_PASS_NOT_VIP);
	/* TCP: the header whole in the frame, 12 of its bytes in the datagram. */
	pkt_build(&p, &(struct pkt_spec){.src = "192.0.2.1", .dst = TCP_4, .sport = 1, .dport = 80, .payload = 10});
	ipv4_datagram_cut(&p, 12);
	expect(&p, XDP_DROP, SIOBPF_R_DROP_BAD_L4);
	/* IPv6 the same way. */
	udp_to(&p, 6, ADDR2_6, 53);
	ip6(&p)->payload_len = htons(4);
	expect(&p, XDP_DROP, SIOBPF_R_DROP_BAD_L4);
	udp_to(&p, 6, OTHER_6, 53);
	ip6(&p)->payload_len = htons(4);
	expect(&p, XDP_PASS, SIOBPF_R_PASS_NOT_VIP);
	assert_int_equal(vip_packets(DNS4) + vip_packets(DNS6) + vip_packets(TCP4), 0);
}

static void udp_length_past_the_datagram(void **state)
{
	struct pkt p;

	(void)state;
	for (int family = 4; family <= 6; family += 2) {
		udp_to(&p, family, family == 6 ? ADDR2_6 : ADDR2_4, 4433);
		udp(&p)->len = htons((__u16)(ntohs(udp(&p)->len) + 1));
		p.len += 8; /* room in the frame: only the datagram is too short */
		expect(&p, XDP_DROP, SIOBPF_R_DROP_BAD_L4);
		udp_to(&p, family, family == 6 ? OTHER_6 : OTHER_4, 4433);
		udp(&p)->len = htons((__u16)(ntohs(udp(&p)->len) + 1));
		expect(&p, XDP_PASS, SIOBPF_R_PASS_NOT_VIP);
		/* A shorter UDP length than the datagram is accepted. */
		udp_to(&p, family, family == 6 ? ADDR2_6 : ADDR2_4, 4433);
		udp(&p)->len = htons((__u16)(ntohs(udp(&p)->len) - 1));
		expect(&p, XDP_TX, SIOBPF_R_TX);
	}
	/* A first fragment's UDP length is its datagram's, longer than itself. */
	{
		struct pkt_spec s = frag(4, "192.0.2.3", ADDR2_4, 5, 53, 3, 0, true);

		pkt_build(&p, &s);
		udp(&p)->len = htons(1400);
		expect(&p, XDP_TX, SIOBPF_R_TX);
	}
}

static void ipv6_payload_length_0(void **state)
{
	struct pkt p;

	(void)state;
	udp_to(&p, 6, ADDR2_6, 53);
	ip6(&p)->payload_len = 0;
	expect(&p, XDP_DROP, SIOBPF_R_DROP_BAD_L4);
	udp_to(&p, 6, OTHER_6, 53);
	ip6(&p)->payload_len = 0;
	expect(&p, XDP_PASS, SIOBPF_R_PASS_NOT_VIP);
	/* Not even the protocol of the address: transit. */
	pkt_build(&p, &(struct pkt_spec){.family = 6, .src = "2001:db8:c::1", .dst = ADDR2_6, .sport = 1, .dport = 53});
	ip6(&p)->payload_len = 0;
	expect(&p, XDP_PASS, SIOBPF_R_PASS_NOT_VIP);
}

static void truncated_l4(void **state)
{
	struct pkt p;

	(void)state;
	for (int family = 4; family <= 6; family += 2) {
		for (int vip = 0; vip < 2; vip++) {
			const char *dst = vip ? (family == 6 ? ADDR2_6 : ADDR2_4) : (family == 6 ? OTHER_6 : OTHER_4);

			udp_to(&p, family, dst, 53);
			p.len = p.l4_off + 6;
			if (family == 6)
				ip6(&p)->payload_len = htons(6);
			else
				ipv4_datagram_cut(&p, 6);
			expect(&p, vip ? XDP_DROP : XDP_PASS, vip ? SIOBPF_R_DROP_BAD_L4 : SIOBPF_R_PASS_NOT_VIP);
		}
	}
	/* TCP to the address of the TCP VIP, and to one that has only UDP VIPs. */
	pkt_build(&p, &(struct pkt_spec){.src = "192.0.2.1", .dst = TCP_4, .sport = 1, .dport = 80});
	p.len = p.l4_off + 12;
	ipv4_datagram_cut(&p, 12);
	expect(&p, XDP_DROP, SIOBPF_R_DROP_BAD_L4);
	pkt_build(&p, &(struct pkt_spec){.src = "192.0.2.1", .dst = ADDR2_4, .sport = 1, .dport = 53});
	p.len = p.l4_off + 12;
	ipv4_datagram_cut(&p, 12);
	expect(&p, XDP_PASS, SIOBPF_R_PASS_NOT_VIP);
}

static void bad_checksum(void **state)
{
	struct pkt p;
	__u64 entries = sticky_count();

	(void)state;
	udp_to(&p, 4, ADDR2_4, 53);
	ip4(&p)->check ^= htons(1);
	expect(&p, XDP_DROP, SIOBPF_R_DROP_BAD_CSUM);
	assert_int_equal(sticky_count(), entries);
	assert_int_equal(vip_packets(DNS4), 0);
	for (int b = 1; b <= BACKENDS; b++)
		assert_int_equal(backend_traffic(DNS4 * 10 + b).packets, 0);

	/* With options: every word is summed. */
	pkt_build(&p, &(struct pkt_spec){.src = "192.0.2.1", .dst = TCP_4, .sport = 1, .dport = 80, .ipv4_opt_words = 10});
	p.data[p.l3_off + 59] ^= 0x40;
	expect(&p, XDP_DROP, SIOBPF_R_DROP_BAD_CSUM);
	pkt_build(&p, &(struct pkt_spec){.src = "192.0.2.1", .dst = TCP_4, .sport = 1, .dport = 80, .ipv4_opt_words = 10});
	expect(&p, XDP_TX, SIOBPF_R_TX);

	/* Not for a VIP: passed, whatever the checksum (another port of a VIP
	 * address too). */
	udp_to(&p, 4, OTHER_4, 53);
	ip4(&p)->check ^= htons(1);
	expect(&p, XDP_PASS, SIOBPF_R_PASS_NOT_VIP);
	udp_to(&p, 4, ADDR2_4, 54);
	ip4(&p)->check ^= htons(1);
	expect(&p, XDP_PASS, SIOBPF_R_PASS_NOT_VIP);

	/* A first fragment with a bad checksum leaves no fragment entry: its
	 * later fragment is unknown. A later one with a bad checksum is dropped
	 * for it, even with an entry. */
	{
		struct pkt_spec s = frag(4, "192.0.2.4", ADDR2_4, 5, 4433, 44, 0, true);

		pkt_build(&p, &s);
		ip4(&p)->check ^= htons(1);
		expect(&p, XDP_DROP, SIOBPF_R_DROP_BAD_CSUM);
		s = frag(4, "192.0.2.4", ADDR2_4, 5, 4433, 44, 10, false);
		pkt_build(&p, &s);
		expect(&p, XDP_DROP, SIOBPF_R_DROP_FRAG_UNKNOWN);
		s = frag(4, "192.0.2.4", ADDR2_4, 5, 4433, 45, 0, true);
		pkt_build(&p, &s);
		expect(&p, XDP_TX, SIOBPF_R_TX);
		s = frag(4, "192.0.2.4", ADDR2_4, 5, 4433, 45, 10, false);
		pkt_build(&p, &s);
		ip4(&p)->check ^= htons(1);
		expect(&p, XDP_DROP, SIOBPF_R_DROP_BAD_CSUM);
		s = frag(4, "192.0.2.4", OTHER_4, 5, 4433, 45, 10, false);
		pkt_build(&p, &s);
		ip4(&p)->check ^= htons(1);
		expect(&p, XDP_PASS, SIOBPF_R_PASS_NOT_VIP);
	}
	assert_int_equal(bpf_map_get_next_key(test_dp.frags_fd, NULL, &(struct siobpf_frag_key){0}), 0);
}

/* The address entry of (address, protocol), as the program reads it. */
static struct siobpf_vip_addr addr_entry(int family, const char *addr, __u8 proto)
{
	struct siobpf_vip_key key = {.proto = proto, .family = (__u8)family};
	struct siobpf_vip v;
	struct siobpf_vip_addr a;

	assert_int_equal(inet_pton(family == 6 ? AF_INET6 : AF_INET, addr, key.addr), 1);
	if (bpf_map_lookup_elem(test_dp.vips_fd, &key, &v))
		return (struct siobpf_vip_addr){0};
	memcpy(&a, &v, sizeof(a));
	return a;
}

static void vip_del(int family, const char *addr, __u16 port, __u8 proto)
{
	struct siobpf_vip_key key = {.port = htons(port), .proto = proto, .family = (__u8)family};

	assert_int_equal(inet_pton(family == 6 ? AF_INET6 : AF_INET, addr, key.addr), 1);
	assert_int_equal(bpf_map_delete_elem(test_dp.vips_fd, &key), 0);
	assert_int_equal(dataplane_vips_publish(&test_dp), 0);
}

/* The address entry counts the address's VIPs of the protocol through
 * adds and deletes; a later fragment seen first goes by the client once the
 * address is left with one `ip` VIP, and is passed once it has none. */
static void address_entry_follows_the_vip_table(void **state)
{
	struct siobpf_vip_addr a;
	struct pkt_spec s;

	(void)state;
	a = addr_entry(4, ADDR2_4, IPPROTO_UDP);
	assert_int_equal(a.flags, SIOBPF_VIP_F_FRAG_ALIAS);
	assert_int_equal(a.vips, 2);
	assert_int_equal(a.vip_id, SIOBPF_NO_VIP);
	a = addr_entry(4, SINGLE_4, IPPROTO_UDP);
	assert_int_equal(a.vips, 1);
	assert_int_equal(a.vip_id, SINGLE4);
	assert_int_equal(ntohs(a.port), 53);
	assert_int_equal(addr_entry(4, SINGLE_4, IPPROTO_TCP).flags, 0);
	assert_int_equal(dataplane_vips_published(&test_dp), 1);

	s = frag(4, "192.0.2.9", ADDR2_4, 5, 53, 60, 10, false);
	assert_int_equal(send_spec(&s).action, XDP_DROP);

	vip_del(4, ADDR2_4, 4433, IPPROTO_UDP); /* left: :53, ip */
	a = addr_entry(4, ADDR2_4, IPPROTO_UDP);
	assert_int_equal(a.vips, 1);
	assert_int_equal(a.vip_id, DNS4);
	s.frag_id = 61;
	assert_int_equal(backend_vip(send_spec(&s).backend), DNS4);

	/* The one left keyed by connection: no client key to follow. */
	vips[DNS4].sticky = SIOBPF_STICKY_IP_PORT;
	{
		struct siobpf_vip_key key = {.port = htons(53), .proto = IPPROTO_UDP, .family = 4};

		inet_pton(AF_INET, ADDR2_4, key.addr);
		assert_int_equal(dataplane_vip_put(&test_dp, &key, &vips[DNS4]), 0);
		assert_int_equal(dataplane_vips_publish(&test_dp), 0);
	}
	s.frag_id = 62;
	assert_int_equal(send_spec(&s).action, XDP_DROP);

	vip_del(4, ADDR2_4, 53, IPPROTO_UDP);
	assert_int_equal(addr_entry(4, ADDR2_4, IPPROTO_UDP).flags, 0);
	s.frag_id = 63;
	assert_int_equal(send_spec(&s).action, XDP_PASS);
	assert_int_equal(dataplane_vips_published(&test_dp), 1);

	/* An entry of the old kind (a copy of a VIP) is found stale and
	 * rewritten by a publication. */
	{
		struct siobpf_vip_key key = {.proto = IPPROTO_UDP, .family = 4};
		struct siobpf_vip old = vips[SINGLE4];

		inet_pton(AF_INET, SINGLE_4, key.addr);
		old.flags |= SIOBPF_VIP_F_FRAG_ALIAS;
		assert_int_equal(bpf_map_update_elem(test_dp.vips_fd, &key, &old, BPF_ANY), 0);
		assert_int_equal(dataplane_vips_published(&test_dp), 0);
		assert_int_equal(dataplane_vips_publish(&test_dp), 0);
		assert_int_equal(dataplane_vips_published(&test_dp), 1);
		a = addr_entry(4, SINGLE_4, IPPROTO_UDP);
		assert_int_equal(a.vips, 1);
		assert_int_equal(a.vip_id, SINGLE4);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(fragments_in_order_follow_their_first_ipv4, world),
		cmocka_unit_test_setup(fragments_in_order_follow_their_first_ipv6, world),
		cmocka_unit_test_setup(later_before_first_to_two_vips_is_dropped_ipv4, world),
		cmocka_unit_test_setup(later_before_first_to_two_vips_is_dropped_ipv6, world),
		cmocka_unit_test_setup(later_before_first_follows_the_client_of_a_single_ip_vip_ipv4, world),
		cmocka_unit_test_setup(later_before_first_follows_the_client_of_a_single_ip_vip_ipv6, world),
		cmocka_unit_test_setup(first_to_the_stack_takes_the_rest_along, world),
		cmocka_unit_test_setup(fragment_entry_follows_only_its_own_record, world),
		cmocka_unit_test_setup(old_fragment_entry_is_not_used, world),
		cmocka_unit_test_setup(l4_header_in_ethernet_padding, world),
		cmocka_unit_test_setup(udp_length_past_the_datagram, world),
		cmocka_unit_test_setup(ipv6_payload_length_0, world),
		cmocka_unit_test_setup(truncated_l4, world),
		cmocka_unit_test_setup(bad_checksum, world),
		cmocka_unit_test_setup(address_entry_follows_the_vip_table, world),
	};

	return cmocka_run_group_tests_name("fragments", tests, harness_setup, harness_teardown);
}
