/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Routes, neighbours, link and interface addresses from rtnetlink (libmnl), in the
 * calling thread's network namespace. Addresses are 16-byte arrays in network
 * order with IPv4 in the first 4 bytes; family is 4 or 6 (SIOBPF_FAMILY_*).
 * Functions return 0 or -errno and print nothing. */
#ifndef SIOBPF_NETLINK_H
#define SIOBPF_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "siobpf/abi.h"

struct nl_route_info {
	int ifindex;      /* egress interface of the route to the address */
	bool has_gateway; /* the route goes through a gateway: not directly connected */
	bool is_local;    /* the address is one of this host's own (RTN_LOCAL) */
};

/* RTM_GETROUTE for one destination. -ENETUNREACH/-EHOSTUNREACH when there is
 * no route; -EHOSTUNREACH also for routes that deliver nowhere (unreachable,
 * blackhole, prohibit, broadcast, ...). */
int nl_route_get(int family, const __u32 addr[4], struct nl_route_info *out);

/* The neighbour table's MAC for addr on ifindex (RTM_GETNEIGH). 0 with the MAC
 * when the entry is usable (REACHABLE, STALE, DELAY, PROBE, PERMANENT, NOARP);
 * -ENOENT when absent (or NONE), -EAGAIN when INCOMPLETE, -EHOSTUNREACH when
 * FAILED, -EOPNOTSUPP when usable but without a 6-byte link address. */
int nl_neigh_get(int family, const __u32 addr[4], int ifindex, __u8 mac[6]);

/* Resolves addr's MAC on ifindex: the table's entry when usable, otherwise
 * asks the kernel to resolve it (RTM_NEWNEIGH with NTF_USE) and polls the
 * table until a MAC appears or timeout_ms passes. -ETIMEDOUT when it never
 * resolves, -EHOSTUNREACH when the kernel gives up first (FAILED). Needs
 * CAP_NET_ADMIN unless the entry is already usable. */
int nl_neigh_resolve(int family, const __u32 addr[4], int ifindex, int timeout_ms,
		     __u8 mac[6]);

/* MAC address of an interface (RTM_GETLINK, IFLA_ADDRESS). -ENODEV when there
 * is no such interface, -EOPNOTSUPP when it has no 6-byte address. */
int nl_link_mac(int ifindex, __u8 mac[6]);
/* MTU of an interface (IFLA_MTU), or -errno. */
int nl_link_mtu(int ifindex);

/* The XDP features an interface's driver advertises now (the netdev
 * generic netlink family, NETDEV_XDP_ACT_* bits). -EOPNOTSUPP on a kernel
 * that does not tell (before 6.3). */
#define NL_XDP_ACT_NDO_XMIT 0x4     /* takes redirected frames (ndo_xdp_xmit) */
#define NL_XDP_ACT_NDO_XMIT_SG 0x40 /* ... with several buffers */
int nl_xdp_features(int ifindex, __u64 *features);

/* Interface addresses (RTM_GETADDR, RTM_NEWADDR, RTM_DELADDR). proto is the
 * kernel's IFA_PROTO mark (Linux 6.1 and later), 0 when unset: it stays on the
 * address, so an address siobpf added is known as its own after a restart. */
struct nl_addr {
	int family;      /* SIOBPF_FAMILY_IPV4 / _IPV6 */
	__u32 addr[4];
	__u8 prefixlen;
	__u8 proto;
	int ifindex;
};

/* Every IPv4 and IPv6 address of ifindex (0: of every interface), in a
 * list the caller frees; *count is set. */
int nl_addr_list(int ifindex, struct nl_addr **out, size_t *count);
/* Adds addr as a /32 or /128 of universe scope, with proto as its mark; an
 * IPv6 one without duplicate address detection (usable at once). -EEXIST
 * when the interface has it already. */
int nl_addr_add(int ifindex, int family, const __u32 addr[4], __u8 proto);
/* Removes an address as nl_addr_list gave it. -EADDRNOTAVAIL when it is gone. */
int nl_addr_del(int ifindex, const struct nl_addr *a);

/* For tests and fuzzers: one received buffer (8-byte aligned) as the reply
 * to a route, neighbour or link request with that seq and portid, through
 * the same checks and callbacks. Returns -errno (-EBADMSG for a message
 * longer than the buffer, -EPROTO for an ack whose error is no errno), 0 at
 * the ack, 1 when more would be read; out holds what the callbacks found. */
enum nl_reply { NL_REPLY_ROUTE, NL_REPLY_NEIGH, NL_REPLY_LINK };

struct nl_reply_info {
	bool found;
	__u8 type;   /* route: rtm_type */
	int ifindex; /* route: RTA_OIF */
	bool has_gateway;
	__u16 state; /* neighbour: ndm_state */
	bool has_mac;
	__u8 mac[6];
};

int nl_reply_parse(enum nl_reply kind, const void *buf, size_t len, unsigned int seq,
		   unsigned int portid, struct nl_reply_info *out);

#endif /* SIOBPF_NETLINK_H */
