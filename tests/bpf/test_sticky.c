// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Sticky behaviour of the program under BPF_PROG_TEST_RUN: which backend a
 * client gets, and what happens to it as backends come, drain, fail and
 * expire. Each test starts from a freshly loaded program. */
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

#include "siobpf/decide.h"
#include "harness.h"

#define CLIENTS 300
#define VIP_ID 7

static struct siobpf_vip vip;

/* A VIP 10.0.0.100:80/tcp with backends 1..n on 10.0.1.<id>. */
static void setup_vip(__u8 sticky, __u8 prefix, __u32 persist, int n)
{
	vip_add(&(struct vip_spec){.addr = "10.0.0.100", .port = 80, .id = VIP_ID, .sticky = sticky,
				   .prefix = prefix, .persist_sec = persist, .seed = 42},
		&vip);
	backends_add_numbered(&vip, n);
}

static void client_addr(int i, char *buf, size_t len)
{
	snprintf(buf, len, "172.16.%d.%d", i / 250, i % 250 + 1);
}

/* The backend the program picks for a client's TCP SYN from a port. */
static int send_from(const char *client, __u16 sport)
{
	struct pkt_spec spec = {.src = client, .dst = "10.0.0.100", .sport = sport, .dport = 80};
	struct run_result res;
	struct pkt p;

	pkt_build(&p, &spec);
	assert_int_equal(run_prog(&test_dp, &p, &res), 0);
	return chosen_backend(&res);
}

static int send_client(int i, __u16 sport)
{
	char addr[32];

	client_addr(i, addr, sizeof(addr));
	return send_from(addr, sport);
}

static void record(int *backend_of)
{
	for (int i = 0; i < CLIENTS; i++) {
		backend_of[i] = send_client(i, 1000);
		assert_true(backend_of[i] >= 1);
	}
}

static struct siobpf_sticky_key key_of(const char *client, __u16 sport)
{
	struct siobpf_sticky_key key;
	__u32 src[4] = {0};

	assert_int_equal(inet_pton(AF_INET, client, src), 1);
	siobpf_sticky_key_make(&vip, src, htons(sport), &key);
	return key;
}

static void ip_mode_sends_every_port_of_a_client_to_one_backend(void **state)
{
	int used[4] = {0};

	assert_int_equal(harness_reset(state), 0);
	setup_vip(SIOBPF_STICKY_IP, 0, 0, 3);
	for (int i = 0; i < CLIENTS; i++) {
		int first = send_client(i, 20000);

		assert_true(first >= 1 && first <= 3);
		used[first]++;
		for (__u16 port = 20001; port < 20020; port++)
			assert_int_equal(send_client(i, port), first);
	}
	/* every backend gets clients: 300 clients over 3 */
	for (int b = 1; b <= 3; b++)
		assert_true(used[b] > CLIENTS / 6);
	/* one sticky entry per client, not per connection */
	assert_int_equal(sticky_count(), CLIENTS);
	assert_int_equal(vip_traffic(VIP_ID).new_sticky, CLIENTS);
	assert_int_equal(vip_traffic(VIP_ID).packets, CLIENTS * 20);
}

static void ip_port_mode_spreads_one_clients_ports(void **state)
{
	int used[4] = {0};

	assert_int_equal(harness_reset(state), 0);
	setup_vip(SIOBPF_STICKY_IP_PORT, 0, 0, 3);
	for (__u16 port = 30000; port < 30100; port++) {
		int b = send_from("172.16.0.1", port);

		assert_true(b >= 1 && b <= 3);
		used[b]++;
		/* the same connection keeps its backend */
		assert_int_equal(send_from("172.16.0.1", port), b);
	}
	for (int b = 1; b <= 3; b++)
		assert_true(used[b] > 0);
	assert_int_equal(sticky_count(), 100);
}

static void prefix_24_sends_a_network_to_one_backend(void **state)
{
	int split_at_32 = 0;

	/* Without the mask, some pairs of one /24 land apart: the check below
	 * could fail if the mask did nothing. */
	assert_int_equal(harness_reset(state), 0);
	setup_vip(SIOBPF_STICKY_IP, 32, 0, 3);
	for (int net = 0; net < 50; net++) {
		char a[32], b[32];

		snprintf(a, sizeof(a), "198.18.%d.10", net);
		snprintf(b, sizeof(b), "198.18.%d.77", net);
		split_at_32 += send_from(a, 1) != send_from(b, 1);
	}
	assert_true(split_at_32 > 0);

	assert_int_equal(harness_reset(state), 0);
	setup_vip(SIOBPF_STICKY_IP, 24, 0, 3);
	for (int net = 0; net < 50; net++) {
		char a[32], b[32];

		snprintf(a, sizeof(a), "198.18.%d.10", net);
		snprintf(b, sizeof(b), "198.18.%d.77", net);
		assert_int_equal(send_from(a, 1), send_from(b, 1));
	}
	assert_int_equal(sticky_count(), 50);
}

static void sticky_entry_survives_an_added_backend(void **state)
{
	int before[CLIENTS], to_new = 0;

	assert_int_equal(harness_reset(state), 0);
	setup_vip(SIOBPF_STICKY_IP, 0, 0, 3);
	record(before);
	backend_add(&vip, 4, "10.0.1.4", 1);
	ring_rebuild(&vip);
	for (int i = 0; i < CLIENTS; i++)
		assert_int_equal(send_client(i, 1001), before[i]);
	/* new clients do reach the new backend */
	for (int i = CLIENTS; i < 2 * CLIENTS; i++)
		to_new += send_client(i, 1000) == 4;
	assert_true(to_new > CLIENTS / 8);
}

static void drained_backend_keeps_its_clients_and_gets_no_new_ones(void **state)
{
	int before[CLIENTS], kept = 0;

	assert_int_equal(harness_reset(state), 0);
	setup_vip(SIOBPF_STICKY_IP, 0, 0, 3);
	record(before);
	backend_set_state(&vip, 2, SIOBPF_BACKEND_DRAIN);
	ring_rebuild(&vip);
	for (int i = 0; i < CLIENTS; i++) {
		assert_int_equal(send_client(i, 1001), before[i]);
		kept += before[i] == 2;
	}
	assert_true(kept > 0);
	for (int i = CLIENTS; i < 3 * CLIENTS; i++)
		assert_int_not_equal(send_client(i, 1000), 2);
}

static void down_backend_moves_only_its_clients(void **state)
{
	int before[CLIENTS], moved = 0;

	assert_int_equal(harness_reset(state), 0);
	setup_vip(SIOBPF_STICKY_IP, 0, 0, 3);
	record(before);
	backend_set_state(&vip, 3, SIOBPF_BACKEND_DOWN);
	ring_rebuild(&vip);
	for (int i = 0; i < CLIENTS; i++) {
		int now = send_client(i, 1001);

		if (before[i] == 3) {
			assert_true(now == 1 || now == 2);
			moved++;
		} else {
			assert_int_equal(now, before[i]);
		}
	}
	assert_true(moved > 0);
	/* the moved clients stay where they moved */
	for (int i = 0; i < CLIENTS; i++)
		assert_int_not_equal(send_client(i, 1002), 3);
}

static void down_backend_without_a_ring_rebuild_is_not_chosen(void **state)
{
	int before[CLIENTS];

	/* Between marking a backend down and the ring swap, its clients are
	 * dropped rather than sent to a dead backend. */
	assert_int_equal(harness_reset(state), 0);
	setup_vip(SIOBPF_STICKY_IP, 0, 0, 3);
	record(before);
	backend_set_state(&vip, 1, SIOBPF_BACKEND_DOWN);
	for (int i = 0; i < CLIENTS; i++) {
		int now = send_client(i, 1001);

		assert_int_equal(now, before[i] == 1 ? -1 : before[i]);
	}
	assert_true(reason_count(SIOBPF_R_DROP_NO_BACKEND) > 0);
}

static void generation_change_voids_stale_entries(void **state)
{
	struct siobpf_sticky_key key;
	struct client_slot entry;
	struct siobpf_backend b;
	int first;

	assert_int_equal(harness_reset(state), 0);
	setup_vip(SIOBPF_STICKY_IP, 0, 0, 1);
	first = send_from("172.16.9.9", 1);
	assert_int_equal(first, 1);
	key = key_of("172.16.9.9", 1);
	assert_int_equal(client_entry_get(&key, &entry), 0);
	assert_int_equal(entry.generation, 1);

	/* id 1 reused for another machine: a new generation */
	assert_int_equal(dataplane_backend_get(&test_dp, 1, &b), 0);
	b.generation = 2;
	assert_int_equal(dataplane_backend_put(&test_dp, 1, &b), 0);
	/* the old slot is still there, but no longer live */
	assert_int_equal(client_entry_get(&key, &entry), 0);
	assert_false(entry.live);
	assert_int_equal(entry.generation, 1);
	assert_int_equal(send_from("172.16.9.9", 2), 1);
	assert_int_equal(client_entry_get(&key, &entry), 0);
	assert_true(entry.live);
	assert_int_equal(entry.generation, 2);
	/* the key's own dead slot was reused: one slot, not two */
	assert_int_equal(sticky_count(), 1);
	/* the stale entry was not honoured: a new one was made */
	assert_int_equal(backend_traffic(1).new_sticky, 2);
}

/* Plants a protected slot sending the client to `backend`, last seen
 * age_ns ago (its deadline: then plus the persistence, in time units). */
static void plant_entry(const char *client, __u32 backend, __u64 age_ns)
{
	struct siobpf_sticky_key key = key_of(client, 1);

	assert_int_equal(dataplane_sticky_put(&test_dp, &key, backend, SIOBPF_SLOT_PROTECTED,
					      dataplane_now() - age_ns),
			 0);
}

/* A client whose ring choice is not backend 2 (so an entry for 2 shows). */
static const char *client_not_on(int backend)
{
	static char addr[32];

	for (int i = 0; i < CLIENTS; i++) {
		client_addr(i, addr, sizeof(addr));
		if (send_from(addr, 1) != backend) {
			assert_int_equal(harness_reset(NULL), 0);
			return addr;
		}
	}
	fail_msg("no client avoids backend %d", backend);
	return NULL;
}

static void persistence_expiry_ends_an_entry(void **state)
{
	const char *client;
	struct client_slot entry;
	struct siobpf_sticky_key key;

	assert_int_equal(harness_reset(state), 0);
	setup_vip(SIOBPF_STICKY_IP, 0, 60, 3);
	client = client_not_on(2);
	setup_vip(SIOBPF_STICKY_IP, 0, 60, 3);

	plant_entry(client, 2, 59ull * 1000000000ull); /* alive: honoured */
	assert_int_equal(send_from(client, 1), 2);

	/* 60 s after it was last seen, whatever the time unit: expired, the
	 * ring decides (an entry never outlives its persistence). */
	plant_entry(client, 2, 60ull * 1000000000ull);
	assert_int_not_equal(send_from(client, 1), 2);
	key = key_of(client, 1);
	/* and its choice goes on probation; the expired entry is never honoured */
	assert_int_equal(client_entry_get(&key, &entry), 0);
	assert_true(entry.live);
	assert_int_equal(entry.kind, SIOBPF_SLOT_PROBATION);
	assert_int_not_equal(entry.backend_id, 2);
	assert_int_not_equal(send_from(client, 1), 2);
}

/* Whether the client's slot was renewed: its deadline a whole persistence
 * ahead (within the unit the clock may have moved since). */
static bool renewed(const struct client_slot *e, __u32 persist_sec)
{
	return e->remaining + 1 >= siobpf_persist_units(persist_sec);
}

static void last_seen_is_refreshed_at_most_once_a_second(void **state)
{
	struct siobpf_sticky_key key;
	struct client_slot entry;
	const char *client;
	__u32 planted;

	assert_int_equal(harness_reset(state), 0);
	setup_vip(SIOBPF_STICKY_IP, 0, 600, 3);
	client = client_not_on(2);
	setup_vip(SIOBPF_STICKY_IP, 0, 600, 3);
	key = key_of(client, 1);

	plant_entry(client, 2, 200ull * 1000000); /* 0.2 s old: left as is */
	assert_int_equal(client_entry_get(&key, &entry), 0);
	planted = entry.deadline;
	assert_int_equal(send_from(client, 1), 2);
	assert_int_equal(client_entry_get(&key, &entry), 0);
	assert_int_equal(entry.deadline, planted);

	/* 0.8 s old: still left as is. (The period is 14 time units, 0.94 s,
	 * and an age is known to within a unit: 0.9 s may read as 14.) */
	plant_entry(client, 2, 800ull * 1000000);
	assert_int_equal(client_entry_get(&key, &entry), 0);
	planted = entry.deadline;
	assert_false(renewed(&entry, 600));
	assert_int_equal(send_from(client, 1), 2);
	assert_int_equal(client_entry_get(&key, &entry), 0);
	assert_int_equal(entry.deadline, planted);

	plant_entry(client, 2, 30ull * 1000000000ull); /* 30 s old: refreshed */
	assert_int_equal(client_entry_get(&key, &entry), 0);
	assert_false(renewed(&entry, 600));
	assert_int_equal(send_from(client, 1), 2);
	assert_int_equal(client_entry_get(&key, &entry), 0);
	assert_true(renewed(&entry, 600));
	assert_int_equal(entry.kind, SIOBPF_SLOT_PROTECTED);
}

/* A client whose ring choice changes when backend 4 joins backends 1..3. */
static const char *client_moved_by_backend_4(void)
{
	static char addr[32];
	int with_four[CLIENTS];

	assert_int_equal(harness_reset(NULL), 0);
	setup_vip(SIOBPF_STICKY_IP, 0, 0, 4);
	for (int i = 0; i < CLIENTS; i++)
		with_four[i] = send_client(i, 1);
	assert_int_equal(harness_reset(NULL), 0);
	setup_vip(SIOBPF_STICKY_IP, 0, 0, 3);
	for (int i = 0; i < CLIENTS; i++) {
		if (send_client(i, 1) != with_four[i]) {
			assert_int_equal(harness_reset(NULL), 0);
			client_addr(i, addr, sizeof(addr));
			return addr;
		}
	}
	fail_msg("no client moves when backend 4 is added");
	return NULL;
}

/* Moves the client's entry `ns` into the past: the packets of a client that
 * sends every `ns`, without waiting for the clock. The slot's deadline moves
 * by whole time units, rounded up: 100 ms is 2 units (134 ms), so the client
 * below is seen to keep its entry at packets 134 ms apart, a harder case. */
static void age_entry(const struct siobpf_sticky_key *key, __u64 ns)
{
	client_entry_age(key, ns);
}

static void one_second_persistence_keeps_a_client_sending_every_100ms(void **state)
{
	struct siobpf_sticky_key key;
	const char *client;
	int first;

	assert_int_equal(harness_reset(state), 0);
	client = client_moved_by_backend_4();
	setup_vip(SIOBPF_STICKY_IP, 0, 1, 3);
	key = key_of(client, 1);
	first = send_from(client, 1);
	assert_true(first >= 1 && first <= 3);

	/* 5 s of a packet every 100 ms, then backend 4 joins, then 5 s more:
	 * the one entry made by the first packet is kept throughout. */
	for (int packet = 1; packet <= 100; packet++) {
		if (packet == 51) {
			/* expired and re-made by now, it would not show yet */
			assert_int_equal(vip_traffic(VIP_ID).new_sticky, 1);
			backend_add(&vip, 4, "10.0.1.4", 1);
			ring_rebuild(&vip);
		}
		age_entry(&key, 100ull * 1000000);
		assert_int_equal(send_from(client, 1), first);
	}
	assert_int_equal(vip_traffic(VIP_ID).new_sticky, 1);
	assert_int_equal(sticky_count(), 1);
}

static void short_persistence_refreshes_at_half_its_length(void **state)
{
	struct siobpf_sticky_key key;
	struct client_slot entry;
	const char *client;
	__u32 planted;

	/* 1 s is 14 time units (siobpf_persist_units, rounded down: a slot
	 * lives 0.87 to 0.94 s, never the whole second); the refresh period
	 * is half that, 7 units (0.47 s). */
	assert_int_equal(harness_reset(state), 0);
	setup_vip(SIOBPF_STICKY_IP, 0, 1, 3);
	client = client_not_on(2);
	setup_vip(SIOBPF_STICKY_IP, 0, 1, 3);
	key = key_of(client, 1);

	plant_entry(client, 2, 200ull * 1000000); /* 0.2 s of 1 s: left as is */
	assert_int_equal(client_entry_get(&key, &entry), 0);
	planted = entry.deadline;
	assert_int_equal(send_from(client, 1), 2);
	assert_int_equal(client_entry_get(&key, &entry), 0);
	assert_int_equal(entry.deadline, planted);

	plant_entry(client, 2, 500ull * 1000000); /* 0.5 s of 1 s: refreshed */
	assert_int_equal(client_entry_get(&key, &entry), 0);
	assert_false(renewed(&entry, 1));
	assert_int_equal(send_from(client, 1), 2);
	assert_int_equal(client_entry_get(&key, &entry), 0);
	assert_true(renewed(&entry, 1));

	/* 1 s after it was last seen: gone, however the second falls on the
	 * units. */
	plant_entry(client, 2, 1000ull * 1000000);
	assert_int_not_equal(send_from(client, 1), 2);
}

static void zero_persistence_keeps_no_sticky_state(void **state)
{
	int first;

	assert_int_equal(harness_reset(state), 0);
	vip_add(&(struct vip_spec){.addr = "10.0.0.100", .port = 80, .id = VIP_ID}, &vip);
	vip.persist_sec = 0;
	{
		struct siobpf_vip_key k = {.port = htons(80), .proto = IPPROTO_TCP, .family = 4};

		assert_int_equal(inet_pton(AF_INET, "10.0.0.100", k.addr), 1);
		assert_int_equal(dataplane_vip_put(&test_dp, &k, &vip), 0);
		assert_int_equal(dataplane_vips_publish(&test_dp), 0);
	}
	backend_add(&vip, 1, "10.0.1.1", 1);
	backend_add(&vip, 2, "10.0.1.2", 1);
	ring_rebuild(&vip);
	first = send_from("172.16.0.1", 1);
	assert_true(first == 1 || first == 2);
	assert_int_equal(send_from("172.16.0.1", 2), first); /* the ring alone is sticky */
	assert_int_equal(sticky_count(), 0);
	assert_int_equal(vip_traffic(VIP_ID).new_sticky, 0);
}

static void no_backend_in_service_drops_with_a_counter(void **state)
{
	assert_int_equal(harness_reset(state), 0);
	setup_vip(SIOBPF_STICKY_IP, 0, 0, 2);
	backend_set_state(&vip, 1, SIOBPF_BACKEND_DOWN);
	backend_set_state(&vip, 2, SIOBPF_BACKEND_DOWN);
	ring_rebuild(&vip);
	for (int i = 0; i < 20; i++)
		assert_int_equal(send_client(i, 1), -1);
	assert_int_equal(reason_count(SIOBPF_R_DROP_NO_BACKEND), 20);
	assert_int_equal(reason_count(SIOBPF_R_TX), 0);
	assert_int_equal(sticky_count(), 0);
}

static void backend_on_another_interface_is_redirected(void **state)
{
	struct siobpf_backend b;
	struct pkt_spec spec = {.src = "172.16.0.1", .dst = "10.0.0.100", .sport = 1, .dport = 80};
	struct run_result res;
	struct pkt p;

	assert_int_equal(harness_reset(state), 0);
	setup_vip(SIOBPF_STICKY_IP, 0, 0, 1);
	assert_int_equal(dataplane_backend_get(&test_dp, 1, &b), 0);
	b.ifindex = harness_egress_ifindex();
	assert_int_equal(dataplane_backend_put(&test_dp, 1, &b), 0);
	pkt_build(&p, &spec);
	assert_int_equal(run_prog(&test_dp, &p, &res), 0);
	assert_int_equal(res.action, XDP_REDIRECT);
	assert_int_equal(chosen_backend(&res), 1);
	assert_int_equal(reason_count(SIOBPF_R_REDIRECT), 1);
	assert_int_equal(reason_count(SIOBPF_R_TX), 0);
}

static void counters_add_up_per_vip_and_backend(void **state)
{
	__u64 packets[4] = {0}, bytes[4] = {0}, clients[4] = {0};
	__u64 total_packets = 0, total_bytes = 0;

	assert_int_equal(harness_reset(state), 0);
	setup_vip(SIOBPF_STICKY_IP, 0, 0, 3);
	for (int i = 0; i < 100; i++) {
		for (int c = 0; c < 3; c++) {
			struct pkt_spec spec = {.dst = "10.0.0.100", .sport = (__u16)(1 + c), .dport = 80,
						.payload = (__u16)(10 * c)};
			char addr[32];
			struct run_result res;
			struct pkt p;
			int b;

			client_addr(i, addr, sizeof(addr));
			spec.src = addr;
			pkt_build(&p, &spec);
			assert_int_equal(run_prog(&test_dp, &p, &res), 0);
			b = chosen_backend(&res);
			assert_true(b >= 1 && b <= 3);
			packets[b]++;
			bytes[b] += p.len;
			clients[b] += c == 0;
			total_packets++;
			total_bytes += p.len;
		}
	}
	for (__u32 b = 1; b <= 3; b++) {
		struct siobpf_traffic t = backend_traffic(b);

		assert_int_equal(t.packets, packets[b]);
		assert_int_equal(t.bytes, bytes[b]);
		assert_int_equal(t.new_sticky, clients[b]);
	}
	assert_int_equal(vip_traffic(VIP_ID).packets, total_packets);
	assert_int_equal(vip_traffic(VIP_ID).bytes, total_bytes);
	assert_int_equal(vip_traffic(VIP_ID).new_sticky, 100);
	assert_int_equal(reason_count(SIOBPF_R_TX), total_packets);
}

/* The live sticky clients per backend, as status and the daemon count them:
 * one per client the program sent there, none for an expired entry, an
 * entry of another generation, or another VIP's. */
static void sticky_count_by_backend_counts_live_entries_only(void **state)
{
	struct siobpf_backend *table = calloc(SIOBPF_MAX_BACKENDS, sizeof(*table));
	__u32 *counts = calloc(SIOBPF_MAX_BACKENDS, sizeof(*counts));
	__u32 want[4] = {0};
	int backend_of[CLIENTS];
	struct siobpf_sticky_key key;

	assert_non_null(table);
	assert_non_null(counts);
	assert_int_equal(harness_reset(state), 0);
	setup_vip(SIOBPF_STICKY_IP, 0, 60, 3);
	record(backend_of);
	for (int i = 0; i < CLIENTS; i++)
		want[backend_of[i]]++;
	/* Not live: expired, made for an earlier generation. */
	plant_entry("192.0.2.1", 1, 61ull * 1000000000ull);
	key = key_of("192.0.2.2", 1);
	assert_int_equal(dataplane_backends_read(&test_dp, table), 0);
	assert_int_equal(sticky_table_put(&test_dp.sticky, &vip, dataplane_vip_epoch(&test_dp, VIP_ID), table,
					  &key, 2, 99, SIOBPF_SLOT_PROTECTED,
					  siobpf_time_units(dataplane_now()) + 100,
					  siobpf_time_units(dataplane_now()), 0),
			 0);

	assert_int_equal(dataplane_backends_read(&test_dp, table), 0);
	assert_int_equal(dataplane_sticky_count_by_backend(&test_dp, table, dataplane_now(), counts), 0);
	for (int id = 1; id <= 3; id++)
		assert_int_equal(counts[id], want[id]);
	assert_int_equal(counts[1] + counts[2] + counts[3], CLIENTS);
	/* Backend 2 goes down: its clients are not live any more. */
	table[2].state = SIOBPF_BACKEND_DOWN;
	assert_int_equal(dataplane_sticky_count_by_backend(&test_dp, table, dataplane_now(), counts), 0);
	assert_int_equal(counts[2], 0);
	assert_int_equal(counts[1], want[1]);
	free(table);
	free(counts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ip_mode_sends_every_port_of_a_client_to_one_backend),
		cmocka_unit_test(ip_port_mode_spreads_one_clients_ports),
		cmocka_unit_test(prefix_24_sends_a_network_to_one_backend),
		cmocka_unit_test(sticky_entry_survives_an_added_backend),
		cmocka_unit_test(drained_backend_keeps_its_clients_and_gets_no_new_ones),
		cmocka_unit_test(down_backend_moves_only_its_clients),
		cmocka_unit_test(down_backend_without_a_ring_rebuild_is_not_chosen),
		cmocka_unit_test(generation_change_voids_stale_entries),
		cmocka_unit_test(persistence_expiry_ends_an_entry),
		cmocka_unit_test(last_seen_is_refreshed_at_most_once_a_second),
		cmocka_unit_test(one_second_persistence_keeps_a_client_sending_every_100ms),
		cmocka_unit_test(short_persistence_refreshes_at_half_its_length),
		cmocka_unit_test(zero_persistence_keeps_no_sticky_state),
		cmocka_unit_test(no_backend_in_service_drops_with_a_counter),
		cmocka_unit_test(backend_on_another_interface_is_redirected),
		cmocka_unit_test(counters_add_up_per_vip_and_backend),
		cmocka_unit_test(sticky_count_by_backend_counts_live_entries_only),
	};

	return cmocka_run_group_tests_name("sticky", tests, harness_setup, harness_teardown);
}
