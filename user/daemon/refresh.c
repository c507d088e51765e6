// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* siobpf run: the maps into the daemon's view. Opens and closes the pinned
 * maps and notices a new load under the pins, re-reads VIPs, backends and
 * overrides into the targets, follows neighbour (MAC) changes, and applies
 * --config at start and on SIGHUP. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "cli.h"
#include "config_apply.h"
#include "netlink.h"
#include "pins.h"
#include "refresh.h"
#include "run.h"
#include "schedule.h"
#include "settings.h"
#include "transitions.h"

/* Maps */

static int map_id_of(int fd, __u32 *id)
{
	struct bpf_map_info info;
	int err = dataplane_map_info(fd, &info);

	*id = info.id;
	return err;
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

void maps_close(struct run *r)
{
	pthread_mutex_lock(&r->d.lock);
	targets_drop_all(r);
	dataplane_close(&r->d.dp);
	r->d.loaded = false;
	pthread_mutex_unlock(&r->d.lock);
}

/* Opens the pinned maps; quiet when they are not there. */
int maps_open(struct run *r)
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
void rings_repair(struct run *r)
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
void config_apply_now(struct run *r)
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
		err = dataplane_backends_read(&r->d.dp, r->table);
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

/* The live sticky clients of every backend, read when some backend drains
 * and at most every DRAIN_COUNT_MS (a full table is a million entries).
 * Returns the counts, or NULL when they were not read this time. */
static const __u32 *drain_clients(struct run *r, __u64 now)
{
	bool draining = false;
	int err;

	for (size_t i = 0; i < r->d.nids && !draining; i++)
		draining = r->d.targets[r->d.ids[i]].b.state == SIOBPF_BACKEND_DRAIN;
	if (!draining || now < r->count_due)
		return NULL;
	r->count_due = now + DRAIN_COUNT_MS * NS_PER_MS;
	err = dataplane_sticky_count_by_backend(&r->d.dp, r->table, dataplane_now(), r->clients);
	if (err) {
		pr_warn("counting the sticky clients of draining backends failed: %s; trying again",
			strerror(-err));
		return NULL;
	}
	return r->clients;
}

void refresh(struct run *r, __u64 now)
{
	const __u32 *clients;
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
	clients = drain_clients(r, now); /* outside the lock: the metrics thread need not wait */
	pthread_mutex_lock(&r->d.lock);
	drains_check(r, clients);
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

/* Follows the kernel's route to the backend: when it leaves by another
 * interface now (directly connected), the backend moves there once its
 * neighbour entry there is usable (the probe's traffic makes the kernel
 * resolve it). True when a move was queued. */
static bool route_refresh(struct run *r, __u32 id)
{
	struct target *t = &r->d.targets[id];
	struct nl_route_info route;
	__u8 mac[6], src_mac[6];

	if (nl_route_get(t->b.family, t->b.addr, &route) || route.is_local || route.has_gateway ||
	    route.ifindex <= 0 || (__u32)route.ifindex == t->b.ifindex)
		return false;
	if (nl_neigh_get(t->b.family, t->b.addr, route.ifindex, mac)) {
		/* Not known there yet: ask the kernel to resolve it, without waiting. */
		nl_neigh_resolve(t->b.family, t->b.addr, route.ifindex, 0, mac);
		return false;
	}
	if (nl_link_mac(route.ifindex, src_mac))
		return false;
	backend_change_egress(r, id, (__u32)route.ifindex, src_mac, mac);
	return true;
}

/* Follows the kernel's neighbour entry: a replaced machine with the same
 * address has a new MAC, and DSR must write that one. And its route. */
void neigh_refresh(struct run *r, __u32 id)
{
	struct target *t = &r->d.targets[id];
	__u8 mac[6];

	if (route_refresh(r, id))
		return;
	if (!t->b.ifindex || nl_neigh_get(t->b.family, t->b.addr, (int)t->b.ifindex, mac))
		return; /* absent or unresolved: the probe's traffic makes the kernel resolve it */
	if (memcmp(mac, t->b.mac, sizeof(mac)))
		backend_change(r, id, CHANGE_MAC, mac, NULL);
}
