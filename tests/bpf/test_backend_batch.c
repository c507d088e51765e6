// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* state_backends_update_batch on the loaded program's maps: several
 * backends of a VIP change with one ring rebuild, and the records and ring
 * end as the same changes made one by one leave them. Each test starts from
 * a freshly loaded program. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "state.h"

#define VIP_ID 3
#define OTHER_VIP_ID 4
#define BACKENDS 6

static struct vip_entry vip, other;

/* VIP 10.0.0.100:80/tcp with backends 1..BACKENDS, the last one down; VIP
 * 10.0.0.101:80/tcp with backend BACKENDS + 1. */
static void setup_vips(void)
{
	memset(&vip, 0, sizeof(vip));
	memset(&other, 0, sizeof(other));
	vip_add(&(struct vip_spec){.addr = "10.0.0.100", .port = 80, .id = VIP_ID, .seed = 42}, &vip.vip);
	vip_add(&(struct vip_spec){.addr = "10.0.0.101", .port = 80, .id = OTHER_VIP_ID, .seed = 7},
		&other.vip);
	for (__u32 id = 1; id <= BACKENDS; id++) {
		char addr[32];

		snprintf(addr, sizeof(addr), "10.0.1.%u", id);
		backend_add(&vip.vip, id, addr, 1);
	}
	backend_set_state(&vip.vip, BACKENDS, SIOBPF_BACKEND_DOWN);
	backend_add(&other.vip, BACKENDS + 1, "10.0.2.1", 1);
	ring_rebuild(&vip.vip);
	ring_rebuild(&other.vip);
}

static struct backend_entry changed(__u32 id, __u8 state)
{
	struct backend_entry e = {.id = id};

	assert_int_equal(dataplane_backend_get(&test_dp, id, &e.b), 0);
	e.b.state = state;
	if (state == SIOBPF_BACKEND_DOWN)
		e.b.flags |= SIOBPF_BACKEND_F_PROBE_DOWN;
	else
		e.b.flags &= (__u8)~SIOBPF_BACKEND_F_PROBE_DOWN;
	return e;
}

/* Two backends go down and one comes up: 1 and 2 leave, BACKENDS joins. */
static void the_changes(struct backend_entry e[3])
{
	e[0] = changed(1, SIOBPF_BACKEND_DOWN);
	e[1] = changed(2, SIOBPF_BACKEND_DOWN);
	e[2] = changed(BACKENDS, SIOBPF_BACKEND_UP);
}

static __u32 *ring_of(__u32 vip_id)
{
	__u32 *ring = malloc(SIOBPF_RING_SIZE * sizeof(*ring));

	assert_non_null(ring);
	assert_int_equal(dataplane_ring_read(&test_dp, vip_id, ring), 0);
	return ring;
}

static size_t slots_of(const __u32 *ring, __u32 id)
{
	size_t n = 0;

	for (__u32 i = 0; i < SIOBPF_RING_SIZE; i++)
		n += ring[i] == id;
	return n;
}

static void batch_leaves_records_and_ring_as_one_by_one_changes_do(void **state)
{
	struct backend_entry e[3];
	struct siobpf_backend got;
	__u32 *batched, *single;

	assert_int_equal(harness_reset(state), 0);
	setup_vips();
	the_changes(e);
	assert_int_equal(state_backends_update_batch(&test_dp, &vip, e, 3), 0);
	batched = ring_of(VIP_ID);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(dataplane_backend_get(&test_dp, e[i].id, &got), 0);
		assert_memory_equal(&got, &e[i].b, sizeof(got));
	}
	/* the ring names only the backends up after the batch */
	assert_int_equal(slots_of(batched, 1), 0);
	assert_int_equal(slots_of(batched, 2), 0);
	for (__u32 id = 3; id <= BACKENDS; id++)
		assert_true(slots_of(batched, id) > SIOBPF_RING_SIZE / (BACKENDS - 2) / 2);

	assert_int_equal(harness_reset(state), 0);
	setup_vips();
	the_changes(e);
	for (int i = 0; i < 3; i++)
		assert_int_equal(state_backend_update(&test_dp, &vip, &e[i]), 0);
	single = ring_of(VIP_ID);
	assert_memory_equal(batched, single, SIOBPF_RING_SIZE * sizeof(*single));
	free(batched);
	free(single);
}

static void batch_leaves_another_vips_ring_alone(void **state)
{
	struct backend_entry e[3];
	__u32 *before, *after;

	assert_int_equal(harness_reset(state), 0);
	setup_vips();
	before = ring_of(OTHER_VIP_ID);
	the_changes(e);
	assert_int_equal(state_backends_update_batch(&test_dp, &vip, e, 3), 0);
	after = ring_of(OTHER_VIP_ID);
	assert_memory_equal(before, after, SIOBPF_RING_SIZE * sizeof(*after));
	assert_int_equal(slots_of(after, BACKENDS + 1), SIOBPF_RING_SIZE);
	free(before);
	free(after);
}

/* refused: the ring and every record stay as they were. */
static void expect_refused(struct backend_entry *e, size_t n)
{
	struct siobpf_backend records[BACKENDS + 2], got;
	__u32 *before = ring_of(VIP_ID), *after;

	for (__u32 id = 1; id <= BACKENDS + 1; id++)
		assert_int_equal(dataplane_backend_get(&test_dp, id, &records[id]), 0);
	assert_int_equal(state_backends_update_batch(&test_dp, &vip, e, n), -EINVAL);
	after = ring_of(VIP_ID);
	assert_memory_equal(before, after, SIOBPF_RING_SIZE * sizeof(*after));
	for (__u32 id = 1; id <= BACKENDS + 1; id++) {
		assert_int_equal(dataplane_backend_get(&test_dp, id, &got), 0);
		assert_memory_equal(&got, &records[id], sizeof(got));
	}
	free(before);
	free(after);
}

static void batch_naming_a_backend_twice_changes_nothing(void **state)
{
	struct backend_entry e[3];

	assert_int_equal(harness_reset(state), 0);
	setup_vips();
	the_changes(e);
	e[2] = changed(1, SIOBPF_BACKEND_UP);
	expect_refused(e, 3);
}

static void batch_naming_another_vips_backend_changes_nothing(void **state)
{
	struct backend_entry e[3];

	assert_int_equal(harness_reset(state), 0);
	setup_vips();
	the_changes(e);
	e[2] = changed(BACKENDS + 1, SIOBPF_BACKEND_DOWN);
	expect_refused(e, 3);
}

static void empty_batch_changes_nothing(void **state)
{
	__u32 *before, *after;

	assert_int_equal(harness_reset(state), 0);
	setup_vips();
	before = ring_of(VIP_ID);
	assert_int_equal(state_backends_update_batch(&test_dp, &vip, NULL, 0), 0);
	after = ring_of(VIP_ID);
	assert_memory_equal(before, after, SIOBPF_RING_SIZE * sizeof(*after));
	free(before);
	free(after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(batch_leaves_records_and_ring_as_one_by_one_changes_do),
		cmocka_unit_test(batch_leaves_another_vips_ring_alone),
		cmocka_unit_test(batch_naming_a_backend_twice_changes_nothing),
		cmocka_unit_test(batch_naming_another_vips_backend_changes_nothing),
		cmocka_unit_test(empty_batch_changes_nothing),
	};

	return cmocka_run_group_tests_name("backend_batch", tests, harness_setup, harness_teardown);
}
