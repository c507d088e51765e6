// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* siobpf run: probe deadlines, and the scan that starts the probes due. */
#include <string.h>

#include "cli.h"
#include "refresh.h"
#include "run.h"
#include "schedule.h"
#include "transitions.h"

/* siobpf_probe_lag_max_seconds covers this window and the one before. */
#define LAG_WINDOW_NS (10 * NS_PER_SEC)

/* A backend's first deadline: spread over the interval by id, so that many
 * backends do not all connect in the same millisecond. */
__u64 first_due(__u32 id, __u32 interval_ms, __u64 now)
{
	return now + (__u64)((id * 2654435761u) % (interval_ms ? interval_ms : 1)) * NS_PER_MS;
}

static void lag_note(struct daemon *d, __u64 now, __u64 lag)
{
	__u64 window = now / LAG_WINDOW_NS;

	if (window != d->lag_window) {
		d->lag_max_ns[1] = window == d->lag_window + 1 ? d->lag_max_ns[0] : 0;
		d->lag_max_ns[0] = 0;
		d->lag_window = window;
	}
	if (lag > d->lag_max_ns[0])
		d->lag_max_ns[0] = lag;
	d->lag_sum_ns += lag;
}

/* Starts every probe whose deadline has come; returns the next deadline.
 * A deadline moves by whole intervals on its own grid (sched_next), never
 * by "now + interval", so probe rounds do not drift however long probes,
 * map reads or state changes take. */
__u64 schedule_scan(struct run *r, __u64 now)
{
	struct daemon *d = &r->d;
	__u64 next = now + REFRESH_MAX_MS * NS_PER_MS;

	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < d->nids; i++) {
		__u32 id = d->ids[i];
		struct target *t = &d->targets[id];
		__u64 skipped = 0;
		int err;

		if (!t->present)
			continue; /* dropped by a state change in this pass */
		if (t->due_ns > now) {
			if (t->due_ns < next)
				next = t->due_ns;
			continue;
		}
		if (t->probe)
			continue; /* still in flight: starts when it ends, on its old deadline */
		lag_note(d, now, now - t->due_ns);
		t->due_ns = sched_next(t->due_ns, (__u64)t->s.interval_ms * NS_PER_MS, now, &skipped);
		d->deadlines_missed += skipped;
		if (skipped)
			pr_debug("probes of backend %s (VIP %s) fell %llu interval(s) behind", t->addr_text,
				 t->vip_text, (unsigned long long)skipped);
		if (t->due_ns < next)
			next = t->due_ns;
		neigh_refresh(r, id);
		if (t->s.kind == SIOBPF_PROBE_NONE) {
			/* No probe: a backend it had taken down is the operator's again. */
			if (t->b.state == SIOBPF_BACKEND_DOWN && (t->b.flags & SIOBPF_BACKEND_F_PROBE_DOWN))
				backend_change(r, id, CHANGE_UP, NULL, "probe set to none");
			continue;
		}
		if (t->path_refused[0]) {
			struct probe_result res = {.ok = false};

			snprintf(res.reason, sizeof(res.reason), "%s", t->path_refused);
			probe_verdict(r, t, &res);
			continue;
		}
		err = probe_start(r->pe, &t->probe, t->b.family, t->b.addr, &t->s, t);
		if (err)
			pr_warn("cannot start the probe of backend %s: %s", t->addr_text, strerror(-err));
		else
			d->probes_started++;
	}
	pthread_mutex_unlock(&d->lock);
	return next;
}
