// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* ICMP errors about a VIP flow under BPF_PROG_TEST_RUN: a router's
 * "fragmentation needed" or "packet too big" for a backend's reply reaches
 * the backend the client's own packets reach, whether a sticky entry or the
 * ring chose it, and leaves the sticky table exactly as it was. (The
 * verdict on each kind of ICMP message is in test_fixtures.c.) Each test
 * starts from a freshly loaded program. */
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

#define VIP_ID 3
#define BACKENDS 4 /* at most; ids 1..BACKENDS */
#define CLIENTS 40
#define SEC 1000000000ull

/* The VIP under test: address, port and protocol, and its client side. */
static struct siobpf_vip vip;
static const char *vip_addr;
static __u16 vip_port;
static __u8 vip_proto;

static void setup_vip(const char *addr, __u16 port, __u8 proto, __u8 sticky, __u8 prefix, int n)
{
	int family = strchr(addr, ':') ? 6 : 4;

	vip_addr = addr;
	vip_port = port;
	vip_proto = proto;
	vip_add(&(struct vip_spec){.addr = addr, .port = port, .proto = proto, .id = VIP_ID,
				   .sticky = sticky, .prefix = prefix, .seed = 42},
		&vip);
	for (int id = 1; id <= n; id++) {
		char backend[64];

		snprintf(backend, sizeof(backend), family == 6 ? "2001:db8:1::%d" : "10.0.1.%d", id);
		backend_add(&vip, (__u32)id, backend, 1);
	}
	ring_rebuild(&vip);
}

static void client_addr(int i, char *buf, size_t len)
{
	if (vip_addr && strchr(vip_addr, ':'))
		snprintf(buf, len, "2001:db8:c:%x::%x", i, i + 1);
	else
		snprintf(buf, len, "172.16.%d.%d", i / 250, i % 250 + 1);
}

/* The backend the program picks for a client's own packet. */
static int send_data(const char *client, __u16 sport)
{
	struct pkt_spec spec = {.family = strchr(client, ':') ? 6 : 4, .src = client,
				.dst = vip_addr, .sport = sport, .dport = vip_port,
				.proto = vip_proto};
	struct run_result res;
	struct pkt p;

	pkt_build(&p, &spec);
	assert_int_equal(run_prog(&test_dp, &p, &res), 0);
	return chosen_backend(&res);
}

/* The whole sticky table, bit for bit, and the VIP's admission counters,
 * to show that an error left them as they were. */
struct table {
	struct siobpf_bucket *buckets;
	size_t bytes;
	struct siobpf_admit_stats stats;
};

static void table_read(struct table *t)
{
	t->bytes = test_dp.sticky.bytes;
	t->buckets = malloc(t->bytes);
	assert_non_null(t->buckets);
	memcpy(t->buckets, test_dp.sticky.buckets, t->bytes);
	assert_int_equal(dataplane_admit_stats(&test_dp, VIP_ID, &t->stats), 0);
}

static void table_same(struct table *before, struct table *after)
{
	assert_int_equal(after->bytes, before->bytes);
	assert_memory_equal(after->buckets, before->buckets, before->bytes);
	assert_memory_equal(&after->stats, &before->stats, sizeof(before->stats));
	free(before->buckets);
	free(after->buckets);
}

/* Sends a router's error about the flow vip:port -> client:cport, and
 * returns the backend it went to (-1: dropped). Checks what every error
 * must do: the frame unchanged but for its MACs, counted as forwarded to
 * that backend and VIP with no new entry, and the sticky table untouched. */
static int send_error(const char *client, __u16 cport)
{
	struct icmp_spec spec = {.quoted = {.family = strchr(client, ':') ? 6 : 4,
					    .src = vip_addr, .sport = vip_port, .dst = client,
					    .dport = cport, .proto = vip_proto, .payload = 64}};
	struct siobpf_traffic be_before[BACKENDS + 1], vip_before, t;
	__u64 tx = reason_count(SIOBPF_R_TX);
	__u64 no_backend = reason_count(SIOBPF_R_DROP_NO_BACKEND);
	struct table before, after;
	struct run_result res;
	__u8 expected[PKT_MAX];
	struct pkt p;
	int b;

	pkt_build_icmp(&p, &spec);
	table_read(&before);
	vip_before = vip_traffic(VIP_ID);
	for (int id = 1; id <= BACKENDS; id++)
		be_before[id] = backend_traffic((__u32)id);

	assert_int_equal(run_prog(&test_dp, &p, &res), 0);

	table_read(&after);
	table_same(&before, &after);
	assert_int_equal(res.out_len, p.len);
	b = chosen_backend(&res);
	if (b < 0) {
		assert_int_equal(res.action, XDP_DROP);
		assert_memory_equal(res.out, p.data, p.len);
		assert_int_equal(reason_count(SIOBPF_R_DROP_NO_BACKEND), no_backend + 1);
		return -1;
	}
	assert_true(b >= 1 && b <= BACKENDS);
	memcpy(expected, p.data, p.len);
	backend_mac((__u32)b, expected);
	memcpy(expected + 6, test_src_mac, 6);
	assert_memory_equal(res.out, expected, p.len);
	assert_int_equal(reason_count(SIOBPF_R_TX), tx + 1);
	t = vip_traffic(VIP_ID);
	assert_int_equal(t.packets, vip_before.packets + 1);
	assert_int_equal(t.bytes, vip_before.bytes + p.len);
	assert_int_equal(t.new_sticky, vip_before.new_sticky);
	t = backend_traffic((__u32)b);
	assert_int_equal(t.packets, be_before[b].packets + 1);
	assert_int_equal(t.bytes, be_before[b].bytes + p.len);
	assert_int_equal(t.new_sticky, be_before[b].new_sticky);
	return b;
}

static struct siobpf_sticky_key key_of(const char *client, __u16 sport)
{
	struct siobpf_sticky_key key;
	__u32 src[4] = {0};

	assert_int_equal(inet_pton(strchr(client, ':') ? AF_INET6 : AF_INET, client, src), 1);
	siobpf_sticky_key_make(&vip, src, htons(sport), &key);
	return key;
}

/* The client's entry now names a backend the ring can no longer give
 * (draining), so only the entry can send the error there. */
static void entry_wins_over_the_ring(int n_clients)
{
	int before[CLIENTS], drained = 0;

	for (int i = 0; i < n_clients; i++) {
		char c[64];

		client_addr(i, c, sizeof(c));
		before[i] = send_data(c, 1000);
		assert_true(before[i] >= 1);
	}
	backend_set_state(&vip, 2, SIOBPF_BACKEND_DRAIN);
	ring_rebuild(&vip);
	for (int i = 0; i < n_clients; i++) {
		char c[64];

		client_addr(i, c, sizeof(c));
		assert_int_equal(send_error(c, 1000), before[i]);
		drained += before[i] == 2;
	}
	assert_true(drained > 0);
	assert_int_equal(sticky_count(), n_clients);
}

static void frag_needed_goes_to_the_clients_entry(void **state)
{
	assert_int_equal(harness_reset(state), 0);
	setup_vip("10.0.0.100", 80, IPPROTO_TCP, SIOBPF_STICKY_IP, 0, 3);
	entry_wins_over_the_ring(CLIENTS);
}

static void packet_too_big_goes_to_the_clients_entry(void **state)
{
	assert_int_equal(harness_reset(state), 0);
	setup_vip("2001:db8::100", 443, IPPROTO_UDP, SIOBPF_STICKY_IP, 0, 3);
	entry_wins_over_the_ring(CLIENTS);
}

/* With no entry the ring decides, as for the client's next packet, and
 * the error makes no entry. The clients spread over the backends, so the
 * key is the quoted client, not the router that sent the error. */
static void error_without_entry_goes_to_the_ring(void)
{
	int via_error[CLIENTS], used[BACKENDS + 1] = {0}, spread = 0;

	for (int i = 0; i < CLIENTS; i++) {
		char c[64];

		client_addr(i, c, sizeof(c));
		via_error[i] = send_error(c, 1000);
		assert_true(via_error[i] >= 1);
		used[via_error[i]]++;
	}
	assert_int_equal(sticky_count(), 0);
	assert_int_equal(vip_traffic(VIP_ID).new_sticky, 0);
	for (int b = 1; b <= BACKENDS; b++)
		spread += used[b] > 0;
	assert_true(spread > 1);
	for (int i = 0; i < CLIENTS; i++) {
		char c[64];

		client_addr(i, c, sizeof(c));
		assert_int_equal(send_data(c, 1001), via_error[i]);
	}
	assert_int_equal(sticky_count(), CLIENTS);
}

static void frag_needed_without_entry_goes_to_the_ring(void **state)
{
	assert_int_equal(harness_reset(state), 0);
	setup_vip("10.0.0.100", 80, IPPROTO_TCP, SIOBPF_STICKY_IP, 0, 3);
	error_without_entry_goes_to_the_ring();
}

static void packet_too_big_without_entry_goes_to_the_ring(void **state)
{
	assert_int_equal(harness_reset(state), 0);
	setup_vip("2001:db8::100", 443, IPPROTO_UDP, SIOBPF_STICKY_IP, 0, 3);
	error_without_entry_goes_to_the_ring();
}

/* An entry a client's packet would refresh (30 s old) is left as it was. */
static void error_does_not_refresh_an_entry(void **state)
{
	struct siobpf_sticky_key key;
	struct client_slot entry, now;

	assert_int_equal(harness_reset(state), 0);
	setup_vip("10.0.0.100", 80, IPPROTO_TCP, SIOBPF_STICKY_IP, 0, 3);
	key = key_of("172.16.9.9", 1);
	assert_int_equal(dataplane_sticky_put(&test_dp, &key, 2, SIOBPF_SLOT_PROTECTED, dataplane_now() - 30 * SEC),
			 0);
	assert_int_equal(client_entry_get(&key, &entry), 0);

	assert_int_equal(send_error("172.16.9.9", 1), 2);
	assert_int_equal(client_entry_get(&key, &now), 0);
	assert_int_equal(now.slot, entry.slot);
	/* the client's own packet does refresh it */
	assert_int_equal(send_data("172.16.9.9", 1), 2);
	assert_int_equal(client_entry_get(&key, &now), 0);
	assert_true(now.remaining > entry.remaining + 400);
}

/* An expired entry, or one for a backend that is down, is not followed and
 * not replaced: the error takes the ring's backend and the entry stays. */
static void error_does_not_replace_a_dead_entry(void **state)
{
	for (int down = 0; down <= 1; down++) {
		struct siobpf_sticky_key key;
		struct client_slot entry, now;
		char c[64];
		int ring = 2;

		assert_int_equal(harness_reset(state), 0);
		setup_vip("10.0.0.100", 80, IPPROTO_TCP, SIOBPF_STICKY_IP, 0, 3);
		if (down) {
			backend_set_state(&vip, 2, SIOBPF_BACKEND_DOWN);
			ring_rebuild(&vip);
		}
		/* a client the ring does not send to backend 2 */
		for (int i = 0; ring == 2 && i < CLIENTS; i++) {
			client_addr(i, c, sizeof(c));
			ring = send_error(c, 1);
		}
		assert_true(ring == 1 || ring == 3);
		key = key_of(c, 1);
		assert_int_equal(dataplane_sticky_put(&test_dp, &key, 2, SIOBPF_SLOT_PROTECTED,
						      dataplane_now() - (down ? 0 : 601 * SEC)),
				 0);
		assert_int_equal(client_entry_get(&key, &entry), 0);
		assert_false(entry.live);

		assert_int_equal(send_error(c, 1), ring);
		assert_int_equal(client_entry_get(&key, &now), 0);
		assert_int_equal(now.slot, entry.slot);
	}
}

/* In ip-port mode the key is the quoted client port: each connection's
 * error reaches that connection's backend, by the ring before any entry
 * and by the entry after. */
static void ip_port_vip_keys_on_the_quoted_client_port(void **state)
{
	int by_port[CLIENTS], used[BACKENDS + 1] = {0}, spread = 0;

	assert_int_equal(harness_reset(state), 0);
	setup_vip("10.0.0.200", 80, IPPROTO_TCP, SIOBPF_STICKY_IP_PORT, 0, 3);
	for (int i = 0; i < CLIENTS; i++) {
		by_port[i] = send_error("172.16.0.1", (__u16)(30000 + i));
		assert_true(by_port[i] >= 1);
		used[by_port[i]]++;
	}
	for (int b = 1; b <= BACKENDS; b++)
		spread += used[b] > 0;
	assert_true(spread > 1);
	assert_int_equal(sticky_count(), 0);
	for (int i = 0; i < CLIENTS; i++)
		assert_int_equal(send_data("172.16.0.1", (__u16)(30000 + i)), by_port[i]);

	/* now only the entries can lead to the drained backend */
	backend_set_state(&vip, (__u32)by_port[0], SIOBPF_BACKEND_DRAIN);
	ring_rebuild(&vip);
	for (int i = 0; i < CLIENTS; i++)
		assert_int_equal(send_error("172.16.0.1", (__u16)(30000 + i)), by_port[i]);
	assert_int_equal(sticky_count(), CLIENTS);
}

/* With a /24 prefix, an error about any address of the network goes to
 * the network's entry. */
static void prefix_vip_keys_on_the_clients_network(void **state)
{
	int first;

	assert_int_equal(harness_reset(state), 0);
	setup_vip("10.0.0.100", 80, IPPROTO_TCP, SIOBPF_STICKY_IP, 24, 3);
	first = send_data("198.18.5.10", 1);
	assert_true(first >= 1);
	backend_set_state(&vip, (__u32)first, SIOBPF_BACKEND_DRAIN);
	ring_rebuild(&vip);
	assert_int_equal(send_error("198.18.5.77", 2), first);
	assert_int_equal(send_error("198.18.5.10", 1), first);
	assert_int_not_equal(send_error("198.18.6.10", 1), first);
}

/* Nothing in service: dropped and counted, as a client's packet would be. */
static void no_backend_in_service_drops(void **state)
{
	assert_int_equal(harness_reset(state), 0);
	setup_vip("10.0.0.100", 80, IPPROTO_TCP, SIOBPF_STICKY_IP, 0, 2);
	assert_true(send_data("172.16.0.1", 1) >= 1);
	backend_set_state(&vip, 1, SIOBPF_BACKEND_DOWN);
	backend_set_state(&vip, 2, SIOBPF_BACKEND_DOWN);
	ring_rebuild(&vip);
	assert_int_equal(send_error("172.16.0.1", 1), -1); /* had an entry */
	assert_int_equal(send_error("172.16.0.2", 1), -1); /* had none */
	assert_int_equal(reason_count(SIOBPF_R_DROP_NO_BACKEND), 2);
	assert_int_equal(reason_count(SIOBPF_R_PASS_ICMP), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(frag_needed_goes_to_the_clients_entry),
		cmocka_unit_test(packet_too_big_goes_to_the_clients_entry),
		cmocka_unit_test(frag_needed_without_entry_goes_to_the_ring),
		cmocka_unit_test(packet_too_big_without_entry_goes_to_the_ring),
		cmocka_unit_test(error_does_not_refresh_an_entry),
		cmocka_unit_test(error_does_not_replace_a_dead_entry),
		cmocka_unit_test(ip_port_vip_keys_on_the_quoted_client_port),
		cmocka_unit_test(prefix_vip_keys_on_the_clients_network),
		cmocka_unit_test(no_backend_in_service_drops),
	};

	return cmocka_run_group_tests_name("icmp", tests, harness_setup, harness_teardown);
}
