// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The running state as a configuration, and reconciling it with one by the
 * smallest change; see config.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "config_apply.h"
#include "egress.h"
#include "output.h"
#include "probe_settings.h"
#include "resolve.h"
#include "settings.h"

/* The maps' VIPs and the whole backend table, read once. */
struct running {
	struct vip_entry *vips;
	size_t nvips;
	struct siobpf_backend *table; /* SIOBPF_MAX_BACKENDS, indexed by id */
	struct siobpf_backend_config *probes; /* backends' own probe settings, by id */
};

static void running_free(struct running *r)
{
	free(r->vips);
	free(r->table);
	free(r->probes);
	memset(r, 0, sizeof(*r));
}

static int running_read(struct dataplane *dp, struct running *r)
{
	int err;

	memset(r, 0, sizeof(*r));
	r->vips = calloc(SIOBPF_MAX_VIPS, sizeof(*r->vips));
	r->table = calloc(SIOBPF_MAX_BACKENDS, sizeof(*r->table));
	r->probes = calloc(SIOBPF_MAX_BACKENDS, sizeof(*r->probes));
	if (!r->vips || !r->table || !r->probes) {
		running_free(r);
		return -ENOMEM;
	}
	err = state_vip_list(dp, r->vips, SIOBPF_MAX_VIPS, &r->nvips);
	if (!err)
		err = dataplane_backends_read(dp, r->table);
	if (!err)
		err = backend_config_read_all(dp, r->probes);
	if (err)
		running_free(r);
	return err;
}

static bool serves(const struct siobpf_backend *b, __u32 vip_id)
{
	return b->in_use && b->vip_id == vip_id;
}

static int backend_cmp(const void *a, const void *b)
{
	const struct config_backend *x = a, *y = b;

	if (x->addr.family != y->addr.family)
		return x->addr.family < y->addr.family ? -1 : 1;
	return memcmp(x->addr.a, y->addr.a, sizeof(x->addr.a));
}

/* VIPs by address, port and protocol: the same file on every node. */
static int vip_cmp(const void *a, const void *b)
{
	const struct siobpf_vip_key *x = &((const struct config_vip *)a)->e.key;
	const struct siobpf_vip_key *y = &((const struct config_vip *)b)->e.key;
	int c;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	c = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (c)
		return c;
	if (x->port != y->port)
		return ntohs(x->port) < ntohs(y->port) ? -1 : 1;
	return x->proto < y->proto ? -1 : x->proto > y->proto;
}

int config_read_running(struct dataplane *dp, struct config *cfg)
{
	struct running r;
	int err;

	memset(cfg, 0, sizeof(*cfg));
	err = running_read(dp, &r);
	if (err)
		return err;
	cfg->vips = calloc(r.nvips ? r.nvips : 1, sizeof(*cfg->vips));
	if (!cfg->vips) {
		running_free(&r);
		return -ENOMEM;
	}
	for (size_t v = 0; v < r.nvips; v++) {
		struct config_vip *cv = &cfg->vips[cfg->nvips++];
		size_t n = 0;

		cv->e = r.vips[v];
		for (__u32 id = 0; id < SIOBPF_MAX_BACKENDS; id++)
			n += serves(&r.table[id], cv->e.vip.id);
		cv->backends = calloc(n ? n : 1, sizeof(*cv->backends));
		if (!cv->backends) {
			err = -ENOMEM;
			break;
		}
		for (__u32 id = 0; id < SIOBPF_MAX_BACKENDS; id++) {
			const struct siobpf_backend *b = &r.table[id];
			struct config_backend *cb;

			if (!serves(b, cv->e.vip.id))
				continue;
			cb = &cv->backends[cv->nbackends++];
			cb->addr.family = b->family;
			memcpy(cb->addr.a, b->addr, sizeof(cb->addr.a));
			cb->weight = b->weight;
			/* A probe's verdict is not the operator's: leave it out, so
			 * that applying this file leaves it to the probe. */
			cb->probe_down = b->flags & SIOBPF_BACKEND_F_PROBE_DOWN;
			cb->drained = b->flags & SIOBPF_BACKEND_F_DRAINED;
			cb->state = cb->probe_down ? CONFIG_STATE_KEEP : b->state;
			cb->has_probe = backend_config_applies(&r.probes[id], b->generation);
			if (cb->has_probe)
				cb->probe = r.probes[id];
		}
		qsort(cv->backends, cv->nbackends, sizeof(*cv->backends), backend_cmp);
	}
	running_free(&r);
	if (err) {
		config_free(cfg);
		return err;
	}
	qsort(cfg->vips, cfg->nvips, sizeof(*cfg->vips), vip_cmp);
	return 0;
}

/* --- the plan: every difference, found and resolved before any write --- */

enum op { OP_KEEP, OP_ADD, OP_SET, OP_DEL };

struct be_step {
	enum op op;
	bool record; /* OP_SET: the backend's record changes */
	bool ring;   /* OP_SET: weight or state changed, so the ring does */
	bool probe;  /* its own probe settings are written (probe_next) */
	bool deadline; /* its drain deadline is cleared: the file changes its state */
	struct backend_entry old, next;
	struct siobpf_backend_config probe_old, probe_next; /* in_use 0: none */
	const struct config_backend *src; /* NULL for OP_DEL */
};

struct vip_step {
	enum op op;
	struct vip_entry old, next;
	const struct config_vip *src; /* NULL for OP_DEL */
	struct be_step *be;
	size_t nbe;
	char text[ADDR_TEXT_MAX];
};

struct plan {
	struct vip_step *vips;
	size_t nvips;
};

static void plan_free(struct plan *plan)
{
	for (size_t i = 0; i < plan->nvips; i++)
		free(plan->vips[i].be);
	free(plan->vips);
	memset(plan, 0, sizeof(*plan));
}

/* Whether two VIPs' settings differ, and how ("persist 600 -> 300, ..."). */
static bool vip_differs(const struct vip_entry *a, const struct vip_entry *b, char *how, size_t len)
{
	bool differs = false;
	size_t used = 0;

	how[0] = 0;
	for (int i = 0; i < VIP_SETTINGS; i++) {
		char x[SIOBPF_PROBE_PATH_MAX + 8], y[SIOBPF_PROBE_PATH_MAX + 8];

		vip_setting_format(a, vip_settings[i], x, sizeof(x));
		vip_setting_format(b, vip_settings[i], y, sizeof(y));
		if (!strcmp(x, y))
			continue;
		if (used < len)
			used += (size_t)snprintf(how + used, len - used, "%s%s %s -> %s", differs ? ", " : "",
						 vip_settings[i], x, y);
		differs = true;
	}
	return differs;
}

static bool key_shape_changes(const struct vip_step *s)
{
	return s->op == OP_SET &&
	       (s->old.vip.sticky != s->next.vip.sticky || s->old.vip.prefix != s->next.vip.prefix);
}

static const struct vip_entry *running_vip(const struct running *r, const struct siobpf_vip_key *key)
{
	for (size_t i = 0; i < r->nvips; i++)
		if (!memcmp(&r->vips[i].key, key, sizeof(*key)))
			return &r->vips[i];
	return NULL;
}

static bool in_file(const struct config_vip *v, const struct siobpf_backend *b)
{
	for (size_t i = 0; i < v->nbackends; i++)
		if (addr_equal(&v->backends[i].addr, b->family, b->addr))
			return true;
	return false;
}

static bool probe_same(const struct siobpf_backend_config *a, const struct siobpf_backend_config *b)
{
	if (!a->in_use || !b->in_use)
		return a->in_use == b->in_use;
	return a->interval_ms == b->interval_ms && a->timeout_ms == b->timeout_ms &&
	       a->probe_port == b->probe_port && a->http_status == b->http_status &&
	       a->rise == b->rise && a->fall == b->fall && a->probe == b->probe &&
	       a->probe_method == b->probe_method &&
	       !strncmp(a->probe_path, b->probe_path, sizeof(a->probe_path));
}

/* One backend of the file against the running one at its address, if any. */
static void plan_backend(const struct running *r, const struct vip_entry *old,
			 const struct config_backend *src, struct be_step *s)
{
	s->src = src;
	if (old) {
		for (__u32 id = 0; id < SIOBPF_MAX_BACKENDS; id++) {
			const struct siobpf_backend *b = &r->table[id];

			if (serves(b, old->vip.id) && addr_equal(&src->addr, b->family, b->addr)) {
				s->old = (struct backend_entry){.id = id, .b = *b};
				break;
			}
		}
	}
	if (src->has_probe) {
		s->probe_next = src->probe;
		s->probe_next.in_use = 1;
	}
	if (!s->old.b.in_use) {
		s->op = OP_ADD;
		s->next.b.family = src->addr.family;
		memcpy(s->next.b.addr, src->addr.a, sizeof(s->next.b.addr));
		s->next.b.weight = src->weight;
		s->next.b.state = src->state == CONFIG_STATE_KEEP ? SIOBPF_BACKEND_UP : (__u8)src->state;
		s->probe = src->has_probe; /* a stale entry of the id's last owner does not apply */
		return;
	}
	if (backend_config_applies(&r->probes[s->old.id], s->old.b.generation))
		s->probe_old = r->probes[s->old.id];
	s->probe_next.generation = s->old.b.generation;
	s->probe = !probe_same(&s->probe_old, &s->probe_next);
	s->next = s->old;
	s->next.b.weight = src->weight;
	if (src->state != CONFIG_STATE_KEEP) { /* the operator's state wins over the probe's */
		/* A drain the file keeps keeps its marks: applying `save` changes nothing. */
		if (s->next.b.state != (__u8)src->state || (s->next.b.flags & SIOBPF_BACKEND_F_PROBE_DOWN))
			s->next.b.flags &= (__u8)~SIOBPF_BACKEND_F_STATE_MARKS;
		s->next.b.state = (__u8)src->state;
	}
	s->ring = s->next.b.weight != s->old.b.weight || s->next.b.state != s->old.b.state;
	s->record = s->ring || s->next.b.flags != s->old.b.flags;
	/* A drain deadline is an operation, not configuration: the file keeps
	 * it, and ends it only by changing the state, as `backend set` does. */
	if (r->probes[s->old.id].generation == s->old.b.generation)
		s->probe_next.drain_deadline = r->probes[s->old.id].drain_deadline;
	s->deadline = s->probe_next.drain_deadline && s->next.b.state != s->old.b.state;
	if (s->deadline)
		s->probe_next.drain_deadline = 0;
	s->op = s->record || s->probe || s->deadline ? OP_SET : OP_KEEP;
}

static int plan_build(const struct running *r, const struct config *cfg, struct plan *plan)
{
	plan->vips = calloc(cfg->nvips + r->nvips + 1, sizeof(*plan->vips));
	if (!plan->vips)
		return -ENOMEM;
	for (size_t v = 0; v < cfg->nvips; v++) {
		const struct config_vip *src = &cfg->vips[v];
		const struct vip_entry *old = running_vip(r, &src->e.key);
		struct vip_step *s = &plan->vips[plan->nvips++];
		size_t nold = 0;
		char how[8];

		s->src = src;
		vip_format(&src->e.key, s->text, sizeof(s->text));
		s->next = src->e;
		s->next.cfg.in_use = 1;
		if (old) {
			s->old = *old;
			s->next.vip.id = old->vip.id;
			s->next.vip.flags = old->vip.flags;
			s->op = vip_differs(&s->old, &s->next, how, sizeof(how)) ? OP_SET : OP_KEEP;
			for (__u32 id = 0; id < SIOBPF_MAX_BACKENDS; id++)
				nold += serves(&r->table[id], old->vip.id);
		} else {
			s->op = OP_ADD;
		}
		s->be = calloc(src->nbackends + nold + 1, sizeof(*s->be));
		if (!s->be)
			return -ENOMEM;
		for (size_t i = 0; i < src->nbackends; i++)
			plan_backend(r, old, &src->backends[i], &s->be[s->nbe++]);
		for (__u32 id = 0; old && id < SIOBPF_MAX_BACKENDS; id++) {
			const struct siobpf_backend *b = &r->table[id];

			if (serves(b, old->vip.id) && !in_file(src, b))
				s->be[s->nbe++] = (struct be_step){
					.op = OP_DEL, .old = {.id = id, .b = *b}, .next = {.id = id, .b = *b}};
		}
	}
	for (size_t i = 0; i < r->nvips; i++) {
		bool kept = false;

		for (size_t v = 0; v < cfg->nvips && !kept; v++)
			kept = !memcmp(&cfg->vips[v].e.key, &r->vips[i].key, sizeof(r->vips[i].key));
		if (!kept) {
			struct vip_step *s = &plan->vips[plan->nvips++];

			s->op = OP_DEL;
			s->old = s->next = r->vips[i];
			vip_format(&s->old.key, s->text, sizeof(s->text));
		}
	}
	return 0;
}

/* MACs and interfaces of new backends: all of them, before any write. */
static int plan_resolve(struct dataplane *dp, struct plan *plan, struct config_error *err)
{
	for (size_t v = 0; v < plan->nvips; v++)
		for (size_t i = 0; i < plan->vips[v].nbe; i++) {
			struct be_step *s = &plan->vips[v].be[i];
			char why[400], addr[ADDR_TEXT_MAX];
			int rc;

			if (s->op != OP_ADD)
				continue;
			addr_format(s->src->addr.family, s->src->addr.a, addr, sizeof(addr));
			rc = backend_resolve(&s->src->addr, &s->next.b, err->msg, sizeof(err->msg));
			if (!rc && (rc = egress_check(dp, s->next.b.ifindex, why, sizeof(why))))
				snprintf(err->msg, sizeof(err->msg), "backend %s: %s", addr, why);
			if (rc) {
				err->at = s->src->at;
				return rc;
			}
		}
	return 0;
}

/* --- carrying it out --- */

struct run {
	struct dataplane *dp;
	bool dry_run;
	FILE *log;
	struct config_changes *changes;
	unsigned done;
	struct config_error *err;
};

static void describe_backend(const struct vip_step *v, const struct be_step *s, char *buf, size_t len)
{
	char addr[ADDR_TEXT_MAX];
	const struct siobpf_backend *o = &s->old.b, *n = &s->next.b;

	addr_format(n->family, n->addr, addr, sizeof(addr));
	switch (s->op) {
	case OP_ADD:
		snprintf(buf, len, "VIP %s: backend %s added (%s, weight %u%s)", v->text, addr,
			 name_of(state_names, STATE_NAMES, n->state), n->weight,
			 s->probe ? ", its own probe settings" : "");
		break;
	case OP_DEL:
		snprintf(buf, len, "VIP %s: backend %s removed; its clients move", v->text, addr);
		break;
	default: {
		size_t used = (size_t)snprintf(buf, len, "VIP %s: backend %s changed:", v->text, addr);

		if (o->weight != n->weight && used < len)
			used += (size_t)snprintf(buf + used, len - used, " weight %u -> %u", o->weight, n->weight);
		if (o->state != n->state && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s state %s -> %s",
						 o->weight != n->weight ? "," : "",
						 name_of(state_names, STATE_NAMES, o->state),
						 name_of(state_names, STATE_NAMES, n->state));
		if (o->state == n->state && o->flags != n->flags && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s %s is now the operator's, not its probe's",
						 o->weight != n->weight ? "," : "",
						 name_of(state_names, STATE_NAMES, n->state));
		if (s->probe && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s %s", s->record ? "," : "",
						 !s->probe_next.in_use ? "its own probe settings removed (the VIP's apply)"
						 : s->probe_old.in_use ? "its own probe settings changed"
								       : "its own probe settings set");
		if (s->deadline && used < len)
			snprintf(buf + used, len - used, ", its drain deadline cleared");
		break;
	}
	}
}

static void describe_vip(const struct vip_step *s, char *buf, size_t len)
{
	char how[512];

	switch (s->op) {
	case OP_ADD:
		snprintf(buf, len, "VIP %s added", s->text);
		break;
	case OP_DEL:
		snprintf(buf, len, "VIP %s removed with its backends", s->text);
		break;
	default:
		vip_differs(&s->old, &s->next, how, sizeof(how));
		snprintf(buf, len, "VIP %s changed: %s%s", s->text, how,
			 key_shape_changes(s) ? "; its sticky key changed, so its sticky entries were cleared"
					      : "");
		break;
	}
}

/* Counts and tells a step that succeeded, or says which one failed. */
static int run_step(struct run *run, const char *what, const struct config_mark *at, int rc_of_write)
{
	if (rc_of_write) {
		if (at)
			run->err->at = *at;
		snprintf(run->err->msg, sizeof(run->err->msg),
			 "applying stopped at the change \"%s\", which failed: %s. The %u change%s before it "
			 "%s made, the rest were not: fix the cause and apply again (`siobpf save` shows the "
			 "running state)",
			 what, strerror(-rc_of_write), run->done, run->done == 1 ? "" : "s",
			 run->done == 1 ? "was" : "were");
		return rc_of_write;
	}
	run->done++;
	if (run->log)
		fprintf(run->log, "%s%s\n", run->dry_run ? "would: " : "", what);
	return 0;
}

static int vip_step_run(struct run *run, struct vip_step *s)
{
	char what[768];
	int rc = 0;

	describe_vip(s, what, sizeof(what));
	if (!run->dry_run) {
		if (s->op == OP_ADD) /* published once its backends are in (plan_run) */
			rc = state_vip_prepare(run->dp, &s->next);
		else if (s->op == OP_SET)
			rc = state_vip_update(run->dp, &s->old, &s->next);
		else
			rc = state_vip_del(run->dp, &s->old);
	}
	rc = run_step(run, what, s->src ? &s->src->at : NULL, rc);
	if (!rc && run->changes) {
		run->changes->vips_added += s->op == OP_ADD;
		run->changes->vips_changed += s->op == OP_SET;
		run->changes->vips_removed += s->op == OP_DEL;
	}
	return rc;
}

/* Tells (and counts) one backend step whose record the batch it was in
 * wrote (rc_of_batch its result), after writing its own probe settings. */
static int be_step_run(struct run *run, struct vip_step *v, struct be_step *s, int rc_of_batch)
{
	char what[512];
	int rc = rc_of_batch;

	describe_backend(v, s, what, sizeof(what));
	if (!rc && !run->dry_run && s->op != OP_DEL && (s->probe || s->deadline)) {
		/* Bound to this backend's generation (known only once added). */
		s->probe_next.generation = s->next.b.generation;
		rc = backend_config_put(run->dp, s->next.id, &s->probe_next);
	}
	rc = run_step(run, what, s->src ? &s->src->at : v->src ? &v->src->at : NULL, rc);
	if (!rc && run->changes) {
		run->changes->backends_added += s->op == OP_ADD;
		run->changes->backends_changed += s->op == OP_SET;
		run->changes->backends_removed += s->op == OP_DEL;
	}
	return rc;
}

enum batch_part { BATCH_ALL, BATCH_REMOVALS, BATCH_REST };

static bool in_part(const struct be_step *s, enum batch_part part)
{
	if (s->op == OP_KEEP)
		return false;
	return part == BATCH_ALL || (part == BATCH_REMOVALS) == (s->op == OP_DEL);
}

/* Whether the step writes the backend's record (probe settings alone do not). */
static bool writes_record(const struct be_step *s)
{
	return s->op == OP_ADD || s->op == OP_DEL || s->record;
}

/*
 * The backend changes of one VIP written as one batch: new ids claimed,
 * then every record and the ring in one state_backends_update_batch, which
 * orders them around the single ring write (DESIGN §7). So a VIP's ring is
 * written once however many of its backends change, and a new VIP's ring is
 * complete before it is published. The VIP passed is the one the records
 * are written under: its new settings (a removed backend's record keeps its
 * VIP id, which does not change).
 */
static int be_batch_run(struct run *run, struct vip_step *v, enum batch_part part)
{
	struct backend_entry *entries, *claimed;
	size_t n = 0, nadd = 0, k = 0;
	int rc = 0;

	entries = calloc(v->nbe + 1, sizeof(*entries));
	claimed = calloc(v->nbe + 1, sizeof(*claimed));
	if (!entries || !claimed) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < v->nbe; i++)
		if (in_part(&v->be[i], part) && v->be[i].op == OP_ADD)
			claimed[nadd++] = v->be[i].next;
	if (nadd && !run->dry_run)
		rc = state_backends_claim(run->dp, &v->next, claimed, nadd);
	if (rc)
		goto out;
	for (size_t i = 0; i < v->nbe; i++) {
		struct be_step *s = &v->be[i];

		if (!in_part(s, part) || !writes_record(s))
			continue;
		if (s->op == OP_ADD)
			s->next = claimed[k++];
		else if (s->op == OP_DEL)
			s->next.b = state_backend_freed(&s->old.b);
		entries[n++] = s->next;
	}
	if (n && !run->dry_run)
		rc = state_backends_update_batch(run->dp, &v->next, entries, n);
	/* Each step told in turn; on a failure the first step of the batch
	 * names it (the batch put every record back, so none was made). */
	for (size_t i = 0; i < v->nbe; i++)
		if (in_part(&v->be[i], part) && (rc = be_step_run(run, v, &v->be[i], rc)))
			break;
out:
	if (rc && rc != -ENOSPC && !run->err->msg[0])
		run_step(run, "the backends' records", v->src ? &v->src->at : NULL, rc);
	free(entries);
	free(claimed);
	return rc;
}

/* A VIP's backend changes: one batch, or when the table has no ids for the
 * additions until the VIP's own removals free some, the removals first. */
static int vip_backends_run(struct run *run, struct vip_step *v)
{
	int rc = be_batch_run(run, v, BATCH_ALL);

	if (rc == -ENOSPC) {
		rc = be_batch_run(run, v, BATCH_REMOVALS);
		if (!rc)
			rc = be_batch_run(run, v, BATCH_REST);
		if (rc == -ENOSPC && !run->err->msg[0])
			run_step(run, "the new backends' ids", v->src ? &v->src->at : NULL, rc);
	}
	return rc;
}

/* Removed VIPs first, so that ids freed by them are there for additions;
 * then each VIP's settings and all its backend changes at once (one ring
 * write), and a new VIP is published last, with its complete ring. */
static int plan_run(struct run *run, struct plan *plan)
{
	int rc;

	for (size_t v = 0; v < plan->nvips; v++)
		if (plan->vips[v].op == OP_DEL && (rc = vip_step_run(run, &plan->vips[v])))
			return rc;
	for (size_t v = 0; v < plan->nvips; v++) {
		struct vip_step *s = &plan->vips[v];

		if (s->op == OP_DEL)
			continue;
		if (s->op != OP_KEEP && (rc = vip_step_run(run, s)))
			return rc;
		if ((rc = vip_backends_run(run, s)))
			return rc;
		/* A new VIP goes live with its complete ring, not one backend at
		 * a time (its first clients would all land on the first). */
		if (s->op == OP_ADD && !run->dry_run && (rc = state_vip_publish(run->dp, &s->next)))
			return run_step(run, "publish the VIP", s->src ? &s->src->at : NULL, rc);
	}
	return 0;
}

int config_apply(struct dataplane *dp, const struct config *cfg, bool dry_run, FILE *log,
		 struct config_changes *changes, struct config_error *err)
{
	struct run run = {.dp = dp, .dry_run = dry_run, .log = log, .changes = changes, .err = err};
	struct plan plan = {0};
	struct running r;
	int rc;

	memset(err, 0, sizeof(*err));
	if (changes)
		memset(changes, 0, sizeof(*changes));
	rc = running_read(dp, &r);
	if (rc) {
		snprintf(err->msg, sizeof(err->msg), "reading the running state failed: %s", strerror(-rc));
		return rc;
	}
	rc = plan_build(&r, cfg, &plan);
	if (rc)
		snprintf(err->msg, sizeof(err->msg), "planning the changes failed: %s", strerror(-rc));
	if (!rc)
		rc = plan_resolve(dp, &plan, err);
	if (!rc)
		rc = plan_run(&run, &plan);
	plan_free(&plan);
	running_free(&r);
	return rc;
}

int config_apply_file(struct dataplane *dp, const char *path, char *errbuf, size_t errlen)
{
	struct config_error err;
	struct config cfg;
	int rc;

	rc = config_load_file(path, &cfg, errbuf, errlen);
	if (rc)
		return rc;
	rc = config_apply(dp, &cfg, false, NULL, NULL, &err);
	if (!strcmp(path, "-"))
		path = "<stdin>";
	if (rc && err.at.line)
		snprintf(errbuf, errlen, "%s:%d:%d: %s", path, err.at.line, err.at.column, err.msg);
	else if (rc)
		snprintf(errbuf, errlen, "%s: %s", path, err.msg);
	config_free(&cfg);
	return rc;
}
