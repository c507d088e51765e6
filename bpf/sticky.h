/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The sticky decision: the backend a client already has (its live slot in
 * the bucket table: protected, or on probation and promoted once the client
 * comes back later), else the ring's, remembered on probation. The table's
 * shape is in siobpf/table.h, the rules in siobpf/decide.h. */
#ifndef SIOBPF_BPF_STICKY_H
#define SIOBPF_BPF_STICKY_H

#include "siobpf/decide.h"
#include "siobpf/table.h"
#include "maps.h"
#include "backend.h"
#include "ring.h"
#include "events.h"

/* The table's bucket mask (buckets - 1), set by user space at load from
 * sio_sticky's size: a constant to the verifier, so a bucket index is
 * bounded without a check. */
const volatile __u32 sticky_mask = SIOBPF_CLIENTS / 4 - 1;

/* sticky_admission's packet argument: the protocol, and TCP's flags above. */
#define ADMIT_PACKET(proto, tcp_flags) ((__u32)(proto) | (__u32)(tcp_flags) << 8)
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_ACK 0x10

/* One bucket's scan, as bucket_scan leaves it. */
struct bucket_seen {
	__u64 hit;      /* the live slot, when the scan found one */
	__u64 own_old;  /* the key's own dead slot, when it has one here */
};

/* bucket_scan's answer: the live slot's index + 1 in bits 0-3 (0: none),
 * the key's own dead slot's index + 1 in bits 4-7 (0: none), and the mask
 * of free slots (siobpf_bucket_free_mask) in bits 8-15 (complete only when
 * no live slot was found: the scan stops there). */
#define SCAN_LIVE(r) ((int)((r) & 0xf) - 1)
#define SCAN_OWN(r) ((int)(((r) >> 4) & 0xf) - 1)
#define SCAN_FREE(r) (((r) >> 8) & 0xff)

/* One bucket's part of the lookup: the first slot with the key's
 * fingerprint that is live for this VIP. A slot with the fingerprint that
 * is not live is the key's own (to be reused by its insert) unless it is
 * another VIP's live client, whose fingerprint this key merely shares.
 *
 * A global function, verified once on its own: its eight slots' branches
 * inlined into the caller twice would multiply the caller's paths. */
__noinline __u32 bucket_scan(const struct siobpf_vip *vip, __u32 bucket, __u32 fp, __u32 now_u,
			     struct bucket_seen *seen)
{
	struct siobpf_bucket *b;
	__u32 own = 0, free = 0;

	if (!vip || !seen)
		return 0;
	b = bpf_map_lookup_elem(&sio_sticky, &bucket);
	if (!b)
		return 0;
	for (int i = 0; i < SIOBPF_BUCKET_SLOTS; i++) {
		__u64 s = *(volatile __u64 *)&b->slot[i];
		struct siobpf_backend *backend;
		__u32 id;

		free |= (siobpf_slot_held_bit(s, now_u) ^ 1) << i;
		if (siobpf_slot_kind(s) == SIOBPF_SLOT_EMPTY || siobpf_slot_fp(s) != fp)
			continue;
		id = siobpf_slot_backend(s);
		backend = backend_lookup(&id);
		if (backend && siobpf_slot_live(vip, s, backend, now_u)) {
			seen->hit = s;
			return (__u32)(i + 1) | own << 4 | free << 8;
		}
		if (!own && !(backend && siobpf_slot_held(s, now_u) && backend->in_use &&
			      backend->state != SIOBPF_BACKEND_DOWN && backend->vip_id != vip->id &&
			      (backend->generation & SIOBPF_GEN_MASK) == siobpf_slot_gen(s))) {
			seen->own_old = s;
			own = i + 1;
		}
	}
	return own << 4 | free << 8;
}

/* What a lookup found of a key in its two buckets. */
struct sticky_found {
	struct bucket_seen seen; /* the last scan's */
	__u64 own_old;    /* the key's own dead slot's value, when own >= 0 */
	__u32 bucket[2];  /* home and alternative bucket indices */
	__u32 free;       /* free masks: home's in bits 0-7, the other's in 8-15 (complete on a miss) */
	int index;        /* the live slot's index, 0-7 home, 8-15 alternative; -1: none */
	int own;          /* the key's own slot that is not live, or -1 */
	__u32 fp;
};

/* Each CPU's working memory for one packet's table work: on the stack it
 * would take the program, with its other frames, past its 512 bytes. */
struct sticky_scratch {
	struct sticky_found found;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sticky_scratch);
} sio_scratch SEC(".maps");

static __always_inline struct sticky_scratch *scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&sio_scratch, &zero);
}

/* The victim when neither bucket has a free slot: the probation slot
 * nearest its deadline (siobpf_table_nearest_probation's rank), read from
 * the two lines the scans have just brought in; *old is its value as read.
 * -1: none. Only a full pair pays for the ranking, not every scan. Global,
 * so that its sixteen slots are verified once. */
__noinline int sticky_victim_full(__u32 home, __u32 other, __u32 now_u, __u64 *old)
{
	struct siobpf_bucket *h = bpf_map_lookup_elem(&sio_sticky, &home);
	struct siobpf_bucket *o = bpf_map_lookup_elem(&sio_sticky, &other);
	__u32 best = SIOBPF_NO_RANK;
	__u64 best_old = 0;

	if (!h || !o || !old)
		return -1;
	for (int i = 0; i < 2 * SIOBPF_BUCKET_SLOTS; i++) {
		__u64 s = i < SIOBPF_BUCKET_SLOTS ? *(volatile __u64 *)&h->slot[i]
						  : *(volatile __u64 *)&o->slot[i - SIOBPF_BUCKET_SLOTS];
		__u32 rank = siobpf_slot_rank(s, now_u, (__u32)i);

		if (rank < best) {
			best = rank;
			best_old = s;
		}
	}
	if (best == SIOBPF_NO_RANK)
		return -1;
	*old = best_old;
	return (int)(best & 0xf);
}

/* The key's live slot, looked for in its home bucket, then (only when not
 * there) in its alternative one. Returns whether one was found; the slot
 * is then f->seen.hit. */
static __always_inline int sticky_find(const struct siobpf_vip *vip, const struct siobpf_sticky_key *key,
				       __u32 epoch, __u32 now_u, int early, struct sticky_found *f)
{
	__u64 h = siobpf_table_hash(key, epoch);
	__u32 mask = sticky_mask, r;
	int live;

	f->fp = siobpf_table_fp(h);
	f->bucket[0] = siobpf_table_home(h, mask);
	f->bucket[1] = siobpf_table_other(f->bucket[0], f->fp, mask);
	f->index = -1;
	/* A packet that may make a slot is most often a new client's, whose
	 * lookup reads both buckets: the alternative one's line is asked for
	 * now, so that its miss overlaps the home bucket's instead of following
	 * it. Other packets (an established client's) read one line. */
	if (early) {
		struct siobpf_bucket *other = bpf_map_lookup_elem(&sio_sticky, &f->bucket[1]);

		if (other)
			(void)*(volatile __u64 *)&other->slot[0];
	}
	r = bucket_scan(vip, f->bucket[0], f->fp, now_u, &f->seen);
	f->own = SCAN_OWN(r);
	f->own_old = f->seen.own_old;
	f->free = SCAN_FREE(r);
	live = SCAN_LIVE(r);
	if (live < 0) {
		r = bucket_scan(vip, f->bucket[1], f->fp, now_u, &f->seen);
		if (f->own < 0 && SCAN_OWN(r) >= 0) {
			f->own = SCAN_OWN(r) + SIOBPF_BUCKET_SLOTS;
			f->own_old = f->seen.own_old;
		}
		f->free |= SCAN_FREE(r) << 8;
		live = SCAN_LIVE(r);
		if (live < 0)
			return 0;
		live += SIOBPF_BUCKET_SLOTS;
	}
	f->index = live;
	return 1;
}

/* Replaces the slot at index (0-15) if it still holds old, the value the
 * lookup read there. */
static __always_inline int slot_swap(const struct sticky_found *f, int index, __u64 old, __u64 want)
{
	__u32 home = f->bucket[0], other = f->bucket[1];
	__u32 bucket = index < SIOBPF_BUCKET_SLOTS ? home : other;
	struct siobpf_bucket *b = bpf_map_lookup_elem(&sio_sticky, &bucket);

	return b && __sync_val_compare_and_swap(&b->slot[index & 7], old, want) == old;
}

static __always_inline struct siobpf_admit_stats *admit_stats(__u32 vip_id)
{
	return bpf_map_lookup_elem(&sio_admit_stats, &vip_id);
}

/* A hit by the client's own packet: a protected slot is renewed when due;
 * a probation slot old enough is promoted in place (an event for the
 * reader, when it asked), else left. The counters are looked up only when
 * one moves: a protected hit moves none, and reads no event setting. */
static __always_inline void sticky_touch(const struct siobpf_vip *vip, const struct siobpf_sticky_key *key,
					 struct sticky_found *f, const struct siobpf_vip_admit *admit,
					 __u64 now, __u32 now_u)
{
	__u32 deadline = (now_u + siobpf_persist_units(vip->persist_sec)) & SIOBPF_TIME_MASK;
	struct siobpf_admit_stats *stats;
	int promote;

	if (siobpf_slot_kind(f->seen.hit) == SIOBPF_SLOT_PROTECTED) {
		if (siobpf_slot_refresh_due(vip, f->seen.hit, now_u) &&
		    !slot_swap(f, f->index, f->seen.hit, siobpf_slot_renew(f->seen.hit, SIOBPF_SLOT_PROTECTED, deadline)) &&
		    (stats = admit_stats(vip->id)))
			stats->raced += 1;
		return;
	}
	promote = siobpf_probation_due(vip, admit, f->seen.hit, now_u);
	/* A lost race leaves the client on probation, to be promoted by its
	 * next packet. */
	if (promote)
		promote = slot_swap(f, f->index, f->seen.hit,
				    siobpf_slot_renew(f->seen.hit, SIOBPF_SLOT_PROTECTED, deadline)) ? 1 : -1;
	stats = admit_stats(vip->id);
	if (!stats)
		return;
	if (promote > 0) {
		stats->admitted += 1;
		if (events_on())
			entry_event(key, siobpf_slot_backend(f->seen.hit), siobpf_slot_gen(f->seen.hit),
				    SIOBPF_SLOT_PROTECTED, now);
	} else if (promote < 0) {
		stats->raced += 1;
	} else {
		stats->deferred += 1;
	}
}

/* A free slot's value, read again for the compare-and-exchange: the scan
 * kept only which slots were free. A slot another CPU has taken since is
 * no longer free: *old is then left 0 and the insert counts a race. */
static __always_inline int free_slot_read(const struct sticky_found *f, int index, __u32 now_u, __u64 *old)
{
	__u32 home = f->bucket[0], other = f->bucket[1];
	__u32 bucket = index < SIOBPF_BUCKET_SLOTS ? home : other;
	struct siobpf_bucket *b = bpf_map_lookup_elem(&sio_sticky, &bucket);
	__u64 s;

	if (!b)
		return -1;
	s = *(volatile __u64 *)&b->slot[index & 7];
	if (siobpf_slot_held_bit(s, now_u))
		return -2;
	*old = s;
	return index;
}

/* The slot an insert takes (siobpf_table_victim's rule, from what the
 * scans saw), or -1 (none: the pair is full), or -2 (another CPU took it
 * meanwhile); *old: the value it holds. */
static __always_inline int sticky_victim(const struct sticky_found *f, __u32 now_u, __u64 *old)
{
	__u32 home_free = f->free & 0xff, other_free = f->free >> 8;

	if (f->own >= 0) {
		*old = f->own_old;
		return f->own;
	}
	if (siobpf_table_use_home(home_free, other_free))
		return free_slot_read(f, (int)siobpf_lowest_bit(home_free), now_u, old);
	if (other_free)
		return free_slot_read(f, (int)siobpf_lowest_bit(other_free) + SIOBPF_BUCKET_SLOTS, now_u, old);
	return sticky_victim_full(f->bucket[0], f->bucket[1], now_u, old);
}

/* A new probation slot for the key, naming backend. Returns whether it was
 * written. */
static __always_inline int sticky_insert(const struct siobpf_vip *vip, struct sticky_found *f,
					 const struct siobpf_backend *backend, __u32 backend_id,
					 struct siobpf_admit_stats *stats, __u32 now_u)
{
	__u64 old = 0;
	int victim = sticky_victim(f, now_u, &old);

	if (victim == -2) {
		stats->raced += 1;
		return 0;
	}
	if (victim < 0) {
		stats->full += 1;
		return 0;
	}
	victim &= 2 * SIOBPF_BUCKET_SLOTS - 1;
	if (!slot_swap(f, victim, old,
		       siobpf_slot_make(f->fp, backend_id, backend->generation,
					victim >= SIOBPF_BUCKET_SLOTS, SIOBPF_SLOT_PROBATION,
					now_u + siobpf_persist_units(vip->persist_sec)))) {
		stats->raced += 1;
		return 0;
	}
	if (victim != f->own && siobpf_slot_kind(old) == SIOBPF_SLOT_PROBATION &&
	    siobpf_slot_held(old, now_u))
		stats->evicted += 1;
	return 1;
}

static __always_inline __u32 vip_epoch(const struct siobpf_vip_admit *admit)
{
	return admit ? admit->table_epoch : 0;
}

/* The decision for a client's own packet: its live slot's backend (renewed
 * or promoted as due), else the ring (the previous one for a packet that is
 * not a connection start, inside the window after a change), remembered on
 * probation when the packet may make an entry. Returns the backend's id,
 * SIOBPF_NO_BACKEND when none is in service; *created says whether a slot
 * was made.
 *
 * A global function: the verifier checks it once, on its own, instead of
 * once for every path that reaches it (each VIP index probe), which would
 * make the program several times slower to load. So it returns an id, not
 * the record, and checks its pointers. */
__noinline __u32 sticky_admission(const struct siobpf_vip *vip, const struct siobpf_sticky_key *key,
				  __u32 packet, __u64 now, __u32 *created)
{
	struct siobpf_admit_stats *stats;
	struct siobpf_vip_admit *admit;
	struct siobpf_backend *backend = NULL;
	struct sticky_scratch *work = scratch();
	struct sticky_found *f;
	__u32 vip_id, slot = 0, now_u, persist, backend_id = SIOBPF_NO_BACKEND;
	__u8 proto = packet & 0xff;
	/* A connection start: a TCP SYN without ACK. */
	int start = proto == 6 /* IPPROTO_TCP */ &&
		    ((packet >> 8) & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;
	int early;

	if (!vip || !key || !created)
		return SIOBPF_NO_BACKEND;
	vip_id = vip->id;
	persist = vip->persist_sec;
	now_u = siobpf_time_units(now);
	admit = bpf_map_lookup_elem(&sio_vip_admit, &vip_id);
	/* Never NULL for a VIP's id, nor the scratch. */
	if (!admit || !work)
		return ring_backend(vip, key, &backend_id) ? backend_id : SIOBPF_NO_BACKEND;
	f = &work->found;
	/* A packet that may make a slot asks at once for the lines a new
	 * client reads (sticky_find: the alternative bucket; here: its ring
	 * slot), so that their misses overlap. Any other packet (most often an
	 * established client's) computes no ring slot before it needs one. */
	early = siobpf_creates_entry(proto, start);
	if (early) {
		slot = siobpf_ring_slot(key, vip->hash_seed);
		ring_slot_touch(vip, slot);
	}
	if (persist && sticky_find(vip, key, admit->table_epoch, now_u, early, f)) {
		sticky_touch(vip, key, f, admit, now, now_u);
		return siobpf_slot_backend(f->seen.hit);
	}
	stats = admit_stats(vip_id);
	if (!stats) /* never */
		return ring_backend(vip, key, &backend_id) ? backend_id : SIOBPF_NO_BACKEND;
	stats->misses += 1;
	if (!early)
		slot = siobpf_ring_slot(key, vip->hash_seed);
	if (!start && siobpf_prev_ring_active(admit, now)) {
		backend = ring_prev_slot_backend(vip, slot, &backend_id);
		if (backend)
			stats->prev_ring += 1;
	}
	if (!backend)
		backend = ring_slot_backend(vip, slot, &backend_id);
	if (!backend)
		return SIOBPF_NO_BACKEND;
	/* A VIP with no persistence keeps no sticky state. */
	if (!persist)
		return backend_id;
	if (!siobpf_creates_entry(proto, start)) {
		stats->refused += 1;
		return backend_id;
	}
	if (sticky_insert(vip, f, backend, backend_id, stats, now_u)) {
		stats->created += 1;
		*created = 1;
		if (events_on())
			entry_event(key, backend_id, backend->generation, SIOBPF_SLOT_PROBATION, now);
	}
	return backend_id;
}

/* The backend of the key's live slot, of either kind, or SIOBPF_NO_BACKEND:
 * for packets that are not the client's own (ICMP errors about its flows),
 * which must not create, promote or keep alive its entry. Global for the
 * same reason as sticky_admission. */
__noinline __u32 sticky_peek(const struct siobpf_vip *vip, const struct siobpf_sticky_key *key, __u64 now)
{
	struct sticky_scratch *work = scratch();
	struct siobpf_vip_admit *admit;
	__u32 vip_id;

	if (!vip || !key || !vip->persist_sec || !work)
		return SIOBPF_NO_BACKEND;
	vip_id = vip->id;
	admit = bpf_map_lookup_elem(&sio_vip_admit, &vip_id);
	if (!sticky_find(vip, key, vip_epoch(admit), siobpf_time_units(now), 0, &work->found))
		return SIOBPF_NO_BACKEND;
	return siobpf_slot_backend(work->found.seen.hit);
}

#endif /* SIOBPF_BPF_STICKY_H */
