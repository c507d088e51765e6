/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The rules of the sticky decision, compiled into the XDP program and into
 * the user-space model (siobpf lookup), so the two cannot drift apart. */
#ifndef SIOBPF_DECIDE_H
#define SIOBPF_DECIDE_H

#include <linux/types.h>
#include "siobpf/abi.h"
#include "siobpf/table.h"

#ifdef __bpf__
#define SIOBPF_INLINE static __always_inline
#else
#define SIOBPF_INLINE static inline
#endif

/* The client's sticky key under a VIP: the masked address, plus the port in
 * ip-port mode. src and sport are in network order. */
SIOBPF_INLINE void siobpf_sticky_key_make(const struct siobpf_vip *vip, const __u32 *src, __u16 sport,
					  struct siobpf_sticky_key *key)
{
	key->vip_id = vip->id;
	for (int i = 0; i < 4; i++)
		key->addr[i] = src[i] & vip->mask[i];
	key->port = vip->sticky == SIOBPF_STICKY_IP_PORT ? sport : 0;
	key->pad = 0;
}

/* A slot counts for a client (the slot found under its key) while it is
 * held (in use, deadline not passed) and its backend still serves this VIP,
 * is not down, and is the same backend (generation, low bits) that the slot
 * was made for. Draining backends keep theirs. */
SIOBPF_INLINE int siobpf_slot_live(const struct siobpf_vip *vip, __u64 slot,
				   const struct siobpf_backend *backend, __u32 now_u)
{
	return siobpf_slot_held(slot, now_u) && backend->in_use &&
	       backend->state != SIOBPF_BACKEND_DOWN &&
	       (backend->generation & SIOBPF_GEN_MASK) == siobpf_slot_gen(slot) &&
	       backend->vip_id == vip->id;
}

/* Whether a hit renews its slot's deadline. A client whose packets are g
 * apart keeps its slot while g plus the refresh period stays under the
 * persistence, so the period is SIOBPF_STICKY_REFRESH_NS (a bounded write
 * rate, and gaps up to persistence - 1 s) but never more than half the
 * persistence: with 1 s, a slot is renewed from 0.4 s of age, so gaps up
 * to about half a second keep it. */
SIOBPF_INLINE int siobpf_slot_refresh_due(const struct siobpf_vip *vip, __u64 slot, __u32 now_u)
{
	__u32 persist_u = siobpf_persist_units(vip->persist_sec);
	__u32 period = (__u32)(SIOBPF_STICKY_REFRESH_NS >> SIOBPF_TIME_UNIT_SHIFT);
	__u32 r = siobpf_slot_remaining(slot, now_u);

	if (persist_u / 2 < period)
		period = persist_u / 2;
	/* A deadline beyond the persistence: it was lowered; renew now. */
	return r > persist_u || persist_u - r >= period;
}

/* Admission: who gets a sticky entry, and which ring a packet without one
 * follows (DESIGN §8). The rule, exactly:
 *
 *  - One table (siobpf/table.h) whose slots are of two kinds: probation
 *    (made by a new client's first packet) and protected (promoted). A
 *    packet's key is looked for in its home bucket, then its alternative
 *    one; the first slot with the key's fingerprint that siobpf_slot_live
 *    accepts decides, whatever its kind (a key has one slot: an insert
 *    reuses the key's own dead slot).
 *  - A live protected slot decides, and is refreshed as before.
 *  - A live probation slot decides too. When it is at least the admission
 *    gap old (siobpf_admit_gap_ns: the VIP's admit_gap_ms, default 1 s, but
 *    never more than half its persistence) the client has been seen again
 *    later: the slot is promoted in place, i.e. made protected with a new
 *    deadline ("admitted"). A younger hit changes nothing ("deferred"):
 *    a SYN and the ACK a few milliseconds after it are one sighting.
 *  - No live slot ("miss"): the ring decides. A packet
 *    that is not a connection start (a connection start is a TCP SYN
 *    without ACK, so no UDP datagram is one) follows the VIP's previous
 *    ring while the change is younger than its prev_ring_ms (default 5 s)
 *    and that ring's backend is still in service and not down
 *    (siobpf_backend_keeps); otherwise the current ring. So a handshake
 *    whose SYN came before a ring change and whose ACK comes after it stays
 *    on one backend, on every node alike. A seed change forgets the
 *    previous ring (its slots are of the old seed).
 *  - After a miss, a connection start or a UDP datagram (UDP has no
 *    handshake to tell a start by: siobpf_creates_entry) makes a probation
 *    slot naming the backend chosen ("created"); any other packet makes
 *    none ("refused"): a TCP segment other than a SYN with no entry is a
 *    spoofed source, or a connection whose entry was lost, which the ring
 *    serves as it would anyway.
 *  - A new slot is made only on a miss, by a connection start or a UDP
 *    datagram, as probation, in the slot siobpf_table_victim picks: a
 *    free one, else the probation slot nearest its deadline; never a held
 *    protected slot. So a flood of new sources churns probation slots
 *    alone, and an established client leaves the table only when its slot
 *    expires (or its backend goes): beyond the rated size a newcomer
 *    goes without an entry ("full"), served by the ring all the same.
 */

/* Whether a packet with no live entry makes a probation entry: start is
 * a TCP SYN without ACK. */
SIOBPF_INLINE int siobpf_creates_entry(__u8 proto, int start)
{
	return start || proto == 17 /* IPPROTO_UDP */;
}

/* The age at which a probation entry is promoted, in ns. */
SIOBPF_INLINE __u64 siobpf_admit_gap_ns(const struct siobpf_vip *vip,
					const struct siobpf_vip_admit *admit)
{
	__u64 gap = (__u64)(admit && admit->admit_gap_ms ? admit->admit_gap_ms : SIOBPF_ADMIT_GAP_MS) *
		    1000000ull;
	__u64 half = (__u64)vip->persist_sec * (1000000000ull / 2);

	return gap < half ? gap : half;
}

/* Whether a live probation slot is promoted by a packet at now_u: it is at
 * least the admission gap old (both in time units). */
SIOBPF_INLINE int siobpf_probation_due(const struct siobpf_vip *vip,
				       const struct siobpf_vip_admit *admit, __u64 slot, __u32 now_u)
{
	__u32 persist_u = siobpf_persist_units(vip->persist_sec);

	return siobpf_slot_age(slot, now_u, persist_u) >=
	       (__u32)(siobpf_admit_gap_ns(vip, admit) >> SIOBPF_TIME_UNIT_SHIFT);
}

/* Whether a packet with no entry follows the previous ring at now. */
SIOBPF_INLINE int siobpf_prev_ring_active(const struct siobpf_vip_admit *admit, __u64 now)
{
	__u64 window;

	if (!admit || !admit->ring_changed)
		return 0;
	window = (__u64)(admit->prev_ring_ms ? admit->prev_ring_ms : SIOBPF_PREV_RING_MS) * 1000000ull;
	return now - admit->ring_changed < window;
}

/* Whether a backend of the previous ring still takes the packets of a
 * connection started there: a drain keeps them, down does not. */
SIOBPF_INLINE int siobpf_backend_keeps(const struct siobpf_vip *vip,
				       const struct siobpf_backend *backend)
{
	return backend->in_use && backend->state != SIOBPF_BACKEND_DOWN && backend->vip_id == vip->id;
}

/* Whether a backend found on the ring may take a new client. */
SIOBPF_INLINE int siobpf_backend_takes_new(const struct siobpf_vip *vip,
					   const struct siobpf_backend *backend)
{
	return backend->in_use && backend->state == SIOBPF_BACKEND_UP && backend->vip_id == vip->id;
}

#endif /* SIOBPF_DECIDE_H */
