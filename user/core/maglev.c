// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Weighted Maglev (Eisenbud et al., NSDI 2016) with out-of-service slots
 * handed over by rendezvous hashing; see maglev.h for the contract. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "siobpf/hash.h"
#include "maglev.h"

#define RING SIOBPF_RING_SIZE

/* Seeds that derive the two permutation parameters from one hash seed. */
#define OFFSET_SALT 0x5f0ff5e7u
#define SKIP_SALT 0x5c1bca5eu

struct member {
	const struct maglev_backend *b;
	__u32 offset, skip, next; /* permutation: (offset + next * skip) % RING */
	__u64 credit;             /* weight carried over between rounds */
	__u32 rank_seed;          /* rendezvous hashing seed */
};

/* Identity of a backend for hashing: its address and family, nothing local. */
static __u32 identity_hash(const struct maglev_backend *b, __u32 seed)
{
	unsigned char id[17];

	memcpy(id, b->addr, 16);
	id[16] = b->family;
	return siobpf_murmur3(id, sizeof(id), seed);
}

static int member_cmp(const void *pa, const void *pb)
{
	const struct maglev_backend *a = ((const struct member *)pa)->b;
	const struct maglev_backend *b = ((const struct member *)pb)->b;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* Phase 1: members take turns claiming their next preferred free slot; a
 * member of weight w gets w turns for every max_weight turns of the
 * heaviest. */
static void fill_maglev(struct member *m, size_t count, __u32 max_weight, __u32 *ring)
{
	size_t filled = 0;

	for (size_t s = 0; s < RING; s++)
		ring[s] = SIOBPF_NO_BACKEND;
	while (filled < RING) {
		for (size_t i = 0; i < count && filled < RING; i++) {
			m[i].credit += m[i].b->weight;
			while (m[i].credit >= max_weight && filled < RING) {
				__u32 slot;

				m[i].credit -= max_weight;
				do {
					slot = (__u32)(((__u64)m[i].offset + (__u64)m[i].next * m[i].skip) % RING);
					m[i].next++;
				} while (ring[slot] != SIOBPF_NO_BACKEND);
				ring[slot] = (__u32)i; /* member index for now */
				filled++;
			}
		}
	}
}

/* Phase 2 score of a member for a slot: weighted rendezvous hashing
 * (-w / ln u, u uniform in (0,1)); the highest score takes the slot. */
static double rank(const struct member *m, __u32 slot)
{
	double u = ((double)siobpf_murmur3(&slot, sizeof(slot), m->rank_seed) + 0.5) / 4294967296.0;

	return -(double)m->b->weight / log(u);
}

static void hand_over_idle_slots(struct member *m, size_t count, __u32 *ring)
{
	for (__u32 s = 0; s < RING; s++) {
		double best_score = 0;
		__u32 best = SIOBPF_NO_BACKEND;

		if (m[ring[s]].b->state == SIOBPF_BACKEND_UP)
			continue;
		for (size_t i = 0; i < count; i++) {
			double score;

			if (m[i].b->state != SIOBPF_BACKEND_UP)
				continue;
			score = rank(&m[i], s);
			if (best == SIOBPF_NO_BACKEND || score > best_score) {
				best_score = score;
				best = (__u32)i;
			}
		}
		ring[s] = best;
	}
}

int maglev_build(const struct maglev_backend *backends, size_t count, __u32 seed, __u32 *ring)
{
	__u32 max_weight = 0;
	size_t up = 0;
	struct member *m;

	if (count == 0) {
		for (size_t s = 0; s < RING; s++)
			ring[s] = SIOBPF_NO_BACKEND;
		return 0;
	}
	m = calloc(count, sizeof(*m));
	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		const struct maglev_backend *b = &backends[i];

		if (b->weight < 1 || b->weight > SIOBPF_MAX_WEIGHT) {
			free(m);
			return -EINVAL;
		}
		m[i].b = b;
		m[i].offset = identity_hash(b, seed ^ OFFSET_SALT) % RING;
		m[i].skip = identity_hash(b, seed ^ SKIP_SALT) % (RING - 1) + 1;
		m[i].rank_seed = identity_hash(b, seed);
		if (b->weight > max_weight)
			max_weight = b->weight;
		up += b->state == SIOBPF_BACKEND_UP;
	}
	qsort(m, count, sizeof(*m), member_cmp);
	for (size_t i = 1; i < count; i++) {
		if (member_cmp(&m[i - 1], &m[i]) == 0) {
			free(m);
			return -EINVAL;
		}
	}

	fill_maglev(m, count, max_weight, ring);
	if (up < count)
		hand_over_idle_slots(m, count, ring);
	for (size_t s = 0; s < RING; s++)
		ring[s] = ring[s] == SIOBPF_NO_BACKEND ? SIOBPF_NO_BACKEND : m[ring[s]].b->id;
	free(m);
	return 0;
}
