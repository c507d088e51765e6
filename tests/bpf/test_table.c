// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The sticky bucket table (siobpf/table.h) under BPF_PROG_TEST_RUN, where
 * the other tests cannot reach: fingerprint and bucket collisions forced on
 * a table of two buckets (keys found by brute force with the table hash),
 * a pair of buckets full of protected clients, newcomers displaced nearest
 * their deadline first, inserts from two CPUs at once, forgetting a VIP's
 * entries by its epoch, copying the table into a larger and a smaller one,
 * and carrying entries over from the LRU tables of older map layouts. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/in.h>

#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "siobpf/decide.h"
#include "siobpf/hash.h"
#include "siobpf/table.h"
#include "harness.h"
#include "migrate_sticky.h"
#include "sticky_table.h"

#define VIP_A 3
#define VIP_B 4
#define SEC 1000000000ull
#define MS 1000000ull

static struct siobpf_vip vip_a, vip_b;
/* The VIPs' rings, read once after setup_two_vips (they do not change). */
static __u32 rings[2][SIOBPF_RING_SIZE];
static bool rings_read;


/* VIP A 10.0.0.100:80 with backends 1..4, VIP B 10.0.0.200:80 with 5..8. */
static void setup_two_vips(__u32 persist)
{
	vip_add(&(struct vip_spec){.addr = "10.0.0.100", .port = 80, .id = VIP_A, .persist_sec = persist,
				   .seed = 11},
		&vip_a);
	vip_add(&(struct vip_spec){.addr = "10.0.0.200", .port = 80, .id = VIP_B, .persist_sec = persist,
				   .seed = 12},
		&vip_b);
	for (__u32 id = 1; id <= 8; id++) {
		char addr[32];

		snprintf(addr, sizeof(addr), "10.0.1.%u", id);
		backend_add(id <= 4 ? &vip_a : &vip_b, id, addr, 1);
	}
	ring_rebuild(&vip_a);
	ring_rebuild(&vip_b);
	rings_read = false;
}

/* The client 172.16.0.0 + n (host order), as text and as its key. */
static void client_text(__u32 n, char *buf, size_t len)
{
	__u32 a = 0xac100000u + n;

	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

static struct siobpf_sticky_key client_key(const struct siobpf_vip *vip, __u32 n)
{
	struct siobpf_sticky_key key;
	__u32 src[4] = {htonl(0xac100000u + n), 0, 0, 0};

	siobpf_sticky_key_make(vip, src, 0, &key);
	return key;
}

static __u64 key_hash(const struct siobpf_vip *vip, const struct siobpf_sticky_key *key)
{
	return siobpf_table_hash(key, dataplane_vip_epoch(&test_dp, vip->id));
}

/* A client of vip whose fingerprint and home bucket are those of h, n
 * from `from` on; brute force over the addresses. */
static __u32 client_like(const struct siobpf_vip *vip, __u64 h, __u32 from)
{
	__u32 epoch = dataplane_vip_epoch(&test_dp, vip->id), mask = test_dp.sticky.mask;

	for (__u32 n = from; n < from + (1u << 26); n++) {
		struct siobpf_sticky_key key = client_key(vip, n);
		__u64 g = siobpf_table_hash(&key, epoch);

		if (siobpf_table_fp(g) == siobpf_table_fp(h) && siobpf_table_home(g, mask) == siobpf_table_home(h, mask))
			return n;
	}
	fail_msg("no client shares the fingerprint");
	return 0;
}

enum kind { SYN, ACK };

static int send_to(const char *vip_addr, __u32 n, enum kind kind)
{
	char src[32];
	struct pkt_spec spec = {.dst = vip_addr, .sport = 1000, .dport = 80, .tcp_ack = kind == ACK};
	struct run_result res;
	struct pkt p;

	client_text(n, src, sizeof(src));
	spec.src = src;
	pkt_build(&p, &spec);
	assert_int_equal(run_prog(&test_dp, &p, &res), 0);
	return chosen_backend(&res);
}

static int send_a(__u32 n, enum kind kind)
{
	return send_to("10.0.0.100", n, kind);
}

static int send_b(__u32 n, enum kind kind)
{
	return send_to("10.0.0.200", n, kind);
}

/* The backend the VIP's ring gives a key. */
static __u32 ring_choice(const struct siobpf_vip *vip, const struct siobpf_sticky_key *key)
{
	if (!rings_read) {
		assert_int_equal(dataplane_ring_read(&test_dp, VIP_A, rings[0]), 0);
		assert_int_equal(dataplane_ring_read(&test_dp, VIP_B, rings[1]), 0);
		rings_read = true;
	}
	return rings[vip->id == VIP_B][siobpf_ring_slot(key, vip->hash_seed)];
}

static struct siobpf_admit_stats stats_of(__u32 vip_id)
{
	struct siobpf_admit_stats s;

	assert_int_equal(dataplane_admit_stats(&test_dp, vip_id, &s), 0);
	return s;
}

/* The whole table, to compare slot by slot. */
static struct siobpf_bucket *table_snapshot(void)
{
	struct siobpf_bucket *t = malloc(test_dp.sticky.bytes);

	assert_non_null(t);
	memcpy(t, test_dp.sticky.buckets, test_dp.sticky.bytes);
	return t;
}

static void load_tiny(void)
{
	assert_int_equal(harness_load_clients(8), 0);
	assert_int_equal(test_dp.sticky.nbuckets, 2);
}

/* (a) Two clients of one VIP with one home bucket and one fingerprint: the
 * second is taken for the first (its live slot decides), so it shares the
 * first's backend, and the first's slot is never overwritten. */
static void same_vip_fingerprint_shares_the_backend(void **state)
{
	struct siobpf_sticky_key ka, kb;
	struct client_slot before, after;
	__u32 a = 1, b;
	int first;

	(void)state;
	load_tiny();
	setup_two_vips(600);
	ka = client_key(&vip_a, a);
	/* The second client: same fingerprint and home bucket, and a ring
	 * backend other than the first's, so that sharing shows. */
	for (b = client_like(&vip_a, key_hash(&vip_a, &ka), a + 1);; b = client_like(&vip_a, key_hash(&vip_a, &ka), b + 1)) {
		kb = client_key(&vip_a, b);
		if (ring_choice(&vip_a, &kb) != ring_choice(&vip_a, &ka))
			break;
	}
	first = send_a(a, SYN);
	assert_int_equal(first, (int)ring_choice(&vip_a, &ka));
	assert_int_equal(client_entry_get(&ka, &before), 0);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(send_a(b, i % 2 ? ACK : SYN), first);
		assert_int_equal(send_a(a, ACK), first);
	}
	assert_int_equal(client_entry_get(&ka, &after), 0);
	assert_int_equal(after.slot, before.slot);
	assert_int_equal(after.bucket, before.bucket);
	assert_int_equal(after.index, before.index);
	assert_int_equal(sticky_count(), 1); /* the second made none of its own */
	assert_int_equal(stats_of(VIP_A).misses, 1);
	assert_int_equal(stats_of(VIP_A).created, 1);
	assert_int_equal(stats_of(VIP_A).deferred, 10);
	/* Promoted by either client's packet later on, still the one slot. */
	client_entry_age(&ka, 2 * SEC);
	assert_int_equal(send_a(b, ACK), first);
	assert_int_equal(client_entry_get(&ka, &after), 0);
	assert_int_equal(after.kind, SIOBPF_SLOT_PROTECTED);
	assert_int_equal(after.backend_id, (__u32)first);
	assert_int_equal(sticky_count(), 1);
	assert_int_equal(harness_load_clients(TEST_CLIENTS), 0);
}

/* (b) A client of another VIP with the same fingerprint in the same
 * buckets: the first VIP's slot is not live for it (its backend serves
 * another VIP), so it gets a slot of its own; neither client is ever sent
 * to the other VIP's backend and neither slot is overwritten. */
static void other_vip_fingerprint_is_not_shared(void **state)
{
	struct siobpf_sticky_key ka, kc;
	struct client_slot sa, sc, now;
	__u32 a = 7, c;
	int ba, bc;

	(void)state;
	load_tiny();
	setup_two_vips(600);
	ka = client_key(&vip_a, a);
	c = client_like(&vip_b, key_hash(&vip_a, &ka), 1);
	kc = client_key(&vip_b, c);
	assert_int_equal(siobpf_table_fp(key_hash(&vip_b, &kc)), siobpf_table_fp(key_hash(&vip_a, &ka)));

	ba = send_a(a, SYN);
	assert_true(ba >= 1 && ba <= 4);
	assert_int_equal(client_entry_get(&ka, &sa), 0);
	bc = send_b(c, SYN);
	assert_true(bc >= 5 && bc <= 8);
	assert_int_equal(bc, (int)ring_choice(&vip_b, &kc));
	assert_int_equal(client_entry_get(&kc, &sc), 0);
	assert_true(sc.live);
	assert_false(sc.bucket == sa.bucket && sc.index == sa.index);
	assert_int_equal(sticky_count(), 2);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(send_a(a, i % 2 ? ACK : SYN), ba);
		assert_int_equal(send_b(c, i % 2 ? ACK : SYN), bc);
	}
	assert_int_equal(client_entry_get(&ka, &now), 0);
	assert_int_equal(now.slot, sa.slot);
	assert_int_equal(client_entry_get(&kc, &now), 0);
	assert_int_equal(now.slot, sc.slot);
	/* Both promoted: still apart, each on its own VIP's backend. */
	client_entry_age(&ka, 2 * SEC);
	client_entry_age(&kc, 2 * SEC);
	assert_int_equal(send_a(a, ACK), ba);
	assert_int_equal(send_b(c, ACK), bc);
	assert_int_equal(protected_count(), 2);
	assert_int_equal(send_b(c, SYN), bc);
	assert_int_equal(send_a(a, SYN), ba);
	assert_int_equal(stats_of(VIP_A).misses, 1);
	assert_int_equal(stats_of(VIP_B).misses, 1);
	assert_int_equal(harness_load_clients(TEST_CLIENTS), 0);
}

/* Clients 100.. of VIP A with distinct fingerprints, n of them. */
static void distinct_clients(__u32 *out, int n)
{
	__u32 fps[64];
	int have = 0;

	assert_true(n <= 64);
	for (__u32 c = 100; have < n; c++) {
		struct siobpf_sticky_key k = client_key(&vip_a, c);
		__u32 fp = siobpf_table_fp(key_hash(&vip_a, &k));
		bool dup = false;

		for (int i = 0; i < have; i++)
			dup |= fps[i] == fp;
		if (dup)
			continue;
		fps[have] = fp;
		out[have++] = c;
	}
}

/* (c) Sixteen protected live clients fill the tiny table: a new client
 * gets no slot, `full` counts it, the ring serves it, and every protected
 * client keeps its backend and its slot. */
static void full_table_of_protected_clients_takes_no_newcomer(void **state)
{
	__u32 clients[17];
	int backend[16];
	struct siobpf_bucket *before;
	struct siobpf_sticky_key knew;
	struct siobpf_admit_stats s0, s1;

	(void)state;
	load_tiny();
	setup_two_vips(600);
	distinct_clients(clients, 17);
	for (int i = 0; i < 16; i++) {
		struct siobpf_sticky_key k = client_key(&vip_a, clients[i]);

		backend[i] = send_a(clients[i], SYN);
		client_entry_age(&k, 2 * SEC);
		assert_int_equal(send_a(clients[i], ACK), backend[i]);
	}
	assert_int_equal(protected_count(), 16);
	assert_int_equal(probation_count(), 0);
	before = table_snapshot();
	s0 = stats_of(VIP_A);
	knew = client_key(&vip_a, clients[16]);
	for (int i = 0; i < 3; i++)
		assert_int_equal(send_a(clients[16], SYN), (int)ring_choice(&vip_a, &knew));
	s1 = stats_of(VIP_A);
	assert_int_equal(s1.full - s0.full, 3);
	assert_int_equal(s1.misses - s0.misses, 3);
	assert_int_equal(s1.created, s0.created);
	assert_int_equal(s1.evicted, 0);
	assert_memory_equal(test_dp.sticky.buckets, before, test_dp.sticky.bytes);
	for (int i = 0; i < 16; i++)
		assert_int_equal(send_a(clients[i], SYN), backend[i]);
	free(before);
	assert_int_equal(harness_load_clients(TEST_CLIENTS), 0);
}

/* (d) A tiny table of probation slots with staggered deadlines (and a few
 * protected ones): each newcomer displaces the probation slot nearest its
 * deadline, `evicted` counts it, protected slots stay. */
static void probation_slots_go_nearest_deadline_first(void **state)
{
	__u32 clients[32];
	struct siobpf_sticky_key keys[16];
	int order[16], n_prob = 0;

	(void)state;
	load_tiny();
	setup_two_vips(600);
	distinct_clients(clients, 32);
	for (int i = 0; i < 16; i++) {
		keys[i] = client_key(&vip_a, clients[i]);
		send_a(clients[i], SYN);
	}
	assert_int_equal(probation_count(), 16);
	/* Four promoted (protected from now on); the others aged so that
	 * their deadlines are apart, in a shuffled order. */
	for (int i = 0; i < 16; i++) {
		if (i % 4 == 0) {
			client_entry_age(&keys[i], 2 * SEC);
			send_a(clients[i], ACK);
			continue;
		}
		order[n_prob++] = i;
	}
	assert_int_equal(protected_count(), 4);
	for (int j = 0; j < n_prob; j++) {
		/* j-th nearest deadline: aged the most. (7 j) mod 12 shuffles. */
		int i = order[(7 * j) % n_prob];

		client_entry_age(&keys[i], (__u64)(30 - 2 * j) * SEC);
	}
	for (int j = 0; j < n_prob; j++) {
		int expect = order[(7 * j) % n_prob];
		struct siobpf_admit_stats s0 = stats_of(VIP_A), s1;
		struct client_slot gone;

		send_a(clients[16 + j], SYN);
		s1 = stats_of(VIP_A);
		assert_int_equal(s1.created - s0.created, 1);
		assert_int_equal(s1.evicted - s0.evicted, 1);
		assert_int_equal(s1.full, s0.full);
		/* the one displaced is the nearest its deadline */
		assert_int_not_equal(client_entry_get(&keys[expect], &gone), 0);
		for (int k = j + 1; k < n_prob; k++) {
			struct client_slot still;
			int i = order[(7 * k) % n_prob];

			assert_int_equal(client_entry_get(&keys[i], &still), 0);
			assert_true(still.live);
		}
		assert_int_equal(protected_count(), 4);
	}
	/* All twelve displaced; the next newcomer displaces a newcomer, the
	 * oldest of the twelve new ones. */
	assert_int_equal(probation_count(), 12);
	assert_int_equal(protected_count(), 4);
	assert_int_equal(harness_load_clients(TEST_CLIENTS), 0);
}

/* ---- two CPUs ---- */

#define RACE_CLIENTS 8 /* per CPU and round: 16, the tiny table's slots */
#define RACE_ROUNDS 3000

struct racer {
	int cpu;
	__u32 client[RACE_CLIENTS]; /* its clients */
	int backend[RACE_CLIENTS];
	int later[RACE_CLIENTS];
	pthread_barrier_t *start;
	int err;
};

static void *race(void *arg)
{
	struct racer *r = arg;

	r->err = race_start(r->cpu, r->start);
	if (r->err)
		return NULL;
	for (int i = 0; i < RACE_CLIENTS; i++) {
		char src[32];
		struct pkt_spec spec = {.dst = "10.0.0.100", .sport = 1000, .dport = 80};
		LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = 1);
		struct pkt p;
		__u8 out[PKT_MAX];

		client_text(r->client[i], src, sizeof(src));
		spec.src = src;
		for (int pass = 0; pass < 2; pass++) {
			spec.tcp_ack = pass == 1; /* the SYN, then a later packet */
			pkt_build(&p, &spec);
			opts.data_in = p.data;
			opts.data_size_in = p.len;
			opts.data_out = out;
			opts.data_size_out = sizeof(out);
			if (bpf_prog_test_run_opts(test_dp.prog_fd, &opts)) {
				r->err = errno;
				return NULL;
			}
			(pass ? r->later : r->backend)[i] =
				out[0] == 0x02 && out[1] == 0xbe ? out[4] << 8 | out[5] : -1;
		}
	}
	return NULL;
}

/* Two threads pinned to CPU 0 and CPU 1 insert distinct new clients into
 * the tiny table at once (16 per round, as many as it has slots), so both
 * CPUs pick the same free slots. After each round: every client has exactly
 * one live slot naming the backend its ring gives it, or it is one of the
 * inserts counted as `raced` (its compare-and-exchange lost) or `full`; no
 * slot is torn (each held slot names one of the VIP's backends, generation
 * 1, and sits in a bucket of its fingerprint's); and the VIP's misses are
 * created + full + raced + refused. Rounds go on until `raced` has moved
 * (or RACE_ROUNDS): on two cores shared with other work a round's inserts
 * do overlap, and a few thousand rounds see lost races. Should none be
 * seen, the test still proves the accounting and that no slot was torn or
 * doubled under concurrent inserts, and says so. */
static void inserts_from_two_cpus_lose_nothing_unaccounted(void **state)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct siobpf_admit_stats s0 = {0}, s;
	__u64 raced_total = 0, full_total = 0, slotless = 0;
	int rounds = 0;
	struct siobpf_backend *table = calloc(SIOBPF_MAX_BACKENDS, sizeof(*table));
	__u32 next_client = 1000000u, round_fp[2 * RACE_CLIENTS], epoch;

	(void)state;
	assert_non_null(table);
	if (ncpu < 2)
		skip();
	load_tiny();
	setup_two_vips(600);
	assert_int_equal(dataplane_backends_read(&test_dp, table), 0);
	epoch = dataplane_vip_epoch(&test_dp, VIP_A);
	for (rounds = 0; rounds < RACE_ROUNDS && (raced_total < 5 || rounds < 200); rounds++) {
		pthread_barrier_t start;
		struct racer r[2] = {{.cpu = 0}, {.cpu = 1}};
		pthread_t th[2];
		__u64 misses, created, full, raced, refused;
		int without = 0;

		memset(test_dp.sticky.buckets, 0, test_dp.sticky.bytes);
		s0 = stats_of(VIP_A);
		assert_int_equal(pthread_barrier_init(&start, NULL, 2), 0);
		/* The round's sixteen clients, fingerprints distinct (a shared
		 * one would make a client share another's slot, by design). */
		for (int have = 0; have < 2 * RACE_CLIENTS; next_client++) {
			struct siobpf_sticky_key k = client_key(&vip_a, next_client);
			__u32 fp = siobpf_table_fp(siobpf_table_hash(&k, epoch));
			bool dup = false;

			for (int j = 0; j < have; j++)
				dup |= round_fp[j] == fp;
			if (dup)
				continue;
			round_fp[have] = fp;
			r[have / RACE_CLIENTS].client[have % RACE_CLIENTS] = next_client;
			have++;
		}
		for (int t = 0; t < 2; t++) {
			r[t].start = &start;
			assert_int_equal(pthread_create(&th[t], NULL, race, &r[t]), 0);
		}
		for (int t = 0; t < 2; t++)
			assert_int_equal(pthread_join(th[t], NULL), 0);
		pthread_barrier_destroy(&start);
		assert_int_equal(r[0].err, 0);
		assert_int_equal(r[1].err, 0);
		s = stats_of(VIP_A);
		misses = s.misses - s0.misses;
		created = s.created - s0.created;
		full = s.full - s0.full;
		raced = s.raced - s0.raced;
		refused = s.refused - s0.refused;
		assert_int_equal(created + full + raced + refused, misses);
		assert_int_equal(s.evicted, s0.evicted); /* 16 clients, 16 slots */

		/* Every client: one live slot, its ring's backend, or none. */
		for (int t = 0; t < 2; t++)
			for (int i = 0; i < RACE_CLIENTS; i++) {
				struct siobpf_sticky_key k = client_key(&vip_a, r[t].client[i]);
				struct sticky_place pl;
				int mine = 0;

				assert_int_equal(r[t].backend[i], (int)ring_choice(&vip_a, &k));
				assert_int_equal(r[t].later[i], r[t].backend[i]);
				sticky_table_place(&test_dp.sticky, &k, dataplane_vip_epoch(&test_dp, VIP_A), &pl);
				for (int j = 0; j < 16; j++) {
					__u64 sl = test_dp.sticky.buckets[j < 8 ? pl.home : pl.other].slot[j & 7];

					if (siobpf_slot_kind(sl) && siobpf_slot_fp(sl) == pl.fp) {
						mine++;
						assert_int_equal(siobpf_slot_backend(sl), (__u32)r[t].backend[i]);
					}
				}
				assert_true(mine <= 1);
				without += mine == 0;
			}
		/* A client without a slot is an insert that lost its race (its
		 * ACK then missed too, and being no start made none: refused)
		 * or found no room. */
		assert_int_equal((__u64)without, raced + full);
		/* No torn slot. */
		for (__u32 b = 0; b < test_dp.sticky.nbuckets; b++)
			for (int j = 0; j < 8; j++) {
				__u64 sl = test_dp.sticky.buckets[b].slot[j];
				__u32 id = siobpf_slot_backend(sl), fp = siobpf_slot_fp(sl);
				__u32 home = siobpf_slot_alt(sl) ? siobpf_table_other(b, fp, test_dp.sticky.mask) : b;

				if (!siobpf_slot_kind(sl))
					continue;
				assert_true(id >= 1 && id <= 4);
				assert_int_equal(siobpf_slot_gen(sl), 1);
				assert_int_equal(siobpf_slot_kind(sl), SIOBPF_SLOT_PROBATION);
				assert_true(siobpf_slot_remaining(sl, siobpf_time_units(dataplane_now())) > 0);
				assert_true(home < test_dp.sticky.nbuckets);
			}
		raced_total += raced;
		full_total += full;
		slotless += (__u64)without;
	}
	printf("two CPUs: %d rounds of %d inserts, %llu lost a race, %llu found no room, %llu clients "
	       "without a slot\n",
	       rounds, 2 * RACE_CLIENTS, (unsigned long long)raced_total, (unsigned long long)full_total,
	       (unsigned long long)slotless);
	if (!raced_total)
		printf("two CPUs: no race was lost in %d rounds: the accounting and the slots were "
		       "checked all the same\n", rounds);
	free(table);
	assert_int_equal(harness_load_clients(TEST_CLIENTS), 0);
}

/* ---- forget, resize, migration ---- */

/* dataplane_sticky_forget: a new epoch for the VIP, so its clients miss at
 * once (their slots are no longer found), and the other VIP's stay. */
static void forget_makes_one_vips_clients_miss(void **state)
{
	int ba[50], bb[50];
	struct siobpf_admit_stats a0, b0, a1, b1;
	__u32 old_epoch;

	assert_int_equal(harness_reset(state), 0);
	setup_two_vips(600);
	for (__u32 i = 0; i < 50; i++) {
		ba[i] = send_a(i, SYN);
		bb[i] = send_b(i, SYN);
	}
	assert_int_equal(sticky_count(), 100);
	a0 = stats_of(VIP_A);
	b0 = stats_of(VIP_B);
	old_epoch = dataplane_vip_epoch(&test_dp, VIP_A);
	assert_int_equal(dataplane_sticky_forget(&test_dp, VIP_A), 0);
	assert_int_not_equal(dataplane_vip_epoch(&test_dp, VIP_A), old_epoch);
	for (__u32 i = 0; i < 50; i++) {
		struct siobpf_sticky_key ka = client_key(&vip_a, i), kb = client_key(&vip_b, i);
		struct sticky_found_slot f;

		assert_int_equal(dataplane_sticky_find(&test_dp, &ka, dataplane_now(), &f), -ENOENT);
		assert_int_equal(dataplane_sticky_find(&test_dp, &kb, dataplane_now(), &f), 0);
		assert_int_equal(siobpf_slot_backend(f.slot), (__u32)bb[i]);
		/* ACKs: A's miss (and make nothing), B's hit. */
		assert_int_equal(send_a(i, ACK), ba[i]); /* the ring gives the same */
		assert_int_equal(send_b(i, ACK), bb[i]);
	}
	a1 = stats_of(VIP_A);
	b1 = stats_of(VIP_B);
	assert_int_equal(a1.misses - a0.misses, 50);
	assert_int_equal(a1.refused - a0.refused, 50);
	assert_int_equal(b1.misses, b0.misses);
	assert_int_equal(b1.deferred - b0.deferred, 50);
	/* the old slots are still there, found by nobody, until they expire */
	assert_int_equal(sticky_count(), 100);
}

/* A bucket table of nbuckets, like sio_sticky, mapped. */
static int table_make(__u32 nbuckets, struct sticky_table *t)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_MMAPABLE);
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "test_sticky", sizeof(__u32), sizeof(struct siobpf_bucket),
				nbuckets, &o);

	assert_true(fd >= 0);
	assert_int_equal(sticky_table_open(t, fd), 0);
	return fd;
}

#define RESIZE_CLIENTS 600

/* sticky_table_copy into a table 4x larger and one 4x smaller: every live
 * client is found in the copy with its backend, exactly as a lookup finds
 * it; in the smaller one, more clients than slots: those not found are
 * exactly the ones counted lost. */
static void resize_keeps_every_clients_backend(void **state)
{
	struct siobpf_backend *table = calloc(SIOBPF_MAX_BACKENDS, sizeof(*table));
	struct siobpf_sticky_key *keys = calloc(RESIZE_CLIENTS, sizeof(*keys));
	__u32 *want = calloc(RESIZE_CLIENTS, sizeof(*want)), epoch, now_u;
	__u32 *fps = calloc(RESIZE_CLIENTS, sizeof(*fps));
	int n = 0;

	(void)state;
	assert_non_null(table);
	assert_non_null(keys);
	assert_non_null(want);
	assert_non_null(fps);
	assert_int_equal(harness_load_clients(1024), 0); /* 256 buckets, 2048 slots */
	assert_int_equal(test_dp.sticky.nbuckets, 256);
	setup_two_vips(600);
	epoch = dataplane_vip_epoch(&test_dp, VIP_A);
	assert_int_equal(dataplane_backends_read(&test_dp, table), 0);
	/* Protected clients with fingerprints distinct (so that no copy is
	 * another client's), their backends spread. */
	for (__u32 c = 1; n < RESIZE_CLIENTS; c++) {
		struct siobpf_sticky_key k = client_key(&vip_a, c);
		__u32 fp = siobpf_table_fp(siobpf_table_hash(&k, epoch));
		bool dup = false;

		for (int i = 0; i < n && !dup; i++)
			dup = fps[i] == fp;
		if (dup)
			continue;
		keys[n] = k;
		fps[n] = fp;
		want[n] = 1 + c % 4;
		assert_int_equal(dataplane_sticky_put(&test_dp, &k, want[n], SIOBPF_SLOT_PROTECTED,
						      dataplane_now() - 10 * SEC),
				 0);
		n++;
	}
	assert_int_equal(protected_count(), RESIZE_CLIENTS);
	now_u = siobpf_time_units(dataplane_now());
	for (int grow = 1; grow >= 0; grow--) {
		struct sticky_table to;
		size_t copied, lost;
		int fd = table_make(grow ? 1024 : 64, &to), found = 0;

		assert_int_equal(sticky_table_copy(&test_dp.sticky, &to, now_u, 0, &copied, &lost), 0);
		for (int i = 0; i < n; i++) {
			struct sticky_found_slot f;

			if (!sticky_table_find(&to, &vip_a, epoch, table, &keys[i], now_u, &f))
				continue;
			found++;
			assert_int_equal(siobpf_slot_backend(f.slot), want[i]);
			assert_int_equal(siobpf_slot_kind(f.slot), SIOBPF_SLOT_PROTECTED);
		}
		printf("resize to %u buckets: %zu slots copied, %zu lost, %d of %d clients found\n", to.nbuckets,
		       copied, lost, found, n);
		if (grow) {
			/* each slot into each of the four candidate buckets */
			assert_int_equal(lost, 0);
			assert_int_equal(copied, 4 * (size_t)n);
			assert_int_equal(found, n);
		} else {
			assert_true(lost > 0); /* 600 clients, 512 slots */
			assert_int_equal(copied + lost, (size_t)n);
			assert_int_equal((size_t)(n - found), lost);
		}
		sticky_table_close(&to);
		close(fd);
	}
	free(table);
	free(keys);
	free(want);
	free(fps);
	assert_int_equal(harness_load_clients(TEST_CLIENTS), 0);
}

/* The value of the LRU tables of map layouts 1 to 3. */
struct lru_entry {
	__u32 backend_id;
	__u32 generation;
	__u64 last_seen;
};

/* migrate_sticky from old-style LRU tables (sio_sticky: protected,
 * sio_probation: probation): every live entry lands as its kind, with its
 * backend and a deadline of last seen plus the persistence; the expired
 * ones are left. */
static void migration_from_lru_tables_keeps_live_entries(void **state)
{
	int prot_fd, prob_fd;
	__u64 now = dataplane_now();
	size_t copied, lost;
	int live = 0;

	assert_int_equal(harness_reset(state), 0);
	setup_two_vips(600);
	prot_fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "old_sticky", sizeof(struct siobpf_sticky_key),
				 sizeof(struct lru_entry), 1024, NULL);
	prob_fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "old_probation", sizeof(struct siobpf_sticky_key),
				 sizeof(struct lru_entry), 1024, NULL);
	assert_true(prot_fd >= 0 && prob_fd >= 0);
	for (__u32 i = 0; i < 200; i++) {
		const struct siobpf_vip *vip = i % 2 ? &vip_b : &vip_a;
		struct siobpf_sticky_key k = client_key(vip, i);
		struct lru_entry e = {.backend_id = (i % 2 ? 5 : 1) + i % 4, .generation = 1,
				      .last_seen = now - (i % 5 == 4 ? 601 : 1 + i % 300) * SEC};

		assert_int_equal(bpf_map_update_elem(i % 3 ? prot_fd : prob_fd, &k, &e, BPF_ANY), 0);
		live += i % 5 != 4;
	}
	assert_int_equal(migrate_sticky(prot_fd, prob_fd, &test_dp, false, &copied, &lost), 0);
	assert_int_equal(copied, (size_t)live);
	assert_int_equal(lost, 0);
	for (__u32 i = 0; i < 200; i++) {
		const struct siobpf_vip *vip = i % 2 ? &vip_b : &vip_a;
		struct siobpf_sticky_key k = client_key(vip, i);
		struct lru_entry e;
		struct client_slot s;

		assert_int_equal(bpf_map_lookup_elem(i % 3 ? prot_fd : prob_fd, &k, &e), 0);
		if (i % 5 == 4) {
			assert_int_equal(client_entry_get(&k, &s), -ENOENT);
			continue;
		}
		assert_int_equal(client_entry_get(&k, &s), 0);
		assert_true(s.live);
		assert_int_equal(s.kind, i % 3 ? SIOBPF_SLOT_PROTECTED : SIOBPF_SLOT_PROBATION);
		assert_int_equal(s.backend_id, e.backend_id);
		assert_int_equal(s.deadline, (siobpf_time_units(e.last_seen) + siobpf_persist_units(600)) &
						     SIOBPF_TIME_MASK);
		/* and the program follows it */
		assert_int_equal(i % 2 ? send_b(i, ACK) : send_a(i, ACK), (int)e.backend_id);
	}
	assert_int_equal(sticky_count(), (__u64)live);
	close(prot_fd);
	close(prob_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_vip_fingerprint_shares_the_backend),
		cmocka_unit_test(other_vip_fingerprint_is_not_shared),
		cmocka_unit_test(full_table_of_protected_clients_takes_no_newcomer),
		cmocka_unit_test(probation_slots_go_nearest_deadline_first),
		cmocka_unit_test(inserts_from_two_cpus_lose_nothing_unaccounted),
		cmocka_unit_test(forget_makes_one_vips_clients_miss),
		cmocka_unit_test(resize_keeps_every_clients_backend),
		cmocka_unit_test(migration_from_lru_tables_keeps_live_entries),
	};

	return cmocka_run_group_tests_name("table", tests, harness_setup, harness_teardown);
}
