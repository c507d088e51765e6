// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Differential test: random clients through the kernel program and through
 * the user-space model (user/core/model.c, what `siobpf lookup` answers) must
 * choose the same backend, every one. The state includes weights, drained
 * and down backends, and planted sticky entries that are live, expired,
 * of an old generation, or for a down backend, in the protected table or
 * on probation (young, due for promotion, expired); SYNs and ACKs, so that
 * after the ring change ACKs without an entry follow the previous ring; the
 * VIPs' persistences are long (300 s) and short (1 s), so both refresh and
 * both admission-gap rules are compared, and so are the entries the kernel
 * made, promoted or left.
 *
 * The model includes siobpf/decide.h and siobpf/hash.h, the very rule code
 * the program is built from, so this test proves that `siobpf lookup`
 * answers what the kernel does, not that the rules are right: a bug in those
 * headers is on both sides. The independent check of the rules is
 * test_frame_fuzz.c, whose oracle (oracle.c) shares no code with the
 * program and is written from docs/data-path.md. */

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/in.h>

#include <cmocka.h>
#include <bpf/bpf.h>

#include "siobpf/decide.h"
#include "harness.h"
#include "model.h"

#define CLIENTS_PER_VIP 3000 /* x 4 VIPs x 2 rounds = 24,000 decisions */
#define BACKENDS_PER_VIP 8
#define SEC 1000000000ull

struct vip_case {
	const char *addr;
	__u8 sticky;
	__u8 prefix;
	__u32 id;
	int family;
	__u32 persist_sec; /* 1 s: refreshed at half the persistence, not each second */
};

static const struct vip_case cases[] = {
	{"10.0.0.100", SIOBPF_STICKY_IP, 32, 1, 4, 300},
	{"10.0.0.101", SIOBPF_STICKY_IP_PORT, 0, 2, 4, 1},
	{"2001:db8::100", SIOBPF_STICKY_IP, 64, 3, 6, 300},
	{"2001:db8::101", SIOBPF_STICKY_IP_PORT, 0, 4, 6, 1},
};

static struct siobpf_vip vips[4];
static struct siobpf_backend table[SIOBPF_MAX_BACKENDS];
static __u32 ring[SIOBPF_RING_SIZE];
static __u32 prev_ring[SIOBPF_RING_SIZE];
static bool has_prev;
static struct siobpf_vip_admit admit;

static __u32 rnd(void)
{
	return (__u32)random();
}

static void random_client(int family, char *buf, size_t len)
{
	if (family == 4)
		snprintf(buf, len, "%u.%u.%u.%u", 1 + rnd() % 223, rnd() % 256, rnd() % 256, 1 + rnd() % 254);
	else /* a few /64s, many hosts: prefix masking matters */
		snprintf(buf, len, "2001:db8:%x:%x::%x:%x", rnd() % 4, rnd() % 4, rnd() % 65536,
			 rnd() % 65536);
}

static __u32 backend_id(int v, int i)
{
	return (__u32)(v * BACKENDS_PER_VIP + i + 1);
}

static void setup_world(void)
{
	for (int v = 0; v < 4; v++) {
		const struct vip_case *c = &cases[v];

		vip_add(&(struct vip_spec){.addr = c->addr, .port = 80, .id = c->id, .sticky = c->sticky,
					   .prefix = c->prefix, .persist_sec = c->persist_sec, .seed = 1000u + (__u32)v},
			&vips[v]);
		for (int i = 0; i < BACKENDS_PER_VIP; i++) {
			char addr[64];

			if (c->family == 4)
				snprintf(addr, sizeof(addr), "10.1.%d.%d", v, i + 1);
			else
				snprintf(addr, sizeof(addr), "2001:db8:1:%d::%d", v, i + 1);
			backend_add(&vips[v], backend_id(v, i), addr, 1 + (__u32)i % 3);
		}
		backend_set_state(&vips[v], backend_id(v, 6), SIOBPF_BACKEND_DRAIN);
		ring_rebuild(&vips[v]);
	}
}

/* Entries the program must honour or ignore, planted for some clients. */
static void plant_random_entry(const struct siobpf_vip *vip, int v, const struct siobpf_sticky_key *key)
{
	struct siobpf_sticky entry = {
		.backend_id = backend_id(v, (int)(rnd() % BACKENDS_PER_VIP)),
		.generation = 1,
		.last_seen = dataplane_now(),
	};

	switch (rnd() % 5) {
	case 0: /* live */
		break;
	case 1: /* expired */
		entry.last_seen -= (vip->persist_sec + 5) * SEC;
		break;
	case 2: /* made for an older generation */
		entry.generation = 0;
		break;
	case 3: /* old but alive, due for a refresh */
		entry.last_seen -= vip->persist_sec * (SEC / 4) * 3;
		break;
	case 4: /* alive, a refresh due only with a long persistence */
		entry.last_seen -= vip->persist_sec * (SEC / 4);
		break;
	}
	assert_int_equal(dataplane_sticky_put(&test_dp, key, &entry), 0);
}

/* Probation entries: young (deferred), due for promotion, or expired. */
static void plant_random_probation(const struct siobpf_vip *vip, int v, const struct siobpf_sticky_key *key)
{
	__u64 gap = siobpf_admit_gap_ns(vip, NULL);
	struct siobpf_sticky entry = {
		.backend_id = backend_id(v, (int)(rnd() % BACKENDS_PER_VIP)),
		.generation = 1,
		.last_seen = dataplane_now(),
	};

	switch (rnd() % 4) {
	case 0: /* young: a SYN's entry seen again at once */
		entry.last_seen -= gap / 4;
		break;
	case 1: /* due: seen again later */
		entry.last_seen -= gap + (vip->persist_sec * SEC - gap) / 2;
		break;
	case 2: /* expired on probation */
		entry.last_seen -= (vip->persist_sec + 5) * SEC;
		break;
	case 3: /* an older generation */
		entry.generation = 0;
		break;
	}
	assert_int_equal(bpf_map_update_elem(test_dp.probation_fd, key, &entry, BPF_ANY), 0);
}

static void snapshot(int v)
{
	assert_int_equal(dataplane_backends_read(&test_dp, table), 0);
	assert_int_equal(dataplane_ring_read(&test_dp, vips[v].id, ring), 0);
	has_prev = dataplane_prev_ring_read(&test_dp, vips[v].id, prev_ring) == 0;
	memset(&admit, 0, sizeof(admit));
	dataplane_vip_admit_get(&test_dp, vips[v].id, &admit);
}

struct tally {
	int decisions, sticky_hits, refreshes, mismatches;
	int probation_hits, promotions, created, prev_ring;
	int on_edge; /* an age crossed a limit while the packet ran: not compared */
};

static int same_choice(const struct model_choice *a, const struct model_choice *b)
{
	return a->source == b->source && a->backend_id == b->backend_id &&
	       (a->source != MODEL_STICKY || a->refresh == b->refresh) &&
	       a->promote == b->promote && a->create == b->create;
}

/* What the kernel left in the tables agrees with the model's choice: a
 * promotion moved the entry, a creation made one on probation. */
static int tables_agree(const struct siobpf_sticky_key *key, const struct model_choice *want,
			const struct siobpf_sticky *probation_before, bool had_probation)
{
	struct siobpf_sticky prot, prob;
	bool has_prot = dataplane_sticky_get(&test_dp, key, &prot) == 0;
	bool has_prob = dataplane_probation_get(&test_dp, key, &prob) == 0;

	if (want->source == MODEL_PROBATION && want->promote)
		return has_prot && prot.backend_id == want->backend_id && !has_prob;
	if (want->source == MODEL_PROBATION)
		return has_prob && !memcmp(&prob, probation_before, sizeof(prob));
	if (want->create)
		return has_prob && prob.backend_id == want->backend_id &&
		       prob.generation == table[want->backend_id].generation;
	if (want->source == MODEL_RING || want->source == MODEL_PREV_RING)
		return had_probation ? has_prob && !memcmp(&prob, probation_before, sizeof(prob)) : !has_prob;
	return 1;
}

/* One client: model first (from the maps as they are), then the kernel,
 * then the model again at the later time. The kernel's clock read lies
 * between the two; when they disagree an age sat on a limit, and either
 * answer is right. Otherwise the backend must match, and a sticky hit must
 * rewrite the entry's last seen exactly when the model says so. */
static void compare_one(int v, const char *client, __u16 sport, struct tally *t)
{
	const struct vip_case *c = &cases[v];
	struct pkt_spec spec = {.family = c->family, .src = client, .dst = c->addr, .sport = sport, .dport = 80,
				.tcp_ack = rnd() % 3 == 0};
	struct siobpf_sticky_key key;
	struct siobpf_sticky entry, after, probation;
	struct model_choice want, later;
	struct model_state at;
	struct run_result res;
	__u32 src[4] = {0};
	struct pkt p;
	int got, has_entry, has_probation, refreshed;

	assert_int_equal(inet_pton(c->family == 6 ? AF_INET6 : AF_INET, client, src), 1);
	siobpf_sticky_key_make(&vips[v], src, htons(sport), &key);
	if (rnd() % 5 == 0)
		plant_random_entry(&vips[v], v, &key);
	if (rnd() % 5 == 0)
		plant_random_probation(&vips[v], v, &key);
	has_entry = dataplane_sticky_get(&test_dp, &key, &entry) == 0;
	has_probation = dataplane_probation_get(&test_dp, &key, &probation) == 0;
	at = (struct model_state){.vip = &vips[v], .backends = table, .ring = ring,
				  .entry = has_entry ? &entry : NULL, .now = dataplane_now(),
				  .probation = has_probation ? &probation : NULL, .admit = &admit,
				  .prev_ring = has_prev ? prev_ring : NULL, .proto = IPPROTO_TCP,
				  .not_start = spec.tcp_ack};
	want = model_decide(&at, &key);

	pkt_build(&p, &spec);
	assert_int_equal(run_prog(&test_dp, &p, &res), 0);
	got = chosen_backend(&res);
	t->decisions++;
	at.now = dataplane_now();
	later = model_decide(&at, &key);
	if (!same_choice(&want, &later)) {
		t->on_edge++;
		return;
	}
	refreshed = want.source == MODEL_STICKY &&
		    dataplane_sticky_get(&test_dp, &key, &after) == 0 && after.last_seen != entry.last_seen;
	if ((want.source == MODEL_NO_BACKEND ? got != -1 : got != (int)want.backend_id) ||
	    (want.source == MODEL_STICKY && refreshed != want.refresh) ||
	    !tables_agree(&key, &want, &probation, has_probation)) {
		if (++t->mismatches <= 5)
			fprintf(stderr, "mismatch: vip %s client %s:%u model %u (%d, refresh %d promote %d create %d) "
				"kernel %d (refreshed %d)\n",
				c->addr, client, sport, want.backend_id, want.source, want.refresh, want.promote,
				want.create, got, refreshed);
	}
	t->sticky_hits += want.source == MODEL_STICKY;
	t->refreshes += want.source == MODEL_STICKY && want.refresh;
	t->probation_hits += want.source == MODEL_PROBATION;
	t->promotions += want.source == MODEL_PROBATION && want.promote;
	t->created += want.create;
	t->prev_ring += want.source == MODEL_PREV_RING;
}

static void round_of_clients(unsigned seed, struct tally *t)
{
	srandom(seed);
	for (int v = 0; v < 4; v++) {
		snapshot(v);
		for (int i = 0; i < CLIENTS_PER_VIP; i++) {
			char client[64];

			random_client(cases[v].family, client, sizeof(client));
			compare_one(v, client, (__u16)(1024 + rnd() % 60000), t);
		}
	}
}

static void kernel_and_model_choose_the_same_backend(void **state)
{
	struct tally t = {0};

	assert_int_equal(harness_reset(state), 0);
	setup_world();
	round_of_clients(1, &t);

	/* Change the world: one backend down per VIP, one added, a weight
	 * changed; then the same clients again (sticky hits) and new ones. */
	for (int v = 0; v < 4; v++) {
		backend_set_state(&vips[v], backend_id(v, 2), SIOBPF_BACKEND_DOWN);
		struct siobpf_backend b;

		assert_int_equal(dataplane_backend_get(&test_dp, backend_id(v, 0), &b), 0);
		b.weight = 5;
		assert_int_equal(dataplane_backend_put(&test_dp, backend_id(v, 0), &b), 0);
		ring_rebuild(&vips[v]);
	}
	round_of_clients(1, &t);
	round_of_clients(2, &t);

	printf("differential: %d decisions, %d by sticky entry (%d refreshing it), %d by probation entry "
	       "(%d promoting it), %d entries made, %d by the previous ring, %d on a time limit, "
	       "%d mismatches\n",
	       t.decisions, t.sticky_hits, t.refreshes, t.probation_hits, t.promotions, t.created,
	       t.prev_ring, t.on_edge, t.mismatches);
	assert_true(t.decisions >= 10000);
	assert_true(t.sticky_hits > t.decisions / 10); /* the sticky path was exercised */
	assert_true(t.refreshes > 0 && t.refreshes < t.sticky_hits); /* both refresh answers seen */
	assert_true(t.promotions > 0 && t.promotions < t.probation_hits); /* promoted and deferred */
	assert_true(t.created > 0 && t.prev_ring > 0);
	assert_true(t.on_edge < t.decisions / 100);
	assert_int_equal(t.mismatches, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kernel_and_model_choose_the_same_backend),
	};

	return cmocka_run_group_tests_name("differential", tests, harness_setup, harness_teardown);
}
