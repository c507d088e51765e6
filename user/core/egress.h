/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Whether a backend's egress interface can take the frames the program
 * sends it. The ingress interface sends with XDP_TX; any other is a
 * redirect, and in native mode the kernel hands a redirected frame to the
 * egress driver's ndo_xdp_xmit, which the driver advertises in its XDP
 * features (NETDEV_XDP_ACT_NDO_XMIT) only while it can take frames: a veth
 * does while its peer has an XDP program or GRO on. In generic mode a
 * redirect is an skb sent like any other, which every interface takes. */
#ifndef SIOBPF_EGRESS_H
#define SIOBPF_EGRESS_H

#include <stddef.h>
#include <linux/types.h>

#include "dataplane.h"

/* 0 when ifindex can take redirected frames from every interface siobpf is
 * attached to (sio_ifaces) in the mode it is attached in, or when the
 * kernel does not say (before 6.3). -EOPNOTSUPP when some native-mode
 * interface would redirect to it and its driver does not take XDP frames
 * now (or takes no multi-buffer ones while that interface's MTU lets them
 * arrive), -ENODEV when it is gone; why then holds a sentence that names the
 * interface, the reason and the next step. */
int egress_check(struct dataplane *dp, __u32 ifindex, char *why, size_t len);

#endif /* SIOBPF_EGRESS_H */
