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

/* The table's bucket mask (buckets - 1), set by user space at load from
 * sio_sticky's size: a constant to the verifier, so a bucket index is
 * bounded without a check. */
const volatile __u32 sticky_mask = SIOBPF_CLIENTS / 4 - 1;

/* sticky_admission's packet argument: the protocol, and TCP's flags above. */
#define ADMIT_PACKET(proto, tcp_flags) ((__u32)(proto) | (__u32)(tcp_flags) << 8)
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_ACK 0x10

/* One bucket as a scan read it. */
struct bucket_view {
	__u64 seen[SIOBPF_BUCKET_SLOTS];
	__u64 hit; /* the live slot, when the scan found one */
};

/* The two buckets of a key as a lookup read them: the insert's snapshot. */
struct sticky_view {
	struct bucket_view bucket[2]; /* home, alternative */
};

/* Each CPU's copy of the two buckets its last lookup read: on the stack
 * it would take the program past its 512 bytes. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sticky_view);
} sio_scratch SEC(".maps");

/* What a lookup found of a key in its two buckets. */
struct sticky_found {
	struct sticky_view *view; /* this CPU's sio_scratch */
	__u32 bucket[2];  /* home and alternative bucket indices */
	__u64 slot;       /* the live slot found */
	__u32 backend_id; /* its backend */
	int index;        /* its index, 0-7 home, 8-15 alternative; -1: none */
	int own;          /* the key's own slot that is not live, or -1 */
	__u32 fp;
};

/* bucket_scan's answer: the live slot's index + 1 in bits 0-3 (0: none),
 * the key's own dead slot's index + 1 in bits 4-7 (0: none). */
#define SCAN_LIVE(r) ((int)((r) & 0xf) - 1)
#define SCAN_OWN(r) ((int)(((r) >> 4) & 0xf) - 1)

/* One bucket's part of the lookup: the first slot with the key's
 * fingerprint that is live for this VIP. A slot with the fingerprint that
 * is not live is the key's own (to be reused by its insert) unless it is
 * another VIP's live client, whose fingerprint this key merely shares. The
 * bucket's slots are copied into *view as read.
 *
 * A global function, verified once on its own: its eight slots' branches
 * inlined into the caller twice would multiply the caller's paths. */
__noinline __u32 bucket_scan(const struct siobpf_vip *vip, __u32 bucket, __u32 fp, __u32 now_u,
			     struct bucket_view *view)
{
	struct siobpf_bucket *b;
	__u32 own = 0;

	if (!vip || !view)
		return 0;
	b = bpf_map_lookup_elem(&sio_sticky, &bucket);
	if (!b)
		return 0;
	for (int i = 0; i < SIOBPF_BUCKET_SLOTS; i++) {
		__u64 s = *(volatile __u64 *)&b->slot[i];
		struct siobpf_backend *backend;
		__u32 id;

		view->seen[i] = s;
		if (siobpf_slot_kind(s) == SIOBPF_SLOT_EMPTY || siobpf_slot_fp(s) != fp)
			continue;
		id = siobpf_slot_backend(s);
		backend = backend_lookup(&id);
		if (backend && siobpf_slot_live(vip, s, backend, now_u)) {
			view->hit = s;
			return (__u32)(i + 1) | own << 4;
		}
		if (!own && !(backend && siobpf_slot_held(s, now_u) && backend->in_use &&
			      backend->state != SIOBPF_BACKEND_DOWN && backend->vip_id != vip->id &&
			      (backend->generation & SIOBPF_GEN_MASK) == siobpf_slot_gen(s)))
			own = i + 1;
	}
	return own << 4;
}

/* The slot an insert takes of the snapshot (siobpf_table_victim), or -1;
 * *old: its value as read. Global for the same reason as bucket_scan: its
 * loops would otherwise be explored once for every way the caller got
 * here. */
__noinline int sticky_victim(const struct sticky_view *view, __u32 now_u, int own, __u64 *old)
{
	int victim;

	if (!view || !old)
		return -1;
	victim = siobpf_table_victim(view->bucket[0].seen, view->bucket[1].seen, now_u, own);
	if (victim < 0)
		return -1;
	victim &= 2 * SIOBPF_BUCKET_SLOTS - 1;
	*old = victim < SIOBPF_BUCKET_SLOTS ? view->bucket[0].seen[victim & 7]
					    : view->bucket[1].seen[victim & 7];
	return victim;
}

/* The key's live slot, looked for in its home bucket, then (only when not
 * there) in its alternative one. Returns whether one was found. */
static __always_inline int sticky_find(const struct siobpf_vip *vip, const struct siobpf_sticky_key *key,
				       __u32 epoch, __u32 now_u, struct sticky_found *f)
{
	__u64 h = siobpf_table_hash(key, epoch);
	__u32 mask = sticky_mask, r, zero = 0;
	int live;

	f->fp = siobpf_table_fp(h);
	f->bucket[0] = siobpf_table_home(h, mask);
	f->bucket[1] = siobpf_table_other(f->bucket[0], f->fp, mask);
	f->index = -1;
	f->own = -1;
	f->view = bpf_map_lookup_elem(&sio_scratch, &zero);
	if (!f->view) /* never */
		return 0;
	r = bucket_scan(vip, f->bucket[0], f->fp, now_u, &f->view->bucket[0]);
	f->own = SCAN_OWN(r);
	live = SCAN_LIVE(r);
	if (live >= 0) {
		f->slot = f->view->bucket[0].hit;
	} else {
		r = bucket_scan(vip, f->bucket[1], f->fp, now_u, &f->view->bucket[1]);
		if (f->own < 0 && SCAN_OWN(r) >= 0)
			f->own = SCAN_OWN(r) + SIOBPF_BUCKET_SLOTS;
		live = SCAN_LIVE(r);
		if (live < 0)
			return 0;
		live += SIOBPF_BUCKET_SLOTS;
		f->slot = f->view->bucket[1].hit;
	}
	f->index = live;
	f->backend_id = siobpf_slot_backend(f->slot);
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

/* A hit by the client's own packet: a protected slot is renewed when due;
 * a probation slot old enough is promoted in place, else left. */
static __always_inline void sticky_touch(const struct siobpf_vip *vip, struct sticky_found *f,
					 const struct siobpf_vip_admit *admit,
					 struct siobpf_admit_stats *stats, __u32 now_u)
{
	__u32 deadline = (now_u + siobpf_persist_units(vip->persist_sec)) & SIOBPF_TIME_MASK;

	if (siobpf_slot_kind(f->slot) == SIOBPF_SLOT_PROTECTED) {
		if (siobpf_slot_refresh_due(vip, f->slot, now_u) &&
		    !slot_swap(f, f->index, f->slot, siobpf_slot_renew(f->slot, SIOBPF_SLOT_PROTECTED, deadline)) &&
		    stats)
			stats->raced += 1;
		return;
	}
	if (!stats)
		return;
	if (!siobpf_probation_due(vip, admit, f->slot, now_u)) {
		stats->deferred += 1;
		return;
	}
	/* A lost race leaves the client on probation, to be promoted by its
	 * next packet. */
	if (slot_swap(f, f->index, f->slot, siobpf_slot_renew(f->slot, SIOBPF_SLOT_PROTECTED, deadline)))
		stats->admitted += 1;
	else
		stats->raced += 1;
}

/* A new probation slot for the key, naming backend: in the slot
 * siobpf_table_victim picks of the two buckets as the lookup read them.
 * Returns whether it was written. */
static __always_inline int sticky_insert(const struct siobpf_vip *vip, struct sticky_found *f,
					 const struct siobpf_backend *backend, __u32 backend_id,
					 struct siobpf_admit_stats *stats, __u32 now_u)
{
	__u64 old = 0;
	int victim = f->view ? sticky_victim(f->view, now_u, f->own, &old) : -1;

	if (victim < 0) {
		stats->full += 1;
		return 0;
	}
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
	struct sticky_found f = {.view = NULL};
	__u32 vip_id, slot, now_u, persist, backend_id = SIOBPF_NO_BACKEND;
	__u8 proto = packet & 0xff;
	/* A connection start: a TCP SYN without ACK. */
	int start = proto == 6 /* IPPROTO_TCP */ &&
		    ((packet >> 8) & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;

	if (!vip || !key || !created)
		return SIOBPF_NO_BACKEND;
	vip_id = vip->id;
	persist = vip->persist_sec;
	now_u = siobpf_time_units(now);
	admit = bpf_map_lookup_elem(&sio_vip_admit, &vip_id);
	stats = bpf_map_lookup_elem(&sio_admit_stats, &vip_id);
	/* Never NULL for a VIP's id. */
	if (!admit || !stats)
		return ring_backend(vip, key, &backend_id) ? backend_id : SIOBPF_NO_BACKEND;
	if (persist && sticky_find(vip, key, admit->table_epoch, now_u, &f)) {
		sticky_touch(vip, &f, admit, stats, now_u);
		return f.backend_id;
	}
	stats->misses += 1;
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
	if (sticky_insert(vip, &f, backend, backend_id, stats, now_u)) {
		stats->created += 1;
		*created = 1;
	}
	return backend_id;
}

/* The backend of the key's live slot, of either kind, or SIOBPF_NO_BACKEND:
 * for packets that are not the client's own (ICMP errors about its flows),
 * which must not create, promote or keep alive its entry. Global for the
 * same reason as sticky_admission. */
__noinline __u32 sticky_peek(const struct siobpf_vip *vip, const struct siobpf_sticky_key *key, __u64 now)
{
	struct siobpf_vip_admit *admit;
	struct sticky_found f;
	__u32 vip_id;

	if (!vip || !key || !vip->persist_sec)
		return SIOBPF_NO_BACKEND;
	vip_id = vip->id;
	admit = bpf_map_lookup_elem(&sio_vip_admit, &vip_id);
	if (!sticky_find(vip, key, vip_epoch(admit), siobpf_time_units(now), &f))
		return SIOBPF_NO_BACKEND;
	return f.backend_id;
}

#endif /* SIOBPF_BPF_STICKY_H */
