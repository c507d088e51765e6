/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The daemon's two pure rules, apart from any I/O so that unit tests pin
 * them down: when probe results change a backend's state (HAProxy's rise
 * and fall), and when the next probe is due (absolute deadlines). */
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
	HEALTH_TAKE_DOWN, /* up, failed `fall` times: down, marked as the probe's doing */
	HEALTH_BRING_UP,  /* down by the probe, passed `rise` times: up */
};

/* A fresh record for a backend in `state` with `flags` (a backend the probe
 * took down starts unhealthy, any other healthy). */
void health_init(struct health *h, __u8 state, __u8 flags);

/* Counts one probe result and says what to do. Only an up backend is taken
 * down, and only one the probe took down is brought up: an operator's drain
 * or down is never overridden (h->healthy still follows the probe). */
enum health_action health_step(struct health *h, bool ok, __u8 state, __u8 flags, unsigned int rise,
			       unsigned int fall);

/* The deadline after the one being served (due <= now): due + interval, or,
 * when the daemon fell behind, the first later point of the same grid
 * (due + k * interval > now), so the schedule keeps its phase and never
 * drifts. *skipped (may be NULL) counts the points passed over. */
__u64 sched_next(__u64 due, __u64 interval, __u64 now, __u64 *skipped);

#endif /* SIOBPF_HEALTH_H */
