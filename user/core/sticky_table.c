// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The sticky table from user space (sticky_table.h). The rules are
 * siobpf/table.h's and siobpf/decide.h's, the same the program runs. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <bpf/bpf.h>

#include "siobpf/decide.h"
#include "sticky_table.h"

int sticky_table_open(struct sticky_table *t, int fd)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	void *p;

	memset(t, 0, sizeof(*t));
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_ARRAY || info.value_size != sizeof(struct siobpf_bucket) ||
	    !(info.map_flags & BPF_F_MMAPABLE) || info.max_entries < 2 ||
	    (info.max_entries & (info.max_entries - 1)))
		return -EINVAL;
	t->bytes = (size_t)info.max_entries * sizeof(struct siobpf_bucket);
	p = mmap(NULL, t->bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	t->buckets = p;
	t->nbuckets = info.max_entries;
	t->mask = info.max_entries - 1;
	return 0;
}

void sticky_table_close(struct sticky_table *t)
{
	if (t->buckets)
		munmap(t->buckets, t->bytes);
	memset(t, 0, sizeof(*t));
}

static __u64 slot_load(const struct sticky_table *t, __u32 bucket, int i)
{
	return __atomic_load_n(&t->buckets[bucket].slot[i], __ATOMIC_ACQUIRE);
}

static bool slot_cas(struct sticky_table *t, __u32 bucket, int i, __u64 old, __u64 want)
{
	return __atomic_compare_exchange_n(&t->buckets[bucket].slot[i], &old, want, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

void sticky_table_place(const struct sticky_table *t, const struct siobpf_sticky_key *key, __u32 epoch,
			struct sticky_place *place)
{
	__u64 h = siobpf_table_hash(key, epoch);

	place->fp = siobpf_table_fp(h);
	place->home = siobpf_table_home(h, t->mask);
	place->other = siobpf_table_other(place->home, place->fp, t->mask);
}

static const struct siobpf_backend *backend_of(const struct siobpf_backend *backends, __u64 s)
{
	__u32 id = siobpf_slot_backend(s);

	return id < SIOBPF_MAX_BACKENDS ? &backends[id] : NULL;
}

/* Another VIP's live client, whose fingerprint a key of vip shares: the one
 * kind of slot with the key's fingerprint that is not the key's own. */
static bool foreign_live(const struct siobpf_vip *vip, const struct siobpf_backend *b, __u64 s, __u32 now_u)
{
	return b && siobpf_slot_held(s, now_u) && b->in_use && b->state != SIOBPF_BACKEND_DOWN &&
	       b->vip_id != vip->id && (b->generation & SIOBPF_GEN_MASK) == siobpf_slot_gen(s);
}

/* The first slot of the key's buckets (home first) with its fingerprint
 * that is live for vip at now_u, or with vip NULL the first in use at all. */
static int key_scan(const struct sticky_table *t, const struct siobpf_vip *vip,
		    const struct siobpf_backend *backends, const struct siobpf_sticky_key *key, __u32 epoch,
		    __u32 now_u, struct sticky_found_slot *found)
{
	struct sticky_place p;

	sticky_table_place(t, key, epoch, &p);
	for (int which = 0; which < 2; which++) {
		__u32 bucket = which ? p.other : p.home;

		for (int i = 0; i < SIOBPF_BUCKET_SLOTS; i++) {
			__u64 s = slot_load(t, bucket, i);
			const struct siobpf_backend *b;

			if (siobpf_slot_kind(s) == SIOBPF_SLOT_EMPTY || siobpf_slot_fp(s) != p.fp)
				continue;
			b = vip ? backend_of(backends, s) : NULL;
			if (vip && !(b && siobpf_slot_live(vip, s, b, now_u)))
				continue;
			found->slot = s;
			found->bucket = bucket;
			found->index = i;
			return 1;
		}
	}
	return 0;
}

int sticky_table_find(const struct sticky_table *t, const struct siobpf_vip *vip, __u32 epoch,
		      const struct siobpf_backend *backends, const struct siobpf_sticky_key *key,
		      __u32 now_u, struct sticky_found_slot *found)
{
	return key_scan(t, vip, backends, key, epoch, now_u, found);
}

int sticky_table_slot_of(const struct sticky_table *t, const struct siobpf_sticky_key *key, __u32 epoch,
			 struct sticky_found_slot *found)
{
	return key_scan(t, NULL, NULL, key, epoch, 0, found);
}

int sticky_table_clear(struct sticky_table *t, const struct siobpf_sticky_key *key, __u32 epoch)
{
	struct sticky_place p;
	int n = 0;

	sticky_table_place(t, key, epoch, &p);
	for (int which = 0; which < 2; which++) {
		__u32 bucket = which ? p.other : p.home;

		for (int i = 0; i < SIOBPF_BUCKET_SLOTS; i++) {
			__u64 s = slot_load(t, bucket, i);

			if (siobpf_slot_kind(s) != SIOBPF_SLOT_EMPTY && siobpf_slot_fp(s) == p.fp &&
			    slot_cas(t, bucket, i, s, 0))
				n++;
		}
	}
	return n;
}

/* Writes want into the key's two buckets at place: over the slot own_of
 * says is the key's own, else the victim's. */
typedef bool (*own_fn)(__u64 s, const void *ctx);

/* Whether slot a is at least as fresh as b: further on (protected over
 * probation), or as far with a deadline as late. */
static bool fresher(__u64 a, __u64 b, __u32 now_u)
{
	return siobpf_slot_kind(a) > siobpf_slot_kind(b) ||
	       (siobpf_slot_kind(a) == siobpf_slot_kind(b) &&
		siobpf_slot_remaining(a, now_u) >= siobpf_slot_remaining(b, now_u));
}

static int put_at(struct sticky_table *t, const struct sticky_place *p, __u64 want, __u32 now_u,
		  own_fn own_of, const void *ctx, unsigned flags)
{
	for (int attempt = 0; attempt < 8; attempt++) {
		__u64 seen[2 * SIOBPF_BUCKET_SLOTS];
		int own = -1, victim;
		__u32 bucket;

		for (int i = 0; i < 2 * SIOBPF_BUCKET_SLOTS; i++) {
			seen[i] = slot_load(t, i < 8 ? p->home : p->other, i & 7);
			if (own < 0 && siobpf_slot_kind(seen[i]) != SIOBPF_SLOT_EMPTY &&
			    siobpf_slot_fp(seen[i]) == p->fp && own_of(seen[i], ctx))
				own = i;
		}
		if (own >= 0 && (flags & STICKY_PUT_KEEP_FRESHER) && siobpf_slot_held(seen[own], now_u) &&
		    siobpf_slot_backend(seen[own]) == siobpf_slot_backend(want) &&
		    fresher(seen[own], want, now_u))
			return 0;
		victim = siobpf_table_victim(seen, seen + SIOBPF_BUCKET_SLOTS, now_u, own);
		if (victim < 0)
			return -ENOSPC;
		bucket = victim < 8 ? p->home : p->other;
		/* The slot says which of its key's buckets it is in. */
		want = siobpf_slot_make(siobpf_slot_fp(want), siobpf_slot_backend(want),
					siobpf_slot_gen(want), victim >= 8, siobpf_slot_kind(want),
					siobpf_slot_deadline(want));
		if (slot_cas(t, bucket, victim & 7, seen[victim], want))
			return 0;
	}
	return -EAGAIN;
}

struct key_own {
	const struct siobpf_vip *vip;
	const struct siobpf_backend *backends;
	__u32 now_u;
};

static bool key_own(__u64 s, const void *ctx)
{
	const struct key_own *k = ctx;

	return !foreign_live(k->vip, backend_of(k->backends, s), s, k->now_u);
}

/* A live slot of the key's own VIP with its fingerprint naming another
 * backend than want: the program would send the key there (it cannot tell
 * the key from another client with its fingerprint), so a put leaves it. */
static bool serves_key_elsewhere(const struct sticky_table *t, const struct sticky_place *p,
				 const struct key_own *k, __u32 backend_id)
{
	for (int i = 0; i < 2 * SIOBPF_BUCKET_SLOTS; i++) {
		__u64 s = slot_load(t, i < 8 ? p->home : p->other, i & 7);
		const struct siobpf_backend *b;

		if (siobpf_slot_kind(s) == SIOBPF_SLOT_EMPTY || siobpf_slot_fp(s) != p->fp)
			continue;
		b = backend_of(k->backends, s);
		if (b && siobpf_slot_live(k->vip, s, b, k->now_u))
			return siobpf_slot_backend(s) != backend_id;
	}
	return false;
}

int sticky_table_put(struct sticky_table *t, const struct siobpf_vip *vip, __u32 epoch,
		     const struct siobpf_backend *backends, const struct siobpf_sticky_key *key,
		     __u32 backend_id, __u32 generation, __u32 kind, __u32 deadline, __u32 now_u,
		     unsigned flags)
{
	struct key_own ctx = {vip, backends, now_u};
	struct sticky_place p;

	if (backend_id >= SIOBPF_MAX_BACKENDS || kind == SIOBPF_SLOT_EMPTY || kind > SIOBPF_SLOT_PROTECTED)
		return -EINVAL;
	sticky_table_place(t, key, epoch, &p);
	if ((flags & STICKY_PUT_IF_UNSERVED) && serves_key_elsewhere(t, &p, &ctx, backend_id))
		return -EEXIST;
	return put_at(t, &p, siobpf_slot_make(p.fp, backend_id, generation, 0, kind, deadline), now_u,
		      key_own, &ctx, flags);
}

int sticky_table_walk(const struct sticky_table *t, __u32 now_u, sticky_slot_fn fn, void *ctx)
{
	for (__u32 b = 0; b < t->nbuckets; b++)
		for (int i = 0; i < SIOBPF_BUCKET_SLOTS; i++) {
			__u64 s = slot_load(t, b, i);
			int stop;

			if (siobpf_slot_held(s, now_u) && (stop = fn(s, b, ctx)))
				return stop;
		}
	return 0;
}

void sticky_table_sizes(const struct sticky_table *t, __u32 now_u, __u64 *protected_n,
			__u64 *probation_n)
{
	__u64 prot = 0, prob = 0;

	for (__u32 b = 0; b < t->nbuckets; b++)
		for (int i = 0; i < SIOBPF_BUCKET_SLOTS; i++) {
			__u64 s = slot_load(t, b, i);

			if (!siobpf_slot_held(s, now_u))
				continue;
			prot += siobpf_slot_kind(s) == SIOBPF_SLOT_PROTECTED;
			prob += siobpf_slot_kind(s) == SIOBPF_SLOT_PROBATION;
		}
	if (protected_n)
		*protected_n = prot;
	if (probation_n)
		*probation_n = prob;
}

void sticky_table_count_by_backend(const struct sticky_table *t, const struct siobpf_backend *backends,
				   __u32 now_u, __u32 *counts)
{
	memset(counts, 0, SIOBPF_MAX_BACKENDS * sizeof(*counts));
	for (__u32 b = 0; b < t->nbuckets; b++)
		for (int i = 0; i < SIOBPF_BUCKET_SLOTS; i++) {
			__u64 s = slot_load(t, b, i);
			const struct siobpf_backend *be = backend_of(backends, s);

			if (be && siobpf_slot_held(s, now_u) && be->in_use &&
			    be->state != SIOBPF_BACKEND_DOWN &&
			    (be->generation & SIOBPF_GEN_MASK) == siobpf_slot_gen(s))
				counts[siobpf_slot_backend(s)]++;
		}
}

int sticky_table_reclaim(struct sticky_table *t, const struct siobpf_backend *backends, __u32 vip_id,
			 __u32 now_u)
{
	int n = 0;

	for (__u32 b = 0; b < t->nbuckets; b++)
		for (int i = 0; i < SIOBPF_BUCKET_SLOTS; i++) {
			__u64 s = slot_load(t, b, i);
			const struct siobpf_backend *be = backend_of(backends, s);

			if (!siobpf_slot_held(s, now_u) || !be)
				continue;
			if (be->in_use && (be->generation & SIOBPF_GEN_MASK) == siobpf_slot_gen(s) &&
			    be->vip_id != vip_id)
				continue;
			n += slot_cas(t, b, i, s, 0);
		}
	return n;
}

int sticky_table_clamp(struct sticky_table *t, const struct siobpf_backend *backends, __u32 vip_id,
		       __u32 now_u, __u32 persist_u)
{
	int n = 0;

	for (__u32 b = 0; b < t->nbuckets; b++)
		for (int i = 0; i < SIOBPF_BUCKET_SLOTS; i++) {
			__u64 s = slot_load(t, b, i);
			const struct siobpf_backend *be = backend_of(backends, s);

			if (!siobpf_slot_held(s, now_u) || !be || !be->in_use || be->vip_id != vip_id ||
			    siobpf_slot_remaining(s, now_u) <= persist_u)
				continue;
			n += slot_cas(t, b, i, s,
				      siobpf_slot_renew(s, siobpf_slot_kind(s), now_u + persist_u));
		}
	return n;
}

/* A copy's own slot in the new table: the same client's, already copied
 * (the same fingerprint, backend and generation). */
static bool copy_own(__u64 s, const void *ctx)
{
	__u64 want = *(const __u64 *)ctx;

	return siobpf_slot_backend(s) == siobpf_slot_backend(want) &&
	       siobpf_slot_gen(s) == siobpf_slot_gen(want);
}

int sticky_table_copy(const struct sticky_table *from, struct sticky_table *to, __u32 now_u,
		      unsigned flags, size_t *copied, size_t *lost)
{
	*copied = *lost = 0;
	for (__u32 b = 0; b < from->nbuckets; b++)
		for (int i = 0; i < SIOBPF_BUCKET_SLOTS; i++) {
			__u64 s = slot_load(from, b, i);
			__u32 fp = siobpf_slot_fp(s), home, spread = 1, step = from->nbuckets;

			if (!siobpf_slot_held(s, now_u))
				continue;
			/* The key's home bucket in from; in to, the home bucket keeps
			 * the bits of from's and, when to is larger, adds bits of the
			 * hash the slot does not hold: each value is a candidate. */
			home = siobpf_slot_alt(s) ? siobpf_table_other(b, fp, from->mask) : b;
			if (to->nbuckets > from->nbuckets)
				spread = to->nbuckets / from->nbuckets;
			for (__u32 x = 0; x < spread; x++) {
				struct sticky_place p;
				int err;

				p.fp = fp;
				p.home = (home + x * step) & to->mask;
				p.other = siobpf_table_other(p.home, fp, to->mask);
				err = put_at(to, &p, s, now_u, copy_own, &s, flags);
				if (err == -ENOSPC)
					(*lost)++;
				else if (err)
					return err;
				else
					(*copied)++;
			}
		}
	return 0;
}
