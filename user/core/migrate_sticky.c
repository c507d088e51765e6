// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Sticky entries into a new table (migrate_sticky.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "migrate_sticky.h"

/* The value of the LRU tables of layouts 1 to 3. */
struct lru_entry {
	__u32 backend_id;
	__u32 generation;
	__u64 last_seen; /* CLOCK_MONOTONIC_COARSE ns */
};

struct carry {
	struct dataplane *dp;
	struct siobpf_backend *backends;
	struct siobpf_vip vips[SIOBPF_MAX_VIPS];
	__u32 epochs[SIOBPF_MAX_VIPS];
	bool have[SIOBPF_MAX_VIPS];
	__u64 now;
	unsigned flags;
	size_t copied, lost;
};

static int vip_read_one(const struct siobpf_vip_key *key, const struct siobpf_vip *vip, void *ctx)
{
	struct carry *c = ctx;

	(void)key;
	if (vip->id >= SIOBPF_MAX_VIPS)
		return 0;
	c->vips[vip->id] = *vip;
	c->have[vip->id] = true;
	c->epochs[vip->id] = dataplane_vip_epoch(c->dp, vip->id);
	return 0;
}

/* Every VIP of the new maps by id, with its table epoch. */
static int vips_read(struct carry *c)
{
	return dataplane_vips_each(c->dp, vip_read_one, c);
}

/* One LRU entry, as a slot of kind: its deadline is its last sighting plus
 * its VIP's persistence; an entry of no VIP, or already expired, is left. */
static int carry_one(struct carry *c, const struct siobpf_sticky_key *key, const struct lru_entry *e,
		     __u32 kind)
{
	const struct siobpf_vip *vip;
	__u64 persist_ns;
	int err;

	if (key->vip_id >= SIOBPF_MAX_VIPS || !c->have[key->vip_id] || e->backend_id >= SIOBPF_MAX_BACKENDS)
		return 0;
	vip = &c->vips[key->vip_id];
	persist_ns = (__u64)vip->persist_sec * 1000000000ull;
	if (!vip->persist_sec || c->now - e->last_seen >= persist_ns)
		return 0;
	err = sticky_table_put(&c->dp->sticky, vip, c->epochs[key->vip_id], c->backends, key,
			       e->backend_id, e->generation, kind,
			       siobpf_time_units(e->last_seen) + siobpf_persist_units(vip->persist_sec),
			       siobpf_time_units(c->now), c->flags);
	if (err == -ENOSPC) {
		c->lost++;
		return 0;
	}
	/* A live slot with the key's fingerprint serves it already, as the
	 * program would have it (a fingerprint collision, or the new
	 * program's own slot for the key). */
	if (err == -EEXIST)
		return 0;
	if (!err)
		c->copied++;
	return err;
}

/* Every entry of an LRU table, bounded: the old program may still churn it. */
static int carry_lru(struct carry *c, int fd, __u32 kind)
{
	struct siobpf_sticky_key key, next;
	struct bpf_map_info info;
	struct lru_entry e;
	__u32 len = sizeof(info);
	bool have = false;
	int err = 0;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.key_size != sizeof(key) || info.value_size != sizeof(e))
		return -EINVAL;
	for (__u64 steps = 0; !err && steps < 2ull * info.max_entries + 1 &&
			      !bpf_map_get_next_key(fd, have ? &key : NULL, &next); steps++) {
		key = next;
		have = true;
		if (!bpf_map_lookup_elem(fd, &key, &e))
			err = carry_one(c, &key, &e, kind);
	}
	return err;
}

int migrate_sticky(int old_sticky_fd, int old_probation_fd, struct dataplane *dp, bool late,
		   size_t *copied, size_t *lost)
{
	struct carry *c = calloc(1, sizeof(*c));
	struct sticky_table old;
	int err;

	*copied = *lost = 0;
	if (!c)
		return -ENOMEM;
	c->dp = dp;
	c->now = dataplane_now();
	c->flags = STICKY_PUT_IF_UNSERVED | (late ? STICKY_PUT_KEEP_FRESHER : 0);
	/* A bucket table: copied slot by slot, no key needed. */
	if (sticky_table_open(&old, old_sticky_fd) == 0) {
		err = sticky_table_copy(&old, &dp->sticky, siobpf_time_units(c->now), c->flags, copied, lost);
		sticky_table_close(&old);
		free(c);
		return err;
	}
	c->backends = malloc(SIOBPF_MAX_BACKENDS * sizeof(*c->backends));
	err = c->backends ? dataplane_backends_read(dp, c->backends) : -ENOMEM;
	if (!err)
		err = vips_read(c);
	/* Layout 3 on, sio_sticky held protected entries only; before it,
	 * every entry was there, and clients the old program knew are
	 * established ones. */
	if (!err)
		err = carry_lru(c, old_sticky_fd, SIOBPF_SLOT_PROTECTED);
	if (!err && old_probation_fd >= 0)
		err = carry_lru(c, old_probation_fd, SIOBPF_SLOT_PROBATION);
	*copied = c->copied;
	*lost = c->lost;
	free(c->backends);
	free(c);
	return err;
}
