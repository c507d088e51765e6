// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The daemon's rules (user/daemon/health.c, user/config/probe_settings.c): rise and fall,
 * the operator's states, draining backends and the end of a drain, absolute
 * probe deadlines, and a backend's probe settings merged with its VIP's. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "health.h"
#include "probe.h"
#include "probe_settings.h"

#define UP SIOBPF_BACKEND_UP
#define DRAIN SIOBPF_BACKEND_DRAIN
#define DOWN SIOBPF_BACKEND_DOWN
#define PROBE_DOWN SIOBPF_BACKEND_F_PROBE_DOWN
#define DRAINED SIOBPF_BACKEND_F_DRAINED
#define SEEN SIOBPF_BACKEND_F_DRAIN_SEEN

static void test_up_backend_goes_down_after_exactly_fall_failures(void **state)
{
	struct health h;

	(void)state;
	health_init(&h, UP, 0);
	assert_true(h.healthy);
	assert_int_equal(health_step(&h, false, UP, 0, 2, 3), HEALTH_STAY);
	assert_int_equal(health_step(&h, false, UP, 0, 2, 3), HEALTH_STAY);
	assert_int_equal(health_step(&h, false, UP, 0, 2, 3), HEALTH_TAKE_DOWN);
	assert_false(h.healthy);
}

static void test_a_pass_between_failures_restarts_the_count(void **state)
{
	struct health h;

	(void)state;
	health_init(&h, UP, 0);
	health_step(&h, false, UP, 0, 2, 3);
	health_step(&h, false, UP, 0, 2, 3);
	assert_int_equal(health_step(&h, true, UP, 0, 2, 3), HEALTH_STAY);
	assert_int_equal(health_step(&h, false, UP, 0, 2, 3), HEALTH_STAY);
	assert_int_equal(health_step(&h, false, UP, 0, 2, 3), HEALTH_STAY);
	assert_int_equal(health_step(&h, false, UP, 0, 2, 3), HEALTH_TAKE_DOWN);
}

static void test_probe_down_backend_comes_up_after_exactly_rise_passes(void **state)
{
	struct health h;

	(void)state;
	health_init(&h, DOWN, PROBE_DOWN);
	assert_false(h.healthy);
	assert_int_equal(health_step(&h, true, DOWN, PROBE_DOWN, 2, 3), HEALTH_STAY);
	assert_int_equal(health_step(&h, true, DOWN, PROBE_DOWN, 2, 3), HEALTH_BRING_UP);
	assert_true(h.healthy);
}

static void test_operator_down_is_never_overridden(void **state)
{
	struct health h;

	(void)state;
	health_init(&h, DOWN, 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(health_step(&h, true, DOWN, 0, 2, 3), HEALTH_STAY);
	assert_true(h.healthy); /* the verdict follows the probe, the state does not */
}

static void test_drain_backend_goes_down_after_exactly_fall_failures_marked_drained(void **state)
{
	struct health h;
	__u8 st = DRAIN, flags = 0;

	(void)state;
	health_init(&h, DRAIN, 0);
	assert_int_equal(health_step(&h, false, st, flags, 2, 3), HEALTH_STAY);
	assert_int_equal(health_step(&h, false, st, flags, 2, 3), HEALTH_STAY);
	assert_int_equal(health_step(&h, false, st, flags, 2, 3), HEALTH_TAKE_DOWN);
	health_apply(HEALTH_TAKE_DOWN, &st, &flags);
	assert_int_equal(st, DOWN);
	assert_int_equal(flags, PROBE_DOWN | DRAINED);
}

static void test_probe_down_drained_backend_recovers_to_drain_not_up(void **state)
{
	struct health h;
	__u8 st = DOWN, flags = PROBE_DOWN | DRAINED;

	(void)state;
	health_init(&h, st, flags);
	assert_false(h.healthy);
	assert_int_equal(health_step(&h, true, st, flags, 2, 3), HEALTH_STAY);
	assert_int_equal(health_step(&h, true, st, flags, 2, 3), HEALTH_BRING_UP);
	health_apply(HEALTH_BRING_UP, &st, &flags);
	assert_int_equal(st, DRAIN);
	assert_int_equal(flags, 0);
}

static void test_up_backend_taken_down_by_its_probe_recovers_to_up(void **state)
{
	__u8 st = UP, flags = DRAINED; /* a stale mark must not survive */

	(void)state;
	health_apply(HEALTH_TAKE_DOWN, &st, &flags);
	assert_int_equal(st, DOWN);
	assert_int_equal(flags, PROBE_DOWN);
	health_apply(HEALTH_BRING_UP, &st, &flags);
	assert_int_equal(st, UP);
	assert_int_equal(flags, 0);
	health_apply(HEALTH_STAY, &st, &flags);
	assert_int_equal(st, UP);
}

static void test_drain_ends_when_its_last_sticky_client_is_gone(void **state)
{
	(void)state;
	/* Seen with clients first: the daemon marks it. */
	assert_int_equal(drain_check(DRAIN, 0, 3, 0, 1000), DRAIN_CLIENTS_SEEN);
	assert_int_equal(drain_check(DRAIN, SEEN, 3, 0, 1000), DRAIN_GOES_ON);
	assert_int_equal(drain_check(DRAIN, SEEN, 0, 0, 1000), DRAIN_EMPTY);
	/* Held down by its probe it has no live clients; its drain waits for it. */
	assert_int_equal(drain_check(DOWN, PROBE_DOWN | DRAINED | SEEN, 0, 0, 1000), DRAIN_GOES_ON);
}

static void test_drain_that_never_had_a_client_waits_for_its_deadline(void **state)
{
	(void)state;
	assert_int_equal(drain_check(DRAIN, 0, 0, 0, 1000), DRAIN_GOES_ON);
	assert_int_equal(drain_check(DRAIN, 0, 0, 1000, 1000), DRAIN_DEADLINE);
}

static void test_probe_keeps_a_drains_seen_mark_and_up_forgets_it(void **state)
{
	__u8 st = DRAIN, flags = SEEN;

	(void)state;
	health_apply(HEALTH_TAKE_DOWN, &st, &flags);
	assert_int_equal(flags, PROBE_DOWN | DRAINED | SEEN);
	health_apply(HEALTH_BRING_UP, &st, &flags);
	assert_int_equal(st, DRAIN);
	assert_int_equal(flags, SEEN);
	st = UP;
	flags = SEEN; /* left by an old drain */
	health_apply(HEALTH_TAKE_DOWN, &st, &flags);
	health_apply(HEALTH_BRING_UP, &st, &flags);
	assert_int_equal(st, UP);
	assert_int_equal(flags, 0);
}

static void test_drain_ends_at_its_deadline_with_clients_and_while_probe_down(void **state)
{
	(void)state;
	assert_int_equal(drain_check(DRAIN, SEEN, 5, 1001, 1000), DRAIN_GOES_ON);
	assert_int_equal(drain_check(DRAIN, SEEN, 5, 1000, 1000), DRAIN_DEADLINE);
	assert_int_equal(drain_check(DOWN, PROBE_DOWN | DRAINED, 0, 999, 1000), DRAIN_DEADLINE);
}

static void test_no_drain_ends_for_up_operator_down_or_probe_down_from_up(void **state)
{
	(void)state;
	assert_int_equal(drain_check(UP, 0, 0, 1, 1000), DRAIN_GOES_ON);
	assert_int_equal(drain_check(DOWN, 0, 0, 1, 1000), DRAIN_GOES_ON);
	assert_int_equal(drain_check(DOWN, PROBE_DOWN, 0, 1, 1000), DRAIN_GOES_ON);
}

static void test_drain_deadline_counts_by_generation_and_state_not_by_in_use(void **state)
{
	struct siobpf_backend_config c;
	struct siobpf_backend b = {.generation = 7, .state = DRAIN, .in_use = 1};

	(void)state;
	backend_config_init(&c, 7);
	c.in_use = 0; /* no probe override: the deadline must not turn one on */
	c.drain_deadline = 5000;
	assert_int_equal(backend_drain_deadline(&c, &b), 5000);
	assert_false(backend_config_applies(&c, 7));
	b.state = DOWN;
	b.flags = PROBE_DOWN | DRAINED;
	assert_int_equal(backend_drain_deadline(&c, &b), 5000);
	b.flags = 0; /* the operator's down (or the drain's end): no drain, no deadline */
	assert_int_equal(backend_drain_deadline(&c, &b), 0);
	b.state = UP;
	assert_int_equal(backend_drain_deadline(&c, &b), 0);
	b.state = DRAIN;
	b.generation = 8; /* a reused id: the earlier owner's deadline is void */
	assert_int_equal(backend_drain_deadline(&c, &b), 0);
	assert_int_equal(backend_drain_deadline(NULL, &b), 0);
}

static void test_next_deadline_keeps_the_grid_when_on_time(void **state)
{
	__u64 skipped = 99;

	(void)state;
	/* Served 3 ms late: the next deadline is still due + interval. */
	assert_int_equal(sched_next(1000, 200, 1003, &skipped), 1200);
	assert_int_equal(skipped, 0);
	/* A thousand rounds served late by varying amounts never drift. */
	__u64 due = 5000;

	for (int i = 0; i < 1000; i++)
		due = sched_next(due, 200, due + (__u64)(i % 150), NULL);
	assert_int_equal(due, 5000 + 1000 * 200);
}

static void test_next_deadline_skips_whole_missed_intervals_in_phase(void **state)
{
	__u64 skipped = 0;

	(void)state;
	/* Served 2.5 intervals late: two deadlines are skipped, the phase kept. */
	assert_int_equal(sched_next(1000, 200, 1500, &skipped), 1600);
	assert_int_equal(skipped, 2);
	/* Exactly on a later grid point: that point has passed, take the next. */
	assert_int_equal(sched_next(1000, 200, 1400, &skipped), 1600);
	assert_int_equal(skipped, 2);
}

static void vip_of(struct vip_entry *vip)
{
	memset(vip, 0, sizeof(*vip));
	vip->key.family = SIOBPF_FAMILY_IPV4;
	vip->key.port = htons(8080);
	state_vip_defaults(&vip->key, &vip->vip, &vip->cfg);
}

static void test_backend_without_override_gets_the_vips_probe(void **state)
{
	struct probe_settings s;
	struct vip_entry vip;

	(void)state;
	vip_of(&vip);
	probe_settings_resolve(&vip, NULL, &s);
	assert_int_equal(s.kind, SIOBPF_PROBE_TCP);
	assert_int_equal(s.port, 8080);
	assert_int_equal(s.interval_ms, 2000);
	assert_int_equal(s.timeout_ms, 1000);
	assert_int_equal(s.rise, 2);
	assert_int_equal(s.fall, 3);
	assert_string_equal(s.path, "/");
}

static void test_backend_override_replaces_only_its_fields(void **state)
{
	struct siobpf_backend_config own;
	struct probe_settings s;
	struct vip_entry vip;
	char why[160];

	(void)state;
	vip_of(&vip);
	backend_config_init(&own, 7);
	assert_int_equal(backend_probe_setting_parse(&own, "probe", "http", why, sizeof(why)), 0);
	assert_int_equal(backend_probe_setting_parse(&own, "probe-path", "/health", why, sizeof(why)), 0);
	assert_int_equal(backend_probe_setting_parse(&own, "probe-method", "HEAD", why, sizeof(why)), 0);
	assert_int_equal(backend_probe_setting_parse(&own, "fall", "5", why, sizeof(why)), 0);
	assert_int_equal(backend_probe_setting_parse(&own, "rise", "0", why, sizeof(why)), -EINVAL);
	assert_int_equal(backend_probe_setting_parse(&own, "weight", "2", why, sizeof(why)), -ENOENT);
	probe_settings_resolve(&vip, &own, &s);
	assert_int_equal(s.kind, SIOBPF_PROBE_HTTP);
	assert_string_equal(s.path, "/health");
	assert_int_equal(s.method, SIOBPF_METHOD_HEAD);
	assert_int_equal(s.fall, 5);
	assert_int_equal(s.rise, 2);         /* the VIP's */
	assert_int_equal(s.port, 8080);      /* the VIP's */
	assert_int_equal(s.interval_ms, 2000);
	assert_true(backend_config_applies(&own, 7));
	assert_false(backend_config_applies(&own, 8)); /* a reused id: not its override */
}

static void test_socketio_probe_asks_the_engine_io_path_by_default(void **state)
{
	struct probe_settings s;
	struct vip_entry vip;

	(void)state;
	vip_of(&vip);
	vip.cfg.probe = SIOBPF_PROBE_SOCKETIO;
	probe_settings_resolve(&vip, NULL, &s);
	assert_string_equal(s.path, "/socket.io/");
	strcpy(vip.cfg.probe_path, "/chat/");
	probe_settings_resolve(&vip, NULL, &s);
	assert_string_equal(s.path, "/chat/");
}

static void test_override_timeout_above_interval_is_refused(void **state)
{
	struct siobpf_backend_config own;
	struct probe_settings s;
	struct vip_entry vip;
	char why[160];

	(void)state;
	vip_of(&vip);
	vip.cfg.timeout_ms = 1000; /* set on the VIP, not derived */
	backend_config_init(&own, 1);
	backend_probe_setting_parse(&own, "interval", "200", why, sizeof(why));
	probe_settings_resolve(&vip, &own, &s);
	/* The VIP's 1000 ms timeout no longer fits a 200 ms interval. */
	assert_int_equal(probe_settings_check(&s, why, sizeof(why)), -EINVAL);
	backend_probe_setting_parse(&own, "timeout", "100", why, sizeof(why));
	probe_settings_resolve(&vip, &own, &s);
	assert_int_equal(probe_settings_check(&s, why, sizeof(why)), 0);
}

/* libcurl's message is reported as libcurl wrote it; strerror's is lowercased. */
static void test_probe_failure_keeps_libcurls_message_as_is(void **state)
{
	char buf[160];

	(void)state;
	probe_failure_text("URL using bad/illegal format or missing URL", 0, buf, sizeof(buf));
	assert_string_equal(buf, "URL using bad/illegal format or missing URL");
	probe_failure_text("Couldn't connect to server", ECONNREFUSED, buf, sizeof(buf));
	assert_string_equal(buf, "connection refused");
}

/* Resolves vip (with own, or NULL) and asserts the timeout in force, that
 * it passes the check, and whether status would mark it derived. */
static void expect_timeout(const struct vip_entry *vip, const struct siobpf_backend_config *own,
			   unsigned want, bool derived)
{
	struct probe_settings s;
	char why[160], desc[256], shown[48];

	probe_settings_resolve(vip, own, &s);
	probe_settings_format(&s, desc, sizeof(desc));
	snprintf(shown, sizeof(shown), "timeout %ums%s rise", want, derived ? " (derived)" : "");
	if (s.timeout_ms != want || probe_settings_check(&s, why, sizeof(why)) || !strstr(desc, shown))
		fail_msg("interval %u: expected timeout %u ms (%s) that passes; got %u ms, '%s'",
			 s.interval_ms, want, derived ? "derived" : "set", s.timeout_ms, desc);
}

static void test_unset_timeout_is_the_interval_in_force_capped_at_one_second(void **state)
{
	struct siobpf_backend_config own;
	struct vip_entry vip;
	char why[160];

	(void)state;
	vip_of(&vip);
	assert_int_equal(vip.cfg.timeout_ms, 0); /* a new VIP stores no timeout */
	expect_timeout(&vip, NULL, 1000, true);  /* the default 2000 ms interval */
	vip.cfg.interval_ms = 300;
	expect_timeout(&vip, NULL, 300, true);
	vip.cfg.interval_ms = 1000;
	expect_timeout(&vip, NULL, 1000, true);
	vip.cfg.interval_ms = 50;
	expect_timeout(&vip, NULL, 50, true);

	/* A backend's own interval is the one in force for it. */
	vip.cfg.interval_ms = 2000;
	backend_config_init(&own, 1);
	assert_int_equal(backend_probe_setting_parse(&own, "interval", "300", why, sizeof(why)), 0);
	expect_timeout(&vip, &own, 300, true);
	vip.cfg.interval_ms = 200; /* the VIP's shorter interval is not this backend's */
	expect_timeout(&vip, &own, 300, true);
	assert_int_equal(backend_probe_setting_parse(&own, "interval", "5000", why, sizeof(why)), 0);
	expect_timeout(&vip, &own, 1000, true);

	/* A timeout set at either level is kept as it is. */
	vip.cfg.timeout_ms = 150;
	expect_timeout(&vip, NULL, 150, false);
	expect_timeout(&vip, &own, 150, false);
	assert_int_equal(backend_probe_setting_parse(&own, "timeout", "4000", why, sizeof(why)), 0);
	expect_timeout(&vip, &own, 4000, false);
}

static void test_set_timeout_above_the_interval_in_force_names_whose_each_is(void **state)
{
	struct siobpf_backend_config own;
	struct probe_settings s;
	struct vip_entry vip;
	char why[160];

	(void)state;
	/* The backend's --timeout 500 against the VIP's 300 ms interval. */
	vip_of(&vip);
	vip.cfg.interval_ms = 300;
	backend_config_init(&own, 1);
	backend_probe_setting_parse(&own, "timeout", "500", why, sizeof(why));
	probe_settings_resolve(&vip, &own, &s);
	assert_int_equal(probe_settings_check(&s, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "the probe timeout (500 ms, its own) must not exceed the interval (300 ms, its VIP's)");

	/* The VIP's timeout 500 against the backend's --interval 300. */
	vip_of(&vip);
	vip.cfg.timeout_ms = 500;
	backend_config_init(&own, 1);
	backend_probe_setting_parse(&own, "interval", "300", why, sizeof(why));
	probe_settings_resolve(&vip, &own, &s);
	assert_int_equal(probe_settings_check(&s, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "the probe timeout (500 ms, its VIP's) must not exceed the interval (300 ms, its own)");

	/* Both the backend's: no need to say whose. */
	backend_probe_setting_parse(&own, "timeout", "400", why, sizeof(why));
	probe_settings_resolve(&vip, &own, &s);
	assert_int_equal(probe_settings_check(&s, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "the probe timeout (400 ms) must not exceed the interval (300 ms)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_up_backend_goes_down_after_exactly_fall_failures),
		cmocka_unit_test(test_a_pass_between_failures_restarts_the_count),
		cmocka_unit_test(test_probe_down_backend_comes_up_after_exactly_rise_passes),
		cmocka_unit_test(test_operator_down_is_never_overridden),
		cmocka_unit_test(test_drain_backend_goes_down_after_exactly_fall_failures_marked_drained),
		cmocka_unit_test(test_probe_down_drained_backend_recovers_to_drain_not_up),
		cmocka_unit_test(test_up_backend_taken_down_by_its_probe_recovers_to_up),
		cmocka_unit_test(test_drain_ends_when_its_last_sticky_client_is_gone),
		cmocka_unit_test(test_drain_that_never_had_a_client_waits_for_its_deadline),
		cmocka_unit_test(test_probe_keeps_a_drains_seen_mark_and_up_forgets_it),
		cmocka_unit_test(test_drain_ends_at_its_deadline_with_clients_and_while_probe_down),
		cmocka_unit_test(test_no_drain_ends_for_up_operator_down_or_probe_down_from_up),
		cmocka_unit_test(test_drain_deadline_counts_by_generation_and_state_not_by_in_use),
		cmocka_unit_test(test_next_deadline_keeps_the_grid_when_on_time),
		cmocka_unit_test(test_next_deadline_skips_whole_missed_intervals_in_phase),
		cmocka_unit_test(test_backend_without_override_gets_the_vips_probe),
		cmocka_unit_test(test_backend_override_replaces_only_its_fields),
		cmocka_unit_test(test_socketio_probe_asks_the_engine_io_path_by_default),
		cmocka_unit_test(test_override_timeout_above_interval_is_refused),
		cmocka_unit_test(test_probe_failure_keeps_libcurls_message_as_is),
		cmocka_unit_test(test_unset_timeout_is_the_interval_in_force_capped_at_one_second),
		cmocka_unit_test(test_set_timeout_above_the_interval_in_force_names_whose_each_is),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
