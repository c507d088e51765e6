/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The sticky table (sio_sticky, siobpf/table.h) from user space: mapped
 * into the process, read and written with the same 64-bit
 * compare-and-exchange as the data path, so user space never holds a lock
 * the program waits on and never overwrites a slot the program just wrote.
 * Functions return 0 or -errno unless they say otherwise. */
#ifndef SIOBPF_STICKY_TABLE_H
#define SIOBPF_STICKY_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "siobpf/abi.h"
#include "siobpf/table.h"

struct sticky_table {
	struct siobpf_bucket *buckets; /* the map's memory, shared with the program */
	__u32 nbuckets;                /* a power of two */
	__u32 mask;                    /* nbuckets - 1 */
	size_t bytes;
};

/* Maps the table of fd (an sio_sticky map). */
int sticky_table_open(struct sticky_table *t, int fd);
void sticky_table_close(struct sticky_table *t);

/* Clients a table of nbuckets is rated for (two slots each, DESIGN §10). */
static inline __u64 sticky_table_rated(__u32 nbuckets)
{
	return (__u64)nbuckets * SIOBPF_BUCKET_SLOTS / 2;
}

/* Where a key's slot is: its buckets and fingerprint. */
struct sticky_place {
	__u32 home, other, fp;
};
void sticky_table_place(const struct sticky_table *t, const struct siobpf_sticky_key *key, __u32 epoch,
			struct sticky_place *place);

/* A key's live slot, found exactly as the program finds it (sticky.h). */
struct sticky_found_slot {
	__u64 slot;    /* its value */
	__u32 bucket;  /* its bucket */
	int index;     /* its index in the bucket (0-7) */
};
/* 1 and *found when the key has a live slot (siobpf_slot_live) at now_u,
 * 0 when it has none. backends: the whole backend table, by id. */
int sticky_table_find(const struct sticky_table *t, const struct siobpf_vip *vip, __u32 epoch,
		      const struct siobpf_backend *backends, const struct siobpf_sticky_key *key,
		      __u32 now_u, struct sticky_found_slot *found);

/* sticky_table_put and _copy: leave the key's own slot as it is when it
 * names the same backend and is at least as fresh (protected over
 * probation, else the later deadline): what the program wrote since wins. */
#define STICKY_PUT_KEEP_FRESHER 0x1
/* sticky_table_put: leave a key that a live slot of its VIP with its
 * fingerprint serves on another backend (-EEXIST): the program sends the
 * key there, and cannot tell the key from another client with its
 * fingerprint, so the slot may be another client's. Without it the put
 * replaces that slot (the key's own, as far as the table can tell). */
#define STICKY_PUT_IF_UNSERVED 0x2

/* The key's slot whatever its state: the first slot of its buckets (home
 * first) with its fingerprint, live or not (tests, repairs). 1 and *found,
 * or 0. */
int sticky_table_slot_of(const struct sticky_table *t, const struct siobpf_sticky_key *key, __u32 epoch,
			 struct sticky_found_slot *found);
/* Empties the slots of the key's buckets that have its fingerprint; the
 * number emptied. */
int sticky_table_clear(struct sticky_table *t, const struct siobpf_sticky_key *key, __u32 epoch);

/* Writes a slot for key: made of backend_id, generation, kind and
 * deadline (time units), replacing the key's own slot if it has one (live
 * or not), else in the slot siobpf_table_victim picks. -EEXIST (with
 * STICKY_PUT_IF_UNSERVED only): a live slot of the VIP with the key's
 * fingerprint names another backend; -ENOSPC: both buckets are full of
 * held protected slots;
 * -EAGAIN: the program kept writing the buckets (after a few tries). */
int sticky_table_put(struct sticky_table *t, const struct siobpf_vip *vip, __u32 epoch,
		     const struct siobpf_backend *backends, const struct siobpf_sticky_key *key,
		     __u32 backend_id, __u32 generation, __u32 kind, __u32 deadline, __u32 now_u,
		     unsigned flags);

/* Calls fn for every held slot (in use, deadline not passed at now_u),
 * with its bucket. One pass; slots written meanwhile may or may not be
 * seen. fn returns nonzero to stop the pass, which then returns that. */
typedef int (*sticky_slot_fn)(__u64 slot, __u32 bucket, void *ctx);
int sticky_table_walk(const struct sticky_table *t, __u32 now_u, sticky_slot_fn fn, void *ctx);

/* Empties the held slots that are dead for every client (their backend
 * record is free or of another generation) and, with a VIP id, those of
 * the VIP's backends: the room an epoch change or a backend's removal
 * leaves, which inserts would otherwise see held until its deadline (they
 * never take a held protected slot). The number emptied. */
int sticky_table_reclaim(struct sticky_table *t, const struct siobpf_backend *backends, __u32 vip_id,
			 __u32 now_u);

/* Brings the deadlines of a VIP's slots (those naming its backends) in to
 * at most persist_u units from now: a lowered persistence applies to the
 * entries already made, as it does to those made after. The number
 * changed. */
int sticky_table_clamp(struct sticky_table *t, const struct siobpf_backend *backends, __u32 vip_id,
		       __u32 now_u, __u32 persist_u);

/* Held slots by kind. */
void sticky_table_sizes(const struct sticky_table *t, __u32 now_u, __u64 *protected_n,
			__u64 *probation_n);

/* Live clients of every backend (counts by id, SIOBPF_MAX_BACKENDS): held
 * slots whose backend record is in use, of the slot's generation and not
 * down. */
void sticky_table_count_by_backend(const struct sticky_table *t, const struct siobpf_backend *backends,
				   __u32 now_u, __u32 *counts);

/* Copies every held slot of from into to, a table of any size: exactly
 * where to is the same size or smaller; into each of the buckets the slot
 * may belong to where to is larger (the key's hash bits that choose among
 * them are not in the slot), so a copy is found by its client whatever
 * those bits are, and the others, found by nobody, expire at their
 * deadline. *copied: slots written; *lost: slots that found no room. */
int sticky_table_copy(const struct sticky_table *from, struct sticky_table *to, __u32 now_u,
		      unsigned flags, size_t *copied, size_t *lost);

#endif /* SIOBPF_STICKY_TABLE_H */
