/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Shared by the BPF_PROG_TEST_RUN tests: the loaded program, a packet
 * builder, and helpers that set up VIPs and backends the way the CLI does. */
#ifndef SIOBPF_TEST_HARNESS_H
#define SIOBPF_TEST_HARNESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "dataplane.h"
#include "vip_table.h"

#define PKT_MAX 512

/* A packet to build. Addresses are text; zero values take defaults. */
struct pkt_spec {
	int family;            /* 4 or 6 (default 4) */
	const char *src;       /* client address */
	const char *dst;       /* destination (the VIP or not) */
	__u16 sport, dport;    /* host order */
	__u8 proto;            /* IPPROTO_TCP (default) or IPPROTO_UDP, or other */
	bool vlan;             /* one 802.1Q tag (VLAN 100) */
	bool qinq;             /* a second tag inside the first */
	__u8 ipv4_opt_words;   /* IPv4 options, in 4-byte words (ihl = 5 + this) */
	__u16 frag_off;        /* fragment offset in 8-byte units (IPv4, or the IPv6
				* Fragment header); > 0: the L4 part is data only */
	bool more_frags;       /* IPv4 MF flag, or the IPv6 Fragment header's M */
	__u32 frag_id;         /* IPv4 identification (default 0x1234), or the IPv6
				* Fragment header's */
	bool ipv6_ext;         /* put ipv6_nexthdr in the IPv6 next header (no header) */
	__u8 ipv6_nexthdr;
	__u8 ipv6_ext_count;   /* IPv6 extension headers built, in order: */
	__u8 ipv6_exts[6];     /* IPPROTO_HOPOPTS, _DSTOPTS, _ROUTING (8 bytes each),
				* _FRAGMENT (frag_off, more_frags, frag_id) */
	__u16 payload;         /* L4 payload bytes (default 0) */
	__u16 ethertype;       /* override the EtherType (e.g. ARP) */
	bool tcp_ack;          /* TCP ACK without SYN (default: a SYN, a connection start) */
	bool tcp_synack;       /* TCP SYN and ACK (not a connection start either) */
};

/* data starts 2 bytes into a 4-byte aligned struct, so the IP header after
 * the 14-byte Ethernet header is 4-byte aligned for the casts to it. */
struct pkt {
	__u8 headroom[2];
	__u8 data[PKT_MAX];
	__u32 len;
	__u32 l3_off, l4_off; /* where the headers start, to corrupt them in tests */
	__u32 quote_off;      /* an ICMP error's quoted IP header (pkt_build_icmp) */
} __attribute__((aligned(4)));

void pkt_build(struct pkt *p, const struct pkt_spec *spec);
/* Sets the IPv4 header checksum again, after a test changed the header. */
void pkt_ipv4_csum(struct pkt *p);

/* An ICMP error about a packet a backend sent, as a router on the way to
 * the client sends it: IPv4 "fragmentation needed" (type 3 code 4) or IPv6
 * "packet too big" (type 2), addressed to the quoted packet's source (the
 * VIP), quoting that packet (VIP:port -> client:port). Zero values take
 * defaults. */
struct icmp_spec {
	struct pkt_spec quoted; /* the backend's packet: src VIP, dst client */
	int family;             /* of the error (default: the quoted packet's) */
	const char *to;         /* the error's destination (default quoted.src) */
	__u8 type, code;        /* another message (type 0: the default error) */
	__u32 quote_len;        /* quote only this many bytes (default the whole packet) */
	bool vlan;              /* one 802.1Q tag on the error */
	__u16 frag_off;         /* the error itself an IPv4 fragment */
	bool more_frags;
};

void pkt_build_icmp(struct pkt *p, const struct icmp_spec *spec);

/* The program's verdict on one frame. */
struct run_result {
	int action;            /* XDP_* */
	__u8 out[PKT_MAX];
	__u32 out_len;
};

int run_prog(struct dataplane *dp, const struct pkt *p, struct run_result *res);

/* Fixture state: the program loaded once per test group. */
extern struct dataplane test_dp;
int harness_setup(void **state);    /* cmocka group setup: load the program */
int harness_teardown(void **state); /* cmocka group teardown */
/* An interface of this host other than lo (the test run's ingress), for a
 * backend that is redirected to: sio_egress takes only real interfaces.
 * Fails the test when there is none. */
__u32 harness_egress_ifindex(void);
/* Reloads the program so that a test starts from empty maps. */
int harness_reset(void **state);

/* Configuration the way the CLI will do it. */
struct vip_spec {
	const char *addr;
	__u16 port;        /* host order */
	__u8 proto;        /* default TCP */
	__u32 id;
	__u8 sticky;       /* enum siobpf_sticky_mode */
	__u8 prefix;       /* default: full length */
	__u32 persist_sec; /* default 600 */
	__u32 seed;
};
void vip_add(const struct vip_spec *spec, struct siobpf_vip *out);
/* Backend `id` of a VIP; its MAC is 02:00:00:00:00:id (low byte) so a test
 * can read the choice off the output frame. */
void backend_add(const struct siobpf_vip *vip, __u32 id, const char *addr, __u32 weight);
void backend_set_state(const struct siobpf_vip *vip, __u32 id, __u8 state);
void ring_rebuild(const struct siobpf_vip *vip);
/* Backends 1..n of a VIP at 10.0.1.<id>, weight 1, and the VIP's ring. */
void backends_add_numbered(const struct siobpf_vip *vip, int n);

/* The backend id a forwarded frame was sent to (from its destination MAC),
 * or -1 when the frame was not forwarded. */
int chosen_backend(const struct run_result *res);

/* Counter reads, summed over CPUs. */
__u64 reason_count(int reason);
struct siobpf_traffic vip_traffic(__u32 vip_id);
struct siobpf_traffic backend_traffic(__u32 backend_id);
/* Load the program with a sticky table sized for clients
 * (dataplane_opts.clients): harness_setup and harness_reset use
 * TEST_CLIENTS; a test that wants collisions loads a tiny one. */
#define TEST_CLIENTS 65536
int harness_load_clients(__u32 clients);

/* A racing thread's start: pins the calling thread to cpu, then waits at
 * start with the others (also when pinning failed, so that none of them
 * waits forever). 0, or the pinning's errno. */
int race_start(int cpu, pthread_barrier_t *start);

/* Held slots of the sticky table (siobpf/table.h): all, protected, on
 * probation. */
__u64 sticky_count(void);
__u64 protected_count(void);
__u64 probation_count(void);

/* A client's slot as a test reads it. */
struct client_slot {
	__u64 slot;          /* its raw value */
	__u32 kind;          /* SIOBPF_SLOT_PROBATION or _PROTECTED */
	__u32 backend_id;
	__u32 generation;    /* the low SIOBPF_SLOT_GEN_BITS of the backend's */
	__u32 deadline;      /* in time units */
	__u32 remaining;     /* time units left when read; 0: expired */
	bool live;           /* found as the program finds it (sticky_table_find) */
	__u32 bucket;
	int index;
};
/* A client's slot: its live one, or else the first slot of its buckets
 * with its fingerprint whatever its state: 0, or -ENOENT. */
int client_entry_get(const struct siobpf_sticky_key *key, struct client_slot *entry);
/* The same; *is_protected (may be NULL) says which kind it is. */
int client_entry_where(const struct siobpf_sticky_key *key, struct client_slot *entry,
		       bool *is_protected);
/* Moves a client's slot ns into the past: its deadline earlier by ns in
 * time units, rounded up (so it is never younger than asked). */
void client_entry_age(const struct siobpf_sticky_key *key, __u64 ns);
/* Time units in ns, rounded up. */
__u32 harness_units_ceil(__u64 ns);

/* The backend MAC of id, and the egress MAC every test backend uses. */
void backend_mac(__u32 id, __u8 mac[6]);
extern const __u8 test_src_mac[6];
extern const __u8 test_client_mac[6];

#endif /* SIOBPF_TEST_HARNESS_H */
