// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* siobpf run: the daemon's loop, signals, probe scheduling, state changes and neighbour refresh. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <curl/curl.h>

#include "cli.h"
#include "config_apply.h"
#include "daemon.h"
#include "metrics.h"
#include "netlink.h"
#include "pins.h"
#include "settings.h"

#define NS_PER_MS 1000000ull
#define NS_PER_SEC 1000000000ull
/* The maps are re-read every tick: as often as the shortest probe interval,
 * within these bounds, so that CLI changes are seen within one interval. */
#define REFRESH_MIN_MS 50
#define REFRESH_MAX_MS 1000
/* How long a state change waits for the pin directory's lock before it is
 * left to the next probe: the loop must not stall behind a long `apply`. */
#define LOCK_WAIT_MS 250
/* How often a daemon without maps looks for them again. */
#define REOPEN_MS 1000
/* siobpf_probe_lag_max_seconds covers this window and the one before. */
#define LAG_WINDOW_NS (10 * NS_PER_SEC)

struct run {
	struct daemon d;
	struct probe_engine *pe;
	struct metrics_server *ms;
	const char *config;     /* --config FILE, or NULL */
	bool config_pending;    /* to apply as soon as the maps are open */
	int sfd;                /* signalfd: TERM, INT, HUP */
	int instance_fd;        /* the one-daemon-per-pin-directory lock */
	__u64 refresh_due;
	__u64 refresh_ns;
	__u64 reopen_due;
	bool started;           /* the first refresh is done */
	bool applied_once;      /* the configuration was applied (or tried) once */
	bool failed;            /* the first application failed: exit 1 */
	bool stop;
	struct siobpf_backend *table;        /* scratch: the backend map */
	struct siobpf_backend_config *cfgs;  /* scratch: the override map */
	struct vip_entry *vip_list;          /* scratch: the VIP list */
};

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * NS_PER_SEC + (__u64)ts.tv_nsec;
}

static double wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A backend's first deadline: spread over the interval by id, so that many
 * backends do not all connect in the same millisecond. */
static __u64 first_due(__u32 id, __u32 interval_ms, __u64 now)
{
	return now + (__u64)((id * 2654435761u) % (interval_ms ? interval_ms : 1)) * NS_PER_MS;
}

static bool operator_held(const struct siobpf_backend *b)
{
	return b->state == SIOBPF_BACKEND_DRAIN ||
	       (b->state == SIOBPF_BACKEND_DOWN && !(b->flags & SIOBPF_BACKEND_F_PROBE_DOWN));
}

/* Maps */

static int map_id_of(int fd, __u32 *id)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*id = info.id;
	return 0;
}

/* The id of the backend map pinned now; -ENOENT when nothing is pinned. */
static int pinned_backends_id(__u32 *id)
{
	char path[4096];
	int fd, err;

	snprintf(path, sizeof(path), "%s/sio_backends", globals.pin_dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	err = map_id_of(fd, id);
	close(fd);
	return err;
}

static void targets_drop_all(struct run *r)
{
	struct daemon *d = &r->d;

	for (__u32 id = 0; id < SIOBPF_MAX_BACKENDS; id++) {
		probe_cancel(r->pe, &d->targets[id].probe);
		d->targets[id].present = false;
	}
	memset(d->vip_present, 0, sizeof(d->vip_present));
	d->nids = 0;
}

static void maps_close(struct run *r)
{
	pthread_mutex_lock(&r->d.lock);
	targets_drop_all(r);
	dataplane_close(&r->d.dp);
	r->d.loaded = false;
	pthread_mutex_unlock(&r->d.lock);
}

/* Opens the pinned maps; quiet when they are not there. */
static int maps_open(struct run *r)
{
	struct daemon *d = &r->d;
	int err;

	pthread_mutex_lock(&d->lock);
	err = dataplane_open_pinned(&d->dp, globals.pin_dir);
	if (!err)
		err = map_id_of(d->dp.backends_fd, &d->backends_map_id);
	if (err)
		dataplane_close(&d->dp);
	d->loaded = !err;
	pthread_mutex_unlock(&d->lock);
	return err;
}

/* Rebuilds every VIP's ring from the backend table: a no-op normally, and
 * the repair of a ring left stale by a process killed between writing a
 * backend and rebuilding its ring. */
static void rings_repair(struct run *r)
{
	size_t n = 0;
	int lock_fd, err;

	if (pins_lock(globals.pin_dir, &lock_fd))
		return;
	err = state_vip_list(&r->d.dp, r->vip_list, SIOBPF_MAX_VIPS, &n);
	for (size_t i = 0; !err && i < n; i++) {
		err = dataplane_ring_rebuild(&r->d.dp, &r->vip_list[i].vip);
		if (err)
			pr_warn("rebuilding the ring of VIP id %u failed: %s", r->vip_list[i].vip.id,
				strerror(-err));
	}
	close(lock_fd);
}

/* Applies --config under the pin directory's lock. A failure the first
 * time ends the daemon (the operator must see it); later ones (SIGHUP) keep
 * the running state. */
static void config_apply_now(struct run *r)
{
	bool at_start = !r->applied_once;
	char why[512];
	int lock_fd, err;

	r->applied_once = true;
	r->config_pending = false;
	err = pins_lock(globals.pin_dir, &lock_fd);
	if (err) {
		pr_err("cannot lock %s to apply %s: %s", globals.pin_dir, r->config, strerror(-err));
		r->d.config_failed++;
		r->failed = r->stop = at_start;
		return;
	}
	why[0] = 0;
	err = config_apply_file(&r->d.dp, r->config, why, sizeof(why));
	close(lock_fd);
	pthread_mutex_lock(&r->d.lock);
	if (err)
		r->d.config_failed++;
	else
		r->d.config_ok++;
	pthread_mutex_unlock(&r->d.lock);
	if (!err)
		pr_info("configuration %s applied", r->config);
	else if (at_start)
		pr_err("configuration not applied: %s; fix the file and start again", why[0] ? why : strerror(-err));
	else
		pr_err("configuration not applied: %s; the daemon carries on with the running state", why[0] ? why : strerror(-err));
	if (err && at_start) {
		r->failed = true;
		r->stop = true;
	}
	r->refresh_due = 0; /* see the result at once */
}

/* Copies the backend table in one syscall (one per entry where the kernel
 * has no batch lookups for arrays). */
static int backends_read(struct run *r)
{
	static __u32 keys[SIOBPF_MAX_BACKENDS];
	__u32 count = SIOBPF_MAX_BACKENDS, out_batch;

	if (bpf_map_lookup_batch(r->d.dp.backends_fd, NULL, &out_batch, keys, r->table, &count, NULL) &&
	    errno != ENOENT)
		return dataplane_backends_read(&r->d.dp, r->table);
	return count == SIOBPF_MAX_BACKENDS ? 0 : -EIO;
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
static void adopt_record(struct target *t, const struct siobpf_backend *b)
{
	if (b->state != t->b.state)
		log_transition(t, t->b.state, b->state,
			       (b->flags & SIOBPF_BACKEND_F_PROBE_DOWN) ? "another siobpf run's probe"
								       : "set outside the daemon: CLI or configuration");
	if (b->state != t->b.state || b->flags != t->b.flags)
		health_init(&t->h, b->state, b->flags);
	t->b = *b;
}

enum change { CHANGE_DOWN, CHANGE_UP, CHANGE_MAC };

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

/*
 * Writes one change to a backend under the pin directory's lock, on the
 * record as it is now: if the CLI (or anyone) changed the backend's state
 * since this daemon last read it, the change is dropped and the new record
 * adopted, so that an operator's command is never clobbered.
 */
static void backend_change(struct run *r, __u32 id, enum change what, const __u8 *mac, const char *why)
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
		e.b.state = SIOBPF_BACKEND_DOWN;
		e.b.flags |= SIOBPF_BACKEND_F_PROBE_DOWN;
		break;
	case CHANGE_UP:
		e.b.state = SIOBPF_BACKEND_UP;
		e.b.flags &= (__u8)~SIOBPF_BACKEND_F_PROBE_DOWN;
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
	err = state_backend_update(&r->d.dp, &vip, &e);
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
	} else {
		log_transition(t, from, e.b.state, why);
	}
	t->b = e.b;
}

/* Follows the kernel's neighbour entry: a replaced machine with the same
 * address has a new MAC, and DSR must write that one. */
static void neigh_refresh(struct run *r, __u32 id)
{
	struct target *t = &r->d.targets[id];
	__u8 mac[6];

	if (!t->b.ifindex || nl_neigh_get(t->b.family, t->b.addr, (int)t->b.ifindex, mac))
		return; /* absent or unresolved: the probe's traffic makes the kernel resolve it */
	if (memcmp(mac, t->b.mac, sizeof(mac)))
		backend_change(r, id, CHANGE_MAC, mac, NULL);
}

/* Probe results */

/* A probe's verdict into the backend's health; d->lock held. */
static void probe_verdict(struct run *r, struct target *t, const struct probe_result *res)
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

static void on_probe_done(void *ctx, void *owner, const struct probe_result *res)
{
	struct run *r = ctx;
	struct target *t = owner;

	pthread_mutex_lock(&r->d.lock);
	if (t->present)
		probe_verdict(r, t, res);
	pthread_mutex_unlock(&r->d.lock);
}

/* Refresh: the maps into the daemon's view */

static void target_drop(struct run *r, __u32 id)
{
	struct target *t = &r->d.targets[id];

	probe_cancel(r->pe, &t->probe);
	if (r->started)
		pr_info("backend %s of VIP %s removed: no longer probed", t->addr_text, t->vip_text);
	memset(t, 0, sizeof(*t));
}

static void target_add(struct run *r, __u32 id, const struct siobpf_backend *b, __u64 now)
{
	struct target *t = &r->d.targets[id];

	memset(t, 0, sizeof(*t));
	t->present = true;
	t->b = *b;
	health_init(&t->h, b->state, b->flags);
	snprintf(t->vip_text, sizeof(t->vip_text), "%s", r->d.vip_text[b->vip_id]);
	addr_format(b->family, b->addr, t->addr_text, sizeof(t->addr_text));
	t->due_ns = now; /* placed by the settings below */
}

/* Re-reads VIPs, backends and overrides. Returns the shortest interval. */
static __u32 refresh_targets(struct run *r, __u64 now)
{
	struct daemon *d = &r->d;
	__u32 shortest = REFRESH_MAX_MS;
	size_t nvips = 0;
	int err;

	err = state_vip_list(&d->dp, r->vip_list, SIOBPF_MAX_VIPS, &nvips);
	if (!err)
		err = backends_read(r);
	if (!err)
		err = backend_config_read_all(&d->dp, r->cfgs);
	if (err) {
		pr_warn("reading the maps in %s failed: %s; trying again next tick", globals.pin_dir,
			strerror(-err));
		return shortest;
	}
	memset(d->vip_present, 0, sizeof(d->vip_present));
	for (size_t i = 0; i < nvips; i++) {
		__u32 v = r->vip_list[i].vip.id;

		if (v >= SIOBPF_MAX_VIPS)
			continue;
		d->vips[v] = r->vip_list[i];
		d->vip_present[v] = true;
		vip_format(&d->vips[v].key, d->vip_text[v], sizeof(d->vip_text[v]));
	}
	d->nids = 0;
	for (__u32 id = 0; id < SIOBPF_MAX_BACKENDS; id++) {
		const struct siobpf_backend *b = &r->table[id];
		struct target *t = &d->targets[id];
		bool live = b->in_use && b->vip_id < SIOBPF_MAX_VIPS && d->vip_present[b->vip_id];
		const struct siobpf_backend_config *own;
		struct probe_settings s;
		bool fresh = false;
		char desc[256];

		if (t->present && (!live || t->b.generation != b->generation || t->b.vip_id != b->vip_id))
			target_drop(r, id);
		if (!live)
			continue;
		if (!t->present) {
			target_add(r, id, b, now);
			fresh = true;
		} else {
			adopt_record(t, b);
		}
		own = backend_config_applies(&r->cfgs[id], b->generation) ? &r->cfgs[id] : NULL;
		probe_settings_resolve(&d->vips[b->vip_id], own, &s);
		/* The CLI and apply refuse this; maps written otherwise may still hold it. */
		if (s.timeout_ms > s.interval_ms)
			s.timeout_ms = s.interval_ms;
		if (fresh || s.interval_ms != t->s.interval_ms)
			t->due_ns = first_due(id, s.interval_ms, now);
		if (fresh || memcmp(&s, &t->s, sizeof(s))) {
			char why[sizeof(t->path_refused) - 32];

			/* The CLI and apply refuse such a path; an older siobpf may have
			 * stored it. No request is sent with it: the probe fails, and the
			 * log says why and how to fix it, once per change. */
			t->path_refused[0] = 0;
			if ((s.kind == SIOBPF_PROBE_HTTP || s.kind == SIOBPF_PROBE_SOCKETIO) &&
			    probe_path_check(s.path, s.kind, why, sizeof(why))) {
				bool its_own = own && own->probe_path[0];

				snprintf(t->path_refused, sizeof(t->path_refused), "probe path refused: %s", why);
				pr_warn("backend %s of VIP %s: probe path %s; it is not probed and counts as failing "
					"until `siobpf %s set %s%s%s --probe-path PATH`", t->addr_text, t->vip_text,
					why, its_own ? "backend" : "vip", t->vip_text, its_own ? " " : "",
					its_own ? t->addr_text : "");
			}
			probe_settings_format(&s, desc, sizeof(desc));
			if (r->started)
				pr_info("backend %s of VIP %s (%s): probe %s%s", t->addr_text, t->vip_text,
					name_of(state_names, STATE_NAMES, b->state), desc, own ? " (its own)" : "");
			else
				pr_debug("backend %s of VIP %s: probe %s", t->addr_text, t->vip_text, desc);
		}
		t->s = s;
		t->own = own != NULL;
		if (s.interval_ms < shortest)
			shortest = s.interval_ms;
		d->ids[d->nids++] = id;
	}
	return shortest;
}

static void refresh(struct run *r, __u64 now)
{
	__u32 id = 0, shortest;
	int err = pinned_backends_id(&id);

	if (err || id != r->d.backends_map_id) {
		maps_close(r);
		r->config_pending = r->config != NULL; /* new maps start empty */
		if (err == -ENOENT)
			pr_warn("siobpf was unloaded (no maps in %s): probes pause until `siobpf load IFACE`",
				globals.pin_dir);
		else
			pr_info("the maps in %s were replaced (siobpf loaded anew): reopening them", globals.pin_dir);
		r->reopen_due = now;
		return;
	}
	pthread_mutex_lock(&r->d.lock);
	shortest = refresh_targets(r, now);
	pthread_mutex_unlock(&r->d.lock);
	if (shortest < REFRESH_MIN_MS)
		shortest = REFRESH_MIN_MS;
	r->refresh_ns = (__u64)shortest * NS_PER_MS;
	if (!r->started) {
		size_t nvips = 0;

		for (__u32 v = 0; v < SIOBPF_MAX_VIPS; v++)
			nvips += r->d.vip_present[v];
		pr_info("watching %zu backend%s of %zu VIP%s in %s", r->d.nids, r->d.nids == 1 ? "" : "s",
			nvips, nvips == 1 ? "" : "s", globals.pin_dir);
		r->started = true;
	}
}

/* Scheduling */

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
static __u64 scan(struct run *r, __u64 now)
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

/* Start-up */

/* One daemon per pin directory: two would probe twice and fight over states. */
static int instance_lock(struct run *r)
{
	char path[4096], pid[32] = "";
	const char *dir = access("/run/lock", W_OK) == 0 ? "/run/lock" : "/tmp";
	size_t n = (size_t)snprintf(path, sizeof(path), "%s/siobpf-run", dir);
	ssize_t len;

	for (const char *p = globals.pin_dir; *p && n + 2 < sizeof(path); p++)
		path[n++] = *p == '/' ? '_' : *p;
	snprintf(path + n, sizeof(path) - n, ".lock");
	r->instance_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (r->instance_fd < 0) {
		pr_err("cannot open %s: %s", path, strerror(errno));
		return -errno;
	}
	if (flock(r->instance_fd, LOCK_EX | LOCK_NB)) {
		len = read(r->instance_fd, pid, sizeof(pid) - 1);
		pid[len > 0 ? len : 0] = 0;
		pid[strcspn(pid, "\n")] = 0;
		pr_err("another `siobpf run` (pid %s) already watches %s: stop it first",
		       pid[0] ? pid : "?", globals.pin_dir);
		return -EBUSY;
	}
	if (ftruncate(r->instance_fd, 0) == 0)
		dprintf(r->instance_fd, "%d\n", (int)getpid());
	return 0;
}

/* Probes of hundreds of backends need as many sockets at once. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int signals_setup(struct run *r)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Blocked before any thread starts, so that only the signalfd sees them. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -EINVAL;
	signal(SIGPIPE, SIG_IGN);
	r->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return r->sfd < 0 ? -errno : 0;
}

static void signals_read(struct run *r)
{
	struct signalfd_siginfo si;

	while (read(r->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			if (!r->config) {
				pr_info("SIGHUP: no --config to re-read; re-reading the maps");
				r->refresh_due = 0;
			} else if (!r->d.loaded) {
				pr_info("SIGHUP: %s is applied once siobpf is loaded", r->config);
				r->config_pending = true;
			} else {
				pr_info("SIGHUP: re-reading %s", r->config);
				config_apply_now(r);
			}
		} else {
			pr_info("%s: stopping; the program stays attached and keeps forwarding",
				si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			r->stop = true;
		}
	}
}

static int run_alloc(struct run *r)
{
	struct daemon *d = &r->d;

	r->sfd = -1;
	r->instance_fd = -1;
	dataplane_init(&d->dp);
	pthread_mutex_init(&d->lock, NULL);
	d->targets = calloc(SIOBPF_MAX_BACKENDS, sizeof(*d->targets));
	d->ids = calloc(SIOBPF_MAX_BACKENDS, sizeof(*d->ids));
	r->table = calloc(SIOBPF_MAX_BACKENDS, sizeof(*r->table));
	r->cfgs = calloc(SIOBPF_MAX_BACKENDS, sizeof(*r->cfgs));
	r->vip_list = calloc(SIOBPF_MAX_VIPS, sizeof(*r->vip_list));
	return d->targets && d->ids && r->table && r->cfgs && r->vip_list ? 0 : -ENOMEM;
}

static void run_free(struct run *r)
{
	metrics_stop(r->ms); /* first: its thread reads the rest */
	if (r->pe) {
		maps_close(r);
		probe_engine_free(r->pe);
	}
	dataplane_close(&r->d.dp);
	if (r->sfd >= 0)
		close(r->sfd);
	if (r->instance_fd >= 0)
		close(r->instance_fd);
	free(r->d.targets);
	free(r->d.ids);
	free(r->table);
	free(r->cfgs);
	free(r->vip_list);
	pthread_mutex_destroy(&r->d.lock);
	free(r);
}

/* Once the maps are there: the configuration, then the rings' repair. */
static void on_maps_open(struct run *r)
{
	pr_info("maps open in %s", globals.pin_dir);
	if (r->config_pending)
		config_apply_now(r);
	rings_repair(r);
	r->refresh_due = 0;
}

static void loop(struct run *r)
{
	bool warned = false;

	while (!r->stop) {
		__u64 now = mono_ns(), wake;
		bool sig = false;
		int timeout_ms, err;

		if (!r->d.loaded && now >= r->reopen_due) {
			r->reopen_due = now + REOPEN_MS * NS_PER_MS;
			err = maps_open(r);
			if (!err) {
				on_maps_open(r);
				warned = false;
			} else if (!warned && err == -ENOMSG) {
				pr_warn("the maps in %s lack some that this siobpf uses (an older siobpf pinned "
					"them): waiting for `siobpf reload IFACE`", globals.pin_dir);
				warned = true;
			} else if (!warned) {
				pr_warn("siobpf is not loaded (no maps in %s): waiting for `siobpf load IFACE`",
					globals.pin_dir);
				warned = true;
			}
			if (r->stop)
				break;
		}
		if (r->d.loaded && now >= r->refresh_due) {
			refresh(r, now);
			r->refresh_due = r->refresh_due ? sched_next(r->refresh_due, r->refresh_ns, now, NULL)
							 : now + r->refresh_ns;
		}
		wake = r->d.loaded ? scan(r, now) : r->reopen_due;
		if (r->d.loaded && r->refresh_due < wake)
			wake = r->refresh_due;
		now = mono_ns();
		timeout_ms = wake > now ? (int)((wake - now + NS_PER_MS - 1) / NS_PER_MS) : 0;
		err = probe_engine_run(r->pe, timeout_ms, r->sfd, &sig);
		if (err) {
			pr_err("waiting for probes failed: %s", strerror(-err));
			usleep(10000);
		}
		if (sig)
			signals_read(r);
	}
}

int cmd_run(struct cli_args *args)
{
	const char *metrics = cli_opt(args, "metrics");
	struct run *r = calloc(1, sizeof(*r));
	char why[256];
	int err, rc = EXIT_FAIL;

	if (!r)
		return EXIT_FAIL;
	r->config = cli_opt(args, "config");
	if (run_alloc(r)) {
		pr_err("out of memory");
		goto out;
	}
	if (geteuid() != 0) {
		pr_err("siobpf run needs root (BPF maps, netlink): run it with sudo or from systemd");
		goto out;
	}
	if (r->config && access(r->config, R_OK)) {
		pr_err("cannot read --config %s: %s", r->config, strerror(errno));
		goto out;
	}
	if (instance_lock(r))
		goto out;
	raise_fd_limit();
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		pr_err("libcurl would not initialise");
		goto out;
	}
	err = signals_setup(r);
	if (err) {
		pr_err("cannot set up signal handling: %s", strerror(-err));
		goto out_curl;
	}
	err = probe_engine_new(&r->pe, on_probe_done, r);
	if (err) {
		pr_err("cannot start the probe engine: %s", strerror(-err));
		goto out_curl;
	}
	if (metrics) {
		err = metrics_start(&r->ms, metrics, &r->d, why, sizeof(why));
		if (err) {
			pr_err("%s", why);
			goto out_curl;
		}
		pr_info("metrics on http://%s%s/metrics", strchr(metrics, ':') ? "" : METRICS_DEFAULT_ADDR ":",
			metrics);
	}
	r->config_pending = r->config != NULL;
	pr_info("running (pid %d): probes, neighbours%s%s; SIGHUP re-reads, SIGTERM stops", (int)getpid(),
		r->config ? ", configuration " : "", r->config ? r->config : "");
	loop(r);
	rc = r->failed ? EXIT_FAIL : EXIT_OK;
out_curl:
	run_free(r);
	curl_global_cleanup();
	return rc;
out:
	run_free(r);
	return rc;
}
