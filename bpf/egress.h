/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Redirect failures made visible: two tracing programs, loaded and attached
 * with the XDP program, on the kernel's xdp tracepoints. A redirect the
 * kernel refuses (xdp:xdp_redirect_err: an egress whose driver takes no XDP
 * frames, an interface down, a frame over its MTU) is counted for its egress
 * interface and taken back out of the forward counters that counted it; a
 * frame the driver drops when the bulk queue is flushed (xdp:xdp_devmap_xmit)
 * is counted for its egress interface. Neither runs for a frame that is sent.
 */
#ifndef SIOBPF_BPF_EGRESS_H
#define SIOBPF_BPF_EGRESS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "siobpf/abi.h"
#include "maps.h"

/* The kernel's types, only the fields read (CO-RE: offsets from its BTF). */
struct ns_common {
	unsigned int inum;
} __attribute__((preserve_access_index));

struct net {
	struct ns_common ns;
} __attribute__((preserve_access_index));

struct net_device {
	int ifindex;
	struct {
		struct net *net;
	} nd_net;
} __attribute__((preserve_access_index));

/* Set by user space: the network namespace the program runs in (before
 * load), and the id of its sio_egress (after load, which the tracepoint
 * names: no other program's failure is counted). */
const volatile __u32 egress_netns_ino = 0;
__u32 egress_map_id = 0;

static __always_inline struct siobpf_egress_err *egress_err_of(__u32 ifindex)
{
	struct siobpf_egress_err *e = bpf_map_lookup_elem(&sio_egress_err, &ifindex);
	struct siobpf_egress_err zero = {};

	if (e)
		return e;
	bpf_map_update_elem(&sio_egress_err, &ifindex, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&sio_egress_err, &ifindex);
}

static __always_inline void counter_move(__u32 from, __u32 to, __u64 n)
{
	__u64 *a = bpf_map_lookup_elem(&sio_reasons, &from);
	__u64 *b = bpf_map_lookup_elem(&sio_reasons, &to);

	if (!a || !b)
		return;
	if (n > *a) /* counted on another CPU (cannot be, but never wrap) */
		n = *a;
	*a -= n;
	*b += n;
}

static __always_inline void traffic_take_back(void *map, __u32 id, __u32 bytes)
{
	struct siobpf_traffic *t = bpf_map_lookup_elem(map, &id);

	if (!t || !t->packets)
		return;
	t->packets -= 1;
	t->bytes -= bytes <= t->bytes ? bytes : t->bytes;
}

/* xdp_redirect_err(dev, xdp, tgt, err, map_type, map_id, index): right after
 * the XDP program returned XDP_REDIRECT, on its CPU, for its frame. */
SEC("tp_btf/xdp_redirect_err")
int siobpf_redirect_err(unsigned long long *ctx)
{
	int err = (int)ctx[3];
	__u32 map_type = (__u32)ctx[4], map_id = (__u32)ctx[5], ifindex = (__u32)ctx[6];
	struct siobpf_last_redirect *last;
	struct siobpf_egress_err *e;
	__u32 zero = 0;

	if (map_type != BPF_MAP_TYPE_DEVMAP_HASH || !map_id || map_id != egress_map_id)
		return 0;
	e = egress_err_of(ifindex);
	if (e) {
		e->redirect_err += 1;
		e->last_err = (__u64)(__s64)err;
	}
	last = bpf_map_lookup_elem(&sio_last, &zero);
	if (!last || last->ifindex != ifindex)
		return 0;
	last->ifindex = 0; /* once */
	counter_move(SIOBPF_R_REDIRECT, SIOBPF_R_REDIRECT_FAILED, 1);
	traffic_take_back(&sio_vip_stats, last->vip_id, last->bytes);
	traffic_take_back(&sio_be_stats, last->backend_id, last->bytes);
	return 0;
}

/* xdp_devmap_xmit(from_dev, to_dev, sent, drops, err): a bulk queue flushed,
 * on the CPU that filled it. Counted when the frames came in on an interface
 * of this siobpf (sio_ifaces, in its namespace). */
SEC("tp_btf/xdp_devmap_xmit")
int siobpf_devmap_xmit(unsigned long long *ctx)
{
	const struct net_device *from = (const void *)ctx[0], *to = (const void *)ctx[1];
	int drops = (int)ctx[3], err = (int)ctx[4];
	struct siobpf_egress_err *e;
	__u32 from_ifindex, to_ifindex;

	if (drops <= 0 || !from || !to)
		return 0;
	if (from->nd_net.net->ns.inum != egress_netns_ino)
		return 0;
	from_ifindex = (__u32)from->ifindex;
	if (!bpf_map_lookup_elem(&sio_ifaces, &from_ifindex))
		return 0;
	to_ifindex = (__u32)to->ifindex;
	e = egress_err_of(to_ifindex);
	if (e) {
		e->xmit_drop += (__u64)drops;
		e->last_err = (__u64)(__s64)err;
	}
	counter_move(SIOBPF_R_REDIRECT, SIOBPF_R_REDIRECT_FAILED, (__u64)drops);
	return 0;
}

#endif /* SIOBPF_BPF_EGRESS_H */
