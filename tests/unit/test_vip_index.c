// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The VIP index build (user/core/vip_table.c): where each key lands, and what
 * happens when a key's probe window is full. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "siobpf/hash.h"
#include "vip_table.h"

#define MASK (SIOBPF_VIP_INDEX_SLOTS - 1)

static struct siobpf_vip_slot slots[SIOBPF_VIP_INDEX_SLOTS];

static struct siobpf_vip_key key4(__u32 host_addr, __u16 port)
{
	struct siobpf_vip_key k = {.port = htons(port), .proto = IPPROTO_TCP,
				   .family = SIOBPF_FAMILY_IPV4};

	k.addr[0] = htonl(host_addr);
	return k;
}

/* n VIP keys (10.x.y.z:80/tcp) whose home slot is `home`. */
static void keys_with_home(__u32 home, size_t n, struct siobpf_vip_key *keys)
{
	size_t found = 0;

	for (__u32 a = 0x0a000001; found < n; a++) {
		struct siobpf_vip_key k = key4(a, 80);

		if (siobpf_vip_index_home(&k) == home)
			keys[found++] = k;
	}
}

static ssize_t slot_of(const struct siobpf_vip_key *key)
{
	for (size_t i = 0; i < SIOBPF_VIP_INDEX_SLOTS; i++)
		if (slots[i].key.family && !memcmp(&slots[i].key, key, sizeof(*key)))
			return (ssize_t)i;
	return -1;
}

static void vips_for(struct siobpf_vip *vips, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vips[i] = (struct siobpf_vip){.id = (__u32)i, .persist_sec = 600 + (__u32)i};
}

static void each_key_takes_the_first_free_slot_of_its_window(void **state)
{
	struct siobpf_vip_key keys[400];
	struct siobpf_vip vips[400];

	(void)state;
	for (size_t i = 0; i < 400; i++) /* VIPs and ports an operator might use */
		keys[i] = key4(0x0a4d6401 + (__u32)(i / 4), (__u16)(80 + 363 * (i % 4)));
	vips_for(vips, 400);
	assert_int_equal(vip_index_fill(slots, keys, vips, 400), 0);
	for (size_t i = 0; i < 400; i++) {
		__u32 home = siobpf_vip_index_home(&keys[i]);
		ssize_t at = slot_of(&keys[i]);
		__u32 dist;

		assert_true(at >= 0);
		dist = ((__u32)at - home) & MASK;
		assert_true(dist < SIOBPF_VIP_INDEX_PROBES);
		/* Every slot before it in the window was taken when it came. */
		for (__u32 d = 0; d < dist; d++)
			assert_int_not_equal(slots[(home + d) & MASK].key.family, 0);
		assert_int_equal(slots[at].vip.id, vips[i].id);
		assert_int_equal(slots[at].vip.persist_sec, vips[i].persist_sec);
	}
}

static void a_full_window_leaves_the_last_key_to_the_table(void **state)
{
	struct siobpf_vip_key keys[SIOBPF_VIP_INDEX_PROBES + 1];
	struct siobpf_vip vips[SIOBPF_VIP_INDEX_PROBES + 1];
	const __u32 home = 100;

	(void)state;
	keys_with_home(home, SIOBPF_VIP_INDEX_PROBES + 1, keys);
	vips_for(vips, SIOBPF_VIP_INDEX_PROBES + 1);
	assert_int_equal(vip_index_fill(slots, keys, vips, SIOBPF_VIP_INDEX_PROBES + 1), 1);
	for (__u32 i = 0; i < SIOBPF_VIP_INDEX_PROBES; i++)
		assert_int_equal(slot_of(&keys[i]), home + i);
	assert_int_equal(slot_of(&keys[SIOBPF_VIP_INDEX_PROBES]), -1);
}

static void a_window_wraps_past_the_last_slot(void **state)
{
	struct siobpf_vip_key keys[3];
	struct siobpf_vip vips[3];

	(void)state;
	keys_with_home(MASK, 3, keys);
	vips_for(vips, 3);
	assert_int_equal(vip_index_fill(slots, keys, vips, 3), 0);
	assert_int_equal(slot_of(&keys[0]), MASK);
	assert_int_equal(slot_of(&keys[1]), 0);
	assert_int_equal(slot_of(&keys[2]), 1);
}

static void no_keys_leave_every_slot_empty(void **state)
{
	(void)state;
	memset(slots, 0xff, sizeof(slots));
	assert_int_equal(vip_index_fill(slots, NULL, NULL, 0), 0);
	for (size_t i = 0; i < SIOBPF_VIP_INDEX_SLOTS; i++)
		assert_int_equal(slots[i].key.family, 0);
}

/* IPv4 and IPv6 keys that differ only in port or protocol get homes of
 * their own, so a VIP's ports do not crowd one window. */
static void ports_and_protocols_spread_over_slots(void **state)
{
	struct siobpf_vip_key k = key4(0x0a4d6401, 80);
	__u32 homes[4];

	(void)state;
	homes[0] = siobpf_vip_index_home(&k);
	k.port = htons(443);
	homes[1] = siobpf_vip_index_home(&k);
	k.proto = IPPROTO_UDP;
	homes[2] = siobpf_vip_index_home(&k);
	k.port = 0; /* the address entry */
	homes[3] = siobpf_vip_index_home(&k);
	for (int i = 0; i < 4; i++)
		for (int j = i + 1; j < 4; j++)
			assert_int_not_equal(homes[i], homes[j]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_key_takes_the_first_free_slot_of_its_window),
		cmocka_unit_test(a_full_window_leaves_the_last_key_to_the_table),
		cmocka_unit_test(a_window_wraps_past_the_last_slot),
		cmocka_unit_test(no_keys_leave_every_slot_empty),
		cmocka_unit_test(ports_and_protocols_spread_over_slots),
	};

	return cmocka_run_group_tests_name("vip_index", tests, NULL, NULL);
}
