// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* siobpf's XDP program: send every connection of a client to the same
 * backend, chosen by the sticky table or else the VIP's Maglev ring, and
 * forward the frame to it by direct server return. Read top to bottom, this
 * file is the decision; each step lives in the header named for it. A
 * datagram's later fragments, which carry no ports, go where its first went
 * (frag.h); a TCP or UDP frame to an address and protocol that no VIP has
 * is passed, whatever is wrong with its L4 header, fragment or checksum.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "siobpf/abi.h"
#include "parse.h"
#include "maps.h"
#include "vip.h"
/* The sticky table; a bench build swaps in the previous one (bench/). */
#ifdef SIOBPF_STICKY_IMPL
#include SIOBPF_STICKY_IMPL
#else
#include "sticky.h"
#endif
#include "ring.h"
#include "forward.h"
#include "stats.h"
#include "icmp.h"
#include "frag.h"
#include "egress.h"

/* Whether a reason's packets are dropped or passed (forwards return the
 * action of their own): SIOBPF_R_DROPS says which drop. */
static __always_inline int reason_action(int reason)
{
	return (SIOBPF_R_DROPS >> (reason & 31)) & 1 ? XDP_DROP : XDP_PASS;
}

/* The backend for a client of the VIP: what the sticky table and admission
 * decide (sticky.h: the client's live slot, else the previous or the
 * current ring's, the choice remembered on probation for a connection
 * start). NULL when the VIP has none in service. *now is the clock read for
 * the table. A VIP without persistence keeps no entries: the ring alone
 * decides. */
static __always_inline struct siobpf_backend *vip_backend(const struct siobpf_vip *vip,
							  const struct packet *pkt, __u64 *now,
							  __u32 *backend_id, int *new_sticky)
{
	struct siobpf_sticky_key key;
	__u32 created = 0;

	siobpf_sticky_key_make(vip, pkt->src, pkt->sport, &key);
	*now = bpf_ktime_get_coarse_ns();
	*backend_id = sticky_admission(vip, &key, ADMIT_PACKET(pkt->dst.proto, pkt->tcp_flags), *now,
				       &created);
	*new_sticky = created;
	return *backend_id == SIOBPF_NO_BACKEND ? NULL : backend_lookup(backend_id);
}

/* An ICMP error about a VIP flow (icmp.h) goes where the client's own
 * packets go: to its live slot's backend (protected or on probation), else
 * the current ring's. It only looks: a router's error must not create,
 * promote, replace or keep alive a client's entry. Any other ICMP, or an
 * error about no VIP flow, is passed.
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
	backend_id = sticky_peek(vip, &key, bpf_ktime_get_coarse_ns());
	if (backend_id != SIOBPF_NO_BACKEND)
		backend = backend_lookup(&backend_id);
	if (!backend)
		backend = ring_backend(vip, &key, &backend_id);
	if (!backend) {
		reason = SIOBPF_R_DROP_NO_BACKEND;
		goto out;
	}

	action = forward_dsr(ctx, backend, vip->id, backend_id, pkt->bytes, &reason);
	if (action != XDP_DROP) { /* the VIP's and backend's counters are of forwarded frames */
		stats_traffic(&sio_vip_stats, vip->id, pkt->bytes, 0);
		stats_traffic(&sio_be_stats, backend_id, pkt->bytes, 0);
	}
	stats_reason(reason);
	return action;
out:
	stats_reason(reason);
	return reason_action(reason);
}

/* A TCP/UDP packet with no ports to find its VIP by: a later fragment, or
 * an L4 header that does not lie in its datagram. Its address decides: an
 * address no VIP of the protocol has is transit traffic, passed whatever is
 * wrong with it; one that has is checked (IPv4 header checksum), and a
 * later fragment goes where its datagram's first fragment went (frag.h), or
 * by the client's key when the address has a single `ip` VIP. Its own
 * function, so that none of this changes the code of the whole-datagram
 * path. */
static __noinline int portless(struct xdp_md *ctx, struct packet *pkt)
{
	struct siobpf_backend *backend;
	struct siobpf_vip_addr *addr;
	struct siobpf_frag *entry;
	struct siobpf_vip *vip;
	__u32 backend_id = 0, vip_id;
	int reason, action, new_sticky = 0;
	__u64 now;

	addr = vip_addr_find(pkt);
	if (!addr) {
		reason = SIOBPF_R_PASS_NOT_VIP;
		goto out;
	}
	if (pkt->dst.family == SIOBPF_FAMILY_IPV4 && !ipv4_csum_ok(ctx, pkt)) {
		reason = SIOBPF_R_DROP_BAD_CSUM;
		goto out;
	}
	if (pkt->l4_broken) {
		reason = SIOBPF_R_DROP_BAD_L4;
		goto out;
	}

	now = bpf_ktime_get_coarse_ns();
	entry = frag_find(pkt, now);
	if (entry) {
		vip_id = entry->vip_id;
		backend_id = entry->backend_id;
		if (vip_id == SIOBPF_NO_VIP) {
			reason = SIOBPF_R_PASS_FRAG_STACK;
			goto out;
		}
		/* A datagram started on a backend finishes there, whatever its
		 * state now, while the record is that backend's. */
		backend = backend_lookup(&backend_id);
		if (!backend || !backend->in_use || backend->vip_id != vip_id) {
			reason = SIOBPF_R_DROP_FRAG_UNKNOWN;
			goto out;
		}
	} else {
		/* Its first fragment not seen (yet): only an address with one
		 * VIP, keyed by the client's address alone, knows where it goes. */
		vip = vip_addr_single(pkt, addr);
		if (!vip || vip->sticky != SIOBPF_STICKY_IP) {
			reason = SIOBPF_R_DROP_FRAG_UNKNOWN;
			goto out;
		}
		backend = vip_backend(vip, pkt, &now, &backend_id, &new_sticky);
		if (!backend) {
			reason = SIOBPF_R_DROP_NO_BACKEND;
			goto out;
		}
		vip_id = vip->id;
	}

	action = forward_dsr(ctx, backend, vip_id, backend_id, pkt->bytes, &reason);
	if (action != XDP_DROP) { /* the VIP's and backend's counters are of forwarded frames */
		stats_traffic(&sio_vip_stats, vip_id, pkt->bytes, new_sticky);
		stats_traffic(&sio_be_stats, backend_id, pkt->bytes, new_sticky);
	}
	stats_reason(reason);
	return action;
out:
	stats_reason(reason);
	return reason_action(reason);
}

/* xdp.frags: a frame may span several buffers (jumbo MTU, native mode);
 * headers are read from the first, the linear part, only. */
SEC("xdp.frags")
int siobpf_xdp(struct xdp_md *ctx)
{
	struct siobpf_backend *backend;
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
	if (pkt.fragment == FRAG_LATER || pkt.l4_broken)
		return portless(ctx, &pkt);

	vip = vip_find(&pkt);
	if (!vip) {
		/* A datagram that starts here for the stack ends there too. */
		if (pkt.fragment == FRAG_FIRST && vip_addr_find(&pkt))
			frag_remember(&pkt, SIOBPF_NO_VIP, 0, bpf_ktime_get_coarse_ns());
		reason = SIOBPF_R_PASS_NOT_VIP;
		goto out;
	}
	/* Only now, for a VIP's frame, is the header summed. */
	if (pkt.dst.family == SIOBPF_FAMILY_IPV4 && !ipv4_csum_ok(ctx, &pkt)) {
		reason = SIOBPF_R_DROP_BAD_CSUM;
		goto out;
	}

	backend = vip_backend(vip, &pkt, &now, &backend_id, &new_sticky);
	if (!backend) {
		/* Passing would let the local stack answer for the VIP. */
		reason = SIOBPF_R_DROP_NO_BACKEND;
		goto out;
	}
	if (pkt.fragment == FRAG_FIRST)
		frag_remember(&pkt, vip->id, backend_id, now ? now : bpf_ktime_get_coarse_ns());

	action = forward_dsr(ctx, backend, vip->id, backend_id, pkt.bytes, &reason);
	if (action != XDP_DROP) { /* the VIP's and backend's counters are of forwarded frames */
		stats_traffic(&sio_vip_stats, vip->id, pkt.bytes, new_sticky);
		stats_traffic(&sio_be_stats, backend_id, pkt.bytes, new_sticky);
	}
	stats_reason(reason);
	return action;
out:
	stats_reason(reason);
	return reason_action(reason);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
