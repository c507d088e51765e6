// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The backend table is swapped whole, never written in place: a record
 * change installs a new table (the old one stays as it was), the next
 * packet is forwarded by the new record, and packets that run while a
 * writer flips a record only ever see one complete record or the other. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>

#include <cmocka.h>
#include <bpf/bpf.h>

#include "harness.h"

#define VIP_ID 5
#define BACKEND_ID 1
#define MIN_FLIPS 100     /* record changes made while packets run */
#define MIN_PACKETS 200000 /* packets run while the record changes */

/* The two complete states the record takes: MACs and egress differ, so a
 * frame shows which record (or which mixture) the program read. ifindex 1
 * is the test run's ingress (lo): XDP_TX; any other: XDP_REDIRECT. */
static const __u8 mac_a[6] = {0x02, 0xaa, 0, 0, 0, 0x0a}, src_a[6] = {0x02, 0xa5, 0, 0, 0, 0x0a};
static const __u8 mac_b[6] = {0x02, 0xbb, 0, 0, 0, 0x0b}, src_b[6] = {0x02, 0xb5, 0, 0, 0, 0x0b};
#define IFINDEX_A 1
#define IFINDEX_B harness_egress_ifindex() /* a real interface: sio_egress takes no other */

static struct siobpf_vip vip;
static struct pkt client;

static struct siobpf_backend record(int b)
{
	struct siobpf_backend r;

	assert_int_equal(dataplane_backend_get(&test_dp, BACKEND_ID, &r), 0);
	memcpy(r.mac, b ? mac_b : mac_a, 6);
	memcpy(r.src_mac, b ? src_b : src_a, 6);
	r.ifindex = b ? IFINDEX_B : IFINDEX_A;
	return r;
}

/* VIP 10.0.0.100:80/tcp with one backend in state A, and a client whose
 * first packet made its sticky entry: later packets are sticky hits. */
static void setup(void **state)
{
	struct siobpf_backend a;
	struct run_result res;

	assert_int_equal(harness_reset(state), 0);
	vip_add(&(struct vip_spec){.addr = "10.0.0.100", .port = 80, .id = VIP_ID, .seed = 1}, &vip);
	backend_add(&vip, BACKEND_ID, "10.0.1.1", 1);
	a = record(0);
	assert_int_equal(dataplane_backend_put(&test_dp, BACKEND_ID, &a), 0);
	ring_rebuild(&vip);
	pkt_build(&client, &(struct pkt_spec){.src = "192.0.2.7", .dst = "10.0.0.100",
					       .sport = 40000, .dport = 80});
	assert_int_equal(run_prog(&test_dp, &client, &res), 0);
	assert_int_equal(res.action, XDP_TX);
	assert_int_equal(sticky_count(), 1);
}

static __u32 table_id(void)
{
	__u32 zero = 0, id = 0;

	assert_int_equal(bpf_map_lookup_elem(test_dp.backends_fd, &zero, &id), 0);
	return id;
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return info.id;
}

/* 0 for state A, 1 for state B, -1 for anything else (a torn record). */
static int state_of(const struct run_result *res)
{
	const struct ethhdr *eth = (const void *)res->out;

	if (res->out_len < sizeof(*eth))
		return -1;
	if (res->action == XDP_TX && !memcmp(eth->h_dest, mac_a, 6) && !memcmp(eth->h_source, src_a, 6))
		return 0;
	if (res->action == XDP_REDIRECT && !memcmp(eth->h_dest, mac_b, 6) &&
	    !memcmp(eth->h_source, src_b, 6))
		return 1;
	return -1;
}

static void fresh_maps_hold_an_empty_table(void **state)
{
	struct siobpf_backend *table = calloc(SIOBPF_MAX_BACKENDS, sizeof(*table));
	struct siobpf_backend zero = {0};

	assert_non_null(table);
	assert_int_equal(harness_reset(state), 0);
	assert_int_not_equal(table_id(), 0);
	assert_int_equal(dataplane_backends_read(&test_dp, table), 0);
	for (__u32 id = 0; id < SIOBPF_MAX_BACKENDS; id++)
		assert_memory_equal(&table[id], &zero, sizeof(zero));
	free(table);
}

static void record_change_swaps_in_a_new_table_and_leaves_the_old_one(void **state)
{
	struct siobpf_backend a, b, seen;
	__u32 outer_before, before, after;
	struct run_result res;
	int old_fd;

	setup(state);
	a = record(0);
	b = record(1);
	outer_before = map_id(test_dp.backends_fd);
	before = table_id();
	old_fd = bpf_map_get_fd_by_id(before);
	assert_true(old_fd >= 0);

	assert_int_equal(dataplane_backend_put(&test_dp, BACKEND_ID, &b), 0);
	after = table_id();
	assert_int_not_equal(after, before);
	/* The outer map stays: the daemon tells a migration by its id. */
	assert_int_equal(map_id(test_dp.backends_fd), outer_before);
	/* The table packets were reading is not written to. */
	assert_int_equal(bpf_map_lookup_elem(old_fd, &(__u32){BACKEND_ID}, &seen), 0);
	assert_memory_equal(&seen, &a, sizeof(a));
	assert_int_equal(dataplane_backend_get(&test_dp, BACKEND_ID, &seen), 0);
	assert_memory_equal(&seen, &b, sizeof(b));
	close(old_fd);

	/* The very next packet goes by the new record. */
	assert_int_equal(run_prog(&test_dp, &client, &res), 0);
	assert_int_equal(state_of(&res), 1);
}

static void each_change_reaches_the_next_packet(void **state)
{
	struct run_result res;

	setup(state);
	for (int i = 0; i < 20; i++) {
		struct siobpf_backend r = record(i & 1);

		assert_int_equal(dataplane_backend_put(&test_dp, BACKEND_ID, &r), 0);
		assert_int_equal(run_prog(&test_dp, &client, &res), 0);
		assert_int_equal(state_of(&res), i & 1);
	}
}

struct flipper {
	struct siobpf_backend states[2];
	atomic_bool stop;
	atomic_int flips;
	int err;
};

/* Flips the record between its two states until told to stop. */
static void *flip(void *arg)
{
	struct flipper *f = arg;

	while (!atomic_load(&f->stop) && !f->err) {
		int n = atomic_load(&f->flips);

		f->err = dataplane_backend_put(&test_dp, BACKEND_ID, &f->states[(n + 1) & 1]);
		atomic_store(&f->flips, n + 1);
	}
	return NULL;
}

static void packets_see_one_complete_record_or_the_other(void **state)
{
	struct flipper f = {0};
	unsigned long seen[2] = {0}, torn = 0, runs = 0;
	pthread_t writer;

	setup(state);
	f.states[0] = record(0);
	f.states[1] = record(1);
	atomic_init(&f.stop, false);
	atomic_init(&f.flips, 0);
	assert_int_equal(pthread_create(&writer, NULL, flip, &f), 0);
	/* One packet a run, each output checked: a run with repeat would hand
	 * each repetition the previous one's rewritten frame. */
	while (runs < MIN_PACKETS || atomic_load(&f.flips) < MIN_FLIPS) {
		struct run_result res;
		int s;

		if (f.err || run_prog(&test_dp, &client, &res))
			break;
		runs++;
		s = state_of(&res);
		if (s < 0)
			torn++;
		else
			seen[s]++;
	}
	atomic_store(&f.stop, true);
	assert_int_equal(pthread_join(writer, NULL), 0);
	print_message("%lu packets over %d record flips: %lu in state A, %lu in state B, %lu torn\n",
		      runs, atomic_load(&f.flips), seen[0], seen[1], torn);
	assert_int_equal(f.err, 0);
	assert_int_equal(torn, 0);
	assert_int_equal(seen[0] + seen[1], runs);
	assert_true(runs >= MIN_PACKETS);
	/* The reader ran alongside the writer, not only before or after it. */
	assert_true(seen[0] > 0 && seen[1] > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fresh_maps_hold_an_empty_table),
		cmocka_unit_test(record_change_swaps_in_a_new_table_and_leaves_the_old_one),
		cmocka_unit_test(each_change_reaches_the_next_packet),
		cmocka_unit_test(packets_see_one_complete_record_or_the_other),
	};

	return cmocka_run_group_tests_name("backend_swap", tests, harness_setup, harness_teardown);
}
