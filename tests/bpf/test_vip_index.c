// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The program's VIP index under BPF_PROG_TEST_RUN: VIPs found through it,
 * through the VIP table when a probe window is full, and only once
 * published. Each test starts from a freshly loaded program. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/in.h>

#include <cmocka.h>

#include <bpf/bpf.h>

#include "siobpf/hash.h"
#include "harness.h"

#define CROWD (SIOBPF_VIP_INDEX_PROBES + 1)

/* Text addresses 10.x.y.z whose port-80 TCP key has the given home slot. */
static void addrs_with_home(__u32 home, int n, char out[][INET_ADDRSTRLEN])
{
	int found = 0;

	for (__u32 a = 0x0a000001; found < n; a++) {
		struct siobpf_vip_key k = {.port = htons(80), .proto = IPPROTO_TCP,
					   .family = SIOBPF_FAMILY_IPV4};

		k.addr[0] = htonl(a);
		if (siobpf_vip_index_home(&k) == home)
			inet_ntop(AF_INET, k.addr, out[found++], INET_ADDRSTRLEN);
	}
}

/* A VIP with one backend whose id is vip_id + 1. */
static struct siobpf_vip vip_with_backend(const char *addr, __u32 vip_id)
{
	struct siobpf_vip vip;
	char be[32];

	vip_add(&(struct vip_spec){.addr = addr, .port = 80, .id = vip_id}, &vip);
	snprintf(be, sizeof(be), "10.200.0.%u", vip_id + 1);
	backend_add(&vip, vip_id + 1, be, 1);
	ring_rebuild(&vip);
	return vip;
}

static int send_to(const char *dst)
{
	struct pkt_spec spec = {.src = "172.16.0.1", .dst = dst, .sport = 40000, .dport = 80};
	struct run_result res;
	struct pkt p;

	pkt_build(&p, &spec);
	assert_int_equal(run_prog(&test_dp, &p, &res), 0);
	return res.action == XDP_PASS ? -1 : chosen_backend(&res);
}

/* Nine VIPs share one home slot: eight fill the window, the ninth is found
 * in the VIP table; an address with the same home that is no VIP passes. */
static void a_full_window_still_finds_every_vip(void **state)
{
	char addrs[CROWD + 1][INET_ADDRSTRLEN];
	__u64 not_vip;

	assert_int_equal(harness_reset(state), 0);
	addrs_with_home(321, CROWD + 1, addrs);
	for (__u32 i = 0; i < CROWD; i++)
		vip_with_backend(addrs[i], i);
	for (__u32 i = 0; i < CROWD; i++)
		assert_int_equal(send_to(addrs[i]), (int)i + 1);
	not_vip = reason_count(SIOBPF_R_PASS_NOT_VIP);
	assert_int_equal(send_to(addrs[CROWD]), -1);
	assert_int_equal(reason_count(SIOBPF_R_PASS_NOT_VIP), not_vip + 1);
}

/* The program reads the published index: a VIP only in the VIP table is
 * not served until the table is published. */
static void a_vip_is_served_once_published(void **state)
{
	struct siobpf_vip_key key = {.port = htons(80), .proto = IPPROTO_TCP,
				     .family = SIOBPF_FAMILY_IPV4};
	struct siobpf_vip vip;

	assert_int_equal(harness_reset(state), 0);
	vip = vip_with_backend("10.0.0.100", 3);
	vip.id = 4;
	backend_add(&vip, 5, "10.200.0.5", 1);
	ring_rebuild(&vip);
	inet_pton(AF_INET, "10.0.0.101", key.addr);
	assert_int_equal(dataplane_vip_put(&test_dp, &key, &vip), 0);
	assert_int_equal(send_to("10.0.0.101"), -1);
	assert_int_equal(send_to("10.0.0.100"), 4);
	assert_int_equal(dataplane_vips_publish(&test_dp), 0);
	assert_int_equal(send_to("10.0.0.101"), 5);
}

/* A VIP deleted from the table and published is gone from the index. */
static void a_deleted_vip_leaves_the_index(void **state)
{
	struct siobpf_vip_key key = {.port = htons(80), .proto = IPPROTO_TCP,
				     .family = SIOBPF_FAMILY_IPV4};

	assert_int_equal(harness_reset(state), 0);
	vip_with_backend("10.0.0.100", 3);
	assert_int_equal(send_to("10.0.0.100"), 4);
	inet_pton(AF_INET, "10.0.0.100", key.addr);
	assert_int_equal(bpf_map_delete_elem(test_dp.vips_fd, &key), 0);
	assert_int_equal(dataplane_vips_publish(&test_dp), 0);
	assert_int_equal(send_to("10.0.0.100"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_full_window_still_finds_every_vip),
		cmocka_unit_test(a_vip_is_served_once_published),
		cmocka_unit_test(a_deleted_vip_leaves_the_index),
	};

	return cmocka_run_group_tests_name("vip_index", tests, harness_setup, harness_teardown);
}
