// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The new-entry events (struct siobpf_entry_event, sio_events) under
 * BPF_PROG_TEST_RUN, read through the consumer's API (user/core/events.h)
 * on the loaded program: none with the switch off; with it on, one for
 * each slot the data path makes (probation) and each promotion (protected),
 * with the full key, the backend, its generation bits and the packet's
 * time, and none for hits, renewals or packets that make no entry; a full
 * ring counts what it cannot take and forwards every packet as without
 * events; two CPUs inserting at once give one event per slot made; a
 * migration of the pinned maps (a resize) copies no event and starts with
 * the switch off. */
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
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/in.h>

#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "siobpf/decide.h"
#include "siobpf/table.h"
#include "events.h"
#include "harness.h"
#include "migrate.h"

#define VIP_ID 5
#define SEC 1000000000ull
/* sio_events' capacity in events (abi.h): 8-byte header, 48-byte event. */
#define RING_EVENTS (SIOBPF_EVENTS_BYTES / 56)

static struct siobpf_vip vip;

/* What a test's reader collected. */
#define KEPT_MAX 8192
struct kept {
	struct siobpf_entry_event ev[KEPT_MAX];
	size_t n;     /* events seen (those past KEPT_MAX are counted only) */
	int stop_with; /* nonzero: the callback returns it */
};

static int keep(const struct siobpf_entry_event *ev, void *ctx)
{
	struct kept *k = ctx;

	if (k->n < KEPT_MAX)
		k->ev[k->n] = *ev;
	k->n += 1;
	return k->stop_with;
}

/* VIP 10.0.0.50:80 with backends 1..4. */
static void setup(void **state)
{
	assert_int_equal(harness_reset(state), 0);
	vip_add(&(struct vip_spec){.addr = "10.0.0.50", .port = 80, .id = VIP_ID, .persist_sec = 600, .seed = 3},
		&vip);
	backends_add_numbered(&vip, 4);
}

enum kind { SYN, ACK, SYNACK };

static void client_text(__u32 n, char *buf, size_t len)
{
	snprintf(buf, len, "172.%u.%u.%u", 16 + (n >> 16 & 0xf), n >> 8 & 0xff, n & 0xff);
}

static void build(struct pkt *p, __u32 client, enum kind kind)
{
	char src[32];

	client_text(client, src, sizeof(src));
	pkt_build(p, &(struct pkt_spec){.src = src, .dst = "10.0.0.50", .sport = 4000, .dport = 80,
					.tcp_ack = kind == ACK, .tcp_synack = kind == SYNACK});
}

static int send_client(__u32 client, enum kind kind, struct run_result *res)
{
	struct run_result local;
	struct pkt p;

	build(&p, client, kind);
	if (!res)
		res = &local;
	assert_int_equal(run_prog(&test_dp, &p, res), 0);
	return chosen_backend(res);
}

static struct siobpf_sticky_key key_of(__u32 client)
{
	struct siobpf_sticky_key key;
	__u32 src[4] = {0};
	char text[32];

	client_text(client, text, sizeof(text));
	assert_int_equal(inet_pton(AF_INET, text, src), 1);
	siobpf_sticky_key_make(&vip, src, 0, &key);
	return key;
}

static struct siobpf_event_stats counters(void)
{
	struct siobpf_event_stats s;

	assert_int_equal(events_counters(&test_dp, &s), 0);
	return s;
}

static void switch_to(bool on)
{
	bool now;

	assert_int_equal(events_switch_set(&test_dp, on), 0);
	assert_int_equal(events_switch_get(&test_dp, &now), 0);
	assert_int_equal(now, on);
}

/* Everything in the ring now, to the reader's callback. */
static void drain(struct events_reader *r)
{
	int n;

	while ((n = events_poll(r, 0)) > 0)
		;
	assert_int_equal(n, 0);
}

static void expect_event(const struct siobpf_entry_event *ev, __u32 client, int backend, __u32 kind,
			 __u64 t0, __u64 t1)
{
	struct siobpf_sticky_key key = key_of(client);
	struct siobpf_backend b;

	assert_memory_equal(&ev->key, &key, sizeof(key));
	assert_int_equal(ev->backend_id, (__u32)backend);
	assert_int_equal(dataplane_backend_get(&test_dp, (__u32)backend, &b), 0);
	assert_int_equal(ev->generation, b.generation & SIOBPF_GEN_MASK);
	assert_int_equal(ev->kind, kind);
	assert_int_equal(ev->pad, 0);
	assert_true(ev->seen_ns >= t0);
	assert_true(ev->seen_ns <= t1);
}

/* The switch off: a new client's SYN makes its slot and writes nothing. */
static void switch_off_writes_nothing(void **state)
{
	static struct kept k;
	struct events_reader r;
	struct client_slot s;
	bool on = true;

	setup(state);
	memset(&k, 0, sizeof(k));
	assert_int_equal(events_switch_get(&test_dp, &on), 0);
	assert_false(on); /* a new program starts with it off */
	assert_int_equal(events_open(&r, &test_dp, keep, &k), 0);
	assert_true(send_client(1, SYN, NULL) > 0);
	{
		struct siobpf_sticky_key key = key_of(1);

		assert_int_equal(client_entry_get(&key, &s), 0);
		assert_int_equal(s.kind, SIOBPF_SLOT_PROBATION);
	}
	drain(&r);
	assert_int_equal(k.n, 0);
	assert_int_equal(counters().written, 0);
	assert_int_equal(counters().lost, 0);
	events_close(&r);
}

/* The switch on: the SYN's slot is one probation event, the client seen
 * again after the admission gap one protected event; its ACK hits, a
 * renewal, a SYN-ACK and an ACK of clients without a slot write none. */
static void one_event_per_slot_made_and_promotion(void **state)
{
	static struct kept k;
	struct siobpf_sticky_key key;
	struct events_reader r;
	struct client_slot s;
	__u64 t0, t1;
	int backend;

	setup(state);
	memset(&k, 0, sizeof(k));
	assert_int_equal(events_open(&r, &test_dp, keep, &k), 0);
	switch_to(true);
	key = key_of(7);

	t0 = dataplane_now();
	backend = send_client(7, SYN, NULL);
	t1 = dataplane_now();
	assert_true(backend > 0);
	drain(&r);
	assert_int_equal(k.n, 1);
	expect_event(&k.ev[0], 7, backend, SIOBPF_SLOT_PROBATION, t0, t1);
	assert_int_equal(client_entry_get(&key, &s), 0);
	assert_int_equal(k.ev[0].generation, s.generation);
	assert_int_equal(counters().written, 1);

	/* too young: a probation hit, deferred, no event */
	assert_int_equal(send_client(7, ACK, NULL), backend);
	drain(&r);
	assert_int_equal(k.n, 1);

	/* seen again after the admission gap: promoted */
	client_entry_age(&key, SIOBPF_ADMIT_GAP_MS * 1000000ull);
	t0 = dataplane_now();
	assert_int_equal(send_client(7, ACK, NULL), backend);
	t1 = dataplane_now();
	drain(&r);
	assert_int_equal(k.n, 2);
	expect_event(&k.ev[1], 7, backend, SIOBPF_SLOT_PROTECTED, t0, t1);
	assert_int_equal(client_entry_get(&key, &s), 0);
	assert_int_equal(s.kind, SIOBPF_SLOT_PROTECTED);

	/* ACK hits on the protected slot */
	for (int i = 0; i < 10; i++)
		assert_int_equal(send_client(7, ACK, NULL), backend);
	/* a renewal: the slot aged past the refresh period */
	client_entry_age(&key, 2 * SIOBPF_STICKY_REFRESH_NS);
	{
		struct client_slot before = s;

		assert_int_equal(client_entry_get(&key, &before), 0);
		assert_int_equal(send_client(7, ACK, NULL), backend);
		assert_int_equal(client_entry_get(&key, &s), 0);
		assert_true(s.deadline != before.deadline); /* it was renewed */
	}
	/* packets that make no entry: a SYN-ACK and a flood's ACK from
	 * clients without a slot */
	assert_true(send_client(8, SYNACK, NULL) > 0);
	for (__u32 c = 100; c < 110; c++)
		assert_true(send_client(c, ACK, NULL) > 0);
	drain(&r);
	assert_int_equal(k.n, 2);
	assert_int_equal(counters().written, 2);
	assert_int_equal(counters().lost, 0);

	/* the switch off again: a new client writes nothing */
	switch_to(false);
	assert_true(send_client(9, SYN, NULL) > 0);
	drain(&r);
	assert_int_equal(k.n, 2);
	events_close(&r);
}

/* A full ring (its reader not reading): each new client is forwarded to
 * its backend exactly as with the switch off, and counted lost; the
 * written counter stops. Drained, the ring takes events again. */
static void full_ring_counts_and_forwards(void **state)
{
	static struct kept k;
	struct events_reader r;
	struct siobpf_event_stats c;
	__u32 client = 1, filled;

	setup(state);
	memset(&k, 0, sizeof(k));
	assert_int_equal(events_open(&r, &test_dp, keep, &k), 0);
	switch_to(true);
	/* fill it */
	while (counters().lost == 0) {
		assert_true(send_client(client++, SYN, NULL) > 0);
		assert_true(client < 2 * RING_EVENTS);
	}
	c = counters();
	filled = (__u32)c.written;
	assert_int_equal(c.lost, 1);
	assert_true(filled >= RING_EVENTS - 1 && filled <= RING_EVENTS);

	for (__u32 i = 0; i < 20; i++, client++) {
		struct siobpf_sticky_key key = key_of(client);
		struct run_result full, off;
		struct pkt p;

		/* the ring full */
		build(&p, client, SYN);
		assert_int_equal(run_prog(&test_dp, &p, &full), 0);
		assert_int_equal(full.action, XDP_TX);
		assert_int_equal(counters().lost, 2 + i);
		assert_int_equal(counters().written, filled);
		/* the same packet, the slot made again with the switch off */
		switch_to(false);
		assert_int_equal(dataplane_sticky_delete(&test_dp, &key), 0);
		assert_int_equal(run_prog(&test_dp, &p, &off), 0);
		switch_to(true);
		assert_int_equal(off.action, full.action);
		assert_int_equal(off.out_len, full.out_len);
		assert_memory_equal(off.out, full.out, full.out_len);
		assert_true(chosen_backend(&full) > 0);
	}
	assert_int_equal(counters().lost, 21);

	/* drained, events resume */
	drain(&r);
	assert_int_equal(k.n, filled);
	assert_true(send_client(client, SYN, NULL) > 0);
	drain(&r);
	assert_int_equal(k.n, filled + 1);
	assert_int_equal(counters().written, filled + 1);
	assert_int_equal(counters().lost, 21);
	assert_int_equal(k.ev[(filled + 1 <= KEPT_MAX ? filled : KEPT_MAX - 1)].kind, SIOBPF_SLOT_PROBATION);
	events_close(&r);
}

/* The reader's API: a callback's nonzero return stops the poll and is
 * returned, the events after it stay for the next poll; bad arguments
 * change nothing. */
static void reader_stops_where_asked(void **state)
{
	static struct kept k;
	struct events_reader r;
	struct siobpf_node node;
	__u32 zero = 0;

	setup(state);
	memset(&k, 0, sizeof(k));
	assert_int_equal(events_open(&r, &test_dp, NULL, &k), -EINVAL);
	assert_int_equal(events_poll(&r, 0), -EINVAL);
	assert_int_equal(events_open(&r, &test_dp, keep, &k), 0);
	/* the switch keeps the settings beside it */
	assert_int_equal(bpf_map_lookup_elem(test_dp.node_fd, &zero, &node), 0);
	node.pad[3] = 77;
	assert_int_equal(bpf_map_update_elem(test_dp.node_fd, &zero, &node, BPF_ANY), 0);
	switch_to(true);
	assert_int_equal(bpf_map_lookup_elem(test_dp.node_fd, &zero, &node), 0);
	assert_int_equal(node.pad[3], 77);
	node.pad[3] = 0;
	assert_int_equal(bpf_map_update_elem(test_dp.node_fd, &zero, &node, BPF_ANY), 0);

	for (__u32 c = 1; c <= 3; c++)
		assert_true(send_client(c, SYN, NULL) > 0);
	k.stop_with = 7;
	assert_int_equal(events_poll(&r, 0), 7);
	assert_int_equal(k.n, 1);
	k.stop_with = 0;
	assert_int_equal(events_poll(&r, 0), 2);
	assert_int_equal(k.n, 3);
	for (__u32 c = 1; c <= 3; c++) {
		struct siobpf_sticky_key key = key_of(c);

		assert_memory_equal(&k.ev[c - 1].key, &key, sizeof(key));
	}
	assert_int_equal(events_poll(&r, 0), 0);
	/* a wait with nothing written ends with none */
	assert_int_equal(events_poll(&r, 10), 0);
	assert_int_equal(r.malformed, 0);
	events_close(&r);
	events_close(&r); /* twice: nothing to free */
}

/* No interface runs the program: nothing to swap. */
static int swap_none(int ifindex, __u8 mode, int prog_fd, void *ctx)
{
	(void)ifindex;
	(void)mode;
	(void)prog_fd;
	(void)ctx;
	return 1;
}

/* A resize (load --clients over maps of this layout) migrates the pins:
 * the new ring is empty though the old one held events nobody read, the
 * switch is off, the counters are carried and the clients keep their
 * backends. */
static void resize_copies_no_event_and_turns_the_switch_off(void **state)
{
	static struct kept k;
	char dir[] = "/sys/fs/bpf/siobpf-test-events-XXXXXX";
	struct migrate_report rep;
	struct events_reader r;
	struct dataplane moved;
	int backend[6];
	bool on = true;

	(void)state;
	memset(&k, 0, sizeof(k));
	assert_non_null(mkdtemp(dir));
	dataplane_close(&test_dp);
	assert_int_equal(dataplane_load(&test_dp, &(struct dataplane_opts){.clients = TEST_CLIENTS, .pin_dir = dir}),
			 0);
	vip_add(&(struct vip_spec){.addr = "10.0.0.50", .port = 80, .id = VIP_ID, .persist_sec = 600, .seed = 3},
		&vip);
	backends_add_numbered(&vip, 4);
	switch_to(true);
	for (__u32 c = 1; c <= 5; c++)
		assert_true((backend[c] = send_client(c, SYN, NULL)) > 0);
	assert_int_equal(counters().written, 5);

	assert_int_equal(migrate_pins(&moved, dir, 2 * TEST_CLIENTS, swap_none, NULL, &rep), 0);
	for (size_t i = 0; i < dataplane_map_count(); i++)
		if (!strcmp(dataplane_map_name(i), "sio_events") || !strcmp(dataplane_map_name(i), "sio_node"))
			assert_int_equal(rep.entries[i], 0);
	assert_int_not_equal(moved.events_fd, -1);
	assert_int_equal(events_switch_get(&moved, &on), 0);
	assert_false(on);
	assert_int_equal(events_open(&r, &moved, keep, &k), 0);
	assert_int_equal(events_poll(&r, 0), 0);
	assert_int_equal(k.n, 0);
	{
		struct siobpf_event_stats c;

		assert_int_equal(events_counters(&moved, &c), 0);
		assert_int_equal(c.written, 5); /* carried */
		assert_int_equal(c.lost, 0);
	}
	for (__u32 c = 1; c <= 5; c++) {
		struct run_result res;
		struct pkt p;

		build(&p, c, ACK);
		assert_int_equal(run_prog(&moved, &p, &res), 0);
		assert_int_equal(chosen_backend(&res), backend[c]);
	}
	/* the switch on again over the new ring: its events reach the reader */
	assert_int_equal(events_switch_set(&moved, true), 0);
	{
		struct run_result res;
		struct pkt p;

		build(&p, 6, SYN);
		assert_int_equal(run_prog(&moved, &p, &res), 0);
		assert_true(chosen_backend(&res) > 0);
	}
	assert_int_equal(events_poll(&r, 0), 1);
	assert_int_equal(k.n, 1);
	events_close(&r);
	assert_int_equal(dataplane_unpin(dir), 0);
	assert_int_equal(rmdir(dir), 0);
	dataplane_close(&moved);
	assert_int_equal(harness_reset(state), 0);
}

/* ---- two CPUs ---- */

#define RACE_CLIENTS 3000 /* per CPU: both together well inside the ring */

struct racer {
	int cpu;
	__u32 first; /* its clients: first .. first + RACE_CLIENTS - 1 */
	pthread_barrier_t *start;
	int err;
};

static void *race(void *arg)
{
	struct racer *r = arg;

	r->err = race_start(r->cpu, r->start);
	if (r->err)
		return NULL;
	for (__u32 i = 0; i < RACE_CLIENTS; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = 1);
		__u8 out[PKT_MAX];
		struct pkt p;

		/* the two CPUs take turns on the same clients: both insert */
		build(&p, r->first + i, SYN);
		opts.data_in = p.data;
		opts.data_size_in = p.len;
		opts.data_out = out;
		opts.data_size_out = sizeof(out);
		if (bpf_prog_test_run_opts(test_dp.prog_fd, &opts)) {
			r->err = errno;
			return NULL;
		}
	}
	return NULL;
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct siobpf_entry_event *)a)->key,
		      &((const struct siobpf_entry_event *)b)->key, sizeof(struct siobpf_sticky_key));
}

/* Two threads on CPU 0 and CPU 1 send the SYNs of the same new clients at
 * once, so both insert and some lose the slot's compare-and-exchange:
 * every slot made is one event (as many as `created`, every client once,
 * with the backend its slot names), and a lost race none. */
static void two_cpus_one_event_per_slot(void **state)
{
	static struct kept k;
	struct events_reader r;
	struct siobpf_admit_stats a;
	pthread_barrier_t start;
	struct racer rc[2] = {{.cpu = 0, .first = 1}, {.cpu = 1, .first = 1}};
	pthread_t th[2];

	/* A machine with one CPU cannot run this test: that is a failure. */
	assert_true(sysconf(_SC_NPROCESSORS_ONLN) >= 2);
	setup(state);
	memset(&k, 0, sizeof(k));
	assert_int_equal(events_open(&r, &test_dp, keep, &k), 0);
	switch_to(true);
	assert_int_equal(pthread_barrier_init(&start, NULL, 2), 0);
	for (int t = 0; t < 2; t++) {
		rc[t].start = &start;
		assert_int_equal(pthread_create(&th[t], NULL, race, &rc[t]), 0);
	}
	for (int t = 0; t < 2; t++) {
		assert_int_equal(pthread_join(th[t], NULL), 0);
		assert_int_equal(rc[t].err, 0);
	}
	pthread_barrier_destroy(&start);
	drain(&r);
	assert_int_equal(dataplane_admit_stats(&test_dp, VIP_ID, &a), 0);
	assert_int_equal(counters().lost, 0);
	assert_int_equal(k.n, a.created);
	assert_int_equal(counters().written, a.created);
	/* each client once: the other CPU's insert found its slot, or lost */
	assert_int_equal(k.n, RACE_CLIENTS);
	qsort(k.ev, k.n, sizeof(k.ev[0]), key_cmp);
	for (size_t i = 0; i < k.n; i++) {
		struct client_slot s;

		assert_int_equal(k.ev[i].kind, SIOBPF_SLOT_PROBATION);
		if (i)
			assert_int_not_equal(key_cmp(&k.ev[i - 1], &k.ev[i]), 0);
		assert_int_equal(client_entry_get(&k.ev[i].key, &s), 0);
		assert_int_equal(s.backend_id, k.ev[i].backend_id);
	}
	printf("two CPUs: %u clients, %llu slots made, %llu races lost, %llu hits on the other CPU's slot\n",
	       RACE_CLIENTS, (unsigned long long)a.created, (unsigned long long)a.raced,
	       (unsigned long long)(2 * RACE_CLIENTS - a.created - a.raced));
	events_close(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(switch_off_writes_nothing),
		cmocka_unit_test(one_event_per_slot_made_and_promotion),
		cmocka_unit_test(full_ring_counts_and_forwards),
		cmocka_unit_test(reader_stops_where_asked),
		cmocka_unit_test(resize_copies_no_event_and_turns_the_switch_off),
		cmocka_unit_test(two_cpus_one_event_per_slot),
	};

	return cmocka_run_group_tests_name("events", tests, harness_setup, harness_teardown);
}
