// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Probe results to state changes, and probe deadlines; see health.h. */
#include "siobpf/abi.h"
#include "health.h"
#include "probe_settings.h"

void health_init(struct health *h, __u8 state, __u8 flags)
{
	h->ok_streak = 0;
	h->fail_streak = 0;
	h->healthy = !(state == SIOBPF_BACKEND_DOWN && (flags & SIOBPF_BACKEND_F_PROBE_DOWN));
}

enum health_action health_step(struct health *h, bool ok, __u8 state, __u8 flags, unsigned int rise,
			       unsigned int fall)
{
	if (ok) {
		h->fail_streak = 0;
		if (h->ok_streak < 1000000)
			h->ok_streak++;
		if (h->ok_streak >= rise)
			h->healthy = true;
	} else {
		h->ok_streak = 0;
		if (h->fail_streak < 1000000)
			h->fail_streak++;
		if (h->fail_streak >= fall)
			h->healthy = false;
	}
	if (!ok && (state == SIOBPF_BACKEND_UP || state == SIOBPF_BACKEND_DRAIN) && h->fail_streak >= fall)
		return HEALTH_TAKE_DOWN;
	if (ok && state == SIOBPF_BACKEND_DOWN && (flags & SIOBPF_BACKEND_F_PROBE_DOWN) &&
	    h->ok_streak >= rise)
		return HEALTH_BRING_UP;
	return HEALTH_STAY;
}

void health_apply(enum health_action a, __u8 *state, __u8 *flags)
{
	if (a == HEALTH_TAKE_DOWN) {
		*flags |= SIOBPF_BACKEND_F_PROBE_DOWN;
		if (*state == SIOBPF_BACKEND_DRAIN)
			*flags |= SIOBPF_BACKEND_F_DRAINED;
		else
			*flags &= (__u8)~SIOBPF_BACKEND_F_DRAINED;
		*state = SIOBPF_BACKEND_DOWN;
	} else if (a == HEALTH_BRING_UP) {
		*state = (*flags & SIOBPF_BACKEND_F_DRAINED) ? SIOBPF_BACKEND_DRAIN : SIOBPF_BACKEND_UP;
		*flags &= (__u8)~(SIOBPF_BACKEND_F_PROBE_DOWN | SIOBPF_BACKEND_F_DRAINED);
		if (*state == SIOBPF_BACKEND_UP)
			*flags &= (__u8)~SIOBPF_BACKEND_F_DRAIN_SEEN;
	}
}

enum drain_end drain_check(__u8 state, __u8 flags, __u32 clients, __u64 deadline, __u64 now_sec)
{
	if (!backend_draining(state, flags))
		return DRAIN_GOES_ON;
	if (deadline && now_sec >= deadline)
		return DRAIN_DEADLINE;
	if (state != SIOBPF_BACKEND_DRAIN)
		return DRAIN_GOES_ON;
	if (clients && !(flags & SIOBPF_BACKEND_F_DRAIN_SEEN))
		return DRAIN_CLIENTS_SEEN;
	if (!clients && (flags & SIOBPF_BACKEND_F_DRAIN_SEEN))
		return DRAIN_EMPTY;
	return DRAIN_GOES_ON;
}

__u64 sched_next(__u64 due, __u64 interval, __u64 now, __u64 *skipped)
{
	__u64 next = due + interval, k = 0;

	if (interval && next <= now) {
		k = (now - next) / interval + 1;
		next += k * interval;
	}
	if (skipped)
		*skipped = k;
	return next;
}
