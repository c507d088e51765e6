// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* siobpf run: probe results into backend state changes, written under the
 * pin directory's lock and never over an operator's command. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>

#include "cli.h"
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

static void log_transition(struct target *t, __u8 from, __u8 to, const char *why)
{
	pr_info("backend %s of VIP %s: %s -> %s (%s)", t->addr_text, t->vip_text,
		name_of(state_names, STATE_NAMES, from), name_of(state_names, STATE_NAMES, to), why);
	if (to < STATE_NAMES)
		t->transitions[to]++;
	t->last_transition = wall_seconds();
}

/* Takes in a record that someone else changed: logged, counted, and the
 * probe's counting starts again from the new state. */
void adopt_record(struct target *t, const struct siobpf_backend *b)
{
	if (b->state != t->b.state)
		log_transition(t, t->b.state, b->state,
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

/* The deadline of a drain that ended goes with it (under the lock). */
static void drain_deadline_clear(struct run *r, __u32 id, __u32 generation)
{
	int err = backend_drain_deadline_put(&r->d.dp, id, generation, 0);

	if (err)
		pr_warn("clearing the drain deadline of backend id %u failed: %s", id, strerror(-err));
}

/*
 * Writes one change to a backend under the pin directory's lock, on the
 * record as it is now: if the CLI (or anyone) changed the backend's state
 * since this daemon last read it, the change is dropped and the new record
 * adopted, so that an operator's command is never clobbered.
 */
void backend_change(struct run *r, __u32 id, enum change what, const __u8 *mac, const char *why)
{
	struct target *t = &r->d.targets[id];
	struct vip_entry vip;
	struct backend_entry e;
	int lock_fd = -1, err;
	__u8 from;

	err = pins_lock_briefly(&lock_fd);
	if (err == -EWOULDBLOCK) {
		/* The probe's verdict stands: the next result tries again. */
		pr_debug("%s is busy (another command holds it): backend %s changes at its next probe",
			 globals.pin_dir, t->addr_text);
		return;
	}
	if (err) {
		pr_err("cannot lock %s to change backend %s: %s", globals.pin_dir, t->addr_text, strerror(-err));
		return;
	}
	err = state_vip_find(&r->d.dp, &r->d.vips[t->b.vip_id].key, &vip);
	if (!err && vip.vip.id != t->b.vip_id)
		err = -ENOENT;
	if (!err)
		err = dataplane_backend_get(&r->d.dp, id, &e.b);
	if (err || !e.b.in_use || e.b.generation != t->b.generation || e.b.vip_id != t->b.vip_id) {
		/* Removed meanwhile: the next refresh forgets it. */
		close(lock_fd);
		return;
	}
	e.id = id;
	if (e.b.state != t->b.state || e.b.flags != t->b.flags) {
		close(lock_fd);
		adopt_record(t, &e.b);
		return;
	}
	from = e.b.state;
	switch (what) {
	case CHANGE_DOWN:
		health_apply(HEALTH_TAKE_DOWN, &e.b.state, &e.b.flags);
		break;
	case CHANGE_UP:
		health_apply(HEALTH_BRING_UP, &e.b.state, &e.b.flags);
		break;
	case CHANGE_DRAIN_END:
		/* The operator's down: the operator asked for the drain. */
		e.b.state = SIOBPF_BACKEND_DOWN;
		e.b.flags &= (__u8)~SIOBPF_BACKEND_F_STATE_MARKS;
		break;
	case CHANGE_DRAIN_SEEN:
		e.b.flags |= SIOBPF_BACKEND_F_DRAIN_SEEN;
		break;
	case CHANGE_MAC:
		if (!memcmp(e.b.mac, mac, sizeof(e.b.mac))) {
			close(lock_fd);
			t->b = e.b;
			return;
		}
		memcpy(e.b.mac, mac, sizeof(e.b.mac));
		break;
	}
	/* A mark alone leaves the ring as it is. */
	err = what == CHANGE_DRAIN_SEEN ? dataplane_backend_put(&r->d.dp, id, &e.b)
					: state_backend_update(&r->d.dp, &vip, &e);
	if (!err && what == CHANGE_DRAIN_END)
		drain_deadline_clear(r, id, e.b.generation);
	close(lock_fd);
	if (err) {
		pr_err("changing backend %s of VIP %s failed: %s; the next probe tries again", t->addr_text,
		       t->vip_text, strerror(-err));
		return;
	}
	if (what == CHANGE_MAC) {
		char old[18], new[18];

		mac_format(t->b.mac, old, sizeof(old));
		mac_format(e.b.mac, new, sizeof(new));
		pr_info("backend %s of VIP %s: MAC %s -> %s (neighbour table)", t->addr_text, t->vip_text, old,
			new);
		t->mac_changes++;
	} else if (what == CHANGE_DRAIN_SEEN) {
		pr_debug("backend %s of VIP %s: its drain has live clients; it ends when they are gone",
			 t->addr_text, t->vip_text);
	} else {
		log_transition(t, from, e.b.state, why);
	}
	t->b = e.b;
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

void on_probe_done(void *ctx, void *owner, const struct probe_result *res)
{
	struct run *r = ctx;
	struct target *t = owner;
	__u32 id = (__u32)(t - r->d.targets);
	enum health_action action;
	bool was_healthy;
	char why[256];

	pthread_mutex_lock(&r->d.lock);
	if (!t->present)
		goto out;
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
out:
	pthread_mutex_unlock(&r->d.lock);
}
