// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* siobpf's XDP program: send every connection of a client to the same
 * backend, chosen by the sticky table or else the VIP's Maglev ring, and
 * forward the frame to it by direct server return. Read top to bottom, this
 * file is the decision; each step lives in the header named for it.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "siobpf/abi.h"
#include "parse.h"
#include "maps.h"
#include "vip.h"
#include "sticky.h"
#include "ring.h"
#include "forward.h"
#include "stats.h"
#include "icmp.h"

static __always_inline int reason_action(int reason)
{
	return reason >= SIOBPF_R_DROP_BAD_L2 ? XDP_DROP : XDP_PASS;
}

/* An ICMP error about a VIP flow (icmp.h) goes where the client's own
 * packets go: to its live sticky entry's backend, else to the ring's. It
 * only looks: a router's error must not create, replace or keep alive a
 * client's entry. Any other ICMP, or an error about no VIP flow, is passed.
 * A function of its own (a BPF-to-BPF call) so that none of this changes
 * the code of the TCP/UDP path. */
static __noinline int icmp_error(struct xdp_md *ctx, struct packet *pkt)
{
	struct siobpf_backend *backend = NULL;
	struct siobpf_sticky_key key;
	struct siobpf_vip *vip = NULL;
	__u32 backend_id = 0;
	int reason, action;

	if (icmp_error_flow(ctx, pkt))
		vip = vip_find(pkt);
	if (!vip) {
		reason = SIOBPF_R_PASS_ICMP;
		goto out;
	}

	siobpf_sticky_key_make(vip, pkt->src, pkt->sport, &key);
	if (vip->persist_sec) {
		__u64 now = bpf_ktime_get_coarse_ns();

		backend = sticky_backend(vip, &key, now, 0, &backend_id);
		if (!backend)
			backend = probation_backend(vip, &key, now, 0, &backend_id);
	}
	if (!backend)
		backend = ring_backend(vip, &key, &backend_id);
	if (!backend) {
		reason = SIOBPF_R_DROP_NO_BACKEND;
		goto out;
	}

	action = forward_dsr(ctx, backend, &reason);
	stats_traffic(&sio_vip_stats, vip->id, pkt->bytes, 0);
	stats_traffic(&sio_be_stats, backend_id, pkt->bytes, 0);
	stats_reason(reason);
	return action;
out:
	stats_reason(reason);
	return reason_action(reason);
}

SEC("xdp")
int siobpf_xdp(struct xdp_md *ctx)
{
	struct siobpf_backend *backend;
	struct siobpf_sticky_key key;
	struct siobpf_vip *vip;
	struct packet pkt = {};
	__u32 backend_id = 0;
	int reason, action;
	int new_sticky = 0;
	__u64 now = 0;

	reason = parse_packet(ctx, &pkt);
	if (reason) {
		/* Tested only once parsing has stopped, off the TCP/UDP path. */
		if (reason == SIOBPF_R_PASS_ICMP)
			return icmp_error(ctx, &pkt);
		goto out;
	}

	vip = vip_find(&pkt);
	if (!vip) {
		reason = SIOBPF_R_PASS_NOT_VIP;
		goto out;
	}
	/* Fragments of one datagram cannot share a per-port key: the later
	 * ones have no ports. */
	if (pkt.fragment != FRAG_NONE && vip->sticky == SIOBPF_STICKY_IP_PORT) {
		reason = SIOBPF_R_DROP_FRAGMENT;
		goto out;
	}

	siobpf_sticky_key_make(vip, pkt.src, pkt.sport, &key);
	/* A protected entry first: the hot path, one lookup. A VIP without
	 * persistence keeps no entries (and any left from before could not be
	 * live): the ring alone decides. */
	backend = NULL;
	now = bpf_ktime_get_coarse_ns();
	if (vip->persist_sec)
		backend = sticky_backend(vip, &key, now, 1, &backend_id);
	if (!backend) {
		/* Probation, else the ring; admission (sticky.h). */
		__u32 created = 0;

		backend_id = sticky_admission(vip, &key, ADMIT_PACKET(pkt.dst.proto, pkt.tcp_flags),
					      now, &created);
		new_sticky = created;
		backend = backend_id == SIOBPF_NO_BACKEND ? NULL : backend_lookup(&backend_id);
		if (!backend) {
			/* Passing would let the local stack answer for the VIP. */
			reason = SIOBPF_R_DROP_NO_BACKEND;
			goto out;
		}
	}

	action = forward_dsr(ctx, backend, &reason);
	stats_traffic(&sio_vip_stats, vip->id, pkt.bytes, new_sticky);
	stats_traffic(&sio_be_stats, backend_id, pkt.bytes, new_sticky);
	stats_reason(reason);
	return action;
out:
	stats_reason(reason);
	return reason_action(reason);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
