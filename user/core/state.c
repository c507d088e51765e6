// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* VIPs and backends on top of the maps; see state.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "map_write.h"
#include "state.h"
#include "vip_table.h"

void state_vip_defaults(const struct siobpf_vip_key *key, struct siobpf_vip *vip,
			struct siobpf_vip_config *cfg)
{
	memset(vip, 0, sizeof(*vip));
	memset(cfg, 0, sizeof(*cfg));
	vip->persist_sec = 600;
	vip->sticky = SIOBPF_STICKY_IP;
	vip->forward = SIOBPF_FORWARD_DSR;
	vip->prefix = key->family == SIOBPF_FAMILY_IPV6 ? 128 : 32;
	prefix_mask(key->family, vip->prefix, vip->mask);
	cfg->probe = SIOBPF_PROBE_TCP;
	cfg->interval_ms = 2000;
	cfg->timeout_ms = 0; /* unset: derived from the interval in force */
	cfg->rise = 2;
	cfg->fall = 3;
	cfg->http_status = 200;
	strcpy(cfg->probe_path, "/");
	cfg->in_use = 1;
}

int state_vip_find(struct dataplane *dp, const struct siobpf_vip_key *key, struct vip_entry *out)
{
	int err = dataplane_vip_get(dp, key, &out->vip);

	if (err)
		return err;
	if (out->vip.flags & SIOBPF_VIP_F_FRAG_ALIAS)
		return -ENOENT;
	out->key = *key;
	if (bpf_map_lookup_elem(dp->vip_cfg_fd, &out->vip.id, &out->cfg))
		return -errno;
	return 0;
}

static int vip_cmp(const void *a, const void *b)
{
	const struct vip_entry *x = a, *y = b;

	return x->vip.id < y->vip.id ? -1 : x->vip.id > y->vip.id;
}

int state_vip_list(struct dataplane *dp, struct vip_entry *out, size_t max, size_t *count)
{
	struct siobpf_vip_key key, next, *prev = NULL;
	size_t n = 0;

	while (n < max && !bpf_map_get_next_key(dp->vips_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (state_vip_find(dp, &key, &out[n]) == 0)
			n++;
	}
	qsort(out, n, sizeof(*out), vip_cmp);
	*count = n;
	return 0;
}

/* Zeroes entry id of a per-CPU array of values of size bytes (a multiple
 * of 8). */
static int counters_zero(int fd, __u32 id, int ncpus, size_t size)
{
	void *zero = calloc((size_t)ncpus, size);
	int err = 0;

	if (!zero)
		return -ENOMEM;
	if (sio_map_update(fd, &id, zero, BPF_ANY))
		err = -errno;
	free(zero);
	return err;
}

/* Marks the VIP ids that backend records still name. A VIP id is reused
 * only once no record names it (DESIGN §7): a `vip del` killed between
 * unpublishing the VIP and freeing its backends leaves such records, and a
 * new VIP given that id would inherit them. */
static int ids_named_by_backends(struct dataplane *dp, bool used[SIOBPF_MAX_VIPS])
{
	struct siobpf_backend *table = calloc(SIOBPF_MAX_BACKENDS, sizeof(*table));
	int err;

	if (!table)
		return -ENOMEM;
	err = dataplane_backends_read(dp, table);
	for (__u32 id = 0; !err && id < SIOBPF_MAX_BACKENDS; id++)
		if (table[id].in_use && table[id].vip_id < SIOBPF_MAX_VIPS)
			used[table[id].vip_id] = true;
	free(table);
	return err;
}

int state_vip_prepare(struct dataplane *dp, struct vip_entry *entry)
{
	bool used[SIOBPF_MAX_VIPS] = {false};
	struct vip_entry *all;
	size_t n;
	__u32 id;
	int err;

	all = calloc(SIOBPF_MAX_VIPS, sizeof(*all));
	if (!all)
		return -ENOMEM;
	err = state_vip_list(dp, all, SIOBPF_MAX_VIPS, &n);
	for (size_t i = 0; !err && i < n; i++) {
		if (!memcmp(&all[i].key, &entry->key, sizeof(entry->key)))
			err = -EEXIST;
		used[all[i].vip.id] = true;
	}
	free(all);
	if (!err)
		err = ids_named_by_backends(dp, used);
	if (err)
		return err;
	for (id = 0; id < SIOBPF_MAX_VIPS && used[id]; id++)
		;
	if (id == SIOBPF_MAX_VIPS)
		return -ENOSPC;

	entry->vip.id = id;
	entry->cfg.in_use = 1;
	/* A reused id starts clean: no counters, sticky entries or ring of the
	 * VIP that had it before. */
	err = counters_zero(dp->vip_stats_fd, id, dp->ncpus, sizeof(struct siobpf_traffic));
	if (!err)
		err = counters_zero(dp->admit_stats_fd, id, dp->ncpus, sizeof(struct siobpf_admit_stats));
	if (!err)
		err = state_sticky_forget(dp, id);
	if (!err && sio_map_update(dp->vip_cfg_fd, &id, &entry->cfg, BPF_ANY))
		err = -errno;
	if (!err) /* nor the previous ring and change time of that VIP */
		err = dataplane_rings_forget(dp, id);
	if (!err)
		err = dataplane_ring_rebuild(dp, &entry->vip); /* empty until backends come */
	return err;
}

int state_vip_publish(struct dataplane *dp, const struct vip_entry *entry)
{
	int err = dataplane_vip_put(dp, &entry->key, &entry->vip);

	if (!err)
		err = dataplane_vips_publish(dp);
	if (err && !sio_map_delete(dp->vips_fd, &entry->key))
		dataplane_vips_publish(dp);
	return err;
}

int state_vip_add(struct dataplane *dp, struct vip_entry *entry)
{
	int err = state_vip_prepare(dp, entry);

	return err ? err : state_vip_publish(dp, entry);
}

static bool key_shape_changed(const struct siobpf_vip *a, const struct siobpf_vip *b)
{
	return a->sticky != b->sticky || a->prefix != b->prefix;
}

int state_vip_update(struct dataplane *dp, const struct vip_entry *old, const struct vip_entry *next)
{
	int err;

	if (sio_map_update(dp->vip_cfg_fd, &next->vip.id, &next->cfg, BPF_ANY))
		return -errno;
	if (old->vip.hash_seed != next->vip.hash_seed) {
		err = dataplane_ring_rebuild(dp, &next->vip);
		/* The previous ring's slots are of the old seed: a key's slot
		 * under the new one names no backend it ever had there. */
		if (!err)
			err = dataplane_prev_ring_forget(dp, next->vip.id);
		if (err)
			goto restore;
	}
	err = dataplane_vip_put(dp, &next->key, &next->vip);
	if (!err)
		err = dataplane_vips_publish(dp);
	if (err)
		goto restore;
	/* Entries keyed the old way would never match again; free them. */
	if (key_shape_changed(&old->vip, &next->vip))
		return state_sticky_forget(dp, next->vip.id);
	/* A slot keeps the deadline it was given: a lowered persistence is
	 * brought to the entries already made (a raised one reaches them at
	 * their next refresh). */
	if (next->vip.persist_sec < old->vip.persist_sec)
		return dataplane_sticky_clamp(dp, next->vip.id, next->vip.persist_sec);
	return 0;
restore:
	sio_map_update(dp->vip_cfg_fd, &old->vip.id, &old->cfg, BPF_ANY);
	dataplane_vip_put(dp, &old->key, &old->vip);
	dataplane_vips_publish(dp);
	dataplane_ring_rebuild(dp, &old->vip);
	return err;
}

int state_vip_del(struct dataplane *dp, const struct vip_entry *entry)
{
	struct siobpf_backend *table;
	struct siobpf_vip_config none = {0};
	size_t n = 0;
	int err;

	if (sio_map_delete(dp->vips_fd, &entry->key))
		return -errno;
	err = dataplane_vips_publish(dp);
	/* Traffic for the VIP is passed from here on; the rest is clean-up. */
	table = calloc(SIOBPF_MAX_BACKENDS, sizeof(*table));
	if (!table)
		return -ENOMEM;
	if (!err)
		err = dataplane_backends_read(dp, table);
	for (__u32 id = 0; !err && id < SIOBPF_MAX_BACKENDS; id++) {
		if (!table[id].in_use || table[id].vip_id != entry->vip.id)
			continue;
		table[id].in_use = 0;
		table[id].state = SIOBPF_BACKEND_DOWN;
		table[id].generation++;
		n++;
	}
	if (!err && n) /* every record of the VIP freed in one swap */
		err = dataplane_backends_install(dp, table);
	free(table);
	if (!err)
		err = dataplane_rings_forget(dp, entry->vip.id);
	if (!err && sio_map_update(dp->vip_cfg_fd, &entry->vip.id, &none, BPF_ANY))
		err = -errno;
	if (!err)
		err = state_sticky_forget(dp, entry->vip.id);
	return err;
}

static int backend_cmp(const void *a, const void *b)
{
	const struct backend_entry *x = a, *y = b;

	if (x->b.family != y->b.family)
		return x->b.family < y->b.family ? -1 : 1;
	return memcmp(x->b.addr, y->b.addr, sizeof(x->b.addr));
}

int state_backend_list(struct dataplane *dp, __u32 vip_id, struct backend_entry *out, size_t max,
		       size_t *count)
{
	struct siobpf_backend *table = calloc(SIOBPF_MAX_BACKENDS, sizeof(*table));
	size_t n = 0;
	int err;

	if (!table)
		return -ENOMEM;
	err = dataplane_backends_read(dp, table);
	for (__u32 id = 0; !err && id < SIOBPF_MAX_BACKENDS && n < max; id++) {
		if (!table[id].in_use || table[id].vip_id != vip_id)
			continue;
		out[n].id = id;
		out[n].b = table[id];
		n++;
	}
	free(table);
	qsort(out, n, sizeof(*out), backend_cmp);
	*count = n;
	return err;
}

int state_backend_find(struct dataplane *dp, __u32 vip_id, const struct addr *addr,
		       struct backend_entry *out)
{
	struct siobpf_backend *table = calloc(SIOBPF_MAX_BACKENDS, sizeof(*table));
	int err;

	if (!table)
		return -ENOMEM;
	err = dataplane_backends_read(dp, table);
	for (__u32 id = 0; !err && id < SIOBPF_MAX_BACKENDS; id++) {
		const struct siobpf_backend *b = &table[id];

		if (b->in_use && b->vip_id == vip_id && addr_equal(addr, b->family, b->addr)) {
			out->id = id;
			out->b = *b;
			free(table);
			return 0;
		}
	}
	free(table);
	return err ? err : -ENOENT;
}

/* Whether the ring may name b for new clients: the builder takes only
 * backends that are up (a drained or down one's slots go to the others). */
static bool takes_new_clients(const struct siobpf_backend *b)
{
	return b->in_use && b->state == SIOBPF_BACKEND_UP;
}

/* Writes a backend and its VIP's ring in the order that leaves no packet
 * without a backend (DESIGN §7): a backend that stops taking new clients
 * leaves the ring first, and its record changes after, so no new client is
 * sent to a record that turns it away; any other change writes the record
 * first, so the ring names only complete records. On failure the previous
 * record and ring are put back. */
static int backend_write(struct dataplane *dp, const struct vip_entry *vip, __u32 id,
			 const struct siobpf_backend *next, const struct siobpf_backend *prev)
{
	int err;

	if (takes_new_clients(prev) && !takes_new_clients(next)) {
		err = dataplane_ring_rebuild_as(dp, &vip->vip, id, next);
		if (!err)
			err = dataplane_backend_put(dp, id, next);
	} else {
		err = dataplane_backend_put(dp, id, next);
		if (!err)
			err = dataplane_ring_rebuild(dp, &vip->vip);
	}
	if (err) {
		dataplane_backend_put(dp, id, prev);
		dataplane_ring_rebuild(dp, &vip->vip);
	}
	return err;
}

int state_backends_claim(struct dataplane *dp, const struct vip_entry *vip,
			 struct backend_entry *entries, size_t n)
{
	struct siobpf_backend *table = calloc(SIOBPF_MAX_BACKENDS, sizeof(*table));
	__u32 id = 0;
	int err;

	if (!table)
		return -ENOMEM;
	err = dataplane_backends_read(dp, table);
	for (size_t i = 0; !err && i < n; i++, id++) {
		while (id < SIOBPF_MAX_BACKENDS && table[id].in_use)
			id++;
		if (id == SIOBPF_MAX_BACKENDS) {
			err = -ENOSPC;
			break;
		}
		entries[i].id = id;
		entries[i].b.in_use = 1;
		entries[i].b.vip_id = vip->vip.id;
		/* Entries made for whoever held this id before must not match. */
		entries[i].b.generation = table[id].generation + 1;
	}
	free(table);
	/* Counters last: nothing is written unless every id was found. */
	for (size_t i = 0; !err && i < n; i++)
		err = counters_zero(dp->be_stats_fd, entries[i].id, dp->ncpus, sizeof(struct siobpf_traffic));
	return err;
}

int state_backend_add(struct dataplane *dp, const struct vip_entry *vip, struct backend_entry *entry)
{
	struct siobpf_backend prev;
	int err = state_backends_claim(dp, vip, entry, 1);

	if (!err)
		err = dataplane_backend_get(dp, entry->id, &prev);
	return err ? err : backend_write(dp, vip, entry->id, &entry->b, &prev);
}

int state_backend_update(struct dataplane *dp, const struct vip_entry *vip,
			 const struct backend_entry *entry)
{
	struct siobpf_backend prev;
	int err = dataplane_backend_get(dp, entry->id, &prev);

	if (err)
		return err;
	return backend_write(dp, vip, entry->id, &entry->b, &prev);
}

/* Whether a change takes the backend out of the ring. */
static bool leaves_ring(const struct siobpf_backend *prev, const struct siobpf_backend *next)
{
	return takes_new_clients(prev) && !takes_new_clients(next);
}

/* After backends were freed: their slots are dead for everyone; emptied. */
static int sticky_room_after_removal(struct dataplane *dp)
{
	return dataplane_sticky_reclaim(dp, SIOBPF_NO_VIP);
}

/*
 * backend_write for several backends of one VIP, with one ring rebuild in
 * all: the records of backends that stay in or join the ring are swapped in
 * first (one table), then the ring built as if every record were written,
 * then the records of those that leave it (a second table), DESIGN §7 for
 * each backend of the batch.
 */
int state_backends_update_batch(struct dataplane *dp, const struct vip_entry *vip,
				const struct backend_entry *entries, size_t n)
{
	struct siobpf_backend *table, *prev;
	size_t stay = 0;
	int err;

	if (!n)
		return 0;
	table = calloc(SIOBPF_MAX_BACKENDS, sizeof(*table));
	prev = calloc(n, sizeof(*prev));
	if (!table || !prev) {
		err = -ENOMEM;
		goto out;
	}
	err = dataplane_backends_read(dp, table);
	for (size_t i = 0; !err && i < n; i++) {
		__u32 id = entries[i].id;

		/* Each id once, of this VIP or free (a claimed one): the
		 * restore below needs both. */
		if (id >= SIOBPF_MAX_BACKENDS || entries[i].b.vip_id != vip->vip.id ||
		    (table[id].in_use && table[id].vip_id != vip->vip.id)) {
			err = -EINVAL;
			break;
		}
		for (size_t j = 0; j < i; j++)
			if (entries[j].id == id)
				err = -EINVAL;
		prev[i] = table[id];
	}
	if (err)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (!leaves_ring(&prev[i], &entries[i].b)) {
			table[entries[i].id] = entries[i].b;
			stay++;
		}
	if (stay)
		err = dataplane_backends_install(dp, table);
	for (size_t i = 0; i < n; i++)
		table[entries[i].id] = entries[i].b;
	if (!err)
		err = dataplane_ring_install_from(dp, &vip->vip, table);
	if (!err && stay < n)
		err = dataplane_backends_install(dp, table);
	if (err) {
		for (size_t i = 0; i < n; i++)
			table[entries[i].id] = prev[i];
		dataplane_backends_install(dp, table);
		dataplane_ring_rebuild(dp, &vip->vip);
	}
	for (size_t i = 0; !err && i < n; i++)
		if (prev[i].in_use && !entries[i].b.in_use) {
			err = sticky_room_after_removal(dp);
			break;
		}
out:
	free(table);
	free(prev);
	return err;
}

struct siobpf_backend state_backend_freed(const struct siobpf_backend *b)
{
	struct siobpf_backend freed = *b;

	freed.in_use = 0;
	freed.state = SIOBPF_BACKEND_DOWN;
	freed.generation++;
	return freed;
}

int state_backend_del(struct dataplane *dp, const struct vip_entry *vip,
		      const struct backend_entry *entry)
{
	struct siobpf_backend freed = state_backend_freed(&entry->b);
	int err = backend_write(dp, vip, entry->id, &freed, &entry->b);

	return err ? err : sticky_room_after_removal(dp);
}

/* Protected and probation slots alike, at once: the VIP's table epoch is
 * renewed (dataplane_sticky_forget), so no packet finds them again. Then
 * the room: the VIP's slots, and those dead for everyone, are emptied
 * (otherwise they would stay held until their deadline, and inserts never
 * take a held protected slot). A slot a client made in between under the
 * new epoch may go too: that client makes it again with its next packet. */
int state_sticky_forget(struct dataplane *dp, __u32 vip_id)
{
	int err = dataplane_sticky_forget(dp, vip_id);

	return err ? err : dataplane_sticky_reclaim(dp, vip_id);
}

