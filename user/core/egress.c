// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* A backend's egress interface against the attach modes; see egress.h. */
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <xdp/libxdp.h>

#include "egress.h"
#include "netlink.h"

/* The largest MTU whose frames fit one XDP buffer on most drivers: a 4 KB
 * page less the headroom (256) and the shared info (320), less Ethernet
 * and VLAN headers. */
#define SINGLE_BUFFER_MTU 3498

/* The first interface attached in native mode that redirects to ifindex
 * (every native one but ifindex itself, which sends with XDP_TX); 0: none. */
static __u32 native_redirector(struct dataplane *dp, __u32 ifindex)
{
	__u32 key, next;
	bool have = false;

	while (!bpf_map_get_next_key(dp->ifaces_fd, have ? &key : NULL, &next)) {
		struct siobpf_iface iface;

		key = next;
		have = true;
		if (!bpf_map_lookup_elem(dp->ifaces_fd, &key, &iface) && iface.mode == XDP_MODE_NATIVE &&
		    key != ifindex)
			return key;
	}
	return 0;
}

int egress_check(struct dataplane *dp, __u32 ifindex, char *why, size_t len)
{
	char name[IF_NAMESIZE] = "?", from[IF_NAMESIZE] = "?";
	__u64 features;
	__u32 ingress;
	int err;

	if (!ifindex)
		return 0;
	if (!if_indextoname(ifindex, name)) {
		snprintf(why, len, "egress interface %u is gone: run `siobpf backend set` or `apply` "
			 "again once the route is back", ifindex);
		return -ENODEV;
	}
	ingress = native_redirector(dp, ifindex);
	if (!ingress)
		return 0;
	if_indextoname(ingress, from);
	err = nl_xdp_features((int)ifindex, &features);
	if (err)
		return 0; /* the kernel does not tell: nothing to judge by */
	if ((features & NL_XDP_ACT_NDO_XMIT) && !(features & NL_XDP_ACT_NDO_XMIT_SG) &&
	    nl_link_mtu((int)ingress) > SINGLE_BUFFER_MTU) {
		snprintf(why, len,
			 "egress interface %s takes XDP frames but not multi-buffer ones (its driver "
			 "offers no ndo_xdp_xmit for them), and %s's MTU %d lets frames larger than one "
			 "buffer arrive: those would be dropped; lower the MTU to %d, or load siobpf with "
			 "--mode generic",
			 name, from, nl_link_mtu((int)ingress), SINGLE_BUFFER_MTU);
		return -EOPNOTSUPP;
	}
	if (features & NL_XDP_ACT_NDO_XMIT)
		return 0;
	snprintf(why, len,
		 "egress interface %s cannot take XDP frames redirected from %s in native mode (its "
		 "driver does not offer ndo_xdp_xmit now; a veth does only while its peer has an XDP "
		 "program, XDP_PASS will do, or GRO on: `ethtool -K PEER gro on`); fix that, or load "
		 "siobpf with --mode generic",
		 name, from);
	return -EOPNOTSUPP;
}
