// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* siobpf run: probe results into backend state changes, decided under
 * d->lock and written after it, a pass's changes together, under the pin
 * directory's lock and never over an operator's command. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>

#include <net/if.h>

#include "cli.h"
#include "egress.h"
#include "run.h"
#include "transitions.h"

/* How long a state change waits for the pin directory's lock before it is
 * left to the next probe: the loop must not stall behind a long `apply`. */
#define LOCK_WAIT_MS 250

static double wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool operator_held(const struct siobpf_backend *b)
{
	return b->state == SIOBPF_BACKEND_DOWN && !(b->flags & SIOBPF_BACKEND_F_PROBE_DOWN);
}

/* State changes */

static void log_transition(struct target *t, const char *addr_text, const char *vip_text, __u8 from,
			   __u8 to, const char *why)
{
	pr_info("backend %s of VIP %s: %s -> %s (%s)", addr_text, vip_text,
		name_of(state_names, STATE_NAMES, from), name_of(state_names, STATE_NAMES, to), why);
	if (!t)
		return;
	if (to < STATE_NAMES)
		t->transitions[to]++;
	t->last_transition = wall_seconds();
}

/* Takes in a record that someone else changed: logged, counted, and the
 * probe's counting starts again from the new state. */
void adopt_record(struct target *t, const struct siobpf_backend *b)
{
	if (b->state != t->b.state)
		log_transition(t, t->addr_text, t->vip_text, t->b.state, b->state,
			       (b->flags & SIOBPF_BACKEND_F_PROBE_DOWN) ? "another siobpf run's probe"
								       : "set outside the daemon: CLI or configuration");
	if (b->state != t->b.state || b->flags != t->b.flags)
		health_init(&t->h, b->state, b->flags);
	t->b = *b;
}

/* The pin directory's lock (the one every mutating command takes), waited
 * for at most LOCK_WAIT_MS. -EWOULDBLOCK: still busy. */
static int pins_lock_briefly(int *lock_fd)
{
	int fd = open(globals.pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	for (int waited = 0; flock(fd, LOCK_EX | LOCK_NB); waited += 5) {
		if (errno != EWOULDBLOCK || waited >= LOCK_WAIT_MS) {
			int err = errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;

			close(fd);
			return err;
		}
		usleep(5000);
	}
	*lock_fd = fd;
	return 0;
}

/* The drain deadline of backend id cleared; the pin lock held. */
static void drain_deadline_clear(struct run *r, __u32 id, __u32 generation)
{
	int err = backend_drain_deadline_put(&r->d.dp, id, generation, 0);

	if (err)
		pr_warn("clearing the drain deadline of backend id %u failed: %s", id, strerror(-err));
}

int transitions_init(struct run *r)
{
	r->pending = calloc(SIOBPF_MAX_BACKENDS, sizeof(*r->pending));
	r->pending_ids = calloc(SIOBPF_MAX_BACKENDS, sizeof(*r->pending_ids));
	r->batch = calloc(SIOBPF_MAX_BACKENDS, sizeof(*r->batch));
	return r->pending && r->pending_ids && r->batch ? 0 : -ENOMEM;
}

void transitions_free(struct run *r)
{
	free(r->pending);
	free(r->pending_ids);
	free(r->batch);
}

/* Queues a change decided on the target's record as it is now (d->lock
 * held); transitions_apply writes it. A second change of the same backend
 * in one pass joins the first: a state change replaces an earlier one. */
void backend_change(struct run *r, __u32 id, enum change what, const __u8 *mac, const char *why)
{
	struct target *t = &r->d.targets[id];
	struct pending_change *p = &r->pending[id];

	if (!p->queued) {
		memset(p, 0, sizeof(*p));
		p->queued = true;
		p->decided_on = t->b;
		snprintf(p->addr_text, sizeof(p->addr_text), "%s", t->addr_text);
		snprintf(p->vip_text, sizeof(p->vip_text), "%s", t->vip_text);
		r->pending_ids[r->npending++] = id;
	}
	if (what == CHANGE_MAC) {
		p->mac_change = true;
		memcpy(p->mac, mac, sizeof(p->mac));
	} else if (what == CHANGE_DRAIN_SEEN) {
		p->drain_seen = true; /* a mark beside any state change */
	} else {
		p->state_change = true;
		p->what = what;
		snprintf(p->why, sizeof(p->why), "%s", why);
	}
}

void backend_change_egress(struct run *r, __u32 id, __u32 ifindex, const __u8 *src_mac, const __u8 *mac)
{
	struct pending_change *p;

	backend_change(r, id, CHANGE_MAC, mac, NULL);
	p = &r->pending[id];
	p->egress_change = true;
	p->ifindex = ifindex;
	memcpy(p->src_mac, src_mac, sizeof(p->src_mac));
}

/* Whether the target at a queued change's id is still the backend the
 * change was decided for: not dropped, nor its id given to another. */
static bool still_the_target(const struct target *t, const struct pending_change *p)
{
	return t->present && t->b.generation == p->decided_on.generation &&
	       t->b.vip_id == p->decided_on.vip_id;
}

/* The record a queued change makes of cur. */
static struct siobpf_backend changed_record(const struct pending_change *p, const struct siobpf_backend *cur)
{
	struct siobpf_backend next = *cur;

	if (p->drain_seen)
		next.flags |= SIOBPF_BACKEND_F_DRAIN_SEEN;
	if (p->state_change && p->what == CHANGE_UP) {
		health_apply(HEALTH_BRING_UP, &next.state, &next.flags);
	} else if (p->state_change && p->what == CHANGE_DOWN) {
		health_apply(HEALTH_TAKE_DOWN, &next.state, &next.flags);
	} else if (p->state_change && p->what == CHANGE_DRAIN_END) {
		/* The operator's down: the operator asked for the drain. */
		next.state = SIOBPF_BACKEND_DOWN;
		next.flags &= (__u8)~SIOBPF_BACKEND_F_STATE_MARKS;
	}
	if (p->mac_change)
		memcpy(next.mac, p->mac, sizeof(next.mac));
	if (p->egress_change) {
		next.ifindex = p->ifindex;
		memcpy(next.src_mac, p->src_mac, sizeof(next.src_mac));
	}
	return next;
}

/* After the write (err: its outcome): logged, counted, and the target's
 * record updated; d->lock held. */
static void note_written(struct run *r, const struct backend_entry *e, int err)
{
	struct pending_change *p = &r->pending[e->id];
	struct target *t = &r->d.targets[e->id];
	const struct siobpf_backend *prev = &p->prev;

	if (!still_the_target(t, p))
		t = NULL; /* dropped meanwhile: logged, counted nowhere */
	if (err) {
		pr_err("changing backend %s of VIP %s failed: %s; the next probe tries again", p->addr_text,
		       p->vip_text, strerror(-err));
		return;
	}
	if (memcmp(prev->mac, e->b.mac, sizeof(prev->mac))) {
		char old[18], new[18];

		mac_format(prev->mac, old, sizeof(old));
		mac_format(e->b.mac, new, sizeof(new));
		pr_info("backend %s of VIP %s: MAC %s -> %s (neighbour table)", p->addr_text, p->vip_text,
			old, new);
		if (t)
			t->mac_changes++;
	}
	if (prev->ifindex != e->b.ifindex) {
		char old[IF_NAMESIZE] = "?", new[IF_NAMESIZE] = "?", why[400];

		if_indextoname(prev->ifindex, old);
		if_indextoname(e->b.ifindex, new);
		pr_info("backend %s of VIP %s: egress %s -> %s (route change)", p->addr_text, p->vip_text,
			old, new);
		/* Moved all the same (the old route is gone); `status` flags it. */
		if (egress_check(&r->d.dp, e->b.ifindex, why, sizeof(why)))
			pr_warn("backend %s of VIP %s: %s", p->addr_text, p->vip_text, why);
	}
	if (prev->state != e->b.state)
		log_transition(t, p->addr_text, p->vip_text, prev->state, e->b.state, p->why);
	if (t)
		t->b = e->b;
}

/*
 * Writes the queued changes of one VIP's backends, on their records as
 * they are now: a backend removed meanwhile is left to the next refresh,
 * and one whose state the CLI (or anyone) changed since it was read keeps
 * that change, adopted, so that an operator's command is never clobbered.
 * The rest are written together, with one ring rebuild.
 */
static void apply_vip(struct run *r, __u32 vip_id, size_t from)
{
	struct daemon *d = &r->d;
	struct vip_entry vip;
	size_t n = 0;
	bool vip_ok;
	int err;

	vip_ok = !state_vip_find(&d->dp, &d->vips[vip_id].key, &vip) && vip.vip.id == vip_id;
	for (size_t i = from; i < r->npending; i++) {
		__u32 id = r->pending_ids[i];
		struct pending_change *p = &r->pending[id];
		struct siobpf_backend cur, next;

		if (!p->queued || p->decided_on.vip_id != vip_id)
			continue;
		p->queued = false;
		if (!vip_ok || dataplane_backend_get(&d->dp, id, &cur) || !cur.in_use ||
		    cur.generation != p->decided_on.generation || cur.vip_id != vip_id)
			continue; /* removed meanwhile: the next refresh forgets it */
		next = changed_record(p, &cur);
		if (cur.state != p->decided_on.state || cur.flags != p->decided_on.flags ||
		    !memcmp(&next, &cur, sizeof(cur))) {
			pthread_mutex_lock(&d->lock);
			if (still_the_target(&d->targets[id], p))
				adopt_record(&d->targets[id], &cur);
			pthread_mutex_unlock(&d->lock);
			continue;
		}
		p->prev = cur;
		r->batch[n++] = (struct backend_entry){.id = id, .b = next};
	}
	if (!n)
		return;
	err = state_backends_update_batch(&d->dp, &vip, r->batch, n);
	/* The deadline of a drain that ended goes with it (under the pin lock). */
	for (size_t i = 0; !err && i < n; i++) {
		const struct pending_change *p = &r->pending[r->batch[i].id];

		if (p->state_change && p->what == CHANGE_DRAIN_END)
			drain_deadline_clear(r, r->batch[i].id, r->batch[i].b.generation);
	}
	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < n; i++)
		note_written(r, &r->batch[i], err);
	pthread_mutex_unlock(&d->lock);
}

void transitions_apply(struct run *r)
{
	int lock_fd = -1, err;

	if (!r->npending)
		return;
	err = pins_lock_briefly(&lock_fd);
	if (err == -EWOULDBLOCK) {
		/* The probes' verdicts stand: their next results try again. */
		pr_debug("%s is busy (another command holds it): %zu backend change(s) wait for the next probe",
			 globals.pin_dir, r->npending);
	} else if (err) {
		pr_err("cannot lock %s to change %zu backend(s): %s", globals.pin_dir, r->npending,
		       strerror(-err));
	} else {
		for (size_t i = 0; i < r->npending; i++) {
			const struct pending_change *p = &r->pending[r->pending_ids[i]];

			if (p->queued)
				apply_vip(r, p->decided_on.vip_id, i);
		}
		close(lock_fd);
	}
	for (size_t i = 0; i < r->npending; i++)
		r->pending[r->pending_ids[i]].queued = false;
	r->npending = 0;
}

/* Drains that end: their deadline passed, or their last client is gone.
 * clients is indexed by backend id; NULL when the sticky table was not read
 * this tick (then only deadlines are checked). */
void drains_check(struct run *r, const __u32 *clients)
{
	struct timespec ts;
	char why[160];

	clock_gettime(CLOCK_REALTIME, &ts);
	for (size_t i = 0; i < r->d.nids; i++) {
		__u32 id = r->d.ids[i];
		struct target *t = &r->d.targets[id];
		__u64 deadline = backend_drain_deadline(&r->cfgs[id], &t->b);
		/* Not counted this time: deadlines only (a marked drain with a client). */
		enum drain_end end =
			clients ? drain_check(t->b.state, t->b.flags, clients[id], deadline, (__u64)ts.tv_sec)
				: drain_check(t->b.state, t->b.flags | SIOBPF_BACKEND_F_DRAIN_SEEN, 1, deadline,
					      (__u64)ts.tv_sec);

		if (end == DRAIN_DEADLINE)
			snprintf(why, sizeof(why), "drain deadline passed %llu s ago",
				 (unsigned long long)((__u64)ts.tv_sec - deadline));
		else if (end == DRAIN_EMPTY)
			snprintf(why, sizeof(why), "drained: its last sticky client is gone");
		else if (end == DRAIN_CLIENTS_SEEN)
			backend_change(r, id, CHANGE_DRAIN_SEEN, NULL, NULL);
		if (end == DRAIN_DEADLINE || end == DRAIN_EMPTY)
			backend_change(r, id, CHANGE_DRAIN_END, NULL, why);
	}
}

/* Probe results */

void probe_verdict(struct run *r, struct target *t, const struct probe_result *res)
{
	__u32 id = (__u32)(t - r->d.targets);
	enum health_action action;
	bool was_healthy;
	char why[256];

	t->probed = true;
	t->last_ok = res->ok;
	t->last_seconds = res->seconds;
	snprintf(t->last_reason, sizeof(t->last_reason), "%s", res->reason);
	if (res->ok)
		t->probes_ok++;
	else
		t->probes_failed++;
	pr_debug("probe of backend %s (VIP %s): %s in %.3f s: %s", t->addr_text, t->vip_text,
		 res->ok ? "pass" : "fail", res->seconds, res->reason);
	was_healthy = t->h.healthy;
	action = health_step(&t->h, res->ok, t->b.state, t->b.flags, t->s.rise, t->s.fall);
	if (res->ok)
		snprintf(why, sizeof(why), "%u success%s", t->h.ok_streak, t->h.ok_streak == 1 ? "" : "es");
	else
		snprintf(why, sizeof(why), "%u failure%s: %s", t->h.fail_streak,
			 t->h.fail_streak == 1 ? "" : "s", res->reason);
	if (action == HEALTH_TAKE_DOWN)
		backend_change(r, id, CHANGE_DOWN, NULL, why);
	else if (action == HEALTH_BRING_UP)
		backend_change(r, id, CHANGE_UP, NULL, why);
	else if (was_healthy != t->h.healthy && operator_held(&t->b))
		pr_info("backend %s of VIP %s: probe %s (%s); its state %s is the operator's and stays",
			t->addr_text, t->vip_text, t->h.healthy ? "passes again" : "fails", why,
			name_of(state_names, STATE_NAMES, t->b.state));
}

void on_probe_done(void *ctx, void *owner, const struct probe_result *res)
{
	struct run *r = ctx;
	struct target *t = owner;

	pthread_mutex_lock(&r->d.lock);
	if (t->present)
		probe_verdict(r, t, res);
	pthread_mutex_unlock(&r->d.lock);
}
