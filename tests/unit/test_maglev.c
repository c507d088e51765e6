// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* user/core/maglev.c: ring balance, order independence, out-of-service and set changes, errors, seeds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <math.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "siobpf/abi.h"
#include "maglev.h"

#define RING SIOBPF_RING_SIZE
#define MAXB 1024
#define SENTINEL 0x5a5a5a5au

static __u32 ring_a[RING], ring_b[RING], ring_c[RING];
static struct maglev_backend set_a[MAXB], set_b[MAXB];
static unsigned long counts[MAXB];

/* xorshift64: fixed seeds, reproducible shuffles. */
static uint64_t rng_state;

static __u32 rnd32(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (__u32)(rng_state >> 32);
}

/* Backend i: 10.0.x.y with x.y = i + 1, id i, weight 1, up. */
static void make_v4(struct maglev_backend *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		memset(&b[i], 0, sizeof(b[i]));
		b[i].id = (__u32)i;
		b[i].addr[0] = htonl(0x0a000000u + (__u32)i + 1);
		b[i].family = SIOBPF_FAMILY_IPV4;
		b[i].state = SIOBPF_BACKEND_UP;
		b[i].weight = 1;
	}
}

static void build(const struct maglev_backend *b, size_t n, __u32 seed, __u32 *ring)
{
	assert_int_equal(maglev_build(b, n, seed, ring), 0);
}

/* Slot count per id; every slot must hold an id below n. */
static void count_ids(const __u32 *ring, size_t n)
{
	memset(counts, 0, sizeof(counts));
	for (size_t s = 0; s < RING; s++) {
		assert_true(ring[s] < n);
		counts[ring[s]]++;
	}
}

/* Worst |count - expected| / expected over backends 0..n-1 with
 * expected = RING * w_i / sum of w over backends not skipped; backends
 * with skip[i] set must have no slot. */
static double worst_deviation(const struct maglev_backend *b, size_t n, const int *skip)
{
	double sum = 0, worst = 0;

	for (size_t i = 0; i < n; i++)
		if (!skip || !skip[i])
			sum += b[i].weight;
	for (size_t i = 0; i < n; i++) {
		double expected, dev;

		if (skip && skip[i]) {
			assert_int_equal(counts[i], 0);
			continue;
		}
		expected = (double)RING * b[i].weight / sum;
		dev = fabs((double)counts[i] - expected) / expected;
		if (dev > worst)
			worst = dev;
	}
	return worst;
}

/* ---- balance ---- */

static void test_equal_weights_each_backend_within_1pct_of_ring_over_n(void **state)
{
	static const size_t ns[] = { 1, 2, 3, 10, 100, 650 };

	(void)state;
	for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		size_t n = ns[k];
		double worst;

		make_v4(set_a, n);
		build(set_a, n, 0, ring_a);
		count_ids(ring_a, n);
		worst = worst_deviation(set_a, n, NULL);
		printf("  balance N=%zu equal weights: worst deviation %.4f%%\n", n, worst * 100);
		assert_true(worst <= 0.01);
	}
}

static void test_weighted_backends_each_within_1pct_of_weight_share(void **state)
{
	double worst;

	(void)state;
	/* N=10, weights 1..10. */
	make_v4(set_a, 10);
	for (size_t i = 0; i < 10; i++)
		set_a[i].weight = (__u32)i + 1;
	build(set_a, 10, 0, ring_a);
	count_ids(ring_a, 10);
	worst = worst_deviation(set_a, 10, NULL);
	printf("  balance N=10 weights 1..10: worst deviation %.4f%%\n", worst * 100);
	assert_true(worst <= 0.01);

	/* N=100, weights 1,2,3,4,5,1,2,... */
	make_v4(set_a, 100);
	for (size_t i = 0; i < 100; i++)
		set_a[i].weight = (__u32)(i % 5) + 1;
	build(set_a, 100, 0, ring_a);
	count_ids(ring_a, 100);
	worst = worst_deviation(set_a, 100, NULL);
	printf("  balance N=100 weights cycling 1..5: worst deviation %.4f%%\n", worst * 100);
	assert_true(worst <= 0.01);
}

/* The extremes of the weight range are accepted and shared 1000:1. */
static void test_weights_1_and_max_are_accepted_and_shared_1000_to_1(void **state)
{
	(void)state;
	make_v4(set_a, 2);
	set_a[0].weight = 1;
	set_a[1].weight = SIOBPF_MAX_WEIGHT;
	build(set_a, 2, 0, ring_a);
	count_ids(ring_a, 2);
	/* RING / 1001 = 65.47: one whole slot of rounding either way. */
	assert_true(counts[0] >= 65 && counts[0] <= 66);
	assert_int_equal(counts[0] + counts[1], RING);
}

/* ---- order independence ---- */

/* Builds `ref` in shuffled order with fresh ids 3000 + position, and checks
 * that every slot names the same address as in ring_a (built from ref with
 * id = index). */
static void check_same_ring_for_shuffles(const struct maglev_backend *ref, size_t n, __u32 seed, int rounds)
{
	static size_t perm[MAXB];

	build(ref, n, seed, ring_a);
	for (int r = 0; r < rounds; r++) {
		size_t differ = 0;

		for (size_t i = 0; i < n; i++)
			perm[i] = i;
		for (size_t i = n - 1; i > 0; i--) {
			size_t j = rnd32() % (i + 1), t = perm[i];

			perm[i] = perm[j];
			perm[j] = t;
		}
		for (size_t j = 0; j < n; j++) {
			set_b[j] = ref[perm[j]];
			set_b[j].id = 3000 + (__u32)j;
		}
		build(set_b, n, seed, ring_b);
		for (size_t s = 0; s < RING; s++) {
			__u32 addr_index;

			if (ring_a[s] == SIOBPF_NO_BACKEND) {
				differ += ring_b[s] != SIOBPF_NO_BACKEND;
				continue;
			}
			assert_true(ring_b[s] >= 3000 && ring_b[s] < 3000 + n);
			addr_index = (__u32)perm[ring_b[s] - 3000]; /* back to the address */
			differ += addr_index != ring_a[s];
		}
		assert_int_equal(differ, 0);
	}
}

static void test_ring_by_address_independent_of_input_order_and_ids(void **state)
{
	(void)state;
	rng_state = 0x0bde12;
	make_v4(set_a, 10);
	check_same_ring_for_shuffles(set_a, 10, 0, 6);

	make_v4(set_a, 100);
	check_same_ring_for_shuffles(set_a, 100, 77, 4);
}

/* Weights, drained and down members (phase 2) and a mix of families too. */
static void test_ring_with_weights_states_and_ipv6_independent_of_input_order(void **state)
{
	struct maglev_backend mixed[40];

	(void)state;
	rng_state = 0xfeed;
	make_v4(mixed, 40);
	for (size_t i = 0; i < 40; i++) {
		mixed[i].weight = (__u32)(i % 7) * 100 + 1;
		if (i % 5 == 1)
			mixed[i].state = SIOBPF_BACKEND_DOWN;
		if (i % 5 == 3)
			mixed[i].state = SIOBPF_BACKEND_DRAIN;
		if (i % 2) {
			mixed[i].family = SIOBPF_FAMILY_IPV6;
			mixed[i].addr[0] = htonl(0x20010db8);
			mixed[i].addr[3] = htonl((__u32)i);
		}
	}
	check_same_ring_for_shuffles(mixed, 40, 5, 5);
}

/* ---- out of service ---- */

static size_t count_differ(const __u32 *x, const __u32 *y)
{
	size_t d = 0;

	for (size_t s = 0; s < RING; s++)
		d += x[s] != y[s];
	return d;
}

/* before -> after with backend `gone` out of service (skip marks every
 * backend out of service in `after`): slots of others are unchanged, slots
 * of `gone` go to a backend in service. Returns the slots that moved. */
static size_t check_only_own_slots_move(const __u32 *before, const __u32 *after, __u32 gone, const int *skip,
					size_t n)
{
	size_t moved = 0;

	for (size_t s = 0; s < RING; s++) {
		if (before[s] != gone) {
			assert_int_equal(after[s], before[s]);
			continue;
		}
		assert_true(after[s] < n);
		assert_false(skip[after[s]]);
		moved++;
	}
	return moved;
}

static void out_of_service_case(size_t n, __u8 out_state)
{
	static int skip[MAXB];
	__u32 first = (__u32)(n / 3), second = (__u32)(2 * n / 3);
	size_t moved, own;
	double worst;

	memset(skip, 0, sizeof(skip));
	make_v4(set_a, n);
	build(set_a, n, 0, ring_a);
	count_ids(ring_a, n);
	own = counts[first];

	set_a[first].state = out_state;
	skip[first] = 1;
	build(set_a, n, 0, ring_b);
	moved = check_only_own_slots_move(ring_a, ring_b, first, skip, n);
	assert_int_equal(moved, own);
	assert_int_equal(count_differ(ring_a, ring_b), own);
	count_ids(ring_b, n);
	worst = worst_deviation(set_a, n, skip);
	printf("  N=%zu one %s: %zu slots moved, others' worst deviation %.4f%%\n", n,
	       out_state == SIOBPF_BACKEND_DOWN ? "down" : "drained", moved, worst * 100);
	assert_true(worst <= 0.02);

	/* A second one out as well: only its slots (of the ring with one out) move. */
	own = counts[second];
	set_a[second].state = out_state;
	skip[second] = 1;
	build(set_a, n, 0, ring_c);
	moved = check_only_own_slots_move(ring_b, ring_c, second, skip, n);
	assert_int_equal(moved, own);
	assert_int_equal(count_differ(ring_b, ring_c), own);
	count_ids(ring_c, n);
	worst = worst_deviation(set_a, n, skip);
	printf("  N=%zu two %s: %zu more slots moved, others' worst deviation %.4f%%\n", n,
	       out_state == SIOBPF_BACKEND_DOWN ? "down" : "drained", moved, worst * 100);
	assert_true(worst <= 0.02);
}

static void test_backend_down_moves_only_its_own_slots_and_rest_stay_balanced(void **state)
{
	(void)state;
	out_of_service_case(3, SIOBPF_BACKEND_DOWN);
	out_of_service_case(10, SIOBPF_BACKEND_DOWN);
	out_of_service_case(100, SIOBPF_BACKEND_DOWN);
}

static void test_backend_drained_moves_only_its_own_slots_and_rest_stay_balanced(void **state)
{
	(void)state;
	out_of_service_case(3, SIOBPF_BACKEND_DRAIN);
	out_of_service_case(10, SIOBPF_BACKEND_DRAIN);
	out_of_service_case(100, SIOBPF_BACKEND_DRAIN);
}

/* Bringing the backend back up restores the original ring exactly. */
static void test_backend_back_up_restores_the_original_ring(void **state)
{
	(void)state;
	make_v4(set_a, 10);
	build(set_a, 10, 3, ring_a);
	set_a[4].state = SIOBPF_BACKEND_DOWN;
	build(set_a, 10, 3, ring_b);
	assert_true(count_differ(ring_a, ring_b) > RING / 20);
	set_a[4].state = SIOBPF_BACKEND_UP;
	build(set_a, 10, 3, ring_b);
	assert_int_equal(count_differ(ring_a, ring_b), 0);
}

/* The slots of a backend out of service are shared by weight. */
static void test_down_backend_slots_shared_by_weight(void **state)
{
	static int skip[MAXB];
	double worst;

	(void)state;
	memset(skip, 0, sizeof(skip));
	make_v4(set_a, 10);
	for (size_t i = 0; i < 10; i++)
		set_a[i].weight = (__u32)i + 1;
	set_a[9].state = SIOBPF_BACKEND_DOWN; /* the heaviest: 10/55 of the ring */
	skip[9] = 1;
	build(set_a, 10, 0, ring_a);
	count_ids(ring_a, 10);
	worst = worst_deviation(set_a, 10, skip);
	printf("  N=10 weights 1..10, weight 10 down: worst deviation %.4f%%\n", worst * 100);
	/* Bound: measured 0.94% (the rendezvous hand-over is random). */
	assert_true(worst <= 0.02);
}

/* ---- set changes ---- */

static void test_removing_a_backend_disturbs_few_other_slots(void **state)
{
	static const struct {
		size_t n, removals;
		double bound; /* of RING; see the measured figures below */
	} cases[] = {
		/* Measured (seed 0): N=10 worst 0.36% of the ring (mean 0.26%),
		 * against 10% for the removed backend's own share; N=100 worst
		 * 0.65% (mean 0.57%), against 1%. */
		{ 10, 10, 0.005 },
		{ 100, 20, 0.009 },
	};

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t n = cases[c].n;
		double worst = 0, sum = 0;

		make_v4(set_a, n);
		build(set_a, n, 0, ring_a);
		for (size_t r = 0; r < cases[c].removals; r++) {
			__u32 gone = (__u32)(r * n / cases[c].removals);
			size_t m = 0, extra = 0;
			double f;

			for (size_t i = 0; i < n; i++)
				if (i != gone)
					set_b[m++] = set_a[i]; /* same ids */
			build(set_b, m, 0, ring_b);
			for (size_t s = 0; s < RING; s++) {
				assert_int_not_equal(ring_b[s], gone);
				assert_true(ring_b[s] < n);
				if (ring_a[s] != gone && ring_b[s] != ring_a[s])
					extra++;
			}
			f = (double)extra / RING;
			sum += f;
			if (f > worst)
				worst = f;
		}
		printf("  remove 1 of N=%zu: other backends' slots changed: mean %.4f%%, worst %.4f%% of the ring "
		       "(removed share %.4f%%)\n",
		       n, sum / (double)cases[c].removals * 100, worst * 100, 100.0 / (double)n);
		assert_true(worst <= cases[c].bound);
	}
}

static void test_adding_a_backend_changes_about_one_over_n_plus_1_of_slots(void **state)
{
	static const struct {
		size_t n;
		double bound; /* changed slots <= bound * RING / (N + 1) */
		double min_to_new; /* changed slots going to the new backend */
	} cases[] = {
		/* Measured (seed 0, new backend sorting first, in the middle or
		 * last), worst changed * (N+1) / RING and least fraction to the
		 * new backend: N=3 1.003 / 0.997, N=10 1.048 / 0.955,
		 * N=100 1.575 / 0.635, N=500 5.695 / 0.175. Maglev's disruption
		 * grows as RING/N shrinks (plain Maglev measures the same); the
		 * bounds keep ~5-15% margin. */
		{ 3, 1.10, 0.90 },
		{ 10, 1.25, 0.80 },
		{ 100, 1.85, 0.54 },
		{ 500, 6.60, 0.15 },
	};
	/* New backends: sort before, between and after the others. */
	static const __u32 new_addrs[] = { 0x0a000000u, 0x0a000000u + 0x8000u, 0x0b000001u, 0x0c0a0b0cu };

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t n = cases[c].n;
		double worst = 0, sum = 0, least_new = 1;

		make_v4(set_a, n);
		build(set_a, n, 0, ring_a);
		for (size_t a = 0; a < sizeof(new_addrs) / sizeof(new_addrs[0]); a++) {
			size_t changed = 0, to_new = 0;
			double f, t;

			memcpy(set_b, set_a, n * sizeof(set_a[0]));
			set_b[n] = set_a[0];
			set_b[n].id = (__u32)n;
			set_b[n].addr[0] = htonl(new_addrs[a]);
			build(set_b, n + 1, 0, ring_b);
			count_ids(ring_b, n + 1);
			for (size_t s = 0; s < RING; s++) {
				if (ring_a[s] != ring_b[s]) {
					changed++;
					to_new += ring_b[s] == n;
				}
			}
			/* The new backend gets its share, all of it changed slots. */
			assert_int_equal(to_new, counts[n]);
			assert_true(fabs((double)counts[n] - (double)RING / (double)(n + 1)) <=
				    0.01 * (double)RING / (double)(n + 1));
			f = (double)changed * (double)(n + 1) / RING;
			t = (double)to_new / (double)changed;
			sum += f;
			if (f > worst)
				worst = f;
			if (t < least_new)
				least_new = t;
			assert_true(f <= cases[c].bound);
			assert_true(t >= cases[c].min_to_new);
		}
		printf("  add 1 to N=%zu: changed slots x (N+1)/RING mean %.3f worst %.3f; least fraction to the "
		       "new backend %.4f\n",
		       n, sum / (double)(sizeof(new_addrs) / sizeof(new_addrs[0])), worst, least_new);
	}
}

/* ---- nothing in service ---- */

static void fill(__u32 *ring, __u32 v)
{
	for (size_t s = 0; s < RING; s++)
		ring[s] = v;
}

static size_t count_value(const __u32 *ring, __u32 v)
{
	size_t c = 0;

	for (size_t s = 0; s < RING; s++)
		c += ring[s] == v;
	return c;
}

static void test_no_backend_up_gives_every_slot_no_backend(void **state)
{
	static const __u8 states[][5] = {
		{ SIOBPF_BACKEND_DOWN, SIOBPF_BACKEND_DOWN, SIOBPF_BACKEND_DOWN, SIOBPF_BACKEND_DOWN,
		  SIOBPF_BACKEND_DOWN },
		{ SIOBPF_BACKEND_DRAIN, SIOBPF_BACKEND_DRAIN, SIOBPF_BACKEND_DRAIN, SIOBPF_BACKEND_DRAIN,
		  SIOBPF_BACKEND_DRAIN },
		{ SIOBPF_BACKEND_DOWN, SIOBPF_BACKEND_DRAIN, SIOBPF_BACKEND_DOWN, SIOBPF_BACKEND_DRAIN,
		  SIOBPF_BACKEND_DOWN },
	};

	(void)state;
	for (size_t k = 0; k < 3; k++) {
		make_v4(set_a, 5);
		for (size_t i = 0; i < 5; i++)
			set_a[i].state = states[k][i];
		fill(ring_a, SENTINEL);
		build(set_a, 5, 0, ring_a);
		assert_int_equal(count_value(ring_a, SIOBPF_NO_BACKEND), RING);
	}
	/* Single backend, down. */
	make_v4(set_a, 1);
	set_a[0].state = SIOBPF_BACKEND_DOWN;
	fill(ring_a, SENTINEL);
	build(set_a, 1, 0, ring_a);
	assert_int_equal(count_value(ring_a, SIOBPF_NO_BACKEND), RING);
}

static void test_empty_backend_set_gives_every_slot_no_backend(void **state)
{
	(void)state;
	fill(ring_a, SENTINEL);
	assert_int_equal(maglev_build(NULL, 0, 0, ring_a), 0);
	assert_int_equal(count_value(ring_a, SIOBPF_NO_BACKEND), RING);
}

static void test_one_backend_up_among_down_takes_every_slot(void **state)
{
	(void)state;
	make_v4(set_a, 8);
	for (size_t i = 0; i < 8; i++)
		set_a[i].state = i == 5 ? SIOBPF_BACKEND_UP : (i % 2 ? SIOBPF_BACKEND_DOWN : SIOBPF_BACKEND_DRAIN);
	build(set_a, 8, 0, ring_a);
	assert_int_equal(count_value(ring_a, 5), RING);
}

/* ---- invalid input ---- */

static void expect_einval_ring_untouched(const struct maglev_backend *b, size_t n)
{
	fill(ring_a, SENTINEL);
	assert_int_equal(maglev_build(b, n, 0, ring_a), -EINVAL);
	assert_int_equal(count_value(ring_a, SENTINEL), RING);
}

static void test_weight_zero_is_einval_and_ring_untouched(void **state)
{
	(void)state;
	make_v4(set_a, 10);
	set_a[0].weight = 0;
	expect_einval_ring_untouched(set_a, 10);
	make_v4(set_a, 10);
	set_a[9].weight = 0;
	expect_einval_ring_untouched(set_a, 10);
	set_a[9].state = SIOBPF_BACKEND_DOWN; /* out of service: still invalid */
	expect_einval_ring_untouched(set_a, 10);
}

static void test_weight_above_max_is_einval_and_ring_untouched(void **state)
{
	(void)state;
	make_v4(set_a, 10);
	set_a[3].weight = SIOBPF_MAX_WEIGHT + 1;
	expect_einval_ring_untouched(set_a, 10);
	make_v4(set_a, 10);
	set_a[9].weight = 0xffffffffu;
	expect_einval_ring_untouched(set_a, 10);
}

static void test_duplicate_address_is_einval_and_ring_untouched(void **state)
{
	(void)state;
	/* Same address and family twice, with different ids and weights. */
	make_v4(set_a, 10);
	set_a[7].addr[0] = set_a[2].addr[0];
	set_a[7].weight = 5;
	expect_einval_ring_untouched(set_a, 10);
	/* Only two backends, both the same. */
	make_v4(set_a, 2);
	set_a[1].addr[0] = set_a[0].addr[0];
	expect_einval_ring_untouched(set_a, 2);
	/* IPv6 duplicate, one of the copies down. */
	make_v4(set_a, 4);
	for (size_t i = 0; i < 4; i++) {
		set_a[i].family = SIOBPF_FAMILY_IPV6;
		set_a[i].addr[0] = htonl(0x20010db8);
		set_a[i].addr[3] = htonl((__u32)i + 1);
	}
	set_a[3].addr[3] = set_a[1].addr[3];
	set_a[3].state = SIOBPF_BACKEND_DOWN;
	expect_einval_ring_untouched(set_a, 4);
}

/* ---- IPv6 ---- */

static void test_ipv6_backends_distinguished_by_every_address_word(void **state)
{
	const size_t n = 12;
	double worst;

	(void)state;
	make_v4(set_a, n);
	for (size_t i = 0; i < n; i++) {
		set_a[i].family = SIOBPF_FAMILY_IPV6;
		set_a[i].addr[0] = htonl(0x20010db8);
		set_a[i].addr[1] = 0;
		set_a[i].addr[2] = 0;
		set_a[i].addr[3] = htonl(1);
	}
	/* Backends 1..3, 4..6, 7..9 differ from backend 0 in word 1, 2, 3. */
	for (size_t i = 1; i < 10; i++)
		set_a[i].addr[1 + (i - 1) / 3] ^= htonl((__u32)i);
	/* 10: first word differs; 11: an IPv4 backend whose addr[0] equals
	 * backend 0's first word: another family, so not a duplicate. */
	set_a[10].addr[0] = htonl(0x20010db9);
	set_a[11].family = SIOBPF_FAMILY_IPV4;
	set_a[11].addr[3] = 0;
	build(set_a, n, 0, ring_a);
	count_ids(ring_a, n);
	worst = worst_deviation(set_a, n, NULL);
	printf("  balance N=12 IPv6 (+1 IPv4): worst deviation %.4f%%\n", worst * 100);
	assert_true(worst <= 0.01);

	/* Changing only the last word of one backend changes the ring. */
	memcpy(set_b, set_a, n * sizeof(set_a[0]));
	set_b[9].addr[3] ^= htonl(0x100);
	build(set_b, n, 0, ring_b);
	assert_true(count_differ(ring_a, ring_b) > 0);
}

/* ---- seeds ---- */

static void test_same_seed_same_ring_different_seed_different_ring(void **state)
{
	static const __u32 seeds[] = { 0, 1, 0xdeadbeefu };

	(void)state;
	make_v4(set_a, 10);
	set_a[2].state = SIOBPF_BACKEND_DOWN; /* phase 2 too */
	for (size_t i = 0; i < 3; i++) {
		build(set_a, 10, seeds[i], ring_a);
		build(set_a, 10, seeds[i], ring_b);
		assert_memory_equal(ring_a, ring_b, sizeof(ring_a));
	}
	for (size_t i = 0; i < 3; i++) {
		for (size_t j = i + 1; j < 3; j++) {
			size_t d;

			build(set_a, 10, seeds[i], ring_a);
			build(set_a, 10, seeds[j], ring_b);
			d = count_differ(ring_a, ring_b);
			/* Independent rings over 9 up backends agree on ~1/9 of the
			 * slots; demand at least 80% different. */
			assert_true(d >= RING * 8 / 10);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal_weights_each_backend_within_1pct_of_ring_over_n),
		cmocka_unit_test(test_weighted_backends_each_within_1pct_of_weight_share),
		cmocka_unit_test(test_weights_1_and_max_are_accepted_and_shared_1000_to_1),
		cmocka_unit_test(test_ring_by_address_independent_of_input_order_and_ids),
		cmocka_unit_test(test_ring_with_weights_states_and_ipv6_independent_of_input_order),
		cmocka_unit_test(test_backend_down_moves_only_its_own_slots_and_rest_stay_balanced),
		cmocka_unit_test(test_backend_drained_moves_only_its_own_slots_and_rest_stay_balanced),
		cmocka_unit_test(test_backend_back_up_restores_the_original_ring),
		cmocka_unit_test(test_down_backend_slots_shared_by_weight),
		cmocka_unit_test(test_removing_a_backend_disturbs_few_other_slots),
		cmocka_unit_test(test_adding_a_backend_changes_about_one_over_n_plus_1_of_slots),
		cmocka_unit_test(test_no_backend_up_gives_every_slot_no_backend),
		cmocka_unit_test(test_empty_backend_set_gives_every_slot_no_backend),
		cmocka_unit_test(test_one_backend_up_among_down_takes_every_slot),
		cmocka_unit_test(test_weight_zero_is_einval_and_ring_untouched),
		cmocka_unit_test(test_weight_above_max_is_einval_and_ring_untouched),
		cmocka_unit_test(test_duplicate_address_is_einval_and_ring_untouched),
		cmocka_unit_test(test_ipv6_backends_distinguished_by_every_address_word),
		cmocka_unit_test(test_same_seed_same_ring_different_seed_different_ring),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
