// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The pinned maps' invariants; see check.h. Each step reads the state as
 * the steps before it left it, so that a repair (an orphan freed) is seen
 * by the checks after it (the rings). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "check.h"
#include "map_write.h"
#include "state.h"
#include "vip_table.h"

struct checker {
	struct dataplane *dp;
	bool repair;
	FILE *out;
	struct check_result *res;
	struct vip_entry *vips; /* the published VIPs, by id (vip.id) */
	bool published[SIOBPF_MAX_VIPS];
	struct siobpf_backend *table;
};

/* A violation, and its repair's outcome (err of the repair; ignored when
 * not repairing). */
static void report(struct checker *c, int err, const char *what, const char *how)
{
	c->res->found++;
	fprintf(c->out, "problem: %s\n", what);
	if (!c->repair)
		return;
	if (err) {
		fprintf(c->out, "  not repaired: %s failed: %s\n", how, strerror(-err));
		return;
	}
	fprintf(c->out, "  repaired: %s\n", how);
	c->res->repaired++;
}

static int vips_published(struct checker *c)
{
	struct vip_entry *list = calloc(SIOBPF_MAX_VIPS, sizeof(*list));
	size_t n;
	int err;

	if (!list)
		return -ENOMEM;
	err = state_vip_list(c->dp, list, SIOBPF_MAX_VIPS, &n);
	for (size_t i = 0; !err && i < n; i++) {
		c->published[list[i].vip.id] = true;
		c->vips[list[i].vip.id] = list[i];
	}
	free(list);
	return err;
}

/* Records in use that name a VIP that is not published. */
static int orphan_backends(struct checker *c)
{
	char what[160], addr[ADDR_TEXT_MAX];

	for (__u32 id = 0; id < SIOBPF_MAX_BACKENDS; id++) {
		struct siobpf_backend *b = &c->table[id];
		int err = 0;

		if (!b->in_use || (b->vip_id < SIOBPF_MAX_VIPS && c->published[b->vip_id]))
			continue;
		addr_format(b->family, b->addr, addr, sizeof(addr));
		snprintf(what, sizeof(what), "backend %s (id %u) is in use by VIP id %u, which is not published",
			 addr, id, b->vip_id);
		if (c->repair) {
			b->in_use = 0;
			b->state = SIOBPF_BACKEND_DOWN;
			b->generation++; /* its sticky entries die with it */
			err = dataplane_backend_put(c->dp, id, b);
		}
		report(c, err, what, "the record freed");
	}
	return 0;
}

/* Settings in use of VIP ids that are not published: a `vip add` stopped
 * before publishing, or a `vip del` after unpublishing. Both end as if the
 * VIP had never been, or had been deleted: settings, ring, entries gone. */
static int unpublished_settings(struct checker *c)
{
	struct siobpf_vip_config cfg, none = {0};
	char what[96];

	for (__u32 id = 0; id < SIOBPF_MAX_VIPS; id++) {
		int err = 0;

		if (bpf_map_lookup_elem(c->dp->vip_cfg_fd, &id, &cfg))
			return -errno;
		if (!cfg.in_use || c->published[id])
			continue;
		snprintf(what, sizeof(what), "VIP id %u has settings but is not published", id);
		if (c->repair) {
			err = sio_map_update(c->dp->vip_cfg_fd, &id, &none, BPF_ANY) ? -errno : 0;
			if (!err && sio_map_delete(c->dp->rings_fd, &id) && errno != ENOENT)
				err = -errno;
			if (!err)
				err = state_sticky_forget(c->dp, id);
		}
		report(c, err, what, "its settings, ring and sticky entries removed");
	}
	return 0;
}

/* Each published VIP's ring against the one its backends make. */
static int stale_rings(struct checker *c)
{
	__u32 *want = malloc(SIOBPF_RING_SIZE * sizeof(*want));
	__u32 *have = malloc(SIOBPF_RING_SIZE * sizeof(*have));
	char what[160], vip[ADDR_TEXT_MAX + 16];
	int err = 0;

	if (!want || !have) {
		err = -ENOMEM;
		goto out;
	}
	for (__u32 id = 0; !err && id < SIOBPF_MAX_VIPS; id++) {
		const struct vip_entry *v = &c->vips[id];
		int read, fix = 0;

		if (!c->published[id])
			continue;
		err = dataplane_ring_build(&v->vip, c->table, want);
		if (err)
			break;
		read = dataplane_ring_read(c->dp, id, have);
		if (read == 0 && !memcmp(want, have, SIOBPF_RING_SIZE * sizeof(*want)))
			continue;
		if (read && read != -ENOENT) {
			err = read;
			break;
		}
		vip_format(&v->key, vip, sizeof(vip));
		snprintf(what, sizeof(what), "VIP %s: %s", vip,
			 read ? "has no ring" : "its ring is not the one its backends make (stale)");
		if (c->repair)
			fix = dataplane_ring_install(c->dp, id, want);
		report(c, fix, what, "the ring rebuilt");
	}
out:
	free(want);
	free(have);
	return err;
}

static int stale_index(struct checker *c)
{
	int same = dataplane_vips_published(c->dp), err = 0;

	if (same < 0)
		return same;
	if (same)
		return 0;
	if (c->repair)
		err = dataplane_vips_publish(c->dp);
	report(c, err, "the VIP index or the address entries are not what the VIP table makes",
	       "the VIP table published again");
	return 0;
}

/* Interfaces that backend records name but sio_egress lacks (their frames
 * are dropped as drop_no_egress): an interface that came back, or maps
 * written otherwise. Repaired by installing the table again, which adds
 * every interface that exists. */
static int missing_egress(struct checker *c)
{
	char what[200], addr[ADDR_TEXT_MAX] = "";
	__u32 first_ifindex = 0;
	size_t missing = 0;
	int err = 0;

	for (__u32 id = 0; id < SIOBPF_MAX_BACKENDS; id++) {
		const struct siobpf_backend *b = &c->table[id];

		if (!b->in_use || !b->ifindex || dataplane_egress_present(c->dp, b->ifindex))
			continue;
		if (!missing++) {
			addr_format(b->family, b->addr, addr, sizeof(addr));
			first_ifindex = b->ifindex;
		}
	}
	if (!missing)
		return 0;
	if (c->repair)
		err = dataplane_backends_install(c->dp, c->table);
	for (__u32 id = 0; c->repair && !err && id < SIOBPF_MAX_BACKENDS; id++)
		if (c->table[id].in_use && c->table[id].ifindex &&
		    !dataplane_egress_present(c->dp, c->table[id].ifindex))
			err = -ENODEV; /* the interface is gone */
	snprintf(what, sizeof(what),
		 "%zu backend record%s name%s an interface not in sio_egress (backend %s: interface %u)",
		 missing, missing == 1 ? "" : "s", missing == 1 ? "s" : "", addr, first_ifindex);
	report(c, err, what, "the interfaces put in sio_egress");
	return 0;
}

int check_run(struct dataplane *dp, bool repair, FILE *out, struct check_result *res)
{
	struct checker c = {.dp = dp, .repair = repair, .out = out, .res = res};
	int err;

	memset(res, 0, sizeof(*res));
	c.vips = calloc(SIOBPF_MAX_VIPS, sizeof(*c.vips));
	c.table = calloc(SIOBPF_MAX_BACKENDS, sizeof(*c.table));
	if (!c.vips || !c.table) {
		err = -ENOMEM;
		goto out;
	}
	err = vips_published(&c);
	if (!err)
		err = dataplane_backends_read(dp, c.table);
	if (!err)
		err = orphan_backends(&c);
	if (!err)
		err = unpublished_settings(&c);
	if (!err)
		err = stale_rings(&c);
	if (!err)
		err = stale_index(&c);
	if (!err)
		err = missing_egress(&c);
out:
	free(c.vips);
	free(c.table);
	return err;
}
