/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The daemon's pure rules, apart from any I/O so that unit tests pin them
 * down: when probe results change a backend's state (HAProxy's rise and
 * fall), when a drain ends, and when the next probe is due (absolute
 * deadlines). */
#ifndef SIOBPF_HEALTH_H
#define SIOBPF_HEALTH_H

#include <stdbool.h>
#include <linux/types.h>

struct health {
	unsigned int ok_streak;   /* consecutive passed probes */
	unsigned int fail_streak; /* consecutive failed probes */
	bool healthy;             /* the verdict, with rise/fall hysteresis */
};

enum health_action {
	HEALTH_STAY = 0,
	HEALTH_TAKE_DOWN, /* up or drain, failed `fall` times: down, marked as the probe's doing */
	HEALTH_BRING_UP,  /* down by the probe, passed `rise` times: back to up, or to drain */
};

/* A fresh record for a backend in `state` with `flags` (a backend the probe
 * took down starts unhealthy, any other healthy). */
void health_init(struct health *h, __u8 state, __u8 flags);

/* Counts one probe result and says what to do. An up or draining backend
 * is taken down (a drained one's clients must not be black-holed), and
 * only one the probe took down is brought back: an operator's down is
 * never overridden (h->healthy still follows the probe). */
enum health_action health_step(struct health *h, bool ok, __u8 state, __u8 flags, unsigned int rise,
			       unsigned int fall);

/* The state and flags an action leaves: taken down, a backend is marked
 * SIOBPF_BACKEND_F_PROBE_DOWN, and SIOBPF_BACKEND_F_DRAINED too when it was
 * draining; brought back, it returns to drain if it was draining, else up
 * (and forgets its drain's SIOBPF_BACKEND_F_DRAIN_SEEN), and both marks go.
 * HEALTH_STAY changes nothing. */
void health_apply(enum health_action a, __u8 *state, __u8 *flags);

enum drain_end {
	DRAIN_GOES_ON = 0,
	DRAIN_CLIENTS_SEEN, /* drain with live clients, not marked yet: mark it DRAIN_SEEN */
	DRAIN_EMPTY,        /* drain marked DRAIN_SEEN, and its last live client is gone */
	DRAIN_DEADLINE,     /* draining, and its --drain-timeout deadline passed */
};

/* Whether a drain is over. A drain ends (the backend goes down, as the
 * operator's, since the operator asked for the drain) when the backend in
 * drain, once seen with live sticky clients (SIOBPF_BACKEND_F_DRAIN_SEEN),
 * has none left, or when its deadline (CLOCK_REALTIME seconds, 0: none) has
 * passed while it drains, also while its probe holds it down (it would
 * recover to drain). A drain that never had a client (a standby) waits for
 * its deadline or the operator. Any other state has no drain. */
enum drain_end drain_check(__u8 state, __u8 flags, __u32 clients, __u64 deadline, __u64 now_sec);

/* The deadline after the one being served (due <= now): due + interval, or,
 * when the daemon fell behind, the first later point of the same grid
 * (due + k * interval > now), so the schedule keeps its phase and never
 * drifts. *skipped (may be NULL) counts the points passed over. */
__u64 sched_next(__u64 due, __u64 interval, __u64 now, __u64 *skipped);

#endif /* SIOBPF_HEALTH_H */
