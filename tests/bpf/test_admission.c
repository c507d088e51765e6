// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Admission under BPF_PROG_TEST_RUN (the rule is in siobpf/decide.h): new
 * clients' entries start on probation and are promoted only when the client
 * comes back at least the admission gap later; floods of one-packet sources
 * (SYN only, ACK only, SYN-then-ACK pairs) churn probation and never touch
 * protected entries; packets that are not connection starts and have no
 * entry follow the previous ring inside the window after a change. Each
 * test starts from a freshly loaded program. */
#include <arpa/inet.h>
#include <errno.h>
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
#include "state.h"

#define VIP_ID 9
#define REAL_CLIENTS 200
#define MS 1000000ull
#define SEC 1000000000ull

static struct siobpf_vip vip;

/* A VIP 10.0.0.100:80 (tcp or udp) with backends 1..n on 10.0.1.<id>. */
static void setup_vip(__u8 proto, __u32 persist, int n)
{
	vip_add(&(struct vip_spec){.addr = "10.0.0.100", .port = 80, .proto = proto, .id = VIP_ID,
				   .persist_sec = persist, .seed = 7},
		&vip);
	backends_add_numbered(&vip, n);
}

enum kind { SYN, ACK, SYNACK, UDP };

static int send_kind(const char *client, __u16 sport, enum kind kind)
{
	struct pkt_spec spec = {.src = client, .dst = "10.0.0.100", .sport = sport, .dport = 80,
				.proto = kind == UDP ? IPPROTO_UDP : IPPROTO_TCP,
				.tcp_ack = kind == ACK, .tcp_synack = kind == SYNACK};
	struct run_result res;
	struct pkt p;

	pkt_build(&p, &spec);
	assert_int_equal(run_prog(&test_dp, &p, &res), 0);
	return chosen_backend(&res);
}

static void real_addr(int i, char *buf, size_t len)
{
	snprintf(buf, len, "172.16.%d.%d", i / 250, i % 250 + 1);
}

/* Flood sources: 10.128.0.0/9, one address per frame. */
static void flood_addr(__u32 i, char *buf, size_t len)
{
	snprintf(buf, len, "10.%u.%u.%u", 128 + (i >> 16) % 128, (i >> 8) & 0xff, i & 0xff);
}

static struct siobpf_sticky_key key_of(const char *client)
{
	struct siobpf_sticky_key key;
	__u32 src[4] = {0};

	assert_int_equal(inet_pton(AF_INET, client, src), 1);
	siobpf_sticky_key_make(&vip, src, 0, &key);
	return key;
}

static struct siobpf_admit_stats admit_stats(void)
{
	struct siobpf_admit_stats s;

	assert_int_equal(dataplane_admit_stats(&test_dp, VIP_ID, &s), 0);
	return s;
}

/* The client's live slot of that kind: 0, or -ENOENT (none, or of the
 * other kind). */
static int slot_of_kind(const struct siobpf_sticky_key *key, __u32 kind, struct client_slot *e)
{
	struct client_slot tmp;

	if (!e)
		e = &tmp;
	if (client_entry_get(key, e) || !e->live || e->kind != kind)
		return -ENOENT;
	return 0;
}

static int probation_get(const struct siobpf_sticky_key *key, struct client_slot *e)
{
	return slot_of_kind(key, SIOBPF_SLOT_PROBATION, e);
}

static int protected_get(const struct siobpf_sticky_key *key, struct client_slot *e)
{
	return slot_of_kind(key, SIOBPF_SLOT_PROTECTED, e);
}

/* Ages the client's probation slot by ns (whole time units, rounded up:
 * client_entry_age). */
static void age_probation(const struct siobpf_sticky_key *key, __u64 ns)
{
	assert_int_equal(probation_get(key, NULL), 0);
	client_entry_age(key, ns);
}

/* Whether the slot's deadline is a whole persistence ahead (made or
 * renewed just now, within the unit the clock may have moved). */
static bool fresh(const struct client_slot *e, __u32 persist_sec)
{
	return e->remaining + 1 >= siobpf_persist_units(persist_sec);
}

/* Moves the VIP's last ring change ns into the past. */
static void age_ring_change(__u64 ns)
{
	struct siobpf_vip_admit a;

	assert_int_equal(dataplane_vip_admit_get(&test_dp, VIP_ID, &a), 0);
	assert_true(a.ring_changed != 0);
	a.ring_changed -= ns;
	assert_int_equal(dataplane_vip_admit_put(&test_dp, VIP_ID, &a), 0);
}

/* The flood tests' table: 1024 buckets, 8192 slots, for 200 real clients,
 * so that a flood of four tables' worth runs in seconds. */
#define FLOOD_TABLE_CLIENTS 4096

static void reset_small(void **state)
{
	(void)state;
	assert_int_equal(harness_load_clients(FLOOD_TABLE_CLIENTS), 0);
	assert_int_equal(test_dp.sticky.nbuckets, siobpf_table_buckets(FLOOD_TABLE_CLIENTS));
}

/* Slots of the whole table: what a flood must exceed to churn it. */
static __u32 table_slots(void)
{
	return test_dp.sticky.nbuckets * SIOBPF_BUCKET_SLOTS;
}

static void probation_promotes_after_the_gap_and_not_before(void **state)
{
	struct siobpf_sticky_key key;
	struct client_slot e, p;
	struct siobpf_admit_stats s;
	int first;

	/* The gap is 1 s: 14 time units (0.94 s). An age is known to within
	 * the unit the clock moves while the test runs. */
	assert_int_equal(harness_reset(state), 0);
	setup_vip(IPPROTO_TCP, 600, 3);
	key = key_of("172.16.0.1");

	/* The SYN: an entry on probation, none protected. */
	first = send_kind("172.16.0.1", 1000, SYN);
	assert_true(first >= 1 && first <= 3);
	assert_int_equal(probation_get(&key, &p), 0);
	assert_int_equal(p.backend_id, (__u32)first);
	assert_true(fresh(&p, 600));
	assert_int_equal(protected_get(&key, &e), -ENOENT);
	assert_int_equal(vip_traffic(VIP_ID).new_sticky, 1);

	/* The ACK and the request a few milliseconds later: one sighting. */
	assert_int_equal(send_kind("172.16.0.1", 1000, ACK), first);
	assert_int_equal(send_kind("172.16.0.1", 1000, ACK), first);
	age_probation(&key, 800 * MS); /* 12 units: still not "later" */
	assert_int_equal(send_kind("172.16.0.1", 1001, SYN), first);
	assert_int_equal(protected_get(&key, &e), -ENOENT);
	s = admit_stats();
	assert_int_equal(s.created, 1);
	assert_int_equal(s.deferred, 3);
	assert_int_equal(s.admitted, 0);

	/* Seen again 1 s after the entry was made (15 units): promoted in
	 * place, same slot, backend and generation, deadline renewed. */
	age_probation(&key, 200 * MS);
	assert_int_equal(probation_get(&key, &p), 0);
	assert_int_equal(send_kind("172.16.0.1", 1002, ACK), first);
	assert_int_equal(protected_get(&key, &e), 0);
	assert_int_equal(e.backend_id, p.backend_id);
	assert_int_equal(e.generation, p.generation);
	assert_int_equal(e.bucket, p.bucket);
	assert_int_equal(e.index, p.index);
	assert_true(fresh(&e, 600));
	assert_int_equal(probation_get(&key, &p), -ENOENT);
	s = admit_stats();
	assert_int_equal(s.admitted, 1);
	assert_int_equal(s.created, 1);
	assert_int_equal(vip_traffic(VIP_ID).new_sticky, 1);
	/* and it stays protected */
	assert_int_equal(send_kind("172.16.0.1", 1003, SYN), first);
	assert_int_equal(admit_stats().admitted, 1);
	assert_int_equal(protected_count(), 1);
	assert_int_equal(probation_count(), 0);
}

static void short_persistence_promotes_at_half_of_it(void **state)
{
	struct siobpf_sticky_key key;
	struct client_slot e;
	int first;

	/* 1 s: the gap is 0.5 s (else nothing could be promoted), 7 time
	 * units; the persistence 14. */
	assert_int_equal(harness_reset(state), 0);
	setup_vip(IPPROTO_TCP, 1, 3);
	key = key_of("172.16.0.2");
	first = send_kind("172.16.0.2", 1000, SYN);
	age_probation(&key, 300 * MS); /* 5 units */
	assert_int_equal(send_kind("172.16.0.2", 1000, ACK), first);
	assert_int_equal(protected_get(&key, &e), -ENOENT);
	age_probation(&key, 200 * MS); /* 8 units */
	assert_int_equal(send_kind("172.16.0.2", 1000, ACK), first);
	assert_int_equal(protected_get(&key, &e), 0);
	assert_int_equal(e.backend_id, (__u32)first);
	assert_true(fresh(&e, 1));
}

static void expired_probation_entry_is_replaced_not_promoted(void **state)
{
	struct siobpf_sticky_key key;
	struct client_slot e;

	assert_int_equal(harness_reset(state), 0);
	setup_vip(IPPROTO_TCP, 60, 3);
	key = key_of("172.16.0.3");
	send_kind("172.16.0.3", 1000, SYN);
	age_probation(&key, 60 * SEC); /* its whole persistence: expired */
	assert_int_equal(client_entry_get(&key, &e), 0);
	assert_false(e.live);
	send_kind("172.16.0.3", 1001, SYN);
	assert_int_equal(protected_get(&key, &e), -ENOENT);
	assert_int_equal(probation_get(&key, &e), 0);
	assert_true(fresh(&e, 60)); /* made again */
	assert_int_equal(sticky_count(), 1); /* in its own old slot */
	assert_int_equal(admit_stats().created, 2);
	assert_int_equal(admit_stats().admitted, 0);
}

static void ack_without_entry_makes_none_and_udp_does(void **state)
{
	struct client_slot e;
	struct siobpf_sticky_key key;
	int b;

	assert_int_equal(harness_reset(state), 0);
	setup_vip(IPPROTO_TCP, 600, 3);
	b = send_kind("172.16.0.4", 1000, ACK);
	assert_true(b >= 1 && b <= 3);
	assert_int_equal(send_kind("172.16.0.4", 1000, SYNACK), b);
	assert_int_equal(sticky_count(), 0);
	assert_int_equal(admit_stats().refused, 2);
	assert_int_equal(admit_stats().misses, 2);
	assert_int_equal(vip_traffic(VIP_ID).new_sticky, 0);

	assert_int_equal(harness_reset(state), 0);
	setup_vip(IPPROTO_UDP, 600, 3);
	key = key_of("172.16.0.4");
	b = send_kind("172.16.0.4", 1000, UDP);
	assert_int_equal(probation_get(&key, &e), 0);
	assert_int_equal(e.backend_id, (__u32)b);
	age_probation(&key, SEC);
	assert_int_equal(send_kind("172.16.0.4", 1000, UDP), b);
	assert_int_equal(protected_get(&key, &e), 0);
}

/* Real clients admitted the way real clients are: a first packet, then
 * another one more than the gap later (here: the entry aged by hand). */
static void admit_real_clients(int *backend_of)
{
	for (int i = 0; i < REAL_CLIENTS; i++) {
		char addr[32];
		struct siobpf_sticky_key key;

		real_addr(i, addr, sizeof(addr));
		key = key_of(addr);
		backend_of[i] = send_kind(addr, 1000, SYN);
		assert_true(backend_of[i] >= 1);
		age_probation(&key, 2 * SEC);
		assert_int_equal(send_kind(addr, 1001, SYN), backend_of[i]);
	}
	assert_int_equal(protected_count(), REAL_CLIENTS);
	assert_int_equal(probation_count(), 0);
}

/* Every real client's protected slot, to compare. */
struct table_copy {
	size_t n;
	struct siobpf_sticky_key keys[REAL_CLIENTS];
	struct client_slot vals[REAL_CLIENTS];
};

static void copy_protected(struct table_copy *t)
{
	t->n = 0;
	for (int i = 0; i < REAL_CLIENTS; i++) {
		char addr[32];

		real_addr(i, addr, sizeof(addr));
		t->keys[t->n] = key_of(addr);
		assert_int_equal(protected_get(&t->keys[t->n], &t->vals[t->n]), 0);
		t->n++;
	}
	assert_int_equal(protected_count(), t->n);
}

/* Every slot as it was, bit for bit, where it was. */
static void protected_unchanged(const struct table_copy *before)
{
	for (size_t i = 0; i < before->n; i++) {
		struct client_slot now;

		assert_int_equal(protected_get(&before->keys[i], &now), 0);
		assert_int_equal(now.slot, before->vals[i].slot);
		assert_int_equal(now.bucket, before->vals[i].bucket);
		assert_int_equal(now.index, before->vals[i].index);
	}
	assert_int_equal(protected_count(), before->n);
}

/* One flood: count sources, each one frame (SYN or ACK) or a SYN then an
 * ACK a moment later. */
static void flood(enum kind kind, __u32 first, __u32 count)
{
	for (__u32 i = first; i < first + count; i++) {
		char addr[32];

		flood_addr(i, addr, sizeof(addr));
		if (kind == SYNACK) { /* the pair: SYN, then the handshake's ACK */
			assert_true(send_kind(addr, 40000, SYN) >= 1);
			assert_true(send_kind(addr, 40000, ACK) >= 1);
		} else {
			assert_true(send_kind(addr, 40000, kind) >= 1);
		}
	}
}

static void flood_style_leaves_protected_entries_untouched(void **state, enum kind kind)
{
	static struct table_copy before;
	int backend_of[REAL_CLIENTS];
	struct siobpf_admit_stats s0, s;
	__u32 cap;

	reset_small(state);
	setup_vip(IPPROTO_TCP, 600, 3);
	admit_real_clients(backend_of);
	copy_protected(&before);
	s0 = admit_stats();
	cap = table_slots();

	/* Four times the whole table of new sources. */
	flood(kind, 0, 4 * cap);
	protected_unchanged(&before);
	s = admit_stats();
	assert_int_equal(s.admitted, s0.admitted); /* not one flood source admitted */
	/* Every source misses, but for the rare one whose fingerprint matches a
	 * live client's in its buckets (18 bits: about 2 in 32768 here), which
	 * shares that client's backend (DESIGN §10). */
	assert_true(s.misses - s0.misses <= 4 * cap && s.misses - s0.misses >= 4 * cap - 16);
	assert_int_equal(s.full, 0); /* 200 protected slots fill no pair of buckets */
	assert_true(probation_count() + protected_count() <= cap);
	if (kind == ACK) {
		assert_int_equal(probation_count(), 0); /* an ACK without entry makes none */
		assert_int_equal(s.refused - s0.refused, s.misses - s0.misses);
		assert_int_equal(s.created, s0.created);
		assert_int_equal(s.evicted, 0);
	} else {
		/* every source made a probation slot; past the table's size,
		 * each took a newcomer's (never a protected one's) */
		assert_int_equal(s.created - s0.created + s.raced - s0.raced, s.misses - s0.misses);
		assert_true(s.created - s0.created >= 4 * cap - 16);
		assert_true(s.evicted - s0.evicted >= 3 * cap);
		assert_true(probation_count() > cap / 2);
	}

	/* A backend joins: every real client stays where it was. */
	backend_add(&vip, 4, "10.0.1.4", 1);
	ring_rebuild(&vip);
	for (int i = 0; i < REAL_CLIENTS; i++) {
		char addr[32];

		real_addr(i, addr, sizeof(addr));
		assert_int_equal(send_kind(addr, 2000, SYN), backend_of[i]);
		assert_int_equal(send_kind(addr, 2000, ACK), backend_of[i]);
	}
}

static void syn_flood_leaves_protected_entries_untouched(void **state)
{
	flood_style_leaves_protected_entries_untouched(state, SYN);
}

static void ack_flood_leaves_protected_entries_untouched(void **state)
{
	flood_style_leaves_protected_entries_untouched(state, ACK);
}

static void syn_then_ack_flood_leaves_protected_entries_untouched(void **state)
{
	flood_style_leaves_protected_entries_untouched(state, SYNACK);
}

/* New entries displace probation slots only (the nearest their deadline
 * first), and protected slots come only by promotion: a flood older than a table's worth of
 * newcomers is gone from probation, the protected entries are all there. */
static void eviction_takes_probation_entries_first(void **state)
{
	int backend_of[REAL_CLIENTS];
	__u32 cap, present = 0;

	reset_small(state);
	setup_vip(IPPROTO_TCP, 600, 3);
	admit_real_clients(backend_of);
	cap = table_slots();
	flood(SYN, 0, cap / 4);              /* the first wave */
	flood(SYN, 1000000, 4 * cap);        /* then four tables' worth */
	for (__u32 i = 0; i < cap / 4; i++) {
		char addr[32];
		struct siobpf_sticky_key key;

		flood_addr(i, addr, sizeof(addr));
		key = key_of(addr);
		present += probation_get(&key, NULL) == 0;
		assert_int_equal(protected_get(&key, NULL), -ENOENT);
	}
	printf("eviction: %u of the first wave's %u entries left on probation (capacity %u), "
	       "%llu protected of %d\n",
	       present, cap / 4, cap, (unsigned long long)protected_count(), REAL_CLIENTS);
	assert_true(present < cap / 40); /* the first wave is (almost all) evicted */
	assert_int_equal(protected_count(), REAL_CLIENTS);
}

/* A client whose ring backend changes when backend 4 joins 1..3. */
static const char *client_moved_by_backend_4(int *before, int *after)
{
	static char addr[32];

	for (int i = 0; i < 2000; i++) {
		real_addr(i, addr, sizeof(addr));
		assert_int_equal(harness_reset(NULL), 0);
		setup_vip(IPPROTO_TCP, 600, 3);
		*before = send_kind(addr, 1000, ACK);
		backend_add(&vip, 4, "10.0.1.4", 1);
		ring_rebuild(&vip);
		age_ring_change(10 * SEC);
		*after = send_kind(addr, 1000, ACK);
		if (*after != *before)
			return addr;
	}
	fail_msg("no client moves when backend 4 joins");
	return NULL;
}

static void handshake_straddling_a_ring_change_follows_the_previous_ring(void **state)
{
	int before, after;
	const char *client;
	struct siobpf_sticky_key key;

	assert_int_equal(harness_reset(state), 0);
	client = client_moved_by_backend_4(&before, &after);
	assert_int_equal(harness_reset(state), 0);
	setup_vip(IPPROTO_TCP, 600, 3);
	key = key_of(client);

	/* The SYN before the change, its entry lost (a flood, say). */
	assert_int_equal(send_kind(client, 1000, SYN), before);
	assert_int_equal(dataplane_sticky_delete(&test_dp, &key), 0);
	backend_add(&vip, 4, "10.0.1.4", 1);
	ring_rebuild(&vip);
	/* Inside the window: the ACK and the request follow the previous ring;
	 * a new connection's SYN takes the new one. */
	assert_int_equal(send_kind(client, 1000, ACK), before);
	assert_int_equal(send_kind(client, 1000, SYNACK), before);
	assert_int_equal(admit_stats().prev_ring, 2);
	assert_int_equal(sticky_count(), 0);
	assert_int_equal(send_kind(client, 1001, SYN), after);
	assert_int_equal(dataplane_sticky_delete(&test_dp, &key), 0);
	/* 4.5 s after the change (and the time this test took), still; 5 s
	 * after, the new ring. */
	age_ring_change(4500 * MS);
	assert_int_equal(send_kind(client, 1000, ACK), before);
	age_ring_change(500 * MS);
	assert_int_equal(send_kind(client, 1000, ACK), after);
	assert_int_equal(protected_get(&key, NULL), -ENOENT);
	assert_int_equal(sticky_count(), 0);
}

static void previous_ring_skips_a_down_backend_and_keeps_a_drained_one(void **state)
{
	int before, after;
	const char *client;

	assert_int_equal(harness_reset(state), 0);
	client = client_moved_by_backend_4(&before, &after);

	/* Its old backend drains (out of the ring): in the window it still
	 * gets the handshake's ACK. */
	assert_int_equal(harness_reset(state), 0);
	setup_vip(IPPROTO_TCP, 600, 4);
	before = send_kind(client, 1000, ACK);
	backend_set_state(&vip, (__u32)before, SIOBPF_BACKEND_DRAIN);
	ring_rebuild(&vip);
	assert_int_equal(send_kind(client, 1000, ACK), before);
	assert_int_not_equal(send_kind(client, 1001, SYN), before);

	/* Down: the new ring, window or not. */
	backend_set_state(&vip, (__u32)before, SIOBPF_BACKEND_DOWN);
	ring_rebuild(&vip);
	assert_int_not_equal(send_kind(client, 1002, ACK), before);
}

static void rebuild_that_changes_nothing_keeps_the_window(void **state)
{
	struct siobpf_vip_admit a, b;

	assert_int_equal(harness_reset(state), 0);
	setup_vip(IPPROTO_TCP, 600, 3);
	backend_add(&vip, 4, "10.0.1.4", 1);
	ring_rebuild(&vip);
	assert_int_equal(dataplane_vip_admit_get(&test_dp, VIP_ID, &a), 0);
	ring_rebuild(&vip); /* the same ring: neither the time nor the previous ring move */
	assert_int_equal(dataplane_vip_admit_get(&test_dp, VIP_ID, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
}

static void seed_change_forgets_the_previous_ring(void **state)
{
	struct vip_entry old = {0}, next;

	assert_int_equal(harness_reset(state), 0);
	setup_vip(IPPROTO_TCP, 600, 3);
	backend_add(&vip, 4, "10.0.1.4", 1);
	ring_rebuild(&vip);
	{
		__u32 *prev = malloc(SIOBPF_RING_SIZE * sizeof(*prev));

		assert_non_null(prev);
		assert_int_equal(dataplane_prev_ring_read(&test_dp, VIP_ID, prev), 0);
		old.vip = vip;
		next = old;
		next.vip.hash_seed = vip.hash_seed + 1;
		assert_int_equal(inet_pton(AF_INET, "10.0.0.100", old.key.addr), 1);
		old.key.port = htons(80);
		old.key.proto = IPPROTO_TCP;
		old.key.family = SIOBPF_FAMILY_IPV4;
		next.key = old.key;
		assert_int_equal(state_vip_update(&test_dp, &old, &next), 0);
		/* Its slots are of the old seed: none is followed. */
		assert_int_equal(dataplane_prev_ring_read(&test_dp, VIP_ID, prev), -ENOENT);
		free(prev);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(probation_promotes_after_the_gap_and_not_before),
		cmocka_unit_test(short_persistence_promotes_at_half_of_it),
		cmocka_unit_test(expired_probation_entry_is_replaced_not_promoted),
		cmocka_unit_test(ack_without_entry_makes_none_and_udp_does),
		cmocka_unit_test(syn_flood_leaves_protected_entries_untouched),
		cmocka_unit_test(ack_flood_leaves_protected_entries_untouched),
		cmocka_unit_test(syn_then_ack_flood_leaves_protected_entries_untouched),
		cmocka_unit_test(eviction_takes_probation_entries_first),
		cmocka_unit_test(handshake_straddling_a_ring_change_follows_the_previous_ring),
		cmocka_unit_test(previous_ring_skips_a_down_backend_and_keeps_a_drained_one),
		cmocka_unit_test(rebuild_that_changes_nothing_keeps_the_window),
		cmocka_unit_test(seed_change_forgets_the_previous_ring),
	};

	return cmocka_run_group_tests_name("admission", tests, harness_setup, harness_teardown);
}
