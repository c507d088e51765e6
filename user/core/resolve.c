// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* A backend's interface and MACs; see resolve.h. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "netlink.h"
#include "resolve.h"

int backend_resolve(const struct addr *addr, struct siobpf_backend *b, char *why, size_t len)
{
	char text[ADDR_TEXT_MAX], ifname[IF_NAMESIZE] = "?";
	struct nl_route_info route;
	int err;

	addr_format(addr->family, addr->a, text, sizeof(text));
	err = nl_route_get(addr->family, addr->a, &route);
	if (err) {
		snprintf(why, len,
			 "no route to backend %s (%s): it must be on a network directly connected to this host",
			 text, strerror(-err));
		return err;
	}
	if (route.is_local) {
		snprintf(why, len, "backend %s is an address of this host: a backend must be another machine",
			 text);
		return -EINVAL;
	}
	if_indextoname((unsigned)route.ifindex, ifname);
	if (route.has_gateway) {
		snprintf(why, len,
			 "backend %s is reached through a gateway on %s: DSR rewrites only MAC addresses, so "
			 "a backend must be on a directly connected network",
			 text, ifname);
		return -EHOSTUNREACH;
	}
	err = nl_neigh_resolve(addr->family, addr->a, route.ifindex, RESOLVE_TIMEOUT_MS, b->mac);
	if (err) {
		snprintf(why, len, "cannot learn the MAC of backend %s on %s (%s): is it up and answering ARP/ND?",
			 text, ifname, strerror(-err));
		return err;
	}
	err = nl_link_mac(route.ifindex, b->src_mac);
	if (err) {
		snprintf(why, len, "cannot read the MAC of %s: %s", ifname, strerror(-err));
		return err;
	}
	b->ifindex = (__u32)route.ifindex;
	return 0;
}
