/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The sticky table (sio_sticky): an array of 64-byte buckets, one cache
 * line each, of eight 8-byte slots. Everything that says where a client's
 * slot lives, what a slot means and which slot an insert takes is here, as
 * pure functions compiled into the XDP program and into user space (model,
 * lookup, migration, resize), so that the two cannot disagree.
 *
 * A client's key hashes (siobpf_table_hash, 64 bits, with its VIP's table
 * epoch) to a home bucket and a fingerprint; its alternative bucket is the
 * home bucket XOR a function of the fingerprint (so either bucket and the
 * fingerprint give the other). A lookup reads the home bucket and, only when
 * the client is not found there, the alternative one; an insert takes one
 * slot by a 64-bit compare-and-exchange, so no lock is held and no global
 * list is touched. DESIGN §10 says why a fingerprint collision is safe.
 */
#ifndef SIOBPF_TABLE_H
#define SIOBPF_TABLE_H

#include <linux/types.h>
#include "siobpf/abi.h"

#ifdef __bpf__
#define SIOBPF_TINLINE static __always_inline
#else
#define SIOBPF_TINLINE static inline
#endif

#define SIOBPF_BUCKET_SLOTS 8

struct siobpf_bucket {
	__u64 slot[SIOBPF_BUCKET_SLOTS];
};
_Static_assert(sizeof(struct siobpf_bucket) == 64, "siobpf_bucket is one cache line");

/* A slot, low bit first:
 *   fingerprint  18 bits  the key hash's low bits
 *   backend id   12 bits  SIOBPF_MAX_BACKENDS is 4096
 *   generation    6 bits  the backend's generation, low bits
 *   alt           1 bit   the slot is in the key's alternative bucket
 *   kind          2 bits  SIOBPF_SLOT_EMPTY / _PROBATION / _PROTECTED
 *   deadline     25 bits  when the entry expires, in time units
 * A slot of kind empty is free whatever its other bits. */
#define SIOBPF_SLOT_FP_BITS 18
#define SIOBPF_SLOT_BACKEND_SHIFT 18
#define SIOBPF_SLOT_GEN_SHIFT 30
#define SIOBPF_SLOT_GEN_BITS 6
#define SIOBPF_SLOT_ALT_SHIFT 36
#define SIOBPF_SLOT_KIND_SHIFT 37
#define SIOBPF_SLOT_TIME_SHIFT 39
#define SIOBPF_TIME_BITS 25
_Static_assert(SIOBPF_MAX_BACKENDS <= 1u << 12, "a backend id fits a slot's 12 bits");
_Static_assert(SIOBPF_SLOT_TIME_SHIFT + SIOBPF_TIME_BITS == 64, "a slot is 64 bits");

#define SIOBPF_FP_MASK ((1u << SIOBPF_SLOT_FP_BITS) - 1)
#define SIOBPF_GEN_MASK ((1u << SIOBPF_SLOT_GEN_BITS) - 1)
#define SIOBPF_TIME_MASK ((1u << SIOBPF_TIME_BITS) - 1)

enum siobpf_slot_kind {
	SIOBPF_SLOT_EMPTY = 0,
	SIOBPF_SLOT_PROBATION = 1, /* made by a new client's first packet (decide.h) */
	SIOBPF_SLOT_PROTECTED = 2, /* promoted: the client came back */
};

/* Time in the table: CLOCK_MONOTONIC_COARSE ns >> SIOBPF_TIME_UNIT_SHIFT,
 * units of 67.1 ms, kept modulo 2^25. A live slot's deadline is at most
 * half the circle (2^24 units, 13.0 days) ahead, so whether it has passed
 * is known from the slot alone, whatever its VIP: an insert can tell an
 * expired slot without looking its VIP up. Persistences are capped at
 * SIOBPF_PERSIST_MAX_SEC, under half the circle. */
#define SIOBPF_TIME_UNIT_SHIFT 26
#define SIOBPF_TIME_HALF (1u << (SIOBPF_TIME_BITS - 1))
#define SIOBPF_PERSIST_MAX_SEC 1000000u /* 11.6 days */
_Static_assert((__u64)SIOBPF_PERSIST_MAX_SEC * 1000000000ull >> SIOBPF_TIME_UNIT_SHIFT < SIOBPF_TIME_HALF,
	       "the longest persistence is under half the time circle");

/* Buckets of a table sized for clients: a power of two, at least two
 * slots per client (the rated load, DESIGN §10), at least two buckets. */
#ifndef SIOBPF_CLIENTS
#define SIOBPF_CLIENTS (1u << 20)
#endif
#define SIOBPF_MAX_CLIENTS (1u << 28)
SIOBPF_TINLINE __u32 siobpf_table_buckets(__u32 clients)
{
	__u32 want = (clients + 3) / 4, n = 2;

	while (n < want && n < (1u << 26))
		n <<= 1;
	return n;
}

SIOBPF_TINLINE __u32 siobpf_time_units(__u64 ns)
{
	return (__u32)(ns >> SIOBPF_TIME_UNIT_SHIFT) & SIOBPF_TIME_MASK;
}

/* A VIP's persistence in time units, rounded down. A slot made at time t
 * (unit u = t / unit, rounded down) with deadline u + p is held until the
 * clock reaches unit u + p, i.e. for more than (p - 1) and at most p units
 * after t: never longer than the persistence, at most two units shorter.
 * With 1 s, p = 14: 0.87 to 0.94 s. */
SIOBPF_TINLINE __u32 siobpf_persist_units(__u32 persist_sec)
{
	__u64 sec = persist_sec < SIOBPF_PERSIST_MAX_SEC ? persist_sec : SIOBPF_PERSIST_MAX_SEC;

	return (__u32)((sec * 1000000000ull) >> SIOBPF_TIME_UNIT_SHIFT);
}

SIOBPF_TINLINE __u32 siobpf_slot_fp(__u64 s) { return (__u32)s & SIOBPF_FP_MASK; }
SIOBPF_TINLINE __u32 siobpf_slot_backend(__u64 s) { return (__u32)(s >> SIOBPF_SLOT_BACKEND_SHIFT) & 0xfff; }
SIOBPF_TINLINE __u32 siobpf_slot_gen(__u64 s) { return (__u32)(s >> SIOBPF_SLOT_GEN_SHIFT) & SIOBPF_GEN_MASK; }
SIOBPF_TINLINE __u32 siobpf_slot_alt(__u64 s) { return (__u32)(s >> SIOBPF_SLOT_ALT_SHIFT) & 1; }
SIOBPF_TINLINE __u32 siobpf_slot_kind(__u64 s) { return (__u32)(s >> SIOBPF_SLOT_KIND_SHIFT) & 3; }
SIOBPF_TINLINE __u32 siobpf_slot_deadline(__u64 s) { return (__u32)(s >> SIOBPF_SLOT_TIME_SHIFT); }

SIOBPF_TINLINE __u64 siobpf_slot_make(__u32 fp, __u32 backend_id, __u32 generation, __u32 alt,
				      __u32 kind, __u32 deadline)
{
	return (__u64)(fp & SIOBPF_FP_MASK) | (__u64)(backend_id & 0xfff) << SIOBPF_SLOT_BACKEND_SHIFT |
	       (__u64)(generation & SIOBPF_GEN_MASK) << SIOBPF_SLOT_GEN_SHIFT |
	       (__u64)(alt & 1) << SIOBPF_SLOT_ALT_SHIFT | (__u64)(kind & 3) << SIOBPF_SLOT_KIND_SHIFT |
	       (__u64)(deadline & SIOBPF_TIME_MASK) << SIOBPF_SLOT_TIME_SHIFT;
}

/* The same slot with a new kind and deadline (a promotion, a refresh). */
SIOBPF_TINLINE __u64 siobpf_slot_renew(__u64 s, __u32 kind, __u32 deadline)
{
	return siobpf_slot_make(siobpf_slot_fp(s), siobpf_slot_backend(s), siobpf_slot_gen(s),
				siobpf_slot_alt(s), kind, deadline);
}

/* Time units until the slot's deadline: 0 when it has passed (or it is
 * more than half the circle ahead, which no live slot is). */
SIOBPF_TINLINE __u32 siobpf_slot_remaining(__u64 s, __u32 now_u)
{
	__u32 r = (siobpf_slot_deadline(s) - now_u) & SIOBPF_TIME_MASK;

	return r <= SIOBPF_TIME_HALF ? r : 0;
}

/* A slot in use whose deadline has not passed. Whether it is live for a
 * client also depends on its backend (siobpf_slot_live in decide.h). */
SIOBPF_TINLINE int siobpf_slot_held(__u64 s, __u32 now_u)
{
	return siobpf_slot_kind(s) != SIOBPF_SLOT_EMPTY && siobpf_slot_remaining(s, now_u) != 0;
}

/* The slot's age by its VIP's persistence: the time since it was made or
 * last refreshed. A deadline further away than the persistence (it was
 * lowered since) counts as age 0. */
SIOBPF_TINLINE __u32 siobpf_slot_age(__u64 s, __u32 now_u, __u32 persist_u)
{
	__u32 r = siobpf_slot_remaining(s, now_u);

	return r < persist_u ? persist_u - r : 0;
}

static __always_inline __u64 siobpf_fmix64(__u64 k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ull;
	k ^= k >> 33;
	return k;
}

/* The table hash of a key: its three 64-bit words (VIP id, masked address,
 * port) each multiplied by its own odd constant, folded with the VIP's table
 * epoch, then MurmurHash3's 64-bit finaliser. The epoch is random per VIP
 * and renewed to forget the VIP's entries (user/core/sticky_table.c): the
 * old slots are no longer found and expire where they are. Not the ring's
 * hash (siobpf/hash.h): this one is local to the node, the ring's is not. */
SIOBPF_TINLINE __u64 siobpf_table_hash(const struct siobpf_sticky_key *key, __u32 epoch)
{
	__u64 w[3];

	__builtin_memcpy(w, key, sizeof(w));
	return siobpf_fmix64(w[0] * 0x9e3779b97f4a7c15ull ^ w[1] * 0xc2b2ae3d27d4eb4full ^
			     w[2] * 0x165667b19e3779f9ull ^ ((__u64)epoch << 32 | epoch));
}
_Static_assert(sizeof(struct siobpf_sticky_key) == 24, "the table hash reads three words");

SIOBPF_TINLINE __u32 siobpf_table_fp(__u64 h) { return (__u32)h & SIOBPF_FP_MASK; }

/* The home bucket: the hash's high word, masked (mask = buckets - 1). A
 * table twice the size uses one more bit of the same word, so a slot's
 * bucket in a larger table is one of a known few (sticky_table.c). */
SIOBPF_TINLINE __u32 siobpf_table_home(__u64 h, __u32 mask) { return (__u32)(h >> 32) & mask; }

/* The other bucket of a key whose bucket is b: b XOR an odd spread of the
 * fingerprint, so never b itself, and the same function both ways. */
SIOBPF_TINLINE __u32 siobpf_table_other(__u32 b, __u32 fp, __u32 mask)
{
	return (b ^ ((fp * 0x9e3779b1u) >> 7 | 1)) & mask;
}

/* The functions below compute without branches (BPF has no conditional
 * move: each branch would be a path for the verifier to walk, and sixteen
 * slots' worth of them are more than it walks). */

/* 1 when x is 0, else 0, for x < 2^31. */
SIOBPF_TINLINE __u32 siobpf_is_zero(__u32 x)
{
	return (x - 1) >> 31;
}

/* siobpf_slot_held as 0 or 1, without a branch. */
SIOBPF_TINLINE __u32 siobpf_slot_held_bit(__u64 s, __u32 now_u)
{
	__u32 kind = siobpf_slot_kind(s);
	__u32 r = (siobpf_slot_deadline(s) - now_u) & SIOBPF_TIME_MASK;

	/* r in 1 .. SIOBPF_TIME_HALF: (r - 1) >> 24 is 0 (and 0xff for r 0). */
	return ((kind | kind >> 1) & 1) & siobpf_is_zero(((r - 1) & 0xffffffffu) >> (SIOBPF_TIME_BITS - 1));
}

/* Index of the lowest bit set in x (a 16-bit mask, not 0). */
SIOBPF_TINLINE __u32 siobpf_lowest_bit(__u32 x)
{
	__u32 below = (x & (0u - x)) - 1; /* the bits under the lowest one */

	below = below - ((below >> 1) & 0x5555u);
	below = (below & 0x3333u) + ((below >> 2) & 0x3333u);
	below = (below + (below >> 4)) & 0x0f0fu;
	return (below + (below >> 8)) & 0x1fu;
}

/* The smaller of a and b (both below 2^32). */
SIOBPF_TINLINE __u32 siobpf_min32(__u32 a, __u32 b)
{
	__u64 less = ((__u64)a - (__u64)b) >> 63; /* 1 when a < b */

	return b ^ ((a ^ b) & (__u32)(0 - less));
}

/* The free slots (empty, or past their deadline) of a bucket, one bit each. */
SIOBPF_TINLINE __u32 siobpf_bucket_free_mask(const __u64 *slots, __u32 now_u)
{
	__u32 mask = 0;

	for (int i = 0; i < SIOBPF_BUCKET_SLOTS; i++)
		mask |= (siobpf_slot_held_bit(slots[i], now_u) ^ 1) << i;
	return mask;
}

/* Slots held of a bucket whose free mask is free_mask. */
SIOBPF_TINLINE __u32 siobpf_held_of(__u32 free_mask)
{
	__u32 n = free_mask - ((free_mask >> 1) & 0x55u);

	n = (n & 0x33u) + ((n >> 2) & 0x33u);
	return SIOBPF_BUCKET_SLOTS - ((n + (n >> 4)) & 0x0fu);
}

/* Whether a new entry goes to the home bucket, given both buckets' free
 * masks: while it holds fewer than SIOBPF_HOME_PREFERRED slots (so most
 * clients are found in the first line read), else when it is the emptier
 * of the two, as long as it has a free slot. */
#define SIOBPF_HOME_PREFERRED 6
SIOBPF_TINLINE int siobpf_table_use_home(__u32 home_free, __u32 other_free)
{
	__u32 home_held = siobpf_held_of(home_free), other_held = siobpf_held_of(other_free);

	return home_free && (home_held < SIOBPF_HOME_PREFERRED || home_held <= other_held);
}

/* A slot's rank for displacement, at index (0-15) of its pair: ordered by
 * time left, then index, for a held probation slot; all ones (never the
 * smallest) for any other. The smallest of a pair is its probation slot
 * nearest its deadline, in its low four bits. */
#define SIOBPF_NO_RANK 0xffffffffu
SIOBPF_TINLINE __u32 siobpf_slot_rank(__u64 s, __u32 now_u, __u32 index)
{
	__u32 kind = siobpf_slot_kind(s);
	/* Held and of kind probation (1: bit 0 set, bit 1 clear). */
	__u32 probation = siobpf_slot_held_bit(s, now_u) & kind & ~(kind >> 1) & 1;
	__u32 r = (siobpf_slot_deadline(s) - now_u) & SIOBPF_TIME_MASK;

	return ((r << 4) | index) | (probation - 1);
}

/* The probation slot nearest its deadline of the two buckets (0-7 home,
 * 8-15 alternative; the first of equals), or -1: none is held. */
SIOBPF_TINLINE int siobpf_table_nearest_probation(const __u64 *home, const __u64 *other, __u32 now_u)
{
	__u32 rank = SIOBPF_NO_RANK;

	for (int i = 0; i < 2 * SIOBPF_BUCKET_SLOTS; i++) {
		__u64 s = i < SIOBPF_BUCKET_SLOTS ? home[i] : other[i - SIOBPF_BUCKET_SLOTS];

		rank = siobpf_min32(rank, siobpf_slot_rank(s, now_u, (__u32)i));
	}
	return rank == SIOBPF_NO_RANK ? -1 : (int)(rank & 0xf);
}

/* The slot an insert takes, of the 16 of the key's two buckets (0-7 home,
 * 8-15 alternative), or -1: own, when >= 0, is a slot of this very key
 * that is not live (its backend went down or away), reused so that a key
 * never has two slots; else the first free slot of the bucket
 * siobpf_table_use_home picks, else of the other; else the probation slot
 * nearest its deadline (a newcomer only ever displaces a newcomer). A
 * protected slot that is held is never taken: beyond the table's rated
 * size a new client goes without an entry (counted) rather than evict an
 * established one. The program computes the same from its scans
 * (bpf/sticky.h). */
SIOBPF_TINLINE int siobpf_table_victim(const __u64 *home, const __u64 *other, __u32 now_u, int own)
{
	__u32 home_free = siobpf_bucket_free_mask(home, now_u);
	__u32 other_free = siobpf_bucket_free_mask(other, now_u);

	if (own >= 0)
		return own;
	if (siobpf_table_use_home(home_free, other_free))
		return (int)siobpf_lowest_bit(home_free);
	if (other_free)
		return (int)siobpf_lowest_bit(other_free) + SIOBPF_BUCKET_SLOTS;
	return siobpf_table_nearest_probation(home, other, now_u);
}

/* Slots held among a bucket's eight. */
SIOBPF_TINLINE __u32 siobpf_bucket_held(const __u64 *slots, __u32 now_u)
{
	__u32 n = 0;

	for (int i = 0; i < SIOBPF_BUCKET_SLOTS; i++)
		n += siobpf_slot_held_bit(slots[i], now_u);
	return n;
}

#endif /* SIOBPF_TABLE_H */
