// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Table-driven fixtures: a crafted frame in, the expected XDP action, the
 * exact output bytes, and the one counter that must count it. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include <cmocka.h>

#include "harness.h"

/* The fixture world: every VIP has exactly one backend, so a forwarded
 * frame's expected destination is known without computing a hash. */
enum {
	VIP_TCP4 = 0,    /* 10.0.0.100:80/tcp, ip mode      -> backend 1 */
	VIP_UDP4 = 1,    /* 10.0.0.100:443/udp, ip mode     -> backend 2 */
	VIP_TCP6 = 2,    /* [2001:db8::100]:80/tcp          -> backend 3 */
	VIP_UDP6 = 3,    /* [2001:db8::100]:443/udp         -> backend 4 */
	VIP_PORTKEY = 4, /* 10.0.0.200:80/tcp, ip-port mode -> backend 5 */
	VIP_EMPTY = 5,   /* 10.0.0.250:80/tcp, no backend */
};

static int world_setup(void **state)
{
	struct siobpf_vip vip;

	if (harness_setup(state))
		return -1;
	vip_add(&(struct vip_spec){.addr = "10.0.0.100", .port = 80, .id = VIP_TCP4}, &vip);
	backend_add(&vip, 1, "10.0.1.1", 1);
	ring_rebuild(&vip);
	vip_add(&(struct vip_spec){.addr = "10.0.0.100", .port = 443, .proto = IPPROTO_UDP,
				   .id = VIP_UDP4}, &vip);
	backend_add(&vip, 2, "10.0.1.2", 1);
	ring_rebuild(&vip);
	vip_add(&(struct vip_spec){.addr = "2001:db8::100", .port = 80, .id = VIP_TCP6}, &vip);
	backend_add(&vip, 3, "2001:db8:1::3", 1);
	ring_rebuild(&vip);
	vip_add(&(struct vip_spec){.addr = "2001:db8::100", .port = 443, .proto = IPPROTO_UDP,
				   .id = VIP_UDP6}, &vip);
	backend_add(&vip, 4, "2001:db8:1::4", 1);
	ring_rebuild(&vip);
	vip_add(&(struct vip_spec){.addr = "10.0.0.200", .port = 80, .id = VIP_PORTKEY,
				   .sticky = SIOBPF_STICKY_IP_PORT}, &vip);
	backend_add(&vip, 5, "10.0.1.5", 1);
	ring_rebuild(&vip);
	vip_add(&(struct vip_spec){.addr = "10.0.0.250", .port = 80, .id = VIP_EMPTY}, &vip);
	ring_rebuild(&vip);
	return 0;
}

typedef void (*mangle_fn)(struct pkt *p);

struct fixture {
	const char *name;
	struct pkt_spec spec;
	mangle_fn mangle;  /* corrupts the built frame; NULL keeps it */
	int action;        /* expected XDP action */
	int reason;        /* the counter that must count this frame */
	int backend;       /* expected backend id when forwarded */
	int vip;           /* VIP whose traffic counters must count it, or -1 */
};

/* The same for an ICMP error, built by pkt_build_icmp. */
struct icmp_fixture {
	const char *name;
	struct icmp_spec spec;
	mangle_fn mangle;
	int action, reason, backend, vip;
};

#define C4 .src = "192.0.2.10", .sport = 40000
#define C6 .family = 6, .src = "2001:db8:c::10", .sport = 40000
#define TCP4_VIP C4, .dst = "10.0.0.100", .dport = 80
#define TCP6_VIP C6, .dst = "2001:db8::100", .dport = 80

static struct iphdr *ip4(struct pkt *p) { return (void *)(p->data + p->l3_off); }
static struct ipv6hdr *ip6(struct pkt *p) { return (void *)(p->data + p->l3_off); }

/* The kernel hands XDP no frame shorter than an Ethernet header (the test
 * run refuses one too), so L2 truncation is tested on the VLAN tag. */
static void eth_only(struct pkt *p) { p->len = p->l3_off; }
static void cut_vlan(struct pkt *p) { p->len = 16; }
static void cut_ipv4(struct pkt *p) { p->len = p->l3_off + 12; }
static void ipv4_ihl_4(struct pkt *p) { ip4(p)->ihl = 4; }
static void ipv4_version_6(struct pkt *p) { ip4(p)->version = 6; }
static void ipv4_totlen_long(struct pkt *p) { ip4(p)->tot_len = htons((__u16)(p->len - p->l3_off + 1)); }
static void ipv4_totlen_short(struct pkt *p) { ip4(p)->tot_len = htons(16); }
static void ipv4_options_cut(struct pkt *p) { ip4(p)->ihl = 15; p->len = p->l3_off + 40; ip4(p)->tot_len = htons(40); }
static void ipv4_padded(struct pkt *p) { p->len += 6; } /* Ethernet padding after the datagram */
static void cut_ipv6(struct pkt *p) { p->len = p->l3_off + 30; }
static void ipv6_version_4(struct pkt *p) { ip6(p)->version = 4; }
static void ipv6_paylen_long(struct pkt *p) { ip6(p)->payload_len = htons((__u16)(p->len - p->l4_off + 1)); }
static void cut_tcp(struct pkt *p) { p->len = p->l4_off + 12; ip4(p)->tot_len = htons((__u16)(p->len - p->l3_off)); pkt_ipv4_csum(p); }
static void cut_tcp6(struct pkt *p) { p->len = p->l4_off + 12; ip6(p)->payload_len = htons(12); }
static void ipv6_ext_long(struct pkt *p) { p->data[p->l3_off + 41] = 10; } /* 88 bytes: past the datagram */
static void ipv6_ext_paylen_0(struct pkt *p) { ip6(p)->payload_len = 0; }
static void tcp_doff_4(struct pkt *p) { ((struct tcphdr *)(p->data + p->l4_off))->doff = 4; }
static void tcp_doff_past_end(struct pkt *p) { ((struct tcphdr *)(p->data + p->l4_off))->doff = 15; }
static void cut_udp(struct pkt *p) { p->len = p->l4_off + 6; ip4(p)->tot_len = htons((__u16)(p->len - p->l3_off)); pkt_ipv4_csum(p); }
static void udp_len_7(struct pkt *p) { ((struct udphdr *)(p->data + p->l4_off))->len = htons(7); }
static void tcp_dport_0(struct pkt *p) { ((struct tcphdr *)(p->data + p->l4_off))->dest = 0; }
static void udp_dport_0(struct pkt *p) { ((struct udphdr *)(p->data + p->l4_off))->dest = 0; }
static struct iphdr *quote4(struct pkt *p) { return (void *)(p->data + p->quote_off); }
static void quote_ihl_4(struct pkt *p) { quote4(p)->ihl = 4; }
static void quote_version_5(struct pkt *p) { quote4(p)->version = 5; }
static void cut_icmp(struct pkt *p) { p->len = p->l4_off + 6; ip4(p)->tot_len = htons((__u16)(p->len - p->l3_off)); }
static void cut_icmp6(struct pkt *p) { p->len = p->l4_off + 6; ip6(p)->payload_len = htons(6); }
static void icmp_in_ipv6(struct pkt *p) { ip6(p)->nexthdr = IPPROTO_ICMP; }
static void icmpv6_in_ipv4(struct pkt *p) { ip4(p)->protocol = IPPROTO_ICMPV6; }

static const struct fixture fixtures[] = {
	/* Forwarded: one VIP per family and protocol. */
	{"ipv4 tcp to vip is sent to its backend", {TCP4_VIP}, NULL, XDP_TX, SIOBPF_R_TX, 1, VIP_TCP4},
	{"ipv4 tcp with payload keeps every byte", {TCP4_VIP, .payload = 100}, NULL, XDP_TX, SIOBPF_R_TX, 1, VIP_TCP4},
	{"ipv4 udp to vip is sent to its backend", {C4, .dst = "10.0.0.100", .dport = 443, .proto = IPPROTO_UDP},
	 NULL, XDP_TX, SIOBPF_R_TX, 2, VIP_UDP4},
	{"ipv6 tcp to vip is sent to its backend", {TCP6_VIP}, NULL, XDP_TX, SIOBPF_R_TX, 3, VIP_TCP6},
	{"ipv6 udp to vip is sent to its backend", {C6, .dst = "2001:db8::100", .dport = 443, .proto = IPPROTO_UDP},
	 NULL, XDP_TX, SIOBPF_R_TX, 4, VIP_UDP6},
	{"vlan tagged ipv4 is forwarded with its tag", {TCP4_VIP, .vlan = true}, NULL, XDP_TX, SIOBPF_R_TX, 1, VIP_TCP4},
	{"vlan tagged ipv6 is forwarded with its tag", {TCP6_VIP, .vlan = true}, NULL, XDP_TX, SIOBPF_R_TX, 3, VIP_TCP6},
	{"ipv4 options are skipped", {TCP4_VIP, .ipv4_opt_words = 10}, NULL, XDP_TX, SIOBPF_R_TX, 1, VIP_TCP4},
	{"ethernet padding after the datagram is allowed", {TCP4_VIP}, ipv4_padded, XDP_TX, SIOBPF_R_TX, 1, VIP_TCP4},
	{"ip-port vip forwards a whole packet", {C4, .dst = "10.0.0.200", .dport = 80}, NULL, XDP_TX, SIOBPF_R_TX, 5, VIP_PORTKEY},

	/* Not for a VIP: passed untouched. */
	{"other address is passed", {C4, .dst = "10.0.0.99", .dport = 80}, NULL, XDP_PASS, SIOBPF_R_PASS_NOT_VIP, -1, -1},
	{"vip address on another port is passed", {C4, .dst = "10.0.0.100", .dport = 22}, NULL, XDP_PASS, SIOBPF_R_PASS_NOT_VIP, -1, -1},
	{"udp to a tcp-only vip port is passed", {C4, .dst = "10.0.0.100", .dport = 80, .proto = IPPROTO_UDP},
	 NULL, XDP_PASS, SIOBPF_R_PASS_NOT_VIP, -1, -1},
	{"ipv6 other address is passed", {C6, .dst = "2001:db8::99", .dport = 80}, NULL, XDP_PASS, SIOBPF_R_PASS_NOT_VIP, -1, -1},
	{"arp is passed", {.ethertype = 0x0806}, NULL, XDP_PASS, SIOBPF_R_PASS_NOT_IP, -1, -1},
	{"icmp echo to the vip is passed", {C4, .dst = "10.0.0.100", .proto = IPPROTO_ICMP}, NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmpv6 to the vip is passed", {C6, .dst = "2001:db8::100", .proto = IPPROTO_ICMPV6}, NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"gre to the vip is passed", {C4, .dst = "10.0.0.100", .proto = 47}, NULL, XDP_PASS, SIOBPF_R_PASS_OTHER_PROTO, -1, -1},
	{"ipv6 routing header is passed", {TCP6_VIP, .ipv6_ext_count = 1, .ipv6_exts = {IPPROTO_ROUTING}}, NULL, XDP_PASS, SIOBPF_R_PASS_IPV6_EXT, -1, -1},
	{"ipv6 routing header after hop-by-hop is passed", {TCP6_VIP, .ipv6_ext_count = 2, .ipv6_exts = {IPPROTO_HOPOPTS, IPPROTO_ROUTING}},
	 NULL, XDP_PASS, SIOBPF_R_PASS_IPV6_EXT, -1, -1},
	{"ipv6 ah header is passed", {TCP6_VIP, .ipv6_ext_count = 1, .ipv6_exts = {IPPROTO_AH}}, NULL, XDP_PASS, SIOBPF_R_PASS_IPV6_EXT, -1, -1},
	{"ipv6 esp is passed as another protocol", {TCP6_VIP, .ipv6_ext_count = 1, .ipv6_exts = {IPPROTO_ESP}}, NULL, XDP_PASS, SIOBPF_R_PASS_OTHER_PROTO, -1, -1},
	{"a 5th ipv6 extension header is passed", {TCP6_VIP, .ipv6_ext_count = 5,
	 .ipv6_exts = {IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_DSTOPTS, IPPROTO_DSTOPTS, IPPROTO_DSTOPTS}},
	 NULL, XDP_PASS, SIOBPF_R_PASS_IPV6_EXT, -1, -1},

	{"ipv6 extension header past the datagram is dropped", {TCP6_VIP, .ipv6_ext_count = 1, .ipv6_exts = {IPPROTO_HOPOPTS}},
	 ipv6_ext_long, XDP_DROP, SIOBPF_R_DROP_BAD_IPV6, -1, -1},
	{"ipv6 extension header past the datagram to no vip is dropped", {C6, .dst = "2001:db8::99", .dport = 80, .ipv6_ext_count = 1,
	 .ipv6_exts = {IPPROTO_DSTOPTS}}, ipv6_ext_long, XDP_DROP, SIOBPF_R_DROP_BAD_IPV6, -1, -1},
	{"ipv6 payload length 0 with an extension header is dropped", {TCP6_VIP, .ipv6_ext_count = 1, .ipv6_exts = {IPPROTO_HOPOPTS}},
	 ipv6_ext_paylen_0, XDP_DROP, SIOBPF_R_DROP_BAD_IPV6, -1, -1},
	{"ipv6 fragment header past the datagram is dropped", {TCP6_VIP, .ipv6_ext_count = 1, .ipv6_exts = {IPPROTO_FRAGMENT}},
	 ipv6_ext_paylen_0, XDP_DROP, SIOBPF_R_DROP_BAD_IPV6, -1, -1},
	{"icmpv6 after a hop-by-hop header is read as icmp", {C6, .dst = "2001:db8::100", .proto = IPPROTO_ICMPV6,
	 .ipv6_ext_count = 1, .ipv6_exts = {IPPROTO_HOPOPTS}}, NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"ipv6 later fragment to an address's one ip vip follows the client", {C6, .dst = "2001:db8::100",
	 .proto = IPPROTO_UDP, .frag_off = 10, .ipv6_ext_count = 1, .ipv6_exts = {IPPROTO_FRAGMENT}},
	 NULL, XDP_TX, SIOBPF_R_TX, 4, VIP_UDP6},
	{"ipv6 later fragment to no vip address is passed", {C6, .dst = "2001:db8::99", .proto = IPPROTO_UDP,
	 .frag_off = 10, .ipv6_ext_count = 1, .ipv6_exts = {IPPROTO_FRAGMENT}}, NULL, XDP_PASS, SIOBPF_R_PASS_NOT_VIP, -1, -1},
	{"ipv6 later fragment followed by a destination options header is passed", {TCP6_VIP, .frag_off = 10,
	 .ipv6_ext_count = 2, .ipv6_exts = {IPPROTO_FRAGMENT, IPPROTO_DSTOPTS}}, NULL, XDP_PASS, SIOBPF_R_PASS_IPV6_EXT, -1, -1},

	/* IPv6 extension headers walked to the upper protocol. */
	{"ipv6 hop-by-hop header is walked", {TCP6_VIP, .ipv6_ext_count = 1, .ipv6_exts = {IPPROTO_HOPOPTS}}, NULL, XDP_TX, SIOBPF_R_TX, 3, VIP_TCP6},
	{"ipv6 four extension headers are walked", {TCP6_VIP, .ipv6_ext_count = 4,
	 .ipv6_exts = {IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_FRAGMENT, IPPROTO_DSTOPTS}},
	 NULL, XDP_TX, SIOBPF_R_TX, 3, VIP_TCP6},
	{"ipv6 atomic fragment is a whole datagram", {TCP6_VIP, .ipv6_ext_count = 1, .ipv6_exts = {IPPROTO_FRAGMENT}}, NULL, XDP_TX, SIOBPF_R_TX, 3, VIP_TCP6},
	{"stacked vlan tags are passed", {TCP4_VIP, .qinq = true}, NULL, XDP_PASS, SIOBPF_R_PASS_VLAN_STACKED, -1, -1},

	/* Malformed at every layer: dropped, never forwarded. */
	{"ethernet header without ipv4 header is dropped", {TCP4_VIP}, eth_only, XDP_DROP, SIOBPF_R_DROP_BAD_IPV4, -1, -1},
	{"truncated vlan tag is dropped", {TCP4_VIP, .vlan = true}, cut_vlan, XDP_DROP, SIOBPF_R_DROP_BAD_L2, -1, -1},
	{"truncated ipv4 header is dropped", {TCP4_VIP}, cut_ipv4, XDP_DROP, SIOBPF_R_DROP_BAD_IPV4, -1, -1},
	{"ipv4 ihl below 5 is dropped", {TCP4_VIP}, ipv4_ihl_4, XDP_DROP, SIOBPF_R_DROP_BAD_IPV4, -1, -1},
	{"ipv4 ethertype with version 6 is dropped", {TCP4_VIP}, ipv4_version_6, XDP_DROP, SIOBPF_R_DROP_BAD_IPV4, -1, -1},
	{"ipv4 total length past the frame is dropped", {TCP4_VIP}, ipv4_totlen_long, XDP_DROP, SIOBPF_R_DROP_BAD_IPV4, -1, -1},
	{"ipv4 total length below the header is dropped", {TCP4_VIP}, ipv4_totlen_short, XDP_DROP, SIOBPF_R_DROP_BAD_IPV4, -1, -1},
	{"ipv4 options past the frame are dropped", {TCP4_VIP}, ipv4_options_cut, XDP_DROP, SIOBPF_R_DROP_BAD_IPV4, -1, -1},
	{"truncated ipv6 header is dropped", {TCP6_VIP}, cut_ipv6, XDP_DROP, SIOBPF_R_DROP_BAD_IPV6, -1, -1},
	{"ipv6 ethertype with version 4 is dropped", {TCP6_VIP}, ipv6_version_4, XDP_DROP, SIOBPF_R_DROP_BAD_IPV6, -1, -1},
	{"ipv6 payload length past the frame is dropped", {TCP6_VIP}, ipv6_paylen_long, XDP_DROP, SIOBPF_R_DROP_BAD_IPV6, -1, -1},
	{"truncated tcp header is dropped", {TCP4_VIP}, cut_tcp, XDP_DROP, SIOBPF_R_DROP_BAD_L4, -1, -1},
	{"truncated ipv6 tcp header is dropped", {TCP6_VIP}, cut_tcp6, XDP_DROP, SIOBPF_R_DROP_BAD_L4, -1, -1},
	{"tcp data offset below 5 is dropped", {TCP4_VIP}, tcp_doff_4, XDP_DROP, SIOBPF_R_DROP_BAD_L4, -1, -1},
	{"tcp options past the frame are dropped", {TCP4_VIP}, tcp_doff_past_end, XDP_DROP, SIOBPF_R_DROP_BAD_L4, -1, -1},
	{"truncated udp header is dropped", {C4, .dst = "10.0.0.100", .dport = 443, .proto = IPPROTO_UDP},
	 cut_udp, XDP_DROP, SIOBPF_R_DROP_BAD_L4, -1, -1},
	{"udp length below its header is dropped", {C4, .dst = "10.0.0.100", .dport = 443, .proto = IPPROTO_UDP},
	 udp_len_7, XDP_DROP, SIOBPF_R_DROP_BAD_L4, -1, -1},

	/* IPv4 fragments. */
	{"first fragment follows the client in ip mode", {TCP4_VIP, .more_frags = true, .payload = 64},
	 NULL, XDP_TX, SIOBPF_R_TX, 1, VIP_TCP4},
	{"later fragment follows the client in ip mode", {TCP4_VIP, .frag_off = 100, .payload = 64},
	 NULL, XDP_TX, SIOBPF_R_TX, 1, VIP_TCP4},
	{"first fragment is forwarded in ip-port mode", {C4, .dst = "10.0.0.200", .dport = 80, .more_frags = true, .frag_id = 7},
	 NULL, XDP_TX, SIOBPF_R_TX, 5, VIP_PORTKEY},
	{"later fragment follows its first in ip-port mode", {C4, .dst = "10.0.0.200", .dport = 80, .frag_off = 100, .frag_id = 7},
	 NULL, XDP_TX, SIOBPF_R_TX, 5, VIP_PORTKEY},
	{"later fragment without its first is dropped in ip-port mode", {C4, .dst = "10.0.0.200", .dport = 80, .frag_off = 100, .frag_id = 8},
	 NULL, XDP_DROP, SIOBPF_R_DROP_FRAG_UNKNOWN, -1, -1},
	/* Port 0 names the fragment alias of a VIP address, never a VIP. */
	{"tcp to a vip address's port 0 is passed", {TCP4_VIP}, tcp_dport_0, XDP_PASS, SIOBPF_R_PASS_NOT_VIP, -1, -1},
	{"udp to a vip address's port 0 is passed", {C4, .dst = "10.0.0.100", .dport = 443, .proto = IPPROTO_UDP},
	 udp_dport_0, XDP_PASS, SIOBPF_R_PASS_NOT_VIP, -1, -1},
	{"later fragment to no vip address is passed", {C4, .dst = "10.0.0.99", .dport = 80, .frag_off = 100},
	 NULL, XDP_PASS, SIOBPF_R_PASS_NOT_VIP, -1, -1},
	{"later fragment of another protocol than the address's vips is passed", {C4, .dst = "10.0.0.200", .proto = IPPROTO_UDP, .frag_off = 100},
	 NULL, XDP_PASS, SIOBPF_R_PASS_NOT_VIP, -1, -1},

	/* A VIP with nothing in service drops (passing would let the local stack answer). */
	{"vip without backends drops", {C4, .dst = "10.0.0.250", .dport = 80}, NULL, XDP_DROP, SIOBPF_R_DROP_NO_BACKEND, -1, -1},
};

/* ICMP errors about a VIP flow go to the flow's backend (path-MTU
 * discovery); the rest of ICMP, and any error in doubt, is passed. The
 * quote is the backend's reply, VIP:port -> client:port. */
#define VIP4 "10.0.0.100"
#define VIP6 "2001:db8::100"
#define Q4(vip, port) .src = vip, .sport = port, .dst = "192.0.2.10", .dport = 40000
#define Q6(vip, port) .family = 6, .src = vip, .sport = port, .dst = "2001:db8:c::10", .dport = 40000

static const struct icmp_fixture icmp_fixtures[] = {
	{"icmp frag-needed about a tcp flow goes to its backend", {.quoted = {Q4(VIP4, 80)}},
	 NULL, XDP_TX, SIOBPF_R_TX, 1, VIP_TCP4},
	{"icmp frag-needed about a udp flow goes to its backend", {.quoted = {Q4(VIP4, 443), .proto = IPPROTO_UDP}},
	 NULL, XDP_TX, SIOBPF_R_TX, 2, VIP_UDP4},
	{"icmpv6 packet-too-big about a tcp flow goes to its backend", {.quoted = {Q6(VIP6, 80)}},
	 NULL, XDP_TX, SIOBPF_R_TX, 3, VIP_TCP6},
	{"icmpv6 packet-too-big about a udp flow goes to its backend", {.quoted = {Q6(VIP6, 443), .proto = IPPROTO_UDP}},
	 NULL, XDP_TX, SIOBPF_R_TX, 4, VIP_UDP6},
	{"icmp frag-needed about an ip-port vip's flow goes to its backend", {.quoted = {Q4("10.0.0.200", 80)}},
	 NULL, XDP_TX, SIOBPF_R_TX, 5, VIP_PORTKEY},
	{"icmp error quoting a long reply keeps every byte", {.quoted = {Q4(VIP4, 80), .payload = 300}},
	 NULL, XDP_TX, SIOBPF_R_TX, 1, VIP_TCP4},
	{"icmp error quoting ipv4 options is read past them", {.quoted = {Q4(VIP4, 80), .ipv4_opt_words = 10}},
	 NULL, XDP_TX, SIOBPF_R_TX, 1, VIP_TCP4},
	{"icmp error quoting 8 bytes of tcp is enough", {.quoted = {Q4(VIP4, 80)}, .quote_len = 28},
	 NULL, XDP_TX, SIOBPF_R_TX, 1, VIP_TCP4},
	{"icmpv6 error quoting 8 bytes of tcp is enough", {.quoted = {Q6(VIP6, 80)}, .quote_len = 48},
	 NULL, XDP_TX, SIOBPF_R_TX, 3, VIP_TCP6},
	{"vlan tagged icmp error is forwarded with its tag", {.quoted = {Q4(VIP4, 80)}, .vlan = true},
	 NULL, XDP_TX, SIOBPF_R_TX, 1, VIP_TCP4},
	{"icmp error about a vip without backends drops", {.quoted = {Q4("10.0.0.250", 80)}},
	 NULL, XDP_DROP, SIOBPF_R_DROP_NO_BACKEND, -1, -1},

	{"icmp echo request to the vip is passed", {.quoted = {Q4(VIP4, 80)}, .type = 8},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmpv6 echo request to the vip is passed", {.quoted = {Q6(VIP6, 80)}, .type = 128},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmpv6 neighbour solicitation is passed", {.quoted = {Q6(VIP6, 80)}, .type = 135},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmp port unreachable is passed", {.quoted = {Q4(VIP4, 80)}, .type = 3, .code = 3},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmp time exceeded is passed", {.quoted = {Q4(VIP4, 80)}, .type = 11},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmpv6 destination unreachable is passed", {.quoted = {Q6(VIP6, 80)}, .type = 1, .code = 4},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmpv6 time exceeded is passed", {.quoted = {Q6(VIP6, 80)}, .type = 3},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmp error quoting no vip port is passed", {.quoted = {Q4(VIP4, 81)}},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmp error quoting no vip address is passed", {.quoted = {Q4("10.0.0.99", 80)}},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmp error quoting udp from a tcp-only vip port is passed", {.quoted = {Q4(VIP4, 80), .proto = IPPROTO_UDP}},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmpv6 error quoting no vip is passed", {.quoted = {Q6(VIP6, 81)}},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmp error quoting a vip address's port 0 is passed", {.quoted = {Q4(VIP4, 0)}},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmp error to a vip quoting another vip is passed", {.quoted = {Q4(VIP4, 80)}, .to = "10.0.0.200"},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmpv6 error to the vip quoting another address is passed", {.quoted = {Q6("2001:db8::99", 80)}, .to = VIP6},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmp error quoting ipv6 is passed", {.quoted = {Q6(VIP6, 80)}, .family = 4, .to = VIP4},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmpv6 error quoting ipv4 is passed", {.quoted = {Q4(VIP4, 80)}, .family = 6, .to = VIP6},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmp error quoting gre is passed", {.quoted = {Q4(VIP4, 80), .proto = 47}},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmp error quoting icmp is passed", {.quoted = {Q4(VIP4, 80), .proto = IPPROTO_ICMP}},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmpv6 error quoting an extension header is passed", {.quoted = {Q6(VIP6, 80), .ipv6_ext = true, .ipv6_nexthdr = IPPROTO_HOPOPTS}},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmp error quoting a later fragment is passed", {.quoted = {Q4(VIP4, 80), .frag_off = 100}},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmp error with a cut ip header is passed", {.quoted = {Q4(VIP4, 80)}, .quote_len = 12},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmp error with cut ports is passed", {.quoted = {Q4(VIP4, 80)}, .quote_len = 23},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmp error with 7 bytes of tcp is passed", {.quoted = {Q4(VIP4, 80)}, .quote_len = 27},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmp error with cut ip options is passed", {.quoted = {Q4(VIP4, 80), .ipv4_opt_words = 10}, .quote_len = 62},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmpv6 error with a cut ip header is passed", {.quoted = {Q6(VIP6, 80)}, .quote_len = 30},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmpv6 error with cut ports is passed", {.quoted = {Q6(VIP6, 80)}, .quote_len = 43},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmp error quoting ihl below 5 is passed", {.quoted = {Q4(VIP4, 80)}},
	 quote_ihl_4, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmp error quoting another ip version is passed", {.quoted = {Q4(VIP4, 80)}},
	 quote_version_5, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmp error with a cut icmp header is passed", {.quoted = {Q4(VIP4, 80)}},
	 cut_icmp, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmpv6 error with a cut icmp header is passed", {.quoted = {Q6(VIP6, 80)}},
	 cut_icmp6, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmp error in an ipv4 first fragment is passed", {.quoted = {Q4(VIP4, 80)}, .more_frags = true},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmp error in an ipv4 later fragment is passed", {.quoted = {Q4(VIP4, 80)}, .frag_off = 10},
	 NULL, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmpv6 message in ipv4 is passed", {.quoted = {Q4(VIP4, 80)}},
	 icmpv6_in_ipv4, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
	{"icmp message in ipv6 is passed", {.quoted = {Q6(VIP6, 80)}},
	 icmp_in_ipv6, XDP_PASS, SIOBPF_R_PASS_ICMP, -1, -1},
};

/* Runs a built frame and checks it against the fixture's expectations
 * (its name, action, reason, backend and VIP). */
static void check_frame(const struct fixture *f, const struct pkt *p, bool icmp)
{
	struct siobpf_traffic vip_before = {0}, vip_after = {0}, be_before = {0}, be_after = {0};
	__u64 counts_before[SIOBPF_R_MAX], counts_after[SIOBPF_R_MAX];
	__u64 entries = sticky_count();
	struct run_result res;
	__u8 expected[PKT_MAX];

	memcpy(expected, p->data, p->len);
	if (f->backend >= 0) {
		backend_mac((__u32)f->backend, expected);
		memcpy(expected + 6, test_src_mac, 6);
		be_before = backend_traffic((__u32)f->backend);
	}
	if (f->vip >= 0)
		vip_before = vip_traffic((__u32)f->vip);
	assert_int_equal(dataplane_reasons(&test_dp, counts_before), 0);

	assert_int_equal(run_prog(&test_dp, p, &res), 0);

	if (res.action != f->action)
		fail_msg("%s: action %d, expected %d", f->name, res.action, f->action);
	if (res.out_len != p->len || memcmp(res.out, expected, p->len))
		fail_msg("%s: output frame differs from the expected bytes", f->name);
	assert_int_equal(dataplane_reasons(&test_dp, counts_after), 0);
	for (int r = 0; r < SIOBPF_R_MAX; r++) {
		__u64 want = counts_before[r] + (r == f->reason);

		if (counts_after[r] != want)
			fail_msg("%s: counter %s is %llu, expected %llu", f->name, siobpf_reason_name(r),
				 (unsigned long long)counts_after[r], (unsigned long long)want);
	}
	if (f->vip >= 0) {
		vip_after = vip_traffic((__u32)f->vip);
		assert_int_equal(vip_after.packets, vip_before.packets + 1);
		assert_int_equal(vip_after.bytes, vip_before.bytes + p->len);
	}
	if (f->backend >= 0) {
		be_after = backend_traffic((__u32)f->backend);
		assert_int_equal(be_after.packets, be_before.packets + 1);
		assert_int_equal(be_after.bytes, be_before.bytes + p->len);
	}
	/* An ICMP error is not the client's packet: it makes no sticky entry. */
	if (icmp) {
		assert_int_equal(sticky_count(), entries);
		assert_int_equal(vip_after.new_sticky, vip_before.new_sticky);
		assert_int_equal(be_after.new_sticky, be_before.new_sticky);
	}
}

static void run_fixture(void **state)
{
	const struct fixture *f = *state;
	struct pkt p;

	pkt_build(&p, &f->spec);
	if (f->mangle)
		f->mangle(&p);
	check_frame(f, &p, false);
}

static void run_icmp_fixture(void **state)
{
	const struct icmp_fixture *f = *state;
	struct fixture expect = {f->name, {0}, f->mangle, f->action, f->reason, f->backend, f->vip};
	struct pkt p;

	pkt_build_icmp(&p, &f->spec);
	if (f->mangle)
		f->mangle(&p);
	check_frame(&expect, &p, true);
}

int main(void)
{
	enum { N = sizeof(fixtures) / sizeof(fixtures[0]) };
	enum { M = sizeof(icmp_fixtures) / sizeof(icmp_fixtures[0]) };
	struct CMUnitTest tests[N + M];

	for (int i = 0; i < N; i++) {
		tests[i] = (struct CMUnitTest){
			.name = fixtures[i].name,
			.test_func = run_fixture,
			.initial_state = (void *)&fixtures[i],
		};
	}
	for (int i = 0; i < M; i++) {
		tests[N + i] = (struct CMUnitTest){
			.name = icmp_fixtures[i].name,
			.test_func = run_icmp_fixture,
			.initial_state = (void *)&icmp_fixtures[i],
		};
	}
	return cmocka_run_group_tests_name("fixtures", tests, world_setup, harness_teardown);
}
